//! Proposals, price standards and the checks, against real PostGIS with the real reference data
//! (wilayah, Jakarta boundaries, the Pangandaran SSH 2023).

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::Value;
use tinjau_tests::{TestApp, data, spawn_app_with_reference_data};
use tinjau_workflows::import::ImportError;
use tinjau_workflows::import::proposals::{ProposalImportOptions, ProposalSummary, import};

const MESSY: &str = "\
BERITA ACARA MUSRENBANG KECAMATAN GAMBIR;;;;;;;;;;;
Lampiran II;;;;;;;;;;;
No;Permasalahan;Program;Usulan Kegiatan;Lokasi;Kelurahan;RW;RT;Volume;Satuan;Perkiraan Anggaran (Rp);SKPD/UKPD Tujuan
1;Jalan rusak;Infrastruktur;Pemasangan Paving Block;Jl. Cideng Barat;Kel. Cideng;03;001;250;M2;Rp 45.000.000,00;Sudin SDA
2;Banjir;Infrastruktur;Pembangunan Saluran U-Ditch;Jl. Tanah Abang II;Petojo Selatan;02;005;120 m';;Rp 110.000.000;Sudin SDA
3;Gelap;Infrastruktur;Pemasangan PJU;Gg. Mawar;Kebon Klapa;01;002;8;titik;Rp. 46.400.000,-;Sudin Bina Marga
4;Banjir;Infrastruktur;Normalisasi saluran;Jl. Abc;Atlantis;01;001;50;m;Rp 10.000.000;Sudin SDA
5;Rusak;Infrastruktur;Perbaikan jalan;Jl. X;Gambir;04;;abc;m2;Rp 10.000.000;Sudin BM
6;-;Ekonomi;Pelatihan menjahit;Balai warga;Duri Pulo;05;003;1;paket;Rp 15.000.000;Sudin PPKUKM
";

/// kelurahan, volume, satuan, unit, anggaran, activity of a stored proposal.
type Stored = (String, Decimal, String, Option<String>, i64, Option<String>);

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn options(tahun: i32) -> ProposalImportOptions {
    ProposalImportOptions {
        tahun,
        scope: Some("31.71".parse().unwrap()),
        ..ProposalImportOptions::default()
    }
}

async fn proposal_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM proposal")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// Imports, then runs the checks as the CLI does.
async fn import_and_check(
    app: &TestApp,
    path: &Path,
    options: &ProposalImportOptions,
) -> ProposalSummary {
    let summary = import(&app.pool, path, options).await.unwrap();
    let index = tinjau_workflows::locator::load(&app.pool).await.unwrap();
    let recheck =
        tinjau_workflows::analysis::SurveyRecheck::OfProposals(summary.updated_ids.clone());
    tinjau_workflows::analysis::recompute(&app.pool, &index, recheck)
        .await
        .unwrap();
    summary
}

async fn get_json(app: &TestApp, path: &str) -> (StatusCode, Value) {
    let response = app.get_as(path, tinjau_tests::ADMIN_TOKEN).await;
    (response.status(), response.json().await.unwrap())
}

#[tokio::test]
async fn the_real_ssh_file_imports_and_reimports_unchanged() {
    let app = spawn_app_with_reference_data().await;
    // The fixture imported it once already.
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM price_item WHERE region_kode = '32.18' AND tahun = 2023",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(count, 10_708);
    let region = "32.18".parse().unwrap();
    let again = tinjau_workflows::import::prices::import(
        &app.pool,
        &data("prices/ssh_pangandaran_2023.csv"),
        &region,
        2023,
    )
    .await
    .unwrap();
    assert_eq!(
        (
            again.counts.inserted,
            again.counts.updated,
            again.counts.unchanged
        ),
        (0, 0, 10_708)
    );
    assert_eq!(again.source, "ssh");
    assert_eq!(
        again.rounded, 88,
        "medicine prices written with sen are rounded"
    );
    let (harga, unit): (i64, Option<String>) = sqlx::query_as(
        "SELECT harga, unit FROM price_item WHERE external_id = '1020' AND region_kode = '32.18'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(harga > 0);
    assert!(unit.is_some());
}

#[tokio::test]
async fn a_messy_file_is_refused_whole_naming_every_bad_row() {
    let app = spawn_app_with_reference_data().await;
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "gambir.csv", MESSY.as_bytes());
    let err = import(&app.pool, &path, &options(2026)).await.unwrap_err();
    let ImportError::Rows { problems, .. } = &err else {
        panic!("{err}")
    };
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "row 7, column Kelurahan: no kelurahan/desa named 'Atlantis'",
            "row 8, column Volume: 'abc' is not a number",
        ]
    );
    assert_eq!(proposal_count(&app).await, 0, "nothing imported");
}

