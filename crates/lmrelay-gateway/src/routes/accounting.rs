//! One model call's bookkeeping: model access and admission for the key
//! before the call; spend, spend log and metrics after it. A stream is
//! metered chunk by chunk, so a client that disconnects mid-stream is
//! billed for the chunks produced so far (dropping the stream also closes
//! the upstream connection).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::Stream;
use lmrelay::StreamChunk;
use lmrelay::cost::TokenUsage;
use lmrelay_types::Usage;
use rust_decimal::Decimal;

use crate::keys::auth::Caller;
use crate::keys::limits::{self, Admission};
use crate::router::DeploymentState;
use crate::router::{Served, Target};
use crate::store::SpendLog;
use crate::{AppState, GatewayError, clock, headers};

/// What a finished call used.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The model string sent upstream.
    pub model: String,
    /// The deployment id.
    pub model_id: String,
    /// The group that answered.
    pub group: String,
    /// Token usage (estimated from chunks when the upstream sent none).
    pub usage: Usage,
    /// USD.
    pub cost: Decimal,
    /// Time in the upstream call (to the first chunk for streams).
    pub upstream: Duration,
    /// Streams: time to the first chunk.
    pub ttft: Option<Duration>,
    /// Answered from the response cache (costs nothing).
    pub cache_hit: bool,
}

impl Outcome {
    /// The outcome of a served call with `usage`.
    pub fn of<T>(served: &Served<T>, usage: Option<&Usage>, cache_hit: bool) -> Self {
        let usage = usage.cloned().unwrap_or_default();
        let deployment = &served.target.deployment.config;
        Self {
            cost: if cache_hit {
                Decimal::ZERO
            } else {
                price(&served.target.deployment, &served.target.model, &usage)
            },
            cache_hit,
            model: served.target.model.clone(),
            model_id: deployment.id.clone(),
            group: served.group.clone(),
            usage,
            upstream: served.upstream,
            ttft: None,
        }
    }
}

/// The cost of `usage` on a deployment: its own prices when the config
/// sets them, else the price table's; unknown models cost 0.
pub fn price(state: &DeploymentState, model: &str, usage: &Usage) -> Decimal {
    let deployment = &state.config;
    if deployment.input_cost_per_token.is_some() || deployment.output_cost_per_token.is_some() {
        let input = deployment.input_cost_per_token.unwrap_or_default();
        let output = deployment.output_cost_per_token.unwrap_or_default();
        return input * Decimal::from(usage.prompt_tokens)
            + output * Decimal::from(usage.completion_tokens);
    }
    // A wildcard deployment sends many models; only a fixed one is cached.
    let fixed = model == deployment.model;
    if fixed && state.priced.get() == Some(&false) {
        return Decimal::ZERO;
    }
    let cost = lmrelay::cost::cost_per_token(model, &TokenUsage::from_usage(usage));
    if fixed {
        let _ = state.priced.set(cost.is_ok());
    }
    cost.map(|c| c.total()).unwrap_or_default()
}

/// One call in progress.
#[derive(Debug)]
pub struct Call {
    state: Arc<AppState>,
    caller: Caller,
    admission: Option<Admission>,
    /// The call id (`x-litellm-call-id`, the spend log's request id).
    pub call_id: String,
    call_type: &'static str,
    route: &'static str,
    requested: String,
    started: Instant,
    start_ms: i64,
    done: bool,
}

fn now_ms() -> i64 {
    clock::now_ms()
}

