//! Lampiran I, II and III as CSV: one header row with the form's columns, then one row per person
//! or proposal, numbers as numbers where the form has a number column (Form 3's volume with a
//! decimal point, money in whole rupiah), UTF-8: for programs and spreadsheets. Titles, column
//! numbers, subtotals and signatures belong to the XLSX and the PDF, not to data rows.

use super::{Form2Row, Form3Row, Form4Row};

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

/// Form 4's columns: the volume with its unit in one column, as the form has it.
pub const FORM4_HEADER: [&str; 5] = ["No", "Usulan Kegiatan", "Lokasi", "Volume", "Alasan"];

pub const FORM2_HEADER: [&str; 5] = ["No", "Nama", "Lembaga/instansi", "Alamat", "Tanda Tangan"];

pub fn lampiran1(rows: &[Form2Row]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(FORM2_HEADER)?;
    for r in rows {
        w.write_record([
            r.no.to_string(),
            text(&r.nama),
            text(&r.lembaga),
            text(&r.alamat),
            String::new(),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

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
            text(&super::volume_with_unit(r.volume, &r.satuan)),
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
