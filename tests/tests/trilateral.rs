//! The trilateral desk against real PostGIS: the real DKI agency register, Renja files as agencies
//! write them (title block, Indonesian numbers, old spellings), Gambir's approved proposals, the
//! comparison, the desk's outcomes and overrides, the exports read back by a real XLSX reader.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Cursor;

use calamine::{Reader, Xlsx};
use reqwest::StatusCode;
use serde_json::{Value, json};
use survey_schema::Role;
use tinjau_tests::review::{Review, decide_all, json_of, setup};
use tinjau_tests::{ADMIN_TOKEN, data};
use tinjau_workflows::import::ImportError;
use tinjau_workflows::import::renja::{RenjaImportOptions, import};

/// Sudin Bina Marga Jakarta Pusat: paving in Cideng (smaller than the approved 260 m2), and a
/// footpath in Gambir no proposal asks for.
const RENJA_BM: &str = "\
RENCANA KERJA SUKU DINAS BINA MARGA KOTA ADMINISTRASI JAKARTA PUSAT;;;;;;;;;
Tahun Anggaran 2026;;;;;;;;;
;;;;;;;;;
Kode Sub Kegiatan;Nama Sub Kegiatan;Uraian;Indikator;Target;Satuan;Kelurahan;Kecamatan;Pagu Indikatif (Rp);Sumber Dana
1.03.10.2.01.0012;Pembangunan Jalan Lingkungan;Pemasangan paving block Jl. Cideng Barat RW 02;Luas jalan lingkungan yang dibangun;200;M2;Kel. Cideng;Gambir;Rp 30.000.000,00;APBD
1.03.10.2.01.0015;Rehabilitasi Trotoar;Rehabilitasi trotoar Jl. Abdul Muis;Panjang trotoar yang direhabilitasi;350;m2;Gambir;Gambir;Rp 525.000.000;APBD
";

/// Sudin SDA Jakarta Pusat: the drainage of Petojo Utara in full, its kelurahan in the old spelling.
const RENJA_SDA: &str = "\
kode_sub_giat,nama_sub_giat,uraian,outputteks,target,satuan,nama_lokasi,pagu
1.03.04.2.01.0007,Pembangunan Sistem Drainase Perkotaan,Pembangunan saluran drainase Jl. Kebon Kelapa Raya,Panjang saluran yang dibangun,\"100,0\",m',\"Kel. Petodjo Utara, Kec. Gambir\",150000000
";

/// Two bad rows: a pagu that is no number, a kelurahan that does not exist.
const RENJA_BAD: &str = "\
Kode Sub Kegiatan;Sub Kegiatan;Target;Satuan;Kelurahan;Pagu
1.03.10.2.01.0012;Pembangunan Jalan Lingkungan;200;m2;Cideng;tiga puluh juta
1.03.10.2.01.0013;Pembangunan Jalan Lingkungan;100;m2;Atlantis;Rp 10.000.000
1.03.10.2.01.0014;Pembangunan Jalan Lingkungan;100;m2;Cideng;Rp 10.000.000
";

struct Desk {
    r: Review,
    bappeda: String,
    sda: String,
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn options(opd: &str) -> RenjaImportOptions {
    RenjaImportOptions {
        opd: opd.into(),
        tahun: 2026,
        ..RenjaImportOptions::default()
    }
}

async fn renja_count(r: &Review) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM renja_item")
        .fetch_one(&r.app.pool)
        .await
        .unwrap()
}

/// Gambir decided (paving corrected to 260 m2, drainage approved, beton rejected), the register,
/// both Renja files, a Bappeda planner and Sudin SDA's planner.
async fn desk() -> Desk {
    let r = setup().await;
    decide_all(&r).await;
    let counts = tinjau_workflows::import::opd::import(&r.app.pool, &data("opd/dki_opd.csv"))
        .await
        .unwrap();
    assert_eq!(counts.inserted, 15);
    let dir = tempfile::tempdir().unwrap();
    let bm = write(dir.path(), "renja_bm.csv", RENJA_BM);
    let sda = write(dir.path(), "renja_sda.csv", RENJA_SDA);
    import(&r.app.pool, &bm, &options("Sudin BM JP"))
        .await
        .unwrap();
    let s = import(&r.app.pool, &sda, &options("sudin-sda-jp"))
        .await
        .unwrap();
    assert!(
        s.fuzzy_matches
            .iter()
            .any(|m| m.contains("Petodjo Utara") && m.contains("31.71.01.1003")),
        "{:?}",
        s.fuzzy_matches
    );
    let bappeda = r.app.token_for(Role::Opd, Some("31.71")).await;
    let sda_planner = r.app.token_for(Role::Opd, Some("31.71")).await;
    let sda_user: i64 = sqlx::query_scalar("SELECT id FROM app_user ORDER BY id DESC LIMIT 1")
        .fetch_one(&r.app.pool)
        .await
        .unwrap();
    let sda_opd: i64 = sqlx::query_scalar("SELECT id FROM opd WHERE kode = 'sudin-sda-jp'")
        .fetch_one(&r.app.pool)
        .await
        .unwrap();
    tinjau_workflows::accounts::set_opd(
        &r.app.pool,
        &tinjau_workflows::audit::Actor::cli(),
        sda_user,
        sda_opd,
    )
    .await
    .unwrap();
    Desk {
        r,
        bappeda,
        sda: sda_planner,
    }
}

async fn get(d: &Desk, token: &str, query: &str) -> (StatusCode, Value) {
    json_of(
        d.r.app
            .get_as(&format!("/api/v1/trilateral?tahun=2026{query}"), token)
            .await,
    )
    .await
}

fn row(desk: &Value, proposal: i64) -> &Value {
    desk["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["proposal"]["id"] == proposal)
        .unwrap_or_else(|| panic!("proposal {proposal} not at the desk: {desk}"))
}

async fn put(
    d: &Desk,
    token: &str,
    path: &str,
    if_match: Option<&str>,
    body: &Value,
) -> (StatusCode, Value, Option<String>) {
    let mut request =
        d.r.app
            .client
            .put(d.r.app.url(path))
            .bearer_auth(token)
            .json(body);
    if let Some(v) = if_match {
        request = request.header("If-Match", v);
    }
    let response = request.send().await.unwrap();
    let etag = response
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned());
    let (status, body) = json_of(response).await;
    (status, body, etag)
}

