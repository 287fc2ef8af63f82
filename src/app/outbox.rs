//! The context's outbox part ([`Outbox`]): queueing work for after the ack and
//! waking the worker that does it (docs/design.md, Outbox). The worker itself
//! is [`crate::jobs::outbox`]; the rows are [`crate::store::outbox`]'s.

use std::sync::Arc;

use tokio::sync::Notify;

use super::Clock;
use crate::store::outbox::OutboxKind;
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// Queues outbox rows (in a transaction of their own) and wakes the worker.
/// Cheap to clone: every clone wakes the same worker.
#[derive(Debug, Clone)]
pub struct Outbox {
    db: Db,
    clock: Clock,
    /// Wakes the outbox worker when work is queued.
    wake: Arc<Notify>,
}

impl Outbox {
    /// An outbox over `db`, stamping rows with `clock`.
    pub fn new(db: Db, clock: Clock) -> Self {
        Self { db, clock, wake: Arc::new(Notify::new()) }
    }

    /// Queues work for after the ack (coalesced with the same work still
    /// waiting: many changes, one Slack call) and wakes the outbox worker.
    pub async fn queue(&self, workspace: &WorkspaceId, kind: &OutboxKind) -> Result<(), sqlx::Error> {
        let now = self.clock.now_ms();
        self.db.write(async |tx| crate::store::outbox::upsert_outbox_row(tx, workspace, kind, now).await).await?;
        self.wake();
        Ok(())
    }

    /// Queues work for after the ack once (a row with the same key is left as
    /// it is) and wakes the outbox worker.
    pub async fn queue_once(&self, workspace: &WorkspaceId, kind: &OutboxKind) -> Result<(), sqlx::Error> {
        let now = self.clock.now_ms();
        self.db.write(async |tx| crate::store::outbox::insert_outbox_row(tx, workspace, kind, now).await).await?;
        self.wake();
        Ok(())
    }

    /// Tells the outbox worker that work was queued (by a transaction the
    /// caller committed itself).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Completes when [`wake`](Self::wake) is called.
    pub async fn woken(&self) {
        self.wake.notified().await;
    }
}
