//! The `boundary` table: area polygons (PostGIS `geometry(MultiPolygon, 4326)`).
//!
//! "Within an area" is a code range: with the "C" collation the descendants of `31.71` are exactly
//! the codes `>= '31.71.'` and `< '31.71/'`, which the primary-key index answers directly.

use sqlx::{PgConnection, PgPool};
use survey_schema::WilayahKode;

/// A geometry that PostGIS finds invalid, before repair.
#[derive(Debug, Clone)]
pub struct InvalidGeometry {
    /// Position in the batch (0-based).
    pub position: usize,
    /// `ST_IsValidReason`, e.g. `Self-intersection[106.8 -6.2]`.
    pub reason: String,
    /// Whether `ST_MakeValid` leaves no polygon at all (the feature is then refused).
    pub empty_after_repair: bool,
}

/// Checks a batch of GeoJSON geometries with `ST_IsValid`; returns only the invalid ones.
pub async fn invalid_geometries(
    conn: &mut PgConnection,
    geojson: &[String],
) -> Result<Vec<InvalidGeometry>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT (t.ord - 1)::int8 AS "position!",
                  ST_IsValidReason(g.geom) AS "reason!",
                  ST_IsEmpty(ST_CollectionExtract(ST_MakeValid(g.geom), 3)) AS "empty_after_repair!"
             FROM unnest($1::text[]) WITH ORDINALITY AS t(gj, ord)
            CROSS JOIN LATERAL (SELECT ST_GeomFromGeoJSON(t.gj) AS geom) AS g
            WHERE NOT ST_IsValid(g.geom)
            ORDER BY t.ord"#,
        geojson
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| InvalidGeometry {
            position: usize::try_from(r.position).unwrap_or(usize::MAX),
            reason: r.reason,
            empty_after_repair: r.empty_after_repair,
        })
        .collect())
}

/// Writes a batch of boundaries (invalid ones repaired); returns `(inserted, updated)`. A boundary
/// whose geometry is unchanged is not touched, so its `imported_at` (and the ETag) stay.
pub async fn upsert(
    conn: &mut PgConnection,
    kodes: &[String],
    geojson: &[String],
    level: i16,
    source: &str,
) -> Result<(usize, usize), sqlx::Error> {
    let rows = sqlx::query!(
        r#"WITH input AS (
               SELECT t.kode, ST_SetSRID(ST_GeomFromGeoJSON(t.gj), 4326) AS raw
                 FROM unnest($1::text[], $2::text[]) AS t(kode, gj)
           ), fixed AS (
               SELECT kode,
                      ST_Multi(CASE WHEN ST_IsValid(raw) THEN raw
                                    ELSE ST_CollectionExtract(ST_MakeValid(raw), 3) END) AS geom,
                      NOT ST_IsValid(raw) AS repaired
                 FROM input
           )
           INSERT INTO boundary (kode, level, geom, source, repaired)
           SELECT kode, $3, geom, $4, repaired FROM fixed
           ON CONFLICT (kode) DO UPDATE
              SET level = excluded.level, geom = excluded.geom, source = excluded.source,
                  repaired = excluded.repaired, imported_at = now()
            WHERE boundary.level <> excluded.level
               OR ST_AsBinary(boundary.geom) <> ST_AsBinary(excluded.geom)
           RETURNING (xmax = 0) AS "inserted!""#,
        kodes,
        geojson,
        level,
        source,
    )
    .fetch_all(conn)
    .await?;
    let inserted = rows.iter().filter(|r| r.inserted).count();
    Ok((inserted, rows.len() - inserted))
}

/// Number of boundaries at each level (1–4), for summaries and readiness.
pub async fn count_by_level(pool: &PgPool) -> Result<Vec<(i16, i64)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT level, count(*) AS "n!" FROM boundary GROUP BY level ORDER BY level"#
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.level, r.n)).collect())
}

