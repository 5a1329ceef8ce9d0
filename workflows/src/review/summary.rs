//! What the camat reads before Kirim: the list as it stands (per decision, per SKPD, the rupiah
//! agreed) and, after a reopening, who reopened it and what changed since the list last sent.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use survey_schema::{DecidedValues, DecisionStatus, ReviewItem, WilayahKode};

use crate::db;
use crate::refusal::WorkflowError;
use tinjau_domain::CurrentUser;

/// The list before Kirim.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Proposals per decision status (every status present, zero or not).
    pub by_decision: BTreeMap<&'static str, i64>,
    /// Per target SKPD, by name (`—` for none), in name order.
    pub by_skpd: Vec<SkpdTally>,
    /// Whole rupiah agreed (as decided, corrected volumes at their corrected budget).
    pub agreed_rupiah: i64,
    pub total: usize,
    /// The last Kirim, when it was reopened.
    pub reopened: Option<Reopened>,
    /// Proposals whose decision or agreed values differ from the last Kirim's (after a reopening).
    pub changes: Vec<Changed>,
}

/// One SKPD's share of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkpdTally {
    pub skpd: String,
    pub agreed: i64,
    pub agreed_rupiah: i64,
    pub not_agreed: i64,
    pub undecided: i64,
}

/// The reopened Kirim: when it was sent, and who reopened it, when and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reopened {
    pub sent_at: DateTime<Utc>,
    pub sent_by: String,
    pub reopened_at: DateTime<Utc>,
    pub reopened_by: Option<String>,
    pub reason: Option<String>,
}

/// A proposal decided otherwise than in the last Kirim (`before` is `None` for one not in it).
#[derive(Debug, Clone, PartialEq)]
pub struct Changed {
    pub id: i64,
    pub usulan: String,
    pub before: Option<DecidedValues>,
    pub after: DecidedValues,
}

/// Whether a decision puts the proposal on the agreed list.
pub fn is_agreed(d: DecisionStatus) -> bool {
    matches!(d, DecisionStatus::Approved | DecisionStatus::Corrected)
}

/// The summary of the list of a kecamatan and year, for the camat who sends it.
pub async fn of_list(
    pool: &PgPool,
    user: &CurrentUser,
    kecamatan: &WilayahKode,
    tahun: i32,
) -> Result<Summary, WorkflowError> {
    super::kirim::may_send(user, kecamatan)?;
    let mut conn = pool.acquire().await?;
    let items = super::all_items(&mut conn, kecamatan, tahun).await?;
    let latest = db::kirim::latest(&mut conn, kecamatan.as_str(), tahun).await?;
    let (reopened, changes) = match latest {
        Some(k) if k.reopened_at.is_some() => {
            let before = super::kirim::snapshot_items(&mut conn, k.id).await?;
            let reopened = Reopened {
                sent_at: k.sent_at,
                sent_by: k.sent_by_name,
                reopened_at: k.reopened_at.unwrap_or(k.sent_at),
                reopened_by: k.reopened_by_name,
                reason: k.reopen_reason,
            };
            (Some(reopened), changed(&before, &items))
        }
        _ => (None, Vec::new()),
    };
    let (by_skpd, agreed_rupiah) = by_skpd(&items);
    Ok(Summary {
        by_decision: super::tally(&items),
        by_skpd,
        agreed_rupiah,
        total: items.len(),
        reopened,
        changes,
    })
}

/// Tallies per SKPD, and the rupiah agreed in all.
///
/// ```
/// # use tinjau_workflows::review::summary::by_skpd;
/// let (lines, agreed) = by_skpd(&[]);
/// assert!(lines.is_empty());
/// assert_eq!(agreed, 0);
/// ```
pub fn by_skpd(items: &[ReviewItem]) -> (Vec<SkpdTally>, i64) {
    let mut lines: BTreeMap<String, SkpdTally> = BTreeMap::new();
    let mut agreed_rupiah = 0;
    for item in items {
        let skpd = item.skpd_tujuan.clone().unwrap_or_else(|| "—".to_owned());
        let line = lines.entry(skpd.clone()).or_insert_with(|| SkpdTally {
            skpd,
            agreed: 0,
            agreed_rupiah: 0,
            not_agreed: 0,
            undecided: 0,
        });
        match item.decision {
            d if is_agreed(d) => {
                line.agreed += 1;
                line.agreed_rupiah += item.decided.anggaran;
                agreed_rupiah += item.decided.anggaran;
            }
            DecisionStatus::Rejected => line.not_agreed += 1,
            _ => line.undecided += 1,
        }
    }
    (lines.into_values().collect(), agreed_rupiah)
}

