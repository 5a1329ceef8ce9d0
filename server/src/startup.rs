//! Building and running the HTTP service.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use sha2::Digest as _;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::config::Settings;
use crate::locator::{self, SharedIndex};
use crate::{db, routes};

/// Largest request body accepted by default (JSON bodies); photo uploads set their own limit.
pub const DEFAULT_BODY_LIMIT: usize = 1 << 20;

pub use crate::app::AppState;

/// A bound, ready-to-run server.
#[derive(Debug)]
pub struct Application {
    port: u16,
    listener: TcpListener,
    router: Router,
}

impl Application {
    /// Connects to the database, migrates (unless disabled), prepares storage and binds the port.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        if settings.migrate {
            db::migrate(&settings.database_url).await?;
        }
        let pool = db::connect(&settings.database_url, settings.max_db_connections).await?;
        tokio::fs::create_dir_all(&settings.storage_dir)
            .await
            .with_context(|| {
                format!(
                    "creating storage directory {}",
                    settings.storage_dir.display()
                )
            })?;
        let index = Arc::new(SharedIndex::new(locator::load(&pool).await?));
        tracing::info!(kelurahan = index.get().len(), "boundary index loaded");
        locator::spawn_refresher(pool.clone(), Arc::clone(&index));
        let state = AppState {
            pool,
            storage_dir: Arc::new(settings.storage_dir.clone()),
            storage: match &settings.s3 {
                Some(s3) => crate::storage::Storage::open_s3(&settings.storage_dir, s3).await?,
                None => crate::storage::Storage::open(&settings.storage_dir).await?,
            },
            index,
            admin_token_sha256: settings
                .admin_token
                .as_deref()
                .filter(|t| !t.trim().is_empty())
                .map(|t| Arc::new(<[u8; 32]>::from(sha2::Sha256::digest(t.trim().as_bytes())))),
            photo_queue: crate::processing::PhotoQueue::default(),
            basemap_url: settings.basemap_url.as_deref().map(Arc::from),
            public_url: settings
                .public_url
                .as_deref()
                .map(|u| Arc::from(u.trim_end_matches('/'))),
        };
        crate::processing::spawn_workers(&state, settings.photo_workers);
        let router = build_router(state, settings)?;
        let listener = TcpListener::bind((settings.bind, settings.port))
            .await
            .with_context(|| format!("binding {}:{}", settings.bind, settings.port))?;
        let port = listener.local_addr()?.port();
        Ok(Self {
            port,
            listener,
            router,
        })
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
            .context("serving HTTP")
    }
}

fn build_router(state: AppState, settings: &Settings) -> anyhow::Result<Router> {
    let (api, doc) = routes::router().split_for_parts();
    let openapi_json = Bytes::from(serde_json::to_vec_pretty(&doc)?);
    let router = api
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let body = openapi_json.clone();
                async move {
                    (
                        [(
                            header::CONTENT_TYPE,
                            HeaderValue::from_static("application/json"),
                        )],
                        body,
                    )
                }
            }),
        )
        .merge(routes::openrosa::router(settings.openrosa_accept_bytes))
        .merge(crate::web::router())
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .with_state(state)
        .layer(axum::middleware::from_fn(run_to_completion))
        .layer(DefaultBodyLimit::max(DEFAULT_BODY_LIMIT))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            Deadlines {
                request: settings.request_timeout,
                upload: settings.upload_timeout,
            },
            deadline,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            crate::AppError::Internal(anyhow::anyhow!("a handler panicked")).into_response()
        }))
        .layer(TraceLayer::new_for_http().make_span_with(crate::telemetry::request_span))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid));
    Ok(router)
}

/// Runs every handler on a task of its own, so that it ends as it would have ended had the client
/// stayed. Otherwise a phone whose connection drops (or a deadline) cancels the handler wherever it
/// is waiting: between two statements of a transaction, or while its database connection is
/// mid-query, which makes the pool close that connection and open another. An upload whose client
/// went away still ends promptly: its body stream reports the loss.
async fn run_to_completion(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    // The task keeps the request's span, so its logs still name the request.
    match tokio::spawn(tracing::Instrument::in_current_span(next.run(request))).await {
        Ok(response) => response,
        Err(e) => {
            crate::AppError::Internal(anyhow::anyhow!("a handler failed: {e}")).into_response()
        }
    }
}

/// How long a request may take before it is answered 408.
#[derive(Debug, Clone, Copy)]
struct Deadlines {
    request: Duration,
    upload: Duration,
}

/// Answers 408 when a request outlives its deadline: the request timeout, or for photo uploads
/// (a PUT or tus PATCH of `/photos/`, an OpenRosa submission) the much longer upload timeout, as a phone on a weak
/// network needs minutes for one photo.
async fn deadline(
    axum::extract::State(limits): axum::extract::State<Deadlines>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = request.uri().path();
    let upload = (matches!(
        *request.method(),
        axum::http::Method::PUT | axum::http::Method::PATCH
    ) && path.contains("/photos/"))
        || (request.method() == axum::http::Method::POST
            && path.starts_with("/v1/key/")
            && path.ends_with("/submission"));
    let limit = if upload {
        limits.upload
    } else {
        limits.request
    };
    let openrosa = path.starts_with("/v1/key/");
    let Ok(response) = tokio::time::timeout(limit, next.run(request)).await else {
        let error = crate::AppError::client(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            format!("The request took longer than {} s.", limit.as_secs()),
            format!("Permintaan melebihi {} detik.", limit.as_secs()),
        );
        return if openrosa {
            routes::openrosa::OpenRosaError::from(error).into_response()
        } else {
            error.into_response()
        };
    };
    response
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
