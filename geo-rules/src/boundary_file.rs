//! Checking a GeoJSON file of administrative boundaries before anything is imported.
//!
//! The checks are the ones a bad file actually fails: truncated JSON, a feature that is not a
//! polygon, coordinates out of range or written latitude-first (the upstream source of Indonesia's
//! kelurahan polygons stores rings as `[lat, lng]`), a missing or malformed `kode`, duplicates.
//! Topological repair (self-intersections) is left to PostGIS `ST_MakeValid` at import.

use std::collections::HashMap;
use std::fmt;

use geojson::{Feature, Geometry, GeometryValue, Position};
use serde_json::Value;
use survey_schema::WilayahKode;

/// A longitude/latitude box, in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extent {
    pub min_lon: f64,
    pub max_lon: f64,
    pub min_lat: f64,
    pub max_lat: f64,
}

impl Extent {
    /// Whether `(lon, lat)` lies in the box, edges included.
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        (self.min_lon..=self.max_lon).contains(&lon) && (self.min_lat..=self.max_lat).contains(&lat)
    }
}

/// Indonesia with a margin of about 2 degrees: every Kemendagri area lies inside it (the country
/// spans roughly 95°E–141°E and 6°N–11°S). Used to tell `[lon, lat]` files from `[lat, lon]` ones.
pub const INDONESIA_EXTENT: Extent = Extent {
    min_lon: 92.0,
    max_lon: 143.0,
    min_lat: -13.0,
    max_lat: 8.0,
};

/// Which way round a geometry's positions are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AxisOrder {
    /// GeoJSON's own order, `[longitude, latitude]`.
    LonLat,
    /// `[latitude, longitude]`: every position fits Indonesia only when swapped.
    LatLon,
    /// Neither order puts every position in Indonesia.
    OutsideIndonesia,
}

/// Detects the axis order of a set of positions against [`INDONESIA_EXTENT`].
///
/// ```
/// use geo_rules::boundary_file::{detect_axis_order, AxisOrder};
/// let monas = [[106.8271, -6.1754]];
/// assert_eq!(detect_axis_order(monas.iter().map(|p| (p[0], p[1]))), AxisOrder::LonLat);
/// assert_eq!(detect_axis_order(monas.iter().map(|p| (p[1], p[0]))), AxisOrder::LatLon);
/// ```
pub fn detect_axis_order(positions: impl IntoIterator<Item = (f64, f64)>) -> AxisOrder {
    let (mut as_lon_lat, mut as_lat_lon) = (true, true);
    for (x, y) in positions {
        as_lon_lat &= INDONESIA_EXTENT.contains(x, y);
        as_lat_lon &= INDONESIA_EXTENT.contains(y, x);
        if !as_lon_lat && !as_lat_lon {
            break;
        }
    }
    match (as_lon_lat, as_lat_lon) {
        (true, _) => AxisOrder::LonLat,
        (false, true) => AxisOrder::LatLon,
        (false, false) => AxisOrder::OutsideIndonesia,
    }
}

/// One feature that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundaryFeature {
    /// Zero-based position in the file's `features` array.
    pub index: usize,
    pub kode: WilayahKode,
    /// The `nama` property, if the file has one.
    pub nama: Option<String>,
    /// A Polygon or MultiPolygon, `[lon, lat]`, every ring closed and with at least 4 positions.
    pub geometry: Geometry,
}

/// What is wrong with one feature.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureProblem {
    /// Zero-based position in the `features` array.
    pub index: usize,
    /// The feature's `kode` property, when it has a readable one.
    pub kode: Option<String>,
    pub problem: String,
}

impl fmt::Display for FeatureProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "feature #{}", self.index)?;
        if let Some(kode) = &self.kode {
            write!(f, " (kode {kode})")?;
        }
        write!(f, ": {}", self.problem)
    }
}

