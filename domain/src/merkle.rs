//! The audit log's Merkle tree, as Certificate Transparency defines it (RFC 9162 §2.1): leaf and
//! node hashes with their domain-separating prefixes, the root of a list of leaves, the compact
//! right edge that extends a tree one leaf at a time, and the inclusion and consistency proofs with
//! the verifiers a reader of a printed Berita Acara runs. Pure functions over 32-byte SHA-256 hashes.

use sha2::{Digest, Sha256};

/// A SHA-256 hash: a leaf's, a node's or a tree's root.
pub type Hash = [u8; 32];

/// The hash of a leaf: SHA-256 of `0x00` and its data (RFC 9162: `MTH({d0})`).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    h.finalize().into()
}

/// The hash of an interior node: SHA-256 of `0x01`, the left child's hash and the right's.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of an empty tree: SHA-256 of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The largest power of two smaller than `n` (`n` ≥ 2): where RFC 9162 splits a tree.
fn split(n: usize) -> usize {
    debug_assert!(n >= 2);
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// [`split`] for leaf counts of a stored log.
fn split_u64(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (u64::BITS - 1 - (n - 1).leading_zeros())
}

/// A perfect subtree of the log: the `2^level` leaves from leaf `index · 2^level` on. Level 0 is a
/// leaf. The sequencer stores each one above the leaves as it completes, so a proof reads a few of
/// them instead of every leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Node {
    pub level: u32,
    pub index: u64,
}

/// The perfect subtrees that the leaves `range` of a subtree of an RFC 9162 tree make, largest
/// first (one per bit set in the range's length: such a range starts on a multiple of each).
///
/// ```
/// # use tinjau_domain::merkle::{Node, range_nodes};
/// assert_eq!(range_nodes(8..14), [Node { level: 2, index: 2 }, Node { level: 1, index: 6 }]);
/// ```
pub fn range_nodes(range: std::ops::Range<u64>) -> Vec<Node> {
    let mut nodes = Vec::new();
    let (mut at, end) = (range.start, range.end);
    while at < end {
        let size = 1_u64 << (u64::BITS - 1 - (end - at).leading_zeros());
        debug_assert_eq!(at % size, 0, "{range:?} is no subtree of a log");
        nodes.push(Node {
            level: size.trailing_zeros(),
            index: at / size,
        });
        at += size;
    }
    nodes
}

/// The root of a subtree from the hashes of its [`range_nodes`], in their order.
pub fn range_root(parts: &[Hash]) -> Hash {
    let mut parts = parts.iter().rev();
    let Some(last) = parts.next() else {
        return empty_root();
    };
    parts.fold(*last, |right, left| node_hash(left, &right))
}

/// The root of the tree of `leaves` (leaf hashes, in order): `MTH(D[n])`.
///
/// ```
/// # use tinjau_domain::merkle::{leaf_hash, node_hash, root};
/// let (a, b, c) = (leaf_hash(b"a"), leaf_hash(b"b"), leaf_hash(b"c"));
/// assert_eq!(root(&[a, b, c]), node_hash(&node_hash(&a, &b), &c));
/// ```
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The inclusion proof of leaf `index` in the tree of `leaves`: the sibling hashes from the leaf up
/// (`PATH(m, D[n])`). Empty when `index` is out of range.
pub fn inclusion_proof(leaves: &[Hash], index: usize) -> Vec<Hash> {
    roots_of(leaves, inclusion_ranges(index as u64, leaves.len() as u64))
}

/// The leaves whose subtrees' roots make the inclusion proof of leaf `index` in a tree of `size`
/// leaves, in the proof's order. Empty when `index` is out of range.
pub fn inclusion_ranges(index: u64, size: u64) -> Vec<std::ops::Range<u64>> {
    let mut ranges = Vec::new();
    if index < size {
        path(index, 0..size, &mut ranges);
    }
    ranges
}

fn path(m: u64, range: std::ops::Range<u64>, out: &mut Vec<std::ops::Range<u64>>) {
    let n = range.end - range.start;
    if n <= 1 {
        return;
    }
    let mid = range.start + split_u64(n);
    if m < mid - range.start {
        path(m, range.start..mid, out);
        out.push(mid..range.end);
    } else {
        path(m - (mid - range.start), mid..range.end, out);
        out.push(range.start..mid);
    }
}

/// The consistency proof that the tree of the first `old_size` leaves is a prefix of the tree of
/// `leaves` (`PROOF(m, D[n])`). Empty when `old_size` is 0 or not smaller than the tree.
pub fn consistency_proof(leaves: &[Hash], old_size: usize) -> Vec<Hash> {
    roots_of(
        leaves,
        consistency_ranges(old_size as u64, leaves.len() as u64),
    )
}

/// The leaves whose subtrees' roots make the consistency proof between the trees of `old_size`
/// and `size` leaves, in the proof's order. Empty when `old_size` is 0 or not smaller than `size`.
pub fn consistency_ranges(old_size: u64, size: u64) -> Vec<std::ops::Range<u64>> {
    let mut ranges = Vec::new();
    if old_size > 0 && old_size < size {
        subproof(old_size, 0..size, true, &mut ranges);
    }
    ranges
}

