//! The checks on a completed survey: was the team there, then, and does what it measured agree?
//! Pure functions over plain data; every distance in metres, every time in UTC.

use chrono::{DateTime, Duration, FixedOffset, NaiveDateTime, TimeZone, Utc};
use geo::{Coord, Geodesic, GeodesicArea, Length, LineString, Polygon};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use survey_schema::finding::{
    Finding, LowAccuracy, MockLocation, PhotoGpsFar, PhotoMissing, PhotoNoGps, PhotoReused,
    PhotoTimeOff, PhotoUnreadable, Positioned, SurveyorSpeed, TraceMismatch, UnitIncomparable,
    UnreadablePhoto, VolumeDeviation,
};
use survey_schema::survey::Trace;
use survey_schema::{Anomaly, Severity, Unit, Wgs84Point, WilayahKode};

use crate::BoundaryIndex;
use crate::metric::geodesic_m;
use crate::proposal_rules::position_anomaly;

/// The survey codes.
pub mod codes {
    pub const SURVEY_LOW_ACCURACY: &str = "SURVEY_LOW_ACCURACY";
    pub const SURVEY_MOCK_LOCATION: &str = "SURVEY_MOCK_LOCATION";
    pub const VOLUME_DEVIATION: &str = "VOLUME_DEVIATION";
    pub const TRACE_MISMATCH: &str = "TRACE_MISMATCH";
    pub const PHOTO_MISSING: &str = "PHOTO_MISSING";
    pub const PHOTO_NO_GPS: &str = "PHOTO_NO_GPS";
    pub const PHOTO_GPS_FAR: &str = "PHOTO_GPS_FAR";
    pub const PHOTO_TIME_OFF: &str = "PHOTO_TIME_OFF";
    pub const PHOTO_REUSED: &str = "PHOTO_REUSED";
    pub const SURVEYOR_SPEED: &str = "SURVEYOR_SPEED";
    pub const PHOTO_UNREADABLE: &str = "PHOTO_UNREADABLE";
}

/// Thresholds, with the documented defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurveyConfig {
    /// `SURVEY_LOW_ACCURACY` above this many metres.
    pub max_accuracy_m: f64,
    /// `VOLUME_DEVIATION`: warning above this fraction, high above the second.
    pub volume_warning: f64,
    pub volume_high: f64,
    /// `TRACE_MISMATCH` when the traced length or area differs from the volume by more than this.
    pub trace_tolerance: f64,
    /// `PHOTO_MISSING` below this many photos.
    pub min_photos: usize,
    /// `PHOTO_GPS_FAR` beyond the fix's accuracy plus this many metres.
    pub photo_distance_m: f64,
    /// `PHOTO_TIME_OFF` beyond this many hours.
    pub photo_time_hours: i64,
    /// EXIF times without an offset are read in this zone (WIB, UTC+7, by default).
    pub local_offset_hours: i32,
    /// `PHOTO_REUSED` for pictures this close (bits of the 64-bit difference hash).
    pub phash_max_distance: u32,
    /// `SURVEYOR_SPEED` above this speed.
    pub max_speed_kmh: f64,
}

impl Default for SurveyConfig {
    fn default() -> Self {
        Self {
            max_accuracy_m: 30.0,
            volume_warning: 0.2,
            volume_high: 0.5,
            trace_tolerance: 0.25,
            min_photos: 2,
            photo_distance_m: 100.0,
            photo_time_hours: 48,
            local_offset_hours: 7,
            phash_max_distance: 6,
            max_speed_kmh: 120.0,
        }
    }
}

/// A received photo of the survey.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoFacts {
    pub sha256: String,
    pub exif_position: Option<Wgs84Point>,
    /// DateTimeOriginal as written (`2026:02:10 10:15:00`) and its offset (`+07:00`) if any.
    pub exif_time: Option<String>,
    pub exif_offset: Option<String>,
    pub phash: Option<u64>,
    /// Why its pixels could not be decoded, if so (the file is kept; the picture cannot be looked at).
    pub decode_error: Option<String>,
}

/// A photo already attached to another proposal's survey.
#[derive(Debug, Clone, PartialEq)]
pub struct OtherPhoto {
    pub sha256: String,
    pub phash: Option<u64>,
    pub proposal_id: i64,
}

