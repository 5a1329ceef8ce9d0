//! `tinjau bench locate`: the in-process boundary index beside shapely 2 (the best Python peer)
//! and PostGIS, on the same seeded random points and the same polygons, in one run. Build with
//! `--release` for meaningful figures.
//!
//! shapely is measured two ways, each as it is used at its best: an STRtree over the polygons
//! queried with all points at once (`predicate="intersects"`), and, for a city-sized set, every
//! prepared polygon tested with `contains_xy` on the points inside its bounding box. PostGIS is
//! measured the way the design brief describes: the points are loaded with `COPY` into a table,
//! then classified with one `ST_Covers` join on a GIST index over the polygons; then again with a
//! GIST index on the points too. Everything lives in temporary tables of one session.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use geo_rules::{BoundaryIndex, LocateConfig, RegionInput};
use rand::{Rng, SeedableRng};
use sqlx::{Connection, PgConnection};
use survey_schema::Wgs84Point;

/// Jakarta's mainland, where the random points fall: `[min_lon, min_lat, max_lon, max_lat]`.
pub const JAKARTA_MAINLAND: [f64; 4] = [106.68, -6.38, 106.98, -6.08];

/// Where the random points fall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Spread {
    /// Uniform over Jakarta's mainland (the city benchmark).
    JakartaMainland,
    /// Each in the bounding box of a feature chosen at random (the national benchmark).
    FeatureBoxes,
}

/// What to run.
#[derive(Debug, Clone)]
pub struct LocateBench {
    pub points: usize,
    pub seed: u64,
    pub spread: Spread,
    /// Python with shapely 2, for the peer.
    pub python: PathBuf,
    /// Full verdicts (containment plus metre distances) are measured on this many points.
    pub verdict_points: usize,
    pub database_url: Option<String>,
    /// Coarse grid cell side in degrees; `None` sizes it from the data.
    pub cell_degrees: Option<f64>,
}

/// Seeded uniform points over [`JAKARTA_MAINLAND`], `[lon, lat]`.
pub fn random_points(n: usize, seed: u64) -> Vec<[f64; 2]> {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
    let [x0, y0, x1, y1] = JAKARTA_MAINLAND;
    (0..n)
        .map(|_| [rng.random_range(x0..x1), rng.random_range(y0..y1)])
        .collect()
}

/// Seeded points, each uniform in the bounding box of a region chosen uniformly at random.
pub fn points_in_boxes(index: &BoundaryIndex, n: usize, seed: u64) -> Vec<[f64; 2]> {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
    let regions = index.regions();
    if regions.is_empty() {
        return Vec::new();
    }
    (0..n)
        .map(|_| {
            let b = regions[rng.random_range(0..regions.len())].bbox;
            [rng.random_range(b[0]..=b[2]), rng.random_range(b[1]..=b[3])]
        })
        .collect()
}

fn rate(n: usize, elapsed: Duration) -> f64 {
    n as f64 / elapsed.as_secs_f64()
}

fn human(rate: f64) -> String {
    if rate >= 1e6 {
        format!("{:.2} M points/s", rate / 1e6)
    } else {
        format!("{:.0} k points/s", rate / 1e3)
    }
}

fn mb(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1e6)
}

