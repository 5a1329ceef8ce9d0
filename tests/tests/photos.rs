//! Photo uploads with the real camera JPEGs in data/photos (CC BY-SA 4.0, see its LICENSE).

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use survey_schema::Role;
use tinjau_tests::{Backend, TestApp, data};
use uuid::Uuid;

fn photo(name: &str) -> Vec<u8> {
    std::fs::read(data(&format!("photos/{name}"))).unwrap()
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A surveyor token, and a stored survey declaring `files` (name, bytes as declared).
async fn survey_with(app: &TestApp, files: &[(&str, &[u8], &str)]) -> (String, String) {
    survey_for(app, "Paving block", files).await
}

/// Like [`survey_with`], for the proposal with this `usulan` (created if new).
async fn survey_for(
    app: &TestApp,
    usulan: &str,
    files: &[(&str, &[u8], &str)],
) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.csv");
    std::fs::write(&path, format!("No;Usulan Kegiatan;Kode Kelurahan;Volume;Satuan;Perkiraan Anggaran\n1;{usulan};31.71.01.1002;200;m2;Rp 32.000.000\n")).unwrap();
    let options = tinjau_workflows::import::proposals::ProposalImportOptions {
        tahun: 2026,
        ..Default::default()
    };
    tinjau_workflows::import::proposals::import(&app.pool, &path, &options)
        .await
        .unwrap();
    let proposal: i64 = sqlx::query_scalar("SELECT max(id) FROM proposal")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let token = app.token_for(Role::Surveyor, Some("31.71.01")).await;
    let manifest: Vec<Value> = files
        .iter()
        .map(|(caption, bytes, content_type)| json!({"sha256": sha(bytes), "bytes": bytes.len(), "content_type": content_type, "caption": caption}))
        .collect();
    let body = json!({
        "proposal_id": proposal,
        "captured_at": "2026-02-10T03:15:00Z",
        "fix": {"lat": -6.1756, "lon": 106.8095, "accuracy_m": 8.0, "altitude_m": null, "fix_time": "2026-02-10T03:14:58Z"},
        "trace": null, "address_confirmed": true, "address_note": null,
        "technical": {"ok": true, "note": null}, "administrative": {"ok": true, "note": null},
        "volume": {"value": "200", "satuan": "m2"},
        "photos": manifest, "supersedes": null
    });
    let id = Uuid::new_v4().to_string();
    let response = app
        .client
        .put(app.url(&format!("/api/v1/surveys/{id}")))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "{}",
        response.text().await.unwrap()
    );
    (token, id)
}

