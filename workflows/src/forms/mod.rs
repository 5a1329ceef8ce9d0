//! The forum's attachments, made from the stored decisions or, once sent, from the Kirim snapshot
//! (so they never change afterwards): Lampiran II / Form 3 (the agreed list by SKPD/UKPD tujuan),
//! Lampiran III / Form 4 (what was not agreed, with the ground written out), as CSV and XLSX; the
//! Berita Acara with both as one A4 PDF; GeoJSON of the proposals and their surveys for QGIS.

pub mod csv_form;
pub mod geojson;
pub mod pdf;
pub mod report;
mod typst_world;

pub mod xlsx;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use survey_schema::{
    DecisionStatus, ForumRecord, KotaProfile, RejectReason, ReviewItem, Role, WilayahKode,
};

use crate::db;
use crate::refusal::{Message, WorkflowError, refuse};
use tinjau_domain::CurrentUser;

/// Who may download the forum's forms; the pages show their links only to them.
pub const READERS: [Role; 3] = [Role::Camat, Role::Opd, Role::Admin];

/// Whether `role` may download the forms.
pub fn may_read(role: Role) -> bool {
    READERS.contains(&role)
}

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
    /// The forum record (as sent, or as it stands for a draft).
    pub forum: ForumRecord,
    /// The kota's planning office as the forms name it.
    pub profile: KotaProfile,
}

#[derive(Debug, Clone)]
pub struct Sent {
    pub at: DateTime<Utc>,
    pub by: String,
    pub audit_seq: i64,
    pub audit_hash: String,
    /// The first signed head of the audit log holding the Kirim's entry (size, root, key id), once
    /// the sequencer has made it a leaf (about a second after the Kirim).
    pub log_head: Option<(i64, String, String)>,
}

/// One row of Lampiran II / Form 3.
#[derive(Debug, Clone, PartialEq)]
pub struct Form3Row {
    /// Numbered within its SKPD group, from 1: the forum's ranked proposals first, by rank.
    pub no: usize,
    /// The forum's rank within the group, when it ranked this one (then `no == rank`).
    pub rank: Option<usize>,
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

/// One row of Lampiran I / Form 2 (the Daftar Hadir).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form2Row {
    pub no: usize,
    pub nama: String,
    pub lembaga: String,
    pub alamat: String,
}

/// Who signs the Berita Acara and its lampiran, as the forms print them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signatures {
    /// The planning office's head, e.g. `Kepala Kanppeko/Kab.` (from the kota's profile).
    pub head_title: String,
    pub head: survey_schema::forum::Official,
    /// `Camat Gambir`.
    pub camat_title: String,
    pub camat: survey_schema::forum::Official,
    /// The city after "Ditetapkan di".
    pub ditetapkan_di: String,
}

/// Lampiran I: the attendance list as recorded, in its order.
pub fn lampiran1(forum: &ForumRecord) -> Vec<Form2Row> {
    forum
        .peserta
        .iter()
        .enumerate()
        .map(|(n, p)| Form2Row {
            no: n + 1,
            nama: p.nama.clone(),
            lembaga: p.lembaga.clone(),
            alamat: p.alamat.clone(),
        })
        .collect()
}

