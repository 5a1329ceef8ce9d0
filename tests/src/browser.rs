//! Debian's Chromium, headless, driven through its ChromeDriver (WebDriver) with fantoccini: a
//! fresh profile per browser, a 1366×768 window (a kecamatan office's laptop), screenshots saved
//! under `target/web-screenshots/` to be looked at.

// A test harness: a browser that does not start must stop the test loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::missing_panics_doc)]

use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

/// A browser and its driver process (stopped when dropped).
#[derive(Debug)]
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The driver leads a process group of its own, with the Chromium processes it started:
        // killing the driver alone left them running after every test.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Where the screenshots go.
pub fn screenshot_dir() -> PathBuf {
    let dir = crate::repo_root().join("target/web-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Browser {
    /// Starts ChromeDriver and a headless Chromium with the flags a closed network needs.
    pub async fn start() -> Self {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting chromedriver (scripts/setup installs chromium-driver)");
        let profile = tempfile::tempdir().unwrap();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--disable-extensions", "--window-size=1366,768",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            match ClientBuilder::rustls()
                .unwrap()
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break client,
                Err(e) => {
                    assert!(
                        Instant::now() < deadline,
                        "chromedriver did not answer: {e}"
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
        Self {
            client,
            driver,
            _profile: profile,
        }
    }

    /// Saves a screenshot of the page as `target/web-screenshots/NAME.png`.
    pub async fn shot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
    }

    /// Saves a screenshot of the whole page (up to 4,000 px tall) at the window's width.
    pub async fn shot_whole(&self, name: &str) {
        let (width, height) = self.client.get_window_size().await.unwrap();
        let tall = self
            .client
            .execute("return document.documentElement.scrollHeight", vec![])
            .await
            .unwrap()
            .as_u64()
            .unwrap_or(height)
            .clamp(height, 4_000);
        self.client
            .set_window_size(
                u32::try_from(width).unwrap(),
                u32::try_from(tall).unwrap() + 90,
            )
            .await
            .unwrap();
        self.shot(name).await;
        self.client
            .set_window_size(
                u32::try_from(width).unwrap(),
                u32::try_from(height).unwrap(),
            )
            .await
            .unwrap();
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    /// The text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .text()
            .await
            .unwrap()
    }

    /// Clicks the first element matching `css`.
    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .click()
            .await
            .unwrap();
    }

    /// Chooses `value` in the first `<select>` matching `css`.
    pub async fn select(&self, css: &str, value: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .select_by_value(value)
            .await
            .unwrap();
    }

    /// The page's whole visible text.
    pub async fn body_text(&self) -> String {
        self.text("body").await
    }

    /// How many elements match `css`.
    pub async fn count(&self, css: &str) -> usize {
        self.client.find_all(Locator::Css(css)).await.unwrap().len()
    }

    /// Waits (10 s at most) for an element.
    pub async fn wait_for(&self, css: &str) {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} did not appear: {e}"));
    }

    /// Marks the page shown now, so that [`Self::wait_for_next_page`] can tell the next one from it.
    /// Call it before a click or submit that loads a page holding what this one already holds:
    /// WebDriver's click does not always wait for the navigation it starts.
    pub async fn mark_page(&self) {
        self.client
            .execute(
                "document.documentElement.setAttribute('data-left', '1')",
                vec![],
            )
            .await
            .unwrap();
    }

    /// Waits (10 s at most) for an element of a page loaded after [`Self::mark_page`].
    pub async fn wait_for_next_page(&self, css: &str) {
        self.wait_for(&format!("html:not([data-left]) {css}")).await;
    }

    /// The session cookie the browser holds, as a `Cookie` header value.
    pub async fn cookie_header(&self) -> String {
        self.client
            .get_all_cookies()
            .await
            .unwrap()
            .iter()
            .map(|c| format!("{}={}", c.name(), c.value()))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Fills the sign-in form, sends it and waits for the page it leads to (the form again, with its
    /// refusal, when the password is wrong).
    pub async fn sign_in(&self, base: &str, name: &str, password: &str) {
        self.goto(&format!("{base}/masuk")).await;
        let form = self
            .client
            .form(Locator::Css("section.signin form"))
            .await
            .unwrap();
        form.set_by_name("name", name).await.unwrap();
        form.set_by_name("password", password).await.unwrap();
        self.mark_page().await;
        form.submit().await.unwrap();
        self.wait_for_next_page("body").await;
    }
}

/// Creates an account with a password through the real `tinjau user add` (`wilayah` `None`: none).
pub fn account(
    app: &crate::TestApp,
    name: &str,
    role: &str,
    wilayah: Option<&str>,
    password: &str,
) {
    use std::io::Write as _;
    let mut args = vec![
        "user",
        "add",
        "--name",
        name,
        "--role",
        role,
        "--password-stdin",
    ];
    if let Some(w) = wilayah {
        args.extend(["--wilayah", w]);
    }
    let mut child = Command::new(crate::tinjau_binary().unwrap())
        .args(args)
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
