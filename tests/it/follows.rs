//! Following customers, end to end: `follow`, `unfollow` and `following`,
//! the *Follow* button, one DM per submission to each follower (never the
//! author, never another customer's or workspace's follower) exactly once
//! across restarts, replicas and lost answers, triage notices, the Monday
//! nudge on the controlled clock, and *My customers* on the App Home.

use std::time::Duration;

use serde_json::{json, Value};

use crate::capture::{area_id, submission, value};
use crate::on_both_backends;
use crate::support::clicks::Click;
use crate::support::db::TestBackend;
use crate::support::fake_slack::{Fault, Hold};
use crate::support::{ephemeral, fixture_json, TestApp, TEAM, USER};
use highlights::app::{AppState, Clock};
use highlights::store::workspaces::WorkspaceId;

/// Someone who follows customers (not the author of the captures).
const FOLLOWER: &str = "U0FOLLOW01";
/// Someone who follows another customer.
const BYSTANDER: &str = "U0BYSTAND1";

/// The app's conversation with a person, as the fake Slack opens it.
pub(crate) fn dm_of(user: &str) -> String {
    format!("D{}", user.strip_prefix('U').unwrap_or(user))
}

/// The DMs the app sent a person (as they landed in the conversation).
pub(crate) fn dms(app: &TestApp, user: &str) -> Vec<Value> {
    app.slack.messages_in(&dm_of(user))
}

/// The blocks of each DM posted to a person, as text.
pub(crate) fn dm_blocks(app: &TestApp, user: &str) -> Vec<String> {
    let dm = dm_of(user);
    app.slack
        .ok_calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.args["channel"] == dm.as_str())
        .map(|c| c.args["blocks"].to_string())
        .collect()
}

/// Types `/highlight <text>` as `user` and returns the reply.
pub(crate) async fn slash_as(app: &TestApp, user: &str, text: &str) -> Value {
    let resp = app.slash_as(user, text).await;
    assert_eq!(resp.status(), 200);
    resp.json().await.expect("JSON reply")
}

pub(crate) async fn said_as(app: &TestApp, user: &str, text: &str) -> String {
    slash_as(app, user, text).await["text"].as_str().expect("text").to_owned()
}

async fn capture(app: &TestApp, text: &str) {
    let said = ephemeral(app.slash(text).await).await;
    assert!(said.starts_with("✅ Saved"), "{text}: {said}");
}

async fn follows_of(app: &TestApp, user: &str) -> Vec<i64> {
    sqlx::query_scalar("select customer_id from follows where user_id = $1 order by customer_id")
        .bind(user)
        .fetch_all(app.db.pool())
        .await
        .expect("follows")
}

on_both_backends!(follow_unfollow_and_following_answer_clearly);
async fn follow_unfollow_and_following_answer_clearly(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    capture(&app, "Acme | chat | canned replies").await;
    capture(&app, "Tom &amp; Jerry | chat | cheese").await;
    assert_eq!(
        ephemeral(app.slash("following").await).await,
        "You don't follow any customer yet. Follow one with `/highlight follow &lt;customer&gt;`: you hear when someone \
         else learns something new about them."
    );
    let said = ephemeral(app.slash("follow acme inc.").await).await;
    assert!(said.starts_with("You now follow *Acme*."), "{said}");
    assert_eq!(ephemeral(app.slash("follow ACME").await).await, "You already follow *Acme*.");
    ephemeral(app.slash("follow Tom &amp; Jerry").await).await;
    assert_eq!(follows_of(&app, USER).await.len(), 2, "followed once each");

    // Unknown names: the closest known ones, and nothing stored.
    let said = ephemeral(app.slash("follow Acmee").await).await;
    assert_eq!(said, "I don't know a customer called “Acmee”. Did you mean *Acme*? Nothing changed.");
    let said = ephemeral(app.slash("follow Umbrella").await).await;
    assert!(said.starts_with("I don't know a customer called “Umbrella”"), "{said}");
    assert_eq!(follows_of(&app, USER).await.len(), 2);
    assert!(ephemeral(app.slash("follow").await).await.contains("/highlight follow Acme"));

    // Listed with when each was last heard from, names escaped.
    let today =
        jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date().strftime("%Y-%m-%d").to_string();
    let said = ephemeral(app.slash("following").await).await;
    assert_eq!(
        said,
        format!(
            "*Customers you follow* (2)\n• *Acme* · last heard from {today}\n• *Tom &amp; Jerry* · last heard from {today}"
        )
    );

    assert_eq!(ephemeral(app.slash("unfollow Acme").await).await, "You no longer follow *Acme*.");
    assert_eq!(ephemeral(app.slash("unfollow Acme").await).await, "You don't follow *Acme*, so nothing changed.");
    assert_eq!(follows_of(&app, USER).await.len(), 1);
}

