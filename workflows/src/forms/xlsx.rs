//! Lampiran II and III as XLSX (rust_xlsxwriter in constant-memory mode: rows go to a temporary
//! file as they are written, so memory does not grow with the row count). A title block with the
//! kecamatan, kota and year; a frozen header; money as `Rp #,##0`; widths that fit; subtotals per
//! SKPD and a total on Lampiran II; A4 landscape, the header repeated on every printed page.

use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

use super::{Form3Row, Form4Row};

/// What the title block says.
#[derive(Debug, Clone)]
pub struct Title {
    pub kecamatan_nama: String,
    pub kota_nama: String,
    pub tahun: i32,
    /// `Dikirim 10 Februari 2026 ...` or `RANCANGAN — belum dikirim`.
    pub status: String,
}

const HEADER_ROW: u32 = 5;
const A4: u8 = 9;

struct Formats {
    title: Format,
    subtitle: Format,
    header: Format,
    text: Format,
    number: Format,
    volume: Format,
    money: Format,
    group: Format,
    subtotal: Format,
    subtotal_money: Format,
}

fn formats() -> Formats {
    let cell = Format::new()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Top);
    let money = "\"Rp \"#,##0";
    Formats {
        title: Format::new().set_bold().set_font_size(13),
        subtitle: Format::new().set_italic(),
        header: cell
            .clone()
            .set_bold()
            .set_text_wrap()
            .set_align(FormatAlign::Center)
            .set_background_color(Color::RGB(0x00DD_EBF7)),
        text: cell.clone().set_text_wrap(),
        number: cell.clone().set_num_format("0"),
        // "General": whole volumes without a trailing decimal point, fractions as they are.
        volume: cell.clone().set_num_format("General"),
        money: cell.clone().set_num_format(money),
        group: cell
            .clone()
            .set_bold()
            .set_background_color(Color::RGB(0x00F2_F2F2)),
        subtotal: cell.clone().set_bold(),
        subtotal_money: cell.set_bold().set_num_format(money),
    }
}

fn title_block(
    ws: &mut Worksheet,
    f: &Formats,
    lampiran: &str,
    what: &str,
    t: &Title,
    header: &[(&str, f64)],
) -> Result<(), XlsxError> {
    for (col, (_, width)) in (0u16..).zip(header) {
        ws.set_column_width(col, *width)?;
    }
    ws.write_string_with_format(
        0,
        0,
        format!("{lampiran} BERITA ACARA MUSRENBANG KECAMATAN"),
        &f.title,
    )?;
    ws.write_string_with_format(1, 0, what, &f.title)?;
    ws.write_string(
        2,
        0,
        format!(
            "Kecamatan: {}    Kota: {}    Tahun: {}",
            t.kecamatan_nama, t.kota_nama, t.tahun
        ),
    )?;
    ws.write_string_with_format(3, 0, &t.status, &f.subtitle)?;
    for (col, (name, _)) in (0u16..).zip(header) {
        ws.write_string_with_format(HEADER_ROW, col, *name, &f.header)?;
    }
    ws.set_freeze_panes(HEADER_ROW + 1, 0)?;
    ws.set_repeat_rows(HEADER_ROW, HEADER_ROW)?;
    ws.set_landscape();
    ws.set_paper_size(A4);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_footer("&C&\"Calibri\"Halaman &P dari &N");
    Ok(())
}

/// Lampiran II written row by row: rows must come grouped by SKPD (as [`super::lampiran2`] makes them).
pub struct Form3Writer {
    workbook: Workbook,
    formats: Formats,
    row: u32,
    group: Option<(String, i64)>,
    total: i64,
}

impl std::fmt::Debug for Form3Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Form3Writer")
            .field("row", &self.row)
            .finish_non_exhaustive()
    }
}

const FORM3_COLUMNS: [(&str, f64); 9] = [
    ("No", 5.0),
    ("Permasalahan", 26.0),
    ("Program", 22.0),
    ("Usulan Kegiatan", 34.0),
    ("Lokasi", 34.0),
    ("Volume", 10.0),
    ("Satuan", 8.0),
    ("Perkiraan Anggaran", 18.0),
    ("SKPD/UKPD Tujuan", 26.0),
];

impl Form3Writer {
    pub fn new(title: &Title) -> Result<Self, XlsxError> {
        let mut workbook = Workbook::new();
        let formats = formats();
        let ws = workbook.add_worksheet_with_constant_memory()?;
        ws.set_name("Lampiran II")?;
        title_block(
            ws,
            &formats,
            "LAMPIRAN II",
            "Daftar Prioritas Usulan Kegiatan yang Disepakati (Form 3)",
            title,
            &FORM3_COLUMNS,
        )?;
        Ok(Self {
            workbook,
            formats,
            row: HEADER_ROW + 1,
            group: None,
            total: 0,
        })
    }

    fn sheet(&mut self) -> Result<&mut Worksheet, XlsxError> {
        self.workbook.worksheet_from_index(0)
    }

