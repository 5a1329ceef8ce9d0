//! What ODK Collect downloads: the form list, the form (the XForm pyxform made of the repository's
//! XLSForm, `odk/tinjau_survei.md`), its manifest and the surveyor's own `proposals.csv`. The XML
//! shapes are Central's (`lib/formats/openrosa.js`), which Collect parses strictly.

use std::fmt::Write as _;
use std::sync::LazyLock;

use md5::{Digest, Md5};

use crate::db::field_work::AssignmentRow;

/// The form's id (its `form_id` setting and the instance's root `id`).
pub const FORM_ID: &str = "tinjau_survei";
/// The media file with the surveyor's assignments (the searchable list, and what the form looks
/// proposals up in).
pub const PROPOSALS_CSV: &str = "proposals.csv";
/// The same proposals that have a pin, as points to tap on Collect's map.
pub const PROPOSALS_GEOJSON: &str = "usulan.geojson";
/// The kelurahan outlines of the surveyor's area, for the in-kelurahan hint computed on the phone.
pub const KELURAHAN_GEOJSON: &str = "kelurahan.geojson";
/// What became of the surveyor's surveys, by proposal, shown when it chooses one again.
pub const SURVEYS_CSV: &str = "survei_saya.csv";
/// Every media file the form uses, in the manifest's order.
pub const MEDIA: [&str; 4] = [
    PROPOSALS_CSV,
    PROPOSALS_GEOJSON,
    KELURAHAN_GEOJSON,
    SURVEYS_CSV,
];
/// The XForm as served; `scripts/odk check` proves it is what pyxform makes of the XLSForm.
pub static FORM_XML: &[u8] = include_bytes!("../../../../odk/tinjau_survei.xml");

/// The form's version and title as the XForm states them.
pub static FORM_VERSION: LazyLock<String> = LazyLock::new(|| {
    attribute_after(FORM_XML, &format!("<data id=\"{FORM_ID}\""), "version").unwrap_or_default()
});
pub static FORM_TITLE: LazyLock<String> = LazyLock::new(|| {
    let text = String::from_utf8_lossy(FORM_XML);
    text.split_once("<h:title>")
        .and_then(|(_, rest)| rest.split_once("</h:title>"))
        .map_or_else(|| FORM_ID.to_owned(), |(title, _)| title.to_owned())
});
/// MD5 of the served bytes: Collect compares it with its copy to see an update.
pub static FORM_MD5: LazyLock<String> = LazyLock::new(|| md5_hex(FORM_XML));

fn attribute_after(xml: &[u8], start: &str, attribute: &str) -> Option<String> {
    let text = std::str::from_utf8(xml).ok()?;
    let (_, rest) = text.split_once(start)?;
    let tag = rest.split_once('>')?.0;
    let (_, value) = tag.split_once(&format!("{attribute}=\""))?;
    Some(value.split_once('"')?.0.to_owned())
}

/// Lower-case hex MD5.
pub fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

/// Escapes text for an XML element or attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The OpenRosa Form List (`GET {base}/formList`): one form, with its manifest.
pub fn form_list(base: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<xforms xmlns="http://openrosa.org/xforms/xformsList">
<xform>
  <formID>{id}</formID>
  <name>{name}</name>
  <version>{version}</version>
  <hash>md5:{hash}</hash>
  <downloadUrl>{base}/forms/{id}.xml</downloadUrl>
  <manifestUrl>{base}/forms/{id}/manifest</manifestUrl>
</xform>
</xforms>
"#,
        id = FORM_ID,
        name = escape(&FORM_TITLE),
        version = escape(&FORM_VERSION),
        hash = *FORM_MD5,
        base = escape(base),
    )
}

/// The form's manifest: each media file with the MD5 of the bytes served to this surveyor, so
/// Collect downloads one again only when its content changed.
pub fn manifest(base: &str, files: &[(&str, String)]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<manifest xmlns=\"http://openrosa.org/xforms/xformsManifest\">\n",
    );
    for (file, md5) in files {
        let _ = write!(
            out,
            "<mediaFile>\n  <filename>{file}</filename>\n  <hash>md5:{md5}</hash>\n  <downloadUrl>{base}/forms/{id}/attachments/{file}</downloadUrl>\n</mediaFile>\n",
            id = FORM_ID,
            base = escape(base),
        );
    }
    out.push_str("</manifest>\n");
    out
}

