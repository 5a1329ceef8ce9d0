//! SYNTHETIC demo proposals. No real proposal set with map pins is public, so the demo makes one:
//! seeded, over the real Jakarta kelurahan, with the catalogue's activities, real unit variants, budgets
//! around the imported standard prices, and a known share of planted anomalies whose list is written
//! beside it, so that `tinjau demo evaluate` can measure precision and recall of the checks.
//!
//! Files written (all marked synthetic in their name):
//! - `synthetic_usulan_<tahun-1>.csv`: an earlier year, mostly approved (`disetujui`);
//! - `synthetic_usulan_<tahun>.csv`: the year under review, Form 3 columns plus kelurahan code, RW,
//!   RT and the map pin;
//! - `synthetic_planted_<tahun>.csv`: `no,planted` — which rows carry which planted anomaly.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::Context;
use geo_rules::BoundaryIndex;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sqlx::PgPool;
use survey_schema::{Wgs84Point, WilayahKode};

use tinjau_db as db;

/// A kind of planted anomaly and the anomaly code that should find it.
pub const PLANTED: [(&str, &str); 6] = [
    ("cost_above", "COST_ABOVE_STANDARD"),
    ("cost_below", "COST_BELOW_STANDARD"),
    ("volume", "VOLUME_IMPLAUSIBLE"),
    ("location", "LOCATION_OTHER_KELURAHAN"),
    ("duplicate", "DUPLICATE_NEARBY"),
    ("done_before", "DONE_BEFORE"),
];

/// How much to generate.
#[derive(Debug, Clone)]
pub struct DemoSpec {
    pub tahun: i32,
    pub count: usize,
    pub earlier_count: usize,
    pub seed: u64,
    /// Share of the year's proposals that carry a planted anomaly (split evenly between the kinds).
    pub planted_share: f64,
}

const STREETS: [&str; 24] = [
    "Mawar",
    "Melati",
    "Kenanga",
    "Anggrek",
    "Flamboyan",
    "Cempaka",
    "Dahlia",
    "Kamboja",
    "Teratai",
    "Seroja",
    "Nusa Indah",
    "Bougenville",
    "Bacang",
    "Duku",
    "Rambutan",
    "Manggis",
    "Salak",
    "Kelapa",
    "Jati",
    "Mahoni",
    "Cendana",
    "Beringin",
    "Asem",
    "Waru",
];

/// (catalogue code, weight, verbs, activity words, unit spellings, SKPD, fallback cost per unit).
type Template = (
    &'static str,
    u32,
    &'static [&'static str],
    &'static str,
    &'static [&'static str],
    &'static str,
    i64,
);

const TEMPLATES: [Template; 11] = [
    (
        "paving_block",
        24,
        &["Pemasangan", "Perbaikan", "Penggantian"],
        "paving block",
        &["M2", "m2", "m²", "meter persegi"],
        "Suku Dinas Bina Marga",
        160_000,
    ),
    (
        "saluran_drainase",
        18,
        &["Pembangunan", "Perbaikan", "Normalisasi"],
        "saluran drainase",
        &["M", "M1", "m'", "meter"],
        "Suku Dinas Sumber Daya Air",
        850_000,
    ),
    (
        "u_ditch",
        10,
        &["Pemasangan", "Pembangunan"],
        "saluran U-Ditch",
        &["M1", "m'", "meter lari"],
        "Suku Dinas Sumber Daya Air",
        850_000,
    ),
    (
        "betonisasi_jalan",
        10,
        &["Betonisasi", "Rabat beton"],
        "jalan lingkungan",
        &["M2", "m2"],
        "Suku Dinas Bina Marga",
        300_000,
    ),
    (
        "aspal_jalan",
        7,
        &["Pengaspalan", "Perbaikan aspal"],
        "jalan lingkungan",
        &["M2", "m2"],
        "Suku Dinas Bina Marga",
        290_000,
    ),
    (
        "pju",
        8,
        &["Pemasangan", "Penambahan"],
        "lampu PJU",
        &["titik", "unit", "Bh"],
        "Suku Dinas Bina Marga",
        5_800_000,
    ),
    (
        "box_culvert",
        5,
        &["Pemasangan", "Pembangunan"],
        "box culvert",
        &["M1", "m"],
        "Suku Dinas Sumber Daya Air",
        4_500_000,
    ),
    (
        "turap",
        5,
        &["Pembangunan", "Perbaikan"],
        "turap kali",
        &["M", "m'"],
        "Suku Dinas Sumber Daya Air",
        730_000,
    ),
    (
        "trotoar",
        5,
        &["Pembangunan", "Perbaikan"],
        "trotoar",
        &["M2", "m2"],
        "Suku Dinas Bina Marga",
        190_000,
    ),
    (
        "jembatan",
        2,
        &["Pembangunan", "Rehabilitasi"],
        "jembatan penyeberangan orang",
        &["M", "meter"],
        "Suku Dinas Bina Marga",
        15_000_000,
    ),
    (
        "",
        6,
        &["Pelatihan", "Penyuluhan"],
        "keterampilan warga",
        &["paket", "Paket"],
        "Suku Dinas PPKUKM",
        15_000_000,
    ),
];

