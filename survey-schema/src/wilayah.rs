//! Administrative areas (wilayah) and their official Kemendagri codes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a string is not a Kemendagri area code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{input}' is not a Kemendagri area code (PP, PP.KK, PP.KK.CC or PP.KK.CC.VVVV, digits only)"
)]
pub struct WilayahKodeError {
    input: String,
}

/// The level of an administrative area, read off the shape of its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum WilayahLevel {
    /// Province (`PP`).
    Provinsi,
    /// Regency or city (`PP.KK`; kabupaten and kota alike).
    Kota,
    /// Sub-district (`PP.KK.CC`).
    Kecamatan,
    /// Urban or rural village (`PP.KK.CC.VVVV`; kelurahan and desa alike).
    Kelurahan,
}

impl WilayahLevel {
    /// The number used by the official code list: 1 (provinsi) to 4 (desa/kelurahan).
    pub fn number(self) -> i16 {
        match self {
            Self::Provinsi => 1,
            Self::Kota => 2,
            Self::Kecamatan => 3,
            Self::Kelurahan => 4,
        }
    }

    /// The inverse of [`WilayahLevel::number`].
    pub fn from_number(n: i16) -> Option<Self> {
        match n {
            1 => Some(Self::Provinsi),
            2 => Some(Self::Kota),
            3 => Some(Self::Kecamatan),
            4 => Some(Self::Kelurahan),
            _ => None,
        }
    }

    /// The word used in the API and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provinsi => "provinsi",
            Self::Kota => "kota",
            Self::Kecamatan => "kecamatan",
            Self::Kelurahan => "kelurahan",
        }
    }
}

impl fmt::Display for WilayahLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for WilayahLevel {
    type Err = String;

    /// Accepts the API words and the usual synonyms (kabupaten, desa, numbers 1–4).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "provinsi" | "province" | "1" => Ok(Self::Provinsi),
            "kota" | "kabupaten" | "kabkota" | "kab/kota" | "city" | "regency" | "2" => {
                Ok(Self::Kota)
            }
            "kecamatan" | "district" | "3" => Ok(Self::Kecamatan),
            "kelurahan" | "desa" | "village" | "4" => Ok(Self::Kelurahan),
            other => Err(format!(
                "unknown level '{other}': use provinsi, kota, kecamatan or kelurahan"
            )),
        }
    }
}

/// An official Kemendagri area code such as `31.71.01.1001` (Gambir, Jakarta Pusat).
///
/// Segments are provinsi (2 digits), kota (2), kecamatan (2) and kelurahan/desa (4); a code has one
/// to four of them and its level is its number of segments.
///
/// ```
/// use survey_schema::{WilayahKode, WilayahLevel};
/// let gambir: WilayahKode = "31.71.01.1001".parse().unwrap();
/// assert_eq!(gambir.level(), WilayahLevel::Kelurahan);
/// assert_eq!(gambir.parent().unwrap().as_str(), "31.71.01");
/// assert!("31.71.1".parse::<WilayahKode>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, example = "31.71.01.1001"))]
pub struct WilayahKode(String);

impl WilayahKode {
    /// Parses a code, tolerating surrounding whitespace.
    pub fn parse(input: &str) -> Result<Self, WilayahKodeError> {
        let trimmed = input.trim();
        let widths = [2, 2, 2, 4];
        let segments: Vec<&str> = trimmed.split('.').collect();
        let well_formed = !segments.is_empty()
            && segments.len() <= widths.len()
            && segments
                .iter()
                .zip(widths)
                .all(|(seg, width)| seg.len() == width && seg.bytes().all(|b| b.is_ascii_digit()));
        if well_formed {
            Ok(Self(trimmed.to_owned()))
        } else {
            Err(WilayahKodeError {
                input: input.chars().take(40).collect(),
            })
        }
    }

    /// The code as written, e.g. `31.71.01`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The level implied by the number of segments.
    pub fn level(&self) -> WilayahLevel {
        match self.0.split('.').count() {
            1 => WilayahLevel::Provinsi,
            2 => WilayahLevel::Kota,
            3 => WilayahLevel::Kecamatan,
            _ => WilayahLevel::Kelurahan,
        }
    }

    /// The enclosing area's code, or `None` for a provinsi.
    pub fn parent(&self) -> Option<Self> {
        self.0.rfind('.').map(|i| Self(self.0[..i].to_owned()))
    }

    /// The area at `level` that holds this one (itself at its own level); `None` for a finer level.
    ///
    /// ```
    /// use survey_schema::{WilayahKode, WilayahLevel};
    /// let kelurahan = WilayahKode::parse("31.71.01.1001").unwrap();
    /// assert_eq!(kelurahan.ancestor(WilayahLevel::Kota).unwrap().as_str(), "31.71");
    /// assert_eq!(kelurahan.ancestor(WilayahLevel::Kecamatan).unwrap().as_str(), "31.71.01");
    /// assert!(kelurahan.parent().unwrap().ancestor(WilayahLevel::Kelurahan).is_none());
    /// ```
    pub fn ancestor(&self, level: WilayahLevel) -> Option<Self> {
        let depth = level.number();
        let segments: Vec<&str> = self.0.split('.').collect();
        let depth = usize::try_from(depth).ok()?;
        (depth >= 1 && depth <= segments.len()).then(|| Self(segments[..depth].join(".")))
    }

