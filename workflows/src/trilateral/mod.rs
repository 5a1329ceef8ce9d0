//! The trilateral desk: each kecamatan's approved proposals side by side with the agencies' Renja,
//! matched (geo-rules::trilateral), with the gaps in volume and rupiah, totals per agency and per
//! kecamatan, and the desk's outcomes. Every adapter (the JSON API, the exports, the web page, the
//! CLI) reads the desk through [`desk`] and writes through [`record`].

pub mod choose;
pub mod export;
pub mod record;
pub mod register;

use std::collections::{BTreeMap, HashMap};

use geo_rules::trilateral::{
    Coverage, Evidence, MatchBasis, MatchParams, Override, PlaceAgreement, ProposalSide, RenjaSide,
    match_all,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use survey_schema::{Role, WilayahKode};
use utoipa::ToSchema;

use crate::db;
use crate::refusal::{Message, WorkflowError, refuse};
use register::Register;
use tinjau_domain::CurrentUser;

/// Which part of the desk to show.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DeskQuery {
    pub tahun: i32,
    /// A kota (`31.71`); default: the caller's area.
    pub kota: Option<WilayahKode>,
    pub kecamatan: Option<WilayahKode>,
    /// An agency's register kode.
    pub opd: Option<String>,
    /// Metres within which a line's point or line and a proposal's pin are at one place
    /// (default 250).
    pub max_distance_m: Option<f64>,
}

/// The largest distance a desk may ask for, metres: beyond it "the same place" means little.
pub const MAX_DISTANCE_M: f64 = 5_000.0;

/// The agency a row is for.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OpdBrief {
    pub kode: String,
    pub nama: String,
    pub singkatan: Option<String>,
}

/// The proposal side of a row.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProposalBrief {
    pub id: i64,
    pub kelurahan_kode: String,
    pub kelurahan: String,
    pub kecamatan_kode: String,
    pub kecamatan: String,
    pub rw: Option<String>,
    pub usulan: String,
    pub lokasi: Option<String>,
    pub skpd_tujuan: Option<String>,
    /// The approved volume (the camat's corrected one when set).
    #[schema(value_type = String, example = "120")]
    pub volume: Decimal,
    pub satuan: String,
    /// Normalised unit (m, m2, m3, unit, ...).
    pub unit: Option<String>,
    /// The approved cost, whole rupiah.
    pub rupiah: i64,
}

/// A Renja line.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RenjaView {
    pub id: i64,
    pub opd_kode: String,
    pub kode_sub_kegiatan: String,
    pub nama_sub_kegiatan: String,
    pub uraian: Option<String>,
    pub indikator: Option<String>,
    #[schema(value_type = Option<String>)]
    pub target: Option<Decimal>,
    pub satuan: Option<String>,
    pub unit: Option<String>,
    pub kelurahan_kode: Option<String>,
    pub kelurahan: Option<String>,
    pub kecamatan_kode: Option<String>,
    pub kecamatan: Option<String>,
    pub lokasi: Option<String>,
    /// Pagu indikatif, whole rupiah.
    pub pagu: i64,
}

/// Why a line was matched to a proposal.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EvidenceView {
    /// `code`, `name`, `fuzzy` or `override`.
    pub basis: String,
    /// `same_kelurahan`, `near`, `kecamatan` or `none`.
    pub place: String,
    /// Metres from the proposal's pin to the line's point or line.
    pub distance_m: Option<f64>,
    /// Text similarity 0–1.
    pub similarity: f64,
    pub same_activity: Option<bool>,
    pub same_unit: bool,
    /// Both name the same RW (and RT where both name one).
    pub same_rt_rw: bool,
    /// The fields that agreed: `agency`, `kode`, `name`, `kelurahan`, `kecamatan`, `distance`,
    /// `rt_rw`, `activity`, `unit`.
    pub agreed: Vec<String>,
    /// One line for a person.
    pub explanation_id: String,
    pub explanation_en: String,
    /// The planner's note when a planner set the match.
    pub override_note: Option<String>,
}