fn subproof(m: u64, range: std::ops::Range<u64>, whole: bool, out: &mut Vec<std::ops::Range<u64>>) {
    let n = range.end - range.start;
    if m == n {
        if !whole {
            out.push(range);
        }
        return;
    }
    let k = split_u64(n);
    let mid = range.start + k;
    if m <= k {
        subproof(m, range.start..mid, whole, out);
        out.push(mid..range.end);
    } else {
        subproof(m - k, mid..range.end, false, out);
        out.push(range.start..mid);
    }
}

/// The roots of `ranges` of `leaves` (ranges within them).
fn roots_of(leaves: &[Hash], ranges: Vec<std::ops::Range<u64>>) -> Vec<Hash> {
    ranges
        .into_iter()
        .map(|r| {
            let (start, end) = (
                usize::try_from(r.start).unwrap_or(usize::MAX),
                usize::try_from(r.end).unwrap_or(usize::MAX),
            );
            root(&leaves[start..end])
        })
        .collect()
}

/// Whether `proof` shows the leaf with hash `leaf` at `index` in the tree of `size` leaves whose
/// root is `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    sn == 0 && &r == root
}

/// Whether `proof` shows the tree of `old_size` leaves with root `old_root` to be a prefix of the
/// tree of `new_size` leaves with root `new_root` (RFC 9162 §2.1.4.2). Equal sizes need equal roots
/// and an empty proof; an empty old tree is a prefix of any.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old_size > new_size {
        return false;
    }
    if old_size == new_size {
        return proof.is_empty() && old_root == new_root;
    }
    if old_size == 0 {
        return proof.is_empty();
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let (mut fn_, mut sn) = (old_size - 1, new_size - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    &fr == old_root && &sr == new_root && sn == 0
}

/// A tree's right edge: the roots of the perfect subtrees its size decomposes into, largest first.
/// Enough to append leaves and to know the root without the leaves before (the sequencer keeps it
/// between batches).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    nodes: Vec<Hash>,
}

