//! Onboarding quotas through Slack: enrollment, the counting rules, pace, the
//! App Home, milestones exactly once across a restart, the Triage feedback
//! shortcut and the signed helpdesk webhook.

use serde_json::{json, Value};

use crate::on_both_backends;
use crate::support::db::TestBackend;
use crate::support::fake_slack::Call;
use crate::support::{ephemeral, fixture_json, TestApp, PRODUCT_CHANNEL, TEAM, USER};

const WEBHOOK_SECRET: &str = "whsec-test-0123456789";

async fn app_on(backend: TestBackend) -> TestApp {
    TestApp::spawn_with(backend, |args| {
        args.product_channel = Some(PRODUCT_CHANNEL.into());
        args.webhook_secret = Some(WEBHOOK_SECRET.into());
    })
    .await
}

fn days_ago(n: i64) -> String {
    let today = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    today.saturating_sub(jiff::Span::new().days(n)).strftime("%Y-%m-%d").to_string()
}

async fn triage(app: &TestApp, channel: &str, ts: &str, area: &str) -> Value {
    let mut shortcut = fixture_json(include_str!("../fixtures/requests/message_action.save_as_highlight.json"));
    // Slack gives every shortcut a trigger of its own.
    static TRIGGERS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let trigger = TRIGGERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    shortcut["trigger_id"] = json!(format!("1234567893.1234567890.{trigger:032x}"));
    shortcut["callback_id"] = json!("triage_feedback");
    shortcut["channel"]["id"] = json!(channel);
    shortcut["message"]["ts"] = json!(ts);
    shortcut["message"]["text"] = json!("Customers keep asking for &lt;dark mode&gt;");
    let before = app.slack.calls_to("views.open").len();
    assert_eq!(app.interaction(&shortcut).await.status(), 200);
    let opened = app.slack.wait_for_ok_calls("views.open", before + 1).await;
    let view = opened[before].args["view"].clone();
    assert_eq!(view["callback_id"], "triage");
    let area_id = view["blocks"][1]["element"]["options"]
        .as_array()
        .expect("areas")
        .iter()
        .find(|o| o["text"]["text"] == area)
        .expect("area offered")["value"]
        .clone();
    let option = |v: Value| json!({ "value": { "type": "static_select", "selected_option": { "text": { "type": "plain_text", "text": "x" }, "value": v } } });
    let submission = json!({
        "type": "view_submission", "team": { "id": TEAM, "domain": "acme" },
        "user": { "id": USER, "username": "alice", "team_id": TEAM }, "api_app_id": "A0APP00001", "token": "t", "trigger_id": "1.2.3",
        "view": { "id": "V1", "team_id": TEAM, "type": "modal", "callback_id": "triage", "hash": "1",
                  "private_metadata": view["private_metadata"].clone(), "title": { "type": "plain_text", "text": "Triage" }, "blocks": [],
                  "state": { "values": { "area": option(area_id), "kind": option(json!("request")) } } },
    });
    let resp = app.interaction(&submission).await;
    assert_eq!(resp.status(), 200);
    resp.json().await.expect("JSON")
}

/// `v0=<hex HMAC-SHA256 of "v0:{timestamp}:{body}">`, as the README tells a helpdesk to sign.
fn signed_ticket(text: &str, secret: &str, timestamp: i64) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    format!("v0={}", hex::encode(ring::hmac::sign(&key, format!("v0:{timestamp}:{text}").as_bytes()).as_ref()))
}

async fn webhook(app: &TestApp, body: &Value, secret: &str) -> (u16, Value) {
    webhook_at(app, &body.to_string(), secret, crate::support::signer::now()).await
}

