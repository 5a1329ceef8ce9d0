//! A client that talks to Tinjau as ODK Collect does (`getodk/collect`, as read in
//! `research/openrosa.md` §1): the form list and manifest parsed as strictly as Collect's
//! `Kxml2OpenRosaResponseParser`, `?deviceID=` on every request, the OpenRosa request headers, the
//! HEAD pre-flight that must be 204, and submissions split across POSTs by the accepted length
//! exactly as `OkHttpConnection.uploadSubmissionAndFiles` splits them, each POST repeating the XML.
//! And the real form engine: JavaRosa, from pyxform's ODK Validate jar (`scripts/odk`), filling the
//! form as served with the media as downloaded.

// A test harness: a protocol violation must stop the test loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::missing_panics_doc)]

use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

/// One form of the form list.
#[derive(Debug, Clone)]
pub struct ListedForm {
    pub form_id: String,
    pub name: String,
    pub version: String,
    /// The hex MD5, `md5:` stripped (Collect drops a hash without it).
    pub md5: String,
    pub download_url: String,
    pub manifest_url: Option<String>,
}

/// One media file of a manifest.
#[derive(Debug, Clone)]
pub struct MediaFile {
    pub filename: String,
    pub md5: String,
    pub download_url: String,
}

/// What a POST of a submission was answered.
#[derive(Debug, Clone)]
pub struct Posted {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// The photo files this POST carried.
    pub files: Vec<String>,
    pub incomplete: bool,
}

impl Posted {
    /// The `<message>` of the OpenRosaResponse.
    pub fn message(&self) -> String {
        openrosa_message(&self.body)
    }
}

/// The `<message>` of an OpenRosaResponse body.
pub fn openrosa_message(body: &str) -> String {
    let doc = roxmltree::Document::parse(body)
        .unwrap_or_else(|e| panic!("not an OpenRosaResponse ({e}): {body}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "OpenRosaResponse", "{body}");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://openrosa.org/http/response")
    );
    root.descendants()
        .find(|n| n.has_tag_name("message"))
        .and_then(|m| m.text())
        .unwrap_or_default()
        .to_owned()
}

/// An ODK Collect configured with a server URL.
#[derive(Debug, Clone)]
pub struct Collect {
    pub client: reqwest::Client,
    pub server_url: String,
    pub device_id: String,
}

/// Collect appends `deviceID` to every URL, after any query it already has.
pub fn with_device(url: &str, device_id: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}deviceID={device_id}")
}

