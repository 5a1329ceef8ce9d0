//! The forum record: saved whole with a version, audited, locked at Kirim; Kirim refused while
//! the Berita Acara would lack the Nomor or an official; the forum's ranking prints in Lampiran II;
//! Form 2 blank carries the invited names; the officials' names never reach the public page.

// Helpers of a test: a failure must stop it loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use reqwest::StatusCode;
use serde_json::{Value, json};
use survey_schema::Role;
use tinjau_tests::forum_record_example;
use tinjau_tests::review::{Review, decide_all, post_kirim, setup};

const FORUM: &str = "/api/v1/kecamatan/31.71.01/forum?tahun=2026";

async fn put_forum(
    r: &Review,
    token: &str,
    if_match: Option<&str>,
    body: &Value,
) -> (StatusCode, Value) {
    let mut request = r
        .app
        .client
        .put(r.app.url(FORUM))
        .bearer_auth(token)
        .json(body);
    if let Some(v) = if_match {
        request = request.header("If-Match", v);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get_forum(r: &Review, token: &str) -> (StatusCode, Value) {
    let response = r.app.get_as(FORUM, token).await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn pdf_text(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.pdf");
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn download(r: &Review, file: &str) -> Vec<u8> {
    let response = r
        .app
        .get_as(
            &format!("/api/v1/kecamatan/31.71.01/forms/{file}?tahun=2026"),
            &r.camat,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{file}");
    response.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn a_record_is_saved_whole_with_its_version_and_its_gaps_are_listed() {
    let r = setup().await;
    let (status, view) = get_forum(&r, &r.camat).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["version"], 1, "setup saved it once: {view}");
    assert_eq!(view["gaps"], json!([]));
    assert_eq!(view["profile"]["head_title"], "Kepala Kanppeko/Kab.");
    assert_eq!(view["profile"]["ditetapkan_di"], "Jakarta");
    assert!(
        view["missing_kategori"]
            .as_array()
            .unwrap()
            .contains(&json!("dprd")),
        "{view}"
    );

    let mut record = forum_record_example();
    record["nomor"] = json!("");
    let (status, err) = put_forum(&r, &r.camat, None, &record).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED, "{err}");
    let (status, err) = put_forum(&r, &r.camat, Some("\"0\""), &record).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{err}");
    assert_eq!(err["details"]["current_version"], 1);
    let (status, view) = put_forum(&r, &r.camat, Some("\"1\""), &record).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["version"], 2);
    let gaps: Vec<&str> = view["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["field"].as_str().unwrap())
        .collect();
    assert_eq!(gaps, ["nomor"]);

    // Who may: the camat of the kecamatan and admins; not a surveyor, not another camat.
    let surveyor = r.app.token_for(Role::Surveyor, Some("31.71.01")).await;
    assert_eq!(get_forum(&r, &surveyor).await.0, StatusCode::FORBIDDEN);
    let other = r.app.token_for(Role::Camat, Some("31.71.02")).await;
    assert_eq!(get_forum(&r, &other).await.0, StatusCode::FORBIDDEN);
    // A kecamatan that does not exist is 404, not a database error.
    let admin = r.app.token_for(Role::Admin, None).await;
    let missing = r
        .app
        .client
        .put(r.app.url("/api/v1/kecamatan/31.71.99/forum?tahun=2026"))
        .bearer_auth(&admin)
        .header("If-Match", "\"0\"")
        .json(&forum_record_example())
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    // A ranked proposal that is not this kecamatan's is refused; a rank twice too.
    let mut ranked = forum_record_example();
    ranked["prioritas"] = json!([999_999]);
    let (status, err) = put_forum(&r, &r.camat, Some("\"2\""), &ranked).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["code"], "invalid_forum");

    let saves: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_event WHERE action = 'forum.put' AND entity_id = '31.71.01/2026'",
    )
    .fetch_one(&r.app.pool)
    .await
    .unwrap();
    assert_eq!(saves, 2, "both saves are on the record");
}

#[tokio::test]
async fn kirim_is_refused_naming_what_the_berita_acara_lacks_then_the_record_is_locked() {
    let r = setup().await;
    decide_all(&r).await;
    let mut record = forum_record_example();
    record["nomor"] = json!(" ");
    record["kepala_perencanaan"] = json!({"nama": "", "nip": ""});
    let (status, _) = put_forum(&r, &r.camat, Some("\"1\""), &record).await;
    assert_eq!(status, StatusCode::OK);

    let (status, err) = post_kirim(&r, &r.camat).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["code"], "forum_incomplete");
    let fields: Vec<&str> = err["details"]["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["nomor", "kepala_perencanaan.nama", "kepala_perencanaan.nip"]
    );
    let message = err["message"]["id"].as_str().unwrap();
    assert!(
        message.contains("Nomor Berita Acara") && message.contains("Kepala kantor perencanaan"),
        "{message}"
    );

    let (status, _) = put_forum(&r, &r.camat, Some("\"2\""), &forum_record_example()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, sent) = post_kirim(&r, &r.camat).await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let (status, err) = put_forum(&r, &r.camat, Some("\"3\""), &forum_record_example()).await;
    assert_eq!(status, StatusCode::LOCKED, "{err}");
    let (_, view) = get_forum(&r, &r.camat).await;
    assert_eq!(view["locked"], true);
}

#[tokio::test]
async fn lampiran_ii_follows_the_forums_ranking_and_form_2_blank_has_the_invited() {
    let r = setup().await;
    decide_all(&r).await;
    // The forum ranks the drainage (its group's only proposal): its group says so; the paving
    // group, unranked, does not.
    let mut record = forum_record_example();
    let drainage = r.ids[1];
    record["prioritas"] = json!([drainage]);
    let (status, view) = put_forum(&r, &r.camat, Some("\"1\""), &record).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let text = pdf_text(&download(&r, "berita-acara.pdf").await);
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("Suku Dinas SDA — No 1–1 menurut peringkat forum"),
        "{flat}"
    );
    assert!(
        !flat.contains("Suku Dinas Bina Marga — No"),
        "an unranked group has no ranking note: {flat}"
    );

    let blank = pdf_text(&download(&r, "daftar-hadir.pdf").await);
    for expected in [
        "LAMPIRAN I",
        "DAFTAR HADIR PESERTA MUSRENBANG KECAMATAN",
        "Siti Rahmawati",
        "Joko Widagdo",
        "Dewi Lestari",
        "Tanda Tangan",
    ] {
        assert!(blank.contains(expected), "{expected} not in:\n{blank}");
    }
    // Rows to sign at the door follow the invited.
    assert!(blank.contains("28."), "{blank}");
}