/// Why a boundary file as a whole is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BoundaryFileError {
    #[error("not valid JSON (truncated or corrupt file?): {0}")]
    Syntax(String),
    #[error("expected a GeoJSON FeatureCollection, found {0}")]
    NotAFeatureCollection(String),
    #[error("the FeatureCollection has no features")]
    Empty,
    #[error("{} of {total} features are invalid{}:\n{}", problems.len(), lat_lon_hint(*lat_lon_features, *total), list(problems))]
    Features {
        total: usize,
        /// How many features fit Indonesia only with their axes swapped.
        lat_lon_features: usize,
        problems: Vec<FeatureProblem>,
    },
}

fn lat_lon_hint(lat_lon_features: usize, total: usize) -> String {
    if lat_lon_features == 0 {
        String::new()
    } else {
        format!(
            "; {lat_lon_features} of {total} features are written in [lat, lon] order, but GeoJSON requires [lon, lat]: swap the coordinates and import again"
        )
    }
}

pub(crate) fn list(problems: &[FeatureProblem]) -> String {
    let mut lines: Vec<String> = problems.iter().take(20).map(|p| format!("  {p}")).collect();
    if problems.len() > 20 {
        lines.push(format!("  ... and {} more", problems.len() - 20));
    }
    lines.join("\n")
}

/// Parses and checks a boundary file; `kode_property` names the property holding the area code.
///
/// Every feature is checked, so one run reports every problem, not just the first.
pub fn parse_boundary_file(
    bytes: &[u8],
    kode_property: &str,
) -> Result<Vec<BoundaryFeature>, BoundaryFileError> {
    parse_checked(bytes, kode_property, false).map(|(features, _)| features)
}

/// As [`parse_boundary_file`], but a ring that does not end where it starts is closed (its first
/// position added at its end) and listed, instead of refusing the file: the national desa and
/// kelurahan polygons have such rings. Every other problem still refuses the file whole.
///
/// ```
/// # use geo_rules::boundary_file::parse_boundary_file_closing_rings;
/// let open = br#"{"type":"FeatureCollection","features":[{"type":"Feature",
///   "properties":{"kode":"31.71.01.1001"},"geometry":{"type":"Polygon",
///   "coordinates":[[[106.82,-6.17],[106.83,-6.17],[106.83,-6.18],[106.82,-6.18]]]}}]}"#;
/// let (features, closed) = parse_boundary_file_closing_rings(open, "kode").unwrap();
/// assert_eq!(features.len(), 1);
/// assert_eq!(closed[0].to_string(), "feature #0 (kode 31.71.01.1001): polygon 0, ring 0 was not closed: its first position was added at its end");
/// ```
pub fn parse_boundary_file_closing_rings(
    bytes: &[u8],
    kode_property: &str,
) -> Result<(Vec<BoundaryFeature>, Vec<FeatureProblem>), BoundaryFileError> {
    parse_checked(bytes, kode_property, true)
}

/// As [`parse_boundary_file_closing_rings`] (or [`parse_boundary_file`] when `close_rings` is
/// false), reading the file as a stream: one feature at a time is held as JSON, so a national file
/// needs memory for its checked geometries only.
pub fn read_boundary_file(
    reader: impl std::io::Read,
    kode_property: &str,
    close_rings: bool,
) -> Result<(Vec<BoundaryFeature>, Vec<FeatureProblem>), BoundaryFileError> {
    let mut de =
        serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(1 << 16, reader));
    collect(&mut de, kode_property, close_rings)
}

fn parse_checked(
    bytes: &[u8],
    kode_property: &str,
    close_rings: bool,
) -> Result<(Vec<BoundaryFeature>, Vec<FeatureProblem>), BoundaryFileError> {
    collect(
        &mut serde_json::Deserializer::from_slice(bytes),
        kode_property,
        close_rings,
    )
}

