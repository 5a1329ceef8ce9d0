//! The web pages in a real browser (Debian's Chromium through ChromeDriver) against the real
//! server: a camat signs in, filters the list, opens a proposal and sees its map drawn, rejects
//! with a reason, meets a decision made meanwhile by a second session and resolves it, sends
//! Kirim and downloads the Berita Acara; a lurah cannot reach another kelurahan's pages; a POST
//! without the CSRF token is refused; the public page shows nothing personal. Screenshots of
//! each page go to `target/web-screenshots/`.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// One story per test reads better than helpers split for length.
#![allow(clippy::too_many_lines)]

use std::process::Command;

use fantoccini::Locator;
use reqwest::StatusCode;
use serde_json::json;
use tinjau_tests::browser::Browser;
use tinjau_tests::review::{self, Review};

fn account(r: &Review, name: &str, role: &str, wilayah: &str, password: &str) {
    tinjau_tests::browser::account(&r.app, name, role, Some(wilayah), password);
}

const PASSWORD: &str = "kata sandi camat yang panjang";

/// A survey of `proposal` with one real phone photo (its EXIF position in Cideng, beside the fix),
/// stored and read; returns the survey's id and the photo's SHA-256.
async fn survey_with_photo(r: &Review, proposal: i64) -> (String, String) {
    survey_with_photo_and(r, proposal, &json!({})).await
}

/// As [`survey_with_photo`], with some of the record's fields as given.
async fn survey_with_photo_and(
    r: &Review,
    proposal: i64,
    fields: &serde_json::Value,
) -> (String, String) {
    use sha2::Digest as _;
    let token = r
        .app
        .token_for(survey_schema::Role::Surveyor, Some("31.71.01"))
        .await;
    let bytes = std::fs::read(tinjau_tests::data("photos/phone_srational_a.jpg")).unwrap();
    let sha = hex::encode(sha2::Sha256::digest(&bytes));
    let id = uuid::Uuid::new_v4().to_string();
    let body = json!({
        "proposal_id": proposal,
        "captured_at": "2026-02-10T03:15:00Z",
        "fix": {"lat": -6.1756, "lon": 106.8095, "accuracy_m": 5.0, "altitude_m": null, "fix_time": "2026-02-10T03:14:58Z"},
        "trace": {"type": "LineString", "coordinates": [[106.8095, -6.1756], [106.8102, -6.1756]]},
        "address_confirmed": true, "address_note": null,
        "technical": {"ok": true, "note": null}, "administrative": {"ok": true, "note": null},
        "volume": {"value": "180", "satuan": "m2"},
        "photos": [{"sha256": sha, "bytes": bytes.len(), "content_type": "image/jpeg", "caption": "depan"}],
        "supersedes": null
    });
    let mut body = body;
    for (k, v) in fields.as_object().unwrap() {
        body[k] = v.clone();
    }
    let put = r
        .app
        .client
        .put(r.app.url(&format!("/api/v1/surveys/{id}")))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::CREATED);
    let photo = r
        .app
        .client
        .put(r.app.url(&format!("/api/v1/surveys/{id}/photos/{sha}")))
        .bearer_auth(&token)
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(photo.status(), StatusCode::CREATED);
    r.app.survey_when_read(&token, &id).await;
    (id, sha)
}

