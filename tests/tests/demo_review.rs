//! On the (SYNTHETIC) demo data a camat goes, through the API alone, from the review list to the
//! Berita Acara PDF and the XLSX forms, every decision recorded and the audit trail intact.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use reqwest::StatusCode;
use serde_json::{Value, json};
use survey_schema::Role;
use tinjau_tests::{spawn_app_with_reference_data, tinjau_binary};
use tinjau_workflows::import::proposals::{ProposalImportOptions, import};
use uuid::Uuid;

// One walk, read top to bottom: the camat's whole way from the list to the forms.
#[allow(clippy::too_many_lines)]
#[tokio::test]
async fn a_camat_goes_from_the_review_list_to_the_signed_ready_forms_through_the_api() {
    let app = spawn_app_with_reference_data().await;
    let dir = tempfile::tempdir().unwrap();
    let index = tinjau_workflows::locator::load(&app.pool).await.unwrap();
    let spec = tinjau_devtools::demo::DemoSpec {
        tahun: 2026,
        count: 600,
        earlier_count: 200,
        seed: 7,
        planted_share: 0.08,
    };
    let [earlier, current, _planted] =
        tinjau_devtools::demo::generate(&app.pool, &index, dir.path(), &spec)
            .await
            .unwrap();
    for (file, tahun) in [(&earlier, 2025), (&current, 2026)] {
        let options = ProposalImportOptions {
            tahun,
            ..ProposalImportOptions::default()
        };
        import(&app.pool, file, &options).await.unwrap();
    }
    tinjau_workflows::analysis::recompute(
        &app.pool,
        &index,
        tinjau_workflows::analysis::SurveyRecheck::All,
    )
    .await
    .unwrap();
    // The kecamatan with the most physical proposals, and its camat.
    let kecamatan: String = sqlx::query_scalar(
        "SELECT kecamatan_kode FROM proposal WHERE tahun = 2026 AND activity_code IS NOT NULL
          GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let camat = app.token_for(Role::Camat, Some(&kecamatan)).await;

    let page: Value = app
        .get_as(
            &format!("/api/v1/review/{kecamatan}?tahun=2026&per_page=500"),
            &camat,
        )
        .await
        .json()
        .await
        .unwrap();
    let items = page["items"].as_array().unwrap().clone();
    assert!(items.len() >= 5, "{kecamatan}: {page}");
    assert_eq!(page["total"].as_u64(), Some(items.len() as u64));

    // Decide each as the review suggests; without a suggestion, approve.
    let mut rejected = 0;
    for item in &items {
        let body = match item["suggestion"]["action"].as_str() {
            Some("reject") => {
                rejected += 1;
                json!({"action": "reject", "reason": item["suggestion"]["reason"], "note": "Sesuai saran tinjauan"})
            }
            Some("set_volume") => {
                json!({"action": "set_volume", "volume": item["suggestion"]["volume"], "satuan": item["suggestion"]["satuan"]})
            }
            _ => json!({"action": "approve"}),
        };
        let response = app
            .client
            .put(app.url(&format!(
                "/api/v1/proposals/{}/decisions/{}",
                item["id"],
                Uuid::new_v4()
            )))
            .bearer_auth(&camat)
            .header("If-Match", format!("\"{}\"", item["version"]))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "{item}: {}",
            response.text().await.unwrap()
        );
    }

    app.fill_forum_record(&kecamatan, 2026, &camat).await;
    let response = app
        .client
        .post(app.url(&format!("/api/v1/kecamatan/{kecamatan}/kirim?tahun=2026")))
        .bearer_auth(&camat)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let sent: Value = response.json().await.unwrap();
    assert_eq!(sent["not_agreed"].as_i64(), Some(rejected));
    assert_eq!(
        sent["agreed"].as_u64(),
        Some(items.len() as u64 - u64::try_from(rejected).unwrap())
    );

    let pdf = app
        .get_as(
            &format!("/api/v1/kecamatan/{kecamatan}/forms/berita-acara.pdf?tahun=2026"),
            &camat,
        )
        .await;
    assert_eq!(pdf.status(), StatusCode::OK);
    let pdf = pdf.bytes().await.unwrap();
    let path = dir.path().join("berita-acara.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let text = Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(&format!("Log audit #{}", sent["audit_seq"])),
        "{text}"
    );
    assert!(text.contains("LAMPIRAN II") && text.contains("LAMPIRAN III"));
    for file in ["lampiran2.xlsx", "lampiran3.xlsx"] {
        let response = app
            .get_as(
                &format!("/api/v1/kecamatan/{kecamatan}/forms/{file}?tahun=2026"),
                &camat,
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{file}");
        assert!(
            response.bytes().await.unwrap().starts_with(b"PK"),
            "{file} is a zip"
        );
    }

    let decisions: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_event WHERE action = 'decision.put'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        decisions,
        i64::try_from(items.len()).unwrap(),
        "every decision on the record"
    );
    let out = Command::new(tinjau_binary().unwrap())
        .args(["audit", "verify"])
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("intact"));
}
