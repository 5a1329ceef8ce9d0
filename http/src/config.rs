//! Where things are: the database, the object-storage directory, the listening address.
//!
//! Flags and environment variables are declared in the `tinjau` binary's CLI; this module resolves the defaults
//! that depend on where the command runs (the project's local cluster, `.local/storage`).

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

/// Everything [`crate::Application::build`] needs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub bind: IpAddr,
    /// 0 picks a free port (tests).
    pub port: u16,
    /// Root directory of the filesystem object store.
    pub storage_dir: PathBuf,
    pub max_db_connections: u32,
    /// Requests taking longer are answered with 408.
    pub request_timeout: Duration,
    /// A client must send a request's head (its line and headers) within this, or the connection
    /// is closed: a connection is not held for nothing.
    pub header_timeout: Duration,
    /// The slowest upload accepted, in bytes per second: an upload (a photo, an OpenRosa POST, an
    /// import file) has `request_timeout` plus its size at this pace, so a small photo does not get
    /// the time of a large one.
    pub upload_min_bytes_per_sec: u64,
    /// An unfinished tus upload idle this long expires (`Upload-Expires`); its bytes are dropped.
    pub tus_expiry: Duration,
    /// Run pending migrations at start-up (safe with several instances: sqlx takes a lock).
    pub migrate: bool,
    /// Token for the admin API (`Authorization: Bearer ...`); `None` disables it.
    pub admin_token: Option<String>,
    /// Store photos in S3 instead of `storage_dir` (which then holds only temporary files).
    pub s3: Option<tinjau_workflows::storage::S3Settings>,
    /// Background workers that decode received photos (thumbnail, perceptual hash).
    pub photo_workers: usize,
    /// What the OpenRosa HEAD announces as `X-OpenRosa-Accept-Content-Length`: ODK Collect splits a
    /// submission into POSTs of at most this many bytes (a single larger photo goes alone).
    pub openrosa_accept_bytes: u64,
    /// The address phones reach the server at, e.g. `https://tinjau.example.go.id` (OpenRosa
    /// download URLs are built on it); `None`: from each request's Host header.
    pub public_url: Option<String>,
    /// A basemap tile URL for the web maps; `None` (the default): no basemap.
    pub basemap_url: Option<String>,
    /// The year the phones survey; `None` (the default): per area, the newest year with a physical
    /// proposal.
    pub survey_tahun: Option<i32>,
    /// The token a Prometheus scraper sends for `/metrics` on the main address; `None`: no
    /// `/metrics` there.
    pub metrics_token: Option<String>,
    /// An address of its own serving `/metrics` without a token (e.g. `127.0.0.1:9464`).
    pub metrics_bind: Option<std::net::SocketAddr>,
    /// The built guides (`scripts/docs` makes `docs/book/`), served at `/bantuan/`.
    pub docs_dir: PathBuf,
    /// The Ed25519 key the audit log's tree heads are signed with (made on first use); `None`:
    /// `audit-ed25519.key` in `storage_dir`. Instances sharing a database share this file.
    pub audit_key: Option<PathBuf>,
    /// Run the audit log's sequencer here (one instance at a time does the work).
    pub audit_sequencer: bool,
}

impl Settings {
    /// Defaults for everything but the database.
    pub fn with_database_url(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8080,
            storage_dir: default_storage_dir(),
            max_db_connections: 10,
            request_timeout: Duration::from_secs(30),
            header_timeout: Duration::from_secs(10),
            upload_min_bytes_per_sec: 8 * 1024,
            tus_expiry: Duration::from_hours(24),
            migrate: true,
            admin_token: None,
            s3: None,
            photo_workers: 1,
            openrosa_accept_bytes: tinjau_workflows::ingest::openrosa::DEFAULT_ACCEPT_BYTES,
            public_url: None,
            basemap_url: None,
            survey_tahun: None,
            metrics_token: None,
            metrics_bind: None,
            docs_dir: default_docs_dir(),
            audit_key: None,
            audit_sequencer: true,
        }
    }
}

/// The file `scripts/pg start` writes the local cluster's URL to, relative to a checkout.
const LOCAL_URL_FILE: &str = ".local/pg/database_url";

/// The database to use: `explicit` (from `--database-url` or `DATABASE_URL`) if given, else the
/// local cluster of the checkout containing the current directory (`TINJAU_PG_DIR` if set).
pub fn resolve_database_url(explicit: Option<&str>) -> anyhow::Result<String> {
    if let Some(url) = explicit.filter(|u| !u.trim().is_empty()) {
        return Ok(url.to_owned());
    }
    let candidates: Vec<PathBuf> = match std::env::var_os("TINJAU_PG_DIR") {
        Some(dir) => vec![PathBuf::from(dir).join("database_url")],
        None => checkout_ancestors()
            .map(|d| d.join(LOCAL_URL_FILE))
            .collect(),
    };
    for file in &candidates {
        if file.is_file() {
            let url = std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?;
            return Ok(url.trim().to_owned());
        }
    }
    bail!(
        "no database configured: set DATABASE_URL, or start the project's local cluster with \
         `scripts/pg start` and run tinjau from inside the checkout"
    )
}

fn checkout_ancestors() -> impl Iterator<Item = PathBuf> {
    let cwd = std::env::current_dir().unwrap_or_default();
    cwd.ancestors()
        .map(Path::to_path_buf)
        .collect::<Vec<_>>()
        .into_iter()
}

/// `<checkout>/.local/storage` when run inside a checkout with a local cluster, else
/// `./tinjau-storage`.
pub fn default_storage_dir() -> PathBuf {
    checkout_ancestors()
        .find(|d| d.join(LOCAL_URL_FILE).is_file())
        .map_or_else(
            || PathBuf::from("tinjau-storage"),
            |d| d.join(".local/storage"),
        )
}

/// Where the audit log's signing key is kept: `explicit`, else in the storage directory.
pub fn audit_key_path(explicit: Option<&Path>, storage_dir: &Path) -> PathBuf {
    explicit.map_or_else(|| storage_dir.join("audit-ed25519.key"), Path::to_path_buf)
}

/// The built guides: `docs/book` of the checkout containing the current directory, else where the
/// operator's guide installs them.
pub fn default_docs_dir() -> PathBuf {
    checkout_ancestors()
        .find(|d| d.join("docs/book.toml").is_file())
        .map_or_else(
            || PathBuf::from("/usr/share/tinjau/bantuan"),
            |d| d.join("docs/book"),
        )
}

pub use tinjau_workflows::database::redact_url;
