//! Onboarding: enrollments, the evidence that counts toward targets (interviews,
//! triaged feedback, tickets), and milestones already announced.

use crate::config::Targets;
use crate::domain::ShownCustomer;
use crate::store::privacy::shown_columns;
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// An enrollment.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Onboardee {
    /// Slack user id.
    pub user_id: String,
    /// First day, `YYYY-MM-DD`.
    pub start_date: String,
    /// Window length.
    pub days: i64,
    /// Interviews target.
    pub interviews_target: i64,
    /// Feedback target.
    pub feedback_target: i64,
    /// Tickets target.
    pub tickets_target: i64,
    /// Offboarded at (unix ms).
    pub ended_at: Option<i64>,
    /// The question their interviews and report answer, set by a manager.
    pub topic: Option<String>,
}

impl Onboardee {
    /// The targets of this enrollment.
    pub fn targets(&self) -> Targets {
        Targets {
            interviews: self.interviews_target,
            feedback: self.feedback_target,
            tickets: self.tickets_target,
            days: self.days,
        }
    }
}

const COLUMNS: &str = "user_id, start_date, days, interviews_target, feedback_target, tickets_target, ended_at, topic";

/// An enrollment to write.
#[derive(Debug, Clone, Copy)]
pub struct NewOnboardee<'a> {
    /// Slack user id.
    pub user: &'a str,
    /// First day, `YYYY-MM-DD`.
    pub start_date: &'a str,
    /// Targets and window length.
    pub targets: &'a Targets,
    /// Who enrolled them.
    pub enrolled_by: &'a str,
    /// Their topic, when one is given (none keeps the one they had).
    pub topic: Option<&'a str>,
}

/// Enrolls (or re-enrolls, replacing the dates and targets of) a user; a
/// topic given replaces theirs, none keeps it.
pub async fn upsert_onboardee(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    new: &NewOnboardee<'_>,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let NewOnboardee { user, start_date, targets, enrolled_by, topic } = *new;
    sqlx::query(
        "insert into onboardees (workspace_id, user_id, start_date, days, interviews_target, feedback_target,
                                 tickets_target, enrolled_by, created_at, topic)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         on conflict (workspace_id, user_id) do update set
             start_date = excluded.start_date, days = excluded.days,
             interviews_target = excluded.interviews_target, feedback_target = excluded.feedback_target,
             tickets_target = excluded.tickets_target, enrolled_by = excluded.enrolled_by, ended_at = null,
             topic = coalesce(excluded.topic, onboardees.topic)",
    )
    .bind(workspace.as_str())
    .bind(user)
    .bind(start_date)
    .bind(targets.days)
    .bind(targets.interviews)
    .bind(targets.feedback)
    .bind(targets.tickets)
    .bind(enrolled_by)
    .bind(now_ms)
    .bind(topic)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Sets (or with None, clears) a running enrollment's topic; false when the
/// user is not being onboarded.
pub async fn update_onboardee_topic(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    user: &str,
    topic: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let result =
        sqlx::query("update onboardees set topic = $3 where workspace_id = $1 and user_id = $2 and ended_at is null")
            .bind(workspace.as_str())
            .bind(user)
            .bind(topic)
            .execute(&mut *conn)
            .await?;
    Ok(result.rows_affected() == 1)
}

/// Ends an enrollment (history kept); false when there was none running.
pub async fn update_onboardee_ended(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    user: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "update onboardees set ended_at = $3 where workspace_id = $1 and user_id = $2 and ended_at is null",
    )
    .bind(workspace.as_str())
    .bind(user)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// A user's enrollment, running or ended.
pub async fn find_onboardee(db: &Db, workspace: &WorkspaceId, user: &str) -> Result<Option<Onboardee>, sqlx::Error> {
    sqlx::query_as(&format!("select {COLUMNS} from onboardees where workspace_id = $1 and user_id = $2"))
        .bind(workspace.as_str())
        .bind(user)
        .fetch_optional(db.reader())
        .await
}

/// Every running enrollment.
pub async fn list_onboardees(db: &Db, workspace: &WorkspaceId) -> Result<Vec<Onboardee>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from onboardees where workspace_id = $1 and ended_at is null order by start_date, user_id"
    ))
    .bind(workspace.as_str())
    .fetch_all(db.reader())
    .await
}

/// What counts, inside a window of dates `[from, until)` (`YYYY-MM-DD`) and
/// times `[from_ms, until_ms)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Distinct (interviewer, customer, date) in the window.
    pub interviews: i64,
    /// Feedback items triaged in the window.
    pub feedback: i64,
    /// Tickets closed in the window.
    pub tickets: i64,
}

