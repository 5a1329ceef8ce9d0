//! Matching the community's approved proposals with the agencies' Renja lines, for the trilateral
//! desk.
//!
//! A Renja line *addresses* a proposal when it is the same agency's, it is at the same place — the
//! same kelurahan, a kecamatan-wide line of the proposal's kecamatan, or, where both have geometry,
//! within `max_distance_m` metres — and one of, in this order (the order that works on real budget
//! data: code, then exact name, then a fuzzy name with its score):
//! 1. **code**: the proposal names the line's nomenclature code (SIPD writes `1.03.10.2.01.0001` in
//!    its program column), or a kegiatan code the line's sub-kegiatan code starts with;
//! 2. **name**: the proposal's text equals the line's uraian or sub-kegiatan name (normalised);
//! 3. **fuzzy**: the texts are similar (the cosine of their word sets, each word weighted by how
//!    rare it is among the texts matched — a street's name counts, `pemasangan` or `RW` hardly;
//!    at least `min_similarity`), and the catalogue activities do not disagree.
//!
//! Each line takes up at most one proposal: pairs are taken best first (basis, then place, then
//! activity, then similarity), as a desk would link a Renja line to one accepted proposal. A
//! planner's override comes before all of them. Then each proposal is `covered` (the line's target
//! and pagu reach the proposal's volume and cost: already planned, a double-funding risk), `partial`
//! (the gap in volume and in rupiah), or `not_planned` (its estimated cost needs an allocation).

use std::collections::{HashMap, HashSet};

use rust_decimal::Decimal;
use serde::Serialize;

use crate::metric::{geodesic_m, point_segment_m};
use crate::text::comparable;

/// One approved proposal, as the matching sees it.
#[derive(Debug, Clone)]
pub struct ProposalSide {
    pub id: i64,
    /// The agency its SKPD tujuan names (register id), if known.
    pub opd: Option<i64>,
    pub kelurahan: String,
    pub kecamatan: String,
    /// The map pin, `[lon, lat]`.
    pub pin: Option<[f64; 2]>,
    pub activity: Option<String>,
    /// A nomenclature code the proposal names (sub-kegiatan or kegiatan), if any.
    pub code: Option<String>,
    /// The RW the proposal's own column names (`03`), if any: its text may not say.
    pub rw: Option<String>,
    /// Usulan text (with lokasi), as written.
    pub text: String,
    pub volume: Decimal,
    pub unit: Option<String>,
    /// Approved cost, rupiah.
    pub rupiah: i64,
}

/// One Renja line, as the matching sees it.
#[derive(Debug, Clone)]
pub struct RenjaSide {
    pub id: i64,
    pub opd: i64,
    pub kelurahan: Option<String>,
    pub kecamatan: Option<String>,
    /// A point (one vertex) or a line, `[lon, lat]` vertices.
    pub geometry: Vec<[f64; 2]>,
    pub activity: Option<String>,
    pub code: String,
    /// The texts a proposal may be named like: the uraian, the sub-kegiatan name, the indikator.
    pub texts: Vec<String>,
    pub target: Option<Decimal>,
    pub unit: Option<String>,
    /// Pagu indikatif, rupiah.
    pub pagu: i64,
}

/// Thresholds.
#[derive(Debug, Clone, Copy)]
pub struct MatchParams {
    /// Metres between a proposal's pin and a line's geometry within which both are at one place.
    pub max_distance_m: f64,
    /// Least text similarity (0–1) for a fuzzy match.
    pub min_similarity: f64,
}

impl Default for MatchParams {
    fn default() -> Self {
        Self {
            max_distance_m: 250.0,
            min_similarity: 0.5,
        }
    }
}

/// Why a pair matched, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchBasis {
    Fuzzy,
    Name,
    Code,
    /// A planner linked them.
    Override,
}

/// How the places agree, strongest last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaceAgreement {
    /// Only the planner says so.
    None,
    /// The line is for the whole kecamatan.
    Kecamatan,
    /// Within `max_distance_m` of each other.
    Near,
    SameKelurahan,
}

/// The evidence of a match: which fields agreed, the distance, the text similarity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub basis: MatchBasis,
    pub place: PlaceAgreement,
    /// Metres from the proposal's pin to the line's geometry, when both have one.
    pub distance_m: Option<f64>,
    /// Text similarity 0–1 (the best of the line's texts).
    pub similarity: f64,
    /// Both in the same catalogue activity (`None`: one of them is not recognised).
    pub same_activity: Option<bool>,
    /// Target and volume in the same unit, so that the volumes compare.
    pub same_unit: bool,
    /// Both name the same RW (and, where both name one, the same RT): strong evidence of one place.
    pub same_rt_rw: bool,
}

/// What the Renja holds for a proposal.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Coverage {
    /// Target and pagu reach the proposal's: already planned (a double-funding risk).
    Covered,
    /// Planned smaller: what is missing, in the proposal's unit (when the units agree) and rupiah.
    Partial {
        gap_volume: Option<Decimal>,
        gap_rupiah: i64,
    },
    /// Not in the Renja: needs an allocation of the proposal's estimated cost.
    NotPlanned { estimated_rupiah: i64 },
}

/// A planner's decision on one proposal: this line, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Override {
    Line(i64),
    NoLine,
}

/// One Renja line a planner linked to several proposals of its agency (a package of
/// neighbourhood works): the line's target and pagu are shared among them in proportion to their
/// volumes and costs, so that the gaps of the package's proposals add up to the package's gap.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Package {
    /// Every proposal the line is linked to, this one included, by id.
    pub proposals: Vec<i64>,
    /// This proposal's part of the line's target (when the units compare).
    pub target_share: Option<Decimal>,
    /// This proposal's part of the line's pagu, rupiah.
    pub pagu_share: i64,
}

/// The result for one proposal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProposalMatch {
    pub proposal_id: i64,
    pub renja_id: Option<i64>,
    pub evidence: Option<Evidence>,
    pub coverage: Coverage,
    /// Set when the line is shared with other proposals.
    pub package: Option<Package>,
}

/// The whole matching: one entry per proposal (in the input's order) and the lines no proposal
/// took.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Matching {
    pub proposals: Vec<ProposalMatch>,
    pub unmatched_renja: Vec<i64>,
}

