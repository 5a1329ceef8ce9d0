//! The forum record of a kecamatan and year, and a kota's planning-office profile.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use survey_schema::forum::{ForumRecord, ForumView, KotaProfile};
use survey_schema::{ApiError, WilayahKode};

use super::review::YearParams;
use crate::auth::Caller;
use crate::error::AppError;
use crate::extract::{ApiJson, ApiQuery, seen_versions};
use tinjau_domain::Message;
use tinjau_workflows::AppState;
use tinjau_workflows::{forum, review};

fn with_etag(view: ForumView) -> Response {
    let etag = HeaderValue::from_str(&format!("\"{}\"", view.version))
        .unwrap_or(HeaderValue::from_static("\"0\""));
    ([(header::ETAG, etag)], Json(view)).into_response()
}

/// The forum record (what the Berita Acara needs besides the decisions) with what it still lacks
/// (`gaps`: Kirim is refused while any remains), the invited kinds of participant nobody on the
/// list belongs to, and the kota's planning-office profile. `ETag` is its version.
#[utoipa::path(
    get,
    path = "/api/v1/kecamatan/{kode}/forum",
    tag = "forum",
    params(("kode" = String, Path, description = "Kecamatan code"), YearParams),
    responses(
        (status = 200, body = ForumView, description = "ETag: the version"),
        (status = 401, description = "No or wrong token", body = ApiError),
        (status = 403, description = "Not the camat of this kecamatan (or an admin)", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn get_forum(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(raw): Path<String>,
    ApiQuery(params): ApiQuery<YearParams>,
) -> Result<Response, AppError> {
    let kecamatan = review::kecamatan_kode(&raw)?;
    Ok(with_etag(
        forum::view(&state.pool, &user, &kecamatan, params.tahun).await?,
    ))
}

/// Saves the whole forum record: `If-Match` names the version read (`"0"` before the first save);
/// 412 when someone saved meanwhile, 423 once the list is sent. Audited.
#[utoipa::path(
    put,
    path = "/api/v1/kecamatan/{kode}/forum",
    tag = "forum",
    params(
        ("kode" = String, Path, description = "Kecamatan code"),
        YearParams,
        ("If-Match" = String, Header, description = "The version read, e.g. \"3\"")
    ),
    request_body = ForumRecord,
    responses(
        (status = 200, body = ForumView),
        (status = 401, description = "No or wrong token", body = ApiError),
        (status = 403, description = "Not the camat of this kecamatan (or an admin)", body = ApiError),
        (status = 412, description = "Saved meanwhile by someone else", body = ApiError),
        (status = 423, description = "The list was sent (Kirim)", body = ApiError),
        (status = 428, description = "No If-Match", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn put_forum(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(raw): Path<String>,
    ApiQuery(params): ApiQuery<YearParams>,
    headers: HeaderMap,
    ApiJson(record): ApiJson<ForumRecord>,
) -> Result<Response, AppError> {
    let kecamatan = review::kecamatan_kode(&raw)?;
    let seen = seen_versions(&headers);
    Ok(with_etag(
        forum::save(&state.pool, &user, &kecamatan, params.tahun, &seen, record).await?,
    ))
}

fn kota_kode(raw: &str) -> Result<WilayahKode, AppError> {
    WilayahKode::parse(raw).map_err(|e| {
        AppError::from(Message::InvalidKode {
            field: "kota".into(),
            detail: e.to_string(),
        })
    })
}

/// A kota's planning-office profile as the forms use it (the default when none was set).
#[utoipa::path(
    get,
    path = "/api/v1/kota/{kode}/profile",
    tag = "forum",
    params(("kode" = String, Path, description = "Kota code, e.g. 31.71")),
    responses(
        (status = 200, body = KotaProfile),
        (status = 401, description = "No or wrong token", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn get_profile(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(raw): Path<String>,
) -> Result<Json<KotaProfile>, AppError> {
    let kota = kota_kode(&raw)?;
    Ok(Json(forum::profile_for(&state.pool, &user, &kota).await?))
}

/// Sets a kota's planning-office profile: the office, its head's title, the city of "Ditetapkan
/// di", the Tembusan and the report's due date (admins).
#[utoipa::path(
    put,
    path = "/api/v1/kota/{kode}/profile",
    tag = "forum",
    params(("kode" = String, Path, description = "Kota code, e.g. 31.71")),
    request_body = KotaProfile,
    responses(
        (status = 200, body = KotaProfile),
        (status = 401, description = "No or wrong token", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn put_profile(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(raw): Path<String>,
    ApiJson(mut profile): ApiJson<KotaProfile>,
) -> Result<Json<KotaProfile>, AppError> {
    profile.kota = kota_kode(&raw)?;
    Ok(Json(
        forum::set_profile(&state.pool, &user, &profile).await?,
    ))
}
