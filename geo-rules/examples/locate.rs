//! A quick look at the index without a database or a peer: build time, size, and the containment
//! and full-verdict rates on one core (`tinjau-dev bench locate` is the benchmark of record, beside
//! shapely and PostGIS).
//!
//! `cargo run --release -p geo-rules --example locate [FILE.geojson[.gz] | DIR]`: Jakarta's 267
//! kelurahan by default with 1,000,000 points over its mainland; for a directory (such as
//! `../shared/data/boundaries/indonesia`, the whole country) the points fall in the bounding boxes
//! of features chosen at random. `CELL_DEGREES=…` sets the coarse cell.

use std::path::{Path, PathBuf};
use std::time::Instant;

use geo_rules::boundary_file::read_boundary_file;
use geo_rules::{BoundaryIndex, LocateConfig, RegionInput};
use rand::{Rng, SeedableRng};
use survey_schema::Wgs84Point;

fn read(path: &Path) -> Result<Vec<RegionInput>, Box<dyn std::error::Error>> {
    let mut files: Vec<PathBuf> = if path.is_dir() {
        std::fs::read_dir(path)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect()
    } else {
        vec![path.to_owned()]
    };
    files.sort();
    let mut inputs = Vec::new();
    for file in files
        .iter()
        .filter(|f| f.to_string_lossy().contains(".geojson"))
    {
        let reader = std::fs::File::open(file)?;
        let reader: Box<dyn std::io::Read> = if file.to_string_lossy().ends_with(".gz") {
            Box::new(flate2::read::GzDecoder::new(reader))
        } else {
            Box::new(reader)
        };
        let (features, _) = read_boundary_file(reader, "kode", true)?;
        inputs.extend(features.iter().filter_map(|f| {
            RegionInput::from_geojson(
                f.kode.clone(),
                f.nama.clone().unwrap_or_default(),
                &f.geometry,
            )
        }));
    }
    Ok(inputs)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../data/boundaries/dki_kelurahan.geojson"
            ))
        },
        PathBuf::from,
    );
    let inputs = read(&path)?;
    let cell = std::env::var("CELL_DEGREES")
        .ok()
        .and_then(|v| v.parse().ok());
    let started = Instant::now();
    let index = BoundaryIndex::build_with_cell(inputs, cell)?;
    println!(
        "built in {:.2} s: {:?}",
        started.elapsed().as_secs_f64(),
        index.stats()
    );
    let mut rng = rand::rngs::SmallRng::seed_from_u64(42);
    let points: Vec<[f64; 2]> = if path.is_dir() {
        let regions = index.regions();
        (0..1_000_000)
            .map(|_| {
                let b = regions[rng.random_range(0..regions.len())].bbox;
                [rng.random_range(b[0]..=b[2]), rng.random_range(b[1]..=b[3])]
            })
            .collect()
    } else {
        (0..1_000_000)
            .map(|_| {
                [
                    rng.random_range(106.68..106.98),
                    rng.random_range(-6.38..-6.08),
                ]
            })
            .collect()
    };
    let mut best = f64::INFINITY;
    let mut pairs = 0;
    for _ in 0..3 {
        let started = Instant::now();
        pairs = points
            .iter()
            .map(|p| index.for_each_containing(p[0], p[1], |_| {}))
            .sum::<usize>();
        best = best.min(started.elapsed().as_secs_f64());
    }
    println!(
        "containment, one point at a time: {:.2} M points/s ({pairs} pairs)",
        1.0 / best
    );
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let started = Instant::now();
        pairs = index.for_each_containing_all(&points, |_, _| {});
        best = best.min(started.elapsed().as_secs_f64());
    }
    println!(
        "containment, in blocks: {:.2} M points/s ({pairs} pairs)",
        1.0 / best
    );

    let config = LocateConfig::default();
    let (inside, outside): (Vec<[f64; 2]>, Vec<[f64; 2]>) = points[..200_000]
        .iter()
        .partition(|p| index.for_each_containing(p[0], p[1], |_| {}) > 0);
    let mut total = 0.0;
    for (name, set) in [("in a kelurahan", &inside), ("in none", &outside)] {
        let started = Instant::now();
        for p in set {
            let point = Wgs84Point::parse(p[0], p[1])?;
            std::hint::black_box(index.locate(point, 10.0, None, &config)?);
        }
        let elapsed = started.elapsed().as_secs_f64();
        total += elapsed;
        println!(
            "full verdict, {} points {name}: {:.0} ns each",
            set.len(),
            elapsed * 1e9 / set.len().max(1) as f64
        );
    }
    println!("full verdict: {:.2} M points/s", 0.2 / total);
    Ok(())
}