/// How much each word says about which proposal a text is for: a word most texts share
/// (`pemasangan`, `jl`, `rw`) little, a street's name much. Smoothed inverse document frequency
/// over the texts being matched.
#[derive(Debug, Default)]
struct Weights {
    df: HashMap<String, usize>,
    docs: usize,
}

impl Weights {
    fn new<'a>(texts: impl Iterator<Item = &'a str>) -> Self {
        let mut w = Self::default();
        for text in texts {
            w.docs += 1;
            let words: HashSet<String> = comparable(text).split(' ').map(str::to_owned).collect();
            for word in words {
                *w.df.entry(word).or_default() += 1;
            }
        }
        w
    }

    #[allow(clippy::cast_precision_loss, reason = "document counts")]
    fn weight(&self, word: &str) -> f64 {
        if self.docs == 0 {
            return 1.0;
        }
        let df = self.df.get(word).copied().unwrap_or(0);
        ((1 + self.docs) as f64 / (1 + df) as f64).ln() + 1.0
    }
}

/// Similarity of two texts: the cosine of their word sets after [`comparable`] normalisation,
/// 0 to 1 (within a matching, words are weighted by how rare they are among its texts).
///
/// ```
/// use geo_rules::trilateral::text_similarity;
/// assert!(text_similarity("Pembangunan saluran Jl. Mawar RW 003", "pembangunan saluran jalan mawar rw 3") > 0.99);
/// assert!(text_similarity("Pemasangan paving block", "Pelatihan menjahit") < 0.3);
/// ```
pub fn text_similarity(a: &str, b: &str) -> f64 {
    let uniform = Weights::default();
    Prepared::new(a, &uniform).similarity(&Prepared::new(b, &uniform))
}

/// A text made ready for many comparisons: normalised once, its words weighted and sorted once.
#[derive(Debug, Clone)]
struct Prepared {
    text: String,
    words: Vec<(String, f64)>,
    norm: f64,
}

impl Prepared {
    fn new(raw: &str, weights: &Weights) -> Self {
        let text = comparable(raw);
        let mut unique: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
        unique.sort_unstable();
        unique.dedup();
        let words: Vec<(String, f64)> = unique
            .into_iter()
            .map(|w| (w.to_owned(), weights.weight(w)))
            .collect();
        let norm = words.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
        Self { text, words, norm }
    }

    /// The weighted cosine of the two word sets, 0 to 1.
    fn similarity(&self, other: &Self) -> f64 {
        if self.text == other.text {
            return 1.0;
        }
        if self.norm == 0.0 || other.norm == 0.0 {
            return 0.0;
        }
        let (a, b) = (&self.words, &other.words);
        let (mut i, mut j, mut shared) = (0, 0, 0.0);
        let (mut left_a, mut left_b) = (Vec::new(), Vec::new());
        while i < a.len() && j < b.len() {
            match a[i].0.cmp(&b[j].0) {
                std::cmp::Ordering::Less => {
                    left_a.push(&a[i]);
                    i += 1;
                }
                std::cmp::Ordering::Greater => {
                    left_b.push(&b[j]);
                    j += 1;
                }
                std::cmp::Ordering::Equal => {
                    shared += a[i].1 * b[j].1;
                    i += 1;
                    j += 1;
                }
            }
        }
        left_a.extend(&a[i..]);
        left_b.extend(&b[j..]);
        // A word misspelt by one letter (a street's name: `mwaar` for `mawar`) still counts, at
        // half its weight; each word is paired at most once.
        let mut taken = vec![false; left_b.len()];
        for (word, weight) in left_a {
            if let Some(k) = left_b
                .iter()
                .enumerate()
                .position(|(k, (other, _))| !taken[k] && one_letter_apart(word, other))
            {
                taken[k] = true;
                shared += 0.5 * weight * left_b[k].1;
            }
        }
        (shared / (self.norm * other.norm)).min(1.0)
    }
}

/// Two words of at least five letters, no digits, one edit (a letter changed, added, dropped, or
/// two neighbours swapped) apart.
///
/// ```text
/// mawar ~ mwaar (swapped) ~ mawwar (added) ~ mawr (too short to tell)   rw ≁ rt
/// ```
fn one_letter_apart(a: &str, b: &str) -> bool {
    let long_enough = |w: &str| w.len() >= 5 && !w.bytes().any(|c| c.is_ascii_digit());
    if a.len().abs_diff(b.len()) > 1 || !long_enough(a) || !long_enough(b) {
        return false;
    }
    // Compared once for every pair of left-over words of every candidate pair: no allocation for
    // the plain (ASCII) words normalised text is made of.
    if a.is_ascii() && b.is_ascii() {
        one_edit(a.as_bytes(), b.as_bytes())
    } else {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        a.len() >= 5 && b.len() >= 5 && one_edit(&a, &b)
    }
}

/// Exactly one edit apart: one element changed, added, dropped, or two neighbours swapped.
fn one_edit<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    let (long, short) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    let Some(i) = short.iter().zip(long).position(|(x, y)| x != y) else {
        // One is the other with an element added at the end (or they are equal: no edit).
        return long.len() == short.len() + 1;
    };
    if long.len() == short.len() {
        long[i + 1..] == short[i + 1..]
            || (i + 1 < long.len()
                && long[i] == short[i + 1]
                && long[i + 1] == short[i]
                && long[i + 2..] == short[i + 2..])
    } else {
        long[i + 1..] == short[i..]
    }
}

/// The RW (or RT) number a text names, from its [`comparable`] form (`rw 3`).
fn numbered(text: &str, label: &str) -> Option<String> {
    let mut words = text.split(' ');
    while let Some(w) = words.next() {
        if w == label {
            return words
                .next()
                .filter(|n| n.chars().all(|c| c.is_ascii_digit()))
                .map(str::to_owned);
        }
    }
    None
}

/// Whether two texts name different RWs, or different RTs of the same RW: the same work in
/// another neighbourhood, whatever the rest says.
fn places_disagree(a: &str, b: &str) -> bool {
    let differ = |label: &str| match (numbered(a, label), numbered(b, label)) {
        (Some(x), Some(y)) => x != y,
        _ => false,
    };
    differ("rw") || differ("rt")
}