impl Call {
    /// Checks the caller may use `requested` and admits the request against
    /// its key's limits. `estimate` gives the request's (prompt, completion
    /// allowance) tokens on a model string; it is asked only when the key has
    /// a budget, and priced at the deployment's prices.
    pub fn begin(
        state: &Arc<AppState>,
        caller: Caller,
        call_type: &'static str,
        route: &'static str,
        requested: &str,
        estimate: impl FnOnce(&str) -> (u64, u64),
    ) -> Result<Self, GatewayError> {
        let started = Instant::now();
        let mut admission = None;
        if let Caller::Key(entry) = &caller {
            let budgeted = {
                let record = entry.record();
                let allowed = record.models.is_empty()
                    || record
                        .models
                        .iter()
                        .any(|m| m == requested || m == "all-proxy-models" || m == "*");
                if !allowed {
                    return Err(GatewayError::Unauthorized(format!(
                        "Authentication Error, API Key not allowed to access model. This API Key can only access \
                         models={:?}. Tried to access {requested}",
                        record.models
                    )));
                }
                record.max_budget.is_some()
            };
            let cost = if budgeted {
                state
                    .router()
                    .group(requested)
                    .and_then(|(g, part)| {
                        g.deployments.first().map(|d| {
                            let model =
                                crate::router::Router::model_for(&d.config, part.as_deref());
                            let (prompt, completion) = estimate(&model);
                            let usage = Usage {
                                prompt_tokens: prompt,
                                completion_tokens: completion,
                                total_tokens: prompt + completion,
                                ..Usage::default()
                            };
                            price(d, &model, &usage)
                        })
                    })
                    .unwrap_or_default()
            } else {
                Decimal::ZERO
            };
            let admitted = limits::admit(entry, cost, started)?;
            if admitted.budget_reset
                && let Some(keys) = state.keys()
            {
                let record = entry.record().clone();
                let store = std::sync::Arc::clone(keys.store());
                tokio::spawn(async move {
                    let _ = store.upsert_key(&record).await;
                });
            }
            admission = Some(admitted);
        }
        Ok(Self {
            state: Arc::clone(state),
            caller,
            admission,
            call_id: headers::call_id(),
            call_type,
            route,
            requested: requested.to_owned(),
            started,
            start_ms: now_ms(),
            done: false,
        })
    }

    /// The cache namespace of the caller: a virtual key's hash (each key
    /// caches apart), none for the master key.
    pub fn cache_namespace(&self) -> Option<String> {
        matches!(self.caller, Caller::Key(_)).then(|| self.caller.token())
    }

    /// When the call started.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// `x-ratelimit-*` headers of the caller's key.
    pub fn rate_headers(&self) -> &[(&'static str, String)] {
        self.admission
            .as_ref()
            .map_or(&[], |a| a.headers.as_slice())
    }

    /// Records a successful call.
    pub fn succeed(mut self, outcome: &Outcome) {
        self.done = true;
        self.settle(outcome, "success", "200");
    }

    /// Records a failed call.
    pub fn fail(mut self, err: &GatewayError) {
        self.done = true;
        let status = err.status().to_string();
        let m = &self.state.metrics;
        m.add(
            "litellm_proxy_failed_requests_metric_total",
            &[
                ("requested_model", &self.requested),
                ("api_key_alias", &self.caller.label()),
                ("route", self.route),
                ("exception_status", &status),
            ],
            1.0,
        );
        self.settle(&Outcome::default(), "failure", &status);
    }

    fn settle(&mut self, outcome: &Outcome, status: &str, code: &str) {
        let total = self.started.elapsed();
        let tokens = outcome.usage.prompt_tokens + outcome.usage.completion_tokens;
        if let Some(admission) = self.admission.take() {
            admission.finish(outcome.cost, tokens);
        }
        let mut m = self.state.metrics.batch();
        let key = self.caller.label();
        m.add(
            "litellm_proxy_total_requests_metric_total",
            &[
                ("requested_model", &self.requested),
                ("api_key_alias", &key),
                ("route", self.route),
                ("status_code", code),
            ],
            1.0,
        );
        if status == "success" {
            let model = [
                ("model", outcome.model.as_str()),
                ("model_group", &outcome.group),
            ];
            m.observe(
                "litellm_request_total_latency_metric",
                &model,
                total.as_secs_f64(),
            );
            m.observe(
                "litellm_llm_api_latency_metric",
                &model,
                outcome.upstream.as_secs_f64(),
            );
            if let Some(ttft) = outcome.ttft {
                m.observe(
                    "litellm_llm_api_time_to_first_token_metric",
                    &model,
                    ttft.as_secs_f64(),
                );
            } else {
                m.observe(
                    "litellm_overhead_latency_metric",
                    &[("model_group", &outcome.group)],
                    total.saturating_sub(outcome.upstream).as_secs_f64(),
                );
            }
            let by_key = [("model", outcome.model.as_str()), ("api_key_alias", &key)];
            let u = &outcome.usage;
            m.add(
                "litellm_input_tokens_metric_total",
                &by_key,
                u.prompt_tokens as f64,
            );
            m.add(
                "litellm_output_tokens_metric_total",
                &by_key,
                u.completion_tokens as f64,
            );
            m.add("litellm_total_tokens_metric_total", &by_key, tokens as f64);
            let usd = rust_decimal::prelude::ToPrimitive::to_f64(&outcome.cost).unwrap_or(0.0);
            m.add("litellm_spend_metric_total", &by_key, usd);
        }
        drop(m);
        if let Some(spend) = self.state.spend() {
            let user = match &self.caller {
                Caller::Key(entry) => entry.record().user_id.clone(),
                _ => None,
            };
            spend.record(SpendLog {
                request_id: self.call_id.clone(),
                call_type: self.call_type.to_owned(),
                api_key: self.caller.token(),
                spend: outcome.cost,
                prompt_tokens: outcome.usage.prompt_tokens,
                completion_tokens: outcome.usage.completion_tokens,
                total_tokens: tokens,
                start_time_ms: self.start_ms,
                end_time_ms: now_ms(),
                model: outcome.model.clone(),
                model_id: outcome.model_id.clone(),
                model_group: outcome.group.clone(),
                status: status.to_owned(),
                user,
                cache_hit: outcome.cache_hit,
            });
        }
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        // The client went away before an answer (the handler was dropped).
        if !self.done {
            self.done = true;
            self.settle(&Outcome::default(), "failure", "499");
        }
    }
}

/// A stream metered for its call: counts content chunks, keeps the usage
/// chunk, and settles the call when the stream ends or is dropped.
pub struct Metered<S> {
    inner: S,
    call: Option<Call>,
    target: Target,
    group: String,
    ttft: Duration,
    chunks: u64,
    usage: Option<Usage>,
    /// Whether the client asked for the usage chunk (else it is not sent on).
    client_wants_usage: bool,
    /// Replayed from the response cache (costs nothing).
    cache_hit: bool,
}

impl<S> Metered<S> {
    /// Meters `inner`, served by `served`'s deployment, for `call`.
    pub fn new<T>(
        inner: S,
        call: Call,
        served: &Served<T>,
        client_wants_usage: bool,
        cache_hit: bool,
    ) -> Self {
        Self {
            inner,
            call: Some(call),
            target: served.target.clone(),
            group: served.group.clone(),
            ttft: served.upstream,
            chunks: 0,
            usage: None,
            client_wants_usage,
            cache_hit,
        }
    }

