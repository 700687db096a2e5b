//! One request through the router: attempts within a group (retries), then
//! the fallback groups in order. The call itself is a closure, so chat,
//! streams, text completions and embeddings share the same loop; a stream's
//! closure reads the first chunk, so a stream that fails before it can still
//! fall back, and nothing is retried once bytes reached the client.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lmrelay::ErrorKind;

use super::state::DeploymentState;
use super::{Group, Router, Target, strategy};
use crate::GatewayError;
use crate::config::RoutingStrategy;

/// A served request: the value, where it went and what it took.
#[derive(Debug)]
pub struct Served<T> {
    /// The call's result.
    pub value: T,
    /// The deployment that answered.
    pub target: Target,
    /// The group that answered (differs from the asked one after a fallback).
    pub group: String,
    /// Attempts after the first, all groups together.
    pub retries: u32,
    /// Fallback groups tried.
    pub fallbacks: u32,
    /// How long the answering attempt took (to the first chunk for streams).
    pub upstream: Duration,
}

/// The most a retry waits for a Retry-After before it gives up waiting.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

/// LiteLLM's `_is_cooldown_required`: rate limits, auth, not found,
/// timeouts and server errors may cool a deployment down; connection
/// failures (no status) and other client errors never do.
fn may_cool_down(err: &lmrelay::Error) -> bool {
    if err.kind() == ErrorKind::APIConnection {
        return false;
    }
    matches!(err.status_code(), 401 | 404 | 408 | 429) || err.status_code() >= 500
}

/// The wait before retrying the same deployment: the upstream's
/// Retry-After when it gave one (up to a minute), else exponential backoff
/// from 0.5 s to 8 s; never less than the router's `retry_after`.
fn backoff(err: &lmrelay::Error, attempt: u32, floor: Duration) -> Duration {
    let wait = match err.retry_after() {
        Some(after) if after <= MAX_RETRY_WAIT => after,
        _ => Duration::from_millis(500)
            .saturating_mul(1 << attempt.min(4))
            .min(Duration::from_secs(8)),
    };
    wait.max(floor)
}

impl Router {
    /// Serves `requested` by calling `call` on deployments until one
    /// answers, the retries and fallbacks are spent, or an error is final.
    /// `tokens` estimates the request's size for usage-based routing.
    pub async fn run<T, F, Fut>(
        &self,
        requested: &str,
        tokens: u64,
        mut call: F,
    ) -> Result<Served<T>, GatewayError>
    where
        F: FnMut(Target) -> Fut,
        Fut: Future<Output = Result<T, lmrelay::Error>>,
    {
        let Some((group, wildcard)) = self.group(requested) else {
            return Err(GatewayError::BadRequest(format!(
                "Invalid model name passed in model={requested}. Call `/v1/models` to view available models for your key."
            )));
        };
        let mut retries = 0;
        let first = self
            .try_group(&group, wildcard.as_deref(), tokens, &mut call, &mut retries)
            .await;
        let err = match first {
            Ok((target, value, upstream)) => {
                return Ok(Served {
                    value,
                    target,
                    group: group.name.clone(),
                    retries,
                    fallbacks: 0,
                    upstream,
                });
            }
            Err(err) => err,
        };
        let chain = self.fallback_chain(&group.name, &err);
        let mut last = err;
        let mut fallbacks = 0;
        for name in chain.into_iter().take(self.settings.max_fallbacks) {
            let Some((fallback, part)) = self.group(&name) else {
                continue;
            };
            fallbacks += 1;
            match self
                .try_group(&fallback, part.as_deref(), tokens, &mut call, &mut retries)
                .await
            {
                Ok((target, value, upstream)) => {
                    return Ok(Served {
                        value,
                        target,
                        group: fallback.name.clone(),
                        retries,
                        fallbacks,
                        upstream,
                    });
                }
                Err(err) => last = err,
            }
        }
        Err(last)
    }

    /// The groups to fall back to after `err` in `group`: the context-window
    /// or content-policy lists for those errors, else the general list,
    /// else `default_fallbacks`. Auth and bad-request errors do not fall back.
    fn fallback_chain(&self, group: &str, err: &GatewayError) -> Vec<String> {
        let rules = match err {
            GatewayError::Upstream(e) => match e.kind() {
                ErrorKind::ContextWindowExceeded => &self.settings.context_window_fallbacks,
                ErrorKind::ContentPolicyViolation => &self.settings.content_policy_fallbacks,
                ErrorKind::BadRequest
                | ErrorKind::UnsupportedParams
                | ErrorKind::UnprocessableEntity => {
                    return Vec::new();
                }
                _ => &self.settings.fallbacks,
            },
            GatewayError::RateLimited { .. } => &self.settings.fallbacks,
            _ => return Vec::new(),
        };
        let specific = rules.iter().find(|r| r.from == group);
        let generic = rules.iter().find(|r| r.from == "*");
        if let Some(rule) = specific.or(generic) {
            return rule.to.iter().filter(|g| *g != group).cloned().collect();
        }
        let general = matches!(err, GatewayError::RateLimited { .. })
            || matches!(err, GatewayError::Upstream(e) if !matches!(
                e.kind(),
                ErrorKind::ContextWindowExceeded | ErrorKind::ContentPolicyViolation
            ));
        if general {
            self.settings
                .default_fallbacks
                .iter()
                .filter(|g| *g != group)
                .cloned()
                .collect()
        } else {
            Vec::new()
        }
    }

