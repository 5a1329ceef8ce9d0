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

/// How far from the survey's fix (or the pin) a photo's EXIF position may be and still be drawn:
/// one farther away would zoom the map out to a dot, so it is listed as text instead. Metres.
const MAP_PHOTO_REACH_M: f64 = 1_000.0;

/// A photo's EXIF position too far from the place to draw.
struct FarPhoto {
    /// 1-based, in the survey's order.
    number: usize,
    caption: Option<String>,
    /// From the survey's fix (or the pin), metres.
    distance_m: f64,
}

/// What the proposal's map draws, as JSON for the page's script, and the photos left off it.
async fn map_features(
    state: &AppState,
    item: &ReviewItem,
) -> Result<(serde_json::Value, Vec<FarPhoto>), WorkflowError> {
    let mut photos = Vec::new();
    let mut far = Vec::new();
    let mut trace = serde_json::Value::Null;
    let centre = item.survey.as_ref().map(|s| s.fix).or(item.pin);
    if let Some(survey) = &item.survey {
        let mut conn = state.pool.acquire().await?;
        let (positions, traced) = review::survey_map(&mut conn, survey.id).await?;
        for (sha256, lat, lon) in positions {
            let distance_m = centre.as_ref().map_or(0.0, |c| {
                geo_rules::metric::geodesic_m([c.lon, c.lat], [lon, lat])
            });
            if distance_m > MAP_PHOTO_REACH_M {
                let index = survey.photos.iter().position(|p| p.sha256 == sha256);
                far.push(FarPhoto {
                    number: index.map_or(0, |i| i + 1),
                    caption: index.and_then(|i| survey.photos[i].caption.clone()),
                    distance_m,
                });
            } else {
                photos.push(serde_json::json!({"sha256": sha256, "lat": lat, "lon": lon}));
            }
        }
        trace = traced;
    }
    far.sort_by_key(|f| f.number);
    Ok((
        serde_json::json!({
            "boundary": format!("/api/v1/wilayah/{}/boundaries.geojson", item.kelurahan),
            "pin": item.pin.as_ref().map(|p| serde_json::json!({"lat": p.lat, "lon": p.lon})),
            "fix": item.survey.as_ref().map(|s| serde_json::json!({"lat": s.fix.lat, "lon": s.fix.lon, "accuracy_m": s.accuracy_m})),
            "trace": trace,
            "photos": photos,
        }),
        far,
    ))
}

/// A yes/no answer of the survey, with its note.
fn answer(
    lang: Lang,
    ok: bool,
    yes: (&str, &str),
    no: (&str, &str),
    note: Option<&String>,
) -> Markup {
    html! {
        @if ok { span.yes { (lang.t(yes.0, yes.1)) } } @else { span.no { "⚠ " (lang.t(no.0, no.1)) } }
        @if let Some(n) = note { " — “" (n) "”" }
    }
}

/// What the technical team answered in the field.
fn survey_answers(lang: Lang, item: &ReviewItem, s: &SurveyBrief) -> Markup {
    let deviation = (item.volume > rust_decimal::Decimal::ZERO && s.unit == item.unit)
        .then(|| {
            use rust_decimal::prelude::ToPrimitive;
            ((s.volume - item.volume) / item.volume).to_f64()
        })
        .flatten();
    html! {
        section.answers {
            h2 { (lang.t("Hasil survei lapangan", "What the field survey found")) }
            dl {
                dt { (lang.t("Volume", "Volume")) }
                dd.volumes {
                    span { (lang.t("usulan ", "proposed ")) strong { (number(item.volume)) " " (item.satuan) } }
                    " → "
                    span { (lang.t("ukur ulang ", "remeasured ")) strong { (number(s.volume)) " " (s.satuan) } }
                    @if let Some(d) = deviation {
                        " " span.deviation { "(" @if d > 0.0 { "+" } (survey_schema::say::decimal(d * 100.0, 0, lang)) "%)" }
                    }
                }
                dt { (lang.t("Alamat", "Address")) }
                dd { (answer(lang, s.address_confirmed, ("Sesuai dengan usulan", "As proposed"), ("Tidak sesuai dengan usulan", "Not as proposed"), s.address_note.as_ref())) }
                dt { (lang.t("Kelayakan teknis", "Technical feasibility")) }
                dd { (answer(lang, s.technical_ok, ("Layak", "Feasible"), ("Tidak layak", "Not feasible"), s.technical_note.as_ref())) }
                dt { (lang.t("Kelayakan administrasi", "Administrative feasibility")) }
                dd { (answer(lang, s.administrative_ok, ("Layak", "Feasible"), ("Tidak layak", "Not feasible"), s.administrative_note.as_ref())) }
                @if let Some(n) = &s.note { dt { (lang.t("Catatan tim", "The team's note")) } dd { "“" (n) "”" } }
                dt { (lang.t("Diukur", "Measured")) }
                dd { (wib_time(s.captured_at)) @if let Some(by) = &s.surveyor { " · " (by) }
                    " · " (lang.t("akurasi GPS ", "GPS accuracy ")) (survey_schema::say::decimal(s.accuracy_m, 0, lang)) " m" }
            }
        }
    }
}

