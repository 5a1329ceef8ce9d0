//! The server's kelurahan index: loaded from the database at start, swapped for a fresh one when a
//! kelurahan-boundary import commits (PostgreSQL NOTIFY, so imports from the CLI reach every running
//! instance), and shared read-only by all requests.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context;
use geo_rules::{BoundaryIndex, RegionInput};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use survey_schema::WilayahKode;

use crate::db;

/// The current index; readers take an `Arc` and never wait for a rebuild.
#[derive(Debug)]
pub struct SharedIndex {
    current: RwLock<Arc<BoundaryIndex>>,
}

impl SharedIndex {
    pub fn new(index: BoundaryIndex) -> Self {
        Self {
            current: RwLock::new(Arc::new(index)),
        }
    }

    /// The index as of now.
    pub fn get(&self) -> Arc<BoundaryIndex> {
        match self.current.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    fn replace(&self, index: BoundaryIndex) {
        let fresh = Arc::new(index);
        match self.current.write() {
            Ok(mut guard) => *guard = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
    }
}

/// Builds the index from every kelurahan boundary in the database.
pub async fn load(pool: &PgPool) -> anyhow::Result<BoundaryIndex> {
    let started = std::time::Instant::now();
    let rows = db::boundary::kelurahan_geometries(pool).await?;
    let fetched = started.elapsed();
    // Parsing and building are CPU work (a few seconds for the whole country, milliseconds for a
    // city): keep them off the async workers.
    let index = tokio::task::spawn_blocking(move || {
        let mut inputs = Vec::with_capacity(rows.len());
        for (kode, nama, wkb) in rows {
            let kode = WilayahKode::parse(&kode)?;
            let input = RegionInput::from_wkb(kode.clone(), nama, &wkb)
                .with_context(|| format!("boundary {kode} is not a polygon"))?;
            inputs.push(input);
        }
        BoundaryIndex::build(inputs).context("building the boundary index")
    })
    .await??;
    tracing::debug!(
        kelurahan = index.len(),
        fetch_ms = fetched.as_millis(),
        total_ms = started.elapsed().as_millis(),
        "boundary index built"
    );
    Ok(index)
}

/// Reloads `shared` whenever boundaries change, until the process ends. A lost connection is
/// re-established by the listener; since notices may have been missed meanwhile, it reloads then too.
pub fn spawn_refresher(pool: PgPool, shared: Arc<SharedIndex>) {
    tokio::spawn(async move {
        loop {
            if let Err(e) = listen(&pool, &shared).await {
                tracing::warn!(error = %format!("{e:#}"), "boundary listener failed; retrying in 5 s");
            }
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    });
}

async fn listen(pool: &PgPool, shared: &SharedIndex) -> anyhow::Result<()> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(db::boundary::CHANGED_CHANNEL).await?;
    // Anything committed between the initial load and LISTEN would otherwise be missed.
    reload(pool, shared).await;
    loop {
        // `None`: the connection dropped and was re-established; notices may have been lost.
        let _notification = listener.try_recv().await?;
        reload(pool, shared).await;
    }
}

async fn reload(pool: &PgPool, shared: &SharedIndex) {
    match load(pool).await {
        Ok(index) => {
            tracing::info!(kelurahan = index.len(), "boundary index reloaded");
            shared.replace(index);
        }
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "boundary index reload failed; keeping the previous one");
        }
    }
}
