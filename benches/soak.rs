//! Soak: thousands of signed captures over loopback from several clients
//! while the fake Slack turns hostile (see [`hostile_slack`]) and answers
//! 429s, 5xx, hangs and posts whose answer never arrives, with a `kill -9` and restart in the middle. On SQLite (one
//! process) and, with `HIGHLIGHTS_BENCH_POSTGRES_URL`, on two replica
//! processes sharing PostgreSQL (one of them killed). Prints, per run: sent,
//! acknowledged, stored, posted, duplicated and lost, and fails when anything
//! acknowledged was lost or anything was posted twice.
//!
//! `cargo bench --bench soak` (`HIGHLIGHTS_SOAK_SECS`, default 30, is the
//! sending time per run; `HIGHLIGHTS_SOAK_CLIENTS`, default 8). After sending,
//! it waits (at most 5 minutes) for the outbox to post everything.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::fake_slack::{FakeSlack, Fault};
use common::signed::Slash;

const CHANNEL: &str = "C0SOAK0001";
/// Time between two captures of one client.
const PACE: Duration = Duration::from_millis(100);
/// Names far enough apart that none is taken for a typo of another.
const CUSTOMERS: &[&str] = &[
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark Industries",
    "Wayne Enterprises",
    "Wonka",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Massive Dynamic",
    "Aperture",
    "Black Mesa",
    "Vandelay",
    "Pied Piper",
    "Dunder Mifflin",
    "Oceanic",
    "Monarch",
    "Gringotts",
];

fn main() {
    let secs: u64 = std::env::var("HIGHLIGHTS_SOAK_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(30);
    let clients: usize = std::env::var("HIGHLIGHTS_SOAK_CLIENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(8);
    common::server_binary();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let mut clean = true;
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("dir");
        let sqlite = format!("sqlite://{}?mode=rwc", dir.path().join("soak.db").display());
        clean &= soak("SQLite, one process", &sqlite, 1, secs, clients).await;
        if let Ok(base) = std::env::var("HIGHLIGHTS_BENCH_POSTGRES_URL") {
            let url = common::fresh_postgres_database(&base, "highlights_soak").await;
            clean &= soak("PostgreSQL, two replicas", &url, 2, secs, clients).await;
        }
    });
    if !clean {
        eprintln!("soak: something acknowledged was lost, or posted twice");
        std::process::exit(1);
    }
}

