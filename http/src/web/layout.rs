//! The page shell: head, the bar with the kecamatan's sections, the language switch, sign-out.

use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::Ctx;
use super::i18n::Lang;

fn head(lang: Lang, title: &str, map: bool) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · Tinjau" }
            link rel="stylesheet" href="/aset/app.css";
            @if map {
                link rel="stylesheet" href="/aset/leaflet.css";
                script src="/aset/leaflet.js" {}
            }
            script src="/aset/app.js" defer {}
            meta name="lang" content=(lang.code());
        }
    }
}

/// A page without the bar (errors, sign-in).
pub fn bare(lang: Lang, title: &str, body: &Markup) -> Response {
    Html(
        html! {
            (DOCTYPE)
            html lang=(lang.code()) {
                (head(lang, title, false))
                body.bare {
                    header.bar { a.brand href="/" { "Tinjau" } (help_link(lang, None)) (language_switch(lang, "/")) }
                    main { (body) }
                }
            }
        }
        .into_string(),
    )
    .into_response()
}

/// The bar's link to the guide of the reader's role (served by Tinjau itself, so it reads offline).
fn help_link(lang: Lang, role: Option<survey_schema::Role>) -> Markup {
    html! {
        a.help href=(super::guides::guide_for(role, lang)) title=(lang.t("Panduan untuk Anda", "Your guide")) {
            (lang.t("Bantuan", "Help"))
        }
    }
}

fn language_switch(lang: Lang, back: &str) -> Markup {
    let back = super::urlencode(back);
    html! {
        nav.lang {
            @if lang == Lang::Id {
                strong { "ID" } " · " a href={ "/bahasa/en?kembali=" (back) } hreflang="en" { "EN" }
            } @else {
                a href={ "/bahasa/id?kembali=" (back) } hreflang="id" { "ID" } " · " strong { "EN" }
            }
        }
    }
}

/// A signed-in page, with the bar of `kecamatan`'s sections when it has one.
pub fn page(ctx: &Ctx, title: &str, kecamatan: Option<&str>, map: bool, body: &Markup) -> Response {
    let lang = ctx.lang;
    // The bar's sections keep the year being looked at.
    let year = ctx
        .path
        .split_once('?')
        .and_then(|(_, q)| q.split('&').find_map(|kv| kv.strip_prefix("tahun=")))
        .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
        .map(|t| format!("?tahun={t}"))
        .unwrap_or_default();
    let role = ctx.session.as_ref().map(|s| s.user.role);
    Html(
        html! {
            (DOCTYPE)
            html lang=(lang.code()) data-tiles=[ctx.tiles.as_deref()] {
                (head(lang, title, map))
                body {
                    a.skip href="#isi" { (lang.t("Langsung ke isi", "Skip to content")) }
                    header.bar {
                        a.brand href="/" { "Tinjau" }
                        @if let Some(k) = kecamatan {
                            nav.sections {
                                a href={ "/kecamatan/" (k) (year) } { (lang.t("Tinjauan", "Review")) }
                                a href={ "/kecamatan/" (k) "/peta" (year) } { (lang.t("Peta", "Map")) }
                                @if role.is_some_and(tinjau_workflows::forum::may_keep) {
                                    a href={ "/kecamatan/" (k) "/forum" (year) } { (lang.t("Catatan forum", "Forum record")) }
                                }
                                @if role.is_some_and(tinjau_workflows::forms::may_read) {
                                    a href={ "/kecamatan/" (k) "/kirim" (year) } { (lang.t("Kirim & formulir", "Kirim & forms")) }
                                }
                            }
                        }
                        @if ctx.session.as_ref().is_some_and(|s| matches!(s.user.role, survey_schema::Role::Opd | survey_schema::Role::Admin | survey_schema::Role::Camat)) {
                            nav.sections { a href={ "/trilateral" (year) } { (lang.t("Desk trilateral", "Trilateral desk")) } }
                        }
                        @if role == Some(survey_schema::Role::Admin) {
                            nav.sections {
                                a href="/admin/akun" { (lang.t("Akun", "Accounts")) }
                                a href="/admin/impor" { (lang.t("Impor", "Imports")) }
                            }
                        }
                        (help_link(lang, role))
                        (language_switch(lang, &ctx.path))
                        @if let Some(session) = &ctx.session {
                            form.signout method="post" action="/keluar" {
                                input type="hidden" name="csrf" value=(session.csrf);
                                span.who { (session.user.name) " (" (session.user.role) ")" }
                                button type="submit" { (lang.t("Keluar", "Sign out")) }
                            }
                        }
                    }
                    main id="isi" { (body) }
                }
            }
        }
        .into_string(),
    )
    .into_response()
}
