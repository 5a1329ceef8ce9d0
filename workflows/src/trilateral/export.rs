//! The desk as files: XLSX with a summary sheet and one sheet per agency, and one CSV of every row.

use std::collections::BTreeMap;

use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, XlsxError};

use super::{Desk, DeskRow, GroupTotals};

/// How a column is written to the workbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Number,
    Rupiah,
}

/// The columns of a row, in both files: header, width, kind.
const COLUMNS: [(&str, f64, Kind); 26] = [
    ("ID Usulan", 9.0, Kind::Number),
    ("Kecamatan", 14.0, Kind::Text),
    ("Kelurahan", 14.0, Kind::Text),
    ("Usulan", 36.0, Kind::Text),
    ("Lokasi", 24.0, Kind::Text),
    ("Volume", 9.0, Kind::Number),
    ("Satuan", 7.0, Kind::Text),
    ("Anggaran Usulan (Rp)", 15.0, Kind::Rupiah),
    ("OPD", 14.0, Kind::Text),
    ("Status", 12.0, Kind::Text),
    ("Kekurangan Volume", 10.0, Kind::Number),
    ("Kekurangan (Rp)", 15.0, Kind::Rupiah),
    ("Kode Sub Kegiatan", 18.0, Kind::Text),
    ("Renja: Uraian / Sub Kegiatan", 36.0, Kind::Text),
    ("Target", 9.0, Kind::Number),
    ("Satuan Target", 7.0, Kind::Text),
    ("Pagu (Rp)", 15.0, Kind::Rupiah),
    (
        "Paket: usulan dengan baris Renja yang sama",
        16.0,
        Kind::Text,
    ),
    ("Bagian Target", 9.0, Kind::Number),
    ("Bagian Pagu (Rp)", 15.0, Kind::Rupiah),
    ("Dasar Padanan", 28.0, Kind::Text),
    ("Jarak (m)", 8.0, Kind::Number),
    ("Hasil Desk", 18.0, Kind::Text),
    ("Sementara (sebelum Kirim kecamatan)", 11.0, Kind::Text),
    ("Catatan", 30.0, Kind::Text),
    ("Diputuskan oleh", 14.0, Kind::Text),
];

/// The status as a desk writes it.
pub fn status_id(status: &str) -> &'static str {
    match status {
        "covered" => "Sudah direncanakan",
        "partial" => "Sebagian",
        _ => "Belum direncanakan",
    }
}

/// The outcome's label.
pub fn outcome_id(code: &str) -> &str {
    super::record::OUTCOMES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map_or(code, |(_, id, _)| id)
}