fn collect<'de, R: serde_json::de::Read<'de>>(
    de: &mut serde_json::Deserializer<R>,
    kode_property: &str,
    close_rings: bool,
) -> Result<(Vec<BoundaryFeature>, Vec<FeatureProblem>), BoundaryFileError> {
    let mut state = Collected {
        kode_property,
        close_rings,
        ..Collected::default()
    };
    serde::de::DeserializeSeed::deserialize(TopLevel(&mut state), &mut *de)
        .and_then(|()| de.end())
        .map_err(|e| BoundaryFileError::Syntax(e.to_string()))?;
    match (state.kind.as_deref(), state.total) {
        (Some("FeatureCollection"), None) => {
            return Err(BoundaryFileError::NotAFeatureCollection(
                "a FeatureCollection without a 'features' array".into(),
            ));
        }
        (Some("FeatureCollection"), Some(0)) => return Err(BoundaryFileError::Empty),
        (Some("FeatureCollection"), Some(_)) => {}
        (Some(other), _) => {
            return Err(BoundaryFileError::NotAFeatureCollection(format!(
                "a {other}"
            )));
        }
        (None, _) => {
            return Err(BoundaryFileError::NotAFeatureCollection(
                "a JSON value without a 'type'".into(),
            ));
        }
    }
    if state.problems.is_empty() {
        Ok((state.accepted, state.closed))
    } else {
        Err(BoundaryFileError::Features {
            total: state.total.unwrap_or(0),
            lat_lon_features: state.lat_lon_features,
            problems: state.problems,
        })
    }
}

/// How a file is read, and what reading it has found so far.
#[derive(Default)]
struct Collected<'k> {
    /// The property holding the area code.
    kode_property: &'k str,
    /// Whether unclosed rings are closed (and listed) rather than refused.
    close_rings: bool,
    /// The top level's `type`, when it is a string.
    kind: Option<String>,
    /// Number of features, once the `features` array has been read.
    total: Option<usize>,
    accepted: Vec<BoundaryFeature>,
    problems: Vec<FeatureProblem>,
    closed: Vec<FeatureProblem>,
    lat_lon_features: usize,
    first_index_of: HashMap<WilayahKode, usize>,
}

impl Collected<'_> {
    fn take(&mut self, index: usize, raw: Value) {
        let (kode_property, close_rings) = (self.kode_property, self.close_rings);
        let raw_kode = raw
            .get("properties")
            .and_then(|p| p.get(kode_property))
            .map(|k| k.as_str().map_or_else(|| k.to_string(), str::to_owned));
        let problem = |problem: String| FeatureProblem {
            index,
            kode: raw_kode.clone(),
            problem,
        };
        match check_feature(index, raw, kode_property, close_rings) {
            Ok((feature, rings_closed)) => {
                self.closed.extend(rings_closed.into_iter().map(&problem));
                if let Some(first) = self.first_index_of.insert(feature.kode.clone(), index) {
                    self.problems
                        .push(problem(format!("kode repeats feature #{first}")));
                } else {
                    self.accepted.push(feature);
                }
            }
            Err(FeatureCheck::LatLon) => {
                self.lat_lon_features += 1;
                self.problems.push(problem(
                    "coordinates are in [lat, lon] order (they fit Indonesia only when swapped)"
                        .into(),
                ));
            }
            Err(FeatureCheck::Other(message)) => self.problems.push(problem(message)),
        }
    }
}

/// A visitor's methods that read a JSON scalar and keep nothing: where a FeatureCollection or its
/// `features` array belongs, a scalar is read whole and then reported as missing.
macro_rules! accept_scalars {
    () => {
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
    };
}

/// The file's top level: `type` is kept, each of `features` checked as it is read, the rest
/// skipped. Any other JSON value is read and left without a `type`.
struct TopLevel<'s, 'k>(&'s mut Collected<'k>);

impl<'de> serde::de::DeserializeSeed<'de> for TopLevel<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for TopLevel<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a GeoJSON FeatureCollection")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "type" => {
                    self.0.kind = match map.next_value::<Value>()? {
                        Value::String(kind) => Some(kind),
                        _ => None,
                    }
                }
                "features" => map.next_value_seed(FeatureArray(&mut *self.0))?,
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(())
    }
    accept_scalars!();
}

/// The `features` array, each element checked as soon as it is read. Anything but an array leaves
/// the number of features unknown.
struct FeatureArray<'s, 'k>(&'s mut Collected<'k>);

