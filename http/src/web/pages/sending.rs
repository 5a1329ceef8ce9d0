//! Sending the list (Kirim) and the forum's forms.

#[allow(clippy::wildcard_imports)]
use super::*;

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
    let may_send = review::kirim::may_send_as(session.user.role);
    let summary = if may_send && undecided.kirim.is_none() {
        Some(
            review::summary::of_list(&state.pool, &session.user, &kecamatan, tahun)
                .await
                .map_err(fail(lang))?,
        )
    } else {
        None
    };
    let may_read_forms = tinjau_workflows::forms::may_read(session.user.role);
    let forum = if tinjau_workflows::forum::may_keep(session.user.role) {
        Some(
            tinjau_workflows::forum::view(&state.pool, &session.user, &kecamatan, tahun)
                .await
                .map_err(fail(lang))?,
        )
    } else {
        None
    };
    let deadline = forum.as_ref().and_then(|f| {
        chrono::NaiveDate::from_ymd_opt(tahun, f.profile.report_due_month, f.profile.report_due_day)
            .map(|d| {
                (
                    tinjau_workflows::forms::tanggal_of_date(d),
                    f.profile.office.clone(),
                )
            })
    });
    let title = format!("Kirim · {} {}", undecided.kecamatan_nama, tahun);
    let body = html! {
        h1 { (title) }
        @if let Some(r) = summary.as_ref().and_then(|s| s.reopened.as_ref()) {
            div.alert.reopened role="status" {
                strong { (lang.t("Daftar dibuka kembali", "The list was reopened")) }
                " " (lang.t("oleh ", "by ")) (r.reopened_by.as_deref().unwrap_or("—")) (lang.t(" pada ", " on ")) (wib_time(r.reopened_at))
                @if let Some(why) = &r.reason { (lang.t(", alasan: ", ", because: ")) "“" (why) "”" }
                ". " (lang.t("Kirim sebelumnya: ", "The earlier Kirim: ")) (wib_time(r.sent_at)) (lang.t(" oleh ", " by ")) (r.sent_by) "."
            }
        }
        @if let Some(k) = &undecided.kirim {
            p.alert.locked role="status" {
                (lang.t("Terkirim pada ", "Sent on ")) (wib_time(k.sent_at)) (lang.t(" oleh ", " by ")) (k.sent_by) ". "
                (k.agreed) (lang.t(" usulan disetujui, ", " agreed, ")) (k.not_agreed) (lang.t(" tidak disetujui. Daftar terkunci.", " not agreed. The list is locked."))
            }
            @if let Some((due, office)) = &deadline {
                p.alert.info {
                    (lang.t("Laporan ke ", "Report to ")) (office) (lang.t(" paling lambat ", " due by ")) strong { (due) } ": "
                    a href={ "/kecamatan/" (kecamatan) "/formulir/laporan.zip?tahun=" (tahun) } download { (lang.t("unduh laporan (ZIP)", "download the report (ZIP)")) }
                }
            }
            @if may_read_forms {
            h2 { (lang.t("Formulir untuk forum", "The forum's forms")) }
            ul.downloads {
                @for (file, label) in [
                    ("berita-acara.pdf", lang.t("Berita Acara dengan Lampiran I, II dan III (PDF)", "Berita Acara with Lampiran I, II and III (PDF)")),
                    ("pengumuman.pdf", lang.t("Pengumuman hasil untuk papan pengumuman (PDF)", "Notice of the results for the board (PDF)")),
                    ("laporan.zip", lang.t("Laporan ke kantor perencanaan (ZIP)", "Report to the planning office (ZIP)")),
                    ("daftar-hadir.pdf", lang.t("Daftar hadir kosong (Form 2, PDF)", "Blank attendance sheet (Form 2, PDF)")),
                    ("lampiran1.xlsx", lang.t("Lampiran I, daftar hadir (XLSX)", "Lampiran I, attendance (XLSX)")),
                    ("lampiran1.csv", "Lampiran I (CSV)"),
                    ("lampiran2.xlsx", lang.t("Lampiran II, usulan disetujui (XLSX)", "Lampiran II, agreed proposals (XLSX)")),
                    ("lampiran3.xlsx", lang.t("Lampiran III, usulan tidak disetujui (XLSX)", "Lampiran III, not agreed (XLSX)")),
                    ("lampiran2.csv", "Lampiran II (CSV)"),
                    ("lampiran3.csv", "Lampiran III (CSV)"),
                    ("usulan.geojson", lang.t("Peta usulan (GeoJSON)", "Proposals map (GeoJSON)")),
                ] {
                    li { a href={ "/kecamatan/" (kecamatan) "/formulir/" (file) "?tahun=" (tahun) } download { (label) } }
                }
            }
            }
        } @else {
            @if undecided.total > 0 {
                p.alert.error role="alert" { (undecided.total) " " (lang.t("usulan belum diputuskan; Kirim menunggu semuanya diputuskan.", "proposals are undecided; Kirim waits until all are decided.")) }
                ul.undecided {
                    @for item in &undecided.items {
                        li { a href={ "/usulan/" (item.id) } { (item.id) " · " (item.usulan) } " — " (item.kelurahan_nama) }
                    }
                }
            } @else if forum.as_ref().is_some_and(|f| !f.gaps.is_empty()) {
                div.alert.error role="alert" {
                    p { (lang.t("Catatan forum belum lengkap untuk Berita Acara; Kirim menunggu:", "The forum record lacks what the Berita Acara needs; Kirim waits:")) }
                    ul.gaps { @for g in forum.iter().flat_map(|f| f.gaps.iter()) { li { (lang.t(&g.id, &g.en)) } } }
                    p { a href={ "/kecamatan/" (kecamatan) "/forum?tahun=" (tahun) } { (lang.t("Lengkapi catatan forum →", "Complete the forum record →")) } }
                }
            } @else if may_send {
                @if let Some(summary) = &summary { (summary_section(lang, summary)) }
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
            @if may_read_forms {
            h2 { (lang.t("Draf formulir", "Draft forms")) }
            ul.drafts {
                li { a href={ "/kecamatan/" (kecamatan) "/formulir/berita-acara.pdf?tahun=" (tahun) } download { (lang.t("Berita Acara (draf, PDF)", "Berita Acara (draft, PDF)")) } }
                li { a href={ "/kecamatan/" (kecamatan) "/formulir/daftar-hadir.pdf?tahun=" (tahun) } download { (lang.t("Daftar hadir kosong untuk ditandatangani di pintu (Form 2, PDF)", "Blank attendance sheet to sign at the door (Form 2, PDF)")) } }
            }
            }
            @if let Some((due, office)) = &deadline {
                p.hint { (lang.t("Laporan ke ", "Report to ")) (office) (lang.t(" paling lambat ", " due by ")) (due) "." }
            }
        }
    };
    Ok(page(&ctx, &title, Some(kecamatan.as_str()), false, &body))
}

