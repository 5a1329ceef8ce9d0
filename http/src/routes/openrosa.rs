//! The OpenRosa server ODK Collect and KoboCollect talk to, per surveyor, under
//! `/v1/key/{token}/projects/{kecamatan}` (the device token in the path, as ODK Central does, since
//! Collect stores only a server URL; masked in the logs). A thin adapter on
//! [`tinjau_workflows::ingest::openrosa`]: every answer is XML (`text/xml; charset=utf-8`) with
//! `X-OpenRosa-Version: 1.0`; a refusal is an `OpenRosaResponse` whose message Collect shows to the
//! surveyor, in Indonesian with the English after it; a bad token is 403, never 401 (a 401 makes
//! Collect ask for a password that does not exist).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::StreamExt;
use survey_schema::survey::MAX_PHOTO_BYTES;
use survey_schema::{WilayahKode, WilayahLevel};

use crate::auth::CurrentUser;
use tinjau_domain::Message;

use crate::error::AppError;
use tinjau_workflows::AppState;
use tinjau_workflows::ingest::openrosa::{self as intake, Received, form, xml};
use tinjau_workflows::ingest::photo::{self as sink, StagedPhoto};

pub use tinjau_workflows::ingest::openrosa::DEFAULT_ACCEPT_BYTES;

/// The largest submission POST: what HEAD announces, or one photo of up to 20 MB, plus the XML.
pub fn body_limit(accept_bytes: u64) -> u64 {
    accept_bytes.max(MAX_PHOTO_BYTES) + 2 * (1 << 20)
}

/// The OpenRosa routes. `accept_bytes` is what HEAD announces; a POST may carry that, or one photo
/// of up to 20 MB, plus the XML.
pub fn router(accept_bytes: u64) -> Router<AppState> {
    let limit = usize::try_from(body_limit(accept_bytes)).unwrap_or(usize::MAX);
    let base = "/v1/key/{token}/projects/{kecamatan}";
    Router::new()
        .route(&format!("{base}/formList"), get(form_list))
        .route(&format!("{base}/forms/{{file}}"), get(form_xml))
        .route(&format!("{base}/forms/{{form}}/manifest"), get(manifest))
        .route(
            &format!("{base}/forms/{{form}}/attachments/{{name}}"),
            get(attachment),
        )
        .route(
            &format!("{base}/submission"),
            get(preflight)
                .head(preflight)
                .post(submit)
                .layer(DefaultBodyLimit::max(limit)),
        )
        .layer(axum::middleware::map_response_with_state(
            accept_bytes,
            openrosa_headers,
        ))
}

async fn openrosa_headers(State(accept_bytes): State<u64>, mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert("x-openrosa-version", HeaderValue::from_static("1.0"));
    headers.insert(
        "x-openrosa-accept-content-length",
        HeaderValue::from(accept_bytes),
    );
    headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static("id"));
    response
}

/// A refusal or failure, as the `OpenRosaResponse` Collect shows.
#[derive(Debug)]
pub struct OpenRosaError(AppError);

impl<E: Into<AppError>> From<E> for OpenRosaError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for OpenRosaError {
    fn into_response(self) -> Response {
        let (status, code, en, id) = self.0.parts();
        if status.is_server_error() {
            tracing::error!(error = %self.0, "OpenRosa request failed");
        } else {
            tracing::debug!(error = %self.0, "OpenRosa request refused");
        }
        let body = form::response("error", &format!("{id} ({en}) [{code}]"));
        // Set here too, for the answers made outside the routes' header layer (a fallback 404, a
        // deadline's 408): Collect reads none without it.
        let mut response = xml_response(status, body);
        response
            .headers_mut()
            .insert("x-openrosa-version", HeaderValue::from_static("1.0"));
        response
    }
}

/// An OpenRosa 404 for any other path under `/v1/key/` (answered by the fallback, outside the
/// routes' header layer).
pub fn not_found() -> Response {
    OpenRosaError(AppError::from(Message::NoSuchOpenRosaEndpoint {})).into_response()
}

fn xml_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/xml; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

fn refused(message: Message) -> OpenRosaError {
    OpenRosaError(AppError::from(message))
}

/// The surveyor whose token the path carries.
async fn surveyor(
    state: &AppState,
    token: &str,
    headers: &HeaderMap,
) -> Result<CurrentUser, OpenRosaError> {
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    crate::auth::user_for_token(state, token, request_id)
        .await?
        .ok_or_else(|| refused(Message::InvalidDeviceKey {}))
}

