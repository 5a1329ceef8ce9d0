//! The `proposal` table: usulan, as imported.

use crate::Kode;
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};

/// Columns of a batch of proposals to upsert, index-aligned.
#[derive(Debug, Default)]
pub struct ProposalBatch {
    pub natural_keys: Vec<String>,
    pub kelurahan: Vec<String>,
    pub rw: Vec<Option<String>>,
    pub rt: Vec<Option<String>>,
    pub nomor: Vec<Option<String>>,
    pub permasalahan: Vec<Option<String>>,
    pub program: Vec<Option<String>>,
    pub usulan: Vec<String>,
    pub lokasi: Vec<Option<String>>,
    pub volume: Vec<Decimal>,
    pub satuan_raw: Vec<String>,
    pub unit: Vec<Option<String>>,
    pub anggaran: Vec<i64>,
    pub skpd_tujuan: Vec<Option<String>>,
    pub status: Vec<String>,
    pub activity_code: Vec<Option<String>>,
    pub lon: Vec<Option<f64>>,
    pub lat: Vec<Option<f64>>,
    pub source_row: Vec<i32>,
}

impl ProposalBatch {
    pub fn len(&self) -> usize {
        self.natural_keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.natural_keys.is_empty()
    }
}

/// A proposal an import inserted or changed, with its values before and after.
#[derive(Debug, Clone)]
pub struct UpsertedRow {
    pub id: i64,
    pub kecamatan_kode: String,
    pub inserted: bool,
    pub before: Option<serde_json::Value>,
    pub after: serde_json::Value,
}

