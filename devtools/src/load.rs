//! `tinjau bench ingest`: simulated phones sync surveys and photos to a real `tinjau serve` (a child
//! process on a scratch database), through dropped connections and retries; then every acknowledged
//! survey and photo is checked to be stored exactly once, and nothing else. Prints surveys/s, photo
//! MB/s, latency percentiles and the server's peak RSS.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};
use sqlx::{Connection, Executor, PgConnection, PgPool};
use tokio::sync::Mutex;
use uuid::Uuid;

/// What to simulate.
#[derive(Debug, Clone)]
pub struct IngestBench {
    pub phones: usize,
    pub surveys_per_phone: usize,
    /// Photos per survey (real JPEGs from `photo_dir`, cycled; each made unique by a trailing comment).
    pub photos_per_survey: usize,
    /// Probability that a request is cut off before its answer (then retried).
    pub drop_rate: f64,
    pub photo_dir: PathBuf,
    pub database_url: String,
    pub seed: u64,
    /// Offered surveys per second across all phones, each phone on its own schedule; 0: every phone
    /// sends its next survey as soon as the last one is answered (the server's saturation point).
    pub rate: f64,
    /// Size of each photo in megabytes: the sample photos re-encoded at a camera's resolution with
    /// sensor-like noise and their own EXIF (SYNTHETIC pixels from real photos); 0: the samples as they are.
    pub photo_mb: f64,
    /// The server's background photo workers (`tinjau serve --photo-workers`).
    pub photo_workers: usize,
    /// The server's database connections (`tinjau serve --max-db-connections`).
    pub db_connections: u32,
}

#[derive(Debug, Default)]
struct Stats {
    survey_latencies: Vec<Duration>,
    photo_bytes: u64,
    dropped: usize,
    acknowledged_surveys: Vec<Uuid>,
    acknowledged_photos: Vec<(Uuid, String)>,
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

/// CPU seconds (user, system) a process has used, from /proc.
fn cpu_seconds(pid: u32) -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = 100.0; // USER_HZ on Linux
    Some((
        fields.get(11)?.parse::<f64>().ok()? / ticks,
        fields.get(12)?.parse::<f64>().ok()? / ticks,
    ))
}

pub(crate) fn peak_rss_mb(pid: u32) -> Option<f64> {
    status_mb(&pid.to_string(), "VmHWM:")
}

/// A memory field of `/proc/<process>/status` (`process` a pid or `self`), such as `VmRSS:` or
/// `VmHWM:`, in MiB (Linux).
pub(crate) fn status_mb(process: &str, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{process}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Runs the whole benchmark and prints its figures.
pub async fn run(bench: &IngestBench) -> anyhow::Result<()> {
    let scratch = format!("tinjau_bench_{}", std::process::id());
    let admin_url = replace_database(&bench.database_url, "postgres");
    let mut admin = PgConnection::connect(&admin_url)
        .await
        .context("connecting to PostgreSQL")?;
    admin
        .execute(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {scratch}"
        )))
        .await?;
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {scratch}")))
        .await?;
    let url = replace_database(&bench.database_url, &scratch);
    let result = run_on(bench, &url).await;
    admin
        .execute(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {scratch} WITH (FORCE)"
        )))
        .await?;
    result
}

pub(crate) fn replace_database(url: &str, database: &str) -> String {
    match url.rfind('/') {
        Some(i) if i > url.find("://").map_or(0, |j| j + 2) => format!("{}/{database}", &url[..i]),
        _ => format!("{url}/{database}"),
    }
}

