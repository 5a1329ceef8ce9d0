//! What the trilateral desk reads and writes: approved proposals, Renja lines, the planner's match
//! overrides and the desk's outcomes.

use crate::Kode;
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};

/// An approved proposal with the values the desk compares (the camat's corrected ones when set).
#[derive(Debug, Clone)]
pub struct ApprovedProposal {
    pub id: i64,
    pub kelurahan_kode: Kode,
    pub kelurahan: String,
    pub kecamatan_kode: Kode,
    pub kecamatan: String,
    pub rw: Option<String>,
    pub usulan: String,
    pub lokasi: Option<String>,
    pub program: Option<String>,
    pub skpd_tujuan: Option<String>,
    pub activity_code: Option<String>,
    pub volume: Decimal,
    pub satuan: String,
    pub unit: Option<String>,
    pub rupiah: i64,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

/// The approved proposals of a year within `prefix` (a kota or kecamatan code; empty: all).
pub async fn approved(
    pool: &PgPool,
    tahun: i32,
    prefix: &str,
) -> Result<Vec<ApprovedProposal>, sqlx::Error> {
    sqlx::query_as!(
        ApprovedProposal,
        r#"SELECT p.id, p.kelurahan_kode AS "kelurahan_kode!: Kode", kel.nama AS kelurahan,
                  p.kecamatan_kode AS "kecamatan_kode!: Kode", kec.nama AS kecamatan, p.rw, p.usulan, p.lokasi,
                  p.program, p.skpd_tujuan, p.activity_code,
                  coalesce(p.decided_volume, p.volume) AS "volume!",
                  coalesce(p.decided_satuan, p.satuan_raw) AS "satuan!",
                  CASE WHEN p.decided_volume IS NULL THEN p.unit ELSE p.decided_unit END AS unit,
                  coalesce(p.decided_anggaran, p.anggaran) AS "rupiah!",
                  ST_X(p.pin) AS lon, ST_Y(p.pin) AS lat
             FROM proposal p
             JOIN wilayah kel ON kel.kode = p.kelurahan_kode
             JOIN wilayah kec ON kec.kode = p.kecamatan_kode
            WHERE p.tahun = $1 AND p.decision_status = 'approved'
              AND ($2 = '' OR p.kelurahan_kode >= ($2 || '.') AND p.kelurahan_kode < ($2 || '/'))
            ORDER BY p.kecamatan_kode, p.kelurahan_kode, p.id"#,
        tahun,
        prefix
    )
    .fetch_all(pool)
    .await
}

/// A Renja line with its geometry's vertices.
#[derive(Debug, Clone)]
pub struct RenjaLine {
    pub id: i64,
    pub opd_id: i64,
    pub kode_sub_kegiatan: String,
    pub nama_sub_kegiatan: String,
    pub nama_kegiatan: Option<String>,
    pub uraian: Option<String>,
    pub indikator: Option<String>,
    pub target: Option<Decimal>,
    pub satuan_raw: Option<String>,
    pub unit: Option<String>,
    pub lokasi: Option<String>,
    pub kelurahan_kode: Option<String>,
    pub kelurahan: Option<String>,
    pub kecamatan_kode: Option<String>,
    pub kecamatan: Option<String>,
    pub pagu: i64,
    pub activity_code: Option<String>,
    pub xs: Vec<f64>,
    pub ys: Vec<f64>,
}

/// The Renja lines of a year of the agencies serving `kota` (empty: all), and of those serving the
/// whole province.
pub async fn lines(pool: &PgPool, tahun: i32, kota: &str) -> Result<Vec<RenjaLine>, sqlx::Error> {
    sqlx::query_as!(
        RenjaLine,
        r#"SELECT r.id, r.opd_id, r.kode_sub_kegiatan, r.nama_sub_kegiatan, r.nama_kegiatan, r.uraian,
                  r.indikator, r.target, r.satuan_raw, r.unit, r.lokasi, r.kelurahan_kode, kel.nama AS "kelurahan?",
                  r.kecamatan_kode, kec.nama AS "kecamatan?", r.pagu, r.activity_code,
                  coalesce((SELECT array_agg(ST_X(d.geom) ORDER BY d.path) FROM ST_DumpPoints(r.geom) d), '{}') AS "xs!",
                  coalesce((SELECT array_agg(ST_Y(d.geom) ORDER BY d.path) FROM ST_DumpPoints(r.geom) d), '{}') AS "ys!"
             FROM renja_item r
             JOIN opd o ON o.id = r.opd_id
             LEFT JOIN wilayah kel ON kel.kode = r.kelurahan_kode
             LEFT JOIN wilayah kec ON kec.kode = r.kecamatan_kode
            WHERE r.tahun = $1
              AND ($2 = '' OR o.kota_kode IS NULL OR o.kota_kode = $2
                   OR $2 >= (o.kota_kode || '.') AND $2 < (o.kota_kode || '/')
                   OR o.kota_kode >= ($2 || '.') AND o.kota_kode < ($2 || '/'))
              -- A province-wide agency's lines of other cities are not this city's.
              AND ($2 = '' OR r.kecamatan_kode IS NULL
                   OR r.kecamatan_kode >= ($2 || '.') AND r.kecamatan_kode < ($2 || '/'))
            ORDER BY r.opd_id, r.id"#,
        tahun,
        kota
    )
    .fetch_all(pool)
    .await
}

/// The latest override of each proposal among `ids`: `(proposal, Some(line) | None)`.
pub async fn overrides(
    pool: &PgPool,
    ids: &[i64],
) -> Result<Vec<(i64, Option<i64>, String, String)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT DISTINCT ON (proposal_id) proposal_id, renja_item_id, note, decided_by_name
             FROM trilateral_override WHERE proposal_id = ANY($1)
            ORDER BY proposal_id, id DESC"#,
        ids
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.proposal_id, r.renja_item_id, r.note, r.decided_by_name))
        .collect())
}

