//! Digests, the month-end report and the export, through Slack and the
//! binary: ranking, exactly once per period across a restart and across two
//! replicas on one database, empty periods, bad schedules, the report's bar
//! and gaps, and CSV that survives a round trip through a CSV parser.

use serde_json::{json, Value};

use crate::on_both_backends;
use crate::support::clicks::Click;
use crate::support::db::TestBackend;
use crate::support::fake_slack::Call;
use crate::support::{ephemeral, highlights_cli, TestApp, PRODUCT_CHANNEL, TEAM, USER};

fn digests_posted(app: &TestApp) -> Vec<Call> {
    app.slack
        .ok_calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.args["channel"] == PRODUCT_CHANNEL && c.args["text"].to_string().contains("Customer highlights"))
        .collect()
}

async fn capture(app: &TestApp, text: &str) {
    let said = ephemeral(app.slash(text).await).await;
    assert!(said.starts_with("✅ Saved"), "{text}: {said}");
}

/// Moves every highlight an hour back, into the period that just ended.
async fn backdate(app: &TestApp) {
    sqlx::query("update highlights set created_at = created_at - 3600000")
        .execute(app.db.pool())
        .await
        .expect("backdate");
}

/// A daily schedule whose latest moment was a minute ago (UTC).
fn just_passed() -> String {
    let t = (jiff::Timestamp::now() - jiff::SignedDuration::from_mins(1)).to_zoned_datetime(jiff::tz::TimeZone::UTC);
    format!("daily {:02}:{:02} UTC", t.hour(), t.minute())
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    crate::support::eventually(what, || std::future::ready(done())).await;
}

/// A scheduler of another process on the same database, at a moment of its
/// own: how many digests its run queues.
async fn schedule_elsewhere(app: &TestApp, at: jiff::Timestamp) -> usize {
    let db = highlights::store::Db::connect(&app.test_db.url).await.expect("database");
    let state = highlights::app::AppState::new(app.config.clone(), db.clone(), highlights::app::Clock::fixed(at));
    let queued =
        highlights::digests::post::run_schedule(&state.db, &state.clock, &state.outbox).await.expect("schedule");
    db.close().await;
    queued
}

on_both_backends!(the_digest_ranks_areas_by_distinct_customers);
async fn the_digest_ranks_areas_by_distinct_customers(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    for text in [
        "Acme | billing | Invoices are wrong",
        "Acme | billing | Invoices again",
        "Acme | billing | And again",
        "Globex | chat | Canned replies please",
        "Initech | chat | We need macros",
        "Umbrella | chat | &lt;!here&gt; chat is slow",
    ] {
        capture(&app, text).await;
    }
    let said = ephemeral(app.slash("digest").await).await;
    assert!(said.contains("Posting the digest so far (6 highlights"), "{said}");
    wait_until("the digest", || !digests_posted(&app).is_empty()).await;
    let posts = digests_posted(&app);
    assert_eq!(posts.len(), 1);
    let blocks = &posts[0].args["blocks"];
    assert!(blocks[0]["text"]["text"].as_str().expect("header").starts_with("📣 Customer highlights so far"));
    assert_eq!(blocks[1]["elements"][0]["text"], "4 interviews · 6 highlights · 4 customers · 1 interviewer");
    let chat = blocks[2]["text"]["text"].as_str().expect("first area");
    assert!(chat.starts_with("*chat*: 3 customers, 3 highlights  🆕 *new this period*"), "{chat}");
    assert!(chat.contains("&lt;!here&gt; chat is slow"), "escaped: {chat}");
    let billing = blocks[3]["text"]["text"].as_str().expect("second area");
    assert!(billing.starts_with("*billing*: 1 customer, 3 highlights"), "{billing}");
    assert!(posts[0].args.to_string().contains("No one has heard about"), "coverage line");
}

