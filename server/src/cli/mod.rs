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

mod review;

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
    Serve(ServeArgs),
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
    /// The audit trail
    #[command(subcommand)]
    Audit(review::AuditCommand),
    /// Print the OpenAPI document
    Openapi,
}

#[derive(Debug, Args)]
struct LocateArgs {
    /// GeoJSON FeatureCollection of Points; - reads standard input
    points: PathBuf,
    /// Kelurahan boundaries, a GeoJSON FeatureCollection with `kode` and `nama` [default: the
    /// boundaries in the database]
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

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on
    #[arg(long, env = "TINJAU_BIND", default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Port to listen on (0 picks a free one)
    #[arg(long, env = "TINJAU_PORT", default_value_t = 8080)]
    port: u16,
    /// Directory for stored objects (photos) [default: <checkout>/.local/storage]
    #[arg(long, env = "TINJAU_STORAGE_DIR")]
    storage_dir: Option<PathBuf>,
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
        file: PathBuf,
        /// The level of every feature: kelurahan, kecamatan, kota or provinsi
        #[arg(long)]
        level: WilayahLevel,
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

/// `tinjau user add`.
async fn add_user(
    database_url: &str,
    name: String,
    role: survey_schema::Role,
    wilayah: Option<survey_schema::WilayahKode>,
    password_stdin: bool,
    opd: Option<String>,
) -> anyhow::Result<()> {
    let pool = tinjau_workflows::database::migrated_pool(database_url, 2).await?;
    let agency = match &opd {
        None => None,
        Some(kode) => {
            anyhow::ensure!(
                role == survey_schema::Role::Opd,
                "--opd is for an opd account"
            );
            let register = tinjau_workflows::trilateral::register::Register::load(&pool).await?;
            Some(register.by_kode(kode).with_context(|| {
                format!("no agency '{kode}' in the register (tinjau import opd)")
            })?)
        }
    };
    anyhow::ensure!(
        role.accepts_scope(wilayah.as_ref()),
        "a {role} needs {}",
        match role {
            survey_schema::Role::Admin => "no --wilayah (an admin sees everything)",
            survey_schema::Role::Camat | survey_schema::Role::Surveyor =>
                "--wilayah with a kecamatan code (PP.KK.CC)",
            survey_schema::Role::Lurah => "--wilayah with a kelurahan code (PP.KK.CC.VVVV)",
            survey_schema::Role::Opd =>
                "--wilayah with a kota or provinsi code, or none for the whole city",
        }
    );
    let password_hash = if password_stdin {
        Some(read_password_hash()?)
    } else {
        None
    };
    let id = tinjau_workflows::accounts::create_user(
        &pool,
        &tinjau_workflows::audit::Actor::cli(),
        &name,
        role.as_str(),
        wilayah.as_ref().map(survey_schema::WilayahKode::as_str),
        password_hash.as_deref(),
    )
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            anyhow::anyhow!("a user named '{name}' already exists")
        }
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            anyhow::anyhow!("the wilayah is not in the code list")
        }
        sqlx::Error::Database(d) if d.is_check_violation() => {
            anyhow::anyhow!("'{name}' is not a valid user name (letters, digits, . _ @ -; 2 to 64)")
        }
        _ => anyhow::Error::from(e),
    })?;
    if let Some(agency) = agency {
        tinjau_workflows::accounts::set_opd(
            &pool,
            &tinjau_workflows::audit::Actor::cli(),
            id,
            agency,
        )
        .await?;
    }
    say!(
        "user {name} (id {id}): {role}{}{}",
        wilayah.map(|w| format!(" of {w}")).unwrap_or_default(),
        opd.map(|o| format!(", planner of {o}")).unwrap_or_default()
    );
    Ok(())
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
        Command::Serve(args) => serve(database_url()?, args).await,
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
            let hash = read_password_hash()?;
            tinjau_workflows::accounts::set_password(
                &pool,
                &tinjau_workflows::audit::Actor::cli(),
                found.id,
                &hash,
            )
            .await?;
            say!("password of {name} set");
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
        Command::Audit(cmd) => {
            let pool = tinjau_workflows::database::migrated_pool(&database_url()?, 2).await?;
            if review::audit(&pool, cmd).await? {
                Ok(())
            } else {
                anyhow::bail!("the audit trail is broken (see above)")
            }
        }
        Command::Openapi => Ok(()),
    }
}

fn index_from_file(file: &std::path::Path) -> anyhow::Result<geo_rules::BoundaryIndex> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let features = geo_rules::parse_boundary_file(&bytes, "kode")
        .with_context(|| format!("{}", file.display()))?;
    Ok(geo_rules::BoundaryIndex::from_features(&features)?)
}

