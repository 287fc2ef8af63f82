//! Interviews with a purpose, end to end: the interviewee the capture modal
//! names, shown in the thread, the customer view, the brief and the library;
//! planned interviews (`interview`, `interviews`), their morning brief and
//! their reminder on the controlled clock, exactly once, and never counted
//! toward a quota.

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};

use crate::capture::{area_id, selected, submission, value};
use crate::follows::{dm_blocks, dms, move_clock_to, said_as};
use crate::on_both_backends;
use crate::support::db::TestBackend;
use crate::support::{ephemeral, TestApp, USER};
use highlights::app::{AppState, Clock};

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

/// Someone else in the workspace.
const COLLEAGUE: &str = "U0COLLEA01";
/// The workspace's zone in these tests.
const ZONE: &str = "Europe/Paris";

fn paris() -> TimeZone {
    TimeZone::get(ZONE).expect("zone")
}

/// The day `days` after today in Paris (on the app's clock).
fn day_ahead(app: &TestApp, days: i64) -> Date {
    let now = Timestamp::from_millisecond(Timestamp::now().as_millisecond() + app.clock_ahead_ms()).expect("now");
    now.to_zoned_datetime(paris()).date() + jiff::Span::new().days(days)
}

/// `date` at `hour`:`minute` in Paris.
fn at(date: Date, hour: i8, minute: i8) -> Timestamp {
    date.to_datetime(Time::constant(hour, minute, 0, 0)).to_zoned_datetime(paris()).expect("moment").timestamp()
}

/// Runs the scheduler's planned-interview step once, as another replica would, at `at`.
async fn queue_due_at(app: &TestApp, at: Timestamp) -> usize {
    let db = highlights::store::Db::connect(&app.test_db.url).await.expect("database");
    let state = AppState::new(app.config.clone(), db.clone(), Clock::fixed(at));
    let queued =
        highlights::interviews::notices::queue_due(&state.db, &state.clock, &state.outbox).await.expect("queued");
    db.close().await;
    queued
}

