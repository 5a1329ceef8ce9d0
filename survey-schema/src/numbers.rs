//! Money and quantities as Indonesian documents write them: `Rp 1.250.000,00`, `1.250,5`, `125 m2`.
//!
//! The rule, documented once: a comma is the decimal separator and a dot groups thousands, as in
//! Indonesian; when both appear, whichever comes last is the decimal separator (so English
//! `1,250,000.50` also reads right); several dots or several commas are thousands groups; a single
//! dot followed by exactly three digits groups thousands (`1.250` is one thousand two hundred and
//! fifty), any other single dot is a decimal point (`12.5`).

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Why a number could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("'{0}' is not a number")]
    NotANumber(String),
    #[error("'{0}' is negative")]
    Negative(String),
    #[error("'{0}' has sen (a fraction of a rupiah); amounts are whole rupiah")]
    FractionalRupiah(String),
    #[error("'{0}' is too large")]
    TooLarge(String),
}

/// Parses an Indonesian- (or English-) formatted decimal number, see the module docs.
///
/// ```
/// use survey_schema::numbers::parse_decimal;
/// assert_eq!(parse_decimal("1.250,5").unwrap().to_string(), "1250.5");
/// assert_eq!(parse_decimal("1.250.000,00").unwrap().to_string(), "1250000.00");
/// assert_eq!(parse_decimal("12.5").unwrap().to_string(), "12.5");
/// assert_eq!(parse_decimal("1,250,000.50").unwrap().to_string(), "1250000.50");
/// ```
pub fn parse_decimal(input: &str) -> Result<Decimal, NumberError> {
    let not_a_number = || NumberError::NotANumber(clip(input));
    let cleaned: String = input
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\'')
        .collect();
    if cleaned.is_empty() {
        return Err(not_a_number());
    }
    let (negative, digits) = match cleaned.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, cleaned.as_str()),
    };
    if !digits
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        || !digits.starts_with(|c: char| c.is_ascii_digit())
    {
        return Err(not_a_number());
    }
    let dots = digits.matches('.').count();
    let commas = digits.matches(',').count();
    let decimal_separator = match (dots, commas) {
        (0, 0) => None,
        (_, 0) if dots > 1 => None,
        (1, 0) => {
            let after = digits.len() - digits.rfind('.').map_or(0, |i| i + 1);
            if after == 3 { None } else { Some('.') }
        }
        (0, 1) => Some(','),
        (0, _) => None,
        _ => {
            let last_dot = digits.rfind('.');
            let last_comma = digits.rfind(',');
            if last_comma > last_dot {
                Some(',')
            } else {
                Some('.')
            }
        }
    };
    let mut normalised = String::with_capacity(digits.len());
    for (i, c) in digits.char_indices() {
        match c {
            '0'..='9' => normalised.push(c),
            c if Some(c) == decimal_separator && digits.rfind(c) == Some(i) => normalised.push('.'),
            _ => {}
        }
    }
    // Thousands groups must be three digits; "1.25.0" is not a number.
    let integer_part = match decimal_separator {
        Some(sep) => &digits[..digits.rfind(sep).unwrap_or(digits.len())],
        None => digits,
    };
    let groups: Vec<&str> = integer_part.split(['.', ',']).collect();
    if groups.len() > 1 && groups[1..].iter().any(|g| g.len() != 3) {
        return Err(not_a_number());
    }
    let value = Decimal::from_str(&normalised).map_err(|_| not_a_number())?;
    if negative && !value.is_zero() {
        return Err(NumberError::Negative(clip(input)));
    }
    Ok(value)
}

fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

/// An amount of money as written, sen allowed: `Rp 1.250,50`, `IDR 75.000`, `Rp. 2.500.000,-`.
pub fn parse_money(input: &str) -> Result<Decimal, NumberError> {
    let trimmed = input.trim();
    let lower = trimmed.to_ascii_lowercase();
    let without_currency = ["rp.", "rp", "idr"]
        .iter()
        .find_map(|prefix| lower.starts_with(prefix).then(|| &trimmed[prefix.len()..]))
        .unwrap_or(trimmed);
    let without_suffix = without_currency
        .trim()
        .trim_end_matches(",-")
        .trim_end_matches(".-");
    parse_decimal(without_suffix).map_err(|e| match e {
        NumberError::NotANumber(_) => NumberError::NotANumber(clip(input)),
        other => other,
    })
}

