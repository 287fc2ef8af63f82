//! Customers through Slack: the customer view, suggestions as you type,
//! merging, search, and the CSV import, on both backends, with workspaces
//! kept apart.

use serde_json::{json, Value};

use crate::on_both_backends;
use crate::support::clicks::Click;
use crate::support::db::TestBackend;
use crate::support::{ephemeral, TestApp, PRODUCT_CHANNEL, TEAM, USER};

const OTHER_TEAM: &str = "T0OTHER001";

async fn reply(resp: reqwest::Response) -> Value {
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("JSON reply");
    assert_eq!(body["response_type"], "ephemeral", "{body}");
    body
}

fn all_text(reply: &Value) -> String {
    let mut out = reply["text"].as_str().unwrap_or_default().to_owned();
    for b in reply["blocks"].as_array().into_iter().flatten() {
        out.push('\n');
        out.push_str(b["text"]["text"].as_str().unwrap_or_default());
    }
    out
}

async fn capture(app: &TestApp, text: &str) {
    let said = ephemeral(app.slash(text).await).await;
    assert!(said.starts_with("✅ Saved"), "{text}: {said}");
}

on_both_backends!(a_near_duplicate_name_asks_before_creating_a_customer);
async fn a_near_duplicate_name_asks_before_creating_a_customer(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    capture(&app, "Acme Corp | chat | first").await;
    let question = reply(app.slash("Acmee | chat | &lt;second&gt;").await).await;
    assert!(question["text"].as_str().expect("text").contains("Did you mean *Acme Corp*?"), "{question}");
    assert!(question.to_string().contains("/highlight Acmee | chat | &lt;second&gt;"), "echoed: {question}");
    assert_eq!(app.count("highlights").await, 1, "nothing stored before the choice");

    let answer = app.click_answered(&Click::in_reply(&question, "capture_use_existing")).await;
    assert_eq!(answer["replace_original"], true);
    // A second click on the same question captures nothing more.
    let payload_count = app.count("highlights").await;
    let before = app.slack.calls_to("response_url").len();
    let again = Click::in_reply(&question, "capture_use_existing");
    app.click(&again).await;
    // The click is acknowledged once its capture is decided.
    assert_eq!(app.count("highlights").await, payload_count, "double click, one capture");
    assert_eq!(app.slack.calls_to("response_url").len(), before);
    // A value stripped of its nonce is not a question the app asked: nothing captured.
    let mut value: Value =
        serde_json::from_str(question["blocks"][1]["elements"][0]["value"].as_str().expect("value")).expect("json");
    value.as_object_mut().expect("object").remove("nonce");
    let mut stripped = again.payload(&app);
    stripped["actions"][0]["value"] = json!(value.to_string());
    assert_eq!(app.interaction(&stripped).await.status(), 200);
    assert_eq!(app.count("highlights").await, payload_count, "no nonce, no capture");
    assert!(answer["text"].as_str().expect("text").contains("Saved for *Acme Corp*"), "{answer}");
    assert_eq!(app.count("customers").await, 1);
    let quote: String = sqlx::query_scalar("select quote from highlights order by id desc")
        .fetch_one(app.db.pool())
        .await
        .expect("quote");
    assert_eq!(quote, "<second>");

    let question = reply(app.slash("Acmee | chat | third").await).await;
    let answer = app.click_answered(&Click::in_reply(&question, "capture_create_new")).await;
    assert!(answer["text"].as_str().expect("text").contains("Saved for *Acmee*"), "{answer}");
    assert_eq!(app.count("customers").await, 2);
    // Once it exists, the name is known: no more questions.
    capture(&app, "acmee | billing | fourth").await;
}

on_both_backends!(a_typo_anywhere_in_a_name_is_caught_among_other_customers);
async fn a_typo_anywhere_in_a_name_is_caught_among_other_customers(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    capture(&app, "Acme Corp | chat | first").await;
    for other in ["Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Tyrell", "Cyberdyne", "Wonka"] {
        capture(&app, &format!("{other} | chat | filler")).await;
    }
    // A changed first letter, a missing letter, an added one, a changed one
    // (the names are found through their one-typo variants, not by reading
    // every customer).
    for typo in ["Xcme Corp", "Acm", "Acmex", "Acne Inc"] {
        let question = reply(app.slash(&format!("{typo} | chat | typo")).await).await;
        let text = question["text"].as_str().expect("text");
        assert!(text.contains("Did you mean *Acme Corp*?"), "{typo}: {text}");
    }
    // A name that starts like another one and adds a word.
    let question = reply(app.slash("Acme Labs | chat | more").await).await;
    assert!(question["text"].as_str().expect("text").contains("Did you mean *Acme Corp*?"), "{question}");
    // Far from every name: captured at once.
    capture(&app, "Soylent | chat | new").await;
    assert_eq!(app.count("customers").await, 10);
}

