//! A survey record as a phone sends it: one visit of the technical team to one proposal.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::text::{self, TextKind};
use crate::{Anomaly, Wgs84Point};

/// Largest photo accepted, in bytes (20 MB).
pub const MAX_PHOTO_BYTES: u64 = 20 * 1024 * 1024;
/// Most photos one survey may declare.
pub const MAX_PHOTOS: usize = 30;
/// Photo types accepted.
pub const PHOTO_CONTENT_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/webp", "image/heic"];
const MAX_TEXT: usize = 2_000;
const MAX_TRACE_POSITIONS: usize = 5_000;

/// The phone's GPS fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GpsFix {
    /// Degrees, -90..=90.
    pub lat: f64,
    /// Degrees, -180..=180.
    pub lon: f64,
    /// Horizontal accuracy in metres (radius), 0..=10,000.
    pub accuracy_m: f64,
    /// Metres above the ellipsoid, if the phone gives it.
    pub altitude_m: Option<f64>,
    /// When the fix was taken (device clock).
    pub fix_time: DateTime<Utc>,
}

/// The measured work traced on the phone: a LineString (length) or a Polygon (area), `[lon, lat]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", deny_unknown_fields)]
pub enum Trace {
    LineString { coordinates: Vec<[f64; 2]> },
    Polygon { coordinates: Vec<Vec<[f64; 2]>> },
}

/// A yes/no judgement with a note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Feasibility {
    pub ok: bool,
    pub note: Option<String>,
}

/// The volume as remeasured in the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RemeasuredVolume {
    /// Exact decimal, e.g. `"120.5"`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "120.5"))]
    pub value: Decimal,
    /// As written, e.g. `m2`, `M'`, `titik`.
    pub satuan: String,
}

/// One photo the survey will upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PhotoManifestEntry {
    /// SHA-256 of the file, 64 lower-case hex digits: the photo's identity.
    pub sha256: String,
    /// File size in bytes.
    pub bytes: u64,
    /// `image/jpeg`, `image/png`, `image/webp` or `image/heic`.
    pub content_type: String,
    pub caption: Option<String>,
}

/// `PUT /api/v1/surveys/{uuid}`: the body. The UUID, made by the phone, is the survey's identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SurveyRecord {
    pub proposal_id: i64,
    /// When the survey was captured (device clock).
    pub captured_at: DateTime<Utc>,
    pub fix: GpsFix,
    pub trace: Option<Trace>,
    pub address_confirmed: bool,
    pub address_note: Option<String>,
    pub technical: Feasibility,
    pub administrative: Feasibility,
    pub volume: RemeasuredVolume,
    #[serde(default)]
    pub photos: Vec<PhotoManifestEntry>,
    /// The survey this one corrects, if any (a correction is a new survey; history is kept).
    pub supersedes: Option<Uuid>,
    /// The surveyor's note on the visit as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A field that does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldProblem {
    /// JSON path, e.g. `fix.lat`, `photos[2].sha256`.
    pub field: String,
    pub problem: String,
}

/// The manifest names a photo by its digest exactly as the photo's address will (lower-case).
fn is_sha256(s: &str) -> bool {
    crate::Sha256::parse(s).is_ok_and(|sha| sha.as_str() == s)
}

/// A survey record whose every value holds: made only by [`SurveyRecord::check`], so the record a
/// workflow stores is the one that was checked, and its GPS fix is a [`Wgs84Point`] already.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedSurvey {
    record: SurveyRecord,
    fix: Wgs84Point,
}

impl CheckedSurvey {
    pub fn record(&self) -> &SurveyRecord {
        &self.record
    }

    /// The survey's GPS fix, in range.
    pub fn fix(&self) -> Wgs84Point {
        self.fix
    }

    pub fn into_record(self) -> SurveyRecord {
        self.record
    }
}

