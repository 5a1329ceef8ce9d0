//! The `price_item` table: regional unit-price standards.

use sqlx::{PgConnection, PgPool};
use survey_schema::{WilayahKode, WilayahLevel};

/// Columns of a batch of price items to upsert, index-aligned.
#[derive(Debug, Default)]
pub struct PriceBatch {
    pub external_ids: Vec<String>,
    pub items: Vec<String>,
    pub spesifikasi: Vec<String>,
    pub satuan_raw: Vec<String>,
    pub units: Vec<Option<String>>,
    pub harga: Vec<i64>,
    pub kelompok: Vec<Option<String>>,
}

/// Inserts or updates a region's and year's items; returns `(inserted, updated)`.
pub async fn upsert(
    conn: &mut PgConnection,
    region: &str,
    tahun: i32,
    source: &str,
    batch: &PriceBatch,
) -> Result<(usize, usize), sqlx::Error> {
    let rows = sqlx::query!(
        r#"INSERT INTO price_item (region_kode, tahun, source, external_id, item, spesifikasi, satuan_raw, unit, harga, kelompok)
           SELECT $1, $2, $3, t.* FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int8[], $10::text[])
                AS t(external_id, item, spesifikasi, satuan_raw, unit, harga, kelompok)
           ON CONFLICT (region_kode, tahun, source, external_id) DO UPDATE
              SET item = excluded.item, spesifikasi = excluded.spesifikasi, satuan_raw = excluded.satuan_raw,
                  unit = excluded.unit, harga = excluded.harga, kelompok = excluded.kelompok, imported_at = now()
            WHERE (price_item.item, price_item.spesifikasi, price_item.satuan_raw, price_item.unit, price_item.harga, price_item.kelompok)
                  IS DISTINCT FROM (excluded.item, excluded.spesifikasi, excluded.satuan_raw, excluded.unit, excluded.harga, excluded.kelompok)
           RETURNING (xmax = 0) AS "inserted!""#,
        region,
        tahun,
        source,
        &batch.external_ids,
        &batch.items,
        &batch.spesifikasi,
        &batch.satuan_raw,
        &batch.units as &[Option<String>],
        &batch.harga,
        &batch.kelompok as &[Option<String>],
    )
    .fetch_all(conn)
    .await?;
    let inserted = rows.iter().filter(|r| r.inserted).count();
    Ok((inserted, rows.len() - inserted))
}

/// A standard price found for an activity.
#[derive(Debug, Clone)]
pub struct StandardPrice {
    /// Median harga of the matching items, whole rupiah.
    pub harga: i64,
    pub items: i64,
    pub region_kode: String,
    pub tahun: i32,
    pub source: String,
    pub example_item: String,
}

/// The price of items matching `pattern` in `unit`, preferring (in order) the proposal's city, its
/// province, then any region; and the latest year not after `tahun`, then any year.
pub async fn standard_price(
    pool: &PgPool,
    pattern: &str,
    unit: &str,
    kota: &WilayahKode,
    tahun: i32,
) -> Result<Option<StandardPrice>, sqlx::Error> {
    let provinsi = kota
        .ancestor(WilayahLevel::Provinsi)
        .unwrap_or_else(|| kota.clone());
    let row = sqlx::query!(
        r#"WITH matching AS (
               SELECT region_kode, tahun, source, harga, item || CASE WHEN spesifikasi <> '' AND spesifikasi <> item THEN ' ' || spesifikasi ELSE '' END AS label
                 FROM price_item
                WHERE unit = $2 AND lower(item || ' ' || spesifikasi) LIKE lower($1)
           ), best AS (
               SELECT region_kode, tahun, source
                 FROM matching
                ORDER BY (region_kode = $3) DESC, (region_kode = $4) DESC, (tahun <= $5) DESC, abs(tahun - $5), region_kode, source
                LIMIT 1
           )
           SELECT m.region_kode AS "region_kode!", m.tahun AS "tahun!", m.source AS "source!",
                  (percentile_disc(0.5) WITHIN GROUP (ORDER BY m.harga))::int8 AS "harga!",
                  count(*) AS "items!", min(m.label) AS "example_item!"
             FROM matching m JOIN best b USING (region_kode, tahun, source)
            GROUP BY m.region_kode, m.tahun, m.source"#,
        pattern,
        unit,
        kota.as_str(),
        provinsi.as_str(),
        tahun,
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| StandardPrice {
        harga: r.harga,
        items: r.items,
        region_kode: r.region_kode,
        tahun: r.tahun,
        source: r.source,
        example_item: r.example_item,
    }))
}
