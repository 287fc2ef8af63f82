//! Onboarding quotas: every new product person's first month of 20 customer
//! interviews, 100 triaged feedback items and 50 support tickets, counted from
//! what they do in Slack, with the pace against a straight line.
//!
//! Counting rules (the SQL is in `store::onboarding::count_evidence`):
//! - interviews: distinct (interviewer, customer, interview date) with the
//!   date inside the onboarding window;
//! - feedback: messages the person triaged with "Triage feedback" inside the
//!   window, each message once however often it is triaged;
//! - tickets: self-reported counts (`/highlight tickets 5`) and helpdesk
//!   webhook tickets (each ticket id once) inside the window.
//!
//! The window is `[start date, start date + days)`, in the workspace's dates
//! (its time zone; UTC until one is set).

pub mod commands;
pub mod milestones;
pub mod targets;
pub mod topics;
pub mod triage;
pub mod webhook;

use jiff::civil::Date;
use jiff::ToSpan as _;

use crate::app::{Clock, Outbox};
use crate::config::Targets;
use crate::domain::highlight::{format_date, parse_date};
use crate::store::onboarding::{self, Counts, Onboardee};
use crate::store::outbox::{upsert_outbox_row, upsert_outbox_row_if_onboardee, OutboxKind};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// What follows a change to someone's evidence (a triage, a ticket; captures
/// queue the same in their own transaction): a milestone check and a refresh
/// of their App Home, as outbox work. The change is already committed, so a
/// failure here is logged and never reported as "nothing changed" (which
/// would make the user submit again).
pub async fn after_evidence(db: &Db, clock: &Clock, outbox: &Outbox, workspace: &WorkspaceId, user: &str) {
    let now = clock.now_ms();
    let queued = async {
        let mut tx = db.begin().await?;
        let home = OutboxKind::PublishHome { user: user.to_owned() };
        upsert_outbox_row(&mut tx, workspace, &home, now).await?;
        let check = OutboxKind::CheckMilestones { user: user.to_owned() };
        upsert_outbox_row_if_onboardee(&mut tx, workspace, user, &check, now).await?;
        tx.commit().await
    };
    match queued.await {
        Ok(()) => outbox.wake(),
        Err(e) => tracing::error!(error = %e, user, "milestone check and App Home refresh could not be queued"),
    }
}

/// One target's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Goal {
    /// Done so far.
    pub done: i64,
    /// The target.
    pub target: i64,
    /// Where a straight line from 0 to the target says one should be today.
    pub expected: i64,
}

impl Goal {
    /// Done minus expected: positive is ahead.
    pub fn lead(&self) -> i64 {
        self.done.min(self.target) - self.expected
    }

    /// Whether the target is reached.
    pub fn complete(&self) -> bool {
        self.done >= self.target
    }

    /// "3 ahead", "2 behind", "on pace", "done".
    pub fn pace(&self) -> String {
        match self.lead() {
            _ if self.complete() => "done ✅".to_owned(),
            0 => "on pace".to_owned(),
            n if n > 0 => format!("{n} ahead"),
            n => format!("{} behind", -n),
        }
    }
}

/// An onboardee's progress on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// Who.
    pub user: String,
    /// Day of the window, 1-based (capped at the window's length).
    pub day: i64,
    /// Window length.
    pub days: i64,
    /// Whether the window is over.
    pub finished: bool,
    /// Whether it has not started yet.
    pub upcoming: bool,
    /// Interviews.
    pub interviews: Goal,
    /// Feedback items.
    pub feedback: Goal,
    /// Tickets.
    pub tickets: Goal,
    /// The question their interviews answer (see [`topics`]), when a manager set one.
    pub topic: Option<String>,
}

