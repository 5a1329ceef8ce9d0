//! A surveyor in the field, as the new end-to-end tests drive one: real camera photos, a survey
//! record as a phone writes it, its PUT and its photos' PUTs.

// A test harness: a failure must stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{TestApp, data};

/// A real camera JPEG of `data/photos`.
pub fn photo(name: &str) -> Vec<u8> {
    std::fs::read(data(&format!("photos/{name}"))).unwrap()
}

/// SHA-256 in lower-case hex: a photo's name in a manifest.
pub fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A survey of `proposal_id` standing in Cideng (-6.1756, 106.8095), captured at `captured_at`,
/// declaring `photos` (caption, bytes) as JPEGs.
pub fn record_at(proposal_id: i64, captured_at: &str, photos: &[(&str, &[u8])]) -> Value {
    let manifest: Vec<Value> = photos
        .iter()
        .map(|(caption, bytes)| json!({"sha256": sha(bytes), "bytes": bytes.len(), "content_type": "image/jpeg", "caption": caption}))
        .collect();
    json!({
        "proposal_id": proposal_id,
        "captured_at": captured_at,
        "fix": {"lat": -6.1756, "lon": 106.8095, "accuracy_m": 8.0, "altitude_m": null, "fix_time": captured_at},
        "trace": null, "address_confirmed": true, "address_note": null,
        "technical": {"ok": true, "note": null}, "administrative": {"ok": true, "note": null},
        "volume": {"value": "200", "satuan": "m2"},
        "photos": manifest, "supersedes": null
    })
}

/// [`record_at`] on 2026-02-10 at 03:15 UTC.
pub fn record(proposal_id: i64, photos: &[(&str, &[u8])]) -> Value {
    record_at(proposal_id, "2026-02-10T03:15:00Z", photos)
}

/// The status and body of an answer (a body that is no JSON as a string).
pub async fn json_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// `PUT /api/v1/surveys/{id}`.
pub async fn put_survey(app: &TestApp, token: &str, id: &str, body: &Value) -> (StatusCode, Value) {
    json_of(
        app.client
            .put(app.url(&format!("/api/v1/surveys/{id}")))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// `PUT` of a photo's bytes to a survey; the answer's status.
pub async fn put_photo(app: &TestApp, token: &str, survey: &str, bytes: &[u8]) -> StatusCode {
    app.client
        .put(app.url(&format!("/api/v1/surveys/{survey}/photos/{}", sha(bytes))))
        .bearer_auth(token)
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap()
        .status()
}