async fn run_on(bench: &IngestBench, url: &str) -> anyhow::Result<()> {
    let pool = tinjau_db::migrated_pool(url, 4).await?;
    let phones = seed(&pool, bench).await?;
    let photos = load_photos(&bench.photo_dir)?;
    let photos = if bench.photo_mb > 0.0 {
        let sized: Vec<Vec<u8>> = photos
            .iter()
            .map(|p| camera_sized(p, bench.photo_mb))
            .collect::<anyhow::Result<_>>()?;
        Arc::new(sized)
    } else {
        photos
    };

    let scratch = tempfile_dir()?;
    let storage = scratch.path();
    // The disk alone, before the server runs and again after it (this VM's disk drifts by a
    // factor of two over minutes): the median of the probes is the reference.
    let mut disk = DiskProbes::default();
    disk.run(storage, &photos, 3)?;
    let (mut server, pid, base) = start_server(bench, url, storage)?;
    let client = reqwest_client()?;
    wait_ready(&client, &base).await?;

    let stats = Arc::new(Mutex::new(Stats::default()));
    let sessions = prepare_phones(bench, &phones, &photos, &client, &base, &stats);
    // Before going out, every phone downloads its assignments (as a surveyor's phone does); this is
    // not timed, and it opens the connections a phone then keeps.
    futures::future::try_join_all(sessions.iter().map(Phone::download_assignments)).await?;
    let generator_cpu_before = cpu_seconds(std::process::id());
    let server_cpu_before = cpu_seconds(pid);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (phone, mut session) in sessions.into_iter().enumerate() {
        session.schedule = (bench.rate > 0.0).then(|| Schedule {
            start: started,
            // Phones take turns: phone p sends its n-th survey at (n * phones + p) / rate.
            first: Duration::from_secs_f64(phone as f64 / bench.rate),
            every: Duration::from_secs_f64(bench.phones as f64 / bench.rate),
        });
        tasks.push(tokio::spawn(session.run()));
    }
    for task in tasks {
        if let Err(e) = task.await? {
            // What the server said about it (its warnings and errors) goes with the failure.
            let log = std::fs::read_to_string(storage.join(SERVER_LOG)).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(20).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            return Err(e.context(format!("the server's last log lines:\n{}", tail.join("\n"))));
        }
    }
    let elapsed = started.elapsed();
    let processing = if bench.photo_workers > 0 {
        Some(wait_processed(&pool, Duration::from_mins(10)).await?)
    } else {
        None
    };
    let rss = peak_rss_mb(pid);
    let since = |before: Option<(f64, f64)>, after: Option<(f64, f64)>| {
        let ((u0, s0), (u1, s1)) = (before?, after?);
        Some((u1 - u0, s1 - s0))
    };
    let server_cpu = since(server_cpu_before, cpu_seconds(pid));
    let own_cpu = since(generator_cpu_before, cpu_seconds(std::process::id()));
    let _ = server.kill().await;
    disk.run(storage, &photos, 2)?;
    let disk = disk.rates();
    let stats = Arc::try_unwrap(stats)
        .map_err(|_| anyhow::anyhow!("stats still shared"))?
        .into_inner();

    let (lost, doubled, extra) = verify(&pool, &stats).await?;
    // The database alone, in the same minutes, on the same cluster.
    let pgbench = pgbench_inserts(&pool, url).await?;
    let mut latencies = stats.survey_latencies.clone();
    latencies.sort();
    let surveys = stats.acknowledged_surveys.len();
    drop(scratch);
    println!(
        "ingest: {} phones x {} surveys x {}, drop rate {:.0}%, {}, {:.1} s",
        bench.phones,
        bench.surveys_per_phone,
        if bench.photos_per_survey == 0 {
            "no photos".to_owned()
        } else {
            format!(
                "{} photos of {}",
                bench.photos_per_survey,
                photo_size_label(&photos)
            )
        },
        bench.drop_rate * 100.0,
        if bench.rate > 0.0 {
            format!("offered {:.0} surveys/s", bench.rate)
        } else {
            "as fast as answered".to_owned()
        },
        elapsed.as_secs_f64()
    );
    println!(
        "surveys: {surveys} stored, {:.0} surveys/s overall (with their photos)",
        surveys as f64 / elapsed.as_secs_f64()
    );
    println!(
        "survey PUT latency: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms",
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.95).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3
    );
    println!(
        "photos: {} stored, {:.1} MB/s",
        stats.acknowledged_photos.len(),
        stats.photo_bytes as f64 / 1e6 / elapsed.as_secs_f64()
    );
    println!(
        "this disk, written directly (median of {} probes before and after the run, range): {:.1} MB/s ({:.0}-{:.0}) as files of these photos' sizes, each fsynced and renamed; {:.1} MB/s ({:.0}-{:.0}) as one {DISK_PROBE_MB} MB file",
        disk.probes,
        disk.per_file[1],
        disk.per_file[0],
        disk.per_file[2],
        disk.sequential[1],
        disk.sequential[0],
        disk.sequential[2]
    );
    match processing {
        _ if stats.acknowledged_photos.is_empty() => {}
        None => println!("photo workers: none in this server (--photo-workers 0)"),
        Some(waited) => println!(
            "photo workers ({}): every photo read (pixels, thumbnail, perceptual hash) {:.1} s after the last upload",
            bench.photo_workers,
            waited.as_secs_f64()
        ),
    }
    println!("dropped connections retried: {}", stats.dropped);
    if let (Some((su, ss)), Some((bu, bs))) = (server_cpu, own_cpu) {
        println!(
            "CPU from the first request on: server {su:.1} s user + {ss:.1} s system; load generator {bu:.1} s user + {bs:.1} s system (2 cores shared)"
        );
    }
    println!(
        "server peak RSS: {}",
        rss.map_or_else(|| "unknown".to_owned(), |mb| format!("{mb:.0} MB"))
    );
    match &pgbench {
        Some((tps, settings)) => println!(
            "pgbench on the same cluster ({settings}), right after: 64 clients, single-row INSERT of a survey-sized row: {tps:.0}/s; the ingest is {:.1}% of it",
            surveys as f64 / elapsed.as_secs_f64() / tps * 100.0
        ),
        None => println!("pgbench: not installed here (postgresql-contrib / the server package)"),
    }
    println!("verification: {lost} lost, {doubled} doubled, {extra} unacknowledged extra");
    if lost + doubled + extra > 0 {
        bail!("the ingest lost or doubled data");
    }
    Ok(())
}

