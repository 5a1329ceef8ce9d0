//! Answers that the API and the pages give alike: a file to download, a survey's photo. One
//! function each, so the two cannot drift apart in caching or headers.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tinjau_domain::CurrentUser;
use tinjau_workflows::AppState;
use tinjau_workflows::forms;
use tinjau_workflows::ingest::photo::{self as sink, PhotoForm};

use crate::error::AppError;

/// A made file as an attachment download, never cached.
pub fn attachment(made: forms::Download) -> Response {
    let disposition = format!("attachment; filename=\"{}\"", made.filename);
    let mut response = (StatusCode::OK, made.bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(made.content_type),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}

/// A survey's photo as a response: one function for the API and the pages, so both cache it alike
/// (content-addressed bytes never change; `private` because they are not public) and neither lets
/// a browser sniff it into something else.
pub async fn photo(
    state: &AppState,
    user: &CurrentUser,
    raw_id: &str,
    raw_sha: &str,
    form: PhotoForm,
) -> Result<Response, AppError> {
    let (id, sha) = sink::parse_ids(raw_id, raw_sha)?;
    let (key, content_type) = sink::readable(state, user, id, &sha, form).await?;
    let stream = state.storage.read_object(&key).await?.ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!(
            "photo {key} is marked received but missing from storage"
        ))
    })?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_str(&content_type)
                    .unwrap_or(HeaderValue::from_static("application/octet-stream")),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=31536000, immutable"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}
