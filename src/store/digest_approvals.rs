//! Digests waiting for their approver (docs/design.md, Behaviour): one row per period, decided
//! once (approved, skipped, or expired after 24 hours).

use sqlx::AnyConnection;

use crate::store::outbox::{insert_outbox_row, upsert_outbox_row, OutboxKind};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// How long an approver has to answer.
pub const APPROVAL_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// A digest waiting for (or decided by) its approver.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DigestApproval {
    /// Workspace id.
    pub workspace_id: String,
    /// The period's key (as the digest claim has it).
    pub period_key: String,
    /// Who decides.
    pub approver: String,
    /// Period start (unix ms).
    pub from_ms: i64,
    /// Period end (unix ms).
    pub until_ms: i64,
    /// "Nov 16 – Nov 23".
    pub label: String,
    /// Area ids left out, comma-separated.
    pub removed_areas: String,
    /// `pending`, `approved`, `skipped`, `expired` or `refused` (by Slack).
    pub status: String,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When it expires (unix ms).
    pub expires_at: i64,
}

impl DigestApproval {
    /// The areas left out.
    pub fn removed(&self) -> Vec<i64> {
        self.removed_areas.split(',').filter_map(|id| id.trim().parse().ok()).collect()
    }
}

/// The columns a [`DigestApproval`] is read from.
const APPROVAL_COLUMNS: &str =
    "workspace_id, period_key, approver, from_ms, until_ms, label, removed_areas, status, decided_by, expires_at";

/// What a scheduled digest needs to wait for approval.
#[derive(Debug, Clone)]
pub struct NewApproval<'a> {
    /// The period's key.
    pub period_key: &'a str,
    /// Who decides.
    pub approver: &'a str,
    /// Period start (unix ms).
    pub from_ms: i64,
    /// Period end (unix ms).
    pub until_ms: i64,
    /// "Nov 16 – Nov 23".
    pub label: &'a str,
}

/// Records a digest waiting for approval and queues the DM that asks, in the
/// transaction that claims the period.
pub async fn insert_digest_approval_in(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    new: &NewApproval<'_>,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into digest_approvals (workspace_id, period_key, approver, from_ms, until_ms, label, expires_at, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(workspace.as_str())
    .bind(new.period_key)
    .bind(new.approver)
    .bind(new.from_ms)
    .bind(new.until_ms)
    .bind(new.label)
    .bind(now_ms + APPROVAL_WINDOW_MS)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    insert_outbox_row(conn, workspace, &OutboxKind::AskDigestApproval { topic: new.period_key.to_owned() }, now_ms)
        .await
}

/// A period's approval.
pub async fn find_digest_approval(
    db: &Db,
    workspace: &WorkspaceId,
    period_key: &str,
) -> Result<Option<DigestApproval>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {APPROVAL_COLUMNS} from digest_approvals where workspace_id = $1 and period_key = $2"
    ))
    .bind(workspace.as_str())
    .bind(period_key)
    .fetch_optional(db.reader())
    .await
}

/// Decides a pending approval (not expired), and queues what follows in the
/// same transaction; false when it was decided already (or expired).
pub async fn update_digest_decided(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    period_key: &str,
    status: &str,
    by: &str,
    then: Option<&OutboxKind>,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let decided = sqlx::query(
        "update digest_approvals set status = $3, decided_by = $4, decided_at = $5
         where workspace_id = $1 and period_key = $2 and status = 'pending' and expires_at > $5",
    )
    .bind(workspace.as_str())
    .bind(period_key)
    .bind(status)
    .bind(by)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if let (true, Some(kind)) = (decided, then) {
        upsert_outbox_row(&mut *conn, workspace, kind, now_ms).await?;
    }
    Ok(decided)
}

/// Leaves an area out of a pending digest; false when it was decided already.
pub async fn update_digest_removed_areas(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    period_key: &str,
    removed_areas: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let changed = sqlx::query(
        "update digest_approvals set removed_areas = $3
         where workspace_id = $1 and period_key = $2 and status = 'pending' and expires_at > $4",
    )
    .bind(workspace.as_str())
    .bind(period_key)
    .bind(removed_areas)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(changed == 1)
}

/// Expires every approval nobody answered in time (at most 100 a call);
/// returns those it expired, so that the caller tells each approver in the
/// same transaction.
pub async fn update_expired_digest_approvals(
    conn: &mut sqlx::AnyConnection,
    now_ms: i64,
) -> Result<Vec<DigestApproval>, sqlx::Error> {
    let due: Vec<DigestApproval> = sqlx::query_as(&format!(
        "select {APPROVAL_COLUMNS} from digest_approvals
         where status = 'pending' and expires_at <= $1 order by expires_at limit 100"
    ))
    .bind(now_ms)
    .fetch_all(&mut *conn)
    .await?;
    let mut expired = Vec::new();
    for approval in due {
        let done = sqlx::query(
            "update digest_approvals set status = 'expired', decided_at = $3
             where workspace_id = $1 and period_key = $2 and status = 'pending'",
        )
        .bind(&approval.workspace_id)
        .bind(&approval.period_key)
        .bind(now_ms)
        .execute(&mut *conn)
        .await?
        .rows_affected()
            == 1;
        if done {
            expired.push(approval);
        }
    }
    Ok(expired)
}

/// Sets (or, with None, removes) the workspace's digest approver; `by`: who
/// did (told when Slack refuses a digest).
pub async fn update_digest_approver(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    approver: Option<&str>,
    by: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update workspaces set digest_approver = $2, digest_set_by = $4, updated_at = $3 where id = $1")
        .bind(workspace.as_str())
        .bind(approver)
        .bind(now_ms)
        .bind(by)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
