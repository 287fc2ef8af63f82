//! The manager read-out, through Slack on the app's controlled
//! clock: off by default; once set, one DM per manager per period (after the
//! outbox is drained, however many scheduler ticks ran), with every
//! onboardee's pace, followed customers and report bar; to the admins and
//! owners when `HIGHLIGHTS_MANAGERS` is unset.

use std::time::Duration;

use crate::on_both_backends;
use crate::support::db::TestBackend;
use crate::support::fake_slack::Call;
use crate::support::{ephemeral, TestApp, USER};

const BOSS: &str = "U0BOSS0001";
const OTHER_BOSS: &str = "U0BOSS0002";

/// The read-outs DMed to `user` so far.
fn readouts_to(app: &TestApp, user: &str) -> Vec<Call> {
    app.slack
        .ok_calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.args["channel"] == user && c.args["text"].to_string().contains("Onboarding read-out"))
        .collect()
}

/// `weekly <day> HH:MM` for the moment `ahead` from now on the app's clock (UTC).
fn schedule_in(app: &TestApp, ahead: Duration) -> String {
    let at = jiff::Timestamp::from_millisecond(jiff::Timestamp::now().as_millisecond() + app.clock_ahead_ms())
        .expect("now")
        + jiff::SignedDuration::try_from(ahead).expect("duration");
    let local = at.to_zoned_datetime(jiff::tz::TimeZone::UTC);
    let day = format!("{:?}", local.weekday()).to_lowercase();
    format!("weekly {} {:02}:{:02}", &day[..3], local.hour(), local.minute())
}

async fn capture(app: &TestApp, text: &str) {
    let said = ephemeral(app.slash(text).await).await;
    assert!(said.starts_with("✅ Saved"), "{text}: {said}");
}

on_both_backends!(each_manager_gets_one_readout_per_period_on_the_apps_clock);
async fn each_manager_gets_one_readout_per_period_on_the_apps_clock(backend: TestBackend) {
    let app = TestApp::spawn_with(backend, |args| args.managers = Some(format!("{USER},{BOSS},{OTHER_BOSS}"))).await;
    ephemeral(app.slash("onboard me").await).await;
    for text in ["Acme &amp; Co | chat | Canned replies", "Globex | chat | Macros", "Initech | billing | EUR"] {
        capture(&app, text).await;
    }
    ephemeral(app.slash("follow Acme &amp; Co").await).await;
    // Off by default: nothing, whatever the clock says.
    app.advance(Duration::from_secs(8 * 24 * 3600));
    app.drain().await;
    assert!(readouts_to(&app, BOSS).is_empty(), "off by default");
    let said =
        ephemeral(app.slash(&format!("config readout {}", schedule_in(&app, Duration::from_secs(3600)))).await).await;
    assert!(said.starts_with("Manager read-out: weekly"), "{said}");
    // Switching it on sends nothing for the periods before.
    app.drain().await;
    assert!(readouts_to(&app, BOSS).is_empty(), "nothing before the first moment");
    // The moment passes: one DM to each manager.
    app.advance(Duration::from_secs(3600 + 60));
    for manager in [USER, BOSS, OTHER_BOSS] {
        crate::support::eventually("the read-out", || std::future::ready(!readouts_to(&app, manager).is_empty())).await;
    }
    // Ticks go on within the period: still one each, once the outbox is drained.
    app.advance(Duration::from_secs(3600));
    app.drain().await;
    for manager in [USER, BOSS, OTHER_BOSS] {
        assert_eq!(readouts_to(&app, manager).len(), 1, "{manager}: one per period");
    }
    let text = readouts_to(&app, BOSS)[0].args["blocks"].to_string();
    assert!(text.contains(&format!("• <@{USER}>, day ")) && text.contains(" of 30\\n"), "{text}");
    assert!(text.contains("interviews 3/20 ("), "pace on each target: {text}");
    assert!(text.contains("feedback 0/100 (") && text.contains("tickets 0/50 ("), "{text}");
    assert!(text.contains("follows *Acme &amp; Co*"), "followed, escaped: {text}");
    assert!(text.contains("📝 Report: ⚠️ below the bar: 0 of 3 features backed"), "{text}");
    // A week on: the next period's read-out.
    app.advance(Duration::from_secs(7 * 24 * 3600));
    crate::support::eventually("the next read-out", || std::future::ready(readouts_to(&app, BOSS).len() == 2)).await;
    app.drain().await;
    assert_eq!(readouts_to(&app, OTHER_BOSS).len(), 2);
    // Off again: no more.
    ephemeral(app.slash("config readout off").await).await;
    app.advance(Duration::from_secs(7 * 24 * 3600));
    app.drain().await;
    assert_eq!(readouts_to(&app, BOSS).len(), 2, "off");
}

on_both_backends!(without_listed_managers_the_admins_and_owners_get_the_readout);
async fn without_listed_managers_the_admins_and_owners_get_the_readout(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    app.slack.make_admin(BOSS);
    ephemeral(app.slash("onboard me").await).await;
    let said =
        ephemeral(app.slash(&format!("config readout {}", schedule_in(&app, Duration::from_secs(60)))).await).await;
    assert!(said.contains("the workspace's admins and owners get one DM"), "{said}");
    app.advance(Duration::from_secs(120));
    crate::support::eventually("the read-out", || std::future::ready(!readouts_to(&app, BOSS).is_empty())).await;
    app.drain().await;
    assert_eq!(readouts_to(&app, BOSS).len(), 1);
    assert!(readouts_to(&app, USER).is_empty(), "not an admin: no read-out");
    assert!(readouts_to(&app, "U0MEMBER01").is_empty(), "not an admin: no read-out");
}

on_both_backends!(a_bad_readout_setting_is_refused_with_what_was_typed);
async fn a_bad_readout_setting_is_refused_with_what_was_typed(backend: TestBackend) {
    let app = TestApp::spawn_with(backend, |args| args.managers = Some(BOSS.into())).await;
    let said = ephemeral(app.slash("config readout weekly funday 09:00").await).await;
    assert!(said.contains("not a day of the week") && said.contains("config readout weekly funday 09:00"), "{said}");
    // Not a manager: refused, nothing set.
    let said = ephemeral(app.slash("config readout weekly mon 09:00").await).await;
    assert!(said.contains("Only the app's managers"), "{said}");
    let set: Option<String> =
        sqlx::query_scalar("select readout_schedule from workspaces").fetch_one(app.db.pool()).await.expect("row");
    assert_eq!(set, None);
}