/// One Renja line shared by several proposals (a package): the line's target and pagu are
/// divided among them, so each row's gap is its part of the package's gap.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PackageView {
    /// Every proposal the line is linked to, this one included.
    pub proposals: Vec<i64>,
    /// This proposal's part of the line's target, in the line's unit (when the units compare).
    #[schema(value_type = Option<String>)]
    pub target_share: Option<Decimal>,
    /// This proposal's part of the line's pagu, whole rupiah.
    pub pagu_share: i64,
}

/// The desk's outcome for a row.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutcomeView {
    /// diterima, diterima_dengan_perubahan, digabungkan, ditolak, di_luar_kewenangan.
    pub outcome: String,
    #[schema(value_type = Option<String>)]
    pub agreed_volume: Option<Decimal>,
    pub agreed_pagu: Option<i64>,
    pub merged_into: Option<i64>,
    pub renja_item_id: Option<i64>,
    pub note: Option<String>,
    pub decided_by: String,
    pub decided_role: String,
    pub decided_at: chrono::DateTime<chrono::Utc>,
    /// Recorded before the proposal's kecamatan sent its list (Kirim): the proposal may still
    /// change, so the outcome is provisional.
    pub provisional: bool,
}

/// One approved proposal at the desk.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeskRow {
    pub proposal: ProposalBrief,
    pub opd: Option<OpdBrief>,
    /// Why the row has no agency (its SKPD tujuan is unknown or names several).
    pub opd_problem: Option<String>,
    /// `covered` (already planned: double-funding risk), `partial`, `not_planned`.
    pub status: String,
    /// Volume still missing, in the proposal's unit (when the units compare).
    #[schema(value_type = Option<String>)]
    pub gap_volume: Option<Decimal>,
    /// Rupiah still missing (partial: proposal minus pagu; not planned: the whole estimated cost).
    pub gap_rupiah: i64,
    pub renja: Option<RenjaView>,
    pub evidence: Option<EvidenceView>,
    /// Set when a planner linked the row's Renja line to several proposals: this row's part of it.
    pub package: Option<PackageView>,
    pub outcome: Option<OutcomeView>,
    /// The outcome's version, the ETag a `PUT` sends in `If-Match` (0: none yet).
    pub outcome_version: i32,
}

/// Sums over a group of rows.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Totals {
    pub proposals: usize,
    pub covered: usize,
    pub partial: usize,
    pub not_planned: usize,
    /// The approved proposals' cost, rupiah.
    pub proposals_rupiah: i64,
    /// The pagu of the Renja lines matched to them, rupiah.
    pub matched_pagu: i64,
    /// What is missing: the partial rows' gaps and the not-planned rows' costs, rupiah.
    pub gap_rupiah: i64,
    /// Rows with a desk outcome.
    pub decided: usize,
}

/// Totals of one agency or one kecamatan.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupTotals {
    pub kode: String,
    pub nama: String,
    #[serde(flatten)]
    pub totals: Totals,
    /// All the agency's Renja pagu in view (matched or not), rupiah; for kecamatan, the lines there.
    pub renja_pagu: i64,
    /// For a kecamatan: whether its list was sent (Kirim) and is locked; until then its approved
    /// proposals may still change.
    pub sent: Option<bool>,
}

/// The desk.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Desk {
    pub tahun: i32,
    /// The area matched (a kota code, or empty: everything).
    pub kota: String,
    pub max_distance_m: f64,
    pub min_similarity: f64,
    pub rows: Vec<DeskRow>,
    /// Renja lines no proposal matches (within the view).
    pub unmatched_renja: Vec<RenjaView>,
    pub per_opd: Vec<GroupTotals>,
    pub per_kecamatan: Vec<GroupTotals>,
    pub total: Totals,
}

/// Who may read the desk, and which agencies' rows they see.
#[derive(Debug)]
pub struct DeskScope {
    /// `None`: every agency (Bappeda, admin, camat).
    pub opd: Option<i64>,
}

/// The caller's part of the desk: opd-role accounts of one agency see theirs; Bappeda (opd-role
/// without an agency), camat (their kecamatan) and admin see all agencies.
pub async fn scope_of(pool: &PgPool, user: &CurrentUser) -> Result<DeskScope, WorkflowError> {
    user.require_role(&[Role::Opd, Role::Camat, Role::Admin])?;
    let opd = match (user.role, user.id) {
        (Role::Opd, Some(id)) => db::opd::of_member(pool, id).await?,
        _ => None,
    };
    Ok(DeskScope { opd })
}

