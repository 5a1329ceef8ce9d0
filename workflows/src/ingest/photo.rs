//! One sink for a survey's photos, whichever way they come (a PUT, the parts of a tus upload, an
//! OpenRosa multipart part): streamed to storage while hashed (memory does not grow with the photo),
//! checked against the survey's manifest, read for EXIF and its header (a decompression bomb is
//! refused before any pixel is decoded), made durable, then marked received with its audit record.
//! Pixels, the thumbnail and the perceptual hash follow in the background workers.

use futures::{Stream, StreamExt};
use serde::Serialize;
use sha2::Digest as _;
use survey_schema::Role;
use survey_schema::Sha256;
use survey_schema::survey::MAX_PHOTO_BYTES;
use tokio::io::AsyncWriteExt;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::app::AppState;
use crate::audit::Actor;
use crate::chunk_writer::ChunkWriter;
use crate::db;
use crate::photo;
use tinjau_domain::messages::Count;

use crate::refusal::{Message, Refusal, WorkflowError, refuse};
use tinjau_domain::CurrentUser;

/// A declared photo as the manifest gives it, and whether it is in.
pub use crate::db::survey::DeclaredPhoto;

/// A stored photo.
#[derive(Debug, Clone, Serialize, ToSchema)]
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

impl PhotoReceipt {
    /// Whether this request stored it (not a repeat).
    pub fn is_new(&self) -> bool {
        self.status == "stored"
    }
}

fn not_an_image() -> WorkflowError {
    Refusal::from(Message::NotAnImage {}).into()
}

/// A survey id and a photo's SHA-256 as a path names them.
pub fn parse_ids(raw_id: &str, raw_sha: &str) -> Result<(Uuid, Sha256), WorkflowError> {
    let id = Uuid::parse_str(raw_id).map_err(|_| {
        Refusal::from(Message::InvalidUuid {
            raw: raw_id.chars().take(40).collect(),
        })
    })?;
    let sha = Sha256::parse(raw_sha).map_err(|_| Refusal::from(Message::InvalidSha256 {}))?;
    Ok((id, sha))
}

/// The photo as the survey's manifest declares it, if `user` may see the survey.
pub async fn declared(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    sha: &Sha256,
) -> Result<DeclaredPhoto, WorkflowError> {
    let Some(photo) = db::survey::declared_photo(&state.pool, id, sha.as_str()).await? else {
        return refuse(Message::PhotoNotDeclared {
            survey: id.to_string(),
            sha256: sha.to_string(),
        });
    };
    super::survey::require_covers_survey(user, id, &photo.kelurahan_kode)?;
    Ok(photo)
}

/// Which stored form of a photo to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoForm {
    /// The file as uploaded.
    Original,
    /// A JPEG at most 320 pixels on its longer side, upright.
    Thumbnail,
}

/// The stored object (key and content type) of a photo `user` reads through survey `id`: one path
/// for the API and the pages. Storage is shared between surveys (content-addressed), but naming a
/// hash proves nothing: a survey serves a photo only once its own upload of those bytes completed
/// (a whole PUT, the last tus part, or an OpenRosa part).
pub async fn readable(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    sha: &Sha256,
    form: PhotoForm,
) -> Result<(String, String), WorkflowError> {
    let photo = declared(state, user, id, sha).await?;
    if !photo.received {
        return refuse(Message::PhotoNotUploaded {
            survey: id.to_string(),
            sha256: sha.to_string(),
        });
    }
    match form {
        PhotoForm::Original => Ok((format!("photos/{sha}"), photo.content_type)),
        PhotoForm::Thumbnail if !photo.processed => refuse(Message::ThumbnailPending {}),
        PhotoForm::Thumbnail if !photo.has_thumbnail => refuse(Message::NoThumbnail {}),
        PhotoForm::Thumbnail => Ok((format!("thumbs/{sha}"), "image/jpeg".to_owned())),
    }
}

/// The bytes a declared photo may have.
pub fn limit_of(photo: &DeclaredPhoto) -> u64 {
    u64::try_from(photo.bytes).unwrap_or(0).min(MAX_PHOTO_BYTES)
}