/// The counting rules, in SQL (documented in the README, "Counting rules").
pub async fn count_evidence(
    db: &Db,
    workspace: &WorkspaceId,
    user: &str,
    from_date: &str,
    until_date: &str,
    from_ms: i64,
    until_ms: i64,
) -> Result<Counts, sqlx::Error> {
    let (interviews, feedback, tickets): (i64, i64, i64) = sqlx::query_as(
        "select
            (select count(*) from interviews
             where workspace_id = $1 and interviewer = $2 and interview_date >= $3 and interview_date < $4)
            + (select count(*) from forgotten_interviews
               where workspace_id = $1 and interviewer = $2 and interview_date >= $3 and interview_date < $4),
            (select count(*) from feedback_items
             where workspace_id = $1 and triaged_by = $2 and created_at >= $5 and created_at < $6),
            (select cast(coalesce(sum(count), 0) as bigint) from tickets
             where workspace_id = $1 and user_id = $2 and created_at >= $5 and created_at < $6)",
    )
    .bind(workspace.as_str())
    .bind(user)
    .bind(from_date)
    .bind(until_date)
    .bind(from_ms)
    .bind(until_ms)
    .fetch_one(db.reader())
    .await?;
    Ok(Counts { interviews, feedback, tickets })
}

/// A feedback item to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFeedback {
    /// Who triaged it.
    pub triaged_by: String,
    /// Where the message is.
    pub channel_id: String,
    /// Which message.
    pub message_ts: String,
    /// Its text (decoded).
    pub message_text: String,
    /// Product area.
    pub area_id: i64,
    /// Customer, if named.
    pub customer_id: Option<i64>,
    /// Kind.
    pub kind: &'static str,
}

/// Records a triaged message; false when that message was triaged before
/// (then its classification is updated, and it still counts once).
pub async fn upsert_feedback_item(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    item: &NewFeedback,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "insert into feedback_items (workspace_id, triaged_by, channel_id, message_ts, message_text, area_id,
                                     customer_id, kind, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         on conflict (workspace_id, channel_id, message_ts) do nothing",
    )
    .bind(workspace.as_str())
    .bind(&item.triaged_by)
    .bind(&item.channel_id)
    .bind(&item.message_ts)
    .bind(&item.message_text)
    .bind(item.area_id)
    .bind(item.customer_id)
    .bind(item.kind)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if !inserted {
        sqlx::query(
            "update feedback_items set area_id = $4, customer_id = $5, kind = $6
             where workspace_id = $1 and channel_id = $2 and message_ts = $3",
        )
        .bind(workspace.as_str())
        .bind(&item.channel_id)
        .bind(&item.message_ts)
        .bind(item.area_id)
        .bind(item.customer_id)
        .bind(item.kind)
        .execute(&mut *conn)
        .await?;
    }
    // Queued with a reaction (by anyone): triaged now, so out of every queue.
    let queued_by: Vec<String> = sqlx::query_scalar(
        "update triage_queue set triaged_at = $4
         where workspace_id = $1 and channel_id = $2 and message_ts = $3 and triaged_at is null
         returning user_id",
    )
    .bind(workspace.as_str())
    .bind(&item.channel_id)
    .bind(&item.message_ts)
    .bind(now_ms)
    .fetch_all(&mut *conn)
    .await?;
    for user in queued_by {
        let home = crate::store::outbox::OutboxKind::PublishHome { user };
        crate::store::outbox::upsert_outbox_row(&mut *conn, workspace, &home, now_ms).await?;
    }
    Ok(inserted)
}

/// Records the permalink of a triaged message.
pub async fn update_feedback_permalink(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    channel_id: &str,
    message_ts: &str,
    permalink: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update feedback_items set permalink = $4 where workspace_id = $1 and channel_id = $2 and message_ts = $3",
    )
    .bind(workspace.as_str())
    .bind(channel_id)
    .bind(message_ts)
    .bind(permalink)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Support tickets to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTickets<'a> {
    /// Who closed them.
    pub user: &'a str,
    /// `self` (reported with `/highlight tickets`) or `webhook`.
    pub source: &'static str,
    /// The helpdesk's ticket id, which counts once.
    pub ticket_ref: Option<&'a str>,
    /// How many.
    pub count: i64,
    /// What the user noted.
    pub note: Option<&'a str>,
}

/// Records tickets; with a `ticket_ref`, false when that ticket was already counted.
pub async fn insert_tickets(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    tickets: &NewTickets<'_>,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "insert into tickets (workspace_id, user_id, source, ticket_ref, count, note, created_at)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (workspace_id, ticket_ref) do nothing",
    )
    .bind(workspace.as_str())
    .bind(tickets.user)
    .bind(tickets.source)
    .bind(tickets.ticket_ref)
    .bind(tickets.count)
    .bind(tickets.note)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Keeps a helpdesk event whose agent is not known yet; false if kept before.
pub async fn insert_unmapped_ticket(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    ticket_ref: &str,
    agent_email: Option<&str>,
    reason: &str,
    payload: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "insert into unmapped_tickets (workspace_id, ticket_ref, agent_email, reason, payload, received_at)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (workspace_id, ticket_ref) do nothing",
    )
    .bind(workspace.as_str())
    .bind(ticket_ref)
    .bind(agent_email)
    .bind(reason)
    .bind(payload)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// A helpdesk ticket waiting for its agent to be found in Slack.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UnmappedTicket {
    /// Row id.
    pub id: i64,
    /// Workspace.
    pub workspace_id: String,
    /// The helpdesk's ticket id.
    pub ticket_ref: String,
    /// The agent's email.
    pub agent_email: Option<String>,
    /// When it arrived (unix ms): it counts on that day.
    pub received_at: i64,
}