/// The list before it is sent: per decision, per SKPD, the rupiah agreed, and what changed since
/// the last Kirim when it was reopened.
fn summary_section(lang: Lang, s: &review::summary::Summary) -> Markup {
    let value = |v: &survey_schema::DecidedValues| {
        format!(
            "{} · {} {} · {}",
            decision_label(lang, v.status),
            number(v.volume),
            v.satuan,
            rupiah(v.anggaran)
        )
    };
    html! {
        section.summary {
            h2 { (lang.t("Ringkasan sebelum Kirim", "Summary before Kirim")) }
            p.totals {
                @for d in DecisionStatus::ALL {
                    span.count { strong { (count(s.by_decision.get(d.as_str()).copied().unwrap_or(0))) } " " (decision_label(lang, d)) } " "
                }
                br;
                (lang.t("Total disetujui: ", "Total agreed: ")) strong.agreed { (rupiah(s.agreed_rupiah)) }
                (lang.t(" dari ", " of ")) (count(i64::try_from(s.total).unwrap_or(i64::MAX))) (lang.t(" usulan", " proposals"))
            }
            table.skpd {
                thead { tr { th { "SKPD" } th.num { (lang.t("Disetujui", "Agreed")) } th.num { (lang.t("Rupiah disetujui", "Rupiah agreed")) } th.num { (lang.t("Tidak disetujui", "Not agreed")) } } }
                tbody { @for line in &s.by_skpd {
                    tr { td { (line.skpd) } td.num { (count(line.agreed)) } td.num { (rupiah(line.agreed_rupiah)) } td.num { (count(line.not_agreed)) } }
                } }
            }
            @if s.reopened.is_some() {
                h3 { (lang.t("Berubah sejak Kirim terakhir", "Changed since the last Kirim")) " (" (s.changes.len()) ")" }
                @if s.changes.is_empty() { p { (lang.t("Tidak ada keputusan yang berubah.", "No decision changed.")) } }
                ul.changes { @for c in &s.changes {
                    li { a href={ "/usulan/" (c.id) } { "#" (c.id) } " " (c.usulan) ": "
                        (c.before.as_ref().map_or_else(|| lang.t("(baru)", "(new)").to_owned(), &value)) " → " strong { (value(&c.after)) } }
                } }
            }
        }
    }
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
