//! Photo uploads: streamed to storage while hashed (memory does not grow with the photo), checked
//! against the manifest, read for EXIF, decoded under limits, thumbnailed. A repeat answers 200.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde::Serialize;
use sha2::{Digest, Sha256};
use survey_schema::survey::MAX_PHOTO_BYTES;
use survey_schema::{ApiError, Role, WilayahKode};
use tokio::io::AsyncWriteExt;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::chunk_writer::ChunkWriter;
use crate::db;
use crate::error::AppError;
use crate::photo;
use crate::startup::AppState;

/// A stored photo.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhotoReceipt {
    pub sha256: String,
    /// `stored` (201) or `already_stored` (200).
    pub status: &'static str,
    pub content_type: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// EXIF as read (GPS in degrees, DateTimeOriginal, make, model, orientation).
    #[schema(value_type = Object)]
    pub exif: Option<serde_json::Value>,
    /// Why the EXIF could not be read, if so (the photo is kept).
    pub exif_error: Option<String>,
}

fn client(status: StatusCode, code: &'static str, en: String, id: String) -> AppError {
    AppError::client(status, code, en, id)
}

fn parse(raw_id: &str, raw_sha: &str) -> Result<(Uuid, String), AppError> {
    let id = Uuid::parse_str(raw_id).map_err(|_| {
        AppError::bad_request(
            "invalid_id",
            "The survey id is not a UUID.",
            "Id survei bukan UUID.",
        )
    })?;
    let sha = raw_sha.to_ascii_lowercase();
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::bad_request(
            "invalid_sha256",
            "The photo is named by its SHA-256: 64 hex digits.",
            "Foto dinamai dengan SHA-256-nya: 64 digit heksadesimal.",
        ));
    }
    Ok((id, sha))
}

async fn declared(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    sha: &str,
) -> Result<db::survey::DeclaredPhoto, AppError> {
    let photo = db::survey::declared_photo(&state.pool, id, sha).await?.ok_or_else(|| {
        AppError::not_found(
            format!("Survey {id} declares no photo {sha} (send the survey first, with the photo in its manifest)."),
            format!("Survei {id} tidak mencantumkan foto {sha} (kirim survei dulu, dengan foto di daftarnya)."),
        )
    })?;
    user.require_covers(&WilayahKode::parse(&photo.kelurahan_kode).map_err(anyhow::Error::from)?)?;
    Ok(photo)
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
    user: CurrentUser,
    Path((raw_id, raw_sha)): Path<(String, String)>,
    body: Body,
) -> Result<(StatusCode, Json<PhotoReceipt>), AppError> {
    user.require_role(&[Role::Surveyor, Role::Camat, Role::Admin])?;
    let (id, sha) = parse(&raw_id, &raw_sha)?;
    let photo = declared(&state, &user, id, &sha).await?;
    if photo.received {
        // A retry of a photo already stored: read (and drop) what the phone sends before answering,
        // as HTTP clients often treat an answer that arrives mid-upload as a broken connection.
        let mut stream = body.into_data_stream();
        let mut drained: u64 = 0;
        while let Some(Ok(chunk)) = stream.next().await {
            drained += chunk.len() as u64;
            if drained > MAX_PHOTO_BYTES {
                break;
            }
        }
        return Ok((
            StatusCode::OK,
            Json(PhotoReceipt {
                sha256: sha,
                status: "already_stored",
                content_type: photo.content_type,
                width: None,
                height: None,
                exif: None,
                exif_error: None,
            }),
        ));
    }
    let limit = u64::try_from(photo.bytes).unwrap_or(0).min(MAX_PHOTO_BYTES);

    let upload = state.storage.begin().await?;
    let (digest, head, received) = match receive(&upload, body, limit).await {
        Ok(received) => received,
        Err(e) => {
            state.storage.abort(upload).await;
            return Err(e);
        }
    };
    finish(
        &state,
        &user.actor(),
        id,
        &sha,
        photo,
        upload,
        &digest,
        &head,
        received,
    )
    .await
}

