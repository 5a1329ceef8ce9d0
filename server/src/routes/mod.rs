//! The HTTP API. Handlers are thin: parse, call `db`, shape the answer.

pub mod admin;
pub mod forms;
pub mod health;
pub mod locate;
pub mod openrosa;
pub mod photos;
pub mod proposals;
pub mod review;
pub mod surveys;
pub mod sync;
pub mod trilateral;
pub mod wilayah;

use axum::http::StatusCode;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::AppError;
use crate::startup::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tinjau API",
        description = "Field checks before the Musrenbang Kecamatan: surveys, evidence, anomalies, decisions."
    ),
    components(schemas(survey_schema::ApiError)),
    modifiers(&AdminToken)
)]
struct ApiDoc;

/// Declares the bearer tokens: a device token (`bearer`), of an admin for `/api/v1/admin/*`.
struct AdminToken;

impl utoipa::Modify for AdminToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        for name in ["bearer", "admin_token"] {
            components.add_security_scheme(
                name,
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// All routes with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(wilayah::get_wilayah))
        .routes(routes!(wilayah::get_boundaries))
        .routes(routes!(locate::locate))
        .routes(routes!(proposals::list_proposals))
        .routes(routes!(proposals::get_proposal))
        .routes(routes!(admin::import_proposals))
        .routes(routes!(surveys::put_survey, surveys::get_survey))
        .routes(routes!(
            photos::put_photo,
            photos::get_photo,
            photos::tus_head,
            photos::tus_patch,
            photos::tus_options
        ))
        .routes(routes!(photos::get_thumbnail))
        .routes(routes!(sync::assignments))
        .routes(routes!(review::review_list))
        .routes(routes!(review::put_decision))
        .routes(routes!(review::list_decisions))
        .routes(routes!(review::proposal_history))
        .routes(routes!(review::post_kirim, review::get_kirim))
        .routes(routes!(review::post_reopen))
        .routes(routes!(review::public_kelurahan))
        .routes(routes!(forms::get_form))
        .routes(routes!(trilateral::get_desk))
        .routes(routes!(trilateral::export))
        .routes(routes!(trilateral::put_outcome))
        .routes(routes!(trilateral::put_match))
        .routes(routes!(trilateral::import_renja))
}

/// The OpenAPI document, as served at `/api/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    router().split_for_parts().1
}

pub async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    // Under the OpenRosa prefix, ODK Collect reads only an OpenRosaResponse.
    if uri.path().starts_with("/v1/key/") {
        return openrosa::not_found();
    }
    AppError::not_found("No such endpoint.", "Endpoint tidak ditemukan.").into_response()
}

pub async fn method_not_allowed() -> AppError {
    AppError::client(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "This method is not allowed on this endpoint.",
        "Metode ini tidak diizinkan untuk endpoint ini.",
    )
}
