//! The web pages, served by `tinjau serve` beside the API: sign-in, the camat's review of a
//! kecamatan, a proposal's page with its map and decision form, Kirim and the forms, a kecamatan
//! map, and the public tracking page of a kelurahan. Server-rendered HTML (maud) with a little
//! JavaScript and Leaflet, every asset embedded in the binary: nothing is fetched from the internet.
//! Thin adapters on the same workflows as the API (`tinjau_workflows::review`, `tinjau_workflows::forms`), with the same
//! roles and scope: a page never shows what the API would refuse.

mod accounts;
mod desk;
pub mod guides;
pub mod help;
pub mod i18n;
mod imports;
mod layout;
mod pages;

use std::fmt::Write as _;

use axum::Router;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::error::AppError;
use i18n::Lang;
use tinjau_workflows::app::AppState;
use tinjau_workflows::sessions::{self as session, WebSession};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "tinjau_sesi";
/// The cookie of the sign-in form's own CSRF token (before there is a session).
pub const SIGN_IN_COOKIE: &str = "tinjau_masuk";

/// The page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/masuk", get(pages::sign_in_page).post(pages::sign_in))
        .route("/keluar", post(pages::sign_out))
        .route("/bahasa/{lang}", get(set_language))
        .route("/kecamatan/{kode}", get(pages::review_page))
        .route(
            "/kecamatan/{kode}/setujui-massal",
            post(pages::bulk_approve),
        )
        .route("/kecamatan/{kode}/peta", get(pages::map_page))
        .route("/kecamatan/{kode}/peta.geojson", get(pages::map_data))
        .route(
            "/kecamatan/{kode}/kirim",
            get(pages::kirim_page).post(pages::kirim),
        )
        .route("/kecamatan/{kode}/formulir/{file}", get(pages::form_file))
        .route(
            "/kecamatan/{kode}/forum",
            get(pages::forum_page).post(pages::save_forum),
        )
        .route("/usulan/{id}", get(pages::proposal_page))
        .route("/usulan/{id}/keputusan", post(pages::decide))
        .route("/usulan/{id}/tugaskan", post(pages::assign_proposal))
        .route("/usulan/{id}/survei-ulang", post(pages::send_back))
        .route("/usulan/{id}/batalkan-survei", post(pages::void_survey))
        .route("/kecamatan/{kode}/tugaskan", post(pages::assign_kelurahan))
        .route("/foto/{survey}/{sha}", get(pages::photo))
        .route("/foto/{survey}/{sha}/kecil", get(pages::thumbnail))
        .route("/publik/kelurahan/{kode}", get(pages::public_page))
        .route(
            "/admin/akun",
            get(accounts::accounts_page).post(accounts::create_account),
        )
        .route(
            "/admin/impor",
            get(imports::imports_page).post(imports::upload).layer(
                axum::extract::DefaultBodyLimit::max(imports::MAX_UPLOAD_BYTES),
            ),
        )
        .route("/admin/akun/{id}", get(accounts::account_page))
        .route("/admin/akun/{id}/sandi", post(accounts::reset_password))
        .route("/admin/akun/{id}/token", post(accounts::issue_token))
        .route(
            "/admin/akun/{id}/token/{token}/cabut",
            post(accounts::revoke_token),
        )
        .route("/admin/akun/{id}/{action}", post(accounts::set_disabled))
        .route("/trilateral", get(desk::desk_page))
        .route("/trilateral/ekspor/{format}", get(desk::export))
        .route("/trilateral/usulan/{id}/hasil", post(desk::record_outcome))
        .route(
            "/trilateral/usulan/{id}/padanan",
            get(desk::choose_page).post(desk::record_match),
        )
        .route("/aset/{file}", get(asset))
}

/// A cookie's value from the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Whether the browser reached us over TLS (directly, through a proxy, or by configuration).
fn behind_tls(state: &AppState, headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes() == b"https")
        || state
            .public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Path=/, Secure behind TLS.
fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Strict{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// What every page knows of its request: the language, and the session if signed in.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub lang: Lang,
    pub session: Option<WebSession>,
    /// The path asked for (to come back to after signing in or switching language).
    pub path: String,
    pub secure: bool,
    /// The configured basemap tile URL, if any.
    pub tiles: Option<std::sync::Arc<str>>,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = Lang::from_cookie(cookie(&parts.headers, "tinjau_bahasa"));
        let session = match cookie(&parts.headers, SESSION_COOKIE) {
            Some(id) => session::from_cookie(state, id)
                .await
                .map_err(|e| WebError::new(lang, e.into()))?,
            None => None,
        };
        Ok(Self {
            lang,
            session,
            path: parts
                .uri
                .path_and_query()
                .map_or_else(|| "/".to_owned(), ToString::to_string),
            secure: behind_tls(state, &parts.headers),
            tiles: state.basemap_url.clone(),
        })
    }
}

/// A signed-in page: without a live session the browser goes to the sign-in page, and back here
/// after it.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub ctx: Ctx,
    pub session: WebSession,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        if let Some(session) = ctx.session.clone() {
            Ok(Self { ctx, session })
        } else {
            // After signing in again the browser GETs this path: a form's action goes back to the
            // page that holds the form.
            let page = if parts.method == axum::http::Method::GET {
                ctx.path.as_str()
            } else {
                ctx.path.trim_end_matches("/keputusan")
            };
            let back = urlencode(local_path(Some(page)).as_str());
            Err(Redirect::to(&format!("/masuk?lanjut={back}")).into_response())
        }
    }
}

/// Percent-encodes a value for a query string.
pub fn urlencode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Only a path of this site may be where a form sends the browser back to.
///
/// ```
/// # use tinjau_http::web::local_path;
/// assert_eq!(local_path(Some("/usulan/3?x=1")), "/usulan/3?x=1");
/// for bad in ["//evil.example", "/\\evil", "/\t/evil.example", "https://evil.example", "/é"] {
///     assert_eq!(local_path(Some(bad)), "/");
/// }
/// ```
pub fn local_path(raw: Option<&str>) -> String {
    raw.filter(|p| {
        p.starts_with('/')
            && !p.starts_with("//")
            && !p.contains('\\')
            // No control characters or spaces (browsers drop a tab: `/\t/x` would be `//x`).
            && p.bytes().all(|b| b.is_ascii_graphic())
    })
    .unwrap_or("/")
    .to_owned()
}

/// A refusal or failure, as a page in the reader's language (with the other language below).
#[derive(Debug)]
pub struct WebError {
    lang: Lang,
    error: AppError,
}

impl WebError {
    pub fn new(lang: Lang, error: AppError) -> Self {
        Self { lang, error }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, code, en, id) = self.error.parts();
        if status.is_server_error() {
            tracing::error!(error = %self.error, "page failed");
        }
        let (first, second) = match self.lang {
            Lang::Id => (id, en),
            Lang::En => (en, id),
        };
        let title = self.lang.t("Tidak dapat ditampilkan", "Cannot be shown");
        let body = maud::html! {
            section.error {
                h1 { (title) }
                p.message role="alert" data-code=(code) { (first) }
                p.other-language { (second) }
                p { a href="/" { (self.lang.t("Ke halaman awal", "To the start page")) } }
            }
        };
        let page = layout::bare(self.lang, title, &body);
        (status, page).into_response()
    }
}

/// Sets the language cookie and goes back.
async fn set_language(
    axum::extract::State(state): axum::extract::State<AppState>,
    Path(lang): Path<String>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let lang = if lang == "en" { "en" } else { "id" };
    let back = local_path(q.get("kembali").map(String::as_str));
    let mut response = Redirect::to(&back).into_response();
    let secure = behind_tls(&state, &headers);
    response.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie("tinjau_bahasa", lang, 365 * 24 * 3600, secure),
    );
    response
}

/// The embedded assets: Leaflet 1.9.4 (BSD-2-Clause, `assets/LICENSE-leaflet.txt`), the pages'
/// stylesheet and script.
static ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("assets/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/app.js"),
    ),
    (
        "leaflet.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/leaflet.js"),
    ),
    (
        "leaflet.css",
        "text/css; charset=utf-8",
        include_bytes!("assets/leaflet.css"),
    ),
    (
        "LICENSE-leaflet.txt",
        "text/plain; charset=utf-8",
        include_bytes!("assets/LICENSE-leaflet.txt"),
    ),
];

async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=3600"),
                ),
            ],
            *bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
