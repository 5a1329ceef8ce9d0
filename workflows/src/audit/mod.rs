//! The audit trail: who changed what, when, with before and after, appended in the transaction of
//! the change itself, so a change and its record are committed together or not at all.
//!
//! The table is append-only in the database (a trigger, and the application's role has no UPDATE,
//! DELETE or TRUNCATE on it), and its entries are the leaves of a Merkle log (after Certificate
//! Transparency): the [`sequencer`] integrates them and signs tree heads, [`log`] proves an entry's
//! inclusion and two heads' consistency, and [`verify`] finds an entry, leaf or head changed,
//! removed or reordered behind the application's back, for example by a superuser.

use serde::Serialize;
use serde_json::Value;
use sqlx::{PgConnection, PgPool};

use crate::db;
use crate::db::audit::{AuditBatch, AuditHeader, ChainBreak};

pub mod key;
pub mod log;
pub mod sequencer;

pub use tinjau_domain::caller::Actor;

/// One entity changed.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub entity_id: String,
    pub proposal_id: Option<i64>,
    pub kecamatan: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl Change {
    pub fn new(entity_id: impl Into<String>) -> Self {
        Self {
            entity_id: entity_id.into(),
            ..Self::default()
        }
    }

    #[must_use]
    pub fn of_proposal(mut self, proposal_id: i64, kecamatan: Option<&str>) -> Self {
        self.proposal_id = Some(proposal_id);
        self.kecamatan = kecamatan.map(str::to_owned);
        self
    }

    #[must_use]
    pub fn before(mut self, value: impl Serialize) -> Self {
        self.before = serde_json::to_value(value).ok();
        self
    }

    #[must_use]
    pub fn after(mut self, value: impl Serialize) -> Self {
        self.after = serde_json::to_value(value).ok();
        self
    }
}

/// Appends one row per change (`action` on `entity`, e.g. `decision.put` on `proposal`); returns
/// the last entry's number and hash. Appends take no lock: concurrent transactions append at once,
/// and the sequencer makes their entries leaves of the log once they commit.
pub async fn record(
    conn: &mut PgConnection,
    actor: &Actor,
    action: &str,
    entity: &str,
    changes: Vec<Change>,
) -> Result<(i64, String), sqlx::Error> {
    let mut batch = AuditBatch::default();
    for c in changes {
        batch.entity_ids.push(c.entity_id);
        batch.proposal_ids.push(c.proposal_id);
        batch.kecamatan.push(c.kecamatan);
        batch.before.push(c.before);
        batch.after.push(c.after);
    }
    db::audit::append(conn, header(actor, action, entity), &batch).await
}

/// Who did `action` to an `entity`, as an audit entry names them.
pub fn header<'a>(actor: &'a Actor, action: &'a str, entity: &'a str) -> AuditHeader<'a> {
    AuditHeader {
        actor: &actor.name,
        actor_id: actor.user_id,
        actor_role: Some(&actor.role),
        action,
        entity,
        request_id: actor.request_id.as_deref(),
    }
}

/// What `tinjau audit verify` found.
#[derive(Debug, Clone, PartialEq)]
pub struct Verification {
    pub rows: i64,
    pub head: Option<(i64, String)>,
    pub breaks: Vec<ChainBreak>,
    /// Heads recorded at a Kirim (kecamatan, year, seq) that the chain no longer holds: rows at the
    /// end of the chain were removed, or the chain was rewritten.
    pub lost_kirim_heads: Vec<(String, i32, i64)>,
    /// Kirim (kecamatan, year) whose stored snapshot, which the forms are made from, no longer
    /// hashes to what was recorded.
    pub changed_snapshots: Vec<(String, i32)>,
    /// The Merkle log over the entries: leaves, signed heads, the sequencer's queue.
    pub tree: log::TreeCheck,
}

impl Verification {
    pub fn is_intact(&self) -> bool {
        self.breaks.is_empty()
            && self.lost_kirim_heads.is_empty()
            && self.changed_snapshots.is_empty()
            && self.tree.is_intact()
    }
}

/// Checks every entry's content (and, for the entries from before the Merkle log, their chain),
/// every head recorded at a Kirim, every Kirim snapshot, and the Merkle log: every leaf against its
/// entry, every signed head against the leaves.
pub async fn verify(pool: &PgPool) -> anyhow::Result<Verification> {
    let (breaks, rows, head) = db::audit::verify(pool).await?;
    let mut lost_kirim_heads = Vec::new();
    for k in db::kirim::recorded_heads(pool).await? {
        if !db::audit::has_row(pool, k.audit_seq, &k.audit_hash).await? {
            lost_kirim_heads.push((k.kecamatan_kode, k.tahun, k.audit_seq));
        }
    }
    let changed_snapshots = db::kirim::snapshot_checks(pool)
        .await?
        .into_iter()
        .filter(|c| !c.snapshot_intact || !c.recorded)
        .map(|c| (c.kecamatan_kode, c.tahun))
        .collect();
    Ok(Verification {
        rows,
        head,
        breaks,
        lost_kirim_heads,
        changed_snapshots,
        tree: log::check(pool).await?,
    })
}
