//! Reading a spreadsheet-like file (CSV with `,` or `;`, or XLSX) into rows of cells, keeping each
//! cell's type: a number typed into Excel must not go through the Indonesian text rules.

use std::io::Cursor;

use calamine::{Data, Reader};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use survey_schema::Wgs84Point;

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A number typed as a number (XLSX).
    Number(Decimal),
    Empty,
}

impl Cell {
    /// The cell as text, for messages and the rejected-rows file.
    pub fn text(&self) -> String {
        match self {
            Self::Text(s) => s.clone(),
            Self::Number(n) => n.normalize().to_string(),
            Self::Empty => String::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            Self::Text(s) => s.trim().is_empty(),
            Self::Number(_) => false,
            Self::Empty => true,
        }
    }
}

/// A table: the header row and the data rows, each with its 1-based row number in the file.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<(usize, Vec<Cell>)>,
}

/// Whether the bytes are an XLSX (a ZIP) file.
pub fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// Reads CSV or XLSX. `is_header` tells, for each of the first ten rows, whether it is the header
/// (spreadsheets often start with a title block).
pub fn read(bytes: &[u8], is_header: impl Fn(&[String]) -> bool) -> Result<Table, String> {
    read_with(bytes, is_header, |_| false)
}

/// As [`read`], for printed reports: a header of two rows (a group heading such as "Rencana Tahun
/// 2027" merged over "Lokasi", "Target", "Pagu" beneath it, and "Kode" merged down both rows) is
/// read as one, the lower row's name where it has one that `names_field`; and a row numbering the
/// columns (`1 2 3 …`) is no data.
pub fn read_with(
    bytes: &[u8],
    is_header: impl Fn(&[String]) -> bool,
    names_field: impl Fn(&str) -> bool,
) -> Result<Table, String> {
    let rows = if is_xlsx(bytes) {
        xlsx_rows(bytes)?
    } else {
        csv_rows(bytes)?
    };
    let header_at = rows
        .iter()
        .take(10)
        .position(|(_, cells)| is_header(&cells.iter().map(Cell::text).collect::<Vec<_>>()))
        .ok_or("no header row found in the first 10 rows")?;
    let mut headers: Vec<String> = rows[header_at].1.iter().map(Cell::text).collect();
    let mut skip = header_at + 1;
    if let Some((_, lower)) = rows.get(skip)
        && is_second_header(lower, &names_field)
    {
        if headers.len() < lower.len() {
            headers.resize(lower.len(), String::new());
        }
        for (header, cell) in headers.iter_mut().zip(lower) {
            let name = cell.text();
            if names_field(&name) || (header.trim().is_empty() && !name.trim().is_empty()) {
                *header = name;
            }
        }
        skip += 1;
    }
    let data: Vec<(usize, Vec<Cell>)> = rows
        .into_iter()
        .skip(skip)
        .filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()) && !numbers_columns(cells))
        .collect();
    // A control character is no typing mistake of one row but a broken export: the file is refused
    // with every such cell named.
    let problems: Vec<super::RowProblem> = data
        .iter()
        .flat_map(|(row, cells)| {
            control_problems(
                &format!("row {row}"),
                &headers,
                cells.iter().map(|c| match c {
                    Cell::Text(t) => t.as_str(),
                    Cell::Number(_) | Cell::Empty => "",
                }),
            )
        })
        .collect();
    if !problems.is_empty() {
        return Err(format!(
            "{} holding control characters (remove them and export again):\n{}",
            if problems.len() == 1 {
                "a cell".to_owned()
            } else {
                format!("{} cells", problems.len())
            },
            super::list(&problems)
        ));
    }
    Ok(Table {
        headers,
        rows: data,
    })
}

/// A row beneath the header that carries more of its names: at least two of its cells name a
/// field, and no cell holds a number.
fn is_second_header(cells: &[Cell], names_field: &impl Fn(&str) -> bool) -> bool {
    let filled: Vec<&Cell> = cells.iter().filter(|c| !c.is_empty()).collect();
    let naming = filled.iter().filter(|c| names_field(&c.text())).count();
    naming >= 2
        && filled
            .iter()
            .all(|c| matches!(c, Cell::Text(t) if !t.chars().any(|ch| ch.is_ascii_digit())))
}