impl Frontier {
    /// An edge read back (from a stored tree head); `None` when `nodes` cannot be the edge of a tree
    /// of `size` leaves (one node per bit set in `size`).
    pub fn from_parts(size: u64, nodes: Vec<Hash>) -> Option<Self> {
        (usize::try_from(size.count_ones()).ok() == Some(nodes.len()))
            .then_some(Self { size, nodes })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn nodes(&self) -> &[Hash] {
        &self.nodes
    }

    /// Appends a leaf (its hash).
    pub fn push(&mut self, leaf: Hash) {
        self.push_completing(leaf, |_, _| {});
    }

    /// Appends a leaf and hands `completed` each perfect subtree above the leaves that it completes
    /// (smallest first), with its hash.
    ///
    /// ```
    /// # use tinjau_domain::merkle::{Frontier, Node, leaf_hash, node_hash};
    /// let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
    /// let mut edge = Frontier::default();
    /// let mut completed = Vec::new();
    /// for leaf in [a, b] {
    ///     edge.push_completing(leaf, |node, hash| completed.push((node, hash)));
    /// }
    /// assert_eq!(completed, [(Node { level: 1, index: 0 }, node_hash(&a, &b))]);
    /// ```
    pub fn push_completing(&mut self, leaf: Hash, mut completed: impl FnMut(Node, Hash)) {
        let index = self.size;
        let mut carried = leaf;
        let mut size = self.size;
        let mut level = 0;
        while size & 1 == 1 {
            let Some(left) = self.nodes.pop() else { break };
            carried = node_hash(&left, &carried);
            size >>= 1;
            level += 1;
            completed(
                Node {
                    level,
                    index: index >> level,
                },
                carried,
            );
        }
        self.nodes.push(carried);
        self.size += 1;
    }

    /// The tree's root.
    ///
    /// ```
    /// # use tinjau_domain::merkle::{Frontier, leaf_hash, root};
    /// let leaves: Vec<_> = (0u8..5).map(|i| leaf_hash(&[i])).collect();
    /// let mut edge = Frontier::default();
    /// leaves.iter().for_each(|l| edge.push(*l));
    /// assert_eq!(edge.root(), root(&leaves));
    /// ```
    pub fn root(&self) -> Hash {
        let mut nodes = self.nodes.iter().rev();
        let Some(last) = nodes.next() else {
            return empty_root();
        };
        nodes.fold(*last, |right, left| node_hash(left, &right))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn the_rfc_6962_test_vector_roots_are_reproduced() {
        // The leaves of Certificate Transparency's reference tests (RFC 6962 implementations).
        let data: [&[u8]; 8] = [
            b"",
            b"\x00",
            b"\x10",
            b"\x20\x21",
            b"\x30\x31",
            b"\x40\x41\x42\x43",
            b"\x50\x51\x52\x53\x54\x55\x56\x57",
            b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
        ];
        let hashes: Vec<Hash> = data.iter().map(|d| leaf_hash(d)).collect();
        assert_eq!(
            hex::encode(root(&hashes[..1])),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        assert_eq!(
            hex::encode(root(&hashes)),
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
        );
        assert_eq!(
            hex::encode(empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    /// The proofs a server makes from stored subtrees (each range's perfect parts, as the
    /// sequencer completed them) are the proofs made from every leaf, for every tree up to 70.
    #[test]
    fn proofs_from_stored_subtrees_are_the_proofs_from_the_leaves() {
        let all = leaves(70);
        let mut edge = Frontier::default();
        let mut stored = std::collections::HashMap::new();
        for (i, leaf) in all.iter().enumerate() {
            stored.insert(
                Node {
                    level: 0,
                    index: i as u64,
                },
                *leaf,
            );
            edge.push_completing(*leaf, |node, hash| {
                assert_eq!(stored.insert(node, hash), None);
            });
        }
        let from_stored = |ranges: Vec<std::ops::Range<u64>>| -> Vec<Hash> {
            ranges
                .into_iter()
                .map(|r| {
                    let parts: Vec<Hash> = range_nodes(r).iter().map(|n| stored[n]).collect();
                    range_root(&parts)
                })
                .collect()
        };
        for n in 1..=70usize {
            for i in 0..n {
                assert_eq!(
                    from_stored(inclusion_ranges(i as u64, n as u64)),
                    inclusion_proof(&all[..n], i),
                    "leaf {i} of {n}"
                );
            }
            for m in 1..n {
                assert_eq!(
                    from_stored(consistency_ranges(m as u64, n as u64)),
                    consistency_proof(&all[..n], m),
                    "{m} in {n}"
                );
            }
            assert_eq!(
                range_root(
                    &range_nodes(0..n as u64)
                        .iter()
                        .map(|x| stored[x])
                        .collect::<Vec<_>>()
                ),
                root(&all[..n])
            );
        }
        // Each perfect subtree within the 70 leaves, and nothing else: 70 leaves, 35 pairs, 17 fours…
        assert_eq!(stored.len(), 70 + 35 + 17 + 8 + 4 + 2 + 1);
    }

    #[test]
    fn the_right_edge_gives_the_same_root_as_the_whole_tree_at_every_size() {
        let all = leaves(70);
        let mut edge = Frontier::default();
        assert_eq!(edge.root(), root(&[]));
        for (i, leaf) in all.iter().enumerate() {
            edge.push(*leaf);
            assert_eq!(edge.root(), root(&all[..=i]), "size {}", i + 1);
            let again = Frontier::from_parts(edge.size(), edge.nodes().to_vec()).unwrap();
            assert_eq!(again, edge);
        }
        assert!(Frontier::from_parts(3, vec![[0; 32]]).is_none());
    }

    #[test]
    fn every_leaf_is_proven_included_and_a_changed_leaf_or_root_is_not() {
        for n in 1..=33usize {
            let all = leaves(n);
            let r = root(&all);
            for i in 0..n {
                let proof = inclusion_proof(&all, i);
                let (i64_, n64) = (i as u64, n as u64);
                assert!(
                    verify_inclusion(i64_, n64, &all[i], &proof, &r),
                    "leaf {i} of {n}"
                );
                assert!(!verify_inclusion(
                    i64_,
                    n64,
                    &leaf_hash(b"forged"),
                    &proof,
                    &r
                ));
                assert!(!verify_inclusion(
                    i64_,
                    n64,
                    &all[i],
                    &proof,
                    &leaf_hash(b"x")
                ));
                if n > 1 {
                    assert!(
                        !verify_inclusion((i64_ + 1) % n64, n64, &all[i], &proof, &r)
                            || all.len() == 1
                    );
                }
            }
            assert!(!verify_inclusion(n as u64, n as u64, &all[0], &[], &r));
        }
    }

    #[test]
    fn every_older_tree_is_proven_a_prefix_and_a_rewritten_one_is_not() {
        for n in 1..=33usize {
            let all = leaves(n);
            let new_root = root(&all);
            for m in 1..n {
                let proof = consistency_proof(&all, m);
                let old_root = root(&all[..m]);
                let (m64, n64) = (m as u64, n as u64);
                assert!(
                    verify_consistency(m64, n64, &old_root, &new_root, &proof),
                    "{m} of {n}"
                );
                // The same old size with other history is no prefix of this tree.
                let mut rewritten = all[..m].to_vec();
                rewritten[m / 2] = leaf_hash(b"rewritten");
                assert!(!verify_consistency(
                    m64,
                    n64,
                    &root(&rewritten),
                    &new_root,
                    &proof
                ));
                assert!(!verify_consistency(
                    m64,
                    n64,
                    &old_root,
                    &leaf_hash(b"x"),
                    &proof
                ));
            }
            assert!(verify_consistency(
                n as u64,
                n as u64,
                &new_root,
                &new_root,
                &[]
            ));
        }
    }
}
