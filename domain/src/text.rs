//! Free text a person writes into a decision, a reason or a desk note: refused when it could not
//! have been meant.

use survey_schema::text::{TextKind, check};

use crate::messages::Message;
use crate::refusal::Refusal;

/// The longest note kept.
pub const MAX_NOTE_CHARS: usize = 2000;

/// Refuses text a person could not have meant: control characters (NUL is refused by PostgreSQL
/// too) other than line breaks and tabs, or more than `max` characters.
pub fn check_text(field: &str, value: &str, max: usize) -> Result<(), Refusal> {
    if value.chars().count() > max {
        return Err(Message::TextTooLong {
            field: field.to_owned(),
            max,
        }
        .into());
    }
    if let Err(found) = check(value, TextKind::Note) {
        return Err(Message::InvalidText {
            field: field.to_owned(),
            found,
        }
        .into());
    }
    Ok(())
}
