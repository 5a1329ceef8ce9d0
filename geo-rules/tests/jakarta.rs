//! The boundary index and the location verdicts on the real 267 Jakarta kelurahan polygons
//! (vendored in data/boundaries, with their real slivers, overlaps and island MultiPolygons).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::LazyLock;

use geo::{BoundingRect, Contains, Coord, LineString, MultiPolygon, Point, Polygon, Rect};
use geo_rules::metric::geodesic_m;
use geo_rules::{
    BoundaryIndex, LocateConfig, LocationStatus, LocationVerdict, RegionInput, parse_boundary_file,
};
use rand::{Rng, SeedableRng};
use survey_schema::{Wgs84Point, WilayahKode};

static FEATURES: LazyLock<Vec<geo_rules::BoundaryFeature>> = LazyLock::new(|| {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/boundaries/dki_kelurahan.geojson"
    ))
    .unwrap();
    parse_boundary_file(&bytes, "kode").unwrap()
});

static INDEX: LazyLock<BoundaryIndex> =
    LazyLock::new(|| BoundaryIndex::from_features(&FEATURES).unwrap());

fn locate(lat: f64, lon: f64, accuracy_m: f64, claimed: Option<&str>) -> LocationVerdict {
    let claimed = claimed.map(|k| WilayahKode::parse(k).unwrap());
    INDEX
        .locate(
            Wgs84Point::parse(lon, lat).unwrap(),
            accuracy_m,
            claimed.as_ref(),
            &LocateConfig::default(),
        )
        .unwrap()
}

fn kodes(v: &LocationVerdict) -> Vec<&str> {
    v.kodes.iter().map(WilayahKode::as_str).collect()
}

#[test]
fn indexes_all_267_kelurahan() {
    assert_eq!(INDEX.len(), 267);
}

/// Real offices and landmarks across Jakarta land in the kelurahan they are known to be in.
#[test]
fn landmarks_are_inside_their_kelurahan() {
    let cases = [
        ("Monas", -6.1754, 106.8272, "31.71.01.1001", "Gambir"),
        (
            "Balai Kota DKI",
            -6.1810,
            106.8283,
            "31.71.01.1001",
            "Gambir",
        ),
        (
            "Masjid Istiqlal",
            -6.1702,
            106.8314,
            "31.71.02.1001",
            "Pasar Baru",
        ),
        (
            "Museum Fatahillah",
            -6.1352,
            106.8133,
            "31.73.03.1008",
            "Pinangsia",
        ),
        ("Stadion GBK", -6.2186, 106.8018, "31.71.07.1001", "Gelora"),
        (
            "Bandara Halim",
            -6.2666,
            106.8910,
            "31.75.08.1004",
            "Halim Perdana Kusuma",
        ),
        ("Ancol", -6.1225, 106.8330, "31.72.05.1003", "Ancol"),
        (
            "Kebun Binatang Ragunan",
            -6.3125,
            106.8200,
            "31.74.04.1004",
            "Ragunan",
        ),
        // An island kelurahan, a MultiPolygon of many islands.
        (
            "Pulau Pramuka",
            -5.7457,
            106.6133,
            "31.01.01.1001",
            "Pulau Panggang",
        ),
        (
            "Pulau Untung Jawa",
            -5.9770,
            106.7060,
            "31.01.02.1001",
            "Pulau Untung Jawa",
        ),
    ];
    for (name, lat, lon, kode, nama) in cases {
        let v = locate(lat, lon, 10.0, Some(kode));
        assert_eq!(v.status, LocationStatus::Inside, "{name}: {v:?}");
        assert_eq!(
            v.kode.as_ref().map(WilayahKode::as_str),
            Some(kode),
            "{name}"
        );
        assert_eq!(INDEX.region(v.kode.as_ref().unwrap()).unwrap().nama, nama);
        assert!(
            v.distance_m.unwrap() > 20.0,
            "{name}: depth {:?}",
            v.distance_m
        );
        assert_eq!(v.claimed_distance_m, Some(0.0));
    }
}

#[test]
fn a_landmark_claimed_for_the_wrong_kelurahan_is_other_kelurahan() {
    // Monas claimed for Cideng, its western neighbour in kecamatan Gambir.
    let v = locate(-6.1754, 106.8272, 10.0, Some("31.71.01.1002"));
    assert_eq!(v.status, LocationStatus::OtherKelurahan);
    assert_eq!(v.kode.unwrap().as_str(), "31.71.01.1001");
    let d = v.distance_m.unwrap();
    assert!((500.0..5_000.0).contains(&d), "{d}");
    assert_eq!(v.claimed_distance_m, Some(d));
}

