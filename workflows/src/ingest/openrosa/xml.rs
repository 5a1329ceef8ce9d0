//! A submission's XML as ODK Collect writes it, read into the survey record the JSON API takes.
//! Pure: no I/O. A DTD is refused outright (so no entity can expand), and so is anything that is not
//! the form's instance with its `meta/instanceID`.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use survey_schema::survey::{
    Feasibility, GpsFix, PhotoManifestEntry, RemeasuredVolume, SurveyRecord, Trace,
};
use tinjau_domain::Message;
use tinjau_domain::messages::Both;
use uuid::Uuid;

/// Largest XML part accepted, in bytes: a filled form is a few kilobytes, a long trace a few hundred.
pub const MAX_XML_BYTES: usize = 1 << 20;

/// The form's binary (photo) questions, in the order the survey lists its photos.
pub const PHOTO_FIELDS: [&str; 4] = ["foto1", "foto2", "foto3", "foto4"];

/// Why an XML part was refused: a message of the catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct XmlProblem(pub Message);

/// A parsed submission: its identity and its answers by question name.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    /// `meta/instanceID` without its `uuid:` prefix: the survey's id.
    pub instance_id: Uuid,
    /// `meta/deprecatedID`: the instance this edited form replaces.
    pub deprecated_id: Option<Uuid>,
    /// The root element's `id` attribute.
    pub form_id: String,
    pub form_version: Option<String>,
    answers: HashMap<String, String>,
}

fn instance_uuid(raw: &str, field: &str) -> Result<Uuid, XmlProblem> {
    let bare = raw.trim();
    let bare = bare.strip_prefix("uuid:").unwrap_or(bare);
    Uuid::parse_str(bare).map_err(|_| {
        XmlProblem(Message::InvalidInstanceId {
            field: field.to_owned(),
            raw: format!("{raw:?}"),
        })
    })
}

impl Submission {
    /// Reads a submission. Refuses a DTD, malformed XML, and an instance without a usable
    /// `meta/instanceID`.
    pub fn parse(xml: &[u8]) -> Result<Self, XmlProblem> {
        let text = std::str::from_utf8(xml).map_err(|_| XmlProblem(Message::NotUtf8 {}))?;
        let options = roxmltree::ParsingOptions {
            allow_dtd: false,
            nodes_limit: 200_000,
            ..roxmltree::ParsingOptions::default()
        };
        let doc = roxmltree::Document::parse_with_options(text, options).map_err(|e| match e {
            roxmltree::Error::DtdDetected => XmlProblem(Message::DtdNotAllowed {}),
            other => XmlProblem(Message::MalformedXml {
                detail: other.to_string(),
            }),
        })?;
        let root = doc.root_element();
        let form_id = root.attribute("id").unwrap_or_default().to_owned();
        let form_version = root.attribute("version").map(str::to_owned);
        let mut answers = HashMap::new();
        let mut instance_id = None;
        let mut deprecated_id = None;
        for node in root.children().filter(roxmltree::Node::is_element) {
            let name = node.tag_name().name();
            if name == "meta" {
                for m in node.children().filter(roxmltree::Node::is_element) {
                    let value = m.text().unwrap_or_default();
                    match m.tag_name().name() {
                        "instanceID" => instance_id = Some(instance_uuid(value, "instanceID")?),
                        "deprecatedID" if !value.trim().is_empty() => {
                            deprecated_id = Some(instance_uuid(value, "deprecatedID")?);
                        }
                        _ => {}
                    }
                }
            } else if node.children().any(|c| c.is_element()) {
                // A group: its questions are answered by their own names.
                for leaf in node
                    .descendants()
                    .filter(|d| d.is_element() && !d.children().any(|c| c.is_element()))
                {
                    answers.insert(
                        leaf.tag_name().name().to_owned(),
                        leaf.text().unwrap_or_default().trim().to_owned(),
                    );
                }
            } else {
                answers.insert(
                    name.to_owned(),
                    node.text().unwrap_or_default().trim().to_owned(),
                );
            }
        }
        let instance_id = instance_id.ok_or(XmlProblem(Message::MissingInstanceId {}))?;
        Ok(Self {
            instance_id,
            deprecated_id,
            form_id,
            form_version,
            answers,
        })
    }

