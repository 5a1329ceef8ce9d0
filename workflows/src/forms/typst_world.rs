//! Renders a Typst template to PDF bytes, fully offline (typst + typst-pdf, pinned).
//!
//! The template is served as `/main.typ`, the data as `/data.json`
//! (read from the template with `json("data.json")`). Fonts are compiled
//! into the binary; nothing is read from disk or the network at run time.

use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

use typst::diag::{FileError, FileResult, Severity, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, Lines, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_layout::PagedDocument;
use typst_pdf::PdfOptions;

/// Fonts embedded in the binary (DejaVu Sans, `server/fonts/LICENSE`): Indonesian text renders
/// without any font on the machine.
const FONT_FILES: [&[u8]; 2] = [
    include_bytes!("../../fonts/DejaVuSans.ttf"),
    include_bytes!("../../fonts/DejaVuSans-Bold.ttf"),
];

/// Hours east of UTC used for `datetime.today()` without an offset (WIB).
const LOCAL_UTC_OFFSET_HOURS: i64 = 7;

/// Parsed fonts and the font book, built once per process.
static FONTS: LazyLock<(LazyHash<FontBook>, Vec<Font>)> = LazyLock::new(|| {
    let fonts: Vec<Font> = FONT_FILES
        .iter()
        .flat_map(|data| Font::iter(Bytes::new(*data)))
        .collect();
    (LazyHash::new(FontBook::from_fonts(&fonts)), fonts)
});

/// The standard library, built once per process.
static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

/// A successful render.
#[derive(Debug)]
pub struct Rendered {
    /// The PDF file.
    pub pdf: Vec<u8>,
    /// Number of pages.
    pub pages: usize,
    /// Compiler warnings, formatted (empty for a clean template).
    pub warnings: Vec<String>,
}

/// Compile `main_source` (Typst markup) with `data_json` available as
/// `data.json`, and export it as PDF.
///
/// # Errors
/// Returns a readable, multi-line message listing every compile
/// diagnostic (with file, line and column) or the PDF export error.
/// A panic inside the compiler is caught and reported as an error too.
pub fn render(main_source: String, data_json: String) -> Result<Rendered, String> {
    let world = MemoryWorld::new(main_source, data_json)?;
    let result =
        catch_unwind(AssertUnwindSafe(|| compile_to_pdf(&world))).unwrap_or_else(|panic| {
            let msg = panic
                .downcast_ref::<&str>()
                .map(ToString::to_string)
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(format!("typst panicked: {msg}"))
        });
    // Typst memoises aggressively (comemo); drop cache entries that have
    // not been used for a few renders so a long-running server stays bounded.
    comemo::evict(10);
    result
}

fn compile_to_pdf(world: &MemoryWorld) -> Result<Rendered, String> {
    let warned = typst::compile::<PagedDocument>(world);
    let warnings: Vec<String> = warned
        .warnings
        .iter()
        .map(|d| format_diagnostic(world, d))
        .collect();
    let document = warned.output.map_err(|errors| {
        let mut out = String::from("typst compilation failed:\n");
        for diag in errors.iter().chain(warned.warnings.iter()) {
            out.push_str(&format_diagnostic(world, diag));
            out.push('\n');
        }
        out
    })?;
    let pdf = typst_pdf::pdf(&document, &PdfOptions::default()).map_err(|errors| {
        let mut out = String::from("PDF export failed:\n");
        for diag in &errors {
            out.push_str(&format_diagnostic(world, diag));
            out.push('\n');
        }
        out
    })?;
    Ok(Rendered {
        pdf,
        pages: document.pages().len(),
        warnings,
    })
}

/// `error: message (main.typ:12:5)` plus hints and call trace.
fn format_diagnostic(world: &MemoryWorld, diag: &SourceDiagnostic) -> String {
    let level = match diag.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut out = format!("{level}: {}", diag.message);
    if let Some(loc) = world.locate(diag.span) {
        let _ = write!(out, " ({loc})");
    }
    for hint in &diag.hints {
        let _ = write!(out, "\n  hint: {}", hint.v);
    }
    for point in &diag.trace {
        let _ = write!(out, "\n  {}", point.v);
        if let Some(loc) = world.locate(point.span.into()) {
            let _ = write!(out, " ({loc})");
        }
    }
    out
}

/// In-memory world: one main file, one data file, embedded fonts.
struct MemoryWorld {
    main_id: FileId,
    main: Source,
    data_id: FileId,
    data: Bytes,
    data_lines: Lines<String>,
}

impl MemoryWorld {
    fn new(main_source: String, data_json: String) -> Result<Self, String> {
        let main_id = project_file("main.typ")?;
        let data_id = project_file("data.json")?;
        Ok(Self {
            main_id,
            main: Source::new(main_id, main_source),
            data_id,
            data: Bytes::new(data_json.clone().into_bytes()),
            data_lines: Lines::new(data_json),
        })
    }

    /// `file:line:col` (1-based) for a diagnostic span, if it has one.
    fn locate(&self, span: typst::syntax::DiagSpan) -> Option<String> {
        let id = span.id()?;
        let range = self.range(span)?;
        let lines = if id == self.main_id {
            self.main.lines()
        } else if id == self.data_id {
            &self.data_lines
        } else {
            return None;
        };
        let (line, col) = lines.byte_to_line_column(range.start)?;
        let name = id.vpath().get_without_slash();
        Some(format!("{name}:{}:{}", line + 1, col + 1))
    }
}

fn project_file(path: &str) -> Result<FileId, String> {
    let vpath = VirtualPath::new(path).map_err(|e| format!("bad virtual path {path}: {e:?}"))?;
    Ok(RootedPath::new(VirtualRoot::Project, vpath).intern())
}

impl World for MemoryWorld {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.0
    }

    fn main(&self) -> FileId {
        self.main_id
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main_id {
            Ok(self.main.clone())
        } else if id == self.data_id {
            Err(FileError::NotSource)
        } else {
            Err(not_found(id))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main_id {
            Ok(Bytes::from_string(self.main.clone()))
        } else if id == self.data_id {
            Ok(self.data.clone())
        } else {
            Err(not_found(id))
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        FONTS.1.get(index).cloned()
    }

    fn today(&self, offset: Option<Duration>) -> Option<Datetime> {
        let secs =
            i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs()).ok()?;
        let offset_secs = offset.map_or(LOCAL_UTC_OFFSET_HOURS * 3600, |d| {
            #[allow(clippy::cast_possible_truncation)]
            let s = d.seconds() as i64;
            s
        });
        let (y, m, d) = civil_from_days((secs + offset_secs).div_euclid(86_400));
        Datetime::from_ymd(y, m, d)
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.vpath().get_without_slash().into())
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian
/// (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i32, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        i32::try_from(year).unwrap_or(i32::MAX),
        u8::try_from(month).unwrap_or(1),
        u8::try_from(day).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_494), (2026, 2, 10));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn compile_error_is_readable() {
        let err = render("#let x = \n#foo(".into(), "{}".into()).unwrap_err();
        assert!(err.contains("main.typ:"), "{err}");
    }

    #[test]
    fn reads_data_json() {
        let out = render(
            "#let d = json(\"data.json\")\n#set text(font: \"DejaVu Sans\")\n#d.name".into(),
            r#"{"name": "Kecamatan Menteng"}"#.into(),
        )
        .unwrap();
        assert!(out.pdf.starts_with(b"%PDF"));
        assert_eq!(out.pages, 1);
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    }
}