on_both_backends!(the_planner_gets_the_brief_on_the_morning_and_one_reminder_when_nothing_was_captured);
async fn the_planner_gets_the_brief_on_the_morning_and_one_reminder_when_nothing_was_captured(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    ephemeral(app.slash(&format!("config timezone {ZONE}")).await).await;
    said_as(&app, COLLEAGUE, "Acme &amp; Co | chat | We need &lt;!channel&gt; canned replies").await;
    let day = day_ahead(&app, 3);
    let said = ephemeral(app.slash(&format!("interview acme &amp; co {day} 14:30")).await).await;
    assert_eq!(
        said,
        format!(
            "Planned: your interview with *Acme &amp; Co* on {day} at 14:30 ({ZONE}). Their brief comes to you by DM \
             that morning at 09:00. If you capture nothing about them within 24 hours of the interview, I'll remind \
             you. A planned interview counts toward no quota: the one you capture does."
        )
    );
    app.drain().await;
    assert!(dms(&app, USER).is_empty());

    // Not before 09:00 in the workspace's zone, on the app's clock.
    move_clock_to(&app, at(day, 8, 45)).await;
    assert_eq!(app.outbox_rows_of("send_interview_brief").await.len(), 0);

    // At 09:00 the scheduler queues it; replicas racing queue nothing more.
    move_clock_to(&app, at(day, 9, 0) + SignedDuration::from_secs(1)).await;
    let later = at(day, 9, 30);
    let (a, b, c) = tokio::join!(queue_due_at(&app, later), queue_due_at(&app, later), queue_due_at(&app, later));
    assert_eq!(a + b + c, 0, "queued once");
    app.drain().await;
    let sent = dm_blocks(&app, USER);
    assert_eq!(sent.len(), 1, "{sent:?}");
    let brief = &sent[0];
    assert!(brief.contains("You interview *Acme &amp; Co* today at 14:30. Here is their brief."), "{brief}");
    // The same content as `/highlight brief`.
    let asked: Value = app.slash("brief Acme &amp; Co").await.json().await.expect("JSON");
    for block in asked["blocks"].as_array().expect("blocks") {
        assert!(brief.contains(&block.to_string()), "{block} in {brief}");
    }
    assert!(brief.contains("We need &lt;!channel&gt; canned replies") && !brief.contains("<!channel>"), "{brief}");
    assert_eq!(
        ephemeral(app.slash("interviews").await).await,
        format!("*Your planned interviews* (1)\n• {day} at 14:30 · *Acme &amp; Co* · brief sent")
    );

    // Nothing captured: 24 hours after 14:30, one reminder with the line to type.
    move_clock_to(&app, at(day, 14, 15) + SignedDuration::from_hours(24)).await;
    assert_eq!(app.outbox_rows_of("remind_interview").await.len(), 0, "not before 24 hours");
    move_clock_to(&app, at(day, 14, 31) + SignedDuration::from_hours(24)).await;
    let (a, b) = tokio::join!(
        queue_due_at(&app, later + SignedDuration::from_hours(30)),
        queue_due_at(&app, later + SignedDuration::from_hours(30))
    );
    assert_eq!(a + b, 0, "queued once");
    app.drain().await;
    let sent = dm_blocks(&app, USER);
    assert_eq!(sent.len(), 2, "{sent:?}");
    let reminder = &sent[1];
    assert!(
        reminder.contains(&format!("You planned an interview with *Acme &amp; Co* on {day} at 14:30")),
        "{reminder}"
    );
    assert!(reminder.contains("`/highlight Acme &amp; Co | &lt;area&gt; | &lt;their words&gt;`"), "{reminder}");

    // Exactly once: later ticks send nothing more.
    move_clock_to(&app, at(day, 16, 0) + SignedDuration::from_hours(48)).await;
    app.drain().await;
    assert_eq!(dms(&app, USER).len(), 2);
    assert!(dms(&app, COLLEAGUE).is_empty(), "only the planner hears");
    assert_eq!(app.outbox_rows_of("send_interview_brief").await.len(), 1);
    assert_eq!(app.outbox_rows_of("remind_interview").await.len(), 1);
}

on_both_backends!(no_reminder_when_the_planner_captured_about_the_customer_since);
async fn no_reminder_when_the_planner_captured_about_the_customer_since(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    ephemeral(app.slash(&format!("config timezone {ZONE}")).await).await;
    said_as(&app, COLLEAGUE, "Acme | chat | one").await;
    said_as(&app, COLLEAGUE, "Globex | chat | two").await;
    let day = day_ahead(&app, 2);
    for name in ["Acme", "Globex"] {
        let said = ephemeral(app.slash(&format!("interview {name} {day}")).await).await;
        assert!(said.starts_with(&format!("Planned: your interview with *{name}* on {day} ({ZONE}).")), "{said}");
    }
    // The planner captures about Acme; about Globex only a colleague does.
    let said = ephemeral(app.slash("Acme | billing | Invoices in EUR").await).await;
    assert!(said.starts_with("✅ Saved"), "{said}");
    said_as(&app, COLLEAGUE, "Globex | chat | three").await;
    // Without a time, the reminder comes a day after the planned day ends.
    move_clock_to(&app, at(day, 23, 0) + SignedDuration::from_hours(24)).await;
    assert_eq!(app.outbox_rows_of("remind_interview").await.len(), 0);
    move_clock_to(&app, at(day, 0, 1) + SignedDuration::from_hours(48)).await;
    app.drain().await;
    let sent = dm_blocks(&app, USER);
    assert_eq!(sent.len(), 1, "only about Globex: {sent:?}");
    assert!(sent[0].contains("You planned an interview with *Globex* on"), "{}", sent[0]);
    let settled: i64 = sqlx::query_scalar("select count(*) from planned_interviews where reminded_at is not null")
        .fetch_one(app.db.pool())
        .await
        .expect("count");
    assert_eq!(settled, 2, "Acme's reminder settled without a DM");
    // The day was skipped over: its brief is no use any more, and none came.
    assert_eq!(app.outbox_rows_of("send_interview_brief").await.len(), 0);
}

