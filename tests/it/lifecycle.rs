//! A workspace's data from start to end: `highlights workspace delete`
//! removes every row of one workspace, and nothing of another.

use highlights::store::workspaces::WORKSPACE_TABLES;

use crate::oauth::{capture_in, install, oauth};
use crate::on_both_backends;
use crate::support::db::TestBackend;
use crate::support::{ephemeral, highlights_cli, succeeded, TestApp, TEAM};

const GONE: &str = "T0OAUTHA01";

async fn rows_of(app: &TestApp, workspace: &str) -> Vec<(&'static str, i64)> {
    let mut rows = Vec::new();
    for table in WORKSPACE_TABLES {
        let n: i64 = sqlx::query_scalar(&format!("select count(*) from {table} where workspace_id = $1"))
            .bind(workspace)
            .fetch_one(app.db.pool())
            .await
            .expect("count");
        rows.push((*table, n));
    }
    rows
}

on_both_backends!(deleting_a_workspace_removes_all_its_rows_and_nothing_else);
async fn deleting_a_workspace_removes_all_its_rows_and_nothing_else(backend: TestBackend) {
    let app = TestApp::spawn_with(backend, |args| {
        oauth(args);
        args.bot_token = Some(crate::support::fake_slack::BOT_TOKEN.into());
    })
    .await;
    install(&app, GONE, "xoxb-1111-2222-goneteam").await;
    for team in [GONE, TEAM] {
        capture_in(&app, team, "C0CHANNELX1", "We need canned replies").await;
        ephemeral(app.slash_in(team, "Initech | billing | Invoices are wrong").await).await;
        ephemeral(app.slash_in(team, "Initech Ltd | chat | Another one").await).await;
        ephemeral(app.slash_in(team, "onboard me").await).await;
        let merged = ephemeral(app.slash_in(team, "merge Initech into Acme").await).await;
        assert!(merged.contains("Merged") || merged.contains("merged"), "{merged}");
    }
    app.drain().await;
    let before = rows_of(&app, GONE).await;
    let kept = rows_of(&app, TEAM).await;
    for table in ["highlights", "customers", "interviews", "onboardees", "installations", "product_areas"] {
        assert!(before.iter().any(|(t, n)| *t == table && *n > 0), "{table} has rows to delete: {before:?}");
    }

    let url = app.test_db.url.clone();
    let dry = succeeded(highlights_cli(&url).args(["workspace", "delete", GONE]));
    assert!(dry.contains("Nothing was deleted") && dry.contains("highlights"), "{dry}");
    // In words, not table names.
    assert!(dry.contains("customer") && dry.contains("interview") && !dry.contains("product_areas"), "{dry}");
    assert!(!dry.contains("outbox") && !dry.contains("installations"), "{dry}");
    // Without --yes nothing is deleted (the scheduler may add its own bookkeeping meanwhile).
    let after_dry = rows_of(&app, GONE).await;
    assert!(after_dry.iter().zip(&before).all(|(after, before)| after.1 >= before.1), "{after_dry:?}");
    let listed = succeeded(highlights_cli(&url).args(["workspace", "list"]));
    assert!(listed.contains(GONE) && listed.contains(TEAM), "{listed}");

    let done = succeeded(highlights_cli(&url).args(["workspace", "delete", GONE, "--yes"]));
    assert!(done.contains("deleted"), "{done}");
    assert!(rows_of(&app, GONE).await.iter().all(|(_, n)| *n == 0), "{:?}", rows_of(&app, GONE).await);
    let left: i64 = sqlx::query_scalar("select count(*) from workspaces where id = $1")
        .bind(GONE)
        .fetch_one(app.db.pool())
        .await
        .expect("count");
    assert_eq!(left, 0);
    let kept_after = rows_of(&app, TEAM).await;
    assert!(kept_after.iter().zip(&kept).all(|(after, before)| after.1 >= before.1), "untouched: {kept_after:?}");
    assert_eq!(kept_after.iter().find(|(t, _)| *t == "highlights"), Some(&("highlights", 3)));
    // Its requests are refused once the app's one-second memory of the install lapses: the token went with it.
    crate::support::eventually("the deleted workspace to be refused", || async {
        ephemeral(app.slash_in(GONE, "help").await).await.contains("not installed in this workspace")
    })
    .await;
}

on_both_backends!(every_table_with_workspace_rows_is_deleted_with_its_workspace);
async fn every_table_with_workspace_rows_is_deleted_with_its_workspace(backend: TestBackend) {
    let app = TestApp::spawn_on(backend).await;
    let tables = app.tables_with_column("workspace_id").await;
    assert!(tables.len() > 10, "{tables:?}");
    for table in &tables {
        assert!(WORKSPACE_TABLES.contains(&table.as_str()), "{table} is not deleted with its workspace");
    }
}
