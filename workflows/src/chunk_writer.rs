//! Writing an upload's bytes to its temporary file, off the async workers, one block being written
//! while the next is gathered, so receiving and hashing overlap the disk.
//!
//! Photos are written once and read rarely, so where the filesystem allows they bypass the page
//! cache (`O_DIRECT`): the kernel then hands the bytes to the device without first copying them
//! into its cache, which was a quarter of the CPU an upload cost on a 2-core server (perf:
//! `copy_folio_from_iter_atomic`), and many gigabytes of photos do not push the database's pages
//! out of memory. Direct writes need aligned memory, lengths and offsets, so the network's chunks
//! are gathered into aligned blocks, and the last part that is not a whole block goes through the
//! cache. Where `O_DIRECT` is refused (tmpfs, some network filesystems), or a write with it is,
//! the same blocks go through the cache. Durability is [`crate::storage::Storage::commit`]'s
//! fsync either way.

use std::io::{self, Write as _};
use std::sync::Arc;

use rustix::fs::OFlags;
use tokio::task::JoinHandle;

/// Bytes per write: with one block in flight and one being filled, an upload holds twice this.
const BLOCK: usize = 256 * 1024;

/// Alignment of direct writes: 4 KiB satisfies every common device's logical block size.
const ALIGN: usize = 4096;

/// A [`BLOCK`]-sized buffer that starts on an [`ALIGN`] boundary (found inside a larger vector,
/// so no unsafe allocation is needed).
struct AlignedBlock {
    bytes: Vec<u8>,
    start: usize,
    len: usize,
}

impl std::fmt::Debug for AlignedBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlignedBlock")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl AlignedBlock {
    fn new() -> Self {
        let bytes = vec![0u8; BLOCK + ALIGN];
        let start = bytes.as_ptr().align_offset(ALIGN);
        Self {
            bytes,
            start,
            len: 0,
        }
    }

    fn free(&mut self) -> &mut [u8] {
        &mut self.bytes[self.start + self.len..self.start + BLOCK]
    }

    fn filled(&self) -> &[u8] {
        &self.bytes[self.start..self.start + self.len]
    }
}

/// Appends an upload's bytes to its file.
#[derive(Debug)]
pub struct ChunkWriter {
    file: Arc<std::fs::File>,
    current: AlignedBlock,
    spare: Option<AlignedBlock>,
    in_flight: Option<JoinHandle<io::Result<AlignedBlock>>>,
}

impl ChunkWriter {
    /// A writer for `file`, which must be empty (a new upload); it writes from offset 0.
    pub async fn new(file: &tokio::fs::File) -> io::Result<Self> {
        let file = file.try_clone().await?.into_std().await;
        if file.metadata()?.len() != 0 {
            return Err(io::Error::other("a chunk writer starts on an empty file"));
        }
        // Refused by some filesystems: then the same blocks go through the cache.
        let _ = set_direct(&file, true);
        Ok(Self {
            file: Arc::new(file),
            current: AlignedBlock::new(),
            spare: None,
            in_flight: None,
        })
    }

    /// Whether the file is being written directly (bypassing the page cache).
    #[cfg(test)]
    fn is_direct(&self) -> bool {
        is_direct(&self.file)
    }

    /// Appends `chunk`; a full block is handed to the blocking pool once the previous one is
    /// written.
    pub async fn write(&mut self, mut chunk: &[u8]) -> io::Result<()> {
        while !chunk.is_empty() {
            let free = self.current.free();
            let n = free.len().min(chunk.len());
            free[..n].copy_from_slice(&chunk[..n]);
            self.current.len += n;
            chunk = &chunk[n..];
            if self.current.len == BLOCK {
                self.submit().await?;
            }
        }
        Ok(())
    }

    async fn wait(&mut self) -> io::Result<()> {
        if let Some(write) = self.in_flight.take() {
            let mut block = write.await.map_err(io::Error::other)??;
            block.len = 0;
            self.spare = Some(block);
        }
        Ok(())
    }

    async fn submit(&mut self) -> io::Result<()> {
        self.wait().await?;
        let next = self.spare.take().unwrap_or_else(AlignedBlock::new);
        let block = std::mem::replace(&mut self.current, next);
        let file = Arc::clone(&self.file);
        self.in_flight = Some(tokio::task::spawn_blocking(move || {
            write_fully(&file, block.filled())?;
            Ok(block)
        }));
        Ok(())
    }