/// One row as text cells (for the CSV) in `COLUMNS` order.
fn cells(r: &DeskRow) -> Vec<String> {
    let renja = r.renja.as_ref();
    let package = r.package.as_ref();
    let outcome = r.outcome.as_ref();
    let note = outcome.and_then(|o| {
        let mut parts = Vec::new();
        if let (Some(v), Some(p)) = (o.agreed_volume, o.agreed_pagu) {
            parts.push(format!("disepakati {} {}, Rp {p}", v, r.proposal.satuan));
        }
        if let Some(m) = o.merged_into {
            parts.push(format!("digabung dengan usulan {m}"));
        }
        if let Some(line) = o.renja_item_id {
            parts.push(format!("Renja {line}"));
        }
        parts.extend(o.note.clone());
        (!parts.is_empty()).then(|| parts.join("; "))
    });
    vec![
        r.proposal.id.to_string(),
        r.proposal.kecamatan.clone(),
        r.proposal.kelurahan.clone(),
        r.proposal.usulan.clone(),
        r.proposal.lokasi.clone().unwrap_or_default(),
        r.proposal.volume.to_string(),
        r.proposal.satuan.clone(),
        r.proposal.rupiah.to_string(),
        r.opd
            .as_ref()
            .map(|o| o.singkatan.clone().unwrap_or_else(|| o.kode.clone()))
            .unwrap_or_default(),
        status_id(&r.status).to_owned(),
        r.gap_volume.map(|g| g.to_string()).unwrap_or_default(),
        r.gap_rupiah.to_string(),
        renja
            .map(|l| l.kode_sub_kegiatan.clone())
            .unwrap_or_default(),
        renja
            .map(|l| {
                l.uraian
                    .clone()
                    .unwrap_or_else(|| l.nama_sub_kegiatan.clone())
            })
            .unwrap_or_default(),
        renja
            .and_then(|l| l.target.map(|t| t.to_string()))
            .unwrap_or_default(),
        renja.and_then(|l| l.satuan.clone()).unwrap_or_default(),
        renja.map(|l| l.pagu.to_string()).unwrap_or_default(),
        package
            .map(|k| {
                k.proposals
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default(),
        package
            .and_then(|k| k.target_share.map(|t| t.to_string()))
            .unwrap_or_default(),
        package
            .map(|k| k.pagu_share.to_string())
            .unwrap_or_default(),
        r.evidence
            .as_ref()
            .map(|e| e.explanation_id.clone())
            .unwrap_or_default(),
        r.evidence
            .as_ref()
            .and_then(|e| e.distance_m)
            .map(|d| format!("{d:.0}"))
            .unwrap_or_default(),
        outcome
            .map(|o| outcome_id(&o.outcome).to_owned())
            .unwrap_or_default(),
        outcome
            .filter(|o| o.provisional)
            .map(|_| "Ya".to_owned())
            .unwrap_or_default(),
        note.unwrap_or_default(),
        outcome.map(|o| o.decided_by.clone()).unwrap_or_default(),
    ]
}

/// Every row as CSV (UTF-8, comma-separated, a header line).
pub fn csv(desk: &Desk) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS.iter().map(|(h, _, _)| *h))?;
    for r in &desk.rows {
        // Community text must not run as a formula in a spreadsheet.
        w.write_record(cells(r).iter().map(|c| crate::forms::csv_form::text(c)))?;
    }
    Ok(w.into_inner()?)
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, unique in the workbook.
fn sheet_name(wanted: &str, taken: &mut Vec<String>) -> String {
    let clean: String = wanted
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(28)
        .collect();
    let base = if clean.trim().is_empty() {
        "OPD".to_owned()
    } else {
        clean.trim().to_owned()
    };
    let mut name = base.clone();
    let mut n = 2;
    while taken.iter().any(|t| t.eq_ignore_ascii_case(&name)) {
        name = format!("{base} {n}");
        n += 1;
    }
    taken.push(name.clone());
    name
}

/// The desk as XLSX: `Ringkasan` (totals per agency and per kecamatan), then one sheet per agency
/// with its rows and the Renja lines no proposal matched.
#[allow(clippy::cast_precision_loss, reason = "rupiah sums far below 2^53")]
pub fn xlsx(desk: &Desk) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let cell = Format::new()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Top);
    let header = cell
        .clone()
        .set_bold()
        .set_text_wrap()
        .set_background_color(Color::RGB(0x00DD_EBF7));
    let text = cell.clone().set_text_wrap();
    let money = cell.clone().set_num_format("\"Rp \"#,##0");
    let number = cell.set_num_format("General");
    let title = Format::new().set_bold().set_font_size(13);
    let mut taken = Vec::new();

    let summary = workbook.add_worksheet();
    summary.set_name(sheet_name("Ringkasan", &mut taken))?;
    summary.write_string_with_format(
        0,
        0,
        format!("Desk Trilateral {} — ringkasan", desk.tahun),
        &title,
    )?;
    let summary_header = [
        "Kode",
        "Nama",
        "Usulan",
        "Sudah direncanakan",
        "Sebagian",
        "Belum direncanakan",
        "Anggaran usulan (Rp)",
        "Pagu padanan (Rp)",
        "Kekurangan (Rp)",
        "Pagu Renja (Rp)",
        "Sudah diputuskan",
    ];
    let mut row = 2;
    for (what, groups) in [
        ("Per OPD", &desk.per_opd),
        ("Per kecamatan", &desk.per_kecamatan),
    ] {
        summary.write_string_with_format(row, 0, what, &title)?;
        row += 1;
        for (c, h) in (0u16..).zip(summary_header) {
            summary.write_string_with_format(row, c, h, &header)?;
        }
        row += 1;
        for g in groups {
            write_group(summary, row, g, &text, &number, &money)?;
            row += 1;
        }
        row += 1;
    }
    summary.set_column_width(1, 40)?;

    let mut by_opd: BTreeMap<String, (String, Vec<&DeskRow>)> = BTreeMap::new();
    for r in &desk.rows {
        let (kode, name) = r.opd.as_ref().map_or_else(
            || ("-".to_owned(), "Tanpa OPD".to_owned()),
            |o| {
                (
                    o.kode.clone(),
                    o.singkatan.clone().unwrap_or_else(|| o.kode.clone()),
                )
            },
        );
        by_opd
            .entry(kode)
            .or_insert_with(|| (name, Vec::new()))
            .1
            .push(r);
    }
    for (kode, (name, rows)) in &by_opd {
        let ws = workbook.add_worksheet();
        ws.set_name(sheet_name(name, &mut taken))?;
        ws.write_string_with_format(
            0,
            0,
            format!("Desk Trilateral {} — {kode}", desk.tahun),
            &title,
        )?;
        for (c, (h, width, _)) in (0u16..).zip(COLUMNS) {
            ws.write_string_with_format(2, c, h, &header)?;
            ws.set_column_width(c, width)?;
        }
        for (i, r) in (3u32..).zip(rows.iter()) {
            for ((c, value), (_, _, kind)) in (0u16..).zip(cells(r)).zip(COLUMNS) {
                match (value.parse::<f64>(), kind) {
                    (Ok(n), Kind::Rupiah) => ws.write_number_with_format(i, c, n, &money)?,
                    (Ok(n), Kind::Number) => ws.write_number_with_format(i, c, n, &number)?,
                    _ => ws.write_string_with_format(i, c, &value, &text)?,
                };
            }
        }
        let mut at = u32::try_from(rows.len())
            .unwrap_or(u32::MAX)
            .saturating_add(5);
        let lines: Vec<_> = desk
            .unmatched_renja
            .iter()
            .filter(|l| l.opd_kode == *kode)
            .collect();
        if !lines.is_empty() {
            ws.write_string_with_format(at, 0, "Renja tanpa usulan padanan", &title)?;
            at += 1;
            for (c, h) in (0u16..).zip([
                "ID Renja",
                "Kode Sub Kegiatan",
                "Uraian / Sub Kegiatan",
                "Lokasi",
                "Target",
                "Satuan",
                "Pagu (Rp)",
            ]) {
                ws.write_string_with_format(at, c, h, &header)?;
            }
            for l in lines {
                at += 1;
                ws.write_number_with_format(at, 0, l.id as f64, &number)?;
                ws.write_string_with_format(at, 1, &l.kode_sub_kegiatan, &text)?;
                ws.write_string_with_format(
                    at,
                    2,
                    l.uraian.as_deref().unwrap_or(&l.nama_sub_kegiatan),
                    &text,
                )?;
                let place = l
                    .kelurahan
                    .clone()
                    .or_else(|| l.kecamatan.clone())
                    .or_else(|| l.lokasi.clone())
                    .unwrap_or_default();
                ws.write_string_with_format(at, 3, &place, &text)?;
                if let Some(t) = l.target.and_then(|t| t.to_f64()) {
                    ws.write_number_with_format(at, 4, t, &number)?;
                }
                ws.write_string_with_format(at, 5, l.satuan.as_deref().unwrap_or_default(), &text)?;
                ws.write_number_with_format(at, 6, l.pagu as f64, &money)?;
            }
        }
    }
    workbook.save_to_buffer()
}

