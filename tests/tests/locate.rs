//! Location verdicts through the server, which loads its index from the database and refreshes it
//! when a kelurahan-boundary import commits.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use survey_schema::WilayahLevel;
use tinjau_tests::{TestApp, spawn_app, spawn_app_with_reference_data};

async fn locate(app: &TestApp, query: &str) -> (StatusCode, Value) {
    let response = app.get(&format!("/api/v1/locate?{query}")).await;
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn monas_is_inside_gambir() {
    let app = spawn_app_with_reference_data().await;
    let (status, body) = locate(
        &app,
        "lat=-6.1754&lon=106.8272&accuracy_m=8&kode=31.71.01.1001",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "inside");
    assert_eq!(body["kode"], "31.71.01.1001");
    assert!(body["distance_m"].as_f64().unwrap() > 500.0);
    assert_eq!(body["claimed_distance_m"], 0.0);
}

#[tokio::test]
async fn slivers_overlaps_and_the_sea_get_their_verdicts() {
    let app = spawn_app_with_reference_data().await;
    let (_, body) = locate(&app, "lat=-6.250069&lon=106.751763").await;
    assert_eq!(body["status"], "gap");
    assert_eq!(body["nearest_kode"], "31.74.10.1004");
    let (_, body) = locate(&app, "lat=-6.247708&lon=106.822519&kode=31.74.03.1004").await;
    assert_eq!(body["status"], "overlap");
    assert_eq!(
        body["kodes"],
        serde_json::json!(["31.74.03.1003", "31.74.03.1004"])
    );
    assert_eq!(body["claimed_among"], true);
    let (_, body) = locate(&app, "lat=-6.05&lon=106.85").await;
    assert_eq!(body["status"], "outside");
    let (_, body) = locate(&app, "lat=-6.1754&lon=106.8272&kode=31.71.01.1002").await;
    assert_eq!(body["status"], "other_kelurahan");
}

#[tokio::test]
async fn bad_parameters_get_a_4xx_in_the_error_shape() {
    let app = spawn_app_with_reference_data().await;
    for (query, status, code) in [
        ("lat=91&lon=106.8", StatusCode::BAD_REQUEST, "invalid_point"),
        (
            "lat=abc&lon=106.8",
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        ("lon=106.8", StatusCode::BAD_REQUEST, "invalid_query"),
        (
            "lat=-6.2&lon=106.8&kode=31.71",
            StatusCode::BAD_REQUEST,
            "invalid_kode",
        ),
        (
            "lat=-6.2&lon=106.8&kode=31.71.01.1999",
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_kelurahan",
        ),
        (
            "lat=-6.2&lon=106.8&accuracy_m=-3",
            StatusCode::BAD_REQUEST,
            "invalid_accuracy",
        ),
        (
            "lat=-6.2&lon=106.8&accuracy_m=NaN",
            StatusCode::BAD_REQUEST,
            "invalid_accuracy",
        ),
    ] {
        let (got, body) = locate(&app, query).await;
        assert_eq!(got, status, "{query}: {body}");
        assert_eq!(body["code"], code, "{query}");
        assert!(
            body["message"]["id"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        assert!(
            body["message"]["en"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
}

#[tokio::test]
async fn without_boundaries_every_point_is_outside() {
    let app = spawn_app().await;
    let (status, body) = locate(&app, "lat=-6.1754&lon=106.8272").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "outside");
    assert_eq!(body["nearest_kode"], Value::Null);
}

#[tokio::test]
async fn a_boundary_import_reaches_the_running_server() {
    let app = spawn_app_with_reference_data().await;
    let query = "lat=-6.1754&lon=106.8272&kode=31.71.01.1001";
    assert_eq!(locate(&app, query).await.1["status"], "inside");

    // Gambir re-imported as a small square two kilometres south-east of Monas.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gambir-moved.geojson");
    std::fs::write(
        &path,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"kode":"31.71.01.1001","nama":"Gambir"},
            "geometry":{"type":"Polygon","coordinates":[[[106.840,-6.195],[106.845,-6.195],[106.845,-6.190],[106.840,-6.190],[106.840,-6.195]]]}}]}"#,
    )
    .unwrap();
    tinjau_workflows::import::boundaries::import(
        &app.pool,
        &path,
        WilayahLevel::Kelurahan,
        false,
        false,
    )
    .await
    .unwrap();

    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, body) = locate(&app, query).await;
        if body["status"] != "inside" {
            assert_ne!(body["kode"], "31.71.01.1001", "{body}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server still uses the old boundaries"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
