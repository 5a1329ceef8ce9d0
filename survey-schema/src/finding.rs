//! The catalogue of findings: every anomaly code with the figures behind it, typed, and its words in
//! Indonesian and English in one place. A check builds a [`Finding`]; what is stored is its code and
//! its figures (`details`), and the sentence a person reads is written from them when it is read
//! ([`Anomaly::from_stored`]), so a wording fix reaches every stored finding without a re-check.
//!
//! Figures are written the way each language writes them: `10.878.677 m` and `2,1×` in Indonesian,
//! `10,878,677 m` and `2.1×` in English; money as `Rp 1.250.000`; places by name
//! (`kelurahan Gambir`) where the name was known when the check ran, by code otherwise.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::anomaly::{Anomaly, Severity};
use crate::say::{Lang, decimal, decimal_text, rupiah};
use crate::{LocalizedMessage, LocationStatus, Unit, WilayahKode};

/// One finding, with the figures behind it. Serialised as `{"code": "...", "details": {...}}`, the
/// shape the `anomaly` table stores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "code", content = "details", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Finding {
    /// The unit cost is well above the regional standard price.
    CostAboveStandard(CostVsStandard),
    /// The unit cost is far below the standard price: the volume or budget is suspect.
    CostBelowStandard(CostVsStandard),
    /// The unit cost is far from similar proposals in the same city and year.
    CostOutlier(CostOutlier),
    /// The volume is outside what is plausible for the activity.
    VolumeImplausible(VolumeBound),
    /// The same work proposed nearby (or in near-identical words) this year.
    DuplicateNearby(Duplicate),
    /// The same work at the same place was approved in an earlier year.
    DoneBefore(DoneBefore),
    /// The unit cannot be compared with the activity's (or the survey's with the proposal's).
    UnitIncomparable(UnitIncomparable),
    /// The activity is not in the catalogue.
    ActivityUnknown(ActivityUnknown),
    /// A position near its kelurahan's boundary.
    LocationBorderline(Location),
    /// A position in another kelurahan than the proposal's.
    LocationOtherKelurahan(Location),
    /// A position in a gap between kelurahan boundaries.
    LocationGap(Location),
    /// A position where kelurahan boundaries overlap.
    LocationOverlap(Location),
    /// A position outside every kelurahan.
    LocationOutside(Location),
    /// The survey's GPS accuracy is worse than allowed.
    SurveyLowAccuracy(LowAccuracy),
    /// A GPS fix with an accuracy of exactly 0 m.
    SurveyMockLocation(MockLocation),
    /// The remeasured volume differs from the proposed one.
    VolumeDeviation(VolumeDeviation),
    /// The traced work's size differs from the remeasured volume.
    TraceMismatch(TraceMismatch),
    /// Fewer photos than required.
    PhotoMissing(PhotoMissing),
    /// Stored photos whose picture cannot be decoded.
    PhotoUnreadable(PhotoUnreadable),
    /// Photos without a GPS position in their EXIF.
    PhotoNoGps(PhotoNoGps),
    /// A photo taken far from the survey's fix.
    PhotoGpsFar(PhotoGpsFar),
    /// A photo taken long before or after the survey.
    PhotoTimeOff(PhotoTimeOff),
    /// The same (or a near-identical) photo attached to another proposal.
    PhotoReused(PhotoReused),
    /// The same surveyor at two places faster than one can travel.
    SurveyorSpeed(SurveyorSpeed),
}

/// `COST_ABOVE_STANDARD`, `COST_BELOW_STANDARD`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostVsStandard {
    pub unit_cost_rupiah: i64,
    pub standard_rupiah: i64,
    /// Unit cost ÷ standard price, to two decimals.
    pub ratio: f64,
    pub unit: Unit,
    pub budget_rupiah: i64,
    /// The proposal's volume, a decimal as text.
    pub volume: String,
    /// Where the standard price comes from, e.g. `SSH 32.18 2023: Paving Block Warna (M2)`.
    pub standard_source: String,
    /// The region the standard was borrowed from, by name, when the proposal's city has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard_from_elsewhere: Option<String>,
}

impl CostVsStandard {
    /// The sentence, followed by where the standard was borrowed from when it is another region's.
    fn elsewhere(&self, said: String, lang: Lang) -> String {
        match (&self.standard_from_elsewhere, lang) {
            (None, _) => said,
            (Some(region), Lang::Id) => format!(
                "{said} Harga standar dipinjam dari {region}: kota usulan belum punya harga standar sendiri."
            ),
            (Some(region), Lang::En) => format!(
                "{said} The standard price is borrowed from {region}: the proposal's city has none of its own."
            ),
        }
    }
}

/// `COST_OUTLIER`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostOutlier {
    pub unit_cost_rupiah: i64,
    pub median_rupiah: i64,
    /// Modified z-score of ln(unit cost) in its group.
    pub robust_z: f64,
    pub group_size: usize,
    pub method: String,
    /// The activity's code (absent in findings stored before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Unit>,
}

