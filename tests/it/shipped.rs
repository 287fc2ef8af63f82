//! Closing the loop and briefs, through signed requests and the fake Slack on
//! both backends: `brief <customer>`, the `shipped` preview (which stores
//! nothing), the click that announces once per customer whatever is clicked
//! again, on another replica or across a restart, and `✔ shipped` wherever a
//! closed quote shows.

use serde_json::{json, Value};

use crate::on_both_backends;
use crate::support::clicks::Click;
use crate::support::db::TestBackend;
use crate::support::fake_slack::{Call, Fault};
use crate::support::{ephemeral, eventually, TestApp, PRODUCT_CHANNEL, USER};

const BOB: &str = "U0BOB00001";
const FOLLOWER: &str = "U0FOLLOW01";
const BOSS: &str = "U0BOSS0001";
const SHIP: &str =
    "shipped chat | canned replies | Canned replies &amp; macros are live | <https://example.com/changelog>";

async fn capture_as(app: &TestApp, user: &str, text: &str) {
    let said = ephemeral(app.slash_as(user, text).await).await;
    assert!(said.starts_with("✅ Saved"), "{text}: {said}");
}

/// The ephemeral reply to a command, whole.
async fn reply(resp: reqwest::Response) -> Value {
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("JSON reply");
    assert_eq!(body["response_type"], "ephemeral", "{body}");
    body
}

/// Everything a reply says, text and blocks.
fn said(reply: &Value) -> String {
    format!("{}\n{}", reply["text"].as_str().unwrap_or_default(), reply["blocks"])
}

async fn follow(app: &TestApp, customer: &str, user: &str) {
    sqlx::query(
        "insert into follows (workspace_id, customer_id, user_id, created_at)
         select workspace_id, id, $2, 1 from customers where display_name = $1",
    )
    .bind(customer)
    .bind(user)
    .execute(app.db.pool())
    .await
    .expect("follow");
}

/// Acme (asked twice, by USER, the newest with a `<!channel>`), Globex (by BOB and USER) and Initech (another
/// wish) in chat, and Hooli's canned replies in billing; every post made.
async fn customers_who_asked(app: &TestApp) {
    capture_as(app, USER, "Acme | chat | canned replies, please").await;
    capture_as(app, USER, "Acme | chat | &lt;!channel&gt; we need canned replies").await;
    capture_as(app, BOB, "Globex | chat | Canned replies would save hours").await;
    capture_as(app, USER, "Globex | billing | invoices in EUR").await;
    capture_as(app, USER, "Initech | chat | dark mode").await;
    capture_as(app, USER, "Hooli | billing | canned replies in invoices").await;
    follow(app, "Acme", FOLLOWER).await;
    app.drain().await;
}

/// The *Announce* button of a preview.
fn announce(preview: &Value) -> Click {
    Click::in_reply(preview, "shipped_announce")
}

/// The `Shipped:` replies posted, with the thread each went into.
fn shipped_replies(app: &TestApp) -> Vec<Call> {
    app.slack
        .ok_calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.args["text"].as_str().is_some_and(|t| t.starts_with("Shipped:")))
        .collect()
}

/// The DMs about a shipment, by recipient.
fn shipped_dms(app: &TestApp) -> Vec<(String, String)> {
    app.slack
        .ok_calls_to("chat.postMessage")
        .into_iter()
        // To the person, or into the app's conversation with them.
        .filter(|c| c.args["channel"].as_str().is_some_and(|ch| ch.starts_with('U') || ch.starts_with('D')))
        .filter(|c| c.args["text"].as_str().is_some_and(|t| t.starts_with("*Shipped in")))
        .map(|c| (c.args["channel"].as_str().unwrap_or_default().to_owned(), c.args["text"].to_string()))
        .collect()
}

