//! The lines a planner may choose for one proposal, ranked with their scores and reasons, so that
//! a match is changed by choosing, not by typing an internal id.

use geo_rules::trilateral::{Candidate, MatchParams, candidates};
use serde::Serialize;
use utoipa::ToSchema;

use super::{EvidenceView, RenjaView, explain, inputs, load, renja_view, scope_of};
use crate::db;
use crate::refusal::{Message, WorkflowError, refuse};
use tinjau_domain::CurrentUser;

/// How many lines a planner is offered.
pub const OFFERED: usize = 12;

/// A line a planner may choose.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CandidateView {
    pub renja: RenjaView,
    /// 0–100: how strongly the evidence says "the same work".
    pub score: u8,
    /// The matching itself would take this pair.
    pub addresses: bool,
    /// The line names another RT or RW than the proposal.
    pub elsewhere: bool,
    /// What agrees, and one line for a person (basis `fuzzy` for any pair without code or name).
    pub evidence: EvidenceView,
    /// Other proposals a planner linked this line to (choosing it makes a package).
    pub linked_to: Vec<i64>,
}

/// The choice for one proposal: the line it has now and the lines to choose from.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Choice {
    pub proposal_id: i64,
    pub usulan: String,
    pub kelurahan: String,
    /// The line matched now, if any.
    pub current: Option<i64>,
    pub candidates: Vec<CandidateView>,
}

/// The lines of the proposal's agency in its kota, best first (see
/// [`geo_rules::trilateral::candidates`]), for a caller who may read the desk there.
pub async fn choice(
    pool: &sqlx::PgPool,
    user: &CurrentUser,
    proposal_id: i64,
) -> Result<Choice, WorkflowError> {
    let scope = scope_of(pool, user).await?;
    let mut conn = pool.acquire().await?;
    let Some(target) = db::trilateral::peek_target(&mut conn, proposal_id).await? else {
        return refuse(Message::ProposalNotFound { id: proposal_id });
    };
    drop(conn);
    user.require_covers(&target.kelurahan_kode)?;
    if !target.approved {
        return refuse(Message::NotApproved { id: proposal_id });
    }
    let kota: String = target
        .kecamatan_kode
        .as_str()
        .split('.')
        .take(2)
        .collect::<Vec<_>>()
        .join(".");
    let loaded = load(pool, target.tahun, &kota).await?;
    let prepared = inputs(&loaded);
    let Some(side) = prepared.sides.iter().find(|s| s.id == proposal_id) else {
        return refuse(Message::ProposalNotFound { id: proposal_id });
    };
    if let Some(mine) = scope.opd
        && side.opd != Some(mine)
    {
        return refuse(Message::ProposalOfOtherAgency { id: proposal_id });
    }
    let params = MatchParams::default();
    let current = super::match_loaded(&loaded)
        .proposals
        .into_iter()
        .find(|m| m.proposal_id == proposal_id)
        .and_then(|m| m.renja_id);
    let found: Vec<Candidate> = candidates(
        proposal_id,
        &prepared.sides,
        &prepared.renja,
        &params,
        OFFERED,
    );
    let proposal = loaded.proposals.iter().find(|p| p.id == proposal_id);
    let line_by_id: std::collections::HashMap<i64, &db::trilateral::RenjaLine> =
        loaded.lines.iter().map(|l| (l.id, l)).collect();
    let candidates = found
        .into_iter()
        .filter_map(|c| {
            let line = line_by_id.get(&c.renja_id)?;
            let linked_to = loaded
                .overrides
                .iter()
                .filter(|(p, l, _, _)| *l == Some(c.renja_id) && *p != proposal_id)
                .map(|(p, _, _, _)| *p)
                .collect();
            Some(CandidateView {
                renja: renja_view(&loaded, line),
                score: c.score,
                addresses: c.addresses,
                elsewhere: c.elsewhere,
                evidence: explain(&c.evidence, None),
                linked_to,
            })
        })
        .collect();
    Ok(Choice {
        proposal_id,
        usulan: proposal.map(|p| p.usulan.clone()).unwrap_or_default(),
        kelurahan: proposal.map(|p| p.kelurahan.clone()).unwrap_or_default(),
        current,
        candidates,
    })
}
