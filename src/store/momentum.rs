//! Momentum in digests (design.md, Behaviour: Digests): how many distinct
//! customers each area had in the period before a digest's, and which
//! customers a period heard from for the first time.
//!
//! Both read as few index entries as they can and sort nothing large, so
//! that momentum costs a digest a few milliseconds at a million highlights
//! (benches/README.md): the previous period reads its whole days from the
//! daily counts (`highlight_days`) and only the parts of days at its ends
//! from `highlights`, as the ranking does, and the first heard are the
//! period's distinct customers from `highlights_by_time`, each then looked
//! back on once in `highlights_by_customer`.

use crate::domain::ShownCustomer;
use crate::store::digests::{split_days, PERIOD_ROWS};
use crate::store::privacy::shown_columns;
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// Distinct customers per area in `[from, until)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct AreaCustomers {
    /// Area id.
    pub area_id: i64,
    /// Distinct customers.
    pub customers: i64,
}

/// Distinct customers of each area heard from in `[from, until)` (areas with
/// none are left out): the period's whole days from `highlight_days`, the
/// parts of days at its ends from `highlights`, as the ranking reads them
/// (`store::digests::list_area_signal`).
pub async fn list_area_customers(
    db: &Db,
    workspace: &WorkspaceId,
    from: i64,
    until: i64,
) -> Result<Vec<AreaCustomers>, sqlx::Error> {
    let days = split_days(from, until);
    sqlx::query_as(&format!(
        "select p.area_id, count(distinct p.customer_id) as customers from {PERIOD_ROWS} p group by p.area_id"
    ))
    .bind(workspace.as_str())
    .bind(from)
    .bind(until)
    .bind(days.first_day)
    .bind(days.end_day)
    .bind(days.head_end)
    .bind(days.tail_start)
    .fetch_all(db.reader())
    .await
}

/// The customers whose first highlight ever falls in `[from, until)`, as
/// they are shown, in the order they were first heard from.
pub async fn list_first_heard_customers(
    db: &Db,
    workspace: &WorkspaceId,
    from: i64,
    until: i64,
) -> Result<Vec<ShownCustomer>, sqlx::Error> {
    // Distinct first (no sort of the period), then per customer one look back
    // and, for the order, its first highlight ever: the period's first, when
    // there is none before.
    sqlx::query_as(&format!(
        "select {} from (
             select distinct customer_id from highlights
             where workspace_id = $1 and created_at >= $2 and created_at < $3
         ) p
         join customers c on c.workspace_id = $1 and c.id = p.customer_id
         where not exists (select 1 from highlights e
                           where e.workspace_id = $1 and e.customer_id = p.customer_id and e.created_at < $2)
         order by (select min(f.created_at) from highlights f
                   where f.workspace_id = $1 and f.customer_id = p.customer_id),
                  c.display_name",
        shown_columns("c")
    ))
    .bind(workspace.as_str())
    .bind(from)
    .bind(until)
    .fetch_all(db.reader())
    .await
}
