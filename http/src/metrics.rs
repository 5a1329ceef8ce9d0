//! `/metrics` in the Prometheus (OpenMetrics) text format, with `prometheus-client`: requests by
//! route and status, their latencies, and, read at each scrape, surveys and photos stored, the
//! photo queue's depth and age, worker failures, the database pool, the audit trail's length.
//!
//! The endpoint is off unless configured: behind a token (`--metrics-token`), or on an address of
//! its own (`--metrics-bind`, e.g. `127.0.0.1:9464`, for a scraper on the host only).

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sha2::{Digest, Sha256};

use tinjau_workflows::AppState;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    /// The route's template (`/api/v1/surveys/{id}`), not the path: one series per route.
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

type Seconds = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// One server's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Seconds,
    surveys: Gauge,
    photos: Gauge,
    queue_depth: Gauge,
    audit_pending: Gauge,
    queue_oldest: Gauge<f64, AtomicU64>,
    worker_failures: Counter,
    audit_rows: Counter,
    pool_size: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
    /// SHA-256 of the token a scraper sends, when the endpoint is behind one.
    token_sha256: Option<[u8; 32]>,
}

fn latency_histogram() -> Histogram {
    // 5 ms to about 20 s.
    Histogram::new(exponential_buckets(0.005, 2.0, 13))
}

impl Metrics {
    pub fn new(token: Option<&str>) -> Self {
        let mut registry = Registry::with_prefix("tinjau");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route and status",
            requests.clone(),
        );
        let latency: Seconds = Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route",
            latency.clone(),
        );
        let mut gauge = |name: &str, help: &str| {
            let g = Gauge::default();
            registry.register(name, help, g.clone());
            g
        };
        let surveys = gauge("surveys_stored", "Surveys stored");
        let photos = gauge("photos_stored", "Photos whose bytes were received");
        let queue_depth = gauge(
            "photo_queue_depth",
            "Received photos not yet processed (thumbnail, perceptual hash, checks)",
        );
        let audit_pending = gauge(
            "audit_log_pending",
            "Audit entries the sequencer has not yet made leaves of the signed log (grows only if it stopped)",
        );
        let pool_size = gauge("db_pool_connections", "Database connections open");
        let pool_idle = gauge(
            "db_pool_idle_connections",
            "Database connections open and idle",
        );
        let pool_max = gauge("db_pool_max_connections", "Database connections allowed");
        let queue_oldest = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "photo_queue_oldest_seconds",
            "Seconds the oldest unprocessed photo has waited",
            queue_oldest.clone(),
        );
        let worker_failures = Counter::default();
        registry.register(
            "photo_worker_failures",
            "Photo worker failures since start (each retried after 5 s)",
            worker_failures.clone(),
        );
        let audit_rows = Counter::default();
        registry.register(
            "audit_appends",
            "Rows appended to the audit trail (its length)",
            audit_rows.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            surveys,
            photos,
            queue_depth,
            audit_pending,
            queue_oldest,
            worker_failures,
            audit_rows,
            pool_size,
            pool_idle,
            pool_max,
            token_sha256: token
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| Sha256::digest(t.as_bytes()).into()),
        }
    }

    fn observe(&self, method: &str, route: &str, status: StatusCode, started: Instant) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status: status.as_u16(),
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(started.elapsed().as_secs_f64());
    }

    /// The text a scraper reads, with the figures read now.
    async fn render(&self, state: &AppState) -> Result<String, crate::AppError> {
        let f = tinjau_workflows::operations::figures(state)
            .await
            .map_err(|e| crate::AppError::Internal(e.into()))?;
        self.surveys.set(f.store.surveys);
        self.photos.set(f.store.photos);
        self.queue_depth.set(f.store.queue_depth);
        self.queue_oldest.set(f.store.queue_oldest_s);
        self.audit_pending.set(f.store.audit_pending);
        self.pool_size.set(i64::from(f.pool_size));
        self.pool_idle
            .set(i64::try_from(f.pool_idle).unwrap_or(i64::MAX));
        self.pool_max.set(i64::from(f.pool_max));
        // Counters only go up: add what is new since the last scrape.
        let to = |counter: &Counter, now: u64| {
            counter.inc_by(now.saturating_sub(counter.get()));
        };
        to(&self.worker_failures, f.worker_failures);
        to(
            &self.audit_rows,
            u64::try_from(f.store.audit_rows).unwrap_or(0),
        );
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .map_err(|e| crate::AppError::Internal(e.into()))?;
        Ok(text)
    }

    /// Whether the request carries the scraper's token (compared as digests, in constant time).
    fn admits(&self, headers: &HeaderMap) -> bool {
        let Some(expected) = &self.token_sha256 else {
            return false;
        };
        let sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| <[u8; 32]>::from(Sha256::digest(t.trim().as_bytes())));
        sent.is_some_and(|s| {
            s.iter()
                .zip(expected)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
        })
    }
}

/// Counts every request by its route's template and status, with its time.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let response = next.run(request).await;
    metrics.observe(&method, &route, response.status(), started);
    response
}

const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// `GET /metrics` on the public address: only with the scraper's token; without a token
/// configured it does not exist (404).
pub async fn with_token(
    State((state, metrics)): State<(AppState, Arc<Metrics>)>,
    headers: HeaderMap,
) -> Response {
    if metrics.token_sha256.is_none() {
        return crate::AppError::from(tinjau_domain::Message::NoSuchEndpoint {}).into_response();
    }
    if !metrics.admits(&headers) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "metrics: send the scraper's token (Authorization: Bearer ...)\n",
        )
            .into_response();
    }
    scrape(&state, &metrics).await
}

/// `GET /metrics` on the metrics address of its own: no token (the address is the protection).
pub async fn open(State((state, metrics)): State<(AppState, Arc<Metrics>)>) -> Response {
    scrape(&state, &metrics).await
}

async fn scrape(state: &AppState, metrics: &Metrics) -> Response {
    match metrics.render(state).await {
        Ok(text) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_counted_by_route_and_status_and_timed() {
        let m = Metrics::new(Some("rahasia"));
        m.observe(
            "PUT",
            "/api/v1/surveys/{id}",
            StatusCode::CREATED,
            Instant::now(),
        );
        m.observe(
            "PUT",
            "/api/v1/surveys/{id}",
            StatusCode::CREATED,
            Instant::now(),
        );
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &m.registry).unwrap();
        assert!(
            text.contains(
                r#"tinjau_http_requests_total{method="PUT",route="/api/v1/surveys/{id}",status="201"} 2"#
            ),
            "{text}"
        );
        assert!(
            text.contains("tinjau_http_request_duration_seconds_count"),
            "{text}"
        );
        let mut headers = HeaderMap::new();
        assert!(!m.admits(&headers));
        headers.insert(header::AUTHORIZATION, "Bearer salah".parse().unwrap());
        assert!(!m.admits(&headers));
        headers.insert(header::AUTHORIZATION, "Bearer rahasia".parse().unwrap());
        assert!(m.admits(&headers));
        assert!(!Metrics::new(None).admits(&headers));
    }
}
