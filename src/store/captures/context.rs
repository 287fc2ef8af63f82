//! Reading what captures need before they write, many captures at once.

use std::collections::BTreeMap;

use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot};

use crate::store::workspaces::WorkspaceId;
use crate::store::Backend;

/// What a capture needs to know before it writes, read in one statement.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CaptureContext {
    /// The workspace's product channel, if set from Slack.
    pub product_channel: Option<String>,
    /// The workspace's time zone, if set.
    pub time_zone: Option<String>,
    /// Bumped whenever the product areas change (the key of cached areas).
    pub areas_version: i64,
    /// The customer the name's key or alias leads to, if any.
    pub customer_id: Option<i64>,
    /// That customer's name.
    pub customer_name: Option<String>,
    /// Set when that customer was merged into another.
    pub merged_into: Option<i64>,
}

/// Looks capture contexts up in groups: every lookup waiting when the last
/// group's answer came back goes into one statement, so under load a hundred
/// captures cost one read, not a hundred (each read is a hand-off to the
/// connection's thread on SQLite, a round trip on PostgreSQL).
#[derive(Debug, Clone)]
pub struct ContextLoader {
    lookups: mpsc::Sender<Lookup>,
}

struct Lookup {
    workspace: WorkspaceId,
    key: String,
    answer: oneshot::Sender<Result<Option<CaptureContext>, sqlx::Error>>,
}

/// The most lookups answered by one statement.
const MAX_LOOKUPS: usize = 128;

impl ContextLoader {
    /// Starts the loader on a pool of readers.
    pub fn start(pool: AnyPool, backend: Backend) -> Self {
        let (lookups, waiting) = mpsc::channel(4 * MAX_LOOKUPS);
        tokio::spawn(run_loader(pool, backend, waiting));
        Self { lookups }
    }

    /// The workspace's settings and the customer `key` names (by key or
    /// alias); None when the workspace is unknown.
    pub async fn find(&self, workspace: &WorkspaceId, key: &str) -> Result<Option<CaptureContext>, sqlx::Error> {
        let (answer, answered) = oneshot::channel();
        let lookup = Lookup { workspace: workspace.clone(), key: key.to_owned(), answer };
        self.lookups.send(lookup).await.map_err(|_| sqlx::Error::PoolClosed)?;
        answered.await.map_err(|_| sqlx::Error::PoolClosed)?
    }
}

async fn run_loader(pool: AnyPool, backend: Backend, mut waiting: mpsc::Receiver<Lookup>) {
    while let Some(first) = waiting.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_LOOKUPS {
            match waiting.try_recv() {
                Ok(lookup) => group.push(lookup),
                Err(_) => break,
            }
        }
        match find_capture_contexts(&pool, backend, &group).await {
            Ok(mut found) => {
                for (n, lookup) in group.into_iter().enumerate() {
                    let _ = lookup.answer.send(Ok(found.remove(&(n as i64))));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, lookups = group.len(), "capture context lookup failed");
                let reason = e.to_string();
                for lookup in group {
                    let _ = lookup.answer.send(Err(sqlx::Error::Protocol(reason.clone())));
                }
            }
        }
    }
}

/// Answers a group of lookups in one statement, by their position. The group
/// is padded to a power of two (repeating its last lookup), so a handful of
/// prepared statements serve every size.
async fn find_capture_contexts(
    pool: &AnyPool,
    backend: Backend,
    group: &[Lookup],
) -> Result<BTreeMap<i64, CaptureContext>, sqlx::Error> {
    let size = group.len().next_power_of_two();
    let sql = format!(
        "with wanted (n, workspace_id, customer_key) as (values {})
         select wanted.n, w.product_channel, w.time_zone, w.areas_version,
                c.id as customer_id, c.display_name as customer_name, c.merged_into
         from wanted
         join workspaces w on w.id = wanted.workspace_id
         left join customers c on c.workspace_id = w.id and c.id = coalesce(
             (select k.id from customers k where k.workspace_id = w.id and k.key = wanted.customer_key),
             (select a.customer_id from customer_aliases a
              where a.workspace_id = w.id and a.key = wanted.customer_key))",
        placeholders(backend, size, 3)
    );
    let mut query = sqlx::query_as::<_, NumberedContext>(&sql);
    for n in 0..size {
        let lookup = &group[n.min(group.len() - 1)];
        query = query.bind(n as i64).bind(lookup.workspace.as_str()).bind(&lookup.key);
    }
    Ok(query.fetch_all(pool).await?.into_iter().map(|row| (row.n, row.context)).collect())
}

#[derive(sqlx::FromRow)]
struct NumberedContext {
    n: i64,
    #[sqlx(flatten)]
    context: CaptureContext,
}

/// `($1, $2, …), ($n, …)` for `rows` rows of `columns` binds; on SQLite
/// `(?, ?, …)`: it finds a numbered parameter's position by a linear search,
/// which makes binding a large statement quadratic, while anonymous ones bind
/// in order.
fn placeholders(backend: Backend, rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|r| {
            let cells: Vec<String> = (1..=columns)
                .map(|c| match backend {
                    Backend::Sqlite => "?".to_owned(),
                    Backend::Postgres => format!("${}", r * columns + c),
                })
                .collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_every_cell() {
        assert_eq!(placeholders(Backend::Postgres, 1, 2), "($1, $2)");
        assert_eq!(placeholders(Backend::Postgres, 2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(placeholders(Backend::Sqlite, 2, 2), "(?, ?), (?, ?)");
    }
}