fn kecamatan(raw: &str) -> Result<WilayahKode, OpenRosaError> {
    WilayahKode::parse(raw)
        .ok()
        .filter(|k| k.level() == WilayahLevel::Kecamatan)
        .ok_or_else(|| refused(Message::UnknownProject {}))
}

/// The surveyor and the kecamatan of the path, checked.
async fn project(
    state: &AppState,
    token: &str,
    raw_kecamatan: &str,
    headers: &HeaderMap,
) -> Result<(CurrentUser, WilayahKode), OpenRosaError> {
    let user = surveyor(state, token, headers).await?;
    let kecamatan = kecamatan(raw_kecamatan)?;
    intake::project_area(&user, &kecamatan)?;
    Ok((user, kecamatan))
}

/// The absolute URL of the project, as Collect must be given download URLs: from the configured
/// public address (`--public-url`), else from the request (Host, X-Forwarded-Proto), so that behind
/// a TLS proxy the key never travels in clear text when the address is configured.
fn base_url(state: &AppState, headers: &HeaderMap, token: &str, kecamatan: &WilayahKode) -> String {
    if let Some(public) = &state.public_url {
        return tinjau_workflows::ingest::openrosa::settings::server_url(
            public,
            token,
            &kecamatan.to_string(),
        );
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .filter(|p| *p == "https" || *p == "http")
        .unwrap_or("http");
    format!("{scheme}://{host}/v1/key/{token}/projects/{kecamatan}")
}

async fn form_list(
    State(state): State<AppState>,
    Path((token, raw_kecamatan)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, OpenRosaError> {
    let (_, kecamatan) = project(&state, &token, &raw_kecamatan, &headers).await?;
    Ok(xml_response(
        StatusCode::OK,
        form::form_list(&base_url(&state, &headers, &token, &kecamatan)),
    ))
}

fn unknown_form() -> OpenRosaError {
    refused(Message::NoSuchBlankForm {})
}

/// Bytes with a strong ETag, answered 304 when the phone's cached copy matches.
fn cached(headers: &HeaderMap, content_type: &'static str, md5: &str, body: Vec<u8>) -> Response {
    cached_body(headers, content_type, md5, axum::body::Body::from(body))
}

/// A media file with its MD5 as ETag: 304 when the phone has it.
fn cached_body(
    headers: &HeaderMap,
    content_type: &'static str,
    md5: &str,
    body: axum::body::Body,
) -> Response {
    let etag = format!("\"{md5}\"");
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
            body,
        )
            .into_response()
    };
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    response
}

async fn form_xml(
    State(state): State<AppState>,
    Path((token, raw_kecamatan, file)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, OpenRosaError> {
    project(&state, &token, &raw_kecamatan, &headers).await?;
    if file != format!("{}.xml", form::FORM_ID) {
        return Err(unknown_form());
    }
    Ok(cached(
        &headers,
        "text/xml; charset=utf-8",
        &form::FORM_MD5,
        form::FORM_XML.to_vec(),
    ))
}

async fn manifest(
    State(state): State<AppState>,
    Path((token, raw_kecamatan, form_id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, OpenRosaError> {
    let (user, kecamatan) = project(&state, &token, &raw_kecamatan, &headers).await?;
    if form_id != form::FORM_ID {
        return Err(unknown_form());
    }
    let media = intake::media(&state, &user, &kecamatan, None).await?;
    let hashes: Vec<(&str, String)> = media.into_iter().map(|m| (m.name, m.md5)).collect();
    let mut response = xml_response(
        StatusCode::OK,
        form::manifest(&base_url(&state, &headers, &token, &kecamatan), &hashes),
    );
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    Ok(response)
}

async fn attachment(
    State(state): State<AppState>,
    Path((token, raw_kecamatan, form_id, name)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, OpenRosaError> {
    let (user, kecamatan) = project(&state, &token, &raw_kecamatan, &headers).await?;
    if form_id != form::FORM_ID {
        return Err(unknown_form());
    }
    let media = intake::media(&state, &user, &kecamatan, Some(&name)).await?;
    let Some(file) = media.into_iter().find(|m| m.name == name) else {
        return Err(unknown_form());
    };
    let content_type = file.content_type;
    match file.body {
        intake::MediaBody::Bytes(bytes) => Ok(cached(&headers, content_type, &file.md5, bytes)),
        intake::MediaBody::File(path) => {
            let opened = tokio::fs::File::open(&path)
                .await
                .map_err(|e| OpenRosaError::from(AppError::Internal(e.into())))?;
            let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(opened));
            Ok(cached_body(&headers, content_type, &file.md5, body))
        }
    }
}

/// Collect's pre-flight: 204 with the accepted length (never 200: Collect takes any other 2xx
/// for a server that is no OpenRosa server).
async fn preflight(
    State(state): State<AppState>,
    Path((token, raw_kecamatan)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<StatusCode, OpenRosaError> {
    project(&state, &token, &raw_kecamatan, &headers).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn too_large() -> OpenRosaError {
    refused(Message::SubmissionTooLarge {})
}

fn multipart_error(e: &axum::extract::multipart::MultipartError) -> OpenRosaError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        refused(Message::MalformedMultipart {})
    }
}

/// A POST of a submission: `xml_submission_file`, then one part per photo named by its file
/// name; `*isIncomplete*` on all but the last POST of a split (not needed: the XML says which
/// photos make the whole).
async fn submit(
    State(state): State<AppState>,
    Path((token, raw_kecamatan)): Path<(String, String)>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, OpenRosaError> {
    // The area is checked by the workflow, after a retry of a stored submission has been answered
    // (a surveyor moved to another kecamatan still gets the 201 a lost answer owed them).
    let user = surveyor(&state, &token, &headers).await?;
    let kecamatan = kecamatan(&raw_kecamatan)?;
    intake::require_surveyor(&user)?;
    let mut multipart = multipart.map_err(|_| refused(Message::NotMultipart {}))?;
    let mut xml = None;
    let mut staged: Vec<(String, StagedPhoto)> = Vec::new();
    let mut incomplete = false;
    let read = read_parts(
        &state,
        &mut multipart,
        &mut xml,
        &mut staged,
        &mut incomplete,
    )
    .await;
    let Some(xml) = xml.filter(|_| read.is_ok()) else {
        for (_, s) in staged {
            sink::discard(&state, s).await;
        }
        return Err(read
            .err()
            .unwrap_or_else(|| refused(Message::MissingXml {})));
    };
    let post = intake::Post {
        xml: &xml,
        photos: staged,
        incomplete,
    };
    match intake::receive(&state, &user, &kecamatan, post).await? {
        Received::Complete { .. } => Ok(xml_response(
            StatusCode::CREATED,
            form::response(
                "submit_success",
                "Survei diterima. Terima kasih! (Survey received. Thank you!)",
            ),
        )),
        Received::Waiting { missing } => Ok(xml_response(
            StatusCode::CREATED,
            form::response(
                "submit_success",
                &format!(
                    "Bagian kiriman diterima; menunggu {n} foto lagi. (Part received; {n} more photo(s) to come.)",
                    n = missing.len()
                ),
            ),
        )),
    }
}

/// Reads every part: the XML into memory (at most 1 MB), each photo streamed into the sink.
async fn read_parts(
    state: &AppState,
    multipart: &mut Multipart,
    xml_out: &mut Option<Vec<u8>>,
    staged: &mut Vec<(String, StagedPhoto)>,
    incomplete: &mut bool,
) -> Result<(), OpenRosaError> {
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error(&e))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "xml_submission_file" {
            let mut buf = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(&e))? {
                if buf.len() + chunk.len() > xml::MAX_XML_BYTES {
                    return Err(refused(Message::XmlTooLarge {}));
                }
                buf.extend_from_slice(&chunk);
            }
            *xml_out = Some(buf);
        } else if field.file_name().is_none() {
            // Plain fields (`*isIncomplete*`, a deviceID): read, a little at most.
            let mut value = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(&e))? {
                value.extend_from_slice(&chunk);
                if value.len() > 4096 {
                    return Err(refused(Message::FieldTooLong {}));
                }
            }
            if name == "*isIncomplete*" && value.trim_ascii().eq_ignore_ascii_case(b"yes") {
                *incomplete = true;
            }
        } else {
            // Collect names a photo's part by its file name; a body cut by the limit is a 413.
            let over_limit = Arc::new(AtomicBool::new(false));
            let flag = Arc::clone(&over_limit);
            let stream = field.map(move |chunk| {
                chunk.inspect_err(|e| {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        flag.store(true, Ordering::Relaxed);
                    }
                })
            });
            match sink::stage(state, Box::pin(stream)).await {
                Ok(photo) => staged.push((name, photo)),
                Err(_) if over_limit.load(Ordering::Relaxed) => return Err(too_large()),
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(())
}
