//! Lampiran I, II and III as XLSX (rust_xlsxwriter in constant-memory mode: rows go to a temporary
//! file as they are written, so memory does not grow with the row count), headed as the guideline
//! prints them: the lampiran line, the Berita Acara's NOMOR and TANGGAL, the form's title, the
//! kecamatan and year; the columns with their numbers underneath (Form 3 skips (9), as the form
//! does); money as `Rp #,##0`; subtotals per SKPD and a total on Lampiran II; the Mengetahui and
//! Camat signature blocks at the end; A4, the header repeated on every printed page.

use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

use super::{Form3Row, Form4Row};

/// What the title block and the signature blocks say.
#[derive(Debug, Clone)]
pub struct Title {
    pub kecamatan_nama: String,
    pub kota_nama: String,
    pub tahun: i32,
    /// `Dikirim 10 Februari 2026 ...` or `RANCANGAN — belum dikirim`.
    pub status: String,
    /// The Berita Acara's Nomor and date (the forum's last day), blank while not recorded.
    pub nomor: String,
    pub tanggal: String,
    pub signatures: super::Signatures,
}

/// The header row; the column numbers are under it.
const HEADER_ROW: u32 = 7;
const FIRST_DATA_ROW: u32 = HEADER_ROW + 2;
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
    numbering: Format,
}

fn formats() -> Formats {
    let cell = Format::new()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Top);
    let money = "\"Rp \"#,##0";
    Formats {
        title: Format::new().set_bold().set_font_size(13),
        subtitle: Format::new().set_italic(),
        numbering: cell
            .clone()
            .set_italic()
            .set_font_size(8)
            .set_align(FormatAlign::Center),
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
    header: &[(&str, &str, f64)],
) -> Result<(), XlsxError> {
    for (col, (_, _, width)) in (0u16..).zip(header) {
        ws.set_column_width(col, *width)?;
    }
    ws.write_string_with_format(
        0,
        0,
        format!("{lampiran} : BERITA ACARA KESEPAKATAN HASIL MUSRENBANG KECAMATAN"),
        &f.title,
    )?;
    ws.write_string(1, 0, format!("NOMOR : {}", t.nomor))?;
    ws.write_string(2, 0, format!("TANGGAL : {}", t.tanggal))?;
    ws.write_string_with_format(3, 0, what, &f.title)?;
    ws.write_string(4, 0, format!("Kecamatan : {}", t.kecamatan_nama))?;
    ws.write_string(5, 0, format!("Tahun : {}", t.tahun))?;
    ws.write_string_with_format(6, 0, &t.status, &f.subtitle)?;
    // Constant-memory mode writes a row out once a later one is begun: row by row.
    for (col, (name, _, _)) in (0u16..).zip(header) {
        ws.write_string_with_format(HEADER_ROW, col, *name, &f.header)?;
    }
    for (col, (_, number, _)) in (0u16..).zip(header) {
        ws.write_string_with_format(HEADER_ROW + 1, col, *number, &f.numbering)?;
    }
    ws.set_freeze_panes(FIRST_DATA_ROW, 0)?;
    ws.set_repeat_rows(HEADER_ROW, HEADER_ROW + 1)?;
    ws.set_landscape();
    ws.set_paper_size(A4);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_footer("&C&\"Calibri\"Halaman &P dari &N");
    Ok(())
}

/// The two signature columns under a lampiran, from `row`: "Mengetahui," and the planning
/// office's head on the left, "Ditetapkan di …" and the Camat on the right, each with the name in
/// brackets and the NIP.
fn signature_block(
    ws: &mut Worksheet,
    row: u32,
    left: u16,
    right: u16,
    t: &Title,
) -> Result<(), XlsxError> {
    let s = &t.signatures;
    // Row by row, left then right: constant-memory mode cannot go back to a row.
    let lines = [
        (
            0,
            "Mengetahui,".to_owned(),
            format!("Ditetapkan di {}, {}", s.ditetapkan_di, t.tanggal),
        ),
        (1, s.head_title.clone(), s.camat_title.clone()),
        (
            5,
            format!("({})", s.head.nama),
            format!("({})", s.camat.nama),
        ),
        (
            6,
            format!("NIP. {}", s.head.nip),
            format!("NIP. {}", s.camat.nip),
        ),
    ];
    for (offset, l, r) in lines {
        ws.write_string(row + offset, left, l)?;
        ws.write_string(row + offset, right, r)?;
    }
    Ok(())
}

/// Lampiran II written row by row: rows must come grouped by SKPD (as [`super::lampiran2`] makes them).
pub struct Form3Writer {
    workbook: Workbook,
    formats: Formats,
    row: u32,
    group: Option<(String, i64)>,
    total: i64,
    title: Title,
}

impl std::fmt::Debug for Form3Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Form3Writer")
            .field("row", &self.row)
            .finish_non_exhaustive()
    }
}

/// Form 3's columns and their numbers: the form itself skips (9).
const FORM3_COLUMNS: [(&str, &str, f64); 9] = [
    ("No", "(1)", 5.0),
    ("Permasalahan", "(2)", 26.0),
    ("Program", "(3)", 22.0),
    ("Usulan Kegiatan", "(4)", 34.0),
    ("Lokasi", "(5)", 34.0),
    ("Volume", "(6)", 10.0),
    ("Satuan", "(7)", 8.0),
    ("Perkiraan Anggaran", "(8)", 18.0),
    ("SKPD/UKPD Tujuan", "(10)", 26.0),
];

