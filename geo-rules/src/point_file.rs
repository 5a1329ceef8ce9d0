//! `tinjau locate`: a GeoJSON FeatureCollection of Points in, the same collection out with each
//! feature's location verdict added as `loc_*` properties (for QGIS and the like).

use serde_json::{Map, Value};
use survey_schema::{Wgs84Point, WilayahKode};

use crate::boundary_file::FeatureProblem;
use crate::{BoundaryIndex, LocateConfig};

/// Which properties carry the claim and the accuracy.
#[derive(Debug, Clone)]
pub struct PointFileOptions {
    /// Property with the claimed kelurahan code (absent or null: no claim). Default `kode`.
    pub claimed_property: String,
    /// Property with the fix's accuracy in metres (absent or null: 0). Default `accuracy_m`.
    pub accuracy_property: String,
    pub config: LocateConfig,
}

impl Default for PointFileOptions {
    fn default() -> Self {
        Self {
            claimed_property: "kode".into(),
            accuracy_property: "accuracy_m".into(),
            config: LocateConfig::default(),
        }
    }
}

/// Why a point file is refused: the whole file, or every bad feature.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PointFileError {
    #[error("not valid JSON (truncated or corrupt file?): {0}")]
    Syntax(String),
    #[error("expected a GeoJSON FeatureCollection of Points, found {0}")]
    NotAFeatureCollection(String),
    #[error("{} of {total} features are invalid:\n{}", problems.len(), crate::boundary_file::list(problems))]
    Features {
        total: usize,
        problems: Vec<FeatureProblem>,
    },
}

/// Adds `loc_status`, `loc_kode`, `loc_kodes`, `loc_nearest_kode` and `loc_distance_m` (metres,
/// rounded to 0.1 m) to every feature. Any bad feature: nothing is returned but the problems.
pub fn annotate_points(
    bytes: &[u8],
    index: &BoundaryIndex,
    options: &PointFileOptions,
) -> Result<Value, PointFileError> {
    let mut root: Value =
        serde_json::from_slice(bytes).map_err(|e| PointFileError::Syntax(e.to_string()))?;
    let kind = root.get("type").and_then(Value::as_str).map(str::to_owned);
    let features = match (kind.as_deref(), root.get_mut("features")) {
        (Some("FeatureCollection"), Some(Value::Array(features))) => features,
        (Some(other), _) => {
            return Err(PointFileError::NotAFeatureCollection(format!("a {other}")));
        }
        (None, _) => {
            return Err(PointFileError::NotAFeatureCollection(
                "a JSON value without a 'type'".into(),
            ));
        }
    };
    let total = features.len();
    let mut problems = Vec::new();
    for (index_in_file, feature) in features.iter_mut().enumerate() {
        if let Err(problem) = annotate(feature, index, options) {
            let kode = feature
                .get("properties")
                .and_then(|p| p.get(&options.claimed_property))
                .and_then(Value::as_str)
                .map(str::to_owned);
            problems.push(FeatureProblem {
                index: index_in_file,
                kode,
                problem,
            });
        }
    }
    if problems.is_empty() {
        Ok(root)
    } else {
        Err(PointFileError::Features { total, problems })
    }
}

