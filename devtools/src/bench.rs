//! `tinjau bench locate`: the in-process boundary index against PostGIS, on the same seeded random
//! points and the same polygons, in one run. Build with `--release` for meaningful figures.
//!
//! PostGIS is measured the way the design brief describes: the points are loaded with `COPY` into a
//! table, then classified with one `ST_Covers` join on a GIST index over the polygons; then again
//! with a GIST index on the points too. Everything lives in temporary tables of one session.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use geo_rules::{BoundaryIndex, LocateConfig, parse_boundary_file};
use rand::{Rng, SeedableRng};
use sqlx::{Connection, PgConnection};
use survey_schema::Wgs84Point;

/// Jakarta's mainland, where the random points fall: `[min_lon, min_lat, max_lon, max_lat]`.
pub const JAKARTA_MAINLAND: [f64; 4] = [106.68, -6.38, 106.98, -6.08];

/// What to run.
#[derive(Debug, Clone)]
pub struct LocateBench {
    pub points: usize,
    pub seed: u64,
    /// Full verdicts (containment plus metre distances) are measured on this many points.
    pub verdict_points: usize,
    pub database_url: Option<String>,
    /// Grid cell side in degrees; `None` sizes it from the data.
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

/// Runs the benchmark and prints its figures.
pub async fn run(boundaries: &Path, bench: &LocateBench) -> anyhow::Result<()> {
    let bytes =
        std::fs::read(boundaries).with_context(|| format!("reading {}", boundaries.display()))?;
    let features = parse_boundary_file(&bytes, "kode")?;
    let started = Instant::now();
    let index = BoundaryIndex::from_features_with_cell(&features, bench.cell_degrees)?;
    println!(
        "index: {} kelurahan from {}, built in {:.1} ms (grid cell {:.4} degrees)",
        index.len(),
        boundaries.display(),
        started.elapsed().as_secs_f64() * 1e3,
        index.cell_degrees()
    );
    let points = random_points(bench.points, bench.seed);
    println!(
        "points: {} seeded (seed {}) uniform over lon {}..{}, lat {}..{}",
        points.len(),
        bench.seed,
        JAKARTA_MAINLAND[0],
        JAKARTA_MAINLAND[2],
        JAKARTA_MAINLAND[1],
        JAKARTA_MAINLAND[3]
    );

    // Best of three runs, one thread: the figure the issue asks for is per core.
    let mut best = Duration::MAX;
    let mut pairs = 0;
    for _ in 0..3 {
        let started = Instant::now();
        pairs = points
            .iter()
            .map(|p| index.for_each_containing(p[0], p[1], |_| {}))
            .sum::<usize>();
        best = best.min(started.elapsed());
    }
    let in_process = rate(points.len(), best);
    println!(
        "in-process containment: {} on one core ({} point-kelurahan pairs, {:.1} ms)",
        human(in_process),
        pairs,
        best.as_secs_f64() * 1e3
    );

    let verdict_points = &points[..bench.verdict_points.min(points.len())];
    let config = LocateConfig::default();
    let started = Instant::now();
    for p in verdict_points {
        let point = Wgs84Point::parse(p[0], p[1])?;
        std::hint::black_box(index.locate(point, 10.0, None, &config)?);
    }
    println!(
        "in-process full verdict (containment + distances in m): {} on one core ({} points)",
        human(rate(verdict_points.len(), started.elapsed())),
        verdict_points.len()
    );

    let Some(url) = &bench.database_url else {
        println!("postgis: skipped (no database)");
        return Ok(());
    };
    let mut conn = PgConnection::connect(url)
        .await
        .context("connecting to PostGIS")?;
    let postgis = postgis_rates(&mut conn, &bytes, &points).await?;
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

struct PostgisRates {
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
    boundaries: &[u8],
    points: &[[f64; 2]],
) -> anyhow::Result<PostgisRates> {
    let root: serde_json::Value = serde_json::from_slice(boundaries)?;
    let (mut kodes, mut geometries) = (Vec::new(), Vec::new());
    for feature in root["features"].as_array().into_iter().flatten() {
        kodes.push(
            feature["properties"]["kode"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
        geometries.push(feature["geometry"].to_string());
    }
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
        copy: copy_time,
        plain,
        plain_pairs,
        indexed,
        indexed_pairs,
    })
}
