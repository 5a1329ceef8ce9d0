//! What real phones write, read as Tinjau reads it: every photo of the public test corpora that
//! `scripts/photo-corpus` fetches (pillow_heif's HEICs from iPhones, Samsung and Xiaomi phones, and
//! libheif's edge cases; piexif's JPEGs from real cameras) yields the GPS position an independent
//! reader finds in it (`data/photos/corpus.tsv`, made with ExifRead), and every HEIC gets a
//! thumbnail or an honest `PHOTO_UNREADABLE`, also through the OpenRosa path a phone uses.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use survey_schema::Role;
use tinjau_tests::collect::Collect;
use tinjau_tests::{Fixture, data, repo_root, spawn_app_with_settings};

fn corpus() -> PathBuf {
    let out = std::process::Command::new(repo_root().join("scripts/photo-corpus"))
        .output()
        .expect("running scripts/photo-corpus");
    assert!(
        out.status.success(),
        "scripts/photo-corpus failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// file → the position ExifRead finds, if any.
fn expected() -> BTreeMap<String, Option<(f64, f64)>> {
    let text = std::fs::read_to_string(data("photos/corpus.tsv")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("file\t"))
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            let position = match (cols[2], cols[3]) {
                ("", "") => None,
                (lat, lon) => Some((lat.parse().unwrap(), lon.parse().unwrap())),
            };
            (cols[0].to_owned(), position)
        })
        .collect()
}

/// The picture files of the corpus (its notes and licences aside).
const IMAGE_EXTENSIONS: [&str; 9] = [
    "jpg", "jpeg", "heic", "heif", "hif", "tif", "tiff", "png", "webp",
];

