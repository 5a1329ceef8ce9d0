//! A survey on its way in, between its record's own check and its storing: admitted against its
//! proposal (which exists and lies in the sender's area) and, without photos, checked, whether it
//! is stored alone (a correction) or in a batch by the writer (`super::writer`). Nothing here
//! reads or writes the database: the read comes in, the row to store goes out.

use geo_rules::BoundaryIndex;
use sha2::{Digest, Sha256};
use survey_schema::{Anomaly, CheckedSurvey, SurveyRecord, Wgs84Point};
use tinjau_domain::CurrentUser;
use uuid::Uuid;

use crate::db;
use crate::refusal::{Message, WorkflowError};

/// A survey on its way in, checked on its own: who sent it, its record and the body stored.
#[derive(Debug)]
pub struct Arrival {
    user: CurrentUser,
    id: Uuid,
    fix: Wgs84Point,
    record: SurveyRecord,
    body: serde_json::Value,
    body_sha256: String,
}

/// A survey admitted against its proposal and checked: the row to store, and what the answer
/// shows.
#[derive(Debug)]
pub struct Prepared {
    pub survey: db::survey::ArrivingSurvey,
    pub record: SurveyRecord,
    pub checks: Vec<Anomaly>,
}

impl Arrival {
    /// The survey `user` sent under the phone's UUID `id`, with the body stored and its digest.
    pub fn new(user: &CurrentUser, id: Uuid, survey: CheckedSurvey) -> Result<Self, WorkflowError> {
        let fix = survey.fix();
        let record = survey.into_record();
        let body = serde_json::to_value(&record).map_err(anyhow::Error::from)?;
        let body_sha256 = hex::encode(Sha256::digest(
            serde_json::to_vec(&record).map_err(anyhow::Error::from)?,
        ));
        Ok(Self {
            user: user.clone(),
            id,
            fix,
            record,
            body,
            body_sha256,
        })
    }

    /// What the phone sent, as checked.
    pub fn record(&self) -> &SurveyRecord {
        &self.record
    }

    /// The phone's UUID for it.
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// What is read to admit and check it.
    pub fn query(&self) -> db::survey::ArrivalQuery {
        let [before, after] = crate::survey_checks::neighbour_windows(self.record.captured_at);
        db::survey::ArrivalQuery {
            proposal_id: self.record.proposal_id,
            surveyor: self.user.id,
            before,
            after,
        }
    }

    /// Admits it against what [`Arrival::query`] read (its proposal exists and lies in the
    /// sender's area) and, for a survey without photos, checks it, so that its findings are
    /// stored with it.
    pub fn prepare(
        self,
        index: &BoundaryIndex,
        read: Option<(db::survey::SurveyContext, Vec<db::survey::Visit>)>,
    ) -> Result<Prepared, WorkflowError> {
        let (context, visits) = read.unzip();
        let context = in_scope(&self.user, &self.record, context)?;
        let record = self.record;
        // A survey without photos is complete as it arrives: check it now, store its findings
        // with it and answer with them.
        let photos = &record.photos;
        let checks = if photos.is_empty() {
            crate::survey_checks::check_arriving(
                index,
                &context,
                &record,
                visits.unwrap_or_default(),
            )?
        } else {
            Vec::new()
        };
        let mut findings = db::anomaly::SurveyAnomalyBatch::default();
        for anomaly in &checks {
            findings.push(self.id, record.proposal_id, anomaly);
        }
        let actor = self.user.actor();
        let survey = db::survey::ArrivingSurvey {
            id: self.id,
            proposal_id: record.proposal_id,
            surveyor_id: self.user.id,
            body: self.body,
            body_sha256: self.body_sha256,
            captured_at: record.captured_at,
            lon: self.fix.lon(),
            lat: self.fix.lat(),
            accuracy_m: record.fix.accuracy_m,
            supersedes: record.supersedes,
            photos: db::survey::DeclaredPhotos {
                sha256: photos.iter().map(|p| p.sha256.clone()).collect(),
                bytes: photos
                    .iter()
                    .map(|p| i64::try_from(p.bytes).unwrap_or(i64::MAX))
                    .collect(),
                content_types: photos.iter().map(|p| p.content_type.clone()).collect(),
                captions: photos.iter().map(|p| p.caption.clone()).collect(),
            },
            findings,
            actor: actor.name,
            actor_id: actor.user_id,
            actor_role: Some(actor.role),
            request_id: actor.request_id,
            kecamatan: context
                .kelurahan_kode
                .parent()
                .map(|k| k.as_str().to_owned()),
        };
        Ok(Prepared {
            survey,
            record,
            checks,
        })
    }
}

/// The proposal read for `record`, if it exists and lies in `user`'s area.
pub(crate) fn in_scope(
    user: &CurrentUser,
    record: &SurveyRecord,
    context: Option<db::survey::SurveyContext>,
) -> Result<db::survey::SurveyContext, WorkflowError> {
    let context = context.ok_or_else(|| {
        WorkflowError::from(Message::UnknownProposal {
            id: record.proposal_id,
        })
    })?;
    user.require_covers(&context.kelurahan_kode)?;
    Ok(context)
}
