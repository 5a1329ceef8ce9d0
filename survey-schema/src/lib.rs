//! Wire types shared by the Tinjau server and its clients (phones, exports, the trilateral desk).
//!
//! Everything here parses at the boundary: a value of these types is valid by construction, so code
//! further in never re-checks it. This crate depends on serde only (and utoipa behind the `openapi`
//! feature); no database, runtime or web framework types belong here.

pub mod account;
pub mod anomaly;
pub mod digest;
pub mod error;
pub mod finding;
pub mod forum;
pub mod location;
pub mod numbers;
pub mod point;
pub mod proposal;
pub mod review;
pub mod say;
pub mod survey;
pub mod text;
pub mod unit;
pub mod wilayah;

pub use account::Role;
pub use anomaly::{Anomaly, Severity};
pub use digest::Sha256;
pub use error::{ApiError, LocalizedMessage};
pub use finding::Finding;
pub use forum::{ForumRecord, ForumView, KotaProfile};
pub use location::{LocationStatus, LocationVerdict};
pub use numbers::{NumberError, Rupiah};
pub use point::{RawPoint, Wgs84Point, Wgs84PointError};
pub use proposal::{ActivityRef, ProposalPage, ProposalView};
pub use review::{
    AssignOutcome, AssignRequest, BulkApproveRequest, BulkCriterion, BulkOutcome, BulkSkipped,
    DecidedValues, DecisionRequest, DecisionStatus, DecisionView, FieldActionOutcome, HistoryEvent,
    KirimView, ProposalHistory, PublicKelurahan, PublicProposal, ReasonRequest, RejectReason,
    ReviewCounts, ReviewItem, ReviewPage, Suggestion, SurveyBrief, SurveyPhoto, SurveyStatus,
};
pub use survey::{CheckedSurvey, SurveyFate, SurveyRecord, SurveyState, SurveyView};
pub use unit::Unit;
pub use wilayah::{WilayahDetail, WilayahKode, WilayahKodeError, WilayahLevel, WilayahRef};
