//! Distances in metres on the WGS84 ellipsoid.
//!
//! Inner loops use a local tangent plane at the query point (east and north metres from the
//! ellipsoid's radii of curvature there): exact to a few parts in a million for the short edges and
//! short distances the location checks compare. Reported distances are then measured with the
//! geodesic (Karney's algorithm, via `geo`) to the nearest point found, so they hold at any range.

use geo::{Distance, Geodesic, Point};

/// WGS84 semi-major axis, metres.
const A: f64 = 6_378_137.0;
/// WGS84 first eccentricity squared.
const E2: f64 = 6.694_379_990_141_316e-3;

/// Metres per degree of longitude and of latitude at `lat` degrees, on the WGS84 ellipsoid.
///
/// ```
/// let (east, north) = geo_rules::metric::metres_per_degree(-6.2);
/// assert!((east - 110_673.0).abs() < 1.0);   // one degree of longitude at Jakarta, m
/// assert!((north - 110_587.0).abs() < 1.0);  // one degree of latitude at Jakarta, m
/// ```
pub fn metres_per_degree(lat: f64) -> (f64, f64) {
    let phi = lat.to_radians();
    let s2 = phi.sin() * phi.sin();
    let w = (1.0 - E2 * s2).sqrt();
    let prime_vertical = A / w;
    let meridional = A * (1.0 - E2) / (w * w * w);
    let rad = std::f64::consts::PI / 180.0;
    (prime_vertical * phi.cos() * rad, meridional * rad)
}

/// A local east/north frame in metres around an origin.
#[derive(Debug, Clone, Copy)]
pub struct LocalFrame {
    lon0: f64,
    lat0: f64,
    east_per_degree: f64,
    north_per_degree: f64,
}

impl LocalFrame {
    pub fn at(lon: f64, lat: f64) -> Self {
        let (east_per_degree, north_per_degree) = metres_per_degree(lat);
        Self {
            lon0: lon,
            lat0: lat,
            east_per_degree,
            north_per_degree,
        }
    }

    /// `(east, north)` metres of a position from the origin.
    #[inline]
    pub fn project(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            (lon - self.lon0) * self.east_per_degree,
            (lat - self.lat0) * self.north_per_degree,
        )
    }

    /// Metres per degree east and north at the frame's origin.
    pub fn metres_per_degree(&self) -> (f64, f64) {
        (self.east_per_degree, self.north_per_degree)
    }

    /// Squared planar distance in m² from the origin to the box `[min_lon, min_lat, max_lon,
    /// max_lat]` (0 inside it): a lower bound of the distance to anything in the box.
    #[inline]
    pub fn box_distance_sq(&self, bbox: [f64; 4]) -> f64 {
        let dx = (bbox[0] - self.lon0).max(self.lon0 - bbox[2]).max(0.0) * self.east_per_degree;
        let dy = (bbox[1] - self.lat0).max(self.lat0 - bbox[3]).max(0.0) * self.north_per_degree;
        dx * dx + dy * dy
    }

    /// Squared planar distance in m² from the origin to segment `a`–`b` (degrees), and the
    /// parameter `t` in 0..=1 of the nearest point on it.
    #[inline]
    pub fn segment_distance_sq(&self, a: [f64; 2], b: [f64; 2]) -> (f64, f64) {
        origin_segment_sq(self.project(a[0], a[1]), self.project(b[0], b[1]))
    }
}

