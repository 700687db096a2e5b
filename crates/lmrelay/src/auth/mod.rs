//! Credentials that need an exchange before a call: Google service accounts
//! (Vertex AI). Building and reading the exchange is pure; the client sends
//! it through the one HTTP layer and caches the token.

pub mod google;
pub(crate) mod vertex;
