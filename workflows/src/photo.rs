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
    let summary = read_container_exif(path);
    if summary
        .as_ref()
        .is_ok_and(|s| s.as_ref().is_some_and(|s| s.gps_lat.is_some()))
    {
        return summary;
    }
    // A HEIC may hold several images, each with its EXIF (a stereo pair, a burst), and the reader
    // takes the first it meets, not necessarily the primary image's; and it refuses an EXIF item
    // over 64 kB, which some phones write (Xiaomi: 190 kB). Of all the EXIF blocks in the file,
    // the first that has a position is taken: the pictures of one file were taken together.
    let mut head = [0u8; 16];
    let is_heic = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok()
        && sniff(&head) == Some("image/heic");
    if is_heic {
        let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
        if let Some(found) = embedded_exif_blocks(&bytes)
            .filter_map(|tiff| {
                let exif = exif::Reader::new()
                    .continue_on_error(true)
                    .read_raw(tiff.to_vec())
                    .or_else(|e| e.distill_partial_result(|_| {}))
                    .ok()?;
                Some(summarize(&exif))
            })
            .find(|s| s.gps_lat.is_some() && s.gps_lon.is_some())
        {
            return Ok(Some(found));
        }
    }
    summary
}

/// At most this many EXIF blocks of a file are read, each at most this long: a crafted file full
/// of marks costs no more than a few real ones.
const MAX_EXIF_BLOCKS: usize = 16;
const MAX_EXIF_BLOCK_BYTES: usize = 1 << 20;

/// The TIFF data of the `Exif\0\0` blocks in a file (big- or little-endian), the first
/// [`MAX_EXIF_BLOCKS`], each cut at [`MAX_EXIF_BLOCK_BYTES`].
fn embedded_exif_blocks(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    const MARK: &[u8] = b"Exif\0\0";
    let mut from = 0;
    let blocks = std::iter::from_fn(move || {
        while let Some(at) = bytes
            .get(from..)?
            .windows(MARK.len())
            .position(|w| w == MARK)
        {
            let start = from + at + MARK.len();
            from = start;
            let tiff = &bytes[start..bytes.len().min(start + MAX_EXIF_BLOCK_BYTES)];
            if tiff.starts_with(b"MM\0*") || tiff.starts_with(b"II*\0") {
                return Some(tiff);
            }
        }
        None
    });
    blocks.take(MAX_EXIF_BLOCKS)
}

