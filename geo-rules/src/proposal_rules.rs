//! The checks on proposals (usulan) that the camat must look at again (Juknis Musrenbang Kecamatan
//! 2016, C.1.f): implausible volume, location or estimated budget, duplicates, and work already done.
//!
//! Everything here is a pure function of plain data: the server gathers the facts, calls
//! [`check_proposals`], and stores what comes back.

use std::collections::HashMap;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use survey_schema::finding::{
    ActivityUnknown, CostOutlier, CostVsStandard, DoneBefore, Duplicate, Finding, Location,
    Positioned, UnitIncomparable, VolumeBound,
};
use survey_schema::{Anomaly, LocationStatus, Rupiah, Severity, Unit, Wgs84Point, WilayahKode};

use crate::metric::geodesic_m;
use crate::text::normalise_text;
use crate::{BoundaryIndex, LocateConfig};

/// An activity type of the catalogue, as the rules need it.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub code: String,
    pub nama: String,
    /// Words that recognise the activity in `Usulan Kegiatan` (matched on normalised text).
    pub keywords: Vec<String>,
    /// The unit its volume is expected in.
    pub unit: Unit,
    /// Plausible volume for one RW, in `unit`.
    pub volume_min: Option<Decimal>,
    pub volume_max: Option<Decimal>,
}

/// The catalogue activity whose keyword appears in `usulan` (whole words); the longest keyword wins,
/// so "u ditch" beats "saluran" in "Pembangunan saluran U-Ditch".
///
/// ```
/// use geo_rules::proposal_rules::{recognise_activity, Activity};
/// use survey_schema::Unit;
/// let catalogue = [
///     Activity { code: "saluran".into(), nama: "Saluran".into(), keywords: vec!["saluran".into()], unit: Unit::Metre, volume_min: None, volume_max: None },
///     Activity { code: "u_ditch".into(), nama: "U-Ditch".into(), keywords: vec!["u ditch".into()], unit: Unit::Metre, volume_min: None, volume_max: None },
/// ];
/// assert_eq!(recognise_activity("Pembangunan Saluran U-Ditch RW 03", &catalogue).unwrap().code, "u_ditch");
/// assert!(recognise_activity("Pelatihan menjahit", &catalogue).is_none());
/// ```
pub fn recognise_activity<'a>(usulan: &str, catalogue: &'a [Activity]) -> Option<&'a Activity> {
    let text = format!(" {} ", normalise_text(usulan));
    catalogue
        .iter()
        .flat_map(|a| a.keywords.iter().map(move |k| (a, normalise_text(k))))
        .filter(|(_, k)| !k.is_empty() && text.contains(&format!(" {k} ")))
        .max_by_key(|(_, k)| k.len())
        .map(|(a, _)| a)
}

/// What the rules know of one proposal.
#[derive(Debug, Clone, PartialEq)]
pub struct ProposalFacts {
    pub id: i64,
    pub tahun: i32,
    pub kelurahan: WilayahKode,
    /// Catalogue code, `None` when the activity was not recognised.
    pub activity: Option<String>,
    /// `Usulan Kegiatan` and `Lokasi`, as written.
    pub text: String,
    pub volume: Decimal,
    /// `None` when the written unit is not one the checks know.
    pub unit: Option<Unit>,
    pub unit_raw: String,
    pub budget: Rupiah,
    /// The proposal's map pin, if it has one.
    pub pin: Option<Wgs84Point>,
    /// Approved in its year (for "already done before" in later years).
    pub approved: bool,
}

impl ProposalFacts {
    /// Rupiah per unit of volume.
    pub fn unit_cost(&self) -> Option<f64> {
        let volume = self.volume.to_f64()?;
        (volume > 0.0).then(|| self.budget.get() as f64 / volume)
    }

    /// The city (kota/kabupaten) code, `PP.KK`.
    fn kota(&self) -> &str {
        self.kelurahan
            .as_str()
            .get(..5)
            .unwrap_or(self.kelurahan.as_str())
    }
}

