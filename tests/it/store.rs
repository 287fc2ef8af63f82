//! The store on both backends: migrations, workspaces, isolation.

use highlights::store::workspaces::{self, WorkspaceId};
use std::time::Duration;

use highlights::store::held::Held;
use highlights::store::{events, migrator_for, Backend, Db};

use crate::on_both_backends;
use crate::support::db::{store_capture, TestBackend, TestDb};

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
    assert!(db.write(async |tx| workspaces::insert_workspace_if_new(tx, &ws, &areas, 1).await).await.expect("insert"));
    assert!(!db.write(async |tx| workspaces::insert_workspace_if_new(tx, &ws, &areas, 2).await).await.expect("again"));
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

on_both_backends!(a_unique_key_taken_at_the_same_moment_is_an_answer_for_the_user);
async fn a_unique_key_taken_at_the_same_moment_is_an_answer_for_the_user(backend: TestBackend) {
    let (_guard, db) = fresh_db(backend).await;
    let ws = WorkspaceId("T0AAAAAAA".into());
    let areas = vec!["Chat".to_owned(), "Billing".to_owned()];
    db.write(async |tx| workspaces::insert_workspace_if_new(tx, &ws, &areas, 1).await).await.expect("insert");
    let billing = highlights::store::areas::list_areas(&db, &ws)
        .await
        .expect("areas")
        .into_iter()
        .find(|a| a.name == "Billing")
        .expect("billing");
    // As if a rename had checked "chat" was free just before another took it.
    let taken = db
        .write(async |tx| highlights::store::areas::update_area_name(tx, &ws, billing.id, "CHAT").await)
        .await
        .expect_err("the key is taken");
    match highlights::error::AppError::from(taken) {
        highlights::error::AppError::User(said) => assert_eq!(said.0, highlights::error::CONFLICT_TEXT),
        other => panic!("a unique violation became {other:?}"),
    }
    // Any other database failure stays internal.
    let other = db
        .write(async |tx| sqlx::query("select * from no_such_table").execute(&mut *tx).await.map(|_| ()))
        .await
        .expect_err("no table");
    assert!(matches!(highlights::error::AppError::from(other), highlights::error::AppError::Database(_)));
}

on_both_backends!(a_unit_of_work_commits_whole_or_not_at_all);
async fn a_unit_of_work_commits_whole_or_not_at_all(backend: TestBackend) {
    let (_guard, db) = fresh_db(backend).await;
    let ws = WorkspaceId("T0AAAAAAA".into());
    let areas = vec!["Chat".to_owned(), "Billing".to_owned()];
    // A new workspace and a write that fails, in one transaction: neither stays.
    let mut tx = db.begin().await.expect("begin");
    assert!(workspaces::insert_workspace_if_new(&mut tx, &ws, &areas, 1).await.expect("insert"));
    let failed =
        sqlx::query("insert into product_areas (workspace_id, key, name, created_at) values ($1, 'chat', 'chat', 1)")
            .bind(ws.as_str())
            .execute(&mut *tx)
            .await;
    assert!(failed.is_err(), "the second chat area is refused");
    drop(tx);
    assert!(workspaces::find_workspace(&db, &ws).await.expect("query").is_none(), "rolled back whole");
    // The same two writes without the failure commit together.
    let mut tx = db.begin().await.expect("begin");
    assert!(workspaces::insert_workspace_if_new(&mut tx, &ws, &areas, 1).await.expect("insert"));
    assert!(highlights::store::areas::insert_area(&mut tx, &ws, "Exports", 2).await.expect("area"));
    tx.commit().await.expect("commit");
    assert_eq!(highlights::store::areas::list_areas(&db, &ws).await.expect("areas").len(), 3);
}

on_both_backends!(event_ids_are_recorded_once_per_workspace);
async fn event_ids_are_recorded_once_per_workspace(backend: TestBackend) {
    let (_guard, db) = fresh_db(backend).await;
    let a = WorkspaceId("T0AAAAAAA".into());
    let b = WorkspaceId("T0BBBBBBB".into());
    assert!(db
        .write(async |tx| events::insert_processed_event(tx, &a, "Ev1", "app_home_opened", 1).await)
        .await
        .expect("insert"));
    assert!(!db
        .write(async |tx| events::insert_processed_event(tx, &a, "Ev1", "app_home_opened", 2).await)
        .await
        .expect("again"));
    assert!(db
        .write(async |tx| events::insert_processed_event(tx, &b, "Ev1", "app_home_opened", 3).await)
        .await
        .expect("other workspace"));
    assert_eq!(events::count_processed_events(&db, &a).await.expect("count"), 1);
}

