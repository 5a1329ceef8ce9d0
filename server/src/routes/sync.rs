//! What a phone downloads before going into the field, incrementally.

// utoipa's expansion of `params(SyncParams)` trips this lint.
#![allow(unused_qualifications)]

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use survey_schema::survey::{Assignment, AssignmentsPage};
use survey_schema::{ApiError, RawPoint, Role, WilayahKode};
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::db;
use crate::error::AppError;
use crate::extract::ApiQuery;
use crate::startup::AppState;

const PAGE: i64 = 500;

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
    user.require_role(&[Role::Surveyor, Role::Camat, Role::Admin])?;
    let since = match params.since.as_deref().filter(|s| !s.is_empty()) {
        None => 0,
        Some(raw) => raw.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            AppError::bad_request(
                "invalid_cursor",
                "The cursor is not one this server gave.",
                "Kursor tidak dikenali.",
            )
        })?,
    };
    let scope = user
        .scope
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let rows = db::survey::assignments(&state.pool, &scope, since, PAGE + 1).await?;
    let has_more = rows.len() > usize::try_from(PAGE).unwrap_or(usize::MAX);
    let rows: Vec<_> = rows
        .into_iter()
        .take(usize::try_from(PAGE).unwrap_or(usize::MAX))
        .collect();
    let cursor = rows.last().map_or(since, |r| r.change_seq);
    let mut page = AssignmentsPage {
        assignments: Vec::new(),
        removed: Vec::new(),
        cursor: cursor.to_string(),
        has_more,
        boundaries_etag: None,
    };
    for r in rows {
        if r.needs_survey {
            page.assignments.push(Assignment {
                id: r.id,
                tahun: r.tahun,
                kelurahan: WilayahKode::parse(&r.kelurahan_kode).map_err(anyhow::Error::from)?,
                rw: r.rw,
                rt: r.rt,
                usulan: r.usulan,
                lokasi: r.lokasi,
                volume: r.volume.normalize(),
                satuan: r.satuan_raw,
                activity: r.activity_code,
                pin: r.lon.zip(r.lat).map(|(lon, lat)| RawPoint { lat, lon }),
            });
        } else if since > 0 {
            // On a first sync there is nothing to remove.
            page.removed.push(r.id);
        }
    }
    if let Some(area) = &user.scope {
        let fingerprint = db::boundary::kelurahan_fingerprint(&state.pool, area).await?;
        page.boundaries_etag = Some(format!("\"{fingerprint}\""));
    }
    Ok(Json(page))
}
