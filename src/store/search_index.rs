//! SQLite's full-text index, written after the captures instead of inside
//! their commits (migration `search_index_after_capture`).
//!
//! A new highlight is listed in `highlights_fts_pending` by a trigger, in its
//! capture's transaction. The indexer task here writes the FTS5 entries of
//! every listed highlight in one transaction a moment after captures are
//! committed, so a burst of captures makes one segment; and a search
//! indexes what is still listed before it reads ([`catch_up`]), so it never
//! misses a capture committed before it. The list commits with the entries
//! that replace it, so a stopped process leaves nothing half indexed; the
//! next start indexes what it left listed before it serves.
//!
//! PostgreSQL has no part here: its GIN index already keeps new entries in a
//! pending list of its own.

use std::sync::Arc;
use std::time::Duration;

use sqlx::AnyPool;
use tokio::sync::Notify;

use crate::store::{begin_on, Backend};

/// How long after a capture its quote is indexed: long enough for the
/// captures of a burst to share one segment, short enough that the list
/// stays small. A search does not wait for it.
const AFTER_CAPTURES: Duration = Duration::from_millis(250);

/// How often the indexer looks for listed highlights nobody woke it for
/// (written by another process on the same file, or left by a stopped one).
const SWEEP_EVERY: Duration = Duration::from_secs(30);

/// The most highlights indexed in one transaction, so that captures never
/// wait long behind the indexer for the writer (512 quotes of 15 words took
/// about 3 ms, beside 100,000 indexed).
const MAX_PER_COMMIT: i64 = 512;

/// Wakes the indexer after captures. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct SearchIndexer {
    wake: Arc<Notify>,
}

impl SearchIndexer {
    /// Starts the indexer on the writer's pool: after every wake, and every
    /// [`SWEEP_EVERY`], it indexes what is listed, until the pool closes.
    /// (What a stopped process left listed is indexed as the migrations
    /// are applied, before the app starts: [`crate::store::Db::migrate`].)
    pub(crate) fn start(writer: AnyPool, reader: AnyPool) -> Self {
        let wake = Arc::new(Notify::new());
        tokio::spawn(run(writer, reader, wake.clone()));
        Self { wake }
    }

    /// Tells the indexer that highlights may be listed.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }
}

async fn run(writer: AnyPool, reader: AnyPool, wake: Arc<Notify>) {
    let closed = writer.close_event();
    tokio::pin!(closed);
    loop {
        tokio::select! {
            () = wake.notified() => tokio::time::sleep(AFTER_CAPTURES).await,
            () = tokio::time::sleep(SWEEP_EVERY) => {}
            () = &mut closed => return,
        }
        match catch_up(&writer, &reader).await {
            Ok(_) => {}
            Err(sqlx::Error::PoolClosed) => return,
            Err(e) => tracing::warn!(error = %e, "indexing captured quotes for search failed; trying again later"),
        }
    }
}

/// Indexes every listed highlight (in transactions of at most
/// [`MAX_PER_COMMIT`]); how many. Reads the list on a reader first, so that
/// a search with nothing listed does not wait for the writer.
pub(crate) async fn catch_up(writer: &AnyPool, reader: &AnyPool) -> Result<u64, sqlx::Error> {
    let listed: i64 = sqlx::query_scalar("select count(*) from (select 1 from highlights_fts_pending limit 1)")
        .fetch_one(reader)
        .await?;
    if listed == 0 {
        return Ok(0);
    }
    let mut indexed = 0;
    loop {
        let mut tx = begin_on(writer, Backend::Sqlite).await?;
        // Both statements read the same list: the transaction holds the
        // write lock, so nothing is listed or removed between them.
        sqlx::query(
            "insert into highlights_fts (rowid, quote, takeaway)
             select h.id, h.quote, coalesce(h.takeaway, '') from highlights h
             where h.id in (select id from highlights_fts_pending order by id limit $1)
             order by h.id",
        )
        .bind(MAX_PER_COMMIT)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query(
            "delete from highlights_fts_pending
             where id in (select id from highlights_fts_pending order by id limit $1)",
        )
        .bind(MAX_PER_COMMIT)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        indexed += done;
        if done < MAX_PER_COMMIT as u64 {
            return Ok(indexed);
        }
    }
}