fn locate(args: &LocateArgs, index: &geo_rules::BoundaryIndex) -> anyhow::Result<()> {
    let (name, bytes) = if args.points.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
            .context("reading standard input")?;
        ("standard input".to_owned(), bytes)
    } else {
        let bytes = std::fs::read(&args.points)
            .with_context(|| format!("reading {}", args.points.display()))?;
        (args.points.display().to_string(), bytes)
    };
    let options = geo_rules::PointFileOptions {
        claimed_property: args.claimed_property.clone(),
        accuracy_property: args.accuracy_property.clone(),
        config: geo_rules::LocateConfig {
            tolerance_m: args.tolerance_m,
            gap_distance_m: args.gap_distance_m,
        },
    };
    let annotated =
        geo_rules::annotate_points(&bytes, index, &options).with_context(|| name.clone())?;
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer(&mut stdout, &annotated)?;
    std::io::Write::write_all(&mut stdout, b"\n")?;
    Ok(())
}

async fn serve(database_url: String, args: ServeArgs) -> anyhow::Result<()> {
    let mut settings = Settings::with_database_url(database_url);
    settings.bind = args.bind;
    settings.port = args.port;
    if let Some(dir) = args.storage_dir {
        settings.storage_dir = dir;
    }
    settings.max_db_connections = args.max_db_connections;
    settings.request_timeout = Duration::from_secs(args.request_timeout_secs);
    settings.header_timeout = Duration::from_secs(args.header_timeout_secs);
    settings.upload_min_bytes_per_sec = args.upload_min_rate;
    settings.tus_expiry = Duration::from_hours(args.tus_expiry_hours);
    settings.photo_workers = args.photo_workers;
    settings.migrate = !args.no_migrate;
    settings.admin_token = args.admin_token;
    settings.openrosa_accept_bytes = args.openrosa_accept_bytes;
    settings.public_url = args.public_url;
    settings.basemap_url = args.basemap_url;
    settings.s3 = args
        .s3_bucket
        .map(|bucket| tinjau_workflows::storage::S3Settings {
            bucket,
            endpoint: args.s3_endpoint,
            region: args.s3_region,
            path_style: !args.s3_virtual_host,
            credentials: None,
        });
    let app = Application::build(&settings).await?;
    tracing::info!(
        address = %format!("http://{}:{}", settings.bind, app.port()),
        database = %config::redact_url(&settings.database_url),
        storage = %settings.storage_dir.display(),
        "tinjau is serving"
    );
    app.run_until(shutdown_signal()).await
}

fn read_password_hash() -> anyhow::Result<String> {
    use argon2::PasswordHasher as _;
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the password")?;
    let password = line.trim_end_matches(['\r', '\n']);
    anyhow::ensure!(
        password.chars().count() >= 10,
        "the password must have at least 10 characters"
    );
    let mut salt_bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut salt_bytes);
    let salt = argon2::password_hash::SaltString::encode_b64(&salt_bytes)
        .map_err(|e| anyhow::anyhow!("making a salt: {e}"))?;
    Ok(argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))?
        .to_string())
}

/// The kecamatan a phone is set up for: `explicit`, else the user's own (its scope, or the
/// kecamatan around its kelurahan).
fn odk_project(
    user: &tinjau_workflows::accounts::UserRow,
    explicit: Option<&str>,
) -> anyhow::Result<survey_schema::WilayahKode> {
    use survey_schema::WilayahKode;
    let kode = match (explicit, user.wilayah_kode.as_ref()) {
        (Some(k), _) => WilayahKode::parse(k)?,
        (None, Some(scope)) => scope
            .ancestor(WilayahLevel::Kecamatan)
            .unwrap_or_else(|| scope.0.clone()),
        (None, None) => bail!("{} has no wilayah: give --kecamatan", user.name),
    };
    if kode.level() != WilayahLevel::Kecamatan {
        bail!("{kode} is not a kecamatan code (such as 31.71.01): give --kecamatan");
    }
    Ok(kode)
}