/// One generated proposal.
#[derive(Debug, Clone)]
struct Row {
    no: usize,
    kelurahan: String,
    rw: u32,
    rt: u32,
    usulan: String,
    lokasi: String,
    volume: f64,
    satuan: String,
    anggaran: i64,
    skpd: String,
    status: &'static str,
    pin: [f64; 2],
    activity: &'static str,
    planted: Option<&'static str>,
}

fn pick<'a, T>(rng: &mut SmallRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// A point at least 30 m inside the kelurahan (rejection sampling over its bounding box).
fn point_inside(index: &BoundaryIndex, kode: &WilayahKode, rng: &mut SmallRng) -> Option<[f64; 2]> {
    let region = index.region(kode)?;
    let [x0, y0, x1, y1] = region.bbox;
    for _ in 0..400 {
        let p = [rng.random_range(x0..x1), rng.random_range(y0..y1)];
        let point = Wgs84Point::parse(p[0], p[1]).ok()?;
        let v = index
            .locate(point, 0.0, Some(kode), &geo_rules::LocateConfig::default())
            .ok()?;
        if v.status == survey_schema::LocationStatus::Inside
            && v.distance_m.is_some_and(|d| d > 30.0)
        {
            return Some(p);
        }
    }
    None
}

/// Keeps clean pins of the same activity more than 120 m apart, so that only planted rows are
/// "the same work at the same place".
#[derive(Default)]
struct Spacing {
    taken: HashMap<(&'static str, i64, i64), Vec<[f64; 2]>>,
}

impl Spacing {
    const CELL: f64 = 0.002;

    fn key(activity: &'static str, p: [f64; 2]) -> (&'static str, i64, i64) {
        #[allow(clippy::cast_possible_truncation)]
        (
            activity,
            (p[0] / Self::CELL).floor() as i64,
            (p[1] / Self::CELL).floor() as i64,
        )
    }

    fn is_free(&self, activity: &'static str, p: [f64; 2]) -> bool {
        let (a, cx, cy) = Self::key(activity, p);
        (-1..=1).all(|dx| {
            (-1..=1).all(|dy| {
                self.taken.get(&(a, cx + dx, cy + dy)).is_none_or(|pins| {
                    pins.iter()
                        .all(|q| geo_rules::metric::geodesic_m(p, *q) > 120.0)
                })
            })
        })
    }

    fn take(&mut self, activity: &'static str, p: [f64; 2]) {
        self.taken
            .entry(Self::key(activity, p))
            .or_default()
            .push(p);
    }
}

/// Generates both years and the planted list into `dir`; returns the three paths.
pub async fn generate(
    pool: &PgPool,
    boundaries: &BoundaryIndex,
    dir: &Path,
    spec: &DemoSpec,
) -> anyhow::Result<[PathBuf; 3]> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut rng = SmallRng::seed_from_u64(spec.seed);
    let kelurahan: Vec<WilayahKode> = boundaries
        .regions()
        .iter()
        .map(|r| r.kode.clone())
        // Kepulauan Seribu's islands are tiny: keep the demo on the mainland.
        .filter(|k| !k.as_str().starts_with("31.01"))
        .collect();
    anyhow::ensure!(
        !kelurahan.is_empty(),
        "no kelurahan boundaries: import them first"
    );
    let unit_cost = standard_costs(pool, spec.tahun).await?;
    let mut spacing = Spacing::default();

