//! Privacy (docs/design.md, Behaviour): e-mail addresses and phone numbers
//! are scrubbed from what is captured, in every capture path, before it is
//! stored or posted, unless the workspace turns it off.

use serde_json::{json, Value};

use crate::capture::{area_id, selected, submission, value};
use crate::on_both_backends;
use crate::support::db::TestBackend;
use crate::support::{ephemeral, fixture_json, TestApp, PRODUCT_CHANNEL, TEAM, USER};

const SAID: &str = "Write to ann.lee@acme.io or call +1 415 555 0100 before 2026-12-05, v2.3 is fine";
const STORED: &str = "Write to [email] or call [phone] before 2026-12-05, v2.3 is fine";

async fn quotes(app: &TestApp) -> Vec<(String, Option<String>)> {
    sqlx::query_as("select quote, takeaway from highlights order by id").fetch_all(app.db.pool()).await.expect("rows")
}

fn product_channel(app: &TestApp) -> String {
    serde_json::to_string(&app.slack.messages_in(PRODUCT_CHANNEL)).expect("JSON")
}

on_both_backends!(a_quick_capture_is_stored_and_posted_without_addresses_or_numbers);
async fn a_quick_capture_is_stored_and_posted_without_addresses_or_numbers(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let saved = ephemeral(app.slash(&format!("Acme | chat | {SAID}")).await).await;
    assert!(saved.starts_with("✅ Saved"), "{saved}");
    assert!(saved.contains("1 e-mail address and 1 phone number as `[email]` and `[phone]`"), "says what: {saved}");
    assert_eq!(quotes(&app).await, vec![(STORED.to_owned(), None)]);
    app.drain().await;
    let posted = product_channel(&app);
    assert!(posted.contains("[email]") && posted.contains("[phone]"), "{posted}");
    assert!(!posted.contains("ann.lee@acme.io") && !posted.contains("555 0100"), "{posted}");
    // Nothing to scrub, nothing said about it.
    let saved = ephemeral(app.slash("Acme | chat | Exports time out").await).await;
    assert!(!saved.contains("🔒"), "{saved}");
}

on_both_backends!(a_form_scrubs_every_quote_and_takeaway);
async fn a_form_scrubs_every_quote_and_takeaway(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    app.slash("help").await; // records the workspace and its areas
    let chat = area_id(&app, "chat").await;
    let values = json!({
        "customer": value("Globex"),
        "interview_date": { "value": { "type": "datepicker", "selected_date": "2026-01-15" } },
        "area_0": selected(&chat), "kind_0": selected("pain"), "quote_0": value(SAID),
        "takeaway_0": value("Ask bob@globex.com, 020 7946 0958"),
        "area_1": selected(&chat), "kind_1": selected("request"), "quote_1": value("Ping me at (415) 555-0199"),
    });
    let resp = app.interaction(&submission(values, 2)).await;
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(body["response_action"], "update", "{body}");
    assert!(body["view"].to_string().contains("2 e-mail addresses and 3 phone numbers"), "{body}");
    assert_eq!(
        quotes(&app).await,
        vec![(STORED.to_owned(), Some("Ask [email], [phone]".to_owned())), ("Ping me at [phone]".to_owned(), None)]
    );
}

on_both_backends!(a_triaged_message_is_stored_without_addresses_or_numbers);
async fn a_triaged_message_is_stored_without_addresses_or_numbers(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    app.slash("help").await;
    let mut shortcut = fixture_json(include_str!("../fixtures/requests/message_action.save_as_highlight.json"));
    shortcut["callback_id"] = json!("triage_feedback");
    shortcut["message"]["text"] = json!(SAID);
    assert_eq!(app.interaction(&shortcut).await.status(), 200);
    let opened = app.slack.wait_for_ok_calls("views.open", 1).await;
    let view = opened[0].args["view"].clone();
    let option = |v: Value| json!({ "value": { "type": "static_select", "selected_option": { "text": { "type": "plain_text", "text": "x" }, "value": v } } });
    let area = area_id(&app, "chat").await;
    let submitted = json!({
        "type": "view_submission", "team": { "id": TEAM, "domain": "acme" },
        "user": { "id": USER, "username": "alice", "team_id": TEAM }, "api_app_id": "A0APP00001", "token": "t", "trigger_id": "1.2.3",
        "view": { "id": "V1", "team_id": TEAM, "type": "modal", "callback_id": "triage", "hash": "1",
                  "private_metadata": view["private_metadata"].clone(), "title": { "type": "plain_text", "text": "Triage" }, "blocks": [],
                  "state": { "values": { "area": option(json!(area)), "kind": option(json!("request")) } } },
    });
    let body: Value = app.interaction(&submitted).await.json().await.expect("JSON");
    assert!(body["view"].to_string().contains("1 e-mail address and 1 phone number"), "{body}");
    let stored: String =
        sqlx::query_scalar("select message_text from feedback_items").fetch_one(app.db.pool()).await.expect("item");
    assert_eq!(stored, STORED);
}

