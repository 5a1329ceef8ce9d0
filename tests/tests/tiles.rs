//! Offline map tiles: `tinjau field tiles` packages Gambir's tiles from a tile server (here a tiny
//! one the test runs, drawing SYNTHETIC tiles: no network) into an MBTiles file that GDAL reads, and
//! the surveyors' phones get it with the form; a package too large or a source without {z}/{x}/{y}
//! is refused and writes nothing.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// One story: packaged, read back, served.
#![allow(clippy::too_many_lines)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use survey_schema::Role;

/// A PNG tile, its colour by zoom level; tile (x, y) with x divisible by 7 at zoom 15 is missing.
fn tile(
    Path((z, x, y)): Path<(u8, u32, String)>,
    served: &AtomicUsize,
) -> axum::response::Response {
    served.fetch_add(1, Ordering::Relaxed);
    if z == 15 && x % 7 == 0 {
        return StatusCode::NOT_FOUND.into_response();
    }
    let _ = y;
    let shade = 40 * (z - 13);
    let img = image::RgbImage::from_pixel(256, 256, image::Rgb([shade, 120, 200 - shade]));
    let mut png = std::io::Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageFormat::Png).unwrap();
    ([("content-type", "image/png")], png.into_inner()).into_response()
}

async fn tile_server() -> (String, Arc<AtomicUsize>) {
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    let app = axum::Router::new().route(
        "/{z}/{x}/{y}",
        axum::routing::get(move |path| std::future::ready(tile(path, &counter))),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}/{{z}}/{{x}}/{{y}}.png"), served)
}

fn tinjau(database_url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(tinjau_tests::tinjau_binary().unwrap())
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("running tinjau")
}

// The tile server runs on the test's runtime while the CLI, a child process, is waited on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kecamatans_tiles_are_packaged_into_mbtiles_and_served_with_the_form() {
    let app = tinjau_tests::spawn_app_with_reference_data().await;
    let (source, served) = tile_server().await;
    let out = app.storage.path().join("tiles/31.71.01.mbtiles");
    let out_arg = out.to_str().unwrap();

    // Refused, nothing written: a source without the placeholders, a package too large.
    let bad = tinjau(
        &app.database_url,
        &[
            "field",
            "tiles",
            "--kecamatan",
            "31.71.01",
            "--source",
            "http://127.0.0.1:1/tile.png",
            "--out",
            out_arg,
        ],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("{z}, {x} and {y}"));
    let big = tinjau(
        &app.database_url,
        &[
            "field",
            "tiles",
            "--kecamatan",
            "31.71.01",
            "--source",
            &source,
            "--zoom",
            "14-15",
            "--max-tiles",
            "10",
            "--out",
            out_arg,
        ],
    );
    assert!(!big.status.success());
    assert!(
        String::from_utf8_lossy(&big.stderr).contains("choose fewer zoom levels"),
        "{}",
        String::from_utf8_lossy(&big.stderr)
    );
    assert_eq!(
        served.load(Ordering::Relaxed),
        0,
        "no tile fetched for a refused package"
    );
    assert!(!out.exists());

    let made = tinjau(
        &app.database_url,
        &[
            "field",
            "tiles",
            "--kecamatan",
            "31.71.01",
            "--source",
            &source,
            "--zoom",
            "14-15",
            "--attribution",
            "SYNTHETIC test tiles",
            "--out",
            out_arg,
        ],
    );
    let said = String::from_utf8_lossy(&made.stdout);
    assert!(
        made.status.success(),
        "{said} {}",
        String::from_utf8_lossy(&made.stderr)
    );
    let tiles = geo_rules::tiles::count(gambir_bbox(&app).await, 14..=15);
    // The tiles the server has none of (x divisible by 7 at zoom 15) are counted, not stored.
    let bbox = gambir_bbox(&app).await;
    let missing = geo_rules::tiles::covering(bbox, 15)
        .filter(|(x, _)| x % 7 == 0)
        .count();
    assert!(
        said.contains(&format!(" {missing} not on the server")),
        "{said}"
    );
    assert_eq!(
        served.load(Ordering::Relaxed) as u64,
        tiles,
        "every covering tile asked once"
    );

    // GDAL reads it as MBTiles with the metadata written.
    let info = std::process::Command::new("gdalinfo")
        .arg(&out)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(
        info.status.success(),
        "{}",
        String::from_utf8_lossy(&info.stderr)
    );
    assert!(text.contains("Driver: MBTiles/MBTiles"), "{text}");
    assert!(
        text.contains("minzoom=14") && text.contains("maxzoom=15"),
        "{text}"
    );
    assert!(text.contains("attribution=SYNTHETIC test tiles"), "{text}");

    // The phones get it with the form, its MD5 in the manifest, 304 when they have it.
    let token = app.token_for(Role::Surveyor, Some("31.71.01")).await;
    let base = app.url(&format!(
        "/v1/key/{token}/projects/31.71.01/forms/tinjau_survei"
    ));
    let manifest = app
        .client
        .get(format!("{base}/manifest"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let bytes = std::fs::read(&out).unwrap();
    let md5 = hex::encode(<md5::Md5 as md5::Digest>::digest(&bytes));
    assert!(
        manifest.contains("<filename>peta.mbtiles</filename>"),
        "{manifest}"
    );
    assert!(
        manifest.contains(&format!("<hash>md5:{md5}</hash>")),
        "{manifest}"
    );
    let got = app
        .client
        .get(format!("{base}/attachments/peta.mbtiles"))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.bytes().await.unwrap().as_ref(), bytes.as_slice());
    let again = app
        .client
        .get(format!("{base}/attachments/peta.mbtiles"))
        .header("If-None-Match", format!("\"{md5}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    // Another kecamatan's surveyors get no map of Gambir.
    let other = app.token_for(Role::Surveyor, Some("31.71.02")).await;
    let theirs = app
        .client
        .get(app.url(&format!(
            "/v1/key/{other}/projects/31.71.02/forms/tinjau_survei/manifest"
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!theirs.contains("peta.mbtiles"), "{theirs}");
}

/// The bounding box of Gambir's kelurahan.
async fn gambir_bbox(app: &tinjau_tests::TestApp) -> [f64; 4] {
    tinjau_db::field_work::area_bbox(&app.pool, "31.71.01")
        .await
        .unwrap()
        .unwrap()
}
