//! Survey intake from ODK Collect and KoboCollect (OpenRosa). A submission is one survey: its XML
//! is read into the same [`SurveyRecord`] the JSON API takes, and its photo parts go through the same
//! sink (streamed, hashed, checked, read for EXIF); the record is stored by
//! [`super::survey::store`] under the instanceID, so it is checked, listed and reviewed like any
//! other survey.
//!
//! Collect may split one submission across several POSTs, each repeating the same XML, and retries
//! any POST it did not see answered. So every POST is idempotent per instanceID: the XML and the
//! photo parts are kept as they arrive, a POST with another XML under the same instanceID is a
//! conflict, and the survey is stored once every photo the XML names is in.

pub mod form;
pub mod settings;
pub mod xml;

use std::collections::HashMap;

use sha2::{Digest, Sha256};
use survey_schema::survey::PhotoManifestEntry;
use survey_schema::{Role, WilayahKode};
use uuid::Uuid;

use super::photo::{self, StagedPhoto};
use crate::app::AppState;
use crate::db;
use crate::refusal::{Message, Refusal, WorkflowError, refuse};
use tinjau_domain::CurrentUser;

/// Default of `X-OpenRosa-Accept-Content-Length`: Collect starts a new POST before a request would
/// pass it. 10 MB suits a 3G connection; a single larger photo is still sent alone.
pub const DEFAULT_ACCEPT_BYTES: u64 = 10_000_000;

/// What a POST did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// The survey is stored (`new`: by this POST).
    Complete { survey: Uuid, new: bool },
    /// Kept; the survey waits for these photo files (sent in a later POST).
    Waiting { missing: Vec<String> },
}

impl From<xml::XmlProblem> for WorkflowError {
    fn from(p: xml::XmlProblem) -> Self {
        p.0.into()
    }
}

/// Whether `user` works in `kecamatan`; returns the area its assignments come from (the narrower
/// of the two). Only surveyors: the key travels in URLs (and so in proxies' logs), so a camat's or
/// an admin's powers must never ride on one.
pub fn project_area(user: &CurrentUser, kecamatan: &WilayahKode) -> Result<WilayahKode, Refusal> {
    require_surveyor(user)?;
    match &user.scope {
        None => Ok(kecamatan.clone()),
        Some(scope) if scope == kecamatan || scope.contains(kecamatan) => Ok(kecamatan.clone()),
        Some(scope) if kecamatan.contains(scope) => Ok(scope.clone()),
        Some(_) => Err(tinjau_domain::caller::out_of_scope(kecamatan)),
    }
}

/// 403 unless `user` is a surveyor.
pub fn require_surveyor(user: &CurrentUser) -> Result<(), Refusal> {
    if user.role != Role::Surveyor {
        return Err(Refusal::from(Message::SurveyorsOnly { role: user.role }));
    }
    Ok(())
}

const CSV: &str = "text/csv; charset=utf-8";
const GEOJSON: &str = "application/geo+json";

/// A media file's content: made for the request, or a file on disk (the offline map).
#[derive(Debug)]
pub enum MediaBody {
    Bytes(Vec<u8>),
    File(std::path::PathBuf),
}

/// One media file of the form as served to a surveyor, with the MD5 its manifest states.
#[derive(Debug)]
pub struct Media {
    pub name: &'static str,
    pub content_type: &'static str,
    pub md5: String,
    pub body: MediaBody,
}