/// The kota a view is matched within: the narrowest of the query's and the caller's area. A camat
/// may ask for the kota their kecamatan lies in (and sees their part of it).
fn kota_of(user: &CurrentUser, query: &DeskQuery) -> Result<String, WorkflowError> {
    for area in [query.kecamatan.as_ref(), query.kota.as_ref()]
        .into_iter()
        .flatten()
    {
        if !user.scope.as_ref().is_some_and(|s| area.contains(s)) {
            user.require_covers(area)?;
        }
    }
    let wanted = query
        .kecamatan
        .as_ref()
        .or(query.kota.as_ref())
        .or(user.scope.as_ref());
    Ok(wanted.map_or_else(String::new, |k| {
        k.as_str().split('.').take(2).collect::<Vec<_>>().join(".")
    }))
}

fn basis_name(b: MatchBasis) -> &'static str {
    match b {
        MatchBasis::Code => "code",
        MatchBasis::Name => "name",
        MatchBasis::Fuzzy => "fuzzy",
        MatchBasis::Override => "override",
    }
}

fn place_name(p: PlaceAgreement) -> &'static str {
    match p {
        PlaceAgreement::SameKelurahan => "same_kelurahan",
        PlaceAgreement::Near => "near",
        PlaceAgreement::Kecamatan => "kecamatan",
        PlaceAgreement::None => "none",
    }
}

fn explain(e: &Evidence, override_note: Option<String>) -> EvidenceView {
    let mut agreed = vec!["agency".to_owned()];
    let (basis_id, basis_en) = match e.basis {
        MatchBasis::Code => {
            agreed.push("kode".into());
            (
                "kode kegiatan sama".to_owned(),
                "same activity code".to_owned(),
            )
        }
        MatchBasis::Name => {
            agreed.push("name".into());
            ("nama sama persis".to_owned(), "same name".to_owned())
        }
        MatchBasis::Fuzzy => (
            format!("nama mirip ({:.0}%)", e.similarity * 100.0),
            format!("similar name ({:.0}%)", e.similarity * 100.0),
        ),
        MatchBasis::Override => (
            "ditetapkan perencana".to_owned(),
            "set by a planner".to_owned(),
        ),
    };
    let (place_id, place_en) = match e.place {
        PlaceAgreement::SameKelurahan => {
            agreed.push("kelurahan".into());
            ("kelurahan sama".to_owned(), "same kelurahan".to_owned())
        }
        PlaceAgreement::Near => {
            agreed.push("distance".into());
            let d = e.distance_m.unwrap_or_default();
            (format!("berjarak {d:.0} m"), format!("{d:.0} m apart"))
        }
        PlaceAgreement::Kecamatan => {
            agreed.push("kecamatan".into());
            (
                "kegiatan sekecamatan".to_owned(),
                "kecamatan-wide line".to_owned(),
            )
        }
        PlaceAgreement::None => ("lokasi berbeda".to_owned(), "other place".to_owned()),
    };
    if e.same_rt_rw {
        agreed.push("rt_rw".into());
    }
    if e.same_activity == Some(true) {
        agreed.push("activity".into());
    }
    if e.same_unit {
        agreed.push("unit".into());
    }
    let distance = match (e.place, e.distance_m) {
        (PlaceAgreement::Near, _) | (_, None) => String::new(),
        (_, Some(d)) => format!(", {d:.0} m"),
    };
    let (rt_rw_id, rt_rw_en) = if e.same_rt_rw {
        (", RT/RW sama", ", same RT/RW")
    } else {
        ("", "")
    };
    EvidenceView {
        basis: basis_name(e.basis).into(),
        place: place_name(e.place).into(),
        distance_m: e.distance_m.map(|d| (d * 10.0).round() / 10.0),
        similarity: (e.similarity * 100.0).round() / 100.0,
        same_activity: e.same_activity,
        same_unit: e.same_unit,
        same_rt_rw: e.same_rt_rw,
        agreed,
        explanation_id: format!("{basis_id}, {place_id}{rt_rw_id}{distance}"),
        explanation_en: format!("{basis_en}, {place_en}{rt_rw_en}{distance}"),
        override_note,
    }
}

