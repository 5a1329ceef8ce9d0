//! The technical team's work as the phones and the camat see it: what a phone is given to survey,
//! who is assigned what, surveys sent back for another visit, surveys voided.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::Kode;

/// A proposal as the sync sees it.
#[derive(Debug, Clone)]
pub struct AssignmentRow {
    pub id: i64,
    pub tahun: i32,
    pub kelurahan_kode: Kode,
    pub kelurahan_nama: Option<String>,
    pub rw: Option<String>,
    pub rt: Option<String>,
    pub usulan: String,
    pub lokasi: Option<String>,
    pub volume: rust_decimal::Decimal,
    pub satuan_raw: String,
    pub activity_code: Option<String>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub change_seq: i64,
    /// The surveyor (by name) or team it is assigned to.
    pub assigned_to: Option<String>,
    /// Assigned to the asking surveyor or to its team.
    pub mine: bool,
    /// Why the camat sent its survey back, while that request is open.
    pub resurvey_reason: Option<String>,
    /// Physical, of a list not sent (Kirim), and without a survey that stands (none, or one sent back).
    pub needs_survey: bool,
}

/// The proposals of year `tahun` within `scope` (empty: all) changed after `since`, oldest change
/// first; `mine` as seen by the surveyor `surveyor_id` of `team`.
pub async fn assignments(
    pool: &PgPool,
    scope: &str,
    tahun: i32,
    since: i64,
    limit: i64,
    (surveyor_id, team): (Option<i64>, Option<&str>),
) -> Result<Vec<AssignmentRow>, sqlx::Error> {
    sqlx::query_as!(
        AssignmentRow,
        r#"SELECT p.id, p.tahun, p.kelurahan_kode AS "kelurahan_kode: Kode", w.nama AS "kelurahan_nama?", p.rw, p.rt,
                  p.usulan, p.lokasi, p.volume, p.satuan_raw, p.activity_code, ST_X(p.pin) AS lon, ST_Y(p.pin) AS lat,
                  p.change_seq, coalesce(u.name, a.team) AS assigned_to,
                  coalesce(a.surveyor_id = $5 OR a.team = $6, false) AS "mine!",
                  r.reason AS "resurvey_reason?",
                  (p.activity_code IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM kirim k
                                    WHERE k.kecamatan_kode = p.kecamatan_kode AND k.tahun = p.tahun AND k.reopened_at IS NULL)
                   AND (r.id IS NOT NULL
                        OR NOT EXISTS (SELECT 1 FROM survey s WHERE s.proposal_id = p.id AND s.voided_at IS NULL))) AS "needs_survey!"
             FROM proposal p
             LEFT JOIN wilayah w ON w.kode = p.kelurahan_kode
             LEFT JOIN assignment a ON a.proposal_id = p.id
             LEFT JOIN app_user u ON u.id = a.surveyor_id
             LEFT JOIN resurvey r ON r.proposal_id = p.id AND r.answered_by IS NULL
            WHERE ($1 = '' OR p.kelurahan_kode = $1 OR (p.kelurahan_kode >= ($1 || '.') AND p.kelurahan_kode < ($1 || '/')))
              AND p.tahun = $2
              AND p.change_seq > $3
            ORDER BY p.change_seq
            LIMIT $4"#,
        scope,
        tahun,
        since,
        limit,
        surveyor_id,
        team
    )
    .fetch_all(pool)
    .await
}

/// The year a phone surveys in `scope` (empty: all): the newest with a physical proposal. (Not
/// the newest with an undecided one: once this year's list is decided, that would send an older
/// year's leftovers to the phones.)
pub async fn survey_year(pool: &PgPool, scope: &str) -> Result<Option<i32>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT max(tahun)
             FROM proposal p
            WHERE activity_code IS NOT NULL
              AND ($1 = '' OR p.kelurahan_kode = $1 OR (p.kelurahan_kode >= ($1 || '.') AND p.kelurahan_kode < ($1 || '/')))"#,
        scope
    )
    .fetch_one(pool)
    .await
}

