//! Latency of `/highlight` reads over a seeded workspace, through real HTTP on
//! loopback with real signatures: the customer view, search, and suggestions
//! as you type. Run with `cargo bench --bench commands` (add
//! `HIGHLIGHTS_BENCH_POSTGRES_URL=postgres://…` to also run on PostgreSQL;
//! `HIGHLIGHTS_BENCH_HIGHLIGHTS=N` to change the size, default 10,000).
//! Prints p50 / p95 / max per request kind. Figures, not assertions: this
//! machine is shared and noisy.

mod common;

use std::time::{Duration, Instant};

use common::fake_slack::TEAM;
use common::seed::WORDS;
use common::signed::Slash;
use highlights::store::workspaces::{self, WorkspaceId};
use highlights::store::Db;

/// The product channel, where the commands are typed.
const CHANNEL: &str = "C0BENCH001";
const AREAS: &[&str] = highlights::areas::BUILT_IN_AREAS;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let n: usize = std::env::var("HIGHLIGHTS_BENCH_HIGHLIGHTS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("temp dir");
        let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
        run("SQLite", &sqlite, n).await;
        if let Ok(base) = std::env::var("HIGHLIGHTS_BENCH_POSTGRES_URL") {
            let url = common::fresh_postgres_database(&base, "highlights_bench").await;
            run("PostgreSQL", &url, n).await;
        }
    });
}

async fn run(backend: &str, url: &str, n: usize) {
    let db = Db::connect_and_migrate(url).await.expect("database");
    let started = Instant::now();
    seed(&db, n).await;
    println!("{backend}: seeded {n} highlights ({} customers) in {:.1?}", n / 20, started.elapsed());

    db.close().await;
    let app = common::app::InProcess::start(url, |args| args.product_channel = Some(CHANNEL.into())).await;
    let addr = app.addr;
    let http = reqwest::Client::new();

    let customer = |i: usize| format!("Customer {:04} Inc", i % (n / 20).max(1));
    report(backend, "customer view", 200, |i| slash(&http, addr, format!("customer {}", customer(i * 7)))).await;
    report(backend, "search (2 words)", 200, |i| {
        slash(&http, addr, format!("search {} {}", WORDS[i % WORDS.len()], WORDS[(i * 3 + 1) % WORDS.len()]))
    })
    .await;
    report(backend, "search + area filter", 200, |i| {
        slash(&http, addr, format!("search {} area:{}", WORDS[i % WORDS.len()], AREAS[i % AREAS.len()]))
    })
    .await;
    report(backend, "suggestions (2 letters)", 200, |i| suggest(&http, addr, format!("cu{}", i % 10))).await;
    report(backend, "areas with counts", 100, |_| slash(&http, addr, "areas".into())).await;
    report(backend, "quick capture (stored)", 200, |i| {
        slash(&http, addr, format!("{} | chat | bench quote {i}", customer(i)))
    })
    .await;
    throughput(backend, &http, addr).await;
    app.stop().await;
}

/// Acknowledgements per second with 16 clients at once, and the process's
/// resident memory afterwards (server and clients share this process).
async fn throughput(backend: &str, http: &reqwest::Client, addr: std::net::SocketAddr) {
    let clients = 16;
    let per_client = 250;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let http = http.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..per_client {
                let text = if i % 2 == 0 {
                    "help".to_owned()
                } else {
                    format!("customer Customer {:04} Inc", (c * 31 + i) % 500)
                };
                assert_eq!(slash(&http, addr, text).await, 200);
            }
        }));
    }
    for t in tasks {
        t.await.expect("client");
    }
    let total = clients * per_client;
    let secs = started.elapsed().as_secs_f64();
    let rss = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_owned())
        })
        .unwrap_or_else(|| "?".into());
    println!(
        "{backend:>10}  {:<26} {:>7.0} requests/s ({total} requests, {clients} clients); process RSS {rss} kB",
        "throughput (help + customer)",
        total as f64 / secs
    );
}