/// A row numbering the columns of a printed form (`1`, `2`, `3`, …, each cell its own column's
/// number, or empty).
fn numbers_columns(cells: &[Cell]) -> bool {
    let mut numbered = 0;
    for (i, cell) in cells.iter().enumerate() {
        let text = cell.text();
        let text = text.trim().trim_matches(['(', ')']);
        if text.is_empty() {
            continue;
        }
        if text.parse::<usize>().ok() != Some(i + 1) {
            return false;
        }
        numbered += 1;
    }
    numbered >= 3
}

/// The cells of one row that hold a control character (line breaks and tabs are allowed: a
/// spreadsheet cell may have several lines; see [`survey_schema::text::TextKind::Cell`]), each
/// named by `row` and its column's header.
pub fn control_problems<'a>(
    row: &str,
    headers: &[impl AsRef<str>],
    cells: impl Iterator<Item = &'a str>,
) -> Vec<super::RowProblem> {
    cells
        .enumerate()
        .filter_map(|(i, text)| {
            let found =
                survey_schema::text::check(text, survey_schema::text::TextKind::Cell).err()?;
            let column = headers
                .get(i)
                .map_or_else(|| format!("{}", i + 1), |h| h.as_ref().to_owned());
            Some(super::RowProblem {
                location: format!("{row}, column {column}"),
                message: found.en(),
            })
        })
        .collect()
}

fn csv_rows(bytes: &[u8]) -> Result<Vec<(usize, Vec<Cell>)>, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // The separator is the one the fullest of the first ten lines uses most: a title block above
    // the header may have none at all.
    let most = |sep: u8| {
        bytes
            .split(|b| *b == b'\n')
            .take(10)
            // Counting separators in a few lines: no need for a SIMD byte counter.
            .map(|line| {
                #[allow(clippy::naive_bytecount)]
                let n = line.iter().filter(|b| **b == sep).count();
                n
            })
            .max()
            .unwrap_or(0)
    };
    let (semicolons, commas) = (most(b';'), most(b','));
    let delimiter = if semicolons > commas { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("not a readable CSV file: {e}"))?;
        let line = record
            .position()
            .map_or(0, |p| usize::try_from(p.line()).unwrap_or(0));
        let cells = record
            .iter()
            .map(|s| {
                if s.trim().is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(s.trim().to_owned())
                }
            })
            .collect();
        rows.push((line, cells));
    }
    Ok(rows)
}

fn xlsx_rows(bytes: &[u8]) -> Result<Vec<(usize, Vec<Cell>)>, String> {
    let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|e| format!("not a readable XLSX file: {e}"))?;
    let sheet = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or("the workbook has no sheets")?;
    let range = workbook
        .worksheet_range(&sheet)
        .map_err(|e| format!("cannot read sheet '{sheet}': {e}"))?;
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, row)| (first_row + i + 1, row.iter().map(cell).collect()))
        .collect())
}

fn cell(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::String(s) if s.trim().is_empty() => Cell::Empty,
        Data::String(s) => Cell::Text(s.trim().to_owned()),
        Data::Float(f) => {
            Decimal::try_from(*f).map_or_else(|_| Cell::Text(f.to_string()), Cell::Number)
        }
        Data::Int(i) => Cell::Number(Decimal::from(*i)),
        Data::Bool(b) => Cell::Text(b.to_string()),
        other => Cell::Text(other.to_string()),
    }
}

/// A header as a key: letters and digits only, lower case (`SKPD/UKPD Tujuan` → `skpdukpdtujuan`).
pub fn header_key(h: &str) -> String {
    h.chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase()
}

/// A cell's text, trimmed; `None` when empty.
pub fn text(cell: &Cell) -> Option<String> {
    (!cell.is_empty()).then(|| cell.text().trim().to_owned())
}