/// The survey's photos, each with its caption (also its alt text); those not yet arrived named.
fn photos_section(lang: Lang, s: &SurveyBrief) -> Markup {
    let total = s.photos.len();
    html! {
        section.photos {
            h2 { (lang.t("Foto", "Photos")) " (" (s.photos.iter().filter(|p| p.received).count()) "/" (total) ")" }
            @if total == 0 { p { (lang.t("Survei ini tanpa foto.", "This survey has no photo.")) } }
            div.thumbs {
                @for (i, photo) in s.photos.iter().enumerate() {
                    @let alt = photo.caption.clone().unwrap_or_else(|| format!("{} {} {} {}", lang.t("Foto survei", "Survey photo"), i + 1, lang.t("dari", "of"), total));
                    figure {
                        @if photo.received {
                            a href={ "/foto/" (s.id) "/" (photo.sha256) } target="_blank" {
                                img src={ "/foto/" (s.id) "/" (photo.sha256) "/kecil" } alt=(alt) loading="lazy";
                            }
                        } @else {
                            div.pending { (lang.t("belum diterima", "not yet received")) }
                        }
                        figcaption { (i + 1) ". " (photo.caption.as_deref().unwrap_or(lang.t("(tanpa keterangan)", "(no caption)"))) }
                    }
                }
            }
        }
    }
}

/// Every finding in plain words, with a link to any proposal it names and its figures folded away.
fn findings_section(lang: Lang, item: &ReviewItem) -> Markup {
    html! {
        section.anomalies {
            h2 { (lang.t("Temuan", "Findings")) " (" (item.anomalies.len()) ")" }
            @if item.anomalies.is_empty() { p { (lang.t("Tidak ada temuan.", "Nothing found.")) } }
            ul {
                @for a in &item.anomalies {
                    @let finding = survey_schema::finding::Finding::from_stored(&a.code, &a.details);
                    li class=(severity_class(Some(a.severity))) {
                        span class=(format!("badge {}", severity_class(Some(a.severity)))) { (severity_label(lang, Some(a.severity))) }
                        " " strong { (survey_schema::finding::Finding::short_label(&a.code, lang)) } " — " (lang.t(&a.message.id, &a.message.en))
                        @if let Some(other) = finding.as_ref().and_then(survey_schema::finding::Finding::other_proposal) {
                            " " a.other href={ "/usulan/" (other) } { (lang.t("Lihat usulan #", "See proposal #")) (other) }
                        }
                        (details_list(lang, &a.details))
                    }
                }
            }
        }
    }
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

/// A decision as the camat typed it, shown again when it was refused: nothing typed is lost, and
/// the message stands beside the field it is about.
#[derive(Debug, Default)]
struct Typed {
    action: String,
    reason: String,
    note: String,
    volume: String,
    satuan: String,
    /// `action`, `reason`, `volume` or `note`; `None` puts the message above the form.
    field: Option<&'static str>,
    message: String,
}

impl Typed {
    fn from_form(form: &DecisionForm, field: Option<&'static str>, message: String) -> Self {
        Self {
            action: form.action.clone(),
            reason: form.reason.clone(),
            note: form.note.clone(),
            volume: form.volume.clone(),
            satuan: form.satuan.clone(),
            field,
            message,
        }
    }

    /// The message, if it belongs beside `field`.
    fn beside(&self, field: &str) -> Option<Markup> {
        (self.field == Some(field)).then(|| {
            html! { span.field-error id={ "salah-" (field) } role="alert" { (self.message) } }
        })
    }
}

/// The field a refused decision's message belongs beside, by its code.
fn field_of(code: &str) -> Option<&'static str> {
    match code {
        "note_required" | "invalid_text" | "text_too_long" => Some("note"),
        "invalid_volume" | "unit_incomparable" | "negative_budget" => Some("volume"),
        _ => None,
    }
}

/// Everything the decision form needs about the page around it.
struct FormContext<'a> {
    item: &'a ReviewItem,
    csrf: &'a str,
    daftar: Option<&'a str>,
    typed: Option<&'a Typed>,
}