/// The EXIF of a file as its container (JPEG, PNG, WebP, HEIF, TIFF) places it.
fn read_container_exif(path: &Path) -> Result<Option<ExifSummary>, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut reader = std::io::BufReader::new(file);
    // Phones write EXIF with flaws (a maker note pointing past the block, a bad count); what can
    // be read around them is kept, as other readers do.
    let exif = match exif::Reader::new()
        .continue_on_error(true)
        .read_from_container(&mut reader)
        .or_else(|e| {
            e.distill_partial_result(|errors| {
                tracing::debug!(?errors, "EXIF read in part");
            })
        }) {
        Ok(exif) => exif,
        Err(exif::Error::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    Ok(Some(summarize(&exif)))
}

fn summarize(exif: &exif::Exif) -> ExifSummary {
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
    let coordinate = |tag, reference| -> Option<f64> {
        let field = exif.get_field(tag, exif::In::PRIMARY)?;
        let reference = exif
            .get_field(reference, exif::In::PRIMARY)
            .and_then(|f| match &f.value {
                exif::Value::Ascii(v) => v.first().and_then(|b| b.first().copied()),
                _ => None,
            });
        gps_degrees(&field.value, reference)
    };
    ExifSummary {
        gps_lat: coordinate(exif::Tag::GPSLatitude, exif::Tag::GPSLatitudeRef),
        gps_lon: coordinate(exif::Tag::GPSLongitude, exif::Tag::GPSLongitudeRef),
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
    }
}

/// Decimal degrees from an EXIF GPS coordinate: degrees, minutes and seconds as RATIONAL (what the
/// standard says) or SRATIONAL (what some phones write), and the reference's first letter (`S` or
/// `W` south or west, in either case). A negative signed value is south or west by itself, whatever
/// the reference says, so it is never flipped twice. `None` for anything else (a zero denominator,
/// a count other than 1–3).
///
/// ```
/// use exif::{Rational, SRational, Value};
/// use tinjau_workflows::photo::gps_degrees;
/// let r = |n, d| Rational::from((n, d));
/// let north = Value::Rational(vec![r(6, 1), r(10, 1), r(3216, 100)]);
/// assert_eq!(gps_degrees(&north, Some(b's')), Some(-6.1756));
/// let signed = Value::SRational(vec![SRational::from((-6, 1)), SRational::from((-10, 1)), SRational::from((-3216, 100))]);
/// assert_eq!(gps_degrees(&signed, Some(b'S')), Some(-6.1756));
/// ```
pub fn gps_degrees(value: &exif::Value, reference: Option<u8>) -> Option<f64> {
    let parts: Vec<f64> = match value {
        exif::Value::Rational(parts) => parts.iter().map(exif::Rational::to_f64).collect(),
        exif::Value::SRational(parts) => parts.iter().map(exif::SRational::to_f64).collect(),
        _ => return None,
    };
    if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| !p.is_finite()) {
        return None;
    }
    let magnitude: f64 = parts
        .iter()
        .zip([1.0, 60.0, 3600.0])
        .map(|(part, per_degree)| part.abs() / per_degree)
        .sum();
    let negative = parts.iter().any(|p| *p < 0.0)
        || reference.is_some_and(|r| matches!(r.to_ascii_uppercase(), b'S' | b'W'));
    // Rounded to 1e-9 degrees (0.1 mm): the sum of three fractions should not show float noise.
    let degrees = (magnitude * 1e9).round() / 1e9;
    Some(if negative { -degrees } else { degrees })
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

fn limited<R: std::io::BufRead + std::io::Seek>(
    reader: ImageReader<R>,
) -> Result<ImageReader<R>, DecodeError> {
    let mut reader = reader
        .with_guessed_format()
        .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    Ok(reader)
}

fn within_limits(width: u32, height: u32) -> Result<(u32, u32), DecodeError> {
    if u64::from(width) * u64::from(height) > u64::from(MAX_MEGAPIXELS) * 1_000_000 {
        Err(DecodeError::TooLarge(MAX_MEGAPIXELS))
    } else {
        Ok((width, height))
    }
}

/// Width and height in pixels from the file's header alone; a picture over the limits (a
/// decompression bomb) or a header that does not parse is refused here, before any pixel is decoded.
pub fn dimensions(path: &Path) -> Result<(u32, u32), DecodeError> {
    let open = || {
        std::fs::File::open(path)
            .map(std::io::BufReader::new)
            .map_err(|e| DecodeError::Corrupt(e.to_string()))
    };
    let mut file = open()?;
    let mut magic = [0u8; 3];
    std::io::Read::read_exact(&mut file, &mut magic)
        .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
    if magic == [0xFF, 0xD8, 0xFF] {
        // The image crate's JPEG decoder reads the whole file to find the header; this one stops at
        // the frame header, so many uploads inspected at once do not each hold their file in memory.
        let mut decoder = jpeg_decoder::Decoder::new(open()?);
        decoder
            .read_info()
            .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
        let info = decoder
            .info()
            .ok_or_else(|| DecodeError::Corrupt("no frame header".into()))?;
        return within_limits(u32::from(info.width), u32::from(info.height));
    }
    let reader = ImageReader::new(open()?);
    let (width, height) = limited(reader)?.into_dimensions().map_err(classify)?;
    within_limits(width, height)
}

/// Decodes a file's pixels within the limits: the header is read first, and a picture too large is
/// refused before any pixel is decoded.
pub fn decode_file(path: &Path) -> Result<DynamicImage, DecodeError> {
    dimensions(path)?;
    let reader = ImageReader::open(path).map_err(|e| DecodeError::Corrupt(e.to_string()))?;
    limited(reader)?.decode().map_err(classify)
}

/// How long libheif may take over one HEIC before it is stopped.
const HEIC_TIMEOUT: std::time::Duration = std::time::Duration::from_mins(1);

/// The pixels of a HEIC (what iPhones and many Android phones write), for the thumbnail and the
/// perceptual hash. The image crate has no HEVC decoder, so libheif does it, as Debian's
/// `heif-info` and `heif-convert` (package libheif-examples, installed by `scripts/setup`): the
/// size is read from the header first and more than 50 megapixels is refused before any pixel is
/// decoded; the primary image is then converted to a JPEG in a temporary directory, under a
/// timeout, and read like any JPEG. libheif applies the HEIF rotation itself, so the EXIF
/// orientation must not be applied again. Without the tools, an honest error: the photo is kept
/// with its EXIF and flagged unreadable.
pub fn decode_heic_preview(path: &Path) -> Result<DynamicImage, DecodeError> {
    let corrupt = DecodeError::Corrupt;
    let dir = tempfile::tempdir().map_err(|e| corrupt(e.to_string()))?;
    let info = run_bounded(dir.path(), "heif-info", &[path.as_os_str()])
        .map_err(|e| corrupt(format!("HEIC is not decoded on this server ({e})")))?;
    if !info.success {
        return Err(corrupt(format!(
            "libheif cannot read this HEIC: {}",
            info.stderr.trim()
        )));
    }
    let images = heic_images(&info.stdout);
    let Some(primary) = images.iter().position(|i| i.primary) else {
        return Err(corrupt(
            "libheif finds no primary image in this HEIC".into(),
        ));
    };
    // heif-convert decodes every top-level image (a stereo pair, a burst): each must be within
    // the limits, and at most a few of them.
    for image in &images {
        within_limits(image.width, image.height)?;
    }
    if images.len() > 4 {
        return Err(corrupt(format!(
            "this HEIC holds {} images (a burst); at most 4 are decoded",
            images.len()
        )));
    }
    let out = dir.path().join("primary.jpg");
    let converted = run_bounded(
        dir.path(),
        "heif-convert",
        &[
            "-q".as_ref(),
            "90".as_ref(),
            path.as_os_str(),
            out.as_os_str(),
        ],
    )
    .map_err(|e| corrupt(format!("HEIC is not decoded on this server ({e})")))?;
    // With several images heif-convert numbers its outputs in the order heif-info lists them.
    let written = if images.len() > 1 {
        dir.path().join(format!("primary-{}.jpg", primary + 1))
    } else {
        out
    };
    if !converted.success || !written.is_file() {
        return Err(corrupt(format!(
            "libheif cannot decode this HEIC: {}",
            converted.stderr.trim()
        )));
    }
    decode_preview(&written)
}

/// A top-level image of a HEIC, as `heif-info` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HeicImage {
    width: u32,
    height: u32,
    primary: bool,
}

