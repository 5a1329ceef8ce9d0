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
    // Decisions reach the public only once sent: the standing Kirim, or after a reopening the last
    // one sent (marked as being revised); before any, every proposal is under review.
    let latest = db::kirim::latest(conn, &kecamatan, tahun).await?;
    let revising = latest.as_ref().is_some_and(|k| k.reopened_at.is_some());
    let items = if let Some(k) = &latest {
        super::kirim::snapshot_items(conn, k.id)
            .await?
            .into_iter()
            .filter(|i| i.kelurahan == kode)
            .collect()
    } else {
        let ids = db::review::kelurahan_proposal_ids(conn, kode.as_str(), tahun).await?;
        super::items(conn, &ids).await?
    };
    let sent = latest.is_some();
    let mut proposals: Vec<PublicProposal> =
        items.into_iter().map(|i| public_of(i, sent)).collect();
    proposals.sort_by(|a, b| (&a.rw, &a.rt, &a.nomor).cmp(&(&b.rw, &b.rt, &b.nomor)));
    Ok(PublicKelurahan {
        kelurahan: kode,
        nama,
        tahun,
        proposals,
        sent,
        revising,
        audit_entry: latest.as_ref().map(|k| k.audit_seq),
    })
}

/// A proposal as the public sees it: as sent, or, before the list is sent, as proposed and under
/// review (no decision, no ground).
fn public_of(i: survey_schema::ReviewItem, sent: bool) -> PublicProposal {
    let (volume, satuan, anggaran) = if sent {
        (i.decided.volume, i.decided.satuan, i.decided.anggaran)
    } else {
        (i.volume, i.satuan, i.anggaran)
    };
    let status = if sent {
        i.decision
    } else {
        DecisionStatus::Undecided
    };
    PublicProposal {
        nomor: i.nomor,
        rw: i.rw,
        rt: i.rt,
        usulan: i.usulan,
        lokasi: i.lokasi,
        volume,
        satuan,
        anggaran,
        surveyed: i.survey.is_some(),
        status,
        status_text: if sent {
            status.label_id().to_owned()
        } else {
            "Sedang ditinjau".to_owned()
        },
        reason: (sent && status == DecisionStatus::Rejected)
            .then(|| i.reason.map(survey_schema::RejectReason::text))
            .flatten(),
        sent,
    }
}