on_both_backends!(asking_for_the_digest_twice_never_posts_the_same_quotes_twice);
async fn asking_for_the_digest_twice_never_posts_the_same_quotes_twice(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    capture(&app, "Acme | chat | first quote").await;
    capture(&app, "Globex | billing | second quote").await;
    let said = ephemeral(app.slash("digest").await).await;
    assert!(said.contains("Posting the digest so far (2 highlights"), "{said}");
    for _ in 0..3 {
        let said = ephemeral(app.slash("digest").await).await;
        assert!(said.contains("Nothing new since"), "{said}");
    }
    app.drain().await;
    assert_eq!(digests_posted(&app).len(), 1, "asked four times, nothing new after the first");
    // The next one starts where that one ended.
    capture(&app, "Initech | chat | third quote").await;
    let said = ephemeral(app.slash("digest").await).await;
    assert!(said.contains("Posting the digest so far (1 highlight since"), "{said}");
    wait_until("the second digest", || digests_posted(&app).len() == 2).await;
    let second = digests_posted(&app)[1].args["blocks"].to_string();
    assert!(second.contains("third quote"), "{second}");
    assert!(!second.contains("first quote") && !second.contains("second quote"), "{second}");
}

on_both_backends!(a_scheduled_digest_is_posted_once_across_a_restart);
async fn a_scheduled_digest_is_posted_once_across_a_restart(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    capture(&app, "Acme | chat | last period").await;
    backdate(&app).await;
    let said = ephemeral(app.slash(&format!("config digest {}", just_passed())).await).await;
    assert!(said.starts_with("Digests: daily"), "{said}");
    wait_until("the digest", || !digests_posted(&app).is_empty()).await;
    assert_eq!(digests_posted(&app).len(), 1);
    // Once the post is recorded (a crash in the instant between Slack's answer and
    // that record is the one window where a post can repeat), the process dies.
    app.drain().await;
    let app = app.crash_and_restart().await;
    // A scheduler run after the restart finds the period taken.
    assert_eq!(schedule_elsewhere(&app, jiff::Timestamp::now()).await, 0);
    app.drain().await;
    assert_eq!(digests_posted(&app).len(), 1, "not again after a restart");
    let posted_periods: i64 = sqlx::query_scalar("select count(*) from digests where highlights > 0")
        .fetch_one(app.db.pool())
        .await
        .expect("count");
    assert_eq!(posted_periods, 1);
}

on_both_backends!(racing_schedulers_queue_each_period_once);
async fn racing_schedulers_queue_each_period_once(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    capture(&app, "Acme | chat | shared").await;
    ephemeral(app.slash("config digest daily 09:00 UTC").await).await;
    // Two days ahead, the racers' latest complete period is one the app's own
    // scheduler has not reached; the highlight is moved into it.
    let today = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    let today_9 = today.at(9, 0, 0, 0).to_zoned_datetime(jiff::tz::TimeZone::UTC).expect("9:00").timestamp();
    let hours = |h: i64| jiff::SignedDuration::from_hours(h);
    let (start, at) = (today_9 + hours(24), today_9 + hours(49));
    sqlx::query("update highlights set created_at = $1")
        .bind((start.as_second() + 3600) * 1000)
        .execute(app.db.pool())
        .await
        .expect("move");
    // Eight schedulers, each on its own connections, run at the same moment.
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(8));
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (barrier, url, config) = (barrier.clone(), app.test_db.url.clone(), app.config.clone());
        racers.spawn(async move {
            let db = highlights::store::Db::connect(&url).await.expect("database");
            let state = highlights::app::AppState::new(config, db.clone(), highlights::app::Clock::fixed(at));
            barrier.wait().await;
            let queued = highlights::digests::post::run_schedule(&state.db, &state.clock, &state.outbox)
                .await
                .expect("schedule");
            db.close().await;
            queued
        });
    }
    let mut queued = 0;
    while let Some(n) = racers.join_next().await {
        queued += n.expect("racer");
    }
    assert_eq!(queued, 1, "eight schedulers, one digest");
    assert_eq!(app.outbox_rows_of("post_digest").await.len(), 1);
}