    /// An answer, if given (an empty element is no answer).
    pub fn answer(&self, name: &str) -> Option<&str> {
        self.answers
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The photo files the submission names, by question, in the survey's order.
    pub fn attachments(&self) -> Result<Vec<(&'static str, String)>, XmlProblem> {
        let mut out = Vec::new();
        for field in PHOTO_FIELDS {
            if let Some(name) = self.answer(field) {
                if !is_plain_file_name(name) {
                    return Err(XmlProblem(Message::InvalidAttachmentName {
                        field: (*field).to_owned(),
                        name: format!("{name:?}"),
                    }));
                }
                out.push((field, name.to_owned()));
            }
        }
        Ok(out)
    }

    /// The proposal the survey is of.
    pub fn proposal_id(&self) -> Result<i64, XmlProblem> {
        self.answer("proposal")
            .and_then(|p| p.parse().ok())
            .ok_or(XmlProblem(Message::NoProposalNamed {}))
    }

    /// The survey record this submission stands for, with `photos` (the attachments, in order)
    /// and the survey it corrects, if any.
    pub fn to_record(
        &self,
        photos: Vec<PhotoManifestEntry>,
        supersedes: Option<Uuid>,
    ) -> Result<SurveyRecord, XmlProblem> {
        let proposal_id = self.proposal_id()?;
        let captured_at = self
            .answer("end")
            .or_else(|| self.answer("start"))
            .map(|t| parse_time(t, "end"))
            .transpose()?
            .ok_or_else(|| {
                invalid(
                    "end",
                    "missing: the form records when it was finished",
                    "kosong",
                )
            })?;
        let fix = self.answer("lokasi").ok_or_else(|| {
            invalid(
                "lokasi",
                "missing: the GPS fix is required",
                "kosong: posisi GPS wajib",
            )
        })?;
        let [lat, lon, altitude, accuracy] = geopoint(fix, "lokasi")?;
        let fix_time = self
            .answer("lokasi_waktu")
            .map(|t| parse_time(t, "lokasi_waktu"))
            .transpose()?
            .unwrap_or(captured_at);
        let trace = match self.answer("jejak") {
            Some("garis") => self
                .answer("jalur")
                .map(|t| positions(t, "jalur"))
                .transpose()?
                .map(|coordinates| Trace::LineString { coordinates }),
            Some("area") => self
                .answer("area")
                .map(|t| positions(t, "area"))
                .transpose()?
                .map(|mut ring| {
                    if ring.first() != ring.last() {
                        ring.push(ring[0]);
                    }
                    Trace::Polygon {
                        coordinates: vec![ring],
                    }
                }),
            _ => None,
        };
        let yes = |name: &str| self.answer(name) == Some("ya");
        let note = |name: &str| self.answer(name).map(str::to_owned);
        let volume = self
            .answer("volume")
            .ok_or_else(|| invalid("volume", "missing", "kosong"))?;
        let value = Decimal::from_str(volume)
            .or_else(|_| Decimal::from_scientific(volume))
            .map_err(|_| invalid("volume", "is not a number", "bukan angka"))?;
        let satuan = self
            .answer("satuan")
            .ok_or_else(|| invalid("satuan", "missing", "kosong"))?;
        Ok(SurveyRecord {
            proposal_id,
            captured_at,
            fix: GpsFix {
                lat,
                lon,
                accuracy_m: accuracy,
                altitude_m: Some(altitude).filter(|a| *a != 0.0),
                fix_time,
            },
            trace,
            address_confirmed: yes("alamat_sesuai"),
            address_note: note("alamat_catatan"),
            technical: Feasibility {
                ok: yes("teknis_layak"),
                note: note("teknis_catatan"),
            },
            administrative: Feasibility {
                ok: yes("administrasi_layak"),
                note: note("administrasi_catatan"),
            },
            volume: RemeasuredVolume {
                value: value.normalize(),
                satuan: satuan.to_owned(),
            },
            photos,
            supersedes,
            note: note("catatan"),
        })
    }
}

fn invalid(field: &str, en: &str, id: &str) -> XmlProblem {
    XmlProblem(Message::InvalidAnswer {
        field: field.to_owned(),
        problem: Both {
            id: id.to_owned(),
            en: en.to_owned(),
        },
    })
}

fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
}

