//! An in-memory index of kelurahan polygons that answers "which kelurahan contain this point?" and
//! "how far is this point from that kelurahan's boundary, in metres?".
//!
//! Containment uses one uniform grid over all polygons. Each cell lists the polygons that reach it:
//! a polygon whose boundary does not cross the cell covers it wholly (answered at once), otherwise the
//! cell keeps the polygon's edges that cross it and whether the cell's centre is inside. A point in
//! the cell is then inside iff the segment from the centre to the point crosses those edges an odd
//! number of times, which touches only the handful of edges in one cell. Distances use every edge of
//! one polygon (claimed kelurahan) or an R-tree over all edges (nearest kelurahan).

use std::collections::HashMap;

use rstar::RTree;
use rstar::primitives::{GeomWithData, Line};
use survey_schema::WilayahKode;

use crate::metric::{LocalFrame, metres_per_degree, point_segment_m};

/// Polygon rings as `[lon, lat]` positions: `polygons[p][0]` is an outer ring, the rest its holes.
pub type Rings = Vec<Vec<[f64; 2]>>;

/// One area to index.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionInput {
    pub kode: WilayahKode,
    pub nama: String,
    /// One entry per polygon of a (multi)polygon; each a list of closed rings.
    pub polygons: Vec<Rings>,
}

impl RegionInput {
    /// From a GeoJSON Polygon or MultiPolygon; `None` for any other geometry.
    pub fn from_geojson(
        kode: WilayahKode,
        nama: String,
        geometry: &geojson::Geometry,
    ) -> Option<Self> {
        let rings = |rings: &Vec<Vec<geojson::Position>>| -> Rings {
            rings
                .iter()
                .map(|ring| ring.iter().map(|p| [p[0], p[1]]).collect())
                .collect()
        };
        let polygons = match &geometry.value {
            geojson::GeometryValue::Polygon { coordinates } => vec![rings(coordinates)],
            geojson::GeometryValue::MultiPolygon { coordinates } => {
                coordinates.iter().map(rings).collect()
            }
            _ => return None,
        };
        Some(Self {
            kode,
            nama,
            polygons,
        })
    }
}

impl BoundaryIndex {
    /// Builds an index from checked boundary-file features (see [`crate::parse_boundary_file`]).
    pub fn from_features(features: &[crate::BoundaryFeature]) -> Result<Self, IndexError> {
        Self::from_features_with_cell(features, None)
    }

    /// [`BoundaryIndex::from_features`] with a chosen grid cell side in degrees.
    pub fn from_features_with_cell(
        features: &[crate::BoundaryFeature],
        cell_degrees: Option<f64>,
    ) -> Result<Self, IndexError> {
        let inputs = features
            .iter()
            .filter_map(|f| {
                RegionInput::from_geojson(
                    f.kode.clone(),
                    f.nama.clone().unwrap_or_default(),
                    &f.geometry,
                )
            })
            .collect();
        Self::build_with_cell(inputs, cell_degrees)
    }
}

/// An indexed area.
#[derive(Debug, Clone)]
pub struct Region {
    pub kode: WilayahKode,
    pub nama: String,
    /// `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: [f64; 4],
    /// Edges of all rings, `[ax, ay, bx, by]` in degrees.
    edges: Vec<[f64; 4]>,
}

impl Region {
    /// Distance in metres from `p` to the nearest edge of this area's boundary (holes included).
    pub fn boundary_distance_m(&self, p: [f64; 2]) -> f64 {
        let frame = LocalFrame::at(p[0], p[1]);
        let nearest = self
            .edges
            .iter()
            .map(|e| (frame.segment_distance_sq([e[0], e[1]], [e[2], e[3]]).0, e))
            .min_by(|a, b| a.0.total_cmp(&b.0));
        nearest.map_or(f64::INFINITY, |(_, e)| {
            point_segment_m(p, [e[0], e[1]], [e[2], e[3]])
        })
    }

    /// Number of boundary edges (for sizing and statistics).
    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }
}

