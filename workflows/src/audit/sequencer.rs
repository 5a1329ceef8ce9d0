//! The sequencer: takes the entries appended since its last turn (the queue), makes them the next
//! leaves of the Merkle tree, and records a signed tree head. One runs at a time (a transaction
//! lock; an instance that does not get it lets the other work), every half second (at once after
//! a full batch), so the log is at most about a second behind the writes, which never wait for it.

use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;
use tinjau_domain::merkle::{self, Frontier, Hash};

use super::key::{AuditKey, checkpoint};
use crate::db;
use crate::db::audit::TreeHeadRow;

/// At most this many entries become leaves in one transaction.
pub const BATCH: i64 = 10_000;
/// How long the sequencer rests when the queue is empty.
pub const REST: Duration = Duration::from_millis(500);

/// A hash from its hex form.
pub fn unhex(text: &str) -> anyhow::Result<Hash> {
    let bytes = hex::decode(text).with_context(|| format!("{text:?} is not hex"))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| anyhow::anyhow!("{text:?} is not 32 bytes"))
}

/// The leaf an entry becomes: its row hash (32 bytes) as the leaf's data.
pub fn leaf_of_entry(row_hash: &str) -> anyhow::Result<Hash> {
    Ok(merkle::leaf_hash(&unhex(row_hash)?))
}

/// Integrates one batch of the queue; returns the new head, or `None` when nothing waited (or
/// another sequencer is at work).
pub async fn integrate(pool: &PgPool, key: &AuditKey) -> anyhow::Result<Option<TreeHeadRow>> {
    Ok(turn(pool, key).await?.map(|(head, _)| head))
}

/// [`integrate`], and how many entries became leaves.
async fn turn(pool: &PgPool, key: &AuditKey) -> anyhow::Result<Option<(TreeHeadRow, usize)>> {
    let mut tx = pool.begin().await?;
    if !db::audit::try_sequencer_lock(&mut tx).await? {
        return Ok(None);
    }
    let queued = db::audit::pending(&mut tx, BATCH).await?;
    if queued.is_empty() {
        return Ok(None);
    }
    let mut edge = match db::audit::latest_head(&mut tx).await? {
        Some(head) => {
            let nodes = head
                .frontier
                .iter()
                .map(|n| unhex(n))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let size = u64::try_from(head.tree_size)?;
            Frontier::from_parts(size, nodes)
                .with_context(|| format!("the head of {size} leaves has a malformed edge"))?
        }
        None => Frontier::default(),
    };
    let first_index = i64::try_from(edge.size())?;
    let mut seqs = Vec::with_capacity(queued.len());
    let mut leaves = Vec::with_capacity(queued.len());
    let (mut levels, mut indexes, mut hashes) = (Vec::new(), Vec::new(), Vec::new());
    for (seq, row_hash) in &queued {
        let leaf = leaf_of_entry(row_hash)?;
        edge.push_completing(leaf, |node, hash| {
            // At most 62 levels and 2^62 leaves (the table's checks): both fit.
            levels.push(i16::try_from(node.level).unwrap_or(i16::MAX));
            indexes.push(i64::try_from(node.index).unwrap_or(i64::MAX));
            hashes.push(hex::encode(hash));
        });
        seqs.push(*seq);
        leaves.push(hex::encode(leaf));
    }
    db::audit::insert_leaves(&mut tx, first_index, &seqs, &leaves).await?;
    db::audit::insert_nodes(&mut tx, &levels, &indexes, &hashes).await?;
    db::audit::dequeue(&mut tx, &seqs).await?;
    db::audit::register_key(&mut tx, &key.key_id, &key.public_key).await?;
    let tree_size = i64::try_from(edge.size())?;
    let root_hash = hex::encode(edge.root());
    // The time as the database keeps it (microseconds), so the signed text can be made again.
    let at = chrono::DateTime::from_timestamp_micros(chrono::Utc::now().timestamp_micros())
        .unwrap_or_default();
    let head = TreeHeadRow {
        tree_size,
        signature: key.sign(&checkpoint(tree_size, &root_hash, at)),
        root_hash,
        at,
        frontier: edge.nodes().iter().map(hex::encode).collect(),
        key_id: key.key_id.clone(),
        public_key: key.public_key.clone(),
    };
    db::audit::insert_head(&mut tx, &head).await?;
    tx.commit().await?;
    Ok(Some((head, queued.len())))
}

/// Integrates until the queue is empty (the console's `tinjau audit sequence`, and tests).
pub async fn integrate_all(pool: &PgPool, key: &AuditKey) -> anyhow::Result<Option<TreeHeadRow>> {
    let mut last = None;
    while let Some(head) = integrate(pool, key).await? {
        last = Some(head);
    }
    Ok(last)
}

/// Runs the sequencer for as long as the server runs.
pub fn spawn(pool: PgPool, key: AuditKey) {
    tokio::spawn(async move {
        loop {
            match turn(&pool, &key).await {
                // A full batch: more may wait.
                Ok(Some((_, added))) if i64::try_from(added).is_ok_and(|n| n >= BATCH) => {}
                // Rest between turns: a turn is a commit of its own, and under load the queue is
                // never empty, so turning at once would spend a commit on every few entries.
                Ok(_) => tokio::time::sleep(REST).await,
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "audit sequencer: retrying in 5 s");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
            }
        }
    });
}
