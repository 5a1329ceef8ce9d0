//! Offline map tiles for areas without signal: a kecamatan's tiles from a tile server the operator
//! names (none is built in), packed into one MBTiles file (SQLite, the format ODK Collect reads as
//! an offline layer) that the phones get with the form. The file is written beside its MD5 so the
//! manifest need not read it to say whether it changed.

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::{Connection, SqliteConnection};
use survey_schema::WilayahKode;

use crate::db;

/// The most tiles one package may hold by default: a kecamatan at street zooms needs a few hundred
/// to a few thousand; more means a wrong area or zoom, and a tile server's patience is not ours to
/// spend.
pub const MAX_TILES: u64 = 20_000;

/// The file name the phones get.
pub const ATTACHMENT: &str = "peta.mbtiles";

/// Where a kecamatan's package is kept under the storage directory.
pub fn path_for(storage_dir: &Path, kecamatan: &WilayahKode) -> PathBuf {
    storage_dir
        .join("tiles")
        .join(format!("{kecamatan}.mbtiles"))
}

/// The MD5 written beside a package (`<file>.md5`), if the package is there.
pub fn md5_of(package: &Path) -> Option<String> {
    if !package.is_file() {
        return None;
    }
    std::fs::read_to_string(package.with_extension("mbtiles.md5"))
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| s.len() == 32)
}

/// What to package.
#[derive(Debug, Clone)]
pub struct TileJob {
    pub kecamatan: WilayahKode,
    /// `https://host/{z}/{x}/{y}.png`: XYZ tiles.
    pub source: String,
    pub zooms: RangeInclusive<u8>,
    pub out: PathBuf,
    /// Credit the tile server asks for, stored in the file's metadata.
    pub attribution: Option<String>,
    /// Refuse a package of more tiles than this.
    pub max_tiles: u64,
}

/// What a package holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packaged {
    pub tiles: u64,
    pub bytes: u64,
    /// Tiles the server did not have (404): the map shows nothing there.
    pub missing: u64,
}

/// Packages the kecamatan's tiles; `progress(done, total)` after each tile.
///
/// # Errors
/// No boundaries for the kecamatan, a source without `{z}`, `{x}` and `{y}`, more than
/// `max_tiles` tiles, a tile server that keeps failing, or the file cannot be written. Nothing is
/// left half-written: the package appears only when complete.
pub async fn package(
    pool: &sqlx::PgPool,
    job: &TileJob,
    progress: impl Fn(u64, u64),
) -> anyhow::Result<Packaged> {
    if !["{z}", "{x}", "{y}"].iter().all(|p| job.source.contains(p))
        || !(job.source.starts_with("http://") || job.source.starts_with("https://"))
    {
        anyhow::bail!(
            "the tile source must be an http(s) URL with {{z}}, {{x}} and {{y}}, e.g. https://tiles.example/{{z}}/{{x}}/{{y}}.png"
        );
    }
    if *job.zooms.end() > 19 || job.zooms.is_empty() {
        anyhow::bail!("zoom levels run from 0 to 19, the first not above the last");
    }
    let Some(bbox) = db::field_work::area_bbox(pool, job.kecamatan.as_str()).await? else {
        anyhow::bail!(
            "no kelurahan boundaries are loaded within {}: import them first",
            job.kecamatan
        );
    };
    let total = geo_rules::tiles::count(bbox, job.zooms.clone());
    if total > job.max_tiles {
        anyhow::bail!(
            "{total} tiles for {} at zoom {}-{}: more than {}; choose fewer zoom levels",
            job.kecamatan,
            job.zooms.start(),
            job.zooms.end(),
            job.max_tiles
        );
    }
    if let Some(dir) = job.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let partial = job.out.with_extension("mbtiles.partial");
    let _ = std::fs::remove_file(&partial);
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&partial)
        .create_if_missing(true);
    let mut conn = SqliteConnection::connect_with(&options).await?;
    let result = fill(&mut conn, job, bbox, total, &progress).await;
    conn.close().await?;
    let packaged = match result {
        Ok(p) => p,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    let md5 = hex::encode(<md5::Md5 as md5::Digest>::digest(std::fs::read(&partial)?));
    std::fs::write(job.out.with_extension("mbtiles.md5"), &md5)?;
    std::fs::rename(&partial, &job.out)?;
    Ok(packaged)
}

