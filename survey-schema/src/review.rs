//! The camat's review on the wire: the review list, decisions and their grounds, a proposal's
//! history, Kirim, and the public tracking page.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Anomaly, LocalizedMessage, RawPoint, Severity, Unit, WilayahKode};

/// Where a proposal stands in the camat's review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DecisionStatus {
    /// No decision yet.
    Undecided,
    /// Disetujui, with the proposed volume.
    Approved,
    /// Disetujui with the volume corrected (a `set_volume` decision).
    Corrected,
    /// Ditolak, with a reason (a)–(g).
    Rejected,
}

impl DecisionStatus {
    pub const ALL: [Self; 4] = [
        Self::Undecided,
        Self::Approved,
        Self::Corrected,
        Self::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Undecided => "undecided",
            Self::Approved => "approved",
            Self::Corrected => "corrected",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// Agreed at the forum (Lampiran II): approved, with or without a corrected volume.
    pub fn is_agreed(self) -> bool {
        matches!(self, Self::Approved | Self::Corrected)
    }

    /// In Indonesian, as a person reads it.
    pub fn label_id(self) -> &'static str {
        match self {
            Self::Undecided => "Belum diputuskan",
            Self::Approved => "Disetujui",
            Self::Corrected => "Disetujui dengan perubahan volume",
            Self::Rejected => "Ditolak",
        }
    }
}

/// The guideline's grounds for not agreeing a proposal (Juknis Musrenbang Kecamatan 2016, D.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum RejectReason {
    A,
    B,
    C,
    D,
    E,
    F,
    G,
}

impl RejectReason {
    pub const ALL: [Self; 7] = [
        Self::A,
        Self::B,
        Self::C,
        Self::D,
        Self::E,
        Self::F,
        Self::G,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::A => "a",
            Self::B => "b",
            Self::C => "c",
            Self::D => "d",
            Self::E => "e",
            Self::F => "f",
            Self::G => "g",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The ground as the guideline words it, and in English.
    pub fn text(self) -> LocalizedMessage {
        let (id, en) = match self {
            Self::A => (
                "Bukan prioritas kecamatan",
                "Not a priority of the kecamatan",
            ),
            Self::B => (
                "Dapat dilaksanakan dengan kewenangan kecamatan",
                "Can be carried out under the kecamatan's own authority",
            ),
            Self::C => ("Sasaran tidak jelas", "The target is unclear"),
            Self::D => (
                "Sudah akan dilaksanakan pada tahun berjalan",
                "Will already be carried out this year",
            ),
            Self::E => (
                "Dapat dibiayai dari sumber lain (swadaya masyarakat, CSR)",
                "Can be funded otherwise (community self-help, CSR)",
            ),
            Self::F => (
                "Sudah dilaksanakan pada tahun sebelumnya",
                "Already carried out in an earlier year",
            ),
            Self::G => (
                "Tidak sesuai dengan kondisi di lapangan",
                "Does not match the conditions in the field",
            ),
        };
        LocalizedMessage {
            id: id.to_owned(),
            en: en.to_owned(),
        }
    }

    /// Whether the guideline's ground needs the camat's own words: (g) always does.
    pub fn needs_note(self) -> bool {
        self == Self::G
    }
}

/// A camat's decision, as sent to `PUT /api/v1/proposals/{id}/decisions/{uuid}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum DecisionRequest {
    /// Disetujui (a volume corrected earlier stays corrected).
    Approve {
        #[serde(default)]
        note: Option<String>,
    },
    /// Ditolak, on one of the guideline's grounds; the note is mandatory for (g) and whenever the
    /// review suggested something else.
    Reject {
        reason: RejectReason,
        #[serde(default)]
        note: Option<String>,
    },
    /// Disetujui with the volume corrected (to the surveyed value, typically). The estimated budget
    /// is recomputed at the proposal's unit cost unless `anggaran` is given.
    SetVolume {
        /// Exact decimal, as a string.
        #[cfg_attr(feature = "openapi", schema(value_type = String, example = "185.5"))]
        volume: Decimal,
        /// The unit as written; it must normalise to the proposal's unit.
        satuan: String,
        /// Whole rupiah, if the camat sets the budget.
        #[serde(default)]
        anggaran: Option<i64>,
        #[serde(default)]
        note: Option<String>,
    },
}