/// A real sliver of no-man's-land between Petukangan Selatan and Pesanggrahan, 6 and 8 m wide.
#[test]
fn a_sliver_between_neighbours_is_a_gap_or_borderline_never_a_silent_outside() {
    let (lat, lon) = (-6.250069, 106.751763);
    let v = locate(lat, lon, 0.0, None);
    assert_eq!(v.status, LocationStatus::Gap);
    assert!(v.kodes.is_empty());
    assert_eq!(v.nearest_kode.as_ref().unwrap().as_str(), "31.74.10.1004");
    assert!((5.0..7.0).contains(&v.distance_m.unwrap()), "{v:?}");
    // Claimed for either neighbour, it is within tolerance: plausible.
    for claimed in ["31.74.10.1004", "31.74.10.1001"] {
        let v = locate(lat, lon, 0.0, Some(claimed));
        assert_eq!(v.status, LocationStatus::Borderline, "{claimed}: {v:?}");
        assert!(v.distance_m.unwrap() < 10.0);
    }
    // Claimed for Gambir, kilometres away: still a gap, with Gambir's distance on record.
    let v = locate(lat, lon, 0.0, Some("31.71.01.1001"));
    assert_eq!(v.status, LocationStatus::Gap);
    assert!(v.claimed_distance_m.unwrap() > 5_000.0);
}

#[test]
fn a_gap_at_the_city_edge_is_beyond_tolerance_but_within_250_m() {
    let v = locate(-6.104566, 106.906609, 10.0, Some("31.72.04.1004"));
    assert_eq!(v.status, LocationStatus::Gap);
    assert_eq!(v.nearest_kode.unwrap().as_str(), "31.72.04.1004");
    assert!(
        (70.0..90.0).contains(&v.distance_m.unwrap()),
        "{:?}",
        v.distance_m
    );
}

/// Real overlaps: Pela Mampang and Tegal Parang (Mampang Prapatan), Melawai and Kramat Pela.
#[test]
fn overlapping_polygons_give_an_overlap_naming_both() {
    let v = locate(-6.247708, 106.822519, 5.0, Some("31.74.03.1003"));
    assert_eq!(v.status, LocationStatus::Overlap);
    assert_eq!(kodes(&v), ["31.74.03.1003", "31.74.03.1004"]);
    assert_eq!(v.claimed_among, Some(true));
    let v = locate(-6.248526, 106.797672, 5.0, Some("31.71.01.1001"));
    assert_eq!(v.status, LocationStatus::Overlap);
    assert_eq!(kodes(&v), ["31.74.07.1001", "31.74.07.1003"]);
    assert_eq!(v.claimed_among, Some(false));
    let v = locate(-6.248526, 106.797672, 5.0, None);
    assert_eq!(
        (v.status, v.claimed_among, v.distance_m),
        (LocationStatus::Overlap, None, None)
    );
}

#[test]
fn a_fix_near_a_boundary_is_borderline_by_its_accuracy() {
    // Bundaran HI lies about 60 m inside Menteng: inside with a good fix, borderline with a poor one.
    assert_eq!(
        locate(-6.1950, 106.8230, 5.0, Some("31.71.06.1001")).status,
        LocationStatus::Inside
    );
    let v = locate(-6.1950, 106.8230, 80.0, Some("31.71.06.1001"));
    assert_eq!(v.status, LocationStatus::Borderline);
    assert!((40.0..80.0).contains(&v.distance_m.unwrap()));
}

#[test]
fn the_sea_and_another_city_are_outside() {
    let v = locate(-6.05, 106.85, 10.0, Some("31.72.05.1003"));
    assert_eq!(v.status, LocationStatus::Outside);
    assert!(v.distance_m.unwrap() > 1_000.0);
    assert!(v.claimed_distance_m.unwrap() > v.distance_m.unwrap() - 1.0);
    // Bandung's Gedung Sate, about 100 km away.
    let v = locate(-6.9025, 107.6188, 10.0, None);
    assert_eq!(v.status, LocationStatus::Outside);
    assert!(
        (90_000.0..130_000.0).contains(&v.distance_m.unwrap()),
        "{:?}",
        v.distance_m
    );
}

