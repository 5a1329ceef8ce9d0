//! The forum's attachments, made from the stored decisions or, once sent, from the Kirim snapshot
//! (so they never change afterwards): Lampiran II / Form 3 (the agreed list by SKPD/UKPD tujuan),
//! Lampiran III / Form 4 (what was not agreed, with the ground written out), as CSV and XLSX; the
//! Berita Acara with both as one A4 PDF; GeoJSON of the proposals and their surveys for QGIS.

pub mod csv_form;
pub mod geojson;
pub mod pdf;
mod typst_world;

pub mod xlsx;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use survey_schema::{DecisionStatus, RejectReason, ReviewItem, Role, WilayahKode};

use crate::db;
use crate::refusal::{Message, WorkflowError, refuse};
use tinjau_domain::CurrentUser;

/// The group of proposals without an SKPD/UKPD tujuan in the file.
pub const NO_SKPD: &str = "(SKPD/UKPD tujuan belum diisi)";

/// What every form is made from.
#[derive(Debug, Clone)]
pub struct FormSource {
    pub kecamatan: WilayahKode,
    pub kecamatan_nama: String,
    pub kota_nama: String,
    pub tahun: i32,
    /// The Kirim the forms come from; `None`: a draft from the current decisions.
    pub sent: Option<Sent>,
    pub items: Vec<ReviewItem>,
}

#[derive(Debug, Clone)]
pub struct Sent {
    pub at: DateTime<Utc>,
    pub by: String,
    pub audit_seq: i64,
    pub audit_hash: String,
}

/// One row of Lampiran II / Form 3.
#[derive(Debug, Clone, PartialEq)]
pub struct Form3Row {
    /// Numbered within its SKPD group, from 1.
    pub no: usize,
    pub permasalahan: String,
    pub program: String,
    pub usulan: String,
    pub lokasi: String,
    pub volume: Decimal,
    pub satuan: String,
    pub anggaran: i64,
    pub skpd: String,
}

/// One row of Lampiran III / Form 4.
#[derive(Debug, Clone, PartialEq)]
pub struct Form4Row {
    pub no: usize,
    pub usulan: String,
    pub lokasi: String,
    pub volume: Decimal,
    pub satuan: String,
    /// The ground as the guideline words it, then the camat's note.
    pub alasan: String,
}

/// RT and RW as addresses write them: three digits (`1` → `001`); anything else as it is.
fn rt_rw_number(n: &str) -> String {
    match n.trim().parse::<u32>() {
        Ok(v) => format!("{v:03}"),
        Err(_) => n.trim().to_owned(),
    }
}

/// `Jl. Cideng Barat RT 001/RW 002, Kel. Cideng`.
pub fn lokasi(item: &ReviewItem) -> String {
    let mut out = item.lokasi.clone().unwrap_or_default();
    let (rt, rw) = (
        item.rt.as_deref().map(rt_rw_number),
        item.rw.as_deref().map(rt_rw_number),
    );
    let rt_rw = match (&rt, &rw) {
        (Some(rt), Some(rw)) => format!("RT {rt}/RW {rw}"),
        (None, Some(rw)) => format!("RW {rw}"),
        (Some(rt), None) => format!("RT {rt}"),
        (None, None) => String::new(),
    };
    for part in [rt_rw, format!("Kel. {}", item.kelurahan_nama)] {
        if part.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push_str(if part.starts_with("Kel.") { ", " } else { " " });
        }
        out.push_str(&part);
    }
    out
}

fn skpd_of(item: &ReviewItem) -> String {
    item.skpd_tujuan
        .as_deref()
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| NO_SKPD.to_owned())
}

/// The key two spellings of one SKPD share (`Dinas X`, `DINAS  X`).
fn skpd_key(name: &str) -> String {
    name.to_lowercase()
}