/// Tickets still waiting for their agent, oldest first (every workspace: this
/// is the background job's view).
pub async fn list_unmapped_tickets(db: &Db, limit: i64) -> Result<Vec<UnmappedTicket>, sqlx::Error> {
    sqlx::query_as(
        "select id, workspace_id, ticket_ref, agent_email, received_at from unmapped_tickets
         where agent_email is not null order by received_at limit $1",
    )
    .bind(limit)
    .fetch_all(db.reader())
    .await
}

/// Counts a waiting ticket for the user its email now maps to, once, and
/// removes it from the waiting list; false if it had been counted already.
pub async fn map_unmapped_ticket(
    conn: &mut sqlx::AnyConnection,
    ticket: &UnmappedTicket,
    user: &str,
) -> Result<bool, sqlx::Error> {
    let counted = sqlx::query(
        "insert into tickets (workspace_id, user_id, source, ticket_ref, count, created_at)
         values ($1, $2, 'webhook', $3, 1, $4)
         on conflict (workspace_id, ticket_ref) do nothing",
    )
    .bind(&ticket.workspace_id)
    .bind(user)
    .bind(&ticket.ticket_ref)
    .bind(ticket.received_at)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    sqlx::query("delete from unmapped_tickets where workspace_id = $1 and id = $2")
        .bind(&ticket.workspace_id)
        .bind(ticket.id)
        .execute(&mut *conn)
        .await?;
    Ok(counted)
}

/// Records a milestone; true only the first time (the caller announces it then).
pub async fn insert_milestone(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    user: &str,
    milestone: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "insert into milestones (workspace_id, user_id, milestone, reached_at) values ($1, $2, $3, $4)
         on conflict (workspace_id, user_id, milestone) do nothing",
    )
    .bind(workspace.as_str())
    .bind(user)
    .bind(milestone)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// A user's latest highlights, for the App Home.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RecentHighlight {
    /// The customer, as it may be shown.
    #[sqlx(flatten)]
    pub customer: ShownCustomer,
    /// Area name.
    pub area: String,
    /// Quote.
    pub quote: String,
    /// Interview date.
    pub interview_date: String,
    /// Link to the posted reply.
    pub permalink: Option<String>,
}

/// The user's last `limit` highlights.
///
/// The few highlights are taken first, from the end of the author's index
/// range, and only they are joined: a planner that thought the author had
/// next to none (statistics older than their captures) joined all of them
/// against every customer of the workspace, 19 ms a read in the load bench
/// at 1,300 highlights an author.
pub async fn list_recent_highlights(
    db: &Db,
    workspace: &WorkspaceId,
    user: &str,
    limit: i64,
) -> Result<Vec<RecentHighlight>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {}, a.name as area, h.quote, i.interview_date, h.permalink
         from (select id, workspace_id, customer_id, area_id, interview_id, quote, permalink, created_at
               from highlights
               where workspace_id = $1 and author = $2
               order by created_at desc, id desc limit $3) h
         join customers c on c.workspace_id = h.workspace_id and c.id = h.customer_id
         join product_areas a on a.workspace_id = h.workspace_id and a.id = h.area_id
         join interviews i on i.workspace_id = h.workspace_id and i.id = h.interview_id
         order by h.created_at desc, h.id desc",
        shown_columns("c")
    ))
    .bind(workspace.as_str())
    .bind(user)
    .bind(limit)
    .fetch_all(db.reader())
    .await
}

/// The customers a user has interviewed, most recent first, with interview counts.
///
/// The user's interviews are counted by customer from the interviewer's
/// index first, then only those customers are read: joined before, a stale
/// estimate of the user's interviews walked every customer of the workspace.
pub async fn list_customers_talked_to(
    db: &Db,
    workspace: &WorkspaceId,
    user: &str,
    limit: i64,
) -> Result<Vec<(ShownCustomer, i64)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Talked {
        #[sqlx(flatten)]
        customer: ShownCustomer,
        interviews: i64,
    }
    let rows: Vec<Talked> = sqlx::query_as(&format!(
        "with talked as materialized (
             select customer_id, count(*) as interviews, max(interview_date) as last
             from interviews where workspace_id = $1 and interviewer = $2 group by customer_id)
         select {}, t.interviews from talked t
         join customers c on c.workspace_id = $1 and c.id = t.customer_id
         order by t.last desc, c.display_name limit $3",
        shown_columns("c")
    ))
    .bind(workspace.as_str())
    .bind(user)
    .bind(limit)
    .fetch_all(db.reader())
    .await?;
    Ok(rows.into_iter().map(|r| (r.customer, r.interviews)).collect())
}