/// Whether two texts name the same RW and, where both name an RT, the same RT: the same
/// neighbourhood (`rw` is the proposal's own RW column, used when its text names none).
///
/// ```text
/// "saluran rt 14 rw 1" ~ "rw 1"    "rt 14 rw 1" ≁ "rt 15 rw 1"    "saluran" ≁ "rw 1" (nothing to agree on)
/// ```
fn same_neighbourhood(a: &str, a_rw: Option<&str>, b: &str) -> bool {
    let rw_a = numbered(a, "rw").or_else(|| {
        a_rw.map(|r| {
            let t = r.trim().trim_start_matches('0');
            if t.is_empty() {
                "0".to_owned()
            } else {
                t.to_owned()
            }
        })
    });
    match (rw_a, numbered(b, "rw")) {
        (Some(rw_of_a), Some(rw_of_b)) if rw_of_a == rw_of_b => !matches!(
            (numbered(a, "rt"), numbered(b, "rt")),
            (Some(rt_of_a), Some(rt_of_b)) if rt_of_a != rt_of_b
        ),
        _ => false,
    }
}

/// Metres from a point to a point or a polyline (`[lon, lat]`).
///
/// ```
/// use geo_rules::trilateral::distance_to_geometry_m;
/// // 0.001° of latitude is about 110.6 m at Jakarta.
/// let d = distance_to_geometry_m([106.82, -6.18], &[[106.81, -6.179], [106.83, -6.179]]);
/// assert!((d - 110.6).abs() < 1.0);
/// ```
pub fn distance_to_geometry_m(p: [f64; 2], geometry: &[[f64; 2]]) -> f64 {
    match geometry {
        [] => f64::INFINITY,
        [only] => geodesic_m(p, *only),
        line => line
            .windows(2)
            .map(|w| point_segment_m(p, w[0], w[1]))
            .fold(f64::INFINITY, f64::min),
    }
}

/// Whether a proposal's code names the line's: the same code, or a kegiatan/program code the
/// sub-kegiatan code starts with.
fn code_agrees(proposal: &str, line: &str) -> bool {
    line == proposal || line.starts_with(&format!("{proposal}."))
}

/// What agrees between a proposal and a line of its agency, before any threshold.
struct Observed {
    evidence: Evidence,
    /// The line names another RT or RW.
    elsewhere: bool,
    /// The line is at the proposal's place (`evidence.place` is not `None`).
    at_place: bool,
}

/// Where a line is from a proposal: how the places agree, and the metres between pin and line.
fn place_of(
    p: &ProposalSide,
    r: &RenjaSide,
    params: &MatchParams,
) -> (PlaceAgreement, Option<f64>) {
    let distance_m = match (p.pin, r.geometry.is_empty()) {
        (Some(pin), false) => Some(distance_to_geometry_m(pin, &r.geometry)),
        _ => None,
    };
    let place = if r.kelurahan.as_deref() == Some(p.kelurahan.as_str()) {
        PlaceAgreement::SameKelurahan
    } else if distance_m.is_some_and(|d| d <= params.max_distance_m) {
        PlaceAgreement::Near
    } else if r.kelurahan.is_none() && r.kecamatan.as_deref() == Some(p.kecamatan.as_str()) {
        PlaceAgreement::Kecamatan
    } else {
        PlaceAgreement::None
    };
    (place, distance_m)
}

fn observe(
    p: &ProposalSide,
    p_text: &Prepared,
    r: &RenjaSide,
    r_texts: &[Prepared],
    params: &MatchParams,
) -> Observed {
    let (place, distance_m) = place_of(p, r, params);
    let same_activity = match (&p.activity, &r.activity) {
        (Some(a), Some(b)) => Some(a == b),
        _ => None,
    };
    let similarity = r_texts
        .iter()
        .map(|t| p_text.similarity(t))
        .fold(0.0, f64::max);
    let own_rw =
        p.rw.as_deref()
            .map(|rw| format!("rw {}", rw.trim().trim_start_matches('0')));
    let elsewhere = r_texts.iter().any(|t| {
        places_disagree(&p_text.text, &t.text)
            || own_rw
                .as_deref()
                .is_some_and(|rw| places_disagree(rw, &t.text))
    });
    let same_rt_rw = !elsewhere
        && r_texts
            .iter()
            .any(|t| same_neighbourhood(&p_text.text, p.rw.as_deref(), &t.text));
    let basis = if p.code.as_deref().is_some_and(|c| code_agrees(c, &r.code)) {
        MatchBasis::Code
    } else if r_texts.iter().any(|t| t.text == p_text.text) {
        MatchBasis::Name
    } else {
        MatchBasis::Fuzzy
    };
    Observed {
        evidence: Evidence {
            basis,
            place,
            distance_m,
            similarity,
            same_activity,
            same_unit: p.unit.is_some() && p.unit == r.unit,
            same_rt_rw,
        },
        elsewhere,
        at_place: place != PlaceAgreement::None,
    }
}

/// The pair's evidence, when the line addresses the proposal.
fn assess(
    p: &ProposalSide,
    p_text: &Prepared,
    r: &RenjaSide,
    r_texts: &[Prepared],
    params: &MatchParams,
) -> Option<Evidence> {
    // The place first: it is cheap, and most candidates of a kecamatan are in another kelurahan.
    if p.opd != Some(r.opd) || place_of(p, r, params).0 == PlaceAgreement::None {
        return None;
    }
    let o = observe(p, p_text, r, r_texts, params);
    let e = o.evidence;
    // A line naming another RT or RW is the same work elsewhere: not this proposal's by likeness;
    // one naming the same RT/RW with the same activity needs less likeness of the rest.
    let least = if e.same_rt_rw && e.same_activity == Some(true) {
        params.min_similarity * NEIGHBOURHOOD_DISCOUNT
    } else {
        params.min_similarity
    };
    let addresses = match e.basis {
        MatchBasis::Code | MatchBasis::Name | MatchBasis::Override => true,
        MatchBasis::Fuzzy => {
            e.similarity >= least && e.same_activity != Some(false) && !o.elsewhere
        }
    };
    (o.at_place && addresses).then_some(e)
}

/// How much of the least similarity a fuzzy match needs when the RT/RW and the activity agree:
/// the neighbourhood and the kind of work are most of what says "the same work".
const NEIGHBOURHOOD_DISCOUNT: f64 = 0.8;

