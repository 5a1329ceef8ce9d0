//! The technical team's work over HTTP: thin adapters on [`tinjau_workflows::field_work`].

// utoipa's expansion of `params(...)` trips this lint.
#![allow(unused_qualifications)]

use axum::Json;
use axum::extract::{Path, State};
use survey_schema::{ApiError, AssignOutcome, AssignRequest, FieldActionOutcome, ReasonRequest};

use super::review::YearParams;
use crate::auth::Caller;
use crate::error::AppError;
use crate::extract::{ApiJson, ApiQuery};
use tinjau_domain::Message;
use tinjau_workflows::AppState;
use tinjau_workflows::field_work::{self, AssignTo, Done, Which};

/// The request's proposals and assignee, as the workflow takes them.
pub fn assignment_of(body: &AssignRequest) -> Result<(Which, AssignTo), AppError> {
    let which = match (&body.kelurahan, &body.proposals) {
        (Some(k), None) => Which::Kelurahan(k.clone()),
        (None, Some(ids)) => Which::Proposals(ids.clone()),
        _ => return Err(Message::NothingToAssign {}.into()),
    };
    let to = match (&body.surveyor, &body.team) {
        (Some(name), None) => AssignTo::Surveyor(name.clone()),
        (None, Some(team)) => AssignTo::Team(team.clone()),
        (None, None) => AssignTo::Nobody,
        (Some(_), Some(_)) => return Err(Message::AssigneeMissing {}.into()),
    };
    Ok((which, to))
}

/// Assigns proposals of the kecamatan to a surveyor or a team (or removes the assignment); the
/// surveyor's phone lists its own first. Assigning again to the same is a no-op (`changed: 0`).
#[utoipa::path(
    put,
    path = "/api/v1/kecamatan/{kode}/assignments",
    tag = "field work",
    params(("kode" = String, Path, description = "Kecamatan code"), YearParams),
    request_body = AssignRequest,
    responses(
        (status = 200, body = AssignOutcome),
        (status = 401, description = "No or wrong token", body = ApiError),
        (status = 403, description = "Not the kecamatan's camat, nor an admin", body = ApiError),
        (status = 404, description = "A proposal not of this list", body = ApiError),
        (status = 422, description = "No proposal named, or no such surveyor", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn put_assignments(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(raw): Path<String>,
    ApiQuery(params): ApiQuery<YearParams>,
    ApiJson(body): ApiJson<AssignRequest>,
) -> Result<Json<AssignOutcome>, AppError> {
    let kecamatan = tinjau_workflows::review::kecamatan_kode(&raw)?;
    let (which, to) = assignment_of(&body)?;
    let changed =
        field_work::assign(&state.pool, &user, &kecamatan, params.tahun, &which, &to).await?;
    Ok(Json(AssignOutcome { changed }))
}

fn outcome(done: Done) -> Json<FieldActionOutcome> {
    Json(FieldActionOutcome {
        outcome: match done {
            Done::Done => "done",
            Done::Repeat => "repeat",
        }
        .to_owned(),
    })
}

/// Sends the proposal's current survey back for another visit, with a reason: the proposal goes
/// back to the phones (the reason shown in the form) until a new survey, which replaces the one
/// sent back, arrives. Asking again while the request is open is a repeat.
#[utoipa::path(
    post,
    path = "/api/v1/proposals/{id}/send-back",
    tag = "field work",
    params(("id" = i64, Path, description = "Proposal id")),
    request_body = ReasonRequest,
    responses(
        (status = 200, body = FieldActionOutcome),
        (status = 401, description = "No or wrong token", body = ApiError),
        (status = 403, description = "Not the kecamatan's camat, nor an admin", body = ApiError),
        (status = 404, description = "No such proposal", body = ApiError),
        (status = 422, description = "No reason, or no survey to send back", body = ApiError),
        (status = 423, description = "The list is sent", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn send_back(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<ReasonRequest>,
) -> Result<Json<FieldActionOutcome>, AppError> {
    let id = super::review::parse_id(&raw)?;
    Ok(outcome(
        field_work::send_back(&state.pool, &user, id, &body.reason).await?,
    ))
}

/// Voids a survey filed against the wrong proposal, with a reason: it leaves the findings and the
/// forms, the proposal is unsurveyed again; the survey stays stored, in the audit trail and the
/// history, its photos kept. Voiding it again is a repeat.
#[utoipa::path(
    post,
    path = "/api/v1/surveys/{id}/void",
    tag = "field work",
    params(("id" = uuid::Uuid, Path, description = "Survey id")),
    request_body = ReasonRequest,
    responses(
        (status = 200, body = FieldActionOutcome),
        (status = 401, description = "No or wrong token", body = ApiError),
        (status = 403, description = "Not a camat nor an admin", body = ApiError),
        (status = 404, description = "No such survey in the caller's area", body = ApiError),
        (status = 422, description = "No reason", body = ApiError),
        (status = 423, description = "The list is sent", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn void_survey(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<ReasonRequest>,
) -> Result<Json<FieldActionOutcome>, AppError> {
    let id = super::surveys::parse_id(&raw)?;
    Ok(outcome(
        field_work::void(&state.pool, &user, id, &body.reason).await?,
    ))
}
