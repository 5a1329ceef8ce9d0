//! The camat's review (Juknis Musrenbang Kecamatan 2016, C.1.f and D.2): the list of physical
//! proposals with their evidence and anomalies, decisions with reasons, Kirim, the history and the
//! public tracking page. Every adapter (JSON API, CLI, web pages) calls these; none of it knows HTTP.

pub mod bulk;
pub mod decision;
pub mod history;
pub mod kirim;
pub mod public;
pub mod suggest;
pub mod summary;

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;
use sqlx::PgConnection;
use survey_schema::{
    Anomaly, DecidedValues, DecisionStatus, RawPoint, RejectReason, ReviewCounts, ReviewItem,
    ReviewPage, Severity, SurveyBrief, SurveyPhoto, SurveyRecord, SurveyStatus, Unit, WilayahKode,
};
use uuid::Uuid;

use crate::db;
use crate::refusal::{Message, Refusal, WorkflowError, refuse};
use tinjau_domain::CurrentUser;

/// Which proposals of the list to show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewFilter {
    pub kelurahan: Option<WilayahKode>,
    /// An anomaly code the proposal has.
    pub anomaly: Option<String>,
    /// The proposal's most serious anomaly is of this severity (`None` inside: it has none).
    pub severity: Option<Option<Severity>>,
    /// SKPD/UKPD tujuan, compared without case or surrounding spaces.
    pub skpd: Option<String>,
    pub decision: Option<DecisionStatus>,
    pub surveyed: Option<bool>,
}

/// Most items a page of the list holds.
pub const MAX_PER_PAGE: i64 = 500;

/// A page of the list: 1-based, at most [`MAX_PER_PAGE`] per page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: i64,
    pub per_page: i64,
}

impl Paging {
    pub fn parse(page: Option<i64>, per_page: Option<i64>) -> Result<Self, WorkflowError> {
        let (page, per_page) = (page.unwrap_or(1), per_page.unwrap_or(50));
        if page < 1 || !(1..=MAX_PER_PAGE).contains(&per_page) {
            return refuse(Message::InvalidPage { max: MAX_PER_PAGE });
        }
        Ok(Self { page, per_page })
    }
}

/// The decision status a stored proposal shows.
pub fn decision_status(stored: &str, corrected: bool) -> DecisionStatus {
    match stored {
        "approved" if corrected => DecisionStatus::Corrected,
        "approved" => DecisionStatus::Approved,
        "rejected" => DecisionStatus::Rejected,
        _ => DecisionStatus::Undecided,
    }
}

/// What the filter, the counts and the order read of a proposal.
#[derive(Debug, Clone)]
struct Brief {
    id: i64,
    kelurahan: String,
    skpd: Option<String>,
    anggaran: i64,
    decision: DecisionStatus,
    surveyed: bool,
    codes: Vec<String>,
    max_severity: Option<Severity>,
}

impl Brief {
    fn from_row(r: db::review::ReviewSummaryRow) -> Self {
        let max_severity = r.severities.iter().filter_map(|s| Severity::parse(s)).max();
        let mut codes = r.codes;
        codes.sort();
        codes.dedup();
        Self {
            id: r.id,
            kelurahan: r.kelurahan_kode.to_string(),
            skpd: r.skpd_tujuan,
            anggaran: r.anggaran,
            decision: decision_status(&r.decision_status, r.corrected),
            surveyed: r.survey_id.is_some(),
            codes,
            max_severity,
        }
    }

    fn from_item(i: &ReviewItem) -> Self {
        let mut codes: Vec<String> = i.anomalies.iter().map(|a| a.code.clone()).collect();
        codes.sort();
        codes.dedup();
        Self {
            id: i.id,
            kelurahan: i.kelurahan.to_string(),
            skpd: i.skpd_tujuan.clone(),
            anggaran: i.anggaran,
            decision: i.decision,
            surveyed: i.survey.is_some(),
            codes,
            max_severity: i.max_severity,
        }
    }

