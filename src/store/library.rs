//! Reads only the evidence library makes (docs/design.md, The evidence
//! library): the customer directory. Everything a library page shares with
//! a Slack view is read by that view's own query.

use crate::domain::ShownCustomer;
use crate::store::privacy::{shown_columns, SHOWN_NAMES};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// How the customer directory is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CustomerOrder {
    /// By name.
    #[default]
    Name,
    /// Most recently heard from first.
    Recent,
    /// Most highlights first.
    Highlights,
    /// Largest ARR first (unknown last).
    Arr,
}

/// A customer in the directory.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DirectoryCustomer {
    /// Row id.
    pub id: i64,
    /// Its name (its own page and the directory show [`Self::shown`]).
    pub display_name: String,
    /// The customer, as it may be shown.
    #[sqlx(flatten)]
    pub shown: ShownCustomer,
    /// Segment, when imported.
    pub segment: Option<String>,
    /// Annual recurring revenue in cents, when imported.
    pub arr_cents: Option<i64>,
    /// Highlights.
    pub highlights: i64,
    /// Distinct product areas.
    pub areas: i64,
    /// Last interview date, `YYYY-MM-DD`.
    pub last_contact: Option<String>,
}

/// The workspace's customers (not merged away) whose key or an alias
/// contains `key_fragment`, or whose name contains `name_fragment` (every
/// one, when both are empty), at most `limit`, in `order`.
pub async fn list_directory_customers(
    db: &Db,
    workspace: &WorkspaceId,
    key_fragment: &str,
    name_fragment: &str,
    order: CustomerOrder,
    limit: i64,
) -> Result<Vec<DirectoryCustomer>, sqlx::Error> {
    let like = |s: &str| format!("%{}%", s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    let order_by = match order {
        CustomerOrder::Name => "lower(c.display_name), c.id",
        CustomerOrder::Recent => "coalesce(s.last_activity, 0) desc, lower(c.display_name)",
        CustomerOrder::Highlights => "coalesce(s.highlights, 0) desc, lower(c.display_name)",
        CustomerOrder::Arr => "coalesce(c.arr_cents, -1) desc, lower(c.display_name)",
    };
    let shown = shown_columns("c");
    sqlx::query_as(&format!(
        "select c.id, c.display_name, {shown}, c.segment, c.arr_cents,
                coalesce(s.highlights, 0) as highlights, coalesce(s.areas, 0) as areas, s.last_contact
         from customers c
         left join (select h.customer_id, count(*) as highlights, count(distinct h.area_id) as areas,
                           max(h.created_at) as last_activity, max(i.interview_date) as last_contact
                    from highlights h
                    join interviews i on i.workspace_id = h.workspace_id and i.id = h.interview_id
                    where h.workspace_id = $1
                    group by h.customer_id) s on s.customer_id = c.id
         where c.workspace_id = $1 and c.merged_into is null
           and (($2 = '%%' and $4 = '%%')
                or ($2 <> '%%' and (c.key like $2 escape '\\'
                    or exists (select 1 from customer_aliases a
                               where a.workspace_id = c.workspace_id and a.customer_id = c.id
                                 and a.key like $2 escape '\\')))
                or ($4 <> '%%' and lower(c.display_name) like $4 escape '\\'))
         order by {order_by}
         limit $3"
    ))
    .bind(workspace.as_str())
    .bind(like(key_fragment))
    .bind(limit)
    .bind(like(&name_fragment.to_lowercase()))
    .fetch_all(db.reader())
    .await
}

/// A quote on an area's page, with its customer's attributes.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AreaCustomerQuote {
    /// Customer id.
    pub customer_id: i64,
    /// The customer, as it may be shown.
    #[sqlx(flatten)]
    pub customer: ShownCustomer,
    /// Segment, when imported.
    pub segment: Option<String>,
    /// Annual recurring revenue in cents, when imported.
    pub arr_cents: Option<i64>,
    /// The quote.
    pub quote: String,
    /// Its kind.
    pub kind: String,
    /// Who captured it (Slack user id).
    pub author: String,
    /// Interview date.
    pub interview_date: String,
    /// Link into the recording.
    pub recording_link: Option<String>,
    /// The moment in the recording, in seconds.
    pub recording_at: Option<i64>,
    /// Link to the posted reply.
    pub permalink: Option<String>,
}

/// An area's highlights captured at or after `since` (unix ms), grouped by
/// customer (the customers with most quotes first), newest first in each;
/// at most `limit`.
pub async fn list_area_customer_quotes(
    db: &Db,
    workspace: &WorkspaceId,
    area_id: i64,
    since: i64,
    limit: i64,
) -> Result<Vec<AreaCustomerQuote>, sqlx::Error> {
    let mut rows: Vec<AreaCustomerQuote> = sqlx::query_as(&format!(
        "select customer_id, {SHOWN_NAMES}, segment, arr_cents, quote, kind, author, interview_date, recording_link,
                recording_at, permalink from (
             select h.customer_id, {}, c.segment, c.arr_cents, h.quote, h.kind, h.author,
                    i.interview_date, h.recording_link, h.recording_at, h.permalink, h.created_at, h.id,
                    count(*) over (partition by h.customer_id) as customer_quotes
             from highlights h
             join customers c on c.workspace_id = h.workspace_id and c.id = h.customer_id
             join interviews i on i.workspace_id = h.workspace_id and i.id = h.interview_id
             where h.workspace_id = $1 and h.area_id = $2 and h.created_at >= $3
         ) q
         order by customer_quotes desc, customer, customer_id, created_at desc, id desc
         limit $4",
        shown_columns("c")
    ))
    .bind(workspace.as_str())
    .bind(area_id)
    .bind(since)
    .bind(limit)
    .fetch_all(db.reader())
    .await?;
    for q in &mut rows {
        q.customer.hide_recording(&mut q.recording_link, &mut q.recording_at);
    }
    Ok(rows)
}