/// Another survey by the same surveyor.
#[derive(Debug, Clone, PartialEq)]
pub struct OtherSurvey {
    pub captured_at: DateTime<Utc>,
    pub fix: Wgs84Point,
}

/// Everything the survey checks read.
#[derive(Debug, Clone)]
pub struct SurveyFacts {
    pub kelurahan: WilayahKode,
    pub proposed_volume: Decimal,
    pub proposed_unit: Option<Unit>,
    pub captured_at: DateTime<Utc>,
    pub fix: Wgs84Point,
    pub accuracy_m: f64,
    pub trace: Option<Trace>,
    pub volume: Decimal,
    pub unit: Option<Unit>,
    pub photos: Vec<PhotoFacts>,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Runs every survey check.
pub fn check_survey(
    s: &SurveyFacts,
    boundaries: Option<&BoundaryIndex>,
    others_photos: &[OtherPhoto],
    same_surveyor: &[OtherSurvey],
    config: &SurveyConfig,
) -> Vec<Anomaly> {
    let mut out = Vec::new();
    if let Some(a) = boundaries.and_then(|index| {
        position_anomaly(
            index,
            s.fix,
            s.accuracy_m,
            &s.kelurahan,
            Positioned::SurveyFix,
        )
    }) {
        out.push(a);
    }
    if s.accuracy_m > config.max_accuracy_m {
        out.push(
            Finding::SurveyLowAccuracy(LowAccuracy {
                accuracy_m: s.accuracy_m,
                limit_m: config.max_accuracy_m,
            })
            .at(Severity::Warning),
        );
    }
    out.extend(mock_location(s));
    out.extend(volume_deviation(s, config));
    out.extend(trace_mismatch(s, config));
    out.extend(photo_checks(s, others_photos, config));
    out.extend(surveyor_speed(s, same_surveyor, config));
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.code.cmp(&b.code))
    });
    out
}

/// `SURVEY_MOCK_LOCATION`: an accuracy of exactly 0 m. No receiver measures that; ODK Collect
/// writes it for a mock-location app and for a point placed by hand on the map.
///
/// ```
/// # use geo_rules::survey_rules::is_mock_accuracy;
/// assert!(is_mock_accuracy(0.0));
/// assert!(!is_mock_accuracy(3.9)); // metres: a good fix
/// ```
pub fn is_mock_accuracy(accuracy_m: f64) -> bool {
    accuracy_m == 0.0
}

fn mock_location(s: &SurveyFacts) -> Option<Anomaly> {
    is_mock_accuracy(s.accuracy_m).then(|| {
        Finding::SurveyMockLocation(MockLocation {
            accuracy_m: s.accuracy_m,
        })
        .at(Severity::Warning)
    })
}

fn volume_deviation(s: &SurveyFacts, config: &SurveyConfig) -> Option<Anomaly> {
    if !crate::units::comparable(s.unit, s.proposed_unit) {
        return Some(
            Finding::UnitIncomparable(UnitIncomparable::Survey {
                unit: s.unit,
                proposed_unit: s.proposed_unit,
            })
            .at(Severity::Info),
        );
    }
    let (proposed, measured) = (s.proposed_volume.to_f64()?, s.volume.to_f64()?);
    if proposed <= 0.0 {
        return None;
    }
    let deviation = (measured - proposed) / proposed;
    if deviation.abs() <= config.volume_warning {
        return None;
    }
    let severity = if deviation.abs() > config.volume_high {
        Severity::High
    } else {
        Severity::Warning
    };
    let unit = s.unit.map_or("", Unit::as_str);
    Some(
        Finding::VolumeDeviation(VolumeDeviation {
            measured: s.volume.normalize().to_string(),
            proposed: s.proposed_volume.normalize().to_string(),
            unit: unit.to_owned(),
            deviation: round1(deviation * 100.0) / 100.0,
        })
        .at(severity),
    )
}