    fn matches(&self, f: &ReviewFilter) -> bool {
        let norm = |s: &str| s.trim().to_lowercase();
        f.kelurahan
            .as_ref()
            .is_none_or(|k| k.as_str() == self.kelurahan)
            && f.anomaly
                .as_ref()
                .is_none_or(|c| self.codes.iter().any(|x| x == c))
            && f.severity.is_none_or(|s| s == self.max_severity)
            && f.skpd
                .as_ref()
                .is_none_or(|s| self.skpd.as_deref().map(norm) == Some(norm(s)))
            && f.decision.is_none_or(|d| d == self.decision)
            && f.surveyed.is_none_or(|s| s == self.surveyed)
    }
}

/// Most serious first, then the largest budget, then by id.
fn order(a: &Brief, b: &Brief) -> std::cmp::Ordering {
    b.max_severity
        .cmp(&a.max_severity)
        .then(b.anggaran.cmp(&a.anggaran))
        .then(a.id.cmp(&b.id))
}

fn counts(briefs: &[&Brief]) -> ReviewCounts {
    let mut c = ReviewCounts::default();
    for d in DecisionStatus::ALL {
        c.by_decision.insert(d.as_str().to_owned(), 0);
    }
    for b in briefs {
        for code in &b.codes {
            *c.by_code.entry(code.clone()).or_default() += 1;
        }
        let severity = b.max_severity.map_or("none", Severity::as_str);
        *c.by_severity.entry(severity.to_owned()).or_default() += 1;
        *c.by_decision
            .entry(b.decision.as_str().to_owned())
            .or_default() += 1;
    }
    c
}

/// Refuses a caller who may not read the review of `kecamatan`; a lurah reads its own kelurahan
/// only (returned, to narrow the list).
fn readable(
    user: &CurrentUser,
    kecamatan: &WilayahKode,
) -> Result<Option<WilayahKode>, WorkflowError> {
    use survey_schema::Role;
    user.require_role(&[Role::Camat, Role::Lurah, Role::Opd, Role::Admin])?;
    if user.role == Role::Lurah {
        match &user.scope {
            Some(k) if kecamatan.contains(k) => return Ok(Some(k.clone())),
            _ => return Err(tinjau_domain::caller::out_of_scope(kecamatan).into()),
        }
    }
    user.require_covers(kecamatan)?;
    Ok(None)
}

/// Parses a kecamatan code, refusing other levels.
pub fn kecamatan_kode(raw: &str) -> Result<WilayahKode, WorkflowError> {
    kode_of_level(
        "kecamatan",
        raw,
        survey_schema::WilayahLevel::Kecamatan,
        "PP.KK.CC",
    )
}

/// Parses an area code of one level, named `field` in the refusal.
fn kode_of_level(
    field: &str,
    raw: &str,
    wanted: survey_schema::WilayahLevel,
    pattern: &'static str,
) -> Result<WilayahKode, WorkflowError> {
    let kode = WilayahKode::parse(raw).map_err(|e| {
        Refusal::from(Message::InvalidKode {
            field: field.into(),
            detail: e.to_string(),
        })
    })?;
    if kode.level() != wanted {
        return refuse(Message::WrongLevel {
            level: kode.level().to_string(),
            kode,
            wanted: field.into(),
            pattern,
        });
    }
    Ok(kode)
}

/// A review filter as a query string or a page's form writes it, each field still text.
#[derive(Debug, Clone, Copy, Default)]
pub struct FilterWords<'a> {
    pub kelurahan: Option<&'a str>,
    pub anomaly: Option<&'a str>,
    /// `high`, `warning`, `info`, or `none` (no anomaly).
    pub severity: Option<&'a str>,
    pub skpd: Option<&'a str>,
    pub decision: Option<&'a str>,
    pub surveyed: Option<bool>,
}

/// A filter field that says something (blank means no filter).
fn given(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|v| !v.is_empty())
}

