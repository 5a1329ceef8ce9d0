//! Survey records from the phones over the JSON API: an adapter on [`tinjau_workflows::ingest::survey`].

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use survey_schema::{ApiError, SurveyRecord, SurveyView};
use uuid::Uuid;

use crate::auth::Caller;
use tinjau_domain::Message;

use crate::error::AppError;
use crate::extract::ApiJson;
use tinjau_workflows::AppState;
use tinjau_workflows::ingest;

pub(crate) fn parse_id(raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw).map_err(|_| {
        AppError::from(Message::InvalidUuid {
            raw: raw.chars().take(40).collect(),
        })
    })
}

/// Stores a survey. The phone makes the UUID; sending the same body again is answered 200 with the
/// stored survey, the same UUID with another body 409. A correction is a new survey naming the one
/// it `supersedes`; the history is kept.
#[utoipa::path(
    put,
    path = "/api/v1/surveys/{id}",
    tag = "surveys",
    params(("id" = Uuid, Path, description = "The survey's UUID, made by the phone")),
    request_body = SurveyRecord,
    responses(
        (status = 201, description = "Stored", body = SurveyView),
        (status = 200, description = "Already stored with this very body", body = SurveyView),
        (status = 400, description = "Malformed JSON or UUID", body = ApiError),
        (status = 401, description = "No or wrong token", body = ApiError),
        (status = 403, description = "Wrong role, or the proposal is outside the caller's scope", body = ApiError),
        (status = 409, description = "The UUID holds another body, or the superseded survey is already corrected", body = ApiError),
        (status = 422, description = "Invalid values, unknown proposal or superseded survey", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn put_survey(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(raw): Path<String>,
    ApiJson(record): ApiJson<SurveyRecord>,
) -> Result<(StatusCode, Json<SurveyView>), AppError> {
    let id = parse_id(&raw)?;
    Ok(
        match ingest::survey::store(&state, &user, id, ingest::survey::check(record)?).await? {
            ingest::survey::Stored::Created(view) => (StatusCode::CREATED, Json(view)),
            ingest::survey::Stored::Repeat(view) => (StatusCode::OK, Json(view)),
        },
    )
}

/// A survey, the photos still missing, and its checks.
#[utoipa::path(
    get,
    path = "/api/v1/surveys/{id}",
    tag = "surveys",
    params(("id" = Uuid, Path, description = "The survey's UUID")),
    responses(
        (status = 200, body = SurveyView),
        (status = 400, description = "Not a UUID", body = ApiError),
        (status = 401, description = "No or wrong token", body = ApiError),
        (status = 403, description = "Outside the caller's scope", body = ApiError),
        (status = 404, description = "No such survey", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn get_survey(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(raw): Path<String>,
) -> Result<Json<SurveyView>, AppError> {
    let id = parse_id(&raw)?;
    Ok(Json(ingest::survey::get(&state, &user, id).await?))
}
