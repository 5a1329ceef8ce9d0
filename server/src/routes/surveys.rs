//! Survey records from the phones: idempotent by the client's UUID.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use sha2::{Digest, Sha256};
use survey_schema::{Anomaly, ApiError, Role, SurveyRecord, SurveyView, WilayahKode};
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::db;
use crate::error::AppError;
use crate::extract::ApiJson;
use crate::startup::AppState;

fn parse_id(raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw).map_err(|_| {
        AppError::bad_request(
            "invalid_id",
            format!(
                "'{}' is not a UUID.",
                raw.chars().take(40).collect::<String>()
            ),
            format!("'{}' bukan UUID.", raw.chars().take(40).collect::<String>()),
        )
    })
}

fn unprocessable(code: &'static str, en: String, id: String) -> AppError {
    AppError::client(StatusCode::UNPROCESSABLE_ENTITY, code, en, id)
}

async fn view(state: &AppState, row: db::survey::SurveyRow) -> Result<SurveyView, AppError> {
    let checks = db::anomaly::for_survey(&state.pool, row.id)
        .await?
        .into_iter()
        .map(Anomaly::from)
        .collect();
    view_with(row, checks)
}

fn view_with(row: db::survey::SurveyRow, checks: Vec<Anomaly>) -> Result<SurveyView, AppError> {
    let record: SurveyRecord = serde_json::from_value(row.body).map_err(anyhow::Error::from)?;
    Ok(SurveyView {
        id: row.id,
        received_at: row.received_at,
        surveyor: row.surveyor,
        record,
        missing_photos: row.missing_photos,
        processing_photos: row.processing_photos,
        superseded_by: row.superseded_by,
        checks,
    })
}

/// Runs the survey checks once every declared photo is in and read; a failure is logged, not
/// returned: the survey and its photos are safely stored and the checks can run again.
pub async fn check_if_complete(state: &AppState, id: Uuid) {
    let index = state.index.get();
    if let Err(e) = crate::survey_checks::run_if_complete(&state.pool, &index, id).await {
        tracing::error!(survey = %id, error = %format!("{e:#}"), "survey checks failed");
    }
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
    user: CurrentUser,
    Path(raw): Path<String>,
    ApiJson(record): ApiJson<SurveyRecord>,
) -> Result<(StatusCode, Json<SurveyView>), AppError> {
    user.require_role(&[Role::Surveyor, Role::Camat, Role::Admin])?;
    let id = parse_id(&raw)?;
    let problems = record.problems();
    if !problems.is_empty() {
        let list = problems
            .iter()
            .map(|p| format!("{}: {}", p.field, p.problem))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(unprocessable(
            "invalid_survey",
            format!("Invalid survey: {list}."),
            format!("Survei tidak valid: {list}."),
        ));
    }
    if record.captured_at > chrono::Utc::now() + chrono::Duration::hours(24) {
        return Err(unprocessable(
            "invalid_survey",
            "captured_at is more than a day in the future: check the phone's clock.".into(),
            "captured_at lebih dari sehari di masa depan: periksa jam ponsel.".into(),
        ));
    }
    let mut context = db::survey::proposal_context(&state.pool, record.proposal_id)
        .await?
        .ok_or_else(|| {
            unprocessable(
                "unknown_proposal",
                format!("There is no proposal {}.", record.proposal_id),
                format!("Usulan {} tidak ada.", record.proposal_id),
            )
        })?;
    context.surveyor_id = user.id;
    user.require_covers(
        &WilayahKode::parse(&context.kelurahan_kode).map_err(anyhow::Error::from)?,
    )?;

    let body = serde_json::to_value(&record).map_err(anyhow::Error::from)?;
    let body_sha256 = hex::encode(Sha256::digest(
        serde_json::to_vec(&record).map_err(anyhow::Error::from)?,
    ));
    // One transaction, one commit: the survey, its declared photos, the proposal's sync cursor and,
    // for a survey without photos, its checks are stored together or not at all.
    let mut tx = state.pool.begin().await?;
    if let Some(previous) = record.supersedes {
        check_supersedes(&mut tx, id, previous, record.proposal_id).await?;
    }
    let new = db::survey::NewSurvey {
        id,
        proposal_id: record.proposal_id,
        surveyor_id: user.id,
        body: &body,
        body_sha256: &body_sha256,
        captured_at: record.captured_at,
        lon: record.fix.lon,
        lat: record.fix.lat,
        accuracy_m: record.fix.accuracy_m,
        supersedes: record.supersedes,
    };
    let Some(received_at) = db::survey::insert_if_new(&mut tx, &new).await? else {
        // Stored before (a retry, or a concurrent request with this UUID): answer as a repeat.
        drop(tx);
        let mut conn = state.pool.acquire().await?;
        let existing = db::survey::get(&mut conn, id)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("survey {id} vanished")))?;
        drop(conn);
        return repeat(&state, existing, &body_sha256).await;
    };
    let photos = &record.photos;
    if !photos.is_empty() {
        db::survey::insert_photos(
            &mut tx,
            id,
            &photos.iter().map(|p| p.sha256.clone()).collect::<Vec<_>>(),
            &photos
                .iter()
                .map(|p| i64::try_from(p.bytes).unwrap_or(i64::MAX))
                .collect::<Vec<_>>(),
            &photos
                .iter()
                .map(|p| p.content_type.clone())
                .collect::<Vec<_>>(),
            &photos.iter().map(|p| p.caption.clone()).collect::<Vec<_>>(),
        )
        .await?;
    }
    // The proposal leaves the phones' to-do lists: bump its sync cursor.
    db::survey::touch_proposal(&mut tx, record.proposal_id).await?;
    if let Some(previous) = record.supersedes {
        // The corrected survey's findings no longer stand for the proposal; the survey itself stays.
        db::anomaly::delete_for_survey(&mut tx, previous).await?;
    }
    // A survey without photos is complete as it arrives: check it now and answer with the findings.
    let checks = if photos.is_empty() {
        let found =
            crate::survey_checks::check(&mut tx, &state.index.get(), id, &context, &record, &[])
                .await?;
        db::anomaly::insert_for_survey(&mut tx, id, record.proposal_id, &found).await?;
        found
    } else {
        Vec::new()
    };
    let change = crate::audit::Change::new(id.to_string())
        .of_proposal(record.proposal_id, context.kelurahan_kode.get(..8))
        .after(serde_json::json!({"record": &record, "body_sha256": &body_sha256}));
    crate::audit::record(
        &mut tx,
        &user.actor(),
        "survey.store",
        "survey",
        vec![change],
    )
    .await?;
    tx.commit().await?;
    let mut missing_photos: Vec<String> = photos.iter().map(|p| p.sha256.clone()).collect();
    missing_photos.sort();
    missing_photos.dedup();
    Ok((
        StatusCode::CREATED,
        Json(SurveyView {
            id,
            received_at,
            surveyor: Some(user.name),
            record,
            missing_photos,
            processing_photos: Vec::new(),
            superseded_by: None,
            checks,
        }),
    ))
}

