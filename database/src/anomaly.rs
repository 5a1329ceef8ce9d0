//! The `anomaly` table: findings of the checks, per proposal. A row with a `survey_id` came from
//! that survey's checks; one without, from the proposal checks.

use sqlx::{PgConnection, PgPool};

/// Stored anomalies of a set of proposals, index-aligned.
#[derive(Debug, Default)]
pub struct AnomalyBatch {
    pub proposal_ids: Vec<i64>,
    pub codes: Vec<String>,
    pub severities: Vec<String>,
    pub messages_id: Vec<String>,
    pub messages_en: Vec<String>,
    pub details: Vec<serde_json::Value>,
}

/// Replaces the proposal checks' findings with `batch` (they are recomputed as a whole); the survey
/// checks' findings are left as they are.
pub async fn replace_proposal_findings(
    conn: &mut PgConnection,
    batch: &AnomalyBatch,
) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM anomaly WHERE survey_id IS NULL")
        .execute(&mut *conn)
        .await?;
    sqlx::query!(
        "INSERT INTO anomaly (proposal_id, code, severity, message_id, message_en, details)
         SELECT * FROM unnest($1::int8[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[])",
        &batch.proposal_ids,
        &batch.codes,
        &batch.severities,
        &batch.messages_id,
        &batch.messages_en,
        &batch.details,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// One stored anomaly.
#[derive(Debug, Clone)]
pub struct AnomalyRow {
    pub proposal_id: i64,
    pub code: String,
    pub severity: String,
    pub message_id: String,
    pub message_en: String,
    pub details: serde_json::Value,
}

impl From<AnomalyRow> for survey_schema::Anomaly {
    fn from(a: AnomalyRow) -> Self {
        let severity =
            survey_schema::Severity::parse(&a.severity).unwrap_or(survey_schema::Severity::Info);
        // The sentence is written now from the code and figures (the catalogue's current
        // wording); the stored one stands only for a code this build no longer knows.
        let stored = survey_schema::LocalizedMessage {
            id: a.message_id,
            en: a.message_en,
        };
        Self::from_stored(&a.code, severity, a.details, stored)
    }
}

/// The anomalies of some proposals, most serious first.
pub async fn for_proposals(pool: &PgPool, ids: &[i64]) -> Result<Vec<AnomalyRow>, sqlx::Error> {
    sqlx::query_as!(
        AnomalyRow,
        "SELECT proposal_id, code, severity, message_id, message_en, details
           FROM anomaly WHERE proposal_id = ANY($1)
          ORDER BY proposal_id, CASE severity WHEN 'high' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, code, id",
        ids
    )
    .fetch_all(pool)
    .await
}

/// Removes the anomalies of one survey's checks (a correction replaced it, or they are rerun).
pub async fn delete_for_survey(
    conn: &mut PgConnection,
    survey: uuid::Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM anomaly WHERE survey_id = $1", survey)
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores what one survey's checks found.
pub async fn insert_for_survey(
    conn: &mut PgConnection,
    survey: uuid::Uuid,
    proposal_id: i64,
    anomalies: &[survey_schema::Anomaly],
) -> Result<(), sqlx::Error> {
    if anomalies.is_empty() {
        return Ok(());
    }
    let codes: Vec<String> = anomalies.iter().map(|a| a.code.clone()).collect();
    let severities: Vec<String> = anomalies
        .iter()
        .map(|a| a.severity.as_str().to_owned())
        .collect();
    let ids: Vec<String> = anomalies.iter().map(|a| a.message.id.clone()).collect();
    let ens: Vec<String> = anomalies.iter().map(|a| a.message.en.clone()).collect();
    let details: Vec<serde_json::Value> = anomalies.iter().map(|a| a.details.clone()).collect();
    sqlx::query!(
        "INSERT INTO anomaly (proposal_id, survey_id, code, severity, message_id, message_en, details)
         SELECT $1, $2, * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[])",
        proposal_id,
        survey,
        &codes,
        &severities,
        &ids,
        &ens,
        &details,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The findings of many surveys, replaced at once: those of `surveys` are deleted, then the rows of
/// `batch` (each naming its survey and proposal) are inserted.
pub async fn replace_for_surveys(
    conn: &mut PgConnection,
    surveys: &[uuid::Uuid],
    batch: &SurveyAnomalyBatch,
) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM anomaly WHERE survey_id = ANY($1)", surveys)
        .execute(&mut *conn)
        .await?;
    if batch.survey_ids.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        "INSERT INTO anomaly (survey_id, proposal_id, code, severity, message_id, message_en, details)
         SELECT * FROM unnest($1::uuid[], $2::int8[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[])",
        &batch.survey_ids,
        &batch.proposal_ids,
        &batch.codes,
        &batch.severities,
        &batch.messages_id,
        &batch.messages_en,
        &batch.details,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Survey findings in columns, for [`replace_for_surveys`].
#[derive(Debug, Clone, Default)]
pub struct SurveyAnomalyBatch {
    pub survey_ids: Vec<uuid::Uuid>,
    pub proposal_ids: Vec<i64>,
    pub codes: Vec<String>,
    pub severities: Vec<String>,
    pub messages_id: Vec<String>,
    pub messages_en: Vec<String>,
    pub details: Vec<serde_json::Value>,
}

impl SurveyAnomalyBatch {
    pub fn push(&mut self, survey: uuid::Uuid, proposal_id: i64, a: &survey_schema::Anomaly) {
        self.survey_ids.push(survey);
        self.proposal_ids.push(proposal_id);
        self.codes.push(a.code.clone());
        self.severities.push(a.severity.as_str().to_owned());
        self.messages_id.push(a.message.id.clone());
        self.messages_en.push(a.message.en.clone());
        self.details.push(a.details.clone());
    }

    /// Appends `other`'s rows.
    pub fn extend(&mut self, other: &Self) {
        self.survey_ids.extend_from_slice(&other.survey_ids);
        self.proposal_ids.extend_from_slice(&other.proposal_ids);
        self.codes.extend_from_slice(&other.codes);
        self.severities.extend_from_slice(&other.severities);
        self.messages_id.extend_from_slice(&other.messages_id);
        self.messages_en.extend_from_slice(&other.messages_en);
        self.details.extend_from_slice(&other.details);
    }
}

/// The findings of each of `surveys`, for telling whether a re-check changed them.
pub async fn of_surveys(
    conn: &mut PgConnection,
    surveys: &[uuid::Uuid],
) -> Result<Vec<(uuid::Uuid, AnomalyRow)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT survey_id AS "survey_id!", proposal_id, code, severity, message_id, message_en, details
             FROM anomaly WHERE survey_id = ANY($1)
            ORDER BY survey_id, code, id"#,
        surveys
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.survey_id,
                AnomalyRow {
                    proposal_id: r.proposal_id,
                    code: r.code,
                    severity: r.severity,
                    message_id: r.message_id,
                    message_en: r.message_en,
                    details: r.details,
                },
            )
        })
        .collect())
}

/// The anomalies of one survey, most serious first.
pub async fn for_survey(pool: &PgPool, survey: uuid::Uuid) -> Result<Vec<AnomalyRow>, sqlx::Error> {
    sqlx::query_as!(
        AnomalyRow,
        "SELECT proposal_id, code, severity, message_id, message_en, details
           FROM anomaly WHERE survey_id = $1
          ORDER BY CASE severity WHEN 'high' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, code, id",
        survey
    )
    .fetch_all(pool)
    .await
}
