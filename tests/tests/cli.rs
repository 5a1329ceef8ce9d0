//! The real `tinjau` binary: imports, exit codes, and `serve` answering and shutting down cleanly.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use tinjau_tests::{Fixture, data, fresh_database, reference_state, tinjau_binary};

fn tinjau(database_url: &str, args: &[&str]) -> Output {
    Command::new(tinjau_binary().unwrap())
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("running tinjau")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn import_prints_a_summary_and_reimport_changes_nothing() {
    let url = fresh_database(Fixture::Empty).await.unwrap();
    let csv = data("wilayah/wilayah.csv");
    let out = tinjau(&url, &["import", "wilayah", csv.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("91599 rows from"),
        "{}",
        text(&out.stdout)
    );
    assert!(text(&out.stdout).contains("91599 inserted, 0 updated, 0 unchanged"));

    let geojson = data("boundaries/dki_kelurahan.geojson");
    let args = [
        "import",
        "boundaries",
        geojson.to_str().unwrap(),
        "--level",
        "kelurahan",
    ];
    let out = tinjau(&url, &args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("267 features"),
        "{}",
        text(&out.stdout)
    );
    let out = tinjau(&url, &args);
    assert!(
        text(&out.stdout).contains("0 inserted, 0 updated, 267 unchanged"),
        "{}",
        text(&out.stdout)
    );
}

#[tokio::test]
async fn a_bad_import_exits_non_zero_naming_the_feature() {
    let url = fresh_database(Fixture::Reference).await.unwrap();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let before = reference_state(&pool).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("point.geojson");
    std::fs::write(
        &path,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"kode":"31.71.01.1001"},"geometry":{"type":"Point","coordinates":[106.8,-6.2]}}]}"#,
    )
    .unwrap();
    let out = tinjau(
        &url,
        &[
            "import",
            "boundaries",
            path.to_str().unwrap(),
            "--level",
            "kelurahan",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("feature #0 (kode 31.71.01.1001): geometry is a Point"),
        "{stderr}"
    );
    assert!(stderr.contains("Nothing was imported"), "{stderr}");
    assert_eq!(reference_state(&pool).await, before);
}

