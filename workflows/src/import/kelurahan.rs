//! Finding a kelurahan (and a kecamatan) from what a file writes: a code, or a name as people spell
//! it. Both the proposal import and the Renja import use this one resolver.
//!
//! A name is taken when, after normalising (case, spacing, punctuation, the `Kel.`/`Kelurahan`/
//! `Desa` prefixes), it equals a kelurahan's name, the name written without spaces (`Kalibaru` for
//! `Kali Baru`), the name in the old spelling (`Tjideng` for Cideng: tj→c, dj→j, j→y, oe→u, nj→ny,
//! sj→sy, ch→kh), or a recorded old name (`wilayah_alias`). Failing that, a close spelling (a vowel
//! changed, a letter doubled or dropped: Jaro–Winkler 0.92 or more, clearly ahead of the next) is
//! taken and reported. A row's map pin is evidence for a looser name: the kelurahan whose polygon
//! holds the pin is taken when its name is still close (0.80). What stays ambiguous is refused.

use std::collections::{HashMap, HashSet};

use geo_rules::text::{from_old_spelling, normalise_name};
use sqlx::PgPool;
use survey_schema::{Wgs84Point, WilayahKode};

use crate::db;

/// A resolved area: its code and, when the name matched only approximately, a note saying how.
pub type Resolved = (String, Option<String>);

/// Finds kelurahan by code or by (approximate) name.
#[derive(Debug, Default)]
pub struct KelurahanResolver {
    /// Level-4 codes, normalised names and names within the scope.
    kelurahan: Vec<(String, String, String)>,
    /// Level-3 codes, normalised names and names within the scope.
    kecamatan: Vec<(String, String, String)>,
    known_codes: HashSet<String>,
    /// Exact keys (normalised, spaceless, old spelling, recorded old names) → codes.
    keys: HashMap<String, Vec<usize>>,
    /// The kelurahan polygons, for a row's map pin as evidence of a name that matches only loosely.
    index: Option<geo_rules::BoundaryIndex>,
}

fn spaceless(name: &str) -> String {
    name.replace(' ', "")
}

impl KelurahanResolver {
    /// Loads the kecamatan and kelurahan within `scope` (everything without), their recorded old
    /// names, and the kelurahan polygons when there are any.
    pub async fn load(pool: &PgPool, scope: Option<&WilayahKode>) -> Result<Self, sqlx::Error> {
        let prefix = scope.map(ToString::to_string).unwrap_or_default();
        let rows = db::wilayah::within(pool, &prefix).await?;
        let aliases = db::wilayah::aliases_within(pool, &prefix).await?;
        // Without polygons (a database with the code list only) names alone decide.
        let index = crate::locator::load(pool)
            .await
            .ok()
            .filter(|i| !i.is_empty());
        Ok(Self::new(
            rows.into_iter()
                .map(|r| (r.kode.to_string(), r.nama, r.level)),
            aliases,
            index,
        ))
    }

