//! Running the survey checks (geo-rules) once a survey is complete, and storing what they find with
//! the proposal's anomalies; and running them again for many surveys at once when an input they
//! read changed (the kelurahan boundaries, a proposal's volume).

use std::collections::HashMap;

use chrono::{DateTime, SubsecRound as _, Utc};
use geo_rules::BoundaryIndex;
use geo_rules::survey_rules::{
    OtherPhoto, OtherSurvey, PhotoFacts, SurveyConfig, SurveyFacts, check_survey,
};
use geo_rules::units::normalize_unit;
use sqlx::{PgConnection, PgPool};
use survey_schema::{Anomaly, SurveyRecord, Unit, Wgs84Point};
use uuid::Uuid;

use crate::db;

/// Surveys re-checked in one transaction: large enough that the per-statement cost is spread thin,
/// small enough that a phone uploading meanwhile waits a fraction of a second for the lock.
pub const RECHECK_BATCH: usize = 1_000;

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

/// The checks of a survey arriving without photos, before it is stored: `visits` are its
/// surveyor's visits (in time order) in the [`neighbour_windows`] of its capture time, or more.
/// Stores nothing; the rules are those every other check runs.
pub fn check_arriving(
    index: &BoundaryIndex,
    ctx: &db::survey::SurveyContext,
    record: &SurveyRecord,
    visits: Vec<db::survey::Visit>,
) -> anyhow::Result<Vec<Anomaly>> {
    let evidence = Evidence {
        photos: Vec::new(),
        by_sha: HashMap::new(),
        by_kota: HashMap::new(),
        visits: ctx.surveyor_id.map(|id| (id, visits)).into_iter().collect(),
    };
    evidence.evaluate(index, ctx, record, &[])
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
    let anomalies = check(&mut *conn, index, &ctx, &record, &photos).await?;
    db::anomaly::delete_for_survey(&mut *conn, survey).await?;
    db::anomaly::insert_for_survey(&mut *conn, survey, ctx.proposal_id, &anomalies).await?;
    db::survey::touch_proposal(conn, ctx.proposal_id).await?;
    Ok(anomalies)
}

/// Runs the checks of a survey whose context and received photos the caller already has; reads
/// only what else the rules compare with (other proposals' photos, the surveyor's neighbouring
/// surveys in time), as a re-check of many surveys reads it. Stores nothing.
pub async fn check(
    conn: &mut PgConnection,
    index: &BoundaryIndex,
    ctx: &db::survey::SurveyContext,
    record: &SurveyRecord,
    photos: &[db::survey::PhotoRow],
) -> anyhow::Result<Vec<Anomaly>> {
    let evidence = Evidence::read(conn, &[(ctx, photos)]).await?;
    evidence.evaluate(index, ctx, record, photos)
}

/// The kota of a survey's proposal (`31.71`), where near-identical photos are looked for.
fn kota_of(ctx: &db::survey::SurveyContext) -> String {
    ctx.kelurahan_kode
        .ancestor(survey_schema::WilayahLevel::Kota)
        .map_or_else(|| ctx.kelurahan_kode.to_string(), |k| k.to_string())
}

