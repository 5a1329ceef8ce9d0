//! The Berita Acara (Form 1) with Lampiran II and III as one A4 PDF, ready to print and sign:
//! `berita_acara.typ` filled from the form source's data (`data.json` to the template).

use serde::Serialize;
use survey_schema::{DecisionStatus, Rupiah};

use super::{FormSource, lampiran2, lampiran3, tanggal, totals, volume_id};

const TEMPLATE: &str = include_str!("berita_acara.typ");

#[derive(Serialize)]
struct Data {
    draft: bool,
    kecamatan: String,
    kota: String,
    /// Where the minutes are signed: the kota without its administrative prefix.
    tempat: String,
    tahun: i32,
    tanggal: String,
    counts: Counts,
    audit: Option<Audit>,
    signatures: Vec<Signature>,
    lampiran2: Lampiran2,
    lampiran3: Vec<Row3>,
}

#[derive(Serialize)]
struct Counts {
    total: usize,
    agreed: usize,
    not_agreed: usize,
    undecided: usize,
}

#[derive(Serialize)]
struct Audit {
    seq: i64,
    hash: String,
}

#[derive(Serialize)]
struct Signature {
    role: String,
    name: String,
}

#[derive(Serialize)]
struct Lampiran2 {
    groups: Vec<Group>,
    total: String,
}

#[derive(Serialize)]
struct Group {
    skpd: String,
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

fn data(src: &FormSource) -> Data {
    let rows2 = lampiran2(&src.items);
    let (_, total) = totals(&rows2);
    // Rows come grouped (lampiran2 sorts them): one group per run of the same SKPD.
    let mut groups: Vec<(Group, i64)> = Vec::new();
    for r in rows2 {
        if groups.last().is_none_or(|(g, _)| g.skpd != r.skpd) {
            groups.push((
                Group {
                    skpd: r.skpd.clone(),
                    rows: Vec::new(),
                    subtotal: String::new(),
                },
                0,
            ));
        }
        if let Some((g, sum)) = groups.last_mut() {
            *sum += r.anggaran;
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
    let groups: Vec<Group> = groups
        .into_iter()
        .map(|(mut g, sum)| {
            g.subtotal = rp(sum);
            g
        })
        .collect();
    let rows3 = lampiran3(&src.items)
        .into_iter()
        .map(|r| Row3 {
            no: r.no,
            kegiatan: r.usulan,
            lokasi: r.lokasi,
            volume: format!("{} {}", volume_id(r.volume), r.satuan),
            alasan: r.alasan,
        })
        .collect();
    let count = |d: DecisionStatus| src.items.iter().filter(|i| i.decision == d).count();
    let agreed = count(DecisionStatus::Approved) + count(DecisionStatus::Corrected);
    let tempat = src
        .kota_nama
        .trim_start_matches("Kota Administrasi ")
        .trim_start_matches("Kabupaten Administrasi ")
        .trim_start_matches("Kota ")
        .trim_start_matches("Kabupaten ")
        .to_owned();
    Data {
        draft: src.sent.is_none(),
        kecamatan: src.kecamatan_nama.clone(),
        kota: src.kota_nama.clone(),
        tempat,
        tahun: src.tahun,
        tanggal: tanggal(src.sent.as_ref().map_or_else(chrono::Utc::now, |s| s.at)),
        counts: Counts {
            total: src.items.len(),
            agreed,
            not_agreed: count(DecisionStatus::Rejected),
            undecided: count(DecisionStatus::Undecided),
        },
        audit: src.sent.as_ref().map(|s| Audit {
            seq: s.audit_seq,
            hash: s.audit_hash.clone(),
        }),
        signatures: vec![
            Signature {
                role: format!("Camat {}", src.kecamatan_nama),
                name: String::new(),
            },
            Signature {
                role: "Ketua Forum Musrenbang Kecamatan".into(),
                name: String::new(),
            },
            Signature {
                role: "Perwakilan Peserta Musrenbang".into(),
                name: String::new(),
            },
        ],
        lampiran2: Lampiran2 {
            groups,
            total: rp(total),
        },
        lampiran3: rows3,
    }
}

/// The PDF; an error names what the template could not render (logged, never sent).
pub fn berita_acara(src: &FormSource) -> anyhow::Result<Vec<u8>> {
    let json = serde_json::to_string(&data(src))?;
    let rendered =
        super::typst_world::render(TEMPLATE.to_owned(), json).map_err(|e| anyhow::anyhow!(e))?;
    for w in &rendered.warnings {
        tracing::warn!(warning = %w, "berita acara template");
    }
    tracing::debug!(pages = rendered.pages, "berita acara rendered");
    Ok(rendered.pdf)
}
