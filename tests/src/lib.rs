//! The end-to-end test harness: a fresh database per test, cloned from a migrated template, and the
//! real router on a random port.
//!
//! Two templates are built once per migration set (under an advisory lock, so parallel test
//! processes agree): `tinjau_tpl_<hash>` (migrated, empty) and `tinjau_tplref_<hash>` (migrated, with
//! the vendored wilayah code list and the Jakarta kota, kecamatan and kelurahan boundaries). Cloning a
//! template takes a fraction of a second, where importing would take seconds.
//!
//! Test databases are named `tinjau_test_<pid>_<n>`; databases left by processes that are gone are
//! dropped when the next test process starts.

// A test harness: a setup failure must stop the test loudly, which is what expect() does.
#![allow(clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use reqwest::StatusCode;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, Executor, PgConnection, PgPool};
use survey_schema::WilayahLevel;
use tinjau_http::Application;
use tinjau_http::config::Settings;
use tokio::sync::OnceCell;

pub mod browser;
pub mod collect;
pub mod field;
pub mod reference;
pub mod review;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// A file of the vendored reference data, e.g. `data("boundaries/dki_kelurahan.geojson")`.
pub fn data(relative: &str) -> PathBuf {
    repo_root().join("data").join(relative)
}

/// The local cluster's URL (or `DATABASE_URL`), pointing at its default database.
fn base_url() -> String {
    let explicit = std::env::var("DATABASE_URL").ok();
    let _ = std::env::set_current_dir(repo_root());
    tinjau_http::config::resolve_database_url(explicit.as_deref())
        .expect("no database: run scripts/pg start (scripts/test does)")
}

/// The same server and credentials, another database.
pub fn url_for_database(url: &str, database: &str) -> String {
    let (without_query, query) = url
        .split_once('?')
        .map_or((url, None), |(u, q)| (u, Some(q)));
    let after_scheme = without_query.find("://").map_or(0, |i| i + 3);
    let base = match without_query[after_scheme..].find('/') {
        Some(slash) => &without_query[..after_scheme + slash],
        None => without_query,
    };
    match query {
        Some(q) => format!("{base}/{database}?{q}"),
        None => format!("{base}/{database}"),
    }
}

async fn admin_connection(url: &str) -> anyhow::Result<PgConnection> {
    Ok(PgConnection::connect(&url_for_database(url, "postgres")).await?)
}

/// Which template a test database starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fixture {
    /// Migrated, no rows.
    Empty,
    /// Migrated, with the wilayah code list, Jakarta's kota, kecamatan and kelurahan boundaries, and
    /// the real SSH 2023 price standard of Kabupaten Pangandaran (32.18).
    Reference,
}

/// The vendored Jakarta boundary files and their levels, as the reference fixture imports them.
pub const JAKARTA_BOUNDARIES: [(&str, WilayahLevel); 3] = [
    ("boundaries/dki_kabkota.geojson", WilayahLevel::Kota),
    ("boundaries/dki_kecamatan.geojson", WilayahLevel::Kecamatan),
    ("boundaries/dki_kelurahan.geojson", WilayahLevel::Kelurahan),
];

