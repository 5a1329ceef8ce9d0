//! Tinjau's rules, as pure functions over plain data: no files, sockets or databases here.
//!
//! Every distance is in metres and every coordinate in WGS84 degrees (longitude, latitude).

pub mod boundary_file;
pub mod boundary_index;
pub mod location;
pub mod metric;
pub mod point_file;
pub mod proposal_rules;
pub mod survey_rules;
pub mod text;
pub mod tiles;
pub mod trilateral;
pub mod units;

pub use boundary_file::{
    AxisOrder, BoundaryFeature, BoundaryFileError, FeatureProblem, INDONESIA_EXTENT,
    parse_boundary_file,
};
pub use boundary_index::{BoundaryIndex, IndexError, Region, RegionInput};
pub use location::{LocateConfig, LocateError, LocationStatus, LocationVerdict};
pub use point_file::{PointFileError, PointFileOptions, annotate_points};
