//! The kecamatan's proposals (at their map pins) and their latest surveys (at the fix) as one
//! GeoJSON FeatureCollection of Points that QGIS opens as it is: one layer, a `kind` of `usulan` or
//! `survey`, flat properties (codes joined by commas, numbers as numbers).

use geojson::{Feature, FeatureCollection, Geometry, GeometryValue, JsonObject};
use rust_decimal::prelude::ToPrimitive;
use serde_json::json;

use super::FormSource;

fn point(lon: f64, lat: f64) -> Geometry {
    Geometry::new(GeometryValue::Point {
        coordinates: [lon, lat].into(),
    })
}

fn properties(value: serde_json::Value) -> Option<JsonObject> {
    match value {
        serde_json::Value::Object(map) => Some(map),
        _ => None,
    }
}

pub fn collection(src: &FormSource) -> FeatureCollection {
    let mut features = Vec::with_capacity(src.items.len() * 2);
    for i in &src.items {
        let codes: Vec<&str> = i.anomalies.iter().map(|a| a.code.as_str()).collect();
        features.push(Feature {
            bbox: None,
            geometry: i.pin.as_ref().map(|p| point(p.lon, p.lat)),
            id: None,
            properties: properties(json!({
                "kind": "usulan",
                "id": i.id,
                "tahun": i.tahun,
                "nomor": i.nomor,
                "kelurahan": i.kelurahan.as_str(),
                "kelurahan_nama": i.kelurahan_nama,
                "rw": i.rw,
                "rt": i.rt,
                "usulan": i.usulan,
                "lokasi": i.lokasi,
                "volume": i.volume.to_f64(),
                "satuan": i.satuan,
                "anggaran": i.anggaran,
                "skpd_tujuan": i.skpd_tujuan,
                "survey_status": i.survey_status.as_str(),
                "decision": i.decision.as_str(),
                "decided_volume": i.decided.volume.to_f64(),
                "decided_satuan": i.decided.satuan,
                "decided_anggaran": i.decided.anggaran,
                "reason": i.reason.map(survey_schema::RejectReason::as_str),
                "alasan": (i.decision == survey_schema::DecisionStatus::Rejected)
                    .then(|| super::alasan(i.reason, i.note.as_deref())),
                "max_severity": i.max_severity.map(survey_schema::Severity::as_str),
                "anomaly_count": i.anomalies.len(),
                "anomalies": codes.join(","),
                "sent": src.sent.is_some(),
            })),
            foreign_members: None,
        });
        if let Some(s) = &i.survey {
            features.push(Feature {
                bbox: None,
                geometry: Some(point(s.fix.lon, s.fix.lat)),
                id: None,
                properties: properties(json!({
                    "kind": "survey",
                    "id": i.id,
                    "survey_id": s.id.to_string(),
                    "captured_at": s.captured_at.to_rfc3339(),
                    "accuracy_m": s.accuracy_m,
                    "volume": s.volume.to_f64(),
                    "satuan": s.satuan,
                    "technical_ok": s.technical_ok,
                    "administrative_ok": s.administrative_ok,
                    "photo_count": s.photo_count,
                    "usulan": i.usulan,
                    "decision": i.decision.as_str(),
                    "max_severity": i.max_severity.map(survey_schema::Severity::as_str),
                    "anomalies": codes.join(","),
                })),
                foreign_members: None,
            });
        }
    }
    FeatureCollection {
        bbox: None,
        features,
        foreign_members: None,
    }
}
