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
}

#[derive(Debug, Default)]
struct Stats {
    survey_latencies: Vec<Duration>,
    photo_bytes: u64,
    dropped: usize,
    acknowledged_surveys: Vec<Uuid>,
    acknowledged_photos: Vec<(Uuid, String)>,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn peak_rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
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

fn replace_database(url: &str, database: &str) -> String {
    match url.rfind('/') {
        Some(i) if i > url.find("://").map_or(0, |j| j + 2) => format!("{}/{database}", &url[..i]),
        _ => format!("{url}/{database}"),
    }
}

async fn run_on(bench: &IngestBench, url: &str) -> anyhow::Result<()> {
    let pool = crate::db::connect(url, 4).await?;
    crate::MIGRATOR.run(&pool).await?;
    let (token, proposals) = seed(&pool, bench).await?;
    let photos = load_photos(&bench.photo_dir)?;

    let storage = tempfile_dir()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut server = tokio::process::Command::new(std::env::current_exe()?)
        .args([
            "serve",
            "--port",
            &port.to_string(),
            "--max-db-connections",
            "16",
        ])
        .env("DATABASE_URL", url)
        .env("TINJAU_STORAGE_DIR", &storage)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting tinjau serve")?;
    let pid = server.id().context("server pid")?;
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest_client()?;
    wait_ready(&client, &base).await?;

    let stats = Arc::new(Mutex::new(Stats::default()));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for phone in 0..bench.phones {
        let (client, base, token, stats, photos) = (
            client.clone(),
            base.clone(),
            token.clone(),
            stats.clone(),
            photos.clone(),
        );
        let proposal = proposals[phone % proposals.len()];
        let (surveys, per_survey, drop_rate) = (
            bench.surveys_per_phone,
            bench.photos_per_survey,
            bench.drop_rate,
        );
        let seed = bench.seed + phone as u64;
        tasks.push(tokio::spawn(async move {
            phone_session(
                &client, &base, &token, proposal, surveys, per_survey, drop_rate, &photos, seed,
                phone, &stats,
            )
            .await
        }));
    }
    for task in tasks {
        task.await??;
    }
    let elapsed = started.elapsed();
    let rss = peak_rss_mb(pid);
    let _ = server.kill().await;
    let stats = Arc::try_unwrap(stats)
        .map_err(|_| anyhow::anyhow!("stats still shared"))?
        .into_inner();

    let (lost, doubled, extra) = verify(&pool, &stats).await?;
    let mut latencies = stats.survey_latencies.clone();
    latencies.sort();
    let surveys = stats.acknowledged_surveys.len();
    let disk_mb_s = disk_write_rate(&storage)?;
    let _ = std::fs::remove_dir_all(&storage);
    println!(
        "ingest: {} phones x {} surveys x {} photos, drop rate {:.0}%, {:.1} s",
        bench.phones,
        bench.surveys_per_phone,
        bench.photos_per_survey,
        bench.drop_rate * 100.0,
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
        "photos: {} stored, {:.1} MB/s (this disk writes {disk_mb_s:.1} MB/s with fsync, one stream)",
        stats.acknowledged_photos.len(),
        stats.photo_bytes as f64 / 1e6 / elapsed.as_secs_f64()
    );
    println!("dropped connections retried: {}", stats.dropped);
    println!(
        "server peak RSS: {}",
        rss.map_or_else(|| "unknown".to_owned(), |mb| format!("{mb:.0} MB"))
    );
    println!("verification: {lost} lost, {doubled} doubled, {extra} unacknowledged extra");
    if lost + doubled + extra > 0 {
        bail!("the ingest lost or doubled data");
    }
    Ok(())
}

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("tinjau-bench-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
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

/// A kecamatan's worth of reference data, proposals and one surveyor with a token.
async fn seed(pool: &PgPool, bench: &IngestBench) -> anyhow::Result<(String, Vec<i64>)> {
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
    let user =
        crate::db::user::create(pool, "bench.surveyor", "surveyor", Some("31.71.01"), None).await?;
    let token = crate::auth::new_token();
    crate::db::user::add_token(pool, user, &crate::auth::token_digest(&token), "bench").await?;
    Ok((token, ids))
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

#[allow(clippy::too_many_arguments)]
async fn phone_session(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    proposal: i64,
    surveys: usize,
    photos_per_survey: usize,
    drop_rate: f64,
    photos: &[Vec<u8>],
    seed: u64,
    phone: usize,
    stats: &Mutex<Stats>,
) -> anyhow::Result<()> {
    let mut rng = SmallRng::seed_from_u64(seed);
    for n in 0..surveys {
        let id = Uuid::new_v4();
        let files: Vec<Vec<u8>> = (0..photos_per_survey)
            .map(|k| unique_jpeg(&photos[(n + k) % photos.len()], &format!("{phone}-{n}-{k}")))
            .collect();
        let manifest: Vec<serde_json::Value> = files
            .iter()
            .map(|f| serde_json::json!({"sha256": hex::encode(Sha256::digest(f)), "bytes": f.len(), "content_type": "image/jpeg", "caption": null}))
            .collect();
        let body = serde_json::json!({
            "proposal_id": proposal,
            "captured_at": "2026-02-10T03:15:00Z",
            "fix": {"lat": -6.1754 + rng.random_range(-0.001..0.001), "lon": 106.8272, "accuracy_m": 6.0, "altitude_m": null, "fix_time": "2026-02-10T03:14:58Z"},
            "trace": null, "address_confirmed": true, "address_note": null,
            "technical": {"ok": true, "note": null}, "administrative": {"ok": true, "note": null},
            "volume": {"value": "100", "satuan": "m"}, "photos": manifest, "supersedes": null
        });
        let url = format!("{base}/api/v1/surveys/{id}");
        loop {
            let request = client.put(&url).bearer_auth(token).json(&body).send();
            if rng.random_bool(drop_rate) {
                // The answer never reaches the phone: the request may or may not have been stored.
                let cut = Duration::from_micros(rng.random_range(0..3000));
                let _ = tokio::time::timeout(cut, request).await;
                stats.lock().await.dropped += 1;
                continue;
            }
            let started = Instant::now();
            let response = request.await?;
            let status = response.status();
            if status == reqwest::StatusCode::CREATED || status == reqwest::StatusCode::OK {
                let mut s = stats.lock().await;
                s.survey_latencies.push(started.elapsed());
                s.acknowledged_surveys.push(id);
                break;
            }
            bail!(
                "survey PUT answered {status}: {}",
                response.text().await.unwrap_or_default()
            );
        }
        for file in files {
            let sha = hex::encode(Sha256::digest(&file));
            let url = format!("{base}/api/v1/surveys/{id}/photos/{sha}");
            loop {
                let request = client
                    .put(&url)
                    .bearer_auth(token)
                    .body(file.clone())
                    .send();
                if rng.random_bool(drop_rate) {
                    let cut = Duration::from_micros(rng.random_range(0..3000));
                    let _ = tokio::time::timeout(cut, request).await;
                    stats.lock().await.dropped += 1;
                    continue;
                }
                let response = request.await?;
                let status = response.status();
                if status == reqwest::StatusCode::CREATED || status == reqwest::StatusCode::OK {
                    let mut s = stats.lock().await;
                    s.photo_bytes += file.len() as u64;
                    s.acknowledged_photos.push((id, sha));
                    break;
                }
                bail!(
                    "photo PUT answered {status}: {}",
                    response.text().await.unwrap_or_default()
                );
            }
        }
    }
    Ok(())
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

/// What this disk writes with fsync, for comparison: 64 MB in 1 MB blocks.
fn disk_write_rate(dir: &std::path::Path) -> anyhow::Result<f64> {
    use std::io::Write as _;
    let path = dir.join("disk-probe");
    let block = vec![0x5Au8; 1 << 20];
    let started = Instant::now();
    let mut file = std::fs::File::create(&path)?;
    for _ in 0..64 {
        file.write_all(&block)?;
    }
    file.sync_all()?;
    let rate = 64.0 * 1.048_576 / started.elapsed().as_secs_f64();
    std::fs::remove_file(&path)?;
    Ok(rate)
}
