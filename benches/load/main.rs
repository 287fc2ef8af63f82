//! The capture load benchmark: the real release binary (`highlights serve`)
//! on loopback, pinned to CPU 0, against a fresh database and a fake Slack,
//! driven by correctly signed `/highlight <customer> | <area> | <quote>`
//! requests from this process, pinned to CPU 1.
//!
//! `cargo bench --bench load` builds the binary as `cargo build --release`
//! does (see `common::server_binary`) and prints, per
//! backend: start time and idle memory; req/s, p50/p99/max latency and peak
//! RSS at 1, 16 and 64 connections; the cost of a capture as the data grows
//! (10k, 100k and 1M highlights over 100k customers); the outbox's own
//! throughput against a fake Slack that never limits; after every run,
//! that each acknowledged capture is in the database; and at the end the
//! targets, each unmet one with what stands in the way, from
//! the profiles `profile.rs` reads out of `/proc`. The fake Slack is the
//! tests' own (`common::fake_slack`), with its Block Kit check off.
//!
//! Customers follow a realistic shape: a few big customers get most captures
//! (Zipf over 2,000 seeded names), a long tail gets the rest, and one capture
//! in fifty names a customer never seen before.
//!
//! Settings (environment): `HIGHLIGHTS_BENCH_SECS` (seconds per level, 10),
//! `HIGHLIGHTS_BENCH_CONNS` ("1 16 64"; empty to skip), `HIGHLIGHTS_BENCH_SCALES`
//! ("10000 100000 1000000"; empty to skip), `HIGHLIGHTS_BENCH_ROUNDS` (rounds
//! of the scales and of the outbox, 3; the median counts), `HIGHLIGHTS_BENCH_BIN` (another
//! build of `highlights` to run, for a comparison in the same run), `HIGHLIGHTS_BENCH_POSTGRES_URL`
//! (adds PostgreSQL: a fresh database is created on that server),
//! `HIGHLIGHTS_BENCH_ONLY` (`sqlite` or `postgres`), `RUST_LOG` (the server's log
//! filter; its log goes to stderr). Figures, not assertions:
//! compare with Bolt in the same run with `../shared/anchors-bench` (see
//! `benches/README.md`).

#[path = "../common/mod.rs"]
mod common;
mod profile;

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::fake_slack::{FakeSlack, TEAM};
use common::signed::Slash;
use highlights::store::workspaces::{self, WorkspaceId};
use highlights::store::Db;
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use sqlx::Connection as _;

const CHANNEL: &str = "C0BENCH001";
const BIG_CUSTOMERS: usize = 2_000;
const AREAS: &[&str] = &["chat", "email", "billing", "reporting", "mobile", "integrations"];

fn main() {
    let cpus = std::thread::available_parallelism().map(usize::from).unwrap_or(1);
    let pinned = cpus >= 2 && pin_self_to_cpu_1();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let settings = Settings::from_env();
    common::server_binary();
    println!("capture load benchmark: {cpus} CPUs; server on CPU 0, load on CPU 1: {pinned}");
    println!("levels {:?} connections, {} s each; scales {:?}", settings.conns, settings.secs, settings.scales);
    rt.block_on(async {
        let slack = fast_slack().await;
        let dir = tempfile::tempdir().expect("temp dir");
        if settings.only.as_deref() != Some("postgres") {
            let mut n = 0;
            let sqlite = || {
                n += 1;
                format!("sqlite://{}", dir.path().join(format!("bench{n}.db")).display())
            };
            run_backend("SQLite", sqlite, &settings, &slack, pinned).await;
        }
        if settings.only.as_deref() != Some("sqlite") {
            if let Ok(base) = std::env::var("HIGHLIGHTS_BENCH_POSTGRES_URL") {
                let mut n = 0;
                let postgres = || {
                    n += 1;
                    format!("{base}#{n}")
                };
                run_backend("PostgreSQL", postgres, &settings, &slack, pinned).await;
            }
        }
    });
}

struct Settings {
    secs: u64,
    conns: Vec<usize>,
    scales: Vec<usize>,
    rounds: usize,
    only: Option<String>,
}

