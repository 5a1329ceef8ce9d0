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
    /// What a program needs to act on it, for some codes (e.g. the undecided proposals that keep a
    /// Kirim back, or the current version after a stale decision).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub details: Option<serde_json::Value>,
}
