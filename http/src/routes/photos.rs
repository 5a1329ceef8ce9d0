//! Photo uploads: streamed to storage while hashed (memory does not grow with the photo), checked
//! against the manifest, read for EXIF, decoded under limits, thumbnailed. A repeat answers 200.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use survey_schema::ApiError;
use survey_schema::survey::MAX_PHOTO_BYTES;
use uuid::Uuid;

use crate::auth::{Caller, CurrentUser};
use tinjau_domain::Message;

use crate::error::AppError;
use survey_schema::Sha256;
use tinjau_workflows::AppState;
use tinjau_workflows::ingest::photo::{self as sink, PhotoForm, PhotoReceipt};

fn parse(raw_id: &str, raw_sha: &str) -> Result<(Uuid, Sha256), AppError> {
    Ok(sink::parse_ids(raw_id, raw_sha)?)
}

async fn declared(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    sha: &Sha256,
) -> Result<sink::DeclaredPhoto, AppError> {
    Ok(sink::declared(state, user, id, sha).await?)
}

/// Uploads one declared photo; the body is the file.
#[utoipa::path(
    put,
    path = "/api/v1/surveys/{id}/photos/{sha256}",
    tag = "surveys",
    params(("id" = Uuid, Path, description = "Survey UUID"), ("sha256" = String, Path, description = "SHA-256 of the file")),
    request_body(content = Vec<u8>, description = "The photo file", content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "Stored", body = PhotoReceipt),
        (status = 200, description = "Already stored", body = PhotoReceipt),
        (status = 400, description = "Bad id or hash", body = ApiError),
        (status = 403, description = "Wrong role or scope", body = ApiError),
        (status = 404, description = "Not in the survey's manifest", body = ApiError),
        (status = 413, description = "Larger than declared or than 20 MB", body = ApiError),
        (status = 415, description = "Not a JPEG, PNG, WebP or HEIC", body = ApiError),
        (status = 422, description = "Hash or size mismatch, truncated, or a decompression bomb; nothing kept", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn put_photo(
    State(state): State<AppState>,
    Caller(user): Caller,
    headers: axum::http::HeaderMap,
    Path((raw_id, raw_sha)): Path<(String, String)>,
    body: Body,
) -> Result<(StatusCode, Json<PhotoReceipt>), AppError> {
    let (id, sha) = parse(&raw_id, &raw_sha)?;
    let length = content_length(&headers);
    let receipt =
        sink::receive_whole(&state, &user, id, &sha, length, body.into_data_stream()).await?;
    let status = if receipt.is_new() {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(receipt)))
}