/// The proposals decided otherwise now than in `before` (the last Kirim's items), in the list's
/// order.
pub fn changed(before: &[ReviewItem], now: &[ReviewItem]) -> Vec<Changed> {
    let sent: BTreeMap<i64, &DecidedValues> = before.iter().map(|i| (i.id, &i.decided)).collect();
    now.iter()
        .filter_map(|item| {
            let was = sent.get(&item.id).copied();
            let same = was.is_some_and(|w| {
                w.status == item.decided.status
                    && w.volume == item.decided.volume
                    && w.anggaran == item.decided.anggaran
            });
            (!same).then(|| Changed {
                id: item.id,
                usulan: item.usulan.clone(),
                before: was.cloned(),
                after: item.decided.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: i64, skpd: Option<&str>, decision: DecisionStatus, anggaran: i64) -> ReviewItem {
        let mut item: ReviewItem = serde_json::from_value(serde_json::json!({
            "id": id, "tahun": 2026, "nomor": null, "kelurahan": "31.71.01.1002", "kelurahan_nama": "Cideng",
            "rw": null, "rt": null, "permasalahan": null, "program": null, "usulan": format!("Usulan {id}"),
            "lokasi": null, "volume": "10", "satuan": "m2", "unit": "m2", "anggaran": anggaran,
            "skpd_tujuan": skpd, "pin": null, "survey_status": "not_surveyed", "superseded_surveys": 0,
            "late_surveys": 0, "survey": null, "anomalies": [], "max_severity": null, "decision": "approved",
            "decided": {"status": "approved", "volume": "10", "satuan": "m2", "unit": "m2", "anggaran": anggaran},
            "reason": null, "note": null, "decided_by": null, "decided_at": null, "version": 1, "suggestion": null
        }))
        .expect("an item");
        item.decision = decision;
        item.decided.status = decision;
        item
    }

    #[test]
    fn the_summary_counts_each_skpds_agreed_rupiah_and_only_agreed_ones() {
        let items = [
            item(1, Some("Dinas A"), DecisionStatus::Approved, 100),
            item(2, Some("Dinas A"), DecisionStatus::Rejected, 900),
            item(3, None, DecisionStatus::Corrected, 50),
            item(4, Some("Dinas A"), DecisionStatus::Undecided, 7),
        ];
        let (lines, agreed) = by_skpd(&items);
        assert_eq!(agreed, 150);
        assert_eq!(lines[0].skpd, "Dinas A");
        assert_eq!(
            (
                lines[0].agreed,
                lines[0].agreed_rupiah,
                lines[0].not_agreed,
                lines[0].undecided
            ),
            (1, 100, 1, 1)
        );
        assert_eq!((lines[1].skpd.as_str(), lines[1].agreed_rupiah), ("—", 50));
    }

    #[test]
    fn changes_since_the_last_kirim_are_the_ones_decided_otherwise_or_new() {
        let before = [
            item(1, None, DecisionStatus::Approved, 100),
            item(2, None, DecisionStatus::Approved, 100),
        ];
        let mut now = before.to_vec();
        now[1].decision = DecisionStatus::Rejected;
        now[1].decided.status = DecisionStatus::Rejected;
        now.push(item(3, None, DecisionStatus::Approved, 5));
        let changes = changed(&before, &now);
        let ids: Vec<(i64, bool)> = changes.iter().map(|c| (c.id, c.before.is_some())).collect();
        assert_eq!(ids, [(2, true), (3, false)]);
    }
}