async fn upload(
    app: &TestApp,
    token: &str,
    survey: &str,
    sha256: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let response = app
        .client
        .put(app.url(&format!("/api/v1/surveys/{survey}/photos/{sha256}")))
        .bearer_auth(token)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

async fn a_real_gps_photo_is_stored_with_its_exif_position_and_a_thumbnail(backend: Backend) {
    let app = tinjau_tests::spawn_app_on(backend).await;
    let jpeg = photo("DSCN0010.jpg");
    let (token, survey) = survey_with(&app, &[("depan", &jpeg, "image/jpeg")]).await;
    let (status, receipt) = upload(&app, &token, &survey, &sha(&jpeg), jpeg.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{receipt}");
    let (lat, lon) = (
        receipt["exif"]["gps_lat"].as_f64().unwrap(),
        receipt["exif"]["gps_lon"].as_f64().unwrap(),
    );
    assert!(
        (lat - 43.467).abs() < 0.01 && (lon - 11.885).abs() < 0.01,
        "{lat},{lon}"
    );
    assert_eq!(receipt["exif"]["make"], "NIKON");
    assert_eq!(receipt["exif"]["taken_at"], "2008:10:22 16:28:39");
    assert_eq!(
        (receipt["width"].as_i64(), receipt["height"].as_i64()),
        (Some(640), Some(480))
    );

    let (status, again) = upload(&app, &token, &survey, &sha(&jpeg), jpeg.clone()).await;
    assert_eq!(
        (status, again["status"].as_str()),
        (StatusCode::OK, Some("already_stored"))
    );

    let stored = app
        .get_as(
            &format!("/api/v1/surveys/{survey}/photos/{}", sha(&jpeg)),
            &token,
        )
        .await;
    assert_eq!(stored.headers()["content-type"], "image/jpeg");
    assert_eq!(
        stored.bytes().await.unwrap().to_vec(),
        jpeg,
        "the very bytes come back"
    );
    // The thumbnail is made in the background, after the upload is acknowledged.
    let view = app.survey_when_read(&token, &survey).await;
    assert_eq!(view["missing_photos"], json!([]));
    let thumb = app
        .get_as(
            &format!("/api/v1/surveys/{survey}/photos/{}/thumbnail", sha(&jpeg)),
            &token,
        )
        .await;
    assert_eq!(thumb.status(), StatusCode::OK);
    assert!(
        thumb
            .bytes()
            .await
            .unwrap()
            .starts_with(&[0xFF, 0xD8, 0xFF])
    );
    let view: Value = app
        .get_as(&format!("/api/v1/surveys/{survey}"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["missing_photos"], json!([]));
}

async fn all_three_nikon_photos_yield_their_exif_positions(backend: Backend) {
    let app = tinjau_tests::spawn_app_on(backend).await;
    let files: Vec<Vec<u8>> = ["DSCN0010.jpg", "DSCN0012.jpg", "DSCN0021.jpg"]
        .iter()
        .map(|f| photo(f))
        .collect();
    let manifest: Vec<(&str, &[u8], &str)> = files
        .iter()
        .map(|b| ("", b.as_slice(), "image/jpeg"))
        .collect();
    let (token, survey) = survey_with(&app, &manifest).await;
    for bytes in &files {
        let (status, receipt) = upload(&app, &token, &survey, &sha(bytes), bytes.clone()).await;
        assert_eq!(status, StatusCode::CREATED);
        assert!(
            receipt["exif"]["gps_lat"]
                .as_f64()
                .is_some_and(|v| (43.0..44.0).contains(&v)),
            "{receipt}"
        );
        assert!(
            receipt["exif"]["gps_lon"]
                .as_f64()
                .is_some_and(|v| (11.0..12.0).contains(&v)),
            "{receipt}"
        );
    }
}

/// Some phones write the GPS position as signed rationals with lower-case references; the photos
/// made from the real Nikon ones by `scripts/photo-fixtures` carry the survey's own fix that way.
#[tokio::test]
async fn gps_written_as_signed_rationals_is_read_and_agrees_with_the_fix() {
    let app = tinjau_tests::spawn_app_on(Backend::Filesystem).await;
    let (a, b) = (
        photo("phone_srational_a.jpg"),
        photo("phone_srational_b.jpg"),
    );
    let (token, survey) =
        survey_with(&app, &[("", &a, "image/jpeg"), ("", &b, "image/jpeg")]).await;
    for bytes in [&a, &b] {
        let (status, receipt) = upload(&app, &token, &survey, &sha(bytes), bytes.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{receipt}");
        let (lat, lon) = (
            receipt["exif"]["gps_lat"].as_f64(),
            receipt["exif"]["gps_lon"].as_f64(),
        );
        assert!(
            lat.is_some_and(|v| (v + 6.1756).abs() < 1e-9)
                && lon.is_some_and(|v| (v - 106.8095).abs() < 1e-9),
            "{receipt}"
        );
    }
    let found = checks(&app, &token, &survey).await;
    assert!(
        !found.iter().any(|(code, _)| code.starts_with("PHOTO_")),
        "the photos were taken at the fix, at the time: {found:?}"
    );
}

async fn a_photo_without_exif_is_kept_and_an_orientation_is_applied_to_the_thumbnail(
    backend: Backend,
) {
    let app = tinjau_tests::spawn_app_on(backend).await;
    let (plain, rotated) = (photo("no_exif.jpg"), photo("landscape_6.jpg"));
    let (token, survey) = survey_with(
        &app,
        &[("", &plain, "image/jpeg"), ("", &rotated, "image/jpeg")],
    )
    .await;
    let (status, receipt) = upload(&app, &token, &survey, &sha(&plain), plain.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(receipt["exif_error"], Value::Null);
    let (status, receipt) = upload(&app, &token, &survey, &sha(&rotated), rotated.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(receipt["exif"]["orientation"], 6);
    // Its pixels are stored portrait (450 x 600) with orientation 6: upright, it is the landscape its
    // name says.
    let (w, h) = (
        receipt["width"].as_i64().unwrap(),
        receipt["height"].as_i64().unwrap(),
    );
    assert_eq!((w, h), (600, 450), "upright dimensions");

    app.survey_when_read(&token, &survey).await;
    let thumb = app
        .get_as(
            &format!(
                "/api/v1/surveys/{survey}/photos/{}/thumbnail",
                sha(&rotated)
            ),
            &token,
        )
        .await;
    assert_eq!(thumb.status(), StatusCode::OK);
    let thumb = image::load_from_memory(&thumb.bytes().await.unwrap()).unwrap();
    assert_eq!(
        (thumb.width(), thumb.height()),
        (320, 240),
        "the thumbnail is upright"
    );
}

/// A real photo cut off at 60%, as a phone that ran out of storage might save it: its headers and
/// EXIF are whole, its pixels are not.
fn damaged_jpeg() -> Vec<u8> {
    let bytes = photo("DSCN0012.jpg");
    bytes[..bytes.len() * 6 / 10].to_vec()
}

async fn a_photo_whose_pixels_cannot_be_decoded_is_kept_and_flagged(backend: Backend) {
    let app = tinjau_tests::spawn_app_on(backend).await;
    let (good, damaged) = (photo("DSCN0010.jpg"), damaged_jpeg());
    let (token, survey) = survey_with(
        &app,
        &[("", &good, "image/jpeg"), ("", &damaged, "image/jpeg")],
    )
    .await;
    upload(&app, &token, &survey, &sha(&good), good.clone()).await;
    let (status, receipt) = upload(&app, &token, &survey, &sha(&damaged), damaged.clone()).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the phone sent what it has: {receipt}"
    );
    assert_eq!(receipt["exif"]["make"], "NIKON", "its EXIF is still read");
    let view = app.survey_when_read(&token, &survey).await;
    let unreadable = view["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "PHOTO_UNREADABLE")
        .unwrap_or_else(|| panic!("not flagged: {view}"));
    assert_eq!(unreadable["details"]["photos"][0]["sha256"], sha(&damaged));
    let thumb = app
        .get_as(
            &format!(
                "/api/v1/surveys/{survey}/photos/{}/thumbnail",
                sha(&damaged)
            ),
            &token,
        )
        .await;
    assert_eq!(thumb.status(), StatusCode::NOT_FOUND);
    let stored = app
        .get_as(
            &format!("/api/v1/surveys/{survey}/photos/{}", sha(&damaged)),
            &token,
        )
        .await;
    assert_eq!(
        stored.bytes().await.unwrap().to_vec(),
        damaged,
        "kept whole"
    );
}

async fn bad_uploads_are_refused_and_nothing_is_kept(backend: Backend) {
    let app = tinjau_tests::spawn_app_on(backend).await;
    let jpeg = photo("DSCN0012.jpg");
    let pdf = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".to_vec();
    let (token, survey) =
        survey_with(&app, &[("", &jpeg, "image/jpeg"), ("", &pdf, "image/jpeg")]).await;
    let good = sha(&jpeg);

    let mut flipped = jpeg.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0xFF;
    let (status, err) = upload(&app, &token, &survey, &good, flipped).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("hash_mismatch"))
    );

    let (status, err) = upload(
        &app,
        &token,
        &survey,
        &good,
        jpeg[..jpeg.len() / 3].to_vec(),
    )
    .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("size_mismatch")),
        "a truncated upload"
    );

    let mut longer = jpeg.clone();
    longer.extend_from_slice(&[0; 100]);
    let (status, err) = upload(&app, &token, &survey, &good, longer).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large"))
    );

    let (status, err) = upload(&app, &token, &survey, &sha(&pdf), pdf).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("not_an_image"))
    );

    let (status, err) = upload(&app, &token, &survey, &"0".repeat(64), jpeg.clone()).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found")),
        "not in the manifest"
    );
    let (status, err) = upload(&app, &token, &survey, "xyz", jpeg.clone()).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_sha256"))
    );

    let view: Value = app
        .get_as(&format!("/api/v1/surveys/{survey}"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        view["missing_photos"].as_array().unwrap().len(),
        2,
        "nothing was kept"
    );
    let leftovers = std::fs::read_dir(app.storage.path().join("tmp"))
        .unwrap()
        .count();
    assert_eq!(leftovers, 0, "no temporary file is left behind");

    // After all that, the right bytes still go in.
    let (status, _) = upload(&app, &token, &survey, &good, jpeg).await;
    assert_eq!(status, StatusCode::CREATED);
}

