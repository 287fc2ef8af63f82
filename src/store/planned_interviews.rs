//! Planned interviews (design.md, Behaviour: interviews with a purpose): the
//! plans people make, and the scheduler's claims on their morning brief and
//! reminder, each taken once whatever the replicas. A plan is no interview:
//! nothing here is counted toward a quota.

use sqlx::AnyConnection;

use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// A plan to write: who, with whom, when, and its moments in unix ms (worked
/// out by the caller in the workspace's zone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlan<'a> {
    /// The customer (of the same workspace).
    pub customer_id: i64,
    /// Who plans it (Slack user id).
    pub planner: &'a str,
    /// `YYYY-MM-DD`.
    pub planned_date: &'a str,
    /// `HH:MM`, when given.
    pub planned_time: Option<&'a str>,
    /// When the morning brief falls due.
    pub brief_at: i64,
    /// After this the brief is no use any more (the day is over).
    pub brief_until: i64,
    /// When the reminder falls due, if nothing was captured by then.
    pub remind_at: i64,
}

/// Whether a plan was made or an existing one (same person, customer and
/// date) moved to the new time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Planned {
    /// A new plan.
    New,
    /// The plan for that day existed; its time is now the one given.
    Moved,
}

/// Records a plan; one per person, customer and day (planning the same day
/// again sets its time).
pub async fn upsert_planned_interview(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    plan: &NewPlan<'_>,
    now_ms: i64,
) -> Result<Planned, sqlx::Error> {
    let existing: Option<i64> = sqlx::query_scalar(
        "select id from planned_interviews
         where workspace_id = $1 and planner = $2 and customer_id = $3 and planned_date = $4",
    )
    .bind(workspace.as_str())
    .bind(plan.planner)
    .bind(plan.customer_id)
    .bind(plan.planned_date)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = existing {
        sqlx::query(
            "update planned_interviews set planned_time = $3, brief_at = $4, brief_until = $5, remind_at = $6
             where workspace_id = $1 and id = $2",
        )
        .bind(workspace.as_str())
        .bind(id)
        .bind(plan.planned_time)
        .bind(plan.brief_at)
        .bind(plan.brief_until)
        .bind(plan.remind_at)
        .execute(&mut *conn)
        .await?;
        return Ok(Planned::Moved);
    }
    sqlx::query(
        "insert into planned_interviews
           (workspace_id, customer_id, planner, planned_date, planned_time, brief_at, brief_until, remind_at, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(workspace.as_str())
    .bind(plan.customer_id)
    .bind(plan.planner)
    .bind(plan.planned_date)
    .bind(plan.planned_time)
    .bind(plan.brief_at)
    .bind(plan.brief_until)
    .bind(plan.remind_at)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(Planned::New)
}

/// A plan as its planner sees it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PlannedInterview {
    /// Row id.
    pub id: i64,
    /// The customer planned with (the survivor of a merge).
    pub customer_id: i64,
    /// How it is shown (the survivor of a merge).
    #[sqlx(flatten)]
    pub customer: crate::domain::ShownCustomer,
    /// `YYYY-MM-DD`.
    pub planned_date: String,
    /// `HH:MM`, when given.
    pub planned_time: Option<String>,
    /// Who plans it.
    pub planner: String,
    /// When it was planned (unix ms): captures from then on count as done.
    pub created_at: i64,
    /// Whether its morning brief was queued.
    pub brief_queued: i64,
}

/// A plan's columns: its customer `s` as it may be shown
/// (`store::privacy::shown_columns`).
fn plan_columns() -> String {
    format!(
        "p.id, s.id as customer_id, {}, p.planned_date, p.planned_time, p.planner,
         p.created_at, case when p.brief_queued_at is null then 0 else 1 end as brief_queued",
        crate::store::privacy::shown_columns("s")
    )
}

/// From a plan to its customer, to the customer it was merged into (one
/// merge deep, as a plan's customer is shown; the outbox follows longer
/// chains), and to the one of them it is shown as (`s`).
const PLAN_FROM: &str = "planned_interviews p
    join customers c on c.workspace_id = p.workspace_id and c.id = p.customer_id
    left join customers m on m.workspace_id = c.workspace_id and m.id = c.merged_into
    join customers s on s.workspace_id = p.workspace_id and s.id = coalesce(m.id, c.id)";

/// A person's plans from `from_date` on, soonest first, at most `limit`.
pub async fn list_planned_interviews(
    db: &Db,
    workspace: &WorkspaceId,
    planner: &str,
    from_date: &str,
    limit: i64,
) -> Result<Vec<PlannedInterview>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {} from {PLAN_FROM}
         where p.workspace_id = $1 and p.planner = $2 and p.planned_date >= $3
         order by p.planned_date, coalesce(p.planned_time, '99:99'), p.id
         limit $4",
        plan_columns()
    ))
    .bind(workspace.as_str())
    .bind(planner)
    .bind(from_date)
    .bind(limit)
    .fetch_all(db.reader())
    .await
}