/// The decision form: as typed after a refusal; else with the suggestion filled in, and no
/// action chosen beforehand on a proposal with a high-severity finding.
fn decision_form(lang: Lang, f: &FormContext<'_>) -> Markup {
    let item = f.item;
    let suggestion = item.suggestion.as_ref();
    let high = item.max_severity == Some(Severity::High);
    // An approval (as proposed or corrected) is never chosen beforehand against a high finding.
    let chosen: &str = match (f.typed, suggestion) {
        (Some(t), _) => &t.action,
        (None, Some(s)) if !high || s.action == "reject" => &s.action,
        (None, None) if !high => "approve",
        _ => "",
    };
    let reason = f.typed.map_or_else(
        || {
            suggestion
                .and_then(|s| s.reason)
                .map(|r| r.as_str().to_owned())
                .unwrap_or_default()
        },
        |t| t.reason.clone(),
    );
    let volume = f.typed.map_or_else(
        || {
            suggestion
                .and_then(|s| s.volume)
                .map(|v| v.normalize().to_string().replace('.', ","))
                .unwrap_or_default()
        },
        |t| t.volume.clone(),
    );
    let satuan = f.typed.map_or_else(
        || {
            suggestion
                .and_then(|s| s.satuan.clone())
                .unwrap_or_else(|| item.satuan.clone())
        },
        |t| t.satuan.clone(),
    );
    let note = f.typed.map(|t| t.note.as_str()).unwrap_or_default();
    let beside = |field: &str| f.typed.and_then(|t| t.beside(field));
    let invalid = |field: &str| f.typed.is_some_and(|t| t.field == Some(field));
    let action_url = format!(
        "/usulan/{}/keputusan{}",
        item.id,
        f.daftar
            .map(|d| format!("?daftar={}", urlencode(d)))
            .unwrap_or_default()
    );
    html! {
        @if let Some(t) = f.typed.filter(|t| t.field.is_none()) {
            p.alert.error role="alert" { (t.message) }
        }
        form.decision method="post" action=(action_url) {
            input type="hidden" name="csrf" value=(f.csrf);
            input type="hidden" name="version" value=(item.version);
            input type="hidden" name="decision_id" value=(Uuid::new_v4());
            fieldset aria-invalid=[invalid("action").then_some("true")] {
                legend { (lang.t("Tindakan", "Action")) }
                label { input type="radio" name="action" value="approve" required checked[chosen == "approve"]; " " (lang.t("Setujui", "Approve")) }
                label { input type="radio" name="action" value="reject" checked[chosen == "reject"]; " " (lang.t("Tolak", "Reject")) }
                label { input type="radio" name="action" value="set_volume" checked[chosen == "set_volume"]; " " (lang.t("Setujui dengan volume diubah", "Approve with a corrected volume")) }
                @if let Some(e) = beside("action") { (e) }
            }
            @if chosen.is_empty() {
                p.hint { (lang.t("Ada temuan tingkat tinggi: pilih tindakan setelah membaca buktinya.", "There is a high-severity finding: choose after reading the evidence.")) }
            }
            label.reason { (lang.t("Alasan penolakan", "Ground for rejecting")) " "
                select name="reason" aria-invalid=[invalid("reason").then_some("true")] aria-describedby=[invalid("reason").then_some("salah-reason")] {
                    option value="" { "—" }
                    @for r in RejectReason::ALL {
                        option value=(r.as_str()) selected[reason == r.as_str()] { (reason_label(lang, r)) }
                    }
                }
                @if let Some(e) = beside("reason") { " " (e) }
            }
            label.volume { (lang.t("Volume baru", "New volume")) " "
                input name="volume" inputmode="decimal" value=(volume) aria-invalid=[invalid("volume").then_some("true")] aria-describedby=[invalid("volume").then_some("salah-volume")];
                " " input name="satuan" size="6" aria-label=(lang.t("Satuan", "Unit")) value=(satuan);
                @if let Some(e) = beside("volume") { " " (e) }
            }
            label.note { (lang.t("Catatan", "Note"))
                textarea name="note" rows="3" maxlength="2000" aria-invalid=[invalid("note").then_some("true")] aria-describedby=[invalid("note").then_some("salah-note")] { (note) }
                @if let Some(e) = beside("note") { (e) }
            }
            div.buttons {
                @if f.daftar.is_some() {
                    button.primary type="submit" name="lanjut" value="1" { (lang.t("Simpan & buka berikutnya", "Save & open the next")) }
                    " " button type="submit" { (lang.t("Simpan saja", "Save only")) }
                } @else {
                    button.primary type="submit" { (lang.t("Simpan keputusan", "Save the decision")) }
                }
            }
        }
    }
}

