//! Anomalies: what the automatic checks found implausible, for the camat to decide on.

use serde::{Deserialize, Serialize};

use crate::LocalizedMessage;

/// How serious an anomaly is. Ordered: `High` is the most serious.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Shown for information; no decision needed.
    Info,
    /// Should be looked at.
    Warning,
    /// Must be looked at before the forum.
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::High => "high",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "info" => Some(Self::Info),
            "warning" => Some(Self::Warning),
            "high" => Some(Self::High),
            _ => None,
        }
    }
}

/// One finding about one proposal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Anomaly {
    /// Stable code, e.g. `COST_ABOVE_STANDARD` (see [`codes`]).
    pub code: String,
    pub severity: Severity,
    /// One line for a person, in Indonesian and English.
    pub message: LocalizedMessage,
    /// The numbers behind it (rupiah as integers, distances in metres, volumes as decimal strings).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: serde_json::Value,
}

/// The anomaly codes. Stable: clients and stored decisions refer to them.
pub mod codes {
    pub const COST_ABOVE_STANDARD: &str = "COST_ABOVE_STANDARD";
    pub const COST_BELOW_STANDARD: &str = "COST_BELOW_STANDARD";
    pub const COST_OUTLIER: &str = "COST_OUTLIER";
    pub const VOLUME_IMPLAUSIBLE: &str = "VOLUME_IMPLAUSIBLE";
    pub const DUPLICATE_NEARBY: &str = "DUPLICATE_NEARBY";
    pub const DONE_BEFORE: &str = "DONE_BEFORE";
    pub const UNIT_INCOMPARABLE: &str = "UNIT_INCOMPARABLE";
    pub const ACTIVITY_UNKNOWN: &str = "ACTIVITY_UNKNOWN";
    pub const LOCATION_BORDERLINE: &str = "LOCATION_BORDERLINE";
    pub const LOCATION_OTHER_KELURAHAN: &str = "LOCATION_OTHER_KELURAHAN";
    pub const LOCATION_GAP: &str = "LOCATION_GAP";
    pub const LOCATION_OVERLAP: &str = "LOCATION_OVERLAP";
    pub const LOCATION_OUTSIDE: &str = "LOCATION_OUTSIDE";
}