/// A correction must name an existing survey of the same proposal that no other survey corrects yet.
async fn check_supersedes(
    conn: &mut sqlx::PgConnection,
    id: Uuid,
    previous: Uuid,
    proposal_id: i64,
) -> Result<(), AppError> {
    match db::survey::supersede_target(conn, previous).await? {
        None => Err(unprocessable(
            "unknown_survey",
            format!("supersedes: there is no survey {previous}."),
            format!("supersedes: survei {previous} tidak ada."),
        )),
        Some((proposal, _)) if proposal != proposal_id => Err(unprocessable(
            "invalid_survey",
            format!("supersedes: survey {previous} is of another proposal ({proposal})."),
            format!("supersedes: survei {previous} untuk usulan lain ({proposal})."),
        )),
        // Taken by this very survey: a retry, answered as a repeat once the insert finds it.
        Some((_, Some(taker))) if taker != id => Err(AppError::client(
            StatusCode::CONFLICT,
            "already_superseded",
            format!("Survey {previous} has already been corrected by another survey."),
            format!("Survei {previous} sudah dikoreksi oleh survei lain."),
        )),
        Some(_) => Ok(()),
    }
}

async fn repeat(
    state: &AppState,
    existing: db::survey::SurveyRow,
    body_sha256: &str,
) -> Result<(StatusCode, Json<SurveyView>), AppError> {
    if existing.body_sha256 == body_sha256 {
        Ok((StatusCode::OK, Json(view(state, existing).await?)))
    } else {
        Err(AppError::client(
            StatusCode::CONFLICT,
            "conflict",
            format!(
                "Survey {} exists with another body; a correction is a new survey that names it in `supersedes`.",
                existing.id
            ),
            format!(
                "Survei {} sudah ada dengan isi lain; koreksi dikirim sebagai survei baru yang menyebutnya di `supersedes`.",
                existing.id
            ),
        ))
    }
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
    user: CurrentUser,
    Path(raw): Path<String>,
) -> Result<Json<SurveyView>, AppError> {
    let id = parse_id(&raw)?;
    let mut conn = state.pool.acquire().await?;
    let row = db::survey::get(&mut conn, id).await?.ok_or_else(|| {
        AppError::not_found(
            format!("No survey {id}."),
            format!("Survei {id} tidak ditemukan."),
        )
    })?;
    user.require_covers(&WilayahKode::parse(&row.kelurahan_kode).map_err(anyhow::Error::from)?)?;
    Ok(Json(view(&state, row).await?))
}
