//! Accounts in the pages, in Debian's Chromium: an admin lists and searches accounts, creates one
//! (a wrong area refused beside the form, what was typed kept), issues a surveyor's ODK Collect
//! QR, resets a password and disables an account — whose web session and device token stop at once.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// One story, told in order.
#![allow(clippy::too_many_lines)]

use fantoccini::Locator;
use reqwest::StatusCode;
use tinjau_tests::TestApp;
use tinjau_tests::browser::{Browser, account};

/// A form's body, `application/x-www-form-urlencoded`.
fn form_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            let escape = |s: &str| {
                s.bytes()
                    .map(|b| match b {
                        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                            (b as char).to_string()
                        }
                        b' ' => "+".to_owned(),
                        other => format!("%{other:02X}"),
                    })
                    .collect::<String>()
            };
            format!("{}={}", escape(k), escape(v))
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Signs in over plain HTTP as a phone's browser would; returns the session cookie.
async fn web_session(app: &TestApp, name: &str, password: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = client.get(app.url("/masuk")).send().await.unwrap();
    let sign_in_cookie = form
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .find_map(|c| c.to_str().ok()?.split(';').next().map(str::to_owned))
        .unwrap();
    let html = form.text().await.unwrap();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let answer = client
        .post(app.url("/masuk"))
        .header(reqwest::header::COOKIE, &sign_in_cookie)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(form_body(&[
            ("name", name),
            ("password", password),
            ("csrf", &csrf),
        ]))
        .send()
        .await
        .unwrap();
    answer
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|c| c.to_str().ok()?.split(';').next().map(str::to_owned))
        .find(|c| c.starts_with("tinjau_sesi="))
        .unwrap_or_else(|| panic!("no session for {name}"))
}