on_both_backends!(the_preview_names_who_asked_and_stores_nothing_until_the_click_announces_once);
async fn the_preview_names_who_asked_and_stores_nothing_until_the_click_announces_once(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    customers_who_asked(&app).await;
    let posts_before = app.slack.ok_calls_to("chat.postMessage").len();
    let preview = reply(app.slash(SHIP).await).await;
    let text = said(&preview);
    assert!(text.contains("*Acme*") && text.contains("*Globex*"), "{text}");
    assert!(!text.contains("Initech") && !text.contains("Hooli"), "other wishes, other areas: {text}");
    assert!(text.contains("Announce to 2 customers"), "{text}");
    assert!(text.contains("&lt;!channel&gt; we need canned replies"), "escaped: {text}");
    assert_eq!(app.count("shipments").await, 0, "a preview stores nothing");
    assert_eq!(app.count_where("highlights", "closed_by_shipment is not null").await, 0);
    assert_eq!(app.outbox_rows_of("post_shipped").await.len(), 0);
    // Globex lost its thread (say the channel changed): the reply starts one.
    sqlx::query("update customers set thread_ts = null, thread_channel = null where display_name = 'Globex'")
        .execute(app.db.pool())
        .await
        .expect("update");
    let acme_thread = app.thread_ts_of("Acme").await.expect("Acme's thread");

    let answer = app.click_answered(&announce(&preview)).await;
    assert_eq!(answer["replace_original"], true);
    let done = answer["text"].as_str().expect("text");
    assert!(done.contains("Announced “Canned replies &amp; macros are live” to 2 customers"), "{done}");
    app.drain().await;

    let replies = shipped_replies(&app);
    assert_eq!(replies.len(), 2, "one reply per customer: {replies:#?}");
    let globex_thread = app.thread_ts_of("Globex").await.expect("a new thread for Globex");
    let to = |thread: &str| replies.iter().find(|r| r.args["thread_ts"] == thread).cloned();
    let acme = to(&acme_thread).expect("Acme's reply in Acme's thread");
    assert_eq!(acme.args["channel"], PRODUCT_CHANNEL);
    let acme_blocks = acme.args["blocks"].to_string();
    assert!(acme_blocks.contains("Shipped: Canned replies &amp; macros are live"), "{acme_blocks}");
    assert!(acme_blocks.contains("<https://example.com/changelog|https://example.com/changelog>"), "{acme_blocks}");
    assert!(acme_blocks.contains(">&lt;!channel&gt; we need canned replies"), "quoted, escaped: {acme_blocks}");
    assert!(acme_blocks.contains(">canned replies, please"), "{acme_blocks}");
    assert!(!acme_blocks.contains("<!channel>"), "pings nobody");
    assert!(
        acme_blocks.contains("announced by spengler") && !acme_blocks.contains(&format!("<@{USER}>")),
        "{acme_blocks}"
    );
    let globex = to(&globex_thread).expect("Globex's reply in its new thread");
    assert!(globex.args["blocks"].to_string().contains(">Canned replies would save hours"));
    assert!(!globex.args["blocks"].to_string().contains("invoices"), "only what they asked in chat");
    assert!(posts_before < app.slack.ok_calls_to("chat.postMessage").len());

    let closed: Vec<String> =
        sqlx::query_scalar("select quote from highlights where closed_by_shipment is not null order by id")
            .fetch_all(app.db.pool())
            .await
            .expect("closed");
    assert_eq!(
        closed,
        ["canned replies, please", "<!channel> we need canned replies", "Canned replies would save hours"]
    );

    // One DM per interviewer or follower, listing the customers they know.
    let mut dms = shipped_dms(&app);
    dms.sort();
    let who: Vec<&str> = dms.iter().map(|(to, _)| to.as_str()).collect();
    assert_eq!(who, [BOB, FOLLOWER, USER], "{dms:#?}");
    let dm = |user: &str| dms.iter().find(|(to, _)| to == user).map(|(_, text)| text.clone()).expect("dm");
    assert!(dm(BOB).contains("*Globex*") && !dm(BOB).contains("*Acme*"), "{}", dm(BOB));
    assert!(dm(BOB).contains("Canned replies would save hours"));
    assert!(dm(FOLLOWER).contains("*Acme*") && !dm(FOLLOWER).contains("*Globex*"), "{}", dm(FOLLOWER));
    assert!(dm(USER).contains("*Acme*") && dm(USER).contains("*Globex*"), "{}", dm(USER));

    // Clicked again, here and on another replica: nothing more.
    let again = app.click_answered(&announce(&preview)).await;
    assert!(again["text"].as_str().expect("text").contains(&format!("already announced by <@{USER}>")), "{again}");
    {
        let replica = app.replica().await;
        let there = replica.click_answered(&announce(&preview)).await;
        assert!(there["text"].as_str().expect("text").contains("already announced"), "{there}");
        replica.drain().await;
    }
    app.drain().await;
    assert_eq!(shipped_replies(&app).len(), 2);
    assert_eq!(shipped_dms(&app).len(), 3);
    assert_eq!(app.count("shipments").await, 1);

    // The same words later find nothing open: closed quotes are not announced again.
    let none = ephemeral(app.slash(SHIP).await).await;
    assert!(none.contains("No open highlight in *chat* matches “canned replies”"), "{none}");
    assert!(none.contains("You typed"), "{none}");
    capture_as(&app, USER, "Umbrella | chat | canned replies for us too").await;
    let next = said(&reply(app.slash(SHIP).await).await);
    assert!(next.contains("*Umbrella*") && next.contains("Announce to 1 customer"), "{next}");
    assert!(!next.contains("*Acme*") && !next.contains("*Globex*"), "{next}");
}