/// A short hash of the migrations, so a changed migration gets new templates.
fn migrations_hash() -> String {
    // Bump FIXTURE_VERSION when the reference fixture's content changes.
    const FIXTURE_VERSION: u8 = 2;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ u64::from(FIXTURE_VERSION);
    for m in tinjau_db::MIGRATOR.iter() {
        for b in m.checksum.iter() {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

static TEMPLATES: OnceCell<(String, String)> = OnceCell::const_new();
static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Creates both templates if missing (once per process), returns their names.
async fn templates(url: &str) -> anyhow::Result<&'static (String, String)> {
    TEMPLATES
        .get_or_try_init(|| async {
            let hash = migrations_hash();
            let empty = format!("tinjau_tpl_{hash}");
            let reference = format!("tinjau_tplref_{hash}");
            let mut admin = admin_connection(url).await?;
            admin.execute("SELECT pg_advisory_lock(727001)").await?;
            let result = async {
                drop_abandoned_test_databases(&mut admin).await?;
                ensure_template(&mut admin, url, &empty, Fixture::Empty).await?;
                ensure_template(&mut admin, url, &reference, Fixture::Reference).await
            }
            .await;
            admin.execute("SELECT pg_advisory_unlock(727001)").await?;
            result?;
            Ok((empty, reference))
        })
        .await
}

/// Runs a DDL statement on database names this harness generated (`[a-z0-9_]` only: checked).
async fn ddl(admin: &mut PgConnection, sql: String) -> anyhow::Result<()> {
    let names_only = sql.split_whitespace().all(|w| {
        w.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_()".contains(&b))
    });
    if !names_only {
        bail!("refusing DDL with unexpected characters: {sql}");
    }
    admin.execute(sqlx::AssertSqlSafe(sql)).await?;
    Ok(())
}

async fn database_exists(admin: &mut PgConnection, name: &str) -> anyhow::Result<bool> {
    let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_optional(&mut *admin)
        .await?;
    Ok(found.is_some())
}

/// Builds a template under a temporary name and renames it, so a half-built one is never used.
async fn ensure_template(
    admin: &mut PgConnection,
    url: &str,
    name: &str,
    fixture: Fixture,
) -> anyhow::Result<()> {
    if database_exists(admin, name).await? {
        return Ok(());
    }
    let building = format!("{name}_building");
    ddl(admin, format!("DROP DATABASE IF EXISTS {building}")).await?;
    ddl(admin, format!("CREATE DATABASE {building}")).await?;
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect(&url_for_database(url, &building))
        .await?;
    tinjau_db::MIGRATOR.run(&pool).await?;
    if fixture == Fixture::Reference {
        tinjau_workflows::import::wilayah::import(&pool, &data("wilayah/wilayah.csv"), false)
            .await
            .context("importing the wilayah fixture")?;
        for (file, level) in JAKARTA_BOUNDARIES {
            tinjau_workflows::import::boundaries::import(&pool, &data(file), level, false, true)
                .await
                .with_context(|| format!("importing the {file} fixture"))?;
        }
        let region = survey_schema::WilayahKode::parse("32.18")?;
        tinjau_workflows::import::prices::import(
            &pool,
            &data("prices/ssh_pangandaran_2023.csv"),
            &region,
            2023,
        )
        .await
        .context("importing the price fixture")?;
    }
    pool.close().await;
    ddl(admin, format!("ALTER DATABASE {building} RENAME TO {name}")).await?;
    Ok(())
}

async fn drop_abandoned_test_databases(admin: &mut PgConnection) -> anyhow::Result<()> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE datname LIKE 'tinjau\\_test\\_%'",
    )
    .fetch_all(&mut *admin)
    .await?;
    for name in names {
        let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|p| Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            ddl(
                admin,
                format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )
            .await?;
        }
    }
    Ok(())
}

/// A fresh database cloned from a template; returns its URL.
pub async fn fresh_database(fixture: Fixture) -> anyhow::Result<String> {
    let url = base_url();
    let (empty, reference) = templates(&url).await?;
    let template = match fixture {
        Fixture::Empty => empty,
        Fixture::Reference => reference,
    };
    let name = format!(
        "tinjau_test_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = admin_connection(&url).await?;
    ddl(
        &mut admin,
        format!("CREATE DATABASE {name} TEMPLATE {template}"),
    )
    .await?;
    Ok(url_for_database(&url, &name))
}

/// A database with nothing in it (no migrations, no extension), as a new cluster's: where a
/// backup is restored. Returns its URL.
pub async fn empty_database() -> anyhow::Result<String> {
    let url = base_url();
    let name = format!(
        "tinjau_test_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = admin_connection(&url).await?;
    ddl(
        &mut admin,
        format!("CREATE DATABASE {name} TEMPLATE template0"),
    )
    .await?;
    Ok(url_for_database(&url, &name))
}

/// The real service on a random port, with its own database and storage directory.
#[derive(Debug)]
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    pub database_url: String,
    /// A pool on the test's database, for arranging and checking state.
    pub pool: PgPool,
    pub client: reqwest::Client,
    pub storage: tempfile::TempDir,
    /// `http://127.0.0.1:PORT` of `/metrics` on its own address, when the settings ask for one.
    pub metrics_address: Option<String>,
}

/// Starts the service on an empty, migrated database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(Fixture::Empty).await
}

