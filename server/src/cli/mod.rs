//! The `tinjau` command line. Every command finds the project's local cluster when run inside the
//! checkout; `--database-url` / `DATABASE_URL` points it elsewhere.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use survey_schema::WilayahLevel;

use tinjau_http::config::{self, Settings};

/// `println!` that ends the program quietly when stdout is closed (`tinjau ... | head`).
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::write_line(format_args!($($arg)*))
    };
}

mod accounts;
mod backup;
mod field;
mod forum;
mod imports;
mod review;
mod serving;

use accounts::{add_user, read_password, token};
use imports::{analyze, run_import};
use serving::{index_from_file, locate, serve};

/// One line on stdout; ends the program quietly when stdout is closed (`... | head`).
pub fn write_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{args}").and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: writing to standard output: {e}");
        std::process::exit(1);
    }
}
use tinjau_http::startup::{Application, shutdown_signal};
use tinjau_workflows::analysis::SurveyRecheck;
use tinjau_workflows::import;
use tinjau_workflows::ingest::openrosa::settings as odk_settings;

#[derive(Debug, Parser)]
#[command(
    name = "tinjau",
    version,
    about = "Field checks before the Musrenbang Kecamatan"
)]
struct Cli {
    /// PostgreSQL+PostGIS URL [default: the checkout's local cluster, see scripts/pg]
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    /// Log format: text or json
    #[arg(long, env = "TINJAU_LOG_FORMAT", global = true, default_value = "text")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP API
    Serve(Box<ServeArgs>),
    /// Apply pending database migrations
    Migrate,
    /// Import reference data (all-or-nothing; re-importing the same file changes nothing)
    #[command(subcommand)]
    Import(ImportCommand),
    /// The activity catalogue (how proposals are recognised and priced)
    #[command(subcommand)]
    Catalogue(CatalogueCommand),
    /// Re-run every proposal check and store the anomalies
    Analyze,
    /// User accounts
    #[command(subcommand)]
    User(UserCommand),
    /// Device tokens (what phones and scripts authenticate with)
    #[command(subcommand)]
    Token(TokenCommand),
    /// Locate points: a GeoJSON FeatureCollection of Points in, the same on stdout with loc_status,
    /// loc_kode, loc_kodes, loc_nearest_kode and loc_distance_m (metres) added to each feature
    Locate(LocateArgs),
    /// The camat's review: the list, decisions, Kirim
    #[command(subcommand)]
    Review(review::ReviewCommand),
    /// The forum record (what the Berita Acara needs besides the decisions)
    #[command(subcommand)]
    Forum(forum::ForumCommand),
    /// The technical team's work: assignments, surveys sent back or voided
    #[command(subcommand)]
    Field(field::FieldCommand),
    /// The audit trail
    #[command(subcommand)]
    Audit(review::AuditCommand),
    /// Back up the database and the photos together: a pg_dump of one snapshot, the photos not
    /// yet in DIR copied, a manifest with the audit chain's head, every table's rows and every
    /// photo's SHA-256 (run as the database's owner)
    Backup(backup::BackupArgs),
    /// Restore a backup (DIR/<time>) into an empty database and store, then verify it: the audit
    /// chain, every table's rows, every photo's bytes; with --check, only check the backup's files
    Restore(backup::RestoreArgs),
    /// Print the OpenAPI document
    Openapi,
}

