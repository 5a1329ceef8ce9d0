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
use crate::routes;
use tinjau_domain::messages::{Both, Count, Message};
use tinjau_workflows::AppState;
use tinjau_workflows::accounts::token_cache::{self, TokenCache};
use tinjau_workflows::database as db;
use tinjau_workflows::locator::{self, SharedIndex};

/// Largest request body accepted by default (JSON bodies); photo uploads set their own limit.
pub const DEFAULT_BODY_LIMIT: usize = 1 << 20;

/// A bound, ready-to-run server.
#[derive(Debug)]
pub struct Application {
    port: u16,
    listener: TcpListener,
    router: Router,
    header_timeout: Duration,
    /// `/metrics` on an address of its own, when configured.
    metrics: Option<(TcpListener, Router)>,
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
        let index = Arc::new(SharedIndex::loaded(locator::load_current(&pool).await?));
        tracing::info!(kelurahan = index.get().len(), "boundary index loaded");
        locator::spawn_refresher(pool.clone(), Arc::clone(&index));
        let tokens = Arc::new(TokenCache::default());
        token_cache::spawn_listener(pool.clone(), Arc::clone(&tokens));
        let state = AppState {
            survey_writer: tinjau_workflows::ingest::writer::SurveyWriter::spawn(&pool, &index)
                .await
                .context("opening the survey writers' connections")?,
            tokens,
            pool,
            storage_dir: Arc::new(settings.storage_dir.clone()),
            storage: match &settings.s3 {
                Some(s3) => {
                    tinjau_workflows::storage::Storage::open_s3(&settings.storage_dir, s3).await?
                }
                None => tinjau_workflows::storage::Storage::open(&settings.storage_dir).await?,
            },
            index,
            admin_token_sha256: settings
                .admin_token
                .as_deref()
                .filter(|t| !t.trim().is_empty())
                .map(|t| Arc::new(<[u8; 32]>::from(sha2::Sha256::digest(t.trim().as_bytes())))),
            photo_queue: tinjau_workflows::app::PhotoQueue::default(),
            uploads: tinjau_workflows::app::UploadLimits {
                base: settings.request_timeout,
                min_bytes_per_sec: settings.upload_min_bytes_per_sec,
                tus_expiry: settings.tus_expiry,
            },
            basemap_url: settings.basemap_url.as_deref().map(Arc::from),
            survey_tahun: settings.survey_tahun,
            public_url: settings
                .public_url
                .as_deref()
                .map(|u| Arc::from(u.trim_end_matches('/'))),
        };
        tinjau_workflows::processing::spawn_workers(&state, settings.photo_workers);
        if settings.audit_sequencer {
            let key = tinjau_workflows::audit::key::AuditKey::load_or_create(
                &crate::config::audit_key_path(
                    settings.audit_key.as_deref(),
                    &settings.storage_dir,
                ),
            )?;
            tracing::info!(key = %key.key_id, "audit log sequencer started");
            tinjau_workflows::audit::sequencer::spawn(state.pool.clone(), key);
        }
        // What a killed process left in tmp/ goes now; what expires later, within a quarter of the
        // expiry (and at least every 10 minutes).
        tinjau_workflows::storage::spawn_sweeper(
            state.storage.clone(),
            settings.tus_expiry,
            (settings.tus_expiry / 4).min(Duration::from_mins(10)),
        );
        let metrics = Arc::new(crate::metrics::Metrics::new(
            settings.metrics_token.as_deref(),
        ));
        let metrics_server = match settings.metrics_bind {
            Some(address) => {
                let listener = TcpListener::bind(address)
                    .await
                    .with_context(|| format!("binding the metrics address {address}"))?;
                let router = Router::new().route(
                    "/metrics",
                    get(crate::metrics::open).with_state((state.clone(), Arc::clone(&metrics))),
                );
                Some((listener, router))
            }
            None => None,
        };
        let router = build_router(state, settings, metrics)?;
        let listener = TcpListener::bind((settings.bind, settings.port))
            .await
            .with_context(|| format!("binding {}:{}", settings.bind, settings.port))?;
        let port = listener.local_addr()?.port();
        Ok(Self {
            port,
            listener,
            router,
            header_timeout: settings.header_timeout,
            metrics: metrics_server,
        })
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port `/metrics` has to itself, when configured.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics
            .as_ref()
            .and_then(|(l, _)| l.local_addr().ok())
            .map(|a| a.port())
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    ///
    /// HTTP/1.1 through hyper directly rather than `axum::serve`, which sets no timer: without one,
    /// a client that opens a connection and sends its request head slowly (or never) holds the
    /// connection as long as it likes. Here the head must arrive within the header timeout.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(self.header_timeout);
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        if let Some((listener, router)) = self.metrics {
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, router).await {
                    tracing::warn!(error = %e, "the metrics address stopped");
                }
            });
        }
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let stream = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors, say: wait a moment rather than spin.
                        tracing::warn!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            let service = hyper_util::service::TowerToHyperService::new(self.router.clone());
            let connection = http.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            let connection = graceful.watch(connection);
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
            });
        }
        drop(self.listener);
        graceful.shutdown().await;
        Ok(())
    }
}

