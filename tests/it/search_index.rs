//! Full-text search sees what was captured, changed and removed, on both
//! backends; on SQLite its entries are written after the capture's commit
//! (`store::search_index`), and these tests pin down that order.

use std::time::Duration;

use highlights::store::search::{search_highlights, SearchFilter};
use highlights::store::workspaces::WorkspaceId;
use highlights::store::Db;

use crate::on_both_backends;
use crate::support::db::{store_capture, TestBackend, TestDb};
use crate::support::eventually;

const TEAM: &str = "T0SEARCH01";

/// A migrated database with workspace [`TEAM`], customer Acme, area Chat and
/// an interview; the customer's, area's and interview's ids.
async fn seeded(backend: TestBackend) -> (TestDb, Db, (i64, i64, i64)) {
    let test_db = TestDb::create(backend).await.expect("backend available");
    let db = Db::connect_and_migrate(&test_db.url).await.expect("migrated");
    for sql in [
        format!("insert into workspaces (id, created_at, updated_at) values ('{TEAM}', 1, 1)"),
        format!(
            "insert into customers (workspace_id, key, display_name, created_at, updated_at)
             values ('{TEAM}', 'acme', 'Acme', 1, 1)"
        ),
        format!("insert into product_areas (workspace_id, key, name, created_at) values ('{TEAM}', 'chat', 'Chat', 1)"),
        format!(
            "insert into interviews (workspace_id, customer_id, interviewer, interview_date, created_at)
             select '{TEAM}', id, 'U0SEARCH01', '2026-11-01', 1 from customers"
        ),
    ] {
        sqlx::query(&sql).execute(db.pool()).await.unwrap_or_else(|e| panic!("{e}: {sql}"));
    }
    let ids = sqlx::query_as("select c.id, a.id, i.id from customers c, product_areas a, interviews i")
        .fetch_one(db.pool())
        .await
        .expect("ids");
    (test_db, db, ids)
}

/// Inserts a highlight as a plain row (no capture, so nothing wakes the
/// SQLite indexer: only a search, the next start or the indexer's 30-second
/// sweep indexes it); its id.
async fn insert_row(db: &Db, ids: (i64, i64, i64), quote: &str) -> i64 {
    insert_row_on(&mut db.pool().acquire().await.expect("connection"), ids, quote).await
}

/// [`insert_row`] on `conn` (inside its transaction, if one is open).
async fn insert_row_on(
    conn: &mut sqlx::AnyConnection,
    (customer, area, interview): (i64, i64, i64),
    quote: &str,
) -> i64 {
    sqlx::query_scalar(
        "insert into highlights (workspace_id, interview_id, customer_id, area_id, kind, quote, author, created_at)
         values ($1, $2, $3, $4, 'request', $5, 'U0SEARCH01', 2) returning id",
    )
    .bind(TEAM)
    .bind(interview)
    .bind(customer)
    .bind(area)
    .bind(quote)
    .fetch_one(conn)
    .await
    .expect("highlight")
}

/// The quotes a search for `word` finds, newest first.
async fn found(db: &Db, word: &str) -> Vec<String> {
    let hits = search_highlights(db, &WorkspaceId(TEAM.into()), &[word.to_owned()], &SearchFilter::default(), 50)
        .await
        .expect("search");
    hits.into_iter().map(|hit| hit.quote).collect()
}

/// How many highlights wait for their full-text entries (SQLite).
async fn listed(db: &Db) -> i64 {
    sqlx::query_scalar("select count(*) from highlights_fts_pending").fetch_one(db.pool()).await.expect("listed")
}

/// FTS5's own check that its index holds exactly the entries of the
/// highlights table (`rank` 1: compared with the content, row by row).
async fn assert_index_matches_content(db: &Db) {
    sqlx::query("insert into highlights_fts (highlights_fts, rank) values ('integrity-check', 1)")
        .execute(db.pool())
        .await
        .expect("the full-text index matches the highlights");
}

/// SQLite: the capture's transaction lists its highlight and writes no
/// full-text entry; a search right after the commit indexes what is listed
/// first, and finds it.
#[tokio::test]
async fn sqlite_a_capture_commits_without_its_search_entries_and_a_search_still_finds_it() {
    let (_guard, db, ids) = seeded(TestBackend::Sqlite).await;
    let mut tx = db.begin().await.expect("tx");
    let id = insert_row_on(&mut tx, ids, "We need canned replies").await;
    let entries: i64 = sqlx::query_scalar("select count(*) from highlights_fts where highlights_fts match 'canned'")
        .fetch_one(&mut *tx)
        .await
        .expect("entries");
    assert_eq!(entries, 0, "the capture's own transaction writes no full-text entry");
    let waiting: Vec<i64> =
        sqlx::query_scalar("select id from highlights_fts_pending").fetch_all(&mut *tx).await.expect("listed");
    assert_eq!(waiting, vec![id], "it lists the highlight instead");
    tx.commit().await.expect("commit");

    assert_eq!(found(&db, "canned").await, vec!["We need canned replies"]);
    assert_eq!(listed(&db).await, 0, "the search indexed what was listed");
    assert_index_matches_content(&db).await;
}

