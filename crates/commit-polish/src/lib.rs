//! commit-polish: a git `prepare-commit-msg` hook that writes or polishes the
//! commit message from the staged diff with a local model (llamafile or
//! llama.cpp's server through the lmrelay SDK), and never blocks a commit.

pub mod config;
pub mod diff;
pub mod doctor;
pub mod error;
pub mod generate;
pub mod git;
pub mod hook;
pub mod install;
pub mod message;
pub mod prompt;
pub mod server;

pub use error::{Error, Result};
