//! Kirim: the camat sends the kecamatan's reviewed list up to the city forum. Refused while any
//! physical proposal is undecided; afterwards the list is locked and its snapshot is what the forms
//! are made from. An admin can reopen it, with a reason, on the record.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use survey_schema::{DecisionStatus, KirimView, ReviewItem, Role, WilayahKode};

use crate::audit::Change;
use crate::db;
use crate::refusal::{Message, Refusal, WorkflowError, refuse};
use tinjau_domain::CurrentUser;

/// The list as it was sent: what the forms are made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The snapshot's format: a later format keeps reading the earlier ones (new fields optional).
    #[serde(default = "first_schema")]
    pub schema: u32,
    pub kecamatan: WilayahKode,
    pub kecamatan_nama: String,
    pub kota: WilayahKode,
    pub kota_nama: String,
    pub tahun: i32,
    pub sent_at: DateTime<Utc>,
    pub sent_by: String,
    pub counts: SnapshotCounts,
    pub items: Vec<ReviewItem>,
    /// The forum record as sent (schema 2; absent in earlier snapshots).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forum: Option<survey_schema::ForumRecord>,
    /// The kota's planning-office profile as sent (schema 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<survey_schema::KotaProfile>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotCounts {
    pub agreed: i64,
    pub not_agreed: i64,
    pub total: i64,
}

fn first_schema() -> u32 {
    1
}

pub fn view(k: db::kirim::KirimRow) -> Result<KirimView, WorkflowError> {
    Ok(KirimView {
        id: k.id,
        kecamatan: k.kecamatan_kode.into(),
        tahun: k.tahun,
        sent_at: k.sent_at,
        sent_by: k.sent_by_name,
        agreed: k.agreed,
        not_agreed: k.not_agreed,
        snapshot_sha256: k.snapshot_sha256,
        audit_seq: k.audit_seq,
        audit_hash: k.audit_hash,
        reopened_at: k.reopened_at,
        reopen_reason: k.reopen_reason,
    })
}

/// The stored snapshot of a Kirim.
pub async fn snapshot(conn: &mut PgConnection, kirim_id: i64) -> Result<Snapshot, WorkflowError> {
    let value = db::kirim::snapshot(conn, kirim_id).await?;
    let mut snapshot: Snapshot = serde_json::from_value(value).map_err(anyhow::Error::from)?;
    // The figures are what was sent; the sentences are the catalogue's current wording.
    for item in &mut snapshot.items {
        item.anomalies = std::mem::take(&mut item.anomalies)
            .into_iter()
            .map(survey_schema::Anomaly::reworded)
            .collect();
    }
    Ok(snapshot)
}

/// The items of a Kirim's snapshot.
pub async fn snapshot_items(
    conn: &mut PgConnection,
    kirim_id: i64,
) -> Result<Vec<ReviewItem>, WorkflowError> {
    Ok(snapshot(conn, kirim_id).await?.items)
}

/// Who sends the list.
pub const SENDERS: [Role; 2] = [Role::Camat, Role::Admin];

/// Whether `role` sends the list: the Kirim page offers the action only then.
pub fn may_send_as(role: Role) -> bool {
    SENDERS.contains(&role)
}

pub(crate) fn may_send(user: &CurrentUser, kecamatan: &WilayahKode) -> Result<(), WorkflowError> {
    user.require_role(&SENDERS)?;
    user.require_covers(kecamatan)?;
    Ok(())
}

/// The standing Kirim of a kecamatan and year, if any.
pub async fn standing(
    conn: &mut PgConnection,
    user: &CurrentUser,
    kecamatan: &WilayahKode,
    tahun: i32,
) -> Result<Option<KirimView>, WorkflowError> {
    user.require_role(&[Role::Camat, Role::Lurah, Role::Opd, Role::Admin])?;
    user.require_covers(kecamatan).or_else(|e| {
        // A lurah follows whether its kecamatan's list was sent.
        match &user.scope {
            Some(k) if user.role == Role::Lurah && kecamatan.contains(k) => Ok(()),
            _ => Err(e),
        }
    })?;
    db::kirim::standing(conn, kecamatan.as_str(), tahun)
        .await?
        .map(view)
        .transpose()
}