/// Lampiran II: the agreed proposals (as decided: corrected volumes and budgets), grouped by
/// SKPD/UKPD tujuan in alphabetical order (spellings that differ only in case or spacing are one
/// group, shown as first written), numbered within each group; within a group, the review list's
/// order (most serious first, then budget).
pub fn lampiran2(items: &[ReviewItem]) -> Vec<Form3Row> {
    let agreed: Vec<&ReviewItem> = items.iter().filter(|i| i.decision.is_agreed()).collect();
    let mut shown: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for i in &agreed {
        let name = skpd_of(i);
        shown.entry(skpd_key(&name)).or_insert(name);
    }
    let mut keyed: Vec<(String, &ReviewItem)> = agreed
        .into_iter()
        .map(|i| (skpd_key(&skpd_of(i)), i))
        .collect();
    // Stable: the list's order stays within a group; the group without an SKPD comes last.
    keyed.sort_by(|(a, _), (b, _)| {
        let none = skpd_key(NO_SKPD);
        ((*a == none), a).cmp(&((*b == none), b))
    });
    let mut rows = Vec::with_capacity(keyed.len());
    let mut group = String::new();
    let mut no = 0;
    for (key, i) in keyed {
        if key != group {
            group.clone_from(&key);
            no = 0;
        }
        no += 1;
        rows.push(Form3Row {
            no,
            permasalahan: i.permasalahan.clone().unwrap_or_default(),
            program: i.program.clone().unwrap_or_default(),
            usulan: i.usulan.clone(),
            lokasi: lokasi(i),
            volume: i.decided.volume,
            satuan: i.decided.satuan.clone(),
            anggaran: i.decided.anggaran,
            skpd: shown.get(&key).cloned().unwrap_or_default(),
        });
    }
    rows
}

/// The ground of a rejection written out, with the camat's note.
pub fn alasan(reason: Option<RejectReason>, note: Option<&str>) -> String {
    let ground = reason.map(|r| format!("({}) {}", r.as_str(), r.text().id));
    match (ground, note.map(str::trim).filter(|n| !n.is_empty())) {
        (Some(g), Some(n)) => format!("{g}. Catatan: {n}"),
        (Some(g), None) => g,
        (None, Some(n)) => n.to_owned(),
        (None, None) => String::new(),
    }
}

/// Lampiran III: the proposals not agreed, with the ground written out and the camat's note.
pub fn lampiran3(items: &[ReviewItem]) -> Vec<Form4Row> {
    items
        .iter()
        .filter(|i| i.decision == DecisionStatus::Rejected)
        .enumerate()
        .map(|(n, i)| Form4Row {
            no: n + 1,
            usulan: i.usulan.clone(),
            lokasi: lokasi(i),
            volume: i.decided.volume,
            satuan: i.decided.satuan.clone(),
            alasan: alasan(i.reason, i.note.as_deref()),
        })
        .collect()
}

/// Subtotals per SKPD (in the rows' order) and the total, whole rupiah.
pub fn totals(rows: &[Form3Row]) -> (Vec<(String, i64)>, i64) {
    let mut groups: Vec<(String, i64)> = Vec::new();
    for r in rows {
        match groups.last_mut() {
            Some((g, sum)) if *g == r.skpd => *sum += r.anggaran,
            _ => groups.push((r.skpd.clone(), r.anggaran)),
        }
    }
    let total = groups.iter().map(|(_, s)| s).sum();
    (groups, total)
}

/// The forms' source for a kecamatan and year: the Kirim snapshot when sent, else the current
/// decisions (a draft). Camat, OPD and admin within their scope.
pub async fn source(
    conn: &mut PgConnection,
    user: &CurrentUser,
    kecamatan: &WilayahKode,
    tahun: i32,
) -> Result<FormSource, WorkflowError> {
    user.require_role(&[Role::Camat, Role::Opd, Role::Admin])?;
    user.require_covers(kecamatan)?;
    let kota = kecamatan
        .ancestor(survey_schema::WilayahLevel::Kota)
        .map(|k| k.to_string())
        .unwrap_or_default();
    let (Some(kecamatan_nama), Some(kota_nama)) = (
        db::review::wilayah_nama(conn, kecamatan.as_str()).await?,
        db::review::wilayah_nama(conn, &kota).await?,
    ) else {
        return refuse(Message::KecamatanNotFound {
            kode: kecamatan.clone(),
        });
    };
    if let Some(k) = db::kirim::standing(conn, kecamatan.as_str(), tahun).await? {
        let snapshot = crate::review::kirim::snapshot(conn, k.id).await?;
        return Ok(FormSource {
            kecamatan: snapshot.kecamatan,
            kecamatan_nama: snapshot.kecamatan_nama,
            kota_nama: snapshot.kota_nama,
            tahun,
            sent: Some(Sent {
                at: k.sent_at,
                by: k.sent_by_name,
                audit_seq: k.audit_seq,
                audit_hash: k.audit_hash,
            }),
            items: snapshot.items,
        });
    }
    Ok(FormSource {
        kecamatan: kecamatan.clone(),
        kecamatan_nama,
        kota_nama,
        tahun,
        sent: None,
        items: crate::review::all_items(conn, kecamatan, tahun).await?,
    })
}

