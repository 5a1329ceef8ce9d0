//! The pages themselves. Each handler reads through the same workflow the API uses, with the
//! signed-in person as the caller, and renders what it gets.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;
use survey_schema::{
    DecisionRequest, DecisionStatus, RejectReason, ReviewItem, Role, Severity, SurveyStatus,
    WilayahKode, WilayahLevel,
};
use uuid::Uuid;

use super::i18n::{Lang, number, rupiah, wib_time};
use super::layout::{bare, page};
use super::{Ctx, SignedIn, WebError, cookie, local_path, set_cookie, urlencode};
use crate::error::AppError;
use tinjau_domain::messages::{Both, Message};
use tinjau_workflows::app::AppState;
use tinjau_workflows::refusal::{RefusalKind, WorkflowError};
use tinjau_workflows::review::{self, FilterWords, Paging, ReviewFilter};
use tinjau_workflows::sessions::{self as session, WebSession};

type PageResult = Result<Response, WebError>;

fn fail(lang: Lang) -> impl Fn(WorkflowError) -> WebError {
    move |e| WebError::new(lang, e.into())
}

fn db_fail(lang: Lang) -> impl Fn(sqlx::Error) -> WebError {
    move |e| WebError::new(lang, AppError::Database(e))
}

/// 403 unless the form carries the session's CSRF token.
pub(super) fn check_csrf(lang: Lang, session: &WebSession, sent: &str) -> Result<(), WebError> {
    if session::same_secret(&session.csrf, sent) {
        Ok(())
    } else {
        Err(WebError::new(lang, Message::Csrf {}.into()))
    }
}

// ---------------------------------------------------------------------------------------------
// Start, sign-in, sign-out

/// Signed in: the person's own area; else the sign-in page.
pub async fn home(ctx: Ctx) -> Response {
    let Some(session) = &ctx.session else {
        return Redirect::to("/masuk").into_response();
    };
    let user = &session.user;
    let kecamatan = user
        .scope
        .as_ref()
        .and_then(|scope| scope.ancestor(WilayahLevel::Kecamatan));
    match (&user.role, kecamatan) {
        // Agency and Bappeda planners work at the trilateral desk.
        (Role::Opd, _) => Redirect::to("/trilateral").into_response(),
        (_, Some(kecamatan)) => Redirect::to(&format!("/kecamatan/{kecamatan}")).into_response(),
        _ => page(
            &ctx,
            "Tinjau",
            None,
            false,
            &html! {
                h1 { (ctx.lang.t("Pilih kecamatan", "Choose a kecamatan")) }
                form method="get" action="/kecamatan" onsubmit="location.href='/kecamatan/'+this.kode.value;return false" {
                    label { (ctx.lang.t("Kode kecamatan", "Kecamatan code")) " " input name="kode" placeholder="31.71.01" required; }
                    button type="submit" { (ctx.lang.t("Buka", "Open")) }
                }
            },
        ),
    }
}

#[derive(Debug, Deserialize)]
pub struct SignInQuery {
    pub lanjut: Option<String>,
}

fn sign_in_form(lang: Lang, token: &str, lanjut: &str, name: &str, error: Option<&str>) -> Markup {
    html! {
        section.signin {
            h1 { (lang.t("Masuk ke Tinjau", "Sign in to Tinjau")) }
            p.lead { (lang.t("Tinjauan lapangan sebelum Musrenbang Kecamatan.", "The field check before the Musrenbang Kecamatan.")) }
            @if let Some(e) = error { p.alert.error role="alert" { (e) } }
            form method="post" action="/masuk" {
                input type="hidden" name="csrf" value=(token);
                input type="hidden" name="lanjut" value=(lanjut);
                label { (lang.t("Nama pengguna", "User name")) input name="name" value=(name) autocomplete="username" required autofocus; }
                label { (lang.t("Kata sandi", "Password")) input type="password" name="password" autocomplete="current-password" required; }
                button.primary type="submit" { (lang.t("Masuk", "Sign in")) }
            }
        }
    }
}

