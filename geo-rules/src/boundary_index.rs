//! An in-memory index of kelurahan polygons that answers "which kelurahan contain this point?" and
//! "how far is this point from that kelurahan's boundary, in metres?", for one city or the whole
//! country (83,246 desa and kelurahan, 8.7 million vertices) in one process.
//!
//! Containment uses a two-level grid that adapts to the data. A coarse grid covers the regions'
//! bounding box; a coarse cell that many boundary edges cross is split into a finer grid of its own,
//! sized by its number of edges, so the sea and the interiors of large desa stay a single cell while
//! a dense city is cut fine. Each final cell (a leaf) lists the regions that reach it: a region whose
//! boundary does not cross the leaf covers it wholly (answered at once), otherwise the leaf keeps the
//! region's edges that cross it, relative to the leaf's centre, and whether the centre is inside. A
//! point is then inside iff the segment from the centre to the point crosses those edges an odd
//! number of times, which touches only the handful of edges in one leaf.
//!
//! Distances use the boundary split into chunks of consecutive edges with bounding boxes: the
//! distance to a chunk's box bounds the distance to its edges from below, so only the chunks near a
//! point are measured (the claimed or containing kelurahan's own chunks, or an R-tree of all chunks
//! for the nearest kelurahan).

use std::collections::HashMap;

use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};
use survey_schema::WilayahKode;

use crate::metric::{LocalFrame, metres_per_degree, point_segment_in};

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

impl RegionInput {
    /// From a Polygon or MultiPolygon in Well-Known Binary (what PostGIS's `ST_AsBinary` gives);
    /// `None` for any other geometry or unreadable bytes.
    ///
    /// ```
    /// # use geo_rules::RegionInput;
    /// # use survey_schema::WilayahKode;
    /// // POLYGON((0 0, 1 0, 1 1, 0 0)), little-endian.
    /// let mut wkb = vec![1, 3, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0];
    /// for v in [0.0f64, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0] {
    ///     wkb.extend_from_slice(&v.to_le_bytes());
    /// }
    /// let kode = WilayahKode::parse("31.71.01.1001").unwrap();
    /// let region = RegionInput::from_wkb(kode, "Gambir".into(), &wkb).unwrap();
    /// assert_eq!(region.polygons, vec![vec![vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]]);
    /// ```
    pub fn from_wkb(kode: WilayahKode, nama: String, bytes: &[u8]) -> Option<Self> {
        use geo_traits::{
            CoordTrait, GeometryTrait, GeometryType, LineStringTrait, MultiPolygonTrait,
            PolygonTrait,
        };
        fn rings<P: PolygonTrait<T = f64>>(polygon: &P) -> Rings {
            polygon
                .exterior()
                .into_iter()
                .chain(polygon.interiors())
                .map(|ring| ring.coords().map(|c| [c.x(), c.y()]).collect())
                .collect()
        }
        let geometry = wkb::reader::read_wkb(bytes).ok()?;
        let polygons = match geometry.as_type() {
            GeometryType::Polygon(p) => vec![rings(p)],
            GeometryType::MultiPolygon(m) => m.polygons().map(|p| rings(&p)).collect(),
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
        let inputs = features.iter().filter_map(|f| {
            RegionInput::from_geojson(
                f.kode.clone(),
                f.nama.clone().unwrap_or_default(),
                &f.geometry,
            )
        });
        Self::build_with_cell(inputs, cell_degrees)
    }
}

/// Consecutive edges of one ring with their bounding box: the unit of distance queries.
#[derive(Debug, Clone, Copy)]
struct Chunk {
    /// `[min_lon, min_lat, max_lon, max_lat]` of the chunk's edges.
    bbox: [f64; 4],
    /// Edge `i` (for `start <= i < end`) runs from `points[i]` to `points[i + 1]`.
    start: u32,
    end: u32,
}

/// Edges per chunk: on Jakarta (`cargo run --release -p geo-rules --example locate_jakarta`) the
/// full verdict ran 2.12, 2.18, 2.07 and 1.84 M points/s with 4, 8, 16 and 32.
const CHUNK_EDGES: usize = 8;

/// An indexed area.
#[derive(Debug, Clone)]
pub struct Region {
    pub kode: WilayahKode,
    pub nama: String,
    /// `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: [f64; 4],
    /// Every ring's positions, one ring after another.
    points: Vec<[f64; 2]>,
    chunks: Vec<Chunk>,
}

impl Region {
    /// Distance in metres from `p` to the nearest edge of this area's boundary (holes included).
    pub fn boundary_distance_m(&self, p: [f64; 2]) -> f64 {
        let frame = LocalFrame::at(p[0], p[1]);
        // Measure the chunk whose box is nearest first, then only chunks whose box is nearer than
        // the best edge so far.
        let mut first = (f64::INFINITY, 0);
        for (c, chunk) in self.chunks.iter().enumerate() {
            let lower = frame.box_distance_sq(chunk.bbox);
            if lower < first.0 {
                first = (lower, c);
            }
        }
        let Some(first_chunk) = self.chunks.get(first.1) else {
            return f64::INFINITY;
        };
        let mut best = (f64::INFINITY, 0);
        self.nearest_edge_in(&frame, first_chunk, &mut best);
        for chunk in &self.chunks {
            if frame.box_distance_sq(chunk.bbox) < best.0 {
                self.nearest_edge_in(&frame, chunk, &mut best);
            }
        }
        let i = best.1;
        point_segment_in(&frame, p, self.points[i], self.points[i + 1])
    }

    /// Updates `best` (squared metres in `frame`, edge) with the chunk's nearest edge.
    #[inline]
    fn nearest_edge_in(&self, frame: &LocalFrame, chunk: &Chunk, best: &mut (f64, usize)) {
        for i in chunk.start as usize..chunk.end as usize {
            let d = frame
                .segment_distance_sq(self.points[i], self.points[i + 1])
                .0;
            if d < best.0 {
                *best = (d, i);
            }
        }
    }

