//! One proposal: its evidence, findings, map, history and the decision form.

#[allow(clippy::wildcard_imports)]
use super::*;

mod decide;
mod evidence;

pub use decide::decide;
pub(crate) use decide::typed_decimal;
use decide::{FormContext, Typed, corrected_volume, decision_form};
use evidence::{far_photos, findings_section, map_features, photos_section, survey_answers};

#[derive(Debug, Deserialize, Default)]
pub struct ProposalQuery {
    pub tersimpan: Option<String>,
    /// The review list's query the proposal was opened from (to go back to it, and on to the next
    /// undecided proposal of the same filter).
    pub daftar: Option<String>,
    /// What a field-work form just did.
    pub lapangan: Option<String>,
}

/// A list query carried through the proposal page: only a list's own query is followed.
pub(crate) fn list_query(raw: Option<&str>) -> Option<&str> {
    raw.filter(|q| q.starts_with("tahun=") && q.len() < 500 && !q.contains(['\r', '\n', '#']))
}

pub(crate) fn parse_id(lang: Lang, raw: &str) -> Result<i64, WebError> {
    raw.parse()
        .map_err(|_| WebError::new(lang, Message::NoSuchProposal {}.into()))
}

/// What is shown above the form when a decision was made meanwhile by someone else.
struct Stale {
    latest: Option<serde_json::Value>,
    seen: i32,
    current: i64,
}

/// The page's parts beyond the proposal itself.
struct Extras<'a> {
    notice: Option<Markup>,
    stale: Option<Stale>,
    daftar: Option<&'a str>,
    typed: Option<Typed>,
}

