//! Object storage for photos and thumbnails, content-addressed by SHA-256: a directory on disk (the
//! default) or an S3-compatible bucket.
//!
//! Uploads are first streamed to a local `tmp/` file. Committing is atomic either way: on disk the
//! file is flushed and renamed into place; on S3 a single PutObject makes the object visible only
//! when complete. So a half-written object is never visible, and an object that exists is whole.

use std::io::{IoSlice, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use axum::body::Bytes;
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

/// Where objects live.
#[derive(Debug, Clone)]
enum Backend {
    Filesystem,
    S3 {
        client: aws_sdk_s3::Client,
        bucket: String,
    },
}

/// S3 settings; credentials come from the usual AWS variables (`AWS_ACCESS_KEY_ID`, ...).
#[derive(Debug, Clone)]
pub struct S3Settings {
    pub bucket: String,
    /// e.g. `http://127.0.0.1:59000` for an S3-compatible server; `None` for AWS itself.
    pub endpoint: Option<String>,
    pub region: String,
    /// Path-style URLs (`endpoint/bucket/key`), which most S3-compatible servers need.
    pub path_style: bool,
    /// Explicit credentials; `None` takes them from the environment as AWS tools do.
    pub credentials: Option<(String, String)>,
}

/// The object store.
#[derive(Debug, Clone)]
pub struct Storage {
    /// Local directory: temporary files always, objects too with the filesystem backend.
    root: PathBuf,
    backend: Backend,
}

/// A stored object readable as a local file; a temporary copy is removed on drop.
#[derive(Debug)]
pub struct LocalFile {
    pub path: PathBuf,
    temporary: bool,
}

impl Drop for LocalFile {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// An object being written: a temporary file that becomes visible only by [`Storage::commit`].
#[derive(Debug)]
pub struct Upload {
    pub path: PathBuf,
    pub file: tokio::fs::File,
}

/// Bytes gathered before each write to an upload's file: with one batch being written while the
/// next is gathered, the memory one running upload holds (about twice this).
const WRITE_BATCH: usize = 256 * 1024;

/// Appends an upload's bytes on the blocking pool, one batch in flight while the next is gathered,
/// so receiving and hashing overlap the disk. The chunks go to the kernel as they came off the
/// network, in one vectored write per batch: no copy in user space.
#[derive(Debug)]
pub struct ChunkWriter {
    file: Arc<std::fs::File>,
    batch: Vec<Bytes>,
    batch_len: usize,
    in_flight: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl ChunkWriter {
    /// A writer appending to `upload`'s file (at its current end).
    pub async fn new(upload: &Upload) -> std::io::Result<Self> {
        let file = upload.file.try_clone().await?.into_std().await;
        Ok(Self {
            file: Arc::new(file),
            batch: Vec::new(),
            batch_len: 0,
            in_flight: None,
        })
    }

    /// Queues a chunk; writes the batch when it is full (after the previous one is written).
    pub async fn push(&mut self, chunk: Bytes) -> std::io::Result<()> {
        self.batch_len += chunk.len();
        self.batch.push(chunk);
        if self.batch_len >= WRITE_BATCH {
            self.submit().await?;
        }
        Ok(())
    }

    async fn wait(&mut self) -> std::io::Result<()> {
        match self.in_flight.take() {
            Some(write) => write.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        }
    }

    async fn submit(&mut self) -> std::io::Result<()> {
        self.wait().await?;
        let batch = std::mem::take(&mut self.batch);
        self.batch_len = 0;
        let file = Arc::clone(&self.file);
        self.in_flight = Some(tokio::task::spawn_blocking(move || {
            write_all_chunks(&file, &batch)
        }));
        Ok(())
    }

    /// Writes what is left and waits until every byte is with the kernel (not yet fsynced:
    /// [`Storage::commit`] does that).
    pub async fn finish(mut self) -> std::io::Result<()> {
        if !self.batch.is_empty() {
            self.submit().await?;
        }
        self.wait().await
    }
}

/// Writes every chunk, in order, with as few `writev` calls as the kernel allows.
fn write_all_chunks(mut file: &std::fs::File, chunks: &[Bytes]) -> std::io::Result<()> {
    let mut slices: Vec<IoSlice<'_>> = chunks.iter().map(|c| IoSlice::new(c)).collect();
    let mut rest = &mut slices[..];
    IoSlice::advance_slices(&mut rest, 0);
    while !rest.is_empty() {
        match file.write_vectored(rest) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut rest, n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

impl Storage {
    /// Opens (and creates) the store under `root`.
    pub async fn open(root: &Path) -> anyhow::Result<Self> {
        for dir in ["tmp", "objects"] {
            tokio::fs::create_dir_all(root.join(dir))
                .await
                .with_context(|| format!("creating {}", root.join(dir).display()))?;
        }
        Ok(Self {
            root: root.to_path_buf(),
            backend: Backend::Filesystem,
        })
    }

    /// Opens an S3 bucket (created if missing), with `root` for temporary files.
    pub async fn open_s3(root: &Path, settings: &S3Settings) -> anyhow::Result<Self> {
        let mut store = Self::open(root).await?;
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new(settings.region.clone()))
            .load()
            .await;
        let mut config =
            aws_sdk_s3::config::Builder::from(&shared).force_path_style(settings.path_style);
        if let Some((access_key, secret_key)) = &settings.credentials {
            config = config.credentials_provider(aws_sdk_s3::config::Credentials::new(
                access_key,
                secret_key,
                None,
                None,
                "tinjau-settings",
            ));
        }
        if let Some(endpoint) = &settings.endpoint {
            config = config.endpoint_url(endpoint);
        }
        let client = aws_sdk_s3::Client::from_conf(config.build());
        if client
            .head_bucket()
            .bucket(&settings.bucket)
            .send()
            .await
            .is_err()
        {
            client
                .create_bucket()
                .bucket(&settings.bucket)
                .send()
                .await
                .with_context(|| {
                    format!(
                        "bucket {} is neither reachable nor creatable",
                        settings.bucket
                    )
                })?;
        }
        store.backend = Backend::S3 {
            client,
            bucket: settings.bucket.clone(),
        };
        Ok(store)
    }

    /// Whether the store answers (readiness): the bucket, or the directory accepting a write.
    pub async fn is_ready(&self) -> bool {
        let probe = self
            .root
            .join("tmp")
            .join(format!(".readyz-{}", Uuid::new_v4()));
        let local = tokio::fs::write(&probe, b"ok").await.is_ok();
        let _ = tokio::fs::remove_file(&probe).await;
        match &self.backend {
            Backend::Filesystem => local,
            Backend::S3 { client, bucket } => {
                local && client.head_bucket().bucket(bucket).send().await.is_ok()
            }
        }
    }

    /// Where a key lives: `photos/<sha256>` → `objects/photos/ab/<sha256>`.
    fn object_path(&self, key: &str) -> PathBuf {
        let (kind, name) = key.split_once('/').unwrap_or(("misc", key));
        let fan_out = name.get(..2).unwrap_or("00");
        self.root
            .join("objects")
            .join(kind)
            .join(fan_out)
            .join(name)
    }

    /// A new temporary file to stream into.
    pub async fn begin(&self) -> anyhow::Result<Upload> {
        let path = self
            .root
            .join("tmp")
            .join(format!("{}.part", Uuid::new_v4()));
        let file = tokio::fs::File::create(&path)
            .await
            .with_context(|| format!("creating {}", path.display()))?;
        Ok(Upload { path, file })
    }

    /// Makes an upload durable and visible under `key`. If the key exists already (the same content
    /// uploaded before), the upload is dropped: objects are content-addressed.
    pub async fn commit(&self, mut upload: Upload, key: &str) -> anyhow::Result<()> {
        upload.file.flush().await?;
        upload.file.sync_all().await?;
        drop(upload.file);
        if let Backend::S3 { client, bucket } = &self.backend {
            let exists = client
                .head_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .is_ok();
            if !exists {
                let body = aws_sdk_s3::primitives::ByteStream::from_path(&upload.path)
                    .await
                    .with_context(|| format!("reading {}", upload.path.display()))?;
                client
                    .put_object()
                    .bucket(bucket)
                    .key(key)
                    .body(body)
                    .send()
                    .await
                    .with_context(|| format!("storing {key} in bucket {bucket}"))?;
            }
            let _ = tokio::fs::remove_file(&upload.path).await;
            return Ok(());
        }
        let target = self.object_path(key);
        if tokio::fs::try_exists(&target).await.unwrap_or(false) {
            let _ = tokio::fs::remove_file(&upload.path).await;
            return Ok(());
        }
        let dir = target.parent().context("object path has no parent")?;
        tokio::fs::create_dir_all(dir).await?;
        tokio::fs::rename(&upload.path, &target)
            .await
            .with_context(|| format!("storing {key}"))?;
        // The rename itself must reach the disk before the database says the object exists.
        tokio::fs::File::open(dir).await?.sync_all().await?;
        Ok(())
    }

    /// Stores small bytes (a thumbnail) atomically.
    pub async fn put_bytes(&self, key: &str, bytes: &[u8]) -> anyhow::Result<()> {
        let mut upload = self.begin().await?;
        upload.file.write_all(bytes).await?;
        self.commit(upload, key).await
    }

    /// The partial file of a resumable (tus) upload: one per survey and photo.
    pub fn partial_path(&self, survey: Uuid, sha256: &str) -> PathBuf {
        self.root
            .join("tmp")
            .join(format!("tus-{survey}-{sha256}.part"))
    }

    /// How many bytes of a resumable upload are in.
    pub async fn partial_len(&self, survey: Uuid, sha256: &str) -> u64 {
        tokio::fs::metadata(self.partial_path(survey, sha256))
            .await
            .map_or(0, |m| m.len())
    }

    /// Opens a resumable upload for appending, locked against a concurrent append; `None` when
    /// another request holds it.
    pub async fn open_partial(&self, survey: Uuid, sha256: &str) -> anyhow::Result<Option<Upload>> {
        let path = self.partial_path(survey, sha256);
        let opened = path.clone();
        let file =
            tokio::task::spawn_blocking(move || -> std::io::Result<Option<std::fs::File>> {
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .read(true)
                    .open(&opened)?;
                match file.try_lock() {
                    Ok(()) => Ok(Some(file)),
                    Err(std::fs::TryLockError::WouldBlock) => Ok(None),
                    Err(std::fs::TryLockError::Error(e)) => Err(e),
                }
            })
            .await??;
        Ok(file.map(|f| Upload {
            path,
            file: tokio::fs::File::from_std(f),
        }))
    }

    /// Cuts a resumable upload back to `len` bytes (after an append that went too far).
    pub async fn truncate(&self, upload: &mut Upload, len: u64) -> anyhow::Result<()> {
        upload.file.set_len(len).await?;
        Ok(())
    }

    /// Drops an unfinished upload.
    pub async fn abort(&self, upload: Upload) {
        drop(upload.file);
        let _ = tokio::fs::remove_file(&upload.path).await;
    }

    /// A stored object as a local file to read (for decoding): the object itself on disk, or a
    /// temporary copy streamed from S3 (removed when the returned value is dropped). `None` when
    /// there is no such object.
    pub async fn local_file(&self, key: &str) -> anyhow::Result<Option<LocalFile>> {
        match &self.backend {
            Backend::Filesystem => {
                let path = self.object_path(key);
                Ok(tokio::fs::try_exists(&path).await?.then_some(LocalFile {
                    path,
                    temporary: false,
                }))
            }
            Backend::S3 { client, bucket } => {
                let object = match client.get_object().bucket(bucket).key(key).send().await {
                    Ok(object) => object,
                    Err(e)
                        if e.as_service_error().is_some_and(
                            aws_sdk_s3::operation::get_object::GetObjectError::is_no_such_key,
                        ) =>
                    {
                        return Ok(None);
                    }
                    Err(e) => {
                        return Err(anyhow::Error::from(e)
                            .context(format!("reading {key} from bucket {bucket}")));
                    }
                };
                let local = LocalFile {
                    path: self
                        .root
                        .join("tmp")
                        .join(format!("{}.read", Uuid::new_v4())),
                    temporary: true,
                };
                let mut file = tokio::fs::File::create(&local.path).await?;
                let mut body = object.body.into_async_read();
                tokio::io::copy(&mut body, &mut file)
                    .await
                    .with_context(|| format!("reading {key} from bucket {bucket}"))?;
                file.flush().await?;
                Ok(Some(local))
            }
        }
    }

    /// A stored object as a response body, streamed; `None` when there is no such object.
    pub async fn read_object(&self, key: &str) -> anyhow::Result<Option<axum::body::Body>> {
        match &self.backend {
            Backend::Filesystem => match tokio::fs::File::open(self.object_path(key)).await {
                Ok(f) => Ok(Some(axum::body::Body::from_stream(
                    tokio_util::io::ReaderStream::new(f),
                ))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e.into()),
            },
            Backend::S3 { client, bucket } => {
                match client.get_object().bucket(bucket).key(key).send().await {
                    Ok(object) => {
                        let reader = object.body.into_async_read();
                        Ok(Some(axum::body::Body::from_stream(
                            tokio_util::io::ReaderStream::new(reader),
                        )))
                    }
                    Err(e)
                        if e.as_service_error().is_some_and(
                            aws_sdk_s3::operation::get_object::GetObjectError::is_no_such_key,
                        ) =>
                    {
                        Ok(None)
                    }
                    Err(e) => Err(anyhow::Error::from(e)
                        .context(format!("reading {key} from bucket {bucket}"))),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn chunks_are_written_whole_and_in_order_however_many_there_are() {
        let dir = tempfile::tempdir().unwrap();
        let store = Storage::open(dir.path()).await.unwrap();
        let upload = store.begin().await.unwrap();
        // More chunks than one writev takes (1,024), of uneven sizes, across several batches.
        let chunks: Vec<Bytes> = (0..3000u32)
            .map(|n| {
                Bytes::from(vec![
                    u8::try_from(n % 251).unwrap();
                    1 + (n as usize * 7) % 400
                ])
            })
            .collect();
        let expected: Vec<u8> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
        let mut writer = ChunkWriter::new(&upload).await.unwrap();
        for chunk in chunks {
            writer.push(chunk).await.unwrap();
        }
        writer.finish().await.unwrap();
        assert_eq!(std::fs::read(&upload.path).unwrap(), expected);
    }
}