/// What a grid cell knows about one region that reaches it.
#[derive(Debug, Clone, Copy)]
struct CellEntry {
    region: u32,
    /// Whether the cell's centre is inside the region.
    centre_inside: bool,
    /// Range in `cell_edges` of the region's edges crossing the cell; empty: the region covers the
    /// whole cell (`centre_inside` is then true).
    edges_start: u32,
    edges_len: u32,
}

/// Why an index cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    #[error("kelurahan {0} appears twice")]
    DuplicateKode(String),
    #[error(
        "kelurahan {0} has a ring with fewer than 4 positions or coordinates that are not finite"
    )]
    BadRing(String),
}

/// Largest number of grid cells; past it cells grow (a whole country fits, more coarsely).
const MAX_CELLS: usize = 4_000_000;
/// Smallest cell side in degrees (about 110 m): finer cells only cost memory.
const MIN_CELL_DEGREES: f64 = 0.001;

/// Kelurahan polygons indexed for containment and distance queries.
#[derive(Debug)]
pub struct BoundaryIndex {
    regions: Vec<Region>,
    by_kode: HashMap<WilayahKode, u32>,
    // Grid over the union of the regions' bounding boxes.
    origin: [f64; 2],
    cell_degrees: f64,
    nx: usize,
    ny: usize,
    /// CSR: entries of cell `c` are `entries[cell_start[c]..cell_start[c + 1]]`.
    cell_start: Vec<u32>,
    entries: Vec<CellEntry>,
    cell_edges: Vec<[f64; 4]>,
    /// All edges in a planar frame (metres at the data's mean latitude), for nearest-region queries.
    edge_tree: RTree<GeomWithData<Line<[f64; 2]>, u32>>,
    /// Scale of `edge_tree`'s frame: metres per degree east and north.
    tree_scale: (f64, f64),
}

impl BoundaryIndex {
    /// Builds the index. Rings must be closed; validity (no self-intersection) is assumed, as
    /// PostGIS guarantees for imported boundaries.
    pub fn build(inputs: Vec<RegionInput>) -> Result<Self, IndexError> {
        Self::build_with_cell(inputs, None)
    }

    /// [`BoundaryIndex::build`] with a chosen grid cell side in degrees (for benchmarks); `None`
    /// sizes cells from the data.
    pub fn build_with_cell(
        inputs: Vec<RegionInput>,
        cell_degrees: Option<f64>,
    ) -> Result<Self, IndexError> {
        let mut regions = Vec::with_capacity(inputs.len());
        let mut by_kode = HashMap::with_capacity(inputs.len());
        for (i, input) in inputs.into_iter().enumerate() {
            let id = u32::try_from(i).unwrap_or(u32::MAX);
            if by_kode.insert(input.kode.clone(), id).is_some() {
                return Err(IndexError::DuplicateKode(input.kode.to_string()));
            }
            regions.push(region_from(input)?);
        }
        let bbox = regions.iter().fold(
            [
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ],
            |b, r| {
                [
                    b[0].min(r.bbox[0]),
                    b[1].min(r.bbox[1]),
                    b[2].max(r.bbox[2]),
                    b[3].max(r.bbox[3]),
                ]
            },
        );
        let (width, height) = if regions.is_empty() {
            (0.0, 0.0)
        } else {
            (bbox[2] - bbox[0], bbox[3] - bbox[1])
        };
        let cell_degrees = match cell_degrees {
            // Never more than MAX_CELLS cells, whatever is asked.
            Some(c) if c.is_finite() && c > 0.0 => {
                c.max((width * height / MAX_CELLS as f64).sqrt())
            }
            _ => grid_cell_degrees(width, height, &regions),
        };
        let nx = cells_along(width, cell_degrees);
        let ny = cells_along(height, cell_degrees);
        let origin = if regions.is_empty() {
            [0.0, 0.0]
        } else {
            [bbox[0], bbox[1]]
        };

        let mut index = Self {
            regions,
            by_kode,
            origin,
            cell_degrees,
            nx,
            ny,
            cell_start: Vec::new(),
            entries: Vec::new(),
            cell_edges: Vec::new(),
            edge_tree: RTree::new(),
            tree_scale: (1.0, 1.0),
        };
        index.fill_grid();
        index.fill_edge_tree();
        Ok(index)
    }

