//! What the camat's review reads: every physical proposal of a kecamatan and year in brief (for
//! filters and counts), then the details of one page.

use crate::Kode;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

/// One physical proposal in brief, with its latest standing survey and the codes and severities of
/// its anomalies (the proposal's and that survey's).
#[derive(Debug, Clone)]
pub struct ReviewSummaryRow {
    pub id: i64,
    pub kelurahan_kode: Kode,
    pub skpd_tujuan: Option<String>,
    pub anggaran: i64,
    pub decision_status: String,
    pub corrected: bool,
    pub survey_id: Option<Uuid>,
    pub codes: Vec<String>,
    pub severities: Vec<String>,
}

/// Every physical proposal (a catalogue activity) of the kecamatan and year.
pub async fn summary(
    conn: &mut PgConnection,
    kecamatan: &str,
    tahun: i32,
) -> Result<Vec<ReviewSummaryRow>, sqlx::Error> {
    sqlx::query_as!(
        ReviewSummaryRow,
        r#"WITH p AS (
               SELECT id, kelurahan_kode, skpd_tujuan, anggaran, decision_status, decided_volume
                 FROM proposal
                WHERE kecamatan_kode = $1 AND tahun = $2 AND activity_code IS NOT NULL
           ), latest AS (
               SELECT DISTINCT ON (s.proposal_id) s.proposal_id, s.id
                 FROM survey s JOIN p ON p.id = s.proposal_id
                WHERE s.voided_at IS NULL AND NOT EXISTS (SELECT 1 FROM survey n WHERE n.supersedes = s.id)
                ORDER BY s.proposal_id, s.captured_at DESC, s.received_at DESC, s.id
           )
           SELECT p.id, p.kelurahan_kode AS "kelurahan_kode: Kode", p.skpd_tujuan, p.anggaran, p.decision_status,
                  (p.decided_volume IS NOT NULL) AS "corrected!",
                  l.id AS "survey_id?",
                  coalesce(f.codes, '{}') AS "codes!", coalesce(f.severities, '{}') AS "severities!"
             FROM p
             LEFT JOIN latest l ON l.proposal_id = p.id
             LEFT JOIN LATERAL (
                 SELECT array_agg(a.code) AS codes, array_agg(a.severity) AS severities
                   FROM anomaly a
                  WHERE a.proposal_id = p.id AND (a.survey_id IS NULL OR a.survey_id = l.id)
             ) f ON true"#,
        kecamatan,
        tahun
    )
    .fetch_all(conn)
    .await
}

/// A proposal as the review shows it, with its current decision.
#[derive(Debug, Clone)]
pub struct ReviewItemRow {
    pub id: i64,
    pub tahun: i32,
    pub nomor: Option<String>,
    pub kelurahan_kode: Kode,
    pub kelurahan_nama: String,
    pub rw: Option<String>,
    pub rt: Option<String>,
    pub permasalahan: Option<String>,
    pub program: Option<String>,
    pub usulan: String,
    pub lokasi: Option<String>,
    pub volume: Decimal,
    pub satuan_raw: String,
    pub unit: Option<String>,
    pub anggaran: i64,
    pub skpd_tujuan: Option<String>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub version: i32,
    pub decision_status: String,
    pub decided_volume: Option<Decimal>,
    pub decided_satuan: Option<String>,
    pub decided_unit: Option<String>,
    pub decided_anggaran: Option<i64>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
}

pub async fn items(
    conn: &mut PgConnection,
    ids: &[i64],
) -> Result<Vec<ReviewItemRow>, sqlx::Error> {
    sqlx::query_as!(
        ReviewItemRow,
        r#"SELECT p.id, p.tahun, p.nomor, p.kelurahan_kode AS "kelurahan_kode: Kode", w.nama AS kelurahan_nama, p.rw, p.rt, p.permasalahan,
                  p.program, p.usulan, p.lokasi, p.volume, p.satuan_raw, p.unit, p.anggaran, p.skpd_tujuan,
                  ST_X(p.pin) AS lon, ST_Y(p.pin) AS lat, p.version, p.decision_status,
                  p.decided_volume, p.decided_satuan, p.decided_unit, p.decided_anggaran,
                  d.reason AS "reason?", d.note AS "note?", d.decided_by_name AS "decided_by?",
                  d.decided_at AS "decided_at?"
             FROM proposal p
             JOIN wilayah w ON w.kode = p.kelurahan_kode
             LEFT JOIN decision d ON d.id = p.decision_id
            WHERE p.id = ANY($1)"#,
        ids
    )
    .fetch_all(conn)
    .await
}