/// What the line holds against what the proposal asks.
pub fn coverage(p: &ProposalSide, r: &RenjaSide) -> Coverage {
    let gap_rupiah = (p.rupiah - r.pagu).max(0);
    let gap_volume = match (&r.target, p.unit.is_some() && p.unit == r.unit) {
        (Some(target), true) => Some((p.volume - *target).max(Decimal::ZERO)),
        _ => None,
    };
    if gap_rupiah == 0 && gap_volume.is_none_or(|g| g.is_zero()) {
        Coverage::Covered
    } else {
        Coverage::Partial {
            gap_volume,
            gap_rupiah,
        }
    }
}

/// A pair's rank: basis, place, RT/RW agreement, activity agreement, similarity, then the smaller ids (so the result
/// does not depend on the input's order).
fn rank(e: &Evidence) -> (MatchBasis, PlaceAgreement, bool, bool, f64) {
    (
        e.basis,
        e.place,
        e.same_rt_rw,
        e.same_activity == Some(true),
        e.similarity,
    )
}

/// Where to look for the lines that may address a proposal: the agency's lines in its kecamatan,
/// and those in the grid cells around its pin (cells at least `max_distance_m` wide, so that every
/// line within that distance is in the pin's cell or a neighbour).
struct CandidateIndex<'a> {
    by_kecamatan: HashMap<(i64, &'a str), Vec<usize>>,
    by_cell: HashMap<(i64, (i64, i64)), Vec<usize>>,
    /// Cell side in degrees (a degree is more than 100 km at Indonesia's latitudes).
    cell_deg: f64,
}

impl<'a> CandidateIndex<'a> {
    fn new(renja: &'a [RenjaSide], max_distance_m: f64) -> Self {
        let mut index = Self {
            by_kecamatan: HashMap::new(),
            by_cell: HashMap::new(),
            cell_deg: (max_distance_m / 100_000.0).max(0.001),
        };
        for (i, r) in renja.iter().enumerate() {
            if let Some(k) = &r.kecamatan {
                index
                    .by_kecamatan
                    .entry((r.opd, k.as_str()))
                    .or_default()
                    .push(i);
            }
            let mut cells: HashSet<(i64, i64)> =
                r.geometry.iter().map(|v| index.cell(*v)).collect();
            // A long segment crosses cells between its vertices: add those it passes through.
            for w in r.geometry.windows(2) {
                let span = (w[1][0] - w[0][0]).abs().max((w[1][1] - w[0][1]).abs());
                let steps = (span / index.cell_deg * 2.0).ceil().min(100_000.0);
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                for s in 0..=(steps as u32) {
                    let t = f64::from(s) / steps.max(1.0);
                    cells.insert(index.cell([
                        w[0][0] + t * (w[1][0] - w[0][0]),
                        w[0][1] + t * (w[1][1] - w[0][1]),
                    ]));
                }
            }
            for c in cells {
                index.by_cell.entry((r.opd, c)).or_default().push(i);
            }
        }
        index
    }

    fn cell(&self, p: [f64; 2]) -> (i64, i64) {
        #[allow(clippy::cast_possible_truncation)]
        (
            (p[0] / self.cell_deg).floor() as i64,
            (p[1] / self.cell_deg).floor() as i64,
        )
    }

    fn candidates(&self, opd: i64, kecamatan: &str, pin: Option<[f64; 2]>) -> Vec<usize> {
        let mut found: Vec<usize> = self
            .by_kecamatan
            .get(&(opd, kecamatan))
            .cloned()
            .unwrap_or_default();
        if let Some(pin) = pin {
            // A line is registered in the cells of points sampled every half cell along it; a pin
            // within one cell of the line is within a cell and a half of a sample: two cells over.
            let (cx, cy) = self.cell(pin);
            for dx in -2..=2 {
                for dy in -2..=2 {
                    if let Some(near) = self.by_cell.get(&(opd, (cx + dx, cy + dy))) {
                        found.extend(near);
                    }
                }
            }
        }
        found.sort_unstable();
        found.dedup();
        found
    }
}

/// The evidence for a pair a planner linked: what agrees, as for any pair, whatever the thresholds.
fn linked_evidence(
    p: &ProposalSide,
    p_text: &Prepared,
    r: &RenjaSide,
    r_texts: &[Prepared],
    params: &MatchParams,
) -> Evidence {
    Evidence {
        basis: MatchBasis::Override,
        ..observe(p, p_text, r, r_texts, params).evidence
    }
}

/// A line a planner may choose for a proposal, with what agrees and how it ranks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub renja_id: i64,
    pub evidence: Evidence,
    /// The line names another RT or RW than the proposal.
    pub elsewhere: bool,
    /// The matching itself would take this pair (before one line goes to one proposal).
    pub addresses: bool,
    /// 0–100: how strongly the evidence says "the same work" (place, RT/RW, activity, unit, words).
    pub score: u8,
}

/// The lines of the proposal's agency a planner may choose from, best first, at most `limit`:
/// those at its place (kelurahan, near its pin, kecamatan-wide) before the rest, then by the
/// matching's own rank and score. The words are weighted over `proposals` and `renja`, as in
/// [`match_all`].
pub fn candidates(
    proposal_id: i64,
    proposals: &[ProposalSide],
    renja: &[RenjaSide],
    params: &MatchParams,
    limit: usize,
) -> Vec<Candidate> {
    let Some(p) = proposals.iter().find(|p| p.id == proposal_id) else {
        return Vec::new();
    };
    let weights = Weights::new(
        proposals.iter().map(|p| p.text.as_str()).chain(
            renja
                .iter()
                .flat_map(|r| r.texts.iter().map(String::as_str)),
        ),
    );
    let p_text = Prepared::new(&p.text, &weights);
    let mut found: Vec<(bool, Candidate)> = renja
        .iter()
        .filter(|r| p.opd == Some(r.opd))
        .map(|r| {
            let texts: Vec<Prepared> = r.texts.iter().map(|t| Prepared::new(t, &weights)).collect();
            let o = observe(p, &p_text, r, &texts, params);
            let addresses = assess(p, &p_text, r, &texts, params).is_some();
            let score = score(&o);
            (
                o.at_place,
                Candidate {
                    renja_id: r.id,
                    evidence: o.evidence,
                    elsewhere: o.elsewhere,
                    addresses,
                    score,
                },
            )
        })
        .collect();
    found.sort_by(|(a_at, a), (b_at, b)| {
        (b_at, b.addresses, b.score, rank(&b.evidence))
            .partial_cmp(&(a_at, a.addresses, a.score, rank(&a.evidence)))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.renja_id.cmp(&b.renja_id))
    });
    found.into_iter().take(limit).map(|(_, c)| c).collect()
}