    /// Attempts within one group: the first try plus `num_retries`.
    async fn try_group<T, F, Fut>(
        &self,
        group: &Arc<Group>,
        wildcard: Option<&str>,
        tokens: u64,
        call: &mut F,
        retries: &mut u32,
    ) -> Result<(Target, T, Duration), GatewayError>
    where
        F: FnMut(Target) -> Fut,
        Fut: Future<Output = Result<T, lmrelay::Error>>,
    {
        // Deployments tried in this group, by address (a plain number keeps the
        // future Send).
        let mut tried: Vec<usize> = Vec::new();
        let mut last: Option<lmrelay::Error> = None;
        for attempt in 0..=self.settings.num_retries {
            let now = Instant::now();
            let healthy: Vec<Arc<DeploymentState>> = group
                .deployments
                .iter()
                .filter(|d| d.cooldown_until(now).is_none())
                .cloned()
                .collect();
            let untried: Vec<Arc<DeploymentState>> = healthy
                .iter()
                .filter(|d| !tried.contains(&(Arc::as_ptr(d) as usize)))
                .cloned()
                .collect();
            let fresh = !untried.is_empty();
            let pool = if fresh { untried } else { healthy };
            let Some(deployment) =
                strategy::pick(&self.settings.strategy, &pool, now, self.epoch, tokens)
            else {
                return Err(match last {
                    Some(err) => GatewayError::Upstream(err),
                    None => self.no_deployments(group, now),
                });
            };
            if attempt > 0 {
                *retries += 1;
                // LiteLLM retries at once while another deployment is
                // healthy, and backs off otherwise.
                if !fresh && let Some(err) = &last {
                    tokio::time::sleep(backoff(err, attempt - 1, self.settings.retry_after)).await;
                }
            }
            let target = Target {
                model: Router::model_for(&deployment.config, wildcard),
                deployment: Arc::clone(&deployment),
            };
            let started = Instant::now();
            let result = {
                let _in_flight = deployment.start();
                call(target.clone()).await
            };
            let done = Instant::now();
            match result {
                Ok(value) => {
                    // Only what this group's routing and cooldowns read is kept.
                    if group.deployments.len() > 1 {
                        deployment.record_outcome(done, self.epoch, true);
                        match self.settings.strategy {
                            RoutingStrategy::LatencyBased { .. } => {
                                deployment.record_latency(done, (done - started).as_secs_f64());
                            }
                            RoutingStrategy::UsageBased => {
                                deployment.record_usage(done, self.epoch, 1, tokens);
                            }
                            _ => {}
                        }
                    }
                    return Ok((target, value, done - started));
                }
                Err(err) => {
                    deployment.record_usage(done, self.epoch, 1, 0);
                    let (failed, total) = deployment.record_outcome(done, self.epoch, false);
                    if self.should_cool_down(group, &deployment, &err, failed, total, done) {
                        let cooldown = err.retry_after().unwrap_or(self.settings.cooldown_time);
                        deployment.cool_down(done, cooldown);
                    }
                    tried.push(Arc::as_ptr(&deployment) as usize);
                    let retry = self.should_retry(group, &err, Instant::now());
                    last = Some(err);
                    if !retry {
                        break;
                    }
                }
            }
        }
        Err(match last {
            Some(err) => GatewayError::Upstream(err),
            None => self.no_deployments(group, Instant::now()),
        })
    }

    /// LiteLLM's `_should_cooldown_deployment`, except that a group's only
    /// deployment is never cooled down (the client then sees the real
    /// error instead of "no deployments"), nor is a wildcard deployment.
    fn should_cool_down(
        &self,
        group: &Group,
        deployment: &DeploymentState,
        err: &lmrelay::Error,
        failed: usize,
        total: usize,
        now: Instant,
    ) -> bool {
        if self.settings.disable_cooldowns
            || group.deployments.len() < 2
            || group.name.contains('*')
            || !may_cool_down(err)
            || self.settings.cooldown_time.is_zero() && err.retry_after().is_none()
        {
            return false;
        }
        if self.settings.allowed_fails != 3 {
            // LiteLLM's count mode, used once allowed_fails is changed.
            return deployment.record_failure(now, self.settings.allowed_fails);
        }
        let status = err.status_code();
        // 429 at once; 401 and 404 (not retryable) at once; otherwise when
        // more than half of at least five calls this minute failed.
        let retryable_status = matches!(status, 408 | 409 | 429) || status >= 500;
        status == 429 || !retryable_status || (total >= 5 && failed * 2 > total)
    }

    /// LiteLLM's `should_retry_this_error`: retry a retryable failure while
    /// the group has a healthy deployment; auth failures only when another
    /// deployment may hold a working key; never a not-found, a bad request,
    /// or an error a dedicated fallback list handles.
    fn should_retry(&self, group: &Group, err: &lmrelay::Error, now: Instant) -> bool {
        let healthy = group
            .deployments
            .iter()
            .filter(|d| d.cooldown_until(now).is_none())
            .count();
        if healthy == 0 {
            return false;
        }
        match err.kind() {
            ErrorKind::ContextWindowExceeded => false,
            ErrorKind::ContentPolicyViolation => false,
            ErrorKind::NotFound => false,
            ErrorKind::Authentication | ErrorKind::PermissionDenied => group.deployments.len() > 1,
            _ => err.is_retryable(),
        }
    }

    /// LiteLLM's answer when every deployment of a group is cooling down.
    fn no_deployments(&self, group: &Group, now: Instant) -> GatewayError {
        let wait = group
            .deployments
            .iter()
            .filter_map(|d| d.cooldown_until(now).map(|until| until - now))
            .min();
        GatewayError::RateLimited {
            message: format!(
                "No deployments available for selected model, Try again in {} seconds. Passed model={}. \
                 Every deployment is cooling down after failures or is at its rpm/tpm limit.",
                wait.map_or(self.settings.cooldown_time, |w| w)
                    .as_secs()
                    .max(1),
                group.name
            ),
            retry_after: wait.or(Some(Duration::from_secs(1))),
            headers: Vec::new(),
        }
    }
}