/// Checks a complete upload against the manifest, reads it, and makes it durable and known; on any
/// refusal the upload is dropped and nothing is kept.
#[allow(clippy::too_many_arguments)]
async fn finish(
    state: &AppState,
    actor: &crate::audit::Actor,
    id: Uuid,
    sha: &str,
    photo: db::survey::DeclaredPhoto,
    upload: crate::storage::Upload,
    digest: &str,
    head: &[u8],
    received: u64,
) -> Result<(StatusCode, Json<PhotoReceipt>), AppError> {
    let mut upload = upload;
    let limit = u64::try_from(photo.bytes).unwrap_or(0).min(MAX_PHOTO_BYTES);
    let sniffed = photo::sniff(head);
    let refusal = if received != limit {
        Some(client(
            StatusCode::UNPROCESSABLE_ENTITY,
            "size_mismatch",
            format!(
                "Received {received} bytes; the manifest declares {limit} (a truncated upload?)."
            ),
            format!(
                "Diterima {received} byte; daftar foto mencantumkan {limit} (unggahan terpotong?)."
            ),
        ))
    } else if digest != sha {
        Some(client(
            StatusCode::UNPROCESSABLE_ENTITY,
            "hash_mismatch",
            format!("The bytes hash to {digest}, not {sha}."),
            format!("SHA-256 berkas adalah {digest}, bukan {sha}."),
        ))
    } else if sniffed.is_none() {
        Some(client(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "not_an_image",
            "This is not a JPEG, PNG, WebP or HEIC file.".into(),
            "Berkas ini bukan JPEG, PNG, WebP atau HEIC.".into(),
        ))
    } else if sniffed != Some(photo.content_type.as_str()) {
        Some(client(
            StatusCode::UNPROCESSABLE_ENTITY,
            "type_mismatch",
            format!(
                "The file is {}, but the manifest says {}.",
                sniffed.unwrap_or("?"),
                photo.content_type
            ),
            format!(
                "Berkas bertipe {}, tetapi daftar foto menyebut {}.",
                sniffed.unwrap_or("?"),
                photo.content_type
            ),
        ))
    } else {
        None
    };
    if let Some(e) = refusal {
        state.storage.abort(upload).await;
        return Err(e);
    }
    upload.file.flush().await.map_err(anyhow::Error::from)?;

    // EXIF and the header are read now (file reads: off the async workers); the pixels are
    // decoded later by the photo workers.
    let path = upload.path.clone();
    let content_type = photo.content_type.clone();
    let inspection = tokio::task::spawn_blocking(move || inspect(&path, &content_type))
        .await
        .map_err(anyhow::Error::from)?;
    let received_photo = match inspection {
        Ok(done) => done,
        Err(e) => {
            state.storage.abort(upload).await;
            return Err(client(
                StatusCode::UNPROCESSABLE_ENTITY,
                "undecodable",
                format!("{e}."),
                format!("Foto tidak dapat dibaca: {e}."),
            ));
        }
    };
    state
        .storage
        .commit(upload, &format!("photos/{sha}"))
        .await?;
    // Only now, with the object durable, does the database say the photo is in, and the audit
    // trail that it came, in one transaction.
    let mut tx = state.pool.begin().await?;
    let first = db::survey::mark_received(&mut tx, id, sha, &received_photo).await?;
    if first {
        let change = crate::audit::Change::new(format!("{id}/{sha}"))
            .of_proposal(photo.proposal_id, photo.kelurahan_kode.get(..8))
            .after(serde_json::json!({
                "survey": id,
                "sha256": sha,
                "bytes": received,
                "content_type": photo.content_type,
                "width": received_photo.width,
                "height": received_photo.height,
                "exif": received_photo.exif,
                "exif_error": received_photo.exif_error,
            }));
        crate::audit::record(&mut tx, actor, "photo.store", "photo", vec![change]).await?;
    }
    tx.commit().await?;
    if first && received_photo.processed {
        crate::routes::surveys::check_if_complete(state, id).await;
    } else if first {
        state.photo_queue.wake();
    }
    let status = if first {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(PhotoReceipt {
            sha256: sha.to_owned(),
            status: if first { "stored" } else { "already_stored" },
            content_type: photo.content_type,
            width: received_photo.width,
            height: received_photo.height,
            exif: received_photo.exif,
            exif_error: received_photo.exif_error,
        }),
    ))
}

