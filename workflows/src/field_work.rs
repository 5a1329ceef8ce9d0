//! The technical team's work as the camat directs it, one path for every adapter (API, pages,
//! CLI, OpenRosa): which year the phones survey, who is assigned what, a survey sent back for
//! another visit, a survey voided, and what became of each survey a phone sent.

use serde_json::json;
use sqlx::PgPool;
use survey_schema::{Role, SurveyFate, SurveyState, WilayahKode, WilayahLevel};
use uuid::Uuid;

use crate::app::AppState;
use crate::db;
use crate::db::field_work::{Assignee, AssignmentRow};
use crate::refusal::{Message, WorkflowError, refuse};
use crate::review::decision::DECIDERS;
use tinjau_domain::CurrentUser;

/// The year the phones of `area` survey: the configured one, else the newest with a physical
/// proposal there.
pub async fn survey_year(state: &AppState, area: &str) -> Result<Option<i32>, WorkflowError> {
    if let Some(t) = state.survey_tahun {
        return Ok(Some(t));
    }
    Ok(db::field_work::survey_year(&state.pool, area).await?)
}

/// The proposals a surveyor's phone is given in `area`: the year's physical ones of a list not
/// sent that still need a survey, its own assignments first, then by id.
pub async fn to_survey(
    state: &AppState,
    user: &CurrentUser,
    area: &WilayahKode,
) -> Result<(Option<i32>, Vec<AssignmentRow>), WorkflowError> {
    let Some(tahun) = survey_year(state, area.as_str()).await? else {
        return Ok((None, Vec::new()));
    };
    let team = team_of(&state.pool, user).await?;
    let rows = db::field_work::assignments(
        &state.pool,
        area.as_str(),
        tahun,
        0,
        i64::MAX,
        (user.id, team.as_deref()),
    )
    .await?;
    let mut open: Vec<_> = rows.into_iter().filter(|r| r.needs_survey).collect();
    open.sort_by_key(|r| (!r.mine, r.id));
    Ok((Some(tahun), open))
}

/// The team of the caller, if it is a surveyor in one.
pub async fn team_of(pool: &PgPool, user: &CurrentUser) -> Result<Option<String>, WorkflowError> {
    match user.id {
        Some(id) if user.role == Role::Surveyor => Ok(db::field_work::team_of(pool, id).await?),
        _ => Ok(None),
    }
}

/// The surveys `user` sent in `tahun`, newest first, with what became of each.
pub async fn fates(
    pool: &PgPool,
    user: &CurrentUser,
    tahun: i32,
) -> Result<Vec<SurveyFate>, WorkflowError> {
    let Some(id) = user.id else {
        return Ok(Vec::new());
    };
    Ok(db::field_work::fates(pool, id, tahun)
        .await?
        .into_iter()
        .map(|f| {
            let (state, reason) = if f.voided_at.is_some() {
                (SurveyState::Voided, f.void_reason)
            } else if f.superseded {
                (SurveyState::Superseded, f.sent_back_reason)
            } else if f.sent_back_at.is_some() {
                (SurveyState::SentBack, f.sent_back_reason)
            } else if f.pending_photos > 0 {
                (SurveyState::Received, None)
            } else {
                (SurveyState::Accepted, None)
            };
            SurveyFate {
                id: f.id,
                proposal_id: f.proposal_id,
                state,
                reason,
                received_at: f.received_at,
            }
        })
        .collect())
}

/// The active surveyors of the kecamatan (name, team), for the camat to choose from.
pub async fn surveyors(
    pool: &PgPool,
    user: &CurrentUser,
    kecamatan: &WilayahKode,
) -> Result<Vec<(String, Option<String>)>, WorkflowError> {
    user.require_role(&DECIDERS)?;
    user.require_covers(kecamatan)?;
    Ok(db::field_work::surveyors_in(pool, kecamatan.as_str()).await?)
}