async fn webhook_at(app: &TestApp, text: &str, secret: &str, timestamp: i64) -> (u16, Value) {
    let resp = app
        .http
        .post(app.url("/webhooks/tickets"))
        .header("content-type", "application/json")
        .header("x-highlights-request-timestamp", timestamp.to_string())
        .header("x-highlights-signature", signed_ticket(text, secret, timestamp))
        .body(text.to_owned())
        .send()
        .await
        .expect("sent");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

on_both_backends!(counting_rules_hold_case_by_case);
async fn counting_rules_hold_case_by_case(backend: TestBackend) {
    let app = app_on(backend).await;
    let said = ephemeral(app.slash(&format!("onboard me {}", days_ago(10))).await).await;
    assert!(said.contains("You are enrolled from"), "{said}");

    // Interviews: same customer, same person, same day, twice: one.
    for quote in ["one", "two"] {
        ephemeral(app.slash(&format!("Acme | chat | {quote}")).await).await;
    }
    let q = ephemeral(app.slash("quota").await).await;
    assert!(q.contains("Interviews 1/20"), "{q}");
    assert!(q.contains("day 11 of 30"), "{q}");
    // A second customer: two.
    ephemeral(app.slash("Globex | chat | three").await).await;
    // Someone else's interviews don't count for me.
    let other = app.slash_body("x").replace(USER, "U0OTHER001").replace("text=x", "text=Initech+%7C+chat+%7C+theirs");
    app.post_signed("/slack/commands", "application/x-www-form-urlencoded", other).await;

    // Feedback: the same message triaged twice counts once.
    let first = triage(&app, "C0SUPPORT1", "1700000001.000100", "billing").await;
    assert!(first.to_string().contains("counts toward your feedback target"), "{first}");
    let again = triage(&app, "C0SUPPORT1", "1700000001.000100", "reporting").await;
    assert!(again.to_string().contains("already triaged"), "{again}");
    triage(&app, "C0SUPPORT1", "1700000002.000100", "chat").await;

    // Tickets: self-reports add up; a helpdesk ticket id counts once.
    assert!(ephemeral(app.slash("tickets 3 closed the queue").await).await.contains("Logged 3 tickets"));
    let event = json!({ "team_id": TEAM, "ticket_id": 4242, "agent_slack_id": USER });
    assert_eq!(webhook(&app, &event, WEBHOOK_SECRET).await.0, 200);
    let (status, replay) = webhook(&app, &event, WEBHOOK_SECRET).await;
    assert_eq!((status, replay["counted"].clone()), (200, json!(false)), "{replay}");

    let q = ephemeral(app.slash("quota").await).await;
    assert!(q.contains("Interviews 2/20"), "{q}");
    assert!(q.contains("Feedback triaged 2/100"), "{q}");
    assert!(q.contains("Tickets 4/50"), "{q}");
    let items: (String, Option<String>) =
        sqlx::query_as("select message_text, permalink from feedback_items where message_ts = '1700000001.000100'")
            .fetch_one(app.db.pool())
            .await
            .expect("item");
    assert_eq!(items.0, "Customers keep asking for <dark mode>");
    let link = || async {
        sqlx::query_scalar::<_, Option<String>>(
            "select permalink from feedback_items where message_ts = '1700000001.000100'",
        )
        .fetch_one(app.db.pool())
        .await
        .expect("link")
    };
    crate::support::eventually("the item's permalink", || async { link().await.is_some() }).await;
    assert!(link().await.expect("linked back to the message").contains("C0SUPPORT1"));
}

on_both_backends!(interviews_outside_the_window_do_not_count);
async fn interviews_outside_the_window_do_not_count(backend: TestBackend) {
    let app = app_on(backend).await;
    ephemeral(app.slash(&format!("onboard me {}", days_ago(40))).await).await;
    ephemeral(app.slash("Acme | chat | today is after the 30 days").await).await;
    let q = ephemeral(app.slash("quota").await).await;
    assert!(q.contains("Interviews 0/20"), "{q}");
    assert!(q.contains("finished (30 days)"), "{q}");
}

on_both_backends!(the_app_home_shows_progress_after_a_capture_and_on_open);
async fn the_app_home_shows_progress_after_a_capture_and_on_open(backend: TestBackend) {
    let app = app_on(backend).await;
    ephemeral(app.slash("onboard me").await).await;
    ephemeral(app.slash("Acme | chat | home sweet home").await).await;
    let found = || {
        app.slack
            .ok_calls_to("views.publish")
            .into_iter()
            .rev()
            .find(|c| c.args["view"].to_string().contains("Interviews 1/20"))
    };
    crate::support::eventually("the home with the new count", || std::future::ready(found().is_some())).await;
    let publish = found().expect("home published with the new count");
    assert_eq!(publish.args["user_id"], USER);
    let view = publish.args["view"].to_string();
    assert!(view.contains("home sweet home") && view.contains("Acme (1)"), "{view}");
    assert!(view.contains("home_log_highlight"), "{view}");

    let before = app.slack.ok_calls_to("views.publish").len();
    let mut opened = fixture_json(include_str!("../fixtures/requests/event_callback.app_home_opened.json"));
    opened["event_id"] = json!("Ev0HOME0001");
    assert_eq!(app.event(&opened).await.status(), 200);
    app.slack.wait_for_ok_calls("views.publish", before + 1).await;

    // Someone not enrolled sees how to enroll.
    let mut stranger = opened.clone();
    stranger["event_id"] = json!("Ev0HOME0002");
    stranger["event"]["user"] = json!("U0NEWBIE01");
    app.event(&stranger).await;
    let theirs = || -> Vec<Call> {
        app.slack.ok_calls_to("views.publish").into_iter().filter(|c| c.args["user_id"] == "U0NEWBIE01").collect()
    };
    crate::support::eventually("their home", || std::future::ready(!theirs().is_empty())).await;
    let theirs = theirs();
    assert!(theirs.first().expect("their home published").args["view"].to_string().contains("/highlight onboard me"));
}

fn dms(app: &TestApp) -> Vec<String> {
    app.slack
        .ok_calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.args["channel"] == USER)
        .map(|c| c.args["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

on_both_backends!(milestones_are_announced_exactly_once_across_a_restart);
async fn milestones_are_announced_exactly_once_across_a_restart(backend: TestBackend) {
    let app = app_on(backend).await;
    ephemeral(app.slash("onboard me interviews=2 feedback=1 tickets=2").await).await;
    ephemeral(app.slash("Acme | chat | a").await).await;
    app.slack.wait_for_ok_calls("chat.postMessage", 3).await;
    app.drain().await;
    assert_eq!(dms(&app), vec!["Halfway there: 1/2 customer interviews. Keep going!"]);

    let app = app.crash_and_restart().await;
    ephemeral(app.slash("Globex | chat | b").await).await;
    ephemeral(app.slash("Initech | chat | c").await).await;
    ephemeral(app.slash("tickets 2").await).await;
    triage(&app, "C0SUPPORT1", "1700000003.000100", "chat").await;
    crate::support::eventually("the completion announcement", || {
        let posts = app.slack.ok_calls_to("chat.postMessage");
        std::future::ready(posts.iter().any(|c| c.args["text"].to_string().contains("completed onboarding")))
    })
    .await;
    // The crash comes once the queue is idle: a DM whose answer a crash cuts
    // off is sent again (DMs are not looked up first: that needs im:history,
    // which the app does not ask for; README, Operations).
    app.drain().await;
    let app = app.crash_and_restart().await;
    ephemeral(app.slash("tickets 1").await).await;
    ephemeral(app.slash("Umbrella | chat | d").await).await;
    app.drain().await;

    let mut dms = dms(&app);
    dms.sort();
    assert_eq!(
        dms,
        vec![
            "Halfway there: 1/2 customer interviews. Keep going!",
            "🎉 Target reached: 1/1 feedback items triaged. Well done!",
            "🎉 Target reached: 2/2 customer interviews. Well done!",
            "🎉 Target reached: 2/2 support tickets. Well done!",
        ],
        "each milestone once; half and complete at once sends only the completion"
    );
    let announcements: Vec<Call> = app
        .slack
        .ok_calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.args["channel"] == PRODUCT_CHANNEL && c.args["text"].to_string().contains("completed onboarding"))
        .collect();
    assert_eq!(announcements.len(), 1);
}

on_both_backends!(the_helpdesk_webhook_is_signed_and_maps_emails);
async fn the_helpdesk_webhook_is_signed_and_maps_emails(backend: TestBackend) {
    let app = app_on(backend).await;
    app.slash("help").await;
    let event = json!({ "team_id": TEAM, "ticket_id": "ZD-1", "agent_email": "ann@acme.test" });
    let (status, body) = webhook(&app, &event, "not-the-secret").await;
    assert_eq!(status, 401, "{body}");
    let unsigned = app.http.post(app.url("/webhooks/tickets")).body(event.to_string()).send().await.expect("sent");
    assert_eq!(unsigned.status(), 401);
    assert_eq!(app.count("tickets").await, 0);

    // An email Slack does not know: accepted, kept, not counted.
    let (status, body) = webhook(&app, &event, WEBHOOK_SECRET).await;
    assert_eq!(status, 202, "{body}");
    assert!(body["reason"].as_str().expect("reason").contains("no Slack user has this email"), "{body}");
    assert_eq!(app.count("unmapped_tickets").await, 1);
    assert_eq!(app.count("tickets").await, 0);

    // Ann joins Slack: the waiting ticket is matched and counted, once.
    app.slack.add_email("ann@acme.test", "U0ANN00001");
    crate::support::eventually("the waiting ticket to be matched", || async {
        app.count("unmapped_tickets").await == 0
    })
    .await;
    let anns: (String, String) =
        sqlx::query_as("select user_id, ticket_ref from tickets").fetch_one(app.db.pool()).await.expect("counted");
    assert_eq!(anns, ("U0ANN00001".to_owned(), "ZD-1".to_owned()));

    app.slack.add_email("bob@acme.test", "U0BOB00001");
    let event = json!({ "team_id": TEAM, "ticket_id": "ZD-2", "agent_email": "bob@acme.test" });
    let (status, body) = webhook(&app, &event, WEBHOOK_SECRET).await;
    assert_eq!((status, body["user"].clone()), (200, json!("U0BOB00001")), "{body}");
    assert_eq!(app.count("tickets").await, 2);

    let (status, body) = webhook(&app, &json!({ "team_id": TEAM, "agent_slack_id": USER }), WEBHOOK_SECRET).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().expect("error").contains("ticket_id"));
    let (status, body) =
        webhook(&app, &json!({ "team_id": "T0NOPE", "ticket_id": 1, "agent_slack_id": USER }), WEBHOOK_SECRET).await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().expect("error").contains("not a workspace the app is installed in"), "{body}");
}

