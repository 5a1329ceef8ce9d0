//! The desk's writes: an outcome per approved proposal (optimistic concurrency on its version, as
//! decisions do) and a planner's match override, each in the audit trail. A repeat of what is
//! already recorded changes nothing and is answered as done, so a retry is safe.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgPool;
use survey_schema::Role;
use utoipa::ToSchema;

use super::register::Register;
use crate::db;
use crate::refusal::{Message, Refusal, WorkflowError, refuse};
use tinjau_domain::CurrentUser;
use tinjau_domain::Seen;

use tinjau_domain::text::{MAX_NOTE_CHARS, check_text};

/// The words these desks use for what happens to a proposal.
pub const OUTCOMES: [(&str, &str, &str); 5] = [
    ("diterima", "Diterima", "Accepted"),
    (
        "diterima_dengan_perubahan",
        "Diterima dengan perubahan",
        "Accepted with changes",
    ),
    ("digabungkan", "Digabungkan", "Merged"),
    ("ditolak", "Ditolak", "Rejected"),
    (
        "di_luar_kewenangan",
        "Di luar kewenangan",
        "Outside the agency's remit",
    ),
];

/// A desk outcome as sent.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeRequest {
    /// diterima, diterima_dengan_perubahan, digabungkan, ditolak or di_luar_kewenangan.
    pub outcome: String,
    /// With diterima_dengan_perubahan: the agreed volume, in the proposal's unit.
    #[schema(value_type = Option<String>)]
    pub agreed_volume: Option<Decimal>,
    /// With diterima_dengan_perubahan: the agreed pagu, whole rupiah.
    pub agreed_pagu: Option<i64>,
    /// With digabungkan: the proposal this one is merged into.
    pub merged_into: Option<i64>,
    /// With diterima(…): the Renja line that takes the proposal up.
    pub renja_item_id: Option<i64>,
    /// Required with ditolak and di_luar_kewenangan.
    pub note: Option<String>,
}

/// A planner's match as sent: the line, or `null` for "nothing in the Renja takes this up".
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchRequest {
    pub renja_item_id: Option<i64>,
    /// Link a line another proposal of the agency already has as a package: one line for several
    /// small proposals, its target and pagu shared (default: refused, so that no line is linked
    /// twice by mistake).
    #[serde(default)]
    pub package: bool,
    /// Why (required).
    pub note: String,
}

/// What a write did.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub version: i32,
    /// `false`: the same was recorded before (a retry); nothing changed.
    pub created: bool,
}

/// A proposal at the desk, locked for a write: its place and the agency its SKPD tujuan names.
struct Target {
    place: db::trilateral::DeskTarget,
    /// The register id of its agency, if the SKPD tujuan names one.
    agency: Option<i64>,
}

/// Locks the proposal and checks that the caller may act on it at the desk: an approved proposal
/// in their area and, for one agency's planner, of their agency.
async fn target(
    pool: &PgPool,
    tx: &mut sqlx::PgConnection,
    user: &CurrentUser,
    proposal_id: i64,
) -> Result<Target, WorkflowError> {
    user.require_role(&[Role::Opd, Role::Admin])?;
    let Some(t) = db::trilateral::lock_target(tx, proposal_id).await? else {
        return refuse(Message::ProposalNotFound { id: proposal_id });
    };
    user.require_covers(&t.kelurahan_kode)?;
    if !t.approved {
        return Err(WorkflowError::from(Message::NotApproved {
            id: proposal_id,
        }));
    }
    let register = Register::new(db::opd::all(pool).await?);
    let agency = register
        .resolve(t.skpd_tujuan.as_deref(), t.kelurahan_kode.as_str())
        .ok()
        .map(|i| register.rows[i].id);
    if let Some(mine) = super::scope_of(pool, user).await?.opd
        && agency != Some(mine)
    {
        return refuse(Message::ProposalOfOtherAgency { id: proposal_id });
    }
    Ok(Target { place: t, agency })
}

