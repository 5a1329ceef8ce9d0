//! Administration: reference data through the API, for an admin holding the admin token.
//!
//! The admin is a user with the admin role (its device token), or whoever presents the token
//! configured in `TINJAU_ADMIN_TOKEN` (for bootstrapping).

// utoipa's expansion of `params(ImportParams)` trips this lint.
#![allow(unused_qualifications)]

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use survey_schema::{ApiError, Role, WilayahKode};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use tinjau_domain::Message;

use crate::error::AppError;
use crate::extract::ApiQuery;
use tinjau_workflows::AppState;
use tinjau_workflows::import::{ImportError, InputFile, proposals};

/// Largest proposal file accepted through the API.
pub const MAX_IMPORT_BYTES: usize = 20 << 20;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// The year of the proposals.
    pub tahun: i32,
    /// Import the good rows and report the bad ones (default: any bad row refuses the file).
    pub skip_invalid: Option<bool>,
    /// Match kelurahan names only within this area (kota or kecamatan code).
    pub wilayah: Option<String>,
}

/// What a proposal import through the API did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Rejected rows (`row 7, column Kelurahan: ...`), when `skip_invalid`.
    pub rejected: Vec<String>,
    /// The rejected rows as CSV with a reason column `alasan`.
    pub rejected_csv: Option<String>,
    /// Kelurahan matched by an approximate name: check them.
    pub fuzzy_matches: Vec<String>,
    pub unknown_activities: usize,
    /// Anomalies after the checks ran again, per code.
    pub anomalies_by_code: BTreeMap<String, usize>,
}

/// Imports proposals (CSV or XLSX, the body as is) and runs the checks again. All or nothing
/// unless `skip_invalid`; re-sending the same file changes nothing.
#[utoipa::path(
    post,
    path = "/api/v1/admin/proposals/import",
    tag = "admin",
    params(ImportParams),
    request_body(content = Vec<u8>, description = "The CSV or XLSX file", content_type = "application/octet-stream"),
    responses(
        (status = 200, body = ImportReport),
        (status = 401, description = "No or wrong token", body = ApiError),
        (status = 403, description = "Not an admin", body = ApiError),
        (status = 413, description = "File over 20 MB", body = ApiError),
        (status = 423, description = "The file changes proposals of a kecamatan whose list was sent (Kirim); nothing imported", body = ApiError),
        (status = 422, description = "Bad rows or an unreadable file; nothing imported", body = ApiError)
    ),
    security(("admin_token" = []))
)]
pub async fn import_proposals(
    State(state): State<AppState>,
    Caller(user): Caller,
    ApiQuery(params): ApiQuery<ImportParams>,
    body: Body,
) -> Result<Json<ImportReport>, AppError> {
    user.require_role(&[Role::Admin])?;
    let scope = params
        .wilayah
        .as_deref()
        .map(WilayahKode::parse)
        .transpose()
        .map_err(|e| {
            AppError::from(Message::InvalidKode {
                field: "wilayah".into(),
                detail: e.to_string(),
            })
        })?;
    let bytes = read_upload(body).await?;
    let file = InputFile::from_bytes("upload", bytes);
    let options = proposals::ProposalImportOptions {
        tahun: params.tahun,
        skip_invalid: params.skip_invalid.unwrap_or(false),
        rejected_path: None,
        scope,
        actor: Some(user.actor()),
    };
    let index = state.index.get();
    let (summary, checks) = proposals::import_and_check(&state.pool, &index, file, &options)
        .await
        .map_err(refused)?;
    Ok(Json(ImportReport {
        inserted: summary.counts.inserted,
        updated: summary.counts.updated,
        unchanged: summary.counts.unchanged,
        rejected: summary.rejected.iter().map(ToString::to_string).collect(),
        rejected_csv: summary.rejected_csv,
        fuzzy_matches: summary.fuzzy_matches,
        unknown_activities: summary.unknown_activities,
        anomalies_by_code: checks.by_code,
    }))
}

/// An uploaded file, whole, up to [`MAX_IMPORT_BYTES`].
pub async fn read_upload(body: Body) -> Result<Vec<u8>, AppError> {
    let bytes = axum::body::to_bytes(body, MAX_IMPORT_BYTES)
        .await
        .map_err(|_| AppError::from(Message::ImportFileTooLarge {}))?;
    Ok(bytes.to_vec())
}

/// An import's refusal as an answer: 423 for a locked list, 422 for the file's problems.
pub fn refused(e: ImportError) -> AppError {
    match e {
        ImportError::Database(e) => AppError::Database(e),
        ImportError::Checks(e) => AppError::Internal(e),
        ImportError::Locked(why) => AppError::from(Message::ImportLocked { why }),
        other => {
            let text = other.to_string();
            AppError::from(Message::InvalidFile { detail: text })
        }
    }
}