/// "Changed from X to Y", with one click back to the proposed volume.
fn corrected_volume(lang: Lang, item: &ReviewItem, csrf: &str, may_decide: bool) -> Markup {
    html! {
        p.changed {
            (lang.t("Volume diubah dari ", "Volume changed from ")) strong { (number(item.volume)) " " (item.satuan) }
            (lang.t(" ke ", " to ")) strong { (number(item.decided.volume)) " " (item.decided.satuan) }
            " (" (rupiah(item.anggaran)) " → " (rupiah(item.decided.anggaran)) ")."
        }
        @if may_decide {
            form.undo method="post" action={ "/usulan/" (item.id) "/keputusan" } {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="version" value=(item.version);
                input type="hidden" name="decision_id" value=(Uuid::new_v4());
                input type="hidden" name="action" value="set_volume";
                input type="hidden" name="volume" value=(item.volume.normalize().to_string());
                input type="hidden" name="satuan" value=(item.satuan);
                input type="hidden" name="note" value=(lang.t("Volume dikembalikan ke usulan.", "Volume set back to the proposal's."));
                button type="submit" { (lang.t("Kembalikan ke volume usulan (", "Back to the proposed volume (")) (number(item.volume)) " " (item.satuan) ")" }
            }
        }
    }
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
            @if !far.is_empty() {
                div.alert.far {
                    p { strong { (lang.t("Foto yang diambil jauh dari lokasi (tidak digambar di peta):", "Photos taken far from the place (not drawn on the map):")) } }
                    ul { @for f in &far {
                        li { (lang.t("Foto ", "Photo ")) (f.number) @if let Some(c) = &f.caption { " (" (c) ")" } ": "
                            strong { (survey_schema::say::decimal(f.distance_m, 0, lang)) " m" } (lang.t(" dari posisi survei", " from the survey's position")) }
                    } }
                }
            }
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
    /// `1`: after saving, open the next undecided proposal of the list.
    #[serde(default)]
    pub lanjut: String,
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

/// The decision as the form says it, or what to tell the camat beside which field.
fn decision_request(form: &DecisionForm) -> Result<DecisionRequest, (Option<&'static str>, Both)> {
    let bad = |field: &'static str, id: &str, en: &str| {
        let detail = Both {
            id: id.to_owned(),
            en: en.to_owned(),
        };
        (Some(field), detail)
    };
    let note = Some(form.note.trim().to_owned()).filter(|n| !n.is_empty());
    match form.action.as_str() {
        "approve" => Ok(DecisionRequest::Approve { note }),
        "reject" => Ok(DecisionRequest::Reject {
            reason: RejectReason::parse(form.reason.trim()).ok_or_else(|| {
                bad(
                    "reason",
                    "Pilih alasan penolakan (a–g).",
                    "Choose the ground (a–g) for rejecting.",
                )
            })?,
            note,
        }),
        "set_volume" => Ok(DecisionRequest::SetVolume {
            volume: typed_decimal(&form.volume).ok_or_else(|| {
                bad(
                    "volume",
                    "Volume baru bukan angka: tulis misalnya 185,5.",
                    "The new volume is not a number: write e.g. 185.5.",
                )
            })?,
            satuan: form.satuan.trim().to_owned(),
            anggaran: None,
            note,
        }),
        _ => Err(bad("action", "Pilih tindakan.", "Choose an action.")),
    }
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
    let refused = |typed: Typed| Extras {
        notice: None,
        stale: None,
        daftar,
        typed: Some(typed),
    };
    let request = match decision_request(&form) {
        Ok(r) => r,
        Err((field, detail)) => {
            let message = lang.t(&detail.id, &detail.en).to_owned();
            let typed = Typed::from_form(&form, field, message);
            let mut response = render_proposal(&state, &ctx, &session, id, refused(typed)).await?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(response);
        }
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
        Ok(_) => {
            let list = daftar
                .map(|d| format!("&daftar={}", urlencode(d)))
                .unwrap_or_default();
            let next = match (form.lanjut.as_str(), daftar) {
                ("1", Some(d)) => next_undecided(&state, &session, id, d).await,
                _ => None,
            };
            let to = match next {
                Some(n) => format!("/usulan/{n}?tersimpan={id}{list}"),
                None => format!("/usulan/{id}?tersimpan=1{list}#keputusan"),
            };
            Ok(Redirect::to(&to).into_response())
        }
        Err(WorkflowError::Refused(r)) if r.kind() == RefusalKind::PreconditionFailed => {
            let latest = r
                .details()
                .map(|d| d["latest_decision"].clone())
                .filter(|v| !v.is_null());
            let current = r
                .details()
                .and_then(|d| d["current_version"].as_i64())
                .unwrap_or_default();
            let extras = Extras {
                notice: None,
                stale: Some(Stale {
                    latest,
                    seen: form.version,
                    current,
                }),
                daftar,
                typed: None,
            };
            let mut response = render_proposal(&state, &ctx, &session, id, extras).await?;
            *response.status_mut() = StatusCode::CONFLICT;
            Ok(response)
        }
        Err(WorkflowError::Refused(r)) => {
            let message = lang.t(&r.id(), &r.en()).to_owned();
            let typed = Typed::from_form(&form, field_of(r.code()), message);
            let mut response = render_proposal(&state, &ctx, &session, id, refused(typed)).await?;
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