/// Runs the benchmark and prints its figures.
pub async fn run(boundaries: &Path, bench: &LocateBench) -> anyhow::Result<()> {
    let started = Instant::now();
    let (features, closed) = tinjau_workflows::import::boundaries::read_boundary_files(boundaries)?;
    let closed = closed.len();
    println!(
        "boundaries: {} features from {} read in {:.1} s ({} ring(s) closed)",
        features.len(),
        boundaries.display(),
        started.elapsed().as_secs_f64(),
        closed
    );
    // The peers get the same polygons, as one GeoJSON geometry per line.
    let scratch = std::env::temp_dir().join(format!("tinjau-bench-locate-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let geometries = scratch.join("geometries.ndjson");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&geometries)?);
        for f in &features {
            serde_json::to_writer(&mut out, &f.geometry)?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
    }
    let inputs: Vec<RegionInput> = features
        .iter()
        .filter_map(|f| {
            RegionInput::from_geojson(
                f.kode.clone(),
                f.nama.clone().unwrap_or_default(),
                &f.geometry,
            )
        })
        .collect();
    drop(features);
    let started = Instant::now();
    let index = BoundaryIndex::build_with_cell(inputs, bench.cell_degrees)?;
    let build = started.elapsed();
    let stats = index.stats();
    let resident = |field| crate::load::status_mb("self", field).unwrap_or(0.0);
    let (rss, peak) = (resident("VmRSS:"), resident("VmHWM:"));
    println!(
        "index: {} kelurahan, {} edges, built in {:.2} s; {} coarse cells of {:.4} degrees, {} split, {} leaves, {} edges in leaves; {} on the heap (process resident {:.0} MB, peak {:.0} MB)",
        stats.regions,
        stats.edges,
        build.as_secs_f64(),
        stats.coarse_cells,
        index.cell_degrees(),
        stats.split_cells,
        stats.leaves,
        stats.leaf_edges,
        mb(stats.heap_bytes as u64),
        rss,
        peak
    );
    let points = match bench.spread {
        Spread::JakartaMainland => {
            println!(
                "points: {} seeded (seed {}) uniform over lon {}..{}, lat {}..{}",
                bench.points,
                bench.seed,
                JAKARTA_MAINLAND[0],
                JAKARTA_MAINLAND[2],
                JAKARTA_MAINLAND[1],
                JAKARTA_MAINLAND[3]
            );
            random_points(bench.points, bench.seed)
        }
        Spread::FeatureBoxes => {
            println!(
                "points: {} seeded (seed {}), each uniform in the bounding box of a feature chosen at random",
                bench.points, bench.seed
            );
            points_in_boxes(&index, bench.points, bench.seed)
        }
    };
    let points_file = scratch.join("points.f64");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&points_file)?);
        for p in &points {
            out.write_all(&p[0].to_le_bytes())?;
            out.write_all(&p[1].to_le_bytes())?;
        }
        out.flush()?;
    }

    let in_process = in_process_rates(&index, &points, bench.verdict_points)?;
    report_shapely(&bench.python, &geometries, &points_file, in_process);

    let Some(url) = &bench.database_url else {
        println!("postgis: skipped (no database)");
        let _ = std::fs::remove_dir_all(&scratch);
        return Ok(());
    };
    let mut conn = PgConnection::connect(url)
        .await
        .context("connecting to PostGIS")?;
    let postgis = postgis_rates(&mut conn, &index, &geometries, &points).await;
    let _ = std::fs::remove_dir_all(&scratch);
    let postgis = postgis?;
    println!(
        "postgis: the index built from the database (ST_AsBinary of every polygon, as the server loads it): fetch {:.2} s, parse and build {:.2} s, {:.2} s in all",
        postgis.fetch.as_secs_f64(),
        postgis.build.as_secs_f64(),
        (postgis.fetch + postgis.build).as_secs_f64()
    );
    println!(
        "postgis: COPY of the points {:.0} ms; ST_Covers join with a GIST index on the polygons: {} ({} pairs)",
        postgis.copy.as_secs_f64() * 1e3,
        human(postgis.plain),
        postgis.plain_pairs
    );
    println!(
        "postgis: the same join with a GIST index on the points too: {} ({} pairs)",
        human(postgis.indexed),
        postgis.indexed_pairs
    );
    println!(
        "ratio: in-process / PostGIS = {:.1}x (polygon index), {:.1}x (both indexed)",
        in_process / postgis.plain,
        in_process / postgis.indexed
    );
    Ok(())
}