on_both_backends!(with_scrubbing_off_a_capture_is_kept_as_typed_and_only_a_manager_turns_it_off);
async fn with_scrubbing_off_a_capture_is_kept_as_typed_and_only_a_manager_turns_it_off(backend: TestBackend) {
    let app = TestApp::spawn_with(backend, |args| args.managers = Some("U0MANAGER1".into())).await;
    let refused = ephemeral(app.slash("config pii-scrub off").await).await;
    assert!(refused.contains("manager") || refused.contains("admin"), "{refused}");
    let body = app.slash_body("config pii-scrub off").replace(USER, "U0MANAGER1");
    let said = ephemeral(app.post_signed("/slack/commands", "application/x-www-form-urlencoded", body).await).await;
    assert!(said.contains("PII scrubbing is off"), "{said}");
    let saved = ephemeral(app.slash(&format!("Acme | chat | {SAID}")).await).await;
    assert!(!saved.contains("🔒"), "{saved}");
    assert_eq!(quotes(&app).await, vec![(SAID.to_owned(), None)]);
    let wrong = ephemeral(app.slash("config pii-scrub sometimes").await).await;
    assert!(wrong.contains("config pii-scrub sometimes"), "echoes what was typed: {wrong}");
}

async fn links(app: &TestApp) -> Vec<(Option<String>, Option<i64>)> {
    sqlx::query_as("select recording_link, recording_at from highlights order by id")
        .fetch_all(app.db.pool())
        .await
        .expect("rows")
}

on_both_backends!(recording_links_past_the_retention_go_from_storage_and_from_their_posts);
async fn recording_links_past_the_retention_go_from_storage_and_from_their_posts(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let saved = ephemeral(app.slash("Acme | chat | Exports time out | https://zoom.us/rec/42 @ 12:34").await).await;
    assert!(saved.starts_with("✅ Saved"), "{saved}");
    app.drain().await;
    let posts: Vec<Value> = app.slack.ok_calls_to("chat.postMessage").into_iter().map(|call| call.args).collect();
    assert!(serde_json::to_string(&posts).expect("JSON").contains("zoom.us/rec/42"), "posted with its link first");
    let said = ephemeral(app.slash("config retention recordings 30").await).await;
    assert!(said.contains("kept 30 days"), "{said}");
    // The first pass finds nothing old enough.
    app.drain().await;
    assert_eq!(links(&app).await, vec![(Some("https://zoom.us/rec/42".to_owned()), Some(754))]);

    // A month later, a new capture with a link; the next daily pass takes the old link only.
    app.advance(std::time::Duration::from_secs(31 * 24 * 60 * 60));
    let saved = ephemeral(app.slash("Acme | chat | Search is slow | https://zoom.us/rec/43").await).await;
    assert!(saved.starts_with("✅ Saved"), "{saved}");
    crate::support::eventually("the daily pass to remove the old link", || async {
        links(&app).await.first() == Some(&(None, None))
    })
    .await;
    assert_eq!(links(&app).await[1], (Some("https://zoom.us/rec/43".to_owned()), None), "a recent link stays");
    let interview_links: Vec<Option<String>> = sqlx::query_scalar("select recording_link from interviews order by id")
        .fetch_all(app.db.pool())
        .await
        .expect("rows");
    assert_eq!(interview_links[0], None, "the interview's link goes too");
    app.drain().await;
    let updates = app.slack.ok_calls_to("chat.update");
    let reply_update = updates
        .iter()
        .find(|call| call.args.to_string().contains("Exports time out"))
        .expect("the old highlight's reply was updated");
    let shown = reply_update.args.to_string();
    assert!(!shown.contains("zoom.us/rec/42") && !shown.contains("12:34"), "{shown}");

    // Off: links are kept again.
    let said = ephemeral(app.slash("config retention recordings off").await).await;
    assert!(said.contains("kept for good"), "{said}");
    app.advance(std::time::Duration::from_secs(400 * 24 * 60 * 60));
    let saved = ephemeral(app.slash("Acme | chat | Tags are missing").await).await;
    assert!(saved.starts_with("✅ Saved"), "{saved}");
    app.drain().await;
    assert_eq!(links(&app).await[1], (Some("https://zoom.us/rec/43".to_owned()), None));
}