#[tokio::test]
async fn a_bad_renja_file_is_refused_row_by_row_and_leaves_the_database_as_it_was() {
    let r = setup().await;
    tinjau_workflows::import::opd::import(&r.app.pool, &data("opd/dki_opd.csv"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "renja_bad.csv", RENJA_BAD);
    let Err(ImportError::Rows { problems, .. }) =
        import(&r.app.pool, &bad, &options("sudin-bm-jp")).await
    else {
        panic!("a file with bad rows must be refused")
    };
    let places: Vec<String> = problems.iter().map(|p| p.location.clone()).collect();
    assert_eq!(
        places,
        ["row 2, column Pagu Indikatif", "row 3, column Kelurahan"]
    );
    assert_eq!(renja_count(&r).await, 0);

    // An agency the register does not know, and a name several agencies share.
    let good = write(dir.path(), "renja_bm.csv", RENJA_BM);
    let unknown = import(&r.app.pool, &good, &options("Dinas Pariwisata")).await;
    assert!(unknown.unwrap_err().to_string().contains("no agency"));
    let shared = import(&r.app.pool, &good, &options("Suku Dinas Bina Marga")).await;
    assert!(shared.unwrap_err().to_string().contains("5 agencies"));
    assert_eq!(renja_count(&r).await, 0);

    // --skip-invalid keeps the good row and returns the bad ones with their reasons.
    let kept = import(
        &r.app.pool,
        &bad,
        &RenjaImportOptions {
            skip_invalid: true,
            ..options("sudin-bm-jp")
        },
    )
    .await
    .unwrap();
    assert_eq!(kept.counts.inserted, 1);
    let csv = kept.rejected_csv.unwrap();
    assert!(csv.lines().next().unwrap().ends_with(",alasan"), "{csv}");
    assert_eq!(csv.lines().count(), 3);

    // The same file twice: nothing changes.
    let first = import(&r.app.pool, &good, &options("sudin-bm-jp"))
        .await
        .unwrap();
    assert_eq!(first.counts.inserted, 2);
    let again = import(&r.app.pool, &good, &options("sudin-bm-jp"))
        .await
        .unwrap();
    assert_eq!(
        (
            again.counts.inserted,
            again.counts.updated,
            again.counts.unchanged
        ),
        (0, 0, 2)
    );
    assert_eq!(
        again.not_in_file, 1,
        "the --skip-invalid line is not in this file"
    );

    // Through the admin endpoint: the same refusal, as a 422 with both languages.
    let response = r
        .app
        .client
        .post(
            r.app
                .url("/api/v1/admin/renja/import?opd=sudin-bm-jp&tahun=2026"),
        )
        .bearer_auth(ADMIN_TOKEN)
        .body(RENJA_BAD)
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["message"]["id"]
            .as_str()
            .unwrap()
            .contains("tidak ada yang diimpor"),
        "{body}"
    );
    assert_eq!(renja_count(&r).await, 3);
    let response = r
        .app
        .client
        .post(
            r.app
                .url("/api/v1/admin/renja/import?opd=sudin-bm-jp&tahun=1"),
        )
        .bearer_auth(ADMIN_TOKEN)
        .body(RENJA_BM)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
#[allow(
    clippy::too_many_lines,
    reason = "one desk, from the comparison to the exports"
)]
async fn the_desk_states_gaps_explains_matches_and_keeps_its_outcomes_on_record() {
    let d = desk().await;
    let [paving, drainage, beton, _, tanah_abang] = d.r.ids[..] else {
        panic!()
    };

    // Bappeda sees every agency of Jakarta Pusat.
    let (status, all) = get(&d, &d.bappeda, "&kota=31.71").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let p = row(&all, paving);
    assert_eq!(p["opd"]["kode"], "sudin-bm-jp");
    assert_eq!(p["status"], "partial");
    assert_eq!(p["gap_volume"], "60", "{p}");
    // 32,000,000 at 200 m2 corrected to 260 m2 is 41,600,000; the pagu is 30,000,000.
    assert_eq!(p["proposal"]["rupiah"], 41_600_000);
    assert_eq!(p["gap_rupiah"], 11_600_000);
    let e = &p["evidence"];
    assert_eq!(e["basis"], "fuzzy", "{e}");
    assert_eq!(e["place"], "same_kelurahan");
    assert!(
        e["agreed"].as_array().unwrap().contains(&json!("activity")),
        "{e}"
    );
    assert!(
        e["explanation_en"]
            .as_str()
            .unwrap()
            .contains("similar name"),
        "{e}"
    );
    let dr = row(&all, drainage);
    assert_eq!(dr["status"], "covered", "{dr}");
    assert_eq!(dr["renja"]["kelurahan"], "Petojo Utara");
    assert_eq!(dr["gap_rupiah"], 0);
    // Rejected and undecided proposals are not at the desk.
    for id in [beton, tanah_abang] {
        assert!(
            !all["rows"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["proposal"]["id"] == id),
            "{id} should not be at the desk"
        );
    }
    let alone: Vec<&str> = all["unmatched_renja"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["uraian"].as_str().unwrap())
        .collect();
    assert_eq!(alone, ["Rehabilitasi trotoar Jl. Abdul Muis"]);
    assert_eq!(all["total"]["proposals"], 2);
    assert_eq!(all["total"]["gap_rupiah"], 11_600_000);
    let bm = all["per_opd"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["kode"] == "sudin-bm-jp")
        .unwrap();
    assert_eq!(bm["renja_pagu"], 555_000_000);
    assert_eq!(bm["partial"], 1);
    // Gambir's list is not sent yet: its approved proposals may still change.
    assert_eq!(all["per_kecamatan"][0]["kode"], "31.71.01");
    assert_eq!(all["per_kecamatan"][0]["sent"], false);
    let (status, body) = get(&d, &d.bappeda, "&max_distance_m=99999").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "invalid_distance");

    // Sudin SDA's planner sees their agency only, and not another's.
    let (_, mine) = get(&d, &d.sda, "").await;
    let ids: Vec<&Value> = mine["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["proposal"]["id"])
        .collect();
    assert_eq!(ids, [&json!(drainage)]);
    let (status, _) = get(&d, &d.sda, "&opd=sudin-bm-jp").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let camat_view = get(&d, &d.r.camat, "&kecamatan=31.71.01").await;
    assert_eq!(camat_view.0, StatusCode::OK);
    let surveyor = d.r.app.token_for(Role::Surveyor, Some("31.71.01")).await;
    assert_eq!(get(&d, &surveyor, "").await.0, StatusCode::FORBIDDEN);

    // Outcomes: If-Match required, then recorded, a retry answered as done, a stale one refused.
    let outcome = format!("/api/v1/trilateral/proposals/{paving}/outcome");
    let changed = json!({
        "outcome": "diterima_dengan_perubahan", "agreed_volume": "200", "agreed_pagu": 30_000_000,
        "renja_item_id": p["renja"]["id"], "note": "Sisa 60 m2 tahun berikutnya"
    });
    let (status, _, _) = put(&d, &d.bappeda, &outcome, None, &changed).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED);
    let (status, body, etag) = put(&d, &d.bappeda, &outcome, Some("\"0\""), &changed).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(etag.as_deref(), Some("\"1\""));
    let (status, _, _) = put(&d, &d.bappeda, &outcome, Some("\"0\""), &changed).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a retry of the same outcome is answered as done"
    );
    let rejected = json!({"outcome": "ditolak", "note": "Sudah dianggarkan"});
    let (status, body, _) = put(&d, &d.bappeda, &outcome, Some("\"0\""), &rejected).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{body}");
    // Wrong shapes: no note, agreed values without changes, merged into itself, another agency's.
    for (body, code) in [
        (json!({"outcome": "ditolak"}), "note_required"),
        (
            json!({"outcome": "diterima", "agreed_pagu": 1}),
            "agreed_values_unexpected",
        ),
        (
            json!({"outcome": "digabungkan", "merged_into": paving}),
            "merged_into_self",
        ),
        (json!({"outcome": "disetujui"}), "invalid_outcome"),
    ] {
        let (status, answer, _) = put(&d, &d.bappeda, &outcome, Some("\"1\""), &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(answer["code"], code);
    }
    let (status, _, _) = put(&d, &d.sda, &outcome, Some("\"1\""), &rejected).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, answer, _) = put(
        &d,
        &d.bappeda,
        &format!("/api/v1/trilateral/proposals/{tanah_abang}/outcome"),
        Some("\"0\""),
        &json!({"outcome": "diterima"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["code"], "not_approved");

    // Another agency's line cannot be linked to a proposal, by either planner.
    let bm_line = p["renja"]["id"].clone();
    for token in [&d.sda, &d.bappeda] {
        let (status, answer, _) = put(
            &d,
            token,
            &format!("/api/v1/trilateral/proposals/{drainage}/match"),
            None,
            &json!({"renja_item_id": bm_line, "note": "coba"}),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["code"], "renja_item_other_opd");
    }

    // A planner says the drainage is not what the SDA line takes up: it becomes not planned.
    let (status, body, _) = put(
        &d,
        &d.sda,
        &format!("/api/v1/trilateral/proposals/{drainage}/match"),
        None,
        &json!({"renja_item_id": null, "note": "Baris Renja untuk ruas lain"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, after) = get(&d, &d.bappeda, "").await;
    let dr = row(&after, drainage);
    assert_eq!(dr["status"], "not_planned");
    assert_eq!(dr["gap_rupiah"], 150_000_000);
    assert_eq!(
        row(&after, paving)["outcome"]["outcome"],
        "diterima_dengan_perubahan"
    );
    assert_eq!(row(&after, paving)["outcome_version"], 1);
    assert_eq!(
        row(&after, paving)["outcome"]["provisional"],
        true,
        "Gambir's list is not sent"
    );

    // Both writes are in the audit trail, and the chain is intact.
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_event WHERE action LIKE 'trilateral.%' ORDER BY seq",
    )
    .fetch_all(&d.r.app.pool)
    .await
    .unwrap();
    assert_eq!(actions, ["trilateral.outcome", "trilateral.match"]);
    assert!(
        tinjau_workflows::audit::verify(&d.r.app.pool)
            .await
            .unwrap()
            .is_intact()
    );

    // The exports: a summary sheet and one per agency (read back by calamine), and a CSV.
    let response =
        d.r.app
            .get_as("/api/v1/trilateral/export/xlsx?tahun=2026", &d.bappeda)
            .await;
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.bytes().await.unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(
        book.sheet_names(),
        ["Ringkasan", "Sudin BM JP", "Sudin SDA JP"]
    );
    let sheet = book.worksheet_range("Sudin BM JP").unwrap();
    let text: Vec<String> = sheet
        .rows()
        .flat_map(|r| r.iter().map(ToString::to_string))
        .collect();
    assert!(
        text.contains(&"Diterima dengan perubahan".to_owned()),
        "{text:?}"
    );
    assert!(text.contains(&"Rehabilitasi trotoar Jl. Abdul Muis".to_owned()));
    let csv =
        d.r.app
            .get_as("/api/v1/trilateral/export/csv?tahun=2026", &d.bappeda)
            .await
            .text()
            .await
            .unwrap();
    assert!(
        csv.starts_with("ID Usulan,Kecamatan,Kelurahan,Usulan"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 3);
    // The paving's outcome was recorded before Gambir sent its list: provisional, in the file too.
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let provisional = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h.starts_with("Sementara"))
        .unwrap();
    let marks: Vec<(String, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_owned(), r[provisional].to_owned())
        })
        .collect();
    assert!(
        marks.contains(&(paving.to_string(), "Ya".to_owned())),
        "{marks:?}"
    );
    let (status, _) = json_of(
        d.r.app
            .get_as("/api/v1/trilateral/export/pdf?tahun=2026", &d.bappeda)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Two planners linking the same Renja line to two proposals at once: one link is taken and the
/// other refused (409), never both, round after round.
#[tokio::test]
async fn one_renja_line_goes_to_one_proposal_when_two_planners_link_it_at_once() {
    use tinjau_tests::review::{decide, item, list};
    let d = desk().await;
    let [paving, _, beton, ..] = d.r.ids[..] else {
        panic!()
    };
    // The camat approves the beton road after all, so Sudin BM has two proposals at the desk.
    let (_, page) = list(&d.r, &d.r.camat, "").await;
    let version = format!("\"{}\"", item(&page, beton)["version"]);
    let (status, body, _) = decide(
        &d.r,
        &d.r.camat,
        beton,
        &uuid::Uuid::new_v4().to_string(),
        Some(&version),
        &json!({"action": "approve", "note": "Ruas lain dari pekerjaan 2025"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let line: i64 =
        sqlx::query_scalar("SELECT id FROM renja_item WHERE uraian LIKE 'Rehabilitasi trotoar%'")
            .fetch_one(&d.r.app.pool)
            .await
            .unwrap();
    for round in 0..10 {
        let note = json!({"renja_item_id": line, "note": format!("putaran {round}")});
        let (paving_path, beton_path) = (
            format!("/api/v1/trilateral/proposals/{paving}/match"),
            format!("/api/v1/trilateral/proposals/{beton}/match"),
        );
        let ((a, a_body, _), (b, b_body, _)) = tokio::join!(
            put(&d, &d.bappeda, &paving_path, None, &note),
            put(&d, &d.bappeda, &beton_path, None, &note)
        );
        let mut statuses = [a, b];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::CREATED, StatusCode::CONFLICT],
            "round {round}: {a_body} {b_body}"
        );
        let (_, desk) = get(&d, &d.bappeda, "").await;
        let holders: Vec<i64> = [paving, beton]
            .into_iter()
            .filter(|p| row(&desk, *p)["renja"]["id"] == line)
            .collect();
        assert_eq!(holders.len(), 1, "round {round}: {holders:?}");
        // The winner lets go, so the next round races again.
        let (status, body, _) = put(
            &d,
            &d.bappeda,
            &format!("/api/v1/trilateral/proposals/{}/match", holders[0]),
            None,
            &json!({"renja_item_id": null, "note": format!("lepas {round}")}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
}

/// A planner links one Renja line to two small proposals of its agency as a package: without
/// saying so the second link is refused (409); said, both rows carry the line with its target and
/// pagu shared, the gaps add up to the package's, and the agency's matched pagu counts it once.
/// The line is chosen from the ranked candidates the API offers.
#[tokio::test]
async fn several_small_proposals_share_one_renja_line_as_a_package() {
    use tinjau_tests::review::{decide, item, list};
    let d = desk().await;
    let [paving, _, beton, ..] = d.r.ids[..] else {
        panic!()
    };
    let (_, page) = list(&d.r, &d.r.camat, "").await;
    let version = format!("\"{}\"", item(&page, beton)["version"]);
    let (status, body, _) = decide(
        &d.r,
        &d.r.camat,
        beton,
        &uuid::Uuid::new_v4().to_string(),
        Some(&version),
        &json!({"action": "approve", "note": "Ruas lain dari pekerjaan 2025"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // The candidates: Sudin BM's lines only, best first, each with a score and its reasons.
    let (status, choice) = json_of(
        d.r.app
            .get_as(
                &format!("/api/v1/trilateral/proposals/{beton}/candidates"),
                &d.bappeda,
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{choice}");
    let candidates = choice["candidates"].as_array().unwrap();
    assert_eq!(candidates.len(), 2, "{choice}");
    assert!(
        candidates
            .iter()
            .all(|c| c["renja"]["opd_kode"] == "sudin-bm-jp")
    );
    let scores: Vec<u64> = candidates
        .iter()
        .map(|c| c["score"].as_u64().unwrap())
        .collect();
    assert!(scores[0] >= scores[1], "{scores:?}");
    assert!(
        candidates[0]["evidence"]["explanation_id"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{choice}"
    );
    let trotoar = candidates
        .iter()
        .find(|c| {
            c["renja"]["uraian"]
                .as_str()
                .is_some_and(|u| u.starts_with("Rehabilitasi trotoar"))
        })
        .unwrap()["renja"]["id"]
        .as_i64()
        .unwrap();
    let (status, _) = json_of(
        d.r.app
            .get_as(
                &format!("/api/v1/trilateral/proposals/{beton}/candidates"),
                &d.sda,
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another agency's proposal");

    let link = |proposal: i64, package: bool| {
        let body =
            json!({"renja_item_id": trotoar, "note": "Paket trotoar Gambir", "package": package});
        let path = format!("/api/v1/trilateral/proposals/{proposal}/match");
        let d = &d;
        async move { put(d, &d.bappeda, &path, None, &body).await }
    };
    let (status, body, _) = link(paving, false).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body, _) = link(beton, false).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "renja_item_linked");
    assert!(
        body["message"]["id"].as_str().unwrap().contains("paket"),
        "{body}"
    );
    let (status, body, _) = link(beton, true).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let (_, after) = get(&d, &d.bappeda, "").await;
    let (a, b) = (row(&after, paving), row(&after, beton));
    for r in [a, b] {
        assert_eq!(r["renja"]["id"], trotoar, "{r}");
        assert_eq!(r["package"]["proposals"], json!([paving, beton]), "{r}");
    }
    let pagu = a["renja"]["pagu"].as_i64().unwrap();
    let shares =
        a["package"]["pagu_share"].as_i64().unwrap() + b["package"]["pagu_share"].as_i64().unwrap();
    assert_eq!(shares, pagu);
    let asked =
        a["proposal"]["rupiah"].as_i64().unwrap() + b["proposal"]["rupiah"].as_i64().unwrap();
    let gaps = a["gap_rupiah"].as_i64().unwrap() + b["gap_rupiah"].as_i64().unwrap();
    assert_eq!(gaps, (asked - pagu).max(0), "{a} {b}");
    let bm = after["per_opd"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["kode"] == "sudin-bm-jp")
        .unwrap();
    assert_eq!(
        bm["matched_pagu"], pagu,
        "the shared line counts once: {bm}"
    );

    // The candidates now say the line is linked to the paving.
    let (_, choice) = json_of(
        d.r.app
            .get_as(
                &format!("/api/v1/trilateral/proposals/{beton}/candidates"),
                &d.bappeda,
            )
            .await,
    )
    .await;
    assert_eq!(choice["current"], trotoar);
    let chosen = choice["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["renja"]["id"] == trotoar)
        .unwrap();
    assert_eq!(chosen["linked_to"], json!([paving]));

    // The workbook names the package and each proposal's part of the pagu.
    let response =
        d.r.app
            .get_as("/api/v1/trilateral/export/xlsx?tahun=2026", &d.bappeda)
            .await;
    let bytes = response.bytes().await.unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let sheet = book.worksheet_range("Sudin BM JP").unwrap();
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(ToString::to_string).collect())
        .collect();
    let header = rows.iter().find(|r| r[0] == "ID Usulan").unwrap();
    let at = |name: &str| header.iter().position(|h| h.starts_with(name)).unwrap();
    let paving_row = rows.iter().find(|r| r[0] == paving.to_string()).unwrap();
    assert_eq!(paving_row[at("Paket")], format!("{paving}, {beton}"));
    assert_eq!(
        paving_row[at("Bagian Pagu")],
        a["package"]["pagu_share"].to_string()
    );
}

/// Sudin SDA's Renja as SIPD prints it, in XLSX with merged cells and as CSV: the title, a header
/// of two rows, the column numbers, program, kegiatan and sub-kegiatan rows with their pagu, the
/// lines beneath them (one naming its kelurahan only in its text), and the total.
fn sipd_report_rows() -> Vec<[&'static str; 8]> {
    vec![
        [
            "1.03.04",
            "PROGRAM PENGELOLAAN SUMBER DAYA AIR",
            "",
            "",
            "",
            "",
            "650.000.000",
            "",
        ],
        [
            "1.03.04.2.01",
            "Pengelolaan SDA dan Bangunan Pengaman Pantai",
            "",
            "",
            "",
            "",
            "650.000.000",
            "",
        ],
        [
            "1.03.04.2.01.0007",
            "Pembangunan Sistem Drainase Perkotaan",
            "Panjang saluran yang dibangun",
            "Kec. Gambir",
            "300",
            "m",
            "450.000.000",
            "APBD",
        ],
        [
            "",
            "Pembangunan Saluran Jl. Cideng Barat RT 003/RW 002",
            "",
            "Kel. Cideng",
            "120",
            "m",
            "180.000.000",
            "",
        ],
        [
            "",
            "Pembangunan Saluran Gg. Kenari Kel. Kebon Kelapa",
            "",
            "",
            "180",
            "m",
            "270.000.000",
            "",
        ],
        [
            "1.03.04.2.01.0008",
            "Pemeliharaan Sistem Drainase Perkotaan",
            "Panjang saluran yang dipelihara",
            "Kec. Gambir",
            "500",
            "m",
            "200.000.000",
            "APBD",
        ],
        [
            "",
            "Rehab saluran Jl. Tanah Abang II",
            "",
            "Kel. Petojo Utara",
            "300",
            "m",
            "120.000.000",
            "",
        ],
        [
            "",
            "Normalisasi saluran Jl. Batu Tulis",
            "",
            "Kel. Kebon Kelapa",
            "200",
            "m",
            "75.000.000",
            "",
        ],
        ["", "JUMLAH", "", "", "", "", "650.000.000", ""],
    ]
}

fn sipd_report_xlsx() -> Vec<u8> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let merged = Format::new();
    sheet
        .write_string(
            0,
            0,
            "RENCANA KERJA SUKU DINAS SDA KOTA ADM. JAKARTA PUSAT TAHUN 2026",
        )
        .unwrap();
    sheet.merge_range(2, 0, 3, 0, "Kode", &merged).unwrap();
    sheet
        .merge_range(
            2,
            1,
            3,
            1,
            "Urusan/Bidang Urusan Pemerintahan Daerah dan Program/Kegiatan/Sub Kegiatan",
            &merged,
        )
        .unwrap();
    sheet
        .merge_range(
            2,
            2,
            3,
            2,
            "Indikator Kinerja Program/Kegiatan/Sub Kegiatan",
            &merged,
        )
        .unwrap();
    sheet
        .merge_range(2, 3, 2, 7, "Rencana Tahun 2026", &merged)
        .unwrap();
    for (c, h) in [
        "Lokasi",
        "Target",
        "Satuan",
        "Pagu Indikatif (Rp)",
        "Sumber Dana",
    ]
    .iter()
    .enumerate()
    {
        sheet
            .write_string(3, u16::try_from(c + 3).unwrap(), *h)
            .unwrap();
    }
    for c in 0..8u16 {
        sheet.write_number(4, c, f64::from(c + 1)).unwrap();
    }
    for (r, row) in sipd_report_rows().iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if !cell.is_empty() {
                sheet
                    .write_string(
                        u32::try_from(r + 5).unwrap(),
                        u16::try_from(c).unwrap(),
                        *cell,
                    )
                    .unwrap();
            }
        }
    }
    // The sub-kegiatan's sumber dana merged down its lines, as the report prints it.
    sheet.merge_range(7, 7, 9, 7, "APBD", &merged).unwrap();
    book.save_to_buffer().unwrap()
}

fn sipd_report_csv() -> String {
    let mut text = String::from(
        "RENCANA KERJA SUKU DINAS SDA KOTA ADM. JAKARTA PUSAT TAHUN 2026;;;;;;;\n;;;;;;;\n\
         Kode;Program/Kegiatan/Sub Kegiatan;Indikator Kinerja;Rencana Tahun 2026;;;;\n\
         ;;;Lokasi;Target;Satuan;Pagu Indikatif (Rp);Sumber Dana\n1;2;3;4;5;6;7;8\n",
    );
    for row in sipd_report_rows() {
        text.push_str(&row.join(";"));
        text.push('\n');
    }
    text
}

/// A stored line's programme, kegiatan and sub-kegiatan codes, uraian, kelurahan, sumber dana, pagu.
type StoredLine = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
);

#[tokio::test]
async fn sipd_printed_renja_report_is_read_by_its_hierarchy_in_xlsx_and_csv() {
    let r = setup().await;
    tinjau_workflows::import::opd::import(&r.app.pool, &data("opd/dki_opd.csv"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("renja_sda_sipd.xlsx");
    std::fs::write(&xlsx, sipd_report_xlsx()).unwrap();
    let s = import(&r.app.pool, &xlsx, &options("sudin-sda-jp"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.counts.inserted, 4, "{s:?}");
    assert_eq!(
        s.summary_rows, 5,
        "program, kegiatan, two sub-kegiatan, the total"
    );
    assert_eq!(s.pagu_mismatches.len(), 1, "{:?}", s.pagu_mismatches);
    assert!(
        s.pagu_mismatches[0].contains("sub-kegiatan 1.03.04.2.01.0008")
            && s.pagu_mismatches[0].contains("Rp 5.000.000 less"),
        "{:?}",
        s.pagu_mismatches
    );
    let lines: Vec<StoredLine> = sqlx::query_as(
        "SELECT kode_program, kode_kegiatan, kode_sub_kegiatan, uraian, kelurahan_kode, sumber_dana, pagu
           FROM renja_item ORDER BY source_row",
    )
    .fetch_all(&r.app.pool)
    .await
    .unwrap();
    assert_eq!(lines.len(), 4);
    assert!(
        lines
            .iter()
            .all(|l| l.0 == "1.03.04" && l.1 == "1.03.04.2.01"),
        "{lines:?}"
    );
    assert_eq!(lines[0].2, "1.03.04.2.01.0007");
    assert_eq!(
        lines[0].3,
        "Pembangunan Saluran Jl. Cideng Barat RT 003/RW 002"
    );
    assert_eq!(lines[0].4.as_deref(), Some("31.71.01.1002"), "Cideng");
    // The kelurahan written only in the line's text, within the sub-kegiatan's kecamatan.
    assert_eq!(
        lines[1].4.as_deref(),
        Some("31.71.01.1005"),
        "Kebon Kelapa: {lines:?}"
    );
    assert!(
        s.fuzzy_matches
            .iter()
            .any(|m| m.contains("read from the line's own text")),
        "{:?}",
        s.fuzzy_matches
    );
    // The sumber dana merged down from the sub-kegiatan's row.
    assert_eq!(lines[3].5.as_deref(), Some("APBD"));
    assert_eq!(lines.iter().map(|l| l.6).sum::<i64>(), 645_000_000);

    // The same report as CSV: the same lines, so nothing changes.
    let csv = dir.path().join("renja_sda_sipd.csv");
    std::fs::write(&csv, sipd_report_csv()).unwrap();
    let again = import(&r.app.pool, &csv, &options("sudin-sda-jp"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (
            again.counts.inserted,
            again.counts.unchanged,
            again.summary_rows
        ),
        (0, 4, 5),
        "{again:?}"
    );
    assert_eq!(again.pagu_mismatches, s.pagu_mismatches);
}

/// The desk's page in Debian's Chromium: a Bappeda planner signs in, lands on the desk, sees the
/// statuses and gaps, records an outcome through the form; an agency's planner sees their rows.
#[tokio::test]
async fn the_desk_page_shows_the_comparison_and_records_an_outcome() {
    use fantoccini::Locator;
    use tinjau_tests::browser::{Browser, account};
    let d = desk().await;
    let [paving, drainage, ..] = d.r.ids[..] else {
        panic!()
    };
    let password = "kata sandi perencana yang panjang";
    account(&d.r.app, "bappeda.jp", "opd", Some("31.71"), password);
    let base = d.r.app.url("");
    let base = base.trim_end_matches('/');
    let browser = Browser::start().await;
    browser.sign_in(base, "bappeda.jp", password).await;
    // Planners land on the desk.
    browser.wait_for("table.desk").await;
    browser
        .goto(&format!("{base}/trilateral?tahun=2026&kota=31.71"))
        .await;
    browser.wait_for("table.desk").await;
    browser.shot("trilateral-desk").await;
    // The area is chosen by name: the kota of the provinsi, the kecamatan of the kota.
    let chosen = browser
        .client
        .execute(
            "const k = document.querySelector('select[name=kota]'); return [k.options[k.selectedIndex].text, [...document.querySelectorAll('select[name=kecamatan] option')].map(o => o.text)]",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        chosen[0].as_str().unwrap().contains("Jakarta Pusat"),
        "{chosen}"
    );
    assert!(
        chosen[1].as_array().unwrap().iter().any(|o| o == "Gambir"),
        "{chosen}"
    );
    let paving_row = browser.text(&format!("tr#usulan-{paving}")).await;
    assert!(paving_row.contains("Sebagian"), "{paving_row}");
    assert!(
        paving_row.contains("Kurang 60 m2, Rp 11.600.000"),
        "{paving_row}"
    );
    assert!(paving_row.contains("nama mirip"), "{paving_row}");
    let drainage_row = browser.text(&format!("tr#usulan-{drainage}")).await;
    assert!(
        drainage_row.contains("Sudah direncanakan"),
        "{drainage_row}"
    );
    assert!(
        browser
            .body_text()
            .await
            .contains("Rehabilitasi trotoar Jl. Abdul Muis")
    );

    // Record "diterima dengan perubahan" for the paving through its form.
    browser
        .click(&format!("tr#usulan-{paving} details.outcome summary"))
        .await;
    let form = browser
        .client
        .form(Locator::Css(&format!(
            "tr#usulan-{paving} form[action$='/hasil']"
        )))
        .await
        .unwrap();
    browser
        .select(
            &format!("tr#usulan-{paving} select[name=outcome]"),
            "diterima_dengan_perubahan",
        )
        .await;
    form.set_by_name("agreed_volume", "200").await.unwrap();
    form.set_by_name("agreed_pagu", "30.000.000").await.unwrap();
    form.set_by_name("note", "Sisa 60 m2 tahun berikutnya")
        .await
        .unwrap();
    form.submit().await.unwrap();
    browser.wait_for("p.alert.saved").await;
    browser.shot("trilateral-saved").await;
    let saved = browser.text(&format!("tr#usulan-{paving}")).await;
    assert!(saved.contains("Diterima dengan perubahan"), "{saved}");
    // Gambir has not sent its list: the outcome is provisional, and says so.
    assert!(saved.contains("sementara"), "{saved}");
    assert!(saved.contains("Rp 30.000.000"), "{saved}");
    let (agreed, pagu): (String, i64) = sqlx::query_as(
        "SELECT agreed_volume::text, agreed_pagu FROM trilateral_outcome WHERE proposal_id = $1",
    )
    .bind(paving)
    .fetch_one(&d.r.app.pool)
    .await
    .unwrap();
    assert_eq!((agreed.as_str(), pagu), ("200", 30_000_000));

    a_refused_outcome_comes_back_with_what_was_typed(&browser, &d.r.app.pool, paving, drainage)
        .await;
    a_match_is_chosen_from_the_ranked_lines(&browser, &d.r.app.pool, drainage).await;

    // The export link gives the workbook.
    let href = browser
        .client
        .find(Locator::Css("form.filters a[href*='/ekspor/xlsx']"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let response =
        d.r.app
            .client
            .get(format!("{base}{href}"))
            .header("Cookie", browser.cookie_header().await)
            .send()
            .await
            .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.bytes().await.unwrap().starts_with(b"PK"));
}

/// The planner changes the drainage's match by choosing from the agency's lines, ranked with
/// their scores and reasons (at 1366 px and on a 412 px phone): a blank reason comes back on the
/// same page with the choice kept; "not in the Renja" with a reason goes back to the desk.
async fn a_match_is_chosen_from_the_ranked_lines(
    browser: &tinjau_tests::browser::Browser,
    pool: &sqlx::PgPool,
    drainage: i64,
) {
    use fantoccini::Locator;
    // The row's form is open after the refusal before: its link is on screen.
    browser
        .click(&format!("tr#usulan-{drainage} p.match a"))
        .await;
    browser.wait_for("ol.candidates").await;
    browser.shot("trilateral-choose").await;
    let offered = browser.text("ol.candidates").await;
    assert!(offered.contains("padanan sekarang"), "{offered}");
    assert!(
        offered.contains("Pembangunan saluran drainase Jl. Kebon Kelapa Raya"),
        "{offered}"
    );
    assert!(offered.contains("kelurahan sama"), "{offered}");
    assert!(offered.contains("Tidak ada di Renja"), "{offered}");
    let score: u64 = browser
        .text("ol.candidates li span.score")
        .await
        .parse()
        .unwrap();
    assert!(score >= 50, "the current line scores {score}");
    browser.client.set_window_size(412, 900).await.unwrap();
    let width = browser
        .client
        .execute("return document.documentElement.scrollWidth", vec![])
        .await
        .unwrap();
    assert!(
        width.as_u64().unwrap() <= 412,
        "no sideways scrolling: {width}"
    );
    browser.shot("trilateral-choose-412").await;
    browser.client.set_window_size(1366, 768).await.unwrap();

    browser
        .click("ol.candidates li.none input[type=radio]")
        .await;
    let form = browser
        .client
        .form(Locator::Css("form.choose"))
        .await
        .unwrap();
    form.set_by_name("note", "   ").await.unwrap();
    form.submit().await.unwrap();
    browser.wait_for("p.alert.error").await;
    let refused = browser.text("p.alert.error").await;
    assert!(refused.contains("Belum tersimpan"), "{refused}");
    let kept = browser
        .count("ol.candidates li.none input[type=radio]:checked")
        .await;
    assert_eq!(kept, 1, "the choice is kept after the refusal");
    let form = browser
        .client
        .form(Locator::Css("form.choose"))
        .await
        .unwrap();
    form.set_by_name("note", "Baris Renja untuk ruas lain")
        .await
        .unwrap();
    form.submit().await.unwrap();
    browser.wait_for("p.alert.saved").await;
    let row = browser.text(&format!("tr#usulan-{drainage}")).await;
    assert!(row.contains("Belum direncanakan"), "{row}");
    let line: Option<i64> = sqlx::query_scalar(
        "SELECT renja_item_id FROM trilateral_override WHERE proposal_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(drainage)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(line, None);
}

/// A refused outcome (the drainage merged into itself) comes back on the desk: the refusal beside
/// the row, its form open with what was typed, nothing recorded.
async fn a_refused_outcome_comes_back_with_what_was_typed(
    browser: &tinjau_tests::browser::Browser,
    pool: &sqlx::PgPool,
    paving: i64,
    drainage: i64,
) {
    use fantoccini::Locator;
    browser
        .click(&format!("tr#usulan-{drainage} details.outcome summary"))
        .await;
    browser
        .select(
            &format!("tr#usulan-{drainage} select[name=outcome]"),
            "digabungkan",
        )
        .await;
    let form = browser
        .client
        .form(Locator::Css(&format!(
            "tr#usulan-{drainage} form[action$='/hasil']"
        )))
        .await
        .unwrap();
    form.set_by_name("merged_into", &drainage.to_string())
        .await
        .unwrap();
    form.set_by_name("note", "Catatan panjang yang diketik di desk")
        .await
        .unwrap();
    form.submit().await.unwrap();
    browser
        .wait_for(&format!("tr#usulan-{drainage} p.alert.error"))
        .await;
    browser.shot("trilateral-refused").await;
    browser
        .client
        .execute(
            &format!("document.getElementById('usulan-{drainage}').scrollIntoView()"),
            vec![],
        )
        .await
        .unwrap();
    browser.shot("trilateral-refused-row").await;
    let refused = browser
        .text(&format!("tr#usulan-{drainage} p.alert.error"))
        .await;
    assert!(refused.contains("dirinya sendiri"), "{refused}");
    let field = |name: &'static str| {
        let client = &browser.client;
        async move {
            client
                .find(Locator::Css(&format!(
                    "tr#usulan-{drainage} form[action$='/hasil'] [name={name}]"
                )))
                .await
                .unwrap()
                .prop("value")
                .await
                .unwrap()
                .unwrap_or_default()
        }
    };
    assert_eq!(field("note").await, "Catatan panjang yang diketik di desk");
    assert_eq!(field("outcome").await, "digabungkan");
    assert_eq!(field("merged_into").await, drainage.to_string());
    let open = browser
        .count(&format!("tr#usulan-{drainage} details.outcome[open]"))
        .await;
    assert_eq!(open, 1, "the refused form is shown open");
    let recorded: i64 =
        sqlx::query_scalar("SELECT count(*) FROM trilateral_outcome WHERE proposal_id = $1")
            .bind(drainage)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(recorded, 0);
    // The paving's saved outcome is still shown beside it.
    let paving_row = browser.text(&format!("tr#usulan-{paving}")).await;
    assert!(
        paving_row.contains("Diterima dengan perubahan"),
        "{paving_row}"
    );
}

/// The demo's desk through the real binary: SYNTHETIC proposals of Jakarta Pusat approved by the
/// demo camat, SYNTHETIC Renja files with planted covered, partial and standalone lines imported
/// with `tinjau import renja`, and the matching measured against what was planted.
#[tokio::test]
async fn the_demo_renja_is_matched_as_planted() {
    let app = tinjau_tests::spawn_app_with_reference_data().await;
    let dir = tempfile::tempdir().unwrap();
    let index = tinjau_workflows::locator::load(&app.pool).await.unwrap();
    let spec = tinjau_devtools::demo::DemoSpec {
        tahun: 2026,
        count: 1500,
        earlier_count: 100,
        seed: 7,
        planted_share: 0.08,
    };
    let [_, current, _] = tinjau_devtools::demo::generate(&app.pool, &index, dir.path(), &spec)
        .await
        .unwrap();
    let options = tinjau_workflows::import::proposals::ProposalImportOptions {
        tahun: 2026,
        ..Default::default()
    };
    tinjau_workflows::import::proposals::import(&app.pool, &current, &options)
        .await
        .unwrap();
    let run = |args: &[&str]| {
        // The demo data comes from the development tool, the imports from the product.
        let binary = if args[0] == "demo" {
            tinjau_tests::tinjau_dev_binary()
        } else {
            tinjau_tests::tinjau_binary()
        };
        let out = std::process::Command::new(binary.unwrap())
            .args(args)
            .env("DATABASE_URL", &app.database_url)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{args:?}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    };
    let out = dir.path().to_str().unwrap();
    run(&["import", "opd", data("opd/dki_opd.csv").to_str().unwrap()]);
    let made = run(&["demo", "trilateral", "--out", out, "--tahun", "2026"]);
    let files: Vec<(String, String)> = made
        .lines()
        .filter_map(|l| l.strip_prefix("demo: wrote "))
        .filter_map(|l| l.split_once(" for "))
        .map(|(path, rest)| {
            (
                path.to_owned(),
                rest.trim_end_matches(" (SYNTHETIC)").to_owned(),
            )
        })
        .collect();
    assert!(files.len() >= 2, "{made}");
    for (path, opd) in &files {
        let said = run(&["import", "renja", path, "--opd", opd, "--tahun", "2026"]);
        assert!(said.contains("0 rejected"), "{said}");
    }
    let planted = format!("{out}/synthetic_renja_planted_2026.csv");
    let said = run(&[
        "demo",
        "evaluate-trilateral",
        "--tahun",
        "2026",
        "--planted",
        &planted,
    ]);
    let figure = |name: &str| -> f64 {
        said.split(&format!("{name} "))
            .nth(1)
            .and_then(|rest| rest.split('%').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {said}"))
    };
    println!("{said}");
    assert!(figure("precision") >= 90.0, "{said}");
    assert!(figure("recall") >= 85.0, "{said}");
    // Gambir was left for the camat: nothing of it is at the desk.
    let gambir: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM proposal WHERE kecamatan_kode = '31.71.01' AND decision_status <> 'undecided'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(gambir, 0);
}

/// An agency's XLSX: numbers typed as numbers are taken exactly, a title block is skipped, and a
/// kelurahan written by a recorded old name is found (the old name here is made up for the test).
#[tokio::test]
async fn an_xlsx_renja_with_typed_numbers_and_a_recorded_old_name_imports_exactly() {
    let r = setup().await;
    tinjau_workflows::import::opd::import(&r.app.pool, &data("opd/dki_opd.csv"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let aliases = write(
        dir.path(),
        "nama_lama.csv",
        "kode,nama_lama\n31.71.01.1004,Petojo Binatu\n",
    );
    let counts = tinjau_workflows::import::wilayah::import_aliases(&r.app.pool, &aliases)
        .await
        .unwrap();
    assert_eq!(counts.inserted, 1);
    let bad_alias = write(
        dir.path(),
        "bad.csv",
        "kode,nama_lama\n31.71.01.9999,Entah\n",
    );
    assert!(
        tinjau_workflows::import::wilayah::import_aliases(&r.app.pool, &bad_alias)
            .await
            .is_err()
    );

    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.write_string(0, 0, "RENJA SUDIN SDA JAKARTA PUSAT 2026")
        .unwrap();
    for (c, h) in [
        "Kode Sub Kegiatan",
        "Nama Sub Kegiatan",
        "Uraian",
        "Target",
        "Satuan",
        "Kelurahan",
        "Pagu Indikatif",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(2, u16::try_from(c).unwrap(), *h).unwrap();
    }
    ws.write_string(3, 0, "1.03.04.2.01.0007").unwrap();
    ws.write_string(3, 1, "Pembangunan Sistem Drainase Perkotaan")
        .unwrap();
    ws.write_string(3, 2, "Saluran Jl. Petojo Binatu").unwrap();
    ws.write_number(3, 3, 120.5).unwrap();
    ws.write_string(3, 4, "m'").unwrap();
    ws.write_string(3, 5, "Kel. Petojo Binatu").unwrap();
    ws.write_number(3, 6, 187_500_000.0).unwrap();
    let path = dir.path().join("renja.xlsx");
    std::fs::write(&path, book.save_to_buffer().unwrap()).unwrap();
    let s = import(&r.app.pool, &path, &options("sudin-sda-jp"))
        .await
        .unwrap();
    assert_eq!(s.counts.inserted, 1);
    assert!(
        s.fuzzy_matches[0].contains("31.71.01.1004"),
        "{:?}",
        s.fuzzy_matches
    );
    let (kelurahan, target, unit, pagu, kegiatan): (String, String, String, i64, String) =
        sqlx::query_as(
            "SELECT kelurahan_kode, target::text, unit, pagu, kode_kegiatan FROM renja_item",
        )
        .fetch_one(&r.app.pool)
        .await
        .unwrap();
    assert_eq!(
        (
            kelurahan.as_str(),
            target.as_str(),
            unit.as_str(),
            pagu,
            kegiatan.as_str()
        ),
        ("31.71.01.1004", "120.5", "m", 187_500_000, "1.03.04.2.01")
    );
}

/// The desk of a whole province-sized area in Chromium: 10,000 SYNTHETIC approved proposals and
/// 5,000 Renja lines over DKI Jakarta (the trilateral bench's generator). The page shows one page
/// of 50 rows, not 10,000; its size is asserted, the times are printed (the release server's are in
/// `tinjau-dev bench trilateral`).
#[tokio::test]
async fn the_desk_of_ten_thousand_proposals_opens_a_page_at_a_time() {
    use tinjau_tests::browser::{Browser, account};
    let app = tinjau_tests::spawn_app().await;
    let data_dir = data("");
    tinjau_devtools::bench_trilateral::seed(&app.pool, &data_dir, 10_000, 5_000)
        .await
        .unwrap();
    let password = "kata sandi perencana yang panjang";
    account(&app, "bappeda.dki", "opd", Some("31"), password);
    let base = app.url("");
    let base = base.trim_end_matches('/');
    let browser = Browser::start().await;
    browser.sign_in(base, "bappeda.dki", password).await;
    browser.wait_for("table.desk").await;
    // The first view matches the city; the next pages reuse that matching.
    for (view, path) in [
        ("first page", "/trilateral?tahun=2026"),
        ("page 2", "/trilateral?tahun=2026&halaman=2"),
    ] {
        browser.goto(&format!("{base}{path}")).await;
        browser.wait_for("table.desk").await;
        let timing = browser
            .client
            .execute(
                "const n = performance.getEntriesByType('navigation')[0]; return [n.responseStart - n.requestStart, n.responseEnd - n.responseStart, n.domContentLoadedEventEnd - n.responseEnd, n.loadEventEnd - n.startTime, n.decodedBodySize, document.querySelectorAll('table.desk tbody tr').length];",
                vec![],
            )
            .await
            .unwrap();
        let figures: Vec<f64> = timing
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap_or_default())
            .collect();
        println!(
            "desk of 10,000 proposals, {view} (debug server): server {:.0} ms, transfer {:.0} ms, parse and layout {:.0} ms, whole load {:.0} ms, {:.0} KB of HTML, {} rows",
            figures[0],
            figures[1],
            figures[2],
            figures[3],
            figures[4] / 1024.0,
            figures[5]
        );
        assert!(
            (figures[5] - 50.0).abs() < 0.5,
            "one page of rows: {}",
            figures[5]
        );
        assert!(figures[4] < 400.0 * 1024.0, "{} bytes", figures[4]);
    }
    let pages = browser.text("nav.pages span").await;
    assert!(pages.contains("/ 200"), "{pages}");
    browser.shot("trilateral-desk-10000").await;
}
