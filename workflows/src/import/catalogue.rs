//! The activity catalogue as CSV, for editing: `tinjau catalogue export > c.csv`, edit,
//! `tinjau catalogue import c.csv`. Columns: code, nama, keywords (separated by `;`), unit
//! (m, m2, m3, unit, ls, kg, t, l), volume_min, volume_max, price_pattern (SQL LIKE on
//! "item spesifikasi", case-insensitive), price_unit, work_factor.

use std::path::Path;

use rust_decimal::Decimal;
use sqlx::PgPool;
use survey_schema::Unit;
use survey_schema::numbers::parse_decimal;

use super::{ImportCounts, ImportError, InputFile, RowProblem};
use crate::db::{self, activity::ActivityRow};

const COLUMNS: [&str; 9] = [
    "code",
    "nama",
    "keywords",
    "unit",
    "volume_min",
    "volume_max",
    "price_pattern",
    "price_unit",
    "work_factor",
];

/// Writes the catalogue as CSV.
pub async fn export(pool: &PgPool, out: impl std::io::Write) -> anyhow::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(COLUMNS)?;
    let decimal = |d: Option<Decimal>| d.map(|d| d.normalize().to_string()).unwrap_or_default();
    for row in db::activity::all(pool).await? {
        writer.write_record([
            row.code,
            row.nama,
            row.keywords.join(";"),
            row.unit,
            decimal(row.volume_min),
            decimal(row.volume_max),
            row.price_pattern.unwrap_or_default(),
            row.price_unit.unwrap_or_default(),
            row.work_factor.normalize().to_string(),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

/// Inserts or updates catalogue rows from CSV (rows not in the file are kept). Any bad row:
/// nothing is written.
pub async fn import(pool: &PgPool, path: &Path) -> Result<ImportCounts, ImportError> {
    let file = InputFile::read(path, false)?;
    let rows = parse(&file)?;
    let mut tx = super::begin(pool).await?;
    let mut counts = ImportCounts {
        total: rows.len(),
        ..ImportCounts::default()
    };
    for row in &rows {
        if db::activity::upsert(&mut tx, row).await? {
            counts.updated += 1;
        }
    }
    super::finish(
        tx,
        &crate::audit::Actor::cli(),
        "catalogue",
        &file,
        counts,
        Vec::new(),
    )
    .await
}

fn parse(file: &InputFile) -> Result<Vec<ActivityRow>, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(file.bytes.as_slice());
    let headers = reader
        .headers()
        .map_err(|e| ImportError::File(format!("{}: {e}", file.name)))?
        .clone();
    if headers.iter().collect::<Vec<_>>() != COLUMNS {
        return Err(ImportError::File(format!(
            "{}: expected the columns {}",
            file.name,
            COLUMNS.join(",")
        )));
    }
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ImportError::File(format!("{}: {e}", file.name)))?;
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
        let mut bad = |column: &str, message: String| {
            problems.push(RowProblem {
                location: format!("line {line}, column {column}"),
                message,
            });
        };
        let field = |i: usize| record.get(i).unwrap_or_default().to_owned();
        let optional = |s: String| Some(s).filter(|s| !s.is_empty());
        let number = |i: usize| -> Result<Option<Decimal>, String> {
            optional(field(i))
                .map(|s| parse_decimal(&s).map_err(|e| e.to_string()))
                .transpose()
        };
        let code = field(0);
        if code.is_empty()
            || !code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            bad(
                "code",
                format!("'{code}' must be lower-case letters, digits and _"),
            );
        }
        let keywords: Vec<String> = field(2)
            .split(';')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .collect();
        if keywords.is_empty() {
            bad("keywords", "needs at least one keyword".into());
        }
        let unit = field(3);
        if Unit::from_code(&unit).is_none() {
            bad(
                "unit",
                format!("'{unit}' is not one of m, m2, m3, unit, ls, kg, t, l"),
            );
        }
        let price_unit = optional(field(7));
        if let Some(u) = &price_unit
            && Unit::from_code(u).is_none()
        {
            bad(
                "price_unit",
                format!("'{u}' is not one of m, m2, m3, unit, ls, kg, t, l"),
            );
        }
        let (volume_min, volume_max, work_factor) = match (number(4), number(5), number(8)) {
            (Ok(min), Ok(max), Ok(factor)) => (min, max, factor.unwrap_or(Decimal::ONE)),
            (min, max, factor) => {
                for (column, result) in [
                    ("volume_min", min),
                    ("volume_max", max),
                    ("work_factor", factor),
                ] {
                    if let Err(e) = result {
                        bad(column, e);
                    }
                }
                continue;
            }
        };
        if work_factor <= Decimal::ZERO {
            bad("work_factor", "must be more than 0".into());
        }
        if let (Some(min), Some(max)) = (volume_min, volume_max)
            && min > max
        {
            bad("volume_max", "is below volume_min".into());
        }
        rows.push(ActivityRow {
            code,
            nama: field(1),
            keywords,
            unit,
            volume_min,
            volume_max,
            price_pattern: optional(field(6)),
            price_unit,
            work_factor,
        });
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(ImportError::Rows {
            file: file.name.clone(),
            problems,
        })
    }
}