impl Collect {
    pub fn new(server_url: &str) -> Self {
        Self {
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_mins(1))
                .build()
                .unwrap(),
            server_url: server_url.trim_end_matches('/').to_owned(),
            device_id: "collect:tinjauTestDevice1".to_owned(),
        }
    }

    fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, with_device(url, &self.device_id))
            .header("X-OpenRosa-Version", "1.0")
            // Collect's format, with its 12-hour clock (`hh`), which a server must not validate.
            .header("Date", "Thu, 03 Dec 2026 03:10:00 GMT+07:00")
            .header(
                "User-Agent",
                "org.odk.collect.android/v2025.3.1 Dalvik/2.1.0 (Linux; U; Android 13)",
            )
    }

    /// A GET as Collect sends it.
    pub async fn get(&self, url: &str) -> reqwest::Response {
        self.request(reqwest::Method::GET, url)
            .send()
            .await
            .unwrap()
    }

    /// An OpenRosa GET: Collect refuses an answer without `X-OpenRosa-Version` or not `text/xml`.
    async fn get_openrosa_xml(&self, url: &str) -> String {
        let response = self.get(url).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {url}");
        assert_openrosa_xml(response.headers());
        response.text().await.unwrap()
    }

    /// `GET {server}/formList`, parsed as Collect parses it: the whole list is refused if any form
    /// lacks formID, name or downloadUrl.
    pub async fn form_list(&self) -> Vec<ListedForm> {
        let body = self
            .get_openrosa_xml(&format!("{}/formList", self.server_url))
            .await;
        let doc = roxmltree::Document::parse(&body).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "xforms");
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://openrosa.org/xforms/xformsList")
        );
        root.children()
            .filter(|n| n.has_tag_name("xform"))
            .map(|x| {
                let text = |name: &str| {
                    x.children()
                        .find(|c| c.has_tag_name(name))
                        .map(|c| c.text().unwrap_or_default().trim().to_owned())
                };
                let hash = text("hash").expect("a form without a hash cannot be downloaded");
                assert!(hash.starts_with("md5:"), "Collect drops a hash {hash:?}");
                ListedForm {
                    form_id: text("formID").expect("formID"),
                    name: text("name").expect("name"),
                    version: text("version").unwrap_or_default(),
                    md5: hash[4..].to_owned(),
                    download_url: text("downloadUrl").expect("downloadUrl"),
                    manifest_url: text("manifestUrl"),
                }
            })
            .collect()
    }

    /// A manifest, as Collect parses it: every media file needs filename, hash and downloadUrl;
    /// Collect strips four characters off the hash (`md5:`) and keeps the base name.
    pub async fn manifest(&self, url: &str) -> Vec<MediaFile> {
        let body = self.get_openrosa_xml(url).await;
        let doc = roxmltree::Document::parse(&body).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "manifest");
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://openrosa.org/xforms/xformsManifest")
        );
        root.children()
            .filter(|n| n.has_tag_name("mediaFile"))
            .map(|m| {
                let text = |name: &str| {
                    m.children()
                        .find(|c| c.has_tag_name(name))
                        .and_then(|c| c.text())
                        .unwrap_or_else(|| panic!("mediaFile without {name}"))
                        .trim()
                        .to_owned()
                };
                let hash = text("hash");
                assert!(hash.starts_with("md5:"), "{hash}");
                let filename = text("filename");
                MediaFile {
                    filename: Path::new(&filename)
                        .file_name()
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                    md5: hash[4..].to_owned(),
                    download_url: text("downloadUrl"),
                }
            })
            .collect()
    }

    /// Downloads a file; Collect checks nothing of its type.
    pub async fn download(&self, url: &str) -> Vec<u8> {
        let response = self.get(url).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {url}");
        response.bytes().await.unwrap().to_vec()
    }

    /// Downloads the form and its media into `dir` as Collect keeps them; checks every hash.
    /// Returns the form's path.
    pub async fn download_form(&self, form: &ListedForm, dir: &Path) -> PathBuf {
        let xml = self.download(&form.download_url).await;
        assert_eq!(
            hex::encode(md5::Md5::digest(&xml)),
            form.md5,
            "the listed hash is the MD5 of the bytes served"
        );
        let form_path = dir.join(format!("{}.xml", form.form_id));
        std::fs::write(&form_path, &xml).unwrap();
        let media = dir.join(format!("{}-media", form.form_id));
        std::fs::create_dir_all(&media).unwrap();
        if let Some(manifest_url) = &form.manifest_url {
            for file in self.manifest(manifest_url).await {
                let bytes = self.download(&file.download_url).await;
                assert_eq!(hex::encode(md5::Md5::digest(&bytes)), file.md5);
                std::fs::write(media.join(&file.filename), bytes).unwrap();
            }
        }
        form_path
    }

    /// Collect's pre-flight: must be 204; returns `X-OpenRosa-Accept-Content-Length` (Collect's
    /// default 10,000,000 when absent).
    pub async fn head_submission(&self) -> (StatusCode, u64) {
        let response = self
            .request(
                reqwest::Method::HEAD,
                &format!("{}/submission", self.server_url),
            )
            .send()
            .await
            .unwrap();
        let accept = response
            .headers()
            .get("x-openrosa-accept-content-length")
            .and_then(|v| v.to_str().ok()?.parse().ok())
            .unwrap_or(10_000_000);
        (response.status(), accept)
    }

    /// Sends a finalised instance as Collect does: `xml_submission_file` first, then one part per
    /// file named by its file name; a new POST starts when the next file would push the request
    /// past `accept_bytes` or after 100 files; every POST repeats the XML, and all but the last
    /// carry `*isIncomplete*=yes`. Stops at the first POST not answered 201 or 202.
    pub async fn submit(
        &self,
        xml: &[u8],
        instance_file: &str,
        files: &[(String, Vec<u8>)],
        accept_bytes: u64,
    ) -> Vec<Posted> {
        let mut answers = Vec::new();
        let mut index = 0;
        loop {
            let mut form = reqwest::multipart::Form::new().part(
                "xml_submission_file",
                reqwest::multipart::Part::bytes(xml.to_vec())
                    .file_name(instance_file.to_owned())
                    .mime_str("text/xml")
                    .unwrap(),
            );
            let mut bytes = xml.len() as u64;
            let first = index;
            let mut carried = Vec::new();
            let mut incomplete = false;
            while index < files.len() {
                let (name, content) = &files[index];
                form = form.part(
                    name.clone(),
                    reqwest::multipart::Part::bytes(content.clone())
                        .file_name(name.clone())
                        .mime_str("image/jpeg")
                        .unwrap(),
                );
                carried.push(name.clone());
                bytes += content.len() as u64;
                index += 1;
                if index < files.len()
                    && (index - first + 1 > 100
                        || bytes + files[index].1.len() as u64 > accept_bytes)
                {
                    form = form.text("*isIncomplete*", "yes");
                    incomplete = true;
                    break;
                }
            }
            let response = self
                .request(
                    reqwest::Method::POST,
                    &format!("{}/submission", self.server_url),
                )
                .multipart(form)
                .send()
                .await
                .unwrap();
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.text().await.unwrap();
            answers.push(Posted {
                status,
                headers,
                body,
                files: carried,
                incomplete,
            });
            let ok = status == StatusCode::CREATED || status == StatusCode::ACCEPTED;
            if !ok || index >= files.len() {
                return answers;
            }
        }
    }
}

