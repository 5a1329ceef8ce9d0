//! The Merkle log over the audit trail, read: every leaf and signed head checked against the
//! entries (`tinjau audit verify`), and the proofs a reader of a Berita Acara asks for — that an
//! entry is in the log under a signed head (inclusion), and that an older head is a prefix of a
//! newer one (consistency), i.e. nothing recorded then has been rewritten since.

use serde::Serialize;
use sqlx::PgPool;
use tinjau_domain::Message;
use tinjau_domain::merkle::{self, Frontier, Hash};

use super::key::{self, checkpoint};
use super::sequencer::{leaf_of_entry, unhex};
use crate::db;
use crate::db::audit::{QueueState, TreeHeadRow};
use crate::refusal::WorkflowError;

/// What the tree says about the trail.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TreeCheck {
    pub leaves: i64,
    pub heads: usize,
    pub latest: Option<TreeHeadRow>,
    /// Every inconsistency found, one sentence each.
    pub problems: Vec<String>,
    pub queue: QueueState,
}

impl TreeCheck {
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
            && self.queue.unqueued.is_empty()
            && self.queue.queued_but_gone.is_empty()
    }
}

/// Walks every leaf in order, checks it against its entry and every head against the leaves
/// (root and signature), and reads the queue.
pub async fn check(pool: &PgPool) -> anyhow::Result<TreeCheck> {
    let leaves = db::audit::leaves(pool).await?;
    let heads = db::audit::heads(pool).await?;
    let mut problems = Vec::new();
    let mut edge = Frontier::default();
    let mut pending_heads = heads.iter().peekable();
    let mut previous_at = None;
    for (expected, leaf) in (0_i64..).zip(&leaves) {
        if leaf.leaf_index != expected {
            problems.push(format!(
                "leaf {expected} is missing (the next one is leaf {}): leaves were removed",
                leaf.leaf_index
            ));
            break;
        }
        match &leaf.entry_hash {
            None => problems.push(format!(
                "leaf {} names entry #{}, which is gone: the entry was removed",
                leaf.leaf_index, leaf.seq
            )),
            Some(entry) => {
                if leaf_of_entry(entry).map(hex::encode).ok().as_deref()
                    != Some(leaf.leaf_hash.as_str())
                {
                    problems.push(format!(
                        "leaf {} does not match entry #{}: the entry or the leaf was changed",
                        leaf.leaf_index, leaf.seq
                    ));
                }
            }
        }
        let Ok(stored) = unhex(&leaf.leaf_hash) else {
            problems.push(format!("leaf {} has a malformed hash", leaf.leaf_index));
            break;
        };
        edge.push(stored);
        while let Some(head) =
            pending_heads.next_if(|h| u64::try_from(h.tree_size).ok() == Some(edge.size()))
        {
            check_head(head, &edge.root(), previous_at, &mut problems);
            previous_at = Some(head.at);
        }
    }
    for head in pending_heads {
        problems.push(format!(
            "the head of {} leaves signed at {} is larger than the {} leaves left: leaves were removed",
            head.tree_size,
            head.at.format("%Y-%m-%d %H:%M:%S UTC"),
            edge.size()
        ));
    }
    Ok(TreeCheck {
        leaves: i64::try_from(leaves.len()).unwrap_or(i64::MAX),
        heads: heads.len(),
        latest: heads.last().cloned(),
        problems,
        queue: db::audit::queue_state(pool).await?,
    })
}

fn check_head(
    head: &TreeHeadRow,
    root: &Hash,
    previous_at: Option<chrono::DateTime<chrono::Utc>>,
    problems: &mut Vec<String>,
) {
    if head.root_hash != hex::encode(root) {
        problems.push(format!(
            "the head of {} leaves has root {} but the leaves give {}: leaves were changed or reordered",
            head.tree_size,
            short(&head.root_hash),
            short(&hex::encode(root))
        ));
    }
    if !key::verify(
        &head.public_key,
        &checkpoint(head.tree_size, &head.root_hash, head.at),
        &head.signature,
    ) {
        problems.push(format!(
            "the head of {} leaves does not carry a valid signature of key {}",
            head.tree_size, head.key_id
        ));
    }
    if previous_at.is_some_and(|p| head.at < p) {
        problems.push(format!(
            "the head of {} leaves is dated before a smaller one",
            head.tree_size
        ));
    }
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// A signed tree head as the API shows it, with the text its signature covers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SignedHead {
    pub tree_size: i64,
    /// The tree's root, SHA-256 hex.
    pub root_hash: String,
    pub at: chrono::DateTime<chrono::Utc>,
    pub key_id: String,
    /// The Ed25519 public key, hex.
    pub public_key: String,
    /// The Ed25519 signature of `checkpoint`, hex.
    pub signature: String,
    /// The signed text: `tinjau-audit`, the size, the root and the time, one a line.
    pub checkpoint: String,
}