    let earlier: Vec<Row> = (0..spec.earlier_count)
        .filter_map(|i| {
            let mut row = clean_row(
                &mut rng,
                boundaries,
                &kelurahan,
                &unit_cost,
                &mut spacing,
                i + 1,
            )?;
            row.status = if rng.random_bool(0.75) {
                "disetujui"
            } else {
                "ditolak"
            };
            Some(row)
        })
        .collect();

    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let per_kind =
        ((spec.count as f64 * spec.planted_share) / PLANTED.len() as f64).round() as usize;
    let mut rows: Vec<Row> = Vec::with_capacity(spec.count);
    while rows.len() < spec.count {
        if let Some(row) = clean_row(
            &mut rng,
            boundaries,
            &kelurahan,
            &unit_cost,
            &mut spacing,
            rows.len() + 1,
        ) {
            rows.push(row);
        }
    }
    plant(
        &mut rng, &mut rows, &earlier, boundaries, &kelurahan, per_kind,
    );

    let earlier_path = dir.join(format!("synthetic_usulan_{}.csv", spec.tahun - 1));
    let current_path = dir.join(format!("synthetic_usulan_{}.csv", spec.tahun));
    let planted_path = dir.join(format!("synthetic_planted_{}.csv", spec.tahun));
    write_rows(&earlier_path, &earlier)?;
    write_rows(&current_path, &rows)?;
    let mut planted = csv::Writer::from_path(&planted_path)?;
    planted.write_record(["no", "planted"])?;
    for row in &rows {
        if let Some(kind) = row.planted {
            planted.write_record([row.no.to_string(), kind.to_owned()])?;
        }
    }
    planted.flush()?;
    Ok([earlier_path, current_path, planted_path])
}

/// Rupiah per unit of each catalogue activity for Jakarta, from the imported standards (the
/// template's own figure when the catalogue has no price for it).
async fn standard_costs(pool: &PgPool, tahun: i32) -> anyhow::Result<HashMap<&'static str, f64>> {
    let catalogue = db::activity::all(pool).await?;
    let jakarta_pusat = WilayahKode::parse("31.71")?;
    let mut out = HashMap::new();
    for (code, _, _, _, _, _, fallback) in TEMPLATES {
        let row = catalogue.iter().find(|r| r.code == code);
        let mut cost = fallback as f64;
        if let Some(row) = row
            && let (Some(pattern), Some(unit)) = (&row.price_pattern, &row.price_unit)
            && let Some(found) =
                db::price::standard_price(pool, pattern, unit, &jakarta_pusat, tahun).await?
        {
            use rust_decimal::prelude::ToPrimitive;
            cost = found.harga as f64 * row.work_factor.to_f64().unwrap_or(1.0);
        }
        out.insert(code, cost);
    }
    Ok(out)
}

fn clean_row(
    rng: &mut SmallRng,
    index: &BoundaryIndex,
    kelurahan: &[WilayahKode],
    unit_cost: &HashMap<&'static str, f64>,
    spacing: &mut Spacing,
    no: usize,
) -> Option<Row> {
    let total: u32 = TEMPLATES.iter().map(|t| t.1).sum();
    let mut draw = rng.random_range(0..total);
    let template = TEMPLATES.iter().find(|t| {
        if draw < t.1 {
            true
        } else {
            draw -= t.1;
            false
        }
    })?;
    let (activity, _, verbs, words, units, skpd, _) = *template;
    let kode = pick(rng, kelurahan).clone();
    let pin = point_inside(index, &kode, rng)?;
    if !spacing.is_free(activity, pin) {
        return None;
    }
    spacing.take(activity, pin);
    let (min, max) = volume_range(activity);
    // Log-uniform between 1.5x the minimum and 0.6x the maximum for one RW.
    let volume = if activity.is_empty() {
        1.0
    } else {
        rng.random_range((min * 1.5).ln()..(max * 0.6).ln())
            .exp()
            .round()
            .max(1.0)
    };
    let cost =
        unit_cost.get(activity).copied().unwrap_or(1_000_000.0) * rng.random_range(0.85..1.18);
    let (rw, rt) = (rng.random_range(1..=12), rng.random_range(1..=15));
    let street = pick(rng, &STREETS);
    Some(Row {
        no,
        kelurahan: kode.to_string(),
        rw,
        rt,
        usulan: format!(
            "{} {words} Jl. {street} RT {rt:03}/RW {rw:03}",
            pick(rng, verbs)
        ),
        lokasi: format!("Jl. {street} No. {}", rng.random_range(1..=120)),
        volume,
        satuan: (*pick(rng, units)).to_owned(),
        anggaran: round_thousands(volume * cost),
        skpd: skpd.to_owned(),
        status: "usulan",
        pin,
        activity,
        planted: None,
    })
}

