//! Prometheus metrics under LiteLLM's names (`litellm_*`, counters with
//! `_total`), so existing dashboards keep working. Labels never hold a key
//! or its hash: a key appears as its alias or `sk-...abcd`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Mutex, PoisonError};

use rustc_hash::{FxHashMap, FxHasher};

/// LiteLLM's latency buckets (seconds).
const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.00625, 0.0125, 0.025, 0.05, 0.1, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0,
    5.5, 6.0, 6.5, 7.0, 7.5, 8.0, 8.5, 9.0, 9.5, 10.0, 15.0, 20.0, 25.0, 30.0, 60.0, 120.0, 180.0,
    240.0, 300.0,
];

/// Finer buckets for the gateway's own overhead (seconds: 10 µs to 100 ms).
const OVERHEAD_BUCKETS: &[f64] = &[
    0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025,
    0.05, 0.1,
];

#[derive(Debug)]
enum Value {
    Counter(f64),
    Histogram {
        buckets: &'static [f64],
        /// Observations per bucket, not cumulative (the text adds them up):
        /// one increment per observation. The last slot counts values
        /// above every bound.
        counts: Vec<u64>,
        sum: f64,
        count: u64,
    },
}

/// Metric families and their series. A series is found by a hash of its
/// label values, so recording allocates only the first time a series is
/// seen; each family holds at most [`MAX_SERIES`] series.
#[derive(Debug)]
pub struct Metrics {
    /// One map per entry of [`FAMILIES`], in its order.
    series: Mutex<Vec<FxHashMap<u64, Series>>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            series: Mutex::new(FAMILIES.iter().map(|_| FxHashMap::default()).collect()),
        }
    }
}

/// The most series one family keeps. Label values come from callers (the
/// requested model, a key's alias), so without a bound anyone could grow
/// the gateway's memory by asking for ever new model names; past it,
/// observations are counted in one series whose label values are `other`.
pub const MAX_SERIES: usize = 10_000;

/// The label value of the overflow series.
const OVERFLOW: &str = "other";

#[derive(Debug)]
struct Series {
    /// `{a="x",b="y"}`.
    text: String,
    value: Value,
}

/// Label names and values of one observation.
pub type Labels<'a> = &'a [(&'a str, &'a str)];

fn hash_labels(labels: Labels<'_>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = FxHasher::default();
    for (_, v) in labels {
        v.hash(&mut h);
    }
    h.finish()
}

/// HELP and TYPE text of each family.
const FAMILIES: &[(&str, &str, &str)] = &[
    (
        "litellm_proxy_total_requests_metric_total",
        "counter",
        "Requests to the gateway, by model, key and status.",
    ),
    (
        "litellm_proxy_failed_requests_metric_total",
        "counter",
        "Requests that failed, by model, key and status.",
    ),
    (
        "litellm_request_total_latency_metric",
        "histogram",
        "Seconds from request to response end.",
    ),
    (
        "litellm_llm_api_latency_metric",
        "histogram",
        "Seconds spent in the upstream call.",
    ),
    (
        "litellm_llm_api_time_to_first_token_metric",
        "histogram",
        "Seconds to the first streamed chunk.",
    ),
    (
        "litellm_overhead_latency_metric",
        "histogram",
        "Seconds the gateway added to a request.",
    ),
    (
        "litellm_input_tokens_metric_total",
        "counter",
        "Prompt tokens.",
    ),
    (
        "litellm_output_tokens_metric_total",
        "counter",
        "Completion tokens.",
    ),
    (
        "litellm_total_tokens_metric_total",
        "counter",
        "Prompt plus completion tokens.",
    ),
    ("litellm_spend_metric_total", "counter", "USD spent."),
    (
        "litellm_deployment_cooled_down_total",
        "counter",
        "Deployments put in cooldown.",
    ),
];

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `{a="x",b="y"}` from label pairs.
pub fn labels(pairs: &[(&str, &str)]) -> String {
    let inner: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    format!("{{{}}}", inner.join(","))
}