/// The server's log, in its scratch storage directory.
const SERVER_LOG: &str = "server.log";

/// A `tinjau serve` on a free port, on the scratch database and a scratch storage directory.
fn start_server(
    bench: &IngestBench,
    url: &str,
    storage: &std::path::Path,
) -> anyhow::Result<(tokio::process::Child, u32, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    // The product's own binary, built beside this one: the phones load what ships.
    let tinjau = std::env::current_exe()?.with_file_name("tinjau");
    anyhow::ensure!(
        tinjau.is_file(),
        "{} is missing: build it with `cargo build --release --bins`",
        tinjau.display()
    );
    let server = tokio::process::Command::new(tinjau)
        .args([
            "serve",
            "--port",
            &port.to_string(),
            "--max-db-connections",
            &bench.db_connections.to_string(),
        ])
        .env("TINJAU_PHOTO_WORKERS", bench.photo_workers.to_string())
        .env("DATABASE_URL", url)
        .env("TINJAU_STORAGE_DIR", storage)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(storage.join(SERVER_LOG))?)
        .kill_on_drop(true)
        .spawn()
        .context("starting tinjau serve")?;
    let pid = server.id().context("server pid")?;
    let base = format!("http://127.0.0.1:{port}");
    Ok((server, pid, base))
}

/// Every phone with everything it will send, made before the clock starts: the load generator
/// shares the server's two cores, and its own hashing and copying must not count against the server.
fn prepare_phones(
    bench: &IngestBench,
    phones: &[(String, i64)],
    photos: &[Vec<u8>],
    client: &reqwest::Client,
    base: &str,
    stats: &Arc<Mutex<Stats>>,
) -> Vec<Phone> {
    let mut sessions = Vec::new();
    for (phone, (token, proposal)) in phones.iter().enumerate().take(bench.phones) {
        let mut rng = SmallRng::seed_from_u64(bench.seed + phone as u64);
        let surveys = (0..bench.surveys_per_phone)
            .map(|n| {
                prepare_survey(
                    &mut rng,
                    *proposal,
                    phone,
                    n,
                    bench.photos_per_survey,
                    photos,
                )
            })
            .collect();
        sessions.push(Phone {
            client: client.clone(),
            base: base.to_owned(),
            token: token.clone(),
            surveys,
            drop_rate: bench.drop_rate,
            rng,
            schedule: None,
            stats: stats.clone(),
        });
    }
    sessions
}

/// A scratch directory, removed when dropped: a run that fails on the way out (a refused phone, a
/// server that did not start) leaves behind neither its photos nor its disk probes (1.5 GB).
fn tempfile_dir() -> anyhow::Result<tempfile::TempDir> {
    Ok(tempfile::Builder::new().prefix("tinjau-bench-").tempdir()?)
}

fn reqwest_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_mins(1))
        .pool_max_idle_per_host(256)
        .build()?)
}

async fn wait_ready(client: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("tinjau serve did not become ready")
}

