//! The forum record as the camat and the kecamatan's staff fill it in during the forum: the
//! Nomor, when and where, the officials, what was heard, the attendance list with who signs and who
//! goes on to the city's forum, the Tembusan, and the ranking of the agreed proposals. What the
//! Berita Acara still lacks is listed at the top; Kirim waits for it.

#[allow(clippy::wildcard_imports)]
use super::*;

use survey_schema::forum::{
    ForumRecord, ForumView, Kategori, Official, Paparan, Peserta, Sambutan,
};

/// Empty rows offered below the recorded ones.
const SPARE_PESERTA: usize = 5;
const SPARE_PAPARAN: usize = 2;

pub async fn forum_page(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(raw): Path<String>,
    Query(q): Query<ForumQuery>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    let kecamatan = kecamatan(lang, &raw)?;
    let tahun = tahun(&state, lang, &kecamatan, q.tahun).await?;
    let view = tinjau_workflows::forum::view(&state.pool, &session.user, &kecamatan, tahun)
        .await
        .map_err(fail(lang))?;
    let notice = (q.tersimpan.as_deref() == Some("1")).then(|| {
        html! { p.alert.saved role="status" { (lang.t("Catatan forum tersimpan.", "The forum record is saved.")) } }
    });
    render(&state, &ctx, &session, &view, notice).await
}

#[derive(Debug, Deserialize, Default)]
pub struct ForumQuery {
    pub tahun: Option<i32>,
    pub tersimpan: Option<String>,
}

