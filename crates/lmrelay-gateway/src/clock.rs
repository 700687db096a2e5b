//! Wall-clock helpers: Unix seconds, ISO-8601 text, LiteLLM's duration
//! strings (`30s`, `30m`, `30h`, `30d`, `1mo`) and its aligned budget
//! resets. Civil dates use Howard Hinnant's days-from-civil algorithm.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch now.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Milliseconds since the Unix epoch now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    let next = if m == 12 {
        days_from_civil(y + 1, 1, 1)
    } else {
        days_from_civil(y, m + 1, 1)
    };
    next - days_from_civil(y, m, 1)
}

/// Unix seconds at the start of a UTC day.
pub fn unix_of_date(y: i64, m: i64, d: i64) -> i64 {
    days_from_civil(y, m, d) * 86_400
}

/// `2026-11-22T07:51:32Z`.
pub fn iso(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// A parsed LiteLLM duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// A fixed number of seconds (`s`, `m`, `h`, `d`, `w`).
    Seconds(i64, char),
    /// Calendar months (`mo`).
    Months(i64),
}

/// Parses `30s`, `30m`, `30h`, `30d`, `2w`, `1mo` (LiteLLM's
/// `duration_in_seconds`); anything else is an error saying what is accepted.
pub fn parse_span(text: &str) -> Result<Span, String> {
    let text = text.trim();
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    let unit = &text[digits.len()..];
    let n: i64 = digits.parse().map_err(|_| {
        format!("`{text}` is not a duration: write a number and a unit, such as 30d or 1mo")
    })?;
    let per = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        "mo" => return Ok(Span::Months(n)),
        _ => {
            return Err(format!(
                "`{text}` has no known unit: use s, m, h, d, w or mo (30s, 30m, 30h, 30d, 1mo)"
            ));
        }
    };
    let unit = unit.chars().next().unwrap_or('s');
    n.checked_mul(per)
        .map(|s| Span::Seconds(s, unit))
        .ok_or_else(|| format!("`{text}` is too long a duration"))
}

/// `from` plus `span` (months keep the day of month, clamped to the
/// month's last day, as LiteLLM does).
pub fn add(from: i64, span: Span) -> i64 {
    match span {
        Span::Seconds(s, _) => from.saturating_add(s),
        Span::Months(n) => {
            let days = from.div_euclid(86_400);
            let secs = from.rem_euclid(86_400);
            let (y, m, d) = civil_from_days(days);
            let total = y * 12 + (m - 1) + n;
            let (ny, nm) = (total.div_euclid(12), total.rem_euclid(12) + 1);
            let nd = d.min(days_in_month(ny, nm));
            days_from_civil(ny, nm, nd) * 86_400 + secs
        }
    }
}

/// When a budget with period `span` next resets after `now`, aligned as
/// LiteLLM aligns it (UTC): `1d` next midnight, `7d` next Monday, `30d` and
/// `Nmo` the first of the next month, `Nh` the next multiple of N hours,
/// `Nm`/`Ns` the next multiple of N minutes/seconds.
pub fn next_reset(now: i64, span: Span) -> i64 {
    let day_start = now.div_euclid(86_400) * 86_400;
    let first_of_next_month = || {
        let (y, m, _) = civil_from_days(now.div_euclid(86_400));
        let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        days_from_civil(ny, nm, 1) * 86_400
    };
    match span {
        Span::Months(_) => first_of_next_month(),
        Span::Seconds(s, 'd') => match s / 86_400 {
            1 => day_start + 86_400,
            7 => {
                // 1970-01-01 was a Thursday: Monday is day 4 of the week cycle.
                let weekday = (now.div_euclid(86_400) + 3).rem_euclid(7);
                day_start + (7 - weekday) * 86_400
            }
            30 => first_of_next_month(),
            n => day_start + n * 86_400,
        },
        Span::Seconds(s, 'w') => day_start + s,
        Span::Seconds(s, 'h') => {
            let n = (s / 3600).max(1);
            let hour = (now - day_start) / 3600;
            day_start + (hour + n - hour % n) * 3600
        }
        Span::Seconds(s, 'm') => {
            let n = (s / 60).max(1);
            let hour_start = now.div_euclid(3600) * 3600;
            let minute = (now - hour_start) / 60;
            hour_start + (minute + n - minute % n) * 60
        }
        Span::Seconds(s, _) => {
            let n = s.max(1);
            let minute_start = now.div_euclid(60) * 60;
            let second = now - minute_start;
            minute_start + second + n - second % n
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-11-22T07:51:32Z, a Sunday.
    const NOW: i64 = 1_795_333_892;

    #[test]
    fn iso_text_round_trips_civil_dates() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(NOW), "2026-11-22T07:51:32Z");
        assert_eq!(iso(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn spans_parse_like_litellm() {
        assert_eq!(parse_span("30s"), Ok(Span::Seconds(30, 's')));
        assert_eq!(parse_span("2h"), Ok(Span::Seconds(7200, 'h')));
        assert_eq!(parse_span("1mo"), Ok(Span::Months(1)));
        assert!(parse_span("30").unwrap_err().contains("no known unit"));
        assert!(parse_span("soon").unwrap_err().contains("not a duration"));
    }

    #[test]
    fn months_clamp_to_the_last_day() {
        let jan31 = days_from_civil(2026, 1, 31) * 86_400;
        assert_eq!(iso(add(jan31, Span::Months(1))), "2026-02-28T00:00:00Z");
        assert_eq!(
            iso(add(NOW, Span::Seconds(30 * 86_400, 'd'))),
            "2026-12-22T07:51:32Z"
        );
    }

    #[test]
    fn budget_resets_are_aligned() {
        let at = |s| iso(next_reset(NOW, parse_span(s).unwrap_or(Span::Months(1))));
        assert_eq!(at("1d"), "2026-11-23T00:00:00Z");
        assert_eq!(at("7d"), "2026-11-23T00:00:00Z", "next Monday");
        assert_eq!(at("30d"), "2026-12-01T00:00:00Z");
        assert_eq!(at("1mo"), "2026-12-01T00:00:00Z");
        assert_eq!(at("6h"), "2026-11-22T12:00:00Z");
        assert_eq!(at("15m"), "2026-11-22T08:00:00Z");
        assert_eq!(at("30s"), "2026-11-22T07:52:00Z");
    }
}
