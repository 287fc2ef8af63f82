//! A fake of Slack's Web API on loopback, the one stand-in for Slack that the
//! tests and every bench run against. It answers like Slack (shapes taken
//! from the fixtures in `tests/fixtures/slack-api`), checks the bot token and
//! the Block Kit it is sent, records every call for assertions, and fails on
//! command: 429 with `Retry-After`, 5xx, an `ok:false` error, or a hang, for
//! the next calls of a method ([`FakeSlack::fail_next`]) or for a share of
//! them at random ([`FakeSlack::fail_at_random`], the soak's hostile Slack).
//! It also plays the `response_url` endpoints and Socket Mode.
//!
//! Shared as a source module: `tests/it/support/mod.rs` and
//! `benches/common/mod.rs` both include this directory with `#[path]`, as
//! the load and soak benches already share `benches/common`. A crate of its
//! own would be a workspace member, and the deployment's image (which copies
//! `Cargo.toml`, `src/`, `migrations/` and `benches/`, not `tests/`) could
//! no longer read the manifest; a module needs no change outside `tests/`
//! and `benches/`.
//!
//! The load bench posts thousands of messages a second through it: a call
//! costs one lock, one record and the lookups its method needs, never a copy
//! of the fake's state; [`FakeSlack::check_blocks`] turns off the Block Kit
//! check for a bench that measures the app, not its messages.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use axum::{Json, Router};
use serde_json::{json, Value};

pub mod block_kit;

/// The workspace the bot token belongs to (the tests' and the benches').
pub const TEAM: &str = "T0TEAM0001";

/// The bot token every test app and bench server is started with.
pub const BOT_TOKEN: &str = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy";

/// The OAuth client the fake knows (`oauth.v2.access` checks it).
/// The app-level token the fake Slack knows (Socket Mode); any other `xapp-`
/// token is refused with `invalid_auth`, as Slack refuses a revoked one.
pub const APP_TOKEN: &str = "xapp-1-A0APP00001-1234-abcdef";
pub const CLIENT_ID: &str = "1234567890.1234567890";
pub const CLIENT_SECRET: &str = "c0ffee0c0ffee0c0ffee0c0ffee0c0ff";

/// One request the app made.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Call {
    /// The Web API method, e.g. `chat.postMessage`, or `response_url` for those.
    pub method: String,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
    /// The arguments: the JSON body, or the query string / form as an object.
    pub args: Value,
    /// Whether the fake answered `ok: true`.
    pub ok: bool,
    /// When it arrived, in unix milliseconds.
    pub at_ms: i64,
}

/// Now, in unix milliseconds (as [`Call::at_ms`] records it).
pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// A failure to answer with instead of the normal response.
#[derive(Debug, Clone)]
pub enum Fault {
    /// HTTP 429 with `Retry-After` (seconds) and Slack's `ratelimited` body.
    RateLimited { retry_after_secs: u64 },
    /// An HTTP status such as 500 or 503.
    Status(u16),
    /// HTTP 200 with `{"ok":false,"error":code}`.
    Error(&'static str),
    /// Never answers (the app must time out).
    Hang,
    /// HTTP 200 with `{"ok":true}` and nothing else: done, but unreadable.
    Unreadable,
    /// Done (a post is in the channel), but the answer never comes: Slack
    /// answered after the app's timeout, or the connection died on the way back.
    LostAnswer,
    /// Answers normally, but only once the test releases the hold.
    Held(Hold),
    /// Takes effect (a post lands in the channel) this long after the call,
    /// and the answer never comes: Slack made the post after the app's
    /// timeout.
    Late(Duration),
}

impl Fault {
    /// A short name for what the fake did, as [`FakeSlack::faults_served`] counts it.
    fn label(&self) -> String {
        match self {
            Fault::RateLimited { .. } => "429".into(),
            Fault::Status(code) => code.to_string(),
            Fault::Error(code) => format!("ok:false {code}"),
            Fault::Hang => "hang".into(),
            Fault::Unreadable => "unreadable".into(),
            Fault::LostAnswer => "done, answer lost".into(),
            Fault::Held(_) => "held".into(),
            Fault::Late(_) => "done late, answer lost".into(),
        }
    }
}

/// Holds calls until the test releases it (see [`Fault::Held`]).
#[derive(Debug, Clone)]
pub struct Hold(Arc<tokio::sync::watch::Sender<bool>>);

impl Hold {
    /// A hold not yet released.
    pub fn new() -> Self {
        Self(Arc::new(tokio::sync::watch::channel(false).0))
    }

    /// Lets every held call (and any later one) answer.
    pub fn release(&self) {
        self.0.send_replace(true);
    }

