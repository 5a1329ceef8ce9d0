//! Reference-data import against real PostGIS: counts, idempotence, and refusals that write nothing.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use serde_json::Value;
use survey_schema::WilayahLevel;
use tinjau_tests::{TestApp, data, spawn_app, spawn_app_with_reference_data};
use tinjau_workflows::import::{ImportError, boundaries, wilayah};

fn write_temp(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn kelurahan_collection() -> Value {
    serde_json::from_slice(&std::fs::read(data("boundaries/dki_kelurahan.geojson")).unwrap())
        .unwrap()
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

#[tokio::test]
async fn the_official_code_list_imports_whole_and_reimports_as_unchanged() {
    let app = spawn_app().await;
    let file = data("wilayah/wilayah.csv");
    let first = wilayah::import(&app.pool, &file, false).await.unwrap();
    assert_eq!(
        (first.total, first.inserted, first.updated, first.unchanged),
        (91_599, 91_599, 0, 0)
    );
    let per_level: Vec<(i16, i64)> =
        sqlx::query_as("SELECT level, count(*) FROM wilayah GROUP BY level ORDER BY level")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(per_level, [(1, 38), (2, 514), (3, 7_285), (4, 83_762)]);

    let before = app.reference_state().await;
    let again = wilayah::import(&app.pool, &file, false).await.unwrap();
    assert_eq!(
        (again.inserted, again.updated, again.unchanged),
        (0, 0, 91_599)
    );
    assert_eq!(app.reference_state().await, before);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM import_log WHERE kind = 'wilayah'"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn a_renamed_area_is_updated_by_reimport() {
    let app = spawn_app_with_reference_data().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = write_temp(
        dir.path(),
        "rename.csv",
        b"kode,nama,level\n31.71.01,Gambir Baru,3\n",
    );
    let summary = wilayah::import(&app.pool, &csv, false).await.unwrap();
    assert_eq!((summary.inserted, summary.updated), (0, 1));
    let nama: String = sqlx::query_scalar("SELECT nama FROM wilayah WHERE kode = '31.71.01'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(nama, "Gambir Baru");
}

#[tokio::test]
async fn a_code_list_with_a_bad_row_or_an_orphan_writes_nothing() {
    let app = spawn_app_with_reference_data().await;
    let before = app.reference_state().await;
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "bad-level.csv",
            "kode,nama,level\n31.71.01,Gambir X,3\n31.71.02,Tanah Abang,4\n",
            "line 3, column level",
        ),
        (
            "orphan.csv",
            "kode,nama,level\n31.71.01,Gambir X,3\n77.01.01,Nowhere,3\n",
            "parent 77.01",
        ),
        (
            "bad-kode.csv",
            "kode,nama,level\n31.71.01,Gambir X,3\n31.71.1,Bad,3\n",
            "line 3, column kode",
        ),
        (
            "no-columns.csv",
            "code;name\n31;DKI\n",
            "expected the columns kode,nama,level",
        ),
    ];
    for (name, text, expected) in cases {
        let path = write_temp(dir.path(), name, text.as_bytes());
        let err = wilayah::import(&app.pool, &path, false).await.unwrap_err();
        let message = err.to_string();
        assert!(message.contains(expected), "{name}: {message}");
        assert_eq!(
            app.reference_state().await,
            before,
            "{name} changed the database"
        );
    }
}

#[tokio::test]
async fn jakarta_boundaries_import_at_every_level_and_reimport_as_unchanged() {
    let app = spawn_app().await;
    wilayah::import(&app.pool, &data("wilayah/wilayah.csv"), false)
        .await
        .unwrap();
    let mut totals = Vec::new();
    for (file, level) in tinjau_tests::JAKARTA_BOUNDARIES {
        let summary = boundaries::import(&app.pool, &data(file), level, false, true)
            .await
            .unwrap();
        assert_eq!(summary.counts.inserted, summary.counts.total);
        totals.push(summary.counts.total);
    }
    assert_eq!(totals, [6, 44, 267]);
    assert_eq!(
        count(&app, "SELECT count(*) FROM boundary WHERE level = 4").await,
        267
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM boundary WHERE level = 3").await,
        44
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM boundary WHERE NOT ST_IsValid(geom)"
        )
        .await,
        0
    );

    let before = app.reference_state().await;
    let again = boundaries::import(
        &app.pool,
        &data("boundaries/dki_kelurahan.geojson"),
        WilayahLevel::Kelurahan,
        false,
        false,
    )
    .await
    .unwrap();
    assert_eq!(
        (
            again.counts.inserted,
            again.counts.updated,
            again.counts.unchanged
        ),
        (0, 0, 267)
    );
    assert_eq!(app.reference_state().await, before);
}