/// The standard installed price of an activity: a price item times the catalogue's work factor.
#[derive(Debug, Clone, PartialEq)]
pub struct CostStandard {
    pub unit: Unit,
    /// Rupiah per `unit`.
    pub price: Rupiah,
    /// Where it comes from, e.g. `SSH 32.18 2023: Paving Block Warna (M2) x 1.5`.
    pub source: String,
    /// The region it was borrowed from, by name, when the proposal's city has no standard.
    pub elsewhere: Option<String>,
}

/// Thresholds of the proposal checks. The defaults are the documented ones.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RuleConfig {
    /// `COST_ABOVE_STANDARD` when the unit cost exceeds the standard by more than this fraction
    /// (0.5: 50% above) — warning; by more than `cost_above_high` — high.
    pub cost_above_warning: f64,
    pub cost_above_high: f64,
    /// `COST_BELOW_STANDARD` when the unit cost is below this fraction of the standard (0.5: half):
    /// too cheap to build what is promised.
    pub cost_below: f64,
    /// `COST_OUTLIER` when the robust z-score of the log unit cost exceeds this (warning) or
    /// `outlier_z_high` (high), among at least `outlier_min_group` similar proposals.
    pub outlier_z_warning: f64,
    pub outlier_z_high: f64,
    pub outlier_min_group: usize,
    /// A volume more than this factor beyond the activity's plausible range is `high`.
    pub volume_high_factor: f64,
    /// `DUPLICATE_NEARBY` / `DONE_BEFORE` within this many metres (map pins).
    pub duplicate_distance_m: f64,
    /// Or with text this similar (Sørensen–Dice on character pairs, 0..1) in the same kelurahan.
    pub text_similarity: f64,
}

impl Default for RuleConfig {
    fn default() -> Self {
        Self {
            cost_above_warning: 0.5,
            cost_above_high: 1.0,
            cost_below: 0.5,
            outlier_z_warning: 3.5,
            outlier_z_high: 5.0,
            outlier_min_group: 8,
            volume_high_factor: 3.0,
            duplicate_distance_m: 50.0,
            text_similarity: 0.9,
        }
    }
}

/// Everything the checks compare proposals with.
#[derive(Debug, Clone, Copy)]
pub struct RuleInputs<'a> {
    pub activities: &'a HashMap<String, Activity>,
    /// By activity code.
    pub standards: &'a HashMap<String, CostStandard>,
    /// Proposals of earlier years, for `DONE_BEFORE`.
    pub earlier: &'a [ProposalFacts],
    /// Kelurahan boundaries for the map pins; `None` skips the location checks.
    pub boundaries: Option<&'a BoundaryIndex>,
    pub config: &'a RuleConfig,
}

#[allow(clippy::cast_possible_truncation)]
fn whole(amount: f64) -> i64 {
    amount.round() as i64
}

/// Runs every check over one set of proposals (typically one year of a city) and returns the
/// anomalies per proposal id. A proposal that is plausible in every respect gets none.
pub fn check_proposals(
    proposals: &[ProposalFacts],
    inputs: &RuleInputs<'_>,
) -> HashMap<i64, Vec<Anomaly>> {
    let mut found: HashMap<i64, Vec<Anomaly>> = HashMap::new();
    let mut push = |id: i64, a: Anomaly| found.entry(id).or_default().push(a);
    for p in proposals {
        for a in check_one(p, inputs) {
            push(p.id, a);
        }
    }
    for (id, a) in cost_outliers(proposals, inputs.config) {
        push(id, a);
    }
    for (id, a) in duplicates(proposals, inputs.config) {
        push(id, a);
    }
    for (id, a) in done_before(proposals, inputs.earlier, inputs.config) {
        push(id, a);
    }
    for list in found.values_mut() {
        list.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.code.cmp(&b.code))
        });
    }
    found
}

