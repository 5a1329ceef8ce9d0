//! Tinjau's workflows: storing a survey and its photos (whichever adapter brings them), the checks
//! and their re-runs, the camat's review and Kirim, the forum's forms, the trilateral desk, the
//! imports, the object store and the photo workers. One place for each thing, which every adapter
//! (the JSON API, OpenRosa, the pages, the CLI) calls. No HTTP here: a workflow takes what was
//! asked (a caller, a version seen, parsed values) and answers data or a refusal; SQL lives in
//! `tinjau-db`.

pub mod accounts;
pub mod analysis;
pub mod app;
pub mod areas;
pub mod audit;
pub mod backup;
pub mod chunk_writer;
pub mod field_work;
pub mod forms;
pub mod forum;
pub mod import;
pub mod ingest;
pub mod locator;
pub mod operations;
pub mod photo;
pub mod processing;
pub mod proposals;
pub mod refusal;
pub mod review;
pub mod sessions;
pub mod storage;
pub mod survey_checks;
pub mod sync;
pub mod tiles;
pub mod trilateral;

pub use app::AppState;
pub use refusal::WorkflowError;

/// The database layer, as the workflows call it.
use tinjau_db as db;

/// Opening the database: a pool as the application's role, the migrations, a URL fit for logs.
pub mod database {
    pub use tinjau_db::{MIGRATOR, connect, connect_as_owner, migrate, migrated_pool, redact_url};
}