/// A survey in brief, for the review.
#[derive(Debug, Clone)]
pub struct SurveyBriefRow {
    pub id: Uuid,
    pub proposal_id: i64,
    pub captured_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub surveyor: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub accuracy_m: f64,
    pub body: serde_json::Value,
    /// Photos received, by hash.
    pub received_photos: Vec<String>,
    /// Declared photos not yet received or not yet read.
    pub pending_photos: i64,
}

pub async fn survey_briefs(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<Vec<SurveyBriefRow>, sqlx::Error> {
    sqlx::query_as!(
        SurveyBriefRow,
        r#"SELECT s.id AS "id!", s.proposal_id AS "proposal_id!", s.captured_at AS "captured_at!",
                  s.received_at AS "received_at!", u.name AS "surveyor?",
                  ST_X(s.fix) AS "lon!", ST_Y(s.fix) AS "lat!", s.accuracy_m AS "accuracy_m!", s.body AS "body!",
                  coalesce((SELECT array_agg(ph.sha256 ORDER BY ph.sha256) FROM survey_photo ph
                             WHERE ph.survey_id = s.id AND ph.received_at IS NOT NULL), '{}') AS "received_photos!",
                  (SELECT count(*) FROM survey_photo ph
                    WHERE ph.survey_id = s.id AND (ph.received_at IS NULL OR ph.processed_at IS NULL)) AS "pending_photos!"
             FROM survey s LEFT JOIN app_user u ON u.id = s.surveyor_id
            WHERE s.id = ANY($1)"#,
        ids
    )
    .fetch_all(conn)
    .await
}

/// Per proposal: surveys a correction replaced, and surveys received after `since` (a Kirim).
pub async fn survey_counts(
    conn: &mut PgConnection,
    proposal_ids: &[i64],
    since: Option<DateTime<Utc>>,
) -> Result<Vec<(i64, i64, i64)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT s.proposal_id,
                  count(*) FILTER (WHERE EXISTS (SELECT 1 FROM survey n WHERE n.supersedes = s.id)) AS "superseded!",
                  count(*) FILTER (WHERE $2::timestamptz IS NOT NULL AND s.received_at > $2) AS "late!"
             FROM survey s
            WHERE s.proposal_id = ANY($1)
            GROUP BY s.proposal_id"#,
        proposal_ids,
        since
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.proposal_id, r.superseded, r.late))
        .collect())
}

/// The anomalies of some proposals (their own checks') and of some surveys, most serious first.
pub async fn anomalies(
    conn: &mut PgConnection,
    proposal_ids: &[i64],
    survey_ids: &[Uuid],
) -> Result<Vec<crate::anomaly::AnomalyRow>, sqlx::Error> {
    sqlx::query_as!(
        crate::anomaly::AnomalyRow,
        "SELECT proposal_id, code, severity, message_id, message_en, details
           FROM anomaly
          WHERE proposal_id = ANY($1) AND (survey_id IS NULL OR survey_id = ANY($2))
          ORDER BY proposal_id, CASE severity WHEN 'high' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, code, id",
        proposal_ids,
        survey_ids
    )
    .fetch_all(conn)
    .await
}

/// The name of an area.
pub async fn wilayah_nama(
    conn: &mut PgConnection,
    kode: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!("SELECT nama FROM wilayah WHERE kode = $1", kode)
        .fetch_optional(conn)
        .await
}

/// The latest year with proposals in the area (a kecamatan or kelurahan code), if any.
pub async fn latest_tahun(pool: &sqlx::PgPool, kode: &str) -> Result<Option<i32>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT max(tahun) FROM proposal
          WHERE kelurahan_kode = $1 OR (kelurahan_kode >= ($1 || '.') AND kelurahan_kode < ($1 || '/'))",
        kode
    )
    .fetch_one(pool)
    .await
}

/// Ids of the physical proposals of a kelurahan and year, for the public page.
pub async fn kelurahan_proposal_ids(
    conn: &mut PgConnection,
    kelurahan: &str,
    tahun: i32,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM proposal WHERE kelurahan_kode = $1 AND tahun = $2 AND activity_code IS NOT NULL ORDER BY id",
        kelurahan,
        tahun
    )
    .fetch_all(conn)
    .await
}
