//! The one error type of the HTTP layer, and its single JSON shape ([`survey_schema::ApiError`]).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use survey_schema::{ApiError, LocalizedMessage};

/// Everything a handler can fail with.
///
/// Client errors carry their message in Indonesian and English. Database and internal errors are
/// logged in full and answered with a generic message: internal detail is never sent.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{code}: {en}")]
    Client {
        status: StatusCode,
        code: &'static str,
        en: String,
        id: String,
        /// Data a program acts on (sent as `details`); boxed to keep `Result`s small.
        details: Option<Box<serde_json::Value>>,
    },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// A 4xx with a stable code and a message in English and Indonesian.
    pub fn client(
        status: StatusCode,
        code: &'static str,
        en: impl Into<String>,
        id: impl Into<String>,
    ) -> Self {
        Self::Client {
            status,
            code,
            en: en.into(),
            id: id.into(),
            details: None,
        }
    }

    /// The same refusal with data for the program that sent the request.
    #[must_use]
    pub fn with_details(self, value: serde_json::Value) -> Self {
        match self {
            Self::Client {
                status,
                code,
                en,
                id,
                ..
            } => Self::Client {
                status,
                code,
                en,
                id,
                details: Some(Box::new(value)),
            },
            other => other,
        }
    }

    pub fn not_found(en: impl Into<String>, id: impl Into<String>) -> Self {
        Self::client(StatusCode::NOT_FOUND, "not_found", en, id)
    }

    pub fn bad_request(code: &'static str, en: impl Into<String>, id: impl Into<String>) -> Self {
        Self::client(StatusCode::BAD_REQUEST, code, en, id)
    }

    /// The status, code and messages (English, Indonesian) this error is answered with.
    pub fn parts(&self) -> (StatusCode, &'static str, String, String) {
        match self {
            Self::Client {
                status,
                code,
                en,
                id,
                ..
            } => (*status, code, en.clone(), id.clone()),
            _ if self.is_transient() => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "The service is busy or restarting; nothing was lost; try again shortly.".into(),
                "Layanan sedang sibuk atau dimulai ulang; tidak ada yang hilang; coba lagi sebentar lagi.".into(),
            ),
            Self::Database(sqlx::Error::Database(e)) if e.is_unique_violation() => (
                StatusCode::CONFLICT,
                "conflict",
                "This record already exists.".into(),
                "Data ini sudah ada.".into(),
            ),
            Self::Database(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_reference",
                "The record refers to something that does not exist.".into(),
                "Data merujuk ke sesuatu yang tidak ada.".into(),
            ),
            Self::Database(_) | Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "An internal error occurred; it has been logged.".into(),
                "Terjadi kesalahan internal; kesalahan ini telah dicatat.".into(),
            ),
        }
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
            Self::Client { .. } => false,
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
        let details = match &self {
            Self::Client { details, .. } => details.as_deref().cloned(),
            _ => None,
        };
        let body = ApiError {
            code: code.to_owned(),
            message: LocalizedMessage { id, en },
            details,
        };
        (status, Json(body)).into_response()
    }
}

impl From<tinjau_workflows::refusal::Refusal> for AppError {
    fn from(r: tinjau_workflows::refusal::Refusal) -> Self {
        use tinjau_workflows::refusal::RefusalKind as K;
        let status = match r.kind {
            K::BadRequest => StatusCode::BAD_REQUEST,
            K::Forbidden => StatusCode::FORBIDDEN,
            K::NotFound => StatusCode::NOT_FOUND,
            K::Conflict => StatusCode::CONFLICT,
            K::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            K::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            K::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            K::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            K::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
            K::Locked => StatusCode::LOCKED,
            K::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            K::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
        };
        Self::Client {
            status,
            code: r.code,
            en: r.en,
            id: r.id,
            details: r.details,
        }
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