/// A kecamatan's worth of reference data, and per phone a proposal and a surveyor with a token.
async fn seed(pool: &PgPool, bench: &IngestBench) -> anyhow::Result<Vec<(String, i64)>> {
    let mut tx = pool.begin().await?;
    for (kode, nama, level, parent) in [
        ("31", "DKI Jakarta", 1i16, None),
        ("31.71", "Jakarta Pusat", 2, Some("31")),
        ("31.71.01", "Gambir", 3, Some("31.71")),
        ("31.71.01.1001", "Gambir", 4, Some("31.71.01")),
    ] {
        sqlx::query("INSERT INTO wilayah (kode, nama, level, parent_kode) VALUES ($1, $2, $3, $4)")
            .bind(kode)
            .bind(nama)
            .bind(level)
            .bind(parent)
            .execute(&mut *tx)
            .await?;
    }
    let mut ids = Vec::new();
    for i in 0..bench.phones.max(1) {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO proposal (tahun, natural_key, kelurahan_kode, usulan, volume, satuan_raw, unit, anggaran, source)
             VALUES (2026, $1, '31.71.01.1001', $2, 100, 'm', 'm', 80000000, 'bench') RETURNING id",
        )
        .bind(format!("bench-{i}"))
        .bind(format!("Pembangunan saluran RT {i}"))
        .fetch_one(&mut *tx)
        .await?;
        ids.push(id);
    }
    tx.commit().await?;
    let mut phones = Vec::new();
    for (i, proposal) in ids.into_iter().enumerate() {
        let name = format!("bench.surveyor.{i}");
        let user = tinjau_db::user::create(pool, &name, "surveyor", Some("31.71.01"), None).await?;
        let token = tinjau_domain::caller::new_token();
        tinjau_db::user::add_token(
            pool,
            user,
            &tinjau_domain::caller::token_digest(&token),
            "bench",
        )
        .await?;
        phones.push((token, proposal));
    }
    Ok(phones)
}

fn load_photos(dir: &std::path::Path) -> anyhow::Result<Arc<Vec<Vec<u8>>>> {
    let mut photos = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("jpg"))
        {
            photos.push(std::fs::read(&path)?);
        }
    }
    anyhow::ensure!(!photos.is_empty(), "no .jpg files in {}", dir.display());
    Ok(Arc::new(photos))
}

/// A JPEG made unique (so every upload is a new object) by a comment segment after the start marker.
fn unique_jpeg(base: &[u8], tag: &str) -> Vec<u8> {
    let comment = format!("tinjau-bench {tag}");
    let len = u16::try_from(comment.len() + 2).unwrap_or(u16::MAX);
    let mut out = Vec::with_capacity(base.len() + comment.len() + 4);
    out.extend_from_slice(&base[..2]);
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(comment.as_bytes());
    out.extend_from_slice(&base[2..]);
    out
}

/// When a paced phone sends: its first survey at `start + first`, then one every `every`.
#[derive(Debug, Clone, Copy)]
struct Schedule {
    start: Instant,
    first: Duration,
    every: Duration,
}

/// What a phone sends for one survey, made in advance.
struct PreparedSurvey {
    id: Uuid,
    body: bytes::Bytes,
    /// (sha256, file) of each photo.
    photos: Vec<(String, bytes::Bytes)>,
}

fn prepare_survey(
    rng: &mut SmallRng,
    proposal: i64,
    phone: usize,
    n: usize,
    photos_per_survey: usize,
    photos: &[Vec<u8>],
) -> PreparedSurvey {
    let files: Vec<(String, bytes::Bytes)> = (0..photos_per_survey)
        .map(|k| {
            let file = unique_jpeg(&photos[(n + k) % photos.len()], &format!("{phone}-{n}-{k}"));
            (hex::encode(Sha256::digest(&file)), file.into())
        })
        .collect();
    let manifest: Vec<serde_json::Value> = files
        .iter()
        .map(|(sha, f)| serde_json::json!({"sha256": sha, "bytes": f.len(), "content_type": "image/jpeg", "caption": null}))
        .collect();
    let captured_at = chrono::DateTime::<chrono::Utc>::from_timestamp(
        1_770_693_300 + 600 * i64::try_from(n).unwrap_or(0),
        0,
    );
    let body = serde_json::json!({
        "proposal_id": proposal,
        // A surveyor's day: one survey every ten minutes, a few hundred metres apart.
        "captured_at": captured_at,
        "fix": {"lat": -6.1754 + rng.random_range(-0.003..0.003), "lon": 106.8272 + rng.random_range(-0.003..0.003), "accuracy_m": 6.0, "altitude_m": null, "fix_time": captured_at},
        "trace": null, "address_confirmed": true, "address_note": null,
        "technical": {"ok": true, "note": null}, "administrative": {"ok": true, "note": null},
        "volume": {"value": "100", "satuan": "m"}, "photos": manifest, "supersedes": null
    });
    PreparedSurvey {
        id: Uuid::new_v4(),
        body: body.to_string().into(),
        photos: files,
    }
}

