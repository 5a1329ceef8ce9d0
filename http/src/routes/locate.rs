//! Where is this point? The location verdict for one GPS fix.

// utoipa's expansion of `params(LocateParams)` trips this lint.
#![allow(unused_qualifications)]

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use geo_rules::{LocateConfig, LocateError};
use serde::Deserialize;
use survey_schema::{ApiError, LocationVerdict, Wgs84Point, WilayahKode, WilayahLevel};
use utoipa::IntoParams;

use crate::error::AppError;
use crate::extract::ApiQuery;
use tinjau_workflows::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LocateParams {
    /// Latitude in degrees, -90..=90.
    pub lat: f64,
    /// Longitude in degrees, -180..=180.
    pub lon: f64,
    /// Accuracy of the fix in metres (default 0).
    pub accuracy_m: Option<f64>,
    /// The kelurahan the point is claimed to be in, e.g. 31.71.01.1001.
    pub kode: Option<String>,
}

/// The location verdict of a point against the kelurahan boundaries: inside, borderline,
/// other_kelurahan, gap, overlap or outside, with distances in metres.
#[utoipa::path(
    get,
    path = "/api/v1/locate",
    tag = "location",
    params(LocateParams),
    responses(
        (status = 200, body = LocationVerdict),
        (status = 400, description = "Bad coordinates, accuracy or code", body = ApiError),
        (status = 422, description = "The claimed kelurahan has no boundary", body = ApiError)
    )
)]
pub async fn locate(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<LocateParams>,
) -> Result<Json<LocationVerdict>, AppError> {
    let point = Wgs84Point::parse(params.lon, params.lat).map_err(|e| {
        AppError::bad_request(
            "invalid_point",
            format!("Invalid position: {e}."),
            format!("Posisi tidak valid: lintang harus -90..90 dan bujur -180..180 ({e})."),
        )
    })?;
    let claimed = params
        .kode
        .as_deref()
        .filter(|k| !k.trim().is_empty())
        .map(WilayahKode::parse)
        .transpose()
        .map_err(|e| {
            AppError::bad_request(
                "invalid_kode",
                format!("{e}."),
                "Kode kelurahan tidak valid.".to_owned(),
            )
        })?;
    if let Some(k) = claimed
        .as_ref()
        .filter(|k| k.level() != WilayahLevel::Kelurahan)
    {
        return Err(AppError::bad_request(
            "invalid_kode",
            format!(
                "{k} is a {} code; a claim names a kelurahan (PP.KK.CC.VVVV).",
                k.level()
            ),
            format!(
                "{k} adalah kode {}; klaim harus berupa kode kelurahan (PP.KK.CC.VVVV).",
                k.level()
            ),
        ));
    }
    let index = state.index.get();
    let verdict = index
        .locate(
            point,
            params.accuracy_m.unwrap_or(0.0),
            claimed.as_ref(),
            &LocateConfig::default(),
        )
        .map_err(|e| match e {
            LocateError::UnknownClaimedKelurahan(k) => AppError::client(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_kelurahan",
                format!("Kelurahan {k} has no imported boundary."),
                format!("Kelurahan {k} belum memiliki batas wilayah yang diimpor."),
            ),
            LocateError::BadAccuracy(a) => AppError::bad_request(
                "invalid_accuracy",
                format!("Accuracy {a} m must be a number of metres, 0 or more."),
                format!("Akurasi {a} m harus berupa angka meter, 0 atau lebih."),
            ),
        })?;
    Ok(Json(verdict))
}
