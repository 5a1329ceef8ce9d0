//! An in-memory index of kelurahan polygons that answers "which kelurahan contain this point?" and
//! "how far is this point from that kelurahan's boundary, in metres?", for one city or the whole
//! country (83,246 desa and kelurahan, 8.7 million vertices) in one process.
//!
//! Containment uses a two-level grid that adapts to the data. A coarse grid covers the regions'
//! bounding box; a coarse cell that many boundary edges cross is split into a finer grid of its own,
//! sized by its number of edges, so the sea and the interiors of large desa stay a single cell while
//! a dense city is cut fine. Each final cell (a leaf) lists the regions that reach it: a region whose
//! boundary does not cross the leaf covers it wholly (answered at once), otherwise the leaf keeps the
//! edges that cross it once each, relative to a reference point near the leaf's centre, with a bit
//! per region that the edge bounds (neighbours share their common edges), and a bit per region
//! whose interior holds that point. A point is then inside a region iff the segment from the
//! reference point to it crosses that region's edges an odd number of times: the crossed edges'
//! bits, XORed into the reference point's, answer every region of the leaf at once, touching only
//! the handful of edges in one leaf.
//!
//! Distances use the boundary split into chunks of consecutive edges with bounding boxes: the
//! distance to a chunk's box bounds the distance to its edges from below, so only the chunks near a
//! point are measured (the claimed or containing kelurahan's own chunks, or a packed R-tree of all
//! chunks for the nearest kelurahan).

use std::collections::HashMap;

use survey_schema::WilayahKode;

use crate::metric::{LocalFrame, point_segment_in};

mod build;
mod chunk_tree;
mod grid;

use build::{coarse_grid, region_from};
use chunk_tree::ChunkTree;
use grid::{CoarseCell, Grid};

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

/// Edges per chunk: on Jakarta (`cargo run --release -p geo-rules --example locate`) the
/// full verdict ran 2.59–2.70, 2.58–2.61 and 2.26–2.32 M points/s with 4, 8 and 16.
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

/// Up to [`GROUP_REGIONS`] of the regions that reach a leaf crossed by edges, with those regions'
/// edges in the leaf (a leaf reached by more regions has several groups, one after another).
#[derive(Debug, Clone, Copy)]
struct LeafGroup {
    /// Start in `cell_edges` and `edge_regions` of the group's edges.
    edges_start: u32,
    /// Start in `group_regions` of the group's regions: bit `n` of a mask is region
    /// `group_regions[regions_start + n]`.
    regions_start: u32,
    /// The regions whose interior holds the leaf's reference point.
    inside: u32,
    /// Number of edges ([`EDGES_LEN`] bits), the leaf's reference point ([`VARIANT_SHIFT`]) and
    /// whether this is the leaf's last group ([`LAST`]).
    meta: u32,
}

/// Regions per group: the bits of a mask.
const GROUP_REGIONS: usize = 32;
const LAST: u32 = 1 << 31;
const VARIANT_SHIFT: u32 = 29;
const EDGES_LEN: u32 = (1 << VARIANT_SHIFT) - 1;

/// Where a point falls: its leaf's word and its position in the leaf, in leaf sides from the
/// leaf's south-west corner (the frame of the leaf's edges).
#[derive(Debug, Clone, Copy, Default)]
struct Placed {
    word: u32,
    x: f64,
    y: f64,
}

/// Why an index cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    #[error("kelurahan {0} appears twice")]
    DuplicateKode(String),
    #[error(
        "kelurahan {0} has a ring with fewer than 4 positions, coordinates that are not finite, or a last position that is not its first"
    )]
    BadRing(String),
    #[error(
        "the boundaries are too many for one index: {0} edges, leaves or entries where 32-bit numbers must hold them"
    )]
    TooLarge(usize),
}

/// A leaf's word: with this bit, the region covering it wholly (no other region reaches it);
/// [`NOTHING`]: no region reaches it; otherwise the index of its first group in `groups`.
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
    /// Regions listed in leaves crossed by edges (a region in several such leaves counts in each).
    pub entries: usize,
    /// Edges stored in leaves (an edge crossing several leaves counts in each).
    pub leaf_edges: usize,
    /// Bytes on the heap, all parts of the index included.
    pub heap_bytes: usize,
}

