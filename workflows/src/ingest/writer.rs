//! Surveys arriving together are stored together. Each request checks its survey on its own, then
//! hands it here; a writer takes every survey waiting and stores them in one statement that
//! commits (`db::survey::store_many`), while the next batch gathers behind it. Under load this
//! turns many small transactions into a few larger ones (issue 29: the per-statement work of
//! storing surveys one at a time was half the database's time); a survey arriving alone is
//! stored at once, as before.
//!
//! A batch is stored whole or not at all. When the database declines it (a survey in it corrects
//! another, which is decided one at a time) or it fails for any reason, its surveys are stored again
//! one by one, each getting its own answer, so one survey's refusal never becomes another's. The
//! surveys of a proposal with an open request for another visit are left out of the batch and
//! stored one by one after it.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tokio::sync::{Mutex, mpsc, oneshot};
use uuid::Uuid;

use crate::db;
use crate::db::survey::{ArrivingSurvey, InBatch};

/// Most surveys stored in one statement.
pub const MAX_BATCH: usize = 64;
/// Writers: while one commits, the next gathers and stores.
const WRITERS: usize = 2;
/// Surveys waiting for a writer before a request waits to hand one over.
const QUEUE: usize = 1024;

type Outcome = Result<Option<DateTime<Utc>>, sqlx::Error>;

struct Job {
    survey: ArrivingSurvey,
    answer: oneshot::Sender<Outcome>,
}

/// Hands surveys to the writers (cheap to clone).
#[derive(Debug, Clone)]
pub struct SurveyWriter {
    jobs: mpsc::Sender<Job>,
}

impl SurveyWriter {
    /// Starts the writers on `pool`; they stop when every handle is dropped.
    pub fn spawn(pool: &PgPool) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..WRITERS {
            tokio::spawn(write_batches(pool.clone(), Arc::clone(&queue)));
        }
        Self { jobs }
    }

    /// Stores `survey` (with the surveys arriving beside it); its received time, or `None` when its
    /// id was stored before. As [`db::survey::store`] alone would answer.
    pub async fn store(&self, survey: ArrivingSurvey) -> Outcome {
        let (answer, answered) = oneshot::channel();
        self.jobs
            .send(Job { survey, answer })
            .await
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

fn stopped() -> sqlx::Error {
    sqlx::Error::WorkerCrashed
}

/// One writer: takes what waits (up to [`MAX_BATCH`]) and stores it, again and again.
async fn write_batches(pool: PgPool, queue: Arc<Mutex<mpsc::Receiver<Job>>>) {
    loop {
        let mut batch = Vec::new();
        {
            let mut queue = queue.lock().await;
            if queue.recv_many(&mut batch, MAX_BATCH).await == 0 {
                return;
            }
        }
        while !batch.is_empty() {
            // A retry of a survey still waiting here goes in the next statement, after the first.
            let rest = split_repeats(&mut batch, |job| job.survey.id);
            write(&pool, batch).await;
            batch = rest;
        }
    }
}

/// Keeps the first item of each id in `batch`; returns the others, in order.
fn split_repeats<T>(batch: &mut Vec<T>, id: impl Fn(&T) -> Uuid) -> Vec<T> {
    let mut seen = HashSet::with_capacity(batch.len());
    let (first, rest) = std::mem::take(batch)
        .into_iter()
        .partition(|item| seen.insert(id(item)));
    *batch = first;
    rest
}

/// Stores `batch` (distinct ids) and answers each job: together when there are several, and one
/// at a time for what the batch leaves alone, declines or fails on.
async fn write(pool: &PgPool, batch: Vec<Job>) {
    let (surveys, answers): (Vec<_>, Vec<_>) =
        batch.into_iter().map(|j| (j.survey, j.answer)).unzip();
    let outcomes = match surveys.len() {
        1 => None,
        _ => match db::survey::store_many(pool, &surveys).await {
            Ok(outcomes) => outcomes,
            Err(e) => {
                tracing::warn!(error = %e, surveys = surveys.len(), "a batch of surveys failed; storing them one by one");
                None
            }
        },
    }
    .unwrap_or_else(|| vec![InBatch::Alone; surveys.len()]);
    for ((survey, answer), outcome) in surveys.into_iter().zip(answers).zip(outcomes) {
        let outcome = match outcome {
            InBatch::Received(received) => Ok(received),
            InBatch::Alone => db::survey::store(pool, &survey).await,
        };
        let _ = answer.send(outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_id_waits_for_the_next_statement_in_its_order() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut batch = vec![(a, 1), (b, 2), (a, 3), (a, 4), (b, 5)];
        let rest = split_repeats(&mut batch, |item| item.0);
        assert_eq!(batch, [(a, 1), (b, 2)]);
        let mut rest = rest;
        let last = split_repeats(&mut rest, |item| item.0);
        assert_eq!(rest, [(a, 3), (b, 5)]);
        assert_eq!(last, [(a, 4)]);
    }
}