on_both_backends!(a_restart_between_the_click_and_the_posts_still_posts_once);
async fn a_restart_between_the_click_and_the_posts_still_posts_once(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    customers_who_asked(&app).await;
    let preview = reply(app.slash("shipped chat | * | Chat got better").await).await;
    assert!(said(&preview).contains("Announce to 3 customers"), "{}", said(&preview));
    app.slack.fail_next("chat.postMessage", Fault::Status(503), 1000);
    let before = app.slack.calls_to("chat.postMessage").len();
    app.click_answered(&announce(&preview)).await;
    app.slack.wait_for_calls("chat.postMessage", before + 1).await;
    assert!(shipped_replies(&app).is_empty());
    let app = app.crash_and_restart().await;
    app.slack.clear_faults();
    app.drain().await;
    let replies = shipped_replies(&app);
    assert_eq!(replies.len(), 3, "one per customer, once: {replies:#?}");
    let mut threads: Vec<String> =
        replies.iter().map(|r| r.args["thread_ts"].as_str().expect("ts").to_owned()).collect();
    threads.sort();
    threads.dedup();
    assert_eq!(threads.len(), 3, "each in its own customer's thread");
    assert_eq!(shipped_dms(&app).len(), 3, "USER, BOB and the follower, once each");
}

on_both_backends!(a_dm_about_a_shipment_whose_answer_was_lost_is_not_sent_twice);
async fn a_dm_about_a_shipment_whose_answer_was_lost_is_not_sent_twice(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    customers_who_asked(&app).await;
    let preview = reply(app.slash(SHIP).await).await;
    // Every post reaches Slack, and no answer comes back: the replies in the
    // threads and the DMs are each looked for before being sent again.
    app.slack.fail_next("chat.postMessage", Fault::LostAnswer, 5);
    app.click_answered(&announce(&preview)).await;
    app.drain().await;
    for person in [USER, BOB, FOLLOWER] {
        let dm = format!("D{}", person.strip_prefix('U').unwrap_or(person));
        let shipped: Vec<Value> = app
            .slack
            .messages_in(&dm)
            .into_iter()
            .filter(|m| m["text"].as_str().is_some_and(|t| t.starts_with("*Shipped in")))
            .collect();
        assert_eq!(shipped.len(), 1, "{person} told once: {shipped:#?}");
    }
    let looked = app.slack.calls_to("conversations.history").len();
    assert!(looked >= 3, "each DM was looked for after its lost answer ({looked} look-ups)");
    let replies = app.slack.messages_in(PRODUCT_CHANNEL);
    let replies: Vec<&Value> =
        replies.iter().filter(|m| m["text"].as_str().is_some_and(|t| t.starts_with("Shipped:"))).collect();
    assert_eq!(replies.len(), 2, "one reply per customer, once: {replies:#?}");
}