/// `VOLUME_IMPLAUSIBLE`: above the plausible maximum when `volume > bound`, else below the minimum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VolumeBound {
    pub volume: String,
    pub unit: Unit,
    pub bound: String,
    /// The activity's code.
    pub activity: String,
    /// The activity's name in the catalogue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_nama: Option<String>,
}

/// `DUPLICATE_NEARBY`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Duplicate {
    pub other_id: i64,
    /// Between the two pins; `None` when they matched by text.
    pub distance_m: Option<f64>,
    pub other_text: String,
}

/// `DONE_BEFORE`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DoneBefore {
    pub earlier_id: i64,
    pub earlier_tahun: i32,
    pub distance_m: Option<f64>,
    pub earlier_text: String,
}

/// `UNIT_INCOMPARABLE`, of a proposal (its unit as written against the activity's) or of a survey
/// (the remeasured volume's unit against the proposal's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum UnitIncomparable {
    Proposal {
        unit_raw: String,
        expected_unit: Unit,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        activity_nama: Option<String>,
    },
    Survey {
        unit: Option<Unit>,
        proposed_unit: Option<Unit>,
    },
}

/// `ACTIVITY_UNKNOWN`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityUnknown {
    pub usulan: String,
}

/// What a `LOCATION_*` finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Positioned {
    /// The proposal's pin on the map.
    #[default]
    Pin,
    /// The survey's GPS fix.
    SurveyFix,
}

/// `LOCATION_*`: where a position lies against the kelurahan it should lie in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub status: LocationStatus,
    pub claimed: WilayahKode,
    pub kode: Option<WilayahKode>,
    #[serde(default)]
    pub kodes: Vec<WilayahKode>,
    pub nearest_kode: Option<WilayahKode>,
    /// To the kelurahan it lies in or nearest to, in metres.
    pub distance_m: Option<f64>,
    /// To the claimed kelurahan, in metres.
    pub claimed_distance_m: Option<f64>,
    #[serde(default)]
    pub subject: Positioned,
    /// Whether the claimed kelurahan is among the overlapping ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_among: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_nama: Option<String>,
    /// The name of `kode` (the kelurahan the position lies in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nama: Option<String>,
}

/// `SURVEY_LOW_ACCURACY`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LowAccuracy {
    pub accuracy_m: f64,
    pub limit_m: f64,
}

/// `SURVEY_MOCK_LOCATION`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MockLocation {
    pub accuracy_m: f64,
}

/// `VOLUME_DEVIATION`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VolumeDeviation {
    pub measured: String,
    pub proposed: String,
    /// The unit as written (`m2`), or empty.
    pub unit: String,
    /// (measured − proposed) ÷ proposed.
    pub deviation: f64,
}

/// `TRACE_MISMATCH`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceMismatch {
    /// The traced line's length (m) or polygon's area (m²).
    pub traced: f64,
    pub volume: String,
    pub unit: Unit,
}

/// `PHOTO_MISSING`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoMissing {
    pub photos: usize,
    pub minimum: usize,
}

/// `PHOTO_UNREADABLE`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoUnreadable {
    pub photos: Vec<UnreadablePhoto>,
}

/// A photo whose picture cannot be decoded, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnreadablePhoto {
    pub sha256: String,
    pub error: Option<String>,
}

/// `PHOTO_NO_GPS`: the SHA-256 of each photo without a position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoNoGps {
    pub photos: Vec<String>,
}

/// `PHOTO_GPS_FAR`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoGpsFar {
    pub sha256: String,
    pub distance_m: f64,
    pub allowed_m: f64,
}

/// `PHOTO_TIME_OFF`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoTimeOff {
    pub sha256: String,
    pub taken_at: DateTime<Utc>,
    pub captured_at: DateTime<Utc>,
    pub hours: f64,
}

/// `PHOTO_REUSED`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoReused {
    pub sha256: String,
    pub other_proposal_id: i64,
    /// 0: the same file.
    pub phash_distance_bits: u32,
}

/// `SURVEYOR_SPEED`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyorSpeed {
    pub distance_km: f64,
    pub minutes: f64,
    pub speed_kmh: f64,
    pub other_captured_at: DateTime<Utc>,
}

/// A kelurahan by name when it is known, by code otherwise.
fn kelurahan(name: Option<&str>, kode: &WilayahKode) -> String {
    name.map_or_else(|| kode.to_string(), str::to_owned)
}

/// A unit as the forms write it (`m2`).
fn unit(u: Unit) -> &'static str {
    u.as_str()
}

