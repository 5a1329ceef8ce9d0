//! Backups that restore: the database (`pg_dump`, custom format) and the photo store together, with
//! a manifest that says what a restore must give back — the audit chain's head, the rows of every
//! table, every object with its SHA-256.
//!
//! A backup root holds a content-addressed copy of the objects shared by all its backups
//! (`objects/photos/ab/<sha256>`, as the disk store keeps them), so each backup copies only the
//! objects not yet there, and one directory per backup (`20261206T120000Z/`) with `db.dump` and
//! `manifest.json`. The dump, the counts, the head and the object list come from one snapshot of
//! the database (`pg_export_snapshot`), so they agree with each other whatever is written meanwhile.
//!
//! A restore goes into an empty database and any store (disk or S3), then verifies: the audit
//! chain intact and at the manifest's head, every table's rows as counted, every object's bytes
//! hashing to its SHA-256. Anything missing fails it, named.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail, ensure};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use tokio::io::AsyncWriteExt;

use crate::db;
use crate::storage::Storage;

/// The manifest's format.
pub const FORMAT: u32 = 1;

/// What a backup holds and a restore must give back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub created_at: DateTime<Utc>,
    pub tinjau_version: String,
    /// The newest migration applied when the backup was made.
    pub migration: i64,
    /// The database dump, relative to the backup's directory.
    pub dump: FileEntry,
    /// The audit chain's last row (sequence number and hash); `None` for an empty trail.
    pub audit_head: Option<AuditHead>,
    /// Rows of every table of the `public` schema.
    pub counts: BTreeMap<String, i64>,
    /// Every stored object the database refers to (photos and thumbnails).
    pub objects: Vec<ObjectEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub file: String,
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectEntry {
    /// The store's key: `photos/<sha256>`, `thumbs/<sha256 of the photo>`.
    pub key: String,
    /// SHA-256 of the object's bytes.
    pub sha256: String,
    pub bytes: u64,
}

/// What a backup did.
#[derive(Debug, Clone)]
pub struct BackupReport {
    pub dir: PathBuf,
    pub manifest: Manifest,
    /// Objects copied this time (the others were in the root from an earlier backup).
    pub copied: usize,
    pub copied_bytes: u64,
}

/// Where the PostgreSQL client programs are: `TINJAU_PG_BIN`, else the newest
/// `/usr/lib/postgresql/<version>/bin` (Debian's layout), else the `PATH`.
pub fn pg_program(name: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os("TINJAU_PG_BIN") {
        return PathBuf::from(dir).join(name);
    }
    let newest = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version: u32 = e.file_name().to_str()?.parse().ok()?;
            let program = e.path().join("bin").join(name);
            program.exists().then_some((version, program))
        })
        .max_by_key(|(v, _)| *v);
    newest.map_or_else(|| PathBuf::from(name), |(_, p)| p)
}

/// Where an object lives under a backup root (as the disk store lays it out).
fn object_path(root: &Path, key: &str) -> PathBuf {
    let (kind, name) = key.split_once('/').unwrap_or(("misc", key));
    let fan_out = name.get(..2).unwrap_or("00");
    root.join("objects").join(kind).join(fan_out).join(name)
}