impl DecisionRequest {
    pub fn action(&self) -> &'static str {
        match self {
            Self::Approve { .. } => "approve",
            Self::Reject { .. } => "reject",
            Self::SetVolume { .. } => "set_volume",
        }
    }

    pub fn note(&self) -> Option<&str> {
        match self {
            Self::Approve { note } | Self::Reject { note, .. } | Self::SetVolume { note, .. } => {
                note.as_deref().map(str::trim).filter(|n| !n.is_empty())
            }
        }
    }
}

/// What the review suggests where the evidence makes it obvious.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Suggestion {
    /// `approve`, `reject` or `set_volume`.
    pub action: String,
    pub reason: Option<RejectReason>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub volume: Option<Decimal>,
    pub satuan: Option<String>,
    /// The anomaly code (or survey finding) behind it, e.g. `VOLUME_DEVIATION`.
    pub because: String,
    pub message: LocalizedMessage,
}

/// The quantities a decision changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecidedValues {
    pub status: DecisionStatus,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub volume: Decimal,
    pub satuan: String,
    pub unit: Option<Unit>,
    /// Whole rupiah.
    pub anggaran: i64,
}

/// A stored decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionView {
    pub id: Uuid,
    pub proposal_id: i64,
    /// `approve`, `reject` or `set_volume`.
    pub action: String,
    pub reason: Option<RejectReason>,
    /// The ground written out, when rejected.
    pub reason_text: Option<LocalizedMessage>,
    pub note: Option<String>,
    pub before: DecidedValues,
    pub after: DecidedValues,
    pub suggestion: Option<Suggestion>,
    pub version_before: i32,
    pub version_after: i32,
    pub decided_by: String,
    pub decided_role: String,
    pub decided_at: DateTime<Utc>,
}

/// Where a proposal's survey stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SurveyStatus {
    NotSurveyed,
    /// Surveyed; some declared photos are not in or not read yet, so the checks have not run.
    PhotosPending,
    /// Surveyed, and the survey checks have run.
    Checked,
    /// The camat sent the survey back for another visit; the phones have it again.
    SentBack,
}

impl SurveyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotSurveyed => "not_surveyed",
            Self::PhotosPending => "photos_pending",
            Self::Checked => "checked",
            Self::SentBack => "sent_back",
        }
    }
}

/// The latest survey's evidence, in brief.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyBrief {
    pub id: Uuid,
    pub captured_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub surveyor: Option<String>,
    pub fix: RawPoint,
    /// Metres.
    pub accuracy_m: f64,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub volume: Decimal,
    pub satuan: String,
    pub unit: Option<Unit>,
    pub technical_ok: bool,
    pub administrative_ok: bool,
    pub photo_count: usize,
    /// Thumbnail URLs of the photos received (need the same bearer token).
    pub thumbnails: Vec<String>,
    /// Whether the team found the proposal at the address given, and what they noted of it.
    #[serde(default)]
    pub address_confirmed: bool,
    #[serde(default)]
    pub address_note: Option<String>,
    /// The team's notes on the technical and the administrative feasibility.
    #[serde(default)]
    pub technical_note: Option<String>,
    #[serde(default)]
    pub administrative_note: Option<String>,
    /// The survey's own note.
    #[serde(default)]
    pub note: Option<String>,
    /// Every photo the survey declared, in its order, with its caption.
    #[serde(default)]
    pub photos: Vec<SurveyPhoto>,
}

/// One photo a survey declared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyPhoto {
    pub sha256: String,
    pub caption: Option<String>,
    /// Whether its bytes have arrived.
    pub received: bool,
}