/// Checks that need only the proposal itself: activity, unit, standard cost, volume, map pin.
fn check_one(p: &ProposalFacts, inputs: &RuleInputs<'_>) -> Vec<Anomaly> {
    let mut out = Vec::new();
    if let Some(location) = inputs
        .boundaries
        .and_then(|index| location_anomaly(p, index))
    {
        out.push(location);
    }
    let Some(activity) = p
        .activity
        .as_ref()
        .and_then(|code| inputs.activities.get(code))
    else {
        out.push(
            Finding::ActivityUnknown(ActivityUnknown {
                usulan: p.text.clone(),
            })
            .at(Severity::Info),
        );
        return out;
    };
    if p.unit != Some(activity.unit) {
        out.push(
            Finding::UnitIncomparable(UnitIncomparable::Proposal {
                unit_raw: p.unit_raw.clone(),
                expected_unit: activity.unit,
                activity_nama: Some(activity.nama.clone()),
            })
            .at(Severity::Info),
        );
        return out;
    }
    if let (Some(standard), Some(unit_cost)) = (inputs.standards.get(&activity.code), p.unit_cost())
        && standard.unit == activity.unit
        && standard.price.get() > 0
    {
        out.extend(cost_against_standard(p, unit_cost, standard, inputs.config));
    }
    out.extend(volume_plausibility(p, activity, inputs.config));
    out
}

fn cost_against_standard(
    p: &ProposalFacts,
    unit_cost: f64,
    standard: &CostStandard,
    config: &RuleConfig,
) -> Option<Anomaly> {
    let price = standard.price.get() as f64;
    let ratio = unit_cost / price;
    let unit = standard.unit;
    let details = CostVsStandard {
        unit_cost_rupiah: whole(unit_cost),
        standard_rupiah: standard.price.get(),
        ratio: (ratio * 100.0).round() / 100.0,
        unit,
        budget_rupiah: p.budget.get(),
        volume: p.volume.normalize().to_string(),
        standard_source: standard.source.clone(),
        standard_from_elsewhere: standard.elsewhere.clone(),
    };
    if ratio > 1.0 + config.cost_above_warning {
        let severity = if ratio > 1.0 + config.cost_above_high {
            Severity::High
        } else {
            Severity::Warning
        };
        return Some(Finding::CostAboveStandard(details).at(severity));
    }
    if ratio < config.cost_below {
        return Some(Finding::CostBelowStandard(details).at(Severity::Warning));
    }
    None
}

fn volume_plausibility(
    p: &ProposalFacts,
    activity: &Activity,
    config: &RuleConfig,
) -> Option<Anomaly> {
    let factor = Decimal::try_from(config.volume_high_factor).unwrap_or(Decimal::ONE);
    let unit = activity.unit;
    let volume = p.volume.normalize();
    let details = |bound: Decimal| {
        Finding::VolumeImplausible(VolumeBound {
            volume: volume.to_string(),
            unit,
            bound: bound.normalize().to_string(),
            activity: activity.code.clone(),
            activity_nama: Some(activity.nama.clone()),
        })
    };
    if let Some(max) = activity.volume_max
        && p.volume > max
    {
        let severity = if max.checked_mul(factor).is_some_and(|high| p.volume > high) {
            Severity::High
        } else {
            Severity::Warning
        };
        return Some(details(max).at(severity));
    }
    if let Some(min) = activity.volume_min
        && p.volume < min
    {
        let severity = if p.volume.checked_mul(factor).is_some_and(|v| v < min) {
            Severity::High
        } else {
            Severity::Warning
        };
        return Some(details(min).at(severity));
    }
    None
}

fn location_anomaly(p: &ProposalFacts, index: &BoundaryIndex) -> Option<Anomaly> {
    position_anomaly(index, p.pin?, 0.0, &p.kelurahan, Positioned::Pin)
}