/// Containment (best of three) and full verdicts on one core; prints both, returns the
/// containment rate.
fn in_process_rates(
    index: &BoundaryIndex,
    points: &[[f64; 2]],
    verdict_points: usize,
) -> anyhow::Result<f64> {
    // Best of three runs, one thread: the figures are per core.
    let best_of_three = |classify: &dyn Fn() -> usize| {
        let (mut best, mut pairs) = (Duration::MAX, 0);
        for _ in 0..3 {
            let started = Instant::now();
            pairs = classify();
            best = best.min(started.elapsed());
        }
        (best, pairs)
    };
    let (one_by_one, pairs) = best_of_three(&|| {
        points
            .iter()
            .map(|p| index.for_each_containing(p[0], p[1], |_| {}))
            .sum::<usize>()
    });
    println!(
        "in-process containment, one point at a time: {} on one core ({} point-kelurahan pairs, {:.1} ms)",
        human(rate(points.len(), one_by_one)),
        pairs,
        one_by_one.as_secs_f64() * 1e3
    );
    let (blocks, pairs) = best_of_three(&|| index.for_each_containing_all(points, |_, _| {}));
    let in_process = rate(points.len(), blocks);
    println!(
        "in-process containment, all points at once (in blocks of 64): {} on one core ({} pairs, {:.1} ms)",
        human(in_process),
        pairs,
        blocks.as_secs_f64() * 1e3
    );

    let verdict_points = &points[..verdict_points.min(points.len())];
    let config = LocateConfig::default();
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        for p in verdict_points {
            let point = Wgs84Point::parse(p[0], p[1])?;
            std::hint::black_box(index.locate(point, 10.0, None, &config)?);
        }
        best = best.min(started.elapsed());
    }
    println!(
        "in-process full verdict (containment + distances in m): {} on one core ({} points)",
        human(rate(verdict_points.len(), best)),
        verdict_points.len()
    );

    Ok(in_process)
}

/// Runs the shapely peer and prints its rates beside `in_process`.
fn report_shapely(python: &Path, geometries: &Path, points_file: &Path, in_process: f64) {
    match shapely_rates(python, geometries, points_file) {
        Ok(peer) => {
            println!(
                "shapely {}: STRtree query: {} ({} pairs); peak resident {}",
                peer.version,
                human(peer.strtree),
                peer.strtree_pairs,
                mb(peer.peak_bytes)
            );
            let mut best_peer = peer.strtree;
            if let (Some(r), Some(n)) = (peer.mask, peer.mask_pairs) {
                println!(
                    "shapely {}: prepared polygons, contains_xy on each bounding box's points found by a mask: {} ({} pairs)",
                    peer.version,
                    human(r),
                    n
                );
                best_peer = best_peer.max(r);
            }
            if let (Some(r), Some(n)) = (peer.prefilter, peer.prefilter_pairs) {
                println!(
                    "shapely {}: prepared polygons, contains_xy on each bounding box's points found in the points sorted by longitude: {} ({} pairs)",
                    peer.version,
                    human(r),
                    n
                );
                best_peer = best_peer.max(r);
            }
            println!(
                "ratio: in-process / best shapely = {:.1}x",
                in_process / best_peer
            );
        }
        Err(e) => println!("shapely: skipped ({e:#})"),
    }
}

/// What the shapely peer measured.
struct ShapelyRates {
    version: String,
    strtree: f64,
    strtree_pairs: u64,
    prefilter: Option<f64>,
    prefilter_pairs: Option<u64>,
    mask: Option<f64>,
    mask_pairs: Option<u64>,
    peak_bytes: u64,
}

/// Runs `devtools/peers/shapely_locate.py` on the same polygons and points.
fn shapely_rates(python: &Path, geometries: &Path, points: &Path) -> anyhow::Result<ShapelyRates> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/shapely_locate.py");
    let output = std::process::Command::new(python)
        .arg(&script)
        .arg(geometries)
        .arg(points)
        .output()
        .with_context(|| format!("running {}", python.display()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        anyhow::bail!(
            "{} {} failed: {}",
            python.display(),
            script.display(),
            stderr.lines().last().unwrap_or("no message")
        );
    }
    let v: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("reading the peer's figures")?;
    Ok(ShapelyRates {
        version: v["shapely"].as_str().unwrap_or("?").to_owned(),
        strtree: v["strtree_rate"].as_f64().unwrap_or(0.0),
        strtree_pairs: v["strtree_pairs"].as_u64().unwrap_or(0),
        prefilter: v["prefilter_rate"].as_f64(),
        prefilter_pairs: v["prefilter_pairs"].as_u64(),
        mask: v["mask_rate"].as_f64(),
        mask_pairs: v["mask_pairs"].as_u64(),
        peak_bytes: v["peak_bytes"].as_u64().unwrap_or(0),
    })
}