/// The form's media files as served to this surveyor, in the manifest's order: `proposals.csv`
/// (the year's proposals of its area that still need a survey, its own first), `usulan.geojson`
/// (those with a pin, for the map), `kelurahan.geojson` (its area's kelurahan outlines),
/// `survei_saya.csv` (what became of its own surveys) and, when the operator packaged one for the
/// kecamatan, `peta.mbtiles` (the offline map). With `only`, just that file.
pub async fn media(
    state: &AppState,
    user: &CurrentUser,
    kecamatan: &WilayahKode,
    only: Option<&str>,
) -> Result<Vec<Media>, WorkflowError> {
    let area = project_area(user, kecamatan)?;
    // A download needs its own file only: the manifest, every one (for their hashes).
    let wants = |name: &str| only.is_none_or(|o| o == name);
    let mut made: Vec<(&'static str, &'static str, Vec<u8>)> = Vec::new();
    if wants(form::PROPOSALS_CSV) || wants(form::PROPOSALS_GEOJSON) {
        let (_, open) = crate::field_work::to_survey(state, user, &area).await?;
        made.push((form::PROPOSALS_CSV, CSV, form::proposals_csv(&open)));
        made.push((
            form::PROPOSALS_GEOJSON,
            GEOJSON,
            form::proposals_geojson(&open),
        ));
    }
    if wants(form::KELURAHAN_GEOJSON) {
        let kelurahan = db::field_work::kelurahan_for_phones(&state.pool, area.as_str()).await?;
        made.push((form::KELURAHAN_GEOJSON, GEOJSON, kelurahan.into_bytes()));
    }
    if wants(form::SURVEYS_CSV) {
        let fates = match crate::field_work::survey_year(state, area.as_str()).await? {
            Some(t) => crate::field_work::fates(&state.pool, user, t).await?,
            None => Vec::new(),
        };
        made.push((form::SURVEYS_CSV, CSV, form::surveys_csv(&fates)));
    }
    let mut out: Vec<Media> = made
        .into_iter()
        .filter(|(name, _, _)| wants(name))
        .map(|(name, content_type, bytes)| Media {
            name,
            content_type,
            md5: form::md5_hex(&bytes),
            body: MediaBody::Bytes(bytes),
        })
        .collect();
    let tiles = crate::tiles::path_for(&state.storage_dir, kecamatan);
    if let Some(md5) = crate::tiles::md5_of(&tiles).filter(|_| wants(crate::tiles::ATTACHMENT)) {
        out.push(Media {
            name: crate::tiles::ATTACHMENT,
            content_type: "application/vnd.sqlite3",
            md5,
            body: MediaBody::File(tiles),
        });
    }
    Ok(out)
}

/// One POST of a submission: its XML, the photo parts it carries (already staged by the adapter,
/// named by their part names), and whether Collect marked it `*isIncomplete*` (more POSTs follow).
#[derive(Debug)]
pub struct Post<'a> {
    pub xml: &'a [u8],
    pub photos: Vec<(String, StagedPhoto)>,
    pub incomplete: bool,
}

/// Receives one POST of a submission. On a refusal nothing of this POST is kept.
pub async fn receive(
    state: &AppState,
    user: &CurrentUser,
    kecamatan: &WilayahKode,
    post: Post<'_>,
) -> Result<Received, WorkflowError> {
    let Post {
        xml: raw_xml,
        photos: staged,
        incomplete,
    } = post;
    let xml_sha256 = hex::encode(Sha256::digest(raw_xml));
    // A retry of a submission whose survey is stored (its 201 was lost) is answered at once, as it
    // was then: what changed since (the surveyor's area, the clock) must not refuse it now.
    let earlier = match xml::Submission::parse(raw_xml) {
        Ok(s) => {
            let mut conn = state.pool.acquire().await?;
            db::openrosa::find(&mut conn, s.instance_id).await?
        }
        Err(_) => None,
    };
    if let Some(earlier) = earlier {
        if earlier.xml_sha256 == xml_sha256 && earlier.surveyor_id == user.id {
            if earlier.survey_stored {
                for (_, s) in staged {
                    photo::discard(state, s).await;
                }
                return Ok(Received::Complete {
                    survey: earlier.instance_id,
                    new: false,
                });
            }
        } else {
            for (_, s) in staged {
                photo::discard(state, s).await;
            }
            return Err(xml_conflict(earlier.instance_id));
        }
    }
    match admit(state, user, kecamatan, raw_xml, &staged).await {
        Ok(admitted) => {
            keep(
                state,
                user,
                kecamatan,
                (raw_xml, &xml_sha256),
                admitted,
                staged,
                incomplete,
            )
            .await
        }
        Err(e) => {
            for (_, s) in staged {
                photo::discard(state, s).await;
            }
            Err(e)
        }
    }
}

