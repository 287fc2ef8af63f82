//! Reads only the evidence library makes (docs/design.md, The evidence
//! library): the customer directory. Everything a library page shares with
//! a Slack view is read by that view's own query.

use crate::domain::ShownCustomer;
use crate::store::privacy::shown_columns;
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
/// one, when both are empty), at most `limit`, in `order`. An anonymous
/// customer is found and sorted by its label only (`Customer N (segment)`,
/// as `domain::ShownCustomer` shows it): finding it by its name, or placing
/// it among names, would tell who is behind the label.
pub async fn list_directory_customers(
    db: &Db,
    workspace: &WorkspaceId,
    key_fragment: &str,
    name_fragment: &str,
    order: CustomerOrder,
    limit: i64,
) -> Result<Vec<DirectoryCustomer>, sqlx::Error> {
    let like = |s: &str| format!("%{}%", s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    // The page shows at most `limit` customers: they are chosen first, by a
    // key each customer reads from an index (its name, its ARR, its latest
    // highlight, how many it has: the sum of its rows in `highlight_days`,
    // one per area and day), and only they are then counted. Counting
    // every customer's highlights with their interviews first, as one
    // aggregate over the workspace, read all of them at every page (1M
    // highlights: see `cargo bench --bench pages`).
    // By name: an anonymous customer is placed as `customer`, by its number.
    let by_name = "lower(case when anonymous <> 0 then 'customer' else display_name end), anonymous_label, id";
    // Highlight counts are summed for every customer at once (one walk of
    // `highlight_days_by_customer`): a sum per customer cost PostgreSQL a
    // subquery for each of 5,000 customers (50 ms at 1M highlights).
    let (key, counts, order_by) = match order {
        CustomerOrder::Name => ("0", "", by_name),
        CustomerOrder::Recent => (
            "coalesce((select max(h.created_at) from highlights h
                       where h.workspace_id = c.workspace_id and h.customer_id = c.id), 0)",
            "",
            "sort_key desc, {by_name}",
        ),
        CustomerOrder::Highlights => (
            "coalesce(d.highlights, 0)",
            "left join (select customer_id, sum(highlights) as highlights from highlight_days
                        where workspace_id = $1 group by customer_id) d on d.customer_id = c.id",
            "sort_key desc, {by_name}",
        ),
        CustomerOrder::Arr => ("coalesce(c.arr_cents, -1)", "", "sort_key desc, {by_name}"),
    };
    let order_by = order_by.replace("{by_name}", by_name);
    let shown = shown_columns("c");
    sqlx::query_as(&format!(
        "select c.id, c.display_name, {shown}, c.segment, c.arr_cents,
                cast(coalesce((select sum(d.highlights) from highlight_days d
                               where d.workspace_id = c.workspace_id and d.customer_id = c.id), 0) as bigint) as highlights,
                (select count(distinct d.area_id) from highlight_days d
                 where d.workspace_id = c.workspace_id and d.customer_id = c.id) as areas,
                (select max(i.interview_date) from interviews i
                 where i.workspace_id = c.workspace_id and i.customer_id = c.id
                   and exists (select 1 from highlights h
                               where h.workspace_id = i.workspace_id and h.interview_id = i.id)) as last_contact
         from (select c.id, c.workspace_id, c.display_name, c.segment, c.arr_cents, c.anonymous, c.anonymous_label,
                      c.recordings_hidden, {key} as sort_key
               from customers c {counts}
               where c.workspace_id = $1 and c.merged_into is null
                 and (($2 = '%%' and $4 = '%%')
                      or (c.anonymous = 0 and $2 <> '%%' and (c.key like $2 escape '\\'
                          or exists (select 1 from customer_aliases a
                                     where a.workspace_id = c.workspace_id and a.customer_id = c.id
                                       and a.key like $2 escape '\\')))
                      or (c.anonymous = 0 and $4 <> '%%' and lower(c.display_name) like $4 escape '\\')
                      or (c.anonymous <> 0 and $4 <> '%%'
                          and lower('customer ' || cast(c.anonymous_label as text)
                                    || coalesce(' (' || c.segment || ')', '')) like $4 escape '\\'))
               order by {order_by}
               limit $3) c
         order by {order_by}"
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
    // Each customer's count is read from the area index alone (customer and
    // time), the customers put in order by it (their names read once each),
    // and only the quotes of the customers shown are then read: numbering
    // every quote of the period joined with its customer first read them
    // all (30 days of an area at a million highlights: 7,000 quotes for the
    // 500 shown).
    let mut rows: Vec<AreaCustomerQuote> = sqlx::query_as(&format!(
        "with counts as (
             select customer_id, count(*) as quotes from highlights
             where workspace_id = $1 and area_id = $2 and created_at >= $3
             group by customer_id
         ), ordered as (
             select k.customer_id, k.quotes, c.display_name,
                    sum(k.quotes) over (order by k.quotes desc, c.display_name, k.customer_id
                                        rows between unbounded preceding and current row) - k.quotes as before
             from counts k join customers c on c.workspace_id = $1 and c.id = k.customer_id
         )
         select o.customer_id, {}, c.segment, c.arr_cents, h.quote, h.kind, h.author, i.interview_date,
                h.recording_link, h.recording_at, h.permalink
         from ordered o
         join highlights h on h.workspace_id = $1 and h.customer_id = o.customer_id and h.area_id = $2
                          and h.created_at >= $3
         join customers c on c.workspace_id = $1 and c.id = o.customer_id
         join interviews i on i.workspace_id = h.workspace_id and i.id = h.interview_id
         where o.before < $4
         order by o.quotes desc, o.display_name, o.customer_id, h.created_at desc, h.id desc
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

/// An area's distinct customers in one week of the chart on `/`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AreaWeek {
    /// Area id.
    pub area_id: i64,
    /// Area name.
    pub area: String,
    /// The week: 0 is the oldest.
    pub week: i64,
    /// Distinct customers heard from about the area that week.
    pub customers: i64,
}

/// Distinct customers per area per week, over the `weeks` weeks of seven
/// UTC days that end on `end_day` (days since 1970, excluded: the day after
/// the last); weeks without a highlight of an area are left out. One
/// grouped statement over `highlight_days`, which holds a row per customer,
/// area and day: the highlights themselves are not read.
pub async fn list_area_weeks(
    db: &Db,
    workspace: &WorkspaceId,
    end_day: i64,
    weeks: i64,
) -> Result<Vec<AreaWeek>, sqlx::Error> {
    sqlx::query_as(
        "select w.area_id, a.name as area, w.week, w.customers from (
             select +area_id as area_id, (day - $2) / 7 as week, count(distinct customer_id) as customers
             from highlight_days
             where workspace_id = $1 and day >= $2 and day < $3
             group by 1, 2
         ) w
         join product_areas a on a.workspace_id = $1 and a.id = w.area_id
         order by w.week, w.area_id",
    )
    .bind(workspace.as_str())
    .bind(end_day - 7 * weeks)
    .bind(end_day)
    .fetch_all(db.reader())
    .await
}
