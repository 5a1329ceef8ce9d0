//! Units of measure after normalisation (see `geo_rules::units::normalize_unit`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// A normalised unit. Quantities compare only within the same unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Unit {
    /// Metre (length: m, M1, m', meter lari).
    #[serde(rename = "m")]
    Metre,
    /// Square metre (area).
    #[serde(rename = "m2")]
    SquareMetre,
    /// Cubic metre (volume).
    #[serde(rename = "m3")]
    CubicMetre,
    /// A count of things (unit, buah, titik).
    #[serde(rename = "unit")]
    Count,
    /// A lump sum (paket, LS): no unit cost can be derived from it.
    #[serde(rename = "ls")]
    LumpSum,
    #[serde(rename = "kg")]
    Kilogram,
    #[serde(rename = "t")]
    Tonne,
    #[serde(rename = "l")]
    Litre,
}

impl Unit {
    pub const ALL: [Self; 8] = [
        Self::Metre,
        Self::SquareMetre,
        Self::CubicMetre,
        Self::Count,
        Self::LumpSum,
        Self::Kilogram,
        Self::Tonne,
        Self::Litre,
    ];

    /// The stored and wire form: `m`, `m2`, `m3`, `unit`, `ls`, `kg`, `t`, `l`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Metre => "m",
            Self::SquareMetre => "m2",
            Self::CubicMetre => "m3",
            Self::Count => "unit",
            Self::LumpSum => "ls",
            Self::Kilogram => "kg",
            Self::Tonne => "t",
            Self::Litre => "l",
        }
    }

    /// The inverse of [`Unit::as_str`].
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|u| u.as_str() == code)
    }

    /// Whether a cost per one of this unit means anything (not for lump sums).
    pub fn has_unit_cost(self) -> bool {
        self != Self::LumpSum
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
