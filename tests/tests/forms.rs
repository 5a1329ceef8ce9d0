//! The forum's forms read back by real readers: the XLSX by calamine (and its styles by unzip), the
//! CSV by the csv crate, the GeoJSON by GDAL's ogrinfo, the PDF by poppler's pdftotext (scripts/setup
//! installs both). Before Kirim they are drafts; after it they come from the snapshot and never change.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use calamine::{Data, Reader, Xlsx};
use reqwest::StatusCode;
use survey_schema::Role;
use tinjau_tests::review::{Review, decide_all, post_kirim, setup, survey};

async fn form(r: &Review, token: &str, file: &str) -> (StatusCode, Vec<u8>, String) {
    let response = r
        .app
        .get_as(
            &format!("/api/v1/kecamatan/31.71.01/forms/{file}?tahun=2026"),
            token,
        )
        .await;
    let status = response.status();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, response.bytes().await.unwrap().to_vec(), kind)
}

fn sheet(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|c| match c {
                    Data::Float(f) => format!("{f}"),
                    Data::Int(i) => i.to_string(),
                    Data::String(s) => s.clone(),
                    Data::Empty => String::new(),
                    other => format!("{other}"),
                })
                .collect()
        })
        .collect()
}

fn write_temp(bytes: &[u8], name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

#[tokio::test]
async fn lampiran_ii_and_iii_as_xlsx_and_csv_carry_the_decisions() {
    let r = setup().await;
    survey(&r, r.ids[0], "260").await;
    decide_all(&r).await;

    let (status, xlsx, kind) = form(&r, &r.camat, "lampiran2.xlsx").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.contains("spreadsheetml"), "{kind}");
    let rows = sheet(&xlsx);
    assert_eq!(
        rows[0][0],
        "LAMPIRAN II : BERITA ACARA KESEPAKATAN HASIL MUSRENBANG KECAMATAN"
    );
    assert_eq!(rows[1][0], "NOMOR : 005/BA-MUSRENBANG/2026");
    assert_eq!(rows[2][0], "TANGGAL : 11 Februari 2026");
    assert_eq!(
        rows[3][0],
        "DAFTAR USULAN KEGIATAN PRIORITAS KECAMATAN MENURUT SKPD/UKPD"
    );
    assert_eq!(
        (rows[4][0].as_str(), rows[5][0].as_str()),
        ("Kecamatan : Gambir", "Tahun : 2026")
    );
    assert!(
        rows[6][0].starts_with("RANCANGAN"),
        "not sent yet: {:?}",
        rows[6]
    );
    assert_eq!(
        rows[7],
        [
            "No",
            "Permasalahan",
            "Program",
            "Usulan Kegiatan",
            "Lokasi",
            "Volume",
            "Satuan",
            "Perkiraan Anggaran",
            "SKPD/UKPD Tujuan"
        ]
    );
    // The form numbers its columns and skips (9).
    assert_eq!(
        rows[8],
        [
            "(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)", "(8)", "(10)"
        ]
    );
    // Groups in alphabetical order: Bina Marga (the corrected paving), then SDA (the drainage).
    assert_eq!(rows[9][1], "Suku Dinas Bina Marga");
    assert_eq!(
        rows[10],
        [
            "1",
            "Jalan rusak",
            "Jalan lingkungan",
            "Pemasangan paving block",
            "Jl. Cideng Barat RT 001/RW 002, Kel. Cideng",
            "260",
            "m2",
            "41600000",
            "Suku Dinas Bina Marga"
        ]
    );
    assert_eq!(
        (rows[11][1].as_str(), rows[11][7].as_str()),
        ("Jumlah Suku Dinas Bina Marga", "41600000")
    );
    assert_eq!(rows[12][1], "Suku Dinas SDA");
    assert_eq!(
        (rows[13][0].as_str(), rows[13][3].as_str()),
        ("1", "Pembangunan saluran drainase")
    );
    assert_eq!(
        (rows[14][1].as_str(), rows[14][7].as_str()),
        ("Jumlah Suku Dinas SDA", "150000000")
    );
    assert_eq!(
        (rows[15][1].as_str(), rows[15][7].as_str()),
        ("JUMLAH TOTAL", "191600000")
    );
    assert!(
        rows.iter()
            .all(|r| r.join(" ") != "Betonisasi jalan Gang Melati"),
        "the rejected proposal is not in Lampiran II"
    );
    // The signature columns close the sheet, with the names and NIPs of the forum record.
    assert_signatures(&rows[16..]);
    let (_dir, path) = write_temp(&xlsx, "l2.xlsx");
    let styles = Command::new("unzip")
        .arg("-p")
        .arg(&path)
        .arg("xl/styles.xml")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&styles.stdout).contains("&quot;Rp &quot;#,##0"),
        "money as Rp #,##0"
    );
    let sheet_xml = Command::new("unzip")
        .arg("-p")
        .arg(&path)
        .arg("xl/worksheets/sheet1.xml")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&sheet_xml.stdout).contains("state=\"frozen\""),
        "frozen header"
    );

    let (_, xlsx3, _) = form(&r, &r.camat, "lampiran3.xlsx").await;
    let rows = sheet(&xlsx3);
    assert_eq!(rows[3][0], "DAFTAR USULAN KEGIATAN YANG BELUM DISEPAKATI");
    assert_eq!(
        rows[7],
        ["No", "Usulan Kegiatan", "Lokasi", "Volume", "Alasan"]
    );
    assert_eq!(rows[8], ["(1)", "(2)", "(3)", "(4)", "(5)"]);
    assert_eq!(
        rows[9],
        [
            "1",
            "Betonisasi jalan Gang Melati",
            "Gg. Melati RT 003/RW 005, Kel. Cideng",
            "150 m2",
            "(f) Sudah dilaksanakan pada tahun sebelumnya. Catatan: Sudah dibeton 2025"
        ]
    );

    let (status, csv2, kind) = form(&r, &r.camat, "lampiran2.csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/csv"));
    let mut reader = csv::Reader::from_reader(csv2.as_slice());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>()[3],
        "Usulan Kegiatan"
    );
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 2);
    assert_eq!((&records[0][5], &records[0][7]), ("260", "41600000"));
    let (_, csv3, _) = form(&r, &r.camat, "lampiran3.csv").await;
    let records: Vec<csv::StringRecord> = csv::Reader::from_reader(csv3.as_slice())
        .records()
        .map(Result::unwrap)
        .collect();
    assert_eq!(records.len(), 1);
    assert_eq!(&records[0][3], "150 m2");
    assert!(records[0][4].starts_with("(f) Sudah dilaksanakan"));
}