/// Streams the body into the upload while hashing it: returns the SHA-256, the first bytes and the
/// size. Stops at `limit` bytes, at the first bytes that are no image, or when the client goes away.
async fn receive(
    upload: &crate::storage::Upload,
    body: Body,
    limit: u64,
) -> Result<(String, Vec<u8>, u64), AppError> {
    let mut hasher = Sha256::new();
    let mut received: u64 = 0;
    let mut head = Vec::with_capacity(16);
    let mut writer = ChunkWriter::new(&upload.file)
        .await
        .map_err(anyhow::Error::from)?;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| {
            client(
                StatusCode::BAD_REQUEST,
                "interrupted",
                "The upload was interrupted; send the photo again.".into(),
                "Unggahan terputus; kirim ulang foto.".into(),
            )
        })?;
        received += chunk.len() as u64;
        if received > limit {
            return Err(client(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("The photo is larger than the {limit} bytes declared (or than 20 MB)."),
                format!("Foto lebih besar dari {limit} byte yang dicantumkan (atau dari 20 MB)."),
            ));
        }
        if head.len() < 16 {
            head.extend(chunk.iter().take(16 - head.len()));
            if head.len() >= 12 && photo::sniff(&head).is_none() {
                return Err(client(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "not_an_image",
                    "This is not a JPEG, PNG, WebP or HEIC file.".into(),
                    "Berkas ini bukan JPEG, PNG, WebP atau HEIC.".into(),
                ));
            }
        }
        hasher.update(&chunk);
        writer.write(&chunk).await.map_err(anyhow::Error::from)?;
    }
    writer.finish().await.map_err(anyhow::Error::from)?;
    Ok((hex::encode(hasher.finalize()), head, received))
}

/// EXIF and the header of a complete file: the size in pixels (upright, as the EXIF orientation
/// turns it), refusing a decompression bomb or a header that does not parse. Cheap: no pixel is
/// decoded here.
fn inspect(
    path: &std::path::Path,
    content_type: &str,
) -> Result<db::survey::ReceivedPhoto, photo::DecodeError> {
    let (exif, exif_error) = match photo::read_exif(path) {
        Ok(summary) => (summary.and_then(|s| serde_json::to_value(s).ok()), None),
        Err(e) => (None, Some(e)),
    };
    // The image crate has no HEIC decoder: such photos are kept with their EXIF, without pixels.
    if content_type == "image/heic" {
        return Ok(db::survey::ReceivedPhoto {
            exif,
            exif_error,
            width: None,
            height: None,
            processed: true,
        });
    }
    let (mut width, mut height) = photo::dimensions(path)?;
    let orientation = exif.as_ref().and_then(|e| e["orientation"].as_u64());
    if matches!(orientation, Some(5..=8)) {
        std::mem::swap(&mut width, &mut height);
    }
    Ok(db::survey::ReceivedPhoto {
        exif,
        exif_error,
        width: i32::try_from(width).ok(),
        height: i32::try_from(height).ok(),
        processed: false,
    })
}

async fn serve_object(
    state: &AppState,
    key: &str,
    content_type: &str,
) -> Result<Response, AppError> {
    let body = state.storage.read_object(key).await?.ok_or_else(|| {
        AppError::not_found(
            "The photo has not been uploaded yet.",
            "Foto belum diunggah.",
        )
    })?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_str(content_type)
                    .unwrap_or(HeaderValue::from_static("application/octet-stream")),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=31536000, immutable"),
            ),
        ],
        body,
    )
        .into_response())
}