/// The length (m) of a traced LineString or the area (m²) of a traced Polygon, on the ellipsoid.
///
/// ```
/// use geo_rules::survey_rules::trace_measure;
/// use survey_schema::survey::Trace;
/// // About 110.6 m along a meridian at Jakarta.
/// let (m, _) = trace_measure(&Trace::LineString { coordinates: vec![[106.8, -6.2], [106.8, -6.201]] });
/// assert!((m - 110.6).abs() < 0.5);
/// ```
pub fn trace_measure(trace: &Trace) -> (f64, Unit) {
    let line = |ring: &[[f64; 2]]| {
        LineString::from(
            ring.iter()
                .map(|p| Coord { x: p[0], y: p[1] })
                .collect::<Vec<_>>(),
        )
    };
    match trace {
        Trace::LineString { coordinates } => (Geodesic.length(&line(coordinates)), Unit::Metre),
        Trace::Polygon { coordinates } => {
            let Some((outer, holes)) = coordinates.split_first() else {
                return (0.0, Unit::SquareMetre);
            };
            let polygon = Polygon::new(line(outer), holes.iter().map(|h| line(h)).collect());
            (polygon.geodesic_area_unsigned(), Unit::SquareMetre)
        }
    }
}

fn trace_mismatch(s: &SurveyFacts, config: &SurveyConfig) -> Option<Anomaly> {
    let trace = s.trace.as_ref()?;
    let (measured, unit) = trace_measure(trace);
    if s.unit != Some(unit) {
        return None;
    }
    let volume = s.volume.to_f64()?;
    if volume <= 0.0 || ((measured - volume) / volume).abs() <= config.trace_tolerance {
        return None;
    }
    Some(
        Finding::TraceMismatch(TraceMismatch {
            traced: round1(measured),
            volume: s.volume.normalize().to_string(),
            unit,
        })
        .at(Severity::Warning),
    )
}

/// An EXIF `YYYY:MM:DD HH:MM:SS` with its offset (or the configured local one), in UTC.
pub fn exif_time_utc(
    written: &str,
    offset: Option<&str>,
    default_offset_hours: i32,
) -> Option<DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(written.trim(), "%Y:%m:%d %H:%M:%S").ok()?;
    let zone = offset
        .and_then(|o| {
            DateTime::parse_from_str(
                &format!("2000-01-01T00:00:00{}", o.trim()),
                "%Y-%m-%dT%H:%M:%S%:z",
            )
            .ok()
        })
        .map(|d| *d.offset())
        .or_else(|| FixedOffset::east_opt(default_offset_hours * 3600))?;
    zone.from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

fn photo_checks(s: &SurveyFacts, others: &[OtherPhoto], config: &SurveyConfig) -> Vec<Anomaly> {
    let mut out = Vec::new();
    if s.photos.len() < config.min_photos {
        out.push(
            Finding::PhotoMissing(PhotoMissing {
                photos: s.photos.len(),
                minimum: config.min_photos,
            })
            .at(Severity::Warning),
        );
    }
    let unreadable: Vec<&PhotoFacts> = s
        .photos
        .iter()
        .filter(|p| p.decode_error.is_some())
        .collect();
    if !unreadable.is_empty() {
        out.push(
            Finding::PhotoUnreadable(PhotoUnreadable {
                photos: unreadable
                    .iter()
                    .map(|p| UnreadablePhoto {
                        sha256: p.sha256.clone(),
                        error: p.decode_error.clone(),
                    })
                    .collect(),
            })
            .at(Severity::Warning),
        );
    }
    let without_gps: Vec<&str> = s
        .photos
        .iter()
        .filter(|p| p.exif_position.is_none())
        .map(|p| p.sha256.as_str())
        .collect();
    if !without_gps.is_empty() {
        out.push(
            Finding::PhotoNoGps(PhotoNoGps {
                photos: without_gps.iter().map(|s| (*s).to_owned()).collect(),
            })
            .at(Severity::Info),
        );
    }
    for p in &s.photos {
        if let Some(position) = p.exif_position {
            let d = geodesic_m([position.lon(), position.lat()], [s.fix.lon(), s.fix.lat()]);
            let allowed = s.accuracy_m + config.photo_distance_m;
            if d > allowed {
                out.push(
                    Finding::PhotoGpsFar(PhotoGpsFar {
                        sha256: p.sha256.clone(),
                        distance_m: round1(d),
                        allowed_m: allowed,
                    })
                    .at(if d > 1_000.0 {
                        Severity::High
                    } else {
                        Severity::Warning
                    }),
                );
            }
        }
        if let Some(taken) = p
            .exif_time
            .as_deref()
            .and_then(|t| exif_time_utc(t, p.exif_offset.as_deref(), config.local_offset_hours))
        {
            let gap = (taken - s.captured_at).abs();
            if gap > Duration::hours(config.photo_time_hours) {
                let hours = gap.num_minutes() as f64 / 60.0;
                out.push(
                    Finding::PhotoTimeOff(PhotoTimeOff {
                        sha256: p.sha256.clone(),
                        taken_at: taken,
                        captured_at: s.captured_at,
                        hours: round1(hours),
                    })
                    .at(Severity::Warning),
                );
            }
        }
        let reused = others
            .iter()
            .find(|o| o.sha256 == p.sha256)
            .map(|o| (o, 0))
            .or_else(|| {
                let hash = p.phash?;
                others
                    .iter()
                    .filter_map(|o| Some((o, (o.phash? ^ hash).count_ones())))
                    .filter(|(_, d)| *d <= config.phash_max_distance)
                    .min_by_key(|(_, d)| *d)
            });
        if let Some((other, distance)) = reused {
            let same_file = other.sha256 == p.sha256;
            out.push(
                Finding::PhotoReused(PhotoReused {
                    sha256: p.sha256.clone(),
                    other_proposal_id: other.proposal_id,
                    phash_distance_bits: distance,
                })
                .at(if same_file {
                    Severity::High
                } else {
                    Severity::Warning
                }),
            );
        }
    }
    out
}

