//! The audit trail: `audit_event`, the append-only entries (see the review migration), and the
//! Merkle log over them (`audit_pending`, `audit_leaf`, `audit_node`, `audit_tree_head`,
//! `audit_signing_key`; see the audit-log and audit-nodes migrations).

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

/// Appends the rows (queued for the sequencer); returns the last one's seq and hash.
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
                  (a.prev_hash = repeat('0', 64) OR a.prev_hash = coalesce(lag(a.row_hash) OVER w, repeat('0', 64))) AS "link_ok!",
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
        // Entries numbered by the sequence leave gaps (a transaction rolled back); a removed entry is
        // found by its leaf, and one of the chained entries from before by the link after it.
        .filter(|r| !r.content_ok || !r.link_ok)
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

/// The first entries of the sequencer's queue, oldest first, with their hashes. An entry removed
/// from the trail behind the application's back stays queued (and [`queue_problems`] names it).
pub async fn pending(
    conn: &mut PgConnection,
    limit: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT p.seq AS "seq!", e.row_hash AS "row_hash!"
             FROM audit_pending p JOIN audit_event e USING (seq)
            ORDER BY p.seq LIMIT $1"#,
        limit
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.seq, r.row_hash)).collect())
}

/// Takes `seq` out of the queue once they are leaves.
pub async fn dequeue(conn: &mut PgConnection, seqs: &[i64]) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM audit_pending WHERE seq IN (SELECT unnest($1::int8[]))",
        seqs
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Appends leaves from `first_index` on, in order.
pub async fn insert_leaves(
    conn: &mut PgConnection,
    first_index: i64,
    seqs: &[i64],
    leaf_hashes: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO audit_leaf (leaf_index, seq, leaf_hash)
         SELECT $1 + n - 1, seq, leaf_hash
           FROM unnest($2::int8[], $3::text[]) WITH ORDINALITY AS t(seq, leaf_hash, n)",
        first_index,
        seqs,
        leaf_hashes
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A signed tree head as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeHeadRow {
    pub tree_size: i64,
    pub root_hash: String,
    pub at: chrono::DateTime<chrono::Utc>,
    pub frontier: Vec<String>,
    pub key_id: String,
    pub public_key: String,
    pub signature: String,
}

/// The newest head, if any.
pub async fn latest_head(conn: &mut PgConnection) -> Result<Option<TreeHeadRow>, sqlx::Error> {
    sqlx::query_as!(
        TreeHeadRow,
        "SELECT h.tree_size, h.root_hash, h.at, h.frontier, h.key_id, k.public_key, h.signature
           FROM audit_tree_head h JOIN audit_signing_key k USING (key_id)
          ORDER BY h.tree_size DESC LIMIT 1"
    )
    .fetch_optional(conn)
    .await
}

/// The head of exactly `tree_size` leaves.
pub async fn head_of_size(
    pool: &PgPool,
    tree_size: i64,
) -> Result<Option<TreeHeadRow>, sqlx::Error> {
    sqlx::query_as!(
        TreeHeadRow,
        "SELECT h.tree_size, h.root_hash, h.at, h.frontier, h.key_id, k.public_key, h.signature
           FROM audit_tree_head h JOIN audit_signing_key k USING (key_id)
          WHERE h.tree_size = $1",
        tree_size
    )
    .fetch_optional(pool)
    .await
}

/// Every head, smallest first.
pub async fn heads(pool: &PgPool) -> Result<Vec<TreeHeadRow>, sqlx::Error> {
    sqlx::query_as!(
        TreeHeadRow,
        "SELECT h.tree_size, h.root_hash, h.at, h.frontier, h.key_id, k.public_key, h.signature
           FROM audit_tree_head h JOIN audit_signing_key k USING (key_id)
          ORDER BY h.tree_size"
    )
    .fetch_all(pool)
    .await
}

/// Records a signing key's public half (once).
pub async fn register_key(
    conn: &mut PgConnection,
    key_id: &str,
    public_key: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO audit_signing_key (key_id, public_key) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        key_id,
        public_key
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a signed head.
pub async fn insert_head(conn: &mut PgConnection, head: &TreeHeadRow) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO audit_tree_head (tree_size, root_hash, at, frontier, key_id, signature)
         VALUES ($1, $2, $3, $4, $5, $6)",
        head.tree_size,
        head.root_hash,
        head.at,
        &head.frontier,
        head.key_id,
        head.signature
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A leaf with the hash of the entry it names (`None`: the entry is gone).
#[derive(Debug, Clone)]
pub struct LeafRow {
    pub leaf_index: i64,
    pub seq: i64,
    pub leaf_hash: String,
    pub entry_hash: Option<String>,
}

/// Every leaf, in order, with its entry's hash.
pub async fn leaves(pool: &PgPool) -> Result<Vec<LeafRow>, sqlx::Error> {
    sqlx::query_as!(
        LeafRow,
        r#"SELECT l.leaf_index, l.seq, l.leaf_hash, e.row_hash AS "entry_hash?"
             FROM audit_leaf l LEFT JOIN audit_event e USING (seq)
            ORDER BY l.leaf_index"#
    )
    .fetch_all(pool)
    .await
}

/// Stores perfect subtrees above the leaves (`levels` ≥ 1), as the sequencer completes them.
pub async fn insert_nodes(
    conn: &mut PgConnection,
    levels: &[i16],
    indexes: &[i64],
    hashes: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO audit_node (level, node_index, hash)
         SELECT * FROM unnest($1::int2[], $2::int8[], $3::text[])",
        levels,
        indexes,
        hashes
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The hashes of these perfect subtrees (level 0: leaves), index-aligned with the question; `None`
/// for one not stored.
pub async fn node_hashes(
    pool: &PgPool,
    levels: &[i16],
    indexes: &[i64],
) -> Result<Vec<Option<String>>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT coalesce(l.leaf_hash, n.hash) AS "hash?"
             FROM unnest($1::int2[], $2::int8[]) WITH ORDINALITY AS w(level, node_index, k)
             LEFT JOIN audit_leaf l ON w.level = 0 AND l.leaf_index = w.node_index
             LEFT JOIN audit_node n ON w.level > 0 AND n.level = w.level AND n.node_index = w.node_index
            ORDER BY w.k"#,
        levels,
        indexes
    )
    .fetch_all(pool)
    .await
}

/// Stores every perfect subtree of the integrated leaves not stored yet (`audit_fill_nodes()`);
/// returns how many.
pub async fn fill_nodes(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(r#"SELECT audit_fill_nodes() AS "filled!""#)
        .fetch_one(pool)
        .await
}

/// Every stored perfect subtree above the leaves: (level, index, hash), by level and index.
pub async fn nodes(pool: &PgPool) -> Result<Vec<(i16, i64, String)>, sqlx::Error> {
    let rows =
        sqlx::query!("SELECT level, node_index, hash FROM audit_node ORDER BY level, node_index")
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.level, r.node_index, r.hash))
        .collect())
}

