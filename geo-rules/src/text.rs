//! Text as the rules compare it, in one place: names and activities written many ways by many
//! hands (`Kel. Kebon  Kelapa`, `SUDIN Bina Marga Kota Adm.`, `Pemb. U-Ditch RT.03`). Every
//! comparison of words in the imports and the rules goes through here.

/// Lower case, letters and digits only, single spaces: `"Pemb. U-Ditch  RT.03"` → `"pemb u ditch rt 03"`.
pub fn normalise_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with(' ') && !out.is_empty() {
            out.push(' ');
        }
    }
    out.trim_end().to_owned()
}

/// `"Kel. Kebon  Kelapa"` → `"kebon kelapa"`.
///
/// ```
/// use geo_rules::text::normalise_name;
/// assert_eq!(normalise_name("KEL. Kebon  Kelapa"), "kebon kelapa");
/// assert_eq!(normalise_name("Kecamatan Gambir"), "gambir");
/// ```
pub fn normalise_name(name: &str) -> String {
    let text = normalise_text(name);
    let mut words: Vec<&str> = text.split(' ').collect();
    while words.len() > 1
        && matches!(
            words[0],
            "kel" | "kelurahan" | "desa" | "ds" | "kec" | "kecamatan"
        )
    {
        words.remove(0);
    }
    words.join(" ")
}

/// A normalised name in today's spelling, read as if written in the spelling before 1972
/// (Soewandi): `tjideng` → `cideng`, `djatinegara` → `jatinegara`, `kebajoran` → `kebayoran`.
///
/// ```
/// use geo_rules::text::from_old_spelling;
/// assert_eq!(from_old_spelling("tjempaka poetih"), "cempaka putih");
/// assert_eq!(from_old_spelling("djatinegara"), "jatinegara");
/// assert_eq!(from_old_spelling("kebajoran lama"), "kebayoran lama");
/// ```
pub fn from_old_spelling(name: &str) -> String {
    // `J` marks a j that came from dj, so the later j→y leaves it alone.
    name.replace("oe", "u")
        .replace("tj", "c")
        .replace("dj", "J")
        .replace("nj", "ny")
        .replace("sj", "sy")
        .replace("ch", "kh")
        .replace('j', "y")
        .replace('J', "j")
}

/// An agency's spelling, normalised so that the ways files write it meet: case, punctuation and
/// spacing aside, `Sudin` is `Suku Dinas`, `Kota Adm.` is `Kota Administrasi`.
///
/// ```
/// use geo_rules::text::agency_key;
/// assert_eq!(agency_key("SUDIN Bina Marga Kota Adm. Jakarta Pusat"),
///            agency_key("Suku Dinas Bina Marga Kota Administrasi Jakarta Pusat"));
/// assert_eq!(agency_key("Sudin SDA"), "suku dinas sda");
/// ```
pub fn agency_key(name: &str) -> String {
    normalise_text(name)
        .split(' ')
        .map(|w| match w {
            "sudin" => "suku dinas",
            "adm" | "admin" => "administrasi",
            "kab" => "kabupaten",
            "prov" => "provinsi",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A text as the duplicate check compares it: normalised, with its numbers apart. Made once per
/// proposal, not once per pair (a kota's kelurahan hold hundreds of proposals each).
pub(crate) struct TextKey {
    text: String,
    numbers: Vec<String>,
}

/// The key of a text for [`similar_text`].
pub(crate) fn text_key(raw: &str) -> TextKey {
    let text = normalise_text(raw);
    let numbers = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|t| !t.is_empty())
        .map(|t| t.trim_start_matches('0').to_owned())
        .collect();
    TextKey { text, numbers }
}

/// Near-identical normalised text. Numbers must agree exactly: "RW 01" and "RW 09" are different
/// places however alike the rest reads.
pub(crate) fn similar_text(a: &TextKey, b: &TextKey, threshold: f64) -> bool {
    !a.text.is_empty()
        && a.numbers == b.numbers
        && strsim::sorensen_dice(&a.text, &b.text) >= threshold
}

/// Phrases planners write for one kind of work, and the word it is compared as.
const WORK_PHRASES: [(&str, &str); 4] = [
    ("pengadaan dan pemasangan", "pemasangan"),
    ("pelapisan aspal", "pengaspalan"),
    ("pengaspalan ulang", "pengaspalan"),
    ("peningkatan kualitas", "peningkatan"),
];

/// Text normalised for comparison: lower case, words, numbers without leading zeros (`RW 003` and
/// `rw 3` agree), `jalan` as `jl` and `gang` as `gg`; the verbs planners use for the same work as
/// one (`rehabilitasi` is `perbaikan`, `konstruksi` is `pembangunan`, `pelapisan aspal` is
/// `pengaspalan`); and the words that only announce a place (`kel.`, `kelurahan`, `kec.`) left out,
/// so that a place named in a line's text does not read as a different work.
///
/// ```text
/// "Rehabilitasi Saluran Jl. Mawar RT.014/RW.01 Kel. Cideng" → "perbaikan saluran jl mawar rt 14 rw 1 cideng"
/// ```
pub(crate) fn comparable(text: &str) -> String {
    let mut normal = normalise_text(text);
    for (phrase, word) in WORK_PHRASES {
        if normal.contains(phrase) {
            normal = normal.replace(phrase, word);
        }
    }
    normal
        .split(' ')
        .filter(|w| !matches!(*w, "kel" | "kelurahan" | "kec" | "kecamatan"))
        .map(|w| match w {
            "jalan" | "jln" => "jl",
            "gang" => "gg",
            "rehabilitasi" | "rehab" => "perbaikan",
            "pembuatan" | "konstruksi" => "pembangunan",
            "pembetonan" => "betonisasi",
            w if w.chars().all(|c| c.is_ascii_digit()) => {
                let t = w.trim_start_matches('0');
                if t.is_empty() { "0" } else { t }
            }
            w => w,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod comparable_tests {
    use super::comparable;

    #[test]
    fn a_planners_verbs_places_and_rt_rw_read_as_the_proposals() {
        assert_eq!(
            comparable("Rehabilitasi Saluran Jl. Mawar RT.014/RW.01 Kel. Cideng"),
            "perbaikan saluran jl mawar rt 14 rw 1 cideng"
        );
        assert_eq!(
            comparable("Perbaikan saluran Jalan Mawar Rt 14 Rw 1 Cideng"),
            "perbaikan saluran jl mawar rt 14 rw 1 cideng"
        );
        assert_eq!(
            comparable("PENGADAAN DAN PEMASANGAN Lampu PJU"),
            comparable("Pemasangan lampu PJU")
        );
        assert_eq!(
            comparable("Pelapisan Aspal Jl. Kenari"),
            "pengaspalan jl kenari"
        );
        assert_eq!(
            comparable("Konstruksi trotoar"),
            comparable("Pembangunan trotoar")
        );
    }
}