on_both_backends!(the_customer_view_groups_feedback_by_area);
async fn the_customer_view_groups_feedback_by_area(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    capture(&app, "Acme | chat | We need canned replies").await;
    capture(&app, "acme inc | chat | Macros are slow").await;
    capture(&app, "ACME | billing | Invoices in EUR &amp; GBP").await;
    capture(&app, "Globex | chat | unrelated").await;
    app.slack.wait_for_ok_calls("chat.postMessage", 5).await;
    app.drain().await;

    let view = reply(app.slash("customer Acme Corp").await).await;
    let text = all_text(&view);
    assert!(text.contains("*Acme*: 3 highlights · 1 interview · 1 interviewer"), "{text}");
    assert!(text.contains("Open the customer's thread"), "thread link: {text}");
    let chat_at = text.find("*chat* · 2 highlights").expect("chat section");
    let billing_at = text.find("*billing* · 1 highlight").expect("billing section");
    assert!(chat_at < billing_at, "most highlights first: {text}");
    assert!(text.contains(">Macros are slow — <@U0USER0001>"), "{text}");
    assert!(text.contains("Invoices in EUR &amp; GBP"), "escaped: {text}");
    assert!(!text.contains("unrelated"), "only Acme: {text}");

    let unknown = ephemeral(app.slash("customer Acmee").await).await;
    assert!(unknown.contains("Did you mean *Acme*?"), "{unknown}");
    let unknown = ephemeral(app.slash("customer Umbrella").await).await;
    assert!(unknown.contains("don't know a customer called “Umbrella”"), "{unknown}");
    let nothing = ephemeral(app.slash("customer  !!! ").await).await;
    assert!(nothing.contains("no letters or digits"), "{nothing}");

    // A workspace the app is not installed in sees none of it.
    let elsewhere = ephemeral(app.slash_in(OTHER_TEAM, "customer Acme").await).await;
    assert!(elsewhere.contains("not installed in this workspace"), "{elsewhere}");
    assert!(!elsewhere.contains("Acme"), "{elsewhere}");
}

fn suggestion(typed: &str) -> Value {
    json!({
        "type": "block_suggestion", "action_id": "value", "block_id": "customer", "value": typed,
        "team": { "id": TEAM, "domain": "acme" }, "user": { "id": USER, "team_id": TEAM },
        "api_app_id": "A0APP00001", "token": "t", "container": { "type": "view", "view_id": "V1" },
        "view": { "type": "modal", "id": "V1", "team_id": TEAM, "title": { "type": "plain_text", "text": "Capture" }, "blocks": [] },
    })
}

async fn options(app: &TestApp, typed: &str) -> Vec<(String, String)> {
    let resp = app.interaction(&suggestion(typed)).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("JSON");
    body["options"]
        .as_array()
        .expect("options")
        .iter()
        .map(|o| (o["text"]["text"].as_str().expect("text").to_owned(), o["value"].as_str().expect("value").to_owned()))
        .collect()
}

on_both_backends!(suggestions_rank_prefix_then_substring_then_recent_activity);
async fn suggestions_rank_prefix_then_substring_then_recent_activity(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    capture(&app, "Acme | chat | first").await;
    let question = reply(app.slash("Bacme | chat | second").await).await;
    app.click_answered(&Click::in_reply(&question, "capture_create_new")).await;
    capture(&app, "Acorn | chat | third").await;
    // Heard from in this order, a second apart (captures within one
    // millisecond would tie).
    for (n, quote) in ["first", "second", "third"].iter().enumerate() {
        sqlx::query("update highlights set created_at = $1 where quote = $2")
            .bind(1_700_000_000_000i64 + n as i64 * 1000)
            .bind(*quote)
            .execute(app.db.pool())
            .await
            .expect("time");
    }
    let names: Vec<String> = options(&app, "ac").await.into_iter().map(|(t, _)| t).collect();
    assert_eq!(names, vec!["Acorn", "Acme", "Bacme", "➕ New customer: ac"]);
    let near = options(&app, "Acmee").await;
    assert_eq!(near.last().expect("create").0, "➕ New: Acmee (not Acme)", "did-you-mean before creating: {near:?}");
    let exact = options(&app, "acme inc.").await;
    assert_eq!(exact[0].0, "Acme", "{exact:?}");
    assert!(exact.iter().all(|(_, v)| v.starts_with("id:")), "no create option for an existing customer: {exact:?}");
    assert!(options(&app, "   ").await.is_empty());
    // Suggestions never cross workspaces.
    let mut other = suggestion("ac");
    other["team"]["id"] = json!(OTHER_TEAM);
    other["user"]["team_id"] = json!(OTHER_TEAM);
    let body: Value = app.interaction(&other).await.json().await.expect("JSON");
    assert_eq!(body["options"], json!([]), "nothing for a workspace the app is not installed in: {body}");
}

