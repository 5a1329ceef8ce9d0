//! SYNTHETIC Renja for the demo's trilateral desk. No agency's Renja with kelurahan-level lines is
//! public, so the demo writes one per agency from the demo's approved proposals, planting what a
//! desk meets: lines that already cover a proposal (the same work, worded the agency's way, some
//! with a point near the pin or the kelurahan in an old spelling), lines that cover it partly
//! (a smaller target and pagu), proposals with no line, and lines no proposal asks for. The planted
//! list is written beside them so that `tinjau demo evaluate-trilateral` measures the matching.
//!
//! The demo camat's approvals that give the desk its proposals go through the real decision
//! workflow (audited, as `demo.camat`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use sqlx::PgPool;
use survey_schema::{DecisionRequest, Role, WilayahKode};

use tinjau_db as db;
use tinjau_http::auth::CurrentUser;
use tinjau_workflows::trilateral::register::Register;

/// SYNTHETIC sub-kegiatan (the nomenclature's shape, not its real codes) by catalogue activity.
const SUB_KEGIATAN: [(&str, &str, &str, &str); 6] = [
    (
        "paving_block",
        "1.03.10.2.01.0021",
        "Pembangunan Jalan Lingkungan",
        "Luas jalan lingkungan yang dibangun",
    ),
    (
        "betonisasi_jalan",
        "1.03.10.2.01.0022",
        "Peningkatan Jalan Lingkungan",
        "Luas jalan yang ditingkatkan",
    ),
    (
        "saluran_drainase",
        "1.03.04.2.01.0031",
        "Pembangunan Sistem Drainase Lingkungan",
        "Panjang saluran yang dibangun",
    ),
    (
        "u_ditch",
        "1.03.04.2.01.0032",
        "Pembangunan Saluran U-Ditch",
        "Panjang saluran yang dibangun",
    ),
    (
        "pju",
        "1.03.10.2.02.0011",
        "Penyediaan Penerangan Jalan Umum",
        "Jumlah titik PJU yang terpasang",
    ),
    (
        "trotoar",
        "1.03.10.2.01.0041",
        "Pembangunan Trotoar",
        "Luas trotoar yang dibangun",
    ),
];

/// Lines no proposal asks for.
const STANDALONE: [(&str, &str, &str, &str, i64, i64); 3] = [
    (
        "1.03.10.2.01.0051",
        "Pemeliharaan Rutin Jalan",
        "Pemeliharaan rutin jalan kota",
        "m2",
        2_000,
        900_000_000,
    ),
    (
        "1.03.04.2.01.0061",
        "Normalisasi Saluran Penghubung",
        "Normalisasi saluran penghubung kali",
        "m",
        600,
        1_250_000_000,
    ),
    (
        "1.03.10.2.02.0021",
        "Pemeliharaan Penerangan Jalan Umum",
        "Penggantian lampu PJU LED",
        "unit",
        120,
        480_000_000,
    ),
];

/// Streets of the decoy lines (not among the demo proposals' streets).
const DECOY_STREETS: [&str; 6] = [
    "Kramat Sentiong",
    "Percetakan Negara",
    "Paseban Raya",
    "Salemba Tengah",
    "Kalibaru Timur",
    "Bungur Besar",
];

/// What was written.
#[derive(Debug)]
pub struct Written {
    /// The Renja files, one per agency: (agency kode, path).
    pub files: Vec<(String, PathBuf)>,
    pub planted: PathBuf,
    pub approved: usize,
}

/// Approves, as the demo's camat, every undecided physical SYNTHETIC demo proposal (imported from
/// `synthetic_usulan_*`) of `kota` and `tahun` outside `keep_undecided` (a kecamatan left for the
/// camat's own review).
pub async fn approve(
    pool: &PgPool,
    kota: &str,
    tahun: i32,
    keep_undecided: &str,
) -> anyhow::Result<usize> {
    let rows: Vec<(i64, i32, String)> = sqlx::query_as(
        "SELECT id, version, kecamatan_kode FROM proposal
          WHERE tahun = $1 AND decision_status = 'undecided' AND activity_code IS NOT NULL
            -- Only the demo's own SYNTHETIC proposals, never real ones in the same database.
            AND source LIKE 'synthetic_usulan_%'
            AND kelurahan_kode >= ($2 || '.') AND kelurahan_kode < ($2 || '/')
            AND kecamatan_kode <> $3
          ORDER BY id",
    )
    .bind(tahun)
    .bind(kota)
    .bind(keep_undecided)
    .fetch_all(pool)
    .await?;
    let mut approved = 0;
    for (id, version, kecamatan) in rows {
        let camat = CurrentUser {
            id: None,
            name: "demo.camat".into(),
            role: Role::Camat,
            scope: Some(WilayahKode::parse(&kecamatan)?),
            request_id: None,
        };
        let request = DecisionRequest::Approve {
            note: Some("SYNTHETIC demo: disetujui untuk desk trilateral".into()),
        };
        // A list already sent (Kirim) refuses: it keeps its decisions.
        if tinjau_workflows::review::decision::decide(
            pool,
            &camat,
            id,
            uuid::Uuid::new_v4(),
            &tinjau_domain::Seen::version(version),
            &request,
        )
        .await
        .is_ok()
        {
            approved += 1;
        }
    }
    Ok(approved)
}

