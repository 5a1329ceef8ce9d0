//! `tinjau import proposals FILE.csv|FILE.xlsx --tahun YEAR`: usulan from the Berita Acara Form 3
//! columns, or from the national SIPD export.
//!
//! Headers match whatever their case, spacing and punctuation ("SKPD/UKPD Tujuan", "skpd ukpd
//! tujuan"). Numbers are read the Indonesian way (`Rp 1.250.000,00`, `1.250,5`, `125 m2`), exactly.
//! A kelurahan is given by code or by name; names are matched to `wilayah` tolerating case, spacing,
//! "Kel."/"Kelurahan"/"Desa" prefixes and small spelling variants, and every fuzzy match is reported.
//! Any bad row: nothing is imported, unless `skip_invalid`, which imports the good rows and writes the
//! rejected ones, with a reason column, to a CSV.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use geo_rules::proposal_rules::recognise_activity;
use geo_rules::text::normalise_text;
use geo_rules::units::normalize_unit;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use survey_schema::numbers::split_quantity;
use survey_schema::{Rupiah, Wgs84Point, WilayahKode};

use super::kelurahan::{KelurahanResolver, Resolved};
use super::rows::{Layout, Problems, RejectedRows};
use super::table::{Cell, header_key, parse_pin, text};
use super::{ImportCounts, ImportError, InputFile, RowProblem};
use crate::db;

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ProposalImportOptions {
    pub tahun: i32,
    /// Import the good rows; the bad ones are reported (and written to `rejected_path`, if given).
    pub skip_invalid: bool,
    /// Where to write the rejected rows as CSV with a reason column (`alasan`).
    pub rejected_path: Option<PathBuf>,
    /// Resolve kelurahan names only within this area (a kota or kecamatan code).
    pub scope: Option<WilayahKode>,
    /// Who imports, for the audit trail (default: the command line's operator).
    pub actor: Option<crate::audit::Actor>,
}

/// What a proposal import did.
#[derive(Debug, Clone, Default)]
pub struct ProposalSummary {
    pub counts: ImportCounts,
    pub rejected: Vec<RowProblem>,
    /// Where the rejected rows were written, if any were.
    pub rejected_file: Option<PathBuf>,
    /// The rejected rows as CSV (original columns, `row` first, `alasan` last), if any.
    pub rejected_csv: Option<String>,
    /// `row N: 'Kel. Kebon Kelapa' → 31.71.01.1005 Kebon Kelapa (similarity 0.95)`.
    pub fuzzy_matches: Vec<String>,
    /// Imported proposals whose activity the catalogue does not recognise.
    pub unknown_activities: usize,
    /// Proposals that existed and changed: their surveys' checks compare with the old values.
    pub updated_ids: Vec<i64>,
}

/// The fields a proposal file can carry, and the header names (normalised) that mean them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Field {
    Nomor,
    Permasalahan,
    Program,
    Usulan,
    Lokasi,
    Kelurahan,
    Kecamatan,
    Rw,
    Rt,
    RtRw,
    Volume,
    Satuan,
    Anggaran,
    Skpd,
    Status,
    Lat,
    Lon,
}

const HEADERS: &[(Field, &[&str])] = &[
    (Field::Nomor, &["no", "nomor", "nourut"]),
    (Field::Permasalahan, &["permasalahan", "masalah"]),
    (Field::Program, &["program"]),
    (
        Field::Usulan,
        &["usulankegiatan", "usulan", "kegiatan", "namakegiatan"],
    ),
    (
        Field::Lokasi,
        &["lokasi", "alamat", "lokasidetail", "alamatlokasi"],
    ),
    (
        Field::Kelurahan,
        &[
            "kelurahan",
            "desakelurahan",
            "kelurahandesa",
            "desa",
            "kodekelurahan",
            "kodewilayah",
            "kel",
            "kodekel",
        ],
    ),
    (Field::Kecamatan, &["kecamatan", "kec"]),
    (Field::Rw, &["rw"]),
    (Field::Rt, &["rt"]),
    (Field::RtRw, &["rtrw"]),
    (Field::Volume, &["volume", "koefisien", "vol"]),
    (Field::Satuan, &["satuan", "sat"]),
    (
        Field::Anggaran,
        &[
            "perkiraananggaran",
            "anggaran",
            "perkiraananggaranrp",
            "paguindikatif",
            "biaya",
            "perkiraanbiaya",
            "nilai",
        ],
    ),
    (
        Field::Skpd,
        &[
            "skpdtujuan",
            "skpdukpdtujuan",
            "opdtujuan",
            "skpd",
            "opd",
            "perangkatdaerah",
            "ukpdtujuan",
        ],
    ),
    (Field::Status, &["status"]),
    (Field::Lat, &["latitude", "lat", "lintang"]),
    (Field::Lon, &["longitude", "lon", "lng", "long", "bujur"]),
];