#[tokio::test]
async fn a_self_intersecting_polygon_is_repaired_and_reported() {
    let app = spawn_app_with_reference_data().await;
    let dir = tempfile::tempdir().unwrap();
    // A bow-tie over Gambir: valid GeoJSON, invalid as a polygon.
    let bowtie = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"kode":"31.71.01.1001"},
        "geometry":{"type":"Polygon","coordinates":[[[106.81,-6.18],[106.83,-6.16],[106.83,-6.18],[106.81,-6.16],[106.81,-6.18]]]}}]}"#;
    let path = write_temp(dir.path(), "bowtie.geojson", bowtie.as_bytes());
    let before = app.reference_state().await;
    let refused = boundaries::import(&app.pool, &path, WilayahLevel::Kelurahan, false, false)
        .await
        .expect_err("without --repair an invalid polygon refuses the file")
        .to_string();
    assert!(
        refused.contains("feature #0 (kode 31.71.01.1001)")
            && refused.contains("Self-intersection")
            && refused.contains("--repair"),
        "{refused}"
    );
    assert_eq!(app.reference_state().await, before);
    let summary = boundaries::import(&app.pool, &path, WilayahLevel::Kelurahan, false, true)
        .await
        .unwrap();
    assert_eq!((summary.counts.updated, summary.counts.repaired), (1, 1));
    assert!(
        summary.repaired[0]
            .to_string()
            .contains("feature #0 (kode 31.71.01.1001)")
    );
    assert!(
        summary.repaired[0].message.contains("Self-intersection"),
        "{}",
        summary.repaired[0]
    );
    let (valid, parts): (bool, i32) = sqlx::query_as(
        "SELECT ST_IsValid(geom), ST_NumGeometries(geom) FROM boundary WHERE kode = '31.71.01.1001'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(valid);
    assert_eq!(parts, 2, "the bow-tie becomes two triangles");
}

/// Imports `bytes` as kelurahan boundaries and returns the error, checking nothing was written.
async fn refused(app: &TestApp, name: &str, bytes: &[u8]) -> String {
    let before = app.reference_state().await;
    let dir = tempfile::tempdir().unwrap();
    let path = write_temp(dir.path(), name, bytes);
    let err = boundaries::import(&app.pool, &path, WilayahLevel::Kelurahan, false, false)
        .await
        .expect_err("the import should be refused");
    assert_eq!(
        app.reference_state().await,
        before,
        "{name} changed the database"
    );
    err.to_string()
}

#[tokio::test]
async fn a_lat_lon_file_is_refused_and_named_as_such() {
    let app = spawn_app_with_reference_data().await;
    let mut collection = kelurahan_collection();
    let swap = |v: &mut Value| {
        fn walk(v: &mut Value) {
            if let Some(items) = v.as_array_mut() {
                if items.len() == 2 && items.iter().all(Value::is_number) {
                    items.swap(0, 1);
                } else {
                    items.iter_mut().for_each(walk);
                }
            }
        }
        walk(v);
    };
    for feature in collection["features"].as_array_mut().unwrap() {
        swap(&mut feature["geometry"]["coordinates"]);
    }
    let message = refused(
        &app,
        "latlon.geojson",
        &serde_json::to_vec(&collection).unwrap(),
    )
    .await;
    assert!(
        message.contains("267 of 267 features are written in [lat, lon] order"),
        "{message}"
    );
    assert!(
        message.contains("feature #0 (kode 31.01.01.1001)"),
        "{message}"
    );
}