on_both_backends!(merging_moves_highlights_threads_and_later_captures);
async fn merging_moves_highlights_threads_and_later_captures(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    capture(&app, "Acme Labs | chat | from the labs").await;
    let question = reply(app.slash("Acme | billing | from the mothership").await).await;
    app.click_answered(&Click::in_reply(&question, "capture_create_new")).await;
    app.slack.wait_for_ok_calls("chat.postMessage", 4).await;
    app.drain().await;
    let threads: Vec<(String, String)> = sqlx::query_as("select display_name, thread_ts from customers order by id")
        .fetch_all(app.db.pool())
        .await
        .expect("threads");
    assert_eq!(threads.len(), 2);

    let said = ephemeral(app.slash("merge Acme Labs into acme").await).await;
    assert!(said.contains("Merged *Acme Labs* into *Acme*"), "{said}");
    let view = all_text(&reply(app.slash("customer Acme").await).await);
    // Same interviewer, same day: the two interviews fold into one.
    assert!(view.contains("*Acme*: 2 highlights · 1 interview ·"), "{view}");
    assert_eq!(app.count("interviews").await, 1);
    let labs = all_text(&reply(app.slash("customer acme labs").await).await);
    assert!(labs.contains("*Acme*: 2 highlights"), "the old name leads to the survivor: {labs}");

    // The old thread's parent now points to the survivor.
    let old_ts = threads[0].1.clone();
    let is_marker = |c: &crate::support::fake_slack::Call| {
        c.args["ts"] == old_ts.as_str() && c.args["blocks"].to_string().contains("was merged into *Acme*")
    };
    crate::support::eventually("the old parent to point to the survivor", || {
        std::future::ready(app.slack.ok_calls_to("chat.update").iter().any(is_marker))
    })
    .await;

    // Later captures under the old name go to the survivor's thread.
    capture(&app, "Acme Labs | chat | after the merge").await;
    let posts = app.slack.wait_for_ok_calls("chat.postMessage", 5).await;
    let last = posts.last().expect("reply");
    assert_eq!(last.args["thread_ts"], threads[1].1.as_str());
    assert_eq!(last.args["channel"], PRODUCT_CHANNEL);

    let same = ephemeral(app.slash("merge acme into Acme Labs").await).await;
    assert!(same.contains("already the same customer"), "{same}");
    let usage = ephemeral(app.slash("merge Acme").await).await;
    assert!(usage.contains("Usage: `/highlight merge"), "{usage}");
}

#[tokio::test]
async fn merging_needs_a_manager_when_managers_are_set() {
    let app = TestApp::spawn_with(TestBackend::Sqlite, |args| {
        args.product_channel = Some(PRODUCT_CHANNEL.into());
        args.managers = Some("U0BOSS0001".into());
    })
    .await;
    capture(&app, "Acme Labs | chat | a").await;
    let question = reply(app.slash("Acme | chat | b").await).await;
    app.click_answered(&Click::in_reply(&question, "capture_create_new")).await;
    let said = ephemeral(app.slash("merge Acme Labs into Acme").await).await;
    assert!(said.contains("Only the app's managers and workspace admins can merge customers"), "{said}");
    let merged: i64 = sqlx::query_scalar("select count(*) from customers where merged_into is not null")
        .fetch_one(app.db.pool())
        .await
        .expect("count");
    assert_eq!(merged, 0);
}

on_both_backends!(areas_can_be_renamed_and_merged_keeping_their_highlights);
async fn areas_can_be_renamed_and_merged_keeping_their_highlights(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    capture(&app, "Acme | chat | one").await;
    capture(&app, "Globex | email | two").await;
    let said = ephemeral(app.slash("areas rename chat to Messaging").await).await;
    assert!(said.contains("Renamed *chat* to *Messaging*"), "{said}");
    let said = ephemeral(app.slash("areas merge email into messaging").await).await;
    assert!(said.contains("Merged *email* into *Messaging*: 1 highlight moved"), "{said}");
    let list = ephemeral(app.slash("areas").await).await;
    assert!(list.contains("• *Messaging*: 2 highlights, 2 customers"), "{list}");
    assert!(!list.contains("*email*"), "{list}");
    let clash = ephemeral(app.slash("areas rename billing to messaging").await).await;
    assert!(clash.contains("already exists"), "{clash}");
    let unknown = ephemeral(app.slash("areas rename chta to x").await).await;
    assert!(unknown.contains("no product area “chta”"), "{unknown}");
}