    async fn released(&self) {
        let _ = self.0.subscribe().wait_for(|released| *released).await;
    }
}

#[derive(Default)]
struct Inner {
    calls: Vec<Call>,
    socket_acks: Vec<Value>,
    socket_url: String,
    admins: Vec<String>,
    bots: Vec<String>,
    deactivated: Vec<String>,
    emails: HashMap<String, String>,
    faults: HashMap<String, VecDeque<Fault>>,
    /// Faults served to a share of a method's calls: each with its share.
    random_faults: HashMap<String, Vec<(f64, Fault)>>,
    /// The generator the shares are drawn from (xorshift: the same run every time).
    dice: u64,
    /// How many calls of each method got each fault, by "method fault".
    served: BTreeMap<String, u64>,
    /// Off: messages and views are not checked (see [`FakeSlack::check_blocks`]).
    unchecked_blocks: bool,
    next_ts: u64,
    /// Messages posted, as `conversations.history` / `.replies` show them.
    messages: Vec<Kept>,
    /// Bot tokens Slack accepts, and the team of each.
    tokens: HashMap<String, String>,
    /// OAuth codes not exchanged yet: what `oauth.v2.access` answers for each.
    codes: HashMap<String, Value>,
    /// Sign in with Slack: codes not exchanged yet, each with its nonce,
    /// team and person; then the user tokens `openid.connect.token` gave.
    sign_ins: HashMap<String, (String, String, String)>,
    user_tokens: HashMap<String, (String, String)>,
    /// The scopes every token was granted (Slack's `x-oauth-scopes` header):
    /// the manifest's, unless a test says otherwise.
    scopes: String,
    /// Channels the bot is not in, and channels that do not exist.
    outside: Vec<String>,
    gone: Vec<String>,
}

/// The bot scopes `manifest.yml` asks for, comma-separated.
fn manifest_scopes() -> String {
    let manifest: Value = serde_yaml::from_str(include_str!("../../../manifest.yml")).expect("manifest.yml is YAML");
    let scopes = manifest["oauth_config"]["scopes"]["bot"].as_array().expect("bot scopes");
    scopes.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(",")
}

/// A message in a channel, with where it is read out once: finding one
/// among the tens of thousands the load bench posts compares strings, not
/// lookups in each message's JSON.
struct Kept {
    channel: Option<String>,
    ts: Option<String>,
    thread_ts: Option<String>,
    message: Value,
}

impl Kept {
    fn new(message: Value) -> Self {
        let field = |name: &str| message[name].as_str().map(str::to_owned);
        Self { channel: field("channel"), ts: field("ts"), thread_ts: field("thread_ts"), message }
    }

    /// Whether it is the message `ts` of `channel` (either null: this one's too).
    fn is_at(&self, channel: &Value, ts: &Value) -> bool {
        let same = |kept: &Option<String>, asked: &Value| match asked {
            Value::Null => kept.is_none(),
            asked => kept.as_deref().is_some_and(|kept| asked == kept),
        };
        same(&self.channel, channel) && same(&self.ts, ts)
    }
}

/// The running fake.
#[derive(Clone)]
pub struct FakeSlack {
    addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    envelopes: tokio::sync::mpsc::UnboundedSender<Value>,
}

/// What the Socket Mode side of the fake shares between its connections.
#[derive(Clone)]
struct SocketSide {
    inner: Arc<Mutex<Inner>>,
    queue: Arc<tokio::sync::Mutex<tokio::sync::mpsc::UnboundedReceiver<Value>>>,
}

impl FakeSlack {
    /// Starts the fake on a random loopback port.
    pub async fn start() -> Self {
        let tokens = HashMap::from([(BOT_TOKEN.to_owned(), TEAM.to_owned())]);
        let inner = Arc::new(Mutex::new(Inner {
            next_ts: 1_700_000_000_000_100,
            tokens,
            scopes: manifest_scopes(),
            dice: 0x2545_f491_4f6c_dd1d,
            ..Inner::default()
        }));
        let (envelopes, queue) = tokio::sync::mpsc::unbounded_channel();
        let socket = SocketSide { inner: inner.clone(), queue: Arc::new(tokio::sync::Mutex::new(queue)) };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind fake Slack");
        let addr = listener.local_addr().expect("address");
        let router = Router::new()
            .route("/api/{method}", any(api_call))
            .route("/response/{id}", post(response_url))
            .with_state(inner.clone())
            .merge(Router::new().route("/link", axum::routing::get(socket_link)).with_state(socket));
        inner.lock().expect("lock").socket_url = format!("ws://{addr}/link");
        tokio::spawn(async move {
            axum::serve(listener, router).await.expect("fake Slack serves");
        });
        Self { addr, inner, envelopes }
    }

    /// The base URL to give the app as `SLACK_API_URL`.
    pub fn api_url(&self) -> String {
        format!("http://{}/api", self.addr)
    }

    /// A fresh `response_url` that records what is posted to it.
    pub fn response_url(&self, id: &str) -> String {
        format!("http://{}/response/{id}", self.addr)
    }

    /// Makes the next `times` calls of `method` fail with `fault`.
    pub fn fail_next(&self, method: &str, fault: Fault, times: usize) {
        let mut inner = self.inner.lock().expect("lock");
        let queue = inner.faults.entry(method.to_owned()).or_default();
        for _ in 0..times {
            queue.push_back(fault.clone());
        }
    }

    /// Makes a share of the calls of `method` fail from now on: each call
    /// draws a number in [0, 1) and gets the first fault whose share, added
    /// to those before it, is above the number; the others answer normally.
    /// Faults queued by [`Self::fail_next`] come first.
    pub fn fail_at_random(&self, method: &str, shares: &[(f64, Fault)]) {
        self.inner.lock().expect("lock").random_faults.insert(method.to_owned(), shares.to_vec());
    }