/// The latest override of one proposal.
pub async fn latest_override(
    conn: &mut PgConnection,
    proposal_id: i64,
) -> Result<Option<(Option<i64>, String)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT renja_item_id, note FROM trilateral_override WHERE proposal_id = $1 ORDER BY id DESC LIMIT 1",
        proposal_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.renja_item_id, r.note)))
}

pub async fn add_override(
    conn: &mut PgConnection,
    proposal_id: i64,
    renja_item_id: Option<i64>,
    note: &str,
    by: Option<i64>,
    by_name: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO trilateral_override (proposal_id, renja_item_id, note, decided_by, decided_by_name)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        proposal_id,
        renja_item_id,
        note,
        by,
        by_name
    )
    .fetch_one(conn)
    .await
}

/// A desk outcome as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeRow {
    pub proposal_id: i64,
    pub outcome: String,
    pub agreed_volume: Option<Decimal>,
    pub agreed_pagu: Option<i64>,
    pub merged_into: Option<i64>,
    pub renja_item_id: Option<i64>,
    pub note: Option<String>,
    pub version: i32,
    pub decided_by_name: String,
    pub decided_role: String,
    pub decided_at: chrono::DateTime<chrono::Utc>,
}

pub async fn outcomes(pool: &PgPool, ids: &[i64]) -> Result<Vec<OutcomeRow>, sqlx::Error> {
    sqlx::query_as!(
        OutcomeRow,
        "SELECT proposal_id, outcome, agreed_volume, agreed_pagu, merged_into, renja_item_id, note, version,
                decided_by_name, decided_role, decided_at
           FROM trilateral_outcome WHERE proposal_id = ANY($1)",
        ids
    )
    .fetch_all(pool)
    .await
}

/// The outcome of a proposal, locked for the change that follows.
pub async fn lock_outcome(
    conn: &mut PgConnection,
    proposal_id: i64,
) -> Result<Option<OutcomeRow>, sqlx::Error> {
    sqlx::query_as!(
        OutcomeRow,
        "SELECT proposal_id, outcome, agreed_volume, agreed_pagu, merged_into, renja_item_id, note, version,
                decided_by_name, decided_role, decided_at
           FROM trilateral_outcome WHERE proposal_id = $1 FOR UPDATE",
        proposal_id
    )
    .fetch_optional(conn)
    .await
}

/// What the desk records for one proposal.
#[derive(Debug, Clone)]
pub struct NewOutcome<'a> {
    pub outcome: &'a str,
    pub agreed_volume: Option<Decimal>,
    pub agreed_pagu: Option<i64>,
    pub merged_into: Option<i64>,
    pub renja_item_id: Option<i64>,
    pub note: Option<&'a str>,
    pub version: i32,
    pub by: Option<i64>,
    pub by_name: &'a str,
    pub role: &'a str,
}

