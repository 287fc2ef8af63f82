//! Evidence people can trust (docs/design.md, Behaviour): recording links that open at the
//! moment a quote was said, everywhere a quote is shown.

use serde_json::{json, Value};

use crate::capture::{area_id, drained, replies, selected, submission, value};
use crate::on_both_backends;
use crate::support::clicks::Click;
use crate::support::db::TestBackend;
use crate::support::{ephemeral, fixture_json, TestApp, PRODUCT_CHANNEL, TEAM, USER};

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

/// Words each area's customers use (a seeded data set: every quote is three
/// of its area's words and some filler).
const VOCABULARY: [(&str, [&str; 8]); 4] = [
    ("chat", ["canned", "replies", "macros", "agents", "inbox", "typing", "conversation", "widget"]),
    ("billing", ["invoice", "refund", "currency", "payment", "charge", "taxes", "receipt", "pricing"]),
    ("reporting", ["dashboard", "export", "metrics", "chart", "spreadsheet", "trends", "weekly", "filters"]),
    ("mobile", ["iphone", "android", "offline", "notifications", "tablet", "battery", "gestures", "camera"]),
];

/// Customers of the seeded data set, far enough apart not to be taken for one another.
const COMPANIES: [&str; 12] = [
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Soylent",
    "Tyrell",
    "Wonka",
    "Cyberdyne",
    "Aperture",
    "Massive",
    "Vandelay",
    "Pied Piper",
];

fn seeded_quote(words: &[&str; 8], n: usize) -> String {
    let fillers = ["honestly", "please", "today", "again", "somehow"];
    format!("{} {} {} {}", words[n % 8], fillers[n % fillers.len()], words[(n * 3 + 1) % 8], words[(n * 5 + 2) % 8])
}

fn buttons(reply: &Value) -> Vec<Value> {
    reply["blocks"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|b| b["elements"].as_array().cloned().unwrap_or_default())
        .filter(|e| e["type"] == "button")
        .collect()
}

on_both_backends!(a_capture_without_an_area_suggests_the_likely_ones_and_stores_only_the_choice);
async fn a_capture_without_an_area_suggests_the_likely_ones_and_stores_only_the_choice(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    for (area, words) in VOCABULARY {
        for (n, company) in COMPANIES.iter().enumerate().take(4) {
            let said = ephemeral(app.slash(&format!("{company} | {area} | {}", seeded_quote(&words, n))).await).await;
            assert!(said.starts_with("✅ Saved"), "{said}");
        }
    }
    let before = app.count("highlights").await;
    let reply: Value =
        app.slash("Acme | \"The invoice currency is wrong on every receipt\"").await.json().await.expect("JSON");
    let offered = buttons(&reply);
    assert_eq!(offered.len(), 3, "{reply}");
    assert_eq!(offered[0]["text"]["text"], "billing", "the likeliest first: {reply}");
    assert!(reply.to_string().contains("Nothing is saved until you choose"), "{reply}");
    assert_eq!(app.count("highlights").await, before, "nothing stored before the choice");

    let action = offered[0]["action_id"].as_str().expect("action").to_owned();
    let answer = app.click_answered(&Click::in_reply(&reply, &action)).await;
    assert!(answer["text"].as_str().expect("text").contains("Saved for *Acme* in *billing*"), "{answer}");
    assert_eq!(app.count("highlights").await, before + 1);
    let stored: String = sqlx::query_scalar("select quote from highlights order by id desc limit 1")
        .fetch_one(app.db.pool())
        .await
        .expect("row");
    assert_eq!(stored, "The invoice currency is wrong on every receipt");
    // Clicking again (Slack delivers each click) captures nothing more.
    app.click(&Click::in_reply(&reply, &action)).await;
    assert_eq!(app.count("highlights").await, before + 1, "double click, one capture");
}

