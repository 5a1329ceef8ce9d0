//! The trilateral desk's page: the agreed proposals beside the agencies' Renja, with the gaps, the
//! evidence of each match, the outcome form and the planner's match form; totals per agency and
//! per kecamatan; the Renja lines no proposal matches; the exports. Reads and writes through
//! [`tinjau_workflows::trilateral`], as the API does.

mod choose;

use std::fmt::Write as _;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use survey_schema::{Role, WilayahKode};

use super::i18n::{Lang, count, number, rupiah, wib_time};
use super::layout::page;
use super::{Ctx, SignedIn, WebError, local_path, urlencode};
use crate::error::AppError;
use tinjau_domain::messages::{Both, Message};
use tinjau_workflows::app::AppState;
use tinjau_workflows::refusal::{Refusal, RefusalKind, WorkflowError};
use tinjau_workflows::sessions::WebSession;
use tinjau_workflows::trilateral::record::{OUTCOMES, OutcomeRequest};
use tinjau_workflows::trilateral::{self, Desk, DeskQuery, DeskRow, GroupTotals};

type PageResult = Result<Response, WebError>;

#[derive(Debug, Deserialize, Default)]
pub struct DeskPageQuery {
    pub tahun: Option<i32>,
    pub kota: Option<String>,
    pub kecamatan: Option<String>,
    pub opd: Option<String>,
    pub jarak: Option<f64>,
    /// The row just saved (for the notice).
    pub tersimpan: Option<i64>,
    /// The page of rows, from 1.
    pub halaman: Option<usize>,
}

/// Rows on one page of the desk: a city's desk is thousands of rows, and a browser should not
/// have to lay out all of them to show the first.
const ROWS_PER_PAGE: usize = 50;
/// Unmatched Renja lines shown on the page; the export has them all.
const UNMATCHED_SHOWN: usize = 200;

/// What the page offers to choose the area from, by name.
struct AreaChoices {
    kota: Vec<(String, String)>,
    kecamatan: Vec<(String, String)>,
}

/// The rows of page `asked` (from 1, clamped), the page and the number of pages.
fn page_of<T>(rows: &[T], asked: Option<usize>) -> (&[T], usize, usize) {
    let pages = rows.len().div_ceil(ROWS_PER_PAGE).max(1);
    let page = asked.unwrap_or(1).clamp(1, pages);
    let start = (page - 1) * ROWS_PER_PAGE;
    let end = (start + ROWS_PER_PAGE).min(rows.len());
    (&rows[start.min(end)..end], page, pages)
}

fn area(lang: Lang, field: &str, raw: Option<&str>) -> Result<Option<WilayahKode>, WebError> {
    raw.map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| {
            WilayahKode::parse(r).map_err(|e| {
                WebError::new(
                    lang,
                    Message::InvalidKode {
                        field: field.to_owned(),
                        detail: e.to_string(),
                    }
                    .into(),
                )
            })
        })
        .transpose()
}

fn query_of(lang: Lang, q: &DeskPageQuery) -> Result<DeskQuery, WebError> {
    use chrono::Datelike as _;
    Ok(DeskQuery {
        tahun: q.tahun.unwrap_or_else(|| chrono::Utc::now().year() + 1),
        kota: area(lang, "kota", q.kota.as_deref())?,
        kecamatan: area(lang, "kecamatan", q.kecamatan.as_deref())?,
        opd: q.opd.clone().filter(|o| !o.trim().is_empty()),
        max_distance_m: q.jarak,
    })
}

/// The page's own address for a query (to come back to after a form).
fn here(q: &DeskQuery) -> String {
    let mut url = format!("/trilateral?tahun={}", q.tahun);
    for (k, v) in [
        ("kota", q.kota.as_ref().map(ToString::to_string)),
        ("kecamatan", q.kecamatan.as_ref().map(ToString::to_string)),
        ("opd", q.opd.clone()),
        ("jarak", q.max_distance_m.map(|d| d.to_string())),
    ] {
        if let Some(v) = v {
            let _ = write!(url, "&{k}={}", urlencode(&v));
        }
    }
    url
}

