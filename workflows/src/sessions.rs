//! Signing in to the pages: the accounts' argon2 passwords, a server-side session (which the pages
//! keep behind an HttpOnly, SameSite=Strict cookie), a CSRF token per session for every form that
//! changes something, and a growing delay after repeated wrong passwords.

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use survey_schema::{Role, WilayahKode};

use tinjau_domain::CurrentUser;

use crate::app::AppState;
use crate::db;
use crate::refusal::{Message, Refusal, WorkflowError, refuse};

/// How long a session lives.
pub const LIFETIME: Duration = Duration::hours(12);
/// Wrong passwords allowed in a row before the delay starts.
const FREE_FAILURES: i32 = 5;

/// 256 random bits, hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn digest(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

/// Compares two secrets in constant time.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A signed-in person: the user as the API sees it, and the session's CSRF token.
#[derive(Debug, Clone)]
pub struct WebSession {
    pub user: CurrentUser,
    pub csrf: String,
    /// The cookie's value (to revoke it on sign-out).
    pub id: String,
}

fn current_user(row: db::user::UserRow) -> Result<CurrentUser, WorkflowError> {
    let role = row
        .role
        .parse::<Role>()
        .map_err(|e| anyhow::anyhow!("user {}: {e}", row.name))?;
    let scope = row.wilayah_kode.clone().map(WilayahKode::from);
    Ok(CurrentUser {
        id: Some(row.id),
        name: row.name,
        role,
        scope,
        request_id: None,
    })
}

/// The live session a cookie names, if any.
pub async fn from_cookie(state: &AppState, id: &str) -> Result<Option<WebSession>, WorkflowError> {
    if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let Some(row) = db::session::live(&state.pool, &digest(id)).await? else {
        return Ok(None);
    };
    Ok(Some(WebSession {
        user: current_user(row.user)?,
        csrf: row.csrf_token,
        id: id.to_owned(),
    }))
}

/// How long to wait after `failures` wrong passwords in a row: nothing for the first five, then 30
/// seconds, doubling, at most 15 minutes.
///
/// ```
/// # use tinjau_workflows::sessions::delay_after;
/// assert_eq!(delay_after(4).num_seconds(), 0);
/// assert_eq!(delay_after(5).num_seconds(), 30);
/// assert_eq!(delay_after(6).num_seconds(), 60);
/// assert_eq!(delay_after(40).num_seconds(), 900);
/// ```
pub fn delay_after(failures: i32) -> Duration {
    if failures < FREE_FAILURES {
        return Duration::zero();
    }
    let doublings = u32::try_from(failures - FREE_FAILURES).unwrap_or(0).min(10);
    Duration::seconds((30_i64 << doublings).min(900))
}

fn wrong() -> WorkflowError {
    Refusal::from(Message::WrongPassword {}).into()
}

/// Checks a name and password; on success opens a session and returns its cookie value.
pub async fn sign_in(
    state: &AppState,
    name: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>), WorkflowError> {
    let name = name.trim();
    if let Some((failures, last)) = db::session::failures(&state.pool, name).await? {
        let until = last + delay_after(failures);
        if until > now {
            let seconds = (until - now).num_seconds().max(1);
            return refuse(Message::LockedOut { seconds });
        }
    }
    let found = db::session::password_of(&state.pool, name).await?;
    let Some((user, Some(hash))) = found else {
        // The same work as a real check, so a missing account takes as long as a wrong password.
        let _ = verify(password.to_owned(), DUMMY_HASH.to_owned()).await;
        db::session::record_failure(&state.pool, name).await?;
        return Err(wrong());
    };
    if !verify(password.to_owned(), hash).await? {
        db::session::record_failure(&state.pool, name).await?;
        return Err(wrong());
    }
    db::session::clear_failures(&state.pool, name).await?;
    let id = random_token();
    let expires = now + LIFETIME;
    db::session::create(&state.pool, &digest(&id), user.id, &random_token(), expires).await?;
    Ok((id, expires))
}

/// An argon2id hash of nothing anyone types, for the timing of unknown names.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$J2DmgFbB8M3SMJzMSsGXs6UG1w1oY4r6cGpSh2XG5T0";

/// At most this many password checks at once: each is an argon2 run of about 19 MiB, and a flood
/// of sign-ins with invented names must not take the server's memory.
static VERIFYING: std::sync::LazyLock<tokio::sync::Semaphore> =
    std::sync::LazyLock::new(|| tokio::sync::Semaphore::new(4));

async fn verify(password: String, hash: String) -> Result<bool, WorkflowError> {
    use argon2::PasswordVerifier as _;
    let _permit = VERIFYING
        .acquire()
        .await
        .map_err(|e| WorkflowError::Internal(anyhow::anyhow!("password checks closed: {e}")))?;
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = argon2::PasswordHash::new(&hash) else {
            return false;
        };
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
    .await
    .map_err(|e| WorkflowError::Internal(anyhow::anyhow!("verifying a password: {e}")))
}

/// Ends a session on the server: its cookie opens nothing any more.
pub async fn sign_out(state: &AppState, id: &str) -> Result<(), WorkflowError> {
    db::session::revoke(&state.pool, &digest(id)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
        assert!(!same_secret("", "a"));
    }

    #[test]
    fn tokens_are_256_random_bits() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
