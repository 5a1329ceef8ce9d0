//! The one error type of the HTTP layer, and its single JSON shape ([`survey_schema::ApiError`]).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use survey_schema::{ApiError, LocalizedMessage};
use tinjau_domain::Message;
use tinjau_domain::refusal::{Refusal, RefusalKind};

/// Everything a handler can fail with.
///
/// A refusal carries a message of the catalogue (`tinjau_domain::messages`), in Indonesian and
/// English. Database and internal errors are logged in full and answered with the catalogue's
/// generic message: internal detail is never sent.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Refused(Refusal),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

/// The HTTP status of a kind of refusal.
pub fn status_of(kind: RefusalKind) -> StatusCode {
    match kind {
        RefusalKind::BadRequest => StatusCode::BAD_REQUEST,
        RefusalKind::Unauthorized => StatusCode::UNAUTHORIZED,
        RefusalKind::Forbidden => StatusCode::FORBIDDEN,
        RefusalKind::NotFound => StatusCode::NOT_FOUND,
        RefusalKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        RefusalKind::Conflict => StatusCode::CONFLICT,
        RefusalKind::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
        RefusalKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        RefusalKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
        RefusalKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        RefusalKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        RefusalKind::Locked => StatusCode::LOCKED,
        RefusalKind::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        RefusalKind::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
        RefusalKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        RefusalKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl AppError {
    /// The message this error is answered with, and its data for the program, if any.
    fn message(&self) -> (Message, Option<&serde_json::Value>) {
        match self {
            Self::Refused(r) => (r.message().clone(), r.details()),
            _ if self.is_transient() => (Message::Unavailable {}, None),
            Self::Database(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                (Message::AlreadyExists {}, None)
            }
            Self::Database(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
                (Message::UnknownReference {}, None)
            }
            Self::Database(_) | Self::Internal(_) => (Message::Internal {}, None),
        }
    }

    /// The status, code and messages (English, Indonesian) this error is answered with.
    pub fn parts(&self) -> (StatusCode, &'static str, String, String) {
        let (message, _) = self.message();
        (
            status_of(message.kind()),
            message.code(),
            message.en(),
            message.id(),
        )
    }
}

/// Whether a database error is the connection's or the server's state, not the request's: the
/// pool has no free connection, the connection broke or was closed by a restart, or the database
/// refused a transaction it would take on a second try. Such a request changed nothing (its
/// transaction did not commit) and the same request later can succeed, so it is answered 503 with
/// `Retry-After`, which every client retries, never 500.
pub fn is_transient(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // 08: connection exception; 57P01-03: admin or crash shutdown, cannot connect now;
            // 53300: too many connections; 40001/40P01: serialization failure, deadlock.
            code.starts_with("08")
                || matches!(
                    code.as_ref(),
                    "57P01" | "57P02" | "57P03" | "53300" | "40001" | "40P01"
                )
        }),
        _ => false,
    }
}

impl AppError {
    /// Whether this failed on a transient database condition (see [`is_transient`]), directly or
    /// as the cause of an internal error.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Refused(_) => false,
            Self::Database(e) => is_transient(e),
            Self::Internal(e) => e.chain().any(|cause| {
                cause
                    .downcast_ref::<sqlx::Error>()
                    .is_some_and(is_transient)
            }),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, en, id) = self.parts();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        } else {
            tracing::debug!(error = %self, "request refused");
        }
        let details = self.message().1.cloned();
        let body = ApiError {
            code: code.to_owned(),
            message: LocalizedMessage { id, en },
            details,
        };
        (status, Json(body)).into_response()
    }
}

impl From<Refusal> for AppError {
    fn from(r: Refusal) -> Self {
        Self::Refused(r)
    }
}

impl From<Message> for AppError {
    fn from(m: Message) -> Self {
        Self::Refused(m.into())
    }
}

impl From<tinjau_workflows::refusal::WorkflowError> for AppError {
    fn from(e: tinjau_workflows::refusal::WorkflowError) -> Self {
        use tinjau_workflows::refusal::WorkflowError as W;
        match e {
            W::Refused(r) => r.into(),
            W::Database(e) => Self::Database(e),
            W::Internal(e) => Self::Internal(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_detail_is_not_in_the_body() {
        let err = AppError::Internal(anyhow::anyhow!("password=hunter2 at /srv/secret"));
        let (status, code, en, id) = err.parts();
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(code, "internal");
        assert!(!en.contains("hunter2") && !id.contains("hunter2"));
    }

    #[test]
    fn pool_timeout_is_a_503() {
        let (status, ..) = AppError::Database(sqlx::Error::PoolTimedOut).parts();
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    }

    #[test]
    fn a_broken_connection_is_a_503_also_inside_an_internal_error() {
        let reset = || {
            sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "connection reset by peer",
            ))
        };
        assert_eq!(
            AppError::Database(reset()).parts().0,
            StatusCode::SERVICE_UNAVAILABLE
        );
        let wrapped = AppError::Internal(anyhow::Error::from(reset()).context("storing a survey"));
        assert_eq!(wrapped.parts().0, StatusCode::SERVICE_UNAVAILABLE);
        let other = AppError::Database(sqlx::Error::RowNotFound);
        assert_eq!(other.parts().0, StatusCode::INTERNAL_SERVER_ERROR);
    }
}