on_both_backends!(a_brief_shows_areas_latest_quotes_people_and_what_shipped);
async fn a_brief_shows_areas_latest_quotes_people_and_what_shipped(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    capture_as(&app, USER, "Acme | chat | oldest, not in the latest five").await;
    capture_as(&app, BOB, "Acme | chat | canned replies now | https://www.youtube.com/watch?v=abc @ 12:34").await;
    for (area, quote) in [("billing", "EUR invoices"), ("billing", "VAT"), ("reporting", "CSV"), ("chat", "macros")] {
        capture_as(&app, USER, &format!("Acme | {area} | {quote}")).await;
    }
    follow(&app, "Acme", FOLLOWER).await;
    app.drain().await;
    let preview = reply(app.slash("shipped chat | canned | Canned replies are live").await).await;
    app.click_answered(&announce(&preview)).await;
    app.drain().await;
    let today: String =
        sqlx::query_scalar("select shipped_on from shipments").fetch_one(app.db.pool()).await.expect("d");

    let brief = reply(app.slash("brief acme inc").await).await;
    let text = said(&brief);
    assert!(text.contains("*Brief: Acme*"), "{text}");
    assert!(text.contains("*Areas:* chat 3 · billing 2 · reporting 1"), "{text}");
    for quote in ["canned replies now", "EUR invoices", "VAT", "CSV", "macros"] {
        assert!(text.contains(quote), "{quote} in the latest five: {text}");
    }
    assert!(!text.contains("oldest, not in the latest five"), "{text}");
    assert!(text.contains("▶ 12:34"), "{text}");
    assert!(text.contains(&format!("canned replies now — chat · <@{BOB}>")), "{text}");
    assert!(text.contains(&format!("· ✔ shipped {today}")), "{text}");
    assert!(text.contains(&format!("<@{USER}> (1 interview, last ")), "one day, one interview: {text}");
    assert!(text.contains(&format!("<@{BOB}> (1 interview")), "{text}");
    assert!(text.contains(&format!("*Followers:* <@{FOLLOWER}>")), "{text}");
    assert!(text.contains(&format!("✔ shipped {today}: Canned replies are live (1 quote closed)")), "{text}");
    assert!(text.contains("Open the customer's thread"), "{text}");
    let blocks: Vec<Value> = brief["blocks"].as_array().expect("blocks").clone();
    highlights::slack::blocks::typed_blocks(&blocks).expect("valid Block Kit");
    assert!(blocks.len() <= 50);

    // The customer view marks the closed quote too.
    let view = said(&reply(app.slash("customer Acme").await).await);
    assert!(view.contains(&format!("canned replies now — <@{BOB}>")), "{view}");
    assert!(view.contains(&format!("✔ shipped {today}")), "{view}");

    let unknown = ephemeral(app.slash("brief Acmee").await).await;
    assert!(unknown.contains("Did you mean *Acme*?"), "{unknown}");
    let usage = ephemeral(app.slash("brief").await).await;
    assert!(usage.contains("/highlight brief Acme"), "{usage}");
}

on_both_backends!(refusals_name_what_was_wrong_and_echo_the_text);
async fn refusals_name_what_was_wrong_and_echo_the_text(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    customers_who_asked(&app).await;
    let cases = [
        ("shipped chatt | canned | Live", "There is no product area “chatt”. Did you mean `chat`"),
        ("shipped chat | canned | Live | ftp://example.com", "must be a web address starting with http://"),
        ("shipped chat | canned", "Name the area, the words and the announcement"),
        ("shipped chat | quantum | Live", "No open highlight in *chat* matches “quantum”"),
    ];
    for (typed, why) in cases {
        let said = ephemeral(app.slash(typed).await).await;
        assert!(said.contains(why), "{typed}: {said}");
        assert!(said.contains(&format!("```/highlight {typed}```")), "echoed: {said}");
    }
    assert_eq!(app.count("shipments").await, 0);
    assert_eq!(app.count_where("highlights", "closed_by_shipment is not null").await, 0);
}