fn field_of(header: &str) -> Option<Field> {
    let key = header_key(header);
    HEADERS
        .iter()
        .find(|(_, names)| names.contains(&key.as_str()))
        .map(|(f, _)| *f)
}

fn is_header_row(cells: &[String]) -> bool {
    let fields: HashSet<Field> = cells.iter().filter_map(|c| field_of(c)).collect();
    fields.contains(&Field::Usulan) && fields.len() >= 3
}

/// Imports proposals for one year from a file.
pub async fn import(
    pool: &PgPool,
    path: &Path,
    options: &ProposalImportOptions,
) -> Result<ProposalSummary, ImportError> {
    import_file(pool, InputFile::read(path, false)?, options).await
}

/// Proposals in, then the checks again: every proposal's, and the surveys of the proposals that
/// changed (their remeasured volumes are compared with the new values). The one path the CLI and
/// the admin endpoint take.
pub async fn import_and_check(
    pool: &PgPool,
    boundaries: &geo_rules::BoundaryIndex,
    file: InputFile,
    options: &ProposalImportOptions,
) -> Result<(ProposalSummary, crate::analysis::AnalysisSummary), ImportError> {
    let summary = import_file(pool, file, options).await?;
    let checks = crate::analysis::recompute(
        pool,
        boundaries,
        crate::analysis::SurveyRecheck::OfProposals(summary.updated_ids.clone()),
    )
    .await
    .map_err(ImportError::Checks)?;
    Ok((summary, checks))
}

/// Imports proposals for one year from a file already read (the admin endpoint's body).
pub async fn import_file(
    pool: &PgPool,
    file: InputFile,
    options: &ProposalImportOptions,
) -> Result<ProposalSummary, ImportError> {
    super::rows::check_year(options.tahun)?;
    let resolver = KelurahanResolver::load(pool, options.scope.as_ref()).await?;
    let catalogue = crate::analysis::activities(&db::activity::all(pool).await?);
    let mut resolved: ResolveCache = HashMap::new();
    let rows = super::rows::read(
        &file,
        &LAYOUT,
        |get| parse_row(get, options.tahun, &resolver, &mut resolved),
        |row| row.natural_key.as_str(),
        "same kelurahan, RW, RT, No, usulan and lokasi",
        &RejectedRows {
            skip_invalid: options.skip_invalid,
            path: options.rejected_path.clone(),
        },
    )?;
    let mut summary = ProposalSummary {
        rejected: rows.rejected,
        rejected_file: rows.rejected_file,
        rejected_csv: rows.rejected_csv,
        ..ProposalSummary::default()
    };
    let mut batch = db::proposal::ProposalBatch::default();
    for (row_number, row) in rows.accepted {
        if let Some(note) = &row.fuzzy {
            summary
                .fuzzy_matches
                .push(format!("row {row_number}: {note}"));
        }
        let activity = recognise_activity(&row.usulan, &catalogue).map(|a| a.code.clone());
        if activity.is_none() {
            summary.unknown_activities += 1;
        }
        push(&mut batch, row, activity, row_number);
    }

    let mut tx = super::begin(pool).await?;
    let changed = if batch.is_empty() {
        Vec::new()
    } else {
        db::proposal::upsert(&mut tx, options.tahun, &file.source(), &batch).await?
    };
    let changed_ids: Vec<i64> = changed.iter().map(|r| r.id).collect();
    // A Kirim of one of these kecamatan may be under way: wait for it (in a fixed order, after the
    // rows, as decisions do), then see whether the list is sent.
    let mut kecamatan: Vec<&str> = changed.iter().map(|r| r.kecamatan_kode.as_str()).collect();
    kecamatan.sort_unstable();
    kecamatan.dedup();
    for k in kecamatan {
        db::kirim::lock_kecamatan(&mut tx, k, options.tahun).await?;
    }
    let locked = db::kirim::locked_among(&mut tx, &changed_ids).await?;
    if !locked.is_empty() {
        let list: Vec<String> = locked.iter().map(|(k, t)| format!("{k} ({t})")).collect();
        return Err(ImportError::Locked(format!(
            "the file changes proposals of kecamatan whose list was already sent (Kirim) and is locked: {}; \
             an admin can reopen a list, with a reason",
            list.join(", ")
        )));
    }
    let inserted = changed.iter().filter(|r| r.inserted).count();
    let updated_ids: Vec<i64> = changed
        .iter()
        .filter(|r| !r.inserted)
        .map(|r| r.id)
        .collect();
    let updated = updated_ids.len();
    let changes = changed
        .into_iter()
        .map(|r| {
            let mut c = crate::audit::Change::new(r.id.to_string())
                .of_proposal(r.id, Some(&r.kecamatan_kode));
            c.before = r.before;
            c.after = Some(r.after);
            c
        })
        .collect();
    let actor = options
        .actor
        .clone()
        .unwrap_or_else(crate::audit::Actor::cli);
    summary.counts = super::finish(
        tx,
        &actor,
        "proposals",
        &file,
        ImportCounts {
            total: batch.len(),
            inserted,
            updated,
            ..ImportCounts::default()
        },
        changes,
    )
    .await?;
    summary.updated_ids = updated_ids;
    Ok(summary)
}

