//! Reference-data import: all-or-nothing (one transaction), idempotent by kode, with a report.

pub mod boundaries;
pub mod catalogue;
pub mod kelurahan;
pub mod opd;
pub mod prices;
pub mod proposals;
pub mod renja;
pub mod rows;
pub mod table;
pub mod uploads;
pub mod wilayah;

use std::fmt;
use std::io::Read;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};

pub use crate::db::import_log::ImportCounts;

/// A problem with one row or feature of an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// Where: `line 12, column kode` or `feature #3 (kode 31.71.01.1001)`.
    pub location: String,
    pub message: String,
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    File(String),
    #[error("{} in {file}; nothing was imported:\n{}", count(problems.len()), list(problems))]
    Rows {
        file: String,
        problems: Vec<RowProblem>,
    },
    #[error("{file}: {source}\nNothing was imported.")]
    Boundaries {
        file: String,
        source: geo_rules::BoundaryFileError,
    },
    /// The file would change proposals of a kecamatan whose list was sent (Kirim).
    #[error("{0}\nNothing was imported.")]
    Locked(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The data is in; running the checks over it failed (run `tinjau analyze` again).
    #[error("the checks after the import: {0:#}")]
    Checks(anyhow::Error),
}

fn count(n: usize) -> String {
    if n == 1 {
        "1 problem".to_owned()
    } else {
        format!("{n} problems")
    }
}

/// The first 20 problems, one per line, then a count of the rest.
pub fn list(problems: &[impl fmt::Display]) -> String {
    let mut lines: Vec<String> = problems.iter().take(20).map(|p| format!("  {p}")).collect();
    if problems.len() > 20 {
        lines.push(format!("  ... and {} more", problems.len() - 20));
    }
    lines.join("\n")
}

/// Opens the import transaction; imports are serialised so two never interleave.
async fn begin(
    pool: &sqlx::PgPool,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, ImportError> {
    let mut tx = pool.begin().await?;
    crate::db::lock::import(&mut tx).await?;
    Ok(tx)
}

/// Completes the counts, records the import in `import_log` and the audit trail (with `changes`,
/// the entities it changed, when the import lists them) and commits.
async fn finish(
    mut tx: sqlx::Transaction<'static, sqlx::Postgres>,
    actor: &crate::audit::Actor,
    kind: &str,
    file: &InputFile,
    mut counts: ImportCounts,
    changes: Vec<crate::audit::Change>,
) -> Result<ImportCounts, ImportError> {
    counts.unchanged = counts.total - counts.inserted - counts.updated;
    let log_id =
        crate::db::import_log::record(&mut tx, kind, &file.name, file.sha256.as_str(), &counts)
            .await?;
    let summary = crate::audit::Change::new(log_id.to_string()).after(serde_json::json!({
        "kind": kind,
        "file": file.name,
        "sha256": file.sha256,
        "total": counts.total,
        "inserted": counts.inserted,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        "repaired": counts.repaired,
    }));
    crate::audit::record(&mut tx, actor, "import", "import", vec![summary]).await?;
    if !changes.is_empty() {
        crate::audit::record(&mut tx, actor, &format!("{kind}.import"), kind, changes).await?;
    }
    tx.commit().await?;
    Ok(counts)
}

/// A file read whole, with what the import log records about it.
#[derive(Debug)]
pub struct InputFile {
    /// The file name (no directories), for messages and the `source` column.
    pub name: String,
    pub bytes: Vec<u8>,
    pub sha256: survey_schema::Sha256,
}

impl InputFile {
    /// Reads a file, showing a byte progress bar when `progress` is set and the file is large.
    pub fn read(path: &Path, progress: bool) -> Result<Self, ImportError> {
        let io = |source| ImportError::Io {
            path: path.display().to_string(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let bar = bar(
            progress && len > 1 << 20,
            len,
            "reading",
            "{bytes}/{total_bytes}",
        );
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        bar.wrap_read(file).read_to_end(&mut bytes).map_err(io)?;
        bar.finish_and_clear();
        let sha256 = survey_schema::Sha256::from_bytes(Sha256::digest(&bytes).into());
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        Ok(Self {
            name,
            bytes,
            sha256,
        })
    }

    /// A file received whole (an upload).
    pub fn from_bytes(name: &str, bytes: Vec<u8>) -> Self {
        let sha256 = survey_schema::Sha256::from_bytes(Sha256::digest(&bytes).into());
        Self {
            name: name.to_owned(),
            bytes,
            sha256,
        }
    }

    /// The `source` recorded with imported rows: name and the start of the hash.
    pub fn source(&self) -> String {
        format!("{} (sha256 {})", self.name, self.sha256.short())
    }
}

/// A progress bar on stderr; hidden when not wanted (and by indicatif when stderr is no terminal).
pub fn bar(visible: bool, len: u64, what: &str, counter: &str) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let style =
        ProgressStyle::with_template(&format!("{{prefix:>9}} [{{bar:40}}] {counter} ({{eta}})"))
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
    ProgressBar::new(len)
        .with_style(style)
        .with_prefix(what.to_owned())
}
