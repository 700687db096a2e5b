//! The SDK's budget guard: a `max_budget` in USD across the calls of one
//! client. A call is priced before it is sent (prompt tokens counted, plus
//! `max_tokens` or the model's largest completion) and refused with
//! BudgetExceeded if spend plus reservations plus this call would pass the
//! budget; afterwards the reservation is replaced by the real cost.

use std::sync::Mutex;

use rust_decimal::Decimal;

use lmrelay_types::{ChatCompletionRequest, EmbeddingRequest, Prompt, TextCompletionRequest};

use crate::cost::TokenUsage;
use crate::error::{Error, ErrorKind, Result};
use crate::tokens::CountInput;

/// Spend and reservations against one budget.
#[derive(Debug)]
pub struct Budget {
    max: Decimal,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    spent: Decimal,
    reserved: Decimal,
}

/// A reservation held while a call runs; settle it with [`Budget::settle`].
#[derive(Debug)]
#[must_use = "settle the reservation with the real cost"]
pub struct Reservation {
    amount: Decimal,
}

impl Budget {
    /// A budget of `max` USD.
    pub fn new(max: Decimal) -> Self {
        Self {
            max,
            state: Mutex::new(State::default()),
        }
    }

    /// The budget.
    pub fn max(&self) -> Decimal {
        self.max
    }

    /// USD spent so far (settled calls).
    pub fn spent(&self) -> Decimal {
        self.state.lock().map_or(Decimal::ZERO, |s| s.spent)
    }

    /// Reserves `estimate` for a call about to be sent to `model`, or refuses.
    pub fn reserve(&self, model: &str, estimate: Decimal) -> Result<Reservation> {
        let mut state = self
            .state
            .lock()
            .map_err(|_| Error::new(ErrorKind::APIError, "the budget lock is poisoned"))?;
        let committed = state.spent + state.reserved;
        if committed + estimate > self.max {
            return Err(Error::new(
                ErrorKind::BudgetExceeded,
                format!(
                    "this call to {model} could cost up to ${estimate} and the client has spent \
                     ${} (plus ${} reserved by calls in flight) of its ${} budget; raise \
                     max_budget, lower max_tokens, or use a cheaper model",
                    state.spent.normalize(),
                    state.reserved.normalize(),
                    self.max.normalize()
                ),
            )
            .with_model(model));
        }
        state.reserved += estimate;
        Ok(Reservation { amount: estimate })
    }

    /// Replaces a reservation by the real cost (`None`: the call failed and cost nothing).
    pub fn settle(&self, reservation: Reservation, cost: Option<Decimal>) {
        if let Ok(mut state) = self.state.lock() {
            state.reserved -= reservation.amount;
            state.spent += cost.unwrap_or_default();
        }
    }
}

/// Request bodies that can be sized and priced before they are sent (the
/// SDK's budget guard and the gateway's key budgets both use it).
pub trait Estimate {
    /// The most tokens this request can use on `model`: (its prompt tokens,
    /// `max_tokens` or the model's largest completion, times `n`).
    fn estimate_tokens(&self, model: &str) -> Result<(u64, u64)>;

    /// The most this request can cost on `model` at the price table's prices.
    fn estimate_cost(&self, model: &str) -> Result<Decimal> {
        let (prompt, completion) = self.estimate_tokens(model)?;
        crate::cost::cost_per_token(model, &TokenUsage::new(prompt, completion))
            .map(|cost| cost.total())
            .map_err(|err| err.context("a max_budget needs the model's price"))
    }
}

/// Completion tokens to reserve when the request sets no limit: the model's
/// largest completion, else 4096.
fn completion_allowance(model: &str, max_tokens: Option<u32>) -> u64 {
    max_tokens.map(u64::from).unwrap_or_else(|| {
        crate::models::get_model_info(model, None)
            .ok()
            .and_then(|info| info.max_output_tokens.or(info.max_tokens))
            .unwrap_or(4096)
    })
}

impl Estimate for ChatCompletionRequest {
    fn estimate_tokens(&self, model: &str) -> Result<(u64, u64)> {
        let prompt = crate::tokens::count_chat_request(model, self)?;
        let completion =
            completion_allowance(model, self.max_completion_tokens.or(self.max_tokens));
        let choices = u64::from(self.n.unwrap_or(1).max(1));
        Ok((prompt, completion * choices))
    }
}

impl Estimate for TextCompletionRequest {
    fn estimate_tokens(&self, model: &str) -> Result<(u64, u64)> {
        let texts: Vec<&str> = match &self.prompt {
            Prompt::One(text) => vec![text.as_str()],
            Prompt::Many(texts) => texts.iter().map(String::as_str).collect(),
        };
        let prompt: u64 = texts
            .iter()
            .map(|text| crate::tokens::token_counter(model, CountInput::Text(text)))
            .sum::<Result<u64>>()?;
        let completion = completion_allowance(model, self.max_tokens) * texts.len().max(1) as u64;
        Ok((prompt, completion))
    }
}

impl Estimate for EmbeddingRequest {
    fn estimate_tokens(&self, model: &str) -> Result<(u64, u64)> {
        let text = serde_json::to_string(&self.input).unwrap_or_default();
        Ok((
            crate::tokens::token_counter(model, CountInput::Text(&text))?,
            0,
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn refuses_before_overshooting_and_reconciles() {
        let budget = Budget::new(Decimal::from(1));
        let first = budget.reserve("m", Decimal::new(6, 1)).unwrap();
        let err = budget.reserve("m", Decimal::new(6, 1)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BudgetExceeded);
        assert!(err.to_string().contains("raise max_budget"), "{err}");
        budget.settle(first, Some(Decimal::new(1, 1)));
        assert_eq!(budget.spent(), Decimal::new(1, 1));
        let second = budget.reserve("m", Decimal::new(6, 1)).unwrap();
        budget.settle(second, None);
        assert_eq!(budget.spent(), Decimal::new(1, 1));
    }
}
