//! The agency register: `opd`, its spellings (`opd_alias`) and the planners of one agency
//! (`opd_member`).

use sqlx::{PgConnection, PgPool};

/// One agency to write, as the register file gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpdEntry {
    pub kode: String,
    pub nama: String,
    pub singkatan: Option<String>,
    pub kota: Option<String>,
    /// Every spelling (name, short name, aliases) as `(key, as written)`, without repeats.
    pub aliases: Vec<(String, String)>,
}

/// What an upsert did to an agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Inserted,
    Updated,
    Unchanged,
}

/// An agency with its spellings (normalised keys).
#[derive(Debug, Clone)]
pub struct OpdRow {
    pub id: i64,
    pub kode: String,
    pub nama: String,
    pub singkatan: Option<String>,
    pub kota_kode: Option<String>,
    pub alias_keys: Vec<String>,
}

pub async fn area_exists(conn: &mut PgConnection, kode: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM wilayah WHERE kode = $1 AND level <= 2) AS "exists!""#,
        kode
    )
    .fetch_one(conn)
    .await
}

/// Writes an agency and replaces its spellings.
pub async fn upsert(conn: &mut PgConnection, entry: &OpdEntry) -> Result<Upserted, sqlx::Error> {
    let before = sqlx::query!(
        r#"SELECT o.id, o.nama, o.singkatan, o.kota_kode,
                  coalesce((SELECT array_agg(a.alias ORDER BY a.alias_key) FROM opd_alias a WHERE a.opd_id = o.id), '{}') AS "aliases!"
             FROM opd o WHERE o.kode = $1"#,
        entry.kode
    )
    .fetch_optional(&mut *conn)
    .await?;
    let mut wanted: Vec<(String, String)> = entry.aliases.clone();
    wanted.sort();
    let wanted_aliases: Vec<String> = wanted.iter().map(|(_, a)| a.clone()).collect();
    let (id, outcome) = match before {
        Some(b)
            if b.nama == entry.nama
                && b.singkatan == entry.singkatan
                && b.kota_kode == entry.kota
                && b.aliases == wanted_aliases =>
        {
            return Ok(Upserted::Unchanged);
        }
        Some(b) => {
            sqlx::query!(
                "UPDATE opd SET nama = $2, singkatan = $3, kota_kode = $4, updated_at = now() WHERE id = $1",
                b.id,
                entry.nama,
                entry.singkatan,
                entry.kota
            )
            .execute(&mut *conn)
            .await?;
            (b.id, Upserted::Updated)
        }
        None => {
            let id = sqlx::query_scalar!(
                "INSERT INTO opd (kode, nama, singkatan, kota_kode) VALUES ($1, $2, $3, $4) RETURNING id",
                entry.kode,
                entry.nama,
                entry.singkatan,
                entry.kota
            )
            .fetch_one(&mut *conn)
            .await?;
            (id, Upserted::Inserted)
        }
    };
    sqlx::query!("DELETE FROM opd_alias WHERE opd_id = $1", id)
        .execute(&mut *conn)
        .await?;
    let keys: Vec<String> = wanted.iter().map(|(k, _)| k.clone()).collect();
    sqlx::query!(
        "INSERT INTO opd_alias (opd_id, alias_key, alias) SELECT $1, * FROM unnest($2::text[], $3::text[])",
        id,
        &keys,
        &wanted_aliases
    )
    .execute(&mut *conn)
    .await?;
    Ok(outcome)
}

/// Every agency, with its spellings.
pub async fn all(pool: &PgPool) -> Result<Vec<OpdRow>, sqlx::Error> {
    sqlx::query_as!(
        OpdRow,
        r#"SELECT o.id, o.kode, o.nama, o.singkatan, o.kota_kode,
                  coalesce((SELECT array_agg(a.alias_key ORDER BY a.alias_key) FROM opd_alias a WHERE a.opd_id = o.id), '{}') AS "alias_keys!"
             FROM opd o ORDER BY o.kode"#
    )
    .fetch_all(pool)
    .await
}

/// The agency an opd-role account plans for, if it is one agency's.
pub async fn of_member(pool: &PgPool, user_id: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!("SELECT opd_id FROM opd_member WHERE user_id = $1", user_id)
        .fetch_optional(pool)
        .await
}

/// Makes an account one agency's planner.
pub async fn set_member(
    conn: &mut PgConnection,
    user_id: i64,
    opd_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO opd_member (user_id, opd_id) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET opd_id = excluded.opd_id",
        user_id,
        opd_id
    )
    .execute(conn)
    .await?;
    Ok(())
}
