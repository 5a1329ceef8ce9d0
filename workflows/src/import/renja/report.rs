//! SIPD's Renja report as agencies print it: one code column and one name column for program,
//! kegiatan and sub-kegiatan rows alike, each with its summed pagu, and the detail lines (paket,
//! komponen) beneath a sub-kegiatan with no code of their own; a total at the end.
//!
//! The report is made into the plain table the Renja import reads: each detail line takes its
//! parent's codes and names (and, where its own cells are empty, the sub-kegiatan's indikator,
//! location and sumber dana: cells merged down the lines read as empty below the first); a
//! sub-kegiatan without detail lines is a line itself; the program, kegiatan and total rows are
//! recognised and not taken; every summed pagu that disagrees with the rows beneath it is noted.

use rust_decimal::prelude::ToPrimitive;
use survey_schema::Rupiah;
use survey_schema::say::rupiah;

use super::{Field, field_of};
use crate::import::rows::Reshaped;
use crate::import::table::{Cell, Table};

/// The columns the plain table gets, in [`Field`]'s spellings.
const ADDED: [&str; 7] = [
    "Kode Program",
    "Program",
    "Kode Kegiatan",
    "Kegiatan",
    "Kode Sub Kegiatan",
    "Sub Kegiatan",
    "Uraian",
];

/// A row's place in the nomenclature, by its code's number of segments (`1.03.10` a program,
/// `1.03.10.2.01` a kegiatan, `1.03.10.2.01.0001` a sub-kegiatan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    /// Urusan or bidang urusan: a heading above the programs.
    Urusan,
    Program,
    Kegiatan,
    Sub,
}

impl Level {
    fn of(code: &str) -> Self {
        match code.split('.').count() {
            1 | 2 => Self::Urusan,
            3 => Self::Program,
            4 | 5 => Self::Kegiatan,
            _ => Self::Sub,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Urusan => "urusan",
            Self::Program => "program",
            Self::Kegiatan => "kegiatan",
            Self::Sub => "sub-kegiatan",
        }
    }
}

/// A summary row: its code, level, row number and printed pagu.
#[derive(Debug)]
struct Node {
    code: String,
    level: Level,
    row: usize,
    pagu: Option<i64>,
    name: String,
    /// The detail lines' pagu (a sub-kegiatan's), each `None` when unreadable.
    details: Vec<Option<i64>>,
}