/// Whom to assign proposals to: a surveyor by name, a team, or nobody (the assignment removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignTo {
    Surveyor(String),
    Team(String),
    Nobody,
}

/// Which proposals: all the physical ones of a kelurahan, or these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Which {
    Kelurahan(WilayahKode),
    Proposals(Vec<i64>),
}

/// Assigns proposals of `kecamatan`'s list of `tahun` (the camat, an admin); returns how many
/// proposals changed hands. Assigning again to the same is a no-op.
pub async fn assign(
    pool: &PgPool,
    user: &CurrentUser,
    kecamatan: &WilayahKode,
    tahun: i32,
    which: &Which,
    to: &AssignTo,
) -> Result<u64, WorkflowError> {
    user.require_role(&DECIDERS)?;
    user.require_covers(kecamatan)?;
    let mut tx = pool.begin().await?;
    let all = db::field_work::physical_ids(&mut tx, kecamatan.as_str(), tahun, None).await?;
    let ids: Vec<i64> = match which {
        Which::Kelurahan(k) => {
            if k.parent().as_ref() != Some(kecamatan) {
                return Err(tinjau_domain::caller::out_of_scope(k).into());
            }
            db::field_work::physical_ids(&mut tx, kecamatan.as_str(), tahun, Some(k.as_str()))
                .await?
        }
        Which::Proposals(ids) => {
            if let Some(stranger) = ids.iter().find(|id| !all.contains(id)) {
                return refuse(Message::ProposalNotFound { id: *stranger });
            }
            ids.clone()
        }
    };
    if ids.is_empty() {
        return refuse(Message::NothingToAssign {});
    }
    let surveyor;
    let changed = match to {
        AssignTo::Nobody => db::field_work::unassign(&mut tx, &ids).await?,
        AssignTo::Team(team) => {
            let team = team.trim();
            tinjau_domain::text::check_text("team", team, 64)?;
            if team.is_empty() {
                return refuse(Message::AssigneeMissing {});
            }
            db::field_work::assign(&mut tx, &ids, Assignee::Team(team), &user.name).await?
        }
        AssignTo::Surveyor(name) => {
            surveyor = db::field_work::surveyor_in(&mut tx, name.trim(), kecamatan.as_str())
                .await?
                .ok_or_else(|| {
                    WorkflowError::from(Message::AssigneeUnknown {
                        name: name.trim().to_owned(),
                    })
                })?;
            db::field_work::assign(&mut tx, &ids, Assignee::Surveyor(surveyor), &user.name).await?
        }
    };
    db::field_work::resync(&mut tx, &ids).await?;
    let mut change = crate::audit::Change::new(format!("{kecamatan}/{tahun}"))
        .after(json!({"proposals": ids, "to": format!("{to:?}"), "changed": changed}));
    change.kecamatan = Some(kecamatan.to_string());
    crate::audit::record(
        &mut tx,
        &user.actor(),
        "assignment.set",
        "kecamatan",
        vec![change],
    )
    .await?;
    tx.commit().await?;
    Ok(changed)
}

/// What a send-back or a void did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    Done,
    /// Asked before (a retry): nothing changed.
    Repeat,
}

/// Sends the proposal's current survey back for another visit, with the camat's reason: the
/// proposal returns to the phones (the reason shown there) until a new survey answers it.
pub async fn send_back(
    pool: &PgPool,
    user: &CurrentUser,
    proposal_id: i64,
    reason: &str,
) -> Result<Done, WorkflowError> {
    user.require_role(&DECIDERS)?;
    let reason = checked_reason(reason)?;
    let mut tx = pool.begin().await?;
    let Some(kecamatan) = proposal_kecamatan(&mut tx, proposal_id).await? else {
        return refuse(Message::ProposalNotFound { id: proposal_id });
    };
    user.require_covers(&kecamatan.0)?;
    refuse_if_sent(&mut tx, &kecamatan.0, kecamatan.1).await?;
    if db::field_work::open_resurvey(&mut tx, proposal_id)
        .await?
        .is_some()
    {
        return Ok(Done::Repeat);
    }
    let Some(survey) = db::survey::latest_standing(&mut tx, &[proposal_id])
        .await?
        .remove(&proposal_id)
    else {
        return refuse(Message::NothingToSendBack { id: proposal_id });
    };
    db::field_work::send_back(&mut tx, proposal_id, survey, reason, &user.name).await?;
    db::field_work::resync(&mut tx, &[proposal_id]).await?;
    let change = crate::audit::Change::new(survey.to_string())
        .of_proposal(proposal_id, Some(kecamatan.0.as_str()))
        .after(json!({"sent_back": true, "reason": reason}));
    crate::audit::record(
        &mut tx,
        &user.actor(),
        "survey.send_back",
        "survey",
        vec![change],
    )
    .await?;
    tx.commit().await?;
    Ok(Done::Done)
}

