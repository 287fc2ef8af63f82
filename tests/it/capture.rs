//! Capture, end to end through HTTP and the fake Slack: the quick capture, the
//! modal, the shortcut, threads per customer, escaping, and durable posting
//! through 429s, 5xx, a crash, a missing channel and a channel the bot is not in.

use std::time::Duration;

use serde_json::{json, Value};

use crate::on_both_backends;
use crate::support::clicks::Click;
use crate::support::db::TestBackend;
use crate::support::fake_slack::{Call, FakeSlack, Fault, Hold};
use crate::support::{ephemeral, fixture_json, test_timing, TestApp, PRODUCT_CHANNEL, TEAM, USER};
use highlights::config::Timing;

pub(crate) fn replies(calls: &[Call]) -> Vec<&Call> {
    calls.iter().filter(|c| c.ok && c.args.get("thread_ts").is_some()).collect()
}

fn parents(calls: &[Call]) -> Vec<&Call> {
    calls.iter().filter(|c| c.ok && c.args.get("thread_ts").is_none()).collect()
}

/// Waits until the outbox has finished everything due.
pub(crate) async fn drained(app: &TestApp) {
    app.drain().await;
}

on_both_backends!(quick_capture_posts_parent_then_reply_and_updates_the_parent);
async fn quick_capture_posts_parent_then_reply_and_updates_the_parent(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let text = ephemeral(app.slash(r#"Acme | chat | "We need canned replies""#).await).await;
    assert!(text.contains("*Acme*") && text.contains("*chat*"), "{text}");
    assert!(text.contains(&format!("<#{PRODUCT_CHANNEL}>")), "{text}");
    assert_eq!(app.count("highlights").await, 1, "stored before the ack");

    let posts = app.slack.wait_for_ok_calls("chat.postMessage", 2).await;
    let (parent, reply) = (&posts[0], &posts[1]);
    assert_eq!(parent.args["channel"], PRODUCT_CHANNEL);
    assert!(parent.args.get("thread_ts").is_none(), "the parent is posted first");
    assert!(parent.args["text"].as_str().expect("text").starts_with("Acme: 1 highlight"));
    assert_eq!(reply.args["channel"], PRODUCT_CHANNEL);
    let blocks = reply.args["blocks"].to_string();
    assert!(blocks.contains(">We need canned replies"), "{blocks}");
    // The interviewer is credited by the name Slack shows, not pinged.
    assert!(blocks.contains("🎙 spengler"), "{blocks}");
    assert!(!blocks.contains(&format!("<@{USER}>")), "{blocks}");
    assert_eq!(reply.args["reply_broadcast"], true, "the first highlight in an area reaches the channel");

    let updates = app.slack.wait_for_ok_calls("chat.update", 1).await;
    assert_eq!(updates[0].args["channel"], PRODUCT_CHANNEL);
    drained(&app).await;
    let parent_ts = app.thread_ts_of("Acme").await.expect("a thread");
    assert_eq!(reply.args["thread_ts"], parent_ts.as_str());
    assert_eq!(updates[0].args["ts"], parent_ts.as_str());
    let (posted_ts, permalink): (Option<String>, Option<String>) =
        sqlx::query_as("select posted_ts, permalink from highlights").fetch_one(app.db.pool()).await.expect("row");
    assert!(posted_ts.is_some());
    assert!(permalink.expect("permalink recorded").contains(PRODUCT_CHANNEL));
}

on_both_backends!(a_new_product_channel_gets_its_own_thread_for_a_customer);
async fn a_new_product_channel_gets_its_own_thread_for_a_customer(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    assert!(ephemeral(app.slash("Acme | chat | First").await).await.starts_with("✅ Saved"));
    app.slack.wait_for_ok_calls("chat.postMessage", 2).await;
    drained(&app).await;
    let text = ephemeral(app.slash("config channel <#C0PRODUCT2|product>").await).await;
    assert!(text.contains("<#C0PRODUCT2>"), "{text}");
    assert!(!text.contains("were waiting"), "nothing was waiting: {text}");

    assert!(ephemeral(app.slash("Acme | chat | Second").await).await.starts_with("✅ Saved"));
    app.slack.wait_for_ok_calls("chat.postMessage", 4).await;
    drained(&app).await;
    let calls = app.slack.ok_calls_to("chat.postMessage");
    let in_new: Vec<&Call> = calls.iter().filter(|c| c.args["channel"] == "C0PRODUCT2").collect();
    assert_eq!(in_new.len(), 2, "a parent and a reply in the new channel: {in_new:?}");
    assert!(in_new[0].args.get("thread_ts").is_none(), "the customer's thread starts again there");
    let (channel, ts): (String, String) = sqlx::query_as("select thread_channel, thread_ts from customers")
        .fetch_one(app.db.pool())
        .await
        .expect("thread");
    assert_eq!(channel, "C0PRODUCT2");
    assert_eq!(in_new[1].args["thread_ts"], ts.as_str(), "the reply goes into the new thread");
}

on_both_backends!(permalinks_are_asked_once_per_kind_then_built_as_slack_gives_them);
async fn permalinks_are_asked_once_per_kind_then_built_as_slack_gives_them(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    for (i, text) in ["Acme | chat | We need canned replies", "Acme | chat | Search is slow", "Globex | chat | Exports"]
        .into_iter()
        .enumerate()
    {
        assert!(ephemeral(app.slash(text).await).await.starts_with("✅ Saved"), "capture {i}");
        // One at a time: the first thread's parent and reply teach the shapes.
        app.slack.wait_for_ok_calls("chat.postMessage", [2, 3, 5][i]).await;
        drained(&app).await;
    }
    // Asked for the first parent and the first reply; built for the rest.
    assert_eq!(app.slack.ok_calls_to("chat.getPermalink").len(), 2);

    let mut stored: Vec<(String, String, String)> = sqlx::query_as(
        "select posted_channel, posted_ts, permalink from highlights
         union all select thread_channel, thread_ts, thread_permalink from customers",
    )
    .fetch_all(app.db.pool())
    .await
    .expect("links");
    assert_eq!(stored.len(), 5, "three replies and two parents, each with its link");
    // Each link is the one Slack itself gives for that message.
    let http = reqwest::Client::new();
    for (channel, ts, link) in stored.drain(..) {
        let answer: Value = http
            .get(format!("{}/chat.getPermalink", app.slack.api_url()))
            .query(&[("channel", channel.as_str()), ("message_ts", ts.as_str())])
            .bearer_auth(crate::support::fake_slack::BOT_TOKEN)
            .send()
            .await
            .expect("asked")
            .json()
            .await
            .expect("json");
        assert_eq!(answer["permalink"], link.as_str(), "the link of {ts}");
    }
}

on_both_backends!(three_spellings_of_one_customer_share_one_thread);
async fn three_spellings_of_one_customer_share_one_thread(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    for (customer, quote) in [("Acme", "one"), ("acme inc.", "two"), (" ACME  Corp ", "three")] {
        ephemeral(app.slash(&format!("{customer} | chat | {quote}")).await).await;
    }
    ephemeral(app.slash("Acme | billing | four").await).await;
    app.slack.wait_for_ok_calls("chat.postMessage", 5).await;
    drained(&app).await;
    let posts = app.slack.ok_calls_to("chat.postMessage");
    assert_eq!(parents(&posts).len(), 1, "one thread: {posts:#?}");
    let replies = replies(&posts);
    assert_eq!(replies.len(), 4);
    let thread = &replies[0].args["thread_ts"];
    assert!(replies.iter().all(|r| &r.args["thread_ts"] == thread));
    let broadcast: Vec<bool> = replies.iter().map(|r| r.args["reply_broadcast"] == true).collect();
    assert_eq!(broadcast, vec![true, false, false, true], "first of each area only");
    assert_eq!(app.count("customers").await, 1);
    assert_eq!(app.count("interviews").await, 1, "same person, customer and day: one interview");
    let last_update = app.slack.ok_calls_to("chat.update").last().cloned().expect("parent updated");
    let summary = last_update.args["text"].as_str().expect("text");
    assert!(summary.starts_with("Acme: 4 highlights from 1 interview"), "{summary}");
    assert!(summary.contains("chat 3") && summary.contains("billing 1"), "{summary}");
}

on_both_backends!(user_text_is_escaped_and_pings_nobody);
async fn user_text_is_escaped_and_pings_nobody(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    // As Slack sends it with should_escape: typed <, >, & arrive escaped; mentions and links as entities.
    let typed = "Tom &amp; Co | chat | &lt;!channel&gt; ask <@U0123ABCD|bob> about <https://x.io/a|the doc> &amp; more";
    ephemeral(app.slash(typed).await).await;
    let posts = app.slack.wait_for_ok_calls("chat.postMessage", 2).await;
    let quote_block = posts[1].args["blocks"][0]["text"]["text"].as_str().expect("quote").to_owned();
    assert_eq!(quote_block, ">&lt;!channel&gt; ask @bob about the doc (https://x.io/a) &amp; more");
    let everything = serde_json::to_string(&posts).expect("json");
    assert!(!everything.contains("<!channel>"), "nobody is pinged");
    assert!(!everything.contains("<@U0123ABCD>"), "nobody is mentioned");
    assert!(posts[0].args["blocks"].to_string().contains("Tom & Co"), "plain-text header shows the name");
    let stored: String =
        sqlx::query_scalar("select quote from highlights").fetch_one(app.db.pool()).await.expect("quote");
    assert_eq!(stored, "<!channel> ask @bob about the doc (https://x.io/a) & more", "stored decoded");
}

on_both_backends!(a_recording_link_after_the_last_bar_is_kept);
async fn a_recording_link_after_the_last_bar_is_kept(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    ephemeral(app.slash("Acme | chat | either this | or that | <https://zoom.us/rec/1?t=30>").await).await;
    let (quote, link): (String, Option<String>) =
        sqlx::query_as("select quote, recording_link from highlights").fetch_one(app.db.pool()).await.expect("row");
    assert_eq!(quote, "either this | or that");
    assert_eq!(link.as_deref(), Some("https://zoom.us/rec/1?t=30"));
    let posts = app.slack.wait_for_ok_calls("chat.postMessage", 2).await;
    assert!(posts[1].args["blocks"].to_string().contains("<https://zoom.us/rec/1?t=30|Recording>"));
}

on_both_backends!(an_unknown_area_is_refused_with_suggestions_and_the_text_echoed);
async fn an_unknown_area_is_refused_with_suggestions_and_the_text_echoed(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let text = ephemeral(app.slash("Acme | chta | We need canned replies").await).await;
    assert!(text.contains("no product area “chta”"), "{text}");
    assert!(text.contains("`chat`"), "closest area suggested: {text}");
    assert!(text.contains("/highlight Acme | chta | We need canned replies"), "echoed: {text}");
    assert_eq!(app.count("highlights").await, 0);
    assert_eq!(app.count("customers").await, 0);
}

on_both_backends!(a_wrong_shape_gets_usage_and_the_text_back);
async fn a_wrong_shape_gets_usage_and_the_text_back(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let text = ephemeral(app.slash(" | We need canned replies").await).await;
    assert!(text.contains("customer name is empty"), "{text}");
    assert!(text.contains("/highlight Acme | chat | \"We need canned replies\""), "example: {text}");
    assert!(text.contains("/highlight | We need canned replies"), "echo: {text}");
    let text = ephemeral(app.slash("Acme | chat |   ").await).await;
    assert!(text.contains("quote is empty"), "{text}");
    assert_eq!(app.count("highlights").await, 0);
}

on_both_backends!(rate_limited_posts_wait_and_post_once);
async fn rate_limited_posts_wait_and_post_once(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    app.slack.fail_next("chat.postMessage", Fault::RateLimited { retry_after_secs: 1 }, 2);
    let started = std::time::Instant::now();
    ephemeral(app.slash("Acme | chat | slow down").await).await;
    app.slack.wait_for_ok_calls("chat.postMessage", 2).await;
    drained(&app).await;
    assert!(started.elapsed() >= Duration::from_secs(2), "Retry-After was honoured: {:?}", started.elapsed());
    let posts = app.slack.calls_to("chat.postMessage");
    assert_eq!(posts.iter().filter(|c| !c.ok).count(), 2);
    assert_eq!(parents(&posts).len(), 1);
    assert_eq!(replies(&posts).len(), 1, "posted once");
    let metrics = app.http.get(app.url("/metrics")).send().await.expect("sent").text().await.expect("text");
    assert!(metrics.contains(r#"highlights_outbox_runs_total{kind="post_highlight",outcome="paused"} 2"#), "{metrics}");
    // Waiting out a pause is not a failed attempt: it does not lengthen later backoffs.
    assert_eq!(app.outbox_rows_of("post_highlight").await[0].attempts, 1);
    assert!(metrics.contains(r#"highlights_outbox_runs_total{kind="post_highlight",outcome="done"} 1"#), "{metrics}");
}

on_both_backends!(server_errors_and_a_crash_still_post_every_highlight_exactly_once);
async fn server_errors_and_a_crash_still_post_every_highlight_exactly_once(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    app.slack.fail_next("chat.postMessage", Fault::Status(503), 1000);
    for (i, customer) in ["Acme", "Globex", "Initech"].iter().enumerate() {
        ephemeral(app.slash(&format!("{customer} | chat | quote {i}")).await).await;
    }
    app.slack.wait_for_calls("chat.postMessage", 4).await;
    assert!(app.slack.ok_calls_to("chat.postMessage").is_empty());
    // The process dies mid-retry, with rows in flight.
    let app = app.crash_and_restart().await;
    app.slack.fail_next("chat.postMessage", Fault::Status(503), 0);
    app.slack.clear_faults();
    app.slack.wait_for_ok_calls("chat.postMessage", 6).await;
    drained(&app).await;
    let posts = app.slack.ok_calls_to("chat.postMessage");
    assert_eq!(parents(&posts).len(), 3, "{posts:#?}");
    let mut quotes: Vec<String> =
        replies(&posts).iter().map(|r| r.args["blocks"][0]["text"]["text"].as_str().unwrap_or("").to_owned()).collect();
    quotes.sort();
    assert_eq!(quotes, vec![">quote 0", ">quote 1", ">quote 2"], "each exactly once");
    assert_eq!(app.count_where("highlights", "posted_ts is null").await, 0);
}

on_both_backends!(a_hanging_slack_is_cut_off_and_retried);
async fn a_hanging_slack_is_cut_off_and_retried(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    app.slack.fail_next("chat.postMessage", Fault::Hang, 1);
    ephemeral(app.slash("Acme | chat | patience").await).await;
    app.slack.wait_for_ok_calls("chat.postMessage", 2).await;
    drained(&app).await;
    assert_eq!(replies(&app.slack.ok_calls_to("chat.postMessage")).len(), 1);
}

on_both_backends!(a_call_slack_holds_holds_up_only_its_own_customer);
/// The outbox claims work as rows finish, not batch by batch: a post Slack
/// holds does not hold up other customers' posts queued after it, while the
/// held customer's next highlight waits its turn, in order.
async fn a_call_slack_holds_holds_up_only_its_own_customer(backend: TestBackend) {
    let slack = FakeSlack::start().await;
    let hold = Hold::new();
    slack.fail_next("chat.postMessage", Fault::Held(hold.clone()), 1);
    // The held call is not cut off while the test runs.
    let timing =
        Timing { slack_timeout: Duration::from_secs(60), outbox_lease: Duration::from_secs(120), ..test_timing() };
    let app = TestApp::spawn_with_timing(backend, slack, timing).await;
    ephemeral(app.slash("Held Co | chat | first words").await).await;
    let held = app.slack.wait_for_calls("chat.postMessage", 1).await;
    assert!(held[0].args["text"].as_str().expect("text").starts_with("Held Co"), "{:?}", held[0].args);
    ephemeral(app.slash("Held Co | chat | second words").await).await;
    ephemeral(app.slash("Flowing Inc | chat | moves on").await).await;

    let posted = app.slack.wait_for_ok_calls("chat.postMessage", 2).await;
    let posted: Vec<String> = posted.iter().map(|c| c.args.to_string()).collect();
    assert!(posted[0].contains("Flowing Inc") && posted[1].contains("moves on"), "{posted:#?}");
    assert!(!posted.iter().any(|p| p.contains("Held Co") || p.contains("words")), "{posted:#?}");

    hold.release();
    app.slack.wait_for_ok_calls("chat.postMessage", 5).await;
    drained(&app).await;
    let posts = app.slack.ok_calls_to("chat.postMessage");
    assert_eq!(parents(&posts).len(), 2, "{posts:#?}");
    let held_thread: Vec<String> = replies(&posts)
        .iter()
        .filter(|r| r.args.to_string().contains("words"))
        .map(|r| r.args["text"].as_str().expect("text").to_owned())
        .collect();
    assert_eq!(held_thread.len(), 2, "{held_thread:?}");
    assert!(held_thread[0].contains("first words") && held_thread[1].contains("second words"), "{held_thread:?}");
}

on_both_backends!(without_a_channel_highlights_wait_until_one_is_set);
async fn without_a_channel_highlights_wait_until_one_is_set(backend: TestBackend) {
    let app = TestApp::spawn_with(backend, |_| {}).await;
    let text = ephemeral(app.slash("Acme | chat | waiting").await).await;
    assert!(text.contains("No product channel is set yet"), "{text}");
    assert!(text.contains("/highlight config channel #channel"), "{text}");
    // The author is told once, by DM; nothing reaches a channel.
    let dms = app.slack.wait_for_ok_calls("chat.postMessage", 1).await;
    assert_eq!(dms[0].args["channel"], USER);
    assert!(dms[0].args["text"].as_str().expect("text").contains("no product channel is set"));
    ephemeral(app.slash("Globex | chat | also waiting").await).await;
    drained(&app).await;
    assert_eq!(app.slack.ok_calls_to("chat.postMessage").len(), 1, "told once, nothing posted");
    // Their park ends: they look again, find no channel, and wait again, the
    // author not told twice.
    let parked = app.slack.calls_to("chat.postMessage").len();
    app.run_pending_jobs().await;
    assert_eq!(app.slack.calls_to("chat.postMessage").len(), parked, "nothing new tried in a channel");
    assert_eq!(app.slack.ok_calls_to("chat.postMessage").len(), 1, "still told once, nothing posted");
    let attempts = app.outbox_rows_of("post_highlight").await.iter().map(|row| row.attempts).max().unwrap_or(0);
    assert!(attempts >= 1, "the parked posts ran again: {attempts}");

    let text = ephemeral(app.slash("config channel <#C0PRODUCT2|product>").await).await;
    assert!(text.contains("<#C0PRODUCT2>"), "{text}");
    assert!(text.contains("Highlights that were waiting are being posted now."), "{text}");
    app.slack.wait_for_ok_calls("chat.postMessage", 5).await;
    drained(&app).await;
    let posts = app.slack.ok_calls_to("chat.postMessage");
    let in_channel: Vec<&Call> = posts.iter().filter(|c| c.args["channel"] == "C0PRODUCT2").collect();
    assert_eq!(in_channel.len(), 4, "two parents and two replies: {posts:#?}");
}

on_both_backends!(a_bot_outside_the_channel_joins_it_once_and_posts);
async fn a_bot_outside_the_channel_joins_it_once_and_posts(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    app.slack.fail_next("chat.postMessage", Fault::Error("not_in_channel"), 1);
    ephemeral(app.slash("Acme | chat | let me in").await).await;
    app.slack.wait_for_ok_calls("chat.postMessage", 2).await;
    let joins = app.slack.ok_calls_to("conversations.join");
    assert_eq!(joins.len(), 1);
    assert_eq!(joins[0].args["channel"], PRODUCT_CHANNEL);
}

on_both_backends!(a_channel_the_bot_cannot_join_tells_the_author_and_waits);
async fn a_channel_the_bot_cannot_join_tells_the_author_and_waits(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    app.slack.fail_next("chat.postMessage", Fault::Error("not_in_channel"), 1);
    app.slack.fail_next("conversations.join", Fault::Error("method_not_supported_for_channel_type"), 1);
    ephemeral(app.slash("Acme | chat | private channel").await).await;
    let dm = app.slack.wait_for_ok_calls("chat.postMessage", 1).await;
    assert_eq!(dm[0].args["channel"], USER);
    assert!(dm[0].args["text"].as_str().expect("text").contains("/invite @highlights"), "{dm:#?}");
    assert_eq!(app.outbox_rows_of("post_highlight").await[0].status, "pending", "the highlight waits");
}

on_both_backends!(an_empty_command_opens_the_capture_modal);
async fn an_empty_command_opens_the_capture_modal(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let resp = app.slash("").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.expect("body"), "", "an empty ack");
    let opens = app.slack.wait_for_ok_calls("views.open", 1).await;
    assert_eq!(opens[0].args["trigger_id"], "1234567890.1234567890.0123456789abcdef0123456789abcdef");
    let view = &opens[0].args["view"];
    let labels: Vec<&str> =
        view["blocks"].as_array().expect("blocks").iter().filter_map(|b| b["label"]["text"].as_str()).collect();
    for label in ["Customer", "Interview date", "Recording link", "Product area", "Quote", "Takeaway"] {
        assert!(labels.contains(&label), "{label}: {labels:?}");
    }
    let areas = view.to_string();
    assert!(areas.contains("\"billing\"") && areas.contains("\"reporting\""), "workspace areas offered");
}

on_both_backends!(an_expired_trigger_tells_the_user_through_response_url);
async fn an_expired_trigger_tells_the_user_through_response_url(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    app.slack.fail_next("views.open", Fault::Error("expired_trigger_id"), 1);
    app.slash("").await;
    let answers = app.slack.wait_for_calls("response_url", 1).await;
    assert!(answers[0].args["body"]["text"].as_str().expect("text").contains("couldn't open the capture form"));
}

on_both_backends!(a_submission_that_fails_on_our_side_keeps_the_form_open);
async fn a_submission_that_fails_on_our_side_keeps_the_form_open(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let values = json!({ "customer": value("Acme"), "quote_0": value("kept as typed") });
    // The database goes away: Slack gets the form's errors, never a bare 500.
    app.db.close().await;
    let resp = app.interaction(&submission(values, 1)).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(body["response_action"], "errors", "{body}");
    let errors = body["errors"].as_object().expect("errors");
    assert_eq!(errors.len(), 1, "{body}");
    assert!(errors.values().all(|e| e.as_str().expect("text").contains("something went wrong")), "{body}");
    assert!(!errors.contains_key(""), "on a block of the form: {body}");
}

pub(crate) fn submission(values: Value, highlights: usize) -> Value {
    json!({
        "type": "view_submission",
        "team": { "id": TEAM, "domain": "acme" },
        "user": { "id": USER, "username": "alice", "team_id": TEAM },
        "api_app_id": "A0APP00001",
        "token": "t",
        "trigger_id": "1.2.3",
        "view": {
            "id": "V0VIEW0001", "team_id": TEAM, "type": "modal", "callback_id": "capture",
            "private_metadata": crate::support::opened_metadata("capture", &format!("{{\"highlights\":{highlights}}}")),
            "title": { "type": "plain_text", "text": "Capture highlights" },
            "blocks": [], "hash": "1.a",
            "state": { "values": values },
        },
    })
}

/// An area's id, as a form's option carries it.
pub(crate) async fn area_id(app: &TestApp, name: &str) -> String {
    app.area_id(name).await.to_string()
}

pub(crate) fn value(v: &str) -> Value {
    json!({ "value": { "type": "plain_text_input", "value": v } })
}

pub(crate) fn selected(v: &str) -> Value {
    json!({ "value": { "type": "static_select",
                       "selected_option": { "text": { "type": "plain_text", "text": v, "emoji": true }, "value": v } } })
}

on_both_backends!(a_modal_submission_stores_every_highlight_and_posts_them);
async fn a_modal_submission_stores_every_highlight_and_posts_them(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    app.slash("help").await; // records the workspace and its areas
    let (chat, billing) = (area_id(&app, "chat").await, area_id(&app, "billing").await);
    let values = json!({
        "customer": value("Globex Corporation"),
        "interview_date": { "value": { "type": "datepicker", "selected_date": "2026-01-15" } },
        "recording_link": value("https://zoom.us/rec/9"),
        "area_0": selected(&chat), "kind_0": selected("pain"), "quote_0": value("Macros take forever"),
        "takeaway_0": value("Speed up macros"),
        "area_1": selected(&billing), "kind_1": selected("request"), "quote_1": value("Invoices in EUR please"),
        "takeaway_1": { "value": { "type": "plain_text_input", "value": null } },
    });
    let resp = app.interaction(&submission(values, 2)).await;
    let status = resp.status();
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["response_action"], "update");
    assert!(body["view"].to_string().contains("Saved 2 highlights for *Globex Corporation*"), "{body}");
    assert_eq!(app.count("highlights").await, 2);
    assert_eq!(app.count("interviews").await, 1);
    let (date, link): (String, Option<String>) =
        sqlx::query_as("select interview_date, recording_link from interviews")
            .fetch_one(app.db.pool())
            .await
            .expect("row");
    assert_eq!(date, "2026-01-15");
    assert_eq!(link.as_deref(), Some("https://zoom.us/rec/9"));
    app.slack.wait_for_ok_calls("chat.postMessage", 3).await;
    drained(&app).await;
    let posts = app.slack.ok_calls_to("chat.postMessage");
    let text = serde_json::to_string(&replies(&posts)).expect("json");
    assert!(text.contains("Macros take forever") && text.contains("Invoices in EUR please"));
    assert!(text.contains("Speed up macros") && text.contains("2026-01-15"));
    // Quick capture of the same customer by the same person another day is another interview.
    ephemeral(app.slash("globex | chat | again").await).await;
    assert_eq!(app.count("interviews").await, 2);
    assert_eq!(app.count("customers").await, 1);
}

on_both_backends!(an_invalid_modal_submission_gets_errors_on_the_right_blocks_and_stores_nothing);
async fn an_invalid_modal_submission_gets_errors_on_the_right_blocks_and_stores_nothing(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    app.slash("help").await;
    let chat = area_id(&app, "chat").await;
    let values = json!({
        "customer": value("Acme"),
        "interview_date": { "value": { "type": "datepicker", "selected_date": "2999-01-01" } },
        "recording_link": value("zoom.us/rec"),
        "area_0": selected("424242"), "kind_0": selected("pain"), "quote_0": value("   "),
        "area_1": selected(&chat), "kind_1": selected("pain"), "quote_1": value(&"x".repeat(3001)),
    });
    let resp = app.interaction(&submission(values, 2)).await;
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(body["response_action"], "errors");
    let errors = body["errors"].as_object().expect("errors");
    let mut keys: Vec<&str> = errors.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, vec!["area_0", "interview_date", "quote_0", "quote_1", "recording_link"]);
    assert!(errors["recording_link"].as_str().expect("msg").contains("http"));
    assert!(errors["interview_date"].as_str().expect("msg").contains("future"));
    assert_eq!(app.count("highlights").await, 0);
    assert_eq!(app.count("customers").await, 0);
}

on_both_backends!(save_as_highlight_opens_the_modal_with_the_message_as_the_quote);
async fn save_as_highlight_opens_the_modal_with_the_message_as_the_quote(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let mut payload = fixture_json(include_str!("../fixtures/requests/message_action.save_as_highlight.json"));
    payload["message"]["text"] = json!("They said &lt;we&gt; need <@U0123ABCD|bob> &amp; exports");
    assert_eq!(app.interaction(&payload).await.status(), 200);
    let opens = app.slack.wait_for_ok_calls("views.open", 1).await;
    assert_eq!(opens[0].args["trigger_id"], payload["trigger_id"]);
    let quote = opens[0].args["view"]["blocks"]
        .as_array()
        .expect("blocks")
        .iter()
        .find(|b| b["block_id"] == "quote_0")
        .expect("quote block")
        .clone();
    assert_eq!(quote["element"]["initial_value"], "They said <we> need @bob & exports");
}

on_both_backends!(add_another_highlight_updates_the_view_with_one_more_group);
async fn add_another_highlight_updates_the_view_with_one_more_group(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let form = json!({
        "id": "V0VIEW0001", "team_id": TEAM, "type": "modal", "callback_id": "capture", "hash": "1.abc",
        "private_metadata": crate::support::opened_metadata("capture", "{\"highlights\":1}"),
        "title": { "type": "plain_text", "text": "Capture highlights" }, "blocks": [],
    });
    app.click(&Click::button("add_highlight", "").in_block("add").on_view(form)).await;
    let updates = app.slack.wait_for_ok_calls("views.update", 1).await;
    assert_eq!(updates[0].args["view_id"], "V0VIEW0001");
    assert_eq!(updates[0].args["hash"], "1.abc");
    let view = updates[0].args["view"].to_string();
    assert!(view.contains("quote_1") && !view.contains("quote_2"), "{view}");
    assert!(view.contains("{\\\"highlights\\\":2}"), "{view}");
}

on_both_backends!(the_interview_date_is_today_where_the_workspace_is);
async fn the_interview_date_is_today_where_the_workspace_is(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    // UTC+14 and UTC-11: at least one of them is on another date than UTC, at any hour.
    for zone in ["Pacific/Kiritimati", "Pacific/Pago_Pago"] {
        let said = ephemeral(app.slash(&format!("config timezone {zone}")).await).await;
        assert!(said.contains(zone), "{said}");
        ephemeral(app.slash(&format!("Acme | chat | said in {zone}")).await).await;
        let date: String = sqlx::query_scalar(
            "select i.interview_date from highlights h join interviews i on i.id = h.interview_id where h.quote = $1",
        )
        .bind(format!("said in {zone}"))
        .fetch_one(app.db.pool())
        .await
        .expect("date");
        let expected = jiff::Timestamp::now().in_tz(zone).expect("zone").date().to_string();
        assert_eq!(date, expected, "{zone}");
    }
}

on_both_backends!(an_ok_but_unreadable_answer_is_not_posted_again);
async fn an_ok_but_unreadable_answer_is_not_posted_again(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    app.slack.fail_next("chat.postMessage", Fault::Unreadable, 1);
    ephemeral(app.slash("Acme | chat | said once").await).await;
    drained(&app).await;
    assert_eq!(app.outbox_rows_of("post_highlight").await[0].status, "failed", "kept for inspection, not retried");
    assert_eq!(app.slack.calls_to("chat.postMessage").len(), 1, "one call: Slack said ok");
}

#[tokio::test]
async fn without_a_name_from_slack_the_interviewer_is_mentioned() {
    let app = TestApp::spawn().await;
    app.slack.fail_next("users.info", Fault::Error("user_not_found"), 5);
    ephemeral(app.slash("Acme | chat | nameless").await).await;
    let posts = app.slack.wait_for_ok_calls("chat.postMessage", 2).await;
    assert!(posts[1].args["blocks"].to_string().contains(&format!("🎙 <@{USER}>")), "{:?}", posts[1].args);
}