/// One simulated phone.
struct Phone {
    client: reqwest::Client,
    base: String,
    token: String,
    surveys: Vec<PreparedSurvey>,
    drop_rate: f64,
    rng: SmallRng,
    schedule: Option<Schedule>,
    stats: Arc<Mutex<Stats>>,
}

impl Phone {
    async fn download_assignments(&self) -> anyhow::Result<()> {
        let response = self
            .client
            .get(format!("{}/api/v1/sync/assignments", self.base))
            .bearer_auth(&self.token)
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("assignments answered {}", response.status());
        }
        response.bytes().await?;
        Ok(())
    }

    async fn run(mut self) -> anyhow::Result<()> {
        let surveys = std::mem::take(&mut self.surveys);
        for (n, survey) in surveys.into_iter().enumerate() {
            let id = survey.id;
            // A paced phone waits for its turn; a late phone goes at once, and its lateness counts
            // in the latency (the server made it late), so slow answers cannot hide.
            let mut due = None;
            if let Some(plan) = self.schedule {
                let at =
                    plan.start + plan.first + plan.every * u32::try_from(n).unwrap_or(u32::MAX);
                tokio::time::sleep_until(at.into()).await;
                due = Some(at);
            }
            let url = format!("{}/api/v1/surveys/{id}", self.base);
            loop {
                let request = self
                    .client
                    .put(&url)
                    .bearer_auth(&self.token)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(survey.body.clone())
                    .send();
                if self.rng.random_bool(self.drop_rate) {
                    // The answer never reaches the phone: the request may or may not have been stored.
                    let cut = Duration::from_micros(self.rng.random_range(0..3000));
                    let _ = tokio::time::timeout(cut, request).await;
                    self.stats.lock().await.dropped += 1;
                    // The retry is timed from its own start: the simulated network, not the server, lost the time.
                    due = None;
                    continue;
                }
                let started = due.unwrap_or_else(Instant::now);
                let response = request.await?;
                let status = response.status();
                if status == reqwest::StatusCode::CREATED || status == reqwest::StatusCode::OK {
                    let mut s = self.stats.lock().await;
                    s.survey_latencies.push(started.elapsed());
                    s.acknowledged_surveys.push(id);
                    break;
                }
                bail!(
                    "survey PUT answered {status}: {}",
                    response.text().await.unwrap_or_default()
                );
            }
            for (sha, file) in survey.photos {
                self.upload(id, sha, file).await?;
            }
        }
        Ok(())
    }

    async fn upload(&mut self, id: Uuid, sha: String, file: bytes::Bytes) -> anyhow::Result<()> {
        let url = format!("{}/api/v1/surveys/{id}/photos/{sha}", self.base);
        let size = file.len() as u64;
        loop {
            let request = self
                .client
                .put(&url)
                .bearer_auth(&self.token)
                .body(file.clone())
                .send();
            if self.rng.random_bool(self.drop_rate) {
                let cut = Duration::from_micros(self.rng.random_range(0..3000));
                let _ = tokio::time::timeout(cut, request).await;
                self.stats.lock().await.dropped += 1;
                continue;
            }
            let response = request.await?;
            let status = response.status();
            if status == reqwest::StatusCode::CREATED || status == reqwest::StatusCode::OK {
                let mut s = self.stats.lock().await;
                s.photo_bytes += size;
                s.acknowledged_photos.push((id, sha));
                return Ok(());
            }
            bail!(
                "photo PUT answered {status}: {}",
                response.text().await.unwrap_or_default()
            );
        }
    }
}

