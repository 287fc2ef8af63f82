//! Trust at the edges: the app acts only for the workspace its bot token
//! belongs to; malformed team ids, Slack's certificate check and Enterprise
//! Grid payloads are each answered as Slack expects.

use serde_json::{json, Value};

use crate::on_both_backends;

use crate::support::db::TestBackend;
use crate::support::fake_slack::{now_ms, FakeSlack, Fault, Hold};
use crate::support::{ephemeral, fixture_json, TestApp, CHANNEL, PRODUCT_CHANNEL, TEAM, USER};

const OTHER_TEAM: &str = "T0OTHER001";

fn home_opened(team: &str, event_id: &str) -> Value {
    let mut envelope = fixture_json(include_str!("../fixtures/requests/event_callback.app_home_opened.json"));
    envelope["team_id"] = json!(team);
    envelope["event_id"] = json!(event_id);
    envelope
}

fn button_click(team: &str) -> Value {
    let mut payload = fixture_json(include_str!("../fixtures/requests/block_actions.message_button.json"));
    payload["team"]["id"] = json!(team);
    payload["user"]["team_id"] = json!(team);
    payload["actions"][0]["action_id"] = json!("home_my_report");
    payload
}

on_both_backends!(another_workspace_is_refused_and_changes_nothing);
async fn another_workspace_is_refused_and_changes_nothing(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    ephemeral(app.slash("help").await).await;
    app.drain().await;
    let calls_before = app.slack.calls().len();

    for text in
        ["Acme | chat | We need canned replies", "config channel <#C0THEIRS01|theirs>", "digest", "onboard me", ""]
    {
        let answer = ephemeral(app.slash_in(OTHER_TEAM, text).await).await;
        assert!(answer.contains("not installed in this workspace"), "{text}: {answer}");
    }
    assert_eq!(app.event(&home_opened(OTHER_TEAM, "Ev0OTHER001")).await.status(), 200);
    let click = app.interaction(&button_click(OTHER_TEAM)).await;
    assert_eq!(click.status(), 200);
    assert_eq!(click.text().await.expect("body"), "", "acknowledged, nothing else");
    app.drain().await;

    let workspaces: Vec<String> =
        sqlx::query_scalar("select id from workspaces").fetch_all(app.db.pool()).await.expect("ids");
    assert_eq!(workspaces, vec![TEAM.to_owned()]);
    for table in ["highlights", "customers", "interviews", "onboardees", "processed_events", "outbox", "digests"] {
        let theirs: i64 = sqlx::query_scalar(&format!("select count(*) from {table} where workspace_id <> $1"))
            .bind(TEAM)
            .fetch_one(app.db.pool())
            .await
            .expect("count");
        assert_eq!(theirs, 0, "{table}");
    }
    assert_eq!(app.count("highlights").await, 0);
    let channel = app.workspace_row().await.product_channel;
    assert_eq!(channel, None, "their config did not touch ours");
    let later: Vec<String> = app.slack.calls()[calls_before..].iter().map(|c| c.method.clone()).collect();
    assert!(later.is_empty(), "no Slack call on their behalf: {later:?}");

    // Ours still works, and posts into our channel.
    let saved = ephemeral(app.slash("Acme | chat | We need canned replies").await).await;
    assert!(saved.starts_with("✅ Saved"), "{saved}");
    let posts = app.slack.wait_for_ok_calls("chat.postMessage", 2).await;
    assert!(posts.iter().all(|c| c.args["channel"] == PRODUCT_CHANNEL));
}

on_both_backends!(malformed_team_ids_are_bad_requests_and_create_nothing);
async fn malformed_team_ids_are_bad_requests_and_create_nothing(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let long = "T".repeat(5000);
    for team in ["", " ", "../../x", "t0team0001", "T0TEAM 0001", long.as_str()] {
        let resp = app.slash_in(team, "Acme | chat | hello").await;
        assert_eq!(resp.status(), 400, "{team:?}");
        let body: Value = resp.json().await.expect("JSON error");
        assert_eq!(body["ok"], false);
        assert!(body["error"].as_str().expect("error").contains("team"), "{body}");
        let event = app.event(&home_opened(team, "Ev0BAD0001")).await;
        assert_eq!(event.status(), 400, "{team:?}");
    }
    assert_eq!(app.count("workspaces").await, 0);
    assert_eq!(app.count("processed_events").await, 0);
}

