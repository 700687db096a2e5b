//! `paced-load URL --body FILE --rate R [--conns N] [--seconds S] [--warmup W] [-H 'Name: value']...`
//!
//! An open-loop load generator for `bench/latency.sh`: it POSTs the JSON in
//! FILE to URL at R requests a second in total, spread evenly over N
//! keep-alive HTTP/1.1 connections (the clients), for W seconds of warm-up
//! and then S measured seconds, and prints one line:
//! `offered_rps achieved_rps ok errors p50_ms p90_ms p99_ms p999_ms max_ms`.
//!
//! wrk is closed-loop: each client sends its next request only when the last
//! answer is in, so at saturation its latency is the queue in front of the
//! busiest core (clients × CPU per request), not what the proxy adds. Here
//! each client has a schedule. A request's latency runs from the moment it
//! could really be sent: its scheduled time when the client was still
//! waiting for the previous answer then (the wait counts, as in wrk2), else
//! the moment it was sent (the timer's own millisecond lateness is the
//! load generator's, not the server's). Latency is to the end of the
//! answer's body, so a streamed answer counts whole. One thread: pin it with
//! taskset. Not a product: http:// only, no redirects.

#![expect(clippy::print_stdout, reason = "the driver reports on stdout")]

use std::rc::Rc;
use std::time::Duration;

use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::http::uri::PathAndQuery;
use hyper::{Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::time::Instant;

/// A request that takes longer than this is counted as an error (wrk's
/// `--timeout 10s`).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What to send, how fast, and for how long.
struct Plan {
    /// The request target in origin form (`/v1/chat/completions`), as
    /// clients send it to a server (the absolute form is for proxies).
    target: Uri,
    authority: String,
    body: Bytes,
    headers: Vec<(String, String)>,
    conns: usize,
    rate: f64,
    warmup: Duration,
    seconds: Duration,
}

/// One client's results: latencies of the measured requests, in
/// nanoseconds, and how many measured requests failed.
#[derive(Default)]
struct Tally {
    latencies: Vec<u64>,
    errors: u64,
}

fn main() -> anyhow::Result<()> {
    let plan = Rc::new(parse_args(std::env::args().skip(1))?);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    let tallies = local.block_on(&runtime, async {
        let start = Instant::now() + Duration::from_millis(50);
        let clients: Vec<_> = (0..plan.conns)
            .map(|index| tokio::task::spawn_local(run_client(Rc::clone(&plan), index, start)))
            .collect();
        let mut tallies = Vec::with_capacity(clients.len());
        for client in clients {
            tallies.push(client.await.context("a client task failed")??);
        }
        anyhow::Ok(tallies)
    })?;
    let mut latencies: Vec<u64> = tallies
        .iter()
        .flat_map(|t| t.latencies.iter().copied())
        .collect();
    let errors: u64 = tallies.iter().map(|t| t.errors).sum();
    latencies.sort_unstable();
    let ok = latencies.len();
    let achieved = ok as f64 / plan.seconds.as_secs_f64();
    let ms = |q: f64| percentile(&latencies, q).map_or(f64::NAN, |ns| ns as f64 / 1e6);
    println!(
        "{:.1} {achieved:.1} {ok} {errors} {:.3} {:.3} {:.3} {:.3} {:.3}",
        plan.rate,
        ms(0.50),
        ms(0.90),
        ms(0.99),
        ms(0.999),
        ms(1.0)
    );
    Ok(())
}

/// The nearest-rank percentile of sorted values (`q` in 0..=1).
fn percentile(sorted: &[u64], q: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted.get(rank - 1).copied()
}

/// One client: its own connection and its own schedule, offset from the
/// others' so the requests of all clients arrive evenly spaced.
async fn run_client(plan: Rc<Plan>, index: usize, start: Instant) -> anyhow::Result<Tally> {
    let period = Duration::from_secs_f64(plan.conns as f64 / plan.rate);
    let measure_from = start + plan.warmup;
    let end = measure_from + plan.seconds;
    let mut due = start + period.mul_f64(index as f64 / plan.conns as f64);
    let mut free_at = start;
    let mut sender = None;
    let mut tally = Tally::default();
    while due < end {
        if Instant::now() < due {
            tokio::time::sleep_until(due).await;
        }
        let sent = Instant::now();
        let origin = if free_at > due { due } else { sent };
        // A status other than 2xx is an error, but its connection is kept;
        // a broken or silent connection is dropped and opened again.
        let answered = match sender.take() {
            Some(open) => Ok(open),
            None => connect(&plan).await,
        };
        let succeeded = match answered {
            Ok(mut open) => {
                match tokio::time::timeout(REQUEST_TIMEOUT, send(&plan, &mut open)).await {
                    Ok(Ok(status)) => {
                        sender = Some(open);
                        status.is_success()
                    }
                    Ok(Err(_)) | Err(_) => false,
                }
            }
            Err(_) => false,
        };
        let done = Instant::now();
        free_at = done;
        if due >= measure_from {
            if succeeded {
                tally.latencies.push((done - origin).as_nanos() as u64);
            } else {
                tally.errors += 1;
            }
        }
        due += period;
    }
    Ok(tally)
}

async fn connect(plan: &Plan) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(&plan.authority)
        .await
        .with_context(|| format!("could not connect to {}", plan.authority))?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::task::spawn_local(connection);
    Ok(sender)
}