#[derive(Debug, Args)]
struct LocateArgs {
    /// GeoJSON FeatureCollection of Points; - reads standard input
    points: PathBuf,
    /// Kelurahan boundaries, a GeoJSON FeatureCollection with `kode` and `nama`, gzipped or not,
    /// or a directory of such files (the whole country's 38); a ring that does not end where it
    /// starts is closed and named on standard error [default: the boundaries in the database]
    #[arg(long)]
    boundaries: Option<PathBuf>,
    /// Property holding the kelurahan code the point is claimed to be in
    #[arg(long, default_value = "kode")]
    claimed_property: String,
    /// Property holding the fix's accuracy in metres (absent: 0)
    #[arg(long, default_value = "accuracy_m")]
    accuracy_property: String,
    /// Metres added to the accuracy before a point near a boundary is `borderline`
    #[arg(long, default_value_t = 10.0)]
    tolerance_m: f64,
    /// A point in no kelurahan within this many metres of one is a `gap`, beyond it `outside`
    #[arg(long, default_value_t = 250.0)]
    gap_distance_m: f64,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user with a role and its area
    Add {
        /// Login name: letters, digits and . _ @ -, 2 to 64 characters
        #[arg(long)]
        name: String,
        /// admin, camat, surveyor, lurah or opd
        #[arg(long)]
        role: survey_schema::Role,
        /// The area: a kecamatan for camat and surveyor, a kelurahan for lurah, a kota/provinsi (or
        /// nothing: everything) for opd, nothing for admin
        #[arg(long)]
        wilayah: Option<survey_schema::WilayahKode>,
        /// Read a password from the first line of standard input (hashed with argon2id)
        #[arg(long)]
        password_stdin: bool,
        /// For an opd account: the agency (register kode) it plans for; without, the account is
        /// Bappeda's (every agency of its area)
        #[arg(long)]
        opd: Option<String>,
    },
    /// Set a user's password for the web pages, read from the first line of standard input
    Password {
        #[arg(long)]
        name: String,
    },
    /// Put a surveyor in a team the camat can assign work to (without --team: out of any)
    Team {
        #[arg(long)]
        name: String,
        #[arg(long)]
        team: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Issue a device token for a user; prints it once, with a QR code a phone can scan
    Issue {
        #[arg(long)]
        user: String,
        /// What the token is for, e.g. the phone's name
        #[arg(long, default_value = "")]
        label: String,
        /// Print the token only (for scripts)
        #[arg(long)]
        no_qr: bool,
        /// Print the ODK Collect / KoboCollect settings QR code instead (and write it as a PNG)
        #[arg(long)]
        odk: bool,
        /// With --odk: the server's address as phones reach it
        #[arg(
            long,
            env = "TINJAU_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        url: String,
        /// With --odk: the kecamatan (project) code; by default the user's own kecamatan
        #[arg(long)]
        kecamatan: Option<String>,
        /// With --odk: where to write the PNG (default: odk-USER.png)
        #[arg(long)]
        png: Option<PathBuf>,
    },
    /// Revoke a user's tokens (all of them, or the one with --id)
    Revoke {
        #[arg(long)]
        user: String,
        #[arg(long)]
        id: Option<i64>,
    },
}

#[derive(Debug, Subcommand)]
enum CatalogueCommand {
    /// Write the catalogue as CSV to standard output
    Export,
    /// Insert or update catalogue rows from a CSV in the export's format; then re-runs the checks
    Import { file: PathBuf },
}

/// Where the photos are: a directory, or an S3 bucket (as `tinjau serve` is told).
#[derive(Debug, Args)]
struct StorageArgs {
    /// Directory for stored objects (photos) [default: <checkout>/.local/storage]
    #[arg(long, env = "TINJAU_STORAGE_DIR")]
    storage_dir: Option<PathBuf>,
    /// Store photos in this S3 bucket instead of the storage directory (credentials from the usual
    /// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY variables)
    #[arg(long, env = "TINJAU_S3_BUCKET")]
    s3_bucket: Option<String>,
    /// S3-compatible endpoint, e.g. http://127.0.0.1:59000 [default: AWS]
    #[arg(long, env = "TINJAU_S3_ENDPOINT")]
    s3_endpoint: Option<String>,
    /// S3 region
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    s3_region: String,
    /// Use virtual-host-style URLs (AWS) instead of path-style (most S3-compatible servers)
    #[arg(long)]
    s3_virtual_host: bool,
}

impl StorageArgs {
    fn s3(&self) -> Option<tinjau_workflows::storage::S3Settings> {
        self.s3_bucket
            .clone()
            .map(|bucket| tinjau_workflows::storage::S3Settings {
                bucket,
                endpoint: self.s3_endpoint.clone(),
                region: self.s3_region.clone(),
                path_style: !self.s3_virtual_host,
                credentials: None,
            })
    }

    fn dir(&self) -> PathBuf {
        self.storage_dir
            .clone()
            .unwrap_or_else(config::default_storage_dir)
    }

