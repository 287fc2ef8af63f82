//! Latency of the evidence library's pages (the target: under 50 ms p99 at
//! 1M highlights) over a large workspace: by default 1,000,000 highlights
//! over a year from 5,000 customers and 40 interviewers, seeded as the
//! digests bench seeds them (`common::seed`). The real app serves them on loopback with the library
//! on, to a browser signed in by a session cookie. Run with
//! `cargo bench --bench pages` (`HIGHLIGHTS_BENCH_HIGHLIGHTS=N` to change
//! the size, `HIGHLIGHTS_BENCH_REQUESTS=N` the requests per page (100),
//! `HIGHLIGHTS_BENCH_POSTGRES_URL=postgres://…` to add PostgreSQL,
//! `HIGHLIGHTS_BENCH_KEEP=dir` to keep the seeded SQLite database in `dir`
//! and the PostgreSQL one on its server, and use them again the next run,
//! `HIGHLIGHTS_BENCH_BACKEND=sqlite` or `postgres` to run one backend only,
//! `HIGHLIGHTS_BENCH_PAGES=report,/areas` to time only the pages whose path
//! holds one of these words; the export is timed only without that filter).
//! Prints p50 / p99 / max per page, and the CSV export's size and time apart
//! (it carries every highlight). Figures, not assertions: the machine is shared.
//! `RUST_LOG=sqlx::query=debug` prints every statement the app makes, with
//! its time.

mod common;

use std::time::{Duration, Instant};

use common::fake_slack::TEAM;
use common::seed::WORDS;
use highlights::store::workspaces::WorkspaceId;
use highlights::store::Db;
use sqlx::Connection as _;

/// The person signed in, and the onboardee whose report is read.
const USER: &str = common::seed::ONBOARDEE;
/// The word searched for: in about one highlight in ten (100,000 at 1M).
const COMMON_WORD: &str = "export";

fn main() {
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).init();
    }
    let setting = |name: &str, default: i64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let n = setting("HIGHLIGHTS_BENCH_HIGHLIGHTS", 1_000_000);
    let requests = setting("HIGHLIGHTS_BENCH_REQUESTS", 100).max(1) as usize;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    // Seeding 1M highlights takes minutes; with `HIGHLIGHTS_BENCH_KEEP` the
    // seeded databases stay (named by their size) and a later run only
    // migrates them.
    let keep = std::env::var("HIGHLIGHTS_BENCH_KEEP").ok().map(std::path::PathBuf::from);
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = match &keep {
            Some(keep) => {
                std::fs::create_dir_all(keep).expect("the directory to keep databases in");
                keep.join(format!("pages-{n}.db"))
            }
            None => dir.path().join("bench.db"),
        };
        let reuse = keep.is_some() && file.exists();
        let only = std::env::var("HIGHLIGHTS_BENCH_BACKEND").unwrap_or_default().to_lowercase();
        if only.is_empty() || only == "sqlite" {
            run("SQLite", &format!("sqlite://{}", file.display()), n, requests, reuse).await;
        }
        let postgres =
            std::env::var("HIGHLIGHTS_BENCH_POSTGRES_URL").ok().filter(|_| only.is_empty() || only == "postgres");
        if let Some(base) = postgres {
            let name =
                if keep.is_some() { format!("highlights_bench_pages_{n}") } else { "highlights_bench_pages".into() };
            let mut admin = sqlx::PgConnection::connect(&base).await.expect("connect");
            let exists: bool = sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
                .bind(&name)
                .fetch_one(&mut admin)
                .await
                .expect("pg_database");
            let reuse = keep.is_some() && exists;
            if !reuse {
                sqlx::query(&format!("drop database if exists {name} with (force)"))
                    .execute(&mut admin)
                    .await
                    .expect("drop");
                sqlx::query(&format!("create database {name}")).execute(&mut admin).await.expect("create");
            }
            let mut url = url::Url::parse(&base).expect("url");
            url.set_path(&format!("/{name}"));
            run("PostgreSQL", url.as_str(), n, requests, reuse).await;
        }
    });
}