/// A PNG whose header claims 100,000 x 100,000 pixels (a decompression bomb in 70 bytes).
fn png_bomb() -> Vec<u8> {
    fn chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
        let mut out = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut crc = crc32fast::Hasher::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(&crc.finalize().to_be_bytes());
        out
    }
    let mut ihdr = 100_000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    png.extend(chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    png.extend(chunk(b"IEND", &[]));
    png
}

async fn a_decompression_bomb_is_refused_not_decoded(backend: Backend) {
    let app = tinjau_tests::spawn_app_on(backend).await;
    let bomb = png_bomb();
    let (token, survey) = survey_with(&app, &[("", &bomb, "image/png")]).await;
    let (status, err) = upload(&app, &token, &survey, &sha(&bomb), bomb).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("undecodable")),
        "{err}"
    );
    assert!(
        err["message"]["en"]
            .as_str()
            .unwrap()
            .contains("refused, not decoded"),
        "{err}"
    );
}

async fn photos_are_scoped_like_their_survey(backend: Backend) {
    let app = tinjau_tests::spawn_app_on(backend).await;
    let jpeg = photo("Canon_40D.jpg");
    let (token, survey) = survey_with(&app, &[("", &jpeg, "image/jpeg")]).await;
    let other = app.token_for(Role::Surveyor, Some("31.71.02")).await;
    let (status, err) = upload(&app, &other, &survey, &sha(&jpeg), jpeg.clone()).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("out_of_scope"))
    );
    // The resumable path is scoped the same way: no offset, no append for another kecamatan.
    let head = tus(&app, reqwest::Method::HEAD, &other, &survey, &sha(&jpeg))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::FORBIDDEN);
    let patch = tus(&app, reqwest::Method::PATCH, &other, &survey, &sha(&jpeg))
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .body(jpeg.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), StatusCode::FORBIDDEN);
    // A lurah follows its kelurahan's proposals but does not upload survey evidence.
    let lurah = app.token_for(Role::Lurah, Some("31.71.01.1002")).await;
    let (status, err) = upload(&app, &lurah, &survey, &sha(&jpeg), jpeg.clone()).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (status, _) = upload(&app, &token, &survey, &sha(&jpeg), jpeg.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    for path in ["", "/thumbnail"] {
        let url = format!("/api/v1/surveys/{survey}/photos/{}{path}", sha(&jpeg));
        assert_eq!(
            app.get_as(&url, &other).await.status(),
            StatusCode::FORBIDDEN,
            "{url}"
        );
    }
    assert_eq!(
        app.get(&format!("/api/v1/surveys/{survey}/photos/{}", sha(&jpeg)))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn checks(app: &TestApp, token: &str, survey: &str) -> Vec<(String, String)> {
    let view = app.survey_when_read(token, survey).await;
    view["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["code"].as_str().unwrap().to_owned(),
                a["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn the_checks_run_when_the_last_photo_arrives_and_join_the_proposal(backend: Backend) {
    let app = tinjau_tests::spawn_app_on(backend).await;
    // Real photos taken in Italy in 2008, sent for a survey in Jakarta in 2026.
    let (a, b) = (photo("DSCN0010.jpg"), photo("DSCN0012.jpg"));
    let (token, survey) =
        survey_with(&app, &[("", &a, "image/jpeg"), ("", &b, "image/jpeg")]).await;
    upload(&app, &token, &survey, &sha(&a), a.clone()).await;
    assert_eq!(checks(&app, &token, &survey).await, [], "not complete yet");
    upload(&app, &token, &survey, &sha(&b), b.clone()).await;
    let found = checks(&app, &token, &survey).await;
    assert!(
        found.contains(&("PHOTO_GPS_FAR".into(), "high".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("PHOTO_TIME_OFF".into(), "warning".into())),
        "{found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|(c, _)| c.starts_with("LOCATION_") || c == "VOLUME_DEVIATION"),
        "the fix and volume agree: {found:?}"
    );

    let page: Value = app
        .get_as(
            "/api/v1/proposals?kecamatan=31.71.01",
            tinjau_tests::ADMIN_TOKEN,
        )
        .await
        .json()
        .await
        .unwrap();
    let codes: Vec<&str> = page["items"][0]["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"PHOTO_GPS_FAR"), "{codes:?}");

    // The same file sent for another proposal is reused evidence.
    let (token2, other) = survey_for(&app, "Pemasangan U-Ditch", &[("", &a, "image/jpeg")]).await;
    let (status, _) = upload(&app, &token2, &other, &sha(&a), a.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    let found = checks(&app, &token2, &other).await;
    assert!(
        found.contains(&("PHOTO_REUSED".into(), "high".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("PHOTO_MISSING".into(), "warning".into())),
        "one photo only: {found:?}"
    );
}

fn tus(
    app: &TestApp,
    method: reqwest::Method,
    token: &str,
    survey: &str,
    sha256: &str,
) -> reqwest::RequestBuilder {
    app.client
        .request(
            method,
            app.url(&format!("/api/v1/surveys/{survey}/photos/{sha256}")),
        )
        .bearer_auth(token)
        .header("Tus-Resumable", "1.0.0")
}

fn offset(response: &reqwest::Response) -> u64 {
    response.headers()["upload-offset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn an_interrupted_upload_resumes_with_the_tus_protocol(backend: Backend) {
    let app = tinjau_tests::spawn_app_on(backend).await;
    let jpeg = photo("DSCN0021.jpg");
    let digest = sha(&jpeg);
    let (token, survey) = survey_with(&app, &[("", &jpeg, "image/jpeg")]).await;

    let options = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            app.url(&format!("/api/v1/surveys/{survey}/photos/{digest}")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(options.status(), StatusCode::NO_CONTENT);
    assert_eq!(options.headers()["tus-version"], "1.0.0");
    let no_version = app
        .client
        .head(app.url(&format!("/api/v1/surveys/{survey}/photos/{digest}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(no_version.status(), StatusCode::PRECONDITION_FAILED);

    let head = tus(&app, reqwest::Method::HEAD, &token, &survey, &digest)
        .send()
        .await
        .unwrap();
    assert_eq!((head.status(), offset(&head)), (StatusCode::OK, 0));
    assert_eq!(
        head.headers()["upload-length"].to_str().unwrap(),
        jpeg.len().to_string()
    );

    let third = jpeg.len() / 3;
    let (app_ref, token_ref, survey_ref, digest_ref) = (&app, &token, &survey, &digest);
    let patch = |from: u64, bytes: Vec<u8>| async move {
        tus(
            app_ref,
            reqwest::Method::PATCH,
            token_ref,
            survey_ref,
            digest_ref,
        )
        .header("Upload-Offset", from.to_string())
        .header("Content-Type", "application/offset+octet-stream")
        .body(bytes)
        .send()
        .await
        .unwrap()
    };
    let first = patch(0, jpeg[..third].to_vec()).await;
    assert_eq!(
        (first.status(), offset(&first)),
        (StatusCode::NO_CONTENT, third as u64)
    );
    let wrong = patch(0, jpeg[third..].to_vec()).await;
    assert_eq!(wrong.status(), StatusCode::CONFLICT);

    // The connection drops in the middle of the second third: the phone has sent the request's
    // head, announcing the rest of the file, and half of the next third when its radio goes.
    let cut = third + third / 2;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    let request_head = format!(
        "PATCH /api/v1/surveys/{survey}/photos/{digest} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: {third}\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: {}\r\n\r\n",
        jpeg.len() - third
    );
    {
        use tokio::io::AsyncWriteExt;
        socket.write_all(request_head.as_bytes()).await.unwrap();
        socket.write_all(&jpeg[third..cut]).await.unwrap();
        socket.flush().await.unwrap();
    }
    drop(socket);

    // Every byte that arrived is kept: the server holds exactly the bytes sent before the cut
    // (it may take a moment to see the connection go).
    let mut resume_at = 0;
    for _ in 0..100 {
        let head = tus(&app, reqwest::Method::HEAD, &token, &survey, &digest)
            .send()
            .await
            .unwrap();
        resume_at = offset(&head);
        if resume_at == cut as u64 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        resume_at,
        cut as u64,
        "the server must keep the {} bytes that arrived before the connection dropped",
        cut - third
    );

    // The dropped request may still be closing its file: the resume is retried as a phone would.
    let mut last = patch(resume_at, jpeg[cut..].to_vec()).await;
    for _ in 0..100 {
        if last.status() != StatusCode::CONFLICT {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        last = patch(resume_at, jpeg[cut..].to_vec()).await;
    }
    assert_eq!(
        (last.status(), offset(&last)),
        (StatusCode::NO_CONTENT, jpeg.len() as u64)
    );
    assert_eq!(last.headers()["tinjau-photo-status"], "stored");
    let stored = app
        .get_as(&format!("/api/v1/surveys/{survey}/photos/{digest}"), &token)
        .await;
    assert_eq!(
        stored.bytes().await.unwrap().to_vec(),
        jpeg,
        "the resumed photo is the very file"
    );

    // A repeat of the last PATCH is harmless.
    let again = patch(0, jpeg[..10].to_vec()).await;
    assert_eq!(
        (again.status(), offset(&again)),
        (StatusCode::NO_CONTENT, jpeg.len() as u64)
    );
}

/// A phone that hangs up as soon as the last byte is out (its connection dropped, or the user
/// closed the app) never hears the answer; what arrived whole is stored all the same, so its
/// retry finds the photo there instead of losing or doubling it.
async fn a_photo_whose_phone_hangs_up_before_the_answer_is_stored_all_the_same(backend: Backend) {
    use tokio::io::AsyncWriteExt;
    let app = tinjau_tests::spawn_app_on(backend).await;
    let jpeg = photo("DSCN0012.jpg");
    let (token, survey) = survey_with(&app, &[("depan", &jpeg, "image/jpeg")]).await;
    let hash = sha(&jpeg);
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "PUT /api/v1/surveys/{survey}/photos/{hash} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\n\r\n",
        jpeg.len()
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&jpeg).await.unwrap();
    drop(socket);

    let mut missing = Vec::new();
    for _ in 0..100 {
        let view: Value = app
            .get_as(&format!("/api/v1/surveys/{survey}"), &token)
            .await
            .json()
            .await
            .unwrap();
        missing = view["missing_photos"].as_array().unwrap().clone();
        if missing.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(missing.is_empty(), "the photo was lost: {missing:?}");
    let (status, receipt) = upload(&app, &token, &survey, &hash, jpeg).await;
    assert_eq!(
        (status, receipt["status"].as_str()),
        (StatusCode::OK, Some("already_stored"))
    );
}

/// Every photo test runs on both storage backends: a directory and the local S3-compatible server.
/// A phone on a weak network needs longer than the request timeout for one photo: the upload
/// still completes. A retry of a stored photo is answered once its body is read, so the connection
/// stays usable for the next request.
#[tokio::test]
async fn a_slow_upload_outlives_the_request_timeout() {
    let app = tinjau_tests::spawn_app_with_settings(tinjau_tests::Fixture::Reference, |s| {
        s.request_timeout = std::time::Duration::from_secs(1);
    })
    .await;
    let jpeg = photo("DSCN0010.jpg");
    let (token, survey) = survey_with(&app, &[("", &jpeg, "image/jpeg")]).await;
    let url = app.url(&format!("/api/v1/surveys/{survey}/photos/{}", sha(&jpeg)));
    // 160 kB in 8 pieces, 300 ms apart: about 2.4 s, well over the 1 s request timeout.
    let pieces: Vec<Vec<u8>> = jpeg
        .chunks(jpeg.len() / 8 + 1)
        .map(<[u8]>::to_vec)
        .collect();
    let slow = futures::stream::iter(pieces).then(|piece| async move {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        Ok::<_, std::io::Error>(piece)
    });
    let response = app
        .client
        .put(&url)
        .bearer_auth(&token)
        .header("content-length", jpeg.len())
        .body(reqwest::Body::wrap_stream(slow))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);

    for _ in 0..3 {
        let (status, receipt) = upload(&app, &token, &survey, &sha(&jpeg), jpeg.clone()).await;
        assert_eq!(
            (status, receipt["status"].as_str()),
            (StatusCode::OK, Some("already_stored"))
        );
    }
    let view = app
        .get_as(&format!("/api/v1/surveys/{survey}"), &token)
        .await;
    assert_eq!(view.status(), StatusCode::OK);
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod filesystem {
            $(#[tokio::test]
            async fn $name() {
                super::$name(super::Backend::Filesystem).await;
            })*
        }
        mod s3 {
            $(#[tokio::test]
            async fn $name() {
                super::$name(super::Backend::S3).await;
            })*
        }
    };
}

on_both_backends!(
    a_real_gps_photo_is_stored_with_its_exif_position_and_a_thumbnail,
    all_three_nikon_photos_yield_their_exif_positions,
    a_photo_without_exif_is_kept_and_an_orientation_is_applied_to_the_thumbnail,
    a_photo_whose_pixels_cannot_be_decoded_is_kept_and_flagged,
    bad_uploads_are_refused_and_nothing_is_kept,
    a_decompression_bomb_is_refused_not_decoded,
    photos_are_scoped_like_their_survey,
    the_checks_run_when_the_last_photo_arrives_and_join_the_proposal,
    an_interrupted_upload_resumes_with_the_tus_protocol,
    a_photo_whose_phone_hangs_up_before_the_answer_is_stored_all_the_same,
);
