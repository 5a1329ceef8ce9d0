//! A HELD-OUT SYNTHETIC Renja for measuring the trilateral matching on wording it was not built
//! on. Written separately from the demo's generator (`demo_trilateral`), with its own word lists
//! and its own ways of writing a place, and never used to tune the matching: only to measure it.
//! It writes what SIPD exports (its raw field names: `kode_sub_giat`, `nama_sub_giat`,
//! `nama_paket`, `outputteks`, `targetoutput`, `satuanoutput`, `lurahteks`, `camatteks`, `pagu`)
//! the way agency planners fill it in:
//! - another verb for the same work (`Rehabilitasi` for `Perbaikan`, `Konstruksi` for `Pembangunan`,
//!   `Pelapisan Aspal` for `Pengaspalan`, `Pengadaan dan Pemasangan` for `Pemasangan`, ...);
//! - the kelurahan (sometimes the kecamatan) written into the package's name;
//! - RT/RW written many ways, or the RW alone;
//! - the street misspelt by a letter, `Jl.`/`Jalan`/`JL.`, the whole name in capitals;
//! - the kelurahan column left empty, the place only in the text;
//! - decoys: the same work on another street of the same kelurahan (matching none);
//! - standalone upkeep lines no proposal asks for.
//!
//! The planted list (`opd, row, planted, proposal_id`) has the demo's format, so `tinjau-dev demo
//! evaluate-trilateral` measures it; `scripts/heldout-trilateral` runs the whole measurement on a
//! copy of the demo database.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use sqlx::PgPool;

use tinjau_db as db;
use tinjau_workflows::trilateral::register::Register;

/// Verbs a planner writes for the proposal's verb (held-out lists, not the demo's).
const VERBS: [(&str, &[&str]); 7] = [
    ("perbaikan", &["Rehabilitasi", "Rehab", "Perbaikan"]),
    ("pembangunan", &["Pembuatan", "Konstruksi", "Pembangunan"]),
    ("pemasangan", &["Pengadaan dan Pemasangan", "Pemasangan"]),
    ("pengaspalan", &["Pelapisan Aspal", "Pengaspalan Ulang"]),
    ("betonisasi", &["Pembetonan", "Betonisasi"]),
    ("peningkatan", &["Peningkatan Kualitas", "Peningkatan"]),
    (
        "normalisasi",
        &["Pengerukan dan Normalisasi", "Normalisasi"],
    ),
];

/// Streets of the decoys: other streets of a kelurahan.
const OTHER_STREETS: [&str; 8] = [
    "Kenari",
    "Cempaka Putih",
    "Flamboyan",
    "Teratai",
    "Anggrek",
    "Bougenville",
    "Kamboja",
    "Sawo",
];

/// Upkeep lines no proposal asks for.
const UPKEEP: [(&str, &str, &str, i64); 4] = [
    (
        "Pemeliharaan Rutin Saluran Penghubung",
        "m",
        "Panjang saluran yang dipelihara",
        1_500,
    ),
    (
        "Pemeliharaan Berkala Jalan Kota",
        "m2",
        "Luas jalan yang dipelihara",
        4_000,
    ),
    (
        "Pemeliharaan Lampu PJU",
        "titik",
        "Jumlah titik yang dipelihara",
        120,
    ),
    (
        "Pembersihan Lumpur Saluran",
        "m",
        "Panjang saluran yang dibersihkan",
        2_000,
    ),
];

/// One line as written, with what it was planted as.
struct Written {
    kode: String,
    nama_sub: String,
    paket: String,
    output: String,
    target: String,
    satuan: String,
    lurah: String,
    camat: String,
    pagu: i64,
    planted: &'static str,
    proposal: Option<i64>,
}

