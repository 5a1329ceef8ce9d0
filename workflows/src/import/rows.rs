//! One way to read the rows of a table import (proposals, Renja): the plan year, the table and its
//! header row, the columns found by their headers, each row parsed or refused column by column, a
//! row repeating an earlier one's key, and the refused rows: all of them fail the import, or, when
//! asked to skip them, they are kept aside as a CSV (with the reason last) and the rest goes in.
//! What a column means and how a row is stored stay with each kind of file.

use std::collections::HashMap;
use std::hash::Hash;
use std::path::PathBuf;

use super::table::{self, Cell, Table, rejected_csv};
use super::{ImportError, InputFile, RowProblem};

/// What is wrong with a row: `(column, problem)` pairs.
pub type Problems = Vec<(&'static str, String)>;

/// The years a plan can be for.
pub const PLAN_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// Refuses a year no plan is made for.
pub fn check_year(tahun: i32) -> Result<(), ImportError> {
    if PLAN_YEARS.contains(&tahun) {
        Ok(())
    } else {
        Err(ImportError::File(format!(
            "{tahun} is not a plan year (2000 to 2100)"
        )))
    }
}

/// A kind of table: how its header row is found and which columns it must have.
#[derive(Debug)]
pub struct Layout<F: 'static> {
    /// Whether a row (of the first ten) is the header row.
    pub is_header: fn(&[String]) -> bool,
    /// The field a header names, if any.
    pub field_of: fn(&str) -> Option<F>,
    /// The fields without which no row can be read, with the names a person knows them by.
    pub required: &'static [(F, &'static str)],
    /// Said when the table cannot be read at all, e.g. `a Renja file needs at least the columns ...`.
    pub needs: &'static str,
    /// A printed report's rows made into the table's plain rows (a hierarchy of summary rows and
    /// the lines beneath them), with what a person should check about it; `None`: the rows are
    /// the lines.
    pub reshape: Option<fn(Table) -> Reshaped>,
}

/// A table reshaped, and what was noticed on the way (e.g. a summed pagu that disagrees).
#[derive(Debug, Default)]
pub struct Reshaped {
    pub table: Table,
    pub notes: Vec<String>,
    /// Rows recognised as summaries (totals, headings) and not taken as lines.
    pub summary_rows: usize,
}

/// What to do with rows that do not hold.
#[derive(Debug, Clone, Default)]
pub struct RejectedRows {
    /// Import the good rows and keep the bad ones aside; otherwise any bad row fails the import.
    pub skip_invalid: bool,
    /// Where to write the rejected rows as CSV, if anywhere.
    pub path: Option<PathBuf>,
}

/// The rows that hold, with their row numbers in the file, and what was refused.
#[derive(Debug)]
pub struct Rows<R> {
    pub accepted: Vec<(usize, R)>,
    pub rejected: Vec<RowProblem>,
    /// Where the rejected rows were written, if any were.
    pub rejected_file: Option<PathBuf>,
    /// The rejected rows as CSV (original columns, `row` first, `alasan` last), if any.
    pub rejected_csv: Option<String>,
    /// What the reshaping of a printed report noticed.
    pub notes: Vec<String>,
    /// Summary rows of a printed report, recognised and not taken.
    pub summary_rows: usize,
}

/// Reads every row of `file` as `layout` describes it, with `parse` (given a row's cell by field);
/// a row whose `key` repeats an earlier row's is refused, saying `repeats` (what makes two rows the
/// same). Any refused row fails the whole import unless `rejected.skip_invalid`.
pub fn read<F, R>(
    file: &InputFile,
    layout: &Layout<F>,
    mut parse: impl FnMut(&dyn Fn(F) -> Cell) -> Result<R, Problems>,
    key: impl Fn(&R) -> &str,
    repeats: &str,
    rejected: &RejectedRows,
) -> Result<Rows<R>, ImportError>
where
    F: Copy + Eq + Hash,
{
    let field_of = layout.field_of;
    let table = table::read_with(&file.bytes, layout.is_header, |h| field_of(h).is_some())
        .map_err(|e| ImportError::File(format!("{}: {e}; {}", file.name, layout.needs)))?;
    let Reshaped {
        table,
        notes,
        summary_rows,
    } = match layout.reshape {
        Some(reshape) => reshape(table),
        None => Reshaped {
            table,
            ..Reshaped::default()
        },
    };
    let columns = columns(&file.name, &table, layout)?;
    let mut refused: Vec<(usize, &Vec<Cell>, String)> = Vec::new();
    let mut rows = Rows {
        accepted: Vec::new(),
        rejected: Vec::new(),
        rejected_file: None,
        rejected_csv: None,
        notes,
        summary_rows,
    };
    let mut first_row_of: HashMap<String, usize> = HashMap::new();
    for (row_number, cells) in &table.rows {
        let get = |f: F| {
            columns
                .get(&f)
                .and_then(|&i| cells.get(i))
                .cloned()
                .unwrap_or(Cell::Empty)
        };
        let row = match parse(&get) {
            Ok(row) => row,
            Err(problems) => {
                for (column, message) in &problems {
                    rows.rejected.push(RowProblem {
                        location: format!("row {row_number}, column {column}"),
                        message: message.clone(),
                    });
                }
                let reason = problems
                    .iter()
                    .map(|(c, m)| format!("{c}: {m}"))
                    .collect::<Vec<_>>()
                    .join("; ");
                refused.push((*row_number, cells, reason));
                continue;
            }
        };
        if let Some(first) = first_row_of.insert(key(&row).to_owned(), *row_number) {
            let message = format!("repeats row {first} ({repeats})");
            rows.rejected.push(RowProblem {
                location: format!("row {row_number}"),
                message: message.clone(),
            });
            refused.push((*row_number, cells, message));
            continue;
        }
        rows.accepted.push((*row_number, row));
    }
    if !rows.rejected.is_empty() && !rejected.skip_invalid {
        return Err(ImportError::Rows {
            file: file.name.clone(),
            problems: rows.rejected,
        });
    }
    if !refused.is_empty() {
        let csv = rejected_csv(&table.headers, &refused)
            .map_err(|e| ImportError::File(format!("writing the rejected rows: {e}")))?;
        if let Some(target) = &rejected.path {
            std::fs::write(target, &csv).map_err(|source| ImportError::Io {
                path: target.display().to_string(),
                source,
            })?;
            rows.rejected_file = Some(target.clone());
        }
        rows.rejected_csv = Some(csv);
    }
    Ok(rows)
}