pub async fn sign_in_page(ctx: Ctx, Query(q): Query<SignInQuery>) -> Response {
    let token = session::random_token();
    let lanjut = local_path(q.lanjut.as_deref());
    let mut response = bare(
        ctx.lang,
        ctx.lang.t("Masuk", "Sign in"),
        &sign_in_form(ctx.lang, &token, &lanjut, "", None),
    );
    response.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(super::SIGN_IN_COOKIE, &token, 3600, ctx.secure),
    );
    response
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    pub name: String,
    pub password: String,
    #[serde(default)]
    pub csrf: String,
    pub lanjut: Option<String>,
}

pub async fn sign_in(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let lang = ctx.lang;
    let lanjut = local_path(form.lanjut.as_deref());
    let expected = cookie(&headers, super::SIGN_IN_COOKIE).unwrap_or_default();
    let again = |status: StatusCode, message: &str| {
        let token = session::random_token();
        let mut response = bare(
            lang,
            lang.t("Masuk", "Sign in"),
            &sign_in_form(lang, &token, &lanjut, &form.name, Some(message)),
        );
        *response.status_mut() = status;
        response.headers_mut().insert(
            header::SET_COOKIE,
            set_cookie(super::SIGN_IN_COOKIE, &token, 3600, ctx.secure),
        );
        response
    };
    if expected.is_empty() || !session::same_secret(expected, &form.csrf) {
        return again(
            StatusCode::FORBIDDEN,
            lang.t(
                "Formulir masuk kedaluwarsa; coba lagi.",
                "The sign-in form expired; try again.",
            ),
        );
    }
    match session::sign_in(&state, &form.name, &form.password, chrono::Utc::now()).await {
        Ok((id, _expires)) => {
            let mut response = Redirect::to(&lanjut).into_response();
            let lifetime = session::LIFETIME.num_seconds();
            let headers = response.headers_mut();
            headers.append(
                header::SET_COOKIE,
                set_cookie(super::SESSION_COOKIE, &id, lifetime, ctx.secure),
            );
            headers.append(
                header::SET_COOKIE,
                set_cookie(super::SIGN_IN_COOKIE, "", 0, ctx.secure),
            );
            response
        }
        Err(WorkflowError::Refused(r)) => {
            let status = if r.kind() == RefusalKind::TooManyRequests {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::FORBIDDEN
            };
            let message = lang.t(&r.id(), &r.en()).to_owned();
            again(status, &message)
        }
        Err(e) => WebError::new(lang, e.into()).into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

pub async fn sign_out(
    State(state): State<AppState>,
    signed: SignedIn,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let lang = signed.ctx.lang;
    check_csrf(lang, &signed.session, &form.csrf)?;
    session::sign_out(&state, &signed.session.id)
        .await
        .map_err(fail(lang))?;
    let mut response = Redirect::to("/masuk").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(super::SESSION_COOKIE, "", 0, signed.ctx.secure),
    );
    Ok(response)
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

fn kecamatan(lang: Lang, raw: &str) -> Result<WilayahKode, WebError> {
    review::kecamatan_kode(raw).map_err(fail(lang))
}

/// The year: asked for, else the latest year with proposals in the kecamatan.
async fn tahun(
    state: &AppState,
    lang: Lang,
    kecamatan: &WilayahKode,
    asked: Option<i32>,
) -> Result<i32, WebError> {
    if let Some(t) = asked {
        return Ok(t);
    }
    let latest = review::latest_tahun(&state.pool, kecamatan)
        .await
        .map_err(fail(lang))?;
    Ok(latest.unwrap_or_else(|| {
        use chrono::Datelike as _;
        chrono::Utc::now().year() + 1
    }))
}

fn severity_label(lang: Lang, s: Option<Severity>) -> &'static str {
    match s {
        Some(Severity::High) => lang.t("Tinggi", "High"),
        Some(Severity::Warning) => lang.t("Peringatan", "Warning"),
        Some(Severity::Info) => lang.t("Info", "Info"),
        None => lang.t("Tidak ada", "None"),
    }
}

fn severity_class(s: Option<Severity>) -> &'static str {
    match s {
        Some(Severity::High) => "sev-high",
        Some(Severity::Warning) => "sev-warning",
        Some(Severity::Info) => "sev-info",
        None => "sev-none",
    }
}

