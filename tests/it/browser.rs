//! The evidence library in a real browser: headless Chromium driven over
//! WebDriver signs in by the link from `/highlight web`, browses to a
//! customer, follows it, searches, visits every page, prints the month-end
//! report and signs out, as a person would, with the library's own
//! Content-Security-Policy in force. On every page, the browser's console
//! holds no error and axe-core (the accessibility engine, run in the page)
//! finds no serious or critical violation.
//!
//! Needs Debian's `chromium` and `chromium-driver`, and axe-core in
//! `tests/browser/node_modules` (`npm ci --prefix tests/browser`); `.ci/run`
//! installs all three. Without them the test fails in CI (`CI=true`) and is
//! skipped, saying why, elsewhere.
//!
//! `HIGHLIGHTS_SCREENSHOTS=<dir>` also saves each page, at a desktop's size,
//! as a PNG there (the README's pictures are made so).

use std::process::{Child, Command, Stdio};

use fantoccini::wd::{PrintConfiguration, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::support::db::TestBackend;
use crate::support::{ephemeral, TestApp};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// axe-core as `npm ci --prefix tests/browser` installs it.
const AXE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/node_modules/axe-core/axe.min.js");

/// chromedriver, ended with the test.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts chromedriver on a free port and waits until it answers.
async fn start_chromedriver() -> (Driver, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver(child);
    let url = format!("http://127.0.0.1:{port}");
    let status = format!("{url}/status");
    crate::support::eventually("chromedriver to answer", || {
        let status = status.clone();
        async move {
            match reqwest::get(&status).await {
                Ok(resp) => resp.json::<serde_json::Value>().await.is_ok_and(|v| v["value"]["ready"] == true),
                Err(_) => false,
            }
        }
    })
    .await;
    (driver, url)
}

/// Whether this machine has the browser and axe-core; in CI it must.
fn browser_available() -> bool {
    let missing: Vec<&str> =
        [CHROMIUM, CHROMEDRIVER, AXE].into_iter().filter(|path| !std::path::Path::new(path).exists()).collect();
    if !missing.is_empty() {
        let how = "apt-get install -y chromium chromium-driver; npm ci --prefix tests/browser";
        assert!(std::env::var("CI").map(|v| v != "true").unwrap_or(true), "CI=true but {missing:?} is missing: {how}");
        eprintln!("skipped: {missing:?} is missing ({how})");
    }
    missing.is_empty()
}

/// ChromeDriver's log of the browser's console since it was last read
/// (`goog:loggingPrefs` turns it on).
#[derive(Debug)]
struct ConsoleLog;

impl WebDriverCompatibleCommand for ConsoleLog {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        (axum::http::Method::POST, Some(json!({ "type": "browser" }).to_string()))
    }
}

/// The console's errors since the last call (a refused script or style, a
/// failed load, an exception), as text.
async fn console_errors(browser: &Client) -> Vec<String> {
    let log = browser.issue_cmd(ConsoleLog).await.expect("ChromeDriver's console log");
    log.as_array()
        .into_iter()
        .flatten()
        .filter(|entry| entry["level"] == "SEVERE")
        .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Runs axe-core in the page: its serious and critical violations, each as
/// `rule (impact): help, at [selectors]`.
async fn accessibility_violations(browser: &Client) -> Vec<String> {
    let axe = std::fs::read_to_string(AXE).expect("axe-core (npm ci --prefix tests/browser)");
    browser.execute(&axe, Vec::new()).await.expect("axe-core loads in the page");
    let run = r#"
        const done = arguments[arguments.length - 1];
        axe.run(document, { resultTypes: ["violations"] })
            .then((r) => done(r.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
                .map((v) => `${v.id} (${v.impact}): ${v.help}, at ${JSON.stringify(v.nodes.map((n) => n.target))}`)))
            .catch((e) => done([`axe failed: ${e}`]));
    "#;
    let found = browser.execute_async(run, Vec::new()).await.expect("axe-core runs");
    serde_json::from_value(found).expect("a list of violations")
}

/// Opens `path`, waits for its title, and checks the page as a person
/// with any browser, eyesight or input would meet it: no console error, no
/// serious or critical accessibility violation. Saves a picture when asked.
async fn visit(browser: &Client, app: &TestApp, path: &str, title: &str) -> Result<(), fantoccini::error::CmdError> {
    browser.goto(&app.url(path)).await?;
    title_becomes(browser, title).await;
    check_page(browser, path).await
}

/// The checks of [`visit`] on the page the browser shows.
async fn check_page(browser: &Client, what: &str) -> Result<(), fantoccini::error::CmdError> {
    let errors = console_errors(browser).await;
    assert!(errors.is_empty(), "console errors on {what}: {errors:#?}");
    let violations = accessibility_violations(browser).await;
    assert!(violations.is_empty(), "accessibility violations on {what}: {violations:#?}");
    if let Ok(dir) = std::env::var("HIGHLIGHTS_SCREENSHOTS") {
        let name = what.trim_matches('/').replace(['/', '?', '='], "-");
        let name = if name.is_empty() { "home".to_owned() } else { name };
        std::fs::write(format!("{dir}/{name}.png"), browser.screenshot().await?).expect("the screenshot is saved");
    }
    Ok(())
}

/// The number of pages of a PDF (its page objects).
fn pdf_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.matches("/Type /Page").count() - text.matches("/Type /Pages").count()
}

