//! Forgetting a customer at their request (design.md, Behaviour: Privacy):
//! what there is to erase, and the erase itself, in one transaction with the
//! outbox rows that delete its thread and mend the digests and reports that
//! quoted it. Every table with a `customer_id` is listed in
//! [`CUSTOMER_TABLES`]; a test fails when one is missing.

use serde_json::Value;
use sqlx::AnyConnection;

use crate::store::follows::QuietCustomer;
use crate::store::outbox::{insert_outbox_row, OutboxKind};
use crate::store::workspaces::WorkspaceId;
use crate::store::{backend_of, numbered_params, Backend, Db};

/// How a table's rows about the customer go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Erase {
    /// Deleted.
    Delete,
    /// Kept without the customer and its words (`message_text`,
    /// `permalink`), so they keep counting toward onboarding: feedback items.
    Detach,
}

/// Every table whose rows name a customer (`customer_id`), in the order the
/// erase goes through them (rows others refer to last). Interviews are
/// counted in `forgotten_interviews` before they go.
pub const CUSTOMER_TABLES: &[(&str, Erase)] = &[
    ("follows", Erase::Delete),
    ("planned_interviews", Erase::Delete),
    ("tester_asks", Erase::Delete),
    ("testers", Erase::Delete),
    ("customer_aliases", Erase::Delete),
    ("customer_key_variants", Erase::Delete),
    ("feedback_items", Erase::Detach),
    ("highlights", Erase::Delete),
    // Emptied by its triggers as the highlights go; deleted again to be sure.
    ("highlight_days", Erase::Delete),
    ("interviews", Erase::Delete),
];

/// What a forgotten feedback item's text becomes.
pub const REMOVED_TEXT: &str = "(removed at the customer's request)";

/// How long digests and reports already posted are mended, in days.
pub const MEND_DAYS: i64 = 90;

/// What forgetting a customer erases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ForgetCounts {
    /// Highlights deleted.
    pub highlights: i64,
    /// Interviews deleted (still counted for onboarding).
    pub interviews: i64,
    /// Feedback items kept without the customer.
    pub feedback_items: i64,
    /// The app's messages in its thread, deleted.
    pub thread_messages: i64,
}

/// The customer and every customer merged into it: all of them are the one
/// customer being forgotten.
async fn customer_ids(conn: &mut AnyConnection, workspace: &WorkspaceId, id: i64) -> Result<Vec<i64>, sqlx::Error> {
    let mut ids = vec![id];
    let mut next = vec![id];
    // Merges chain at most a few times; the bound guards against a cycle.
    for _ in 0..8 {
        if next.is_empty() {
            break;
        }
        let sql = format!(
            "select id from customers where workspace_id = $1 and merged_into in ({})",
            numbered_params(2, next.len())
        );
        let mut query = sqlx::query_scalar::<_, i64>(&sql).bind(workspace.as_str());
        for id in &next {
            query = query.bind(*id);
        }
        next = query.fetch_all(&mut *conn).await?.into_iter().filter(|id| !ids.contains(id)).collect();
        ids.extend(&next);
    }
    Ok(ids)
}

/// `count(*)` of a table's rows about these customers.
async fn count_rows(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    table: &str,
    ids: &[i64],
) -> Result<i64, sqlx::Error> {
    let sql = format!(
        "select count(*) from {table} where workspace_id = $1 and customer_id in ({})",
        numbered_params(2, ids.len())
    );
    let mut query = sqlx::query_scalar::<_, i64>(&sql).bind(workspace.as_str());
    for id in ids {
        query = query.bind(*id);
    }
    query.fetch_one(&mut *conn).await
}

/// The customers' threads: (channel, parent ts).
async fn list_threads(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    ids: &[i64],
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let sql = format!(
        "select thread_channel, thread_ts from customers
         where workspace_id = $1 and thread_channel is not null and thread_ts is not null and id in ({})
         order by id",
        numbered_params(2, ids.len())
    );
    let mut query = sqlx::query_as::<_, (String, String)>(&sql).bind(workspace.as_str());
    for id in ids {
        query = query.bind(*id);
    }
    query.fetch_all(&mut *conn).await
}

