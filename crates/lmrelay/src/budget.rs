//! The SDK's budget guard: a `max_budget` in USD across the calls of one
//! client. A call is priced before it is sent (prompt tokens counted, plus
//! `max_tokens` or the model's largest completion) and refused with
//! BudgetExceeded if spend plus reservations plus this call would pass the
//! budget; afterwards the reservation is replaced by the real cost.

use std::sync::Mutex;

use rust_decimal::Decimal;

use crate::error::{Error, ErrorKind, Result};

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