/// The leaf an entry became, if it has been integrated.
pub async fn leaf_of(pool: &PgPool, seq: i64) -> Result<Option<LeafRow>, sqlx::Error> {
    sqlx::query_as!(
        LeafRow,
        r#"SELECT l.leaf_index, l.seq, l.leaf_hash, e.row_hash AS "entry_hash?"
             FROM audit_leaf l LEFT JOIN audit_event e USING (seq)
            WHERE l.seq = $1"#,
        seq
    )
    .fetch_optional(pool)
    .await
}

/// What the queue says about the trail: entries neither leaves nor queued (lost from the queue),
/// queued entries that are gone, and how many wait and for how long.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueState {
    pub unqueued: Vec<i64>,
    pub queued_but_gone: Vec<i64>,
    pub waiting: i64,
    pub oldest_waiting_secs: Option<f64>,
}

pub async fn queue_state(pool: &PgPool) -> Result<QueueState, sqlx::Error> {
    let unqueued = sqlx::query_scalar!(
        "SELECT e.seq FROM audit_event e
          WHERE NOT EXISTS (SELECT 1 FROM audit_leaf l WHERE l.seq = e.seq)
            AND NOT EXISTS (SELECT 1 FROM audit_pending p WHERE p.seq = e.seq)
          ORDER BY e.seq LIMIT 100"
    )
    .fetch_all(pool)
    .await?;
    let queued_but_gone = sqlx::query_scalar!(
        "SELECT p.seq FROM audit_pending p
          WHERE NOT EXISTS (SELECT 1 FROM audit_event e WHERE e.seq = p.seq)
          ORDER BY p.seq LIMIT 100"
    )
    .fetch_all(pool)
    .await?;
    let waiting = sqlx::query!(
        r#"SELECT count(*) AS "n!", extract(epoch FROM now() - min(e.at))::float8 AS oldest
             FROM audit_pending p JOIN audit_event e USING (seq)"#
    )
    .fetch_one(pool)
    .await?;
    Ok(QueueState {
        unqueued,
        queued_but_gone,
        waiting: waiting.n,
        oldest_waiting_secs: waiting.oldest,
    })
}

/// The sequencer's turn: whether this transaction holds the one lock sequencers take (no writer
/// ever takes it).
pub async fn try_sequencer_lock(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT pg_try_advisory_xact_lock(hashtext('tinjau-audit-sequencer')) AS "locked!""#
    )
    .fetch_one(conn)
    .await
}

/// Whether entry `seq` exists.
pub async fn entry_exists(pool: &PgPool, seq: i64) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM audit_event WHERE seq = $1) AS "found!""#,
        seq
    )
    .fetch_one(pool)
    .await
}

/// The first signed head whose tree holds entry `seq` (its size, root and key), once the sequencer
/// has made the entry a leaf.
pub async fn covering_head(
    conn: &mut PgConnection,
    seq: i64,
) -> Result<Option<(i64, String, String)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT h.tree_size, h.root_hash, h.key_id
           FROM audit_leaf l JOIN audit_tree_head h ON h.tree_size > l.leaf_index
          WHERE l.seq = $1
          ORDER BY h.tree_size LIMIT 1",
        seq
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.tree_size, r.root_hash, r.key_id)))
}