    /// Number of boundary edges (for sizing and statistics).
    pub fn edge_count(&self) -> usize {
        self.chunks.iter().map(|c| (c.end - c.start) as usize).sum()
    }

    /// Every edge as `[ax, ay, bx, by]` in degrees.
    fn edges(&self) -> impl Iterator<Item = [f64; 4]> + '_ {
        self.chunks.iter().flat_map(|c| {
            (c.start as usize..c.end as usize).map(|i| {
                let (a, b) = (self.points[i], self.points[i + 1]);
                [a[0], a[1], b[0], b[1]]
            })
        })
    }

    /// Bytes this region holds on the heap (its name, positions and chunks).
    fn heap_bytes(&self) -> usize {
        self.nama.capacity()
            + self.kode.as_str().len()
            + self.points.capacity() * size_of::<[f64; 2]>()
            + self.chunks.capacity() * size_of::<Chunk>()
    }
}

/// What a leaf knows about one region that reaches it.
#[derive(Debug, Clone, Copy)]
struct CellEntry {
    region: u32,
    /// Start in `cell_edges` of the region's edges crossing the leaf.
    edges_start: u32,
    /// Number of those edges ([`EDGES_LEN`] bits; 0: the region covers the whole leaf), the
    /// leaf's reference point (in its first entry, [`VARIANT_SHIFT`]), whether this is the
    /// leaf's last entry ([`LAST`]) and whether its reference point is inside ([`CENTRE_INSIDE`]).
    flags: u32,
}

const CENTRE_INSIDE: u32 = 1 << 31;
const LAST: u32 = 1 << 30;
const VARIANT_SHIFT: u32 = 28;
const EDGES_LEN: u32 = (1 << VARIANT_SHIFT) - 1;

/// Where in its cell a leaf's reference point may lie, as fractions of the cell's side: near the
/// centre, but off the round fractions that boundaries drawn on a grid (or tests' squares) pass
/// through. A leaf takes the first that lies clearly off every edge in it, so that rounding its
/// edges to `f32` never moves one across its reference point.
const REFERENCES: [[f64; 2]; 4] = [
    [0.503_141_592_653_589_8, 0.502_718_281_828_459_1],
    [0.371_779_283_471_293_3, 0.613_104_398_120_394_5],
    [0.618_033_988_749_894_8, 0.414_213_562_373_095_1],
    [0.447_213_595_499_958, 0.327_868_852_459_016_4],
];

/// Why an index cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    #[error("kelurahan {0} appears twice")]
    DuplicateKode(String),
    #[error(
        "kelurahan {0} has a ring with fewer than 4 positions or coordinates that are not finite"
    )]
    BadRing(String),
    #[error("{0} boundary edges are more than the index holds (2,147,483,647)")]
    TooLarge(usize),
}

/// Largest number of coarse cells; past it coarse cells grow.
const MAX_COARSE_CELLS: usize = 4_000_000;
/// A coarse cell crossed by more edges than this is split into a finer grid.
const SPLIT_ABOVE_EDGES: usize = 1;
/// Edges per leaf a split aims at, for a city: on Jakarta (`cargo run --release -p geo-rules
/// --example locate`), from 4 to 2, 1 and 0.5 containment went 28, 30, 32 and 34 M points/s
/// (0.25: no faster, 40% more memory).
const CITY_EDGES_PER_LEAF: f64 = 0.5;
/// Edges per leaf for more than [`CITY_EDGES`] edges: on the whole country (8.6 million edges)
/// 0.5, 1, 2 and 4 gave 6.1, 5.5, 4.3 and 3.7 M points/s in 947, 763, 655 and 592 MB; 1 keeps the
/// index well under 1 GB.
const COUNTRY_EDGES_PER_LEAF: f64 = 1.0;
const CITY_EDGES: usize = 1_000_000;
/// Largest split of a coarse cell, per side.
const MAX_SPLIT: usize = 64;

/// A uniform grid: `nx` × `ny` square cells of side `cell` degrees from `origin` (south-west).
#[derive(Debug, Clone, Copy)]
struct Grid {
    origin: [f64; 2],
    cell: f64,
    per_degree: f64,
    nx: usize,
    ny: usize,
}

impl Grid {
    fn new(origin: [f64; 2], cell: f64, nx: usize, ny: usize) -> Self {
        Self {
            origin,
            cell,
            per_degree: 1.0 / cell,
            nx,
            ny,
        }
    }

    /// `lon` in cells from the grid's west side (not rounded).
    #[inline]
    fn unit_x(&self, lon: f64) -> f64 {
        (lon - self.origin[0]) * self.per_degree
    }

    /// `lat` in cells from the grid's south side (not rounded).
    #[inline]
    fn unit_y(&self, lat: f64) -> f64 {
        (lat - self.origin[1]) * self.per_degree
    }

    /// Columns and rows (inclusive, clamped to the grid) that `bbox` touches. Rounding down is
    /// monotone, so a point and an edge's bounding box that holds it agree on their cells.
    fn span(&self, bbox: [f64; 4]) -> (usize, usize, usize, usize) {
        (
            clamp_cell(self.unit_x(bbox[0]), self.nx),
            clamp_cell(self.unit_x(bbox[2]), self.nx),
            clamp_cell(self.unit_y(bbox[1]), self.ny),
            clamp_cell(self.unit_y(bbox[3]), self.ny),
        )
    }

    /// Fine columns and rows (inclusive) of coarse cell (`column`, `row`) split `k` × `k` that
    /// `bbox` touches, clamped to the cell.
    fn fine_span(
        &self,
        bbox: [f64; 4],
        column: usize,
        row: usize,
        k: usize,
    ) -> (usize, usize, usize, usize) {
        (
            fine_index(self.unit_x(bbox[0]), column, k),
            fine_index(self.unit_x(bbox[2]), column, k),
            fine_index(self.unit_y(bbox[1]), row, k),
            fine_index(self.unit_y(bbox[3]), row, k),
        )
    }