/// One SYNTHETIC Renja line, with what it was planted as.
struct Line {
    kode: &'static str,
    nama: &'static str,
    uraian: String,
    indikator: &'static str,
    target: Decimal,
    satuan: String,
    kelurahan: String,
    kecamatan: String,
    point: Option<(f64, f64)>,
    pagu: i64,
    /// `covered`, `partial` or `standalone`; the proposal for the first two.
    planted: &'static str,
    proposal: Option<i64>,
}

/// The agency's way of writing a proposal's work: another verb, streets spelt out, RW padded.
fn reworded(rng: &mut SmallRng, usulan: &str, lokasi: Option<&str>, rw: Option<&str>) -> String {
    let mut text = match rng.random_range(0..3) {
        0 => usulan.to_owned(),
        1 => usulan
            .replacen("Pemasangan", "Pekerjaan pemasangan", 1)
            .replacen("Perbaikan", "Rehabilitasi", 1),
        _ => usulan.replacen("Pembangunan", "Pembuatan", 1).replacen(
            "Penggantian",
            "Penggantian dan perbaikan",
            1,
        ),
    };
    if let Some(l) = lokasi {
        let l = if rng.random_bool(0.5) {
            l.replace("Jl.", "Jalan").replace("Gg.", "Gang")
        } else {
            l.to_owned()
        };
        let _ = write!(text, " {l}");
    }
    if let Some(rw) = rw.filter(|_| rng.random_bool(0.5)) {
        let _ = write!(text, " RW {rw:0>3}");
    }
    text
}

/// The kelurahan as a Renja file may write it: as is, in capitals with `Kel.`, or in the old
/// spelling (tj for c, dj for j, oe for u).
fn spelled(rng: &mut SmallRng, nama: &str) -> String {
    match rng.random_range(0..6) {
        0 => format!("KEL. {}", nama.to_uppercase()),
        1 => nama
            .replace('c', "tj")
            .replace('C', "Tj")
            .replace('u', "oe"),
        _ => nama.to_owned(),
    }
}

