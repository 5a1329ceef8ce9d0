//! Running the proposal checks (geo-rules) over the stored proposals and storing what they find.
//!
//! The checks compare proposals with each other, with earlier years, with the catalogue and with the
//! price standards, so whenever one of these inputs changes every proposal is checked again, in one
//! transaction: thousands of proposals take well under a second.
//!
//! The survey checks' findings live in the same table but are not the proposal checks' to replace:
//! only the surveys whose own inputs changed are checked again, each as a survey is ([`SurveyRecheck`]).

use std::collections::{BTreeMap, HashMap};

use geo_rules::BoundaryIndex;
use geo_rules::proposal_rules::{
    Activity, CostStandard, ProposalFacts, RuleConfig, RuleInputs, check_proposals,
    recognise_activity,
};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use sqlx::PgPool;
use survey_schema::{Rupiah, Unit, Wgs84Point, WilayahKode};

use crate::db;

/// What a recomputation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnalysisSummary {
    pub proposals: usize,
    pub with_anomalies: usize,
    pub anomalies: usize,
    /// Proposals whose activity the catalogue does not recognise.
    pub unknown_activity: usize,
    /// Count per anomaly code of the proposal checks.
    pub by_code: BTreeMap<String, usize>,
    /// Surveys whose checks ran again.
    pub surveys_rechecked: usize,
    /// Of those, the surveys whose findings changed.
    pub surveys_changed: usize,
    /// When every finding was current: the last re-check's commit.
    pub current_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Which surveys' findings an input change can have made stale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SurveyRecheck {
    /// Prices and the catalogue: nothing a survey check reads.
    None,
    /// The kelurahan boundaries (every fix's location verdict), or a full re-analysis.
    All,
    /// Proposals that changed (their volume or unit is what a remeasurement is compared with).
    OfProposals(Vec<i64>),
}

/// Statuses that mean a proposal was approved (for "already done in an earlier year").
pub fn is_approved(status: &str) -> bool {
    matches!(
        status.trim().to_lowercase().as_str(),
        "disetujui"
            | "diterima"
            | "approved"
            | "selesai"
            | "terealisasi"
            | "direalisasikan"
            | "dilaksanakan"
    )
}

/// The catalogue as the rules see it.
pub fn activities(rows: &[db::activity::ActivityRow]) -> Vec<Activity> {
    rows.iter()
        .filter_map(|r| {
            Some(Activity {
                code: r.code.clone(),
                nama: r.nama.clone(),
                keywords: r.keywords.clone(),
                unit: Unit::from_code(&r.unit)?,
                volume_min: r.volume_min,
                volume_max: r.volume_max,
            })
        })
        .collect()
}

/// Re-recognises every proposal's activity, recomputes every proposal check and replaces their
/// stored findings, then runs again the checks of the complete, uncorrected surveys that `surveys`
/// names.
pub async fn recompute(
    pool: &PgPool,
    boundaries: &BoundaryIndex,
    surveys: SurveyRecheck,
) -> anyhow::Result<AnalysisSummary> {
    let catalogue_rows = db::activity::all(pool).await?;
    let catalogue = activities(&catalogue_rows);
    let mut facts_rows = db::proposal::all_facts(pool).await?;

    let mut tx = pool.begin().await?;
    // One recomputation at a time; a second waits and then sees the first one's result.
    db::lock::analysis(&mut tx).await?;
    let (mut ids, mut codes) = (Vec::new(), Vec::new());
    for row in &mut facts_rows {
        let recognised = recognise_activity(&row.usulan, &catalogue).map(|a| a.code.clone());
        if recognised != row.activity_code {
            ids.push(row.id);
            codes.push(recognised.clone());
            row.activity_code = recognised;
        }
    }
    if !ids.is_empty() {
        db::proposal::set_activities(&mut tx, &ids, &codes).await?;
    }

    let facts: Vec<ProposalFacts> = facts_rows.iter().filter_map(to_facts).collect();
    let activities: HashMap<String, Activity> = catalogue
        .iter()
        .map(|a| (a.code.clone(), a.clone()))
        .collect();
    let config = RuleConfig::default();

    // Standards depend on the city and the year: check each (city, year) group on its own.
    let mut groups: BTreeMap<(WilayahKode, i32), Vec<ProposalFacts>> = BTreeMap::new();
    for f in &facts {
        let Some(kota) = f.kelurahan.ancestor(survey_schema::WilayahLevel::Kota) else {
            continue;
        };
        groups.entry((kota, f.tahun)).or_default().push(f.clone());
    }
    let mut batch = db::anomaly::AnomalyBatch::default();
    let mut summary = AnalysisSummary {
        proposals: facts.len(),
        unknown_activity: facts.iter().filter(|f| f.activity.is_none()).count(),
        ..AnalysisSummary::default()
    };
    for ((kota, tahun), proposals) in &groups {
        let standards = standards_for(pool, &catalogue_rows, kota, *tahun).await?;
        let earlier: Vec<ProposalFacts> = facts
            .iter()
            .filter(|f| f.tahun < *tahun && kota.contains(&f.kelurahan))
            .cloned()
            .collect();
        let inputs = RuleInputs {
            activities: &activities,
            standards: &standards,
            earlier: &earlier,
            boundaries: Some(boundaries),
            config: &config,
        };
        for (id, anomalies) in check_proposals(proposals, &inputs) {
            if !anomalies.is_empty() {
                summary.with_anomalies += 1;
            }
            for a in anomalies {
                *summary.by_code.entry(a.code.clone()).or_default() += 1;
                batch.proposal_ids.push(id);
                batch.codes.push(a.code);
                batch.severities.push(a.severity.as_str().to_owned());
                batch.messages_id.push(a.message.id);
                batch.messages_en.push(a.message.en);
                batch.details.push(a.details);
            }
        }
    }
    summary.anomalies = batch.codes.len();
    db::anomaly::replace_proposal_findings(&mut tx, &batch).await?;
    tx.commit().await?;
    let rechecked = recheck_surveys(pool, boundaries, surveys).await?;
    summary.surveys_rechecked = rechecked.checked;
    summary.surveys_changed = rechecked.changed;
    summary.current_at = Some(chrono::Utc::now());
    Ok(summary)
}