on_both_backends!(a_merged_customers_followers_follow_the_survivor);
async fn a_merged_customers_followers_follow_the_survivor(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    capture(&app, "Acme | chat | one").await;
    capture(&app, "Globex | chat | two").await;
    said_as(&app, FOLLOWER, "follow Globex").await;
    said_as(&app, BYSTANDER, "follow Globex").await;
    said_as(&app, BYSTANDER, "follow Acme").await;
    let said = ephemeral(app.slash("merge Globex into Acme").await).await;
    assert!(said.starts_with("Merged"), "{said}");
    let acme = app.customer_id("Acme").await;
    assert_eq!(follows_of(&app, FOLLOWER).await, vec![acme]);
    assert_eq!(follows_of(&app, BYSTANDER).await, vec![acme], "once, though they followed both");
}

on_both_backends!(the_follow_button_follows_from_the_customer_view_and_the_confirmations);
async fn the_follow_button_follows_from_the_customer_view_and_the_confirmations(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    // The quick capture's confirmation offers to follow.
    let reply = slash_as(&app, USER, "Acme | chat | canned replies").await;
    let acme = app.customer_id("Acme").await;
    let button = &reply["blocks"][1]["elements"][0];
    assert_eq!(
        (button["action_id"].as_str(), button["value"].as_str()),
        (Some("follow_customer"), Some(&*acme.to_string()))
    );

    // The customer view's button follows, and says so.
    let view = slash_as(&app, FOLLOWER, "customer Acme").await;
    let answer = app.click_answered(&Click::found_in(&view["blocks"], "follow_customer").by(FOLLOWER)).await;
    let answer = answer["text"].as_str().expect("text");
    assert!(answer.starts_with("You now follow *Acme*."), "{answer}");
    assert_eq!(follows_of(&app, FOLLOWER).await, vec![acme]);
    // The view now knows: Unfollow.
    let view = slash_as(&app, FOLLOWER, "customer Acme").await;
    let last = view["blocks"].as_array().expect("blocks").last().expect("a block").clone();
    assert_eq!(last["elements"][0]["action_id"], "unfollow_customer", "{view}");
    let answer = app.click_answered(&Click::found_in(&view["blocks"], "unfollow_customer").by(FOLLOWER)).await;
    assert_eq!(answer["text"], "You no longer follow *Acme*.");
    assert!(follows_of(&app, FOLLOWER).await.is_empty());

    // A value naming no customer of this workspace follows nothing.
    let forged = json!([{ "type": "actions", "elements": [
        { "type": "button", "action_id": "follow_customer", "text": { "type": "plain_text", "text": "Follow" }, "value": "987654" }
    ] }]);
    let answer = app.click_answered(&Click::found_in(&forged, "follow_customer").by(FOLLOWER)).await;
    assert!(answer["text"].as_str().expect("text").contains("nothing changed"));
    assert_eq!(app.count("follows").await, 0);

    // The modal's confirmation too: clicked there, the form shows the answer.
    let chat = area_id(&app, "chat").await;
    let values = json!({
        "customer": value("Acme"), "area_0": crate::capture::selected(&chat), "quote_0": value("macros please"),
        "interview_date": { "value": { "type": "datepicker", "selected_date": "2026-01-15" } },
    });
    let resp = app.interaction(&submission(values, 1)).await;
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(body["response_action"], "update", "{body}");
    let form = json!({ "id": "V0VIEW0002", "team_id": TEAM, "type": "modal", "callback_id": "", "hash": "2.b",
                       "private_metadata": "", "blocks": [], "state": { "values": {} },
                       "title": { "type": "plain_text", "text": "Highlights saved" } });
    app.click(&Click::found_in(&body["view"]["blocks"], "follow_customer").on_view(form)).await;
    let updated = app.slack.wait_for_ok_calls("views.update", 1).await;
    assert_eq!(updated[0].args["view_id"], "V0VIEW0002");
    let shown = updated[0].args["view"].to_string();
    assert!(shown.contains("You now follow *Acme*.") && shown.contains("unfollow_customer"), "{shown}");
    assert_eq!(follows_of(&app, USER).await, vec![acme]);
}

