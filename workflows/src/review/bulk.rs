//! Bulk approval: many proposals approved in one action, each with its own decision and audit row,
//! at the version the caller saw; one that changed meanwhile, was decided already or no longer
//! meets the criterion is skipped and reported, never decided blind. Every decision's UUID is made
//! from the action's UUID and the proposal's id, so a retry of the action decides nothing twice.

use sqlx::PgPool;
use survey_schema::review::SeenProposal;
use survey_schema::{
    BulkApproveRequest, BulkCriterion, BulkOutcome, BulkSkipped, DecisionRequest, DecisionStatus,
    ReviewItem, WilayahKode,
};
use uuid::Uuid;

use super::decision::{Suggested, decide_in};
use crate::db;
use crate::refusal::{Message, WorkflowError, refuse};
use tinjau_domain::{CurrentUser, Seen};

/// Most proposals one action takes (a kecamatan's list, with room).
pub const MAX_BULK: usize = 5_000;

/// The decision id of `proposal` within the bulk action `action`.
pub fn decision_id(action: Uuid, proposal: i64) -> Uuid {
    Uuid::new_v5(&action, &proposal.to_be_bytes())
}

/// Whether an item meets the criterion.
pub fn eligible(item: &ReviewItem, criterion: BulkCriterion) -> bool {
    match criterion {
        BulkCriterion::NoFinding => item.anomalies.is_empty(),
        BulkCriterion::SuggestedApprove => item
            .suggestion
            .as_ref()
            .is_some_and(|s| s.action == "approve"),
    }
}

/// The undecided proposals of the review list under `filter` that meet `criterion`, with the
/// version each is seen at now and its budget: what a bulk action offers (and then sends back).
pub async fn candidates(
    conn: &mut sqlx::PgConnection,
    user: &CurrentUser,
    kecamatan: &WilayahKode,
    tahun: i32,
    filter: &super::ReviewFilter,
    criterion: BulkCriterion,
) -> Result<Vec<(SeenProposal, i64)>, WorkflowError> {
    let mut found = candidates_each(conn, user, kecamatan, tahun, filter, &[criterion]).await?;
    Ok(found.pop().unwrap_or_default())
}

/// [`candidates`] for several criteria from one read of the list, in the criteria's order.
pub async fn candidates_each(
    conn: &mut sqlx::PgConnection,
    user: &CurrentUser,
    kecamatan: &WilayahKode,
    tahun: i32,
    filter: &super::ReviewFilter,
    criteria: &[BulkCriterion],
) -> Result<Vec<Vec<(SeenProposal, i64)>>, WorkflowError> {
    let filter = super::ReviewFilter {
        decision: Some(DecisionStatus::Undecided),
        ..filter.clone()
    };
    let mut out = vec![Vec::new(); criteria.len()];
    for page in 1.. {
        let list = super::list(
            conn,
            user,
            kecamatan,
            tahun,
            &filter,
            super::Paging {
                page,
                per_page: super::MAX_PER_PAGE,
            },
        )
        .await?;
        let last = list.items.len() < usize::try_from(super::MAX_PER_PAGE).unwrap_or(500);
        for item in &list.items {
            for (criterion, found) in criteria.iter().zip(out.iter_mut()) {
                if eligible(item, *criterion) {
                    let seen = SeenProposal {
                        id: item.id,
                        version: item.version,
                    };
                    found.push((seen, item.decided.anggaran));
                }
            }
        }
        if last {
            break;
        }
    }
    Ok(out)
}

/// Approves, in one transaction, the proposals of `kecamatan` the request names.
pub async fn approve(
    pool: &PgPool,
    user: &CurrentUser,
    kecamatan: &WilayahKode,
    tahun: i32,
    request: &BulkApproveRequest,
) -> Result<BulkOutcome, WorkflowError> {
    user.require_role(&super::decision::DECIDERS)?;
    user.require_covers(kecamatan)?;
    if request.proposals.len() > MAX_BULK {
        return refuse(Message::BulkTooLarge {
            given: request.proposals.len(),
            limit: MAX_BULK,
        });
    }
    let note = request
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    if let Some(n) = &note {
        tinjau_domain::text::check_text("note", n, tinjau_domain::text::MAX_NOTE_CHARS)?;
    }
    let mut ids: Vec<i64> = request.proposals.iter().map(|p| p.id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut tx = pool.begin().await?;
    // Every row first, in id order, then (inside each decision) the kecamatan's lock: the order a
    // single decision takes, so the two never wait on each other in a circle.
    let found = db::decision::lock_proposals(&mut tx, &ids).await?;
    let items: std::collections::HashMap<i64, ReviewItem> = super::items(&mut tx, &found)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let mut outcome = BulkOutcome {
        id: request.id,
        approved: Vec::new(),
        repeated: Vec::new(),
        skipped: Vec::new(),
        total_rupiah: 0,
    };
    let mut changes = Vec::new();
    let skip = |outcome: &mut BulkOutcome, id: i64, reason: &str| {
        outcome.skipped.push(BulkSkipped {
            id,
            reason: reason.to_owned(),
        });
    };
    let mut seen_ids = std::collections::HashSet::new();
    for p in &request.proposals {
        if !seen_ids.insert(p.id) {
            continue;
        }
        let Some(item) = items.get(&p.id) else {
            skip(&mut outcome, p.id, "not_found");
            continue;
        };
        if item.kelurahan.parent().as_ref() != Some(kecamatan) || item.tahun != tahun {
            skip(&mut outcome, p.id, "not_found");
            continue;
        }
        let id = decision_id(request.id, p.id);
        let already = db::decision::get(&mut tx, id).await?.is_some();
        if !already {
            if item.decision != DecisionStatus::Undecided {
                skip(&mut outcome, p.id, "decided");
                continue;
            }
            if item.version != p.version {
                skip(&mut outcome, p.id, "changed");
                continue;
            }
            if !eligible(item, request.criterion) {
                skip(&mut outcome, p.id, "not_eligible");
                continue;
            }
        }
        let applied = decide_in(
            &mut tx,
            user,
            p.id,
            id,
            &Seen::version(p.version),
            &DecisionRequest::Approve { note: note.clone() },
            Suggested::Given(item.suggestion.as_ref()),
        )
        .await?;
        outcome.total_rupiah += applied.decided.view.after.anggaran;
        match applied.change {
            Some(change) => {
                outcome.approved.push(p.id);
                changes.push(change);
            }
            None => outcome.repeated.push(p.id),
        }
    }
    if !changes.is_empty() {
        let mut summary =
            crate::audit::Change::new(request.id.to_string()).after(serde_json::json!({
                "kecamatan": kecamatan,
                "tahun": tahun,
                "criterion": request.criterion,
                "approved": outcome.approved.len(),
                "skipped": outcome.skipped.len(),
                "total_rupiah": outcome.total_rupiah,
            }));
        summary.kecamatan = Some(kecamatan.to_string());
        crate::audit::record(&mut tx, &user.actor(), "decision.put", "proposal", changes).await?;
        crate::audit::record(
            &mut tx,
            &user.actor(),
            "decision.bulk",
            "kecamatan",
            vec![summary],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bulk_actions_decisions_have_ids_of_their_own_and_the_same_on_a_retry() {
        let action = Uuid::new_v4();
        assert_eq!(decision_id(action, 7), decision_id(action, 7));
        assert_ne!(decision_id(action, 7), decision_id(action, 8));
        assert_ne!(decision_id(action, 7), decision_id(Uuid::new_v4(), 7));
    }
}
