//! Web-Mercator tile arithmetic, the XYZ scheme of OpenStreetMap-style tile servers: which tiles
//! cover an area at a zoom level. Degrees (WGS84) in, tile numbers out. MBTiles stores rows the
//! TMS way (row 0 at the south): [`tms_row`] turns one into the other.

use std::f64::consts::PI;

/// The northern and southern limit of Web-Mercator tiles, in degrees of latitude.
pub const MAX_LATITUDE: f64 = 85.051_128_78;

/// The column and row (XYZ: row 0 at the north) of the tile holding a point at zoom `z`.
///
/// ```
/// // Monas, Jakarta, at zoom 15.
/// assert_eq!(geo_rules::tiles::tile_of(106.8271, -6.1754, 15), (26_107, 16_947));
/// // The whole world is one tile at zoom 0.
/// assert_eq!(geo_rules::tiles::tile_of(-179.9, 85.0, 0), (0, 0));
/// ```
pub fn tile_of(lon: f64, lat: f64, z: u8) -> (u32, u32) {
    let n = f64::from(1_u32 << z.min(30));
    let lat = lat.clamp(-MAX_LATITUDE, MAX_LATITUDE).to_radians();
    let x = ((lon.clamp(-180.0, 180.0) + 180.0) / 360.0 * n).floor();
    let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / PI) / 2.0 * n).floor();
    let last = n - 1.0;
    // Both lie in 0..n after the clamps: the casts keep them.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let tile = (x.clamp(0.0, last) as u32, y.clamp(0.0, last) as u32);
    tile
}

/// The tiles covering `bbox` (`[min_lon, min_lat, max_lon, max_lat]`, degrees) at zoom `z`, row
/// by row from the north-west.
///
/// ```
/// let bbox = [106.80, -6.19, 106.83, -6.16];
/// let tiles: Vec<(u32, u32)> = geo_rules::tiles::covering(bbox, 14).collect();
/// assert_eq!(tiles.len(), 6); // 2 columns by 3 rows
/// assert_eq!(tiles[0], (13_052, 8_472));
/// ```
pub fn covering(bbox: [f64; 4], z: u8) -> impl Iterator<Item = (u32, u32)> {
    let (x0, y0) = tile_of(bbox[0], bbox[3], z);
    let (x1, y1) = tile_of(bbox[2], bbox[1], z);
    (y0..=y1).flat_map(move |y| (x0..=x1).map(move |x| (x, y)))
}

/// How many tiles cover `bbox` at every zoom of `zooms`.
///
/// ```
/// let bbox = [106.80, -6.19, 106.83, -6.16];
/// assert_eq!(geo_rules::tiles::count(bbox, 14..=15), 6 + 12);
/// ```
pub fn count(bbox: [f64; 4], zooms: std::ops::RangeInclusive<u8>) -> u64 {
    zooms
        .map(|z| {
            let (x0, y0) = tile_of(bbox[0], bbox[3], z);
            let (x1, y1) = tile_of(bbox[2], bbox[1], z);
            u64::from(x1 - x0 + 1) * u64::from(y1 - y0 + 1)
        })
        .sum()
}

/// The TMS row (MBTiles: row 0 at the south) of XYZ row `y` at zoom `z`, and back.
///
/// ```
/// assert_eq!(geo_rules::tiles::tms_row(0, 1), 1);
/// assert_eq!(geo_rules::tiles::tms_row(16_947, 15), 15_820);
/// ```
pub fn tms_row(y: u32, z: u8) -> u32 {
    (1_u32 << z.min(30)) - 1 - y.min((1_u32 << z.min(30)) - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kecamatans_tiles_at_street_zooms_are_a_few_hundred() {
        // Gambir, Jakarta Pusat: about 3 by 3 km.
        let gambir = [106.806, -6.187, 106.834, -6.161];
        assert!(count(gambir, 14..=17) < 400, "{}", count(gambir, 14..=17));
        assert_eq!(covering(gambir, 17).count() as u64, count(gambir, 17..=17));
    }

    #[test]
    fn points_beyond_the_projection_are_clamped_onto_its_edge_tiles() {
        assert_eq!(tile_of(200.0, 89.0, 2), (3, 0));
        assert_eq!(tile_of(-200.0, -89.0, 2), (0, 3));
    }
}