/// The `LOCATION_*` anomaly of a position (with its accuracy in metres) against the kelurahan it
/// should lie in; `None` when it is inside, or the kelurahan has no boundary. `subject` says
/// whether the position is a map pin or a survey's GPS fix.
pub fn position_anomaly(
    index: &BoundaryIndex,
    point: Wgs84Point,
    accuracy_m: f64,
    kelurahan: &WilayahKode,
    subject: Positioned,
) -> Option<Anomaly> {
    let claimed = index.region(kelurahan)?;
    let verdict = index
        .locate(point, accuracy_m, Some(kelurahan), &LocateConfig::default())
        .ok()?;
    let tenth = |d: f64| (d * 10.0).round() / 10.0;
    let nama = verdict
        .kode
        .as_ref()
        .and_then(|k| index.region(k))
        .map(|r| r.nama.clone());
    let location = Location {
        status: verdict.status,
        claimed: kelurahan.clone(),
        kode: verdict.kode,
        kodes: verdict.kodes,
        nearest_kode: verdict.nearest_kode,
        distance_m: verdict.distance_m.map(tenth),
        claimed_distance_m: verdict.claimed_distance_m.map(tenth),
        subject,
        claimed_among: verdict.claimed_among,
        claimed_nama: Some(claimed.nama.clone()).filter(|n| !n.is_empty()),
        nama: nama.filter(|n| !n.is_empty()),
    };
    let (finding, severity) = match verdict.status {
        LocationStatus::Inside => return None,
        LocationStatus::Borderline => (Finding::LocationBorderline(location), Severity::Info),
        LocationStatus::OtherKelurahan => {
            (Finding::LocationOtherKelurahan(location), Severity::High)
        }
        LocationStatus::Gap => (Finding::LocationGap(location), Severity::Info),
        LocationStatus::Overlap => {
            let severity = if verdict.claimed_among == Some(true) {
                Severity::Info
            } else {
                Severity::High
            };
            (Finding::LocationOverlap(location), severity)
        }
        LocationStatus::Outside => (Finding::LocationOutside(location), Severity::High),
    };
    Some(finding.at(severity))
}

/// Median of a non-empty slice (sorted in place).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        f64::midpoint(values[n / 2 - 1], values[n / 2])
    }
}

/// `COST_OUTLIER`: among proposals of the same activity, unit, city and year (at least
/// `outlier_min_group` of them), the modified z-score of Iglewicz and Hoaglin on the logarithm of the
/// unit cost, `z = 0.6745 (x - median) / MAD`. Logarithms, because prices spread multiplicatively;
/// median and MAD, because a few wild values must not hide themselves by moving a mean.
pub fn cost_outliers(proposals: &[ProposalFacts], config: &RuleConfig) -> Vec<(i64, Anomaly)> {
    // Activity, unit, city, year: what makes proposals comparable.
    type GroupKey<'a> = (&'a str, Unit, &'a str, i32);
    let mut groups: HashMap<GroupKey<'_>, Vec<(&ProposalFacts, f64)>> = HashMap::new();
    for p in proposals {
        if let (Some(activity), Some(unit), Some(cost)) =
            (p.activity.as_deref(), p.unit, p.unit_cost())
            && unit.has_unit_cost()
            && cost > 0.0
        {
            groups
                .entry((activity, unit, p.kota(), p.tahun))
                .or_default()
                .push((p, cost));
        }
    }
    let mut out = Vec::new();
    for ((activity, unit, _, _), members) in groups {
        if members.len() < config.outlier_min_group {
            continue;
        }
        let mut logs: Vec<f64> = members.iter().map(|(_, c)| c.ln()).collect();
        let med = median(&mut logs);
        let mut deviations: Vec<f64> = members.iter().map(|(_, c)| (c.ln() - med).abs()).collect();
        let mad = median(&mut deviations);
        if mad <= f64::EPSILON {
            continue;
        }
        let typical = med.exp();
        for (p, cost) in members {
            let z = 0.6745 * (cost.ln() - med) / mad;
            if z.abs() <= config.outlier_z_warning {
                continue;
            }
            let severity = if z.abs() > config.outlier_z_high {
                Severity::High
            } else {
                Severity::Warning
            };
            out.push((
                p.id,
                Finding::CostOutlier(CostOutlier {
                    unit_cost_rupiah: whole(cost),
                    median_rupiah: whole(typical),
                    robust_z: (z * 100.0).round() / 100.0,
                    group_size: logs.len(),
                    method: "modified z-score on ln(unit cost): 0.6745 (x - median) / MAD".into(),
                    activity: Some(activity.to_owned()),
                    unit: Some(unit),
                })
                .at(severity),
            ));
        }
    }
    out
}

