//! The `app_user` and `device_token` tables: accounts and their bearer tokens.

use crate::Kode;
use sqlx::{PgExecutor, PgPool};

/// An account, as authentication sees it.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub wilayah_kode: Option<Kode>,
}

pub async fn create(
    pool: impl PgExecutor<'_>,
    name: &str,
    role: &str,
    wilayah: Option<&str>,
    password_hash: Option<&str>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO app_user (name, role, wilayah_kode, password_hash) VALUES ($1, $2, $3, $4) RETURNING id",
        name,
        role,
        wilayah,
        password_hash
    )
    .fetch_one(pool)
    .await
}

pub async fn by_name(pool: &PgPool, name: &str) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as!(
        UserRow,
        r#"SELECT id, name, role, wilayah_kode AS "wilayah_kode: Kode" FROM app_user WHERE name = $1 AND disabled_at IS NULL"#,
        name
    )
    .fetch_optional(pool)
    .await
}

pub async fn set_password(
    pool: impl PgExecutor<'_>,
    user_id: i64,
    password_hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE app_user SET password_hash = $2 WHERE id = $1",
        user_id,
        password_hash
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Stores a new token's hash for a user; returns the token row's id.
pub async fn add_token(
    pool: impl PgExecutor<'_>,
    user_id: i64,
    token_sha256: &str,
    label: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO device_token (user_id, token_sha256, label) VALUES ($1, $2, $3) RETURNING id",
        user_id,
        token_sha256,
        label
    )
    .fetch_one(pool)
    .await
}

/// The active account holding a token (by the token's hash), noting its use at most once a minute.
/// A read, and a write only when the use noted is a minute old: the token is read on every
/// request, and an UPDATE even of no row costs each request a plan that writes.
pub async fn by_token(pool: &PgPool, token_sha256: &str) -> Result<Option<UserRow>, sqlx::Error> {
    let Some(row) = sqlx::query!(
        r#"SELECT u.id, u.name, u.role, u.wilayah_kode AS "wilayah_kode: Kode", t.id AS token_id,
                  (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute') AS "stale!"
             FROM device_token t JOIN app_user u ON u.id = t.user_id
            WHERE t.token_sha256 = $1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL"#,
        token_sha256
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    if row.stale {
        sqlx::query!(
            "UPDATE device_token SET last_used_at = now()
              WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
            row.token_id
        )
        .execute(pool)
        .await?;
    }
    Ok(Some(UserRow {
        id: row.id,
        name: row.name,
        role: row.role,
        wilayah_kode: row.wilayah_kode,
    }))
}

/// Revokes tokens: one by id, or every token of a user; returns how many were revoked.
pub async fn revoke(
    pool: impl PgExecutor<'_>,
    user_id: i64,
    token_id: Option<i64>,
) -> Result<u64, sqlx::Error> {
    let result = sqlx::query!(
        "UPDATE device_token SET revoked_at = now()
          WHERE user_id = $1 AND revoked_at IS NULL AND ($2::int8 IS NULL OR id = $2)",
        user_id,
        token_id
    )
    .execute(pool)
    .await?;
    Ok(result.rows_affected())
}

/// An account as an admin sees it.
#[derive(Debug, Clone)]
pub struct AccountRow {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub wilayah_kode: Option<Kode>,
    /// The area's name.
    pub wilayah: Option<String>,
    pub team: Option<String>,
    /// For an agency's planner: the agency's register kode.
    pub opd: Option<String>,
    pub has_password: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub disabled_at: Option<chrono::DateTime<chrono::Utc>>,
    pub active_tokens: i64,
    /// When a token or a session of the account was last used or begun.
    pub last_seen_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Accounts whose name, area code or area name holds `search` (lower case), of `role`, enabled
/// or disabled as asked; by name.
pub async fn list(
    pool: &PgPool,
    search: Option<&str>,
    role: Option<&str>,
    disabled: Option<bool>,
) -> Result<Vec<AccountRow>, sqlx::Error> {
    accounts(pool, None, search, role, disabled).await
}

/// One account, enabled or not.
pub async fn account(pool: &PgPool, user_id: i64) -> Result<Option<AccountRow>, sqlx::Error> {
    Ok(accounts(pool, Some(user_id), None, None, None).await?.pop())
}

async fn accounts(
    pool: &PgPool,
    user_id: Option<i64>,
    search: Option<&str>,
    role: Option<&str>,
    disabled: Option<bool>,
) -> Result<Vec<AccountRow>, sqlx::Error> {
    sqlx::query_as!(
        AccountRow,
        r#"SELECT u.id, u.name, u.role, u.wilayah_kode AS "wilayah_kode: Kode", w.nama AS "wilayah?",
                  u.team, o.kode AS "opd?", u.password_hash IS NOT NULL AS "has_password!",
                  u.created_at, u.disabled_at,
                  (SELECT count(*) FROM device_token t WHERE t.user_id = u.id AND t.revoked_at IS NULL) AS "active_tokens!",
                  GREATEST((SELECT max(last_used_at) FROM device_token t WHERE t.user_id = u.id),
                           (SELECT max(created_at) FROM web_session s WHERE s.user_id = u.id)) AS last_seen_at
             FROM app_user u
             LEFT JOIN wilayah w ON w.kode = u.wilayah_kode
             LEFT JOIN opd_member m ON m.user_id = u.id
             LEFT JOIN opd o ON o.id = m.opd_id
            WHERE ($1::text IS NULL OR lower(u.name) LIKE '%' || $1 || '%'
                   OR coalesce(u.wilayah_kode, '') LIKE $1 || '%' OR lower(coalesce(w.nama, '')) LIKE '%' || $1 || '%')
              AND ($2::text IS NULL OR u.role = $2)
              AND ($3::bool IS NULL OR (u.disabled_at IS NOT NULL) = $3)
              AND ($4::int8 IS NULL OR u.id = $4)
            ORDER BY u.name"#,
        search,
        role,
        disabled,
        user_id
    )
    .fetch_all(pool)
    .await
}

/// A device token as an admin sees it (never the token itself).
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: i64,
    pub label: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// An account's tokens, newest first.
pub async fn tokens(pool: &PgPool, user_id: i64) -> Result<Vec<TokenRow>, sqlx::Error> {
    sqlx::query_as!(
        TokenRow,
        "SELECT id, label, created_at, last_used_at, revoked_at FROM device_token
          WHERE user_id = $1 ORDER BY id DESC",
        user_id
    )
    .fetch_all(pool)
    .await
}

/// Disables an account (now) or enables it.
pub async fn set_disabled(
    pool: impl PgExecutor<'_>,
    user_id: i64,
    disabled: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE app_user SET disabled_at = CASE WHEN $2 THEN now() END WHERE id = $1",
        user_id,
        disabled
    )
    .execute(pool)
    .await?;
    Ok(())
}