/// SHA-256 and length of a file, read in pieces.
async fn hash_file(path: &Path) -> anyhow::Result<(String, u64)> {
    use tokio::io::AsyncReadExt;
    let mut file = tokio::fs::File::open(path)
        .await
        .with_context(|| format!("opening {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buffer).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        total += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), total))
}

/// Rows of every table of the schema, the audit head, the newest migration and the objects the
/// database refers to, as one snapshot sees them.
async fn inventory(
    conn: &mut sqlx::PgConnection,
) -> anyhow::Result<(
    BTreeMap<String, i64>,
    Option<AuditHead>,
    i64,
    Vec<(String, Option<String>, Option<i64>)>,
)> {
    let counts = db::backup::table_counts(conn).await?;
    let head = db::backup::audit_head(conn)
        .await?
        .map(|(seq, hash)| AuditHead { seq, hash });
    let migration = db::backup::newest_migration(conn).await?;
    let objects = db::backup::objects(conn).await?;
    Ok((counts.into_iter().collect(), head, migration, objects))
}

/// Makes a backup under `root`: the dump and the manifest in a new directory, the objects not yet
/// in the root copied (each photo's bytes checked against its SHA-256 on the way).
pub async fn backup(
    pool: &PgPool,
    database_url: &str,
    storage: &Storage,
    root: &Path,
) -> anyhow::Result<BackupReport> {
    let created_at = Utc::now();
    let dir = root.join(created_at.format("%Y%m%dT%H%M%SZ").to_string());
    ensure!(
        !dir.exists(),
        "{} exists already: one backup a second",
        dir.display()
    );
    tokio::fs::create_dir_all(&dir)
        .await
        .with_context(|| format!("creating {}", dir.display()))?;

    // One snapshot for the dump and the inventory: held open until pg_dump has started on it.
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let snapshot = db::backup::export_snapshot(&mut tx).await?;
    let (counts, audit_head, migration, listed) = inventory(&mut tx).await?;
    let dump_path = dir.join("db.dump");
    let output = tokio::process::Command::new(pg_program("pg_dump"))
        .arg("--format=custom")
        .arg(format!("--snapshot={snapshot}"))
        .arg(format!("--file={}", dump_path.display()))
        .arg(format!("--dbname={database_url}"))
        .output()
        .await
        .with_context(|| format!("running {}", pg_program("pg_dump").display()))?;
    tx.rollback().await?;
    if !output.status.success() {
        bail!(
            "pg_dump failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let (dump_sha, dump_bytes) = hash_file(&dump_path).await?;

    let mut objects = Vec::with_capacity(listed.len());
    let (mut copied, mut copied_bytes) = (0, 0);
    for (key, expected_sha, expected_bytes) in listed {
        let target = object_path(root, &key);
        if !target.exists() {
            let bytes = copy_out(storage, &key, &target).await?;
            copied += 1;
            copied_bytes += bytes;
        }
        let (sha256, bytes) = hash_file(&target).await?;
        if let Some(expected) = &expected_sha
            && *expected != sha256
        {
            // A copy that does not hash to its name is no backup of it.
            let _ = tokio::fs::remove_file(&target).await;
            bail!("{key}: the stored bytes hash to {sha256}, not to the photo's SHA-256");
        }
        if let Some(expected) = expected_bytes {
            ensure!(
                u64::try_from(expected).ok() == Some(bytes),
                "{key}: {bytes} bytes stored, {expected} recorded"
            );
        }
        objects.push(ObjectEntry { key, sha256, bytes });
    }
    let manifest = Manifest {
        format: FORMAT,
        created_at,
        tinjau_version: env!("CARGO_PKG_VERSION").to_owned(),
        migration,
        dump: FileEntry {
            file: "db.dump".into(),
            sha256: dump_sha,
            bytes: dump_bytes,
        },
        audit_head,
        counts,
        objects,
    };
    tokio::fs::write(
        dir.join("manifest.json"),
        serde_json::to_vec_pretty(&manifest)?,
    )
    .await?;
    Ok(BackupReport {
        dir,
        manifest,
        copied,
        copied_bytes,
    })
}

/// Copies one object out of the store to `target` (through a temporary file, renamed when whole).
async fn copy_out(storage: &Storage, key: &str, target: &Path) -> anyhow::Result<u64> {
    let Some(mut stream) = storage.read_object(key).await? else {
        bail!("{key} is in the database but not in the store: the store has lost it");
    };
    let parent = target.parent().context("an object path has a parent")?;
    tokio::fs::create_dir_all(parent).await?;
    let partial = target.with_extension("partial");
    let mut file = tokio::fs::File::create(&partial).await?;
    let mut total = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.with_context(|| format!("reading {key}"))?;
        total += chunk.len() as u64;
        file.write_all(&chunk).await?;
    }
    file.sync_all().await?;
    drop(file);
    tokio::fs::rename(&partial, target).await?;
    Ok(total)
}

/// Reads a backup's manifest.
pub async fn read_manifest(dir: &Path) -> anyhow::Result<Manifest> {
    let path = dir.join("manifest.json");
    let bytes = tokio::fs::read(&path)
        .await
        .with_context(|| format!("reading {}", path.display()))?;
    let manifest: Manifest = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not a Tinjau backup manifest", path.display()))?;
    ensure!(
        manifest.format == FORMAT,
        "{}: manifest format {} (this Tinjau reads {FORMAT})",
        path.display(),
        manifest.format
    );
    Ok(manifest)
}

/// The backup root a backup directory belongs to (its parent: the objects are there).
fn root_of(dir: &Path) -> anyhow::Result<&Path> {
    dir.parent()
        .with_context(|| format!("{} has no parent directory", dir.display()))
}

/// Checks a backup's own files: the dump and every object hash as the manifest says. Returns
/// what is wrong (empty: the backup is whole).
pub async fn check_files(dir: &Path) -> anyhow::Result<Vec<String>> {
    let manifest = read_manifest(dir).await?;
    let root = root_of(dir)?;
    let mut wrong = Vec::new();
    match hash_file(&dir.join(&manifest.dump.file)).await {
        Ok((sha, _)) if sha == manifest.dump.sha256 => {}
        Ok((sha, _)) => wrong.push(format!(
            "{}: hashes to {sha}, the manifest says {}",
            manifest.dump.file, manifest.dump.sha256
        )),
        Err(e) => wrong.push(format!("{}: {e:#}", manifest.dump.file)),
    }
    for o in &manifest.objects {
        match hash_file(&object_path(root, &o.key)).await {
            Ok((sha, _)) if sha == o.sha256 => {}
            Ok((sha, _)) => wrong.push(format!("{}: hashes to {sha}, not {}", o.key, o.sha256)),
            Err(_) => wrong.push(format!("{}: missing from the backup", o.key)),
        }
    }
    Ok(wrong)
}

/// What a restore found when it checked what it restored.
#[derive(Debug, Clone, Default)]
pub struct RestoreReport {
    pub tables: usize,
    pub rows: i64,
    pub objects: usize,
    pub object_bytes: u64,
    pub audit_rows: i64,
    /// Everything that does not match the manifest (empty: the restore is whole).
    pub problems: Vec<String>,
}

/// Restores the backup in `dir` into the empty database at `database_url` (`pool` connects to it)
/// and into `storage`, then verifies it ([`verify`]).
pub async fn restore(
    pool: &PgPool,
    database_url: &str,
    storage: &Storage,
    dir: &Path,
) -> anyhow::Result<RestoreReport> {
    let manifest = read_manifest(dir).await?;
    let broken = check_files(dir).await?;
    ensure!(
        broken.is_empty(),
        "the backup in {} is not whole; nothing restored:\n  {}",
        dir.display(),
        broken.join("\n  ")
    );
    let tables = db::backup::user_tables(pool).await?;
    ensure!(
        tables.is_empty(),
        "the database is not empty ({} tables, e.g. {}); restore goes into an empty database",
        tables.len(),
        tables
            .iter()
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    );
    // The role the server works as is the cluster's, not the database's: a new cluster lacks it.
    db::backup::ensure_app_role(pool).await?;
    let output = tokio::process::Command::new(pg_program("pg_restore"))
        .arg("--exit-on-error")
        .arg("--no-owner")
        .arg(format!("--dbname={database_url}"))
        .arg(dir.join(&manifest.dump.file))
        .output()
        .await
        .with_context(|| format!("running {}", pg_program("pg_restore").display()))?;
    if !output.status.success() {
        bail!(
            "pg_restore failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let root = root_of(dir)?;
    for o in &manifest.objects {
        let bytes = tokio::fs::read(object_path(root, &o.key))
            .await
            .with_context(|| format!("reading {} from the backup", o.key))?;
        storage.put_bytes(&o.key, &bytes).await?;
    }
    verify(pool, storage, &manifest).await
}

/// Checks a database and a store against a manifest: the audit chain intact and at the manifest's
/// head, every table's rows as counted, every object there and hashing to its SHA-256.
pub async fn verify(
    pool: &PgPool,
    storage: &Storage,
    manifest: &Manifest,
) -> anyhow::Result<RestoreReport> {
    let mut report = RestoreReport::default();
    let audit = crate::audit::verify(pool).await?;
    report.audit_rows = audit.rows;
    if !audit.is_intact() {
        report.problems.push(format!(
            "the audit trail is not intact: {} breaks, {} Kirim heads lost, {} snapshots changed",
            audit.breaks.len(),
            audit.lost_kirim_heads.len(),
            audit.changed_snapshots.len()
        ));
    }
    let head = audit.head.map(|(seq, hash)| AuditHead { seq, hash });
    if head != manifest.audit_head {
        report.problems.push(format!(
            "the audit trail ends at {:?}, the backup's at {:?}",
            head.map(|h| h.seq),
            manifest.audit_head.as_ref().map(|h| h.seq)
        ));
    }
    let mut conn = pool.acquire().await?;
    let counts: BTreeMap<String, i64> = db::backup::table_counts(&mut conn)
        .await?
        .into_iter()
        .collect();
    drop(conn);
    report.tables = counts.len();
    report.rows = counts.values().sum();
    for (table, expected) in &manifest.counts {
        let found = counts.get(table).copied();
        if found != Some(*expected) {
            report.problems.push(format!(
                "table {table}: {} rows, the backup had {expected}",
                found.map_or_else(|| "no such table, no".to_owned(), |n| n.to_string())
            ));
        }
    }
    for o in &manifest.objects {
        let Some(mut stream) = storage.read_object(&o.key).await? else {
            report
                .problems
                .push(format!("{}: missing from the store", o.key));
            continue;
        };
        let mut hasher = Sha256::new();
        let mut bytes = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            bytes += chunk.len() as u64;
            hasher.update(&chunk);
        }
        let sha = hex::encode(hasher.finalize());
        if sha != o.sha256 {
            report
                .problems
                .push(format!("{}: hashes to {sha}, not {}", o.key, o.sha256));
        }
        report.objects += 1;
        report.object_bytes += bytes;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_laid_out_as_the_disk_store_lays_them_out() {
        let root = Path::new("/b");
        assert_eq!(
            object_path(root, "photos/abcdef"),
            Path::new("/b/objects/photos/ab/abcdef")
        );
        assert_eq!(
            object_path(root, "thumbs/0123"),
            Path::new("/b/objects/thumbs/01/0123")
        );
    }

    #[test]
    fn the_client_programs_are_found_by_name_at_least() {
        assert!(pg_program("pg_dump").ends_with("pg_dump"));
    }
}
