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

/// Every survey's findings and every proposal's version, to compare before and after a re-check.
async fn findings_and_versions(app: &TestApp) -> (Vec<(String, String)>, Vec<(i64, i32)>) {
    let findings: Vec<(String, String)> = sqlx::query_as(
        "SELECT survey_id::text, code || ' ' || severity || ' ' || message_en || ' ' || details::text
           FROM anomaly WHERE survey_id IS NOT NULL ORDER BY 1, 2",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let versions: Vec<(i64, i32)> = sqlx::query_as("SELECT id, version FROM proposal ORDER BY id")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    (findings, versions)
}

/// The set re-check (a boundary import re-checks every survey) finds exactly what checking each
/// survey on its own finds, photo reuse across proposals and a surveyor's travel speed included; a re-check that changes nothing moves no proposal's version (a camat's open decision
/// stays valid); and the boundary import says when every finding is current.
#[tokio::test]
async fn a_set_recheck_finds_what_each_survey_found_and_says_when_findings_are_current() {
    use tinjau_tests::field::{photo, put_photo, put_survey, record_at};
    let app = spawn_app_with_reference_data().await;
    let dir = tempfile::tempdir().unwrap();
    let ids = app
        .import_proposals(
            "No;Usulan Kegiatan;Lokasi;Kode Kelurahan;Volume;Satuan;Perkiraan Anggaran\n\
             1;Pemasangan paving block;Jl. A;31.71.01.1002;200;m2;Rp 32.000.000\n\
             2;Pemasangan paving block;Jl. B;31.71.01.1002;150;m2;Rp 24.000.000\n\
             3;Pembangunan saluran drainase;Jl. C;31.71.01.1003;80;m';Rp 120.000.000\n",
            2026,
        )
        .await;
    let token = app.token_for(Role::Surveyor, Some("31.71.01")).await;
    let other = app.token_for(Role::Surveyor, Some("31.71.01")).await;
    let (a, b) = (photo("DSCN0010.jpg"), photo("DSCN0012.jpg"));
    // The same photo for two proposals; the same surveyor 2 minutes later 5 km away; a survey
    // without photos; another surveyor's survey of the drainage.
    let mut visit_12 = record_at(
        ids[0],
        "2026-02-10T03:15:00Z",
        &[("depan", &a), ("samping", &b)],
    );
    visit_12["volume"]["value"] = json!("260");
    let mut far = record_at(ids[1], "2026-02-10T03:17:00Z", &[("depan", &a)]);
    far["fix"]["lat"] = json!(-6.1300);
    let in_kebon_kelapa = |mut body: Value| {
        body["fix"]["lat"] = json!(-6.1680);
        body["fix"]["lon"] = json!(106.8270);
        body
    };
    let photoless = in_kebon_kelapa(record_at(ids[2], "2026-02-10T05:00:00Z", &[]));
    let theirs = in_kebon_kelapa(record_at(ids[2], "2026-02-10T04:00:00Z", &[("depan", &b)]));
    let mut surveys = Vec::new();
    for (who, body) in [
        (&token, &visit_12),
        (&token, &far),
        (&token, &photoless),
        (&other, &theirs),
    ] {
        let id = Uuid::new_v4().to_string();
        let (status, answer) = put_survey(&app, who, &id, body).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        for p in body["photos"].as_array().unwrap() {
            let bytes = if p["sha256"] == tinjau_tests::field::sha(&a) {
                &a
            } else {
                &b
            };
            assert_eq!(put_photo(&app, who, &id, bytes).await, StatusCode::CREATED);
        }
        app.survey_when_read(who, &id).await;
        surveys.push(id);
    }
    // Each survey checked again on its own, now that all are in (the first saw no later survey).
    let index = tinjau_workflows::locator::load(&app.pool).await.unwrap();
    for id in &surveys {
        let id = Uuid::parse_str(id).unwrap();
        assert!(
            tinjau_workflows::survey_checks::run_if_complete(&app.pool, &index, id)
                .await
                .unwrap()
        );
    }
    let (each, versions) = findings_and_versions(&app).await;
    let codes = |f: &[(String, String)]| -> Vec<String> {
        let mut c: Vec<String> = f
            .iter()
            .map(|(_, text)| text.split(' ').next().unwrap().to_owned())
            .collect();
        c.sort();
        c.dedup();
        c
    };
    for expected in ["PHOTO_REUSED", "SURVEYOR_SPEED", "VOLUME_DEVIATION"] {
        assert!(
            codes(&each).iter().any(|c| c == expected),
            "{expected} among {:?}",
            codes(&each)
        );
    }

    // Everything checked again as a set: the same findings, no version moved.
    let out = tinjau(&app, &["analyze"]);
    assert!(
        out.contains("survey checks run again: 4 surveys, 0 with changed findings"),
        "{out}"
    );
    assert_eq!(
        findings_and_versions(&app).await,
        (each.clone(), versions.clone())
    );

    // Cideng moves away: its surveys' findings change, and only their proposals' versions move.
    let moved = write(dir.path(), "moved.geojson", &cideng_moved_east());
    let out = tinjau(
        &app,
        &["import", "boundaries", &moved, "--level", "kelurahan"],
    );
    assert!(out.contains("every finding is current as of"), "{out}");
    assert!(out.contains("2 with changed findings"), "{out}");
    let (after, moved_versions) = findings_and_versions(&app).await;
    assert!(
        codes(&after).iter().any(|c| c.starts_with("LOCATION_")),
        "{after:?}"
    );
    let bumped: Vec<i64> = versions
        .iter()
        .zip(&moved_versions)
        .filter(|(before, now)| before.1 != now.1)
        .map(|(before, _)| before.0)
        .collect();
    assert_eq!(bumped, [ids[0], ids[1]]);

    // The real polygon back: the findings are those of each survey's own check again.
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
    assert_eq!(findings_and_versions(&app).await.0, each);
}