fn multipolygon(input: &RegionInput) -> MultiPolygon {
    let ring = |r: &Vec<[f64; 2]>| {
        LineString::from(
            r.iter()
                .map(|p| Coord { x: p[0], y: p[1] })
                .collect::<Vec<_>>(),
        )
    };
    MultiPolygon(
        input
            .polygons
            .iter()
            .map(|rings| Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect()))
            .collect(),
    )
}

/// The grid answers exactly as geo's own point-in-polygon does, on 100,000 seeded random points.
#[test]
fn containment_matches_geo_on_random_points() {
    let reference: Vec<(String, Rect, MultiPolygon)> = FEATURES
        .iter()
        .map(|f| {
            let input =
                RegionInput::from_geojson(f.kode.clone(), String::new(), &f.geometry).unwrap();
            let mp = multipolygon(&input);
            (f.kode.to_string(), mp.bounding_rect().unwrap(), mp)
        })
        .collect();
    let mut rng = rand::rngs::SmallRng::seed_from_u64(2026);
    let (mut inside, mut none, mut several) = (0, 0, 0);
    for _ in 0..100_000 {
        let (lon, lat) = (
            rng.random_range(106.68..106.98),
            rng.random_range(-6.38..-6.08),
        );
        let mut got: Vec<String> = INDEX
            .containing(lon, lat)
            .iter()
            .map(|r| r.kode.to_string())
            .collect();
        let mut want: Vec<String> = reference
            .iter()
            .filter(|(_, bbox, mp)| {
                bbox.contains(&Point::new(lon, lat)) && mp.contains(&Point::new(lon, lat))
            })
            .map(|(k, _, _)| k.clone())
            .collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "at {lon},{lat}");
        match want.len() {
            0 => none += 1,
            1 => inside += 1,
            _ => several += 1,
        }
    }
    // The real defects are there: some points in no kelurahan, a few in two.
    assert!(
        inside > 50_000 && none > 0 && several > 0,
        "{inside} {none} {several}"
    );
}

/// Reference: the geodesic distance to the boundary, edges densified every few centimetres.
fn reference_boundary_distance_m(kode: &str, p: [f64; 2]) -> f64 {
    let feature = FEATURES.iter().find(|f| f.kode.as_str() == kode).unwrap();
    let input =
        RegionInput::from_geojson(feature.kode.clone(), String::new(), &feature.geometry).unwrap();
    let frame = geo_rules::metric::LocalFrame::at(p[0], p[1]);
    let edges: Vec<([f64; 2], [f64; 2], f64)> = input
        .polygons
        .iter()
        .flatten()
        .flat_map(|ring| ring.windows(2).map(|w| (w[0], w[1])))
        .map(|(a, b)| (a, b, frame.segment_distance_sq(a, b).0.sqrt()))
        .collect();
    let best_planar = edges.iter().map(|e| e.2).fold(f64::INFINITY, f64::min);
    edges
        .iter()
        .filter(|e| e.2 <= best_planar * 1.01 + 1.0)
        .map(|&(a, b, _)| {
            (0..=2000)
                .map(|i| {
                    let t = f64::from(i) / 2000.0;
                    geodesic_m(p, [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])])
                })
                .fold(f64::INFINITY, f64::min)
        })
        .fold(f64::INFINITY, f64::min)
}

#[test]
fn distances_are_within_half_a_percent_or_a_metre_of_the_geodesic() {
    let cases = [
        (-6.1754, 106.8272, "31.71.01.1001"),     // depth inside Gambir
        (-6.1754, 106.8272, "31.71.01.1002"),     // to Cideng from Monas
        (-6.250069, 106.751763, "31.74.10.1001"), // across a sliver
        (-6.104566, 106.906609, "31.72.04.1004"), // city-edge gap
        (-6.05, 106.85, "31.72.05.1003"),         // from the bay
        (-5.7457, 106.6133, "31.01.01.1001"),     // on an island
        (-6.9025, 107.6188, "31.75.10.1003"),     // from Bandung
    ];
    for (lat, lon, kode) in cases {
        let got = INDEX
            .region(&WilayahKode::parse(kode).unwrap())
            .unwrap()
            .boundary_distance_m([lon, lat]);
        let want = reference_boundary_distance_m(kode, [lon, lat]);
        let tolerance = (want * 0.005).max(1.0);
        assert!(
            (got - want).abs() <= tolerance,
            "{kode} from {lat},{lon}: {got} m vs geodesic {want} m"
        );
    }
}