/// A submission that may be kept.
struct Admitted {
    submission: xml::Submission,
    attachments: Vec<(&'static str, String)>,
    supersedes: Option<Uuid>,
}

/// Everything that can refuse a POST, checked before anything of it is kept.
async fn admit(
    state: &AppState,
    user: &CurrentUser,
    kecamatan: &WilayahKode,
    raw_xml: &[u8],
    staged: &[(String, StagedPhoto)],
) -> Result<Admitted, WorkflowError> {
    project_area(user, kecamatan)?;
    let submission = xml::Submission::parse(raw_xml)?;
    if submission.form_id != form::FORM_ID {
        return refuse(Message::UnknownForm {
            expected: form::FORM_ID,
            got: format!("{:?}", submission.form_id),
        });
    }
    let attachments = submission.attachments()?;
    let mut seen = std::collections::HashSet::new();
    for (name, _) in staged {
        if !attachments.iter().any(|(_, file)| file == name) {
            return refuse(Message::UnnamedAttachment {
                name: format!("{name:?}"),
            });
        }
        if !seen.insert(name) {
            return refuse(Message::RepeatedAttachment {
                name: format!("{name:?}"),
            });
        }
    }
    // The edited form corrects the survey of the instance it replaces, when that survey is here,
    // is this surveyor's and of the same proposal (else it stands as a survey of its own).
    let proposal_id = submission.proposal_id()?;
    let supersedes = match submission.deprecated_id {
        Some(old) if old != submission.instance_id => {
            let mut conn = state.pool.acquire().await?;
            db::survey::get(&mut conn, old)
                .await?
                .filter(|s| {
                    s.proposal_id == proposal_id && s.surveyor.as_deref() == Some(&user.name)
                })
                .map(|_| old)
        }
        _ => None,
    };
    // The record without its photos must already stand: the proposal, its area, every value.
    let draft = super::survey::check(submission.to_record(Vec::new(), supersedes)?)?;
    let context = super::survey::admissible(state, user, &draft).await?;
    let draft = draft.record();
    let kelurahan = context.kelurahan_kode.0.clone();
    if !kecamatan.contains(&kelurahan) {
        return refuse(Message::OtherProject {
            proposal: draft.proposal_id,
            kelurahan: kelurahan.to_string(),
            kecamatan: kecamatan.clone(),
        });
    }
    Ok(Admitted {
        submission,
        attachments,
        supersedes,
    })
}

fn xml_conflict(id: Uuid) -> WorkflowError {
    Refusal::from(Message::XmlConflict {
        instance: id.to_string(),
    })
    .into()
}

/// Keeps the POST's photos and XML, and stores the survey once every photo is in, or with the
/// photos that came when the last POST leaves some missing (the phone no longer has them: a
/// survey held back for them would never be stored, yet Collect counts it sent).
async fn keep(
    state: &AppState,
    user: &CurrentUser,
    kecamatan: &WilayahKode,
    (raw_xml, xml_sha256): (&[u8], &str),
    admitted: Admitted,
    staged: Vec<(String, StagedPhoto)>,
    incomplete: bool,
) -> Result<Received, WorkflowError> {
    let Admitted {
        submission,
        attachments,
        supersedes,
    } = admitted;
    let id = submission.instance_id;
    let xml_text = String::from_utf8_lossy(raw_xml);

    // The bytes first: content-addressed, so an object kept twice (or kept for a POST that then
    // fails) is harmless; the database then says what this submission has.
    let mut parts = Vec::with_capacity(staged.len());
    let mut staged = staged.into_iter();
    while let Some((name, s)) = staged.next() {
        let row = db::openrosa::AttachmentRow {
            filename: name,
            sha256: s.sha256.to_string(),
            bytes: i64::try_from(s.bytes).unwrap_or(i64::MAX),
            content_type: s.content_type.to_owned(),
            inspection: serde_json::to_value(&s.inspection).unwrap_or_default(),
        };
        if let Err(e) = photo::keep(state, s).await {
            for (_, rest) in staged {
                photo::discard(state, rest).await;
            }
            return Err(e);
        }
        parts.push(row);
    }

    let expected: Vec<String> = attachments.iter().map(|(_, f)| f.clone()).collect();
    let mut tx = state.pool.begin().await?;
    db::openrosa::insert(
        &mut tx,
        &db::openrosa::NewSubmission {
            instance_id: id,
            surveyor_id: user.id,
            kecamatan_kode: &kecamatan.to_string(),
            form_id: &submission.form_id,
            form_version: submission.form_version.as_deref(),
            xml: &xml_text,
            xml_sha256,
            deprecated_id: submission.deprecated_id,
            attachments_expected: &expected,
        },
    )
    .await?;
    let Some(existing) = db::openrosa::lock(&mut tx, id).await? else {
        return Err(anyhow::anyhow!("submission {id} vanished").into());
    };
    if existing.xml_sha256 != xml_sha256 || existing.surveyor_id != user.id {
        // Another POST got in first with another form (between the check above and now).
        return Err(xml_conflict(id));
    }
    for part in &parts {
        db::openrosa::insert_attachment(&mut tx, id, part).await?;
    }
    let present = db::openrosa::attachments(&mut tx, id).await?;
    tx.commit().await?;

    let by_name: HashMap<&str, &db::openrosa::AttachmentRow> =
        present.iter().map(|a| (a.filename.as_str(), a)).collect();
    let mut missing: Vec<String> = existing
        .attachments_expected
        .iter()
        .filter(|f| !by_name.contains_key(f.as_str()))
        .cloned()
        .collect();
    if !missing.is_empty() {
        missing.sort();
        if incomplete {
            return Ok(Received::Waiting { missing });
        }
        tracing::warn!(survey = %id, ?missing, "OpenRosa submission ended without some photos; stored with the others");
    }

    // The survey, with its photos in the form's order (one file sent for two questions is one
    // photo).
    let mut photos: Vec<PhotoManifestEntry> = Vec::new();
    for (field, file) in &attachments {
        let Some(a) = by_name.get(file.as_str()) else {
            continue;
        };
        if photos.iter().any(|p| p.sha256 == a.sha256) {
            continue;
        }
        photos.push(PhotoManifestEntry {
            sha256: a.sha256.clone(),
            bytes: u64::try_from(a.bytes).unwrap_or(0),
            content_type: a.content_type.clone(),
            caption: Some((*field).to_owned()),
        });
    }
    let record = submission.to_record(photos.clone(), supersedes)?;
    let new = match super::survey::store(state, user, id, super::survey::check(record)?).await? {
        super::survey::Stored::Created(_) => true,
        super::survey::Stored::Repeat(_) => false,
    };
    // Attaching is idempotent, so a POST after a crash between the two steps completes it.
    let mut attached = std::collections::HashSet::new();
    for a in &present {
        if !photos.iter().any(|p| p.sha256 == a.sha256) || !attached.insert(a.sha256.as_str()) {
            continue;
        }
        let inspection: db::survey::ReceivedPhoto =
            serde_json::from_value(a.inspection.clone()).map_err(anyhow::Error::from)?;
        let sha = survey_schema::Sha256::parse(&a.sha256).map_err(anyhow::Error::from)?;
        photo::attach_kept(state, &user.actor(), id, &sha, &inspection).await?;
    }
    let mut conn = state.pool.acquire().await?;
    db::openrosa::mark_stored(&mut conn, id).await?;
    drop(conn);
    if new {
        tracing::info!(survey = %id, photos = attached.len(), "OpenRosa submission stored");
    }
    Ok(Received::Complete { survey: id, new })
}
