//! Extractors whose rejections use the API's error shape instead of axum's plain text.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// `Query<T>` answering a bad query string with a 400 `invalid_query` in the JSON error shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Self(value)),
            Err(rejection) => {
                let detail = rejection.body_text();
                Err(AppError::bad_request(
                    "invalid_query",
                    format!("Invalid query parameters: {detail}"),
                    format!("Parameter query tidak valid: {detail}"),
                ))
            }
        }
    }
}

/// `Json<T>` answering bad bodies in the JSON error shape: malformed JSON 400, wrong types or
/// values 422, a missing `Content-Type: application/json` 415, a body over the limit 413.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::rejection::JsonRejection;
        use axum::http::StatusCode;
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => {
                let detail = rejection.body_text();
                let (status, code, en, id) = match &rejection {
                    JsonRejection::JsonDataError(_) => (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid_body",
                        format!("The body does not match the expected fields: {detail}"),
                        format!(
                            "Isi permintaan tidak sesuai dengan kolom yang diharapkan: {detail}"
                        ),
                    ),
                    JsonRejection::JsonSyntaxError(_) => (
                        StatusCode::BAD_REQUEST,
                        "malformed_json",
                        format!("The body is not valid JSON: {detail}"),
                        format!("Isi permintaan bukan JSON yang sah: {detail}"),
                    ),
                    JsonRejection::MissingJsonContentType(_) => (
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "unsupported_media_type",
                        "Send the body as Content-Type: application/json.".to_owned(),
                        "Kirim isi permintaan dengan Content-Type: application/json.".to_owned(),
                    ),
                    _ if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => (
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "too_large",
                        "The body is too large.".to_owned(),
                        "Isi permintaan terlalu besar.".to_owned(),
                    ),
                    _ => (
                        StatusCode::BAD_REQUEST,
                        "bad_body",
                        format!("The body could not be read: {detail}"),
                        format!("Isi permintaan tidak dapat dibaca: {detail}"),
                    ),
                };
                Err(AppError::client(status, code, en, id))
            }
        }
    }
}
