//! The user guides and the reference (`docs/`, built with mdBook by `scripts/docs`) served at
//! `/bantuan/` from a directory (`--docs-dir`), so a camat without internet reads them from the
//! server itself. Files are served by tower-http's `ServeDir` (types, conditional requests, no path
//! outside the directory); what is not there gets a page that says so in both languages.

use std::path::Path;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::html;
use tower::ServiceExt as _;
use tower_http::services::ServeDir;

use super::guides::HELP_ROOT;
use super::i18n::Lang;
use super::layout;
use tinjau_workflows::app::AppState;

/// The routes of `/bantuan`, serving the built book in `dir`.
pub fn router(dir: &Path) -> Router<AppState> {
    let files = ServeDir::new(dir).append_index_html_on_directories(true);
    Router::new()
        // Relative links in the book need the trailing slash.
        .route("/bantuan", get(|| async { Redirect::permanent(HELP_ROOT) }))
        .route(
            "/bantuan/",
            get({
                let files = files.clone();
                move |request: Request| serve(files.clone(), String::new(), request)
            }),
        )
        .route(
            "/bantuan/{*file}",
            get(
                move |axum::extract::Path(file): axum::extract::Path<String>, request: Request| {
                    serve(files.clone(), file, request)
                },
            ),
        )
}

/// One file of the book, or the page saying it is not there.
async fn serve(files: ServeDir, file: String, request: Request) -> Response {
    let lang = Lang::from_cookie(super::cookie(request.headers(), "tinjau_bahasa"));
    let (mut parts, body) = request.into_parts();
    let Ok(uri) = format!("/{file}").parse::<Uri>() else {
        return missing(lang);
    };
    parts.uri = uri;
    match files.oneshot(Request::from_parts(parts, body)).await {
        Ok(response) if response.status() == StatusCode::NOT_FOUND => missing(lang),
        Ok(response) => response.map(Body::new),
        Err(infallible) => match infallible {},
    }
}

/// The page for a guide page that is not there: the whole book missing (not built, or
/// `--docs-dir` wrong) or one page.
fn missing(lang: Lang) -> Response {
    let body = html! {
        h1 { (lang.t("Halaman bantuan tidak ditemukan", "Help page not found")) }
        p { (lang.t(
            "Halaman ini tidak ada dalam panduan di server ini. Jika panduan sama sekali belum terpasang, minta operator membangunnya (scripts/docs) dan menjalankan Tinjau dengan --docs-dir.",
            "This page is not in the guide on this server. If the guide is not installed at all, ask the operator to build it (scripts/docs) and start Tinjau with --docs-dir.",
        )) }
        p { a href=(HELP_ROOT) { (lang.t("Daftar isi panduan", "The guide's contents")) } " · " a href="/" { (lang.t("Kembali ke Tinjau", "Back to Tinjau")) } }
    };
    (
        StatusCode::NOT_FOUND,
        layout::bare(lang, lang.t("Bantuan", "Help"), &body),
    )
        .into_response()
}