    /// Reference point `variant` (see [`REFERENCES`]) of fine cell (`fine_column`, `fine_row`)
    /// of coarse cell (`column`, `row`) split `k` × `k`.
    #[inline]
    fn reference(&self, at: LeafAt, variant: usize) -> [f64; 2] {
        let k = at.k as f64;
        let [fx, fy] = REFERENCES[variant & 3];
        [
            self.origin[0] + (at.column as f64 + (at.fine_column as f64 + fx) / k) * self.cell,
            self.origin[1] + (at.row as f64 + (at.fine_row as f64 + fy) / k) * self.cell,
        ]
    }
}

/// Where a leaf lies: its number, its coarse cell, the split of that cell and its place in it.
#[derive(Debug, Clone, Copy)]
struct LeafAt {
    leaf: usize,
    column: usize,
    row: usize,
    k: usize,
    fine_column: usize,
    fine_row: usize,
}

/// The fine index, 0..k, of a position `unit` cells from the grid's side within coarse cell
/// `coarse` split `k` ways; the same arithmetic for points and for edges' bounding boxes.
#[inline]
fn fine_index(unit: f64, coarse: usize, k: usize) -> usize {
    clamp_cell((unit - coarse as f64) * k as f64, k)
}

#[inline]
fn clamp_cell(f: f64, n: usize) -> usize {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let c = f.max(0.0) as usize;
    c.min(n - 1)
}

/// A coarse cell split `k` × `k` (1: not split), whose leaves are numbered from `first_leaf` row by
/// row.
#[derive(Debug, Clone, Copy)]
struct CoarseCell {
    first_leaf: u32,
    k: u32,
}

/// A leaf's word: with this bit, the region covering it wholly (no other region reaches it);
/// [`NOTHING`]: no region reaches it; otherwise the start of its entries (the last one flagged).
const WHOLLY: u32 = 1 << 31;
const NOTHING: u32 = u32::MAX;

/// What the index holds, for sizing and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexStats {
    pub regions: usize,
    pub edges: usize,
    pub coarse_cells: usize,
    pub split_cells: usize,
    pub leaves: usize,
    /// Region entries over all leaves.
    pub entries: usize,
    /// Edges stored in leaves (an edge crossing several leaves counts in each).
    pub leaf_edges: usize,
    /// Bytes on the heap, all parts of the index included.
    pub heap_bytes: usize,
}

/// A chunk's box in the R-tree's planar frame, with its (region, chunk).
type ChunkBox = GeomWithData<Rectangle<[f64; 2]>, (u32, u32)>;

/// Kelurahan polygons indexed for containment and distance queries.
#[derive(Debug)]
pub struct BoundaryIndex {
    regions: Vec<Region>,
    by_kode: HashMap<WilayahKode, u32>,
    coarse: Grid,
    /// Per coarse cell (row by row): how it is split into leaves (a lookup takes the same steps
    /// in a split cell and a whole one, without a branch to mispredict).
    coarse_cells: Vec<CoarseCell>,
    /// Per leaf: see [`WHOLLY`].
    leaves: Vec<u32>,
    entries: Vec<CellEntry>,
    /// Edges `[ax, ay, bx, by]` relative to their leaf's reference point, in degrees; `f32` is
    /// exact to about 0.1 mm at a leaf's scale and halves the memory of the largest part.
    cell_edges: Vec<[f32; 4]>,
    /// All chunks in a planar frame (metres at the data's mean latitude), for nearest-region
    /// queries; data: (region, chunk).
    chunk_tree: RTree<ChunkBox>,
    /// Scale of `chunk_tree`'s frame: metres per degree east and north.
    tree_scale: (f64, f64),
}

impl BoundaryIndex {
    /// Builds the index. Rings must be closed; validity (no self-intersection) is assumed, as
    /// PostGIS guarantees for imported boundaries.
    ///
    /// Each input is turned into its region as it is taken, so an iterator that makes the inputs
    /// one at a time (from database rows, say) never holds them all.
    pub fn build(inputs: impl IntoIterator<Item = RegionInput>) -> Result<Self, IndexError> {
        Self::build_with_cell(inputs, None)
    }