/// Each field's column: the first header that names it; every required field must be there.
fn columns<F: Copy + Eq + Hash>(
    file: &str,
    table: &Table,
    layout: &Layout<F>,
) -> Result<HashMap<F, usize>, ImportError> {
    let mut columns = HashMap::new();
    for (i, header) in table.headers.iter().enumerate() {
        if let Some(field) = (layout.field_of)(header) {
            columns.entry(field).or_insert(i);
        }
    }
    let missing: Vec<&str> = layout
        .required
        .iter()
        .filter(|(f, _)| !columns.contains_key(f))
        .map(|(_, name)| *name)
        .collect();
    if missing.is_empty() {
        Ok(columns)
    } else {
        Err(ImportError::File(format!(
            "{file}: missing column(s) {}; found {}",
            missing.join(", "),
            table.headers.join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    enum Field {
        Name,
        Amount,
    }

    fn field_of(h: &str) -> Option<Field> {
        match table::header_key(h).as_str() {
            "name" => Some(Field::Name),
            "amount" => Some(Field::Amount),
            _ => None,
        }
    }

    const LAYOUT: Layout<Field> = Layout {
        is_header: |row| row.iter().any(|c| table::header_key(c) == "name"),
        field_of,
        required: &[(Field::Name, "Name"), (Field::Amount, "Amount")],
        needs: "a test file needs Name and Amount",
        reshape: None,
    };

    fn parse(get: &dyn Fn(Field) -> Cell) -> Result<(String, i64), Problems> {
        let name =
            table::text(&get(Field::Name)).ok_or_else(|| vec![("Name", "is empty".into())])?;
        let amount = get(Field::Amount)
            .text()
            .parse()
            .map_err(|_| vec![("Amount", "is not a whole number".to_owned())])?;
        Ok((name, amount))
    }

    fn file(text: &str) -> InputFile {
        InputFile::from_bytes("t.csv", text.as_bytes().to_vec())
    }

    #[test]
    fn any_bad_row_fails_the_import_unless_skipped_then_it_is_set_aside() {
        let f = file("Name,Amount\na,1\n,2\nb,x\na,3\nc,4\n");
        let strict = read(
            &f,
            &LAYOUT,
            parse,
            |r| r.0.as_str(),
            "same name",
            &RejectedRows::default(),
        );
        assert!(
            matches!(strict, Err(ImportError::Rows { ref problems, .. }) if problems.len() == 3)
        );
        let lenient = RejectedRows {
            skip_invalid: true,
            path: None,
        };
        let rows = read(&f, &LAYOUT, parse, |r| r.0.as_str(), "same name", &lenient)
            .unwrap_or_else(|e| panic!("{e}"));
        let kept: Vec<usize> = rows.accepted.iter().map(|(n, _)| *n).collect();
        assert_eq!(kept, [2, 6]);
        let messages: Vec<String> = rows.rejected.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "row 3, column Name: is empty",
                "row 4, column Amount: is not a whole number",
                "row 5: repeats row 2 (same name)"
            ]
        );
        let csv = rows.rejected_csv.unwrap_or_default();
        assert!(
            csv.lines().count() == 4 && csv.contains("Amount: is not a whole number"),
            "{csv}"
        );
    }

    #[test]
    fn a_missing_column_is_named() {
        let f = file("Name,Other\na,1\n");
        let e = read(
            &f,
            &LAYOUT,
            parse,
            |r| r.0.as_str(),
            "same",
            &RejectedRows::default(),
        );
        assert!(matches!(e, Err(ImportError::File(m)) if m.contains("missing column(s) Amount")));
    }

    #[test]
    fn only_plan_years_are_taken() {
        assert!(check_year(2027).is_ok());
        assert!(check_year(1999).is_err() && check_year(20_270).is_err());
    }
}