#[tokio::test]
async fn skip_invalid_imports_the_good_rows_and_writes_the_rejected_ones_with_reasons() {
    let app = spawn_app_with_reference_data().await;
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "gambir.csv", MESSY.as_bytes());
    let rejected = dir.path().join("rejected.csv");
    let mut opts = options(2026);
    opts.skip_invalid = true;
    opts.rejected_path = Some(rejected.clone());
    let summary = import_and_check(&app, &path, &opts).await;
    assert_eq!((summary.counts.inserted, summary.rejected.len()), (4, 2));
    assert_eq!(summary.unknown_activities, 1);
    assert_eq!(summary.fuzzy_matches.len(), 1);
    assert!(
        summary.fuzzy_matches[0].contains("'Kebon Klapa' matched 31.71.01.1005 Kebon Kelapa"),
        "{:?}",
        summary.fuzzy_matches
    );

    let mut reader = csv::Reader::from_path(&rejected).unwrap();
    let headers = reader.headers().unwrap().clone();
    assert_eq!(headers.get(0), Some("row"));
    assert_eq!(headers.iter().next_back(), Some("alasan"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].get(0), Some("7"));
    assert!(rows[0].iter().next_back().unwrap().contains("Atlantis"));

    // Every good row is there, exactly as written the Indonesian way.
    let rows: Vec<Stored> = sqlx::query_as(
        "SELECT kelurahan_kode, volume, satuan_raw, unit, anggaran, activity_code FROM proposal ORDER BY source_row",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let decimal = |s: &str| s.parse::<Decimal>().unwrap();
    assert_eq!(
        rows[0],
        (
            "31.71.01.1002".into(),
            decimal("250"),
            "M2".into(),
            Some("m2".into()),
            45_000_000,
            Some("paving_block".into())
        )
    );
    assert_eq!(
        rows[1],
        (
            "31.71.01.1004".into(),
            decimal("120"),
            "m'".into(),
            Some("m".into()),
            110_000_000,
            Some("u_ditch".into())
        )
    );
    assert_eq!(rows[2].3.as_deref(), Some("unit"));
    assert_eq!(rows[3].5, None, "an unknown activity is kept");

    // Re-importing the same file changes nothing.
    let again = import(&app.pool, &path, &opts).await.unwrap();
    assert_eq!(
        (
            again.counts.inserted,
            again.counts.updated,
            again.counts.unchanged
        ),
        (0, 0, 4)
    );
    assert_eq!(proposal_count(&app).await, 4);
}

