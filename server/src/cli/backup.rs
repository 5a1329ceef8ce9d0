//! `tinjau backup` and `tinjau restore`: thin over [`tinjau_workflows::backup`].

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;

use super::StorageArgs;
use tinjau_workflows::backup;
use tinjau_workflows::database::connect_as_owner;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The backup root: each backup is a directory in it, the photos are shared by all of them
    #[arg(long = "to")]
    to: PathBuf,
    #[command(flatten)]
    storage: StorageArgs,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup's directory (DIR/<time>, as `tinjau backup` printed it)
    from: PathBuf,
    /// Only check the backup's own files (the dump's and every photo's hash); restore nothing
    #[arg(long)]
    check: bool,
    #[command(flatten)]
    storage: StorageArgs,
}

pub(super) async fn backup(database_url: &str, args: BackupArgs) -> anyhow::Result<()> {
    let pool = connect_as_owner(database_url, 2).await?;
    let storage = args.storage.open().await?;
    let report = backup::backup(&pool, database_url, &storage, &args.to).await?;
    let m = &report.manifest;
    say!(
        "backup {}: database dump {} bytes, {} tables, {} rows; audit head {}; {} objects ({} copied now, {} bytes)",
        report.dir.display(),
        m.dump.bytes,
        m.counts.len(),
        m.counts.values().sum::<i64>(),
        m.audit_head
            .as_ref()
            .map_or_else(|| "none".to_owned(), |h| format!("#{} {}", h.seq, h.hash)),
        m.objects.len(),
        report.copied,
        report.copied_bytes
    );
    Ok(())
}

pub(super) async fn restore(database_url: &str, args: RestoreArgs) -> anyhow::Result<()> {
    if args.check {
        let wrong = backup::check_files(&args.from).await?;
        if wrong.is_empty() {
            say!("backup {}: whole", args.from.display());
            return Ok(());
        }
        bail!(
            "backup {} is not whole:\n  {}",
            args.from.display(),
            wrong.join("\n  ")
        );
    }
    let pool = connect_as_owner(database_url, 2).await?;
    let storage = args.storage.open().await?;
    let report = backup::restore(&pool, database_url, &storage, &args.from).await?;
    if !report.problems.is_empty() {
        bail!(
            "restored, but it does not match the backup:\n  {}",
            report.problems.join("\n  ")
        );
    }
    say!(
        "restored {}: {} tables, {} rows, audit trail intact ({} rows), {} objects ({} bytes) hash as recorded",
        args.from.display(),
        report.tables,
        report.rows,
        report.audit_rows,
        report.objects,
        report.object_bytes
    );
    Ok(())
}
