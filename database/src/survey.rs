//! The `survey` and `survey_photo` tables.

use crate::Kode;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// A survey ready to store: its row, the photos it declares, its findings and who sent it (for
/// its audit entry), owned so that it can wait in a batch.
#[derive(Debug)]
pub struct ArrivingSurvey {
    pub id: Uuid,
    pub proposal_id: i64,
    pub surveyor_id: Option<i64>,
    pub body: serde_json::Value,
    pub body_sha256: String,
    pub captured_at: DateTime<Utc>,
    pub lon: f64,
    pub lat: f64,
    pub accuracy_m: f64,
    /// The survey the phone says this one corrects.
    pub supersedes: Option<Uuid>,
    pub photos: DeclaredPhotos,
    /// This survey's findings (their survey and proposal ids are this survey's).
    pub findings: crate::anomaly::SurveyAnomalyBatch,
    pub actor: String,
    pub actor_id: Option<i64>,
    pub actor_role: Option<String>,
    pub request_id: Option<String>,
    /// The proposal's kecamatan, which the audit entry names.
    pub kecamatan: Option<String>,
}

/// The photos a survey declares, as columns.
#[derive(Debug, Clone, Default)]
pub struct DeclaredPhotos {
    pub sha256: Vec<String>,
    pub bytes: Vec<i64>,
    pub content_types: Vec<String>,
    pub captions: Vec<Option<String>>,
}

/// Stores a survey, its declared photos, its findings and its audit entry in one statement that
/// commits (`survey_store` in the migrations: it also answers an open request for another visit
/// and replaces the survey sent back). Returns the received time, or `None` if the id exists.
pub async fn store(
    pool: &PgPool,
    s: &ArrivingSurvey,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let (photos, findings) = (&s.photos, &s.findings);
    sqlx::query_scalar!(
        r#"SELECT survey_store($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                               $11::text[], $12::int8[], $13::text[], $14::text[],
                               $15::text[], $16::text[], $17::text[], $18::text[], $19::jsonb[],
                               $20, $21, $22, 'survey.store', 'survey', $23, $24) AS received_at"#,
        s.id,
        s.proposal_id,
        s.surveyor_id,
        &s.body,
        s.body_sha256,
        s.captured_at,
        s.lon,
        s.lat,
        s.accuracy_m,
        s.supersedes,
        &photos.sha256,
        &photos.bytes,
        &photos.content_types,
        &photos.captions as &[Option<String>],
        &findings.codes,
        &findings.severities,
        &findings.messages_id,
        &findings.messages_en,
        &findings.details,
        s.actor,
        s.actor_id,
        s.actor_role,
        s.kecamatan,
        s.request_id,
    )
    .fetch_one(pool)
    .await
}

/// What a batch did with one of its surveys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InBatch {
    /// Stored now (its received time), or `None`: its id was stored before.
    Received(Option<DateTime<Utc>>),
    /// Left to [`store`]: its proposal has an open request for another visit.
    Alone,
}

