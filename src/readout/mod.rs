//! The manager read-out (design.md, Behaviour: Manager read-out):
//! `config readout weekly mon 09:00|off` (off by default) sends each manager
//! (`HIGHLIGHTS_MANAGERS`, or the workspace's admins and owners when it is
//! unset, as [`crate::permissions`] decides who manages) one DM per period,
//! on the app's clock: every onboardee with their pace on each target, the
//! customers they follow, and whether their month-end report meets the bar.
//!
//! Exactly once per period: the scheduler claims the period in the same
//! transaction that queues the DMs (one outbox row per manager, keyed by the
//! period), so ticks, restarts and replicas queue each DM at most once.

use jiff::Timestamp;

use crate::app::{zone::zone_named, AppState, Slack};
use crate::config::Config;
use crate::digests::schedule::{period_key, Schedule};
use crate::error::{AppError, UserError};
use crate::permissions;
use crate::quotas::{progress_on, render_day, Progress};
use crate::reply::{echo, Reply};
use crate::reports::{gather as gather_report, Report, BAR_CUSTOMERS, BAR_QUOTES};
use crate::slack::mrkdwn::escape;
use crate::store::follows::list_followed;
use crate::store::onboarding::list_onboardees;
use crate::store::outbox::{insert_outbox_row, OutboxKind};
use crate::store::readouts::{self, ReadoutSetting};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// Onboardees a read-out details; the rest are counted (`/highlight team` lists all).
pub const LISTED: usize = 8;
/// Followed customers named per onboardee.
const FOLLOWED_NAMED: usize = 5;

/// Reads `config readout weekly mon 09:00|off`: the schedule, None for `off`.
pub fn parse_readout(arg: &str) -> Result<Option<Schedule>, UserError> {
    match Schedule::parse(arg) {
        Ok(Schedule::Off) => Ok(None),
        Ok(schedule) => Ok(Some(schedule)),
        Err(e) => Err(UserError::new(format!(
            "{} For the managers' read-out, say `/highlight config readout weekly mon 09:00` or `… off`.\n{}",
            escape(&e),
            echo(&format!("config readout {arg}"))
        ))),
    }
}

/// `config readout <schedule>|off` (a manager's).
pub async fn configure(
    state: &AppState,
    workspace: &WorkspaceId,
    user: &str,
    schedule: Option<Schedule>,
) -> Result<Reply, AppError> {
    permissions::require_manager(&state.config, &state.slack, workspace, user, "change the configuration").await?;
    let now = state.clock.now_ms();
    let text = schedule.map(|s| s.as_text());
    state.db.write(async |tx| readouts::update_readout_schedule(tx, workspace, text.as_deref(), now).await).await?;
    let zone = crate::store::digests::find_digest_settings(&state.db, workspace)
        .await?
        .and_then(|s| s.time_zone)
        .unwrap_or_else(|| "UTC".to_owned());
    let who = if state.config.managers.is_empty() { "the workspace's admins and owners" } else { "each manager" };
    Ok(Reply::ephemeral(match text {
        Some(text) => format!(
            "Manager read-out: {text} ({}). Each time, {who} get one DM with every onboardee's pace, the customers \
             they follow and whether their report meets the bar.",
            escape(&zone)
        ),
        None => "The manager read-out is off.".to_owned(),
    }))
}

/// One onboardee in a read-out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Onboardee {
    /// Their progress today.
    pub progress: Progress,
    /// The customers they follow, as shown outside their threads.
    pub followed: Vec<String>,
    /// Their month-end report as it stands (None: no interviews yet).
    pub report: Option<Report>,
}

/// Whether a report meets the bar: three features, each backed.
pub fn meets_bar(report: &Report) -> bool {
    report.features.len() == 3 && report.features.iter().all(|f| f.backed)
}

fn report_line(report: Option<&Report>) -> String {
    match report {
        None => "📝 Report: no interviews yet".to_owned(),
        Some(r) if meets_bar(r) => "📝 Report: ✅ meets the bar (3 features, each backed)".to_owned(),
        Some(r) => format!(
            "📝 Report: ⚠️ below the bar: {} of 3 features backed ({BAR_QUOTES} quotes from {BAR_CUSTOMERS} customers each)",
            r.features.iter().filter(|f| f.backed).count()
        ),
    }
}