/// Checks an outcome against the rules of the desk's words.
async fn check(
    tx: &mut sqlx::PgConnection,
    user: &CurrentUser,
    proposal_id: i64,
    target: &Target,
    r: &OutcomeRequest,
) -> Result<(), WorkflowError> {
    let tahun = target.place.tahun;
    if !OUTCOMES.iter().any(|(code, _, _)| *code == r.outcome) {
        return Err(WorkflowError::from(Message::InvalidOutcome {
            given: r.outcome.chars().take(40).collect(),
        }));
    }
    if let Some(note) = &r.note {
        check_text("note", note, MAX_NOTE_CHARS)?;
    }
    let changes = r.outcome == "diterima_dengan_perubahan";
    match (changes, r.agreed_volume, r.agreed_pagu) {
        (true, Some(v), Some(p)) if v > Decimal::ZERO && p >= 0 => {}
        (true, _, _) => {
            return Err(WorkflowError::from(Message::AgreedValuesRequired {}));
        }
        (false, None, None) => {}
        (false, _, _) => {
            return Err(WorkflowError::from(Message::AgreedValuesUnexpected {}));
        }
    }
    let needs_note = matches!(r.outcome.as_str(), "ditolak" | "di_luar_kewenangan");
    if needs_note && r.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
        let (id, en) = OUTCOMES
            .iter()
            .find(|(code, _, _)| *code == r.outcome)
            .map_or((r.outcome.as_str(), r.outcome.as_str()), |(_, id, en)| {
                (*id, *en)
            });
        return Err(WorkflowError::from(Message::OutcomeNeedsNote {
            outcome: tinjau_domain::messages::Both {
                id: id.to_owned(),
                en: en.to_owned(),
            },
        }));
    }
    match (r.outcome == "digabungkan", r.merged_into) {
        (true, Some(other)) if other == proposal_id => {
            return Err(WorkflowError::from(Message::MergedIntoSelf {}));
        }
        (true, Some(other)) => {
            // Read, not locked: two merges into each other at once must not wait on each other.
            let found = db::trilateral::peek_target(tx, other).await?;
            let visible = found
                .as_ref()
                .is_some_and(|t| user.covers(&t.kelurahan_kode));
            if !visible || !found.is_some_and(|t| t.approved && t.tahun == tahun) {
                return Err(WorkflowError::from(Message::MergedIntoUnknown {
                    other,
                    tahun,
                }));
            }
            if db::trilateral::outcome_code(tx, other).await?.as_deref() == Some("digabungkan") {
                return Err(WorkflowError::from(Message::MergedIntoMerged { other }));
            }
        }
        (true, None) => {
            return Err(WorkflowError::from(Message::MergedIntoRequired {}));
        }
        (false, Some(_)) => {
            return Err(WorkflowError::from(Message::MergedIntoUnexpected {}));
        }
        (false, None) => {}
    }
    if let Some(line) = r.renja_item_id {
        if !r.outcome.starts_with("diterima") {
            return Err(WorkflowError::from(Message::RenjaLinkUnexpected {}));
        }
        check_line(tx, line, tahun, target.agency).await?;
    }
    Ok(())
}

/// A Renja line may be linked to a proposal when it is of the same year and of the proposal's own
/// agency (another agency's line is that agency's to link).
async fn check_line(
    tx: &mut sqlx::PgConnection,
    line: i64,
    tahun: i32,
    agency: Option<i64>,
) -> Result<(), WorkflowError> {
    match (db::trilateral::line_owner(tx, line).await?, agency) {
        (Some((owner, t)), Some(a)) if t == tahun && owner == a => Ok(()),
        (Some((_, t)), _) if t == tahun => {
            Err(WorkflowError::from(Message::RenjaLineOtherAgency { line }))
        }
        _ => Err(WorkflowError::from(Message::RenjaLineUnknown {
            line,
            tahun,
        })),
    }
}

fn same_as(stored: &db::trilateral::OutcomeRow, r: &OutcomeRequest) -> bool {
    stored.outcome == r.outcome
        && stored.agreed_volume.map(|v| v.normalize()) == r.agreed_volume.map(|v| v.normalize())
        && stored.agreed_pagu == r.agreed_pagu
        && stored.merged_into == r.merged_into
        && stored.renja_item_id == r.renja_item_id
        && stored.note.as_deref() == r.note.as_deref().map(str::trim).filter(|n| !n.is_empty())
}

