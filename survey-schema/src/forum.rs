//! The forum record: what the Berita Acara (Form 1) and the Daftar Hadir (Form 2) need besides the
//! decisions — the Nomor, when and where the forum ran, the officials who sign, what was heard, who
//! attended, who signs for the participants, the delegates to the city forum, and the Tembusan —
//! and the forum's ranking of the agreed proposals (Lampiran II's order).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// An official who signs: name and NIP (civil-servant number).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Official {
    pub nama: String,
    /// 18 digits for a civil servant; as written.
    pub nip: String,
}

/// A speech heard at the opening (item 1 of "Setelah memperhatikan").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sambutan {
    /// Who gave it, e.g. `Camat Gambir` or `Anggota DPRD Provinsi DKI Jakarta`.
    pub oleh: String,
}

/// A presentation heard (item 2 of "Setelah memperhatikan").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Paparan {
    pub materi: String,
    pub penyaji: String,
}

/// The kinds of participant the guideline invites (Juknis C.1.a.1), so that a missing kind shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Kategori {
    /// DPRD members living in the kecamatan.
    Dprd,
    /// Camat, Kapolsek, Danramil.
    Muspika,
    /// The kota's Kesbangpol office.
    Kesbangpol,
    /// The kecamatan's technical section heads and the technical units in the kecamatan.
    Teknis,
    Lurah,
    Pkk,
    /// Lembaga Musyawarah Kelurahan.
    Lmk,
    /// One delegate per RW, as named in each Musrenbang Kelurahan's Berita Acara.
    Rw,
    /// Badan/Lembaga Keswadayaan Masyarakat.
    BkmLkm,
    /// Community and social organisations.
    Organisasi,
    Lainnya,
}

impl Kategori {
    /// The kinds the guideline invites (all but `Lainnya`), in its order.
    pub const INVITED: [Self; 10] = [
        Self::Dprd,
        Self::Muspika,
        Self::Kesbangpol,
        Self::Teknis,
        Self::Lurah,
        Self::Pkk,
        Self::Lmk,
        Self::Rw,
        Self::BkmLkm,
        Self::Organisasi,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dprd => "dprd",
            Self::Muspika => "muspika",
            Self::Kesbangpol => "kesbangpol",
            Self::Teknis => "teknis",
            Self::Lurah => "lurah",
            Self::Pkk => "pkk",
            Self::Lmk => "lmk",
            Self::Rw => "rw",
            Self::BkmLkm => "bkm_lkm",
            Self::Organisasi => "organisasi",
            Self::Lainnya => "lainnya",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Lainnya]
            .into_iter()
            .chain(Self::INVITED)
            .find(|k| k.as_str() == s.trim())
    }

    /// As the guideline names it, in Indonesian and English.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Self::Dprd => ("Anggota DPRD", "DPRD members"),
            Self::Muspika => ("Muspika", "Muspika"),
            Self::Kesbangpol => ("Kantor Kesbangpol", "Kesbangpol office"),
            Self::Teknis => (
                "Kepala seksi dan unit teknis",
                "Technical section and unit heads",
            ),
            Self::Lurah => ("Lurah", "Lurah"),
            Self::Pkk => ("TP PKK Kecamatan", "PKK"),
            Self::Lmk => ("LMK", "LMK"),
            Self::Rw => ("Utusan RW", "RW delegates"),
            Self::BkmLkm => ("BKM/LKM", "BKM/LKM"),
            Self::Organisasi => ("Organisasi kemasyarakatan", "Community organisations"),
            Self::Lainnya => ("Lainnya", "Other"),
        }
    }
}

/// One person on the Daftar Hadir.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Peserta {
    pub nama: String,
    /// Lembaga/instansi, e.g. `LMK Kelurahan Cideng`.
    pub lembaga: String,
    pub kategori: Kategori,
    #[serde(default)]
    pub alamat: String,
    /// For the delegation's balance (the guideline asks for women among the delegates).
    #[serde(default)]
    pub perempuan: bool,
    /// Signs the Berita Acara for the participants ("Mewakili peserta").
    #[serde(default)]
    pub mewakili: bool,
    /// Goes to the city's forum (KEEMPAT).
    #[serde(default)]
    pub delegasi: bool,
}

