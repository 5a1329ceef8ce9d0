//! The catalogue of what a request can be refused with: every refusal's stable code, its kind
//! (which decides the HTTP status and the CLI's wording) and its words in Indonesian and English,
//! in one place. A call site names a message and gives its values, typed; it writes no words, so
//! the two languages cannot drift apart between the API, OpenRosa and the pages, and a swapped
//! argument order does not compile. Numbers are written the Indonesian way in Indonesian
//! (`20.971.520 byte`) and the English way in English (`20,971,520 bytes`).

use survey_schema::text::ControlCharacter;
use survey_schema::{Role, WilayahKode};

use crate::kind::RefusalKind;

/// A value as each language writes it.
pub trait Say {
    /// In Indonesian.
    fn id(&self) -> String;
    /// In English.
    fn en(&self) -> String;
}

/// A value for the catalogue's own test: every message is written once with these.
pub trait Example {
    fn example() -> Self;
}

pub use survey_schema::say::grouped;

/// Numbers that name something (an id, a year, a version, an offset a client sends back) are
/// written as they are: `2026`, not `2.026`.
macro_rules! say_number {
    ($($t:ty),*) => {$(
        impl Say for $t {
            fn id(&self) -> String {
                self.to_string()
            }
            fn en(&self) -> String {
                self.to_string()
            }
        }
        impl Example for $t {
            fn example() -> Self {
                1_234
            }
        }
    )*};
}
say_number!(i32, i64, u32, u64, usize);

/// A quantity (bytes, a size): grouped by threes the way each language writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count(pub u64);

impl Say for Count {
    fn id(&self) -> String {
        grouped(i128::from(self.0), '.')
    }
    fn en(&self) -> String {
        grouped(i128::from(self.0), ',')
    }
}

impl Example for Count {
    fn example() -> Self {
        Self(20_971_520)
    }
}

/// A value written alike in both languages (a code, a name, a file name, an id).
macro_rules! say_as_written {
    ($($t:ty => $example:expr),*) => {$(
        impl Say for $t {
            fn id(&self) -> String {
                self.to_string()
            }
            fn en(&self) -> String {
                self.to_string()
            }
        }
        impl Example for $t {
            fn example() -> Self {
                $example
            }
        }
    )*};
}
say_as_written!(
    String => "contoh".to_owned(),
    &'static str => "contoh",
    WilayahKode => WilayahKode::parse("31.71.01.1001").unwrap_or_else(|_| unreachable!()),
    Role => Role::Surveyor
);

impl Say for ControlCharacter {
    fn id(&self) -> String {
        ControlCharacter::id(self)
    }
    fn en(&self) -> String {
        ControlCharacter::en(self)
    }
}

impl Example for ControlCharacter {
    fn example() -> Self {
        Self {
            position: 4,
            character: '\0',
        }
    }
}

/// The roles an action needs: `camat or admin` / `camat atau admin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roles(pub Vec<Role>);

impl Say for Roles {
    fn id(&self) -> String {
        self.joined(" atau ")
    }
    fn en(&self) -> String {
        self.joined(" or ")
    }
}

impl Roles {
    fn joined(&self, word: &str) -> String {
        self.0
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(word)
    }
}

impl Example for Roles {
    fn example() -> Self {
        Self(vec![Role::Camat, Role::Admin])
    }
}

/// A text each language words its own way, given by the caller (what a library said, a list of
/// problems written for both): the catalogue does not translate it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Both {
    pub id: String,
    pub en: String,
}

impl Both {
    /// The same text for both (a library's message, which exists only in English).
    pub fn same(text: impl Into<String>) -> Self {
        let text = text.into();
        Self {
            id: text.clone(),
            en: text,
        }
    }
}

impl Say for Both {
    fn id(&self) -> String {
        self.id.clone()
    }
    fn en(&self) -> String {
        self.en.clone()
    }
}

impl Example for Both {
    fn example() -> Self {
        Self {
            id: "contoh".into(),
            en: "example".into(),
        }
    }
}

