//! The forum record of a kecamatan and year (`survey_schema::forum`): read and saved whole by the
//! camat and the kecamatan's staff, with a version against lost updates, audited, locked once the
//! list is sent (Kirim), and checked by Kirim, which refuses while Form 1 would lack something. The
//! kota's planning-office profile names the office, its head's title and the city of "Ditetapkan di".

use std::collections::HashSet;

use sqlx::{PgConnection, PgPool};
use survey_schema::forum::{ForumRecord, ForumView, KotaProfile};
use survey_schema::{Role, WilayahKode, WilayahLevel};

pub mod record;

use record::kota_of;
pub use record::{city_name, complete_for_kirim, default_profile, profile, stored};

use crate::audit::Change;
use crate::db;
use crate::refusal::{Message, Refusal, WorkflowError, refuse};
use tinjau_domain::messages::Both;
use tinjau_domain::{CurrentUser, Seen};

/// Longest text a field of the record takes, in characters.
const MAX_FIELD: usize = 500;
/// Most people a Daftar Hadir holds.
const MAX_PESERTA: usize = 1_000;

/// A kota's profile for anyone whose area lies in it or holds it.
pub async fn profile_for(
    pool: &PgPool,
    user: &CurrentUser,
    kota: &WilayahKode,
) -> Result<KotaProfile, WorkflowError> {
    let related = user.covers(kota) || user.scope.as_ref().is_some_and(|s| kota.contains(s));
    if !related {
        return Err(tinjau_domain::caller::out_of_scope(kota).into());
    }
    let mut conn = pool.acquire().await?;
    profile(&mut conn, kota).await
}

/// Sets a kota's profile (admin).
pub async fn set_profile(
    pool: &PgPool,
    user: &CurrentUser,
    profile: &KotaProfile,
) -> Result<KotaProfile, WorkflowError> {
    user.require_role(&[Role::Admin])?;
    if profile.kota.level() != WilayahLevel::Kota {
        return refuse(Message::WrongLevel {
            level: profile.kota.level().to_string(),
            kode: profile.kota.clone(),
            wanted: "kota".into(),
            pattern: "PP.KK",
        });
    }
    let mut tx = pool.begin().await?;
    if db::review::wilayah_nama(&mut tx, profile.kota.as_str())
        .await?
        .is_none()
    {
        return refuse(Message::AreaNotFound {
            kode: profile.kota.clone(),
        });
    }
    let before = record::profile(&mut tx, &profile.kota).await?;
    let row = db::forum::ProfileRow {
        office: profile.office.trim().to_owned(),
        head_title: profile.head_title.trim().to_owned(),
        ditetapkan_di: profile.ditetapkan_di.trim().to_owned(),
        tembusan: serde_json::to_value(&profile.tembusan).map_err(anyhow::Error::from)?,
        report_due_month: i32::try_from(profile.report_due_month).unwrap_or(3),
        report_due_day: i32::try_from(profile.report_due_day).unwrap_or(21),
    };
    if row.office.is_empty() || row.head_title.is_empty() || row.ditetapkan_di.is_empty() {
        return refuse(Message::ForumInvalid {
            detail: Both {
                id: "kantor, jabatan kepala dan kota \"Ditetapkan di\" wajib diisi.".into(),
                en: "the office, its head's title and the city of \"Ditetapkan di\" are required."
                    .into(),
            },
        });
    }
    if chrono::NaiveDate::from_ymd_opt(2026, profile.report_due_month, profile.report_due_day)
        .is_none()
    {
        return refuse(Message::ForumInvalid {
            detail: Both {
                id: "tanggal batas laporan tidak ada di kalender.".into(),
                en: "the report's due date is not a calendar date.".into(),
            },
        });
    }
    db::forum::set_profile(&mut tx, profile.kota.as_str(), &row).await?;
    crate::audit::record(
        &mut tx,
        &user.actor(),
        "kota_profile.put",
        "kota",
        vec![
            Change::new(profile.kota.to_string())
                .before(before)
                .after(profile),
        ],
    )
    .await?;
    tx.commit().await?;
    let mut conn = pool.acquire().await?;
    record::profile(&mut conn, &profile.kota).await
}

/// The roles that keep the forum record.
pub const EDITORS: [Role; 2] = [Role::Camat, Role::Admin];

/// Whether `role` keeps the forum record: the pages link to it only then.
pub fn may_keep(role: Role) -> bool {
    EDITORS.contains(&role)
}

/// Who reads and writes the record: the camat (and the kecamatan's staff, who sign in as the
/// camat's role) and admins, within their area.
fn may_edit(user: &CurrentUser, kecamatan: &WilayahKode) -> Result<(), WorkflowError> {
    user.require_role(&EDITORS)?;
    user.require_covers(kecamatan)?;
    Ok(())
}