/// Runs the checks of the standing surveys `which` names again, as sets
/// ([`crate::survey_checks::recheck`]): 10,000 surveys in seconds, not minutes.
async fn recheck_surveys(
    pool: &PgPool,
    boundaries: &BoundaryIndex,
    which: SurveyRecheck,
) -> anyhow::Result<crate::survey_checks::Rechecked> {
    let none = crate::survey_checks::Rechecked::default();
    let ids = match which {
        SurveyRecheck::None => return Ok(none),
        SurveyRecheck::OfProposals(ids) if ids.is_empty() => return Ok(none),
        SurveyRecheck::OfProposals(ids) => db::survey::standing_checked(pool, Some(&ids)).await?,
        SurveyRecheck::All => db::survey::standing_checked(pool, None).await?,
    };
    crate::survey_checks::recheck(pool, boundaries, &ids).await
}

fn to_facts(row: &db::proposal::FactRow) -> Option<ProposalFacts> {
    let pin = match (row.lon, row.lat) {
        (Some(lon), Some(lat)) => Wgs84Point::parse(lon, lat).ok(),
        _ => None,
    };
    Some(ProposalFacts {
        id: row.id,
        tahun: row.tahun,
        kelurahan: row.kelurahan_kode.0.clone(),
        activity: row.activity_code.clone(),
        text: match &row.lokasi {
            Some(lokasi) => format!("{} {lokasi}", row.usulan),
            None => row.usulan.clone(),
        },
        volume: row.volume,
        unit: row.unit.as_deref().and_then(Unit::from_code),
        unit_raw: row.satuan_raw.clone(),
        budget: Rupiah::new(row.anggaran)?,
        pin,
        approved: is_approved(&row.status),
    })
}

/// The standard installed price of each catalogue activity for one city and year.
async fn standards_for(
    pool: &PgPool,
    catalogue: &[db::activity::ActivityRow],
    kota: &WilayahKode,
    tahun: i32,
) -> anyhow::Result<HashMap<String, CostStandard>> {
    let mut out = HashMap::new();
    for row in catalogue {
        let (Some(pattern), Some(price_unit), Some(unit)) = (
            &row.price_pattern,
            &row.price_unit,
            Unit::from_code(&row.unit),
        ) else {
            continue;
        };
        let Some(found) = db::price::standard_price(pool, pattern, price_unit, kota, tahun).await?
        else {
            continue;
        };
        let price = Decimal::from(found.harga)
            .checked_mul(row.work_factor)
            .unwrap_or(Decimal::MAX)
            .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
            .to_i64()
            .and_then(Rupiah::new);
        let Some(price) = price else { continue };
        let region = WilayahKode::parse(&found.region_kode).ok();
        let own = region
            .as_ref()
            .is_some_and(|r| r == kota || r.contains(kota));
        let elsewhere = match (own, &region) {
            (true, _) => None,
            (false, Some(r)) => Some(
                db::wilayah::find(pool, r)
                    .await?
                    .map_or_else(|| r.to_string(), |w| format!("{} ({r})", w.nama)),
            ),
            (false, None) => Some(found.region_kode.clone()),
        };
        let place = if own {
            found.region_kode.clone()
        } else {
            format!(
                "{} (another region: no standard for {kota})",
                found.region_kode
            )
        };
        out.insert(
            row.code.clone(),
            CostStandard {
                unit,
                price,
                source: format!(
                    "{} {} {}: {} (median of {} item(s), Rp {}/{price_unit}) x {}",
                    found.source.to_uppercase(),
                    place,
                    found.tahun,
                    found.example_item,
                    found.items,
                    found.harga,
                    row.work_factor.normalize()
                ),
                elsewhere,
            },
        );
    }
    Ok(out)
}