    /// How many calls got each fault so far, by method and fault, e.g.
    /// `chat.postMessage 429`.
    pub fn faults_served(&self) -> BTreeMap<String, u64> {
        self.inner.lock().expect("lock").served.clone()
    }

    /// Turns the Block Kit check of messages and views on (as it starts) or
    /// off. The load bench turns it off: parsing every block of thousands of
    /// posts a second is the fake's work, not the app's.
    pub fn check_blocks(&self, on: bool) {
        self.inner.lock().expect("lock").unchecked_blocks = !on;
    }

    /// How many calls were made so far, `response_url` posts included.
    pub fn call_count(&self) -> usize {
        self.inner.lock().expect("lock").calls.len()
    }

    /// Delivers a Socket Mode envelope to one of the app's connections.
    pub fn socket_send(&self, envelope: Value) {
        self.envelopes.send(envelope).expect("socket queue");
    }

    /// Waits (up to ten seconds) for the app's acknowledgement of an envelope.
    pub async fn socket_ack(&self, envelope_id: &str) -> Value {
        let find =
            || self.inner.lock().expect("lock").socket_acks.iter().find(|a| a["envelope_id"] == envelope_id).cloned();
        eventually(&format!("the acknowledgement of {envelope_id}"), || std::future::ready(find().is_some())).await;
        find().unwrap_or_default()
    }

    /// A message someone (not the app) posted in `channel`, as the history shows it.
    pub fn add_message(&self, channel: &str, ts: &str, text: &str) {
        self.inner.lock().expect("lock").messages.push(Kept::new(json!({
            "type": "message", "channel": channel, "ts": ts, "thread_ts": null, "text": text, "user": "U0CUSTOMR1",
            "metadata": null,
        })));
    }

    /// Makes `users.info` say this user is a workspace admin.
    pub fn make_admin(&self, user: &str) {
        self.inner.lock().expect("lock").admins.push(user.to_owned());
    }

    /// Makes `users.info` say this user is a bot.
    pub fn make_bot(&self, user: &str) {
        self.inner.lock().expect("lock").bots.push(user.to_owned());
    }

    /// Makes `users.info` say this user was deactivated.
    pub fn deactivate(&self, user: &str) {
        self.inner.lock().expect("lock").deactivated.push(user.to_owned());
    }

    /// Makes `users.lookupByEmail` find this user.
    pub fn add_email(&self, email: &str, user: &str) {
        self.inner.lock().expect("lock").emails.insert(email.to_owned(), user.to_owned());
    }

    /// Prepares an OAuth install: exchanging `code` (once) grants `token`
    /// for `team`, which Slack then accepts. Returns the code.
    pub fn grant(&self, code: &str, team: &str, token: &str) -> String {
        let mut answer = fixture("oauth.v2.access").expect("fixture");
        answer["access_token"] = json!(token);
        answer["team"] = json!({ "id": team, "name": format!("Team {team}") });
        self.inner.lock().expect("lock").codes.insert(code.to_owned(), answer);
        code.to_owned()
    }

    /// Prepares a Sign in with Slack: the person `user` of `team` approved
    /// in Slack, which sends the browser back with `code`; exchanging it
    /// (once) with `openid.connect.token` gives an id token carrying `nonce`
    /// and a user token that `openid.connect.userInfo` answers for.
    pub fn approve_sign_in(&self, code: &str, nonce: &str, team: &str, user: &str) -> String {
        let sign_in = (nonce.to_owned(), team.to_owned(), user.to_owned());
        self.inner.lock().expect("lock").sign_ins.insert(code.to_owned(), sign_in);
        code.to_owned()
    }

    /// The same for an organisation-wide (Enterprise Grid) install.
    pub fn grant_org_wide(&self, code: &str, enterprise: &str, token: &str) -> String {
        let mut answer = fixture("oauth.v2.access").expect("fixture");
        answer["access_token"] = json!(token);
        answer["team"] = Value::Null;
        answer["enterprise"] = json!({ "id": enterprise, "name": "Org" });
        answer["is_enterprise_install"] = json!(true);
        self.inner.lock().expect("lock").codes.insert(code.to_owned(), answer);
        code.to_owned()
    }

    /// Makes every token's granted scopes these (comma-separated).
    pub fn grant_scopes(&self, scopes: &str) {
        self.inner.lock().expect("lock").scopes = scopes.to_owned();
    }

    /// Makes history reads in the channel say the bot is not in it.
    pub fn remove_bot(&self, channel: &str) {
        self.inner.lock().expect("lock").outside.push(channel.to_owned());
    }

    /// Makes calls about the channel say it does not exist.
    pub fn delete_channel(&self, channel: &str) {
        self.inner.lock().expect("lock").gone.push(channel.to_owned());
    }

    /// Makes Slack refuse a token from now on (revoked, uninstalled).
    pub fn revoke(&self, token: &str) {
        self.inner.lock().expect("lock").tokens.remove(token);
    }

    /// Forgets every fault not yet served.
    pub fn clear_faults(&self) {
        self.inner.lock().expect("lock").faults.clear();
    }

