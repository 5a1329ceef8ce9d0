//! The `activity_type` table: the activity catalogue.

use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};

/// One catalogue row.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityRow {
    pub code: String,
    pub nama: String,
    pub keywords: Vec<String>,
    pub unit: String,
    pub volume_min: Option<Decimal>,
    pub volume_max: Option<Decimal>,
    pub price_pattern: Option<String>,
    pub price_unit: Option<String>,
    pub work_factor: Decimal,
}

pub async fn all(pool: &PgPool) -> Result<Vec<ActivityRow>, sqlx::Error> {
    sqlx::query_as!(
        ActivityRow,
        "SELECT code, nama, keywords, unit, volume_min, volume_max, price_pattern, price_unit, work_factor
           FROM activity_type ORDER BY code"
    )
    .fetch_all(pool)
    .await
}

/// Inserts or replaces one catalogue row; returns whether anything changed.
pub async fn upsert(conn: &mut PgConnection, row: &ActivityRow) -> Result<bool, sqlx::Error> {
    let result = sqlx::query!(
        "INSERT INTO activity_type (code, nama, keywords, unit, volume_min, volume_max, price_pattern, price_unit, work_factor)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (code) DO UPDATE
            SET nama = excluded.nama, keywords = excluded.keywords, unit = excluded.unit,
                volume_min = excluded.volume_min, volume_max = excluded.volume_max,
                price_pattern = excluded.price_pattern, price_unit = excluded.price_unit,
                work_factor = excluded.work_factor, updated_at = now()
          WHERE (activity_type.nama, activity_type.keywords, activity_type.unit, activity_type.volume_min,
                 activity_type.volume_max, activity_type.price_pattern, activity_type.price_unit, activity_type.work_factor)
                IS DISTINCT FROM
                (excluded.nama, excluded.keywords, excluded.unit, excluded.volume_min, excluded.volume_max,
                 excluded.price_pattern, excluded.price_unit, excluded.work_factor)",
        row.code,
        row.nama,
        &row.keywords,
        row.unit,
        row.volume_min,
        row.volume_max,
        row.price_pattern,
        row.price_unit,
        row.work_factor,
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected() > 0)
}
