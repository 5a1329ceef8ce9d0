//! The grids of the index: the coarse grid over all regions and each coarse cell's split into
//! leaves, with the one arithmetic that places points and edges' bounding boxes in them.

/// Where in its cell a leaf's reference point may lie, as fractions of the cell's side: near the
/// centre, but off the round fractions that boundaries drawn on a grid (or tests' squares) pass
/// through. A leaf takes the first that lies clearly off every edge in it, so that rounding its
/// edges to `f32` never moves one across its reference point.
pub(super) const REFERENCES: [[f64; 2]; 4] = [
    [0.503_141_592_653_589_8, 0.502_718_281_828_459_1],
    [0.371_779_283_471_293_3, 0.613_104_398_120_394_5],
    [0.618_033_988_749_894_8, 0.414_213_562_373_095_1],
    [0.447_213_595_499_958, 0.327_868_852_459_016_4],
];

/// A uniform grid: `nx` × `ny` square cells of side `cell` degrees from `origin` (south-west).
#[derive(Debug, Clone, Copy)]
pub(super) struct Grid {
    pub(super) origin: [f64; 2],
    pub(super) cell: f64,
    pub(super) per_degree: f64,
    pub(super) nx: usize,
    pub(super) ny: usize,
}

impl Grid {
    pub(super) fn new(origin: [f64; 2], cell: f64, nx: usize, ny: usize) -> Self {
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
    pub(super) fn unit_x(&self, lon: f64) -> f64 {
        (lon - self.origin[0]) * self.per_degree
    }

    /// `lat` in cells from the grid's south side (not rounded).
    #[inline]
    pub(super) fn unit_y(&self, lat: f64) -> f64 {
        (lat - self.origin[1]) * self.per_degree
    }

    /// Columns and rows (inclusive, clamped to the grid) that `bbox` touches. Rounding down is
    /// monotone, so a point and an edge's bounding box that holds it agree on their cells.
    pub(super) fn span(&self, bbox: [f64; 4]) -> (usize, usize, usize, usize) {
        (
            clamp_cell(self.unit_x(bbox[0]), self.nx),
            clamp_cell(self.unit_x(bbox[2]), self.nx),
            clamp_cell(self.unit_y(bbox[1]), self.ny),
            clamp_cell(self.unit_y(bbox[3]), self.ny),
        )
    }

    /// Fine columns and rows (inclusive) of coarse cell (`column`, `row`) split `k` × `k` that
    /// `bbox` touches, clamped to the cell.
    pub(super) fn fine_span(
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

    /// `p` in leaf `at`'s frame: leaf sides east and north of its south-west corner. A query
    /// places its point with the same operations, so both agree to the last bit.
    #[inline]
    pub(super) fn leaf_units(&self, at: LeafAt, p: [f64; 2]) -> [f64; 2] {
        let k = at.k as f64;
        [
            (self.unit_x(p[0]) - at.column as f64) * k - at.fine_column as f64,
            (self.unit_y(p[1]) - at.row as f64) * k - at.fine_row as f64,
        ]
    }

    /// Reference point `variant` (see [`REFERENCES`]) of fine cell (`fine_column`, `fine_row`)
    /// of coarse cell (`column`, `row`) split `k` × `k`.
    #[inline]
    pub(super) fn reference(&self, at: LeafAt, variant: usize) -> [f64; 2] {
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
pub(super) struct LeafAt {
    pub(super) leaf: usize,
    pub(super) column: usize,
    pub(super) row: usize,
    pub(super) k: usize,
    pub(super) fine_column: usize,
    pub(super) fine_row: usize,
}

/// The fine index, 0..k, of a position `unit` cells from the grid's side within coarse cell
/// `coarse` split `k` ways; the same arithmetic for points and for edges' bounding boxes.
#[inline]
pub(super) fn fine_index(unit: f64, coarse: usize, k: usize) -> usize {
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
pub(super) struct CoarseCell {
    pub(super) first_leaf: u32,
    pub(super) k: u32,
}
