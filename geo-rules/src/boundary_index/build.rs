//! Building the index: edges listed per coarse cell and per leaf, whether each leaf's reference
//! point is inside each region that reaches it (one sweep per region), and the leaves' groups.

use super::grid::{CoarseCell, Grid, LeafAt, REFERENCES};
use super::{
    BoundaryIndex, CHUNK_EDGES, Chunk, EDGES_LEN, GROUP_REGIONS, IndexError, LAST, LeafGroup,
    NOTHING, Region, RegionInput, VARIANT_SHIFT, WHOLLY,
};

/// Largest number of coarse cells; past it coarse cells grow.
const MAX_COARSE_CELLS: usize = 4_000_000;
/// A coarse cell crossed by more edges than this is split into a finer grid.
const SPLIT_ABOVE_EDGES: usize = 1;
/// Edges per leaf a split aims at, for a city: on Jakarta (`cargo run --release -p geo-rules
/// --example locate`), from 1 to 0.5, 0.35 and 0.25 containment in blocks went 63, 79, 83 and 83 M
/// points/s (0.125: 70, its 3.5 MB no longer in the nearest caches).
const CITY_EDGES_PER_LEAF: f64 = 0.25;
/// Edges per leaf for more than [`CITY_EDGES`] edges: on the whole country (8.6 million edges),
/// containment in blocks ran 14.4 M points/s in 694 MB with 1, and 15.1 M points/s in 861 MB with
/// 0.5, built in 4.9 s instead of 3.7; 1 keeps the index well under 1 GB.
const COUNTRY_EDGES_PER_LEAF: f64 = 1.0;
const CITY_EDGES: usize = 1_000_000;
/// Largest split of a coarse cell, per side.
const MAX_SPLIT: usize = 64;

/// Incidences of edges in cells: `items[start[c]..start[c + 1]]` for cell `c`, each an edge's
/// number (see [`EdgeNumbers`]), in increasing order within a cell.
struct EdgeLists {
    start: Vec<u32>,
    items: Vec<u32>,
}

impl EdgeLists {
    fn of(&self, cell: usize) -> &[u32] {
        &self.items[self.start[cell] as usize..self.start[cell + 1] as usize]
    }
}

/// Edges numbered by their first position among every region's positions, one region after
/// another: a list of edges holds one number (4 bytes) per incidence instead of a (region,
/// position) pair, which keeps the whole country's build under 1 GB, and sorted numbers are
/// sorted by region.
struct EdgeNumbers {
    /// Region `r`'s positions are numbered `first[r]..first[r + 1]`.
    first: Vec<u32>,
}

impl EdgeNumbers {
    fn of(regions: &[Region]) -> Result<Self, IndexError> {
        let mut first = Vec::with_capacity(regions.len() + 1);
        let mut total = 0usize;
        first.push(0);
        for region in regions {
            total += region.points.len();
            if total >= u32::MAX as usize {
                return Err(IndexError::TooLarge(total));
            }
            first.push(to_u32(total));
        }
        Ok(Self { first })
    }

    fn number(&self, region: usize, position: u32) -> u32 {
        self.first[region] + position
    }

    /// The numbers of region `r`'s edges.
    fn range(&self, r: u32) -> std::ops::Range<u32> {
        self.first[r as usize]..self.first[r as usize + 1]
    }