    /// Opens the store these settings name.
    async fn open(&self) -> anyhow::Result<tinjau_workflows::storage::Storage> {
        let dir = self.dir();
        match self.s3() {
            Some(s3) => tinjau_workflows::storage::Storage::open_s3(&dir, &s3).await,
            None => tinjau_workflows::storage::Storage::open(&dir).await,
        }
    }
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on
    #[arg(long, env = "TINJAU_BIND", default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Port to listen on (0 picks a free one)
    #[arg(long, env = "TINJAU_PORT", default_value_t = 8080)]
    port: u16,
    #[command(flatten)]
    storage: StorageArgs,
    /// Size of the database connection pool
    #[arg(long, env = "TINJAU_DB_MAX_CONNECTIONS", default_value_t = 10)]
    max_db_connections: u32,
    /// Seconds before a request is answered with 408
    #[arg(long, env = "TINJAU_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    request_timeout_secs: u64,
    /// Seconds a client has to send a request's line and headers before its connection is closed
    #[arg(long, env = "TINJAU_HEADER_TIMEOUT_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout_secs: u64,
    /// The slowest upload accepted, in bytes per second: a photo, an OpenRosa POST or an import
    /// file has the request timeout plus its size at this pace before a 408 (a 5 MB photo at the
    /// default 8 KiB/s: about 11 minutes); a tus upload keeps what arrived and resumes
    #[arg(long, env = "TINJAU_UPLOAD_MIN_RATE", default_value_t = 8 * 1024,
          value_parser = clap::value_parser!(u64).range(1..))]
    upload_min_rate: u64,
    /// Hours an unfinished tus upload is kept without a new part before it expires
    #[arg(long, env = "TINJAU_TUS_EXPIRY_HOURS", default_value_t = 24,
          value_parser = clap::value_parser!(u64).range(1..))]
    tus_expiry_hours: u64,
    /// Background workers decoding received photos (thumbnails, perceptual hashes); each holds at
    /// most one decoded picture in memory. 0: none in this instance (another instance sharing the
    /// database does that work)
    #[arg(long, env = "TINJAU_PHOTO_WORKERS", default_value_t = 1)]
    photo_workers: usize,
    /// Do not apply migrations at start-up
    #[arg(long)]
    no_migrate: bool,
    /// Token that opens the admin API (Authorization: Bearer ...); unset disables it
    #[arg(long, env = "TINJAU_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Token a Prometheus scraper sends for /metrics on the main address (Authorization: Bearer
    /// ...); unset: no /metrics there
    #[arg(long, env = "TINJAU_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// Serve /metrics without a token on an address of its own, e.g. 127.0.0.1:9464
    #[arg(long, env = "TINJAU_METRICS_BIND")]
    metrics_bind: Option<std::net::SocketAddr>,
    /// What the OpenRosa HEAD announces as X-OpenRosa-Accept-Content-Length: ODK Collect splits a
    /// submission into POSTs of at most this many bytes
    #[arg(long, env = "TINJAU_OPENROSA_ACCEPT_BYTES", default_value_t = tinjau_http::routes::openrosa::DEFAULT_ACCEPT_BYTES,
          value_parser = clap::value_parser!(u64).range(100_000..))]
    openrosa_accept_bytes: u64,
    /// The address phones reach this server at, e.g. https://tinjau.example.go.id: the OpenRosa
    /// download URLs are built on it [default: each request's Host]
    #[arg(long, env = "TINJAU_PUBLIC_URL")]
    public_url: Option<String>,
    /// A basemap tile URL for the web maps, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png
    /// [default: none, the kelurahan polygons on a plain background, which needs no internet]
    #[arg(long, env = "TINJAU_BASEMAP_URL")]
    basemap_url: Option<String>,
    /// The year the phones survey (the current Musrenbang's planning year) [default: per area, the
    /// newest year with a physical proposal]
    #[arg(long, env = "TINJAU_SURVEY_TAHUN", value_parser = clap::value_parser!(i32).range(2000..=2100))]
    survey_tahun: Option<i32>,
    /// The built guides served at /bantuan/ (scripts/docs makes docs/book) [default: the checkout's
    /// docs/book, else /usr/share/tinjau/bantuan]
    #[arg(long, env = "TINJAU_DOCS_DIR")]
    docs_dir: Option<PathBuf>,
    /// The Ed25519 key file the audit log's tree heads are signed with, made on first use; every
    /// instance on one database uses the same file [default: audit-ed25519.key in the storage
    /// directory]
    #[arg(long, env = "TINJAU_AUDIT_KEY")]
    audit_key: Option<PathBuf>,
    /// Do not run the audit log's sequencer in this instance (another instance on the database does)
    #[arg(long)]
    no_audit_sequencer: bool,
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// The official Kemendagri code list, CSV with columns kode,nama,level
    Wilayah {
        file: PathBuf,
        #[command(flatten)]
        progress: ProgressArgs,
    },
    /// Proposals (usulan), CSV or XLSX with the Berita Acara Form 3 or SIPD columns; then re-runs
    /// the checks
    Proposals {
        file: PathBuf,
        /// The year of the proposals (the forum's planning year)
        #[arg(long)]
        tahun: i32,
        /// Import the good rows and write the rejected ones to a CSV with a reason column
        #[arg(long)]
        skip_invalid: bool,
        /// Where the rejected rows go [default: <file stem>.rejected.csv]
        #[arg(long)]
        rejected: Option<PathBuf>,
        /// Match kelurahan names only within this area (kota or kecamatan code)
        #[arg(long)]
        wilayah: Option<survey_schema::WilayahKode>,
    },
    /// An agency's work plan (Renja), CSV or XLSX with SIPD's columns: kode and name of program,
    /// kegiatan and sub-kegiatan, indikator, target, satuan, lokasi (kelurahan/kecamatan, optional
    /// point or line), pagu indikatif
    Renja {
        file: PathBuf,
        /// The agency: its register kode or a name it is known by (`tinjau import opd` registers them)
        #[arg(long)]
        opd: String,
        /// The plan's year
        #[arg(long)]
        tahun: i32,
        /// Import the good rows and write the rejected ones to a CSV with a reason column
        #[arg(long)]
        skip_invalid: bool,
        /// Where the rejected rows go [default: <file stem>.rejected.csv]
        #[arg(long)]
        rejected: Option<PathBuf>,
        /// Match kelurahan names only within this area [default: the agency's kota]
        #[arg(long)]
        wilayah: Option<survey_schema::WilayahKode>,
    },
    /// The agency register: kode,nama[,singkatan,kota,alias] (aliases separated by |: the SKPD
    /// tujuan spellings proposals use)
    Opd { file: PathBuf },
    /// Old names of kelurahan that files still write: kode,nama_lama
    WilayahAlias { file: PathBuf },
    /// A regional unit-price standard: the SSH export, or item,spesifikasi,satuan,harga (HSPK); then
    /// re-runs the checks
    Prices {
        file: PathBuf,
        /// The region the standard is set for (a kota/kabupaten or provinsi code)
        #[arg(long)]
        region: survey_schema::WilayahKode,
        /// The year of the standard
        #[arg(long)]
        tahun: i32,
    },
    /// Area polygons, a GeoJSON FeatureCollection with a `kode` property per feature
    Boundaries {
        /// A GeoJSON FeatureCollection, or the same gzipped (.geojson.gz)
        file: PathBuf,
        /// The level of every feature: kelurahan, kecamatan, kota or provinsi
        #[arg(long)]
        level: WilayahLevel,
        /// Repair what the national polygons need and list each repair, instead of refusing the
        /// file: close a ring that does not end where it starts (adding its first position at its
        /// end) and make an invalid polygon valid with PostGIS's ST_MakeValid; every other problem
        /// still refuses the file
        #[arg(long, alias = "close-rings")]
        repair: bool,
        #[command(flatten)]
        progress: ProgressArgs,
    },
}

