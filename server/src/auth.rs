//! Who is calling: the bearer token of a device (or the configured admin token) and the user
//! behind it, with the role and wilayah scope every endpoint checks.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use rand::RngCore;
use sha2::{Digest, Sha256};
use survey_schema::{Role, WilayahKode};

use crate::audit::Actor;
use crate::db;
use crate::error::AppError;
use crate::refusal::{Refusal, RefusalKind};
use crate::startup::AppState;

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: Option<i64>,
    pub name: String,
    pub role: Role,
    /// `None`: everything (admin, city-wide planning desk).
    pub scope: Option<WilayahKode>,
    /// The request's id (`x-request-id`), recorded with what the request changes.
    pub request_id: Option<String>,
}

impl CurrentUser {
    /// Whether the caller may see data of `kode` (an area inside its scope, or the scope itself).
    pub fn covers(&self, kode: &WilayahKode) -> bool {
        match &self.scope {
            None => true,
            Some(scope) => scope == kode || scope.contains(kode),
        }
    }

    /// The operator at the command line: an admin over everything.
    pub fn cli() -> Self {
        let actor = Actor::cli();
        Self {
            id: None,
            name: actor.name,
            role: Role::Admin,
            scope: None,
            request_id: None,
        }
    }

    /// Who this is, for the audit trail.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.id,
            name: self.name.clone(),
            role: self.role.as_str().to_owned(),
            request_id: self.request_id.clone(),
        }
    }

    /// 403 unless the caller may see `kode`.
    pub fn require_covers(&self, kode: &WilayahKode) -> Result<(), Refusal> {
        if self.covers(kode) {
            Ok(())
        } else {
            Err(out_of_scope(kode))
        }
    }

    /// 403 unless the caller has one of `roles`.
    pub fn require_role(&self, roles: &[Role]) -> Result<(), Refusal> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            let allowed: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Err(Refusal::new(
                RefusalKind::Forbidden,
                "forbidden",
                format!(
                    "This needs the role {}; you are {}.",
                    allowed.join(" or "),
                    self.role
                ),
                format!(
                    "Tindakan ini memerlukan peran {}; peran Anda {}.",
                    allowed.join(" atau "),
                    self.role
                ),
            ))
        }
    }
}

pub fn out_of_scope(kode: &WilayahKode) -> Refusal {
    Refusal::new(
        RefusalKind::Forbidden,
        "out_of_scope",
        format!("{kode} is outside the area your account covers."),
        format!("{kode} berada di luar wilayah akun Anda."),
    )
}

fn unauthorized() -> AppError {
    AppError::client(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "A valid token is required (Authorization: Bearer ...).",
        "Diperlukan token yang sah (Authorization: Bearer ...).",
    )
}

/// SHA-256 of a token, hex: what is stored and looked up.
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// A new random device token: `tjau_` and 64 hex digits (256 bits).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("tjau_{}", hex::encode(bytes))
}

impl FromRequestParts<AppState> for CurrentUser {
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
    let token = token.trim();
    if token.is_empty() {
        return Ok(None);
    }
    let digest = Sha256::digest(token.as_bytes());
    if let Some(admin) = &state.admin_token_sha256
        && digest
            .iter()
            .zip(admin.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    {
        return Ok(Some(CurrentUser {
            id: None,
            name: "admin-token".into(),
            role: Role::Admin,
            scope: None,
            request_id,
        }));
    }
    let Some(row) = db::user::by_token(&state.pool, &hex::encode(digest)).await? else {
        return Ok(None);
    };
    let role = row
        .role
        .parse::<Role>()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("user {}: {e}", row.name)))?;
    let scope = row
        .wilayah_kode
        .as_deref()
        .map(WilayahKode::parse)
        .transpose()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("user {}: {e}", row.name)))?;
    Ok(Some(CurrentUser {
        id: Some(row.id),
        name: row.name,
        role,
        scope,
        request_id,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_covers_its_own_area_and_what_lies_inside() {
        let camat = CurrentUser {
            id: Some(1),
            name: "c".into(),
            role: Role::Camat,
            scope: Some("31.71.01".parse().unwrap()),
            request_id: None,
        };
        assert!(camat.covers(&"31.71.01".parse().unwrap()));
        assert!(camat.covers(&"31.71.01.1003".parse().unwrap()));
        assert!(!camat.covers(&"31.71.02.1001".parse().unwrap()));
        assert!(!camat.covers(&"31.71".parse().unwrap()));
        assert!(camat.require_role(&[Role::Admin]).is_err());
    }

    #[test]
    fn tokens_are_random_and_only_their_digest_is_kept() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(a.starts_with("tjau_") && a.len() == 69);
        assert_eq!(token_digest(&a).len(), 64);
        assert_ne!(token_digest(&a), token_digest(&b));
    }
}