on_both_backends!(until_slack_names_the_tokens_workspace_requests_are_asked_to_retry);
async fn until_slack_names_the_tokens_workspace_requests_are_asked_to_retry(backend: TestBackend) {
    let slack = FakeSlack::start().await;
    slack.fail_next("auth.test", Fault::Status(503), 1000);
    let app = TestApp::spawn_against(backend, slack, |args| args.product_channel = Some(PRODUCT_CHANNEL.into())).await;

    let answer = ephemeral(app.slash("Acme | chat | We need canned replies").await).await;
    assert!(answer.contains("cannot confirm this workspace"), "{answer}");
    assert!(answer.contains("We need canned replies"), "what was typed comes back: {answer}");
    // Slack retries an event we answer with an error.
    assert_eq!(app.event(&home_opened(TEAM, "Ev0EARLY01")).await.status(), 503);
    assert_eq!(app.count("workspaces").await, 0);
    assert_eq!(app.count("highlights").await, 0);

    app.slack.clear_faults();
    let saved = ephemeral(app.slash("Acme | chat | We need canned replies").await).await;
    assert!(saved.starts_with("✅ Saved"), "{saved}");
    assert_eq!(app.event(&home_opened(TEAM, "Ev0EARLY01")).await.status(), 200);
    assert_eq!(app.count("processed_events").await, 1);
}

#[tokio::test]
async fn slacks_certificate_check_gets_an_empty_200() {
    let app = TestApp::spawn().await;
    let body = b"ssl_check=1&token=gIkuvaNzQIHg97ATvDxqgjtO".to_vec();
    let resp = app.post_with("/slack/commands", "application/x-www-form-urlencoded", body, None).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.expect("body"), "");
    assert_eq!(app.count("workspaces").await, 0);
    // Anything else unsigned is still refused.
    let body = app.slash_body("help").into_bytes();
    let resp = app.post_with("/slack/commands", "application/x-www-form-urlencoded", body, None).await;
    assert_eq!(resp.status(), 401);
}

on_both_backends!(enterprise_grid_payloads_are_read_not_refused);
async fn enterprise_grid_payloads_are_read_not_refused(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    // An organisation-wide install: `authorizations[].team_id` is null.
    let mut event = home_opened(TEAM, "Ev0GRID0001");
    event["enterprise_id"] = json!("E0ORG00001");
    event["is_ext_shared_channel"] = json!(false);
    event["authorizations"] = json!([{ "enterprise_id": "E0ORG00001", "team_id": null, "user_id": "U0BOTUSER1",
        "is_bot": true, "is_enterprise_install": true }]);
    assert_eq!(app.event(&event).await.status(), 200);
    assert_eq!(app.count("processed_events").await, 1);
    app.slack.wait_for_ok_calls("views.publish", 1).await;

    // Interactions from such an install carry `"team": null`; the user's team is the workspace.
    app.slash("Acme | chat | first").await;
    let suggestion = json!({
        "type": "block_suggestion", "action_id": "value", "block_id": "customer", "value": "ac",
        "team": null, "enterprise": { "id": "E0ORG00001", "name": "Acme Org" }, "is_enterprise_install": true,
        "user": { "id": USER, "team_id": TEAM }, "api_app_id": "A0APP00001", "token": "t",
        "container": { "type": "view", "view_id": "V1" },
        "view": { "type": "modal", "id": "V1", "team_id": TEAM, "title": { "type": "plain_text", "text": "Capture" },
                  "blocks": [] },
    });
    let resp = app.interaction(&suggestion).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(body["options"][0]["text"]["text"], "Acme", "{body}");
}

on_both_backends!(control_characters_are_cleaned_the_same_way_on_both_backends);
async fn control_characters_are_cleaned_the_same_way_on_both_backends(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    // NUL and other control characters anywhere in a capture: saved, without them.
    let saved =
        ephemeral(app.slash("Ac\u{0}me | chat | We need\u{0} canned\u{7} replies | https://x.io/r\u{0}ec").await).await;
    assert!(saved.starts_with("✅ Saved"), "{saved}");
    let (customer, quote, link): (String, String, Option<String>) = sqlx::query_as(
        "select c.display_name, h.quote, h.recording_link from highlights h join customers c on c.id = h.customer_id",
    )
    .fetch_one(app.db.pool())
    .await
    .expect("stored");
    assert_eq!((customer.as_str(), quote.as_str()), ("Acme", "We need canned replies"));
    assert_eq!(link.as_deref(), Some("https://x.io/rec"));
    // One name typed in two Unicode spellings, or with a zero-width space, is one customer.
    for name in [
        "Socie\u{301}te\u{301} Ge\u{301}ne\u{301}rale",
        "Soci\u{e9}t\u{e9} G\u{e9}n\u{e9}rale",
        "Soci\u{e9}t\u{e9}\u{200b} G\u{e9}n\u{e9}rale",
    ] {
        let saved = ephemeral(app.slash(&format!("{name} | chat | quote")).await).await;
        assert!(saved.starts_with("✅ Saved"), "{saved}");
    }
    assert_eq!(app.count("customers").await, 2);
    // A NUL in an event id or a team id is never a server error.
    let mut event = home_opened(TEAM, "Ev0NUL\u{0}001");
    assert_eq!(app.event(&event).await.status(), 200);
    event["team_id"] = json!("T0TEAM0001\u{0}");
    assert_eq!(app.event(&event).await.status(), 200, "cleaned: the same event, a redelivery");
    let ids: Vec<String> =
        sqlx::query_scalar("select event_id from processed_events").fetch_all(app.db.pool()).await.expect("ids");
    assert_eq!(ids, vec!["Ev0NUL001".to_owned()]);
}