/// Starts the service on a database holding the reference data (wilayah + Jakarta boundaries).
pub async fn spawn_app_with_reference_data() -> TestApp {
    spawn_app_with(Fixture::Reference).await
}

/// Where a test server keeps its photos.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Filesystem,
    /// The local S3-compatible server of `scripts/s3` (scripts/test starts it), a fresh bucket per test.
    S3,
}

/// The local S3 server's endpoint and credentials: from the environment, else from `scripts/s3 env`.
/// The local S3-compatible server (`scripts/s3`): endpoint, access key, secret key.
pub fn local_s3() -> (String, String, String) {
    let from_env = |k: &str| std::env::var(k).ok();
    if let (Some(e), Some(a), Some(s)) = (
        from_env("TINJAU_S3_ENDPOINT"),
        from_env("AWS_ACCESS_KEY_ID"),
        from_env("AWS_SECRET_ACCESS_KEY"),
    ) {
        return (e, a, s);
    }
    let out = std::process::Command::new(repo_root().join("scripts/s3"))
        .arg("env")
        .output()
        .expect("running scripts/s3 env");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let get = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or_default()
            .to_owned()
    };
    (
        get("TINJAU_S3_ENDPOINT"),
        get("AWS_ACCESS_KEY_ID"),
        get("AWS_SECRET_ACCESS_KEY"),
    )
}

/// A server on the reference data, keeping photos on `backend`.
pub async fn spawn_app_on(backend: Backend) -> TestApp {
    spawn_app_with_settings(Fixture::Reference, |settings| {
        if backend == Backend::S3 {
            let (endpoint, access, secret) = local_s3();
            settings.s3 = Some(tinjau_workflows::storage::S3Settings {
                bucket: format!(
                    "tinjau-test-{}",
                    &uuid::Uuid::new_v4().simple().to_string()[..12]
                ),
                endpoint: Some(endpoint),
                region: "us-east-1".to_owned(),
                path_style: true,
                credentials: Some((access, secret)),
            });
        }
    })
    .await
}

/// The admin token every test server accepts.
pub const ADMIN_TOKEN: &str = "test-admin-token";

pub async fn spawn_app_with(fixture: Fixture) -> TestApp {
    spawn_app_with_settings(fixture, |_| {}).await
}