/// A nomenclature code a proposal's program text names (`1.03.10.2.01.0001 Pembangunan ...`).
fn code_in(text: Option<&str>) -> Option<String> {
    text?.split_whitespace().find_map(|w| {
        let w = w.trim_matches(|c: char| !c.is_ascii_alphanumeric());
        let segments: Vec<&str> = w.split('.').collect();
        // Kegiatan (5 segments) or sub-kegiatan (6): a program code names too much work to say
        // which line takes a proposal up.
        (segments.len() >= 5
            && segments
                .iter()
                .all(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit())))
        .then(|| w.to_owned())
    })
}

/// Everything the matching needs for one kota and year, loaded once.
#[derive(Debug)]
pub struct Loaded {
    pub register: Register,
    pub proposals: Vec<db::trilateral::ApprovedProposal>,
    pub lines: Vec<db::trilateral::RenjaLine>,
    pub overrides: Vec<(i64, Option<i64>, String, String)>,
    pub outcomes: Vec<db::trilateral::OutcomeRow>,
    /// Kecamatan whose list of the year is sent (Kirim).
    pub sent: std::collections::HashSet<String>,
}

/// Loads the approved proposals, the Renja, overrides and outcomes of a kota and year.
pub async fn load(pool: &PgPool, tahun: i32, kota: &str) -> Result<Loaded, WorkflowError> {
    let register = Register::new(db::opd::all(pool).await?);
    let proposals = db::trilateral::approved(pool, tahun, kota).await?;
    let lines = db::trilateral::lines(pool, tahun, kota).await?;
    let ids: Vec<i64> = proposals.iter().map(|p| p.id).collect();
    let overrides = db::trilateral::overrides(pool, &ids).await?;
    let outcomes = db::trilateral::outcomes(pool, &ids).await?;
    let sent = db::trilateral::sent_kecamatan(pool, tahun).await?;
    Ok(Loaded {
        register,
        proposals,
        lines,
        overrides,
        outcomes,
        sent,
    })
}

/// The desk as `user` may see it.
pub async fn desk(
    pool: &PgPool,
    user: &CurrentUser,
    query: &DeskQuery,
) -> Result<Desk, WorkflowError> {
    let scope = scope_of(pool, user).await?;
    let kota = kota_of(user, query)?;
    let loaded = load(pool, query.tahun, &kota).await?;
    let mut params = MatchParams::default();
    if let Some(d) = query.max_distance_m {
        if !(0.0..=MAX_DISTANCE_M).contains(&d) {
            return refuse(Message::InvalidDistance {
                max: MAX_DISTANCE_M.to_string(),
            });
        }
        params.max_distance_m = d;
    }
    let opd_filter = match &query.opd {
        None => None,
        Some(kode) => match loaded.register.by_kode(kode) {
            Some(id) => Some(id),
            None => {
                return refuse(Message::AgencyNotFound { kode: kode.clone() });
            }
        },
    };
    if let (Some(mine), Some(wanted)) = (scope.opd, opd_filter)
        && mine != wanted
    {
        return refuse(Message::PlansForOtherAgency {});
    }
    let view = View {
        opd: scope.opd.or(opd_filter),
        kecamatan: query.kecamatan.clone(),
        user,
    };
    Ok(build(query.tahun, kota, &loaded, &params, &view))
}

/// Which rows a caller sees.
struct View<'a> {
    opd: Option<i64>,
    kecamatan: Option<WilayahKode>,
    user: &'a CurrentUser,
}

impl View<'_> {
    /// A proposal's or a line's place (a kelurahan or kecamatan code) is in the view and the
    /// caller's area.
    fn shows_place(&self, code: &WilayahKode) -> bool {
        self.kecamatan
            .as_ref()
            .is_none_or(|k| k == code || k.contains(code))
            && self.user.covers(code)
    }

    /// A Renja line of an agency in view, at a place in view; a line for a whole kota (no
    /// kecamatan) is shown, when no kecamatan is asked for, to those whose area holds the agency's
    /// (the province's agencies: to those who see everything).
    fn shows_line(&self, line: &db::trilateral::RenjaLine, register: &Register) -> bool {
        if self.opd.is_some_and(|o| o != line.opd_id) {
            return false;
        }
        if let Some(place) = line
            .kelurahan_kode
            .as_deref()
            .or(line.kecamatan_kode.as_deref())
        {
            return WilayahKode::parse(place).is_ok_and(|place| self.shows_place(&place));
        }
        let agency_area = register
            .get(line.opd_id)
            .and_then(|o| o.kota_kode.as_deref())
            .and_then(|k| WilayahKode::parse(k).ok());
        self.kecamatan.is_none()
            && match agency_area {
                Some(area) => self.user.covers(&area),
                None => self.user.scope.is_none(),
            }
    }
}

