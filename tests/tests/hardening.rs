//! What an attacker or a broken phone does to the real server: reading another kecamatan's photo
//! by naming its hash, text PostgreSQL cannot store, another area's survey UUID.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(clippy::too_many_lines)]

use reqwest::StatusCode;
use serde_json::json;
use survey_schema::Role;
use tinjau_tests::collect::{Collect, openrosa_message};
use tinjau_tests::field::{json_of, photo, put_photo, put_survey, record, sha};
use tinjau_tests::{TestApp, spawn_app_with_reference_data};
use uuid::Uuid;

/// A Gambir proposal (Cideng) and a Tanah Abang one.
const PROPOSALS: &str = "\
No;Usulan Kegiatan;Lokasi;Kode Kelurahan;Volume;Satuan;Perkiraan Anggaran
1;Pemasangan paving block;Jl. Cideng Barat;31.71.01.1002;200;m2;Rp 32.000.000
2;Pemasangan paving block;Jl. Tanah Abang II;31.71.02.1001;120;m2;Rp 19.200.000
";

/// The status of reading a photo and its thumbnail through `survey`.
async fn read(app: &TestApp, token: &str, survey: &str, bytes: &[u8]) -> (StatusCode, StatusCode) {
    let path = format!("/api/v1/surveys/{survey}/photos/{}", sha(bytes));
    let original = app.get_as(&path, token).await;
    let status = original.status();
    if status == StatusCode::OK {
        assert_eq!(original.bytes().await.unwrap().to_vec(), bytes);
    }
    let thumbnail = app
        .get_as(&format!("{path}/thumbnail"), token)
        .await
        .status();
    (status, thumbnail)
}

struct TwoKecamatan {
    app: TestApp,
    gambir_proposal: i64,
    /// A Tanah Abang surveyor's survey whose photo is stored and read.
    tanah_abang_photo: Vec<u8>,
}

async fn two_kecamatan() -> TwoKecamatan {
    let app = spawn_app_with_reference_data().await;
    let ids = app.import_proposals(PROPOSALS, 2026).await;
    let tanah_abang = app.token_for(Role::Surveyor, Some("31.71.02")).await;
    let jpeg = photo("DSCN0010.jpg");
    let survey = Uuid::new_v4().to_string();
    let (status, body) = put_survey(
        &app,
        &tanah_abang,
        &survey,
        &record(ids[1], &[("depan", &jpeg)]),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        put_photo(&app, &tanah_abang, &survey, &jpeg).await,
        StatusCode::CREATED
    );
    app.survey_when_read(&tanah_abang, &survey).await;
    assert_eq!(
        read(&app, &tanah_abang, &survey, &jpeg).await,
        (StatusCode::OK, StatusCode::OK)
    );
    TwoKecamatan {
        app,
        gambir_proposal: ids[0],
        tanah_abang_photo: jpeg,
    }
}