/// A proposal file: Form 3's columns, of which these four are needed.
const LAYOUT: Layout<Field> = Layout {
    is_header: is_header_row,
    field_of,
    required: &[
        (Field::Usulan, "Usulan Kegiatan"),
        (Field::Kelurahan, "Kelurahan (kode or name)"),
        (Field::Volume, "Volume"),
        (Field::Anggaran, "Perkiraan Anggaran"),
    ],
    needs: "a proposal file needs at least the columns Usulan Kegiatan, Kelurahan, Volume and Perkiraan Anggaran",
    reshape: None,
};

/// A row that passed every check.
#[derive(Debug)]
struct ParsedRow {
    natural_key: String,
    kelurahan: String,
    fuzzy: Option<String>,
    rw: Option<String>,
    rt: Option<String>,
    nomor: Option<String>,
    permasalahan: Option<String>,
    program: Option<String>,
    usulan: String,
    lokasi: Option<String>,
    volume: Decimal,
    satuan_raw: String,
    anggaran: i64,
    skpd: Option<String>,
    status: String,
    pin: Option<Wgs84Point>,
}

type ResolveCache = HashMap<(String, String), Result<Resolved, String>>;

/// RT/RW numbers as digits without leading zeros (`RW 003` → `3`), or the text as written.
fn rt_rw(value: Option<String>) -> Option<String> {
    value.map(|v| {
        let digits: String = v.chars().filter(char::is_ascii_digit).collect();
        let trimmed = digits.trim_start_matches('0');
        if digits.is_empty() {
            v
        } else if trimmed.is_empty() {
            "0".into()
        } else {
            trimmed.into()
        }
    })
}

