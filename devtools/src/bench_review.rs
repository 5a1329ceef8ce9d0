//! `tinjau bench review` and `tinjau bench export`: the camat's review list and the XLSX export on
//! a kota-sized, SYNTHETIC data set in a scratch database (the real Jakarta Pusat kelurahan codes;
//! generated proposals, anomalies and surveys).

use std::time::{Duration, Instant};

use anyhow::Context;
use futures::TryStreamExt;
use sqlx::{Connection, Executor, PgConnection, PgPool};

use crate::load::{peak_rss_mb, percentile, replace_database};

/// The kecamatan of Jakarta Pusat (31.71.01 Gambir ... 31.71.08 Kemayoran).
const KECAMATAN: [&str; 8] = [
    "31.71.01", "31.71.02", "31.71.03", "31.71.04", "31.71.05", "31.71.06", "31.71.07", "31.71.08",
];

#[derive(Debug, Clone)]
pub struct ReviewBench {
    pub database_url: String,
    /// Physical proposals per kecamatan.
    pub proposals: i64,
    /// Anomalies per proposal.
    pub anomalies: i64,
    /// Timed requests per query.
    pub requests: usize,
    /// Keep the scratch database afterwards, to look into it.
    pub keep: bool,
}

#[derive(Debug, Clone)]
pub struct ExportBench {
    pub database_url: String,
    pub rows: Vec<i64>,
}

/// A scratch database `tinjau_bench_<name>_<pid>`, dropped when done (unless `keep`).
pub async fn with_scratch<F, Fut>(url: &str, name: &str, keep: bool, work: F) -> anyhow::Result<()>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let scratch = format!("tinjau_bench_{name}_{}", std::process::id());
    let mut admin = PgConnection::connect(&replace_database(url, "postgres"))
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
    let result = work(replace_database(url, &scratch)).await;
    if keep {
        println!(
            "kept the scratch database {scratch} (drop it with: scripts/pg psql -c 'DROP DATABASE {scratch}')"
        );
        return result;
    }
    admin
        .execute(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {scratch} WITH (FORCE)"
        )))
        .await?;
    result
}

/// Migrates, loads the official code list, and generates `per_kecamatan` physical proposals in each
/// kecamatan of Jakarta Pusat with `anomalies` anomalies each; half of them surveyed (two photos
/// received), two of their anomalies then from the survey's checks; a third decided.
async fn seed(url: &str, per_kecamatan: i64, anomalies: i64) -> anyhow::Result<PgPool> {
    let plan = Synthetic {
        kecamatan: KECAMATAN.iter().map(|k| (*k).to_owned()).collect(),
        per_kecamatan,
        anomalies,
        flagged_every: 1,
        decided_every: Some(3),
    };
    seed_plan(url, &plan).await
}

/// Migrates, loads the official code list and seeds `plan`.
async fn seed_plan(url: &str, plan: &Synthetic) -> anyhow::Result<PgPool> {
    let pool = tinjau_db::migrated_pool(url, 8).await?;
    let wilayah = std::path::Path::new("data/wilayah/wilayah.csv");
    tinjau_workflows::import::wilayah::import(&pool, wilayah, false)
        .await
        .context("importing data/wilayah/wilayah.csv (run from the checkout)")?;
    seed_synthetic(&pool, plan).await?;
    Ok(pool)
}

/// What [`seed_synthetic`] generates (SYNTHETIC).
#[derive(Debug, Clone)]
pub struct Synthetic {
    /// Kecamatan codes (`31.71.01`), of kelurahan already in `wilayah`.
    pub kecamatan: Vec<String>,
    /// Physical proposals per kecamatan (row numbers 1..=n).
    pub per_kecamatan: i64,
    /// Anomalies per flagged proposal.
    pub anomalies: i64,
    /// Every `flagged_every`-th proposal carries anomalies (1: all of them).
    pub flagged_every: i64,
    /// Every `decided_every`-th proposal is approved already; `None`: all undecided.
    pub decided_every: Option<i64>,
}

