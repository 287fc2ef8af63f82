//! What a planned interview brings its planner, each a DM through the
//! outbox, once (design.md, Behaviour: interviews with a purpose):
//!
//! - the morning brief: the customer's brief, as `/highlight brief` shows it
//!   ([`crate::customers::brief`]), at 09:00 on the day in the workspace's
//!   zone (an hour before an earlier interview);
//! - the reminder: 24 hours after the planned time, when the planner has
//!   captured nothing about the customer since planning, with the quick
//!   capture line to type.
//!
//! The scheduler ([`queue_due`]) claims each plan's brief and reminder once in
//! the database (whatever the replicas and ticks) and queues the DM in the
//! same transaction, keyed by the plan; the DM is posted into the app's
//! conversation with the planner with that key, looked up before a retry.

use crate::app::{Clock, Outbox, Slack};
use crate::customers::brief::{gather, render_brief};
use crate::posting::{self, PostError, PostOnce};
use crate::slack::blocks::{context, section, Message};
use crate::slack::mrkdwn::escape;
use crate::store::customers::find_surviving_customer;
use crate::store::outbox::{insert_outbox_row, OutboxKind};
use crate::store::planned_interviews::{self, DuePlan, PlannedInterview};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// Queues the morning briefs and reminders that fell due (a scheduler tick);
/// how many DMs it queued. A reminder whose planner captured something about
/// the customer since planning is settled without a DM.
pub async fn queue_due(db: &Db, clock: &Clock, outbox: &Outbox) -> Result<usize, sqlx::Error> {
    let now = clock.now_ms();
    let mut queued = 0;
    for plan in planned_interviews::list_due_briefs(db, now).await? {
        let workspace = WorkspaceId(plan.workspace_id.clone());
        let kind = OutboxKind::SendInterviewBrief { user: plan.planner.clone(), plan_id: plan.id };
        if claim_and_queue(db, &workspace, &plan, Some(&kind), Claim::Brief, now).await? {
            queued += 1;
        }
    }
    for plan in planned_interviews::list_due_reminders(db, now).await? {
        let workspace = WorkspaceId(plan.workspace_id.clone());
        let kind = match captured_since(db, &workspace, &plan).await? {
            true => None,
            false => Some(OutboxKind::RemindInterview { user: plan.planner.clone(), plan_id: plan.id }),
        };
        if claim_and_queue(db, &workspace, &plan, kind.as_ref(), Claim::Reminder, now).await? && kind.is_some() {
            queued += 1;
        }
    }
    if queued > 0 {
        outbox.wake();
    }
    Ok(queued)
}

#[derive(Debug, Clone, Copy)]
enum Claim {
    Brief,
    Reminder,
}

/// Marks a plan's brief or reminder as dealt with and queues its DM (if
/// any), in one transaction; false when another tick or replica had.
async fn claim_and_queue(
    db: &Db,
    workspace: &WorkspaceId,
    plan: &DuePlan,
    kind: Option<&OutboxKind>,
    claim: Claim,
    now: i64,
) -> Result<bool, sqlx::Error> {
    db.write(async |tx| {
        let first = match claim {
            Claim::Brief => planned_interviews::update_brief_queued(tx, workspace, plan.id, now).await?,
            Claim::Reminder => planned_interviews::update_reminded(tx, workspace, plan.id, now).await?,
        };
        if let (true, Some(kind)) = (first, kind) {
            insert_outbox_row(tx, workspace, kind, now).await?;
        }
        Ok(first)
    })
    .await
}

/// Whether the planner captured anything about the plan's customer (or the
/// customer it was merged into) since planning.
async fn captured_since(db: &Db, workspace: &WorkspaceId, plan: &DuePlan) -> Result<bool, sqlx::Error> {
    let customer = find_surviving_customer(db, workspace, plan.customer_id).await?.map_or(plan.customer_id, |c| c.id);
    planned_interviews::find_captured_since(db, workspace, &plan.planner, customer, plan.created_at).await
}

/// Sends a planner the brief of the customer they interview today, once.
pub async fn send_brief(
    db: &Db,
    clock: &Clock,
    slack: &Slack,
    workspace: &WorkspaceId,
    user: &str,
    plan_id: i64,
    once: PostOnce<'_>,
) -> Result<(), PostError> {
    let Some(plan) = planned_interviews::find_planned_interview(db, workspace, plan_id).await? else {
        return Err(PostError::Gone);
    };
    let Some(customer) = find_surviving_customer(db, workspace, plan.customer_id).await? else {
        return Err(PostError::Gone);
    };
    // A brief, so the customer shows as it asked (domain::ShownCustomer).
    let plan = PlannedInterview { customer: customer.shown.clone(), ..plan };
    let brief = gather(db, workspace, customer).await?;
    let (text, blocks) = render_brief(&brief);
    let message = render_morning_brief(&plan, text, blocks);
    let client = slack.client(workspace).await?;
    let dm = client.open_dm(user).await?;
    posting::post_once(clock, &client, &dm, None, false, &message, once).await?;
    Ok(())
}

