//! The public tracking page of a kelurahan.

#[allow(clippy::wildcard_imports)]
use super::*;

pub async fn public_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
    Query(q): Query<YearQuery>,
) -> PageResult {
    let lang = ctx.lang;
    let tahun = if let Some(t) = q.tahun {
        t
    } else {
        // The kelurahan's kecamatan; a code that does not parse is refused by the page below.
        match WilayahKode::parse(&raw).ok().and_then(|k| k.parent()) {
            Some(kecamatan) => review::latest_tahun(&state.pool, &kecamatan)
                .await
                .map_err(fail(lang))?
                .unwrap_or(2026),
            None => 2026,
        }
    };
    let mut conn = state.pool.acquire().await.map_err(db_fail(lang))?;
    let public = review::public::kelurahan(&mut conn, &raw, tahun)
        .await
        .map_err(fail(lang))?;
    drop(conn);
    let title = format!(
        "{} {} · {}",
        lang.t("Usulan Kelurahan", "Proposals of Kelurahan"),
        public.nama,
        tahun
    );
    let body = html! {
        h1 { (title) }
        p.lead { (lang.t("Status usulan Musrenbang dari kelurahan ini. Halaman ini tidak memuat data pribadi.", "The status of this kelurahan's Musrenbang proposals. This page holds no personal data.")) }
        @if !public.sent {
            p.alert.info role="status" { (lang.t("Usulan sedang ditinjau; hasilnya tampil di sini setelah daftar dikirim (Kirim).", "The proposals are under review; the results show here once the list is sent (Kirim).")) }
        } @else if public.revising {
            p.alert.stale role="status" { (lang.t("Daftar dibuka kembali dan sedang direvisi; yang tampil adalah daftar terakhir yang dikirim.", "The list was reopened and is being revised; shown is the last list sent.")) }
        }
        table.public {
            thead { tr { th { "No" } th { (lang.t("Usulan", "Proposal")) } th { "RT/RW" } th.num { (lang.t("Volume", "Volume")) } th.num { (lang.t("Anggaran", "Budget")) } th { (lang.t("Survei", "Survey")) } th { (lang.t("Status", "Status")) } } }
            tbody {
                @for p in &public.proposals {
                    tr {
                        td data-label="No" { (p.nomor.clone().unwrap_or_default()) }
                        td data-label=(lang.t("Usulan", "Proposal")) { (p.usulan) @if let Some(l) = &p.lokasi { br; small { (l) } } }
                        td data-label="RT/RW" { @if let (Some(rt), Some(rw)) = (&p.rt, &p.rw) { (rt) "/" (rw) } }
                        td.num data-label=(lang.t("Volume", "Volume")) { (number(p.volume)) " " (p.satuan) }
                        td.num data-label=(lang.t("Anggaran", "Budget")) { (rupiah(p.anggaran)) }
                        td data-label=(lang.t("Survei", "Survey")) { @if p.surveyed { (lang.t("Sudah", "Done")) } @else { (lang.t("Belum", "Not yet")) } }
                        td.status data-label=(lang.t("Status", "Status")) { strong { @if p.sent { (decision_label(lang, p.status)) } @else { (lang.t("Sedang ditinjau", "Under review")) } } @if let Some(r) = &p.reason { br; small { (lang.t(&r.id, &r.en)) } } }
                    }
                }
            }
        }
        @if let Some(seq) = public.audit_entry {
            p.proof {
                (lang.t("Daftar yang dikirim tercatat dalam log audit sebagai catatan ", "The list sent is recorded in the audit log as entry "))
                a href={ "/api/v1/audit/entries/" (seq) "/proof" } { "#" (seq) }
                (lang.t(": bukti bahwa catatan itu ada dalam log yang ditandatangani dan tidak diubah sejak itu.", ": proof that it is in the signed log and unchanged since."))
            }
        }
    };
    let mut response = page(
        &Ctx {
            session: None,
            ..ctx
        },
        &title,
        None,
        false,
        &body,
    );
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    // The language is the reader's cookie.
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Cookie"));
    Ok(response)
}
