//! Extractors whose rejections use the API's error shape instead of axum's plain text.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use std::fmt::Write as _;

use survey_schema::text::{self, ControlCharacter, TextKind};

use tinjau_domain::Message;
use tinjau_domain::refusal::Refusal;

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
            Err(rejection) => Err(AppError::from(Message::InvalidQuery {
                detail: rejection.body_text(),
            })),
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
        let value = match axum::Json::<serde_json::Value>::from_request(req, state).await {
            Ok(axum::Json(value)) => value,
            Err(rejection) => {
                let detail = rejection.body_text();
                return Err(AppError::from(match &rejection {
                    JsonRejection::JsonSyntaxError(_) | JsonRejection::JsonDataError(_) => {
                        Message::MalformedJson { detail }
                    }
                    JsonRejection::MissingJsonContentType(_) => Message::JsonContentType {},
                    _ if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                        Message::BodyTooLarge {}
                    }
                    _ => Message::UnreadableBody { detail },
                }));
            }
        };
        // Text that could never be stored is refused by name before anything looks at it.
        if let Some((field, found)) = control_character_in(&value, &mut String::new()) {
            return Err(invalid_text(&field, &found));
        }
        match serde_path_to_error::deserialize::<_, T>(value) {
            Ok(value) => Ok(Self(value)),
            Err(e) => {
                let path = e.path().to_string();
                let detail = if path == "." {
                    e.inner().to_string()
                } else {
                    format!("{path}: {}", e.inner())
                };
                Err(AppError::from(Message::InvalidBody { detail }))
            }
        }
    }
}

/// The 422 for a field holding a control character.
pub fn invalid_text(field: &str, found: &ControlCharacter) -> AppError {
    Refusal::from(Message::InvalidText {
        field: field.to_owned(),
        found: found.clone(),
    })
    .with_details(serde_json::json!({ "field": field }))
    .into()
}

/// The first string (key or value) of a JSON document holding a control character, with its path
/// (`photos[2].caption`). Values may break lines (notes); keys may not.
fn control_character_in(
    value: &serde_json::Value,
    path: &mut String,
) -> Option<(String, ControlCharacter)> {
    use serde_json::Value;
    match value {
        Value::String(s) => text::check(s, TextKind::Note)
            .err()
            .map(|found| (display_path(path), found)),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let len = path.len();
            let _ = write!(path, "[{i}]");
            let found = control_character_in(item, path);
            path.truncate(len);
            found
        }),
        Value::Object(map) => map.iter().find_map(|(key, item)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(key);
            let found = match text::check(key, TextKind::Line) {
                Err(found) => Some((display_path(path), found)),
                Ok(()) => control_character_in(item, path),
            };
            path.truncate(len);
            found
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) => None,
    }
}

fn display_path(path: &str) -> String {
    if path.is_empty() {
        "body".to_owned()
    } else {
        path.escape_debug().to_string()
    }
}

/// The first query parameter (name or value) holding a control character: no filter, name or
/// number has one, and PostgreSQL refuses NUL outright. A value may hold a tab or a line break
/// (harmless to store or compare; a return path with a tab is the page's own to refuse).
pub fn control_character_in_query(query: &str) -> Option<(String, ControlCharacter)> {
    form_urlencoded::parse(query.as_bytes()).find_map(|(name, value)| {
        let found = text::check(&name, TextKind::Line)
            .err()
            .or_else(|| text::check(&value, TextKind::Note).err())?;
        Some((name.escape_debug().to_string(), found))
    })
}

/// What an `If-Match` says the caller saw (`"3"`, `W/"3"`, or a list `"3", "4"`); `*` names no
/// version (it would skip the check a change needs).
pub fn seen_versions(headers: &axum::http::HeaderMap) -> tinjau_domain::Seen {
    use tinjau_domain::Seen;
    let Some(raw) = headers
        .get(axum::http::header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return Seen::Unsaid;
    };
    let versions: Vec<i32> = raw
        .split(',')
        .filter_map(|tag| {
            let v = tag.trim();
            let v = v.strip_prefix("W/").unwrap_or(v);
            v.trim_matches('"').parse().ok()
        })
        .collect();
    if versions.is_empty() {
        Seen::NoVersion
    } else {
        Seen::Versions(versions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_of_a_control_character_names_the_field() {
        let body = serde_json::json!({"photos": [{"caption": "ok"}, {"caption": "a\u{0}"}]});
        let (field, found) = control_character_in(&body, &mut String::new()).unwrap();
        assert_eq!(field, "photos[1].caption");
        assert_eq!(found.position, 1);
        let line_breaks = serde_json::json!({"note": "satu\ndua\ttiga"});
        assert!(control_character_in(&line_breaks, &mut String::new()).is_none());
    }

    #[test]
    fn a_query_parameter_with_nul_is_named() {
        let (name, _) = control_character_in_query("tahun=2026&q=jalan%00").unwrap();
        assert_eq!(name, "q");
        assert!(control_character_in_query("q=jalan+rusak&kecamatan=31.71.01").is_none());
    }
}