/// A photo as uploaded.
#[utoipa::path(
    get,
    path = "/api/v1/surveys/{id}/photos/{sha256}",
    tag = "surveys",
    params(("id" = Uuid, Path, description = "Survey UUID"), ("sha256" = String, Path, description = "SHA-256 of the file")),
    responses(
        (status = 200, description = "The file"),
        (status = 403, description = "The survey is outside the caller's area", body = ApiError),
        (status = 404, description = "Not declared, or not yet uploaded to this survey", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn get_photo(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path((raw_id, raw_sha)): Path<(String, String)>,
) -> Result<Response, AppError> {
    crate::respond::photo(&state, &user, &raw_id, &raw_sha, PhotoForm::Original).await
}

/// The photo's thumbnail: a JPEG at most 320 pixels on its longer side, upright.
#[utoipa::path(
    get,
    path = "/api/v1/surveys/{id}/photos/{sha256}/thumbnail",
    tag = "surveys",
    params(("id" = Uuid, Path, description = "Survey UUID"), ("sha256" = String, Path, description = "SHA-256 of the file")),
    responses(
        (status = 200, description = "JPEG thumbnail"),
        (status = 403, description = "The survey is outside the caller's area", body = ApiError),
        (status = 404, description = "Not uploaded to this survey, still being made, or none", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn get_thumbnail(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path((raw_id, raw_sha)): Path<(String, String)>,
) -> Result<Response, AppError> {
    crate::respond::photo(&state, &user, &raw_id, &raw_sha, PhotoForm::Thumbnail).await
}

// --- tus 1.0 core: resumable uploads on the same URL -------------------------------------------
//
// The photo's URL is the upload URL: the manifest already fixed its length, so no creation step is
// needed. `HEAD` answers how many bytes the server has; `PATCH` with `Upload-Offset` appends from
// there. Bytes received before a connection drops are kept, which is what lets a phone on a weak
// network resume. When the last byte arrives the upload is checked and stored as a `PUT` would be.

const TUS_VERSION: &str = "1.0.0";

/// The body's declared size (`admit` has refused one that is not a number).
fn content_length(headers: &axum::http::HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// `Upload-Expires` (the tus expiration extension) as an HTTP date.
fn upload_expires(at: std::time::SystemTime) -> (header::HeaderName, HeaderValue) {
    let date = chrono::DateTime::<chrono::Utc>::from(at)
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    (
        header::HeaderName::from_static("upload-expires"),
        HeaderValue::from_str(&date).unwrap_or(HeaderValue::from_static("")),
    )
}

fn tus_headers(offset: u64, length: u64) -> [(header::HeaderName, HeaderValue); 4] {
    [
        (
            header::HeaderName::from_static("tus-resumable"),
            HeaderValue::from_static(TUS_VERSION),
        ),
        (
            header::HeaderName::from_static("upload-offset"),
            HeaderValue::from(offset),
        ),
        (
            header::HeaderName::from_static("upload-length"),
            HeaderValue::from(length),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ]
}

/// The 412 answer for a request without `Tus-Resumable: 1.0.0`, if so.
fn tus_refusal(headers: &axum::http::HeaderMap) -> Option<Response> {
    if headers.get("tus-resumable").and_then(|v| v.to_str().ok()) == Some(TUS_VERSION) {
        None
    } else {
        Some(
            (
                [(
                    header::HeaderName::from_static("tus-version"),
                    HeaderValue::from_static(TUS_VERSION),
                )],
                AppError::from(Message::TusVersion {}),
            )
                .into_response(),
        )
    }
}

/// tus: which tus versions and how large an upload the server takes.
#[utoipa::path(
    options,
    path = "/api/v1/surveys/{id}/photos/{sha256}",
    tag = "surveys",
    params(("id" = Uuid, Path, description = "Survey UUID"), ("sha256" = String, Path, description = "SHA-256 of the file")),
    responses((status = 204, description = "Tus-Version, Tus-Max-Size"))
)]
pub async fn tus_options() -> Response {
    (
        StatusCode::NO_CONTENT,
        [
            (
                header::HeaderName::from_static("tus-resumable"),
                HeaderValue::from_static(TUS_VERSION),
            ),
            (
                header::HeaderName::from_static("tus-version"),
                HeaderValue::from_static(TUS_VERSION),
            ),
            (
                header::HeaderName::from_static("tus-max-size"),
                HeaderValue::from(MAX_PHOTO_BYTES),
            ),
            (
                header::HeaderName::from_static("tus-extension"),
                HeaderValue::from_static("expiration"),
            ),
        ],
    )
        .into_response()
}

/// tus: how many bytes of the photo the server has (`Upload-Offset`) of how many (`Upload-Length`).
#[utoipa::path(
    head,
    path = "/api/v1/surveys/{id}/photos/{sha256}",
    tag = "surveys",
    params(("id" = Uuid, Path, description = "Survey UUID"), ("sha256" = String, Path, description = "SHA-256 of the file")),
    responses(
        (status = 200, description = "Upload-Offset and Upload-Length (and Upload-Expires while unfinished)"),
        (status = 404, description = "Not in the manifest"),
        (status = 412, description = "No Tus-Resumable: 1.0.0", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn tus_head(
    State(state): State<AppState>,
    Caller(user): Caller,
    headers: axum::http::HeaderMap,
    Path((raw_id, raw_sha)): Path<(String, String)>,
) -> Result<Response, AppError> {
    if let Some(refusal) = tus_refusal(&headers) {
        return Ok(refusal);
    }
    let (id, sha) = parse(&raw_id, &raw_sha)?;
    let photo = declared(&state, &user, id, &sha).await?;
    let length = u64::try_from(photo.bytes).unwrap_or(0);
    let offset = if photo.received {
        length
    } else {
        state.storage.partial_len(id, &sha).await
    };
    let mut response = (StatusCode::OK, tus_headers(offset, length)).into_response();
    if !photo.received
        && let Some(at) = state
            .storage
            .partial_expires_at(id, &sha, state.uploads.tus_expiry)
            .await
    {
        let (name, value) = upload_expires(at);
        response.headers_mut().insert(name, value);
    }
    Ok(response)
}

/// tus: appends the body at `Upload-Offset` (which must be the server's offset); the last bytes
/// complete the photo, which is then checked and stored.
#[utoipa::path(
    patch,
    path = "/api/v1/surveys/{id}/photos/{sha256}",
    tag = "surveys",
    params(("id" = Uuid, Path, description = "Survey UUID"), ("sha256" = String, Path, description = "SHA-256 of the file")),
    request_body(content = Vec<u8>, description = "The next bytes", content_type = "application/offset+octet-stream"),
    responses(
        (status = 204, description = "Appended; Upload-Offset is the new offset"),
        (status = 409, description = "Upload-Offset is not the server's offset, or another upload of it is running", body = ApiError),
        (status = 412, description = "No Tus-Resumable: 1.0.0", body = ApiError),
        (status = 413, description = "Beyond the declared length", body = ApiError),
        (status = 415, description = "Not application/offset+octet-stream, or not an image", body = ApiError),
        (status = 422, description = "The complete file fails its checks; it is discarded", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn tus_patch(
    State(state): State<AppState>,
    Caller(user): Caller,
    headers: axum::http::HeaderMap,
    Path((raw_id, raw_sha)): Path<(String, String)>,
    body: Body,
) -> Result<Response, AppError> {
    if let Some(refusal) = tus_refusal(&headers) {
        return Ok(refusal);
    }
    let (id, sha) = parse(&raw_id, &raw_sha)?;
    if headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        != Some("application/offset+octet-stream")
    {
        return Err(Message::TusContentType {}.into());
    }
    let claimed: Option<u64> = headers
        .get("upload-offset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let length = content_length(&headers);
    let part = sink::append_part(
        &state,
        &user,
        id,
        &sha,
        claimed,
        length,
        body.into_data_stream(),
    )
    .await?;
    let mut response = (
        StatusCode::NO_CONTENT,
        tus_headers(part.offset, part.length),
    )
        .into_response();
    if part.offset < part.length {
        let (name, value) = upload_expires(std::time::SystemTime::now() + state.uploads.tus_expiry);
        response.headers_mut().insert(name, value);
    }
    if let Some(receipt) = part.receipt {
        response.headers_mut().insert(
            "tinjau-photo-status",
            HeaderValue::from_static(if receipt.is_new() {
                "stored"
            } else {
                "already_stored"
            }),
        );
    }
    Ok(response)
}
