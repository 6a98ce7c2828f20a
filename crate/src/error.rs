//! The core's one error type: what can go wrong in a [`crate::Lake`] call after the input was
//! accepted (bad input itself is never an error: it is quarantined and counted, see `ingest`).
//! Its `Display` is the message shown to users, by the CLI and, through the bindings, as a JS
//! `Error`.

use std::fmt;

/// Everything that can go wrong in a lake call; its `Display` is the message shown to users (CLI
/// and JS alike).
#[derive(Debug, PartialEq)]
pub enum Error {
    /// An output, table or report was asked for before [`crate::Lake::run`] (or after new input).
    NotRun,
    /// No output has this path (see [`crate::Output::path`]).
    UnknownOutput(String),
    /// No table has this name (see [`crate::catalog::TableId::name`]).
    UnknownTable(String),
    /// Writing an output failed: the sink's or the writer's message.
    Write(String),
    /// A derived table would exceed the row limit (nothing was built).
    TooManyRows(crate::rules::RowLimit),
    /// Bytes given to [`crate::Lake::append_exported`] are not an export of this build.
    Import(String),
    /// A presigned-transfer manifest breaks a rule of `docs/manifest.md` (the message names the
    /// field, never a URL), or an output outgrows what it signed.
    Manifest(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotRun => write!(f, "no results yet: run the pipeline first"),
            Error::UnknownOutput(p) => write!(f, "no output named '{p}' (see the list of outputs)"),
            Error::UnknownTable(t) => write!(f, "no table named '{t}'"),
            Error::Write(e) => write!(f, "could not write output: {e}"),
            Error::TooManyRows(e) => write!(f, "{e}"),
            Error::Import(e) | Error::Manifest(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {}

/// `Result` with the core's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