#[tokio::test]
async fn a_bad_level_is_a_usage_error() {
    let out = tinjau(
        "postgres://unused",
        &["import", "boundaries", "x.geojson", "--level", "rt"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("unknown level 'rt'"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn an_unreachable_database_is_a_clear_error_without_the_password() {
    let out = tinjau("postgres://tinjau:s3cret@127.0.0.1:1/tinjau", &["migrate"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr
            .contains("cannot connect to the database at postgres://tinjau:***@127.0.0.1:1/tinjau"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cret"));
}

#[tokio::test]
async fn serve_answers_readyz_and_stops_cleanly_on_sigterm() {
    let url = fresh_database(Fixture::Empty).await.unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let storage = tempfile::tempdir().unwrap();
    let mut child = Command::new(tinjau_binary().unwrap())
        .args(["serve", "--port", &port.to_string()])
        .env("DATABASE_URL", &url)
        .env("TINJAU_STORAGE_DIR", storage.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let body: serde_json::Value = loop {
        if let Ok(response) = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
        {
            break response.json().await.unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "tinjau serve did not answer within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(body["status"], "ready");
    assert!(
        body["database"]["postgis_version"]
            .as_str()
            .unwrap()
            .starts_with('3')
    );

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "tinjau serve ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
}

const POINTS: &str = r#"{"type":"FeatureCollection","features":[
  {"type":"Feature","properties":{"name":"Monas","kode":"31.71.01.1001","accuracy_m":8},"geometry":{"type":"Point","coordinates":[106.8272,-6.1754]}},
  {"type":"Feature","properties":{"name":"sliver"},"geometry":{"type":"Point","coordinates":[106.751763,-6.250069]}},
  {"type":"Feature","properties":{"name":"bay","kel":"31.72.05.1003"},"geometry":{"type":"Point","coordinates":[106.85,-6.05]}}]}"#;

fn locate_output(out: &Output) -> Vec<serde_json::Value> {
    assert!(out.status.success(), "{}", text(&out.stderr));
    let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    body["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"].clone())
        .collect()
}

#[tokio::test]
async fn locate_annotates_a_point_file_against_a_boundary_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("points.geojson");
    std::fs::write(&path, POINTS).unwrap();
    let boundaries = data("boundaries/dki_kelurahan.geojson");
    let args = [
        "locate",
        "--boundaries",
        boundaries.to_str().unwrap(),
        path.to_str().unwrap(),
    ];
    let properties = locate_output(&tinjau("postgres://unused", &args));
    assert_eq!(properties[0]["name"], "Monas");
    assert_eq!(properties[0]["loc_status"], "inside");
    assert_eq!(properties[0]["loc_kode"], "31.71.01.1001");
    assert_eq!(properties[1]["loc_status"], "gap");
    assert_eq!(properties[1]["loc_nearest_kode"], "31.74.10.1004");
    assert_eq!(properties[2]["loc_status"], "outside");
    assert!(properties[2]["loc_distance_m"].as_f64().unwrap() > 1_000.0);
}

#[tokio::test]
async fn locate_reads_a_directory_of_gzipped_boundary_files() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let points = dir.path().join("points.geojson");
    std::fs::write(&points, POINTS).unwrap();
    let boundaries = dir.path().join("boundaries");
    std::fs::create_dir(&boundaries).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&std::fs::read(data("boundaries/dki_kelurahan.geojson")).unwrap())
        .unwrap();
    std::fs::write(
        boundaries.join("kelurahan_31.geojson.gz"),
        gz.finish().unwrap(),
    )
    .unwrap();
    // Not a boundary file: left alone.
    std::fs::write(boundaries.join("README.txt"), "not GeoJSON").unwrap();
    let args = [
        "locate",
        "--boundaries",
        boundaries.to_str().unwrap(),
        points.to_str().unwrap(),
    ];
    let properties = locate_output(&tinjau("postgres://unused", &args));
    assert_eq!(properties[0]["loc_kode"], "31.71.01.1001");
    assert_eq!(properties[1]["loc_status"], "gap");
    assert_eq!(properties[2]["loc_status"], "outside");
}

#[tokio::test]
async fn locate_reads_stdin_and_the_database_boundaries_and_other_property_names() {
    let url = fresh_database(Fixture::Reference).await.unwrap();
    let mut child = Command::new(tinjau_binary().unwrap())
        .args(["locate", "--claimed-property", "kel", "-"])
        .env("DATABASE_URL", &url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), POINTS.as_bytes()).unwrap();
    let properties = locate_output(&child.wait_with_output().unwrap());
    // With --claimed-property kel, Monas has no claim and the bay point claims Ancol.
    assert_eq!(properties[0]["loc_status"], "inside");
    assert_eq!(properties[2]["loc_status"], "outside");
}

#[tokio::test]
async fn locate_refuses_a_bad_point_file_naming_the_feature() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.geojson");
    std::fs::write(
        &path,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"kode":"31.71.01.1001"},"geometry":{"type":"Point","coordinates":[-6.1754,106.8272]}}]}"#,
    )
    .unwrap();
    let boundaries = data("boundaries/dki_kelurahan.geojson");
    let out = tinjau(
        "postgres://unused",
        &[
            "locate",
            "--boundaries",
            boundaries.to_str().unwrap(),
            path.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("feature #0 (kode 31.71.01.1001)"),
        "{stderr}"
    );
    assert!(stderr.contains("look like [lat, lon]"), "{stderr}");
}

/// A database server that takes the connection and never answers: the server gives up after 5 s
/// with a message that names what to check, instead of waiting for good or failing on a timeout.
#[tokio::test]
async fn serve_against_a_database_that_never_answers_says_what_to_check() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "postgres://tinjau:s3cret@127.0.0.1:{}/tinjau",
        silent.local_addr().unwrap().port()
    );
    let started = Instant::now();
    let out = tinjau(
        &url,
        &[
            "serve",
            "--no-migrate",
            "--port",
            "0",
            "--max-db-connections",
            "10",
        ],
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "cannot open 10 connections to the database at postgres://tinjau:***@127.0.0.1:"
        ) && stderr.contains("max_connections"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cret"));
    drop(silent);
}