/// The catalogue's default plausible range per RW (for the non-physical template: 1 package).
fn volume_range(activity: &str) -> (f64, f64) {
    match activity {
        "paving_block" | "trotoar" => (20.0, 1500.0),
        "betonisasi_jalan" => (20.0, 2000.0),
        "aspal_jalan" => (50.0, 3000.0),
        "saluran_drainase" => (10.0, 1000.0),
        "u_ditch" => (10.0, 800.0),
        "box_culvert" => (2.0, 60.0),
        "turap" => (5.0, 300.0),
        "jembatan" => (2.0, 30.0),
        "pju" => (1.0, 40.0),
        _ => (1.0, 2.0),
    }
}

#[allow(clippy::cast_possible_truncation)]
fn round_thousands(rupiah: f64) -> i64 {
    ((rupiah / 1000.0).round() * 1000.0) as i64
}

fn plant(
    rng: &mut SmallRng,
    rows: &mut [Row],
    earlier: &[Row],
    index: &BoundaryIndex,
    kelurahan: &[WilayahKode],
    per_kind: usize,
) {
    let physical: Vec<usize> = (0..rows.len())
        .filter(|&i| !rows[i].activity.is_empty())
        .collect();
    let mut order = physical.clone();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.random_range(0..=i));
    }
    let mut next = order.into_iter();
    let mut approved: Vec<&Row> = earlier
        .iter()
        .filter(|r| r.status == "disetujui" && !r.activity.is_empty())
        .collect();
    for (kind, _) in PLANTED {
        for _ in 0..per_kind {
            // A row carries one planted anomaly: partners of planted duplicates are skipped too.
            let Some(i) = next.by_ref().find(|&i| rows[i].planted.is_none()) else {
                return;
            };
            match kind {
                "cost_above" => {
                    rows[i].anggaran =
                        round_thousands(rows[i].anggaran as f64 * rng.random_range(2.3..3.5));
                }
                "cost_below" => {
                    rows[i].anggaran =
                        round_thousands(rows[i].anggaran as f64 * rng.random_range(0.2..0.4));
                }
                "volume" => {
                    let (_, max) = volume_range(rows[i].activity);
                    let factor = max * rng.random_range(3.5..6.0) / rows[i].volume;
                    rows[i].volume = (rows[i].volume * factor).round();
                    rows[i].anggaran = round_thousands(rows[i].anggaran as f64 * factor);
                }
                "location" => {
                    // A pin inside another kelurahan, well away from the claimed one.
                    let claimed = WilayahKode::parse(&rows[i].kelurahan).ok();
                    for _ in 0..50 {
                        let other = pick(rng, kelurahan);
                        if Some(other) == claimed.as_ref() {
                            continue;
                        }
                        if let Some(p) = point_inside(index, other, rng) {
                            let far = claimed
                                .as_ref()
                                .and_then(|k| index.region(k).map(|r| r.boundary_distance_m(p)))
                                .is_some_and(|d| d > 200.0);
                            if far {
                                rows[i].pin = p;
                                break;
                            }
                        }
                    }
                }
                "duplicate" => {
                    // A second proposal of the same work 10-30 m from an existing one, in another RT.
                    let partner = physical.iter().copied().find(|&j| {
                        j != i && rows[j].planted.is_none() && rows[j].activity == rows[i].activity
                    });
                    let Some(j) = partner else { continue };
                    let (kelurahan, pin) = (rows[j].kelurahan.clone(), rows[j].pin);
                    rows[i].kelurahan = kelurahan;
                    rows[i].pin = [pin[0] + rng.random_range(0.0001..0.00025), pin[1]];
                    rows[j].planted = Some("duplicate");
                }
                "done_before" => {
                    // Each planted row repeats a different earlier proposal.
                    let Some(k) = approved.iter().position(|e| e.activity == rows[i].activity)
                    else {
                        continue;
                    };
                    let done = approved.swap_remove(k);
                    rows[i].kelurahan.clone_from(&done.kelurahan);
                    rows[i].pin = [
                        done.pin[0] + rng.random_range(0.00005..0.00015),
                        done.pin[1],
                    ];
                }
                _ => {}
            }
            rows[i].planted = Some(kind);
        }
    }
}