fn parse_row(
    get: &dyn Fn(Field) -> Cell,
    tahun: i32,
    resolver: &KelurahanResolver,
    cache: &mut ResolveCache,
) -> Result<ParsedRow, Problems> {
    let mut problems: Problems = Vec::new();
    let usulan = text(&get(Field::Usulan)).unwrap_or_default();
    if usulan.is_empty() {
        problems.push(("Usulan Kegiatan", "is empty".into()));
    }

    let pin = parse_pin(&get(Field::Lat), &get(Field::Lon)).unwrap_or_else(|e| {
        problems.push(("Latitude/Longitude", e));
        None
    });
    let kelurahan_text = text(&get(Field::Kelurahan)).unwrap_or_default();
    let kecamatan_text = text(&get(Field::Kecamatan)).unwrap_or_default();
    let kelurahan = if kelurahan_text.is_empty() {
        problems.push(("Kelurahan", "is empty".into()));
        None
    } else {
        let key = (kelurahan_text.clone(), kecamatan_text.clone());
        let by_name = cache
            .entry(key)
            .or_insert_with(|| resolver.resolve(&kelurahan_text, &kecamatan_text))
            .clone();
        match by_name {
            Ok(found) => Some(found),
            Err(e) => {
                let found = pin.and_then(|p| resolver.by_pin(&kelurahan_text, p));
                if found.is_none() {
                    problems.push(("Kelurahan", e));
                }
                found
            }
        }
    };

    let (volume, unit_in_volume) = match get(Field::Volume) {
        Cell::Number(n) => (Some(n), String::new()),
        Cell::Text(t) => match split_quantity(&t) {
            Ok((n, unit)) => (Some(n), unit.to_owned()),
            Err(e) => {
                problems.push(("Volume", e.to_string()));
                (None, String::new())
            }
        },
        Cell::Empty => {
            problems.push(("Volume", "is empty".into()));
            (None, String::new())
        }
    };
    if volume.is_some_and(|v| v <= Decimal::ZERO) {
        problems.push(("Volume", "must be more than 0".into()));
    }
    let satuan_col = text(&get(Field::Satuan)).unwrap_or_default();
    let satuan_raw = match (satuan_col.is_empty(), unit_in_volume.is_empty()) {
        (false, false) if normalize_unit(&satuan_col) != normalize_unit(&unit_in_volume) => {
            problems.push((
                "Satuan",
                format!("'{satuan_col}' disagrees with the unit '{unit_in_volume}' in Volume"),
            ));
            satuan_col
        }
        (false, _) => satuan_col,
        (true, false) => unit_in_volume,
        (true, true) => {
            problems.push(("Satuan", "is empty (and Volume has no unit)".into()));
            String::new()
        }
    };

    let anggaran = match get(Field::Anggaran) {
        Cell::Number(n) if n.fract().is_zero() && n >= Decimal::ZERO => n.to_i64(),
        Cell::Number(n) => {
            problems.push((
                "Perkiraan Anggaran",
                format!("{n} is not a whole, positive number of rupiah"),
            ));
            None
        }
        Cell::Text(t) => match Rupiah::parse(&t) {
            Ok(r) => Some(r.get()),
            Err(e) => {
                problems.push(("Perkiraan Anggaran", e.to_string()));
                None
            }
        },
        Cell::Empty => {
            problems.push(("Perkiraan Anggaran", "is empty".into()));
            None
        }
    };

    let (mut rt, mut rw) = (text(&get(Field::Rt)), text(&get(Field::Rw)));
    if let Some(both) = text(&get(Field::RtRw))
        && let Some((a, b)) = both.split_once('/')
    {
        rt = rt.or(Some(a.trim().to_owned()));
        rw = rw.or(Some(b.trim().to_owned()));
    }

    let (Some((kelurahan, fuzzy)), Some(volume), Some(anggaran), true) =
        (kelurahan, volume, anggaran, problems.is_empty())
    else {
        return Err(problems);
    };
    let (rt, rw) = (rt_rw(rt), rt_rw(rw));
    let nomor = text(&get(Field::Nomor));
    let lokasi = text(&get(Field::Lokasi));
    let identity = [
        tahun.to_string(),
        kelurahan.clone(),
        rw.clone().unwrap_or_default(),
        rt.clone().unwrap_or_default(),
        nomor.as_deref().map(normalise_text).unwrap_or_default(),
        normalise_text(&usulan),
        lokasi.as_deref().map(normalise_text).unwrap_or_default(),
    ]
    .join("|");
    Ok(ParsedRow {
        natural_key: hex::encode(Sha256::digest(identity.as_bytes())),
        kelurahan,
        fuzzy,
        rw,
        rt,
        nomor,
        permasalahan: text(&get(Field::Permasalahan)),
        program: text(&get(Field::Program)),
        usulan,
        lokasi,
        volume: volume.normalize(),
        satuan_raw,
        anggaran,
        skpd: text(&get(Field::Skpd)),
        status: text(&get(Field::Status)).map_or_else(|| "usulan".to_owned(), |s| s.to_lowercase()),
        pin,
    })
}

fn push(
    batch: &mut db::proposal::ProposalBatch,
    row: ParsedRow,
    activity: Option<String>,
    source_row: usize,
) {
    batch.natural_keys.push(row.natural_key);
    batch.kelurahan.push(row.kelurahan);
    batch.rw.push(row.rw);
    batch.rt.push(row.rt);
    batch.nomor.push(row.nomor);
    batch.permasalahan.push(row.permasalahan);
    batch.program.push(row.program);
    batch.usulan.push(row.usulan);
    batch.lokasi.push(row.lokasi);
    batch.volume.push(row.volume);
    batch
        .unit
        .push(normalize_unit(&row.satuan_raw).map(|u| u.as_str().to_owned()));
    batch.satuan_raw.push(row.satuan_raw);
    batch.anggaran.push(row.anggaran);
    batch.skpd_tujuan.push(row.skpd);
    batch.status.push(row.status);
    batch.activity_code.push(activity);
    batch.lon.push(row.pin.map(Wgs84Point::lon));
    batch.lat.push(row.pin.map(Wgs84Point::lat));
    batch
        .source_row
        .push(i32::try_from(source_row).unwrap_or(i32::MAX));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_whatever_their_spelling() {
        assert_eq!(field_of("SKPD/UKPD Tujuan"), Some(Field::Skpd));
        assert_eq!(field_of("  usulan kegiatan "), Some(Field::Usulan));
        assert_eq!(field_of("Perkiraan Anggaran (Rp)"), Some(Field::Anggaran));
        assert_eq!(field_of("Desa/Kelurahan"), Some(Field::Kelurahan));
        assert_eq!(field_of("Koefisien"), Some(Field::Volume));
        assert_eq!(field_of("Keterangan"), None);
    }
}