struct PostgisRates {
    fetch: Duration,
    build: Duration,
    copy: Duration,
    plain: f64,
    plain_pairs: i64,
    indexed: f64,
    indexed_pairs: i64,
}

// Temporary tables cannot be checked at compile time, so these statements use the unchecked
// `sqlx::query`; they are constant text with bound parameters all the same.
async fn postgis_rates(
    conn: &mut PgConnection,
    index: &BoundaryIndex,
    geometries_file: &Path,
    points: &[[f64; 2]],
) -> anyhow::Result<PostgisRates> {
    let kodes: Vec<String> = index.regions().iter().map(|r| r.kode.to_string()).collect();
    let geometries: Vec<String> = std::fs::read_to_string(geometries_file)?
        .lines()
        .map(str::to_owned)
        .collect();
    sqlx::query("DROP TABLE IF EXISTS bench_kelurahan, bench_points")
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "CREATE TEMP TABLE bench_kelurahan AS
         SELECT kode, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON(gj), 4326)), 3)) AS geom
           FROM unnest($1::text[], $2::text[]) AS t(kode, gj)",
    )
    .bind(&kodes)
    .bind(&geometries)
    .execute(&mut *conn)
    .await?;
    sqlx::query("CREATE INDEX ON bench_kelurahan USING gist (geom)")
        .execute(&mut *conn)
        .await?;
    sqlx::query("ANALYZE bench_kelurahan")
        .execute(&mut *conn)
        .await?;

    // The index as the server builds it at start, from this table instead of `boundary`.
    let started = Instant::now();
    let rows: Vec<(String, String, Vec<u8>)> = sqlx::query_as(
        "SELECT kode, '' AS nama, ST_AsBinary(geom) FROM bench_kelurahan ORDER BY kode",
    )
    .fetch_all(&mut *conn)
    .await?;
    let fetch = started.elapsed();
    let started = Instant::now();
    let rebuilt = tinjau_workflows::locator::index_from_wkb_rows(rows)?;
    let build = started.elapsed();
    anyhow::ensure!(rebuilt.len() == index.len(), "the database lost polygons");
    drop(rebuilt);

    sqlx::query("CREATE TEMP TABLE bench_points (id integer, geom geometry(Point, 4326))")
        .execute(&mut *conn)
        .await?;

    let started = Instant::now();
    let mut copy = conn
        .copy_in_raw("COPY bench_points (id, geom) FROM STDIN")
        .await?;
    let mut chunk = String::with_capacity(1 << 20);
    for (i, p) in points.iter().enumerate() {
        use std::fmt::Write as _;
        let _ = writeln!(chunk, "{i}\tSRID=4326;POINT({} {})", p[0], p[1]);
        if chunk.len() > (1 << 20) - 100 {
            copy.send(chunk.as_bytes()).await?;
            chunk.clear();
        }
    }
    copy.send(chunk.as_bytes()).await?;
    copy.finish().await?;
    let copy_time = started.elapsed();
    sqlx::query("ANALYZE bench_points")
        .execute(&mut *conn)
        .await?;

    let join =
        "SELECT count(*) FROM bench_points p JOIN bench_kelurahan k ON ST_Covers(k.geom, p.geom)";
    let started = Instant::now();
    let plain_pairs: i64 = sqlx::query_scalar(join).fetch_one(&mut *conn).await?;
    let plain = rate(points.len(), started.elapsed());

    sqlx::query("CREATE INDEX ON bench_points USING gist (geom)")
        .execute(&mut *conn)
        .await?;
    sqlx::query("ANALYZE bench_points")
        .execute(&mut *conn)
        .await?;
    let started = Instant::now();
    let indexed_pairs: i64 = sqlx::query_scalar(join).fetch_one(&mut *conn).await?;
    let indexed = rate(points.len(), started.elapsed());
    sqlx::query("DROP TABLE bench_kelurahan, bench_points")
        .execute(&mut *conn)
        .await?;
    Ok(PostgisRates {
        fetch,
        build,
        copy: copy_time,
        plain,
        plain_pairs,
        indexed,
        indexed_pairs,
    })
}