/// A sample photo re-encoded at a camera's resolution to about `megabytes`: upscaled, with
/// sensor-like noise so it compresses like a real photo, at JPEG quality 90, keeping the sample's
/// EXIF (GPS, time, orientation) so the server reads what a phone would send.
fn camera_sized(sample: &[u8], megabytes: f64) -> anyhow::Result<Vec<u8>> {
    let picture = image::load_from_memory(sample).context("decoding a sample photo")?;
    // Noisy photos at quality 90 take about half a byte per pixel; one correction pass after.
    let mut bytes_per_pixel = 0.5;
    let mut encoded = Vec::new();
    for _ in 0..2 {
        let pixels = megabytes * 1e6 / bytes_per_pixel;
        let scale = (pixels / f64::from(picture.width() * picture.height())).sqrt();
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (width, height) = (
            (f64::from(picture.width()) * scale).round().max(1.0) as u32,
            (f64::from(picture.height()) * scale).round().max(1.0) as u32,
        );
        let mut big = picture
            .resize_exact(width, height, image::imageops::FilterType::Triangle)
            .to_rgb8();
        let mut rng = SmallRng::seed_from_u64(u64::from(width));
        for value in big.iter_mut() {
            *value = value.saturating_add_signed(rng.random_range(-10..=10));
        }
        encoded.clear();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut encoded, 90)
            .encode_image(&big)
            .context("encoding a camera-sized photo")?;
        #[allow(clippy::cast_precision_loss)]
        let actual = encoded.len() as f64 / (f64::from(width) * f64::from(height));
        bytes_per_pixel = actual;
    }
    Ok(with_exif_of(sample, &encoded))
}

