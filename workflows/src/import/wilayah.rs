//! `tinjau import wilayah FILE.csv`: the official code list, columns `kode,nama,level`.

use std::collections::HashSet;
use std::path::Path;

use sqlx::PgPool;
use survey_schema::WilayahKode;

use super::{ImportCounts, ImportError, InputFile, RowProblem, bar};
use crate::db;

const CHUNK: usize = 10_000;

/// Imports (or re-imports) a code list. Any invalid row: nothing is written.
pub async fn import(
    pool: &PgPool,
    path: &Path,
    progress: bool,
) -> Result<ImportCounts, ImportError> {
    let file = InputFile::read(path, progress)?;
    let batch = parse(&file)?;
    let total = batch.kodes.len();

    let mut tx = super::begin(pool).await?;
    check_parents(&mut tx, &file.name, &batch).await?;

    let bar = bar(
        progress && total > CHUNK,
        total as u64,
        "writing",
        "{pos}/{len} rows",
    );
    let mut counts = ImportCounts {
        total,
        ..ImportCounts::default()
    };
    for start in (0..total).step_by(CHUNK) {
        let end = (start + CHUNK).min(total);
        let chunk = db::wilayah::WilayahBatch {
            kodes: batch.kodes[start..end].to_vec(),
            namas: batch.namas[start..end].to_vec(),
            levels: batch.levels[start..end].to_vec(),
            parents: batch.parents[start..end].to_vec(),
        };
        let (inserted, updated) = db::wilayah::upsert(&mut tx, &chunk).await?;
        counts.inserted += inserted;
        counts.updated += updated;
        bar.inc((end - start) as u64);
    }
    bar.finish_and_clear();
    let counts = super::finish(
        tx,
        &crate::audit::Actor::cli(),
        "wilayah",
        &file,
        counts,
        Vec::new(),
    )
    .await?;
    Ok(counts)
}

/// Reads and checks every row; returns them all or every problem found.
fn parse(file: &InputFile) -> Result<db::wilayah::WilayahBatch, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(file.bytes.as_slice());
    let headers = reader
        .headers()
        .map_err(|e| ImportError::File(format!("{}: cannot read the header: {e}", file.name)))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(kode_col), Some(nama_col), Some(level_col)) =
        (column("kode"), column("nama"), column("level"))
    else {
        return Err(ImportError::File(format!(
            "{}: expected the columns kode,nama,level; found {}",
            file.name,
            headers.iter().collect::<Vec<_>>().join(",")
        )));
    };

    let mut batch = db::wilayah::WilayahBatch::default();
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                problems.push(RowProblem {
                    location: format!("line {line}"),
                    message: e.to_string(),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, csv::Position::line);
        let unreadable = super::table::control_problems(
            &format!("line {line}"),
            &headers.iter().collect::<Vec<_>>(),
            record.iter(),
        );
        if !unreadable.is_empty() {
            problems.extend(unreadable);
            continue;
        }
        let at = |col: &str| format!("line {line}, column {col}");
        let kode = match WilayahKode::parse(record.get(kode_col).unwrap_or("")) {
            Ok(k) => k,
            Err(e) => {
                problems.push(RowProblem {
                    location: at("kode"),
                    message: e.to_string(),
                });
                continue;
            }
        };
        let nama = record.get(nama_col).unwrap_or("").to_owned();
        if nama.is_empty() {
            problems.push(RowProblem {
                location: at("nama"),
                message: "is empty".into(),
            });
        }
        let level_text = record.get(level_col).unwrap_or("");
        match level_text.parse::<i16>() {
            Ok(n) if n == kode.level().number() => {}
            _ => problems.push(RowProblem {
                location: at("level"),
                message: format!(
                    "'{level_text}' does not match the code {kode}, which is level {} ({})",
                    kode.level().number(),
                    kode.level()
                ),
            }),
        }
        if !seen.insert(kode.clone()) {
            problems.push(RowProblem {
                location: at("kode"),
                message: format!("{kode} repeats an earlier row"),
            });
        }
        batch.parents.push(kode.parent().map(String::from));
        batch.levels.push(kode.level().number());
        batch.kodes.push(kode.into());
        batch.namas.push(nama);
    }
    if batch.kodes.is_empty() && problems.is_empty() {
        return Err(ImportError::File(format!("{}: has no rows", file.name)));
    }
    if problems.is_empty() {
        Ok(batch)
    } else {
        Err(ImportError::Rows {
            file: file.name.clone(),
            problems,
        })
    }
}

