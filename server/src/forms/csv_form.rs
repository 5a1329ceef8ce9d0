//! Lampiran II and III as CSV: one header row, then one row per proposal, numbers as numbers
//! (volume with a decimal point, money in whole rupiah), UTF-8: for programs and spreadsheets.
//! Subtotals belong to the XLSX and the PDF, not to data rows.

use super::{Form3Row, Form4Row};

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
            r.permasalahan.clone(),
            r.program.clone(),
            r.usulan.clone(),
            r.lokasi.clone(),
            r.volume.normalize().to_string(),
            r.satuan.clone(),
            r.anggaran.to_string(),
            r.skpd.clone(),
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
            r.usulan.clone(),
            r.lokasi.clone(),
            r.volume.normalize().to_string(),
            r.satuan.clone(),
            r.alasan.clone(),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}