/// Inserts new proposals and updates changed ones (by year and natural key), each change at the
/// next version and undecided again (the camat decided on other values); returns what changed. An
/// unchanged proposal is not touched.
pub async fn upsert(
    conn: &mut PgConnection,
    tahun: i32,
    source: &str,
    b: &ProposalBatch,
) -> Result<Vec<UpsertedRow>, sqlx::Error> {
    sqlx::query_as!(
        UpsertedRow,
        r#"WITH input AS (
               SELECT t.*, CASE WHEN t.lon IS NULL OR t.lat IS NULL THEN NULL
                                ELSE ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326) END AS pin
                 FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                             $10::text[], $11::text[], $12::numeric[], $13::text[], $14::text[], $15::int8[],
                             $16::text[], $17::text[], $18::text[], $19::float8[], $20::float8[], $21::int4[])
                   AS t(natural_key, kelurahan_kode, rw, rt, nomor, permasalahan, program, usulan, lokasi, volume,
                        satuan_raw, unit, anggaran, skpd_tujuan, status, activity_code, lon, lat, source_row)
           ), old AS (
               SELECT p.natural_key,
                      jsonb_build_object('version', p.version, 'decision', p.decision_status,
                                         'decided_volume', p.decided_volume, 'permasalahan', p.permasalahan, 'program', p.program,
                                         'volume', p.volume, 'satuan', p.satuan_raw, 'unit', p.unit,
                                         'anggaran', p.anggaran, 'skpd_tujuan', p.skpd_tujuan, 'status', p.status,
                                         'activity', p.activity_code, 'pin', ST_AsText(p.pin)) AS before
                 FROM proposal p
                WHERE p.tahun = $1 AND p.natural_key = ANY($3)
           ), up AS (
               INSERT INTO proposal (tahun, natural_key, kelurahan_kode, rw, rt, nomor, permasalahan, program, usulan, lokasi,
                                     volume, satuan_raw, unit, anggaran, skpd_tujuan, status, activity_code, pin, source, source_row)
               SELECT $1, natural_key, kelurahan_kode, rw, rt, nomor, permasalahan, program, usulan, lokasi,
                      volume, satuan_raw, unit, anggaran, skpd_tujuan, status, activity_code, pin, $2, source_row
                 FROM input
               ON CONFLICT (tahun, natural_key) DO UPDATE
                  SET permasalahan = excluded.permasalahan, program = excluded.program, volume = excluded.volume,
                      satuan_raw = excluded.satuan_raw, unit = excluded.unit, anggaran = excluded.anggaran,
                      skpd_tujuan = excluded.skpd_tujuan, status = excluded.status, activity_code = excluded.activity_code,
                      pin = excluded.pin, source = excluded.source, source_row = excluded.source_row, updated_at = now(),
                      version = proposal.version + 1,
                      -- A decision was made on the values this import replaces: it no longer stands.
                      decision_status = 'undecided', decision_id = NULL, decided_volume = NULL,
                      decided_satuan = NULL, decided_unit = NULL, decided_anggaran = NULL
                WHERE (proposal.permasalahan, proposal.program, proposal.volume, proposal.satuan_raw, proposal.unit,
                       proposal.anggaran, proposal.skpd_tujuan, proposal.status, proposal.activity_code)
                      IS DISTINCT FROM
                      (excluded.permasalahan, excluded.program, excluded.volume, excluded.satuan_raw, excluded.unit,
                       excluded.anggaran, excluded.skpd_tujuan, excluded.status, excluded.activity_code)
                   OR NOT (proposal.pin IS NOT DISTINCT FROM excluded.pin)
               RETURNING proposal.id, proposal.natural_key, proposal.kecamatan_kode, (xmax = 0) AS inserted,
                         jsonb_build_object('version', proposal.version, 'decision', proposal.decision_status,
                                            'kelurahan', proposal.kelurahan_kode,
                                            'rw', proposal.rw, 'rt', proposal.rt, 'nomor', proposal.nomor,
                                            'usulan', proposal.usulan, 'lokasi', proposal.lokasi,
                                            'permasalahan', proposal.permasalahan, 'program', proposal.program,
                                            'volume', proposal.volume, 'satuan', proposal.satuan_raw, 'unit', proposal.unit,
                                            'anggaran', proposal.anggaran, 'skpd_tujuan', proposal.skpd_tujuan,
                                            'status', proposal.status, 'activity', proposal.activity_code,
                                            'pin', ST_AsText(proposal.pin), 'source', proposal.source,
                                            'source_row', proposal.source_row) AS after
           )
           SELECT up.id AS "id!", up.kecamatan_kode AS "kecamatan_kode!", up.inserted AS "inserted!",
                  CASE WHEN up.inserted THEN NULL ELSE old.before END AS before, up.after AS "after!"
             FROM up LEFT JOIN old ON old.natural_key = up.natural_key
            ORDER BY up.id"#,
        tahun,
        source,
        &b.natural_keys,
        &b.kelurahan,
        &b.rw as &[Option<String>],
        &b.rt as &[Option<String>],
        &b.nomor as &[Option<String>],
        &b.permasalahan as &[Option<String>],
        &b.program as &[Option<String>],
        &b.usulan,
        &b.lokasi as &[Option<String>],
        &b.volume,
        &b.satuan_raw,
        &b.unit as &[Option<String>],
        &b.anggaran,
        &b.skpd_tujuan as &[Option<String>],
        &b.status,
        &b.activity_code as &[Option<String>],
        &b.lon as &[Option<f64>],
        &b.lat as &[Option<f64>],
        &b.source_row,
    )
    .fetch_all(conn)
    .await
}