/// JavaRosa writes `2026-12-03T15:10:26.844Z` or `2026-12-03T22:10:26.844+07:00`.
fn parse_time(raw: &str, field: &str) -> Result<DateTime<Utc>, XmlProblem> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| invalid(field, "is not a date and time", "bukan tanggal dan jam"))
}

/// An ODK geopoint, `lat lon altitude accuracy`: the last two may be missing (then 0).
fn geopoint(raw: &str, field: &str) -> Result<[f64; 4], XmlProblem> {
    let numbers: Vec<f64> = raw
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|_| {
            invalid(
                field,
                "is not `lat lon altitude accuracy`",
                "bukan `lat lon altitude akurasi`",
            )
        })?;
    match numbers.as_slice() {
        [lat, lon] => Ok([*lat, *lon, 0.0, 0.0]),
        [lat, lon, alt] => Ok([*lat, *lon, *alt, 0.0]),
        [lat, lon, alt, acc] => Ok([*lat, *lon, *alt, *acc]),
        _ => Err(invalid(
            field,
            "is not `lat lon altitude accuracy`",
            "bukan `lat lon altitude akurasi`",
        )),
    }
}

/// A geotrace or geoshape, points joined by `;`, as `[lon, lat]` positions.
fn positions(raw: &str, field: &str) -> Result<Vec<[f64; 2]>, XmlProblem> {
    raw.split(';')
        .filter(|p| !p.trim().is_empty())
        .map(|p| geopoint(p, field).map(|[lat, lon, _, _]| [lon, lat]))
        .collect()
}

