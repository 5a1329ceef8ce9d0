//! Running the survey checks (geo-rules) once a survey is complete, and storing what they find with
//! the proposal's anomalies.

use geo_rules::survey_rules::{
    OtherPhoto, OtherSurvey, PhotoFacts, SurveyConfig, SurveyFacts, check_survey,
};
use geo_rules::units::normalize_unit;
use sqlx::PgPool;
use survey_schema::{Anomaly, SurveyRecord, Unit, Wgs84Point, WilayahKode};
use uuid::Uuid;

use crate::db;
use crate::locator::SharedIndex;

/// Checks a survey and replaces its stored anomalies; returns them.
pub async fn run(pool: &PgPool, index: &SharedIndex, survey: Uuid) -> anyhow::Result<Vec<Anomaly>> {
    let Some(ctx) = db::survey::context(pool, survey).await? else {
        anyhow::bail!("survey {survey} vanished");
    };
    let record: SurveyRecord = serde_json::from_value(ctx.body.clone())?;
    let photos = db::survey::received_photos(pool, survey).await?;
    let hashes: Vec<String> = photos.iter().map(|p| p.sha256.clone()).collect();
    let kota = ctx.kelurahan_kode.get(..5).unwrap_or(&ctx.kelurahan_kode);
    let others =
        db::survey::photos_of_other_proposals(pool, ctx.proposal_id, kota, &hashes).await?;
    let same_surveyor = match ctx.surveyor_id {
        Some(id) => {
            db::survey::same_surveyor_nearby_in_time(pool, id, survey, record.captured_at).await?
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
    let boundaries = index.get();
    let anomalies = check_survey(
        &facts,
        Some(&boundaries),
        &others,
        &same_surveyor,
        &SurveyConfig::default(),
    );
    let mut tx = pool.begin().await?;
    db::anomaly::replace_for_survey(&mut tx, survey, ctx.proposal_id, &anomalies).await?;
    tx.commit().await?;
    Ok(anomalies)
}
