//! OpenRosa submissions as they arrive, possibly over several POSTs, until their survey is stored.

use sqlx::PgConnection;
use uuid::Uuid;

/// A submission as first received.
#[derive(Debug, Clone)]
pub struct SubmissionRow {
    pub surveyor_id: Option<i64>,
    pub xml_sha256: String,
    pub attachments_expected: Vec<String>,
    pub survey_stored: bool,
}

/// A submission's row, locked until the transaction ends (concurrent posts of one instance wait).
pub async fn lock(
    conn: &mut PgConnection,
    instance: Uuid,
) -> Result<Option<SubmissionRow>, sqlx::Error> {
    sqlx::query_as!(
        SubmissionRow,
        r#"SELECT surveyor_id, xml_sha256, attachments_expected,
                  survey_stored_at IS NOT NULL AS "survey_stored!"
             FROM openrosa_submission WHERE instance_id = $1 FOR UPDATE"#,
        instance
    )
    .fetch_optional(conn)
    .await
}

/// A submission as first received, found by its instance.
#[derive(Debug, Clone)]
pub struct Earlier {
    pub instance_id: Uuid,
    pub surveyor_id: Option<i64>,
    pub xml_sha256: String,
    pub survey_stored: bool,
}

/// The submission of `instance`, if one was received.
pub async fn find(conn: &mut PgConnection, instance: Uuid) -> Result<Option<Earlier>, sqlx::Error> {
    sqlx::query_as!(
        Earlier,
        r#"SELECT instance_id, surveyor_id, xml_sha256,
                  survey_stored_at IS NOT NULL AS "survey_stored!"
             FROM openrosa_submission WHERE instance_id = $1"#,
        instance
    )
    .fetch_optional(conn)
    .await
}

/// What a new submission row holds.
#[derive(Debug)]
pub struct NewSubmission<'a> {
    pub instance_id: Uuid,
    pub surveyor_id: Option<i64>,
    pub kecamatan_kode: &'a str,
    pub form_id: &'a str,
    pub form_version: Option<&'a str>,
    pub xml: &'a str,
    pub xml_sha256: &'a str,
    pub deprecated_id: Option<Uuid>,
    pub attachments_expected: &'a [String],
}

/// Inserts a submission unless its instance is there already; returns whether it inserted.
pub async fn insert(conn: &mut PgConnection, s: &NewSubmission<'_>) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "INSERT INTO openrosa_submission
                (instance_id, surveyor_id, kecamatan_kode, form_id, form_version, xml, xml_sha256,
                 deprecated_id, attachments_expected)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (instance_id) DO NOTHING",
        s.instance_id,
        s.surveyor_id,
        s.kecamatan_kode,
        s.form_id,
        s.form_version,
        s.xml,
        s.xml_sha256,
        s.deprecated_id,
        s.attachments_expected,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A photo part received.
#[derive(Debug, Clone)]
pub struct AttachmentRow {
    pub filename: String,
    pub sha256: String,
    pub bytes: i64,
    pub content_type: String,
    pub inspection: serde_json::Value,
}

/// Records a photo part, unless that file name is in already; returns whether it recorded it.
pub async fn insert_attachment(
    conn: &mut PgConnection,
    instance: Uuid,
    a: &AttachmentRow,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "INSERT INTO openrosa_attachment (instance_id, filename, sha256, bytes, content_type, inspection)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (instance_id, filename) DO NOTHING",
        instance,
        a.filename,
        a.sha256,
        a.bytes,
        a.content_type,
        a.inspection,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The photo parts of a submission received so far.
pub async fn attachments(
    conn: &mut PgConnection,
    instance: Uuid,
) -> Result<Vec<AttachmentRow>, sqlx::Error> {
    sqlx::query_as!(
        AttachmentRow,
        "SELECT filename, sha256, bytes, content_type, inspection
           FROM openrosa_attachment WHERE instance_id = $1 ORDER BY filename",
        instance
    )
    .fetch_all(conn)
    .await
}

/// Notes that the submission's survey is stored.
pub async fn mark_stored(conn: &mut PgConnection, instance: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE openrosa_submission SET survey_stored_at = now()
          WHERE instance_id = $1 AND survey_stored_at IS NULL",
        instance
    )
    .execute(conn)
    .await?;
    Ok(())
}
