//! The camat's review over HTTP: thin adapters on [`tinjau_workflows::review`].

// utoipa's expansion of `params(...)` trips this lint.
#![allow(unused_qualifications)]

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use survey_schema::{
    ApiError, BulkApproveRequest, BulkOutcome, DecisionRequest, DecisionView, KirimView,
    ProposalHistory, PublicKelurahan, ReviewPage,
};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use tinjau_domain::Message;

use crate::error::AppError;
use crate::extract::{ApiJson, ApiQuery};
use tinjau_workflows::AppState;
use tinjau_workflows::review::{self, FilterWords, Paging, ReviewFilter};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewParams {
    /// The year of the proposals.
    pub tahun: i32,
    /// Only this kelurahan (code).
    pub kelurahan: Option<String>,
    /// Only proposals with this anomaly code, e.g. `VOLUME_DEVIATION`.
    pub anomaly: Option<String>,
    /// Only proposals whose most serious anomaly is `high`, `warning`, `info`, or `none` (no anomaly).
    pub severity: Option<String>,
    /// Only this SKPD/UKPD tujuan (case and surrounding spaces ignored).
    pub skpd: Option<String>,
    /// `undecided`, `approved`, `corrected` or `rejected`.
    pub decision: Option<String>,
    /// `true`: surveyed; `false`: not surveyed yet.
    pub surveyed: Option<bool>,
    /// 1-based page (default 1).
    pub page: Option<i64>,
    /// Items per page, 1..=500 (default 50).
    pub per_page: Option<i64>,
}

pub(crate) fn parse_id(raw: &str) -> Result<i64, AppError> {
    raw.parse().map_err(|_| {
        AppError::from(Message::InvalidId {
            what_id: "usulan",
            what_en: "proposal",
            raw: raw.chars().take(40).collect(),
        })
    })
}

fn filter(p: &ReviewParams) -> Result<ReviewFilter, AppError> {
    Ok(ReviewFilter::parse(FilterWords {
        kelurahan: p.kelurahan.as_deref(),
        anomaly: p.anomaly.as_deref(),
        severity: p.severity.as_deref(),
        skpd: p.skpd.as_deref(),
        decision: p.decision.as_deref(),
        surveyed: p.surveyed,
    })?)
}