impl From<TreeHeadRow> for SignedHead {
    fn from(h: TreeHeadRow) -> Self {
        Self {
            checkpoint: checkpoint(h.tree_size, &h.root_hash, h.at),
            tree_size: h.tree_size,
            root_hash: h.root_hash,
            at: h.at,
            key_id: h.key_id,
            public_key: h.public_key,
            signature: h.signature,
        }
    }
}

/// That an entry is in the log under a signed head.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InclusionProof {
    pub seq: i64,
    /// The entry's own hash (printed on a Berita Acara for its Kirim).
    pub entry_hash: String,
    pub leaf_index: i64,
    /// SHA-256(0x00 ‖ entry hash as bytes).
    pub leaf_hash: String,
    pub head: SignedHead,
    /// The sibling hashes from the leaf up (RFC 9162 §2.1.3).
    pub proof: Vec<String>,
}

/// That the tree of `from` leaves is a prefix of the tree of `to` leaves.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConsistencyProof {
    pub from: SignedHead,
    pub to: SignedHead,
    /// RFC 9162 §2.1.4.
    pub proof: Vec<String>,
}

/// The newest signed head.
pub async fn latest_head(pool: &PgPool) -> Result<Option<SignedHead>, WorkflowError> {
    let mut conn = pool.acquire().await?;
    Ok(db::audit::latest_head(&mut conn)
        .await?
        .map(SignedHead::from))
}

async fn head_of(
    pool: &PgPool,
    size: Option<i64>,
    at_least: i64,
) -> Result<TreeHeadRow, WorkflowError> {
    let mut conn = pool.acquire().await?;
    let latest = db::audit::latest_head(&mut conn).await?;
    let latest_size = latest.as_ref().map_or(0, |h| h.tree_size);
    match size {
        None => latest.filter(|h| h.tree_size >= at_least),
        Some(asked) => db::audit::head_of_size(pool, asked).await?,
    }
    .ok_or_else(|| {
        WorkflowError::from(Message::AuditTreeSize {
            asked: size.unwrap_or(at_least),
            size: latest_size,
        })
    })
}

async fn leaf_hashes(pool: &PgPool, tree_size: i64) -> Result<Vec<Hash>, WorkflowError> {
    db::audit::leaf_hashes(pool, tree_size)
        .await?
        .iter()
        .map(|h| unhex(h).map_err(WorkflowError::Internal))
        .collect()
}

/// The inclusion proof of entry `seq` under the head of `tree_size` leaves (the newest when
/// `None`).
pub async fn inclusion(
    pool: &PgPool,
    seq: i64,
    tree_size: Option<i64>,
) -> Result<InclusionProof, WorkflowError> {
    let Some(leaf) = db::audit::leaf_of(pool, seq).await? else {
        return Err(if db::audit::entry_exists(pool, seq).await? {
            Message::AuditEntryPending { seq }.into()
        } else {
            Message::AuditEntryNotFound { seq }.into()
        });
    };
    let head = head_of(pool, tree_size, leaf.leaf_index + 1).await?;
    if head.tree_size <= leaf.leaf_index {
        return Err(Message::AuditTreeSize {
            asked: head.tree_size,
            size: head.tree_size,
        }
        .into());
    }
    let leaves = leaf_hashes(pool, head.tree_size).await?;
    let index = usize::try_from(leaf.leaf_index).map_err(anyhow::Error::from)?;
    Ok(InclusionProof {
        seq,
        entry_hash: leaf.entry_hash.unwrap_or_default(),
        leaf_index: leaf.leaf_index,
        leaf_hash: leaf.leaf_hash,
        proof: merkle::inclusion_proof(&leaves, index)
            .iter()
            .map(hex::encode)
            .collect(),
        head: head.into(),
    })
}

/// The consistency proof between the heads of `from` and `to` leaves (`to`: the newest).
pub async fn consistency(
    pool: &PgPool,
    from: i64,
    to: Option<i64>,
) -> Result<ConsistencyProof, WorkflowError> {
    let old = head_of(pool, Some(from), from).await?;
    let new = head_of(pool, to, from).await?;
    if new.tree_size < old.tree_size {
        return Err(Message::AuditTreeSize {
            asked: from,
            size: new.tree_size,
        }
        .into());
    }
    let leaves = leaf_hashes(pool, new.tree_size).await?;
    let old_size = usize::try_from(old.tree_size).map_err(anyhow::Error::from)?;
    Ok(ConsistencyProof {
        proof: merkle::consistency_proof(&leaves, old_size)
            .iter()
            .map(hex::encode)
            .collect(),
        from: old.into(),
        to: new.into(),
    })
}
