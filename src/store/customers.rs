//! Customers and their aliases.

use sqlx::AnyConnection;

use crate::domain::CustomerName;
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// A customer row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Customer {
    /// Row id.
    pub id: i64,
    /// Normalized key.
    pub key: String,
    /// Name to show.
    pub display_name: String,
    /// Channel of the customer's thread, once posted.
    pub thread_channel: Option<String>,
    /// `ts` of the thread's parent message, once posted.
    pub thread_ts: Option<String>,
    /// How it is shown away from its thread (its privacy).
    #[sqlx(flatten)]
    pub shown: crate::domain::ShownCustomer,
}

/// The customer a normalized key (or one of its aliases) names, following
/// merges to the surviving customer.
pub async fn find_customer_by_key(
    db: &Db,
    workspace: &WorkspaceId,
    key: &str,
) -> Result<Option<Customer>, sqlx::Error> {
    let id = {
        let mut conn = db.reader().acquire().await?;
        find_customer_id_by_key(&mut conn, workspace, key).await?
    };
    match id {
        Some(id) => find_surviving_customer(db, workspace, id).await,
        None => Ok(None),
    }
}

/// The id a key or alias leads to (one merge step followed), on a connection
/// (so it also serves inside transactions).
async fn find_customer_id_by_key(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    key: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "select coalesce(c.merged_into, c.id) from customers c where c.workspace_id = $1 and c.key = $2
         union all
         select a.customer_id from customer_aliases a where a.workspace_id = $1 and a.key = $2
         limit 1",
    )
    .bind(workspace.as_str())
    .bind(key)
    .fetch_optional(conn)
    .await
}

/// The customer with this id, or the one it was merged into.
pub async fn find_surviving_customer(
    db: &Db,
    workspace: &WorkspaceId,
    id: i64,
) -> Result<Option<Customer>, sqlx::Error> {
    let mut id = id;
    // Merges chain at most a few times; the bound guards against a cycle.
    for _ in 0..8 {
        let merged: Option<Option<i64>> =
            sqlx::query_scalar("select merged_into from customers where workspace_id = $1 and id = $2")
                .bind(workspace.as_str())
                .bind(id)
                .fetch_optional(db.reader())
                .await?;
        match merged {
            None => return Ok(None),
            Some(None) => return find_customer(db, workspace, id).await,
            Some(Some(next)) => id = next,
        }
    }
    find_customer(db, workspace, id).await
}

/// The customer with this id.
pub async fn find_customer(db: &Db, workspace: &WorkspaceId, id: i64) -> Result<Option<Customer>, sqlx::Error> {
    let shown = crate::store::privacy::shown_columns("c");
    sqlx::query_as(&format!(
        "select c.id, c.key, c.display_name, c.thread_channel, c.thread_ts, {shown}
         from customers c where c.workspace_id = $1 and c.id = $2"
    ))
    .bind(workspace.as_str())
    .bind(id)
    .fetch_optional(db.reader())
    .await
}

/// Creates the customer if its key is new, inside a transaction; returns its id.
pub async fn insert_customer_if_new(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    name: &CustomerName,
    now_ms: i64,
) -> Result<i64, sqlx::Error> {
    let created: Option<i64> = sqlx::query_scalar(
        "insert into customers (workspace_id, key, display_name, created_at, updated_at) values ($1, $2, $3, $4, $4)
         on conflict (workspace_id, key) do nothing returning id",
    )
    .bind(workspace.as_str())
    .bind(&name.key)
    .bind(&name.display)
    .bind(now_ms)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = created {
        insert_key_variants(conn, workspace, id, &name.key).await?;
        return Ok(id);
    }
    sqlx::query_scalar("select id from customers where workspace_id = $1 and key = $2")
        .bind(workspace.as_str())
        .bind(&name.key)
        .fetch_one(&mut *conn)
        .await
}

