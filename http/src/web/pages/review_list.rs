//! The review list of a kecamatan: filters, counts, pages.

#[allow(clippy::wildcard_imports)]
use super::*;
use survey_schema::BulkCriterion;

#[derive(Debug, Deserialize, Default)]
pub struct ReviewQuery {
    pub tahun: Option<i32>,
    pub kelurahan: Option<String>,
    pub anomaly: Option<String>,
    pub severity: Option<String>,
    pub decision: Option<String>,
    pub surveyed: Option<String>,
    pub page: Option<i64>,
    /// What a bulk approval just did (shown once, after its redirect).
    pub massal: Option<String>,
}

fn non_empty(v: Option<&String>) -> Option<&str> {
    v.map(|s| s.trim()).filter(|s| !s.is_empty())
}

pub(super) fn review_filter(lang: Lang, q: &ReviewQuery) -> Result<ReviewFilter, WebError> {
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
    // What one bulk action would approve under this filter: undecided without a finding, or
    // undecided with approval suggested by the evidence.
    let offers = if list.kirim.is_none() && review::decision::may_decide(session.user.role) {
        review::bulk::candidates_each(
            &mut conn,
            &session.user,
            &kecamatan,
            tahun,
            &filter,
            &[BulkCriterion::NoFinding, BulkCriterion::SuggestedApprove],
        )
        .await
        .map_err(fail(lang))?
    } else {
        Vec::new()
    };
    drop(conn);
    // The kelurahan to filter by: those of the kecamatan the person may read (a lurah: its own).
    let kelurahan =
        tinjau_workflows::areas::kelurahan_readable(&state.pool, &session.user, &kecamatan)
            .await
            .map_err(fail(lang))?;
    // The camat assigns a kelurahan's proposals from here while the list is not sent.
    let surveyors = if list.kirim.is_none() && review::decision::may_decide(session.user.role) {
        Some(
            tinjau_workflows::field_work::surveyors(&state.pool, &session.user, &kecamatan)
                .await
                .map_err(fail(lang))?,
        )
    } else {
        None
    };
    let pages = (list.total + list.per_page - 1) / list.per_page.max(1);
    // This list's own address, carried to each proposal (back to it, and on to the next one).
    let here = query_string(&q, tahun, list.page);
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
                @if tinjau_workflows::forms::may_read(session.user.role) {
                    " " a href={ "/kecamatan/" (kecamatan) "/kirim?tahun=" (tahun) } { (lang.t("Formulir", "Forms")) }
                }
            }
        }
        @if let Some(done) = &q.massal {
            p.alert.saved role="status" { (done) }
        }
        @for (criterion, offer) in [BulkCriterion::NoFinding, BulkCriterion::SuggestedApprove].into_iter().zip(&offers) {
            (bulk_form(lang, &BulkOffer { csrf: &session.csrf, kecamatan: &kecamatan, tahun, back: &here, criterion }, offer))
        }
        section.counts {
            @for (key, label) in [("high", lang.t("Tinggi", "High")), ("warning", lang.t("Peringatan", "Warning")), ("info", lang.t("Info", "Info")), ("none", lang.t("Tanpa temuan", "Clean"))] {
                a.count class=(format!("sev-{key}")) href={ "?" (query_string(&ReviewQuery { severity: Some(key.into()), ..Default::default() }, tahun, 1)) } {
                    span.n { (count(list.counts.by_severity.get(key).copied().unwrap_or(0))) } " " (label)
                }
            }
            @for d in DecisionStatus::ALL {
                a.count.decision href={ "?" (query_string(&ReviewQuery { decision: Some(d.as_str().into()), ..Default::default() }, tahun, 1)) } {
                    span.n { (count(list.counts.by_decision.get(d.as_str()).copied().unwrap_or(0))) } " " (decision_label(lang, d))
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
                        option value=(code) selected[selected(&q.anomaly, code)] { (survey_schema::finding::Finding::short_label(code, lang)) " (" (n) ")" }
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
        @if let Some(surveyors) = &surveyors {
            (field::kelurahan_form(lang, &session.csrf, &kecamatan, tahun, &here, &kelurahan, surveyors))
        }
        p.total { (count(list.total)) " " (lang.t("usulan, yang paling serius di atas", "proposals, most serious first")) }
        (review_table(lang, &list.items, &here))
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

/// The proposals of one page: each finding's short label, the remeasured volume, the decision
/// and its ground; on a phone each row is a card.
fn review_table(lang: Lang, items: &[ReviewItem], here: &str) -> Markup {
    html! {
    table.review {
        thead { tr {
            th { "#" } th { (lang.t("Kelurahan", "Kelurahan")) } th { (lang.t("Usulan", "Proposal")) }
            th.num { (lang.t("Volume", "Volume")) } th.num { (lang.t("Anggaran", "Budget")) }
            th { (lang.t("Survei", "Survey")) } th { (lang.t("Temuan", "Findings")) } th { (lang.t("Keputusan", "Decision")) }
        } }
        tbody {
            @for item in items {
                tr data-id=(item.id) class=(severity_class(item.max_severity)) {
                    td { a href={ "/usulan/" (item.id) "?daftar=" (urlencode(here)) } { "#" (item.id) } }
                    td data-label=(lang.t("Kelurahan", "Kelurahan")) { (item.kelurahan_nama) }
                    td.usulan { a href={ "/usulan/" (item.id) "?daftar=" (urlencode(here)) } { (item.usulan) } @if let Some(l) = &item.lokasi { br; small { (l) } } }
                    td.num data-label=(lang.t("Volume", "Volume")) { (number(item.volume)) " " (item.satuan)
                        @if let Some(s) = &item.survey { br; small.remeasured { (lang.t("ukur ulang ", "remeasured ")) (number(s.volume)) " " (s.satuan) } } }
                    td.num data-label=(lang.t("Anggaran", "Budget")) { (rupiah(item.anggaran)) }
                    td.survey data-label=(lang.t("Survei", "Survey")) { (survey_label(lang, item.survey_status))
                        @if let Some(by) = item.survey.as_ref().and_then(|s| s.surveyor.as_deref()) { small { (lang.t("oleh ", "by ")) (by) } }
                        @if let Some(to) = &item.assigned_to { small.assigned { (lang.t("ditugaskan: ", "assigned: ")) (to) } } }
                    td.finding data-label=(lang.t("Temuan", "Findings")) {
                        span class=(format!("badge {}", severity_class(item.max_severity))) { (severity_label(lang, item.max_severity)) }
                        @if !item.anomalies.is_empty() {
                            ul.labels { @for a in &item.anomalies {
                                li class=(severity_class(Some(a.severity))) title=(lang.t(&a.message.id, &a.message.en)) { (survey_schema::finding::Finding::short_label(&a.code, lang)) }
                            } }
                        }
                    }
                    td.decided data-label=(lang.t("Keputusan", "Decision")) { (decision_label(lang, item.decision))
                        @if let Some(r) = item.reason { small { (reason_label(lang, r)) } }
                        @if item.decision == DecisionStatus::Corrected { small { (number(item.volume)) " → " (number(item.decided.volume)) " " (item.decided.satuan) } }
                    }
                }
            }
        }
    }
    }
}

/// Where a bulk form posts and what it approves.
struct BulkOffer<'a> {
    csrf: &'a str,
    kecamatan: &'a WilayahKode,
    tahun: i32,
    back: &'a str,
    criterion: BulkCriterion,
}

/// One action to approve every undecided proposal under the filter that meets the criterion, with
/// the count and the total to confirm.
fn bulk_form(
    lang: Lang,
    o: &BulkOffer<'_>,
    bulk: &[(survey_schema::review::SeenProposal, i64)],
) -> Markup {
    let (what, button) = match o.criterion {
        BulkCriterion::NoFinding => (
            lang.t(" usulan tanpa temuan dalam daftar ini, total ", " proposals without a finding in this list, total "),
            lang.t("Setujui semuanya", "Approve them all"),
        ),
        BulkCriterion::SuggestedApprove => (
            lang.t(" usulan yang disarankan disetujui (survei lengkap, tanpa temuan yang perlu diperhatikan), total ", " proposals whose approval is suggested (a complete survey, nothing of concern), total "),
            lang.t("Setujui yang disarankan", "Approve the suggested"),
        ),
    };
    html! {
    @if !bulk.is_empty() {
        form.bulk method="post" action={ "/kecamatan/" (o.kecamatan) "/setujui-massal" } data-criterion=(o.criterion.as_str()) {
            input type="hidden" name="csrf" value=(o.csrf);
            input type="hidden" name="tahun" value=(o.tahun);
            input type="hidden" name="kembali" value=(o.back);
            input type="hidden" name="kriteria" value=(o.criterion.as_str());
            // A new id for each page shown: sending this form twice decides nothing twice.
            input type="hidden" name="id" value=(Uuid::new_v4());
            input type="hidden" name="usulan" value=(bulk.iter().map(|(p, _)| format!("{}:{}", p.id, p.version)).collect::<Vec<_>>().join(","));
            label {
                input type="checkbox" name="yakin" value="ya" required;
                " " (lang.t("Setujui ", "Approve ")) strong { (count(i64::try_from(bulk.len()).unwrap_or(i64::MAX))) } (what)
                strong { (rupiah(bulk.iter().map(|(_, r)| r).sum())) } "."
            }
            button.primary type="submit" { (button) }
        }
    }
    }
}

#[derive(Debug, Deserialize)]
pub struct BulkForm {
    #[serde(default)]
    pub csrf: String,
    pub tahun: i32,
    #[serde(default)]
    pub kembali: String,
    pub id: Uuid,
    #[serde(default)]
    pub usulan: String,
    #[serde(default)]
    pub yakin: String,
    /// `no_finding` (the default) or `suggested_approve`.
    #[serde(default)]
    pub kriteria: String,
}

/// The bulk form's `id:version` pairs.
fn seen_pairs(raw: &str) -> Vec<survey_schema::review::SeenProposal> {
    raw.split(',')
        .filter_map(|pair| {
            let (id, version) = pair.trim().split_once(':')?;
            Some(survey_schema::review::SeenProposal {
                id: id.parse().ok()?,
                version: version.parse().ok()?,
            })
        })
        .collect()
}

pub async fn bulk_approve(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(raw): Path<String>,
    Form(form): Form<BulkForm>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    check_csrf(lang, &session, &form.csrf)?;
    let kecamatan = kecamatan(lang, &raw)?;
    if form.yakin != "ya" {
        return Err(WebError::new(lang, Message::NotConfirmed {}.into()));
    }
    let criterion = match form.kriteria.as_str() {
        "suggested_approve" => BulkCriterion::SuggestedApprove,
        _ => BulkCriterion::NoFinding,
    };
    let request = survey_schema::BulkApproveRequest {
        id: form.id,
        criterion,
        proposals: seen_pairs(&form.usulan),
        note: Some(
            match criterion {
                BulkCriterion::NoFinding => lang.t(
                    "Disetujui bersama: tanpa temuan",
                    "Approved together: no finding",
                ),
                BulkCriterion::SuggestedApprove => lang.t(
                    "Disetujui bersama: disarankan oleh tinjauan",
                    "Approved together: suggested by the review",
                ),
            }
            .to_owned(),
        ),
    };
    let outcome =
        review::bulk::approve(&state.pool, &session.user, &kecamatan, form.tahun, &request)
            .await
            .map_err(fail(lang))?;
    let done = format!(
        "{} {} ({}){}",
        outcome.approved.len() + outcome.repeated.len(),
        lang.t("usulan disetujui", "proposals approved"),
        rupiah(outcome.total_rupiah),
        if outcome.skipped.is_empty() {
            String::new()
        } else {
            format!(
                "; {} {}",
                outcome.skipped.len(),
                lang.t(
                    "dilewati karena berubah atau sudah diputuskan",
                    "skipped: changed or decided meanwhile"
                )
            )
        }
    );
    let back = if form.kembali.starts_with("tahun=") && !form.kembali.contains(['\r', '\n']) {
        form.kembali
    } else {
        format!("tahun={}", form.tahun)
    };
    Ok(Redirect::to(&format!(
        "/kecamatan/{kecamatan}?{back}&massal={}",
        urlencode(&done)
    ))
    .into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bulk_forms_pairs_are_read_and_garbage_is_dropped() {
        let pairs = super::seen_pairs("12:3, 13:1,x:2,14");
        assert_eq!(pairs.len(), 2);
        assert_eq!((pairs[1].id, pairs[1].version), (13, 1));
    }
}
