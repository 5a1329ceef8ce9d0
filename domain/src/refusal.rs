//! Refusals as data: what a workflow answers when a request cannot be done, with its kind, a stable
//! code and the message in Indonesian and English. Workflows (survey intake, review, forms) return
//! these and know nothing of HTTP; each adapter (the JSON API, OpenRosa, the pages, the CLI) renders
//! them its own way.

use std::fmt;

/// What kind of refusal: decides the HTTP status and the CLI's wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// Malformed input (400).
    BadRequest,
    /// The caller may not do this (403).
    Forbidden,
    /// No such thing (404).
    NotFound,
    /// It clashes with what is stored (409).
    Conflict,
    /// A precondition header is stale (412).
    PreconditionFailed,
    /// Larger than allowed (413).
    TooLarge,
    /// Too many attempts; wait (429).
    TooManyRequests,
    /// Not a kind of content taken here (415).
    UnsupportedMediaType,
    /// Well-formed but not acceptable (422).
    Unprocessable,
    /// Too slow: the request outlived its deadline (408).
    RequestTimeout,
    /// Locked: sent up with Kirim (423).
    Locked,
    /// A precondition header is missing (428).
    PreconditionRequired,
}

/// A refusal of a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub kind: RefusalKind,
    pub code: &'static str,
    pub en: String,
    pub id: String,
    /// Boxed: refusals travel in `Result`s, which should stay small.
    pub details: Option<Box<serde_json::Value>>,
}

impl Refusal {
    pub fn new(
        kind: RefusalKind,
        code: &'static str,
        en: impl Into<String>,
        id: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            code,
            en: en.into(),
            id: id.into(),
            details: None,
        }
    }

    #[must_use]
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(Box::new(details));
        self
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.en, self.code)
    }
}