/// The proposals that have a pin as a GeoJSON FeatureCollection for Collect's map selection:
/// each a Point with the proposal id as `id`, the label as `title`, the CSV's other columns as
/// properties and a `marker-color` (blue: assigned to this surveyor; red: sent back; grey: the
/// others). Strings only: JavaRosa reads properties as text.
pub fn proposals_geojson(rows: &[AssignmentRow]) -> Vec<u8> {
    let features: Vec<geojson::Feature> = rows
        .iter()
        .filter_map(|r| {
            let (lon, lat) = r.lon.zip(r.lat)?;
            let colour = if r.resurvey_reason.is_some() {
                "#b71c1c"
            } else if r.mine {
                "#1565c0"
            } else {
                "#607d8b"
            };
            let mut properties = geojson::JsonObject::new();
            for (k, v) in [
                ("title", label(r)),
                ("volume", r.volume.normalize().to_string()),
                ("satuan", satuan(r)),
                ("kelurahan", r.kelurahan_kode.to_string()),
                (
                    "kelurahan_nama",
                    r.kelurahan_nama.clone().unwrap_or_default(),
                ),
                ("ditugaskan", r.assigned_to.clone().unwrap_or_default()),
                (
                    "alasan_ulang",
                    r.resurvey_reason.clone().unwrap_or_default(),
                ),
                ("marker-color", colour.to_owned()),
            ] {
                properties.insert(k.to_owned(), serde_json::Value::String(v));
            }
            Some(geojson::Feature {
                bbox: None,
                geometry: Some(geojson::Geometry::new(geojson::GeometryValue::new_point([
                    lon, lat,
                ]))),
                id: Some(geojson::feature::Id::String(r.id.to_string())),
                properties: Some(properties),
                foreign_members: None,
            })
        })
        .collect();
    geojson::FeatureCollection {
        bbox: None,
        features,
        foreign_members: None,
    }
    .to_string()
    .into_bytes()
}

/// An OpenRosa response (`nature` is `submit_success` or `error`): the message Collect shows.
pub fn response(nature: &str, message: &str) -> String {
    format!(
        r#"<OpenRosaResponse xmlns="http://openrosa.org/http/response" items="0">
  <message nature="{nature}">{}</message>
</OpenRosaResponse>
"#,
        escape(message)
    )
}

/// The label a surveyor recognises a proposal by: its own first (★), the activity, street, RT/RW
/// and kelurahan, and a mark when the camat sent it back for another visit.
pub fn label(r: &AssignmentRow) -> String {
    let mut label = String::new();
    if r.mine {
        label.push_str("★ ");
    }
    let _ = write!(label, "#{} {}", r.id, r.usulan.trim());
    if let Some(lokasi) = r.lokasi.as_deref().filter(|l| !l.trim().is_empty()) {
        let _ = write!(label, " ({})", lokasi.trim());
    }
    if let (Some(rt), Some(rw)) = (&r.rt, &r.rw) {
        let _ = write!(label, ", RT {rt}/RW {rw}");
    }
    if let Some(nama) = &r.kelurahan_nama {
        let _ = write!(label, ", {nama}");
    }
    if r.resurvey_reason.is_some() {
        label.push_str(" — SURVEI ULANG");
    }
    label
}

/// A surveyor's assignments as the form's choice list: `name` (the proposal's id), `label`,
/// `geometry` (the map pin in ODK's `lat lon altitude accuracy`, for select-from-map and the
/// distance computed on the phone), the proposed `volume` and `satuan` (normalised), `kelurahan`
/// and its name, whom it is assigned to, and why its survey was sent back (`alasan_ulang`).
pub fn proposals_csv(rows: &[AssignmentRow]) -> Vec<u8> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [
        "name",
        "label",
        "geometry",
        "volume",
        "satuan",
        "kelurahan",
        "kelurahan_nama",
        "ditugaskan",
        "alasan_ulang",
    ];
    // Writing to a Vec cannot fail.
    let _ = out.write_record(header);
    for r in rows {
        let geometry = r
            .lat
            .zip(r.lon)
            .map(|(lat, lon)| format!("{lat} {lon} 0 0"))
            .unwrap_or_default();
        let _ = out.write_record([
            r.id.to_string(),
            label(r),
            geometry,
            r.volume.normalize().to_string(),
            satuan(r),
            r.kelurahan_kode.to_string(),
            r.kelurahan_nama.clone().unwrap_or_default(),
            r.assigned_to.clone().unwrap_or_default(),
            r.resurvey_reason.clone().unwrap_or_default(),
        ]);
    }
    out.into_inner().unwrap_or_default()
}

