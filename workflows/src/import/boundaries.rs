//! `tinjau import boundaries FILE.geojson[.gz] --level kelurahan|kecamatan|kota [--close-rings]`.

use std::collections::HashMap;
use std::path::Path;

use std::io::Read as _;

use geo_rules::boundary_file::parse_boundary_file_closing_rings;
use geo_rules::{BoundaryFeature, parse_boundary_file};
use sqlx::PgPool;
use survey_schema::WilayahLevel;

use super::{ImportCounts, ImportError, InputFile, RowProblem, bar};
use crate::db;

const CHUNK: usize = 500;

/// What a boundary import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundarySummary {
    pub counts: ImportCounts,
    /// Features PostGIS found invalid and `ST_MakeValid` repaired: `feature #i (kode k): reason`.
    pub repaired: Vec<RowProblem>,
    /// Rings closed because `close_rings` was asked for: `feature #i (kode k): polygon p, ring r …`.
    pub rings_closed: Vec<String>,
}

/// A gzipped file (as the national desa and kelurahan files come) is read through gzip, up to this
/// many bytes: a decompression bomb stops here instead of filling the memory.
const MAX_UNZIPPED: u64 = 2 << 30;

/// Imports (or re-imports) boundaries of one level. Any bad feature: nothing is written.
pub async fn import(
    pool: &PgPool,
    path: &Path,
    level: WilayahLevel,
    progress: bool,
    close_rings: bool,
) -> Result<BoundarySummary, ImportError> {
    let mut file = InputFile::read(path, progress)?;
    if file.bytes.starts_with(&[0x1f, 0x8b]) {
        let mut unzipped = Vec::new();
        flate2::read::MultiGzDecoder::new(file.bytes.as_slice())
            .take(MAX_UNZIPPED + 1)
            .read_to_end(&mut unzipped)
            .map_err(|e| {
                ImportError::File(format!("{}: not a readable gzip file: {e}", file.name))
            })?;
        if unzipped.len() as u64 > MAX_UNZIPPED {
            return Err(ImportError::File(format!(
                "{}: unzips to more than {} GiB; refused",
                file.name,
                MAX_UNZIPPED >> 30
            )));
        }
        file.bytes = unzipped;
    }
    import_file_as(
        pool,
        file,
        level,
        progress,
        close_rings,
        &crate::audit::Actor::cli(),
    )
    .await
}

/// Imports boundaries from a file already read (an upload), as `actor`.
pub async fn import_file(
    pool: &PgPool,
    file: InputFile,
    level: WilayahLevel,
    actor: &crate::audit::Actor,
) -> Result<BoundarySummary, ImportError> {
    import_file_as(pool, file, level, false, false, actor).await
}

async fn import_file_as(
    pool: &PgPool,
    file: InputFile,
    level: WilayahLevel,
    progress: bool,
    close_rings: bool,
    actor: &crate::audit::Actor,
) -> Result<BoundarySummary, ImportError> {
    let parsed = if close_rings {
        parse_boundary_file_closing_rings(&file.bytes, "kode")
    } else {
        parse_boundary_file(&file.bytes, "kode").map(|f| (f, Vec::new()))
    };
    let (features, rings_closed) = parsed.map_err(|source| ImportError::Boundaries {
        file: file.name.clone(),
        source,
    })?;
    let rings_closed: Vec<String> = rings_closed.iter().map(ToString::to_string).collect();
    let kodes: Vec<String> = features.iter().map(|f| f.kode.to_string()).collect();
    let geojson: Vec<String> = features
        .iter()
        .map(|f| serde_json::to_string(&f.geometry))
        .collect::<Result<_, _>>()
        .map_err(|e| ImportError::File(format!("{}: {e}", file.name)))?;

    let mut tx = super::begin(pool).await?;
    check_kodes(&mut tx, &file.name, &features, level).await?;

    let invalid = db::boundary::invalid_geometries(&mut tx, &geojson).await?;
    let describe = |position: usize| {
        let f = &features[position];
        format!("feature #{} (kode {})", f.index, f.kode)
    };
    let collapsed: Vec<RowProblem> = invalid
        .iter()
        .filter(|g| g.empty_after_repair)
        .map(|g| RowProblem {
            location: describe(g.position),
            message: format!(
                "invalid ({}) and nothing of it is left after repair",
                g.reason
            ),
        })
        .collect();
    if !collapsed.is_empty() {
        return Err(ImportError::Rows {
            file: file.name,
            problems: collapsed,
        });
    }

    let total = features.len();
    let bar = bar(
        progress && total > CHUNK,
        total as u64,
        "writing",
        "{pos}/{len} features",
    );
    let mut counts = ImportCounts {
        total,
        repaired: invalid.len(),
        ..ImportCounts::default()
    };
    let source = file.source();
    for start in (0..total).step_by(CHUNK) {
        let end = (start + CHUNK).min(total);
        let (inserted, updated) = db::boundary::upsert(
            &mut tx,
            &kodes[start..end],
            &geojson[start..end],
            level.number(),
            &source,
        )
        .await?;
        counts.inserted += inserted;
        counts.updated += updated;
        bar.inc((end - start) as u64);
    }
    bar.finish_and_clear();
    if level == WilayahLevel::Kelurahan && counts.inserted + counts.updated > 0 {
        db::boundary::notify_changed(&mut tx).await?;
    }
    let counts = super::finish(tx, actor, "boundaries", &file, counts, Vec::new()).await?;

    let repaired = invalid
        .into_iter()
        .map(|g| RowProblem {
            location: describe(g.position),
            message: format!("repaired with ST_MakeValid: {}", g.reason),
        })
        .collect();
    Ok(BoundarySummary {
        counts,
        repaired,
        rings_closed,
    })
}

/// Every kode must be a known area of the requested level.
async fn check_kodes(
    conn: &mut sqlx::PgConnection,
    file: &str,
    features: &[BoundaryFeature],
    level: WilayahLevel,
) -> Result<(), ImportError> {
    let kodes: Vec<String> = features.iter().map(|f| f.kode.to_string()).collect();
    let known: HashMap<String, i16> = db::wilayah::levels_of(conn, &kodes)
        .await?
        .into_iter()
        .collect();
    let problems: Vec<RowProblem> = features
        .iter()
        .filter_map(|f| {
            let message = match known.get(f.kode.as_str()) {
                None => {
                    "is not in the wilayah code list (import it first with `tinjau import wilayah`)"
                        .to_owned()
                }
                Some(&n) if n != level.number() => format!(
                    "is a {} code, but this import is --level {level}",
                    WilayahLevel::from_number(n).map_or("?", WilayahLevel::as_str)
                ),
                Some(_) => return None,
            };
            Some(RowProblem {
                location: format!("feature #{} (kode {})", f.index, f.kode),
                message,
            })
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ImportError::Rows {
            file: file.to_owned(),
            problems,
        })
    }
}
