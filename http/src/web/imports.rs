//! Imports in the pages, for an admin: the recent imports with their counts, and a file upload
//! for each kind (proposals, prices, boundaries, Renja, the agency register) that answers as the
//! console does — the counts, or every refused row by row and column, nothing imported.

use axum::extract::{Multipart, State};
use axum::response::Response;
use maud::{Markup, html};
use survey_schema::{WilayahKode, WilayahLevel};

use super::i18n::{Lang, wib_time};
use super::layout::page;
use super::{Ctx, SignedIn, WebError};
use tinjau_domain::messages::{Both, Message};
use tinjau_workflows::app::AppState;
use tinjau_workflows::import::uploads::{self, Upload, Uploaded};
use tinjau_workflows::import::{ImportError, InputFile};
use tinjau_workflows::refusal::WorkflowError;
use tinjau_workflows::sessions::WebSession;

type PageResult = Result<Response, WebError>;

/// The largest file a form takes (as the admin API).
pub const MAX_UPLOAD_BYTES: usize = crate::routes::admin::MAX_IMPORT_BYTES;

/// The kinds, as the forms name them, with their labels.
const KINDS: [(&str, &str, &str); 5] = [
    (
        "proposals",
        "Usulan (Formulir 3 atau SIPD)",
        "Proposals (Form 3 or SIPD)",
    ),
    (
        "prices",
        "Standar harga (SSH/HSPK)",
        "Price standard (SSH/HSPK)",
    ),
    (
        "boundaries",
        "Batas wilayah (GeoJSON)",
        "Boundaries (GeoJSON)",
    ),
    ("renja", "Renja OPD", "An agency's Renja"),
    ("opd", "Daftar OPD", "Agency register"),
];

/// What the page says after an upload, beside its form.
struct Answer {
    kind: String,
    ok: bool,
    lines: Vec<String>,
}

fn form_for(lang: Lang, csrf: &str, kind: &str, label: &str) -> Markup {
    html! {
        form.upload method="post" action="/admin/impor" enctype="multipart/form-data" id={ "impor-" (kind) } {
            h3 { (label) }
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="kind" value=(kind);
            @match kind {
                "proposals" => {
                    label { (lang.t("Tahun", "Year")) " " input name="tahun" size="5" required pattern="[0-9]{4}"; }
                    label.check { input type="checkbox" name="skip_invalid" value="1"; " " (lang.t("impor baris yang benar, sisihkan yang salah", "import the good rows, set the bad aside")) }
                }
                "prices" => {
                    label { (lang.t("Wilayah (kode)", "Region (code)")) " " input name="region" size="8" required placeholder="32.18"; }
                    label { (lang.t("Tahun", "Year")) " " input name="tahun" size="5" required pattern="[0-9]{4}"; }
                }
                "boundaries" => {
                    label { (lang.t("Tingkat", "Level")) " "
                        select name="level" {
                            option value="kelurahan" { "Kelurahan/desa" }
                            option value="kecamatan" { "Kecamatan" }
                            option value="kota" { "Kota/kabupaten" }
                        }
                    }
                }
                "renja" => {
                    label { "OPD " input name="opd" size="18" required placeholder="sudin-sda-jp"; }
                    label { (lang.t("Tahun", "Year")) " " input name="tahun" size="5" required pattern="[0-9]{4}"; }
                    label.check { input type="checkbox" name="skip_invalid" value="1"; " " (lang.t("impor baris yang benar, sisihkan yang salah", "import the good rows, set the bad aside")) }
                }
                _ => {}
            }
            label { (lang.t("Berkas", "File")) " " input type="file" name="file" required; }
            button type="submit" { (lang.t("Impor", "Import")) }
        }
    }
}

async fn render(
    state: &AppState,
    ctx: &Ctx,
    session: &WebSession,
    answer: Option<&Answer>,
) -> PageResult {
    let lang = ctx.lang;
    let recent = uploads::recent(&state.pool, 50)
        .await
        .map_err(|e| WebError::new(lang, WorkflowError::from(e).into()))?;
    let title = lang.t("Impor data", "Imports");
    let body = html! {
        h1 { (title) }
        p.lead { (lang.t(
            "Setiap impor berjalan seperti perintah tinjau import: semua atau tidak sama sekali, dan berkas yang sama dua kali tidak mengubah apa pun.",
            "Each import runs as `tinjau import` does: all or nothing, and the same file twice changes nothing.")) }
        div.uploads {
            @for (kind, id_label, en_label) in KINDS {
                section.upload {
                    (form_for(lang, &session.csrf, kind, lang.t(id_label, en_label)))
                    @if let Some(a) = answer.filter(|a| a.kind == kind) {
                        @if a.ok {
                            div.alert.saved role="status" { @for l in &a.lines { p { (l) } } }
                        } @else {
                            div.alert.error role="alert" {
                                p { strong { (lang.t("Tidak ada yang diimpor:", "Nothing was imported:")) } }
                                ul.problems { @for l in &a.lines { li { (l) } } }
                            }
                        }
                    }
                }
            }
        }
        h2 { (lang.t("Impor terakhir", "Recent imports")) }
        table.imports {
            thead { tr {
                th { (lang.t("Waktu", "When")) } th { (lang.t("Jenis", "Kind")) } th { (lang.t("Berkas", "File")) }
                th.num { (lang.t("Baris", "Rows")) } th.num { (lang.t("Baru", "New")) } th.num { (lang.t("Diubah", "Changed")) } th.num { (lang.t("Sama", "Same")) }
            } }
            tbody {
                @for i in &recent {
                    tr {
                        td data-label=(lang.t("Waktu", "When")) { (wib_time(i.imported_at)) }
                        td data-label=(lang.t("Jenis", "Kind")) { (i.kind) }
                        td data-label=(lang.t("Berkas", "File")) { (i.source) br; small.muted { "SHA-256 " (i.sha256.get(..12).unwrap_or_default()) "…" } }
                        td.num data-label=(lang.t("Baris", "Rows")) { (i.rows_total) }
                        td.num data-label=(lang.t("Baru", "New")) { (i.inserted) }
                        td.num data-label=(lang.t("Diubah", "Changed")) { (i.updated) }
                        td.num data-label=(lang.t("Sama", "Same")) { (i.unchanged) }
                    }
                }
            }
        }
    };
    Ok(page(ctx, title, None, false, &body))
}