#[cfg(test)]
// The numbers are parsed from decimal text and compared with the same literals: exact.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

    const FILLED: &str = r#"<?xml version='1.0' encoding='UTF-8' ?><data id="tinjau_survei" version="2026120301" xmlns:jr="http://openrosa.org/javarosa"><start>2026-12-03T15:10:26.592Z</start><end>2026-12-03T15:10:26.844Z</end><proposal>101</proposal><proposal_geom>-6.1754 106.8272 0 0</proposal_geom><lokasi>-6.176 106.8272 10.0 4.5</lokasi><lokasi_waktu>2026-12-03T22:10:26.699+07:00</lokasi_waktu><jarak_m>67</jarak_m><jejak>garis</jejak><jalur>-6.176 106.8272 0.0 5.0; -6.177 106.8272 0.0 5.0</jalur><area /><alamat_sesuai>ya</alamat_sesuai><teknis_layak>ya</teknis_layak><teknis_catatan /><administrasi_layak>tidak</administrasi_layak><administrasi_catatan>Lahan milik swasta</administrasi_catatan><volume>115.50</volume><satuan>m</satuan><foto1>1732400000001.jpg</foto1><foto2>1732400000002.jpg</foto2><foto3 /><foto4 /><catatan>Semua baik</catatan><meta><instanceID>uuid:85585e65-0dbc-434f-a6e3-82dac76ad3f2</instanceID><instanceName>Usulan 101</instanceName></meta></data>"#;

    fn photo(n: u8) -> PhotoManifestEntry {
        PhotoManifestEntry {
            sha256: format!("{n:02x}").repeat(32),
            bytes: 1000,
            content_type: "image/jpeg".into(),
            caption: None,
        }
    }

    #[test]
    fn a_filled_form_reads_as_the_survey_record() {
        let s = Submission::parse(FILLED.as_bytes()).unwrap();
        assert_eq!(
            s.instance_id.to_string(),
            "85585e65-0dbc-434f-a6e3-82dac76ad3f2"
        );
        assert_eq!(s.form_id, "tinjau_survei");
        assert_eq!(s.form_version.as_deref(), Some("2026120301"));
        assert_eq!(
            s.attachments().unwrap(),
            vec![
                ("foto1", "1732400000001.jpg".to_owned()),
                ("foto2", "1732400000002.jpg".to_owned())
            ]
        );
        let r = s.to_record(vec![photo(1), photo(2)], None).unwrap();
        assert_eq!(r.proposal_id, 101);
        assert_eq!(r.fix.lat, -6.176);
        assert_eq!(r.fix.lon, 106.8272);
        assert_eq!(r.fix.accuracy_m, 4.5);
        assert_eq!(r.fix.altitude_m, Some(10.0));
        assert_eq!(r.fix.fix_time.to_rfc3339(), "2026-12-03T15:10:26.699+00:00");
        assert_eq!(
            r.trace,
            Some(Trace::LineString {
                coordinates: vec![[106.8272, -6.176], [106.8272, -6.177]]
            })
        );
        assert!(r.address_confirmed && r.technical.ok && !r.administrative.ok);
        assert_eq!(r.administrative.note.as_deref(), Some("Lahan milik swasta"));
        assert_eq!(r.technical.note, None);
        assert_eq!(r.volume.value.to_string(), "115.5");
        assert_eq!(r.volume.satuan, "m");
        assert_eq!(r.note.as_deref(), Some("Semua baik"));
        assert_eq!(r.photos.len(), 2);
        assert!(r.problems().is_empty(), "{:?}", r.problems());
    }

    #[test]
    fn an_area_is_closed_and_a_deprecated_id_is_read() {
        let xml = FILLED
            .replace("<jejak>garis</jejak>", "<jejak>area</jejak>")
            .replace(
                "<area />",
                "<area>-6.1 106.8 0 0;-6.1 106.9 0 0;-6.2 106.9 0 0</area>",
            )
            .replace(
                "</instanceID>",
                "</instanceID><deprecatedID>uuid:00000000-0000-4000-8000-000000000001</deprecatedID>",
            );
        let s = Submission::parse(xml.as_bytes()).unwrap();
        assert_eq!(
            s.deprecated_id.unwrap().to_string(),
            "00000000-0000-4000-8000-000000000001"
        );
        let r = s.to_record(vec![], None).unwrap();
        let Some(Trace::Polygon { coordinates }) = r.trace else {
            panic!("no area")
        };
        assert_eq!(coordinates[0].len(), 4);
        assert_eq!(coordinates[0][0], coordinates[0][3]);
    }

    #[test]
    fn a_dtd_is_refused_so_no_entity_can_expand() {
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><data id="tinjau_survei"><catatan>&lol2;</catatan><meta><instanceID>uuid:85585e65-0dbc-434f-a6e3-82dac76ad3f2</instanceID></meta></data>"#;
        assert_eq!(
            Submission::parse(bomb.as_bytes()).unwrap_err().0.code(),
            "dtd_not_allowed"
        );
    }

    #[test]
    fn malformed_xml_and_a_missing_instance_id_are_refused() {
        assert_eq!(
            Submission::parse(b"<data id=\"x\"><proposal>1</data>")
                .unwrap_err()
                .0
                .code(),
            "malformed_xml"
        );
        assert_eq!(
            Submission::parse(b"<data id=\"x\"><proposal>1</proposal></data>")
                .unwrap_err()
                .0
                .code(),
            "missing_instance_id"
        );
        assert_eq!(
            Submission::parse(
                b"<data><meta><instanceID>uuid:not-a-uuid</instanceID></meta></data>"
            )
            .unwrap_err()
            .0
            .code(),
            "invalid_instance_id"
        );
        assert_eq!(
            Submission::parse(b"\xff\xfe<data/>").unwrap_err().0.code(),
            "malformed_xml"
        );
    }

    #[test]
    fn a_photo_answer_with_a_path_is_refused() {
        let xml = FILLED.replace("1732400000001.jpg", "../../etc/passwd");
        let s = Submission::parse(xml.as_bytes()).unwrap();
        assert_eq!(
            s.attachments().unwrap_err().0.code(),
            "invalid_attachment_name"
        );
    }

    #[test]
    fn a_geopoint_that_is_no_geopoint_is_refused_by_name() {
        let xml = FILLED.replace("-6.176 106.8272 10.0 4.5", "di depan masjid");
        let s = Submission::parse(xml.as_bytes()).unwrap();
        let e = s.to_record(vec![], None).unwrap_err();
        assert_eq!(e.0.code(), "invalid_survey");
        assert!(e.0.en().contains("lokasi"), "{}", e.0.en());
    }

    #[test]
    fn a_mock_location_keeps_its_zero_accuracy() {
        let xml = FILLED.replace("-6.176 106.8272 10.0 4.5", "-6.176 106.8272 0.0 0.0");
        let r = Submission::parse(xml.as_bytes())
            .unwrap()
            .to_record(vec![], None)
            .unwrap();
        assert_eq!(r.fix.accuracy_m, 0.0);
        assert_eq!(r.fix.altitude_m, None);
    }
}
