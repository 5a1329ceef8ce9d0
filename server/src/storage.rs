//! Object storage for photos and thumbnails, content-addressed by SHA-256.
//!
//! The embedded default is a directory on disk. Writes are atomic: bytes go to `tmp/` first, are
//! flushed to disk, then renamed into place, so a half-written object is never visible and an object
//! that exists is complete. (An S3 backend is the next step; it will sit behind the same methods.)

use std::path::{Path, PathBuf};

use anyhow::Context;
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

/// The filesystem object store.
#[derive(Debug, Clone)]
pub struct Storage {
    root: PathBuf,
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
        })
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

    /// Opens a stored object for reading.
    pub async fn open_object(&self, key: &str) -> anyhow::Result<Option<tokio::fs::File>> {
        match tokio::fs::File::open(self.object_path(key)).await {
            Ok(f) => Ok(Some(f)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}