/// Kelurahan polygons indexed for containment and distance queries.
#[derive(Debug)]
pub struct BoundaryIndex {
    regions: Vec<Region>,
    by_kode: HashMap<WilayahKode, u32>,
    coarse: Grid,
    /// Per coarse cell (row by row): how it is split into leaves (a lookup takes the same steps
    /// in a split cell and a whole one, without a branch to mispredict).
    coarse_cells: Vec<CoarseCell>,
    /// Per leaf: see [`WHOLLY`]; one more, [`NOTHING`], for every position off the grid.
    leaves: Vec<u32>,
    groups: Vec<LeafGroup>,
    group_regions: Vec<u32>,
    /// Edges `[ax, ay, bx, by]` relative to their leaf's reference point, in leaf sides; `f32` is
    /// exact to about 0.1 mm at a leaf's scale and halves the memory of the largest part.
    cell_edges: Vec<[f32; 4]>,
    /// Per edge in `cell_edges`: the regions of its group that it bounds, as bits.
    edge_regions: Vec<u32>,
    /// Every chunk's box, for the nearest region.
    chunk_tree: ChunkTree,
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
        // Region numbers are shifted left once while building and share a word with WHOLLY.
        if edges >= WHOLLY as usize || regions.len() >= 1 << 30 {
            return Err(IndexError::TooLarge(edges));
        }
        let coarse = coarse_grid(&regions, cell_degrees);
        let mut index = Self {
            regions,
            by_kode,
            coarse,
            coarse_cells: Vec::new(),
            leaves: Vec::new(),
            groups: Vec::new(),
            group_regions: Vec::new(),
            cell_edges: Vec::new(),
            edge_regions: Vec::new(),
            chunk_tree: ChunkTree::default(),
        };
        if !index.regions.is_empty() {
            index.fill_grid()?;
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
        let tree_bytes = self.chunk_tree.heap_bytes();
        IndexStats {
            regions: self.regions.len(),
            edges: self.regions.iter().map(Region::edge_count).sum(),
            coarse_cells: self.coarse_cells.len(),
            split_cells: self.coarse_cells.iter().filter(|c| c.k > 1).count(),
            leaves: self.leaves.len().saturating_sub(1),
            entries: self.group_regions.len(),
            leaf_edges: self.cell_edges.len(),
            heap_bytes: self.regions.iter().map(Region::heap_bytes).sum::<usize>()
                + self.regions.capacity() * size_of::<Region>()
                + self.by_kode.capacity() * (size_of::<(WilayahKode, u32)>() + 16)
                + self.coarse_cells.capacity() * size_of::<CoarseCell>()
                + self.leaves.capacity() * 4
                + self.groups.capacity() * size_of::<LeafGroup>()
                + self.group_regions.capacity() * 4
                + self.cell_edges.capacity() * size_of::<[f32; 4]>()
                + self.edge_regions.capacity() * 4
                + tree_bytes,
        }
    }

    /// The leaf holding `(lon, lat)` and the position in it: the same arithmetic as the build's
    /// (see [`Grid::leaf_units`]), without a branch.
    #[inline]
    fn place(&self, lon: f64, lat: f64) -> Placed {
        let mut at = self.place_in_leaf(lon, lat);
        at.word = self.leaves[at.word as usize];
        at
    }

