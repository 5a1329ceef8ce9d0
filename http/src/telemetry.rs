//! Logging: human-readable by default, JSON lines for log collectors (`TINJAU_LOG_FORMAT=json`).

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls (tests) are ignored. `RUST_LOG` overrides
/// `default_filter`.
pub fn init(json: bool, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _already_set = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// The span of an HTTP request, as tower-http's default makes it but with the path's secrets
/// masked: the device token of an OpenRosa URL (`/v1/key/{token}/...`) never reaches a log line.
pub fn request_span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    tracing::debug_span!(
        "request",
        method = %request.method(),
        uri = %masked_path(request.uri()),
        version = ?request.version(),
    )
}

/// The request's path and query with the token segment after `/v1/key/` replaced by `***`.
pub fn masked_path(uri: &axum::http::Uri) -> String {
    let full = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), ToString::to_string);
    match full.split_once("/v1/key/") {
        Some((before, after)) => {
            let rest = after.find(['/', '?']).map_or("", |i| &after[i..]);
            format!("{before}/v1/key/***{rest}")
        }
        None => full,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_of_an_openrosa_path_is_masked() {
        let uri: axum::http::Uri =
            "/v1/key/tjau_abc123/projects/31.71.01/submission?deviceID=collect:x"
                .parse()
                .unwrap();
        assert_eq!(
            masked_path(&uri),
            "/v1/key/***/projects/31.71.01/submission?deviceID=collect:x"
        );
        let bare: axum::http::Uri = "/v1/key/tjau_abc123".parse().unwrap();
        assert_eq!(masked_path(&bare), "/v1/key/***");
        let other: axum::http::Uri = "/api/v1/review/31.71.01?tahun=2026".parse().unwrap();
        assert_eq!(masked_path(&other), "/api/v1/review/31.71.01?tahun=2026");
    }
}