impl Progress {
    /// The three goals with their names.
    pub fn goals(&self) -> [(&'static str, Goal); 3] {
        [("interviews", self.interviews), ("feedback", self.feedback), ("tickets", self.tickets)]
    }

    /// How far behind in all, for sorting a team (most behind first).
    pub fn total_lead(&self) -> i64 {
        self.goals().iter().map(|(_, g)| g.lead()).sum()
    }
}

/// The straight-line pace: on day `day` of `days`, `target * day / days`.
pub fn expected(target: i64, day: i64, days: i64) -> i64 {
    if days <= 0 {
        return target;
    }
    target * day.clamp(0, days) / days
}

/// Progress from counts, on `today`.
pub fn progress(user: &str, start: Date, targets: &Targets, counts: Counts, today: Date) -> Progress {
    let elapsed = i64::from(crate::app::zone::days_between(start, today)) + 1;
    let day = elapsed.clamp(0, targets.days);
    let goal = |done, target| Goal { done, target, expected: expected(target, day, targets.days) };
    Progress {
        user: user.to_owned(),
        day,
        days: targets.days,
        finished: elapsed > targets.days,
        upcoming: elapsed <= 0,
        interviews: goal(counts.interviews, targets.interviews),
        feedback: goal(counts.feedback, targets.feedback),
        tickets: goal(counts.tickets, targets.tickets),
        topic: None,
    }
}

/// Counts and computes an onboardee's progress today.
pub async fn progress_of(
    db: &Db,
    clock: &Clock,
    workspace: &WorkspaceId,
    onboardee: &Onboardee,
) -> Result<Progress, sqlx::Error> {
    progress_on(db, clock.now_ms(), workspace, onboardee).await
}

/// Counts and computes an onboardee's progress at a moment (unix ms). Days are
/// the workspace's: the window runs from local midnight of the start date.
pub async fn progress_on(
    db: &Db,
    now_ms: i64,
    workspace: &WorkspaceId,
    onboardee: &Onboardee,
) -> Result<Progress, sqlx::Error> {
    let zone = crate::app::zone::workspace_zone(db, workspace).await?;
    let today = crate::app::zone::local_date(&zone, now_ms);
    let start = parse_date(&onboardee.start_date).unwrap_or(today);
    let end = start.saturating_add(onboardee.days.days());
    let midnight = |d: Date| crate::app::zone::local_midnight_ms(&zone, d);
    let counts = onboarding::count_evidence(
        db,
        workspace,
        &onboardee.user_id,
        &format_date(start),
        &format_date(end),
        midnight(start),
        midnight(end),
    )
    .await?;
    let progress = progress(&onboardee.user_id, start, &onboardee.targets(), counts, today);
    Ok(Progress { topic: onboardee.topic.clone(), ..progress })
}

/// A text progress bar, ten cells.
pub fn bar(done: i64, target: i64) -> String {
    let filled = if target <= 0 { 10 } else { (done.min(target) * 10 / target) as usize };
    format!("{}{}", "▓".repeat(filled), "░".repeat(10 - filled))
}

/// One line per goal: "`▓▓▓░░░░░░░` Interviews 9/20 · 1 ahead".
pub fn render_goal_lines(p: &Progress) -> Vec<String> {
    p.goals()
        .iter()
        .map(|(name, g)| {
            let label = match *name {
                "interviews" => "Interviews",
                "feedback" => "Feedback triaged",
                _ => "Tickets",
            };
            format!("`{}` {label} {}/{} · {}", bar(g.done, g.target), g.done, g.target, g.pace())
        })
        .collect()
}

/// "day 12 of 30: interviews 9/20 (1 ahead), feedback 40/100 (on pace), …",
/// the one-line summary of `/highlight team` and the digest.
pub fn render_summary_line(p: &Progress) -> String {
    let goals: Vec<String> =
        p.goals().iter().map(|(name, g)| format!("{name} {}/{} ({})", g.done, g.target, g.pace())).collect();
    format!("{}: {}", render_day(p), goals.join(", "))
}

/// `*Topic:* “…”`, when the person has one.
pub fn render_topic_line(p: &Progress) -> Option<String> {
    p.topic.as_deref().map(|topic| format!("*Topic:* {}", topics::render_topic(topic)))
}

/// "day 12 of 30", "starts in 3 days", "finished".
pub fn render_day(p: &Progress) -> String {
    if p.upcoming {
        "not started yet".to_owned()
    } else if p.finished {
        format!("finished ({} days)", p.days)
    } else {
        format!("day {} of {}", p.day, p.days)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn counts(interviews: i64, feedback: i64, tickets: i64) -> Counts {
        Counts { interviews, feedback, tickets }
    }

    #[test]
    fn pace_is_measured_against_a_straight_line() {
        let t = targets::BUILT_IN_TARGETS;
        let start = date(2026, 11, 1);
        let p = progress("U1", start, &t, counts(9, 40, 10), date(2026, 11, 12));
        assert_eq!((p.day, p.days), (12, 30));
        assert_eq!(p.interviews.expected, 8);
        assert_eq!(p.interviews.pace(), "1 ahead");
        assert_eq!(p.feedback.expected, 40);
        assert_eq!(p.feedback.pace(), "on pace");
        assert_eq!(p.tickets.expected, 20);
        assert_eq!(p.tickets.pace(), "10 behind");
        assert_eq!(render_day(&p), "day 12 of 30");
    }

    #[test]
    fn the_first_and_last_days_and_beyond() {
        let t = targets::BUILT_IN_TARGETS;
        let start = date(2026, 11, 1);
        let first = progress("U1", start, &t, counts(0, 0, 0), start);
        assert_eq!((first.day, first.interviews.expected), (1, 0));
        let last = progress("U1", start, &t, counts(20, 100, 49), date(2026, 11, 30));
        assert_eq!(last.day, 30);
        assert!(last.interviews.complete() && last.feedback.complete() && !last.tickets.complete());
        assert_eq!(last.tickets.pace(), "1 behind");
        let after = progress("U1", start, &t, counts(3, 0, 0), date(2026, 12, 15));
        assert!(after.finished);
        assert_eq!(render_day(&after), "finished (30 days)");
        let before = progress("U1", start, &t, counts(0, 0, 0), date(2026, 10, 20));
        assert!(before.upcoming);
        assert_eq!(before.interviews.expected, 0);
    }

    #[test]
    fn bars_fill_by_tenths() {
        assert_eq!(bar(0, 20), "░░░░░░░░░░");
        assert_eq!(bar(9, 20), "▓▓▓▓░░░░░░");
        assert_eq!(bar(25, 20), "▓▓▓▓▓▓▓▓▓▓");
    }
}
