//! Object storage for photos and thumbnails, content-addressed by SHA-256: a directory on disk (the
//! default) or an S3-compatible bucket.
//!
//! Uploads are first streamed to a local `tmp/` file. Committing is atomic either way: on disk the
//! file is flushed and renamed into place; on S3 a single PutObject makes the object visible only
//! when complete. So a half-written object is never visible, and an object that exists is whole.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use survey_schema::Sha256;

use anyhow::Context;
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

/// A stored object's bytes as they are read.
pub type ObjectStream =
    std::pin::Pin<Box<dyn futures::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static>>;

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

    /// A new temporary file to stream into, locked while it is written so that a sweep (of this
    /// instance or another sharing the directory) leaves it alone.
    pub async fn begin(&self) -> anyhow::Result<Upload> {
        let path = self
            .root
            .join("tmp")
            .join(format!("{}.part", Uuid::new_v4()));
        let created = path.clone();
        let file = tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
            let file = std::fs::File::create(&created)?;
            // Fresh and uniquely named: nobody else holds it, so this does not wait.
            file.lock()?;
            Ok(file)
        })
        .await?
        .with_context(|| format!("creating {}", path.display()))?;
        Ok(Upload {
            path,
            file: tokio::fs::File::from_std(file),
        })
    }

    /// Removes what interrupted uploads left in `tmp/` (a process killed mid-upload cannot clean up
    /// after itself): a temporary file no request holds (its lock is free) and untouched for
    /// [`TEMPORARY_GRACE`], and a tus upload idle for `tus_expiry`. Run at start and periodically.
    pub async fn sweep(&self, tus_expiry: Duration) -> anyhow::Result<Swept> {
        let dir = self.root.join("tmp");
        tokio::task::spawn_blocking(move || sweep_directory(&dir, tus_expiry)).await?
    }

    /// When the unfinished tus upload of this survey and photo expires, if there is one.
    pub async fn partial_expires_at(
        &self,
        survey: Uuid,
        sha256: &Sha256,
        tus_expiry: Duration,
    ) -> Option<SystemTime> {
        let modified = tokio::fs::metadata(self.partial_path(survey, sha256))
            .await
            .ok()?
            .modified()
            .ok()?;
        Some(modified + tus_expiry)
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

    /// The partial file of a resumable (tus) upload: one per survey and photo (a digest is hex,
    /// so the name cannot leave the directory).
    pub fn partial_path(&self, survey: Uuid, sha256: &Sha256) -> PathBuf {
        self.root
            .join("tmp")
            .join(format!("tus-{survey}-{sha256}.part"))
    }

    /// How many bytes of a resumable upload are in.
    pub async fn partial_len(&self, survey: Uuid, sha256: &Sha256) -> u64 {
        tokio::fs::metadata(self.partial_path(survey, sha256))
            .await
            .map_or(0, |m| m.len())
    }

    /// Opens a resumable upload for appending, locked against a concurrent append; `None` when
    /// another request holds it.
    pub async fn open_partial(
        &self,
        survey: Uuid,
        sha256: &Sha256,
    ) -> anyhow::Result<Option<Upload>> {
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

    /// A stored object's bytes, streamed (an HTTP adapter sends them as a body); `None` when there
    /// is no such object.
    pub async fn read_object(&self, key: &str) -> anyhow::Result<Option<ObjectStream>> {
        match &self.backend {
            Backend::Filesystem => match tokio::fs::File::open(self.object_path(key)).await {
                Ok(f) => Ok(Some(Box::pin(tokio_util::io::ReaderStream::new(f)))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e.into()),
            },
            Backend::S3 { client, bucket } => {
                match client.get_object().bucket(bucket).key(key).send().await {
                    Ok(object) => {
                        let reader = object.body.into_async_read();
                        Ok(Some(Box::pin(tokio_util::io::ReaderStream::new(reader))))
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

/// A temporary file untouched this long, whose lock no request holds, is debris: an upload writes
/// every few seconds (slower ones reach their deadline first), and the lock covers the rest.
pub const TEMPORARY_GRACE: Duration = Duration::from_mins(10);

/// What a sweep removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Temporary files of interrupted uploads and reads.
    pub temporary: usize,
    /// tus uploads idle past their expiry.
    pub expired_tus: usize,
}

fn sweep_directory(dir: &Path, tus_expiry: Duration) -> anyhow::Result<Swept> {
    let mut swept = Swept::default();
    let now = SystemTime::now();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(swept),
        Err(e) => return Err(anyhow::Error::from(e).context(format!("listing {}", dir.display()))),
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let tus = name.starts_with("tus-");
        let idle_for = if tus { tus_expiry } else { TEMPORARY_GRACE };
        let Ok(modified) = entry.metadata().and_then(|m| m.modified()) else {
            continue;
        };
        if now.duration_since(modified).unwrap_or_default() < idle_for {
            continue;
        }
        // A request writing it holds its lock (tus appends and fresh uploads both lock).
        let Ok(file) = std::fs::OpenOptions::new().read(true).open(entry.path()) else {
            continue;
        };
        if file.try_lock().is_err() {
            continue;
        }
        if std::fs::remove_file(entry.path()).is_ok() {
            if tus {
                swept.expired_tus += 1;
            } else {
                swept.temporary += 1;
            }
        }
        drop(file);
    }
    Ok(swept)
}

/// Sweeps `storage` now and then every `interval`, logging what it removed.
pub fn spawn_sweeper(storage: Storage, tus_expiry: Duration, interval: Duration) {
    tokio::spawn(async move {
        loop {
            match storage.sweep(tus_expiry).await {
                Ok(swept) if swept != Swept::default() => tracing::info!(
                    temporary = swept.temporary,
                    expired_tus = swept.expired_tus,
                    "removed what interrupted uploads left"
                ),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "sweeping temporary files failed");
                }
            }
            tokio::time::sleep(interval).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aged(path: &Path, by: Duration) {
        let file = std::fs::File::create(path).unwrap();
        file.set_modified(SystemTime::now() - by).unwrap();
    }

    #[test]
    fn a_sweep_removes_old_unlocked_debris_and_expired_tus_uploads_only() {
        let dir = tempfile::tempdir().unwrap();
        let expiry = Duration::from_hours(24);
        let old = TEMPORARY_GRACE + Duration::from_mins(1);
        aged(&dir.path().join("a.part"), old);
        aged(&dir.path().join("b.read"), old);
        aged(&dir.path().join("fresh.part"), Duration::ZERO);
        aged(&dir.path().join("held.part"), old);
        aged(&dir.path().join("tus-idle.part"), old);
        aged(
            &dir.path().join("tus-expired.part"),
            expiry + Duration::from_secs(1),
        );
        let held = std::fs::File::open(dir.path().join("held.part")).unwrap();
        held.lock().unwrap();
        let swept = sweep_directory(dir.path(), expiry).unwrap();
        assert_eq!(
            swept,
            Swept {
                temporary: 2,
                expired_tus: 1
            }
        );
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["fresh.part", "held.part", "tus-idle.part"]);
    }
}