impl Finding {
    /// The stable code, e.g. `COST_ABOVE_STANDARD`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::CostAboveStandard(_) => "COST_ABOVE_STANDARD",
            Self::CostBelowStandard(_) => "COST_BELOW_STANDARD",
            Self::CostOutlier(_) => "COST_OUTLIER",
            Self::VolumeImplausible(_) => "VOLUME_IMPLAUSIBLE",
            Self::DuplicateNearby(_) => "DUPLICATE_NEARBY",
            Self::DoneBefore(_) => "DONE_BEFORE",
            Self::UnitIncomparable(_) => "UNIT_INCOMPARABLE",
            Self::ActivityUnknown(_) => "ACTIVITY_UNKNOWN",
            Self::LocationBorderline(_) => "LOCATION_BORDERLINE",
            Self::LocationOtherKelurahan(_) => "LOCATION_OTHER_KELURAHAN",
            Self::LocationGap(_) => "LOCATION_GAP",
            Self::LocationOverlap(_) => "LOCATION_OVERLAP",
            Self::LocationOutside(_) => "LOCATION_OUTSIDE",
            Self::SurveyLowAccuracy(_) => "SURVEY_LOW_ACCURACY",
            Self::SurveyMockLocation(_) => "SURVEY_MOCK_LOCATION",
            Self::VolumeDeviation(_) => "VOLUME_DEVIATION",
            Self::TraceMismatch(_) => "TRACE_MISMATCH",
            Self::PhotoMissing(_) => "PHOTO_MISSING",
            Self::PhotoUnreadable(_) => "PHOTO_UNREADABLE",
            Self::PhotoNoGps(_) => "PHOTO_NO_GPS",
            Self::PhotoGpsFar(_) => "PHOTO_GPS_FAR",
            Self::PhotoTimeOff(_) => "PHOTO_TIME_OFF",
            Self::PhotoReused(_) => "PHOTO_REUSED",
            Self::SurveyorSpeed(_) => "SURVEYOR_SPEED",
        }
    }

    /// Another proposal the finding names (a duplicate, the earlier approval, the one sharing a
    /// photo), to link to.
    pub fn other_proposal(&self) -> Option<i64> {
        match self {
            Self::DuplicateNearby(d) => Some(d.other_id),
            Self::DoneBefore(d) => Some(d.earlier_id),
            Self::PhotoReused(p) => Some(p.other_proposal_id),
            _ => None,
        }
    }

    /// A few words for a list, e.g. `Biaya di atas standar`.
    pub fn short_label(code: &str, lang: Lang) -> &'static str {
        let (id, en) = match code {
            "COST_ABOVE_STANDARD" => ("Biaya di atas standar", "Cost above standard"),
            "COST_BELOW_STANDARD" => ("Biaya di bawah standar", "Cost below standard"),
            "COST_OUTLIER" => ("Biaya menyimpang", "Cost outlier"),
            "VOLUME_IMPLAUSIBLE" => ("Volume tak wajar", "Implausible volume"),
            "DUPLICATE_NEARBY" => ("Usulan ganda", "Duplicate"),
            "DONE_BEFORE" => ("Sudah dikerjakan", "Done before"),
            "UNIT_INCOMPARABLE" => ("Satuan tak sebanding", "Unit not comparable"),
            "ACTIVITY_UNKNOWN" => ("Kegiatan tak dikenal", "Unknown activity"),
            "LOCATION_BORDERLINE" => ("Dekat batas", "Near the boundary"),
            "LOCATION_OTHER_KELURAHAN" => ("Kelurahan lain", "Other kelurahan"),
            "LOCATION_GAP" => ("Di celah batas", "In a boundary gap"),
            "LOCATION_OVERLAP" => ("Batas tumpang-tindih", "Boundaries overlap"),
            "LOCATION_OUTSIDE" => ("Di luar wilayah", "Outside every kelurahan"),
            "SURVEY_LOW_ACCURACY" => ("GPS kurang akurat", "Poor GPS accuracy"),
            "SURVEY_MOCK_LOCATION" => ("Lokasi palsu", "Mock location"),
            "VOLUME_DEVIATION" => ("Volume ukur ulang beda", "Remeasured volume differs"),
            "TRACE_MISMATCH" => ("Jejak tak cocok", "Trace mismatch"),
            "PHOTO_MISSING" => ("Foto kurang", "Photos missing"),
            "PHOTO_UNREADABLE" => ("Foto rusak", "Unreadable photo"),
            "PHOTO_NO_GPS" => ("Foto tanpa GPS", "Photo without GPS"),
            "PHOTO_GPS_FAR" => ("Foto jauh dari lokasi", "Photo taken far away"),
            "PHOTO_TIME_OFF" => ("Waktu foto janggal", "Photo time off"),
            "PHOTO_REUSED" => ("Foto dipakai ulang", "Photo reused"),
            "SURVEYOR_SPEED" => ("Perjalanan mustahil", "Impossible travel"),
            _ => ("Temuan lain", "Other finding"),
        };
        lang.pick(id, en)
    }

    /// A stored finding read back; `None` for a code this build does not know or figures that do
    /// not fit it.
    pub fn from_stored(code: &str, details: &serde_json::Value) -> Option<Self> {
        serde_json::from_value(serde_json::json!({ "code": code, "details": details })).ok()
    }

    /// The figures, as stored.
    pub fn details(&self) -> serde_json::Value {
        serde_json::to_value(self)
            .ok()
            .and_then(|mut v| v.get_mut("details").map(serde_json::Value::take))
            .unwrap_or_default()
    }

    /// The finding, of `severity`, as an anomaly with its sentence in both languages.
    pub fn at(self, severity: Severity) -> Anomaly {
        Anomaly {
            code: self.code().to_owned(),
            severity,
            message: self.message(),
            details: self.details(),
        }
    }

    /// The sentence in both languages.
    pub fn message(&self) -> LocalizedMessage {
        LocalizedMessage {
            id: self.text(Lang::Id),
            en: self.text(Lang::En),
        }
    }

    /// The sentence in one language.
    // One arm per finding, both languages side by side: splitting it would scatter the catalogue.
    #[allow(clippy::too_many_lines)]
    pub fn text(&self, lang: Lang) -> String {
        let n = |x: f64, places: usize| decimal(x, places, lang);
        let dec = |text: &str| decimal_text(text, lang);
        let id = lang == Lang::Id;
        match self {
            Self::CostAboveStandard(c) => {
                let (cost, standard, u) =
                    (rupiah(c.unit_cost_rupiah), rupiah(c.standard_rupiah), unit(c.unit));
                let ratio = n(c.ratio, 1);
                let said = if id {
                    format!("Biaya satuan {cost}/{u} = {ratio}× harga standar {standard}/{u}.")
                } else {
                    format!("Unit cost {cost}/{u} is {ratio}× the standard price {standard}/{u}.")
                };
                c.elsewhere(said, lang)
            }
            Self::CostBelowStandard(c) => {
                let (cost, standard, u) =
                    (rupiah(c.unit_cost_rupiah), rupiah(c.standard_rupiah), unit(c.unit));
                let percent = n(c.ratio * 100.0, 0);
                let said = if id {
                    format!(
                        "Biaya satuan {cost}/{u} hanya {percent}% dari harga standar {standard}/{u}: volume atau anggaran perlu dicek."
                    )
                } else {
                    format!(
                        "Unit cost {cost}/{u} is only {percent}% of the standard price {standard}/{u}: check the volume or the budget."
                    )
                };
                c.elsewhere(said, lang)
            }
            Self::CostOutlier(c) => {
                let (cost, median) = (rupiah(c.unit_cost_rupiah), rupiah(c.median_rupiah));
                let per = c.unit.map(|u| format!("/{}", unit(u))).unwrap_or_default();
                let activity = c.activity.as_deref().unwrap_or_default();
                let above = c.robust_z > 0.0;
                if id {
                    let dir = if above { "jauh di atas" } else { "jauh di bawah" };
                    format!(
                        "Biaya satuan {cost}{per} {dir} usulan {activity} sejenis di kota yang sama (median {median}{per}, dari {} usulan).",
                        c.group_size
                    )
                } else {
                    let dir = if above { "far above" } else { "far below" };
                    format!(
                        "Unit cost {cost}{per} is {dir} similar {activity} proposals in the same city (median {median}{per}, of {} proposals).",
                        c.group_size
                    )
                }
            }
            Self::VolumeImplausible(v) => {
                let (volume, bound, u) = (dec(&v.volume), dec(&v.bound), unit(v.unit));
                let activity = v.activity_nama.as_deref().unwrap_or(&v.activity);
                let above = v.volume.parse::<f64>().ok() > v.bound.parse::<f64>().ok();
                match (id, above) {
                    (true, true) => format!(
                        "Volume {volume} {u} melebihi batas wajar {bound} {u} untuk {activity} di satu RW."
                    ),
                    (false, true) => format!(
                        "Volume {volume} {u} exceeds the plausible {bound} {u} for {activity} in one RW."
                    ),
                    (true, false) => format!(
                        "Volume {volume} {u} di bawah batas wajar {bound} {u} untuk {activity}."
                    ),
                    (false, false) => format!(
                        "Volume {volume} {u} is below the plausible {bound} {u} for {activity}."
                    ),
                }
            }
            Self::DuplicateNearby(d) => match (id, d.distance_m) {
                (true, Some(m)) => format!(
                    "Usulan kegiatan yang sama (#{}) berjarak {} m.",
                    d.other_id,
                    n(m, 0)
                ),
                (false, Some(m)) => format!(
                    "The same activity is proposed {} m away (#{}).",
                    n(m, 0),
                    d.other_id
                ),
                (true, None) => format!(
                    "Usulan dengan teks hampir sama di kelurahan yang sama (#{}).",
                    d.other_id
                ),
                (false, None) => format!(
                    "A near-identical proposal in the same kelurahan (#{}).",
                    d.other_id
                ),
            },
            Self::DoneBefore(d) => {
                if id {
                    format!(
                        "Pekerjaan yang sama di lokasi ini sudah disetujui tahun {} (#{}).",
                        d.earlier_tahun, d.earlier_id
                    )
                } else {
                    format!(
                        "The same work at this place was already approved in {} (#{}).",
                        d.earlier_tahun, d.earlier_id
                    )
                }
            }
            Self::UnitIncomparable(UnitIncomparable::Proposal {
                unit_raw,
                expected_unit,
                activity_nama,
            }) => {
                let activity = activity_nama.as_deref().unwrap_or_default();
                let u = unit(*expected_unit);
                if id {
                    format!(
                        "Satuan '{unit_raw}' tidak sebanding dengan satuan kegiatan {activity} ({u}); biaya dan volume tidak dibandingkan."
                    )
                } else {
                    format!(
                        "Unit '{unit_raw}' is not comparable with the unit of {activity} ({u}); cost and volume are not compared."
                    )
                }
            }
            Self::UnitIncomparable(UnitIncomparable::Survey {
                unit: measured,
                proposed_unit,
            }) => {
                let written = |u: &Option<Unit>| u.map_or("?", unit);
                if id {
                    format!(
                        "Satuan volume ukur ulang ({}) tidak sebanding dengan satuan usulan ({}).",
                        written(measured),
                        written(proposed_unit)
                    )
                } else {
                    format!(
                        "The remeasured volume's unit ({}) is not comparable with the proposal's ({}).",
                        written(measured),
                        written(proposed_unit)
                    )
                }
            }
            Self::ActivityUnknown(_) => lang
                .pick(
                    "Jenis kegiatan tidak dikenali katalog; biaya dan volume tidak dapat dibandingkan.",
                    "The activity is not in the catalogue; cost and volume cannot be compared.",
                )
                .to_owned(),
            Self::LocationBorderline(l) => {
                let (subject, metres, claimed) = l.said(lang);
                if id {
                    format!("{subject} berada {metres} m dari batas kelurahan {claimed}.")
                } else {
                    format!("{subject} is {metres} m from the boundary of kelurahan {claimed}.")
                }
            }
            Self::LocationOtherKelurahan(l) => {
                let (subject, metres, claimed) = l.said(lang);
                let other = l
                    .kode
                    .as_ref()
                    .map(|k| kelurahan(l.nama.as_deref(), k))
                    .unwrap_or_default();
                if id {
                    format!(
                        "{subject} berada di kelurahan lain ({other}), {metres} m dari kelurahan {claimed}."
                    )
                } else {
                    format!(
                        "{subject} lies in another kelurahan ({other}), {metres} m from kelurahan {claimed}."
                    )
                }
            }
            Self::LocationGap(l) => {
                let (subject, metres, _) = l.said(lang);
                if id {
                    format!(
                        "{subject} berada di celah antar-batas kelurahan, {metres} m dari kelurahan terdekat."
                    )
                } else {
                    format!(
                        "{subject} lies in a gap between kelurahan boundaries, {metres} m from the nearest."
                    )
                }
            }
            Self::LocationOverlap(l) => {
                let (subject, _, claimed) = l.said(lang);
                let among = l
                    .claimed_among
                    .unwrap_or_else(|| l.kodes.contains(&l.claimed));
                match (id, among) {
                    (true, true) => format!("{subject} berada di tumpang-tindih batas kelurahan."),
                    (false, true) => format!("{subject} lies where kelurahan boundaries overlap."),
                    (true, false) => format!(
                        "{subject} berada di tumpang-tindih batas kelurahan, bukan di kelurahan usulan ({claimed})."
                    ),
                    (false, false) => format!(
                        "{subject} lies where kelurahan boundaries overlap, not in the proposal's kelurahan ({claimed})."
                    ),
                }
            }
            Self::LocationOutside(l) => {
                let (subject, metres, _) = l.said(lang);
                if id {
                    format!("{subject} berada di luar semua kelurahan, {metres} m dari yang terdekat.")
                } else {
                    format!("{subject} lies outside every kelurahan, {metres} m from the nearest.")
                }
            }
            Self::SurveyLowAccuracy(a) => {
                let (accuracy, limit) = (n(a.accuracy_m, 0), n(a.limit_m, 0));
                if id {
                    format!("Akurasi GPS {accuracy} m, lebih buruk dari {limit} m.")
                } else {
                    format!("GPS accuracy {accuracy} m is worse than {limit} m.")
                }
            }
            Self::SurveyMockLocation(_) => lang
                .pick(
                    "Posisi GPS dengan akurasi 0 m: berasal dari aplikasi lokasi palsu (mock) atau titik yang ditempatkan manual di peta, bukan diukur di lokasi.",
                    "GPS fix with an accuracy of 0 m: from a mock-location app or a point placed by hand on the map, not measured on site.",
                )
                .to_owned(),
            Self::VolumeDeviation(v) => {
                let (measured, proposed, u) =
                    (dec(&v.measured), dec(&v.proposed), v.unit.as_str());
                let percent = v.deviation * 100.0;
                let sign = if percent.round() > 0.0 { "+" } else { "" };
                let percent = format!("{sign}{}", n(percent, 0));
                if id {
                    format!(
                        "Volume ukur ulang {measured} {u} berbeda {percent}% dari usulan {proposed} {u}."
                    )
                } else {
                    format!(
                        "The remeasured volume {measured} {u} differs by {percent}% from the proposed {proposed} {u}."
                    )
                }
            }
            Self::TraceMismatch(t) => {
                let (traced, volume, u) = (n(t.traced, 0), dec(&t.volume), unit(t.unit));
                if id {
                    format!("Jejak yang digambar berukuran {traced} {u}, volume ukur ulang {volume} {u}.")
                } else {
                    format!(
                        "The traced work measures {traced} {u}; the remeasured volume is {volume} {u}."
                    )
                }
            }
            Self::PhotoMissing(p) => {
                if id {
                    format!("Hanya {} foto; minimal {}.", p.photos, p.minimum)
                } else {
                    format!(
                        "Only {} photo(s); at least {} are required.",
                        p.photos, p.minimum
                    )
                }
            }
            Self::PhotoUnreadable(p) => {
                let count = p.photos.len();
                if id {
                    format!(
                        "{count} foto tersimpan tetapi gambarnya tidak dapat dibaca (berkas rusak atau terpotong)."
                    )
                } else {
                    format!(
                        "{count} photo(s) are stored but their pictures cannot be decoded (a damaged or cut-off file)."
                    )
                }
            }
            Self::PhotoNoGps(p) => {
                let count = p.photos.len();
                if id {
                    format!("{count} foto tanpa posisi GPS di EXIF.")
                } else {
                    format!("{count} photo(s) carry no GPS position in their EXIF.")
                }
            }
            Self::PhotoGpsFar(p) => {
                let (distance, allowed) = (n(p.distance_m, 0), n(p.allowed_m, 0));
                if id {
                    format!("Foto diambil {distance} m dari posisi survei (batas {allowed} m).")
                } else {
                    format!("A photo was taken {distance} m from the survey's fix (allowed {allowed} m).")
                }
            }
            Self::PhotoTimeOff(p) => {
                let gap = time_gap(p.hours, lang);
                if id {
                    format!("Foto diambil {gap} dari waktu survei.")
                } else {
                    format!("A photo was taken {gap} away from the survey's capture time.")
                }
            }
            Self::PhotoReused(p) => {
                let same = p.phash_distance_bits == 0;
                if id {
                    let which = if same { "yang sama" } else { "yang hampir sama" };
                    format!("Foto {which} juga dipakai untuk usulan #{}.", p.other_proposal_id)
                } else {
                    let which = if same { "same" } else { "a near-identical" };
                    format!(
                        "The {which} photo is also attached to proposal #{}.",
                        p.other_proposal_id
                    )
                }
            }
            Self::SurveyorSpeed(s) => {
                let (km, minutes, speed) = (n(s.distance_km, 1), n(s.minutes, 0), n(s.speed_kmh, 0));
                if id {
                    format!(
                        "Survei lain oleh surveyor yang sama berjarak {km} km dalam {minutes} menit ({speed} km/jam)."
                    )
                } else {
                    format!(
                        "Another survey by the same surveyor is {km} km away {minutes} minutes apart ({speed} km/h)."
                    )
                }
            }
        }
    }

    /// One example of every finding, for the catalogue's own tests.
    pub fn examples() -> Vec<Self> {
        let kode = |k: &str| WilayahKode::parse(k).unwrap_or_else(|_| unreachable!());
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let cost = CostVsStandard {
            unit_cost_rupiah: 1_250_000,
            standard_rupiah: 410_000,
            ratio: 3.05,
            unit: Unit::SquareMetre,
            budget_rupiah: 125_000_000,
            volume: "100".into(),
            standard_source: "SSH".into(),
            standard_from_elsewhere: None,
        };
        let location = Location {
            status: LocationStatus::OtherKelurahan,
            claimed: kode("31.71.01.1001"),
            kode: Some(kode("31.71.01.1002")),
            kodes: vec![],
            nearest_kode: None,
            distance_m: Some(1_234.5),
            claimed_distance_m: Some(1_234.5),
            subject: Positioned::Pin,
            claimed_among: None,
            claimed_nama: Some("Gambir".into()),
            nama: Some("Cideng".into()),
        };
        vec![
            Self::CostAboveStandard(cost.clone()),
            Self::CostBelowStandard(CostVsStandard {
                standard_from_elsewhere: Some("Kabupaten Pangandaran".into()),
                ..cost
            }),
            Self::CostOutlier(CostOutlier {
                unit_cost_rupiah: 900_000,
                median_rupiah: 300_000,
                robust_z: 4.2,
                group_size: 12,
                method: "z".into(),
                activity: Some("paving_block".into()),
                unit: Some(Unit::SquareMetre),
            }),
            Self::VolumeImplausible(VolumeBound {
                volume: "12000".into(),
                unit: Unit::SquareMetre,
                bound: "3000".into(),
                activity: "paving_block".into(),
                activity_nama: Some("Paving block".into()),
            }),
            Self::DuplicateNearby(Duplicate {
                other_id: 7,
                distance_m: Some(12.0),
                other_text: "x".into(),
            }),
            Self::DoneBefore(DoneBefore {
                earlier_id: 3,
                earlier_tahun: 2024,
                distance_m: None,
                earlier_text: "x".into(),
            }),
            Self::UnitIncomparable(UnitIncomparable::Proposal {
                unit_raw: "paket".into(),
                expected_unit: Unit::Metre,
                activity_nama: Some("Saluran".into()),
            }),
            Self::UnitIncomparable(UnitIncomparable::Survey {
                unit: Some(Unit::Metre),
                proposed_unit: None,
            }),
            Self::ActivityUnknown(ActivityUnknown { usulan: "x".into() }),
            Self::LocationBorderline(location.clone()),
            Self::LocationOtherKelurahan(location.clone()),
            Self::LocationGap(location.clone()),
            Self::LocationOverlap(location.clone()),
            Self::LocationOutside(location),
            Self::SurveyLowAccuracy(LowAccuracy {
                accuracy_m: 45.0,
                limit_m: 30.0,
            }),
            Self::SurveyMockLocation(MockLocation { accuracy_m: 0.0 }),
            Self::VolumeDeviation(VolumeDeviation {
                measured: "65".into(),
                proposed: "100".into(),
                unit: "m".into(),
                deviation: -0.351,
            }),
            Self::TraceMismatch(TraceMismatch {
                traced: 52.0,
                volume: "100".into(),
                unit: Unit::Metre,
            }),
            Self::PhotoMissing(PhotoMissing {
                photos: 1,
                minimum: 2,
            }),
            Self::PhotoUnreadable(PhotoUnreadable {
                photos: vec![UnreadablePhoto {
                    sha256: "ab".into(),
                    error: None,
                }],
            }),
            Self::PhotoNoGps(PhotoNoGps {
                photos: vec!["ab".into()],
            }),
            Self::PhotoGpsFar(PhotoGpsFar {
                sha256: "ab".into(),
                distance_m: 10_878_677.0,
                allowed_m: 65.0,
            }),
            Self::PhotoTimeOff(PhotoTimeOff {
                sha256: "ab".into(),
                taken_at: at,
                captured_at: at,
                hours: 158_847.0,
            }),
            Self::PhotoReused(PhotoReused {
                sha256: "ab".into(),
                other_proposal_id: 9,
                phash_distance_bits: 0,
            }),
            Self::SurveyorSpeed(SurveyorSpeed {
                distance_km: 42.0,
                minutes: 10.0,
                speed_kmh: 252.0,
                other_captured_at: at,
            }),
        ]
    }
}

