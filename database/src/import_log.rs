//! The `import_log` table: one row per reference-data import.

use sqlx::PgConnection;

/// What one import did, as recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub total: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub repaired: usize,
}

fn as_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

pub async fn record(
    conn: &mut PgConnection,
    kind: &str,
    source: &str,
    sha256: &str,
    counts: &ImportCounts,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO import_log (kind, source, sha256, rows_total, inserted, updated, unchanged, repaired)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        kind,
        source,
        sha256,
        as_i32(counts.total),
        as_i32(counts.inserted),
        as_i32(counts.updated),
        as_i32(counts.unchanged),
        as_i32(counts.repaired),
    )
    .fetch_one(conn)
    .await
}

/// An import as recorded.
#[derive(Debug, Clone)]
pub struct LoggedImport {
    pub id: i64,
    pub kind: String,
    pub source: String,
    pub sha256: String,
    pub rows_total: i32,
    pub inserted: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub imported_at: chrono::DateTime<chrono::Utc>,
}

/// The latest imports, newest first.
pub async fn recent(pool: &sqlx::PgPool, limit: i64) -> Result<Vec<LoggedImport>, sqlx::Error> {
    sqlx::query_as!(
        LoggedImport,
        "SELECT id, kind, source, sha256, rows_total, inserted, updated, unchanged, imported_at
           FROM import_log ORDER BY id DESC LIMIT $1",
        limit
    )
    .fetch_all(pool)
    .await
}