/// Whether the list of a kecamatan and year is sent (and not reopened): it is locked then.
pub async fn is_sent(
    conn: &mut PgConnection,
    kecamatan: &str,
    tahun: i32,
) -> Result<bool, WorkflowError> {
    Ok(db::kirim::standing(conn, kecamatan, tahun).await?.is_some())
}

/// Sends the list: every physical proposal decided, or nothing happens.
pub async fn send(
    pool: &PgPool,
    user: &CurrentUser,
    kecamatan: &WilayahKode,
    tahun: i32,
) -> Result<KirimView, WorkflowError> {
    may_send(user, kecamatan)?;
    let mut tx = pool.begin().await?;
    db::kirim::lock_kecamatan(&mut tx, kecamatan.as_str(), tahun).await?;
    if let Some(k) = db::kirim::standing(&mut tx, kecamatan.as_str(), tahun).await? {
        return Err(Refusal::from(Message::AlreadySent {
            kecamatan: kecamatan.clone(),
            tahun,
            sent_at: k.sent_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        })
        .with_details(json!({"kirim": view(k)?}))
        .into());
    }
    let kota = kecamatan
        .ancestor(survey_schema::WilayahLevel::Kota)
        .ok_or_else(|| anyhow::anyhow!("{kecamatan} has no kota"))?;
    let (Some(kecamatan_nama), Some(kota_nama)) = (
        db::review::wilayah_nama(&mut tx, kecamatan.as_str()).await?,
        db::review::wilayah_nama(&mut tx, kota.as_str()).await?,
    ) else {
        return refuse(Message::KecamatanNotFound {
            kode: kecamatan.clone(),
        });
    };
    let items = super::all_items(&mut tx, kecamatan, tahun).await?;
    if items.is_empty() {
        return refuse(Message::NothingToSend {
            kecamatan: kecamatan.clone(),
            tahun,
        });
    }
    let undecided: Vec<serde_json::Value> = items
        .iter()
        .filter(|i| i.decision == DecisionStatus::Undecided)
        .map(|i| json!({"id": i.id, "nomor": i.nomor, "usulan": i.usulan, "kelurahan": i.kelurahan_nama, "max_severity": i.max_severity}))
        .collect();
    if !undecided.is_empty() {
        let n = undecided.len();
        return Err(Refusal::from(Message::Undecided {
            undecided: n,
            total: items.len(),
        })
        .with_details(json!({"undecided": undecided}))
        .into());
    }
    let (forum, profile) =
        crate::forum::record::complete_for_kirim(&mut tx, kecamatan, tahun).await?;
    let agreed = items.iter().filter(|i| i.decision.is_agreed()).count();
    let total = items.len();
    let as_i64 = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let snapshot = Snapshot {
        schema: 2,
        kecamatan: kecamatan.clone(),
        kecamatan_nama,
        kota,
        kota_nama,
        tahun,
        // As PostgreSQL keeps it (microseconds): the answer and later reads agree.
        sent_at: chrono::SubsecRound::trunc_subsecs(Utc::now(), 6),
        sent_by: user.name.clone(),
        counts: SnapshotCounts {
            agreed: as_i64(agreed),
            not_agreed: as_i64(total - agreed),
            total: as_i64(total),
        },
        items,
        forum: Some(forum),
        profile: Some(profile),
    };
    let value = serde_json::to_value(&snapshot).map_err(anyhow::Error::from)?;
    let (id, digest) = db::kirim::insert(
        &mut tx,
        &db::kirim::NewKirim {
            kecamatan_kode: kecamatan.as_str(),
            tahun,
            sent_at: snapshot.sent_at,
            sent_by: user.id,
            sent_by_name: &user.name,
            snapshot: &value,
        },
    )
    .await?;
    // The list is sent: its proposals leave the phones' lists at their next sync.
    db::field_work::resync_kecamatan(&mut tx, kecamatan.as_str(), tahun).await?;
    let mut changes = vec![
        Change::new(format!("{kecamatan}/{tahun}"))
            .after(json!({"snapshot_sha256": digest, "counts": snapshot.counts})),
    ];
    changes[0].kecamatan = Some(kecamatan.to_string());
    for i in &snapshot.items {
        changes.push(
            Change::new(i.id.to_string())
                .of_proposal(i.id, Some(kecamatan.as_str()))
                .after(json!({"kirim": format!("{kecamatan}/{tahun}"), "decision": i.decision, "snapshot_sha256": digest})),
        );
    }
    // The chain's head after the Kirim's own records: printed on the Berita Acara, it ties the paper
    // to everything recorded up to the Kirim.
    let (head_seq, head_hash) =
        crate::audit::record(&mut tx, &user.actor(), "kirim.send", "kecamatan", changes).await?;
    db::kirim::set_audit_head(&mut tx, id, head_seq, &head_hash).await?;
    tx.commit().await?;
    Ok(KirimView {
        id,
        kecamatan: kecamatan.clone(),
        tahun,
        sent_at: snapshot.sent_at,
        sent_by: user.name.clone(),
        agreed: snapshot.counts.agreed,
        not_agreed: snapshot.counts.not_agreed,
        snapshot_sha256: digest,
        audit_seq: head_seq,
        audit_hash: head_hash,
        reopened_at: None,
        reopen_reason: None,
    })
}

