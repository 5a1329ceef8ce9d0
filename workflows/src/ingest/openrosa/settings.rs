//! The settings QR code a surveyor scans in ODK Collect (or KoboCollect) to be set up: JSON,
//! zlib-deflated, then Base64 (Collect's `CompressionUtils`), as a QR code. Settings the code leaves
//! out are reset to Collect's defaults when scanned, so every one that matters is stated.

use std::io::Write as _;

use base64::Engine as _;
use serde_json::json;

/// The URL Collect is given: it appends `/formList` and `/submission` itself.
pub fn server_url(public_url: &str, token: &str, kecamatan: &str) -> String {
    format!(
        "{}/v1/key/{token}/projects/{kecamatan}",
        public_url.trim_end_matches('/')
    )
}

/// Collect's settings for a surveyor of a kecamatan: the server (the token inside the URL, so
/// nothing is typed), automatic sending on any network, forms kept exactly as the server has them
/// and checked every hour, the surveyor's name as metadata, and the server locked.
pub fn collect_settings(server_url: &str, project_name: &str, username: &str) -> serde_json::Value {
    json!({
        "general": {
            "server_url": server_url,
            "form_update_mode": "match_exactly",
            "periodic_form_updates_check": "every_one_hour",
            "autosend": "wifi_and_cellular",
            "delete_send": false,
            "constraint_behavior": "on_swipe",
            "metadata_username": username,
            "app_language": "id",
        },
        "admin": {
            "change_server": false,
            "change_form_metadata": false,
        },
        "project": {
            "name": project_name,
            "icon": "T",
            "color": "#1b5e20",
        },
    })
}

/// What the QR code holds: the settings JSON, zlib-deflated, Base64 without line breaks.
pub fn encode(settings: &serde_json::Value) -> anyhow::Result<String> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(serde_json::to_string(settings)?.as_bytes())?;
    Ok(base64::engine::general_purpose::STANDARD.encode(z.finish()?))
}

/// The QR code of `payload` (error correction L, as Central's), for a terminal.
pub fn terminal_qr(payload: &str) -> anyhow::Result<String> {
    let code = qrcode::QrCode::with_error_correction_level(payload, qrcode::EcLevel::L)?;
    Ok(code
        .render::<qrcode::render::unicode::Dense1x2>()
        .dark_color(qrcode::render::unicode::Dense1x2::Light)
        .light_color(qrcode::render::unicode::Dense1x2::Dark)
        .build())
}

/// The QR code of `payload` as a PNG file's bytes, 8 pixels a module with a 4-module quiet zone.
pub fn png_qr(payload: &str) -> anyhow::Result<Vec<u8>> {
    let code = qrcode::QrCode::with_error_correction_level(payload, qrcode::EcLevel::L)?;
    let picture = code
        .render::<image::Luma<u8>>()
        .module_dimensions(8, 8)
        .quiet_zone(true)
        .build();
    let mut out = std::io::Cursor::new(Vec::new());
    picture.write_to(&mut out, image::ImageFormat::Png)?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    #[test]
    fn the_payload_inflates_back_to_the_settings() {
        let url = server_url("https://tinjau.example/", "tjau_x", "31.71.01");
        assert_eq!(
            url,
            "https://tinjau.example/v1/key/tjau_x/projects/31.71.01"
        );
        let settings = collect_settings(&url, "Tinjau Gambir", "budi");
        let payload = encode(&settings).unwrap();
        let deflated = base64::engine::general_purpose::STANDARD
            .decode(&payload)
            .unwrap();
        let mut json = String::new();
        flate2::read::ZlibDecoder::new(deflated.as_slice())
            .read_to_string(&mut json)
            .unwrap();
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back, settings);
        assert_eq!(back["general"]["form_update_mode"], "match_exactly");
        assert!(back["admin"].is_object() && back["general"].is_object());
    }

    #[test]
    fn the_png_is_a_png() {
        let png = png_qr("hello").unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let img = image::load_from_memory(&png).unwrap();
        assert!(img.width() >= 21 * 8);
    }
}