/// Squared distance from the origin to segment `a`–`b` in a plane (any unit), and the parameter `t`
/// in 0..=1 of the segment's point nearest the origin.
#[inline]
pub(crate) fn origin_segment_sq(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    let ((ax, ay), (bx, by)) = (a, b);
    let (dx, dy) = (bx - ax, by - ay);
    let len_sq = dx * dx + dy * dy;
    let t = if len_sq > 0.0 {
        (-(ax * dx + ay * dy) / len_sq).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (px, py) = (ax + t * dx, ay + t * dy);
    (px * px + py * py, t)
}

/// The geodesic distance in metres between two `[lon, lat]` positions.
///
/// ```
/// // Monas to Bundaran HI, Jakarta: about 2.2 km.
/// let d = geo_rules::metric::geodesic_m([106.8271, -6.1754], [106.8230, -6.1950]);
/// assert!((d - 2_214.0).abs() < 5.0, "{d}");
/// ```
pub fn geodesic_m(a: [f64; 2], b: [f64; 2]) -> f64 {
    Geodesic.distance(Point::new(a[0], a[1]), Point::new(b[0], b[1]))
}

/// Distance in metres from `p` to segment `a`–`b` (all `[lon, lat]`): the nearest point is found in
/// the tangent plane at `p`, and the distance to it is measured by [`short_distance_m`].
pub fn point_segment_m(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    point_segment_in(&LocalFrame::at(p[0], p[1]), p, a, b)
}

/// [`point_segment_m`] with the tangent plane at `p` already made.
pub fn point_segment_in(frame: &LocalFrame, p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (_, t) = frame.segment_distance_sq(a, b);
    let nearest = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
    short_distance_m(p, nearest)
}

/// Below this many metres [`short_distance_m`] uses the plane at the mid-latitude.
const SHORT_M: f64 = 10_000.0;

/// Distance in metres between two positions: on the plane scaled at their mid-latitude when it is
/// under 10 km (within a millimetre of the geodesic there, and about a hundred times cheaper), otherwise
/// the geodesic.
///
/// ```
/// use geo_rules::metric::{geodesic_m, short_distance_m};
/// let (monas, istiqlal) = ([106.8272, -6.1754], [106.8314, -6.1702]);
/// let d = short_distance_m(monas, istiqlal);
/// assert!((d - geodesic_m(monas, istiqlal)).abs() < 0.001, "{d} m");
/// ```
pub fn short_distance_m(a: [f64; 2], b: [f64; 2]) -> f64 {
    let (east, north) = metres_per_degree(f64::midpoint(a[1], b[1]));
    let (dx, dy) = ((b[0] - a[0]) * east, (b[1] - a[1]) * north);
    let planar = dx.hypot(dy);
    if planar < SHORT_M {
        planar
    } else {
        geodesic_m(a, b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tangent_plane_agrees_with_the_geodesic_within_a_part_in_ten_thousand_to_5_km() {
        let origin = [106.8271, -6.1754];
        let frame = LocalFrame::at(origin[0], origin[1]);
        for (dlon, dlat) in [
            (0.001, 0.0),
            (0.0, 0.001),
            (0.01, -0.02),
            (-0.03, 0.03),
            (0.0003, 0.0004),
        ] {
            let q = [origin[0] + dlon, origin[1] + dlat];
            let (x, y) = frame.project(q[0], q[1]);
            let planar = (x * x + y * y).sqrt();
            let geodesic = geodesic_m(origin, q);
            assert!(
                (planar - geodesic).abs() / geodesic < 1e-4,
                "{dlon},{dlat}: {planar} vs {geodesic}"
            );
        }
    }

    #[test]
    fn short_distances_agree_with_the_geodesic_within_a_millimetre() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        let mut worst: f64 = 0.0;
        for _ in 0..20_000 {
            // Across Indonesia's latitudes, up to about 10 km apart in any direction.
            let a = [rng.random_range(95.0..141.0), rng.random_range(-11.0..6.0)];
            let b = [
                a[0] + rng.random_range(-0.063..0.063),
                a[1] + rng.random_range(-0.063..0.063),
            ];
            worst = worst.max((short_distance_m(a, b) - geodesic_m(a, b)).abs());
        }
        assert!(worst < 0.001, "worst difference {worst} m");
    }

    #[test]
    fn point_segment_distance_finds_the_foot_of_the_perpendicular() {
        // A north-south segment 0.01 degrees east of the point: the distance is 0.01 degrees of
        // longitude at that latitude, not the distance to either end.
        let p = [106.80, -6.20];
        let d = point_segment_m(p, [106.81, -6.21], [106.81, -6.19]);
        let expected = geodesic_m(p, [106.81, -6.20]);
        assert!((d - expected).abs() < 0.01, "{d} vs {expected}");
        // Beyond the end, the end is nearest.
        let d = point_segment_m(p, [106.81, -6.19], [106.82, -6.19]);
        assert!((d - geodesic_m(p, [106.81, -6.19])).abs() < 0.01);
    }
}