on_both_backends!(a_bad_plan_is_refused_with_what_was_typed_and_nothing_is_stored);
async fn a_bad_plan_is_refused_with_what_was_typed_and_nothing_is_stored(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    ephemeral(app.slash(&format!("config timezone {ZONE}")).await).await;
    said_as(&app, COLLEAGUE, "Acme | chat | one").await;
    let today = day_ahead(&app, 0);
    let yesterday = day_ahead(&app, -1);
    let next_week = day_ahead(&app, 7);
    for (typed, says) in [
        (format!("interview Acme {next_week} 25:00"), "“25:00” is not a time of day: write it as HH:MM (24-hour), e.g. 14:30.".to_owned()),
        ("interview Acme 2026-13-45".to_owned(), "“2026-13-45” is not a date: write it as YYYY-MM-DD, e.g. 2026-12-08.".to_owned()),
        ("interview Acme next tuesday".to_owned(), "Give the date of the interview after the customer, as YYYY-MM-DD.".to_owned()),
        (format!("interview Acme {yesterday}"), format!("{yesterday} is in the past (today is {today} in {ZONE}). Nothing was planned.")),
        (format!("interview Acmee {next_week}"), "I don't know a customer called “Acmee”. Did you mean *Acme*? Interviews are planned with customers the team knows".to_owned()),
        (format!("interview Umbrella &amp; Co {next_week}"), "I don't know a customer called “Umbrella &amp; Co” yet.".to_owned()),
    ] {
        let said = ephemeral(app.slash(&typed).await).await;
        assert!(said.starts_with(&says), "{typed}: {said}");
        let echoed = format!("```/highlight {typed}```");
        assert!(said.ends_with(&echoed), "{typed}: {said}");
    }
    assert_eq!(app.count("planned_interviews").await, 0);
    assert_eq!(
        ephemeral(app.slash("interviews").await).await,
        "You have no interviews planned. Plan one with `/highlight interview Acme 2026-12-08 10:00`: the customer's \
         brief comes to you by DM that morning."
    );

    // Planning the same day again moves it; each person sees their own.
    ephemeral(app.slash(&format!("interview Acme {next_week} 10:00")).await).await;
    let said = ephemeral(app.slash(&format!("interview Acme {next_week} 11:15")).await).await;
    assert!(
        said.starts_with(&format!(
            "Your interview with *Acme* on {next_week} is now planned for {next_week} at 11:15 ({ZONE})."
        )),
        "{said}"
    );
    said_as(&app, COLLEAGUE, &format!("interview Acme {}", day_ahead(&app, 8))).await;
    assert_eq!(
        ephemeral(app.slash("interviews").await).await,
        format!("*Your planned interviews* (1)\n• {next_week} at 11:15 · *Acme*")
    );
}

on_both_backends!(planned_interviews_never_count_toward_a_quota);
async fn planned_interviews_never_count_toward_a_quota(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    ephemeral(app.slash(&format!("config timezone {ZONE}")).await).await;
    said_as(&app, COLLEAGUE, "Acme | chat | one").await;
    said_as(&app, COLLEAGUE, "Globex | chat | two").await;
    ephemeral(app.slash("onboard me").await).await;
    for (name, days) in [("Acme", 0), ("Globex", 1), ("Acme", 2)] {
        let said = ephemeral(app.slash(&format!("interview {name} {}", day_ahead(&app, days))).await).await;
        assert!(said.starts_with("Planned"), "{said}");
    }
    let quota = ephemeral(app.slash("quota").await).await;
    assert!(quota.contains("Interviews 0/20"), "{quota}");
    ephemeral(app.slash("Acme | chat | captured").await).await;
    let quota = ephemeral(app.slash("quota").await).await;
    assert!(quota.contains("Interviews 1/20"), "{quota}");
    assert_eq!(app.count("planned_interviews").await, 3);
}