/// The app's messages in the customers' threads: the parents, the posted
/// highlights and the `Shipped:` replies.
async fn count_thread_messages(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    ids: &[i64],
) -> Result<i64, sqlx::Error> {
    let parents = list_threads(conn, workspace, ids).await?.len() as i64;
    let params = numbered_params(2, ids.len());
    let sql = format!(
        "select count(*) from highlights where workspace_id = $1 and posted_ts is not null and customer_id in ({params})"
    );
    let mut query = sqlx::query_scalar::<_, i64>(&sql).bind(workspace.as_str());
    for id in ids {
        query = query.bind(*id);
    }
    let replies = query.fetch_one(&mut *conn).await?;
    let mut shipped = 0;
    for id in ids {
        let n: i64 = sqlx::query_scalar(
            "select count(*) from outbox where workspace_id = $1 and kind = 'post_shipped' and status = 'done'
               and dedupe_key like $2",
        )
        .bind(workspace.as_str())
        .bind(format!("shipped:%:{id}"))
        .fetch_one(&mut *conn)
        .await?;
        shipped += n;
    }
    Ok(parents + replies + shipped)
}

/// What forgetting the customer `id` would erase.
pub async fn count_customer_rows(db: &Db, workspace: &WorkspaceId, id: i64) -> Result<ForgetCounts, sqlx::Error> {
    let mut conn = db.reader().acquire().await?;
    let ids = customer_ids(&mut conn, workspace, id).await?;
    Ok(ForgetCounts {
        highlights: count_rows(&mut conn, workspace, "highlights", &ids).await?,
        interviews: count_rows(&mut conn, workspace, "interviews", &ids).await?,
        feedback_items: count_rows(&mut conn, workspace, "feedback_items", &ids).await?,
        thread_messages: count_thread_messages(&mut conn, workspace, &ids).await?,
    })
}

/// A digest or report the app posted, to mend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedQuotes {
    /// The outbox key it was posted with (in its metadata).
    pub key: String,
    /// Who got it by DM (a report); None: the product channel (a digest).
    pub to: Option<String>,
}

/// The digests and reports the app posted since `since_ms`.
async fn list_posted_quotes(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    since_ms: i64,
) -> Result<Vec<PostedQuotes>, sqlx::Error> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "select dedupe_key, payload from outbox
         where workspace_id = $1 and status = 'done' and kind in ('post_digest', 'send_report') and created_at >= $2
         order by id",
    )
    .bind(workspace.as_str())
    .bind(since_ms)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(key, payload)| {
            let payload: Value = serde_json::from_str(&payload).unwrap_or(Value::Null);
            PostedQuotes { key, to: payload["to"].as_str().map(str::to_owned) }
        })
        .collect())
}

/// The keys of the outbox rows about these customers and their highlights
/// (and the shipments that closed them): posts, updates, permalinks,
/// `Shipped:` replies. Done or not, they go: ids may be given again (SQLite
/// reuses the highest), and a done row's key would stop the new row's work.
fn outbox_keys(customers: &[i64], highlights: &[i64], shipments: &[i64]) -> Vec<String> {
    let mut kinds = Vec::new();
    for &highlight_id in highlights {
        kinds.push(OutboxKind::PostHighlight { highlight_id });
        kinds.push(OutboxKind::UpdateHighlight { highlight_id });
        kinds.push(OutboxKind::FillPermalink { highlight_id });
    }
    for &customer_id in customers {
        kinds.push(OutboxKind::UpdateThreadParent { customer_id });
        kinds.push(OutboxKind::MarkThreadMerged { customer_id, into_customer_id: 0 });
        kinds.push(OutboxKind::FillThreadPermalink { customer_id });
        for &shipment_id in shipments {
            kinds.push(OutboxKind::PostShipped { shipment_id, customer_id });
        }
    }
    kinds.iter().map(OutboxKind::dedupe_key).collect()
}

