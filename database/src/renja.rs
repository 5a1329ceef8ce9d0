//! `renja_item`: the agencies' work plan lines.

use rust_decimal::Decimal;
use sqlx::PgConnection;

/// A Renja line to write, as the import checked it.
#[derive(Debug)]
pub struct RenjaLine {
    pub natural_key: String,
    pub kode_program: Option<String>,
    pub nama_program: Option<String>,
    pub kode_kegiatan: Option<String>,
    pub nama_kegiatan: Option<String>,
    pub kode_sub: String,
    pub nama_sub: String,
    pub uraian: Option<String>,
    pub indikator: Option<String>,
    pub target: Option<Decimal>,
    pub satuan_raw: Option<String>,
    pub lokasi: Option<String>,
    pub kelurahan: Option<String>,
    pub kecamatan: Option<String>,
    /// WKT (`POINT(lon lat)` or `LINESTRING(...)`).
    pub geometry: Option<String>,
    pub pagu: i64,
    pub sumber_dana: Option<String>,
}

/// Rows to write, column by column (one `unnest` statement).
#[derive(Debug, Default)]
pub struct RenjaBatch {
    pub natural_keys: Vec<String>,
    pub kode_program: Vec<Option<String>>,
    pub nama_program: Vec<Option<String>>,
    pub kode_kegiatan: Vec<Option<String>>,
    pub nama_kegiatan: Vec<Option<String>>,
    pub kode_sub: Vec<String>,
    pub nama_sub: Vec<String>,
    pub uraian: Vec<Option<String>>,
    pub indikator: Vec<Option<String>>,
    pub target: Vec<Option<Decimal>>,
    pub satuan_raw: Vec<Option<String>>,
    pub unit: Vec<Option<String>>,
    pub lokasi: Vec<Option<String>>,
    pub kelurahan: Vec<Option<String>>,
    pub kecamatan: Vec<Option<String>>,
    pub geometry: Vec<Option<String>>,
    pub pagu: Vec<i64>,
    pub sumber_dana: Vec<Option<String>>,
    pub activity_code: Vec<Option<String>>,
    pub source_row: Vec<i32>,
}

impl RenjaBatch {
    pub fn len(&self) -> usize {
        self.natural_keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.natural_keys.is_empty()
    }

    /// Adds a line, with its unit normalised and its catalogue activity.
    pub fn push(
        &mut self,
        row: RenjaLine,
        unit: Option<String>,
        activity: Option<String>,
        source_row: usize,
    ) {
        self.natural_keys.push(row.natural_key);
        self.kode_program.push(row.kode_program);
        self.nama_program.push(row.nama_program);
        self.kode_kegiatan.push(row.kode_kegiatan);
        self.nama_kegiatan.push(row.nama_kegiatan);
        self.kode_sub.push(row.kode_sub);
        self.nama_sub.push(row.nama_sub);
        self.uraian.push(row.uraian);
        self.indikator.push(row.indikator);
        self.target.push(row.target);
        self.unit.push(unit);
        self.satuan_raw.push(row.satuan_raw);
        self.lokasi.push(row.lokasi);
        self.kelurahan.push(row.kelurahan);
        self.kecamatan.push(row.kecamatan);
        self.geometry.push(row.geometry);
        self.pagu.push(row.pagu);
        self.sumber_dana.push(row.sumber_dana);
        self.activity_code.push(activity);
        self.source_row
            .push(i32::try_from(source_row).unwrap_or(i32::MAX));
    }
}

/// A line the upsert inserted or changed, with its values before (when it existed) and after.
#[derive(Debug)]
pub struct ChangedItem {
    pub id: i64,
    pub inserted: bool,
    pub before: Option<serde_json::Value>,
    pub after: serde_json::Value,
}