/// What Collect requires of every OpenRosa answer.
pub fn assert_openrosa_xml(headers: &HeaderMap) {
    assert_eq!(
        headers
            .get("x-openrosa-version")
            .map(|v| v.to_str().unwrap()),
        Some("1.0")
    );
    assert_eq!(
        headers.get("content-type").map(|v| v.to_str().unwrap()),
        Some("text/xml; charset=utf-8")
    );
}

use md5::Digest as _;

/// The ODK tool chain `scripts/odk setup` installs (scripts/test runs it): ODK Validate's jar with
/// its JavaRosa, the compiled harness, and pyxform's `xls2xform`.
#[derive(Debug, Clone)]
pub struct Odk {
    pub jar: PathBuf,
    pub classes: PathBuf,
    pub xls2xform: PathBuf,
}

impl Odk {
    pub fn installed() -> Self {
        let out = std::process::Command::new(crate::repo_root().join("scripts/odk"))
            .arg("env")
            .output()
            .expect("running scripts/odk env");
        assert!(
            out.status.success(),
            "scripts/odk env failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let get = |k: &str| {
            PathBuf::from(
                text.lines()
                    .find_map(|l| l.strip_prefix(&format!("{k}=")))
                    .unwrap_or_else(|| panic!("scripts/odk env printed no {k}")),
            )
        };
        Self {
            jar: get("TINJAU_ODK_JAR"),
            classes: get("TINJAU_ODK_CLASSES"),
            xls2xform: get("TINJAU_ODK_PYXFORM"),
        }
    }

    /// Fills `form` with JavaRosa (media from `media`), answering with `answers` (`name=value`
    /// lines, several for one question tried in turn); returns what the harness printed and the
    /// instance XML, or the printout alone when the form could not be finalised.
    pub fn fill(&self, form: &Path, media: &Path, answers: &str) -> (String, Option<Vec<u8>>) {
        let dir = tempfile::tempdir().unwrap();
        let answers_path = dir.path().join("answers.txt");
        std::fs::write(&answers_path, answers).unwrap();
        let out_path = dir.path().join("instance.xml");
        let classpath = format!("{}:{}", self.jar.display(), self.classes.display());
        let out = std::process::Command::new("java")
            .args(["-cp", &classpath, "FillForm"])
            .arg(form)
            .arg(media)
            .arg(&answers_path)
            .arg(&out_path)
            .output()
            .expect("running java");
        let printed = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.code() == Some(2) {
            return (printed, None);
        }
        assert!(
            out.status.success(),
            "the JavaRosa harness failed: {printed}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (printed, Some(std::fs::read(out_path).unwrap()))
    }
}

/// A `calc NAME=VALUE` line the harness printed.
pub fn calculated<'a>(printed: &'a str, name: &str) -> Option<&'a str> {
    printed
        .lines()
        .find_map(|l| l.strip_prefix(&format!("calc {name}=")))
}

/// The text of an element of an instance.
pub fn element_text(xml: &[u8], name: &str) -> Option<String> {
    let text = std::str::from_utf8(xml).ok()?;
    let doc = roxmltree::Document::parse(text).ok()?;
    doc.descendants()
        .find(|n| n.has_tag_name(name))
        .and_then(|n| n.text())
        .map(str::to_owned)
}

/// Lower-case hex MD5, as manifests state it.
pub fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(md5::Md5::digest(bytes))
}
