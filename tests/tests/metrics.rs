//! `/metrics` and `/readyz` as an operator's scraper and load balancer read them: off unless
//! configured, behind the scraper's token on the main address, open on an address of its own;
//! requests counted by route template and status; the photo queue, the surveys and photos stored,
//! the audit trail's length read at each scrape.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::StatusCode;
use survey_schema::Role;
use tinjau_tests::field::{photo, put_photo, put_survey, record};
use tinjau_tests::{Fixture, spawn_app_with_settings};
use uuid::Uuid;

/// The value of the sample whose line starts with `series` (`name{labels}`), if any.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_are_behind_the_scrapers_token_or_on_their_own_address() {
    let app = spawn_app_with_settings(Fixture::Reference, |s| {
        s.metrics_token = Some("token-pemantau".into());
        s.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
        s.photo_workers = 0;
    })
    .await;
    let ids = app
        .import_proposals(
            "No,Kelurahan,RW,Usulan Kegiatan,Lokasi,Volume,Satuan,Perkiraan Anggaran\n1,Cideng,02,Pemasangan paving block,Jl. Cideng Barat,200,m2,30000000\n",
            2026,
        )
        .await;
    let surveyor = app.token_for(Role::Surveyor, Some("31.71.01")).await;
    let jpeg = photo("DSCN0010.jpg");
    let survey = Uuid::new_v4().to_string();
    let (status, body) = put_survey(
        &app,
        &surveyor,
        &survey,
        &record(ids[0], &[("depan", &jpeg)]),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        put_photo(&app, &surveyor, &survey, &jpeg).await,
        StatusCode::CREATED
    );
    for _ in 0..3 {
        assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    }
    assert_eq!(
        app.get("/api/v1/tidak-ada").await.status(),
        StatusCode::NOT_FOUND
    );

    // Without the token, or with another, nothing is shown.
    assert_eq!(app.get("/metrics").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get_as("/metrics", "salah").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let response = app.get_as("/metrics", "token-pemantau").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = response.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert_eq!(
        sample(
            &text,
            r#"tinjau_http_requests_total{method="GET",route="/healthz",status="200"}"#
        ),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"tinjau_http_requests_total{method="PUT",route="/api/v1/surveys/{id}",status="201"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert!(
        sample(
            &text,
            r#"tinjau_http_requests_total{method="GET",route="unmatched",status="404"}"#
        )
        .is_some(),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"tinjau_http_request_duration_seconds_count{method="GET",route="/healthz"}"#
        ),
        Some(3.0),
        "{text}"
    );
    assert_eq!(sample(&text, "tinjau_surveys_stored"), Some(1.0), "{text}");
    assert_eq!(sample(&text, "tinjau_photos_stored"), Some(1.0), "{text}");
    // No worker runs in this server: the photo waits, and says how long.
    assert_eq!(
        sample(&text, "tinjau_photo_queue_depth"),
        Some(1.0),
        "{text}"
    );
    assert!(sample(&text, "tinjau_photo_queue_oldest_seconds").is_some_and(|s| s >= 0.0));
    assert_eq!(
        sample(&text, "tinjau_photo_worker_failures_total"),
        Some(0.0),
        "{text}"
    );
    assert!(
        sample(&text, "tinjau_audit_appends_total").is_some_and(|n| n >= 2.0),
        "{text}"
    );
    assert!(sample(&text, "tinjau_db_pool_max_connections").is_some_and(|n| n >= 1.0));
    // What the sequencer has not yet made leaves of the log (it runs every half second).
    assert!(
        sample(&text, "tinjau_audit_log_pending").is_some_and(|n| n >= 0.0),
        "{text}"
    );

    // The address of its own needs no token.
    let own = app.metrics_address.clone().unwrap();
    let response = app
        .client
        .get(format!("{own}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("tinjau_photo_queue_depth")
    );

    // The readiness check names the queue too.
    let ready: serde_json::Value = app.get("/readyz").await.json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["photo_queue"]["depth"], 1, "{ready}");
    assert_eq!(ready["photo_queue"]["worker_failures"], 0, "{ready}");
}

#[tokio::test]
async fn without_a_token_or_an_address_there_is_no_metrics_endpoint() {
    let app = tinjau_tests::spawn_app().await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(app.metrics_address.is_none());
}