/// Every parent must be in the file or already in the database.
async fn check_parents(
    conn: &mut sqlx::PgConnection,
    file: &str,
    batch: &db::wilayah::WilayahBatch,
) -> Result<(), ImportError> {
    let in_file: HashSet<&str> = batch.kodes.iter().map(String::as_str).collect();
    let mut outside: Vec<String> = batch
        .parents
        .iter()
        .flatten()
        .filter(|p| !in_file.contains(p.as_str()))
        .cloned()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    if outside.is_empty() {
        return Ok(());
    }
    outside.sort();
    let known: HashSet<String> = db::wilayah::levels_of(conn, &outside)
        .await?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let problems: Vec<RowProblem> = outside
        .into_iter()
        .filter(|p| !known.contains(p))
        .map(|p| RowProblem {
            location: format!("parent {p}"),
            message: "is neither in the file nor in the database".into(),
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

/// `tinjau import wilayah-alias FILE.csv`: old names of kelurahan (a rename, an old spelling a
/// file still writes), columns `kode,nama_lama`. Every row is checked; any bad row: nothing is
/// written. Re-importing the same file changes nothing.
pub async fn import_aliases(pool: &PgPool, path: &Path) -> Result<ImportCounts, ImportError> {
    let file = InputFile::read(path, false)?;
    let table = super::table::read(&file.bytes, |cells| {
        let keys: Vec<String> = cells.iter().map(|c| c.trim().to_lowercase()).collect();
        keys.iter().any(|k| k == "kode") && keys.iter().any(|k| k == "nama_lama" || k == "alias")
    })
    .map_err(|e| {
        ImportError::File(format!(
            "{}: {e}; the columns are kode,nama_lama",
            file.name
        ))
    })?;
    let column = |names: &[&str]| {
        table
            .headers
            .iter()
            .position(|h| names.contains(&h.trim().to_lowercase().as_str()))
    };
    let (Some(kode_at), Some(alias_at)) = (column(&["kode"]), column(&["nama_lama", "alias"]))
    else {
        return Err(ImportError::File(format!(
            "{}: the columns are kode,nama_lama",
            file.name
        )));
    };
    let known: HashSet<String> = db::wilayah::within(pool, "")
        .await?
        .into_iter()
        .filter(|r| r.level == 4)
        .map(|r| r.kode.to_string())
        .collect();
    let mut problems = Vec::new();
    let mut seen: std::collections::HashMap<String, (usize, String)> =
        std::collections::HashMap::new();
    let (mut keys, mut aliases, mut kodes) = (Vec::new(), Vec::new(), Vec::new());
    for (line, cells) in &table.rows {
        let cell = |i: usize| {
            cells
                .get(i)
                .map(super::table::Cell::text)
                .unwrap_or_default()
        };
        let (kode, alias) = (cell(kode_at), cell(alias_at));
        let key = geo_rules::text::normalise_name(&alias);
        let problem = |column: &str, message: String| RowProblem {
            location: format!("line {line}, column {column}"),
            message,
        };
        if !known.contains(kode.trim()) {
            problems.push(problem(
                "kode",
                format!("'{kode}' is not a kelurahan/desa code in the code list"),
            ));
            continue;
        }
        if key.is_empty() {
            problems.push(problem("nama_lama", "is empty".into()));
            continue;
        }
        if let Some((first, other)) = seen.get(&key) {
            if other != kode.trim() {
                problems.push(problem(
                    "nama_lama",
                    format!("'{alias}' already names {other} on line {first}: one old name, one kelurahan"),
                ));
            }
            continue;
        }
        seen.insert(key.clone(), (*line, kode.trim().to_owned()));
        keys.push(key);
        aliases.push(alias.trim().to_owned());
        kodes.push(kode.trim().to_owned());
    }
    if !problems.is_empty() {
        return Err(ImportError::Rows {
            file: file.name,
            problems,
        });
    }
    let mut tx = super::begin(pool).await?;
    let (inserted, updated) =
        db::wilayah::upsert_aliases(&mut tx, &keys, &aliases, &kodes, &file.source()).await?;
    super::finish(
        tx,
        &crate::audit::Actor::cli(),
        "wilayah_alias",
        &file,
        ImportCounts {
            total: keys.len(),
            inserted,
            updated,
            ..ImportCounts::default()
        },
        Vec::new(),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(text: &str) -> InputFile {
        InputFile {
            name: "test.csv".into(),
            bytes: text.as_bytes().to_vec(),
            sha256: survey_schema::Sha256::from_bytes([0; 32]),
        }
    }

    #[test]
    fn parses_rows_with_quoted_names_and_derives_parents() {
        let batch = parse(&input(
            "kode,nama,level\n12,Sumatera Utara,1\n12.07,Deli Serdang,2\n12.07.28,Lubuk Pakam,3\n12.07.28.1007,\"Lubuk Pakam I,II\",4\n",
        ))
        .unwrap();
        assert_eq!(batch.kodes.len(), 4);
        assert_eq!(batch.namas[3], "Lubuk Pakam I,II");
        assert_eq!(batch.parents[0], None);
        assert_eq!(batch.parents[3].as_deref(), Some("12.07.28"));
    }

    #[test]
    fn reports_every_bad_row_with_line_and_column() {
        let err = parse(&input(
            "kode,nama,level\n31,DKI,1\n31.7x,Bad,2\n31.71,,2\n31.71.01,Gambir,4\n31,Again,1\n",
        ))
        .unwrap_err();
        let ImportError::Rows { problems, .. } = err else {
            panic!("{err:?}")
        };
        let locations: Vec<&str> = problems.iter().map(|p| p.location.as_str()).collect();
        assert_eq!(
            locations,
            [
                "line 3, column kode",
                "line 4, column nama",
                "line 5, column level",
                "line 6, column kode"
            ]
        );
    }

    #[test]
    fn refuses_a_file_without_the_columns() {
        let err = parse(&input("code,name\n31,DKI\n")).unwrap_err();
        assert!(
            err.to_string()
                .contains("expected the columns kode,nama,level"),
            "{err}"
        );
    }
}
