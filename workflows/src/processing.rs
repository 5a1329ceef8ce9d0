//! The background photo workers. An upload is acknowledged as soon as its bytes are durable and its
//! EXIF and size are read; decoding the pixels, the upright thumbnail and the perceptual hash
//! happen here, off the request path, so a phone on a weak network gets its answer without waiting
//! for the CPU, and memory holds at most one decoded picture per worker however many uploads run.
//!
//! The queue is the database (received photos without `processed_at`), claimed with
//! `FOR UPDATE SKIP LOCKED`: it survives a restart and several instances share it. When the last
//! photo of a survey is read, the survey's checks run.

use std::time::Duration;

use anyhow::Context as _;

use crate::app::AppState;
use crate::db;
use crate::db::survey::ProcessedPhoto;
use crate::photo;

/// Without a wake-up, a worker still looks at the queue this often (work left by a crash, or by
/// another instance that stopped).
const SWEEP_EVERY: Duration = Duration::from_secs(30);

/// Starts `workers` background workers.
pub fn spawn_workers(state: &AppState, workers: usize) {
    for n in 0..workers {
        let state = state.clone();
        tokio::spawn(async move {
            tracing::debug!(worker = n, "photo worker started");
            loop {
                match process_next(&state).await {
                    Ok(true) => {}
                    Ok(false) => {
                        let _ =
                            tokio::time::timeout(SWEEP_EVERY, state.photo_queue.notified()).await;
                    }
                    Err(e) => {
                        state.photo_queue.failed();
                        tracing::warn!(error = %format!("{e:#}"), "photo worker: retrying in 5 s");
                        tokio::time::sleep(Duration::from_secs(5)).await;
                    }
                }
            }
        });
    }
}

/// Processes the oldest waiting photo, if any (and runs its survey's checks if it was the last
/// one); returns whether there was one.
async fn process_next(state: &AppState) -> anyhow::Result<bool> {
    let mut tx = state.pool.begin().await?;
    let Some(job) = db::survey::claim_unprocessed(&mut tx).await? else {
        return Ok(false);
    };
    // More may be waiting: let another idle worker look too.
    state.photo_queue.wake();
    let key = format!("photos/{}", job.sha256);
    let outcome = match state.storage.local_file(&key).await? {
        None => {
            tracing::error!(survey = %job.survey_id, key, "received photo has no object");
            (
                ProcessedPhoto {
                    phash: None,
                    has_thumbnail: false,
                    decode_error: Some("the stored file is missing".into()),
                },
                None,
            )
        }
        Some(file) => {
            let orientation = job.orientation.and_then(|o| u32::try_from(o).ok());
            render_at_low_priority(file, orientation).await?
        }
    };
    let (mut processed, thumbnail) = outcome;
    if let Some(jpeg) = thumbnail {
        state
            .storage
            .put_bytes(&format!("thumbs/{}", job.sha256), &jpeg)
            .await?;
        processed.has_thumbnail = true;
    }
    // The survey is locked before its photo is marked, so of two workers finishing its last two
    // photos at once, the second sees the first's mark and runs the checks, in the transaction
    // that marks the last photo: a survey is never seen read but unchecked.
    db::survey::lock(&mut tx, job.survey_id).await?;
    db::survey::mark_processed(&mut tx, job.survey_id, &job.sha256, &processed).await?;
    let complete = db::survey::get(&mut tx, job.survey_id)
        .await?
        .is_some_and(|s| s.missing_photos.is_empty() && s.processing_photos.is_empty());
    if complete {
        crate::survey_checks::run(&mut tx, &state.index.get(), job.survey_id).await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Renders on a thread of its own at the lowest CPU priority: on a small server the decoder would
/// otherwise take a whole core from the uploads and surveys being answered, while nothing waits
/// for a thumbnail. A decoder that panics on a hostile file fails this photo only.
async fn render_at_low_priority(
    file: crate::storage::LocalFile,
    orientation: Option<u32>,
) -> anyhow::Result<(ProcessedPhoto, Option<Vec<u8>>)> {
    let rendered = run_at_low_priority(move || render(&file.path, orientation)).await?;
    Ok(rendered.unwrap_or_else(|| {
        (
            ProcessedPhoto {
                phash: None,
                has_thumbnail: false,
                decode_error: Some("the decoder failed on this file".into()),
            },
            None,
        )
    }))
}

/// The nice value of background work: the lowest priority Linux has. Idle cores still go to it,
/// so the queue drains at full speed whenever the phones pause.
const BACKGROUND_NICE: i32 = 19;

/// Runs `work` on a new thread at [`BACKGROUND_NICE`]; `None` when it panicked. An error only when
/// no thread could be started (resources short: no verdict on the work, try again later).
async fn run_at_low_priority<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<Option<T>> {
    let (done, result) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("photo-render".into())
        .spawn(move || {
            // On Linux a nice value belongs to the thread, so this lowers this one thread only.
            if let Err(e) = rustix::process::setpriority_process(
                Some(rustix::thread::gettid()),
                BACKGROUND_NICE,
            ) {
                tracing::debug!(error = %e, "photo render thread keeps its priority");
            }
            let _ = done.send(work());
        })
        .context("starting a photo render thread")?;
    // A panic drops the sender.
    Ok(result.await.ok())
}

/// Decodes a photo under the pixel limits, turns it upright, and makes its thumbnail and
/// perceptual hash; a picture that cannot be decoded is described, not refused (it is stored).
pub fn render(
    path: &std::path::Path,
    orientation: Option<u32>,
) -> (ProcessedPhoto, Option<Vec<u8>>) {
    let mut head = [0u8; 16];
    let is_heic = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok()
        && photo::sniff(&head) == Some("image/heic");
    let decoded = if is_heic {
        // libheif turns the picture by the HEIF's own rotation; the EXIF one is not applied again.
        photo::decode_heic_preview(path)
    } else {
        photo::decode_preview(path).map(|p| photo::upright(p, orientation))
    };
    match decoded {
        Ok(picture) => {
            #[allow(clippy::cast_possible_wrap)]
            let phash = Some(photo::dhash(&picture) as i64);
            (
                ProcessedPhoto {
                    phash,
                    has_thumbnail: false,
                    decode_error: None,
                },
                photo::thumbnail_jpeg(&picture).ok(),
            )
        }
        Err(e) => (
            ProcessedPhoto {
                phash: None,
                has_thumbnail: false,
                decode_error: Some(e.to_string()),
            },
            None,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn background_work_runs_at_the_lowest_priority_and_the_caller_keeps_its_own() {
        let caller = rustix::process::getpriority_process(None).unwrap();
        let inside =
            run_at_low_priority(|| rustix::process::getpriority_process(None).unwrap()).await;
        assert_eq!(inside.unwrap(), Some(BACKGROUND_NICE));
        assert_eq!(rustix::process::getpriority_process(None).unwrap(), caller);
    }

    #[tokio::test]
    async fn a_panic_in_background_work_is_a_failed_result_not_a_crash() {
        let outcome = run_at_low_priority(|| -> u8 { panic!("hostile file") }).await;
        assert_eq!(outcome.unwrap(), None);
    }
}