#[tokio::test]
async fn a_truncated_file_is_refused() {
    let app = spawn_app_with_reference_data().await;
    let bytes = std::fs::read(data("boundaries/dki_kelurahan.geojson")).unwrap();
    let message = refused(&app, "truncated.geojson", &bytes[..bytes.len() / 2]).await;
    assert!(
        message.contains("not valid JSON (truncated or corrupt file?)"),
        "{message}"
    );
    assert!(message.contains("Nothing was imported"), "{message}");
}

#[tokio::test]
async fn a_gzipped_file_is_read_as_a_stream_and_a_truncated_one_refused() {
    use std::io::Write as _;
    let app = spawn_app_with_reference_data().await;
    let bytes = std::fs::read(data("boundaries/dki_kelurahan.geojson")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&bytes).unwrap();
    let gz = gz.finish().unwrap();

    let message = refused(&app, "truncated.geojson.gz", &gz[..gz.len() / 2]).await;
    assert!(message.contains("not a readable gzip file"), "{message}");

    let dir = tempfile::tempdir().unwrap();
    let path = write_temp(dir.path(), "dki_kelurahan.geojson.gz", &gz);
    let summary = boundaries::import(&app.pool, &path, WilayahLevel::Kelurahan, false, false)
        .await
        .unwrap();
    assert_eq!(
        (summary.counts.total, summary.counts.unchanged),
        (267, 267),
        "the same polygons as the fixture's plain file"
    );
}

#[tokio::test]
async fn a_point_feature_is_refused_by_index_and_kode() {
    let app = spawn_app_with_reference_data().await;
    let mut collection = kelurahan_collection();
    let feature = &mut collection["features"][100];
    let kode = feature["properties"]["kode"].as_str().unwrap().to_owned();
    feature["geometry"] = serde_json::json!({"type": "Point", "coordinates": [106.8, -6.2]});
    let message = refused(
        &app,
        "point.geojson",
        &serde_json::to_vec(&collection).unwrap(),
    )
    .await;
    assert!(
        message.contains(&format!("feature #100 (kode {kode}): geometry is a Point")),
        "{message}"
    );
}

#[tokio::test]
async fn an_unknown_kode_is_refused_by_index_and_kode() {
    let app = spawn_app_with_reference_data().await;
    let mut collection = kelurahan_collection();
    collection["features"][7]["properties"]["kode"] = Value::from("31.71.01.1999");
    let message = refused(
        &app,
        "unknown.geojson",
        &serde_json::to_vec(&collection).unwrap(),
    )
    .await;
    assert!(
        message.contains("feature #7 (kode 31.71.01.1999): is not in the wilayah code list"),
        "{message}"
    );
}

#[tokio::test]
async fn a_file_of_the_wrong_level_is_refused() {
    let app = spawn_app_with_reference_data().await;
    let bytes = std::fs::read(data("boundaries/dki_kecamatan.geojson")).unwrap();
    let message = refused(&app, "kecamatan.geojson", &bytes).await;
    assert!(
        message.contains("is a kecamatan code, but this import is --level kelurahan"),
        "{message}"
    );
}

#[tokio::test]
async fn a_missing_file_is_an_io_error() {
    let app = spawn_app().await;
    let err = boundaries::import(
        &app.pool,
        Path::new("/nonexistent/x.geojson"),
        WilayahLevel::Kelurahan,
        false,
        false,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ImportError::Io { .. }), "{err:?}");
}
