//! ODK Collect against the real server: the form engine (JavaRosa, from pyxform's ODK Validate)
//! fills the form as Tinjau serves it with the `proposals.csv` it downloaded, and a Collect-faithful
//! client lists, downloads and posts it the way Collect does (HEAD, then split POSTs). The survey
//! is stored once, checked, and reviewed like any other.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// One long story per test reads better than helpers split for length.
#![allow(clippy::too_many_lines)]

use std::fmt::Write as _;

use reqwest::StatusCode;
use serde_json::Value;
use survey_schema::Role;
use tinjau_tests::collect::{
    Collect, Odk, assert_openrosa_xml, calculated, element_text, openrosa_message,
};
use tinjau_tests::{Fixture, TestApp, data, spawn_app_with_settings};

/// Gambir proposals with map pins: paving in Cideng, drainage in Kebon Kelapa; one in Tanah Abang.
const PINNED: &str = "\
No;Usulan Kegiatan;Lokasi;RW;RT;Kode Kelurahan;Volume;Satuan;Perkiraan Anggaran;SKPD Tujuan;Latitude;Longitude
1;Pemasangan paving block;Jl. Cideng Barat;02;001;31.71.01.1002;200;m2;Rp 32.000.000;Suku Dinas Bina Marga;-6.1756;106.8095
2;Pembangunan saluran drainase;Jl. Kebon Kelapa Raya;01;004;31.71.01.1003;100;m';Rp 150.000.000;Suku Dinas SDA;-6.1680;106.8270
3;Pemasangan paving block;Jl. Tanah Abang II;03;002;31.71.02.1001;120;m2;Rp 19.200.000;Suku Dinas Bina Marga;-6.1850;106.8150
";

/// Small enough that three phone photos (about 160 kB each) go in three POSTs.
const ACCEPT_BYTES: u64 = 200_000;

struct Field {
    app: TestApp,
    ids: Vec<i64>,
    surveyor: String,
    collect: Collect,
}

async fn field() -> Field {
    let app = spawn_app_with_settings(Fixture::Reference, |s| {
        s.openrosa_accept_bytes = ACCEPT_BYTES;
    })
    .await;
    let ids = app.import_proposals(PINNED, 2026).await;
    let surveyor = app.token_for(Role::Surveyor, Some("31.71.01")).await;
    let collect = Collect::new(&app.url(&format!("/v1/key/{surveyor}/projects/31.71.01")));
    Field {
        app,
        ids,
        surveyor,
        collect,
    }
}

fn photo(name: &str) -> Vec<u8> {
    std::fs::read(data(&format!("photos/{name}"))).unwrap()
}

/// A surveyor's answers for proposal `proposal`, chosen by tapping its point on Collect's map,
/// standing 66 m south of its pin, with a GPS fix first refused by the form (45 m accuracy) and a
/// volume refused (-1).
fn answers(proposal: i64, photos: &[&str]) -> String {
    let mut a = format!(
        "cara=peta
proposal_peta={proposal}
lokasi=-6.1762 106.8095 12 45
lokasi=-6.1762 106.8095 12 4.5
jejak=garis
jalur=-6.1762 106.8095 0 5;-6.1762 106.8113 0 5
alamat_sesuai=ya
teknis_layak=ya
administrasi_layak=tidak
administrasi_catatan=Lahan sebagian milik swasta
volume=-1
volume=195.5
catatan=Diukur ulang bersama ketua RT
"
    );
    for (i, name) in photos.iter().enumerate() {
        writeln!(a, "foto{}={name}", i + 1).unwrap();
    }
    a
}

