//! Surveys arriving together are read, checked and stored together. Each request checks its
//! survey's record on its own, then hands it here; a writer takes every survey waiting, reads what
//! they are admitted and checked against in one statement (`db::survey::arrival_contexts`),
//! checks them, and stores them in one statement that commits (`db::survey::store_many`), while
//! the next batch gathers behind it. Under load this turns many small transactions and reads into
//! a few larger ones (issue 29: the per-statement work of storing surveys one at a time was half
//! the database's time, and each request's own read a fifth of the rest); a survey arriving
//! alone is read and stored at once, as before.
//!
//! A batch is stored whole or not at all. When the database declines it (a survey in it corrects
//! another, which is decided one at a time) or it fails for any reason, its surveys are stored again
//! one by one, each getting its own answer, so one survey's refusal never becomes another's. The
//! surveys of a proposal with an open request for another visit are left out of the batch and
//! stored one by one after it. A survey the read refuses (no such proposal, another area's) is
//! answered so and left out.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tokio::sync::{Mutex, mpsc, oneshot};
use uuid::Uuid;

use super::arrival::{Arrival, Prepared};
use crate::db;
use crate::db::survey::InBatch;
use crate::locator::SharedIndex;
use crate::refusal::WorkflowError;

/// Most surveys stored in one statement.
pub const MAX_BATCH: usize = 64;
/// Writers: while one commits, the next gathers and stores.
const WRITERS: usize = 2;
/// Surveys waiting for a writer before a request waits to hand one over.
const QUEUE: usize = 1024;

/// A survey as checked, and its received time (`None`: its id was stored before).
pub type Outcome = Result<(Prepared, Option<DateTime<Utc>>), WorkflowError>;

struct Job {
    arrival: Arrival,
    answer: oneshot::Sender<Outcome>,
}

/// Hands surveys to the writers (cheap to clone).
#[derive(Debug, Clone)]
pub struct SurveyWriter {
    jobs: mpsc::Sender<Job>,
}

impl SurveyWriter {
    /// Starts the writers, each on a connection of its own opened as `pool`'s are, checking against
    /// `index`; they stop when every handle is dropped.
    pub async fn spawn(pool: &PgPool, index: &Arc<SharedIndex>) -> Result<Self, sqlx::Error> {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..WRITERS {
            // Taking turns on the shared pool's connections, a writer met a new one in each of its
            // first batches, whose statements were planned and tables read into the backend's
            // caches there first: 8-15 ms instead of 1-3 in the paced ingest bench.
            tokio::spawn(write_batches(
                db::own_pool(pool, 1).await?,
                Arc::clone(index),
                Arc::clone(&queue),
            ));
        }
        Ok(Self { jobs })
    }

