//! `tinjau import renja FILE.csv|FILE.xlsx --opd KODE_OR_NAME --tahun YEAR`: an agency's work plan
//! (Renja) with the columns SIPD exports carry: program, kegiatan and sub-kegiatan (code and name),
//! indikator, target and satuan, lokasi (kelurahan and/or kecamatan by name or code, or SIPD's
//! `nama_lokasi` text such as `Kel. Cideng, Kec. Gambir`; an optional point or line), pagu indikatif.
//!
//! The same rules as the proposal import: headers in any spelling, title blocks skipped, Indonesian
//! numbers exact, units normalised, kelurahan names through the shared resolver (spelling variants,
//! old names, the row's pin as evidence), every bad row by row and column, nothing imported unless
//! `skip_invalid`, and the same file twice changes nothing.

mod report;

use std::collections::HashSet;
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

use super::kelurahan::KelurahanResolver;
use super::rows::{Layout, Problems, RejectedRows};
use super::table::{Cell, header_key, parse_pin, text};
use super::{ImportCounts, ImportError, InputFile, RowProblem};
use crate::db;
use crate::db::renja::RenjaLine;

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct RenjaImportOptions {
    /// The agency: its register kode, or a name or short name it is known by.
    pub opd: String,
    pub tahun: i32,
    pub skip_invalid: bool,
    pub rejected_path: Option<PathBuf>,
    /// Resolve names only within this area (default: the agency's kota).
    pub scope: Option<WilayahKode>,
    pub actor: Option<crate::audit::Actor>,
}