/// What became of the surveyor's surveys, one row per proposal (its newest survey): `name` (the
/// proposal's id), `label` (what became of it, in Indonesian with the English state in
/// parentheses, and the camat's reason), `status` (the sync API's state) and `alasan`.
pub fn surveys_csv(fates: &[survey_schema::SurveyFate]) -> Vec<u8> {
    use survey_schema::SurveyState;
    let mut newest: std::collections::BTreeMap<i64, &survey_schema::SurveyFate> =
        std::collections::BTreeMap::new();
    for f in fates {
        let keep = newest
            .get(&f.proposal_id)
            .is_none_or(|seen| (f.received_at, f.id) > (seen.received_at, seen.id));
        if keep {
            newest.insert(f.proposal_id, f);
        }
    }
    let mut out = csv::Writer::from_writer(Vec::new());
    let _ = out.write_record(["name", "label", "status", "alasan"]);
    for (proposal, f) in newest {
        let reason = f.reason.clone().unwrap_or_default();
        let state = match f.state {
            SurveyState::Received => "diterima, foto belum lengkap (received, photos pending)",
            SurveyState::Accepted => "diterima sebagai bukti (accepted)",
            SurveyState::SentBack => "dikembalikan untuk survei ulang (sent back)",
            SurveyState::Superseded => "diganti survei yang lebih baru (superseded)",
            SurveyState::Voided => "dibatalkan (voided)",
        };
        let label = if reason.is_empty() {
            state.to_owned()
        } else {
            format!("{state}: {reason}")
        };
        let _ = out.write_record([
            proposal.to_string(),
            label,
            f.state.as_str().to_owned(),
            reason,
        ]);
    }
    out.into_inner().unwrap_or_default()
}

/// The proposal's unit, normalised where it can be (`m2`), else as written.
pub fn satuan(r: &AssignmentRow) -> String {
    geo_rules::units::normalize_unit(&r.satuan_raw)
        .map_or_else(|| r.satuan_raw.clone(), |u| u.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_served_form_states_its_id_version_and_title() {
        assert!(FORM_VERSION.len() >= 8, "{}", *FORM_VERSION);
        assert!(FORM_VERSION.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(*FORM_TITLE, "Tinjau: survei lapangan");
        assert_eq!(FORM_MD5.len(), 32);
    }

    #[test]
    fn the_form_list_has_what_collect_requires_of_every_form() {
        let list = form_list("https://tinjau.example/v1/key/T/projects/31.71.01");
        let doc = roxmltree::Document::parse(&list).unwrap();
        let xform = doc.descendants().find(|n| n.has_tag_name("xform")).unwrap();
        let text = |name: &str| {
            xform
                .children()
                .find(|c| c.has_tag_name(name))
                .and_then(|c| c.text())
                .unwrap()
                .to_owned()
        };
        assert_eq!(text("formID"), FORM_ID);
        assert!(text("hash").starts_with("md5:"));
        assert_eq!(
            text("downloadUrl"),
            "https://tinjau.example/v1/key/T/projects/31.71.01/forms/tinjau_survei.xml"
        );
        assert_eq!(
            doc.root_element().tag_name().namespace(),
            Some("http://openrosa.org/xforms/xformsList")
        );
    }

    #[test]
    fn messages_are_escaped() {
        let r = response("error", "a <b> & \"c\"");
        assert!(r.contains("a &lt;b&gt; &amp; &quot;c&quot;"));
        assert!(roxmltree::Document::parse(&r).is_ok());
    }

    #[test]
    fn the_csv_carries_the_pin_as_an_odk_geopoint_and_the_unit_normalised() {
        let row = AssignmentRow {
            id: 7,
            tahun: 2027,
            kelurahan_kode: survey_schema::WilayahKode::parse("31.71.01.1001")
                .unwrap()
                .into(),
            kelurahan_nama: Some("Gambir".into()),
            assigned_to: None,
            mine: false,
            resurvey_reason: None,
            rw: Some("02".into()),
            rt: Some("01".into()),
            usulan: "Perbaikan jalan lingkungan, \"gang\" buntu".into(),
            lokasi: Some("Jl. Kebon Kelapa".into()),
            volume: rust_decimal::Decimal::new(12050, 2),
            satuan_raw: "M2".into(),
            activity_code: Some("JALAN".into()),
            lon: Some(106.8272),
            lat: Some(-6.1754),
            change_seq: 1,
            needs_survey: true,
        };
        let csv = String::from_utf8(proposals_csv(&[row])).unwrap();
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let record = reader.records().next().unwrap().unwrap();
        assert_eq!(&record[0], "7");
        assert_eq!(
            &record[1],
            "#7 Perbaikan jalan lingkungan, \"gang\" buntu (Jl. Kebon Kelapa), RT 01/RW 02, Gambir"
        );
        assert_eq!(&record[2], "-6.1754 106.8272 0 0");
        assert_eq!(&record[3], "120.5");
        assert_eq!(&record[4], "m2");
    }
}