/// Reads until the server closes the connection; what it sent before.
async fn until_closed(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt as _;
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    let closed = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the server keeps a slow client's connection open");
    String::from_utf8_lossy(&seen).into_owned()
}

#[tokio::test]
async fn slow_and_idle_clients_are_cut_off_and_health_checks_still_get_through() {
    use tokio::io::AsyncWriteExt as _;
    use tokio::net::TcpStream;
    let limits = highlights::config::HttpLimits {
        header_read: std::time::Duration::from_millis(300),
        body_read: std::time::Duration::from_millis(300),
        max_connections: 8,
    };
    let app = TestApp::spawn_with_limits(limits).await;
    // Every slot taken: clients that stop half-way through their headers or
    // body, and ones that connect and say nothing.
    let mut slow = Vec::new();
    for i in 0..8 {
        let mut stream = TcpStream::connect(app.addr).await.expect("connect");
        match i % 3 {
            0 => stream.write_all(b"POST /slack/commands HTTP/1.1\r\nHost: x\r\nContent-Ty").await.expect("write"),
            1 => stream
                .write_all(b"POST /slack/commands HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nteam_id=T")
                .await
                .expect("write"),
            _ => {}
        }
        slow.push((i, stream));
    }
    // A health check queued behind them is answered once the slow ones are cut off.
    let health = tokio::time::timeout(std::time::Duration::from_secs(10), app.http.get(app.url("/healthz")).send())
        .await
        .expect("answered while slow clients were connected")
        .expect("sent");
    assert_eq!(health.status(), 200);
    for (i, stream) in &mut slow {
        let answer = until_closed(stream).await;
        if *i % 3 == 1 {
            assert!(answer.starts_with("HTTP/1.1 408"), "a body that never came: {answer}");
        }
    }
    // A kept-alive connection left idle is closed too.
    let mut idle = TcpStream::connect(app.addr).await.expect("connect");
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("write");
    let answer = until_closed(&mut idle).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

on_both_backends!(a_permalink_slack_failed_to_give_is_asked_for_again);
async fn a_permalink_slack_failed_to_give_is_asked_for_again(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    // The thread parent's link and the reply's link each fail once.
    app.slack.fail_next("chat.getPermalink", Fault::Status(500), 2);
    let saved = ephemeral(app.slash("Acme | chat | We need canned replies").await).await;
    assert!(saved.starts_with("✅ Saved"), "{saved}");
    crate::support::eventually("both permalinks", || async {
        let highlight: Option<String> =
            sqlx::query_scalar("select permalink from highlights").fetch_one(app.db.pool()).await.expect("row");
        let thread: Option<String> =
            sqlx::query_scalar("select thread_permalink from customers").fetch_one(app.db.pool()).await.expect("row");
        highlight.is_some() && thread.is_some()
    })
    .await;
    app.drain().await;
    assert_eq!(app.slack.ok_calls_to("chat.getPermalink").len(), 2, "asked again once each, then never");
    assert_eq!(app.slack.ok_calls_to("chat.postMessage").len(), 2, "nothing posted twice");
}

on_both_backends!(a_429_pauses_the_channel_for_every_row_and_every_replica);
async fn a_429_pauses_the_channel_for_every_row_and_every_replica(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    // Slack limits the first post into the channel for 2 s.
    app.slack.fail_next("chat.postMessage", Fault::RateLimited { retry_after_secs: 2 }, 1);
    ephemeral(app.slash("Acme | chat | first").await).await;
    let limited_at = app.slack.wait_for_calls("chat.postMessage", 1).await[0].at_ms;
    crate::support::eventually("the pause to be shared through the database", || async {
        let until: Option<i64> = sqlx::query_scalar(
            "select until_ms from slack_pauses where workspace_id = $1 and method = 'chat.postMessage' and scope = $2",
        )
        .bind(TEAM)
        .bind(PRODUCT_CHANNEL)
        .fetch_optional(app.db.pool())
        .await
        .expect("read");
        until.is_some_and(|until| until >= limited_at + 2000)
    })
    .await;
    // Another customer's post (another row, another lane) waits for the pause too.
    ephemeral(app.slash("Globex | chat | second").await).await;
    let posts = app.slack.wait_for_ok_calls("chat.postMessage", 4).await;
    for post in &posts {
        assert!(post.at_ms >= limited_at + 2000, "posted {} ms into a 2 s pause", post.at_ms - limited_at);
    }
    let metrics = app.http.get(app.url("/metrics")).send().await.expect("sent").text().await.expect("text");
    assert!(metrics.contains(r#"highlights_slack_rate_limited_total{method="chat.postMessage"} 1"#), "{metrics}");

    // A pause another replica met (found only in the database) holds here too.
    app.drain().await;
    let until = now_ms() + 1500;
    sqlx::query(
        "insert into slack_pauses (workspace_id, method, scope, until_ms) values ($1, 'chat.update', '', $2)
                 on conflict (workspace_id, method, scope) do update set until_ms = excluded.until_ms",
    )
    .bind(TEAM)
    .bind(until)
    .execute(app.db.pool())
    .await
    .expect("paused");
    let updates_before = app.slack.calls_to("chat.update").len();
    ephemeral(app.slash("Acme | billing | third").await).await;
    let updates = app.slack.wait_for_ok_calls("chat.update", updates_before + 1).await;
    for update in &updates[updates_before..] {
        assert!(update.at_ms >= until, "updated {} ms before the pause ended", until - update.at_ms);
    }
}

/// Waits until every highlight is recorded as posted.
async fn all_recorded_as_posted(app: &TestApp) {
    crate::support::eventually("every highlight recorded as posted", || async {
        app.count_where("highlights", "posted_ts is null").await == 0
    })
    .await;
}

/// Top-level messages and replies the fake Slack holds in the product channel.
fn channel_messages(app: &TestApp) -> (Vec<Value>, Vec<Value>) {
    app.slack.messages_in(PRODUCT_CHANNEL).into_iter().partition(|m| m["thread_ts"].is_null())
}

on_both_backends!(a_post_whose_answer_was_lost_is_found_not_made_twice);
async fn a_post_whose_answer_was_lost_is_found_not_made_twice(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    // The thread parent is posted, but Slack's answer never arrives (the app times out).
    app.slack.fail_next("chat.postMessage", Fault::LostAnswer, 1);
    ephemeral(app.slash("Acme | chat | first").await).await;
    crate::support::eventually("the first reply", || std::future::ready(channel_messages(&app).1.len() == 1)).await;
    // Then a reply's answer is lost.
    app.slack.fail_next("chat.postMessage", Fault::LostAnswer, 1);
    ephemeral(app.slash("Acme | billing | second").await).await;
    all_recorded_as_posted(&app).await;
    app.drain().await;

    let (parents, replies) = channel_messages(&app);
    assert_eq!(parents.len(), 1, "one thread parent: {parents:?}");
    assert_eq!(replies.len(), 2, "one reply per highlight: {replies:?}");
    let posted: Vec<String> = app.posted_ts_of_highlights().await.into_iter().map(|ts| ts.expect("posted")).collect();
    let reply_ts: Vec<String> = replies.iter().map(|r| r["ts"].as_str().expect("ts").to_owned()).collect();
    assert_eq!(posted, reply_ts, "each highlight points at the reply that was made");
    let thread = app.thread_ts_of("Acme").await.expect("a thread");
    assert_eq!(parents[0]["ts"], thread.as_str());
    assert!(!app.slack.calls_to("conversations.history").is_empty());
    assert!(!app.slack.calls_to("conversations.replies").is_empty());
}

on_both_backends!(a_customers_next_highlight_finds_the_thread_parent_whose_answer_was_lost);
async fn a_customers_next_highlight_finds_the_thread_parent_whose_answer_was_lost(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let customers = ["Acme", "Globex", "Initech", "Umbrella", "Hooli"];
    // Each customer's thread parent is posted first, in its own lane: Slack
    // posts every one of them but no answer arrives (the app times out).
    app.slack.fail_next("chat.postMessage", Fault::LostAnswer, customers.len());
    for customer in customers {
        ephemeral(app.slash(&format!("{customer} | chat | first")).await).await;
        ephemeral(app.slash(&format!("{customer} | billing | second")).await).await;
    }
    all_recorded_as_posted(&app).await;
    app.drain().await;
    let (parents, replies) = channel_messages(&app);
    assert_eq!(parents.len(), customers.len(), "one thread parent per customer: {parents:?}");
    assert_eq!(replies.len(), 2 * customers.len(), "{replies:?}");
    let threads: Vec<String> =
        sqlx::query_scalar("select thread_ts from customers").fetch_all(app.db.pool()).await.expect("ts");
    for reply in &replies {
        assert!(threads.iter().any(|t| reply["thread_ts"] == t.as_str()), "every reply in its thread: {reply}");
    }
}

on_both_backends!(a_post_slack_makes_after_the_apps_timeout_is_found_not_made_twice);
async fn a_post_slack_makes_after_the_apps_timeout_is_found_not_made_twice(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let timeout = crate::support::test_timing().slack_timeout;
    // A thread parent that lands after the app gave up on it, then a reply.
    app.slack.fail_next("chat.postMessage", Fault::Late(timeout + timeout / 2), 1);
    ephemeral(app.slash("Acme | chat | first").await).await;
    crate::support::eventually("the first reply", || std::future::ready(channel_messages(&app).1.len() == 1)).await;
    app.slack.fail_next("chat.postMessage", Fault::Late(timeout + timeout / 2), 1);
    ephemeral(app.slash("Acme | billing | second").await).await;
    all_recorded_as_posted(&app).await;
    app.drain().await;
    let (parents, replies) = channel_messages(&app);
    assert_eq!((parents.len(), replies.len()), (1, 2), "{parents:?} {replies:?}");
    let posted: Vec<String> = app.posted_ts_of_highlights().await.into_iter().map(|ts| ts.expect("posted")).collect();
    let reply_ts: Vec<String> = replies.iter().map(|r| r["ts"].as_str().expect("ts").to_owned()).collect();
    assert_eq!(posted, reply_ts, "each highlight points at the reply that was made");
}

on_both_backends!(a_post_in_flight_when_the_process_dies_is_not_made_twice);
async fn a_post_in_flight_when_the_process_dies_is_not_made_twice(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    ephemeral(app.slash("Acme | chat | first").await).await;
    app.slack.wait_for_ok_calls("chat.postMessage", 2).await;
    app.drain().await;
    // The reply reaches the channel; the process is killed before it hears so.
    app.slack.fail_next("chat.postMessage", Fault::LostAnswer, 1);
    ephemeral(app.slash("Acme | chat | second").await).await;
    app.slack.wait_for_calls("chat.postMessage", 3).await;
    let app = app.crash_and_restart().await;
    all_recorded_as_posted(&app).await;
    app.drain().await;
    let (parents, replies) = channel_messages(&app);
    assert_eq!((parents.len(), replies.len()), (1, 2), "{parents:?} {replies:?}");
}

on_both_backends!(only_forms_the_app_opened_are_taken);
async fn only_forms_the_app_opened_are_taken(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    // The app opens the capture form; Slack sends back what the app gave it.
    let (view, chat) = open_capture_form(&app).await;
    let view = &view;
    let submit = |metadata: Value| capture_submission(view, metadata, chat);
    let plain: Value =
        serde_json::from_str(view["private_metadata"].as_str().expect("metadata").rsplit_once('.').expect("sealed").0)
            .expect("json inside");
    // Forged, or from another workspace or form: refused on the form, nothing stored.
    for forged in [
        json!(plain.to_string()),
        json!(highlights::slack::verify::seal(
            crate::support::signer::SIGNING_SECRET,
            "T0OTHER001:capture",
            &plain.to_string()
        )),
        json!(crate::support::opened_metadata("triage", &plain.to_string())),
    ] {
        let body: Value = app.interaction(&submit(forged)).await.json().await.expect("JSON");
        assert_eq!(body["response_action"], "errors", "{body}");
        assert!(body.to_string().contains("not opened by this Highlights app"), "{body}");
    }
    assert_eq!(app.count("highlights").await, 0);
    // What the app opened is taken.
    let body: Value = app.interaction(&submit(view["private_metadata"].clone())).await.json().await.expect("JSON");
    assert_ne!(body["response_action"], "errors", "{body}");
    assert_eq!(app.count("highlights").await, 1);
}

on_both_backends!(waiting_for_another_replicas_thread_claim_is_not_counted_as_an_attempt);
async fn waiting_for_another_replicas_thread_claim_is_not_counted_as_an_attempt(backend: TestBackend) {
    // No product channel yet: the capture's post waits for one.
    let app = TestApp::spawn_with(backend, |_| {}).await;
    ephemeral(app.slash("Acme | chat | We need canned replies").await).await;
    let post_row = "select attempts, run_after, last_error, updated_at from outbox where kind = 'post_highlight'";
    let read_row = || async {
        let row: (i64, i64, Option<String>, i64) =
            sqlx::query_as(post_row).fetch_one(app.db.pool()).await.expect("the post's row");
        row
    };
    // The author is told that highlights wait (the only other post), and the post waits.
    app.slack.wait_for_ok_calls("chat.postMessage", 1).await;
    app.drain().await;
    let parked_attempts = read_row().await.0;

    // Another replica is starting Acme's thread (its claim is leased for a minute).
    sqlx::query("update customers set thread_claim = 'another-replica', thread_claim_until = $1")
        .bind(now_ms() + 60_000)
        .execute(app.db.pool())
        .await
        .expect("claimed");
    ephemeral(app.slash(&format!("config channel <#{PRODUCT_CHANNEL}|product>")).await).await;
    // The post waits for that claim, time after time.
    let waits = std::sync::Mutex::new(std::collections::HashSet::new());
    crate::support::eventually("the post to wait for the thread five times", || async {
        let (_, _, error, updated_at) = read_row().await;
        let mut waits = waits.lock().expect("waits");
        if error.as_deref() == Some("thread parent being posted") {
            waits.insert(updated_at);
        }
        waits.len() >= 5
    })
    .await;

    // The claim ends; the parent's first post then fails once with a 500, and
    // the retry is held so the row can be read while it runs.
    app.slack.fail_next("chat.postMessage", Fault::Status(500), 1);
    let hold = Hold::new();
    app.slack.fail_next("chat.postMessage", Fault::Held(hold.clone()), 1);
    sqlx::query("update customers set thread_claim = null, thread_claim_until = null")
        .execute(app.db.pool())
        .await
        .expect("released");
    let posts = app.slack.wait_for_calls("chat.postMessage", 3).await;
    let failed = &posts[1];
    assert_eq!(failed.args["channel"], PRODUCT_CHANNEL);
    assert!(!failed.ok, "the 500");
    let (attempts, run_after, error, _) = read_row().await;
    assert!(error.is_some_and(|e| e.contains("500")), "retried after the 500");
    assert_eq!(attempts, parked_attempts + 2, "the 500 and the retry in hand count; the waits do not");
    let timing = &app.config.timing;
    let delay = run_after - failed.at_ms;
    assert!(
        delay < timing.retry_cap.as_millis() as i64,
        "the backoff after one failure is short, not its cap: {delay} ms"
    );

    hold.release();
    all_recorded_as_posted(&app).await;
    app.drain().await;
    let (parents, replies) = channel_messages(&app);
    assert_eq!((parents.len(), replies.len()), (1, 1), "{parents:?} {replies:?}");
}

/// Opens the capture form with `/highlight`: the view the app opened, and
/// the id of the area `chat`.
async fn open_capture_form(app: &TestApp) -> (Value, i64) {
    assert_eq!(app.slash("").await.status(), 200);
    let opened = app.slack.wait_for_ok_calls("views.open", 1).await;
    let chat = app.area_id("chat").await;
    (opened[0].args["view"].clone(), chat)
}

/// The capture form the app opened (`view`), submitted with `metadata` as
/// its `private_metadata`: one quote about Acme in the area `area`.
fn capture_submission(view: &Value, metadata: Value, area: i64) -> Value {
    json!({
        "type": "view_submission", "team": { "id": TEAM, "domain": "acme" },
        "user": { "id": USER, "username": "alice", "team_id": TEAM }, "api_app_id": "A0APP00001", "token": "t",
        "trigger_id": "1.2.3",
        "view": { "id": "V0VIEW0001", "team_id": TEAM, "type": "modal", "callback_id": view["callback_id"],
                  "private_metadata": metadata, "title": view["title"], "blocks": view["blocks"], "hash": "1.a",
                  "state": { "values": {
                      "customer": { "value": { "type": "external_select", "selected_option": {
                          "text": { "type": "plain_text", "text": "Acme" }, "value": "new:Acme" } } },
                      "interview_date": { "value": { "type": "datepicker", "selected_date": "2026-01-02" } },
                      "area_0": { "value": { "type": "static_select", "selected_option": {
                          "text": { "type": "plain_text", "text": "chat" }, "value": area.to_string() } } },
                      "quote_0": { "value": { "type": "plain_text_input", "value": "We need canned replies" } },
                  } } },
    })
}

/// `value` with `change` made to it.
fn changed(mut value: Value, change: impl FnOnce(&mut Value)) -> Value {
    change(&mut value);
    value
}

/// `prefix` and then 3,000 digits: the shape of a Slack id, far too long.
fn too_long(prefix: &str) -> Value {
    json!(format!("{prefix}{}", "0".repeat(3000)))
}

async fn refused_naming(resp: reqwest::Response, field: &str) {
    assert_eq!(resp.status(), 400, "{field}");
    let body: Value = resp.json().await.expect("a JSON error");
    assert_eq!(body["ok"], false);
    let error = body["error"].as_str().expect("error");
    assert!(error.contains(field) && error.len() < 100, "{field}: {error}");
}

on_both_backends!(slack_ids_of_another_shape_are_bad_requests_and_store_nothing);
async fn slack_ids_of_another_shape_are_bad_requests_and_store_nothing(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let home = home_opened(TEAM, "Ev0HOME0001");
    let reaction = fixture_json(include_str!("../fixtures/requests/event_callback.reaction_added.json"));
    let events = [
        ("event_id", changed(home.clone(), |e| e["event_id"] = too_long("Ev"))),
        ("event_id", changed(home.clone(), |e| e["event_id"] = json!("Ev0lower01"))),
        ("event.user", changed(home.clone(), |e| e["event"]["user"] = too_long("U"))),
        ("enterprise_id", changed(home.clone(), |e| e["enterprise_id"] = too_long("E"))),
        ("event.user", changed(reaction.clone(), |e| e["event"]["user"] = too_long("U"))),
        ("event.item.channel", changed(reaction.clone(), |e| e["event"]["item"]["channel"] = too_long("C"))),
        ("event.item.channel", changed(reaction.clone(), |e| e["event"]["item"]["channel"] = json!("C0CHAN 001"))),
        ("event.item.ts", changed(reaction.clone(), |e| e["event"]["item"]["ts"] = too_long("1715000000."))),
    ];
    for (field, event) in &events {
        refused_naming(app.event(event).await, field).await;
    }
    let typed = app.slash_body("Acme | chat | We need canned replies");
    for (field, body) in [
        ("user_id", typed.replace(&format!("user_id={USER}"), &format!("user_id=U{}", "0".repeat(3000)))),
        ("channel_id", typed.replace(&format!("channel_id={CHANNEL}"), "channel_id=c0chan0001")),
        ("enterprise_id", format!("{typed}&enterprise_id=E0+ORG")),
    ] {
        refused_naming(app.post_signed("/slack/commands", "application/x-www-form-urlencoded", body).await, field)
            .await;
    }
    let shortcut = fixture_json(include_str!("../fixtures/requests/message_action.save_as_highlight.json"));
    for (field, payload) in [
        ("user.id", changed(button_click(TEAM), |p| p["user"]["id"] = too_long("U"))),
        ("channel.id", changed(shortcut.clone(), |p| p["channel"]["id"] = too_long("C"))),
        ("message.ts", changed(shortcut.clone(), |p| p["message"]["ts"] = too_long("1715000075."))),
    ] {
        refused_naming(app.interaction(&payload).await, field).await;
    }
    for table in ["workspaces", "processed_events", "outbox", "triage_queue", "highlights", "seen_requests"] {
        assert_eq!(app.count(table).await, 0, "{table}");
    }

    // What Slack sends is read as before.
    assert_eq!(app.event(&home).await.status(), 200);
    assert_eq!(app.event(&reaction).await.status(), 200);
    let form = include_str!("../fixtures/requests/slash_command.highlight.form.txt");
    assert_eq!(app.post_signed("/slack/commands", "application/x-www-form-urlencoded", form).await.status(), 200);
    assert_eq!(app.interaction(&shortcut).await.status(), 200);
    assert_eq!(app.count("processed_events").await, 2);
}

on_both_backends!(a_signed_request_sent_again_is_answered_without_acting_again);
async fn a_signed_request_sent_again_is_answered_without_acting_again(backend: TestBackend) {
    use crate::support::signer::{self, SIGNING_SECRET};
    let app = TestApp::spawn_on(backend).await;
    let form = "application/x-www-form-urlencoded";
    let body = app.slash_body("Acme | chat | We need canned replies");
    let ts = signer::now();
    let signed = Some((ts, signer::signature(SIGNING_SECRET, ts, body.as_bytes())));
    let send = || app.post_with("/slack/commands", form, body.clone().into_bytes(), signed.clone());
    let saved = ephemeral(send().await).await;
    assert!(saved.starts_with("✅ Saved"), "{saved}");
    let again = ephemeral(send().await).await;
    assert_eq!(again, highlights::routes::ALREADY_RECEIVED_TEXT);
    assert_eq!(app.count("highlights").await, 1, "stored once");

    // A form submitted, and the same submission sent again.
    let (view, chat) = open_capture_form(&app).await;
    let payload = capture_submission(&view, view["private_metadata"].clone(), chat);
    let body = serde_urlencoded::to_string([("payload", payload.to_string())]).expect("form encodes");
    let ts = signer::now();
    let signed = Some((ts, signer::signature(SIGNING_SECRET, ts, body.as_bytes())));
    let submit = || app.post_with("/slack/interactivity", form, body.clone().into_bytes(), signed.clone());
    let first: Value = submit().await.json().await.expect("JSON");
    assert_ne!(first["response_action"], "errors", "{first}");
    assert_eq!(app.count("highlights").await, 2);
    let replayed = submit().await;
    assert_eq!(replayed.status(), 200);
    assert_eq!(replayed.text().await.expect("body"), "", "acknowledged, nothing else");
    assert_eq!(app.count("highlights").await, 2, "stored once");

    // Each is remembered until its signature can no longer be verified.
    assert_eq!(app.count("seen_requests").await, 3, "two commands and a submission");
    app.advance(std::time::Duration::from_secs(7 * 60));
    crate::support::eventually("old signatures to be forgotten", || async { app.count("seen_requests").await == 0 })
        .await;
}

on_both_backends!(a_quick_capture_records_its_signed_request_in_its_own_transaction);
async fn a_quick_capture_records_its_signed_request_in_its_own_transaction(backend: TestBackend) {
    use crate::support::signer::{self, SIGNING_SECRET};
    let app = TestApp::spawn_on(backend).await;
    let form = "application/x-www-form-urlencoded";
    let signed = |body: &str| {
        let ts = signer::now();
        Some((ts, signer::signature(SIGNING_SECRET, ts, body.as_bytes())))
    };
    // Refused before anything is written: nothing recorded, so the same
    // request sent again is refused again with its reason, not "already
    // received".
    let body = app.slash_body("Acme | no such area | We need canned replies");
    let sig = signed(&body);
    for _ in 0..2 {
        let said =
            ephemeral(app.post_with("/slack/commands", form, body.clone().into_bytes(), sig.clone()).await).await;
        assert!(said.contains("no such area") && said.contains("Nothing was saved"), "{said}");
    }
    assert_eq!(app.count("seen_requests").await, 0, "a refusal records nothing");

    // The same capture sent twice at once: one group or two, it is stored
    // once, with its request, and the other copy is told so.
    let body = app.slash_body("Acme | chat | We need canned replies");
    let sig = signed(&body);
    let send = || app.post_with("/slack/commands", form, body.clone().into_bytes(), sig.clone());
    let (a, b) = tokio::join!(send(), send());
    let mut said = vec![ephemeral(a).await, ephemeral(b).await];
    said.sort();
    assert_eq!(said[0], highlights::routes::ALREADY_RECEIVED_TEXT, "{said:?}");
    assert!(said[1].starts_with("✅ Saved"), "{said:?}");
    assert_eq!(app.count("highlights").await, 1, "stored once");
    assert_eq!(app.count("seen_requests").await, 1, "recorded with the capture");
}

on_both_backends!(with_the_replay_guard_off_a_request_sent_again_is_acted_on_again);
async fn with_the_replay_guard_off_a_request_sent_again_is_acted_on_again(backend: TestBackend) {
    use crate::support::signer::{self, SIGNING_SECRET};
    let app = TestApp::spawn_with(backend, |args| {
        args.product_channel = Some(PRODUCT_CHANNEL.into());
        args.replay_guard = Some("off".into());
    })
    .await;
    let body = app.slash_body("Acme | chat | We need canned replies");
    let ts = signer::now();
    let signed = Some((ts, signer::signature(SIGNING_SECRET, ts, body.as_bytes())));
    for _ in 0..2 {
        let form = "application/x-www-form-urlencoded";
        let said =
            ephemeral(app.post_with("/slack/commands", form, body.clone().into_bytes(), signed.clone()).await).await;
        assert!(said.starts_with("✅ Saved"), "{said}");
    }
    assert_eq!(app.count("highlights").await, 2, "as a load generator sending one request over and over expects");
    assert_eq!(app.count("seen_requests").await, 0);
}