on_both_backends!(an_interview_planned_later_that_morning_brings_its_brief_at_once);
async fn an_interview_planned_later_that_morning_brings_its_brief_at_once(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    ephemeral(app.slash(&format!("config timezone {ZONE}")).await).await;
    said_as(&app, COLLEAGUE, "Acme | chat | one").await;
    let day = day_ahead(&app, 2);
    move_clock_to(&app, at(day, 10, 0)).await;
    let said = ephemeral(app.slash(&format!("interview Acme {day} 15:00")).await).await;
    assert!(said.contains("Their brief comes to you by DM in a moment."), "{said}");
    crate::support::eventually("the brief", || async { !dms(&app, USER).is_empty() }).await;
    app.drain().await;
    let sent = dm_blocks(&app, USER);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains("You interview *Acme* today at 15:00."), "{}", sent[0]);
    // An interview already over is refused.
    let said = ephemeral(app.slash(&format!("interview Acme {day} 09:30")).await).await;
    assert!(said.starts_with(&format!("{day} at 09:30 has already passed ({ZONE}). Nothing was planned.")), "{said}");
}

on_both_backends!(an_anonymous_customers_plan_brief_and_reminder_show_its_label_and_the_line_captures_about_it);
async fn an_anonymous_customers_plan_brief_and_reminder_show_its_label_and_the_line_captures_about_it(
    backend: TestBackend,
) {
    let app = TestApp::spawn_on(backend).await;
    ephemeral(app.slash(&format!("config timezone {ZONE}")).await).await;
    said_as(&app, COLLEAGUE, "Zorblax | chat | We need canned replies").await;
    assert!(ephemeral(app.slash("privacy Zorblax anonymous").await).await.contains("*Customer 1*"));
    let day = day_ahead(&app, 2);
    // Planned by its label (what people see of it); every answer shows the label.
    let said = ephemeral(app.slash(&format!("interview Customer 1 {day} 14:30")).await).await;
    assert!(said.starts_with(&format!("Planned: your interview with *Customer 1* on {day} at 14:30")), "{said}");
    let listed = ephemeral(app.slash("interviews").await).await;
    assert!(listed.contains("*Customer 1*") && !listed.contains("Zorblax"), "{listed}");
    move_clock_to(&app, at(day, 9, 0) + SignedDuration::from_secs(1)).await;
    app.drain().await;
    move_clock_to(&app, at(day, 14, 31) + SignedDuration::from_hours(24)).await;
    app.drain().await;
    let sent = dm_blocks(&app, USER);
    assert_eq!(sent.len(), 2, "the brief and the reminder: {sent:?}");
    for dm in &sent {
        assert!(dm.contains("*Customer 1*") && !dm.contains("Zorblax"), "a DM shows the label: {dm}");
    }
    let line = "`/highlight Customer 1 | &lt;area&gt; | &lt;their words&gt;`";
    assert!(sent[1].contains(line), "the line to type names the label: {}", sent[1]);

    // The line, typed (and the form, given the label): about Zorblax, no new customer.
    let said = ephemeral(app.slash("Customer 1 | chat | Canned replies for email too").await).await;
    assert!(said.starts_with("✅ Saved for *Customer 1*"), "{said}");
    let chat = area_id(&app, "chat").await;
    let values = json!({
        "customer": value("customer 1"),
        "interview_date": { "value": { "type": "datepicker", "selected_date": "2026-01-15" } },
        "area_0": selected(&chat), "kind_0": selected("pain"), "quote_0": value("Macros too"),
    });
    let body: Value = app.interaction(&submission(values, 1)).await.json().await.expect("JSON");
    assert_eq!(body["response_action"], "update", "{body}");
    let per_customer: Vec<(String, i64)> = sqlx::query_as(
        "select c.display_name, count(*) from highlights h join customers c on c.id = h.customer_id
         group by c.display_name order by c.display_name",
    )
    .fetch_all(app.db.pool())
    .await
    .expect("rows");
    assert_eq!(per_customer, vec![("Zorblax".to_owned(), 3)]);
}
