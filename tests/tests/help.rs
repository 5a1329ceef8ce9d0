//! The guides served by Tinjau itself at /bantuan/ (the book `scripts/docs` builds), and the help
//! link on every page that opens the guide of the reader's role, in Chromium at 1366 and 412 px.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::StatusCode;
use tinjau_tests::browser::{Browser, account};
use tinjau_tests::{Fixture, repo_root, spawn_app_with_settings};

fn built_book() -> std::path::PathBuf {
    let book = repo_root().join("docs/book");
    assert!(
        book.join("index.html").is_file(),
        "the book is not built: run scripts/docs (scripts/setup does)"
    );
    book
}

#[tokio::test]
async fn the_guides_are_served_from_the_built_book_with_a_page_for_what_is_missing() {
    let book = built_book();
    let app = spawn_app_with_settings(Fixture::Empty, |s| s.docs_dir = book).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let bare = client.get(app.url("/bantuan")).send().await.unwrap();
    assert_eq!(bare.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(bare.headers()["location"], "/bantuan/");

    let index = app.get("/bantuan/").await;
    assert_eq!(index.status(), 200);
    assert!(
        index.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let text = index.text().await.unwrap();
    assert!(
        text.contains("Pilih panduan Anda"),
        "the book's first page is not served"
    );

    for page in [
        "id/camat.html",
        "en/camat.html",
        "id/surveyor.html",
        "en/planner.html",
        "id/operator.html",
        "reference/endpoints.html",
        "reference/cli.html",
    ] {
        let response = app.get(&format!("/bantuan/{page}")).await;
        assert_eq!(response.status(), 200, "{page}");
    }
    let image = app.get("/bantuan/gambar/02-review-list.png").await;
    assert_eq!(image.status(), 200);
    assert_eq!(image.headers()["content-type"], "image/png");
    assert_eq!(&image.bytes().await.unwrap()[..4], b"\x89PNG");

    // Nothing outside the book (the client resolves a plain `..` itself; encoded ones reach the
    // server), and a clear page for what is not in it.
    for path in ["/bantuan/..%2f..%2fCargo.toml", "/bantuan/tidak-ada.html"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        let text = response.text().await.unwrap();
        assert!(
            text.contains("Halaman bantuan tidak ditemukan"),
            "{path}: {text}"
        );
        assert!(!text.contains("[package]"));
    }

    // A server started without the book says so instead of failing.
    let empty = tempfile::tempdir().unwrap();
    let bookless =
        spawn_app_with_settings(Fixture::Empty, |s| s.docs_dir = empty.path().to_path_buf()).await;
    let response = bookless.get("/bantuan/").await;
    assert_eq!(response.status(), 404);
    assert!(response.text().await.unwrap().contains("--docs-dir"));
}

#[tokio::test]
async fn every_page_links_the_guide_of_its_readers_role_and_the_guide_reads_offline() {
    let book = built_book();
    let app = spawn_app_with_settings(Fixture::Reference, |s| s.docs_dir = book).await;
    let password = "kata sandi camat gambir";
    account(&app, "camat.gambir", "camat", Some("31.71.01"), password);
    let base = app.url("");
    let base = base.trim_end_matches('/');

    let browser = Browser::start().await;
    browser.goto(&format!("{base}/masuk")).await;
    browser.wait_for("a.help").await;
    assert_eq!(
        browser
            .client
            .find(fantoccini::Locator::Css("a.help"))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap()
            .as_deref(),
        Some("/bantuan/")
    );
    browser.sign_in(base, "camat.gambir", password).await;
    browser
        .goto(&format!("{base}/kecamatan/31.71.01?tahun=2026"))
        .await;
    browser.wait_for("a.help").await;
    browser.mark_page().await;
    browser.click("a.help").await;
    browser.wait_for_next_page("#mdbook-content").await;
    let url = browser.client.current_url().await.unwrap();
    assert_eq!(url.path(), "/bantuan/id/camat.html");
    let text = browser.body_text().await;
    assert!(
        text.contains("Kirim"),
        "the camat's guide is not the page opened"
    );
    // Every resource of the guide comes from Tinjau itself: it reads without internet.
    let resources = browser
        .client
        .execute(
            "return performance.getEntriesByType('resource').map(e => e.name)",
            vec![],
        )
        .await
        .unwrap();
    let resources: Vec<String> = serde_json::from_value(resources).unwrap();
    assert!(resources.len() > 3, "{resources:?}");
    for resource in &resources {
        assert!(
            resource.starts_with(base),
            "{resource} is not served by Tinjau"
        );
    }
    // The screenshots in the guide load.
    let broken: u64 = serde_json::from_value(
        browser
            .client
            .execute("return [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).length", vec![])
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(broken, 0, "a screenshot in the guide does not load");
    browser.shot("help-camat").await;

    // In English, the English guide; on a phone, readable at 412 px.
    browser
        .goto(&format!("{base}/bahasa/en?kembali=/kecamatan/31.71.01"))
        .await;
    browser.wait_for("a.help").await;
    let href = browser
        .client
        .find(fantoccini::Locator::Css("a.help"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap();
    assert_eq!(href.as_deref(), Some("/bantuan/en/camat.html"));
    browser.client.set_window_size(412, 915).await.unwrap();
    browser.goto(&format!("{base}/bantuan/en/camat.html")).await;
    browser.wait_for("#mdbook-content").await;
    let overflow: bool = serde_json::from_value(
        browser
            .client
            .execute(
                "return document.documentElement.scrollWidth > window.innerWidth + 1",
                vec![],
            )
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(!overflow, "the guide is wider than a phone");
    browser.shot("help-camat-412").await;
}
