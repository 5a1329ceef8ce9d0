//! Transaction-scoped advisory locks that serialise whole-table work.

use sqlx::PgConnection;

/// One analysis (the proposal checks over everything) at a time; a second waits, then sees the
/// first one's result.
pub async fn analysis(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtext('tinjau-analysis'))")
        .execute(conn)
        .await?;
    Ok(())
}

/// One import at a time: two never interleave.
pub async fn import(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtext('tinjau-import'))")
        .execute(conn)
        .await?;
    Ok(())
}
