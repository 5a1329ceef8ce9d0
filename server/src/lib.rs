//! The Tinjau service: HTTP API (axum), database access (sqlx + PostGIS), reference-data import and
//! the `tinjau` command line.

pub mod accounts;
pub mod analysis;
pub mod app;
pub mod audit;
pub mod auth;
pub mod chunk_writer;
pub mod cli;
pub mod config;
pub mod error;
pub mod extract;
pub mod forms;
pub mod import;
pub mod ingest;
pub mod locator;
pub mod photo;
pub mod processing;
pub mod refusal;
pub mod review;
pub mod routes;
pub mod startup;
pub mod storage;
pub mod survey_checks;
pub mod telemetry;
pub mod trilateral;
pub mod web;

pub use error::AppError;
pub use startup::{AppState, Application};

/// The database layer, for the modules that have not moved to the workflows yet.
pub use tinjau_db as db;
pub use tinjau_db::MIGRATOR;