/// `PUT /api/v1/kecamatan/{kode}/forum`: the forum record of a kecamatan and year.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ForumRecord {
    /// The Berita Acara's Nomor, as the kecamatan numbers its letters.
    #[serde(default)]
    pub nomor: String,
    /// The first and last day the forum ran.
    pub tanggal_mulai: Option<NaiveDate>,
    pub tanggal_selesai: Option<NaiveDate>,
    /// e.g. `09.00 s.d. 12.00 WIB`.
    #[serde(default)]
    pub jam: String,
    /// e.g. `Aula Kantor Kecamatan Gambir`.
    #[serde(default)]
    pub tempat: String,
    #[serde(default)]
    pub camat: Official,
    /// The head of the city's planning office (the title comes from the kota's profile).
    #[serde(default)]
    pub kepala_perencanaan: Official,
    #[serde(default)]
    pub sambutan: Vec<Sambutan>,
    #[serde(default)]
    pub paparan: Vec<Paparan>,
    #[serde(default)]
    pub peserta: Vec<Peserta>,
    #[serde(default)]
    pub tembusan: Vec<String>,
    /// The forum's ranking of the agreed proposals: proposal ids, most important first. A
    /// proposal's rank is its place among those of its SKPD/UKPD tujuan.
    #[serde(default)]
    pub prioritas: Vec<i64>,
}

/// Something Form 1 needs that the record lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Gap {
    /// The field, e.g. `nomor`, `kepala_perencanaan.nip`, `peserta[LMK Cideng].mewakili`.
    pub field: String,
    pub id: String,
    pub en: String,
}

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

impl ForumRecord {
    /// What Form 1 needs and the record lacks; empty when it can be printed and the list sent.
    pub fn gaps(&self) -> Vec<Gap> {
        let mut out = Vec::new();
        let mut gap = |field: &str, id: &str, en: &str| {
            out.push(Gap {
                field: field.to_owned(),
                id: id.to_owned(),
                en: en.to_owned(),
            });
        };
        if blank(&self.nomor) {
            gap(
                "nomor",
                "Nomor Berita Acara belum diisi",
                "The Berita Acara's Nomor is missing",
            );
        }
        match (self.tanggal_mulai, self.tanggal_selesai) {
            (None, _) => gap(
                "tanggal_mulai",
                "Tanggal forum belum diisi",
                "The forum's date is missing",
            ),
            (Some(a), Some(b)) if b < a => gap(
                "tanggal_selesai",
                "Tanggal selesai sebelum tanggal mulai",
                "The last day is before the first",
            ),
            _ => {}
        }
        if blank(&self.jam) {
            gap(
                "jam",
                "Jam forum belum diisi",
                "The forum's time is missing",
            );
        }
        if blank(&self.tempat) {
            gap(
                "tempat",
                "Tempat forum belum diisi",
                "The forum's place is missing",
            );
        }
        for (field, who_id, who_en, o) in [
            ("camat", "Camat", "the Camat", &self.camat),
            (
                "kepala_perencanaan",
                "Kepala kantor perencanaan kota",
                "the head of the city's planning office",
                &self.kepala_perencanaan,
            ),
        ] {
            if blank(&o.nama) {
                out.push(Gap {
                    field: format!("{field}.nama"),
                    id: format!("Nama {who_id} belum diisi"),
                    en: format!("The name of {who_en} is missing"),
                });
            }
            if blank(&o.nip) {
                out.push(Gap {
                    field: format!("{field}.nip"),
                    id: format!("NIP {who_id} belum diisi"),
                    en: format!("The NIP of {who_en} is missing"),
                });
            }
        }
        if self.sambutan.is_empty() {
            out.push(Gap {
                field: "sambutan".into(),
                id: "Sambutan pembukaan belum dicatat".into(),
                en: "No opening speech is recorded".into(),
            });
        }
        if self.peserta.is_empty() {
            out.push(Gap {
                field: "peserta".into(),
                id: "Daftar hadir masih kosong".into(),
                en: "The attendance list is empty".into(),
            });
        }
        for lembaga in self.lembaga_without_representative() {
            out.push(Gap {
                field: format!("peserta[{lembaga}].mewakili"),
                id: format!("Belum ada wakil yang menandatangani untuk {lembaga}"),
                en: format!("Nobody signs for {lembaga}"),
            });
        }
        if !self.peserta.iter().any(|p| p.delegasi) {
            out.push(Gap {
                field: "peserta.delegasi".into(),
                id: "Perwakilan ke Musrenbang kota (KEEMPAT) belum dipilih".into(),
                en: "No delegate to the city forum (KEEMPAT) is chosen".into(),
            });
        }
        out
    }