/// One plan of a workspace.
pub async fn find_planned_interview(
    db: &Db,
    workspace: &WorkspaceId,
    id: i64,
) -> Result<Option<PlannedInterview>, sqlx::Error> {
    sqlx::query_as(&format!("select {} from {PLAN_FROM} where p.workspace_id = $1 and p.id = $2", plan_columns()))
        .bind(workspace.as_str())
        .bind(id)
        .fetch_optional(db.reader())
        .await
}

/// A plan whose brief or reminder fell due.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DuePlan {
    /// Its workspace.
    pub workspace_id: String,
    /// Row id.
    pub id: i64,
    /// Who gets the DM.
    pub planner: String,
    /// The customer planned with (as planned: a merge is followed when sending).
    pub customer_id: i64,
    /// When it was planned (unix ms).
    pub created_at: i64,
}

/// Plans whose morning brief is due at `now_ms` and not yet queued (and whose
/// day is not over), in every workspace.
pub async fn list_due_briefs(db: &Db, now_ms: i64) -> Result<Vec<DuePlan>, sqlx::Error> {
    sqlx::query_as(
        "select workspace_id, id, planner, customer_id, created_at from planned_interviews
         where brief_queued_at is null and brief_at <= $1 and brief_until > $1
         order by brief_at, id limit 500",
    )
    .bind(now_ms)
    .fetch_all(db.reader())
    .await
}

/// Plans whose reminder is due at `now_ms` and not yet dealt with, in every workspace.
pub async fn list_due_reminders(db: &Db, now_ms: i64) -> Result<Vec<DuePlan>, sqlx::Error> {
    sqlx::query_as(
        "select workspace_id, id, planner, customer_id, created_at from planned_interviews
         where reminded_at is null and remind_at <= $1
         order by remind_at, id limit 500",
    )
    .bind(now_ms)
    .fetch_all(db.reader())
    .await
}

/// Claims a plan's brief: true for the one caller that marks it queued.
pub async fn update_brief_queued(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    id: i64,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    claim(conn, workspace, id, "brief_queued_at", now_ms).await
}

/// Claims a plan's reminder (to queue it, or to settle that none is needed):
/// true for the one caller that marks it.
pub async fn update_reminded(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    id: i64,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    claim(conn, workspace, id, "reminded_at", now_ms).await
}

/// Sets a plan's `moment` column where it is still null: true for the one
/// caller that set it. `moment` is one of this module's column names.
async fn claim(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    id: i64,
    moment: &'static str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(&format!(
        "update planned_interviews set {moment} = $3
         where workspace_id = $1 and id = $2 and {moment} is null"
    ))
    .bind(workspace.as_str())
    .bind(id)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether `author` captured anything about a customer from `since_ms` on.
pub async fn find_captured_since(
    db: &Db,
    workspace: &WorkspaceId,
    author: &str,
    customer_id: i64,
    since_ms: i64,
) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar(
        "select 1 from highlights
         where workspace_id = $1 and customer_id = $2 and created_at >= $3 and author = $4
         limit 1",
    )
    .bind(workspace.as_str())
    .bind(customer_id)
    .bind(since_ms)
    .bind(author)
    .fetch_optional(db.reader())
    .await?;
    Ok(found.is_some())
}