impl SurveyRecord {
    /// The record, checked: every problem with its values, or the record as a [`CheckedSurvey`].
    ///
    /// ```
    /// # use survey_schema::SurveyRecord;
    /// let mut r: SurveyRecord = serde_json::from_value(serde_json::json!({
    ///     "proposal_id": 1, "captured_at": "2026-11-02T03:04:05Z",
    ///     "fix": {"lat": -6.17, "lon": 106.82, "accuracy_m": 4.0,
    ///             "altitude_m": null, "fix_time": "2026-11-02T03:04:00Z"},
    ///     "trace": null, "address_confirmed": true, "address_note": null,
    ///     "technical": {"ok": true, "note": null},
    ///     "administrative": {"ok": true, "note": null},
    ///     "volume": {"value": "120.5", "satuan": "m2"}, "supersedes": null
    /// })).unwrap();
    /// assert!((r.clone().check().unwrap().fix().lat() + 6.17).abs() < 1e-9);
    /// r.fix.lat = 91.0;
    /// assert_eq!(r.check().unwrap_err()[0].field, "fix");
    /// ```
    pub fn check(self) -> Result<CheckedSurvey, Vec<FieldProblem>> {
        let problems = self.problems();
        match Wgs84Point::parse(self.fix.lon, self.fix.lat) {
            Ok(fix) if problems.is_empty() => Ok(CheckedSurvey { record: self, fix }),
            _ => Err(problems),
        }
    }

    /// Every problem with the record's values (types are already checked by deserialisation).
    pub fn problems(&self) -> Vec<FieldProblem> {
        let mut out = Vec::new();
        let mut bad = |field: String, problem: String| out.push(FieldProblem { field, problem });
        if let Err(e) = Wgs84Point::parse(self.fix.lon, self.fix.lat) {
            bad("fix".into(), e.to_string());
        }
        if !(self.fix.accuracy_m.is_finite() && (0.0..=10_000.0).contains(&self.fix.accuracy_m)) {
            bad("fix.accuracy_m".into(), "must be 0 to 10,000 metres".into());
        }
        if self
            .fix
            .altitude_m
            .is_some_and(|a| !a.is_finite() || a.abs() > 10_000.0)
        {
            bad(
                "fix.altitude_m".into(),
                "must be within 10,000 metres of the ellipsoid".into(),
            );
        }
        if self.volume.value <= Decimal::ZERO {
            bad("volume.value".into(), "must be more than 0".into());
        }
        if self.volume.satuan.trim().is_empty() {
            bad("volume.satuan".into(), "is empty".into());
        } else if let Err(found) = text::check(&self.volume.satuan, TextKind::Line) {
            bad("volume.satuan".into(), found.en());
        }
        for (field, text) in [
            ("address_note", &self.address_note),
            ("technical.note", &self.technical.note),
            ("administrative.note", &self.administrative.note),
            ("note", &self.note),
        ] {
            let Some(text) = text else { continue };
            if text.chars().count() > MAX_TEXT {
                bad(
                    field.into(),
                    format!("is longer than {MAX_TEXT} characters"),
                );
            } else if let Err(found) = text::check(text, TextKind::Note) {
                bad(field.into(), found.en());
            }
        }
        if self.photos.len() > MAX_PHOTOS {
            bad("photos".into(), format!("at most {MAX_PHOTOS} photos"));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, p) in self.photos.iter().enumerate() {
            if !is_sha256(&p.sha256) {
                bad(
                    format!("photos[{i}].sha256"),
                    "must be 64 lower-case hex digits".into(),
                );
            } else if !seen.insert(&p.sha256) {
                bad(
                    format!("photos[{i}].sha256"),
                    "repeats an earlier photo".into(),
                );
            }
            if p.bytes == 0 || p.bytes > MAX_PHOTO_BYTES {
                bad(
                    format!("photos[{i}].bytes"),
                    format!("must be 1 to {MAX_PHOTO_BYTES} bytes"),
                );
            }
            if !PHOTO_CONTENT_TYPES.contains(&p.content_type.as_str()) {
                bad(
                    format!("photos[{i}].content_type"),
                    format!("must be one of {}", PHOTO_CONTENT_TYPES.join(", ")),
                );
            }
            if let Some(caption) = &p.caption {
                if caption.chars().count() > MAX_TEXT {
                    bad(
                        format!("photos[{i}].caption"),
                        format!("is longer than {MAX_TEXT} characters"),
                    );
                } else if let Err(found) = text::check(caption, TextKind::Note) {
                    bad(format!("photos[{i}].caption"), found.en());
                }
            }
        }
        if let Some(trace) = &self.trace {
            let (positions, enough): (Vec<&[f64; 2]>, bool) = match trace {
                Trace::LineString { coordinates } => {
                    (coordinates.iter().collect(), coordinates.len() >= 2)
                }
                Trace::Polygon { coordinates } => (
                    coordinates.iter().flatten().collect(),
                    !coordinates.is_empty()
                        && coordinates
                            .iter()
                            .all(|r| r.len() >= 4 && r.first() == r.last()),
                ),
            };
            if !enough {
                bad(
                    "trace".into(),
                    "a LineString needs 2 positions, a Polygon closed rings of 4 or more".into(),
                );
            }
            if positions.len() > MAX_TRACE_POSITIONS {
                bad(
                    "trace".into(),
                    format!("at most {MAX_TRACE_POSITIONS} positions"),
                );
            }
            if let Some([lon, lat]) = positions
                .iter()
                .copied()
                .find(|[lon, lat]| Wgs84Point::parse(*lon, *lat).is_err())
            {
                bad(
                    "trace".into(),
                    format!("position [{lon}, {lat}] is not [lon, lat] in range"),
                );
            }
        }
        out
    }
}