/// The proposal's words with its verb replaced by one a planner uses.
fn reverbed(rng: &mut SmallRng, usulan: &str) -> String {
    let mut words = usulan.split_whitespace();
    let first = words.next().unwrap_or_default();
    let rest: Vec<&str> = words.collect();
    let verb = VERBS
        .iter()
        .find(|(v, _)| first.eq_ignore_ascii_case(v))
        .map_or(first, |(_, choices)| {
            choices[rng.random_range(0..choices.len())]
        });
    std::iter::once(verb)
        .chain(rest)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A street name with one letter doubled, dropped or two swapped (`Mawar` → `Mwaar`).
fn misspelt(rng: &mut SmallRng, text: &str) -> String {
    let Some(at) = text.find("Jl. ") else {
        return text.to_owned();
    };
    let start = at + 4;
    let mut chars: Vec<char> = text[start..].chars().collect();
    let word_len = chars.iter().take_while(|c| c.is_alphabetic()).count();
    if word_len < 4 {
        return text.to_owned();
    }
    let i = rng.random_range(1..word_len - 1);
    match rng.random_range(0..3_u8) {
        0 => chars.swap(i, i + 1),
        1 => {
            chars.remove(i);
        }
        _ => chars.insert(i, chars[i]),
    }
    format!(
        "{}{}",
        &text[..start],
        chars.into_iter().collect::<String>()
    )
}

/// `Jl.` as `Jalan`, `JL.` or kept.
fn street_word(rng: &mut SmallRng, text: &str) -> String {
    match rng.random_range(0..3_u8) {
        0 => text.replace("Jl. ", "Jalan "),
        1 => text.replace("Jl. ", "JL. "),
        _ => text.to_owned(),
    }
}

/// RT/RW as planners write them.
fn rt_rw(rng: &mut SmallRng, rt: Option<u32>, rw: Option<u32>) -> String {
    match (rt, rw, rng.random_range(0..5_u8)) {
        (Some(t), Some(w), 0) => format!("RT {t:03}/RW {w:03}"),
        (Some(t), Some(w), 1) => format!("RT.{t:02}/RW.{w:02}"),
        (Some(t), Some(w), 2) => format!("Rt {t} Rw {w}"),
        (_, Some(w), _) => format!("RW {w:02}"),
        _ => String::new(),
    }
}

fn number(raw: Option<&str>) -> Option<u32> {
    raw.and_then(|s| s.trim().trim_start_matches('0').parse().ok())
}

/// Writes the held-out Renja of `kota`'s approved proposals of `tahun` into `dir`: one CSV per
/// agency (`synthetic_renja_heldout_<opd>_<tahun>.csv`) and the planted list.
pub async fn generate(
    pool: &PgPool,
    dir: &Path,
    kota: &str,
    tahun: i32,
    seed: u64,
) -> anyhow::Result<(Vec<(String, PathBuf)>, PathBuf)> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let register = Register::new(db::opd::all(pool).await?);
    let proposals = db::trilateral::approved(pool, tahun, kota).await?;
    let rts: BTreeMap<i64, Option<String>> =
        sqlx::query_as::<_, (i64, Option<String>)>("SELECT id, rt FROM proposal WHERE tahun = $1")
            .bind(tahun)
            .fetch_all(pool)
            .await?
            .into_iter()
            .collect();
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut by_opd: BTreeMap<String, Vec<Written>> = BTreeMap::new();
    for p in &proposals {
        let Ok(i) = register.resolve(p.skpd_tujuan.as_deref(), p.kelurahan_kode.as_str()) else {
            continue;
        };
        let opd = register.rows[i].kode.clone();
        let rt = number(rts.get(&p.id).and_then(Option::as_deref));
        let rw = number(p.rw.as_deref());
        let work = p
            .usulan
            .split(" Jl.")
            .next()
            .unwrap_or(&p.usulan)
            .to_owned();
        let street = p
            .lokasi
            .as_deref()
            .filter(|l| l.starts_with("Jl."))
            .map_or_else(String::new, str::to_owned);
        let roll: f64 = rng.random();
        let (planted, share) = if roll < 0.4 {
            ("covered", 1.0)
        } else if roll < 0.65 {
            ("partial", rng.random_range(0.4..0.8))
        } else {
            if rng.random_bool(0.6) {
                // A decoy: the same work on another street of the same kelurahan.
                let other = OTHER_STREETS[rng.random_range(0..OTHER_STREETS.len())];
                by_opd.entry(opd).or_default().push(Written {
                    kode: "1.03.10.2.01.0099".into(),
                    nama_sub: "Pembangunan Infrastruktur Lingkungan".into(),
                    paket: format!(
                        "{} Jl. {other} {} Kel. {}",
                        reverbed(&mut rng, &work),
                        rt_rw(&mut rng, rt.map(|t| t + 3), rw.map(|w| w + 2)),
                        p.kelurahan
                    ),
                    output: "Volume pekerjaan".into(),
                    target: p.volume.normalize().to_string(),
                    satuan: p.satuan.clone(),
                    lurah: p.kelurahan.to_uppercase(),
                    camat: p.kecamatan.to_uppercase(),
                    pagu: p.rupiah,
                    planted: "standalone",
                    proposal: None,
                });
            }
            continue;
        };
        let mut paket = format!(
            "{} {} {}",
            reverbed(&mut rng, &work),
            street,
            rt_rw(&mut rng, rt, rw)
        );
        if rng.random_bool(0.5) {
            paket = misspelt(&mut rng, &paket);
        }
        paket = street_word(&mut rng, &paket);
        match rng.random_range(0..3_u8) {
            0 => paket = format!("{paket} Kel. {}", p.kelurahan),
            1 => {
                paket = format!(
                    "{paket} Kelurahan {} Kecamatan {}",
                    p.kelurahan, p.kecamatan
                );
            }
            _ => {}
        }
        if rng.random_bool(0.3) {
            paket = paket.to_uppercase();
        }
        let empty_kelurahan =
            paket.to_lowercase().contains(&p.kelurahan.to_lowercase()) && rng.random_bool(0.5);
        let volume = p.volume.to_f64().unwrap_or(0.0);
        #[allow(clippy::cast_possible_truncation)]
        let target = Decimal::from((volume * share).round().max(1.0) as i64);
        #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
        let pagu = ((p.rupiah as f64 * share) / 1000.0).round() as i64 * 1000;
        by_opd.entry(opd).or_default().push(Written {
            kode: "1.03.10.2.01.0001".into(),
            nama_sub: "Penyelenggaraan Infrastruktur Permukiman".into(),
            paket: paket.split_whitespace().collect::<Vec<_>>().join(" "),
            output: "Volume pekerjaan".into(),
            target: target.to_string(),
            satuan: p.satuan.clone(),
            lurah: if empty_kelurahan {
                String::new()
            } else {
                p.kelurahan.to_uppercase()
            },
            camat: p.kecamatan.to_uppercase(),
            pagu,
            planted,
            proposal: Some(p.id),
        });
    }
    add_upkeep(&mut by_opd);
    write_files(dir, tahun, &by_opd)
}