on_both_backends!(each_follower_gets_one_dm_per_modal_submission_and_the_author_none);
async fn each_follower_gets_one_dm_per_modal_submission_and_the_author_none(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    capture(&app, "Acme | chat | first").await;
    capture(&app, "Globex | chat | other").await;
    app.drain().await;
    said_as(&app, FOLLOWER, "follow Acme").await;
    said_as(&app, BYSTANDER, "follow Globex").await;
    ephemeral(app.slash("follow Acme").await).await;

    let (chat, billing) = (area_id(&app, "chat").await, area_id(&app, "billing").await);
    let values = json!({
        "customer": value("Acme"), "recording_link": value("https://youtu.be/abc"),
        "interview_date": { "value": { "type": "datepicker", "selected_date": "2026-01-15" } },
        "area_0": crate::capture::selected(&chat), "quote_0": value("We need <!channel> macros"), "at_0": value("12:34"),
        "area_1": crate::capture::selected(&billing), "quote_1": value("Invoices in EUR"),
    });
    let resp = app.interaction(&submission(values, 2)).await;
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(body["response_action"], "update", "{body}");
    app.drain().await;

    let sent = dm_blocks(&app, FOLLOWER);
    assert_eq!(sent.len(), 1, "one DM for the submission: {sent:?}");
    let dm = &sent[0];
    assert!(dm.contains("We need &lt;!channel&gt; macros") && dm.contains("Invoices in EUR"), "{dm}");
    assert!(dm.contains("📂 chat") && dm.contains("📂 billing"), "{dm}");
    assert!(dm.contains("<https://youtu.be/abc?t=754|▶ 12:34>"), "{dm}");
    let thread: String = sqlx::query_scalar("select thread_permalink from customers where display_name = 'Acme'")
        .fetch_one(app.db.pool())
        .await
        .expect("permalink");
    assert!(dm.contains(&format!("<{thread}|Open Acme's thread>")), "{dm}");
    assert!(dms(&app, USER).is_empty(), "the author's own captures never DM them");
    assert!(dms(&app, BYSTANDER).is_empty(), "a follower of another customer hears nothing");

    // A quick capture by the follower themself: nobody else follows Acme but the author.
    said_as(&app, FOLLOWER, "Acme | chat | the follower's own").await;
    app.drain().await;
    assert_eq!(dms(&app, FOLLOWER).len(), 1);
    assert_eq!(dms(&app, USER).len(), 1, "the other follower hears of it");
}

on_both_backends!(another_workspaces_follower_hears_nothing);
async fn another_workspaces_follower_hears_nothing(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    // Another workspace with its own Acme, followed there.
    let other = WorkspaceId("T0OTHER001".into());
    let name = highlights::domain::CustomerName::parse("Acme").expect("name");
    app.db
        .write(async |tx| {
            highlights::store::workspaces::insert_workspace_if_new(tx, &other, &[], 1).await?;
            let id = highlights::store::customers::insert_customer_if_new(tx, &other, &name, 1).await?;
            highlights::store::follows::insert_follow(tx, &other, id, FOLLOWER, 1).await
        })
        .await
        .expect("other workspace");
    capture(&app, "Acme | chat | here").await;
    said_as(&app, BYSTANDER, "follow Acme").await;
    capture(&app, "Acme | chat | again").await;
    app.drain().await;
    assert!(dms(&app, FOLLOWER).is_empty());
    assert_eq!(dms(&app, BYSTANDER).len(), 1);
}

