//! What a person reads: Indonesian by default, English by a switch; money as `Rp 1.250.000`, dates
//! and times in WIB.

use chrono::{DateTime, FixedOffset, Utc};
use rust_decimal::Decimal;

/// The page's language.
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

    pub fn code(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::En => "en",
        }
    }

    /// The Indonesian or the English text.
    pub fn t<'a>(self, id: &'a str, en: &'a str) -> &'a str {
        match self {
            Self::Id => id,
            Self::En => en,
        }
    }
}

/// Rupiah with dots between thousands: `Rp 1.250.000` (negative: `-Rp 5.000`).
///
/// ```
/// # use tinjau_http::web::i18n::rupiah;
/// assert_eq!(rupiah(1_250_000), "Rp 1.250.000");
/// assert_eq!(rupiah(0), "Rp 0");
/// assert_eq!(rupiah(-5_000), "-Rp 5.000");
/// ```
pub fn rupiah(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(c);
    }
    if amount < 0 {
        format!("-Rp {grouped}")
    } else {
        format!("Rp {grouped}")
    }
}

/// A decimal the Indonesian way: a comma before the fraction (`120,5`), dots between thousands.
///
/// ```
/// # use tinjau_http::web::i18n::number;
/// # use rust_decimal::Decimal;
/// assert_eq!(number(Decimal::new(12505, 1)), "1.250,5");
/// assert_eq!(number(Decimal::new(200, 0)), "200");
/// ```
pub fn number(value: Decimal) -> String {
    let text = value.normalize().to_string();
    let (sign, text) = text
        .strip_prefix('-')
        .map_or(("", text.as_str()), |t| ("-", t));
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let mut out = String::from(sign);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    if !fraction.is_empty() {
        out.push(',');
        out.push_str(fraction);
    }
    out
}

/// Western Indonesian Time, UTC+7 (a valid offset: the fallback is never taken).
fn wib() -> FixedOffset {
    use chrono::Offset as _;
    FixedOffset::east_opt(7 * 3600).unwrap_or_else(|| Utc.fix())
}

/// `03-12-2026 15:10 WIB`.
///
/// ```
/// # use tinjau_http::web::i18n::wib_time;
/// let at = "2026-12-03T08:10:00Z".parse().unwrap();
/// assert_eq!(wib_time(at), "03-12-2026 15:10 WIB");
/// ```
pub fn wib_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&wib())
        .format("%d-%m-%Y %H:%M WIB")
        .to_string()
}
