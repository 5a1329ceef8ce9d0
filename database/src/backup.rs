//! What a backup reads in one snapshot and a restore checks: every table's rows, the audit head,
//! the newest migration, the objects the database refers to.

use sqlx::{PgConnection, PgPool};

/// Exports the transaction's snapshot for `pg_dump --snapshot` (the transaction must be
/// `REPEATABLE READ` and stay open until `pg_dump` has started).
pub async fn export_snapshot(conn: &mut PgConnection) -> Result<String, sqlx::Error> {
    sqlx::query_scalar!(r#"SELECT pg_export_snapshot() AS "snapshot!""#)
        .fetch_one(conn)
        .await
}

/// Rows of every table of the `public` schema (PostGIS's `spatial_ref_sys` aside), by name. The
/// table names come from the catalogue and are quoted by `format('%I')`, within the query.
pub async fn table_counts(conn: &mut PgConnection) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT c.relname AS "table!",
                  (xpath('/row/n/text()',
                         query_to_xml(format('SELECT count(*) AS n FROM public.%I', c.relname), false, true, ''))
                  )[1]::text::bigint AS "rows!"
             FROM pg_class c
             JOIN pg_namespace ns ON ns.oid = c.relnamespace
            WHERE ns.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
              AND c.relname <> 'spatial_ref_sys'
            ORDER BY c.relname"#
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.table, r.rows)).collect())
}

/// The tables of the `public` schema (an empty database has none but PostGIS's).
pub async fn user_tables(pool: &PgPool) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT c.relname AS "table!"
             FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
            WHERE ns.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> 'spatial_ref_sys'
            ORDER BY c.relname"#
    )
    .fetch_all(pool)
    .await
}

/// The audit chain's last row: its sequence number and hash.
pub async fn audit_head(conn: &mut PgConnection) -> Result<Option<(i64, String)>, sqlx::Error> {
    let row = sqlx::query!("SELECT seq, row_hash FROM audit_event ORDER BY seq DESC LIMIT 1")
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| (r.seq, r.row_hash)))
}

/// The newest migration applied. (Not a `query!`: `_sqlx_migrations` is sqlx's own table, which
/// the offline metadata's scratch database, migrated by psql, does not have.)
pub async fn newest_migration(conn: &mut PgConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT coalesce(max(version), 0) FROM _sqlx_migrations")
        .fetch_one(conn)
        .await
}

/// The stored objects the database refers to, as `(key, SHA-256, bytes)`: every received photo
/// (its key is its hash) and every thumbnail made of one (whose own hash the database does not
/// keep).
pub async fn objects(
    conn: &mut PgConnection,
) -> Result<Vec<(String, Option<String>, Option<i64>)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT key AS "key!", sha256, bytes FROM (
               SELECT DISTINCT 'photos/' || sha256 AS key, sha256, bytes
                 FROM survey_photo WHERE received_at IS NOT NULL
               UNION
               SELECT DISTINCT 'thumbs/' || sha256, NULL::text, NULL::bigint
                 FROM survey_photo WHERE has_thumbnail
           ) o ORDER BY key"#
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.key, r.sha256, r.bytes))
        .collect())
}

/// Makes the role the server works as (`tinjau_app`) when the cluster lacks it, and lets the
/// connecting role act as it, as the migration that introduced it does.
pub async fn ensure_app_role(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DO $$
         BEGIN
             IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tinjau_app') THEN
                 BEGIN
                     CREATE ROLE tinjau_app NOLOGIN;
                 EXCEPTION WHEN duplicate_object THEN
                     NULL;
                 END;
             END IF;
             IF current_user <> 'tinjau_app' AND NOT pg_has_role(current_user, 'tinjau_app', 'MEMBER') THEN
                 EXECUTE format('GRANT tinjau_app TO %I', current_user);
             END IF;
         END $$"
    )
    .execute(pool)
    .await?;
    Ok(())
}
