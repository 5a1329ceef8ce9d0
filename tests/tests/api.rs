//! The HTTP API against real PostGIS, through the real router on a random port.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::StatusCode;
use serde_json::Value;
use tinjau_tests::{spawn_app, spawn_app_with_reference_data};

async fn json(response: reqwest::Response) -> Value {
    response.json().await.expect("a JSON body")
}

/// Every error has the one shape: a code and a message in Indonesian and English.
fn assert_error_shape(body: &Value, code: &str) {
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["message"]["id"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(
        body["message"]["en"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn healthz_answers() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json(response).await["status"], "ok");
}

#[tokio::test]
async fn readyz_reports_the_postgis_version_and_writable_storage() {
    let app = spawn_app().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = json(response).await;
    assert_eq!(body["status"], "ready");
    let postgis = body["database"]["postgis_version"].as_str().unwrap();
    assert!(
        postgis.starts_with('3'),
        "PostGIS 3 expected, got {postgis}"
    );
    assert!(
        body["database"]["postgres_version"]
            .as_str()
            .unwrap()
            .starts_with("15")
    );
    assert_eq!(body["storage"]["ok"], true);
}

#[tokio::test]
async fn readyz_is_503_when_storage_is_gone() {
    let app = spawn_app().await;
    std::fs::remove_dir_all(app.storage.path()).unwrap();
    std::fs::write(app.storage.path(), b"a file where the directory was").unwrap();
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = json(response).await;
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["storage"]["ok"], false);
    assert_eq!(body["database"]["ok"], true);
    std::fs::remove_file(app.storage.path()).unwrap();
}

#[tokio::test]
async fn unknown_routes_and_methods_get_the_json_error_shape() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/nothing-here").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_error_shape(&json(response).await, "not_found");

    let response = app.client.delete(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_error_shape(&json(response).await, "method_not_allowed");
}

#[tokio::test]
async fn wilayah_gambir_has_its_parent_and_six_kelurahan() {
    let app = spawn_app_with_reference_data().await;
    let response = app.get_wilayah("31.71.01").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = json(response).await;
    assert_eq!(body["nama"], "Gambir");
    assert_eq!(body["level"], "kecamatan");
    assert_eq!(body["parent"]["kode"], "31.71");
    assert_eq!(body["parent"]["jenis"], "kota");
    let children: Vec<&str> = body["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kode"].as_str().unwrap())
        .collect();
    assert_eq!(
        children,
        [
            "31.71.01.1001",
            "31.71.01.1002",
            "31.71.01.1003",
            "31.71.01.1004",
            "31.71.01.1005",
            "31.71.01.1006"
        ]
    );
    assert_eq!(body["has_boundary"], true);
    assert_eq!(body["kelurahan_boundaries"], 6);
}

#[tokio::test]
async fn wilayah_provinsi_has_no_parent_and_a_desa_is_a_desa() {
    let app = spawn_app_with_reference_data().await;
    let body = json(app.get_wilayah("31").await).await;
    assert_eq!(body["parent"], Value::Null);
    assert_eq!(body["level"], "provinsi");
    assert_eq!(body["children"].as_array().unwrap().len(), 6);
    assert_eq!(body["kelurahan_boundaries"], 267);

    let body = json(app.get_wilayah("11.01.01.2001").await).await;
    assert_eq!(body["jenis"], "desa");
    assert_eq!(body["children"].as_array().unwrap().len(), 0);
    assert_eq!(body["has_boundary"], false);
}

#[tokio::test]
async fn unknown_and_malformed_codes_are_404_and_400() {
    let app = spawn_app_with_reference_data().await;
    let response = app.get_wilayah("31.71.99").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body = json(response).await;
    assert_error_shape(&body, "not_found");
    assert!(body["message"]["id"].as_str().unwrap().contains("31.71.99"));

    for bad in [
        "abc",
        "31.7",
        "31.71.01.1001.5",
        "%27%3B%20DROP%20TABLE%20wilayah",
    ] {
        let response = app.get_wilayah(bad).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert_error_shape(&json(response).await, "invalid_kode");
    }
    let response = app.get_boundaries("99", None).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_error_shape(&json(response).await, "not_found");
}