/// Starts the service with settings adjusted by `adjust` (after the test defaults are set).
pub async fn spawn_app_with_settings(
    fixture: Fixture,
    adjust: impl FnOnce(&mut Settings),
) -> TestApp {
    let database_url = fresh_database(fixture)
        .await
        .expect("creating a test database");
    let storage = tempfile::tempdir().expect("creating a storage directory");
    let mut settings = Settings::with_database_url(&database_url);
    settings.port = 0;
    settings.storage_dir = storage.path().to_path_buf();
    settings.max_db_connections = 4;
    settings.admin_token = Some(ADMIN_TOKEN.to_owned());
    adjust(&mut settings);
    let app = Application::build(&settings)
        .await
        .expect("building the application");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app.metrics_port().map(|p| format!("http://127.0.0.1:{p}"));
    tokio::spawn(app.run_until(std::future::pending()));
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect(&database_url)
        .await
        .expect("connecting to the test database");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("building an HTTP client");
    TestApp {
        address,
        database_url,
        pool,
        client,
        storage,
        metrics_address,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("GET failed")
    }

    pub async fn get_wilayah(&self, kode: &str) -> reqwest::Response {
        self.get(&format!("/api/v1/wilayah/{kode}")).await
    }

    pub async fn get_boundaries(
        &self,
        kode: &str,
        if_none_match: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .get(self.url(&format!("/api/v1/wilayah/{kode}/boundaries.geojson")));
        if let Some(etag) = if_none_match {
            request = request.header("If-None-Match", etag);
        }
        request.send().await.expect("GET boundaries failed")
    }

    /// GET with a bearer token.
    pub async fn get_as(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET failed")
    }

    /// The status `GET path` with `token` answers once it answers `expected`, or the last one
    /// after five seconds: for a change made in the database, which the server hears of by NOTIFY
    /// milliseconds after it commits (a token revoked from the CLI).
    pub async fn status_within_seconds(
        &self,
        path: &str,
        token: &str,
        expected: StatusCode,
    ) -> StatusCode {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            let status = self.get_as(path, token).await.status();
            if status == expected || std::time::Instant::now() > deadline {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The survey as `GET /api/v1/surveys/{id}` returns it once the background workers have read
    /// every uploaded photo (thumbnail, perceptual hash, and the checks when the survey is
    /// complete). Fails the test after 30 seconds.
    pub async fn survey_when_read(&self, token: &str, survey: &str) -> serde_json::Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let view: serde_json::Value = self
                .get_as(&format!("/api/v1/surveys/{survey}"), token)
                .await
                .json()
                .await
                .expect("a survey view");
            if view["processing_photos"]
                .as_array()
                .is_some_and(Vec::is_empty)
            {
                return view;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "photos still unread after 30 s: {view}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Imports a proposal file (CSV text) for `tahun`; returns the ids of all proposals by file row.
    pub async fn import_proposals(&self, csv: &str, tahun: i32) -> Vec<i64> {
        let dir = tempfile::tempdir().expect("creating a directory");
        let path = dir.path().join("usulan.csv");
        std::fs::write(&path, csv).expect("writing the proposal file");
        let options = tinjau_workflows::import::proposals::ProposalImportOptions {
            tahun,
            ..Default::default()
        };
        tinjau_workflows::import::proposals::import(&self.pool, &path, &options)
            .await
            .expect("importing proposals");
        sqlx::query_scalar("SELECT id FROM proposal ORDER BY tahun, source_row, id")
            .fetch_all(&self.pool)
            .await
            .expect("reading proposal ids")
    }

    /// Creates a user with `role` over `wilayah` and returns a fresh device token for it.
    pub async fn token_for(&self, role: survey_schema::Role, wilayah: Option<&str>) -> String {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        self.token_named(&format!("{role}.{n}"), role, wilayah)
            .await
    }

    /// Creates the user `name` with `role` over `wilayah` and returns a fresh device token for it.
    pub async fn token_named(
        &self,
        name: &str,
        role: survey_schema::Role,
        wilayah: Option<&str>,
    ) -> String {
        let id = tinjau_db::user::create(&self.pool, name, role.as_str(), wilayah, None)
            .await
            .expect("creating a user");
        let token = tinjau_domain::caller::new_token();
        tinjau_db::user::add_token(
            &self.pool,
            id,
            &tinjau_domain::caller::token_digest(&token),
            "test",
        )
        .await
        .expect("issuing a token");
        token
    }

    /// Saves a forum record that holds everything the Berita Acara needs (SYNTHETIC people and
    /// NIPs), as `token`, the first save of the kecamatan and year.
    pub async fn fill_forum_record(&self, kecamatan: &str, tahun: i32, token: &str) {
        let response = self
            .client
            .put(self.url(&format!(
                "/api/v1/kecamatan/{kecamatan}/forum?tahun={tahun}"
            )))
            .bearer_auth(token)
            .header("If-Match", "\"0\"")
            .json(&forum_record_example())
            .send()
            .await
            .expect("saving the forum record");
        let status = response.status();
        assert_eq!(status, 200, "{}", response.text().await.unwrap_or_default());
    }

    /// A fingerprint of the boundary and wilayah tables, to show an import changed nothing.
    pub async fn reference_state(&self) -> ReferenceState {
        reference_state(&self.pool).await
    }
}

/// Row counts and a content hash of the reference tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceState {
    pub wilayah: i64,
    pub boundaries: i64,
    pub fingerprint: String,
}

pub async fn reference_state(pool: &PgPool) -> ReferenceState {
    let (wilayah, boundaries, fingerprint): (i64, i64, String) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM wilayah),
                (SELECT count(*) FROM boundary),
                md5(coalesce((SELECT string_agg(kode || level || md5(ST_AsBinary(geom)) || imported_at, ',' ORDER BY kode) FROM boundary), '')
                    || coalesce((SELECT string_agg(kode || nama, ',' ORDER BY kode) FROM wilayah), ''))",
    )
    .fetch_one(pool)
    .await
    .expect("reading the reference state");
    ReferenceState {
        wilayah,
        boundaries,
        fingerprint,
    }
}

