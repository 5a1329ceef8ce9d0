//! Tinjau over HTTP: the JSON API, ODK Collect's OpenRosa endpoints and the web pages, their
//! extractors and their one error shape, and the server itself (startup, limits, deadlines). Every
//! handler parses what came, calls one workflow and shapes the answer.

pub mod auth;
pub mod config;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod respond;
pub mod routes;
pub mod startup;
pub mod telemetry;
pub mod web;

pub use error::AppError;
pub use startup::Application;
pub use tinjau_workflows::AppState;