on_both_backends!(suggested_areas_are_right_on_most_of_a_held_out_split);
async fn suggested_areas_are_right_on_most_of_a_held_out_split(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    // Train on 9 quotes per area, hold out 3 per area.
    for (n, company) in COMPANIES.iter().enumerate().take(9) {
        for (area, words) in VOCABULARY {
            let said = ephemeral(app.slash(&format!("{company} | {area} | {}", seeded_quote(&words, n))).await).await;
            assert!(said.starts_with("✅ Saved"), "{said}");
        }
    }
    assert_eq!(app.count("highlights").await, 36, "the training split is stored");
    let mut right = 0;
    let mut asked = 0;
    for n in 9..12 {
        for (area, words) in VOCABULARY {
            let reply: Value =
                app.slash(&format!("Heldout{n} | {}", seeded_quote(&words, n))).await.json().await.expect("JSON");
            asked += 1;
            if buttons(&reply).first().is_some_and(|b| b["text"]["text"] == area) {
                right += 1;
            }
        }
    }
    let accuracy = f64::from(right) / f64::from(asked);
    println!("suggested area, top-1 accuracy on the held-out split: {right}/{asked} = {accuracy:.2}");
    assert!(accuracy >= 0.75, "{right}/{asked}");
}

on_both_backends!(the_form_opened_on_a_message_preselects_its_likely_area);
async fn the_form_opened_on_a_message_preselects_its_likely_area(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    for (n, (area, words)) in VOCABULARY.iter().enumerate() {
        let said = ephemeral(app.slash(&format!("{} | {area} | {}", COMPANIES[n], seeded_quote(words, n))).await).await;
        assert!(said.starts_with("✅ Saved"), "{said}");
    }
    let open = |text: &str| {
        let mut payload =
            crate::support::fixture_json(include_str!("../fixtures/requests/message_action.save_as_highlight.json"));
        payload["message"]["text"] = json!(text);
        payload
    };
    let area_of = |call: &crate::support::fake_slack::Call| {
        call.args["view"]["blocks"]
            .as_array()
            .expect("blocks")
            .iter()
            .find(|b| b["block_id"] == "area_0")
            .expect("area")["element"]["initial_option"]["text"]["text"]
            .clone()
    };
    assert_eq!(app.interaction(&open("The refund and the taxes are wrong")).await.status(), 200);
    let opened = app.slack.wait_for_ok_calls("views.open", 1).await;
    assert_eq!(area_of(&opened[0]), "billing", "{:?}", opened[0].args);
    // Nothing alike: no area chosen for the person.
    assert_eq!(app.interaction(&open("Lunch was nice")).await.status(), 200);
    let opened = app.slack.wait_for_ok_calls("views.open", 2).await;
    assert_eq!(area_of(&opened[1]), Value::Null);
}

on_both_backends!(a_capture_sees_every_quote_committed_before_it_however_long_the_read_is_kept);
async fn a_capture_sees_every_quote_committed_before_it_however_long_the_read_is_kept(backend: TestBackend) {
    let timing = highlights::config::Timing {
        recent_quotes_for: std::time::Duration::from_secs(3600),
        ..crate::support::test_timing()
    };
    let app = TestApp::spawn_with_timing(backend, crate::support::fake_slack::FakeSlack::start().await, timing).await;
    // The database is read here, once for the hour; billing is the busiest area.
    for quote in ["Lunch was nice", "Coffee was good", "Parking is hard", "The weather is fine"] {
        ephemeral(app.slash(&format!("Initech | billing | {quote}")).await).await;
    }
    let first = ephemeral(app.slash("Globex | chat | Canned replies would save hours").await).await;
    assert!(!first.contains("something like it"), "{first}");
    // Four customers saying the same thing within seconds see one another.
    let second = ephemeral(app.slash("Initech | chat | Canned replies please").await).await;
    assert!(second.contains("something like it") && second.contains("Globex"), "{second}");
    let third = ephemeral(app.slash("Hooli | chat | Canned replies for the chat widget").await).await;
    assert!(third.contains("Globex") && third.contains("Initech"), "{third}");
    let fourth = ephemeral(app.slash("Umbrella | chat | canned replies").await).await;
    assert!(fourth.contains("Globex") && fourth.contains("Initech") && fourth.contains("Hooli"), "{fourth}");
    // The area suggested for a quote like them is theirs, not the busiest.
    let reply: Value = app.slash("Wayne | we want canned replies").await.json().await.expect("JSON");
    assert_eq!(buttons(&reply).first().map(|b| b["text"]["text"].clone()), Some(json!("chat")), "{reply}");

    // Another replica sees them within a second of its own reads.
    let second_second = highlights::config::Timing {
        recent_quotes_for: std::time::Duration::from_secs(1),
        ..crate::support::test_timing()
    };
    let other = app.replica_with_timing(second_second).await;
    let said = ephemeral(other.slash("Stark | billing | Lunch again").await).await;
    assert!(said.starts_with("✅ Saved"), "{said}");
    let seen = ephemeral(other.slash("Tyrell | chat | canned replies please").await).await;
    assert!(seen.contains("Umbrella"), "{seen}");
    drop(other);
}

