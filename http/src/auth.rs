//! Who is calling: the bearer token of a device (or the configured admin token) and the user
//! behind it, with the role and wilayah scope every endpoint checks.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
pub use tinjau_domain::caller::{CurrentUser, new_token, out_of_scope, token_digest};

use tinjau_domain::Message;

use crate::error::AppError;
use tinjau_workflows::AppState;

fn unauthorized() -> AppError {
    AppError::from(Message::Unauthorized {})
}

/// The caller of an API request, as its bearer token says: the extractor handlers take.
#[derive(Debug, Clone)]
pub struct Caller(pub CurrentUser);

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let request_id = parts
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(unauthorized)?;
        user_for_token(state, token, request_id)
            .await?
            .map(Caller)
            .ok_or_else(unauthorized)
    }
}

/// The user a device token (or the admin token) belongs to; `None` for an unknown or revoked one.
/// The bearer header and the OpenRosa path (`/v1/key/{token}/...`) both come here.
pub async fn user_for_token(
    state: &AppState,
    token: &str,
    request_id: Option<String>,
) -> Result<Option<CurrentUser>, AppError> {
    Ok(tinjau_workflows::accounts::user_for_token(state, token, request_id).await?)
}