impl Location {
    /// The subject, the distance in metres and the claimed kelurahan, in `lang`.
    fn said(&self, lang: Lang) -> (&'static str, String, String) {
        let subject = match self.subject {
            Positioned::Pin => lang.pick("Titik peta", "The map pin"),
            Positioned::SurveyFix => lang.pick("Posisi GPS survei", "The survey's GPS fix"),
        };
        (
            subject,
            decimal(self.distance_m.unwrap_or(0.0), 0, lang),
            kelurahan(self.claimed_nama.as_deref(), &self.claimed),
        )
    }
}

/// A time gap in the largest unit that reads naturally: hours up to two days, then days, then years.
///
/// ```
/// use survey_schema::finding::time_gap;
/// use survey_schema::say::Lang;
/// assert_eq!(time_gap(5.0, Lang::Id), "5 jam");
/// assert_eq!(time_gap(158_847.0, Lang::Id), "18,1 tahun (158.847 jam)");
/// assert_eq!(time_gap(72.0, Lang::En), "3 days");
/// ```
pub fn time_gap(hours: f64, lang: Lang) -> String {
    let n = |x: f64, places: usize| decimal(x, places, lang);
    let days = hours / 24.0;
    let years = days / 365.25;
    if hours < 48.0 {
        format!("{} {}", n(hours, 0), lang.pick("jam", "hours"))
    } else if years < 1.0 {
        format!("{} {}", n(days, 0), lang.pick("hari", "days"))
    } else {
        format!(
            "{} {} ({} {})",
            n(years, 1),
            lang.pick("tahun", "years"),
            n(hours, 0),
            lang.pick("jam", "hours")
        )
    }
}