on_both_backends!(rows_cannot_point_into_another_workspace);
async fn rows_cannot_point_into_another_workspace(backend: TestBackend) {
    let (guard, db) = fresh_db(backend).await;
    for ws in ["T0AAAAAAA", "T0BBBBBBB"] {
        db.write(async |tx| {
            workspaces::insert_workspace_if_new(tx, &WorkspaceId(ws.into()), &["chat".into()], 1).await
        })
        .await
        .expect("ws");
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
async fn sqlite_runs_in_wal_mode_with_foreign_keys_and_journals_in_memory() {
    let (_guard, db) = fresh_db(TestBackend::Sqlite).await;
    let mode: String = sqlx::query_scalar("pragma journal_mode").fetch_one(db.pool()).await.expect("pragma");
    assert_eq!(mode, "wal");
    // Statement journals stay in memory (2 = MEMORY): no file per group commit.
    let temp_store: i64 = sqlx::query_scalar("pragma temp_store").fetch_one(db.pool()).await.expect("pragma");
    assert_eq!(temp_store, 2);
    // The app's own connections have foreign keys on: a dangling reference fails.
    let dangling = sqlx::query(
        "insert into customer_aliases (workspace_id, key, customer_id, display_name, created_at) values ('T0X', 'k', 999, 'K', 1)",
    )
    .execute(db.pool())
    .await;
    assert!(dangling.is_err());
}

/// SQLite: full-text search merges its index once a level holds 16 segments,
/// not 4, and a whole level at once only at 32, so a capture costs about the
/// same in a workspace of a million highlights as in one of ten thousand
/// (the figures are in `benches/README.md`).
#[tokio::test]
async fn sqlite_search_index_merges_in_larger_steps() {
    let (_guard, db) = fresh_db(TestBackend::Sqlite).await;
    let settings: Vec<(String, i64)> =
        sqlx::query_as("select k, v from highlights_fts_config where k in ('automerge', 'crisismerge') order by k")
            .fetch_all(db.pool())
            .await
            .expect("search index settings");
    assert_eq!(settings, vec![("automerge".into(), 16), ("crisismerge".into(), 32)]);
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

/// The first `n` migrations of a backend, as a migration source.
#[derive(Debug)]
struct FirstMigrations(Vec<sqlx::migrate::Migration>);

impl<'s> sqlx::migrate::MigrationSource<'s> for FirstMigrations {
    fn resolve(
        self,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<Vec<sqlx::migrate::Migration>, sqlx::error::BoxDynError>>
                + Send
                + 's,
        >,
    > {
        Box::pin(async move { Ok(self.0) })
    }
}

async fn migrate_to(pool: &sqlx::AnyPool, backend: Backend, n: usize) {
    let first = migrator_for(backend).iter().take(n).cloned().collect();
    let migrator = sqlx::migrate::Migrator::new(FirstMigrations(first)).await.expect("migrations");
    migrator.run(pool).await.expect("migrated");
}

/// What was written before an upgrade, counted.
async fn seeded_counts(pool: &sqlx::AnyPool) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in ["workspaces", "customers", "product_areas", "interviews", "highlights", "outbox"] {
        let n: i64 = sqlx::query_scalar(&format!("select count(*) from {table}")).fetch_one(pool).await.expect("count");
        counts.push(n);
    }
    counts
}

on_both_backends!(data_written_at_the_first_version_survives_every_later_migration);
async fn data_written_at_the_first_version_survives_every_later_migration(backend: TestBackend) {
    let test_db = TestDb::create(backend).await.expect("backend available");
    let kind = if test_db.url.starts_with("postgres") { Backend::Postgres } else { Backend::Sqlite };
    let url = match kind {
        Backend::Sqlite => format!("{}?mode=rwc", test_db.url),
        Backend::Postgres => test_db.url.clone(),
    };
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.expect("connect");
    migrate_to(&pool, kind, 1).await;
    // A workspace as the first release wrote it: a customer, an interview, two
    // highlights (one posted), and a post still queued.
    for sql in [
        "insert into workspaces (id, name, product_channel, created_at, updated_at) values ('T0OLD00001', 'Old', 'C0PROD0001', 1, 1)",
        "insert into customers (workspace_id, key, display_name, thread_channel, thread_ts, created_at, updated_at)
         values ('T0OLD00001', 'acme', 'Acme', 'C0PROD0001', '1.1', 1, 1)",
        "insert into product_areas (workspace_id, key, name, created_at) values ('T0OLD00001', 'chat', 'Chat', 1)",
        "insert into interviews (workspace_id, customer_id, interviewer, interview_date, created_at)
         select 'T0OLD00001', id, 'U0OLD00001', '2026-11-01', 1 from customers",
        "insert into highlights (workspace_id, interview_id, customer_id, area_id, kind, quote, author, created_at, posted_channel, posted_ts)
         select 'T0OLD00001', i.id, i.customer_id, a.id, 'request', 'We need canned replies', 'U0OLD00001', 2, 'C0PROD0001', '1.2'
         from interviews i, product_areas a",
        "insert into highlights (workspace_id, interview_id, customer_id, area_id, kind, quote, author, created_at)
         select 'T0OLD00001', i.id, i.customer_id, a.id, 'pain', 'Exports time out', 'U0OLD00001', 3
         from interviews i, product_areas a",
        "insert into outbox (workspace_id, kind, dedupe_key, payload, run_after, created_at, updated_at)
         select 'T0OLD00001', 'post_highlight', 'highlight:' || id, '{\"kind\":\"post_highlight\",\"highlight_id\":' || id || '}', 3, 3, 3
         from highlights where quote = 'Exports time out'",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap_or_else(|e| panic!("{e}: {sql}"));
    }
    let seeded = seeded_counts(&pool).await;
    assert_eq!(seeded, vec![1, 1, 1, 1, 2, 1]);
    // Each later migration, one at a time, keeps every row.
    let all = migrator_for(kind).iter().count();
    for n in 2..=all {
        migrate_to(&pool, kind, n).await;
        assert_eq!(seeded_counts(&pool).await, seeded, "after migration {n}");
    }
    pool.close().await;
    // The app reads what the first release wrote, with today's code.
    let db = Db::connect_and_migrate(&test_db.url).await.expect("current");
    let ws = WorkspaceId("T0OLD00001".into());
    let posted: i64 = sqlx::query_scalar("select id from highlights where quote = 'We need canned replies'")
        .fetch_one(db.pool())
        .await
        .expect("id");
    let h =
        highlights::store::highlights::find_highlight_for_post(&db, &ws, posted).await.expect("read").expect("found");
    assert_eq!(
        (h.quote.as_str(), h.customer_name.as_str(), h.area_name.as_str()),
        ("We need canned replies", "Acme", "Chat")
    );
    assert_eq!((h.recording_at, h.endorsed_by), (None, None), "columns added later start empty");
    assert_eq!(
        highlights::store::highlights::find_highlight_by_post(&db, &ws, "C0PROD0001", "1.2").await.expect("read"),
        Some(posted)
    );
    let pending = highlights::store::outbox::count_outbox_rows(&db, "pending").await.expect("count");
    assert_eq!(pending, 1, "the queued post is still there to be made");
    let found = workspaces::find_workspace(&db, &ws).await.expect("read").expect("found");
    assert_eq!(found.product_channel.as_deref(), Some("C0PROD0001"));
    db.close().await;
}

/// Every table and column, with whether it may be null, as a backend has them.
async fn schema_of(url: &str) -> std::collections::BTreeSet<(String, String, bool)> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.expect("connect");
    let rows: Vec<(String, String, i32)> = if url.starts_with("postgres") {
        sqlx::query_as(
            "select table_name::text, column_name::text, case when is_nullable = 'NO' then 1 else 0 end
             from information_schema.columns where table_schema = current_schema()",
        )
        .fetch_all(&pool)
        .await
        .expect("columns")
    } else {
        sqlx::query_as(
            "select m.name, p.name, case when p.\"notnull\" = 1 or p.pk > 0 then 1 else 0 end
             from sqlite_master m join pragma_table_info(m.name) p
             where m.type = 'table' and m.name not like 'sqlite_%'",
        )
        .fetch_all(&pool)
        .await
        .expect("columns")
    };
    pool.close().await;
    rows.into_iter()
        // Full-text search is each backend's own: FTS5 tables on SQLite, a tsvector column on PostgreSQL.
        .filter(|(table, column, _)| {
            let backend_own = table == "highlights" && column == "search";
            !(table.starts_with("_sqlx") || table.starts_with("highlights_fts") || backend_own)
        })
        .map(|(table, column, not_null)| (table, column, not_null == 1))
        .collect()
}

#[tokio::test]
#[cfg_attr(not(postgres_tests), ignore = "set HIGHLIGHTS_TEST_POSTGRES_URL to run it on PostgreSQL")]
async fn both_backends_have_the_same_tables_columns_and_nullability() {
    let (sqlite, _a) = fresh_db(TestBackend::Sqlite).await;
    let (postgres, _b) = fresh_db(TestBackend::Postgres).await;
    let (lite, pg) = (schema_of(&sqlite.url).await, schema_of(&postgres.url).await);
    assert!(lite.len() > 50, "{lite:?}");
    let only_lite: Vec<_> = lite.difference(&pg).collect();
    let only_pg: Vec<_> = pg.difference(&lite).collect();
    assert!(
        only_lite.is_empty() && only_pg.is_empty(),
        "only on SQLite: {only_lite:?}\nonly on PostgreSQL: {only_pg:?}"
    );
}

/// Claims the due outbox rows at `now_ms` (a 60 s lease, at most 10).
async fn claim(db: &Db, token: &str, now_ms: i64) -> Vec<highlights::store::outbox::OutboxRow> {
    use highlights::store::outbox;
    db.write(async |tx| outbox::claim_outbox_rows(tx, token, now_ms, 60_000, 10).await).await.expect("claimed")
}

/// Records a failed attempt of `row` at `now_ms`, to run again at `until`.
async fn park(db: &Db, row: &highlights::store::outbox::OutboxRow, until: i64, reason: &str, now_ms: i64) {
    use highlights::store::outbox::{self, Retry};
    let failed = Retry::Failed { uncertain: false };
    db.write(async |tx| outbox::update_outbox_retry(tx, row, until, reason, failed, now_ms).await)
        .await
        .expect("retry");
}

/// When the only outbox row is due.
async fn run_after(db: &Db) -> i64 {
    sqlx::query_scalar("select run_after from outbox").fetch_one(db.pool()).await.expect("row")
}

on_both_backends!(a_wake_while_a_row_is_in_flight_is_not_lost_to_its_retry);
async fn a_wake_while_a_row_is_in_flight_is_not_lost_to_its_retry(backend: TestBackend) {
    use highlights::store::outbox;
    let (_guard, db, ws) = one_queued_post(backend).await;
    let claimed = claim(&db, "claim-1", 2_000).await;
    assert_eq!(claimed.len(), 1);
    // The channel is set while the attempt is in flight...
    db.write(async |tx| outbox::update_outbox_wake_workspace(tx, &ws, 3_000).await).await.expect("woken");
    // ...and the attempt then fails with "no channel", parking the row for an hour.
    park(&db, &claimed[0], 3_600_000, "no channel", 4_000).await;
    let due = run_after(&db).await;
    assert!(due <= 4_000, "due again at once, not in an hour: {due}");
    // Without a wake, a retry waits as it says.
    let again = claim(&db, "claim-2", 5_000).await;
    park(&db, &again[0], 3_600_000, "no channel", 6_000).await;
    assert_eq!(run_after(&db).await, 3_600_000);
}

/// A workspace with one post queued at 1,000 ms, for the outbox's tests.
async fn one_queued_post(backend: TestBackend) -> (TestDb, Db, WorkspaceId) {
    use highlights::store::outbox::{self, OutboxKind};
    let (guard, db) = fresh_db(backend).await;
    let ws = WorkspaceId("T0AAAAAAA".into());
    assert!(db.write(async |tx| workspaces::insert_workspace_if_new(tx, &ws, &[], 1).await).await.expect("workspace"));
    db.write(async |tx| {
        outbox::insert_outbox_row(tx, &ws, &OutboxKind::PostHighlight { highlight_id: 7 }, 1_000).await
    })
    .await
    .expect("queued");
    (guard, db, ws)
}

on_both_backends!(a_wake_counts_only_the_rows_that_were_waiting);
async fn a_wake_counts_only_the_rows_that_were_waiting(backend: TestBackend) {
    use highlights::store::outbox;
    let (_guard, db, ws) = one_queued_post(backend).await;
    // Due since 1,000 and held by no one: nothing was waiting for the wake.
    let woken = db.write(async |tx| outbox::update_outbox_wake_workspace(tx, &ws, 2_000).await).await.expect("woken");
    assert_eq!(woken, 0, "a due row is not said to have waited");
    // In flight: its retry will be due at once, so it counts.
    assert_eq!(claim(&db, "claim-1", 3_000).await.len(), 1);
    let woken = db.write(async |tx| outbox::update_outbox_wake_workspace(tx, &ws, 4_000).await).await.expect("woken");
    assert_eq!(woken, 1, "a row in flight was waiting");
}

on_both_backends!(a_wake_in_the_millisecond_of_the_claim_is_not_lost_to_its_retry);
async fn a_wake_in_the_millisecond_of_the_claim_is_not_lost_to_its_retry(backend: TestBackend) {
    let (_guard, db, ws) = one_queued_post(backend).await;
    let claimed = claim(&db, "claim-1", 2_000).await;
    assert_eq!(claimed.len(), 1);
    // Installed again in the very millisecond the row was claimed...
    db.write(async |tx| workspaces::update_reinstalled(tx, &ws, 2_000).await).await.expect("woken");
    // ...while the attempt still read the workspace uninstalled: it parks the row.
    park(&db, &claimed[0], 32_000, "uninstalled", 2_000).await;
    assert_eq!(run_after(&db).await, 2_000, "due again at once, not when the park ends");
}

on_both_backends!(a_wake_that_meets_a_claim_being_committed_is_not_lost_to_its_retry);
async fn a_wake_that_meets_a_claim_being_committed_is_not_lost_to_its_retry(backend: TestBackend) {
    use highlights::store::outbox;
    let (_guard, db, ws) = one_queued_post(backend).await;
    // A worker claims the due row; its claim is not committed yet...
    let mut claim = db.begin().await.expect("begin");
    let claimed = outbox::claim_outbox_rows(&mut claim, "claim-1", 2_000, 60_000, 10).await.expect("claimed");
    assert_eq!(claimed.len(), 1);
    // ...when the channel is set (or the app installed again) and the workspace's rows woken.
    let wake = tokio::spawn({
        let (db, ws) = (db.clone(), ws.clone());
        async move { db.write(async |tx| outbox::update_outbox_wake_workspace(tx, &ws, 3_000).await).await }
    });
    if backend == TestBackend::Postgres {
        // The wake reaches the row while the claim holds it: it waits for the
        // claim (or, not seeing the row as in flight, passes it by).
        crate::support::eventually("the wake to wait for the claim or pass the row by", || async {
            let waiting: i64 = sqlx::query_scalar(
                "select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
            )
            .fetch_one(db.pool())
            .await
            .expect("activity");
            waiting > 0 || wake.is_finished()
        })
        .await;
    }
    claim.commit().await.expect("claim committed");
    wake.await.expect("wake ran").expect("woken");
    // The attempt read the state before the wake's change and parks the row.
    park(&db, &claimed[0], 3_600_000, "no channel", 4_000).await;
    let due = run_after(&db).await;
    assert!(due <= 4_000, "due again at once, not in an hour: {due}");
}

on_both_backends!(finished_outbox_work_recorded_at_once_is_each_recorded);
async fn finished_outbox_work_recorded_at_once_is_each_recorded(backend: TestBackend) {
    use highlights::store::finished::Finished;
    use highlights::store::outbox::{self, OutboxKind};
    let (_guard, db) = fresh_db(backend).await;
    let ws = WorkspaceId("T0AAAAAAA".into());
    let ids = seed_two_highlights(&db).await;
    let customer: i64 = sqlx::query_scalar("select id from customers").fetch_one(db.pool()).await.expect("customer");
    let refresh = OutboxKind::UpdateThreadParent { customer_id: customer };
    db.write(async |tx| {
        for &id in &ids {
            outbox::insert_outbox_row(tx, &ws, &OutboxKind::PostHighlight { highlight_id: id }, 10).await?;
        }
        outbox::insert_outbox_row(tx, &ws, &refresh, 10).await
    })
    .await
    .expect("queued");
    let claimed = claim(&db, "claim-1", 20).await;
    assert_eq!(claimed.len(), 3);
    let posted_in =
        |workspace: &WorkspaceId, n: usize, permalink: Option<&str>, follow_ups: Vec<OutboxKind>| Finished::Posted {
            workspace: workspace.clone(),
            highlight_id: ids[n],
            channel: "C0PROD0001".into(),
            ts: format!("100.00{n}"),
            permalink: permalink.map(str::to_owned),
            follow_ups,
            now_ms: 30,
        };
    // A record for a workspace that does not exist cannot be written: it
    // fails alone, the others are written.
    let posted = |n, permalink, follow_ups| posted_in(&ws, n, permalink, follow_ups);
    let stray = posted_in(&WorkspaceId("T0NOWHERE".into()), 0, None, vec![refresh.clone()]);
    let done = Finished::Done { token: "claim-1".into(), ids: claimed.iter().map(|r| r.id).collect(), now_ms: 40 };
    let (first, second, stray, done) = tokio::join!(
        db.record_finished(posted(0, Some("https://x.slack.com/p1"), vec![refresh.clone()])),
        db.record_finished(posted(1, None, vec![refresh.clone(), OutboxKind::FillPermalink { highlight_id: ids[1] }])),
        db.record_finished(stray),
        db.record_finished(done),
    );
    first.expect("first");
    second.expect("second");
    done.expect("done");
    assert!(stray.is_err(), "a record that cannot be written fails");
    let rows: Vec<(Option<String>, Option<String>, Option<String>)> =
        sqlx::query_as("select posted_channel, posted_ts, permalink from highlights order by id")
            .fetch_all(db.pool())
            .await
            .expect("highlights");
    assert_eq!(
        rows,
        vec![
            (Some("C0PROD0001".into()), Some("100.000".into()), Some("https://x.slack.com/p1".into())),
            (Some("C0PROD0001".into()), Some("100.001".into()), None),
        ]
    );
    let outbox: Vec<(String, String)> =
        sqlx::query_as("select kind, status from outbox order by kind, id").fetch_all(db.pool()).await.expect("outbox");
    assert_eq!(
        outbox,
        vec![
            ("fill_permalink".into(), "pending".into()),
            ("post_highlight".into(), "done".into()),
            ("post_highlight".into(), "done".into()),
            // Woken by the posts while it was claimed: it runs again, whatever
            // the order its records were written in.
            ("update_thread_parent".into(), "pending".into()),
        ]
    );
}

on_both_backends!(a_highlight_asked_for_under_another_workspace_is_not_found);
async fn a_highlight_asked_for_under_another_workspace_is_not_found(backend: TestBackend) {
    use highlights::store::highlights::{find_highlight_for_post, find_highlights_for_posts};
    let (_guard, db) = fresh_db(backend).await;
    let ids = seed_two_highlights(&db).await;
    let (a, b) = (WorkspaceId("T0AAAAAAA".into()), WorkspaceId("T0BBBBBBB".into()));
    let found = find_highlights_for_posts(&db, &[(a.clone(), ids[0]), (b.clone(), ids[1])]).await.expect("read");
    let pairs: Vec<(String, i64, &str)> = found.iter().map(|((w, id), h)| (w.clone(), *id, h.quote.as_str())).collect();
    assert_eq!(pairs, vec![("T0AAAAAAA".into(), ids[0], "one")], "only the pair that matches");
    let (first, second, foreign) = tokio::join!(
        find_highlight_for_post(&db, &a, ids[0]),
        find_highlight_for_post(&db, &a, ids[1]),
        find_highlight_for_post(&db, &b, ids[0]),
    );
    let (first, second) = (first.expect("read").expect("found"), second.expect("read").expect("found"));
    assert_eq!((first.quote.as_str(), first.first_in_area), ("one", 1));
    assert_eq!((second.quote.as_str(), second.first_in_area), ("two", 0), "an earlier highlight shares its area");
    assert_eq!(foreign.expect("read"), None, "another workspace's highlight is not found");
}

/// Workspace T0AAAAAAA with one customer, one area and two highlights ("one",
/// "two", in that order) of one interview; T0BBBBBBB, empty. The highlights' ids.
async fn seed_two_highlights(db: &Db) -> Vec<i64> {
    for sql in [
        "insert into workspaces (id, created_at, updated_at) values ('T0AAAAAAA', 1, 1), ('T0BBBBBBB', 1, 1)",
        "insert into customers (workspace_id, key, display_name, created_at, updated_at) values ('T0AAAAAAA', 'acme', 'Acme', 1, 1)",
        "insert into product_areas (workspace_id, key, name, created_at) values ('T0AAAAAAA', 'chat', 'Chat', 1)",
        "insert into interviews (workspace_id, customer_id, interviewer, interview_date, created_at)
         select 'T0AAAAAAA', id, 'U0AAAAAAA', '2026-11-01', 1 from customers",
        "insert into highlights (workspace_id, interview_id, customer_id, area_id, kind, quote, author, created_at)
         select 'T0AAAAAAA', i.id, i.customer_id, a.id, 'request', q.quote, 'U0AAAAAAA', 2
         from interviews i, product_areas a, (select 'one' as quote union all select 'two') q",
    ] {
        sqlx::query(sql).execute(db.pool()).await.unwrap_or_else(|e| panic!("{e}: {sql}"));
    }
    sqlx::query_scalar("select id from highlights order by id").fetch_all(db.pool()).await.expect("ids")
}

on_both_backends!(a_refresh_woken_while_it_runs_waits_for_its_delay);
async fn a_refresh_woken_while_it_runs_waits_for_its_delay(backend: TestBackend) {
    use highlights::store::captures::FOLLOW_UP_DELAY_MS;
    use highlights::store::outbox;
    let (_guard, db) = fresh_db(backend).await;
    let ws = WorkspaceId("T0AAAAAAA".into());
    seed_two_highlights(&db).await;
    let area: i64 = sqlx::query_scalar("select id from product_areas").fetch_one(db.pool()).await.expect("area");
    let customer: i64 = sqlx::query_scalar("select id from customers").fetch_one(db.pool()).await.expect("customer");
    let capture = |quote: &str| store_capture("Acme", Some(customer), area, quote);
    let claim = |token: &'static str, now_ms: i64| {
        let db = db.clone();
        async move {
            let rows = db.write(async |tx| outbox::claim_outbox_rows(tx, token, now_ms, 60_000, 10).await).await;
            rows.expect("claimed").into_iter().map(|r| r.kind.name()).collect::<Vec<_>>()
        }
    };
    db.insert_capture(&ws, capture("first"), 1_000).await.expect("first");
    assert!(claim("early", 1_000 + FOLLOW_UP_DELAY_MS - 1).await.is_empty(), "the refresh waits for its delay");
    let running = 1_000 + FOLLOW_UP_DELAY_MS;
    assert_eq!(claim("run-1", running).await, vec!["publish_home"]);
    // A capture while the refresh runs wakes it: due again after its delay,
    // not at once (it would run back to back through a burst).
    db.insert_capture(&ws, capture("second"), running + 10).await.expect("second");
    assert!(claim("too-soon", running + 20).await.is_empty(), "woken while running: not due at once");
    assert_eq!(claim("run-2", running + 10 + FOLLOW_UP_DELAY_MS).await, vec!["publish_home"]);
}

on_both_backends!(a_capture_that_cannot_be_written_fails_alone_and_leaves_the_writer_ready);
async fn a_capture_that_cannot_be_written_fails_alone_and_leaves_the_writer_ready(backend: TestBackend) {
    let (_guard, db) = fresh_db(backend).await;
    let ws = WorkspaceId("T0AAAAAAA".into());
    seed_two_highlights(&db).await;
    let area: i64 = sqlx::query_scalar("select id from product_areas").fetch_one(db.pool()).await.expect("area");
    let customer: i64 = sqlx::query_scalar("select id from customers").fetch_one(db.pool()).await.expect("customer");
    let capture = |quote: &str, area_id: i64, new_customer: Option<&str>| {
        store_capture(new_customer.unwrap_or("Acme"), new_customer.is_none().then_some(customer), area_id, quote)
    };
    // Submitted together, so written as one group: the one naming an area
    // that does not exist fails, alone; a known customer's and a new one's
    // are written.
    let (good, bad, new) = tokio::join!(
        db.insert_capture(&ws, capture("written", area, None), 1_000),
        db.insert_capture(&ws, capture("refused", area + 1_000, None), 1_000),
        db.insert_capture(&ws, capture("a new customer's", area, Some("Globex")), 1_000),
    );
    assert_eq!(good.expect("the good capture"), customer);
    assert!(bad.is_err(), "a capture naming no area fails");
    let globex = new.expect("the new customer's capture");
    assert_ne!(globex, customer);
    // No transaction was left open: the next capture is written too.
    db.insert_capture(&ws, capture("after", area, None), 2_000).await.expect("the writer is ready again");
    let quotes: Vec<(i64, String)> =
        sqlx::query_as("select id, quote from highlights order by id").fetch_all(db.pool()).await.expect("quotes");
    let written: Vec<&str> = quotes.iter().map(|(_, q)| q.as_str()).skip(2).collect();
    assert_eq!(written.len(), 3, "{quotes:?}");
    for quote in ["written", "a new customer's", "after"] {
        assert!(written.contains(&quote), "{quote} in {quotes:?}");
    }
    // Each highlight's post is queued under its own id.
    let posts: Vec<String> =
        sqlx::query_scalar("select payload from outbox where kind = 'post_highlight' order by dedupe_key")
            .fetch_all(db.pool())
            .await
            .expect("posts");
    let mut posted: Vec<i64> = posts
        .iter()
        .map(|p| serde_json::from_str::<serde_json::Value>(p).expect("json")["highlight_id"].as_i64().expect("id"))
        .collect();
    posted.sort_unstable();
    let mut ids: Vec<i64> = quotes.iter().skip(2).map(|(id, _)| *id).collect();
    ids.sort_unstable();
    assert!(ids.iter().all(|id| posted.contains(id)), "posts {posted:?} for highlights {ids:?}");
}

on_both_backends!(app_home_reads_an_authors_latest_highlights_and_customers_from_their_own_rows);
async fn app_home_reads_an_authors_latest_highlights_and_customers_from_their_own_rows(backend: TestBackend) {
    use highlights::store::onboarding::{list_customers_talked_to, list_recent_highlights};
    let (guard, db) = fresh_db(backend).await;
    let (ws, other) = (WorkspaceId("T0AAAAAAA".into()), WorkspaceId("T0BBBBBBB".into()));
    for w in [&ws, &other] {
        db.write(async |tx| workspaces::insert_workspace_if_new(tx, w, &["chat".into()], 1).await).await.expect("ws");
    }
    let pool = sqlx::AnyPool::connect(&guard.url).await.expect("connect");
    let id = |sql: &'static str| {
        let pool = pool.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await.expect(sql) }
    };
    let mut customers = std::collections::BTreeMap::new();
    for (w, name) in [("T0AAAAAAA", "Zeta"), ("T0AAAAAAA", "Beta"), ("T0AAAAAAA", "Acme"), ("T0BBBBBBB", "Acme")] {
        let customer: i64 = sqlx::query_scalar(
            "insert into customers (workspace_id, key, display_name, created_at, updated_at)
             values ($1, lower($2), $2, 1, 1) returning id",
        )
        .bind(w)
        .bind(name)
        .fetch_one(&pool)
        .await
        .expect("customer");
        customers.insert((w, name), customer);
    }
    let area_a = id("select id from product_areas where workspace_id = 'T0AAAAAAA' and key = 'chat'").await;
    let area_b = id("select id from product_areas where workspace_id = 'T0BBBBBBB' and key = 'chat'").await;
    /// Workspace, interviewer, customer, date, quotes with their created_at.
    type Interview = (&'static str, &'static str, &'static str, &'static str, &'static [(&'static str, i64)]);
    let interviews: &[Interview] = &[
        ("T0AAAAAAA", "U1", "Acme", "2026-11-20", &[("acme one", 10), ("acme two", 20)]),
        ("T0AAAAAAA", "U1", "Zeta", "2026-11-22", &[("zeta one", 30)]),
        ("T0AAAAAAA", "U1", "Acme", "2026-11-25", &[("acme three", 40), ("acme four", 40)]),
        ("T0AAAAAAA", "U1", "Beta", "2026-11-25", &[("beta one", 50), ("beta two", 60)]),
        ("T0AAAAAAA", "U2", "Zeta", "2026-11-30", &[("someone else's", 99)]),
        ("T0BBBBBBB", "U1", "Acme", "2026-11-30", &[("another workspace", 98)]),
    ];
    for (w, interviewer, customer, date, quotes) in interviews {
        let customer = customers[&(*w, *customer)];
        let interview: i64 = sqlx::query_scalar(
            "insert into interviews (workspace_id, customer_id, interviewer, interview_date, created_at)
             values ($1, $2, $3, $4, 1) returning id",
        )
        .bind(*w)
        .bind(customer)
        .bind(*interviewer)
        .bind(*date)
        .fetch_one(&pool)
        .await
        .expect("interview");
        for (quote, at) in *quotes {
            sqlx::query(
                "insert into highlights (workspace_id, interview_id, customer_id, area_id, kind, quote, author, created_at)
                 values ($1, $2, $3, $4, 'pain', $5, $6, $7)",
            )
            .bind(*w)
            .bind(interview)
            .bind(customer)
            .bind(if *w == "T0AAAAAAA" { area_a } else { area_b })
            .bind(*quote)
            .bind(*interviewer)
            .bind(*at)
            .execute(&pool)
            .await
            .expect("highlight");
        }
    }

    // Newest first, the later id first at the same moment; only U1's, only
    // this workspace's, five of seven.
    let recent = list_recent_highlights(&db, &ws, "U1", 5).await.expect("recent");
    let labels: Vec<String> = recent.iter().map(|h| h.customer.label()).collect();
    let quotes: Vec<(&str, &str, &str)> = recent
        .iter()
        .zip(&labels)
        .map(|(h, label)| (h.quote.as_str(), label.as_str(), h.interview_date.as_str()))
        .collect();
    assert_eq!(
        quotes,
        [
            ("beta two", "Beta", "2026-11-25"),
            ("beta one", "Beta", "2026-11-25"),
            ("acme four", "Acme", "2026-11-25"),
            ("acme three", "Acme", "2026-11-25"),
            ("zeta one", "Zeta", "2026-11-22"),
        ]
    );
    let area: String = sqlx::query_scalar("select name from product_areas where id = $1")
        .bind(area_a)
        .fetch_one(&pool)
        .await
        .expect("area");
    assert!(recent.iter().all(|h| h.area == area));

    // Latest interview first, names breaking ties; interviews counted per customer.
    let labels = |talked: Vec<(highlights::domain::ShownCustomer, i64)>| {
        talked.into_iter().map(|(c, n)| (c.label(), n)).collect::<Vec<_>>()
    };
    let talked = list_customers_talked_to(&db, &ws, "U1", 10).await.expect("customers");
    assert_eq!(labels(talked), [("Acme".to_string(), 2), ("Beta".to_string(), 1), ("Zeta".to_string(), 1)]);
    let first = list_customers_talked_to(&db, &ws, "U1", 1).await.expect("customers");
    assert_eq!(labels(first), [("Acme".to_string(), 2)]);
    assert!(list_recent_highlights(&db, &ws, "U3", 5).await.expect("none").is_empty());
}

