//! Who uses Tinjau: roles and their scope.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::WilayahKode;

/// What a user does, which decides what they may read and write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Imports reference data, manages users and tokens; sees everything.
    Admin,
    /// The camat and staff: reviews and decides, within one kecamatan.
    Camat,
    /// Tim teknis: surveys proposals, within one kecamatan.
    Surveyor,
    /// Follows the proposals of one kelurahan.
    Lurah,
    /// Agency or planning-agency staff at the trilateral desk: a kota, a provinsi, or everything.
    Opd,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Camat => "camat",
            Self::Surveyor => "surveyor",
            Self::Lurah => "lurah",
            Self::Opd => "opd",
        }
    }

    /// Whether `scope` is the right kind of area for the role (`None`: no area).
    pub fn accepts_scope(self, scope: Option<&WilayahKode>) -> bool {
        use crate::WilayahLevel as L;
        matches!(
            (self, scope.map(WilayahKode::level)),
            (Self::Admin, None)
                | (Self::Opd, None | Some(L::Kota | L::Provinsi))
                | (Self::Camat | Self::Surveyor, Some(L::Kecamatan))
                | (Self::Lurah, Some(L::Kelurahan))
        )
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Self::Admin),
            "camat" => Ok(Self::Camat),
            "surveyor" | "tim_teknis" | "timteknis" => Ok(Self::Surveyor),
            "lurah" => Ok(Self::Lurah),
            "opd" | "bappeda" => Ok(Self::Opd),
            other => Err(format!(
                "unknown role '{other}': use admin, camat, surveyor, lurah or opd"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kode(k: &str) -> WilayahKode {
        k.parse().unwrap()
    }

    #[test]
    fn each_role_takes_its_kind_of_scope() {
        assert!(Role::Admin.accepts_scope(None));
        assert!(!Role::Admin.accepts_scope(Some(&kode("31.71"))));
        assert!(Role::Camat.accepts_scope(Some(&kode("31.71.01"))));
        assert!(!Role::Camat.accepts_scope(Some(&kode("31.71"))));
        assert!(!Role::Surveyor.accepts_scope(None));
        assert!(Role::Lurah.accepts_scope(Some(&kode("31.71.01.1001"))));
        assert!(Role::Opd.accepts_scope(Some(&kode("31.71"))));
        assert!(Role::Opd.accepts_scope(None));
        assert_eq!("Tim_Teknis".parse::<Role>(), Ok(Role::Surveyor));
        assert!("rt".parse::<Role>().is_err());
    }
}