/// Reopens a sent list (an admin, with a reason); the snapshot and its record stay.
pub async fn reopen(
    pool: &PgPool,
    user: &CurrentUser,
    kecamatan: &WilayahKode,
    tahun: i32,
    reason: &str,
) -> Result<KirimView, WorkflowError> {
    user.require_role(&[Role::Admin])?;
    let reason = reason.trim();
    tinjau_domain::text::check_text("reason", reason, tinjau_domain::text::MAX_NOTE_CHARS)?;
    if reason.is_empty() {
        return refuse(Message::ReasonRequired {});
    }
    let mut tx = pool.begin().await?;
    db::kirim::lock_kecamatan(&mut tx, kecamatan.as_str(), tahun).await?;
    let Some(k) = db::kirim::standing(&mut tx, kecamatan.as_str(), tahun).await? else {
        return refuse(Message::NotSent {
            kecamatan: kecamatan.clone(),
            tahun,
        });
    };
    db::kirim::reopen(&mut tx, k.id, &user.name, reason).await?;
    // Its proposals still to survey come back to the phones.
    db::field_work::resync_kecamatan(&mut tx, kecamatan.as_str(), tahun).await?;
    let ids: Vec<i64> = snapshot_items(&mut tx, k.id)
        .await?
        .iter()
        .map(|i| i.id)
        .collect();
    let mut changes = vec![
        Change::new(format!("{kecamatan}/{tahun}"))
            .before(json!({"kirim_id": k.id, "sent_at": k.sent_at}))
            .after(json!({"reopened": true, "reason": reason})),
    ];
    changes[0].kecamatan = Some(kecamatan.to_string());
    for id in ids {
        changes.push(
            Change::new(id.to_string())
                .of_proposal(id, Some(kecamatan.as_str()))
                .after(json!({"reopened": format!("{kecamatan}/{tahun}"), "reason": reason})),
        );
    }
    crate::audit::record(&mut tx, &user.actor(), "kirim.reopen", "kecamatan", changes).await?;
    tx.commit().await?;
    let mut v = view(k)?;
    v.reopened_at = Some(Utc::now());
    v.reopen_reason = Some(reason.to_owned());
    Ok(v)
}