    /// (region, position) of each number of `sorted` (in increasing order), walking the regions
    /// forward from the first number's.
    fn resolve<'a>(&'a self, sorted: &'a [u32]) -> impl Iterator<Item = (usize, usize)> + 'a {
        let mut region = sorted.first().map_or(0, |&n| {
            self.first.partition_point(|&f| f <= n).saturating_sub(1)
        });
        sorted.iter().map(move |&n| {
            while self.first[region + 1] <= n {
                region += 1;
            }
            (region, (n - self.first[region]) as usize)
        })
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl BoundaryIndex {
    /// Fills the grid; refuses (rather than wraps) a grid whose leaves, groups or edges would not
    /// fit their 32-bit numbers.
    pub(super) fn fill_grid(&mut self) -> Result<(), IndexError> {
        let coarse = self.coarse;
        let numbers = EdgeNumbers::of(&self.regions)?;
        let by_coarse = self.coarse_edge_lists(&numbers)?;
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
        if leaves >= u32::MAX as usize {
            return Err(IndexError::TooLarge(leaves));
        }
        let by_leaf = self.leaf_edge_lists(&by_coarse, &numbers, leaves)?;
        drop(by_coarse);
        let variants = self.reference_variants(&by_leaf, &numbers);

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
                    let edges = numbers.range(r);
                    let at = list.partition_point(|&number| number < edges.start);
                    list.get(at).is_some_and(|&number| number < edges.end)
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

        // The leaves' groups and their edges, relative to each leaf's reference point.
        let mut words = Vec::with_capacity(leaves + 1);
        let mut groups = Vec::new();
        let mut group_regions = Vec::new();
        let mut cell_edges = Vec::with_capacity(by_leaf.items.len());
        let mut edge_regions = Vec::with_capacity(by_leaf.items.len());
        let mut group_edges: Vec<([f32; 4], u32)> = Vec::new();
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
                _ => words.push(to_u32(groups.len())),
            }
            let variant = u32::from(variants[leaf]);
            // In the leaf's frame, exactly as a query takes it.
            let reference = REFERENCES[variant as usize];
            let last_group = (reaching.len() - 1) / GROUP_REGIONS;
            for (g, members) in reaching.chunks(GROUP_REGIONS).enumerate() {
                let mut inside = 0u32;
                group_edges.clear();
                for (n, &item) in members.iter().enumerate() {
                    let (r, centre_inside) = (item >> 1, item & 1 == 1);
                    inside |= u32::from(centre_inside) << n;
                    let edges = numbers.range(r);
                    let first = list.partition_point(|&number| number < edges.start);
                    let last = list.partition_point(|&number| number < edges.end);
                    let region = &self.regions[r as usize];
                    group_edges.extend(list[first..last].iter().map(|&number| {
                        let i = number - edges.start;
                        let (a, b) = (region.points[i as usize], region.points[i as usize + 1]);
                        let (a, b) = (self.coarse.leaf_units(at, a), self.coarse.leaf_units(at, b));
                        (relative_f32(a, b, reference), 1 << n)
                    }));
                }
                let edges_start = to_u32(cell_edges.len());
                let edges = merge_shared(&mut group_edges);
                if edges > EDGES_LEN as usize || groups.len() >= WHOLLY as usize {
                    return Err(IndexError::TooLarge(edges));
                }
                for &(edge, regions) in &group_edges[..edges] {
                    cell_edges.push(edge);
                    edge_regions.push(regions);
                }
                let mut meta = to_u32(edges) | variant << VARIANT_SHIFT;
                if g == last_group {
                    meta |= LAST;
                }
                groups.push(LeafGroup {
                    edges_start,
                    regions_start: to_u32(group_regions.len()),
                    inside,
                    meta,
                });
                group_regions.extend(members.iter().map(|item| item >> 1));
            }
        }
        // Every position off the grid reads this leaf.
        words.push(NOTHING);
        if cell_edges.len() >= u32::MAX as usize || group_regions.len() >= u32::MAX as usize {
            return Err(IndexError::TooLarge(cell_edges.len()));
        }
        groups.shrink_to_fit();
        group_regions.shrink_to_fit();
        cell_edges.shrink_to_fit();
        edge_regions.shrink_to_fit();
        self.leaves = words;
        self.groups = groups;
        self.group_regions = group_regions;
        self.cell_edges = cell_edges;
        self.edge_regions = edge_regions;
        Ok(())
    }

