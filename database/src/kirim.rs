//! The `kirim` table: a kecamatan's list sent up, locked, with its snapshot.

use crate::Kode;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

/// A Kirim, without its snapshot.
#[derive(Debug, Clone)]
pub struct KirimRow {
    pub id: i64,
    pub kecamatan_kode: Kode,
    pub tahun: i32,
    pub sent_at: DateTime<Utc>,
    pub sent_by_name: String,
    pub snapshot_sha256: String,
    pub audit_seq: i64,
    pub audit_hash: String,
    pub agreed: i64,
    pub not_agreed: i64,
    pub reopened_at: Option<DateTime<Utc>>,
    pub reopened_by_name: Option<String>,
    pub reopen_reason: Option<String>,
}

/// The standing (not reopened) Kirim of a kecamatan and year, if any: the latest one, unless it
/// was reopened (a new Kirim is made only once the previous one was reopened).
pub async fn standing(
    conn: &mut PgConnection,
    kecamatan: &str,
    tahun: i32,
) -> Result<Option<KirimRow>, sqlx::Error> {
    Ok(latest(conn, kecamatan, tahun)
        .await?
        .filter(|k| k.reopened_at.is_none()))
}

/// The latest Kirim of a kecamatan and year, standing or reopened.
pub async fn latest(
    conn: &mut PgConnection,
    kecamatan: &str,
    tahun: i32,
) -> Result<Option<KirimRow>, sqlx::Error> {
    sqlx::query_as!(
        KirimRow,
        r#"SELECT id, kecamatan_kode AS "kecamatan_kode: Kode", tahun, sent_at, sent_by_name, snapshot_sha256, audit_seq, audit_hash,
                  coalesce((snapshot->'counts'->>'agreed')::int8, 0) AS "agreed!",
                  coalesce((snapshot->'counts'->>'not_agreed')::int8, 0) AS "not_agreed!",
                  reopened_at, reopened_by_name, reopen_reason
             FROM kirim WHERE kecamatan_kode = $1 AND tahun = $2
            ORDER BY id DESC LIMIT 1"#,
        kecamatan,
        tahun
    )
    .fetch_optional(conn)
    .await
}

/// The snapshot stored with a Kirim.
pub async fn snapshot(conn: &mut PgConnection, id: i64) -> Result<serde_json::Value, sqlx::Error> {
    sqlx::query_scalar!("SELECT snapshot FROM kirim WHERE id = $1", id)
        .fetch_one(conn)
        .await
}

/// What a new Kirim stores.
#[derive(Debug)]
pub struct NewKirim<'a> {
    pub kecamatan_kode: &'a str,
    pub tahun: i32,
    pub sent_at: DateTime<Utc>,
    pub sent_by: Option<i64>,
    pub sent_by_name: &'a str,
    pub snapshot: &'a serde_json::Value,
}

/// Stores a Kirim; returns its id and its snapshot's SHA-256, of the snapshot as stored (jsonb's
/// own text, which does not depend on how it was written, so `tinjau audit verify` can recompute it).
/// The audit head is set by [`set_audit_head`] once the Kirim is recorded.
pub async fn insert(
    conn: &mut PgConnection,
    k: &NewKirim<'_>,
) -> Result<(i64, String), sqlx::Error> {
    let row = sqlx::query!(
        "INSERT INTO kirim (kecamatan_kode, tahun, sent_at, sent_by, sent_by_name, snapshot, snapshot_sha256, audit_seq, audit_hash)
         VALUES ($1, $2, $3, $4, $5, $6, encode(sha256(convert_to($6::jsonb::text, 'UTF8')), 'hex'), 0, '')
         RETURNING id, snapshot_sha256",
        k.kecamatan_kode,
        k.tahun,
        k.sent_at,
        k.sent_by,
        k.sent_by_name,
        k.snapshot,
    )
    .fetch_one(conn)
    .await?;
    Ok((row.id, row.snapshot_sha256))
}

pub async fn set_audit_head(
    conn: &mut PgConnection,
    id: i64,
    seq: i64,
    hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE kirim SET audit_seq = $2, audit_hash = $3 WHERE id = $1",
        id,
        seq,
        hash
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Per Kirim: whether its snapshot still hashes to what was stored, and whether the audit trail's
/// record of the Kirim names that same hash.
#[derive(Debug, Clone)]
pub struct SnapshotCheck {
    pub kecamatan_kode: String,
    pub tahun: i32,
    pub snapshot_intact: bool,
    pub recorded: bool,
}

pub async fn snapshot_checks(pool: &PgPool) -> Result<Vec<SnapshotCheck>, sqlx::Error> {
    sqlx::query_as!(
        SnapshotCheck,
        r#"SELECT k.kecamatan_kode, k.tahun,
                  (encode(sha256(convert_to(k.snapshot::text, 'UTF8')), 'hex') = k.snapshot_sha256) AS "snapshot_intact!",
                  EXISTS (SELECT 1 FROM audit_event a
                           WHERE a.action = 'kirim.send' AND a.entity = 'kecamatan'
                             AND a.entity_id = k.kecamatan_kode || '/' || k.tahun::text
                             AND a.after->>'snapshot_sha256' = k.snapshot_sha256) AS "recorded!"
             FROM kirim k ORDER BY k.id"#
    )
    .fetch_all(pool)
    .await
}

/// Marks the standing Kirim reopened; returns whether there was one.
pub async fn reopen(
    conn: &mut PgConnection,
    id: i64,
    by: &str,
    reason: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE kirim SET reopened_at = now(), reopened_by_name = $2, reopen_reason = $3
          WHERE id = $1 AND reopened_at IS NULL",
        id,
        by,
        reason
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Locks the kecamatan's Kirim state for this transaction (decisions and Kirim take it, so a
/// decision cannot slip in while a Kirim is being made).
pub async fn lock_kecamatan(
    conn: &mut PgConnection,
    kecamatan: &str,
    tahun: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtext('tinjau-kirim'), hashtext($1 || '/' || $2::int4::text))",
        kecamatan,
        tahun
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Kecamatan and years whose proposals are locked, among `proposal_ids`.
pub async fn locked_among(
    conn: &mut PgConnection,
    proposal_ids: &[i64],
) -> Result<Vec<(String, i32)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT DISTINCT p.kecamatan_kode AS "kecamatan!", p.tahun
             FROM proposal p
             JOIN kirim k ON k.kecamatan_kode = p.kecamatan_kode AND k.tahun = p.tahun AND k.reopened_at IS NULL
            WHERE p.id = ANY($1)
            ORDER BY 1, 2"#,
        proposal_ids
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.kecamatan, r.tahun)).collect())
}

/// A head of the audit chain recorded at a Kirim.
#[derive(Debug, Clone)]
pub struct RecordedHead {
    pub kecamatan_kode: String,
    pub tahun: i32,
    pub audit_seq: i64,
    pub audit_hash: String,
}

pub async fn recorded_heads(pool: &PgPool) -> Result<Vec<RecordedHead>, sqlx::Error> {
    sqlx::query_as!(
        RecordedHead,
        "SELECT kecamatan_kode, tahun, audit_seq, audit_hash FROM kirim ORDER BY id"
    )
    .fetch_all(pool)
    .await
}
