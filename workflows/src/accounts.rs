//! Accounts and device tokens, each change recorded in the audit trail with it.

use serde_json::json;
use sqlx::PgPool;

use crate::audit::{Actor, Change};
use crate::db;

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
    tx.commit().await?;
    Ok(revoked)
}
