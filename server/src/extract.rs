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
