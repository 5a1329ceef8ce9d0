//! The Berita Acara (Form 1) with Lampiran I, II and III as one A4 PDF in the guideline's order and
//! words (`berita_acara.typ`), and Form 2 blank, the attendance sheet printed before the forum
//! (`daftar_hadir.typ`); both filled from the form source's data (`data.json` to the template).

use chrono::Datelike as _;
use serde::Serialize;
use survey_schema::Rupiah;

use super::{
    FormSource, Signatures, hari, lampiran1, lampiran2, lampiran3, tanggal_of_date, totals,
    volume_id, volume_with_unit,
};

const BERITA_ACARA: &str = include_str!("berita_acara.typ");
const DAFTAR_HADIR: &str = include_str!("daftar_hadir.typ");
const PENGUMUMAN: &str = include_str!("pengumuman.typ");

/// Rows a blank attendance sheet keeps free below the invited names.
const BLANK_ROWS: usize = 25;

#[derive(Serialize)]
struct Data {
    draft: bool,
    kecamatan: String,
    kota: String,
    /// `KOTA ADMINISTRASI JAKARTA PUSAT`'s form in the title: `Jakarta Pusat`.
    kota_singkat: String,
    tahun: i32,
    nomor: String,
    /// The forum's last day, `11 Februari 2026` (the Berita Acara's date), or dots.
    tanggal: String,
    pembukaan: Pembukaan,
    sambutan: Vec<String>,
    paparan: Vec<Paparan>,
    delegasi: Vec<Delegate>,
    /// Said under KEEMPAT in a draft when no woman is among the delegates.
    delegasi_tanpa_perempuan: bool,
    perwakilan: Vec<Person>,
    tembusan: Vec<String>,
    ttd: Ttd,
    audit: Option<Audit>,
    lampiran1: Vec<Person>,
    lampiran2: Lampiran2,
    lampiran3: Vec<Row3>,
    /// Form 2 blank: empty rows after the invited.
    kosong: usize,
}

/// The opening sentence's parts ("Pada hari … tanggal … sampai dengan tanggal … bulan … tahun …
/// bertempat di …") and the block before MENYEPAKATI.
#[derive(Serialize)]
struct Pembukaan {
    hari: String,
    /// `10`, or `30 Januari` when the forum ran into the next month.
    tanggal_mulai: String,
    /// Empty for a one-day forum.
    tanggal_selesai: String,
    bulan: String,
    tahun: String,
    tempat: String,
    jam: String,
    /// `Selasa, 10 s.d. 11 Februari 2026`.
    hari_tanggal: String,
}

#[derive(Serialize)]
struct Paparan {
    materi: String,
    penyaji: String,
}

#[derive(Serialize)]
struct Delegate {
    nama: String,
    lembaga: String,
}

#[derive(Serialize)]
struct Person {
    no: usize,
    nama: String,
    lembaga: String,
    alamat: String,
}

#[derive(Serialize)]
struct Ttd {
    head_title: String,
    head_nama: String,
    head_nip: String,
    camat_title: String,
    camat_nama: String,
    camat_nip: String,
    ditetapkan_di: String,
}

#[derive(Serialize)]
struct Audit {
    seq: i64,
    hash: String,
    /// The signed head holding the entry, when the sequencer has reached it.
    head: Option<String>,
}

#[derive(Serialize)]
struct Lampiran2 {
    groups: Vec<Group>,
    total: String,
}

#[derive(Serialize)]
struct Group {
    skpd: String,
    /// How many of the group the forum ranked (they come first, numbered by rank).
    ranked: usize,
    rows: Vec<Row2>,
    subtotal: String,
}

#[derive(Serialize)]
struct Row2 {
    no: usize,
    permasalahan: String,
    program: String,
    kegiatan: String,
    lokasi: String,
    volume: String,
    satuan: String,
    anggaran: String,
    skpd: String,
}

#[derive(Serialize)]
struct Row3 {
    no: usize,
    kegiatan: String,
    lokasi: String,
    volume: String,
    alasan: String,
}

fn rp(amount: i64) -> String {
    Rupiah::new(amount).map_or_else(|| amount.to_string(), |r| r.to_string())
}

const DOTS: &str = "…………";

fn or_dots(s: &str) -> String {
    if s.trim().is_empty() {
        DOTS.to_owned()
    } else {
        s.to_owned()
    }
}

