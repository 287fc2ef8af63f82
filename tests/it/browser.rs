//! The evidence library in a real browser: headless Chromium driven over
//! WebDriver signs in by the link from `/highlight web`, browses to a
//! customer, searches and signs out, as a person would, with the library's
//! own Content-Security-Policy in force.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs
//! them). Without them the test fails in CI (`CI=true`) and is skipped,
//! saying why, elsewhere.

use std::process::{Child, Command, Stdio};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::support::db::TestBackend;
use crate::support::{ephemeral, TestApp};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

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

/// Whether this machine has the browser; in CI it must.
fn browser_available() -> bool {
    let present = std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists();
    if !present {
        assert!(
            std::env::var("CI").map(|v| v != "true").unwrap_or(true),
            "CI=true but {CHROMIUM} or {CHROMEDRIVER} is missing: `apt-get install -y chromium chromium-driver`"
        );
        eprintln!("skipped: {CHROMIUM} or {CHROMEDRIVER} is missing (apt-get install -y chromium chromium-driver)");
    }
    present
}

/// Waits until the page's title is `title`.
async fn title_becomes(browser: &Client, title: &str) {
    crate::support::eventually(&format!("the page's title to become {title:?}"), || async {
        browser.title().await.is_ok_and(|t| t == title)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_browses_searches_and_signs_out_in_a_real_browser() {
    if !browser_available() {
        return;
    }
    let app = TestApp::spawn_web(TestBackend::Sqlite).await;
    for text in [
        "Acme | chat | We need canned replies for the weekend rush",
        "Acme | billing | Invoices are confusing",
        "Globex | email | Canned answers would save us hours",
    ] {
        assert!(ephemeral(app.slash(text).await).await.starts_with("✅ Saved"), "{text}");
    }
    let (_chromedriver, webdriver) = start_chromedriver().await;
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=390,844"],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let browser =
        ClientBuilder::new(connector).capabilities(caps).connect(&webdriver).await.expect("a browser session");
    let outcome = async {
        // The link from Slack, opened: signed in, on the week at a glance.
        browser.goto(&app.url(&app.sign_in_path().await)).await?;
        title_becomes(&browser, "This week · Highlights").await;
        assert!(browser.source().await?.contains("Canned answers would save us hours"));

        // To a customer, through the navigation.
        browser.find(Locator::LinkText("Customers")).await?.click().await?;
        title_becomes(&browser, "Customers · Highlights").await;
        browser.find(Locator::LinkText("Acme")).await?.click().await?;
        title_becomes(&browser, "Acme · Highlights").await;
        let quotes = browser.find(Locator::Css("main")).await?.text().await?;
        assert!(quotes.contains("We need canned replies for the weekend rush"), "{quotes}");
        assert!(quotes.contains("Invoices are confusing"), "{quotes}");

        // A search from the box every page has.
        let search = browser.find(Locator::Id("site-search")).await?;
        search.send_keys("canned").await?;
        browser.find(Locator::Css("form.search button")).await?.click().await?;
        title_becomes(&browser, "Search: canned · Highlights").await;
        let hits = browser.find(Locator::Css("main")).await?.text().await?;
        assert!(hits.contains("2 highlights matching"), "{hits}");
        assert!(hits.contains("weekend rush") && hits.contains("save us hours"), "{hits}");

        // Signing out ends it: the next page asks to sign in.
        browser.find(Locator::Css("form.signout button")).await?.click().await?;
        title_becomes(&browser, "Sign in · Highlights").await;
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