async fn survey_json(app: &TestApp, token: &str, id: &str) -> (StatusCode, Value) {
    let r = app.get_as(&format!("/api/v1/surveys/{id}"), token).await;
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

#[tokio::test]
async fn a_form_filled_by_javarosa_and_posted_as_collect_posts_it_is_stored_once_and_reviewed() {
    let f = field().await;
    let odk = Odk::installed();
    let [paving, _drainage, tanah_abang] = f.ids[..] else {
        panic!("{:?}", f.ids)
    };

    // The form list, the form and its media, as Collect reads them.
    let forms = f.collect.form_list().await;
    assert_eq!(forms.len(), 1);
    let form = &forms[0];
    assert_eq!(form.form_id, "tinjau_survei");
    assert_eq!(form.name, "Tinjau: survei lapangan");
    let dir = tempfile::tempdir().unwrap();
    let form_path = f.collect.download_form(form, dir.path()).await;
    let media = dir.path().join("tinjau_survei-media");
    let csv = std::fs::read_to_string(media.join("proposals.csv")).unwrap();
    assert!(
        csv.starts_with(
            "name,label,geometry,volume,satuan,kelurahan,kelurahan_nama,ditugaskan,alasan_ulang\n"
        ),
        "{csv}"
    );
    assert!(csv.contains(&format!("{paving},")), "{csv}");
    assert!(
        csv.contains("-6.1756 106.8095 0 0"),
        "the pin as an ODK geopoint: {csv}"
    );
    assert!(
        !csv.contains(&format!("\n{tanah_abang},")),
        "another kecamatan's proposal is not this surveyor's: {csv}"
    );

    // JavaRosa fills it: the constraints fire, the distance is computed on the phone.
    let files = ["DSCN0010.jpg", "DSCN0012.jpg", "DSCN0021.jpg"];
    let (printed, instance) = odk.fill(&form_path, &media, &answers(paving, &files));
    assert!(printed.contains("lokasi CONSTRAINT_VIOLATED"), "{printed}");
    assert!(printed.contains("volume CONSTRAINT_VIOLATED"), "{printed}");
    assert!(
        printed.contains("lokasi OK") && printed.contains("volume OK"),
        "{printed}"
    );
    let distance: f64 = calculated(&printed, "jarak_m").unwrap().parse().unwrap();
    assert!(
        (distance - 66.0).abs() <= 1.0,
        "0.0006° of latitude is 66 m: {distance}"
    );
    assert_eq!(calculated(&printed, "proposal_satuan"), Some("m2"));
    // Chosen on the map; the phone finds the fix inside the proposal's kelurahan (Cideng).
    assert_eq!(
        calculated(&printed, "proposal"),
        Some(paving.to_string().as_str())
    );
    assert_eq!(calculated(&printed, "kelurahan_nama"), Some("Cideng"));
    assert_eq!(
        calculated(&printed, "di_kelurahan"),
        Some("ya"),
        "{printed}"
    );
    // The map's files are GeoJSON that GDAL reads: the proposals as points, the kelurahan as polygons.
    for (file, geometry, at_least) in [
        ("usulan.geojson", "Point", 1),
        ("kelurahan.geojson", "Polygon", 6),
    ] {
        let info = std::process::Command::new("ogrinfo")
            .args(["-ro", "-al", "-so"])
            .arg(media.join(file))
            .output()
            .expect("ogrinfo (gdal-bin) runs");
        let text = String::from_utf8_lossy(&info.stdout);
        assert!(
            info.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&info.stderr)
        );
        assert!(
            text.contains(&format!("Geometry: {geometry}")),
            "{file}: {text}"
        );
        let count: usize = text
            .lines()
            .find_map(|l| l.strip_prefix("Feature Count: "))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(count >= at_least, "{file}: {count} features");
    }
    // The same proposal chosen from the list instead, standing outside Cideng: the hint says so.
    let by_list = answers(paving, &files)
        .replace("cara=peta\nproposal_peta=", "cara=daftar\nproposal_daftar=")
        .replace(
            "lokasi=-6.1762 106.8095 12 4.5",
            "lokasi=-6.2050 106.8300 12 4.5",
        );
    let (printed_list, _) = odk.fill(&form_path, &media, &by_list);
    assert!(
        printed_list.contains("proposal_daftar OK"),
        "{printed_list}"
    );
    assert_eq!(
        calculated(&printed_list, "proposal"),
        Some(paving.to_string().as_str())
    );
    assert_eq!(
        calculated(&printed_list, "di_kelurahan"),
        Some("tidak"),
        "{printed_list}"
    );
    let xml = instance.expect("the form finalises");
    let instance_id = element_text(&xml, "instanceID").unwrap();
    let survey_id = instance_id.strip_prefix("uuid:").unwrap().to_owned();
    assert_eq!(
        element_text(&xml, "satuan").as_deref(),
        Some("m2"),
        "set from the proposal"
    );

    // HEAD, then the split POSTs.
    let (status, accept) = f.collect.head_submission().await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(accept, ACCEPT_BYTES);
    let photos: Vec<(String, Vec<u8>)> =
        files.iter().map(|n| ((*n).to_owned(), photo(n))).collect();
    let instance_file = "tinjau_survei_2026-12-03_10-15-00.xml";
    let posted = f.collect.submit(&xml, instance_file, &photos, accept).await;
    assert_eq!(posted.len(), 3, "one photo a POST: {posted:?}");
    for p in &posted {
        assert_eq!(p.status, StatusCode::CREATED, "{}", p.body);
        assert_openrosa_xml(&p.headers);
    }
    assert!(posted[0].incomplete && posted[1].incomplete && !posted[2].incomplete);
    assert!(
        posted[0].message().contains("menunggu 2 foto"),
        "{}",
        posted[0].message()
    );
    assert!(
        posted[2].message().starts_with("Survei diterima"),
        "{}",
        posted[2].message()
    );

    // Stored once, under the instanceID, with the answers as the JSON API would have them.
    let (status, view) = survey_json(&f.app, &f.surveyor, &survey_id).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let record = &view["record"];
    assert_eq!(record["proposal_id"], paving);
    assert_eq!(record["fix"]["accuracy_m"], 4.5);
    assert_eq!(record["fix"]["lat"], -6.1762);
    assert_eq!(record["volume"]["value"], "195.5");
    assert_eq!(record["volume"]["satuan"], "m2");
    assert_eq!(record["administrative"]["ok"], false);
    assert_eq!(
        record["administrative"]["note"],
        "Lahan sebagian milik swasta"
    );
    assert_eq!(record["note"], "Diukur ulang bersama ketua RT");
    assert_eq!(record["trace"]["type"], "LineString");
    assert_eq!(record["photos"].as_array().unwrap().len(), 3);
    assert_eq!(view["missing_photos"], serde_json::json!([]));

    // The checks ran (after the photo workers), and the camat sees it like any survey.
    let view = f.app.survey_when_read(&f.surveyor, &survey_id).await;
    let codes: Vec<&str> = view["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    // The photos are of Canon and Nikon test scenes far from Jakarta: their EXIF says so.
    assert!(
        codes.contains(&"PHOTO_GPS_FAR") || codes.contains(&"PHOTO_NO_GPS"),
        "{codes:?}"
    );
    let camat = f.app.token_for(Role::Camat, Some("31.71.01")).await;
    let page: Value = f
        .app
        .get_as("/api/v1/review/31.71.01?tahun=2026", &camat)
        .await
        .json()
        .await
        .unwrap();
    let item = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == paving)
        .unwrap_or_else(|| panic!("{page}"));
    assert!(
        item.to_string().contains(&survey_id),
        "the review names the survey: {item}"
    );

    // Collect retries everything (it did not see the last answer): nothing doubles.
    let again = f.collect.submit(&xml, instance_file, &photos, accept).await;
    assert!(
        again.iter().all(|p| p.status == StatusCode::CREATED),
        "{again:?}"
    );
    assert_eq!(count(&f.app, "SELECT count(*) FROM survey").await, 1);
    assert_eq!(count(&f.app, "SELECT count(*) FROM survey_photo").await, 3);
    assert_eq!(
        count(&f.app, "SELECT count(*) FROM openrosa_attachment").await,
        3
    );
    assert_eq!(
        count(
            &f.app,
            "SELECT count(*) FROM audit_event WHERE action = 'survey.store'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &f.app,
            "SELECT count(*) FROM audit_event WHERE action = 'photo.store'"
        )
        .await,
        3
    );

    // Another XML under the same instanceID is a conflict the surveyor can read.
    let tampered = String::from_utf8(xml.clone())
        .unwrap()
        .replace("<volume>195.5</volume>", "<volume>400</volume>");
    let conflict = f
        .collect
        .submit(tampered.as_bytes(), instance_file, &photos[..1], accept)
        .await;
    assert_eq!(conflict[0].status, StatusCode::CONFLICT);
    assert!(
        conflict[0]
            .message()
            .contains("Formulir lain sudah terkirim"),
        "{}",
        conflict[0].message()
    );

    // The surveyor edits the sent form: a new instanceID, the old one as deprecatedID.
    let edited_id = uuid::Uuid::new_v4();
    let edited = String::from_utf8(xml.clone())
        .unwrap()
        .replace("<volume>195.5</volume>", "<volume>198</volume>")
        .replace(
            &format!("<instanceID>{instance_id}</instanceID>"),
            &format!(
                "<instanceID>uuid:{edited_id}</instanceID><deprecatedID>{instance_id}</deprecatedID>"
            ),
        );
    let posted = f
        .collect
        .submit(edited.as_bytes(), instance_file, &photos, accept)
        .await;
    assert!(
        posted.iter().all(|p| p.status == StatusCode::CREATED),
        "{posted:?}"
    );
    let (_, old) = survey_json(&f.app, &f.surveyor, &survey_id).await;
    assert_eq!(old["superseded_by"], edited_id.to_string());
    let (_, new) = survey_json(&f.app, &f.surveyor, &edited_id.to_string()).await;
    assert_eq!(new["record"]["supersedes"], survey_id);
    assert_eq!(new["record"]["volume"]["value"], "198");

    // The surveyed proposal left this surveyor's list: the manifest's hash changed.
    let manifest_url = form.manifest_url.clone().unwrap();
    let media_now = f.collect.manifest(&manifest_url).await;
    let fresh = f.collect.download(&media_now[0].download_url).await;
    assert_ne!(
        tinjau_tests::collect::md5_hex(csv.as_bytes()),
        media_now[0].md5,
        "Collect re-downloads the list"
    );
    assert!(
        !String::from_utf8(fresh)
            .unwrap()
            .contains(&format!("\n{paving},"))
    );
}