/// The review list of a kecamatan: every physical proposal with its survey evidence, its merged
/// anomalies (most serious first), its decision, version and suggested action; filtered, counted
/// over the whole filter, paged. While the list is sent (Kirim) it is the sent snapshot.
#[utoipa::path(
    get,
    path = "/api/v1/review/{kecamatan}",
    tag = "review",
    params(("kecamatan" = String, Path, description = "Kecamatan code, e.g. 31.71.01"), ReviewParams),
    responses(
        (status = 200, body = ReviewPage),
        (status = 400, description = "Bad code or filter", body = ApiError),
        (status = 401, description = "No or wrong token", body = ApiError),
        (status = 403, description = "Wrong role, or outside the caller's area", body = ApiError),
        (status = 404, description = "No such kecamatan", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn review_list(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(raw): Path<String>,
    ApiQuery(params): ApiQuery<ReviewParams>,
) -> Result<Json<ReviewPage>, AppError> {
    let kecamatan = review::kecamatan_kode(&raw)?;
    let filter = filter(&params)?;
    let paging = Paging::parse(params.page, params.per_page)?;
    let mut conn = state.pool.acquire().await?;
    let page = review::list(&mut conn, &user, &kecamatan, params.tahun, &filter, paging).await?;
    Ok(Json(page))
}

/// Decides a proposal: approve, reject with a ground (a)–(g), or set the volume. The client makes
/// the decision's UUID, so a retry is answered as a repeat; `If-Match` must carry the proposal's
/// version (its ETag) as the camat saw it.
#[utoipa::path(
    put,
    path = "/api/v1/proposals/{id}/decisions/{decision}",
    tag = "review",
    params(
        ("id" = i64, Path, description = "Proposal id"),
        ("decision" = Uuid, Path, description = "The decision's UUID, made by the client"),
        ("If-Match" = String, Header, description = "The proposal's version as seen, e.g. \"3\"")
    ),
    request_body = DecisionRequest,
    responses(
        (status = 201, description = "Decided; ETag is the proposal's new version", body = DecisionView),
        (status = 200, description = "This UUID was decided before with this very body", body = DecisionView),
        (status = 400, description = "Malformed JSON, id or UUID", body = ApiError),
        (status = 401, description = "No or wrong token", body = ApiError),
        (status = 403, description = "Not a camat of this kecamatan (or an admin)", body = ApiError),
        (status = 404, description = "No such proposal", body = ApiError),
        (status = 409, description = "The UUID holds another decision", body = ApiError),
        (status = 412, description = "Stale If-Match: someone decided meanwhile; nothing changed", body = ApiError),
        (status = 422, description = "Missing reason or note, bad volume or unit", body = ApiError),
        (status = 423, description = "The list was sent (Kirim) and is locked", body = ApiError),
        (status = 428, description = "No If-Match", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn put_decision(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path((raw_id, raw_decision)): Path<(String, String)>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<DecisionRequest>,
) -> Result<Response, AppError> {
    let id = parse_id(&raw_id)?;
    let decision = Uuid::parse_str(&raw_decision).map_err(|_| {
        AppError::from(Message::InvalidUuid {
            raw: raw_decision.chars().take(40).collect(),
        })
    })?;
    let seen = crate::extract::seen_versions(&headers);
    let done = review::decision::decide(&state.pool, &user, id, decision, &seen, &request).await?;
    let status = if done.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut response = (status, Json(done.view)).into_response();
    if let Ok(v) = HeaderValue::from_str(&review::decision::etag(done.version)) {
        response.headers_mut().insert(header::ETAG, v);
    }
    Ok(response)
}

/// Every decision on a proposal, oldest first; the latest is the one that counts.
#[utoipa::path(
    get,
    path = "/api/v1/proposals/{id}/decisions",
    tag = "review",
    params(("id" = i64, Path, description = "Proposal id")),
    responses(
        (status = 200, body = Vec<DecisionView>),
        (status = 401, description = "No or wrong token", body = ApiError),
        (status = 403, description = "Outside the caller's area", body = ApiError),
        (status = 404, description = "No such proposal", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn list_decisions(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(raw): Path<String>,
) -> Result<Json<Vec<DecisionView>>, AppError> {
    let id = parse_id(&raw)?;
    // The history's scope check is the proposal's; reuse it.
    review::history::of_proposal(&state.pool, &user, id).await?;
    let mut conn = state.pool.acquire().await?;
    Ok(Json(review::decision::of_proposal(&mut conn, id).await?))
}

/// A proposal's whole story from the audit trail: import, surveys, photos, decisions, Kirim.
#[utoipa::path(
    get,
    path = "/api/v1/proposals/{id}/history",
    tag = "review",
    params(("id" = i64, Path, description = "Proposal id")),
    responses(
        (status = 200, body = ProposalHistory),
        (status = 401, description = "No or wrong token", body = ApiError),
        (status = 403, description = "Outside the caller's area", body = ApiError),
        (status = 404, description = "No such proposal", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn proposal_history(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(raw): Path<String>,
) -> Result<Json<ProposalHistory>, AppError> {
    let id = parse_id(&raw)?;
    Ok(Json(
        review::history::of_proposal(&state.pool, &user, id).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearParams {
    /// The year of the proposals.
    pub tahun: i32,
}

/// Approves many proposals in one action, each with its own decision and audit row: those named
/// (with the version the caller saw them at, from the list) that still meet `criterion` (no finding
/// at all, or an approve suggestion). One that changed, was decided or no longer qualifies is
/// skipped and listed. A retry with the same `id` decides nothing twice.
#[utoipa::path(
    post,
    path = "/api/v1/review/{kecamatan}/bulk",
    tag = "review",
    params(("kecamatan" = String, Path, description = "Kecamatan code"), YearParams),
    request_body = BulkApproveRequest,
    responses(
        (status = 200, body = BulkOutcome),
        (status = 401, description = "No or wrong token", body = ApiError),
        (status = 403, description = "Not a camat of this kecamatan (or an admin)", body = ApiError),
        (status = 422, description = "Too many proposals in one action", body = ApiError),
        (status = 423, description = "The list was sent (Kirim)", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn post_bulk(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(raw): Path<String>,
    ApiQuery(params): ApiQuery<YearParams>,
    ApiJson(body): ApiJson<BulkApproveRequest>,
) -> Result<Json<BulkOutcome>, AppError> {
    let kecamatan = review::kecamatan_kode(&raw)?;
    Ok(Json(
        review::bulk::approve(&state.pool, &user, &kecamatan, params.tahun, &body).await?,
    ))
}

/// Sends the kecamatan's list up (Kirim): refused, with the undecided proposals listed in
/// `details.undecided`, while any physical proposal has no decision; afterwards the list is locked.
#[utoipa::path(
    post,
    path = "/api/v1/kecamatan/{kode}/kirim",
    tag = "review",
    params(("kode" = String, Path, description = "Kecamatan code"), YearParams),
    responses(
        (status = 201, body = KirimView),
        (status = 401, description = "No or wrong token", body = ApiError),
        (status = 403, description = "Not a camat of this kecamatan (or an admin)", body = ApiError),
        (status = 409, description = "Undecided proposals (listed), or already sent", body = ApiError),
        (status = 422, description = "No physical proposals", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn post_kirim(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(raw): Path<String>,
    ApiQuery(params): ApiQuery<YearParams>,
) -> Result<(StatusCode, Json<KirimView>), AppError> {
    let kecamatan = review::kecamatan_kode(&raw)?;
    let sent = review::kirim::send(&state.pool, &user, &kecamatan, params.tahun).await?;
    Ok((StatusCode::CREATED, Json(sent)))
}

/// The standing Kirim of a kecamatan and year; 404 while the list is not sent.
#[utoipa::path(
    get,
    path = "/api/v1/kecamatan/{kode}/kirim",
    tag = "review",
    params(("kode" = String, Path, description = "Kecamatan code"), YearParams),
    responses(
        (status = 200, body = KirimView),
        (status = 401, description = "No or wrong token", body = ApiError),
        (status = 403, description = "Outside the caller's area", body = ApiError),
        (status = 404, description = "Not sent", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn get_kirim(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(raw): Path<String>,
    ApiQuery(params): ApiQuery<YearParams>,
) -> Result<Json<KirimView>, AppError> {
    let kecamatan = review::kecamatan_kode(&raw)?;
    let mut conn = state.pool.acquire().await?;
    review::kirim::standing(&mut conn, &user, &kecamatan, params.tahun)
        .await?
        .map(Json)
        .ok_or_else(|| {
            AppError::from(Message::ListNotSent {
                kecamatan: kecamatan.clone(),
                tahun: params.tahun,
            })
        })
}

/// Why an admin reopens a sent list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenRequest {
    pub reason: String,
}

/// Reopens a sent list (admins only, with a reason); the snapshot and its record stay.
#[utoipa::path(
    post,
    path = "/api/v1/kecamatan/{kode}/reopen",
    tag = "review",
    params(("kode" = String, Path, description = "Kecamatan code"), YearParams),
    request_body = ReopenRequest,
    responses(
        (status = 200, body = KirimView),
        (status = 401, description = "No or wrong token", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError),
        (status = 404, description = "Not sent", body = ApiError),
        (status = 422, description = "No reason", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn post_reopen(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(raw): Path<String>,
    ApiQuery(params): ApiQuery<YearParams>,
    ApiJson(body): ApiJson<ReopenRequest>,
) -> Result<Json<KirimView>, AppError> {
    let kecamatan = review::kecamatan_kode(&raw)?;
    Ok(Json(
        review::kirim::reopen(&state.pool, &user, &kecamatan, params.tahun, &body.reason).await?,
    ))
}

/// Public tracking for residents (no sign-in): each physical proposal of a kelurahan with its
/// status and, when not agreed, the guideline's ground. No person, photo, note or token.
#[utoipa::path(
    get,
    path = "/api/v1/public/kelurahan/{kode}",
    tag = "public",
    params(("kode" = String, Path, description = "Kelurahan code, e.g. 31.71.01.1002"), YearParams),
    responses(
        (status = 200, description = "Cacheable (Cache-Control, ETag)", body = PublicKelurahan),
        (status = 304, description = "Unchanged since If-None-Match"),
        (status = 400, description = "Not a kelurahan code", body = ApiError),
        (status = 404, description = "No such kelurahan", body = ApiError)
    )
)]
pub async fn public_kelurahan(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    ApiQuery(params): ApiQuery<YearParams>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    use sha2::{Digest, Sha256};
    let mut conn = state.pool.acquire().await?;
    let page = review::public::kelurahan(&mut conn, &raw, params.tahun).await?;
    let body = serde_json::to_vec(&page).map_err(anyhow::Error::from)?;
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&body))[..32]);
    let cache = [
        (header::CACHE_CONTROL, "public, max-age=300".to_owned()),
        (header::ETAG, etag.clone()),
    ];
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    Ok((
        StatusCode::OK,
        cache,
        [(header::CONTENT_TYPE, "application/json".to_owned())],
        body,
    )
        .into_response())
}
