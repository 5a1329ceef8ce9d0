//! The `forum_record` and `kota_profile` tables.

use sqlx::PgConnection;

/// A stored forum record.
#[derive(Debug, Clone)]
pub struct ForumRow {
    pub record: serde_json::Value,
    pub version: i32,
}

/// The record of a kecamatan and year, locked for the transaction (a save and a Kirim of the same
/// list never interleave: both hold the kecamatan's lock first).
pub async fn get(
    conn: &mut PgConnection,
    kecamatan: &str,
    tahun: i32,
) -> Result<Option<ForumRow>, sqlx::Error> {
    sqlx::query_as!(
        ForumRow,
        "SELECT record, version FROM forum_record WHERE kecamatan_kode = $1 AND tahun = $2",
        kecamatan,
        tahun
    )
    .fetch_optional(conn)
    .await
}

/// Stores the record as version `version` (1: the first save); returns whether a row was written
/// (false: another save took that version first).
pub async fn put(
    conn: &mut PgConnection,
    kecamatan: &str,
    tahun: i32,
    record: &serde_json::Value,
    version: i32,
    by: &str,
) -> Result<bool, sqlx::Error> {
    let written = sqlx::query!(
        "INSERT INTO forum_record (kecamatan_kode, tahun, record, version, updated_by)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (kecamatan_kode, tahun) DO UPDATE
            SET record = EXCLUDED.record, version = EXCLUDED.version,
                updated_by = EXCLUDED.updated_by, updated_at = now()
          WHERE forum_record.version = EXCLUDED.version - 1",
        kecamatan,
        tahun,
        record,
        version,
        by
    )
    .execute(conn)
    .await?;
    Ok(written.rows_affected() == 1)
}

/// A kota's planning-office profile, if one was set.
#[derive(Debug, Clone)]
pub struct ProfileRow {
    pub office: String,
    pub head_title: String,
    pub ditetapkan_di: String,
    pub tembusan: serde_json::Value,
    pub report_due_month: i32,
    pub report_due_day: i32,
}

pub async fn profile(
    conn: &mut PgConnection,
    kota: &str,
) -> Result<Option<ProfileRow>, sqlx::Error> {
    sqlx::query_as!(
        ProfileRow,
        "SELECT office, head_title, ditetapkan_di, tembusan, report_due_month, report_due_day
           FROM kota_profile WHERE kota_kode = $1",
        kota
    )
    .fetch_optional(conn)
    .await
}

pub async fn set_profile(
    conn: &mut PgConnection,
    kota: &str,
    p: &ProfileRow,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO kota_profile (kota_kode, office, head_title, ditetapkan_di, tembusan, report_due_month, report_due_day)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (kota_kode) DO UPDATE
            SET office = EXCLUDED.office, head_title = EXCLUDED.head_title,
                ditetapkan_di = EXCLUDED.ditetapkan_di, tembusan = EXCLUDED.tembusan,
                report_due_month = EXCLUDED.report_due_month, report_due_day = EXCLUDED.report_due_day,
                updated_at = now()",
        kota,
        p.office,
        p.head_title,
        p.ditetapkan_di,
        p.tembusan,
        p.report_due_month,
        p.report_due_day
    )
    .execute(conn)
    .await?;
    Ok(())
}