    /// Number of indexed regions.
    pub fn len(&self) -> usize {
        self.regions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.regions.is_empty()
    }

    /// Every region, in input order.
    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    /// The region with this code.
    pub fn region(&self, kode: &WilayahKode) -> Option<&Region> {
        self.by_kode.get(kode).map(|&i| &self.regions[i as usize])
    }

    /// The grid's cell side in degrees (about 111 km per degree).
    pub fn cell_degrees(&self) -> f64 {
        self.cell_degrees
    }

    fn cell_of(&self, lon: f64, lat: f64) -> Option<usize> {
        let fx = (lon - self.origin[0]) / self.cell_degrees;
        let fy = (lat - self.origin[1]) / self.cell_degrees;
        if !(fx >= 0.0 && fy >= 0.0) {
            return None;
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (cx, cy) = (fx as usize, fy as usize);
        (cx < self.nx && cy < self.ny).then_some(cy * self.nx + cx)
    }

    fn cell_centre(&self, cell: usize) -> [f64; 2] {
        let (cx, cy) = (cell % self.nx, cell / self.nx);
        [
            self.origin[0] + (cx as f64 + 0.5) * self.cell_degrees,
            self.origin[1] + (cy as f64 + 0.5) * self.cell_degrees,
        ]
    }

    /// Calls `found` with the index of every region containing `(lon, lat)`; returns how many.
    ///
    /// A point exactly on a boundary may be reported in either neighbour (or both).
    #[inline]
    pub fn for_each_containing(&self, lon: f64, lat: f64, mut found: impl FnMut(u32)) -> usize {
        let Some(cell) = self.cell_of(lon, lat) else {
            return 0;
        };
        let entries =
            &self.entries[self.cell_start[cell] as usize..self.cell_start[cell + 1] as usize];
        let mut count = 0;
        if entries.is_empty() {
            return 0;
        }
        let centre = self.cell_centre(cell);
        for entry in entries {
            let inside = if entry.edges_len == 0 {
                entry.centre_inside
            } else {
                let start = entry.edges_start as usize;
                let edges = &self.cell_edges[start..start + entry.edges_len as usize];
                let crossings = edges
                    .iter()
                    .filter(|e| segments_cross(centre, [lon, lat], [e[0], e[1]], [e[2], e[3]]))
                    .count();
                entry.centre_inside ^ (crossings % 2 == 1)
            };
            if inside {
                found(entry.region);
                count += 1;
            }
        }
        count
    }

    /// The regions containing `(lon, lat)`, in index order.
    pub fn containing(&self, lon: f64, lat: f64) -> Vec<&Region> {
        let mut out = Vec::new();
        self.for_each_containing(lon, lat, |r| out.push(&self.regions[r as usize]));
        out
    }

    /// The region whose boundary is nearest to `p`, with that distance in metres.
    pub fn nearest(&self, p: [f64; 2]) -> Option<(&Region, f64)> {
        let query = [p[0] * self.tree_scale.0, p[1] * self.tree_scale.1];
        // The tree's frame is exact only at the data's mean latitude; its distances may differ
        // from true ones by the ratio of the cosines of the latitudes (a few percent at most in
        // Indonesia). Keep scanning until the tree's distance exceeds the best true one by 5%.
        // Candidates are ranked in the tangent plane at `p` (cheap); only the winner is measured on
        // the geodesic.
        let frame = LocalFrame::at(p[0], p[1]);
        let mut best: Option<(u32, f64, [f64; 2], [f64; 2])> = None;
        for (edge, dist_sq) in self.edge_tree.nearest_neighbor_iter_with_distance_2(&query) {
            if let Some((_, best_m, _, _)) = best
                && dist_sq.sqrt() > best_m * 1.05 + 1.0
            {
                break;
            }
            let line = edge.geom();
            let a = [
                line.from[0] / self.tree_scale.0,
                line.from[1] / self.tree_scale.1,
            ];
            let b = [
                line.to[0] / self.tree_scale.0,
                line.to[1] / self.tree_scale.1,
            ];
            let metres = frame.segment_distance_sq(a, b).0.sqrt();
            if best.is_none_or(|(_, m, _, _)| metres < m) {
                best = Some((edge.data, metres, a, b));
            }
        }
        best.map(|(r, _, a, b)| (&self.regions[r as usize], point_segment_m(p, a, b)))
    }

    fn fill_grid(&mut self) {
        let ncells = self.nx * self.ny;
        // (cell, region, edge) for every edge, by the cells its bounding box touches.
        let mut per_cell: Vec<Vec<(u32, [f64; 4])>> = vec![Vec::new(); ncells];
        for (r, region) in self.regions.iter().enumerate() {
            let r = u32::try_from(r).unwrap_or(u32::MAX);
            for e in &region.edges {
                let (x0, x1) = self.cell_range_x(e[0].min(e[2]), e[0].max(e[2]));
                let (y0, y1) = self.cell_range_y(e[1].min(e[3]), e[1].max(e[3]));
                for cy in y0..=y1 {
                    for cx in x0..=x1 {
                        per_cell[cy * self.nx + cx].push((r, *e));
                    }
                }
            }
        }
        let mut cell_start = Vec::with_capacity(ncells + 1);
        let mut entries = Vec::new();
        let mut cell_edges = Vec::new();
        // Regions whose bounding box covers each cell, to find cells they cover wholly.
        let mut covering: Vec<Vec<u32>> = vec![Vec::new(); ncells];
        for (r, region) in self.regions.iter().enumerate() {
            let r = u32::try_from(r).unwrap_or(u32::MAX);
            let (x0, x1) = self.cell_range_x(region.bbox[0], region.bbox[2]);
            let (y0, y1) = self.cell_range_y(region.bbox[1], region.bbox[3]);
            for cy in y0..=y1 {
                for cx in x0..=x1 {
                    covering[cy * self.nx + cx].push(r);
                }
            }
        }
        for cell in 0..ncells {
            cell_start.push(u32::try_from(entries.len()).unwrap_or(u32::MAX));
            let centre = self.cell_centre(cell);
            let crossing = &mut per_cell[cell];
            crossing.sort_by_key(|(r, _)| *r);
            for &r in &covering[cell] {
                let region = &self.regions[r as usize];
                let first = crossing.partition_point(|(cr, _)| *cr < r);
                let last = crossing.partition_point(|(cr, _)| *cr <= r);
                let centre_inside = ring_contains(&region.edges, centre);
                if first == last {
                    if centre_inside {
                        entries.push(CellEntry {
                            region: r,
                            centre_inside,
                            edges_start: 0,
                            edges_len: 0,
                        });
                    }
                    continue;
                }
                let edges_start = u32::try_from(cell_edges.len()).unwrap_or(u32::MAX);
                cell_edges.extend(crossing[first..last].iter().map(|(_, e)| *e));
                entries.push(CellEntry {
                    region: r,
                    centre_inside,
                    edges_start,
                    edges_len: u32::try_from(last - first).unwrap_or(u32::MAX),
                });
            }
        }
        cell_start.push(u32::try_from(entries.len()).unwrap_or(u32::MAX));
        self.cell_start = cell_start;
        self.entries = entries;
        self.cell_edges = cell_edges;
    }

    fn cell_range_x(&self, min: f64, max: f64) -> (usize, usize) {
        cell_range(min, max, self.origin[0], self.cell_degrees, self.nx)
    }

    fn cell_range_y(&self, min: f64, max: f64) -> (usize, usize) {
        cell_range(min, max, self.origin[1], self.cell_degrees, self.ny)
    }

    fn fill_edge_tree(&mut self) {
        let mean_lat = if self.regions.is_empty() {
            0.0
        } else {
            self.regions
                .iter()
                .map(|r| f64::midpoint(r.bbox[1], r.bbox[3]))
                .sum::<f64>()
                / self.regions.len() as f64
        };
        self.tree_scale = metres_per_degree(mean_lat);
        let (sx, sy) = self.tree_scale;
        let lines = self
            .regions
            .iter()
            .enumerate()
            .flat_map(|(r, region)| {
                let r = u32::try_from(r).unwrap_or(u32::MAX);
                region.edges.iter().map(move |e| {
                    GeomWithData::new(Line::new([e[0] * sx, e[1] * sy], [e[2] * sx, e[3] * sy]), r)
                })
            })
            .collect();
        self.edge_tree = RTree::bulk_load(lines);
    }
}

fn cells_along(extent: f64, cell: f64) -> usize {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let n = (extent / cell).floor() as usize + 1;
    n.max(1)
}

fn cell_range(min: f64, max: f64, origin: f64, cell: f64, n: usize) -> (usize, usize) {
    let to_cell = |v: f64| {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let c = ((v - origin) / cell).floor().max(0.0) as usize;
        c.min(n - 1)
    };
    (to_cell(min), to_cell(max))
}

/// Cells small enough that a point meets only a few edges, bounded by
/// [`MIN_CELL_DEGREES`] below and [`MAX_CELLS`] in total.
fn grid_cell_degrees(width: f64, height: f64, regions: &[Region]) -> f64 {
    let area = (width * height).max(1e-12);
    let edges: usize = regions.iter().map(|r| r.edges.len()).sum();
    let region_area: f64 = regions
        .iter()
        .map(|r| (r.bbox[2] - r.bbox[0]) * (r.bbox[3] - r.bbox[1]))
        .sum();
    // About four cells per edge over the area the regions cover: on Jakarta (tinjau bench locate
    // --cell-degrees) halving the cell from this size's double gained 20%, halving again 15% more,
    // as fewer edges are tested per point; past that the grid's memory costs as much as it saves.
    let by_edges = (region_area / edges.max(1) as f64).sqrt() / 2.0;
    let by_memory = (area / MAX_CELLS as f64).sqrt();
    by_edges.max(by_memory).max(MIN_CELL_DEGREES)
}

fn region_from(input: RegionInput) -> Result<Region, IndexError> {
    let mut edges = Vec::new();
    let mut bbox = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for ring in input.polygons.iter().flatten() {
        if ring.len() < 4 || ring.iter().flatten().any(|v| !v.is_finite()) {
            return Err(IndexError::BadRing(input.kode.to_string()));
        }
        for w in ring.windows(2) {
            let (a, b) = (w[0], w[1]);
            // Repeated positions make zero-length edges, which cross nothing.
            #[allow(clippy::float_cmp)]
            if a != b {
                edges.push([a[0], a[1], b[0], b[1]]);
            }
            bbox = [
                bbox[0].min(a[0]),
                bbox[1].min(a[1]),
                bbox[2].max(a[0]),
                bbox[3].max(a[1]),
            ];
        }
    }
    if edges.is_empty() {
        return Err(IndexError::BadRing(input.kode.to_string()));
    }
    Ok(Region {
        kode: input.kode,
        nama: input.nama,
        bbox,
        edges,
    })
}

/// Even-odd rule over all edges (outer rings and holes alike), ray towards +x.
fn ring_contains(edges: &[[f64; 4]], p: [f64; 2]) -> bool {
    let mut inside = false;
    for e in edges {
        let (ax, ay, bx, by) = (e[0], e[1], e[2], e[3]);
        if (ay > p[1]) != (by > p[1]) {
            let x = ax + (p[1] - ay) * (bx - ax) / (by - ay);
            if p[0] < x {
                inside = !inside;
            }
        }
    }
    inside
}

/// Whether segment `p`–`q` crosses segment `a`–`b`. Endpoints of `a`–`b` that lie exactly on the
/// line through `p`–`q` count on one side only, so a vertex shared by two edges is counted once.
#[inline]
fn segments_cross(p: [f64; 2], q: [f64; 2], a: [f64; 2], b: [f64; 2]) -> bool {
    let side = |o: [f64; 2], d: [f64; 2], x: [f64; 2]| {
        (d[0] - o[0]) * (x[1] - o[1]) - (d[1] - o[1]) * (x[0] - o[0])
    };
    let (sa, sb) = (side(p, q, a), side(p, q, b));
    if (sa > 0.0) == (sb > 0.0) {
        return false;
    }
    let (sp, sq) = (side(a, b, p), side(a, b, q));
    (sp > 0.0) != (sq > 0.0)
}

#[cfg(test)]
impl RegionInput {
    /// A square area for tests: `size` degrees east and north of (`x0`, `y0`).
    pub(crate) fn square(kode: &str, x0: f64, y0: f64, size: f64) -> Self {
        Self {
            kode: WilayahKode::parse(kode).unwrap_or_else(|e| panic!("{e}")),
            nama: kode.to_owned(),
            polygons: vec![vec![vec![
                [x0, y0],
                [x0 + size, y0],
                [x0 + size, y0 + size],
                [x0, y0 + size],
                [x0, y0],
            ]]],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(kode: &str, x0: f64, y0: f64, size: f64) -> RegionInput {
        RegionInput::square(kode, x0, y0, size)
    }

    #[test]
    fn finds_the_containing_square_and_respects_holes() {
        let mut with_hole = square("31.71.01.1001", 106.80, -6.20, 0.02);
        with_hole.polygons[0].push(vec![
            [106.805, -6.195],
            [106.805, -6.185],
            [106.815, -6.185],
            [106.815, -6.195],
            [106.805, -6.195],
        ]);
        let index = BoundaryIndex::build(vec![
            with_hole,
            square("31.71.01.1002", 106.82, -6.20, 0.02),
        ])
        .unwrap();
        let kodes = |lon, lat| {
            index
                .containing(lon, lat)
                .iter()
                .map(|r| r.kode.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(kodes(106.801, -6.199), ["31.71.01.1001"]);
        assert_eq!(
            kodes(106.81, -6.19),
            Vec::<String>::new(),
            "inside the hole"
        );
        assert_eq!(kodes(106.83, -6.19), ["31.71.01.1002"]);
        assert_eq!(kodes(106.90, -6.19), Vec::<String>::new());
        assert_eq!(kodes(100.0, 0.0), Vec::<String>::new());
    }

    #[test]
    fn nearest_reports_metres_to_the_closest_boundary() {
        let index =
            BoundaryIndex::build(vec![square("31.71.01.1001", 106.80, -6.20, 0.01)]).unwrap();
        let (region, metres) = index.nearest([106.82, -6.195]).unwrap();
        assert_eq!(region.kode.as_str(), "31.71.01.1001");
        let expected = crate::metric::geodesic_m([106.82, -6.195], [106.81, -6.195]);
        assert!((metres - expected).abs() < 0.01, "{metres} vs {expected}");
    }

    #[test]
    fn refuses_duplicates_and_degenerate_rings() {
        let a = square("31.71.01.1001", 106.80, -6.20, 0.01);
        assert!(matches!(
            BoundaryIndex::build(vec![a.clone(), a.clone()]),
            Err(IndexError::DuplicateKode(_))
        ));
        let mut bad = a;
        bad.polygons[0][0].truncate(3);
        assert!(matches!(
            BoundaryIndex::build(vec![bad]),
            Err(IndexError::BadRing(_))
        ));
    }

    #[test]
    fn an_empty_index_contains_nothing() {
        let index = BoundaryIndex::build(Vec::new()).unwrap();
        assert!(index.containing(106.8, -6.2).is_empty());
        assert!(index.nearest([106.8, -6.2]).is_none());
    }
}