/// The Mengetahui and Camat signature columns, with the forum record's names and NIPs.
fn assert_signatures(rows: &[Vec<String>]) {
    let tail = rows
        .iter()
        .map(|r| r.join("|"))
        .collect::<Vec<_>>()
        .join("\n");
    for expected in [
        "Mengetahui,",
        "Kepala Kanppeko/Kab.",
        "(Ir. Budi Hartono, MT)",
        "NIP. 196805121993031002",
        "Ditetapkan di Jakarta, 11 Februari 2026",
        "Camat Gambir",
        "(Drs. Andi Saputra, M.Si)",
        "NIP. 197001011990031001",
    ] {
        assert!(tail.contains(expected), "{expected} not in {tail}");
    }
}

#[tokio::test]
async fn lampiran_i_lists_the_attendance_as_recorded() {
    let r = setup().await;
    let (status, xlsx1, _) = form(&r, &r.camat, "lampiran1.xlsx").await;
    assert_eq!(status, StatusCode::OK);
    let rows = sheet(&xlsx1);
    assert_eq!(
        rows[0][0],
        "LAMPIRAN I : BERITA ACARA KESEPAKATAN HASIL MUSRENBANG KECAMATAN"
    );
    assert_eq!(rows[3][0], "DAFTAR HADIR PESERTA MUSRENBANG KECAMATAN");
    assert_eq!(
        rows[7],
        ["No", "Nama", "Lembaga/instansi", "Alamat", "Tanda Tangan"]
    );
    assert_eq!(rows[8], ["(1)", "(2)", "(3)", "(4)", "(5)"]);
    assert_eq!(
        rows[9][..3],
        ["1", "Siti Rahmawati", "LMK Kelurahan Cideng"]
    );
    let (_, csv1, _) = form(&r, &r.camat, "lampiran1.csv").await;
    let records: Vec<csv::StringRecord> = csv::Reader::from_reader(csv1.as_slice())
        .records()
        .map(Result::unwrap)
        .collect();
    assert_eq!(records.len(), 3);
    assert_eq!(&records[2][1], "Dewi Lestari");
}