on_both_backends!(a_signature_recorded_by_many_requests_at_once_is_new_to_exactly_one);
async fn a_signature_recorded_by_many_requests_at_once_is_new_to_exactly_one(backend: TestBackend) {
    use highlights::store::seen_requests::SeenRequest;
    let (_guard, db) = fresh_db(backend).await;
    let seen = |hash: &str| SeenRequest { signature_hash: hash.to_owned(), expires_at_ms: 4_000_000_000_000 };
    let mut calls = tokio::task::JoinSet::new();
    for n in 0..40 {
        let (db, request) = (db.clone(), seen(if n % 2 == 0 { "aa" } else { "bb" }));
        calls.spawn(async move { (request.signature_hash.clone(), db.record_seen_request(request).await) });
    }
    let mut new = std::collections::HashMap::new();
    while let Some(done) = calls.join_next().await {
        let (hash, first) = done.expect("call");
        *new.entry(hash).or_insert(0) += usize::from(first.expect("recorded"));
    }
    assert_eq!(new.get("aa"), Some(&1), "{new:?}");
    assert_eq!(new.get("bb"), Some(&1), "{new:?}");
    assert!(!db.record_seen_request(seen("aa")).await.expect("recorded"), "a replay later");
    assert!(db.record_seen_request(seen("cc")).await.expect("recorded"));
}

