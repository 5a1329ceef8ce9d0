//! The trilateral desk over HTTP: thin adapters on [`tinjau_workflows::trilateral`].

// utoipa's expansion of `params(...)` trips this lint.
#![allow(unused_qualifications)]

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use survey_schema::{ApiError, Role, WilayahKode};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use tinjau_domain::Message;

use crate::error::AppError;
use crate::extract::{ApiJson, ApiQuery};
use tinjau_workflows::AppState;
use tinjau_workflows::import::{InputFile, renja};
use tinjau_workflows::review::decision::etag;
use tinjau_workflows::trilateral::choose::Choice;
use tinjau_workflows::trilateral::record::{MatchRequest, OutcomeRequest};
use tinjau_workflows::trilateral::{self, Desk, DeskQuery};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeskParams {
    /// The planning year.
    pub tahun: i32,
    /// A kota code (`31.71`); default: the caller's area.
    pub kota: Option<String>,
    /// Only this kecamatan (code).
    pub kecamatan: Option<String>,
    /// Only this agency (register kode).
    pub opd: Option<String>,
    /// Metres within which a Renja line's point or line and a proposal's pin count as one place
    /// (0–5000, default 250).
    pub max_distance_m: Option<f64>,
}

fn area(field: &str, raw: Option<&str>) -> Result<Option<WilayahKode>, AppError> {
    raw.filter(|r| !r.trim().is_empty())
        .map(|r| {
            WilayahKode::parse(r).map_err(|e| {
                AppError::from(Message::InvalidKode {
                    field: field.to_owned(),
                    detail: e.to_string(),
                })
            })
        })
        .transpose()
}

/// The query as the workflow takes it.
pub fn desk_query(p: &DeskParams) -> Result<DeskQuery, AppError> {
    Ok(DeskQuery {
        tahun: p.tahun,
        kota: area("kota", p.kota.as_deref())?,
        kecamatan: area("kecamatan", p.kecamatan.as_deref())?,
        opd: p.opd.clone().filter(|o| !o.trim().is_empty()),
        max_distance_m: p.max_distance_m,
    })
}

/// The desk: every approved proposal of the area beside the Renja line that addresses it (with
/// the evidence), its status (`covered`: already planned, a double-funding risk; `partial`: the
/// gap in volume and rupiah; `not_planned`: its estimated cost), its outcome; the Renja lines no
/// proposal matches; totals per agency and per kecamatan.
#[utoipa::path(
    get,
    path = "/api/v1/trilateral",
    tag = "trilateral",
    params(DeskParams),
    responses(
        (status = 200, body = Desk),
        (status = 400, description = "Bad code or year", body = ApiError),
        (status = 401, description = "No or wrong token", body = ApiError),
        (status = 403, description = "Wrong role, outside the caller's area, or another agency", body = ApiError),
        (status = 404, description = "No such agency", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn get_desk(
    State(state): State<AppState>,
    Caller(user): Caller,
    ApiQuery(params): ApiQuery<DeskParams>,
) -> Result<Json<Desk>, AppError> {
    let query = desk_query(&params)?;
    Ok(Json(trilateral::desk(&state.pool, &user, &query).await?))
}

/// The desk as a file: `xlsx` (a summary sheet and one sheet per agency) or `csv` (every row).
#[utoipa::path(
    get,
    path = "/api/v1/trilateral/export/{format}",
    tag = "trilateral",
    params(("format" = String, Path, description = "xlsx or csv"), DeskParams),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 401, description = "No or wrong token", body = ApiError),
        (status = 403, description = "Wrong role or outside the caller's area", body = ApiError),
        (status = 404, description = "No such format", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn export(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(format): Path<String>,
    ApiQuery(params): ApiQuery<DeskParams>,
) -> Result<Response, AppError> {
    let query = desk_query(&params)?;
    let file = trilateral::export::file(&state.pool, &user, &query, &format).await?;
    Ok(crate::respond::attachment(file))
}

/// The result of a desk write.
#[derive(Debug, Serialize, ToSchema)]
pub struct Written {
    /// The outcome's version now (its ETag); 0 for a match.
    pub version: i32,
    /// `false`: the same was recorded before; nothing changed.
    pub created: bool,
}

fn written(done: &trilateral::record::Recorded) -> Response {
    let status = if done.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut response = (
        status,
        Json(Written {
            version: done.version,
            created: done.created,
        }),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&etag(done.version)) {
        response.headers_mut().insert(header::ETAG, v);
    }
    response
}

fn proposal_id(raw: &str) -> Result<i64, AppError> {
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
        let shown: String = raw.chars().take(40).collect();
        AppError::from(Message::InvalidId {
            what_id: "usulan",
            what_en: "proposal",
            raw: shown,
        })
    })
}