/// Moves the sync cursor of the kecamatan's proposals of a year (they left the phones' list, or
/// came back to it), without touching their version: no decision is made stale by it.
pub async fn resync_kecamatan(
    conn: &mut PgConnection,
    kecamatan: &str,
    tahun: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE proposal SET updated_at = now() WHERE kecamatan_kode = $1 AND tahun = $2",
        kecamatan,
        tahun
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves the sync cursor of these proposals (assigned, sent back), without touching their version.
pub async fn resync(conn: &mut PgConnection, ids: &[i64]) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE proposal SET updated_at = now() WHERE id = ANY($1)",
        ids
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Whom a proposal is assigned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignee<'a> {
    Surveyor(i64),
    Team(&'a str),
}

/// Assigns proposals (replacing an earlier assignment); returns how many changed.
pub async fn assign(
    conn: &mut PgConnection,
    ids: &[i64],
    to: Assignee<'_>,
    by: &str,
) -> Result<u64, sqlx::Error> {
    let (surveyor, team) = match to {
        Assignee::Surveyor(id) => (Some(id), None),
        Assignee::Team(t) => (None, Some(t)),
    };
    let done = sqlx::query!(
        "INSERT INTO assignment (proposal_id, surveyor_id, team, assigned_by_name)
         SELECT unnest($1::int8[]), $2, $3, $4
         ON CONFLICT (proposal_id) DO UPDATE
            SET surveyor_id = EXCLUDED.surveyor_id, team = EXCLUDED.team,
                assigned_by_name = EXCLUDED.assigned_by_name, assigned_at = now()
          WHERE assignment.surveyor_id IS DISTINCT FROM EXCLUDED.surveyor_id
             OR assignment.team IS DISTINCT FROM EXCLUDED.team",
        ids,
        surveyor,
        team,
        by
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Removes the assignment of these proposals; returns how many had one.
pub async fn unassign(conn: &mut PgConnection, ids: &[i64]) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!("DELETE FROM assignment WHERE proposal_id = ANY($1)", ids)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// The physical proposals of a kecamatan and year, optionally of one kelurahan.
pub async fn physical_ids(
    conn: &mut PgConnection,
    kecamatan: &str,
    tahun: i32,
    kelurahan: Option<&str>,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM proposal
          WHERE kecamatan_kode = $1 AND tahun = $2 AND activity_code IS NOT NULL
            AND ($3::text IS NULL OR kelurahan_kode = $3)
          ORDER BY id",
        kecamatan,
        tahun,
        kelurahan
    )
    .fetch_all(conn)
    .await
}

/// Who is assigned, who surveyed, and the survey's state, per proposal (for the review list).
#[derive(Debug, Clone)]
pub struct FieldState {
    pub proposal_id: i64,
    pub assigned_to: Option<String>,
    pub resurvey_reason: Option<String>,
}

pub async fn field_states(
    conn: &mut PgConnection,
    ids: &[i64],
) -> Result<Vec<FieldState>, sqlx::Error> {
    sqlx::query_as!(
        FieldState,
        r#"SELECT p.id AS "proposal_id!", coalesce(u.name, a.team) AS assigned_to, r.reason AS "resurvey_reason?"
             FROM proposal p
             LEFT JOIN assignment a ON a.proposal_id = p.id
             LEFT JOIN app_user u ON u.id = a.surveyor_id
             LEFT JOIN resurvey r ON r.proposal_id = p.id AND r.answered_by IS NULL
            WHERE p.id = ANY($1)"#,
        ids
    )
    .fetch_all(conn)
    .await
}

/// Records a request for another visit of `survey`'s proposal; `false` when the survey was sent
/// back already.
pub async fn send_back(
    conn: &mut PgConnection,
    proposal_id: i64,
    survey: Uuid,
    reason: &str,
    by: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "INSERT INTO resurvey (proposal_id, survey_id, reason, requested_by_name)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING",
        proposal_id,
        survey,
        reason,
        by
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The open request for another visit of a proposal: the survey sent back and why.
pub async fn open_resurvey(
    conn: &mut PgConnection,
    proposal_id: i64,
) -> Result<Option<(i64, Uuid, String)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT id, survey_id, reason FROM resurvey WHERE proposal_id = $1 AND answered_by IS NULL FOR UPDATE",
        proposal_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.id, r.survey_id, r.reason)))
}

