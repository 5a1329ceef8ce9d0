//! The technical team's work in the pages: who surveys a proposal (or a kelurahan's), a survey sent
//! back for another visit, a survey voided. Each form posts to the one workflow the API uses.

#[allow(clippy::wildcard_imports)]
use super::*;
use tinjau_workflows::field_work::{self, AssignTo, Which};

/// What a field-work form just did (shown once, after its redirect).
pub(super) fn done_notice(lang: Lang, done: &str) -> Option<Markup> {
    let said = match done {
        "ditugaskan" => lang.t("Penugasan tersimpan.", "Assignment saved."),
        "dikembalikan" => lang.t(
            "Survei dikembalikan: usulan kembali ke ponsel surveyor dengan alasan Anda.",
            "Survey sent back: the proposal is back on the surveyors' phones with your reason.",
        ),
        "dibatalkan" => lang.t(
            "Survei dibatalkan: tidak lagi menjadi bukti; tetap tersimpan dalam riwayat.",
            "Survey voided: no longer evidence; it stays in the history.",
        ),
        _ => return None,
    };
    Some(html! { p.alert.saved role="status" { (said) } })
}

/// The field-work section of a proposal's page, for the camat while the list is not sent.
pub(super) fn section(
    lang: Lang,
    item: &ReviewItem,
    csrf: &str,
    surveyors: &[(String, Option<String>)],
) -> Markup {
    let teams: std::collections::BTreeSet<&str> =
        surveyors.iter().filter_map(|(_, t)| t.as_deref()).collect();
    html! {
        section.field #lapangan {
            h2 { (lang.t("Survei lapangan", "Field work")) }
            @if let Some(reason) = &item.resurvey_reason {
                p.alert.stale { strong { (lang.t("Dikembalikan untuk survei ulang: ", "Sent back for another visit: ")) } "“" (reason) "”" }
            }
            p { (lang.t("Ditugaskan kepada: ", "Assigned to: ")) strong { (item.assigned_to.as_deref().unwrap_or(lang.t("siapa saja di kecamatan", "anyone of the kecamatan"))) } }
            form.assign method="post" action={ "/usulan/" (item.id) "/tugaskan" } {
                input type="hidden" name="csrf" value=(csrf);
                label { (lang.t("Surveyor", "Surveyor")) " "
                    select name="surveyor" {
                        option value="" { "—" }
                        @for (name, team) in surveyors {
                            option value=(name) selected[item.assigned_to.as_deref() == Some(name)] { (name) @if let Some(t) = team { " (" (t) ")" } }
                        }
                    }
                }
                label { (lang.t("atau tim", "or team")) " "
                    input name="team" list="tim" size="14" maxlength="64" value=[item.assigned_to.as_deref().filter(|a| !surveyors.iter().any(|(name, _)| name == a))];
                    datalist #tim { @for t in &teams { option value=(t) {} } }
                }
                button type="submit" { (lang.t("Tugaskan", "Assign")) }
            }
            @if let Some(s) = &item.survey {
                @if item.resurvey_reason.is_none() {
                    form.send-back method="post" action={ "/usulan/" (item.id) "/survei-ulang" } {
                        input type="hidden" name="csrf" value=(csrf);
                        label { (lang.t("Minta survei ulang, dengan alasan untuk surveyor", "Ask for another visit, with a reason for the surveyor"))
                            textarea name="alasan" rows="2" maxlength="2000" required {} }
                        button type="submit" { (lang.t("Kembalikan survei", "Send the survey back")) }
                    }
                }
                details.void {
                    summary { (lang.t("Survei ini untuk usulan lain? Batalkan survei", "Is this survey of another proposal? Void it")) }
                    form method="post" action={ "/usulan/" (item.id) "/batalkan-survei" } {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="survey" value=(s.id);
                        label { (lang.t("Alasan pembatalan", "Why it is voided"))
                            textarea name="alasan" rows="2" maxlength="2000" required {} }
                        p.hint { (lang.t("Survei tetap tersimpan dalam riwayat dan jejak audit, fotonya disimpan; temuannya tidak lagi dipakai dan usulan menjadi belum disurvei.", "The survey stays in the history and the audit trail, its photos kept; its findings no longer count and the proposal is unsurveyed again.")) }
                        button type="submit" { (lang.t("Batalkan survei", "Void the survey")) }
                    }
                }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub surveyor: String,
    #[serde(default)]
    pub team: String,
}

impl AssignForm {
    fn to(&self) -> AssignTo {
        match (self.surveyor.trim(), self.team.trim()) {
            ("", "") => AssignTo::Nobody,
            ("", team) => AssignTo::Team(team.to_owned()),
            (surveyor, _) => AssignTo::Surveyor(surveyor.to_owned()),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub alasan: String,
    /// The survey to void.
    pub survey: Option<Uuid>,
}

/// The kecamatan and year of a proposal, for the workflows that take them.
async fn place(state: &AppState, lang: Lang, id: i64) -> Result<(WilayahKode, i32), WebError> {
    let mut conn = state.pool.acquire().await.map_err(db_fail(lang))?;
    let item = review::items(&mut conn, &[id])
        .await
        .map_err(fail(lang))?
        .pop()
        .ok_or_else(|| WebError::new(lang, Message::NoSuchProposal {}.into()))?;
    let kecamatan = item
        .kelurahan
        .ancestor(WilayahLevel::Kecamatan)
        .ok_or_else(|| WebError::new(lang, Message::NoSuchProposal {}.into()))?;
    Ok((kecamatan, item.tahun))
}

fn back_to(id: i64, done: &str) -> Response {
    Redirect::to(&format!("/usulan/{id}?lapangan={done}#lapangan")).into_response()
}

pub async fn assign_proposal(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(raw): Path<String>,
    Form(form): Form<AssignForm>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    check_csrf(lang, &session, &form.csrf)?;
    let id = parse_id(lang, &raw)?;
    let (kecamatan, tahun) = place(&state, lang, id).await?;
    field_work::assign(
        &state.pool,
        &session.user,
        &kecamatan,
        tahun,
        &Which::Proposals(vec![id]),
        &form.to(),
    )
    .await
    .map_err(fail(lang))?;
    Ok(back_to(id, "ditugaskan"))
}

pub async fn send_back(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(raw): Path<String>,
    Form(form): Form<ReasonForm>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    check_csrf(lang, &session, &form.csrf)?;
    let id = parse_id(lang, &raw)?;
    field_work::send_back(&state.pool, &session.user, id, &form.alasan)
        .await
        .map_err(fail(lang))?;
    Ok(back_to(id, "dikembalikan"))
}

pub async fn void_survey(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(raw): Path<String>,
    Form(form): Form<ReasonForm>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    check_csrf(lang, &session, &form.csrf)?;
    let id = parse_id(lang, &raw)?;
    let survey = form.survey.ok_or_else(|| {
        WebError::new(
            lang,
            Message::SurveyNotFound {
                survey: String::new(),
            }
            .into(),
        )
    })?;
    field_work::void(&state.pool, &session.user, survey, &form.alasan)
        .await
        .map_err(fail(lang))?;
    Ok(back_to(id, "dibatalkan"))
}

#[derive(Debug, Deserialize)]
pub struct AssignKelurahanForm {
    #[serde(default)]
    pub csrf: String,
    pub tahun: i32,
    pub kelurahan: WilayahKode,
    #[serde(default)]
    pub surveyor: String,
    #[serde(default)]
    pub team: String,
    #[serde(default)]
    pub kembali: String,
}

pub async fn assign_kelurahan(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(raw): Path<String>,
    Form(form): Form<AssignKelurahanForm>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    check_csrf(lang, &session, &form.csrf)?;
    let kecamatan = kecamatan(lang, &raw)?;
    let to = AssignForm {
        csrf: String::new(),
        surveyor: form.surveyor.clone(),
        team: form.team.clone(),
    }
    .to();
    let changed = field_work::assign(
        &state.pool,
        &session.user,
        &kecamatan,
        form.tahun,
        &Which::Kelurahan(form.kelurahan.clone()),
        &to,
    )
    .await
    .map_err(fail(lang))?;
    let done = format!(
        "{changed} {}",
        lang.t("usulan ditugaskan ulang", "proposals reassigned")
    );
    let back = proposal::list_query(Some(&form.kembali))
        .map_or_else(|| format!("tahun={}", form.tahun), str::to_owned);
    Ok(Redirect::to(&format!(
        "/kecamatan/{kecamatan}?{back}&massal={}",
        urlencode(&done)
    ))
    .into_response())
}

/// The form that assigns every physical proposal of one kelurahan, on the review list.
pub(super) fn kelurahan_form(
    lang: Lang,
    csrf: &str,
    kecamatan: &WilayahKode,
    tahun: i32,
    back: &str,
    kelurahan: &[(String, String)],
    surveyors: &[(String, Option<String>)],
) -> Markup {
    let teams: std::collections::BTreeSet<&str> =
        surveyors.iter().filter_map(|(_, t)| t.as_deref()).collect();
    html! {
        details.assign-kelurahan {
            summary { (lang.t("Tugaskan usulan satu kelurahan kepada surveyor atau tim", "Assign a kelurahan's proposals to a surveyor or a team")) }
            form method="post" action={ "/kecamatan/" (kecamatan) "/tugaskan" } {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="tahun" value=(tahun);
                input type="hidden" name="kembali" value=(back);
                label { (lang.t("Kelurahan", "Kelurahan")) " "
                    select name="kelurahan" required {
                        @for (kode, nama) in kelurahan { option value=(kode) { (nama) } }
                    }
                }
                label { (lang.t("Surveyor", "Surveyor")) " "
                    select name="surveyor" {
                        option value="" { "—" }
                        @for (name, team) in surveyors { option value=(name) { (name) @if let Some(t) = team { " (" (t) ")" } } }
                    }
                }
                label { (lang.t("atau tim", "or team")) " "
                    input name="team" list="tim-kelurahan" size="14" maxlength="64";
                    datalist #tim-kelurahan { @for t in &teams { option value=(t) {} } }
                }
                button type="submit" { (lang.t("Tugaskan", "Assign")) }
            }
        }
    }
}
