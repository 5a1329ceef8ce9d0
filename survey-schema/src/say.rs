//! Numbers as each language writes them: Indonesian groups thousands with `.` and writes decimals
//! with `,` (`10.878.677 m`, `2,1×`); English the other way round (`10,878,677 m`, `2.1×`).

/// The language a text is written in: Indonesian unless English is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Id,
    En,
}

impl Lang {
    /// From the `bahasa` cookie's value (`en`, else Indonesian).
    pub fn from_cookie(value: Option<&str>) -> Self {
        match value {
            Some("en") => Self::En,
            _ => Self::Id,
        }
    }

    /// `id` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::En => "en",
        }
    }

    /// The Indonesian or the English text.
    pub fn t<'a>(self, id: &'a str, en: &'a str) -> &'a str {
        self.pick(id, en)
    }

    fn thousands(self) -> char {
        match self {
            Self::Id => '.',
            Self::En => ',',
        }
    }

    fn decimal_mark(self) -> char {
        match self {
            Self::Id => ',',
            Self::En => '.',
        }
    }

    /// The text for this language of a pair.
    pub fn pick<'a>(self, id: &'a str, en: &'a str) -> &'a str {
        match self {
            Self::Id => id,
            Self::En => en,
        }
    }
}

/// Digits grouped by threes with `separator` (`.` in Indonesian, `,` in English).
///
/// ```
/// use survey_schema::say::grouped;
/// assert_eq!(grouped(20_971_520, '.'), "20.971.520");
/// assert_eq!(grouped(-1_500, ','), "-1,500");
/// assert_eq!(grouped(999, '.'), "999");
/// ```
pub fn grouped(n: i128, separator: char) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

/// `x` with `places` decimals, grouped, in `lang`'s way.
///
/// ```
/// use survey_schema::say::{Lang, decimal};
/// assert_eq!(decimal(10_878_677.4, 0, Lang::Id), "10.878.677");
/// assert_eq!(decimal(2.14, 1, Lang::Id), "2,1");
/// assert_eq!(decimal(2.14, 1, Lang::En), "2.1");
/// assert_eq!(decimal(-0.351, 2, Lang::En), "-0.35");
/// ```
pub fn decimal(x: f64, places: usize, lang: Lang) -> String {
    let written = format!("{:.*}", places, x.abs());
    let (whole, fraction) = written.split_once('.').unwrap_or((&written, ""));
    let whole: i128 = whole.parse().unwrap_or_default();
    let negative = x < 0.0 && written.bytes().any(|b| b.is_ascii_digit() && b != b'0');
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push_str(&grouped(whole, lang.thousands()));
    if !fraction.is_empty() {
        out.push(lang.decimal_mark());
        out.push_str(fraction);
    }
    out
}

/// A decimal written as text (`"1250.5"`, how volumes are stored) in `lang`'s way; other text
/// is given back as it is.
///
/// ```
/// use survey_schema::say::{Lang, decimal_text};
/// assert_eq!(decimal_text("1250.5", Lang::Id), "1.250,5");
/// assert_eq!(decimal_text("1250.5", Lang::En), "1,250.5");
/// assert_eq!(decimal_text("-3", Lang::Id), "-3");
/// ```
pub fn decimal_text(text: &str, lang: Lang) -> String {
    let (sign, digits) = text.strip_prefix('-').map_or(("", text), |d| ("-", d));
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let Ok(whole) = whole.parse::<i128>() else {
        return text.to_owned();
    };
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return text.to_owned();
    }
    let mut out = format!("{sign}{}", grouped(whole, lang.thousands()));
    if !fraction.is_empty() {
        out.push(lang.decimal_mark());
        out.push_str(fraction);
    }
    out
}

/// Whole rupiah, as both languages write them in Indonesia: `Rp 1.250.000`.
///
/// ```
/// use survey_schema::say::rupiah;
/// assert_eq!(rupiah(1_250_000), "Rp 1.250.000");
/// ```
pub fn rupiah(amount: i64) -> String {
    format!("Rp {}", grouped(i128::from(amount), '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_that_rounds_to_zero_has_no_minus_sign() {
        assert_eq!(decimal(-0.04, 1, Lang::Id), "0,0");
        assert_eq!(decimal(-0.4, 0, Lang::En), "0");
    }

    #[test]
    fn large_numbers_keep_every_digit() {
        assert_eq!(decimal(1_234_567_890.0, 0, Lang::En), "1,234,567,890");
    }
}