async fn fill(
    conn: &mut SqliteConnection,
    job: &TileJob,
    bbox: [f64; 4],
    total: u64,
    progress: &impl Fn(u64, u64),
) -> anyhow::Result<Packaged> {
    sqlx::raw_sql(
        "CREATE TABLE metadata (name TEXT, value TEXT);
         CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
         CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);",
    )
    .execute(&mut *conn)
    .await?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .user_agent(concat!(
            "Tinjau/",
            env!("CARGO_PKG_VERSION"),
            " (offline tiles)"
        ))
        .build()?;
    let mut tx = conn.begin().await?;
    let mut done = Packaged {
        tiles: 0,
        bytes: 0,
        missing: 0,
    };
    let mut format = None;
    for z in job.zooms.clone() {
        for (x, y) in geo_rules::tiles::covering(bbox, z) {
            let url = job
                .source
                .replace("{z}", &z.to_string())
                .replace("{x}", &x.to_string())
                .replace("{y}", &y.to_string());
            match fetch(&client, &url).await? {
                Some((bytes, kind)) => {
                    format.get_or_insert(kind);
                    done.bytes += bytes.len() as u64;
                    done.tiles += 1;
                    sqlx::query(
                        "INSERT INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?, ?, ?, ?)",
                    )
                    .bind(i64::from(z))
                    .bind(i64::from(x))
                    .bind(i64::from(geo_rules::tiles::tms_row(y, z)))
                    .bind(bytes)
                    .execute(&mut *tx)
                    .await?;
                }
                None => done.missing += 1,
            }
            progress(done.tiles + done.missing, total);
        }
    }
    let bounds = format!("{},{},{},{}", bbox[0], bbox[1], bbox[2], bbox[3]);
    let centre = format!(
        "{},{},{}",
        f64::midpoint(bbox[0], bbox[2]),
        f64::midpoint(bbox[1], bbox[3]),
        job.zooms.start()
    );
    for (name, value) in [
        ("name", format!("Tinjau {}", job.kecamatan)),
        ("format", format.unwrap_or("png").to_owned()),
        ("type", "baselayer".to_owned()),
        ("version", "1".to_owned()),
        (
            "description",
            format!("Offline map of kecamatan {}", job.kecamatan),
        ),
        ("bounds", bounds),
        ("center", centre),
        ("minzoom", job.zooms.start().to_string()),
        ("maxzoom", job.zooms.end().to_string()),
        ("attribution", job.attribution.clone().unwrap_or_default()),
    ] {
        sqlx::query("INSERT INTO metadata (name, value) VALUES (?, ?)")
            .bind(name)
            .bind(value)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(done)
}

/// One tile: its bytes and format, `None` when the server has none (404); other failures are
/// tried again twice, a second apart.
async fn fetch(
    client: &reqwest::Client,
    url: &str,
) -> anyhow::Result<Option<(Vec<u8>, &'static str)>> {
    let mut last = None;
    for attempt in 0..3 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        match client.get(url).send().await {
            Ok(r) if r.status() == reqwest::StatusCode::NOT_FOUND => return Ok(None),
            Ok(r) if r.status().is_success() => {
                let kind = match r
                    .headers()
                    .get(reqwest::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                {
                    Some(t) if t.contains("jpeg") => "jpg",
                    Some(t) if t.contains("webp") => "webp",
                    _ => "png",
                };
                return Ok(Some((r.bytes().await?.to_vec(), kind)));
            }
            Ok(r) => last = Some(format!("{url}: HTTP {}", r.status())),
            Err(e) => last = Some(format!("{url}: {e}")),
        }
    }
    anyhow::bail!(
        "the tile server keeps failing: {}",
        last.unwrap_or_default()
    )
}