/// `jpeg` with the EXIF (APP1) segment of `source` inserted after its start marker.
fn with_exif_of(source: &[u8], jpeg: &[u8]) -> Vec<u8> {
    let mut i = 2;
    let mut exif: &[u8] = &[];
    while i + 4 <= source.len() && source[i] == 0xFF && source[i + 1] != 0xDA {
        let len = usize::from(u16::from_be_bytes([source[i + 2], source[i + 3]]));
        let segment = &source[i..(i + 2 + len).min(source.len())];
        if source[i + 1] == 0xE1 && segment.get(4..10) == Some(b"Exif\0\0") {
            exif = segment;
            break;
        }
        i += 2 + len;
    }
    let mut out = Vec::with_capacity(jpeg.len() + exif.len());
    out.extend_from_slice(&jpeg[..2]);
    out.extend_from_slice(exif);
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[allow(clippy::cast_precision_loss)]
fn photo_size_label(photos: &[Vec<u8>]) -> String {
    let mean = photos.iter().map(Vec::len).sum::<usize>() as f64 / photos.len().max(1) as f64;
    format!("{:.2} MB", mean / 1e6)
}

/// Counts acknowledged items missing from the database, stored more than once, and stored without
/// acknowledgement.
async fn verify(pool: &PgPool, stats: &Stats) -> anyhow::Result<(usize, usize, usize)> {
    let stored: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM survey")
        .fetch_all(pool)
        .await?;
    let received: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT survey_id, sha256 FROM survey_photo WHERE received_at IS NOT NULL")
            .fetch_all(pool)
            .await?;
    let stored_set: std::collections::HashSet<&Uuid> = stored.iter().collect();
    let acked: std::collections::HashSet<&Uuid> = stats.acknowledged_surveys.iter().collect();
    let received_set: std::collections::HashSet<(&Uuid, &String)> =
        received.iter().map(|(a, b)| (a, b)).collect();
    let lost = acked.iter().filter(|id| !stored_set.contains(*id)).count()
        + stats
            .acknowledged_photos
            .iter()
            .filter(|(a, b)| !received_set.contains(&(a, b)))
            .count();
    let doubled = stored.len() - stored_set.len() + received.len() - received_set.len();
    // A dropped first attempt may be stored before its retry: that is the same survey, not an extra.
    let extra = stored_set.iter().filter(|id| !acked.contains(*id)).count();
    Ok((lost, doubled, extra))
}

/// Waits until the background worker has read every received photo; returns how long that took.
async fn wait_processed(pool: &PgPool, limit: Duration) -> anyhow::Result<Duration> {
    let started = Instant::now();
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM survey_photo WHERE received_at IS NOT NULL AND processed_at IS NULL",
        )
        .fetch_one(pool)
        .await?;
        if waiting == 0 {
            return Ok(started.elapsed());
        }
        if started.elapsed() > limit {
            bail!("{waiting} photos still unread after {} s", limit.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

const DISK_PROBE_MB: usize = 256;

/// What this disk takes when written directly, without HTTP, hashing or a database: MB/s, sorted
/// (low, median, high) over the probes.
struct DiskRates {
    probes: usize,
    /// Files of the photos' sizes, each written, fsynced and renamed into place as the server does.
    per_file: [f64; 3],
    /// One large file, fsynced at the end.
    sequential: [f64; 3],
}

/// The probes taken so far.
#[derive(Default)]
struct DiskProbes {
    per_file: Vec<f64>,
    sequential: Vec<f64>,
}

impl DiskProbes {
    fn run(
        &mut self,
        dir: &std::path::Path,
        photos: &[Vec<u8>],
        probes: usize,
    ) -> anyhow::Result<()> {
        for _ in 0..probes {
            let n = self.per_file.len();
            let (a, b) = disk_probe(&dir.join(format!("disk-probe-{n}")), photos)?;
            self.per_file.push(a);
            self.sequential.push(b);
        }
        Ok(())
    }

    fn rates(self) -> DiskRates {
        let spread = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            [v[0], v[v.len() / 2], v[v.len() - 1]]
        };
        DiskRates {
            probes: self.per_file.len(),
            per_file: spread(self.per_file),
            sequential: spread(self.sequential),
        }
    }
}

/// One probe, in a directory of its own. Its files stay until the run ends (they go with the
/// scratch directory): without a journal, ext4 skips inodes deleted in the last minute when it
/// makes a file, so deleting thousands of files here would slow the server's own file creation
/// during the run and the comparison would flatter the disk.
#[allow(clippy::cast_precision_loss)]
fn disk_probe(dir: &std::path::Path, photos: &[Vec<u8>]) -> anyhow::Result<(f64, f64)> {
    use std::io::Write as _;
    std::fs::create_dir_all(dir)?;
    let budget = DISK_PROBE_MB << 20;
    let started = Instant::now();
    let mut written = 0usize;
    let mut n = 0usize;
    while written < budget {
        let photo = &photos[n % photos.len()];
        let part = dir.join(format!("{n}.part"));
        let mut file = std::fs::File::create(&part)?;
        file.write_all(photo)?;
        file.sync_all()?;
        std::fs::rename(&part, dir.join(n.to_string()))?;
        written += photo.len();
        n += 1;
    }
    let per_file = written as f64 / 1e6 / started.elapsed().as_secs_f64();
    let block = vec![0x5Au8; 1 << 20];
    let started = Instant::now();
    let mut file = std::fs::File::create(dir.join("sequential"))?;
    for _ in 0..DISK_PROBE_MB {
        file.write_all(&block)?;
    }
    file.sync_all()?;
    let sequential = (DISK_PROBE_MB << 20) as f64 / 1e6 / started.elapsed().as_secs_f64();
    Ok((per_file, sequential))
}

/// How many single-row INSERTs of a survey-sized row (about 1 kB of JSON) the same database
/// commits with pgbench's 64 clients in 10 s: what the cluster alone gives, to set the ingest
/// beside (`None` when pgbench is not installed). Also the cluster's durability settings.
async fn pgbench_inserts(pool: &PgPool, url: &str) -> anyhow::Result<Option<(f64, String)>> {
    let program = tinjau_workflows::backup::pg_program("pgbench");
    if std::process::Command::new(&program)
        .arg("--version")
        .output()
        .is_err()
    {
        return Ok(None);
    }
    let mut settings = Vec::new();
    for name in ["fsync", "synchronous_commit", "full_page_writes"] {
        let value: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SHOW {name}")))
            .fetch_one(pool)
            .await?;
        settings.push(format!("{name} {value}"));
    }
    // As the database's owner (the application's role creates no tables).
    let owner = tinjau_db::connect_as_owner(url, 1).await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS bench_survey_row (
             id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), body jsonb NOT NULL)",
    )
    .execute(&owner)
    .await?;
    owner.close().await;
    let dir = tempfile_dir()?;
    let script = dir.path().join("insert.sql");
    let body = serde_json::json!({ "survey": "x".repeat(1_000) }).to_string();
    std::fs::write(
        &script,
        format!("INSERT INTO bench_survey_row (body) VALUES ('{body}');\n"),
    )?;
    let out = tokio::process::Command::new(&program)
        .args(["-n", "-c", "64", "-j", "2", "-T", "10", "-f"])
        .arg(&script)
        .arg(url)
        .output()
        .await?;
    drop(dir);
    let text = String::from_utf8_lossy(&out.stdout);
    let tps = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse::<f64>().ok());
    match tps {
        Some(tps) => Ok(Some((tps, settings.join(", ")))),
        None => bail!(
            "pgbench gave no rate: {}{}",
            text,
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}
