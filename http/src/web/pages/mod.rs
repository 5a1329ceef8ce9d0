//! The pages themselves. Each handler reads through the same workflow the API uses, with the
//! signed-in person as the caller, and renders what it gets.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;
use survey_schema::{
    DecisionRequest, DecisionStatus, RejectReason, ReviewItem, Role, Severity, SurveyBrief,
    SurveyStatus, WilayahKode, WilayahLevel,
};
use uuid::Uuid;

use super::i18n::{Lang, count, number, rupiah, wib_time};
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

mod field;
mod forum;
mod map;
mod photos;
mod proposal;
mod review_list;
mod sending;
mod sign_in;
mod tracking;

pub use field::{assign_kelurahan, assign_proposal, send_back, void_survey};
pub use forum::{forum_page, save_forum};
pub use map::{map_data, map_page};
pub use photos::{photo, thumbnail};
pub use proposal::{decide, proposal_page};
pub(crate) use proposal::{parse_id, typed_decimal};
pub use review_list::{bulk_approve, review_page};
pub use sending::{form_file, kirim, kirim_page};
pub use sign_in::{home, sign_in, sign_in_page, sign_out};
pub use tracking::public_page;

// What several pages use: the query of a year, the kecamatan in an address, labels.

#[derive(Debug, Deserialize, Default)]
pub struct YearQuery {
    pub tahun: Option<i32>,
}

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
        SurveyStatus::SentBack => lang.t(
            "Dikembalikan untuk survei ulang",
            "Sent back for another visit",
        ),
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
