//! The phones' incremental download of their assignments.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::StatusCode;
use serde_json::{Value, json};
use survey_schema::Role;
use tinjau_tests::{TestApp, spawn_app_with_reference_data};
use uuid::Uuid;

fn file(anggaran: &str) -> String {
    format!(
        "No;Usulan Kegiatan;Kode Kelurahan;Volume;Satuan;Perkiraan Anggaran\n\
         1;Pemasangan paving block;31.71.01.1002;200;m2;Rp 32.000.000\n\
         2;Pembangunan saluran drainase;31.71.01.1003;100;m;{anggaran}\n\
         3;Pelatihan menjahit;31.71.01.1003;1;paket;Rp 15.000.000\n\
         4;Pemasangan paving block;31.71.02.1001;200;m2;Rp 32.000.000\n"
    )
}

async fn import(app: &TestApp, text: &str) {
    app.import_proposals(text, 2026).await;
}

async fn sync(app: &TestApp, token: &str, since: Option<&str>) -> Value {
    let path = match since {
        Some(c) => format!("/api/v1/sync/assignments?since={c}"),
        None => "/api/v1/sync/assignments".to_owned(),
    };
    let response = app.get_as(&path, token).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn ids(list: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().or_else(|| v["id"].as_i64()).unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

#[tokio::test]
async fn a_phone_gets_its_physical_proposals_then_only_what_changed() {
    let app = spawn_app_with_reference_data().await;
    import(&app, &file("Rp 85.000.000")).await;
    let all: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, usulan FROM proposal ORDER BY source_row")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    let token = app.token_for(Role::Surveyor, Some("31.71.01")).await;

    let first = sync(&app, &token, None).await;
    assert_eq!(
        ids(&first["assignments"]),
        [all[0].0, all[1].0],
        "physical, in Gambir"
    );
    assert_eq!(first["removed"], json!([]));
    let boundaries = app.get("/api/v1/wilayah/31.71.01/boundaries.geojson").await;
    assert_eq!(
        first["boundaries_etag"],
        boundaries.headers()["etag"].to_str().unwrap()
    );
    let cursor = first["cursor"].as_str().unwrap().to_owned();

    let nothing = sync(&app, &token, Some(&cursor)).await;
    assert_eq!(
        (
            nothing["assignments"].as_array().unwrap().len(),
            nothing["removed"].as_array().unwrap().len()
        ),
        (0, 0)
    );
    assert_eq!(nothing["cursor"], cursor.as_str());

    // A survey takes the first proposal off the list.
    let survey = json!({
        "proposal_id": all[0].0, "captured_at": "2026-02-10T03:15:00Z",
        "fix": {"lat": -6.1756, "lon": 106.8095, "accuracy_m": 8.0, "altitude_m": null, "fix_time": "2026-02-10T03:14:58Z"},
        "trace": null, "address_confirmed": true, "address_note": null,
        "technical": {"ok": true, "note": null}, "administrative": {"ok": true, "note": null},
        "volume": {"value": "200", "satuan": "m2"}, "photos": [], "supersedes": null
    });
    let response = app
        .client
        .put(app.url(&format!("/api/v1/surveys/{}", Uuid::new_v4())))
        .bearer_auth(&token)
        .json(&survey)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let after_survey = sync(&app, &token, Some(&cursor)).await;
    assert_eq!(ids(&after_survey["removed"]), [all[0].0]);
    assert_eq!(after_survey["assignments"], json!([]));
    let cursor = after_survey["cursor"].as_str().unwrap().to_owned();

    // A re-import that changes the budget of the second sends it again.
    import(&app, &file("Rp 90.000.000")).await;
    let changed = sync(&app, &token, Some(&cursor)).await;
    assert_eq!(ids(&changed["assignments"]), [all[1].0]);
}

#[tokio::test]
async fn a_bad_cursor_and_the_wrong_role_are_refused() {
    let app = spawn_app_with_reference_data().await;
    let token = app.token_for(Role::Surveyor, Some("31.71.01")).await;
    let response = app
        .get_as("/api/v1/sync/assignments?since=abc", &token)
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response.json::<Value>().await.unwrap()["code"],
        "invalid_cursor"
    );
    let lurah = app.token_for(Role::Lurah, Some("31.71.01.1002")).await;
    assert_eq!(
        app.get_as("/api/v1/sync/assignments", &lurah)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/v1/sync/assignments").await.status(),
        StatusCode::UNAUTHORIZED
    );
}