on_both_backends!(only_managers_ship_and_a_button_from_another_workspace_is_refused);
async fn only_managers_ship_and_a_button_from_another_workspace_is_refused(backend: TestBackend) {
    let app = TestApp::spawn_with(backend, |args| {
        args.product_channel = Some(PRODUCT_CHANNEL.into());
        args.managers = Some(BOSS.into());
    })
    .await;
    customers_who_asked(&app).await;
    let refused = ephemeral(app.slash(SHIP).await).await;
    assert!(refused.contains("Only the app's managers and workspace admins can announce what shipped"), "{refused}");
    assert!(refused.contains("You typed"), "{refused}");
    let preview = reply(app.slash_as(BOSS, SHIP).await).await;
    assert!(said(&preview).contains("Announce to 2 customers"), "{}", said(&preview));

    // The same announcement sealed for another workspace, clicked here.
    let forged = highlights::shipped::Carried {
        nonce: "forged".into(),
        area: "chat".into(),
        announcement: "Forged".into(),
        link: None,
        highlights: vec![1, 2, 3],
    };
    let value = highlights::shipped::seal_carried(
        crate::support::signer::SIGNING_SECRET,
        &highlights::store::workspaces::WorkspaceId("T0OTHER001".into()),
        &forged,
    );
    let mut foreign = preview.clone();
    let at = foreign["blocks"].as_array().expect("blocks").len() - 1;
    foreign["blocks"][at]["elements"][0]["value"] = json!(value);
    let answer = app.click_answered(&announce(&foreign)).await;
    assert!(answer["text"].as_str().expect("text").contains("not made by Highlights for this workspace"), "{answer}");
    // A non-manager clicking the real button is refused too.
    let answer = app.click_answered(&announce(&preview)).await;
    assert!(answer["text"].as_str().expect("text").contains("Only the app's managers"), "{answer}");
    app.drain().await;
    assert_eq!(app.count("shipments").await, 0);
    assert!(shipped_replies(&app).is_empty());
}

on_both_backends!(the_month_end_report_marks_shipped_quotes);
async fn the_month_end_report_marks_shipped_quotes(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    ephemeral(app.slash("onboard me").await).await;
    for text in ["Acme | chat | canned replies", "Globex | chat | macros", "Initech | chat | saved replies"] {
        capture_as(&app, USER, text).await;
    }
    app.drain().await;
    let preview = reply(app.slash("shipped chat | macros | Macros are live").await).await;
    app.click_answered(&announce(&preview)).await;
    app.drain().await;
    let today: String =
        sqlx::query_scalar("select shipped_on from shipments").fetch_one(app.db.pool()).await.expect("d");
    assert!(ephemeral(app.slash("report").await).await.contains("on its way"));
    let report = || {
        app.slack
            .ok_calls_to("chat.postMessage")
            .into_iter()
            .find(|c| c.args["channel"] == USER && c.args["text"].to_string().contains("Month-end report"))
    };
    eventually("the report DM", || std::future::ready(report().is_some())).await;
    let blocks = report().expect("report").args["blocks"].to_string();
    assert!(blocks.contains(&format!("— *Globex*, {today} · ✔ shipped {today}")), "{blocks}");
    let marks = blocks.matches("✔ shipped").count();
    assert_eq!(marks, 1, "only the closed quote: {blocks}");
}

on_both_backends!(two_clicks_at_once_on_two_replicas_announce_once);
async fn two_clicks_at_once_on_two_replicas_announce_once(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    customers_who_asked(&app).await;
    let preview = reply(app.slash(SHIP).await).await;
    {
        let replica = app.replica().await;
        let before = app.slack.calls_to("response_url").len();
        let (here, there) = (announce(&preview), announce(&preview));
        tokio::join!(app.click(&here), replica.click(&there));
        let calls = app.slack.wait_for_calls("response_url", before + 2).await;
        let answers: Vec<String> = calls[before..].iter().map(|c| c.args["body"]["text"].to_string()).collect();
        assert_eq!(answers.iter().filter(|a| a.contains("Announced")).count(), 1, "{answers:?}");
        assert_eq!(answers.iter().filter(|a| a.contains("already announced")).count(), 1, "{answers:?}");
        replica.drain().await;
    }
    app.drain().await;
    assert_eq!(app.count("shipments").await, 1);
    assert_eq!(shipped_replies(&app).len(), 2);
    assert_eq!(shipped_dms(&app).len(), 3);
}
