//! The proposal list for the camat, with anomalies, most serious first.

// utoipa's expansion of `params(ListParams)` trips this lint.
#![allow(unused_qualifications)]

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use survey_schema::{ApiError, ProposalPage, ProposalView, WilayahKode};
use tinjau_workflows::proposals;
use utoipa::IntoParams;

use crate::auth::Caller;
use tinjau_domain::Message;

use crate::error::AppError;
use crate::extract::ApiQuery;
use tinjau_workflows::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// A kecamatan code (or a kota, provinsi or kelurahan code): the proposals within it.
    pub kecamatan: String,
    pub tahun: Option<i32>,
    /// Status as imported, e.g. `usulan`, `disetujui`.
    pub status: Option<String>,
    /// An anomaly code (e.g. `COST_ABOVE_STANDARD`), `any` (at least one warning or high) or `none`.
    pub anomaly: Option<String>,
    /// `severity` (default: most serious first, then largest budget), `anggaran`, `unit_cost` or `id`.
    pub sort: Option<String>,
    /// 1-based page number (default 1).
    pub page: Option<i64>,
    /// Items per page, 1..=200 (default 50).
    pub per_page: Option<i64>,
}

/// Proposals within an area, with their anomalies; paged and filterable.
#[utoipa::path(
    get,
    path = "/api/v1/proposals",
    tag = "proposals",
    params(ListParams),
    responses(
        (status = 200, body = ProposalPage),
        (status = 400, description = "Bad filter", body = ApiError),
        (status = 401, description = "No or wrong token", body = ApiError),
        (status = 403, description = "The area is outside the caller's scope", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn list_proposals(
    State(state): State<AppState>,
    Caller(user): Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<ProposalPage>, AppError> {
    let wilayah = WilayahKode::parse(&params.kecamatan).map_err(|e| {
        AppError::from(Message::InvalidKode {
            field: "kecamatan".into(),
            detail: e.to_string(),
        })
    })?;
    let query = proposals::ListQuery {
        wilayah,
        tahun: params.tahun,
        status: params.status,
        anomaly: params.anomaly,
        sort: params.sort,
        page: params.page,
        per_page: params.per_page,
    };
    Ok(Json(proposals::list(&state.pool, &user, query).await?))
}

/// One proposal with its anomalies.
#[utoipa::path(
    get,
    path = "/api/v1/proposals/{id}",
    tag = "proposals",
    params(("id" = i64, Path, description = "Proposal id")),
    responses(
        (status = 200, body = ProposalView),
        (status = 400, description = "Not an id", body = ApiError),
        (status = 401, description = "No or wrong token", body = ApiError),
        (status = 403, description = "The proposal is outside the caller's scope", body = ApiError),
        (status = 404, description = "No such proposal", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn get_proposal(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path(raw): Path<String>,
) -> Result<Json<ProposalView>, AppError> {
    let id: i64 = raw.parse().map_err(|_| {
        AppError::from(Message::InvalidId {
            what_id: "usulan",
            what_en: "proposal",
            raw: raw.chars().take(40).collect(),
        })
    })?;
    Ok(Json(proposals::get(&state.pool, &user, id).await?))
}
