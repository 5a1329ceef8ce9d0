//! Area codes as a column type: a `TEXT` column holding a Kemendagri code is read as a checked
//! [`WilayahKode`] once, here, so no code above re-parses a string the database gave it (and a
//! malformed code in a row is a decoding error, not a silent empty string).

use std::ops::Deref;

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::{Decode, Encode, Postgres, Type};
use survey_schema::WilayahKode;

/// A [`WilayahKode`] read from or written to a `TEXT` column. Select it with a type override,
/// `kelurahan_kode AS "kelurahan_kode: Kode"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kode(pub WilayahKode);

impl Deref for Kode {
    type Target = WilayahKode;
    fn deref(&self) -> &WilayahKode {
        &self.0
    }
}

impl From<Kode> for WilayahKode {
    fn from(k: Kode) -> Self {
        k.0
    }
}

impl From<WilayahKode> for Kode {
    fn from(k: WilayahKode) -> Self {
        Self(k)
    }
}

impl std::fmt::Display for Kode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl Type<Postgres> for Kode {
    fn type_info() -> PgTypeInfo {
        <String as Type<Postgres>>::type_info()
    }
    fn compatible(ty: &PgTypeInfo) -> bool {
        <String as Type<Postgres>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Postgres> for Kode {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<Postgres>>::decode(value)?;
        Ok(Self(WilayahKode::parse(text)?))
    }
}

impl Encode<'_, Postgres> for Kode {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <&str as Encode<Postgres>>::encode(self.0.as_str(), buf)
    }
}