/// The rules on what was read: the one place a survey's facts are put together, whether one survey
/// is checked or thousands.
fn apply_rules(
    index: &BoundaryIndex,
    ctx: &db::survey::SurveyContext,
    record: &SurveyRecord,
    photos: &[db::survey::PhotoRow],
    others: &[db::survey::PhotoRow],
    same_surveyor: &[(DateTime<Utc>, f64, f64)],
) -> anyhow::Result<Vec<Anomaly>> {
    let position = |exif: &serde_json::Value| {
        Wgs84Point::parse(exif["gps_lon"].as_f64()?, exif["gps_lat"].as_f64()?).ok()
    };
    let facts = SurveyFacts {
        kelurahan: ctx.kelurahan_kode.0.clone(),
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
        .iter()
        .map(|p| OtherPhoto {
            sha256: p.sha256.clone(),
            #[allow(clippy::cast_sign_loss)]
            phash: p.phash.map(|h| h as u64),
            proposal_id: p.proposal_id,
        })
        .collect();
    let same_surveyor: Vec<OtherSurvey> = same_surveyor
        .iter()
        .filter_map(|&(captured_at, lon, lat)| {
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

/// What a re-check of many surveys did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rechecked {
    /// Standing surveys whose checks ran.
    pub checked: usize,
    /// Of those, the surveys whose findings changed (stored anew; their proposals' versions move).
    pub changed: usize,
}

/// Runs the checks of the standing surveys among `ids` again, [`RECHECK_BATCH`] to a transaction:
/// each batch is read with a handful of statements (the surveys locked, their photos, the photos a
/// reuse check compares with, their surveyors' visits, their current findings), checked in memory,
/// and only the surveys whose findings changed are written, with one statement for all of them.
/// A proposal's version moves only when its evidence did.
pub async fn recheck(
    pool: &PgPool,
    index: &BoundaryIndex,
    ids: &[Uuid],
) -> anyhow::Result<Rechecked> {
    let mut done = Rechecked::default();
    for batch in ids.chunks(RECHECK_BATCH) {
        let started = std::time::Instant::now();
        let mut tx = pool.begin().await?;
        let standing = db::survey::lock_standing(&mut tx, batch).await?;
        if standing.is_empty() {
            continue;
        }
        let ids: Vec<Uuid> = standing.iter().map(|s| s.id).collect();
        let mut photos: HashMap<Uuid, Vec<db::survey::PhotoRow>> = HashMap::new();
        for (survey, photo) in db::survey::received_photos_of(&mut tx, &ids).await? {
            photos.entry(survey).or_default().push(photo);
        }
        let inputs: Vec<(&db::survey::SurveyContext, &[db::survey::PhotoRow])> = standing
            .iter()
            .map(|s| {
                let own = photos.get(&s.id).map_or(&[][..], Vec::as_slice);
                (&s.context, own)
            })
            .collect();
        let evidence = Evidence::read(&mut tx, &inputs).await?;
        let mut stored: HashMap<Uuid, Vec<Anomaly>> = HashMap::new();
        for (survey, row) in db::anomaly::of_surveys(&mut tx, &ids).await? {
            stored.entry(survey).or_default().push(row.into());
        }

        let read = started.elapsed();
        let mut changed_surveys = Vec::new();
        let mut changed_proposals = Vec::new();
        let mut findings = db::anomaly::SurveyAnomalyBatch::default();
        for survey in &standing {
            let record: SurveyRecord = serde_json::from_value(survey.body.clone())?;
            let own = photos.get(&survey.id).map_or(&[][..], Vec::as_slice);
            let found = evidence.evaluate(index, &survey.context, &record, own)?;
            if same_findings(
                stored.get(&survey.id).map_or(&[][..], Vec::as_slice),
                &found,
            ) {
                continue;
            }
            for a in &found {
                findings.push(survey.id, survey.context.proposal_id, a);
            }
            changed_surveys.push(survey.id);
            changed_proposals.push(survey.context.proposal_id);
        }
        let checked = started.elapsed();
        changed_proposals.sort_unstable();
        changed_proposals.dedup();
        if !changed_surveys.is_empty() {
            db::anomaly::replace_for_surveys(&mut tx, &changed_surveys, &findings).await?;
            db::survey::touch_proposals(&mut tx, &changed_proposals).await?;
        }
        tx.commit().await?;
        tracing::debug!(
            surveys = standing.len(),
            changed = changed_surveys.len(),
            read_ms = read.as_millis(),
            checked_ms = checked.saturating_sub(read).as_millis(),
            written_ms = started.elapsed().saturating_sub(checked).as_millis(),
            "re-checked a batch of surveys"
        );
        done.checked += standing.len();
        done.changed += changed_surveys.len();
    }
    Ok(done)
}

/// Whether two sets of findings say the same (in any order; details compared as JSON values, as
/// jsonb gives an object's keys back in an order of its own).
fn same_findings(stored: &[Anomaly], found: &[Anomaly]) -> bool {
    sorted_findings(stored) == sorted_findings(found)
}

fn sorted_findings(list: &[Anomaly]) -> Vec<&Anomaly> {
    let mut list: Vec<&Anomaly> = list.iter().collect();
    list.sort_by(|a, b| (&a.code, &a.message.en).cmp(&(&b.code, &b.message.en)));
    list
}

/// Up to this many surveys, [`Evidence::read`] lets the database find the near-identical photos.
const FEW_SURVEYS: usize = 16;

/// What the rules compare a set of surveys with, read once for the set: the photos a reuse check
/// may find (the same files, and the photos with a perceptual hash in the surveys' cities), and
/// the visits of the surveys' surveyors.
struct Evidence {
    /// (kota, photo), in the order of proposal and hash: which earlier photo a finding names
    /// does not depend on the order rows come in.
    photos: Vec<(String, db::survey::PhotoRow)>,
    by_sha: HashMap<String, Vec<usize>>,
    by_kota: HashMap<String, Vec<usize>>,
    visits: HashMap<i64, Vec<db::survey::Visit>>,
}

impl Evidence {
    async fn read(
        conn: &mut PgConnection,
        surveys: &[(&db::survey::SurveyContext, &[db::survey::PhotoRow])],
    ) -> anyhow::Result<Self> {
        let mut kotas: Vec<String> = surveys
            .iter()
            .filter(|(_, photos)| !photos.is_empty())
            .map(|(ctx, _)| kota_of(ctx))
            .collect();
        kotas.sort_unstable();
        kotas.dedup();
        let mut hashes: Vec<String> = surveys
            .iter()
            .flat_map(|(_, photos)| photos.iter().map(|p| p.sha256.clone()))
            .collect();
        hashes.sort_unstable();
        hashes.dedup();
        // A few surveys (a survey completing) ask the database for the near photos only; a batch
        // reads the cities' photos once and compares in memory.
        let own_phashes: Vec<i64> = surveys
            .iter()
            .flat_map(|(_, photos)| photos.iter().filter_map(|p| p.phash))
            .collect();
        let max_distance = i64::from(SurveyConfig::default().phash_max_distance);
        let near = (surveys.len() <= FEW_SURVEYS).then_some((own_phashes.as_slice(), max_distance));
        let photos = if hashes.is_empty() {
            Vec::new()
        } else {
            db::survey::photos_for_reuse(conn, &kotas, &hashes, near).await?
        };
        let mut by_sha: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_kota: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, (kota, photo)) in photos.iter().enumerate() {
            by_sha.entry(photo.sha256.clone()).or_default().push(i);
            if photo.phash.is_some() {
                by_kota.entry(kota.clone()).or_default().push(i);
            }
        }
        let mut surveyors: Vec<i64> = surveys
            .iter()
            .filter_map(|(ctx, _)| ctx.surveyor_id)
            .collect();
        surveyors.sort_unstable();
        surveyors.dedup();
        let mut visits: HashMap<i64, Vec<db::survey::Visit>> = HashMap::new();
        if !surveyors.is_empty() {
            for visit in db::survey::visits_of(conn, &surveyors).await? {
                visits.entry(visit.surveyor_id).or_default().push(visit);
            }
        }
        Ok(Self {
            photos,
            by_sha,
            by_kota,
            visits,
        })
    }

    /// One survey's findings.
    fn evaluate(
        &self,
        index: &BoundaryIndex,
        ctx: &db::survey::SurveyContext,
        record: &SurveyRecord,
        photos: &[db::survey::PhotoRow],
    ) -> anyhow::Result<Vec<Anomaly>> {
        let others = self.others_for(ctx, photos);
        let neighbours = ctx
            .surveyor_id
            .and_then(|id| self.visits.get(&id))
            .map(|visits| neighbours_in_time(visits, record.captured_at))
            .unwrap_or_default();
        apply_rules(index, ctx, record, photos, &others, &neighbours)
    }

    /// The photos of other proposals the reuse rule could name for these photos of `ctx`'s
    /// survey: those with one of their hashes, and those in its kota within the rule's Hamming
    /// distance of one of their perceptual hashes. Nothing farther can be found by the rule, so
    /// the rule sees a few photos, not the whole city's.
    fn others_for(
        &self,
        ctx: &db::survey::SurveyContext,
        own: &[db::survey::PhotoRow],
    ) -> Vec<db::survey::PhotoRow> {
        if own.is_empty() {
            return Vec::new();
        }
        let max_distance = SurveyConfig::default().phash_max_distance;
        let own_hashes: Vec<i64> = own.iter().filter_map(|p| p.phash).collect();
        let mut picked = std::collections::BTreeSet::new();
        for p in own {
            picked.extend(self.by_sha.get(&p.sha256).into_iter().flatten());
        }
        if !own_hashes.is_empty() {
            let near = self
                .by_kota
                .get(&kota_of(ctx))
                .into_iter()
                .flatten()
                .filter(|&&i| {
                    self.photos[i].1.phash.is_some_and(|hash| {
                        own_hashes
                            .iter()
                            .any(|own| (hash ^ own).count_ones() <= max_distance)
                    })
                });
            picked.extend(near);
        }
        picked
            .into_iter()
            .map(|&i| &self.photos[i].1)
            .filter(|p| p.proposal_id != ctx.proposal_id)
            .cloned()
            .collect()
    }
}

/// How far in time a surveyor's neighbouring visit may be (either way) and still be compared.
const NEIGHBOUR_REACH: chrono::Duration = chrono::Duration::days(1);
/// How close in time a visit may be and still not count as a neighbour (the same stop).
const NEIGHBOUR_GAP: chrono::Duration = chrono::Duration::minutes(1);

/// Where in time a surveyor's neighbouring visits of a survey captured `at` lie: before, then
/// after (ends included). [`neighbours_in_time`] takes the latest of the one, the earliest of the
/// other. The ends are rounded inwards to whole microseconds, as the database keeps times, so
/// that a stored visit is in a window exactly when the rule would take it, even for an `at` with
/// finer digits.
pub fn neighbour_windows(at: DateTime<Utc>) -> [(DateTime<Utc>, DateTime<Utc>); 2] {
    let floor = |t: DateTime<Utc>| t.trunc_subsecs(6);
    let ceil = |t: DateTime<Utc>| {
        let down = t.trunc_subsecs(6);
        if down == t {
            t
        } else {
            down + chrono::Duration::microseconds(1)
        }
    };
    [
        (ceil(at - NEIGHBOUR_REACH), floor(at - NEIGHBOUR_GAP)),
        (ceil(at + NEIGHBOUR_GAP), floor(at + NEIGHBOUR_REACH)),
    ]
}

/// The surveyor's visits just before and just after `at` (at least a minute apart, within a day),
/// from its visits in time order. Travel speed is judged between neighbours in time; comparing
/// with every survey of the day would grow with the surveyor's history and add nothing, as the
/// fastest leg of a trip is always between two consecutive stops.
fn neighbours_in_time(
    visits: &[db::survey::Visit],
    at: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, f64, f64)> {
    let (minute, day) = (NEIGHBOUR_GAP, NEIGHBOUR_REACH);
    let mut out = Vec::new();
    let before = visits.partition_point(|v| v.captured_at <= at - minute);
    if let Some(v) = before
        .checked_sub(1)
        .map(|i| &visits[i])
        .filter(|v| v.captured_at >= at - day)
    {
        out.push((v.captured_at, v.lon, v.lat));
    }
    let after = visits.partition_point(|v| v.captured_at < at + minute);
    if let Some(v) = visits.get(after).filter(|v| v.captured_at <= at + day) {
        out.push((v.captured_at, v.lon, v.lat));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit(minute: i64) -> db::survey::Visit {
        db::survey::Visit {
            surveyor_id: 1,
            id: Uuid::new_v4(),
            captured_at: DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::minutes(minute),
            lon: 106.8,
            lat: -6.2,
        }
    }

    #[test]
    fn neighbours_are_the_nearest_visits_a_minute_or_more_away_within_a_day() {
        let at = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::minutes(100);
        let visits: Vec<_> = [-2000, 50, 99, 100, 100, 101, 130, 3000]
            .into_iter()
            .map(visit)
            .collect();
        let times: Vec<i64> = neighbours_in_time(&visits, at)
            .iter()
            .map(|(t, ..)| (*t - DateTime::<Utc>::UNIX_EPOCH).num_minutes())
            .collect();
        assert_eq!(times, [99, 101]);
        let far: Vec<_> = [-2000, 3000].into_iter().map(visit).collect();
        assert!(neighbours_in_time(&far, at).is_empty());
    }

    /// What storing a survey reads (the latest visit in the window before, the earliest in the
    /// one after, as `arrival_contexts` selects them) gives the neighbours the whole history gives.
    #[test]
    fn the_windows_hold_the_neighbours_the_whole_history_gives() {
        let mut visits: Vec<_> = [
            -3000, -1441, -1440, -1439, -2, -1, 0, 0, 1, 2, 1439, 1440, 1441,
        ]
        .into_iter()
        .map(visit)
        .collect();
        visits.sort_by_key(|v| (v.captured_at, v.id));
        // Times with finer digits than the database keeps (visits are stored to the microsecond).
        let nanos = [0, 1, 999, 999_999];
        for (minute, nano) in [-1500, -1440, -3, -1, 0, 1, 3, 1440, 2000]
            .into_iter()
            .flat_map(|m| nanos.map(|n| (m, n)))
        {
            let at = DateTime::<Utc>::UNIX_EPOCH
                + chrono::Duration::minutes(minute)
                + chrono::Duration::nanoseconds(nano);
            let [before, after] = neighbour_windows(at);
            let within = |(from, to): (DateTime<Utc>, DateTime<Utc>)| {
                // The bounds as the database receives them: to the microsecond.
                let (from, to) = (from.trunc_subsecs(6), to.trunc_subsecs(6));
                visits
                    .iter()
                    .filter(move |v| from <= v.captured_at && v.captured_at <= to)
            };
            let read: Vec<_> = within(before)
                .next_back()
                .into_iter()
                .chain(within(after).next())
                .cloned()
                .collect();
            assert_eq!(
                neighbours_in_time(&read, at),
                neighbours_in_time(&visits, at),
                "at minute {minute} and {nano} ns"
            );
        }
    }
}