/// `GET /admin/impor`.
pub async fn imports_page(State(state): State<AppState>, signed: SignedIn) -> PageResult {
    let SignedIn { ctx, session } = signed;
    super::accounts::admin_only(ctx.lang, &session)?;
    render(&state, &ctx, &session, None).await
}

/// The form's fields and its file.
#[derive(Debug, Default)]
struct Sent {
    fields: std::collections::HashMap<String, String>,
    file: Option<InputFile>,
}

async fn read_form(lang: Lang, mut multipart: Multipart) -> Result<Sent, WebError> {
    let bad = |detail: String| {
        WebError::new(
            lang,
            Message::InvalidForm {
                detail: Both {
                    id: detail.clone(),
                    en: detail,
                },
            }
            .into(),
        )
    };
    let mut sent = Sent::default();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| bad(format!("upload: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("upload").to_owned();
            let bytes = field
                .bytes()
                .await
                .map_err(|e| bad(format!("upload: {e}")))?;
            if !bytes.is_empty() {
                sent.file = Some(InputFile::from_bytes(&file_name, bytes.to_vec()));
            }
        } else {
            let value = field
                .text()
                .await
                .map_err(|e| bad(format!("{name}: {e}")))?;
            sent.fields.insert(name, value.trim().to_owned());
        }
    }
    Ok(sent)
}

/// The upload the form asks for, or what is wrong with its fields.
fn upload_of(sent: &Sent) -> Result<Upload, String> {
    let get = |k: &str| sent.fields.get(k).map(String::as_str).unwrap_or_default();
    let tahun = || -> Result<i32, String> {
        get("tahun")
            .parse()
            .map_err(|_| format!("Tahun/Year: '{}'", get("tahun")))
    };
    let skip_invalid = !get("skip_invalid").is_empty();
    match get("kind") {
        "proposals" => Ok(Upload::Proposals {
            tahun: tahun()?,
            skip_invalid,
        }),
        "prices" => Ok(Upload::Prices {
            region: WilayahKode::parse(get("region")).map_err(|e| format!("Wilayah: {e}"))?,
            tahun: tahun()?,
        }),
        "boundaries" => Ok(Upload::Boundaries {
            level: match get("level") {
                "kecamatan" => WilayahLevel::Kecamatan,
                "kota" => WilayahLevel::Kota,
                _ => WilayahLevel::Kelurahan,
            },
        }),
        "renja" => Ok(Upload::Renja {
            opd: get("opd").to_owned(),
            tahun: tahun()?,
            skip_invalid,
        }),
        "opd" => Ok(Upload::Opd),
        other => Err(format!("'{other}'?")),
    }
}

/// `POST /admin/impor`: the import's counts, or every problem, beside its form (422).
pub async fn upload(
    State(state): State<AppState>,
    signed: SignedIn,
    multipart: Multipart,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    super::accounts::admin_only(lang, &session)?;
    let sent = read_form(lang, multipart).await?;
    super::pages::check_csrf(
        lang,
        &session,
        sent.fields
            .get("csrf")
            .map(String::as_str)
            .unwrap_or_default(),
    )?;
    let kind = sent.fields.get("kind").cloned().unwrap_or_default();
    let outcome = match (upload_of(&sent), sent.file) {
        (Err(e), _) => Err(vec![e]),
        (Ok(_), None) => Err(vec![
            lang.t("Pilih berkasnya.", "Choose the file.").to_owned(),
        ]),
        (Ok(what), Some(file)) => {
            let index = state.index.get();
            uploads::upload(&state.pool, &index, &session.user.actor(), &what, file)
                .await
                .map_err(|e| match e {
                    ImportError::Rows { problems, .. } => {
                        problems.iter().map(ToString::to_string).collect()
                    }
                    other => other.to_string().lines().map(str::to_owned).collect(),
                })
        }
    };
    let answer = match outcome {
        Ok(done) => Answer {
            kind,
            ok: true,
            lines: said(lang, &done),
        },
        Err(lines) => Answer {
            kind,
            ok: false,
            lines,
        },
    };
    let failed = !answer.ok;
    let mut response = render(&state, &ctx, &session, Some(&answer)).await?;
    if failed {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

fn said(lang: Lang, done: &Uploaded) -> Vec<String> {
    let c = &done.counts;
    let mut lines = vec![format!(
        "{} {}: {} {}, {} {}, {} {}",
        c.total,
        lang.t("baris", "rows"),
        c.inserted,
        lang.t("baru", "new"),
        c.updated,
        lang.t("diubah", "changed"),
        c.unchanged,
        lang.t("sama", "the same"),
    )];
    if !done.rejected.is_empty() {
        lines.push(format!(
            "{} {}",
            done.rejected.len(),
            lang.t("baris disisihkan:", "rows set aside:")
        ));
        lines.extend(done.rejected.iter().take(50).cloned());
    }
    if !done.notes.is_empty() {
        lines.push(lang.t("Periksa:", "Check:").to_owned());
        lines.extend(done.notes.iter().take(50).cloned());
    }
    lines
}
