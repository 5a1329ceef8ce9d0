//! Lampiran II and III as CSV: one header row, then one row per proposal, numbers as numbers
//! (volume with a decimal point, money in whole rupiah), UTF-8: for programs and spreadsheets.
//! Subtotals belong to the XLSX and the PDF, not to data rows.

use super::{Form3Row, Form4Row};

/// Text as a spreadsheet will not run it: a cell starting with `=`, `+`, `-`, `@` (or a tab or
/// carriage return) is a formula to Excel and LibreOffice, so it gets a leading `'`.
pub fn text(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

pub const FORM3_HEADER: [&str; 9] = [
    "No",
    "Permasalahan",
    "Program",
    "Usulan Kegiatan",
    "Lokasi",
    "Volume",
    "Satuan",
    "Perkiraan Anggaran",
    "SKPD/UKPD Tujuan",
];

pub const FORM4_HEADER: [&str; 6] = [
    "No",
    "Usulan Kegiatan",
    "Lokasi",
    "Volume",
    "Satuan",
    "Alasan",
];

pub fn lampiran2(rows: &[Form3Row]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(FORM3_HEADER)?;
    for r in rows {
        w.write_record([
            r.no.to_string(),
            text(&r.permasalahan),
            text(&r.program),
            text(&r.usulan),
            text(&r.lokasi),
            r.volume.normalize().to_string(),
            text(&r.satuan),
            r.anggaran.to_string(),
            text(&r.skpd),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

pub fn lampiran3(rows: &[Form4Row]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(FORM4_HEADER)?;
    for r in rows {
        w.write_record([
            r.no.to_string(),
            text(&r.usulan),
            text(&r.lokasi),
            r.volume.normalize().to_string(),
            text(&r.satuan),
            text(&r.alasan),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_a_spreadsheet_would_run_is_quoted() {
        assert_eq!(
            text("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(text("-5 m"), "'-5 m");
        assert_eq!(text("Jl. Cideng"), "Jl. Cideng");
    }
}
