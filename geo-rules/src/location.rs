//! "Was the team really at this proposal's place?": a location verdict for a GPS fix.

use serde::{Deserialize, Serialize};
use smallvec::SmallVec;
pub use survey_schema::{LocationStatus, LocationVerdict};
use survey_schema::{Wgs84Point, WilayahKode};

use crate::boundary_index::{BoundaryIndex, Region};

/// Thresholds of the verdict, in metres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LocateConfig {
    /// Added to the fix's accuracy before calling a point near a boundary `borderline`. Default 10 m.
    pub tolerance_m: f64,
    /// A point in no kelurahan but at most this far from one is a `gap`, farther is `outside`.
    /// Default 250 m.
    pub gap_distance_m: f64,
}

impl Default for LocateConfig {
    fn default() -> Self {
        Self {
            tolerance_m: 10.0,
            gap_distance_m: 250.0,
        }
    }
}

/// Why a point cannot be located.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LocateError {
    #[error("kelurahan {0} is not among the indexed boundaries")]
    UnknownClaimedKelurahan(WilayahKode),
    #[error("accuracy {0} m must be a finite number of metres, 0 or more")]
    BadAccuracy(f64),
}

impl BoundaryIndex {
    /// The verdict for `point`, whose fix is accurate to `accuracy_m` metres, claimed to be in the
    /// kelurahan `claimed` (if any).
    pub fn locate(
        &self,
        point: Wgs84Point,
        accuracy_m: f64,
        claimed: Option<&WilayahKode>,
        config: &LocateConfig,
    ) -> Result<LocationVerdict, LocateError> {
        if !accuracy_m.is_finite() || accuracy_m < 0.0 {
            return Err(LocateError::BadAccuracy(accuracy_m));
        }
        let claimed_region = match claimed {
            Some(k) => Some(
                self.region(k)
                    .ok_or_else(|| LocateError::UnknownClaimedKelurahan(k.clone()))?,
            ),
            None => None,
        };
        let p = [point.lon(), point.lat()];
        // On the stack: a point is in one kelurahan, two where they overlap, rarely more.
        let mut containing: SmallVec<[&Region; 4]> = SmallVec::new();
        self.for_each_containing(p[0], p[1], |r| {
            containing.push(&self.regions()[r as usize]);
        });
        let reach = accuracy_m + config.tolerance_m;
        let is_claimed = |r: &Region| claimed_region.is_some_and(|c| c.kode == r.kode);
        let claimed_inside = containing.iter().any(|r| is_claimed(r));
        // Distance to the claimed kelurahan's boundary; zero "to the kelurahan" when inside it.
        let claimed_boundary_m = claimed_region.map(|c| c.boundary_distance_m(p));
        let claimed_distance_m = claimed_boundary_m.map(|d| if claimed_inside { 0.0 } else { d });
        let kodes: Vec<WilayahKode> = containing.iter().map(|r| r.kode.clone()).collect();
        let mut verdict = LocationVerdict {
            status: LocationStatus::Outside,
            kode: None,
            kodes,
            nearest_kode: None,
            distance_m: None,
            claimed_distance_m,
            claimed_among: None,
        };

        match containing.as_slice() {
            [] => {
                let nearest = self.nearest(p);
                verdict.nearest_kode = nearest.map(|(r, _)| r.kode.clone());
                match (claimed_boundary_m, nearest) {
                    (Some(d), _) if d <= reach => {
                        verdict.status = LocationStatus::Borderline;
                        verdict.distance_m = Some(d);
                    }
                    (_, Some((_, d))) => {
                        verdict.status = if d <= config.gap_distance_m {
                            LocationStatus::Gap
                        } else {
                            LocationStatus::Outside
                        };
                        verdict.distance_m = Some(d);
                    }
                    (_, None) => verdict.status = LocationStatus::Outside,
                }
            }
            [only] => {
                verdict.kode = Some(only.kode.clone());
                if claimed_region.is_none() || claimed_inside {
                    // Inside the claimed kelurahan, its boundary distance is already known.
                    let depth = claimed_boundary_m
                        .filter(|_| claimed_inside)
                        .unwrap_or_else(|| only.boundary_distance_m(p));
                    verdict.status = if depth > reach {
                        LocationStatus::Inside
                    } else {
                        LocationStatus::Borderline
                    };
                    verdict.distance_m = Some(depth);
                } else {
                    let d = claimed_boundary_m.unwrap_or(f64::INFINITY);
                    verdict.status = if d <= reach {
                        LocationStatus::Borderline
                    } else {
                        LocationStatus::OtherKelurahan
                    };
                    verdict.distance_m = Some(d);
                }
            }
            _ => {
                verdict.status = LocationStatus::Overlap;
                verdict.claimed_among = claimed_region.map(|_| claimed_inside);
                verdict.distance_m = claimed_boundary_m;
            }
        }
        Ok(verdict)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boundary_index::RegionInput;

    fn square(kode: &str, x0: f64, y0: f64, size: f64) -> RegionInput {
        RegionInput::square(kode, x0, y0, size)
    }

    /// Two 0.01° squares (about 1.1 km) with a 0.001° (about 110 m) gap between them, and a third
    /// overlapping the second.
    fn index() -> BoundaryIndex {
        BoundaryIndex::build(vec![
            square("31.71.01.1001", 106.800, -6.200, 0.01),
            square("31.71.01.1002", 106.811, -6.200, 0.01),
            square("31.71.01.1003", 106.819, -6.200, 0.01),
        ])
        .unwrap()
    }

    fn kode(k: &str) -> WilayahKode {
        WilayahKode::parse(k).unwrap()
    }

    fn locate(lon: f64, lat: f64, accuracy: f64, claimed: Option<&str>) -> LocationVerdict {
        let claimed = claimed.map(kode);
        index()
            .locate(
                Wgs84Point::parse(lon, lat).unwrap(),
                accuracy,
                claimed.as_ref(),
                &LocateConfig::default(),
            )
            .unwrap()
    }

    #[test]
    fn deep_inside_the_claimed_kelurahan_is_inside_with_its_depth() {
        let v = locate(106.805, -6.195, 5.0, Some("31.71.01.1001"));
        assert_eq!(v.status, LocationStatus::Inside);
        assert_eq!(v.kode, Some(kode("31.71.01.1001")));
        let depth = v.distance_m.unwrap();
        assert!((540.0..560.0).contains(&depth), "{depth}");
        assert_eq!(v.claimed_distance_m, Some(0.0));
    }

    #[test]
    fn near_the_boundary_within_accuracy_is_borderline() {
        // About 11 m inside the east edge of 1001, accuracy 5 m + tolerance 10 m.
        let v = locate(106.8099, -6.195, 5.0, Some("31.71.01.1001"));
        assert_eq!(v.status, LocationStatus::Borderline);
        // In the gap, 22 m from the claimed kelurahan, accuracy 20 m.
        let v = locate(106.8102, -6.195, 20.0, Some("31.71.01.1001"));
        assert_eq!(v.status, LocationStatus::Borderline);
        assert!(v.kodes.is_empty());
    }

    #[test]
    fn inside_a_neighbour_is_other_kelurahan_with_the_distance_to_the_claimed_one() {
        let v = locate(106.815, -6.195, 5.0, Some("31.71.01.1001"));
        assert_eq!(v.status, LocationStatus::OtherKelurahan);
        assert_eq!(v.kode, Some(kode("31.71.01.1002")));
        let d = v.distance_m.unwrap();
        assert!((550.0..556.0).contains(&d), "{d}");
    }

    #[test]
    fn between_polygons_is_a_gap_and_far_away_is_outside() {
        let v = locate(106.8105, -6.195, 5.0, None);
        assert_eq!(v.status, LocationStatus::Gap);
        assert!(v.nearest_kode.is_some());
        assert!(v.distance_m.unwrap() < 60.0);
        let v = locate(106.9, -6.0, 5.0, Some("31.71.01.1001"));
        assert_eq!(v.status, LocationStatus::Outside);
        assert_eq!(v.nearest_kode, Some(kode("31.71.01.1003")));
        assert!(v.distance_m.unwrap() > 10_000.0);
    }

    #[test]
    fn in_two_polygons_is_an_overlap_saying_whether_the_claim_is_among_them() {
        let v = locate(106.820, -6.195, 5.0, Some("31.71.01.1002"));
        assert_eq!(v.status, LocationStatus::Overlap);
        assert_eq!(v.kodes, [kode("31.71.01.1002"), kode("31.71.01.1003")]);
        assert_eq!(v.claimed_among, Some(true));
        let v = locate(106.820, -6.195, 5.0, Some("31.71.01.1001"));
        assert_eq!(v.claimed_among, Some(false));
    }

    #[test]
    fn without_a_claim_the_verdict_says_where_the_point_is() {
        let v = locate(106.815, -6.195, 5.0, None);
        assert_eq!(v.status, LocationStatus::Inside);
        assert_eq!(v.kode, Some(kode("31.71.01.1002")));
        assert_eq!(v.claimed_distance_m, None);
    }

    #[test]
    fn an_unknown_claim_and_a_bad_accuracy_are_refused() {
        let index = index();
        let p = Wgs84Point::parse(106.805, -6.195).unwrap();
        let config = LocateConfig::default();
        assert!(matches!(
            index.locate(p, 5.0, Some(&kode("31.71.02.1001")), &config),
            Err(LocateError::UnknownClaimedKelurahan(_))
        ));
        assert!(matches!(
            index.locate(p, -1.0, None, &config),
            Err(LocateError::BadAccuracy(_))
        ));
        assert!(matches!(
            index.locate(p, f64::NAN, None, &config),
            Err(LocateError::BadAccuracy(_))
        ));
    }
}