    /// Messages in a channel (top-level and replies), as posted, oldest first.
    pub fn messages_in(&self, channel: &str) -> Vec<Value> {
        let inner = self.inner.lock().expect("lock");
        inner.messages.iter().filter(|k| k.channel.as_deref() == Some(channel)).map(|k| k.message.clone()).collect()
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.inner.lock().expect("lock").calls.clone()
    }

    /// The calls of one method that Slack answered with `ok: true`.
    pub fn ok_calls_to(&self, method: &str) -> Vec<Call> {
        self.calls_to(method).into_iter().filter(|c| c.ok).collect()
    }

    /// Waits (up to ten seconds) until `method` has succeeded `n` times.
    pub async fn wait_for_ok_calls(&self, method: &str, n: usize) -> Vec<Call> {
        self.wait_until(n, || self.ok_calls_to(method), &format!("successful calls to {method}")).await
    }

    /// The calls of one method so far.
    pub fn calls_to(&self, method: &str) -> Vec<Call> {
        self.calls().into_iter().filter(|c| c.method == method).collect()
    }

    /// Waits (up to ten seconds) until `method` has been called `n` times.
    pub async fn wait_for_calls(&self, method: &str, n: usize) -> Vec<Call> {
        self.wait_until(n, || self.calls_to(method), &format!("calls to {method}")).await
    }

    async fn wait_until(&self, n: usize, calls: impl Fn() -> Vec<Call>, what: &str) -> Vec<Call> {
        eventually(&format!("{n} {what}"), || std::future::ready(calls().len() >= n)).await;
        calls()
    }
}

/// Waits until `done` says so, checking every 20 ms; panics after 10 s
/// (generous for a loaded CI machine: a passing test waits far less).
pub async fn eventually<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut checks = tokio::time::interval(Duration::from_millis(20));
    while !done().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        checks.tick().await;
    }
}

impl Inner {
    /// The fault the next call of `method` gets, if any: one queued by the
    /// test, or one drawn at random; counted.
    fn next_fault(&mut self, method: &str) -> Option<Fault> {
        let fault = match self.faults.get_mut(method).and_then(VecDeque::pop_front) {
            Some(fault) => Some(fault),
            None => self.draw_fault(method),
        };
        if let Some(fault) = &fault {
            *self.served.entry(format!("{method} {}", fault.label())).or_default() += 1;
        }
        fault
    }

    fn draw_fault(&mut self, method: &str) -> Option<Fault> {
        let shares = self.random_faults.get(method)?;
        self.dice ^= self.dice << 13;
        self.dice ^= self.dice >> 7;
        self.dice ^= self.dice << 17;
        let roll = (self.dice >> 11) as f64 / (1u64 << 53) as f64;
        let mut below = 0.0;
        shares
            .iter()
            .find(|(share, _)| {
                below += share;
                roll < below
            })
            .map(|(_, fault)| fault.clone())
    }

    /// What a call Slack carried out changes: a post shows in the channel,
    /// an update changes it, a delete removes it.
    fn take_effect(&mut self, method: &str, args: &Value, answer: &Value) {
        if answer["ok"] != true {
            return;
        }
        let same = |k: &Kept| k.is_at(&args["channel"], &args["ts"]);
        match method {
            "chat.postMessage" => self.messages.push(Kept::new(json!({
                "type": "message", "channel": conversation_of(&args["channel"]), "ts": answer["ts"], "thread_ts": args["thread_ts"],
                "text": args["text"], "bot_id": "B19LU7CSY", "metadata": args["metadata"], "blocks": args["blocks"],
            }))),
            "chat.delete" => self.messages.retain(|m| !same(m)),
            "chat.update" => {
                if let Some(k) = self.messages.iter_mut().find(|k| same(k)) {
                    k.message["text"] = args["text"].clone();
                    k.message["blocks"] = args["blocks"].clone();
                }
            }
            _ => {}
        }
    }
}

fn fixture(method: &str) -> Option<Value> {
    let text = match method {
        "auth.test" => include_str!("../../fixtures/slack-api/auth.test.ok.json"),
        "chat.getPermalink" => include_str!("../../fixtures/slack-api/chat.getPermalink.ok.json"),
        "views.open" => include_str!("../../fixtures/slack-api/views.open.ok.json"),
        "views.publish" => include_str!("../../fixtures/slack-api/views.publish.ok.json"),
        "views.update" => include_str!("../../fixtures/slack-api/views.update.ok.json"),
        "conversations.join" => include_str!("../../fixtures/slack-api/conversations.join.ok.json"),
        "conversations.info" => include_str!("../../fixtures/slack-api/conversations.info.ok.json"),
        "users.info" => include_str!("../../fixtures/slack-api/users.info.ok.json"),
        "chat.postMessage" => include_str!("../../fixtures/slack-api/chat.postMessage.ok.json"),
        "chat.update" => include_str!("../../fixtures/slack-api/chat.update.ok.json"),
        "oauth.v2.access" => include_str!("../../fixtures/slack-api/oauth.v2.access.ok.json"),
        "openid.connect.token" => include_str!("../../fixtures/slack-api/openid.connect.token.ok.json"),
        "openid.connect.userInfo" => include_str!("../../fixtures/slack-api/openid.connect.userInfo.ok.json"),
        _ => return None,
    };
    Some(serde_json::from_str(text).expect("fixture is JSON"))
}