    /// [`BoundaryIndex::place`] with the leaf's number in place of its word (not yet read).
    #[inline]
    fn place_in_leaf(&self, lon: f64, lat: f64) -> Placed {
        let grid = &self.coarse;
        let (ux, uy) = (grid.unit_x(lon), grid.unit_y(lat));
        // The grid has a spare row and column past the data, so `< n` loses no point of it; a
        // position that is not a number fails every comparison.
        #[allow(clippy::cast_precision_loss, clippy::needless_bitwise_bool)]
        let on_grid = (ux >= 0.0) & (uy >= 0.0) & (ux < grid.nx as f64) & (uy < grid.ny as f64);
        // `as` saturates (and takes NaN to 0), so the indices stay in the grid either way.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (column, row) = (
            (ux as usize).min(grid.nx - 1),
            (uy as usize).min(grid.ny - 1),
        );
        let cell = self.coarse_cells[row * grid.nx + column];
        let k = cell.k as usize;
        let (fx, fy) = (
            (ux - column as f64) * f64::from(cell.k),
            (uy - row as f64) * f64::from(cell.k),
        );
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (fine_column, fine_row) = ((fx as usize).min(k - 1), (fy as usize).min(k - 1));
        let leaf = if on_grid {
            cell.first_leaf as usize + fine_row * k + fine_column
        } else {
            self.leaves.len() - 1
        };
        #[allow(clippy::cast_possible_truncation)]
        Placed {
            word: leaf as u32,
            x: fx - fine_column as f64,
            y: fy - fine_row as f64,
        }
    }

    /// Calls `found` with the index of every region containing `(lon, lat)`; returns how many.
    ///
    /// A point exactly on a boundary may be reported in either neighbour (or both, or neither).
    #[inline]
    pub fn for_each_containing(&self, lon: f64, lat: f64, mut found: impl FnMut(u32)) -> usize {
        if self.leaves.is_empty() {
            return 0;
        }
        let at = self.place(lon, lat);
        match at.word {
            NOTHING => 0,
            word if word & WHOLLY != 0 => {
                found(word & !WHOLLY);
                1
            }
            word => self.in_groups(word as usize, at, &mut found),
        }
    }

    /// [`BoundaryIndex::for_each_containing`] for many points: calls `found(i, region)` for every
    /// region containing `points[i]`; returns how many pairs. The calls come block by block (64
    /// points), within a block not in the points' order.
    ///
    /// Each block goes stage by stage: every point's leaf (the reads of different points overlap
    /// instead of each waiting for the one before, which matters when the index is far larger
    /// than the caches, as the whole country's is), then the points in leaves that one region
    /// covers or none reaches, which need no more, and last the points in leaves crossed by edges.
    /// The branch that tells these apart is taken once per point, where it costs least.
    pub fn for_each_containing_all(
        &self,
        points: &[[f64; 2]],
        mut found: impl FnMut(usize, u32),
    ) -> usize {
        const BLOCK: usize = 64;
        if self.leaves.is_empty() {
            return 0;
        }
        let mut count = 0;
        let mut placed = [Placed::default(); BLOCK];
        let mut crossed = [0u8; BLOCK];
        for (b, block) in points.chunks(BLOCK).enumerate() {
            let base = b * BLOCK;
            for (slot, p) in placed.iter_mut().zip(block) {
                *slot = self.place_in_leaf(p[0], p[1]);
            }
            for at in &mut placed[..block.len()] {
                at.word = self.leaves[at.word as usize];
            }
            let mut waiting = 0;
            for (j, at) in placed[..block.len()].iter().enumerate() {
                // Every point is written to the list, and only those in leaves crossed by edges
                // are kept: no branch, so none to mispredict.
                #[allow(clippy::cast_possible_truncation)]
                let index = j as u8;
                crossed[waiting] = index;
                waiting += usize::from(at.word & WHOLLY == 0);
                #[allow(clippy::needless_bitwise_bool)]
                let wholly = (at.word & WHOLLY != 0) & (at.word != NOTHING);
                if wholly {
                    found(base + j, at.word & !WHOLLY);
                }
                count += usize::from(wholly);
            }
            // Touch each such leaf's first group and edge, so that their reads overlap too.
            let mut touched = 0.0f32;
            for &j in &crossed[..waiting] {
                if let Some(group) = self.groups.get(placed[usize::from(j)].word as usize)
                    && let Some(edge) = self.cell_edges.get(group.edges_start as usize)
                {
                    touched += edge[0];
                }
            }
            std::hint::black_box(touched);
            for &j in &crossed[..waiting] {
                let j = usize::from(j);
                let at = placed[j];
                count += self.in_groups(at.word as usize, at, &mut |r| found(base + j, r));
            }
        }
        count
    }

    /// The regions containing a point placed (`at`) in a leaf crossed by edges, whose first group
    /// is `group`.
    #[inline]
    fn in_groups(&self, mut group: usize, at: Placed, found: &mut impl FnMut(u32)) -> usize {
        let variant = (self.groups[group].meta >> VARIANT_SHIFT) & 3;
        let [rx, ry] = grid::REFERENCES[variant as usize];
        #[allow(clippy::cast_possible_truncation)]
        let d = [(at.x - rx) as f32, (at.y - ry) as f32];
        let mut count = 0;
        loop {
            let g = self.groups[group];
            let start = g.edges_start as usize;
            let end = start + (g.meta & EDGES_LEN) as usize;
            // Without a branch per edge: with a few edges per leaf, a mispredicted branch costs
            // more than the sums.
            let inside = self.cell_edges[start..end]
                .iter()
                .zip(&self.edge_regions[start..end])
                .fold(g.inside, |inside, (edge, &regions)| {
                    inside ^ (regions & 0u32.wrapping_sub(u32::from(crosses_from_origin(d, edge))))
                });
            let mut left = inside;
            while left != 0 {
                found(
                    self.group_regions[g.regions_start as usize + left.trailing_zeros() as usize],
                );
                count += 1;
                left &= left - 1;
            }
            if g.meta & LAST != 0 {
                return count;
            }
            group += 1;
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
        // Distances to a position that is not a number order nothing.
        if !(p[0].is_finite() && p[1].is_finite()) {
            return None;
        }
        // Edges are ranked in the tangent plane at `p` (cheap); only the winner is measured
        // precisely.
        let frame = LocalFrame::at(p[0], p[1]);
        // (squared metres, region, edge) of the nearest edge so far.
        let mut best = (0u32, usize::MAX);
        let mut best_sq = f64::INFINITY;
        self.chunk_tree.search(
            &|bbox| frame.box_distance_sq(bbox),
            &mut best_sq,
            &mut |(r, c), best_sq| {
                let region = &self.regions[r as usize];
                let mut nearest = (*best_sq, usize::MAX);
                region.nearest_edge_in(&frame, &region.chunks[c as usize], &mut nearest);
                if nearest.1 != usize::MAX {
                    *best_sq = nearest.0;
                    best = (r, nearest.1);
                }
            },
        );
        let (r, i) = best;
        let region = self.regions.get(r as usize).filter(|_| i != usize::MAX)?;
        Some((
            region,
            point_segment_in(&frame, p, region.points[i], region.points[i + 1]),
        ))
    }

    fn fill_chunk_tree(&mut self) {
        let boxes =
            self.regions
                .iter()
                .enumerate()
                .flat_map(|(r, region)| {
                    let r = u32::try_from(r).unwrap_or(u32::MAX);
                    region.chunks.iter().enumerate().map(move |(c, chunk)| {
                        (chunk.bbox, (r, u32::try_from(c).unwrap_or(u32::MAX)))
                    })
                })
                .collect();
        self.chunk_tree = ChunkTree::build(boxes);
    }
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
        one_ring(kode, ring)
    }

    /// An area of one ring, named by its code.
    fn one_ring(kode: &str, ring: Vec<[f64; 2]>) -> RegionInput {
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
        all.sort_unstable();
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
    fn leaves_reached_by_many_regions_and_shared_edges_agree_with_every_edge_tested() {
        use rand::{Rng, SeedableRng};
        // 40 squares nested around one centre (so leaves near it are reached by more regions
        // than one group holds) and a 6 x 6 block of squares that share their edges.
        let mut inputs: Vec<RegionInput> = (0..40)
            .map(|i| {
                let half = 0.001 + f64::from(i) * 0.0004;
                square(
                    &format!("31.71.01.{}", 1001 + i),
                    106.80 - half,
                    -6.20 - half,
                    2.0 * half,
                )
            })
            .collect();
        for i in 0..36 {
            let (column, row) = (f64::from(i % 6), f64::from(i / 6));
            inputs.push(square(
                &format!("31.71.02.{}", 1001 + i),
                106.83 + column * 0.003,
                -6.21 + row * 0.003,
                0.003,
            ));
        }
        let index = BoundaryIndex::build(inputs).unwrap();
        assert!(
            index.groups.iter().any(|g| g.meta & LAST == 0),
            "some leaf should need more than one group"
        );
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        let points: Vec<[f64; 2]> = (0..40_000)
            .map(|_| {
                [
                    rng.random_range(106.78..106.86),
                    rng.random_range(-6.225..-6.18),
                ]
            })
            .collect();
        let mut in_block = 0;
        for p in &points {
            let mut got = Vec::new();
            index.for_each_containing(p[0], p[1], |r| got.push(r));
            got.sort_unstable();
            let want: Vec<u32> = (0..76u32)
                .filter(|&r| brute_force_contains(&index.regions()[r as usize], *p))
                .collect();
            assert_eq!(got, want, "at {p:?}");
            in_block += usize::from(want.iter().any(|&r| r >= 40));
        }
        assert!(
            in_block > 1_000,
            "{in_block} points in the block of squares"
        );
        let mut all = Vec::new();
        let pairs = index.for_each_containing_all(&points, |i, r| all.push((i, r)));
        all.sort_unstable();
        let mut one_by_one = Vec::new();
        for (i, p) in points.iter().enumerate() {
            index.for_each_containing(p[0], p[1], |r| one_by_one.push((i, r)));
        }
        one_by_one.sort_unstable();
        assert_eq!((pairs, &all), (one_by_one.len(), &one_by_one));
    }

    #[test]
    fn an_edge_run_along_twice_is_crossed_twice() {
        // A square with a spike: out along y = -6.195 and back along the same edge.
        let spiked = one_ring(
            "31.71.01.1001",
            vec![
                [106.80, -6.20],
                [106.81, -6.20],
                [106.81, -6.195],
                [106.82, -6.195],
                [106.81, -6.195],
                [106.81, -6.19],
                [106.80, -6.19],
                [106.80, -6.20],
            ],
        );
        let index = BoundaryIndex::build(vec![spiked]).unwrap();
        assert_eq!(index.containing(106.805, -6.1951).len(), 1);
        assert_eq!(index.containing(106.815, -6.1951).len(), 0);
        assert_eq!(index.containing(106.815, -6.1949).len(), 0);
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
    fn refuses_an_open_ring_and_answers_nothing_for_a_position_that_is_not_a_number() {
        let mut open = square("31.71.01.1001", 106.80, -6.20, 0.01);
        open.polygons[0][0].pop();
        open.polygons[0][0].push([106.80, -6.199]);
        assert!(matches!(
            BoundaryIndex::build(vec![open]),
            Err(IndexError::BadRing(_))
        ));
        let index = BoundaryIndex::build(vec![
            square("31.71.01.1001", 106.80, -6.20, 0.01),
            square("31.71.01.1002", 106.82, -6.20, 0.01),
        ])
        .unwrap();
        assert!(index.nearest([f64::NAN, -6.2]).is_none());
        assert!(index.containing(f64::NAN, -6.2).is_empty());
    }

    #[test]
    fn a_region_without_area_keeps_the_grid_small() {
        // A ring folded onto a meridian 50 degrees long: no area, so no cell size from the area.
        let line = one_ring(
            "31.71.01.1001",
            vec![
                [106.0, -10.0],
                [106.0, 40.0],
                [106.0, -10.0],
                [106.0, -10.0],
            ],
        );
        let index = BoundaryIndex::build(vec![line]).unwrap();
        assert!(
            index.stats().coarse_cells <= 4_000_001,
            "{:?}",
            index.stats()
        );
        assert!(index.containing(106.001, 0.0).is_empty());
    }

    #[test]
    fn an_empty_index_contains_nothing() {
        let index = BoundaryIndex::build(Vec::new()).unwrap();
        assert!(index.containing(106.8, -6.2).is_empty());
        assert!(index.nearest([106.8, -6.2]).is_none());
    }
}