on_both_backends!(a_dm_is_sent_once_across_a_crash_between_commit_and_send);
async fn a_dm_is_sent_once_across_a_crash_between_commit_and_send(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    capture(&app, "Acme | chat | first").await;
    said_as(&app, FOLLOWER, "follow Acme").await;
    app.drain().await;
    // The DM is on its way when the process dies.
    let hold = Hold::new();
    app.slack.fail_next("conversations.open", Fault::Held(hold.clone()), 1);
    capture(&app, "Acme | chat | second").await;
    app.slack.wait_for_calls("conversations.open", 1).await;
    let app = app.crash_and_restart().await;
    hold.release();
    app.drain().await;
    assert_eq!(dms(&app, FOLLOWER).len(), 1);
    assert_eq!(app.outbox_rows_of("notify_follower").await.len(), 1);
}

on_both_backends!(two_replicas_send_each_dm_once);
async fn two_replicas_send_each_dm_once(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    capture(&app, "Acme | chat | first").await;
    said_as(&app, FOLLOWER, "follow Acme").await;
    said_as(&app, BYSTANDER, "follow Acme").await;
    app.drain().await;
    let replica = app.replica().await;
    for n in 0..4 {
        capture(&app, &format!("Acme | chat | from one {n}")).await;
        let said = ephemeral(replica.slash(&format!("Acme | chat | from two {n}")).await).await;
        assert!(said.starts_with("✅"), "{said}");
    }
    app.drain().await;
    replica.drain().await;
    for user in [FOLLOWER, BYSTANDER] {
        let sent = dms(&app, user);
        assert_eq!(sent.len(), 8, "{user}: one DM per submission");
        let mut texts: Vec<String> = sent.iter().map(|m| m["text"].to_string()).collect();
        texts.dedup();
        assert_eq!(texts.len(), 1, "the same notice each time: {texts:?}");
    }
    drop(replica);
}

on_both_backends!(a_dm_whose_answer_was_lost_is_not_sent_twice);
async fn a_dm_whose_answer_was_lost_is_not_sent_twice(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    capture(&app, "Acme | chat | first").await;
    said_as(&app, FOLLOWER, "follow Acme").await;
    app.drain().await;
    // The reply's post and the DM both reach Slack; neither answer comes back.
    app.slack.fail_next("chat.postMessage", Fault::LostAnswer, 2);
    capture(&app, "Acme | chat | second").await;
    app.drain().await;
    assert_eq!(dms(&app, FOLLOWER).len(), 1, "looked up, not sent again");
    let dm = dm_of(FOLLOWER);
    let looked = app.slack.calls_to("conversations.history").into_iter().any(|c| c.args["channel"] == dm.as_str());
    assert!(looked, "the DM was looked for in the conversation");
}

/// Triages a message naming `customer` (its id), as [`USER`].
async fn triage(app: &TestApp, customer: i64, area: &str) {
    let mut shortcut = fixture_json(include_str!("../fixtures/requests/message_action.save_as_highlight.json"));
    shortcut["callback_id"] = json!("triage_feedback");
    // Slack gives every shortcut a trigger of its own.
    static TRIGGERS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let trigger = TRIGGERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    shortcut["trigger_id"] = json!(format!("1234567894.1234567890.{trigger:032x}"));
    shortcut["message"]["text"] = json!("Customers keep asking for &lt;dark mode&gt;");
    let before = app.slack.calls_to("views.open").len();
    assert_eq!(app.interaction(&shortcut).await.status(), 200);
    let opened = app.slack.wait_for_ok_calls("views.open", before + 1).await;
    let view = opened[before].args["view"].clone();
    let option = |v: Value| json!({ "value": { "type": "static_select", "selected_option": { "text": { "type": "plain_text", "text": "x" }, "value": v } } });
    let submission = json!({
        "type": "view_submission", "team": { "id": TEAM, "domain": "acme" },
        "user": { "id": USER, "username": "alice", "team_id": TEAM }, "api_app_id": "A0APP00001", "token": "t", "trigger_id": "1.2.3",
        "view": { "id": "V1", "team_id": TEAM, "type": "modal", "callback_id": "triage", "hash": "1",
                  "private_metadata": view["private_metadata"].clone(), "title": { "type": "plain_text", "text": "Triage" }, "blocks": [],
                  "state": { "values": { "area": option(json!(area_id(app, area).await)), "kind": option(json!("request")),
                                         "customer": option(json!(format!("id:{customer}"))) } } },
    });
    let resp = app.interaction(&submission).await;
    assert_eq!(resp.status(), 200);
}

