//! Reading what captures need before they write, many captures at once.

use std::collections::BTreeMap;

use sqlx::AnyPool;

use crate::store::batch::{each_failed, values_placeholders, Batcher};
use crate::store::held::Held;
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
    /// 1 when captures have e-mail addresses and phone numbers scrubbed.
    pub pii_scrub: i32,
    /// That customer's privacy: shown as `Customer N` (non-zero)…
    pub customer_anonymous: Option<i32>,
    /// …its number…
    pub customer_label: Option<i64>,
    /// …its segment…
    pub customer_segment: Option<String>,
    /// …and whether its recordings are left out (non-zero).
    pub customer_recordings_hidden: Option<i32>,
}

impl CaptureContext {
    /// The customer found, as it may be shown away from its thread.
    pub fn shown_customer(&self) -> Option<crate::domain::ShownCustomer> {
        Some(crate::domain::ShownCustomer::from_settings(
            self.customer_name.clone()?,
            self.customer_anonymous.unwrap_or(0) != 0,
            self.customer_label,
            self.customer_segment.clone(),
            self.customer_recordings_hidden.unwrap_or(0) != 0,
        ))
    }
}

/// Looks capture contexts up in groups: every lookup waiting when the last
/// group's answer came back goes into one statement, so under load a hundred
/// captures cost one read, not a hundred (each read is a hand-off to the
/// connection's thread on SQLite, a round trip on PostgreSQL).
#[derive(Debug, Clone)]
pub struct ContextLoader {
    lookups: Batcher<Lookup, Option<CaptureContext>>,
}

struct Lookup {
    workspace: WorkspaceId,
    key: String,
}

/// The most lookups answered by one statement.
const MAX_LOOKUPS: usize = 128;

impl ContextLoader {
    /// Starts the loader on a pool of readers, with a connection it keeps
    /// (see [`Held`]).
    pub(crate) fn start(pool: AnyPool, backend: Backend) -> (Self, Held) {
        let held = Held::new(pool, backend, 1);
        let conns = held.clone();
        let lookups = Batcher::start(1, MAX_LOOKUPS, move |group: Vec<Lookup>| {
            let conns = conns.clone();
            async move {
                match find_capture_contexts(&conns, backend, &group).await {
                    Ok(mut found) => (0..group.len()).map(|n| Ok(found.remove(&(n as i64)))).collect(),
                    Err(e) => {
                        tracing::warn!(error = %e, lookups = group.len(), "capture context lookup failed");
                        each_failed(&e, group.len())
                    }
                }
            }
        });
        (Self { lookups }, held)
    }

    /// The workspace's settings and the customer `key` names (by key or
    /// alias); None when the workspace is unknown.
    pub async fn find(&self, workspace: &WorkspaceId, key: &str) -> Result<Option<CaptureContext>, sqlx::Error> {
        self.lookups.call(Lookup { workspace: workspace.clone(), key: key.to_owned() }).await
    }
}

/// Answers a group of lookups in one statement, by their position. The group
/// is padded to a power of two (repeating its last lookup), so a handful of
/// prepared statements serve every size.
async fn find_capture_contexts(
    conns: &Held,
    backend: Backend,
    group: &[Lookup],
) -> Result<BTreeMap<i64, CaptureContext>, sqlx::Error> {
    let size = group.len().next_power_of_two();
    let sql = format!(
        "with wanted (n, workspace_id, customer_key) as (values {})
         select wanted.n, w.product_channel, w.time_zone, w.areas_version, w.pii_scrub,
                c.id as customer_id, c.display_name as customer_name, c.merged_into,
                c.anonymous as customer_anonymous, c.anonymous_label as customer_label,
                c.segment as customer_segment, c.recordings_hidden as customer_recordings_hidden
         from wanted
         join workspaces w on w.id = wanted.workspace_id
         left join customers c on c.workspace_id = w.id and c.id = coalesce(
             (select k.id from customers k where k.workspace_id = w.id and k.key = wanted.customer_key),
             (select a.customer_id from customer_aliases a
              where a.workspace_id = w.id and a.key = wanted.customer_key))",
        values_placeholders(backend, size, 3)
    );
    let mut query = sqlx::query_as::<_, NumberedContext>(&sql);
    for n in 0..size {
        let lookup = &group[n.min(group.len() - 1)];
        query = query.bind(n as i64).bind(lookup.workspace.as_str()).bind(&lookup.key);
    }
    let mut conn = conns.lock().await?;
    let rows = query.fetch_all(&mut *conn).await?;
    conn.keep();
    Ok(rows.into_iter().map(|row| (row.n, row.context)).collect())
}

#[derive(sqlx::FromRow)]
struct NumberedContext {
    n: i64,
    #[sqlx(flatten)]
    context: CaptureContext,
}
