//! Prototype testers (design.md, Behaviour: Testers): which customers would
//! try a prototype in which product area, the quote that qualified them, and
//! each time one was put before someone looking for testers ("asked").

use sqlx::AnyConnection;

use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// Marks a customer as a tester of an area (again: the mark stays, a newer
/// qualifying quote replaces the older). Whether the mark is new.
pub async fn upsert_tester(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    customer_id: i64,
    area_id: i64,
    highlight_id: Option<i64>,
    by: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let existed: Option<i64> =
        sqlx::query_scalar("select 1 from testers where workspace_id = $1 and customer_id = $2 and area_id = $3")
            .bind(workspace.as_str())
            .bind(customer_id)
            .bind(area_id)
            .fetch_optional(&mut *conn)
            .await?;
    sqlx::query(
        "insert into testers (workspace_id, customer_id, area_id, highlight_id, marked_by, created_at)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (workspace_id, customer_id, area_id)
         do update set highlight_id = coalesce(excluded.highlight_id, testers.highlight_id)",
    )
    .bind(workspace.as_str())
    .bind(customer_id)
    .bind(area_id)
    .bind(highlight_id)
    .bind(by)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(existed.is_none())
}

/// The highlight a capture just stored: by its customer, area, author,
/// moment and words (a capture's highlights share their moment).
pub async fn find_captured_highlight(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    customer_id: i64,
    area_id: i64,
    author: &str,
    created_at: i64,
    quote: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "select max(id) from highlights
         where workspace_id = $1 and customer_id = $2 and area_id = $3 and author = $4 and created_at = $5
           and quote = $6",
    )
    .bind(workspace.as_str())
    .bind(customer_id)
    .bind(area_id)
    .bind(author)
    .bind(created_at)
    .bind(quote)
    .fetch_one(&mut *conn)
    .await
}

/// The testers a capture's ticked highlights make (`ticked`: area id and
/// quote as stored), each qualified by its own quote; how many were new.
pub async fn insert_testers_from_capture(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    customer_id: i64,
    author: &str,
    created_at: i64,
    ticked: &[(i64, String)],
) -> Result<usize, sqlx::Error> {
    let mut new = 0;
    for (area_id, quote) in ticked {
        let highlight =
            find_captured_highlight(&mut *conn, workspace, customer_id, *area_id, author, created_at, quote).await?;
        if upsert_tester(&mut *conn, workspace, customer_id, *area_id, highlight, author, created_at).await? {
            new += 1;
        }
    }
    Ok(new)
}

/// Unmarks a tester; whether there was a mark.
pub async fn delete_tester(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    customer_id: i64,
    area_id: i64,
) -> Result<bool, sqlx::Error> {
    let deleted = sqlx::query("delete from testers where workspace_id = $1 and customer_id = $2 and area_id = $3")
        .bind(workspace.as_str())
        .bind(customer_id)
        .bind(area_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(deleted > 0)
}

/// A tester of an area, with what qualified them and how often they were asked.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Tester {
    /// Customer id.
    pub customer_id: i64,
    /// The customer, as it may be shown.
    #[sqlx(flatten)]
    pub customer: crate::domain::ShownCustomer,
    /// The qualifying quote: the one ticked in the capture modal, else the
    /// customer's latest in the area (None: marked by command, never quoted there).
    pub quote: Option<String>,
    /// Who heard that quote.
    pub quote_author: Option<String>,
    /// Its interview's date.
    pub quote_date: Option<String>,
    /// Who was interviewed then (name and role), when recorded.
    pub interviewee: Option<String>,
    /// When they were last asked (unix ms), if ever.
    pub last_asked: Option<i64>,
    /// Times asked since the quarter began.
    pub asked_this_quarter: i64,
}