async fn seed(db: &Db, n: usize) {
    let customers = (n / 20).max(1);
    let mut tx = db.pool().begin().await.expect("tx");
    let areas: Vec<String> = AREAS.iter().map(|a| (*a).to_owned()).collect();
    workspaces::insert_workspace_if_new(&mut tx, &WorkspaceId(TEAM.into()), &areas, 0).await.expect("workspace");
    let area_ids: Vec<i64> = sqlx::query_scalar("select id from product_areas where workspace_id = $1 order by id")
        .bind(TEAM)
        .fetch_all(&mut *tx)
        .await
        .expect("areas");
    for c in 0..customers {
        let name = format!("Customer {c:04} Inc");
        let id: i64 = sqlx::query_scalar(
            "insert into customers (workspace_id, key, display_name, created_at, updated_at) values ($1, $2, $3, 0, 0) returning id",
        )
        .bind(TEAM)
        .bind(highlights::domain::customer_key(&name))
        .bind(&name)
        .fetch_one(&mut *tx)
        .await
        .expect("customer");
        for k in 0..20usize {
            let h = c * 20 + k;
            let interviewer = format!("U{:08}", h % 25);
            let date = format!("2026-{:02}-{:02}", 1 + (h % 11), 1 + (k % 28));
            let interview: i64 = sqlx::query_scalar(
                "insert into interviews (workspace_id, customer_id, interviewer, interview_date, created_at)
                 values ($1, $2, $3, $4, 0)
                 on conflict (workspace_id, interviewer, customer_id, interview_date) do update set created_at = 0
                 returning id",
            )
            .bind(TEAM)
            .bind(id)
            .bind(&interviewer)
            .bind(&date)
            .fetch_one(&mut *tx)
            .await
            .expect("interview");
            let quote = format!(
                "We {} the {} and {} because {} {}",
                WORDS[h % WORDS.len()],
                WORDS[(h / 3) % WORDS.len()],
                WORDS[(h / 7) % WORDS.len()],
                WORDS[(h / 11) % WORDS.len()],
                h
            );
            sqlx::query(
                "insert into highlights (workspace_id, interview_id, customer_id, area_id, kind, quote, author, created_at, permalink)
                 values ($1, $2, $3, $4, 'pain', $5, $6, $7, 'https://x.slack.com/archives/C1/p1')",
            )
            .bind(TEAM)
            .bind(interview)
            .bind(id)
            .bind(area_ids[h % area_ids.len()])
            .bind(quote)
            .bind(&interviewer)
            .bind(h as i64)
            .execute(&mut *tx)
            .await
            .expect("highlight");
        }
    }
    tx.commit().await.expect("commit");
    common::seed::index_for_search(db).await;
}

async fn slash(http: &reqwest::Client, addr: std::net::SocketAddr, text: String) -> u16 {
    let body = Slash { channel: CHANNEL, user: "U00000001", text: &text, trigger: "1.2.3" }.form();
    post(http, addr, "/slack/commands", body).await
}

async fn suggest(http: &reqwest::Client, addr: std::net::SocketAddr, typed: String) -> u16 {
    let payload = serde_json::json!({
        "type": "block_suggestion", "action_id": "value", "block_id": "customer", "value": typed,
        "team": { "id": TEAM, "domain": "bench" }, "user": { "id": "U00000001", "team_id": TEAM },
        "api_app_id": "A1", "token": "t", "container": { "type": "view", "view_id": "V1" },
        "view": { "type": "modal", "id": "V1", "team_id": TEAM, "title": { "type": "plain_text", "text": "C" }, "blocks": [] },
    });
    let body = serde_urlencoded::to_string([("payload", payload.to_string())]).expect("form");
    post(http, addr, "/slack/interactivity", body).await
}

/// The status of a signed POST, 0 when it did not reach the app.
async fn post(http: &reqwest::Client, addr: std::net::SocketAddr, path: &str, body: String) -> u16 {
    common::signed::post(http, format!("http://{addr}{path}"), body).await.map(|r| r.status().as_u16()).unwrap_or(0)
}

async fn report<F, Fut>(backend: &str, what: &str, runs: usize, request: F)
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = u16>,
{
    let mut times = Vec::with_capacity(runs);
    for i in 0..runs {
        let started = Instant::now();
        let status = request(i).await;
        times.push(started.elapsed());
        assert_eq!(status, 200, "{what} answered {status}");
    }
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{backend:>10}  {what:<26} p50 {:>7.2} ms   p95 {:>7.2} ms   max {:>7.2} ms   ({runs} requests)",
        ms(pct(0.5)),
        ms(pct(0.95)),
        ms(times[times.len() - 1])
    );
}