fn status_label(lang: Lang, status: &str) -> &'static str {
    match status {
        "covered" => lang.t("Sudah direncanakan", "Already planned"),
        "partial" => lang.t("Sebagian", "Partly planned"),
        _ => lang.t("Belum direncanakan", "Not planned"),
    }
}

fn outcome_label(lang: Lang, code: &str) -> String {
    OUTCOMES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map_or_else(|| code.to_owned(), |(_, id, en)| lang.t(id, en).to_owned())
}

fn totals_table(lang: Lang, title: &str, groups: &[GroupTotals]) -> Markup {
    html! {
        h2 { (title) }
        table.totals {
            thead { tr {
                th { (lang.t("Nama", "Name")) }
                th.num { (lang.t("Usulan", "Proposals")) }
                th.num { (lang.t("Sudah", "Planned")) }
                th.num { (lang.t("Sebagian", "Partly")) }
                th.num { (lang.t("Belum", "Not planned")) }
                th.num { (lang.t("Anggaran usulan", "Proposals' cost")) }
                th.num { (lang.t("Pagu Renja", "Renja pagu")) }
                th.num { (lang.t("Kekurangan", "Gap")) }
                th.num { (lang.t("Diputuskan", "Decided")) }
                @if groups.iter().any(|g| g.sent.is_some()) { th { "Kirim" } }
            } }
            tbody {
                @for g in groups {
                    tr {
                        td { (g.nama) }
                        td.num { (count(g.totals.proposals)) }
                        td.num { (count(g.totals.covered)) }
                        td.num { (count(g.totals.partial)) }
                        td.num { (count(g.totals.not_planned)) }
                        td.num { (rupiah(g.totals.proposals_rupiah)) }
                        td.num { (rupiah(g.renja_pagu)) }
                        td.num.gap { (rupiah(g.totals.gap_rupiah)) }
                        td.num { (count(g.totals.decided)) "/" (count(g.totals.proposals)) }
                        @match g.sent {
                            Some(true) => td { (lang.t("terkirim", "sent")) },
                            Some(false) => td { span.badge.sev-warning { (lang.t("belum dikirim", "not sent")) } },
                            None => {},
                        }
                    }
                }
            }
        }
    }
}

fn gap_text(lang: Lang, r: &DeskRow) -> String {
    match r.status.as_str() {
        "covered" => lang
            .t(
                "Sudah ada di Renja: risiko anggaran ganda",
                "Already in the Renja: double-funding risk",
            )
            .to_owned(),
        "partial" => {
            let volume = r
                .gap_volume
                .filter(|g| !g.is_zero())
                .map(|g| format!("{} {}, ", number(g), r.proposal.satuan))
                .unwrap_or_default();
            format!(
                "{} {volume}{}",
                lang.t("Kurang", "Short by"),
                rupiah(r.gap_rupiah)
            )
        }
        _ => format!(
            "{} {}",
            lang.t("Perlu alokasi", "Needs an allocation of"),
            rupiah(r.gap_rupiah)
        ),
    }
}

/// The refusal of one row's outcome form, shown beside that row with what was typed (nothing
/// typed is lost).
struct RowRefusal<'a> {
    proposal_id: i64,
    message: String,
    typed: &'a OutcomeForm,
}

/// The values an outcome form shows: what was typed when it was refused, else what is recorded.
struct OutcomeValues {
    outcome: String,
    agreed_volume: Option<String>,
    agreed_pagu: Option<String>,
    merged_into: Option<String>,
    renja_item_id: Option<String>,
    note: Option<String>,
}