/// `image: 4032x3024 (id=1), primary` lines, as `heif-info` prints them.
fn heic_images(info: &str) -> Vec<HeicImage> {
    info.lines()
        .map(str::trim)
        .filter_map(|l| {
            let rest = l.strip_prefix("image: ")?;
            let (w, h) = rest.split_whitespace().next()?.split_once('x')?;
            Some(HeicImage {
                width: w.parse().ok()?,
                height: h.parse().ok()?,
                primary: rest.ends_with("primary"),
            })
        })
        .collect()
}

/// What a tool did: whether it succeeded, and what it printed (at most 64 kB of each).
#[derive(Debug)]
struct ToolRun {
    success: bool,
    stdout: String,
    stderr: String,
}

/// Memory a decoding tool may map: a 50-megapixel picture decodes in well under this.
const HEIC_TOOL_ADDRESS_SPACE: &str = "--as=3221225472";

/// Runs a libheif tool on an untrusted file: under `prlimit` (its address space bounded), its
/// output into files of `dir` (so a tool printing much never blocks on a pipe), killed after
/// [`HEIC_TIMEOUT`].
fn run_bounded(dir: &Path, tool: &str, args: &[&std::ffi::OsStr]) -> Result<ToolRun, String> {
    let out_path = dir.join(format!("{tool}.out"));
    let err_path = dir.join(format!("{tool}.err"));
    let out = std::fs::File::create(&out_path).map_err(|e| e.to_string())?;
    let err = std::fs::File::create(&err_path).map_err(|e| e.to_string())?;
    let mut command = std::process::Command::new("prlimit");
    command
        .args([HEIC_TOOL_ADDRESS_SPACE, "--"])
        .arg(tool)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(out)
        .stderr(err);
    if which(tool).is_none() {
        return Err(format!(
            "{tool} is not installed; it comes with Debian's libheif-examples"
        ));
    }
    let mut child = command
        .spawn()
        .map_err(|e| format!("{tool} could not run: {e}"))?;
    let deadline = std::time::Instant::now() + HEIC_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "{tool} took longer than {} s",
                HEIC_TIMEOUT.as_secs()
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let head = |path: &Path| {
        let mut bytes = std::fs::read(path).unwrap_or_default();
        bytes.truncate(64 * 1024);
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Ok(ToolRun {
        success: status.success(),
        stdout: head(&out_path),
        stderr: head(&err_path),
    })
}

/// The path of a program on `PATH`, if there is one.
fn which(program: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    })
}

