//! Accounts in the pages, for an admin: list, filter and search; create with a role and an area;
//! reset a password; disable and enable; issue a device token (with its QR, or ODK Collect's
//! settings QR for a surveyor) and revoke one. Each form posts to the workflow the console uses
//! ([`tinjau_workflows::accounts::admin`]); every change is in the audit trail.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use maud::{Markup, html};
use serde::Deserialize;
use survey_schema::{Role, WilayahKode};

use super::i18n::{Lang, wib_time};
use super::layout::page;
use super::{Ctx, SignedIn, WebError};
use crate::error::AppError;
use tinjau_domain::messages::Message;
use tinjau_workflows::accounts::admin::{self, AccountQuery, AccountRow, NewAccount};
use tinjau_workflows::app::AppState;
use tinjau_workflows::refusal::{RefusalKind, WorkflowError};
use tinjau_workflows::sessions::WebSession;

type PageResult = Result<Response, WebError>;

const ROLES: [Role; 5] = [
    Role::Camat,
    Role::Surveyor,
    Role::Lurah,
    Role::Opd,
    Role::Admin,
];

fn role_label(lang: Lang, role: Role) -> &'static str {
    match role {
        Role::Camat => lang.t("Camat dan staf", "Camat and staff"),
        Role::Surveyor => lang.t("Surveyor (tim teknis)", "Surveyor (technical team)"),
        Role::Lurah => "Lurah",
        Role::Opd => lang.t("Perencana OPD / Bappeda", "Agency / Bappeda planner"),
        Role::Admin => "Admin",
    }
}

pub(super) fn admin_only(lang: Lang, session: &WebSession) -> Result<(), WebError> {
    session
        .user
        .require_role(&[Role::Admin])
        .map_err(|e| WebError::new(lang, WorkflowError::from(e).into()))
}

fn refused(lang: Lang, e: WorkflowError) -> WebError {
    WebError::new(lang, e.into())
}

