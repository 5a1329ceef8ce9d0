//! The report to the city's planning office (Juknis C.3) as one download: the Berita Acara with its
//! lampiran (PDF), Lampiran I–III as XLSX and CSV, the proposals' GeoJSON, and a note of the audit
//! chain's head recorded at Kirim, which the office can check against the PDF's footer.

use std::io::Write as _;

use zip::write::SimpleFileOptions;

use super::{FormFile, FormSource, render};

/// The files of the report, in the order an official reads them.
const FILES: [FormFile; 9] = [
    FormFile::BeritaAcaraPdf,
    FormFile::Lampiran1Xlsx,
    FormFile::Lampiran2Xlsx,
    FormFile::Lampiran3Xlsx,
    FormFile::Lampiran1Csv,
    FormFile::Lampiran2Csv,
    FormFile::Lampiran3Csv,
    FormFile::GeoJson,
    FormFile::PengumumanPdf,
];

/// The note on what the report is and where it came from.
fn readme(src: &FormSource) -> String {
    let status = src.status_line();
    let deadline = format!(
        "{} {}",
        src.profile.report_due_day,
        super::BULAN[(src.profile.report_due_month as usize + 11) % 12]
    );
    format!(
        "Laporan hasil Musrenbang Kecamatan {} Tahun {}\n\
         Kepada: {}\n\
         Nomor Berita Acara: {}\n\
         Status: {status}\n\
         Batas penyampaian: {deadline} {}\n\n\
         berita-acara.pdf        Berita Acara (Form 1) dengan Lampiran I, II dan III\n\
         lampiran1.xlsx/.csv     Daftar Hadir (Lampiran I)\n\
         lampiran2.xlsx/.csv     Daftar Usulan Kegiatan Prioritas menurut SKPD/UKPD (Lampiran II)\n\
         lampiran3.xlsx/.csv     Daftar Usulan Kegiatan yang Belum Disepakati (Lampiran III)\n\
         usulan.geojson          Lokasi usulan dan hasil peninjauan\n\
         pengumuman.pdf          Pengumuman hasil untuk papan pengumuman kantor kecamatan\n",
        src.kecamatan_nama, src.tahun, src.profile.office, src.forum.nomor, src.tahun,
    )
}

/// The ZIP (CPU work, like every form).
pub fn bundle(src: &FormSource) -> anyhow::Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("LAPORAN.txt", options)?;
    zip.write_all(readme(src).as_bytes())?;
    for file in FILES {
        zip.start_file(file.name(), options)?;
        zip.write_all(&render(src, file)?)?;
    }
    if let Some(sent) = &src.sent {
        zip.start_file("rantai-audit.txt", options)?;
        writeln!(
            zip,
            "Catatan Kirim dalam log audit: #{} {}\nDikirim: {} oleh {}",
            sent.audit_seq,
            sent.audit_hash,
            super::tanggal(sent.at),
            sent.by
        )?;
        match &sent.log_head {
            Some((size, root, key)) => writeln!(
                zip,
                "Kepala log yang memuatnya: {size} catatan, akar {root}, kunci {key}\nBukti: /api/v1/audit/entries/{}/proof",
                sent.audit_seq
            )?,
            None => writeln!(
                zip,
                "Bukti: /api/v1/audit/entries/{}/proof (tersedia sekitar satu detik setelah Kirim)",
                sent.audit_seq
            )?,
        }
    }
    Ok(zip.finish()?.into_inner())
}