/// The matching's inputs from what was loaded: proposals (with their agency resolved, or why
/// not), Renja lines and the planners' overrides.
struct Inputs {
    resolved: Vec<Result<usize, String>>,
    sides: Vec<ProposalSide>,
    renja: Vec<RenjaSide>,
    overrides: HashMap<i64, Override>,
}

fn inputs(loaded: &Loaded) -> Inputs {
    let resolved: Vec<Result<usize, String>> = loaded
        .proposals
        .iter()
        .map(|p| {
            loaded
                .register
                .resolve(p.skpd_tujuan.as_deref(), p.kelurahan_kode.as_str())
        })
        .collect();
    let sides: Vec<ProposalSide> = loaded
        .proposals
        .iter()
        .zip(&resolved)
        .map(|(p, opd)| ProposalSide {
            id: p.id,
            opd: opd.as_ref().ok().map(|&i| loaded.register.rows[i].id),
            kelurahan: p.kelurahan_kode.to_string(),
            kecamatan: p.kecamatan_kode.to_string(),
            pin: p.lon.zip(p.lat).map(|(lon, lat)| [lon, lat]),
            activity: p.activity_code.clone(),
            code: code_in(p.program.as_deref()),
            rw: p.rw.clone(),
            text: match &p.lokasi {
                Some(l) => format!("{} {l}", p.usulan),
                None => p.usulan.clone(),
            },
            volume: p.volume,
            unit: p.unit.clone(),
            rupiah: p.rupiah,
        })
        .collect();
    let renja: Vec<RenjaSide> = loaded
        .lines
        .iter()
        .map(|r| RenjaSide {
            id: r.id,
            opd: r.opd_id,
            kelurahan: r.kelurahan_kode.clone(),
            kecamatan: r.kecamatan_kode.clone(),
            geometry: r.xs.iter().zip(&r.ys).map(|(x, y)| [*x, *y]).collect(),
            activity: r.activity_code.clone(),
            code: r.kode_sub_kegiatan.clone(),
            texts: [
                r.uraian.clone(),
                Some(r.nama_sub_kegiatan.clone()),
                r.indikator.clone(),
            ]
            .into_iter()
            .flatten()
            .collect(),
            target: r.target,
            unit: r.unit.clone(),
            pagu: r.pagu,
        })
        .collect();
    let overrides: HashMap<i64, Override> = loaded
        .overrides
        .iter()
        .map(|(p, line, _, _)| (*p, line.map_or(Override::NoLine, Override::Line)))
        .collect();
    Inputs {
        resolved,
        sides,
        renja,
        overrides,
    }
}

/// The city's matching over what was loaded, with the default thresholds.
pub fn match_loaded(loaded: &Loaded) -> geo_rules::trilateral::Matching {
    let i = inputs(loaded);
    match_by_kota(loaded, &i, &MatchParams::default())
}

/// The last matchings made, by the digest of their inputs: a desk of 10,000 proposals is read a
/// page at a time, and the matching (most of its cost) is the same for every page until a proposal,
/// a Renja line or a planner's link changes, which changes the digest. Per process; a few entries.
static MATCHINGS: std::sync::Mutex<
    Vec<([u8; 32], std::sync::Arc<geo_rules::trilateral::Matching>)>,
> = std::sync::Mutex::new(Vec::new());

/// Forgets the matchings kept (for a benchmark of the first view).
pub fn forget_matchings() {
    MATCHINGS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clear();
}

/// How many matchings [`MATCHINGS`] keeps (a handful of kota and years being worked on at once).
const KEPT_MATCHINGS: usize = 8;