/// Stores a whole photo from `body`. A photo already stored is answered as a repeat after its body
/// is read (HTTP clients often treat an answer that arrives mid-upload as a broken connection).
pub async fn receive_whole<S, B, E>(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    sha: &Sha256,
    content_length: Option<u64>,
    mut body: S,
) -> Result<PhotoReceipt, WorkflowError>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
{
    user.require_role(&[Role::Surveyor, Role::Camat, Role::Admin])?;
    let photo = declared(state, user, id, sha).await?;
    if let Some(length) = content_length.filter(|n| *n > limit_of(&photo)) {
        return Err(larger_than_declared(length, limit_of(&photo)));
    }
    if photo.received {
        let mut drained: u64 = 0;
        while let Some(Ok(chunk)) = body.next().await {
            drained += chunk.as_ref().len() as u64;
            if drained > MAX_PHOTO_BYTES {
                break;
            }
        }
        return Ok(PhotoReceipt {
            sha256: sha.to_string(),
            status: "already_stored",
            content_type: photo.content_type,
            width: None,
            height: None,
            exif: None,
            exif_error: None,
        });
    }
    let limit = limit_of(&photo);
    let upload = state.storage.begin().await?;
    let (digest, head, received) = match receive(&upload, body, limit, state.uploads).await {
        Ok(received) => received,
        Err(e) => {
            state.storage.abort(upload).await;
            return Err(e);
        }
    };
    finish(
        state,
        &user.actor(),
        id,
        sha,
        photo,
        upload,
        &digest,
        &head,
        received,
    )
    .await
}

/// The 413 for a body announced larger than the photo's declared size, refused before it is read.
fn larger_than_declared(length: u64, limit: u64) -> WorkflowError {
    Refusal::from(Message::BodyLargerThanPhoto {
        length: Count(length),
        declared: Count(limit),
    })
    .into()
}

/// The 408 for an upload slower than the slowest pace accepted.
fn too_slow(limits: crate::app::UploadLimits, bytes: u64) -> Refusal {
    let seconds = limits.deadline_for(bytes).as_secs();
    Refusal::from(Message::UploadTooSlow {
        seconds,
        rate: Count(limits.min_bytes_per_sec),
    })
}

/// The next chunk of `body`, unless `deadline` passes first (`Err`).
async fn next_before<S: Stream + Unpin>(
    body: &mut S,
    deadline: tokio::time::Instant,
) -> Result<Option<S::Item>, tokio::time::error::Elapsed> {
    tokio::time::timeout_at(deadline, body.next()).await
}

/// Streams the body into the upload while hashing it: returns the SHA-256, the first bytes and the
/// size. Stops at `limit` bytes, at the first bytes that are no image, when the body is slower than
/// `limits` allow, or when the client goes away.
async fn receive<S, B, E>(
    upload: &crate::storage::Upload,
    mut body: S,
    limit: u64,
    limits: crate::app::UploadLimits,
) -> Result<(Sha256, Vec<u8>, u64), WorkflowError>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
{
    let mut hasher = sha2::Sha256::new();
    let mut received: u64 = 0;
    let mut head = Vec::with_capacity(16);
    let mut writer = ChunkWriter::new(&upload.file)
        .await
        .map_err(anyhow::Error::from)?;
    let deadline = tokio::time::Instant::now() + limits.deadline_for(limit);
    loop {
        let Ok(next) = next_before(&mut body, deadline).await else {
            return Err(too_slow(limits, limit).into());
        };
        let Some(chunk) = next else { break };
        let Ok(chunk) = chunk else {
            return refuse(Message::UploadInterrupted {});
        };
        let chunk = chunk.as_ref();
        received += chunk.len() as u64;
        if received > limit {
            return refuse(Message::PhotoLargerThanDeclared {
                declared: Count(limit),
            });
        }
        if head.len() < 16 {
            head.extend(chunk.iter().take(16 - head.len()));
            if head.len() >= 12 && photo::sniff(&head).is_none() {
                return Err(not_an_image());
            }
        }
        hasher.update(chunk);
        writer.write(chunk).await.map_err(anyhow::Error::from)?;
    }
    writer.finish().await.map_err(anyhow::Error::from)?;
    Ok((Sha256::from_bytes(hasher.finalize().into()), head, received))
}

/// What a part of a resumable upload did.
#[derive(Debug, Clone)]
pub struct PartialUpload {
    /// Bytes the server holds now.
    pub offset: u64,
    /// Bytes the photo has.
    pub length: u64,
    /// Set when this part completed the photo.
    pub receipt: Option<PhotoReceipt>,
}