/// `oauth.v2.access`: the client's credentials (HTTP Basic auth or form
/// fields), a known code (good once), and a `redirect_uri`, as Slack checks.
fn exchange_code(inner: &Mutex<Inner>, headers: &HeaderMap, args: &Value) -> Value {
    if let Some(refusal) = check_client(headers, args) {
        return refusal;
    }
    let code = args["code"].as_str().unwrap_or_default();
    match inner.lock().expect("lock").codes.remove(code) {
        Some(answer) => answer,
        None => json!({ "ok": false, "error": "invalid_code" }),
    }
}

/// The client's credentials and a `redirect_uri`, as Slack checks them on
/// `oauth.v2.access` and `openid.connect.token`; the refusal if wrong.
fn check_client(headers: &HeaderMap, args: &Value) -> Option<Value> {
    use base64::Engine as _;
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| base64::engine::general_purpose::STANDARD.decode(v).ok())
        .and_then(|v| String::from_utf8(v).ok());
    let form = match (args["client_id"].as_str(), args["client_secret"].as_str()) {
        (Some(id), Some(secret)) => Some(format!("{id}:{secret}")),
        _ => None,
    };
    if basic.or(form).as_deref() != Some(format!("{CLIENT_ID}:{CLIENT_SECRET}").as_str()) {
        return Some(json!({ "ok": false, "error": "invalid_client_id" }));
    }
    if args["redirect_uri"].as_str().is_none_or(str::is_empty) {
        return Some(json!({ "ok": false, "error": "bad_redirect_uri" }));
    }
    None
}

/// `openid.connect.token` and `openid.connect.userInfo`, as Slack answers
/// them (Sign in with Slack).
fn open_id(inner: &Mutex<Inner>, method: &str, headers: &HeaderMap, args: &Value) -> Value {
    use base64::Engine as _;
    let encode = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let mut inner = inner.lock().expect("lock");
    if method == "openid.connect.token" {
        if let Some(refusal) = check_client(headers, args) {
            return refusal;
        }
        let code = args["code"].as_str().unwrap_or_default();
        let Some((nonce, team, user)) = inner.sign_ins.remove(code) else {
            return json!({ "ok": false, "error": "invalid_code" });
        };
        let mut answer = fixture(method).expect("fixture");
        let token = format!("xoxp-{team}-{user}-{code}");
        let claims = json!({ "iss": "https://slack.com", "sub": user, "aud": CLIENT_ID, "nonce": nonce,
                             "https://slack.com/team_id": team, "https://slack.com/user_id": user });
        let header = json!({ "alg": "RS256", "kid": "mB2MAyKSn555isd0EbdhKx6nkyAi9xLq8rvCEb_nOyY" });
        answer["access_token"] = json!(token);
        answer["id_token"] = json!(format!("{}.{}.c2lnbmF0dXJl", encode(&header), encode(&claims)));
        inner.user_tokens.insert(token, (team, user));
        return answer;
    }
    let bearer = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let Some((team, user)) = bearer.and_then(|token| inner.user_tokens.get(token)).cloned() else {
        return json!({ "ok": false, "error": "invalid_auth" });
    };
    let mut answer = fixture(method).expect("fixture");
    answer["sub"] = json!(user);
    answer["https://slack.com/user_id"] = json!(user);
    answer["https://slack.com/team_id"] = json!(team);
    answer
}

fn args_of(headers: &HeaderMap, query: Option<String>, body: &Bytes) -> Value {
    let is_json =
        headers.get("content-type").and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return serde_json::from_slice(body).unwrap_or(Value::Null);
    }
    let text = if body.is_empty() { query.unwrap_or_default() } else { String::from_utf8_lossy(body).into_owned() };
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&text).unwrap_or_default();
    Value::Object(pairs.into_iter().map(|(k, v)| (k, Value::String(v))).collect())
}

