//! The HTTP transport, driven as Slack drives it: signatures, sizes, malformed
//! bodies, the handshake, health and metrics.

use serde_json::{json, Value};

use crate::on_both_backends;
use crate::support::db::TestBackend;
use crate::support::{fixture_json, signer, TestApp, TEAM};

const FORM: &str = "application/x-www-form-urlencoded";

async fn count_rows(app: &TestApp, table: &str) -> i64 {
    app.count(table).await
}

async fn error_of(resp: reqwest::Response) -> String {
    let body: Value = resp.json().await.expect("a JSON error body");
    body["error"].as_str().expect("an error field").to_owned()
}

on_both_backends!(bad_signatures_get_401_and_leave_no_trace);
async fn bad_signatures_get_401_and_leave_no_trace(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let body = app.slash_body("help");
    let now = signer::now();
    let good = signer::signature(signer::SIGNING_SECRET, now, body.as_bytes());
    let cases: Vec<(&str, Option<(i64, String)>)> = vec![
        ("no signature", None),
        ("wrong secret", Some((now, signer::signature("not-the-secret", now, body.as_bytes())))),
        ("tampered body", Some((now, signer::signature(signer::SIGNING_SECRET, now, b"team_id=T0OTHER")))),
        ("garbage", Some((now, "v0=zzzz".into()))),
        (
            "stale by 6 minutes",
            Some((now - 360, signer::signature(signer::SIGNING_SECRET, now - 360, body.as_bytes()))),
        ),
        ("from the future", Some((now + 360, signer::signature(signer::SIGNING_SECRET, now + 360, body.as_bytes())))),
        ("right signature, other timestamp", Some((now - 1, good))),
    ];
    for path in ["/slack/commands", "/slack/events", "/slack/interactivity"] {
        for (case, signed) in &cases {
            let resp = app.post_with(path, FORM, body.clone().into_bytes(), signed.clone()).await;
            assert_eq!(resp.status(), 401, "{path}, {case}");
            assert!(error_of(resp).await.starts_with("invalid request signature"), "{path}, {case}");
        }
    }
    assert_eq!(count_rows(&app, "workspaces").await, 0, "nothing was processed");
    assert_eq!(count_rows(&app, "processed_events").await, 0);
}

#[tokio::test]
async fn a_signed_slash_command_is_answered_with_ephemeral_usage() {
    let app = TestApp::spawn().await;
    let resp = app.slash("help").await;
    assert_eq!(resp.status(), 200);
    let reply: Value = resp.json().await.expect("JSON reply");
    assert_eq!(reply["response_type"], "ephemeral");
    let text = reply["text"].as_str().expect("text");
    assert!(text.contains("/highlight <customer> | <area> | <quote>"), "{text}");
}

#[tokio::test]
async fn the_fixture_slash_command_body_verifies_and_parses() {
    let app = TestApp::spawn().await;
    let body = include_str!("../fixtures/requests/slash_command.highlight.form.txt");
    let resp = app.post_signed("/slack/commands", FORM, body).await;
    assert_eq!(resp.status(), 200);
    let reply: Value = resp.json().await.expect("JSON reply");
    // The fixture's text is not a command we know: usage comes back with the text echoed.
    let text = reply["text"].as_str().expect("text");
    assert!(text.contains("Acme Corp renewed for 3 years"), "{text}");
    assert_eq!(count_rows(&app, "workspaces").await, 1);
}

