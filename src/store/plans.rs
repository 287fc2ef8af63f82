//! Tests' view of SQLite's query plans. SQLite plans without statistics (the
//! app never runs `ANALYZE`), so where two indexes could serve a statement
//! it may take the one that reads a whole workspace: the statements on hot
//! paths have a test here that names the plan they must keep.

use super::Db;

/// A value bound to a statement whose plan is read.
pub(crate) enum Bind<'a> {
    Int(i64),
    Text(&'a str),
}

/// SQLite's plan for `sql` with these binds, on a fresh, migrated database,
/// one line per step.
pub(crate) async fn sqlite_plan(sql: &str, binds: &[Bind<'_>]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("dir");
    let db = sqlite_db(&dir).await;
    let plan = plan_on(&db, sql, binds).await;
    db.close().await;
    plan
}

/// The opcodes of SQLite's program for `sql` (`explain`), on a fresh,
/// migrated database: what it does for each row, where a plan says only how
/// it searches.
pub(crate) async fn sqlite_opcodes(sql: &str) -> Vec<String> {
    use sqlx::Row as _;
    let dir = tempfile::tempdir().expect("dir");
    let db = sqlite_db(&dir).await;
    let program = sqlx::query(&format!("explain {sql}")).fetch_all(db.reader()).await.expect("explain");
    db.close().await;
    program.iter().map(|step| step.get::<String, _>("opcode")).collect()
}

/// A fresh, migrated SQLite database (in `dir`).
async fn sqlite_db(dir: &tempfile::TempDir) -> Db {
    let url = format!("sqlite://{}", dir.path().join("plan.db").display());
    Db::connect_and_migrate(&url).await.expect("db")
}

/// SQLite's plan for `sql` with these binds on `db`, one line per step.
async fn plan_on(db: &Db, sql: &str, binds: &[Bind<'_>]) -> Vec<String> {
    let explain = format!("explain query plan {sql}");
    let mut query = sqlx::query_as::<_, (i64, i64, i64, String)>(&explain);
    for bind in binds {
        query = match bind {
            Bind::Int(value) => query.bind(*value),
            Bind::Text(value) => query.bind(*value),
        };
    }
    query.fetch_all(db.reader()).await.expect("plan").into_iter().map(|(_, _, _, detail)| detail).collect()
}
