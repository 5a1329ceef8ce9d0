//! Areas and their boundaries.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use survey_schema::{ApiError, WilayahDetail, WilayahKode};

use tinjau_workflows::areas;

use tinjau_domain::Message;

use crate::error::AppError;
use tinjau_workflows::AppState;

fn parse_kode(raw: &str) -> Result<WilayahKode, AppError> {
    WilayahKode::parse(raw).map_err(|e| {
        AppError::from(Message::InvalidKode {
            field: "kode".into(),
            detail: e.to_string(),
        })
    })
}

/// An area with its parent and its children.
#[utoipa::path(
    get,
    path = "/api/v1/wilayah/{kode}",
    tag = "wilayah",
    params(("kode" = String, Path, description = "Kemendagri code, e.g. 31.71.01")),
    responses(
        (status = 200, body = WilayahDetail),
        (status = 400, description = "Malformed code", body = ApiError),
        (status = 404, description = "Unknown code", body = ApiError)
    )
)]
pub async fn get_wilayah(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<WilayahDetail>, AppError> {
    let kode = parse_kode(&raw)?;
    Ok(Json(areas::detail(&state.pool, &kode).await?))
}

/// The kelurahan polygons within an area (a kecamatan, a kota, a provinsi, or one kelurahan) as a
/// GeoJSON FeatureCollection with `kode` and `nama` properties: what a phone keeps for its offline
/// map. Send the last `ETag` in `If-None-Match` to get a 304 when nothing changed.
#[utoipa::path(
    get,
    path = "/api/v1/wilayah/{kode}/boundaries.geojson",
    tag = "wilayah",
    params(
        ("kode" = String, Path, description = "Kemendagri code, e.g. 31.71.01"),
        ("If-None-Match" = Option<String>, Header, description = "ETag of the copy the client has")
    ),
    responses(
        (status = 200, description = "GeoJSON FeatureCollection", content_type = "application/geo+json", body = Object,
         headers(("ETag" = String, description = "Fingerprint of this set of boundaries"))),
        (status = 304, description = "The client's copy is current"),
        (status = 400, description = "Malformed code", body = ApiError),
        (status = 404, description = "Unknown code", body = ApiError)
    )
)]
pub async fn get_boundaries(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let kode = parse_kode(&raw)?;
    if let Some(client_etag) = headers.get(header::IF_NONE_MATCH) {
        let current = etag(&areas::boundaries_fingerprint(&state.pool, &kode).await?);
        if etag_matches(client_etag, &current) {
            return Ok(not_modified(&current));
        }
    }
    let (fingerprint, body) = areas::boundaries(&state.pool, &kode).await?;
    let current = etag(&fingerprint);
    Ok((
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/geo+json"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (header::ETAG, header_value(&current)),
        ],
        body,
    )
        .into_response())
}

fn etag(fingerprint: &str) -> String {
    format!("\"{fingerprint}\"")
}

fn header_value(etag: &str) -> HeaderValue {
    // An md5 hex digest in quotes is always a valid header value.
    HeaderValue::from_str(etag).unwrap_or_else(|_| HeaderValue::from_static("\"\""))
}

fn not_modified(etag: &str) -> Response {
    (
        StatusCode::NOT_MODIFIED,
        [
            (header::ETAG, header_value(etag)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
    )
        .into_response()
}

/// `If-None-Match` may list several tags, use `*`, or mark tags weak (`W/`, added by proxies that
/// compress); all of these count.
fn etag_matches(if_none_match: &HeaderValue, current: &str) -> bool {
    let Ok(list) = if_none_match.to_str() else {
        return false;
    };
    list.split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let current = "\"abc\"";
        for header in ["\"abc\"", "W/\"abc\"", "\"x\", \"abc\"", "*"] {
            assert!(
                etag_matches(&HeaderValue::from_static(header), current),
                "{header}"
            );
        }
        for header in ["\"abd\"", "abc", ""] {
            assert!(
                !etag_matches(&HeaderValue::from_static(header), current),
                "{header}"
            );
        }
    }
}