/// What the checks read of a proposal.
#[derive(Debug, Clone)]
pub struct FactRow {
    pub id: i64,
    pub tahun: i32,
    pub kelurahan_kode: Kode,
    pub usulan: String,
    pub lokasi: Option<String>,
    pub volume: Decimal,
    pub satuan_raw: String,
    pub unit: Option<String>,
    pub anggaran: i64,
    pub status: String,
    pub activity_code: Option<String>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

/// Every proposal, for a full recomputation of the checks.
pub async fn all_facts(pool: &PgPool) -> Result<Vec<FactRow>, sqlx::Error> {
    sqlx::query_as!(
        FactRow,
        r#"SELECT id, tahun, kelurahan_kode AS "kelurahan_kode: Kode", usulan, lokasi, volume, satuan_raw, unit, anggaran, status, activity_code,
                  ST_X(pin) AS lon, ST_Y(pin) AS lat
             FROM proposal ORDER BY id"#
    )
    .fetch_all(pool)
    .await
}

/// Sets the recognised activity of proposals (after a catalogue change); returns how many changed.
pub async fn set_activities(
    conn: &mut PgConnection,
    ids: &[i64],
    codes: &[Option<String>],
) -> Result<u64, sqlx::Error> {
    let result = sqlx::query!(
        "UPDATE proposal p SET activity_code = t.code, updated_at = now()
           FROM unnest($1::int8[], $2::text[]) AS t(id, code)
          WHERE p.id = t.id AND p.activity_code IS DISTINCT FROM t.code",
        ids,
        codes as &[Option<String>],
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected())
}

/// Filters of the proposal list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// A kecamatan (or kota, provinsi, kelurahan) code: proposals within it.
    pub wilayah: String,
    pub tahun: Option<i32>,
    pub status: Option<String>,
    /// An anomaly code, `any` (at least one warning or high) or `none`.
    pub anomaly: Option<String>,
    /// `severity` (most serious first), `anggaran`, `unit_cost` or `id`.
    pub sort: String,
    pub limit: i64,
    pub offset: i64,
}

/// One proposal as listed.
#[derive(Debug, Clone)]
pub struct ProposalRow {
    pub id: i64,
    pub tahun: i32,
    pub kelurahan_kode: Kode,
    pub kelurahan_nama: String,
    pub kecamatan_kode: Kode,
    pub rw: Option<String>,
    pub rt: Option<String>,
    pub nomor: Option<String>,
    pub permasalahan: Option<String>,
    pub program: Option<String>,
    pub usulan: String,
    pub lokasi: Option<String>,
    pub volume: Decimal,
    pub satuan_raw: String,
    pub unit: Option<String>,
    pub anggaran: i64,
    pub skpd_tujuan: Option<String>,
    pub status: String,
    pub activity_code: Option<String>,
    pub activity_nama: Option<String>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// 3 high, 2 warning, 1 info, 0 none.
    pub severity_rank: i32,
    pub total: i64,
}

/// A page of proposals with the total count matching the filter.
pub async fn list(pool: &PgPool, f: &ListFilter) -> Result<Vec<ProposalRow>, sqlx::Error> {
    sqlx::query_as!(
        ProposalRow,
        r#"WITH ranked AS (
               SELECT p.*, w.nama AS kelurahan_nama, a.nama AS activity_nama,
                      coalesce((SELECT max(CASE x.severity WHEN 'high' THEN 3 WHEN 'warning' THEN 2 ELSE 1 END)
                                  FROM anomaly x WHERE x.proposal_id = p.id), 0) AS severity_rank
                 FROM proposal p
                 JOIN wilayah w ON w.kode = p.kelurahan_kode
                 LEFT JOIN activity_type a ON a.code = p.activity_code
                WHERE (p.kelurahan_kode = $1 OR (p.kelurahan_kode >= ($1 || '.') AND p.kelurahan_kode < ($1 || '/')))
                  AND ($2::int4 IS NULL OR p.tahun = $2)
                  AND ($3::text IS NULL OR p.status = $3)
                  AND ($4::text IS NULL
                       OR ($4 = 'any' AND EXISTS (SELECT 1 FROM anomaly x WHERE x.proposal_id = p.id AND x.severity <> 'info'))
                       OR ($4 = 'none' AND NOT EXISTS (SELECT 1 FROM anomaly x WHERE x.proposal_id = p.id AND x.severity <> 'info'))
                       OR EXISTS (SELECT 1 FROM anomaly x WHERE x.proposal_id = p.id AND x.code = $4))
           )
           SELECT id AS "id!", tahun AS "tahun!", kelurahan_kode AS "kelurahan_kode!: Kode", kelurahan_nama AS "kelurahan_nama!",
                  kecamatan_kode AS "kecamatan_kode!: Kode", rw AS "rw?", rt AS "rt?", nomor AS "nomor?",
                  permasalahan AS "permasalahan?", program AS "program?", usulan AS "usulan!", lokasi AS "lokasi?",
                  volume AS "volume!", satuan_raw AS "satuan_raw!", unit AS "unit?", anggaran AS "anggaran!",
                  skpd_tujuan AS "skpd_tujuan?", status AS "status!", activity_code AS "activity_code?",
                  activity_nama AS "activity_nama?", ST_X(pin) AS "lon?", ST_Y(pin) AS "lat?",
                  severity_rank AS "severity_rank!", count(*) OVER () AS "total!"
             FROM ranked
            ORDER BY CASE WHEN $5 = 'severity' THEN severity_rank END DESC,
                     CASE WHEN $5 IN ('severity', 'anggaran') THEN anggaran END DESC,
                     CASE WHEN $5 = 'unit_cost' THEN anggaran / volume END DESC,
                     id
            LIMIT $6 OFFSET $7"#,
        f.wilayah,
        f.tahun,
        f.status,
        f.anomaly,
        f.sort,
        f.limit,
        f.offset,
    )
    .fetch_all(pool)
    .await
}