fn write_rows(path: &Path, rows: &[Row]) -> anyhow::Result<()> {
    let mut writer = csv::WriterBuilder::new().delimiter(b';').from_path(path)?;
    writer.write_record([
        "No",
        "Permasalahan",
        "Program",
        "Usulan Kegiatan",
        "Lokasi",
        "Kode Kelurahan",
        "RW",
        "RT",
        "Volume",
        "Satuan",
        "Perkiraan Anggaran",
        "SKPD/UKPD Tujuan",
        "Status",
        "Latitude",
        "Longitude",
    ])?;
    for r in rows {
        let volume = format!("{}", r.volume).replace('.', ",");
        writer.write_record([
            r.no.to_string(),
            "Usulan warga (data sintetis)".to_owned(),
            if r.activity.is_empty() {
                "Pemberdayaan masyarakat"
            } else {
                "Infrastruktur lingkungan"
            }
            .to_owned(),
            r.usulan.clone(),
            r.lokasi.clone(),
            r.kelurahan.clone(),
            format!("{:03}", r.rw),
            format!("{:03}", r.rt),
            volume,
            r.satuan.clone(),
            survey_schema::Rupiah::new(r.anggaran)
                .map(|a| format!("{a},00"))
                .unwrap_or_default(),
            r.skpd.clone(),
            r.status.to_owned(),
            format!("{:.6}", r.pin[1]),
            format!("{:.6}", r.pin[0]),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

/// Precision and recall of the checks against the planted list, for one year.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    /// Per planted kind: (planted, found by its expected code).
    pub recall: BTreeMap<String, (usize, usize)>,
    /// Proposals with a warning or high anomaly, and how many of them were planted.
    pub flagged: usize,
    pub flagged_planted: usize,
    /// Proposals without a planted anomaly, and how many of them have no anomaly at all.
    pub clean: usize,
    pub clean_without_anomaly: usize,
}

/// Compares the stored anomalies of `tahun` with the planted list (rows matched by `No`).
pub async fn evaluate(
    pool: &PgPool,
    tahun: i32,
    planted_file: &Path,
) -> anyhow::Result<Evaluation> {
    let mut planted: HashMap<String, String> = HashMap::new();
    let mut reader = csv::Reader::from_path(planted_file)
        .with_context(|| format!("reading {}", planted_file.display()))?;
    for record in reader.records() {
        let record = record?;
        planted.insert(
            record.get(0).unwrap_or_default().to_owned(),
            record.get(1).unwrap_or_default().to_owned(),
        );
    }
    let found = db::proposal::anomaly_codes_by_nomor(pool, tahun).await?;
    let mut eval = Evaluation::default();
    for (nomor, codes) in &found {
        let serious = codes.iter().any(|(_, severity)| severity != "info");
        match planted.get(nomor) {
            Some(kind) => {
                let expected = PLANTED
                    .iter()
                    .find(|(k, _)| k == kind)
                    .map_or("", |(_, c)| *c);
                let entry = eval.recall.entry(kind.clone()).or_default();
                entry.0 += 1;
                if codes.iter().any(|(c, _)| c == expected) {
                    entry.1 += 1;
                }
                if serious {
                    eval.flagged += 1;
                    eval.flagged_planted += 1;
                }
            }
            // Non-physical proposals are unknown to the catalogue by design: not "clean" physical work.
            None if codes.iter().any(|(c, _)| c == "ACTIVITY_UNKNOWN") => {}
            None => {
                eval.clean += 1;
                if codes.is_empty() {
                    eval.clean_without_anomaly += 1;
                }
                if serious {
                    eval.flagged += 1;
                }
            }
        }
    }
    Ok(eval)
}