/// One run; true when nothing acknowledged was lost and nothing was posted twice.
async fn soak(label: &str, url: &str, replicas: usize, secs: u64, clients: usize) -> bool {
    let slack = hostile_slack().await;
    let mut servers: Vec<Server> = Vec::new();
    for _ in 0..replicas {
        servers.push(Server::start(url, &slack).await);
    }
    let addrs: Vec<SocketAddr> = servers.iter().map(|s| s.addr).collect();
    let next = Arc::new(AtomicU64::new(0));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let sent = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut running = Vec::new();
    for _ in 0..clients {
        let (addrs, next, acked, sent) = (addrs.clone(), next.clone(), acked.clone(), sent.clone());
        running.push(tokio::spawn(async move { client(&addrs, &next, &acked, &sent, deadline).await }));
    }
    // Half way: kill -9 the first process, and start it again a second later.
    tokio::time::sleep(Duration::from_secs(secs / 2)).await;
    servers[0].kill();
    tokio::time::sleep(Duration::from_secs(1)).await;
    servers[0].restart(url, &slack).await;
    for task in running {
        let _ = task.await;
    }
    let acked: Vec<String> = acked.lock().expect("lock").clone();
    let sent = sent.load(Ordering::Relaxed);

    // Everything stored must reach the channel: wait for the outbox.
    let db = highlights::store::Db::connect_and_migrate(url).await.expect("database");
    let waited = Instant::now();
    let (stored, unposted) = loop {
        let stored: Vec<String> =
            sqlx::query_scalar("select quote from highlights").fetch_all(db.pool()).await.expect("read");
        let unposted: i64 = sqlx::query_scalar("select count(*) from highlights where posted_ts is null")
            .fetch_one(db.pool())
            .await
            .expect("read");
        if unposted == 0 || waited.elapsed() > Duration::from_secs(300) {
            break (stored, unposted);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let queued: i64 =
        sqlx::query_scalar("select count(*) from outbox where kind = 'post_highlight' and status = 'pending'")
            .fetch_one(db.pool())
            .await
            .expect("read");
    let (replies, parents) = posted(&slack);
    for server in &mut servers {
        server.kill();
    }
    db.close().await;

    let stored_set: std::collections::HashSet<&String> = stored.iter().collect();
    let mut per_quote: HashMap<&str, usize> = HashMap::new();
    for quote in &replies {
        *per_quote.entry(quote.as_str()).or_default() += 1;
    }
    let duplicated_replies: usize = per_quote.values().map(|n| n - 1).sum();
    let mut per_customer: HashMap<&str, usize> = HashMap::new();
    for customer in &parents {
        *per_customer.entry(customer.as_str()).or_default() += 1;
    }
    let duplicated_parents: usize = per_customer.values().map(|n| n - 1).sum();
    let lost_unstored = acked.iter().filter(|q| !stored_set.contains(q)).count();
    let lost_unposted = stored.iter().filter(|q| !per_quote.contains_key(q.as_str())).count();
    let faults: Vec<String> = slack.faults_served().iter().map(|(fault, n)| format!("{fault} {n}")).collect();
    let faults = faults.join(", ");
    println!("== {label}: {secs} s of sending, {clients} clients, kill -9 at {} s", secs / 2);
    println!("   hostile Slack: {faults}");
    println!(
        "   sent {sent}, acknowledged {}, stored {}, posted {}, duplicated {} (replies {duplicated_replies}, thread parents {duplicated_parents}), lost {} (acknowledged but not stored {lost_unstored}, stored but not posted {lost_unposted}{})",

        acked.len(),
        stored.len(),
        per_quote.len(),
        duplicated_replies + duplicated_parents,
        lost_unstored + lost_unposted,
        if unposted > 0 {
            format!(", the outbox did not finish within 5 minutes: {queued} posts still queued, not lost")
        } else {
            String::new()
        },
    );
    duplicated_replies + duplicated_parents + lost_unstored + lost_unposted == 0
}

/// Sends captures, each with a unique quote, round-robin over the replicas,
/// until the deadline, one every [`PACE`] per client (people typing, not a
/// load test: Slack itself takes about one post per second per channel, so
/// the queue must be drainable); a refused connection (a killed replica) is a
/// capture not acknowledged, as Slack would show the user an error.
async fn client(
    addrs: &[SocketAddr],
    next: &AtomicU64,
    acked: &Mutex<Vec<String>>,
    sent: &AtomicU64,
    deadline: Instant,
) {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("client");
    while Instant::now() < deadline {
        let n = next.fetch_add(1, Ordering::Relaxed);
        let quote = format!("soak quote {n}");
        let text = format!("{} | chat | {quote}", CUSTOMERS[n as usize % CUSTOMERS.len()]);
        let trigger = format!("{n}.0.0");
        let body = Slash { channel: "C0SOAKIN01", user: "U0SOAK0001", text: &text, trigger: &trigger }.form();
        let addr = addrs[n as usize % addrs.len()];
        sent.fetch_add(1, Ordering::Relaxed);
        let answer = common::signed::post(&http, format!("http://{addr}/slack/commands"), body).await;
        tokio::time::sleep(PACE).await;
        match answer {
            Ok(resp) if resp.status().is_success() => {
                if resp.text().await.unwrap_or_default().contains("✅ Saved") {
                    acked.lock().expect("lock").push(quote);
                }
            }
            // Refused while its replica was down: wait a little, as a person would.
            _ => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// A Highlights process.
struct Server {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start(url: &str, slack: &FakeSlack) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        drop(listener);
        Self::spawn(url, slack, addr).await
    }

    async fn spawn(url: &str, slack: &FakeSlack, addr: SocketAddr) -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let mut command = Command::new(common::server_binary());
        common::serve(&mut command, dir.path(), url, &slack.api_url(), &addr.to_string());
        let child = command
            .env("HIGHLIGHTS_PRODUCT_CHANNEL", CHANNEL)
            .env("RUST_LOG", "error")
            .spawn()
            .expect("start highlights");
        let http = reqwest::Client::new();
        let started = Instant::now();
        while !http.get(format!("http://{addr}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
            assert!(started.elapsed() < Duration::from_secs(30), "the server did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Self { child, addr, _dir: dir }
    }

    /// `kill -9`.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    async fn restart(&mut self, url: &str, slack: &FakeSlack) {
        *self = Self::spawn(url, slack, self.addr).await;
    }
}

/// The fake Slack, hostile: of `chat.postMessage` calls, 1% get 429
/// (Retry-After 1: the whole channel waits a second), 3% a 500, 0.5% never
/// answer, 0.5% post but never answer (each of those holds its batch of
/// posts for the app's 10 s timeout); 5% of `chat.update` and
/// `chat.getPermalink` calls get a 500. What was posted shows in the
/// channel's history, as on Slack.
async fn hostile_slack() -> FakeSlack {
    let slack = FakeSlack::start().await;
    slack.fail_at_random(
        "chat.postMessage",
        &[
            (0.01, Fault::RateLimited { retry_after_secs: 1 }),
            (0.03, Fault::Status(500)),
            (0.005, Fault::Hang),
            (0.005, Fault::LostAnswer),
        ],
    );
    for method in ["chat.update", "chat.getPermalink"] {
        slack.fail_at_random(method, &[(0.05, Fault::Status(500))]);
    }
    slack
}

/// Quotes of the thread replies and customers of the thread parents posted
/// in the product channel.
fn posted(slack: &FakeSlack) -> (Vec<String>, Vec<String>) {
    let mut replies = Vec::new();
    let mut parents = Vec::new();
    for m in slack.messages_in(CHANNEL) {
        let text = m["text"].as_str().unwrap_or_default();
        if m["thread_ts"].is_null() {
            parents.push(text.split(':').next().unwrap_or_default().to_owned());
        } else if let Some(start) = text.find("soak quote ") {
            let quote: String = text[start..].chars().take_while(|c| *c != '”').collect();
            replies.push(quote);
        }
    }
    (replies, parents)
}