/// A refusal a form shows beside itself (a person can correct it); the others are error pages.
fn correctable(e: WorkflowError) -> Result<AppError, WorkflowError> {
    match e {
        WorkflowError::Refused(r)
            if !matches!(r.kind(), RefusalKind::Forbidden | RefusalKind::NotFound) =>
        {
            Ok(AppError::from(r))
        }
        other => Err(other),
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub cari: String,
    #[serde(default)]
    pub peran: String,
    /// `aktif`, `nonaktif` or empty (all).
    #[serde(default)]
    pub status: String,
    /// The account just changed (for the notice).
    pub tersimpan: Option<String>,
}

#[derive(Debug, Deserialize, Default, Clone)]
pub struct CreateForm {
    pub csrf: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub wilayah: String,
    #[serde(default)]
    pub opd: String,
    #[serde(default)]
    pub password: String,
}

fn query_of(q: &ListQuery) -> AccountQuery {
    AccountQuery {
        search: Some(q.cari.clone()),
        role: q.peran.parse().ok(),
        disabled: match q.status.as_str() {
            "aktif" => Some(false),
            "nonaktif" => Some(true),
            _ => None,
        },
    }
}

fn status_badge(lang: Lang, a: &AccountRow) -> Markup {
    html! {
        @if a.disabled_at.is_some() {
            span.badge.sev-warning { (lang.t("nonaktif", "disabled")) }
        } @else {
            span.badge.st-active { (lang.t("aktif", "active")) }
        }
    }
}

fn create_form(
    lang: Lang,
    csrf: &str,
    typed: Option<&CreateForm>,
    refusal: Option<&str>,
) -> Markup {
    let typed = typed.cloned().unwrap_or_default();
    html! {
        details.create open[refusal.is_some()] {
            summary { (lang.t("Buat akun baru", "Create an account")) }
            form.create method="post" action="/admin/akun" {
                input type="hidden" name="csrf" value=(csrf);
                @if let Some(message) = refusal {
                    p.alert.error role="alert" id="akun-error" { (lang.t("Belum tersimpan: ", "Not saved: ")) (message) }
                }
                label { (lang.t("Nama login", "Login name")) " "
                    input name="name" required pattern="[A-Za-z0-9._@\\-]{2,64}" value=(typed.name) autocomplete="off"; }
                label { (lang.t("Peran", "Role")) " "
                    select name="role" {
                        @for r in ROLES {
                            option value=(r.as_str()) selected[typed.role == r.as_str()] { (role_label(lang, r)) }
                        }
                    }
                }
                label { (lang.t("Wilayah (kode)", "Area (code)")) " "
                    input name="wilayah" size="14" placeholder="31.71.01" value=(typed.wilayah); }
                label { (lang.t("OPD (kode, untuk perencana satu OPD)", "Agency (code, for one agency's planner)")) " "
                    input name="opd" size="18" placeholder="sudin-sda-jp" value=(typed.opd); }
                label { (lang.t("Kata sandi (min. 10 karakter; kosong: hanya token)", "Password (10+ characters; empty: tokens only)")) " "
                    input type="password" name="password" autocomplete="new-password"; }
                p.hint { (lang.t(
                    "Camat dan surveyor: kode kecamatan; lurah: kode kelurahan; perencana: kode kota (kosong: seluruh kota); admin: kosong.",
                    "Camat and surveyor: a kecamatan code; lurah: a kelurahan code; planner: a kota code (empty: the whole city); admin: empty.")) }
                button.primary type="submit" { (lang.t("Buat akun", "Create the account")) }
            }
        }
    }
}

fn list_page(
    ctx: &Ctx,
    csrf: &str,
    q: &ListQuery,
    accounts: &[AccountRow],
    form: (Option<&CreateForm>, Option<&str>),
) -> Response {
    let lang = ctx.lang;
    let title = lang.t("Akun pengguna", "User accounts");
    let body = html! {
        h1 { (title) }
        @if let Some(name) = &q.tersimpan {
            p.alert.saved role="status" { (lang.t("Tersimpan: ", "Saved: ")) (name) }
        }
        (create_form(lang, csrf, form.0, form.1))
        form.filters method="get" action="/admin/akun" {
            label { (lang.t("Cari (nama atau wilayah)", "Search (name or area)")) " " input name="cari" value=(q.cari) size="18"; }
            label { (lang.t("Peran", "Role")) " "
                select name="peran" {
                    option value="" { (lang.t("Semua", "All")) }
                    @for r in ROLES { option value=(r.as_str()) selected[q.peran == r.as_str()] { (role_label(lang, r)) } }
                }
            }
            label { "Status "
                select name="status" {
                    option value="" { (lang.t("Semua", "All")) }
                    option value="aktif" selected[q.status == "aktif"] { (lang.t("Aktif", "Active")) }
                    option value="nonaktif" selected[q.status == "nonaktif"] { (lang.t("Nonaktif", "Disabled")) }
                }
            }
            button type="submit" { (lang.t("Tampilkan", "Show")) }
        }
        p { (accounts.len()) " " (lang.t("akun", "accounts")) }
        table.accounts {
            thead { tr {
                th { (lang.t("Nama", "Name")) } th { (lang.t("Peran", "Role")) } th { (lang.t("Wilayah", "Area")) }
                th { "Status" } th.num { (lang.t("Token aktif", "Active tokens")) } th { (lang.t("Terakhir terlihat", "Last seen")) }
            } }
            tbody {
                @for a in accounts {
                    tr id={ "akun-" (a.id) } {
                        td data-label=(lang.t("Nama", "Name")) { a href={ "/admin/akun/" (a.id) } { (a.name) } }
                        td data-label=(lang.t("Peran", "Role")) { (a.role) @if let Some(o) = &a.opd { " · " (o) } @if let Some(t) = &a.team { " · " (lang.t("tim ", "team ")) (t) } }
                        td data-label=(lang.t("Wilayah", "Area")) { @if let Some(k) = &a.wilayah_kode { (k.as_str()) @if let Some(n) = &a.wilayah { " " (n) } } @else { "—" } }
                        td data-label="Status" { (status_badge(lang, a)) }
                        td.num data-label=(lang.t("Token aktif", "Active tokens")) { (a.active_tokens) }
                        td data-label=(lang.t("Terakhir terlihat", "Last seen")) { @if let Some(t) = a.last_seen_at { (wib_time(t)) } @else { "—" } }
                    }
                }
            }
        }
    };
    page(ctx, title, None, false, &body)
}

/// `GET /admin/akun`.
pub async fn accounts_page(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    admin_only(lang, &session)?;
    let accounts = admin::list(&state.pool, &query_of(&q))
        .await
        .map_err(|e| refused(lang, e))?;
    Ok(list_page(&ctx, &session.csrf, &q, &accounts, (None, None)))
}

/// `POST /admin/akun`: created, to the account's page; refused, the list again with the form as
/// typed (but the password) and the reason beside it.
pub async fn create_account(
    State(state): State<AppState>,
    signed: SignedIn,
    Form(form): Form<CreateForm>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    admin_only(lang, &session)?;
    super::pages::check_csrf(lang, &session, &form.csrf)?;
    let created = async {
        let role: Role = form.role.parse().map_err(|_| {
            WorkflowError::from(Message::AccountScope {
                role: Role::Surveyor,
                needs: tinjau_domain::messages::Both {
                    id: "peran yang dikenal".into(),
                    en: "a known role".into(),
                },
            })
        })?;
        let wilayah = match form.wilayah.trim() {
            "" => None,
            raw => Some(WilayahKode::parse(raw).map_err(|e| {
                WorkflowError::from(Message::InvalidKode {
                    field: "wilayah".into(),
                    detail: e.to_string(),
                })
            })?),
        };
        let new = NewAccount {
            name: form.name.trim().to_owned(),
            role,
            wilayah,
            password: Some(form.password.clone()).filter(|p| !p.is_empty()),
            opd: Some(form.opd.trim().to_owned()).filter(|o| !o.is_empty()),
        };
        admin::add_account(&state.pool, &session.user.actor(), &new).await
    }
    .await;
    match created {
        Ok(id) => Ok(Redirect::to(&format!("/admin/akun/{id}?tersimpan=dibuat")).into_response()),
        Err(e) => {
            let refusal = correctable(e).map_err(|e| refused(lang, e))?;
            let (status, _, en, id) = refusal.parts();
            let accounts = admin::list(&state.pool, &AccountQuery::default())
                .await
                .map_err(|e| refused(lang, e))?;
            let mut typed = form.clone();
            typed.password.clear();
            let mut response = list_page(
                &ctx,
                &session.csrf,
                &ListQuery::default(),
                &accounts,
                (Some(&typed), Some(lang.t(&id, &en))),
            );
            *response.status_mut() = status;
            Ok(response)
        }
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct AccountPageQuery {
    pub tersimpan: Option<String>,
}

fn done_notice(lang: Lang, done: &str) -> Option<&'static str> {
    Some(match done {
        "dibuat" => lang.t("Akun dibuat.", "Account created."),
        "sandi" => lang.t(
            "Kata sandi diganti; semua sesi akun ini berakhir.",
            "Password replaced; every session of this account has ended.",
        ),
        "nonaktif" => lang.t(
            "Akun dinonaktifkan: token dan sesinya berhenti saat ini juga.",
            "Account disabled: its tokens and sessions stop at once.",
        ),
        "aktif" => lang.t("Akun diaktifkan kembali.", "Account enabled again."),
        "dicabut" => lang.t("Token dicabut.", "Token revoked."),
        _ => return None,
    })
}

async fn account_page_with(
    state: &AppState,
    ctx: &Ctx,
    session: &WebSession,
    id: i64,
    notice: Option<Markup>,
) -> PageResult {
    let lang = ctx.lang;
    let a = admin::account(&state.pool, id)
        .await
        .map_err(|e| refused(lang, e))?;
    let tokens = admin::tokens(&state.pool, id)
        .await
        .map_err(|e| refused(lang, e))?;
    let csrf = &session.csrf;
    let title = format!("{} {}", lang.t("Akun", "Account"), a.name);
    let body = html! {
        p { a href="/admin/akun" { "‹ " (lang.t("Semua akun", "All accounts")) } }
        h1 { (title) " " (status_badge(lang, &a)) }
        @if let Some(n) = notice { (n) }
        dl.account {
            dt { (lang.t("Peran", "Role")) } dd { (a.role) @if let Some(o) = &a.opd { " · OPD " (o) } }
            dt { (lang.t("Wilayah", "Area")) } dd { @if let Some(k) = &a.wilayah_kode { (k.as_str()) @if let Some(n) = &a.wilayah { " " (n) } } @else { "—" } }
            dt { (lang.t("Kata sandi", "Password")) } dd { @if a.has_password { (lang.t("ada", "set")) } @else { (lang.t("tidak ada (hanya token)", "none (tokens only)")) } }
            dt { (lang.t("Dibuat", "Created")) } dd { (wib_time(a.created_at)) }
        }
        section {
            h2 { (lang.t("Ganti kata sandi", "Reset the password")) }
            form.password method="post" action={ "/admin/akun/" (a.id) "/sandi" } {
                input type="hidden" name="csrf" value=(csrf);
                label { (lang.t("Kata sandi baru (min. 10 karakter)", "New password (10+ characters)")) " "
                    input type="password" name="password" required minlength="10" autocomplete="new-password"; }
                button type="submit" { (lang.t("Ganti; akhiri semua sesi", "Replace; end every session")) }
            }
        }
        section {
            h2 { (lang.t("Status akun", "Account status")) }
            @if a.disabled_at.is_some() {
                form method="post" action={ "/admin/akun/" (a.id) "/aktifkan" } {
                    input type="hidden" name="csrf" value=(csrf);
                    button type="submit" { (lang.t("Aktifkan kembali", "Enable again")) }
                }
            } @else {
                form.disable method="post" action={ "/admin/akun/" (a.id) "/nonaktifkan" } {
                    input type="hidden" name="csrf" value=(csrf);
                    p.hint { (lang.t("Token dan sesinya berhenti saat ini juga; riwayatnya tetap.", "Its tokens and sessions stop at once; its history stays.")) }
                    button type="submit" { (lang.t("Nonaktifkan", "Disable")) }
                }
            }
        }
        section {
            h2 { (lang.t("Token perangkat", "Device tokens")) }
            form.token method="post" action={ "/admin/akun/" (a.id) "/token" } {
                input type="hidden" name="csrf" value=(csrf);
                label { (lang.t("Label (mis. nama ponsel)", "Label (e.g. the phone's name)")) " " input name="label" size="24" maxlength="100"; }
                @if a.role == "surveyor" {
                    label.check { input type="checkbox" name="odk" value="1" checked; " " (lang.t("untuk ODK Collect / KoboCollect (kode QR pengaturan)", "for ODK Collect / KoboCollect (settings QR code)")) }
                }
                button type="submit" { (lang.t("Terbitkan token", "Issue a token")) }
            }
            table.tokens {
                thead { tr { th { "ID" } th { "Label" } th { (lang.t("Dibuat", "Created")) } th { (lang.t("Terakhir dipakai", "Last used")) } th { "" } } }
                tbody {
                    @for t in &tokens {
                        tr {
                            td { (t.id) } td { (t.label) } td { (wib_time(t.created_at)) }
                            td { @if let Some(u) = t.last_used_at { (wib_time(u)) } @else { "—" } }
                            td {
                                @if let Some(r) = t.revoked_at { (lang.t("dicabut ", "revoked ")) (wib_time(r)) }
                                @else {
                                    form method="post" action={ "/admin/akun/" (a.id) "/token/" (t.id) "/cabut" } {
                                        input type="hidden" name="csrf" value=(csrf);
                                        button type="submit" { (lang.t("Cabut", "Revoke")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(ctx, &title, None, false, &body))
}

/// `GET /admin/akun/{id}`.
pub async fn account_page(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(raw): Path<String>,
    Query(q): Query<AccountPageQuery>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    admin_only(lang, &session)?;
    let id = account_id(lang, &raw)?;
    let notice = q
        .tersimpan
        .as_deref()
        .and_then(|d| done_notice(lang, d))
        .map(|said| html! { p.alert.saved role="status" { (said) } });
    account_page_with(&state, &ctx, &session, id, notice).await
}

/// What every POST on an account checks first: an admin, the session's CSRF token, an account id.
fn admin_post(lang: Lang, session: &WebSession, csrf: &str, raw: &str) -> Result<i64, WebError> {
    admin_only(lang, session)?;
    super::pages::check_csrf(lang, session, csrf)?;
    account_id(lang, raw)
}

fn account_id(lang: Lang, raw: &str) -> Result<i64, WebError> {
    raw.parse()
        .map_err(|_| WebError::new(lang, Message::AccountNotFound { id: 0 }.into()))
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    pub csrf: String,
    #[serde(default)]
    pub password: String,
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    pub csrf: String,
    #[serde(default)]
    pub label: String,
    pub odk: Option<String>,
}

/// A change answered: done, back to the account with a notice; a correctable refusal, the account
/// page with it (and its status).
async fn answered(
    state: &AppState,
    ctx: &Ctx,
    session: &WebSession,
    id: i64,
    done: Result<&str, WorkflowError>,
) -> PageResult {
    let lang = ctx.lang;
    match done {
        Ok(what) => Ok(Redirect::to(&format!("/admin/akun/{id}?tersimpan={what}")).into_response()),
        Err(e) => {
            let refusal = correctable(e).map_err(|e| refused(lang, e))?;
            let (status, _, en, message) = refusal.parts();
            let notice = html! { p.alert.error role="alert" { (lang.t("Belum tersimpan: ", "Not saved: ")) (lang.t(&message, &en)) } };
            let mut response = account_page_with(state, ctx, session, id, Some(notice)).await?;
            *response.status_mut() = status;
            Ok(response)
        }
    }
}

/// `POST /admin/akun/{id}/sandi`.
pub async fn reset_password(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(raw): Path<String>,
    Form(form): Form<PasswordForm>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    let id = admin_post(lang, &session, &form.csrf, &raw)?;
    let done = admin::reset_password(&state.pool, &session.user.actor(), id, &form.password)
        .await
        .map(|()| "sandi");
    answered(&state, &ctx, &session, id, done).await
}

/// `POST /admin/akun/{id}/nonaktifkan` and `/aktifkan`.
pub async fn set_disabled(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((raw, action)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    let id = admin_post(lang, &session, &form.csrf, &raw)?;
    let disable = match action.as_str() {
        "nonaktifkan" => true,
        "aktifkan" => false,
        _ => return Err(WebError::new(lang, Message::NoSuchEndpoint {}.into())),
    };
    let done = admin::set_disabled(
        &state.pool,
        &state.tokens,
        &session.user.actor(),
        id,
        disable,
    )
    .await
    .map(|()| if disable { "nonaktif" } else { "aktif" });
    answered(&state, &ctx, &session, id, done).await
}

/// `POST /admin/akun/{id}/token/{token}/cabut`.
pub async fn revoke_token(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((raw, token)): Path<(String, i64)>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    let id = admin_post(lang, &session, &form.csrf, &raw)?;
    let done = tinjau_workflows::accounts::revoke_tokens(
        &state.pool,
        &state.tokens,
        &session.user.actor(),
        id,
        Some(token),
    )
    .await
    .map(|_| "dicabut")
    .map_err(WorkflowError::from);
    answered(&state, &ctx, &session, id, done).await
}

/// The server's address as phones reach it: the configured public URL, else this request's host.
fn public_url(state: &AppState, ctx: &Ctx, headers: &HeaderMap) -> String {
    if let Some(url) = &state.public_url {
        return url.to_string();
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1:8080");
    format!("{}://{host}", if ctx.secure { "https" } else { "http" })
}

/// `POST /admin/akun/{id}/token`: the token shown once, with its QR code (ODK Collect's settings
/// for a surveyor's phone).
pub async fn issue_token(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(raw): Path<String>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    let id = admin_post(lang, &session, &form.csrf, &raw)?;
    let odk = form.odk.is_some();
    let issued = match admin::issue(&state.pool, &session.user.actor(), id, &form.label, odk).await
    {
        Ok(issued) => issued,
        Err(e) => return answered(&state, &ctx, &session, id, Err(e)).await,
    };
    let a = admin::account(&state.pool, id)
        .await
        .map_err(|e| refused(lang, e))?;
    let (payload, what) = if odk {
        let project = admin::odk_project(a.wilayah_kode.clone().map(WilayahKode::from).as_ref());
        match project {
            Some(project) => {
                let nama = tinjau_workflows::areas::name_of(&state.pool, &project)
                    .await
                    .map_err(|e| refused(lang, e))?
                    .unwrap_or_else(|| project.to_string());
                let server_url = tinjau_workflows::ingest::openrosa::settings::server_url(
                    &public_url(&state, &ctx, &headers),
                    &issued.token,
                    project.as_str(),
                );
                let settings = tinjau_workflows::ingest::openrosa::settings::collect_settings(
                    &server_url,
                    &format!("Tinjau Kec. {nama}"),
                    &a.name,
                );
                let payload = tinjau_workflows::ingest::openrosa::settings::encode(&settings)
                    .map_err(|e| refused(lang, WorkflowError::Internal(e)))?;
                (
                    payload,
                    lang.t(
                        "Di ODK Collect atau KoboCollect: Tambah proyek › Konfigurasi dengan kode QR, lalu pindai kode ini.",
                        "In ODK Collect or KoboCollect: Add project › Configure with QR code, and scan this code.",
                    ),
                )
            }
            None => (
                issued.token.clone(),
                lang.t(
                    "Akun ini tidak punya kecamatan.",
                    "This account has no kecamatan.",
                ),
            ),
        }
    } else {
        (
            issued.token.clone(),
            lang.t(
                "Pindai atau salin token ini ke aplikasi yang memakainya.",
                "Scan or copy this token into the application that uses it.",
            ),
        )
    };
    let png = tinjau_workflows::ingest::openrosa::settings::png_qr(&payload)
        .map_err(|e| refused(lang, WorkflowError::Internal(e)))?;
    let src = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    );
    let title = format!("{} {}", lang.t("Token untuk", "Token for"), a.name);
    let body = html! {
        p { a href={ "/admin/akun/" (a.id) } { "‹ " (a.name) } }
        h1 { (title) }
        p.alert.stale role="status" { (lang.t(
            "Token ini hanya ditampilkan sekarang; Tinjau hanya menyimpan hash-nya. Jangan bagikan tangkapan layar halaman ini.",
            "This token is shown only now; Tinjau keeps only its hash. Do not share a screenshot of this page.")) }
        p { (what) }
        img.qr src=(src) alt=(lang.t("Kode QR token", "The token's QR code")) width="320" height="320";
        p { (lang.t("Token", "Token")) " #" (issued.id) ": " code.token { (issued.token) } }
        p { a href={ "/admin/akun/" (a.id) } { (lang.t("Selesai", "Done")) } }
    };
    let mut response = page(&ctx, &title, None, false, &body);
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}
