//! Survey intake, one path for every adapter (the JSON API, tus resumable uploads, and the OpenRosa
//! endpoints for ODK Collect and KoboCollect): a survey sent either way is stored, checked, listed
//! and reviewed identically. Nothing here knows HTTP: refusals come back as
//! [`crate::refusal::Refusal`]s that each adapter renders.

pub mod arrival;
pub mod openrosa;
pub mod photo;
pub mod survey;
pub mod writer;