on_both_backends!(an_empty_period_posts_nothing);
async fn an_empty_period_posts_nothing(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    ephemeral(app.slash(&format!("config digest {}", just_passed())).await).await;
    crate::support::eventually("the empty period to be settled", || async {
        let settled: i64 =
            sqlx::query_scalar("select count(*) from digests").fetch_one(app.db.pool()).await.expect("n");
        settled > 0
    })
    .await;
    app.drain().await;
    let recorded: Vec<(String, i64)> =
        sqlx::query_as("select period_key, highlights from digests").fetch_all(app.db.pool()).await.expect("rows");
    assert!(recorded.iter().any(|(key, _)| key.ends_with(" UTC")), "the daily period is settled: {recorded:?}");
    assert!(recorded.iter().all(|(_, n)| *n == 0), "{recorded:?}");
    assert!(digests_posted(&app).is_empty());
    let said = ephemeral(app.slash("digest").await).await;
    assert!(said.contains("Nothing new since"), "{said}");
}

on_both_backends!(bad_schedules_and_zones_are_refused);
async fn bad_schedules_and_zones_are_refused(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    for (text, reason) in [
        ("config digest hourly", "Say `weekly mon 09:00`"),
        ("config digest weekly funday 09:00", "not a day of the week"),
        ("config digest daily 25:00", "not a time of day"),
        ("config digest weekly mon 09:00 Mars/Olympus", "not a time zone name"),
        ("config timezone Nowhere/Land", "not a time zone name"),
    ] {
        let said = ephemeral(app.slash(text).await).await;
        assert!(said.contains(reason), "{text}: {said}");
    }
    let schedule: String =
        sqlx::query_scalar("select digest_schedule from workspaces").fetch_one(app.db.pool()).await.expect("row");
    assert_eq!(schedule, "weekly mon 09:00", "unchanged");
    let said = ephemeral(app.slash("config digest weekly fri 16:00 America/New_York").await).await;
    assert_eq!(said, "Digests: weekly fri 16:00 (America/New_York).");
    let said = ephemeral(app.slash("config digest off").await).await;
    assert!(said.contains("off"), "{said}");
}

on_both_backends!(the_month_end_report_shows_backed_features_and_gaps);
async fn the_month_end_report_shows_backed_features_and_gaps(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let said = ephemeral(app.slash("report").await).await;
    assert!(said.contains("no interviews in the onboarding window yet"), "{said}");
    ephemeral(app.slash("onboard me").await).await;
    for text in [
        "Acme | chat | Canned replies | https://zoom.us/rec/1",
        "Globex | chat | Macros",
        "Initech | chat | Saved replies",
        "Initech | reporting | Exports",
        "Umbrella | reporting | CSV exports",
        "Hooli | billing | EUR invoices",
    ] {
        let said = ephemeral(app.slash(text).await).await;
        assert!(said.starts_with("✅"), "{said}");
    }
    let said = ephemeral(app.slash("report").await).await;
    assert!(said.contains("on its way"), "{said}");
    let find_dm = || {
        app.slack
            .ok_calls_to("chat.postMessage")
            .into_iter()
            .find(|c| c.args["channel"] == USER && c.args["text"].to_string().contains("Month-end report"))
    };
    wait_until("the report DM", || find_dm().is_some()).await;
    let dm = find_dm();
    let dm = dm.expect("report DM");
    let text = dm.args["blocks"].to_string();
    assert!(text.contains("*1. chat*: 3 customers, 3 quotes · ✅ backed"), "{text}");
    assert!(text.contains("*2. reporting*: 2 customers, 2 quotes · ⚠️ below the bar"), "{text}");
    assert!(text.contains("<https://zoom.us/rec/1|recording>"), "{text}");
    assert!(text.contains("reporting: 2 customers — talk to 1 more"), "{text}");
    assert!(text.contains("billing: 1 customer — talk to 2 more"), "{text}");
    assert!(text.contains("Team-wide"), "{text}");
}