/// Records the desk's outcome for an approved proposal (audited). `If-Match` carries the outcome's
/// version as seen (`"0"` before the first); sending what is already recorded is answered 200.
#[utoipa::path(
    put,
    path = "/api/v1/trilateral/proposals/{id}/outcome",
    tag = "trilateral",
    params(
        ("id" = i64, Path, description = "Proposal id"),
        ("If-Match" = String, Header, description = "The outcome's version as seen, e.g. \"0\"")
    ),
    request_body = OutcomeRequest,
    responses(
        (status = 201, description = "Recorded; ETag is the outcome's new version", body = Written),
        (status = 200, description = "The same outcome was recorded before", body = Written),
        (status = 400, description = "Malformed JSON or id", body = ApiError),
        (status = 403, description = "Not a planner (opd) or admin, outside the area, or another agency's", body = ApiError),
        (status = 404, description = "No such proposal", body = ApiError),
        (status = 412, description = "Stale If-Match; nothing recorded", body = ApiError),
        (status = 422, description = "Not approved, unknown outcome, missing note, agreed values or merge target", body = ApiError),
        (status = 428, description = "No If-Match", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn put_outcome(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(raw_id): Path<String>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<OutcomeRequest>,
) -> Result<Response, AppError> {
    let id = proposal_id(&raw_id)?;
    let seen = crate::extract::seen_versions(&headers);
    let done = trilateral::record::outcome(&state.pool, &user, id, &seen, &request).await?;
    Ok(written(&done))
}

/// The Renja lines of the proposal's agency a planner may choose as its match, best first, each
/// with its score (0–100), whether the matching itself would take it, and the reasons.
#[utoipa::path(
    get,
    path = "/api/v1/trilateral/proposals/{id}/candidates",
    tag = "trilateral",
    params(("id" = i64, Path, description = "Proposal id")),
    responses(
        (status = 200, body = Choice),
        (status = 400, description = "Malformed id", body = ApiError),
        (status = 401, description = "No or wrong token", body = ApiError),
        (status = 403, description = "Wrong role, outside the area, or another agency's", body = ApiError),
        (status = 404, description = "No such proposal", body = ApiError),
        (status = 422, description = "Not approved", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn get_candidates(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(raw_id): Path<String>,
) -> Result<Json<Choice>, AppError> {
    let id = proposal_id(&raw_id)?;
    Ok(Json(
        trilateral::choose::choice(&state.pool, &user, id).await?,
    ))
}

/// A planner's correction of the matching for one proposal: the Renja line that addresses it, or
/// `null` for none; with a note, audited. A line another proposal of the agency has is refused
/// (409) unless `package` is true: one line for several small proposals, its target and pagu
/// shared.
#[utoipa::path(
    put,
    path = "/api/v1/trilateral/proposals/{id}/match",
    tag = "trilateral",
    params(("id" = i64, Path, description = "Proposal id")),
    request_body = MatchRequest,
    responses(
        (status = 201, description = "Recorded", body = Written),
        (status = 200, description = "The same was recorded before", body = Written),
        (status = 400, description = "Malformed JSON or id", body = ApiError),
        (status = 403, description = "Not a planner (opd) or admin, outside the area, or another agency's", body = ApiError),
        (status = 404, description = "No such proposal", body = ApiError),
        (status = 409, description = "The line is another proposal's and `package` is not set", body = ApiError),
        (status = 422, description = "Not approved, no note, or no such Renja line", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn put_match(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(raw_id): Path<String>,
    ApiJson(request): ApiJson<MatchRequest>,
) -> Result<Response, AppError> {
    let id = proposal_id(&raw_id)?;
    let done = trilateral::record::set_match(&state.pool, &user, id, &request).await?;
    Ok(written(&done))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RenjaImportParams {
    /// The agency: register kode or a name it is known by.
    pub opd: String,
    /// The plan's year.
    pub tahun: i32,
    /// Import the good rows and report the bad ones (default: any bad row refuses the file).
    pub skip_invalid: Option<bool>,
}

/// What a Renja import through the API did.
#[derive(Debug, Serialize, ToSchema)]
pub struct RenjaImportReport {
    pub opd: String,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: Vec<String>,
    pub rejected_csv: Option<String>,
    /// Names matched approximately: check them.
    pub fuzzy_matches: Vec<String>,
    /// Lines at kota level (no kelurahan or kecamatan).
    pub citywide: usize,
    /// Earlier lines of this agency and year that the file does not have (kept).
    pub not_in_file: usize,
    /// A printed SIPD report's program, kegiatan, sub-kegiatan and total rows above the lines:
    /// recognised, not taken as lines.
    pub summary_rows: usize,
    /// Summed pagu in the report that disagree with the rows beneath them, one per row.
    pub pagu_mismatches: Vec<String>,
}

/// Imports an agency's Renja (CSV or XLSX, the body as is). All or nothing unless `skip_invalid`;
/// re-sending the same file changes nothing.
#[utoipa::path(
    post,
    path = "/api/v1/admin/renja/import",
    tag = "admin",
    params(RenjaImportParams),
    request_body(content = Vec<u8>, description = "The CSV or XLSX file", content_type = "application/octet-stream"),
    responses(
        (status = 200, body = RenjaImportReport),
        (status = 401, description = "No or wrong token", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError),
        (status = 413, description = "File over 20 MB", body = ApiError),
        (status = 422, description = "Bad rows, an unknown agency or an unreadable file; nothing imported", body = ApiError)
    ),
    security(("admin_token" = []))
)]
pub async fn import_renja(
    State(state): State<AppState>,
    Caller(user): Caller,
    ApiQuery(params): ApiQuery<RenjaImportParams>,
    body: Body,
) -> Result<Json<RenjaImportReport>, AppError> {
    user.require_role(&[Role::Admin])?;
    let bytes = crate::routes::admin::read_upload(body).await?;
    let options = renja::RenjaImportOptions {
        opd: params.opd,
        tahun: params.tahun,
        skip_invalid: params.skip_invalid.unwrap_or(false),
        rejected_path: None,
        scope: None,
        actor: Some(user.actor()),
    };
    let s = renja::import_file(
        &state.pool,
        InputFile::from_bytes("upload", bytes),
        &options,
    )
    .await
    .map_err(crate::routes::admin::refused)?;
    Ok(Json(RenjaImportReport {
        opd: s.opd_kode,
        inserted: s.counts.inserted,
        updated: s.counts.updated,
        unchanged: s.counts.unchanged,
        rejected: s.rejected.iter().map(ToString::to_string).collect(),
        rejected_csv: s.rejected_csv,
        fuzzy_matches: s.fuzzy_matches,
        citywide: s.citywide,
        not_in_file: s.not_in_file,
        summary_rows: s.summary_rows,
        pagu_mismatches: s.pagu_mismatches,
    }))
}