fn pembukaan(src: &FormSource) -> Pembukaan {
    let forum = &src.forum;
    let (Some(first), last) = (forum.tanggal_mulai, forum.tanggal_selesai) else {
        return Pembukaan {
            hari: DOTS.into(),
            tanggal_mulai: DOTS.into(),
            tanggal_selesai: String::new(),
            bulan: DOTS.into(),
            tahun: DOTS.into(),
            tempat: or_dots(&forum.tempat),
            jam: or_dots(&forum.jam),
            hari_tanggal: DOTS.into(),
        };
    };
    let last = last.filter(|l| *l > first);
    let bulan = |d: chrono::NaiveDate| super::BULAN[d.month0() as usize % 12].to_owned();
    let (tanggal_mulai, tanggal_selesai, hari_tanggal) = match last {
        None => (
            first.day().to_string(),
            String::new(),
            format!("{}, {}", hari(first), tanggal_of_date(first)),
        ),
        Some(l) if l.month() == first.month() && l.year() == first.year() => (
            first.day().to_string(),
            l.day().to_string(),
            format!(
                "{} s.d. {}, {} s.d. {}",
                hari(first),
                hari(l),
                first.day(),
                tanggal_of_date(l)
            ),
        ),
        Some(l) => (
            format!("{} {}", first.day(), bulan(first)),
            l.day().to_string(),
            format!(
                "{} s.d. {}, {} s.d. {}",
                hari(first),
                hari(l),
                tanggal_of_date(first),
                tanggal_of_date(l)
            ),
        ),
    };
    let end = last.unwrap_or(first);
    Pembukaan {
        hari: hari(first).to_owned(),
        tanggal_mulai,
        tanggal_selesai,
        bulan: bulan(end),
        tahun: end.year().to_string(),
        tempat: or_dots(&forum.tempat),
        jam: or_dots(&forum.jam),
        hari_tanggal,
    }
}

fn ttd(s: &Signatures) -> Ttd {
    let name = |n: &str| {
        if n.trim().is_empty() {
            "………………………………".to_owned()
        } else {
            n.to_owned()
        }
    };
    Ttd {
        head_title: s.head_title.clone(),
        head_nama: name(&s.head.nama),
        head_nip: s.head.nip.clone(),
        camat_title: s.camat_title.clone(),
        camat_nama: name(&s.camat.nama),
        camat_nip: s.camat.nip.clone(),
        ditetapkan_di: s.ditetapkan_di.clone(),
    }
}

fn lampiran2_data(src: &FormSource) -> Lampiran2 {
    let rows2 = lampiran2(&src.items, &src.forum.prioritas);
    let (_, total) = totals(&rows2);
    // Rows come grouped (lampiran2 sorts them): one group per run of the same SKPD.
    let mut groups: Vec<(Group, i64)> = Vec::new();
    for r in rows2 {
        if groups.last().is_none_or(|(g, _)| g.skpd != r.skpd) {
            groups.push((
                Group {
                    skpd: r.skpd.clone(),
                    ranked: 0,
                    rows: Vec::new(),
                    subtotal: String::new(),
                },
                0,
            ));
        }
        if let Some((g, sum)) = groups.last_mut() {
            *sum += r.anggaran;
            if r.rank.is_some() {
                g.ranked += 1;
            }
            g.rows.push(Row2 {
                no: r.no,
                permasalahan: r.permasalahan,
                program: r.program,
                kegiatan: r.usulan,
                lokasi: r.lokasi,
                volume: volume_id(r.volume),
                satuan: r.satuan,
                anggaran: rp(r.anggaran),
                skpd: r.skpd,
            });
        }
    }
    Lampiran2 {
        groups: groups
            .into_iter()
            .map(|(mut g, sum)| {
                g.subtotal = rp(sum);
                g
            })
            .collect(),
        total: rp(total),
    }
}

