//! Liveness and readiness.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use tinjau_workflows::AppState;

/// `GET /healthz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the process answers.
    pub status: &'static str,
    pub version: &'static str,
}

/// `GET /readyz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `not_ready`.
    pub status: &'static str,
    pub database: DatabaseReadiness,
    pub storage: StorageReadiness,
    /// The received photos waiting for the workers (absent when the database cannot be reached);
    /// a queue that only grows means the workers are stopped or failing (see `/metrics`).
    pub photo_queue: Option<PhotoQueueReadiness>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PhotoQueueReadiness {
    /// Received photos not yet processed.
    pub depth: i64,
    /// Seconds the oldest of them has waited.
    pub oldest_seconds: f64,
    /// Worker failures since this process started (each retried after 5 s).
    pub worker_failures: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DatabaseReadiness {
    pub ok: bool,
    /// e.g. `15.18`; absent when the database cannot be reached.
    pub postgres_version: Option<String>,
    /// e.g. `3.3.2`.
    pub postgis_version: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StorageReadiness {
    /// Whether the object store answers (the directory accepts a write; the bucket exists).
    pub ok: bool,
}

/// The process is alive.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// The service can do its work: the database with PostGIS answers and storage is writable.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "A dependency is down", body = Readiness)
    )
)]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let database = match tinjau_workflows::areas::database_versions(&state.pool).await {
        Ok((postgres, postgis)) => DatabaseReadiness {
            ok: true,
            postgres_version: Some(postgres),
            postgis_version: Some(postgis),
        },
        Err(e) => {
            tracing::warn!(error = %e, "readiness: database check failed");
            DatabaseReadiness {
                ok: false,
                postgres_version: None,
                postgis_version: None,
            }
        }
    };
    let storage = StorageReadiness {
        ok: state.storage.is_ready().await,
    };
    let photo_queue = if database.ok {
        tinjau_workflows::operations::figures(&state)
            .await
            .ok()
            .map(|f| PhotoQueueReadiness {
                depth: f.store.queue_depth,
                oldest_seconds: (f.store.queue_oldest_s * 10.0).round() / 10.0,
                worker_failures: f.worker_failures,
            })
    } else {
        None
    };
    let ready = database.ok && storage.ok;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Readiness {
            status: if ready { "ready" } else { "not_ready" },
            database,
            storage,
            photo_queue,
        }),
    )
}