impl<'de> serde::de::DeserializeSeed<'de> for FeatureArray<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for FeatureArray<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of features")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while let Some(raw) = seq.next_element::<Value>()? {
            self.0.take(index, raw);
            index += 1;
        }
        self.0.total = Some(index);
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        Ok(())
    }
    accept_scalars!();
}

enum FeatureCheck {
    LatLon,
    Other(String),
}

/// A feature checked, with the rings closed on the way (when asked to).
fn check_feature(
    index: usize,
    raw: Value,
    kode_property: &str,
    close_rings: bool,
) -> Result<(BoundaryFeature, Vec<String>), FeatureCheck> {
    let other = |m: String| FeatureCheck::Other(m);
    let feature: Feature = serde_json::from_value(raw)
        .map_err(|e| other(format!("not a valid GeoJSON Feature: {e}")))?;
    let properties = feature.properties.as_ref();
    let kode = match properties.and_then(|p| p.get(kode_property)) {
        None | Some(Value::Null) => {
            return Err(other(format!("has no '{kode_property}' property")));
        }
        Some(Value::String(s)) => WilayahKode::parse(s).map_err(|e| other(e.to_string()))?,
        Some(v) => {
            return Err(other(format!(
                "'{kode_property}' must be a string, found {v}"
            )));
        }
    };
    let nama = properties
        .and_then(|p| p.get("nama"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(Err(found)) = nama
        .as_deref()
        .map(|n| survey_schema::text::check(n, survey_schema::text::TextKind::Line))
    {
        return Err(other(format!("'nama' {}", found.en())));
    }
    let mut geometry = feature
        .geometry
        .ok_or_else(|| other("has no geometry".into()))?;
    let mut rings_closed = Vec::new();
    if close_rings {
        let polygons: Vec<&mut Vec<Vec<Position>>> = match &mut geometry.value {
            GeometryValue::Polygon { coordinates } => vec![coordinates],
            GeometryValue::MultiPolygon { coordinates } => coordinates.iter_mut().collect(),
            _ => Vec::new(),
        };
        for (p, rings) in polygons.into_iter().enumerate() {
            for (r, ring) in rings.iter_mut().enumerate() {
                let open = ring.len() >= 3
                    && ring.first().map(|q| &q.as_slice()[..2.min(q.len())])
                        != ring.last().map(|q| &q.as_slice()[..2.min(q.len())]);
                if let (true, Some(first)) = (open, ring.first().cloned()) {
                    ring.push(first);
                    rings_closed.push(format!(
                        "polygon {p}, ring {r} was not closed: its first position was added at its end"
                    ));
                }
            }
        }
    }
    let polygons: Vec<&Vec<Vec<Position>>> = match &geometry.value {
        GeometryValue::Polygon { coordinates } => vec![coordinates],
        GeometryValue::MultiPolygon { coordinates } => coordinates.iter().collect(),
        v => {
            return Err(other(format!(
                "geometry is a {}; only Polygon and MultiPolygon are accepted",
                v.type_name()
            )));
        }
    };
    if polygons.is_empty() {
        return Err(other("MultiPolygon has no polygons".into()));
    }
    for (p, rings) in polygons.iter().enumerate() {
        if rings.is_empty() {
            return Err(other(format!("polygon {p} has no rings")));
        }
        for (r, ring) in rings.iter().enumerate() {
            check_ring(ring).map_err(|m| other(format!("polygon {p}, ring {r}: {m}")))?;
        }
    }
    let positions = polygons
        .iter()
        .flat_map(|rings| rings.iter().flatten())
        .map(|pos| (pos[0], pos[1]));
    match detect_axis_order(positions) {
        AxisOrder::LonLat => Ok((
            BoundaryFeature {
                index,
                kode,
                nama,
                geometry,
            },
            rings_closed,
        )),
        AxisOrder::LatLon => Err(FeatureCheck::LatLon),
        AxisOrder::OutsideIndonesia => Err(other(
            "lies (partly) outside Indonesia in both axis orders; expected WGS84 degrees [lon, lat]"
                .into(),
        )),
    }
}

/// A linear ring must have finite, in-range positions, at least 4 of them, and end where it starts.
fn check_ring(ring: &[Position]) -> Result<(), String> {
    for (i, pos) in ring.iter().enumerate() {
        if pos.len() < 2 {
            return Err(format!("position {i} has fewer than 2 numbers"));
        }
        let (lon, lat) = (pos[0], pos[1]);
        if !lon.is_finite() || !lat.is_finite() {
            return Err(format!("position {i} is not a finite number"));
        }
        if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
            // Only a latitude-first file puts Indonesia's longitudes (95..141) in the latitude slot.
            if INDONESIA_EXTENT.contains(lat, lon) {
                continue;
            }
            return Err(format!(
                "position {i} [{lon}, {lat}] is out of range (longitude -180..180, latitude -90..90)"
            ));
        }
    }
    if ring.len() < 4 {
        return Err(format!(
            "has {} positions; a ring needs at least 4",
            ring.len()
        ));
    }
    if ring.first().map(|p| &p.as_slice()[..2]) != ring.last().map(|p| &p.as_slice()[..2]) {
        return Err(
            "is not closed (its last position differs from its first); importing with --repair closes it"
                .into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQUARE: &str =
        r#"[[[106.80,-6.20],[106.81,-6.20],[106.81,-6.19],[106.80,-6.19],[106.80,-6.20]]]"#;

    fn collection(features: &[String]) -> Vec<u8> {
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        )
        .into_bytes()
    }

    fn feature(kode: &str, geometry: &str) -> String {
        format!(
            r#"{{"type":"Feature","properties":{{"kode":"{kode}","nama":"X"}},"geometry":{geometry}}}"#
        )
    }

    fn polygon(coords: &str) -> String {
        format!(r#"{{"type":"Polygon","coordinates":{coords}}}"#)
    }

    fn problems(bytes: &[u8]) -> (usize, Vec<FeatureProblem>) {
        match parse_boundary_file(bytes, "kode") {
            Err(BoundaryFileError::Features {
                lat_lon_features,
                problems,
                ..
            }) => (lat_lon_features, problems),
            other => panic!("expected feature problems, got {other:?}"),
        }
    }

    #[test]
    fn accepts_a_valid_polygon_and_keeps_its_index_and_name() {
        let bytes = collection(&[feature("31.71.01.1001", &polygon(SQUARE))]);
        let features = parse_boundary_file(&bytes, "kode").unwrap();
        assert_eq!(features.len(), 1);
        assert_eq!(features[0].kode.as_str(), "31.71.01.1001");
        assert_eq!(features[0].nama.as_deref(), Some("X"));
        assert_eq!(features[0].index, 0);
    }

    #[test]
    fn refuses_a_name_holding_a_control_character() {
        let named =
            feature("31.71.01.1001", &polygon(SQUARE)).replace(r#""X""#, r#""Gambir\u0000""#);
        let (_, found) = problems(&collection(&[named]));
        assert_eq!(found.len(), 1);
        assert!(found[0].to_string().contains("U+0000"), "{}", found[0]);
    }

    #[test]
    fn refuses_truncated_json() {
        let bytes = collection(&[feature("31.71.01.1001", &polygon(SQUARE))]);
        let err = parse_boundary_file(&bytes[..bytes.len() / 2], "kode").unwrap_err();
        assert!(matches!(err, BoundaryFileError::Syntax(_)), "{err:?}");
    }

    #[test]
    fn refuses_non_collections_and_empty_collections() {
        let err = parse_boundary_file(
            feature("31.71.01.1001", &polygon(SQUARE)).as_bytes(),
            "kode",
        );
        assert!(
            matches!(err, Err(BoundaryFileError::NotAFeatureCollection(_))),
            "{err:?}"
        );
        let err = parse_boundary_file(&collection(&[]), "kode");
        assert_eq!(err, Err(BoundaryFileError::Empty));
        for other in [
            &b"42"[..],
            b"\"FeatureCollection\"",
            b"[1, 2]",
            b"null",
            br#"{"type":"FeatureCollection","features":{"a":1}}"#,
            br#"{"type":"FeatureCollection","features":7}"#,
        ] {
            let err = parse_boundary_file(other, "kode");
            assert!(
                matches!(err, Err(BoundaryFileError::NotAFeatureCollection(_))),
                "{}: {err:?}",
                String::from_utf8_lossy(other)
            );
        }
    }

    #[test]
    fn names_the_index_and_kode_of_a_point_feature() {
        let bytes = collection(&[
            feature("31.71.01.1001", &polygon(SQUARE)),
            feature(
                "31.71.01.1002",
                r#"{"type":"Point","coordinates":[106.8,-6.2]}"#,
            ),
        ]);
        let (_, problems) = problems(&bytes);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].index, 1);
        assert_eq!(problems[0].kode.as_deref(), Some("31.71.01.1002"));
        assert!(problems[0].to_string().contains("Point"), "{}", problems[0]);
    }

    #[test]
    fn detects_lat_lon_order_and_says_so() {
        let swapped =
            r#"[[[-6.20,106.80],[-6.20,106.81],[-6.19,106.81],[-6.19,106.80],[-6.20,106.80]]]"#;
        let bytes = collection(&[feature("31.71.01.1001", &polygon(swapped))]);
        let (lat_lon, problems) = problems(&bytes);
        assert_eq!(lat_lon, 1);
        let message = parse_boundary_file(&bytes, "kode").unwrap_err().to_string();
        assert!(message.contains("[lat, lon] order"), "{message}");
        assert!(problems[0].problem.contains("[lat, lon]"));
    }

    #[test]
    fn refuses_out_of_range_open_and_short_rings() {
        let cases = [
            (
                r#"[[[206.8,-6.2],[106.81,-6.2],[106.81,-6.19],[206.8,-6.2]]]"#,
                "out of range",
            ),
            (
                r#"[[[106.80,-6.20],[106.81,-6.20],[106.81,-6.19],[106.80,-6.19]]]"#,
                "not closed",
            ),
            (
                r#"[[[106.80,-6.20],[106.81,-6.20],[106.80,-6.20]]]"#,
                "at least 4",
            ),
            (
                r#"[[[2.35,48.85],[2.36,48.85],[2.36,48.86],[2.35,48.85]]]"#,
                "outside Indonesia",
            ),
        ];
        for (coords, expected) in cases {
            let bytes = collection(&[feature("31.71.01.1001", &polygon(coords))]);
            let (_, problems) = problems(&bytes);
            assert!(
                problems[0].problem.contains(expected),
                "{coords}: {}",
                problems[0]
            );
        }
    }

    #[test]
    fn refuses_missing_malformed_and_repeated_kode() {
        let no_kode = format!(
            r#"{{"type":"Feature","properties":{{}},"geometry":{}}}"#,
            polygon(SQUARE)
        );
        let numeric_kode = format!(
            r#"{{"type":"Feature","properties":{{"kode":3171}},"geometry":{}}}"#,
            polygon(SQUARE)
        );
        let bytes = collection(&[
            no_kode,
            numeric_kode,
            feature("31.71.1", &polygon(SQUARE)),
            feature("31.71.01.1001", &polygon(SQUARE)),
            feature("31.71.01.1001", &polygon(SQUARE)),
        ]);
        let (_, problems) = problems(&bytes);
        let indexes: Vec<usize> = problems.iter().map(|p| p.index).collect();
        assert_eq!(indexes, [0, 1, 2, 4]);
        assert!(problems[3].problem.contains("repeats feature #3"));
    }

    #[test]
    fn refuses_a_missing_geometry() {
        let bytes = collection(&[
            r#"{"type":"Feature","properties":{"kode":"31.71.01.1001"},"geometry":null}"#
                .to_owned(),
        ]);
        let (_, problems) = problems(&bytes);
        assert!(problems[0].problem.contains("no geometry"));
    }
}
