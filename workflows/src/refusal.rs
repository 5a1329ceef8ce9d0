//! Why a workflow did not complete: refused (the caller's doing, a [`Refusal`] of the domain) or
//! failed (ours; logged).

pub use tinjau_domain::Message;
pub use tinjau_domain::refusal::{Refusal, RefusalKind};

/// Why a workflow did not complete: refused (the caller's doing), or failed (ours; logged).
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("{0}")]
    Refused(Refusal),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{0:#}")]
    Internal(#[from] anyhow::Error),
}

impl From<Refusal> for WorkflowError {
    fn from(r: Refusal) -> Self {
        Self::Refused(r)
    }
}

impl From<Message> for WorkflowError {
    fn from(m: Message) -> Self {
        Self::Refused(m.into())
    }
}

/// Shorthand for a refusal as an `Err`.
pub fn refuse<T>(message: Message) -> Result<T, WorkflowError> {
    Err(WorkflowError::Refused(message.into()))
}
