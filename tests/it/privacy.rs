//! Privacy (docs/design.md, Behaviour): e-mail addresses and phone numbers
//! are scrubbed from what is captured, in every capture path, before it is
//! stored or posted, unless the workspace turns it off; recording links go
//! after the retention; a customer shown as `Customer N` or without its
//! recordings everywhere but its own thread; and a customer forgotten at its
//! request, once.

use serde_json::{json, Value};

use crate::capture::{area_id, selected, submission, value};
use crate::on_both_backends;
use crate::support::clicks::Click;
use crate::support::db::TestBackend;
use crate::support::{ephemeral, fixture_json, highlights_cli, succeeded, TestApp, PRODUCT_CHANNEL, TEAM, USER};

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

// ---- How a customer is shown: `privacy <customer> anonymous|named`, `… recordings hidden|shown` ----

const FOLLOWER: &str = "U0FOLLOW01";
/// A name that appears nowhere but where the customer is named.
const NAME: &str = "Zorblax";
const RECORDING: &str = "zoom.us/rec/99";

/// The ephemeral reply to a command, text and blocks.
async fn reply_text(resp: reqwest::Response) -> String {
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("JSON reply");
    format!("{}\n{}", body["text"].as_str().unwrap_or_default(), body["blocks"])
}

/// Zorblax (segment Enterprise, from an import) said two things about chat
/// with a recording; FOLLOWER follows it; the workspace has an onboardee (the
/// report) and a product channel (threads, digests).
async fn zorblax(app: &TestApp) {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("customers.csv");
    std::fs::write(&file, format!("name,aliases,segment,arr\n{NAME},,Enterprise,\n")).expect("csv");
    ephemeral(app.slash("onboard me").await).await;
    succeeded(highlights_cli(&app.test_db.url).args(["customers", "import", "--workspace", TEAM]).arg(&file));
    let saved = ephemeral(
        app.slash(&format!(
            "{NAME} | chat | Canned replies would save our agents hours | <https://{RECORDING}> @ 12:34"
        ))
        .await,
    )
    .await;
    assert!(saved.starts_with("✅ Saved"), "{saved}");
    ephemeral(app.slash_as(FOLLOWER, &format!("follow {NAME}")).await).await;
    app.drain().await;
}

/// Clicks a `shipped` preview's *Announce* button; what replaced the preview.
async fn announce(app: &TestApp, preview: &Value) -> String {
    app.click_answered(&Click::in_reply(preview, "shipped_announce")).await.to_string()
}