/// SQLite: the signed requests' table is its key's own b-tree (recording a
/// request writes two pages, not three: benches/README.md), and requests
/// recorded before it was rebuilt are still known as replays after.
#[tokio::test]
async fn sqlite_signed_requests_recorded_before_the_rebuild_are_still_replays_after() {
    use highlights::store::seen_requests::SeenRequest;
    let test_db = TestDb::create(TestBackend::Sqlite).await.expect("sqlite");
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&format!("{}?mode=rwc", test_db.url)).await.expect("connect");
    let rebuild = migrator_for(Backend::Sqlite)
        .iter()
        .position(|m| m.description.contains("seen requests without rowid"))
        .expect("the rebuild's migration");
    migrate_to(&pool, Backend::Sqlite, rebuild).await;
    sqlx::query("insert into seen_requests (signature_hash, expires_at) values ('aa', 4000000000000), ('old', 1)")
        .execute(&pool)
        .await
        .expect("recorded before");
    pool.close().await;
    let db = Db::connect_and_migrate(&test_db.url).await.expect("migrated");
    let table: String = sqlx::query_scalar("select sql from sqlite_master where name = 'seen_requests'")
        .fetch_one(db.pool())
        .await
        .expect("schema");
    assert!(table.to_lowercase().contains("without rowid"), "{table}");
    let seen = |hash: &str| SeenRequest { signature_hash: hash.to_owned(), expires_at_ms: 4_000_000_000_000 };
    assert!(!db.record_seen_request(seen("aa")).await.expect("recorded"), "a replay of one recorded before");
    assert!(db.record_seen_request(seen("bb")).await.expect("recorded"), "a new one");
    let expired = db
        .write(async |tx| highlights::store::seen_requests::delete_expired_seen_requests(tx, 2).await)
        .await
        .expect("expired");
    assert_eq!(expired, 1, "the expired one, by the expiry index");
}