on_both_backends!(exported_csv_cells_never_run_as_spreadsheet_formulas);
async fn exported_csv_cells_never_run_as_spreadsheet_formulas(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    for text in [
        "=HYPERLINK(\"http://evil\") | chat | =1+2",
        "@Acme | chat | +cmd|' /C calc'!A0",
        "Globex | chat | -2+3",
        "Initech | chat | plain words, = not first",
    ] {
        capture(&app, text).await;
    }
    let out = highlights_cli(&app.test_db.url).args(["export", "--format", "csv"]).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("record")).collect();
    let cells: Vec<(String, String)> = rows.iter().map(|r| (r[1].to_owned(), r[4].to_owned())).collect();
    assert_eq!(
        cells,
        vec![
            ("'=HYPERLINK(\"http://evil\")".to_owned(), "'=1+2".to_owned()),
            ("'@Acme".to_owned(), "'+cmd|' /C calc'!A0".to_owned()),
            ("Globex".to_owned(), "'-2+3".to_owned()),
            ("Initech".to_owned(), "plain words, = not first".to_owned()),
        ]
    );
    // JSON lines keep what was typed.
    let out = highlights_cli(&app.test_db.url).args(["export", "--format", "jsonl"]).output().expect("runs");
    let first: Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().next().expect("line")).expect("json");
    assert_eq!(first["quote"], "=1+2");
}

on_both_backends!(export_round_trips_through_a_csv_parser);
async fn export_round_trips_through_a_csv_parser(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let tricky = "She said, \"it's \"\"broken\"\"\",\nthen left; 50% off?";
    capture(&app, "Acme, Inc. | chat | plain").await;
    ephemeral(app.slash("help").await).await;
    let area = app.area_id("billing").await;
    let option = |v: String| json!({ "value": { "type": "static_select", "selected_option": { "text": { "type": "plain_text", "text": "x" }, "value": v } } });
    let submission = json!({
        "type": "view_submission", "team": { "id": TEAM, "domain": "acme" },
        "user": { "id": USER, "username": "alice", "team_id": TEAM }, "api_app_id": "A0APP00001", "token": "t", "trigger_id": "1.2.3",
        "view": { "id": "V1", "team_id": TEAM, "type": "modal", "callback_id": "capture", "private_metadata": crate::support::opened_metadata("capture", "{\"highlights\":1}"),
                  "title": { "type": "plain_text", "text": "Capture" }, "blocks": [], "hash": "1",
                  "state": { "values": {
                      "customer": { "value": { "type": "plain_text_input", "value": "Globex" } },
                      "interview_date": { "value": { "type": "datepicker", "selected_date": "2026-01-02" } },
                      "recording_link": { "value": { "type": "plain_text_input", "value": "https://x.io/a?b=1,2" } },
                      "area_0": option(area.to_string()), "kind_0": option("pain".into()),
                      "quote_0": { "value": { "type": "plain_text_input", "value": tricky } },
                      "takeaway_0": { "value": { "type": "plain_text_input", "value": "Fix, \"now\"" } } } } },
    });
    let body: Value = app.interaction(&submission).await.json().await.expect("JSON");
    assert_eq!(body["response_action"], "update", "{body}");

    let out = highlights_cli(&app.test_db.url).args(["export", "--format", "csv"]).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let headers = reader.headers().expect("headers").clone();
    assert_eq!(&headers[1], "customer");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("record")).collect();
    assert_eq!(rows.len(), 2);
    let field =
        |row: &csv::StringRecord, name: &str| row[headers.iter().position(|h| h == name).expect("column")].to_owned();
    assert_eq!(field(&rows[0], "customer"), "Acme, Inc.");
    assert_eq!(field(&rows[1], "quote"), tricky);
    assert_eq!(field(&rows[1], "takeaway"), "Fix, \"now\"");
    assert_eq!(field(&rows[1], "recording_link"), "https://x.io/a?b=1,2");
    assert_eq!(field(&rows[1], "interview_date"), "2026-01-02");
    assert_eq!(field(&rows[1], "kind"), "pain");

    let out = highlights_cli(&app.test_db.url).args(["export", "--format", "jsonl"]).output().expect("runs");
    let lines: Vec<Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
    assert_eq!(lines[1]["quote"], tricky);
    let future = highlights_cli(&app.test_db.url).args(["export", "--since", "2999-01-01"]).output().expect("runs");
    let header = String::from_utf8_lossy(&future.stdout).into_owned();
    assert_eq!(header.lines().count(), 1, "only the header");
    assert_eq!(header.trim_end(), headers.iter().collect::<Vec<_>>().join(","), "the same columns, empty or not");
    let bad = highlights_cli(&app.test_db.url).args(["export", "--format", "xml"]).output().expect("runs");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--format must be csv or jsonl"));
    let bad = highlights_cli(&app.test_db.url).args(["export", "--since", "yesterday"]).output().expect("runs");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is not a date"));
}