/// A survey as voiding sees it.
#[derive(Debug, Clone)]
pub struct VoidTarget {
    pub proposal_id: i64,
    pub kecamatan_kode: Kode,
    pub tahun: i32,
    pub voided_at: Option<DateTime<Utc>>,
    pub void_reason: Option<String>,
}

/// The survey and its proposal, locked for voiding.
pub async fn void_target(
    conn: &mut PgConnection,
    survey: Uuid,
) -> Result<Option<VoidTarget>, sqlx::Error> {
    sqlx::query_as!(
        VoidTarget,
        r#"SELECT s.proposal_id, p.kecamatan_kode AS "kecamatan_kode!: Kode", p.tahun, s.voided_at, s.void_reason
             FROM survey s JOIN proposal p ON p.id = s.proposal_id
            WHERE s.id = $1
              FOR UPDATE OF s"#,
        survey
    )
    .fetch_optional(conn)
    .await
}

/// Voids a survey.
pub async fn void(
    conn: &mut PgConnection,
    survey: Uuid,
    reason: &str,
    by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE survey SET voided_at = now(), voided_by_name = $2, void_reason = $3
          WHERE id = $1 AND voided_at IS NULL",
        survey,
        by,
        reason
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// What became of one of a surveyor's surveys.
#[derive(Debug, Clone)]
pub struct SurveyFate {
    pub id: Uuid,
    pub proposal_id: i64,
    pub received_at: DateTime<Utc>,
    pub voided_at: Option<DateTime<Utc>>,
    pub void_reason: Option<String>,
    pub sent_back_at: Option<DateTime<Utc>>,
    pub sent_back_reason: Option<String>,
    pub superseded: bool,
    /// Declared photos not yet received.
    pub pending_photos: i64,
}

/// The surveys of one surveyor in a year, newest first, with what became of each.
pub async fn fates(
    pool: &PgPool,
    surveyor_id: i64,
    tahun: i32,
) -> Result<Vec<SurveyFate>, sqlx::Error> {
    sqlx::query_as!(
        SurveyFate,
        r#"SELECT s.id, s.proposal_id, s.received_at, s.voided_at, s.void_reason,
                  r.requested_at AS "sent_back_at?", r.reason AS "sent_back_reason?",
                  EXISTS (SELECT 1 FROM survey n WHERE n.supersedes = s.id) AS "superseded!",
                  (SELECT count(*) FROM survey_photo ph WHERE ph.survey_id = s.id AND ph.received_at IS NULL) AS "pending_photos!"
             FROM survey s
             JOIN proposal p ON p.id = s.proposal_id
             LEFT JOIN resurvey r ON r.survey_id = s.id
            WHERE s.surveyor_id = $1 AND p.tahun = $2
            ORDER BY s.received_at DESC, s.id"#,
        surveyor_id,
        tahun
    )
    .fetch_all(pool)
    .await
}

/// The team of a user.
pub async fn team_of(pool: &PgPool, user_id: i64) -> Result<Option<String>, sqlx::Error> {
    Ok(
        sqlx::query_scalar!("SELECT team FROM app_user WHERE id = $1", user_id)
            .fetch_optional(pool)
            .await?
            .flatten(),
    )
}

/// The id of the active surveyor `name` who works in `kecamatan` (its area is the kecamatan, one
/// of its kelurahan, or an area containing it).
pub async fn surveyor_in(
    conn: &mut PgConnection,
    name: &str,
    kecamatan: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM app_user
          WHERE name = $1 AND role = 'surveyor' AND disabled_at IS NULL
            AND (wilayah_kode = $2 OR wilayah_kode LIKE $2 || '.%' OR $2 LIKE wilayah_kode || '.%')",
        name,
        kecamatan
    )
    .fetch_optional(conn)
    .await
}

