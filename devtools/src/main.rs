//! `tinjau-dev`: what builds and measures Tinjau but does not ship in it. SYNTHETIC demo data with
//! planted anomalies and the measurement of the checks against it; the benchmarks; the load
//! generator. The production binary, `tinjau`, holds none of this (nor `reqwest`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// `println!` that ends the program quietly when stdout is closed (`tinjau-dev ... | head`).
macro_rules! say {
    ($($arg:tt)*) => {
        tinjau_server::cli::write_line(format_args!($($arg)*))
    };
}

#[derive(Debug, Parser)]
#[command(
    name = "tinjau-dev",
    version,
    about = "Tinjau's demo data, benchmarks and load generator (not part of the product)"
)]
struct Cli {
    /// PostgreSQL+PostGIS URL [default: the checkout's local cluster, see scripts/pg]
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Synthetic demo data with planted anomalies, and the measurement of the checks against it
    #[command(subcommand)]
    Demo(DemoCommand),
    /// Benchmarks
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Subcommand)]
enum DemoCommand {
    /// Write SYNTHETIC proposals for Jakarta (this year and the one before) and the list of planted
    /// anomalies; needs the kelurahan boundaries and (for realistic budgets) the price standards
    Generate {
        /// Directory to write into
        #[arg(long, default_value = ".local/demo")]
        out: PathBuf,
        #[arg(long, default_value_t = 2026)]
        tahun: i32,
        /// Proposals in the year under review
        #[arg(long, default_value_t = 3000)]
        count: usize,
        /// Proposals in the year before
        #[arg(long, default_value_t = 800)]
        earlier_count: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Share of proposals with a planted anomaly
        #[arg(long, default_value_t = 0.08)]
        planted_share: f64,
    },
    /// Approve (as the demo's camat, through the decision workflow) the physical proposals of a
    /// kota outside one kecamatan, and write SYNTHETIC Renja files per agency with planted
    /// covered, partial, not-planned and standalone lines; needs the agency register
    Trilateral {
        #[arg(long, default_value = ".local/demo")]
        out: PathBuf,
        #[arg(long, default_value_t = 2026)]
        tahun: i32,
        /// The kota of the desk
        #[arg(long, default_value = "31.71")]
        kota: String,
        /// A kecamatan left undecided, for the camat's own review
        #[arg(long, default_value = "31.71.01")]
        keep_undecided: String,
        #[arg(long, default_value_t = 11)]
        seed: u64,
    },
    /// Write a HELD-OUT SYNTHETIC Renja (SIPD's raw field names, planners' own wording; written
    /// apart from the demo's generator and never tuned on) of the desk's approved proposals, with
    /// its planted list; `scripts/heldout-trilateral` imports it into a copy of the demo database
    /// and measures the matching
    HeldoutRenja {
        #[arg(long, default_value = ".local/heldout")]
        out: PathBuf,
        #[arg(long, default_value_t = 2026)]
        tahun: i32,
        #[arg(long, default_value = "31.71")]
        kota: String,
        #[arg(long, default_value_t = 20_261_206)]
        seed: u64,
    },
    /// Precision and recall of the trilateral matching against the planted Renja list
    EvaluateTrilateral {
        #[arg(long, default_value_t = 2026)]
        tahun: i32,
        #[arg(long, default_value = "31.71")]
        kota: String,
        #[arg(long, default_value = ".local/demo/synthetic_renja_planted_2026.csv")]
        planted: PathBuf,
    },
    /// Precision and recall of the stored anomalies against a planted list
    Evaluate {
        #[arg(long, default_value_t = 2026)]
        tahun: i32,
        /// The planted list written by `demo generate`
        #[arg(long, default_value = ".local/demo/synthetic_planted_2026.csv")]
        planted: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Classify seeded random points in-process, with shapely and with PostGIS; print the rates
    Locate {
        /// Number of random points
        #[arg(long, default_value_t = 1_000_000)]
        points: usize,
        /// Seed of the random points
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Kelurahan polygons to classify against: a GeoJSON file (gzipped or not), or a directory
        /// of them (such as ../shared/data/boundaries/indonesia, the whole country)
        #[arg(long, default_value = "data/boundaries/dki_kelurahan.geojson")]
        boundaries: PathBuf,
        /// Where the points fall [default: jakarta-mainland for a file, feature-boxes for a
        /// directory]
        #[arg(long, value_enum)]
        spread: Option<tinjau_devtools::bench::Spread>,
        /// Measure the in-process index only
        #[arg(long)]
        skip_postgis: bool,
        /// Python with shapely 2 for the peer (scripts/bench-locate makes one); skipped when it
        /// cannot import shapely
        #[arg(long, default_value = "python3")]
        python: PathBuf,
        /// Coarse grid cell side in degrees [default: sized from the data]
        #[arg(long)]
        cell_degrees: Option<f64>,
    },
    /// How long after a kelurahan-boundary import every survey's findings are current, on a
    /// SYNTHETIC kota-sized set of surveys over the real Jakarta polygons
    Recheck {
        /// Surveys (one per proposal)
        #[arg(long, default_value_t = 10_000)]
        surveys: i64,
        /// Surveys also checked one transaction each, for comparison
        #[arg(long, default_value_t = 500)]
        one_by_one: usize,
        /// Keep the scratch database afterwards
        #[arg(long)]
        keep: bool,
    },
    /// The camat's review list over HTTP on a kota-sized synthetic data set, beside the plain SQL
    Review {
        /// Physical proposals per kecamatan (8 kecamatan of Jakarta Pusat)
        #[arg(long, default_value_t = 2000)]
        proposals: i64,
        /// Anomalies per proposal
        #[arg(long, default_value_t = 5)]
        anomalies: i64,
        /// Timed requests per query
        #[arg(long, default_value_t = 200)]
        requests: usize,
        /// Keep the scratch database afterwards
        #[arg(long)]
        keep: bool,
    },
    /// Bulk approval of one kecamatan's proposals without a finding (SYNTHETIC), against the 2 s
    /// target
    Bulk {
        /// Physical proposals in the kecamatan
        #[arg(long, default_value_t = 2000)]
        proposals: i64,
        /// Keep the scratch database afterwards
        #[arg(long)]
        keep: bool,
    },
    /// The whole city's trilateral desk on a SYNTHETIC DKI data set: load, match, view; prints the
    /// times against the 2 s target
    Trilateral {
        /// Approved proposals
        #[arg(long, default_value_t = 10_000)]
        proposals: i64,
        /// Renja lines
        #[arg(long, default_value_t = 5_000)]
        renja: i64,
        /// Timed runs
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Keep the scratch database afterwards
        #[arg(long)]
        keep: bool,
    },
    /// Lampiran II to XLSX for growing row counts: time and peak memory
    Export {
        /// Row counts to export, in order
        #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
        rows: Vec<i64>,
    },
    /// Simulated phones sync surveys and photos to a real server through dropped connections; then
    /// everything acknowledged is checked to be stored exactly once
    Ingest {
        #[arg(long, default_value_t = 64)]
        phones: usize,
        #[arg(long, default_value_t = 10)]
        surveys_per_phone: usize,
        #[arg(long, default_value_t = 2)]
        photos_per_survey: usize,
        /// Share of requests whose answer is cut off (then retried)
        #[arg(long, default_value_t = 0.1)]
        drop_rate: f64,
        /// Real JPEGs to send
        #[arg(long, default_value = "data/photos")]
        photos: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Offered surveys per second across all phones (each phone on a schedule); 0: as fast as answered
        #[arg(long, default_value_t = 0.0)]
        rate: f64,
        /// Photo size in MB: the samples re-encoded at camera resolution (synthetic pixels, real EXIF); 0: as they are
        #[arg(long, default_value_t = 0.0)]
        photo_mb: f64,
        /// Background photo workers in the server under test
        #[arg(long, default_value_t = 1)]
        photo_workers: usize,
        /// Database connections of the server under test (`tinjau serve --max-db-connections`)
        #[arg(long, default_value_t = 16)]
        db_connections: u32,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Benchmarks run slow statements on purpose: do not warn about them.
    let default_filter = match cli.command {
        Command::Bench(_) => "warn,sqlx=error",
        Command::Demo(_) => "info,sqlx=warn",
    };
    tinjau_http::telemetry::init(false, default_filter);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let explicit = cli.database_url.clone();
    let database_url = move || tinjau_http::config::resolve_database_url(explicit.as_deref());
    match cli.command {
        Command::Demo(cmd) => {
            let pool = tinjau_db::migrated_pool(&database_url()?, 2).await?;
            demo(&pool, cmd).await
        }
        Command::Bench(cmd) => bench(cmd, database_url).await,
    }
}

async fn bench(
    cmd: BenchCommand,
    database_url: impl Fn() -> anyhow::Result<String>,
) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Locate {
            points,
            seed,
            boundaries,
            spread,
            skip_postgis,
            python,
            cell_degrees,
        } => {
            let bench = tinjau_devtools::bench::LocateBench {
                points,
                seed,
                spread: spread.unwrap_or(if boundaries.is_dir() {
                    tinjau_devtools::bench::Spread::FeatureBoxes
                } else {
                    tinjau_devtools::bench::Spread::JakartaMainland
                }),
                python,
                verdict_points: points.min(200_000),
                database_url: if skip_postgis {
                    None
                } else {
                    Some(database_url()?)
                },
                cell_degrees,
            };
            tinjau_devtools::bench::run(&boundaries, &bench).await
        }
        BenchCommand::Recheck {
            surveys,
            one_by_one,
            keep,
        } => {
            tinjau_devtools::bench_recheck::recheck(&tinjau_devtools::bench_recheck::RecheckBench {
                database_url: database_url()?,
                surveys,
                one_by_one,
                keep,
            })
            .await
        }
        BenchCommand::Review {
            proposals,
            anomalies,
            requests,
            keep,
        } => {
            tinjau_devtools::bench_review::review(&tinjau_devtools::bench_review::ReviewBench {
                database_url: database_url()?,
                proposals,
                anomalies,
                requests,
                keep,
            })
            .await
        }
        BenchCommand::Bulk { proposals, keep } => {
            tinjau_devtools::bench_review::bulk(&tinjau_devtools::bench_review::BulkBench {
                database_url: database_url()?,
                proposals,
                keep,
            })
            .await
        }
        BenchCommand::Trilateral {
            proposals,
            renja,
            runs,
            keep,
        } => {
            tinjau_devtools::bench_trilateral::run(
                &tinjau_devtools::bench_trilateral::TrilateralBench {
                    database_url: database_url()?,
                    proposals,
                    renja,
                    runs,
                    keep,
                },
            )
            .await
        }
        BenchCommand::Export { rows } => {
            tinjau_devtools::bench_review::export(&tinjau_devtools::bench_review::ExportBench {
                database_url: database_url()?,
                rows,
            })
            .await
        }
        BenchCommand::Ingest {
            phones,
            surveys_per_phone,
            photos_per_survey,
            drop_rate,
            photos,
            seed,
            rate,
            photo_mb,
            photo_workers,
            db_connections,
        } => {
            let bench = tinjau_devtools::load::IngestBench {
                phones,
                surveys_per_phone,
                photos_per_survey,
                drop_rate,
                photo_dir: photos,
                database_url: database_url()?,
                seed,
                rate,
                photo_mb,
                photo_workers,
                db_connections,
            };
            tinjau_devtools::load::run(&bench).await
        }
    }
}