impl ReviewFilter {
    /// The filter the API and the review page both read (blank fields filter nothing).
    pub fn parse(words: FilterWords<'_>) -> Result<Self, WorkflowError> {
        let kelurahan = given(words.kelurahan)
            .map(|k| {
                kode_of_level(
                    "kelurahan",
                    k,
                    survey_schema::WilayahLevel::Kelurahan,
                    "PP.KK.CC.VVVV",
                )
            })
            .transpose()?;
        let severity = match given(words.severity) {
            None => None,
            Some("none") => Some(None),
            Some(s) => Some(Some(Severity::parse(s).ok_or_else(|| {
                Refusal::from(Message::InvalidSeverity {
                    given: s.chars().take(40).collect(),
                })
            })?)),
        };
        let decision = given(words.decision)
            .map(|d| {
                DecisionStatus::parse(d).ok_or_else(|| {
                    Refusal::from(Message::InvalidDecisionFilter {
                        given: d.chars().take(40).collect(),
                    })
                })
            })
            .transpose()?;
        Ok(Self {
            kelurahan,
            anomaly: given(words.anomaly).map(str::to_owned),
            severity,
            skpd: given(words.skpd).map(str::to_owned),
            decision,
            surveyed: words.surveyed,
        })
    }
}

/// The review list of a kecamatan and year: filtered, counted over the whole filter, paged. While
/// the list is locked by a Kirim it is the Kirim's snapshot (with the count of late surveys).
pub async fn list(
    conn: &mut PgConnection,
    user: &CurrentUser,
    kecamatan: &WilayahKode,
    tahun: i32,
    filter: &ReviewFilter,
    paging: Paging,
) -> Result<ReviewPage, WorkflowError> {
    let only_kelurahan = readable(user, kecamatan)?;
    let mut filter = filter.clone();
    if let Some(k) = only_kelurahan {
        if filter.kelurahan.as_ref().is_some_and(|f| f != &k) {
            return Err(tinjau_domain::caller::out_of_scope(
                filter.kelurahan.as_ref().unwrap_or(&k),
            )
            .into());
        }
        filter.kelurahan = Some(k);
    }
    let Some(kecamatan_nama) = db::review::wilayah_nama(conn, kecamatan.as_str()).await? else {
        return refuse(Message::KecamatanNotFound {
            kode: kecamatan.clone(),
        });
    };
    let kirim = db::kirim::standing(conn, kecamatan.as_str(), tahun).await?;
    let snapshot_items = match &kirim {
        Some(k) => Some(kirim::snapshot_items(conn, k.id).await?),
        None => None,
    };
    let briefs: Vec<Brief> = match &snapshot_items {
        Some(items) => items.iter().map(Brief::from_item).collect(),
        None => db::review::summary(conn, kecamatan.as_str(), tahun)
            .await?
            .into_iter()
            .map(Brief::from_row)
            .collect(),
    };
    let mut selected: Vec<&Brief> = briefs.iter().filter(|b| b.matches(&filter)).collect();
    selected.sort_by(|a, b| order(a, b));
    let counts = counts(&selected);
    let total = i64::try_from(selected.len()).unwrap_or(i64::MAX);
    let from =
        usize::try_from((paging.page - 1).saturating_mul(paging.per_page)).unwrap_or(usize::MAX);
    let page_ids: Vec<i64> = selected
        .iter()
        .skip(from)
        .take(usize::try_from(paging.per_page).unwrap_or(50))
        .map(|b| b.id)
        .collect();
    let items = match snapshot_items {
        Some(all) => {
            let mut by_id: HashMap<i64, ReviewItem> = all.into_iter().map(|i| (i.id, i)).collect();
            let mut page: Vec<ReviewItem> =
                page_ids.iter().filter_map(|id| by_id.remove(id)).collect();
            let since = kirim.as_ref().map(|k| k.sent_at);
            let late: HashMap<i64, i64> = db::review::survey_counts(conn, &page_ids, since)
                .await?
                .into_iter()
                .map(|(id, _, late)| (id, late))
                .collect();
            for item in &mut page {
                item.late_surveys = late.get(&item.id).copied().unwrap_or(0);
            }
            page
        }
        None => items(conn, &page_ids).await?,
    };
    Ok(ReviewPage {
        kecamatan: kecamatan.clone(),
        kecamatan_nama,
        tahun,
        kirim: kirim.map(kirim::view).transpose()?,
        items,
        page: paging.page,
        per_page: paging.per_page,
        total,
        counts,
    })
}

