//! Imports from a file a person uploads (the admin's page): each kind through the same import the
//! console runs, with the admin as the actor in the audit trail, and the recent imports as
//! recorded.

use sqlx::PgPool;
use survey_schema::{WilayahKode, WilayahLevel};

use super::{ImportCounts, ImportError, InputFile};
use crate::audit::Actor;
use crate::db;

/// What to import, with what it needs besides the file.
#[derive(Debug, Clone)]
pub enum Upload {
    /// Proposals (usulan) of a year; then the checks run again.
    Proposals { tahun: i32, skip_invalid: bool },
    /// A unit-price standard of a region and year.
    Prices { region: WilayahKode, tahun: i32 },
    /// Boundaries of one level (GeoJSON).
    Boundaries { level: WilayahLevel },
    /// An agency's Renja of a year.
    Renja {
        opd: String,
        tahun: i32,
        skip_invalid: bool,
    },
    /// The agency (OPD) register.
    Opd,
}

impl Upload {
    /// The kind, as the import log names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Proposals { .. } => "proposals",
            Self::Prices { .. } => "prices",
            Self::Boundaries { .. } => "boundaries",
            Self::Renja { .. } => "renja",
            Self::Opd => "opd",
        }
    }
}

/// What an upload did.
#[derive(Debug, Clone, Default)]
pub struct Uploaded {
    pub counts: ImportCounts,
    /// Rows refused and set aside (with `skip_invalid`), as `row N, column C: problem`.
    pub rejected: Vec<String>,
    /// What a person should check (names matched approximately, pagu that disagree, ...).
    pub notes: Vec<String>,
}

/// Imports `file` as `upload` says, as `actor`.
pub async fn upload(
    pool: &PgPool,
    boundaries: &geo_rules::BoundaryIndex,
    actor: &Actor,
    upload: &Upload,
    file: InputFile,
) -> Result<Uploaded, ImportError> {
    match upload {
        Upload::Proposals {
            tahun,
            skip_invalid,
        } => {
            let options = super::proposals::ProposalImportOptions {
                tahun: *tahun,
                skip_invalid: *skip_invalid,
                actor: Some(actor.clone()),
                ..Default::default()
            };
            let (s, _) =
                super::proposals::import_and_check(pool, boundaries, file, &options).await?;
            Ok(Uploaded {
                counts: s.counts,
                rejected: s.rejected.iter().map(ToString::to_string).collect(),
                notes: s.fuzzy_matches,
            })
        }
        Upload::Prices { region, tahun } => {
            let s = super::prices::import_file(pool, file, region, *tahun, actor).await?;
            Ok(Uploaded {
                counts: s.counts,
                ..Uploaded::default()
            })
        }
        Upload::Boundaries { level } => {
            let s = super::boundaries::import_file(pool, file, *level, actor).await?;
            Ok(Uploaded {
                counts: s.counts,
                ..Uploaded::default()
            })
        }
        Upload::Renja {
            opd,
            tahun,
            skip_invalid,
        } => {
            let options = super::renja::RenjaImportOptions {
                opd: opd.clone(),
                tahun: *tahun,
                skip_invalid: *skip_invalid,
                actor: Some(actor.clone()),
                ..Default::default()
            };
            let s = super::renja::import_file(pool, file, &options).await?;
            let mut notes = s.fuzzy_matches;
            notes.extend(s.pagu_mismatches);
            Ok(Uploaded {
                counts: s.counts,
                rejected: s.rejected.iter().map(ToString::to_string).collect(),
                notes,
            })
        }
        Upload::Opd => Ok(Uploaded {
            counts: super::opd::import_file(pool, file, actor).await?,
            ..Uploaded::default()
        }),
    }
}

pub use crate::db::import_log::LoggedImport;

/// The latest imports, newest first.
pub async fn recent(pool: &PgPool, limit: i64) -> Result<Vec<LoggedImport>, sqlx::Error> {
    db::import_log::recent(pool, limit).await
}