/// Inserts new lines and updates changed ones; unchanged lines are left (and not returned).
pub async fn upsert(
    conn: &mut PgConnection,
    opd_id: i64,
    tahun: i32,
    source: &str,
    b: &RenjaBatch,
) -> Result<Vec<ChangedItem>, sqlx::Error> {
    sqlx::query_as!(
        ChangedItem,
        r#"WITH input AS (
               SELECT t.*, CASE WHEN t.wkt IS NULL THEN NULL ELSE ST_GeomFromText(t.wkt, 4326) END AS geom
                 FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                             $11::text[], $12::text[], $13::numeric[], $14::text[], $15::text[], $16::text[],
                             $17::text[], $18::text[], $19::text[], $20::int8[], $21::text[], $22::text[], $23::int4[])
                   AS t(natural_key, kode_program, nama_program, kode_kegiatan, nama_kegiatan, kode_sub_kegiatan,
                        nama_sub_kegiatan, uraian, indikator, target, satuan_raw, unit, lokasi, kelurahan_kode,
                        kecamatan_kode, wkt, pagu, sumber_dana, activity_code, source_row)
           ), old AS (
               SELECT r.natural_key,
                      jsonb_build_object('nama_sub_kegiatan', r.nama_sub_kegiatan, 'uraian', r.uraian,
                                         'indikator', r.indikator, 'target', r.target, 'satuan', r.satuan_raw,
                                         'pagu', r.pagu, 'geom', ST_AsText(r.geom), 'activity', r.activity_code) AS before
                 FROM renja_item r
                WHERE r.opd_id = $1 AND r.tahun = $2 AND r.natural_key = ANY($4)
           ), up AS (
               INSERT INTO renja_item (opd_id, tahun, natural_key, kode_program, nama_program, kode_kegiatan, nama_kegiatan,
                                       kode_sub_kegiatan, nama_sub_kegiatan, uraian, indikator, target, satuan_raw, unit,
                                       lokasi, kelurahan_kode, kecamatan_kode, geom, pagu, sumber_dana, activity_code,
                                       source, source_row)
               SELECT $1, $2, natural_key, kode_program, nama_program, kode_kegiatan, nama_kegiatan, kode_sub_kegiatan,
                      nama_sub_kegiatan, uraian, indikator, target, satuan_raw, unit, lokasi, kelurahan_kode,
                      kecamatan_kode, geom, pagu, sumber_dana, activity_code, $3, source_row
                 FROM input
               ON CONFLICT (opd_id, tahun, natural_key) DO UPDATE
                  SET kode_program = excluded.kode_program, nama_program = excluded.nama_program,
                      kode_kegiatan = excluded.kode_kegiatan, nama_kegiatan = excluded.nama_kegiatan,
                      nama_sub_kegiatan = excluded.nama_sub_kegiatan, uraian = excluded.uraian,
                      indikator = excluded.indikator, target = excluded.target,
                      satuan_raw = excluded.satuan_raw, unit = excluded.unit, lokasi = excluded.lokasi,
                      geom = excluded.geom, pagu = excluded.pagu, sumber_dana = excluded.sumber_dana,
                      activity_code = excluded.activity_code, source = excluded.source,
                      source_row = excluded.source_row, updated_at = now()
                WHERE (renja_item.kode_program, renja_item.nama_program, renja_item.kode_kegiatan,
                       renja_item.nama_kegiatan, renja_item.nama_sub_kegiatan, renja_item.uraian,
                       renja_item.indikator, renja_item.target,
                       renja_item.satuan_raw, renja_item.unit, renja_item.lokasi, renja_item.pagu,
                       renja_item.sumber_dana, renja_item.activity_code)
                      IS DISTINCT FROM
                      (excluded.kode_program, excluded.nama_program, excluded.kode_kegiatan, excluded.nama_kegiatan,
                       excluded.nama_sub_kegiatan, excluded.uraian, excluded.indikator, excluded.target, excluded.satuan_raw, excluded.unit,
                       excluded.lokasi, excluded.pagu, excluded.sumber_dana, excluded.activity_code)
                   OR NOT (renja_item.geom IS NOT DISTINCT FROM excluded.geom)
               RETURNING renja_item.id, renja_item.natural_key, (xmax = 0) AS inserted,
                         jsonb_build_object('opd_id', renja_item.opd_id, 'tahun', renja_item.tahun,
                                            'kode_sub_kegiatan', renja_item.kode_sub_kegiatan,
                                            'nama_sub_kegiatan', renja_item.nama_sub_kegiatan,
                                            'uraian', renja_item.uraian, 'indikator', renja_item.indikator,
                                            'target', renja_item.target, 'satuan', renja_item.satuan_raw,
                                            'kelurahan', renja_item.kelurahan_kode, 'kecamatan', renja_item.kecamatan_kode,
                                            'geom', ST_AsText(renja_item.geom), 'pagu', renja_item.pagu,
                                            'activity', renja_item.activity_code, 'source', renja_item.source,
                                            'source_row', renja_item.source_row) AS after
           )
           SELECT up.id AS "id!", up.inserted AS "inserted!",
                  CASE WHEN up.inserted THEN NULL ELSE old.before END AS before, up.after AS "after!"
             FROM up LEFT JOIN old ON old.natural_key = up.natural_key
            ORDER BY up.id"#,
        opd_id,
        tahun,
        source,
        &b.natural_keys,
        &b.kode_program as &[Option<String>],
        &b.nama_program as &[Option<String>],
        &b.kode_kegiatan as &[Option<String>],
        &b.nama_kegiatan as &[Option<String>],
        &b.kode_sub,
        &b.nama_sub,
        &b.uraian as &[Option<String>],
        &b.indikator as &[Option<String>],
        &b.target as &[Option<Decimal>],
        &b.satuan_raw as &[Option<String>],
        &b.unit as &[Option<String>],
        &b.lokasi as &[Option<String>],
        &b.kelurahan as &[Option<String>],
        &b.kecamatan as &[Option<String>],
        &b.geometry as &[Option<String>],
        &b.pagu,
        &b.sumber_dana as &[Option<String>],
        &b.activity_code as &[Option<String>],
        &b.source_row
    )
    .fetch_all(conn)
    .await
}

/// How many of an agency's lines for the year are not among `keys`.
pub async fn count_not_in(
    conn: &mut PgConnection,
    opd_id: i64,
    tahun: i32,
    keys: &[String],
) -> Result<usize, sqlx::Error> {
    let n = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM renja_item
            WHERE opd_id = $1 AND tahun = $2 AND NOT (natural_key = ANY($3))"#,
        opd_id,
        tahun,
        keys
    )
    .fetch_one(conn)
    .await?;
    Ok(usize::try_from(n).unwrap_or(0))
}