#[tokio::test]
async fn a_camat_goes_from_sign_in_to_the_berita_acara_in_the_browser() {
    let r = review::setup().await;
    let [paving, drainage, beton, _, _] = r.ids[..] else {
        panic!()
    };
    let (survey, sha) = survey_with_photo(&r, paving).await;
    account(&r, "camat.web", "camat", "31.71.01", PASSWORD);
    let base = r.app.address.clone();
    let browser = Browser::start().await;

    // Not signed in: the review sends the browser to sign in, and back after it.
    browser
        .goto(&format!("{base}/kecamatan/31.71.01?tahun=2026"))
        .await;
    assert!(
        browser
            .client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/masuk")
    );
    browser.shot("01-sign-in").await;
    // A wrong password is refused with a message, in Indonesian.
    browser.sign_in(&base, "camat.web", "salah").await;
    assert!(
        browser
            .text("p.alert.error")
            .await
            .contains("Nama atau kata sandi salah")
    );
    browser
        .goto(&format!(
            "{base}/masuk?lanjut=%2Fkecamatan%2F31.71.01%3Ftahun%3D2026"
        ))
        .await;
    let form = browser
        .client
        .form(Locator::Css("section.signin form"))
        .await
        .unwrap();
    form.set_by_name("name", "camat.web").await.unwrap();
    form.set_by_name("password", PASSWORD).await.unwrap();
    form.submit().await.unwrap();
    browser.wait_for("table.review").await;
    assert!(
        browser
            .text("h1")
            .await
            .contains("Tinjauan Kecamatan Gambir 2026"),
        "{}",
        browser.text("h1").await
    );
    let cookies = browser.client.get_all_cookies().await.unwrap();
    let session = cookies
        .iter()
        .find(|c| c.name() == "tinjau_sesi")
        .expect("a session cookie");
    assert_eq!(session.http_only(), Some(true));
    assert_eq!(
        session.same_site().map(|s| format!("{s:?}")).as_deref(),
        Some("Strict")
    );
    browser.shot("02-review-list").await;
    // The bar's sections keep the year.
    let map_link = browser
        .client
        .find(Locator::Css("nav.sections a[href*='/peta']"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(map_link, "/kecamatan/31.71.01/peta?tahun=2026");
    // Rows say in one line what is wrong, money as Rupiah.
    let text = browser.body_text().await;
    assert!(text.contains("Rp 32.000.000"), "{text}");
    assert!(browser.count("table.review tbody tr").await >= 3);

    // Filter: the undecided drainage only, by the decision and the finding's severity.
    let filters = browser
        .client
        .form(Locator::Css("form.filters"))
        .await
        .unwrap();
    browser
        .client
        .find(Locator::Css("select[name=decision]"))
        .await
        .unwrap()
        .select_by_value("undecided")
        .await
        .unwrap();
    browser.mark_page().await;
    filters.submit().await.unwrap();
    browser.wait_for_next_page("table.review").await;
    assert!(
        browser
            .client
            .current_url()
            .await
            .unwrap()
            .query()
            .unwrap()
            .contains("decision=undecided")
    );
    let rows = browser.count("table.review tbody tr").await;
    assert!(
        rows >= 3,
        "every physical proposal is undecided yet: {rows}"
    );
    // And by kelurahan: Petojo Utara holds the drainage only.
    browser
        .client
        .find(Locator::Css("select[name=kelurahan]"))
        .await
        .unwrap()
        .select_by_value("31.71.01.1003")
        .await
        .unwrap();
    browser.mark_page().await;
    browser
        .client
        .form(Locator::Css("form.filters"))
        .await
        .unwrap()
        .submit()
        .await
        .unwrap();
    browser.wait_for_next_page("table.review").await;
    assert_eq!(browser.count("table.review tbody tr").await, 1);
    assert!(
        browser
            .text("table.review tbody")
            .await
            .contains("saluran drainase")
    );

    // English by the switch, and back.
    browser.mark_page().await;
    browser
        .client
        .find(Locator::Css("nav.lang a[hreflang=en]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait_for_next_page("table.review").await;
    assert!(browser.text("h1").await.starts_with("Review of Kecamatan"));
    browser.shot("03-review-list-english").await;
    browser.mark_page().await;
    browser
        .client
        .find(Locator::Css("nav.lang a[hreflang=id]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait_for_next_page("table.review").await;

    // The proposal's page: its map draws the kelurahan and the survey's fix with its accuracy.
    browser.goto(&format!("{base}/usulan/{paving}")).await;
    browser.wait_for("#map[data-ready='1']").await;
    assert!(
        browser.count("path.feature-kelurahan").await >= 1,
        "the kelurahan polygon is drawn"
    );
    assert_eq!(
        browser.count("path.feature-fix").await,
        1,
        "the survey's fix is drawn"
    );
    assert_eq!(
        browser.count("path.feature-accuracy").await,
        1,
        "with its accuracy circle"
    );
    assert_eq!(
        browser.count("path.feature-trace").await,
        1,
        "the traced line"
    );
    assert_eq!(
        browser.count("path.feature-photo").await,
        1,
        "the photo's EXIF position"
    );
    assert_eq!(
        browser.count("path.feature-photo-link").await,
        1,
        "joined to the fix"
    );
    // The photo as a thumbnail, opening to the full photo.
    browser.wait_for("div.thumbs img").await;
    // Thumbnails load lazily: scrolled into view, it shows.
    let mut loaded = serde_json::Value::Null;
    for _ in 0..50 {
        loaded = browser
            .client
            .execute(
                "const i = document.querySelector('div.thumbs img'); i.scrollIntoView(); return i.complete ? i.naturalWidth : 0;",
                vec![],
            )
            .await
            .unwrap();
        if loaded.as_u64().unwrap_or(0) > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        loaded.as_u64().unwrap_or(0) > 100,
        "the thumbnail shows: {loaded}"
    );
    browser.shot("04b-proposal-photos").await;
    let full = browser
        .client
        .find(Locator::Css("div.thumbs a"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(full, format!("/foto/{survey}/{sha}"));
    // Every finding with its explanation and numbers: one photo where two are needed.
    let findings = browser.text("section.anomalies").await;
    assert!(
        findings.contains("Foto kurang") && findings.contains("Hanya 1 foto; minimal 2"),
        "{findings}"
    );
    // The photo's caption is its alt text and its caption; the survey's answers are there.
    let alt = browser
        .client
        .find(Locator::Css("div.thumbs img"))
        .await
        .unwrap()
        .attr("alt")
        .await
        .unwrap();
    assert_eq!(alt.as_deref(), Some("depan"));
    let answers = browser.text("section.answers").await;
    assert!(
        answers.contains("usulan 200 m2")
            && answers.contains("ukur ulang 180 m2")
            && answers.contains("-10%"),
        "{answers}"
    );
    browser.shot_whole("04-proposal").await;

    // Reject the beton (done in 2025) with ground (f).
    browser.goto(&format!("{base}/usulan/{beton}")).await;
    browser.wait_for("form.decision").await;
    browser
        .client
        .find(Locator::Css("input[name=action][value=reject]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .client
        .find(Locator::Css("select[name=reason]"))
        .await
        .unwrap()
        .select_by_value("f")
        .await
        .unwrap();
    browser
        .client
        .find(Locator::Css("textarea[name=note]"))
        .await
        .unwrap()
        .send_keys("Sudah dikerjakan 2025")
        .await
        .unwrap();
    browser
        .client
        .find(Locator::Css("form.decision button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait_for("p.alert.saved").await;
    assert!(browser.text("dd.decision").await.contains("Ditolak"));
    browser.shot("05-rejected").await;

    // A second session decides the drainage while this one has its form open: the stale form is
    // shown as such, with what changed, and deciding again works.
    browser.goto(&format!("{base}/usulan/{drainage}")).await;
    browser.wait_for("form.decision").await;
    let (_, list) = review::list(&r, &r.camat, "").await;
    let version = format!("\"{}\"", review::item(&list, drainage)["version"]);
    let (status, _, _) = review::decide(
        &r,
        &r.camat,
        drainage,
        &uuid::Uuid::new_v4().to_string(),
        Some(&version),
        &json!({"action": "reject", "reason": "c", "note": "sasaran tidak jelas"}),
    )
    .await;
    assert!(status.is_success(), "{status}");
    browser
        .client
        .find(Locator::Css("input[name=action][value=approve]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .client
        .find(Locator::Css("form.decision button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait_for("div.alert.stale").await;
    let stale = browser.text("div.alert.stale").await;
    assert!(stale.contains("diputuskan orang lain"), "{stale}");
    assert!(
        stale.contains("ditolak") && stale.contains("sasaran tidak jelas"),
        "what changed: {stale}"
    );
    browser.shot("06-stale-decision").await;
    browser
        .client
        .find(Locator::Css("input[name=action][value=approve]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .client
        .find(Locator::Css("form.decision button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait_for("p.alert.saved").await;
    assert!(browser.text("dd.decision").await.contains("Disetujui"));

    // A POST without the CSRF token is refused, even with the session cookie.
    let cookie = browser.cookie_header().await;
    let forged = r
        .app
        .client
        .post(format!("{base}/usulan/{paving}/keputusan"))
        .header("Cookie", &cookie)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!(
            "version=1&decision_id={}&action=approve",
            uuid::Uuid::new_v4()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(forged.text().await.unwrap().contains("CSRF"));
    let photo = r
        .app
        .client
        .get(format!("{base}/foto/{survey}/{sha}"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(photo.status(), StatusCode::OK);
    assert_eq!(photo.headers()["content-type"], "image/jpeg");

    // Kirim: first the list of what is undecided, then the confirmation; afterwards locked, with
    // the forms to download.
    browser
        .goto(&format!("{base}/kecamatan/31.71.01/kirim?tahun=2026"))
        .await;
    assert!(browser.body_text().await.contains("belum diputuskan"));
    assert!(browser.count("ul.undecided li").await >= 1);
    browser.shot("07-kirim-undecided").await;
    browser.goto(&format!("{base}/usulan/{paving}")).await;
    browser.wait_for("form.decision").await;
    browser
        .client
        .find(Locator::Css("input[name=action][value=approve]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .client
        .find(Locator::Css("form.decision button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait_for("p.alert.saved").await;
    browser
        .goto(&format!("{base}/kecamatan/31.71.01/kirim?tahun=2026"))
        .await;
    browser.wait_for("form.kirim").await;
    browser
        .client
        .find(Locator::Css("form.kirim input[name=yakin]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .client
        .find(Locator::Css("form.kirim button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait_for("ul.downloads").await;
    assert!(browser.text("p.alert.locked").await.contains("Terkirim"));
    // Every form is offered once sent, the blank attendance sheet and Lampiran I's CSV too.
    for file in [
        "berita-acara.pdf",
        "daftar-hadir.pdf",
        "lampiran1.csv",
        "laporan.zip",
    ] {
        assert_eq!(
            browser
                .count(&format!("ul.downloads a[href*='/formulir/{file}']"))
                .await,
            1,
            "{file}"
        );
    }
    browser.shot("08-kirim-sent").await;
    let href = browser
        .client
        .find(Locator::Css("ul.downloads a[href*='berita-acara.pdf']"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let pdf = r
        .app
        .client
        .get(format!("{base}{href}"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let bytes = pdf.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ba.pdf");
    std::fs::write(&path, &bytes).unwrap();
    let text = Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.to_uppercase().contains("BERITA ACARA"), "{text}");

    // The kecamatan map: every proposal with a position, clickable to its page.
    browser
        .goto(&format!("{base}/kecamatan/31.71.01/peta?tahun=2026"))
        .await;
    browser.wait_for("#map[data-ready='1']").await;
    assert!(
        browser.count("path.feature-kelurahan").await >= 6,
        "Gambir's six kelurahan"
    );
    assert!(browser.count("path.feature-proposal").await >= 1);
    browser.shot("09-kecamatan-map").await;

    // Sign-out revokes the session on the server: the old cookie opens nothing.
    browser
        .goto(&format!("{base}/kecamatan/31.71.01?tahun=2026"))
        .await;
    browser
        .client
        .find(Locator::Css("form.signout button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait_for("section.signin").await;
    let replay = r
        .app
        .client
        .get(format!("{base}/kecamatan/31.71.01"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert!(replay.url().path().ends_with("/masuk"), "{}", replay.url());
}

#[tokio::test]
async fn a_lurah_sees_only_its_kelurahan_and_the_public_page_nothing_personal() {
    let r = review::setup().await;
    let [paving, drainage, ..] = r.ids[..] else {
        panic!()
    };
    review::survey(&r, paving, "180").await;
    // The lurah of Kebon Kelapa (31.71.01.1003), where the drainage is; the paving is in Cideng.
    account(&r, "lurah.kebonkelapa", "lurah", "31.71.01.1003", PASSWORD);
    let base = r.app.address.clone();
    let browser = Browser::start().await;
    browser.sign_in(&base, "lurah.kebonkelapa", PASSWORD).await;
    browser.wait_for("table.review").await;
    let text = browser.body_text().await;
    assert!(text.contains("Pembangunan saluran drainase"), "{text}");
    assert!(
        !text.contains("Pemasangan paving block"),
        "another kelurahan's proposal is listed: {text}"
    );
    // No link the lurah cannot use: no forum record, no Kirim, no forms.
    for href in ["/forum", "/kirim", "/formulir/"] {
        assert_eq!(
            browser.count(&format!("a[href*='{href}']")).await,
            0,
            "a lurah sees a link to {href}"
        );
    }
    // On a phone, each proposal is a card: nothing wider than the screen, every value there.
    browser.client.set_window_size(412, 900).await.unwrap();
    browser
        .goto(&format!("{base}/kecamatan/31.71.01?tahun=2026"))
        .await;
    browser.wait_for("table.review").await;
    let width = browser
        .client
        .execute("return document.documentElement.scrollWidth", vec![])
        .await
        .unwrap();
    assert!(
        width.as_u64().unwrap() <= 412,
        "the page is {width} px wide"
    );
    // Budget, findings and decision are on screen, each labelled (the label drawn by the card).
    let cells = browser
        .client
        .execute(
            "return [...document.querySelectorAll('table.review tbody tr:first-child td')].map(td => { const r = td.getBoundingClientRect(); return [td.dataset.label || '', r.width > 0 && r.right <= 412, getComputedStyle(td, '::before').content]; })",
            vec![],
        )
        .await
        .unwrap();
    for label in ["Anggaran", "Temuan", "Keputusan"] {
        let cell = cells
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c[0] == label)
            .unwrap_or_else(|| panic!("no {label} cell: {cells}"));
        assert_eq!(cell[1], json!(true), "{label} off screen: {cells}");
        assert!(cell[2].as_str().unwrap().contains(label), "{cells}");
    }
    browser.shot_whole("10a-lurah-list-phone").await;
    browser.client.set_window_size(1366, 768).await.unwrap();
    browser.goto(&format!("{base}/usulan/{drainage}")).await;
    browser.wait_for("section.facts").await;
    browser.goto(&format!("{base}/usulan/{paving}")).await;
    browser.wait_for("section.error").await;
    assert!(
        browser
            .text("section.error")
            .await
            .contains("di luar wilayah")
    );
    browser.shot("10-lurah-refused").await;
    let cookie = browser.cookie_header().await;
    let r2 = r
        .app
        .client
        .get(format!("{base}/kecamatan/31.71.01?kelurahan=31.71.01.1002"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r2.status(), StatusCode::FORBIDDEN);

    // The public page of Cideng, on a phone-sized window, signed out.
    browser.client.set_window_size(412, 900).await.unwrap();
    let anonymous = Browser::start().await;
    anonymous.client.set_window_size(412, 900).await.unwrap();
    anonymous
        .goto(&format!("{base}/publik/kelurahan/31.71.01.1002?tahun=2026"))
        .await;
    anonymous.wait_for("table.public").await;
    let text = anonymous.body_text().await;
    assert!(text.contains("Pemasangan paving block"), "{text}");
    for personal in ["surveyor", "camat", "tjau_", "Keluar", "Sign out"] {
        assert!(
            !text.contains(personal),
            "{personal} on the public page: {text}"
        );
    }
    anonymous.shot("11-public-phone").await;
}

/// The sign-in form's CSRF token and its cookie, as a browser gets them.
async fn sign_in_form(r: &Review, proto: &str) -> (String, String) {
    let page = r
        .app
        .client
        .get(r.app.url("/masuk"))
        .header("X-Forwarded-Proto", proto)
        .send()
        .await
        .unwrap();
    let cookie = page.headers()["set-cookie"].to_str().unwrap().to_owned();
    let html = page.text().await.unwrap();
    let token = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    (cookie.split(';').next().unwrap().to_owned(), token)
}

#[tokio::test]
async fn repeated_wrong_passwords_delay_the_next_attempt_and_cookies_are_secure_behind_tls() {
    let r = review::setup().await;
    account(&r, "camat.lock", "camat", "31.71.01", PASSWORD);
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let attempt = |password: &'static str| {
        let r = &r;
        let client = no_redirects.clone();
        async move {
            let (cookie, token) = sign_in_form(r, "https").await;
            client
                .post(r.app.url("/masuk"))
                .header("Cookie", cookie)
                .header("X-Forwarded-Proto", "https")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(format!(
                    "name=camat.lock&password={}&csrf={token}&lanjut=%2F",
                    password.replace(' ', "+")
                ))
                .send()
                .await
                .unwrap()
        }
    };
    // Behind TLS the session cookie is Secure, HttpOnly and SameSite=Strict.
    let ok = attempt(PASSWORD).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let set = ok
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("tinjau_sesi="))
        .unwrap();
    for flag in ["HttpOnly", "SameSite=Strict", "Secure", "Max-Age=43200"] {
        assert!(set.contains(flag), "{flag} missing: {set}");
    }
    // Five wrong passwords are answered as wrong; then even the right one waits.
    for _ in 0..5 {
        let wrong = attempt("salah sekali").await;
        assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
        assert!(
            wrong
                .text()
                .await
                .unwrap()
                .contains("Nama atau kata sandi salah")
        );
    }
    let locked = attempt(PASSWORD).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.text().await.unwrap().contains("coba lagi dalam"));
    // Only this site's paths are where a page sends the browser back to (a tab would make `//`).
    for evil in [
        "%2F%2Fevil.example",
        "%2F%09%2Fevil.example",
        "https%3A%2F%2Fevil.example",
    ] {
        let back = no_redirects
            .get(r.app.url(&format!("/bahasa/en?kembali={evil}")))
            .send()
            .await
            .unwrap();
        assert_eq!(back.headers()["location"], "/", "{evil}");
    }
    // A sign-in form without its own CSRF cookie is refused.
    let forged = no_redirects
        .post(r.app.url("/masuk"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("name=camat.lock&password=x&csrf=abc")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_camat_fills_the_forum_record_in_the_page_and_kirim_waits_for_it() {
    let r = review::setup().await;
    review::decide_all(&r).await;
    account(&r, "camat.forum", "camat", "31.71.01", PASSWORD);
    let base = r.app.address.clone();
    let browser = Browser::start().await;
    browser.sign_in(&base, "camat.forum", PASSWORD).await;
    browser
        .goto(&format!("{base}/kecamatan/31.71.01/forum?tahun=2026"))
        .await;
    browser.wait_for("form.forum").await;
    assert!(
        browser
            .body_text()
            .await
            .contains("Catatan lengkap untuk Berita Acara")
    );

    // The Nomor cleared: saved, and the page lists what the Berita Acara now lacks.
    let form = browser
        .client
        .form(Locator::Css("form.forum"))
        .await
        .unwrap();
    form.set_by_name("nomor", "").await.unwrap();
    // The forum ranks the drainage first.
    form.set_by_name(&format!("rank_{}", r.ids[1]), "1")
        .await
        .unwrap();
    browser.mark_page().await;
    form.submit().await.unwrap();
    browser.wait_for_next_page("form.forum").await;
    let text = browser.body_text().await;
    assert!(text.contains("Catatan forum tersimpan"), "{text}");
    assert!(text.contains("Nomor Berita Acara belum diisi"), "{text}");
    browser.shot("12-forum-record").await;
    browser.client.set_window_size(412, 900).await.unwrap();
    browser.shot("12b-forum-record-phone").await;
    browser.client.set_window_size(1366, 768).await.unwrap();

    // Kirim waits for the record, and says why.
    browser
        .goto(&format!("{base}/kecamatan/31.71.01/kirim?tahun=2026"))
        .await;
    let text = browser.body_text().await;
    assert!(text.contains("Catatan forum belum lengkap"), "{text}");
    assert_eq!(browser.count("form.kirim").await, 0);
    browser.shot("13-kirim-waits-for-the-record").await;

    // Filled again, the list can be sent; the record is then locked.
    browser
        .goto(&format!("{base}/kecamatan/31.71.01/forum?tahun=2026"))
        .await;
    let form = browser
        .client
        .form(Locator::Css("form.forum"))
        .await
        .unwrap();
    form.set_by_name("nomor", "005/BA/2026").await.unwrap();
    browser.mark_page().await;
    form.submit().await.unwrap();
    browser.wait_for_next_page("p.alert.saved").await;
    let view: serde_json::Value = r
        .app
        .get_as("/api/v1/kecamatan/31.71.01/forum?tahun=2026", &r.camat)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["record"]["nomor"], "005/BA/2026");
    assert_eq!(view["record"]["prioritas"], json!([r.ids[1]]));
    assert_eq!(view["gaps"], json!([]));
    assert_eq!(
        view["record"]["peserta"].as_array().map(Vec::len),
        Some(3),
        "the empty rows are not saved as people"
    );
}

#[tokio::test]
async fn the_camat_approves_every_proposal_without_a_finding_with_one_confirmation() {
    let r = review::setup().await;
    account(&r, "camat.bulk", "camat", "31.71.01", PASSWORD);
    let base = r.app.address.clone();
    let browser = Browser::start().await;
    browser.sign_in(&base, "camat.bulk", PASSWORD).await;
    browser
        .goto(&format!("{base}/kecamatan/31.71.01?tahun=2026"))
        .await;
    browser.wait_for("form.bulk").await;
    let offer = browser.text("form.bulk label").await;
    assert!(offer.contains("usulan tanpa temuan"), "{offer}");
    browser.shot("14-bulk-offer").await;
    browser.click("form.bulk input[name=yakin]").await;
    browser.mark_page().await;
    browser.click("form.bulk button[type=submit]").await;
    browser.wait_for_next_page("p.alert.saved").await;
    let done = browser.text("p.alert.saved").await;
    assert!(done.contains("usulan disetujui"), "{done}");
    browser.shot("15-bulk-done").await;
    // Nothing left to approve in one action: the offer is gone.
    assert_eq!(browser.count("form.bulk").await, 0);
    let decided: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM decision WHERE note = 'Disetujui bersama: tanpa temuan'",
    )
    .fetch_one(&r.app.pool)
    .await
    .unwrap();
    assert!(decided >= 1, "at least one approved in bulk");
}

#[tokio::test]
async fn after_a_decision_the_next_undecided_one_and_the_list_keep_the_filter() {
    let r = review::setup().await;
    account(&r, "camat.next", "camat", "31.71.01", PASSWORD);
    let base = r.app.address.clone();
    let browser = Browser::start().await;
    browser.sign_in(&base, "camat.next", PASSWORD).await;
    let list = format!("{base}/kecamatan/31.71.01?tahun=2026&decision=undecided");
    browser.goto(&list).await;
    browser.wait_for("table.review").await;
    browser.mark_page().await;
    // The last row: the least serious, which approving needs no note for.
    browser.click("table.review tbody tr:last-child td a").await;
    browser.wait_for_next_page("form.decision").await;
    // Approve is chosen for a proposal without a high finding; otherwise choose it.
    browser.click("input[name=action][value=approve]").await;
    browser.mark_page().await;
    browser
        .click("form.decision button[type=submit]:not(.primary)")
        .await;
    browser.wait_for_next_page("p.alert.saved").await;
    let next = browser
        .client
        .find(Locator::Css("p.alert.saved a.next"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(
        next.contains("daftar=tahun%3D2026%26decision%3Dundecided"),
        "{next}"
    );
    browser.shot("16-decided-next").await;
    let back = browser
        .client
        .find(Locator::Css("p.crumbs a"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(
        back.ends_with("?tahun=2026&decision=undecided&page=1"),
        "{back}"
    );
    // "Save & open the next": one page load from one decision to the next proposal.
    let decided = browser.client.current_url().await.unwrap();
    browser.mark_page().await;
    browser.click("p.alert.saved a.next").await;
    browser.wait_for_next_page("form.decision").await;
    let this = browser.client.current_url().await.unwrap();
    browser.click("input[name=action][value=approve]").await;
    let note = browser
        .client
        .find(Locator::Css("textarea[name=note]"))
        .await
        .unwrap();
    note.send_keys("Sesuai hasil survei").await.unwrap();
    browser.mark_page().await;
    browser.click("form.decision button.primary").await;
    browser.wait_for_next_page("p.alert.saved").await;
    let landed = browser.client.current_url().await.unwrap();
    let saved = browser.text("p.alert.saved").await;
    if landed.path() == this.path() {
        // Nothing undecided was left in the filter: the page stays on the one decided.
        assert!(saved.contains("Keputusan tersimpan"), "{saved}");
    } else {
        assert_ne!(landed.path(), decided.path());
        assert!(
            saved.contains("tersimpan. Ini usulan berikutnya"),
            "{saved}"
        );
        assert!(
            browser.count("form.decision").await == 1,
            "the next one, to decide"
        );
    }
    browser.shot_whole("17-saved-and-next").await;
}

#[tokio::test]
async fn the_proposal_page_shows_the_surveys_answers_and_keeps_a_far_photo_off_the_map() {
    let r = review::setup().await;
    let [paving, _, beton, ..] = r.ids[..] else {
        panic!()
    };
    // The team stood some 3.6 km from where the photo was taken, and judged the work not feasible.
    survey_with_photo_and(
        &r,
        paving,
        &json!({
            "fix": {"lat": -6.2050, "lon": 106.8300, "accuracy_m": 8.0, "altitude_m": null, "fix_time": "2026-02-10T03:14:58Z"},
            "trace": null,
            "address_confirmed": false, "address_note": "Lokasi di ujung gang, bukan di jalan utama",
            "technical": {"ok": false, "note": "Tanah labil di tepi kali"},
            "note": "Warga minta ditinjau ulang"
        }),
    )
    .await;
    account(&r, "camat.bukti", "camat", "31.71.01", PASSWORD);
    let base = r.app.address.clone();
    let browser = Browser::start().await;
    browser.sign_in(&base, "camat.bukti", PASSWORD).await;
    browser.goto(&format!("{base}/usulan/{paving}")).await;
    browser.wait_for("#map[data-ready='1']").await;
    let answers = browser.text("section.answers").await;
    for said in [
        "Tidak sesuai dengan usulan",
        "Lokasi di ujung gang",
        "Tidak layak",
        "Tanah labil di tepi kali",
        "Warga minta ditinjau ulang",
    ] {
        assert!(answers.contains(said), "{said} in {answers}");
    }
    // The far photo is listed with its distance in metres, not drawn; the map stays on the place.
    let far = browser.text("div.alert.far").await;
    assert!(
        far.contains("Foto 1 (depan)") && far.contains(" m dari posisi survei"),
        "{far}"
    );
    assert_eq!(browser.count("path.feature-photo").await, 0);
    assert_eq!(browser.count("path.feature-fix").await, 1);
    let zoom = browser
        .client
        .execute(
            "return document.querySelector('#map').dataset.ready",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(zoom, json!("1"));
    // The finding naming another proposal links to it.
    browser.shot_whole("18-proposal-evidence").await;
    browser.goto(&format!("{base}/usulan/{beton}")).await;
    browser.wait_for("section.anomalies").await;
    let findings = browser.text("section.anomalies").await;
    assert!(findings.contains("Sudah dikerjakan"), "{findings}");
    let link = browser
        .client
        .find(Locator::Css("section.anomalies a.other"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(link.starts_with("/usulan/"), "{link}");
    // And the list names every finding by its short label, with the remeasured volume.
    browser
        .goto(&format!("{base}/kecamatan/31.71.01?tahun=2026"))
        .await;
    browser.wait_for("table.review").await;
    let row = browser
        .text(&format!("table.review tr[data-id='{paving}']"))
        .await;
    assert!(row.contains("ukur ulang 180 m2"), "{row}");
    assert!(
        browser
            .count(&format!("table.review tr[data-id='{paving}'] ul.labels li"))
            .await
            >= 2,
        "every finding's label: {row}"
    );
}

#[tokio::test]
async fn a_refused_decision_keeps_what_was_typed_and_a_correction_can_be_undone() {
    let r = review::setup().await;
    let [paving, drainage, ..] = r.ids[..] else {
        panic!()
    };
    // The drainage surveyed at its proposed length, its photo taken 3.6 km away: a high finding,
    // and nothing the evidence suggests.
    survey_with_photo_and(
        &r,
        drainage,
        &json!({
            "fix": {"lat": -6.2050, "lon": 106.8300, "accuracy_m": 8.0, "altitude_m": null, "fix_time": "2026-02-10T03:14:58Z"},
            "trace": null, "volume": {"value": "100", "satuan": "m'"}
        }),
    )
    .await;
    account(&r, "camat.ketik", "camat", "31.71.01", PASSWORD);
    let base = r.app.address.clone();
    let browser = Browser::start().await;
    browser.sign_in(&base, "camat.ketik", PASSWORD).await;

    // On a proposal with a high-severity finding and no suggestion, no action is chosen for the camat.
    let (_, page) = review::list(&r, &r.camat, "").await;
    let high = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["max_severity"] == "high" && i["suggestion"].is_null())
        .map(|i| i["id"].as_i64().unwrap());
    assert_eq!(high, Some(drainage), "{page}");
    let high = drainage;
    browser.goto(&format!("{base}/usulan/{high}")).await;
    browser.wait_for("form.decision").await;
    assert_eq!(browser.count("input[name=action]:checked").await, 0);

    browser.goto(&format!("{base}/usulan/{paving}")).await;
    browser.wait_for("form.decision").await;
    let typed = |volume: &'static str| {
        let browser = &browser;
        async move {
            browser.click("input[name=action][value=set_volume]").await;
            let field = browser
                .client
                .find(Locator::Css("input[name=volume]"))
                .await
                .unwrap();
            field.clear().await.unwrap();
            field.send_keys(volume).await.unwrap();
            let note = browser
                .client
                .find(Locator::Css("textarea[name=note]"))
                .await
                .unwrap();
            note.clear().await.unwrap();
            note.send_keys("Diukur ulang bersama RW").await.unwrap();
            browser.mark_page().await;
            browser.click("form.decision button[type=submit]").await;
            browser.wait_for_next_page("form.decision").await;
        }
    };
    for (volume, says) in [("abc", "bukan angka"), ("0", ""), ("-5", "")] {
        typed(volume).await;
        let error = browser.text("label.volume span.field-error").await;
        assert!(error.contains(says), "{volume}: {error}");
        let value = browser
            .client
            .execute("return [document.querySelector('input[name=volume]').value, document.querySelector('textarea[name=note]').value, document.querySelector('input[name=action]:checked').value]", vec![])
            .await
            .unwrap();
        assert_eq!(
            value,
            json!([volume, "Diukur ulang bersama RW", "set_volume"])
        );
        assert_eq!(
            browser.count("span.field-error[role=alert]").await,
            1,
            "announced"
        );
    }
    browser.shot_whole("19-refused-kept").await;
    // Rejecting without a ground: the message stands beside the ground.
    browser.click("input[name=action][value=reject]").await;
    browser.mark_page().await;
    browser.click("form.decision button[type=submit]").await;
    browser.wait_for_next_page("form.decision").await;
    assert!(
        browser
            .text("label.reason span.field-error")
            .await
            .contains("alasan")
    );

    // A correction shows what it changed, and one click sets the proposed volume back.
    typed("150").await;
    browser.wait_for("p.changed").await;
    let changed = browser.text("p.changed").await;
    assert!(
        changed.contains("diubah dari 200 m2 ke 150 m2"),
        "{changed}"
    );
    browser.shot_whole("20-corrected").await;
    browser.mark_page().await;
    browser.click("form.undo button").await;
    browser.wait_for_next_page("p.alert.saved").await;
    assert_eq!(browser.count("p.changed").await, 0);
    assert!(browser.text("dd.decision").await.starts_with("Disetujui"));
}

#[tokio::test]
async fn before_kirim_a_summary_and_after_a_reopening_who_why_and_what_changed() {
    let r = review::setup().await;
    let [paving, ..] = r.ids[..] else { panic!() };
    review::decide_all(&r).await;
    account(&r, "camat.kirim", "camat", "31.71.01", PASSWORD);
    let base = r.app.address.clone();
    let browser = Browser::start().await;
    browser.sign_in(&base, "camat.kirim", PASSWORD).await;
    browser
        .goto(&format!("{base}/kecamatan/31.71.01/kirim?tahun=2026"))
        .await;
    browser.wait_for("section.summary").await;
    let summary = browser.text("section.summary").await;
    // Paving corrected to 260 m2 (Rp 41.600.000) and drainage approved (Rp 150.000.000).
    assert!(summary.contains("Rp 191.600.000"), "{summary}");
    assert!(summary.contains("Suku Dinas Bina Marga"), "{summary}");
    assert_eq!(browser.count("div.alert.reopened").await, 0);
    browser.shot_whole("21-kirim-summary").await;
    let (status, _) = review::post_kirim(&r, &r.camat).await;
    assert!(status.is_success(), "{status}");
    // An admin reopens it; the camat changes one decision.
    let admin = r.app.token_for(survey_schema::Role::Admin, None).await;
    let reopened = r
        .app
        .client
        .post(r.app.url("/api/v1/kecamatan/31.71.01/reopen?tahun=2026"))
        .bearer_auth(&admin)
        .json(&json!({"reason": "Salah hitung volume paving"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reopened.status(), StatusCode::OK);
    let (_, page) = review::list(&r, &r.camat, "").await;
    let version = format!("\"{}\"", review::item(&page, paving)["version"]);
    let (status, _, _) = review::decide(
        &r,
        &r.camat,
        paving,
        &uuid::Uuid::new_v4().to_string(),
        Some(&version),
        &json!({"action": "set_volume", "volume": "240", "satuan": "m2"}),
    )
    .await;
    assert!(status.is_success(), "{status}");
    browser
        .goto(&format!("{base}/kecamatan/31.71.01/kirim?tahun=2026"))
        .await;
    browser.wait_for("div.alert.reopened").await;
    let banner = browser.text("div.alert.reopened").await;
    assert!(banner.contains("Salah hitung volume paving"), "{banner}");
    let changes = browser.text("ul.changes").await;
    assert!(
        changes.contains(&format!("#{paving}"))
            && changes.contains("260 m2")
            && changes.contains("240 m2"),
        "{changes}"
    );
    assert_eq!(browser.count("ul.changes li").await, 1);
    browser.shot_whole("22-kirim-reopened").await;
}

#[tokio::test]
async fn the_camat_assigns_sends_back_and_voids_from_the_pages() {
    let r = review::setup().await;
    let [paving, drainage, ..] = r.ids[..] else {
        panic!()
    };
    r.app
        .token_named(
            "dewi.surveyor",
            survey_schema::Role::Surveyor,
            Some("31.71.01"),
        )
        .await;
    let (survey, _) = survey_with_photo(&r, paving).await;
    account(&r, "camat.lapangan", "camat", "31.71.01", PASSWORD);
    let base = r.app.address.clone();
    let browser = Browser::start().await;
    browser.sign_in(&base, "camat.lapangan", PASSWORD).await;

    // One proposal to a surveyor, from its page.
    browser.goto(&format!("{base}/usulan/{drainage}")).await;
    browser.wait_for("section.field form.assign").await;
    browser
        .select("section.field select[name=surveyor]", "dewi.surveyor")
        .await;
    browser.mark_page().await;
    browser.click("section.field form.assign button").await;
    browser.wait_for_next_page("p.alert.saved").await;
    assert!(
        browser
            .text("section.field")
            .await
            .contains("dewi.surveyor")
    );

    // A kelurahan's proposals to a team, from the list; the list says who.
    browser
        .goto(&format!("{base}/kecamatan/31.71.01?tahun=2026"))
        .await;
    browser.click("details.assign-kelurahan summary").await;
    browser
        .select(
            "details.assign-kelurahan select[name=kelurahan]",
            "31.71.01.1002",
        )
        .await;
    browser
        .client
        .find(Locator::Css("details.assign-kelurahan input[name=team]"))
        .await
        .unwrap()
        .send_keys("Tim Cideng")
        .await
        .unwrap();
    browser.mark_page().await;
    browser.click("details.assign-kelurahan button").await;
    browser.wait_for_next_page("p.alert.saved").await;
    let row = browser
        .text(&format!("table.review tr[data-id='{paving}'] td.survey"))
        .await;
    assert!(
        row.contains("ditugaskan: Tim Cideng") && row.contains("oleh surveyor."),
        "{row}"
    );
    let row = browser
        .text(&format!("table.review tr[data-id='{drainage}'] td.survey"))
        .await;
    assert!(row.contains("ditugaskan: dewi.surveyor"), "{row}");
    browser.shot_whole("23-list-assigned").await;

    // The paving's survey sent back, with a reason: the page and the list say so.
    browser.goto(&format!("{base}/usulan/{paving}")).await;
    browser
        .client
        .find(Locator::Css("form.send-back textarea[name=alasan]"))
        .await
        .unwrap()
        .send_keys("Foto belum menunjukkan kerusakan; ukur sampai ujung gang")
        .await
        .unwrap();
    browser.mark_page().await;
    browser.click("form.send-back button").await;
    browser.wait_for_next_page("p.alert.saved").await;
    assert!(
        browser
            .text("section.field")
            .await
            .contains("Dikembalikan untuk survei ulang: “Foto belum menunjukkan kerusakan")
    );
    assert_eq!(browser.count("form.send-back").await, 0, "sent back once");
    browser.shot_whole("24-proposal-sent-back").await;

    // Then voided: it was the drainage's survey after all.
    browser.click("section.field details.void summary").await;
    browser
        .client
        .find(Locator::Css("details.void textarea[name=alasan]"))
        .await
        .unwrap()
        .send_keys("Salah pilih usulan")
        .await
        .unwrap();
    browser.mark_page().await;
    browser.click("details.void button").await;
    browser.wait_for_next_page("p.alert.saved").await;
    assert!(browser.text("dl").await.contains("Belum disurvei"));
    assert_eq!(browser.count("section.answers").await, 0);
    let voided: Option<String> =
        sqlx::query_scalar("SELECT void_reason FROM survey WHERE id = $1::uuid")
            .bind(&survey)
            .fetch_one(&r.app.pool)
            .await
            .unwrap();
    assert_eq!(voided.as_deref(), Some("Salah pilih usulan"));
}
