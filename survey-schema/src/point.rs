//! A WGS84 position that cannot be out of range.

use serde::{Deserialize, Serialize};

/// Why a coordinate pair is not a WGS84 position.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum Wgs84PointError {
    #[error("latitude {0} is outside -90..=90 degrees")]
    LatitudeOutOfRange(f64),
    #[error("longitude {0} is outside -180..=180 degrees")]
    LongitudeOutOfRange(f64),
    #[error("coordinate is not a finite number")]
    NotFinite,
}

/// A longitude/latitude pair in degrees (EPSG:4326), checked on construction.
///
/// ```
/// use survey_schema::Wgs84Point;
/// let monas = Wgs84Point::parse(106.8271, -6.1754).unwrap();
/// assert_eq!(monas.lat(), -6.1754);
/// assert!(Wgs84Point::parse(106.8, 91.0).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawPoint", into = "RawPoint")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Wgs84Point {
    lon: f64,
    lat: f64,
}

impl Wgs84Point {
    /// Parses a longitude and latitude in degrees.
    pub fn parse(lon: f64, lat: f64) -> Result<Self, Wgs84PointError> {
        if !lon.is_finite() || !lat.is_finite() {
            return Err(Wgs84PointError::NotFinite);
        }
        if !(-90.0..=90.0).contains(&lat) {
            return Err(Wgs84PointError::LatitudeOutOfRange(lat));
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(Wgs84PointError::LongitudeOutOfRange(lon));
        }
        Ok(Self { lon, lat })
    }

    /// Longitude in degrees east.
    pub fn lon(self) -> f64 {
        self.lon
    }

    /// Latitude in degrees north.
    pub fn lat(self) -> f64 {
        self.lat
    }
}

/// The wire form of [`Wgs84Point`]: `{"lat": .., "lon": ..}` in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RawPoint {
    /// Latitude in degrees, -90..=90.
    pub lat: f64,
    /// Longitude in degrees, -180..=180.
    pub lon: f64,
}

impl TryFrom<RawPoint> for Wgs84Point {
    type Error = Wgs84PointError;
    fn try_from(raw: RawPoint) -> Result<Self, Self::Error> {
        Self::parse(raw.lon, raw.lat)
    }
}

impl From<Wgs84Point> for RawPoint {
    fn from(p: Wgs84Point) -> Self {
        Self {
            lat: p.lat,
            lon: p.lon,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_out_of_range_and_non_finite() {
        assert_eq!(
            Wgs84Point::parse(0.0, 91.0),
            Err(Wgs84PointError::LatitudeOutOfRange(91.0))
        );
        assert_eq!(
            Wgs84Point::parse(-180.5, 0.0),
            Err(Wgs84PointError::LongitudeOutOfRange(-180.5))
        );
        assert_eq!(
            Wgs84Point::parse(f64::NAN, 0.0),
            Err(Wgs84PointError::NotFinite)
        );
        assert!(Wgs84Point::parse(180.0, -90.0).is_ok());
    }

    #[test]
    fn deserialising_checks_range() {
        let ok: Wgs84Point = serde_json::from_str(r#"{"lat":-6.2,"lon":106.8}"#).unwrap();
        assert!((ok.lon() - 106.8).abs() < 1e-12);
        let err = serde_json::from_str::<Wgs84Point>(r#"{"lat":106.8,"lon":-6.2}"#).unwrap_err();
        assert!(err.to_string().contains("latitude 106.8"), "{err}");
    }
}
