//! Milestones: a short DM when an onboardee reaches half and all of a target,
//! and one message in the product channel when all three are complete. Each is
//! recorded with a unique key in the same transaction that queues its message,
//! so none is sent twice, across restarts and replicas.

use crate::app::{Clock, Outbox};
use crate::quotas::{progress_of, Goal};
use crate::store::onboarding::{find_onboardee, insert_milestone};
use crate::store::outbox::{insert_outbox_row, OutboxKind};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// A milestone reached, with what to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestone {
    /// Unique key, e.g. `interviews:half`.
    pub key: String,
    /// The DM, or the channel message for `all:complete`.
    pub text: String,
}

/// The milestones a set of goals has reached (the caller keeps the ones new).
pub fn reached(user: &str, goals: &[(&'static str, Goal)]) -> Vec<Milestone> {
    let mut out = Vec::new();
    for (name, goal) in goals {
        let label = match *name {
            "interviews" => "customer interviews",
            "feedback" => "feedback items triaged",
            _ => "support tickets",
        };
        if goal.complete() {
            out.push(Milestone {
                key: format!("{name}:complete"),
                // The check runs after the evidence (outbox work): a count past the
                // target by then is still this milestone.
                text: format!("🎉 Target reached: {}/{} {label}. Well done!", goal.target, goal.target),
            });
        }
        if goal.done * 2 >= goal.target {
            out.push(Milestone {
                key: format!("{name}:half"),
                text: format!("Halfway there: {}/{} {label}. Keep going!", goal.done.min(goal.target), goal.target),
            });
        }
    }
    if goals.iter().all(|(_, g)| g.complete()) {
        out.push(Milestone {
            key: "all:complete".to_owned(),
            text: format!(
                "🎉 <@{user}> has completed onboarding: every interview, feedback and ticket target is reached. \
                 Next: the month-end report on three features, backed by customer quotes."
            ),
        });
    }
    out
}

/// Records and announces the milestones `user` has newly reached.
pub async fn check(
    db: &Db,
    clock: &Clock,
    outbox: &Outbox,
    workspace: &WorkspaceId,
    user: &str,
) -> Result<(), sqlx::Error> {
    let Some(onboardee) = find_onboardee(db, workspace, user).await? else {
        return Ok(());
    };
    if onboardee.ended_at.is_some() {
        return Ok(());
    }
    let progress = progress_of(db, clock, workspace, &onboardee).await?;
    let milestones = reached(user, &progress.goals());
    if milestones.is_empty() {
        return Ok(());
    }
    let now = clock.now_ms();
    let mut tx = db.begin().await?;
    let mut completed_now: Vec<String> = Vec::new();
    for m in &milestones {
        if !insert_milestone(&mut tx, workspace, user, &m.key, now).await? {
            continue;
        }
        let target = m.key.split(':').next().unwrap_or_default().to_owned();
        if m.key == "all:complete" {
            let kind = OutboxKind::AnnounceInChannel { text: m.text.clone(), topic: format!("{user}:all:complete") };
            insert_outbox_row(&mut tx, workspace, &kind, now).await?;
        } else if m.key.ends_with(":half") && completed_now.contains(&target) {
            // Reached half and all at once: the completion message says it all.
        } else {
            if m.key.ends_with(":complete") {
                completed_now.push(target);
            }
            let kind = OutboxKind::NotifyUser {
                user: user.to_owned(),
                text: m.text.clone(),
                topic: format!("milestone:{}", m.key),
            };
            insert_outbox_row(&mut tx, workspace, &kind, now).await?;
        }
    }
    tx.commit().await?;
    outbox.wake();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn goal(done: i64, target: i64) -> Goal {
        Goal { done, target, expected: 0 }
    }

    #[test]
    fn half_and_complete_are_reached_per_target() {
        let keys = |goals: &[(&'static str, Goal)]| reached("U1", goals).into_iter().map(|m| m.key).collect::<Vec<_>>();
        assert!(keys(&[("interviews", goal(9, 20)), ("feedback", goal(0, 100)), ("tickets", goal(0, 50))]).is_empty());
        assert_eq!(
            keys(&[("interviews", goal(10, 20)), ("feedback", goal(0, 100)), ("tickets", goal(0, 50))]),
            vec!["interviews:half"]
        );
        assert_eq!(
            keys(&[("interviews", goal(20, 20)), ("feedback", goal(100, 100)), ("tickets", goal(50, 50))]),
            vec![
                "interviews:complete",
                "interviews:half",
                "feedback:complete",
                "feedback:half",
                "tickets:complete",
                "tickets:half",
                "all:complete"
            ]
        );
    }
}