#[tokio::test]
async fn boundaries_of_gambir_are_its_six_kelurahan_as_geojson() {
    let app = spawn_app_with_reference_data().await;
    let response = app.get_boundaries("31.71.01", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/geo+json");
    assert!(response.headers().contains_key("etag"));
    let body = json(response).await;
    assert_eq!(body["type"], "FeatureCollection");
    let features = body["features"].as_array().unwrap();
    assert_eq!(features.len(), 6);
    let names: Vec<&str> = features
        .iter()
        .map(|f| f["properties"]["nama"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Gambir",
            "Cideng",
            "Petojo Utara",
            "Petojo Selatan",
            "Kebon Kelapa",
            "Duri Pulo"
        ]
    );
    for feature in features {
        assert!(
            feature["properties"]["kode"]
                .as_str()
                .unwrap()
                .starts_with("31.71.01.")
        );
        assert_eq!(feature["geometry"]["type"], "MultiPolygon");
        // [lon, lat] order, in central Jakarta.
        let first = &feature["geometry"]["coordinates"][0][0][0];
        let (lon, lat) = (first[0].as_f64().unwrap(), first[1].as_f64().unwrap());
        assert!(
            (106.7..106.9).contains(&lon) && (-6.3..-6.1).contains(&lat),
            "{lon},{lat}"
        );
    }
}

#[tokio::test]
async fn boundaries_cover_a_kota_a_provinsi_and_one_kelurahan() {
    let app = spawn_app_with_reference_data().await;
    for (kode, expected) in [("31.71", 44), ("31", 267), ("31.71.01.1001", 1), ("11", 0)] {
        let body = json(app.get_boundaries(kode, None).await).await;
        assert_eq!(
            body["features"].as_array().unwrap().len(),
            expected,
            "{kode}"
        );
    }
}

#[tokio::test]
async fn an_unchanged_set_of_boundaries_is_not_sent_twice() {
    let app = spawn_app_with_reference_data().await;
    let first = app.get_boundaries("31.71.01", None).await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();

    let again = app.get_boundaries("31.71.01", Some(&etag)).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()["etag"], etag.as_str());
    assert!(again.bytes().await.unwrap().is_empty());

    // Another area has another tag; a stale tag gets the full body.
    let other = app.get_boundaries("31.71.02", None).await;
    assert_ne!(other.headers()["etag"].to_str().unwrap(), etag);
    let stale = app.get_boundaries("31.71.01", Some("\"stale\"")).await;
    assert_eq!(stale.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_etag_changes_when_a_boundary_in_the_set_changes() {
    let app = spawn_app_with_reference_data().await;
    let etag = app.get_boundaries("31.71.01", None).await.headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    sqlx::query("UPDATE boundary SET geom = ST_Multi(ST_Buffer(geom, 0.0001)), imported_at = now() WHERE kode = '31.71.01.1002'")
        .execute(&app.pool)
        .await
        .unwrap();
    let response = app.get_boundaries("31.71.01", Some(&etag)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_ne!(response.headers()["etag"].to_str().unwrap(), etag);
    // A neighbouring kecamatan is unaffected.
    let gambir_neighbour = app.get_boundaries("31.71.03", None).await;
    let tag = gambir_neighbour.headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.get_boundaries("31.71.03", Some(&tag)).await.status(),
        StatusCode::NOT_MODIFIED
    );
}

#[tokio::test]
async fn boundaries_are_gzip_compressed_for_clients_that_ask() {
    let app = spawn_app_with_reference_data().await;
    let plain = app
        .get_boundaries("31.71", None)
        .await
        .bytes()
        .await
        .unwrap()
        .len();
    let response = app
        .client
        .get(app.url("/api/v1/wilayah/31.71/boundaries.geojson"))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let compressed = response.bytes().await.unwrap().len();
    assert!(
        compressed * 2 < plain,
        "gzip {compressed} bytes vs plain {plain}"
    );
}