/// Every place a customer can be shown outside its own thread, each as
/// (surface, what it showed). The customer's thread is left out: there it
/// keeps its name.
async fn surfaces(app: &TestApp) -> Vec<(&'static str, String)> {
    let mut shown = Vec::new();
    let calls_before = app.slack.calls().len();
    // A capture: its confirmation; its followers' DM; a capture about
    // another customer lists it among similar quotes.
    let confirmation = reply_text(app.slash(&format!("{NAME} | chat | Canned replies for email too")).await).await;
    shown.push(("capture confirmation", confirmation));
    shown.push((
        "similar quotes",
        reply_text(app.slash("Globex | chat | We want canned replies for agents").await).await,
    ));
    shown.push(("customer view", reply_text(app.slash(&format!("customer {NAME}")).await).await));
    shown.push(("brief", reply_text(app.slash(&format!("brief {NAME}")).await).await));
    shown.push(("search", reply_text(app.slash("search canned").await).await));
    shown.push(("following", reply_text(app.slash_as(FOLLOWER, "following").await).await));
    // The command line: the digest and the report in Markdown, the export.
    let url = &app.test_db.url;
    shown.push(("digest --print", succeeded(highlights_cli(url).args(["digest", "--print"]))));
    shown.push(("report (Markdown)", succeeded(highlights_cli(url).args(["report", "--user", USER]))));
    shown.push(("export (CSV)", succeeded(highlights_cli(url).args(["export", "--format", "csv"]))));
    // `shipped`: the preview, then (clicked) the DMs to who knows them.
    let preview: Value =
        app.slash("shipped chat | canned | Canned replies are live").await.json().await.expect("JSON reply");
    shown.push(("shipped preview", preview.to_string()));
    shown.push(("shipped announced", announce(app, &preview).await));
    ephemeral(app.slash("digest").await).await;
    ephemeral(app.slash("report").await).await;
    let mut opened = fixture_json(include_str!("../fixtures/requests/event_callback.app_home_opened.json"));
    opened["event_id"] = json!("Ev0HOMEPRIV");
    assert_eq!(app.event(&opened).await.status(), 200);
    app.drain().await;
    app.slack.wait_for_ok_calls("views.publish", 1).await;
    // The web library.
    let browser = app.signed_in_browser().await;
    let id = app.customer_id(NAME).await;
    let area = crate::capture::area_id(app, "chat").await;
    for path in [
        "/".to_owned(),
        "/customers".to_owned(),
        format!("/customers/{id}"),
        format!("/areas/{area}"),
        "/search?q=canned".to_owned(),
        format!("/onboarding/{USER}/report"),
        "/export.csv".to_owned(),
    ] {
        let resp = browser.get(app.url(&path)).send().await.expect("the app answers");
        assert_eq!(resp.status(), 200, "{path}");
        let page = resp.text().await.expect("a page");
        shown.push((Box::leak(format!("web {path}").into_boxed_str()), page));
    }
    // Testers, a planned interview, and what comes by DM on the app's clock:
    // the morning brief, the reminder, the manager read-out (the onboardee
    // follows it), a follower's nudge a month on.
    shown.push(("tester mark", reply_text(app.slash(&format!("tester {NAME} chat")).await).await));
    shown.push(("testers", reply_text(app.slash("testers chat").await).await));
    ephemeral(app.slash(&format!("follow {NAME}")).await).await;
    ephemeral(app.slash("config nudge 30").await).await;
    let now =
        jiff::Timestamp::from_millisecond(jiff::Timestamp::now().as_millisecond() + app.clock_ahead_ms()).expect("now");
    let utc = |day: jiff::civil::Date, hour: i8| {
        day.to_datetime(jiff::civil::Time::constant(hour, 0, 0, 0))
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .expect("a moment")
            .timestamp()
    };
    let tomorrow = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date().tomorrow().expect("a day");
    let readout = now + jiff::SignedDuration::from_hours(1);
    let local = readout.to_zoned_datetime(jiff::tz::TimeZone::UTC);
    let weekday = format!("{:?}", local.weekday()).to_lowercase();
    let at = format!("{} {:02}:{:02}", &weekday[..3], local.hour(), local.minute());
    // Without listed managers, the read-out goes to the workspace's admins.
    app.slack.make_admin(USER);
    let said = ephemeral(app.slash(&format!("config readout weekly {at}")).await).await;
    assert!(said.starts_with("Manager read-out: weekly"), "{said}");
    shown.push(("plan confirmation", reply_text(app.slash(&format!("interview {NAME} {tomorrow} 10:00")).await).await));
    shown.push(("planned interviews", reply_text(app.slash("interviews").await).await));
    crate::follows::move_clock_to(app, utc(tomorrow, 9) + jiff::SignedDuration::from_secs(60)).await;
    app.drain().await;
    crate::follows::move_clock_to(app, utc(tomorrow, 11) + jiff::SignedDuration::from_hours(24)).await;
    app.drain().await;
    let mut monday = tomorrow + jiff::Span::new().days(31);
    while monday.weekday() != jiff::civil::Weekday::Monday {
        monday = monday.tomorrow().expect("a day");
    }
    crate::follows::move_clock_to(app, utc(monday, 10)).await;
    app.drain().await;
    // What the app sent Slack since, by the key each post carries: the
    // digest, a follower's DM and nudge, the App Home, the morning brief and
    // the reminder of a planned interview, the manager read-out; the DMs
    // about `shipped` and the report by their text. The customers' threads (keys `parent:`, `highlight:`,
    // `shipped:`) are left out; the test below looks at its own.
    let mut sent: Vec<(&'static str, String)> = Vec::new();
    for call in app.slack.calls().into_iter().skip(calls_before).filter(|c| c.ok) {
        let key = call.args["metadata"]["event_payload"]["key"].as_str().unwrap_or_default().to_owned();
        let surface = match call.method.as_str() {
            "chat.postMessage" if key.starts_with("digest:") => "digest",
            "chat.postMessage" if key.starts_with("follower:") => "DM to a follower",
            "chat.postMessage" if key.starts_with("nudge:") => "nudge DM",
            "chat.postMessage" if key.starts_with("interview_brief:") => "morning brief DM",
            "chat.postMessage" if key.starts_with("interview_reminder:") => "interview reminder DM",
            "chat.postMessage" if key.contains(":readout:") => "manager read-out DM",
            "chat.postMessage" if call.args["text"].as_str().is_some_and(|t| t.contains("Shipped in")) => {
                "DM about `shipped`"
            }
            "chat.postMessage" if call.args["text"].as_str().is_some_and(|t| t.starts_with("Month-end report")) => {
                "report DM"
            }
            "views.publish" => "App Home",
            _ => continue,
        };
        match sent.iter_mut().find(|(s, _)| *s == surface) {
            Some((_, text)) => text.push_str(&call.args.to_string()),
            None => sent.push((surface, call.args.to_string())),
        }
    }
    shown.extend(sent);
    shown
}

on_both_backends!(an_anonymous_customer_is_its_label_everywhere_but_its_own_thread);
async fn an_anonymous_customer_is_its_label_everywhere_but_its_own_thread(backend: TestBackend) {
    let app = TestApp::spawn_web(backend).await;
    zorblax(&app).await;
    let said = ephemeral(app.slash(&format!("privacy {NAME} anonymous")).await).await;
    assert!(said.contains("*Customer 1*"), "{said}");
    let shown = surfaces(&app).await;
    let names: Vec<&str> = shown.iter().map(|(surface, _)| *surface).collect();
    for expected in [
        "digest",
        "DM to a follower",
        "DM about `shipped`",
        "report DM",
        "App Home",
        "nudge DM",
        "morning brief DM",
        "interview reminder DM",
        "manager read-out DM",
    ] {
        assert!(names.contains(&expected), "{expected} was shown: {names:?}");
    }
    for (surface, text) in &shown {
        assert!(!text.contains(NAME), "{surface} leaks the name: {text}");
    }
    for (surface, text) in &shown {
        assert!(text.contains("Customer 1 (Enterprise)"), "{surface} shows the label: {text}");
    }
    // Where the digest and the read-out name it.
    let said =
        |surface: &str| shown.iter().find(|(s, _)| *s == surface).map(|(_, text)| text.clone()).unwrap_or_default();
    assert!(said("digest").contains("First heard from: *Customer 1 (Enterprise)*"), "{}", said("digest"));
    assert!(
        said("manager read-out DM").contains("follows *Customer 1 (Enterprise)*"),
        "{}",
        said("manager read-out DM")
    );
    // Its own thread keeps its name.
    let thread = app.thread_ts_of(NAME).await.expect("a thread");
    let in_thread: Vec<Value> = app
        .slack
        .messages_in(PRODUCT_CHANNEL)
        .into_iter()
        .filter(|m| m["thread_ts"].as_str() == Some(thread.as_str()) || m["ts"].as_str() == Some(thread.as_str()))
        .collect();
    assert!(in_thread.iter().any(|m| m.to_string().contains(NAME)), "{in_thread:?}");

    // People can name it by its label (the follower's DM says `unfollow Customer 1`).
    let said = ephemeral(app.slash_as(FOLLOWER, "unfollow customer 1").await).await;
    assert!(said.contains("Customer 1 (Enterprise)") && !said.contains(NAME), "{said}");
    let follows: i64 = sqlx::query_scalar("select count(*) from follows where user_id = $1")
        .bind(FOLLOWER)
        .fetch_one(app.db.pool())
        .await
        .expect("count");
    assert_eq!(follows, 0);

    // Named again, then anonymous again: the same number.
    assert!(ephemeral(app.slash("privacy zorblax named").await).await.contains("by its name again"));
    let view = reply_text(app.slash(&format!("customer {NAME}")).await).await;
    assert!(view.contains(NAME) && !view.contains("Customer 1"), "{view}");
    ephemeral(app.slash("Globex | chat | hello").await).await;
    assert!(ephemeral(app.slash("privacy Globex anonymous").await).await.contains("*Customer 2*"));
    assert!(ephemeral(app.slash(&format!("privacy {NAME} anonymous")).await).await.contains("*Customer 1*"));
}

on_both_backends!(hidden_recordings_are_left_out_everywhere_but_the_customers_own_thread);
async fn hidden_recordings_are_left_out_everywhere_but_the_customers_own_thread(backend: TestBackend) {
    let app = TestApp::spawn_web(backend).await;
    zorblax(&app).await;
    let said = ephemeral(app.slash(&format!("privacy {NAME} recordings hidden")).await).await;
    assert!(said.contains("left out"), "{said}");
    let shown = surfaces(&app).await;
    for (surface, text) in &shown {
        assert!(!text.contains(RECORDING) && !text.contains("12:34"), "{surface} shows the recording: {text}");
    }
    assert!(shown.iter().any(|(_, text)| text.contains(NAME)), "named still");
    let thread = app.thread_ts_of(NAME).await.expect("a thread");
    let reply = app
        .slack
        .messages_in(PRODUCT_CHANNEL)
        .into_iter()
        .find(|m| m["thread_ts"].as_str() == Some(thread.as_str()) && m.to_string().contains("save our agents"))
        .expect("the reply in its thread");
    assert!(reply.to_string().contains(RECORDING), "its own thread keeps the link: {reply}");
    // Shown again.
    assert!(ephemeral(app.slash(&format!("privacy {NAME} recordings shown")).await).await.contains("shown again"));
    let view = reply_text(app.slash(&format!("customer {NAME}")).await).await;
    assert!(view.contains(RECORDING), "{view}");
}

on_both_backends!(privacy_of_an_unknown_customer_is_refused_with_the_closest_names_and_needs_a_manager);
async fn privacy_of_an_unknown_customer_is_refused_with_the_closest_names_and_needs_a_manager(backend: TestBackend) {
    let app = TestApp::spawn_with(backend, |args| args.managers = Some("U0MANAGER1".into())).await;
    ephemeral(app.slash("Zorblax | chat | hello").await).await;
    let refused = ephemeral(app.slash("privacy Zorblax anonymous").await).await;
    assert!(refused.contains("manager") || refused.contains("admin"), "{refused}");
    let typo = ephemeral(app.slash_as("U0MANAGER1", "privacy Zorblux anonymous").await).await;
    assert!(typo.contains("Zorblux") && typo.contains("Did you mean *Zorblax*?"), "{typo}");
    let wrong = ephemeral(app.slash_as("U0MANAGER1", "privacy Zorblax secret").await).await;
    assert!(wrong.contains("privacy Zorblax secret") && wrong.contains("anonymous"), "echoed with the usage: {wrong}");
    let labels: Vec<Option<i64>> =
        sqlx::query_scalar("select anonymous_label from customers").fetch_all(app.db.pool()).await.expect("rows");
    assert_eq!(labels, vec![None], "nothing changed");
}

// ---- `forget <customer>`: erase a customer at their request ----

const MANAGER: &str = "U0MANAGER1";

/// Zorblax said two things (chat with a recording, billing) in one
/// interview, and a triaged message names it; Globex said one; FOLLOWER
/// follows Zorblax (and heard of the second); a digest and a report quoting
/// both were posted.
async fn zorblax_quoted(app: &TestApp) {
    ephemeral(app.slash("onboard me").await).await;
    for text in [
        "Zorblax | chat | Canned replies would save our agents hours | <https://zoom.us/rec/99> @ 12:34",
        "follow",
        "Zorblax | billing | Invoices in EUR please",
        "Globex | chat | Macros for the whole team",
    ] {
        if text == "follow" {
            ephemeral(app.slash_as(FOLLOWER, "follow Zorblax").await).await;
            continue;
        }
        let saved = ephemeral(app.slash(text).await).await;
        assert!(saved.starts_with("✅ Saved"), "{saved}");
    }
    let zorblax = app.customer_id("Zorblax").await;
    triage_naming(app, zorblax).await;
    ephemeral(app.slash("digest").await).await;
    ephemeral(app.slash("report").await).await;
    app.drain().await;
}

/// Triages a message about `customer` with the "Triage feedback" shortcut.
async fn triage_naming(app: &TestApp, customer: i64) {
    let mut shortcut = fixture_json(include_str!("../fixtures/requests/message_action.save_as_highlight.json"));
    shortcut["callback_id"] = json!("triage_feedback");
    shortcut["message"]["text"] = json!("Zorblax wants SSO");
    let before = app.slack.ok_calls_to("views.open").len();
    assert_eq!(app.interaction(&shortcut).await.status(), 200);
    let opened = app.slack.wait_for_ok_calls("views.open", before + 1).await;
    let view = opened[before].args["view"].clone();
    let option = |v: Value| json!({ "value": { "type": "static_select", "selected_option": { "text": { "type": "plain_text", "text": "x" }, "value": v } } });
    let area = area_id(app, "chat").await;
    let submitted = json!({
        "type": "view_submission", "team": { "id": TEAM, "domain": "acme" },
        "user": { "id": USER, "username": "alice", "team_id": TEAM }, "api_app_id": "A0APP00001", "token": "t", "trigger_id": "1.2.3",
        "view": { "id": "V1", "team_id": TEAM, "type": "modal", "callback_id": "triage", "hash": "1",
                  "private_metadata": view["private_metadata"].clone(), "title": { "type": "plain_text", "text": "Triage" }, "blocks": [],
                  "state": { "values": { "area": option(json!(area)), "kind": option(json!("request")),
                                         "customer": option(json!(format!("id:{customer}"))) } } },
    });
    assert_eq!(app.interaction(&submitted).await.status(), 200);
}

/// `highlights customers forget --yes` for Zorblax, as an operator runs it; what it printed.
fn forget_on_the_command_line(app: &TestApp) -> String {
    succeeded(highlights_cli(&app.test_db.url).args(["customers", "forget", "--workspace", TEAM, NAME, "--yes"]))
}

/// The preview's reply to `forget …` typed by `user`.
async fn forget_preview(app: &TestApp, user: &str, name: &str) -> Value {
    let resp = app.slash_as(user, &format!("forget {name}")).await;
    assert_eq!(resp.status(), 200);
    resp.json().await.expect("JSON reply")
}

/// Clicks the preview's confirm button as `user`; what the app answered.
async fn confirm(app: &TestApp, preview: &Value, user: &str) -> String {
    let answer = app.click_answered(&Click::in_reply(preview, "forget_confirm").by(user)).await;
    answer["text"].as_str().unwrap_or_default().to_owned()
}

/// The top-level message in the product channel (the digest) or a DM whose text starts so.
fn message_starting(app: &TestApp, channel: &str, start: &str) -> Value {
    app.slack
        .messages_in(channel)
        .into_iter()
        .find(|m| m["thread_ts"].is_null() && m["text"].as_str().is_some_and(|t| t.starts_with(start)))
        .unwrap_or_else(|| panic!("no message starting {start:?} in {channel}"))
}

on_both_backends!(a_forgotten_customer_is_erased_once_when_its_asker_confirms);
async fn a_forgotten_customer_is_erased_once_when_its_asker_confirms(backend: TestBackend) {
    let app = TestApp::spawn_with(backend, |args| {
        args.managers = Some(format!("{USER},{MANAGER}"));
        args.product_channel = Some(PRODUCT_CHANNEL.into());
    })
    .await;
    zorblax_quoted(&app).await;
    let thread = app.thread_ts_of("Zorblax").await.expect("a thread");
    let in_thread = |app: &TestApp| {
        let messages = app.slack.messages_in(PRODUCT_CHANNEL);
        messages.iter().filter(|m| m["ts"] == thread.as_str() || m["thread_ts"] == thread.as_str()).count()
    };
    assert_eq!(in_thread(&app), 3, "the parent and two replies");

    // The preview says what goes, and changes nothing.
    let preview = forget_preview(&app, USER, "zorblax").await;
    let text = preview.to_string();
    assert!(text.contains("2 highlights, 1 interview, 1 feedback item, 3 messages in its thread"), "{text}");
    assert!(text.contains("removed at the customer's request"), "{text}");
    assert_eq!(app.count_where("customers", "display_name = 'Zorblax'").await, 1);

    // Only the asker may confirm.
    let refused = confirm(&app, &preview, MANAGER).await;
    assert!(refused.contains(&format!("Only <@{USER}>")) && refused.contains("Nothing was erased"), "{refused}");
    assert_eq!(app.count("highlights").await, 3);

    // Confirmed again, on another replica and after a restart: erased once.
    let done = confirm(&app, &preview, USER).await;
    assert!(done.contains("Forgotten: 2 highlights, 1 interview, 1 feedback item, 3 messages in its thread"), "{done}");
    let replica = app.replica().await;
    assert!(confirm(&replica, &preview, USER).await.contains("nothing more was erased"));
    assert!(confirm(&app, &preview, USER).await.contains("nothing more was erased"));
    // A crash while the Slack work runs: the restarted app finishes it, once.
    drop(replica);
    let app = app.crash_and_restart().await;
    assert!(confirm(&app, &preview, USER).await.contains("nothing more was erased"));
    app.drain().await;

    // Every row about it is gone; onboarding still counts its interview and feedback item.
    for (table, condition) in [
        ("customers", "display_name = 'Zorblax'"),
        ("customer_aliases", "display_name = 'Zorblax'"),
        ("highlights", "quote like '%agents hours%' or quote like '%EUR%'"),
        ("follows", "1 = 1"),
        ("feedback_items", "customer_id is not null or message_text like '%Zorblax%'"),
        ("interviews", "customer_id not in (select id from customers)"),
        ("outbox", "payload like '%EUR please%' or payload like '%agents hours%'"),
    ] {
        assert_eq!(app.count_where(table, condition).await, 0, "{table} where {condition}");
    }
    assert_eq!(app.count("feedback_items").await, 1, "the item still counts");
    let quota = ephemeral(app.slash("quota").await).await;
    assert!(quota.contains("Interviews 2/20") && quota.contains("Feedback triaged 1/100"), "{quota}");

    // Its thread is deleted, each message once; the digest and the report are mended in place.
    let deleted: Vec<String> = app
        .slack
        .ok_calls_to("chat.delete")
        .iter()
        .map(|c| c.args["ts"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(deleted.len(), 3, "{deleted:?}");
    assert_eq!(deleted.last(), Some(&thread), "the parent last");
    assert_eq!(in_thread(&app), 0);
    let digest = message_starting(&app, PRODUCT_CHANNEL, "📣 Customer highlights").to_string();
    // A post to a user id lands in the app's conversation with them (`D…`) on Slack.
    let dm = format!("D{}", &USER[1..]);
    let in_dm =
        app.slack.messages_in(&dm).iter().any(|m| m["text"].as_str().is_some_and(|t| t.starts_with("Month-end")));
    let report = message_starting(&app, if in_dm { &dm } else { USER }, "Month-end report").to_string();
    for mended in [&digest, &report] {
        assert!(mended.contains("(removed at the customer's request)"), "{mended}");
        assert!(!mended.contains("Zorblax") && !mended.contains("agents hours"), "{mended}");
        assert!(mended.contains("Macros for the whole team") && mended.contains("Globex"), "others stay: {mended}");
    }
    assert_eq!(
        app.slack.ok_calls_to("chat.update").iter().filter(|c| c.args.to_string().contains("removed at")).count(),
        2
    );

    // A later capture naming it starts a new customer from nothing, posted in a new thread.
    ephemeral(app.slash("Zorblax | chat | Hello again").await).await;
    let view = ephemeral(app.slash("customer Zorblax").await).await;
    assert!(view.contains("1 highlight") && !view.contains("agents hours"), "{view}");
    app.drain().await;
    let posted = app.slack.messages_in(PRODUCT_CHANNEL);
    assert!(posted.iter().any(|m| m["text"].as_str().is_some_and(|t| t.contains("Hello again"))), "{posted:?}");
    assert_eq!(app.slack.ok_calls_to("chat.delete").len(), 3, "nothing more deleted");
}

on_both_backends!(forget_needs_a_manager_and_a_known_customer);
async fn forget_needs_a_manager_and_a_known_customer(backend: TestBackend) {
    let app = TestApp::spawn_with(backend, |args| args.managers = Some(MANAGER.into())).await;
    ephemeral(app.slash("Zorblax | chat | hello").await).await;
    let refused = ephemeral(app.slash("forget Zorblax").await).await;
    assert!(refused.contains("manager") || refused.contains("admin"), "{refused}");
    let typo = forget_preview(&app, MANAGER, "Zorblux").await.to_string();
    assert!(typo.contains("Zorblux") && typo.contains("Did you mean *Zorblax*?"), "{typo}");
    assert!(typo.contains("Nothing was erased"), "{typo}");
    let usage = ephemeral(app.slash_as(MANAGER, "forget").await).await;
    assert!(usage.contains("/highlight forget Acme"), "{usage}");
    assert_eq!(app.count("customers").await, 1);
}

on_both_backends!(every_table_that_names_a_customer_is_erased_with_it);
async fn every_table_that_names_a_customer_is_erased_with_it(backend: TestBackend) {
    use highlights::store::forget::CUSTOMER_TABLES;
    let app = TestApp::spawn_on(backend).await;
    let tables = app.tables_with_column("customer_id").await;
    assert!(tables.len() >= 6, "{tables:?}");
    for table in &tables {
        assert!(
            CUSTOMER_TABLES.iter().any(|(erased, _)| erased == table),
            "{table} names a customer but is not in store::forget::CUSTOMER_TABLES"
        );
    }
}

on_both_backends!(the_command_line_forgets_a_customer_and_the_app_deletes_its_thread);
async fn the_command_line_forgets_a_customer_and_the_app_deletes_its_thread(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    zorblax_quoted(&app).await;
    let url = &app.test_db.url;
    let said = succeeded(highlights_cli(url).args(["customers", "forget", "--workspace", TEAM, "Zorblax"]));
    assert!(said.contains("2 highlights, 1 interview, 1 feedback item, 3 messages in its thread"), "{said}");
    assert!(said.contains("Nothing was erased"), "{said}");
    assert_eq!(app.count_where("customers", "display_name = 'Zorblax'").await, 1);
    let out = highlights_cli(url)
        .args(["customers", "forget", "--workspace", TEAM, "Zorblux", "--yes"])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("did you mean Zorblax?"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = forget_on_the_command_line(&app);
    assert!(said.starts_with("Forgotten Zorblax"), "{said}");
    assert_eq!(app.count_where("customers", "display_name = 'Zorblax'").await, 0);
    // The running app carries out the Slack work queued.
    crate::support::eventually("the thread to be deleted", || async {
        app.slack.ok_calls_to("chat.delete").len() == 3
    })
    .await;
    app.drain().await;
    let digest = message_starting(&app, PRODUCT_CHANNEL, "📣 Customer highlights").to_string();
    assert!(digest.contains("(removed at the customer's request)") && !digest.contains("Zorblax"), "{digest}");
}

on_both_backends!(the_web_directory_finds_an_anonymous_customer_by_its_label_never_by_its_name);
async fn the_web_directory_finds_an_anonymous_customer_by_its_label_never_by_its_name(backend: TestBackend) {
    let app = TestApp::spawn_web(backend).await;
    zorblax(&app).await;
    ephemeral(app.slash("Globex | chat | Macros for the whole team").await).await;
    ephemeral(app.slash(&format!("privacy {NAME} anonymous")).await).await;
    let browser = app.signed_in_browser().await;
    let page = |q: &'static str| {
        let browser = browser.clone();
        let url = app.url(&format!("/customers?q={q}"));
        async move {
            let resp = browser.get(url).send().await.expect("the app answers");
            assert_eq!(resp.status(), 200, "{q}");
            resp.text().await.expect("a page")
        }
    };
    for q in ["zorb", "Zorblax", "ZORBLAX"] {
        let shown = page(q).await;
        assert!(shown.contains("No customer matches"), "its name finds nothing ({q}): {shown}");
        assert!(!shown.contains("Customer 1"), "{q}: {shown}");
    }
    for q in ["customer%201", "Customer", "enterprise"] {
        let shown = page(q).await;
        assert!(
            shown.contains("Customer 1 (Enterprise)") && !shown.contains(NAME),
            "its label finds it ({q}): {shown}"
        );
    }
    let shown = page("glob").await;
    assert!(shown.contains("Globex") && !shown.contains("Customer 1"), "a named customer by its name: {shown}");
    // Sorted by name, it is placed by its label (before Globex), not by its name (after it).
    let all = page("").await;
    let (globex, label) = (all.find("Globex").expect("Globex"), all.find("Customer 1").expect("the label"));
    assert!(label < globex, "`Customer 1` before `Globex`: {all}");
}

on_both_backends!(a_digest_behind_more_than_a_page_of_history_is_still_mended);
async fn a_digest_behind_more_than_a_page_of_history_is_still_mended(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    zorblax_quoted(&app).await;
    // The channel moved on: over a thousand messages since the digest (Slack
    // answers at most 999 a page).
    for n in 0..1_100 {
        app.slack.add_message(PRODUCT_CHANNEL, &format!("1700000999.{n:06}"), "Anyone up for lunch?");
    }
    let said = forget_on_the_command_line(&app);
    assert!(said.starts_with("Forgotten Zorblax"), "{said}");
    crate::support::eventually("the digest to be mended", || async {
        let updates = app.slack.ok_calls_to("chat.update");
        updates.iter().any(|c| c.args["channel"] == PRODUCT_CHANNEL && c.args.to_string().contains("removed at"))
    })
    .await;
    let digest = message_starting(&app, PRODUCT_CHANNEL, "📣 Customer highlights").to_string();
    assert!(digest.contains("(removed at the customer's request)") && !digest.contains("Zorblax"), "{digest}");
    // Page after page, each asked with the cursor the last one gave, none over Slack's limit.
    let history: Vec<Value> = app
        .slack
        .ok_calls_to("conversations.history")
        .into_iter()
        .map(|c| c.args)
        .filter(|args| args["channel"] == PRODUCT_CHANNEL && args["include_all_metadata"] == "true")
        .collect();
    let cursors: Vec<&str> = history.iter().filter_map(|args| args["cursor"].as_str()).collect();
    assert!(cursors.len() >= 5, "{} pages: {history:?}", history.len());
    assert!(cursors.iter().all(|c| c.starts_with("page:")), "{cursors:?}");
    assert!(history.iter().all(|args| args["limit"].as_str().and_then(|l| l.parse::<u32>().ok()) <= Some(999)));
}

on_both_backends!(a_forgotten_customer_leaves_no_word_in_sent_shipped_dms_or_queued_nudges);
async fn a_forgotten_customer_leaves_no_word_in_sent_shipped_dms_or_queued_nudges(backend: TestBackend) {
    use jiff::{civil::Weekday, tz::TimeZone, Timestamp, ToSpan};
    let app = TestApp::spawn_on(backend).await;
    zorblax_quoted(&app).await;
    ephemeral(app.slash_as(FOLLOWER, "follow Globex").await).await;
    ephemeral(app.slash("config nudge 30").await).await;
    // Shipped to both customers: their interviewer and their follower each get a DM naming both.
    let preview: Value =
        app.slash("shipped chat | * | Canned replies and macros are live").await.json().await.expect("JSON reply");
    announce(&app, &preview).await;
    app.drain().await;
    // A nudge queued for the follower's Monday, a month on (not due yet).
    let now = Timestamp::from_millisecond(Timestamp::now().as_millisecond() + app.clock_ahead_ms()).expect("now");
    let mut monday = now.to_zoned_datetime(TimeZone::UTC).date() + 31.days();
    while monday.weekday() != Weekday::Monday {
        monday = monday.tomorrow().expect("a day");
    }
    let at = monday
        .to_datetime(jiff::civil::Time::constant(10, 0, 0, 0))
        .to_zoned_datetime(TimeZone::UTC)
        .expect("a moment")
        .timestamp();
    let db = highlights::store::Db::connect(&app.test_db.url).await.expect("database");
    let state = highlights::app::AppState::new(app.config.clone(), db.clone(), highlights::app::Clock::fixed(at));
    assert_eq!(
        highlights::follows::notices::queue_nudges(&state.db, &state.clock, &state.outbox).await.expect("queued"),
        1
    );
    db.close().await;
    let about = |kind: &'static str, word: &'static str| {
        let app = &app;
        async move {
            sqlx::query_scalar::<_, String>("select payload from outbox where kind = $1 order by id")
                .bind(kind)
                .fetch_all(app.db.pool())
                .await
                .expect("rows")
                .into_iter()
                .filter(|payload| payload.contains(word))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(about("notify_user", "agents hours").await.len(), 2, "the shipped DMs quote it");
    assert_eq!(about("nudge_follower", "Zorblax").await.len(), 1, "the nudge names it");

    let said = forget_on_the_command_line(&app);
    assert!(said.starts_with("Forgotten Zorblax"), "{said}");
    crate::support::eventually("the thread to be deleted", || async {
        app.slack.ok_calls_to("chat.delete").len() >= 3
    })
    .await;
    app.drain().await;
    for word in ["Zorblax", "agents hours", "EUR please"] {
        let left: Vec<(String, String)> =
            sqlx::query_as("select kind, payload from outbox where payload like $1 order by id")
                .bind(format!("%{word}%"))
                .fetch_all(app.db.pool())
                .await
                .expect("rows");
        assert!(left.is_empty(), "the outbox keeps {word:?}: {left:?}");
    }
    // What was about the other customer stays.
    let dms = about("notify_user", "Macros for the whole team").await;
    assert_eq!(dms.len(), 2, "{dms:?}");
    assert!(dms.iter().all(|dm| dm.contains("removed at the customer's request")), "{dms:?}");
    let nudge = about("nudge_follower", "Globex").await;
    assert_eq!(nudge.len(), 1, "the nudge still lists Globex");
    let pending = app.outbox_rows_of("nudge_follower").await.into_iter().filter(|row| row.status == "pending").count();
    assert_eq!(pending, 1, "and is still to be sent");
}