#[tokio::test]
async fn bodies_over_one_mebibyte_get_413() {
    let app = TestApp::spawn().await;
    let big = format!("{}&text={}", app.slash_body("x"), "a".repeat(1024 * 1024));
    for path in ["/slack/commands", "/slack/events", "/slack/interactivity"] {
        let resp = app.post_signed(path, FORM, big.clone()).await;
        assert_eq!(resp.status(), 413, "{path}");
    }
    // Exactly at the limit is still read (and here refused only as malformed).
    let at_limit = "a".repeat(1024 * 1024);
    let resp = app.post_signed("/slack/events", "application/json", at_limit).await;
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn signed_but_malformed_bodies_get_400_with_a_short_json_error() {
    let app = TestApp::spawn().await;
    let cases = [
        ("/slack/commands", FORM, "user_id=U1&command=%2Fhighlight".to_owned(), "malformed slash command"),
        ("/slack/events", "application/json", "{not json".to_owned(), "malformed event"),
        ("/slack/events", "application/json", r#"{"type":"mystery"}"#.to_owned(), "malformed event"),
        ("/slack/interactivity", FORM, "payload=%7Bbroken".to_owned(), "malformed interaction payload"),
        ("/slack/interactivity", FORM, "nopayload=1".to_owned(), "malformed interaction"),
        (
            "/slack/interactivity",
            FORM,
            serde_urlencoded::to_string([("payload", r#"{"type":"view_submission","view":42}"#)]).expect("encodes"),
            "malformed view_submission payload",
        ),
    ];
    for (path, content_type, body, expected) in cases {
        let resp = app.post_signed(path, content_type, body.clone()).await;
        assert_eq!(resp.status(), 400, "{path} {body}");
        let error = error_of(resp).await;
        assert!(error.starts_with(expected), "{path} {body}: {error}");
        assert!(error.len() < 300, "short: {error}");
    }
    assert_eq!(count_rows(&app, "workspaces").await, 0, "nothing stored");
}

#[tokio::test]
async fn url_verification_returns_the_challenge() {
    let app = TestApp::spawn().await;
    let envelope = fixture_json(include_str!("../fixtures/requests/url_verification.json"));
    let resp = app.event(&envelope).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(body["challenge"], envelope["challenge"]);
}

on_both_backends!(redelivered_event_is_processed_once);
async fn redelivered_event_is_processed_once(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let envelope = fixture_json(include_str!("../fixtures/requests/event_callback.app_home_opened.json"));
    let deliver = |retry: u32| {
        let body = envelope.to_string();
        let ts = signer::now();
        let mut req = app
            .http
            .post(app.url("/slack/events"))
            .header("content-type", "application/json")
            .header("x-slack-request-timestamp", ts.to_string())
            .header("x-slack-signature", signer::signature(signer::SIGNING_SECRET, ts, body.as_bytes()));
        if retry > 0 {
            req = req.header("x-slack-retry-num", retry.to_string()).header("x-slack-retry-reason", "http_timeout");
        }
        req.body(body).send()
    };
    assert_eq!(deliver(0).await.expect("sent").status(), 200);
    app.slack.wait_for_ok_calls("views.publish", 1).await;
    app.drain().await;
    // Slack retries the same event after its App Home was published: were it
    // processed again, the App Home would be published again.
    for retry in 1..3 {
        assert_eq!(deliver(retry).await.expect("sent").status(), 200);
    }
    app.drain().await;
    assert_eq!(app.slack.ok_calls_to("views.publish").len(), 1, "processed once");
    // Another event is processed.
    let mut other = envelope.clone();
    other["event_id"] = json!("Ev0EVENT0002");
    assert_eq!(app.event(&other).await.status(), 200);
    app.slack.wait_for_ok_calls("views.publish", 2).await;
    assert_eq!(count_rows(&app, "processed_events").await, 2);
}

#[tokio::test]
async fn unmodelled_events_and_interactions_are_acknowledged() {
    let app = TestApp::spawn().await;
    let revoked = fixture_json(include_str!("../fixtures/requests/event_callback.tokens_revoked.json"));
    assert_eq!(app.event(&revoked).await.status(), 200);
    let payload = json!({ "type": "workflow_step_edit", "team": { "id": TEAM }, "user": { "id": "U1" } });
    assert_eq!(app.interaction(&payload).await.status(), 200);
    for fixture in [
        include_str!("../fixtures/requests/view_submission.json"),
        include_str!("../fixtures/requests/block_actions.message_button.json"),
        include_str!("../fixtures/requests/message_action.save_as_highlight.json"),
    ] {
        assert_eq!(app.interaction(&fixture_json(fixture)).await.status(), 200);
    }
}

on_both_backends!(healthz_answers_200_while_the_database_does_and_503_after);
async fn healthz_answers_200_while_the_database_does_and_503_after(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let resp = app.http.get(app.url("/healthz")).send().await.expect("sent");
    assert_eq!(resp.status(), 200);
    // Slack being unreachable does not matter to health.
    app.slack.fail_next("auth.test", crate::support::fake_slack::Fault::Status(503), 10);
    assert_eq!(app.http.get(app.url("/healthz")).send().await.expect("sent").status(), 200);
    app.db.close().await;
    let resp = app.http.get(app.url("/healthz")).send().await.expect("sent");
    assert_eq!(resp.status(), 503);
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(body["status"], "database unavailable");
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = TestApp::spawn().await;
    app.slash("help").await;
    app.slash("help").await;
    app.post_with("/slack/commands", FORM, b"x=1".to_vec(), None).await;
    let text = app.http.get(app.url("/metrics")).send().await.expect("sent").text().await.expect("text");
    assert!(text.contains(r#"highlights_http_requests_total{route="/slack/commands",status="200"} 2"#), "{text}");
    assert!(text.contains(r#"highlights_http_requests_total{route="/slack/commands",status="401"} 1"#), "{text}");
    assert!(text.contains(r#"highlights_ack_latency_seconds_count{route="/slack/commands"} 3"#), "{text}");
}

on_both_backends!(metrics_show_the_outbox_backlog_and_slack_calls_by_method_and_result);
async fn metrics_show_the_outbox_backlog_and_slack_calls_by_method_and_result(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    app.slack.fail_next("chat.postMessage", crate::support::fake_slack::Fault::Status(500), 1);
    app.slack.fail_next("chat.postMessage", crate::support::fake_slack::Fault::Error("channel_not_found"), 1000);
    crate::support::ephemeral(app.slash("Acme | chat | We need canned replies").await).await;
    app.slack.wait_for_calls("chat.postMessage", 2).await;
    app.advance(std::time::Duration::from_secs(90));
    let metrics =
        || async { app.http.get(app.url("/metrics")).send().await.expect("sent").text().await.expect("text") };
    // The fake records a call before it answers; the app counts it after.
    let error_counted = r#"highlights_slack_calls_total{method="chat.postMessage",result="error"}"#;
    crate::support::eventually("the second call counted", || async { metrics().await.contains(error_counted) }).await;
    let text = metrics().await;
    assert!(
        text.contains(r#"highlights_slack_calls_total{method="chat.postMessage",result="http_error"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"highlights_slack_calls_total{method="chat.postMessage",result="error"}"#), "{text}");
    let gauge = |text: &str, name: &str| -> f64 {
        let line =
            text.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap_or_else(|| panic!("{name}: {text}"));
        line.rsplit(' ').next().and_then(|v| v.parse().ok()).expect("a number")
    };
    assert!(gauge(&text, "highlights_outbox_pending") >= 1.0, "{text}");
    assert!(gauge(&text, "highlights_outbox_oldest_pending_seconds") >= 90.0, "{text}");

    app.slack.clear_faults();
    let set = crate::support::ephemeral(app.slash("config channel <#C0OTHER001|other>").await).await;
    assert!(set.contains("C0OTHER001"), "{set}");
    app.drain().await;
    let text = metrics().await;
    assert!(text.contains(r#"highlights_slack_calls_total{method="chat.postMessage",result="ok"}"#), "{text}");
    assert_eq!(gauge(&text, "highlights_outbox_pending"), 0.0, "{text}");
    assert_eq!(gauge(&text, "highlights_outbox_oldest_pending_seconds"), 0.0, "{text}");
}

#[tokio::test]
async fn the_app_checks_its_token_with_slack_at_start() {
    let app = TestApp::spawn().await;
    let calls = app.slack.wait_for_calls("auth.test", 1).await;
    assert_eq!(
        calls[0].authorization.as_deref(),
        Some(format!("Bearer {}", crate::support::fake_slack::BOT_TOKEN).as_str())
    );
}

#[tokio::test]
async fn unknown_paths_get_a_json_404() {
    let app = TestApp::spawn().await;
    let resp = app.http.get(app.url("/nope")).send().await.expect("sent");
    assert_eq!(resp.status(), 404);
    assert_eq!(error_of(resp).await, "not found");
}

#[tokio::test]
async fn stop_finishes_gracefully() {
    let app = TestApp::spawn().await;
    assert_eq!(app.slash("help").await.status(), 200);
    let addr = app.addr;
    app.stop().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "no longer listening");
}

on_both_backends!(an_uninstalled_workspace_gets_no_posts_until_it_uses_the_app_again);
async fn an_uninstalled_workspace_gets_no_posts_until_it_uses_the_app_again(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    crate::support::ephemeral(app.slash("help").await).await;
    let uninstalled = fixture_json(include_str!("../fixtures/requests/event_callback.app_uninstalled.json"));
    assert_eq!(app.event(&uninstalled).await.status(), 200);
    let at = app.workspace_row().await.uninstalled_at;
    assert!(at.is_some());
    // Work queued for it waits instead of calling Slack with a dead token.
    sqlx::query(
        "insert into outbox (workspace_id, kind, dedupe_key, payload, run_after, created_at, updated_at)
         values ($1, 'notify_user', 'notify:U1:x', $2, 0, 0, 0)",
    )
    .bind(TEAM)
    .bind(json!({ "kind": "notify_user", "user": "U1", "text": "hello", "topic": "x" }).to_string())
    .execute(app.db.pool())
    .await
    .expect("queued");
    crate::support::eventually("the row to be tried", || async { app.outbox_rows().await[0].last_error.is_some() })
        .await;
    assert!(app.slack.calls_to("chat.postMessage").is_empty());
    let error = app.outbox_rows().await.remove(0).last_error;
    assert_eq!(error.as_deref(), Some("the app is uninstalled from this workspace"));
    // Using the app again (a reinstall) lifts it, and what was parked goes
    // out at once, not when its park ends (30 s here).
    crate::support::ephemeral(app.slash("help").await).await;
    let at = app.workspace_row().await.uninstalled_at;
    assert!(at.is_none());
    app.slack.wait_for_calls("chat.postMessage", 1).await;
    // A redelivered uninstall event does not count as a reinstall, nor as a second uninstall.
    assert_eq!(app.event(&uninstalled).await.status(), 200);
    let at = app.workspace_row().await.uninstalled_at;
    assert!(at.is_none(), "the redelivery was ignored");
}

on_both_backends!(a_reinstall_seen_first_by_a_replica_that_remembers_the_workspace_installed_posts_at_once);
async fn a_reinstall_seen_first_by_a_replica_that_remembers_the_workspace_installed_posts_at_once(
    backend: TestBackend,
) {
    let app = TestApp::spawn_on(backend).await;
    let other = app.replica().await;
    // This replica reads the workspace installed, and remembers it for a moment.
    crate::support::ephemeral(app.slash("help").await).await;
    // The other replica takes the uninstall.
    let uninstalled = fixture_json(include_str!("../fixtures/requests/event_callback.app_uninstalled.json"));
    assert_eq!(other.event(&uninstalled).await.status(), 200);
    // Installed again: the first request reaches the replica that remembers.
    let said = crate::support::ephemeral(app.slash("Acme | chat | Canned replies please").await).await;
    assert!(said.starts_with("✅ Saved"), "{said}");
    // Recorded as installed again, and the post goes out at once (not after
    // the uninstalled workspace's park, 30 s here).
    crate::support::eventually("the reinstall to be recorded", || async {
        app.workspace_row().await.uninstalled_at.is_none()
    })
    .await;
    let posted = app.slack.wait_for_ok_calls("chat.postMessage", 2).await;
    assert!(posted.iter().any(|c| c.args["text"].to_string().contains("Canned replies please")), "{posted:?}");
    drop(other);
}
