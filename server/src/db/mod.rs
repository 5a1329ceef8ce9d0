//! All SQL lives here, one module per table group, with bound parameters only.

pub mod activity;
pub mod anomaly;
pub mod boundary;
pub mod import_log;
pub mod price;
pub mod proposal;
pub mod survey;
pub mod user;
pub mod wilayah;

use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

/// Opens a pool; fails fast (5 s) when the database cannot be reached.
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect(url)
        .await
        .with_context(|| {
            format!(
                "cannot connect to the database at {}",
                crate::config::redact_url(url)
            )
        })
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