async fn api_call(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(method): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let args = args_of(&headers, query, &body);
    // Recorded on arrival (a hung call is a call too), marked ok once
    // answered; the normal answer is made on arrival too, from what the fake
    // knows then, and given (or not) once the fault has played out. The
    // Block Kit check runs outside the lock: calls arriving together are
    // recorded when they arrive, not one check after another.
    let (fault, index, ts, check_blocks) = {
        let mut inner = inner.lock().expect("lock");
        inner.next_ts += 1;
        let fault = inner.next_fault(&method);
        inner.calls.push(Call {
            method: method.clone(),
            authorization: authorization.clone(),
            args: args.clone(),
            ok: false,
            at_ms: now_ms(),
        });
        (fault, inner.calls.len() - 1, inner.next_ts, !inner.unchecked_blocks)
    };
    let blocks = if check_blocks { block_kit::validate(&method, &args) } else { Ok(()) };
    let normal = answer(&inner.lock().expect("lock"), &method, authorization.as_deref(), &args, ts, blocks);
    let (response, answer) = if method == "oauth.v2.access" {
        let answer = exchange_code(&inner, &headers, &args);
        if answer["ok"] == true {
            let (token, team) = (answer["access_token"].as_str(), answer["team"]["id"].as_str());
            if let (Some(token), Some(team)) = (token, team) {
                inner.lock().expect("lock").tokens.insert(token.to_owned(), team.to_owned());
            }
        }
        reply(answer)
    } else if method.starts_with("openid.connect.") && fault.is_none() {
        reply(open_id(&inner, &method, &headers, &args))
    } else if method == "apps.connections.open" {
        // Opened with the app-level token, not the bot token.
        let url = inner.lock().expect("lock").socket_url.clone();
        if authorization.as_deref() == Some(&format!("Bearer {APP_TOKEN}")) {
            reply(json!({ "ok": true, "url": url }))
        } else if authorization.as_deref().is_some_and(|a| a.starts_with("Bearer xapp-")) {
            reply(json!({ "ok": false, "error": "invalid_auth" }))
        } else {
            reply(json!({ "ok": false, "error": "not_allowed_token_type" }))
        }
    } else if let Some(Fault::Late(delay)) = fault {
        // Done later, on a task of its own: the app hangs up meanwhile.
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let mut inner = inner.lock().expect("lock");
            inner.take_effect(&method, &args, &normal);
            inner.calls[index].ok = normal["ok"] == true;
        });
        return std::future::pending().await;
    } else {
        let lost = matches!(fault, Some(Fault::LostAnswer));
        let faulted = match fault {
            Some(fault) => answer_faulted(fault).await,
            None => None,
        };
        let (response, answer) = faulted.unwrap_or_else(|| reply(normal));
        inner.lock().expect("lock").take_effect(&method, &args, &answer);
        if lost {
            return std::future::pending().await;
        }
        (response, answer)
    };
    let mut response = response;
    let scopes = {
        let mut inner = inner.lock().expect("lock");
        inner.calls[index].ok = answer.get("ok") == Some(&Value::Bool(true));
        inner.scopes.clone()
    };
    // Slack names the token's scopes on every Web API answer.
    if method != "oauth.v2.access" && !method.starts_with("openid.connect.") {
        if let Ok(value) = scopes.parse() {
            response.headers_mut().insert("x-oauth-scopes", value);
        }
    }
    response
}

/// The answer a fault makes instead of the normal one, once it has played
/// out; None when the normal answer follows (a held call, released).
async fn answer_faulted(fault: Fault) -> Option<(Response, Value)> {
    match fault {
        Fault::RateLimited { retry_after_secs } => {
            let body: Value = serde_json::from_str(include_str!("../../fixtures/slack-api/ratelimited.429.json"))
                .expect("fixture is JSON");
            let response =
                (StatusCode::TOO_MANY_REQUESTS, [("retry-after", retry_after_secs.to_string())], Json(body.clone()));
            Some((response.into_response(), body))
        }
        Fault::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Some(((status, "upstream error").into_response(), Value::Null))
        }
        Fault::Error(code) => Some(reply(json!({ "ok": false, "error": code }))),
        Fault::Unreadable => Some(reply(json!({ "ok": true }))),
        // Never answers: the app's own timeout must end the call.
        Fault::Hang => std::future::pending().await,
        Fault::Held(hold) => {
            hold.released().await;
            None
        }
        // Taken off by the caller, which answers normally and then never.
        Fault::LostAnswer | Fault::Late(_) => None,
    }
}