/// SQLite: captures wake the indexer, which writes their entries a moment
/// later without any search asking.
#[tokio::test]
async fn sqlite_captured_quotes_are_indexed_soon_after_without_a_search() {
    let (_guard, db, (customer, area, _)) = seeded(TestBackend::Sqlite).await;
    let capture = |quote: &str| store_capture("Acme", Some(customer), area, quote);
    let ws = WorkspaceId(TEAM.into());
    let (a, b) = tokio::join!(
        db.insert_capture(&ws, capture("Exports time out"), 1_000),
        db.insert_capture(&ws, capture("Exports lose the filters"), 1_000),
    );
    a.expect("first");
    b.expect("second");
    // Within 10 s, well within the indexer's 30-second sweep: only the
    // captures' wake gets them indexed in time.
    eventually("the captured quotes indexed", || async { listed(&db).await == 0 }).await;
    let entries: i64 = sqlx::query_scalar("select count(*) from highlights_fts where highlights_fts match 'exports'")
        .fetch_one(db.pool())
        .await
        .expect("entries");
    assert_eq!(entries, 2);
    assert_index_matches_content(&db).await;
}

/// SQLite: a highlight changed or removed before its entries were written
/// is indexed from its new words or not at all, and one changed or removed
/// after is re-indexed or unindexed; the index stays whole either way.
#[tokio::test]
async fn sqlite_changes_before_and_after_indexing_leave_the_index_whole() {
    let (_guard, db, ids) = seeded(TestBackend::Sqlite).await;
    let removed_early = insert_row(&db, ids, "Exports time out").await;
    let changed_early = insert_row(&db, ids, "Call me at jane@example.com").await;
    sqlx::query("delete from highlights where id = $1").bind(removed_early).execute(db.pool()).await.expect("rm");
    sqlx::query("update highlights set quote = 'Call me at [email]' where id = $1")
        .bind(changed_early)
        .execute(db.pool())
        .await
        .expect("scrub");
    assert_eq!(listed(&db).await, 1, "the removed highlight left the list with it");
    assert!(found(&db, "exports").await.is_empty());
    assert!(found(&db, "jane").await.is_empty(), "indexed from its new words");
    assert_eq!(found(&db, "call").await, vec!["Call me at [email]"]);
    assert_index_matches_content(&db).await;

    let changed_late = insert_row(&db, ids, "Billing is confusing").await;
    let removed_late = insert_row(&db, ids, "Reports are slow").await;
    assert_eq!(found(&db, "billing").await.len(), 1, "indexed by this search");
    assert_eq!(found(&db, "reports").await.len(), 1);
    sqlx::query("update highlights set quote = 'Invoices are confusing' where id = $1")
        .bind(changed_late)
        .execute(db.pool())
        .await
        .expect("change");
    sqlx::query("delete from highlights where id = $1").bind(removed_late).execute(db.pool()).await.expect("rm");
    assert!(found(&db, "billing").await.is_empty());
    assert_eq!(found(&db, "invoices").await, vec!["Invoices are confusing"]);
    assert!(found(&db, "reports").await.is_empty());
    assert_index_matches_content(&db).await;
}

/// SQLite: what a stopped process left listed is indexed as the next one
/// starts, before any capture or search.
#[tokio::test]
async fn sqlite_quotes_a_stopped_process_left_listed_are_indexed_at_the_next_start() {
    let (guard, db, ids) = seeded(TestBackend::Sqlite).await;
    insert_row(&db, ids, "Exports time out").await;
    assert_eq!(listed(&db).await, 1);
    db.close().await;
    let db = Db::connect_and_migrate(&guard.url).await.expect("started again");
    assert_eq!(listed(&db).await, 0, "indexed before the start returned");
    assert_index_matches_content(&db).await;
}

/// SQLite: searches dropped at any point of their indexing (a client that
/// hangs up) leave every highlight indexed or still listed, never both nor
/// neither; the next search indexes the rest, and the index stays whole.
#[tokio::test]
async fn sqlite_searches_dropped_while_indexing_leave_nothing_half_indexed() {
    let (_guard, db, ids) = seeded(TestBackend::Sqlite).await;
    let entries = async || -> i64 {
        sqlx::query_scalar("select count(*) from highlights_fts where highlights_fts match 'exports'")
            .fetch_one(db.pool())
            .await
            .expect("entries")
    };
    let mut written = 0;
    for round in 0..40u64 {
        for n in 0..25 {
            insert_row(&db, ids, &format!("Exports time out, {round}.{n}")).await;
        }
        written += 25;
        let (ws, words, filter) = (WorkspaceId(TEAM.into()), ["exports".to_owned()], SearchFilter::default());
        let search = search_highlights(&db, &ws, &words, &filter, 1);
        let _ = tokio::time::timeout(Duration::from_micros(round * 50), search).await;
        assert_eq!(entries().await + listed(&db).await, written, "round {round}");
    }
    assert_eq!(found(&db, "exports").await.len(), 50, "the page of hits, the rest indexed");
    assert_eq!((entries().await, listed(&db).await), (written, 0));
    assert_index_matches_content(&db).await;
}

on_both_backends!(a_search_finds_a_highlight_written_just_before_it);
async fn a_search_finds_a_highlight_written_just_before_it(backend: TestBackend) {
    let (_guard, db, ids) = seeded(backend).await;
    for n in 0..5 {
        let quote = format!("Exports time out, case {n}");
        insert_row(&db, ids, &quote).await;
        let hits = found(&db, "exports").await;
        assert_eq!(hits.len(), n + 1, "{hits:?}");
        assert_eq!(hits[0], quote, "the newest first");
    }
}
