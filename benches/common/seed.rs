//! A large workspace for the digests and pages benches: a year of
//! interviews (one per interviewer and day) by 40 interviewers with up to
//! 5,000 customers, `n` highlights spread over them (by default 1,000,000:
//! about 19,000 a week), and five people onboarding.

use highlights::store::workspaces::{self, WorkspaceId};
use highlights::store::Db;

use super::fake_slack::TEAM;

pub const DAY_MS: i64 = 86_400_000;
/// The onboardee whose month-end report the benches read (an interviewer too).
pub const ONBOARDEE: &str = "U00000007";
/// Product areas: `area 0` to `area 11`.
pub const AREAS: i64 = 12;

/// Words the benches' quotes are made of (each in about one quote in ten
/// of the pages bench), and searched for.
pub const WORDS: &[&str] = &[
    "canned",
    "replies",
    "export",
    "invoice",
    "latency",
    "sso",
    "macro",
    "dashboard",
    "webhook",
    "mobile",
    "search",
    "filter",
    "tagging",
    "routing",
    "sla",
    "csat",
    "slow",
    "confusing",
    "reports",
    "billing",
];
/// The UTC date of a moment (unix ms), as `YYYY-MM-DD`.
pub fn day_of(unix_ms: i64) -> String {
    let at = jiff::Timestamp::from_millisecond(unix_ms).expect("a moment");
    at.to_zoned_datetime(jiff::tz::TimeZone::UTC).date().strftime("%Y-%m-%d").to_string()
}

/// Seeds the year up to `now_ms`, each highlight's quote made by
/// `quote(written, area)` (the highlights written before it, and its area);
/// analyzes (and on PostgreSQL vacuums, as autovacuum would have by now, so
/// index-only scans skip the heap). Returns the highlights written.
pub async fn a_year(db: &Db, n: i64, now_ms: i64, quote: impl Fn(i64, i64) -> String) -> i64 {
    let customers = 5_000i64.min(n.max(1));
    let interviewers = 40i64;
    let mut tx = db.pool().begin().await.expect("tx");
    let area_names: Vec<String> = (0..AREAS).map(|a| format!("area {a}")).collect();
    workspaces::insert_workspace_if_new(&mut tx, &WorkspaceId(TEAM.into()), &area_names, 0).await.expect("ws");
    for c in 0..customers {
        let name = format!("Customer {c:04} Inc");
        sqlx::query(
            "insert into customers (workspace_id, key, display_name, segment, arr_cents, created_at, updated_at)
             values ($1, $2, $3, $4, $5, 0, 0)",
        )
        .bind(TEAM)
        .bind(highlights::domain::customer_key(&name))
        .bind(&name)
        .bind(["SMB", "Mid-market", "Enterprise"][(c % 3) as usize])
        .bind((c % 7 + 1) * 1_200_000)
        .execute(&mut *tx)
        .await
        .expect("customer");
    }
    for user in [ONBOARDEE, "U00000001", "U00000002", "U00000003", "U00000004"] {
        sqlx::query(
            "insert into onboardees (workspace_id, user_id, start_date, days, interviews_target, feedback_target, tickets_target, enrolled_by, created_at)
             values ($1, $2, $3, 30, 20, 100, 50, $2, 0)",
        )
        .bind(TEAM)
        .bind(user)
        .bind(day_of(now_ms - 20 * DAY_MS))
        .execute(&mut *tx)
        .await
        .expect("onboardee");
    }
    let days = 365i64;
    let mut interview_rows = Vec::new();
    for day in 0..days {
        for i in 0..interviewers {
            interview_rows.push((day, i));
        }
    }
    for chunk in interview_rows.chunks(500) {
        let mut sql = String::from(
            "insert into interviews (workspace_id, customer_id, interviewer, interview_date, created_at) values ",
        );
        for (k, (day, i)) in chunk.iter().enumerate() {
            let when = now_ms - day * DAY_MS;
            let customer = 1 + (day * 31 + i * 7) % customers;
            if k > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("('{TEAM}', {customer}, 'U{i:08}', '{}', {when})", day_of(when)));
        }
        sqlx::query(&sql).execute(&mut *tx).await.expect("interviews");
    }
    let slots = days * interviewers;
    let per_interview = ((n + slots - 1) / slots).max(1);
    let mut written = 0i64;
    let mut batch = String::new();
    let mut in_batch = 0;
    'outer: for (idx, (day, i)) in interview_rows.iter().enumerate() {
        let interview_id = idx as i64 + 1;
        let customer = 1 + (day * 31 + i * 7) % customers;
        for k in 0..per_interview {
            if written >= n {
                break 'outer;
            }
            let when = now_ms - day * DAY_MS - k * 1000;
            let area = 1 + (written * 7 + k) % AREAS;
            let quote = quote(written, area).replace('\'', "''");
            if in_batch > 0 {
                batch.push(',');
            }
            batch.push_str(&format!(
                "('{TEAM}', {interview_id}, {customer}, {area}, 'pain', '{quote}', 'U{i:08}', {when})"
            ));
            in_batch += 1;
            written += 1;
            if in_batch == 500 {
                flush(&mut tx, &mut batch).await;
                in_batch = 0;
            }
        }
    }
    if in_batch > 0 {
        flush(&mut tx, &mut batch).await;
    }
    tx.commit().await.expect("commit");
    index_for_search(db).await;
    let analyze = if db.backend() == highlights::store::Backend::Postgres { "vacuum analyze" } else { "analyze" };
    sqlx::query(analyze).execute(db.pool()).await.expect("analyze");
    written
}

/// SQLite: indexes seeded highlights for search in one pass, as a
/// workspace that grew by captures has them (the app indexes new ones in
/// batches after their captures, and a search what is left first; a seed of
/// a million would otherwise be indexed in the measured part).
pub async fn index_for_search(db: &Db) {
    if db.backend() != highlights::store::Backend::Sqlite {
        return;
    }
    let mut tx = db.pool().begin().await.expect("tx");
    sqlx::query("insert into highlights_fts (highlights_fts) values ('rebuild')")
        .execute(&mut *tx)
        .await
        .expect("index the seeded highlights");
    sqlx::query("delete from highlights_fts_pending").execute(&mut *tx).await.expect("index the seeded highlights");
    tx.commit().await.expect("commit");
}

async fn flush(tx: &mut sqlx::Transaction<'_, sqlx::Any>, batch: &mut String) {
    let sql = format!(
        "insert into highlights (workspace_id, interview_id, customer_id, area_id, kind, quote, author, created_at) values {batch}"
    );
    sqlx::query(&sql).execute(&mut **tx).await.expect("highlights");
    batch.clear();
}
