//! Changing a proposal's Renja match by choosing from the lines of its agency, ranked with their
//! scores and the reasons (place, RT/RW, activity, unit, words), instead of typing an internal id;
//! a line another proposal already has is marked, and choosing it makes a package.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::super::i18n::{number, rupiah};
use super::super::layout::page;
use super::super::{Ctx, SignedIn};
use super::{PageResult, RENJA_LINE, desk_path, page_back, refused, whole};
use crate::error::AppError;
use tinjau_workflows::refusal::{RefusalKind, WorkflowError};
use tinjau_workflows::trilateral::choose::{Choice, choice};
use tinjau_workflows::trilateral::record::{MatchRequest, set_match};

#[derive(Debug, Deserialize, Default)]
pub struct ChooseQuery {
    /// The desk address to go back to.
    #[serde(default)]
    pub kembali: String,
}

#[derive(Debug, Deserialize)]
pub struct MatchForm {
    pub csrf: String,
    pub kembali: String,
    /// The chosen line's id; empty: nothing in the Renja takes the proposal up.
    #[serde(default)]
    pub renja_item_id: String,
    pub note: String,
    /// Sent by the page: a line another proposal has may be chosen, making a package (the page
    /// says so beside such a line).
    #[serde(default)]
    pub paket: Option<String>,
}

/// What the form shows again after a refusal.
struct Again<'a> {
    message: String,
    form: &'a MatchForm,
}

fn render(ctx: &Ctx, csrf: &str, kembali: &str, c: &Choice, again: Option<&Again<'_>>) -> Response {
    let lang = ctx.lang;
    let back = desk_path(kembali);
    let chosen = again.map_or_else(
        || c.current.map(|l| l.to_string()).unwrap_or_default(),
        |a| a.form.renja_item_id.trim().to_owned(),
    );
    let note = again.map(|a| a.form.note.clone());
    let title = format!(
        "{} #{}",
        lang.t("Padanan Renja untuk usulan", "Renja match for proposal"),
        c.proposal_id
    );
    let body = html! {
        h1 { (title) }
        p.lead { (c.usulan) " — " (c.kelurahan) }
        p { a href=(back) { "‹ " (lang.t("Kembali ke desk", "Back to the desk")) } }
        @if let Some(a) = again {
            p.alert.error role="alert" id="alasan-error" { (lang.t("Belum tersimpan: ", "Not saved: ")) (a.message) }
        }
        form.choose method="post" action={ "/trilateral/usulan/" (c.proposal_id) "/padanan" } {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="kembali" value=(back);
            input type="hidden" name="paket" value="1";
            fieldset {
                legend { (lang.t(
                    "Baris Renja OPD ini, yang paling mirip lebih dulu (skor 0–100)",
                    "This agency's Renja lines, closest first (score 0–100)")) }
                ol.candidates {
                    @for k in &c.candidates {
                        @let id = k.renja.id.to_string();
                        li class={ @if k.addresses { "addresses" } @else { "other" } } {
                            label {
                                input type="radio" name="renja_item_id" value=(id) checked[chosen == id];
                                " " span.score { (k.score) } " "
                                strong { (k.renja.uraian.as_deref().unwrap_or(&k.renja.nama_sub_kegiatan)) }
                                @if Some(k.renja.id) == c.current { " " span.badge.current { (lang.t("padanan sekarang", "current match")) } }
                                br;
                                small {
                                    (k.renja.kode_sub_kegiatan) " · "
                                    (k.renja.kelurahan.as_deref().or(k.renja.kecamatan.as_deref()).or(k.renja.lokasi.as_deref()).unwrap_or("kota")) " · "
                                    @if let Some(t) = k.renja.target { (number(t)) " " (k.renja.satuan.as_deref().unwrap_or_default()) " · " }
                                    (rupiah(k.renja.pagu)) " · ID " (k.renja.id)
                                }
                                br;
                                small.why { (lang.t(&k.evidence.explanation_id, &k.evidence.explanation_en)) }
                                @if k.elsewhere {
                                    br; small.warn { (lang.t("Menyebut RT/RW lain dari usulan.", "Names another RT/RW than the proposal.")) }
                                }
                                @if !k.linked_to.is_empty() {
                                    br; small.warn {
                                        (lang.t("Sudah dipakai usulan", "Already linked to proposal"))
                                        @for p in &k.linked_to { " #" (p) }
                                        (lang.t(": memilihnya membuat paket (target dan pagu dibagi).", ": choosing it makes a package (target and pagu shared)."))
                                    }
                                }
                            }
                        }
                    }
                    li.none {
                        label {
                            input type="radio" name="renja_item_id" value="" checked[chosen.is_empty()];
                            " " strong { (lang.t("Tidak ada di Renja", "Not in the Renja")) }
                            br; small { (lang.t("Tidak satu baris pun menampung usulan ini: perlu alokasi.", "No line takes this proposal up: it needs an allocation.")) }
                        }
                    }
                }
                @if c.candidates.is_empty() {
                    p.hint { (lang.t("OPD usulan ini belum punya baris Renja di kota ini.", "This proposal's agency has no Renja line in this kota yet.")) }
                }
            }
            label.note {
                (lang.t("Alasan (wajib)", "Why (required)")) " "
                input name="note" size="50" required
                    aria-invalid=[again.map(|_| "true")] aria-describedby=[again.map(|_| "alasan-error")]
                    value=[note];
            }
            button.primary type="submit" { (lang.t("Tetapkan padanan", "Set the match")) }
        }
    };
    page(ctx, &title, None, false, &body)
}