impl OutcomeValues {
    fn of(r: &DeskRow, typed: Option<&OutcomeForm>) -> Self {
        if let Some(f) = typed {
            return Self {
                outcome: f.outcome.clone(),
                agreed_volume: Some(f.agreed_volume.clone()),
                agreed_pagu: Some(f.agreed_pagu.clone()),
                merged_into: Some(f.merged_into.clone()),
                renja_item_id: Some(f.renja_item_id.clone()),
                note: Some(f.note.clone()),
            };
        }
        let current = r.outcome.as_ref();
        Self {
            outcome: current.map_or_else(|| "diterima".to_owned(), |o| o.outcome.clone()),
            agreed_volume: current.and_then(|o| o.agreed_volume).map(number),
            agreed_pagu: current.and_then(|o| o.agreed_pagu).map(|p| p.to_string()),
            merged_into: current.and_then(|o| o.merged_into).map(|m| m.to_string()),
            renja_item_id: current
                .and_then(|o| o.renja_item_id)
                .or_else(|| r.renja.as_ref().map(|l| l.id))
                .map(|l| l.to_string()),
            note: current.and_then(|o| o.note.clone()),
        }
    }
}

fn row_forms(
    lang: Lang,
    csrf: &str,
    back: &str,
    r: &DeskRow,
    typed: Option<&OutcomeForm>,
) -> Markup {
    let id = r.proposal.id;
    let v = OutcomeValues::of(r, typed);
    let chosen = v.outcome.as_str();
    html! {
        details.outcome open[typed.is_some()] {
            summary { (lang.t("Catat hasil desk", "Record the desk's outcome")) }
            form method="post" action={ "/trilateral/usulan/" (id) "/hasil" } {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="version" value=(r.outcome_version);
                input type="hidden" name="kembali" value=(back);
                label { (lang.t("Hasil", "Outcome")) " "
                    select name="outcome" {
                        @for (code, id_label, en_label) in OUTCOMES {
                            option value=(code) selected[code == chosen] { (lang.t(id_label, en_label)) }
                        }
                    }
                }
                label { (lang.t(AGREED_VOLUME.0, AGREED_VOLUME.1)) " "
                    input name="agreed_volume" size="6" value=[v.agreed_volume];
                    " " (r.proposal.satuan)
                }
                label { (lang.t("Pagu disepakati (Rp)", "Agreed pagu (Rp)")) " "
                    input name="agreed_pagu" size="12" value=[v.agreed_pagu];
                }
                label { (lang.t(MERGED_INTO.0, MERGED_INTO.1)) " "
                    input name="merged_into" size="6" value=[v.merged_into];
                }
                label { (lang.t(RENJA_LINE.0, RENJA_LINE.1)) " "
                    input name="renja_item_id" size="6" value=[v.renja_item_id];
                }
                label.note { (lang.t("Catatan", "Note")) " "
                    input name="note" size="40" value=[v.note];
                }
                button.primary type="submit" { (lang.t("Simpan", "Save")) }
            }
            p.match {
                a href={ "/trilateral/usulan/" (id) "/padanan?kembali=" (urlencode(back)) } {
                    (lang.t("Ubah padanan Renja: pilih dari baris yang paling mirip", "Change the Renja match: choose from the closest lines"))
                }
            }
        }
    }
}

/// The Renja line beside a proposal, with its part of a package.
fn renja_cell(lang: Lang, r: &DeskRow) -> Markup {
    html! {
        @if let Some(l) = &r.renja {
            small { (l.kode_sub_kegiatan) } br;
            (l.uraian.as_deref().unwrap_or(&l.nama_sub_kegiatan))
            br; small {
                @if let Some(t) = l.target { (number(t)) " " (l.satuan.as_deref().unwrap_or_default()) " · " }
                (rupiah(l.pagu)) " · ID " (l.id)
            }
            @if let Some(k) = &r.package {
                br; small.package {
                    (lang.t("Paket: satu baris untuk", "Package: one line for")) " " (k.proposals.len()) " " (lang.t("usulan", "proposals")) " ("
                    @for (i, other) in k.proposals.iter().enumerate() {
                        @if i > 0 { ", " }
                        a href={ "#usulan-" (other) } { "#" (other) }
                    }
                    "); " (lang.t("bagian usulan ini", "this proposal's part")) ": "
                    @if let Some(t) = k.target_share { (number(t)) " " (l.satuan.as_deref().unwrap_or_default()) " · " }
                    (rupiah(k.pagu_share))
                }
            }
        } @else { "—" }
    }
}