/// How a DM the app queued or sent about several customers (a `shipped`
/// DM) loses the forgotten one, in the words of the feature that wrote it:
/// given its text, the customer's quotes and the names it went by, the text
/// without them, or None when nothing about anyone else is left in it.
pub type Redact = fn(&str, &[String], &[String]) -> Option<String>;

/// The `shipped` DMs of these shipments, queued or sent, redacted with
/// `redact`: a queued one left about nobody else is not sent; a sent one
/// keeps only the removal notice.
async fn redact_shipped_dms(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    shipments: &[i64],
    quotes: &[String],
    names: &[String],
    redact: Redact,
) -> Result<(), sqlx::Error> {
    for shipment in shipments {
        let rows: Vec<(i64, String, String)> = sqlx::query_as(
            "select id, status, payload from outbox
             where workspace_id = $1 and kind = 'notify_user' and dedupe_key like $2",
        )
        .bind(workspace.as_str())
        .bind(format!("notify:%:shipped:{shipment}"))
        .fetch_all(&mut *conn)
        .await?;
        for (row, status, payload) in rows {
            let Ok(OutboxKind::NotifyUser { user, text, topic }) = serde_json::from_str(&payload) else { continue };
            let text = match redact(&text, quotes, names) {
                Some(redacted) if redacted == text => continue,
                Some(redacted) => redacted,
                None if status != "done" => {
                    delete_outbox_row(conn, workspace, row).await?;
                    continue;
                }
                None => REMOVED_TEXT.to_owned(),
            };
            update_outbox_payload(conn, workspace, row, &OutboxKind::NotifyUser { user, text, topic }).await?;
        }
    }
    Ok(())
}

/// Takes these customers out of every nudge, queued or sent (a nudge lists
/// its customers by name); a queued nudge left with none is not sent.
/// Nudges queued before they carried ids are matched by the names shown.
async fn remove_from_nudges(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    ids: &[i64],
    names: &[String],
) -> Result<(), sqlx::Error> {
    let rows: Vec<(i64, String, String)> =
        sqlx::query_as("select id, status, payload from outbox where workspace_id = $1 and kind = 'nudge_follower'")
            .bind(workspace.as_str())
            .fetch_all(&mut *conn)
            .await?;
    let named = |shown: &str| names.iter().any(|n| shown == n || shown.starts_with(&format!("{n} (")));
    for (row, status, payload) in rows {
        let Ok(OutboxKind::NudgeFollower { user, date, mut customers }) = serde_json::from_str(&payload) else {
            continue;
        };
        let before = customers.len();
        let forgotten = |c: &QuietCustomer| ids.contains(&c.customer_id) || (c.customer_id == 0 && named(&c.name));
        customers.retain(|c| !forgotten(c));
        if customers.len() == before {
            continue;
        }
        if customers.is_empty() && status != "done" {
            delete_outbox_row(conn, workspace, row).await?;
        } else {
            update_outbox_payload(conn, workspace, row, &OutboxKind::NudgeFollower { user, date, customers }).await?;
        }
    }
    Ok(())
}

