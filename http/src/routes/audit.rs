//! The audit log's public proofs: the newest signed tree head, an entry's inclusion proof and the
//! consistency of two heads. Public like the kelurahan page: they carry hashes and sizes, never an
//! entry's content, and let anyone holding a printed Berita Acara check that what it records is in
//! the log and was not rewritten since.

// utoipa's `params(...)` expands to paths the lint calls redundant.
#![allow(unused_qualifications)]

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use survey_schema::ApiError;
use tinjau_domain::Message;
use tinjau_workflows::app::AppState;
use tinjau_workflows::audit::log::{self, ConsistencyProof, InclusionProof, SignedHead};
use utoipa::IntoParams;

use crate::error::AppError;
use crate::extract::ApiQuery;

/// The newest signed tree head of the audit log (404 before the first entry is in the tree).
#[utoipa::path(
    get,
    path = "/api/v1/audit/head",
    tag = "audit",
    responses(
        (status = 200, description = "The newest signed head", body = SignedHead),
        (status = 404, description = "No head yet", body = ApiError)
    )
)]
pub async fn head(State(state): State<AppState>) -> Result<Json<SignedHead>, AppError> {
    log::latest_head(&state.pool)
        .await?
        .map(Json)
        .ok_or_else(|| AppError::Refused(Message::AuditLogEmpty {}.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TreeSizeParams {
    /// The head to prove against, by its size (default: the newest).
    pub tree_size: Option<i64>,
}

/// That audit entry `seq` (a history row's `seq`, or the entry a Berita Acara prints) is in the log
/// under a signed head: the leaf, the head and the sibling hashes (RFC 9162 §2.1.3).
#[utoipa::path(
    get,
    path = "/api/v1/audit/entries/{seq}/proof",
    tag = "audit",
    params(("seq" = i64, Path, description = "The entry's number"), TreeSizeParams),
    responses(
        (status = 200, description = "The inclusion proof", body = InclusionProof),
        (status = 400, description = "Not an entry number", body = ApiError),
        (status = 404, description = "No such entry", body = ApiError),
        (status = 409, description = "The entry is not in the tree yet (about a second)", body = ApiError),
        (status = 422, description = "No head of that size", body = ApiError)
    )
)]
pub async fn inclusion(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    ApiQuery(params): ApiQuery<TreeSizeParams>,
) -> Result<Json<InclusionProof>, AppError> {
    let seq: i64 = raw.parse().map_err(|_| {
        AppError::from(Message::InvalidId {
            what_id: "catatan audit",
            what_en: "audit entry",
            raw: raw.chars().take(40).collect(),
        })
    })?;
    Ok(Json(
        log::inclusion(&state.pool, seq, params.tree_size).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyParams {
    /// The older head's size (a printed head).
    pub from: i64,
    /// The newer head's size (default: the newest).
    pub to: Option<i64>,
}

/// That the log of `from` leaves is a prefix of the log of `to` leaves: nothing in it was changed
/// or removed since (RFC 9162 §2.1.4).
#[utoipa::path(
    get,
    path = "/api/v1/audit/consistency",
    tag = "audit",
    params(ConsistencyParams),
    responses(
        (status = 200, description = "The consistency proof", body = ConsistencyProof),
        (status = 422, description = "No head of that size", body = ApiError)
    )
)]
pub async fn consistency(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ConsistencyParams>,
) -> Result<Json<ConsistencyProof>, AppError> {
    Ok(Json(
        log::consistency(&state.pool, params.from, params.to).await?,
    ))
}