macro_rules! catalogue {
    ($(
        $(#[$doc:meta])*
        $name:ident { $($field:ident : $ty:ty),* $(,)? } => $kind:ident, $code:literal,
            id: $id:literal,
            en: $en:literal;
    )*) => {
        /// Everything a request can be refused with.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Message {
            $( $(#[$doc])* $name { $($field: $ty),* } ),*
        }

        impl Message {
            /// The stable code a program acts on (several messages may share one).
            pub fn code(&self) -> &'static str {
                match self { $( Self::$name { .. } => $code ),* }
            }

            /// What kind of refusal this is.
            pub fn kind(&self) -> RefusalKind {
                match self { $( Self::$name { .. } => RefusalKind::$kind ),* }
            }

            /// The words in Indonesian.
            #[allow(unused_variables, clippy::useless_format)]
            pub fn id(&self) -> String {
                match self {
                    $( Self::$name { $($field),* } => { $( let $field = Say::id($field); )* format!($id) } ),*
                }
            }

            /// The words in English.
            #[allow(unused_variables, clippy::useless_format)]
            pub fn en(&self) -> String {
                match self {
                    $( Self::$name { $($field),* } => { $( let $field = Say::en($field); )* format!($en) } ),*
                }
            }

            /// One of each message, written with example values: for the catalogue's test and for
            /// listing the codes in the OpenAPI document.
            pub fn examples() -> Vec<Self> {
                vec![ $( Self::$name { $($field: Example::example()),* } ),* ]
            }
        }
    };
}

catalogue! {
    // --- Who is calling -------------------------------------------------------------------
    /// No token, or one that is not (or no longer) valid.
    Unauthorized {} => Unauthorized, "unauthorized",
        id: "Diperlukan token yang sah (Authorization: Bearer ...).",
        en: "A valid token is required (Authorization: Bearer ...).";
    /// The caller's role may not do this.
    RoleRequired { needed: Roles, role: Role } => Forbidden, "forbidden",
        id: "Tindakan ini memerlukan peran {needed}; peran Anda {role}.",
        en: "This needs the role {needed}; you are {role}.";
    /// An area outside the caller's scope.
    OutOfScope { kode: WilayahKode } => Forbidden, "out_of_scope",
        id: "{kode} berada di luar wilayah akun Anda.",
        en: "{kode} is outside the area your account covers.";
    /// A survey outside the caller's scope, read or written: it names no place.
    SurveyOutOfScope { survey: String } => Forbidden, "out_of_scope",
        id: "Survei {survey} berada di luar wilayah akun Anda.",
        en: "Survey {survey} is outside the area your account covers.";
    /// An OpenRosa key of an account that is not a surveyor's.
    SurveyorsOnly { role: Role } => Forbidden, "surveyors_only",
        id: "ODK Collect hanya untuk akun surveyor; kunci ini milik akun {role}.",
        en: "ODK Collect is for surveyor accounts; this key is of a {role}.";
    WrongPassword {} => Forbidden, "wrong_password",
        id: "Nama atau kata sandi salah.",
        en: "Wrong name or password.";
    LockedOut { seconds: i64 } => TooManyRequests, "locked_out",
        id: "Terlalu banyak kata sandi salah; coba lagi dalam {seconds} detik.",
        en: "Too many wrong passwords; try again in {seconds} s.";
    /// A page's form without this session's CSRF token.
    Csrf {} => Forbidden, "csrf",
        id: "Formulir ini bukan dari sesi ini (token CSRF tidak ada atau lama); buka lagi halamannya.",
        en: "This form is not from this session (a missing or old CSRF token); open the page again.";

    // --- What a request carries ---------------------------------------------------------------
    TextTooLong { field: String, max: usize } => Unprocessable, "text_too_long",
        id: "{field} lebih dari {max} karakter.",
        en: "{field} has more than {max} characters.";
    InvalidText { field: String, found: ControlCharacter } => Unprocessable, "invalid_text",
        id: "{field} {found}.",
        en: "{field} {found}.";
    InvalidQuery { detail: String } => BadRequest, "invalid_query",
        id: "Parameter query tidak valid: {detail}",
        en: "Invalid query parameters: {detail}";
    MalformedJson { detail: String } => BadRequest, "malformed_json",
        id: "Isi permintaan bukan JSON yang sah: {detail}",
        en: "The body is not valid JSON: {detail}";
    JsonContentType {} => UnsupportedMediaType, "unsupported_media_type",
        id: "Kirim isi permintaan dengan Content-Type: application/json.",
        en: "Send the body as Content-Type: application/json.";
    BodyTooLarge {} => TooLarge, "too_large",
        id: "Isi permintaan terlalu besar.",
        en: "The body is too large.";
    UnreadableBody { detail: String } => BadRequest, "bad_body",
        id: "Isi permintaan tidak dapat dibaca: {detail}",
        en: "The body could not be read: {detail}";
    InvalidBody { detail: String } => Unprocessable, "invalid_body",
        id: "Isi permintaan tidak sesuai dengan kolom yang diharapkan: {detail}",
        en: "The body does not match the expected fields: {detail}";
    InvalidContentLength {} => BadRequest, "invalid_content_length",
        id: "Content-Length bukan jumlah byte.",
        en: "Content-Length is not a number of bytes.";
    /// A body announced larger than the endpoint takes, refused before it is read.
    DeclaredTooLarge { declared: Count, limit: Count, note: Both } => TooLarge, "too_large",
        id: "Isi permintaan {declared} byte; endpoint ini menerima paling banyak {limit}{note}.",
        en: "The body would be {declared} bytes; this endpoint takes at most {limit}{note}.";
    ImportFileTooLarge {} => TooLarge, "too_large",
        id: "Berkas lebih besar dari 20 MB.",
        en: "The file is larger than 20 MB.";
    Timeout { seconds: u64 } => RequestTimeout, "timeout",
        id: "Permintaan melebihi {seconds} detik.",
        en: "The request took longer than {seconds} s.";
    NoSuchEndpoint {} => NotFound, "not_found",
        id: "Endpoint tidak ditemukan.",
        en: "No such endpoint.";
    NoSuchOpenRosaEndpoint {} => NotFound, "not_found",
        id: "Alamat OpenRosa tidak dikenal.",
        en: "No such OpenRosa endpoint.";
    MethodNotAllowed {} => MethodNotAllowed, "method_not_allowed",
        id: "Metode ini tidak diizinkan untuk endpoint ini.",
        en: "This method is not allowed on this endpoint.";
    /// A code that is not a Kemendagri area code, in a named field.
    InvalidKode { field: String, detail: String } => BadRequest, "invalid_kode",
        id: "{field}: bukan kode wilayah Kemendagri (PP, PP.KK, PP.KK.CC atau PP.KK.CC.VVVV, angka saja): {detail}.",
        en: "{field}: {detail}.";
    /// A code of another level than the one asked for.
    WrongLevel { kode: WilayahKode, level: String, wanted: String, pattern: &'static str } => BadRequest, "invalid_kode",
        id: "{kode} bukan kode {wanted} ({pattern}), melainkan kode {level}.",
        en: "{kode} is a {level} code, not a {wanted} code ({pattern}).";
    InvalidId { what_id: &'static str, what_en: &'static str, raw: String } => BadRequest, "invalid_id",
        id: "'{raw}' bukan id {what_id}.",
        en: "'{raw}' is not a {what_en} id.";
    InvalidUuid { raw: String } => BadRequest, "invalid_id",
        id: "'{raw}' bukan UUID.",
        en: "'{raw}' is not a UUID.";
    InvalidSha256 {} => BadRequest, "invalid_sha256",
        id: "Foto dinamai dengan SHA-256-nya: 64 digit heksadesimal.",
        en: "The photo is named by its SHA-256: 64 hex digits.";
    InvalidCursor {} => BadRequest, "invalid_cursor",
        id: "Kursor tidak dikenali.",
        en: "The cursor is not one this server gave.";
    InvalidSort { sort: String } => BadRequest, "invalid_sort",
        id: "Urutan '{sort}' tidak dikenal: gunakan severity, anggaran, unit_cost atau id.",
        en: "sort '{sort}' is not one of severity, anggaran, unit_cost, id.";
    InvalidPage { max: i64 } => BadRequest, "invalid_page",
        id: "page harus 1 atau lebih dan per_page 1..={max}.",
        en: "page must be 1 or more and per_page 1..={max}.";
    InvalidFilter { detail: Both } => BadRequest, "invalid_filter",
        id: "{detail}",
        en: "{detail}";
    InvalidPoint { detail: String } => BadRequest, "invalid_point",
        id: "Posisi tidak valid: lintang harus -90..90 dan bujur -180..180 ({detail}).",
        en: "Invalid position: {detail}.";
    InvalidAccuracy { given: String } => BadRequest, "invalid_accuracy",
        id: "Akurasi {given} m harus berupa angka meter, 0 atau lebih.",
        en: "Accuracy {given} m must be a number of metres, 0 or more.";
    InvalidDistance { max: String } => BadRequest, "invalid_distance",
        id: "max_distance_m harus antara 0 dan {max} meter.",
        en: "max_distance_m must be between 0 and {max} metres.";
    InvalidSeverity { given: String } => BadRequest, "invalid_severity",
        id: "severity '{given}' tidak dikenal: gunakan high, warning, info atau none.",
        en: "severity '{given}' is not one of high, warning, info, none.";
    InvalidDecisionFilter { given: String } => BadRequest, "invalid_decision",
        id: "decision '{given}' tidak dikenal: gunakan undecided, approved, corrected atau rejected.",
        en: "decision '{given}' is not one of undecided, approved, corrected, rejected.";
    /// A page's form field that does not hold.
    InvalidForm { detail: Both } => Unprocessable, "invalid_form",
        id: "{detail}",
        en: "{detail}";
    NotConfirmed {} => Unprocessable, "not_confirmed",
        id: "Centang konfirmasi dulu.",
        en: "Confirm first.";

    // --- What is not there ----------------------------------------------------------------
    AreaNotFound { kode: WilayahKode } => NotFound, "not_found",
        id: "Wilayah dengan kode {kode} tidak ditemukan.",
        en: "No area with code {kode}.";
    KecamatanNotFound { kode: WilayahKode } => NotFound, "not_found",
        id: "Kecamatan {kode} tidak ditemukan.",
        en: "No kecamatan {kode}.";
    KelurahanNotFound { kode: WilayahKode } => NotFound, "not_found",
        id: "Kelurahan {kode} tidak ditemukan.",
        en: "No kelurahan {kode}.";
    NoBoundary { kode: WilayahKode } => Unprocessable, "unknown_kelurahan",
        id: "Kelurahan {kode} belum memiliki batas wilayah yang diimpor.",
        en: "Kelurahan {kode} has no imported boundary.";
    ProposalNotFound { id: i64 } => NotFound, "not_found",
        id: "Usulan {id} tidak ditemukan.",
        en: "No proposal {id}.";
    /// A proposal address that is not a proposal number.
    NoSuchProposal {} => NotFound, "not_found",
        id: "Usulan tidak ditemukan.",
        en: "No such proposal.";
    SurveyNotFound { survey: String } => NotFound, "not_found",
        id: "Survei {survey} tidak ditemukan.",
        en: "No survey {survey}.";
    FormNotFound { asked: String, there: String } => NotFound, "not_found",
        id: "Formulir '{asked}' tidak ada; yang tersedia: {there}.",
        en: "No form '{asked}'; there are {there}.";
    ExportNotFound { asked: String } => NotFound, "unknown_format",
        id: "Ekspor '{asked}' tidak ada; yang tersedia xlsx dan csv.",
        en: "No export '{asked}'; there are xlsx and csv.";
    AgencyNotFound { kode: String } => NotFound, "unknown_opd",
        id: "Tidak ada OPD '{kode}' dalam daftar.",
        en: "No agency '{kode}' in the register.";
    AccountNotFound { id: i64 } => NotFound, "not_found",
        id: "Akun {id} tidak ditemukan.",
        en: "No account {id}.";
    AuditEntryNotFound { seq: i64 } => NotFound, "not_found",
        id: "Tidak ada catatan audit #{seq}.",
        en: "No audit entry #{seq}.";
    AuditEntryPending { seq: i64 } => Conflict, "audit_pending",
        id: "Catatan audit #{seq} belum masuk ke pohon log; coba lagi sebentar lagi (paling lama sekitar satu detik).",
        en: "Audit entry #{seq} is not in the log's tree yet; try again in a moment (about a second at most).";
    AuditLogEmpty {} => NotFound, "not_found",
        id: "Log audit belum memiliki kepala pohon.",
        en: "The audit log has no tree head yet.";
    AuditTreeSize { asked: i64, size: i64 } => Unprocessable, "invalid_tree_size",
        id: "Tidak ada kepala pohon log berukuran {asked}; ukuran terbaru {size}.",
        en: "No tree head of size {asked}; the latest is of size {size}.";

    // --- Accounts ----------------------------------------------------------------------------
    AccountScope { role: Role, needs: Both } => Unprocessable, "invalid_scope",
        id: "Akun {role} memerlukan {needs}.",
        en: "A {role} account needs {needs}.";
    AccountExists { name: String } => Conflict, "account_exists",
        id: "Sudah ada akun bernama '{name}'.",
        en: "An account named '{name}' exists already.";
    InvalidAccountName { name: String } => Unprocessable, "invalid_name",
        id: "'{name}' bukan nama login yang sah: huruf, angka dan . _ @ -, 2 sampai 64 karakter.",
        en: "'{name}' is not a valid login name: letters, digits and . _ @ -, 2 to 64 characters.";
    AreaNotInCodeList { kode: String } => Unprocessable, "unknown_wilayah",
        id: "Wilayah {kode} tidak ada dalam daftar kode.",
        en: "Area {kode} is not in the code list.";
    PasswordTooShort { min: usize } => Unprocessable, "password_too_short",
        id: "Kata sandi minimal {min} karakter.",
        en: "A password needs at least {min} characters.";
    AgencyForPlannersOnly {} => Unprocessable, "opd_for_planners",
        id: "OPD hanya untuk akun perencana (peran opd).",
        en: "An agency is for a planner's account (role opd) only.";
    CannotDisableSelf {} => Unprocessable, "cannot_disable_self",
        id: "Anda tidak dapat menonaktifkan akun Anda sendiri.",
        en: "You cannot disable your own account.";
    AccountDisabled { name: String } => Unprocessable, "account_disabled",
        id: "Akun {name} nonaktif: aktifkan dulu.",
        en: "Account {name} is disabled: enable it first.";
    OdkForSurveyorsOnly { role: Role } => Unprocessable, "odk_for_surveyors",
        id: "Kunci ODK Collect hanya untuk akun surveyor (kunci ikut dalam URL); akun ini {role}.",
        en: "ODK Collect keys are for surveyor accounts only (the key travels in URLs); this account is a {role}.";

    // --- Surveys and photos ----------------------------------------------------------------
    /// The survey's values that do not hold, listed.
    InvalidSurvey { problems: Both } => Unprocessable, "invalid_survey",
        id: "Survei tidak valid: {problems}.",
        en: "Invalid survey: {problems}.";
    CapturedInFuture {} => Unprocessable, "invalid_survey",
        id: "captured_at lebih dari sehari di masa depan: periksa jam ponsel.",
        en: "captured_at is more than a day in the future: check the phone's clock.";
    UnknownProposal { id: i64 } => Unprocessable, "unknown_proposal",
        id: "Usulan {id} tidak ada.",
        en: "There is no proposal {id}.";
    UnknownSupersedes { survey: String } => Unprocessable, "unknown_survey",
        id: "supersedes: survei {survey} tidak ada.",
        en: "supersedes: there is no survey {survey}.";
    SupersedesOtherProposal { survey: String, proposal: i64 } => Unprocessable, "invalid_survey",
        id: "supersedes: survei {survey} untuk usulan lain ({proposal}).",
        en: "supersedes: survey {survey} is of another proposal ({proposal}).";
    AlreadySuperseded { survey: String } => Conflict, "already_superseded",
        id: "Survei {survey} sudah dikoreksi oleh survei lain.",
        en: "Survey {survey} has already been corrected by another survey.";
    SurveyConflict { survey: String } => Conflict, "conflict",
        id: "Survei {survey} sudah ada dengan isi lain; koreksi dikirim sebagai survei baru yang menyebutnya di `supersedes`.",
        en: "Survey {survey} exists with another body; a correction is a new survey that names it in `supersedes`.";
    PhotoNotDeclared { survey: String, sha256: String } => NotFound, "not_found",
        id: "Survei {survey} tidak mencantumkan foto {sha256} (kirim survei dulu, dengan foto di daftarnya).",
        en: "Survey {survey} declares no photo {sha256} (send the survey first, with the photo in its manifest).";
    PhotoNotUploaded { survey: String, sha256: String } => NotFound, "not_uploaded",
        id: "Foto {sha256} belum diunggah ke survei {survey}.",
        en: "Photo {sha256} has not been uploaded to survey {survey} yet.";
    ThumbnailPending {} => NotFound, "thumbnail_pending",
        id: "Gambar kecil sedang dibuat; coba lagi sebentar lagi.",
        en: "The thumbnail is still being made; try again in a moment.";
    NoThumbnail {} => NotFound, "no_thumbnail",
        id: "Foto ini tidak memiliki gambar kecil.",
        en: "This photo has no thumbnail.";
    NotAnImage {} => UnsupportedMediaType, "not_an_image",
        id: "Berkas ini bukan JPEG, PNG, WebP atau HEIC.",
        en: "This is not a JPEG, PNG, WebP or HEIC file.";
    BodyLargerThanPhoto { length: Count, declared: Count } => TooLarge, "too_large",
        id: "Isi permintaan {length} byte; foto dicantumkan {declared} byte.",
        en: "The body is {length} bytes; the photo is declared as {declared}.";
    PhotoLargerThanDeclared { declared: Count } => TooLarge, "too_large",
        id: "Foto lebih besar dari {declared} byte yang dicantumkan (atau dari 20 MB).",
        en: "The photo is larger than the {declared} bytes declared (or than 20 MB).";
    PartBeyondDeclared { declared: Count } => TooLarge, "too_large",
        id: "Foto dicantumkan {declared} byte; kiriman ini melebihinya.",
        en: "The photo is declared as {declared} bytes; this goes beyond.";
    UploadTooSlow { seconds: u64, rate: Count } => RequestTimeout, "too_slow",
        id: "Unggahan tidak tiba dalam {seconds} detik (paling lambat {rate} byte/detik); kirim ulang, atau lanjutkan dengan tus.",
        en: "The upload did not arrive within {seconds} s (at least {rate} bytes/s); send it again, or resume it with tus.";
    UploadInterrupted {} => BadRequest, "interrupted",
        id: "Unggahan terputus; kirim ulang foto.",
        en: "The upload was interrupted; send the photo again.";
    UploadInProgress {} => Conflict, "upload_in_progress",
        id: "Unggahan lain untuk foto ini sedang berjalan; tanyakan offset dengan HEAD lalu coba lagi.",
        en: "Another upload of this photo is running; ask HEAD for the offset and try again.";
    OffsetMismatch { offset: u64 } => Conflict, "offset_mismatch",
        id: "Server memiliki {offset} byte; kirim Upload-Offset: {offset}.",
        en: "The server has {offset} bytes; send Upload-Offset: {offset}.";
    TusVersion {} => PreconditionFailed, "tus_version",
        id: "Kirim header Tus-Resumable: 1.0.0.",
        en: "Send Tus-Resumable: 1.0.0.";
    TusContentType {} => UnsupportedMediaType, "unsupported_media_type",
        id: "PATCH tus dikirim dengan Content-Type: application/offset+octet-stream.",
        en: "A tus PATCH is sent as Content-Type: application/offset+octet-stream.";
    SizeMismatch { received: Count, declared: Count } => Unprocessable, "size_mismatch",
        id: "Diterima {received} byte; daftar foto mencantumkan {declared} (unggahan terpotong?).",
        en: "Received {received} bytes; the manifest declares {declared} (a truncated upload?).";
    HashMismatch { digest: String, sha256: String } => Unprocessable, "hash_mismatch",
        id: "SHA-256 berkas adalah {digest}, bukan {sha256}.",
        en: "The bytes hash to {digest}, not {sha256}.";
    TypeMismatch { found: String, declared: String } => Unprocessable, "type_mismatch",
        id: "Berkas bertipe {found}, tetapi daftar foto menyebut {declared}.",
        en: "The file is {found}, but the manifest says {declared}.";
    Undecodable { detail: String } => Unprocessable, "undecodable",
        id: "Foto tidak dapat dibaca: {detail}.",
        en: "{detail}.";

    // --- OpenRosa submissions ----------------------------------------------------------------
    NotUtf8 {} => BadRequest, "malformed_xml",
        id: "Kiriman bukan teks UTF-8.",
        en: "The submission is not UTF-8 text.";
    DtdNotAllowed {} => BadRequest, "dtd_not_allowed",
        id: "Kiriman memuat DTD; formulir tidak pernah memakainya, jadi ditolak.",
        en: "The submission declares a DTD; forms never do, and it is refused.";
    MalformedXml { detail: String } => BadRequest, "malformed_xml",
        id: "Kiriman bukan XML yang benar: {detail}.",
        en: "The submission is not well-formed XML: {detail}.";
    MissingInstanceId {} => BadRequest, "missing_instance_id",
        id: "Kiriman tidak memiliki meta/instanceID.",
        en: "The submission has no meta/instanceID.";
    InvalidInstanceId { field: String, raw: String } => BadRequest, "invalid_instance_id",
        id: "meta/{field} bukan uuid: {raw}.",
        en: "meta/{field} is not a uuid: {raw}.";
    InvalidAttachmentName { field: String, name: String } => BadRequest, "invalid_attachment_name",
        id: "{field} menyebut berkas {name}; nama berkas tanpa folder.",
        en: "{field} names the file {name}; a file name has no path.";
    NoProposalNamed {} => Unprocessable, "invalid_survey",
        id: "Kiriman tidak menyebut usulan (pertanyaan `proposal`).",
        en: "The submission names no proposal (question `proposal`).";
    InvalidAnswer { field: String, problem: Both } => Unprocessable, "invalid_survey",
        id: "Survei tidak valid: {field} {problem}.",
        en: "Invalid survey: {field} {problem}.";
    UnknownForm { expected: &'static str, got: String } => Unprocessable, "unknown_form",
        id: "Server ini menerima formulir {expected}; kiriman ini {got}. Unduh formulir terbaru (Ambil formulir kosong).",
        en: "This server takes the form {expected}; this is {got}. Get the current form (Get blank form).";
    UnnamedAttachment { name: String } => BadRequest, "unnamed_attachment",
        id: "Bagian {name} bukan foto yang disebut formulir.",
        en: "The part {name} is not a photo the form names.";
    RepeatedAttachment { name: String } => BadRequest, "repeated_attachment",
        id: "Foto {name} terkirim dua kali dalam satu permintaan.",
        en: "The photo {name} is sent twice in one request.";
    OtherProject { proposal: i64, kelurahan: String, kecamatan: WilayahKode } => Unprocessable, "other_project",
        id: "Usulan {proposal} berada di {kelurahan}, bukan di kecamatan proyek ini ({kecamatan}).",
        en: "Proposal {proposal} is in {kelurahan}, not in this project's kecamatan {kecamatan}.";
    XmlConflict { instance: String } => Conflict, "xml_conflict",
        id: "Formulir lain sudah terkirim dengan instanceID {instance}. Formulir yang diedit dikirim dengan instanceID baru dan deprecatedID.",
        en: "A different form was already sent as {instance}. An edited form is sent with a new instanceID and deprecatedID.";

    InvalidDeviceKey {} => Forbidden, "invalid_token",
        id: "Kunci perangkat ini tidak sah atau sudah dicabut; minta kode pengaturan baru ke kecamatan.",
        en: "This device's key is not valid or has been revoked; ask the kecamatan for a new set-up code.";
    UnknownProject {} => NotFound, "unknown_project",
        id: "Proyek adalah kode kecamatan, misalnya 31.71.01.",
        en: "The project is a kecamatan code such as 31.71.01.";
    NoSuchBlankForm {} => NotFound, "unknown_form",
        id: "Formulir tidak ada; ambil daftar formulir lagi.",
        en: "No such form; get the form list again.";
    SubmissionTooLarge {} => TooLarge, "too_large",
        id: "Kiriman lebih besar dari yang diterima server dalam satu permintaan (foto paling besar 20 MB).",
        en: "The submission is larger than this server accepts in one request (a photo of at most 20 MB).";
    MalformedMultipart {} => BadRequest, "malformed_multipart",
        id: "Isi kiriman (multipart) rusak atau terputus; kirim ulang.",
        en: "The submission's multipart body is malformed or was cut off; send it again.";
    NotMultipart {} => BadRequest, "not_multipart",
        id: "Kiriman harus multipart/form-data dengan bagian xml_submission_file.",
        en: "A submission is multipart/form-data with the part xml_submission_file.";
    MissingXml {} => BadRequest, "missing_xml",
        id: "Kiriman tidak memiliki bagian xml_submission_file.",
        en: "The submission has no xml_submission_file part.";
    XmlTooLarge {} => TooLarge, "xml_too_large",
        id: "XML formulir lebih besar dari 1 MB.",
        en: "The form's XML is larger than 1 MB.";
    FieldTooLong {} => BadRequest, "unexpected_field",
        id: "Sebuah isian kiriman terlalu panjang.",
        en: "A form field of the submission is too long.";

    // --- Decisions and Kirim ------------------------------------------------------------------
    DecisionConflict { decision: String } => Conflict, "decision_conflict",
        id: "Keputusan {decision} sudah dibuat dengan isi lain; buat keputusan baru dengan UUID baru.",
        en: "Decision {decision} was already made with another content; make a new decision with a new UUID.";
    NotPhysical { id: i64 } => Unprocessable, "not_physical",
        id: "Usulan {id} bukan pekerjaan fisik yang dikenal katalog; tidak diputuskan dalam tinjauan ini.",
        en: "Proposal {id} is not physical work known to the catalogue; the review does not decide it.";
    VersionUnsaid { current: String } => PreconditionRequired, "if_match_required",
        id: "Kirim If-Match: {current} (versi yang Anda putuskan).",
        en: "Send If-Match: {current} (the version you decided on).";
    VersionUnnamed { current: String } => PreconditionRequired, "if_match_required",
        id: "If-Match harus menyebut versi yang Anda putuskan, misalnya {current}.",
        en: "If-Match must name the version you decided on, such as {current}.";
    StaleVersion { seen: i32, current: i32 } => PreconditionFailed, "stale_version",
        id: "Usulan telah berubah sejak Anda melihatnya (versi {seen}, kini {current}): periksa lagi sebelum memutuskan.",
        en: "The proposal changed since you saw it (version {seen}, now {current}): look at it again before deciding.";
    ListLocked { kecamatan: String, tahun: i32, sent_at: String } => Locked, "locked",
        id: "Daftar {tahun} kecamatan {kecamatan} sudah dikirim pada {sent_at}; daftar terkunci. Admin dapat membukanya kembali dengan alasan.",
        en: "Kecamatan {kecamatan} sent its {tahun} list (Kirim) on {sent_at}; it is locked. An admin can reopen it, with a reason.";
    ImportLocked { why: String } => Locked, "locked",
        id: "Berkas ditolak, tidak ada yang diimpor: berkas mengubah usulan kecamatan yang daftarnya sudah dikirim (Kirim) dan terkunci; admin dapat membukanya kembali dengan alasan. ({why})",
        en: "The file was refused, nothing was imported: {why}.";
    InvalidFile { detail: String } => Unprocessable, "invalid_file",
        id: "Berkas ditolak, tidak ada yang diimpor: {detail}",
        en: "{detail}";
    NoteRequiredByReview {} => Unprocessable, "note_required",
        id: "Catatan wajib diisi: tinjauan menyarankan usulan ini ditolak.",
        en: "A note is required: the review suggests rejecting this proposal.";
    NoteRequiredForReason { reason: Both } => Unprocessable, "note_required",
        id: "Catatan wajib diisi untuk penolakan ini: {reason}.",
        en: "A note is required for this rejection: {reason}.";
    VolumeNotPositive { volume: String } => Unprocessable, "invalid_volume",
        id: "Volume harus lebih dari 0, bukan {volume}.",
        en: "The volume must be more than 0, not {volume}.";
    VolumeImplausible { volume: String } => Unprocessable, "invalid_volume",
        id: "Volume {volume} tidak masuk akal.",
        en: "A volume of {volume} is not plausible.";
    BudgetNotComputable { volume: String } => Unprocessable, "invalid_volume",
        id: "Anggaran untuk {volume} tidak dapat dihitung.",
        en: "The budget for {volume} cannot be computed.";
    UnitIncomparable { said: String, want: String } => Unprocessable, "unit_incomparable",
        id: "Volume dalam {said}; usulan diukur dalam {want}, sehingga tidak dapat dibandingkan (paket/LS tidak memiliki volume untuk dikoreksi).",
        en: "The volume is in {said}; the proposal is measured in {want}, so they cannot be compared (a lump sum has no volume to correct).";
    NegativeBudget { anggaran: i64 } => Unprocessable, "invalid_anggaran",
        id: "Anggaran harus 0 rupiah atau lebih, bukan {anggaran}.",
        en: "The budget must be 0 or more rupiah, not {anggaran}.";
    InvalidDecision { detail: Both } => Unprocessable, "invalid_decision",
        id: "{detail}",
        en: "{detail}";
    AlreadySent { kecamatan: WilayahKode, tahun: i32, sent_at: String } => Conflict, "already_sent",
        id: "Daftar {tahun} kecamatan {kecamatan} sudah dikirim pada {sent_at}.",
        en: "The {tahun} list of {kecamatan} was already sent on {sent_at}.";
    NothingToSend { kecamatan: WilayahKode, tahun: i32 } => Unprocessable, "nothing_to_send",
        id: "{kecamatan} tidak memiliki usulan fisik untuk tahun {tahun}.",
        en: "{kecamatan} has no physical proposals for {tahun}.";
    NothingToSendBack { id: i64 } => Unprocessable, "no_survey",
        id: "Usulan #{id} belum punya survei yang dapat dikembalikan untuk disurvei ulang.",
        en: "Proposal #{id} has no survey to send back for another visit.";
    SurveyVoided { survey: String, reason: String } => Conflict, "survey_voided",
        id: "Survei {survey} sudah dibatalkan ({reason}); survei yang dibatalkan tidak dapat dikembalikan.",
        en: "Survey {survey} was voided ({reason}); a voided survey cannot be sent back.";
    AssigneeUnknown { name: String } => Unprocessable, "unknown_surveyor",
        id: "Tidak ada surveyor aktif bernama '{name}' yang bekerja di kecamatan ini.",
        en: "No active surveyor named '{name}' works in this kecamatan.";
    AssigneeMissing {} => Unprocessable, "assignee_required",
        id: "Sebutkan surveyor atau tim yang ditugaskan (atau batalkan penugasan).",
        en: "Name the surveyor or the team to assign (or remove the assignment).";
    NothingToAssign {} => Unprocessable, "nothing_to_assign",
        id: "Tidak ada usulan fisik yang dipilih untuk ditugaskan.",
        en: "No physical proposal was chosen to assign.";
    BulkTooLarge { given: usize, limit: usize } => Unprocessable, "too_many",
        id: "{given} usulan dalam satu tindakan; paling banyak {limit}.",
        en: "{given} proposals in one action; at most {limit}.";
    /// Kirim while the forum record lacks what the Berita Acara needs (the list in `details.gaps`).
    ForumIncomplete { gaps: Both } => Unprocessable, "forum_incomplete",
        id: "Catatan forum belum lengkap untuk Berita Acara: {gaps}.",
        en: "The forum record lacks what the Berita Acara needs: {gaps}.";
    ForumVersionUnsaid { current: i32 } => PreconditionRequired, "if_match_required",
        id: "Kirim If-Match: \"{current}\" (versi catatan forum yang Anda ubah; 0 sebelum disimpan pertama kali).",
        en: "Send If-Match: \"{current}\" (the version of the forum record you changed; 0 before its first save).";
    ForumStale { seen: i32, current: i32 } => PreconditionFailed, "stale_version",
        id: "Catatan forum telah diubah orang lain sejak Anda membukanya (versi {seen}, kini {current}): buka lagi.",
        en: "Someone changed the forum record since you opened it (version {seen}, now {current}): open it again.";
    ForumInvalid { detail: Both } => Unprocessable, "invalid_forum",
        id: "Catatan forum: {detail}",
        en: "Forum record: {detail}";
    Undecided { undecided: usize, total: usize } => Conflict, "undecided",
        id: "{undecided} dari {total} usulan fisik belum diputuskan; putuskan dahulu sebelum mengirim.",
        en: "{undecided} of {total} physical proposals have no decision yet; decide them before sending.";
    ReasonRequired {} => Unprocessable, "reason_required",
        id: "Membuka kembali daftar yang sudah dikirim memerlukan alasan.",
        en: "Reopening a sent list needs a reason.";
    NotSent { kecamatan: WilayahKode, tahun: i32 } => NotFound, "not_sent",
        id: "Daftar {tahun} kecamatan {kecamatan} belum dikirim; tidak ada yang dibuka kembali.",
        en: "The {tahun} list of {kecamatan} is not sent; there is nothing to reopen.";
    ListNotSent { kecamatan: WilayahKode, tahun: i32 } => NotFound, "not_found",
        id: "Daftar {tahun} kecamatan {kecamatan} belum dikirim.",
        en: "The {tahun} list of {kecamatan} is not sent.";

    // --- The trilateral desk --------------------------------------------------------------------
    PlansForOtherAgency {} => Forbidden, "other_opd",
        id: "Anda perencana OPD lain.",
        en: "You plan for another agency.";
    ProposalOfOtherAgency { id: i64 } => Forbidden, "other_opd",
        id: "Usulan {id} untuk OPD lain.",
        en: "Proposal {id} is for another agency.";
    NotApproved { id: i64 } => Unprocessable, "not_approved",
        id: "Usulan {id} tidak disetujui camat; desk hanya membahas usulan yang disetujui.",
        en: "Proposal {id} was not approved by the camat; the desk takes approved proposals only.";
    InvalidOutcome { given: String } => Unprocessable, "invalid_outcome",
        id: "Hasil desk tidak dikenal: diterima, diterima_dengan_perubahan, digabungkan, ditolak atau di_luar_kewenangan.",
        en: "'{given}' is not a desk outcome: diterima, diterima_dengan_perubahan, digabungkan, ditolak or di_luar_kewenangan.";
    AgreedValuesRequired {} => Unprocessable, "agreed_values_required",
        id: "Hasil \"Diterima dengan perubahan\" memerlukan Volume disepakati (lebih dari 0) dan Pagu disepakati (rupiah bulat, 0 atau lebih) [agreed_volume, agreed_pagu].",
        en: "\"Accepted with changes\" needs the agreed volume (more than 0) and the agreed pagu (whole rupiah, 0 or more) [agreed_volume, agreed_pagu].";
    AgreedValuesUnexpected {} => Unprocessable, "agreed_values_unexpected",
        id: "Volume dan Pagu disepakati [agreed_volume, agreed_pagu] hanya diisi untuk hasil \"Diterima dengan perubahan\".",
        en: "The agreed volume and pagu [agreed_volume, agreed_pagu] go with \"Accepted with changes\" only.";
    OutcomeNeedsNote { outcome: Both } => Unprocessable, "note_required",
        id: "Hasil \"{outcome}\" memerlukan catatan alasannya.",
        en: "\"{outcome}\" needs a note saying why.";
    MatchNeedsNote {} => Unprocessable, "note_required",
        id: "Penetapan padanan memerlukan catatan alasannya.",
        en: "A planner's match needs a note saying why.";
    MergedIntoSelf {} => Unprocessable, "merged_into_self",
        id: "Usulan tidak dapat digabungkan dengan dirinya sendiri.",
        en: "A proposal cannot be merged into itself.";
    MergedIntoUnknown { other: i64, tahun: i32 } => Unprocessable, "merged_into_unknown",
        id: "Usulan {other} bukan usulan yang disetujui tahun {tahun} di wilayah Anda.",
        en: "Proposal {other} is no approved proposal of {tahun} in your area.";
    MergedIntoMerged { other: i64 } => Unprocessable, "merged_into_merged",
        id: "Usulan {other} sendiri sudah digabungkan ke usulan lain; gabungkan ke usulan itu.",
        en: "Proposal {other} is itself merged into another; merge into that one.";
    MergedIntoRequired {} => Unprocessable, "merged_into_required",
        id: "Hasil \"Digabungkan\" memerlukan nomor usulan yang menjadi gabungannya [merged_into].",
        en: "\"Merged\" needs the number of the proposal it is merged with [merged_into].";
    MergedIntoUnexpected {} => Unprocessable, "merged_into_unexpected",
        id: "merged_into hanya untuk digabungkan.",
        en: "merged_into goes with digabungkan only.";
    RenjaLinkUnexpected {} => Unprocessable, "renja_link_unexpected",
        id: "Baris Renja hanya ditautkan ke usulan yang diterima.",
        en: "A Renja line takes up an accepted proposal only (diterima, diterima_dengan_perubahan).";
    RenjaLineOtherAgency { line: i64 } => Unprocessable, "renja_item_other_opd",
        id: "Baris Renja {line} bukan milik OPD yang dituju usulan; hanya baris OPD itu yang dapat menampungnya.",
        en: "Renja line {line} is not of the agency the proposal's SKPD tujuan names; only that agency's lines can take it up.";
    RenjaLineUnknown { line: i64, tahun: i32 } => Unprocessable, "renja_item_unknown",
        id: "Baris Renja {line} tahun {tahun} tidak ada.",
        en: "No Renja line {line} of {tahun}.";
    RenjaLineLinked { line: i64, other: i64 } => Conflict, "renja_item_linked",
        id: "Baris Renja {line} sudah ditetapkan sebagai padanan usulan {other}; lepaskan dulu di sana, atau tautkan sebagai paket (satu baris untuk beberapa usulan kecil; target dan pagunya dibagi).",
        en: "Renja line {line} is already set as proposal {other}'s match; unlink it there first, or link it as a package (one line for several small proposals; its target and pagu are shared).";
    OutcomeVersionUnsaid { current: i32 } => PreconditionRequired, "if_match_required",
        id: "Kirim If-Match berisi versi hasil desk yang dilihat (\"{current}\").",
        en: "Send If-Match with the outcome's version as seen (\"{current}\").";
    OutcomeStale { current: i32, by: String } => PreconditionFailed, "stale",
        id: "Hasil desk berubah sementara itu (kini versi {current}, oleh {by}); tidak ada yang dicatat. Muat ulang lalu putuskan lagi.",
        en: "The outcome changed meanwhile (now version {current}, by {by}); nothing was recorded. Reload and decide again.";

    // --- The server's own state ---------------------------------------------------------------
    Unavailable {} => Unavailable, "unavailable",
        id: "Layanan sedang sibuk atau dimulai ulang; tidak ada yang hilang; coba lagi sebentar lagi.",
        en: "The service is busy or restarting; nothing was lost; try again shortly.";
    AlreadyExists {} => Conflict, "conflict",
        id: "Data ini sudah ada.",
        en: "This record already exists.";
    UnknownReference {} => Unprocessable, "unknown_reference",
        id: "Data merujuk ke sesuatu yang tidak ada.",
        en: "The record refers to something that does not exist.";
    Internal {} => Internal, "internal",
        id: "Terjadi kesalahan internal; kesalahan ini telah dicatat.",
        en: "An internal error occurred; it has been logged.";
}

impl Message {
    /// Every code, once, sorted: what the OpenAPI document lists.
    pub fn codes() -> Vec<&'static str> {
        let mut codes: Vec<&'static str> = Self::examples().iter().map(Self::code).collect();
        codes.sort_unstable();
        codes.dedup();
        codes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_both_texts_and_they_differ() {
        for m in Message::examples() {
            let (id, en) = (m.id(), m.en());
            assert!(!id.trim().is_empty() && !en.trim().is_empty(), "{m:?}");
            assert!(
                !id.contains("{{") && !en.contains("{{"),
                "unfilled placeholder: {m:?}"
            );
            // A message whose words are all a value given by the caller (`{detail}`) is the
            // caller's to word twice.
            let caller_worded = matches!(
                m,
                Message::InvalidFilter { .. }
                    | Message::InvalidForm { .. }
                    | Message::InvalidDecision { .. }
                    | Message::InvalidText { .. }
            );
            assert!(caller_worded || id != en, "the same words in both: {m:?}");
        }
    }

    #[test]
    fn codes_are_snake_case_and_listed_once() {
        let codes = Message::codes();
        assert!(codes.len() > 60, "{}", codes.len());
        for code in &codes {
            assert!(
                code.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{code}"
            );
        }
    }

    #[test]
    fn numbers_are_grouped_the_way_each_language_writes_them() {
        let m = Message::DeclaredTooLarge {
            declared: Count(2_000_000_000),
            limit: Count(23_068_672),
            note: Both::same(""),
        };
        assert_eq!(
            m.id(),
            "Isi permintaan 2.000.000.000 byte; endpoint ini menerima paling banyak 23.068.672."
        );
        assert_eq!(
            m.en(),
            "The body would be 2,000,000,000 bytes; this endpoint takes at most 23,068,672."
        );
        assert_eq!(m.kind(), RefusalKind::TooLarge);
    }
}