/// The Renja lines no proposal matches (the first ones; the export has them all).
fn unmatched_table(lang: Lang, desk: &Desk) -> Markup {
    html! {
    h2 { (lang.t("Renja tanpa usulan padanan", "Renja lines no proposal matches")) }
    @if desk.unmatched_renja.is_empty() {
        p { (lang.t("Tidak ada.", "None.")) }
    } @else {
        table.unmatched {
            thead { tr {
                th { "ID" } th { "OPD" } th { (lang.t("Sub kegiatan / uraian", "Sub-activity / line")) }
                th { (lang.t("Lokasi", "Location")) } th.num { "Target" } th.num { "Pagu" }
            } }
            tbody {
                @for l in desk.unmatched_renja.iter().take(UNMATCHED_SHOWN) {
                    tr {
                        td { (l.id) }
                        td { (l.opd_kode) }
                        td { small { (l.kode_sub_kegiatan) } br; (l.uraian.as_deref().unwrap_or(&l.nama_sub_kegiatan)) }
                        td { (l.kelurahan.as_deref().or(l.kecamatan.as_deref()).or(l.lokasi.as_deref()).unwrap_or("kota")) }
                        td.num { @if let Some(t) = l.target { (number(t)) " " (l.satuan.as_deref().unwrap_or_default()) } }
                        td.num { (rupiah(l.pagu)) }
                    }
                }
            }
        }
    }
        @if desk.unmatched_renja.len() > UNMATCHED_SHOWN {
            p.hint { (desk.unmatched_renja.len() - UNMATCHED_SHOWN) " " (lang.t("baris lagi: lihat ekspor XLSX atau CSV.", "more lines: see the XLSX or CSV export.")) }
        }
    }
}

/// What the page shows around the desk itself.
struct View<'a> {
    notice: Option<Markup>,
    can_write: bool,
    refusal: Option<&'a RowRefusal<'a>>,
    page: Option<usize>,
    areas: AreaChoices,
}