    /// Admits, checks and stores `arrival` (with the surveys arriving beside it), as it would be
    /// alone.
    pub async fn store(&self, arrival: Arrival) -> Outcome {
        let (answer, answered) = oneshot::channel();
        self.jobs
            .send(Job { arrival, answer })
            .await
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

fn stopped() -> WorkflowError {
    WorkflowError::Database(sqlx::Error::WorkerCrashed)
}

/// One writer: takes what waits (up to [`MAX_BATCH`]) and stores it, again and again.
async fn write_batches(
    pool: PgPool,
    index: Arc<SharedIndex>,
    queue: Arc<Mutex<mpsc::Receiver<Job>>>,
) {
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
            let rest = split_repeats(&mut batch, |job| job.arrival.id());
            let admitted = admit(&pool, &index, batch).await;
            write(&pool, admitted).await;
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

/// Reads what `batch` is admitted and checked against, in one statement (one by one if the
/// database refuses that statement), and checks each survey; answers those refused and returns
/// the others.
async fn admit(
    pool: &PgPool,
    index: &SharedIndex,
    batch: Vec<Job>,
) -> Vec<(Prepared, oneshot::Sender<Outcome>)> {
    let queries: Vec<_> = batch.iter().map(|job| job.arrival.query()).collect();
    let read = db::survey::arrival_contexts(pool, &queries).await;
    let mut read = match read {
        Ok(read) => read.into_iter().map(Ok).collect(),
        // A statement the database refused may be one survey's doing; a lost connection or an
        // exhausted pool is everyone's, answered at once rather than waited for one by one.
        Err(e @ sqlx::Error::Database(_)) if batch.len() > 1 => {
            tracing::warn!(error = %e, surveys = batch.len(), "reading a batch of surveys' proposals failed; reading them one by one");
            let mut one_by_one = Vec::with_capacity(queries.len());
            for query in &queries {
                one_by_one.push(
                    db::survey::arrival_contexts(pool, std::slice::from_ref(query))
                        .await
                        .map(|mut read| read.pop().flatten()),
                );
            }
            one_by_one
        }
        Err(e) => {
            let mut each: Vec<_> = batch.iter().skip(1).map(|_| Err(same_failure(&e))).collect();
            each.insert(0, Err(e));
            each
        }
    }
    .into_iter();
    let index = index.get();
    let mut admitted = Vec::with_capacity(batch.len());
    for job in batch {
        let arrival = job.arrival;
        let prepared = read
            .next()
            .unwrap_or(Ok(None))
            .map_err(WorkflowError::from)
            .and_then(|context| {
                // A defect in a check fails its own survey, not the writer that every request needs.
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    arrival.prepare(&index, context)
                }))
                .unwrap_or_else(|_| {
                    Err(WorkflowError::Internal(anyhow::anyhow!(
                        "checking a survey panicked"
                    )))
                })
            });
        match prepared {
            Ok(prepared) => admitted.push((prepared, job.answer)),
            Err(refused) => {
                let _ = job.answer.send(Err(refused));
            }
        }
    }
    admitted
}

/// The failure `e` again, for the next survey it failed: a connection's or the pool's, which
/// every survey of a batch meets alike.
fn same_failure(e: &sqlx::Error) -> sqlx::Error {
    match e {
        sqlx::Error::PoolTimedOut => sqlx::Error::PoolTimedOut,
        sqlx::Error::PoolClosed => sqlx::Error::PoolClosed,
        sqlx::Error::WorkerCrashed => sqlx::Error::WorkerCrashed,
        sqlx::Error::Io(io) => sqlx::Error::Io(std::io::Error::new(io.kind(), io.to_string())),
        other => sqlx::Error::Protocol(other.to_string()),
    }
}

/// Stores `batch` (distinct ids) and answers each job: together when there are several, and one
/// at a time for what the batch leaves alone, declines or fails on.
async fn write(pool: &PgPool, batch: Vec<(Prepared, oneshot::Sender<Outcome>)>) {
    let (prepared, answers): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
    let (surveys, shown): (Vec<_>, Vec<_>) = prepared
        .into_iter()
        .map(|p| (p.survey, (p.record, p.checks)))
        .unzip();
    let outcomes = match surveys.len() {
        0 | 1 => None,
        _ => match db::survey::store_many(pool, &surveys).await {
            Ok(outcomes) => outcomes,
            Err(e) => {
                tracing::warn!(error = %e, surveys = surveys.len(), "a batch of surveys failed; storing them one by one");
                None
            }
        },
    }
    .unwrap_or_else(|| vec![InBatch::Alone; surveys.len()]);
    for (((survey, (record, checks)), answer), outcome) in
        surveys.into_iter().zip(shown).zip(answers).zip(outcomes)
    {
        let received = match outcome {
            InBatch::Received(received) => Ok(received),
            InBatch::Alone => db::survey::store(pool, &survey).await,
        };
        let outcome = received
            .map(|received| {
                let prepared = Prepared {
                    survey,
                    record,
                    checks,
                };
                (prepared, received)
            })
            .map_err(WorkflowError::from);
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
