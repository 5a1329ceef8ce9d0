//! Refusals as data: what a workflow answers when a request cannot be done, a [`Message`] of the
//! catalogue (its kind, its stable code, its words in Indonesian and English) with data for the
//! program that asked. Workflows (survey intake, review, forms) return these and know nothing of
//! HTTP; each adapter (the JSON API, OpenRosa, the pages, the CLI) renders them its own way.

use std::fmt;

use crate::messages::Message;

/// What kind of refusal: decides the HTTP status and the CLI's wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// Malformed input (400).
    BadRequest,
    /// No valid credentials (401).
    Unauthorized,
    /// The method is not one the endpoint takes (405).
    MethodNotAllowed,
    /// The server cannot answer for a moment; nothing was changed (503).
    Unavailable,
    /// Ours, not the caller's: logged, answered without detail (500).
    Internal,
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

/// A refusal of a request: a message of the catalogue, and data for the program that asked.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    message: Message,
    /// Boxed: refusals travel in `Result`s, which should stay small.
    details: Option<Box<serde_json::Value>>,
}

impl Refusal {
    pub fn kind(&self) -> RefusalKind {
        self.message.kind()
    }

    pub fn code(&self) -> &'static str {
        self.message.code()
    }

    /// The words in English.
    pub fn en(&self) -> String {
        self.message.en()
    }

    /// The words in Indonesian.
    pub fn id(&self) -> String {
        self.message.id()
    }

    pub fn message(&self) -> &Message {
        &self.message
    }

    pub fn details(&self) -> Option<&serde_json::Value> {
        self.details.as_deref()
    }

    /// The data, taken.
    pub fn into_details(self) -> Option<Box<serde_json::Value>> {
        self.details
    }

    #[must_use]
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(Box::new(details));
        self
    }
}

impl From<Message> for Refusal {
    fn from(message: Message) -> Self {
        Self {
            message,
            details: None,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.en(), self.code())
    }
}