/// An amount of money in whole rupiah.
///
/// ```
/// use survey_schema::Rupiah;
/// assert_eq!(Rupiah::parse("Rp 1.250.000,00").unwrap().get(), 1_250_000);
/// assert_eq!(Rupiah::parse("IDR 75.000").unwrap().get(), 75_000);
/// assert!(Rupiah::parse("Rp 1.250,50").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rupiah(i64);

impl Rupiah {
    /// Parses `Rp 1.250.000`, `Rp1.250.000,00`, `1250000`, `IDR 1,250,000.00`.
    pub fn parse(input: &str) -> Result<Self, NumberError> {
        let value = parse_money(input)?;
        if !value.fract().is_zero() {
            return Err(NumberError::FractionalRupiah(clip(input)));
        }
        i64::try_from(value)
            .map(Self)
            .map_err(|_| NumberError::TooLarge(clip(input)))
    }

    /// From a whole number of rupiah; `None` when negative.
    pub fn new(amount: i64) -> Option<Self> {
        (amount >= 0).then_some(Self(amount))
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Rupiah {
    /// `Rp 1.250.000`, the Indonesian way.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::say::rupiah(self.0))
    }
}

/// A quantity written with its unit in one cell, e.g. `125 m2`: the number and the unit text.
///
/// ```
/// use survey_schema::numbers::split_quantity;
/// let (n, unit) = split_quantity("1.250,5 M2").unwrap();
/// assert_eq!((n.to_string().as_str(), unit), ("1250.5", "M2"));
/// assert_eq!(split_quantity("40").unwrap().1, "");
/// ```
pub fn split_quantity(input: &str) -> Result<(Decimal, &str), NumberError> {
    let trimmed = input.trim();
    let end = trimmed
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || matches!(c, '.' | ',' | ' ' | '\u{a0}')))
        .map_or(trimmed.len(), |(i, _)| i);
    let number =
        parse_decimal(&trimmed[..end]).map_err(|_| NumberError::NotANumber(clip(input)))?;
    Ok((number, trimmed[end..].trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> String {
        parse_decimal(s).map_or_else(|e| format!("err: {e}"), |v| v.normalize().to_string())
    }

    #[test]
    fn reads_indonesian_and_english_numbers() {
        for (input, want) in [
            ("1.250,5", "1250.5"),
            ("1250,5", "1250.5"),
            ("1.250", "1250"),
            ("12.5", "12.5"),
            ("12.50", "12.5"),
            ("1.250.000", "1250000"),
            ("1,250,000", "1250000"),
            ("1,250,000.75", "1250000.75"),
            ("1.250.000,75", "1250000.75"),
            (" 40 ", "40"),
            ("0,75", "0.75"),
            ("1 250 000", "1250000"),
        ] {
            assert_eq!(d(input), want, "{input}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_number() {
        for input in ["", "abc", "1.25.0", "1,2,3", "12a", ".5", "1..2", "Rp"] {
            assert!(parse_decimal(input).is_err(), "{input:?} should be refused");
        }
        assert_eq!(parse_decimal("-5"), Err(NumberError::Negative("-5".into())));
    }

    #[test]
    fn rupiah_are_whole_and_print_the_indonesian_way() {
        assert_eq!(Rupiah::parse("Rp. 2.500.000,-").unwrap().get(), 2_500_000);
        assert_eq!(Rupiah::parse("rp 15000").unwrap().get(), 15_000);
        assert!(matches!(
            Rupiah::parse("Rp 10,5"),
            Err(NumberError::FractionalRupiah(_))
        ));
        assert!(matches!(
            Rupiah::parse("Rp -10"),
            Err(NumberError::Negative(_))
        ));
        assert_eq!(Rupiah::new(1_250_000).unwrap().to_string(), "Rp 1.250.000");
        assert_eq!(Rupiah::new(950).unwrap().to_string(), "Rp 950");
    }
}
