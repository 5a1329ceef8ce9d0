//! A proposal's whole story from the audit trail: imports, surveys, photos, decisions, Kirim.

use sqlx::PgPool;
use survey_schema::{HistoryEvent, ProposalHistory, Role};

use crate::db;
use crate::refusal::{Message, WorkflowError, refuse};
use tinjau_domain::CurrentUser;

pub async fn of_proposal(
    pool: &PgPool,
    user: &CurrentUser,
    proposal_id: i64,
) -> Result<ProposalHistory, WorkflowError> {
    let Some((kelurahan, version)) = db::proposal::scope_and_version(pool, proposal_id).await?
    else {
        return refuse(Message::ProposalNotFound { id: proposal_id });
    };
    // The story names people and holds the camat's notes: the reviewing roles only, not surveyors.
    user.require_role(&[Role::Camat, Role::Lurah, Role::Opd, Role::Admin])?;
    user.require_covers(&kelurahan)?;
    let events = db::audit::for_proposal(pool, proposal_id)
        .await?
        .into_iter()
        .map(|r| HistoryEvent {
            seq: r.seq,
            at: r.at,
            actor: r.actor,
            actor_role: r.actor_role,
            action: r.action,
            entity: r.entity,
            entity_id: r.entity_id,
            before: r.before,
            after: r.after,
            request_id: r.request_id,
            row_hash: r.row_hash,
        })
        .collect();
    Ok(ProposalHistory {
        proposal_id,
        version,
        events,
    })
}