impl Settings {
    fn from_env() -> Self {
        let list = |name: &str, default: &str| -> Vec<usize> {
            std::env::var(name)
                .unwrap_or_else(|_| default.to_owned())
                .split_whitespace()
                .filter_map(|v| v.parse().ok())
                .collect()
        };
        Self {
            secs: std::env::var("HIGHLIGHTS_BENCH_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(10),
            conns: list("HIGHLIGHTS_BENCH_CONNS", "1 16 64"),
            scales: list("HIGHLIGHTS_BENCH_SCALES", "10000 100000 1000000"),
            rounds: std::env::var("HIGHLIGHTS_BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(3),
            only: std::env::var("HIGHLIGHTS_BENCH_ONLY").ok(),
        }
    }
}

/// Pins this process (every thread) to CPU 1 with `taskset`, before the
/// runtime starts its threads.
fn pin_self_to_cpu_1() -> bool {
    let pid = std::process::id().to_string();
    Command::new("taskset")
        .args(["-a", "-p", "-c", "1", &pid])
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// A fresh database URL: SQLite files are new; a PostgreSQL URL carries
/// `#n` and gets a database of its own.
async fn fresh_database(url: &str) -> String {
    let Some((base, n)) = url.split_once('#') else { return url.to_owned() };
    postgres_database(&url::Url::parse(base).expect("url"), &format!("highlights_load_{n}"), None).await
}

/// Creates database `name` on `url`'s server (dropping one of that name
/// first), empty or as a copy of `template`; returns its URL.
async fn postgres_database(url: &url::Url, name: &str, template: Option<&str>) -> String {
    let mut admin = postgres_admin(url).await;
    sqlx::query(&format!("drop database if exists {name} with (force)")).execute(&mut admin).await.expect("drop");
    let copy = template.map(|template| format!(" template {template}")).unwrap_or_default();
    sqlx::query(&format!("create database {name}{copy}")).execute(&mut admin).await.expect("create");
    let mut url = url.clone();
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// A copy of a seeded database for one round: every round starts from the
/// same data (a round adds some 15,000 captures).
async fn copy_database(url: &str, round: usize) -> String {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let copy = format!("{path}.round{round}");
        for suffix in ["", "-wal"] {
            if std::path::Path::new(&format!("{path}{suffix}")).exists() {
                std::fs::copy(format!("{path}{suffix}"), format!("{copy}{suffix}")).expect("copy the seeded database");
            }
        }
        return format!("sqlite://{copy}");
    }
    let parsed = url::Url::parse(url).expect("url");
    let name = parsed.path().trim_start_matches('/');
    postgres_database(&parsed, &format!("{name}_round{round}"), Some(name)).await
}

/// Removes a database no longer needed (the disk a million highlights take).
async fn drop_database(url: &str) {
    if let Some(path) = url.strip_prefix("sqlite://") {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
        return;
    }
    let parsed = url::Url::parse(url).expect("url");
    let name = parsed.path().trim_start_matches('/').to_owned();
    let mut admin = postgres_admin(&parsed).await;
    sqlx::query(&format!("drop database if exists {name} with (force)")).execute(&mut admin).await.expect("drop");
}

/// A connection to the server's `postgres` database, to create and drop others.
async fn postgres_admin(url: &url::Url) -> sqlx::PgConnection {
    let mut admin = url.clone();
    admin.set_path("/postgres");
    sqlx::PgConnection::connect(admin.as_str()).await.expect("connect to PostgreSQL")
}

async fn run_backend(
    backend: &str,
    mut next_url: impl FnMut() -> String,
    settings: &Settings,
    slack: &FakeSlack,
    pinned: bool,
) {
    println!("\n== {backend}");
    let mut figures = Figures { cores: profile::machine_cores(), ..Figures::default() };
    if !settings.conns.is_empty() {
        run_levels(&next_url(), settings, slack, pinned, &mut figures).await;
    }

    // The cost of a capture as the data grows: each scale seeded once, then
    // measured in rounds, each round on a copy of the seeded data, the
    // scales taken in turn and in the opposite order every other round, so
    // a machine that slows down for a minute does not fall on one scale.
    if !settings.scales.is_empty() {
        println!(
            "capture cost as the data grows (16 connections, {} s each, {} rounds):",
            settings.secs.min(5),
            settings.rounds
        );
        let mut seeded = Vec::new();
        for &scale in &settings.scales {
            let url = fresh_database(&next_url()).await;
            let customers = 100_000.min(scale.max(BIG_CUSTOMERS));
            let names = seed(&url, scale, customers).await;
            seeded.push((scale, customers, url, names));
        }
        println!(
            "{:>5} {:>10} {:>10} {:>9} {:>8} {:>8}",
            "round", "highlights", "customers", "req/s", "p50_ms", "p99_ms"
        );
        let mut rates = vec![Vec::new(); seeded.len()];
        for round in 1..=settings.rounds {
            let mut order: Vec<usize> = (0..seeded.len()).collect();
            if round % 2 == 0 {
                order.reverse();
            }
            for i in order {
                let (scale, customers, seeded_url, names) = &seeded[i];
                let url = copy_database(seeded_url, round).await;
                let server = Server::start(&url, slack, None, pinned).await;
                let mut load = Load::new(names.clone());
                load.run(&server, 16, Duration::from_secs(1)).await;
                let stats = load.run(&server, 16, Duration::from_secs(settings.secs.min(5))).await;
                println!(
                    "{round:>5} {scale:>10} {customers:>10} {:>9.0} {:>8.2} {:>8.2}",
                    stats.rate(),
                    stats.percentile(0.50),
                    stats.percentile(0.99)
                );
                rates[i].push(stats.rate());
                server.check_stored(&load).await;
                server.stop().await;
                drop_database(&url).await;
            }
        }
        for ((scale, ..), rates) in seeded.iter().zip(rates) {
            let median = median(rates);
            println!("{scale:>10} highlights: median {median:.0} req/s");
            figures.by_scale.push((*scale, median));
        }
    }

    // The outbox against a Slack that never limits, in rounds.
    // The last round's profile is printed.
    let mut outbox_rates = Vec::new();
    let mut outbox_profile = None;
    for _ in 0..settings.rounds {
        let url = fresh_database(&next_url()).await;
        let (rate, profile) = run_outbox(&url, pinned).await;
        outbox_rates.push(rate);
        outbox_profile = Some(profile);
    }
    if let Some(profile) = outbox_profile {
        let median = median(outbox_rates);
        println!("outbox: median {median:.0} posts/s");
        profile.print("the outbox's last round, from the server's start");
        figures.outbox_per_s = Some(median);
        figures.outbox_cost_us = Some((profile.server_us(), profile.machine_us()));
    }
    figures.print_targets(backend);
}

/// The middle figure of a few rounds (the mean of the middle two when even).
fn median(mut figures: Vec<f64>) -> f64 {
    figures.sort_by(f64::total_cmp);
    let n = figures.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => figures[n / 2],
        _ => (figures[n / 2 - 1] + figures[n / 2]) / 2.0,
    }
}

/// The fake Slack as the load bench wants it: it never limits (no fault is
/// asked of it), and it does not check Block Kit (the app's messages are
/// checked by the tests; here the fake's work would be measured with the app's).
async fn fast_slack() -> FakeSlack {
    let slack = FakeSlack::start().await;
    slack.check_blocks(false);
    slack
}

/// 20,000 highlights of 500 customers posted into their threads against a
/// Slack that never limits (a fresh one, which holds one round's posts);
/// returns posts/s and where the CPU went.
async fn run_outbox(url: &str, pinned: bool) -> (f64, profile::Profile) {
    let posts = 20_000;
    seed_due_posts(url, posts).await;
    let slack = fast_slack().await;
    let before = profile::Snapshot::take(None);
    let started = Instant::now();
    let server = Server::start(url, &slack, Some(CHANNEL), pinned).await;
    let db = Db::connect(url).await.expect("database");
    loop {
        // Whether any is left, not how many: counting the pending rows
        // every 50 ms cost PostgreSQL a fifth of what the posts did.
        let left: Option<i64> = sqlx::query_scalar("select id from outbox where status = 'pending' limit 1")
            .fetch_optional(db.pool())
            .await
            .expect("any left");
        if left.is_none() {
            break;
        }
        if started.elapsed() > Duration::from_secs(600) {
            println!("outbox: posts still pending after 10 minutes");
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let profile = profile::Snapshot::take(Some(server.child.id())).since(&before, "post", posts);
    println!(
        "outbox: {posts} highlights posted into their threads in {elapsed:.1} s: {:.0} posts/s ({} Slack calls)",
        posts as f64 / elapsed,
        slack.call_count()
    );
    db.close().await;
    server.stop().await;
    drop_database(url).await;
    (posts as f64 / elapsed, profile)
}

/// The level at 64 connections, as the targets read it.
#[derive(Clone, Copy)]
struct At64 {
    rate: f64,
    p50_ms: f64,
    p99_ms: f64,
    peak_mib: f64,
}

/// What a backend's run measured, for the targets.
#[derive(Default)]
struct Figures {
    /// The machine's cores.
    cores: usize,
    start_ms: Option<f64>,
    idle_mib: Option<f64>,
    /// The level at 64 connections.
    at_64: Option<At64>,
    /// Where the CPU went at the last level: µs per capture of the server,
    /// and of the whole machine.
    cost_us: Option<(f64, f64)>,
    /// Idle RSS by what is mapped (KiB): the binary, shared libraries, the rest.
    idle_parts: Option<(u64, u64, u64)>,
    /// req/s at 16 connections, by highlights in the workspace.
    by_scale: Vec<(usize, f64)>,
    outbox_per_s: Option<f64>,
    /// Where the CPU went in the outbox's last round: µs per post of the
    /// server, and of the whole machine.
    outbox_cost_us: Option<(f64, f64)>,
    /// What a capture cost the server at each level of connections.
    level_costs: Vec<LevelCost>,
}

/// The most server CPU a capture may cost, at any load: what a
/// durable group-committed insert and the bare HTTP stack cost on this
/// kind of machine, with room for the rest of the request.
const CAPTURE_CPU_TARGET_US: f64 = 40.0;

/// What a capture cost the server at one level of connections.
struct LevelCost {
    conns: usize,
    /// µs of the server's CPU (all threads).
    cpu_us: f64,
    /// Context switches of the server's threads.
    switches: f64,
    /// System calls of the server (None without `perf`).
    syscalls: Option<f64>,
}

impl LevelCost {
    fn print(&self) {
        let syscalls = self.syscalls.map_or("- (no perf)".to_owned(), |n| format!("{n:.1}"));
        println!(
            "{:>6} per capture: server CPU {:.0} µs (target {CAPTURE_CPU_TARGET_US:.0}), {:.1} context switches, \
             {syscalls} system calls",
            "", self.cpu_us, self.switches
        );
    }
}

impl Figures {
    /// Each target beside what was measured. The ratio to Bolt for
    /// JavaScript is not here: it is measured beside Bolt, in one run, with
    /// `../shared/anchors-bench` (benches/README.md).
    fn print_targets(&self, backend: &str) {
        let p99_target = if backend == "SQLite" { 5.0 } else { 15.0 };
        let verdict = |met: bool| if met { "met" } else { "NOT MET" };
        println!("targets ({backend}):");
        let line = |what: String, value: Option<(String, bool)>| match value {
            Some((value, met)) => println!("  {what:<48} {value:>12}  {}", verdict(met)),
            None => println!("  {what:<48} {:>12}  not measured", "-"),
        };
        line(
            format!("p99 at 64 connections under {p99_target} ms"),
            self.at_64.map(|at| (format!("{:.1} ms", at.p99_ms), at.p99_ms < p99_target)),
        );
        if let (Some(at), Some(cost)) = (self.at_64, self.cost_us) {
            if at.p99_ms >= p99_target {
                // Little's law: 64 captures in flight answered within the
                // target need at least this rate, even with no tail at all.
                let needed = 64.0 / (p99_target / 1000.0);
                self.print_cpu_in_the_way(needed, &format!(" (64 / {p99_target} ms)"), "capture", cost);
                if at.rate >= needed {
                    println!(
                        "    and it answered {:.0}/s, enough: what stands in the way is the tail \
                         (p50 {:.1} ms, p99 {:.1} ms), not the rate",
                        at.rate, at.p50_ms, at.p99_ms
                    );
                }
            }
        }
        line(
            "peak RSS at 64 connections under 30 MiB".into(),
            self.at_64.map(|at| (format!("{:.1} MiB", at.peak_mib), at.peak_mib < 30.0)),
        );
        line("idle RSS under 15 MiB".into(), self.idle_mib.map(|rss| (format!("{rss:.1} MiB"), rss < 15.0)));
        if let (Some(rss), Some((binary, libraries, own))) = (self.idle_mib, self.idle_parts) {
            if rss >= 15.0 {
                let mib = |kib: u64| kib as f64 / 1024.0;
                println!(
                    "    in the way: the binary's pages {:.1} MiB, shared libraries {:.1} MiB, the app's own \
                     memory (heap, stacks) {:.1} MiB",
                    mib(binary),
                    mib(libraries),
                    mib(own)
                );
            }
        }
        line("start under 50 ms".into(), self.start_ms.map(|ms| (format!("{ms:.0} ms"), ms < 50.0)));
        let first = self.by_scale.first();
        let last = self.by_scale.last().filter(|last| Some(*last) != first);
        line(
            "cost at the largest scale vs the smallest (at most +20%)".into(),
            first.zip(last).map(|((_, small), (_, large))| {
                let more = small / large - 1.0;
                (format!("{:+.0}%", more * 100.0), more <= 0.20)
            }),
        );
        for cost in &self.level_costs {
            line(
                format!("server CPU per capture at {} connections ≤ {CAPTURE_CPU_TARGET_US:.0} µs", cost.conns),
                Some((format!("{:.0} µs", cost.cpu_us), cost.cpu_us <= CAPTURE_CPU_TARGET_US)),
            );
        }
        line("outbox at least 5,000 posts/s".into(), self.outbox_per_s.map(|r| (format!("{r:.0}/s"), r >= 5_000.0)));
        if let (Some(rate), Some(cost)) = (self.outbox_per_s, self.outbox_cost_us) {
            if rate < 5_000.0 {
                self.print_cpu_in_the_way(5_000.0, "", "post", cost);
            }
        }
    }

    /// Under an unmet rate: the CPU a unit of work may take to reach it,
    /// what it took (`cost`: µs of the server, and of the machine), and so
    /// whether a core is the limit or the time goes in waiting.
    fn print_cpu_in_the_way(&self, needed: f64, why: &str, unit: &str, (server_us, machine_us): (f64, f64)) {
        let server_ceiling = 1e6 / server_us;
        let machine_ceiling = 1e6 * self.cores as f64 / machine_us;
        let limit = if server_ceiling < needed {
            "the server's core is the limit"
        } else if machine_ceiling < needed {
            "the machine's cores are the limit"
        } else if machine_ceiling < needed * 1.5 {
            // Cores shared with PostgreSQL and the load generator are never
            // all the server's: less than half again of room is none.
            "the machine's cores are close to the limit (less than half again the need)"
        } else {
            "no core is the limit: the time goes in waiting (round trips, turns at a lock)"
        };
        println!(
            "    in the way: {needed:.0} {unit}s/s{why} leave at most {:.0} µs of the server's core a {unit}; \
             it took {server_us:.0} µs (at most {server_ceiling:.0}/s on one core) and the machine \
             {machine_us:.0} µs on its {} cores (at most {machine_ceiling:.0}/s): {limit}; profile above",
            1e6 / needed,
            self.cores,
        );
    }
}

/// Captures at each level of connections over a workspace of 10,000
/// highlights; checks every acknowledged capture is stored.
async fn run_levels(url: &str, settings: &Settings, slack: &FakeSlack, pinned: bool, figures: &mut Figures) {
    let url = fresh_database(url).await;
    let names = seed(&url, 10_000, 20_000).await;
    let server = Server::start(&url, slack, None, pinned).await;
    figures.start_ms = Some(server.started_in.as_secs_f64() * 1000.0);
    figures.idle_mib = Some(server.rss_kib("VmRSS") as f64 / 1024.0);
    figures.idle_parts = Some(profile::resident(server.child.id()));
    println!(
        "start {:.0} ms, idle RSS {:.1} MiB",
        figures.start_ms.unwrap_or_default(),
        figures.idle_mib.unwrap_or_default()
    );
    let mut load = Load::new(names);
    load.run(&server, 16, Duration::from_secs(2)).await; // warm-up, discarded
    println!(
        "{:>6} {:>9} {:>8} {:>8} {:>8} {:>10} {:>8} {:>8} {:>8}",
        "conns", "req/s", "p50_ms", "p99_ms", "max_ms", "peakRSS", "saved", "asked", "errors"
    );
    for &conns in &settings.conns {
        server.reset_peak_rss();
        let syscalls = profile::Syscalls::count(server.child.id());
        let before = profile::Snapshot::take(Some(server.child.id()));
        let stats = load.run(&server, conns, Duration::from_secs(settings.secs)).await;
        let after = profile::Snapshot::take(Some(server.child.id()));
        let syscalls = syscalls.stop();
        let profile = after.since(&before, "capture", stats.latencies_us.len());
        stats.print(conns, server.rss_kib("VmHWM"));
        let cost = LevelCost {
            conns,
            cpu_us: profile.server_us(),
            switches: profile.server_switches(),
            syscalls: syscalls.map(|n| n as f64 / stats.latencies_us.len().max(1) as f64),
        };
        cost.print();
        figures.level_costs.push(cost);
        if Some(&conns) == settings.conns.iter().max() {
            profile.print(&format!("{conns} connections"));
            figures.cost_us = Some((profile.server_us(), profile.machine_us()));
        }
        if std::env::var_os("HIGHLIGHTS_BENCH_TIMELINE").is_some() {
            stats.print_timeline();
        }
        if conns == 64 {
            figures.at_64 = Some(At64 {
                rate: stats.rate(),
                p50_ms: stats.percentile(0.50),
                p99_ms: stats.percentile(0.99),
                peak_mib: server.rss_kib("VmHWM") as f64 / 1024.0,
            });
        }
    }
    server.check_stored(&load).await;
    server.stop().await;
}

/// Seeds a workspace: `customers` customers (the first 2,000 are the ones
/// captures name), `highlights` highlights in interviews of three; returns the
/// names to capture for.
async fn seed(url: &str, highlights: usize, customers: usize) -> Vec<String> {
    let started = Instant::now();
    let db = Db::connect_and_migrate(url).await.expect("database");
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let names: Vec<String> = (0..customers).map(|_| rng.name()).collect();
    let mut tx = db.pool().begin().await.expect("tx");
    let areas: Vec<String> = AREAS.iter().map(|a| (*a).to_owned()).collect();
    workspaces::insert_workspace_if_new(&mut tx, &WorkspaceId(TEAM.into()), &areas, 0).await.expect("workspace");
    for chunk in names.chunks(250) {
        let rows: Vec<String> =
            (0..chunk.len()).map(|i| format!("($1, ${}, ${}, 0, 0)", 2 * i + 2, 2 * i + 3)).collect();
        let sql = format!(
            "insert into customers (workspace_id, key, display_name, created_at, updated_at) values {}",
            rows.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(TEAM);
        for name in chunk {
            query = query.bind(name.to_lowercase()).bind(name);
        }
        query.execute(&mut *tx).await.expect("customers");
    }
    // Their typo variants, as the app records them for a new customer (the
    // same statement as the migration that introduced them).
    sqlx::query(
        "insert into customer_key_variants (workspace_id, variant, customer_id)
         with recursive positions (workspace_id, id, key, i) as (
             select workspace_id, id, key, 0 from customers
             union all
             select workspace_id, id, key, i + 1 from positions where i < length(key) and length(key) <= 64)
         select distinct workspace_id, case when i = 0 then key else substr(key, 1, i - 1) || substr(key, i + 1) end, id
         from positions where i = 0 or length(key) > 1
         on conflict do nothing",
    )
    .execute(&mut *tx)
    .await
    .expect("variants");
    // Interviews of three highlights, by 40 interviewers, spread over the customers.
    let interviews = highlights.div_ceil(3) as i64;
    sqlx::query(
        "with recursive n(i) as (select 0 union all select i + 1 from n where i + 1 < $1)
         insert into interviews (workspace_id, customer_id, interviewer, interview_date, created_at)
         select $2, 1 + (i / 40) % $3, 'U' || cast(i % 40 as text),
                '2025-' || cast(1 + (i / (40 * $3)) % 12 as text) || '-01', i
         from n",
    )
    .bind(interviews)
    .bind(TEAM)
    .bind(customers as i64)
    .execute(&mut *tx)
    .await
    .expect("interviews");
    sqlx::query(
        "with recursive n(i) as (select 0 union all select i + 1 from n where i + 1 < $1)
         insert into highlights (workspace_id, interview_id, customer_id, area_id, kind, quote, author, created_at,
                                 posted_channel, posted_ts)
         select $2, 1 + i / 3, 1 + ((i / 3) / 40) % $3, 1 + i % 6, 'request',
                'We need canned replies for case ' || cast(i as text) || ' before renewal', 'U' || cast((i / 3) % 40 as text),
                i, 'C0SEEDED01', cast(i as text)
         from n",
    )
    .bind(highlights as i64)
    .bind(TEAM)
    .bind(customers as i64)
    .execute(&mut *tx)
    .await
    .expect("highlights");
    tx.commit().await.expect("commit");
    common::seed::index_for_search(&db).await;
    if db.backend() == highlights::store::Backend::Postgres {
        sqlx::query("analyze").execute(db.pool()).await.expect("analyze");
    } else {
        // One bulk insert leaves the search index in many segments with its
        // largest merges still to do, and the captures of the first minutes
        // would do the seed's own merging. A workspace that grew by captures
        // has had its index merged as it went (benches/README.md).
        sqlx::query("insert into highlights_fts (highlights_fts) values ('optimize')")
            .execute(db.pool())
            .await
            .expect("merge the search index");
    }
    db.close().await;
    println!("seeded {highlights} highlights, {customers} customers in {:.1} s", started.elapsed().as_secs_f64());
    names.into_iter().take(BIG_CUSTOMERS).collect()
}

/// A workspace with `posts` highlights of 500 customers waiting to be posted.
async fn seed_due_posts(url: &str, posts: usize) {
    let db = Db::connect_and_migrate(url).await.expect("database");
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let names: Vec<String> = (0..500).map(|_| rng.name()).collect();
    let mut tx = db.pool().begin().await.expect("tx");
    let team = WorkspaceId(TEAM.into());
    workspaces::insert_workspace_if_new(&mut tx, &team, &["chat".into()], 0).await.expect("workspace");
    workspaces::update_product_channel(&mut tx, &team, CHANNEL, 0).await.expect("product channel");
    for name in &names {
        sqlx::query(
            "insert into customers (workspace_id, key, display_name, created_at, updated_at) values ($1, $2, $3, 0, 0)",
        )
        .bind(TEAM)
        .bind(name.to_lowercase())
        .bind(name)
        .execute(&mut *tx)
        .await
        .expect("customer");
    }
    sqlx::query(
        "with recursive n(i) as (select 0 union all select i + 1 from n where i + 1 < 500)
         insert into interviews (workspace_id, customer_id, interviewer, interview_date, created_at)
         select $1, 1 + i, 'U0BENCH001', '2026-11-01', i from n",
    )
    .bind(TEAM)
    .execute(&mut *tx)
    .await
    .expect("interviews");
    sqlx::query(
        "with recursive n(i) as (select 0 union all select i + 1 from n where i + 1 < $1)
         insert into highlights (workspace_id, interview_id, customer_id, area_id, kind, quote, author, created_at)
         select $2, 1 + i % 500, 1 + i % 500, 1, 'request', 'We need canned replies, case ' || cast(i as text),
                'U0BENCH001', i
         from n",
    )
    .bind(posts as i64)
    .bind(TEAM)
    .execute(&mut *tx)
    .await
    .expect("highlights");
    sqlx::query(
        "insert into outbox (workspace_id, kind, dedupe_key, payload, run_after, created_at, updated_at)
         select workspace_id, 'post_highlight', 'highlight:' || cast(id as text),
                '{\"kind\":\"post_highlight\",\"highlight_id\":' || cast(id as text) || '}', 0, 0, 0
         from highlights",
    )
    .execute(&mut *tx)
    .await
    .expect("outbox");
    tx.commit().await.expect("commit");
    common::seed::index_for_search(&db).await;
    if db.backend() == highlights::store::Backend::Postgres {
        // Statistics, as autovacuum keeps them on a database that grew by
        // use: without them PostgreSQL plans a bulk-loaded table blind.
        sqlx::query("analyze").execute(db.pool()).await.expect("analyze");
    }
    db.close().await;
}

/// The app's binary, running.
struct Server {
    child: Child,
    addr: SocketAddr,
    url: String,
    started_in: Duration,
}

impl Server {
    async fn start(url: &str, slack: &FakeSlack, channel: Option<&str>, pinned: bool) -> Self {
        let addr = free_port();
        let dir = tempfile::tempdir().expect("dir");
        let bin = common::server_binary();
        let mut command = if pinned {
            let mut c = Command::new("taskset");
            c.args(["-c", "0", bin]);
            c
        } else {
            Command::new(bin)
        };
        common::serve(&mut command, dir.path(), url, &slack.api_url(), &addr.to_string());
        // `RUST_LOG=sqlx::query=trace` lists every statement with its time,
        // on this process's stderr.
        command.env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()));
        if let Some(channel) = channel {
            command.env("HIGHLIGHTS_PRODUCT_CHANNEL", channel);
        }
        let started = Instant::now();
        let child = command.spawn().expect("start highlights");
        let http = reqwest::Client::new();
        loop {
            if let Ok(resp) = http.get(format!("http://{addr}/healthz")).send().await {
                if resp.status().is_success() {
                    break;
                }
            }
            assert!(started.elapsed() < Duration::from_secs(30), "the server did not start");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let started_in = started.elapsed();
        std::mem::forget(dir);
        Self { child, addr, url: url.to_owned(), started_in }
    }

    /// A line of `/proc/<pid>/status`, in KiB.
    fn rss_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with(field))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    fn reset_peak_rss(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5");
    }

    /// Every acknowledged capture is in the database.
    async fn check_stored(&self, load: &Load) {
        let db = Db::connect(&self.url).await.expect("database");
        let stored: i64 = sqlx::query_scalar("select count(*) from highlights where posted_ts is null")
            .fetch_one(db.pool())
            .await
            .expect("count");
        db.close().await;
        let saved = load.saved_total;
        let verdict = if stored as u64 >= saved { "every acknowledged capture is stored" } else { "CAPTURES LOST" };
        println!("acknowledged {saved}, stored {stored}: {verdict}");
    }

    /// Stops the server as a deployment would (SIGTERM) and waits for it on
    /// another thread: the fake Slack runs on this runtime and answers the
    /// calls the server finishes while it shuts down (waiting here blocked
    /// them, and the server's outbox then gave up after its 10 s).
    async fn stop(mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = tokio::task::spawn_blocking(move || self.child.wait()).await;
    }
}

fn free_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr")
}

/// Who to capture for next: Zipf over the big customers, sometimes a new name.
struct Load {
    names: Vec<String>,
    weights: Vec<f64>,
    rng: XorShift,
    saved_total: u64,
}

#[derive(Default)]
struct Stats {
    latencies_us: Vec<u32>,
    /// (ms since the level started, µs) of each capture, for the timeline.
    timeline: Vec<(u32, u32)>,
    elapsed: Duration,
    saved: u64,
    asked: u64,
    errors: u64,
}

impl Stats {
    fn rate(&self) -> f64 {
        self.latencies_us.len() as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies_us.len() as f64 * p) as usize).min(self.latencies_us.len() - 1);
        self.latencies_us[i] as f64 / 1000.0
    }