on_both_backends!(the_helpdesk_webhook_refuses_replays_bad_agents_and_big_bodies);
async fn the_helpdesk_webhook_refuses_replays_bad_agents_and_big_bodies(backend: TestBackend) {
    let app = app_on(backend).await;
    app.slash("help").await;
    let now = crate::support::signer::now();
    let event = json!({ "team_id": TEAM, "ticket_id": "ZD-9", "agent_slack_id": USER }).to_string();
    // Signed six minutes ago: a replay, refused, though the signature is right.
    let (status, body) = webhook_at(&app, &event, WEBHOOK_SECRET, now - 360).await;
    assert_eq!(status, 401, "{body}");
    assert!(body["error"].as_str().expect("error").contains("5 minutes"), "{body}");
    // The old scheme (no timestamp) is refused too.
    let resp = app
        .http
        .post(app.url("/webhooks/tickets"))
        .header("x-highlights-signature", format!("sha256={}", "0".repeat(64)))
        .body(event.clone())
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 401);
    for (agent, why) in [
        ("<@U0USER0001>", "not a Slack user id"),
        ("u0user0001", "not a Slack user id"),
        ("../x", "not a Slack user id"),
    ] {
        let text = format!(r#"{{"team_id":"{TEAM}","ticket_id":"ZD-10","agent_slack_id":"{agent}"}}"#);
        let (status, body) = webhook_at(&app, &text, WEBHOOK_SECRET, now).await;
        assert_eq!(status, 400, "{agent}: {body}");
        assert!(body["error"].as_str().expect("error").contains(why), "{body}");
    }
    // A NUL in a field is cleaned, not a server error.
    let text = format!(r#"{{"team_id":"{TEAM}","ticket_id":"ZD\u0000-11","agent_slack_id":"{USER}"}}"#);
    let (status, body) = webhook_at(&app, &text, WEBHOOK_SECRET, now).await;
    assert_eq!(status, 200, "{body}");
    let refs: Vec<String> =
        sqlx::query_scalar("select ticket_ref from tickets").fetch_all(app.db.pool()).await.expect("refs");
    assert_eq!(refs, vec!["ZD-11".to_owned()]);
    // 900 KB is not a ticket: 413, with a JSON error.
    let big = json!({ "team_id": TEAM, "ticket_id": "ZD-12", "agent_slack_id": USER, "pad": "x".repeat(900_000) });
    let (status, body) = webhook_at(&app, &big.to_string(), WEBHOOK_SECRET, now).await;
    assert_eq!(status, 413);
    assert_eq!(body["ok"], false, "{body}");
}

#[tokio::test]
async fn without_a_secret_the_webhook_is_off() {
    let app = TestApp::spawn().await;
    let resp = app.http.post(app.url("/webhooks/tickets")).body("{}").send().await.expect("sent");
    assert_eq!(resp.status(), 503);
}

on_both_backends!(bad_enrollments_are_refused_with_a_reason);
async fn bad_enrollments_are_refused_with_a_reason(backend: TestBackend) {
    let app = app_on(backend).await;
    app.slack.make_bot("U0BOT00001");
    app.slack.deactivate("U0GONE0001");
    let cases = [
        ("onboard <@U0BOT00001|robot>", "is a bot"),
        ("onboard <@U0GONE0001|gone>", "deactivated"),
        ("onboard me 2999-01-01", "more than 60 days away"),
        ("onboard me interviews=0", "must be from 1"),
        ("onboard me calls=3", "unknown target"),
        ("onboard bob", "mention them with @"),
        ("onboard", "Say who"),
        ("tickets lots", "Say how many tickets"),
        ("tickets 0", "Say how many tickets"),
    ];
    for (text, reason) in cases {
        let said = ephemeral(app.slash(text).await).await;
        assert!(said.contains(reason), "{text}: {said}");
    }
    assert_eq!(app.count("onboardees").await, 0);
    assert_eq!(app.count("tickets").await, 0);
}

on_both_backends!(the_team_view_lists_everyone_most_behind_first);
async fn the_team_view_lists_everyone_most_behind_first(backend: TestBackend) {
    let app = app_on(backend).await;
    ephemeral(app.slash(&format!("onboard <@U0AHEAD001|ahead> {}", days_ago(1))).await).await;
    ephemeral(app.slash(&format!("onboard <@U0BEHIND01|behind> {}", days_ago(20))).await).await;
    let team = ephemeral(app.slash("team").await).await;
    let ahead = team.find("<@U0AHEAD001>").expect("listed");
    let behind = team.find("<@U0BEHIND01>").expect("listed");
    assert!(behind < ahead, "most behind first: {team}");
    assert!(team.contains("day 21 of 30") && team.contains("interviews 0/20 (14 behind)"), "{team}");
    let quota = ephemeral(app.slash("quota <@U0BEHIND01|behind>").await).await;
    assert!(quota.contains("Onboarding of <@U0BEHIND01>"), "{quota}");
    let said = ephemeral(app.slash("offboard <@U0BEHIND01|behind>").await).await;
    assert!(said.contains("has ended"), "{said}");
    let team = ephemeral(app.slash("team").await).await;
    assert!(!team.contains("U0BEHIND01"), "{team}");
}

#[tokio::test]
async fn enrolling_someone_else_needs_a_manager() {
    let app = TestApp::spawn_with(TestBackend::Sqlite, |args| args.managers = Some("U0BOSS0001".into())).await;
    let said = ephemeral(app.slash("onboard <@U0NEWBIE01|new>").await).await;
    assert!(said.contains("can enroll someone else"), "{said}");
    let said = ephemeral(app.slash("onboard me").await).await;
    assert!(said.contains("You are enrolled"), "anyone may enroll themselves: {said}");
}

on_both_backends!(merging_areas_and_customers_carries_triaged_feedback);
async fn merging_areas_and_customers_carries_triaged_feedback(backend: TestBackend) {
    let app = app_on(backend).await;
    ephemeral(app.slash("Acme | chat | hello").await).await;
    triage(&app, "C0SUPPORT1", "1700000009.000100", "email").await;
    let said = ephemeral(app.slash("areas merge email into chat").await).await;
    assert!(said.contains("Merged *email* into *chat*"), "{said}");
    let area: String = sqlx::query_scalar(
        "select a.key from feedback_items f join product_areas a on a.id = f.area_id where f.message_ts = '1700000009.000100'",
    )
    .fetch_one(app.db.pool())
    .await
    .expect("item");
    assert_eq!(area, "chat");
}

on_both_backends!(onboarding_days_are_the_workspaces_days);
async fn onboarding_days_are_the_workspaces_days(backend: TestBackend) {
    let app = app_on(backend).await;
    for zone in ["Pacific/Kiritimati", "Pacific/Pago_Pago"] {
        ephemeral(app.slash(&format!("config timezone {zone}")).await).await;
        let said = ephemeral(app.slash("onboard me").await).await;
        let local_today = jiff::Timestamp::now().in_tz(zone).expect("zone").date().to_string();
        assert!(said.contains(&format!("enrolled from {local_today}")), "{zone}: {said}");
        ephemeral(app.slash(&format!("Acme | chat | in {zone}")).await).await;
        let q = ephemeral(app.slash("quota").await).await;
        assert!(q.contains("day 1 of 30"), "{zone}: {q}");
    }
}