pub async fn put_outcome(
    conn: &mut PgConnection,
    proposal_id: i64,
    o: &NewOutcome<'_>,
) -> Result<OutcomeRow, sqlx::Error> {
    sqlx::query_as!(
        OutcomeRow,
        "INSERT INTO trilateral_outcome (proposal_id, outcome, agreed_volume, agreed_pagu, merged_into, renja_item_id,
                                         note, version, decided_by, decided_by_name, decided_role)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (proposal_id) DO UPDATE
            SET outcome = excluded.outcome, agreed_volume = excluded.agreed_volume, agreed_pagu = excluded.agreed_pagu,
                merged_into = excluded.merged_into, renja_item_id = excluded.renja_item_id, note = excluded.note,
                version = excluded.version, decided_by = excluded.decided_by,
                decided_by_name = excluded.decided_by_name, decided_role = excluded.decided_role, decided_at = now()
         RETURNING proposal_id, outcome, agreed_volume, agreed_pagu, merged_into, renja_item_id, note, version,
                   decided_by_name, decided_role, decided_at",
        proposal_id,
        o.outcome,
        o.agreed_volume,
        o.agreed_pagu,
        o.merged_into,
        o.renja_item_id,
        o.note,
        o.version,
        o.by,
        o.by_name,
        o.role
    )
    .fetch_one(conn)
    .await
}

/// An approved proposal's place and agency, locked, for a desk write.
#[derive(Debug, Clone)]
pub struct DeskTarget {
    pub tahun: i32,
    pub kelurahan_kode: Kode,
    pub kecamatan_kode: Kode,
    pub skpd_tujuan: Option<String>,
    pub approved: bool,
}

pub async fn lock_target(
    conn: &mut PgConnection,
    proposal_id: i64,
) -> Result<Option<DeskTarget>, sqlx::Error> {
    sqlx::query_as!(
        DeskTarget,
        r#"SELECT tahun, kelurahan_kode AS "kelurahan_kode!: Kode", kecamatan_kode AS "kecamatan_kode!: Kode", skpd_tujuan,
                  decision_status = 'approved' AS "approved!"
             FROM proposal WHERE id = $1 FOR UPDATE"#,
        proposal_id
    )
    .fetch_optional(conn)
    .await
}

/// A Renja line's agency and year, when it exists; the line is locked for the transaction, so a
/// planner linking it waits for another's link of it to commit, and then sees that link.
pub async fn line_owner(
    conn: &mut PgConnection,
    renja_item_id: i64,
) -> Result<Option<(i64, i32)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT opd_id, tahun FROM renja_item WHERE id = $1 FOR UPDATE",
        renja_item_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.opd_id, r.tahun)))
}

/// The kecamatan whose list of `tahun` is sent (a standing Kirim).
pub async fn sent_kecamatan(
    pool: &PgPool,
    tahun: i32,
) -> Result<std::collections::HashSet<String>, sqlx::Error> {
    let rows = sqlx::query_scalar!(
        "SELECT kecamatan_kode FROM kirim WHERE tahun = $1 AND reopened_at IS NULL",
        tahun
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().collect())
}

/// An approved proposal's place and agency, read without a lock.
pub async fn peek_target(
    conn: &mut PgConnection,
    proposal_id: i64,
) -> Result<Option<DeskTarget>, sqlx::Error> {
    sqlx::query_as!(
        DeskTarget,
        r#"SELECT tahun, kelurahan_kode AS "kelurahan_kode!: Kode", kecamatan_kode AS "kecamatan_kode!: Kode", skpd_tujuan,
                  decision_status = 'approved' AS "approved!"
             FROM proposal WHERE id = $1"#,
        proposal_id
    )
    .fetch_optional(conn)
    .await
}

/// The desk outcome of a proposal, if any.
pub async fn outcome_code(
    conn: &mut PgConnection,
    proposal_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT outcome FROM trilateral_outcome WHERE proposal_id = $1",
        proposal_id
    )
    .fetch_optional(conn)
    .await
}

/// Another proposal whose latest override links `renja_item_id`.
pub async fn linked_by_override(
    conn: &mut PgConnection,
    renja_item_id: i64,
    except: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT proposal_id AS "proposal_id!" FROM (
               SELECT DISTINCT ON (proposal_id) proposal_id, renja_item_id
                 FROM trilateral_override ORDER BY proposal_id, id DESC
           ) latest
          WHERE renja_item_id = $1 AND proposal_id <> $2
          LIMIT 1"#,
        renja_item_id,
        except
    )
    .fetch_optional(conn)
    .await
}