/// One proposal in the review list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewItem {
    pub id: i64,
    pub tahun: i32,
    pub nomor: Option<String>,
    pub kelurahan: WilayahKode,
    pub kelurahan_nama: String,
    pub rw: Option<String>,
    pub rt: Option<String>,
    pub permasalahan: Option<String>,
    pub program: Option<String>,
    pub usulan: String,
    pub lokasi: Option<String>,
    /// As proposed: exact decimal.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub volume: Decimal,
    pub satuan: String,
    pub unit: Option<Unit>,
    /// As proposed, whole rupiah.
    pub anggaran: i64,
    pub skpd_tujuan: Option<String>,
    pub pin: Option<RawPoint>,
    pub survey_status: SurveyStatus,
    /// Earlier surveys of this proposal that a correction replaced.
    pub superseded_surveys: i64,
    /// Surveys received after the Kirim (from phones that were offline): kept, changing nothing.
    pub late_surveys: i64,
    pub survey: Option<SurveyBrief>,
    /// The proposal's and its latest survey's anomalies, most serious first.
    pub anomalies: Vec<Anomaly>,
    pub max_severity: Option<Severity>,
    pub decision: DecisionStatus,
    /// The values as decided (as proposed until a `set_volume`).
    pub decided: DecidedValues,
    pub reason: Option<RejectReason>,
    pub note: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The proposal's version: send it as `If-Match` with a decision.
    pub version: i32,
    pub suggestion: Option<Suggestion>,
    /// The surveyor (by name) or team the camat assigned it to.
    #[serde(default)]
    pub assigned_to: Option<String>,
    /// Why its survey was sent back, while the new visit is awaited.
    #[serde(default)]
    pub resurvey_reason: Option<String>,
}

/// Counts over the whole filter, not just the page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewCounts {
    /// Proposals with at least one anomaly of each code.
    pub by_code: std::collections::BTreeMap<String, i64>,
    /// Proposals by their most serious anomaly (`none` for those without any).
    pub by_severity: std::collections::BTreeMap<String, i64>,
    /// Proposals by decision status.
    pub by_decision: std::collections::BTreeMap<String, i64>,
}

/// A kecamatan's list sent up to the city forum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KirimView {
    pub id: i64,
    pub kecamatan: WilayahKode,
    pub tahun: i32,
    pub sent_at: DateTime<Utc>,
    pub sent_by: String,
    pub agreed: i64,
    pub not_agreed: i64,
    /// SHA-256 of the stored snapshot the forms are made from.
    pub snapshot_sha256: String,
    /// The audit chain's head right after the Kirim was recorded (printed on the Berita Acara).
    pub audit_seq: i64,
    pub audit_hash: String,
    pub reopened_at: Option<DateTime<Utc>>,
    pub reopen_reason: Option<String>,
}

/// `GET /api/v1/review/{kecamatan}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewPage {
    pub kecamatan: WilayahKode,
    pub kecamatan_nama: String,
    pub tahun: i32,
    /// The standing Kirim, when the list is locked.
    pub kirim: Option<KirimView>,
    pub items: Vec<ReviewItem>,
    pub page: i64,
    pub per_page: i64,
    /// Proposals matching the filter, over all pages.
    pub total: i64,
    pub counts: ReviewCounts,
}

/// One entry of a proposal's story.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEvent {
    /// Position in the audit chain.
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub actor_role: Option<String>,
    /// e.g. `proposal.import`, `survey.store`, `photo.store`, `decision.put`, `kirim.send`.
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub before: Option<serde_json::Value>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
    pub row_hash: String,
}

/// `GET /api/v1/proposals/{id}/history`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProposalHistory {
    pub proposal_id: i64,
    pub version: i32,
    pub events: Vec<HistoryEvent>,
}

/// One proposal on the public tracking page: no person, photo or token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicProposal {
    pub nomor: Option<String>,
    pub rw: Option<String>,
    pub rt: Option<String>,
    pub usulan: String,
    pub lokasi: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub volume: Decimal,
    pub satuan: String,
    /// Whole rupiah.
    pub anggaran: i64,
    pub surveyed: bool,
    pub status: DecisionStatus,
    /// The status in Indonesian.
    pub status_text: String,
    /// The ground when not agreed.
    pub reason: Option<LocalizedMessage>,
    /// Whether the kecamatan's list has been sent up (Kirim).
    pub sent: bool,
}

/// `GET /api/v1/public/kelurahan/{kode}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicKelurahan {
    pub kelurahan: WilayahKode,
    pub nama: String,
    pub tahun: i32,
    pub proposals: Vec<PublicProposal>,
    /// Whether the decisions shown were sent (Kirim); before, every proposal is "under review".
    #[serde(default)]
    pub sent: bool,
    /// The list was reopened after it was sent: what is shown is the last sent list, being revised.
    #[serde(default)]
    pub revising: bool,
    /// The audit log entry of the Kirim shown (`GET /api/v1/audit/entries/{seq}/proof` proves it is
    /// in the signed log); `None` before the list is sent.
    #[serde(default)]
    pub audit_entry: Option<i64>,
}

