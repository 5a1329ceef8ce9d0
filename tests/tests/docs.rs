//! The book in `docs/` (the user guides and the reference, built by `scripts/docs`, served at
//! `/bantuan/`): its generated pages are current, every guide has both languages, every link and
//! image resolves, and every screenshot is one a browser test takes.
//! After an intended change of the API or the command line:
//! `TINJAU_UPDATE_DOCS=1 cargo test -p tinjau-tests --test e2e -- docs::`, and review the diff of docs/.

// Test code: helpers here fail the test loudly, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use tinjau_tests::reference::{cli_markdown, endpoints_markdown};
use tinjau_tests::{repo_root, tinjau_binary};

fn docs() -> PathBuf {
    repo_root().join("docs/src")
}

/// Compares a generated page with the committed one, or writes it when asked to.
fn assert_current(relative: &str, generated: &str) {
    let path = docs().join(relative);
    if std::env::var_os("TINJAU_UPDATE_DOCS").is_some() {
        std::fs::write(&path, generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let first = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
        panic!(
            "docs/src/{relative} is not what the code makes (first difference at line {}): \
             run TINJAU_UPDATE_DOCS=1 cargo test -p tinjau-tests --test e2e -- docs:: and commit the diff",
            first + 1
        );
    }
}

#[test]
fn the_endpoint_reference_is_the_openapi_document() {
    let doc = serde_json::to_value(tinjau_http::routes::openapi()).unwrap();
    let page = endpoints_markdown(&doc);
    // A page that lost its operations would still equal itself: it must name the real ones.
    for operation in [
        "## `PUT /api/v1/surveys/{id}`",
        "## `GET /api/v1/review/{kecamatan}`",
        "## `GET /api/v1/trilateral`",
    ] {
        assert!(page.contains(operation), "{operation} missing");
    }
    assert_current("reference/endpoints.md", &page);
}

#[test]
fn the_command_reference_is_the_binarys_help() {
    let page = cli_markdown(&tinjau_binary().unwrap());
    for command in [
        "## `tinjau serve`",
        "### `tinjau user add`",
        "## `tinjau backup`",
        "## `tinjau restore`",
    ] {
        assert!(page.contains(command), "{command} missing");
    }
    assert!(page.contains("--docs-dir"), "serve's --docs-dir missing");
    assert_current("reference/cli.md", &page);
}

/// Every Markdown page of the book, relative to docs/src.
fn pages() -> Vec<PathBuf> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, base, out);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path.strip_prefix(base).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(&docs(), &docs(), &mut out);
    out.sort();
    out
}

/// The targets of Markdown links and images in `text`: `](target)`.
fn targets(text: &str) -> Vec<String> {
    text.split("](")
        .skip(1)
        .filter_map(|rest| rest.split_once(')').map(|(t, _)| t.to_owned()))
        .collect()
}

#[test]
fn every_page_is_in_the_contents_and_every_link_and_image_resolves() {
    let summary = std::fs::read_to_string(docs().join("SUMMARY.md")).unwrap();
    let listed: BTreeSet<String> = targets(&summary).into_iter().collect();
    let mut broken = Vec::new();
    for page in pages() {
        let name = page.to_string_lossy().into_owned();
        if name != "SUMMARY.md" && !listed.contains(&name) {
            broken.push(format!("{name} is not in SUMMARY.md"));
        }
        let text = std::fs::read_to_string(docs().join(&page)).unwrap();
        let dir = page.parent().unwrap_or(Path::new(""));
        for target in targets(&text) {
            if target.starts_with("http") || target.starts_with('#') || target.starts_with('/') {
                continue;
            }
            let file = target.split('#').next().unwrap();
            if !docs().join(dir).join(file).exists() {
                broken.push(format!("{name}: {target} does not exist"));
            }
        }
    }
    assert!(pages().len() >= 20, "the book lost its pages");
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn every_guide_is_written_in_both_languages_each_linking_the_other() {
    let pairs = [
        ("id/camat.md", "en/camat.md"),
        ("id/surveyor.md", "en/surveyor.md"),
        ("id/perencana.md", "en/planner.md"),
        ("id/operator.md", "en/operator.md"),
    ];
    for (id, en) in pairs {
        let id_text = std::fs::read_to_string(docs().join(id)).unwrap();
        let en_text = std::fs::read_to_string(docs().join(en)).unwrap();
        assert!(
            id_text.contains(&format!("../{en}")),
            "{id} does not link {en}"
        );
        assert!(
            en_text.contains(&format!("../{id}")),
            "{en} does not link {id}"
        );
        // A translation left half-done shows as one version far shorter than the other.
        let (a, b) = (id_text.len(), en_text.len());
        assert!(
            a * 2 > b && b * 2 > a,
            "{id} ({a} bytes) and {en} ({b} bytes) do not say the same"
        );
    }
}

#[test]
fn every_screenshot_in_the_book_is_one_a_browser_test_takes() {
    let mut taken = String::new();
    for entry in std::fs::read_dir(repo_root().join("tests/tests")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            taken.push_str(&std::fs::read_to_string(path).unwrap());
        }
    }
    let mut used = BTreeSet::new();
    for page in pages() {
        let text = std::fs::read_to_string(docs().join(&page)).unwrap();
        for target in targets(&text) {
            if let Some(name) = target
                .rsplit('/')
                .next()
                .and_then(|f| f.strip_suffix(".png"))
            {
                used.insert(name.to_owned());
            }
        }
    }
    assert!(!used.is_empty(), "the guides show no screenshot");
    for name in &used {
        assert!(
            taken.contains(&format!("shot(\"{name}\")"))
                || taken.contains(&format!("shot_whole(\"{name}\")")),
            "gambar/{name}.png is used in the book but no browser test takes it"
        );
    }
    // Nothing committed that no page shows.
    for entry in std::fs::read_dir(docs().join("gambar")).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().into_owned();
        let name = file.strip_suffix(".png").unwrap_or(&file).to_owned();
        assert!(
            used.contains(&name),
            "docs/src/gambar/{file} is shown on no page"
        );
    }
}
