//! One proposal: its evidence, findings, map, history and the decision form.

#[allow(clippy::wildcard_imports)]
use super::*;

#[derive(Debug, Deserialize, Default)]
pub struct ProposalQuery {
    pub tersimpan: Option<String>,
    /// The review list's query the proposal was opened from (to go back to it, and on to the next
    /// undecided proposal of the same filter).
    pub daftar: Option<String>,
}

/// A list query carried through the proposal page: only a list's own query is followed.
pub(crate) fn list_query(raw: Option<&str>) -> Option<&str> {
    raw.filter(|q| q.starts_with("tahun=") && q.len() < 500 && !q.contains(['\r', '\n', '#']))
}

pub(crate) fn parse_id(lang: Lang, raw: &str) -> Result<i64, WebError> {
    raw.parse()
        .map_err(|_| WebError::new(lang, Message::NoSuchProposal {}.into()))
}

/// What the proposal's map draws, as JSON for the page's script.
async fn map_features(
    state: &AppState,
    item: &ReviewItem,
) -> Result<serde_json::Value, WorkflowError> {
    let mut photos = Vec::new();
    let mut trace = serde_json::Value::Null;
    if let Some(survey) = &item.survey {
        let mut conn = state.pool.acquire().await?;
        let (positions, traced) = review::survey_map(&mut conn, survey.id).await?;
        photos = positions
            .into_iter()
            .map(|(sha256, lat, lon)| serde_json::json!({"sha256": sha256, "lat": lat, "lon": lon}))
            .collect();
        trace = traced;
    }
    Ok(serde_json::json!({
        "boundary": format!("/api/v1/wilayah/{}/boundaries.geojson", item.kelurahan),
        "pin": item.pin.as_ref().map(|p| serde_json::json!({"lat": p.lat, "lon": p.lon})),
        "fix": item.survey.as_ref().map(|s| serde_json::json!({"lat": s.fix.lat, "lon": s.fix.lon, "accuracy_m": s.accuracy_m})),
        "trace": trace,
        "photos": photos,
    }))
}

/// The figures behind a finding, folded away under its sentence; numbers written the way the
/// page's language writes them.
fn details_list(lang: Lang, details: &serde_json::Value) -> Markup {
    let said = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(whole), _) => survey_schema::say::decimal(whole as f64, 0, lang),
            (None, Some(x)) => survey_schema::say::decimal(x, 2, lang),
            _ => n.to_string(),
        },
        serde_json::Value::Null => "—".to_owned(),
        other => other.to_string(),
    };
    html! {
        @if let Some(map) = details.as_object() {
            @if !map.is_empty() {
                details.figures {
                    summary { (lang.t("Angka di balik temuan", "The figures behind it")) }
                    dl.details {
                        @for (k, v) in map {
                            dt { (k) }
                            dd { (said(v)) }
                        }
                    }
                }
            }
        }
    }
}

/// What is shown above the form when a decision was made meanwhile by someone else.
struct Stale {
    latest: Option<serde_json::Value>,
    seen: i32,
    current: i64,
}

