//! What every workflow and handler reaches: the database, the object store, the boundary index and
//! the photo workers' wake-up. No HTTP here, so workers, the CLI and every adapter share it.

use std::path::PathBuf;
use std::sync::Arc;

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
    pub photo_queue: crate::processing::PhotoQueue,
    /// The address phones reach the server at (OpenRosa download URLs); `None`: from each request.
    pub public_url: Option<Arc<str>>,
    /// A basemap tile URL for the pages' maps (`https://.../{z}/{x}/{y}.png`); `None`: no basemap,
    /// the polygons on a plain background, which works without internet.
    pub basemap_url: Option<Arc<str>>,
}
