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
pub async fn by_token(pool: &PgPool, token_sha256: &str) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as!(
        UserRow,
        r#"WITH used AS (
               UPDATE device_token SET last_used_at = now()
                WHERE token_sha256 = $1 AND revoked_at IS NULL
                  AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
           )
           SELECT u.id, u.name, u.role, u.wilayah_kode AS "wilayah_kode: Kode"
             FROM device_token t JOIN app_user u ON u.id = t.user_id
            WHERE t.token_sha256 = $1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL"#,
        token_sha256
    )
    .fetch_optional(pool)
    .await
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
