//! The Tinjau service: HTTP API (axum), database access (sqlx + PostGIS), reference-data import and
//! the `tinjau` command line.

pub mod auth;
pub mod cli;
pub mod config;
pub mod error;
pub mod extract;
pub mod routes;
pub mod startup;
pub mod telemetry;
pub mod web;

pub use error::AppError;
pub use startup::Application;
pub use tinjau_workflows::AppState;