    /// A resolver over `(kode, nama, level)` rows and `(old name, kode)` aliases.
    pub fn new(
        rows: impl IntoIterator<Item = (String, String, i16)>,
        aliases: Vec<(String, String)>,
        index: Option<geo_rules::BoundaryIndex>,
    ) -> Self {
        let mut r = Self {
            index,
            ..Self::default()
        };
        for (kode, nama, level) in rows {
            match level {
                4 => r.kelurahan.push((kode, normalise_name(&nama), nama)),
                3 => r.kecamatan.push((kode, normalise_name(&nama), nama)),
                _ => {}
            }
        }
        r.known_codes = r.kelurahan.iter().map(|(k, _, _)| k.clone()).collect();
        let position: HashMap<&str, usize> = r
            .kelurahan
            .iter()
            .enumerate()
            .map(|(i, (k, _, _))| (k.as_str(), i))
            .collect();
        let mut keys: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, (_, name, _)) in r.kelurahan.iter().enumerate() {
            for key in [name.clone(), spaceless(name), from_old_spelling(name)] {
                let entry = keys.entry(key).or_default();
                if !entry.contains(&i) {
                    entry.push(i);
                }
            }
        }
        for (alias, kode) in aliases {
            if let Some(&i) = position.get(kode.as_str()) {
                let entry = keys.entry(normalise_name(&alias)).or_default();
                if !entry.contains(&i) {
                    entry.push(i);
                }
            }
        }
        r.keys = keys;
        r
    }

    /// A name that matched no kelurahan well enough, taken from the row's map pin: the kelurahan
    /// whose polygon holds the pin, when its name is still close (a vowel changed, a letter doubled
    /// or dropped: Jaro-Winkler 0.80 or more). `None` keeps the refusal.
    pub fn by_pin(&self, kelurahan: &str, pin: Wgs84Point) -> Option<Resolved> {
        let index = self.index.as_ref()?;
        let wanted = normalise_name(kelurahan);
        let holding = index.containing(pin.lon(), pin.lat());
        let [region] = holding.as_slice() else {
            return None;
        };
        let (kode, name, nama) = self
            .kelurahan
            .iter()
            .find(|(k, _, _)| k == region.kode.as_str())?;
        let similarity = strsim::jaro_winkler(&wanted, name)
            .max(strsim::jaro_winkler(&from_old_spelling(&wanted), name));
        (similarity >= 0.80).then(|| {
            (
                kode.clone(),
                Some(format!(
                    "'{kelurahan}' taken as {kode} {nama}: its polygon holds the row's map pin (similarity {similarity:.2})"
                )),
            )
        })
    }

    /// The kelurahan a cell names, and the kecamatan cell's (when the file has one), with a note
    /// when the name matched only approximately.
    pub fn resolve(&self, kelurahan: &str, kecamatan: &str) -> Result<Resolved, String> {
        if kelurahan.trim().starts_with(|c: char| c.is_ascii_digit()) {
            let kode = WilayahKode::parse(kelurahan).map_err(|e| e.to_string())?;
            return if self.known_codes.contains(kode.as_str()) {
                Ok((kode.to_string(), None))
            } else {
                Err(format!(
                    "{kode} is not a kelurahan/desa code in the code list (or not in the import's --wilayah)"
                ))
            };
        }
        let kec_codes: Option<Vec<String>> = if kecamatan.trim().is_empty() {
            None
        } else {
            Some(
                self.kecamatan_candidates(kecamatan)
                    .into_iter()
                    .map(|(k, _)| k)
                    .collect(),
            )
        };
        let in_kecamatan = |kode: &str| {
            kec_codes
                .as_ref()
                .is_none_or(|kecs| kecs.iter().any(|kec| kode.starts_with(kec.as_str())))
        };
        let wanted = normalise_name(kelurahan);
        let mut exact: Vec<usize> = [
            wanted.clone(),
            spaceless(&wanted),
            from_old_spelling(&wanted),
        ]
        .iter()
        .filter_map(|k| self.keys.get(k))
        .flatten()
        .copied()
        .filter(|&i| in_kecamatan(&self.kelurahan[i].0))
        .collect();
        exact.sort_unstable();
        exact.dedup();
        match exact.as_slice() {
            [one] => {
                let (kode, name, nama) = &self.kelurahan[*one];
                let note = (*name != wanted).then(|| {
                    format!(
                        "'{kelurahan}' taken as {kode} {nama} (another spelling or an old name)"
                    )
                });
                return Ok((kode.clone(), note));
            }
            [] => {}
            many => {
                let codes: Vec<&str> = many
                    .iter()
                    .take(5)
                    .map(|&i| self.kelurahan[i].0.as_str())
                    .collect();
                return Err(format!(
                    "'{kelurahan}' is ambiguous: {} kelurahan/desa have that name ({}{}); give the code, a Kecamatan column or --wilayah",
                    many.len(),
                    codes.join(", "),
                    if many.len() > 5 { ", ..." } else { "" }
                ));
            }
        }
        let old = from_old_spelling(&wanted);
        let mut scored: Vec<(f64, &(String, String, String))> = self
            .kelurahan
            .iter()
            .filter(|(k, _, _)| in_kecamatan(k))
            .map(|c| {
                let score = strsim::jaro_winkler(&wanted, &c.1)
                    .max(strsim::jaro_winkler(&spaceless(&wanted), &spaceless(&c.1)))
                    .max(strsim::jaro_winkler(&old, &c.1));
                (score, c)
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        match scored.as_slice() {
            [(best, found), rest @ ..]
                if *best >= 0.92
                    && rest.first().is_none_or(|(second, _)| best - second >= 0.02) =>
            {
                Ok((
                    found.0.clone(),
                    Some(format!(
                        "'{kelurahan}' matched {} {} (similarity {best:.2})",
                        found.0, found.2
                    )),
                ))
            }
            [(best, found), ..] if *best >= 0.92 => Err(format!(
                "'{kelurahan}' is close to several kelurahan (best {} {}); give the code",
                found.0, found.2
            )),
            _ => Err(format!(
                "no kelurahan/desa named '{kelurahan}'{}",
                if kecamatan.is_empty() {
                    String::new()
                } else {
                    format!(" in kecamatan '{kecamatan}'")
                }
            )),
        }
    }

    /// The kecamatan a cell names (a code or a name), with a note when the name matched only
    /// approximately.
    pub fn resolve_kecamatan(&self, kecamatan: &str) -> Result<Resolved, String> {
        if kecamatan.trim().starts_with(|c: char| c.is_ascii_digit()) {
            let kode = WilayahKode::parse(kecamatan).map_err(|e| e.to_string())?;
            return if self.kecamatan.iter().any(|(k, _, _)| k == kode.as_str()) {
                Ok((kode.to_string(), None))
            } else {
                Err(format!(
                    "{kode} is not a kecamatan code in the code list (or not in the import's --wilayah)"
                ))
            };
        }
        match self.kecamatan_candidates(kecamatan).as_slice() {
            [(kode, note)] => Ok((kode.clone(), note.clone())),
            [] => Err(format!("no kecamatan named '{kecamatan}'")),
            many => Err(format!(
                "'{kecamatan}' is ambiguous: {} kecamatan have that name ({}); give the code or --wilayah",
                many.len(),
                many.iter()
                    .take(5)
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// Kecamatan whose name is the cell's (in any of the exact forms), or else the one clearly
    /// closest spelling.
    fn kecamatan_candidates(&self, kecamatan: &str) -> Vec<(String, Option<String>)> {
        let wanted = normalise_name(kecamatan);
        let forms = [
            wanted.clone(),
            spaceless(&wanted),
            from_old_spelling(&wanted),
        ];
        let exact: Vec<(String, Option<String>)> = self
            .kecamatan
            .iter()
            .filter(|(_, n, _)| forms.contains(n) || spaceless(n) == forms[1])
            .map(|(k, _, _)| (k.clone(), None))
            .collect();
        if !exact.is_empty() {
            return exact;
        }
        let mut scored: Vec<(f64, &(String, String, String))> = self
            .kecamatan
            .iter()
            .map(|c| (strsim::jaro_winkler(&wanted, &c.1), c))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        match scored.as_slice() {
            [(best, (kode, _, nama)), rest @ ..]
                if *best >= 0.92
                    && rest.first().is_none_or(|(second, _)| best - second >= 0.02) =>
            {
                vec![(
                    kode.clone(),
                    Some(format!(
                        "kecamatan '{kecamatan}' matched {kode} {nama} (similarity {best:.2})"
                    )),
                )]
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver() -> KelurahanResolver {
        let rows = [
            ("31.71", "Kota Jakarta Pusat", 2),
            ("31.71.01", "Gambir", 3),
            ("31.71.01.1001", "Gambir", 4),
            ("31.71.01.1003", "Cideng", 4),
            ("31.71.01.1005", "Kebon Kelapa", 4),
            ("31.71.03", "Kemayoran", 3),
            ("31.71.03.1001", "Kemayoran", 4),
            ("31.72.07", "Cilincing", 3),
            ("31.72.07.1005", "Kali Baru", 4),
            ("31.75.03", "Jatinegara", 3),
            ("31.75.03.1008", "Cipinang Besar Utara", 4),
            ("32.73.01", "Sukajadi", 3),
            ("32.73.01.1001", "Gambir", 4),
        ];
        KelurahanResolver::new(
            rows.iter()
                .map(|(k, n, l)| ((*k).to_owned(), (*n).to_owned(), *l)),
            vec![("Cipinang Besar".into(), "31.75.03.1008".into())],
            None,
        )
    }

    #[test]
    fn resolves_codes_names_prefixes_and_spelling_variants() {
        let r = resolver();
        assert_eq!(
            r.resolve("31.71.01.1005", "").unwrap(),
            ("31.71.01.1005".into(), None)
        );
        assert_eq!(
            r.resolve("KEL. KEBON  KELAPA", "").unwrap(),
            ("31.71.01.1005".into(), None)
        );
        // A vowel dropped, a letter changed, a letter doubled.
        for variant in ["Kebon Klapa", "Kemayoren", "Kebbon Kelapa"] {
            let (kode, note) = r.resolve(variant, "").unwrap();
            assert!(kode.starts_with("31.71.0"), "{variant}: {kode}");
            assert!(note.unwrap().contains("similarity"), "{variant}");
        }
        // The old spelling of Kemayoran.
        assert_eq!(r.resolve("Kemajoran", "").unwrap().0, "31.71.03.1001");
    }

    #[test]
    fn words_run_together_old_spellings_and_old_names_are_taken_and_reported() {
        let r = resolver();
        let (kode, note) = r.resolve("Kelurahan Kalibaru", "").unwrap();
        assert_eq!(kode, "31.72.07.1005");
        assert!(note.unwrap().contains("another spelling or an old name"));
        assert_eq!(r.resolve("Tjideng", "").unwrap().0, "31.71.01.1003");
        assert_eq!(r.resolve("Desa Tjideng", "").unwrap().0, "31.71.01.1003");
        assert_eq!(r.resolve("Cipinang Besar", "").unwrap().0, "31.75.03.1008");
        assert_eq!(
            r.resolve_kecamatan("Djatinegara").unwrap(),
            ("31.75.03".into(), None)
        );
    }

    #[test]
    fn ambiguous_and_unknown_names_are_refused_and_a_kecamatan_disambiguates() {
        let r = resolver();
        assert!(r.resolve("Gambir", "").unwrap_err().contains("ambiguous"));
        assert_eq!(
            r.resolve("Gambir", "Kec. Gambir").unwrap().0,
            "31.71.01.1001"
        );
        assert_eq!(r.resolve("Gambir", "Sukajadi").unwrap().0, "32.73.01.1001");
        assert!(
            r.resolve("Atlantis", "")
                .unwrap_err()
                .contains("no kelurahan")
        );
        assert!(r.resolve("31.71.01.1999", "").is_err());
        assert!(r.resolve_kecamatan("Atlantis").is_err());
        assert_eq!(r.resolve_kecamatan("31.71.03").unwrap().0, "31.71.03");
        assert!(r.resolve_kecamatan("31.71.09").is_err());
    }
}