/// Stores surveys with distinct ids together, each as [`store`] would alone, in one statement that
/// commits (`survey_store_many`). Returns what became of each, in order; or `None` when the batch
/// holds a correction (decided one survey at a time): then nothing is stored.
pub async fn store_many(
    pool: &PgPool,
    surveys: &[ArrivingSurvey],
) -> Result<Option<Vec<InBatch>>, sqlx::Error> {
    let mut c = ManyColumns::default();
    for s in surveys {
        c.push(s);
    }
    let rows = sqlx::query!(
        r#"SELECT id AS "id!", received_at, alone AS "alone!" FROM survey_store_many(
               $1::uuid[], $2::int8[], $3::int8[], $4::jsonb[], $5::text[], $6::timestamptz[],
               $7::float8[], $8::float8[], $9::float8[], $10::uuid[],
               $11::uuid[], $12::text[], $13::int8[], $14::text[], $15::text[],
               $16::uuid[], $17::int8[], $18::text[], $19::text[], $20::text[], $21::text[],
               $22::jsonb[],
               $23::text[], $24::int8[], $25::text[], $26::text[], $27::text[])"#,
        &c.ids,
        &c.proposal_ids,
        &c.surveyor_ids as &[Option<i64>],
        &c.bodies,
        &c.body_sha256,
        &c.captured_at,
        &c.lon,
        &c.lat,
        &c.accuracy_m,
        &c.supersedes as &[Option<Uuid>],
        &c.photo_survey,
        &c.photos.sha256,
        &c.photos.bytes,
        &c.photos.content_types,
        &c.photos.captions as &[Option<String>],
        &c.findings.survey_ids,
        &c.findings.proposal_ids,
        &c.findings.codes,
        &c.findings.severities,
        &c.findings.messages_id,
        &c.findings.messages_en,
        &c.findings.details,
        &c.actors,
        &c.actor_ids as &[Option<i64>],
        &c.actor_roles as &[Option<String>],
        &c.kecamatan as &[Option<String>],
        &c.request_ids as &[Option<String>],
    )
    .fetch_all(pool)
    .await?;
    if rows.is_empty() && !surveys.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        rows.into_iter()
            .map(|r| {
                if r.alone {
                    InBatch::Alone
                } else {
                    InBatch::Received(r.received_at)
                }
            })
            .collect(),
    ))
}

/// [`store_many`]'s surveys as columns (the photos and findings of all, each naming its survey).
#[derive(Default)]
struct ManyColumns {
    ids: Vec<Uuid>,
    proposal_ids: Vec<i64>,
    surveyor_ids: Vec<Option<i64>>,
    bodies: Vec<serde_json::Value>,
    body_sha256: Vec<String>,
    captured_at: Vec<DateTime<Utc>>,
    lon: Vec<f64>,
    lat: Vec<f64>,
    accuracy_m: Vec<f64>,
    supersedes: Vec<Option<Uuid>>,
    photo_survey: Vec<Uuid>,
    photos: DeclaredPhotos,
    findings: crate::anomaly::SurveyAnomalyBatch,
    actors: Vec<String>,
    actor_ids: Vec<Option<i64>>,
    actor_roles: Vec<Option<String>>,
    kecamatan: Vec<Option<String>>,
    request_ids: Vec<Option<String>>,
}

impl ManyColumns {
    fn push(&mut self, s: &ArrivingSurvey) {
        self.ids.push(s.id);
        self.proposal_ids.push(s.proposal_id);
        self.surveyor_ids.push(s.surveyor_id);
        self.bodies.push(s.body.clone());
        self.body_sha256.push(s.body_sha256.clone());
        self.captured_at.push(s.captured_at);
        self.lon.push(s.lon);
        self.lat.push(s.lat);
        self.accuracy_m.push(s.accuracy_m);
        self.supersedes.push(s.supersedes);
        self.photo_survey
            .extend(std::iter::repeat_n(s.id, s.photos.sha256.len()));
        self.photos.sha256.extend_from_slice(&s.photos.sha256);
        self.photos.bytes.extend_from_slice(&s.photos.bytes);
        self.photos
            .content_types
            .extend_from_slice(&s.photos.content_types);
        self.photos.captions.extend_from_slice(&s.photos.captions);
        self.findings.extend(&s.findings);
        self.actors.push(s.actor.clone());
        self.actor_ids.push(s.actor_id);
        self.actor_roles.push(s.actor_role.clone());
        self.kecamatan.push(s.kecamatan.clone());
        self.request_ids.push(s.request_id.clone());
    }
}

/// A stored survey.
#[derive(Debug, Clone)]
pub struct SurveyRow {
    pub id: Uuid,
    pub proposal_id: i64,
    pub kelurahan_kode: Kode,
    pub surveyor: Option<String>,
    pub body: serde_json::Value,
    pub body_sha256: String,
    pub received_at: DateTime<Utc>,
    pub superseded_by: Option<Uuid>,
    pub missing_photos: Vec<String>,
    pub processing_photos: Vec<String>,
}

pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<SurveyRow>, sqlx::Error> {
    sqlx::query_as!(
        SurveyRow,
        r#"SELECT s.id, s.proposal_id, p.kelurahan_kode AS "kelurahan_kode: Kode", u.name AS "surveyor?", s.body, s.body_sha256, s.received_at,
                  (SELECT n.id FROM survey n WHERE n.supersedes = s.id) AS "superseded_by?",
                  coalesce((SELECT array_agg(ph.sha256 ORDER BY ph.sha256) FROM survey_photo ph
                             WHERE ph.survey_id = s.id AND ph.received_at IS NULL), '{}') AS "missing_photos!",
                  coalesce((SELECT array_agg(ph.sha256 ORDER BY ph.sha256) FROM survey_photo ph
                             WHERE ph.survey_id = s.id AND ph.received_at IS NOT NULL AND ph.processed_at IS NULL), '{}')
                    AS "processing_photos!"
             FROM survey s
             JOIN proposal p ON p.id = s.proposal_id
             LEFT JOIN app_user u ON u.id = s.surveyor_id
            WHERE s.id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await
}

/// The proposal of a survey that another survey wants to supersede, and the survey that already
/// supersedes it, if any.
pub async fn supersede_target(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<(i64, Option<Uuid>)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT s.proposal_id, (SELECT n.id FROM survey n WHERE n.supersedes = s.id) AS "taken_by?"
             FROM survey s WHERE s.id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.proposal_id, r.taken_by)))
}

/// What a survey is checked against: its proposal's kelurahan and volume, and who surveyed it.
#[derive(Debug, Clone)]
pub struct SurveyContext {
    pub proposal_id: i64,
    pub kelurahan_kode: Kode,
    pub volume: rust_decimal::Decimal,
    pub unit: Option<String>,
    pub surveyor_id: Option<i64>,
}

/// A proposal as a survey of it needs it (`surveyor_id` left empty), if the proposal exists.
pub async fn proposal_context(
    pool: &PgPool,
    proposal_id: i64,
) -> Result<Option<SurveyContext>, sqlx::Error> {
    sqlx::query_as!(
        SurveyContext,
        r#"SELECT id AS proposal_id, kelurahan_kode AS "kelurahan_kode: Kode", volume, unit, NULL::int8 AS surveyor_id
             FROM proposal WHERE id = $1"#,
        proposal_id
    )
    .fetch_optional(pool)
    .await
}

/// A declared photo, as an upload needs it.
#[derive(Debug, Clone)]
pub struct DeclaredPhoto {
    pub proposal_id: i64,
    pub kelurahan_kode: Kode,
    pub bytes: i64,
    pub content_type: String,
    pub received: bool,
    pub processed: bool,
    pub has_thumbnail: bool,
}

pub async fn declared_photo(
    pool: &PgPool,
    survey: Uuid,
    sha256: &str,
) -> Result<Option<DeclaredPhoto>, sqlx::Error> {
    sqlx::query_as!(
        DeclaredPhoto,
        r#"SELECT s.proposal_id, p.kelurahan_kode AS "kelurahan_kode: Kode", ph.bytes, ph.content_type, ph.received_at IS NOT NULL AS "received!",
                  ph.processed_at IS NOT NULL AS "processed!", ph.has_thumbnail
             FROM survey_photo ph
             JOIN survey s ON s.id = ph.survey_id
             JOIN proposal p ON p.id = s.proposal_id
            WHERE ph.survey_id = $1 AND ph.sha256 = $2"#,
        survey,
        sha256
    )
    .fetch_optional(pool)
    .await
}

/// What was read from a received photo as it arrived.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ReceivedPhoto {
    pub exif: Option<serde_json::Value>,
    pub exif_error: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// Nothing is left for the background worker (a HEIC, whose pixels are not decoded here).
    pub processed: bool,
}