#[tokio::test]
async fn an_xlsx_with_sipd_columns_and_typed_numbers_imports_exactly() {
    let app = spawn_app_with_reference_data().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sipd.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let headers = [
        "Usulan",
        "Permasalahan",
        "Alamat",
        "Desa/Kelurahan",
        "Kecamatan",
        "SKPD Tujuan",
        "Koefisien",
        "Satuan",
        "Anggaran",
        "Status",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet
            .write_string(0, u16::try_from(c).unwrap(), *h)
            .unwrap();
    }
    let row: [(&str, Option<f64>); 10] = [
        ("Pembangunan saluran drainase", None),
        ("Genangan", None),
        ("Jl. Kramat Sentiong RT 002 RW 003", None),
        ("Kenari", None),
        ("Senen", None),
        ("Suku Dinas Sumber Daya Air", None),
        ("", Some(12.5)),
        ("meter", None),
        ("", Some(10_937_500.0)),
        ("Disetujui", None),
    ];
    for (c, (text, number)) in row.iter().enumerate() {
        let c = u16::try_from(c).unwrap();
        match number {
            Some(n) => sheet.write_number(1, c, *n).unwrap(),
            None => sheet.write_string(1, c, *text).unwrap(),
        };
    }
    workbook.save(&path).unwrap();

    let summary = import(
        &app.pool,
        &path,
        &ProposalImportOptions {
            tahun: 2026,
            ..ProposalImportOptions::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(summary.counts.inserted, 1, "{summary:?}");
    let (kode, volume, anggaran, status): (String, Decimal, i64, String) =
        sqlx::query_as("SELECT kelurahan_kode, volume, anggaran, status FROM proposal")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(kode, "31.71.04.1002", "Kenari in kecamatan Senen");
    assert_eq!(volume, "12.5".parse::<Decimal>().unwrap());
    assert_eq!(anggaran, 10_937_500);
    assert_eq!(status, "disetujui");
}

#[tokio::test]
async fn a_file_without_the_needed_columns_is_refused() {
    let app = spawn_app_with_reference_data().await;
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "x.csv",
        b"No,Usulan Kegiatan,Lokasi\n1,Paving,Jl. A\n",
    );
    let err = import(&app.pool, &path, &options(2026))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("missing column(s) Kelurahan (kode or name), Volume, Perkiraan Anggaran"),
        "{err}"
    );
    let path = write(dir.path(), "y.csv", b"just,some,text\n1,2,3\n");
    let err = import(&app.pool, &path, &options(2026))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("no header row"), "{err}");
    assert_eq!(proposal_count(&app).await, 0);
}

const CLEAN_AND_COSTLY: &str = "\
No;Usulan Kegiatan;Lokasi;Kode Kelurahan;RW;RT;Volume;Satuan;Perkiraan Anggaran;Latitude;Longitude
1;Pemasangan paving block Jl. Cideng Timur;Jl. Cideng Timur;31.71.01.1002;01;001;200;m2;Rp 32.000.000;-6.175603;106.809537
2;Pemasangan paving block Jl. Mawar;Jl. Mawar;31.71.01.1002;02;004;100;m2;Rp 60.000.000;;
3;Pemasangan lampu PJU Gg. Melati;Gg. Melati;31.71.01.1001;03;002;5;titik;Rp 29.000.000;-6.2250;106.8450
";

#[tokio::test]
async fn a_clean_proposal_raises_nothing_and_the_others_are_explained() {
    let app = spawn_app_with_reference_data().await;
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "clean.csv", CLEAN_AND_COSTLY.as_bytes());
    import_and_check(&app, &path, &options(2026)).await;

    let (status, page) = get_json(
        &app,
        "/api/v1/proposals?kecamatan=31.71.01&tahun=2026&sort=id",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 3);
    let items = page["items"].as_array().unwrap();
    // 1: Rp 160,000/m2 against Pangandaran's paving (Rp 63,373/m2 x 2.5): plausible, no anomaly.
    assert_eq!(items[0]["anomalies"], serde_json::json!([]), "{}", items[0]);
    assert_eq!(items[0]["max_severity"], Value::Null);
    assert_eq!(items[0]["unit_cost"], 160_000);
    // 2: Rp 600,000/m2: far above the standard, with the numbers behind it.
    let above = &items[1]["anomalies"][0];
    assert_eq!(above["code"], "COST_ABOVE_STANDARD");
    assert_eq!(above["severity"], "high");
    assert_eq!(above["details"]["unit_cost_rupiah"], 600_000);
    assert_eq!(above["details"]["standard_rupiah"], 158_433);
    assert!(
        above["details"]["standard_source"]
            .as_str()
            .unwrap()
            .contains("another region")
    );
    // Jakarta has no standard of its own here: the finding says whose it borrowed, in both languages.
    let region = above["details"]["standard_from_elsewhere"]
        .as_str()
        .unwrap();
    assert!(region.contains("(32.18)"), "{region}");
    for lang in ["id", "en"] {
        let said = above["message"][lang].as_str().unwrap();
        assert!(said.contains(region), "{lang}: {said}");
    }
    assert!(
        above["message"]["id"]
            .as_str()
            .unwrap()
            .contains("dipinjam dari")
    );
    assert!(
        above["message"]["id"]
            .as_str()
            .unwrap()
            .contains("Rp 600.000/m2")
    );
    // 3: the pin lies in Jakarta Selatan, not in the claimed Gambir.
    let codes: Vec<&str> = items[2]["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["LOCATION_OTHER_KELURAHAN"]);
    assert_eq!(items[2]["anomalies"][0]["details"]["kode"], "31.74.01.1003");
}