impl Anomaly {
    /// A stored anomaly read back: its sentence written now from its code and figures, so the
    /// catalogue's current wording; `stored` is kept only for a code this build does not know.
    pub fn from_stored(
        code: &str,
        severity: Severity,
        details: serde_json::Value,
        stored: LocalizedMessage,
    ) -> Self {
        let message = Finding::from_stored(code, &details).map_or(stored, |f| f.message());
        Self {
            code: code.to_owned(),
            severity,
            message,
            details,
        }
    }

    /// This anomaly with its sentence rewritten from the catalogue (a snapshot read back).
    #[must_use]
    pub fn reworded(self) -> Self {
        Self::from_stored(&self.code, self.severity, self.details, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_finding_has_both_texts_and_reads_back_from_what_is_stored() {
        for f in Finding::examples() {
            let (id, en) = (f.text(Lang::Id), f.text(Lang::En));
            assert!(!id.is_empty() && !en.is_empty(), "{}", f.code());
            assert_ne!(id, en, "{}", f.code());
            assert!(!id.contains('{') && !en.contains('{'), "{id} / {en}");
            let back = Finding::from_stored(f.code(), &f.details());
            assert_eq!(back.as_ref(), Some(&f), "{}", f.code());
        }
    }

    #[test]
    fn every_finding_has_a_short_label_and_names_the_proposals_it_is_about() {
        for f in Finding::examples() {
            let (id, en) = (
                Finding::short_label(f.code(), Lang::Id),
                Finding::short_label(f.code(), Lang::En),
            );
            assert_ne!(id, "Temuan lain", "{}", f.code());
            assert_ne!(id, en, "{}", f.code());
        }
        let named: Vec<i64> = Finding::examples()
            .iter()
            .filter_map(Finding::other_proposal)
            .collect();
        assert_eq!(named.len(), 3, "duplicate, done before, photo reused");
    }

    #[test]
    fn a_standard_borrowed_from_another_region_says_so_in_both_languages() {
        let below = &Finding::examples()[1];
        assert!(
            below
                .text(Lang::Id)
                .ends_with("dipinjam dari Kabupaten Pangandaran: kota usulan belum punya harga standar sendiri."),
            "{}",
            below.text(Lang::Id)
        );
        assert!(
            below
                .text(Lang::En)
                .contains("borrowed from Kabupaten Pangandaran")
        );
        assert!(!Finding::examples()[0].text(Lang::Id).contains("dipinjam"));
    }

    #[test]
    fn figures_are_written_the_indonesian_way_in_indonesian() {
        let far = Finding::PhotoGpsFar(PhotoGpsFar {
            sha256: "ab".into(),
            distance_m: 10_878_677.0,
            allowed_m: 65.0,
        });
        assert_eq!(
            far.text(Lang::Id),
            "Foto diambil 10.878.677 m dari posisi survei (batas 65 m)."
        );
        assert!(far.text(Lang::En).contains("10,878,677 m"));
        let deviation = Finding::VolumeDeviation(VolumeDeviation {
            measured: "64.9".into(),
            proposed: "100".into(),
            unit: "m2".into(),
            deviation: -0.351_000_000_000_000_03,
        });
        assert_eq!(
            deviation.text(Lang::Id),
            "Volume ukur ulang 64,9 m2 berbeda -35% dari usulan 100 m2."
        );
        let above = Finding::CostAboveStandard(CostVsStandard {
            unit_cost_rupiah: 1_250_000,
            standard_rupiah: 410_000,
            ratio: 3.05,
            unit: Unit::SquareMetre,
            budget_rupiah: 1,
            volume: "1".into(),
            standard_source: String::new(),
            standard_from_elsewhere: None,
        });
        assert_eq!(
            above.text(Lang::Id),
            "Biaya satuan Rp 1.250.000/m2 = 3,0× harga standar Rp 410.000/m2."
        );
    }

    #[test]
    fn places_are_named_when_the_name_was_known() {
        let Finding::LocationOtherKelurahan(location) = &Finding::examples()[10] else {
            unreachable!()
        };
        let text = Finding::LocationOtherKelurahan(location.clone()).text(Lang::Id);
        assert_eq!(
            text,
            "Titik peta berada di kelurahan lain (Cideng), 1.234 m dari kelurahan Gambir."
        );
    }

    #[test]
    fn a_finding_stored_before_a_field_was_added_still_reads() {
        let details = serde_json::json!({
            "status": "gap", "claimed": "31.71.01.1001", "kode": null, "kodes": [],
            "nearest_kode": "31.71.01.1002", "distance_m": 40.2, "claimed_distance_m": 40.2
        });
        let f = Finding::from_stored("LOCATION_GAP", &details);
        assert!(f.is_some_and(|f| f.text(Lang::En).starts_with("The map pin lies in a gap")));
    }

    #[test]
    fn an_unknown_code_keeps_its_stored_sentence() {
        let stored = LocalizedMessage {
            id: "lama".into(),
            en: "old".into(),
        };
        let a = Anomaly::from_stored(
            "RETIRED_CODE",
            Severity::Info,
            serde_json::json!({}),
            stored.clone(),
        );
        assert_eq!(a.message, stored);
    }
}