/// The testers of an area, least asked this quarter first, then longest
/// since last asked (never first), then by name.
pub async fn list_testers(
    db: &Db,
    workspace: &WorkspaceId,
    area_id: i64,
    quarter_start_ms: i64,
) -> Result<Vec<Tester>, sqlx::Error> {
    // An anonymous customer is placed by its label, not among names.
    sqlx::query_as(&format!(
        "select * from (
         select t.customer_id, {}, q.quote, q.author as quote_author,
                i.interview_date as quote_date, i.interviewee,
                (select max(k.asked_at) from tester_asks k
                 where k.workspace_id = t.workspace_id and k.customer_id = t.customer_id) as last_asked,
                (select count(*) from tester_asks k
                 where k.workspace_id = t.workspace_id and k.customer_id = t.customer_id
                   and k.asked_at >= $3) as asked_this_quarter
         from testers t
         join customers c on c.workspace_id = t.workspace_id and c.id = t.customer_id
         left join highlights q on q.workspace_id = t.workspace_id and q.id = coalesce(t.highlight_id,
              (select max(h.id) from highlights h
               where h.workspace_id = t.workspace_id and h.customer_id = t.customer_id and h.area_id = t.area_id))
         left join interviews i on i.workspace_id = q.workspace_id and i.id = q.interview_id
         where t.workspace_id = $1 and t.area_id = $2
         ) listed order by asked_this_quarter, coalesce(last_asked, 0),
           case when customer_anonymous <> 0 then 'Customer' else customer end, customer_label, customer_id",
        crate::store::privacy::shown_columns("c")
    ))
    .bind(workspace.as_str())
    .bind(area_id)
    .bind(quarter_start_ms)
    .fetch_all(db.reader())
    .await
}

/// Records that the testers `customer_ids` of an area were put before `by`.
pub async fn insert_tester_asks(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    area_id: i64,
    customer_ids: &[i64],
    by: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    for customer_id in customer_ids {
        sqlx::query(
            "insert into tester_asks (workspace_id, customer_id, area_id, asked_by, asked_at)
             values ($1, $2, $3, $4, $5)",
        )
        .bind(workspace.as_str())
        .bind(customer_id)
        .bind(area_id)
        .bind(by)
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Who knows a customer: the people who interviewed them and their
/// followers, each once, interviewers first.
pub async fn list_people_knowing(
    db: &Db,
    workspace: &WorkspaceId,
    customer_id: i64,
) -> Result<(Vec<String>, Vec<String>), sqlx::Error> {
    let interviewers = crate::store::briefs::list_customer_interviewers(db, workspace, customer_id)
        .await?
        .into_iter()
        .map(|interviewer| interviewer.user_id)
        .collect();
    let followers = crate::store::follows::list_followers(db, workspace, customer_id).await?;
    Ok((interviewers, followers))
}

/// The areas a customer would test a prototype in, by name.
pub async fn list_customer_tester_areas(
    db: &Db,
    workspace: &WorkspaceId,
    customer_id: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select a.name from testers t join product_areas a on a.workspace_id = t.workspace_id and a.id = t.area_id
         where t.workspace_id = $1 and t.customer_id = $2 order by a.name",
    )
    .bind(workspace.as_str())
    .bind(customer_id)
    .fetch_all(db.reader())
    .await
}

/// A customer merge: `from`'s marks and asks go to `into` (a mark both had stays once).
pub async fn update_testers_merged_customer(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    from: i64,
    into: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into testers (workspace_id, customer_id, area_id, highlight_id, marked_by, created_at)
         select workspace_id, $3, area_id, highlight_id, marked_by, created_at from testers
         where workspace_id = $1 and customer_id = $2
         on conflict (workspace_id, customer_id, area_id) do nothing",
    )
    .bind(workspace.as_str())
    .bind(from)
    .bind(into)
    .execute(&mut *conn)
    .await?;
    sqlx::query("delete from testers where workspace_id = $1 and customer_id = $2")
        .bind(workspace.as_str())
        .bind(from)
        .execute(&mut *conn)
        .await?;
    sqlx::query("update tester_asks set customer_id = $3 where workspace_id = $1 and customer_id = $2")
        .bind(workspace.as_str())
        .bind(from)
        .bind(into)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// An area merge: `from`'s testers become `into`'s (a mark both had stays once).
pub async fn update_testers_merged_area(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    from: i64,
    into: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into testers (workspace_id, customer_id, area_id, highlight_id, marked_by, created_at)
         select workspace_id, customer_id, $3, highlight_id, marked_by, created_at from testers
         where workspace_id = $1 and area_id = $2
         on conflict (workspace_id, customer_id, area_id) do nothing",
    )
    .bind(workspace.as_str())
    .bind(from)
    .bind(into)
    .execute(&mut *conn)
    .await?;
    sqlx::query("delete from testers where workspace_id = $1 and area_id = $2")
        .bind(workspace.as_str())
        .bind(from)
        .execute(&mut *conn)
        .await?;
    sqlx::query("update tester_asks set area_id = $3 where workspace_id = $1 and area_id = $2")
        .bind(workspace.as_str())
        .bind(from)
        .bind(into)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
