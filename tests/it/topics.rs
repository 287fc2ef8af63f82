//! Topics, end to end: a manager sets the question an onboardee's interviews
//! answer (`topic`, or `onboard … topic`); it shows in `quota`, on their App
//! Home and as the title of their month-end report, which ranks what their
//! interviews said; others are refused.

use crate::follows::{said_as, slash_as};
use crate::on_both_backends;
use crate::support::db::TestBackend;
use crate::support::{TestApp, PRODUCT_CHANNEL, PUBLIC_URL, USER};

/// The onboardee (not a manager).
const ANN: &str = "U0ANN00001";
const TOPIC: &str = "What are the top three features we should build for chat?";

/// The App Home last published for `user`, once it shows `shown`.
async fn home_showing(app: &TestApp, user: &str, shown: &str) -> String {
    let found = || {
        app.slack
            .ok_calls_to("views.publish")
            .into_iter()
            .rev()
            .find(|c| c.args["user_id"] == user)
            .map(|c| c.args["view"].to_string())
            .filter(|view| view.contains(shown))
    };
    crate::support::eventually("the App Home", || std::future::ready(found().is_some())).await;
    found().expect("published")
}

/// The blocks of the last report DM sent to `user`.
async fn report_dm(app: &TestApp, user: &str) -> String {
    let before = app.slack.ok_calls_to("chat.postMessage").iter().filter(|c| c.args["channel"] == user).count();
    let said = said_as(app, user, "report").await;
    assert!(said.contains("on its way"), "{said}");
    let found = || {
        let sent: Vec<String> = app
            .slack
            .ok_calls_to("chat.postMessage")
            .into_iter()
            .filter(|c| c.args["channel"] == user)
            .map(|c| c.args["blocks"].to_string())
            .collect();
        sent.get(before).cloned()
    };
    crate::support::eventually("the report", || std::future::ready(found().is_some())).await;
    found().expect("sent")
}

on_both_backends!(a_managers_topic_shows_in_quota_on_the_home_and_titles_the_report);
async fn a_managers_topic_shows_in_quota_on_the_home_and_titles_the_report(backend: TestBackend) {
    let app = TestApp::spawn_with(backend, |args| {
        args.product_channel = Some(PRODUCT_CHANNEL.into());
        args.managers = Some(USER.into());
        args.public_url = Some(PUBLIC_URL.into());
    })
    .await;
    let said = said_as(&app, USER, &format!("onboard <@{ANN}|ann> topic \"{TOPIC}\"")).await;
    assert!(said.contains(&format!("Topic: “{TOPIC}”.")), "{said}");
    let quota = said_as(&app, ANN, "quota").await;
    assert!(quota.contains(&format!("\n*Topic:* “{TOPIC}”\n")), "{quota}");
    home_showing(&app, ANN, &format!("*Topic:* “{TOPIC}”")).await;

    // Their report is titled by it and ranks what their interviews said.
    for capture in ["Acme | chat | canned replies", "Globex | chat | macros", "Initech | billing | invoices"] {
        assert!(said_as(&app, ANN, capture).await.starts_with("✅"));
    }
    let report = report_dm(&app, ANN).await;
    assert!(report.contains(&format!("\"text\":\"📝 {TOPIC}\"")), "{report}");
    assert!(
        report.contains("Month-end report: two features, ranked by how many distinct customers raised each"),
        "{report}"
    );
    let (chat, billing) = (report.find("*1. chat*: 2 customers").expect("chat first"), report.find("*2. billing*"));
    assert!(billing.is_some_and(|b| chat < b), "{report}");

    // The library's page of the report says it too.
    let browser = app.signed_in_browser().await;
    let page = browser.get(app.url(&format!("/onboarding/{ANN}/report"))).send().await.expect("page");
    let html = page.text().await.expect("html");
    assert!(html.contains(&format!("<strong>Topic: </strong>{TOPIC}")), "{html}");

    // The manager changes it; what people typed is escaped where it shows.
    let said = said_as(&app, USER, &format!("topic <@{ANN}> “Billing &amp; &lt;invoices&gt;: what hurts?”")).await;
    assert!(said.starts_with(&format!("<@{ANN}>'s topic: “Billing &amp; &lt;invoices&gt;: what hurts?”.")), "{said}");
    let quota = said_as(&app, ANN, "quota").await;
    assert!(quota.contains("*Topic:* “Billing &amp; &lt;invoices&gt;: what hurts?”"), "{quota}");
    home_showing(&app, ANN, "*Topic:* “Billing &amp; &lt;invoices&gt;: what hurts?”").await;

    // Off: gone from quota, and the report is titled as before.
    assert_eq!(
        said_as(&app, USER, &format!("topic <@{ANN}> off")).await,
        format!("<@{ANN}> has no topic any more. Nothing else changed.")
    );
    assert!(!said_as(&app, ANN, "quota").await.contains("Topic"));
    let report = report_dm(&app, ANN).await;
    assert!(report.contains("\"text\":\"📝 Month-end report: two features\""), "{report}");
}

on_both_backends!(only_managers_set_topics_and_only_for_onboardees);
async fn only_managers_set_topics_and_only_for_onboardees(backend: TestBackend) {
    let app = TestApp::spawn_with(backend, |args| {
        args.product_channel = Some(PRODUCT_CHANNEL.into());
        args.managers = Some(USER.into());
    })
    .await;
    said_as(&app, ANN, "onboard me").await;
    let said = said_as(&app, ANN, &format!("topic <@{ANN}> \"{TOPIC}\"")).await;
    assert_eq!(said, format!("Only the app's managers and workspace admins can set topics. Ask one of: <@{USER}>."));
    let said = said_as(&app, ANN, &format!("onboard me topic \"{TOPIC}\"")).await;
    assert!(said.starts_with("Only the app's managers and workspace admins can set topics."), "{said}");
    assert!(!said_as(&app, ANN, "quota").await.contains("Topic"), "nothing stored");

    // Someone not being onboarded has no topic to set.
    let said = said_as(&app, USER, &format!("topic <@U0NOBODY01> \"{TOPIC}\"")).await;
    assert!(said.starts_with("<@U0NOBODY01> is not being onboarded"), "{said}");
    let topics: i64 = sqlx::query_scalar("select count(*) from onboardees where topic is not null")
        .fetch_one(app.db.pool())
        .await
        .expect("count");
    assert_eq!(topics, 0);

    // A mistake is named, with what was typed.
    let reply = slash_as(&app, USER, "topic ann \"x\"").await;
    let said = reply["text"].as_str().expect("text");
    assert!(said.starts_with("Say whose topic it is with an @mention."), "{said}");
    assert!(said.ends_with("```/highlight topic ann \"x\"```"), "{said}");
    let said = said_as(&app, USER, &format!("topic <@{ANN}> \"\"")).await;
    assert!(said.starts_with("Give the topic as a question in quotes."), "{said}");
}
