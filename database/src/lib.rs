//! All of Tinjau's SQL, one module per table group, with bound parameters only (`query!`, checked
//! against the committed `.sqlx/` metadata), with the row and input types each module reads and
//! writes. Nothing above this crate writes SQL; nothing here decides anything.

pub mod activity;
pub mod anomaly;
pub mod audit;
pub mod backup;
pub mod boundary;
pub mod decision;
pub mod field_work;
pub mod figures;
pub mod forum;
pub mod import_log;
pub mod kirim;
pub mod kode;
pub mod lock;
pub mod opd;
pub mod openrosa;
pub mod price;
pub mod proposal;
pub mod renja;
pub mod review;
pub mod session;
pub mod survey;
pub mod trilateral;
pub mod user;
pub mod wilayah;

pub use kode::Kode;

use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

/// The role every connection of the application works as (made by the review migration): all it
/// needs on the tables, but no UPDATE, DELETE or TRUNCATE on the audit trail.
pub const APP_ROLE: &str = "tinjau_app";

/// Opens a pool whose connections work as [`APP_ROLE`], whoever `url` logs in as; fails fast (5 s)
/// when the database cannot be reached, and clearly when the role is missing (not migrated yet).
///
/// All `max_connections` are opened now, together, each with PostGIS loaded, and an idle one is
/// not closed: a backend loads PostGIS at its first geometry, 9 ms on this machine, and opening a
/// connection costs as much again, which the first requests after a start paid (the slowest 1% of
/// surveys in the paced ingest bench were all among the first 64). A connection is still closed
/// after 30 minutes (sqlx's default lifetime), and the next request that needs one opens another.
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    let opened = async {
        let pool = app_pool_options(max_connections).connect_lazy(url)?;
        open_all(&pool).await?;
        Ok(pool)
    };
    opened.await.map_err(|e| match e {
        // Opening a connection kept failing for 5 s, and sqlx keeps no reason: the likely ones.
        sqlx::Error::PoolTimedOut => anyhow::anyhow!(
            "cannot open {max_connections} connections to the database at {} within 5 s: is it \
             running and migrated (`tinjau migrate`), and does its max_connections leave room for \
             them (--max-db-connections)?",
            redact_url(url)
        ),
        other => anyhow::Error::new(other).context(format!(
            "cannot connect to the database at {} as role {APP_ROLE} (run `tinjau migrate` first?)",
            redact_url(url)
        )),
    })
}

/// A pool of `max_connections` of its own, connected as `pool`'s are (all opened now): for a task
/// that runs the same few statements again and again. On connections no other work takes turns
/// on, its statements stay planned and the tables they read stay in the backend's caches; a
/// connection first used by such a statement spends several milliseconds on them. Its connections
/// are kept for as long as they work.
pub async fn own_pool(pool: &PgPool, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    let own = app_pool_options(max_connections)
        .max_lifetime(None)
        .connect_lazy_with((*pool.connect_options()).clone());
    open_all(&own).await?;
    Ok(own)
}

/// Opens every connection `pool` may hold, together, and leaves them idle in it. (Not sqlx's
/// `min_connections`: it would also reopen a lost connection in the background, holding the
/// pool's permit while it retries for up to 5 minutes at intervals growing to a minute, so a pool
/// of one would stay closed for up to a minute after the database is back.)
async fn open_all(pool: &PgPool) -> Result<(), sqlx::Error> {
    let max = pool.options().get_max_connections();
    // Held together, so that each is a connection of its own; back in the pool when dropped.
    futures::future::try_join_all((0..max).map(|_| pool.acquire())).await?;
    Ok(())
}

/// How the application's pools open and keep their connections (see [`connect`]).
fn app_pool_options(max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .idle_timeout(None)
        .acquire_timeout(Duration::from_secs(5))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                sqlx::query!("SELECT set_config('role', 'tinjau_app', false) AS role")
                    .fetch_one(&mut *conn)
                    .await?;
                // JIT compiles a plan when its cost estimate is high, which for these short,
                // index-driven queries costs far more than it saves (840 ms of JIT for an 80 ms
                // review-list query, measured by `tinjau bench review`).
                sqlx::query!("SELECT set_config('jit', 'off', false) AS jit")
                    .fetch_one(&mut *conn)
                    .await?;
                sqlx::query!("SELECT postgis_lib_version() AS postgis")
                    .fetch_one(conn)
                    .await?;
                Ok(())
            })
        })
}

/// A `LISTEN` connection of its own, opened as `pool`'s are but outside it: a listener holds its
/// connection for as long as it listens, which would leave the pool one connection short.
pub async fn listener(pool: &PgPool) -> Result<sqlx::postgres::PgListener, sqlx::Error> {
    let own = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .max_lifetime(None)
        .idle_timeout(None)
        .connect_lazy_with((*pool.connect_options()).clone());
    sqlx::postgres::PgListener::connect_with(&own).await
}

/// How long [`next_notice`] waits for a notice before it checks that the connection still answers.
pub const QUIET_FOR: Duration = Duration::from_secs(20);
/// How long that check may take before the connection is taken for lost.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(5);

/// Waits for the next notice on `listener`: `true` when one came, `false` when the connection
/// dropped (notices may have been lost meanwhile, so whoever listens should start again). A
/// connection a firewall dropped without a word would stay quiet for good, so after
/// [`QUIET_FOR`] of quiet it must answer a query within [`ANSWER_WITHIN`], or this fails.
pub async fn next_notice(listener: &mut sqlx::postgres::PgListener) -> Result<bool, sqlx::Error> {
    loop {
        if let Ok(notice) = tokio::time::timeout(QUIET_FOR, listener.try_recv()).await {
            return Ok(notice?.is_some());
        }
        let answer = sqlx::query!("SELECT 1 AS answer").fetch_one(&mut *listener);
        let Ok(answered) = tokio::time::timeout(ANSWER_WITHIN, answer).await else {
            return Err(sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the listening connection did not answer",
            )));
        };
        answered?;
    }
}

/// Opens a pool working as whoever `url` logs in as (the owner), for what the application's role
/// may not do: a backup's snapshot of every table, a restore into an empty database.
pub async fn connect_as_owner(url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect(url)
        .await
        .with_context(|| format!("cannot connect to the database at {}", redact_url(url)))
}

/// Runs the migrations on a connection of its own, as whoever `url` logs in as (the owner): the
/// application's own role may not change the schema.
pub async fn migrate(url: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .with_context(|| format!("cannot connect to the database at {}", redact_url(url)))?;
    MIGRATOR
        .run(&mut conn)
        .await
        .context("running database migrations")?;
    conn.close().await?;
    Ok(())
}

/// Migrates, then opens a pool working as [`APP_ROLE`].
pub async fn migrated_pool(url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    migrate(url).await?;
    connect(url, max_connections).await
}

/// Versions of the running PostgreSQL and PostGIS, e.g. `("15.18", "3.3.2")`.
pub async fn server_versions(pool: &PgPool) -> Result<(String, String), sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT current_setting('server_version') AS "postgres!", postgis_lib_version() AS "postgis!""#
    )
    .fetch_one(pool)
    .await?;
    Ok((row.postgres, row.postgis))
}

/// The migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Hides the password of a database URL, for logs and messages.
///
/// ```
/// use tinjau_db::redact_url;
/// assert_eq!(redact_url("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
/// assert_eq!(redact_url("postgres://h/db"), "postgres://h/db");
/// ```
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let Some(at) = rest.find('@') else {
        return url.to_owned();
    };
    match rest[..at].find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end],
            &rest[..colon],
            &rest[at..]
        ),
        None => url.to_owned(),
    }
}