/// `GET /trilateral/usulan/{id}/padanan`: the lines to choose from.
pub async fn choose_page(
    State(state): State<tinjau_workflows::app::AppState>,
    signed: SignedIn,
    Path(raw): Path<String>,
    Query(q): Query<ChooseQuery>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    let id = super::super::pages::parse_id(lang, &raw)?;
    let c = choice(&state.pool, &session.user, id)
        .await
        .map_err(|e| refused(lang, e))?;
    Ok(render(&ctx, &session.csrf, &q.kembali, &c, None))
}

/// `POST /trilateral/usulan/{id}/padanan`: recorded, back to the desk at the row; refused, the
/// choice again with the reason and what was chosen and typed.
pub async fn record_match(
    State(state): State<tinjau_workflows::app::AppState>,
    signed: SignedIn,
    Path(raw): Path<String>,
    Form(form): Form<MatchForm>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    super::super::pages::check_csrf(lang, &session, &form.csrf)?;
    let id = super::super::pages::parse_id(lang, &raw)?;
    let recorded = match whole(RENJA_LINE, &form.renja_item_id) {
        Ok(renja_item_id) => {
            let request = MatchRequest {
                renja_item_id,
                package: form.paket.is_some(),
                note: form.note.clone(),
            };
            set_match(&state.pool, &session.user, id, &request)
                .await
                .map(|_| ())
        }
        Err(r) => Err(r.into()),
    };
    let refusal = match recorded {
        Ok(()) => return Ok(Redirect::to(&page_back(&form.kembali, id)).into_response()),
        Err(WorkflowError::Refused(r))
            if !matches!(r.kind(), RefusalKind::Forbidden | RefusalKind::NotFound) =>
        {
            AppError::from(r)
        }
        Err(e) => return Err(refused(lang, e)),
    };
    let (status, _, en, message_id) = refusal.parts();
    let c = choice(&state.pool, &session.user, id)
        .await
        .map_err(|e| refused(lang, e))?;
    let again = Again {
        message: lang.t(&message_id, &en).to_owned(),
        form: &form,
    };
    let mut response = render(&ctx, &session.csrf, &form.kembali, &c, Some(&again));
    *response.status_mut() = status;
    Ok(response)
}
