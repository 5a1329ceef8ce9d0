//! The server's kelurahan index: loaded from the database at start, swapped for a fresh one when a
//! kelurahan-boundary import commits (PostgreSQL NOTIFY, so imports from the CLI reach every running
//! instance), and shared read-only by all requests.

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use anyhow::Context;
use geo_rules::{BoundaryIndex, RegionInput};
use sqlx::PgPool;
use survey_schema::WilayahKode;

use crate::db;

/// The current index; readers take an `Arc` and never wait for a rebuild.
#[derive(Debug)]
pub struct SharedIndex {
    current: RwLock<Arc<BoundaryIndex>>,
    /// The boundaries' fingerprint when `current` was loaded (`None`: not known).
    fingerprint: Mutex<Option<String>>,
}

impl SharedIndex {
    pub fn new(index: BoundaryIndex) -> Self {
        Self {
            current: RwLock::new(Arc::new(index)),
            fingerprint: Mutex::new(None),
        }
    }

    /// An index loaded by [`load_current`], with the fingerprint it was loaded at.
    pub fn loaded((index, fingerprint): (BoundaryIndex, String)) -> Self {
        Self {
            current: RwLock::new(Arc::new(index)),
            fingerprint: Mutex::new(Some(fingerprint)),
        }
    }

    /// The index as of now.
    pub fn get(&self) -> Arc<BoundaryIndex> {
        match self.current.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    fn fingerprint(&self) -> Option<String> {
        match self.fingerprint.lock() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn replace(&self, index: BoundaryIndex, fingerprint: String) {
        let fresh = Arc::new(index);
        match self.current.write() {
            Ok(mut guard) => *guard = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        match self.fingerprint.lock() {
            Ok(mut guard) => *guard = Some(fingerprint),
            Err(poisoned) => *poisoned.into_inner() = Some(fingerprint),
        }
    }
}

/// Builds the index from every kelurahan boundary in the database.
pub async fn load(pool: &PgPool) -> anyhow::Result<BoundaryIndex> {
    Ok(load_current(pool).await?.0)
}

/// [`load`], with the boundaries' fingerprint read just before.
pub async fn load_current(pool: &PgPool) -> anyhow::Result<(BoundaryIndex, String)> {
    let fingerprint = db::boundary::all_kelurahan_fingerprint(pool).await?;
    let started = std::time::Instant::now();
    let pool = pool.clone();
    let runtime = tokio::runtime::Handle::current();
    // The rows are fetched and the index built on one blocking thread: parsing and building are
    // CPU work (about 3 s for the whole country), and the rows' memory, freed row by row as each
    // becomes its region, is then reused by the index instead of lingering in another thread's
    // allocator arena (the whole country: 140 MB of rows).
    let index = tokio::task::spawn_blocking(move || {
        let rows = runtime.block_on(db::boundary::kelurahan_geometries(&pool))?;
        let fetched = started.elapsed();
        let index = index_from_wkb_rows(rows)?;
        tracing::debug!(
            kelurahan = index.len(),
            fetch_ms = fetched.as_millis(),
            total_ms = started.elapsed().as_millis(),
            "boundary index built"
        );
        anyhow::Ok(index)
    })
    .await??;
    Ok((index, fingerprint))
}

/// Builds the index from kelurahan rows (kode, nama, the polygon as WKB), each row dropped as its
/// region is made, so the rows' memory is reused by the index.
pub fn index_from_wkb_rows(rows: Vec<(String, String, Vec<u8>)>) -> anyhow::Result<BoundaryIndex> {
    let mut unreadable = None;
    let inputs = rows.into_iter().map_while(|(kode, nama, wkb)| {
        let input = WilayahKode::parse(&kode)
            .map_err(anyhow::Error::from)
            .and_then(|parsed| {
                RegionInput::from_wkb(parsed, nama, &wkb)
                    .with_context(|| format!("boundary {kode} is not a polygon"))
            });
        input.map_err(|e| unreadable = Some(e)).ok()
    });
    let index = BoundaryIndex::build(inputs).context("building the boundary index")?;
    match unreadable {
        Some(e) => Err(e),
        None => Ok(index),
    }
}

/// Reloads `shared` whenever boundaries change, until the process ends. A lost connection (or one
/// that stops answering) is opened again; since notices may have been missed meanwhile, it reloads
/// then too.
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
    let mut listener = db::listener(pool).await?;
    listener.listen(db::boundary::CHANGED_CHANNEL).await?;
    // Anything committed between the initial load and LISTEN would otherwise be missed.
    reload(pool, shared).await;
    // `false`: the connection dropped; notices may have been lost, so start again (and reload).
    while db::next_notice(&mut listener).await? {
        reload(pool, shared).await;
    }
    Ok(())
}

async fn reload(pool: &PgPool, shared: &SharedIndex) {
    // Unchanged boundaries (the check at start, a notice of an import that changed nothing
    // here): keep the index rather than build the same one again.
    match db::boundary::all_kelurahan_fingerprint(pool).await {
        Ok(now) if shared.fingerprint().as_ref() == Some(&now) => {
            tracing::debug!("boundaries unchanged; index kept");
            return;
        }
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %e, "boundary fingerprint unreadable; reloading");
        }
    }
    match load_current(pool).await {
        Ok((index, fingerprint)) => {
            tracing::info!(kelurahan = index.len(), "boundary index reloaded");
            shared.replace(index, fingerprint);
        }
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "boundary index reload failed; keeping the previous one");
        }
    }
}
