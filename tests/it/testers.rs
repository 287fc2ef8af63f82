//! Prototype testers, through Slack: the modal's *Willing to try a
//! prototype* checkbox, `tester <customer> <area> [off]`, `testers <area>`
//! (least asked first; listing counts as asking), the brief's line, and the
//! month-end report's "n of the customers who asked would try it".

use serde_json::{json, Value};

use crate::capture::{area_id, selected, submission, value};
use crate::on_both_backends;
use crate::support::db::TestBackend;
use crate::support::{ephemeral, TestApp, USER};

const FOLLOWER: &str = "U0FOLLOW01";

/// Everything an ephemeral answer says: its text and its blocks.
async fn said(resp: reqwest::Response) -> String {
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("JSON reply");
    assert_eq!(body["response_type"], "ephemeral", "{body}");
    let blocks: Vec<String> = body["blocks"]
        .as_array()
        .map(|b| {
            b.iter()
                .map(|b| {
                    b["text"]["text"].as_str().or(b["elements"][0]["text"].as_str()).unwrap_or_default().to_owned()
                })
                .collect()
        })
        .unwrap_or_default();
    format!("{}\n{}", body["text"].as_str().unwrap_or_default(), blocks.join("\n"))
}

async fn capture(app: &TestApp, text: &str) {
    let said = ephemeral(app.slash(text).await).await;
    assert!(said.starts_with("✅ Saved"), "{text}: {said}");
}

fn ticked() -> Value {
    json!({ "value": { "type": "checkboxes", "selected_options": [
        { "text": { "type": "plain_text", "text": "Willing to try a prototype" }, "value": "tester" } ] } })
}

on_both_backends!(a_ticked_highlight_makes_its_customer_a_tester_of_its_area);
async fn a_ticked_highlight_makes_its_customer_a_tester_of_its_area(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    app.slash("help").await; // records the workspace and its areas
    let (chat, billing) = (area_id(&app, "chat").await, area_id(&app, "billing").await);
    // The modal offers the checkbox on each highlight.
    let opened = app.slash("").await;
    assert_eq!(opened.status(), 200);
    let view = app.slack.wait_for_ok_calls("views.open", 1).await.remove(0).args["view"].clone();
    let view: Value = view.as_str().map(|v| serde_json::from_str(v).expect("view")).unwrap_or(view);
    assert!(view.to_string().contains("Willing to try a prototype"), "{view}");
    let values = json!({
        "customer": value("Acme <Labs>"),
        "interview_date": { "value": { "type": "datepicker", "selected_date": "2026-01-15" } },
        "area_0": selected(&chat), "kind_0": selected("request"), "quote_0": value("I'd try a <!channel> chat beta"),
        "tester_0": ticked(),
        "area_1": selected(&billing), "kind_1": selected("pain"), "quote_1": value("Invoices are wrong"),
        "tester_1": { "value": { "type": "checkboxes", "selected_options": [] } },
    });
    let body: Value = app.interaction(&submission(values, 2)).await.json().await.expect("JSON");
    assert_eq!(body["response_action"], "update", "{body}");
    assert!(body["view"].to_string().contains("🧪 Listed as willing to try a prototype in *chat*."), "{body}");
    // The interview's interviewee, when recorded (the modal's Interviewee field), is shown.
    sqlx::query("update interviews set interviewee = 'Ann <Lee>, CTO'")
        .execute(app.db.pool())
        .await
        .expect("interviewee");
    // Somebody else follows them: they know them too.
    ephemeral(app.slash_as(FOLLOWER, "follow Acme &lt;Labs&gt;").await).await;
    let listed = said(app.slash("testers Chat").await).await;
    assert!(listed.contains("🧪 *Would try a prototype in chat*: 1 customer"), "{listed}");
    assert!(
        listed.contains("*Acme &lt;Labs&gt;*\n>I'd try a &lt;!channel&gt; chat beta"),
        "qualifying quote, escaped: {listed}"
    );
    assert!(listed.contains(&format!("heard by <@{USER}>, 2026-01-15")), "{listed}");
    assert!(listed.contains("Interviewee: Ann &lt;Lee&gt;, CTO"), "{listed}");
    assert!(listed.contains(&format!("Knows them: <@{USER}> (interviewed), <@{FOLLOWER}> (follows)")), "{listed}");
    assert!(listed.contains("never asked · not this quarter"), "{listed}");
    assert!(listed.contains("Listing counts as asking"), "{listed}");
    // Listed once: asked once, today.
    let today = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date().to_string();
    let again = said(app.slash("testers chat").await).await;
    assert!(again.contains(&format!("last asked {today} · once this quarter")), "{again}");
    // The unticked highlight's area has none.
    let none = said(app.slash("testers billing").await).await;
    assert!(none.contains("No customer is listed as willing to try a prototype in *billing* yet"), "{none}");
    // The brief says where they would test.
    let brief = said(app.slash("brief Acme &lt;Labs&gt;").await).await;
    assert!(brief.contains("*Would test a prototype in:* chat"), "{brief}");
}