#[derive(Debug, Args)]
struct ProgressArgs {
    /// Do not draw progress bars
    #[arg(long)]
    no_progress: bool,
}

/// Parses the arguments, runs the command, and maps failure to exit code 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tinjau_http::telemetry::init(
        matches!(cli.log_format, LogFormat::Json),
        "info,sqlx=warn,tower_http=info",
    );
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
    if let Command::Openapi = cli.command {
        say!(
            "{}",
            serde_json::to_string_pretty(&tinjau_http::routes::openapi())?
        );
        return Ok(());
    }
    let database_url = || config::resolve_database_url(cli.database_url.as_deref());
    match cli.command {
        Command::Serve(args) => serve(database_url()?, *args).await,
        Command::Migrate => {
            tinjau_workflows::database::migrate(&database_url()?).await?;
            say!("migrations: up to date");
            Ok(())
        }
        Command::Import(cmd) => {
            let pool = tinjau_workflows::database::migrated_pool(&database_url()?, 2).await?;
            run_import(&pool, cmd).await
        }
        Command::Catalogue(cmd) => {
            let pool = tinjau_workflows::database::migrated_pool(&database_url()?, 2).await?;
            match cmd {
                CatalogueCommand::Export => {
                    import::catalogue::export(&pool, std::io::stdout().lock()).await
                }
                CatalogueCommand::Import { file } => {
                    let c = import::catalogue::import(&pool, &file).await?;
                    say!(
                        "catalogue: {} rows from {}: {} changed",
                        c.total,
                        file.display(),
                        c.updated
                    );
                    analyze(&pool, SurveyRecheck::None).await
                }
            }
        }
        Command::User(UserCommand::Password { name }) => {
            let pool = tinjau_workflows::database::migrated_pool(&database_url()?, 2).await?;
            let found = tinjau_workflows::accounts::user_by_name(&pool, &name)
                .await?
                .with_context(|| format!("no active user named '{name}'"))?;
            tinjau_workflows::accounts::admin::reset_password(
                &pool,
                &tinjau_workflows::audit::Actor::cli(),
                found.id,
                &read_password()?,
            )
            .await
            .map_err(review::console)?;
            say!("password of {name} set; its web sessions ended");
            Ok(())
        }
        Command::User(UserCommand::Team { name, team }) => {
            let pool = tinjau_workflows::database::migrated_pool(&database_url()?, 2).await?;
            let found = tinjau_workflows::accounts::user_by_name(&pool, &name)
                .await?
                .with_context(|| format!("no active user named '{name}'"))?;
            tinjau_workflows::accounts::set_team(
                &pool,
                &tinjau_workflows::audit::Actor::cli(),
                found.id,
                team.as_deref(),
            )
            .await
            .map_err(review::console)?;
            say!("{name}: team {}", team.as_deref().unwrap_or("(none)"));
            Ok(())
        }
        Command::User(UserCommand::Add {
            name,
            role,
            wilayah,
            password_stdin,
            opd,
        }) => add_user(&database_url()?, name, role, wilayah, password_stdin, opd).await,
        Command::Token(cmd) => {
            let pool = tinjau_workflows::database::migrated_pool(&database_url()?, 2).await?;
            token(&pool, cmd).await
        }
        Command::Analyze => {
            let pool = tinjau_workflows::database::migrated_pool(&database_url()?, 2).await?;
            analyze(&pool, SurveyRecheck::All).await
        }
        Command::Locate(args) => {
            let index = if let Some(file) = &args.boundaries {
                index_from_file(file)?
            } else {
                let pool = tinjau_workflows::database::connect(&database_url()?, 2).await?;
                tinjau_workflows::locator::load(&pool).await?
            };
            anyhow::ensure!(
                !index.is_empty(),
                "no kelurahan boundaries to locate against: give --boundaries FILE or import them"
            );
            locate(&args, &index)
        }
        Command::Review(cmd) => {
            let pool = tinjau_workflows::database::migrated_pool(&database_url()?, 2).await?;
            review::review(&pool, cmd).await
        }
        Command::Field(cmd) => {
            let pool = tinjau_workflows::database::migrated_pool(&database_url()?, 2).await?;
            field::run(&pool, cmd).await
        }
        Command::Forum(cmd) => {
            let pool = tinjau_workflows::database::migrated_pool(&database_url()?, 2).await?;
            forum::forum(&pool, cmd).await
        }
        Command::Audit(cmd) => {
            let pool = tinjau_workflows::database::migrated_pool(&database_url()?, 2).await?;
            if review::audit(&pool, cmd).await? {
                Ok(())
            } else {
                anyhow::bail!("the audit trail is broken (see above)")
            }
        }
        Command::Backup(args) => backup::backup(&database_url()?, args).await,
        Command::Restore(args) => backup::restore(&database_url()?, args).await,
        Command::Openapi => Ok(()),
    }
}