/// Generates the review bench's proposals into a migrated database with the official code list:
/// paving proposals spread over each kecamatan's kelurahan, the even rows surveyed (a valid
/// record, two received photos), the flagged rows with anomalies (two of a surveyed one's from
/// the survey's checks).
pub async fn seed_synthetic(pool: &PgPool, plan: &Synthetic) -> anyhow::Result<()> {
    let (per_kecamatan, anomalies) = (plan.per_kecamatan, plan.anomalies);
    let started = Instant::now();
    let kecamatan = &plan.kecamatan;
    sqlx::query(
        "INSERT INTO proposal (tahun, natural_key, kelurahan_kode, rw, rt, nomor, permasalahan, program, usulan, lokasi,
                               volume, satuan_raw, unit, anggaran, skpd_tujuan, status, activity_code, pin, source, source_row)
         SELECT 2026, md5('bench/' || k.kecamatan || '/' || g), k.kel[1 + g % cardinality(k.kel)],
                lpad((1 + g % 12)::text, 2, '0'), lpad((1 + g % 9)::text, 3, '0'), g::text,
                'Jalan lingkungan rusak dan tergenang saat hujan', 'Peningkatan jalan lingkungan',
                'Pemasangan paving block gang ' || g, 'Jl. Contoh ' || g,
                100 + g % 400, 'm2', 'm2', (100 + g % 400) * 160000,
                (ARRAY['Suku Dinas Bina Marga', 'Suku Dinas Sumber Daya Air', 'Suku Dinas Pertamanan'])[1 + g % 3],
                'usulan', 'paving_block',
                ST_SetSRID(ST_MakePoint(106.80 + (g % 100) * 0.0004, -6.17 - (g % 97) * 0.0004), 4326),
                'bench (synthetic)', g
           FROM (SELECT left(kode, 8) AS kecamatan, array_agg(kode ORDER BY kode) AS kel
                   FROM wilayah WHERE level = 4 AND left(kode, 8) = ANY($1) GROUP BY 1) k
          CROSS JOIN generate_series(1, $2::int8) g(g)
          -- A kecamatan's proposals arrive together (one file per kecamatan or a kota file sorted
          -- by kelurahan), so they sit together in the table, as here.
          ORDER BY k.kecamatan, g.g",
    )
    .bind(kecamatan)
    .bind(per_kecamatan)
    .execute(pool)
    .await?;
    // Half surveyed (by the row number within the kecamatan: ids interleave the kecamatan), a
    // survey whose body is a valid record, with two received and read photos.
    sqlx::query(
        "INSERT INTO survey (id, proposal_id, body, body_sha256, captured_at, fix, accuracy_m)
         SELECT md5('survey/' || p.id)::uuid, p.id,
                jsonb_build_object(
                    'proposal_id', p.id, 'captured_at', '2026-02-10T03:15:00Z',
                    'fix', jsonb_build_object('lat', ST_Y(p.pin), 'lon', ST_X(p.pin), 'accuracy_m', 6.0,
                                              'altitude_m', NULL, 'fix_time', '2026-02-10T03:14:58Z'),
                    'trace', NULL, 'address_confirmed', true, 'address_note', NULL,
                    'technical', jsonb_build_object('ok', true, 'note', NULL),
                    'administrative', jsonb_build_object('ok', true, 'note', NULL),
                    'volume', jsonb_build_object('value', (p.volume * 1.3)::text, 'satuan', 'm2'),
                    'photos', jsonb_build_array(
                        jsonb_build_object('sha256', md5('a' || p.id) || md5('b' || p.id), 'bytes', 2000000,
                                           'content_type', 'image/jpeg', 'caption', NULL),
                        jsonb_build_object('sha256', md5('c' || p.id) || md5('d' || p.id), 'bytes', 2000000,
                                           'content_type', 'image/jpeg', 'caption', NULL)),
                    'supersedes', NULL),
                md5('body/' || p.id), '2026-02-10T03:15:00Z', p.pin, 6.0
           FROM proposal p WHERE p.source_row % 2 = 0",
    )
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT INTO survey_photo (survey_id, sha256, bytes, content_type, received_at, processed_at, has_thumbnail)
         SELECT s.id, x.sha, 2000000, 'image/jpeg', now(), now(), true
           FROM survey s
          CROSS JOIN LATERAL (VALUES (md5('a' || s.proposal_id) || md5('b' || s.proposal_id)),
                                     (md5('c' || s.proposal_id) || md5('d' || s.proposal_id))) x(sha)",
    )
    .execute(pool)
    .await?;
    // Anomalies: of the surveyed, two come from the survey's checks.
    sqlx::query(
        "INSERT INTO anomaly (proposal_id, survey_id, code, severity, message_id, message_en, details)
         SELECT p.id, CASE WHEN s.id IS NOT NULL AND n <= 2 THEN s.id END,
                CASE WHEN s.id IS NOT NULL AND n = 1 THEN 'VOLUME_DEVIATION'
                     WHEN s.id IS NOT NULL AND n = 2 THEN 'PHOTO_TIME_OFF'
                     ELSE (ARRAY['COST_ABOVE_STANDARD', 'COST_OUTLIER', 'DUPLICATE_NEARBY', 'LOCATION_BORDERLINE',
                                 'VOLUME_IMPLAUSIBLE', 'DONE_BEFORE'])[1 + abs(hashtext('code' || p.source_row || '/' || n)) % 6] END,
                (ARRAY['info', 'warning', 'high'])[1 + abs(hashtext('severity' || p.source_row || '/' || n)) % 3],
                'Temuan sintetis untuk benchmark nomor ' || n, 'Synthetic finding for the benchmark, number ' || n,
                jsonb_build_object('n', n, 'unit_cost', 160000 + n, 'standard', 150000)
           FROM proposal p
           LEFT JOIN survey s ON s.proposal_id = p.id
          CROSS JOIN generate_series(1, $1::int8) n
          WHERE p.source_row % $2 = 0",
    )
    .bind(anomalies)
    .bind(plan.flagged_every.max(1))
    .execute(pool)
    .await?;
    if let Some(every) = plan.decided_every {
        sqlx::query(
            "UPDATE proposal SET decision_status = 'approved', version = 2 WHERE source_row % $1 = 0",
        )
        .bind(every.max(1))
        .execute(pool)
        .await?;
    }
    sqlx::query("ANALYZE").execute(pool).await?;
    let (proposals, rows): (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM proposal), (SELECT count(*) FROM anomaly)")
            .fetch_one(pool)
            .await?;
    println!(
        "seeded (SYNTHETIC) {proposals} proposals in {} kecamatan of Jakarta Pusat, {rows} anomalies, in {:.1} s",
        kecamatan.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn figures(label: &str, mut times: Vec<Duration>) -> Duration {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p95 = percentile(&times, 0.95);
    println!(
        "  {label:<58} p50 {:>6.1} ms  p95 {:>6.1} ms  p99 {:>6.1} ms  max {:>6.1} ms",
        ms(percentile(&times, 0.5)),
        ms(p95),
        ms(percentile(&times, 0.99)),
        ms(times.last().copied().unwrap_or_default())
    );
    p95
}

/// The same first page and counts as the endpoint's default, as one SQL statement returning JSON:
/// what the list costs in the database alone.
const PLAIN_SQL: &str = r"
WITH p AS (
    SELECT * FROM proposal WHERE kecamatan_kode = $1 AND tahun = $2 AND activity_code IS NOT NULL
), latest AS (
    SELECT DISTINCT ON (s.proposal_id) s.proposal_id, s.id
      FROM survey s JOIN p ON p.id = s.proposal_id
     WHERE NOT EXISTS (SELECT 1 FROM survey n WHERE n.supersedes = s.id)
     ORDER BY s.proposal_id, s.captured_at DESC, s.received_at DESC, s.id
), a AS (
    SELECT x.* FROM anomaly x JOIN p ON p.id = x.proposal_id LEFT JOIN latest l ON l.proposal_id = p.id
     WHERE x.survey_id IS NULL OR x.survey_id = l.id
), ranked AS (
    SELECT p.id, p.anggaran, p.decision_status,
           coalesce(max(CASE a.severity WHEN 'high' THEN 3 WHEN 'warning' THEN 2 ELSE 1 END), 0) AS rank
      FROM p LEFT JOIN a ON a.proposal_id = p.id GROUP BY p.id, p.anggaran, p.decision_status
), page AS (
    SELECT id, rank FROM ranked ORDER BY rank DESC, anggaran DESC, id LIMIT 50
)
SELECT json_build_object(
    'items', (SELECT json_agg(json_build_object(
                  'id', p.id, 'usulan', p.usulan, 'lokasi', p.lokasi, 'volume', p.volume, 'anggaran', p.anggaran,
                  'kelurahan', w.nama, 'version', p.version, 'decision', p.decision_status,
                  'survey', (SELECT json_build_object('id', s.id, 'fix', ST_AsGeoJSON(s.fix)::json, 'accuracy_m', s.accuracy_m,
                                                       'volume', s.body->'volume',
                                                       'photos', (SELECT json_agg(ph.sha256) FROM survey_photo ph WHERE ph.survey_id = s.id))
                               FROM latest l JOIN survey s ON s.id = l.id WHERE l.proposal_id = p.id),
                  'anomalies', (SELECT json_agg(json_build_object('code', a.code, 'severity', a.severity,
                                                                  'message', json_build_object('id', a.message_id, 'en', a.message_en),
                                                                  'details', a.details)
                                                ORDER BY CASE a.severity WHEN 'high' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, a.code)
                                  FROM a WHERE a.proposal_id = p.id))
                  ORDER BY pg.rank DESC, p.anggaran DESC, p.id)
                FROM page pg JOIN p ON p.id = pg.id JOIN wilayah w ON w.kode = p.kelurahan_kode),
    'by_code', (SELECT json_object_agg(code, n) FROM (SELECT code, count(DISTINCT proposal_id) AS n FROM a GROUP BY code) c),
    'by_decision', (SELECT json_object_agg(decision_status, n) FROM (SELECT decision_status, count(*) AS n FROM ranked GROUP BY 1) d),
    'by_severity', (SELECT json_object_agg(rank, n) FROM (SELECT rank, count(*) AS n FROM ranked GROUP BY 1) r),
    'total', (SELECT count(*) FROM ranked))::text";

pub async fn review(bench: &ReviewBench) -> anyhow::Result<()> {
    let bench = bench.clone();
    with_scratch(&bench.database_url.clone(), "review", bench.keep, move |url| async move {
        let pool = seed(&url, bench.proposals, bench.anomalies).await?;
        let camat = tinjau_db::user::create(&pool, "bench.camat", "camat", Some("31.71.01"), None).await?;
        let token = tinjau_domain::caller::new_token();
        tinjau_db::user::add_token(&pool, camat, &tinjau_domain::caller::token_digest(&token), "bench").await?;

        let storage = std::env::temp_dir().join(format!("tinjau-bench-review-{}", std::process::id()));
        let mut settings = tinjau_http::config::Settings::with_database_url(&url);
        settings.port = 0;
        settings.storage_dir.clone_from(&storage);
        settings.photo_workers = 0;
        settings.migrate = false;
        let app = tinjau_http::Application::build(&settings).await?;
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until(std::future::pending()));
        let client = reqwest::Client::new();

        println!(
            "review list of 31.71.01 Gambir ({} physical proposals, {} anomalies each), {} timed requests each, after 20 untimed:",
            bench.proposals, bench.anomalies, bench.requests
        );
        let mut worst_default = Duration::ZERO;
        for (label, query) in [
            ("endpoint, default page (50, most serious first)", ""),
            ("endpoint, severity=high", "&severity=high"),
            ("endpoint, anomaly=VOLUME_DEVIATION&per_page=200", "&anomaly=VOLUME_DEVIATION&per_page=200"),
            ("endpoint, decision=undecided&surveyed=false", "&decision=undecided&surveyed=false"),
        ] {
            let url = format!("{base}/api/v1/review/31.71.01?tahun=2026{query}");
            let mut times = Vec::with_capacity(bench.requests);
            for i in 0..bench.requests + 20 {
                let started = Instant::now();
                let response = client.get(&url).bearer_auth(&token).send().await?;
                anyhow::ensure!(response.status().is_success(), "{url}: {}", response.status());
                let body = response.bytes().await?;
                if i >= 20 {
                    times.push(started.elapsed());
                }
                anyhow::ensure!(!body.is_empty());
            }
            let p95 = figures(label, times);
            if query.is_empty() {
                worst_default = p95;
            }
        }
        let mut times = Vec::with_capacity(bench.requests);
        for i in 0..bench.requests + 20 {
            let started = Instant::now();
            let page: String = sqlx::query_scalar(sqlx::AssertSqlSafe(PLAIN_SQL))
                .bind("31.71.01")
                .bind(2026)
                .fetch_one(&pool)
                .await?;
            if i >= 20 {
                times.push(started.elapsed());
            }
            anyhow::ensure!(page.len() > 2);
        }
        let sql_p95 = figures("plain SQL of the default page and counts (one statement)", times);
        println!(
            "  target p95 < 50 ms: {} ({:.1} ms; the plain SQL alone {:.1} ms)",
            if worst_default < Duration::from_millis(50) { "met" } else { "NOT met" },
            worst_default.as_secs_f64() * 1000.0,
            sql_p95.as_secs_f64() * 1000.0
        );
        let _ = std::fs::remove_dir_all(&storage);
        pool.close().await;
        Ok(())
    })
    .await
}