fn decision_label(lang: Lang, d: DecisionStatus) -> &'static str {
    match d {
        DecisionStatus::Undecided => lang.t("Belum diputuskan", "Undecided"),
        DecisionStatus::Approved => lang.t("Disetujui", "Approved"),
        DecisionStatus::Corrected => {
            lang.t("Disetujui, volume diubah", "Approved, volume corrected")
        }
        DecisionStatus::Rejected => lang.t("Ditolak", "Rejected"),
    }
}

fn survey_label(lang: Lang, s: SurveyStatus) -> &'static str {
    match s {
        SurveyStatus::NotSurveyed => lang.t("Belum disurvei", "Not surveyed"),
        SurveyStatus::PhotosPending => lang.t("Foto belum lengkap", "Photos pending"),
        SurveyStatus::Checked => lang.t("Disurvei", "Surveyed"),
    }
}

fn action_label(lang: Lang, action: &str) -> &'static str {
    match action {
        "approve" => lang.t("disetujui", "approved"),
        "reject" => lang.t("ditolak", "rejected"),
        "set_volume" => lang.t(
            "disetujui dengan volume diubah",
            "approved with a corrected volume",
        ),
        _ => lang.t("diputuskan", "decided"),
    }
}

fn reason_label(lang: Lang, r: RejectReason) -> String {
    let text = r.text();
    format!("({}) {}", r.as_str(), lang.t(&text.id, &text.en))
}