/// The read-out's mrkdwn (names escaped; people as mentions, which a DM to
/// someone else does not notify).
pub fn render_readout(label: &str, onboardees: &[Onboardee]) -> String {
    let mut text = format!("📋 *Onboarding read-out, {}*", escape(label));
    if onboardees.is_empty() {
        text.push_str("\nNobody is being onboarded. `/highlight onboard @someone` starts an onboarding.");
        return text;
    }
    for o in onboardees.iter().take(LISTED) {
        let p = &o.progress;
        let goals: Vec<String> =
            p.goals().iter().map(|(name, g)| format!("{name} {}/{} ({})", g.done, g.target, g.pace())).collect();
        let followed = if o.followed.is_empty() {
            "follows no customer yet".to_owned()
        } else {
            let mut names: Vec<String> =
                o.followed.iter().take(FOLLOWED_NAMED).map(|n| format!("*{}*", escape(n))).collect();
            if o.followed.len() > FOLLOWED_NAMED {
                names.push(format!("and {} more", o.followed.len() - FOLLOWED_NAMED));
            }
            format!("follows {}", names.join(", "))
        };
        let topic = p.topic.as_deref().map(|t| format!("\n   🎯 Topic: {}", escape(t))).unwrap_or_default();
        text.push_str(&format!(
            "\n\n• <@{}>, {}{topic}\n   {}\n   👥 {followed}\n   {}",
            p.user,
            render_day(p),
            goals.join(" · "),
            report_line(o.report.as_ref())
        ));
    }
    if onboardees.len() > LISTED {
        text.push_str(&format!("\n\n…and {} more: `/highlight team` lists everyone.", onboardees.len() - LISTED));
    }
    text
}

/// Everyone being onboarded, as the read-out shows them (most behind first).
pub async fn gather(db: &Db, workspace: &WorkspaceId, now_ms: i64) -> Result<Vec<Onboardee>, sqlx::Error> {
    let mut all = Vec::new();
    for o in list_onboardees(db, workspace).await? {
        let progress = progress_on(db, now_ms, workspace, &o).await?;
        let followed = list_followed(db, workspace, &o.user_id).await?.into_iter().map(|f| f.shown.label()).collect();
        let report = gather_report(db, workspace, &o.user_id, now_ms).await?;
        all.push(Onboardee { progress, followed, report });
    }
    all.sort_by_key(|o| o.progress.total_lead());
    Ok(all)
}

/// Who gets the read-out: `HIGHLIGHTS_MANAGERS`, or the admins and owners.
async fn managers(config: &Config, slack: &Slack, workspace: &WorkspaceId) -> Result<Vec<String>, AppError> {
    let listed = &config.managers;
    if !listed.is_empty() {
        return Ok(listed.iter().map(ToString::to_string).collect());
    }
    let admins = async { slack.client(workspace).await?.list_admins().await };
    admins.await.map_err(|e| anyhow::Error::new(e).context("listing the admins and owners").into())
}

/// Queues the read-outs that are due (a scheduler tick). Returns for how many
/// workspaces it queued them.
pub async fn queue_readouts(state: &AppState) -> Result<usize, AppError> {
    let now_ms = state.clock.now_ms();
    let now = Timestamp::from_millisecond(now_ms).unwrap_or(Timestamp::UNIX_EPOCH);
    let mut queued = 0;
    for setting in readouts::list_readout_settings(&state.db).await? {
        match queue_one(&state.db, &state.config, &state.slack, &setting, now).await {
            Ok(true) => queued += 1,
            Ok(false) => {}
            // One workspace's trouble (Slack unreachable for its admins) waits for the next tick.
            Err(e) => {
                tracing::warn!(workspace = setting.id, error = %crate::error::chain(&e), "read-out not queued yet")
            }
        }
    }
    if queued > 0 {
        state.outbox.wake();
    }
    Ok(queued)
}