async fn delete_outbox_row(conn: &mut AnyConnection, workspace: &WorkspaceId, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("delete from outbox where workspace_id = $1 and id = $2")
        .bind(workspace.as_str())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn update_outbox_payload(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    id: i64,
    kind: &OutboxKind,
) -> Result<(), sqlx::Error> {
    let payload = serde_json::to_string(kind).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query("update outbox set payload = $3 where workspace_id = $1 and id = $2")
        .bind(workspace.as_str())
        .bind(id)
        .bind(payload)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Keys deleted per statement (well within both backends' parameter limits).
const KEYS_PER_DELETE: usize = 500;

/// Erases the customer `id` (and the customers merged into it), in the
/// caller's transaction: its thread's deletion and the mending of the
/// digests and reports posted since `mend_since_ms` are queued; its
/// interviews are counted in `forgotten_interviews`; its feedback items are
/// kept without it; every other row about it is deleted. `forget`: what
/// makes this erase's outbox rows its own; `redact`: how the `shipped` DMs
/// that showed it lose it. None when there is no such customer (forgotten
/// already).
pub async fn erase_customer(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    id: i64,
    forget: &str,
    mend_since_ms: i64,
    now_ms: i64,
    redact: Redact,
) -> Result<Option<ForgetCounts>, sqlx::Error> {
    // Taken first: a second erase of the customer (another replica's) waits
    // here, then finds it gone.
    let found = sqlx::query("update customers set updated_at = $3 where workspace_id = $1 and id = $2")
        .bind(workspace.as_str())
        .bind(id)
        .bind(now_ms)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if found == 0 {
        return Ok(None);
    }
    let ids = customer_ids(conn, workspace, id).await?;
    let params = numbered_params(2, ids.len());
    let bind_ids = |sql: &str| -> String { sql.replace("{ids}", &params) };
    let counts = ForgetCounts {
        highlights: count_rows(conn, workspace, "highlights", &ids).await?,
        interviews: count_rows(conn, workspace, "interviews", &ids).await?,
        feedback_items: count_rows(conn, workspace, "feedback_items", &ids).await?,
        thread_messages: count_thread_messages(conn, workspace, &ids).await?,
    };

    // What the mending replaces: the customers' quotes and names as posted.
    let sql = bind_ids("select quote from highlights where workspace_id = $1 and customer_id in ({ids}) order by id");
    let mut query = sqlx::query_scalar::<_, String>(&sql).bind(workspace.as_str());
    for id in &ids {
        query = query.bind(*id);
    }
    let quotes = query.fetch_all(&mut *conn).await?;
    let sql = bind_ids(
        "select display_name from customers where workspace_id = $1 and id in ({ids})
         union select display_name from customer_aliases where workspace_id = $1 and customer_id in ({ids})",
    );
    let mut query = sqlx::query_scalar::<_, String>(&sql).bind(workspace.as_str());
    for id in &ids {
        query = query.bind(*id);
    }
    let mut names = query.fetch_all(&mut *conn).await?;
    let sql = bind_ids(
        "select anonymous_label from customers where workspace_id = $1 and anonymous_label is not null and id in ({ids})",
    );
    let mut query = sqlx::query_scalar::<_, i64>(&sql).bind(workspace.as_str());
    for id in &ids {
        query = query.bind(*id);
    }
    names.extend(query.fetch_all(&mut *conn).await?.into_iter().map(|n| format!("Customer {n}")));

    // The Slack work, queued with the erase.
    for (channel, ts) in list_threads(conn, workspace, &ids).await? {
        let sql = bind_ids(
            "select posted_ts from highlights
             where workspace_id = $1 and posted_ts is not null and customer_id in ({ids}) order by id",
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql).bind(workspace.as_str());
        for id in &ids {
            query = query.bind(*id);
        }
        let replies = query.fetch_all(&mut *conn).await?.into_iter().filter(|reply| *reply != ts).collect();
        insert_outbox_row(conn, workspace, &OutboxKind::DeleteThread { channel, ts, replies }, now_ms).await?;
    }
    if !quotes.is_empty() {
        for posted in list_posted_quotes(conn, workspace, mend_since_ms).await? {
            let mend = OutboxKind::MendPost {
                forget: forget.to_owned(),
                key: posted.key,
                to: posted.to,
                quotes: quotes.clone(),
                names: names.clone(),
            };
            insert_outbox_row(conn, workspace, &mend, now_ms).await?;
        }
    }
    // The outbox's rows about it: their work has nothing left to do, and
    // their payloads hold its quotes.
    let sql = bind_ids("select id from highlights where workspace_id = $1 and customer_id in ({ids})");
    let mut query = sqlx::query_scalar::<_, i64>(&sql).bind(workspace.as_str());
    for id in &ids {
        query = query.bind(*id);
    }
    let highlights = query.fetch_all(&mut *conn).await?;
    let sql = bind_ids(
        "select distinct closed_by_shipment from highlights
         where workspace_id = $1 and closed_by_shipment is not null and customer_id in ({ids})",
    );
    let mut query = sqlx::query_scalar::<_, i64>(&sql).bind(workspace.as_str());
    for id in &ids {
        query = query.bind(*id);
    }
    let shipments = query.fetch_all(&mut *conn).await?;
    for keys in outbox_keys(&ids, &highlights, &shipments).chunks(KEYS_PER_DELETE) {
        let sql = format!(
            "delete from outbox where workspace_id = $1 and dedupe_key in ({})",
            numbered_params(2, keys.len())
        );
        let mut query = sqlx::query(&sql).bind(workspace.as_str());
        for key in keys {
            query = query.bind(key);
        }
        query.execute(&mut *conn).await?;
    }
    // The DMs that showed it among others keep the others only.
    redact_shipped_dms(conn, workspace, &shipments, &quotes, &names, redact).await?;
    remove_from_nudges(conn, workspace, &ids, &names).await?;
    // A follower's notice names its customer in its payload only.
    let customer_of = match backend_of(conn) {
        Backend::Sqlite => "json_extract(payload, '$.customer_id')",
        Backend::Postgres => "cast(payload::jsonb ->> 'customer_id' as bigint)",
    };
    for id in &ids {
        sqlx::query(&format!(
            "delete from outbox where workspace_id = $1 and kind = 'notify_follower' and {customer_of} = $2"
        ))
        .bind(workspace.as_str())
        .bind(*id)
        .execute(&mut *conn)
        .await?;
    }

    // Onboarding keeps counting the interviews, without the customer.
    let sql = bind_ids(
        "insert into forgotten_interviews (workspace_id, interviewer, interview_date, created_at)
         select workspace_id, interviewer, interview_date, $LAST from interviews
         where workspace_id = $1 and customer_id in ({ids})",
    )
    .replace("$LAST", &format!("${}", ids.len() + 2));
    let mut query = sqlx::query(&sql).bind(workspace.as_str());
    for id in &ids {
        query = query.bind(*id);
    }
    query.bind(now_ms).execute(&mut *conn).await?;

    for (table, erase) in CUSTOMER_TABLES {
        let last = ids.len() + 2;
        let sql = match erase {
            Erase::Delete => format!("delete from {table} where workspace_id = $1 and customer_id in ({params})"),
            Erase::Detach => format!(
                "update {table} set customer_id = null, message_text = ${last}, permalink = null
                 where workspace_id = $1 and customer_id in ({params})"
            ),
        };
        let mut query = sqlx::query(&sql).bind(workspace.as_str());
        for id in &ids {
            query = query.bind(*id);
        }
        if *erase == Erase::Detach {
            query = query.bind(REMOVED_TEXT);
        }
        query.execute(&mut *conn).await?;
    }
    // Merged customers point at the one they were merged into: the last go first.
    for id in ids.iter().rev() {
        sqlx::query("update customers set merged_into = null where workspace_id = $1 and id = $2")
            .bind(workspace.as_str())
            .bind(*id)
            .execute(&mut *conn)
            .await?;
    }
    for id in ids.iter().rev() {
        sqlx::query("delete from customers where workspace_id = $1 and id = $2")
            .bind(workspace.as_str())
            .bind(*id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(Some(counts))
}

/// Drops the quotes and names a done `mend_post` row carried (its work done,
/// the customer's words are not kept in the outbox either).
pub async fn update_mend_post_done(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    forget: &str,
    key: &str,
    to: Option<&str>,
) -> Result<(), sqlx::Error> {
    let kind = OutboxKind::MendPost {
        forget: forget.to_owned(),
        key: key.to_owned(),
        to: to.map(str::to_owned),
        quotes: Vec::new(),
        names: Vec::new(),
    };
    let payload = serde_json::to_string(&kind).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query("update outbox set payload = $3 where workspace_id = $1 and dedupe_key = $2")
        .bind(workspace.as_str())
        .bind(kind.dedupe_key())
        .bind(payload)
        .execute(conn)
        .await?;
    Ok(())
}
