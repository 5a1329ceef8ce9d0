//! Web sessions and the wrong-password runs that delay sign-in.

use crate::Kode;
use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::user::UserRow;

/// A live session's user and CSRF token.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub user: UserRow,
    pub csrf_token: String,
}

/// The password hash of an active account, by login name.
pub async fn password_of(
    pool: &PgPool,
    name: &str,
) -> Result<Option<(UserRow, Option<String>)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT id, name, role, wilayah_kode AS \"wilayah_kode: Kode\", password_hash FROM app_user
          WHERE name = $1 AND disabled_at IS NULL",
        name
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| {
        (
            UserRow {
                id: r.id,
                name: r.name,
                role: r.role,
                wilayah_kode: r.wilayah_kode,
            },
            r.password_hash,
        )
    }))
}

pub async fn create(
    pool: &PgPool,
    id_sha256: &str,
    user_id: i64,
    csrf_token: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO web_session (id_sha256, user_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4)",
        id_sha256,
        user_id,
        csrf_token,
        expires_at
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The session with this id hash, if it is neither expired nor revoked and its account active.
pub async fn live(pool: &PgPool, id_sha256: &str) -> Result<Option<SessionRow>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT u.id, u.name, u.role, u.wilayah_kode AS \"wilayah_kode: Kode\", s.csrf_token
           FROM web_session s JOIN app_user u ON u.id = s.user_id
          WHERE s.id_sha256 = $1 AND s.revoked_at IS NULL AND s.expires_at > now()
            AND u.disabled_at IS NULL",
        id_sha256
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| SessionRow {
        user: UserRow {
            id: r.id,
            name: r.name,
            role: r.role,
            wilayah_kode: r.wilayah_kode,
        },
        csrf_token: r.csrf_token,
    }))
}

pub async fn revoke(pool: &PgPool, id_sha256: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE web_session SET revoked_at = now() WHERE id_sha256 = $1 AND revoked_at IS NULL",
        id_sha256
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The run of wrong passwords for a login name: how many, and when the last was. A run ends an
/// hour after its last wrong password, so an old run does not keep a person waiting.
pub async fn failures(
    pool: &PgPool,
    name: &str,
) -> Result<Option<(i32, DateTime<Utc>)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT failures, last_at FROM sign_in_failure
          WHERE name = $1 AND last_at > now() - interval '1 hour'",
        name
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| (r.failures, r.last_at)))
}

pub async fn record_failure(pool: &PgPool, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO sign_in_failure (name, failures, last_at) VALUES ($1, 1, now())
         ON CONFLICT (name) DO UPDATE
            SET failures = CASE WHEN sign_in_failure.last_at > now() - interval '1 hour'
                                THEN sign_in_failure.failures + 1 ELSE 1 END,
                last_at = now()",
        name
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn clear_failures(pool: &PgPool, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM sign_in_failure WHERE name = $1", name)
        .execute(pool)
        .await?;
    Ok(())
}

/// Ends every live session of an account; returns how many.
pub async fn revoke_all_of(
    conn: impl sqlx::PgExecutor<'_>,
    user_id: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE web_session SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
        user_id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