on_both_backends!(a_tester_is_marked_and_unmarked_by_command_and_mistakes_are_echoed);
async fn a_tester_is_marked_and_unmarked_by_command_and_mistakes_are_echoed(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    capture(&app, "Acme Labs | chat | Canned replies please").await;
    let said_now = |text: &'static str| {
        let app = &app;
        async move { said(app.slash(text).await).await }
    };
    let marked = said_now("tester Acme Labs chat").await;
    assert!(marked.contains("🧪 *Acme Labs* is now listed as willing to try a prototype in *chat*"), "{marked}");
    assert!(said_now("tester acme labs CHAT").await.contains("was already listed"));
    let listed = said_now("testers chat").await;
    assert!(listed.contains("*Acme Labs*\n>Canned replies please"), "their latest quote in the area: {listed}");
    let unmarked = said_now("tester Acme Labs chat off").await;
    assert!(unmarked.contains("*Acme Labs* is no longer listed as willing to try a prototype in *chat*"), "{unmarked}");
    assert!(said_now("tester Acme Labs chat off").await.contains("was not listed"));
    assert!(said_now("testers chat").await.contains("No customer is listed"));
    // Mistakes: a specific answer that echoes what was typed; nothing stored.
    for (typed, answer) in [
        ("tester Acme Labs chatt", "There is no product area “chatt”"),
        ("tester Nobody Inc chat", "I don't know a customer called “Nobody Inc”"),
        ("testers chatt", "There is no product area “chatt”"),
        ("tester Acme", "Name the customer and the product area"),
        ("testers", "Name the product area"),
    ] {
        let refusal = said(app.slash(typed).await).await;
        assert!(refusal.contains(answer), "{typed}: {refusal}");
        if typed.contains(' ') {
            assert!(refusal.contains(typed), "echoed: {typed}: {refusal}");
        }
    }
    assert_eq!(app.count("testers").await, 0);
}

on_both_backends!(testers_are_listed_least_asked_first_and_listing_counts_as_asking);
async fn testers_are_listed_least_asked_first_and_listing_counts_as_asking(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let names = ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf"];
    for name in names {
        capture(&app, &format!("{name} | chat | {name} wants it")).await;
        let marked = said(app.slash(&format!("tester {name} chat")).await).await;
        assert!(marked.contains("now listed"), "{marked}");
    }
    let order = |listed: &str| -> Vec<&str> {
        let mut found: Vec<(usize, &str)> =
            names.iter().filter_map(|n| listed.find(&format!("*{n}*\n")).map(|i| (i, *n))).collect();
        found.sort();
        found.into_iter().map(|(_, n)| n).collect()
    };
    let first = said(app.slash("testers chat").await).await;
    assert!(first.contains(": 7 customers, least asked first"), "{first}");
    assert_eq!(order(&first), ["Alpha", "Bravo", "Charlie", "Delta", "Echo"], "{first}");
    assert!(first.contains("2 more not shown"), "{first}");
    // The next person sees the two never asked first, then the longest since asked.
    let second = said(app.slash("testers chat").await).await;
    assert_eq!(order(&second), ["Foxtrot", "Golf", "Alpha", "Bravo", "Charlie"], "{second}");
    assert!(second.contains("never asked · not this quarter"), "{second}");
    let asked: i64 = sqlx::query_scalar("select count(*) from tester_asks").fetch_one(app.db.pool()).await.expect("n");
    assert_eq!(asked, 10, "each listed customer asked once per listing");
}

on_both_backends!(the_report_says_how_many_customers_who_asked_would_try_each_feature);
async fn the_report_says_how_many_customers_who_asked_would_try_each_feature(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    ephemeral(app.slash("onboard me").await).await;
    for text in [
        "Acme | chat | Canned replies",
        "Globex | chat | Macros",
        "Initech | chat | Saved replies",
        "Hooli | billing | EUR",
    ] {
        capture(&app, text).await;
    }
    for text in ["tester Acme chat", "tester Initech chat", "tester Hooli chat"] {
        assert!(said(app.slash(text).await).await.contains("now listed"), "{text}");
    }
    let said_now = ephemeral(app.slash("report").await).await;
    assert!(said_now.contains("on its way"), "{said_now}");
    let find_dm = || {
        app.slack
            .ok_calls_to("chat.postMessage")
            .into_iter()
            .find(|c| c.args["channel"] == USER && c.args["text"].to_string().contains("Month-end report"))
    };
    crate::support::eventually("the report DM", || std::future::ready(find_dm().is_some())).await;
    let text = find_dm().expect("report").args["blocks"].to_string();
    // Hooli would try chat but never asked for it: it does not count for chat.
    assert!(text.contains("✅ backed\\n🧪 2 of the 3 customers who asked would try it"), "{text}");
    assert!(!text.contains("of the 1 customer who asked"), "billing has no tester: {text}");
}
