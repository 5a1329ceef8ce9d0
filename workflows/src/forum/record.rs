//! The forum record and the kota's profile as stored, and the check Kirim makes: what the forms and
//! Kirim read, apart from the page's and the API's workflows (which read the review list), so that
//! Kirim can ask without the review depending on itself.

use sqlx::PgConnection;
use survey_schema::forum::{ForumRecord, KotaProfile};
use survey_schema::{WilayahKode, WilayahLevel};

use crate::db;
use crate::refusal::{Message, Refusal, WorkflowError};
use tinjau_domain::messages::Both;

/// The profile the forms use when none was set: DKI's kota are planned by a Kanppeko/Kab., the
/// rest by a Bappeda; "Ditetapkan di" the city without its administrative prefix; the report due
/// at the end of the third week of March.
pub fn default_profile(kota: &WilayahKode, kota_nama: &str) -> KotaProfile {
    let city = city_name(kota_nama);
    let dki = kota.as_str().starts_with("31.");
    KotaProfile {
        kota: kota.clone(),
        office: if dki {
            format!("Kantor Perencanaan Pembangunan {kota_nama}")
        } else {
            format!("Badan Perencanaan Pembangunan Daerah {kota_nama}")
        },
        head_title: if dki {
            "Kepala Kanppeko/Kab.".to_owned()
        } else {
            "Kepala Bappeda".to_owned()
        },
        ditetapkan_di: if dki { "Jakarta".to_owned() } else { city },
        tembusan: vec![if dki {
            "Kepala Kantor Perencanaan Pembangunan Kota/Kabupaten Administrasi Provinsi DKI Jakarta"
                .to_owned()
        } else {
            format!("Kepala Bappeda {kota_nama}")
        }],
        report_due_month: 3,
        report_due_day: 21,
    }
}

/// `Kota Administrasi Jakarta Pusat` → `Jakarta Pusat`; `Kabupaten Bandung` → `Bandung`.
pub fn city_name(kota_nama: &str) -> String {
    [
        "Kota Administrasi ",
        "Kabupaten Administrasi ",
        "Kota ",
        "Kabupaten ",
    ]
    .iter()
    .find_map(|p| kota_nama.strip_prefix(p))
    .unwrap_or(kota_nama)
    .to_owned()
}

/// The kota's profile: as set, or the default.
pub async fn profile(
    conn: &mut PgConnection,
    kota: &WilayahKode,
) -> Result<KotaProfile, WorkflowError> {
    if let Some(p) = db::forum::profile(conn, kota.as_str()).await? {
        return Ok(KotaProfile {
            kota: kota.clone(),
            office: p.office,
            head_title: p.head_title,
            ditetapkan_di: p.ditetapkan_di,
            tembusan: serde_json::from_value(p.tembusan).unwrap_or_default(),
            report_due_month: u32::try_from(p.report_due_month).unwrap_or(3),
            report_due_day: u32::try_from(p.report_due_day).unwrap_or(21),
        });
    }
    let nama = db::review::wilayah_nama(conn, kota.as_str())
        .await?
        .unwrap_or_default();
    Ok(default_profile(kota, &nama))
}

pub(crate) fn kota_of(kecamatan: &WilayahKode) -> Result<WilayahKode, WorkflowError> {
    kecamatan
        .ancestor(WilayahLevel::Kota)
        .ok_or_else(|| anyhow::anyhow!("{kecamatan} has no kota").into())
}

/// The stored record and its version (0 and an empty record before the first save).
pub async fn stored(
    conn: &mut PgConnection,
    kecamatan: &WilayahKode,
    tahun: i32,
) -> Result<(ForumRecord, i32), WorkflowError> {
    match db::forum::get(conn, kecamatan.as_str(), tahun).await? {
        Some(row) => Ok((
            serde_json::from_value(row.record).map_err(anyhow::Error::from)?,
            row.version,
        )),
        None => Ok((ForumRecord::default(), 0)),
    }
}

/// The record Kirim sends: refused, with every gap listed, while Form 1 would lack something.
pub async fn complete_for_kirim(
    conn: &mut PgConnection,
    kecamatan: &WilayahKode,
    tahun: i32,
) -> Result<(ForumRecord, KotaProfile), WorkflowError> {
    let (record, _) = stored(conn, kecamatan, tahun).await?;
    let gaps = record.gaps();
    if !gaps.is_empty() {
        let id = gaps
            .iter()
            .map(|g| g.id.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        let en = gaps
            .iter()
            .map(|g| g.en.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        return Err(Refusal::from(Message::ForumIncomplete {
            gaps: Both { id, en },
        })
        .with_details(serde_json::json!({ "gaps": gaps }))
        .into());
    }
    let profile = profile(conn, &kota_of(kecamatan)?).await?;
    Ok((record, profile))
}
