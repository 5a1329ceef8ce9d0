//! Every end-to-end test, in one binary: the real server on a random port, the real `tinjau` binary,
//! real PostGIS, S3, Chromium and the ODK form engine. One module per capability; run one with
//! `cargo test -p tinjau-tests --test e2e -- MODULE::` (e.g. `-- web::`).

mod accounts;
mod api;
mod audit;
mod audit_log;
mod auth;
mod backup;
mod bulk;
mod cli;
mod demo_review;
mod docs;
mod field_work;
mod forms;
mod forum;
mod fuzz;
mod hardening;
mod help;
mod import;
mod imports_page;
mod locate;
mod metrics;
mod national_boundaries;
mod openapi;
mod openrosa;
mod photo_corpus;
mod photos;
mod proposals;
mod reanalysis;
mod resilience;
mod review;
mod surveys;
mod sync;
mod tiles;
mod trilateral;
mod walk;
mod web;
