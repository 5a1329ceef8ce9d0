//! Refusals as data: what a workflow answers when a request cannot be done, a [`Message`] of the
//! catalogue (its kind, its stable code, its words in Indonesian and English) with data for the
//! program that asked. Workflows (survey intake, review, forms) return these and know nothing of
//! HTTP; each adapter (the JSON API, OpenRosa, the pages, the CLI) renders them its own way.

use std::fmt;

use crate::messages::Message;

pub use crate::kind::RefusalKind;

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