/// Sends one request and reads its whole answer; returns its status.
async fn send(plan: &Plan, sender: &mut SendRequest<Full<Bytes>>) -> anyhow::Result<StatusCode> {
    let mut request = Request::post(plan.target.clone())
        .header("host", plan.authority.as_str())
        .header("content-type", "application/json");
    for (name, value) in &plan.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let request = request.body(Full::new(plan.body.clone()))?;
    sender.ready().await?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    response.into_body().collect().await?;
    Ok(status)
}

const USAGE: &str = "usage: paced-load URL --body FILE --rate REQUESTS_PER_SECOND [--conns N] [--seconds S] [--warmup S] [-H 'Name: value']...";

fn parse_args(mut args: impl Iterator<Item = String>) -> anyhow::Result<Plan> {
    let mut url = None;
    let mut body = None;
    let mut rate = None;
    let mut conns = 64usize;
    let mut seconds = 10.0f64;
    let mut warmup = 2.0f64;
    let mut headers = Vec::new();
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .with_context(|| format!("{arg} needs a value; {USAGE}"))
        };
        match arg.as_str() {
            "--body" => body = Some(value()?),
            "--rate" => rate = Some(number(&value()?, "--rate")?),
            "--conns" => conns = value()?.parse().context("--conns takes a whole number")?,
            "--seconds" => seconds = number(&value()?, "--seconds")?,
            "--warmup" => warmup = number(&value()?, "--warmup")?,
            "-H" | "--header" => {
                let header = value()?;
                let (name, value) = header.split_once(':').with_context(|| {
                    format!("header {header:?} has no ':'; write it as 'Name: value'")
                })?;
                headers.push((name.trim().to_owned(), value.trim().to_owned()));
            }
            other if other.starts_with('-') => bail!("unknown option {other:?}; {USAGE}"),
            other => url = Some(other.to_owned()),
        }
    }
    let url = url.with_context(|| format!("the URL is missing; {USAGE}"))?;
    let uri: Uri = url
        .parse()
        .with_context(|| format!("{url:?} is not a URL"))?;
    if uri.scheme_str() != Some("http") {
        bail!("{url:?}: only http:// URLs are supported");
    }
    let authority = uri
        .authority()
        .with_context(|| format!("{url:?} has no host"))?;
    let authority = match authority.port_u16() {
        Some(_) => authority.to_string(),
        None => format!("{}:80", authority.host()),
    };
    let rate = rate.with_context(|| format!("--rate is required; {USAGE}"))?;
    if rate <= 0.0 || seconds <= 0.0 || warmup < 0.0 || conns == 0 {
        bail!("--rate and --seconds must be above 0, --warmup at least 0, --conns at least 1");
    }
    let seconds = duration(seconds, "--seconds")?;
    let warmup = duration(warmup, "--warmup")?;
    // Each client's period between requests must be a time too.
    duration(conns as f64 / rate, "--conns divided by --rate")?;
    let body_path = body.with_context(|| format!("--body FILE is required; {USAGE}"))?;
    let body = std::fs::read(&body_path).with_context(|| format!("could not read {body_path}"))?;
    Ok(Plan {
        target: Uri::from(
            uri.path_and_query()
                .cloned()
                .unwrap_or_else(|| PathAndQuery::from_static("/")),
        ),
        authority,
        body: Bytes::from(body),
        headers,
        conns,
        rate,
        warmup,
        seconds,
    })
}

fn duration(seconds: f64, what: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(seconds).ok().with_context(|| {
        format!("{what} gives {seconds:e} seconds, which is not a usable duration")
    })
}

fn number(text: &str, flag: &str) -> anyhow::Result<f64> {
    let value: f64 = text
        .parse()
        .with_context(|| format!("{flag} takes a number, not {text:?}"))?;
    if !value.is_finite() {
        bail!("{flag} takes a finite number, not {text:?}");
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentile_is_nearest_rank() {
        let sorted: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&sorted, 0.5), Some(50));
        assert_eq!(percentile(&sorted, 0.99), Some(99));
        assert_eq!(percentile(&sorted, 1.0), Some(100));
        assert_eq!(percentile(&sorted, 0.0), Some(1));
        assert_eq!(percentile(&[], 0.5), None);
    }
}
