//! The forum's forms over HTTP.

// utoipa's expansion of `params(...)` trips this lint.
#![allow(unused_qualifications)]

use axum::extract::{Path, State};

use axum::response::Response;
use survey_schema::ApiError;

use crate::auth::Caller;
use tinjau_domain::Message;

use crate::error::AppError;
use crate::extract::ApiQuery;
use crate::routes::review::YearParams;
use tinjau_workflows::AppState;
use tinjau_workflows::forms::{self, FormFile};

/// A form of the kecamatan's list: `lampiran2.csv`, `lampiran2.xlsx` (Form 3, the agreed list by
/// SKPD/UKPD tujuan with subtotals), `lampiran3.csv`, `lampiran3.xlsx` (Form 4, not agreed, with
/// the ground written out), `berita-acara.pdf` (Form 1 with Lampiran II and III, A4) or
/// `usulan.geojson` (proposals and surveys, for QGIS). Made from the Kirim snapshot once sent (they
/// never change afterwards), else from the current decisions, marked as a draft.
#[utoipa::path(
    get,
    path = "/api/v1/kecamatan/{kode}/forms/{file}",
    tag = "forms",
    params(
        ("kode" = String, Path, description = "Kecamatan code"),
        ("file" = String, Path, description = "lampiran2.csv, lampiran2.xlsx, lampiran3.csv, lampiran3.xlsx, berita-acara.pdf or usulan.geojson"),
        YearParams
    ),
    responses(
        (status = 200, description = "The file, as an attachment"),
        (status = 401, description = "No or wrong token", body = ApiError),
        (status = 403, description = "Wrong role, or outside the caller's area", body = ApiError),
        (status = 404, description = "No such form or kecamatan", body = ApiError)
    ),
    security(("bearer" = []))
)]
pub async fn get_form(
    State(state): State<AppState>,
    Caller(user): Caller,
    Path((raw, file)): Path<(String, String)>,
    ApiQuery(params): ApiQuery<YearParams>,
) -> Result<Response, AppError> {
    let kecamatan = tinjau_workflows::review::kecamatan_kode(&raw)?;
    let form = form_named(&file)?;
    let made = forms::download(&state.pool, &user, &kecamatan, params.tahun, form).await?;
    Ok(crate::respond::attachment(made))
}

/// The form a download address names, or the refusal that lists the ones there are.
pub(crate) fn form_named(file: &str) -> Result<FormFile, AppError> {
    FormFile::parse(file).ok_or_else(|| {
        let names: Vec<&str> = FormFile::ALL.iter().map(|f| f.name()).collect();
        AppError::from(Message::FormNotFound {
            asked: file.chars().take(40).collect(),
            there: names.join(", "),
        })
    })
}
