//! Soak: thousands of signed captures over loopback from several clients
//! while a hostile fake Slack answers 429s, 5xx, hangs and posts whose answer
//! never arrives, with a `kill -9` and restart in the middle. On SQLite (one
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

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use sqlx::Connection as _;

const TEAM: &str = "T0SOAK0001";
const SECRET: &str = "soak-signing-secret-0123456789";
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
            let url = fresh_database(&base).await;
            clean &= soak("PostgreSQL, two replicas", &url, 2, secs, clients).await;
        }
    });
    if !clean {
        eprintln!("soak: something acknowledged was lost, or posted twice");
        std::process::exit(1);
    }
}

async fn fresh_database(base: &str) -> String {
    let mut admin = sqlx::PgConnection::connect(base).await.expect("connect to PostgreSQL");
    sqlx::query("drop database if exists highlights_soak with (force)").execute(&mut admin).await.expect("drop");
    sqlx::query("create database highlights_soak").execute(&mut admin).await.expect("create");
    let mut url = url::Url::parse(base).expect("url");
    url.set_path("/highlights_soak");
    url.to_string()
}

/// One run; true when nothing acknowledged was lost and nothing was posted twice.
async fn soak(label: &str, url: &str, replicas: usize, secs: u64, clients: usize) -> bool {
    let slack = HostileSlack::start().await;
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
    let (replies, parents) = slack.posted();
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
    let faults = slack.faults();
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
        let body = serde_urlencoded::to_string([
            ("team_id", TEAM),
            ("user_id", "U0SOAK0001"),
            ("channel_id", "C0SOAKIN01"),
            ("command", "/highlight"),
            ("text", text.as_str()),
            ("response_url", "http://127.0.0.1:9/response"),
            ("trigger_id", "1.2.3"),
        ])
        .expect("form");
        let ts = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let signature = highlights::slack::verify::sign(SECRET, &ts.to_string(), body.as_bytes());
        let addr = addrs[n as usize % addrs.len()];
        sent.fetch_add(1, Ordering::Relaxed);
        let answer = http
            .post(format!("http://{addr}/slack/commands"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-slack-request-timestamp", ts.to_string())
            .header("x-slack-signature", signature)
            .body(body)
            .send()
            .await;
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
    async fn start(url: &str, slack: &HostileSlack) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        drop(listener);
        Self::spawn(url, slack, addr).await
    }

    async fn spawn(url: &str, slack: &HostileSlack, addr: SocketAddr) -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let mut command = Command::new(common::server_binary());
        let (token, api_url) = ("xoxb-17653672481-19874698323-soaksoaksoak", format!("http://{}/api", slack.addr));
        common::serve(&mut command, dir.path(), url, SECRET, token, &api_url, &addr.to_string());
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

    async fn restart(&mut self, url: &str, slack: &HostileSlack) {
        *self = Self::spawn(url, slack, self.addr).await;
    }
}

/// A Slack that misbehaves: of `chat.postMessage` calls, 1% get 429
/// (Retry-After 1: the whole channel waits a second), 3% a 500, 0.5% never
/// answer, 0.5% post but never answer (each of those holds its batch of
/// posts for the app's 10 s timeout); 5%
/// of `chat.update` and `chat.getPermalink` calls get a 500. It keeps what was
/// posted, and answers `conversations.history` / `.replies` from it.
#[derive(Clone)]
struct HostileSlack {
    addr: SocketAddr,
    state: Arc<Mutex<Hostile>>,
}

#[derive(Default)]
struct Hostile {
    messages: Vec<Value>,
    faults: HashMap<&'static str, u64>,
    seed: u64,
    ts: u64,
}

impl Hostile {
    fn roll(&mut self) -> f64 {
        // xorshift: the same run every time.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        (self.seed % 10_000) as f64 / 10_000.0
    }
}

enum Misbehave {
    None,
    RateLimit,
    Fail,
    Hang,
    LoseAnswer,
}

impl HostileSlack {
    async fn start() -> Self {
        let state = Arc::new(Mutex::new(Hostile { seed: 0x2545_f491_4f6c_dd1d, ..Hostile::default() }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = axum::Router::new().route("/api/{method}", axum::routing::any(api)).with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, state }
    }

    /// Quotes of the thread replies and customers of the thread parents posted.
    fn posted(&self) -> (Vec<String>, Vec<String>) {
        let state = self.state.lock().expect("lock");
        let mut replies = Vec::new();
        let mut parents = Vec::new();
        for m in &state.messages {
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

    fn faults(&self) -> String {
        let state = self.state.lock().expect("lock");
        let mut faults: Vec<String> = state.faults.iter().map(|(k, v)| format!("{k} {v}")).collect();
        faults.sort();
        faults.join(", ")
    }
}

async fn api(
    State(state): State<Arc<Mutex<Hostile>>>,
    Path(method): Path<String>,
    RawQuery(query): RawQuery,
    body: axum::body::Bytes,
) -> Response {
    let args: Value = serde_json::from_slice(&body).unwrap_or_else(|_| {
        let text =
            if body.is_empty() { query.unwrap_or_default() } else { String::from_utf8_lossy(&body).into_owned() };
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&text).unwrap_or_default();
        Value::Object(pairs.into_iter().map(|(k, v)| (k, Value::String(v))).collect())
    });
    let misbehave = {
        let mut s = state.lock().expect("lock");
        let roll = s.roll();
        let chosen = match method.as_str() {
            "chat.postMessage" if roll < 0.01 => Misbehave::RateLimit,
            "chat.postMessage" if roll < 0.04 => Misbehave::Fail,
            "chat.postMessage" if roll < 0.045 => Misbehave::Hang,
            "chat.postMessage" if roll < 0.05 => Misbehave::LoseAnswer,
            "chat.update" | "chat.getPermalink" if roll < 0.05 => Misbehave::Fail,
            _ => Misbehave::None,
        };
        let name = match chosen {
            Misbehave::None => None,
            Misbehave::RateLimit => Some("429"),
            Misbehave::Fail => Some("500"),
            Misbehave::Hang => Some("hang"),
            Misbehave::LoseAnswer => Some("posted, answer lost"),
        };
        if let Some(name) = name {
            *s.faults.entry(name).or_default() += 1;
        }
        chosen
    };
    match misbehave {
        Misbehave::RateLimit => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", "1")],
                Json(json!({ "ok": false, "error": "ratelimited" })),
            )
                .into_response()
        }
        Misbehave::Fail => return (StatusCode::INTERNAL_SERVER_ERROR, "upstream error").into_response(),
        Misbehave::Hang => return std::future::pending().await,
        Misbehave::None | Misbehave::LoseAnswer => {}
    }
    let answer = {
        let mut s = state.lock().expect("lock");
        s.ts += 1;
        let ts = format!("1700000000.{:06}", s.ts);
        match method.as_str() {
            "auth.test" => {
                json!({ "ok": true, "team_id": TEAM, "team": "Soak", "user_id": "U0SOAKBOT", "user": "highlights",
                                   "url": "https://soak.slack.com/" })
            }
            "chat.postMessage" => {
                s.messages.push(
                    json!({ "type": "message", "ts": ts, "channel": args["channel"], "thread_ts": args["thread_ts"],
                                        "text": args["text"], "metadata": args["metadata"] }),
                );
                json!({ "ok": true, "channel": args["channel"], "ts": ts, "message": { "type": "message", "text": "", "ts": ts } })
            }
            "chat.update" => json!({ "ok": true, "channel": args["channel"], "ts": args["ts"],
                                     "message": { "text": args["text"] } }),
            // Slack's shape: a thread reply's link names its thread and channel.
            "chat.getPermalink" => {
                let channel = args["channel"].as_str().unwrap_or_default();
                let message_ts = args["message_ts"].as_str().unwrap_or_default();
                let mut permalink =
                    format!("https://soak.slack.com/archives/{channel}/p{}", message_ts.replace('.', ""));
                let posted = s.messages.iter().find(|m| m["channel"] == channel && m["ts"] == message_ts);
                if let Some(thread) = posted.and_then(|m| m["thread_ts"].as_str()) {
                    permalink.push_str(&format!("?thread_ts={thread}&cid={channel}"));
                }
                json!({ "ok": true, "channel": channel, "permalink": permalink })
            }
            "conversations.history" | "conversations.replies" => {
                let thread = args["ts"].as_str();
                let found: Vec<Value> = s
                    .messages
                    .iter()
                    .filter(|m| m["channel"] == args["channel"])
                    .filter(|m| match thread {
                        Some(ts) => m["ts"] == ts || m["thread_ts"] == ts,
                        None => m["thread_ts"].is_null(),
                    })
                    .cloned()
                    .collect();
                json!({ "ok": true, "messages": found, "has_more": false })
            }
            "users.info" => {
                json!({ "ok": true, "user": { "id": args["user"], "name": "soak", "real_name": "Soak Tester",
                                    "profile": { "display_name": "soak" }, "tz": "UTC" } })
            }
            _ => json!({ "ok": true }),
        }
    };
    if matches!(misbehave, Misbehave::LoseAnswer) {
        return std::future::pending().await;
    }
    Json(answer).into_response()
}