/// Whether `kode` has a boundary, and how many kelurahan boundaries lie within it (itself included
/// when it is a kelurahan).
pub async fn coverage(pool: &PgPool, kode: &WilayahKode) -> Result<(bool, i64), sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT EXISTS (SELECT 1 FROM boundary WHERE kode = $1) AS "own!",
                  (SELECT count(*) FROM boundary
                    WHERE level = 4
                      AND (kode = $1 OR (kode >= ($1 || '.') AND kode < ($1 || '/')))) AS "kelurahan!""#,
        kode.as_str()
    )
    .fetch_one(pool)
    .await?;
    Ok((row.own, row.kelurahan))
}

/// A cheap fingerprint of the kelurahan boundaries within `kode`: changes whenever a boundary is
/// added, removed, re-imported with another geometry, or renamed. The same expression is computed
/// by [`kelurahan_collection`], in the same snapshot as the body it describes.
pub async fn kelurahan_fingerprint(
    pool: &PgPool,
    kode: &WilayahKode,
) -> Result<String, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT md5(coalesce(string_agg(b.kode || '|' || w.nama || '|' || b.imported_at::text, ',' ORDER BY b.kode), ''))
                  AS "fingerprint!"
             FROM boundary b JOIN wilayah w USING (kode)
            WHERE b.level = 4
              AND (b.kode = $1 OR (b.kode >= ($1 || '.') AND b.kode < ($1 || '/')))"#,
        kode.as_str()
    )
    .fetch_one(pool)
    .await
}

/// A fingerprint of every kelurahan boundary (codes, names, import times): it changes when an
/// import changes any of them, so a server can tell whether its index is current.
pub async fn all_kelurahan_fingerprint(pool: &PgPool) -> Result<String, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT md5(coalesce(string_agg(b.kode || '|' || w.nama || '|' || b.imported_at::text, ',' ORDER BY b.kode), ''))
                  AS "fingerprint!"
             FROM boundary b JOIN wilayah w USING (kode)
            WHERE b.level = 4"#
    )
    .fetch_one(pool)
    .await
}

/// The kelurahan boundaries within `kode` as a GeoJSON FeatureCollection with `kode` and `nama`
/// properties, coordinates to 7 decimals (about 1 cm), with its fingerprint.
pub async fn kelurahan_collection(
    pool: &PgPool,
    kode: &WilayahKode,
) -> Result<(String, String), sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT md5(coalesce(string_agg(b.kode || '|' || w.nama || '|' || b.imported_at::text, ',' ORDER BY b.kode), ''))
                  AS "fingerprint!",
                  json_build_object(
                    'type', 'FeatureCollection',
                    'features', coalesce(json_agg(json_build_object(
                        'type', 'Feature',
                        'properties', json_build_object('kode', b.kode, 'nama', w.nama),
                        'geometry', ST_AsGeoJSON(b.geom, 7)::json) ORDER BY b.kode), '[]'::json)
                  )::text AS "collection!"
             FROM boundary b JOIN wilayah w USING (kode)
            WHERE b.level = 4
              AND (b.kode = $1 OR (b.kode >= ($1 || '.') AND b.kode < ($1 || '/')))"#,
        kode.as_str()
    )
    .fetch_one(pool)
    .await?;
    Ok((row.fingerprint, row.collection))
}

/// Every kelurahan boundary with its name, geometry as Well-Known Binary, for the in-memory index
/// (binary: the whole country's 8.7 million positions arrive and parse several times faster than
/// as GeoJSON text).
pub async fn kelurahan_geometries(
    pool: &PgPool,
) -> Result<Vec<(String, String, Vec<u8>)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT b.kode, w.nama, ST_AsBinary(b.geom) AS "wkb!"
             FROM boundary b JOIN wilayah w USING (kode)
            WHERE b.level = 4
            ORDER BY b.kode"#
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.kode, r.nama, r.wkb)).collect())
}

/// The channel on which a committed kelurahan-boundary import is announced to running servers.
pub const CHANGED_CHANNEL: &str = "tinjau_boundaries";

/// Announces, on commit of `conn`'s transaction, that kelurahan boundaries changed.
pub async fn notify_changed(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query!("SELECT pg_notify('tinjau_boundaries', 'kelurahan')")
        .execute(conn)
        .await?;
    Ok(())
}