#[tokio::test]
async fn a_bad_or_revoked_key_is_403_never_401_and_headers_are_openrosa() {
    let f = field().await;
    let wrong = Collect::new(&f.app.url(
        "/v1/key/tjau_0000000000000000000000000000000000000000000000000000000000000000/projects/31.71.01",
    ));
    let r = wrong.get(&format!("{}/formList", wrong.server_url)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_openrosa_xml(r.headers());
    let message = openrosa_message(&r.text().await.unwrap());
    assert!(
        message.contains("Kunci perangkat ini tidak sah"),
        "{message}"
    );
    let (status, _) = wrong.head_submission().await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let posted = wrong
        .submit(b"<data id=\"tinjau_survei\"/>", "x.xml", &[], 10_000_000)
        .await;
    assert_eq!(posted[0].status, StatusCode::FORBIDDEN);

    // Revoked: the same.
    sqlx::query("UPDATE device_token SET revoked_at = now()")
        .execute(&f.app.pool)
        .await
        .unwrap();
    // Revoked in the database: this server hears of it by NOTIFY, milliseconds later.
    let r = form_list_once(&f.collect, StatusCode::FORBIDDEN).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_openrosa_xml(r.headers());

    // A kecamatan outside the surveyor's area, and a path that is no kecamatan.
    let other = f.app.token_for(Role::Surveyor, Some("31.71.01.1002")).await;
    let elsewhere = Collect::new(&f.app.url(&format!("/v1/key/{other}/projects/31.71.02")));
    let r = elsewhere
        .get(&format!("{}/formList", elsewhere.server_url))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let kelurahan_only = Collect::new(&f.app.url(&format!("/v1/key/{other}/projects/31.71.01")));
    assert_eq!(
        kelurahan_only.form_list().await.len(),
        1,
        "a kelurahan surveyor works in its kecamatan"
    );
    let r = kelurahan_only
        .get(
            &f.app
                .url(&format!("/v1/key/{other}/projects/31.71/formList")),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_openrosa_xml(r.headers());
    let r = kelurahan_only
        .get(&f.app.url(&format!("/v1/key/{other}/nothing")))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_openrosa_xml(r.headers());
}

/// A submission's XML for `proposal` as JavaRosa would write it, without running it.
fn plain_xml(proposal: i64, instance: &str, photos: &[&str]) -> String {
    let mut p = String::new();
    for (i, name) in photos.iter().enumerate() {
        write!(p, "<foto{n}>{name}</foto{n}>", n = i + 1).unwrap();
    }
    format!(
        "<?xml version='1.0' encoding='UTF-8' ?><data id=\"tinjau_survei\" version=\"2026120301\"><start>2026-12-03T03:00:00.000Z</start><end>2026-12-03T03:15:00.000Z</end><proposal>{proposal}</proposal><lokasi>-6.1762 106.8095 12 4.5</lokasi><lokasi_waktu>2026-12-03T03:10:00.000Z</lokasi_waktu><jejak>tidak</jejak><alamat_sesuai>ya</alamat_sesuai><teknis_layak>ya</teknis_layak><administrasi_layak>ya</administrasi_layak><volume>200</volume><satuan>m2</satuan>{p}<meta><instanceID>uuid:{instance}</instanceID></meta></data>"
    )
}

async fn nothing_stored(app: &TestApp) {
    assert_eq!(
        count(app, "SELECT count(*) FROM openrosa_submission").await,
        0
    );
    assert_eq!(
        count(app, "SELECT count(*) FROM openrosa_attachment").await,
        0
    );
    assert_eq!(count(app, "SELECT count(*) FROM survey").await, 0);
    let photos = app.storage.path().join("photos");
    let kept = std::fs::read_dir(&photos).map_or(0, Iterator::count);
    assert_eq!(kept, 0, "no photo object kept in {}", photos.display());
}

/// What is wrong, the XML, the photo parts, the answer and a phrase of its message.
type Case<'a> = (&'a str, String, Vec<(String, Vec<u8>)>, StatusCode, &'a str);

#[tokio::test]
async fn bad_submissions_get_a_clear_4xx_and_leave_nothing_behind() {
    let f = field().await;
    let paving = f.ids[0];
    let id = uuid::Uuid::new_v4().to_string();
    let jpeg = vec![("a.jpg".to_owned(), photo("DSCN0010.jpg"))];
    let cases: Vec<Case<'_>> = vec![
        (
            "malformed XML",
            "<data id=\"tinjau_survei\"><proposal>1</data>".into(),
            vec![],
            StatusCode::BAD_REQUEST,
            "XML yang benar",
        ),
        (
            "an entity bomb",
            format!(
                "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]><data id=\"tinjau_survei\"><catatan>&c;</catatan><meta><instanceID>uuid:{id}</instanceID></meta></data>"
            ),
            vec![],
            StatusCode::BAD_REQUEST,
            "DTD",
        ),
        (
            "no instanceID",
            plain_xml(paving, &id, &[]).replace(
                &format!("<meta><instanceID>uuid:{id}</instanceID></meta>"),
                "",
            ),
            vec![],
            StatusCode::BAD_REQUEST,
            "instanceID",
        ),
        (
            "a photo part the XML does not name",
            plain_xml(paving, &id, &["b.jpg"]),
            jpeg.clone(),
            StatusCode::BAD_REQUEST,
            "bukan foto yang disebut",
        ),
        (
            "a fake photo",
            plain_xml(paving, &id, &["a.jpg"]),
            vec![(
                "a.jpg".into(),
                b"this is not a jpeg, just text pretending".to_vec(),
            )],
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "bukan JPEG",
        ),
        (
            "a truncated photo",
            plain_xml(paving, &id, &["a.jpg"]),
            vec![("a.jpg".into(), photo("DSCN0010.jpg")[..300].to_vec())],
            StatusCode::UNPROCESSABLE_ENTITY,
            "tidak dapat dibaca",
        ),
        (
            "an unknown proposal",
            plain_xml(999_999, &id, &["a.jpg"]),
            jpeg.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "tidak ada",
        ),
        (
            "another kecamatan's proposal",
            plain_xml(f.ids[2], &id, &["a.jpg"]),
            jpeg.clone(),
            StatusCode::FORBIDDEN,
            "di luar wilayah",
        ),
        (
            "a position off the globe",
            plain_xml(paving, &id, &["a.jpg"]).replace("-6.1762 106.8095", "-96.1 106.8"),
            jpeg.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Survei tidak valid",
        ),
    ];
    for (what, xml, parts, status, message) in cases {
        let posted = f
            .collect
            .submit(xml.as_bytes(), "i.xml", &parts, 10_000_000)
            .await;
        assert_eq!(posted[0].status, status, "{what}: {}", posted[0].body);
        assert_openrosa_xml(&posted[0].headers);
        let m = posted[0].message();
        assert!(m.contains(message), "{what}: {m}");
        nothing_stored(&f.app).await;
    }

    // No XML part at all, and a body that is not multipart.
    let form = reqwest::multipart::Form::new().text("*isIncomplete*", "yes");
    let r = f
        .collect
        .client
        .post(format!("{}/submission", f.collect.server_url))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(openrosa_message(&r.text().await.unwrap()).contains("xml_submission_file"));
    let r = f
        .collect
        .client
        .post(format!("{}/submission", f.collect.server_url))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // Over the limit: a photo part beyond 20 MB is cut off with a 413, and nothing is kept.
    let huge = vec![("a.jpg".to_owned(), {
        let mut b = photo("DSCN0010.jpg");
        b.resize(23 << 20, 0);
        b
    })];
    let posted = f
        .collect
        .submit(
            plain_xml(paving, &id, &["a.jpg"]).as_bytes(),
            "i.xml",
            &huge,
            100_000_000,
        )
        .await;
    assert_eq!(
        posted[0].status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        posted[0].body
    );
    assert!(
        posted[0].message().contains("20 MB"),
        "{}",
        posted[0].message()
    );
    nothing_stored(&f.app).await;

    // After all that, the good one still goes in.
    let posted = f
        .collect
        .submit(
            plain_xml(paving, &id, &["a.jpg", "b.jpg"]).as_bytes(),
            "i.xml",
            &[jpeg[0].clone(), ("b.jpg".into(), photo("DSCN0012.jpg"))],
            10_000_000,
        )
        .await;
    assert_eq!(posted[0].status, StatusCode::CREATED, "{}", posted[0].body);
    assert_eq!(count(&f.app, "SELECT count(*) FROM survey").await, 1);
}

#[tokio::test]
async fn a_mock_location_fix_is_flagged() {
    let f = field().await;
    let id = uuid::Uuid::new_v4().to_string();
    let xml =
        plain_xml(f.ids[0], &id, &[]).replace("-6.1762 106.8095 12 4.5", "-6.1762 106.8095 0 0");
    let posted = f
        .collect
        .submit(xml.as_bytes(), "i.xml", &[], 10_000_000)
        .await;
    assert_eq!(posted[0].status, StatusCode::CREATED, "{}", posted[0].body);
    let (_, view) = survey_json(&f.app, &f.surveyor, &id).await;
    let mock = view["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "SURVEY_MOCK_LOCATION")
        .unwrap_or_else(|| panic!("{view}"));
    assert!(
        mock["message"]["id"]
            .as_str()
            .unwrap()
            .contains("akurasi 0 m"),
        "{mock}"
    );
}

#[test]
fn the_served_xform_is_what_pyxform_makes_of_the_xlsform_and_odk_validate_passes_it() {
    let odk = Odk::installed();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("form.xml");
    let run = std::process::Command::new(&odk.xls2xform)
        .args(["--odk_validate", "--pretty_print"])
        .arg(tinjau_tests::repo_root().join("odk/tinjau_survei.md"))
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let made = std::fs::read(&out).unwrap();
    let served = std::fs::read(tinjau_tests::repo_root().join("odk/tinjau_survei.xml")).unwrap();
    assert!(
        made == served,
        "odk/tinjau_survei.xml is stale: run scripts/odk form"
    );
    assert_eq!(served, tinjau_workflows::ingest::openrosa::form::FORM_XML);
}

fn tinjau(database_url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(tinjau_tests::tinjau_binary().unwrap())
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("running tinjau")
}

#[tokio::test]
async fn token_issue_odk_prints_the_collect_settings_qr_and_writes_it_as_a_png() {
    use base64::Engine as _;
    use std::io::Read as _;

    let url = tinjau_tests::fresh_database(Fixture::Reference)
        .await
        .unwrap();
    let out = tinjau(
        &url,
        &[
            "user",
            "add",
            "--name",
            "budi",
            "--role",
            "surveyor",
            "--wilayah",
            "31.71.01",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("budi.png");
    let out = tinjau(
        &url,
        &[
            "token",
            "issue",
            "--user",
            "budi",
            "--odk",
            "--url",
            "https://tinjau.example.go.id",
            "--png",
            png.to_str().unwrap(),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains('█') || stdout.contains('▀'),
        "a QR code for the terminal: {stdout}"
    );
    let payload = stdout
        .lines()
        .find_map(|l| l.strip_prefix("payload: "))
        .unwrap_or_else(|| panic!("{stdout}"))
        .to_owned();

    // zlib + Base64 JSON, as Collect's CompressionUtils reads it.
    let deflated = base64::engine::general_purpose::STANDARD
        .decode(&payload)
        .unwrap();
    let mut json = String::new();
    flate2::read::ZlibDecoder::new(deflated.as_slice())
        .read_to_string(&mut json)
        .unwrap();
    let settings: Value = serde_json::from_str(&json).unwrap();
    let server_url = settings["general"]["server_url"].as_str().unwrap();
    let token = server_url
        .strip_prefix("https://tinjau.example.go.id/v1/key/")
        .and_then(|rest| rest.strip_suffix("/projects/31.71.01"))
        .unwrap_or_else(|| panic!("{server_url}"));
    assert_eq!(settings["general"]["form_update_mode"], "match_exactly");
    assert_eq!(settings["general"]["autosend"], "wifi_and_cellular");
    assert_eq!(
        settings["general"]["periodic_form_updates_check"],
        "every_one_hour"
    );
    assert_eq!(settings["general"]["metadata_username"], "budi");
    assert_eq!(settings["admin"]["change_server"], false);
    assert_eq!(settings["project"]["name"], "Tinjau Kec. Gambir");

    // The key in the URL is a real device token of budi's.
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let owner: String = sqlx::query_scalar(
        "SELECT u.name FROM device_token t JOIN app_user u ON u.id = t.user_id WHERE t.token_sha256 = $1",
    )
    .bind(tinjau_domain::caller::token_digest(token))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(owner, "budi");

    // The PNG holds the same payload, read back by a QR decoder.
    let image = image::open(&png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    let (_, content) = grids[0].decode().unwrap();
    assert_eq!(content, payload);
}

#[tokio::test]
async fn the_device_token_in_the_path_never_reaches_the_log() {
    let url = tinjau_tests::fresh_database(Fixture::Reference)
        .await
        .unwrap();
    let out = tinjau(
        &url,
        &[
            "user",
            "add",
            "--name",
            "sari",
            "--role",
            "surveyor",
            "--wilayah",
            "31.71.01",
        ],
    );
    assert!(out.status.success());
    let out = tinjau(&url, &["token", "issue", "--user", "sari", "--no-qr"]);
    let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(token.starts_with("tjau_"), "{token}");

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let storage = tempfile::tempdir().unwrap();
    let log_path = storage.path().join("serve.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = std::process::Command::new(tinjau_tests::tinjau_binary().unwrap())
        .args(["serve", "--port", &port.to_string()])
        .env("DATABASE_URL", &url)
        .env("TINJAU_STORAGE_DIR", storage.path())
        .env("RUST_LOG", "trace")
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let collect = Collect::new(&format!(
        "http://127.0.0.1:{port}/v1/key/{token}/projects/31.71.01"
    ));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Ok(r) = collect
            .client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            && r.status().is_success()
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "tinjau serve did not start"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(collect.form_list().await.len(), 1);
    assert_eq!(collect.head_submission().await.0, StatusCode::NO_CONTENT);
    let refused = collect
        .submit(
            b"<data id=\"tinjau_survei\"><broken>",
            "x.xml",
            &[],
            10_000_000,
        )
        .await;
    assert_eq!(refused[0].status, StatusCode::BAD_REQUEST);
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
    let logged = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        logged.contains("/v1/key/***/projects/31.71.01/formList"),
        "the requests are logged, masked: {logged}"
    );
    assert!(!logged.contains(&token), "the token is in the log");
    assert!(
        !logged.contains(&token["tjau_".len()..][..16]),
        "part of the token is in the log"
    );
}

#[tokio::test]
async fn retries_lost_photos_other_roles_and_other_surveyors_are_handled_as_collect_needs() {
    let f = field().await;
    let paving = f.ids[0];
    let a = ("a.jpg".to_owned(), photo("DSCN0010.jpg"));

    // The last POST (no *isIncomplete*) still lacks a photo the XML names: the phone lost it.
    // The survey is stored with what came, not held back for ever.
    let id = uuid::Uuid::new_v4().to_string();
    let xml = plain_xml(paving, &id, &["a.jpg", "lost.jpg"]);
    let posted = f
        .collect
        .submit(
            xml.as_bytes(),
            "i.xml",
            std::slice::from_ref(&a),
            10_000_000,
        )
        .await;
    assert_eq!(posted[0].status, StatusCode::CREATED, "{}", posted[0].body);
    assert!(
        posted[0].message().starts_with("Survei diterima"),
        "{}",
        posted[0].message()
    );
    let (status, view) = survey_json(&f.app, &f.surveyor, &id).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["record"]["photos"].as_array().unwrap().len(), 1);

    // Its 201 was lost and Collect sends it again after the surveyor moved to another area: the
    // survey is stored already, so the answer is the same 201, not a refusal.
    sqlx::query("UPDATE app_user SET wilayah_kode = '31.71.02' WHERE role = 'surveyor'")
        .execute(&f.app.pool)
        .await
        .unwrap();
    // Once the server has heard of the move (NOTIFY, milliseconds later): its old kecamatan's
    // forms are refused.
    let moved = form_list_once(&f.collect, StatusCode::FORBIDDEN).await;
    assert_eq!(moved.status(), StatusCode::FORBIDDEN);
    let again = f
        .collect
        .submit(
            xml.as_bytes(),
            "i.xml",
            std::slice::from_ref(&a),
            10_000_000,
        )
        .await;
    assert_eq!(again[0].status, StatusCode::CREATED, "{}", again[0].body);
    sqlx::query("UPDATE app_user SET wilayah_kode = '31.71.01' WHERE role = 'surveyor'")
        .execute(&f.app.pool)
        .await
        .unwrap();
    let back = form_list_once(&f.collect, StatusCode::OK).await;
    assert_eq!(back.status(), StatusCode::OK);

    // Another surveyor's edited form cannot supersede this surveyor's survey: it stands alone.
    let other = f.app.token_for(Role::Surveyor, Some("31.71.01")).await;
    let other_collect = Collect::new(&f.app.url(&format!("/v1/key/{other}/projects/31.71.01")));
    let edit_id = uuid::Uuid::new_v4().to_string();
    let edited = plain_xml(paving, &edit_id, &["a.jpg"]).replace(
        "</instanceID>",
        &format!("</instanceID><deprecatedID>uuid:{id}</deprecatedID>"),
    );
    let posted = other_collect
        .submit(
            edited.as_bytes(),
            "i.xml",
            std::slice::from_ref(&a),
            10_000_000,
        )
        .await;
    assert_eq!(posted[0].status, StatusCode::CREATED, "{}", posted[0].body);
    let (_, first) = survey_json(&f.app, &f.surveyor, &id).await;
    assert_eq!(first["superseded_by"], Value::Null, "{first}");
    let (_, second) = survey_json(&f.app, &other, &edit_id).await;
    assert_eq!(second["record"]["supersedes"], Value::Null);

    // A camat's key (or the admin's) is not for URLs: 403 on every OpenRosa request.
    let camat = f.app.token_for(Role::Camat, Some("31.71.01")).await;
    let camat_collect = Collect::new(&f.app.url(&format!("/v1/key/{camat}/projects/31.71.01")));
    let r = camat_collect
        .get(&format!("{}/formList", camat_collect.server_url))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(openrosa_message(&r.text().await.unwrap()).contains("hanya untuk akun surveyor"));
}

#[tokio::test]
async fn download_urls_are_built_on_the_configured_public_address() {
    let app = spawn_app_with_settings(Fixture::Reference, |s| {
        s.public_url = Some("https://tinjau.example.go.id/".into());
    })
    .await;
    let token = app.token_for(Role::Surveyor, Some("31.71.01")).await;
    let collect = Collect::new(&app.url(&format!("/v1/key/{token}/projects/31.71.01")));
    let forms = collect.form_list().await;
    assert_eq!(
        forms[0].download_url,
        format!(
            "https://tinjau.example.go.id/v1/key/{token}/projects/31.71.01/forms/tinjau_survei.xml"
        )
    );
}

/// Collect's form list once it answers `expected`, or its last answer after five seconds: for a
/// change made in the database, which the server hears of by NOTIFY milliseconds after it commits.
async fn form_list_once(collect: &Collect, expected: StatusCode) -> reqwest::Response {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let r = collect
            .get(&format!("{}/formList", collect.server_url))
            .await;
        if r.status() == expected || std::time::Instant::now() > deadline {
            return r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