/// What a Renja import did.
#[derive(Debug, Clone, Default)]
pub struct RenjaSummary {
    pub opd_kode: String,
    pub counts: ImportCounts,
    pub rejected: Vec<RowProblem>,
    pub rejected_file: Option<PathBuf>,
    pub rejected_csv: Option<String>,
    /// Names matched approximately (spelling, old name, the pin), to check.
    pub fuzzy_matches: Vec<String>,
    /// Rows at the level of a kota (no kelurahan or kecamatan): kept, they match no proposal.
    pub citywide: usize,
    /// Items of this agency and year already stored that the file does not have (kept).
    pub not_in_file: usize,
    /// A printed report's program, kegiatan and sub-kegiatan rows above their lines, and its
    /// totals: recognised, not taken as lines.
    pub summary_rows: usize,
    /// A printed report's summed pagu that disagrees with the rows beneath it, one per row.
    pub pagu_mismatches: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Field {
    KodeProgram,
    NamaProgram,
    KodeKegiatan,
    NamaKegiatan,
    KodeSub,
    NamaSub,
    Uraian,
    Indikator,
    Target,
    Satuan,
    Lokasi,
    Kelurahan,
    Kecamatan,
    Lat,
    Lon,
    Geometri,
    Pagu,
    SumberDana,
    /// A printed report's one code column (program, kegiatan and sub-kegiatan rows alike).
    Kode,
    /// A printed report's one name column ("Program/Kegiatan/Sub Kegiatan").
    Nomenklatur,
}

const HEADERS: &[(Field, &[&str])] = &[
    (Field::KodeProgram, &["kodeprogram"]),
    (Field::NamaProgram, &["program", "namaprogram"]),
    (Field::KodeKegiatan, &["kodekegiatan", "kodegiat"]),
    (
        Field::NamaKegiatan,
        &["kegiatan", "namakegiatan", "namagiat"],
    ),
    (
        Field::KodeSub,
        &["kodesubkegiatan", "kodesubgiat", "kodesub", "kodesubkeg"],
    ),
    (
        Field::NamaSub,
        &[
            "subkegiatan",
            "namasubkegiatan",
            "namasubgiat",
            "namasubkeg",
        ],
    ),
    (
        Field::Uraian,
        &[
            "uraian",
            "komponen",
            "namakomponen",
            "namapaket",
            "paket",
            "rincian",
            "uraiankegiatan",
        ],
    ),
    (
        Field::Indikator,
        &[
            "indikator",
            "outputteks",
            "indikatorkeluaran",
            "indikatoroutput",
            "keluaran",
            "indikatorsubkegiatan",
        ],
    ),
    (
        Field::Target,
        &[
            "target",
            "targetoutput",
            "target1",
            "volume",
            "targetkinerja",
            "targetcapaiankinerja",
        ],
    ),
    (Field::Satuan, &["satuan", "satuanoutput", "sat"]),
    (
        Field::Lokasi,
        &["lokasi", "namalokasi", "alamat", "lokasidetail"],
    ),
    (
        Field::Kelurahan,
        &[
            "kelurahan",
            "lurahteks",
            "desakelurahan",
            "kelurahandesa",
            "desa",
            "kodekelurahan",
            "kel",
        ],
    ),
    (
        Field::Kecamatan,
        &["kecamatan", "camatteks", "kec", "kodekecamatan"],
    ),
    (Field::Lat, &["latitude", "lat", "lintang"]),
    (Field::Lon, &["longitude", "lon", "lng", "long", "bujur"]),
    (Field::Geometri, &["geometri", "geometry", "wkt", "garis"]),
    (
        Field::Pagu,
        &[
            "pagu",
            "paguindikatif",
            "pagurp",
            "paguindikatifrp",
            "pagumurni",
            "anggaran",
            "nilai",
        ],
    ),
    (Field::SumberDana, &["sumberdana", "namadana", "dana"]),
];

fn field_of(header: &str) -> Option<Field> {
    let key = header_key(header);
    if let Some((field, _)) = HEADERS
        .iter()
        .find(|(_, names)| names.contains(&key.as_str()))
    {
        return Some(*field);
    }
    // A printed report's long headings: "Indikator Kinerja Program/Kegiatan/Sub Kegiatan",
    // "Urusan/Bidang Urusan Pemerintahan Daerah dan Program/Kegiatan/Sub Kegiatan", "Kode Rekening".
    if key.starts_with("indikator") {
        Some(Field::Indikator)
    } else if key.contains("program") && key.contains("kegiatan") {
        Some(Field::Nomenklatur)
    } else if key == "kode"
        || (key.starts_with("kode") && (key.contains("rekening") || key.contains("nomenklatur")))
    {
        Some(Field::Kode)
    } else {
        None
    }
}

fn is_header_row(cells: &[String]) -> bool {
    let fields: HashSet<Field> = cells.iter().filter_map(|c| field_of(c)).collect();
    let report = fields.contains(&Field::Kode)
        && (fields.contains(&Field::Nomenklatur) || fields.contains(&Field::Uraian));
    (fields.contains(&Field::KodeSub) || fields.contains(&Field::NamaSub) || report)
        && fields.len() >= 3
}

/// Imports an agency's Renja for a year from a file.
pub async fn import(
    pool: &PgPool,
    path: &Path,
    options: &RenjaImportOptions,
) -> Result<RenjaSummary, ImportError> {
    import_file(pool, InputFile::read(path, false)?, options).await
}

/// Imports an agency's Renja from a file already read (the admin endpoint's body).
pub async fn import_file(
    pool: &PgPool,
    file: InputFile,
    options: &RenjaImportOptions,
) -> Result<RenjaSummary, ImportError> {
    super::rows::check_year(options.tahun)?;
    let opd = find_opd(pool, &options.opd).await?;
    let scope = match &options.scope {
        Some(s) => Some(s.clone()),
        None => opd
            .kota_kode
            .as_deref()
            .and_then(|k| WilayahKode::parse(k).ok()),
    };
    let resolver = KelurahanResolver::load(pool, scope.as_ref()).await?;
    let catalogue = crate::analysis::activities(&db::activity::all(pool).await?);
    let rows = super::rows::read(
        &file,
        &LAYOUT,
        |get| parse_row(get, &opd.kode, options.tahun, &resolver),
        |(row, _)| row.natural_key.as_str(),
        "same sub-kegiatan, uraian, location and indikator",
        &RejectedRows {
            skip_invalid: options.skip_invalid,
            path: options.rejected_path.clone(),
        },
    )?;
    let mut summary = RenjaSummary {
        opd_kode: opd.kode.clone(),
        rejected: rows.rejected,
        rejected_file: rows.rejected_file,
        rejected_csv: rows.rejected_csv,
        summary_rows: rows.summary_rows,
        pagu_mismatches: rows.notes,
        ..RenjaSummary::default()
    };
    let mut batch = db::renja::RenjaBatch::default();
    for (row_number, (row, notes)) in rows.accepted {
        for note in &notes {
            summary
                .fuzzy_matches
                .push(format!("row {row_number}: {note}"));
        }
        if row.kecamatan.is_none() {
            summary.citywide += 1;
        }
        let words = format!(
            "{} {}",
            row.uraian.as_deref().unwrap_or(&row.nama_sub),
            row.indikator.as_deref().unwrap_or_default()
        );
        let activity = recognise_activity(&words, &catalogue).map(|a| a.code.clone());
        let unit = row
            .satuan_raw
            .as_deref()
            .and_then(normalize_unit)
            .map(|u| u.as_str().to_owned());
        batch.push(row, unit, activity, row_number);
    }

    let mut tx = super::begin(pool).await?;
    let changed = if batch.is_empty() {
        Vec::new()
    } else {
        db::renja::upsert(&mut tx, opd.id, options.tahun, &file.source(), &batch).await?
    };
    summary.not_in_file =
        db::renja::count_not_in(&mut tx, opd.id, options.tahun, &batch.natural_keys).await?;
    let inserted = changed.iter().filter(|r| r.inserted).count();
    let updated = changed.len() - inserted;
    let changes = changed
        .into_iter()
        .map(|r| {
            let mut c = crate::audit::Change::new(r.id.to_string());
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
        "renja",
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
    Ok(summary)
}

/// The agency by its register kode, or a spelling it is known by (one agency only).
async fn find_opd(pool: &PgPool, wanted: &str) -> Result<db::opd::OpdRow, ImportError> {
    let all = db::opd::all(pool).await?;
    let key = geo_rules::text::agency_key(wanted);
    let found: Vec<&db::opd::OpdRow> = all
        .iter()
        .filter(|o| o.kode == wanted.trim().to_lowercase() || o.alias_keys.contains(&key))
        .collect();
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(ImportError::File(format!(
            "no agency '{wanted}' in the register ({} agencies; `tinjau import opd` adds them)",
            all.len()
        ))),
        many => Err(ImportError::File(format!(
            "'{wanted}' names {} agencies ({}): give the register kode",
            many.len(),
            many.iter()
                .map(|o| o.kode.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// A Renja file (SIPD's export or a planner's own table): these three columns are needed.
const LAYOUT: Layout<Field> = Layout {
    is_header: is_header_row,
    field_of,
    required: &[
        (Field::KodeSub, "Kode Sub Kegiatan"),
        (Field::NamaSub, "Sub Kegiatan"),
        (Field::Pagu, "Pagu Indikatif"),
    ],
    needs: "a Renja file needs at least the columns Kode Sub Kegiatan, Sub Kegiatan and Pagu \
            (or, as SIPD prints it, Kode, Program/Kegiatan/Sub Kegiatan and Pagu)",
    reshape: Some(report::flatten),
};

/// A nomenclature code: dot-separated digits (`1.03.10.2.01.0001`; `X.XX` placeholders allowed).
fn parse_code(raw: &str) -> Result<String, String> {
    let code: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let code = code.trim_end_matches('.').to_owned();
    let ok = !code.is_empty()
        && code.split('.').all(|segment| {
            !segment.is_empty()
                && (segment.chars().all(|c| c.is_ascii_digit())
                    || segment.chars().all(|c| c.eq_ignore_ascii_case(&'x')))
        });
    if ok {
        Ok(code)
    } else {
        Err(format!(
            "'{raw}' is not a nomenclature code such as 1.03.10.2.01.0001"
        ))
    }
}

/// SIPD's `nama_lokasi` text: the parts naming a kelurahan and a kecamatan
/// (`Kel. Cideng, Kec. Gambir` → `(Some("Cideng"), Some("Gambir"))`).
fn split_lokasi(lokasi: &str) -> (Option<String>, Option<String>) {
    let mut kelurahan = None;
    let mut kecamatan = None;
    for part in lokasi.split([',', ';', '/']) {
        let part = part.trim();
        let Some((prefix, name)) = part.split_once(|c: char| c.is_whitespace() || c == '.') else {
            continue;
        };
        let name = name.trim_start_matches(['.', ' ']).trim();
        if name.is_empty() {
            continue;
        }
        match normalise_text(prefix).as_str() {
            "kel" | "kelurahan" | "desa" | "ds" => {
                kelurahan.get_or_insert_with(|| name.to_owned());
            }
            "kec" | "kecamatan" => {
                kecamatan.get_or_insert_with(|| name.to_owned());
            }
            _ => {}
        }
    }
    (kelurahan, kecamatan)
}

/// The kelurahan and kecamatan a line's own text names after `Kel.`/`Kelurahan`/`Desa` and
/// `Kec.`/`Kecamatan` (`Rehab saluran Jl. Mawar RT 014/RW 001 Kel. Utan Panjang` → `Utan
/// Panjang`): the words up to punctuation or the next marker, street or RT/RW. Candidates longest
/// first (`Utan Panjang Baru`, `Utan Panjang`, `Utan`), for the resolver to try in turn.
fn places_in_text(text: &str) -> (Vec<String>, Vec<String>) {
    let spaced: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '\'' {
                c
            } else {
                ' '
            }
        })
        .collect();
    // Punctuation that ends a place name, kept as a word of its own.
    let marked: String = text
        .chars()
        .zip(spaced.chars())
        .map(|(orig, s)| {
            if matches!(orig, ',' | ';' | '/' | '(' | ')' | '-') {
                '|'
            } else {
                s
            }
        })
        .collect();
    let words: Vec<&str> = marked
        .split(|c: char| c.is_whitespace())
        .flat_map(|w| {
            if w.contains('|') {
                w.split('|').chain(std::iter::once("|")).collect::<Vec<_>>()
            } else {
                vec![w]
            }
        })
        .filter(|w| !w.is_empty())
        .collect();
    let stop = |w: &str| {
        w == "|"
            || w.chars().any(|c| c.is_ascii_digit())
            || matches!(
                w.to_lowercase().as_str(),
                "kel"
                    | "kelurahan"
                    | "desa"
                    | "ds"
                    | "kec"
                    | "kecamatan"
                    | "kota"
                    | "kab"
                    | "rt"
                    | "rw"
                    | "jl"
                    | "jln"
                    | "jalan"
                    | "gg"
                    | "gang"
                    | "no"
                    | "tahun"
                    | "th"
            )
    };
    let (mut kelurahan, mut kecamatan) = (Vec::new(), Vec::new());
    for (i, w) in words.iter().enumerate() {
        let into = match w.to_lowercase().as_str() {
            "kel" | "kelurahan" | "desa" | "ds" => &mut kelurahan,
            "kec" | "kecamatan" => &mut kecamatan,
            _ => continue,
        };
        let name: Vec<&str> = words[i + 1..]
            .iter()
            .take_while(|w| !stop(w))
            .take(4)
            .copied()
            .collect();
        for n in (1..=name.len()).rev() {
            into.push(name[..n].join(" "));
        }
    }
    (kelurahan, kecamatan)
}

/// A point or a line, as WKT with validated coordinates: `POINT(lon lat)`,
/// `LINESTRING(lon lat, lon lat, ...)`.
fn parse_wkt(raw: &str) -> Result<String, String> {
    let upper = raw.trim().to_uppercase();
    let (kind, rest) = if let Some(rest) = upper.strip_prefix("POINT") {
        ("POINT", rest)
    } else if let Some(rest) = upper.strip_prefix("LINESTRING") {
        ("LINESTRING", rest)
    } else {
        return Err(format!(
            "'{raw}' is neither POINT(lon lat) nor LINESTRING(lon lat, ...)"
        ));
    };
    let inner = rest
        .trim()
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| format!("'{raw}': the coordinates go in parentheses"))?;
    let mut points = Vec::new();
    for pair in inner.split(',') {
        let numbers: Vec<f64> = pair
            .split_whitespace()
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|_| format!("'{pair}' is not 'lon lat'"))?;
        let [lon, lat] = numbers.as_slice() else {
            return Err(format!("'{pair}' is not 'lon lat'"));
        };
        let p = Wgs84Point::parse(*lon, *lat).map_err(|e| e.to_string())?;
        points.push(format!("{} {}", p.lon(), p.lat()));
    }
    match (kind, points.len()) {
        ("POINT", 1) => Ok(format!("POINT({})", points[0])),
        ("LINESTRING", n) if n >= 2 => Ok(format!("LINESTRING({})", points.join(", "))),
        _ => Err(format!(
            "'{raw}': a point has one coordinate pair, a line two or more"
        )),
    }
}

/// Pagu indikatif: whole rupiah, as typed into Excel or written the Indonesian way.
fn parse_pagu(cell: Cell, problems: &mut Problems) -> Option<i64> {
    match cell {
        Cell::Number(n) if n.fract().is_zero() && n >= Decimal::ZERO => n.to_i64().or_else(|| {
            problems.push(("Pagu Indikatif", format!("{n} is too large")));
            None
        }),
        Cell::Number(n) => {
            problems.push((
                "Pagu Indikatif",
                format!("{n} is not a whole, positive number of rupiah"),
            ));
            None
        }
        Cell::Text(t) => match Rupiah::parse(&t) {
            Ok(r) => Some(r.get()),
            Err(e) => {
                problems.push(("Pagu Indikatif", e.to_string()));
                None
            }
        },
        Cell::Empty => {
            problems.push(("Pagu Indikatif", "is empty".into()));
            None
        }
    }
}

/// A row's kelurahan and kecamatan codes.
type Place = (Option<String>, Option<String>);

/// The kelurahan and kecamatan a row is for (both `None`: the whole kota), from the Kelurahan and
/// Kecamatan columns or else the Lokasi text; the pin is evidence for a loosely spelled kelurahan.
fn locate(
    get: &dyn Fn(Field) -> Cell,
    lokasi: Option<&str>,
    pin: Option<Wgs84Point>,
    resolver: &KelurahanResolver,
    notes: &mut Vec<String>,
) -> Result<Place, (&'static str, String)> {
    let (kel_in_lokasi, kec_in_lokasi) = lokasi.map(split_lokasi).unwrap_or_default();
    let kelurahan_text = text(&get(Field::Kelurahan)).or(kel_in_lokasi);
    let kecamatan_text = text(&get(Field::Kecamatan)).or(kec_in_lokasi);
    if kelurahan_text.is_none()
        && let Some(found) = named_in_text(get, kecamatan_text.as_deref(), resolver)
    {
        notes.push(format!(
            "kelurahan '{}' read from the line's own text",
            found.1
        ));
        let kecamatan = WilayahKode::parse(&found.0)
            .ok()
            .and_then(|k| k.parent())
            .map(|k| k.to_string());
        return Ok((Some(found.0), kecamatan));
    }
    match (kelurahan_text, kecamatan_text) {
        (Some(kel), kec) => {
            let (kode, note) = resolver
                .resolve(&kel, kec.as_deref().unwrap_or_default())
                .or_else(|e| {
                    pin.and_then(|p| resolver.by_pin(&kel, p))
                        .ok_or(("Kelurahan", e))
                })?;
            notes.extend(note);
            let kecamatan = WilayahKode::parse(&kode)
                .ok()
                .and_then(|k| k.parent())
                .map(|k| k.to_string());
            Ok((Some(kode), kecamatan))
        }
        (None, Some(kec)) => {
            let (kode, note) = resolver
                .resolve_kecamatan(&kec)
                .map_err(|e| ("Kecamatan", e))?;
            notes.extend(note);
            Ok((None, Some(kode)))
        }
        (None, None) => Ok((None, None)),
    }
}

/// With the kelurahan column (and the lokasi) empty, the kelurahan the line's uraian or
/// sub-kegiatan name writes after `Kel.` (within the kecamatan given, if any), as `(kode, name as
/// written)`. A name the resolver does not take is no refusal: the text is not a location field.
fn named_in_text(
    get: &dyn Fn(Field) -> Cell,
    kecamatan: Option<&str>,
    resolver: &KelurahanResolver,
) -> Option<(String, String)> {
    let words = [Field::Uraian, Field::NamaSub]
        .into_iter()
        .filter_map(|f| text(&get(f)))
        .collect::<Vec<_>>()
        .join(" , ");
    let (kelurahan, kecamatan_in_text) = places_in_text(&words);
    let kecamatan = kecamatan
        .map(str::to_owned)
        .or_else(|| kecamatan_in_text.into_iter().next());
    kelurahan.into_iter().find_map(|name| {
        resolver
            .resolve(&name, kecamatan.as_deref().unwrap_or_default())
            .ok()
            .filter(|(_, approximate)| approximate.is_none())
            .map(|(kode, _)| (kode, name))
    })
}

fn parse_row(
    get: &dyn Fn(Field) -> Cell,
    opd_kode: &str,
    tahun: i32,
    resolver: &KelurahanResolver,
) -> Result<(RenjaLine, Vec<String>), Problems> {
    let mut problems: Problems = Vec::new();
    let kode_sub = if let Some(raw) = text(&get(Field::KodeSub)) {
        parse_code(&raw)
            .map_err(|e| problems.push(("Kode Sub Kegiatan", e)))
            .ok()
    } else {
        problems.push(("Kode Sub Kegiatan", "is empty".into()));
        None
    };
    let nama_sub = text(&get(Field::NamaSub));
    if nama_sub.is_none() {
        problems.push(("Sub Kegiatan", "is empty".into()));
    }
    let mut code_of = |field: Field, column: &'static str, segments: usize| -> Option<String> {
        match text(&get(field)) {
            Some(raw) => match parse_code(&raw) {
                Ok(code) => {
                    if let Some(sub) = &kode_sub
                        && !sub.starts_with(&format!("{code}."))
                    {
                        problems.push((
                            column,
                            format!("{code} is not the {column} of sub-kegiatan {sub}"),
                        ));
                    }
                    Some(code)
                }
                Err(e) => {
                    problems.push((column, e));
                    None
                }
            },
            // SIPD's codes nest: the sub-kegiatan's code starts with its kegiatan's and program's.
            None => kode_sub.as_ref().and_then(|sub| {
                let parts: Vec<&str> = sub.split('.').collect();
                (parts.len() > segments).then(|| parts[..segments].join("."))
            }),
        }
    };
    let kode_program = code_of(Field::KodeProgram, "Kode Program", 3);
    let kode_kegiatan = code_of(Field::KodeKegiatan, "Kode Kegiatan", 5);

    let (target, unit_in_target) = match get(Field::Target) {
        Cell::Number(n) => (Some(n), String::new()),
        Cell::Text(t) => match split_quantity(&t) {
            Ok((n, unit)) => (Some(n), unit.to_owned()),
            Err(e) => {
                problems.push(("Target", e.to_string()));
                (None, String::new())
            }
        },
        Cell::Empty => (None, String::new()),
    };
    if target.is_some_and(|v| v <= Decimal::ZERO) {
        problems.push(("Target", "must be more than 0".into()));
    }
    let satuan_col = text(&get(Field::Satuan));
    let satuan_raw = match (satuan_col, unit_in_target.is_empty()) {
        (Some(s), false) if normalize_unit(&s) != normalize_unit(&unit_in_target) => {
            problems.push((
                "Satuan",
                format!("'{s}' disagrees with the unit '{unit_in_target}' in Target"),
            ));
            Some(s)
        }
        (Some(s), _) => Some(s),
        (None, false) => Some(unit_in_target),
        (None, true) => None,
    };
    if target.is_some() && satuan_raw.is_none() {
        problems.push(("Satuan", "is empty (and Target has no unit)".into()));
    }

    let pagu = parse_pagu(get(Field::Pagu), &mut problems);

    let pin = parse_pin(&get(Field::Lat), &get(Field::Lon)).unwrap_or_else(|e| {
        problems.push(("Latitude/Longitude", e));
        None
    });
    let line = text(&get(Field::Geometri))
        .map(|g| parse_wkt(&g))
        .transpose()
        .unwrap_or_else(|e| {
            problems.push(("Geometri", e));
            None
        });
    let geometry = line.or_else(|| pin.map(|p| format!("POINT({} {})", p.lon(), p.lat())));

    let lokasi = text(&get(Field::Lokasi));
    let mut notes = Vec::new();
    let (kelurahan, kecamatan) = locate(get, lokasi.as_deref(), pin, resolver, &mut notes)
        .unwrap_or_else(|(column, e)| {
            problems.push((column, e));
            (None, None)
        });

    let (Some(kode_sub), Some(nama_sub), Some(pagu), true) =
        (kode_sub, nama_sub, pagu, problems.is_empty())
    else {
        return Err(problems);
    };
    let uraian = text(&get(Field::Uraian));
    let indikator = text(&get(Field::Indikator));
    let place = kelurahan
        .clone()
        .or_else(|| kecamatan.clone())
        .unwrap_or_else(|| lokasi.as_deref().map(normalise_text).unwrap_or_default());
    let identity = [
        opd_kode.to_owned(),
        tahun.to_string(),
        kode_sub.clone(),
        uraian.as_deref().map(normalise_text).unwrap_or_default(),
        place,
        indikator.as_deref().map(normalise_text).unwrap_or_default(),
    ]
    .join("|");
    Ok((
        RenjaLine {
            natural_key: hex::encode(Sha256::digest(identity.as_bytes())),
            kode_program,
            nama_program: text(&get(Field::NamaProgram)),
            kode_kegiatan,
            nama_kegiatan: text(&get(Field::NamaKegiatan)),
            kode_sub,
            nama_sub,
            uraian,
            indikator,
            target: target.map(|t| t.normalize()),
            satuan_raw,
            lokasi,
            kelurahan,
            kecamatan,
            geometry,
            pagu,
            sumber_dana: text(&get(Field::SumberDana)),
        },
        notes,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_sipd_and_screen_spellings() {
        assert_eq!(field_of("kode_sub_giat"), Some(Field::KodeSub));
        assert_eq!(field_of("Nama Sub Kegiatan"), Some(Field::NamaSub));
        assert_eq!(field_of("Pagu Indikatif (Rp)"), Some(Field::Pagu));
        assert_eq!(field_of("lurahteks"), Some(Field::Kelurahan));
        assert_eq!(field_of("camatteks"), Some(Field::Kecamatan));
        assert_eq!(field_of("outputteks"), Some(Field::Indikator));
        assert_eq!(field_of("Sumber Dana"), Some(Field::SumberDana));
    }

    #[test]
    fn a_pagu_is_whole_rupiah_and_fits() {
        let mut problems = Problems::new();
        assert_eq!(
            parse_pagu(Cell::Text("Rp 1.250.000,00".into()), &mut problems),
            Some(1_250_000)
        );
        assert_eq!(
            parse_pagu(Cell::Number(Decimal::from(30_000_000)), &mut problems),
            Some(30_000_000)
        );
        assert!(problems.is_empty());
        let huge = Decimal::from(i64::MAX) * Decimal::from(10);
        assert_eq!(parse_pagu(Cell::Number(huge), &mut problems), None);
        assert_eq!(
            parse_pagu(Cell::Number(Decimal::new(15, 1)), &mut problems),
            None
        );
        assert_eq!(parse_pagu(Cell::Empty, &mut problems), None);
        assert_eq!(problems.len(), 3, "{problems:?}");
    }

    #[test]
    fn codes_locations_and_lines_are_read_or_refused() {
        assert_eq!(
            parse_code(" 1.03.10.2.01.0001 ").unwrap(),
            "1.03.10.2.01.0001"
        );
        assert_eq!(
            parse_code("X.XX.01.2.01.0001").unwrap(),
            "X.XX.01.2.01.0001"
        );
        assert!(parse_code("1..03").is_err());
        assert!(parse_code("drainase").is_err());
        assert_eq!(
            split_lokasi("Kel. Cideng, Kec. Gambir"),
            (Some("Cideng".into()), Some("Gambir".into()))
        );
        assert_eq!(split_lokasi("Kota Jakarta Pusat"), (None, None));
        let (kel, kec) = places_in_text(
            "Rehab Saluran Jl. Mawar RT 014/RW 001 Kel. Utan Panjang, Kec. Kemayoran",
        );
        assert_eq!(kel, ["Utan Panjang", "Utan"]);
        assert_eq!(kec, ["Kemayoran"]);
        let (kel, _) = places_in_text("PEMBANGUNAN SALURAN KELURAHAN KEBON KACANG RW.03");
        assert_eq!(kel, ["KEBON KACANG", "KEBON"]);
        assert_eq!(places_in_text("Pengaspalan Jl. Kenari"), (vec![], vec![]));
        assert_eq!(
            parse_wkt("linestring(106.81 -6.17, 106.82 -6.171)").unwrap(),
            "LINESTRING(106.81 -6.17, 106.82 -6.171)"
        );
        assert!(parse_wkt("POINT(-6.17 106.81)").is_err());
        assert!(parse_wkt("POLYGON((1 1, 2 2, 1 1))").is_err());
        assert!(parse_wkt("LINESTRING(106.81 -6.17)").is_err());
    }
}