on_both_backends!(digest_print_and_report_work_without_slack);
async fn digest_print_and_report_work_without_slack(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    ephemeral(app.slash("onboard me").await).await;
    capture(&app, "Acme | chat | We need canned replies").await;
    let out = highlights_cli(&app.test_db.url).args(["digest", "--print"]).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.starts_with("# Customer highlights so far:"), "{md}");
    assert!(md.contains("## chat: 1 customer, 1 highlight (new this period)"), "{md}");
    assert!(md.contains("> We need canned replies"), "{md}");
    assert!(md.contains("## Onboarding"), "{md}");

    let out =
        highlights_cli(&app.test_db.url).args(["report", "--user", USER, "--format", "json"]).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["features"][0]["area"], "chat");
    assert_eq!(report["features"][0]["backed"], false);
    let out = highlights_cli(&app.test_db.url).args(["report", "--user", "U0NOBODY01"]).output().expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to report yet"));
}

const APPROVER: &str = "U0BOSS0001";

/// DMs asking the approver to approve a digest.
fn approval_dms(app: &TestApp) -> Vec<Call> {
    app.slack
        .ok_calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.args["channel"] == APPROVER && c.args["text"].to_string().contains("waiting for your approval"))
        .collect()
}

/// Two areas' highlights in the period that just ended, and an approver: the
/// scheduled digest is DMed to them. Returns the period's key.
async fn digest_awaiting_approval(app: &TestApp) -> String {
    capture(app, "Acme | chat | Canned replies please").await;
    capture(app, "Globex | billing | Invoices are wrong").await;
    backdate(app).await;
    ask_for_approval(app).await;
    let dm = approval_dms(app)[0].args.to_string();
    assert!(dm.contains("Canned replies please") && dm.contains("Invoices are wrong"), "{dm}");
    assert!(dm.contains("digest_approve") && dm.contains("digest_skip") && dm.contains("Remove chat"), "{dm}");
    sqlx::query_scalar("select period_key from digest_approvals").fetch_one(app.db.pool()).await.expect("pending")
}

/// Names an approver and a schedule whose period just ended.
async fn configure_approval(app: &TestApp) {
    let said = ephemeral(app.slash("config digest approver nobody").await).await;
    assert!(said.contains("Name the approver with an @mention"), "{said}");
    let said = ephemeral(app.slash(&format!("config digest approver <@{APPROVER}|boss>")).await).await;
    assert!(said.contains(&format!("<@{APPROVER}> first")), "{said}");
    let said = ephemeral(app.slash(&format!("config digest {}", just_passed())).await).await;
    assert!(said.starts_with("Digests: daily"), "{said}");
}

/// The approver and schedule set, then the approval DM, as Slack took it.
async fn ask_for_approval(app: &TestApp) {
    configure_approval(app).await;
    wait_until("the approval DM", || approval_dms(app).len() == 1).await;
}

/// The Remove buttons of an approval DM: (action_id, value), in order.
fn remove_buttons(dm: &Call) -> Vec<(String, String)> {
    let blocks = dm.args["blocks"].as_array().expect("blocks");
    let remove = blocks.iter().find(|b| b["block_id"] == "digest_remove").expect("the Remove buttons");
    let buttons = remove["elements"].as_array().expect("buttons");
    buttons
        .iter()
        .map(|b| (b["action_id"].as_str().expect("id").into(), b["value"].as_str().expect("value").into()))
        .collect()
}

/// A click in the approval DM; what the app answered.
async fn decide(app: &TestApp, user: &str, action_id: &str, value: &str) -> Value {
    let click = Click::button(action_id, value).in_block("digest_decision").by(user).on_message("D0DM000001", "1.1");
    app.click_answered(&click).await
}

