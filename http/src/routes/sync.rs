//! What a phone downloads before going into the field, incrementally.

// utoipa's expansion of `params(SyncParams)` trips this lint.
#![allow(unused_qualifications)]

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use survey_schema::ApiError;
use survey_schema::survey::AssignmentsPage;
use utoipa::IntoParams;

use crate::auth::Caller;
use tinjau_domain::Message;

use crate::error::AppError;
use crate::extract::ApiQuery;
use tinjau_workflows::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SyncParams {
    /// The cursor of the last sync; absent for a first, full sync.
    pub since: Option<String>,
}

/// The physical proposals in the caller's area that need a survey, changed since the cursor, with
/// the ids that left the list and the next cursor.
#[utoipa::path(
    get,
    path = "/api/v1/sync/assignments",
    tag = "sync",
    params(SyncParams),
    responses(
        (status = 200, body = AssignmentsPage),
        (status = 400, description = "Bad cursor", body = ApiError),
        (status = 401, description = "No or wrong token", body = ApiError),
        (status = 403, description = "Not a surveyor, camat or admin", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn assignments(
    State(state): State<AppState>,
    Caller(user): Caller,
    ApiQuery(params): ApiQuery<SyncParams>,
) -> Result<Json<AssignmentsPage>, AppError> {
    let since = match params.since.as_deref().filter(|s| !s.is_empty()) {
        None => 0,
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| AppError::from(Message::InvalidCursor {}))?,
    };
    Ok(Json(
        tinjau_workflows::sync::assignments(&state, &user, since).await?,
    ))
}