/// A photo as uploaded.
#[utoipa::path(
    get,
    path = "/api/v1/surveys/{id}/photos/{sha256}",
    tag = "surveys",
    params(("id" = Uuid, Path, description = "Survey UUID"), ("sha256" = String, Path, description = "SHA-256 of the file")),
    responses((status = 200, description = "The file"), (status = 404, description = "Not declared or not uploaded", body = ApiError)),
    security(("bearer" = []))
)]
pub async fn get_photo(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((raw_id, raw_sha)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (id, sha) = parse(&raw_id, &raw_sha)?;
    let photo = declared(&state, &user, id, &sha).await?;
    serve_object(&state, &format!("photos/{sha}"), &photo.content_type).await
}

/// The photo's thumbnail: a JPEG at most 320 pixels on its longer side, upright.
#[utoipa::path(
    get,
    path = "/api/v1/surveys/{id}/photos/{sha256}/thumbnail",
    tag = "surveys",
    params(("id" = Uuid, Path, description = "Survey UUID"), ("sha256" = String, Path, description = "SHA-256 of the file")),
    responses((status = 200, description = "JPEG thumbnail"), (status = 404, description = "No thumbnail", body = ApiError)),
    security(("bearer" = []))
)]
pub async fn get_thumbnail(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((raw_id, raw_sha)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (id, sha) = parse(&raw_id, &raw_sha)?;
    let photo = declared(&state, &user, id, &sha).await?;
    if photo.received && !photo.processed {
        return Err(AppError::not_found(
            "The thumbnail is still being made; try again in a moment.",
            "Gambar kecil sedang dibuat; coba lagi sebentar lagi.",
        ));
    }
    if !photo.has_thumbnail {
        return Err(AppError::not_found(
            "This photo has no thumbnail.",
            "Foto ini tidak memiliki gambar kecil.",
        ));
    }
    serve_object(&state, &format!("thumbs/{sha}"), "image/jpeg").await
}

// --- tus 1.0 core: resumable uploads on the same URL -------------------------------------------
//
// The photo's URL is the upload URL: the manifest already fixed its length, so no creation step is
// needed. `HEAD` answers how many bytes the server has; `PATCH` with `Upload-Offset` appends from
// there. Bytes received before a connection drops are kept, which is what lets a phone on a weak
// network resume. When the last byte arrives the upload is checked and stored as a `PUT` would be.

const TUS_VERSION: &str = "1.0.0";

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
                StatusCode::PRECONDITION_FAILED,
                [(
                    header::HeaderName::from_static("tus-version"),
                    HeaderValue::from_static(TUS_VERSION),
                )],
                Json(ApiError {
                    code: "tus_version".into(),
                    message: survey_schema::LocalizedMessage {
                        en: "Send Tus-Resumable: 1.0.0.".into(),
                        id: "Kirim header Tus-Resumable: 1.0.0.".into(),
                    },
                    details: None,
                }),
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
    responses((status = 200, description = "Upload-Offset and Upload-Length"), (status = 404, description = "Not in the manifest")),
    security(("bearer" = []))
)]
pub async fn tus_head(
    State(state): State<AppState>,
    user: CurrentUser,
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
    Ok((StatusCode::OK, tus_headers(offset, length)).into_response())
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
        (status = 413, description = "Beyond the declared length", body = ApiError),
        (status = 415, description = "Not application/offset+octet-stream, or not an image", body = ApiError),
        (status = 422, description = "The complete file fails its checks; it is discarded", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn tus_patch(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: axum::http::HeaderMap,
    Path((raw_id, raw_sha)): Path<(String, String)>,
    body: Body,
) -> Result<Response, AppError> {
    if let Some(refusal) = tus_refusal(&headers) {
        return Ok(refusal);
    }
    user.require_role(&[Role::Surveyor, Role::Camat, Role::Admin])?;
    let (id, sha) = parse(&raw_id, &raw_sha)?;
    let photo = declared(&state, &user, id, &sha).await?;
    let length = u64::try_from(photo.bytes).unwrap_or(0).min(MAX_PHOTO_BYTES);
    if headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        != Some("application/offset+octet-stream")
    {
        return Err(client(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "A tus PATCH is sent as Content-Type: application/offset+octet-stream.".into(),
            "PATCH tus dikirim dengan Content-Type: application/offset+octet-stream.".into(),
        ));
    }
    let claimed: Option<u64> = headers
        .get("upload-offset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    if photo.received {
        return Ok((StatusCode::NO_CONTENT, tus_headers(length, length)).into_response());
    }
    let Some(mut upload) = state.storage.open_partial(id, &sha).await? else {
        return Err(client(
            StatusCode::CONFLICT,
            "upload_in_progress",
            "Another upload of this photo is running; ask HEAD for the offset and try again.".into(),
            "Unggahan lain untuk foto ini sedang berjalan; tanyakan offset dengan HEAD lalu coba lagi.".into(),
        ));
    };
    let offset = upload
        .file
        .metadata()
        .await
        .map_err(anyhow::Error::from)?
        .len();
    if claimed != Some(offset) {
        return Err(client(
            StatusCode::CONFLICT,
            "offset_mismatch",
            format!("The server has {offset} bytes; send Upload-Offset: {offset}."),
            format!("Server memiliki {offset} byte; kirim Upload-Offset: {offset}."),
        ));
    }
    let mut stream = body.into_data_stream();
    let mut written = offset;
    while let Some(chunk) = stream.next().await {
        // A dropped connection keeps what arrived: the phone resumes from there.
        let Ok(chunk) = chunk else { break };
        if written + chunk.len() as u64 > length {
            state.storage.truncate(&mut upload, written).await?;
            return Err(client(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("The photo is declared as {length} bytes; this goes beyond."),
                format!("Foto dicantumkan {length} byte; kiriman ini melebihinya."),
            ));
        }
        if written == 0 && chunk.len() >= 12 && photo::sniff(&chunk).is_none() {
            state.storage.abort(upload).await;
            return Err(client(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "not_an_image",
                "This is not a JPEG, PNG, WebP or HEIC file.".into(),
                "Berkas ini bukan JPEG, PNG, WebP atau HEIC.".into(),
            ));
        }
        upload
            .file
            .write_all(&chunk)
            .await
            .map_err(anyhow::Error::from)?;
        written += chunk.len() as u64;
    }
    upload.file.flush().await.map_err(anyhow::Error::from)?;
    if written < length {
        return Ok((StatusCode::NO_CONTENT, tus_headers(written, length)).into_response());
    }
    // Complete: hash what was assembled across requests, then check and store it like a PUT.
    let (digest, head) = hash_file(&upload.path).await?;
    let (status, _) = finish(
        &state,
        &user.actor(),
        id,
        &sha,
        photo,
        upload,
        &digest,
        &head,
        written,
    )
    .await?;
    let mut response = (StatusCode::NO_CONTENT, tus_headers(written, length)).into_response();
    response.headers_mut().insert(
        "tinjau-photo-status",
        HeaderValue::from_static(if status == StatusCode::CREATED {
            "stored"
        } else {
            "already_stored"
        }),
    );
    Ok(response)
}

/// SHA-256 and first bytes of a file, read in 64 KiB blocks.
async fn hash_file(path: &std::path::Path) -> Result<(String, Vec<u8>), AppError> {
    use tokio::io::AsyncReadExt;
    let mut file = tokio::fs::File::open(path)
        .await
        .map_err(anyhow::Error::from)?;
    let mut hasher = Sha256::new();
    let mut head = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).await.map_err(anyhow::Error::from)?;
        if n == 0 {
            break;
        }
        if head.len() < 16 {
            head.extend(buf[..n].iter().take(16 - head.len()));
        }
        hasher.update(&buf[..n]);
    }
    Ok((hex::encode(hasher.finalize()), head))
}