async fn token(pool: &sqlx::PgPool, cmd: TokenCommand) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Issue {
            user,
            label,
            no_qr,
            odk,
            url,
            kecamatan,
            png,
        } => {
            let found = tinjau_workflows::accounts::user_by_name(pool, &user)
                .await?
                .with_context(|| format!("no active user named '{user}'"))?;
            if odk && found.role != "surveyor" {
                bail!(
                    "{user} is a {}: ODK Collect keys are for surveyor accounts only (the key travels in URLs)",
                    found.role
                );
            }
            let token = tinjau_http::auth::new_token();
            let id = tinjau_workflows::accounts::issue_token(
                pool,
                &tinjau_workflows::audit::Actor::cli(),
                found.id,
                &tinjau_http::auth::token_digest(&token),
                &label,
            )
            .await?;
            if odk {
                let project = odk_project(&found, kecamatan.as_deref())?;
                let nama = tinjau_workflows::areas::name_of(pool, &project)
                    .await?
                    .unwrap_or_else(|| project.to_string());
                let project_name = format!("Tinjau Kec. {nama}");
                let server_url = odk_settings::server_url(&url, &token, &project.to_string());
                let settings = odk_settings::collect_settings(&server_url, &project_name, &user);
                let payload = odk_settings::encode(&settings)?;
                let png = png.unwrap_or_else(|| format!("odk-{user}.png").into());
                std::fs::write(&png, odk_settings::png_qr(&payload)?)
                    .with_context(|| format!("writing {}", png.display()))?;
                say!("{}", odk_settings::terminal_qr(&payload)?);
                say!(
                    "ODK Collect settings for {user} ({}), project {project_name} ({project}); token {id}.",
                    found.role
                );
                say!("server_url: {server_url}");
                say!("payload: {payload}");
                say!("png: {}", png.display());
                say!(
                    "In ODK Collect or KoboCollect: Add project > Configure with QR code, and scan it. The key in the URL is shown only now; revoke it with `tinjau token revoke --user {user} --id {id}`."
                );
            } else if no_qr {
                say!("{token}");
            } else {
                let code = qrcode::QrCode::new(token.as_bytes())?;
                let picture = code
                    .render::<qrcode::render::unicode::Dense1x2>()
                    .dark_color(qrcode::render::unicode::Dense1x2::Light)
                    .light_color(qrcode::render::unicode::Dense1x2::Dark)
                    .build();
                say!("{picture}");
                say!("token {id} for {user} ({}): {token}", found.role);
                say!(
                    "It is shown only now; Tinjau keeps only its hash. Revoke it with `tinjau token revoke --user {user} --id {id}`."
                );
            }
        }
        TokenCommand::Revoke { user, id } => {
            let found = tinjau_workflows::accounts::user_by_name(pool, &user)
                .await?
                .with_context(|| format!("no active user named '{user}'"))?;
            let revoked = tinjau_workflows::accounts::revoke_tokens(
                pool,
                &tinjau_workflows::audit::Actor::cli(),
                found.id,
                id,
            )
            .await?;
            say!("revoked {revoked} token(s) of {user}");
        }
    }
    Ok(())
}