/// Latitude and longitude, both or neither. Coordinates never group thousands, so a comma is read
/// as a decimal point (`-6,1754`).
pub fn parse_pin(lat: &Cell, lon: &Cell) -> Result<Option<Wgs84Point>, String> {
    let number = |c: &Cell| -> Result<Option<f64>, String> {
        match c {
            Cell::Empty => Ok(None),
            Cell::Number(n) => n
                .to_f64()
                .map(Some)
                .ok_or_else(|| format!("{n} is not a coordinate")),
            Cell::Text(t) => t
                .trim()
                .replace(',', ".")
                .parse::<f64>()
                .map(Some)
                .map_err(|_| format!("'{t}' is not a coordinate")),
        }
    };
    match (number(lat)?, number(lon)?) {
        (None, None) => Ok(None),
        (Some(lat), Some(lon)) => Wgs84Point::parse(lon, lat)
            .map(Some)
            .map_err(|e| e.to_string()),
        _ => Err("give both latitude and longitude, or neither".into()),
    }
}

/// The rejected rows as CSV: `row`, the file's columns, and the reason (`alasan`) last.
pub fn rejected_csv(
    headers: &[String],
    rows: &[(usize, &Vec<Cell>, String)],
) -> anyhow::Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["row".to_owned()];
    header.extend(headers.iter().cloned());
    header.push("alasan".to_owned());
    writer.write_record(&header)?;
    for (row, cells, reason) in rows {
        let mut record = vec![row.to_string()];
        record.extend((0..headers.len()).map(|i| cells.get(i).map(Cell::text).unwrap_or_default()));
        record.push(reason.clone());
        writer.write_record(&record)?;
    }
    Ok(String::from_utf8(writer.into_inner()?)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_header(cells: &[String]) -> bool {
        cells.iter().any(|c| c == "Usulan")
    }

    #[test]
    fn reads_semicolon_csv_after_a_title_block() {
        let table = read(
            "\u{feff}Berita Acara;;\n;;\nNo;Usulan;Volume\n1;Paving;\"1.250,5\"\n;;\n2;Saluran;40\n".as_bytes(),
            is_header,
        )
        .unwrap();
        assert_eq!(table.headers, ["No", "Usulan", "Volume"]);
        assert_eq!(table.rows.len(), 2);
        assert_eq!(table.rows[0].0, 4);
        assert_eq!(table.rows[0].1[2], Cell::Text("1.250,5".into()));
        assert_eq!(table.rows[1].0, 6);
    }

    #[test]
    fn a_cell_with_a_control_character_refuses_the_file_naming_row_and_column() {
        let error = read(
            "No;Usulan;Volume\n1;Paving\u{0};40\n2;\"Saluran\nbaris dua\";40\n".as_bytes(),
            is_header,
        )
        .unwrap_err();
        assert!(
            error.contains("row 2, column Usulan: contains the control character U+0000"),
            "{error}"
        );
        assert!(
            !error.contains("row 3"),
            "a line break in a cell is allowed: {error}"
        );
    }

    #[test]
    fn finds_the_separator_below_a_title_line_without_any() {
        let table = read(
            b"RENJA SUDIN SDA 2026\nNo;Usulan;Volume\n1;Saluran, U-Ditch;40\n",
            is_header,
        )
        .unwrap();
        assert_eq!(table.headers, ["No", "Usulan", "Volume"]);
        assert_eq!(table.rows[0].1[1], Cell::Text("Saluran, U-Ditch".into()));
    }

    #[test]
    fn refuses_a_table_without_a_header() {
        assert!(read(b"a,b\n1,2\n", is_header).is_err());
    }

    #[test]
    fn pins_take_decimal_commas_and_need_both_coordinates() {
        let t = |s: &str| Cell::Text(s.into());
        let pin = parse_pin(&t("-6,1754"), &t("106,8272")).unwrap().unwrap();
        assert!((pin.lat() + 6.1754).abs() < 1e-9);
        assert!(parse_pin(&t("-6.1754"), &Cell::Empty).is_err());
        assert!(parse_pin(&t("106.8"), &t("-6.2")).is_err());
        assert_eq!(parse_pin(&Cell::Empty, &Cell::Empty), Ok(None));
    }
}