fn build_router(
    state: AppState,
    settings: &Settings,
    metrics: Arc<crate::metrics::Metrics>,
) -> anyhow::Result<Router> {
    let uploads = state.uploads;
    let scrape = get(crate::metrics::with_token).with_state((state.clone(), Arc::clone(&metrics)));
    let (api, doc) = routes::api();
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
        .route("/metrics", scrape)
        .merge(routes::openrosa::router(settings.openrosa_accept_bytes))
        .merge(crate::web::router())
        .merge(crate::web::help::router(&settings.docs_dir))
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            crate::metrics::track,
        ))
        .layer(axum::middleware::from_fn(run_to_completion))
        .layer(axum::middleware::from_fn(refuse_control_characters))
        .layer(axum::middleware::map_response(retry_after_unavailable))
        .layer(DefaultBodyLimit::max(DEFAULT_BODY_LIMIT))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            Admission {
                request: settings.request_timeout,
                uploads,
                openrosa_body_limit: routes::openrosa::body_limit(settings.openrosa_accept_bytes),
            },
            admit,
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

/// Every 503 says when to try again: the database restarting or the pool being full passes in
/// seconds.
async fn retry_after_unavailable(
    mut response: axum::response::Response,
) -> axum::response::Response {
    if response.status() == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .entry(header::RETRY_AFTER)
            .or_insert(HeaderValue::from_static("5"));
    }
    response
}

/// Answers 422, naming the parameter, a query (or a path) holding a control character: no filter,
/// code or name has one, and PostgreSQL refuses NUL outright, so it must not reach a handler.
async fn refuse_control_characters(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let uri = request.uri();
    let in_query = uri
        .query()
        .and_then(crate::extract::control_character_in_query);
    let in_path = || {
        let path = percent_encoding::percent_decode_str(uri.path()).decode_utf8_lossy();
        survey_schema::text::check(&path, survey_schema::text::TextKind::Line)
            .err()
            .map(|found| ("path".to_owned(), found))
    };
    let Some((field, found)) = in_query.or_else(in_path) else {
        return next.run(request).await;
    };
    let error = crate::extract::invalid_text(&field, &found);
    if uri.path().starts_with("/v1/key/") {
        routes::openrosa::OpenRosaError::from(error).into_response()
    } else {
        error.into_response()
    }
}

/// What a request may send, and for how long.
#[derive(Debug, Clone, Copy)]
struct Admission {
    request: Duration,
    uploads: tinjau_workflows::app::UploadLimits,
    openrosa_body_limit: u64,
}

/// The largest body a route takes, and whether its body is an upload (a file that may take a
/// weak connection minutes).
fn body_limit(method: &axum::http::Method, path: &str, openrosa: u64) -> (u64, bool) {
    use axum::http::Method;
    let photo = (method == Method::PUT || method == Method::PATCH)
        && path.starts_with("/api/v1/surveys/")
        && path.contains("/photos/");
    if photo {
        (survey_schema::survey::MAX_PHOTO_BYTES, true)
    } else if method == Method::POST
        && path.starts_with("/v1/key/")
        && path.ends_with("/submission")
    {
        (openrosa, true)
    } else if method == Method::POST
        && (path.starts_with("/api/v1/admin/") || path == "/admin/impor")
    {
        // An import file, through the admin API or the admin's page.
        (routes::admin::MAX_IMPORT_BYTES as u64, true)
    } else {
        (DEFAULT_BODY_LIMIT as u64, false)
    }
}

/// Admits a request: a body declared larger than its route takes is refused with 413 before a
/// byte of it is read (a 2 GB `Content-Length` costs nothing), and the request gets its deadline,
/// after which it is answered 408: the request timeout, or for an upload that plus its declared
/// size at the slowest pace accepted (the route's largest body when no size is declared).
async fn admit(
    axum::extract::State(admission): axum::extract::State<Admission>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = request.uri().path();
    let openrosa = path.starts_with("/v1/key/");
    let render = |error: crate::AppError| {
        if openrosa {
            routes::openrosa::OpenRosaError::from(error).into_response()
        } else {
            error.into_response()
        }
    };
    let (limit, upload) = body_limit(request.method(), path, admission.openrosa_body_limit);
    let declared = match request.headers().get(header::CONTENT_LENGTH) {
        None => None,
        Some(value) => match value.to_str().ok().and_then(|v| v.parse::<u64>().ok()) {
            Some(n) => Some(n),
            None => {
                return render(Message::InvalidContentLength {}.into());
            }
        },
    };
    if let Some(declared) = declared.filter(|n| *n > limit) {
        let photos = upload && !path.starts_with("/api/v1/admin/");
        let note = if photos {
            Both {
                id: " (satu foto: paling besar 20 MB)".to_owned(),
                en: " (one photo: at most 20 MB)".to_owned(),
            }
        } else {
            Both::same("")
        };
        let mut response = render(
            Message::DeclaredTooLarge {
                declared: Count(declared),
                limit: Count(limit),
                note,
            }
            .into(),
        );
        // The body is not read: the connection cannot carry another request.
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return response;
    }
    let limit_time = if upload {
        admission.uploads.deadline_for(declared.unwrap_or(limit))
    } else {
        admission.request
    };
    let Ok(response) = tokio::time::timeout(limit_time, next.run(request)).await else {
        return render(
            Message::Timeout {
                seconds: limit_time.as_secs(),
            }
            .into(),
        );
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