    fn close_group(&mut self) -> Result<(), XlsxError> {
        if let Some((name, sum)) = self.group.take() {
            let row = self.row;
            let f = (
                self.formats.subtotal.clone(),
                self.formats.subtotal_money.clone(),
            );
            let ws = self.sheet()?;
            ws.write_string_with_format(row, 0, "", &f.0)?;
            ws.write_string_with_format(row, 1, format!("Jumlah {name}"), &f.0)?;
            for col in 2..7 {
                ws.write_blank(row, col, &f.0)?;
            }
            ws.write_number_with_format(row, 7, sum as f64, &f.1)?;
            ws.write_blank(row, 8, &f.0)?;
            self.row += 1;
        }
        Ok(())
    }

    pub fn push(&mut self, r: &Form3Row) -> Result<(), XlsxError> {
        if self.group.as_ref().is_none_or(|(g, _)| *g != r.skpd) {
            self.close_group()?;
            let row = self.row;
            let f = self.formats.group.clone();
            let ws = self.sheet()?;
            ws.write_string_with_format(row, 0, "", &f)?;
            ws.write_string_with_format(row, 1, &r.skpd, &f)?;
            for col in 2..9 {
                ws.write_blank(row, col, &f)?;
            }
            self.row += 1;
            self.group = Some((r.skpd.clone(), 0));
        }
        let row = self.row;
        let (text, number, volume, money) = (
            self.formats.text.clone(),
            self.formats.number.clone(),
            self.formats.volume.clone(),
            self.formats.money.clone(),
        );
        let ws = self.sheet()?;
        ws.write_number_with_format(row, 0, r.no as f64, &number)?;
        ws.write_string_with_format(row, 1, &r.permasalahan, &text)?;
        ws.write_string_with_format(row, 2, &r.program, &text)?;
        ws.write_string_with_format(row, 3, &r.usulan, &text)?;
        ws.write_string_with_format(row, 4, &r.lokasi, &text)?;
        ws.write_number_with_format(row, 5, r.volume.to_f64().unwrap_or(0.0), &volume)?;
        ws.write_string_with_format(row, 6, &r.satuan, &text)?;
        ws.write_number_with_format(row, 7, r.anggaran as f64, &money)?;
        ws.write_string_with_format(row, 8, &r.skpd, &text)?;
        self.row += 1;
        if let Some((_, sum)) = &mut self.group {
            *sum += r.anggaran;
        }
        self.total += r.anggaran;
        Ok(())
    }

    /// Closes the last group, writes the total and returns the file.
    pub fn finish(mut self) -> Result<Vec<u8>, XlsxError> {
        self.write_total()?;
        self.workbook.save_to_buffer()
    }

    /// The same, written to `out` as it is assembled (for files too large to hold).
    pub fn finish_to<W: std::io::Write + std::io::Seek + Send>(
        mut self,
        out: W,
    ) -> Result<(), XlsxError> {
        self.write_total()?;
        self.workbook.save_to_writer(out)
    }

    fn write_total(&mut self) -> Result<(), XlsxError> {
        self.close_group()?;
        let (row, total) = (self.row, self.total);
        let f = (
            self.formats.subtotal.clone(),
            self.formats.subtotal_money.clone(),
        );
        let ws = self.sheet()?;
        ws.write_string_with_format(row, 0, "", &f.0)?;
        ws.write_string_with_format(row, 1, "JUMLAH TOTAL", &f.0)?;
        for col in 2..7 {
            ws.write_blank(row, col, &f.0)?;
        }
        ws.write_number_with_format(row, 7, total as f64, &f.1)?;
        ws.write_blank(row, 8, &f.0)?;
        Ok(())
    }
}

const FORM4_COLUMNS: [(&str, f64); 6] = [
    ("No", 5.0),
    ("Usulan Kegiatan", 36.0),
    ("Lokasi", 36.0),
    ("Volume", 10.0),
    ("Satuan", 8.0),
    ("Alasan", 60.0),
];

/// Lampiran III.
pub fn lampiran3(title: &Title, rows: &[Form4Row]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let f = formats();
    let ws = workbook.add_worksheet_with_constant_memory()?;
    ws.set_name("Lampiran III")?;
    title_block(
        ws,
        &f,
        "LAMPIRAN III",
        "Daftar Usulan Kegiatan yang Tidak Disepakati (Form 4)",
        title,
        &FORM4_COLUMNS,
    )?;
    for (row, r) in (HEADER_ROW + 1..).zip(rows) {
        ws.write_number_with_format(row, 0, r.no as f64, &f.number)?;
        ws.write_string_with_format(row, 1, &r.usulan, &f.text)?;
        ws.write_string_with_format(row, 2, &r.lokasi, &f.text)?;
        ws.write_number_with_format(row, 3, r.volume.to_f64().unwrap_or(0.0), &f.volume)?;
        ws.write_string_with_format(row, 4, &r.satuan, &f.text)?;
        ws.write_string_with_format(row, 5, &r.alasan, &f.text)?;
    }
    workbook.save_to_buffer()
}
