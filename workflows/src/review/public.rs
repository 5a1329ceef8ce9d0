//! The public tracking page of a kelurahan: each proposal's status and, when not agreed, the
//! guideline's ground. No person, photo, note or token: residents follow their proposals.

use sqlx::PgConnection;
use survey_schema::{DecisionStatus, PublicKelurahan, PublicProposal, WilayahKode, WilayahLevel};

use crate::db;
use crate::refusal::{Message, Refusal, WorkflowError, refuse};

pub async fn kelurahan(
    conn: &mut PgConnection,
    raw: &str,
    tahun: i32,
) -> Result<PublicKelurahan, WorkflowError> {
    let kode = WilayahKode::parse(raw).map_err(|e| {
        Refusal::from(Message::InvalidKode {
            field: "kelurahan".into(),
            detail: e.to_string(),
        })
    })?;
    if kode.level() != WilayahLevel::Kelurahan {
        return refuse(Message::WrongLevel {
            level: kode.level().to_string(),
            kode,
            wanted: "kelurahan".into(),
            pattern: "PP.KK.CC.VVVV",
        });
    }
    let Some(nama) = db::review::wilayah_nama(conn, kode.as_str()).await? else {
        return refuse(Message::KelurahanNotFound { kode });
    };
    let kecamatan = kode
        .ancestor(WilayahLevel::Kecamatan)
        .map(|k| k.to_string())
        .unwrap_or_default();
    let kirim = db::kirim::standing(conn, &kecamatan, tahun).await?;
    let items = if let Some(k) = &kirim {
        super::kirim::snapshot_items(conn, k.id)
            .await?
            .into_iter()
            .filter(|i| i.kelurahan == kode)
            .collect()
    } else {
        let ids = db::review::kelurahan_proposal_ids(conn, kode.as_str(), tahun).await?;
        super::items(conn, &ids).await?
    };
    let mut proposals: Vec<PublicProposal> = items
        .into_iter()
        .map(|i| PublicProposal {
            nomor: i.nomor,
            rw: i.rw,
            rt: i.rt,
            usulan: i.usulan,
            lokasi: i.lokasi,
            volume: i.decided.volume,
            satuan: i.decided.satuan,
            anggaran: i.decided.anggaran,
            surveyed: i.survey.is_some(),
            status: i.decision,
            status_text: i.decision.label_id().to_owned(),
            reason: (i.decision == DecisionStatus::Rejected)
                .then(|| i.reason.map(survey_schema::RejectReason::text))
                .flatten(),
            sent: kirim.is_some(),
        })
        .collect();
    proposals.sort_by(|a, b| (&a.rw, &a.rt, &a.nomor).cmp(&(&b.rw, &b.rt, &b.nomor)));
    Ok(PublicKelurahan {
        kelurahan: kode,
        nama,
        tahun,
        proposals,
    })
}
