//! Interviews with a purpose, end to end: the interviewee the capture modal
//! names, shown in the thread, the customer view, the brief and the library.

use serde_json::{json, Value};

use crate::capture::{area_id, selected, submission, value};
use crate::on_both_backends;
use crate::support::db::TestBackend;
use crate::support::{ephemeral, TestApp};

/// Who the modal names: typed in a form, so not escaped by Slack.
const INTERVIEWEE: &str = "Dana <Lee> & Co, Head of Support";
/// The same, escaped for mrkdwn and for HTML.
const INTERVIEWEE_ESCAPED: &str = "Dana &lt;Lee&gt; &amp; Co, Head of Support";

/// Submits the capture modal for Acme with one highlight in chat, naming
/// `interviewee` when given.
async fn submit_capture(app: &TestApp, quote: &str, interviewee: Option<&str>) {
    let chat = area_id(app, "chat").await;
    let mut values = json!({
        "customer": value("Acme"),
        "interview_date": { "value": { "type": "datepicker", "selected_date": "2026-01-15" } },
        "area_0": selected(&chat), "kind_0": selected("request"), "quote_0": value(quote),
    });
    if let Some(who) = interviewee {
        values["interviewee"] = value(who);
    }
    let resp = app.interaction(&submission(values, 1)).await;
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(body["response_action"], "update", "{body}");
}

on_both_backends!(the_interviewee_named_in_the_form_shows_in_the_thread_the_customer_view_and_the_brief);
async fn the_interviewee_named_in_the_form_shows_in_the_thread_the_customer_view_and_the_brief(backend: TestBackend) {
    let app = TestApp::spawn_web(backend).await;
    app.slash("help").await; // records the workspace and its areas
    submit_capture(&app, "Canned replies would save us hours", Some(INTERVIEWEE)).await;
    // A second capture of the same interview without the field keeps the name.
    submit_capture(&app, "And macros", None).await;
    app.drain().await;
    let stored: Vec<Option<String>> =
        sqlx::query_scalar("select interviewee from interviews").fetch_all(app.db.pool()).await.expect("interviews");
    assert_eq!(stored, vec![Some(INTERVIEWEE.to_owned())], "one interview, named once");

    // The thread: both replies credit the interviewee, escaped.
    let replies: Vec<String> = app
        .slack
        .ok_calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.args["thread_ts"].is_string())
        .map(|c| c.args["blocks"].to_string())
        .collect();
    assert_eq!(replies.len(), 2, "{replies:?}");
    for reply in &replies {
        assert!(reply.contains(&format!("👤 {INTERVIEWEE_ESCAPED}")), "{reply}");
        assert!(!reply.contains("<Lee>"), "{reply}");
    }

    let view = ephemeral(app.slash("customer Acme").await).await;
    assert!(view.starts_with("Acme:"), "{view}");
    let resp = app.slash("customer Acme").await;
    let blocks = resp.json::<Value>().await.expect("JSON")["blocks"].to_string();
    assert!(blocks.contains(&format!("<@U0USER0001> with {INTERVIEWEE_ESCAPED}, ")), "{blocks}");

    let resp = app.slash("brief Acme").await;
    let blocks = resp.json::<Value>().await.expect("JSON")["blocks"].to_string();
    assert!(blocks.contains(&format!("<@U0USER0001> with {INTERVIEWEE_ESCAPED}, ")), "{blocks}");
    assert!(blocks.contains(&format!("*Interviewees:* {INTERVIEWEE_ESCAPED} (last 2026-01-15)")), "{blocks}");

    // The library's customer page, HTML-escaped.
    let id: i64 = sqlx::query_scalar("select id from customers").fetch_one(app.db.pool()).await.expect("id");
    let browser = app.signed_in_browser().await;
    let html =
        browser.get(app.url(&format!("/customers/{id}"))).send().await.expect("page").text().await.expect("html");
    assert!(html.contains(&format!(" with {INTERVIEWEE_ESCAPED}")), "{html}");
    assert!(!html.contains("<Lee>"), "{html}");
}

on_both_backends!(an_interviewee_too_long_is_refused_on_its_field_and_nothing_is_stored);
async fn an_interviewee_too_long_is_refused_on_its_field_and_nothing_is_stored(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    app.slash("help").await;
    let chat = area_id(&app, "chat").await;
    let values = json!({
        "customer": value("Acme"),
        "interview_date": { "value": { "type": "datepicker", "selected_date": "2026-01-15" } },
        "interviewee": value(&"x".repeat(151)),
        "area_0": selected(&chat), "quote_0": value("We need it"),
    });
    let body: Value = app.interaction(&submission(values, 1)).await.json().await.expect("JSON");
    assert_eq!(body["response_action"], "errors", "{body}");
    assert!(body["errors"]["interviewee"].as_str().expect("on its block").contains("150 characters"), "{body}");
    assert_eq!(app.count("highlights").await, 0);
    assert_eq!(app.count("interviews").await, 0);
}