/// `PUT /api/v1/kecamatan/{kode}/assignments`: who surveys which proposals. Name `kelurahan` (all
/// its physical proposals) or `proposals`; `surveyor` (an account's name) or `team`; neither: the
/// assignment is removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    #[serde(default)]
    pub kelurahan: Option<WilayahKode>,
    #[serde(default)]
    pub proposals: Option<Vec<i64>>,
    #[serde(default)]
    pub surveyor: Option<String>,
    #[serde(default)]
    pub team: Option<String>,
}

/// What an assignment did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignOutcome {
    /// Proposals that changed hands (0 when they were assigned so already).
    pub changed: u64,
}

/// A reason the camat gives (sending a survey back, voiding one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    pub reason: String,
}

/// What a send-back or a void did: `done`, or `repeat` (asked before; nothing changed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldActionOutcome {
    pub outcome: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bulk_criterion_is_written_as_on_the_wire() {
        for c in [BulkCriterion::NoFinding, BulkCriterion::SuggestedApprove] {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
    }

    #[test]
    fn decisions_parse_by_action_and_refuse_what_is_not_a_decision() {
        let ok: DecisionRequest =
            serde_json::from_str(r#"{"action":"reject","reason":"f","note":"sudah 2024"}"#)
                .unwrap();
        assert_eq!(
            ok,
            DecisionRequest::Reject {
                reason: RejectReason::F,
                note: Some("sudah 2024".into())
            }
        );
        let volume: DecisionRequest =
            serde_json::from_str(r#"{"action":"set_volume","volume":"185.5","satuan":"M2"}"#)
                .unwrap();
        assert_eq!(volume.action(), "set_volume");
        for bad in [
            r#"{"action":"reject","reason":"h"}"#,
            r#"{"action":"reject"}"#,
            r#"{"action":"delete"}"#,
            r#"{"action":"approve","volume":"1"}"#,
            r#"{"action":"set_volume","satuan":"m2"}"#,
        ] {
            assert!(
                serde_json::from_str::<DecisionRequest>(bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn every_ground_is_written_out_and_only_g_always_needs_a_note() {
        for r in RejectReason::ALL {
            assert!(!r.text().id.is_empty() && !r.text().en.is_empty());
            assert_eq!(RejectReason::parse(r.as_str()), Some(r));
        }
        assert!(RejectReason::G.needs_note() && !RejectReason::F.needs_note());
        assert_eq!(
            RejectReason::F.text().id,
            "Sudah dilaksanakan pada tahun sebelumnya"
        );
    }
}

/// Which proposals a bulk approval takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BulkCriterion {
    /// No finding at all (neither the proposal's nor its survey's).
    NoFinding,
    /// The review suggests approving it (a complete survey with nothing of concern).
    SuggestedApprove,
}

impl BulkCriterion {
    /// As on the wire: `no_finding`, `suggested_approve`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoFinding => "no_finding",
            Self::SuggestedApprove => "suggested_approve",
        }
    }
}

/// One proposal of a bulk action, with the version it was seen at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SeenProposal {
    pub id: i64,
    pub version: i32,
}

/// `POST /api/v1/review/{kecamatan}/bulk`: approve, each with its own decision, the proposals the
/// caller saw (from the list, with their versions) that still meet `criterion`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BulkApproveRequest {
    /// Made by the client: a retry with the same id decides nothing twice.
    pub id: Uuid,
    pub criterion: BulkCriterion,
    pub proposals: Vec<SeenProposal>,
    /// Said in every decision's note, e.g. "Disetujui bersama: tanpa temuan".
    #[serde(default)]
    pub note: Option<String>,
}

/// A proposal a bulk action did not decide, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkSkipped {
    pub id: i64,
    /// `changed` (another version than seen), `decided` (already decided), `not_eligible` (it no
    /// longer meets the criterion), `not_found`.
    pub reason: String,
}

/// What a bulk approval did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkOutcome {
    pub id: Uuid,
    /// Decided now.
    pub approved: Vec<i64>,
    /// Decided by an earlier try of this same bulk action (a retry).
    pub repeated: Vec<i64>,
    pub skipped: Vec<BulkSkipped>,
    /// The budgets of `approved` and `repeated`, whole rupiah.
    pub total_rupiah: i64,
}