    /// Writes what is left and waits until every byte is with the kernel (not yet fsynced).
    pub async fn finish(mut self) -> io::Result<()> {
        self.wait().await?;
        let Self { file, current, .. } = self;
        tokio::task::spawn_blocking(move || {
            let filled = current.filled();
            let whole = filled.len() - filled.len() % ALIGN;
            write_fully(&file, &filled[..whole])?;
            if whole < filled.len() {
                // Not a whole block: through the cache.
                set_direct(&file, false)?;
                write_fully(&file, &filled[whole..])?;
            }
            Ok(())
        })
        .await
        .map_err(io::Error::other)?
    }
}

fn is_direct(file: &std::fs::File) -> bool {
    rustix::fs::fcntl_getfl(file).is_ok_and(|flags| flags.contains(OFlags::DIRECT))
}

/// Turns `O_DIRECT` on or off for the open file (and every handle that shares it).
fn set_direct(file: &std::fs::File, on: bool) -> io::Result<()> {
    let flags = rustix::fs::fcntl_getfl(file)?;
    let flags = if on {
        flags | OFlags::DIRECT
    } else {
        flags - OFlags::DIRECT
    };
    Ok(rustix::fs::fcntl_setfl(file, flags)?)
}

/// Writes all of `bytes`; a direct write the filesystem refuses (it wants a larger alignment, or
/// a short write left the rest unaligned) is retried, with the rest, through the cache.
fn write_fully(mut file: &std::fs::File, bytes: &[u8]) -> io::Result<()> {
    let mut done = 0;
    while done < bytes.len() {
        match file.write(&bytes[done..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e)
                if e.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error())
                    && is_direct(file) =>
            {
                set_direct(file, false)?;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes that differ from block to block, so a block written twice or out of order shows.
    fn pattern(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| u8::try_from((i / 1000 + i * 7) % 251).unwrap())
            .collect()
    }

    async fn write_in_chunks(len: usize, chunk: usize) -> (Vec<u8>, Vec<u8>, bool) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("upload.part");
        let file = tokio::fs::File::create(&path).await.unwrap();
        let expected = pattern(len);
        let mut writer = ChunkWriter::new(&file).await.unwrap();
        let direct = writer.is_direct();
        for part in expected.chunks(chunk) {
            writer.write(part).await.unwrap();
        }
        writer.finish().await.unwrap();
        drop(file);
        (std::fs::read(&path).unwrap(), expected, direct)
    }

    #[tokio::test]
    async fn every_byte_arrives_once_and_in_order_whatever_the_sizes() {
        for (len, chunk) in [
            (0, 1),
            (1, 1),
            (ALIGN - 1, 100),
            (ALIGN, ALIGN),
            (BLOCK, 8192),
            (BLOCK + 1, 16_384),
            (3 * BLOCK + 12_345, 65_536 + 7),
            (4_000_000, 400_000),
        ] {
            let (written, expected, _) = write_in_chunks(len, chunk).await;
            assert_eq!(
                written.len(),
                expected.len(),
                "{len} bytes in chunks of {chunk}"
            );
            assert!(written == expected, "{len} bytes in chunks of {chunk}");
        }
    }

    #[tokio::test]
    async fn direct_writes_are_used_where_the_filesystem_takes_them() {
        // tmpfs refuses O_DIRECT; on ext4, xfs or btrfs the writer goes direct.
        let dir = tempfile::tempdir().unwrap();
        let on_tmpfs = std::process::Command::new("stat")
            .args(["-f", "-c", "%T"])
            .arg(dir.path())
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("tmpfs"));
        let (written, expected, direct) = write_in_chunks(BLOCK * 2 + 10, 50_000).await;
        assert!(written == expected);
        if !on_tmpfs {
            assert!(direct, "a local disk filesystem should take O_DIRECT");
        }
    }

    #[tokio::test]
    async fn a_file_that_is_not_empty_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("partial");
        std::fs::write(&path, b"abc").unwrap();
        let file = tokio::fs::File::open(&path).await.unwrap();
        assert!(ChunkWriter::new(&file).await.is_err());
    }
}
