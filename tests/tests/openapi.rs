//! The OpenAPI document is generated from the handlers; a wire change shows up as a snapshot diff.
//! After an intended change: `INSTA_UPDATE=always cargo test -p tinjau-tests --test e2e -- openapi::`, and
//! review the diff of tests/tests/snapshots/.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tinjau_tests::spawn_app;

#[test]
fn openapi_document_matches_the_snapshot() {
    let doc = serde_json::to_value(tinjau_http::routes::openapi()).unwrap();
    insta::assert_json_snapshot!("openapi", doc);
}

#[tokio::test]
async fn the_served_document_is_the_generated_one() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), 200);
    let served: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        served,
        serde_json::to_value(tinjau_http::routes::openapi()).unwrap()
    );
    for path in [
        "/healthz",
        "/readyz",
        "/api/v1/wilayah/{kode}",
        "/api/v1/wilayah/{kode}/boundaries.geojson",
    ] {
        assert!(
            served["paths"].get(path).is_some(),
            "{path} missing from the document"
        );
    }
}