/// A stored survey, as `GET` and `PUT` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyView {
    pub id: Uuid,
    /// When the server first received it.
    pub received_at: DateTime<Utc>,
    /// Who sent it.
    pub surveyor: Option<String>,
    pub record: SurveyRecord,
    /// Declared photos not yet uploaded (their sha256).
    pub missing_photos: Vec<String>,
    /// Uploaded photos whose pixels are still being read (thumbnail, perceptual hash): the checks
    /// run once this and `missing_photos` are both empty.
    pub processing_photos: Vec<String>,
    /// The survey that corrects this one, if any.
    pub superseded_by: Option<Uuid>,
    /// The checks on this survey (filled in once all photos are in and read).
    pub checks: Vec<Anomaly>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> SurveyRecord {
        serde_json::from_value(serde_json::json!({
            "proposal_id": 1,
            "captured_at": "2026-02-10T03:15:00Z",
            "fix": {"lat": -6.1754, "lon": 106.8272, "accuracy_m": 8.0, "altitude_m": null, "fix_time": "2026-02-10T03:14:58Z"},
            "trace": {"type": "LineString", "coordinates": [[106.8272, -6.1754], [106.8280, -6.1754]]},
            "address_confirmed": true,
            "address_note": null,
            "technical": {"ok": true, "note": null},
            "administrative": {"ok": true, "note": "lahan milik pemda"},
            "volume": {"value": "120.5", "satuan": "m'"},
            "photos": [{"sha256": "a".repeat(64), "bytes": 161_713, "content_type": "image/jpeg", "caption": "sisi utara"}],
            "supersedes": null
        }))
        .unwrap()
    }

    #[test]
    fn a_good_record_has_no_problems() {
        assert_eq!(record().problems(), []);
    }

    #[test]
    fn every_bad_value_is_named_by_its_field() {
        let mut r = record();
        r.fix.lat = 91.0;
        r.fix.accuracy_m = -1.0;
        r.volume.value = Decimal::ZERO;
        r.photos[0].sha256 = "XYZ".into();
        r.photos[0].content_type = "application/pdf".into();
        r.trace = Some(Trace::LineString {
            coordinates: vec![[106.8, -6.2]],
        });
        let fields: Vec<String> = r.problems().into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                "fix",
                "fix.accuracy_m",
                "volume.value",
                "photos[0].sha256",
                "photos[0].content_type",
                "trace"
            ]
        );
    }

    #[test]
    fn a_nul_or_other_control_character_is_named_by_its_field() {
        let mut r = record();
        r.note = Some("catatan\u{0}".into());
        r.address_note = Some("baris\nkedua".into());
        r.technical.note = Some("\u{1b}[31m".into());
        r.volume.satuan = "m\u{0}2".into();
        r.photos[0].caption = Some("utara\u{7f}".into());
        let problems = r.problems();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "volume.satuan",
                "technical.note",
                "note",
                "photos[0].caption"
            ]
        );
        assert_eq!(
            problems[0].problem,
            "contains the control character U+0000 at character 2"
        );
    }

    #[test]
    fn unknown_fields_and_wrong_types_are_refused_by_deserialisation() {
        let mut v = serde_json::to_value(record()).unwrap();
        v["extra"] = serde_json::json!(1);
        assert!(serde_json::from_value::<SurveyRecord>(v).is_err());
        let mut v = serde_json::to_value(record()).unwrap();
        v["fix"]["lat"] = serde_json::json!("-6.1");
        assert!(serde_json::from_value::<SurveyRecord>(v).is_err());
    }
}