#[allow(
    clippy::cast_precision_loss,
    reason = "counts and rupiah sums far below 2^53"
)]
fn write_group(
    ws: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    g: &GroupTotals,
    text: &Format,
    number: &Format,
    money: &Format,
) -> Result<(), XlsxError> {
    let t = &g.totals;
    ws.write_string_with_format(row, 0, &g.kode, text)?;
    ws.write_string_with_format(row, 1, &g.nama, text)?;
    for (c, n) in [
        (2, t.proposals),
        (3, t.covered),
        (4, t.partial),
        (5, t.not_planned),
        (10, t.decided),
    ] {
        ws.write_number_with_format(row, c, n as f64, number)?;
    }
    for (c, n) in [
        (6, t.proposals_rupiah),
        (7, t.matched_pagu),
        (8, t.gap_rupiah),
        (9, g.renja_pagu),
    ] {
        ws.write_number_with_format(row, c, n as f64, money)?;
    }
    Ok(())
}

/// The desk as `format` (`xlsx` or `csv`) for `user`; every adapter downloads through this.
pub async fn file(
    pool: &sqlx::PgPool,
    user: &tinjau_domain::CurrentUser,
    query: &super::DeskQuery,
    format: &str,
) -> Result<crate::forms::Download, crate::refusal::WorkflowError> {
    let content_type = match format {
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "csv" => "text/csv; charset=utf-8",
        other => {
            let shown: String = other.chars().take(20).collect();
            return crate::refusal::refuse(crate::refusal::Message::ExportNotFound {
                asked: shown,
            });
        }
    };
    let desk = super::desk(pool, user, query).await?;
    let csv_wanted = format == "csv";
    let bytes = tokio::task::spawn_blocking(move || {
        if csv_wanted {
            csv(&desk)
        } else {
            xlsx(&desk).map_err(anyhow::Error::from)
        }
    })
    .await
    .map_err(anyhow::Error::from)??;
    let mut name = format!("desk-trilateral_{}", query.tahun);
    for part in [
        query.kota.as_ref().map(ToString::to_string),
        query.kecamatan.as_ref().map(ToString::to_string),
        query.opd.clone(),
    ]
    .into_iter()
    .flatten()
    {
        name.push('_');
        name.extend(
            part.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-'),
        );
    }
    Ok(crate::forms::Download {
        bytes,
        content_type,
        filename: format!("{name}.{format}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_short_clean_and_unique() {
        let mut taken = Vec::new();
        assert_eq!(sheet_name("Sudin SDA [JP]", &mut taken), "Sudin SDA JP");
        assert_eq!(sheet_name("sudin sda jp", &mut taken), "sudin sda jp 2");
        let long = sheet_name(&"x".repeat(40), &mut taken);
        assert!(long.chars().count() <= 31);
        assert_eq!(sheet_name("///", &mut taken), "OPD");
    }
}
