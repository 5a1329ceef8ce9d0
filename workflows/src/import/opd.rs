//! `tinjau import opd FILE.csv|xlsx`: the agency register, columns `kode,nama` and optionally
//! `singkatan`, `kota` (the kota/kabupaten code it serves) and `alias` (more spellings, separated by
//! `|`: the SKPD tujuan proposals write). All-or-nothing, idempotent by kode; an agency's spellings
//! are replaced by the file's.

use std::collections::HashMap;
use std::path::Path;

use sqlx::PgPool;

use super::table::{self, Cell, header_key};
use super::{ImportCounts, ImportError, InputFile, RowProblem};
use crate::db;
use crate::db::opd::OpdEntry;

/// Reads the register file: every bad row by line and column.
pub fn parse(file: &InputFile) -> Result<Vec<OpdEntry>, ImportError> {
    let names: [(&str, &[&str]); 5] = [
        ("kode", &["kode", "kodeopd", "kodeskpd"]),
        ("nama", &["nama", "namaopd", "namaskpd", "opd", "skpd"]),
        ("singkatan", &["singkatan", "namasingkat"]),
        ("kota", &["kota", "kodekota", "wilayah"]),
        ("alias", &["alias", "ejaanlain", "aliases"]),
    ];
    let field = |h: &str| {
        let key = header_key(h);
        names
            .iter()
            .find(|(_, keys)| keys.contains(&key.as_str()))
            .map(|(f, _)| *f)
    };
    let table = table::read(&file.bytes, |cells| {
        let found: Vec<&str> = cells.iter().filter_map(|c| field(c)).collect();
        found.contains(&"kode") && found.contains(&"nama")
    })
    .map_err(|e| {
        ImportError::File(format!(
            "{}: {e}; an agency register needs the columns kode and nama",
            file.name
        ))
    })?;
    let mut columns: HashMap<&str, usize> = HashMap::new();
    for (i, h) in table.headers.iter().enumerate() {
        if let Some(f) = field(h) {
            columns.entry(f).or_insert(i);
        }
    }
    let mut problems = Vec::new();
    let mut entries: Vec<OpdEntry> = Vec::new();
    let mut first_line: HashMap<String, usize> = HashMap::new();
    for (line, cells) in &table.rows {
        let get = |f: &str| {
            columns
                .get(f)
                .and_then(|&i| cells.get(i))
                .map(Cell::text)
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
        };
        let problem = |column: &str, message: String| RowProblem {
            location: format!("line {line}, column {column}"),
            message,
        };
        let kode = get("kode").unwrap_or_default().to_lowercase();
        let nama = get("nama").unwrap_or_default();
        let mut bad = false;
        let valid_kode = !kode.is_empty()
            && kode.len() <= 64
            && kode.starts_with(|c: char| c.is_ascii_alphanumeric())
            && kode
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
        if !valid_kode {
            problems.push(problem(
                "kode",
                format!("'{kode}' is not an agency code (letters, digits, . _ -; up to 64)"),
            ));
            bad = true;
        }
        if nama.is_empty() {
            problems.push(problem("nama", "is empty".into()));
            bad = true;
        }
        let kota = get("kota");
        if let Some(k) = &kota
            && survey_schema::WilayahKode::parse(k).is_err()
        {
            problems.push(problem(
                "kota",
                format!("'{k}' is not an area code (e.g. 31.71)"),
            ));
            bad = true;
        }
        if let Some(first) = first_line.insert(kode.clone(), *line) {
            problems.push(problem(
                "kode",
                format!("'{kode}' is already on line {first}"),
            ));
            bad = true;
        }
        if bad {
            continue;
        }
        let singkatan = get("singkatan");
        let mut aliases: Vec<(String, String)> = Vec::new();
        let spellings = std::iter::once(nama.clone())
            .chain(singkatan.clone())
            .chain(
                get("alias")
                    .unwrap_or_default()
                    .split('|')
                    .map(|a| a.trim().to_owned())
                    .filter(|a| !a.is_empty())
                    .collect::<Vec<_>>(),
            );
        for spelling in spellings {
            let key = geo_rules::text::agency_key(&spelling);
            if !key.is_empty() && !aliases.iter().any(|(k, _)| *k == key) {
                aliases.push((key, spelling));
            }
        }
        entries.push(OpdEntry {
            kode,
            nama,
            singkatan,
            kota,
            aliases,
        });
    }
    if problems.is_empty() {
        Ok(entries)
    } else {
        Err(ImportError::Rows {
            file: file.name.clone(),
            problems,
        })
    }
}

/// Imports (or re-imports) the register.
pub async fn import(pool: &PgPool, path: &Path) -> Result<ImportCounts, ImportError> {
    let file = InputFile::read(path, false)?;
    import_file(pool, file, &crate::audit::Actor::cli()).await
}

/// Imports the register from a file already read (an upload), as `actor`.
pub async fn import_file(
    pool: &PgPool,
    file: InputFile,
    actor: &crate::audit::Actor,
) -> Result<ImportCounts, ImportError> {
    let entries = parse(&file)?;
    let mut tx = super::begin(pool).await?;
    let mut counts = ImportCounts {
        total: entries.len(),
        ..ImportCounts::default()
    };
    let mut problems = Vec::new();
    for entry in &entries {
        if let Some(kota) = &entry.kota
            && !db::opd::area_exists(&mut tx, kota).await?
        {
            problems.push(RowProblem {
                location: format!("agency {}", entry.kode),
                message: format!("kota {kota} is not in the code list"),
            });
            continue;
        }
        match db::opd::upsert(&mut tx, entry).await? {
            db::opd::Upserted::Inserted => counts.inserted += 1,
            db::opd::Upserted::Updated => counts.updated += 1,
            db::opd::Upserted::Unchanged => {}
        }
    }
    if !problems.is_empty() {
        return Err(ImportError::Rows {
            file: file.name,
            problems,
        });
    }
    super::finish(tx, actor, "opd", &file, counts, Vec::new()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_spellings_and_reports_bad_rows() {
        let file = InputFile::from_bytes(
            "opd.csv",
            b"kode;nama;singkatan;kota;alias\n\
              sudin-sda-jp;Suku Dinas Sumber Daya Air Kota Administrasi Jakarta Pusat;Sudin SDA JP;31.71;Suku Dinas Sumber Daya Air|SUDIN SDA\n"
                .to_vec(),
        );
        let entries = parse(&file).unwrap();
        assert_eq!(entries.len(), 1);
        let keys: Vec<&str> = entries[0].aliases.iter().map(|(k, _)| k.as_str()).collect();
        assert!(keys.contains(&"suku dinas sda"), "{keys:?}");
        assert!(keys.contains(&"suku dinas sumber daya air"));
        assert_eq!(keys.len(), 4);

        let bad = InputFile::from_bytes(
            "opd.csv",
            b"kode,nama,kota\nBad Code!,Dinas,31.71\nok,,31.71\nok2,Dinas,kota\nok3,A,\nok3,B,\n"
                .to_vec(),
        );
        let Err(ImportError::Rows { problems, .. }) = parse(&bad) else {
            panic!("bad rows must be refused")
        };
        let where_: Vec<&str> = problems.iter().map(|p| p.location.as_str()).collect();
        assert_eq!(
            where_,
            [
                "line 2, column kode",
                "line 3, column nama",
                "line 4, column kota",
                "line 6, column kode"
            ]
        );
    }
}