#[tokio::test]
async fn the_list_filters_sorts_pages_and_refuses_bad_parameters() {
    let app = spawn_app_with_reference_data().await;
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "clean.csv", CLEAN_AND_COSTLY.as_bytes());
    import_and_check(&app, &path, &options(2026)).await;

    let (_, page) = get_json(&app, "/api/v1/proposals?kecamatan=31.71.01").await;
    let ids: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        page["items"][0]["max_severity"], "high",
        "most serious first"
    );
    assert_eq!(page["items"][2]["max_severity"], Value::Null);
    let (_, only) = get_json(
        &app,
        "/api/v1/proposals?kecamatan=31.71.01&anomaly=COST_ABOVE_STANDARD",
    )
    .await;
    assert_eq!(only["total"], 1);
    let (_, none) = get_json(&app, "/api/v1/proposals?kecamatan=31.71.01&anomaly=none").await;
    assert_eq!(none["total"], 1);
    let (_, paged) = get_json(
        &app,
        "/api/v1/proposals?kecamatan=31.71.01&per_page=2&page=2",
    )
    .await;
    assert_eq!(
        (
            paged["total"].as_i64(),
            paged["items"].as_array().unwrap().len()
        ),
        (Some(3), 1)
    );
    let (_, elsewhere) = get_json(&app, "/api/v1/proposals?kecamatan=31.71.02").await;
    assert_eq!(elsewhere["total"], 0);

    let (status, one) = get_json(&app, &format!("/api/v1/proposals/{}", ids[0])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["id"], ids[0]);
    for (path, status, code) in [
        (
            "/api/v1/proposals/999999",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "/api/v1/proposals/abc",
            StatusCode::BAD_REQUEST,
            "invalid_id",
        ),
        (
            "/api/v1/proposals",
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/api/v1/proposals?kecamatan=31.7",
            StatusCode::BAD_REQUEST,
            "invalid_kode",
        ),
        (
            "/api/v1/proposals?kecamatan=31.71.01&sort=random",
            StatusCode::BAD_REQUEST,
            "invalid_sort",
        ),
        (
            "/api/v1/proposals?kecamatan=31.71.01&per_page=500",
            StatusCode::BAD_REQUEST,
            "invalid_page",
        ),
        (
            "/api/v1/proposals?kecamatan=31.71.01&page=0",
            StatusCode::BAD_REQUEST,
            "invalid_page",
        ),
    ] {
        let (got, body) = get_json(&app, path).await;
        assert_eq!(
            (got, body["code"].as_str()),
            (status, Some(code)),
            "{path}: {body}"
        );
    }
}