pub async fn export(bench: &ExportBench) -> anyhow::Result<()> {
    let bench = bench.clone();
    with_scratch(&bench.database_url.clone(), "review", false, move |url| async move {
        let most = bench.rows.iter().copied().max().unwrap_or(0);
        let per_kecamatan = (most + 7) / 8;
        let pool = seed(&url, per_kecamatan, 1).await?;
        let pid = std::process::id();
        println!("Lampiran II to XLSX, streamed from the database row by row (constant-memory writer):");
        println!("  peak RSS of this process before: {:.1} MB", peak_rss_mb(pid).unwrap_or(0.0));
        let dir = std::env::temp_dir();
        for rows in &bench.rows {
            let started = Instant::now();
            let title = tinjau_workflows::forms::xlsx::Title {
                kecamatan_nama: "Jakarta Pusat (benchmark)".into(),
                kota_nama: "Kota Administrasi Jakarta Pusat".into(),
                tahun: 2026,
                status: "RANCANGAN — benchmark (SYNTHETIC)".into(),
                nomor: String::new(),
                tanggal: String::new(),
                signatures: tinjau_workflows::forms::Signatures {
                    head_title: "Kepala Kanppeko/Kab.".into(),
                    head: survey_schema::forum::Official::default(),
                    camat_title: "Camat".into(),
                    camat: survey_schema::forum::Official::default(),
                    ditetapkan_di: "Jakarta".into(),
                },
            };
            let mut writer = tinjau_workflows::forms::xlsx::Form3Writer::new(title)?;
            let mut stream = sqlx::query_as::<_, (String, String, String, rust_decimal::Decimal, String, i64, String, String)>(
                "SELECT p.permasalahan, p.program, p.usulan, p.volume, p.satuan_raw, p.anggaran, p.skpd_tujuan, w.nama
                   FROM proposal p JOIN wilayah w ON w.kode = p.kelurahan_kode
                  ORDER BY p.skpd_tujuan, p.id LIMIT $1",
            )
            .bind(rows)
            .fetch(&pool);
            let (mut no, mut group, mut written) = (0usize, String::new(), 0i64);
            while let Some((permasalahan, program, usulan, volume, satuan, anggaran, skpd, kelurahan)) =
                stream.try_next().await?
            {
                if skpd != group {
                    group.clone_from(&skpd);
                    no = 0;
                }
                no += 1;
                writer.push(&tinjau_workflows::forms::Form3Row {
                    no,
                    rank: None,
                    permasalahan,
                    program,
                    usulan,
                    lokasi: format!("Kel. {kelurahan}"),
                    volume,
                    satuan,
                    anggaran,
                    skpd,
                })?;
                written += 1;
            }
            let path = dir.join(format!("tinjau-bench-export-{pid}-{rows}.xlsx"));
            let file = std::fs::File::create(&path)?;
            writer.finish_to(file)?;
            let bytes = std::fs::metadata(&path)?.len();
            let _ = std::fs::remove_file(&path);
            println!(
                "  {written:>7} rows: {:>5.2} s, file {:>5.1} MB, peak RSS of this process since start {:>6.1} MB",
                started.elapsed().as_secs_f64(),
                bytes as f64 / 1e6,
                peak_rss_mb(pid).unwrap_or(0.0)
            );
        }
        pool.close().await;
        Ok(())
    })
    .await
}