/// The digest of everything a matching depends on: the proposals, the lines, the links, the
/// thresholds (and the kota each line is grouped in).
fn digest(loaded: &Loaded, i: &Inputs, params: &MatchParams) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(format!("{params:?}"));
    for p in &i.sides {
        h.update(format!("{p:?}"));
    }
    for r in &i.renja {
        h.update(format!("{r:?}"));
        h.update(kota_of_line(loaded, r));
    }
    let mut links: Vec<(&i64, &Override)> = i.overrides.iter().collect();
    links.sort_by_key(|(p, _)| **p);
    h.update(format!("{links:?}"));
    h.finalize().into()
}

/// The kota a line is matched within: its kecamatan's, or its agency's.
fn kota_of_line(loaded: &Loaded, r: &RenjaSide) -> String {
    r.kecamatan
        .as_deref()
        .map(|k| k[..5.min(k.len())].to_owned())
        .or_else(|| loaded.register.get(r.opd).and_then(|o| o.kota_kode.clone()))
        .unwrap_or_default()
}

/// [`match_by_kota`], or the same matching made before from the same inputs.
fn matching_of(
    loaded: &Loaded,
    i: &Inputs,
    params: &MatchParams,
) -> std::sync::Arc<geo_rules::trilateral::Matching> {
    let key = digest(loaded, i, params);
    let kept = |cache: &mut Vec<([u8; 32], std::sync::Arc<geo_rules::trilateral::Matching>)>| {
        cache
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, m)| m.clone())
    };
    // A poisoned lock only means another request panicked while holding it: the list is whole.
    if let Some(m) = kept(
        &mut MATCHINGS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    ) {
        return m;
    }
    let made = std::sync::Arc::new(match_by_kota(loaded, i, params));
    let mut cache = MATCHINGS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if kept(&mut cache).is_none() {
        if cache.len() >= KEPT_MATCHINGS {
            cache.remove(0);
        }
        cache.push((key, made.clone()));
    }
    made
}

/// Matches each kota on its own (its agencies serve it, and the words' weights are its texts'), so
/// that a proposal's match does not depend on how wide a view is asked for. The result is in the
/// proposals' order.
fn match_by_kota(
    loaded: &Loaded,
    i: &Inputs,
    params: &MatchParams,
) -> geo_rules::trilateral::Matching {
    let mut groups: BTreeMap<String, (Vec<ProposalSide>, Vec<RenjaSide>)> = BTreeMap::new();
    for p in &i.sides {
        let kota = p.kecamatan[..5.min(p.kecamatan.len())].to_owned();
        groups.entry(kota).or_default().0.push(p.clone());
    }
    for r in &i.renja {
        groups
            .entry(kota_of_line(loaded, r))
            .or_default()
            .1
            .push(r.clone());
    }
    let mut by_proposal: HashMap<i64, geo_rules::trilateral::ProposalMatch> = HashMap::new();
    let mut unmatched_renja = Vec::new();
    for (proposals, lines) in groups.values() {
        let m = match_all(proposals, lines, params, &i.overrides);
        by_proposal.extend(m.proposals.into_iter().map(|p| (p.proposal_id, p)));
        unmatched_renja.extend(m.unmatched_renja);
    }
    geo_rules::trilateral::Matching {
        proposals: i
            .sides
            .iter()
            .filter_map(|p| by_proposal.remove(&p.id))
            .collect(),
        unmatched_renja,
    }
}

