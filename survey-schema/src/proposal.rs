//! Proposals (usulan) as the API shows them.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{Anomaly, RawPoint, Severity, Unit, WilayahKode};

/// A catalogue activity, by code and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityRef {
    pub code: String,
    pub nama: String,
}

/// One proposal with its anomalies, most serious first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProposalView {
    pub id: i64,
    pub tahun: i32,
    pub kelurahan: WilayahKode,
    pub kelurahan_nama: String,
    pub kecamatan: WilayahKode,
    pub rw: Option<String>,
    pub rt: Option<String>,
    /// `No` as written in the source file.
    pub nomor: Option<String>,
    pub permasalahan: Option<String>,
    pub program: Option<String>,
    pub usulan: String,
    pub lokasi: Option<String>,
    /// Exact decimal, as a string.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "250.5"))]
    pub volume: Decimal,
    /// The unit as written (`M2`, `m'`, `Bh`).
    pub satuan: String,
    /// The normalised unit, `null` when not recognised.
    pub unit: Option<Unit>,
    /// Perkiraan Anggaran, whole rupiah.
    pub anggaran: i64,
    /// Anggaran ÷ volume, whole rupiah per unit.
    pub unit_cost: Option<i64>,
    pub skpd_tujuan: Option<String>,
    pub status: String,
    /// The recognised activity; `null` when the catalogue does not know it.
    pub activity: Option<ActivityRef>,
    /// The proposal's map pin.
    pub pin: Option<RawPoint>,
    /// The most serious anomaly's severity, `null` when there is none.
    pub max_severity: Option<Severity>,
    pub anomalies: Vec<Anomaly>,
}

/// A page of proposals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProposalPage {
    pub items: Vec<ProposalView>,
    pub page: i64,
    pub per_page: i64,
    /// Proposals matching the filter, over all pages.
    pub total: i64,
}