// One page, read top to bottom: splitting it further would only scatter the markup.
#[allow(clippy::too_many_lines)]
async fn render_proposal(
    state: &AppState,
    ctx: &Ctx,
    session: &WebSession,
    id: i64,
    extras: Extras<'_>,
) -> PageResult {
    let Extras {
        notice,
        stale,
        daftar,
        typed,
    } = extras;
    let lang = ctx.lang;
    let history = review::history::of_proposal(&state.pool, &session.user, id)
        .await
        .map_err(fail(lang))?;
    let mut conn = state.pool.acquire().await.map_err(db_fail(lang))?;
    let Some(item) = review::items(&mut conn, &[id])
        .await
        .map_err(fail(lang))?
        .into_iter()
        .next()
    else {
        return Err(WebError::new(lang, Message::NoSuchProposal {}.into()));
    };
    let kecamatan = item
        .kelurahan
        .ancestor(WilayahLevel::Kecamatan)
        .map(|k| k.to_string())
        .unwrap_or_default();
    let sent = review::kirim::is_sent(&mut conn, &kecamatan, item.tahun)
        .await
        .map_err(fail(lang))?;
    drop(conn);
    let (features, far) = map_features(state, &item).await.map_err(fail(lang))?;
    let may_decide = review::decision::may_decide(session.user.role) && !sent;
    let surveyors = if may_decide {
        tinjau_workflows::field_work::surveyors(
            &state.pool,
            &session.user,
            &item
                .kelurahan
                .parent()
                .unwrap_or_else(|| item.kelurahan.clone()),
        )
        .await
        .map_err(fail(lang))?
    } else {
        Vec::new()
    };
    let title = format!(
        "{} {} · {}",
        lang.t("Usulan", "Proposal"),
        item.id,
        item.usulan
    );
    let back = daftar.map_or_else(
        || format!("/kecamatan/{kecamatan}?tahun={}", item.tahun),
        |d| format!("/kecamatan/{kecamatan}?{d}"),
    );
    let body = html! {
        p.crumbs { a href=(back) { "‹ " (lang.t("Kembali ke daftar", "Back to the list")) } }
        h1 { (item.usulan) }
        @if let Some(n) = notice { (n) }
        @if let Some(stale) = &stale {
            div.alert.stale role="alert" {
                strong { (lang.t("Usulan ini berubah sementara Anda membacanya: diputuskan orang lain, atau ada survei atau temuan baru.", "This proposal changed while you were reading it: someone else decided it, or a survey or finding came in.")) }
                p { (lang.t("Versi yang Anda lihat: ", "The version you saw: ")) (stale.seen) (lang.t("; kini: ", "; now: ")) (stale.current) "." }
                @if let Some(latest) = &stale.latest {
                    p { (lang.t("Keputusan terbaru: ", "Latest decision: "))
                        (action_label(lang, latest["action"].as_str().unwrap_or_default())) " "
                        @if let Some(r) = latest["reason"].as_str() { "(" (r) ") " }
                        (lang.t("oleh ", "by ")) (latest["decided_by"].as_str().unwrap_or_default())
                        @if let Some(n) = latest["note"].as_str() { " — “" (n) "”" } }
                }
                p { (lang.t("Keputusan Anda belum disimpan. Periksa keadaan terbaru di atas, lalu putuskan lagi.", "Your decision was not saved. Look at the current state above, then decide again.")) }
            }
        }
        section.facts {
            dl {
                dt { (lang.t("Kelurahan", "Kelurahan")) } dd { (item.kelurahan_nama) " (" (item.kelurahan) ")" }
                @if let Some(l) = &item.lokasi { dt { (lang.t("Lokasi", "Location")) } dd { (l) @if let (Some(rt), Some(rw)) = (&item.rt, &item.rw) { ", RT " (rt) "/RW " (rw) } } }
                @if let Some(p) = &item.permasalahan { dt { (lang.t("Permasalahan", "Problem")) } dd { (p) } }
                dt { (lang.t("Volume usulan", "Proposed volume")) } dd { (number(item.volume)) " " (item.satuan)
                    @if let Some(s) = &item.survey { " · " (lang.t("ukur ulang ", "remeasured ")) strong { (number(s.volume)) " " (s.satuan) } } }
                dt { (lang.t("Perkiraan anggaran", "Estimated budget")) } dd { (rupiah(item.anggaran)) }
                @if let Some(s) = &item.skpd_tujuan { dt { (lang.t("SKPD tujuan", "Target agency")) } dd { (s) } }
                dt { (lang.t("Keputusan", "Decision")) } dd.decision { (decision_label(lang, item.decision))
                    @if let Some(r) = item.reason { " — " (reason_label(lang, r)) }
                    @if let Some(by) = &item.decided_by { " · " (by) } @if let Some(at) = item.decided_at { " · " (wib_time(at)) } }
                @if let Some(n) = &item.note { dt { (lang.t("Catatan keputusan", "Decision note")) } dd { (n) } }
                dt { (lang.t("Survei", "Survey")) } dd { (survey_label(lang, item.survey_status)) }
            }
            @if item.decision == DecisionStatus::Corrected { (corrected_volume(lang, &item, &session.csrf, may_decide)) }
        }
        @if let Some(s) = &item.survey { (survey_answers(lang, &item, s)) }
        @if may_decide { (field::section(lang, &item, &session.csrf, &surveyors)) }
        (findings_section(lang, &item))
        section.map-section {
            h2 { (lang.t("Peta", "Map")) }
            div #map.map data-features=(features.to_string()) role="img" aria-label=(lang.t("Peta titik usulan dan posisi survei", "Map of the proposal's pin and the survey's position")) {}
            p.legend {
                span.key.pin { "●" } " " (lang.t("titik usulan", "proposal's pin")) " "
                span.key.fix { "●" } " " (lang.t("posisi survei dengan akurasi", "survey fix with its accuracy")) " "
                span.key.photo { "●" } " " (lang.t("posisi EXIF foto", "photo EXIF position")) " "
                span.key.trace { "━" } " " (lang.t("jejak", "trace"))
            }
            (far_photos(lang, &far))
        }
        @if let Some(s) = &item.survey { (photos_section(lang, s)) }
        section.decide #keputusan {
            h2 { (lang.t("Keputusan camat", "The camat's decision")) }
            @if let Some(s) = item.suggestion.as_ref() {
                p.suggestion { (lang.t("Saran: ", "Suggested: ")) (lang.t(&s.message.id, &s.message.en)) }
            }
            @if sent {
                p.alert.locked { (lang.t("Daftar sudah dikirim: keputusan terkunci.", "The list is sent: decisions are locked.")) }
            } @else if !may_decide {
                p { (lang.t("Hanya camat yang memutuskan.", "Only the camat decides.")) }
            } @else {
                (decision_form(lang, &FormContext { item: &item, csrf: &session.csrf, daftar, typed: typed.as_ref() }))
            }
        }
        section.history {
            h2 { (lang.t("Riwayat", "History")) }
            ol {
                @for e in history.events.iter().rev() {
                    li { time { (wib_time(e.at)) } " · " (e.actor) @if let Some(r) = &e.actor_role { " (" (r) ")" } " · " code { (e.action) } }
                }
            }
        }
        script { (PreEscaped("document.addEventListener('DOMContentLoaded',function(){tinjauProposalMap('map')})")) }
    };
    Ok(page(ctx, &title, Some(&kecamatan), true, &body))
}