fn render(ctx: &Ctx, csrf: &str, desk: &Desk, q: &DeskQuery, view: View<'_>) -> Response {
    let View {
        notice,
        can_write,
        refusal,
        page: asked,
        areas,
    } = view;
    let lang = ctx.lang;
    let (rows, shown, pages) = page_of(&desk.rows, asked);
    let listed = here(q);
    let back = format!("{listed}&halaman={shown}");
    let export =
        |format: &str| back.replacen("/trilateral?", &format!("/trilateral/ekspor/{format}?"), 1);
    let title = format!(
        "{} {}",
        lang.t("Desk Trilateral", "Trilateral desk"),
        desk.tahun
    );
    let body = html! {
        h1 { (title) }
        p.lead { (lang.t(
            "Usulan yang disetujui camat dibandingkan dengan Renja OPD: sasaran, lokasi dan pagu.",
            "The proposals the camat approved beside the agencies' Renja: target, location and pagu.")) }
        @if let Some(n) = notice { (n) }
        form.filters method="get" action="/trilateral" {
            label { (lang.t("Tahun", "Year")) " " input name="tahun" size="5" value=(desk.tahun); }
            label { "Kota "
                select name="kota" {
                    option value="" { (lang.t("Semua", "All")) }
                    @for (kode, nama) in &areas.kota {
                        option value=(kode) selected[q.kota.as_ref().is_some_and(|k| k.as_str() == kode)] { (nama) }
                    }
                }
            }
            label { "Kecamatan "
                select name="kecamatan" {
                    option value="" { (lang.t("Semua", "All")) }
                    @for (kode, nama) in &areas.kecamatan {
                        option value=(kode) selected[q.kecamatan.as_ref().is_some_and(|k| k.as_str() == kode)] { (nama) }
                    }
                }
            }
            label { "OPD "
                select name="opd" {
                    option value="" { (lang.t("Semua", "All")) }
                    @for g in desk.per_opd.iter().filter(|g| g.kode != "-") {
                        option value=(g.kode) selected[q.opd.as_deref() == Some(g.kode.as_str())] { (g.nama) }
                    }
                }
            }
            label { (lang.t("Jarak padanan (m)", "Match distance (m)")) " " input name="jarak" size="5" value=(desk.max_distance_m); }
            button type="submit" { (lang.t("Tampilkan", "Show")) }
            a href=(export("xlsx")) { "XLSX" }
            a href=(export("csv")) { "CSV" }
        }
        p.total {
            (count(desk.total.proposals)) " " (lang.t("usulan", "proposals")) ": "
            (count(desk.total.covered)) " " (lang.t("sudah direncanakan", "already planned")) ", "
            (count(desk.total.partial)) " " (lang.t("sebagian", "partly")) ", "
            (count(desk.total.not_planned)) " " (lang.t("belum", "not planned")) "; "
            (lang.t("kekurangan", "gap")) " " strong { (rupiah(desk.total.gap_rupiah)) }
            " · " (lang.t("padanan dalam", "matched within")) " " (desk.max_distance_m) " m"
        }
        (totals_table(lang, lang.t("Per OPD", "Per agency"), &desk.per_opd))
        (totals_table(lang, lang.t("Per kecamatan", "Per kecamatan"), &desk.per_kecamatan))
        h2 { (lang.t("Usulan dan Renja", "Proposals and Renja")) }
        table.desk {
            thead { tr {
                th { (lang.t("Usulan", "Proposal")) }
                th { "OPD" }
                th { (lang.t("Status", "Status")) }
                th { (lang.t("Baris Renja", "Renja line")) }
                th { (lang.t("Dasar padanan", "Why matched")) }
                th { (lang.t("Hasil desk", "Desk outcome")) }
            } }
            tbody {
                @for r in rows {
                    tr id={ "usulan-" (r.proposal.id) } class={ "st-" (r.status) } {
                        td {
                            a href={ "/usulan/" (r.proposal.id) } { "#" (r.proposal.id) } " " (r.proposal.usulan)
                            @if let Some(l) = &r.proposal.lokasi { br; small { (l) } }
                            br; small { (r.proposal.kelurahan) ", " (r.proposal.kecamatan) }
                            br; (number(r.proposal.volume)) " " (r.proposal.satuan) " · " (rupiah(r.proposal.rupiah))
                        }
                        td {
                            @match &r.opd {
                                Some(o) => { (o.singkatan.as_deref().unwrap_or(&o.kode)) }
                                None => { span.badge.sev-warning { (lang.t("OPD tidak dikenal", "Unknown agency")) }
                                          @if let Some(p) = &r.opd_problem { br; small { (p) } } }
                            }
                        }
                        td {
                            span class={ "badge st-" (r.status) } { (status_label(lang, &r.status)) }
                            br; small { (gap_text(lang, r)) }
                        }
                        td { (renja_cell(lang, r)) }
                        td {
                            @if let Some(e) = &r.evidence {
                                (lang.t(&e.explanation_id, &e.explanation_en))
                                @if let Some(n) = &e.override_note { br; small { (n) } }
                            }
                        }
                        td {
                            @if let Some(o) = &r.outcome {
                                strong { (outcome_label(lang, &o.outcome)) }
                                @if o.provisional {
                                    " " span.badge.provisional title=(lang.t("Dicatat sebelum kecamatan mengirim daftarnya (Kirim): usulan masih dapat berubah.", "Recorded before the kecamatan sent its list (Kirim): the proposal may still change.")) { (lang.t("sementara", "provisional")) }
                                }
                                @if let (Some(v), Some(p)) = (o.agreed_volume, o.agreed_pagu) {
                                    br; small { (number(v)) " " (r.proposal.satuan) " · " (rupiah(p)) }
                                }
                                @if let Some(m) = o.merged_into { br; small { (lang.t("digabung dengan", "merged with")) " #" (m) } }
                                @if let Some(n) = &o.note { br; small { (n) } }
                                br; small.muted { (o.decided_by) ", " (wib_time(o.decided_at)) }
                            }
                            @let refused = refusal.filter(|f| f.proposal_id == r.proposal.id);
                            @if let Some(f) = refused {
                                p.alert.error role="alert" { (lang.t("Belum tersimpan: ", "Not saved: ")) (f.message) }
                            }
                            @if can_write { (row_forms(lang, csrf, &back, r, refused.map(|f| f.typed))) }
                        }
                    }
                }
            }
        }
        @if pages > 1 {
            nav.pages {
                @if shown > 1 { a rel="prev" href={ (listed) "&halaman=" (shown - 1) } { "‹ " (lang.t("Sebelumnya", "Previous")) } }
                span { (lang.t("Halaman", "Page")) " " (shown) " / " (pages) " · " (count(desk.rows.len())) " " (lang.t("usulan", "proposals")) }
                @if shown < pages { a rel="next" href={ (listed) "&halaman=" (shown + 1) } { (lang.t("Berikutnya", "Next")) " ›" } }
            }
        }
        (unmatched_table(lang, desk))
    };
    page(ctx, &title, None, false, &body)
}

