//! Digest and month-end report over a large workspace: by default 1,000,000
//! highlights over a year (about 19,000 a week) from 5,000 customers and 40
//! interviewers, on SQLite (seeded by `common::seed`, as the pages bench's). Run with `cargo bench --bench digests`
//! (`HIGHLIGHTS_BENCH_HIGHLIGHTS=N` to change the size,
//! `HIGHLIGHTS_BENCH_POSTGRES_URL=postgres://…` to add PostgreSQL).
//! Prints the time to gather and render each, as p50 / max of several runs,
//! what the digest's momentum (the period before, first-heard customers)
//! costs of it, and what the similar-quotes lookup of a capture costs at that size.
//! Beside each, the CPU a run took (this process and, on PostgreSQL, the
//! backends serving the bench's database): on a busy machine the times wait
//! for a core, the CPU does not.

mod common;

use std::time::{Duration, Instant};

use common::fake_slack::TEAM;
use common::seed::{DAY_MS, ONBOARDEE};
use highlights::app::{AppState, Clock};
use highlights::config::Config;
use highlights::digests::{gather, render_digest_message};
use highlights::reports::{gather as gather_report, render_report_message};
use highlights::store::workspaces::WorkspaceId;
use highlights::store::Db;

/// The PostgreSQL database the bench creates (and drops the next time).
const BENCH_DATABASE: &str = "highlights_bench_digests";

fn main() {
    let n: i64 = std::env::var("HIGHLIGHTS_BENCH_HIGHLIGHTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("temp dir");
        run("SQLite", &format!("sqlite://{}", dir.path().join("bench.db").display()), n).await;
        if let Ok(base) = std::env::var("HIGHLIGHTS_BENCH_POSTGRES_URL") {
            let url = common::fresh_postgres_database(&base, BENCH_DATABASE).await;
            run("PostgreSQL", &url, n).await;
        }
    });
}

async fn run(backend: &str, url: &str, n: i64) {
    let db = Db::connect_and_migrate(url).await.expect("database");
    let now_ms = jiff::Timestamp::now().as_second() * 1000;
    let started = Instant::now();
    let written = common::seed::a_year(&db, n, now_ms, |written, area| {
        format!("We need better area {area} because of reason {written}")
    })
    .await;
    println!("{backend}: seeded {written} highlights in {:.1?}", started.elapsed());
    let ws = WorkspaceId(TEAM.into());
    let week = measure(5, || async {
        let d = gather(&db, now_ms, &ws, now_ms - 7 * DAY_MS, now_ms, "last week".into(), false).await.expect("digest");
        let m = render_digest_message(&d, &std::collections::HashMap::new());
        assert!(!m.blocks.is_empty());
    })
    .await;
    report(backend, "weekly digest (gather + render)", &week);
    // Momentum (docs/design.md, Behaviour: Digests) is part of the digest above; here on its own:
    // what it adds to the digest.
    let momentum = measure(25, || async {
        let m = highlights::digests::momentum::gather(&db, &ws, now_ms - 7 * DAY_MS, now_ms).await.expect("momentum");
        assert!(!m.previous.is_empty());
    })
    .await;
    report(backend, "  of which momentum", &momentum);
    let report_times = measure(5, || async {
        let r = gather_report(&db, &ws, ONBOARDEE, now_ms).await.expect("report").expect("has interviews");
        let m = render_report_message(&r);
        assert!(!m.blocks.is_empty());
    })
    .await;
    report(backend, "month-end report (gather + render)", &report_times);
    // Similar quotes in a capture's confirmation (docs/design.md, Behaviour), at this size: the
    // read a replica makes at most once a second, and the match each capture
    // makes in memory against it.
    let quote = "We need a better area 3 for this reason";
    for (what, remembered_for, runs) in [
        ("similar quotes: read + match", Duration::ZERO, 20),
        ("similar quotes: match (per capture)", Duration::from_secs(3600), 200),
    ] {
        let state = state_on(url, &db, remembered_for);
        let times = measure(runs, || async {
            let found =
                highlights::capture::similar::find(&state.db, &state.config, &state.memo, &ws, quote, None, "").await;
            assert!(!found.is_empty(), "similar quotes found");
        })
        .await;
        report(backend, what, &times);
    }
}

/// The app's state over `db`, remembering a workspace's recent highlights
/// for `remembered_for`.
fn state_on(url: &str, db: &Db, remembered_for: Duration) -> AppState {
    let mut config = Config::from_args(url, &common::app::serve_args()).expect("config");
    config.timing.recent_quotes_for = remembered_for;
    AppState::new(config, db.clone(), Clock::system())
}

/// Times of `runs` runs, sorted, and the CPU a run took on average.
struct Measured {
    times: Vec<Duration>,
    cpu: Duration,
}

async fn measure<F, Fut>(runs: usize, f: F) -> Measured
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    f().await; // warm the caches once
    let mut times = Vec::new();
    let cpu_before = cpu_ns();
    for _ in 0..runs {
        let t = Instant::now();
        f().await;
        times.push(t.elapsed());
    }
    let cpu = Duration::from_nanos(cpu_ns().saturating_sub(cpu_before) / runs as u64);
    times.sort();
    Measured { times, cpu }
}

fn report(backend: &str, what: &str, m: &Measured) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{backend:>10}  {what:<36} p50 {:>9.3} ms   max {:>9.3} ms   CPU {:>8.3} ms a run   ({} runs)",
        ms(m.times[m.times.len() / 2]),
        ms(m.times[m.times.len() - 1]),
        ms(m.cpu),
        m.times.len()
    );
}

/// Nanoseconds on a core so far of this process's threads and of the
/// PostgreSQL backends connected to the bench's database (`/proc/…/schedstat`).
fn cpu_ns() -> u64 {
    let run_ns = |dir: &std::path::Path| {
        std::fs::read_to_string(dir.join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let entries = |dir: &str| std::fs::read_dir(dir).into_iter().flatten().flatten().map(|e| e.path());
    let mine: u64 = entries("/proc/self/task").map(|task| run_ns(&task)).sum();
    let backends: u64 = entries("/proc")
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit())))
        .filter(|p| {
            std::fs::read(p.join("cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&format!(" {BENCH_DATABASE} ")))
        })
        .map(|p| run_ns(&p))
        .sum();
    mine + backends
}