fn annotate(
    feature: &mut Value,
    index: &BoundaryIndex,
    options: &PointFileOptions,
) -> Result<(), String> {
    let object = feature.as_object_mut().ok_or("is not a JSON object")?;
    if object.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err("is not a GeoJSON Feature".into());
    }
    let geometry = object.get("geometry").ok_or("has no geometry")?;
    if geometry.get("type").and_then(Value::as_str) != Some("Point") {
        let found = geometry
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("null");
        return Err(format!("geometry is a {found}; only Point is accepted"));
    }
    let coordinates = geometry
        .get("coordinates")
        .and_then(Value::as_array)
        .ok_or("Point without coordinates")?;
    let number = |i: usize| coordinates.get(i).and_then(Value::as_f64);
    let (Some(lon), Some(lat)) = (number(0), number(1)) else {
        return Err("Point coordinates must be [lon, lat] numbers".into());
    };
    let point = Wgs84Point::parse(lon, lat).map_err(|e| {
        if crate::INDONESIA_EXTENT.contains(lat, lon) {
            format!("{e}; the coordinates look like [lat, lon], but GeoJSON is [lon, lat]")
        } else {
            e.to_string()
        }
    })?;

    let properties = object
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    if properties.is_null() {
        *properties = Value::Object(Map::new());
    }
    let properties = properties
        .as_object_mut()
        .ok_or("'properties' is not an object")?;
    let claimed = match properties.get(&options.claimed_property) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(WilayahKode::parse(s).map_err(|e| e.to_string())?),
        Some(other) => {
            return Err(format!(
                "'{}' must be a string code, found {other}",
                options.claimed_property
            ));
        }
    };
    let accuracy_m = match properties.get(&options.accuracy_property) {
        None | Some(Value::Null) => 0.0,
        Some(v) => v.as_f64().ok_or_else(|| {
            format!(
                "'{}' must be a number of metres, found {v}",
                options.accuracy_property
            )
        })?,
    };
    let verdict = index
        .locate(point, accuracy_m, claimed.as_ref(), &options.config)
        .map_err(|e| e.to_string())?;
    let kode = |k: &WilayahKode| Value::from(k.as_str());
    properties.insert("loc_status".into(), Value::from(verdict.status.as_str()));
    properties.insert(
        "loc_kode".into(),
        verdict.kode.as_ref().map_or(Value::Null, kode),
    );
    properties.insert(
        "loc_kodes".into(),
        Value::Array(verdict.kodes.iter().map(kode).collect()),
    );
    properties.insert(
        "loc_nearest_kode".into(),
        verdict.nearest_kode.as_ref().map_or(Value::Null, kode),
    );
    properties.insert(
        "loc_distance_m".into(),
        verdict
            .distance_m
            .map_or(Value::Null, |d| Value::from((d * 10.0).round() / 10.0)),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RegionInput;

    fn index() -> BoundaryIndex {
        BoundaryIndex::build(vec![RegionInput::square(
            "31.71.01.1001",
            106.80,
            -6.20,
            0.01,
        )])
        .unwrap()
    }

    fn point(lon: f64, lat: f64, properties: &str) -> String {
        format!(
            r#"{{"type":"Feature","properties":{properties},"geometry":{{"type":"Point","coordinates":[{lon},{lat}]}}}}"#
        )
    }

    fn collection(features: &[String]) -> Vec<u8> {
        format!(
            r#"{{"type":"FeatureCollection","name":"survey","features":[{}]}}"#,
            features.join(",")
        )
        .into_bytes()
    }

    #[test]
    fn adds_the_verdict_and_keeps_everything_else() {
        let bytes = collection(&[
            point(
                106.805,
                -6.195,
                r#"{"kode":"31.71.01.1001","accuracy_m":5,"usulan":"Paving"}"#,
            ),
            point(106.9, -6.0, "null"),
        ]);
        let out = annotate_points(&bytes, &index(), &PointFileOptions::default()).unwrap();
        assert_eq!(out["name"], "survey");
        let first = &out["features"][0]["properties"];
        assert_eq!(first["usulan"], "Paving");
        assert_eq!(first["loc_status"], "inside");
        assert_eq!(first["loc_kode"], "31.71.01.1001");
        assert_eq!(first["loc_kodes"], serde_json::json!(["31.71.01.1001"]));
        assert_eq!(first["loc_nearest_kode"], Value::Null);
        assert!(first["loc_distance_m"].as_f64().unwrap() > 500.0);
        let second = &out["features"][1]["properties"];
        assert_eq!(second["loc_status"], "outside");
        assert_eq!(second["loc_nearest_kode"], "31.71.01.1001");
    }

    #[test]
    fn honours_other_property_names() {
        let bytes = collection(&[point(106.805, -6.195, r#"{"kel":"31.71.01.1002","acc":3}"#)]);
        let options = PointFileOptions {
            claimed_property: "kel".into(),
            accuracy_property: "acc".into(),
            ..PointFileOptions::default()
        };
        let err = annotate_points(&bytes, &index(), &options).unwrap_err();
        assert!(
            err.to_string()
                .contains("feature #0 (kode 31.71.01.1002): kelurahan 31.71.01.1002 is not among"),
            "{err}"
        );
    }

    #[test]
    fn names_every_bad_feature() {
        let bytes = collection(&[
            point(106.805, -6.195, "{}"),
            r#"{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[106.8,-6.2],[106.9,-6.2]]}}"#.to_owned(),
            point(106.805, 91.0, "{}"),
            point(106.805, -6.195, r#"{"accuracy_m":"ten"}"#),
            point(106.805, -6.195, r#"{"kode":"31.71.1"}"#),
            point(106.805, -6.195, r#"{"accuracy_m":-5}"#),
        ]);
        let Err(PointFileError::Features { total, problems }) =
            annotate_points(&bytes, &index(), &PointFileOptions::default())
        else {
            panic!("expected feature problems");
        };
        assert_eq!(total, 6);
        let indexes: Vec<usize> = problems.iter().map(|p| p.index).collect();
        assert_eq!(indexes, [1, 2, 3, 4, 5]);
        assert!(problems[0].problem.contains("LineString"));
        assert!(problems[1].problem.contains("latitude 91"));
    }

    #[test]
    fn refuses_truncated_input_and_non_collections() {
        let bytes = collection(&[point(106.805, -6.195, "{}")]);
        assert!(matches!(
            annotate_points(&bytes[..20], &index(), &PointFileOptions::default()),
            Err(PointFileError::Syntax(_))
        ));
        assert!(matches!(
            annotate_points(
                br#"{"type":"Point","coordinates":[1,2]}"#,
                &index(),
                &PointFileOptions::default()
            ),
            Err(PointFileError::NotAFeatureCollection(_))
        ));
    }
}