#[allow(
    clippy::too_many_lines,
    reason = "one pass from the loaded rows to the view"
)]
fn build(tahun: i32, kota: String, loaded: &Loaded, params: &MatchParams, view: &View<'_>) -> Desk {
    let prepared = inputs(loaded);
    let matching = matching_of(loaded, &prepared, params);
    let resolved = prepared.resolved;
    let override_notes: HashMap<i64, String> = loaded
        .overrides
        .iter()
        .map(|(p, _, note, by)| (*p, format!("{note} ({by})")))
        .collect();

    let line_by_id: HashMap<i64, &db::trilateral::RenjaLine> =
        loaded.lines.iter().map(|l| (l.id, l)).collect();
    let outcome_of: HashMap<i64, &db::trilateral::OutcomeRow> =
        loaded.outcomes.iter().map(|o| (o.proposal_id, o)).collect();
    let opd_brief = |id: i64| {
        loaded.register.get(id).map(|o| OpdBrief {
            kode: o.kode.clone(),
            nama: o.nama.clone(),
            singkatan: o.singkatan.clone(),
        })
    };
    let renja_view = |l: &db::trilateral::RenjaLine| renja_view(loaded, l);

    let mut rows = Vec::new();
    for ((p, opd), m) in loaded
        .proposals
        .iter()
        .zip(&resolved)
        .zip(&matching.proposals)
    {
        let opd_id = opd.as_ref().ok().map(|&i| loaded.register.rows[i].id);
        if view.opd.is_some() && opd_id != view.opd {
            continue;
        }
        if !view.shows_place(&p.kelurahan_kode) {
            continue;
        }
        let (status, gap_volume, gap_rupiah) = match &m.coverage {
            Coverage::Covered => ("covered", None, 0),
            Coverage::Partial {
                gap_volume,
                gap_rupiah,
            } => ("partial", *gap_volume, *gap_rupiah),
            Coverage::NotPlanned { estimated_rupiah } => ("not_planned", None, *estimated_rupiah),
        };
        let outcome = outcome_of.get(&p.id);
        rows.push(DeskRow {
            proposal: ProposalBrief {
                id: p.id,
                kelurahan_kode: p.kelurahan_kode.to_string(),
                kelurahan: p.kelurahan.clone(),
                kecamatan_kode: p.kecamatan_kode.to_string(),
                kecamatan: p.kecamatan.clone(),
                rw: p.rw.clone(),
                usulan: p.usulan.clone(),
                lokasi: p.lokasi.clone(),
                skpd_tujuan: p.skpd_tujuan.clone(),
                volume: p.volume.normalize(),
                satuan: p.satuan.clone(),
                unit: p.unit.clone(),
                rupiah: p.rupiah,
            },
            opd: opd_id.and_then(opd_brief),
            opd_problem: opd.as_ref().err().cloned(),
            status: status.into(),
            gap_volume: gap_volume.map(|g| g.normalize()),
            gap_rupiah,
            renja: m
                .renja_id
                .and_then(|id| line_by_id.get(&id))
                .map(|l| renja_view(l)),
            evidence: m.evidence.as_ref().map(|e| {
                explain(
                    e,
                    (e.basis == MatchBasis::Override)
                        .then(|| override_notes.get(&p.id).cloned())
                        .flatten(),
                )
            }),
            package: m.package.as_ref().map(|k| PackageView {
                proposals: k.proposals.clone(),
                target_share: k.target_share,
                pagu_share: k.pagu_share,
            }),
            outcome: outcome.map(|o| OutcomeView {
                outcome: o.outcome.clone(),
                agreed_volume: o.agreed_volume.map(|v| v.normalize()),
                agreed_pagu: o.agreed_pagu,
                merged_into: o.merged_into,
                renja_item_id: o.renja_item_id,
                note: o.note.clone(),
                decided_by: o.decided_by_name.clone(),
                decided_role: o.decided_role.clone(),
                decided_at: o.decided_at,
                provisional: !loaded.sent.contains(p.kecamatan_kode.as_str()),
            }),
            outcome_version: outcome.map_or(0, |o| o.version),
        });
    }
    let unmatched: Vec<&db::trilateral::RenjaLine> = matching
        .unmatched_renja
        .iter()
        .filter_map(|id| line_by_id.get(id).copied())
        .filter(|l| view.shows_line(l, &loaded.register))
        .collect();

    // Totals.
    let mut total = Totals::default();
    let mut per_opd: BTreeMap<String, GroupTotals> = BTreeMap::new();
    let mut per_kecamatan: BTreeMap<String, GroupTotals> = BTreeMap::new();
    for row in &rows {
        let add = |t: &mut Totals| {
            t.proposals += 1;
            match row.status.as_str() {
                "covered" => t.covered += 1,
                "partial" => t.partial += 1,
                _ => t.not_planned += 1,
            }
            t.proposals_rupiah += row.proposal.rupiah;
            // A shared line counts once: each row of its package adds its part.
            t.matched_pagu += match (&row.package, &row.renja) {
                (Some(k), _) => k.pagu_share,
                (None, r) => r.as_ref().map_or(0, |r| r.pagu),
            };
            t.gap_rupiah += row.gap_rupiah;
            t.decided += usize::from(row.outcome.is_some());
        };
        add(&mut total);
        let (kode, nama) = row.opd.as_ref().map_or(("-", "(OPD tidak dikenal)"), |o| {
            (o.kode.as_str(), o.nama.as_str())
        });
        add(&mut entry(&mut per_opd, kode, nama).totals);
        add(&mut entry(
            &mut per_kecamatan,
            &row.proposal.kecamatan_kode,
            &row.proposal.kecamatan,
        )
        .totals);
    }
    let in_view = loaded
        .lines
        .iter()
        .filter(|l| view.shows_line(l, &loaded.register));
    for line in in_view {
        if let Some(o) = loaded.register.get(line.opd_id) {
            entry(&mut per_opd, &o.kode, &o.nama).renja_pagu += line.pagu;
        }
        if let (Some(k), Some(n)) = (&line.kecamatan_kode, &line.kecamatan) {
            entry(&mut per_kecamatan, k, n).renja_pagu += line.pagu;
        }
    }
    Desk {
        tahun,
        kota,
        max_distance_m: params.max_distance_m,
        min_similarity: params.min_similarity,
        rows,
        unmatched_renja: unmatched.into_iter().map(renja_view).collect(),
        per_opd: per_opd.into_values().collect(),
        per_kecamatan: per_kecamatan
            .into_values()
            .map(|mut g| {
                g.sent = Some(loaded.sent.contains(&g.kode));
                g
            })
            .collect(),
        total,
    }
}