/// A proposal a phone should survey.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assignment {
    pub id: i64,
    pub tahun: i32,
    pub kelurahan: crate::WilayahKode,
    pub rw: Option<String>,
    pub rt: Option<String>,
    pub usulan: String,
    pub lokasi: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "120.5"))]
    pub volume: Decimal,
    pub satuan: String,
    /// Catalogue activity code.
    pub activity: Option<String>,
    pub pin: Option<crate::RawPoint>,
    /// The surveyor (by name) or the team the camat assigned it to; `None`: anyone of the area.
    #[serde(default)]
    pub assigned_to: Option<String>,
    /// Assigned to the asking surveyor or its team (these come first).
    #[serde(default)]
    pub mine: bool,
    /// Why the camat sent its earlier survey back for another visit.
    #[serde(default)]
    pub resurvey_reason: Option<String>,
}

/// What became of a survey a phone sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SurveyState {
    /// Stored; some of its photos have not arrived.
    Received,
    /// Complete, and the evidence the camat decides on.
    Accepted,
    /// The camat asked for another visit (`reason`); a new survey of the proposal answers it.
    SentBack,
    /// A later survey of the proposal replaced it.
    Superseded,
    /// The camat or an admin voided it (`reason`), e.g. filed against the wrong proposal.
    Voided,
}

impl SurveyState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Accepted => "accepted",
            Self::SentBack => "sent_back",
            Self::Superseded => "superseded",
            Self::Voided => "voided",
        }
    }
}

/// One of the phone's surveys and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyFate {
    pub id: Uuid,
    pub proposal_id: i64,
    pub state: SurveyState,
    /// Why it was sent back or voided.
    pub reason: Option<String>,
    pub received_at: DateTime<Utc>,
}

/// `GET /api/v1/sync/assignments`: what changed since the phone's cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignmentsPage {
    /// Proposals to survey that are new or changed since the cursor.
    pub assignments: Vec<Assignment>,
    /// Proposals that left the list since the cursor (surveyed, or no longer physical works).
    pub removed: Vec<i64>,
    /// Send this as `since` next time.
    pub cursor: String,
    /// More changes wait: ask again at once with the new cursor.
    pub has_more: bool,
    /// ETag of the kelurahan boundaries of the caller's area: refresh the offline map when it changes.
    pub boundaries_etag: Option<String>,
    /// The year surveyed: the proposals of other years are not listed.
    #[serde(default)]
    pub tahun: Option<i32>,
    /// Every survey the caller sent this year, newest first, with what became of it.
    #[serde(default)]
    pub surveys: Vec<SurveyFate>,
}
