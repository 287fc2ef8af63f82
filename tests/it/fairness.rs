//! Fairness of the outbox: one customer's backlog does not hold back every
//! other customer's posts, and each customer's own posts keep their order.

use std::time::Duration;

use highlights::config::Timing;

use crate::on_both_backends;
use crate::support::db::TestBackend;
use crate::support::fake_slack::{now_ms, FakeSlack};
use crate::support::{ephemeral, test_timing, TestApp, PRODUCT_CHANNEL, TEAM};

/// More than the worker holds in flight at once (256), so that a claim in
/// the order rows fell due would take nothing but the big customer's.
const BIG_BACKLOG: usize = 300;
const OTHERS: [&str; 2] = ["Globex", "Initech"];
const EACH_OTHER: usize = 3;
const NEW_CHANNEL: &str = "C0PRODUCT2";

on_both_backends!(one_customers_backlog_does_not_make_the_other_customers_wait_behind_it);
async fn one_customers_backlog_does_not_make_the_other_customers_wait_behind_it(backend: TestBackend) {
    // Slack unpaced, so the backlog goes as fast as the worker claims it;
    // leases as long as in production, so that no row waiting in its lane
    // is taken again meanwhile (that would post it out of order).
    let timing = Timing { slack_pacing: 0, outbox_lease: Duration::from_secs(60), ..test_timing() };
    let app = TestApp::spawn_with_timing(backend, FakeSlack::start().await, timing).await;
    // The product channel is paused (an hour, as another replica met it):
    // every capture's post waits, queued.
    sqlx::query(
        "insert into slack_pauses (workspace_id, method, scope, until_ms) values ($1, 'chat.postMessage', $2, $3)",
    )
    .bind(TEAM)
    .bind(PRODUCT_CHANNEL)
    .bind(now_ms() + 3_600_000)
    .execute(app.db.pool())
    .await
    .expect("paused");
    for n in 0..BIG_BACKLOG {
        ephemeral(app.slash(&format!("Acme | chat | acme quote {n:03}")).await).await;
    }
    for customer in OTHERS {
        for n in 0..EACH_OTHER {
            ephemeral(app.slash(&format!("{customer} | chat | {customer} quote {n:03}")).await).await;
        }
    }
    app.drain().await;
    assert!(app.slack.calls_to("chat.postMessage").is_empty(), "everything waited");

    // A new product channel, not paused: every waiting post goes at once.
    ephemeral(app.slash(&format!("config channel <#{NEW_CHANNEL}|product>")).await).await;
    let total = BIG_BACKLOG + OTHERS.len() * EACH_OTHER;
    let mut posted = 0;
    while posted < total {
        // In steps: each within the kit's patience, on a slow machine too.
        posted = (posted + 100).min(total);
        let replies = |calls: Vec<crate::support::fake_slack::Call>| {
            calls.into_iter().filter(|c| c.args["channel"] == NEW_CHANNEL && !c.args["thread_ts"].is_null()).count()
        };
        crate::support::eventually(&format!("{posted} replies"), || {
            std::future::ready(replies(app.slack.ok_calls_to("chat.postMessage")) >= posted)
        })
        .await;
    }
    app.drain().await;

    let posts = app.slack.ok_calls_to("chat.postMessage");
    assert!(posts.iter().all(|p| p.args["channel"] == NEW_CHANNEL), "posted in the new channel only");
    let texts: Vec<String> = posts.iter().map(|p| p.args["text"].as_str().unwrap_or_default().to_owned()).collect();
    let replies: Vec<&String> =
        posts.iter().zip(&texts).filter(|(p, _)| !p.args["thread_ts"].is_null()).map(|(_, t)| t).collect();
    assert_eq!(replies.len(), total, "each highlight posted once");
    for customer in OTHERS {
        let first = replies.iter().position(|t| t.contains(&format!("{customer} quote 000")));
        assert!(
            first.is_some_and(|at| at < 40),
            "{customer}'s first post is among the first 40, not behind Acme's backlog: at {first:?} of {}",
            replies.len()
        );
    }
    // Each customer's posts in the order they were captured, into one thread.
    for (customer, count) in [("acme", BIG_BACKLOG), ("Globex", EACH_OTHER), ("Initech", EACH_OTHER)] {
        let order: Vec<&String> =
            replies.iter().copied().filter(|t| t.contains(&format!("{customer} quote"))).collect();
        let expected: Vec<String> = (0..count).map(|n| format!("{customer} quote {n:03}")).collect();
        assert_eq!(order.len(), count, "{customer}");
        for (text, quote) in order.iter().zip(&expected) {
            assert!(text.contains(quote.as_str()), "{customer}'s posts out of order: {text} where {quote} was due");
        }
    }
    let parents = posts.iter().filter(|p| p.args["thread_ts"].is_null()).count();
    assert_eq!(parents, 1 + OTHERS.len(), "one thread per customer");
}