impl Metrics {
    /// Records several observations under one lock (a call's eight).
    pub fn batch(&self) -> Batch<'_> {
        Batch {
            series: self.series.lock().unwrap_or_else(PoisonError::into_inner),
        }
    }

    /// Adds `by` to a counter.
    pub fn add(&self, name: &'static str, labels: Labels<'_>, by: f64) {
        self.batch().add(name, labels, by);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out = String::new();
        for ((family, kind, help), members) in FAMILIES.iter().zip(series.iter()) {
            let base = family.trim_end_matches("_total");
            let _ = writeln!(out, "# HELP {base} {help}");
            let _ = writeln!(out, "# TYPE {base} {kind}");
            let sorted: BTreeMap<&String, &Value> =
                members.values().map(|s| (&s.text, &s.value)).collect();
            let name = family;
            for (labels, value) in sorted {
                match value {
                    Value::Counter(v) => {
                        let _ = writeln!(out, "{name}{labels} {v}");
                    }
                    Value::Histogram {
                        buckets,
                        counts,
                        sum,
                        count,
                    } => {
                        let inner = labels.trim_start_matches('{').trim_end_matches('}');
                        let sep = if inner.is_empty() { "" } else { "," };
                        let mut cumulative = 0;
                        for (bound, c) in buckets.iter().zip(counts) {
                            cumulative += c;
                            let _ = writeln!(
                                out,
                                "{name}_bucket{{{inner}{sep}le=\"{bound}\"}} {cumulative}"
                            );
                        }
                        let _ = writeln!(out, "{name}_bucket{{{inner}{sep}le=\"+Inf\"}} {count}");
                        let _ = writeln!(out, "{name}_sum{labels} {sum}");
                        let _ = writeln!(out, "{name}_count{labels} {count}");
                    }
                }
            }
        }
        out
    }
}

/// Observations recorded under one lock of [`Metrics`].
#[derive(Debug)]
pub struct Batch<'m> {
    series: std::sync::MutexGuard<'m, Vec<FxHashMap<u64, Series>>>,
}