fn pins_near(a: &ProposalFacts, b: &ProposalFacts, metres: f64) -> Option<f64> {
    let (pa, pb) = (a.pin?, b.pin?);
    let d = geodesic_m([pa.lon(), pa.lat()], [pb.lon(), pb.lat()]);
    (d <= metres).then_some(d)
}

/// Pairs of proposals that are "the same work at the same place": the same activity with pins
/// within the distance, or the same kelurahan with near-identical text. Pins are bucketed in a grid
/// of cells as wide as the distance, so only neighbouring cells are compared.
fn same_work_pairs<'a>(
    left: &'a [ProposalFacts],
    right: &'a [ProposalFacts],
    config: &RuleConfig,
) -> Vec<(&'a ProposalFacts, &'a ProposalFacts, Option<f64>)> {
    let cell = config.duplicate_distance_m / 100_000.0;
    let key = |p: &Wgs84Point| {
        #[allow(clippy::cast_possible_truncation)]
        (
            (p.lon() / cell).floor() as i64,
            (p.lat() / cell).floor() as i64,
        )
    };
    let mut by_cell: HashMap<(i64, i64), Vec<&ProposalFacts>> = HashMap::new();
    let mut by_kelurahan: HashMap<&WilayahKode, Vec<(&ProposalFacts, crate::text::TextKey)>> =
        HashMap::new();
    for p in right {
        if let Some(pin) = &p.pin {
            by_cell.entry(key(pin)).or_default().push(p);
        }
        by_kelurahan
            .entry(&p.kelurahan)
            .or_default()
            .push((p, crate::text::text_key(&p.text)));
    }
    let mut pairs = Vec::new();
    for a in left {
        let mut seen = Vec::new();
        if let (Some(pin), Some(activity)) = (&a.pin, &a.activity) {
            let (cx, cy) = key(pin);
            for dx in -1..=1 {
                for dy in -1..=1 {
                    for b in by_cell.get(&(cx + dx, cy + dy)).into_iter().flatten() {
                        if b.id != a.id
                            && b.activity.as_ref() == Some(activity)
                            && let Some(d) = pins_near(a, b, config.duplicate_distance_m)
                        {
                            seen.push(b.id);
                            pairs.push((a, *b, Some(d)));
                        }
                    }
                }
            }
        }
        let text = crate::text::text_key(&a.text);
        for (b, b_text) in by_kelurahan.get(&a.kelurahan).into_iter().flatten() {
            if b.id != a.id
                && !seen.contains(&b.id)
                && crate::text::similar_text(&text, b_text, config.text_similarity)
            {
                pairs.push((a, *b, None));
            }
        }
    }
    pairs
}

/// `DUPLICATE_NEARBY`, on both proposals of each pair in the same year.
fn duplicates(proposals: &[ProposalFacts], config: &RuleConfig) -> Vec<(i64, Anomaly)> {
    same_work_pairs(proposals, proposals, config)
        .into_iter()
        .filter(|(a, b, _)| a.tahun == b.tahun)
        .map(|(a, b, distance)| {
            let finding = Finding::DuplicateNearby(Duplicate {
                other_id: b.id,
                distance_m: distance.map(|d| (d * 10.0).round() / 10.0),
                other_text: b.text.clone(),
            });
            (a.id, finding.at(Severity::Warning))
        })
        .collect()
}

