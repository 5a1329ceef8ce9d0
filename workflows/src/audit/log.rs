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
    let mut completed = Vec::new();
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
        edge.push_completing(stored, |node, hash| completed.push((node, hash)));
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
    // Read after the leaves: a sequencer's turn meanwhile may have stored subtrees over leaves
    // this walk did not see, which are not judged.
    check_nodes(
        &completed,
        &db::audit::nodes(pool).await?,
        edge.size(),
        &mut problems,
    );
    Ok(TreeCheck {
        leaves: i64::try_from(leaves.len()).unwrap_or(i64::MAX),
        heads: heads.len(),
        latest: heads.last().cloned(),
        problems,
        queue: db::audit::queue_state(pool).await?,
    })
}

/// Whether the stored perfect subtrees (which proofs are made of) are those the leaves give: each
/// one, and no other.
fn check_nodes(
    from_leaves: &[(merkle::Node, Hash)],
    stored: &[(i16, i64, String)],
    leaves: u64,
    problems: &mut Vec<String>,
) {
    let mut stored: std::collections::HashMap<(u32, u64), &str> = stored
        .iter()
        .filter_map(|(level, index, hash)| {
            Some((
                (u32::try_from(*level).ok()?, u64::try_from(*index).ok()?),
                hash.as_str(),
            ))
        })
        .filter(|((level, index), _)| {
            index
                .checked_add(1)
                .and_then(|n| n.checked_mul(1_u64.checked_shl(*level)?))
                .is_none_or(|end| end <= leaves)
        })
        .collect();
    let mut wrong = Vec::new();
    for (node, hash) in from_leaves {
        match stored.remove(&(node.level, node.index)) {
            Some(found) if found == hex::encode(hash) => {}
            Some(_) => wrong.push(format!("{}/{} differs", node.level, node.index)),
            None => wrong.push(format!("{}/{} is missing", node.level, node.index)),
        }
    }
    let mut extra: Vec<_> = stored.into_keys().collect();
    extra.sort_unstable();
    wrong.extend(
        extra
            .iter()
            .map(|(level, index)| format!("{level}/{index} is not of these leaves")),
    );
    if !wrong.is_empty() {
        let shown = wrong.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
        problems.push(format!(
            "{} stored subtree(s) of the tree (level/index) do not match the leaves, so proofs made from them fail: {shown} (SELECT audit_fill_nodes() stores missing ones again)",
            wrong.len()
        ));
    }
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

/// The roots of the subtrees over `ranges` of leaves, from the stored perfect subtrees they are
/// made of: one read of about two nodes per level of the tree, whatever its size.
async fn subtree_roots(
    pool: &PgPool,
    ranges: Vec<std::ops::Range<u64>>,
) -> Result<Vec<Hash>, WorkflowError> {
    let parts: Vec<Vec<merkle::Node>> = ranges.into_iter().map(merkle::range_nodes).collect();
    let (mut levels, mut indexes) = (Vec::new(), Vec::new());
    for node in parts.iter().flatten() {
        levels.push(i16::try_from(node.level).map_err(anyhow::Error::from)?);
        indexes.push(i64::try_from(node.index).map_err(anyhow::Error::from)?);
    }
    let mut found = db::audit::node_hashes(pool, &levels, &indexes).await?;
    if found.iter().any(Option::is_none) {
        // Leaves integrated by a sequencer from before the subtrees were stored (an instance not
        // yet upgraded): store what they complete, once, and read again.
        let filled = db::audit::fill_nodes(pool).await?;
        tracing::warn!(
            filled,
            "audit log: stored subtrees were missing and are filled"
        );
        found = db::audit::node_hashes(pool, &levels, &indexes).await?;
    }
    let mut hashes = found
        .into_iter()
        .zip(parts.iter().flatten())
        .map(|(hash, node)| {
            let hash = hash.ok_or_else(|| {
                anyhow::anyhow!(
                    "node {} at level {} of the audit tree is not stored (tinjau audit verify)",
                    node.index,
                    node.level
                )
            })?;
            unhex(&hash).map_err(WorkflowError::Internal)
        });
    parts
        .iter()
        .map(|nodes| {
            let part: Vec<Hash> = hashes
                .by_ref()
                .take(nodes.len())
                .collect::<Result<_, _>>()?;
            Ok(merkle::range_root(&part))
        })
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
    let ranges = merkle::inclusion_ranges(
        u64::try_from(leaf.leaf_index).map_err(anyhow::Error::from)?,
        u64::try_from(head.tree_size).map_err(anyhow::Error::from)?,
    );
    let proof = subtree_roots(pool, ranges).await?;
    Ok(InclusionProof {
        seq,
        entry_hash: leaf.entry_hash.unwrap_or_default(),
        leaf_index: leaf.leaf_index,
        leaf_hash: leaf.leaf_hash,
        proof: proof.iter().map(hex::encode).collect(),
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
    let ranges = merkle::consistency_ranges(
        u64::try_from(old.tree_size).map_err(anyhow::Error::from)?,
        u64::try_from(new.tree_size).map_err(anyhow::Error::from)?,
    );
    let proof = subtree_roots(pool, ranges).await?;
    Ok(ConsistencyProof {
        proof: proof.iter().map(hex::encode).collect(),
        from: old.into(),
        to: new.into(),
    })
}