/// Where the app posted the (only, or first) highlight's reply.
async fn posted_reply(app: &TestApp, quote: &str) -> (i64, String, String) {
    sqlx::query_as("select id, posted_channel, posted_ts from highlights where quote = $1")
        .bind(quote)
        .fetch_one(app.db.pool())
        .await
        .expect("a posted highlight")
}

async fn endorsed_by(app: &TestApp, id: i64) -> Option<String> {
    sqlx::query_scalar("select endorsed_by from highlights where id = $1")
        .bind(id)
        .fetch_one(app.db.pool())
        .await
        .expect("row")
}

/// A reaction event on a message, as Slack sends it (the fixture's envelope).
fn reaction_event(event_id: &str, added: bool, user: &str, emoji: &str, channel: &str, ts: &str) -> Value {
    let mut envelope = fixture_json(include_str!("../fixtures/requests/event_callback.reaction_added.json"));
    envelope["event_id"] = json!(event_id);
    envelope["event"]["type"] = json!(if added { "reaction_added" } else { "reaction_removed" });
    envelope["event"]["user"] = json!(user);
    envelope["event"]["reaction"] = json!(emoji);
    envelope["event"]["item"] = json!({ "type": "message", "channel": channel, "ts": ts });
    envelope
}

/// A click on a reply's endorsement button.
fn endorse_click(user: &str, highlight_id: i64, channel: &str, ts: &str) -> Click {
    Click::button("endorse_highlight", &highlight_id.to_string())
        .in_block("endorsement")
        .by(user)
        .on_message(channel, ts)
}

/// The `chat.update`s of one message.
fn updates_of(app: &TestApp, ts: &str) -> Vec<String> {
    app.slack
        .ok_calls_to("chat.update")
        .iter()
        .filter(|c| c.args["ts"] == ts)
        .map(|c| c.args["blocks"].to_string())
        .collect()
}