async fn analyze(pool: &sqlx::PgPool, surveys: SurveyRecheck) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let index = tinjau_workflows::locator::load(pool).await?;
    let s = tinjau_workflows::analysis::recompute(pool, &index, surveys).await?;
    let by_code: Vec<String> = s
        .by_code
        .iter()
        .map(|(code, n)| format!("{code} {n}"))
        .collect();
    say!(
        "checks: {} proposals, {} with anomalies, {} anomalies{}{}",
        s.proposals,
        s.with_anomalies,
        s.anomalies,
        if by_code.is_empty() {
            String::new()
        } else {
            format!(" ({})", by_code.join(", "))
        },
        if s.unknown_activity > 0 {
            format!(
                "; {} proposals of activities the catalogue does not know",
                s.unknown_activity
            )
        } else {
            String::new()
        }
    );
    if s.surveys_rechecked > 0 {
        say!(
            "survey checks run again: {} surveys, {} with changed findings",
            s.surveys_rechecked,
            s.surveys_changed
        );
    }
    if let Some(at) = s.current_at {
        say!(
            "every finding is current as of {} ({:.1} s after the import)",
            at.format("%Y-%m-%d %H:%M:%S UTC"),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// `what: N rows from FILE: I inserted, U updated, K unchanged`.
fn report_counts(what: &str, c: &import::ImportCounts, file: &std::path::Path) {
    say!(
        "{what}: {} rows from {}: {} inserted, {} updated, {} unchanged",
        c.total,
        file.display(),
        c.inserted,
        c.updated,
        c.unchanged
    );
}

/// What a Renja import says at the console.
fn report_renja(s: &import::renja::RenjaSummary, file: &std::path::Path, tahun: i32) {
    let c = &s.counts;
    say!(
        "renja {} {tahun}: {} rows from {}: {} inserted, {} updated, {} unchanged, {} rejected; {} at kota level",
        s.opd_kode,
        c.total + s.rejected.len(),
        file.display(),
        c.inserted,
        c.updated,
        c.unchanged,
        s.rejected.len(),
        s.citywide
    );
    if let Some(path) = &s.rejected_file {
        say!(
            "rejected rows, with their reasons, written to {}:\n{}",
            path.display(),
            import::list(&s.rejected)
        );
    }
    if !s.fuzzy_matches.is_empty() {
        say!(
            "names matched approximately (check them):\n{}",
            import::list(&s.fuzzy_matches)
        );
    }
    if s.not_in_file > 0 {
        say!(
            "{} earlier lines of {} {tahun} are not in this file (kept)",
            s.not_in_file,
            s.opd_kode
        );
    }
}

async fn run_import(pool: &sqlx::PgPool, cmd: ImportCommand) -> anyhow::Result<()> {
    match cmd {
        ImportCommand::Proposals {
            file,
            tahun,
            skip_invalid,
            rejected,
            wilayah,
        } => {
            let default_rejected = || {
                let stem = file
                    .file_stem()
                    .map_or_else(|| "proposals".into(), |s| s.to_string_lossy().into_owned());
                PathBuf::from(format!("{stem}.rejected.csv"))
            };
            let options = import::proposals::ProposalImportOptions {
                tahun,
                skip_invalid,
                rejected_path: skip_invalid.then(|| rejected.unwrap_or_else(default_rejected)),
                scope: wilayah,
                actor: None,
            };
            let s = import::proposals::import(pool, &file, &options).await?;
            let c = &s.counts;
            say!(
                "proposals {tahun}: {} rows from {}: {} inserted, {} updated, {} unchanged, {} rejected",
                c.total + s.rejected.len(),
                file.display(),
                c.inserted,
                c.updated,
                c.unchanged,
                s.rejected.len()
            );
            if let Some(path) = &s.rejected_file {
                say!(
                    "rejected rows, with their reasons, written to {}:\n{}",
                    path.display(),
                    import::list(&s.rejected)
                );
            }
            if !s.fuzzy_matches.is_empty() {
                say!(
                    "kelurahan matched by approximate name (check them):\n{}",
                    import::list(&s.fuzzy_matches)
                );
            }
            if s.unknown_activities > 0 {
                say!(
                    "{} proposals are of activities the catalogue does not know (kept; see `tinjau catalogue`)",
                    s.unknown_activities
                );
            }
            return analyze(pool, SurveyRecheck::OfProposals(s.updated_ids)).await;
        }
        ImportCommand::Prices {
            file,
            region,
            tahun,
        } => {
            let s = import::prices::import(pool, &file, &region, tahun).await?;
            let c = &s.counts;
            say!(
                "prices ({} {region} {tahun}): {} items from {}: {} inserted, {} updated, {} unchanged; {} rounded to whole rupiah, {} in units the checks do not compare",
                s.source,
                c.total,
                file.display(),
                c.inserted,
                c.updated,
                c.unchanged,
                s.rounded,
                s.unknown_units
            );
            return analyze(pool, SurveyRecheck::None).await;
        }
        ImportCommand::Renja {
            file,
            opd,
            tahun,
            skip_invalid,
            rejected,
            wilayah,
        } => {
            let options = import::renja::RenjaImportOptions {
                opd,
                tahun,
                skip_invalid,
                rejected_path: skip_invalid.then(|| {
                    rejected.unwrap_or_else(|| {
                        let stem = file
                            .file_stem()
                            .map_or_else(|| "renja".into(), |s| s.to_string_lossy().into_owned());
                        PathBuf::from(format!("{stem}.rejected.csv"))
                    })
                }),
                scope: wilayah,
                actor: None,
            };
            let s = import::renja::import(pool, &file, &options).await?;
            report_renja(&s, &file, tahun);
        }
        ImportCommand::Opd { file } => {
            report_counts("agencies", &import::opd::import(pool, &file).await?, &file);
        }
        ImportCommand::WilayahAlias { file } => {
            report_counts(
                "old kelurahan names",
                &import::wilayah::import_aliases(pool, &file).await?,
                &file,
            );
        }
        ImportCommand::Wilayah { file, progress } => {
            report_counts(
                "wilayah",
                &import::wilayah::import(pool, &file, !progress.no_progress).await?,
                &file,
            );
        }
        ImportCommand::Boundaries {
            file,
            level,
            progress,
        } => {
            let s = import::boundaries::import(pool, &file, level, !progress.no_progress).await?;
            let kelurahan_changed =
                level == WilayahLevel::Kelurahan && s.counts.inserted + s.counts.updated > 0;
            let c = &s.counts;
            say!(
                "boundaries ({level}): {} features from {}: {} inserted, {} updated, {} unchanged, {} repaired",
                c.total,
                file.display(),
                c.inserted,
                c.updated,
                c.unchanged,
                c.repaired
            );
            if !s.repaired.is_empty() {
                say!(
                    "repaired (invalid polygons made valid with ST_MakeValid):\n{}",
                    import::list(&s.repaired)
                );
            }
            // The map-pin checks depend on the kelurahan boundaries.
            if kelurahan_changed {
                return analyze(pool, SurveyRecheck::All).await;
            }
        }
    }
    Ok(())
}
