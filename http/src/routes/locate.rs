//! Where is this point? The location verdict for one GPS fix.

// utoipa's expansion of `params(LocateParams)` trips this lint.
#![allow(unused_qualifications)]

use axum::Json;
use axum::extract::State;
use geo_rules::{LocateConfig, LocateError};
use serde::Deserialize;
use survey_schema::{ApiError, LocationVerdict, Wgs84Point, WilayahKode, WilayahLevel};
use utoipa::IntoParams;

use tinjau_domain::Message;

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
        AppError::from(Message::InvalidPoint {
            detail: e.to_string(),
        })
    })?;
    let claimed = params
        .kode
        .as_deref()
        .filter(|k| !k.trim().is_empty())
        .map(WilayahKode::parse)
        .transpose()
        .map_err(|e| {
            AppError::from(Message::InvalidKode {
                field: "kode".into(),
                detail: e.to_string(),
            })
        })?;
    if let Some(k) = claimed
        .as_ref()
        .filter(|k| k.level() != WilayahLevel::Kelurahan)
    {
        return Err(Message::WrongLevel {
            kode: k.clone(),
            level: k.level().to_string(),
            wanted: "kelurahan".into(),
            pattern: "PP.KK.CC.VVVV",
        }
        .into());
    }
    let index = state.index.get();
    let verdict = index
        .locate(
            point,
            params.accuracy_m.unwrap_or(0.0),
            claimed.as_ref(),
            &LocateConfig::default(),
        )
        .map_err(|e| {
            AppError::from(match e {
                LocateError::UnknownClaimedKelurahan(k) => Message::NoBoundary { kode: k },
                LocateError::BadAccuracy(a) => Message::InvalidAccuracy {
                    given: a.to_string(),
                },
            })
        })?;
    Ok(Json(verdict))
}