/// A pair's score 0–100 for a person choosing: the words' likeness is half of it, the place a
/// quarter, RT/RW, activity and unit the rest; a code or an identical name is 100, another RT/RW
/// at most 20.
fn score(o: &Observed) -> u8 {
    let e = &o.evidence;
    if matches!(e.basis, MatchBasis::Code | MatchBasis::Name) && o.at_place {
        return 100;
    }
    let place = match e.place {
        PlaceAgreement::SameKelurahan => 25.0,
        PlaceAgreement::Near => 20.0,
        PlaceAgreement::Kecamatan => 12.0,
        PlaceAgreement::None => 0.0,
    };
    let mut points = 50.0 * e.similarity + place;
    points += if e.same_rt_rw { 10.0 } else { 0.0 };
    points += match e.same_activity {
        Some(true) => 10.0,
        Some(false) => -20.0,
        None => 0.0,
    };
    points += if e.same_unit { 5.0 } else { 0.0 };
    if o.elsewhere {
        points = points.min(20.0);
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "0..=100"
    )]
    let score = points.clamp(0.0, 100.0).round() as u8;
    score
}

/// Shares a line's target and pagu among the proposals of a package: the pagu in proportion to
/// their costs (whole rupiah, the remainders to the largest fractions, so that the parts add up to
/// the pagu), the target in proportion to their volumes when every unit compares with the line's.
///
/// ```
/// # use geo_rules::trilateral::*;
/// # use rust_decimal::Decimal;
/// # let side = |id, volume: i64, rupiah| ProposalSide {
/// #     id, opd: Some(1), kelurahan: "31.71.01.1003".into(), kecamatan: "31.71.01".into(), pin: None,
/// #     activity: None, code: None, rw: None, text: String::new(), volume: Decimal::from(volume),
/// #     unit: Some("m".into()), rupiah };
/// # let line = RenjaSide { id: 9, opd: 1, kelurahan: None, kecamatan: None, geometry: vec![], activity: None,
/// #     code: "1".into(), texts: vec![], target: Some(Decimal::from(150)), unit: Some("m".into()), pagu: 100 };
/// // A line of 150 m for Rp 100 shared by proposals of 100 m (Rp 60) and 100 m (Rp 60):
/// let parts = share(&[&side(1, 100, 60), &side(2, 100, 60)], &line);
/// assert_eq!(parts.iter().map(|p| p.pagu_share).sum::<i64>(), 100);
/// assert_eq!(parts[0].target_share, Some(Decimal::from(75)));
/// ```
pub fn share(group: &[&ProposalSide], line: &RenjaSide) -> Vec<Package> {
    let ids: Vec<i64> = group.iter().map(|p| p.id).collect();
    let total_rupiah: i128 = group.iter().map(|p| i128::from(p.rupiah.max(0))).sum();
    let weights: Vec<i128> = if total_rupiah == 0 {
        vec![1; group.len()]
    } else {
        group.iter().map(|p| i128::from(p.rupiah.max(0))).collect()
    };
    let weight_sum: i128 = weights.iter().sum::<i128>().max(1);
    let pagu = i128::from(line.pagu);
    let mut parts: Vec<i128> = weights.iter().map(|w| pagu * w / weight_sum).collect();
    let mut by_remainder: Vec<usize> = (0..group.len()).collect();
    by_remainder.sort_by_key(|&i| std::cmp::Reverse(pagu * weights[i] % weight_sum));
    let short = pagu - parts.iter().sum::<i128>();
    for &i in by_remainder
        .iter()
        .take(usize::try_from(short).unwrap_or(0))
    {
        parts[i] += 1;
    }
    let units_compare = group
        .iter()
        .all(|p| p.unit.is_some() && p.unit == line.unit);
    let total_volume: Decimal = group.iter().map(|p| p.volume).sum();
    group
        .iter()
        .zip(parts)
        .map(|(p, pagu_share)| Package {
            proposals: ids.clone(),
            target_share: line
                .target
                .filter(|_| units_compare && !total_volume.is_zero())
                .map(|t| (t * p.volume / total_volume).round_dp(3).normalize()),
            pagu_share: i64::try_from(pagu_share).unwrap_or(i64::MAX),
        })
        .collect()
}

