//! What every workflow and handler reaches: the database, the object store, the boundary index and
//! the photo workers' wake-up. No HTTP here, so workers, the CLI and every adapter share it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use sqlx::PgPool;

use crate::locator::SharedIndex;

/// Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub storage_dir: Arc<PathBuf>,
    /// Photos and thumbnails.
    pub storage: crate::storage::Storage,
    /// Kelurahan boundaries for location verdicts, kept current by [`crate::locator`].
    pub index: Arc<SharedIndex>,
    /// SHA-256 of the admin token; `None` disables the admin API.
    pub admin_token_sha256: Option<Arc<[u8; 32]>>,
    /// Wakes the background photo workers when a photo arrives.
    pub photo_queue: PhotoQueue,
    /// The address phones reach the server at (OpenRosa download URLs); `None`: from each request.
    pub public_url: Option<Arc<str>>,
    /// How slow an upload may be, and how long an unfinished tus upload is kept.
    pub uploads: UploadLimits,
    /// A basemap tile URL for the pages' maps (`https://.../{z}/{x}/{y}.png`); `None`: no basemap,
    /// the polygons on a plain background, which works without internet.
    pub basemap_url: Option<Arc<str>>,
    /// The year the phones survey (the current Musrenbang's); `None`: per area, the newest year
    /// with a physical proposal.
    pub survey_tahun: Option<i32>,
    /// Stores the surveys arriving together in one transaction.
    pub survey_writer: crate::ingest::writer::SurveyWriter,
    /// The device tokens accepted lately, forgotten whenever an account changes.
    pub tokens: Arc<crate::accounts::token_cache::TokenCache>,
}

/// How long an upload may take: a base (the request timeout) plus its size at the slowest pace
/// accepted, so a connection trickling bytes is not held for as long as the largest photo needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    pub base: Duration,
    pub min_bytes_per_sec: u64,
    /// An unfinished tus upload idle this long expires and its bytes are dropped.
    pub tus_expiry: Duration,
}

impl UploadLimits {
    /// The time an upload of `bytes` may take.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tinjau_workflows::app::UploadLimits;
    /// let limits = UploadLimits { base: Duration::from_secs(30), min_bytes_per_sec: 8192, tus_expiry: Duration::from_hours(24) };
    /// assert_eq!(limits.deadline_for(163_840), Duration::from_secs(50));
    /// ```
    pub fn deadline_for(&self, bytes: u64) -> Duration {
        self.base + Duration::from_secs_f64(bytes as f64 / self.min_bytes_per_sec.max(1) as f64)
    }
}

/// Wakes the background photo workers (`crate::processing`) when a photo arrives; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct PhotoQueue {
    wake: Arc<Notify>,
    /// Times a worker failed on a photo and backed off (for `/metrics`).
    failures: Arc<std::sync::atomic::AtomicU64>,
}

impl PhotoQueue {
    /// A worker failed and will retry.
    pub fn failed(&self) {
        self.failures
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// How many times the workers of this process have failed since it started.
    pub fn failures(&self) -> u64 {
        self.failures.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A photo was received: one idle worker looks at the queue.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Resolves at the next wake-up (a worker waits on it between sweeps).
    pub async fn notified(&self) {
        self.wake.notified().await;
    }
}