/// Marks a photo received (once its object is durable); returns false if it already was.
pub async fn mark_received(
    conn: &mut PgConnection,
    survey: Uuid,
    sha256: &str,
    r: &ReceivedPhoto,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query!(
        "UPDATE survey_photo
            SET received_at = now(), exif = $3, exif_error = $4, width = $5, height = $6,
                processed_at = CASE WHEN $7 THEN now() END
          WHERE survey_id = $1 AND sha256 = $2 AND received_at IS NULL",
        survey,
        sha256,
        r.exif,
        r.exif_error,
        r.width,
        r.height,
        r.processed,
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Locks a survey row until the transaction ends.
pub async fn lock(conn: &mut PgConnection, survey: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!("SELECT id FROM survey WHERE id = $1 FOR UPDATE", survey)
        .fetch_optional(conn)
        .await?;
    Ok(())
}

/// A received photo waiting for the background worker.
#[derive(Debug, Clone)]
pub struct UnprocessedPhoto {
    pub survey_id: Uuid,
    pub sha256: String,
    /// EXIF orientation 1–8, if read.
    pub orientation: Option<i64>,
}

/// Takes the oldest photo waiting to be processed, locked for this transaction; other workers
/// (threads or server instances) skip it and take the next.
pub async fn claim_unprocessed(
    conn: &mut PgConnection,
) -> Result<Option<UnprocessedPhoto>, sqlx::Error> {
    sqlx::query_as!(
        UnprocessedPhoto,
        r#"SELECT survey_id, sha256, (exif->>'orientation')::int8 AS orientation
             FROM survey_photo
            WHERE received_at IS NOT NULL AND processed_at IS NULL
            ORDER BY received_at
            LIMIT 1
              FOR UPDATE SKIP LOCKED"#
    )
    .fetch_optional(conn)
    .await
}

/// What the background worker read from a photo's pixels.
#[derive(Debug, Clone)]
pub struct ProcessedPhoto {
    pub phash: Option<i64>,
    pub has_thumbnail: bool,
    pub decode_error: Option<String>,
}

pub async fn mark_processed(
    conn: &mut PgConnection,
    survey: Uuid,
    sha256: &str,
    p: &ProcessedPhoto,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE survey_photo
            SET processed_at = now(), phash = $3, has_thumbnail = $4, decode_error = $5
          WHERE survey_id = $1 AND sha256 = $2",
        survey,
        sha256,
        p.phash,
        p.has_thumbnail,
        p.decode_error,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Surveys whose findings stand: every declared photo received and read, and not corrected by a
/// later survey. With `proposals`, only the surveys of those proposals.
pub async fn standing_checked(
    pool: &PgPool,
    proposals: Option<&[i64]>,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT s.id FROM survey s
            WHERE ($1::int8[] IS NULL OR s.proposal_id = ANY($1))
              AND s.voided_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM survey n WHERE n.supersedes = s.id)
              AND NOT EXISTS (SELECT 1 FROM survey_photo ph
                               WHERE ph.survey_id = s.id AND (ph.received_at IS NULL OR ph.processed_at IS NULL))
            ORDER BY s.received_at, s.id"#,
        proposals as Option<&[i64]>
    )
    .fetch_all(pool)
    .await
}

/// A stored survey's context for the checks, and its body; the survey row stays locked until the
/// transaction ends, so two runs of its checks cannot interleave.
pub async fn context(
    conn: &mut PgConnection,
    survey: Uuid,
) -> Result<Option<(SurveyContext, serde_json::Value)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT s.proposal_id, p.kelurahan_kode AS "kelurahan_kode: Kode", p.volume, p.unit, s.surveyor_id, s.body
             FROM survey s JOIN proposal p ON p.id = s.proposal_id
            WHERE s.id = $1
              FOR UPDATE OF s"#,
        survey
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| {
        (
            SurveyContext {
                proposal_id: r.proposal_id,
                kelurahan_kode: r.kelurahan_kode,
                volume: r.volume,
                unit: r.unit,
                surveyor_id: r.surveyor_id,
            },
            r.body,
        )
    }))
}

