//! The proposal list for the camat, with anomalies, most serious first.

// utoipa's expansion of `params(ListParams)` trips this lint.
#![allow(unused_qualifications)]

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;
use survey_schema::{
    ActivityRef, Anomaly, ApiError, ProposalPage, ProposalView, RawPoint, Unit, WilayahKode,
};
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::db;
use crate::error::AppError;
use crate::extract::ApiQuery;
use crate::startup::AppState;

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
        AppError::bad_request(
            "invalid_kode",
            format!("kecamatan: {e}."),
            "Kode kecamatan tidak valid.",
        )
    })?;
    user.require_covers(&wilayah)?;
    let sort = params.sort.unwrap_or_else(|| "severity".into());
    if !["severity", "anggaran", "unit_cost", "id"].contains(&sort.as_str()) {
        return Err(AppError::bad_request(
            "invalid_sort",
            format!("sort '{sort}' is not one of severity, anggaran, unit_cost, id."),
            format!(
                "Urutan '{sort}' tidak dikenal: gunakan severity, anggaran, unit_cost atau id."
            ),
        ));
    }
    let page = params.page.unwrap_or(1);
    let per_page = params.per_page.unwrap_or(50);
    if page < 1 || !(1..=200).contains(&per_page) {
        return Err(AppError::bad_request(
            "invalid_page",
            "page must be 1 or more and per_page 1..=200.",
            "page harus 1 atau lebih dan per_page 1..=200.",
        ));
    }
    let filter = db::proposal::ListFilter {
        wilayah: wilayah.to_string(),
        tahun: params.tahun,
        status: params.status.map(|s| s.to_lowercase()),
        anomaly: params.anomaly,
        sort,
        limit: per_page,
        offset: (page - 1).saturating_mul(per_page),
    };
    let rows = db::proposal::list(&state.pool, &filter).await?;
    let total = rows.first().map_or(0, |r| r.total);
    let items = with_anomalies(&state, rows).await?;
    Ok(Json(ProposalPage {
        items,
        page,
        per_page,
        total,
    }))
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
        AppError::bad_request(
            "invalid_id",
            format!("'{raw}' is not a proposal id."),
            format!("'{raw}' bukan id usulan."),
        )
    })?;
    let row = db::proposal::get(&state.pool, id).await?.ok_or_else(|| {
        AppError::not_found(
            format!("No proposal {id}."),
            format!("Usulan {id} tidak ditemukan."),
        )
    })?;
    let kelurahan = WilayahKode::parse(&row.kelurahan_kode).map_err(anyhow::Error::from)?;
    user.require_covers(&kelurahan)?;
    let mut items = with_anomalies(&state, vec![row]).await?;
    items
        .pop()
        .map(Json)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("proposal {id} vanished")))
}

async fn with_anomalies(
    state: &AppState,
    rows: Vec<db::proposal::ProposalRow>,
) -> Result<Vec<ProposalView>, AppError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut anomalies: HashMap<i64, Vec<Anomaly>> = HashMap::new();
    for a in db::anomaly::for_proposals(&state.pool, &ids).await? {
        anomalies
            .entry(a.proposal_id)
            .or_default()
            .push(Anomaly::from(a));
    }
    rows.into_iter()
        .map(|r| {
            let list = anomalies.remove(&r.id).unwrap_or_default();
            Ok(ProposalView {
                id: r.id,
                tahun: r.tahun,
                kelurahan: WilayahKode::parse(&r.kelurahan_kode).map_err(anyhow::Error::from)?,
                kelurahan_nama: r.kelurahan_nama,
                kecamatan: WilayahKode::parse(&r.kecamatan_kode).map_err(anyhow::Error::from)?,
                rw: r.rw,
                rt: r.rt,
                nomor: r.nomor,
                permasalahan: r.permasalahan,
                program: r.program,
                usulan: r.usulan,
                lokasi: r.lokasi,
                // Checked: a tiny volume must not overflow the decimal (and panic).
                unit_cost: rust_decimal::Decimal::from(r.anggaran)
                    .checked_div(r.volume)
                    .and_then(|c| c.round().to_i64()),
                volume: r.volume.normalize(),
                satuan: r.satuan_raw,
                unit: r.unit.as_deref().and_then(Unit::from_code),
                anggaran: r.anggaran,
                skpd_tujuan: r.skpd_tujuan,
                status: r.status,
                activity: r
                    .activity_code
                    .zip(r.activity_nama)
                    .map(|(code, nama)| ActivityRef { code, nama }),
                pin: r.lon.zip(r.lat).map(|(lon, lat)| RawPoint { lat, lon }),
                max_severity: list.iter().map(|a| a.severity).max(),
                anomalies: list,
            })
        })
        .collect()
}
