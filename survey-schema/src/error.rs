//! The one error shape every failing endpoint returns.

use serde::{Deserialize, Serialize};

/// A message a person reads, in Indonesian and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LocalizedMessage {
    /// Bahasa Indonesia.
    pub id: String,
    /// English.
    pub en: String,
}

/// Body of every 4xx/5xx response.
///
/// `code` is stable and meant for programs; `message` is for people. Internal detail (SQL, paths,
/// stack traces) is logged on the server and never sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    /// Stable machine-readable code, e.g. `not_found`, `invalid_kode`.
    pub code: String,
    /// What went wrong, for a person.
    pub message: LocalizedMessage,
}
