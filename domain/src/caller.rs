//! Who is acting: a signed-in user or device (its role and the area it may see), or the operator at
//! the command line; and the device tokens a caller proves itself with (only their digest is kept).

use rand::RngCore;
use sha2::{Digest, Sha256};
use survey_schema::{Role, WilayahKode};

use crate::messages::{Message, Roles};
use crate::refusal::Refusal;

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
            Err(Message::RoleRequired {
                needed: Roles(roles.to_vec()),
                role: self.role,
            }
            .into())
        }
    }
}

/// The refusal of an area outside the caller's scope.
pub fn out_of_scope(kode: &WilayahKode) -> Refusal {
    Message::OutOfScope { kode: kode.clone() }.into()
}

/// Who makes a change: a signed-in user or device (with the request's id), or the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub name: String,
    pub role: String,
    pub request_id: Option<String>,
}

impl Actor {
    /// The operator at the command line (an admin by definition: they hold the database URL).
    pub fn cli() -> Self {
        let who = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
        Self {
            user_id: None,
            name: format!("cli:{who}"),
            role: "admin".into(),
            request_id: None,
        }
    }
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