/// SQLite: a write transaction dropped at any point of its BEGIN (a client
/// that hangs up) never leaves the writer inside a transaction nobody owns.
/// sqlx 0.8 checks a custom BEGIN (`BEGIN IMMEDIATE`) with one more round
/// trip after the BEGIN is acknowledged; dropped there, the connection went
/// back to the pool still in the transaction, and every later write failed.
#[tokio::test]
async fn sqlite_a_begin_dropped_half_way_leaves_the_writer_usable() {
    let (test_db, db) = fresh_db(TestBackend::Sqlite).await;
    let yields = async |n: usize| {
        for _ in 0..n {
            tokio::task::yield_now().await;
        }
    };
    for n in 0..300 {
        // Dropped after `n % 150` turns of the runtime: somewhere between
        // before the BEGIN is sent and after it is done.
        tokio::select! {
            biased;
            _ = db.begin() => {}
            () = yields(n % 150) => {}
        }
        let mut tx = db.begin().await.unwrap_or_else(|e| panic!("the writer begins again after drop {n}: {e}"));
        sqlx::query("insert into workspaces (id, created_at, updated_at) values ($1, 1, 1)")
            .bind(format!("T{n:08}"))
            .execute(&mut *tx)
            .await
            .expect("write");
        tx.commit().await.expect("commit");
    }
    // Committed for real: another connection sees every one.
    let other = sqlx::AnyPool::connect(&test_db.url).await.expect("connect");
    let written: i64 = sqlx::query_scalar("select count(*) from workspaces").fetch_one(&other).await.expect("count");
    assert_eq!(written, 300);
}

