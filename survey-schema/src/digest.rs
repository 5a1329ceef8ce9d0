//! A SHA-256 digest written as 64 lower-case hex digits: a photo's identity, a body's fingerprint.
//! Parsed once where it arrives (a path, a manifest, a computed digest); past that it is valid.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A SHA-256 digest as lower-case hex.
///
/// ```
/// use survey_schema::Sha256;
/// let upper = "A".repeat(64);
/// assert_eq!(Sha256::parse(&upper).unwrap().as_str(), "a".repeat(64));
/// assert!(Sha256::parse("abc").is_err());
/// assert!(Sha256::parse(&"g".repeat(64)).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String))]
pub struct Sha256(String);

/// Not 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a SHA-256 (64 hex digits): '{0}'")]
pub struct Sha256Error(String);

impl Sha256 {
    /// From 64 hex digits of either case (kept lower-case).
    pub fn parse(input: &str) -> Result<Self, Sha256Error> {
        if input.len() == 64 && input.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(input.to_ascii_lowercase()))
        } else {
            Err(Sha256Error(input.chars().take(70).collect()))
        }
    }

    /// From the 32 bytes a hasher gives.
    ///
    /// ```
    /// use survey_schema::Sha256;
    /// assert!(Sha256::from_bytes([0xab; 32]).as_str().starts_with("abab"));
    /// ```
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        use fmt::Write as _;
        let mut hex = String::with_capacity(64);
        for b in bytes {
            let _ = write!(hex, "{b:02x}");
        }
        Self(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 12 digits, enough to tell files apart in a message.
    pub fn short(&self) -> &str {
        &self.0[..12]
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Sha256 {
    type Error = Sha256Error;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Sha256> for String {
    fn from(s: Sha256) -> Self {
        s.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_refuses_what_parse_refuses() {
        assert!(serde_json::from_str::<Sha256>("\"xyz\"").is_err());
        let good = format!("\"{}\"", "0".repeat(64));
        assert!(serde_json::from_str::<Sha256>(&good).is_ok());
    }
}