pub use choose::{choose_page, record_match};

pub async fn desk_page(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<DeskPageQuery>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    let notice = q.tersimpan.map(|id| {
        html! { p.alert.saved role="status" { (lang.t("Tersimpan: usulan", "Saved: proposal")) " #" (id) } }
    });
    show_desk(&state, &ctx, &session, &q, notice, None).await
}

/// The desk for a query, with a notice on top and a refused row's form shown again.
async fn show_desk(
    state: &AppState,
    ctx: &Ctx,
    session: &WebSession,
    q: &DeskPageQuery,
    notice: Option<Markup>,
    refusal: Option<&RowRefusal<'_>>,
) -> PageResult {
    let lang = ctx.lang;
    let query = query_of(lang, q)?;
    let desk = trilateral::desk(&state.pool, &session.user, &query)
        .await
        .map_err(|e| WebError::new(lang, e.into()))?;
    let can_write = matches!(session.user.role, Role::Opd | Role::Admin);
    // The kota of the desk's provinsi and the kecamatan of its kota, by name.
    let kota = query
        .kota
        .clone()
        .or_else(|| WilayahKode::parse(&desk.kota).ok());
    let children = |parent: Option<WilayahKode>| async move {
        match parent {
            Some(p) => tinjau_workflows::areas::children_readable(&state.pool, &session.user, &p)
                .await
                .map_err(|e| WebError::new(lang, e.into())),
            None => Ok(Vec::new()),
        }
    };
    let areas = AreaChoices {
        kota: children(
            kota.as_ref()
                .and_then(|k| k.ancestor(survey_schema::WilayahLevel::Provinsi)),
        )
        .await?,
        kecamatan: children(kota).await?,
    };
    let view = View {
        notice,
        can_write,
        refusal,
        page: q.halaman,
        areas,
    };
    Ok(render(ctx, &session.csrf, &desk, &query, view))
}

