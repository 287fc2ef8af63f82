//! Evidence people can trust (SPEC 3.6): recording links that open at the
//! moment a quote was said, everywhere a quote is shown.

use serde_json::{json, Value};

use crate::capture::{area_id, drained, replies, selected, submission, value};
use crate::on_both_backends;
use crate::support::db::TestBackend;
use crate::support::{ephemeral, TestApp, PRODUCT_CHANNEL};

fn reply_text(app: &TestApp) -> String {
    serde_json::to_string(&replies(&app.slack.ok_calls_to("chat.postMessage"))).expect("json")
}

on_both_backends!(a_quick_capture_at_a_moment_links_to_it_in_the_post_the_customer_view_and_the_digest);
async fn a_quick_capture_at_a_moment_links_to_it_in_the_post_the_customer_view_and_the_digest(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let said =
        ephemeral(app.slash("Acme | chat | We need canned replies | <https://youtu.be/abc123> @ 12:34").await).await;
    assert!(said.starts_with("✅ Saved for *Acme*"), "{said}");
    let said =
        ephemeral(app.slash("Globex | chat | Macros please | <https://zoom.us/rec/play/9> @ 1:02:03").await).await;
    assert!(said.starts_with("✅ Saved"), "{said}");
    app.slack.wait_for_ok_calls("chat.postMessage", 4).await;
    drained(&app).await;
    let text = reply_text(&app);
    // YouTube takes a start time: the link opens there.
    assert!(text.contains("<https://youtu.be/abc123?t=754|▶ 12:34>"), "{text}");
    // Zoom does not: the time stands beside the unchanged link.
    assert!(text.contains("<https://zoom.us/rec/play/9|Recording> ▶ 1:02:03"), "{text}");
    let (link, at): (Option<String>, Option<i64>) =
        sqlx::query_as("select recording_link, recording_at from highlights where quote = 'We need canned replies'")
            .fetch_one(app.db.pool())
            .await
            .expect("row");
    assert_eq!((link.as_deref(), at), (Some("https://youtu.be/abc123"), Some(754)));

    let view: Value = app.slash("customer Acme").await.json().await.expect("JSON");
    let view = view.to_string();
    assert!(view.contains("▶ 12:34"), "{view}");
    let digest = ephemeral(app.slash("digest").await).await;
    assert!(!digest.is_empty());
    let digest_posted = || {
        app.slack
            .ok_calls_to("chat.postMessage")
            .into_iter()
            .filter(|c| c.args["channel"] == PRODUCT_CHANNEL && c.args["blocks"].to_string().contains("📣"))
            .map(|c| c.args["blocks"].to_string())
            .next()
    };
    crate::support::eventually("the digest to be posted", || std::future::ready(digest_posted().is_some())).await;
    let digest = digest_posted().unwrap_or_default();
    assert!(digest.contains("<https://youtu.be/abc123?t=754|▶ 12:34>"), "{digest}");

    // A time that is not one is refused, the text echoed, nothing stored.
    let before = app.count("highlights").await;
    let refused = ephemeral(app.slash("Acme | chat | Later | <https://youtu.be/abc123> @ 12:345").await).await;
    assert!(refused.contains("12:34 or 1:02:03") && refused.contains("Later"), "{refused}");
    assert_eq!(app.count("highlights").await, before);
}

on_both_backends!(the_modal_takes_a_moment_per_highlight_and_checks_it);
async fn the_modal_takes_a_moment_per_highlight_and_checks_it(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    app.slash("help").await;
    let chat = area_id(&app, "chat").await;
    let values = |link: &str, at: &str| -> Value {
        json!({
            "customer": value("Initech"),
            "interview_date": { "value": { "type": "datepicker", "selected_date": "2026-01-15" } },
            "recording_link": value(link),
            "area_0": selected(&chat), "kind_0": selected("pain"), "quote_0": value("TPS reports hurt"),
            "at_0": value(at),
        })
    };
    let refused: Value = app.interaction(&submission(values("", "3:00"), 1)).await.json().await.expect("JSON");
    assert_eq!(refused["response_action"], "errors");
    assert!(refused["errors"]["at_0"].as_str().expect("on the At field").contains("recording link"), "{refused}");
    let refused: Value =
        app.interaction(&submission(values("https://vimeo.com/76979871", "3:0"), 1)).await.json().await.expect("JSON");
    assert!(refused["errors"]["at_0"].as_str().expect("on the At field").contains("12:34"), "{refused}");
    assert_eq!(app.count("highlights").await, 0);

    let saved: Value = app
        .interaction(&submission(values("https://vimeo.com/76979871", "1:02:03"), 1))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(saved["response_action"], "update", "{saved}");
    app.slack.wait_for_ok_calls("chat.postMessage", 2).await;
    drained(&app).await;
    let text = reply_text(&app);
    assert!(text.contains("<https://vimeo.com/76979871#t=3723s|▶ 1:02:03>"), "{text}");
}

on_both_backends!(a_capture_confirmation_lists_similar_quotes_from_other_customers);
async fn a_capture_confirmation_lists_similar_quotes_from_other_customers(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    for text in [
        "Globex | chat | Canned replies would save our agents hours",
        "Initech | chat | We keep typing the same replies: canned answers please",
        "Umbrella | billing | Invoices in EUR",
        "Hooli | chat | Canned replies, canned replies, canned replies",
        "Soylent | chat | Replies that are canned would help",
        "Acme | chat | Our own earlier words about canned replies",
    ] {
        let said = ephemeral(app.slash(text).await).await;
        assert!(said.starts_with("✅ Saved"), "{said}");
    }
    drained(&app).await;
    let said = ephemeral(app.slash("Acme | chat | \"Canned replies for the chat widget\"").await).await;
    assert!(said.contains("Other customers said something like it:"), "{said}");
    let listed: Vec<&str> = said.lines().filter(|l| l.starts_with("• ")).collect();
    assert_eq!(listed.len(), 3, "up to three: {said}");
    assert!(listed.iter().all(|l| !l.contains("Acme") && !l.contains("Umbrella")), "others', alike: {said}");
    let customers: std::collections::HashSet<&str> =
        listed.iter().map(|l| l.split(": ").next().unwrap_or_default()).collect();
    assert_eq!(customers.len(), 3, "each from a different customer: {said}");
    assert!(listed.iter().all(|l| l.contains("<https://acme.slack.com/archives/")), "linked to the quote: {said}");

    // Nothing alike: no list.
    let said = ephemeral(app.slash("Acme | billing | Quarterly procurement approvals confuse finance").await).await;
    assert!(!said.contains("something like it"), "{said}");
}
