//! The `audit_event` table: the append-only, hash-chained trail (see the review migration).

use sqlx::{PgConnection, PgPool};

/// Rows to append in one call, index-aligned.
#[derive(Debug, Default)]
pub struct AuditBatch {
    pub entity_ids: Vec<String>,
    pub proposal_ids: Vec<Option<i64>>,
    pub kecamatan: Vec<Option<String>>,
    pub before: Vec<Option<serde_json::Value>>,
    pub after: Vec<Option<serde_json::Value>>,
}

/// Who appended, and what.
#[derive(Debug, Clone, Copy)]
pub struct AuditHeader<'a> {
    pub actor: &'a str,
    pub actor_id: Option<i64>,
    pub actor_role: Option<&'a str>,
    pub action: &'a str,
    pub entity: &'a str,
    pub request_id: Option<&'a str>,
}

/// Appends the rows, chained after the current head; returns the new head (seq, hash).
pub async fn append(
    conn: &mut PgConnection,
    header: AuditHeader<'_>,
    batch: &AuditBatch,
) -> Result<(i64, String), sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT head_seq AS "seq!", head_hash AS "hash!"
             FROM audit_append($1, $2, $3, $4, $5, $6::text[], $7::int8[], $8::text[], $9::jsonb[], $10::jsonb[], $11)"#,
        header.actor,
        header.actor_id,
        header.actor_role,
        header.action,
        header.entity,
        &batch.entity_ids,
        &batch.proposal_ids as &[Option<i64>],
        &batch.kecamatan as &[Option<String>],
        &batch.before as &[Option<serde_json::Value>],
        &batch.after as &[Option<serde_json::Value>],
        header.request_id,
    )
    .fetch_one(conn)
    .await?;
    Ok((row.seq, row.hash))
}

/// One stored row.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub seq: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor: String,
    pub actor_role: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub proposal_id: Option<i64>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
    pub row_hash: String,
}

/// A proposal's story: every row naming it, oldest first.
pub async fn for_proposal(pool: &PgPool, proposal_id: i64) -> Result<Vec<AuditRow>, sqlx::Error> {
    sqlx::query_as!(
        AuditRow,
        "SELECT seq, at, actor, actor_role, action, entity, entity_id, proposal_id, before, after, request_id, row_hash
           FROM audit_event WHERE proposal_id = $1 ORDER BY seq",
        proposal_id
    )
    .fetch_all(pool)
    .await
}

/// A row whose stored hashes do not match what the chain says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub seq: i64,
    /// The row's content no longer gives its hash (changed).
    pub content_changed: bool,
    /// Its `prev_hash` is not the previous row's hash (a row before it was removed or changed).
    pub link_broken: bool,
    /// Rows missing just before it (a gap in the sequence).
    pub missing_before: i64,
}

/// The chain's rows that break it, the number of rows read, and the head (last seq and hash).
pub async fn verify(
    pool: &PgPool,
) -> Result<(Vec<ChainBreak>, i64, Option<(i64, String)>), sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT seq AS "seq!", row_hash AS "row_hash!",
                  (audit_digest(a) = a.row_hash) AS "content_ok!",
                  (a.prev_hash = coalesce(lag(a.row_hash) OVER w, repeat('0', 64))) AS "link_ok!",
                  (a.seq - coalesce(lag(a.seq) OVER w, 0) - 1) AS "missing_before!"
             FROM audit_event a
           WINDOW w AS (ORDER BY a.seq)
            ORDER BY a.seq"#
    )
    .fetch_all(pool)
    .await?;
    let read = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    let head = rows.last().map(|r| (r.seq, r.row_hash.clone()));
    let breaks = rows
        .into_iter()
        .filter(|r| !r.content_ok || !r.link_ok || r.missing_before != 0)
        .map(|r| ChainBreak {
            seq: r.seq,
            content_changed: !r.content_ok,
            link_broken: !r.link_ok,
            missing_before: r.missing_before,
        })
        .collect();
    Ok((breaks, read, head))
}

/// Whether the row `seq` still carries `hash` (a head recorded at a Kirim).
pub async fn has_row(pool: &PgPool, seq: i64, hash: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM audit_event WHERE seq = $1 AND row_hash = $2) AS "found!""#,
        seq,
        hash
    )
    .fetch_one(pool)
    .await
}