on_both_backends!(a_managers_check_mark_or_button_endorses_a_highlight_and_its_reply_says_who);
async fn a_managers_check_mark_or_button_endorses_a_highlight_and_its_reply_says_who(backend: TestBackend) {
    const BOSS: &str = "U0BOSS0001";
    const ADMIN: &str = "U0ADMIN001";
    let app = TestApp::spawn_with(backend, |args| {
        args.managers = Some(BOSS.into());
        args.product_channel = Some(PRODUCT_CHANNEL.into());
    })
    .await;
    app.slack.make_admin(ADMIN);
    ephemeral(app.slash("Acme | chat | We need canned replies").await).await;
    drained(&app).await;
    let (id, channel, ts) = posted_reply(&app, "We need canned replies").await;
    let posted = reply_text(&app);
    assert!(posted.contains("endorse_highlight") && !posted.contains("Endorsed by"), "{posted}");

    // A ✅ from someone who is neither a manager nor an admin changes nothing.
    assert_eq!(app.event(&reaction_event("Ev1", true, USER, "white_check_mark", &channel, &ts)).await.status(), 200);
    // Another emoji from the manager is not an endorsement.
    assert_eq!(app.event(&reaction_event("Ev2", true, BOSS, "tada", &channel, &ts)).await.status(), 200);
    drained(&app).await;
    assert_eq!(endorsed_by(&app, id).await, None);
    assert!(updates_of(&app, &ts).is_empty(), "the reply is untouched");

    // The manager's ✅ endorses it, and the reply says so.
    assert_eq!(app.event(&reaction_event("Ev3", true, BOSS, "white_check_mark", &channel, &ts)).await.status(), 200);
    drained(&app).await;
    assert_eq!(endorsed_by(&app, id).await.as_deref(), Some(BOSS));
    let updates = updates_of(&app, &ts);
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert!(updates[0].contains("✅ Endorsed by <@U0BOSS0001>") && updates[0].contains("withdraw_endorsement"));

    // Removing the ✅ withdraws it.
    assert_eq!(app.event(&reaction_event("Ev4", false, BOSS, "white_check_mark", &channel, &ts)).await.status(), 200);
    drained(&app).await;
    assert_eq!(endorsed_by(&app, id).await, None);
    let updates = updates_of(&app, &ts);
    assert!(updates.len() == 2 && !updates[1].contains("Endorsed by"), "{updates:?}");

    // The button: refused to a non-manager (only they are told), taken from an admin.
    let told = app.click_answered(&endorse_click(USER, id, &channel, &ts)).await;
    assert_eq!(told["response_type"], "ephemeral");
    assert!(told["text"].to_string().contains("Only the app's managers and workspace admins can endorse"), "{told}");
    assert_eq!(endorsed_by(&app, id).await, None);
    app.click(&endorse_click(ADMIN, id, &channel, &ts)).await;
    drained(&app).await;
    assert_eq!(endorsed_by(&app, id).await.as_deref(), Some(ADMIN));
    // A second endorsement keeps the first endorser, and changes nothing.
    assert_eq!(app.event(&reaction_event("Ev5", true, BOSS, "white_check_mark", &channel, &ts)).await.status(), 200);
    drained(&app).await;
    assert_eq!(endorsed_by(&app, id).await.as_deref(), Some(ADMIN));
    assert_eq!(updates_of(&app, &ts).len(), 3);
    assert!(updates_of(&app, &ts)[2].contains("Endorsed by <@U0ADMIN001>"));
}

/// The blocks of every month-end report DMed to the test user.
fn reports(app: &TestApp) -> Vec<String> {
    app.slack
        .ok_calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.args["channel"] == USER && c.args["text"].to_string().contains("Month-end report"))
        .map(|c| c.args["blocks"].to_string())
        .collect()
}

/// Asks for a report, and returns it once it is the `n`th DMed.
async fn report(app: &TestApp, n: usize) -> String {
    assert!(ephemeral(app.slash("report").await).await.contains("on its way"));
    crate::support::eventually("the report DM", || std::future::ready(reports(app).len() == n)).await;
    reports(app).pop().expect("a report")
}

