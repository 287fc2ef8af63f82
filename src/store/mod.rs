//! Storage: every SQL statement of the app lives under this module, one file per
//! aggregate. Queries are portable (`$1` placeholders, `ON CONFLICT`, `RETURNING`)
//! and run through sqlx's `Any` driver on SQLite or PostgreSQL; where the
//! dialects differ, the branch is made here and never in callers.
//!
//! One calling convention:
//! - a read takes `&Db` (on SQLite it goes to the read-only connections, so it
//!   never waits behind the writer), or `&mut AnyConnection` when it must see
//!   a transaction's own writes;
//! - a write takes `&mut AnyConnection`: the connection of a transaction from
//!   [`Db::begin`] (or [`Db::write`] for a short one), the only way to write.
//!   A feature composes its unit of work by calling several writes on one
//!   transaction and committing once; no store function opens a transaction
//!   of its own, and nothing outside this module touches a pool.

pub mod areas;
pub(crate) mod batch;
pub mod briefs;
pub mod captures;
pub mod customers;
pub mod digest_approvals;
pub mod digests;
pub mod events;
pub mod finished;
pub mod follows;
pub mod forget;
pub mod held;
pub mod highlights;
pub mod installations;
pub mod library;
pub mod momentum;
pub mod onboarding;
pub mod outbox;
pub mod planned_interviews;
#[cfg(test)]
mod plans;
pub mod privacy;
pub mod readouts;
pub mod recordings;
pub mod reports;
pub mod search;
mod search_index;
pub mod seen_requests;
pub mod shipments;
pub mod slack_pauses;
pub mod testers;
pub mod triage_queue;
pub mod web_sessions;
pub mod workspaces;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{MigrateDatabase, Migrator};
use sqlx::{Any, AnyPool, ConnectOptions as _, Executor as _};

use crate::store::workspaces::WorkspaceId;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Which database server the store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// What follows a text column in `order by` to order it byte by byte,
    /// as Rust orders strings: PostgreSQL otherwise orders text by the
    /// database's collation, SQLite already by bytes.
    pub(crate) fn byte_order(self) -> &'static str {
        match self {
            Self::Sqlite => "",
            Self::Postgres => " collate \"C\"",
        }
    }

    /// The backend a `DATABASE_URL` names.
    pub fn of_url(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            anyhow::bail!("DATABASE_URL must start with sqlite:// or postgres://")
        }
    }
}

/// The database: where writes go, where reads go, and the queue that commits
/// captures in groups.
///
/// On SQLite there is one writer connection (SQLite allows one writer at a
/// time: more connections would only wait for its lock, sleeping in its busy
/// handler) and a few read-only connections beside it (WAL lets them read
/// while the writer writes). On PostgreSQL one pool serves both.
#[derive(Debug, Clone)]
pub struct Db {
    writer: AnyPool,
    reader: AnyPool,
    /// SQLite: the connection that checkpoints the WAL.
    checkpointer: Option<AnyPool>,
    backend: Backend,
    captures: captures::CaptureQueue,
    contexts: captures::ContextLoader,
    /// Highlights read for posting, many lanes' at once.
    posts: batch::Batcher<(WorkspaceId, i64), Option<highlights::HighlightForPost>>,
    /// What the outbox worker finished, many lanes' in one commit.
    finished: batch::Batcher<finished::Finished, ()>,
    /// Signed requests taken, many requests' in one commit.
    seen: batch::Batcher<seen_requests::SeenRequest, bool>,
    /// The connections the batchers above keep (given back at close).
    held: Vec<held::Held>,
    /// SQLite: writes the full-text entries of new highlights after their
    /// captures (see [`search_index`]).
    search_index: Option<search_index::SearchIndexer>,
    areas: std::sync::Arc<areas::AreasCache>,
}