pub async fn proposal_page(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(raw): Path<String>,
    Query(q): Query<ProposalQuery>,
) -> PageResult {
    let lang = signed.ctx.lang;
    let id = parse_id(lang, &raw)?;
    let daftar = list_query(q.daftar.as_deref());
    // `tersimpan` names the proposal just decided: this one, or the one before it when the camat
    // saved and went on.
    let saved = q.tersimpan.as_deref().and_then(|s| match s {
        "1" => Some(id),
        other => other.parse::<i64>().ok(),
    });
    let next = match (saved == Some(id), daftar) {
        (true, Some(d)) => next_undecided(&state, &signed.session, id, d).await,
        _ => None,
    };
    let notice = saved.map(|decided| {
        html! { p.alert.saved role="status" {
            @if decided == id {
                (lang.t("Keputusan tersimpan.", "Decision saved."))
                @if let Some(n) = next { " " a.next href={ "/usulan/" (n) "?daftar=" (urlencode(daftar.unwrap_or_default())) } { (lang.t("Usulan berikutnya yang belum diputuskan →", "Next undecided proposal →")) } }
            } @else {
                (lang.t("Keputusan usulan ", "The decision on proposal ")) a href={ "/usulan/" (decided) @if let Some(d) = daftar { "?daftar=" (urlencode(d)) } } { "#" (decided) } (lang.t(" tersimpan. Ini usulan berikutnya yang belum diputuskan.", " is saved. This is the next undecided proposal."))
            }
        } }
    });
    let notice = notice.or_else(|| {
        q.lapangan
            .as_deref()
            .and_then(|done| field::done_notice(lang, done))
    });
    render_proposal(
        &state,
        &signed.ctx,
        &signed.session,
        id,
        Extras {
            notice,
            stale: None,
            daftar,
            typed: None,
        },
    )
    .await
}

/// The next undecided proposal of the list the camat came from (the first of the filter, other
/// than this one), if any.
async fn next_undecided(
    state: &AppState,
    session: &WebSession,
    current: i64,
    daftar: &str,
) -> Option<i64> {
    let (kecamatan, q) = list_of(state, current, daftar).await?;
    let filter = ReviewFilter {
        decision: Some(DecisionStatus::Undecided),
        ..review_list::review_filter(Lang::Id, &q).ok()?
    };
    let mut conn = state.pool.acquire().await.ok()?;
    let page = review::list(
        &mut conn,
        &session.user,
        &kecamatan,
        q.tahun?,
        &filter,
        Paging {
            page: 1,
            per_page: 2,
        },
    )
    .await
    .ok()?;
    page.items.iter().map(|i| i.id).find(|i| *i != current)
}

/// The kecamatan of the proposal and the list query, read back.
async fn list_of(
    state: &AppState,
    current: i64,
    daftar: &str,
) -> Option<(WilayahKode, review_list::ReviewQuery)> {
    let uri: axum::http::Uri = format!("/?{daftar}").parse().ok()?;
    let Query(q) = Query::<review_list::ReviewQuery>::try_from_uri(&uri).ok()?;
    let mut conn = state.pool.acquire().await.ok()?;
    let item = review::items(&mut conn, &[current]).await.ok()?.pop()?;
    Some((item.kelurahan.parent()?, q))
}