    /// Per 100 ms of send time: how many captures were sent and the slowest;
    /// a tail that comes in bursts shows here (`HIGHLIGHTS_BENCH_TIMELINE=1`).
    fn print_timeline(&self) {
        let mut windows: std::collections::BTreeMap<u32, (u32, u32)> = Default::default();
        for &(at_ms, took_us) in &self.timeline {
            let w = windows.entry(at_ms / 100).or_default();
            w.0 += 1;
            w.1 = w.1.max(took_us);
        }
        for (w, (n, max_us)) in windows {
            println!("    {:>6} ms {n:>6} sent, slowest {:>8.2} ms", w * 100, max_us as f64 / 1000.0);
        }
    }

    fn print(&self, conns: usize, peak_kib: u64) {
        println!(
            "{conns:>6} {:>9.0} {:>8.2} {:>8.2} {:>8.2} {:>7.1}MiB {:>8} {:>8} {:>8}",
            self.rate(),
            self.percentile(0.50),
            self.percentile(0.99),
            self.percentile(1.0),
            peak_kib as f64 / 1024.0,
            self.saved,
            self.asked,
            self.errors
        );
    }
}

impl Load {
    fn new(names: Vec<String>) -> Self {
        // Zipf, s = 1.1: the top ten customers get about a third of captures.
        let mut total = 0.0;
        let weights = (1..=names.len())
            .map(|rank| {
                total += 1.0 / (rank as f64).powf(1.1);
                total
            })
            .collect();
        Self { names, weights, rng: XorShift(0x1234_5678_9abc_def1), saved_total: 0 }
    }