/// Appends a part of a resumable (tus) upload at `claimed_offset`. Bytes that arrived before a
/// connection dropped are kept, so the phone resumes from there; the last bytes complete the photo,
/// checked and stored like a whole upload.
pub async fn append_part<S, B, E>(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    sha: &Sha256,
    claimed_offset: Option<u64>,
    content_length: Option<u64>,
    mut body: S,
) -> Result<PartialUpload, WorkflowError>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
{
    user.require_role(&[Role::Surveyor, Role::Camat, Role::Admin])?;
    let photo = declared(state, user, id, sha).await?;
    let length = limit_of(&photo);
    if photo.received {
        return Ok(PartialUpload {
            offset: length,
            length,
            receipt: None,
        });
    }
    let Some(mut upload) = state.storage.open_partial(id, sha).await? else {
        return refuse(Message::UploadInProgress {});
    };
    let offset = upload
        .file
        .metadata()
        .await
        .map_err(anyhow::Error::from)?
        .len();
    if claimed_offset != Some(offset) {
        return refuse(Message::OffsetMismatch { offset });
    }
    if let Some(part) = content_length.filter(|n| offset + n > length) {
        return Err(larger_than_declared(offset + part, length));
    }
    let mut written = offset;
    let deadline = tokio::time::Instant::now()
        + state
            .uploads
            .deadline_for(content_length.unwrap_or(length - offset));
    loop {
        let Ok(next) = next_before(&mut body, deadline).await else {
            // Too slow: what arrived is kept, as for a dropped connection, and the phone resumes.
            upload.file.flush().await.map_err(anyhow::Error::from)?;
            return Err(
                too_slow(state.uploads, content_length.unwrap_or(length - offset))
                    .with_details(serde_json::json!({ "upload_offset": written }))
                    .into(),
            );
        };
        // A dropped connection keeps what arrived: the phone resumes from there.
        let Some(Ok(chunk)) = next else { break };
        let chunk = chunk.as_ref();
        if written + chunk.len() as u64 > length {
            state.storage.truncate(&mut upload, written).await?;
            return refuse(Message::PartBeyondDeclared {
                declared: Count(length),
            });
        }
        if written == 0 && chunk.len() >= 12 && photo::sniff(chunk).is_none() {
            state.storage.abort(upload).await;
            return Err(not_an_image());
        }
        upload
            .file
            .write_all(chunk)
            .await
            .map_err(anyhow::Error::from)?;
        written += chunk.len() as u64;
    }
    upload.file.flush().await.map_err(anyhow::Error::from)?;
    if written < length {
        return Ok(PartialUpload {
            offset: written,
            length,
            receipt: None,
        });
    }
    // Complete: hash what was assembled across requests, then check and store it like a PUT.
    let (digest, head) = hash_file(&upload.path).await?;
    let receipt = finish(
        state,
        &user.actor(),
        id,
        sha,
        photo,
        upload,
        &digest,
        &head,
        written,
    )
    .await?;
    Ok(PartialUpload {
        offset: written,
        length,
        receipt: Some(receipt),
    })
}

/// SHA-256 and first bytes of a file, read in 64 KiB blocks.
async fn hash_file(path: &std::path::Path) -> Result<(Sha256, Vec<u8>), WorkflowError> {
    use tokio::io::AsyncReadExt;
    let mut file = tokio::fs::File::open(path)
        .await
        .map_err(anyhow::Error::from)?;
    let mut hasher = sha2::Sha256::new();
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
    Ok((Sha256::from_bytes(hasher.finalize().into()), head))
}

/// Checks a complete upload against the manifest, reads it, and makes it durable and known; on any
/// refusal the upload is dropped and nothing is kept.
#[allow(clippy::too_many_arguments)]
async fn finish(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    sha: &Sha256,
    photo: DeclaredPhoto,
    upload: crate::storage::Upload,
    digest: &Sha256,
    head: &[u8],
    received: u64,
) -> Result<PhotoReceipt, WorkflowError> {
    let mut upload = upload;
    let limit = limit_of(&photo);
    let sniffed = photo::sniff(head);
    let refusal = if received != limit {
        Some(Refusal::from(Message::SizeMismatch {
            received: Count(received),
            declared: Count(limit),
        }))
    } else if digest != sha {
        Some(Refusal::from(Message::HashMismatch {
            digest: digest.to_string(),
            sha256: sha.to_string(),
        }))
    } else if sniffed.is_none() {
        Some(Refusal::from(Message::NotAnImage {}))
    } else if sniffed != Some(photo.content_type.as_str()) {
        Some(Refusal::from(Message::TypeMismatch {
            found: sniffed.unwrap_or("?").to_owned(),
            declared: photo.content_type.clone(),
        }))
    } else {
        None
    };
    if let Some(e) = refusal {
        state.storage.abort(upload).await;
        return Err(e.into());
    }
    upload.file.flush().await.map_err(anyhow::Error::from)?;
    // EXIF and the header are read now; the pixels are decoded later by the photo workers.
    let received_photo = match inspect_upload(&upload, &photo.content_type).await {
        Ok(done) => done,
        Err(e) => {
            state.storage.abort(upload).await;
            return Err(e);
        }
    };
    state
        .storage
        .commit(upload, &format!("photos/{sha}"))
        .await?;
    // Only now, with the object durable, does the database say the photo is in.
    let first = register(state, actor, id, sha, &photo, received, &received_photo).await?;
    Ok(PhotoReceipt {
        sha256: sha.to_string(),
        status: if first { "stored" } else { "already_stored" },
        content_type: photo.content_type,
        width: received_photo.width,
        height: received_photo.height,
        exif: received_photo.exif,
        exif_error: received_photo.exif_error,
    })
}