/// `185.5` as `185,5`: Indonesian decimals, for people (CSV and XLSX keep numbers as numbers).
pub fn volume_id(v: Decimal) -> String {
    v.normalize().to_string().replace('.', ",")
}

/// `10 Februari 2026`.
pub fn tanggal(at: DateTime<Utc>) -> String {
    use chrono::Datelike;
    const BULAN: [&str; 12] = [
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ];
    // Dates on the forms are in WIB (UTC+7), where the forum is held.
    let wib = at + chrono::Duration::hours(7);
    let month = BULAN
        .get(usize::try_from(wib.month0()).unwrap_or(0))
        .copied()
        .unwrap_or("");
    format!("{} {month} {}", wib.day(), wib.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agreed(id: i64, skpd: Option<&str>, anggaran: i64) -> ReviewItem {
        let mut item: ReviewItem = serde_json::from_value(serde_json::json!({
            "id": id, "tahun": 2026, "nomor": null, "kelurahan": "31.71.01.1002", "kelurahan_nama": "Cideng",
            "rw": null, "rt": null, "permasalahan": null, "program": null, "usulan": format!("Usulan {id}"),
            "lokasi": null, "volume": "10", "satuan": "m2", "unit": "m2", "anggaran": anggaran,
            "skpd_tujuan": skpd, "pin": null, "survey_status": "not_surveyed", "superseded_surveys": 0,
            "late_surveys": 0, "survey": null, "anomalies": [], "max_severity": null, "decision": "approved",
            "decided": {"status": "approved", "volume": "10", "satuan": "m2", "unit": "m2", "anggaran": anggaran},
            "reason": null, "note": null, "decided_by": null, "decided_at": null, "version": 1, "suggestion": null
        }))
        .unwrap();
        item.decision = DecisionStatus::Approved;
        item
    }

    #[test]
    fn spellings_of_one_skpd_are_one_group_with_one_subtotal() {
        let items = [
            agreed(1, Some("Dinas X"), 100),
            agreed(2, None, 5),
            agreed(3, Some("DINAS  X "), 20),
            agreed(4, Some("Dinas A"), 7),
            agreed(5, Some("dinas x"), 3),
        ];
        let rows = lampiran2(&items);
        let groups: Vec<(&str, usize)> = rows.iter().map(|r| (r.skpd.as_str(), r.no)).collect();
        assert_eq!(
            groups,
            [
                ("Dinas A", 1),
                ("Dinas X", 1),
                ("Dinas X", 2),
                ("Dinas X", 3),
                (NO_SKPD, 1)
            ]
        );
        let (subtotals, total) = totals(&rows);
        assert_eq!(
            subtotals,
            [
                ("Dinas A".to_owned(), 7),
                ("Dinas X".to_owned(), 123),
                (NO_SKPD.to_owned(), 5)
            ]
        );
        assert_eq!(total, 135);
        assert!(lampiran2(&[]).is_empty() && lampiran3(&[]).is_empty());
    }

    #[test]
    fn grounds_are_written_out_with_the_note() {
        assert_eq!(
            alasan(Some(RejectReason::F), Some(" Sudah dibeton 2025 ")),
            "(f) Sudah dilaksanakan pada tahun sebelumnya. Catatan: Sudah dibeton 2025"
        );
        assert_eq!(
            alasan(Some(RejectReason::C), None),
            "(c) Sasaran tidak jelas"
        );
    }

    #[test]
    fn dates_are_in_wib_and_indonesian() {
        let late_evening_utc = DateTime::parse_from_rfc3339("2026-02-09T18:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(tanggal(late_evening_utc), "10 Februari 2026");
        assert_eq!(volume_id(Decimal::new(18550, 2)), "185,5");
    }
}

/// The forms a kecamatan's list has, by file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormFile {
    Lampiran2Csv,
    Lampiran2Xlsx,
    Lampiran3Csv,
    Lampiran3Xlsx,
    BeritaAcaraPdf,
    GeoJson,
}

impl FormFile {
    pub const ALL: [Self; 6] = [
        Self::Lampiran2Csv,
        Self::Lampiran2Xlsx,
        Self::Lampiran3Csv,
        Self::Lampiran3Xlsx,
        Self::BeritaAcaraPdf,
        Self::GeoJson,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Lampiran2Csv => "lampiran2.csv",
            Self::Lampiran2Xlsx => "lampiran2.xlsx",
            Self::Lampiran3Csv => "lampiran3.csv",
            Self::Lampiran3Xlsx => "lampiran3.xlsx",
            Self::BeritaAcaraPdf => "berita-acara.pdf",
            Self::GeoJson => "usulan.geojson",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Lampiran2Csv | Self::Lampiran3Csv => "text/csv; charset=utf-8",
            Self::Lampiran2Xlsx | Self::Lampiran3Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            Self::BeritaAcaraPdf => "application/pdf",
            Self::GeoJson => "application/geo+json",
        }
    }
}

