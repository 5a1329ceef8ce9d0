//! Accounts and device tokens, each change recorded in the audit trail with it.

pub mod admin;
pub mod token_cache;

use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use survey_schema::{Role, WilayahKode};
use tinjau_domain::CurrentUser;

use crate::app::AppState;
use crate::audit::{Actor, Change};
use crate::db;
use crate::refusal::WorkflowError;

/// Creates an account; returns its id.
pub async fn create_user(
    pool: &PgPool,
    actor: &Actor,
    name: &str,
    role: &str,
    wilayah: Option<&str>,
    password_hash: Option<&str>,
) -> Result<i64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let id = db::user::create(&mut *tx, name, role, wilayah, password_hash).await?;
    let change = Change::new(id.to_string()).after(json!({
        "name": name,
        "role": role,
        "wilayah": wilayah,
        "password": password_hash.is_some(),
    }));
    crate::audit::record(&mut tx, actor, "user.create", "user", vec![change]).await?;
    tx.commit().await?;
    Ok(id)
}

/// Makes an opd account the planner of one agency (recorded).
pub async fn set_opd(
    pool: &PgPool,
    actor: &Actor,
    user_id: i64,
    opd_id: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    db::opd::set_member(&mut tx, user_id, opd_id).await?;
    let change = Change::new(user_id.to_string()).after(json!({ "opd": opd_id }));
    crate::audit::record(&mut tx, actor, "user.opd", "user", vec![change]).await?;
    tx.commit().await?;
    Ok(())
}

/// Puts a surveyor in a team (the camat assigns work to teams), or out of any (recorded).
pub async fn set_team(
    pool: &PgPool,
    actor: &Actor,
    user_id: i64,
    team: Option<&str>,
) -> Result<(), WorkflowError> {
    let team = team.map(str::trim).filter(|t| !t.is_empty());
    if let Some(t) = team {
        tinjau_domain::text::check_text("team", t, 64)?;
    }
    let mut tx = pool.begin().await?;
    db::field_work::set_team(&mut tx, user_id, team).await?;
    let change = Change::new(user_id.to_string()).after(json!({ "team": team }));
    crate::audit::record(&mut tx, actor, "user.team", "user", vec![change]).await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces an account's password (its argon2id hash); recorded, the hash itself is not.
pub async fn set_password(
    pool: &PgPool,
    actor: &Actor,
    user_id: i64,
    password_hash: &str,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    db::user::set_password(&mut *tx, user_id, password_hash).await?;
    let change = Change::new(user_id.to_string()).after(json!({"password": true}));
    crate::audit::record(&mut tx, actor, "user.password", "user", vec![change]).await?;
    tx.commit().await?;
    Ok(())
}

/// Stores a new device token's hash; returns the token row's id. The token itself is never stored
/// or recorded.
pub async fn issue_token(
    pool: &PgPool,
    actor: &Actor,
    user_id: i64,
    token_sha256: &str,
    label: &str,
) -> Result<i64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let id = db::user::add_token(&mut *tx, user_id, token_sha256, label).await?;
    let change = Change::new(id.to_string()).after(json!({"user_id": user_id, "label": label}));
    crate::audit::record(&mut tx, actor, "token.issue", "token", vec![change]).await?;
    tx.commit().await?;
    Ok(id)
}

/// Revokes one token or all of a user's; returns how many.
pub async fn revoke_tokens(
    pool: &PgPool,
    tokens: &token_cache::TokenCache,
    actor: &Actor,
    user_id: i64,
    token_id: Option<i64>,
) -> Result<u64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let revoked = db::user::revoke(&mut *tx, user_id, token_id).await?;
    if revoked > 0 {
        let change =
            Change::new(token_id.map_or_else(|| format!("user:{user_id}"), |t| t.to_string()))
                .after(json!({"user_id": user_id, "token_id": token_id, "revoked": revoked}));
        crate::audit::record(&mut tx, actor, "token.revoke", "token", vec![change]).await?;
    }
    let committed = tx.commit().await;
    // Refused by this server from the next request on (also when the commit's answer was lost,
    // which may hide a commit); other servers hear of it by NOTIFY.
    tokens.forget_all();
    committed?;
    Ok(revoked)
}

/// The user a device token (or the admin token) belongs to; `None` for an unknown or revoked one.
/// The bearer header and the OpenRosa path (`/v1/key/{token}/...`) both come here.
pub async fn user_for_token(
    state: &AppState,
    token: &str,
    request_id: Option<String>,
) -> Result<Option<CurrentUser>, WorkflowError> {
    let token = token.trim();
    if token.is_empty() {
        return Ok(None);
    }
    let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
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
    let row = if let Some(row) = state.tokens.get(&digest) {
        row
    } else {
        let ticket = state.tokens.ticket();
        let Some(row) = db::user::by_token(&state.pool, &hex::encode(digest)).await? else {
            return Ok(None);
        };
        state.tokens.keep(ticket, digest, row.clone());
        row
    };
    let role = row
        .role
        .parse::<Role>()
        .map_err(|e| WorkflowError::Internal(anyhow::anyhow!("user {}: {e}", row.name)))?;
    let scope = row.wilayah_kode.clone().map(WilayahKode::from);
    Ok(Some(CurrentUser {
        id: Some(row.id),
        name: row.name,
        role,
        scope,
        request_id,
    }))
}

/// An active account as stored, found by its name.
pub use crate::db::user::UserRow;

/// The active account named `name`, if any.
pub async fn user_by_name(pool: &PgPool, name: &str) -> Result<Option<UserRow>, WorkflowError> {
    Ok(db::user::by_name(pool, name).await?)
}