/// Voids a survey filed against the wrong proposal (the camat, an admin), with a reason: it
/// leaves the findings and the forms and the proposal is unsurveyed again; it stays stored, in
/// the audit trail and the history, its photos kept. A phone's retry of it is a repeat.
pub async fn void(
    pool: &PgPool,
    user: &CurrentUser,
    survey: Uuid,
    reason: &str,
) -> Result<Done, WorkflowError> {
    user.require_role(&DECIDERS)?;
    let reason = checked_reason(reason)?;
    let mut tx = pool.begin().await?;
    let Some(target) = db::field_work::void_target(&mut tx, survey).await? else {
        return refuse(Message::SurveyNotFound {
            survey: survey.to_string(),
        });
    };
    let kecamatan: WilayahKode = target.kecamatan_kode.into();
    if !user.covers(&kecamatan) {
        // Another area's survey is answered as one that does not exist.
        return refuse(Message::SurveyNotFound {
            survey: survey.to_string(),
        });
    }
    if target.voided_at.is_some() {
        return Ok(Done::Repeat);
    }
    refuse_if_sent(&mut tx, &kecamatan, target.tahun).await?;
    db::field_work::void(&mut tx, survey, reason, &user.name).await?;
    db::anomaly::delete_for_survey(&mut tx, survey).await?;
    // The evidence changed: a decision made on it must be looked at again.
    db::survey::touch_proposal(&mut tx, target.proposal_id).await?;
    let change = crate::audit::Change::new(survey.to_string())
        .of_proposal(target.proposal_id, Some(kecamatan.as_str()))
        .after(json!({"voided": true, "reason": reason}));
    crate::audit::record(
        &mut tx,
        &user.actor(),
        "survey.void",
        "survey",
        vec![change],
    )
    .await?;
    tx.commit().await?;
    Ok(Done::Done)
}

fn checked_reason(reason: &str) -> Result<&str, WorkflowError> {
    let reason = reason.trim();
    tinjau_domain::text::check_text("reason", reason, tinjau_domain::text::MAX_NOTE_CHARS)?;
    if reason.is_empty() {
        return refuse(Message::ReasonRequired {});
    }
    Ok(reason)
}

async fn proposal_kecamatan(
    conn: &mut sqlx::PgConnection,
    proposal_id: i64,
) -> Result<Option<(WilayahKode, i32)>, WorkflowError> {
    Ok(db::field_work::proposal_place(conn, proposal_id)
        .await?
        .and_then(|(kelurahan, tahun)| {
            WilayahKode::from(kelurahan)
                .ancestor(WilayahLevel::Kecamatan)
                .map(|k| (k, tahun))
        }))
}

/// 423 when the kecamatan's list of the year is sent: its evidence is what was sent.
async fn refuse_if_sent(
    conn: &mut sqlx::PgConnection,
    kecamatan: &WilayahKode,
    tahun: i32,
) -> Result<(), WorkflowError> {
    match db::kirim::standing(conn, kecamatan.as_str(), tahun).await? {
        Some(k) => Err(crate::review::decision::locked(&k).into()),
        None => Ok(()),
    }
}