/// What `tinjau-dev bench bulk` measures.
#[derive(Debug, Clone)]
pub struct BulkBench {
    pub database_url: String,
    /// Physical proposals in the kecamatan.
    pub proposals: i64,
    pub keep: bool,
}

/// Bulk approval of a kecamatan's proposals without a finding (SYNTHETIC, as the review bench
/// seeds them): the list read as a camat's page reads it, then one bulk action, timed.
pub async fn bulk(bench: &BulkBench) -> anyhow::Result<()> {
    let bench = bench.clone();
    with_scratch(&bench.database_url.clone(), "bulk", bench.keep, move |url| async move {
        // Gambir alone, every proposal undecided and without a finding: all of them go in one action.
        let plan = Synthetic {
            kecamatan: vec!["31.71.01".to_owned()],
            per_kecamatan: bench.proposals,
            anomalies: 0,
            flagged_every: 1,
            decided_every: None,
        };
        let pool = seed_plan(&url, &plan).await?;
        let user = tinjau_domain::CurrentUser::cli();
        let kecamatan = survey_schema::WilayahKode::parse("31.71.01")?;
        let mut conn = pool.acquire().await?;
        let seen: Vec<survey_schema::review::SeenProposal> =
            tinjau_workflows::review::bulk::candidates(
                &mut conn,
                &user,
                &kecamatan,
                2026,
                &tinjau_workflows::review::ReviewFilter::default(),
                survey_schema::BulkCriterion::NoFinding,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        drop(conn);
        let request = survey_schema::BulkApproveRequest {
            id: uuid::Uuid::new_v4(),
            criterion: survey_schema::BulkCriterion::NoFinding,
            proposals: seen,
            note: Some("Disetujui bersama (benchmark, SYNTHETIC)".into()),
        };
        let started = Instant::now();
        let outcome =
            tinjau_workflows::review::bulk::approve(&pool, &user, &kecamatan, 2026, &request)
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let took = started.elapsed();
        println!(
            "bulk approval of 31.71.01 Gambir ({} physical proposals, SYNTHETIC): {} approved, {} skipped, Rp {} in {:.2} s",
            bench.proposals,
            outcome.approved.len(),
            outcome.skipped.len(),
            outcome.total_rupiah,
            took.as_secs_f64()
        );
        println!(
            "  target < 2 s for 2,000 proposals: {}",
            if took < Duration::from_secs(2) { "met" } else { "NOT met" }
        );
        let started = Instant::now();
        let again = tinjau_workflows::review::bulk::approve(&pool, &user, &kecamatan, 2026, &request)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        println!(
            "  the same action again (a retry): {} repeated, {} approved, in {:.2} s",
            again.repeated.len(),
            again.approved.len(),
            started.elapsed().as_secs_f64()
        );
        pool.close().await;
        Ok(())
    })
    .await
}