/// Writes the SYNTHETIC Renja files and the planted list from the approved proposals of `kota`.
#[allow(clippy::too_many_lines, reason = "one generator, read top to bottom")]
pub async fn generate(
    pool: &PgPool,
    dir: &Path,
    kota: &str,
    tahun: i32,
    seed: u64,
) -> anyhow::Result<Written> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let register = Register::new(db::opd::all(pool).await?);
    anyhow::ensure!(
        !register.rows.is_empty(),
        "the agency register is empty: tinjau import opd data/opd/dki_opd.csv"
    );
    let proposals = db::trilateral::approved(pool, tahun, kota).await?;
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut by_opd: BTreeMap<String, Vec<Line>> = BTreeMap::new();
    let mut kelurahan_of_opd: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for p in &proposals {
        let Ok(i) = register.resolve(p.skpd_tujuan.as_deref(), p.kelurahan_kode.as_str()) else {
            continue;
        };
        let opd = register.rows[i].kode.clone();
        kelurahan_of_opd
            .entry(opd.clone())
            .or_default()
            .push((p.kelurahan.clone(), p.kecamatan.clone()));
        let Some((_, kode, nama, indikator)) = SUB_KEGIATAN
            .iter()
            .find(|(a, _, _, _)| Some(*a) == p.activity_code.as_deref())
        else {
            continue;
        };
        let roll: f64 = rng.random();
        let (planted, share) = if roll < 0.35 {
            ("covered", 1.0 + f64::from(rng.random_range(0..3_u8)) * 0.05)
        } else if roll < 0.60 {
            ("partial", rng.random_range(0.5..0.85))
        } else {
            // Not planned. For half of these the agency plans the same work on another street of
            // the same kelurahan: a decoy the matching must not take for this proposal.
            if rng.random_bool(0.5) {
                let street = DECOY_STREETS[rng.random_range(0..DECOY_STREETS.len())];
                let work = p.usulan.split(" Jl.").next().unwrap_or(&p.usulan);
                by_opd.entry(opd).or_default().push(Line {
                    kode,
                    nama,
                    uraian: format!("{work} Jl. {street} RW {:0>2}", rng.random_range(1..15)),
                    indikator,
                    target: p.volume,
                    satuan: p.satuan.clone(),
                    kelurahan: p.kelurahan.clone(),
                    kecamatan: p.kecamatan.clone(),
                    point: None,
                    pagu: p.rupiah,
                    planted: "standalone",
                    proposal: None,
                });
            }
            continue;
        };
        let volume = p.volume.to_f64().unwrap_or(0.0);
        #[allow(clippy::cast_possible_truncation)]
        let target = Decimal::from((volume * share).round().max(1.0) as i64);
        #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
        let pagu = ((p.rupiah as f64 * share) / 1000.0).round() as i64 * 1000;
        let point = p
            .lon
            .zip(p.lat)
            .filter(|_| rng.random_bool(0.4))
            .map(|(lon, lat)| {
                (
                    lon + rng.random_range(-0.0008..0.0008),
                    lat + rng.random_range(-0.0008..0.0008),
                )
            });
        by_opd.entry(opd).or_default().push(Line {
            kode,
            nama,
            uraian: reworded(&mut rng, &p.usulan, p.lokasi.as_deref(), p.rw.as_deref()),
            indikator,
            target,
            satuan: p.satuan.clone(),
            kelurahan: spelled(&mut rng, &p.kelurahan),
            kecamatan: p.kecamatan.clone(),
            point,
            pagu,
            planted,
            proposal: Some(p.id),
        });
    }
    // Lines that stand alone: about one in six of each agency's, in its kelurahan.
    for (opd, places) in &kelurahan_of_opd {
        let lines = by_opd.entry(opd.clone()).or_default();
        let n = (lines.len() / 5).max(2);
        for k in 0..n {
            let (kode, nama, uraian, satuan, target, pagu) = STANDALONE[k % STANDALONE.len()];
            let (kelurahan, kecamatan) = &places[rng.random_range(0..places.len())];
            lines.push(Line {
                kode,
                nama,
                uraian: format!("{uraian} segmen {}", k + 1),
                indikator: "Panjang/luas yang dipelihara",
                target: Decimal::from(target),
                satuan: satuan.to_owned(),
                kelurahan: kelurahan.clone(),
                kecamatan: kecamatan.clone(),
                point: None,
                pagu,
                planted: "standalone",
                proposal: None,
            });
        }
    }

    let planted_path = dir.join(format!("synthetic_renja_planted_{tahun}.csv"));
    let mut planted = csv::Writer::from_path(&planted_path)?;
    planted.write_record(["opd", "row", "planted", "proposal_id"])?;
    let mut files = Vec::new();
    for (opd, lines) in &by_opd {
        let path = dir.join(format!("synthetic_renja_{opd}_{tahun}.csv"));
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .flexible(true)
            .from_path(&path)?;
        // A title block, as agencies' exports have; the header is on row 4.
        w.write_record([format!(
            "RENJA {} TAHUN {tahun} (SYNTHETIC DEMO DATA)",
            opd.to_uppercase()
        )])?;
        w.write_record(["Dibuat oleh tinjau demo trilateral; bukan data resmi"])?;
        w.write_record([""])?;
        w.write_record([
            "Kode Sub Kegiatan",
            "Nama Sub Kegiatan",
            "Uraian",
            "Indikator",
            "Target",
            "Satuan",
            "Lokasi",
            "Latitude",
            "Longitude",
            "Pagu Indikatif (Rp)",
            "Sumber Dana",
        ])?;
        for (i, l) in lines.iter().enumerate() {
            let (lat, lon) = l
                .point
                .map(|(lon, lat)| (format!("{lat:.6}"), format!("{lon:.6}")))
                .unwrap_or_default();
            w.write_record([
                l.kode.to_owned(),
                l.nama.to_owned(),
                l.uraian.clone(),
                l.indikator.to_owned(),
                l.target.to_string(),
                l.satuan.clone(),
                format!("Kel. {}, Kec. {}", l.kelurahan, l.kecamatan),
                lat,
                lon,
                tinjau_http::web::i18n::rupiah(l.pagu),
                "APBD".to_owned(),
            ])?;
            planted.write_record([
                opd.clone(),
                (i + 5).to_string(),
                l.planted.to_owned(),
                l.proposal.map(|p| p.to_string()).unwrap_or_default(),
            ])?;
        }
        w.flush()?;
        files.push((opd.clone(), path));
    }
    planted.flush()?;
    Ok(Written {
        files,
        planted: planted_path,
        approved: proposals.len(),
    })
}