/// Claims the right to post a customer's thread parent in `channel` (it has
/// none there: none yet, or one in the product channel before this one):
/// true for exactly one claim at a time, until it expires at `until_ms` or
/// the thread is recorded.
///
/// Returns None when another holds it; else whether the claim was taken over
/// from a holder whose lease ran out (it may have posted before it died).
pub async fn claim_customer_thread(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    id: i64,
    channel: &str,
    token: &str,
    now_ms: i64,
    until_ms: i64,
) -> Result<Option<bool>, sqlx::Error> {
    let holder: Option<Option<String>> =
        sqlx::query_scalar("select thread_claim from customers where workspace_id = $1 and id = $2")
            .bind(workspace.as_str())
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let claimed = sqlx::query(
        "update customers set thread_claim = $3, thread_claim_until = $5
         where workspace_id = $1 and id = $2
           and (thread_ts is null or thread_channel is null or thread_channel <> $6)
           and (thread_claim is null or thread_claim = $3 or thread_claim_until < $4)",
    )
    .bind(workspace.as_str())
    .bind(id)
    .bind(token)
    .bind(now_ms)
    .bind(until_ms)
    .bind(channel)
    .execute(&mut *conn)
    .await?;
    let taken_over = holder.flatten().is_some_and(|holder| holder != token);
    Ok((claimed.rows_affected() == 1).then_some(taken_over))
}

/// Holds a claim taken with [`claim_customer_thread`] until `until_ms` (its
/// post is in doubt); whoever takes it over after that knows it was.
pub async fn update_customer_thread_claim(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    id: i64,
    token: &str,
    until_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update customers set thread_claim_until = $4 where workspace_id = $1 and id = $2 and thread_claim = $3",
    )
    .bind(workspace.as_str())
    .bind(id)
    .bind(token)
    .bind(until_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Gives up a claim taken with [`claim_customer_thread`] (the post failed).
pub async fn release_customer_thread(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    id: i64,
    token: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update customers set thread_claim = null, thread_claim_until = null
         where workspace_id = $1 and id = $2 and thread_claim = $3",
    )
    .bind(workspace.as_str())
    .bind(id)
    .bind(token)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records where the customer's thread lives.
pub async fn update_customer_thread(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    id: i64,
    channel: &str,
    ts: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update customers set thread_channel = $3, thread_ts = $4, thread_claim = null, thread_claim_until = null, updated_at = $5
         where workspace_id = $1 and id = $2",
    )
    .bind(workspace.as_str())
    .bind(id)
    .bind(channel)
    .bind(ts)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Per product area, how many highlights a customer has, most first.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AreaCount {
    /// Area name.
    pub area: String,
    /// Highlights in it.
    pub highlights: i64,
}

/// What a customer's thread parent summarises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerSummary {
    /// Highlights in all.
    pub highlights: i64,
    /// Distinct interviews.
    pub interviews: i64,
    /// Distinct interviewers.
    pub interviewers: i64,
    /// Per area, most first.
    pub areas: Vec<AreaCount>,
}

/// A customer's highlights, interviews and interviewers (`$1` workspace, `$2`
/// customer): read from `highlights_by_customer_area` alone on SQLite.
const CUSTOMER_COUNTS: &str = "select count(*), count(distinct h.interview_id), count(distinct h.author)
     from highlights h where h.workspace_id = $1 and h.customer_id = $2";

/// Counts for a customer's thread parent.
pub async fn find_customer_summary(db: &Db, workspace: &WorkspaceId, id: i64) -> Result<CustomerSummary, sqlx::Error> {
    let (highlights, interviews, interviewers): (i64, i64, i64) =
        sqlx::query_as(CUSTOMER_COUNTS).bind(workspace.as_str()).bind(id).fetch_one(db.reader()).await?;
    let areas = sqlx::query_as(
        "select a.name as area, count(*) as highlights
         from highlights h join product_areas a on a.workspace_id = h.workspace_id and a.id = h.area_id
         where h.workspace_id = $1 and h.customer_id = $2
         group by a.name order by count(*) desc, a.name",
    )
    .bind(workspace.as_str())
    .bind(id)
    .fetch_all(db.reader())
    .await?;
    Ok(CustomerSummary { highlights, interviews, interviewers, areas })
}

/// Where a customer's thread parent was posted (channel, ts) and its permalink.
pub async fn find_customer_thread_post(
    db: &Db,
    workspace: &WorkspaceId,
    id: i64,
) -> Result<Option<(Option<String>, Option<String>, Option<String>)>, sqlx::Error> {
    sqlx::query_as(
        "select thread_channel, thread_ts, thread_permalink from customers where workspace_id = $1 and id = $2",
    )
    .bind(workspace.as_str())
    .bind(id)
    .fetch_optional(db.reader())
    .await
}