/// The `tinjau` binary built next to the test executable (`cargo build --bins`; scripts/test does).
pub fn tinjau_binary() -> anyhow::Result<PathBuf> {
    built_binary("tinjau")
}

/// The `tinjau-dev` binary (demo data, benchmarks), built beside `tinjau`.
pub fn tinjau_dev_binary() -> anyhow::Result<PathBuf> {
    built_binary("tinjau-dev")
}

fn built_binary(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .context("test executable has no target directory")?;
    let binary = profile_dir.join(name);
    if !binary.is_file() {
        bail!(
            "{} is missing: run `cargo build --bins` first (scripts/test does)",
            binary.display()
        );
    }
    Ok(binary)
}

/// A complete forum record (SYNTHETIC: made-up people and NIPs) for a kecamatan's forum.
pub fn forum_record_example() -> serde_json::Value {
    serde_json::json!({
        "nomor": "005/BA-MUSRENBANG/2026",
        "tanggal_mulai": "2026-02-10",
        "tanggal_selesai": "2026-02-11",
        "jam": "09.00 s.d. 13.00 WIB",
        "tempat": "Aula Kantor Kecamatan Gambir",
        "camat": {"nama": "Drs. Andi Saputra, M.Si", "nip": "197001011990031001"},
        "kepala_perencanaan": {"nama": "Ir. Budi Hartono, MT", "nip": "196805121993031002"},
        "sambutan": [{"oleh": "Camat Gambir"}, {"oleh": "Anggota DPRD Provinsi DKI Jakarta"}],
        "paparan": [{"materi": "Arah kebijakan pembangunan kota 2027", "penyaji": "Kanppeko Jakarta Pusat"}],
        "peserta": [
            {"nama": "Siti Rahmawati", "lembaga": "LMK Kelurahan Cideng", "kategori": "lmk",
             "alamat": "Jl. Cideng Barat 12", "perempuan": true, "mewakili": true, "delegasi": true},
            {"nama": "Joko Widagdo", "lembaga": "RW 02 Kelurahan Cideng", "kategori": "rw",
             "alamat": "Jl. Tanah Abang II 5", "mewakili": true, "delegasi": true},
            {"nama": "Dewi Lestari", "lembaga": "TP PKK Kecamatan Gambir", "kategori": "pkk",
             "alamat": "Jl. Tanah Abang I 1", "perempuan": true, "mewakili": true}
        ],
        "tembusan": ["Walikota Administrasi Jakarta Pusat"]
    })
}