/// A standing survey whose checks run again, with what they read of it.
#[derive(Debug, Clone)]
pub struct StandingSurvey {
    pub id: Uuid,
    pub context: SurveyContext,
    pub body: serde_json::Value,
    pub captured_at: DateTime<Utc>,
}

/// Locks those of `ids` that still stand (complete: every declared photo received and read; not
/// corrected by a later survey), in id order so that two sets never deadlock, and returns their
/// context and body.
pub async fn lock_standing(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<Vec<StandingSurvey>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT s.id, s.proposal_id, p.kelurahan_kode AS "kelurahan_kode: Kode", p.volume, p.unit, s.surveyor_id, s.body, s.captured_at
             FROM survey s JOIN proposal p ON p.id = s.proposal_id
            WHERE s.id = ANY($1)
              AND s.voided_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM survey n WHERE n.supersedes = s.id)
              AND NOT EXISTS (SELECT 1 FROM survey_photo ph
                               WHERE ph.survey_id = s.id AND (ph.received_at IS NULL OR ph.processed_at IS NULL))
            ORDER BY s.id
              FOR UPDATE OF s"#,
        ids
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| StandingSurvey {
            id: r.id,
            context: SurveyContext {
                proposal_id: r.proposal_id,
                kelurahan_kode: r.kelurahan_kode,
                volume: r.volume,
                unit: r.unit,
                surveyor_id: r.surveyor_id,
            },
            body: r.body,
            captured_at: r.captured_at,
        })
        .collect())
}

/// The received photos of each of `surveys`: (survey, photo).
pub async fn received_photos_of(
    conn: &mut PgConnection,
    surveys: &[Uuid],
) -> Result<Vec<(Uuid, PhotoRow)>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT ph.survey_id, ph.sha256, ph.exif, ph.phash, ph.decode_error, s.proposal_id
           FROM survey_photo ph JOIN survey s ON s.id = ph.survey_id
          WHERE ph.survey_id = ANY($1) AND ph.received_at IS NOT NULL
          ORDER BY ph.survey_id, ph.sha256",
        surveys
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.survey_id,
                PhotoRow {
                    sha256: r.sha256,
                    exif: r.exif,
                    phash: r.phash,
                    decode_error: r.decode_error,
                    proposal_id: r.proposal_id,
                },
            )
        })
        .collect())
}