/// Records the permalink of a customer's thread parent.
pub async fn update_customer_thread_permalink(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    id: i64,
    permalink: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update customers set thread_permalink = $3 where workspace_id = $1 and id = $2")
        .bind(workspace.as_str())
        .bind(id)
        .bind(permalink)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A customer as a suggestion: its name and when it was last heard from.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CustomerMatch {
    /// Row id.
    pub id: i64,
    /// Normalized key.
    pub key: String,
    /// Name to show.
    pub display_name: String,
    /// The last highlight's time (unix ms), 0 when none.
    pub last_activity: i64,
}

/// Customers (not merged away) whose key or an alias contains `fragment`,
/// with their last activity; at most `limit`, most recent first.
pub async fn list_customers_matching(
    db: &Db,
    workspace: &WorkspaceId,
    fragment: &str,
    limit: i64,
) -> Result<Vec<CustomerMatch>, sqlx::Error> {
    let pattern = format!("%{}%", fragment.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    sqlx::query_as(
        "select c.id, c.key, c.display_name,
                coalesce((select max(h.created_at) from highlights h
                          where h.workspace_id = c.workspace_id and h.customer_id = c.id), 0) as last_activity
         from customers c
         where c.workspace_id = $1 and c.merged_into is null
           and (c.key like $2 escape '\\'
                or exists (select 1 from customer_aliases a
                           where a.workspace_id = c.workspace_id and a.customer_id = c.id and a.key like $2 escape '\\'))
         order by last_activity desc, c.key
         limit $3",
    )
    .bind(workspace.as_str())
    .bind(pattern)
    .bind(limit)
    .fetch_all(db.reader())
    .await
}

/// The customers whose names are near `key`, found through indexes so the
/// cost stays flat however many customers there are: the ones one typo away
/// (a deleted, added or changed character: through `customer_key_variants`),
/// the ones whose name is a prefix of it or starts with it, and the ones that
/// share its first four characters (where similar spellings live). Callers
/// pick the truly near ones (`customers::suggest::near_duplicates`).
pub async fn list_near_customers(
    db: &Db,
    workspace: &WorkspaceId,
    key: &str,
) -> Result<Vec<CustomerMatch>, sqlx::Error> {
    if key.is_empty() {
        return Ok(Vec::new());
    }
    let variants = key_variants(key);
    let prefixes = key_prefixes(key);
    let first4: String = key.chars().take(4).collect();
    // Byte order for prefix ranges, whatever the database's collation.
    let c = db.backend().byte_order();
    let v = crate::store::numbered_params(6, variants.len());
    let p = crate::store::numbered_params(6 + variants.len(), prefixes.len());
    let sql = format!(
        "select c.id, c.key, c.display_name, 0 as last_activity from customers c
         where c.workspace_id = $1 and c.merged_into is null
           and c.id in (select v.customer_id from customer_key_variants v where v.workspace_id = $1 and v.variant in ({v}))
         union
         select c.id, c.key, c.display_name, 0 from customers c
         where c.workspace_id = $1 and c.merged_into is null and c.key in ({p})
         union
         select * from (select c.id, c.key, c.display_name, 0 from customers c
                        where c.workspace_id = $1 and c.merged_into is null
                          and c.key{c} > $2{c} and c.key{c} < $3{c} order by c.key{c} limit 50) longer
         union
         select * from (select c.id, c.key, c.display_name, 0 from customers c
                        where c.workspace_id = $1 and c.merged_into is null
                          and c.key{c} >= $4{c} and c.key{c} < $5{c} order by c.key{c} limit 200) alike"
    );
    let mut query = sqlx::query_as(&sql)
        .bind(workspace.as_str())
        .bind(format!("{key} "))
        .bind(format!("{key}{}", char::MAX))
        .bind(first4.clone())
        .bind(format!("{first4}{}", char::MAX));
    for variant in &variants {
        query = query.bind(variant);
    }
    for prefix in &prefixes {
        query = query.bind(prefix);
    }
    query.fetch_all(db.reader()).await
}

/// Keys longer than this get no typo variants (names are short; this bounds
/// the rows a customer costs).
const MAX_VARIANT_KEY_CHARS: usize = 64;

/// A key and every spelling of it with one character deleted: two keys one
/// typo apart (a character deleted, added or changed) share one of these.
pub fn key_variants(key: &str) -> Vec<String> {
    let chars: Vec<char> = key.chars().collect();
    let mut variants = vec![key.to_owned()];
    if chars.len() <= MAX_VARIANT_KEY_CHARS {
        for i in 0..chars.len() {
            let variant: String = chars[..i].iter().chain(&chars[i + 1..]).collect();
            if !variant.is_empty() && !variants.contains(&variant) {
                variants.push(variant);
            }
        }
    }
    variants
}

/// The beginnings of a key another customer's whole key could be: each
/// before a space, and each of five characters or more.
fn key_prefixes(key: &str) -> Vec<String> {
    let mut prefixes: Vec<String> = Vec::new();
    for (i, c) in key.char_indices() {
        let prefix = &key[..i];
        if (c == ' ' || prefix.chars().count() >= 5) && !prefix.is_empty() && !prefixes.iter().any(|p| p == prefix) {
            prefixes.push(prefix.to_owned());
        }
    }
    prefixes.truncate(MAX_VARIANT_KEY_CHARS);
    if prefixes.is_empty() {
        prefixes.push(key.to_owned());
    }
    prefixes
}

/// Records a new customer's typo variants (see [`key_variants`]).
async fn insert_key_variants(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    id: i64,
    key: &str,
) -> Result<(), sqlx::Error> {
    let variants = key_variants(key);
    let rows: Vec<String> = (0..variants.len()).map(|i| format!("($1, ${}, $2)", i + 3)).collect();
    let sql = format!(
        "insert into customer_key_variants (workspace_id, variant, customer_id) values {}
         on conflict do nothing",
        rows.join(", ")
    );
    let mut query = sqlx::query(&sql).bind(workspace.as_str()).bind(id);
    for variant in &variants {
        query = query.bind(variant);
    }
    query.execute(conn).await?;
    Ok(())
}

/// Totals of everything a customer said.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CustomerTotals {
    /// Highlights.
    pub highlights: i64,
    /// Distinct interviews.
    pub interviews: i64,
    /// Distinct interviewers.
    pub interviewers: i64,
    /// First interview date, `YYYY-MM-DD`.
    pub first_contact: Option<String>,
    /// Last interview date.
    pub last_contact: Option<String>,
}

/// Totals for the customer view.
pub async fn find_customer_totals(db: &Db, workspace: &WorkspaceId, id: i64) -> Result<CustomerTotals, sqlx::Error> {
    sqlx::query_as(
        "select count(h.id) as highlights, count(distinct h.interview_id) as interviews,
                count(distinct h.author) as interviewers,
                min(i.interview_date) as first_contact, max(i.interview_date) as last_contact
         from highlights h join interviews i on i.workspace_id = h.workspace_id and i.id = h.interview_id
         where h.workspace_id = $1 and h.customer_id = $2",
    )
    .bind(workspace.as_str())
    .bind(id)
    .fetch_one(db.reader())
    .await
}

/// One quote in the customer view.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AreaQuote {
    /// Area name.
    pub area: String,
    /// Highlights of this customer in the area.
    pub area_highlights: i64,
    /// The quote.
    pub quote: String,
    /// Its kind.
    pub kind: String,
    /// Who captured it.
    pub author: String,
    /// Interview date.
    pub interview_date: String,
    /// Link to the posted reply.
    pub permalink: Option<String>,
    /// Link into the recording.
    pub recording_link: Option<String>,
    /// The moment in the recording, in seconds.
    pub recording_at: Option<i64>,
    /// Rank of the quote inside its area, newest first (1-based).
    pub rank: i64,
    /// When a shipment closed it, `YYYY-MM-DD` (design.md, Behaviour: closing the loop).
    pub shipped_on: Option<String>,
    /// Who was interviewed (name and role at the customer).
    pub interviewee: Option<String>,
    /// The manager who endorsed it (Slack user id).
    pub endorsed_by: Option<String>,
    /// When it was captured (unix ms).
    pub created_at: i64,
}