/// Every physical proposal of the kecamatan and year, whole, in the list's order.
pub async fn all_items(
    conn: &mut PgConnection,
    kecamatan: &WilayahKode,
    tahun: i32,
) -> Result<Vec<ReviewItem>, WorkflowError> {
    let mut briefs: Vec<Brief> = db::review::summary(conn, kecamatan.as_str(), tahun)
        .await?
        .into_iter()
        .map(Brief::from_row)
        .collect();
    briefs.sort_by(order);
    let ids: Vec<i64> = briefs.iter().map(|b| b.id).collect();
    let mut all = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(1000) {
        all.extend(items(conn, chunk).await?);
    }
    Ok(all)
}

/// The review items of these proposals, in this order, with their latest standing survey's evidence,
/// merged anomalies and suggested action.
pub async fn items(conn: &mut PgConnection, ids: &[i64]) -> Result<Vec<ReviewItem>, WorkflowError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = db::review::items(conn, ids).await?;
    let latest = db::survey::latest_standing(conn, ids).await?;
    let survey_ids: Vec<Uuid> = latest.values().copied().collect();
    let briefs: HashMap<i64, db::review::SurveyBriefRow> =
        db::review::survey_briefs(conn, &survey_ids)
            .await?
            .into_iter()
            .map(|s| (s.proposal_id, s))
            .collect();
    let superseded: HashMap<i64, i64> = db::review::survey_counts(conn, ids, None)
        .await?
        .into_iter()
        .map(|(id, superseded, _)| (id, superseded))
        .collect();
    let mut field: HashMap<i64, db::field_work::FieldState> =
        db::field_work::field_states(conn, ids)
            .await?
            .into_iter()
            .map(|f| (f.proposal_id, f))
            .collect();
    let mut anomalies: HashMap<i64, Vec<Anomaly>> = HashMap::new();
    for a in db::review::anomalies(conn, ids, &survey_ids).await? {
        anomalies
            .entry(a.proposal_id)
            .or_default()
            .push(Anomaly::from(a));
    }
    let mut by_id: HashMap<i64, db::review::ReviewItemRow> =
        rows.into_iter().map(|r| (r.id, r)).collect();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(r) = by_id.remove(id) else { continue };
        let survey = briefs.get(id).map(survey_brief).transpose()?;
        let pending = briefs.get(id).is_some_and(|b| b.pending_photos > 0);
        let field = field.remove(id);
        let sent_back = field.as_ref().is_some_and(|f| f.resurvey_reason.is_some());
        let survey_status = match (&survey, pending, sent_back) {
            (Some(_), _, true) => SurveyStatus::SentBack,
            (None, _, _) => SurveyStatus::NotSurveyed,
            (Some(_), true, _) => SurveyStatus::PhotosPending,
            (Some(_), false, _) => SurveyStatus::Checked,
        };
        let list = anomalies.remove(id).unwrap_or_default();
        let suggestion = suggest::suggest(
            &list,
            survey.as_ref(),
            survey_status == SurveyStatus::Checked,
        );
        let decision = decision_status(&r.decision_status, r.decided_volume.is_some());
        let decided = DecidedValues {
            status: decision,
            volume: r.decided_volume.unwrap_or(r.volume).normalize(),
            satuan: r
                .decided_satuan
                .clone()
                .unwrap_or_else(|| r.satuan_raw.clone()),
            unit: r
                .decided_unit
                .as_deref()
                .or(r.unit.as_deref())
                .and_then(Unit::from_code),
            anggaran: r.decided_anggaran.unwrap_or(r.anggaran),
        };
        out.push(ReviewItem {
            id: r.id,
            tahun: r.tahun,
            nomor: r.nomor,
            kelurahan: r.kelurahan_kode.into(),
            kelurahan_nama: r.kelurahan_nama,
            rw: r.rw,
            rt: r.rt,
            permasalahan: r.permasalahan,
            program: r.program,
            usulan: r.usulan,
            lokasi: r.lokasi,
            volume: r.volume.normalize(),
            satuan: r.satuan_raw,
            unit: r.unit.as_deref().and_then(Unit::from_code),
            anggaran: r.anggaran,
            skpd_tujuan: r.skpd_tujuan,
            pin: r.lon.zip(r.lat).map(|(lon, lat)| RawPoint { lat, lon }),
            survey_status,
            superseded_surveys: superseded.get(id).copied().unwrap_or(0),
            late_surveys: 0,
            survey,
            max_severity: list.iter().map(|a| a.severity).max(),
            anomalies: list,
            decision,
            decided,
            reason: r.reason.as_deref().and_then(RejectReason::parse),
            note: r.note,
            decided_by: r.decided_by,
            decided_at: r.decided_at,
            version: r.version,
            suggestion,
            assigned_to: field.as_ref().and_then(|f| f.assigned_to.clone()),
            resurvey_reason: field.and_then(|f| f.resurvey_reason),
        });
    }
    Ok(out)
}

