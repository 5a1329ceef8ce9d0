//! What builds and measures Tinjau but does not ship in it: SYNTHETIC demo data (`demo`,
//! `demo_trilateral`), the benchmarks (`bench*`) and the load generator (`load`). The `tinjau-dev`
//! binary runs them; the production `tinjau` binary does not depend on this crate.

pub mod bench;
pub mod bench_recheck;
pub mod bench_review;
pub mod bench_trilateral;
pub mod demo;
pub mod demo_trilateral;
pub mod heldout_renja;
pub mod load;