/// Per area, the customer's latest `per_area` quotes, areas with the most
/// highlights first.
pub async fn list_customer_quotes_by_area(
    db: &Db,
    workspace: &WorkspaceId,
    id: i64,
    per_area: i64,
) -> Result<Vec<AreaQuote>, sqlx::Error> {
    sqlx::query_as(
        "select area, area_highlights, quote, kind, author, interview_date, permalink, recording_link, recording_at,
                rank, shipped_on, interviewee, endorsed_by, created_at from (
             select a.name as area,
                    count(*) over (partition by h.area_id) as area_highlights,
                    row_number() over (partition by h.area_id order by h.created_at desc, h.id desc) as rank,
                    max(h.created_at) over (partition by h.area_id) as area_latest,
                    h.quote, h.kind, h.author, i.interview_date, h.permalink, h.recording_link, h.recording_at,
                    s.shipped_on, i.interviewee, h.endorsed_by, h.created_at
             from highlights h
             join product_areas a on a.workspace_id = h.workspace_id and a.id = h.area_id
             join interviews i on i.workspace_id = h.workspace_id and i.id = h.interview_id
             left join shipments s on s.workspace_id = h.workspace_id and s.id = h.closed_by_shipment
             where h.workspace_id = $1 and h.customer_id = $2
         ) ranked
         where rank <= $3
         order by area_highlights desc, area_latest desc, area, rank",
    )
    .bind(workspace.as_str())
    .bind(id)
    .bind(per_area)
    .fetch_all(db.reader())
    .await
}