fn survey_brief(row: &db::review::SurveyBriefRow) -> Result<SurveyBrief, WorkflowError> {
    let record: SurveyRecord =
        serde_json::from_value(row.body.clone()).map_err(anyhow::Error::from)?;
    Ok(SurveyBrief {
        id: row.id,
        captured_at: row.captured_at,
        received_at: row.received_at,
        surveyor: row.surveyor.clone(),
        fix: RawPoint {
            lat: row.lat,
            lon: row.lon,
        },
        accuracy_m: row.accuracy_m,
        volume: record.volume.value.normalize(),
        unit: geo_rules::units::normalize_unit(&record.volume.satuan),
        satuan: record.volume.satuan,
        technical_ok: record.technical.ok,
        administrative_ok: record.administrative.ok,
        photo_count: record.photos.len(),
        thumbnails: row
            .received_photos
            .iter()
            .map(|sha| format!("/api/v1/surveys/{}/photos/{sha}/thumbnail", row.id))
            .collect(),
        address_confirmed: record.address_confirmed,
        address_note: record.address_note,
        technical_note: record.technical.note,
        administrative_note: record.administrative.note,
        note: record.note,
        photos: record
            .photos
            .into_iter()
            .map(|p| SurveyPhoto {
                received: row.received_photos.contains(&p.sha256),
                sha256: p.sha256,
                caption: p.caption,
            })
            .collect(),
    })
}

/// The estimated budget at the proposal's unit cost for another volume, in whole rupiah (half
/// rupiah away from zero); `None` on overflow.
///
/// ```
/// use rust_decimal::Decimal;
/// use tinjau_workflows::review::budget_at_unit_cost;
/// // Rp 32,000,000 for 200 m2 is Rp 160,000 per m2: 185.5 m2 cost Rp 29,680,000.
/// assert_eq!(budget_at_unit_cost(32_000_000, Decimal::from(200), Decimal::new(1855, 1)), Some(29_680_000));
/// ```
pub fn budget_at_unit_cost(anggaran: i64, volume: Decimal, new_volume: Decimal) -> Option<i64> {
    use rust_decimal::prelude::ToPrimitive;
    Decimal::from(anggaran)
        .checked_mul(new_volume)?
        .checked_div(volume)?
        .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
}

/// Counts per decision status, for the Berita Acara and the Kirim.
pub fn tally(items: &[ReviewItem]) -> BTreeMap<&'static str, i64> {
    let mut out = BTreeMap::new();
    for d in DecisionStatus::ALL {
        out.insert(d.as_str(), 0);
    }
    for i in items {
        *out.entry(i.decision.as_str()).or_default() += 1;
    }
    out
}

/// The latest year with proposals within an area (the year a page shows when none is asked for).
pub async fn latest_tahun(
    pool: &sqlx::PgPool,
    area: &WilayahKode,
) -> Result<Option<i32>, WorkflowError> {
    Ok(db::review::latest_tahun(pool, area.as_str()).await?)
}

/// What a proposal's map shows of its survey: the EXIF positions of its photos (hash, latitude,
/// longitude) and the traced work, if any.
pub async fn survey_map(
    conn: &mut PgConnection,
    survey: Uuid,
) -> Result<(Vec<(String, f64, f64)>, serde_json::Value), WorkflowError> {
    let mut photos = Vec::new();
    for p in db::survey::received_photos(&mut *conn, survey).await? {
        let exif = p.exif.unwrap_or_default();
        if let (Some(lat), Some(lon)) = (exif["gps_lat"].as_f64(), exif["gps_lon"].as_f64()) {
            photos.push((p.sha256, lat, lon));
        }
    }
    let trace = db::survey::get(conn, survey)
        .await?
        .map_or(serde_json::Value::Null, |row| row.body["trace"].clone());
    Ok((photos, trace))
}