    fn next_text(&mut self, i: u64) -> String {
        let customer = if self.rng.below(50) == 0 {
            self.rng.name()
        } else {
            let total = self.weights.last().copied().unwrap_or(1.0);
            let x = self.rng.unit() * total;
            let rank = self.weights.partition_point(|&w| w < x).min(self.names.len() - 1);
            self.names[rank].clone()
        };
        let area = AREAS[self.rng.below(AREAS.len() as u64) as usize];
        format!("{customer} | {area} | \"We need canned replies before the renewal, call {i}\"")
    }

    /// Runs `conns` connections for `duration`, each sending captures one
    /// after another on a kept-alive connection.
    async fn run(&mut self, server: &Server, conns: usize, duration: Duration) -> Stats {
        // Texts are drawn up front so the clients spend nothing on choosing.
        let texts: Arc<Vec<String>> = Arc::new((0..200_000).map(|i| self.next_text(i)).collect());
        let next = Arc::new(AtomicU64::new(0));
        let deadline = Instant::now() + duration;
        let started = Instant::now();
        let mut clients = Vec::new();
        for c in 0..conns {
            let (texts, next, addr) = (texts.clone(), next.clone(), server.addr);
            clients.push(tokio::spawn(async move { client(addr, c, texts, next, started, deadline).await }));
        }
        let mut stats = Stats::default();
        for client in clients {
            let s = client.await.expect("client");
            stats.latencies_us.extend(s.latencies_us);
            stats.timeline.extend(s.timeline);
            stats.saved += s.saved;
            stats.asked += s.asked;
            stats.errors += s.errors;
        }
        stats.elapsed = started.elapsed();
        stats.latencies_us.sort_unstable();
        self.saved_total += stats.saved;
        stats
    }
}