on_both_backends!(an_approved_digest_posts_once_without_the_areas_its_approver_removed);
async fn an_approved_digest_posts_once_without_the_areas_its_approver_removed(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let key = digest_awaiting_approval(&app).await;
    app.drain().await;
    assert!(digests_posted(&app).is_empty(), "nothing reaches the channel before approval");

    let chat: i64 = sqlx::query_scalar("select id from product_areas where name = 'chat'")
        .fetch_one(app.db.pool())
        .await
        .expect("area");
    let removed = decide(&app, APPROVER, &format!("digest_remove_area:{chat}"), &format!("{chat} {key}")).await;
    assert_eq!(removed["replace_original"], true);
    let shown = removed["blocks"].to_string();
    assert!(!shown.contains("Canned replies please") && shown.contains("Invoices are wrong"), "{shown}");
    assert!(!shown.contains("Remove chat") && shown.contains("digest_approve"), "{shown}");

    // Only the approver decides.
    let refused = decide(&app, USER, "digest_approve", &key).await;
    assert!(refused["text"].to_string().contains(&format!("Only <@{APPROVER}> decides")), "{refused}");
    app.drain().await;
    assert!(digests_posted(&app).is_empty());

    // Approved twice (a double click): posted once.
    let (first, second) =
        tokio::join!(decide(&app, APPROVER, "digest_approve", &key), decide(&app, APPROVER, "digest_approve", &key));
    let texts = format!("{} {}", first["text"], second["text"]);
    assert!(texts.contains("You approved") && texts.contains("already approved"), "{texts}");
    wait_until("the approved digest", || !digests_posted(&app).is_empty()).await;
    app.drain().await;
    let posts = digests_posted(&app);
    assert_eq!(posts.len(), 1, "posted exactly once");
    let posted = posts[0].args["blocks"].to_string();
    assert!(posted.contains("Invoices are wrong") && !posted.contains("Canned replies please"), "{posted}");
    // A scheduler of another replica finds the period taken.
    assert_eq!(schedule_elsewhere(&app, jiff::Timestamp::now()).await, 0);
    app.drain().await;
    assert_eq!(digests_posted(&app).len(), 1);
}

on_both_backends!(a_digest_nobody_approves_in_24_hours_is_skipped_and_the_approver_told);
async fn a_digest_nobody_approves_in_24_hours_is_skipped_and_the_approver_told(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let key = digest_awaiting_approval(&app).await;
    // A day and an hour later, the scheduler expires it.
    app.advance(std::time::Duration::from_secs(25 * 3600));
    let told = || {
        app.slack.ok_calls_to("chat.postMessage").into_iter().any(|c| {
            c.args["channel"] == APPROVER && c.args["text"].to_string().contains("was not approved within 24 hours")
        })
    };
    wait_until("the note to the approver", told).await;
    let late = decide(&app, APPROVER, "digest_approve", &key).await;
    assert!(late["text"].to_string().contains("waited more than 24 hours"), "{late}");
    app.drain().await;
    assert!(digests_posted(&app).is_empty(), "an expired digest never posts");
}

on_both_backends!(a_skipped_digest_is_never_posted);
async fn a_skipped_digest_is_never_posted(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let key = digest_awaiting_approval(&app).await;
    let skipped = decide(&app, APPROVER, "digest_skip", &key).await;
    assert!(skipped["text"].to_string().contains("You skipped"), "{skipped}");
    let late = decide(&app, APPROVER, "digest_approve", &key).await;
    assert!(late["text"].to_string().contains("already skipped"), "{late}");
    app.drain().await;
    assert!(digests_posted(&app).is_empty());
    let said = ephemeral(app.slash("config digest approver off").await).await;
    assert!(said.contains("without approval"), "{said}");
}