    /// Per leaf, the first of [`REFERENCES`] that lies clearly off every edge in the leaf (far
    /// enough that rounding the edge to `f32` cannot move it across): variant 0 almost always.
    fn reference_variants(&self, by_leaf: &EdgeLists, numbers: &EdgeNumbers) -> Vec<u8> {
        let mut variants = vec![0u8; by_leaf.start.len() - 1];
        for at in self.every_leaf() {
            let list = by_leaf.of(at.leaf);
            if list.is_empty() {
                continue;
            }
            let clear = |variant: usize| {
                let reference = self.coarse.reference(at, variant);
                numbers.resolve(list).all(|(r, i)| {
                    let region = &self.regions[r];
                    clearly_off(region.points[i], region.points[i + 1], reference)
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
    fn coarse_edge_lists(&self, numbers: &EdgeNumbers) -> Result<EdgeLists, IndexError> {
        let coarse = self.coarse;
        let for_each_incidence = |visit: &mut dyn FnMut(usize, u32)| {
            for (r, region) in self.regions.iter().enumerate() {
                for chunk in &region.chunks {
                    for i in chunk.start..chunk.end {
                        let (a, b) = (region.points[i as usize], region.points[i as usize + 1]);
                        let (x0, x1, y0, y1) = coarse.span(segment_bbox(a, b));
                        for row in y0..=y1 {
                            for column in x0..=x1 {
                                visit(row * coarse.nx + column, numbers.number(r, i));
                            }
                        }
                    }
                }
            }
        };
        let mut start = vec![0u32; coarse.nx * coarse.ny + 1];
        let mut total = 0usize;
        for_each_incidence(&mut |cell, _| {
            start[cell + 1] = start[cell + 1].wrapping_add(1);
            total += 1;
        });
        // Past this the 32-bit counts above wrapped; nothing below may use them.
        if total >= u32::MAX as usize {
            return Err(IndexError::TooLarge(total));
        }
        for c in 1..start.len() {
            start[c] += start[c - 1];
        }
        let mut items = vec![0; start[start.len() - 1] as usize];
        let mut next = start.clone();
        for_each_incidence(&mut |cell, n| {
            items[next[cell] as usize] = n;
            next[cell] += 1;
        });
        Ok(EdgeLists { start, items })
    }

    /// The coarse lists distributed to leaves (split cells' edges to every fine cell their
    /// bounding boxes touch), in region order within each leaf.
    fn leaf_edge_lists(
        &self,
        by_coarse: &EdgeLists,
        numbers: &EdgeNumbers,
        leaves: usize,
    ) -> Result<EdgeLists, IndexError> {
        let mut start = Vec::with_capacity(leaves + 1);
        let mut items = Vec::with_capacity(by_coarse.items.len() * 2);
        let mut fine: Vec<Vec<u32>> = Vec::new();
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
            for (&n, (r, i)) in list.iter().zip(numbers.resolve(list)) {
                let region = &self.regions[r];
                let (a, b) = (region.points[i], region.points[i + 1]);
                let (x0, x1, y0, y1) = coarse.fine_span(segment_bbox(a, b), column, row, k);
                for fine_row in y0..=y1 {
                    for fine_column in x0..=x1 {
                        fine[fine_row * k + fine_column].push(n);
                    }
                }
            }
            for leaf in &mut fine[..k * k] {
                start.push(to_u32(items.len()));
                items.append(leaf);
            }
        }
        start.push(to_u32(items.len()));
        if items.len() >= u32::MAX as usize {
            return Err(IndexError::TooLarge(items.len()));
        }
        Ok(EdgeLists { start, items })
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

/// Edge `a`–`b` relative to `reference`, in `f32`, from its lesser end (by `x`, then `y`) to the
/// other, so that neighbours' copies of a shared edge are equal to the bit.
#[allow(clippy::cast_possible_truncation)]
fn relative_f32(a: [f64; 2], b: [f64; 2], reference: [f64; 2]) -> [f32; 4] {
    let (a, b) = if (a[0], a[1]) <= (b[0], b[1]) {
        (a, b)
    } else {
        (b, a)
    };
    [
        (a[0] - reference[0]) as f32,
        (a[1] - reference[1]) as f32,
        (b[0] - reference[0]) as f32,
        (b[1] - reference[1]) as f32,
    ]
}

/// Merges equal edges of a group, sorting them: an edge's regions are the XOR of its copies'
/// (two neighbours share it; a region that runs along it twice crosses it twice, which is not at
/// all), and an edge left with no region is dropped. Returns how many edges remain at the front.
fn merge_shared(edges: &mut [([f32; 4], u32)]) -> usize {
    let key = |e: &[f32; 4]| e.map(f32::to_bits);
    edges.sort_unstable_by_key(|(e, _)| key(e));
    let mut kept = 0;
    for i in 0..edges.len() {
        let (edge, regions) = edges[i];
        if kept > 0 && key(&edges[kept - 1].0) == key(&edge) {
            edges[kept - 1].1 ^= regions;
            if edges[kept - 1].1 == 0 {
                kept -= 1;
            }
        } else {
            edges[kept] = (edge, regions);
            kept += 1;
        }
    }
    kept
}

/// Whether `p` lies farther from segment `a`–`b` than rounding the segment (relative to `p`) to
/// `f32` can move it, with a margin of 16: about 2⁻²⁰ of the segment's farthest coordinate.
fn clearly_off(a: [f64; 2], b: [f64; 2], p: [f64; 2]) -> bool {
    let (ax, ay, bx, by) = (a[0] - p[0], a[1] - p[1], b[0] - p[0], b[1] - p[1]);
    let scale = ax.abs().max(ay.abs()).max(bx.abs()).max(by.abs());
    let (distance_sq, _) = crate::metric::origin_segment_sq((ax, ay), (bx, by));
    distance_sq.sqrt() > scale * f64::powi(2.0, -20)
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
pub(super) fn coarse_grid(regions: &[Region], cell_degrees: Option<f64>) -> Grid {
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
    // At most MAX_COARSE_CELLS cells, also when the data is a line (no area).
    let smallest = (width * height / MAX_COARSE_CELLS as f64)
        .sqrt()
        .max(width.max(height) / MAX_COARSE_CELLS as f64)
        .max(1e-9);
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
    // The same arithmetic as `Grid::unit_x`, so the data's east and north edges fall short of the
    // last column and row.
    let along = |extent: f64| {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = (extent * (1.0 / cell)).floor() as usize + 1;
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

pub(super) fn region_from(input: RegionInput) -> Result<Region, IndexError> {
    let mut points = Vec::new();
    let mut chunks = Vec::new();
    let mut bbox = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for ring in input.polygons.iter().flatten() {
        #[allow(clippy::float_cmp)]
        if ring.len() < 4
            || ring.iter().flatten().any(|v| !v.is_finite())
            || ring.first() != ring.last()
        {
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