/// A proposal's kelurahan and year.
pub async fn proposal_place(
    conn: &mut PgConnection,
    id: i64,
) -> Result<Option<(Kode, i32)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT kelurahan_kode AS "kelurahan_kode: Kode", tahun FROM proposal WHERE id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.kelurahan_kode, r.tahun)))
}

/// The kelurahan within `scope` as a phone's form uses them (ODK Collect's map and `geofence()`):
/// a FeatureCollection whose features have the kelurahan code as `id`, its name as `title`, and as
/// geometry the outline of its largest part, simplified to about 2 m (JavaRosa reads Polygons, not
/// MultiPolygons, and a phone needs no centimetres). The same boundaries give the same bytes.
pub async fn kelurahan_for_phones(pool: &PgPool, scope: &str) -> Result<String, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT json_build_object(
                    'type', 'FeatureCollection',
                    'features', coalesce(json_agg(json_build_object(
                        'type', 'Feature',
                        'id', b.kode,
                        'properties', json_build_object('title', w.nama, 'kode', b.kode),
                        'geometry', ST_AsGeoJSON(ST_MakePolygon(ST_ExteriorRing(part.geom)), 6)::json)
                      ORDER BY b.kode), '[]'::json)
                  )::text AS "collection!"
             FROM boundary b
             JOIN wilayah w USING (kode)
            CROSS JOIN LATERAL (
                SELECT ST_SimplifyPreserveTopology(d.geom, 0.00002) AS geom
                  FROM ST_Dump(b.geom) d
                 ORDER BY ST_Area(d.geom) DESC
                 LIMIT 1) part
            WHERE b.level = 4
              AND ($1 = '' OR b.kode = $1 OR (b.kode >= ($1 || '.') AND b.kode < ($1 || '/')))"#,
        scope
    )
    .fetch_one(pool)
    .await
}

/// Puts a user in a team, or out of any (`None`).
pub async fn set_team(
    conn: &mut PgConnection,
    user_id: i64,
    team: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!("UPDATE app_user SET team = $2 WHERE id = $1", user_id, team)
        .execute(conn)
        .await?;
    Ok(())
}

/// The active surveyors who work in `kecamatan`, by name, with their team.
pub async fn surveyors_in(
    pool: &PgPool,
    kecamatan: &str,
) -> Result<Vec<(String, Option<String>)>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT name, team FROM app_user
          WHERE role = 'surveyor' AND disabled_at IS NULL
            AND (wilayah_kode = $1 OR wilayah_kode LIKE $1 || '.%' OR $1 LIKE wilayah_kode || '.%')
          ORDER BY name",
        kecamatan
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.name, r.team)).collect())
}

/// The bounding box `[min_lon, min_lat, max_lon, max_lat]` of the kelurahan boundaries within
/// `area`, if any are loaded.
pub async fn area_bbox(pool: &PgPool, area: &str) -> Result<Option<[f64; 4]>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT ST_XMin(e) AS "min_lon?", ST_YMin(e) AS "min_lat?", ST_XMax(e) AS "max_lon?", ST_YMax(e) AS "max_lat?"
             FROM (SELECT ST_Extent(geom)::geometry AS e FROM boundary
                    WHERE level = 4 AND (kode = $1 OR (kode >= ($1 || '.') AND kode < ($1 || '/')))) x"#,
        area
    )
    .fetch_one(pool)
    .await?;
    Ok(match (row.min_lon, row.min_lat, row.max_lon, row.max_lat) {
        (Some(a), Some(b), Some(c), Some(d)) => Some([a, b, c, d]),
        _ => None,
    })
}