/// Matches every proposal with the lines that address it (see the module's description).
///
/// ```
/// use geo_rules::trilateral::*;
/// use rust_decimal::Decimal;
/// let proposal = ProposalSide {
///     id: 1, opd: Some(7), kelurahan: "31.71.01.1003".into(), kecamatan: "31.71.01".into(),
///     pin: Some([106.8097, -6.1752]), activity: Some("saluran_drainase".into()), code: None, rw: None,
///     text: "Pembangunan saluran Jl. Mawar RW 03".into(), volume: Decimal::from(120),
///     unit: Some("m".into()), rupiah: 180_000_000,
/// };
/// let line = RenjaSide {
///     id: 10, opd: 7, kelurahan: Some("31.71.01.1003".into()), kecamatan: Some("31.71.01".into()),
///     geometry: vec![], activity: Some("saluran_drainase".into()), code: "1.03.10.2.01.0001".into(),
///     texts: vec!["Pembangunan Saluran Jl Mawar RW 003".into()], target: Some(Decimal::from(80)),
///     unit: Some("m".into()), pagu: 120_000_000,
/// };
/// let m = match_all(&[proposal], &[line], &MatchParams::default(), &std::collections::HashMap::new());
/// assert_eq!(m.proposals[0].renja_id, Some(10));
/// assert_eq!(m.proposals[0].evidence.as_ref().unwrap().basis, MatchBasis::Name);
/// // 40 m and Rp 60,000,000 short of what was approved:
/// assert_eq!(m.proposals[0].coverage,
///            Coverage::Partial { gap_volume: Some(Decimal::from(40)), gap_rupiah: 60_000_000 });
/// ```
#[allow(
    clippy::implicit_hasher,
    reason = "not generic, so that it is compiled (and optimised) here, not in each caller"
)]
pub fn match_all(
    proposals: &[ProposalSide],
    renja: &[RenjaSide],
    params: &MatchParams,
    overrides: &HashMap<i64, Override>,
) -> Matching {
    let index = CandidateIndex::new(renja, params.max_distance_m);
    let by_id: HashMap<i64, usize> = renja.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    let weights = Weights::new(
        proposals.iter().map(|p| p.text.as_str()).chain(
            renja
                .iter()
                .flat_map(|r| r.texts.iter().map(String::as_str)),
        ),
    );
    let r_texts: Vec<Vec<Prepared>> = renja
        .iter()
        .map(|r| r.texts.iter().map(|t| Prepared::new(t, &weights)).collect())
        .collect();

    let mut pairs: Vec<(usize, usize, Evidence)> = Vec::new();
    let mut taken_renja: HashSet<usize> = HashSet::new();
    let mut assigned: HashMap<usize, (usize, Evidence)> = HashMap::new();
    for (pi, p) in proposals.iter().enumerate() {
        let p_text = Prepared::new(&p.text, &weights);
        match overrides.get(&p.id) {
            Some(Override::NoLine) => continue,
            Some(Override::Line(id)) => {
                // Several proposals linked to one line share it (a package).
                if let Some(&ri) = by_id.get(id) {
                    let evidence = linked_evidence(p, &p_text, &renja[ri], &r_texts[ri], params);
                    taken_renja.insert(ri);
                    assigned.insert(pi, (ri, evidence));
                }
                continue;
            }
            None => {}
        }
        let Some(opd) = p.opd else { continue };
        for ri in index.candidates(opd, &p.kecamatan, p.pin) {
            if let Some(e) = assess(p, &p_text, &renja[ri], &r_texts[ri], params) {
                pairs.push((pi, ri, e));
            }
        }
    }
    pairs.sort_by(|a, b| {
        rank(&b.2)
            .partial_cmp(&rank(&a.2))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(proposals[a.0].id.cmp(&proposals[b.0].id))
            .then(renja[a.1].id.cmp(&renja[b.1].id))
    });
    for (pi, ri, e) in pairs {
        if assigned.contains_key(&pi) || taken_renja.contains(&ri) {
            continue;
        }
        taken_renja.insert(ri);
        assigned.insert(pi, (ri, e));
    }

    let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
    for (&pi, (ri, _)) in &assigned {
        members.entry(*ri).or_default().push(pi);
    }
    let mut packages: HashMap<usize, Package> = HashMap::new();
    for (ri, mut group) in members.into_iter().filter(|(_, g)| g.len() > 1) {
        group.sort_by_key(|&pi| proposals[pi].id);
        let group_sides: Vec<&ProposalSide> = group.iter().map(|&pi| &proposals[pi]).collect();
        for (pi, package) in group.iter().zip(share(&group_sides, &renja[ri])) {
            packages.insert(*pi, package);
        }
    }
    let matched = proposals
        .iter()
        .enumerate()
        .map(|(pi, p)| match assigned.remove(&pi) {
            Some((ri, evidence)) => {
                let package = packages.remove(&pi);
                let line = match &package {
                    Some(part) => &RenjaSide {
                        target: part.target_share,
                        pagu: part.pagu_share,
                        ..renja[ri].clone()
                    },
                    None => &renja[ri],
                };
                ProposalMatch {
                    proposal_id: p.id,
                    renja_id: Some(renja[ri].id),
                    coverage: coverage(p, line),
                    evidence: Some(evidence),
                    package,
                }
            }
            None => ProposalMatch {
                proposal_id: p.id,
                renja_id: None,
                evidence: None,
                coverage: Coverage::NotPlanned {
                    estimated_rupiah: p.rupiah,
                },
                package: None,
            },
        })
        .collect();
    let unmatched_renja = renja
        .iter()
        .enumerate()
        .filter(|(i, _)| !taken_renja.contains(i))
        .map(|(_, r)| r.id)
        .collect();
    Matching {
        proposals: matched,
        unmatched_renja,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_street_misspelt_by_a_letter_still_reads_alike_and_another_rw_is_elsewhere() {
        let misspelt =
            text_similarity("Perbaikan saluran Jl. Mawar", "Perbaikan saluran Jl. Mwaar");
        let other = text_similarity(
            "Perbaikan saluran Jl. Mawar",
            "Perbaikan saluran Jl. Kenari",
        );
        assert!(misspelt > other + 0.1, "{misspelt} vs {other}");
        assert!(one_letter_apart("mawar", "mwaar") && one_letter_apart("baacng", "bacang"));
        assert!(!one_letter_apart("rw", "rt") && !one_letter_apart("mawar", "kenari"));
        // The same as Damerau–Levenshtein distance 1, over words of five letters or more.
        for (a, b) in [
            ("mawar", "mawwar"),
            ("mawar", "mawr"),
            ("mawar", "mawar"),
            ("melati", "meltai"),
            ("melati", "melatii"),
            ("kenanga", "kenangan"),
            ("kenanga", "kenagan"),
            ("anggrek", "angrekk"),
            ("flamboyan", "flamboyant"),
            ("cempaka", "cempala"),
            ("dahlia", "dahila"),
            ("dahlia", "adhlia"),
            ("dahlia", "dahlai"),
            ("ĉempaka", "cempaka"),
        ] {
            let expected = a.chars().count() >= 5
                && b.chars().count() >= 5
                && strsim::damerau_levenshtein(a, b) == 1;
            assert_eq!(one_letter_apart(a, b), expected, "{a} {b}");
            assert_eq!(one_letter_apart(b, a), expected, "{b} {a}");
        }
        assert!(places_disagree(
            "saluran jl mawar rt 14 rw 1",
            "saluran jl mawar rw 2"
        ));
        assert!(!places_disagree(
            "saluran jl mawar rt 14 rw 1",
            "saluran jl mawar rw 1"
        ));
        assert!(!places_disagree(
            "saluran jl mawar",
            "saluran jl mawar rw 1"
        ));
    }

    fn proposal(id: i64, text: &str, kelurahan: &str, volume: i64, rupiah: i64) -> ProposalSide {
        ProposalSide {
            id,
            opd: Some(1),
            kelurahan: kelurahan.into(),
            kecamatan: kelurahan[..8].into(),
            pin: None,
            activity: Some("paving_block".into()),
            code: None,
            rw: None,
            text: text.into(),
            volume: Decimal::from(volume),
            unit: Some("m2".into()),
            rupiah,
        }
    }

    fn line(id: i64, text: &str, kelurahan: Option<&str>, target: i64, pagu: i64) -> RenjaSide {
        RenjaSide {
            id,
            opd: 1,
            kelurahan: kelurahan.map(Into::into),
            kecamatan: Some("31.71.01".into()),
            geometry: vec![],
            activity: Some("paving_block".into()),
            code: "1.03.10.2.01.0001".into(),
            texts: vec![text.into()],
            target: Some(Decimal::from(target)),
            unit: Some("m2".into()),
            pagu,
        }
    }

    const CIDENG: &str = "31.71.01.1003";
    const GAMBIR: &str = "31.71.01.1001";

    #[test]
    fn covered_partial_and_not_planned() {
        let proposals = [
            proposal(
                1,
                "Pemasangan paving block Gg. Mawar RW 02",
                CIDENG,
                200,
                25_000_000,
            ),
            proposal(
                2,
                "Pemasangan paving block Gg. Melati RW 05",
                CIDENG,
                300,
                37_500_000,
            ),
            proposal(
                3,
                "Pemasangan paving block Gg. Kenanga RW 01",
                GAMBIR,
                150,
                18_000_000,
            ),
        ];
        let renja = [
            line(
                10,
                "Pemasangan paving block Gg Mawar RW 002",
                Some(CIDENG),
                250,
                30_000_000,
            ),
            line(
                11,
                "Paving block Gang Melati RW 5",
                Some(CIDENG),
                200,
                25_000_000,
            ),
            line(
                12,
                "Rehabilitasi trotoar Jl. Tanah Abang",
                Some(GAMBIR),
                80,
                60_000_000,
            ),
        ];
        let m = match_all(&proposals, &renja, &MatchParams::default(), &HashMap::new());
        assert_eq!(m.proposals[0].renja_id, Some(10));
        assert_eq!(m.proposals[0].coverage, Coverage::Covered);
        assert_eq!(
            m.proposals[0].evidence.as_ref().unwrap().basis,
            MatchBasis::Name
        );
        assert_eq!(m.proposals[1].renja_id, Some(11));
        assert_eq!(
            m.proposals[1].coverage,
            Coverage::Partial {
                gap_volume: Some(Decimal::from(100)),
                gap_rupiah: 12_500_000
            }
        );
        let e = m.proposals[1].evidence.as_ref().unwrap();
        assert_eq!(e.basis, MatchBasis::Fuzzy);
        assert!(e.similarity >= 0.45 && e.similarity < 1.0, "{e:?}");
        assert_eq!(m.proposals[2].renja_id, None);
        assert_eq!(
            m.proposals[2].coverage,
            Coverage::NotPlanned {
                estimated_rupiah: 18_000_000
            }
        );
        assert_eq!(m.unmatched_renja, [12]);
    }

    #[test]
    fn another_agency_another_kelurahan_or_another_activity_do_not_match() {
        let p = proposal(1, "Pemasangan paving block Gg. Mawar RW 02", CIDENG, 200, 1);
        let mut other_agency = line(
            10,
            "Pemasangan paving block Gg. Mawar RW 02",
            Some(CIDENG),
            1,
            1,
        );
        other_agency.opd = 2;
        let elsewhere = line(
            11,
            "Pemasangan paving block Gg. Mawar RW 02",
            Some(GAMBIR),
            1,
            1,
        );
        let mut other_activity = line(12, "Pemasangan paving block Gg Mawar", Some(CIDENG), 1, 1);
        other_activity.activity = Some("saluran_drainase".into());
        let m = match_all(
            &[p],
            &[other_agency, elsewhere, other_activity],
            &MatchParams::default(),
            &HashMap::new(),
        );
        assert_eq!(m.proposals[0].renja_id, None);
        assert_eq!(m.unmatched_renja.len(), 3);
    }

    #[test]
    fn code_beats_name_and_a_line_takes_up_one_proposal() {
        let mut by_code = proposal(1, "Perbaikan jalan lingkungan", CIDENG, 100, 10);
        by_code.code = Some("1.03.10.2.01".into());
        let by_name = proposal(2, "Pemasangan paving block Gg Mawar", CIDENG, 100, 10);
        let renja = [line(
            10,
            "Pemasangan paving block Gg Mawar",
            Some(CIDENG),
            100,
            10,
        )];
        let m = match_all(
            &[by_code, by_name],
            &renja,
            &MatchParams::default(),
            &HashMap::new(),
        );
        assert_eq!(m.proposals[0].renja_id, Some(10));
        assert_eq!(
            m.proposals[0].evidence.as_ref().unwrap().basis,
            MatchBasis::Code
        );
        assert_eq!(m.proposals[1].renja_id, None);
    }

    #[test]
    fn a_line_near_the_pin_across_a_kelurahan_boundary_matches_with_its_distance() {
        let mut near = proposal(
            1,
            "Pemasangan paving block Jl. Cideng Barat",
            CIDENG,
            100,
            10,
        );
        near.pin = Some([106.8097, -6.1752]);
        let mut road = line(
            10,
            "Pemasangan paving block Jl. Cideng Barat",
            Some(GAMBIR),
            100,
            10,
        );
        road.kecamatan = Some("31.71.02".into());
        road.geometry = vec![[106.8090, -6.1760], [106.8110, -6.1760]];
        let m = match_all(
            &[near.clone()],
            &[road.clone()],
            &MatchParams::default(),
            &HashMap::new(),
        );
        let evidence = m.proposals[0].evidence.clone().unwrap();
        assert_eq!(evidence.place, PlaceAgreement::Near);
        let d = evidence.distance_m.unwrap();
        assert!((80.0..100.0).contains(&d), "{d} m");
        let strict = MatchParams {
            max_distance_m: 50.0,
            ..MatchParams::default()
        };
        assert_eq!(
            match_all(&[near], &[road], &strict, &HashMap::new()).proposals[0].renja_id,
            None
        );
    }

    #[test]
    fn a_planner_override_links_or_unlinks() {
        let a = proposal(1, "Pemasangan paving block Gg. Mawar", CIDENG, 100, 10);
        let b = proposal(2, "Sesuatu yang lain sama sekali", CIDENG, 100, 10);
        let renja = [line(
            10,
            "Pemasangan paving block Gg. Mawar",
            Some(CIDENG),
            100,
            10,
        )];
        let overrides = HashMap::from([(1, Override::NoLine), (2, Override::Line(10))]);
        let m = match_all(&[a, b], &renja, &MatchParams::default(), &overrides);
        assert_eq!(m.proposals[0].renja_id, None);
        assert_eq!(m.proposals[1].renja_id, Some(10));
        assert_eq!(
            m.proposals[1].evidence.as_ref().unwrap().basis,
            MatchBasis::Override
        );
        assert!(m.unmatched_renja.is_empty());
    }

    #[test]
    fn one_line_linked_to_several_proposals_is_shared_and_the_gaps_add_up() {
        let a = proposal(1, "Paving Gg. Mawar RT 01", CIDENG, 100, 30_000_000);
        let b = proposal(2, "Paving Gg. Mawar RT 02", CIDENG, 200, 60_000_000);
        let c = proposal(3, "Paving Gg. Melati", CIDENG, 50, 10_000_000);
        let renja = [line(
            10,
            "Paving blok lingkungan Kel. Cideng",
            Some(CIDENG),
            240,
            72_000_000,
        )];
        let overrides = HashMap::from([(1, Override::Line(10)), (2, Override::Line(10))]);
        let m = match_all(&[a, b, c], &renja, &MatchParams::default(), &overrides);
        let (pa, pb) = (&m.proposals[0], &m.proposals[1]);
        assert_eq!((pa.renja_id, pb.renja_id), (Some(10), Some(10)));
        let (sa, sb) = (pa.package.clone().unwrap(), pb.package.clone().unwrap());
        assert_eq!(sa.proposals, [1, 2]);
        assert_eq!(sa.pagu_share + sb.pagu_share, 72_000_000);
        assert_eq!(sa.target_share, Some(Decimal::from(80)));
        let gap = |m: &ProposalMatch| match &m.coverage {
            Coverage::Partial {
                gap_volume,
                gap_rupiah,
            } => (gap_volume.unwrap(), *gap_rupiah),
            other => panic!("{other:?}"),
        };
        // The package: 300 m for Rp 90,000,000 against a line of 240 m for Rp 72,000,000.
        let (va, ra) = gap(pa);
        let (vb, rb) = gap(pb);
        assert_eq!(va + vb, Decimal::from(60));
        assert_eq!(ra + rb, 18_000_000);
        // A line linked by a planner is taken by nobody else.
        assert_eq!(m.proposals[2].renja_id, None);
        assert!(m.proposals[2].package.is_none() && m.unmatched_renja.is_empty());
    }

    #[test]
    fn the_same_rt_rw_is_evidence_and_another_rw_in_the_column_is_elsewhere() {
        let mut p = proposal(1, "Perbaikan saluran Gg. Mawar", CIDENG, 100, 10);
        p.activity = Some("saluran_drainase".into());
        p.rw = Some("003".into());
        let mut same = line(
            10,
            "Rehab saluran Gg Mawar RW 03 Kel. Cideng",
            Some(CIDENG),
            100,
            10,
        );
        same.activity = Some("saluran_drainase".into());
        let mut unsaid = same.clone();
        unsaid.id = 9;
        unsaid.texts = vec!["Rehab saluran lingkungan Gg Mawar".into()];
        let mut other = same.clone();
        other.id = 11;
        other.texts = vec!["Rehab saluran Gg Mawar RW 07 Kel. Cideng".into()];
        // The line naming the proposal's RW comes before one that says no RW, however alike.
        let m = match_all(
            &[p.clone()],
            &[unsaid, same, other.clone()],
            &MatchParams::default(),
            &HashMap::new(),
        );
        assert_eq!(m.proposals[0].renja_id, Some(10), "{m:?}");
        assert!(m.proposals[0].evidence.as_ref().unwrap().same_rt_rw);
        let only_other = match_all(&[p], &[other], &MatchParams::default(), &HashMap::new());
        assert_eq!(only_other.proposals[0].renja_id, None);
        assert!(same_neighbourhood("saluran rt 14 rw 1", None, "rw 1"));
        assert!(!same_neighbourhood("rt 14 rw 1", None, "rt 15 rw 1"));
        assert!(!same_neighbourhood("saluran", None, "saluran"));
        assert!(same_neighbourhood("saluran", Some("01"), "saluran rw 1"));
    }

    #[test]
    fn a_planner_chooses_from_the_agencys_lines_ranked_with_their_reasons() {
        let p = proposal(
            1,
            "Pemasangan paving block Gg. Mawar RW 02",
            CIDENG,
            100,
            10,
        );
        let renja = [
            line(10, "Paving block Gg Kenari RW 05", Some(CIDENG), 100, 10),
            line(
                11,
                "Pemasangan paving block Gg Mawar RW 2",
                Some(CIDENG),
                100,
                10,
            ),
            line(
                12,
                "Pemasangan paving block Gg Mawar",
                Some(GAMBIR),
                100,
                10,
            ),
            RenjaSide {
                opd: 2,
                ..line(
                    13,
                    "Pemasangan paving block Gg. Mawar RW 02",
                    Some(CIDENG),
                    1,
                    1,
                )
            },
        ];
        let found = candidates(1, &[p], &renja, &MatchParams::default(), 10);
        let ids: Vec<i64> = found.iter().map(|c| c.renja_id).collect();
        // Another agency's line is not offered; the line at the place and RW comes first, the line
        // in another kelurahan after those at the place.
        assert_eq!(ids, [11, 10, 12], "{found:?}");
        assert!(found[0].addresses && found[0].evidence.same_rt_rw && found[0].score >= 80);
        assert!(found[1].elsewhere && found[1].score <= 20);
        assert_eq!(found[2].evidence.place, PlaceAgreement::None);
        assert!(candidates(99, &[], &renja, &MatchParams::default(), 10).is_empty());
    }

    #[test]
    fn volumes_in_other_units_compare_by_rupiah_only() {
        let p = proposal(
            1,
            "Pemasangan paving block Gg. Mawar",
            CIDENG,
            100,
            10_000_000,
        );
        let mut r = line(
            10,
            "Pemasangan paving block Gg. Mawar",
            Some(CIDENG),
            1,
            12_000_000,
        );
        r.unit = Some("ls".into());
        assert_eq!(coverage(&p, &r), Coverage::Covered);
        r.pagu = 4_000_000;
        assert_eq!(
            coverage(&p, &r),
            Coverage::Partial {
                gap_volume: None,
                gap_rupiah: 6_000_000
            }
        );
    }
}