/// SQLite's settings on every connection: WAL so readers run beside the
/// writer; a busy timeout so a writer from another process waits instead of
/// failing; `synchronous = NORMAL` (durable against a crash of the process,
/// the WAL is synced at checkpoints); a bounded WAL file after checkpoints;
/// a commit checkpoints only past 4,096 WAL pages (16 MiB), since the
/// [`checkpoints`] task keeps the WAL copied back beside the writer;
/// temporary files in memory: a group commit's statements each kept a
/// statement journal past SQLite's 64 KiB in a file created, written and
/// deleted every time (about a quarter of the writer's time in the kernel).
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
                              PRAGMA synchronous = NORMAL; PRAGMA journal_size_limit = 67108864; \
                              PRAGMA wal_autocheckpoint = 4096; PRAGMA temp_store = MEMORY;";

/// The PostgreSQL connections the batchers keep (see [`held`]): the
/// capture queue's committers, the context loader, the posts loader, the
/// outbox's recorder and the signed requests' recorder.
const HELD_POSTGRES_CONNECTIONS: u32 = 2 + 1 + 1 + 1 + 1;

/// How often the WAL is copied back into the database file: often, so each
/// checkpoint is short (measured at 64 connections: every 1 s gave a p99 of
/// 63-72 ms, every 200 ms 32-34 ms, every 50 ms 23-28 ms).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(50);

/// Checkpoints the WAL on a connection of its own, beside the writer, until
/// the pool closes: `PASSIVE`, so it neither waits for readers nor holds up
/// the writer, and the copying and file syncs happen here instead of in a
/// commit a capture waits for (with SQLite's default, a commit every 1,000
/// WAL pages paid for a whole checkpoint: the p99 of a capture). The writer's
/// own checkpoint, past 4,096 pages, then has little left to copy, and lets
/// the WAL start over (readers that never pause would keep a checkpoint on
/// another connection from doing that, and the WAL would grow without end).
async fn checkpoints(pool: AnyPool) {
    let mut every = tokio::time::interval(CHECKPOINT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
            Ok(_) => {}
            Err(sqlx::Error::PoolClosed) => return,
            Err(e) => tracing::warn!(error = %e, "SQLite checkpoint failed; trying again"),
        }
    }
}