    fn settle(&mut self, finished: bool) {
        let Some(mut call) = self.call.take() else {
            return;
        };
        let usage = self.usage.clone().unwrap_or_else(|| {
            // No usage from upstream (or the client left first): bill the
            // chunks produced so far, about one token each.
            Usage {
                completion_tokens: self.chunks,
                total_tokens: self.chunks,
                ..Usage::default()
            }
        });
        let deployment = &self.target.deployment.config;
        let outcome = Outcome {
            cost: if self.cache_hit {
                Decimal::ZERO
            } else {
                price(&self.target.deployment, &self.target.model, &usage)
            },
            cache_hit: self.cache_hit,
            model: self.target.model.clone(),
            model_id: deployment.id.clone(),
            group: self.group.clone(),
            usage,
            upstream: self.ttft,
            ttft: Some(self.ttft),
        };
        call.done = true;
        if finished {
            call.settle(&outcome, "success", "200");
        } else {
            call.settle(&outcome, "failure", "499");
        }
    }
}

impl<S, C> Stream for Metered<S>
where
    S: Stream<Item = lmrelay::Result<C>> + Unpin,
    C: StreamChunk,
{
    type Item = lmrelay::Result<C>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            match Pin::new(&mut self.inner).poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    if let Some(usage) = chunk.usage() {
                        self.usage = Some(usage.clone());
                    }
                    if chunk.has_choices() {
                        self.chunks += 1;
                    } else if chunk.usage().is_some() && !self.client_wants_usage {
                        // The usage chunk lmrelay asked for itself.
                        continue;
                    }
                    return Poll::Ready(Some(Ok(chunk)));
                }
                Poll::Ready(Some(Err(err))) => return Poll::Ready(Some(Err(err))),
                Poll::Ready(None) => {
                    self.settle(true);
                    return Poll::Ready(None);
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<S> Drop for Metered<S> {
    fn drop(&mut self) {
        self.settle(false);
    }
}
