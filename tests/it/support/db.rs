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