on_both_backends!(triaging_feedback_naming_a_customer_tells_its_followers);
async fn triaging_feedback_naming_a_customer_tells_its_followers(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    capture(&app, "Acme | chat | first").await;
    said_as(&app, FOLLOWER, "follow Acme").await;
    ephemeral(app.slash("follow Acme").await).await;
    app.drain().await;
    let acme = app.customer_id("Acme").await;
    triage(&app, acme, "reporting").await;
    app.drain().await;
    let sent = dm_blocks(&app, FOLLOWER);
    assert_eq!(sent.len(), 1, "{sent:?}");
    let dm = &sent[0];
    assert!(dm.contains("&lt;dark mode&gt;") && dm.contains("📂 reporting"), "{dm}");
    assert!(dms(&app, USER).is_empty(), "not the person who triaged");
    // The same message triaged again tells nobody again.
    triage(&app, acme, "reporting").await;
    app.drain().await;
    assert_eq!(dms(&app, FOLLOWER).len(), 1);
}

/// The next moment at `weekday` `hour`:`minute` UTC after now.
fn next(weekday: jiff::civil::Weekday, hour: i8, minute: i8) -> jiff::Timestamp {
    let now = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC);
    let mut day = now.date().tomorrow().expect("tomorrow");
    while day.weekday() != weekday {
        day = day.tomorrow().expect("next day");
    }
    day.at(hour, minute, 0, 0).to_zoned_datetime(jiff::tz::TimeZone::UTC).expect("moment").timestamp()
}

/// Runs the nudge scheduler once as another replica would, at `at`.
async fn queue_nudges_at(app: &TestApp, at: jiff::Timestamp) -> usize {
    let db = highlights::store::Db::connect(&app.test_db.url).await.expect("database");
    let state = AppState::new(app.config.clone(), db.clone(), Clock::fixed(at));
    let looked =
        highlights::follows::notices::queue_nudges(&state.db, &state.clock, &state.outbox).await.expect("nudges");
    db.close().await;
    looked
}

/// Moves the app's clock forward to `at` (at least 7 minutes ahead; then 7
/// minutes more) and waits for
/// its scheduler to have run a whole tick from `at` on. A tick ends by
/// forgetting the signed requests past their signing window (6 minutes), so a
/// request's record gone means a tick ended after the move; the next one
/// gone, after a second move, means a tick ran from start to end after it.
pub(crate) async fn move_clock_to(app: &TestApp, at: jiff::Timestamp) {
    let now = jiff::Timestamp::now().as_millisecond() + app.clock_ahead_ms();
    assert!(at.as_millisecond() - now >= 7 * 60 * 1000, "past the signing window of the last request");
    for by in [at.as_millisecond() - now, 7 * 60 * 1000] {
        ephemeral(app.slash("following").await).await;
        assert!(app.count("seen_requests").await > 0, "the request is remembered");
        app.advance(Duration::from_millis(by.max(0) as u64));
        crate::support::eventually("a scheduler tick", || async { app.count("seen_requests").await == 0 }).await;
    }
}

