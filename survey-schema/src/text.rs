//! Text as people type it, and the one check every adapter runs before text is stored: no control
//! characters. NUL is refused by PostgreSQL itself (so a record holding one could never be stored,
//! and a phone retrying it would loop forever); the others are never typed by a person and only
//! garble the forms printed from the text.

/// Which characters a piece of text may hold besides the printable ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// Several lines: a note, a reason, a problem statement. Line breaks and tabs are allowed.
    Note,
    /// One line: a name, a unit, a search filter. No control character at all.
    Line,
    /// A cell of an imported file: like a note, but C1 controls (U+0080 to U+009F) pass. Files
    /// exported through a legacy encoding carry them as debris of a quotation mark (the real SSH
    /// 2023 of Pangandaran has `1,7"\u{9d}`); PostgreSQL stores them, and refusing an official price
    /// standard for one would help no one. NUL and the C0 controls are refused as everywhere.
    Cell,
}

/// The first control character `kind` does not allow, with its position in characters (from 0).
///
/// ```
/// use survey_schema::text::{TextKind, control_character};
/// assert_eq!(control_character("jalan\u{0}rusak", TextKind::Note), Some((5, '\u{0}')));
/// assert_eq!(control_character("baris satu\nbaris dua", TextKind::Note), None);
/// assert_eq!(control_character("baris satu\nbaris dua", TextKind::Line), Some((10, '\n')));
/// ```
pub fn control_character(text: &str, kind: TextKind) -> Option<(usize, char)> {
    text.chars().enumerate().find(|&(_, c)| {
        c.is_control()
            && !match kind {
                TextKind::Line => false,
                TextKind::Note => matches!(c, '\n' | '\r' | '\t'),
                TextKind::Cell => matches!(c, '\n' | '\r' | '\t' | '\u{80}'..='\u{9f}'),
            }
    })
}

/// What is wrong with a text holding a control character, in English and Indonesian.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlCharacter {
    /// Position in characters, from 0.
    pub position: usize,
    pub character: char,
}

impl ControlCharacter {
    /// `contains the control character U+0000 at character 5`
    pub fn en(&self) -> String {
        format!(
            "contains the control character U+{:04X} at character {}",
            u32::from(self.character),
            self.position + 1
        )
    }

    /// `memuat karakter kendali U+0000 pada karakter ke-5`
    pub fn id(&self) -> String {
        format!(
            "memuat karakter kendali U+{:04X} pada karakter ke-{}",
            u32::from(self.character),
            self.position + 1
        )
    }
}

/// `Err` with the first control character `kind` does not allow.
pub fn check(text: &str, kind: TextKind) -> Result<(), ControlCharacter> {
    match control_character(text, kind) {
        Some((position, character)) => Err(ControlCharacter {
            position,
            character,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_c0_and_c1_control_and_del_is_refused_in_a_line() {
        for c in (0u32..0x20).chain(0x7f..0xa0).filter_map(char::from_u32) {
            assert!(check(&format!("a{c}b"), TextKind::Line).is_err(), "{c:?}");
        }
    }

    #[test]
    fn a_note_keeps_line_breaks_and_tabs_but_not_nul() {
        assert_eq!(check("a\r\nb\tc", TextKind::Note), Ok(()));
        let found = check("ab\u{0}", TextKind::Note).unwrap_err();
        assert_eq!(
            found.en(),
            "contains the control character U+0000 at character 3"
        );
        assert_eq!(
            found.id(),
            "memuat karakter kendali U+0000 pada karakter ke-3"
        );
    }

    #[test]
    fn an_imported_cell_keeps_c1_debris_but_not_c0() {
        assert_eq!(check("1,7\"\u{9d} Lensa", TextKind::Cell), Ok(()));
        assert!(check("1,7\"\u{9d} Lensa", TextKind::Note).is_err());
        assert!(check("a\u{0}", TextKind::Cell).is_err());
        assert!(check("a\u{1b}", TextKind::Cell).is_err());
    }

    #[test]
    fn indonesian_and_other_printable_text_passes() {
        assert_eq!(
            check("Jl. Kebon Sirih RT 003/RW 02 — ±120 m²", TextKind::Line),
            Ok(())
        );
    }
}
