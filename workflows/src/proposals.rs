//! Proposals as the API lists them: within an area, with their anomalies, most serious first.

use std::collections::HashMap;

use rust_decimal::prelude::ToPrimitive;
use sqlx::PgPool;
use survey_schema::{
    ActivityRef, Anomaly, ProposalPage, ProposalView, RawPoint, Unit, WilayahKode,
};
use tinjau_domain::CurrentUser;

use crate::db;
use crate::refusal::{Message, WorkflowError, refuse};

/// What the list is asked for.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// The proposals within this area.
    pub wilayah: WilayahKode,
    pub tahun: Option<i32>,
    pub status: Option<String>,
    /// An anomaly code, `any` or `none`.
    pub anomaly: Option<String>,
    /// `severity` (default), `anggaran`, `unit_cost` or `id`.
    pub sort: Option<String>,
    /// From 1 (default 1).
    pub page: Option<i64>,
    /// 1 to 200 (default 50).
    pub per_page: Option<i64>,
}

/// One page of the proposals within an area the caller covers.
pub async fn list(
    pool: &PgPool,
    user: &CurrentUser,
    query: ListQuery,
) -> Result<ProposalPage, WorkflowError> {
    user.require_covers(&query.wilayah)?;
    let sort = query.sort.unwrap_or_else(|| "severity".into());
    if !["severity", "anggaran", "unit_cost", "id"].contains(&sort.as_str()) {
        return refuse(Message::InvalidSort { sort });
    }
    let page = query.page.unwrap_or(1);
    let per_page = query.per_page.unwrap_or(50);
    if page < 1 || !(1..=200).contains(&per_page) {
        return refuse(Message::InvalidPage { max: 200 });
    }
    let filter = db::proposal::ListFilter {
        wilayah: query.wilayah.to_string(),
        tahun: query.tahun,
        status: query.status.map(|s| s.to_lowercase()),
        anomaly: query.anomaly,
        sort,
        limit: per_page,
        offset: (page - 1).saturating_mul(per_page),
    };
    let rows = db::proposal::list(pool, &filter).await?;
    let total = rows.first().map_or(0, |r| r.total);
    let items = with_anomalies(pool, rows).await?;
    Ok(ProposalPage {
        items,
        page,
        per_page,
        total,
    })
}

/// One proposal with its anomalies, if the caller covers it.
pub async fn get(
    pool: &PgPool,
    user: &CurrentUser,
    id: i64,
) -> Result<ProposalView, WorkflowError> {
    let Some(row) = db::proposal::get(pool, id).await? else {
        return refuse(Message::ProposalNotFound { id });
    };
    user.require_covers(&row.kelurahan_kode)?;
    let mut items = with_anomalies(pool, vec![row]).await?;
    items
        .pop()
        .ok_or_else(|| WorkflowError::Internal(anyhow::anyhow!("proposal {id} vanished")))
}

async fn with_anomalies(
    pool: &PgPool,
    rows: Vec<db::proposal::ProposalRow>,
) -> Result<Vec<ProposalView>, WorkflowError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut anomalies: HashMap<i64, Vec<Anomaly>> = HashMap::new();
    for a in db::anomaly::for_proposals(pool, &ids).await? {
        anomalies
            .entry(a.proposal_id)
            .or_default()
            .push(Anomaly::from(a));
    }
    rows.into_iter()
        .map(|r| {
            let list = anomalies.remove(&r.id).unwrap_or_default();
            Ok(ProposalView {
                id: r.id,
                tahun: r.tahun,
                kelurahan: r.kelurahan_kode.into(),
                kelurahan_nama: r.kelurahan_nama,
                kecamatan: r.kecamatan_kode.into(),
                rw: r.rw,
                rt: r.rt,
                nomor: r.nomor,
                permasalahan: r.permasalahan,
                program: r.program,
                usulan: r.usulan,
                lokasi: r.lokasi,
                // Checked: a tiny volume must not overflow the decimal (and panic).
                unit_cost: rust_decimal::Decimal::from(r.anggaran)
                    .checked_div(r.volume)
                    .and_then(|c| c.round().to_i64()),
                volume: r.volume.normalize(),
                satuan: r.satuan_raw,
                unit: r.unit.as_deref().and_then(Unit::from_code),
                anggaran: r.anggaran,
                skpd_tujuan: r.skpd_tujuan,
                status: r.status,
                activity: r
                    .activity_code
                    .zip(r.activity_nama)
                    .map(|(code, nama)| ActivityRef { code, nama }),
                pin: r.lon.zip(r.lat).map(|(lon, lat)| RawPoint { lat, lon }),
                max_severity: list.iter().map(|a| a.severity).max(),
                anomalies: list,
            })
        })
        .collect()
}