on_both_backends!(a_held_connection_stays_out_of_its_pool_on_postgres_and_goes_back_on_sqlite);
async fn a_held_connection_stays_out_of_its_pool_on_postgres_and_goes_back_on_sqlite(backend: TestBackend) {
    let (test_db, db) = fresh_db(backend).await;
    // A pool of one: while the held connection is kept, the pool has none
    // to lend.
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(1))
        .connect(&test_db.url)
        .await
        .expect("pool");
    let held = Held::new(pool.clone(), db.backend(), 1);
    let conn = held.lock().await.expect("lock");
    conn.keep();
    let lent = pool.acquire().await;
    match backend {
        TestBackend::Postgres => {
            assert!(matches!(lent, Err(sqlx::Error::PoolTimedOut)), "kept out of the pool: {lent:?}")
        }
        // SQLite's one writer is every writer's: it goes back after each use.
        TestBackend::Sqlite => assert!(lent.is_ok(), "given back to the pool: {lent:?}"),
    }
    drop(lent);
    // Given back, the pool lends it again.
    held.release().await;
    let lent = pool.acquire().await;
    assert!(lent.is_ok(), "released to the pool: {lent:?}");
    drop(lent);
    // Once released, a use that ends well gives its connection back too, so
    // the pool can close (it waits for every connection).
    held.lock().await.expect("lock").keep();
    tokio::time::timeout(Duration::from_secs(10), pool.close()).await.expect("the pool closes");
}

