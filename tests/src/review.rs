//! The review fixture: Gambir's proposals for 2026 (and one done in 2025), a camat, and helpers
//! to list, survey, decide and send, shared by the review and forms tests.

// A test harness: a setup failure must stop the test loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::missing_panics_doc)]

use reqwest::StatusCode;
use serde_json::{Value, json};
use survey_schema::Role;
use uuid::Uuid;

use crate::{TestApp, spawn_app_with_reference_data};

/// Gambir (31.71.01): paving in Cideng, drainage in Kebon Kelapa, concrete in Cideng that was
/// already done in 2025, and a training that is not physical work; paving in Tanah Abang (31.71.02).
pub const FILE_2026: &str = "\
No;Permasalahan;Program;Usulan Kegiatan;Lokasi;RW;RT;Kode Kelurahan;Volume;Satuan;Perkiraan Anggaran;SKPD Tujuan
1;Jalan rusak;Jalan lingkungan;Pemasangan paving block;Jl. Cideng Barat;02;001;31.71.01.1002;200;m2;Rp 32.000.000;Suku Dinas Bina Marga
2;Banjir;Drainase;Pembangunan saluran drainase;Jl. Kebon Kelapa Raya;01;004;31.71.01.1003;100;m';Rp 150.000.000;Suku Dinas SDA
3;Jalan tanah;Jalan lingkungan;Betonisasi jalan Gang Melati;Gg. Melati;05;003;31.71.01.1002;150;m2;Rp 60.000.000;Suku Dinas Bina Marga
4;Pengangguran;Ekonomi;Pelatihan UMKM;Balai warga;05;003;31.71.01.1002;1;paket;Rp 25.000.000;Sudin PPKUKM
5;Jalan rusak;Jalan lingkungan;Pemasangan paving block;Jl. Tanah Abang II;03;002;31.71.02.1001;120;m2;Rp 19.200.000;Suku Dinas Bina Marga
";

pub const FILE_2025: &str = "\
No;Usulan Kegiatan;Lokasi;RW;RT;Kode Kelurahan;Volume;Satuan;Perkiraan Anggaran;Status
1;Betonisasi jalan Gang Melati;Gg. Melati;05;003;31.71.01.1002;150;m2;Rp 58.000.000;Selesai
";

#[derive(Debug)]
pub struct Review {
    pub app: TestApp,
    pub camat: String,
    /// By the 2026 file's No: paving, drainage, beton, training (not physical), Tanah Abang.
    pub ids: Vec<i64>,
}

/// Ids by the 2026 file's No (1-based), after the 2025 proposal.
pub async fn setup() -> Review {
    let app = spawn_app_with_reference_data().await;
    app.import_proposals(FILE_2025, 2025).await;
    let all = app.import_proposals(FILE_2026, 2026).await;
    // The 2025 proposal comes first (tahun, row).
    let ids = all[1..].to_vec();
    let index = tinjau_workflows::locator::load(&app.pool).await.unwrap();
    tinjau_workflows::analysis::recompute(
        &app.pool,
        &index,
        tinjau_workflows::analysis::SurveyRecheck::All,
    )
    .await
    .unwrap();
    let camat = app.token_for(Role::Camat, Some("31.71.01")).await;
    app.fill_forum_record("31.71.01", 2026, &camat).await;
    Review { app, camat, ids }
}

pub async fn json_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub async fn list(r: &Review, token: &str, query: &str) -> (StatusCode, Value) {
    json_of(
        r.app
            .get_as(&format!("/api/v1/review/31.71.01?tahun=2026{query}"), token)
            .await,
    )
    .await
}

pub fn item(page: &Value, id: i64) -> &Value {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("proposal {id} not in {page}"))
}

pub async fn survey(r: &Review, proposal: i64, volume: &str) -> Value {
    let token = r.app.token_for(Role::Surveyor, Some("31.71.01")).await;
    let body = json!({
        "proposal_id": proposal,
        "captured_at": "2026-02-10T03:15:00Z",
        "fix": {"lat": -6.1756, "lon": 106.8095, "accuracy_m": 5.0, "altitude_m": null, "fix_time": "2026-02-10T03:14:58Z"},
        "trace": null, "address_confirmed": true, "address_note": null,
        "technical": {"ok": true, "note": null}, "administrative": {"ok": true, "note": null},
        "volume": {"value": volume, "satuan": "m2"},
        "photos": [], "supersedes": null
    });
    let (status, view) = json_of(
        r.app
            .client
            .put(r.app.url(&format!("/api/v1/surveys/{}", Uuid::new_v4())))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    view
}

pub async fn decide(
    r: &Review,
    token: &str,
    proposal: i64,
    decision: &str,
    if_match: Option<&str>,
    body: &Value,
) -> (StatusCode, Value, Option<String>) {
    let mut request = r
        .app
        .client
        .put(r.app.url(&format!(
            "/api/v1/proposals/{proposal}/decisions/{decision}"
        )))
        .bearer_auth(token)
        .json(body);
    if let Some(v) = if_match {
        request = request.header("If-Match", v);
    }
    let response = request.send().await.unwrap();
    let etag = response
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned());
    let (status, body) = json_of(response).await;
    (status, body, etag)
}

pub async fn post_kirim(r: &Review, token: &str) -> (StatusCode, Value) {
    json_of(
        r.app
            .client
            .post(r.app.url("/api/v1/kecamatan/31.71.01/kirim?tahun=2026"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Decides every physical Gambir proposal at its current version: paving corrected, drainage
/// approved, beton rejected (f).
pub async fn decide_all(r: &Review) {
    let [paving, drainage, beton, _, _] = r.ids[..] else {
        panic!()
    };
    let (_, page) = list(r, &r.camat, "").await;
    for (id, body) in [
        (
            paving,
            json!({"action": "set_volume", "volume": "260", "satuan": "m2"}),
        ),
        (drainage, json!({"action": "approve"})),
        (
            beton,
            json!({"action": "reject", "reason": "f", "note": "Sudah dibeton 2025"}),
        ),
    ] {
        let version = format!("\"{}\"", item(&page, id)["version"]);
        let (status, d, _) = decide(
            r,
            &r.camat,
            id,
            &Uuid::new_v4().to_string(),
            Some(&version),
            &body,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{d}");
    }
}
