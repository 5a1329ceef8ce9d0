//! `tinjau import boundaries FILE.geojson[.gz] --level kelurahan|kecamatan|kota [--repair]`.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use geo_rules::BoundaryFeature;
use geo_rules::boundary_file::{parse_boundary_file_closing_rings, read_boundary_file};
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
    /// Rings closed because repairs were asked for: `feature #i (kode k): polygon p, ring r …`.
    pub rings_closed: Vec<String>,
}

/// A gzipped file (as the national desa and kelurahan files come) is read through gzip, up to this
/// many bytes: a decompression bomb stops here instead of filling the memory.
const MAX_UNZIPPED: u64 = 2 << 30;

/// Imports (or re-imports) boundaries of one level. Any bad feature: nothing is written. With
/// `repair`, a ring that does not end where it starts is closed and an invalid polygon made valid
/// by `ST_MakeValid`, each listed; without it, either refuses the file whole.
///
/// A gzipped file is unzipped and checked as a stream, one feature at a time: only the file as
/// read and the checked polygons are held in memory.
pub async fn import(
    pool: &PgPool,
    path: &Path,
    level: WilayahLevel,
    progress: bool,
    repair: bool,
) -> Result<BoundarySummary, ImportError> {
    let file = InputFile::read(path, progress)?;
    let parsed = if file.bytes.starts_with(&[0x1f, 0x8b]) {
        let bar = bar(
            progress && file.bytes.len() > 1 << 20,
            file.bytes.len() as u64,
            "checking",
            "{bytes}/{total_bytes}",
        );
        let parsed = read_gzipped(bar.wrap_read(file.bytes.as_slice()), &file.name, repair);
        bar.finish_and_clear();
        parsed?
    } else {
        parse(&file.bytes, repair)
    };
    import_checked(
        pool,
        file,
        parsed,
        level,
        progress,
        repair,
        &crate::audit::Actor::cli(),
    )
    .await
}

/// Reads the boundary features of a GeoJSON file, gzipped or not, or of every `.geojson[.gz]` file
/// in a directory (such as the 38 province files of the whole country), as a stream, closing a
/// ring that does not end where it starts; returns the features and the rings closed. For reading
/// boundaries without importing them (`tinjau locate --boundaries`, the benchmarks).
pub fn read_boundary_files(
    path: &Path,
) -> Result<(Vec<BoundaryFeature>, Vec<geo_rules::FeatureProblem>), ImportError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| ImportError::Io { path, source }
    };
    let files = if path.is_dir() {
        let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(path)
            .map_err(io(path))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p.to_string_lossy();
                name.ends_with(".geojson") || name.ends_with(".geojson.gz")
            })
            .collect();
        files.sort();
        files
    } else {
        vec![path.to_owned()]
    };
    let (mut features, mut closed) = (Vec::new(), Vec::new());
    for file in files {
        let name = file.display().to_string();
        let mut reader = std::io::BufReader::new(std::fs::File::open(&file).map_err(io(&file))?);
        let gzipped = std::io::BufRead::fill_buf(&mut reader)
            .map_err(io(&file))?
            .starts_with(&[0x1f, 0x8b]);
        let parsed = if gzipped {
            read_gzipped(reader, &name, true)?
        } else {
            read_boundary_file(reader, "kode", true)
        };
        let (mut more, mut rings) = parsed.map_err(|source| ImportError::Boundaries {
            file: name.clone(),
            source,
        })?;
        features.append(&mut more);
        closed.append(&mut rings);
    }
    Ok((features, closed))
}

/// Imports boundaries from a file already read (an upload), as `actor`. Repairs are made and
/// listed, as the page shows them.
pub async fn import_file(
    pool: &PgPool,
    file: InputFile,
    level: WilayahLevel,
    actor: &crate::audit::Actor,
) -> Result<BoundarySummary, ImportError> {
    let parsed = parse(&file.bytes, true);
    import_checked(pool, file, parsed, level, false, true, actor).await
}

fn parse(bytes: &[u8], repair: bool) -> Checked {
    if repair {
        parse_boundary_file_closing_rings(bytes, "kode")
    } else {
        geo_rules::parse_boundary_file(bytes, "kode").map(|f| (f, Vec::new()))
    }
}

/// A gzip stream unzipped up to [`MAX_UNZIPPED`] bytes; what stopped it (a corrupt stream or too
/// much data) is kept in `problem`, as the JSON reader reports only that its input failed.
struct GzipStream<R: Read> {
    inner: flate2::read::MultiGzDecoder<R>,
    unzipped: u64,
    problem: Option<String>,
}

impl<R: Read> GzipStream<R> {
    fn fail(&mut self, problem: String) -> std::io::Error {
        self.problem = Some(problem.clone());
        std::io::Error::other(problem)
    }
}

/// What checking a boundary file gives: its features and the rings closed, or why it is refused.
type Checked =
    Result<(Vec<BoundaryFeature>, Vec<geo_rules::FeatureProblem>), geo_rules::BoundaryFileError>;

/// Checks the gzipped boundary file `reader` (named `name`) as a stream; a corrupt or too large
/// gzip stream is refused as such rather than as the JSON it cut short.
fn read_gzipped(reader: impl Read, name: &str, repair: bool) -> Result<Checked, ImportError> {
    let mut gzip = GzipStream {
        inner: flate2::read::MultiGzDecoder::new(reader),
        unzipped: 0,
        problem: None,
    };
    let checked = read_boundary_file(&mut gzip, "kode", repair);
    match gzip.problem {
        Some(problem) => Err(ImportError::File(format!("{name}: {problem}"))),
        None => Ok(checked),
    }
}

impl<R: Read> Read for GzipStream<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self
            .inner
            .read(buf)
            .map_err(|e| self.fail(format!("not a readable gzip file: {e}")))?;
        self.unzipped += n as u64;
        if self.unzipped > MAX_UNZIPPED {
            return Err(self.fail(format!(
                "unzips to more than {} GiB; refused",
                MAX_UNZIPPED >> 30
            )));
        }
        Ok(n)
    }
}

async fn import_checked(
    pool: &PgPool,
    file: InputFile,
    parsed: Checked,
    level: WilayahLevel,
    progress: bool,
    repair: bool,
    actor: &crate::audit::Actor,
) -> Result<BoundarySummary, ImportError> {
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
        .filter(|g| g.empty_after_repair || !repair)
        .map(|g| RowProblem {
            location: describe(g.position),
            message: if g.empty_after_repair {
                format!(
                    "invalid ({}) and nothing of it is left after repair",
                    g.reason
                )
            } else {
                format!(
                    "invalid ({}); --repair makes it valid with ST_MakeValid and lists it",
                    g.reason
                )
            },
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