/// Waits until the page's title is `title`.
async fn title_becomes(browser: &Client, title: &str) {
    crate::support::eventually(&format!("the page's title to become {title:?}"), || async {
        browser.title().await.is_ok_and(|t| t == title)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_browses_every_page_follows_prints_and_signs_out_in_a_real_browser() {
    if !browser_available() {
        return;
    }
    let app = TestApp::spawn_web(TestBackend::Sqlite).await;
    ephemeral(app.slash("onboard me").await).await;
    for text in [
        "Acme | chat | We need canned replies for the weekend rush",
        "Acme | billing | Invoices are confusing",
        "Globex | email | Canned answers would save us hours",
    ] {
        assert!(ephemeral(app.slash(text).await).await.starts_with("✅ Saved"), "{text}");
    }
    let (_chromedriver, webdriver) = start_chromedriver().await;
    // A phone's screen: the pages must work there; pictures for the README
    // are taken at a desktop's.
    let size = if std::env::var("HIGHLIGHTS_SCREENSHOTS").is_ok() { "1280,900" } else { "390,844" };
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", format!("--window-size={size}")],
        }),
    );
    caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let browser =
        ClientBuilder::new(connector).capabilities(caps).connect(&webdriver).await.expect("a browser session");
    let outcome = async {
        // The link from Slack, opened: signed in, on the week at a glance.
        browser.goto(&app.url(&app.sign_in_path().await)).await?;
        title_becomes(&browser, "This week · Highlights").await;
        assert!(browser.source().await?.contains("Canned answers would save us hours"));
        check_page(&browser, "/").await?;

        // To a customer, through the navigation.
        browser.find(Locator::LinkText("Customers")).await?.click().await?;
        title_becomes(&browser, "Customers · Highlights").await;
        check_page(&browser, "/customers").await?;
        browser.find(Locator::LinkText("Acme")).await?.click().await?;
        title_becomes(&browser, "Acme · Highlights").await;
        let customer_page = browser.current_url().await?.path().to_owned();
        let quotes = browser.find(Locator::Css("main")).await?.text().await?;
        assert!(quotes.contains("We need canned replies for the weekend rush"), "{quotes}");
        assert!(quotes.contains("Invoices are confusing"), "{quotes}");
        check_page(&browser, "/customers/acme").await?;

        // Following it: the same page again, now saying so; Slack agrees.
        browser.find(Locator::Css("form.follow button")).await?.click().await?;
        crate::support::eventually("the page to say the customer is followed", || async {
            browser.find(Locator::Css("form.follow")).await.ok().is_some()
                && browser.source().await.is_ok_and(|html| html.contains("You follow this customer"))
        })
        .await;
        assert_eq!(browser.current_url().await?.path(), customer_page, "back to the page it came from");
        let following = ephemeral(app.slash("following").await).await;
        assert!(following.contains("Acme"), "{following}");

        // A search from the box every page has.
        let search = browser.find(Locator::Id("site-search")).await?;
        search.send_keys("canned").await?;
        browser.find(Locator::Css("form.search button")).await?.click().await?;
        title_becomes(&browser, "Search: canned · Highlights").await;
        let hits = browser.find(Locator::Css("main")).await?.text().await?;
        assert!(hits.contains("2 highlights matching"), "{hits}");
        assert!(hits.contains("weekend rush") && hits.contains("save us hours"), "{hits}");
        check_page(&browser, "/search?q=canned").await?;

        // Every other page, by its address.
        visit(&browser, &app, "/areas", "Product areas · Highlights").await?;
        browser.find(Locator::LinkText("chat")).await?.click().await?;
        title_becomes(&browser, "chat · Highlights").await;
        check_page(&browser, "/areas/chat").await?;
        visit(&browser, &app, "/onboarding", "Onboarding · Highlights").await?;
        let report = format!("/onboarding/{}/report", crate::support::USER);
        browser.find(Locator::Css(&format!("a[href=\"{report}\"]"))).await?.click().await?;
        crate::support::eventually("the month-end report to open", || async {
            browser.title().await.is_ok_and(|t| t.starts_with("Month-end report: "))
        })
        .await;
        check_page(&browser, "/onboarding/report").await?;

        // The report prints: a PDF of a page or two (the print stylesheet
        // leaves the navigation and the forms out).
        let pdf = browser.print(PrintConfiguration::default()).await?;
        assert!(pdf.starts_with(b"%PDF-"), "a PDF");
        let pages = pdf_pages(&pdf);
        assert!((1..=2).contains(&pages), "the report printed on {pages} pages");

        // Signing out ends it: the next page asks to sign in.
        browser.find(Locator::Css("form.signout button")).await?.click().await?;
        title_becomes(&browser, "Sign in · Highlights").await;
        check_page(&browser, "/login").await?;
        browser.goto(&app.url("/customers")).await?;
        title_becomes(&browser, "Sign in · Highlights").await;
        assert!(browser.current_url().await?.as_str().ends_with("/login?next=%2Fcustomers"));
        Ok::<_, fantoccini::error::CmdError>(())
    }
    .await;
    let quit = browser.close().await;
    outcome.expect("the browser did as asked");
    quit.expect("the browser closes");
}