impl Db {
    /// Connects, creating an SQLite file if it is missing. Does not migrate.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url)?;
        if backend == Backend::Sqlite
            && !Any::database_exists(url).await.context("cannot reach the SQLite file named by DATABASE_URL")?
        {
            Any::create_database(url).await.context("cannot create the SQLite file named by DATABASE_URL")?;
        }
        let options = AnyConnectOptions::from_str(url)
            .context("DATABASE_URL is not a valid database URL")?
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
        let checkpoint_options = options.clone();
        let cores = std::thread::available_parallelism().map(usize::from).unwrap_or(2) as u32;
        let (writer, reader) = match backend {
            Backend::Sqlite => {
                let writer = pool_options(1, false)
                    .connect_with(options.clone())
                    .await
                    .context("cannot connect to the database named by DATABASE_URL")?;
                let reader = pool_options(cores.clamp(2, 8), true)
                    .connect_with(options)
                    .await
                    .context("cannot connect to the database named by DATABASE_URL")?;
                (writer, reader)
            }
            Backend::Postgres => {
                // Enough connections to keep every core busy while others wait on
                // the network; more would only queue inside the server. Besides
                // them, those the batchers keep (`held`).
                let pool = AnyPoolOptions::new()
                    .max_connections((cores * 4).max(8) + HELD_POSTGRES_CONNECTIONS)
                    .acquire_timeout(Duration::from_secs(5))
                    .test_before_acquire(false)
                    .connect_with(options)
                    .await
                    .context("cannot connect to the database named by DATABASE_URL")?;
                (pool.clone(), pool)
            }
        };
        let checkpointer = match backend {
            Backend::Sqlite => {
                let pool = pool_options(1, false)
                    .connect_with(checkpoint_options)
                    .await
                    .context("cannot connect to the database named by DATABASE_URL")?;
                tokio::spawn(checkpoints(pool.clone()));
                Some(pool)
            }
            Backend::Postgres => None,
        };
        let (captures, held_by_captures) = captures::CaptureQueue::start(writer.clone(), backend);
        let (contexts, held_by_contexts) = captures::ContextLoader::start(reader.clone(), backend);
        let (posts, held_by_posts) = highlights::start_post_loader(reader.clone(), backend);
        let (finished, held_by_finished) = finished::start(writer.clone(), backend);
        let (seen, held_by_seen) = seen_requests::start(writer.clone(), backend);
        let held = vec![held_by_captures, held_by_contexts, held_by_posts, held_by_finished, held_by_seen];
        let search_index =
            (backend == Backend::Sqlite).then(|| search_index::SearchIndexer::start(writer.clone(), reader.clone()));
        Ok(Self {
            writer,
            reader,
            checkpointer,
            backend,
            captures,
            contexts,
            posts,
            finished,
            seen,
            held,
            search_index,
            areas: Default::default(),
        })
    }

    /// Connects and applies every pending migration.
    pub async fn connect_and_migrate(url: &str) -> anyhow::Result<Self> {
        let db = Self::connect(url).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// Connects to a database that must already exist (for the commands that
    /// only read: a missing SQLite file is an error, not a new empty file),
    /// and applies pending migrations.
    pub async fn connect_existing(url: &str) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        if Backend::of_url(url)? == Backend::Sqlite && !Any::database_exists(url).await.unwrap_or(false) {
            anyhow::bail!("there is no database at {url}: run `highlights serve` first, or set DATABASE_URL (or a .env) to the app's database");
        }
        Self::connect_and_migrate(url).await
    }

    /// Writes a consistent copy of the whole database to a new SQLite file at
    /// `path` while the app may be running (`VACUUM INTO`: one read
    /// transaction, so every row of the copy was committed together). Fails
    /// when `path` exists. PostgreSQL has its own tool, `pg_dump`.
    pub async fn backup_to(&self, path: &std::path::Path) -> anyhow::Result<()> {
        if self.backend != Backend::Sqlite {
            anyhow::bail!("`highlights backup` copies SQLite databases; for PostgreSQL use pg_dump (README, Backups)");
        }
        if path.exists() {
            anyhow::bail!("{} exists already: name a new file (a backup never overwrites one)", path.display());
        }
        let target = path.to_str().context("the backup file's name is not valid UTF-8")?;
        // On a reader: the copy holds only a read transaction, so captures go
        // on meanwhile. Readers are `query_only`; this one writes another file.
        let mut conn = self.reader.acquire().await?;
        conn.execute("PRAGMA query_only = OFF;").await?;
        let copied = sqlx::query("vacuum into $1").bind(target).execute(&mut *conn).await;
        if conn.execute("PRAGMA query_only = ON;").await.is_err() {
            conn.close_on_drop();
        }
        copied.with_context(|| format!("cannot write the backup to {}", path.display()))?;
        Ok(())
    }

    /// Applies every pending migration of this backend.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        self.migrator().run(&self.writer).await.context("database migration failed")?;
        // What a stopped process left for the search indexer, before serving.
        if let Err(e) = self.catch_up_search_index().await {
            tracing::warn!(error = %e, "indexing captured quotes for search failed; a search will try again");
        }
        Ok(())
    }

    /// The migrations of this backend.
    pub fn migrator(&self) -> &'static Migrator {
        migrator_for(self.backend)
    }

    /// The versions of the migrations applied to this database.
    pub async fn applied_migrations(&self) -> Result<Vec<i64>, sqlx::Error> {
        sqlx::query_scalar("select version from _sqlx_migrations where success").fetch_all(&self.reader).await
    }

    /// The pool that writes (and may read): for tests that inspect the
    /// database. The app writes only through [`Db::begin`].
    pub fn pool(&self) -> &AnyPool {
        &self.writer
    }

    /// The pool for reads only (on SQLite its connections refuse to write):
    /// for the store's reads, which must not wait behind the writer.
    pub(crate) fn reader(&self) -> &AnyPool {
        &self.reader
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so a transaction that reads before it writes waits
    /// its turn instead of failing with "database is locked".
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, Any>, sqlx::Error> {
        begin_on(&self.writer, self.backend).await
    }

    /// Runs `work` in a write transaction of its own and commits it: for a
    /// unit of work that is one call (`db.write(async |tx| f(tx, …).await)`).
    /// Dropped half way, the transaction rolls back.
    pub async fn write<T>(
        &self,
        work: impl AsyncFnOnce(&mut sqlx::AnyConnection) -> Result<T, sqlx::Error>,
    ) -> Result<T, sqlx::Error> {
        let mut tx = self.begin().await?;
        let out = work(&mut tx).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Stores a capture and queues its posts, atomically, committed together
    /// with the other captures waiting at the same moment (group commit):
    /// when this returns, nothing the user typed can be lost. The work runs
    /// on the queue's task: dropping this future never leaves it half done.
    /// Returns the customer's id (created with the capture, if new).
    pub async fn insert_capture(
        &self,
        workspace: &WorkspaceId,
        capture: captures::NewCapture,
        now_ms: i64,
    ) -> Result<i64, sqlx::Error> {
        let stored = self.captures.insert(workspace.clone(), capture, now_ms).await;
        self.wake_search_index();
        stored
    }

    /// SQLite: tells the search indexer that highlights may wait for it.
    fn wake_search_index(&self) {
        if let Some(indexer) = &self.search_index {
            indexer.wake();
        }
    }

    /// SQLite: writes the full-text entries of every highlight still
    /// waiting for them, so that a search sees every capture committed
    /// before it (see [`search_index`]). Nothing on PostgreSQL.
    pub(crate) async fn catch_up_search_index(&self) -> Result<(), sqlx::Error> {
        match self.backend {
            Backend::Sqlite => search_index::catch_up(&self.writer, &self.reader).await.map(|_| ()),
            Backend::Postgres => Ok(()),
        }
    }

    /// Records a signed request, committed together with the others arriving
    /// at the same moment; false when it was recorded before (a replay). It
    /// runs to its end even if this future is dropped.
    pub async fn record_seen_request(&self, request: seen_requests::SeenRequest) -> Result<bool, sqlx::Error> {
        self.seen.call(request).await
    }

    /// Records a signed request before it is acted on; false when it was
    /// recorded before (a replay). A record that cannot be written does not
    /// stop the handling: without the database the work fails too, and
    /// answers as it always has.
    pub async fn first_time(&self, request: seen_requests::SeenRequest) -> bool {
        let first = self.record_seen_request(request).await.unwrap_or_else(|e| {
            tracing::warn!(error = %crate::error::chain(&e), "could not record a signed request; handling it anyway");
            true
        });
        if !first {
            seen_requests::log_replay();
        }
        first
    }

    /// Records finished outbox work, committed together with the other
    /// lanes' records waiting at the same moment (see [`finished`]); returns
    /// after the commit that holds it. Runs to its end even if this future
    /// is dropped.
    pub async fn record_finished(&self, record: finished::Finished) -> Result<(), sqlx::Error> {
        self.finished.call(record).await
    }

    /// What a capture needs to know before it writes: the workspace's
    /// settings and the customer `key` names (None when the workspace is
    /// unknown). Looked up together with the other captures' (see
    /// [`captures::ContextLoader`]).
    pub async fn capture_context(
        &self,
        workspace: &WorkspaceId,
        key: &str,
    ) -> Result<Option<captures::CaptureContext>, sqlx::Error> {
        self.contexts.find(workspace, key).await
    }

    /// A workspace's product areas at `version` (its `areas_version`), from
    /// memory unless they changed.
    pub async fn areas_at(
        &self,
        workspace: &WorkspaceId,
        version: i64,
    ) -> Result<std::sync::Arc<Vec<areas::Area>>, sqlx::Error> {
        self.areas.get(self, workspace, version).await
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Answers when the database does: the health check.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("select 1").execute(&self.reader).await.map(|_| ())
    }

    /// Closes every connection (at shutdown).
    pub async fn close(&self) {
        for held in &self.held {
            held.release().await;
        }
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.close().await;
        }
        self.writer.close().await;
        self.reader.close().await;
    }
}

