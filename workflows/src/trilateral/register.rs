//! The agency register in memory: which agency a proposal's SKPD tujuan names.

use std::collections::HashMap;

use crate::db::opd::OpdRow;
use geo_rules::text::agency_key;

/// The agencies and their spellings.
#[derive(Debug, Default)]
pub struct Register {
    pub rows: Vec<OpdRow>,
    by_key: HashMap<String, Vec<usize>>,
    by_id: HashMap<i64, usize>,
}

impl Register {
    /// The register as stored (`tinjau import opd`).
    pub async fn load(pool: &sqlx::PgPool) -> Result<Self, sqlx::Error> {
        Ok(Self::new(crate::db::opd::all(pool).await?))
    }

    pub fn new(rows: Vec<OpdRow>) -> Self {
        let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, row) in rows.iter().enumerate() {
            for key in row
                .alias_keys
                .iter()
                .cloned()
                .chain([agency_key(&row.kode)])
            {
                let entry = by_key.entry(key).or_default();
                if !entry.contains(&i) {
                    entry.push(i);
                }
            }
        }
        let by_id = rows.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        Self {
            rows,
            by_key,
            by_id,
        }
    }

    pub fn get(&self, id: i64) -> Option<&OpdRow> {
        self.by_id.get(&id).map(|&i| &self.rows[i])
    }

    pub fn by_kode(&self, kode: &str) -> Option<i64> {
        let kode = kode.trim().to_lowercase();
        self.rows.iter().find(|r| r.kode == kode).map(|r| r.id)
    }

    /// The agency (index into `rows`) that `skpd_tujuan` names for a proposal in `kelurahan`: of the
    /// agencies with that spelling, the one serving the proposal's kota (or the province).
    pub fn resolve(&self, skpd_tujuan: Option<&str>, kelurahan: &str) -> Result<usize, String> {
        let Some(skpd) = skpd_tujuan.filter(|s| !s.trim().is_empty()) else {
            return Err("no SKPD tujuan / SKPD tujuan kosong".into());
        };
        let serving: Vec<usize> = self
            .by_key
            .get(&agency_key(skpd))
            .map(|found| {
                found
                    .iter()
                    .copied()
                    .filter(|&i| {
                        self.rows[i]
                            .kota_kode
                            .as_deref()
                            .is_none_or(|k| kelurahan.starts_with(&format!("{k}.")))
                    })
                    .collect()
            })
            .unwrap_or_default();
        match serving.as_slice() {
            [one] => Ok(*one),
            [] => Err(format!(
                "'{skpd}' is no registered agency serving this kota / '{skpd}' tidak ada dalam daftar OPD kota ini"
            )),
            many => {
                // A city agency is closer than a provincial one with the same spelling.
                let city: Vec<usize> = many
                    .iter()
                    .copied()
                    .filter(|&i| self.rows[i].kota_kode.is_some())
                    .collect();
                if let [one] = city.as_slice() {
                    Ok(*one)
                } else {
                    Err(format!(
                        "'{skpd}' names {} agencies / '{skpd}' menunjuk {} OPD",
                        many.len(),
                        many.len()
                    ))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, kode: &str, kota: Option<&str>, aliases: &[&str]) -> OpdRow {
        OpdRow {
            id,
            kode: kode.into(),
            nama: kode.into(),
            singkatan: None,
            kota_kode: kota.map(Into::into),
            alias_keys: aliases.iter().map(|a| agency_key(a)).collect(),
        }
    }

    #[test]
    fn the_same_spelling_names_the_agency_of_the_proposals_kota() {
        let r = Register::new(vec![
            row(
                1,
                "sudin-bm-jp",
                Some("31.71"),
                &["Suku Dinas Bina Marga", "Sudin BM JP"],
            ),
            row(2, "sudin-bm-ju", Some("31.72"), &["Suku Dinas Bina Marga"]),
            row(3, "dinas-bm", None, &["Dinas Bina Marga"]),
        ]);
        assert_eq!(r.resolve(Some("SUDIN Bina Marga"), "31.71.01.1001"), Ok(0));
        assert_eq!(
            r.resolve(Some("Suku Dinas Bina Marga"), "31.72.07.1005"),
            Ok(1)
        );
        assert_eq!(r.resolve(Some("sudin bm jp"), "31.71.01.1001"), Ok(0));
        assert!(r.resolve(Some("Sudin BM JP"), "31.72.07.1005").is_err());
        assert_eq!(r.resolve(Some("Dinas Bina Marga"), "31.72.07.1005"), Ok(2));
        assert!(
            r.resolve(Some("Dinas Pendidikan"), "31.71.01.1001")
                .is_err()
        );
        assert!(r.resolve(None, "31.71.01.1001").is_err());
        assert_eq!(r.by_kode("SUDIN-BM-JP"), Some(1));
    }
}