/// The status of the kecamatan's review page with a session cookie (303 to /masuk: signed out).
async fn page_status(app: &TestApp, cookie: &str) -> StatusCode {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/kecamatan/31.71.01?tahun=2026"))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn an_admin_manages_accounts_in_the_pages_and_a_disabled_account_stops_at_once() {
    let app = tinjau_tests::spawn_app_with_reference_data().await;
    let admin_password = "kata sandi admin yang panjang";
    account(&app, "admin.kota", "admin", None, admin_password);
    let camat_password = "kata sandi camat yang panjang";
    account(
        &app,
        "camat.gambir",
        "camat",
        Some("31.71.01"),
        camat_password,
    );
    let camat_session = web_session(&app, "camat.gambir", camat_password).await;
    assert_eq!(page_status(&app, &camat_session).await, StatusCode::OK);
    let issued = std::process::Command::new(tinjau_tests::tinjau_binary().unwrap())
        .args(["token", "issue", "--user", "camat.gambir", "--no-qr"])
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(issued.status.success());
    let camat_token = String::from_utf8(issued.stdout).unwrap().trim().to_owned();
    let api = |token: String| {
        let app = &app;
        async move {
            app.get_as("/api/v1/review/31.71.01?tahun=2026", &token)
                .await
                .status()
        }
    };
    assert_eq!(api(camat_token.clone()).await, StatusCode::OK);

    let base = app.url("");
    let base = base.trim_end_matches('/');
    let browser = Browser::start().await;
    browser.sign_in(base, "admin.kota", admin_password).await;
    browser.goto(&format!("{base}/admin/akun")).await;
    browser.wait_for("table.accounts").await;
    let listed = browser.text("table.accounts").await;
    assert!(
        listed.contains("camat.gambir") && listed.contains("admin.kota"),
        "{listed}"
    );
    assert!(listed.contains("Gambir"), "the area by name: {listed}");

    // Search and filter.
    browser
        .goto(&format!("{base}/admin/akun?cari=gambir&peran=camat"))
        .await;
    assert_eq!(browser.count("table.accounts tbody tr").await, 1);

    // A surveyor with a kelurahan as area is refused beside the form, what was typed kept.
    browser.goto(&format!("{base}/admin/akun")).await;
    browser.click("details.create summary").await;
    let form = browser
        .client
        .form(Locator::Css("form.create"))
        .await
        .unwrap();
    form.set_by_name("name", "surveyor.cideng").await.unwrap();
    browser
        .select("form.create select[name=role]", "surveyor")
        .await;
    form.set_by_name("wilayah", "31.71.01.1002").await.unwrap();
    form.set_by_name("password", "kata sandi surveyor panjang")
        .await
        .unwrap();
    form.submit().await.unwrap();
    browser.wait_for("form.create p.alert.error").await;
    browser.shot("accounts-refused").await;
    let refused = browser.text("form.create p.alert.error").await;
    assert!(refused.contains("kode kecamatan"), "{refused}");
    let typed = browser
        .client
        .find(Locator::Css("form.create input[name=name]"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(typed.as_deref(), Some("surveyor.cideng"));

    // Corrected: created, on its own page.
    let form = browser
        .client
        .form(Locator::Css("form.create"))
        .await
        .unwrap();
    form.set_by_name("wilayah", "31.71.01").await.unwrap();
    form.set_by_name("password", "kata sandi surveyor panjang")
        .await
        .unwrap();
    form.submit().await.unwrap();
    browser.wait_for("p.alert.saved").await;
    assert!(browser.body_text().await.contains("Akun dibuat"));

    // Its ODK Collect QR: shown once, as an image, with the token.
    browser
        .client
        .form(Locator::Css("form.token"))
        .await
        .unwrap()
        .set_by_name("label", "HP Samsung A05")
        .await
        .unwrap();
    browser.click("form.token button").await;
    browser.wait_for("img.qr").await;
    browser.shot("accounts-odk-qr").await;
    let qr_width = browser
        .client
        .execute(
            "return document.querySelector('img.qr').naturalWidth",
            vec![],
        )
        .await
        .unwrap();
    assert!(qr_width.as_u64().unwrap() > 100, "{qr_width}");
    let token = browser.text("code.token").await;
    assert_eq!(
        api(token.clone()).await,
        StatusCode::FORBIDDEN,
        "a surveyor may not read the review"
    );
    let survey = app
        .get_as(&format!("/api/v1/surveys/{}", uuid::Uuid::new_v4()), &token)
        .await
        .status();
    assert_eq!(
        survey,
        StatusCode::NOT_FOUND,
        "the new token is taken: {survey}"
    );

    // The camat's password reset: the camat's sessions end.
    let camat_id: i64 = sqlx::query_scalar("SELECT id FROM app_user WHERE name = 'camat.gambir'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    browser.goto(&format!("{base}/admin/akun/{camat_id}")).await;
    let form = browser
        .client
        .form(Locator::Css("form.password"))
        .await
        .unwrap();
    form.set_by_name("password", "sandi baru camat yang panjang")
        .await
        .unwrap();
    form.submit().await.unwrap();
    browser.wait_for("p.alert.saved").await;
    assert_eq!(
        page_status(&app, &camat_session).await,
        StatusCode::SEE_OTHER,
        "the old session ended"
    );
    let camat_session = web_session(&app, "camat.gambir", "sandi baru camat yang panjang").await;
    assert_eq!(page_status(&app, &camat_session).await, StatusCode::OK);

    // Disabled: its session and its token stop at once; enabled, the token works again.
    browser.click("form.disable button").await;
    browser.wait_for("p.alert.saved").await;
    browser.shot("accounts-disabled").await;
    assert!(browser.text("h1").await.contains("nonaktif"));
    assert_eq!(
        page_status(&app, &camat_session).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(api(camat_token.clone()).await, StatusCode::UNAUTHORIZED);
    browser.client.set_window_size(412, 900).await.unwrap();
    browser.goto(&format!("{base}/admin/akun")).await;
    browser.wait_for("table.accounts").await;
    let width = browser
        .client
        .execute("return document.documentElement.scrollWidth", vec![])
        .await
        .unwrap();
    assert!(
        width.as_u64().unwrap() <= 412,
        "no sideways scrolling: {width}"
    );
    browser.shot("accounts-412").await;
    browser.client.set_window_size(1366, 768).await.unwrap();
    browser.goto(&format!("{base}/admin/akun/{camat_id}")).await;
    browser.click("form[action$='/aktifkan'] button").await;
    browser.wait_for("p.alert.saved").await;
    assert_eq!(api(camat_token).await, StatusCode::OK);

    // Every change is on the record.
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_event WHERE action LIKE 'user.%' OR action LIKE 'token.%' ORDER BY seq",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    for expected in [
        "user.create",
        "token.issue",
        "user.password",
        "user.disable",
        "user.enable",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected}: {actions:?}"
        );
    }

    // Only an admin reaches the pages (the camat signs in again: disabling ended the session).
    let camat_session = web_session(&app, "camat.gambir", "sandi baru camat yang panjang").await;
    let not_admin = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/admin/akun"))
        .header(reqwest::header::COOKIE, &camat_session)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(not_admin, StatusCode::FORBIDDEN);
}