/// The record as the API and the page show it, with what it lacks.
pub async fn view(
    pool: &PgPool,
    user: &CurrentUser,
    kecamatan: &WilayahKode,
    tahun: i32,
) -> Result<ForumView, WorkflowError> {
    may_edit(user, kecamatan)?;
    let mut conn = pool.acquire().await?;
    if db::review::wilayah_nama(&mut conn, kecamatan.as_str())
        .await?
        .is_none()
    {
        return refuse(Message::KecamatanNotFound {
            kode: kecamatan.clone(),
        });
    }
    view_in(&mut conn, kecamatan, tahun).await
}

async fn view_in(
    conn: &mut PgConnection,
    kecamatan: &WilayahKode,
    tahun: i32,
) -> Result<ForumView, WorkflowError> {
    let (record, version) = stored(conn, kecamatan, tahun).await?;
    let locked = db::kirim::standing(conn, kecamatan.as_str(), tahun)
        .await?
        .is_some();
    let profile = profile(conn, &kota_of(kecamatan)?).await?;
    Ok(ForumView {
        kecamatan: kecamatan.clone(),
        tahun,
        version,
        gaps: record.gaps(),
        missing_kategori: record.missing_kategori(),
        delegation_without_women: record.delegation_without_women(),
        record,
        profile,
        locked,
    })
}

/// Saves the whole record, as version `seen + 1`: 428 without a version, 412 when someone saved
/// meanwhile, 423 once the list is sent. Blank fields are allowed (the record fills up as the
/// forum runs); what Form 1 needs is checked by Kirim.
pub async fn save(
    pool: &PgPool,
    user: &CurrentUser,
    kecamatan: &WilayahKode,
    tahun: i32,
    seen: &Seen,
    record: ForumRecord,
) -> Result<ForumView, WorkflowError> {
    may_edit(user, kecamatan)?;
    let record = tidy(record)?;
    let mut tx = pool.begin().await?;
    if db::review::wilayah_nama(&mut tx, kecamatan.as_str())
        .await?
        .is_none()
    {
        return refuse(Message::KecamatanNotFound {
            kode: kecamatan.clone(),
        });
    }
    db::kirim::lock_kecamatan(&mut tx, kecamatan.as_str(), tahun).await?;
    if let Some(k) = db::kirim::standing(&mut tx, kecamatan.as_str(), tahun).await? {
        return Err(crate::review::decision::locked(&k).into());
    }
    let (before, current) = stored(&mut tx, kecamatan, tahun).await?;
    let Some(seen_version) = seen.first() else {
        return refuse(Message::ForumVersionUnsaid { current });
    };
    if !seen.includes(current) {
        return Err(Refusal::from(Message::ForumStale {
            seen: seen_version,
            current,
        })
        .with_details(serde_json::json!({"current_version": current}))
        .into());
    }
    check_priorities(&mut tx, kecamatan, tahun, &record.prioritas).await?;
    let value = serde_json::to_value(&record).map_err(anyhow::Error::from)?;
    if !db::forum::put(
        &mut tx,
        kecamatan.as_str(),
        tahun,
        &value,
        current + 1,
        &user.name,
    )
    .await?
    {
        return Err(Refusal::from(Message::ForumStale {
            seen: seen_version,
            current: current + 1,
        })
        .into());
    }
    crate::audit::record(
        &mut tx,
        &user.actor(),
        "forum.put",
        "kecamatan",
        vec![
            Change::new(format!("{kecamatan}/{tahun}"))
                .before((current > 0).then_some(&before))
                .after(&record),
        ],
    )
    .await?;
    tx.commit().await?;
    let mut conn = pool.acquire().await?;
    view_in(&mut conn, kecamatan, tahun).await
}