/// The shorter side a preview decode asks for: enough for the 320-pixel thumbnail.
const PREVIEW_SIDE: u16 = 320;

/// Pixels for the thumbnail and the perceptual hash, read from the file as it streams. A JPEG is
/// decoded straight at 1/2, 1/4 or 1/8 of its size by the DCT's own scaling (jpeg-decoder), so a
/// 20-megapixel photo costs about a megapixel of memory and a fraction of the time; other formats
/// are decoded whole, under the limits.
pub fn decode_preview(path: &Path) -> Result<DynamicImage, DecodeError> {
    use jpeg_decoder::PixelFormat;
    let corrupt = |e: jpeg_decoder::Error| DecodeError::Corrupt(e.to_string());
    let (width, height) = dimensions(path)?;
    let file = std::fs::File::open(path).map_err(|e| DecodeError::Corrupt(e.to_string()))?;
    let mut decoder = jpeg_decoder::Decoder::new(std::io::BufReader::new(file));
    let is_jpeg = decoder.read_info().is_ok();
    let format = decoder.info().map(|i| i.pixel_format);
    if !is_jpeg || !matches!(format, Some(PixelFormat::RGB24 | PixelFormat::L8)) {
        // Not a JPEG, or CMYK / 16-bit grey (not what phones write): the general decoder.
        return decode_file(path);
    }
    let (scaled_width, scaled_height) =
        decoder.scale(PREVIEW_SIDE, PREVIEW_SIDE).map_err(corrupt)?;
    decoder.set_max_decoding_buffer_size(usize::try_from(MAX_ALLOC).unwrap_or(usize::MAX));
    let pixels = decoder.decode().map_err(corrupt)?;
    let (w, h) = (u32::from(scaled_width), u32::from(scaled_height));
    debug_assert!(w <= width && h <= height);
    let picture = match format {
        Some(PixelFormat::L8) => {
            image::GrayImage::from_raw(w, h, pixels).map(DynamicImage::ImageLuma8)
        }
        _ => image::RgbImage::from_raw(w, h, pixels).map(DynamicImage::ImageRgb8),
    };
    picture
        .ok_or_else(|| DecodeError::Corrupt("decoded fewer pixels than the header declares".into()))
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
    fn the_primary_size_is_read_from_heif_info() {
        let info = "MIME type: image/heic\nimage: 2560x2560 (id=26), primary\n  alpha channel: no\nimage: 640x480 (id=52)\n";
        let images = heic_images(info);
        assert_eq!(
            images,
            [
                HeicImage {
                    width: 2560,
                    height: 2560,
                    primary: true
                },
                HeicImage {
                    width: 640,
                    height: 480,
                    primary: false
                },
            ]
        );
        assert!(heic_images("MIME type: image/heic\n").is_empty());
    }

    #[test]
    fn every_exif_block_of_a_file_is_found() {
        let mut bytes = b"ftypheic....Exif\0\0MM\0*AAAA....Exif\0\0junk..Exif\0\0II*\0BB".to_vec();
        bytes.extend_from_slice(b"tail");
        let blocks: Vec<&[u8]> = embedded_exif_blocks(&bytes).collect();
        assert_eq!(blocks.len(), 2);
        let crafted = b"Exif\0\0MM\0*".repeat(1000);
        assert_eq!(
            embedded_exif_blocks(&crafted).count(),
            MAX_EXIF_BLOCKS,
            "bounded"
        );
        assert!(blocks[0].starts_with(b"MM\0*AAAA"));
        assert!(blocks[1].starts_with(b"II*\0BB"));
    }

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
    fn a_cut_off_jpeg_shows_its_size_but_its_pixels_are_refused() {
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../data/photos/DSCN0012.jpg"
        ))
        .unwrap();
        let dir = std::env::temp_dir().join(format!("tinjau-photo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (whole, cut) = (dir.join("whole.jpg"), dir.join("cut.jpg"));
        std::fs::write(&whole, &bytes).unwrap();
        std::fs::write(&cut, &bytes[..bytes.len() * 6 / 10]).unwrap();
        assert_eq!(dimensions(&cut), Ok((640, 480)));
        assert!(matches!(decode_preview(&cut), Err(DecodeError::Corrupt(_))));
        let preview = decode_preview(&whole).unwrap();
        assert_eq!(
            (preview.width(), preview.height()),
            (320, 240),
            "decoded at half size, enough for a 320-pixel thumbnail"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A TIFF holding only a GPS IFD, written by kamadak-exif's own writer.
    fn gps_tiff(
        latitude: exif::Value,
        lat_ref: &[u8],
        longitude: exif::Value,
        lon_ref: &[u8],
    ) -> Vec<u8> {
        let field = |tag, value| exif::Field {
            tag,
            ifd_num: exif::In::PRIMARY,
            value,
        };
        let fields = [
            field(
                exif::Tag::GPSLatitudeRef,
                exif::Value::Ascii(vec![lat_ref.to_vec()]),
            ),
            field(exif::Tag::GPSLatitude, latitude),
            field(
                exif::Tag::GPSLongitudeRef,
                exif::Value::Ascii(vec![lon_ref.to_vec()]),
            ),
            field(exif::Tag::GPSLongitude, longitude),
        ];
        let mut writer = exif::experimental::Writer::new();
        for f in &fields {
            writer.push_field(f);
        }
        let mut out = Cursor::new(Vec::new());
        writer.write(&mut out, false).unwrap();
        out.into_inner()
    }

    fn read(bytes: &[u8]) -> ExifSummary {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), bytes).unwrap();
        read_exif(file.path()).unwrap().unwrap()
    }

    #[test]
    fn gps_is_read_from_unsigned_and_signed_rationals_and_lower_case_references() {
        let unsigned =
            |d, m, s| exif::Value::Rational(vec![(d, 1).into(), (m, 1).into(), (s, 100).into()]);
        let signed =
            |d, m, s| exif::Value::SRational(vec![(d, 1).into(), (m, 1).into(), (s, 100).into()]);
        // Monas, Jakarta: 6°10'31.41" S, 106°49'37.75" E.
        let (lat, lon) = (
            -(6.0 + 10.0 / 60.0 + 31.41 / 3600.0),
            106.0 + 49.0 / 60.0 + 37.75 / 3600.0,
        );
        let close = |s: &ExifSummary| {
            (s.gps_lat.unwrap() - lat).abs() < 1e-9 && (s.gps_lon.unwrap() - lon).abs() < 1e-9
        };
        let cases = [
            (
                "RATIONAL, S/E",
                gps_tiff(unsigned(6, 10, 3141), b"S", unsigned(106, 49, 3775), b"E"),
            ),
            (
                "SRATIONAL, S/E",
                gps_tiff(signed(6, 10, 3141), b"S", signed(106, 49, 3775), b"E"),
            ),
            (
                "SRATIONAL, s/e",
                gps_tiff(signed(6, 10, 3141), b"s", signed(106, 49, 3775), b"e"),
            ),
            (
                "RATIONAL, s/e",
                gps_tiff(unsigned(6, 10, 3141), b"s", unsigned(106, 49, 3775), b"e"),
            ),
            (
                "SRATIONAL negative, S",
                gps_tiff(signed(-6, -10, -3141), b"S", signed(106, 49, 3775), b"E"),
            ),
            (
                "SRATIONAL negative, no reference",
                gps_tiff(signed(-6, -10, -3141), b"", signed(106, 49, 3775), b""),
            ),
        ];
        for (case, bytes) in cases {
            let summary = read(&bytes);
            assert!(close(&summary), "{case}: {summary:?}");
        }
        let west = read(&gps_tiff(
            signed(6, 10, 3141),
            b"n",
            signed(106, 49, 3775),
            b"w",
        ));
        assert!(
            west.gps_lat.unwrap() > 0.0 && west.gps_lon.unwrap() < 0.0,
            "{west:?}"
        );
    }

    #[test]
    fn a_gps_coordinate_that_is_not_a_number_is_no_position() {
        let zero = exif::Value::Rational(vec![(6, 0).into(), (10, 1).into(), (0, 1).into()]);
        let text = exif::Value::Ascii(vec![b"6.17".to_vec()]);
        let fine = exif::Value::Rational(vec![(106, 1).into()]);
        assert_eq!(gps_degrees(&zero, Some(b'S')), None);
        assert_eq!(gps_degrees(&text, Some(b'S')), None);
        assert_eq!(gps_degrees(&fine, Some(b'E')), Some(106.0));
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