/// A nomenclature code from the code cells (`1.03.10` or spread over several cells: `1`, `03`,
/// `10`), or `None`.
fn code_of(cells: &[Cell], columns: &[usize]) -> Option<String> {
    let parts: Vec<String> = columns
        .iter()
        .filter_map(|&i| cells.get(i))
        .map(|c| c.text().trim().trim_end_matches('.').to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    let code = parts.join(".");
    let segment_ok = |s: &str| {
        !s.is_empty()
            && (s.chars().all(|c| c.is_ascii_digit())
                || s.chars().all(|c| c.eq_ignore_ascii_case(&'x')))
    };
    (!code.is_empty() && code.split('.').all(segment_ok)).then_some(code)
}

/// A printed pagu: a number typed as such or rupiah written the Indonesian way.
fn pagu_of(cell: Option<&Cell>) -> Option<i64> {
    match cell? {
        Cell::Number(n) if n.fract().is_zero() => n.to_i64(),
        Cell::Text(t) => Rupiah::parse(t).ok().map(Rupiah::get),
        Cell::Number(_) | Cell::Empty => None,
    }
}

/// Whether a row is a report's total ("Jumlah", "Total", "Jumlah Total").
fn is_total(text: &str) -> bool {
    let t = text.trim().to_lowercase();
    t.starts_with("jumlah") || t.starts_with("total") || t.starts_with("sub total")
}

/// Makes a printed report into plain rows (see the module's description); a table with its own
/// Kode Sub Kegiatan column, or without a code column, is returned as it is.
pub(super) fn flatten(table: Table) -> Reshaped {
    let fields: Vec<Option<Field>> = table.headers.iter().map(|h| field_of(h)).collect();
    let find = |f: Field| fields.iter().position(|x| *x == Some(f));
    let (Some(kode), None, Some(name)) = (
        find(Field::Kode),
        find(Field::KodeSub),
        find(Field::Nomenklatur)
            .or_else(|| find(Field::Uraian))
            .or_else(|| find(Field::NamaSub)),
    ) else {
        return Reshaped {
            table,
            ..Reshaped::default()
        };
    };
    // A code printed over several cells: "Kode" merged across them, their own headings empty.
    let code_columns: Vec<usize> = std::iter::once(kode)
        .chain(
            (kode + 1..table.headers.len())
                .take_while(|&i| i != name && table.headers[i].trim().is_empty()),
        )
        .collect();
    let pagu = find(Field::Pagu);
    let inherited: Vec<usize> = [
        Field::Indikator,
        Field::Lokasi,
        Field::Kelurahan,
        Field::Kecamatan,
        Field::SumberDana,
    ]
    .into_iter()
    .filter_map(find)
    .collect();

    let mut headers = table.headers.clone();
    headers[kode] = "Kode (laporan)".into();
    headers[name] = "Nomenklatur (laporan)".into();
    headers.extend(ADDED.iter().map(|h| (*h).to_owned()));

    let mut nodes: Vec<Node> = Vec::new();
    let mut totals: Vec<(usize, Option<i64>)> = Vec::new();
    let mut out: Vec<(usize, Vec<Cell>)> = Vec::new();
    let mut notes = Vec::new();
    let mut summary_rows = 0;
    // The current program, kegiatan and sub-kegiatan (indices into `nodes`), and the
    // sub-kegiatan's row while it has no detail line yet (it is a line itself if none follows).
    let (mut program, mut kegiatan, mut sub): (Option<usize>, Option<usize>, Option<usize>) =
        (None, None, None);
    let mut pending: Option<(usize, Vec<Cell>)> = None;
    let mut sub_cells: Vec<Cell> = vec![Cell::Empty; table.headers.len()];
    let parents = |nodes: &[Node], program: Option<usize>, kegiatan: Option<usize>, sub: usize| {
        let pick = |i: Option<usize>| {
            i.map_or((Cell::Empty, Cell::Empty), |i| {
                (
                    Cell::Text(nodes[i].code.clone()),
                    Cell::Text(nodes[i].name.clone()),
                )
            })
        };
        let (kp, np) = pick(program);
        let (kk, nk) = pick(kegiatan);
        let (ks, ns) = pick(Some(sub));
        vec![kp, np, kk, nk, ks, ns]
    };

    for (row, cells) in table.rows {
        let label = cells.get(name).map(Cell::text).unwrap_or_default();
        if let Some(code) = code_of(&cells, &code_columns) {
            if let Some(line) = pending.take() {
                out.push(line);
            }
            let level = Level::of(&code);
            nodes.push(Node {
                code: code.clone(),
                level,
                row,
                pagu: pagu.and_then(|p| pagu_of(cells.get(p))),
                name: label.trim().to_owned(),
                details: Vec::new(),
            });
            let here = nodes.len() - 1;
            match level {
                Level::Urusan => (program, kegiatan, sub) = (None, None, None),
                Level::Program => (program, kegiatan, sub) = (Some(here), None, None),
                Level::Kegiatan => (kegiatan, sub) = (Some(here), None),
                Level::Sub => {
                    sub = Some(here);
                    let mut line = cells.clone();
                    line.resize(table.headers.len(), Cell::Empty);
                    sub_cells.clone_from(&line);
                    line.extend(parents(&nodes, program, kegiatan, here));
                    line.push(Cell::Empty);
                    pending = Some((row, line));
                    continue;
                }
            }
            summary_rows += 1;
            continue;
        }
        let whole_row = cells.iter().map(Cell::text).collect::<Vec<_>>().join(" ");
        if is_total(&label) || (label.trim().is_empty() && is_total(&whole_row)) {
            summary_rows += 1;
            totals.push((row, pagu.and_then(|p| pagu_of(cells.get(p)))));
            continue;
        }
        if label.trim().is_empty() && pagu.and_then(|p| cells.get(p)).is_none_or(Cell::is_empty) {
            // A row of cells merged down from the one above: nothing of its own.
            summary_rows += 1;
            continue;
        }
        let mut line = cells.clone();
        line.resize(table.headers.len(), Cell::Empty);
        if let Some(s) = sub {
            // The sub-kegiatan has lines: it is a summary, not a line itself.
            if pending.take().is_some() {
                summary_rows += 1;
            }
            for &i in &inherited {
                if line[i].is_empty() {
                    line[i] = sub_cells[i].clone();
                }
            }
            line.extend(parents(&nodes, program, kegiatan, s));
            nodes[s]
                .details
                .push(pagu.and_then(|p| pagu_of(cells.get(p))));
        } else {
            notes.push(format!(
                "row {row}: a line with no sub-kegiatan row above it (its codes are unknown)"
            ));
            line.extend(std::iter::repeat_n(Cell::Empty, 6));
        }
        line.push(Cell::Text(label.trim().to_owned()));
        out.push((row, line));
    }
    if let Some(line) = pending.take() {
        out.push(line);
    }
    notes.extend(mismatches(&nodes, &totals));
    Reshaped {
        table: Table { headers, rows: out },
        notes,
        summary_rows,
    }
}

/// Every summed pagu that disagrees with the rows beneath it: a sub-kegiatan's with its detail
/// lines, a kegiatan's with its sub-kegiatan, a program's with its kegiatan (or, with none, its
/// sub-kegiatan), a total with the top rows.
fn mismatches(nodes: &[Node], totals: &[(usize, Option<i64>)]) -> Vec<String> {
    let mut found = Vec::new();
    let mut say = |row: usize, what: String, printed: i64, parts: &[Option<i64>], beneath: &str| {
        let Some(sum) = parts.iter().copied().sum::<Option<i64>>() else {
            return;
        };
        if parts.is_empty() || sum == printed {
            return;
        }
        let (diff, more) = if sum > printed {
            (sum - printed, "more")
        } else {
            (printed - sum, "less")
        };
        found.push(format!(
            "row {row}: {what} has a pagu of {} but the {} {beneath} beneath it add up to {} ({} {more})",
            rupiah(printed),
            parts.len(),
            rupiah(sum),
            rupiah(diff)
        ));
    };
    for node in nodes {
        let Some(printed) = node.pagu else { continue };
        let what = format!("{} {}", node.level.name(), node.code);
        if node.level == Level::Sub {
            say(node.row, what, printed, &node.details, "detail lines");
            continue;
        }
        let prefix = format!("{}.", node.code);
        let below: Vec<&Node> = nodes
            .iter()
            .filter(|n| n.level > node.level && n.code.starts_with(&prefix))
            .collect();
        let Some(next) = below.iter().map(|n| n.level).min() else {
            continue;
        };
        let parts: Vec<Option<i64>> = below
            .iter()
            .filter(|n| n.level == next)
            .map(|n| n.pagu)
            .collect();
        say(
            node.row,
            what,
            printed,
            &parts,
            &format!("{} rows", next.name()),
        );
    }
    if let Some(top) = nodes.iter().map(|n| n.level).min() {
        let parts: Vec<Option<i64>> = nodes
            .iter()
            .filter(|n| n.level == top)
            .map(|n| n.pagu)
            .collect();
        for (row, printed) in totals {
            if let Some(printed) = printed {
                say(
                    *row,
                    "the total".into(),
                    *printed,
                    &parts,
                    &format!("{} rows", top.name()),
                );
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use rust_xlsxwriter::{Format, Workbook};

    use super::*;
    use crate::import::table::read_with;

    /// A report as an agency prints it from SIPD, as XLSX: a title, a header of two rows with
    /// merged cells, the column numbers, then program, kegiatan and sub-kegiatan rows with their
    /// pagu and the lines beneath; the second sub-kegiatan's pagu is printed Rp 5.000.000 above its
    /// lines'.
    fn report() -> Vec<u8> {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        let merged = Format::new();
        let rows: [[&str; 8]; 9] = [
            [
                "1.03.10",
                "PROGRAM PENGELOLAAN SUMBER DAYA AIR (SDA)",
                "",
                "",
                "",
                "",
                "650.000.000",
                "",
            ],
            [
                "1.03.10.2.01",
                "Pengelolaan SDA dan Bangunan Pengaman Pantai",
                "",
                "",
                "",
                "",
                "650.000.000",
                "",
            ],
            [
                "1.03.10.2.01.0001",
                "Pembangunan Sistem Drainase",
                "Panjang saluran yang dibangun",
                "Kec. Gambir",
                "300",
                "m",
                "450.000.000",
                "APBD",
            ],
            [
                "",
                "Pembangunan Saluran Jl. Mawar RT 014/RW 001",
                "",
                "Kel. Cideng",
                "120",
                "m",
                "180.000.000",
                "",
            ],
            [
                "",
                "Pembangunan Saluran Gg. Kenari",
                "",
                "Kel. Duri Pulo",
                "180",
                "m",
                "270.000.000",
                "",
            ],
            [
                "1.03.10.2.01.0002",
                "Pemeliharaan Sistem Drainase",
                "Panjang saluran yang dipelihara",
                "Kec. Gambir",
                "500",
                "m",
                "200.000.000",
                "APBD",
            ],
            [
                "",
                "Rehab saluran Jl. Cideng Barat",
                "",
                "Kel. Cideng",
                "300",
                "m",
                "120.000.000",
                "",
            ],
            [
                "",
                "Normalisasi saluran Jl. Tanah Abang II",
                "",
                "Kel. Petojo Utara",
                "200",
                "m",
                "75.000.000",
                "",
            ],
            ["", "JUMLAH", "", "", "", "", "650.000.000", ""],
        ];
        sheet
            .write_string(0, 0, "RENCANA KERJA SUKU DINAS SDA 2027")
            .unwrap();
        sheet.merge_range(2, 0, 3, 0, "Kode", &merged).unwrap();
        sheet
            .merge_range(2, 1, 3, 1, "Program/Kegiatan/Sub Kegiatan", &merged)
            .unwrap();
        sheet
            .merge_range(2, 2, 3, 2, "Indikator Kinerja", &merged)
            .unwrap();
        sheet
            .merge_range(2, 3, 2, 7, "Rencana Tahun 2027", &merged)
            .unwrap();
        for (c, h) in [
            "Lokasi",
            "Target",
            "Satuan",
            "Pagu Indikatif (Rp)",
            "Sumber Dana",
        ]
        .iter()
        .enumerate()
        {
            sheet
                .write_string(3, u16::try_from(c + 3).unwrap(), *h)
                .unwrap();
        }
        for c in 0..8u16 {
            sheet.write_number(4, c, f64::from(c + 1)).unwrap();
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if !cell.is_empty() {
                    sheet
                        .write_string(
                            u32::try_from(r + 5).unwrap(),
                            u16::try_from(c).unwrap(),
                            *cell,
                        )
                        .unwrap();
                }
            }
        }
        book.save_to_buffer().unwrap()
    }

    fn column(table: &Table, header: &str) -> usize {
        table.headers.iter().position(|h| h == header).unwrap()
    }

    #[test]
    fn a_printed_report_becomes_lines_with_their_parents_codes() {
        let table = read_with(&report(), super::super::is_header_row, |h| {
            field_of(h).is_some()
        })
        .unwrap();
        assert_eq!(table.headers[3], "Lokasi", "{:?}", table.headers);
        assert_eq!(table.rows.len(), 9, "the column numbers are no data");
        let Reshaped {
            table,
            notes,
            summary_rows,
        } = flatten(table);
        // Program, kegiatan, the two sub-kegiatan with lines, and the total: not lines.
        assert_eq!(summary_rows, 5);
        assert_eq!(table.rows.len(), 4);
        let at = |r: usize, h: &str| table.rows[r].1[column(&table, h)].text();
        assert_eq!(at(0, "Kode Sub Kegiatan"), "1.03.10.2.01.0001");
        assert_eq!(at(0, "Sub Kegiatan"), "Pembangunan Sistem Drainase");
        assert_eq!(at(0, "Kode Kegiatan"), "1.03.10.2.01");
        assert_eq!(at(0, "Kode Program"), "1.03.10");
        assert_eq!(
            at(0, "Uraian"),
            "Pembangunan Saluran Jl. Mawar RT 014/RW 001"
        );
        assert_eq!(at(0, "Lokasi"), "Kel. Cideng");
        // Merged down from the sub-kegiatan: its indikator and sumber dana.
        assert_eq!(at(0, "Indikator Kinerja"), "Panjang saluran yang dibangun");
        assert_eq!(at(3, "Sumber Dana"), "APBD");
        assert_eq!(at(3, "Kode Sub Kegiatan"), "1.03.10.2.01.0002");
        // The second sub-kegiatan prints Rp 200,000,000 over lines of Rp 195,000,000; the
        // kegiatan, the program and the total agree with the rows beneath them.
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].contains("sub-kegiatan 1.03.10.2.01.0002"),
            "{notes:?}"
        );
        assert!(notes[0].contains("Rp 5.000.000 less"), "{notes:?}");
    }

    #[test]
    fn a_sub_kegiatan_without_lines_is_a_line_and_a_plain_table_is_left_alone() {
        let row = |n: usize, cells: [&str; 3]| (n, cells.map(|c| Cell::Text(c.into())).to_vec());
        let table = Table {
            headers: ["Kode", "Uraian", "Pagu"].map(String::from).to_vec(),
            rows: vec![
                row(2, ["", "Saluran tanpa induk", "5"]),
                row(3, ["1.03.10", "Program SDA", "100"]),
                row(4, ["1.03.10.2.01.0003", "Pengerukan", "90"]),
                row(5, ["1.03.10.2.01.0004", "Saluran", "10"]),
                row(6, ["", "Saluran Gg. Mawar", "5"]),
                row(7, ["", "Total", "100"]),
            ],
        };
        let Reshaped {
            table,
            notes,
            summary_rows,
        } = flatten(table);
        assert_eq!(
            summary_rows, 3,
            "the program, the sub-kegiatan with a line, the total"
        );
        let kode_sub = column(&table, "Kode Sub Kegiatan");
        let lines: Vec<(usize, String)> = table
            .rows
            .iter()
            .map(|(r, c)| (*r, c[kode_sub].text()))
            .collect();
        assert_eq!(
            lines,
            [
                (2, String::new()),
                (4, "1.03.10.2.01.0003".to_owned()),
                (6, "1.03.10.2.01.0004".to_owned())
            ]
        );
        assert_eq!(
            notes,
            [
                "row 2: a line with no sub-kegiatan row above it (its codes are unknown)",
                "row 5: sub-kegiatan 1.03.10.2.01.0004 has a pagu of Rp 10 but the 1 detail lines beneath it add up to Rp 5 (Rp 5 less)"
            ]
        );

        let plain = Table {
            headers: ["Kode Sub Kegiatan", "Sub Kegiatan", "Pagu"]
                .map(String::from)
                .to_vec(),
            rows: vec![(
                2,
                vec![
                    Cell::Text("1.03.10.2.01.0001".into()),
                    Cell::Text("x".into()),
                    Cell::Text("1".into()),
                ],
            )],
        };
        let same = flatten(plain.clone());
        assert_eq!(same.table.headers, plain.headers);
        assert!(same.notes.is_empty() && same.summary_rows == 0);
    }
}