/// The brief of `/highlight brief`, headed by what the planner planned.
pub fn render_morning_brief(plan: &PlannedInterview, text: String, blocks: Vec<serde_json::Value>) -> Message {
    let at = plan.planned_time.as_deref().map(|t| format!(" at {t}")).unwrap_or_default();
    let head = format!(
        "☀️ You interview *{}* today{at}. Here is their brief.",
        escape(&crate::slack::blocks::truncate(&plan.customer.label(), 80))
    );
    let shown = std::iter::once(section(&head)).chain(blocks).collect();
    Message::new(format!("Today{at}: {text}"), shown)
}

/// Sends a planner the reminder of an interview they captured nothing about,
/// once; nothing when they captured since it was queued.
pub async fn send_reminder(
    db: &Db,
    clock: &Clock,
    slack: &Slack,
    workspace: &WorkspaceId,
    user: &str,
    plan_id: i64,
    once: PostOnce<'_>,
) -> Result<(), PostError> {
    let Some(plan) = planned_interviews::find_planned_interview(db, workspace, plan_id).await? else {
        return Err(PostError::Gone);
    };
    if planned_interviews::find_captured_since(db, workspace, user, plan.customer_id, plan.created_at).await? {
        return Ok(());
    }
    let client = slack.client(workspace).await?;
    let dm = client.open_dm(user).await?;
    posting::post_once(clock, &client, &dm, None, false, &render_reminder(&plan), once).await?;
    Ok(())
}

/// Pure rendering of a reminder: the interview, and the line to type. The
/// customer is shown as it asked (a DM is away from its thread), and the
/// line names it as it is shown: captures answer to `Customer N` too.
pub fn render_reminder(plan: &PlannedInterview) -> Message {
    let name = escape(&plan.customer.label());
    let typed = escape(&plan.customer.typed_name());
    let at = plan.planned_time.as_deref().map(|t| format!(" at {t}")).unwrap_or_default();
    let text = format!(
        "You planned an interview with *{name}* on {}{at}, and nothing about them has been captured since. \
         What did they say? Capture it in one line:\n`/highlight {typed} | &lt;area&gt; | &lt;their words&gt;`",
        plan.planned_date
    );
    let shown = vec![
        section(&text),
        context("Or type `/highlight` for the form (several quotes, the interviewee, the recording)."),
    ];
    Message::new(format!("What did {name} say? Capture it with /highlight"), shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(name: &str, time: Option<&str>) -> PlannedInterview {
        PlannedInterview {
            id: 7,
            customer_id: 1,
            customer: crate::domain::ShownCustomer::named(name),
            planned_date: "2026-12-08".into(),
            planned_time: time.map(str::to_owned),
            planner: "U1".into(),
            created_at: 0,
            brief_queued: 1,
        }
    }

    #[test]
    fn a_reminder_gives_the_line_to_type_with_the_name_escaped() {
        let m = render_reminder(&plan("Acme <!here> & Co", Some("10:00")));
        let all = serde_json::to_string(&m.blocks).expect("json");
        assert!(all.contains("on 2026-12-08 at 10:00"), "{all}");
        assert!(all.contains("`/highlight Acme &lt;!here&gt; &amp; Co | &lt;area&gt; | &lt;their words&gt;`"), "{all}");
        assert!(!all.contains("<!here>"), "{all}");
        crate::slack::blocks::typed_blocks(&m.blocks).expect("valid Block Kit");
        insta::assert_json_snapshot!("interview_reminder", m.blocks);
    }

    #[test]
    fn a_reminder_of_an_anonymous_customer_shows_and_types_its_label() {
        let anonymous = crate::domain::ShownCustomer::new("Zorblax", Some(3), Some("Enterprise".into()), false);
        let m = render_reminder(&PlannedInterview { customer: anonymous, ..plan("Zorblax", None) });
        let all = format!("{} {}", m.text, serde_json::to_string(&m.blocks).expect("json"));
        assert!(all.contains("interview with *Customer 3 (Enterprise)* on 2026-12-08"), "{all}");
        assert!(all.contains("`/highlight Customer 3 | &lt;area&gt; | &lt;their words&gt;`"), "{all}");
        assert!(!all.contains("Zorblax"), "{all}");
    }

    #[test]
    fn the_morning_brief_is_the_brief_under_a_line_naming_the_interview() {
        let m =
            render_morning_brief(&plan("Acme", Some("10:00")), "Brief: Acme".into(), vec![section("*Brief: Acme*")]);
        assert_eq!(m.blocks.len(), 2);
        assert_eq!(m.blocks[0]["text"]["text"], "☀️ You interview *Acme* today at 10:00. Here is their brief.");
        assert_eq!(m.text, "Today at 10:00: Brief: Acme");
    }
}