fn files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if name.starts_with("download") {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| {
                let x = x.to_string_lossy().to_ascii_lowercase();
                IMAGE_EXTENSIONS.contains(&x.as_str())
            }) {
                out.push(name);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_corpus_photo_that_carries_a_gps_position_yields_it() {
    let root = corpus();
    let expected = expected();
    let found = files(&root);
    assert_eq!(
        found,
        expected.keys().cloned().collect::<Vec<_>>(),
        "data/photos/corpus.tsv lists exactly the corpus"
    );
    let mut with_gps = 0;
    for (file, position) in &expected {
        let read = tinjau_workflows::photo::read_exif(&root.join(file));
        let ours = read
            .as_ref()
            .ok()
            .and_then(Option::as_ref)
            .and_then(|s| s.gps_lat.zip(s.gps_lon));
        match (position, ours) {
            (Some((lat, lon)), Some((our_lat, our_lon))) => {
                with_gps += 1;
                assert!(
                    (lat - our_lat).abs() < 1e-6 && (lon - our_lon).abs() < 1e-6,
                    "{file}: ExifRead {lat}, {lon}; Tinjau {our_lat}, {our_lon}"
                );
            }
            (None, None) => {}
            (expected, ours) => panic!("{file}: ExifRead {expected:?}, Tinjau {ours:?} ({read:?})"),
        }
    }
    assert_eq!(
        with_gps, 5,
        "pug (iPhone 13 Pro), empty_icc (iPhone XS), aux_YCbCr (Galaxy S25 Ultra), xiaomi, spatial_photo"
    );
}

#[test]
fn every_heic_gets_a_thumbnail_or_an_honest_unreadable() {
    let root = corpus();
    let mut thumbnails = Vec::new();
    let mut unreadable = Vec::new();
    for file in files(&root) {
        let path = root.join(&file);
        let mut head = [0u8; 16];
        let Ok(()) = std::io::Read::read_exact(&mut std::fs::File::open(&path).unwrap(), &mut head)
        else {
            continue;
        };
        if tinjau_workflows::photo::sniff(&head) != Some("image/heic") {
            continue;
        }
        let (processed, thumbnail) = tinjau_workflows::processing::render(&path, None);
        match (&thumbnail, &processed.decode_error) {
            (Some(jpeg), None) => {
                assert!(jpeg.starts_with(&[0xFF, 0xD8]), "{file}: a JPEG thumbnail");
                assert!(
                    processed.phash.is_some(),
                    "{file}: a perceptual hash for reuse checks"
                );
                thumbnails.push(file);
            }
            (None, Some(why)) => {
                assert!(!why.is_empty());
                unreadable.push((file, why.clone()));
            }
            other => panic!("{file}: neither a thumbnail nor a reason: {other:?}"),
        }
    }
    for phone in [
        "heif_other/pug.heic",
        "heif_other/arrow.heic",
        "heif_special/xiaomi.heic",
        "heif_special/aux_YCbCr.heic",
    ] {
        assert!(
            thumbnails.iter().any(|t| t.ends_with(phone)),
            "{phone} (a real phone's photo) has a thumbnail; unreadable: {unreadable:?}"
        );
    }
    let bomb = unreadable
        .iter()
        .find(|(f, _)| f.ends_with("200MP.heic"))
        .expect("the 200-megapixel photo is not decoded");
    assert!(bomb.1.contains("megapixels"), "{}", bomb.1);
    assert!(
        unreadable
            .iter()
            .any(|(f, _)| f.ends_with("heif_corrupted/corrupted.heic")),
        "{unreadable:?}"
    );
    println!(
        "{} HEIC files: {} with a thumbnail, {} unreadable: {unreadable:#?}",
        thumbnails.len() + unreadable.len(),
        thumbnails.len(),
        unreadable.len()
    );
}

#[tokio::test]
async fn an_iphone_heic_sent_from_collect_gets_its_position_and_thumbnail_and_a_broken_one_is_flagged()
 {
    let root = corpus();
    let app = spawn_app_with_settings(Fixture::Reference, |_| {}).await;
    let ids = app
        .import_proposals(
            "No;Usulan Kegiatan;Kode Kelurahan;Volume;Satuan;Perkiraan Anggaran;Latitude;Longitude\n1;Pemasangan paving block;31.71.01.1002;200;m2;Rp 32.000.000;-6.1756;106.8095\n",
            2026,
        )
        .await;
    let token = app.token_for(Role::Surveyor, Some("31.71.01")).await;
    let collect = Collect::new(&app.url(&format!("/v1/key/{token}/projects/31.71.01")));
    let id = uuid::Uuid::new_v4();
    let xml = format!(
        "<?xml version='1.0' encoding='UTF-8' ?><data id=\"tinjau_survei\" version=\"2026120301\"><end>2026-12-03T03:15:00.000Z</end><proposal>{}</proposal><lokasi>-6.1762 106.8095 12 4.5</lokasi><jejak>tidak</jejak><alamat_sesuai>ya</alamat_sesuai><teknis_layak>ya</teknis_layak><administrasi_layak>ya</administrasi_layak><volume>200</volume><satuan>m2</satuan><foto1>1.heic</foto1><foto2>2.heic</foto2><meta><instanceID>uuid:{id}</instanceID></meta></data>",
        ids[0]
    );
    let pug = std::fs::read(root.join("pillow_heif/heif_other/pug.heic")).unwrap();
    let broken = std::fs::read(root.join("pillow_heif/heif_corrupted/corrupted.heic")).unwrap();
    let posted = collect
        .submit(
            xml.as_bytes(),
            "i.xml",
            &[("1.heic".into(), pug.clone()), ("2.heic".into(), broken)],
            10_000_000,
        )
        .await;
    assert_eq!(posted[0].status, StatusCode::CREATED, "{}", posted[0].body);

    let view = app.survey_when_read(&token, &id.to_string()).await;
    let codes: Vec<&str> = view["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"PHOTO_UNREADABLE"), "{codes:?}");
    // The iPhone's EXIF puts it in Crimea, far from Gambir: read, and flagged as far.
    assert!(codes.contains(&"PHOTO_GPS_FAR"), "{codes:?}");
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&pug));
    let thumb = app
        .get_as(
            &format!("/api/v1/surveys/{id}/photos/{sha}/thumbnail"),
            &token,
        )
        .await;
    assert_eq!(thumb.status(), StatusCode::OK);
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");
    let jpeg = thumb.bytes().await.unwrap();
    let picture = image::load_from_memory(&jpeg).unwrap();
    assert!(picture.width() <= 320 && picture.height() <= 320 && picture.width() > 100);
}
