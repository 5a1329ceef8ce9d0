//! `tinjau import prices FILE --region KODE --tahun YEAR`: a regional unit-price standard.
//!
//! Two formats, told apart by their header: the SSH/SBU export
//! (`id_ssh,...,komponen,spesifikasi,satuan,harga,...,kelompok,...,tahun`, goods and services) and a
//! plain `item,spesifikasi,satuan,harga` (HSPK work prices). Prices are kept in whole rupiah; the
//! few SSH prices written with sen (medicines) are rounded, and the summary says how many.

use std::collections::HashSet;
use std::path::Path;

use geo_rules::units::normalize_unit;
use rust_decimal::RoundingStrategy;
use rust_decimal::prelude::ToPrimitive;
use sqlx::PgPool;
use survey_schema::WilayahKode;
use survey_schema::numbers::parse_money;

use super::{ImportCounts, ImportError, InputFile, RowProblem};
use crate::db;

/// What a price import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceSummary {
    pub counts: ImportCounts,
    /// `ssh` or `hspk`.
    pub source: &'static str,
    /// Prices with sen, rounded to whole rupiah.
    pub rounded: usize,
    /// Items whose unit is not one the checks compare (kept, with no normalised unit).
    pub unknown_units: usize,
}

/// Imports a price standard for one region and year. Any bad row: nothing is written.
pub async fn import(
    pool: &PgPool,
    path: &Path,
    region: &WilayahKode,
    tahun: i32,
) -> Result<PriceSummary, ImportError> {
    let file = InputFile::read(path, false)?;
    import_file(pool, file, region, tahun, &crate::audit::Actor::cli()).await
}

/// Imports a price standard from a file already read (an upload), as `actor`.
pub async fn import_file(
    pool: &PgPool,
    file: InputFile,
    region: &WilayahKode,
    tahun: i32,
    actor: &crate::audit::Actor,
) -> Result<PriceSummary, ImportError> {
    let parsed = parse(&file, tahun)?;
    let mut tx = super::begin(pool).await?;
    if db::wilayah::levels_of(&mut tx, &[region.to_string()])
        .await?
        .is_empty()
    {
        return Err(ImportError::File(format!(
            "region {region} is not in the wilayah code list (import it first with `tinjau import wilayah`)"
        )));
    }
    let (inserted, updated) = db::price::upsert(
        &mut tx,
        region.as_str(),
        tahun,
        parsed.source,
        &parsed.batch,
    )
    .await?;
    let counts = ImportCounts {
        total: parsed.batch.harga.len(),
        inserted,
        updated,
        ..ImportCounts::default()
    };
    let counts = super::finish(
        tx,
        actor,
        &format!("prices:{}", parsed.source),
        &file,
        counts,
        Vec::new(),
    )
    .await?;
    Ok(PriceSummary {
        counts,
        source: parsed.source,
        rounded: parsed.rounded,
        unknown_units: parsed.batch.units.iter().filter(|u| u.is_none()).count(),
    })
}

struct Parsed {
    source: &'static str,
    batch: db::price::PriceBatch,
    rounded: usize,
}

fn header_key(h: &str) -> String {
    h.chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase()
}

