//! Connections that the request path's group readers and writers keep
//! between groups, on PostgreSQL.
//!
//! sqlx tests every connection it takes back into its pool with a ping
//! before another task may use it: on PostgreSQL a round trip to the server
//! (a `Sync` and its answer), on SQLite a hand-off to the connection's
//! thread and back. A lone capture took a pool connection for each of its
//! statements (the context read, the group write, the outbox's records
//! later; until the group recorded it, the signed request's record too), so
//! on PostgreSQL it paid a round trip more for each: measured at one
//! connection (benches/README.md), the app's CPU a capture fell by a fifth
//! and PostgreSQL's by a third when they went.
//!
//! A [`Held`] takes connections from its pool once and keeps them while
//! each use ends well ([`HeldConnection::keep`]). A use that ends otherwise
//! (an error, a future dropped half way, a transaction left open) gives its
//! connection back to the pool, whose ping then flushes what was left (a
//! rollback sqlx queued) or finds the connection broken and closes it; the
//! next use takes another.
//!
//! On SQLite a held connection would hold the only writer (every other
//! write waits for it) or a reader the other reads need, and the ping it
//! spares is a thread hand-off that measured no faster: there a `Held`
//! takes a connection from the pool for each use and gives it back after.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::store::Backend;

type Slot = Arc<Mutex<Option<PoolConnection<Any>>>>;

/// Up to `slots` connections kept out of a pool between uses (see the
/// module's doc). Cheap to clone: clones share the connections.
#[derive(Debug, Clone)]
pub struct Held {
    pool: AnyPool,
    slots: Arc<[Slot]>,
    /// Whether connections are kept between uses: on PostgreSQL, until
    /// [`release`](Self::release).
    keep: Arc<AtomicBool>,
}

impl Held {
    /// Connections of `pool`, as many as `slots` at once; kept between uses
    /// on PostgreSQL only.
    pub fn new(pool: AnyPool, backend: Backend, slots: usize) -> Self {
        let slots = (0..slots.max(1)).map(|_| Slot::default()).collect();
        Self { pool, slots, keep: Arc::new(AtomicBool::new(backend == Backend::Postgres)) }
    }

    /// A connection: a free kept one, or one from the pool (waiting for the
    /// first slot when every slot is in use).
    pub async fn lock(&self) -> Result<HeldConnection, sqlx::Error> {
        let slot = match self.slots.iter().find_map(|slot| slot.clone().try_lock_owned().ok()) {
            Some(slot) => slot,
            None => self.slots[0].clone().lock_owned().await,
        };
        let mut held = HeldConnection { slot, may_keep: self.keep.clone(), keep: false };
        if held.slot.is_none() {
            *held.slot = Some(self.pool.acquire().await?);
        }
        Ok(held)
    }

    /// Gives every kept connection back to the pool, and each one used from
    /// now on after its use (before the pool closes, which waits for them).
    pub async fn release(&self) {
        self.keep.store(false, Ordering::Release);
        for slot in self.slots.iter() {
            slot.lock().await.take();
        }
    }
}

/// A connection of a [`Held`], in use. Dropped without [`keep`](Self::keep),
/// it goes back to the pool.
#[derive(Debug)]
pub struct HeldConnection {
    slot: OwnedMutexGuard<Option<PoolConnection<Any>>>,
    /// Whether its [`Held`] keeps connections.
    may_keep: Arc<AtomicBool>,
    /// Whether it stays in its slot when dropped.
    keep: bool,
}

impl HeldConnection {
    /// The use ended well: the connection stays for the next one (on
    /// PostgreSQL; on SQLite it goes back to the pool).
    pub fn keep(mut self) {
        self.keep = self.may_keep.load(Ordering::Acquire);
    }

    /// Closes the connection instead of giving it back (a transaction that
    /// sqlx does not know of may be open on it).
    pub(crate) fn close_on_drop(&mut self) {
        if let Some(conn) = self.slot.as_mut() {
            conn.close_on_drop();
        }
        self.keep = false;
    }
}

impl Deref for HeldConnection {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        self.slot.as_ref().expect("a held connection is in its slot while in use")
    }
}

impl DerefMut for HeldConnection {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        self.slot.as_mut().expect("a held connection is in its slot while in use")
    }
}

impl Drop for HeldConnection {
    fn drop(&mut self) {
        if !self.keep {
            self.slot.take();
        }
    }
}
