//! Normalising the units real proposal and price files write (M, M1, M', m², meter lari, Buah, LS...).

use survey_schema::Unit;

/// The unit a written unit means, or `None` when it is not one the checks can compare (e.g.
/// `Orang/Bulan`). Case, spaces, dots and superscripts do not matter.
///
/// ```
/// use geo_rules::units::normalize_unit;
/// use survey_schema::Unit;
/// assert_eq!(normalize_unit("M'"), Some(Unit::Metre));
/// assert_eq!(normalize_unit("meter persegi"), Some(Unit::SquareMetre));
/// assert_eq!(normalize_unit(" m³ "), Some(Unit::CubicMetre));
/// assert_eq!(normalize_unit("Bh"), Some(Unit::Count));
/// assert_eq!(normalize_unit("Orang/Bulan"), None);
/// ```
pub fn normalize_unit(raw: &str) -> Option<Unit> {
    let key: String = raw
        .trim()
        .to_lowercase()
        .replace('²', "2")
        .replace('³', "3")
        .replace(['’', '`', '´'], "'")
        .chars()
        .filter(|c| !matches!(c, '.' | ' ' | '\u{a0}' | '-' | '_'))
        .collect();
    let unit = match key.as_str() {
        "m" | "m1" | "m'" | "mtr" | "meter" | "metre" | "meterlari" | "mlari" | "mpanjang"
        | "meterpanjang" | "lm" | "lpm" => Unit::Metre,
        "m2" | "mtr2" | "meter2" | "meterpersegi" | "mpersegi" | "sqm" => Unit::SquareMetre,
        "m3" | "mtr3" | "meter3" | "meterkubik" | "mkubik" | "cum" => Unit::CubicMetre,
        "unit" | "buah" | "bh" | "titik" | "ttk" | "pcs" | "set" | "lokasi" | "lok" | "bua"
        | "btg" | "batang" => Unit::Count,
        "paket" | "pkt" | "ls" | "lumpsum" | "lsum" => Unit::LumpSum,
        "kg" | "kilogram" => Unit::Kilogram,
        "ton" | "t" | "tonne" => Unit::Tonne,
        "liter" | "ltr" | "litre" | "l" => Unit::Litre,
        _ => return None,
    };
    Some(unit)
}

/// Whether two quantities can be compared: same normalised unit, and a unit cost makes sense.
pub fn comparable(a: Option<Unit>, b: Option<Unit>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if a == b && a.has_unit_cost())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_the_units_real_files_use() {
        for raw in [
            "m",
            "M",
            "M1",
            "M'",
            "m’",
            "m1",
            "meter",
            "Meter Lari",
            "mtr",
        ] {
            assert_eq!(normalize_unit(raw), Some(Unit::Metre), "{raw}");
        }
        for raw in ["m2", "M2", "m²", "meter persegi", "M 2"] {
            assert_eq!(normalize_unit(raw), Some(Unit::SquareMetre), "{raw}");
        }
        for raw in ["m3", "M3", "m³", "meter kubik"] {
            assert_eq!(normalize_unit(raw), Some(Unit::CubicMetre), "{raw}");
        }
        for raw in ["unit", "Unit", "buah", "Buah", "bh", "titik", "Set"] {
            assert_eq!(normalize_unit(raw), Some(Unit::Count), "{raw}");
        }
        for raw in ["paket", "Paket", "LS", "ls", "Lump Sum"] {
            assert_eq!(normalize_unit(raw), Some(Unit::LumpSum), "{raw}");
        }
        for raw in ["", "Orang/Bulan", "Tablet", "ml", "Rupiah"] {
            assert_eq!(normalize_unit(raw), None, "{raw}");
        }
    }

    #[test]
    fn refuses_to_compare_across_units_and_lump_sums() {
        assert!(comparable(Some(Unit::Metre), Some(Unit::Metre)));
        assert!(!comparable(Some(Unit::Metre), Some(Unit::SquareMetre)));
        assert!(!comparable(Some(Unit::LumpSum), Some(Unit::LumpSum)));
        assert!(!comparable(None, Some(Unit::Metre)));
    }
}
