//! Managing accounts, as an admin does from the pages and the console alike: list and search,
//! create with a role and an area, reset a password (the account's sessions end), disable and
//! enable (a disabled account's tokens and sessions stop at once), issue and revoke device tokens.
//! Every change is in the audit trail.

use serde_json::json;
use sqlx::PgPool;
use survey_schema::{Role, WilayahKode, WilayahLevel};
use tinjau_domain::messages::{Both, Message};

use crate::audit::{Actor, Change};
use crate::db;
use crate::refusal::{WorkflowError, refuse};

/// The fewest characters a password may have.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// An account to create.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub name: String,
    pub role: Role,
    pub wilayah: Option<WilayahKode>,
    /// A password for the web pages; `None` for an account that only uses device tokens.
    pub password: Option<String>,
    /// For an opd account: the agency (register kode) it plans for.
    pub opd: Option<String>,
}

/// What an account needs as its area, in both languages.
fn scope_needed(role: Role) -> Both {
    let (id, en) = match role {
        Role::Admin => (
            "tanpa wilayah (admin melihat semuanya)",
            "no area (an admin sees everything)",
        ),
        Role::Camat | Role::Surveyor => {
            ("kode kecamatan (PP.KK.CC)", "a kecamatan code (PP.KK.CC)")
        }
        Role::Lurah => (
            "kode kelurahan (PP.KK.CC.DDDD)",
            "a kelurahan code (PP.KK.CC.DDDD)",
        ),
        Role::Opd => (
            "kode kota atau provinsi, atau kosong untuk seluruh kota",
            "a kota or provinsi code, or none for the whole city",
        ),
    };
    Both {
        id: id.to_owned(),
        en: en.to_owned(),
    }
}

/// Hashes a password with argon2id (refused when shorter than [`MIN_PASSWORD_CHARS`]).
pub fn hash_password(password: &str) -> Result<String, WorkflowError> {
    use argon2::PasswordHasher as _;
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return refuse(Message::PasswordTooShort {
            min: MIN_PASSWORD_CHARS,
        });
    }
    let mut salt_bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut salt_bytes);
    let salt = argon2::password_hash::SaltString::encode_b64(&salt_bytes)
        .map_err(|e| WorkflowError::Internal(anyhow::anyhow!("making a salt: {e}")))?;
    Ok(argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| WorkflowError::Internal(anyhow::anyhow!("hashing a password: {e}")))?
        .to_string())
}

/// Creates an account (and, for an agency's planner, its agency); returns its id.
pub async fn add_account(
    pool: &PgPool,
    actor: &Actor,
    new: &NewAccount,
) -> Result<i64, WorkflowError> {
    if !new.role.accepts_scope(new.wilayah.as_ref()) {
        return refuse(Message::AccountScope {
            role: new.role,
            needs: scope_needed(new.role),
        });
    }
    let agency = match new.opd.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        None => None,
        Some(_) if new.role != Role::Opd => return refuse(Message::AgencyForPlannersOnly {}),
        Some(kode) => {
            let register = crate::trilateral::register::Register::load(pool).await?;
            match register.by_kode(kode) {
                Some(id) => Some(id),
                None => {
                    return refuse(Message::AgencyNotFound {
                        kode: kode.to_owned(),
                    });
                }
            }
        }
    };
    let password_hash = new.password.as_deref().map(hash_password).transpose()?;
    let id = super::create_user(
        pool,
        actor,
        &new.name,
        new.role.as_str(),
        new.wilayah.as_ref().map(WilayahKode::as_str),
        password_hash.as_deref(),
    )
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            WorkflowError::from(Message::AccountExists {
                name: new.name.clone(),
            })
        }
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            WorkflowError::from(Message::AreaNotInCodeList {
                kode: new
                    .wilayah
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            })
        }
        sqlx::Error::Database(d) if d.is_check_violation() => {
            WorkflowError::from(Message::InvalidAccountName {
                name: new.name.clone(),
            })
        }
        _ => WorkflowError::from(e),
    })?;
    if let Some(agency) = agency {
        super::set_opd(pool, actor, id, agency).await?;
    }
    Ok(id)
}

/// Sets an account's password; its web sessions end (whoever knew the old one is signed out).
pub async fn reset_password(
    pool: &PgPool,
    actor: &Actor,
    user_id: i64,
    password: &str,
) -> Result<(), WorkflowError> {
    let hash = hash_password(password)?;
    account(pool, user_id).await?;
    let mut tx = pool.begin().await?;
    db::user::set_password(&mut *tx, user_id, &hash).await?;
    let ended = db::session::revoke_all_of(&mut *tx, user_id).await?;
    let change =
        Change::new(user_id.to_string()).after(json!({"password": true, "sessions_ended": ended}));
    crate::audit::record(&mut tx, actor, "user.password", "user", vec![change]).await?;
    tx.commit().await?;
    Ok(())
}