    /// Each lembaga/instansi on the attendance list with nobody who signs for it, in list order.
    pub fn lembaga_without_representative(&self) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        for p in &self.peserta {
            let key = p.lembaga.trim().to_lowercase();
            if key.is_empty() || seen.iter().any(|s| s.to_lowercase() == key) {
                continue;
            }
            seen.push(p.lembaga.trim().to_owned());
        }
        seen.into_iter()
            .filter(|l| {
                !self
                    .peserta
                    .iter()
                    .any(|p| p.mewakili && p.lembaga.trim().eq_ignore_ascii_case(l))
            })
            .collect()
    }

    /// The invited kinds nobody on the list belongs to (shown, not refused: a kecamatan may have no
    /// BKM).
    pub fn missing_kategori(&self) -> Vec<Kategori> {
        Kategori::INVITED
            .into_iter()
            .filter(|k| !self.peserta.iter().any(|p| p.kategori == *k))
            .collect()
    }

    /// Whether the delegation to the city forum has no woman (the guideline asks for women among
    /// the delegates): a note on the page and the PDF, not a refusal.
    pub fn delegation_without_women(&self) -> bool {
        let delegates: Vec<&Peserta> = self.peserta.iter().filter(|p| p.delegasi).collect();
        !delegates.is_empty() && !delegates.iter().any(|p| p.perempuan)
    }
}

/// `GET /api/v1/kecamatan/{kode}/forum`: the record with what it still lacks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ForumView {
    pub kecamatan: crate::WilayahKode,
    pub tahun: i32,
    /// 0 before the first save; send it back in `If-Match`.
    pub version: i32,
    pub record: ForumRecord,
    /// What Form 1 needs and the record lacks: Kirim is refused while any remains.
    pub gaps: Vec<Gap>,
    /// Invited kinds of participant nobody on the list belongs to.
    pub missing_kategori: Vec<Kategori>,
    pub delegation_without_women: bool,
    /// The kota's planning office as the forms name it.
    pub profile: KotaProfile,
    /// Locked: the list was sent (Kirim).
    pub locked: bool,
}

/// What the forms say of a kota's planning office, and when the report is due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KotaProfile {
    pub kota: crate::WilayahKode,
    /// e.g. `Kantor Perencanaan Pembangunan Kota Administrasi Jakarta Pusat`.
    pub office: String,
    /// e.g. `Kepala Kanppeko/Kab.` (DKI) or `Kepala Bappeda`.
    pub head_title: String,
    /// The city written after "Ditetapkan di".
    pub ditetapkan_di: String,
    /// The Tembusan the forms start from.
    pub tembusan: Vec<String>,
    /// The last day the report to the planning office is due, in the forum's year (the
    /// guideline: the end of the third week of March).
    pub report_due_month: u32,
    pub report_due_day: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(nama: &str, lembaga: &str, kategori: Kategori) -> Peserta {
        Peserta {
            nama: nama.into(),
            lembaga: lembaga.into(),
            kategori,
            alamat: String::new(),
            perempuan: false,
            mewakili: false,
            delegasi: false,
        }
    }

    #[test]
    fn an_empty_record_lacks_what_form_1_needs() {
        let fields: Vec<String> = ForumRecord::default()
            .gaps()
            .into_iter()
            .map(|g| g.field)
            .collect();
        for f in [
            "nomor",
            "tanggal_mulai",
            "jam",
            "tempat",
            "camat.nama",
            "camat.nip",
            "kepala_perencanaan.nama",
            "kepala_perencanaan.nip",
            "peserta",
        ] {
            assert!(fields.iter().any(|x| x == f), "{f} in {fields:?}");
        }
    }

    #[test]
    fn every_lembaga_needs_someone_who_signs_for_it() {
        let mut r = ForumRecord {
            peserta: vec![
                person("A", "LMK Cideng", Kategori::Lmk),
                person("B", "lmk cideng", Kategori::Lmk),
                person("C", "PKK Kecamatan", Kategori::Pkk),
            ],
            ..ForumRecord::default()
        };
        assert_eq!(
            r.lembaga_without_representative(),
            ["LMK Cideng", "PKK Kecamatan"]
        );
        r.peserta[1].mewakili = true;
        assert_eq!(r.lembaga_without_representative(), ["PKK Kecamatan"]);
        let missing = r.missing_kategori();
        assert!(missing.contains(&Kategori::Dprd) && !missing.contains(&Kategori::Lmk));
    }

    #[test]
    fn a_delegation_of_men_only_is_noted() {
        let mut r = ForumRecord::default();
        assert!(!r.delegation_without_women());
        let mut a = person("A", "RW 01", Kategori::Rw);
        a.delegasi = true;
        r.peserta.push(a.clone());
        assert!(r.delegation_without_women());
        a.perempuan = true;
        r.peserta.push(a);
        assert!(!r.delegation_without_women());
    }
}