fn data(src: &FormSource) -> Data {
    let forum = &src.forum;
    let person = |no: usize, p: &survey_schema::forum::Peserta| Person {
        no,
        nama: p.nama.clone(),
        lembaga: p.lembaga.clone(),
        alamat: p.alamat.clone(),
    };
    let mut tembusan = src.profile.tembusan.clone();
    for t in &forum.tembusan {
        if !tembusan.iter().any(|x| x.eq_ignore_ascii_case(t)) {
            tembusan.push(t.clone());
        }
    }
    Data {
        draft: src.sent.is_none(),
        kecamatan: src.kecamatan_nama.clone(),
        kota: src.kota_nama.clone(),
        kota_singkat: crate::forum::city_name(&src.kota_nama),
        tahun: src.tahun,
        nomor: or_dots(&forum.nomor),
        tanggal: or_dots(&src.tanggal_ba()),
        pembukaan: pembukaan(src),
        sambutan: forum.sambutan.iter().map(|s| s.oleh.clone()).collect(),
        paparan: forum
            .paparan
            .iter()
            .map(|p| Paparan {
                materi: p.materi.clone(),
                penyaji: p.penyaji.clone(),
            })
            .collect(),
        delegasi: forum
            .peserta
            .iter()
            .filter(|p| p.delegasi)
            .map(|p| Delegate {
                nama: p.nama.clone(),
                lembaga: p.lembaga.clone(),
            })
            .collect(),
        delegasi_tanpa_perempuan: forum.delegation_without_women(),
        perwakilan: forum
            .peserta
            .iter()
            .filter(|p| p.mewakili)
            .enumerate()
            .map(|(n, p)| person(n + 1, p))
            .collect(),
        tembusan,
        ttd: ttd(&src.signatures()),
        audit: src.sent.as_ref().map(|s| Audit {
            seq: s.audit_seq,
            hash: s.audit_hash.clone(),
            head: s
                .log_head
                .as_ref()
                .map(|(size, root, key)| format!("pohon {size} catatan, akar {root}, kunci {key}")),
        }),
        lampiran1: lampiran1(forum)
            .into_iter()
            .map(|r| Person {
                no: r.no,
                nama: r.nama,
                lembaga: r.lembaga,
                alamat: r.alamat,
            })
            .collect(),
        lampiran2: lampiran2_data(src),
        lampiran3: lampiran3(&src.items)
            .into_iter()
            .map(|r| Row3 {
                no: r.no,
                kegiatan: r.usulan,
                lokasi: r.lokasi,
                volume: volume_with_unit(r.volume, &r.satuan),
                alasan: r.alasan,
            })
            .collect(),
        kosong: BLANK_ROWS,
    }
}

fn render(template: &str, what: &str, src: &FormSource) -> anyhow::Result<Vec<u8>> {
    typeset(template, what, serde_json::to_string(&data(src))?)
}

/// A template typeset with its data; warnings logged, an error names what could not render.
fn typeset(template: &str, what: &str, json: String) -> anyhow::Result<Vec<u8>> {
    let rendered =
        super::typst_world::render(template.to_owned(), json).map_err(|e| anyhow::anyhow!(e))?;
    for w in &rendered.warnings {
        tracing::warn!(warning = %w, template = what, "form template");
    }
    tracing::debug!(pages = rendered.pages, template = what, "form rendered");
    Ok(rendered.pdf)
}

/// Form 1 with its lampiran; an error names what the template could not render (logged, never
/// sent).
pub fn berita_acara(src: &FormSource) -> anyhow::Result<Vec<u8>> {
    render(BERITA_ACARA, "berita acara", src)
}

/// The notice for the kantor kecamatan's board: per kelurahan (by name), every physical proposal
/// with what was decided and, when not agreed, the ground in words. No name, NIP, note or photo.
#[derive(Serialize)]
struct Notice {
    draft: bool,
    kecamatan: String,
    kota: String,
    tahun: i32,
    nomor: String,
    tanggal: String,
    ditetapkan_di: String,
    kelurahan: Vec<NoticeKelurahan>,
}

#[derive(Serialize)]
struct NoticeKelurahan {
    nama: String,
    agreed: usize,
    not_agreed: usize,
    rows: Vec<NoticeRow>,
}

#[derive(Serialize)]
struct NoticeRow {
    no: usize,
    usulan: String,
    lokasi: String,
    volume: String,
    agreed: bool,
    /// The guideline's ground only: the camat's note may name people, so it stays off the board.
    alasan: String,
}

fn notice(src: &FormSource) -> Notice {
    let mut kelurahan: Vec<NoticeKelurahan> = Vec::new();
    let mut items: Vec<&survey_schema::ReviewItem> = src
        .items
        .iter()
        .filter(|i| i.decision != survey_schema::DecisionStatus::Undecided)
        .collect();
    items.sort_by(|a, b| {
        a.kelurahan_nama
            .cmp(&b.kelurahan_nama)
            .then_with(|| a.id.cmp(&b.id))
    });
    for i in items {
        if kelurahan.last().is_none_or(|k| k.nama != i.kelurahan_nama) {
            kelurahan.push(NoticeKelurahan {
                nama: i.kelurahan_nama.clone(),
                agreed: 0,
                not_agreed: 0,
                rows: Vec::new(),
            });
        }
        if let Some(k) = kelurahan.last_mut() {
            let agreed = i.decision.is_agreed();
            if agreed {
                k.agreed += 1;
            } else {
                k.not_agreed += 1;
            }
            k.rows.push(NoticeRow {
                no: k.rows.len() + 1,
                usulan: i.usulan.clone(),
                lokasi: super::lokasi(i),
                volume: volume_with_unit(i.decided.volume, &i.decided.satuan),
                agreed,
                alasan: super::alasan(i.reason, None),
            });
        }
    }
    Notice {
        draft: src.sent.is_none(),
        kecamatan: src.kecamatan_nama.clone(),
        kota: src.kota_nama.clone(),
        tahun: src.tahun,
        nomor: or_dots(&src.forum.nomor),
        tanggal: or_dots(&src.tanggal_ba()),
        ditetapkan_di: src.profile.ditetapkan_di.clone(),
        kelurahan,
    }
}

