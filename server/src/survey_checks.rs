//! Running the survey checks (geo-rules) once a survey is complete, and storing what they find with
//! the proposal's anomalies.

use geo_rules::BoundaryIndex;
use geo_rules::survey_rules::{
    OtherPhoto, OtherSurvey, PhotoFacts, SurveyConfig, SurveyFacts, check_survey,
};
use geo_rules::units::normalize_unit;
use sqlx::{PgConnection, PgPool};
use survey_schema::{Anomaly, SurveyRecord, Unit, Wgs84Point, WilayahKode};
use uuid::Uuid;

use crate::db;

/// Runs a survey's checks again if the survey is complete (every declared photo received and
/// read), in a transaction of its own that holds the survey's row; returns whether it was.
pub async fn run_if_complete(
    pool: &PgPool,
    index: &BoundaryIndex,
    survey: Uuid,
) -> anyhow::Result<bool> {
    let mut tx = pool.begin().await?;
    db::survey::lock(&mut tx, survey).await?;
    let complete = db::survey::get(&mut tx, survey)
        .await?
        .is_some_and(|s| s.missing_photos.is_empty() && s.processing_photos.is_empty());
    if complete {
        run(&mut tx, index, survey).await?;
        tx.commit().await?;
    }
    Ok(complete)
}

/// Checks a stored survey and replaces its anomalies; returns them.
pub async fn run(
    conn: &mut PgConnection,
    index: &BoundaryIndex,
    survey: Uuid,
) -> anyhow::Result<Vec<Anomaly>> {
    let Some((ctx, body)) = db::survey::context(&mut *conn, survey).await? else {
        anyhow::bail!("survey {survey} vanished");
    };
    let record: SurveyRecord = serde_json::from_value(body)?;
    let photos = db::survey::received_photos(&mut *conn, survey).await?;
    let anomalies = check(&mut *conn, index, survey, &ctx, &record, &photos).await?;
    db::anomaly::delete_for_survey(&mut *conn, survey).await?;
    db::anomaly::insert_for_survey(&mut *conn, survey, ctx.proposal_id, &anomalies).await?;
    db::survey::touch_proposal(conn, ctx.proposal_id).await?;
    Ok(anomalies)
}

/// Runs the checks of a survey whose context and received photos the caller already has; reads
/// only what else the rules compare with (other proposals' photos, the surveyor's neighbouring
/// surveys in time). Stores nothing.
pub async fn check(
    conn: &mut PgConnection,
    index: &BoundaryIndex,
    survey: Uuid,
    ctx: &db::survey::SurveyContext,
    record: &SurveyRecord,
    photos: &[db::survey::PhotoRow],
) -> anyhow::Result<Vec<Anomaly>> {
    let hashes: Vec<String> = photos.iter().map(|p| p.sha256.clone()).collect();
    let kota = ctx.kelurahan_kode.get(..5).unwrap_or(&ctx.kelurahan_kode);
    let others = if photos.is_empty() {
        Vec::new()
    } else {
        db::survey::photos_of_other_proposals(&mut *conn, ctx.proposal_id, kota, &hashes).await?
    };
    let same_surveyor = match ctx.surveyor_id {
        Some(id) => {
            db::survey::same_surveyor_neighbours(&mut *conn, id, survey, record.captured_at).await?
        }
        None => Vec::new(),
    };
    let position = |exif: &serde_json::Value| {
        Wgs84Point::parse(exif["gps_lon"].as_f64()?, exif["gps_lat"].as_f64()?).ok()
    };
    let facts = SurveyFacts {
        kelurahan: WilayahKode::parse(&ctx.kelurahan_kode)?,
        proposed_volume: ctx.volume,
        proposed_unit: ctx.unit.as_deref().and_then(Unit::from_code),
        captured_at: record.captured_at,
        fix: Wgs84Point::parse(record.fix.lon, record.fix.lat)?,
        accuracy_m: record.fix.accuracy_m,
        trace: record.trace.clone(),
        volume: record.volume.value,
        unit: normalize_unit(&record.volume.satuan),
        photos: photos
            .iter()
            .map(|p| {
                let exif = p.exif.clone().unwrap_or_default();
                PhotoFacts {
                    sha256: p.sha256.clone(),
                    exif_position: position(&exif),
                    exif_time: exif["taken_at"].as_str().map(str::to_owned),
                    exif_offset: exif["offset"].as_str().map(str::to_owned),
                    #[allow(clippy::cast_sign_loss)]
                    phash: p.phash.map(|h| h as u64),
                    decode_error: p.decode_error.clone(),
                }
            })
            .collect(),
    };
    let others: Vec<OtherPhoto> = others
        .into_iter()
        .map(|p| OtherPhoto {
            sha256: p.sha256,
            #[allow(clippy::cast_sign_loss)]
            phash: p.phash.map(|h| h as u64),
            proposal_id: p.proposal_id,
        })
        .collect();
    let same_surveyor: Vec<OtherSurvey> = same_surveyor
        .into_iter()
        .filter_map(|(captured_at, lon, lat)| {
            Some(OtherSurvey {
                captured_at,
                fix: Wgs84Point::parse(lon, lat).ok()?,
            })
        })
        .collect();
    Ok(check_survey(
        &facts,
        Some(index),
        &others,
        &same_surveyor,
        &SurveyConfig::default(),
    ))
}
