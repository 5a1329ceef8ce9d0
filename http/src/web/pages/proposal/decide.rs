//! The decision form of the proposal's page, and what its POST does.

#[allow(clippy::wildcard_imports)]
use super::*;

/// A decision as the camat typed it, shown again when it was refused: nothing typed is lost, and
/// the message stands beside the field it is about.
#[derive(Debug, Default)]
pub(super) struct Typed {
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
pub(super) struct FormContext<'a> {
    pub(super) item: &'a ReviewItem,
    pub(super) csrf: &'a str,
    pub(super) daftar: Option<&'a str>,
    pub(super) typed: Option<&'a Typed>,
}

/// The decision form: as typed after a refusal; else with the suggestion filled in, and no
/// action chosen beforehand on a proposal with a high-severity finding.
pub(super) fn decision_form(lang: Lang, f: &FormContext<'_>) -> Markup {
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
pub(super) fn corrected_volume(
    lang: Lang,
    item: &ReviewItem,
    csrf: &str,
    may_decide: bool,
) -> Markup {
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