on_both_backends!(monday_nudges_list_quiet_customers_once_per_follower);
async fn monday_nudges_list_quiet_customers_once_per_follower(backend: TestBackend) {
    use jiff::civil::Weekday::{Monday, Sunday};
    let app = TestApp::spawn_on(backend).await;
    capture(&app, "Acme | chat | long ago").await;
    capture(&app, "Initech | chat | long ago too").await;
    capture(&app, "Globex | chat | recently").await;
    // Acme was last interviewed 60 days before Monday, Initech 40; Globex this week.
    // The Sunday before that Monday comes first (on a Sunday, the next
    // Monday would come before the next Sunday).
    let sunday = next(Sunday, 9, 30);
    let monday = sunday + jiff::SignedDuration::from_mins(23 * 60 + 30);
    assert_eq!(monday.to_zoned_datetime(jiff::tz::TimeZone::UTC).weekday(), Monday);
    let days_before = |n: i64| {
        (monday.to_zoned_datetime(jiff::tz::TimeZone::UTC).date() - jiff::Span::new().days(n))
            .strftime("%Y-%m-%d")
            .to_string()
    };
    for (name, date) in [("Acme", days_before(60)), ("Initech", days_before(40))] {
        sqlx::query("update interviews set interview_date = $1 where customer_id = $2")
            .bind(date)
            .bind(app.customer_id(name).await)
            .execute(app.db.pool())
            .await
            .expect("moved");
    }
    for name in ["Initech", "Acme", "Globex"] {
        said_as(&app, FOLLOWER, &format!("follow {name}")).await;
    }
    said_as(&app, BYSTANDER, "follow Globex").await;

    // Not on Sunday, not before 09:00 on Monday (08:45 to 08:52), on the app's clock.
    for at in [sunday, monday - jiff::SignedDuration::from_mins(15)] {
        move_clock_to(&app, at).await;
        assert_eq!(app.outbox_rows_of("nudge_follower").await.len(), 0, "none at {at}");
    }

    // Monday 09:00: the app's scheduler queues them; replicas racing queue nothing more.
    move_clock_to(&app, monday + jiff::SignedDuration::from_secs(1)).await;
    app.drain().await;
    let later = monday + jiff::SignedDuration::from_hours(2);
    let (a, b, c) =
        tokio::join!(queue_nudges_at(&app, later), queue_nudges_at(&app, later), queue_nudges_at(&app, later));
    assert_eq!(a + b + c, 0, "queued once for the day");
    app.drain().await;
    assert_eq!(app.outbox_rows_of("nudge_follower").await.len(), 1, "only the follower with quiet customers");
    let sent = dms(&app, FOLLOWER);
    assert_eq!(sent.len(), 1, "{sent:?}");
    let text = sent[0]["text"].to_string();
    assert!(text.contains("2 customers you follow have gone quiet"), "{text}");
    let blocks = dm_blocks(&app, FOLLOWER).remove(0);
    let (acme, initech) = (blocks.find("*Acme*").expect("Acme"), blocks.find("*Initech*").expect("Initech"));
    assert!(acme < initech, "oldest first: {blocks}");
    assert!(!blocks.contains("Globex"), "{blocks}");
    assert!(dms(&app, BYSTANDER).is_empty(), "all their customers are recent");

    // Off: the next Monday sends nothing.
    ephemeral(app.slash("config nudge off").await).await;
    assert_eq!(queue_nudges_at(&app, monday + jiff::SignedDuration::from_hours(7 * 24 + 1)).await, 0);
    ephemeral(app.slash("config nudge 50").await).await;
    // Three replicas at the same moment: one queues.
    let next_monday = monday + jiff::SignedDuration::from_hours(7 * 24 + 1);
    let (a, b, c) = tokio::join!(
        queue_nudges_at(&app, next_monday),
        queue_nudges_at(&app, next_monday),
        queue_nudges_at(&app, next_monday)
    );
    assert_eq!(a + b + c, 1);
    assert_eq!(app.outbox_rows_of("nudge_follower").await.len(), 2, "Acme alone is quiet for 50 days");
}

on_both_backends!(the_app_home_shows_my_customers);
async fn the_app_home_shows_my_customers(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    capture(&app, "Acme &amp; Sons | chat | one").await;
    capture(&app, "Acme &amp; Sons | billing | two").await;
    ephemeral(app.slash("follow Acme &amp; Sons").await).await;
    app.drain().await;
    let before = app.slack.ok_calls_to("views.publish").len();
    let mut opened = fixture_json(include_str!("../fixtures/requests/event_callback.app_home_opened.json"));
    opened["event_id"] = json!("Ev0HOME0FOL");
    assert_eq!(app.event(&opened).await.status(), 200);
    let published = app.slack.wait_for_ok_calls("views.publish", before + 1).await;
    let view = published[before].args["view"].to_string();
    let today =
        jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date().strftime("%Y-%m-%d").to_string();
    assert!(view.contains("*My customers* (1)"), "{view}");
    assert!(
        view.contains(&format!("• *Acme &amp; Sons* · last interview {today} · 2 highlights, 1 interview")),
        "{view}"
    );
}
