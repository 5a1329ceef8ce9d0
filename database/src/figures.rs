//! What the store holds, for an operator: surveys and photos stored, the photo queue, the audit
//! trail's length.

use sqlx::PgPool;

/// Counts at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StoreFigures {
    pub surveys: i64,
    /// Photos whose bytes were received.
    pub photos: i64,
    /// Received photos the workers have not processed yet.
    pub queue_depth: i64,
    /// Seconds the oldest of them has waited (0 with none waiting).
    pub queue_oldest_s: f64,
    /// Rows in the audit trail (each change appends at least one).
    pub audit_rows: i64,
    /// Audit entries the sequencer has not yet made leaves of the log.
    pub audit_pending: i64,
}

pub async fn store_figures(pool: &PgPool) -> Result<StoreFigures, sqlx::Error> {
    let r = sqlx::query!(
        r#"SELECT (SELECT count(*) FROM survey) AS "surveys!",
                  (SELECT count(*) FROM survey_photo WHERE received_at IS NOT NULL) AS "photos!",
                  q.depth AS "depth!", q.oldest_s AS "oldest_s!",
                  (SELECT coalesce(max(seq), 0) FROM audit_event) AS "audit_rows!",
                  (SELECT count(*) FROM audit_pending) AS "audit_pending!"
             FROM (SELECT count(*) AS depth,
                          coalesce(extract(epoch FROM now() - min(received_at))::float8, 0) AS oldest_s
                     FROM survey_photo WHERE received_at IS NOT NULL AND processed_at IS NULL) q"#
    )
    .fetch_one(pool)
    .await?;
    Ok(StoreFigures {
        surveys: r.surveys,
        photos: r.photos,
        queue_depth: r.depth,
        queue_oldest_s: r.oldest_s,
        audit_rows: r.audit_rows,
        audit_pending: r.audit_pending,
    })
}