on_both_backends!(a_report_can_count_endorsed_quotes_only);
async fn a_report_can_count_endorsed_quotes_only(backend: TestBackend) {
    const ADMIN: &str = "U0ADMIN001";
    // No HIGHLIGHTS_MANAGERS: anyone may configure, but only admins and owners endorse.
    let app = TestApp::spawn_on(backend).await;
    app.slack.make_admin(ADMIN);
    ephemeral(app.slash("onboard me").await).await;
    for text in ["Acme | chat | Canned replies", "Globex | chat | Macros", "Initech | chat | Saved replies"] {
        assert!(ephemeral(app.slash(text).await).await.starts_with("✅"));
    }
    drained(&app).await;
    let bad = ephemeral(app.slash("config report endorsed-please").await).await;
    assert!(bad.contains("endorsed-only on") && bad.contains("/highlight config report endorsed-please"), "{bad}");
    let on = ephemeral(app.slash("config report endorsed-only on").await).await;
    assert!(on.contains("endorsed quotes only"), "{on}");
    let none = report(&app, 1).await;
    assert!(
        none.contains("endorsed quotes only") && none.contains("No quote in this window is endorsed yet"),
        "{none}"
    );

    // The person who captured them is no admin: their click is refused.
    let (acme, channel, acme_ts) = posted_reply(&app, "Canned replies").await;
    let told = app.click_answered(&endorse_click(USER, acme, &channel, &acme_ts)).await;
    assert!(told["text"].to_string().contains("Only workspace admins and owners can endorse"), "{told}");
    for quote in ["Canned replies", "Macros"] {
        let (id, channel, ts) = posted_reply(&app, quote).await;
        app.click(&endorse_click(ADMIN, id, &channel, &ts)).await;
    }
    drained(&app).await;
    let two = report(&app, 2).await;
    assert!(two.contains("*1. chat*: 2 customers, 2 endorsed quotes · ⚠️ below the bar"), "{two}");
    assert!(two.contains("✅ endorsed") && !two.contains("Saved replies"), "only endorsed quotes are shown: {two}");

    assert!(ephemeral(app.slash("config report endorsed-only off").await).await.contains("every quote"));
    let all = report(&app, 3).await;
    assert!(all.contains("*1. chat*: 3 customers, 3 quotes · ✅ backed"), "{all}");
}

/// The latest App Home published for the test user.
fn latest_home(app: &TestApp) -> String {
    app.slack
        .ok_calls_to("views.publish")
        .iter()
        .rev()
        .find(|c| c.args["user_id"] == USER)
        .map(|c| c.args["view"].to_string())
        .unwrap_or_default()
}

async fn home_shows(app: &TestApp, what: &str, expected: bool) -> String {
    crate::support::eventually(&format!("the App Home to show {what}: {expected}"), || {
        std::future::ready(latest_home(app).contains(what) == expected)
    })
    .await;
    latest_home(app)
}

async fn open_in_queue(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from triage_queue where triaged_at is null")
        .fetch_one(app.db.pool())
        .await
        .expect("count")
}

/// Clicks a Triage button of the App Home; returns the form Slack was asked to open.
async fn click_triage(app: &TestApp, queued_id: i64) -> Value {
    let before = app.slack.calls_to("views.open").len();
    let home =
        json!({ "id": "V0HOME0001", "team_id": TEAM, "type": "home", "callback_id": "", "hash": "1", "blocks": [] });
    app.click(&Click::button("home_triage_queued", &queued_id.to_string()).in_block("q").on_view(home)).await;
    app.slack.wait_for_ok_calls("views.open", before + 1).await[before].args["view"].clone()
}