/// The synthetic demo set: every kind of planted anomaly is found, and little else.
#[tokio::test]
async fn the_planted_anomalies_of_the_synthetic_demo_are_found() {
    let app = spawn_app_with_reference_data().await;
    let dir = tempfile::tempdir().unwrap();
    let index = tinjau_workflows::locator::load(&app.pool).await.unwrap();
    let spec = tinjau_devtools::demo::DemoSpec {
        tahun: 2026,
        count: 500,
        earlier_count: 150,
        seed: 11,
        planted_share: 0.12,
    };
    let [earlier, current, planted] =
        tinjau_devtools::demo::generate(&app.pool, &index, dir.path(), &spec)
            .await
            .unwrap();
    import(
        &app.pool,
        &earlier,
        &ProposalImportOptions {
            tahun: 2025,
            ..ProposalImportOptions::default()
        },
    )
    .await
    .unwrap();
    import_and_check(
        &app,
        &current,
        &ProposalImportOptions {
            tahun: 2026,
            ..ProposalImportOptions::default()
        },
    )
    .await;

    let eval = tinjau_devtools::demo::evaluate(&app.pool, 2026, &planted)
        .await
        .unwrap();
    assert_eq!(eval.recall.len(), 6, "{eval:?}");
    for (kind, (n, found)) in &eval.recall {
        assert!(
            *n >= 5 && *found * 10 >= *n * 9,
            "{kind}: found {found} of {n}"
        );
    }
    assert!(
        eval.flagged_planted * 10 >= eval.flagged * 9,
        "precision: {eval:?}"
    );
    assert!(
        eval.clean_without_anomaly * 20 >= eval.clean * 19,
        "clean proposals: {eval:?}"
    );
}

async fn post_import(
    app: &TestApp,
    query: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let mut request = app
        .client
        .post(app.url(&format!("/api/v1/admin/proposals/import?{query}")))
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

#[tokio::test]
async fn the_admin_endpoint_imports_with_the_token_only_and_safely_twice() {
    let app = spawn_app_with_reference_data().await;
    let body = CLEAN_AND_COSTLY.as_bytes().to_vec();
    let (status, err) = post_import(&app, "tahun=2026", None, body.clone()).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    let (status, _) = post_import(&app, "tahun=2026", Some("wrong"), body.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(proposal_count(&app).await, 0);

    let token = Some(tinjau_tests::ADMIN_TOKEN);
    let (status, report) = post_import(&app, "tahun=2026", token, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["inserted"], 3);
    assert_eq!(report["anomalies_by_code"]["COST_ABOVE_STANDARD"], 1);
    let (_, again) = post_import(&app, "tahun=2026", token, body).await;
    assert_eq!(
        (again["inserted"].as_i64(), again["unchanged"].as_i64()),
        (Some(0), Some(3))
    );

    let (status, err) = post_import(&app, "tahun=2026", token, MESSY.as_bytes().to_vec()).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_file"))
    );
    assert!(
        err["message"]["en"]
            .as_str()
            .unwrap()
            .contains("row 7, column Kelurahan")
    );
    assert_eq!(
        proposal_count(&app).await,
        3,
        "a refused file changes nothing"
    );

    let (status, report) = post_import(
        &app,
        "tahun=2026&skip_invalid=true&wilayah=31.71.01",
        token,
        MESSY.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["rejected"].as_array().unwrap().len(), 2);
    assert!(report["rejected_csv"].as_str().unwrap().contains("alasan"));

    let (status, err) = post_import(
        &app,
        "tahun=2026",
        token,
        vec![b'x'; tinjau_http::routes::admin::MAX_IMPORT_BYTES + 1],
    )
    .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large"))
    );
    let (status, err) = post_import(&app, "tahun=abc", token, Vec::new()).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_query"))
    );
}

#[tokio::test]
async fn without_a_configured_admin_token_only_admin_users_import() {
    let app = tinjau_tests::spawn_app_with_settings(tinjau_tests::Fixture::Reference, |s| {
        s.admin_token = None;
    })
    .await;
    let body = CLEAN_AND_COSTLY.as_bytes().to_vec();
    let (status, _) = post_import(
        &app,
        "tahun=2026",
        Some(tinjau_tests::ADMIN_TOKEN),
        body.clone(),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the bootstrap token is off"
    );
    let admin = app.token_for(survey_schema::Role::Admin, None).await;
    let (status, report) = post_import(&app, "tahun=2026", Some(&admin), body).await;
    assert_eq!(
        (status, report["inserted"].as_i64()),
        (StatusCode::OK, Some(3))
    );
}

