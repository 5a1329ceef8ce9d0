//! Imports in the pages, in Debian's Chromium: an admin uploads a proposal file with a bad row
//! (every problem by row and column beside its form, nothing imported), the agency register and a
//! Renja (their counts), and sees them among the recent imports, each on the audit trail as theirs.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fantoccini::Locator;
use tinjau_tests::browser::{Browser, account};
use tinjau_tests::data;

const BAD_PROPOSALS: &str =
    "No,Kelurahan,RW,Usulan Kegiatan,Lokasi,Volume,Satuan,Perkiraan Anggaran
1,Cideng,02,Pemasangan paving block,Jl. Cideng Barat,200,m2,30000000
2,Atlantis,03,Perbaikan saluran,Jl. Laut,abc,m,15000000
";

const RENJA: &str = "kode_sub_giat,nama_sub_giat,uraian,outputteks,target,satuan,nama_lokasi,pagu
1.03.04.2.01.0007,Pembangunan Sistem Drainase Perkotaan,Pembangunan saluran Jl. Kebon Kelapa Raya,Panjang saluran,100,m,\"Kel. Petojo Utara, Kec. Gambir\",150000000
";

async fn upload(browser: &Browser, kind: &str, path: &std::path::Path, fields: &[(&str, &str)]) {
    let form = browser
        .client
        .form(Locator::Css(&format!("form#impor-{kind}")))
        .await
        .unwrap();
    for (name, value) in fields {
        form.set_by_name(name, value).await.unwrap();
    }
    browser
        .client
        .find(Locator::Css(&format!("form#impor-{kind} input[type=file]")))
        .await
        .unwrap()
        .send_keys(path.to_str().unwrap())
        .await
        .unwrap();
    browser.mark_page().await;
    form.submit().await.unwrap();
    browser.wait_for_next_page("table.imports").await;
}

#[tokio::test]
async fn an_admin_imports_files_in_the_pages_with_the_consoles_refusals() {
    let app = tinjau_tests::spawn_app_with_reference_data().await;
    let password = "kata sandi admin yang panjang";
    account(&app, "admin.kota", "admin", None, password);
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("usulan_2026.csv");
    std::fs::write(&bad, BAD_PROPOSALS).unwrap();
    let renja = dir.path().join("renja_sda.csv");
    std::fs::write(&renja, RENJA).unwrap();

    let base = app.url("");
    let base = base.trim_end_matches('/');
    let browser = Browser::start().await;
    browser.sign_in(base, "admin.kota", password).await;
    browser.goto(&format!("{base}/admin/impor")).await;
    browser.wait_for("form#impor-proposals").await;

    upload(&browser, "proposals", &bad, &[("tahun", "2026")]).await;
    browser.shot("imports-refused").await;
    let refused = browser.text("form#impor-proposals + div.alert.error").await;
    assert!(refused.contains("Tidak ada yang diimpor"), "{refused}");
    assert!(refused.contains("row 3, column Kelurahan"), "{refused}");
    assert!(refused.contains("row 3, column Volume"), "{refused}");
    let proposals: i64 = sqlx::query_scalar("SELECT count(*) FROM proposal")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(proposals, 0, "nothing imported");

    upload(&browser, "opd", &data("opd/dki_opd.csv"), &[]).await;
    let done = browser.text("form#impor-opd + div.alert.saved").await;
    assert!(done.contains("15 baris: 15 baru"), "{done}");

    upload(
        &browser,
        "renja",
        &renja,
        &[("opd", "sudin-sda-jp"), ("tahun", "2026")],
    )
    .await;
    let done = browser.text("form#impor-renja + div.alert.saved").await;
    assert!(done.contains("1 baris: 1 baru"), "{done}");
    browser.shot("imports-done").await;

    let recent = browser.text("table.imports").await;
    assert!(
        recent.contains("opd") && recent.contains("renja"),
        "{recent}"
    );
    let actors: Vec<String> = sqlx::query_scalar(
        "SELECT actor || ' ' || coalesce(after->>'kind', '') FROM audit_event
          WHERE action = 'import' ORDER BY seq DESC LIMIT 2",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        actors,
        ["admin.kota renja", "admin.kota opd"],
        "the admin is on the record"
    );
}
