//! The store on both backends: migrations, workspaces, isolation.

use highlights::store::workspaces::{self, WorkspaceId};
use highlights::store::{events, migrator_for, Backend, Db};

use crate::on_both_backends;
use crate::support::db::{TestBackend, TestDb};

async fn fresh_db(backend: TestBackend) -> (TestDb, Db) {
    let test_db = TestDb::create(backend).await.expect("backend available");
    let db = Db::connect_and_migrate(&test_db.url).await.expect("migrated");
    (test_db, db)
}

#[test]
fn both_migration_folders_hold_the_same_versions() {
    let versions = |b| migrator_for(b).iter().map(|m| (m.version, m.description.to_string())).collect::<Vec<_>>();
    assert_eq!(versions(Backend::Sqlite), versions(Backend::Postgres));
    assert!(!versions(Backend::Sqlite).is_empty());
}

on_both_backends!(migrations_apply_once_and_again_without_change);
async fn migrations_apply_once_and_again_without_change(backend: TestBackend) {
    let (_guard, db) = fresh_db(backend).await;
    db.migrate().await.expect("second run is a no-op");
    let applied: i64 = sqlx::query_scalar("select count(*) from _sqlx_migrations")
        .fetch_one(&sqlx::AnyPool::connect(&_guard.url).await.expect("connect"))
        .await
        .expect("count");
    assert_eq!(applied as usize, db.migrator().iter().count());
}

on_both_backends!(a_new_workspace_starts_with_the_default_areas_once);
async fn a_new_workspace_starts_with_the_default_areas_once(backend: TestBackend) {
    let (_guard, db) = fresh_db(backend).await;
    let ws = WorkspaceId("T0AAAAAAA".into());
    let areas = vec!["Chat".to_owned(), "Billing".to_owned()];
    assert!(workspaces::insert_workspace_if_new(&db, &ws, &areas, 1).await.expect("insert"));
    assert!(!workspaces::insert_workspace_if_new(&db, &ws, &areas, 2).await.expect("again"));
    let found = workspaces::find_workspace(&db, &ws).await.expect("query").expect("found");
    assert_eq!(found.product_channel, None);
    let pool = sqlx::AnyPool::connect(&_guard.url).await.expect("connect");
    let names: Vec<(String, String)> =
        sqlx::query_as("select key, name from product_areas where workspace_id = $1 order by key")
            .bind("T0AAAAAAA")
            .fetch_all(&pool)
            .await
            .expect("areas");
    assert_eq!(names, vec![("billing".into(), "Billing".into()), ("chat".into(), "Chat".into())]);
}

on_both_backends!(event_ids_are_recorded_once_per_workspace);
async fn event_ids_are_recorded_once_per_workspace(backend: TestBackend) {
    let (_guard, db) = fresh_db(backend).await;
    let a = WorkspaceId("T0AAAAAAA".into());
    let b = WorkspaceId("T0BBBBBBB".into());
    assert!(events::insert_processed_event(&db, &a, "Ev1", "app_home_opened", 1).await.expect("insert"));
    assert!(!events::insert_processed_event(&db, &a, "Ev1", "app_home_opened", 2).await.expect("again"));
    assert!(events::insert_processed_event(&db, &b, "Ev1", "app_home_opened", 3).await.expect("other workspace"));
    assert_eq!(events::count_processed_events(&db, &a).await.expect("count"), 1);
}

on_both_backends!(rows_cannot_point_into_another_workspace);
async fn rows_cannot_point_into_another_workspace(backend: TestBackend) {
    let (guard, db) = fresh_db(backend).await;
    for ws in ["T0AAAAAAA", "T0BBBBBBB"] {
        workspaces::insert_workspace_if_new(&db, &WorkspaceId(ws.into()), &["chat".into()], 1).await.expect("ws");
    }
    let pool = sqlx::AnyPool::connect(&guard.url).await.expect("connect");
    if backend == TestBackend::Sqlite {
        sqlx::query("pragma foreign_keys = on").execute(&pool).await.expect("pragma");
    }
    let customer_a: i64 = sqlx::query_scalar(
        "insert into customers (workspace_id, key, display_name, created_at, updated_at)
         values ('T0AAAAAAA', 'acme', 'Acme', 1, 1) returning id",
    )
    .fetch_one(&pool)
    .await
    .expect("customer");
    // Workspace B may not record an interview about workspace A's customer.
    let crossed = sqlx::query(
        "insert into interviews (workspace_id, customer_id, interviewer, interview_date, created_at)
         values ('T0BBBBBBB', $1, 'U1', '2026-11-27', 1)",
    )
    .bind(customer_a)
    .execute(&pool)
    .await;
    assert!(crossed.is_err(), "a row pointing into another workspace was accepted");
    let same = sqlx::query(
        "insert into interviews (workspace_id, customer_id, interviewer, interview_date, created_at)
         values ('T0AAAAAAA', $1, 'U1', '2026-11-27', 1)",
    )
    .bind(customer_a)
    .execute(&pool)
    .await;
    assert!(same.is_ok(), "{same:?}");
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys() {
    let (_guard, db) = fresh_db(TestBackend::Sqlite).await;
    let mode: String = sqlx::query_scalar("pragma journal_mode").fetch_one(db.pool()).await.expect("pragma");
    assert_eq!(mode, "wal");
    // The app's own connections have foreign keys on: a dangling reference fails.
    let dangling = sqlx::query(
        "insert into customer_aliases (workspace_id, key, customer_id, display_name, created_at) values ('T0X', 'k', 999, 'K', 1)",
    )
    .execute(db.pool())
    .await;
    assert!(dangling.is_err());
}

/// SQLite: the WAL is copied back into the database file beside the writer,
/// not only when a commit passes 4,096 pages, so no capture waits for a
/// whole checkpoint and the database file keeps up with what was written.
#[tokio::test]
async fn sqlite_checkpoints_run_beside_the_writer() {
    let (guard, db) = fresh_db(TestBackend::Sqlite).await;
    let file = guard.url.trim_start_matches("sqlite://").to_owned();
    let size = || std::fs::metadata(&file).expect("database file").len();
    let before = size();
    sqlx::query("create table filler (text text not null)").execute(db.pool()).await.expect("table");
    // About 2 MiB: some 500 pages in the WAL, far below the commit's own threshold.
    for _ in 0..64 {
        sqlx::query("insert into filler (text) values ($1)")
            .bind("x".repeat(32 * 1024))
            .execute(db.pool())
            .await
            .expect("insert");
    }
    crate::support::eventually("the WAL to be copied into the database file", || {
        std::future::ready(size() > before + 1024 * 1024)
    })
    .await;
}