    /// Whether `other` lies inside this area (strictly: an area does not contain itself).
    pub fn contains(&self, other: &Self) -> bool {
        other.0.len() > self.0.len()
            && other.0.starts_with(&self.0)
            && other.0.as_bytes()[self.0.len()] == b'.'
    }

    /// The finer kind of area: `kabupaten`/`kota` at level 2 (kota are numbered 71 and up) and
    /// `kelurahan`/`desa` at level 4 (kelurahan are numbered 1xxx).
    pub fn jenis(&self) -> &'static str {
        let segments: Vec<&str> = self.0.split('.').collect();
        match segments.as_slice() {
            [_] => "provinsi",
            [_, kk] if kk.starts_with('7') => "kota",
            [_, _] => "kabupaten",
            [_, _, _] => "kecamatan",
            [.., v] if v.starts_with('1') => "kelurahan",
            _ => "desa",
        }
    }
}

impl fmt::Display for WilayahKode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for WilayahKode {
    type Err = WilayahKodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for WilayahKode {
    type Error = WilayahKodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<WilayahKode> for String {
    fn from(k: WilayahKode) -> Self {
        k.0
    }
}

/// A short reference to an area.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WilayahRef {
    pub kode: WilayahKode,
    pub nama: String,
    pub level: WilayahLevel,
    /// `provinsi`, `kabupaten`, `kota`, `kecamatan`, `kelurahan` or `desa`.
    pub jenis: String,
}

/// `GET /api/v1/wilayah/{kode}`: an area with its parent and its children.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WilayahDetail {
    pub kode: WilayahKode,
    pub nama: String,
    pub level: WilayahLevel,
    /// `provinsi`, `kabupaten`, `kota`, `kecamatan`, `kelurahan` or `desa`.
    pub jenis: String,
    /// The enclosing area; `null` for a provinsi.
    pub parent: Option<WilayahRef>,
    /// The areas one level down, ordered by code.
    pub children: Vec<WilayahRef>,
    /// Whether a boundary polygon has been imported for this area.
    pub has_boundary: bool,
    /// How many kelurahan/desa polygons lie in this area (what `boundaries.geojson` returns).
    pub kelurahan_boundaries: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_level_and_refuses_malformed_codes() {
        for (code, level) in [
            ("31", WilayahLevel::Provinsi),
            ("31.71", WilayahLevel::Kota),
            ("31.71.01", WilayahLevel::Kecamatan),
            (" 31.71.01.1001 ", WilayahLevel::Kelurahan),
        ] {
            assert_eq!(WilayahKode::parse(code).unwrap().level(), level, "{code}");
        }
        for bad in [
            "",
            "3",
            "31.7",
            "31.71.01.101",
            "31.71.01.1001.1",
            "ab.cd",
            "31-71",
            "31..01",
        ] {
            assert!(
                WilayahKode::parse(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn jenis_distinguishes_kota_kabupaten_kelurahan_desa() {
        let jenis = |k: &str| WilayahKode::parse(k).unwrap().jenis();
        assert_eq!(jenis("31.71"), "kota");
        assert_eq!(jenis("31.01"), "kabupaten");
        assert_eq!(jenis("31.71.01.1001"), "kelurahan");
        assert_eq!(jenis("11.01.01.2001"), "desa");
    }

    #[test]
    fn containment_is_by_whole_segments() {
        let kec = WilayahKode::parse("31.71.01").unwrap();
        assert!(kec.contains(&WilayahKode::parse("31.71.01.1001").unwrap()));
        assert!(!kec.contains(&kec));
        assert!(!kec.contains(&WilayahKode::parse("31.71.02.1001").unwrap()));
        assert!(!kec.contains(&WilayahKode::parse("31.71").unwrap()));
        assert!(WilayahKode::parse("31.71").unwrap().contains(&kec));
    }

    #[test]
    fn level_words_round_trip() {
        for level in [
            WilayahLevel::Provinsi,
            WilayahLevel::Kota,
            WilayahLevel::Kecamatan,
            WilayahLevel::Kelurahan,
        ] {
            assert_eq!(level.as_str().parse::<WilayahLevel>().unwrap(), level);
            assert_eq!(WilayahLevel::from_number(level.number()), Some(level));
        }
        assert_eq!(
            "Desa".parse::<WilayahLevel>().unwrap(),
            WilayahLevel::Kelurahan
        );
        assert!("rt".parse::<WilayahLevel>().is_err());
    }
}