#[derive(Debug, Deserialize)]
pub struct OutcomeForm {
    pub csrf: String,
    pub version: i32,
    pub kembali: String,
    pub outcome: String,
    #[serde(default)]
    pub agreed_volume: String,
    #[serde(default)]
    pub agreed_pagu: String,
    #[serde(default)]
    pub merged_into: String,
    #[serde(default)]
    pub renja_item_id: String,
    #[serde(default)]
    pub note: String,
}

/// An optional whole number typed into a form (`1.250.000` and `Rp 1.250.000` read as 1250000).
/// The forms' fields as their labels name them (Indonesian, English), for the messages about them.
const AGREED_VOLUME: (&str, &str) = ("Volume disepakati", "Agreed volume");
const AGREED_PAGU: (&str, &str) = ("Pagu disepakati", "Agreed pagu");
const MERGED_INTO: (&str, &str) = ("Digabung dengan usulan", "Merged with proposal");
const RENJA_LINE: (&str, &str) = ("Baris Renja", "Renja line");

fn whole(field: (&str, &str), raw: &str) -> Result<Option<i64>, Refusal> {
    let digits: String = raw
        .chars()
        .filter(|c| !matches!(c, '.' | ' ' | 'R' | 'p'))
        .collect();
    if digits.is_empty() {
        return Ok(None);
    }
    digits.parse().map(Some).map_err(|_| {
        Refusal::from(Message::InvalidForm {
            detail: Both {
                id: format!("{}: '{raw}' bukan bilangan bulat.", field.0),
                en: format!("{}: '{raw}' is not a whole number.", field.1),
            },
        })
    })
}

/// The desk's address a form came from (only a desk address is followed).
fn desk_path(kembali: &str) -> String {
    let back = local_path(Some(kembali));
    if back.starts_with("/trilateral") {
        back
    } else {
        "/trilateral".to_owned()
    }
}

fn page_back(kembali: &str, id: i64) -> String {
    let back = desk_path(kembali);
    let sep = if back.contains('?') { '&' } else { '?' };
    format!("{back}{sep}tersimpan={id}#usulan-{id}")
}

/// A refusal shown on an error page that keeps the way back to the desk.
fn refused(lang: Lang, e: WorkflowError) -> WebError {
    WebError::new(lang, e.into())
}

/// A row's form answered: recorded, back to the desk it came from at that row; refused, that desk
/// again with the refusal beside the row and the form open with what was typed, answered with the
/// refusal's status. A caller who may not see the row, a row that is gone, and our own failures get
/// an error page.
async fn back_to_desk(
    state: &AppState,
    ctx: &Ctx,
    session: &WebSession,
    proposal_id: i64,
    typed: &OutcomeForm,
    recorded: Result<(), WorkflowError>,
) -> PageResult {
    let lang = ctx.lang;
    let refusal = match recorded {
        Ok(()) => return Ok(Redirect::to(&page_back(&typed.kembali, proposal_id)).into_response()),
        Err(WorkflowError::Refused(r))
            if !matches!(r.kind(), RefusalKind::Forbidden | RefusalKind::NotFound) =>
        {
            AppError::from(r)
        }
        Err(e) => return Err(refused(lang, e)),
    };
    let (status, _, en, id) = refusal.parts();
    let uri: axum::http::Uri = desk_path(&typed.kembali)
        .parse()
        .unwrap_or_else(|_| axum::http::Uri::from_static("/trilateral"));
    let Query(q) = Query::<DeskPageQuery>::try_from_uri(&uri).unwrap_or_default();
    let message = lang.t(&id, &en).to_owned();
    let notice = html! {
        p.alert.error role="alert" {
            (lang.t("Belum tersimpan: usulan", "Not saved: proposal")) " "
            a href={ "#usulan-" (proposal_id) } { "#" (proposal_id) } " — " (message)
        }
    };
    let row = RowRefusal {
        proposal_id,
        message,
        typed,
    };
    let mut response = show_desk(state, ctx, session, &q, Some(notice), Some(&row)).await?;
    *response.status_mut() = status;
    Ok(response)
}

