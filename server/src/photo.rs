//! What a received photo holds: its real type, its EXIF (kamadak-exif), its pixels decoded under
//! limits (a decompression bomb is refused, not decoded), an orientation-corrected thumbnail, and a
//! perceptual hash.

use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, ImageReader, Limits};
use serde::Serialize;

/// The file types accepted, recognised by their first bytes, not by what the client says.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        Some("image/webp")
    } else if head.len() >= 12
        && &head[4..8] == b"ftyp"
        && matches!(
            &head[8..12],
            b"heic" | b"heix" | b"mif1" | b"msf1" | b"hevc"
        )
    {
        Some("image/heic")
    } else {
        None
    }
}

/// EXIF fields the checks use.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ExifSummary {
    /// Degrees, from GPSLatitude/GPSLongitude and their references.
    pub gps_lat: Option<f64>,
    pub gps_lon: Option<f64>,
    /// DateTimeOriginal as written (`2008:10:22 16:28:39`), and its offset (`+07:00`) if given.
    pub taken_at: Option<String>,
    pub offset: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    /// EXIF orientation 1–8.
    pub orientation: Option<u32>,
}

/// Reads the EXIF of a file; `Err` carries why it could not (the photo is kept all the same).
pub fn read_exif(path: &Path) -> Result<Option<ExifSummary>, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut reader = std::io::BufReader::new(file);
    let exif = match exif::Reader::new().read_from_container(&mut reader) {
        Ok(exif) => exif,
        Err(exif::Error::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let text = |tag| {
        exif.get_field(tag, exif::In::PRIMARY)
            .map(|f| {
                f.display_value()
                    .to_string()
                    .trim_matches('"')
                    .trim()
                    .to_owned()
            })
            .filter(|s| !s.is_empty())
    };
    let coordinate = |tag, reference, negative: &str| -> Option<f64> {
        let field = exif.get_field(tag, exif::In::PRIMARY)?;
        let exif::Value::Rational(parts) = &field.value else {
            return None;
        };
        let [d, m, s] = parts.as_slice() else {
            return None;
        };
        let value = d.to_f64() + m.to_f64() / 60.0 + s.to_f64() / 3600.0;
        let sign = if text(reference).is_some_and(|r| r.starts_with(negative)) {
            -1.0
        } else {
            1.0
        };
        value.is_finite().then_some(sign * value)
    };
    Ok(Some(ExifSummary {
        gps_lat: coordinate(exif::Tag::GPSLatitude, exif::Tag::GPSLatitudeRef, "S"),
        gps_lon: coordinate(exif::Tag::GPSLongitude, exif::Tag::GPSLongitudeRef, "W"),
        taken_at: exif
            .get_field(exif::Tag::DateTimeOriginal, exif::In::PRIMARY)
            .and_then(|f| match &f.value {
                exif::Value::Ascii(v) => v
                    .first()
                    .map(|b| String::from_utf8_lossy(b).trim().to_owned()),
                _ => None,
            }),
        offset: text(exif::Tag::OffsetTimeOriginal),
        make: text(exif::Tag::Make),
        model: text(exif::Tag::Model),
        orientation: exif
            .get_field(exif::Tag::Orientation, exif::In::PRIMARY)
            .and_then(|f| f.value.get_uint(0)),
    }))
}

/// Why pixels could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error(
        "the picture is larger than {0} megapixels or needs more memory than allowed: refused, not decoded"
    )]
    TooLarge(u32),
    #[error("the picture cannot be decoded: {0}")]
    Corrupt(String),
}

/// At most 50 megapixels and 256 MB while decoding.
const MAX_SIDE: u32 = 12_000;
const MAX_MEGAPIXELS: u32 = 50;
const MAX_ALLOC: u64 = 256 * 1024 * 1024;

fn limited_reader(
    path: &Path,
) -> Result<ImageReader<std::io::BufReader<std::fs::File>>, DecodeError> {
    let mut reader = ImageReader::open(path)
        .map_err(|e| DecodeError::Corrupt(e.to_string()))?
        .with_guessed_format()
        .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    Ok(reader)
}

/// Decodes a file's pixels within the limits: the header is read first, and a picture too large is
/// refused before any pixel is decoded.
pub fn decode(path: &Path) -> Result<DynamicImage, DecodeError> {
    let (width, height) = limited_reader(path)?.into_dimensions().map_err(classify)?;
    if u64::from(width) * u64::from(height) > u64::from(MAX_MEGAPIXELS) * 1_000_000 {
        return Err(DecodeError::TooLarge(MAX_MEGAPIXELS));
    }
    limited_reader(path)?.decode().map_err(classify)
}

fn classify(e: image::ImageError) -> DecodeError {
    match e {
        image::ImageError::Limits(_) => DecodeError::TooLarge(MAX_MEGAPIXELS),
        other => DecodeError::Corrupt(other.to_string()),
    }
}

/// The picture turned upright according to its EXIF orientation (1–8).
pub fn upright(image: DynamicImage, orientation: Option<u32>) -> DynamicImage {
    match orientation {
        Some(2) => image.fliph(),
        Some(3) => image.rotate180(),
        Some(4) => image.flipv(),
        Some(5) => image.rotate90().fliph(),
        Some(6) => image.rotate90(),
        Some(7) => image.rotate270().fliph(),
        Some(8) => image.rotate270(),
        _ => image,
    }
}

/// A JPEG thumbnail at most 320 pixels on its longer side.
pub fn thumbnail_jpeg(image: &DynamicImage) -> Result<Vec<u8>, String> {
    let thumb = image.thumbnail(320, 320).to_rgb8();
    let mut out = Cursor::new(Vec::new());
    thumb
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

/// The 64-bit difference hash: 9x8 greyscale, one bit per horizontal neighbour comparison. Close
/// pictures (re-encoded, resized) differ in few bits.
pub fn dhash(image: &DynamicImage) -> u64 {
    let small = image
        .resize_exact(9, 8, image::imageops::FilterType::Triangle)
        .to_luma8();
    let mut hash = 0u64;
    for y in 0..8 {
        for x in 0..8 {
            hash = (hash << 1) | u64::from(small.get_pixel(x, y)[0] > small.get_pixel(x + 1, y)[0]);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_real_image_signatures_only() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE1]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0"), Some("image/heic"));
        assert_eq!(sniff(b"%PDF-1.7"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn dhash_is_stable_under_resizing() {
        let mut img = image::RgbImage::new(64, 48);
        for (x, y, p) in img.enumerate_pixels_mut() {
            #[allow(clippy::cast_possible_truncation)]
            let v = ((x * 4 + y * 2) % 256) as u8;
            *p = image::Rgb([v, v, 255 - v]);
        }
        let a = DynamicImage::ImageRgb8(img);
        let b = a.resize_exact(128, 96, image::imageops::FilterType::Lanczos3);
        assert!((dhash(&a) ^ dhash(&b)).count_ones() <= 4);
    }
}