/// Slack's answer to a call of `method` that goes through, from what the
/// fake knows; `blocks` is the Block Kit check's verdict on its arguments.
fn answer(
    inner: &Inner,
    method: &str,
    authorization: Option<&str>,
    args: &Value,
    ts: u64,
    blocks: Result<(), String>,
) -> Value {
    let token = authorization.and_then(|a| a.strip_prefix("Bearer ")).unwrap_or_default();
    let Some(team) = inner.tokens.get(token) else {
        return json!({ "ok": false, "error": "invalid_auth" });
    };
    if let Err(problem) = blocks {
        return json!({ "ok": false, "error": "invalid_blocks", "detail": problem });
    }
    let ts = format!("{}.{:06}", ts / 1_000_000, ts % 1_000_000);
    let answer = match method {
        "chat.postMessage" | "chat.update" => {
            let mut answer = fixture(method).expect("fixture");
            let channel = args.get("channel").cloned().unwrap_or(Value::Null);
            let ts = if method == "chat.update" { args.get("ts").cloned().unwrap_or(Value::Null) } else { json!(ts) };
            answer["channel"] = channel;
            answer["ts"] = ts.clone();
            answer["message"] = json!({
                "type": "message", "text": args.get("text").cloned().unwrap_or_default(),
                "ts": ts, "bot_id": "B19LU7CSY",
            });
            answer
        }
        "chat.delete" => match inner.messages.iter().any(|k| k.is_at(&args["channel"], &args["ts"])) {
            true => json!({ "ok": true, "channel": args["channel"], "ts": args["ts"] }),
            false => json!({ "ok": false, "error": "message_not_found" }),
        },
        "users.info" => {
            let user = args.get("user").and_then(Value::as_str).unwrap_or("U0");
            inner.user_info(user)
        }
        "users.list" => {
            // One page: the admins made so, and one member who is not.
            let mut members: Vec<Value> = inner.admins.iter().map(|u| inner.user_info(u)["user"].clone()).collect();
            members.push(inner.user_info("U0MEMBER01")["user"].clone());
            json!({ "ok": true, "members": members, "response_metadata": { "next_cursor": "" } })
        }
        "users.lookupByEmail" => {
            let email = args.get("email").and_then(Value::as_str).unwrap_or_default();
            match inner.emails.get(email) {
                Some(user) => inner.user_info(user),
                None => json!({ "ok": false, "error": "users_not_found" }),
            }
        }
        "conversations.history" | "conversations.replies"
            if inner.gone.iter().any(|c| args["channel"] == c.as_str()) =>
        {
            json!({ "ok": false, "error": "channel_not_found" })
        }
        "conversations.history" | "conversations.replies"
            if inner.outside.iter().any(|c| args["channel"] == c.as_str()) =>
        {
            json!({ "ok": false, "error": "not_in_channel" })
        }
        "conversations.history" | "conversations.replies" => {
            let channel = args["channel"].as_str().unwrap_or_default();
            let thread = args["ts"].as_str();
            let with_metadata = args["include_all_metadata"] == "true";
            let mut found: Vec<Value> = inner
                .messages
                .iter()
                .filter(|k| k.channel.as_deref() == Some(channel))
                .filter(|k| match thread {
                    Some(ts) => k.ts.as_deref() == Some(ts) || k.thread_ts.as_deref() == Some(ts),
                    None => k.message["thread_ts"].is_null(),
                })
                .map(|k| {
                    let mut m = k.message.clone();
                    let fields = m.as_object_mut().expect("object");
                    fields.remove("channel");
                    if !with_metadata || fields["metadata"].is_null() {
                        fields.remove("metadata");
                    }
                    if fields["thread_ts"].is_null() {
                        fields.remove("thread_ts");
                    }
                    m
                })
                .collect();
            let mut limit = args["limit"].as_str().and_then(|l| l.parse::<usize>().ok());
            if method == "conversations.history" {
                found.reverse();
                // Newest first, up to `latest` (inclusive or not). `oldest` is
                // not applied: the fake's ts count from 2023, before the
                // horizon of any app clock.
                if let Some(latest) = args["latest"].as_str() {
                    let inclusive = args["inclusive"] == "true" || args["inclusive"] == true;
                    found.retain(|m| {
                        let ts = m["ts"].as_str().unwrap_or_default();
                        ts < latest || (inclusive && ts == latest)
                    });
                }
                // Slack's page: 100 by default, 999 at most.
                limit = Some(limit.unwrap_or(100).min(999));
            }
            // Pages like Slack's: an opaque cursor where the next page starts.
            let start = match args["cursor"].as_str().filter(|c| !c.is_empty()) {
                Some(cursor) => match cursor.strip_prefix("page:").and_then(|n| n.parse::<usize>().ok()) {
                    Some(start) => start,
                    None => return json!({ "ok": false, "error": "invalid_cursor" }),
                },
                None => 0,
            };
            let rest: Vec<Value> = found.into_iter().skip(start).collect();
            let take = limit.unwrap_or(rest.len()).max(1);
            let has_more = rest.len() > take;
            let page: Vec<Value> = rest.into_iter().take(take).collect();
            let next_cursor = if has_more { format!("page:{}", start + take) } else { String::new() };
            json!({ "ok": true, "messages": page, "has_more": has_more,
                    "response_metadata": { "next_cursor": next_cursor } })
        }
        // The app's conversation with a person.
        "conversations.open" => {
            // A comma-separated list (form) or an array (JSON).
            let users = args["users"].as_str().or_else(|| args["users"][0].as_str()).unwrap_or_default();
            json!({ "ok": true, "channel": { "id": conversation_of(&json!(users)) } })
        }
        // The bot token belongs to the test workspace (Slack's sample names another).
        "auth.test" => {
            let mut answer = fixture(method).expect("fixture");
            answer["team_id"] = json!(team);
            answer
        }
        // Slack's shape: a thread reply's link names its thread and channel.
        "chat.getPermalink" => {
            let channel = args.get("channel").and_then(Value::as_str).unwrap_or("C0");
            let message_ts = args.get("message_ts").and_then(Value::as_str).unwrap_or("0");
            let mut permalink = format!("https://acme.slack.com/archives/{channel}/p{}", message_ts.replace('.', ""));
            let thread = inner
                .messages
                .iter()
                .find(|k| k.channel.as_deref() == Some(channel) && k.ts.as_deref() == Some(message_ts));
            if let Some(parent) = thread.and_then(|k| k.thread_ts.as_deref()).filter(|parent| *parent != message_ts) {
                permalink.push_str(&format!("?thread_ts={parent}&cid={channel}"));
            }
            json!({ "ok": true, "channel": channel, "permalink": permalink })
        }
        other => match fixture(other) {
            Some(answer) => answer,
            None => json!({ "ok": false, "error": "unknown_method" }),
        },
    };
    answer
}

impl Inner {
    /// The fixture's user, as the user asked about; admin, bot or deactivated
    /// only when made so.
    fn user_info(&self, user: &str) -> Value {
        let mut answer = fixture("users.info").expect("fixture");
        let has = |list: &[String]| list.iter().any(|u| u == user);
        answer["user"]["id"] = json!(user);
        answer["user"]["is_admin"] = json!(has(&self.admins));
        answer["user"]["is_owner"] = json!(false);
        answer["user"]["is_bot"] = json!(has(&self.bots));
        answer["user"]["deleted"] = json!(has(&self.deactivated));
        answer
    }
}