async fn render(
    state: &AppState,
    ctx: &Ctx,
    session: &WebSession,
    view: &ForumView,
    notice: Option<Markup>,
) -> PageResult {
    let lang = ctx.lang;
    let agreed =
        tinjau_workflows::forum::agreed(&state.pool, &session.user, &view.kecamatan, view.tahun)
            .await
            .map_err(fail(lang))?;
    let r = &view.record;
    let title = format!(
        "{} · {} {}",
        lang.t("Catatan forum", "Forum record"),
        view.kecamatan,
        view.tahun
    );
    let rank_of = |id: i64| {
        r.prioritas
            .iter()
            .position(|p| *p == id)
            .map(|p| (p + 1).to_string())
            .unwrap_or_default()
    };
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let disabled = view.locked;
    let body = html! {
        h1 { (title) }
        @if let Some(n) = notice { (n) }
        @if view.locked {
            p.alert.locked role="status" { (lang.t("Daftar sudah dikirim (Kirim): catatan forum terkunci.", "The list was sent (Kirim): the forum record is locked.")) }
        } @else if view.gaps.is_empty() {
            p.alert.saved role="status" { (lang.t("Catatan lengkap untuk Berita Acara.", "The record holds what the Berita Acara needs.")) }
        } @else {
            div.alert.error role="alert" {
                p { strong { (lang.t("Belum lengkap untuk Berita Acara (Kirim menunggu):", "Not yet complete for the Berita Acara (Kirim waits):")) } }
                ul.gaps { @for g in &view.gaps { li { (lang.t(&g.id, &g.en)) } } }
            }
        }
        @if !view.missing_kategori.is_empty() {
            p.alert.info {
                (lang.t("Belum ada peserta dari: ", "No participant yet from: "))
                (view.missing_kategori.iter().map(|k| { let (id, en) = k.label(); lang.t(id, en).to_owned() }).collect::<Vec<_>>().join(", "))
                "."
            }
        }
        @if view.delegation_without_women {
            p.alert.info { (lang.t("Belum ada perempuan di antara perwakilan ke Musrenbang kota.", "No woman is among the delegates to the city forum yet.")) }
        }
        form.forum method="post" {
            input type="hidden" name="csrf" value=(session.csrf);
            input type="hidden" name="tahun" value=(view.tahun);
            input type="hidden" name="version" value=(view.version);
            fieldset disabled[disabled] {
                legend { (lang.t("Berita Acara", "Berita Acara")) }
                div.grid {
                    label { "Nomor" input type="text" name="nomor" value=(r.nomor); }
                    label { (lang.t("Tanggal mulai", "First day")) input type="date" name="tanggal_mulai" value=(date(r.tanggal_mulai)); }
                    label { (lang.t("Tanggal selesai", "Last day")) input type="date" name="tanggal_selesai" value=(date(r.tanggal_selesai)); }
                    label { (lang.t("Jam", "Time")) input type="text" name="jam" value=(r.jam) placeholder="09.00 s.d. 13.00 WIB"; }
                    label.wide { (lang.t("Tempat", "Place")) input type="text" name="tempat" value=(r.tempat); }
                    label { (lang.t("Nama Camat", "The Camat's name")) input type="text" name="camat_nama" value=(r.camat.nama); }
                    label { (lang.t("NIP Camat", "The Camat's NIP")) input type="text" name="camat_nip" value=(r.camat.nip) inputmode="numeric"; }
                    label { (lang.t("Nama ", "Name of the ")) (view.profile.head_title) input type="text" name="kepala_nama" value=(r.kepala_perencanaan.nama); }
                    label { "NIP " (view.profile.head_title) input type="text" name="kepala_nip" value=(r.kepala_perencanaan.nip) inputmode="numeric"; }
                }
            }
            fieldset disabled[disabled] {
                legend { (lang.t("Setelah memperhatikan, mendengar dan mempertimbangkan", "Heard at the forum")) }
                label.wide { (lang.t("Sambutan pembukaan oleh (satu per baris)", "Opening speeches by (one per line)"))
                    textarea name="sambutan" rows="3" { (r.sambutan.iter().map(|s| s.oleh.as_str()).collect::<Vec<_>>().join("\n")) } }
                table.paparan {
                    thead { tr { th { (lang.t("Materi paparan", "Presentation")) } th { (lang.t("Penyaji", "Presenter")) } } }
                    tbody {
                        @for (i, p) in r.paparan.iter().map(Some).chain(std::iter::repeat_n(None, SPARE_PAPARAN)).enumerate() {
                            tr {
                                td { input type="text" name={ "paparan_materi_" (i) } value=(p.map_or("", |p| p.materi.as_str())) aria-label=(lang.t("Materi", "Subject")); }
                                td { input type="text" name={ "paparan_penyaji_" (i) } value=(p.map_or("", |p| p.penyaji.as_str())) aria-label=(lang.t("Penyaji", "Presenter")); }
                            }
                        }
                    }
                }
            }
            (peserta_fieldset(lang, r, disabled))
            fieldset disabled[disabled] {
                legend { (lang.t("Peringkat usulan yang disepakati (Lampiran II)", "Ranking of the agreed proposals (Lampiran II)")) }
                @if agreed.is_empty() {
                    p { (lang.t("Belum ada usulan yang disepakati.", "No proposal is agreed yet.")) }
                } @else {
                    p.hint { (lang.t("Isi 1, 2, 3… menurut kepentingan dalam tiap SKPD/UKPD; yang kosong menyusul menurut kelurahan dan nomor.", "Number 1, 2, 3… by importance within each SKPD/UKPD; blank ones follow by kelurahan and number.")) }
                    div.scroll {
                        table.ranking {
                            thead { tr { th { (lang.t("Peringkat", "Rank")) } th { "SKPD/UKPD" } th { (lang.t("Usulan", "Proposal")) } th { "Kelurahan" } th.num { (lang.t("Anggaran", "Budget")) } } }
                            tbody {
                                @for i in &agreed {
                                    tr {
                                        td { input type="number" min="1" name={ "rank_" (i.id) } value=(rank_of(i.id)) aria-label=(lang.t("Peringkat", "Rank")); }
                                        td { (i.skpd_tujuan.as_deref().unwrap_or("—")) }
                                        td { a href={ "/usulan/" (i.id) } { "#" (i.id) } " " (i.usulan) }
                                        td { (i.kelurahan_nama) }
                                        td.num { (rupiah(i.decided.anggaran)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            fieldset disabled[disabled] {
                legend { "Tembusan" }
                p.hint { (lang.t("Dari profil kota: ", "From the city's profile: ")) (view.profile.tembusan.join("; ")) }
                label.wide { (lang.t("Tembusan tambahan (satu per baris)", "More recipients (one per line)"))
                    textarea name="tembusan" rows="3" { (r.tembusan.join("\n")) } }
            }
            @if !disabled {
                button.primary type="submit" { (lang.t("Simpan catatan forum", "Save the forum record")) }
            }
        }
        p { a href={ "/kecamatan/" (view.kecamatan) "/kirim?tahun=" (view.tahun) } { (lang.t("Ke Kirim dan formulir →", "To Kirim and the forms →")) } }
    };
    Ok(page(
        ctx,
        &title,
        Some(view.kecamatan.as_str()),
        false,
        &body,
    ))
}

/// The attendance list as rows to fill, with empty rows below the recorded ones.
fn peserta_fieldset(lang: Lang, r: &ForumRecord, disabled: bool) -> Markup {
    html! {
    fieldset disabled[disabled] {
        legend { (lang.t("Daftar hadir (Lampiran I)", "Attendance (Lampiran I)")) }
        div.scroll {
            table.peserta {
                thead { tr {
                    th { "No" } th { (lang.t("Nama", "Name")) } th { (lang.t("Lembaga/instansi", "Institution")) }
                    th { (lang.t("Kategori", "Kind")) } th { (lang.t("Alamat", "Address")) }
                    th { (lang.t("Perempuan", "Woman")) } th { (lang.t("Menandatangani", "Signs")) } th { (lang.t("Utusan ke kota", "City delegate")) }
                } }
                tbody {
                    @for (i, p) in r.peserta.iter().map(Some).chain(std::iter::repeat_n(None, SPARE_PESERTA)).enumerate() {
                        tr {
                            td.no { (i + 1) }
                            td { input type="text" name={ "peserta_nama_" (i) } value=(p.map_or("", |p| p.nama.as_str())) aria-label=(lang.t("Nama", "Name")); }
                            td { input type="text" name={ "peserta_lembaga_" (i) } value=(p.map_or("", |p| p.lembaga.as_str())) aria-label=(lang.t("Lembaga/instansi", "Institution")); }
                            td { select name={ "peserta_kategori_" (i) } aria-label=(lang.t("Kategori", "Kind")) {
                                @for k in Kategori::INVITED.into_iter().chain([Kategori::Lainnya]) {
                                    option value=(k.as_str()) selected[p.is_some_and(|p| p.kategori == k)] { ({ let (id, en) = k.label(); lang.t(id, en).to_owned() }) }
                                }
                            } }
                            td { input type="text" name={ "peserta_alamat_" (i) } value=(p.map_or("", |p| p.alamat.as_str())) aria-label=(lang.t("Alamat", "Address")); }
                            td.check { input type="checkbox" name={ "peserta_perempuan_" (i) } value="ya" checked[p.is_some_and(|p| p.perempuan)] aria-label=(lang.t("Perempuan", "Woman")); }
                            td.check { input type="checkbox" name={ "peserta_mewakili_" (i) } value="ya" checked[p.is_some_and(|p| p.mewakili)] aria-label=(lang.t("Menandatangani", "Signs")); }
                            td.check { input type="checkbox" name={ "peserta_delegasi_" (i) } value="ya" checked[p.is_some_and(|p| p.delegasi)] aria-label=(lang.t("Utusan ke kota", "City delegate")); }
                        }
                    }
                }
            }
        }
        p.hint { (lang.t("Minimal satu orang per lembaga/instansi menandatangani. Simpan untuk menambah baris.", "At least one person per institution signs. Save to get more rows.")) }
    }
    }
}

/// The page's form, read back into a record.
fn record_of(fields: &[(String, String)]) -> (ForumRecord, Option<i32>, i32, String) {
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let checked = |name: &str| get(name) == "ya";
    let lines = |name: &str| -> Vec<String> {
        get(name)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let date = |name: &str| chrono::NaiveDate::parse_from_str(get(name).trim(), "%Y-%m-%d").ok();
    let rows = |prefix: &str| {
        fields
            .iter()
            .filter_map(|(k, _)| k.strip_prefix(prefix)?.parse::<usize>().ok())
            .max()
            .map_or(0, |m| m + 1)
    };
    let peserta = (0..rows("peserta_nama_"))
        .map(|i| Peserta {
            nama: get(&format!("peserta_nama_{i}")).to_owned(),
            lembaga: get(&format!("peserta_lembaga_{i}")).to_owned(),
            kategori: Kategori::parse(get(&format!("peserta_kategori_{i}")))
                .unwrap_or(Kategori::Lainnya),
            alamat: get(&format!("peserta_alamat_{i}")).to_owned(),
            perempuan: checked(&format!("peserta_perempuan_{i}")),
            mewakili: checked(&format!("peserta_mewakili_{i}")),
            delegasi: checked(&format!("peserta_delegasi_{i}")),
        })
        .collect();
    let paparan = (0..rows("paparan_materi_"))
        .map(|i| Paparan {
            materi: get(&format!("paparan_materi_{i}")).to_owned(),
            penyaji: get(&format!("paparan_penyaji_{i}")).to_owned(),
        })
        .collect();
    let mut ranks: Vec<(u32, i64)> = fields
        .iter()
        .filter_map(|(k, v)| {
            let id = k.strip_prefix("rank_")?.parse::<i64>().ok()?;
            let rank = v.trim().parse::<u32>().ok().filter(|r| *r > 0)?;
            Some((rank, id))
        })
        .collect();
    ranks.sort_unstable();
    let record = ForumRecord {
        nomor: get("nomor").to_owned(),
        tanggal_mulai: date("tanggal_mulai"),
        tanggal_selesai: date("tanggal_selesai"),
        jam: get("jam").to_owned(),
        tempat: get("tempat").to_owned(),
        camat: Official {
            nama: get("camat_nama").to_owned(),
            nip: get("camat_nip").to_owned(),
        },
        kepala_perencanaan: Official {
            nama: get("kepala_nama").to_owned(),
            nip: get("kepala_nip").to_owned(),
        },
        sambutan: lines("sambutan")
            .into_iter()
            .map(|oleh| Sambutan { oleh })
            .collect(),
        paparan,
        peserta,
        tembusan: lines("tembusan"),
        prioritas: ranks.into_iter().map(|(_, id)| id).collect(),
    };
    (
        record,
        get("tahun").parse().ok(),
        get("version").parse().unwrap_or(-1),
        get("csrf").to_owned(),
    )
}

pub async fn save_forum(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(raw): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let SignedIn { ctx, session } = signed;
    let lang = ctx.lang;
    let (record, tahun, version, csrf) = record_of(&fields);
    check_csrf(lang, &session, &csrf)?;
    let kecamatan = kecamatan(lang, &raw)?;
    let tahun = tahun.ok_or_else(|| {
        WebError::new(
            lang,
            Message::InvalidForm {
                detail: Both {
                    id: "tahun tidak ada.".into(),
                    en: "no year.".into(),
                },
            }
            .into(),
        )
    })?;
    match tinjau_workflows::forum::save(
        &state.pool,
        &session.user,
        &kecamatan,
        tahun,
        &tinjau_domain::Seen::version(version),
        record,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/kecamatan/{kecamatan}/forum?tahun={tahun}&tersimpan=1"
        ))
        .into_response()),
        Err(WorkflowError::Refused(r))
            if !matches!(r.kind(), RefusalKind::Forbidden | RefusalKind::NotFound) =>
        {
            let status = if r.kind() == RefusalKind::PreconditionFailed {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let message = lang.t(&r.id(), &r.en()).to_owned();
            let view = tinjau_workflows::forum::view(&state.pool, &session.user, &kecamatan, tahun)
                .await
                .map_err(fail(lang))?;
            let notice = html! { p.alert.error role="alert" { (lang.t("Belum tersimpan: ", "Not saved: ")) (message) } };
            let mut response = render(&state, &ctx, &session, &view, Some(notice)).await?;
            *response.status_mut() = status;
            Ok(response)
        }
        Err(e) => Err(fail(lang)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::record_of;

    #[test]
    fn the_form_reads_back_into_a_record_with_ranks_in_order() {
        let fields: Vec<(String, String)> = [
            ("csrf", "c"),
            ("tahun", "2026"),
            ("version", "3"),
            ("nomor", " 005 "),
            ("tanggal_mulai", "2026-02-10"),
            ("sambutan", "Camat Gambir\n\n Anggota DPRD "),
            ("peserta_nama_0", "Siti"),
            ("peserta_kategori_0", "lmk"),
            ("peserta_mewakili_0", "ya"),
            ("peserta_nama_1", ""),
            ("rank_7", "2"),
            ("rank_9", "1"),
            ("rank_11", ""),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let (r, tahun, version, csrf) = record_of(&fields);
        assert_eq!((tahun, version, csrf.as_str()), (Some(2026), 3, "c"));
        assert_eq!(r.sambutan.len(), 2);
        assert_eq!(r.peserta.len(), 2, "blank rows are dropped by the workflow");
        assert!(r.peserta[0].mewakili && !r.peserta[0].delegasi);
        assert_eq!(r.prioritas, [9, 7]);
        assert_eq!(
            r.tanggal_mulai.map(|d| d.to_string()).as_deref(),
            Some("2026-02-10")
        );
    }
}
