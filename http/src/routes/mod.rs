//! The HTTP API. Handlers are thin: parse, call `db`, shape the answer.

pub mod admin;
pub mod audit;
pub mod field_work;
pub mod forms;
pub mod forum;
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

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use tinjau_domain::Message;

use crate::error::AppError;
use tinjau_workflows::AppState;

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
        .routes(routes!(review::post_bulk))
        .routes(routes!(review::post_kirim, review::get_kirim))
        .routes(routes!(review::post_reopen))
        .routes(routes!(field_work::put_assignments))
        .routes(routes!(field_work::send_back))
        .routes(routes!(field_work::void_survey))
        .routes(routes!(review::public_kelurahan))
        .routes(routes!(forms::get_form))
        .routes(routes!(forum::get_forum, forum::put_forum))
        .routes(routes!(forum::get_profile, forum::put_profile))
        .routes(routes!(trilateral::get_desk))
        .routes(routes!(trilateral::export))
        .routes(routes!(trilateral::put_outcome))
        .routes(routes!(trilateral::put_match))
        .routes(routes!(trilateral::get_candidates))
        .routes(routes!(trilateral::import_renja))
        .routes(routes!(audit::head))
        .routes(routes!(audit::inclusion))
        .routes(routes!(audit::consistency))
}

/// The API's routes and its OpenAPI document, as served at `/api/v1/openapi.json`.
pub fn api() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (routes, mut doc) = router().split_for_parts();
    document_common_answers(&mut doc);
    document_refusal_codes(&mut doc);
    (routes, doc)
}

/// The OpenAPI document, as served at `/api/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().1
}

/// Lists every refusal code of the catalogue (`tinjau_domain::Message`) on `ApiError.code`, so a
/// client can match on them and a new code is a visible change of the document.
fn document_refusal_codes(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{RefOr, schema::Schema};
    let Some(RefOr::T(Schema::Object(api_error))) = doc
        .components
        .as_mut()
        .and_then(|c| c.schemas.get_mut("ApiError"))
    else {
        return;
    };
    if let Some(RefOr::T(Schema::Object(code))) = api_error.properties.get_mut("code") {
        code.enum_values = Some(
            Message::codes()
                .into_iter()
                .map(serde_json::Value::from)
                .collect(),
        );
    }
}

/// Documents on every operation the answers that layers around the handlers give, which a
/// handler's own annotation would otherwise have to repeat (and did not): a generated client must
/// know every status it can receive.
///
/// - every operation: 408 (its deadline passed) and 503 (the database is unavailable; retry after
///   `Retry-After`);
/// - one taking parameters: 400 (a malformed parameter) and 422 (a control character in one);
/// - one with a path parameter: 404;
/// - one with a body: 400 (malformed), 413 (larger than the endpoint or the declared photo
///   takes), 415 (not the content type it reads) and 422 (a field that does not hold);
/// - one that needs a token: 401 (none or a wrong one) and 403 (the role or the area).
fn document_common_answers(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let answer = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ApiError")))
                        .build(),
                )
                .build(),
        )
    };
    for item in doc.paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            let parameters = operation.parameters.as_deref().unwrap_or_default();
            let in_path = parameters
                .iter()
                .any(|p| matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Path));
            let body = operation.request_body.is_some();
            let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
            let mut common = vec![
                ("408", "The request outlived its deadline"),
                (
                    "503",
                    "The database is unavailable for a moment; retry after Retry-After",
                ),
            ];
            if !parameters.is_empty() || body {
                common.push(("400", "A malformed parameter or body"));
                common.push((
                    "422",
                    "A parameter or field that does not hold, or holds a control character",
                ));
            }
            if in_path {
                common.push(("404", "No such thing"));
            }
            if body {
                common.push((
                    "413",
                    "Larger than the endpoint (or the declared photo) takes",
                ));
                common.push(("415", "Not the content type the endpoint reads"));
            }
            if secured {
                common.push(("401", "No token, or a wrong one"));
                common.push(("403", "The caller's role or area does not allow it"));
            }
            for (status, description) in common {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| answer(description));
            }
        }
    }
}

pub async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    // Under the OpenRosa prefix, ODK Collect reads only an OpenRosaResponse.
    if uri.path().starts_with("/v1/key/") {
        return openrosa::not_found();
    }
    AppError::from(Message::NoSuchEndpoint {}).into_response()
}

pub async fn method_not_allowed() -> AppError {
    AppError::from(Message::MethodNotAllowed {})
}