fn reply(answer: Value) -> (Response, Value) {
    (Json(answer.clone()).into_response(), answer)
}

/// A Socket Mode connection: says hello, then sends queued envelopes and
/// records every acknowledgement.
async fn socket_link(State(socket): State<SocketSide>, upgrade: axum::extract::ws::WebSocketUpgrade) -> Response {
    use axum::extract::ws::Message;
    upgrade.on_upgrade(move |mut ws| async move {
        let hello = json!({ "type": "hello", "num_connections": 1,
                            "connection_info": { "app_id": "A0APP00001" },
                            "debug_info": { "host": "fake-slack", "approximate_connection_time": 18060 } });
        if ws.send(Message::Text(hello.to_string().into())).await.is_err() {
            return;
        }
        loop {
            let mut queue = socket.queue.lock().await;
            tokio::select! {
                envelope = queue.recv() => {
                    drop(queue);
                    let Some(envelope) = envelope else { return };
                    if ws.send(Message::Text(envelope.to_string().into())).await.is_err() {
                        return;
                    }
                }
                frame = ws.recv() => {
                    drop(queue);
                    match frame {
                        Some(Ok(Message::Text(text))) => {
                            if let Ok(ack) = serde_json::from_str::<Value>(&text) {
                                socket.inner.lock().expect("lock").socket_acks.push(ack);
                            }
                        }
                        Some(Ok(_)) => {}
                        _ => return,
                    }
                }
            }
        }
    })
}

async fn response_url(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let args = args_of(&headers, None, &body);
    let mut inner = inner.lock().expect("lock");
    inner.calls.push(Call {
        method: "response_url".into(),
        authorization: None,
        args: json!({ "id": id, "body": args }),
        ok: true,
        at_ms: now_ms(),
    });
    (StatusCode::OK, "ok").into_response()
}

/// Where a message posted to `channel` lands: a post to a user id goes into
/// the app's conversation with them (`D` and the user id's rest), as on Slack.
fn conversation_of(channel: &Value) -> Value {
    match channel.as_str().and_then(|c| c.strip_prefix('U')) {
        Some(rest) => json!(format!("D{rest}")),
        None => channel.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Calls `method` as the app does, with the bot token; the HTTP status
    /// and Slack's `ok` and `error`.
    async fn call(slack: &FakeSlack, method: &str, args: Value) -> (u16, Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/{method}", slack.api_url()))
            .bearer_auth(BOT_TOKEN)
            .json(&args)
            .send()
            .await
            .expect("the fake answers");
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        (status, json!({ "ok": body["ok"], "error": body["error"] }))
    }

    #[tokio::test]
    async fn faults_at_random_hit_about_their_share_of_one_method_and_are_counted() {
        let slack = FakeSlack::start().await;
        slack.fail_at_random("chat.update", &[(0.2, Fault::Status(500)), (0.3, Fault::Error("cant_update_message"))]);
        let update = json!({ "channel": "C1", "ts": "1.000001", "text": "t" });
        let mut seen: BTreeMap<String, u64> = BTreeMap::new();
        for _ in 0..500 {
            let (status, answer) = call(&slack, "chat.update", update.clone()).await;
            let what = match (status, answer["ok"].as_bool()) {
                (500, _) => "chat.update 500".to_owned(),
                (200, Some(false)) => format!("chat.update ok:false {}", answer["error"].as_str().unwrap_or_default()),
                (200, Some(true)) => "answered".to_owned(),
                other => panic!("unexpected answer {other:?}"),
            };
            *seen.entry(what).or_default() += 1;
        }
        let share = |what: &str| seen.get(what).copied().unwrap_or(0) as f64 / 500.0;
        assert!((0.12..0.28).contains(&share("chat.update 500")), "{seen:?}");
        assert!((0.2..0.4).contains(&share("chat.update ok:false cant_update_message")), "{seen:?}");
        seen.remove("answered");
        assert_eq!(slack.faults_served(), seen, "every fault served is counted");
        // Another method is not touched, and every call is counted.
        let post = json!({ "channel": "C1", "text": "hello" });
        for _ in 0..20 {
            assert_eq!(call(&slack, "chat.postMessage", post.clone()).await.1["ok"], true);
        }
        assert_eq!(slack.call_count(), 520);
    }

    #[tokio::test]
    async fn the_block_kit_check_can_be_turned_off() {
        let slack = FakeSlack::start().await;
        let bogus = json!({ "channel": "C1", "text": "t", "blocks": [{ "type": "bogus" }] });
        let (_, refused) = call(&slack, "chat.postMessage", bogus.clone()).await;
        assert_eq!(refused, json!({ "ok": false, "error": "invalid_blocks" }));
        slack.check_blocks(false);
        assert_eq!(call(&slack, "chat.postMessage", bogus.clone()).await.1["ok"], true);
        assert_eq!(slack.messages_in("C1").len(), 1, "only the unchecked post is in the channel");
        slack.check_blocks(true);
        assert_eq!(call(&slack, "chat.postMessage", bogus).await.1["error"], "invalid_blocks");
    }
}
