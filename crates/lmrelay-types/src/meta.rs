use rust_decimal::Decimal;

/// What the SDK knows about a response beyond its wire body (LiteLLM's
/// `_hidden_params`): never serialized, filled by the SDK after the call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResponseMeta {
    /// The model string the call asked for (`anthropic/claude-...`).
    pub requested_model: Option<String>,
    /// The provider that answered (`openai`, `llamafile`, ...).
    pub provider: Option<String>,
    /// The cost in USD, when the model's price is known (0 for local models).
    pub cost: Option<Decimal>,
    /// Whether the response came from the response cache.
    pub cache_hit: bool,
}
