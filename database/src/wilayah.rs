//! The `wilayah` table: official area codes.

use crate::Kode;
use sqlx::{PgConnection, PgPool};
use survey_schema::{WilayahKode, WilayahLevel, WilayahRef};

/// One row of `wilayah`.
#[derive(Debug, Clone)]
pub struct WilayahRow {
    pub kode: Kode,
    pub nama: String,
    pub level: i16,
}

impl WilayahRow {
    /// The wire form. Rows satisfy the table's CHECK constraints, so a level cannot be out of
    /// range unless the database was edited by hand; such a row is reported as an internal error.
    pub fn to_ref(&self) -> anyhow::Result<WilayahRef> {
        let kode = self.kode.0.clone();
        let level = WilayahLevel::from_number(self.level)
            .ok_or_else(|| anyhow::anyhow!("wilayah {} has level {}", self.kode, self.level))?;
        Ok(WilayahRef {
            jenis: kode.jenis().to_owned(),
            kode,
            nama: self.nama.clone(),
            level,
        })
    }
}

pub async fn find(pool: &PgPool, kode: &WilayahKode) -> Result<Option<WilayahRow>, sqlx::Error> {
    sqlx::query_as!(
        WilayahRow,
        r#"SELECT kode AS "kode: Kode", nama, level FROM wilayah WHERE kode = $1"#,
        kode.as_str()
    )
    .fetch_optional(pool)
    .await
}

pub async fn children(pool: &PgPool, kode: &WilayahKode) -> Result<Vec<WilayahRow>, sqlx::Error> {
    sqlx::query_as!(
        WilayahRow,
        r#"SELECT kode AS "kode: Kode", nama, level FROM wilayah WHERE parent_kode = $1 ORDER BY kode"#,
        kode.as_str()
    )
    .fetch_all(pool)
    .await
}

/// The codes among `kodes` that exist, with their level.
pub async fn levels_of(
    conn: &mut PgConnection,
    kodes: &[String],
) -> Result<Vec<(String, i16)>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT kode, level FROM wilayah WHERE kode = ANY($1::text[])",
        kodes
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.kode, r.level)).collect())
}

/// Columns of a batch of rows to upsert, index-aligned.
#[derive(Debug, Default)]
pub struct WilayahBatch {
    pub kodes: Vec<String>,
    pub namas: Vec<String>,
    pub levels: Vec<i16>,
    pub parents: Vec<Option<String>>,
}

/// Inserts new codes and renames changed ones; returns `(inserted, updated)`. Unchanged rows are
/// not touched, so a re-import of the same file writes nothing.
pub async fn upsert(
    conn: &mut PgConnection,
    batch: &WilayahBatch,
) -> Result<(usize, usize), sqlx::Error> {
    let rows = sqlx::query!(
        r#"INSERT INTO wilayah (kode, nama, level, parent_kode)
           SELECT * FROM unnest($1::text[], $2::text[], $3::int2[], $4::text[])
           ON CONFLICT (kode) DO UPDATE
              SET nama = excluded.nama, parent_kode = excluded.parent_kode, updated_at = now()
            WHERE (wilayah.nama, wilayah.parent_kode) IS DISTINCT FROM (excluded.nama, excluded.parent_kode)
           RETURNING (xmax = 0) AS "inserted!""#,
        &batch.kodes,
        &batch.namas,
        &batch.levels,
        &batch.parents as &[Option<String>],
    )
    .fetch_all(conn)
    .await?;
    let inserted = rows.iter().filter(|r| r.inserted).count();
    Ok((inserted, rows.len() - inserted))
}

/// The kecamatan and kelurahan/desa within `prefix` (a code; empty: the whole country).
pub async fn within(pool: &PgPool, prefix: &str) -> Result<Vec<WilayahRow>, sqlx::Error> {
    sqlx::query_as!(
        WilayahRow,
        r#"SELECT kode AS "kode: Kode", nama, level FROM wilayah
            WHERE level >= 3
              AND ($1 = '' OR kode = $1 OR (kode >= ($1 || '.') AND kode < ($1 || '/')))
            ORDER BY kode"#,
        prefix
    )
    .fetch_all(pool)
    .await
}

/// Recorded old names `(alias, kode)` of the kelurahan within `prefix` (empty: everywhere).
pub async fn aliases_within(
    pool: &PgPool,
    prefix: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT alias, kode FROM wilayah_alias
          WHERE $1 = '' OR kode = $1 OR (kode >= ($1 || '.') AND kode < ($1 || '/'))
          ORDER BY alias_key",
        prefix
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.alias, r.kode)).collect())
}

/// Records old names; returns how many were new or pointed elsewhere before.
pub async fn upsert_aliases(
    conn: &mut PgConnection,
    keys: &[String],
    aliases: &[String],
    kodes: &[String],
    source: &str,
) -> Result<(usize, usize), sqlx::Error> {
    let rows = sqlx::query!(
        r#"INSERT INTO wilayah_alias (alias_key, alias, kode, source)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS t(alias_key, alias, kode), (SELECT $4::text) s
           ON CONFLICT (alias_key) DO UPDATE SET alias = excluded.alias, kode = excluded.kode, source = excluded.source
            WHERE (wilayah_alias.alias, wilayah_alias.kode) IS DISTINCT FROM (excluded.alias, excluded.kode)
           RETURNING (xmax = 0) AS "inserted!""#,
        keys,
        aliases,
        kodes as &[String],
        source
    )
    .fetch_all(conn)
    .await?;
    let inserted = rows.iter().filter(|r| r.inserted).count();
    Ok((inserted, rows.len() - inserted))
}