/// `DONE_BEFORE`: the same work at the same place was approved in an earlier year (ground (f) of the
/// guideline: already done in an earlier year).
fn done_before(
    proposals: &[ProposalFacts],
    earlier: &[ProposalFacts],
    config: &RuleConfig,
) -> Vec<(i64, Anomaly)> {
    let approved: Vec<ProposalFacts> = earlier.iter().filter(|p| p.approved).cloned().collect();
    same_work_pairs(proposals, &approved, config)
        .into_iter()
        .filter(|(a, b, _)| b.tahun < a.tahun && (b.activity == a.activity || b.activity.is_none()))
        .map(|(a, b, distance)| {
            let finding = Finding::DoneBefore(DoneBefore {
                earlier_id: b.id,
                earlier_tahun: b.tahun,
                distance_m: distance.map(|d| (d * 10.0).round() / 10.0),
                earlier_text: b.text.clone(),
            });
            (a.id, finding.at(Severity::High))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn activity(code: &str, keywords: &[&str], unit: Unit, min: i64, max: i64) -> Activity {
        Activity {
            code: code.into(),
            nama: code.into(),
            keywords: keywords.iter().map(|k| (*k).to_owned()).collect(),
            unit,
            volume_min: Some(Decimal::from(min)),
            volume_max: Some(Decimal::from(max)),
        }
    }

    fn catalogue() -> HashMap<String, Activity> {
        [
            activity(
                "paving_block",
                &["paving", "paving block"],
                Unit::SquareMetre,
                10,
                2000,
            ),
            activity("saluran", &["saluran", "drainase"], Unit::Metre, 10, 1500),
        ]
        .into_iter()
        .map(|a| (a.code.clone(), a))
        .collect()
    }

    fn standards() -> HashMap<String, CostStandard> {
        HashMap::from([(
            "paving_block".to_owned(),
            CostStandard {
                unit: Unit::SquareMetre,
                price: Rupiah::new(230_000).unwrap(),
                source: "test".into(),
                elsewhere: None,
            },
        )])
    }

    fn proposal(id: i64, text: &str, volume: i64, budget: i64) -> ProposalFacts {
        ProposalFacts {
            id,
            tahun: 2026,
            kelurahan: WilayahKode::parse("31.71.01.1001").unwrap(),
            activity: Some("paving_block".into()),
            text: text.into(),
            volume: Decimal::from(volume),
            unit: Some(Unit::SquareMetre),
            unit_raw: "M2".into(),
            budget: Rupiah::new(budget).unwrap(),
            pin: None,
            approved: false,
        }
    }

    fn run(proposals: &[ProposalFacts], earlier: &[ProposalFacts]) -> HashMap<i64, Vec<Anomaly>> {
        let (activities, standards, config) = (catalogue(), standards(), RuleConfig::default());
        let inputs = RuleInputs {
            activities: &activities,
            standards: &standards,
            earlier,
            boundaries: None,
            config: &config,
        };
        check_proposals(proposals, &inputs)
    }

    fn codes_of(found: &HashMap<i64, Vec<Anomaly>>, id: i64) -> Vec<&str> {
        found
            .get(&id)
            .map(|v| v.iter().map(|a| a.code.as_str()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn a_clean_proposal_raises_nothing() {
        let found = run(
            &[proposal(1, "Paving block Jl. Mawar RW 02", 200, 46_000_000)],
            &[],
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn cost_far_above_and_below_the_standard_is_flagged_with_its_numbers() {
        let found = run(
            &[
                proposal(1, "Paving block Jl. Mawar", 100, 40_000_000),
                proposal(2, "Paving block Jl. Melati", 100, 80_000_000),
                proposal(3, "Paving block Jl. Kenanga", 100, 9_000_000),
            ],
            &[],
        );
        let above = &found[&1][0];
        assert_eq!(
            (above.code.as_str(), above.severity),
            ("COST_ABOVE_STANDARD", Severity::Warning)
        );
        assert_eq!(above.details["unit_cost_rupiah"], 400_000);
        assert_eq!(above.details["standard_rupiah"], 230_000);
        assert!(
            above.message.id.contains("Rp 400.000/m2"),
            "{}",
            above.message.id
        );
        assert_eq!(found[&2][0].severity, Severity::High);
        assert_eq!(codes_of(&found, 3), ["COST_BELOW_STANDARD"]);
    }

    #[test]
    fn implausible_volumes_are_flagged_and_units_are_not_mixed() {
        let mut linear = proposal(3, "Paving block gang", 150, 34_500_000);
        linear.unit = Some(Unit::Metre);
        linear.unit_raw = "M'".into();
        let found = run(
            &[
                proposal(1, "Paving block RW 01", 2_500, 575_000_000),
                proposal(2, "Paving block RW 09", 9_000, 2_070_000_000),
                linear,
            ],
            &[],
        );
        assert_eq!(found[&1][0].code, "VOLUME_IMPLAUSIBLE");
        assert_eq!(found[&1][0].severity, Severity::Warning);
        assert_eq!(found[&2][0].severity, Severity::High);
        assert_eq!(codes_of(&found, 3), ["UNIT_INCOMPARABLE"]);
    }

    #[test]
    fn unknown_activities_are_listed_not_dropped() {
        let mut p = proposal(1, "Pelatihan menjahit", 1, 5_000_000);
        p.activity = None;
        assert_eq!(codes_of(&run(&[p], &[]), 1), ["ACTIVITY_UNKNOWN"]);
    }

    #[test]
    fn a_robust_outlier_among_similar_proposals_is_found() {
        let mut proposals: Vec<ProposalFacts> = (0..12)
            .map(|i| {
                proposal(
                    i,
                    &format!("Paving block lokasi {i} gang {}", i * 7),
                    100,
                    22_000_000 + i * 300_000,
                )
            })
            .collect();
        proposals.push(proposal(
            99,
            "Paving block lokasi jauh sekali",
            100,
            44_000_000,
        ));
        let found = run(&proposals, &[]);
        let outlier = found[&99]
            .iter()
            .find(|a| a.code == "COST_OUTLIER")
            .expect("outlier found");
        assert!(outlier.details["robust_z"].as_f64().unwrap() > 3.5);
        assert!((0..12).all(|i| !codes_of(&found, i).contains(&"COST_OUTLIER")));
    }

    #[test]
    fn duplicates_by_pin_and_by_text_are_found_both_ways() {
        let mut a = proposal(1, "Paving block Jl. Mawar RT 01", 100, 23_000_000);
        let mut b = proposal(2, "Perbaikan paving gang buntu", 100, 23_000_000);
        a.pin = Some(Wgs84Point::parse(106.8272, -6.1754).unwrap());
        b.pin = Some(Wgs84Point::parse(106.8274, -6.1755).unwrap()); // about 25 m away
        let c = proposal(3, "Paving block Jl. Mawar RT 01.", 100, 23_000_000);
        let found = run(&[a, b, c], &[]);
        for id in [1, 2, 3] {
            assert!(
                codes_of(&found, id).contains(&"DUPLICATE_NEARBY"),
                "{id}: {found:?}"
            );
        }
        let by_pin = found[&2]
            .iter()
            .find(|x| x.details["other_id"] == 1)
            .unwrap();
        assert!((20.0..30.0).contains(&by_pin.details["distance_m"].as_f64().unwrap()));
    }

    #[test]
    fn work_approved_in_an_earlier_year_is_done_before() {
        let mut earlier = proposal(10, "Paving block Jl. Mawar RT 01", 100, 23_000_000);
        earlier.tahun = 2024;
        earlier.approved = true;
        let mut rejected = earlier.clone();
        rejected.id = 11;
        rejected.approved = false;
        let found = run(
            &[proposal(1, "Paving block Jl. Mawar RT 01", 100, 23_000_000)],
            &[earlier, rejected],
        );
        let done = &found[&1];
        assert_eq!(done.len(), 1, "{done:?}");
        assert_eq!(
            (done[0].code.as_str(), done[0].severity),
            ("DONE_BEFORE", Severity::High)
        );
        assert_eq!(done[0].details["earlier_id"], 10);
    }

    #[test]
    fn text_normalisation_and_recognition() {
        assert_eq!(
            normalise_text("Pemb. U-Ditch  RT.03 / RW 05"),
            "pemb u ditch rt 03 rw 05"
        );
        let catalogue: Vec<Activity> = catalogue().into_values().collect();
        assert_eq!(
            recognise_activity("PEMASANGAN PAVING BLOCK", &catalogue)
                .unwrap()
                .code,
            "paving_block"
        );
        assert_eq!(
            recognise_activity("Normalisasi saluran air", &catalogue)
                .unwrap()
                .code,
            "saluran"
        );
        assert!(
            recognise_activity("Pavingisasi", &catalogue).is_none(),
            "whole words only"
        );
    }
}
