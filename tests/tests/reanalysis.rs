//! Re-analysis after imports: the proposal checks run again over everything, and the survey checks'
//! findings stay, updated only where their own inputs (boundaries, the proposal's volume) changed.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use reqwest::StatusCode;
use serde_json::{Value, json};
use survey_schema::Role;
use tinjau_tests::{ADMIN_TOKEN, TestApp, data, spawn_app_with_reference_data, tinjau_binary};
use uuid::Uuid;

/// One paving proposal in Cideng (Gambir), with the volume the file states.
fn proposal_file(volume: u32) -> String {
    format!(
        "No;Usulan Kegiatan;Lokasi;Kode Kelurahan;Volume;Satuan;Perkiraan Anggaran\n\
         1;Pemasangan paving block;Jl. A;31.71.01.1002;{volume};m2;Rp 32.000.000\n"
    )
}

/// Runs the real `tinjau` binary on the test's database; fails the test if it fails.
fn tinjau(app: &TestApp, args: &[&str]) -> String {
    let out = Command::new(tinjau_binary().unwrap())
        .args(args)
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("running tinjau");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "tinjau {args:?}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

async fn admin_import(app: &TestApp, csv: &str) {
    let response = app
        .client
        .post(app.url("/api/v1/admin/proposals/import?tahun=2026"))
        .bearer_auth(ADMIN_TOKEN)
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

/// The survey's findings as the survey and as the proposal show them, sorted.
async fn findings(app: &TestApp, token: &str, survey: &str, proposal: i64) -> Vec<String> {
    let view: Value = app
        .get_as(&format!("/api/v1/surveys/{survey}"), token)
        .await
        .json()
        .await
        .unwrap();
    let mut of_survey: Vec<String> = view["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .collect();
    of_survey.sort();
    let page: Value = app
        .get_as(&format!("/api/v1/proposals/{proposal}"), ADMIN_TOKEN)
        .await
        .json()
        .await
        .unwrap();
    let of_proposal: Vec<String> = page["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap().to_owned())
        .collect();
    for code in &of_survey {
        assert!(
            of_proposal.contains(code),
            "{code} is missing from the proposal's anomalies {of_proposal:?}"
        );
    }
    of_survey
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// Cideng's real polygon moved 0.1 degree (about 11 km) east, so the survey's fix is in none.
fn cideng_moved_east() -> String {
    fn shift(v: &mut Value) {
        match v {
            Value::Array(items) if items.len() == 2 && items.iter().all(Value::is_number) => {
                items[0] = json!(items[0].as_f64().unwrap() + 0.1);
            }
            Value::Array(items) => items.iter_mut().for_each(shift),
            _ => {}
        }
    }
    let text = std::fs::read_to_string(data("boundaries/dki_kelurahan.geojson")).unwrap();
    let all: Value = serde_json::from_str(&text).unwrap();
    let mut cideng = all["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["kode"] == "31.71.01.1002")
        .unwrap()
        .clone();
    shift(&mut cideng["geometry"]["coordinates"]);
    json!({"type": "FeatureCollection", "features": [cideng]}).to_string()
}

#[tokio::test]
async fn survey_findings_survive_every_import_and_follow_their_own_inputs() {
    let app = spawn_app_with_reference_data().await;
    let dir = tempfile::tempdir().unwrap();
    let ids = app.import_proposals(&proposal_file(200), 2026).await;
    let proposal = ids[0];
    let token = app.token_for(Role::Surveyor, Some("31.71.01")).await;

    // A survey without photos is checked as it arrives: 260 m2 remeasured against 200 proposed.
    let survey = Uuid::new_v4().to_string();
    let body = json!({
        "proposal_id": proposal,
        "captured_at": "2026-02-10T03:15:00Z",
        "fix": {"lat": -6.1756, "lon": 106.8095, "accuracy_m": 5.0, "altitude_m": null, "fix_time": "2026-02-10T03:14:58Z"},
        "trace": null, "address_confirmed": true, "address_note": null,
        "technical": {"ok": true, "note": null}, "administrative": {"ok": true, "note": null},
        "volume": {"value": "260", "satuan": "m2"},
        "photos": [], "supersedes": null
    });
    let response = app
        .client
        .put(app.url(&format!("/api/v1/surveys/{survey}")))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let first = findings(&app, &token, &survey, proposal).await;
    assert_eq!(first, ["PHOTO_MISSING", "VOLUME_DEVIATION"]);

    // Inputs the survey checks do not read: the findings stay exactly as they were.
    let prices = data("prices/ssh_pangandaran_2023.csv");
    tinjau(
        &app,
        &[
            "import",
            "prices",
            prices.to_str().unwrap(),
            "--region",
            "32.18",
            "--tahun",
            "2023",
        ],
    );
    assert_eq!(
        findings(&app, &token, &survey, proposal).await,
        first,
        "after a price import"
    );
    let catalogue = write(
        dir.path(),
        "catalogue.csv",
        &tinjau(&app, &["catalogue", "export"]),
    );
    tinjau(&app, &["catalogue", "import", &catalogue]);
    assert_eq!(
        findings(&app, &token, &survey, proposal).await,
        first,
        "after a catalogue import"
    );
    let same = write(dir.path(), "same.csv", &proposal_file(200));
    tinjau(&app, &["import", "proposals", &same, "--tahun", "2026"]);
    assert_eq!(
        findings(&app, &token, &survey, proposal).await,
        first,
        "after an unchanged proposal import"
    );
    admin_import(&app, &proposal_file(200)).await;
    assert_eq!(
        findings(&app, &token, &survey, proposal).await,
        first,
        "after an unchanged import through the admin endpoint"
    );
    let out = tinjau(&app, &["analyze"]);
    assert!(out.contains("survey checks run again: 1 surveys"), "{out}");
    assert_eq!(
        findings(&app, &token, &survey, proposal).await,
        first,
        "after a full re-analysis"
    );

    // The proposal's volume is corrected to what was remeasured: the deviation goes, from either door.
    admin_import(&app, &proposal_file(260)).await;
    assert_eq!(
        findings(&app, &token, &survey, proposal).await,
        ["PHOTO_MISSING"],
        "after the admin endpoint corrected the volume"
    );
    tinjau(&app, &["import", "proposals", &same, "--tahun", "2026"]);
    assert_eq!(
        findings(&app, &token, &survey, proposal).await,
        first,
        "after the CLI put the volume back"
    );

    // The kelurahan's boundary moves away from the fix: the location verdict follows, and returns.
    let moved = write(dir.path(), "moved.geojson", &cideng_moved_east());
    tinjau(
        &app,
        &["import", "boundaries", &moved, "--level", "kelurahan"],
    );
    let after_move = findings(&app, &token, &survey, proposal).await;
    assert!(
        after_move.iter().any(|c| c.starts_with("LOCATION_")),
        "the fix is no longer in Cideng: {after_move:?}"
    );
    assert!(after_move.contains(&"VOLUME_DEVIATION".to_owned()));
    let real = data("boundaries/dki_kelurahan.geojson");
    tinjau(
        &app,
        &[
            "import",
            "boundaries",
            real.to_str().unwrap(),
            "--level",
            "kelurahan",
        ],
    );
    assert_eq!(
        findings(&app, &token, &survey, proposal).await,
        first,
        "after the real boundaries came back"
    );
}