fn parse(file: &InputFile, tahun: i32) -> Result<Parsed, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(file.bytes.as_slice());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ImportError::File(format!("{}: cannot read the header: {e}", file.name)))?
        .iter()
        .map(header_key)
        .collect();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let ssh = col("idssh").is_some() && col("komponen").is_some();
    let (item_col, id_col, source) = if ssh {
        (col("komponen"), col("idssh"), "ssh")
    } else {
        (col("item"), None, "hspk")
    };
    let (Some(item_col), Some(satuan_col), Some(harga_col)) =
        (item_col, col("satuan"), col("harga"))
    else {
        return Err(ImportError::File(format!(
            "{}: expected an SSH export (id_ssh, komponen, spesifikasi, satuan, harga, ...) or the columns item,spesifikasi,satuan,harga",
            file.name
        )));
    };
    let spec_col = col("spesifikasi");
    let kelompok_col = col("kelompok");
    let tahun_col = col("tahun");

    let mut batch = db::price::PriceBatch::default();
    let mut problems = Vec::new();
    let mut rounded = 0;
    let mut seen = HashSet::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(RowProblem {
                    location: format!("line {}", e.position().map_or(0, csv::Position::line)),
                    message: e.to_string(),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, csv::Position::line);
        let unreadable =
            super::table::control_problems(&format!("line {line}"), &headers, record.iter());
        if !unreadable.is_empty() {
            problems.extend(unreadable);
            continue;
        }
        let at = |c: &str| format!("line {line}, column {c}");
        let get = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .map(str::trim)
                .unwrap_or_default()
        };
        let item = get(Some(item_col));
        if item.is_empty() {
            problems.push(RowProblem {
                location: at(if ssh { "komponen" } else { "item" }),
                message: "is empty".into(),
            });
            continue;
        }
        let harga = match parse_money(get(Some(harga_col))) {
            Ok(v) => v,
            Err(e) => {
                problems.push(RowProblem {
                    location: at("harga"),
                    message: e.to_string(),
                });
                continue;
            }
        };
        let whole = harga.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
        if whole != harga {
            rounded += 1;
        }
        let Some(harga) = whole.to_i64() else {
            problems.push(RowProblem {
                location: at("harga"),
                message: "is too large".into(),
            });
            continue;
        };
        if let Some(row_tahun) = tahun_col.map(|c| get(Some(c))).filter(|t| !t.is_empty())
            && row_tahun.parse::<i32>().ok() != Some(tahun)
        {
            problems.push(RowProblem {
                location: at("tahun"),
                message: format!("is {row_tahun}, but this import is --tahun {tahun}"),
            });
            continue;
        }
        let satuan = get(Some(satuan_col));
        let spesifikasi = get(spec_col);
        let external_id = match id_col {
            Some(c) => get(Some(c)).to_owned(),
            None => format!(
                "{}|{}|{}",
                item.to_lowercase(),
                spesifikasi.to_lowercase(),
                satuan.to_lowercase()
            ),
        };
        if !seen.insert(external_id.clone()) {
            problems.push(RowProblem {
                location: at(if ssh { "id_ssh" } else { "item" }),
                message: "repeats an earlier row".into(),
            });
            continue;
        }
        batch.external_ids.push(external_id);
        batch.items.push(item.to_owned());
        batch.spesifikasi.push(spesifikasi.to_owned());
        batch.satuan_raw.push(satuan.to_owned());
        batch
            .units
            .push(normalize_unit(satuan).map(|u| u.as_str().to_owned()));
        batch.harga.push(harga);
        batch.kelompok.push(
            Some(get(kelompok_col))
                .filter(|k| !k.is_empty())
                .map(str::to_owned),
        );
    }
    if !problems.is_empty() {
        return Err(ImportError::Rows {
            file: file.name.clone(),
            problems,
        });
    }
    if batch.harga.is_empty() {
        return Err(ImportError::File(format!("{}: has no rows", file.name)));
    }
    Ok(Parsed {
        source,
        batch,
        rounded,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(text: &str) -> InputFile {
        InputFile {
            name: "p.csv".into(),
            bytes: text.as_bytes().to_vec(),
            sha256: survey_schema::Sha256::from_bytes([0; 32]),
        }
    }

    #[test]
    fn reads_the_ssh_format_and_rounds_sen() {
        let parsed = parse(
            &input("id_ssh,jenis_rincian_objek_sub_id,komponen,spesifikasi,satuan,harga,keterangan,kelompok,opd_id,tahun\n1020,,Paving Block Warna,Paving Block Warna,M2,153490,,SSH,,2023\n4659,,Obat,Obat,Tablet,494.62,,SSH,,2023\n"),
            2023,
        )
        .unwrap();
        assert_eq!(parsed.source, "ssh");
        assert_eq!(parsed.batch.harga, [153_490, 495]);
        assert_eq!(parsed.batch.units, [Some("m2".to_owned()), None]);
        assert_eq!(parsed.rounded, 1);
    }

    #[test]
    fn reads_the_plain_format_with_indonesian_prices() {
        let parsed = parse(&input("item,spesifikasi,satuan,harga\nPemasangan paving,K-300 8 cm,m2,\"Rp 185.000,00\"\n"), 2026).unwrap();
        assert_eq!(parsed.source, "hspk");
        assert_eq!(parsed.batch.harga, [185_000]);
    }

    #[test]
    fn reports_bad_rows_and_a_wrong_year() {
        let Err(ImportError::Rows { problems, .. }) = parse(
            &input(
                "item,spesifikasi,satuan,harga,tahun\nA,,m2,abc,2026\n,,m,100,2026\nB,,m,100,2025\nC,,m,100,2026\nC,,m,200,2026\n",
            ),
            2026,
        ) else {
            panic!("expected row problems")
        };
        let locations: Vec<&str> = problems.iter().map(|p| p.location.as_str()).collect();
        assert_eq!(
            locations,
            [
                "line 2, column harga",
                "line 3, column item",
                "line 4, column tahun",
                "line 6, column item"
            ]
        );
    }
}
