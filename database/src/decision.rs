//! The `decision` table and the review state it sets on `proposal`.

use crate::Kode;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

/// A proposal's state as a decision reads it; the row stays locked until the transaction ends, so
/// two decisions on one proposal are applied one after the other (`FOR NO KEY UPDATE`: a survey
/// stored meanwhile, which only references the row, does not wait).
#[derive(Debug, Clone)]
pub struct ProposalState {
    pub id: i64,
    pub tahun: i32,
    pub kelurahan_kode: Kode,
    pub kecamatan_kode: Kode,
    pub physical: bool,
    pub version: i32,
    pub decision_status: String,
    pub decision_id: Option<Uuid>,
    pub volume: Decimal,
    pub satuan_raw: String,
    pub unit: Option<String>,
    pub anggaran: i64,
    pub decided_volume: Option<Decimal>,
    pub decided_satuan: Option<String>,
    pub decided_unit: Option<String>,
    pub decided_anggaran: Option<i64>,
}

pub async fn lock_proposal(
    conn: &mut PgConnection,
    id: i64,
) -> Result<Option<ProposalState>, sqlx::Error> {
    sqlx::query_as!(
        ProposalState,
        r#"SELECT id, tahun, kelurahan_kode AS "kelurahan_kode: Kode", kecamatan_kode AS "kecamatan_kode!: Kode", (activity_code IS NOT NULL) AS "physical!",
                  version, decision_status, decision_id, volume, satuan_raw, unit, anggaran,
                  decided_volume, decided_satuan, decided_unit, decided_anggaran
             FROM proposal WHERE id = $1 FOR NO KEY UPDATE"#,
        id
    )
    .fetch_optional(conn)
    .await
}

/// A stored decision.
#[derive(Debug, Clone)]
pub struct DecisionRow {
    pub id: Uuid,
    pub proposal_id: i64,
    pub action: String,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub status_before: String,
    pub status_after: String,
    pub volume_before: Decimal,
    pub satuan_before: String,
    pub unit_before: Option<String>,
    pub anggaran_before: i64,
    pub volume_after: Decimal,
    pub satuan_after: String,
    pub unit_after: Option<String>,
    pub anggaran_after: i64,
    pub suggestion: Option<serde_json::Value>,
    pub body_sha256: String,
    pub version_before: i32,
    pub version_after: i32,
    pub decided_by: Option<i64>,
    pub decided_by_name: String,
    pub decided_role: String,
    pub decided_at: DateTime<Utc>,
    pub request_id: Option<String>,
}

pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<DecisionRow>, sqlx::Error> {
    sqlx::query_as!(
        DecisionRow,
        "SELECT id, proposal_id, action, reason, note, status_before, status_after, volume_before, satuan_before,
                unit_before, anggaran_before, volume_after, satuan_after, unit_after, anggaran_after, suggestion,
                body_sha256, version_before, version_after, decided_by, decided_by_name, decided_role, decided_at,
                request_id
           FROM decision WHERE id = $1",
        id
    )
    .fetch_optional(conn)
    .await
}

/// The review state a decision leaves on its proposal. `decided` is `None` while the proposed values
/// stand (no volume correction).
#[derive(Debug, Clone)]
pub struct AppliedState {
    pub version: i32,
    /// `approved` or `rejected`.
    pub status: &'static str,
    pub decided: Option<(Decimal, String, Option<String>, i64)>,
}

/// Stores a decision and sets its proposal's state.
pub async fn insert_and_apply(
    conn: &mut PgConnection,
    d: &DecisionRow,
    state: &AppliedState,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO decision (id, proposal_id, action, reason, note, status_before, status_after, volume_before,
                               satuan_before, unit_before, anggaran_before, volume_after, satuan_after, unit_after,
                               anggaran_after, suggestion, body_sha256, version_before, version_after, decided_by,
                               decided_by_name, decided_role, decided_at, request_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)",
        d.id,
        d.proposal_id,
        d.action,
        d.reason,
        d.note,
        d.status_before,
        d.status_after,
        d.volume_before,
        d.satuan_before,
        d.unit_before,
        d.anggaran_before,
        d.volume_after,
        d.satuan_after,
        d.unit_after,
        d.anggaran_after,
        d.suggestion,
        d.body_sha256,
        d.version_before,
        d.version_after,
        d.decided_by,
        d.decided_by_name,
        d.decided_role,
        d.decided_at,
        d.request_id,
    )
    .execute(&mut *conn)
    .await?;
    let (volume, satuan, unit, anggaran) = match &state.decided {
        Some((volume, satuan, unit, anggaran)) => (
            Some(*volume),
            Some(satuan.clone()),
            unit.clone(),
            Some(*anggaran),
        ),
        None => (None, None, None, None),
    };
    sqlx::query!(
        "UPDATE proposal
            SET version = $2, decision_status = $3, decision_id = $4,
                decided_volume = $5, decided_satuan = $6, decided_unit = $7, decided_anggaran = $8, updated_at = now()
          WHERE id = $1",
        d.proposal_id,
        state.version,
        state.status,
        d.id,
        volume,
        satuan,
        unit,
        anggaran,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Every decision on a proposal, oldest first.
pub async fn of_proposal(
    conn: &mut PgConnection,
    proposal_id: i64,
) -> Result<Vec<DecisionRow>, sqlx::Error> {
    sqlx::query_as!(
        DecisionRow,
        "SELECT id, proposal_id, action, reason, note, status_before, status_after, volume_before, satuan_before,
                unit_before, anggaran_before, volume_after, satuan_after, unit_after, anggaran_after, suggestion,
                body_sha256, version_before, version_after, decided_by, decided_by_name, decided_role, decided_at,
                request_id
           FROM decision WHERE proposal_id = $1 ORDER BY decided_at, id",
        proposal_id
    )
    .fetch_all(conn)
    .await
}

/// Locks proposals in id order (a bulk decision takes every row before the kecamatan's lock, as a
/// single decision does, so the two never wait on each other in a circle); returns those found.
pub async fn lock_proposals(conn: &mut PgConnection, ids: &[i64]) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM proposal WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE",
        ids
    )
    .fetch_all(conn)
    .await
}