async fn client(
    addr: SocketAddr,
    c: usize,
    texts: Arc<Vec<String>>,
    next: Arc<AtomicU64>,
    started: Instant,
    deadline: Instant,
) -> Stats {
    let mut stats = Stats::default();
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let _ = stream.set_nodelay(true);
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("handshake");
    tokio::spawn(conn);
    let user = format!("U0BENCH{:03}", c % 40);
    while Instant::now() < deadline {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let text = &texts[i as usize % texts.len()];
        // Each command its own trigger, as Slack gives: the same signed body
        // sent twice is a replay, answered without acting again.
        let trigger = format!("{i}.{c}.0");
        let body = Slash { channel: "C0BENCHIN1", user: &user, text, trigger: &trigger }.form();
        let mut request = hyper::Request::post("/slack/commands")
            .header("host", addr.to_string())
            .header("content-type", "application/x-www-form-urlencoded");
        for (name, value) in common::signed::headers(body.as_bytes()) {
            request = request.header(name, value);
        }
        let request = request.body(Full::new(Bytes::from(body))).expect("request");
        let sent = Instant::now();
        let Ok(response) = sender.send_request(request).await else {
            stats.errors += 1;
            break;
        };
        let status = response.status();
        let body = response.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        let took = sent.elapsed().as_micros().min(u32::MAX as u128) as u32;
        stats.latencies_us.push(took);
        stats.timeline.push(((sent - started).as_millis() as u32, took));
        let body = String::from_utf8_lossy(&body);
        if status.is_success() && body.contains("✅ Saved for") {
            stats.saved += 1;
        } else if status.is_success() && body.contains("Did you mean") {
            stats.asked += 1;
        } else {
            stats.errors += 1;
        }
    }
    stats
}

/// A small deterministic generator: the same run every time.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A made-up company name of two random words, far from every other
    /// (so a new name is a new customer, not a "did you mean").
    fn name(&mut self) -> String {
        let first = 6 + self.below(4);
        let second = 5 + self.below(3);
        format!("{} {}", self.word(first), self.word(second))
    }

    fn word(&mut self, len: u64) -> String {
        (0..len)
            .map(|i| {
                let c = (b'a' + self.below(26) as u8) as char;
                if i == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect()
    }
}