#[tokio::test]
async fn a_catalogue_edit_recognises_what_was_unknown_and_is_checked_again() {
    let app = spawn_app_with_reference_data().await;
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "gambir.csv", MESSY.as_bytes());
    let mut opts = options(2026);
    opts.skip_invalid = true;
    import_and_check(&app, &path, &opts).await;
    let (_, unknown) = get_json(
        &app,
        "/api/v1/proposals?kecamatan=31.71.01&anomaly=ACTIVITY_UNKNOWN",
    )
    .await;
    assert_eq!(unknown["total"], 1);

    let mut exported = Vec::new();
    tinjau_workflows::import::catalogue::export(&app.pool, &mut exported)
        .await
        .unwrap();
    let mut catalogue = String::from_utf8(exported).unwrap();
    assert!(catalogue.starts_with("code,nama,keywords,unit,"));
    catalogue.push_str("pelatihan,Pelatihan keterampilan,pelatihan;penyuluhan,ls,,,,,1\n");
    let edited = write(dir.path(), "catalogue.csv", catalogue.as_bytes());
    let counts = tinjau_workflows::import::catalogue::import(&app.pool, &edited)
        .await
        .unwrap();
    assert_eq!(counts.updated, 1, "only the new row changes anything");
    let index = tinjau_workflows::locator::load(&app.pool).await.unwrap();
    let recheck = tinjau_workflows::analysis::SurveyRecheck::None;
    tinjau_workflows::analysis::recompute(&app.pool, &index, recheck)
        .await
        .unwrap();
    let (_, unknown) = get_json(
        &app,
        "/api/v1/proposals?kecamatan=31.71.01&anomaly=ACTIVITY_UNKNOWN",
    )
    .await;
    assert_eq!(unknown["total"], 0);

    let bad = write(dir.path(), "bad.csv", b"code,nama,keywords,unit,volume_min,volume_max,price_pattern,price_unit,work_factor\nBad Code,X,,furlong,abc,,,,0\n");
    let err = tinjau_workflows::import::catalogue::import(&app.pool, &bad)
        .await
        .unwrap_err()
        .to_string();
    for expected in [
        "column code",
        "column keywords",
        "column unit",
        "column volume_min",
    ] {
        assert!(err.contains(expected), "{expected}: {err}");
    }
}

#[tokio::test]
async fn a_loosely_spelled_kelurahan_is_taken_from_the_pin_its_polygon_holds() {
    let app = spawn_app_with_reference_data().await;
    let dir = tempfile::tempdir().unwrap();
    // "Sideng" for Cideng (31.71.01.1002): too far for a name alone (similarity 0.89 < 0.92).
    let header =
        "No;Usulan Kegiatan;Kelurahan;Volume;Satuan;Perkiraan Anggaran;Latitude;Longitude\n";
    let without_pin = write(
        dir.path(),
        "a.csv",
        format!("{header}1;Pemasangan paving block;Sideng;200;m2;Rp 32.000.000;;\n").as_bytes(),
    );
    let err = import(&app.pool, &without_pin, &options(2026))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Sideng"), "{err}");
    assert_eq!(proposal_count(&app).await, 0);

    // With a map pin inside Cideng the row is taken, and the summary says why.
    let with_pin = write(
        dir.path(),
        "b.csv",
        format!("{header}1;Pemasangan paving block;Sideng;200;m2;Rp 32.000.000;-6,1756;106,8095\n")
            .as_bytes(),
    );
    let summary = import(&app.pool, &with_pin, &options(2026)).await.unwrap();
    assert_eq!(
        summary.fuzzy_matches.len(),
        1,
        "{:?}",
        summary.fuzzy_matches
    );
    assert!(
        summary.fuzzy_matches[0].contains(
            "'Sideng' taken as 31.71.01.1002 Cideng: its polygon holds the row's map pin"
        ),
        "{:?}",
        summary.fuzzy_matches
    );
    let kode: String = sqlx::query_scalar("SELECT kelurahan_kode FROM proposal")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(kode, "31.71.01.1002");

    // A pin in a kelurahan of quite another name does not make a wrong name right.
    let far = write(
        dir.path(),
        "c.csv",
        format!("{header}1;Saluran;Atlantis;100;m;Rp 10.000.000;-6,1756;106,8095\n").as_bytes(),
    );
    assert!(import(&app.pool, &far, &options(2026)).await.is_err());
}