/// Disables an account (its tokens and sessions stop at once: a session is checked against it on
/// every request, and every server forgets the tokens it accepted) or enables it again.
pub async fn set_disabled(
    pool: &PgPool,
    tokens: &super::token_cache::TokenCache,
    actor: &Actor,
    user_id: i64,
    disabled: bool,
) -> Result<(), WorkflowError> {
    let before = account(pool, user_id).await?;
    if disabled && actor.user_id == Some(user_id) {
        return refuse(Message::CannotDisableSelf {});
    }
    if before.disabled_at.is_some() == disabled {
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    db::user::set_disabled(&mut *tx, user_id, disabled).await?;
    let ended = if disabled {
        db::session::revoke_all_of(&mut *tx, user_id).await?
    } else {
        0
    };
    let mut change = Change::new(user_id.to_string())
        .after(json!({"disabled": disabled, "sessions_ended": ended}));
    change.before = Some(json!({"disabled": before.disabled_at.is_some()}));
    crate::audit::record(
        &mut tx,
        actor,
        if disabled {
            "user.disable"
        } else {
            "user.enable"
        },
        "user",
        vec![change],
    )
    .await?;
    let committed = tx.commit().await;
    // Also when the commit's answer was lost, which may hide a commit.
    tokens.forget_all();
    committed?;
    Ok(())
}

/// Which accounts to list.
#[derive(Debug, Clone, Default)]
pub struct AccountQuery {
    /// Part of the name, or of the area's code or name.
    pub search: Option<String>,
    pub role: Option<Role>,
    /// `Some(true)`: only disabled; `Some(false)`: only active.
    pub disabled: Option<bool>,
}

pub use crate::db::user::{AccountRow, TokenRow};

/// The accounts, by name.
pub async fn list(pool: &PgPool, q: &AccountQuery) -> Result<Vec<AccountRow>, WorkflowError> {
    let search = q
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase);
    Ok(db::user::list(
        pool,
        search.as_deref(),
        q.role.map(Role::as_str),
        q.disabled,
    )
    .await?)
}

/// One account, enabled or not.
pub async fn account(pool: &PgPool, user_id: i64) -> Result<AccountRow, WorkflowError> {
    match db::user::account(pool, user_id).await? {
        Some(a) => Ok(a),
        None => refuse(Message::AccountNotFound { id: user_id }),
    }
}

/// An account's device tokens, newest first (revoked ones too).
pub async fn tokens(pool: &PgPool, user_id: i64) -> Result<Vec<TokenRow>, WorkflowError> {
    Ok(db::user::tokens(pool, user_id).await?)
}

/// A token just issued: shown once, never stored.
#[derive(Debug, Clone)]
pub struct Issued {
    pub id: i64,
    pub token: String,
}

/// Issues a device token for an account (an ODK Collect key only for a surveyor: it travels in
/// URLs).
pub async fn issue(
    pool: &PgPool,
    actor: &Actor,
    user_id: i64,
    label: &str,
    for_odk: bool,
) -> Result<Issued, WorkflowError> {
    let a = account(pool, user_id).await?;
    if a.disabled_at.is_some() {
        return refuse(Message::AccountDisabled { name: a.name });
    }
    let role: Role = a
        .role
        .parse()
        .map_err(|e| WorkflowError::Internal(anyhow::anyhow!("user {}: {e}", a.name)))?;
    if for_odk && role != Role::Surveyor {
        return refuse(Message::OdkForSurveyorsOnly { role });
    }
    tinjau_domain::text::check_text("label", label, 100)?;
    let token = tinjau_domain::caller::new_token();
    let id = super::issue_token(
        pool,
        actor,
        user_id,
        &tinjau_domain::caller::token_digest(&token),
        label.trim(),
    )
    .await?;
    Ok(Issued { id, token })
}

/// The kecamatan a phone of this account is set up for: its own (its area, or the kecamatan
/// around its kelurahan).
pub fn odk_project(area: Option<&WilayahKode>) -> Option<WilayahKode> {
    let scope = area?;
    let kode = scope
        .ancestor(WilayahLevel::Kecamatan)
        .unwrap_or_else(|| scope.clone());
    (kode.level() == WilayahLevel::Kecamatan).then_some(kode)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_password_is_refused_and_a_long_one_hashed_with_argon2id() {
        assert!(hash_password("pendek").is_err());
        let hash = hash_password("kata sandi yang panjang").unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
    }

    #[test]
    fn a_phone_is_set_up_for_the_kecamatan_of_its_area() {
        let kel = WilayahKode::parse("31.71.01.1002").ok();
        assert_eq!(
            odk_project(kel.as_ref()).map(|k| k.to_string()).as_deref(),
            Some("31.71.01")
        );
        assert_eq!(odk_project(None), None);
        let kota = WilayahKode::parse("31.71").ok();
        assert_eq!(odk_project(kota.as_ref()), None);
    }
}