impl Form3Writer {
    pub fn new(title: Title) -> Result<Self, XlsxError> {
        let mut workbook = Workbook::new();
        let formats = formats();
        let ws = workbook.add_worksheet_with_constant_memory()?;
        ws.set_name("Lampiran II")?;
        title_block(
            ws,
            &formats,
            "LAMPIRAN II",
            "DAFTAR USULAN KEGIATAN PRIORITAS KECAMATAN MENURUT SKPD/UKPD",
            &title,
            &FORM3_COLUMNS,
        )?;
        Ok(Self {
            workbook,
            formats,
            row: FIRST_DATA_ROW,
            group: None,
            total: 0,
            title,
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
        let title = self.title.clone();
        let ws = self.sheet()?;
        signature_block(ws, row + 2, 1, 7, &title)
    }
}

/// Form 4's columns and their numbers.
const FORM4_COLUMNS: [(&str, &str, f64); 5] = [
    ("No", "(1)", 5.0),
    ("Usulan Kegiatan", "(2)", 40.0),
    ("Lokasi", "(3)", 40.0),
    ("Volume", "(4)", 14.0),
    ("Alasan", "(5)", 60.0),
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
        "DAFTAR USULAN KEGIATAN YANG BELUM DISEPAKATI",
        title,
        &FORM4_COLUMNS,
    )?;
    let mut next = FIRST_DATA_ROW;
    for (row, r) in (FIRST_DATA_ROW..).zip(rows) {
        ws.write_number_with_format(row, 0, r.no as f64, &f.number)?;
        ws.write_string_with_format(row, 1, &r.usulan, &f.text)?;
        ws.write_string_with_format(row, 2, &r.lokasi, &f.text)?;
        ws.write_string_with_format(
            row,
            3,
            super::volume_with_unit(r.volume, &r.satuan),
            &f.text,
        )?;
        ws.write_string_with_format(row, 4, &r.alasan, &f.text)?;
        next = row + 1;
    }
    signature_block(ws, next + 1, 1, 4, title)?;
    workbook.save_to_buffer()
}

/// Lampiran I's columns and their numbers (Form 2, the Daftar Hadir).
const FORM2_COLUMNS: [(&str, &str, f64); 5] = [
    ("No", "(1)", 5.0),
    ("Nama", "(2)", 30.0),
    ("Lembaga/instansi", "(3)", 34.0),
    ("Alamat", "(4)", 34.0),
    ("Tanda Tangan", "(5)", 22.0),
];

/// Lampiran I: the attendance list as recorded (the signature column left to sign in).
pub fn lampiran1(title: &Title, rows: &[super::Form2Row]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let f = formats();
    let ws = workbook.add_worksheet_with_constant_memory()?;
    ws.set_name("Lampiran I")?;
    title_block(
        ws,
        &f,
        "LAMPIRAN I",
        "DAFTAR HADIR PESERTA MUSRENBANG KECAMATAN",
        title,
        &FORM2_COLUMNS,
    )?;
    let mut next = FIRST_DATA_ROW;
    for (row, r) in (FIRST_DATA_ROW..).zip(rows) {
        ws.write_number_with_format(row, 0, r.no as f64, &f.number)?;
        ws.write_string_with_format(row, 1, &r.nama, &f.text)?;
        ws.write_string_with_format(row, 2, &r.lembaga, &f.text)?;
        ws.write_string_with_format(row, 3, &r.alamat, &f.text)?;
        ws.write_blank(row, 4, &f.text)?;
        next = row + 1;
    }
    signature_block(ws, next + 1, 1, 3, title)?;
    workbook.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::Reader as _;

    fn title() -> Title {
        Title {
            kecamatan_nama: "Gambir".into(),
            kota_nama: "Kota Administrasi Jakarta Pusat".into(),
            tahun: 2026,
            status: "RANCANGAN".into(),
            nomor: "005/BA/2026".into(),
            tanggal: "11 Februari 2026".into(),
            signatures: super::super::Signatures {
                head_title: "Kepala Kanppeko/Kab.".into(),
                head: survey_schema::forum::Official {
                    nama: "Budi".into(),
                    nip: "1968".into(),
                },
                camat_title: "Camat Gambir".into(),
                camat: survey_schema::forum::Official {
                    nama: "Andi".into(),
                    nip: "1970".into(),
                },
                ditetapkan_di: "Jakarta".into(),
            },
        }
    }

    fn cells(bytes: Vec<u8>) -> Vec<Vec<String>> {
        let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let sheet = book.worksheet_range_at(0).unwrap().unwrap();
        sheet
            .rows()
            .map(|r| r.iter().map(ToString::to_string).collect())
            .collect()
    }

    #[test]
    fn lampiran_ii_ends_with_both_signature_columns() {
        let mut w = Form3Writer::new(title()).unwrap();
        w.push(&Form3Row {
            no: 1,
            rank: None,
            permasalahan: "p".into(),
            program: "q".into(),
            usulan: "u".into(),
            lokasi: "l".into(),
            volume: rust_decimal::Decimal::ONE,
            satuan: "m".into(),
            anggaran: 5,
            skpd: "Dinas".into(),
        })
        .unwrap();
        let rows = cells(w.finish().unwrap());
        let text = rows
            .iter()
            .map(|r| r.join("|"))
            .collect::<Vec<_>>()
            .join("\n");
        for expected in [
            "Mengetahui,",
            "Ditetapkan di Jakarta, 11 Februari 2026",
            "(Andi)",
            "NIP. 1968",
        ] {
            assert!(text.contains(expected), "{expected} not in\n{text}");
        }
    }
}