    /// [`BoundaryIndex::build`] with a chosen coarse cell side in degrees (for benchmarks);
    /// `None` sizes cells from the data.
    pub fn build_with_cell(
        inputs: impl IntoIterator<Item = RegionInput>,
        cell_degrees: Option<f64>,
    ) -> Result<Self, IndexError> {
        let inputs = inputs.into_iter();
        let mut regions = Vec::with_capacity(inputs.size_hint().0);
        let mut by_kode = HashMap::with_capacity(inputs.size_hint().0);
        for (i, input) in inputs.enumerate() {
            let id = u32::try_from(i).map_err(|_| IndexError::TooLarge(i))?;
            if by_kode.insert(input.kode.clone(), id).is_some() {
                return Err(IndexError::DuplicateKode(input.kode.to_string()));
            }
            regions.push(region_from(input)?);
        }
        let edges: usize = regions.iter().map(Region::edge_count).sum();
        if edges >= WHOLLY as usize {
            return Err(IndexError::TooLarge(edges));
        }
        let coarse = coarse_grid(&regions, cell_degrees);
        let mut index = Self {
            regions,
            by_kode,
            coarse,
            coarse_cells: Vec::new(),
            leaves: Vec::new(),
            entries: Vec::new(),
            cell_edges: Vec::new(),
            chunk_tree: RTree::new(),
            tree_scale: (1.0, 1.0),
        };
        if !index.regions.is_empty() {
            index.fill_grid();
        }
        index.fill_chunk_tree();
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

    /// The coarse grid's cell side in degrees (about 111 km per degree).
    pub fn cell_degrees(&self) -> f64 {
        self.coarse.cell
    }

    /// What the index holds and its size in memory.
    pub fn stats(&self) -> IndexStats {
        let tree_bytes = self.chunk_tree.size() * (size_of::<ChunkBox>() + 16);
        IndexStats {
            regions: self.regions.len(),
            edges: self.regions.iter().map(Region::edge_count).sum(),
            coarse_cells: self.coarse_cells.len(),
            split_cells: self.coarse_cells.iter().filter(|c| c.k > 1).count(),
            leaves: self.leaves.len(),
            entries: self.entries.len(),
            leaf_edges: self.cell_edges.len(),
            heap_bytes: self.regions.iter().map(Region::heap_bytes).sum::<usize>()
                + self.regions.capacity() * size_of::<Region>()
                + self.by_kode.capacity() * (size_of::<(WilayahKode, u32)>() + 16)
                + self.coarse_cells.capacity() * size_of::<CoarseCell>()
                + self.leaves.capacity() * 4
                + self.entries.capacity() * size_of::<CellEntry>()
                + self.cell_edges.capacity() * size_of::<[f32; 4]>()
                + tree_bytes,
        }
    }

    /// The leaf holding `(lon, lat)`.
    #[inline]
    fn leaf_of(&self, lon: f64, lat: f64) -> Option<LeafAt> {
        let (ux, uy) = (self.coarse.unit_x(lon), self.coarse.unit_y(lat));
        // The grid has a spare row and column past the data, so `< n` loses no point of it.
        if !(ux >= 0.0 && uy >= 0.0 && ux < self.coarse.nx as f64 && uy < self.coarse.ny as f64) {
            return None;
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (column, row) = (ux as usize, uy as usize);
        let cell = self.coarse_cells.get(row * self.coarse.nx + column)?;
        let k = cell.k as usize;
        let (fine_column, fine_row) = (fine_index(ux, column, k), fine_index(uy, row, k));
        Some(LeafAt {
            leaf: cell.first_leaf as usize + fine_row * k + fine_column,
            column,
            row,
            k,
            fine_column,
            fine_row,
        })
    }

    /// Calls `found` with the index of every region containing `(lon, lat)`; returns how many.
    ///
    /// A point exactly on a boundary may be reported in either neighbour (or both, or neither).
    #[inline]
    pub fn for_each_containing(&self, lon: f64, lat: f64, mut found: impl FnMut(u32)) -> usize {
        let Some(at) = self.leaf_of(lon, lat) else {
            return 0;
        };
        self.in_leaf(lon, lat, at, self.leaves[at.leaf], &mut found)
    }

    /// [`BoundaryIndex::for_each_containing`] for many points: calls `found(i, region)` for every
    /// region containing `points[i]`, in order; returns how many pairs.
    ///
    /// The points are taken in blocks of 32 whose lookups proceed stage by stage (every point's
    /// coarse cell, then every leaf, then every first entry and edge), so that the memory reads of
    /// different points overlap instead of each waiting for the one before: when the index is far
    /// larger than the caches, as the whole country's is, this classifies about twice as many
    /// points per second (blocks of 8, 16, 32 and 64: 8.9, 12.1, 13.1 and 11.5 M points/s there).
    pub fn for_each_containing_all(
        &self,
        points: &[[f64; 2]],
        mut found: impl FnMut(usize, u32),
    ) -> usize {
        const BLOCK: usize = 32;
        let mut count = 0;
        for (b, block) in points.chunks(BLOCK).enumerate() {
            let mut at = [None; BLOCK];
            for (slot, p) in at.iter_mut().zip(block) {
                *slot = self.leaf_of(p[0], p[1]);
            }
            let mut words = [NOTHING; BLOCK];
            for (word, at) in words.iter_mut().zip(&at) {
                if let Some(at) = at {
                    *word = self.leaves[at.leaf];
                }
            }
            // Touch each leaf's first entry and first edge, so that their reads overlap too.
            let mut touched = 0.0f32;
            for &word in &words {
                if word & WHOLLY == 0
                    && let Some(entry) = self.entries.get(word as usize)
                    && let Some(edge) = self.cell_edges.get(entry.edges_start as usize)
                {
                    touched += edge[0];
                }
            }
            std::hint::black_box(touched);
            for (j, (p, at)) in block.iter().zip(at).enumerate() {
                if let Some(at) = at {
                    count += self.in_leaf(p[0], p[1], at, words[j], &mut |r| {
                        found(b * BLOCK + j, r);
                    });
                }
            }
        }
        count
    }

    /// The regions containing `(lon, lat)` in leaf `at`, whose word is `word`.
    #[inline]
    fn in_leaf(
        &self,
        lon: f64,
        lat: f64,
        at: LeafAt,
        word: u32,
        found: &mut impl FnMut(u32),
    ) -> usize {
        if word == NOTHING {
            return 0;
        }
        if word & WHOLLY != 0 {
            found(word & !WHOLLY);
            return 1;
        }
        let mut i = word as usize;
        let variant = (self.entries[i].flags >> VARIANT_SHIFT) & 3;
        let reference = self.coarse.reference(at, variant as usize);
        #[allow(clippy::cast_possible_truncation)]
        let d = [(lon - reference[0]) as f32, (lat - reference[1]) as f32];
        let mut count = 0;
        loop {
            let entry = self.entries[i];
            let len = (entry.flags & EDGES_LEN) as usize;
            let start = entry.edges_start as usize;
            let crossings = self.cell_edges[start..start + len]
                .iter()
                .fold(false, |odd, e| odd ^ crosses_from_origin(d, e));
            if (entry.flags & CENTRE_INSIDE != 0) ^ crossings {
                found(entry.region);
                count += 1;
            }
            if entry.flags & LAST != 0 {
                return count;
            }
            i += 1;
        }
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
        // The tree's frame is scaled at the data's mean latitude, the true one at `p`: a distance
        // in the tree is at least `shrink` times the true one. Scanning stops once the tree's
        // distance, so shrunk, exceeds the best edge so far. Edges are ranked in the tangent
        // plane at `p` (cheap); only the winner is measured precisely.
        let frame = LocalFrame::at(p[0], p[1]);
        let (east, north) = frame.metres_per_degree();
        let shrink = (east / self.tree_scale.0).min(north / self.tree_scale.1);
        let mut best: Option<(u32, f64, usize)> = None;
        for (item, dist_sq) in self
            .chunk_tree
            .nearest_neighbor_iter_with_distance_2(&query)
        {
            if let Some((_, best_sq, _)) = best
                && dist_sq * shrink * shrink > best_sq
            {
                break;
            }
            let (r, c) = item.data;
            let region = &self.regions[r as usize];
            let mut nearest = (best.map_or(f64::INFINITY, |b| b.1), usize::MAX);
            region.nearest_edge_in(&frame, &region.chunks[c as usize], &mut nearest);
            if nearest.1 != usize::MAX {
                best = Some((r, nearest.0, nearest.1));
            }
        }
        best.map(|(r, _, i)| {
            let region = &self.regions[r as usize];
            (
                region,
                point_segment_in(&frame, p, region.points[i], region.points[i + 1]),
            )
        })
    }

    fn fill_chunk_tree(&mut self) {
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
        let boxes = self
            .regions
            .iter()
            .enumerate()
            .flat_map(|(r, region)| {
                let r = u32::try_from(r).unwrap_or(u32::MAX);
                region.chunks.iter().enumerate().map(move |(c, chunk)| {
                    let b = chunk.bbox;
                    GeomWithData::new(
                        Rectangle::from_corners([b[0] * sx, b[1] * sy], [b[2] * sx, b[3] * sy]),
                        (r, u32::try_from(c).unwrap_or(u32::MAX)),
                    )
                })
            })
            .collect();
        self.chunk_tree = RTree::bulk_load(boxes);
    }
}

/// Incidences of edges in cells: `items[start[c]..start[c + 1]]` for cell `c`, each
/// (region, index of the edge's first position in the region).
struct EdgeLists {
    start: Vec<u32>,
    items: Vec<(u32, u32)>,
}

impl EdgeLists {
    fn of(&self, cell: usize) -> &[(u32, u32)] {
        &self.items[self.start[cell] as usize..self.start[cell + 1] as usize]
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl BoundaryIndex {
    fn fill_grid(&mut self) {
        let coarse = self.coarse;
        let by_coarse = self.coarse_edge_lists();
        let edges_per_leaf = if by_coarse.items.len() <= CITY_EDGES {
            CITY_EDGES_PER_LEAF
        } else {
            COUNTRY_EDGES_PER_LEAF
        };

        // Which coarse cells to split, and the leaves' numbers.
        let mut coarse_cells = Vec::with_capacity(coarse.nx * coarse.ny);
        let mut leaves = 0usize;
        for cell in 0..coarse.nx * coarse.ny {
            let n = by_coarse.of(cell).len();
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let k = if n > SPLIT_ABOVE_EDGES {
                ((n as f64 / edges_per_leaf).sqrt().ceil() as usize).clamp(2, MAX_SPLIT)
            } else {
                1
            };
            coarse_cells.push(CoarseCell {
                first_leaf: to_u32(leaves),
                k: to_u32(k),
            });
            leaves += k * k;
        }
        self.coarse_cells = coarse_cells;
        let by_leaf = self.leaf_edge_lists(&by_coarse, leaves);
        drop(by_coarse);
        let variants = self.reference_variants(&by_leaf);

        // The leaves each region reaches, and whether their reference points are inside it:
        // (leaf, region << 1 | inside), in region order.
        let mut reached: Vec<(u32, u32)> = Vec::new();
        let mut samples = Vec::new();
        for (r, region) in self.regions.iter().enumerate() {
            samples.clear();
            self.leaves_in(region.bbox, &variants, &mut samples);
            let inside = inside_flags(region, &samples);
            let r = to_u32(r);
            for (&(leaf, _), inside) in samples.iter().zip(inside) {
                let has_edges = {
                    let list = by_leaf.of(leaf as usize);
                    let at = list.partition_point(|(lr, _)| *lr < r);
                    list.get(at).is_some_and(|(lr, _)| *lr == r)
                };
                if has_edges || inside {
                    reached.push((leaf, r << 1 | u32::from(inside)));
                }
            }
        }
        // By leaf (a counting sort keeps the region order within each leaf).
        let mut reached_start = vec![0u32; leaves + 1];
        for &(leaf, _) in &reached {
            reached_start[leaf as usize + 1] += 1;
        }
        for l in 1..reached_start.len() {
            reached_start[l] += reached_start[l - 1];
        }
        let mut by_region = vec![0u32; reached.len()];
        {
            let mut next = reached_start.clone();
            for &(leaf, item) in &reached {
                by_region[next[leaf as usize] as usize] = item;
                next[leaf as usize] += 1;
            }
        }
        drop(reached);

        // The leaves' entries and their edges, relative to each leaf's reference point.
        let mut words = Vec::with_capacity(leaves);
        let mut entries = Vec::new();
        let mut cell_edges = Vec::with_capacity(by_leaf.items.len());
        for at in self.every_leaf() {
            let leaf = at.leaf;
            let list = by_leaf.of(leaf);
            let reaching =
                &by_region[reached_start[leaf] as usize..reached_start[leaf + 1] as usize];
            match reaching {
                [] => {
                    words.push(NOTHING);
                    continue;
                }
                [only] if only & 1 == 1 && list.is_empty() => {
                    words.push(WHOLLY | only >> 1);
                    continue;
                }
                _ => words.push(to_u32(entries.len())),
            }
            let variant = u32::from(variants[leaf]);
            let reference = self.coarse.reference(at, variant as usize);
            for (n, &item) in reaching.iter().enumerate() {
                let (r, centre_inside) = (item >> 1, item & 1 == 1);
                let first = list.partition_point(|(lr, _)| *lr < r);
                let last = list.partition_point(|(lr, _)| *lr <= r);
                let region = &self.regions[r as usize];
                let edges_start = to_u32(cell_edges.len());
                cell_edges.extend(list[first..last].iter().map(|&(_, i)| {
                    let (a, b) = (region.points[i as usize], region.points[i as usize + 1]);
                    relative_f32(a, b, reference)
                }));
                let mut flags = to_u32(last - first) | variant << VARIANT_SHIFT;
                if centre_inside {
                    flags |= CENTRE_INSIDE;
                }
                if n + 1 == reaching.len() {
                    flags |= LAST;
                }
                entries.push(CellEntry {
                    region: r,
                    edges_start,
                    flags,
                });
            }
        }
        entries.shrink_to_fit();
        cell_edges.shrink_to_fit();
        self.leaves = words;
        self.entries = entries;
        self.cell_edges = cell_edges;
    }

    /// Per leaf, the first of [`REFERENCES`] that lies clearly off every edge in the leaf (far
    /// enough that rounding the edge to `f32` cannot move it across): variant 0 almost always.
    fn reference_variants(&self, by_leaf: &EdgeLists) -> Vec<u8> {
        let mut variants = vec![0u8; by_leaf.start.len() - 1];
        for at in self.every_leaf() {
            let list = by_leaf.of(at.leaf);
            if list.is_empty() {
                continue;
            }
            let clear = |variant: usize| {
                let reference = self.coarse.reference(at, variant);
                list.iter().all(|&(r, i)| {
                    let region = &self.regions[r as usize];
                    let (a, b) = (region.points[i as usize], region.points[i as usize + 1]);
                    clearly_off(a, b, reference)
                })
            };
            #[allow(clippy::cast_possible_truncation)]
            if let Some(v) = (0..REFERENCES.len()).find(|&v| clear(v)) {
                variants[at.leaf] = v as u8;
            }
        }
        variants
    }

    /// Every edge, listed in each coarse cell its bounding box touches.
    fn coarse_edge_lists(&self) -> EdgeLists {
        let coarse = self.coarse;
        let for_each_incidence = |visit: &mut dyn FnMut(usize, u32, u32)| {
            for (r, region) in self.regions.iter().enumerate() {
                for chunk in &region.chunks {
                    for i in chunk.start..chunk.end {
                        let (a, b) = (region.points[i as usize], region.points[i as usize + 1]);
                        let (x0, x1, y0, y1) = coarse.span(segment_bbox(a, b));
                        for row in y0..=y1 {
                            for column in x0..=x1 {
                                visit(row * coarse.nx + column, to_u32(r), i);
                            }
                        }
                    }
                }
            }
        };
        let mut start = vec![0u32; coarse.nx * coarse.ny + 1];
        for_each_incidence(&mut |cell, _, _| start[cell + 1] += 1);
        for c in 1..start.len() {
            start[c] += start[c - 1];
        }
        let mut items = vec![(0, 0); start[start.len() - 1] as usize];
        let mut next = start.clone();
        for_each_incidence(&mut |cell, r, i| {
            items[next[cell] as usize] = (r, i);
            next[cell] += 1;
        });
        EdgeLists { start, items }
    }

    /// The coarse lists distributed to leaves (split cells' edges to every fine cell their
    /// bounding boxes touch), in region order within each leaf.
    fn leaf_edge_lists(&self, by_coarse: &EdgeLists, leaves: usize) -> EdgeLists {
        let mut start = Vec::with_capacity(leaves + 1);
        let mut items = Vec::with_capacity(by_coarse.items.len() * 2);
        let mut fine: Vec<Vec<(u32, u32)>> = Vec::new();
        let coarse = self.coarse;
        for (cell, coarse_cell) in self.coarse_cells.iter().enumerate() {
            let list = by_coarse.of(cell);
            let k = coarse_cell.k as usize;
            if k == 1 {
                start.push(to_u32(items.len()));
                items.extend_from_slice(list);
                continue;
            }
            let (column, row) = (cell % coarse.nx, cell / coarse.nx);
            fine.resize_with(k * k, Vec::new);
            for &(r, i) in list {
                let region = &self.regions[r as usize];
                let (a, b) = (region.points[i as usize], region.points[i as usize + 1]);
                let (x0, x1, y0, y1) = coarse.fine_span(segment_bbox(a, b), column, row, k);
                for fine_row in y0..=y1 {
                    for fine_column in x0..=x1 {
                        fine[fine_row * k + fine_column].push((r, i));
                    }
                }
            }
            for leaf in &mut fine[..k * k] {
                start.push(to_u32(items.len()));
                items.append(leaf);
            }
        }
        start.push(to_u32(items.len()));
        EdgeLists { start, items }
    }

    /// Every leaf whose cell `bbox` touches, with its reference point.
    fn leaves_in(&self, bbox: [f64; 4], variants: &[u8], out: &mut Vec<(u32, [f64; 2])>) {
        let coarse = self.coarse;
        let (x0, x1, y0, y1) = coarse.span(bbox);
        for row in y0..=y1 {
            for column in x0..=x1 {
                let cell = self.coarse_cells[row * coarse.nx + column];
                let k = cell.k as usize;
                let (fx0, fx1, fy0, fy1) = coarse.fine_span(bbox, column, row, k);
                for fine_row in fy0..=fy1 {
                    for fine_column in fx0..=fx1 {
                        let at = LeafAt {
                            leaf: cell.first_leaf as usize + fine_row * k + fine_column,
                            column,
                            row,
                            k,
                            fine_column,
                            fine_row,
                        };
                        let variant = usize::from(variants[at.leaf]);
                        out.push((to_u32(at.leaf), coarse.reference(at, variant)));
                    }
                }
            }
        }
    }

    /// Every leaf, in number order.
    fn every_leaf(&self) -> impl Iterator<Item = LeafAt> + '_ {
        let coarse = self.coarse;
        self.coarse_cells
            .iter()
            .enumerate()
            .flat_map(move |(cell, coarse_cell)| {
                let (column, row, k) = (cell % coarse.nx, cell / coarse.nx, coarse_cell.k as usize);
                (0..k * k).map(move |f| LeafAt {
                    leaf: coarse_cell.first_leaf as usize + f,
                    column,
                    row,
                    k,
                    fine_column: f % k,
                    fine_row: f / k,
                })
            })
    }
}

/// Edge `a`–`b` relative to `reference`, in `f32`.
#[allow(clippy::cast_possible_truncation)]
fn relative_f32(a: [f64; 2], b: [f64; 2], reference: [f64; 2]) -> [f32; 4] {
    [
        (a[0] - reference[0]) as f32,
        (a[1] - reference[1]) as f32,
        (b[0] - reference[0]) as f32,
        (b[1] - reference[1]) as f32,
    ]
}

/// Whether `p` lies farther from segment `a`–`b` than rounding the segment (relative to `p`) to
/// `f32` can move it, with a margin of 16: about 2⁻²⁰ of the segment's farthest coordinate.
fn clearly_off(a: [f64; 2], b: [f64; 2], p: [f64; 2]) -> bool {
    let (ax, ay, bx, by) = (a[0] - p[0], a[1] - p[1], b[0] - p[0], b[1] - p[1]);
    let scale = ax.abs().max(ay.abs()).max(bx.abs()).max(by.abs());
    let (dx, dy) = (bx - ax, by - ay);
    let len_sq = dx * dx + dy * dy;
    let t = if len_sq > 0.0 {
        (-(ax * dx + ay * dy) / len_sq).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (nx, ny) = (ax + t * dx, ay + t * dy);
    (nx * nx + ny * ny).sqrt() > scale * f64::powi(2.0, -20)
}

fn segment_bbox(a: [f64; 2], b: [f64; 2]) -> [f64; 4] {
    [
        a[0].min(b[0]),
        a[1].min(b[1]),
        a[0].max(b[0]),
        a[1].max(b[1]),
    ]
}

/// The coarse grid over the regions' bounding box: cells about half a typical region's side
/// (the split cells then follow the density of edges), at most [`MAX_COARSE_CELLS`].
fn coarse_grid(regions: &[Region], cell_degrees: Option<f64>) -> Grid {
    if regions.is_empty() {
        return Grid::new([0.0, 0.0], 1.0, 1, 1);
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
    let (width, height) = (bbox[2] - bbox[0], bbox[3] - bbox[1]);
    let smallest = (width * height / MAX_COARSE_CELLS as f64).sqrt().max(1e-6);
    let cell = match cell_degrees {
        Some(c) if c.is_finite() && c > 0.0 => c,
        _ => {
            let mut sides: Vec<f64> = regions
                .iter()
                .map(|r| ((r.bbox[2] - r.bbox[0]) * (r.bbox[3] - r.bbox[1])).sqrt())
                .collect();
            let middle = sides.len() / 2;
            let (_, median, _) = sides.select_nth_unstable_by(middle, f64::total_cmp);
            *median / 2.0
        }
    }
    .max(smallest);
    let along = |extent: f64| {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = (extent / cell).floor() as usize + 1;
        n.max(1)
    };
    Grid::new([bbox[0], bbox[1]], cell, along(width), along(height))
}

/// Whether each sample point is inside `region` (even-odd rule, as [`crosses_from_origin`]
/// counts), by one sweep over the samples in order of latitude with the edges that span it.
fn inside_flags(region: &Region, samples: &[(u32, [f64; 2])]) -> Vec<bool> {
    // Each edge from its southern to its northern end; horizontal edges cross no sweep line.
    #[allow(clippy::float_cmp)]
    let mut edges: Vec<[f64; 4]> = region
        .edges()
        .filter(|e| e[1] != e[3])
        .map(|e| {
            if e[1] < e[3] {
                e
            } else {
                [e[2], e[3], e[0], e[1]]
            }
        })
        .collect();
    edges.sort_unstable_by(|a, b| a[1].total_cmp(&b[1]));
    let mut order: Vec<usize> = (0..samples.len()).collect();
    order.sort_unstable_by(|&a, &b| samples[a].1[1].total_cmp(&samples[b].1[1]));
    let mut flags = vec![false; samples.len()];
    let mut active: Vec<[f64; 4]> = Vec::new();
    let mut next = 0;
    for s in order {
        let [px, py] = samples[s].1;
        while next < edges.len() && edges[next][1] <= py {
            active.push(edges[next]);
            next += 1;
        }
        active.retain(|e| e[3] > py);
        let mut inside = false;
        for e in &active {
            let x = e[0] + (py - e[1]) * (e[2] - e[0]) / (e[3] - e[1]);
            if px < x {
                inside = !inside;
            }
        }
        flags[s] = inside;
    }
    flags
}

fn region_from(input: RegionInput) -> Result<Region, IndexError> {
    let mut points = Vec::new();
    let mut chunks = Vec::new();
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
        let ring_start = points.len();
        // Repeated positions make zero-length edges, which cross nothing.
        for &p in ring {
            #[allow(clippy::float_cmp)]
            if points.len() == ring_start || points.last() != Some(&p) {
                points.push(p);
            }
            bbox = [
                bbox[0].min(p[0]),
                bbox[1].min(p[1]),
                bbox[2].max(p[0]),
                bbox[3].max(p[1]),
            ];
        }
        let ring_end = points.len();
        let mut start = ring_start;
        while start + 1 < ring_end {
            let end = (start + CHUNK_EDGES).min(ring_end - 1);
            let b = points[start..=end].iter().fold(
                [
                    f64::INFINITY,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    f64::NEG_INFINITY,
                ],
                |b, p| {
                    [
                        b[0].min(p[0]),
                        b[1].min(p[1]),
                        b[2].max(p[0]),
                        b[3].max(p[1]),
                    ]
                },
            );
            chunks.push(Chunk {
                bbox: b,
                start: to_u32(start),
                end: to_u32(end),
            });
            start = end;
        }
    }
    if chunks.is_empty() {
        return Err(IndexError::BadRing(input.kode.to_string()));
    }
    points.shrink_to_fit();
    chunks.shrink_to_fit();
    Ok(Region {
        kode: input.kode,
        nama: input.nama,
        bbox,
        points,
        chunks,
    })
}

/// Whether the segment from the origin to `d` crosses edge `e` (`[ax, ay, bx, by]`, in the same
/// frame). An endpoint of the edge exactly on the segment's line counts on one side only, so a
/// position shared by two edges is counted once.
#[inline]
fn crosses_from_origin(d: [f32; 2], e: &[f32; 4]) -> bool {
    let (ax, ay, bx, by) = (e[0], e[1], e[2], e[3]);
    let sa = d[0] * ay - d[1] * ax;
    let sb = d[0] * by - d[1] * bx;
    // Sides of the origin and of `d` relative to the edge's line. Both tests are computed, without
    // an early return: with a few edges per leaf, a mispredicted branch costs more than the sums.
    let so = ax * by - ay * bx;
    let sd = (bx - ax) * (d[1] - ay) - (by - ay) * (d[0] - ax);
    #[allow(clippy::needless_bitwise_bool)]
    let crosses = ((sa > 0.0) != (sb > 0.0)) & ((so > 0.0) != (sd > 0.0));
    crosses
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

    /// A star-shaped ring of `n` vertices around (`x0`, `y0`) with a wavy radius, so that its
    /// edges crowd some cells (which are then split) and leave others whole.
    fn star(kode: &str, x0: f64, y0: f64, radius: f64, n: usize) -> RegionInput {
        let mut ring: Vec<[f64; 2]> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                let r = radius * (1.0 + 0.3 * (7.0 * a).sin());
                [x0 + r * a.cos(), y0 + r * a.sin()]
            })
            .collect();
        ring.push(ring[0]);
        RegionInput {
            kode: WilayahKode::parse(kode).unwrap(),
            nama: kode.to_owned(),
            polygons: vec![vec![ring]],
        }
    }

    /// Even-odd rule over every edge, ray towards +x: the reference the grid must agree with.
    fn brute_force_contains(region: &Region, p: [f64; 2]) -> bool {
        let mut inside = false;
        for e in region.edges() {
            if (e[1] > p[1]) != (e[3] > p[1]) {
                let x = e[0] + (p[1] - e[1]) * (e[2] - e[0]) / (e[3] - e[1]);
                if p[0] < x {
                    inside = !inside;
                }
            }
        }
        inside
    }

    #[test]
    fn split_cells_agree_with_every_edge_tested() {
        use rand::{Rng, SeedableRng};
        let index = BoundaryIndex::build(vec![
            star("31.71.01.1001", 106.80, -6.20, 0.01, 2_000),
            star("31.71.01.1002", 106.83, -6.20, 0.015, 300),
            // Inside the first star's hole-free body: an overlap.
            square("31.71.01.1003", 106.798, -6.202, 0.004),
        ])
        .unwrap();
        let stats = index.stats();
        assert!(stats.split_cells > 0, "{stats:?}");
        assert!(stats.leaves > stats.coarse_cells, "{stats:?}");
        let mut rng = rand::rngs::SmallRng::seed_from_u64(1);
        let mut inside = 0;
        let mut points = Vec::new();
        for _ in 0..50_000 {
            let p = [
                rng.random_range(106.78..106.85),
                rng.random_range(-6.225..-6.175),
            ];
            let got: Vec<u32> = {
                let mut v = Vec::new();
                index.for_each_containing(p[0], p[1], |r| v.push(r));
                v
            };
            let want: Vec<u32> = (0..3u32)
                .filter(|&r| brute_force_contains(&index.regions()[r as usize], p))
                .collect();
            assert_eq!(got, want, "at {p:?}");
            inside += got.len();
            points.push(p);
        }
        let mut all = Vec::new();
        let pairs = index.for_each_containing_all(&points, |i, r| all.push((i, r)));
        let one_by_one: Vec<(usize, u32)> = points
            .iter()
            .enumerate()
            .flat_map(|(i, p)| {
                index
                    .containing(p[0], p[1])
                    .into_iter()
                    .map(move |r| (i, r))
            })
            .map(|(i, r)| (i, index.by_kode[&r.kode]))
            .collect();
        assert_eq!((pairs, &all), (one_by_one.len(), &one_by_one));
        assert!(
            inside > 10_000,
            "{inside} pairs: the points should often fall inside"
        );
    }

    #[test]
    fn the_distance_to_a_boundary_uses_its_nearest_chunk() {
        let star = star("31.71.01.1001", 106.80, -6.20, 0.01, 2_000);
        let index = BoundaryIndex::build(vec![star]).unwrap();
        let region = &index.regions()[0];
        for p in [
            [106.80, -6.20],
            [106.805, -6.199],
            [106.83, -6.18],
            [106.79, -6.21],
        ] {
            let brute = region
                .edges()
                .map(|e| crate::metric::point_segment_m(p, [e[0], e[1]], [e[2], e[3]]))
                .fold(f64::INFINITY, f64::min);
            let got = region.boundary_distance_m(p);
            assert!((got - brute).abs() < 0.01, "{p:?}: {got} m vs {brute} m");
            let (_, nearest) = index.nearest(p).unwrap();
            assert!(
                (nearest - brute).abs() < 0.01,
                "{p:?}: {nearest} m vs {brute} m"
            );
        }
    }

    #[test]
    fn an_empty_index_contains_nothing() {
        let index = BoundaryIndex::build(Vec::new()).unwrap();
        assert!(index.containing(106.8, -6.2).is_empty());
        assert!(index.nearest([106.8, -6.2]).is_none());
    }
}