/// `185,5 m2`: a volume with its unit, as Lampiran III's Volume column writes it.
pub fn volume_with_unit(volume: Decimal, satuan: &str) -> String {
    format!("{} {}", volume_id(volume), satuan.trim())
        .trim()
        .to_owned()
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
/// group, shown as first written), numbered within each group. Within a group, the proposals the
/// forum ranked (`prioritas`, most important first) come first in that order, numbered by their
/// rank; the rest follow plainly, by kelurahan and then by their number in the kelurahan's list.
pub fn lampiran2(items: &[ReviewItem], prioritas: &[i64]) -> Vec<Form3Row> {
    let agreed: Vec<&ReviewItem> = items.iter().filter(|i| i.decision.is_agreed()).collect();
    let mut shown: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for i in &agreed {
        let name = skpd_of(i);
        shown.entry(skpd_key(&name)).or_insert(name);
    }
    let place = |id: i64| prioritas.iter().position(|p| *p == id);
    let none = skpd_key(NO_SKPD);
    let mut keyed: Vec<(String, &ReviewItem)> = agreed
        .into_iter()
        .map(|i| (skpd_key(&skpd_of(i)), i))
        .collect();
    // The group without an SKPD comes last; within a group, ranked first, then plainly.
    keyed.sort_by(|(a, x), (b, y)| {
        ((*a == none), a)
            .cmp(&((*b == none), b))
            .then_with(|| match (place(x.id), place(y.id)) {
                (Some(p), Some(q)) => p.cmp(&q),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => plain_order(x, y),
            })
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
            rank: place(i.id).map(|_| no),
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

/// Unranked proposals: by kelurahan name, then by their number in the kelurahan's list (`2`
/// before `10`), then by id.
fn plain_order(x: &ReviewItem, y: &ReviewItem) -> std::cmp::Ordering {
    let number = |i: &ReviewItem| {
        i.nomor
            .as_deref()
            .and_then(|n| n.trim().parse::<u64>().ok())
            .unwrap_or(u64::MAX)
    };
    x.kelurahan_nama
        .cmp(&y.kelurahan_nama)
        .then_with(|| number(x).cmp(&number(y)))
        .then_with(|| x.nomor.cmp(&y.nomor))
        .then_with(|| x.id.cmp(&y.id))
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

/// Lampiran III: the proposals not agreed, at the volume the community proposed, with the ground
/// written out and the camat's note (and a volume corrected before the rejection, noted).
pub fn lampiran3(items: &[ReviewItem]) -> Vec<Form4Row> {
    items
        .iter()
        .filter(|i| i.decision == DecisionStatus::Rejected)
        .enumerate()
        .map(|(n, i)| {
            let mut alasan = alasan(i.reason, i.note.as_deref());
            if i.decided.volume != i.volume {
                alasan = format!(
                    "{alasan} (Volume hasil koreksi: {} {}.)",
                    survey_schema::say::decimal_text(
                        &i.decided.volume.to_string(),
                        survey_schema::say::Lang::Id
                    ),
                    i.decided.satuan
                );
            }
            Form4Row {
                no: n + 1,
                usulan: i.usulan.clone(),
                lokasi: lokasi(i),
                volume: i.volume,
                satuan: i.satuan.clone(),
                alasan,
            }
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
    user.require_role(&READERS)?;
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
    let kota_kode = kecamatan
        .ancestor(survey_schema::WilayahLevel::Kota)
        .ok_or_else(|| anyhow::anyhow!("{kecamatan} has no kota"))?;
    if let Some(k) = db::kirim::standing(conn, kecamatan.as_str(), tahun).await? {
        let snapshot = crate::review::kirim::snapshot(conn, k.id).await?;
        let profile = match snapshot.profile {
            Some(p) => p,
            None => crate::forum::profile(conn, &kota_kode).await?,
        };
        return Ok(FormSource {
            kecamatan: snapshot.kecamatan,
            kecamatan_nama: snapshot.kecamatan_nama,
            kota_nama: snapshot.kota_nama,
            tahun,
            sent: Some(Sent {
                at: k.sent_at,
                by: k.sent_by_name,
                log_head: db::audit::covering_head(conn, k.audit_seq).await?,
                audit_seq: k.audit_seq,
                audit_hash: k.audit_hash,
            }),
            items: snapshot.items,
            forum: snapshot.forum.unwrap_or_default(),
            profile,
        });
    }
    Ok(FormSource {
        kecamatan: kecamatan.clone(),
        kecamatan_nama,
        kota_nama,
        tahun,
        sent: None,
        items: crate::review::all_items(conn, kecamatan, tahun).await?,
        forum: crate::forum::stored(conn, kecamatan, tahun).await?.0,
        profile: crate::forum::profile(conn, &kota_kode).await?,
    })
}

/// `185.5` as `185,5`: Indonesian decimals, for people (CSV and XLSX keep numbers as numbers).
pub fn volume_id(v: Decimal) -> String {
    v.normalize().to_string().replace('.', ",")
}

/// The months as Indonesian writes them.
pub const BULAN: [&str; 12] = [
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

/// The days of the week, Monday first.
pub const HARI: [&str; 7] = [
    "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu",
];

/// `11 Februari 2026`, of a calendar date.
pub fn tanggal_of_date(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    let month = BULAN
        .get(usize::try_from(d.month0()).unwrap_or(0))
        .copied()
        .unwrap_or("");
    format!("{} {month} {}", d.day(), d.year())
}

/// `Selasa`.
pub fn hari(d: chrono::NaiveDate) -> &'static str {
    use chrono::Datelike;
    HARI.get(usize::try_from(d.weekday().num_days_from_monday()).unwrap_or(0))
        .copied()
        .unwrap_or("")
}

/// `10 Februari 2026`.
pub fn tanggal(at: DateTime<Utc>) -> String {
    use chrono::Datelike;
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
    fn lampiran_iii_prints_the_proposed_volume_and_notes_a_correction() {
        let mut rejected = agreed(7, None, 100);
        rejected.decision = DecisionStatus::Rejected;
        rejected.reason = Some(RejectReason::F);
        rejected.decided.volume = Decimal::new(85, 1);
        let rows = lampiran3(&[agreed(6, None, 1), rejected]);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].volume, rows[0].satuan.as_str()),
            (Decimal::from(10), "m2")
        );
        assert!(
            rows[0].alasan.ends_with("(Volume hasil koreksi: 8,5 m2.)"),
            "{}",
            rows[0].alasan
        );
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
        let rows = lampiran2(&items, &[]);
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
        assert!(lampiran2(&[], &[]).is_empty() && lampiran3(&[]).is_empty());
    }

    #[test]
    fn the_forums_ranking_orders_a_group_and_the_rest_follow_by_kelurahan_and_number() {
        let mut items = vec![
            agreed(1, Some("Dinas X"), 10),
            agreed(2, Some("Dinas X"), 20),
            agreed(3, Some("Dinas X"), 30),
            agreed(4, Some("Dinas X"), 40),
            agreed(5, Some("Dinas A"), 50),
        ];
        items[0].kelurahan_nama = "Petojo".into();
        items[1].nomor = Some("10".into());
        items[3].nomor = Some("2".into());
        // The forum ranks 3 first, then 5 (another group); 1, 2 and 4 are unranked.
        let rows = lampiran2(&items, &[3, 5]);
        let order: Vec<(usize, Option<usize>, &str)> = rows
            .iter()
            .map(|r| (r.no, r.rank, r.usulan.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                (1, Some(1), "Usulan 5"),
                (1, Some(1), "Usulan 3"),
                // Unranked: Cideng before Petojo; within Cideng No 2 before No 10.
                (2, None, "Usulan 4"),
                (3, None, "Usulan 2"),
                (4, None, "Usulan 1"),
            ]
        );
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
    Lampiran1Csv,
    Lampiran1Xlsx,
    Lampiran2Csv,
    Lampiran2Xlsx,
    Lampiran3Csv,
    Lampiran3Xlsx,
    BeritaAcaraPdf,
    /// Form 2 blank: the attendance sheet to print before the forum.
    DaftarHadirPdf,
    /// The notice of the results for the kantor kecamatan's board.
    PengumumanPdf,
    /// The report to the planning office: every form and the audit head, one ZIP.
    LaporanZip,
    GeoJson,
}

impl FormFile {
    pub const ALL: [Self; 11] = [
        Self::Lampiran1Csv,
        Self::Lampiran1Xlsx,
        Self::Lampiran2Csv,
        Self::Lampiran2Xlsx,
        Self::Lampiran3Csv,
        Self::Lampiran3Xlsx,
        Self::BeritaAcaraPdf,
        Self::DaftarHadirPdf,
        Self::PengumumanPdf,
        Self::LaporanZip,
        Self::GeoJson,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Lampiran1Csv => "lampiran1.csv",
            Self::Lampiran1Xlsx => "lampiran1.xlsx",
            Self::Lampiran2Csv => "lampiran2.csv",
            Self::Lampiran2Xlsx => "lampiran2.xlsx",
            Self::Lampiran3Csv => "lampiran3.csv",
            Self::Lampiran3Xlsx => "lampiran3.xlsx",
            Self::BeritaAcaraPdf => "berita-acara.pdf",
            Self::DaftarHadirPdf => "daftar-hadir.pdf",
            Self::PengumumanPdf => "pengumuman.pdf",
            Self::LaporanZip => "laporan.zip",
            Self::GeoJson => "usulan.geojson",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Lampiran1Csv | Self::Lampiran2Csv | Self::Lampiran3Csv => {
                "text/csv; charset=utf-8"
            }
            Self::Lampiran1Xlsx | Self::Lampiran2Xlsx | Self::Lampiran3Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            Self::BeritaAcaraPdf | Self::DaftarHadirPdf | Self::PengumumanPdf => "application/pdf",
            Self::LaporanZip => "application/zip",
            Self::GeoJson => "application/geo+json",
        }
    }
}

impl FormSource {
    /// The title block's status line.
    pub fn status_line(&self) -> String {
        match &self.sent {
            Some(s) => format!(
                "Dikirim {} oleh {} · log audit #{} {}",
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
            nomor: self.forum.nomor.clone(),
            tanggal: self.tanggal_ba(),
            signatures: self.signatures(),
        }
    }

    /// The Berita Acara's date: the forum's last day (blank while not recorded).
    pub fn tanggal_ba(&self) -> String {
        self.forum
            .tanggal_selesai
            .or(self.forum.tanggal_mulai)
            .map(tanggal_of_date)
            .unwrap_or_default()
    }

    pub fn signatures(&self) -> Signatures {
        Signatures {
            head_title: self.profile.head_title.clone(),
            head: self.forum.kepala_perencanaan.clone(),
            camat_title: format!("Camat {}", self.kecamatan_nama),
            camat: self.forum.camat.clone(),
            ditetapkan_di: self.profile.ditetapkan_di.clone(),
        }
    }
}

/// Makes one form file (CPU work: call it off the async workers).
pub fn render(src: &FormSource, file: FormFile) -> anyhow::Result<Vec<u8>> {
    Ok(match file {
        FormFile::Lampiran1Csv => csv_form::lampiran1(&lampiran1(&src.forum))?,
        FormFile::Lampiran1Xlsx => xlsx::lampiran1(&src.title(), &lampiran1(&src.forum))?,
        FormFile::Lampiran2Csv => {
            csv_form::lampiran2(&lampiran2(&src.items, &src.forum.prioritas))?
        }
        FormFile::Lampiran3Csv => csv_form::lampiran3(&lampiran3(&src.items))?,
        FormFile::Lampiran2Xlsx => {
            let mut w = xlsx::Form3Writer::new(src.title())?;
            for row in lampiran2(&src.items, &src.forum.prioritas) {
                w.push(&row)?;
            }
            w.finish()?
        }
        FormFile::Lampiran3Xlsx => xlsx::lampiran3(&src.title(), &lampiran3(&src.items))?,
        FormFile::BeritaAcaraPdf => pdf::berita_acara(src)?,
        FormFile::DaftarHadirPdf => pdf::daftar_hadir(src)?,
        FormFile::PengumumanPdf => pdf::pengumuman(src)?,
        FormFile::LaporanZip => report::bundle(src)?,
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