/// Upkeep lines no proposal asks for, in each agency's kelurahan (about one for four lines).
fn add_upkeep(by_opd: &mut BTreeMap<String, Vec<Written>>) {
    for lines in by_opd.values_mut() {
        let places: Vec<(String, String)> = lines
            .iter()
            .filter(|l| !l.lurah.is_empty())
            .map(|l| (l.lurah.clone(), l.camat.clone()))
            .collect();
        for k in 0..(lines.len() / 4).max(1) {
            let Some((lurah, camat)) = places.get(k % places.len().max(1)).cloned() else {
                break;
            };
            let (paket, satuan, output, target) = UPKEEP[k % UPKEEP.len()];
            lines.push(Written {
                kode: "1.03.04.2.01.0010".into(),
                nama_sub: "Pemeliharaan Infrastruktur".into(),
                paket: format!("{paket} Wilayah {lurah} Segmen {}", k + 1),
                output: output.into(),
                target: target.to_string(),
                satuan: satuan.into(),
                lurah,
                camat,
                pagu: target * 25_000,
                planted: "standalone",
                proposal: None,
            });
        }
    }
}

/// One CSV per agency and the planted list.
fn write_files(
    dir: &Path,
    tahun: i32,
    by_opd: &BTreeMap<String, Vec<Written>>,
) -> anyhow::Result<(Vec<(String, PathBuf)>, PathBuf)> {
    let planted_path = dir.join(format!("synthetic_renja_heldout_planted_{tahun}.csv"));
    let mut planted = csv::Writer::from_path(&planted_path)?;
    planted.write_record(["opd", "row", "planted", "proposal_id"])?;
    let mut files = Vec::new();
    for (opd, lines) in by_opd {
        let path = dir.join(format!("synthetic_renja_heldout_{opd}_{tahun}.csv"));
        let mut w = csv::Writer::from_path(&path)?;
        w.write_record([
            "kode_sub_giat",
            "nama_sub_giat",
            "nama_paket",
            "outputteks",
            "targetoutput",
            "satuanoutput",
            "lurahteks",
            "camatteks",
            "pagu",
        ])?;
        for (i, l) in lines.iter().enumerate() {
            w.write_record([
                l.kode.as_str(),
                &l.nama_sub,
                &l.paket,
                &l.output,
                &l.target,
                &l.satuan,
                &l.lurah,
                &l.camat,
                &l.pagu.to_string(),
            ])?;
            planted.write_record([
                opd.clone(),
                (i + 2).to_string(),
                l.planted.to_owned(),
                l.proposal.map(|p| p.to_string()).unwrap_or_default(),
            ])?;
        }
        w.flush()?;
        files.push((opd.clone(), path));
    }
    planted.flush()?;
    Ok((files, planted_path))
}
