//! A survey's photos as the pages show them.

#[allow(clippy::wildcard_imports)]
use super::*;

pub async fn photo(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((survey, sha)): Path<(String, String)>,
) -> PageResult {
    let form = tinjau_workflows::ingest::photo::PhotoForm::Original;
    crate::respond::photo(&state, &signed.session.user, &survey, &sha, form)
        .await
        .map_err(|e| WebError::new(signed.ctx.lang, e))
}

pub async fn thumbnail(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((survey, sha)): Path<(String, String)>,
) -> PageResult {
    let form = tinjau_workflows::ingest::photo::PhotoForm::Thumbnail;
    crate::respond::photo(&state, &signed.session.user, &survey, &sha, form)
        .await
        .map_err(|e| WebError::new(signed.ctx.lang, e))
}