on_both_backends!(a_reaction_queues_a_message_on_the_app_home_and_it_counts_once_when_triaged);
async fn a_reaction_queues_a_message_on_the_app_home_and_it_counts_once_when_triaged(backend: TestBackend) {
    const SUPPORT: &str = "C0SUPPORT1";
    let (csv, dark, later) = ("1700000001.000100", "1700000002.000100", "1700000003.000100");
    let app = TestApp::spawn_on(backend).await;
    ephemeral(app.slash("onboard me").await).await;
    app.slack.add_message(SUPPORT, csv, "Customers want CSV &lt;exports&gt;");
    app.slack.add_message(SUPPORT, dark, "Dark mode please");
    app.slack.add_message(SUPPORT, later, "Later one");
    let home = home_shows(&app, "react with :inbox_tray:", true).await;
    assert!(!home.contains("Feedback to triage* ("), "{home}");

    // 📥 queues; another emoji does not.
    for (id, ts, emoji) in [("EvQ1", csv, "inbox_tray"), ("EvQ2", dark, "inbox_tray"), ("EvQ3", later, "eyes")] {
        assert_eq!(app.event(&reaction_event(id, true, USER, emoji, SUPPORT, ts)).await.status(), 200);
    }
    let home = home_shows(&app, "Feedback to triage* (2)", true).await;
    assert!(home.contains("Customers want CSV &lt;exports&gt;") && home.contains("Dark mode please"), "{home}");
    assert!(!home.contains("Later one"), "{home}");
    // Redelivered, the same reaction queues nothing more.
    assert_eq!(app.event(&reaction_event("EvQ1", true, USER, "inbox_tray", SUPPORT, csv)).await.status(), 200);
    // The 📥 taken back takes the message out.
    assert_eq!(app.event(&reaction_event("EvQ4", false, USER, "inbox_tray", SUPPORT, dark)).await.status(), 200);
    let home = home_shows(&app, "Dark mode please", false).await;
    assert!(home.contains("Feedback to triage* (1)"), "{home}");
    assert_eq!(open_in_queue(&app).await, 1);

    // Triage from the Home: the same form as the shortcut, on that message.
    let queued: i64 = sqlx::query_scalar("select id from triage_queue where message_ts = $1")
        .bind(csv)
        .fetch_one(app.db.pool())
        .await
        .expect("queued");
    let form = click_triage(&app, queued).await;
    assert_eq!(form["callback_id"], "triage");
    assert!(form["blocks"][0]["text"]["text"].to_string().contains("Customers want CSV &lt;exports&gt;"), "{form}");
    let area = form["blocks"][1]["element"]["options"][0]["value"].clone();
    let option = |v: Value| json!({ "value": { "type": "static_select", "selected_option": { "text": { "type": "plain_text", "text": "x" }, "value": v } } });
    let submit = |metadata: Value| {
        json!({
            "type": "view_submission", "team": { "id": TEAM, "domain": "acme" },
            "user": { "id": USER, "username": "alice", "team_id": TEAM }, "api_app_id": "A0APP00001", "token": "t",
            "trigger_id": "1.2.3",
            "view": { "id": "V1", "team_id": TEAM, "type": "modal", "callback_id": "triage", "hash": "1",
                      "private_metadata": metadata, "title": { "type": "plain_text", "text": "Triage" }, "blocks": [],
                      "state": { "values": { "area": option(area.clone()), "kind": option(json!("request")) } } },
        })
    };
    let answer: Value = app.interaction(&submit(form["private_metadata"].clone())).await.json().await.expect("JSON");
    assert_eq!(answer["response_action"], "update", "{answer}");
    let home = home_shows(&app, "react with :inbox_tray:", true).await;
    assert!(!home.contains("Customers want CSV"), "{home}");
    assert_eq!(open_in_queue(&app).await, 0);
    assert_eq!(app.count("feedback_items").await, 1);
    // Queued again after triage, it stays triaged: counted once.
    assert_eq!(app.event(&reaction_event("EvQ5", true, USER, "inbox_tray", SUPPORT, csv)).await.status(), 200);
    app.drain().await;
    assert_eq!(open_in_queue(&app).await, 0);
    let quota = ephemeral(app.slash("quota").await).await;
    assert!(quota.contains("Feedback triaged 1/100"), "{quota}");

    // Another emoji, chosen by the workspace.
    let bad = ephemeral(app.slash("config triage-emoji <!here>").await).await;
    assert!(bad.contains("Name an emoji"), "{bad}");
    let taken = ephemeral(app.slash("config triage-emoji :white_check_mark:").await).await;
    assert!(taken.contains("endorse"), "{taken}");
    let set = ephemeral(app.slash("config triage-emoji :eyes:").await).await;
    assert!(set.contains(":eyes:"), "{set}");
    assert_eq!(app.event(&reaction_event("EvQ6", true, USER, "inbox_tray", SUPPORT, dark)).await.status(), 200);
    assert_eq!(app.event(&reaction_event("EvQ7", true, USER, "eyes", SUPPORT, later)).await.status(), 200);
    let home = home_shows(&app, "Later one", true).await;
    assert!(!home.contains("Dark mode please") && home.contains("with :eyes:"), "{home}");
}
