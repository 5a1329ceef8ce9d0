//! What an operator watches (`/metrics`, `/readyz`): the store's counts, the photo queue, the
//! workers' failures, the database pool.

use crate::AppState;
use crate::db;

/// The figures at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Figures {
    pub store: db::figures::StoreFigures,
    /// Photo worker failures since this process started (each is retried after a pause).
    pub worker_failures: u64,
    /// Connections open in the pool, and of those idle.
    pub pool_size: u32,
    pub pool_idle: usize,
    pub pool_max: u32,
}

/// Reads the figures (one query).
pub async fn figures(state: &AppState) -> Result<Figures, sqlx::Error> {
    Ok(Figures {
        store: db::figures::store_figures(&state.pool).await?,
        worker_failures: state.photo_queue.failures(),
        pool_size: state.pool.size(),
        pool_idle: state.pool.num_idle(),
        pool_max: state.pool.options().get_max_connections(),
    })
}