#[tokio::test]
async fn the_geojson_opens_in_gdal_as_one_point_layer() {
    let r = setup().await;
    survey(&r, r.ids[0], "260").await;
    let (status, bytes, kind) = form(&r, &r.camat, "usulan.geojson").await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::OK, "application/geo+json")
    );
    let (_dir, path) = write_temp(&bytes, "usulan.geojson");
    let out = Command::new("ogrinfo")
        .args(["-ro", "-al", "-so"])
        .arg(&path)
        .output()
        .expect("ogrinfo (scripts/setup installs gdal-bin)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Geometry: Point"), "{text}");
    assert!(
        text.contains("Feature Count: 4"),
        "3 proposals and 1 survey: {text}"
    );
    for field in [
        "kind: String",
        "decision: String",
        "anomalies: String",
        "anggaran: Integer",
        "accuracy_m: Real",
    ] {
        assert!(text.contains(field), "{field} in {text}");
    }
    let out = Command::new("ogrinfo")
        .args(["-ro", "-al", "-q", "-where", "kind = 'survey'"])
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("POINT (106.8095 -6.1756)"), "{text}");
    assert!(text.contains("VOLUME_DEVIATION"), "{text}");
}

fn pdf_text(bytes: &[u8]) -> String {
    let (_dir, path) = write_temp(bytes, "ba.pdf");
    let out = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (scripts/setup installs poppler-utils)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn the_berita_acara_is_one_a4_pdf_with_both_lampiran_and_the_audit_head_once_sent() {
    let r = setup().await;
    survey(&r, r.ids[0], "260").await;
    decide_all(&r).await;
    let (status, draft, kind) = form(&r, &r.camat, "berita-acara.pdf").await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "application/pdf"));
    assert!(draft.starts_with(b"%PDF"));
    let text = pdf_text(&draft);
    for expected in ["RANCANGAN", "Halaman 1 dari", "Pemasangan paving block"] {
        assert!(text.contains(expected), "{expected} not in:\n{text}");
    }
    assert!(!text.contains("Log audit"), "a draft has no audit entry");

    let (status, sent) = post_kirim(&r, &r.camat).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, signed, _) = form(&r, &r.camat, "berita-acara.pdf").await;
    let text = pdf_text(&signed);
    let head = format!(
        "Log audit #{}: {}",
        sent["audit_seq"],
        sent["audit_hash"].as_str().unwrap()
    );
    assert!(text.contains(&head), "{head} not in:\n{text}");
    assert!(!text.contains("RANCANGAN"), "{text}");
    // Once the sequencer has made the Kirim's entry a leaf (about a second), the Berita Acara also
    // prints the signed head that holds it, which anyone can ask the proof against.
    let proof_path = format!("/api/v1/audit/entries/{}/proof", sent["audit_seq"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let proof: serde_json::Value = loop {
        let response = r.app.get(&proof_path).await;
        if response.status() == StatusCode::OK {
            break response.json().await.unwrap();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the Kirim's entry never became a leaf"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let (_, signed, _) = form(&r, &r.camat, "berita-acara.pdf").await;
    let text = pdf_text(&signed)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let key = proof["head"]["key_id"].as_str().unwrap();
    assert!(
        text.contains("Kepala log: pohon") && text.contains(&format!("kunci {key}")),
        "no signed head in:\n{text}"
    );
    // The guideline's clauses, in its order.
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut from = 0;
    for expected in [
        "BERITA ACARA",
        "HASIL KESEPAKATAN MUSRENBANG KECAMATAN GAMBIR",
        "KOTA/KAB. JAKARTA PUSAT TAHUN 2026",
        "Nomor : 005/BA-MUSRENBANG/2026",
        "Pada hari Selasa tanggal 10 sampai dengan tanggal 11 bulan Februari tahun 2026 bertempat di Aula Kantor Kecamatan Gambir",
        "Setelah memperhatikan, mendengar dan mempertimbangkan:",
        "Camat Gambir",
        "Anggota DPRD Provinsi DKI Jakarta",
        "Arah kebijakan pembangunan kota 2027, oleh Kanppeko Jakarta Pusat",
        "Tanggapan dan saran dari seluruh peserta",
        "09.00 s.d. 13.00 WIB",
        "MENYEPAKATI",
        "KESATU",
        "LAMPIRAN II berita acara ini",
        "KEDUA",
        "LAMPIRAN III berita acara ini",
        "KETIGA",
        "(RKPD) Kota Administrasi Jakarta Pusat Tahun 2027",
        "KEEMPAT",
        "Siti Rahmawati (LMK Kelurahan Cideng)",
        "Joko Widagdo (RW 02 Kelurahan Cideng)",
        "Demikian berita acara ini dibuat dan disahkan",
        "Ditetapkan di Jakarta, 11 Februari 2026",
        "Mewakili peserta Musrenbang Kecamatan",
        "Dewi Lestari",
        "Catatan: Minimal satu orang perwakilan per lembaga/instansi",
        "Tembusan :",
        "Walikota Administrasi Jakarta Pusat",
        "LAMPIRAN I : BERITA ACARA KESEPAKATAN HASIL MUSRENBANG KECAMATAN",
        "NOMOR : 005/BA-MUSRENBANG/2026",
        "DAFTAR HADIR PESERTA MUSRENBANG KECAMATAN",
        "LAMPIRAN II : BERITA ACARA KESEPAKATAN HASIL MUSRENBANG KECAMATAN",
        "NOMOR : 005/BA-MUSRENBANG/2026",
        "DAFTAR USULAN KEGIATAN PRIORITAS KECAMATAN MENURUT SKPD/UKPD",
        "Suku Dinas Bina Marga",
        "Pemasangan paving block",
        "Rp 41.600.000",
        "JUMLAH TOTAL",
        "Rp 191.600.000",
        "LAMPIRAN III : BERITA ACARA KESEPAKATAN HASIL MUSRENBANG KECAMATAN",
        "NOMOR : 005/BA-MUSRENBANG/2026",
        "DAFTAR USULAN KEGIATAN YANG BELUM DISEPAKATI",
        "Sudah dilaksanakan pada tahun sebelumnya",
    ] {
        let at = flat[from..]
            .find(expected)
            .unwrap_or_else(|| panic!("{expected} not after position {from} in:\n{flat}"));
        from += at + expected.len();
    }
    for official in [
        "Kepala Kanppeko/Kab.",
        "(Ir. Budi Hartono, MT)",
        "NIP. 196805121993031002",
        "(Drs. Andi Saputra, M.Si)",
        "NIP. 197001011990031001",
        "Halaman 1 dari",
    ] {
        assert!(flat.contains(official), "{official} not in:\n{flat}");
    }
    // Each lampiran ends with the two signature columns.
    assert_eq!(flat.matches("NIP. 196805121993031002").count(), 4, "{flat}");
    let info = Command::new("pdfinfo")
        .arg(write_temp(&signed, "s.pdf").1)
        .output();
    if let Ok(info) = info {
        let info = String::from_utf8_lossy(&info.stdout).into_owned();
        assert!(
            info.contains("595.276 x 841.89") || info.contains("A4"),
            "A4 pages: {info}"
        );
    }
}

#[tokio::test]
async fn after_kirim_the_forms_come_from_the_snapshot_and_never_change() {
    let r = setup().await;
    decide_all(&r).await;
    let (status, sent) = post_kirim(&r, &r.camat).await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let (_, before, _) = form(&r, &r.camat, "lampiran2.xlsx").await;
    let rows = sheet(&before);
    assert!(
        rows[6][0].starts_with("Dikirim")
            && rows[6][0].contains(sent["audit_hash"].as_str().unwrap()),
        "{:?}",
        rows[6]
    );
    let (_, csv_before, _) = form(&r, &r.camat, "lampiran2.csv").await;

    // Behind the application's back the stored proposal changes: the sent forms do not.
    sqlx::query(
        "UPDATE proposal SET usulan = 'DIUBAH', anggaran = 1 WHERE kecamatan_kode = '31.71.01'",
    )
    .execute(&r.app.pool)
    .await
    .unwrap();
    let (_, csv_after, _) = form(&r, &r.camat, "lampiran2.csv").await;
    assert_eq!(csv_after, csv_before);
    let (_, after, _) = form(&r, &r.camat, "lampiran2.xlsx").await;
    assert_eq!(sheet(&after), rows);
}

#[tokio::test]
async fn forms_are_scoped_and_unknown_ones_are_404() {
    let r = setup().await;
    let other = r.app.token_for(Role::Camat, Some("31.71.02")).await;
    let lurah = r.app.token_for(Role::Lurah, Some("31.71.01.1002")).await;
    let surveyor = r.app.token_for(Role::Surveyor, Some("31.71.01")).await;
    let opd = r.app.token_for(Role::Opd, Some("31.71")).await;
    for token in [&other, &lurah, &surveyor] {
        assert_eq!(
            form(&r, token, "lampiran2.csv").await.0,
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(form(&r, &opd, "lampiran2.csv").await.0, StatusCode::OK);
    let (status, body, _) = form(&r, &r.camat, "lampiran9.docx").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(String::from_utf8_lossy(&body).contains("lampiran2.xlsx"));
}
