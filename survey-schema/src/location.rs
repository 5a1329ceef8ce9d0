//! Location verdicts: where a GPS fix lies relative to the kelurahan it is claimed for.
//! Computed by `geo_rules::BoundaryIndex::locate`.

use serde::{Deserialize, Serialize};

use crate::WilayahKode;

/// The six answers, from most to least reassuring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LocationStatus {
    /// The accuracy circle (plus tolerance) lies inside the claimed kelurahan (or, with no claim,
    /// inside the one kelurahan that contains the point).
    Inside,
    /// Within accuracy + tolerance of the claimed kelurahan's boundary: plausible, for information.
    Borderline,
    /// Inside another kelurahan, farther from the claimed one than accuracy + tolerance.
    OtherKelurahan,
    /// In no kelurahan but near one: the slivers real polygons leave between neighbours.
    Gap,
    /// Inside two or more (overlapping) kelurahan.
    Overlap,
    /// Far from every kelurahan (sea, another city).
    Outside,
}

impl LocationStatus {
    /// The word used on the wire and in `tinjau locate`'s `loc_status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inside => "inside",
            Self::Borderline => "borderline",
            Self::OtherKelurahan => "other_kelurahan",
            Self::Gap => "gap",
            Self::Overlap => "overlap",
            Self::Outside => "outside",
        }
    }
}

/// The answer for one point. Every distance is in metres.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LocationVerdict {
    pub status: LocationStatus,
    /// The kelurahan containing the point, when exactly one does.
    pub kode: Option<WilayahKode>,
    /// Every kelurahan containing the point (two or more for `overlap`).
    pub kodes: Vec<WilayahKode>,
    /// The kelurahan whose boundary is nearest, when the point is in none.
    pub nearest_kode: Option<WilayahKode>,
    /// The distance that explains the status: depth inside the kelurahan (`inside`); distance to the
    /// claimed kelurahan's boundary (`borderline`, `other_kelurahan`, and `overlap` with a claim);
    /// distance to the nearest kelurahan (`gap`, `outside`); `None` for an unclaimed overlap.
    pub distance_m: Option<f64>,
    /// Distance from the point to the claimed kelurahan: 0 when inside it.
    pub claimed_distance_m: Option<f64>,
    /// For `overlap`: whether the claimed kelurahan is one of those containing the point.
    pub claimed_among: Option<bool>,
}