/// What the reuse check of many surveys compares with, in one read: the received photos with
/// any of `sha256`, and those with a perceptual hash in any of the cities `kotas` (with `near`,
/// only those within a Hamming distance of one of its hashes: for a few surveys, the database
/// leaves out the city's other photos).
pub async fn photos_for_reuse(
    conn: &mut PgConnection,
    kotas: &[String],
    sha256: &[String],
    near: Option<(&[i64], i64)>,
) -> Result<Vec<(String, PhotoRow)>, sqlx::Error> {
    let (near_hashes, max_distance) = near.map_or((None, 0), |(h, d)| (Some(h), d));
    let rows = sqlx::query!(
        r#"SELECT ph.sha256, ph.phash, s.proposal_id, left(p.kelurahan_kode, 5) AS "kota!"
             FROM survey_photo ph
             JOIN survey s ON s.id = ph.survey_id
             JOIN proposal p ON p.id = s.proposal_id
            WHERE ph.received_at IS NOT NULL
              -- IN (SELECT unnest(..)) is a hashed lookup whatever the plan; `= ANY($2)` is one
              -- too, but not in the generic plan a prepared statement gets after five runs, which
              -- then compares every row with every hash (20,000 x 2,000 took 0.7 s a batch).
              AND (ph.sha256 IN (SELECT unnest($2::text[]))
                   OR (ph.phash IS NOT NULL AND left(p.kelurahan_kode, 5) = ANY($1::text[])
                       AND ($3::int8[] IS NULL
                            OR EXISTS (SELECT 1 FROM unnest($3::int8[]) h
                                        WHERE bit_count(int8send(ph.phash # h)) <= $4))))
            ORDER BY s.proposal_id, ph.sha256, ph.survey_id"#,
        kotas,
        sha256,
        near_hashes,
        max_distance
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.kota,
                PhotoRow {
                    sha256: r.sha256,
                    exif: None,
                    phash: r.phash,
                    decode_error: None,
                    proposal_id: r.proposal_id,
                },
            )
        })
        .collect())
}

/// A survey's time and place, for judging a surveyor's travel between surveys.
#[derive(Debug, Clone)]
pub struct Visit {
    pub surveyor_id: i64,
    pub id: Uuid,
    pub captured_at: DateTime<Utc>,
    pub lon: f64,
    pub lat: f64,
}

/// What a survey arriving for `proposal_id` is read with: its surveyor's latest visit captured in
/// `before` and earliest in `after` (time windows, ends included).
#[derive(Debug, Clone, Copy)]
pub struct ArrivalQuery {
    pub proposal_id: i64,
    pub surveyor: Option<i64>,
    pub before: (DateTime<Utc>, DateTime<Utc>),
    pub after: (DateTime<Utc>, DateTime<Utc>),
}

/// For each query, in order, its proposal as a survey arriving for it needs it, with the
/// surveyor's visits in the windows (ties go to the larger id before and the smaller after), if
/// the proposal exists: what storing surveys reads, for all of them in one statement.
pub async fn arrival_contexts(
    pool: &PgPool,
    queries: &[ArrivalQuery],
) -> Result<Vec<Option<(SurveyContext, Vec<Visit>)>>, sqlx::Error> {
    let column = |f: fn(&ArrivalQuery) -> DateTime<Utc>| queries.iter().map(f).collect::<Vec<_>>();
    let proposals: Vec<i64> = queries.iter().map(|q| q.proposal_id).collect();
    let surveyors: Vec<Option<i64>> = queries.iter().map(|q| q.surveyor).collect();
    let rows = sqlx::query!(
        r#"SELECT u.n AS "n!", p.id AS "proposal_id?", p.kelurahan_kode AS "kelurahan_kode?: Kode",
                  p.volume AS "volume?", p.unit,
                  b.id AS "before_id?", b.captured_at AS "before_at?", ST_X(b.fix) AS "before_lon?",
                  ST_Y(b.fix) AS "before_lat?",
                  a.id AS "after_id?", a.captured_at AS "after_at?", ST_X(a.fix) AS "after_lon?",
                  ST_Y(a.fix) AS "after_lat?"
             FROM unnest($1::int8[], $2::int8[], $3::timestamptz[], $4::timestamptz[],
                         $5::timestamptz[], $6::timestamptz[])
                  WITH ORDINALITY AS u(proposal_id, surveyor, before_from, before_to, after_from,
                                       after_to, n)
             LEFT JOIN proposal p ON p.id = u.proposal_id
             LEFT JOIN LATERAL (
                   SELECT s.id, s.captured_at, s.fix FROM survey s
                    WHERE s.surveyor_id = u.surveyor
                      AND s.captured_at BETWEEN u.before_from AND u.before_to
                    ORDER BY s.captured_at DESC, s.id DESC LIMIT 1) b ON p.id IS NOT NULL
             LEFT JOIN LATERAL (
                   SELECT s.id, s.captured_at, s.fix FROM survey s
                    WHERE s.surveyor_id = u.surveyor
                      AND s.captured_at BETWEEN u.after_from AND u.after_to
                    ORDER BY s.captured_at, s.id LIMIT 1) a ON p.id IS NOT NULL
            ORDER BY u.n"#,
        &proposals,
        &surveyors as &[Option<i64>],
        &column(|q| q.before.0),
        &column(|q| q.before.1),
        &column(|q| q.after.0),
        &column(|q| q.after.1),
    )
    .fetch_all(pool)
    .await?;
    let in_order = rows.iter().map(|r| r.n).eq((1_i64..).take(queries.len()));
    if !in_order {
        return Err(sqlx::Error::Protocol(format!(
            "arrival_contexts: {} rows for {} queries, or out of order",
            rows.len(),
            queries.len()
        )));
    }
    Ok(rows
        .into_iter()
        .zip(queries)
        .map(|(r, q)| {
            let surveyor = q.surveyor;
            let visit = |id: Option<Uuid>, at: Option<DateTime<Utc>>, lon: Option<f64>, lat| {
                Some(Visit {
                    surveyor_id: surveyor?,
                    id: id?,
                    captured_at: at?,
                    lon: lon?,
                    lat: lat?,
                })
            };
            let visits = [
                visit(r.before_id, r.before_at, r.before_lon, r.before_lat),
                visit(r.after_id, r.after_at, r.after_lon, r.after_lat),
            ]
            .into_iter()
            .flatten()
            .collect();
            let context = SurveyContext {
                proposal_id: r.proposal_id?,
                kelurahan_kode: r.kelurahan_kode?,
                volume: r.volume?,
                unit: r.unit,
                surveyor_id: surveyor,
            };
            Some((context, visits))
        })
        .collect())
}

/// Every survey of these surveyors, ordered by surveyor and time.
pub async fn visits_of(
    conn: &mut PgConnection,
    surveyors: &[i64],
) -> Result<Vec<Visit>, sqlx::Error> {
    sqlx::query_as!(
        Visit,
        r#"SELECT surveyor_id AS "surveyor_id!", id, captured_at, ST_X(fix) AS "lon!", ST_Y(fix) AS "lat!"
             FROM survey
            WHERE surveyor_id = ANY($1)
            ORDER BY surveyor_id, captured_at, id"#,
        surveyors
    )
    .fetch_all(conn)
    .await
}

/// A received photo, as the checks read it.
#[derive(Debug, Clone)]
pub struct PhotoRow {
    pub sha256: String,
    pub exif: Option<serde_json::Value>,
    pub phash: Option<i64>,
    pub decode_error: Option<String>,
    pub proposal_id: i64,
}

/// The received photos of a survey.
pub async fn received_photos(
    conn: &mut PgConnection,
    survey: Uuid,
) -> Result<Vec<PhotoRow>, sqlx::Error> {
    sqlx::query_as!(
        PhotoRow,
        "SELECT ph.sha256, ph.exif, ph.phash, ph.decode_error, s.proposal_id
           FROM survey_photo ph JOIN survey s ON s.id = ph.survey_id
          WHERE ph.survey_id = $1 AND ph.received_at IS NOT NULL
          ORDER BY ph.sha256",
        survey
    )
    .fetch_all(conn)
    .await
}

/// Marks a proposal changed: its sync cursor moves (trigger) and its version too, since the evidence a
/// decision rests on changed (a survey arrived, or its checks ran): a decision made on the earlier
/// evidence is then refused as stale.
pub async fn touch_proposal(conn: &mut PgConnection, proposal_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE proposal SET updated_at = now(), version = version + 1 WHERE id = $1",
        proposal_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks many proposals changed at once (see [`touch_proposal`]).
pub async fn touch_proposals(conn: &mut PgConnection, ids: &[i64]) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE proposal SET updated_at = now(), version = version + 1 WHERE id = ANY($1)",
        ids
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The latest standing (uncorrected) survey of each of these proposals, by capture time.
pub async fn latest_standing(
    conn: &mut PgConnection,
    proposal_ids: &[i64],
) -> Result<std::collections::HashMap<i64, Uuid>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT DISTINCT ON (s.proposal_id) s.proposal_id, s.id
           FROM survey s
          WHERE s.proposal_id = ANY($1)
            AND s.voided_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM survey n WHERE n.supersedes = s.id)
          ORDER BY s.proposal_id, s.captured_at DESC, s.received_at DESC, s.id",
        proposal_ids
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.proposal_id, r.id)).collect())
}
