//! What an operator and a slow or hostile network do to the real server: the database restarting
//! under load, clients that send their head or body slowly, oversized declared bodies, and what
//! interrupted uploads leave behind.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(clippy::too_many_lines)]

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use futures::StreamExt as _;
use reqwest::StatusCode;
use survey_schema::Role;
use tinjau_tests::field::{photo, record, sha};
use tinjau_tests::{Fixture, TestApp, fresh_database, repo_root, spawn_app_with_settings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

const PROPOSALS: &str = "\
No;Usulan Kegiatan;Lokasi;Kode Kelurahan;Volume;Satuan;Perkiraan Anggaran
1;Pemasangan paving block;Jl. Cideng Barat;31.71.01.1002;200;m2;Rp 32.000.000
";

/// A surveyor's token and a stored survey declaring `photos`.
async fn survey(app: &TestApp, photos: &[&[u8]]) -> (String, String) {
    let ids = app.import_proposals(PROPOSALS, 2026).await;
    let token = app.token_for(Role::Surveyor, Some("31.71.01")).await;
    let id = Uuid::new_v4().to_string();
    let response = app
        .client
        .put(app.url(&format!("/api/v1/surveys/{id}")))
        .bearer_auth(&token)
        .json(&record(
            ids[0],
            &photos.iter().map(|p| ("", *p)).collect::<Vec<_>>(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    (token, id)
}

fn host(app: &TestApp) -> String {
    app.address.trim_start_matches("http://").to_owned()
}

/// Reads what the server sends until it closes the connection, or `within` passes (`None`).
async fn read_until_closed(socket: &mut tokio::net::TcpStream, within: Duration) -> Option<String> {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(within, socket.read_to_end(&mut answer)).await;
    match read {
        Ok(_) => Some(String::from_utf8_lossy(&answer).into_owned()),
        Err(_) => None,
    }
}

/// A client that opens a connection and sends its request head slowly (or never finishes it) is
/// disconnected after the header timeout, with or without a token.
#[tokio::test]
async fn a_client_that_never_finishes_its_request_head_is_disconnected() {
    let app = spawn_app_with_settings(Fixture::Empty, |s| {
        s.header_timeout = Duration::from_secs(1);
    })
    .await;
    let started = Instant::now();
    let mut socket = tokio::net::TcpStream::connect(host(&app)).await.unwrap();
    socket
        .write_all(b"GET /api/v1/wilayah/31.71 HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let closed = read_until_closed(&mut socket, Duration::from_secs(10)).await;
    assert!(closed.is_some(), "the connection was still held after 10 s");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // A whole request on a new connection is served as ever.
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

/// A body declared larger than the endpoint takes is refused at once, before a byte of it is read:
/// 2 GB announced for a survey record or a photo costs the server nothing.
#[tokio::test]
async fn a_body_declared_too_large_is_refused_at_once_without_reading_it() {
    let app = spawn_app_with_settings(Fixture::Reference, |_| {}).await;
    let jpeg = photo("DSCN0010.jpg");
    let (token, survey_id) = survey(&app, &[&jpeg]).await;
    for (method, path, with_token) in [
        ("PUT", format!("/api/v1/surveys/{}", Uuid::new_v4()), false),
        (
            "PUT",
            format!("/api/v1/surveys/{survey_id}/photos/{}", sha(&jpeg)),
            true,
        ),
        (
            "PATCH",
            format!("/api/v1/surveys/{survey_id}/photos/{}", sha(&jpeg)),
            true,
        ),
        (
            "POST",
            format!("/v1/key/{token}/projects/31.71.01/submission"),
            false,
        ),
    ] {
        let started = Instant::now();
        let mut socket = tokio::net::TcpStream::connect(host(&app)).await.unwrap();
        let auth = if with_token {
            format!("Authorization: Bearer {token}\r\n")
        } else {
            String::new()
        };
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nContent-Length: 2000000000\r\n\r\n"
        );
        socket.write_all(head.as_bytes()).await.unwrap();
        socket.write_all(b"{\"a\":").await.unwrap();
        let answer = read_until_closed(&mut socket, Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("{method} {path}: no answer within 10 s"));
        assert!(
            answer.starts_with("HTTP/1.1 413"),
            "{method} {path}: {answer}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{method} {path}"
        );
    }

    // Within the endpoint's limit but larger than the photo declared in the manifest: 413 before
    // the body, too.
    let mut socket = tokio::net::TcpStream::connect(host(&app)).await.unwrap();
    let head = format!(
        "PUT /api/v1/surveys/{survey_id}/photos/{} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\n\r\n",
        sha(&jpeg),
        jpeg.len() * 4
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&jpeg[..1000]).await.unwrap();
    let mut answer = vec![0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(5), socket.read(&mut answer))
        .await
        .expect("an answer before the body")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

/// An upload's deadline grows with its declared size at the slowest pace accepted: a small photo
/// trickling in is cut off after seconds, not the half hour a large one may need.
#[tokio::test]
async fn a_trickling_upload_gets_the_time_its_size_needs_not_more() {
    let app = spawn_app_with_settings(Fixture::Reference, |s| {
        s.request_timeout = Duration::from_secs(1);
        // 160 kB at 100 kB/s: about 2.6 s in all.
        s.upload_min_bytes_per_sec = 100_000;
    })
    .await;
    let jpeg = photo("DSCN0010.jpg");
    let (token, survey_id) = survey(&app, &[&jpeg]).await;
    let url = app.url(&format!(
        "/api/v1/surveys/{survey_id}/photos/{}",
        sha(&jpeg)
    ));
    let pieces: Vec<Vec<u8>> = jpeg.chunks(2_000).map(<[u8]>::to_vec).collect();
    let slow = futures::stream::iter(pieces).then(|piece| async move {
        tokio::time::sleep(Duration::from_millis(250)).await;
        Ok::<_, std::io::Error>(piece)
    });
    let started = Instant::now();
    let response = app
        .client
        .put(&url)
        .bearer_auth(&token)
        .header("content-length", jpeg.len())
        .body(reqwest::Body::wrap_stream(slow))
        .send()
        .await;
    let elapsed = started.elapsed();
    if let Ok(response) = response {
        assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
    }
    assert!(
        elapsed < Duration::from_secs(8),
        "held for {elapsed:?}; at this pace the whole photo would take 20 s"
    );
    let received: Option<SystemTime> =
        sqlx::query_scalar::<_, Option<chrono::DateTime<chrono::Utc>>>(
            "SELECT received_at FROM survey_photo",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap()
        .map(SystemTime::from);
    assert_eq!(
        received, None,
        "nothing of the cut-off upload is taken as the photo"
    );

    // The same photo at a pace the limit accepts is stored.
    let response = app
        .client
        .put(&url)
        .bearer_auth(&token)
        .body(jpeg.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}

/// Files a killed process left in `storage/tmp` are swept at start (a file a request still holds
/// is left alone), and a tus upload idle past its expiry is dropped, as `Upload-Expires` announced.
#[tokio::test]
async fn what_interrupted_uploads_leave_is_swept_and_idle_tus_uploads_expire() {
    let held = Arc::new(std::sync::Mutex::new(None));
    let held_in = Arc::clone(&held);
    let app = spawn_app_with_settings(Fixture::Reference, move |s| {
        s.tus_expiry = Duration::from_secs(2);
        let tmp = s.storage_dir.join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        let an_hour_ago = SystemTime::now() - Duration::from_hours(1);
        for name in ["killed-1.part", "killed-2.part", "copy.read", "held.part"] {
            let file = std::fs::File::create(tmp.join(name)).unwrap();
            std::io::Write::write_all(&mut &file, b"half a photo").unwrap();
            file.set_modified(an_hour_ago).unwrap();
        }
        let file = std::fs::File::open(tmp.join("held.part")).unwrap();
        file.lock().unwrap();
        *held_in.lock().unwrap() = Some(file);
    })
    .await;
    let tmp = app.storage.path().join("tmp");
    let names = || {
        let mut names: Vec<String> = std::fs::read_dir(&tmp)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let mut left = names();
    for _ in 0..50 {
        if left == ["held.part"] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = names();
    }
    assert_eq!(left, ["held.part"], "swept at start, the held file kept");
    drop(held.lock().unwrap().take());

    // A tus upload of half a photo, then nothing: it expires and its bytes go.
    let jpeg = photo("DSCN0012.jpg");
    let (token, survey_id) = survey(&app, &[&jpeg]).await;
    let url = app.url(&format!(
        "/api/v1/surveys/{survey_id}/photos/{}",
        sha(&jpeg)
    ));
    let half = jpeg.len() / 2;
    let patch = app
        .client
        .patch(&url)
        .bearer_auth(&token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .body(jpeg[..half].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), StatusCode::NO_CONTENT);
    let expires = patch.headers()["upload-expires"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(expires.ends_with(" GMT"), "{expires}");
    let head = || {
        app.client
            .head(&url)
            .bearer_auth(&token)
            .header("Tus-Resumable", "1.0.0")
            .send()
    };
    let offset = |r: &reqwest::Response| -> u64 {
        r.headers()["upload-offset"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    let first = head().await.unwrap();
    assert_eq!(offset(&first), half as u64);
    assert!(first.headers().contains_key("upload-expires"));
    let mut now = offset(&first);
    for _ in 0..60 {
        if now == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        now = offset(&head().await.unwrap());
    }
    assert_eq!(now, 0, "the idle upload expired");
    assert!(
        !names().iter().any(|n| n.starts_with("tus-")),
        "{:?}",
        names()
    );
}

/// A private cluster for a test that restarts it: the shared one serves every other test.
struct PrivateCluster {
    dir: tempfile::TempDir,
    port: u16,
}

impl PrivateCluster {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = Self { dir, port };
        cluster.pg("start");
        cluster
    }

    fn pg(&self, command: &str) {
        let output = std::process::Command::new(repo_root().join("scripts/pg"))
            .arg(command)
            .env("TINJAU_PG_DIR", self.dir.path())
            .env("TINJAU_PG_PORT", self.port.to_string())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "scripts/pg {command}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn url(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("database_url"))
            .unwrap()
            .trim()
            .to_owned()
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        self.pg("stop");
    }
}

/// PostgreSQL restarts while 16 phones send surveys: requests in flight answer 503 with
/// Retry-After (which every client retries), never 500, and every survey acknowledged is there
/// afterwards.
#[tokio::test]
async fn a_database_restart_under_load_answers_503_never_500_and_loses_nothing() {
    let cluster = PrivateCluster::start();
    let url = cluster.url();
    let storage = tempfile::tempdir().unwrap();
    let mut settings = tinjau_http::config::Settings::with_database_url(&url);
    settings.port = 0;
    settings.storage_dir = storage.path().to_path_buf();
    settings.max_db_connections = 4;
    let server = tinjau_http::Application::build(&settings).await.unwrap();
    let base = format!("http://127.0.0.1:{}", server.port());
    tokio::spawn(server.run_until(std::future::pending()));
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    // Just what a survey needs: the kelurahan's code, a proposal and a surveyor.
    sqlx::query(
        "INSERT INTO wilayah (kode, nama, level, parent_kode) VALUES ('31', 'DKI JAKARTA', 1, NULL),
                ('31.71', 'KOTA ADM. JAKARTA PUSAT', 2, '31'), ('31.71.01', 'Gambir', 3, '31.71'),
                ('31.71.01.1002', 'Cideng', 4, '31.71.01')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), PROPOSALS).unwrap();
    let options = tinjau_workflows::import::proposals::ProposalImportOptions {
        tahun: 2026,
        ..Default::default()
    };
    tinjau_workflows::import::proposals::import(&pool, file.path(), &options)
        .await
        .unwrap();
    let proposal: i64 = sqlx::query_scalar("SELECT id FROM proposal")
        .fetch_one(&pool)
        .await
        .unwrap();
    let user = tinjau_db::user::create(
        &pool,
        "surveyor.restart",
        "surveyor",
        Some("31.71.01"),
        None,
    )
    .await
    .unwrap();
    let token = tinjau_domain::caller::new_token();
    tinjau_db::user::add_token(
        &pool,
        user,
        &tinjau_domain::caller::token_digest(&token),
        "test",
    )
    .await
    .unwrap();
    pool.close().await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let met_the_restart = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut phones = Vec::new();
    for _ in 0..16 {
        let (client, base, token, stop, met) = (
            client.clone(),
            base.clone(),
            token.clone(),
            Arc::clone(&stop),
            Arc::clone(&met_the_restart),
        );
        let body = record(proposal, &[]);
        phones.push(tokio::spawn(async move {
            let mut answers: Vec<(StatusCode, bool, Option<String>)> = Vec::new();
            let mut acknowledged = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let id = Uuid::new_v4();
                let Ok(response) = client
                    .put(format!("{base}/api/v1/surveys/{id}"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                else {
                    continue;
                };
                let status = response.status();
                let retry_after = response.headers().contains_key("retry-after");
                let text = response.text().await.unwrap_or_default();
                if status.is_success() {
                    acknowledged.push(id);
                }
                if status == StatusCode::SERVICE_UNAVAILABLE {
                    met.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                answers.push((status, retry_after, Some(text)));
                if !status.is_success() {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            (answers, acknowledged)
        }));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    // A restart that falls between the phones' requests (the pool waits for the database to come
    // back) meets no request, and neither does one that only cuts a batch of surveys off (the
    // writer stores them again one by one once the database is back); on a busy machine that
    // happens, so restart until one is met, at most eight times.
    let mut cluster = cluster;
    for _ in 0..8 {
        cluster = tokio::task::spawn_blocking(move || {
            cluster.pg("stop");
            std::thread::sleep(Duration::from_millis(500));
            cluster.pg("start");
            cluster
        })
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
        if met_the_restart.load(std::sync::atomic::Ordering::Relaxed) > 0 {
            break;
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut answers = Vec::new();
    let mut acknowledged = Vec::new();
    for phone in phones {
        let (a, ok) = phone.await.unwrap();
        answers.extend(a);
        acknowledged.extend(ok);
    }
    let server_errors: Vec<&(StatusCode, bool, Option<String>)> = answers
        .iter()
        .filter(|(s, ..)| s.is_server_error() && *s != StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(server_errors.is_empty(), "{server_errors:?}");
    let unavailable: Vec<_> = answers
        .iter()
        .filter(|(s, ..)| *s == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(
        !unavailable.is_empty(),
        "no request met the restart: the test proves nothing ({} answers)",
        answers.len()
    );
    assert!(unavailable.iter().all(|(_, retry_after, _)| *retry_after));
    assert!(
        answers.iter().rev().take(16).all(|(s, ..)| s.is_success()),
        "served again after the restart"
    );

    let pool = sqlx::PgPool::connect(&cluster.url()).await.unwrap();
    let stored: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM survey")
        .fetch_all(&pool)
        .await
        .unwrap();
    let stored: std::collections::HashSet<Uuid> = stored.into_iter().collect();
    let lost: Vec<&Uuid> = acknowledged
        .iter()
        .filter(|id| !stored.contains(id))
        .collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    pool.close().await;
    drop(cluster);
}

/// The first surveys after a start do not wait for connections to be opened and PostGIS to be
/// loaded into them (each as long as a survey's whole statement): the pool opens every connection
/// before the server takes a request, runs PostGIS's library in each, and keeps them open.
#[tokio::test]
async fn a_pool_opens_every_connection_at_once_with_postgis_loaded() {
    let url = fresh_database(Fixture::Empty).await.unwrap();
    let name = format!("tinjau-warm-{}", Uuid::new_v4().simple());
    let separator = if url.contains('?') { '&' } else { '?' };
    let pool = tinjau_db::connect(&format!("{url}{separator}application_name={name}"), 3)
        .await
        .unwrap();
    assert_eq!(pool.size(), 3, "every connection opened by connect()");

    let observer = sqlx::PgPool::connect(&url).await.unwrap();
    let sessions: Vec<(String, String)> = sqlx::query_as(
        "SELECT state, query FROM pg_stat_activity WHERE application_name = $1 ORDER BY pid",
    )
    .bind(&name)
    .fetch_all(&observer)
    .await
    .unwrap();
    assert_eq!(sessions.len(), 3, "{sessions:?}");
    for (state, last_query) in &sessions {
        assert_eq!(state, "idle");
        assert!(
            last_query.contains("postgis_lib_version()"),
            "each connection's last statement loads PostGIS: {last_query}"
        );
    }

    // A pool of its own (a survey writer's) opens its connections the same way.
    let own = tinjau_db::own_pool(&pool, 2).await.unwrap();
    let opened: (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE query LIKE '%postgis_lib_version()%')
           FROM pg_stat_activity WHERE application_name = $1",
    )
    .bind(&name)
    .fetch_one(&observer)
    .await
    .unwrap();
    assert_eq!(
        opened,
        (5, 5),
        "3 + 2 connections, each with PostGIS loaded"
    );
    let role: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(&own)
        .await
        .unwrap();
    assert_eq!(role, tinjau_db::APP_ROLE);
    own.close().await;
    pool.close().await;
    observer.close().await;
}

/// A server holds its pool, one connection for each survey writer and its two listening
/// connections, all opened at start.
#[tokio::test]
async fn a_server_holds_its_pool_a_connection_per_writer_and_two_listening() {
    let name = format!("tinjau-server-{}", Uuid::new_v4().simple());
    let app = spawn_app_with_settings(Fixture::Empty, |settings| {
        let separator = if settings.database_url.contains('?') {
            '&'
        } else {
            '?'
        };
        settings.database_url = format!(
            "{}{separator}application_name={name}",
            settings.database_url
        );
        settings.max_db_connections = 4;
    })
    .await;
    let count = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
        )
        .bind(&name)
        .fetch_one(&app.pool)
        .await
        .unwrap()
    };
    // The listeners connect from tasks of their own, just after the start.
    let deadline = Instant::now() + Duration::from_secs(10);
    while count().await < 8 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(count().await, 4 + 2 + 2);
}