async fn queue_one(
    db: &Db,
    config: &Config,
    slack: &Slack,
    setting: &ReadoutSetting,
    now: Timestamp,
) -> Result<bool, AppError> {
    let Ok(schedule) = Schedule::parse(&setting.readout_schedule) else {
        return Ok(false);
    };
    let tz = zone_named(setting.time_zone.as_deref());
    let Some(moment) = schedule.last_boundary(&tz, now) else {
        return Ok(false);
    };
    // Only moments after it was set up: switching it on never sends last week's.
    if moment.as_millisecond() < setting.readout_since {
        return Ok(false);
    }
    let workspace = WorkspaceId(setting.id.clone());
    let period = period_key(moment, &tz);
    if readouts::find_readout_queued(db, &workspace, &period).await? {
        return Ok(false);
    }
    let now_ms = now.as_millisecond();
    let label = moment.to_zoned_datetime(tz).strftime("%a %b %-d").to_string();
    let text = render_readout(&label, &gather(db, &workspace, now_ms).await?);
    let managers = managers(config, slack, &workspace).await?;
    let mut tx = db.begin().await?;
    if !readouts::insert_readout_queued(&mut tx, &workspace, &period, now_ms).await? {
        return Ok(false);
    }
    for manager in managers {
        let kind = OutboxKind::NotifyUser { user: manager, text: text.clone(), topic: format!("readout:{period}") };
        insert_outbox_row(&mut tx, &workspace, &kind, now_ms).await?;
    }
    tx.commit().await?;
    tracing::info!(workspace = setting.id, period, "manager read-out queued");
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quotas::Goal;
    use crate::reports::Feature;

    fn onboardee(user: &str, followed: &[&str], backed: [bool; 3]) -> Onboardee {
        let goal = |done, target, expected| Goal { done, target, expected };
        let feature =
            |backed| Feature { area: "chat".into(), customers: 3, highlights: 3, backed, quotes: vec![], testers: 0 };
        Onboardee {
            progress: Progress {
                user: user.into(),
                day: 12,
                days: 30,
                finished: false,
                upcoming: false,
                interviews: goal(5, 20, 8),
                feedback: goal(40, 100, 40),
                tickets: goal(25, 50, 20),
                topic: (user == "U1").then(|| "What should chat <do> next?".to_owned()),
            },
            followed: followed.iter().map(|f| (*f).to_owned()).collect(),
            report: Some(Report {
                user: user.into(),
                from: "2026-11-23".into(),
                until: "2026-12-23".into(),
                interviews: 5,
                features: backed.into_iter().map(feature).collect(),
                team: vec![],
                endorsed_only: false,
                topic: None,
            }),
        }
    }

    #[test]
    fn a_readout_shows_pace_followed_customers_and_the_bar() {
        let text = render_readout(
            "Mon Dec 7",
            &[onboardee("U1", &["Acme <b>", "Globex"], [true, true, true]), onboardee("U2", &[], [true, false, false])],
        );
        assert!(text.starts_with("📋 *Onboarding read-out, Mon Dec 7*"), "{text}");
        assert!(text.contains("• <@U2>, day 12 of 30\n   interviews 5/20 (3 behind) · feedback 40/100 (on pace) · tickets 25/50 (5 ahead)"), "{text}");
        assert!(text.contains("👥 follows *Acme &lt;b&gt;*, *Globex*"), "{text}");
        assert!(text.contains("• <@U1>, day 12 of 30\n   🎯 Topic: What should chat &lt;do&gt; next?\n"), "{text}");
        assert!(text.contains("📝 Report: ✅ meets the bar"), "{text}");
        assert!(text.contains("• <@U2>") && text.contains("👥 follows no customer yet"), "{text}");
        assert!(text.contains("⚠️ below the bar: 1 of 3 features backed"), "{text}");
        let nobody = render_readout("Mon Dec 7", &[]);
        assert!(nobody.contains("Nobody is being onboarded"), "{nobody}");
    }

    #[test]
    fn the_setting_is_a_schedule_or_off_and_mistakes_are_echoed() {
        assert_eq!(
            parse_readout("weekly Mon 09:00").map(|s| s.map(|s| s.as_text())),
            Ok(Some("weekly mon 09:00".into()))
        );
        assert_eq!(parse_readout("OFF"), Ok(None));
        let refusal = parse_readout("weekly funday 09:00").expect_err("bad day");
        assert!(refusal.0.contains("not a day of the week"), "{}", refusal.0);
        assert!(refusal.0.ends_with(&echo("config readout weekly funday 09:00")), "{}", refusal.0);
    }
}