impl Batch<'_> {
    fn with(
        &mut self,
        name: &'static str,
        labels: Labels<'_>,
        new: impl FnOnce() -> Value,
        f: impl FnOnce(&mut Value),
    ) {
        let Some(index) = FAMILIES.iter().position(|(family, _, _)| *family == name) else {
            return;
        };
        let key = hash_labels(labels);
        let family = &mut self.series[index];
        if let Some(s) = family.get_mut(&key) {
            // A different series with the same hash is astronomically rare;
            // it is folded into the first rather than growing a second map.
            f(&mut s.value);
            return;
        }
        let overflow: Vec<(&str, &str)>;
        let (key, labels) = if family.len() >= MAX_SERIES {
            overflow = labels.iter().map(|(name, _)| (*name, OVERFLOW)).collect();
            (hash_labels(&overflow), overflow.as_slice())
        } else {
            (key, labels)
        };
        let s = family.entry(key).or_insert_with(|| Series {
            text: self::labels(labels),
            value: new(),
        });
        f(&mut s.value);
    }

    /// Adds `by` to a counter.
    pub fn add(&mut self, name: &'static str, labels: Labels<'_>, by: f64) {
        self.with(
            name,
            labels,
            || Value::Counter(0.0),
            |value| {
                if let Value::Counter(v) = value {
                    *v += by;
                }
            },
        );
    }

    /// Observes one value (seconds) in a histogram.
    pub fn observe(&mut self, name: &'static str, labels: Labels<'_>, seconds: f64) {
        let buckets = if name == "litellm_overhead_latency_metric" {
            OVERHEAD_BUCKETS
        } else {
            LATENCY_BUCKETS
        };
        let new = || Value::Histogram {
            buckets,
            counts: vec![0; buckets.len() + 1],
            sum: 0.0,
            count: 0,
        };
        self.with(name, labels, new, |value| {
            if let Value::Histogram {
                buckets,
                counts,
                sum,
                count,
            } = value
            {
                // The first bound the value is within (`le`), or the last
                // slot (above every bound, and a NaN).
                let at = if seconds.is_nan() {
                    buckets.len()
                } else {
                    buckets.partition_point(|bound| *bound < seconds)
                };
                if let Some(slot) = counts.get_mut(at) {
                    *slot += 1;
                }
                *sum += seconds;
                *count += 1;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_histograms_render_in_prometheus_text() {
        let m = Metrics::default();
        let l = [("requested_model", "g\"x"), ("status_code", "200")];
        m.add("litellm_proxy_total_requests_metric_total", &l, 1.0);
        m.add("litellm_proxy_total_requests_metric_total", &l, 1.0);
        m.add(
            "litellm_proxy_total_requests_metric_total",
            &[("requested_model", "g"), ("status_code", "200")],
            1.0,
        );
        m.batch().observe(
            "litellm_overhead_latency_metric",
            &[("model_group", "g")],
            0.000_03,
        );
        let text = m.render();
        assert!(text.contains("litellm_proxy_total_requests_metric_total{requested_model=\"g\\\"x\",status_code=\"200\"} 2"), "{text}");
        assert!(text.contains("litellm_proxy_total_requests_metric_total{requested_model=\"g\",status_code=\"200\"} 1"), "{text}");
        assert!(
            text.contains("# TYPE litellm_proxy_total_requests_metric counter"),
            "{text}"
        );
        assert!(
            text.contains(
                "litellm_overhead_latency_metric_bucket{model_group=\"g\",le=\"0.00005\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "litellm_overhead_latency_metric_bucket{model_group=\"g\",le=\"0.00001\"} 0"
            ),
            "{text}"
        );
        assert!(
            text.contains("litellm_overhead_latency_metric_count{model_group=\"g\"} 1"),
            "{text}"
        );
    }

    #[test]
    fn histogram_buckets_are_cumulative_with_values_above_every_bound_only_in_the_count() {
        let m = Metrics::default();
        let mut batch = m.batch();
        for seconds in [0.000_01, 0.000_02, 0.000_02, 0.003, 7.0, f64::NAN] {
            batch.observe(
                "litellm_overhead_latency_metric",
                &[("model_group", "g")],
                seconds,
            );
        }
        drop(batch);
        let text = m.render();
        for (le, n) in [
            ("0.00001", 1),
            ("0.000025", 3),
            ("0.0025", 3),
            ("0.005", 4),
            ("0.1", 4),
            ("+Inf", 6),
        ] {
            let line = format!(
                "litellm_overhead_latency_metric_bucket{{model_group=\"g\",le=\"{le}\"}} {n}\n"
            );
            assert!(text.contains(&line), "{line} in {text}");
        }
        assert!(
            text.contains("litellm_overhead_latency_metric_count{model_group=\"g\"} 6"),
            "{text}"
        );
    }

    #[test]
    fn series_per_family_stop_growing_at_the_bound() {
        let m = Metrics::default();
        for i in 0..MAX_SERIES + 50 {
            let model = format!("model-{i}");
            m.add(
                "litellm_proxy_total_requests_metric_total",
                &[("requested_model", &model), ("status_code", "404")],
                1.0,
            );
        }
        let text = m.render();
        let lines = text
            .lines()
            .filter(|l| l.starts_with("litellm_proxy_total_requests_metric_total{"))
            .count();
        assert_eq!(lines, MAX_SERIES + 1, "the bound plus the overflow series");
        assert!(
            text.contains(
                "litellm_proxy_total_requests_metric_total{requested_model=\"other\",status_code=\"other\"} 50"
            ),
            "the 50 past the bound are counted together"
        );
        // Series seen before the bound keep counting on their own.
        m.add(
            "litellm_proxy_total_requests_metric_total",
            &[("requested_model", "model-7"), ("status_code", "404")],
            1.0,
        );
        assert!(m.render().contains(
            "litellm_proxy_total_requests_metric_total{requested_model=\"model-7\",status_code=\"404\"} 2"
        ));
    }
}