/// A customer's thread permalink and attributes, for the customer view.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CustomerDetails {
    /// Permalink of the thread parent.
    pub thread_permalink: Option<String>,
    /// Segment, when imported.
    pub segment: Option<String>,
    /// Annual recurring revenue in cents, when imported.
    pub arr_cents: Option<i64>,
}

/// Thread link and attributes of a customer.
pub async fn find_customer_details(db: &Db, workspace: &WorkspaceId, id: i64) -> Result<CustomerDetails, sqlx::Error> {
    sqlx::query_as("select thread_permalink, segment, arr_cents from customers where workspace_id = $1 and id = $2")
        .bind(workspace.as_str())
        .bind(id)
        .fetch_one(db.reader())
        .await
}

/// Merges `from` into `into`: highlights and interviews move (interviews that
/// collide on person and day become one), `from`'s name and aliases lead to
/// `into` from now on, and `from` is marked merged.
pub async fn merge_customers(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    from: &Customer,
    into: &Customer,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let ws = workspace.as_str();
    sqlx::query("update customers set merged_into = $3, updated_at = $4 where workspace_id = $1 and id = $2")
        .bind(ws)
        .bind(from.id)
        .bind(into.id)
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
    // Interviews by the same person on the same day as one of `into`'s fold into it.
    let collisions: Vec<(i64, i64)> = sqlx::query_as(
        "select f.id, t.id from interviews f join interviews t
           on t.workspace_id = f.workspace_id and t.customer_id = $3
          and t.interviewer = f.interviewer and t.interview_date = f.interview_date
         where f.workspace_id = $1 and f.customer_id = $2",
    )
    .bind(ws)
    .bind(from.id)
    .bind(into.id)
    .fetch_all(&mut *conn)
    .await?;
    for (from_interview, into_interview) in collisions {
        sqlx::query("update highlights set interview_id = $3 where workspace_id = $1 and interview_id = $2")
            .bind(ws)
            .bind(from_interview)
            .bind(into_interview)
            .execute(&mut *conn)
            .await?;
        sqlx::query("delete from interviews where workspace_id = $1 and id = $2")
            .bind(ws)
            .bind(from_interview)
            .execute(&mut *conn)
            .await?;
    }
    for table in ["interviews", "highlights", "feedback_items"] {
        sqlx::query(&format!("update {table} set customer_id = $3 where workspace_id = $1 and customer_id = $2"))
            .bind(ws)
            .bind(from.id)
            .bind(into.id)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("update customer_aliases set customer_id = $3 where workspace_id = $1 and customer_id = $2")
        .bind(ws)
        .bind(from.id)
        .bind(into.id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "insert into customer_aliases (workspace_id, key, customer_id, display_name, created_at)
         values ($1, $2, $3, $4, $5)
         on conflict (workspace_id, key) do update set customer_id = excluded.customer_id",
    )
    .bind(ws)
    .bind(&from.key)
    .bind(into.id)
    .bind(&from.display_name)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A customer row from an import file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedCustomer {
    /// Name and key.
    pub name: CustomerName,
    /// Other names, normalized.
    pub aliases: Vec<CustomerName>,
    /// Segment.
    pub segment: Option<String>,
    /// ARR in cents.
    pub arr_cents: Option<i64>,
}

/// Creates or updates imported customers and their aliases, all or nothing.
/// Returns (created, updated).
pub async fn upsert_imported_customers(
    conn: &mut sqlx::AnyConnection,
    workspace: &WorkspaceId,
    rows: &[ImportedCustomer],
    now_ms: i64,
) -> Result<(usize, usize), sqlx::Error> {
    let (mut created, mut updated) = (0, 0);
    for row in rows {
        let existing = find_customer_id_by_key(&mut *conn, workspace, &row.name.key).await?;
        let id = match existing {
            Some(id) => {
                sqlx::query(
                    "update customers set segment = $3, arr_cents = $4, updated_at = $5 where workspace_id = $1 and id = $2",
                )
                .bind(workspace.as_str())
                .bind(id)
                .bind(&row.segment)
                .bind(row.arr_cents)
                .bind(now_ms)
                .execute(&mut *conn)
                .await?;
                updated += 1;
                id
            }
            None => {
                created += 1;
                let id = sqlx::query_scalar(
                    "insert into customers (workspace_id, key, display_name, segment, arr_cents, created_at, updated_at)
                     values ($1, $2, $3, $4, $5, $6, $6) returning id",
                )
                .bind(workspace.as_str())
                .bind(&row.name.key)
                .bind(&row.name.display)
                .bind(&row.segment)
                .bind(row.arr_cents)
                .bind(now_ms)
                .fetch_one(&mut *conn)
                .await?;
                insert_key_variants(&mut *conn, workspace, id, &row.name.key).await?;
                id
            }
        };
        for alias in row.aliases.iter().filter(|a| a.key != row.name.key) {
            sqlx::query(
                "insert into customer_aliases (workspace_id, key, customer_id, display_name, created_at)
                 values ($1, $2, $3, $4, $5) on conflict (workspace_id, key) do nothing",
            )
            .bind(workspace.as_str())
            .bind(&alias.key)
            .bind(id)
            .bind(&alias.display)
            .bind(now_ms)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok((created, updated))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::plans::{sqlite_plan, Bind};

    #[tokio::test]
    async fn a_customers_counts_read_only_their_highlights_on_sqlite() {
        let plan = sqlite_plan(CUSTOMER_COUNTS, &[Bind::Text("T0AAAAAAA"), Bind::Int(7)]).await;
        let steps_on_highlights: Vec<&String> = plan.iter().filter(|step| step.contains(" h ")).collect();
        assert_eq!(
            steps_on_highlights,
            vec!["SEARCH h USING COVERING INDEX highlights_by_customer_area (workspace_id=? AND customer_id=?)"],
            "not read by the customer: {plan:?}"
        );
    }

    #[test]
    fn variants_are_the_key_and_each_deletion() {
        assert_eq!(key_variants("acme"), vec!["acme", "cme", "ame", "ace", "acm"]);
        assert_eq!(key_variants("aa"), vec!["aa", "a"]);
        // "acne" and "acme" (a changed letter) share "ace"; "acmee" (an added
        // one) has "acme" itself among its variants.
        assert!(key_variants("acne").iter().any(|v| key_variants("acme").contains(v)));
        assert!(key_variants("acmee").contains(&"acme".to_owned()));
    }

    #[test]
    fn prefixes_stop_at_words_and_from_five_characters() {
        assert_eq!(key_prefixes("acme crop"), vec!["acme", "acme ", "acme c", "acme cr", "acme cro"]);
        assert_eq!(key_prefixes("abc"), vec!["abc"]);
    }
}
