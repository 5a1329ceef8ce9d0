//! Areas (wilayah) and their kelurahan boundaries, as the API and the phones read them.

use sqlx::PgPool;
use survey_schema::{WilayahDetail, WilayahKode};
use tinjau_domain::CurrentUser;

use crate::db;
use crate::refusal::{Message, WorkflowError, refuse};

fn not_found<T>(kode: &WilayahKode) -> Result<T, WorkflowError> {
    refuse(Message::AreaNotFound { kode: kode.clone() })
}

/// An area with its parent, its children and how far its kelurahan boundaries are known.
pub async fn detail(pool: &PgPool, kode: &WilayahKode) -> Result<WilayahDetail, WorkflowError> {
    let Some(row) = db::wilayah::find(pool, kode).await? else {
        return not_found(kode);
    };
    let this = row.to_ref()?;
    let parent = match kode.parent() {
        Some(p) => db::wilayah::find(pool, &p)
            .await?
            .map(|r| r.to_ref())
            .transpose()?,
        None => None,
    };
    let children = db::wilayah::children(pool, kode)
        .await?
        .iter()
        .map(db::wilayah::WilayahRow::to_ref)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (has_boundary, kelurahan_boundaries) = db::boundary::coverage(pool, kode).await?;
    Ok(WilayahDetail {
        kode: this.kode,
        nama: this.nama,
        level: this.level,
        jenis: this.jenis,
        parent,
        children,
        has_boundary,
        kelurahan_boundaries,
    })
}

/// The fingerprint of the kelurahan boundaries within a known area: it changes when they do.
pub async fn boundaries_fingerprint(
    pool: &PgPool,
    kode: &WilayahKode,
) -> Result<String, WorkflowError> {
    if db::wilayah::find(pool, kode).await?.is_none() {
        return not_found(kode);
    }
    Ok(db::boundary::kelurahan_fingerprint(pool, kode).await?)
}

/// The kelurahan polygons within a known area as a GeoJSON FeatureCollection (`kode`, `nama`),
/// with their fingerprint.
pub async fn boundaries(
    pool: &PgPool,
    kode: &WilayahKode,
) -> Result<(String, String), WorkflowError> {
    if db::wilayah::find(pool, kode).await?.is_none() {
        return not_found(kode);
    }
    Ok(db::boundary::kelurahan_collection(pool, kode).await?)
}

/// The PostgreSQL and PostGIS versions of the database, if it answers.
pub async fn database_versions(pool: &PgPool) -> Result<(String, String), WorkflowError> {
    Ok(db::server_versions(pool).await?)
}

/// The kelurahan of a kecamatan that `user` may read (a lurah: its own), as (code, name).
pub async fn kelurahan_readable(
    pool: &PgPool,
    user: &CurrentUser,
    kecamatan: &WilayahKode,
) -> Result<Vec<(String, String)>, WorkflowError> {
    Ok(db::wilayah::children(pool, kecamatan)
        .await?
        .into_iter()
        .filter(|w| user.covers(&w.kode))
        .map(|w| (w.kode.to_string(), w.nama))
        .collect())
}

/// The areas directly under `parent` (kota of a provinsi, kecamatan of a kota) that the caller
/// may see, by code with their names: what a page offers to choose from.
pub async fn children_readable(
    pool: &PgPool,
    user: &CurrentUser,
    parent: &WilayahKode,
) -> Result<Vec<(String, String)>, WorkflowError> {
    Ok(db::wilayah::children(pool, parent)
        .await?
        .into_iter()
        .filter(|w| {
            // Those inside the caller's area, and those its area lies in (a camat's kota).
            user.covers(&w.kode) || user.scope.as_ref().is_some_and(|s| w.kode.contains(s))
        })
        .map(|w| (w.kode.to_string(), w.nama))
        .collect())
}

/// An area's name, if the code list has it.
pub async fn name_of(pool: &PgPool, kode: &WilayahKode) -> Result<Option<String>, WorkflowError> {
    Ok(db::wilayah::find(pool, kode).await?.map(|w| w.nama))
}
