//! A camat's decision on one proposal: idempotent by the client's UUID, optimistic by the
//! proposal's version, refused while the kecamatan's list is locked by a Kirim.

use chrono::Utc;
use rust_decimal::Decimal;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use survey_schema::{
    DecidedValues, DecisionRequest, DecisionStatus, DecisionView, RejectReason, Role, Suggestion,
    Unit,
};
use uuid::Uuid;

use crate::audit::Change;
use tinjau_domain::Seen;

use crate::db;
use crate::db::decision::{AppliedState, DecisionRow, ProposalState};
use tinjau_domain::messages::Both;

use crate::refusal::{Message, Refusal, WorkflowError, refuse};
use tinjau_domain::CurrentUser;

use tinjau_domain::text::{MAX_NOTE_CHARS, check_text};

/// What `decide` did.
#[derive(Debug, Clone)]
pub struct Decided {
    pub view: DecisionView,
    /// `false`: this UUID was decided before with this very body (a retry), nothing changed.
    pub created: bool,
    /// The proposal's version now (its new ETag).
    pub version: i32,
}

/// The ETag of a proposal version.
/// Who decides on proposals (one at a time or together).
pub const DECIDERS: [Role; 2] = [Role::Camat, Role::Admin];

/// Whether `role` may decide: the pages offer the decision form only then.
pub fn may_decide(role: Role) -> bool {
    DECIDERS.contains(&role)
}

pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// Applies a decision to a proposal.
pub async fn decide(
    pool: &PgPool,
    user: &CurrentUser,
    proposal_id: i64,
    decision_id: Uuid,
    seen: &Seen,
    request: &DecisionRequest,
) -> Result<Decided, WorkflowError> {
    user.require_role(&DECIDERS)?;
    let mut tx = pool.begin().await?;
    let applied = decide_in(
        &mut tx,
        user,
        proposal_id,
        decision_id,
        seen,
        request,
        Suggested::Look,
    )
    .await?;
    if let Some(change) = applied.change {
        crate::audit::record(
            &mut tx,
            &user.actor(),
            "decision.put",
            "proposal",
            vec![change],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(applied.decided)
}

/// Where the suggestion a decision is recorded with comes from.
#[derive(Debug)]
pub enum Suggested<'a> {
    /// Read the proposal's review item.
    Look,
    /// Already read (a bulk action reads every item at once).
    Given(Option<&'a Suggestion>),
}

/// A decision applied inside a transaction, and its audit change (none for a repeat).
#[derive(Debug)]
pub struct Applied {
    pub decided: Decided,
    pub change: Option<Change>,
}

/// The one path of every decision, single or bulk: within `tx`, the proposal locked, then the
/// kecamatan's lock (Kirim's), the repeat and conflict checks by the decision's UUID, the version
/// seen, and the decision written. The caller records the audit change and commits.
pub async fn decide_in(
    tx: &mut PgConnection,
    user: &CurrentUser,
    proposal_id: i64,
    decision_id: Uuid,
    seen: &Seen,
    request: &DecisionRequest,
    suggested: Suggested<'_>,
) -> Result<Applied, WorkflowError> {
    let body_sha256 = hex::encode(Sha256::digest(
        serde_json::to_vec(request).map_err(anyhow::Error::from)?,
    ));
    let Some(peek) = db::decision::lock_proposal(tx, proposal_id).await? else {
        return refuse(Message::ProposalNotFound { id: proposal_id });
    };
    user.require_covers(&peek.kelurahan_kode)?;
    // Kirim takes this lock too: a decision and a Kirim of the same list never overlap.
    db::kirim::lock_kecamatan(tx, peek.kecamatan_kode.as_str(), peek.tahun).await?;
    if let Some(existing) = db::decision::get(tx, decision_id).await? {
        if existing.proposal_id == proposal_id && existing.body_sha256 == body_sha256 {
            let version = peek.version;
            return Ok(Applied {
                decided: Decided {
                    view: view(&existing)?,
                    created: false,
                    version,
                },
                change: None,
            });
        }
        return refuse(Message::DecisionConflict {
            decision: decision_id.to_string(),
        });
    }
    if !peek.physical {
        return refuse(Message::NotPhysical { id: proposal_id });
    }
    if let Some(k) = db::kirim::standing(tx, peek.kecamatan_kode.as_str(), peek.tahun).await? {
        return Err(locked(&k).into());
    }
    check_version(tx, &peek, seen).await?;
    let looked;
    let suggestion = match suggested {
        Suggested::Given(s) => s,
        Suggested::Look => {
            looked = super::items(tx, &[proposal_id])
                .await?
                .pop()
                .and_then(|i| i.suggestion);
            looked.as_ref()
        }
    };
    let outcome = outcome(&peek, request, suggestion)?;
    let before = current_values(&peek);
    let row = DecisionRow {
        id: decision_id,
        proposal_id,
        action: request.action().to_owned(),
        reason: match request {
            DecisionRequest::Reject { reason, .. } => Some(reason.as_str().to_owned()),
            _ => None,
        },
        note: request.note().map(str::to_owned),
        status_before: before.status.as_str().to_owned(),
        status_after: outcome.values.status.as_str().to_owned(),
        volume_before: before.volume,
        satuan_before: before.satuan.clone(),
        unit_before: before.unit.map(|u| u.as_str().to_owned()),
        anggaran_before: before.anggaran,
        volume_after: outcome.values.volume,
        satuan_after: outcome.values.satuan.clone(),
        unit_after: outcome.values.unit.map(|u| u.as_str().to_owned()),
        anggaran_after: outcome.values.anggaran,
        suggestion: suggestion
            .map(serde_json::to_value)
            .transpose()
            .map_err(anyhow::Error::from)?,
        body_sha256,
        version_before: peek.version,
        version_after: peek.version + 1,
        decided_by: user.id,
        decided_by_name: user.name.clone(),
        decided_role: user.role.as_str().to_owned(),
        // As PostgreSQL keeps it (microseconds), so a repeat answers exactly what was first sent.
        decided_at: chrono::SubsecRound::trunc_subsecs(Utc::now(), 6),
        request_id: user.request_id.clone(),
    };
    db::decision::insert_and_apply(tx, &row, &outcome.state(peek.version + 1)).await?;
    let decision = view(&row)?;
    let change = Change::new(proposal_id.to_string())
        .of_proposal(proposal_id, Some(peek.kecamatan_kode.as_str()))
        .before(json!({"version": peek.version, "values": before}))
        .after(json!({"version": peek.version + 1, "decision": decision}));
    Ok(Applied {
        decided: Decided {
            view: decision,
            created: true,
            version: peek.version + 1,
        },
        change: Some(change),
    })
}

/// 428 without an `If-Match` naming a version, 412 (with the current version and the latest
/// decision) when it is not the proposal's current one.
async fn check_version(
    conn: &mut PgConnection,
    peek: &ProposalState,
    seen: &Seen,
) -> Result<(), WorkflowError> {
    let Some(seen_version) = seen.first() else {
        let current = etag(peek.version);
        return refuse(if *seen == Seen::Unsaid {
            Message::VersionUnsaid { current }
        } else {
            Message::VersionUnnamed { current }
        });
    };
    if !seen.includes(peek.version) {
        let latest = match peek.decision_id {
            Some(id) => db::decision::get(conn, id)
                .await?
                .map(|d| view(&d))
                .transpose()?,
            None => None,
        };
        return Err(Refusal::from(Message::StaleVersion {
            seen: seen_version,
            current: peek.version,
        })
        .with_details(json!({"current_version": peek.version, "latest_decision": latest}))
        .into());
    }
    Ok(())
}

/// The refusal of a change to a list sent with Kirim.
pub fn locked(k: &db::kirim::KirimRow) -> Refusal {
    Refusal::from(Message::ListLocked {
        kecamatan: k.kecamatan_kode.to_string(),
        tahun: k.tahun,
        sent_at: k.sent_at.format("%Y-%m-%d %H:%M UTC").to_string(),
    })
    .with_details(json!({"kirim_id": k.id, "sent_at": k.sent_at}))
}

/// The values a proposal has now (as proposed, or as a `set_volume` corrected them).
fn current_values(p: &ProposalState) -> DecidedValues {
    DecidedValues {
        status: super::decision_status(&p.decision_status, p.decided_volume.is_some()),
        volume: p.decided_volume.unwrap_or(p.volume).normalize(),
        satuan: p
            .decided_satuan
            .clone()
            .unwrap_or_else(|| p.satuan_raw.clone()),
        unit: p
            .decided_unit
            .as_deref()
            .or(p.unit.as_deref())
            .and_then(Unit::from_code),
        anggaran: p.decided_anggaran.unwrap_or(p.anggaran),
    }
}

struct Outcome {
    values: DecidedValues,
    /// Whether the values differ from the proposed ones (kept as decided_* on the proposal).
    corrected: bool,
}

impl Outcome {
    fn state(&self, version: i32) -> AppliedState {
        AppliedState {
            version,
            status: if self.values.status == DecisionStatus::Rejected {
                "rejected"
            } else {
                "approved"
            },
            decided: self.corrected.then(|| {
                (
                    self.values.volume,
                    self.values.satuan.clone(),
                    self.values.unit.map(|u| u.as_str().to_owned()),
                    self.values.anggaran,
                )
            }),
        }
    }
}

/// Checks a decision against the proposal and the suggestion, and works out its outcome.
fn outcome(
    p: &ProposalState,
    request: &DecisionRequest,
    suggestion: Option<&Suggestion>,
) -> Result<Outcome, WorkflowError> {
    if let Some(note) = request.note() {
        check_text("note", note, MAX_NOTE_CHARS)?;
    }
    if let DecisionRequest::SetVolume { satuan, .. } = request {
        check_text("satuan", satuan, 40)?;
    }
    // Agreeing to work the evidence says to reject (done before, infeasible) needs the camat's words.
    let against_a_reject = suggestion.is_some_and(|s| s.action == "reject")
        && !matches!(request, DecisionRequest::Reject { .. });
    if against_a_reject && request.note().is_none() {
        return Err(Refusal::from(Message::NoteRequiredByReview {})
            .with_details(json!({"suggestion": suggestion}))
            .into());
    }
    let current = current_values(p);
    let corrected = p.decided_volume.is_some();
    match request {
        DecisionRequest::Approve { .. } => Ok(Outcome {
            values: DecidedValues {
                status: if corrected {
                    DecisionStatus::Corrected
                } else {
                    DecisionStatus::Approved
                },
                ..current
            },
            corrected,
        }),
        DecisionRequest::Reject { reason, .. } => {
            let why_needed = if reason.needs_note() {
                Some((
                    "ground (g) needs the camat's own words",
                    "alasan (g) memerlukan uraian camat",
                ))
            } else if super::suggest::overrides(suggestion, *reason) {
                Some((
                    "it goes against what the review suggested",
                    "keputusan ini berbeda dari saran tinjauan",
                ))
            } else {
                None
            };
            if let Some((en, id)) = why_needed
                && request.note().is_none()
            {
                return Err(Refusal::from(Message::NoteRequiredForReason {
                    reason: Both {
                        id: id.to_owned(),
                        en: en.to_owned(),
                    },
                })
                .with_details(json!({"suggestion": suggestion}))
                .into());
            }
            Ok(Outcome {
                values: DecidedValues {
                    status: DecisionStatus::Rejected,
                    ..current
                },
                corrected,
            })
        }
        DecisionRequest::SetVolume {
            volume,
            satuan,
            anggaran,
            ..
        } => {
            let volume = volume.normalize();
            if volume <= Decimal::ZERO {
                return Err(Message::VolumeNotPositive {
                    volume: volume.to_string(),
                }
                .into());
            }
            if volume > Decimal::from(1_000_000_000) {
                return Err(Message::VolumeImplausible {
                    volume: volume.to_string(),
                }
                .into());
            }
            let unit = geo_rules::units::normalize_unit(satuan);
            let proposed = p.unit.as_deref().and_then(Unit::from_code);
            match (unit, proposed) {
                (Some(u), Some(v)) if u == v && u != Unit::LumpSum => {}
                _ => {
                    let said =
                        unit.map_or_else(|| format!("'{satuan}'"), |u| u.as_str().to_owned());
                    let want = proposed
                        .map_or_else(|| format!("'{}'", p.satuan_raw), |u| u.as_str().to_owned());
                    return Err(Message::UnitIncomparable { said, want }.into());
                }
            }
            let anggaran = match anggaran {
                Some(a) if *a < 0 => {
                    return Err(Message::NegativeBudget { anggaran: *a }.into());
                }
                Some(a) => *a,
                None => {
                    super::budget_at_unit_cost(p.anggaran, p.volume, volume).ok_or_else(|| {
                        WorkflowError::from(Message::BudgetNotComputable {
                            volume: volume.to_string(),
                        })
                    })?
                }
            };
            // Back to the proposed values: no correction stands.
            if volume == p.volume.normalize() && anggaran == p.anggaran {
                return Ok(Outcome {
                    values: DecidedValues {
                        status: DecisionStatus::Approved,
                        volume,
                        satuan: p.satuan_raw.clone(),
                        unit: proposed,
                        anggaran,
                    },
                    corrected: false,
                });
            }
            Ok(Outcome {
                values: DecidedValues {
                    status: DecisionStatus::Corrected,
                    volume,
                    satuan: satuan.trim().to_owned(),
                    unit,
                    anggaran,
                },
                corrected: true,
            })
        }
    }
}

/// A stored decision as the API shows it.
pub fn view(d: &DecisionRow) -> Result<DecisionView, WorkflowError> {
    let status = |s: &str| {
        DecisionStatus::parse(s).ok_or_else(|| {
            WorkflowError::Internal(anyhow::anyhow!("decision {}: status {s}", d.id))
        })
    };
    let reason = d.reason.as_deref().and_then(RejectReason::parse);
    Ok(DecisionView {
        id: d.id,
        proposal_id: d.proposal_id,
        action: d.action.clone(),
        reason,
        reason_text: reason.map(RejectReason::text),
        note: d.note.clone(),
        before: DecidedValues {
            status: status(&d.status_before)?,
            volume: d.volume_before.normalize(),
            satuan: d.satuan_before.clone(),
            unit: d.unit_before.as_deref().and_then(Unit::from_code),
            anggaran: d.anggaran_before,
        },
        after: DecidedValues {
            status: status(&d.status_after)?,
            volume: d.volume_after.normalize(),
            satuan: d.satuan_after.clone(),
            unit: d.unit_after.as_deref().and_then(Unit::from_code),
            anggaran: d.anggaran_after,
        },
        suggestion: d
            .suggestion
            .clone()
            .and_then(|s| serde_json::from_value(s).ok()),
        version_before: d.version_before,
        version_after: d.version_after,
        decided_by: d.decided_by_name.clone(),
        decided_role: d.decided_role.clone(),
        decided_at: d.decided_at,
    })
}

/// The decisions of a proposal, oldest first (the latest counts).
pub async fn of_proposal(
    conn: &mut PgConnection,
    proposal_id: i64,
) -> Result<Vec<DecisionView>, WorkflowError> {
    db::decision::of_proposal(conn, proposal_id)
        .await?
        .iter()
        .map(view)
        .collect()
}

/// A proposal's current version, if it exists (what a console decision is made on when no
/// version is given).
pub async fn current_version(
    pool: &PgPool,
    proposal_id: i64,
) -> Result<Option<i32>, WorkflowError> {
    Ok(db::proposal::scope_and_version(pool, proposal_id)
        .await?
        .map(|(_, version)| version))
}