/// One line saying what is wrong with a proposal.
fn what_is_wrong(lang: Lang, item: &ReviewItem) -> String {
    match item.anomalies.first() {
        None => lang.t("Tidak ada temuan", "Nothing found").to_owned(),
        Some(first) => {
            let message = lang.t(&first.message.id, &first.message.en).to_owned();
            match item.anomalies.len() - 1 {
                0 => message,
                n => format!(
                    "{message} {}",
                    lang.t(&format!("(+{n} lainnya)"), &format!("(+{n} more)"))
                ),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The review list

#[derive(Debug, Deserialize, Default)]
pub struct ReviewQuery {
    pub tahun: Option<i32>,
    pub kelurahan: Option<String>,
    pub anomaly: Option<String>,
    pub severity: Option<String>,
    pub decision: Option<String>,
    pub surveyed: Option<String>,
    pub page: Option<i64>,
}

fn non_empty(v: Option<&String>) -> Option<&str> {
    v.map(|s| s.trim()).filter(|s| !s.is_empty())
}

fn review_filter(lang: Lang, q: &ReviewQuery) -> Result<ReviewFilter, WebError> {
    let surveyed = match non_empty(q.surveyed.as_ref()) {
        Some("ya") => Some(true),
        Some("tidak") => Some(false),
        _ => None,
    };
    ReviewFilter::parse(FilterWords {
        kelurahan: q.kelurahan.as_deref(),
        anomaly: q.anomaly.as_deref(),
        severity: q.severity.as_deref(),
        skpd: None,
        decision: q.decision.as_deref(),
        surveyed,
    })
    .map_err(fail(lang))
}

fn query_string(q: &ReviewQuery, tahun: i32, page: i64) -> String {
    let mut parts = vec![format!("tahun={tahun}")];
    for (k, v) in [
        ("kelurahan", &q.kelurahan),
        ("anomaly", &q.anomaly),
        ("severity", &q.severity),
        ("decision", &q.decision),
        ("surveyed", &q.surveyed),
    ] {
        if let Some(v) = non_empty(v.as_ref()) {
            parts.push(format!("{k}={}", urlencode(v)));
        }
    }
    parts.push(format!("page={page}"));
    parts.join("&")
}

pub async fn review_page(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(raw): Path<String>,
    Query(q): Query<ReviewQuery>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    let kecamatan = kecamatan(lang, &raw)?;
    let tahun = tahun(&state, lang, &kecamatan, q.tahun).await?;
    let filter = review_filter(lang, &q)?;
    let paging = Paging::parse(q.page, Some(25)).map_err(fail(lang))?;
    let mut conn = state.pool.acquire().await.map_err(db_fail(lang))?;
    let list = review::list(&mut conn, &session.user, &kecamatan, tahun, &filter, paging)
        .await
        .map_err(fail(lang))?;
    drop(conn);
    // The kelurahan to filter by: those of the kecamatan the person may read (a lurah: its own).
    let kelurahan =
        tinjau_workflows::areas::kelurahan_readable(&state.pool, &session.user, &kecamatan)
            .await
            .map_err(fail(lang))?;
    let pages = (list.total + list.per_page - 1) / list.per_page.max(1);
    let selected = |field: &Option<String>, value: &str| non_empty(field.as_ref()) == Some(value);
    let title = format!(
        "{} {} {}",
        lang.t("Tinjauan Kecamatan", "Review of Kecamatan"),
        list.kecamatan_nama,
        tahun
    );
    let body = html! {
        h1 { (title) }
        @if let Some(k) = &list.kirim {
            p.alert.locked role="status" {
                (lang.t("Daftar ini sudah dikirim (Kirim) pada ", "This list was sent (Kirim) on ")) (wib_time(k.sent_at))
                (lang.t(" oleh ", " by ")) (k.sent_by) (lang.t(": terkunci.", ": locked."))
                " " a href={ "/kecamatan/" (kecamatan) "/kirim?tahun=" (tahun) } { (lang.t("Formulir", "Forms")) }
            }
        }
        section.counts {
            @for (key, label) in [("high", lang.t("Tinggi", "High")), ("warning", lang.t("Peringatan", "Warning")), ("info", lang.t("Info", "Info")), ("none", lang.t("Tanpa temuan", "Clean"))] {
                a.count class=(format!("sev-{key}")) href={ "?" (query_string(&ReviewQuery { severity: Some(key.into()), ..Default::default() }, tahun, 1)) } {
                    span.n { (list.counts.by_severity.get(key).copied().unwrap_or(0)) } " " (label)
                }
            }
            @for d in DecisionStatus::ALL {
                a.count.decision href={ "?" (query_string(&ReviewQuery { decision: Some(d.as_str().into()), ..Default::default() }, tahun, 1)) } {
                    span.n { (list.counts.by_decision.get(d.as_str()).copied().unwrap_or(0)) } " " (decision_label(lang, d))
                }
            }
        }
        form.filters method="get" {
            input type="hidden" name="tahun" value=(tahun);
            @if kelurahan.len() > 1 {
                label { (lang.t("Kelurahan", "Kelurahan")) " "
                    select name="kelurahan" {
                        option value="" { (lang.t("Semua", "All")) }
                        @for (kode, nama) in &kelurahan {
                            option value=(kode) selected[selected(&q.kelurahan, kode)] { (nama) }
                        }
                    }
                }
            }
            label { (lang.t("Tingkat", "Severity")) " "
                select name="severity" {
                    option value="" { (lang.t("Semua", "All")) }
                    @for (v, l) in [("high", lang.t("Tinggi", "High")), ("warning", lang.t("Peringatan", "Warning")), ("info", "Info"), ("none", lang.t("Tanpa temuan", "Clean"))] {
                        option value=(v) selected[selected(&q.severity, v)] { (l) }
                    }
                }
            }
            label { (lang.t("Temuan", "Finding")) " "
                select name="anomaly" {
                    option value="" { (lang.t("Semua", "All")) }
                    @for (code, n) in &list.counts.by_code {
                        option value=(code) selected[selected(&q.anomaly, code)] { (code) " (" (n) ")" }
                    }
                }
            }
            label { (lang.t("Keputusan", "Decision")) " "
                select name="decision" {
                    option value="" { (lang.t("Semua", "All")) }
                    @for d in DecisionStatus::ALL {
                        option value=(d.as_str()) selected[selected(&q.decision, d.as_str())] { (decision_label(lang, d)) }
                    }
                }
            }
            label { (lang.t("Survei", "Survey")) " "
                select name="surveyed" {
                    option value="" { (lang.t("Semua", "All")) }
                    option value="ya" selected[selected(&q.surveyed, "ya")] { (lang.t("Sudah", "Done")) }
                    option value="tidak" selected[selected(&q.surveyed, "tidak")] { (lang.t("Belum", "Not yet")) }
                }
            }
            button type="submit" { (lang.t("Saring", "Filter")) }
            " " a href={ "/kecamatan/" (kecamatan) "?tahun=" (tahun) } { (lang.t("Hapus saringan", "Clear")) }
        }
        p.total { (list.total) " " (lang.t("usulan, yang paling serius di atas", "proposals, most serious first")) }
        table.review {
            thead { tr {
                th { "#" } th { (lang.t("Kelurahan", "Kelurahan")) } th { (lang.t("Usulan", "Proposal")) }
                th.num { (lang.t("Volume", "Volume")) } th.num { (lang.t("Anggaran", "Budget")) }
                th { (lang.t("Survei", "Survey")) } th { (lang.t("Temuan", "Finding")) } th { (lang.t("Keputusan", "Decision")) }
            } }
            tbody {
                @for item in &list.items {
                    tr data-id=(item.id) class=(severity_class(item.max_severity)) {
                        td { a href={ "/usulan/" (item.id) } { (item.id) } }
                        td { (item.kelurahan_nama) }
                        td { a href={ "/usulan/" (item.id) } { (item.usulan) } @if let Some(l) = &item.lokasi { br; small { (l) } } }
                        td.num { (number(item.volume)) " " (item.satuan) }
                        td.num { (rupiah(item.anggaran)) }
                        td { (survey_label(lang, item.survey_status)) }
                        td.finding {
                            span.badge class=(severity_class(item.max_severity)) { (severity_label(lang, item.max_severity)) }
                            " " (what_is_wrong(lang, item))
                        }
                        td { (decision_label(lang, item.decision)) }
                    }
                }
            }
        }
        @if pages > 1 {
            nav.pages {
                @if list.page > 1 { a rel="prev" href={ "?" (query_string(&q, tahun, list.page - 1)) } { "‹ " (lang.t("Sebelumnya", "Previous")) } }
                span { (lang.t("Halaman", "Page")) " " (list.page) " / " (pages) }
                @if list.page < pages { a rel="next" href={ "?" (query_string(&q, tahun, list.page + 1)) } { (lang.t("Berikutnya", "Next")) " ›" } }
            }
        }
    };
    Ok(page(&ctx, &title, Some(kecamatan.as_str()), false, &body))
}

// ---------------------------------------------------------------------------------------------
// A proposal

#[derive(Debug, Deserialize, Default)]
pub struct ProposalQuery {
    pub tersimpan: Option<String>,
}

pub(super) fn parse_id(lang: Lang, raw: &str) -> Result<i64, WebError> {
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
        p.crumbs { a href={ "/kecamatan/" (kecamatan) "?tahun=" (item.tahun) } { "‹ " (lang.t("Kembali ke daftar", "Back to the list")) } }
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
                        span.badge class=(severity_class(Some(a.severity))) { (severity_label(lang, Some(a.severity))) }
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
                form.decision method="post" action={ "/usulan/" (item.id) "/keputusan" } {
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
                        " " input name="satuan" size="6" value=(suggestion.and_then(|s| s.satuan.clone()).unwrap_or_else(|| item.satuan.clone()));
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
    let notice = q.tersimpan.is_some().then(|| {
        html! { p.alert.saved role="status" { (lang.t("Keputusan tersimpan.", "Decision saved.")) } }
    });
    render_proposal(&state, &signed.ctx, &signed.session, id, notice, None).await
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
pub(super) fn typed_decimal(raw: &str) -> Option<rust_decimal::Decimal> {
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
    Form(form): Form<DecisionForm>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    check_csrf(lang, &session, &form.csrf)?;
    let id = parse_id(lang, &raw)?;
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
        Ok(_) => Ok(Redirect::to(&format!("/usulan/{id}?tersimpan=1#keputusan")).into_response()),
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
            )
            .await?;
            *response.status_mut() = StatusCode::CONFLICT;
            Ok(response)
        }
        Err(WorkflowError::Refused(r)) => {
            let message = lang.t(&r.id(), &r.en()).to_owned();
            let notice = html! { p.alert.error role="alert" { (message) } };
            let mut response =
                render_proposal(&state, &ctx, &session, id, Some(notice), None).await?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(e) => Err(fail(lang)(e)),
    }
}

// ---------------------------------------------------------------------------------------------
// Kirim and the forms

#[derive(Debug, Deserialize, Default)]
pub struct YearQuery {
    pub tahun: Option<i32>,
}

pub async fn kirim_page(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(raw): Path<String>,
    Query(q): Query<YearQuery>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    let kecamatan = kecamatan(lang, &raw)?;
    let tahun = tahun(&state, lang, &kecamatan, q.tahun).await?;
    let filter = ReviewFilter {
        decision: Some(DecisionStatus::Undecided),
        ..ReviewFilter::default()
    };
    let mut conn = state.pool.acquire().await.map_err(db_fail(lang))?;
    let undecided = review::list(
        &mut conn,
        &session.user,
        &kecamatan,
        tahun,
        &filter,
        Paging {
            page: 1,
            per_page: 500,
        },
    )
    .await
    .map_err(fail(lang))?;
    drop(conn);
    let title = format!("Kirim · {} {}", undecided.kecamatan_nama, tahun);
    let may_send = matches!(session.user.role, Role::Camat | Role::Admin);
    let body = html! {
        h1 { (title) }
        @if let Some(k) = &undecided.kirim {
            p.alert.locked role="status" {
                (lang.t("Terkirim pada ", "Sent on ")) (wib_time(k.sent_at)) (lang.t(" oleh ", " by ")) (k.sent_by) ". "
                (k.agreed) (lang.t(" usulan disetujui, ", " agreed, ")) (k.not_agreed) (lang.t(" tidak disetujui. Daftar terkunci.", " not agreed. The list is locked."))
            }
            h2 { (lang.t("Formulir untuk forum", "The forum's forms")) }
            ul.downloads {
                @for (file, label) in [
                    ("berita-acara.pdf", lang.t("Berita Acara dengan Lampiran II dan III (PDF)", "Berita Acara with Lampiran II and III (PDF)")),
                    ("lampiran2.xlsx", lang.t("Lampiran II, usulan disetujui (XLSX)", "Lampiran II, agreed proposals (XLSX)")),
                    ("lampiran3.xlsx", lang.t("Lampiran III, usulan tidak disetujui (XLSX)", "Lampiran III, not agreed (XLSX)")),
                    ("lampiran2.csv", "Lampiran II (CSV)"),
                    ("lampiran3.csv", "Lampiran III (CSV)"),
                    ("usulan.geojson", lang.t("Peta usulan (GeoJSON)", "Proposals map (GeoJSON)")),
                ] {
                    li { a href={ "/kecamatan/" (kecamatan) "/formulir/" (file) "?tahun=" (tahun) } download { (label) } }
                }
            }
        } @else {
            @if undecided.total > 0 {
                p.alert.error { (undecided.total) " " (lang.t("usulan belum diputuskan; Kirim menunggu semuanya diputuskan.", "proposals are undecided; Kirim waits until all are decided.")) }
                ul.undecided {
                    @for item in &undecided.items {
                        li { a href={ "/usulan/" (item.id) } { (item.id) " · " (item.usulan) } " — " (item.kelurahan_nama) }
                    }
                }
            } @else if may_send {
                p { (lang.t("Semua usulan sudah diputuskan. Setelah Kirim, daftar terkunci dan formulir dibuat dari keadaan saat ini.", "Every proposal is decided. After Kirim the list is locked and the forms are made from it as it stands.")) }
                form.kirim method="post" {
                    input type="hidden" name="csrf" value=(session.csrf);
                    input type="hidden" name="tahun" value=(tahun);
                    label { input type="checkbox" name="yakin" value="ya" required; " " (lang.t("Saya yakin daftar ini siap dikirim.", "I am sure this list is ready to send.")) }
                    button.primary type="submit" { (lang.t("Kirim daftar", "Send the list")) }
                }
            } @else {
                p { (lang.t("Hanya camat yang mengirim daftar.", "Only the camat sends the list.")) }
            }
            h2 { (lang.t("Draf formulir", "Draft forms")) }
            p { a href={ "/kecamatan/" (kecamatan) "/formulir/berita-acara.pdf?tahun=" (tahun) } download { (lang.t("Berita Acara (draf, PDF)", "Berita Acara (draft, PDF)")) } }
        }
    };
    Ok(page(&ctx, &title, Some(kecamatan.as_str()), false, &body))
}

#[derive(Debug, Deserialize)]
pub struct KirimForm {
    #[serde(default)]
    pub csrf: String,
    pub tahun: i32,
    #[serde(default)]
    pub yakin: String,
}

pub async fn kirim(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(raw): Path<String>,
    Form(form): Form<KirimForm>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    check_csrf(lang, &session, &form.csrf)?;
    let kecamatan = kecamatan(lang, &raw)?;
    if form.yakin != "ya" {
        return Err(WebError::new(lang, Message::NotConfirmed {}.into()));
    }
    review::kirim::send(&state.pool, &session.user, &kecamatan, form.tahun)
        .await
        .map_err(fail(lang))?;
    Ok(Redirect::to(&format!(
        "/kecamatan/{kecamatan}/kirim?tahun={}",
        form.tahun
    ))
    .into_response())
}

pub async fn form_file(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((raw, file)): Path<(String, String)>,
    Query(q): Query<YearQuery>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    let kecamatan = kecamatan(lang, &raw)?;
    let tahun = tahun(&state, lang, &kecamatan, q.tahun).await?;
    let form = crate::routes::forms::form_named(&file).map_err(|e| WebError::new(lang, e))?;
    let made =
        tinjau_workflows::forms::download(&state.pool, &session.user, &kecamatan, tahun, form)
            .await
            .map_err(fail(lang))?;
    Ok(crate::respond::attachment(made))
}

// ---------------------------------------------------------------------------------------------
// Photos

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

// ---------------------------------------------------------------------------------------------
// The kecamatan map

pub async fn map_page(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(raw): Path<String>,
    Query(q): Query<YearQuery>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    let kecamatan = kecamatan(lang, &raw)?;
    let tahun = tahun(&state, lang, &kecamatan, q.tahun).await?;
    // The same check as the list: a page never shows what the API would refuse.
    let mut conn = state.pool.acquire().await.map_err(db_fail(lang))?;
    let list = review::list(
        &mut conn,
        &session.user,
        &kecamatan,
        tahun,
        &ReviewFilter::default(),
        Paging {
            page: 1,
            per_page: 1,
        },
    )
    .await
    .map_err(fail(lang))?;
    drop(conn);
    let title = format!(
        "{} {} {}",
        lang.t("Peta Kecamatan", "Map of Kecamatan"),
        list.kecamatan_nama,
        tahun
    );
    let config = serde_json::json!({
        "boundaries": format!("/api/v1/wilayah/{kecamatan}/boundaries.geojson"),
        "points": format!("/kecamatan/{kecamatan}/peta.geojson?tahun={tahun}"),
    });
    let body = html! {
        h1 { (title) }
        div #map.map.big data-config=(config.to_string()) {}
        p.legend {
            span.key.sev-high { "●" } " " (lang.t("temuan tinggi", "high finding")) " "
            span.key.sev-warning { "●" } " " (lang.t("peringatan", "warning")) " "
            span.key.sev-info { "●" } " " (lang.t("info", "info")) " "
            span.key.sev-none { "●" } " " (lang.t("tanpa temuan", "clean")) " · "
            (lang.t("lingkaran tebal: sudah diputuskan", "thick ring: decided"))
        }
        script { (PreEscaped("document.addEventListener('DOMContentLoaded',function(){tinjauKecamatanMap('map')})")) }
    };
    Ok(page(&ctx, &title, Some(kecamatan.as_str()), true, &body))
}

pub async fn map_data(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(raw): Path<String>,
    Query(q): Query<YearQuery>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    let kecamatan = kecamatan(lang, &raw)?;
    let tahun = tahun(&state, lang, &kecamatan, q.tahun).await?;
    let mut conn = state.pool.acquire().await.map_err(db_fail(lang))?;
    let mut features = Vec::new();
    let mut page_no = 1;
    loop {
        let list = review::list(
            &mut conn,
            &session.user,
            &kecamatan,
            tahun,
            &ReviewFilter::default(),
            Paging {
                page: page_no,
                per_page: 500,
            },
        )
        .await
        .map_err(fail(lang))?;
        for item in &list.items {
            let Some(pin) = item.pin.as_ref().or(item.survey.as_ref().map(|s| &s.fix)) else {
                continue;
            };
            features.push(serde_json::json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [pin.lon, pin.lat]},
                "properties": {
                    "id": item.id,
                    "usulan": item.usulan,
                    "severity": item.max_severity.map(Severity::as_str),
                    "decision": item.decision.as_str(),
                    "decision_label": decision_label(lang, item.decision),
                    "finding": what_is_wrong(lang, item),
                },
            }));
        }
        if page_no * 500 >= list.total {
            break;
        }
        page_no += 1;
    }
    let body = serde_json::json!({"type": "FeatureCollection", "features": features});
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/geo+json"),
        )],
        body.to_string(),
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------------
// Public tracking

