//! What a person reads: Indonesian by default, English by a switch; money as `Rp 1.250.000`, dates
//! and times in WIB.

use chrono::{DateTime, FixedOffset, Utc};
use rust_decimal::Decimal;
use survey_schema::say;

/// The page's language (the one enum every text in Tinjau is written for).
pub use survey_schema::say::Lang;

/// Rupiah with dots between thousands: `Rp 1.250.000` (negative: `-Rp 5.000`).
///
/// ```
/// # use tinjau_http::web::i18n::rupiah;
/// assert_eq!(rupiah(1_250_000), "Rp 1.250.000");
/// assert_eq!(rupiah(0), "Rp 0");
/// assert_eq!(rupiah(-5_000), "-Rp 5.000");
/// ```
pub fn rupiah(amount: i64) -> String {
    let written = say::rupiah(amount.saturating_abs());
    if amount < 0 {
        format!("-{written}")
    } else {
        written
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
/// A count, its thousands grouped as the pages group every number (`1.934`).
pub fn count(n: impl Into<Decimal>) -> String {
    number(n.into())
}

pub fn number(value: Decimal) -> String {
    say::decimal_text(&value.normalize().to_string(), Lang::Id)
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