on_both_backends!(a_held_connection_dropped_in_a_transaction_goes_back_rolled_back);
async fn a_held_connection_dropped_in_a_transaction_goes_back_rolled_back(backend: TestBackend) {
    let (_guard, db) = fresh_db(backend).await;
    let held = Held::new(db.pool().clone(), db.backend(), 1);
    let ws = WorkspaceId("T0HELD".into());
    let mut conn = held.lock().await.expect("lock");
    {
        let mut tx = sqlx::Connection::begin(&mut *conn).await.expect("begin");
        assert!(workspaces::insert_workspace_if_new(&mut tx, &ws, &[], 1).await.expect("insert"));
        // Dropped uncommitted, as by a future dropped half way: sqlx only
        // queues the rollback on the connection.
    }
    drop(conn);
    // The same row written elsewhere waits for no lock: the rollback ran
    // when the connection went back to its pool (kept instead, it would
    // wait for the held connection's next use).
    let written = tokio::time::timeout(
        Duration::from_secs(10),
        db.write(async |tx| workspaces::insert_workspace_if_new(tx, &ws, &[], 2).await),
    )
    .await
    .expect("no lock left behind")
    .expect("write");
    assert!(written, "the dropped transaction's row was rolled back");
    held.release().await;
}

on_both_backends!(a_record_that_may_be_lost_skips_the_flush_in_its_own_transaction_only);
async fn a_record_that_may_be_lost_skips_the_flush_in_its_own_transaction_only(backend: TestBackend) {
    use highlights::store::{begin_in, begin_unflushed_in};
    let (_guard, db) = fresh_db(backend).await;
    let mut conn = db.pool().acquire().await.expect("connection");
    // What a commit waits for: PostgreSQL's setting, or SQLite's (1: NORMAL,
    // a commit in WAL mode never waits for a sync).
    let durability = match backend {
        TestBackend::Postgres => "select current_setting('synchronous_commit')",
        TestBackend::Sqlite => "select cast(synchronous as text) from pragma_synchronous",
    };
    let mut tx = begin_unflushed_in(&mut conn, db.backend()).await.expect("begin");
    let inside: String = sqlx::query_scalar(durability).fetch_one(&mut *tx).await.expect("setting");
    sqlx::query("insert into workspaces (id, created_at, updated_at) values ('T0UNFLUSH', 0, 0)")
        .execute(&mut *tx)
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    // The next transaction on the same connection (a held connection's next
    // group: a capture's commit must wait for the flush) is back to the default.
    let mut tx = begin_in(&mut conn, db.backend()).await.expect("begin");
    let after: String = sqlx::query_scalar(durability).fetch_one(&mut *tx).await.expect("setting");
    tx.rollback().await.expect("rollback");
    let plain: String = sqlx::query_scalar(durability).fetch_one(&mut *conn).await.expect("setting");
    match backend {
        TestBackend::Postgres => assert_eq!((inside.as_str(), after.as_str(), plain.as_str()), ("off", "on", "on")),
        TestBackend::Sqlite => assert_eq!((inside.as_str(), after.as_str(), plain.as_str()), ("1", "1", "1")),
    }
    drop(conn);
    let kept: i64 = sqlx::query_scalar("select count(*) from workspaces where id = 'T0UNFLUSH'")
        .fetch_one(db.pool())
        .await
        .expect("count");
    assert_eq!(kept, 1, "committed");
}