/// One proposal, by id.
pub async fn get(pool: &PgPool, id: i64) -> Result<Option<ProposalRow>, sqlx::Error> {
    sqlx::query_as!(
        ProposalRow,
        r#"SELECT p.id, p.tahun, p.kelurahan_kode AS "kelurahan_kode: Kode", w.nama AS kelurahan_nama, p.kecamatan_kode AS "kecamatan_kode!: Kode", p.rw, p.rt, p.nomor,
                  p.permasalahan, p.program, p.usulan, p.lokasi, p.volume, p.satuan_raw, p.unit, p.anggaran,
                  p.skpd_tujuan, p.status, p.activity_code, a.nama AS "activity_nama?", ST_X(p.pin) AS lon, ST_Y(p.pin) AS lat,
                  coalesce((SELECT max(CASE x.severity WHEN 'high' THEN 3 WHEN 'warning' THEN 2 ELSE 1 END)
                              FROM anomaly x WHERE x.proposal_id = p.id), 0) AS "severity_rank!",
                  1::int8 AS "total!"
             FROM proposal p
             JOIN wilayah w ON w.kode = p.kelurahan_kode
             LEFT JOIN activity_type a ON a.code = p.activity_code
            WHERE p.id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await
}

/// For every synthetic demo proposal of a year (imported from `synthetic_usulan_*`): its `No` and its
/// anomalies' codes and severities (empty when none).
pub async fn anomaly_codes_by_nomor(
    pool: &PgPool,
    tahun: i32,
) -> Result<std::collections::HashMap<String, Vec<(String, String)>>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT coalesce(p.nomor, p.id::text) AS "nomor!", a.code AS "code?", a.severity AS "severity?"
             FROM proposal p LEFT JOIN anomaly a ON a.proposal_id = p.id
            WHERE p.tahun = $1 AND p.source LIKE 'synthetic\_usulan\_%'"#,
        tahun
    )
    .fetch_all(pool)
    .await?;
    let mut out: std::collections::HashMap<String, Vec<(String, String)>> =
        std::collections::HashMap::new();
    for r in rows {
        let entry = out.entry(r.nomor).or_default();
        if let (Some(code), Some(severity)) = (r.code, r.severity) {
            entry.push((code, severity));
        }
    }
    Ok(out)
}

/// A proposal's kelurahan and version, by id.
pub async fn scope_and_version(pool: &PgPool, id: i64) -> Result<Option<(Kode, i32)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT kelurahan_kode AS "kelurahan_kode: Kode", version FROM proposal WHERE id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| (r.kelurahan_kode, r.version)))
}