/// A photo received whole, checked and read, but not yet attached to a survey: a part of an
/// OpenRosa submission, whose survey is stored once every part is in. Until [`keep`] it is a
/// temporary file; [`discard`] drops it.
#[derive(Debug)]
pub struct StagedPhoto {
    pub sha256: Sha256,
    pub bytes: u64,
    pub content_type: &'static str,
    pub inspection: db::survey::ReceivedPhoto,
    upload: crate::storage::Upload,
}

/// Streams a photo into a temporary file while hashing it (at most 20 MB), and reads its type,
/// EXIF and header as a PUT's photo is read: a file that is no image, or a decompression bomb, is
/// refused and nothing is kept.
pub async fn stage<S, B, E>(state: &AppState, body: S) -> Result<StagedPhoto, WorkflowError>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
{
    let mut upload = state.storage.begin().await?;
    let (digest, head, received) =
        match receive(&upload, body, MAX_PHOTO_BYTES, state.uploads).await {
            Ok(received) => received,
            Err(e) => {
                state.storage.abort(upload).await;
                return Err(e);
            }
        };
    let Some(content_type) = photo::sniff(&head) else {
        state.storage.abort(upload).await;
        return Err(not_an_image());
    };
    if let Err(e) = upload.file.flush().await {
        state.storage.abort(upload).await;
        return Err(anyhow::Error::from(e).into());
    }
    let inspection = match inspect_upload(&upload, content_type).await {
        Ok(done) => done,
        Err(e) => {
            state.storage.abort(upload).await;
            return Err(e);
        }
    };
    Ok(StagedPhoto {
        sha256: digest,
        bytes: received,
        content_type,
        inspection,
        upload,
    })
}

/// Makes a staged photo durable under its hash.
pub async fn keep(state: &AppState, staged: StagedPhoto) -> Result<(), WorkflowError> {
    state
        .storage
        .commit(staged.upload, &format!("photos/{}", staged.sha256))
        .await?;
    Ok(())
}

/// Drops a staged photo.
pub async fn discard(state: &AppState, staged: StagedPhoto) {
    state.storage.abort(staged.upload).await;
}

/// Attaches a kept photo to the survey that declares it: marked received with its audit record,
/// then the survey's checks when it is complete. Idempotent.
pub async fn attach_kept(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    sha: &Sha256,
    inspection: &db::survey::ReceivedPhoto,
) -> Result<bool, WorkflowError> {
    let Some(photo) = db::survey::declared_photo(&state.pool, id, sha.as_str()).await? else {
        return Err(anyhow::anyhow!("survey {id} does not declare photo {sha}").into());
    };
    let bytes = u64::try_from(photo.bytes).unwrap_or(0);
    register(state, actor, id, sha, &photo, bytes, inspection).await
}

/// EXIF and header of a complete upload, read off the async workers; an unreadable header is a
/// refusal.
async fn inspect_upload(
    upload: &crate::storage::Upload,
    content_type: &str,
) -> Result<db::survey::ReceivedPhoto, WorkflowError> {
    let path = upload.path.clone();
    let content_type = content_type.to_owned();
    let inspection = tokio::task::spawn_blocking(move || inspect(&path, &content_type))
        .await
        .map_err(anyhow::Error::from)?;
    inspection.or_else(|e| {
        refuse(Message::Undecodable {
            detail: e.to_string(),
        })
    })
}

/// Marks a durable photo received and records it in the audit trail, in one transaction; then runs
/// the survey's checks if this completed it (or wakes the photo workers). Returns whether this
/// call was the first.
async fn register(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    sha: &Sha256,
    photo: &DeclaredPhoto,
    received: u64,
    received_photo: &db::survey::ReceivedPhoto,
) -> Result<bool, WorkflowError> {
    let mut tx = state.pool.begin().await?;
    let first = db::survey::mark_received(&mut tx, id, sha.as_str(), received_photo).await?;
    if first {
        let change = crate::audit::Change::new(format!("{id}/{sha}"))
            .of_proposal(
                photo.proposal_id,
                photo
                    .kelurahan_kode
                    .parent()
                    .as_ref()
                    .map(survey_schema::WilayahKode::as_str),
            )
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
        super::survey::check_if_complete(state, id).await;
    } else if first {
        state.photo_queue.wake();
    }
    Ok(first)
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
    // A HEIC's pixels are decoded by libheif in the photo workers (a bomb is refused there, by
    // its header); here only its EXIF is read.
    if content_type == "image/heic" {
        return Ok(db::survey::ReceivedPhoto {
            exif,
            exif_error,
            width: None,
            height: None,
            processed: false,
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