/// A stored line as the desk shows it.
fn renja_view(loaded: &Loaded, l: &db::trilateral::RenjaLine) -> RenjaView {
    RenjaView {
        id: l.id,
        opd_kode: loaded
            .register
            .get(l.opd_id)
            .map(|o| o.kode.clone())
            .unwrap_or_default(),
        kode_sub_kegiatan: l.kode_sub_kegiatan.clone(),
        nama_sub_kegiatan: l.nama_sub_kegiatan.clone(),
        uraian: l.uraian.clone(),
        indikator: l.indikator.clone(),
        target: l.target,
        satuan: l.satuan_raw.clone(),
        unit: l.unit.clone(),
        kelurahan_kode: l.kelurahan_kode.clone(),
        kelurahan: l.kelurahan.clone(),
        kecamatan_kode: l.kecamatan_kode.clone(),
        kecamatan: l.kecamatan.clone(),
        lokasi: l.lokasi.clone(),
        pagu: l.pagu,
    }
}

fn entry<'m>(
    map: &'m mut BTreeMap<String, GroupTotals>,
    kode: &str,
    nama: &str,
) -> &'m mut GroupTotals {
    map.entry(kode.to_owned()).or_insert_with(|| GroupTotals {
        kode: kode.to_owned(),
        nama: nama.to_owned(),
        totals: Totals::default(),
        renja_pagu: 0,
        sent: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_inputs_are_matched_once_and_other_thresholds_again() {
        let loaded = Loaded {
            register: Register::new(Vec::new()),
            proposals: Vec::new(),
            lines: Vec::new(),
            overrides: vec![(41, None, "tidak ada".into(), "perencana".into())],
            outcomes: Vec::new(),
            sent: std::collections::HashSet::new(),
        };
        let i = inputs(&loaded);
        let params = MatchParams::default();
        let first = matching_of(&loaded, &i, &params);
        assert!(std::sync::Arc::ptr_eq(
            &first,
            &matching_of(&loaded, &i, &params)
        ));
        let wider = MatchParams {
            max_distance_m: 1_000.0,
            ..params
        };
        assert!(!std::sync::Arc::ptr_eq(
            &first,
            &matching_of(&loaded, &i, &wider)
        ));
    }

    #[test]
    fn finds_the_nomenclature_code_in_a_program_text() {
        assert_eq!(
            code_in(Some("1.03.10.2.01.0001 Pembangunan Sistem Drainase")).as_deref(),
            Some("1.03.10.2.01.0001")
        );
        assert_eq!(
            code_in(Some("(1.03.10.2.01)")).as_deref(),
            Some("1.03.10.2.01")
        );
        assert_eq!(code_in(Some("Program 1.03.10")), None);
        assert_eq!(code_in(Some("Program 2 tahun 2.5")), None);
        assert_eq!(code_in(None), None);
    }
}