/// `$start, $start+1, …`: `n` numbered parameters, for an `in (…)` list.
/// The file a `sqlite:` URL names; `None` for PostgreSQL and in-memory databases.
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(path))
}

pub(crate) fn numbered_params(start: usize, n: usize) -> String {
    (start..start + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// SQLite pool settings: no ping before each use (a local file does not go
/// away), read-only connections for readers, and a connection given back
/// inside a transaction closed rather than kept.
///
/// That last one mends a hole in sqlx 0.8.6: it checks a custom BEGIN (ours
/// is `BEGIN IMMEDIATE`, [`begin_on`]) with one more round trip after the
/// BEGIN is acknowledged, and a future dropped there (a client hanging up)
/// leaves no `Transaction` to roll back; the connection went back to the pool
/// inside the transaction, and every later write on it failed. A transaction
/// dropped as usual is given back with its rollback queued, and is closed as
/// well (closing rolls back). Closed, the pool opens a new connection.
fn pool_options(max: u32, read_only: bool) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(5))
        .test_before_acquire(false)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                conn.execute(SQLITE_PRAGMAS).await?;
                if read_only {
                    conn.execute("PRAGMA query_only = ON;").await?;
                }
                Ok(())
            })
        })
        .after_release(|conn, _meta| {
            let in_transaction = sqlx::Connection::is_in_transaction(conn);
            if in_transaction {
                tracing::debug!("closing an SQLite connection given back inside a transaction");
            }
            Box::pin(async move { Ok(!in_transaction) })
        })
}