on_both_backends!(search_finds_ranked_matches_within_the_workspace);
async fn search_finds_ranked_matches_within_the_workspace(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    capture(&app, "Acme | chat | We need canned replies for common questions").await;
    capture(&app, "Globex | email | Canned replies would save us hours").await;
    capture(&app, "Initech | billing | Invoices are confusing").await;
    let text = ephemeral(app.slash_in(OTHER_TEAM, "Umbrella | chat | canned replies everywhere").await).await;
    assert!(text.contains("not installed in this workspace"), "{text}");

    let found = all_text(&reply(app.slash("search canned reply").await).await);
    assert!(found.contains("2 highlights") && found.contains("matching “canned reply”"), "stemmed: {found}");
    assert!(found.contains("*Acme* · chat") && found.contains("*Globex* · email"), "{found}");
    assert!(!found.contains("Umbrella"), "never another workspace: {found}");
    let filtered = all_text(&reply(app.slash("search canned area:email").await).await);
    assert!(filtered.contains("*Globex*") && !filtered.contains("*Acme*"), "{filtered}");
    let filtered = all_text(&reply(app.slash(r#"search canned customer:"acme inc""#).await).await);
    assert!(filtered.contains("*Acme*") && !filtered.contains("*Globex*"), "{filtered}");
    let none = ephemeral(app.slash("search kubernetes").await).await;
    assert!(none.contains("No highlight mentions “kubernetes”"), "{none}");
    let operators = ephemeral(app.slash(r#"search area:chat " * - ()"#).await).await;
    assert!(operators.contains("Search for some words"), "{operators}");
    let bad_area = ephemeral(app.slash("search canned area:chta").await).await;
    assert!(bad_area.contains("no product area “chta”"), "{bad_area}");
}

on_both_backends!(the_modal_can_pick_an_existing_customer_by_id);
async fn the_modal_can_pick_an_existing_customer_by_id(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    capture(&app, "Acme | chat | one").await;
    let id = app.customer_id("Acme").await;
    let area = app.area_id("billing").await;
    let option = |v: String| {
        json!({ "value": { "type": "external_select", "selected_option": {
        "text": { "type": "plain_text", "text": "x" }, "value": v } } })
    };
    let payload = json!({
        "type": "view_submission", "team": { "id": TEAM, "domain": "acme" },
        "user": { "id": "U0USER0002", "username": "bob", "team_id": TEAM }, "api_app_id": "A0APP00001", "token": "t",
        "trigger_id": "1.2.3",
        "view": { "id": "V1", "team_id": TEAM, "type": "modal", "callback_id": "capture", "private_metadata": crate::support::opened_metadata("capture", "{\"highlights\":1}"),
                  "title": { "type": "plain_text", "text": "Capture" }, "blocks": [], "hash": "1",
                  "state": { "values": {
                      "customer": option(format!("id:{id}")),
                      "interview_date": { "value": { "type": "datepicker", "selected_date": "2026-01-02" } },
                      "area_0": option(area.to_string()), "kind_0": option("request".into()),
                      "quote_0": { "value": { "type": "plain_text_input", "value": "By id" } } } } },
    });
    let body: Value = app.interaction(&payload).await.json().await.expect("JSON");
    assert_eq!(body["response_action"], "update", "{body}");
    assert_eq!(app.count("customers").await, 1);
    let mut gone = payload.clone();
    gone["view"]["state"]["values"]["customer"] = option("id:999999".into());
    let body: Value = app.interaction(&gone).await.json().await.expect("JSON");
    assert_eq!(body["response_action"], "errors");
    assert!(body["errors"]["customer"].as_str().expect("error").contains("no longer exists"));
}

on_both_backends!(imported_arr_weights_the_area_ranking);
async fn imported_arr_weights_the_area_ranking(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    capture(&app, "Acme | chat | one").await;
    capture(&app, "Globex | chat | two").await;
    let rows = highlights::customers::import::parse_customers_csv(
        "name,segment,arr\nAcme,Enterprise,100000\nGlobex,SMB,20000.50\n".as_bytes(),
    )
    .expect("valid csv");
    let ws = highlights::store::workspaces::WorkspaceId(TEAM.into());
    app.db
        .write(async |tx| highlights::store::customers::upsert_imported_customers(tx, &ws, &rows, 1).await)
        .await
        .expect("import");
    let list = ephemeral(app.slash("areas").await).await;
    assert!(list.contains("• *chat*: 2 highlights, 2 customers, $120,000 ARR"), "{list}");
    let view = all_text(&reply(app.slash("customer acme").await).await);
    assert!(view.contains("Enterprise · $100,000 ARR"), "{view}");
}