// One page, read top to bottom: splitting it would only scatter the markup.
#[allow(clippy::too_many_lines)]
async fn render_proposal(
    state: &AppState,
    ctx: &Ctx,
    session: &WebSession,
    id: i64,
    notice: Option<Markup>,
    stale: Option<Stale>,
    daftar: Option<&str>,
) -> PageResult {
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
    let features = map_features(state, &item).await.map_err(fail(lang))?;
    let may_decide = matches!(session.user.role, Role::Camat | Role::Admin) && !sent;
    let suggestion = item.suggestion.as_ref();
    let suggested_action = suggestion.map_or("approve", |s| s.action.as_str());
    let title = format!(
        "{} {} · {}",
        lang.t("Usulan", "Proposal"),
        item.id,
        item.usulan
    );
    let decision_id = Uuid::new_v4();
    let body = html! {
        p.crumbs {
            @if let Some(d) = daftar {
                a href={ "/kecamatan/" (kecamatan) "?" (d) } { "‹ " (lang.t("Kembali ke daftar", "Back to the list")) }
            } @else {
                a href={ "/kecamatan/" (kecamatan) "?tahun=" (item.tahun) } { "‹ " (lang.t("Kembali ke daftar", "Back to the list")) }
            }
        }
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
                dt { (lang.t("Volume usulan", "Proposed volume")) } dd { (number(item.volume)) " " (item.satuan) }
                dt { (lang.t("Perkiraan anggaran", "Estimated budget")) } dd { (rupiah(item.anggaran)) }
                @if let Some(s) = &item.skpd_tujuan { dt { (lang.t("SKPD tujuan", "Target agency")) } dd { (s) } }
                dt { (lang.t("Keputusan", "Decision")) } dd.decision { (decision_label(lang, item.decision))
                    @if let Some(r) = item.reason { " — " (reason_label(lang, r)) }
                    @if let Some(by) = &item.decided_by { " · " (by) } @if let Some(at) = item.decided_at { " · " (wib_time(at)) } }
                @if item.decision == DecisionStatus::Corrected {
                    dt { (lang.t("Volume disetujui", "Agreed volume")) } dd { (number(item.decided.volume)) " " (item.decided.satuan) " · " (rupiah(item.decided.anggaran)) }
                }
                @if let Some(n) = &item.note { dt { (lang.t("Catatan keputusan", "Decision note")) } dd { (n) } }
                dt { (lang.t("Survei", "Survey")) } dd { (survey_label(lang, item.survey_status))
                    @if let Some(s) = &item.survey {
                        " · " (wib_time(s.captured_at)) @if let Some(by) = &s.surveyor { " · " (by) }
                        " · " (lang.t("volume ukur ulang ", "remeasured ")) (number(s.volume)) " " (s.satuan)
                        " · " (lang.t("akurasi GPS ", "GPS accuracy ")) (format!("{:.0}", s.accuracy_m)) " m"
                    } }
            }
        }
        section.map-section {
            h2 { (lang.t("Peta", "Map")) }
            div #map.map data-features=(features.to_string()) {}
            p.legend {
                span.key.pin { "●" } " " (lang.t("titik usulan", "proposal's pin")) " "
                span.key.fix { "●" } " " (lang.t("posisi survei dengan akurasi", "survey fix with its accuracy")) " "
                span.key.photo { "●" } " " (lang.t("posisi EXIF foto", "photo EXIF position")) " "
                span.key.trace { "━" } " " (lang.t("jejak", "trace"))
            }
        }
        @if let Some(s) = &item.survey {
            section.photos {
                h2 { (lang.t("Foto", "Photos")) }
                @if s.thumbnails.is_empty() { p { (lang.t("Belum ada foto yang terbaca.", "No photo read yet.")) } }
                div.thumbs {
                    // The brief names the API's thumbnail URLs; the page serves them under its session.
                    @for sha in s.thumbnails.iter().filter_map(|url| url.rsplit('/').nth(1)) {
                        a href={ "/foto/" (s.id) "/" (sha) } target="_blank" {
                            img src={ "/foto/" (s.id) "/" (sha) "/kecil" } alt=(lang.t("foto survei", "survey photo")) loading="lazy";
                        }
                    }
                }
            }
        }
        section.anomalies {
            h2 { (lang.t("Temuan", "Findings")) " (" (item.anomalies.len()) ")" }
            @if item.anomalies.is_empty() { p { (lang.t("Tidak ada temuan.", "Nothing found.")) } }
            ul {
                @for a in &item.anomalies {
                    li class=(severity_class(Some(a.severity))) {
                        span class=(format!("badge {}", severity_class(Some(a.severity)))) { (severity_label(lang, Some(a.severity))) }
                        " " strong { (a.code) } " — " (lang.t(&a.message.id, &a.message.en))
                        (details_list(lang, &a.details))
                    }
                }
            }
        }
        section.decide #keputusan {
            h2 { (lang.t("Keputusan camat", "The camat's decision")) }
            @if let Some(s) = suggestion {
                p.suggestion { (lang.t("Saran: ", "Suggested: ")) (lang.t(&s.message.id, &s.message.en)) }
            }
            @if sent {
                p.alert.locked { (lang.t("Daftar sudah dikirim: keputusan terkunci.", "The list is sent: decisions are locked.")) }
            } @else if !may_decide {
                p { (lang.t("Hanya camat yang memutuskan.", "Only the camat decides.")) }
            } @else {
                form.decision method="post" action={ "/usulan/" (item.id) "/keputusan" @if let Some(d) = daftar { "?daftar=" (urlencode(d)) } } {
                    input type="hidden" name="csrf" value=(session.csrf);
                    input type="hidden" name="version" value=(item.version);
                    input type="hidden" name="decision_id" value=(decision_id);
                    fieldset {
                        legend { (lang.t("Tindakan", "Action")) }
                        label { input type="radio" name="action" value="approve" checked[suggested_action == "approve"]; " " (lang.t("Setujui", "Approve")) }
                        label { input type="radio" name="action" value="reject" checked[suggested_action == "reject"]; " " (lang.t("Tolak", "Reject")) }
                        label { input type="radio" name="action" value="set_volume" checked[suggested_action == "set_volume"]; " " (lang.t("Setujui dengan volume diubah", "Approve with a corrected volume")) }
                    }
                    label.reason { (lang.t("Alasan penolakan", "Ground for rejecting")) " "
                        select name="reason" {
                            option value="" { "—" }
                            @for r in RejectReason::ALL {
                                option value=(r.as_str()) selected[suggestion.and_then(|s| s.reason) == Some(r)] { (reason_label(lang, r)) }
                            }
                        }
                    }
                    label.volume { (lang.t("Volume baru", "New volume")) " "
                        input name="volume" inputmode="decimal" value=(suggestion.and_then(|s| s.volume).map(|v| v.normalize().to_string().replace('.', ",")).unwrap_or_default());
                        " " input name="satuan" size="6" aria-label=(lang.t("Satuan", "Unit")) value=(suggestion.and_then(|s| s.satuan.clone()).unwrap_or_else(|| item.satuan.clone()));
                    }
                    label.note { (lang.t("Catatan", "Note")) textarea name="note" rows="3" maxlength="2000" {} }
                    button.primary type="submit" { (lang.t("Simpan keputusan", "Save the decision")) }
                }
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
    let next = match (q.tersimpan.is_some(), daftar) {
        (true, Some(d)) => next_undecided(&state, &signed.session, id, d).await,
        _ => None,
    };
    let saved = q.tersimpan.is_some().then(|| {
        html! { p.alert.saved role="status" { (lang.t("Keputusan tersimpan.", "Decision saved."))
            @if let Some(n) = next { " " a.next href={ "/usulan/" (n) "?daftar=" (urlencode(daftar.unwrap_or_default())) } { (lang.t("Usulan berikutnya yang belum diputuskan →", "Next undecided proposal →")) } } } }
    });
    render_proposal(
        &state,
        &signed.ctx,
        &signed.session,
        id,
        saved,
        None,
        daftar,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    pub csrf: String,
    pub version: i32,
    pub decision_id: Uuid,
    pub action: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub volume: String,
    #[serde(default)]
    pub satuan: String,
}

/// A decimal as a person types it here: `185,5` or `185.5`; dots between thousands when there is
/// a comma, or when every group after a dot has three digits (`1.250` is one thousand two hundred
/// and fifty, as Indonesians write it).
///
/// ```text
/// 185,5 → 185.5   185.5 → 185.5   1.250 → 1250   1.250,75 → 1250.75   12.5 → 12.5
/// ```
pub(crate) fn typed_decimal(raw: &str) -> Option<rust_decimal::Decimal> {
    let raw = raw.trim();
    let thousands = {
        let mut groups = raw.split('.');
        let first = groups.next().unwrap_or_default();
        let rest: Vec<&str> = groups.collect();
        !rest.is_empty()
            && (1..=3).contains(&first.len())
            && rest
                .iter()
                .all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
    };
    let normal = if raw.contains(',') {
        raw.replace('.', "").replace(',', ".")
    } else if thousands {
        raw.replace('.', "")
    } else {
        raw.to_owned()
    };
    normal.parse().ok()
}

pub async fn decide(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(raw): Path<String>,
    Query(q): Query<ProposalQuery>,
    Form(form): Form<DecisionForm>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    check_csrf(lang, &session, &form.csrf)?;
    let id = parse_id(lang, &raw)?;
    let daftar = list_query(q.daftar.as_deref());
    let note = Some(form.note.trim().to_owned()).filter(|n| !n.is_empty());
    let bad = |en: &str, id: &str| {
        WebError::new(
            lang,
            Message::InvalidDecision {
                detail: Both {
                    id: id.to_owned(),
                    en: en.to_owned(),
                },
            }
            .into(),
        )
    };
    let request = match form.action.as_str() {
        "approve" => DecisionRequest::Approve { note },
        "reject" => DecisionRequest::Reject {
            reason: RejectReason::parse(form.reason.trim()).ok_or_else(|| {
                bad(
                    "Choose the ground (a–g) for rejecting.",
                    "Pilih alasan penolakan (a–g).",
                )
            })?,
            note,
        },
        "set_volume" => DecisionRequest::SetVolume {
            volume: typed_decimal(&form.volume).ok_or_else(|| {
                bad(
                    "The new volume is not a number.",
                    "Volume baru bukan angka.",
                )
            })?,
            satuan: form.satuan.trim().to_owned(),
            anggaran: None,
            note,
        },
        _ => return Err(bad("Choose an action.", "Pilih tindakan.")),
    };
    match review::decision::decide(
        &state.pool,
        &session.user,
        id,
        form.decision_id,
        &tinjau_domain::Seen::version(form.version),
        &request,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/usulan/{id}?tersimpan=1{}#keputusan",
            daftar
                .map(|d| format!("&daftar={}", urlencode(d)))
                .unwrap_or_default()
        ))
        .into_response()),
        Err(WorkflowError::Refused(r)) if r.kind() == RefusalKind::PreconditionFailed => {
            let latest = r
                .details()
                .map(|d| d["latest_decision"].clone())
                .filter(|v| !v.is_null());
            let current = r
                .details()
                .and_then(|d| d["current_version"].as_i64())
                .unwrap_or_default();
            let mut response = render_proposal(
                &state,
                &ctx,
                &session,
                id,
                None,
                Some(Stale {
                    latest,
                    seen: form.version,
                    current,
                }),
                daftar,
            )
            .await?;
            *response.status_mut() = StatusCode::CONFLICT;
            Ok(response)
        }
        Err(WorkflowError::Refused(r)) => {
            let message = lang.t(&r.id(), &r.en()).to_owned();
            let notice = html! { p.alert.error role="alert" { (message) } };
            let mut response =
                render_proposal(&state, &ctx, &session, id, Some(notice), None, daftar).await?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(e) => Err(fail(lang)(e)),
    }
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

#[cfg(test)]
mod tests {
    use super::typed_decimal;

    #[test]
    fn volumes_are_read_as_indonesians_write_them() {
        let d = |s: &str| typed_decimal(s).map(|v| v.normalize().to_string());
        assert_eq!(d("185,5").as_deref(), Some("185.5"));
        assert_eq!(d("185.5").as_deref(), Some("185.5"));
        assert_eq!(d("1.250").as_deref(), Some("1250"));
        assert_eq!(d("1.250,75").as_deref(), Some("1250.75"));
        assert_eq!(d("12.5").as_deref(), Some("12.5"));
        assert_eq!(d(" 200 ").as_deref(), Some("200"));
        assert_eq!(d("dua ratus"), None);
    }
}