fn surveyor_speed(
    s: &SurveyFacts,
    same_surveyor: &[OtherSurvey],
    config: &SurveyConfig,
) -> Option<Anomaly> {
    same_surveyor
        .iter()
        .filter_map(|o| {
            let hours = (s.captured_at - o.captured_at).abs().num_seconds() as f64 / 3600.0;
            let km = geodesic_m([s.fix.lon(), s.fix.lat()], [o.fix.lon(), o.fix.lat()]) / 1000.0;
            // Less than a minute apart: speed means nothing (and two forms at one place are fine).
            (hours > 1.0 / 60.0 && km / hours > config.max_speed_kmh).then_some((o, km, hours))
        })
        .max_by(|a, b| (a.1 / a.2).total_cmp(&(b.1 / b.2)))
        .map(|(o, km, hours)| {
            let speed = km / hours;
            Finding::SurveyorSpeed(SurveyorSpeed {
                distance_km: round1(km),
                minutes: round1(hours * 60.0),
                speed_kmh: round1(speed),
                other_captured_at: o.captured_at,
            })
            .at(Severity::Warning)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(lon: f64, lat: f64) -> Wgs84Point {
        Wgs84Point::parse(lon, lat).unwrap()
    }

    fn facts() -> SurveyFacts {
        SurveyFacts {
            kelurahan: "31.71.01.1002".parse().unwrap(),
            proposed_volume: Decimal::from(100),
            proposed_unit: Some(Unit::Metre),
            captured_at: "2026-02-10T03:15:00Z".parse().unwrap(),
            fix: point(106.8095, -6.1756),
            accuracy_m: 8.0,
            trace: Some(Trace::LineString {
                coordinates: vec![[106.8095, -6.1756], [106.8104, -6.1756]],
            }),
            volume: Decimal::from(100),
            unit: Some(Unit::Metre),
            photos: vec![
                PhotoFacts {
                    sha256: "a".repeat(64),
                    exif_position: Some(point(106.8096, -6.1756)),
                    exif_time: Some("2026:02:10 10:14:00".into()),
                    exif_offset: None,
                    phash: Some(0xF0F0),
                    decode_error: None,
                },
                PhotoFacts {
                    sha256: "b".repeat(64),
                    exif_position: Some(point(106.8094, -6.1757)),
                    exif_time: Some("2026:02:10 10:16:00".into()),
                    exif_offset: Some("+07:00".into()),
                    phash: Some(0x0F0F_0000),
                    decode_error: None,
                },
            ],
        }
    }

    fn run(s: &SurveyFacts, others: &[OtherPhoto], same: &[OtherSurvey]) -> Vec<String> {
        check_survey(s, None, others, same, &SurveyConfig::default())
            .into_iter()
            .map(|a| a.code)
            .collect()
    }

    #[test]
    fn a_consistent_survey_raises_nothing() {
        assert_eq!(run(&facts(), &[], &[]), Vec::<String>::new());
    }

    #[test]
    fn poor_accuracy_volume_and_trace_disagreements_are_flagged() {
        let mut s = facts();
        s.accuracy_m = 45.0;
        s.volume = Decimal::from(160);
        let codes = run(&s, &[], &[]);
        assert_eq!(
            codes,
            ["VOLUME_DEVIATION", "SURVEY_LOW_ACCURACY", "TRACE_MISMATCH"]
        );
        let high = check_survey(&s, None, &[], &[], &SurveyConfig::default());
        assert_eq!(high[0].severity, Severity::High, "60% is over the 50% line");
    }

    #[test]
    fn a_fix_of_zero_accuracy_is_flagged_as_a_mock_location() {
        let mut s = facts();
        s.accuracy_m = 0.0;
        assert_eq!(run(&s, &[], &[]), ["SURVEY_MOCK_LOCATION"]);
        s.accuracy_m = 0.5;
        assert_eq!(run(&s, &[], &[]), Vec::<String>::new());
    }

    #[test]
    fn photo_evidence_far_late_missing_or_reused_is_flagged() {
        let mut s = facts();
        s.photos[0].exif_position = Some(point(106.83, -6.17));
        s.photos[1].exif_time = Some("2026:02:14 10:16:00".into());
        let others = [OtherPhoto {
            sha256: "b".repeat(64),
            phash: None,
            proposal_id: 77,
        }];
        let codes = run(&s, &others, &[]);
        assert_eq!(codes, ["PHOTO_GPS_FAR", "PHOTO_REUSED", "PHOTO_TIME_OFF"]);
        s.photos.truncate(1);
        s.photos[0].exif_position = None;
        let codes = run(
            &s,
            &[OtherPhoto {
                sha256: "c".repeat(64),
                phash: Some(0xF0F1),
                proposal_id: 5,
            }],
            &[],
        );
        assert_eq!(codes, ["PHOTO_MISSING", "PHOTO_REUSED", "PHOTO_NO_GPS"]);
    }

    #[test]
    fn a_photo_whose_pixels_cannot_be_decoded_is_flagged_by_name() {
        let mut s = facts();
        s.photos[1].decode_error = Some("unexpected end of file".into());
        s.photos[1].phash = None;
        let found = check_survey(&s, None, &[], &[], &SurveyConfig::default());
        let unreadable = found
            .iter()
            .find(|a| a.code == "PHOTO_UNREADABLE")
            .expect("flagged");
        assert_eq!(
            unreadable.details["photos"][0]["sha256"],
            s.photos[1].sha256
        );
        assert_eq!(found.len(), 1, "{found:?}");
    }

    #[test]
    fn travel_faster_than_a_car_between_two_surveys_is_flagged() {
        let s = facts();
        let earlier = OtherSurvey {
            captured_at: "2026-02-10T03:10:00Z".parse().unwrap(),
            fix: point(106.90, -6.30),
        };
        assert_eq!(run(&s, &[], &[earlier]), ["SURVEYOR_SPEED"]);
        let plausible = OtherSurvey {
            captured_at: "2026-02-10T01:05:00Z".parse().unwrap(),
            fix: point(106.90, -6.30),
        };
        assert_eq!(run(&s, &[], &[plausible]), Vec::<String>::new());
    }

    #[test]
    fn exif_times_are_read_in_their_offset_or_wib() {
        let wib = exif_time_utc("2026:02:10 10:15:00", None, 7).unwrap();
        assert_eq!(wib.to_rfc3339(), "2026-02-10T03:15:00+00:00");
        let wita = exif_time_utc("2026:02:10 10:15:00", Some("+08:00"), 7).unwrap();
        assert_eq!(wita.to_rfc3339(), "2026-02-10T02:15:00+00:00");
        assert!(exif_time_utc("garbage", None, 7).is_none());
    }
}
