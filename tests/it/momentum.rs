//! Momentum in digests, through Slack: each area's change in
//! distinct customers against the previous period of the same length, areas
//! heard from for the first time, customers heard from for the first time.

use crate::on_both_backends;
use crate::support::db::TestBackend;
use crate::support::{ephemeral, TestApp, PRODUCT_CHANNEL};

const HOUR_MS: i64 = 3_600_000;

async fn capture(app: &TestApp, text: &str) {
    let said = ephemeral(app.slash(text).await).await;
    assert!(said.starts_with("✅ Saved"), "{text}: {said}");
}

/// Moves the highlights whose quote starts with `prefix` back by `hours`.
async fn move_back(app: &TestApp, prefix: &str, hours: i64) {
    sqlx::query("update highlights set created_at = created_at - $1 where quote like $2")
        .bind(hours * HOUR_MS)
        .bind(format!("{prefix}%"))
        .execute(app.db.pool())
        .await
        .expect("move back");
}

/// A daily schedule whose latest moment was a minute ago (UTC): the period
/// just ended is the last 24 hours, the one before it the 24 hours before.
fn just_passed() -> String {
    let t = (jiff::Timestamp::now() - jiff::SignedDuration::from_mins(1)).to_zoned_datetime(jiff::tz::TimeZone::UTC);
    format!("daily {:02}:{:02} UTC", t.hour(), t.minute())
}

fn area_line<'a>(sections: &'a [String], area: &str) -> &'a str {
    let start = format!("*{area}*: ");
    sections.iter().find(|s| s.starts_with(&start)).unwrap_or_else(|| panic!("no {area} line in {sections:?}"))
}

on_both_backends!(a_digest_shows_each_areas_change_and_who_was_heard_from_first);
async fn a_digest_shows_each_areas_change_and_who_was_heard_from_first(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    // No weekly digest of its own while the periods are set up.
    ephemeral(app.slash("config digest off").await).await;
    for text in [
        // Long ago: Acme and Wayne are known customers.
        "Acme | other | old: known for long",
        "Wayne | other | old: known for long too",
        // The period before: chat heard 1 customer, billing 3, security 1.
        "Acme | chat | before: slow chat",
        "Globex | billing | before: invoices",
        "Initech | billing | before: invoices too",
        "Umbrella | billing | before: refunds",
        "Wayne | security | before: SSO",
        // The period: chat 3 (+2), billing 1 (−2), security 1 (unchanged), reporting new.
        "Acme | chat | now: still slow",
        "Hooli &amp; &lt;Sons&gt; | chat | now: canned replies",
        "Stark | chat | now: macros",
        "Globex | billing | now: invoices again",
        "Wayne | security | now: SAML",
        "Stark | reporting | now: dashboards",
    ] {
        capture(&app, text).await;
    }
    move_back(&app, "old:", 60 * 24).await;
    move_back(&app, "before:", 25).await;
    move_back(&app, "now:", 1).await;
    ephemeral(app.slash(&format!("config digest {}", just_passed())).await).await;
    let posted = || {
        app.slack
            .ok_calls_to("chat.postMessage")
            .into_iter()
            .filter(|c| {
                c.args["channel"] == PRODUCT_CHANNEL && c.args["text"].to_string().contains("Customer highlights")
            })
            .collect::<Vec<_>>()
    };
    crate::support::eventually("the digest", || std::future::ready(!posted().is_empty())).await;
    app.drain().await;
    let digests = posted();
    assert_eq!(digests.len(), 1, "one digest");
    let blocks = digests[0].args["blocks"].as_array().expect("blocks").clone();
    let texts: Vec<String> = blocks
        .iter()
        .filter_map(|b| b["text"]["text"].as_str().or(b["elements"][0]["text"].as_str()).map(str::to_owned))
        .collect();
    assert!(area_line(&texts, "chat").starts_with("*chat*: 3 customers (+2), 3 highlights\n"), "{texts:?}");
    assert!(area_line(&texts, "billing").starts_with("*billing*: 1 customer (−2), 1 highlight\n"), "{texts:?}");
    assert!(area_line(&texts, "security").starts_with("*security*: 1 customer, 1 highlight\n"), "unchanged: {texts:?}");
    assert!(
        area_line(&texts, "reporting").starts_with("*reporting*: 1 customer, 1 highlight  🆕 *new this period*"),
        "{texts:?}"
    );
    // Hooli and Stark are new; Acme, Globex and Wayne were heard from before. Names escaped.
    let first = texts.iter().find(|t| t.starts_with("👋 First heard from:")).expect("first heard line");
    assert_eq!(first, "👋 First heard from: *Hooli &amp; &lt;Sons&gt;*, *Stark*", "{texts:?}");
}

on_both_backends!(a_digest_with_nobody_new_names_nobody);
async fn a_digest_with_nobody_new_names_nobody(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    capture(&app, "Acme | chat | old: known").await;
    move_back(&app, "old:", 60 * 24).await;
    capture(&app, "Acme | chat | now: again").await;
    let said = ephemeral(app.slash("digest").await).await;
    assert!(said.contains("Posting the digest so far (1 highlight"), "{said}");
    app.drain().await;
    let digest = app
        .slack
        .ok_calls_to("chat.postMessage")
        .into_iter()
        .find(|c| c.args["text"].to_string().contains("Customer highlights"))
        .expect("the digest");
    let json = digest.args["blocks"].to_string();
    // Acme was heard in chat long ago, not in the period before: up by one, not new.
    assert!(json.contains("*chat*: 1 customer (+1), 1 highlight"), "{json}");
    assert!(!json.contains("new this period"), "{json}");
    assert!(!json.contains("First heard from"), "{json}");
}