/// The outcome the form asks for (its numbers read as a person types them).
fn outcome_request(form: &OutcomeForm) -> Result<OutcomeRequest, Refusal> {
    let changes = form.outcome == "diterima_dengan_perubahan";
    let agreed_volume = if changes {
        let typed = form.agreed_volume.trim();
        let volume = super::pages::typed_decimal(typed);
        if volume.is_none() && !typed.is_empty() {
            return Err(Refusal::from(Message::InvalidForm {
                detail: Both {
                    id: format!("{}: '{typed}' bukan angka.", AGREED_VOLUME.0),
                    en: format!("{}: '{typed}' is not a number.", AGREED_VOLUME.1),
                },
            }));
        }
        volume
    } else {
        None
    };
    Ok(OutcomeRequest {
        outcome: form.outcome.clone(),
        agreed_volume,
        agreed_pagu: if changes {
            whole(AGREED_PAGU, &form.agreed_pagu)?
        } else {
            None
        },
        merged_into: if form.outcome == "digabungkan" {
            whole(MERGED_INTO, &form.merged_into)?
        } else {
            None
        },
        renja_item_id: if form.outcome.starts_with("diterima") {
            whole(RENJA_LINE, &form.renja_item_id)?
        } else {
            None
        },
        note: Some(form.note.trim().to_owned()).filter(|n| !n.is_empty()),
    })
}

pub async fn record_outcome(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(raw): Path<String>,
    Form(form): Form<OutcomeForm>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    super::pages::check_csrf(lang, &session, &form.csrf)?;
    let id = super::pages::parse_id(lang, &raw)?;
    let seen = tinjau_domain::Seen::version(form.version);
    let recorded = match outcome_request(&form) {
        Ok(request) => trilateral::record::outcome(&state.pool, &session.user, id, &seen, &request)
            .await
            .map(|_| ()),
        Err(r) => Err(r.into()),
    };
    back_to_desk(&state, &ctx, &session, id, &form, recorded).await
}

pub async fn export(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(format): Path<String>,
    Query(q): Query<DeskPageQuery>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    let query = query_of(lang, &q)?;
    let made = trilateral::export::file(&state.pool, &session.user, &query, &format)
        .await
        .map_err(|e| refused(lang, e))?;
    Ok(crate::respond::attachment(made))
}

#[cfg(test)]
mod tests {
    use super::{OutcomeForm, ROWS_PER_PAGE, outcome_request, page_of};

    #[test]
    fn a_refused_number_is_named_by_its_fields_label_in_both_languages() {
        let form = OutcomeForm {
            csrf: String::new(),
            version: 0,
            kembali: String::new(),
            outcome: "diterima_dengan_perubahan".into(),
            agreed_volume: "200".into(),
            agreed_pagu: "tiga puluh juta".into(),
            merged_into: String::new(),
            renja_item_id: String::new(),
            note: String::new(),
        };
        let refused = outcome_request(&form).unwrap_err();
        assert!(
            refused
                .id()
                .starts_with("Pagu disepakati: 'tiga puluh juta'"),
            "{}",
            refused.id()
        );
        assert!(refused.en().starts_with("Agreed pagu:"), "{}", refused.en());
        assert!(!refused.id().contains("agreed_pagu"));
    }

    #[test]
    fn a_page_of_rows_is_clamped_to_the_pages_there_are() {
        let rows: Vec<usize> = (0..ROWS_PER_PAGE * 2 + 3).collect();
        let (first, page, pages) = page_of(&rows, None);
        assert_eq!((first.len(), page, pages), (ROWS_PER_PAGE, 1, 3));
        let (last, page, _) = page_of(&rows, Some(99));
        assert_eq!((last, page), (&rows[ROWS_PER_PAGE * 2..], 3));
        let empty: Vec<usize> = Vec::new();
        assert_eq!(page_of(&empty, Some(0)), (&empty[..], 1, 1));
    }
}