/// Records the desk's outcome for an approved proposal. `seen` must carry the outcome's version
/// as seen (0 when there was none).
pub async fn outcome(
    pool: &PgPool,
    user: &CurrentUser,
    proposal_id: i64,
    seen: &Seen,
    request: &OutcomeRequest,
) -> Result<Recorded, WorkflowError> {
    let mut tx = pool.begin().await?;
    let t = target(pool, &mut tx, user, proposal_id).await?;
    let stored = db::trilateral::lock_outcome(&mut tx, proposal_id).await?;
    if let Some(s) = &stored
        && same_as(s, request)
    {
        return Ok(Recorded {
            version: s.version,
            created: false,
        });
    }
    let current = stored.as_ref().map_or(0, |s| s.version);
    if *seen == Seen::Unsaid {
        return refuse(Message::OutcomeVersionUnsaid { current });
    }
    if !seen.includes(current) {
        let by = stored
            .as_ref()
            .map(|s| format!("{} ({})", s.decided_by_name, s.outcome))
            .unwrap_or_default();
        return Err(Refusal::from(Message::OutcomeStale { current, by })
            .with_details(json!({ "version": current }))
            .into());
    }
    check(&mut tx, user, proposal_id, &t, request).await?;
    let actor = user.actor();
    let note = request
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let saved = db::trilateral::put_outcome(
        &mut tx,
        proposal_id,
        &db::trilateral::NewOutcome {
            outcome: &request.outcome,
            agreed_volume: request.agreed_volume.map(|v| v.normalize()),
            agreed_pagu: request.agreed_pagu,
            merged_into: request.merged_into,
            renja_item_id: request.renja_item_id,
            note,
            version: current + 1,
            by: user.id,
            by_name: &user.name,
            role: user.role.as_str(),
        },
    )
    .await?;
    let view = |o: &db::trilateral::OutcomeRow| {
        json!({
            "outcome": o.outcome, "agreed_volume": o.agreed_volume, "agreed_pagu": o.agreed_pagu,
            "merged_into": o.merged_into, "renja_item_id": o.renja_item_id, "note": o.note,
            "version": o.version,
        })
    };
    let mut change = crate::audit::Change::new(proposal_id.to_string())
        .of_proposal(proposal_id, Some(t.place.kecamatan_kode.as_str()))
        .after(view(&saved));
    change.before = stored.as_ref().map(view);
    crate::audit::record(
        &mut tx,
        &actor,
        "trilateral.outcome",
        "proposal",
        vec![change],
    )
    .await?;
    tx.commit().await?;
    Ok(Recorded {
        version: saved.version,
        created: true,
    })
}

/// Records a planner's match for a proposal (the line, or none), on the record.
pub async fn set_match(
    pool: &PgPool,
    user: &CurrentUser,
    proposal_id: i64,
    request: &MatchRequest,
) -> Result<Recorded, WorkflowError> {
    let note = request.note.trim();
    if note.is_empty() {
        return Err(WorkflowError::from(Message::MatchNeedsNote {}));
    }
    check_text("note", note, MAX_NOTE_CHARS)?;
    let mut tx = pool.begin().await?;
    let t = target(pool, &mut tx, user, proposal_id).await?;
    if let Some(line) = request.renja_item_id {
        check_line(&mut tx, line, t.place.tahun, t.agency).await?;
        if !request.package
            && let Some(other) =
                db::trilateral::linked_by_override(&mut tx, line, proposal_id).await?
        {
            return refuse(Message::RenjaLineLinked { line, other });
        }
    }
    let before = db::trilateral::latest_override(&mut tx, proposal_id).await?;
    if before
        .as_ref()
        .is_some_and(|(line, n)| *line == request.renja_item_id && n == note)
    {
        return Ok(Recorded {
            version: 0,
            created: false,
        });
    }
    let id = db::trilateral::add_override(
        &mut tx,
        proposal_id,
        request.renja_item_id,
        note,
        user.id,
        &user.name,
    )
    .await?;
    let mut change = crate::audit::Change::new(proposal_id.to_string())
        .of_proposal(proposal_id, Some(t.place.kecamatan_kode.as_str()))
        .after(json!({ "override": id, "renja_item_id": request.renja_item_id, "note": note }));
    change.before = before.map(|(line, n)| json!({ "renja_item_id": line, "note": n }));
    crate::audit::record(
        &mut tx,
        &user.actor(),
        "trilateral.match",
        "proposal",
        vec![change],
    )
    .await?;
    tx.commit().await?;
    Ok(Recorded {
        version: 0,
        created: true,
    })
}