/// The notice of the results for the kantor kecamatan's board (A4).
pub fn pengumuman(src: &FormSource) -> anyhow::Result<Vec<u8>> {
    typeset(
        PENGUMUMAN,
        "pengumuman",
        serde_json::to_string(&notice(src))?,
    )
}

/// Form 2 blank: the invited names pre-filled, then empty rows, to be signed at the door.
pub fn daftar_hadir(src: &FormSource) -> anyhow::Result<Vec<u8>> {
    render(DAFTAR_HADIR, "daftar hadir", src)
}

#[cfg(test)]
mod tests {
    use super::*;
    use survey_schema::forum::{
        ForumRecord, Kategori, Official, Paparan as Talk, Peserta, Sambutan,
    };

    fn source() -> FormSource {
        let kecamatan = survey_schema::WilayahKode::parse("31.71.01").unwrap();
        let kota = survey_schema::WilayahKode::parse("31.71").unwrap();
        let person = |nama: &str, lembaga: &str, kategori, mewakili, delegasi| Peserta {
            nama: nama.into(),
            lembaga: lembaga.into(),
            kategori,
            alamat: "Jl. Cideng Barat 12".into(),
            perempuan: false,
            mewakili,
            delegasi,
        };
        FormSource {
            kecamatan,
            kecamatan_nama: "Gambir".into(),
            kota_nama: "Kota Administrasi Jakarta Pusat".into(),
            tahun: 2026,
            sent: None,
            items: Vec::new(),
            forum: ForumRecord {
                nomor: "005/BA/2026".into(),
                tanggal_mulai: chrono::NaiveDate::from_ymd_opt(2026, 2, 10),
                tanggal_selesai: chrono::NaiveDate::from_ymd_opt(2026, 2, 11),
                jam: "09.00 s.d. 13.00 WIB".into(),
                tempat: "Aula Kantor Kecamatan Gambir".into(),
                camat: Official {
                    nama: "Andi Saputra".into(),
                    nip: "197001011990031001".into(),
                },
                kepala_perencanaan: Official {
                    nama: "Budi Hartono".into(),
                    nip: "196805121993031002".into(),
                },
                sambutan: vec![Sambutan {
                    oleh: "Camat Gambir".into(),
                }],
                paparan: vec![Talk {
                    materi: "Arah kebijakan".into(),
                    penyaji: "Kanppeko".into(),
                }],
                peserta: vec![
                    person("Siti", "LMK Cideng", Kategori::Lmk, true, true),
                    person("Joko", "RW 02", Kategori::Rw, true, false),
                ],
                tembusan: vec!["Walikota".into()],
                prioritas: Vec::new(),
            },
            profile: crate::forum::default_profile(&kota, "Kota Administrasi Jakarta Pusat"),
        }
    }

    #[test]
    fn every_template_renders_to_a_pdf() {
        let src = source();
        let ba = berita_acara(&src).unwrap();
        assert!(ba.starts_with(b"%PDF"));
        let dh = daftar_hadir(&src).unwrap();
        assert!(dh.starts_with(b"%PDF"));
        let notice = pengumuman(&src).unwrap();
        assert!(notice.starts_with(b"%PDF"));
        if let Ok(dir) = std::env::var("TINJAU_FORMS_OUT") {
            std::fs::write(format!("{dir}/ba.pdf"), &ba).unwrap();
            std::fs::write(format!("{dir}/dh.pdf"), &dh).unwrap();
            std::fs::write(format!("{dir}/pengumuman.pdf"), &notice).unwrap();
        }
    }

    #[test]
    fn a_forum_over_two_days_opens_with_both_dates() {
        let p = pembukaan(&source());
        assert_eq!(
            (
                p.hari.as_str(),
                p.tanggal_mulai.as_str(),
                p.tanggal_selesai.as_str(),
                p.bulan.as_str()
            ),
            ("Selasa", "10", "11", "Februari")
        );
    }
}