async fn demo(pool: &sqlx::PgPool, cmd: DemoCommand) -> anyhow::Result<()> {
    match cmd {
        DemoCommand::Generate {
            out,
            tahun,
            count,
            earlier_count,
            seed,
            planted_share,
        } => {
            let index = tinjau_workflows::locator::load(pool).await?;
            let spec = tinjau_devtools::demo::DemoSpec {
                tahun,
                count,
                earlier_count,
                seed,
                planted_share,
            };
            let paths = tinjau_devtools::demo::generate(pool, &index, &out, &spec).await?;
            for path in paths {
                say!("demo: wrote {} (SYNTHETIC)", path.display());
            }
        }
        DemoCommand::Trilateral {
            out,
            tahun,
            kota,
            keep_undecided,
            seed,
        } => {
            let approved =
                tinjau_devtools::demo_trilateral::approve(pool, &kota, tahun, &keep_undecided)
                    .await?;
            say!(
                "demo: {approved} proposals of {kota} approved as demo.camat (outside {keep_undecided})"
            );
            let w =
                tinjau_devtools::demo_trilateral::generate(pool, &out, &kota, tahun, seed).await?;
            for (opd, path) in &w.files {
                say!("demo: wrote {} for {opd} (SYNTHETIC)", path.display());
            }
            say!(
                "demo: {} approved proposals at the desk; planted list {}",
                w.approved,
                w.planted.display()
            );
        }
        DemoCommand::HeldoutRenja {
            out,
            tahun,
            kota,
            seed,
        } => {
            let (files, planted) =
                tinjau_devtools::heldout_renja::generate(pool, &out, &kota, tahun, seed).await?;
            for (opd, path) in &files {
                say!("held-out: wrote {} for {opd} (SYNTHETIC)", path.display());
            }
            say!("held-out: planted list {}", planted.display());
        }
        DemoCommand::EvaluateTrilateral {
            tahun,
            kota,
            planted,
        } => {
            let e =
                tinjau_devtools::demo_trilateral::evaluate(pool, &kota, tahun, &planted).await?;
            say!(
                "demo trilateral {kota} {tahun}: matched pairs {} of {} planted; {} correct: precision {:.1}%, recall {:.1}%",
                e.matched_pairs,
                e.planted_pairs,
                e.correct_pairs,
                100.0 * e.precision(),
                100.0 * e.recall()
            );
            say!("  planted status -> computed status:");
            for (planted, computed) in &e.statuses {
                let list: Vec<String> = computed.iter().map(|(c, n)| format!("{c} {n}")).collect();
                say!("  {planted:<12} {}", list.join(", "));
            }
            say!(
                "  standalone lines left unmatched: {} of {}",
                e.standalone_unmatched,
                e.standalone_planted
            );
        }
        DemoCommand::Evaluate { tahun, planted } => {
            let e = tinjau_devtools::demo::evaluate(pool, tahun, &planted).await?;
            say!(
                "demo {tahun}: recall of the planted anomalies (planted, found by the expected code):"
            );
            let (mut planted_total, mut found_total) = (0, 0);
            for (kind, (n, found)) in &e.recall {
                let code = tinjau_devtools::demo::PLANTED
                    .iter()
                    .find(|(k, _)| k == kind)
                    .map_or("", |(_, c)| *c);
                say!("  {kind:<12} {code:<26} {found}/{n}");
                planted_total += n;
                found_total += found;
            }
            let pct = |a: usize, b: usize| {
                if b == 0 {
                    0.0
                } else {
                    100.0 * a as f64 / b as f64
                }
            };
            say!(
                "  recall    {found_total}/{planted_total} = {:.1}%",
                pct(found_total, planted_total)
            );
            say!(
                "  precision {}/{} = {:.1}% (proposals with a warning or high anomaly that were planted)",
                e.flagged_planted,
                e.flagged,
                pct(e.flagged_planted, e.flagged)
            );
            say!(
                "  clean     {}/{} = {:.1}% of the unplanted physical proposals raise no anomaly at all",
                e.clean_without_anomaly,
                e.clean,
                pct(e.clean_without_anomaly, e.clean)
            );
        }
    }
    Ok(())
}