pub async fn public_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
    Query(q): Query<YearQuery>,
) -> PageResult {
    let lang = ctx.lang;
    let tahun = if let Some(t) = q.tahun {
        t
    } else {
        // The kelurahan's kecamatan; a code that does not parse is refused by the page below.
        match WilayahKode::parse(&raw).ok().and_then(|k| k.parent()) {
            Some(kecamatan) => review::latest_tahun(&state.pool, &kecamatan)
                .await
                .map_err(fail(lang))?
                .unwrap_or(2026),
            None => 2026,
        }
    };
    let mut conn = state.pool.acquire().await.map_err(db_fail(lang))?;
    let public = review::public::kelurahan(&mut conn, &raw, tahun)
        .await
        .map_err(fail(lang))?;
    drop(conn);
    let title = format!(
        "{} {} · {}",
        lang.t("Usulan Kelurahan", "Proposals of Kelurahan"),
        public.nama,
        tahun
    );
    let body = html! {
        h1 { (title) }
        p.lead { (lang.t("Status usulan Musrenbang dari kelurahan ini. Halaman ini tidak memuat data pribadi.", "The status of this kelurahan's Musrenbang proposals. This page holds no personal data.")) }
        table.public {
            thead { tr { th { "No" } th { (lang.t("Usulan", "Proposal")) } th { "RT/RW" } th.num { (lang.t("Volume", "Volume")) } th.num { (lang.t("Anggaran", "Budget")) } th { (lang.t("Survei", "Survey")) } th { (lang.t("Status", "Status")) } } }
            tbody {
                @for p in &public.proposals {
                    tr {
                        td data-label="No" { (p.nomor.clone().unwrap_or_default()) }
                        td data-label=(lang.t("Usulan", "Proposal")) { (p.usulan) @if let Some(l) = &p.lokasi { br; small { (l) } } }
                        td data-label="RT/RW" { @if let (Some(rt), Some(rw)) = (&p.rt, &p.rw) { (rt) "/" (rw) } }
                        td.num data-label=(lang.t("Volume", "Volume")) { (number(p.volume)) " " (p.satuan) }
                        td.num data-label=(lang.t("Anggaran", "Budget")) { (rupiah(p.anggaran)) }
                        td data-label=(lang.t("Survei", "Survey")) { @if p.surveyed { (lang.t("Sudah", "Done")) } @else { (lang.t("Belum", "Not yet")) } }
                        td.status data-label=(lang.t("Status", "Status")) { strong { (decision_label(lang, p.status)) } @if let Some(r) = &p.reason { br; small { (lang.t(&r.id, &r.en)) } } }
                    }
                }
            }
        }
    };
    let mut response = page(
        &Ctx {
            session: None,
            ..ctx
        },
        &title,
        None,
        false,
        &body,
    );
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    // The language is the reader's cookie.
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Cookie"));
    Ok(response)
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
