//! Fresh databases for tests: a temporary SQLite file always, and a fresh
//! PostgreSQL database per test when `HIGHLIGHTS_TEST_POSTGRES_URL` is set.

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{Connection as _, Executor as _};

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestBackend {
    Sqlite,
    Postgres,
}

/// A database that exists for one test.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_admin: Option<(String, String)>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The PostgreSQL server tests may use, if any (without one, the build marks
/// every PostgreSQL twin as ignored: see `build.rs`).
pub fn postgres_base_url() -> Option<String> {
    std::env::var("HIGHLIGHTS_TEST_POSTGRES_URL").ok().map(|url| url.trim().to_owned()).filter(|url| !url.is_empty())
}

impl TestDb {
    /// A fresh database on `backend`, or None when PostgreSQL is not configured.
    pub async fn create(backend: TestBackend) -> Option<Self> {
        match backend {
            TestBackend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("highlights.db").display());
                Some(Self { url, _dir: Some(dir), pg_admin: None })
            }
            TestBackend::Postgres => {
                let base = postgres_base_url()?;
                let name = format!(
                    "hl_test_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed),
                    jiff::Timestamp::now().as_nanosecond() % 1_000_000
                );
                let mut admin =
                    sqlx::PgConnection::connect(&base).await.expect("connect to HIGHLIGHTS_TEST_POSTGRES_URL");
                admin.execute(format!("create database {name}").as_str()).await.expect("create test database");
                admin.close().await.ok();
                let mut url = url::Url::parse(&base).expect("postgres URL");
                url.set_path(&format!("/{name}"));
                Some(Self { url: url.to_string(), _dir: None, pg_admin: Some((base, name)) })
            }
        }
    }

    /// The same database, for another replica: the first owner removes it.
    pub fn shared(&self) -> Self {
        Self { url: self.url.clone(), _dir: None, pg_admin: None }
    }

    /// An empty stand-in, left behind when a test app hands its database on.
    pub fn placeholder() -> Self {
        Self { url: String::new(), _dir: None, pg_admin: None }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, name)) = self.pg_admin.take() {
            // Dropping happens outside any runtime the test may still hold.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                rt.block_on(async move {
                    if let Ok(mut admin) = sqlx::PgConnection::connect(&base).await {
                        let _ = admin.execute(format!("drop database if exists {name} with (force)").as_str()).await;
                        let _ = admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// Runs an async test body on SQLite, and on PostgreSQL when configured:
/// `on_both_backends!(name);` next to `async fn name(backend: TestBackend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::support::db::TestBackend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(postgres_tests), ignore = "set HIGHLIGHTS_TEST_POSTGRES_URL to run it on PostgreSQL")]
            async fn postgres() {
                super::$name($crate::support::db::TestBackend::Postgres).await
            }
        }
    )*};
}

/// An outbox row, as tests look at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub kind: String,
    /// `pending`, `done` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// A workspace's row, as tests look at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceRow {
    pub product_channel: Option<String>,
    /// When Slack said the app was uninstalled (unix ms), until it is used again.
    pub uninstalled_at: Option<i64>,
}

/// Typed reads of what the app stored, for the tests of features (the
/// store's own tests read through the store).
impl super::TestApp {
    /// Every outbox row, oldest first.
    pub async fn outbox_rows(&self) -> Vec<OutboxRow> {
        let rows: Vec<(String, String, i64, Option<String>)> =
            sqlx::query_as("select kind, status, attempts, last_error from outbox order by id")
                .fetch_all(self.db.pool())
                .await
                .expect("outbox rows");
        rows.into_iter()
            .map(|(kind, status, attempts, last_error)| OutboxRow { kind, status, attempts, last_error })
            .collect()
    }

    /// The outbox rows of one kind (`post_highlight`, `nudge_follower`, …), oldest first.
    pub async fn outbox_rows_of(&self, kind: &str) -> Vec<OutboxRow> {
        self.outbox_rows().await.into_iter().filter(|row| row.kind == kind).collect()
    }

    /// The id of the customer shown as `name` (in any workspace).
    pub async fn customer_id(&self, name: &str) -> i64 {
        self.one("customer", "select id from customers where display_name = $1", name).await
    }

    /// The ts of the thread of the customer shown as `name`, once it has one.
    pub async fn thread_ts_of(&self, name: &str) -> Option<String> {
        self.one("customer", "select thread_ts from customers where display_name = $1", name).await
    }

    /// The id of the product area keyed `key` (its name in lowercase).
    pub async fn area_id(&self, key: &str) -> i64 {
        self.one("area", "select id from product_areas where key = $1", key).await
    }

    /// The one value `sql` reads for `key`; panics naming `what` when there is none.
    async fn one<T>(&self, what: &str, sql: &str, key: &str) -> T
    where
        T: Send + Unpin,
        (T,): for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        sqlx::query_scalar(sql)
            .bind(key)
            .fetch_one(self.db.pool())
            .await
            .unwrap_or_else(|e| panic!("no {what} {key}: {e}"))
    }

    /// The test workspace's row, as tests look at it.
    pub async fn workspace_row(&self) -> WorkspaceRow {
        let (product_channel, uninstalled_at) =
            sqlx::query_as("select product_channel, uninstalled_at from workspaces where id = $1")
                .bind(super::TEAM)
                .fetch_one(self.db.pool())
                .await
                .expect("the test workspace");
        WorkspaceRow { product_channel, uninstalled_at }
    }

    /// Where each highlight was posted (its reply's ts), oldest highlight first.
    pub async fn posted_ts_of_highlights(&self) -> Vec<Option<String>> {
        sqlx::query_scalar("select posted_ts from highlights order by id").fetch_all(self.db.pool()).await.expect("ts")
    }

    /// The tables with a column called `column`, by name, as the schema says.
    pub async fn tables_with_column(&self, column: &str) -> Vec<String> {
        let sql = if self.test_db.url.starts_with("sqlite:") {
            "select m.name from sqlite_master m join pragma_table_info(m.name) c
             where m.type = 'table' and c.name = $1 order by m.name"
        } else {
            "select table_name::text from information_schema.columns
             where column_name::text = $1 and table_schema = current_schema() order by table_name"
        };
        sqlx::query_scalar(sql).bind(column).fetch_all(self.db.pool()).await.expect("schema")
    }
}

/// A capture of one `request` highlight by `U0AAAAAAA` on 2026-11-01, for
/// the store's own tests: about customer `name` (the existing customer
/// `customer_id`, or a new one when None), in area `area_id`, its posts
/// parked far in the future.
pub fn store_capture(
    name: &str,
    customer_id: Option<i64>,
    area_id: i64,
    quote: &str,
) -> highlights::store::captures::NewCapture {
    use highlights::domain::customer::CustomerName;
    use highlights::store::captures::{NewCapture, NewHighlight};
    NewCapture {
        author: "U0AAAAAAA".into(),
        customer: CustomerName::parse(name).expect("name"),
        customer_id,
        interview_date: "2026-11-01".into(),
        recording_link: None,
        interviewee: None,
        highlights: vec![NewHighlight {
            area_id,
            kind: "request",
            quote: quote.into(),
            takeaway: None,
            recording_link: None,
            recording_at: None,
        }],
        post_after_ms: i64::MAX / 2,
        notices: vec![],
        seen: None,
    }
}