impl FormSource {
    /// The title block's status line.
    pub fn status_line(&self) -> String {
        match &self.sent {
            Some(s) => format!(
                "Dikirim {} oleh {} · rantai audit #{} {}",
                tanggal(s.at),
                s.by,
                s.audit_seq,
                s.audit_hash
            ),
            None => "RANCANGAN — belum dikirim (Kirim): dibuat dari keputusan saat ini".to_owned(),
        }
    }

    pub fn title(&self) -> xlsx::Title {
        xlsx::Title {
            kecamatan_nama: self.kecamatan_nama.clone(),
            kota_nama: self.kota_nama.clone(),
            tahun: self.tahun,
            status: self.status_line(),
        }
    }
}

/// Makes one form file (CPU work: call it off the async workers).
pub fn render(src: &FormSource, file: FormFile) -> anyhow::Result<Vec<u8>> {
    Ok(match file {
        FormFile::Lampiran2Csv => csv_form::lampiran2(&lampiran2(&src.items))?,
        FormFile::Lampiran3Csv => csv_form::lampiran3(&lampiran3(&src.items))?,
        FormFile::Lampiran2Xlsx => {
            let mut w = xlsx::Form3Writer::new(&src.title())?;
            for row in lampiran2(&src.items) {
                w.push(&row)?;
            }
            w.finish()?
        }
        FormFile::Lampiran3Xlsx => xlsx::lampiran3(&src.title(), &lampiran3(&src.items))?,
        FormFile::BeritaAcaraPdf => pdf::berita_acara(src)?,
        FormFile::GeoJson => serde_json::to_vec(&geojson::collection(src))?,
    })
}

/// A form made for a caller, ready to send: its bytes, type and download name.
#[derive(Debug)]
pub struct Download {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    /// e.g. `berita-acara_317101_2026.pdf`.
    pub filename: String,
}

/// Makes one form of a kecamatan and year for `user` (the role and scope of [`source`]); the
/// rendering runs off the async workers. Every adapter (API, pages) downloads through this.
pub async fn download(
    pool: &sqlx::PgPool,
    user: &CurrentUser,
    kecamatan: &WilayahKode,
    tahun: i32,
    form: FormFile,
) -> Result<Download, WorkflowError> {
    let mut conn = pool.acquire().await?;
    let src = source(&mut conn, user, kecamatan, tahun).await?;
    drop(conn);
    let bytes = tokio::task::spawn_blocking(move || render(&src, form))
        .await
        .map_err(anyhow::Error::from)??;
    let (stem, ext) = form.name().split_once('.').unwrap_or((form.name(), ""));
    Ok(Download {
        bytes,
        content_type: form.content_type(),
        filename: format!(
            "{stem}_{}_{tahun}.{ext}",
            kecamatan.as_str().replace('.', "")
        ),
    })
}