/// The backend a connection talks to.
pub(crate) fn backend_of(conn: &sqlx::AnyConnection) -> Backend {
    if conn.backend_name().eq_ignore_ascii_case("postgresql") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

/// `indexed by <index>` on SQLite, nothing on PostgreSQL. SQLite plans
/// without statistics, and where an index that starts with the workspace
/// also orders or covers what a statement asks for, it may read the whole
/// workspace through it rather than the few rows a more selective index
/// leads to: such a statement names its index (a test in each module keeps
/// the plan; `plans`). PostgreSQL plans with its statistics.
pub(crate) fn sqlite_indexed_by(backend: Backend, index: &str) -> String {
    match backend {
        Backend::Sqlite => format!("indexed by {index}"),
        Backend::Postgres => String::new(),
    }
}

/// `BEGIN` on a connection, `BEGIN IMMEDIATE` on SQLite.
pub async fn begin_in(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
) -> Result<sqlx::Transaction<'_, Any>, sqlx::Error> {
    match backend {
        Backend::Sqlite => sqlx::Connection::begin_with(conn, "BEGIN IMMEDIATE").await,
        Backend::Postgres => sqlx::Connection::begin(conn).await,
    }
}

/// Like [`begin_in`], for a record that a crash of the database server may
/// lose because what it records is found again (the outbox's records of
/// work done in Slack: a row whose record is lost runs again as uncertain,
/// and looks before it acts). On PostgreSQL its commit does not wait for the
/// WAL's flush (`synchronous_commit` off for this transaction only, set in
/// the same round trip as its `BEGIN`); a later commit that waits flushes
/// past it. SQLite's commits never wait for a sync (`synchronous = NORMAL`).
pub async fn begin_unflushed_in(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
) -> Result<sqlx::Transaction<'_, Any>, sqlx::Error> {
    match backend {
        Backend::Sqlite => begin_in(conn, backend).await,
        Backend::Postgres => sqlx::Connection::begin_with(conn, "BEGIN; SET LOCAL synchronous_commit = off").await,
    }
}

/// `BEGIN` on a pool, `BEGIN IMMEDIATE` on SQLite.
async fn begin_on(pool: &AnyPool, backend: Backend) -> Result<sqlx::Transaction<'static, Any>, sqlx::Error> {
    match backend {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
        Backend::Postgres => pool.begin().await,
    }
}

/// The migrations of a backend (both folders hold the same versions).
pub fn migrator_for(backend: Backend) -> &'static Migrator {
    match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    }
}

/// A token unique across processes and replicas (128 random bits, as hex),
/// naming a claim on outbox rows, a thread parent, or a did-you-mean question.
pub fn claim_token() -> String {
    use ring::rand::SecureRandom as _;
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new().fill(&mut bytes).expect("the system's random source works");
    hex::encode(bytes)
}