/// A Gambir surveyor (or camat: both may file surveys) names a Tanah Abang photo's SHA-256 in its
/// own survey. Naming the hash proves nothing: 404 for the photo and its thumbnail until this
/// survey's own upload of those bytes completes (a whole PUT, or the last part of a tus upload).
#[tokio::test]
async fn a_photo_named_by_its_hash_is_served_only_after_this_surveys_own_upload() {
    let t = two_kecamatan().await;
    let jpeg = &t.tanah_abang_photo;
    for role in [Role::Surveyor, Role::Camat] {
        let token = t.app.token_for(role, Some("31.71.01")).await;
        let survey = Uuid::new_v4().to_string();
        let (status, body) = put_survey(
            &t.app,
            &token,
            &survey,
            &record(t.gambir_proposal, &[("curian", jpeg)]),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (photo, thumbnail) = read(&t.app, &token, &survey, jpeg).await;
        assert_eq!(
            (photo, thumbnail),
            (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND),
            "{role}: a hash named, nothing uploaded"
        );
        assert_eq!(
            put_photo(&t.app, &token, &survey, jpeg).await,
            StatusCode::CREATED
        );
        t.app.survey_when_read(&token, &survey).await;
        assert_eq!(
            read(&t.app, &token, &survey, jpeg).await,
            (StatusCode::OK, StatusCode::OK),
            "{role}: uploaded by this survey"
        );
    }

    // tus: a part in is not the photo; the last part completes it.
    let token = t.app.token_for(Role::Surveyor, Some("31.71.01")).await;
    let survey = Uuid::new_v4().to_string();
    let (status, _) = put_survey(
        &t.app,
        &token,
        &survey,
        &record(t.gambir_proposal, &[("tus", jpeg)]),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let patch = |from: usize, to: usize| {
        t.app
            .client
            .patch(
                t.app
                    .url(&format!("/api/v1/surveys/{survey}/photos/{}", sha(jpeg))),
            )
            .bearer_auth(&token)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", from.to_string())
            .header("Content-Type", "application/offset+octet-stream")
            .body(jpeg[from..to].to_vec())
            .send()
    };
    let half = jpeg.len() / 2;
    assert_eq!(
        patch(0, half).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        read(&t.app, &token, &survey, jpeg).await,
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND),
        "half a tus upload"
    );
    assert_eq!(
        patch(half, jpeg.len()).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    t.app.survey_when_read(&token, &survey).await;
    assert_eq!(
        read(&t.app, &token, &survey, jpeg).await,
        (StatusCode::OK, StatusCode::OK)
    );
}

/// Through OpenRosa a survey declares only the photos whose parts arrived: an instance naming a
/// file it never sends cannot read the stored photo of that name's hash; one that sends the bytes
/// can.
#[tokio::test]
async fn through_openrosa_a_photo_is_readable_only_when_its_part_was_sent() {
    let t = two_kecamatan().await;
    let token = t.app.token_for(Role::Surveyor, Some("31.71.01")).await;
    let collect = Collect::new(&t.app.url(&format!("/v1/key/{token}/projects/31.71.01")));
    let xml = |instance: &str| {
        format!(
            "<?xml version='1.0' encoding='UTF-8' ?><data id=\"tinjau_survei\" version=\"2026120301\"><start>2026-12-03T03:00:00.000Z</start><end>2026-12-03T03:15:00.000Z</end><proposal>{}</proposal><lokasi>-6.1762 106.8095 12 4.5</lokasi><lokasi_waktu>2026-12-03T03:10:00.000Z</lokasi_waktu><jejak>tidak</jejak><alamat_sesuai>ya</alamat_sesuai><teknis_layak>ya</teknis_layak><administrasi_layak>ya</administrasi_layak><volume>200</volume><satuan>m2</satuan><foto1>curian.jpg</foto1><meta><instanceID>uuid:{instance}</instanceID></meta></data>",
            t.gambir_proposal
        )
    };
    let without = Uuid::new_v4().to_string();
    let posted = collect
        .submit(xml(&without).as_bytes(), "i.xml", &[], 10_000_000)
        .await;
    assert_eq!(posted[0].status, StatusCode::CREATED, "{}", posted[0].body);
    assert_eq!(
        read(&t.app, &token, &without, &t.tanah_abang_photo).await,
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND),
        "the XML names the file, no part carried it"
    );

    let with = Uuid::new_v4().to_string();
    let files = [("curian.jpg".to_owned(), t.tanah_abang_photo.clone())];
    let posted = collect
        .submit(xml(&with).as_bytes(), "i.xml", &files, 10_000_000)
        .await;
    assert_eq!(posted[0].status, StatusCode::CREATED, "{}", posted[0].body);
    t.app.survey_when_read(&token, &with).await;
    assert_eq!(
        read(&t.app, &token, &with, &t.tanah_abang_photo).await,
        (StatusCode::OK, StatusCode::OK)
    );
}

/// Another kecamatan's survey UUID is answered as a survey the caller may not see (403 naming no
/// place), whether read or written, never 409, which would tell a stranger that it exists.
#[tokio::test]
async fn another_kecamatans_survey_uuid_answers_as_one_the_caller_may_not_see() {
    let t = two_kecamatan().await;
    let theirs: Uuid = sqlx::query_scalar("SELECT id FROM survey")
        .fetch_one(&t.app.pool)
        .await
        .unwrap();
    let gambir = t.app.token_for(Role::Surveyor, Some("31.71.01")).await;
    let (read_status, read_body) = json_of(
        t.app
            .get_as(&format!("/api/v1/surveys/{theirs}"), &gambir)
            .await,
    )
    .await;
    let (write_status, write_body) = put_survey(
        &t.app,
        &gambir,
        &theirs.to_string(),
        &record(t.gambir_proposal, &[]),
    )
    .await;
    assert_eq!(write_status, StatusCode::FORBIDDEN, "{write_body}");
    assert_eq!((read_status, &read_body), (write_status, &write_body));
    assert!(
        !write_body.to_string().contains("31.71.02"),
        "names no place: {write_body}"
    );
    let photo = t
        .app
        .get_as(
            &format!(
                "/api/v1/surveys/{theirs}/photos/{}",
                sha(&t.tanah_abang_photo)
            ),
            &gambir,
        )
        .await;
    assert_eq!(json_of(photo).await, (read_status, read_body));
}

/// NUL (and any other control character) in any text of a survey is a 422 naming the field, on
/// every retry, never a 500: PostgreSQL cannot store it, so a phone retrying 5xx would loop.
#[tokio::test]
async fn a_control_character_anywhere_is_a_422_naming_the_field_not_a_500() {
    let app = spawn_app_with_reference_data().await;
    let ids = app.import_proposals(PROPOSALS, 2026).await;
    let token = app.token_for(Role::Surveyor, Some("31.71.01")).await;
    let jpeg = photo("DSCN0012.jpg");
    for (pointer, field) in [
        ("/note", "note"),
        ("/address_note", "address_note"),
        ("/technical/note", "technical.note"),
        ("/administrative/note", "administrative.note"),
        ("/photos/0/caption", "photos[0].caption"),
        ("/volume/satuan", "volume.satuan"),
    ] {
        let mut body = record(ids[0], &[("depan", &jpeg)]);
        if pointer == "/note" {
            body["note"] = json!("");
        }
        *body.pointer_mut(pointer).unwrap() = json!("rusak\u{0} berat");
        let id = Uuid::new_v4().to_string();
        for attempt in 0..2 {
            let (status, answer) = put_survey(&app, &token, &id, &body).await;
            assert_eq!(
                (status, answer["code"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_text")),
                "{field}, attempt {attempt}: {answer}"
            );
            assert!(
                answer["message"]["en"].as_str().unwrap().starts_with(field)
                    && answer["message"]["id"].as_str().unwrap().contains("U+0000"),
                "{answer}"
            );
        }
    }
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM survey")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);

    // A filter, a path.
    for path in [
        "/api/v1/proposals?kecamatan=31.71.01&status=usulan%00",
        "/api/v1/proposals?kecamatan=31.71%00",
        "/api/v1/wilayah/31.71%00",
    ] {
        let (status, answer) = json_of(app.get_as(path, &token).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {answer}");
        assert_eq!(answer["code"], "invalid_text", "{path}");
    }

    // OpenRosa: XML 1.0 forbids NUL outright (malformed, 400), but lets C1 controls through as
    // character references: the survey's own check names the field.
    let collect = Collect::new(&app.url(&format!("/v1/key/{token}/projects/31.71.01")));
    let xml = |catatan: &str| {
        format!(
            "<?xml version='1.0' encoding='UTF-8' ?><data id=\"tinjau_survei\" version=\"2026120301\"><start>2026-12-03T03:00:00.000Z</start><end>2026-12-03T03:15:00.000Z</end><proposal>{}</proposal><lokasi>-6.1762 106.8095 12 4.5</lokasi><lokasi_waktu>2026-12-03T03:10:00.000Z</lokasi_waktu><jejak>tidak</jejak><alamat_sesuai>ya</alamat_sesuai><teknis_layak>ya</teknis_layak><administrasi_layak>ya</administrasi_layak><volume>200</volume><satuan>m2</satuan><catatan>{catatan}</catatan><meta><instanceID>uuid:{}</instanceID></meta></data>",
            ids[0],
            Uuid::new_v4()
        )
    };
    let posted = collect
        .submit(xml("ada&#x85;baris").as_bytes(), "i.xml", &[], 10_000_000)
        .await;
    assert_eq!(
        posted[0].status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        posted[0].body
    );
    assert!(
        openrosa_message(&posted[0].body).contains("note"),
        "{}",
        posted[0].body
    );
    let posted = collect
        .submit(xml("ada\u{1}baris").as_bytes(), "i.xml", &[], 10_000_000)
        .await;
    assert_eq!(
        posted[0].status,
        StatusCode::BAD_REQUEST,
        "{}",
        posted[0].body
    );
}

/// Every import refuses a file holding a control character, naming the row and the column.
#[tokio::test]
async fn an_import_with_a_control_character_names_the_row_and_column_and_writes_nothing() {
    let app = spawn_app_with_reference_data().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("usulan.csv");
    std::fs::write(
        &path,
        PROPOSALS.replace("Jl. Tanah Abang II", "Jl. Tanah\u{0} Abang II"),
    )
    .unwrap();
    let options = tinjau_workflows::import::proposals::ProposalImportOptions {
        tahun: 2026,
        skip_invalid: true,
        ..Default::default()
    };
    let error = tinjau_workflows::import::proposals::import(&app.pool, &path, &options)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("row 3, column Lokasi: contains the control character U+0000"),
        "{error}"
    );
    let proposals: i64 = sqlx::query_scalar("SELECT count(*) FROM proposal")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(proposals, 0);

    let prices = dir.path().join("harga.csv");
    std::fs::write(
        &prices,
        "item,spesifikasi,satuan,harga\nPaving block,K-300\u{0},m2,150000\n",
    )
    .unwrap();
    let region = survey_schema::WilayahKode::parse("31.71").unwrap();
    let error = tinjau_workflows::import::prices::import(&app.pool, &prices, &region, 2026)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("line 2, column spesifikasi: contains the control character U+0000"),
        "{error}"
    );

    // Over the admin endpoint the same refusal is a 422.
    let response = app
        .client
        .post(app.url("/api/v1/admin/proposals/import?tahun=2026"))
        .bearer_auth(tinjau_tests::ADMIN_TOKEN)
        .body(PROPOSALS.replace("Cideng", "Cid\u{7}eng"))
        .send()
        .await
        .unwrap();
    let (status, answer) = json_of(response).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(answer.to_string().contains("U+0007"), "{answer}");
}
