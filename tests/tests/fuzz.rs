//! The API schema fuzzer (schemathesis, pinned, installed by `scripts/schemathesis`) against the
//! real server, with an admin's and a surveyor's token: it fails on any 5xx, any answer that
//! breaks its documented schema, and any status the OpenAPI document does not list.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use survey_schema::Role;
use tinjau_tests::field::{json_of, put_survey, record};
use tinjau_tests::{ADMIN_TOKEN, repo_root, spawn_app_with_reference_data};

const PROPOSALS: &str = "\
No;Usulan Kegiatan;Lokasi;Kode Kelurahan;Volume;Satuan;Perkiraan Anggaran;SKPD Tujuan
1;Pemasangan paving block;Jl. Cideng Barat;31.71.01.1002;200;m2;Rp 32.000.000;Suku Dinas Bina Marga
2;Pembangunan saluran drainase;Jl. Kebon Kelapa Raya;31.71.01.1003;100;m';Rp 150.000.000;Suku Dinas SDA
";

/// Runs schemathesis against `address` as `token`; returns its output when it found anything.
fn fuzz(address: &str, token: &str) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(repo_root().join("scripts/schemathesis"))
        .current_dir(dir.path())
        .args([
            "run",
            &format!("{address}/api/v1/openapi.json"),
            "--header",
            &format!("Authorization: Bearer {token}"),
            "--checks",
            "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            "25",
            "--seed",
            "20261206",
            // One worker: with two threads, CPython 3.11.7's AST parser (which Hypothesis calls to
            // describe its filters) fails now and then with "recursion depth mismatch".
            "--workers",
            "1",
            "--generation-database",
            "none",
            "--no-color",
            // tus PATCH bodies (application/offset+octet-stream) have no serializer in schemathesis;
            // the tus tests drive them.
            "--exclude-name",
            "PATCH /api/v1/surveys/{id}/photos/{sha256}",
        ])
        .output()
        .expect("running scripts/schemathesis");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (!output.status.success()).then_some(text)
}

#[tokio::test]
async fn the_schema_fuzzer_finds_no_5xx_no_broken_schema_and_no_undocumented_status() {
    let app = spawn_app_with_reference_data().await;
    let ids = app.import_proposals(PROPOSALS, 2026).await;
    let surveyor = app.token_for(Role::Surveyor, Some("31.71.01")).await;
    let (status, body) = put_survey(
        &app,
        &surveyor,
        &uuid::Uuid::new_v4().to_string(),
        &record(ids[0], &[]),
    )
    .await;
    assert!(status.is_success(), "{body}");
    let (status, _) = json_of(app.get("/api/v1/openapi.json").await).await;
    assert!(status.is_success());
    for (who, token) in [
        ("admin", ADMIN_TOKEN.to_owned()),
        ("surveyor", surveyor.clone()),
    ] {
        // The server answers on this test's runtime: the fuzzer waits on a thread of its own.
        let address = app.address.clone();
        let found = tokio::task::spawn_blocking(move || fuzz(&address, &token))
            .await
            .unwrap();
        if let Some(found) = found {
            panic!("schemathesis as the {who} found problems:\n{found}");
        }
    }
}