#[tokio::test]
async fn names_and_nips_never_reach_the_public_page() {
    let r = setup().await;
    decide_all(&r).await;
    let (status, _) = post_kirim(&r, &r.camat).await;
    assert_eq!(status, StatusCode::CREATED);
    let public = r
        .app
        .get("/api/v1/public/kelurahan/31.71.01.1002?tahun=2026")
        .await
        .text()
        .await
        .unwrap();

    let notice = pdf_text(&download(&r, "pengumuman.pdf").await);
    let flat = notice.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        "PENGUMUMAN",
        "HASIL MUSRENBANG KECAMATAN GAMBIR TAHUN 2026",
        "Tahun 2026; yang belum disepakati disertai alasannya",
        "Kelurahan Cideng",
        "Kelurahan Petojo Utara",
        "Disepakati",
        "Belum disepakati: (f)",
        "Sudah dilaksanakan pada tahun sebelumnya",
    ] {
        assert!(flat.contains(expected), "{expected} not in {flat}");
    }
    for private in [
        "Andi Saputra",
        "197001011990031001",
        "Budi Hartono",
        "Siti Rahmawati",
        "Sudah dibeton 2025",
    ] {
        assert!(!public.contains(private), "{private} in {public}");
        assert!(!flat.contains(private), "{private} in the notice: {flat}");
    }
}

#[tokio::test]
async fn the_report_is_one_zip_with_every_form_and_the_audit_head() {
    let r = setup().await;
    decide_all(&r).await;
    let (status, sent) = post_kirim(&r, &r.camat).await;
    assert_eq!(status, StatusCode::CREATED);
    let zip = download(&r, "laporan.zip").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("laporan.zip");
    std::fs::write(&path, &zip).unwrap();
    let unzip = |args: &[&str]| {
        let out = Command::new("unzip")
            .args(args)
            .arg(&path)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let listing = unzip(&["-l"]);
    for file in [
        "LAPORAN.txt",
        "berita-acara.pdf",
        "lampiran1.xlsx",
        "lampiran2.xlsx",
        "lampiran3.xlsx",
        "lampiran1.csv",
        "lampiran2.csv",
        "lampiran3.csv",
        "usulan.geojson",
        "pengumuman.pdf",
        "rantai-audit.txt",
    ] {
        assert!(listing.contains(file), "{file} not in {listing}");
    }
    let out = Command::new("unzip")
        .arg("-p")
        .arg(&path)
        .arg("rantai-audit.txt")
        .output()
        .unwrap();
    let head = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        head.contains(sent["audit_hash"].as_str().unwrap()),
        "{head}"
    );
    let out = Command::new("unzip")
        .arg("-p")
        .arg(&path)
        .arg("LAPORAN.txt")
        .output()
        .unwrap();
    let note = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(note.contains("Batas penyampaian: 21 Maret 2026"), "{note}");
}

#[tokio::test]
async fn after_a_reopening_the_public_sees_the_last_sent_list_marked_as_revised() {
    let r = setup().await;
    decide_all(&r).await;
    let (status, sent) = post_kirim(&r, &r.camat).await;
    assert_eq!(status, StatusCode::CREATED);
    // The public page offers the proof of the Kirim's entry in the audit log.
    let page = r
        .app
        .get("/publik/kelurahan/31.71.01.1002?tahun=2026")
        .await
        .text()
        .await
        .unwrap();
    let proof = format!("/api/v1/audit/entries/{}/proof", sent["audit_seq"]);
    assert!(page.contains(&proof), "{page}");
    let admin = r.app.token_for(Role::Admin, None).await;
    let reopened = r
        .app
        .client
        .post(r.app.url("/api/v1/kecamatan/31.71.01/reopen?tahun=2026"))
        .bearer_auth(&admin)
        .json(&json!({"reason": "Salah input volume"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reopened.status(), StatusCode::OK);
    let public: Value = r
        .app
        .get("/api/v1/public/kelurahan/31.71.01.1002?tahun=2026")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (public["sent"].as_bool(), public["revising"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(
        public["audit_entry"], sent["audit_seq"],
        "the last sent list's entry"
    );
    let beton = public["proposals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["usulan"] == "Betonisasi jalan Gang Melati")
        .unwrap();
    assert_eq!(
        beton["status"], "rejected",
        "the last sent decision: {public}"
    );
}