on_both_backends!(a_digest_with_every_area_removed_posts_nothing_when_approved);
async fn a_digest_with_every_area_removed_posts_nothing_when_approved(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let key = digest_awaiting_approval(&app).await;
    let areas: Vec<i64> = sqlx::query_scalar("select id from product_areas where name in ('chat', 'billing')")
        .fetch_all(app.db.pool())
        .await
        .expect("areas");
    assert_eq!(areas.len(), 2);
    for area in areas {
        decide(&app, APPROVER, &format!("digest_remove_area:{area}"), &format!("{area} {key}")).await;
    }
    let approved = decide(&app, APPROVER, "digest_approve", &key).await;
    assert!(approved["text"].to_string().contains("You approved"), "{approved}");
    app.drain().await;
    assert!(digests_posted(&app).is_empty(), "nothing left to post");
}

on_both_backends!(an_approval_dm_with_many_areas_reaches_the_approver_with_a_remove_button_each);
async fn an_approval_dm_with_many_areas_reaches_the_approver_with_a_remove_button_each(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let areas = highlights::areas::BUILT_IN_AREAS;
    assert!(areas.len() >= 12, "{areas:?}");
    let customers = [
        "Acme",
        "Globex",
        "Initech",
        "Umbrella",
        "Hooli",
        "Stark",
        "Wayne",
        "Tyrell",
        "Cyberdyne",
        "Soylent",
        "Wonka",
        "Vandelay",
    ];
    for (customer, area) in customers.iter().zip(areas) {
        capture(&app, &format!("{customer} | {area} | Something about {area}")).await;
    }
    backdate(&app).await;
    ask_for_approval(&app).await;
    let dm = &approval_dms(&app)[0];
    let buttons = remove_buttons(dm);
    assert_eq!(buttons.len(), 12, "one per area shown: {buttons:?}");
    let mut ids: Vec<&String> = buttons.iter().map(|(id, _)| id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), buttons.len(), "each button its own action_id: {buttons:?}");
    // A Remove button, clicked as Slack sends it, leaves its area out.
    let (action_id, value) = &buttons[3];
    let removed = decide(&app, APPROVER, action_id, value).await;
    let left = remove_buttons(&Call { args: removed.clone(), ..dm.clone() });
    assert_eq!(left.len(), 11, "{removed}");
    assert!(!left.iter().any(|(id, _)| id == action_id), "{removed}");
}

on_both_backends!(a_digest_slack_refuses_is_told_and_the_next_digest_covers_its_highlights);
async fn a_digest_slack_refuses_is_told_and_the_next_digest_covers_its_highlights(backend: TestBackend) {
    use crate::support::fake_slack::Fault;
    let app = TestApp::spawn_on(backend).await;
    capture(&app, "Acme | chat | Canned replies please").await;
    capture(&app, "Globex | billing | Invoices are wrong").await;
    app.drain().await;
    backdate(&app).await;
    // The DM asking for approval is the next post: Slack refuses it for good.
    app.slack.fail_next("chat.postMessage", Fault::Error("invalid_blocks"), 1);
    configure_approval(&app).await;
    let told = |user: &str| {
        app.slack
            .ok_calls_to("chat.postMessage")
            .into_iter()
            .any(|c| c.args["channel"] == user && c.args["text"].to_string().contains("Slack refused the DM asking"))
    };
    wait_until("the approver told", || told(APPROVER)).await;
    wait_until("who set up the approval told", || told(USER)).await;
    app.drain().await;
    let status: String =
        sqlx::query_scalar("select status from digest_approvals").fetch_one(app.db.pool()).await.expect("approval");
    assert_eq!(status, "refused");
    let notes = app
        .slack
        .ok_calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.args["text"].to_string().contains("Slack refused"));
    assert_eq!(notes.count(), 2, "each told once");
    // Not counted as posted: the digest on demand holds the period's highlights.
    let said = ephemeral(app.slash("digest").await).await;
    assert!(said.contains("Posting the digest so far (2 highlights"), "{said}");
    wait_until("the digest", || !digests_posted(&app).is_empty()).await;
    let posted = digests_posted(&app)[0].args["blocks"].to_string();
    assert!(posted.contains("Canned replies please") && posted.contains("Invoices are wrong"), "{posted}");
    app.drain().await;
    assert_eq!(approval_dms(&app).len(), 0, "the refused DM is not asked again");
}
