//! The one error type of commit-polish.

/// What went wrong. In hook mode every one of these leaves the user's
/// message alone and becomes a `#` comment line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A config file or variable is wrong (the message names it and the fix).
    #[error("config: {0}")]
    Config(String),
    /// A git command failed.
    #[error("git: {0}")]
    Git(String),
    /// The model call failed.
    #[error("model: {0}")]
    Model(lmrelay::Error),
    /// The model answered, but no valid message came out of it.
    #[error("no valid message: {0}")]
    Invalid(String),
    /// Reading or writing a file failed.
    #[error("{0}")]
    Io(String),
    /// The hook's time budget ran out.
    #[error("gave up after the {0:.0} s time budget (hook.time_budget)")]
    Budget(f64),
}

impl From<lmrelay::Error> for Error {
    fn from(err: lmrelay::Error) -> Self {
        // Not a `#[source]`: the SDK's message already says everything, and a
        // source would print it twice in error chains.
        Self::Model(err)
    }
}

/// `Result` with commit-polish's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