async fn run(backend: &str, url: &str, n: i64, requests: usize, reuse: bool) {
    let db = Db::connect_and_migrate(url).await.expect("database");
    let now_ms = jiff::Timestamp::now().as_second() * 1000;
    let started = Instant::now();
    if reuse {
        // Statistics for the indexes migrations may have added since.
        sqlx::query("analyze").execute(db.pool()).await.expect("analyze");
        println!("{backend}: the database seeded before, analyzed in {:.1?}", started.elapsed());
    } else {
        // Quotes made of [`WORDS`], so that a search has matches of ordinary frequency.
        let written = common::seed::a_year(&db, n, now_ms, |written, area| {
            let (a, b) = (WORDS[(written % 20) as usize], WORDS[((written / 20 + 7) % 20) as usize]);
            format!("We need better {a} and {b} in area {area}, case {written}")
        })
        .await;
        println!("{backend}: seeded {written} highlights in {:.1?}", started.elapsed());
    }
    let ws = WorkspaceId(TEAM.into());
    let busy: i64 = sqlx::query_scalar(
        "select customer_id from highlights where workspace_id = $1 group by customer_id order by count(*) desc, customer_id limit 1",
    )
    .bind(TEAM)
    .fetch_one(db.pool())
    .await
    .expect("a busy customer");
    let area: i64 = sqlx::query_scalar("select min(id) from product_areas where workspace_id = $1")
        .bind(TEAM)
        .fetch_one(db.pool())
        .await
        .expect("an area");
    let token = &format!("bench-session-{now_ms}");
    let mut conn = db.pool().acquire().await.expect("connection");
    assert!(highlights::web::session::insert_session(&mut conn, token, &ws, USER, now_ms).await.expect("session"));
    drop(conn);
    db.close().await;

    let app = common::app::InProcess::start(url, |args| args.public_url = Some("http://highlights.bench".into())).await;
    let base = app.url("");
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("a browser");
    let cookie = format!("highlights_session={token}");
    let get = |path: String| {
        let request = browser.get(format!("{base}{path}")).header("cookie", &cookie);
        async move {
            let response = request.send().await.expect("an answer");
            assert_eq!(response.status(), 200, "{path} answers 200");
            response.bytes().await.expect("a body").len()
        }
    };

    let pages = [
        "/".to_owned(),
        "/customers".to_owned(),
        "/customers?sort=highlights".to_owned(),
        format!("/customers/{busy}"),
        "/areas".to_owned(),
        format!("/areas/{area}"),
        format!("/search?q={COMMON_WORD}"),
        "/onboarding".to_owned(),
        format!("/onboarding/{USER}/report"),
    ];
    // `HIGHLIGHTS_BENCH_PAGES`: only the pages whose path holds one of its words.
    let filter = std::env::var("HIGHLIGHTS_BENCH_PAGES").ok();
    let words: Vec<&str> =
        filter.as_deref().map(|f| f.split(',').filter(|w| !w.is_empty()).collect()).unwrap_or_default();
    let pages = pages.iter().filter(|path| words.is_empty() || words.iter().any(|w| path.contains(w)));
    println!("{backend:>10}  {:<30} {:>9} {:>9} {:>9} {:>9}", "page", "p50 ms", "p99 ms", "max ms", "KiB");
    for path in pages {
        let mut size = 0;
        for _ in 0..3 {
            size = get(path.clone()).await; // warm the caches and the names
        }
        let mut times = Vec::with_capacity(requests);
        for _ in 0..requests {
            let t = Instant::now();
            get(path.clone()).await;
            times.push(t.elapsed());
        }
        times.sort();
        println!(
            "{backend:>10}  {path:<30} {:>9.1} {:>9.1} {:>9.1} {:>9.0}",
            ms(times[times.len() / 2]),
            ms(percentile(&times, 0.99)),
            ms(times[times.len() - 1]),
            size as f64 / 1024.0
        );
    }
    if words.is_empty() {
        export(backend, &browser, &base, &cookie).await;
    }
    app.stop().await;
}

/// `/export.csv` carries every highlight: its size, the time to its first
/// byte and to its last, as p50 / max of a few downloads.
async fn export(backend: &str, browser: &reqwest::Client, base: &str, cookie: &str) {
    let mut first = Vec::new();
    let mut whole = Vec::new();
    let mut size = 0;
    for run in 0..4 {
        let t = Instant::now();
        let mut response =
            browser.get(format!("{base}/export.csv")).header("cookie", cookie).send().await.expect("an answer");
        assert_eq!(response.status(), 200, "/export.csv answers 200");
        let mut first_byte = None;
        let mut bytes = 0;
        while let Some(chunk) = response.chunk().await.expect("a chunk") {
            first_byte.get_or_insert_with(|| t.elapsed());
            bytes += chunk.len();
        }
        if run > 0 {
            first.push(first_byte.unwrap_or_else(|| t.elapsed()));
            whole.push(t.elapsed());
        }
        size = bytes;
    }
    first.sort();
    whole.sort();
    println!(
        "{backend:>10}  /export.csv: {:.1} MiB; first byte p50 {:.0} ms, whole p50 {:.0} ms, max {:.0} ms ({} downloads)",
        size as f64 / (1024.0 * 1024.0),
        ms(first[first.len() / 2]),
        ms(whole[whole.len() / 2]),
        ms(whole[whole.len() - 1]),
        whole.len()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The nearest-rank percentile of sorted times.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = (sorted.len() as f64 * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