/// How well the matching found what was planted.
#[derive(Debug, Default)]
pub struct TrilateralEvaluation {
    /// Planted proposal–line pairs, pairs the desk matched, and those among them planted.
    pub planted_pairs: usize,
    pub matched_pairs: usize,
    pub correct_pairs: usize,
    /// Planted status → computed status → count.
    pub statuses: BTreeMap<String, BTreeMap<String, usize>>,
    pub standalone_planted: usize,
    pub standalone_unmatched: usize,
}

impl TrilateralEvaluation {
    #[allow(clippy::cast_precision_loss, reason = "counts")]
    pub fn precision(&self) -> f64 {
        self.correct_pairs as f64 / self.matched_pairs.max(1) as f64
    }

    #[allow(clippy::cast_precision_loss, reason = "counts")]
    pub fn recall(&self) -> f64 {
        self.correct_pairs as f64 / self.planted_pairs.max(1) as f64
    }
}

/// Compares the desk of `kota` with the planted list (lines by agency and file row).
pub async fn evaluate(
    pool: &PgPool,
    kota: &str,
    tahun: i32,
    planted_file: &Path,
) -> anyhow::Result<TrilateralEvaluation> {
    let mut planted_line: BTreeMap<(String, i32), (String, Option<i64>)> = BTreeMap::new();
    let mut reader = csv::Reader::from_path(planted_file)
        .with_context(|| format!("reading {}", planted_file.display()))?;
    for record in reader.records() {
        let r = record?;
        let row: i32 = r.get(1).unwrap_or_default().parse()?;
        let proposal = r
            .get(3)
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .transpose()?;
        planted_line.insert(
            (r.get(0).unwrap_or_default().to_owned(), row),
            (r.get(2).unwrap_or_default().to_owned(), proposal),
        );
    }
    let lines: Vec<(i64, String, i32)> = sqlx::query_as(
        "SELECT r.id, o.kode, r.source_row FROM renja_item r JOIN opd o ON o.id = r.opd_id
          WHERE r.tahun = $1 AND r.source LIKE 'synthetic_renja_%'",
    )
    .bind(tahun)
    .fetch_all(pool)
    .await?;
    let line_key: BTreeMap<i64, (String, i32)> = lines
        .into_iter()
        .map(|(id, o, row)| (id, (o, row)))
        .collect();
    let planted_for: BTreeMap<i64, (&str, (String, i32))> = planted_line
        .iter()
        .filter_map(|(key, (kind, p))| p.map(|p| (p, (kind.as_str(), key.clone()))))
        .collect();
    let desk = tinjau_workflows::trilateral::desk(
        pool,
        &CurrentUser::cli(),
        &tinjau_workflows::trilateral::DeskQuery {
            tahun,
            kota: Some(WilayahKode::parse(kota)?),
            ..tinjau_workflows::trilateral::DeskQuery::default()
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut eval = TrilateralEvaluation {
        planted_pairs: planted_for.len(),
        ..TrilateralEvaluation::default()
    };
    for row in &desk.rows {
        let planted = planted_for.get(&row.proposal.id);
        let expected = planted.map_or("not_planned", |(kind, _)| kind);
        *eval
            .statuses
            .entry(expected.to_owned())
            .or_default()
            .entry(row.status.clone())
            .or_default() += 1;
        if let Some(line) = &row.renja {
            eval.matched_pairs += 1;
            if planted.is_some_and(|(_, key)| line_key.get(&line.id) == Some(key)) {
                eval.correct_pairs += 1;
            }
        }
    }
    eval.standalone_planted = planted_line
        .values()
        .filter(|(kind, _)| kind == "standalone")
        .count();
    eval.standalone_unmatched = desk
        .unmatched_renja
        .iter()
        .filter(|l| {
            line_key
                .get(&l.id)
                .and_then(|k| planted_line.get(k))
                .is_some_and(|(kind, _)| kind == "standalone")
        })
        .count();
    Ok(eval)
}
