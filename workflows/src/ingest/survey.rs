//! Storing one survey record: validated, scoped, idempotent by the phone's UUID (the same body again
//! is a repeat, another body a conflict), a correction superseding an earlier survey, and, for a
//! survey without photos, its checks, all in one statement with its audit record.

use survey_schema::{Anomaly, CheckedSurvey, Role, SurveyRecord, SurveyView, WilayahKode};
use uuid::Uuid;

use super::arrival::{Arrival, Prepared, in_scope};
use crate::app::AppState;
use crate::db;
use tinjau_domain::messages::Both;

use crate::refusal::{Message, WorkflowError, refuse};
use tinjau_domain::CurrentUser;

/// What storing a survey did.
#[derive(Debug, Clone)]
pub enum Stored {
    /// New: stored now.
    Created(SurveyView),
    /// This UUID was stored before with this very body (a retry); nothing changed.
    Repeat(SurveyView),
}

/// Stores a survey sent by `user` under the phone's UUID `id`: one read (the proposal and the
/// surveyor's visits just before and after), the checks, and one statement that stores and commits.
/// A survey that corrects another is read and stored on its own; the others go to the writer,
/// which reads, checks and stores those arriving together in one statement each.
pub async fn store(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    survey: CheckedSurvey,
) -> Result<Stored, WorkflowError> {
    gate(user, survey.record())?;
    let arrival = Arrival::new(user, id, survey)?;
    let (prepared, stored) = if let Some(previous) = arrival.record().supersedes {
        let context = db::survey::arrival_contexts(&state.pool, &[arrival.query()])
            .await?
            .pop()
            .flatten();
        let prepared = arrival.prepare(&state.index.get(), context)?;
        let mut conn = state.pool.acquire().await?;
        check_supersedes(&mut conn, id, previous, prepared.record.proposal_id).await?;
        drop(conn);
        match db::survey::store(&state.pool, &prepared.survey).await {
            // Another correction of the same survey was stored since it was checked above.
            Err(sqlx::Error::Database(e)) if e.constraint() == Some("survey_supersedes_key") => {
                return refuse(Message::AlreadySuperseded {
                    survey: previous.to_string(),
                });
            }
            stored => (prepared, stored?),
        }
    } else {
        state.survey_writer.store(arrival).await?
    };
    let Prepared {
        survey: stored_survey,
        record,
        checks,
    } = prepared;
    let Some(received_at) = stored else {
        // Stored before (a retry, or a concurrent request with this UUID): answer as a repeat.
        let mut conn = state.pool.acquire().await?;
        let existing = db::survey::get(&mut conn, id)
            .await?
            .ok_or_else(|| WorkflowError::Internal(anyhow::anyhow!("survey {id} vanished")))?;
        drop(conn);
        // Another area's survey: answered as a survey the caller may not see, which tells a
        // stranger nothing (not even that the UUID exists elsewhere).
        require_covers_survey(user, id, &existing.kelurahan_kode)?;
        return repeat(state, existing, &stored_survey.body_sha256).await;
    };
    let mut missing_photos: Vec<String> = record.photos.iter().map(|p| p.sha256.clone()).collect();
    missing_photos.sort();
    missing_photos.dedup();
    Ok(Stored::Created(SurveyView {
        id,
        received_at,
        surveyor: Some(user.name.clone()),
        record,
        missing_photos,
        processing_photos: Vec::new(),
        superseded_by: None,
        checks,
    }))
}

/// The wire record checked once, as every adapter receives it: its values, or the refusal that
/// lists every problem.
pub fn check(record: SurveyRecord) -> Result<CheckedSurvey, WorkflowError> {
    record.check().map_err(|problems| {
        let list = problems
            .iter()
            .map(|p| format!("{}: {}", p.field, p.problem))
            .collect::<Vec<_>>()
            .join("; ");
        Message::InvalidSurvey {
            problems: Both::same(list),
        }
        .into()
    })
}

/// Whether `user` may store `survey`: the role, the capture time, the proposal and its area.
/// Returns the proposal's context. Every adapter asks this before it keeps anything of a survey.
pub async fn admissible(
    state: &AppState,
    user: &CurrentUser,
    survey: &CheckedSurvey,
) -> Result<db::survey::SurveyContext, WorkflowError> {
    gate(user, survey.record())?;
    let context = db::survey::proposal_context(&state.pool, survey.record().proposal_id).await?;
    in_scope(user, survey.record(), context)
}

/// What is refused before anything is read: the role, and a capture time in the future.
fn gate(user: &CurrentUser, record: &SurveyRecord) -> Result<(), WorkflowError> {
    user.require_role(&[Role::Surveyor, Role::Camat, Role::Admin])?;
    if record.captured_at > chrono::Utc::now() + chrono::Duration::hours(24) {
        return Err(Message::CapturedInFuture {}.into());
    }
    Ok(())
}

/// A correction must name an existing survey of the same proposal that no other survey corrects yet.
async fn check_supersedes(
    conn: &mut sqlx::PgConnection,
    id: Uuid,
    previous: Uuid,
    proposal_id: i64,
) -> Result<(), WorkflowError> {
    match db::survey::supersede_target(conn, previous).await? {
        None => Err(Message::UnknownSupersedes {
            survey: previous.to_string(),
        }
        .into()),
        Some((proposal, _)) if proposal != proposal_id => Err(Message::SupersedesOtherProposal {
            survey: previous.to_string(),
            proposal,
        }
        .into()),
        // Taken by this very survey: a retry, answered as a repeat once the insert finds it.
        Some((_, Some(taker))) if taker != id => refuse(Message::AlreadySuperseded {
            survey: previous.to_string(),
        }),
        Some(_) => Ok(()),
    }
}

async fn repeat(
    state: &AppState,
    existing: db::survey::SurveyRow,
    body_sha256: &str,
) -> Result<Stored, WorkflowError> {
    if existing.body_sha256 == body_sha256 {
        Ok(Stored::Repeat(view(state, existing).await?))
    } else {
        refuse(Message::SurveyConflict {
            survey: existing.id.to_string(),
        })
    }
}

/// A stored survey as `user` may see it: the photos still missing and its checks.
pub async fn get(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
) -> Result<SurveyView, WorkflowError> {
    let mut conn = state.pool.acquire().await?;
    let Some(row) = db::survey::get(&mut conn, id).await? else {
        return refuse(Message::SurveyNotFound {
            survey: id.to_string(),
        });
    };
    drop(conn);
    require_covers_survey(user, id, &row.kelurahan_kode)?;
    view(state, row).await
}

/// 403 unless `user` may see survey `id`, of a proposal in `kelurahan_kode`. The same answer
/// whether the survey is read, written again or one of its photos is named, and it names no place.
pub fn require_covers_survey(
    user: &CurrentUser,
    id: Uuid,
    kelurahan: &WilayahKode,
) -> Result<(), WorkflowError> {
    if user.covers(kelurahan) {
        return Ok(());
    }
    refuse(Message::SurveyOutOfScope {
        survey: id.to_string(),
    })
}

async fn view(state: &AppState, row: db::survey::SurveyRow) -> Result<SurveyView, WorkflowError> {
    let checks = db::anomaly::for_survey(&state.pool, row.id)
        .await?
        .into_iter()
        .map(Anomaly::from)
        .collect();
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
