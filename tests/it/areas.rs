//! Product areas and workspace settings through `/highlight`, with the
//! permission rules of docs/design.md (managers, admins, everyone when unset).

use crate::on_both_backends;
use crate::support::db::TestBackend;
use crate::support::{ephemeral, TestApp, USER};

on_both_backends!(areas_are_listed_with_highlights_and_distinct_customers);
async fn areas_are_listed_with_highlights_and_distinct_customers(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    for text in
        ["Acme | billing | a", "Acme | billing | b", "Acme | billing | c", "Globex | chat | d", "Initech | chat | e"]
    {
        ephemeral(app.slash(text).await).await;
    }
    let list = ephemeral(app.slash("areas").await).await;
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines[1], "• *chat*: 2 highlights, 2 customers", "most customers first: {list}");
    assert_eq!(lines[2], "• *billing*: 3 highlights, 1 customer", "{list}");
    assert!(list.contains("• *security*: 0 highlights, 0 customers"), "{list}");
}

on_both_backends!(adding_an_area_is_idempotent_and_it_can_be_captured_into);
async fn adding_an_area_is_idempotent_and_it_can_be_captured_into(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let text = ephemeral(app.slash("areas add Data export").await).await;
    assert!(text.contains("Added the product area *Data export*"), "{text}");
    let text = ephemeral(app.slash("areas add  data   EXPORT ").await).await;
    assert!(text.contains("already a product area"), "{text}");
    let text = ephemeral(app.slash("areas add").await).await;
    assert!(text.contains("Give the area a name"), "{text}");
    let areas: i64 = sqlx::query_scalar("select count(*) from product_areas where key = 'data export'")
        .fetch_one(app.db.pool())
        .await
        .expect("count");
    assert_eq!(areas, 1);
    let text = ephemeral(app.slash("Acme | DATA EXPORT | CSV please").await).await;
    assert!(text.contains("*Data export*"), "{text}");
}

#[tokio::test]
async fn default_areas_come_from_the_environment() {
    let app =
        TestApp::spawn_with(TestBackend::Sqlite, |args| args.default_areas = Some("Onboarding, Analytics".into()))
            .await;
    let list = ephemeral(app.slash("areas").await).await;
    assert!(list.contains("*Analytics*") && list.contains("*Onboarding*"), "{list}");
    assert!(!list.contains("billing"), "{list}");
}

on_both_backends!(managing_is_refused_to_non_managers_when_managers_are_set);
async fn managing_is_refused_to_non_managers_when_managers_are_set(backend: TestBackend) {
    let app = TestApp::spawn_with(backend, |args| args.managers = Some("U0BOSS0001".into())).await;
    let text = ephemeral(app.slash("areas add Analytics").await).await;
    assert!(text.contains("Only the app's managers and workspace admins can add product areas"), "{text}");
    assert!(text.contains("<@U0BOSS0001>"), "{text}");
    let text = ephemeral(app.slash("config channel <#C0PRODUCT2|product>").await).await;
    assert!(text.contains("can change the configuration"), "{text}");
    let calls = app.slack.ok_calls_to("users.info");
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].args["user"], USER);
    let stored = app.count_where("product_areas", "key = 'analytics'").await;
    assert_eq!(stored, 0, "nothing changed");
    let channel = app.workspace_row().await.product_channel;
    assert_eq!(channel, None);

    // Capturing and reading stay open to everyone.
    assert!(ephemeral(app.slash("Acme | chat | hi").await).await.contains("Saved"));

    // A workspace admin may.
    app.slack.make_admin(USER);
    let text = ephemeral(app.slash("areas add Analytics").await).await;
    assert!(text.contains("Added"), "{text}");
}

on_both_backends!(a_listed_manager_needs_no_admin_check);
async fn a_listed_manager_needs_no_admin_check(backend: TestBackend) {
    let app = TestApp::spawn_with(backend, |args| args.managers = Some(USER.into())).await;
    let text = ephemeral(app.slash("config channel <#C0PRODUCT2|product>").await).await;
    assert!(text.contains("Highlights will be posted to <#C0PRODUCT2>"), "{text}");
    assert!(app.slack.calls_to("users.info").is_empty());
}

on_both_backends!(config_channel_needs_a_channel_mention);
async fn config_channel_needs_a_channel_mention(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let text = ephemeral(app.slash("config channel product").await).await;
    assert!(text.contains("#mention"), "{text}");
    let text = ephemeral(app.slash("config channel <#C0PRODUCT2>").await).await;
    assert!(text.contains("<#C0PRODUCT2>"), "{text}");
}

on_both_backends!(help_and_unknown_words_answer_with_usage);
async fn help_and_unknown_words_answer_with_usage(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let help = ephemeral(app.slash("help").await).await;
    assert!(help.contains("/highlight areas add <name>"), "{help}");
    let unknown = ephemeral(app.slash("frobnicate the &lt;widgets&gt;").await).await;
    assert!(unknown.contains("I don't know that command"), "{unknown}");
    assert!(unknown.contains("/highlight frobnicate the &lt;widgets&gt;"), "echo stays escaped: {unknown}");
}