/// Trims every text, drops empty rows, and refuses overlong fields and lists.
fn tidy(mut r: ForumRecord) -> Result<ForumRecord, WorkflowError> {
    let invalid = |id: String, en: String| -> WorkflowError {
        Message::ForumInvalid {
            detail: Both { id, en },
        }
        .into()
    };
    let trim = |s: &mut String| *s = s.trim().to_owned();
    for s in [&mut r.nomor, &mut r.jam, &mut r.tempat] {
        trim(s);
    }
    for o in [&mut r.camat, &mut r.kepala_perencanaan] {
        trim(&mut o.nama);
        trim(&mut o.nip);
    }
    r.sambutan.retain(|s| !s.oleh.trim().is_empty());
    r.paparan
        .retain(|p| !(p.materi.trim().is_empty() && p.penyaji.trim().is_empty()));
    r.peserta.retain(|p| !p.nama.trim().is_empty());
    for p in &mut r.peserta {
        trim(&mut p.nama);
        trim(&mut p.lembaga);
        trim(&mut p.alamat);
    }
    r.tembusan = r
        .tembusan
        .iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    if r.peserta.len() > MAX_PESERTA {
        return Err(invalid(
            format!("paling banyak {MAX_PESERTA} peserta."),
            format!("at most {MAX_PESERTA} participants."),
        ));
    }
    let texts = [&r.nomor, &r.jam, &r.tempat, &r.camat.nama, &r.camat.nip]
        .into_iter()
        .chain([&r.kepala_perencanaan.nama, &r.kepala_perencanaan.nip])
        .chain(r.sambutan.iter().map(|s| &s.oleh))
        .chain(r.paparan.iter().flat_map(|p| [&p.materi, &p.penyaji]))
        .chain(
            r.peserta
                .iter()
                .flat_map(|p| [&p.nama, &p.lembaga, &p.alamat]),
        )
        .chain(r.tembusan.iter());
    for t in texts {
        if t.chars().count() > MAX_FIELD {
            return Err(invalid(
                format!(
                    "teks lebih dari {MAX_FIELD} karakter: '{}…'",
                    t.chars().take(30).collect::<String>()
                ),
                format!(
                    "a text longer than {MAX_FIELD} characters: '{}…'",
                    t.chars().take(30).collect::<String>()
                ),
            ));
        }
    }
    if let (Some(a), Some(b)) = (r.tanggal_mulai, r.tanggal_selesai)
        && b < a
    {
        return Err(invalid(
            "tanggal selesai sebelum tanggal mulai.".into(),
            "the last day is before the first.".into(),
        ));
    }
    let mut seen = HashSet::new();
    if let Some(dup) = r.prioritas.iter().find(|id| !seen.insert(**id)) {
        return Err(invalid(
            format!("usulan {dup} disebut dua kali dalam prioritas."),
            format!("proposal {dup} is ranked twice."),
        ));
    }
    Ok(r)
}

/// The ranked proposals must be proposals of this kecamatan and year.
async fn check_priorities(
    conn: &mut PgConnection,
    kecamatan: &WilayahKode,
    tahun: i32,
    ids: &[i64],
) -> Result<(), WorkflowError> {
    if ids.is_empty() {
        return Ok(());
    }
    let known: HashSet<i64> = crate::review::all_items(conn, kecamatan, tahun)
        .await?
        .iter()
        .map(|i| i.id)
        .collect();
    let foreign: Vec<String> = ids
        .iter()
        .filter(|id| !known.contains(id))
        .map(ToString::to_string)
        .collect();
    if foreign.is_empty() {
        Ok(())
    } else {
        let list = foreign.join(", ");
        refuse(Message::ForumInvalid {
            detail: Both {
                id: format!("usulan {list} bukan usulan fisik kecamatan ini tahun {tahun}."),
                en: format!(
                    "proposals {list} are not physical proposals of this kecamatan in {tahun}."
                ),
            },
        })
    }
}

/// The agreed proposals the forum may rank, for the record's page.
pub async fn agreed(
    pool: &PgPool,
    user: &CurrentUser,
    kecamatan: &WilayahKode,
    tahun: i32,
) -> Result<Vec<survey_schema::ReviewItem>, WorkflowError> {
    may_edit(user, kecamatan)?;
    let mut conn = pool.acquire().await?;
    let mut items: Vec<survey_schema::ReviewItem> =
        crate::review::all_items(&mut conn, kecamatan, tahun)
            .await?
            .into_iter()
            .filter(|i| i.decision.is_agreed())
            .collect();
    items.sort_by(|a, b| {
        a.skpd_tujuan
            .cmp(&b.skpd_tujuan)
            .then_with(|| a.kelurahan_nama.cmp(&b.kelurahan_nama))
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dki_is_planned_by_a_kanppeko_elsewhere_by_a_bappeda() {
        let jakpus = WilayahKode::parse("31.71").unwrap();
        let p = default_profile(&jakpus, "Kota Administrasi Jakarta Pusat");
        assert_eq!(p.head_title, "Kepala Kanppeko/Kab.");
        assert_eq!(p.ditetapkan_di, "Jakarta");
        let bandung = WilayahKode::parse("32.73").unwrap();
        let p = default_profile(&bandung, "Kota Bandung");
        assert_eq!(
            (p.head_title.as_str(), p.ditetapkan_di.as_str()),
            ("Kepala Bappeda", "Bandung")
        );
    }

    #[test]
    fn blank_rows_are_dropped_and_a_rank_twice_is_refused() {
        let r = ForumRecord {
            nomor: " 005/BA/2026 ".into(),
            tembusan: vec![" ".into(), "Walikota".into()],
            prioritas: vec![1, 2],
            ..ForumRecord::default()
        };
        let t = tidy(r).unwrap();
        assert_eq!((t.nomor.as_str(), t.tembusan.len()), ("005/BA/2026", 1));
        let twice = ForumRecord {
            prioritas: vec![3, 3],
            ..ForumRecord::default()
        };
        assert!(tidy(twice).is_err());
    }
}
