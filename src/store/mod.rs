//! Storage: every SQL statement of the app lives under this module, one file per
//! aggregate. Queries are portable (`$1` placeholders, `ON CONFLICT`, `RETURNING`)
//! and run through sqlx's `Any` driver on SQLite or PostgreSQL; where the
//! dialects differ, the branch is made here and never in callers.

pub mod areas;
pub mod customers;
pub mod digests;
pub mod events;
pub mod highlights;
pub mod onboarding;
pub mod outbox;
pub mod search;
pub mod workspaces;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{MigrateDatabase, Migrator};
use sqlx::{Any, AnyPool, ConnectOptions as _, Executor as _};

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

/// The connection pool and the backend behind it.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
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
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the one writer; the busy timeout
                        // makes a second writer wait instead of failing at once.
                        conn.execute("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;")
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .context("cannot connect to the database named by DATABASE_URL")?;
        Ok(Self { pool, backend })
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

    /// Applies every pending migration of this backend.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        self.migrator().run(&self.pool).await.context("database migration failed")?;
        Ok(())
    }

    /// The migrations of this backend.
    pub fn migrator(&self) -> &'static Migrator {
        migrator_for(self.backend)
    }

    /// The pool: for the store's own modules, and tests that inspect the schema.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so a transaction that reads before it writes waits
    /// its turn (busy timeout) instead of failing with "database is locked".
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Answers when the database does: the health check.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("select 1").execute(&self.pool).await.map(|_| ())
    }

    /// Closes every connection (at shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The migrations of a backend (both folders hold the same versions).
pub fn migrator_for(backend: Backend) -> &'static Migrator {
    match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    }
}
