//! The `highlights` binary as a user runs it: configuration mistakes stop it
//! with one clear line, a good configuration serves, SIGTERM stops it cleanly.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::fake_slack::{FakeSlack, BOT_TOKEN};
use crate::support::signer::SIGNING_SECRET;

fn highlights(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_highlights"));
    cmd.current_dir(dir).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd
}

fn refused(cmd: &mut Command) -> String {
    let out = cmd.stdin(Stdio::null()).output().expect("runs");
    assert!(!out.status.success(), "should refuse to start");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("RUST_BACKTRACE"), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line, got: {stderr}");
    lines[0].to_owned()
}

#[test]
fn missing_or_malformed_settings_stop_serve_with_one_line_naming_the_variable() {
    let dir = tempfile::tempdir().expect("dir");
    let line = refused(highlights(dir.path()).arg("serve"));
    assert!(line.starts_with("error: SLACK_SIGNING_SECRET is not set"), "{line}");

    let line =
        refused(highlights(dir.path()).arg("serve").env("SLACK_SIGNING_SECRET", "0123456789abcdef0123456789abcdef"));
    assert!(line.starts_with("error: SLACK_BOT_TOKEN is not set"), "{line}");

    let base = |c: &mut Command| {
        c.arg("serve").env("SLACK_SIGNING_SECRET", "super-secret-value").env("SLACK_BOT_TOKEN", "xoxb-secret-token");
    };
    let cases = [
        ("SLACK_BOT_TOKEN", "xoxp-a-user-token"),
        ("HIGHLIGHTS_LISTEN", "everywhere"),
        ("SLACK_API_URL", "slack.com/api"),
        ("HIGHLIGHTS_PRODUCT_CHANNEL", "#product"),
        ("HIGHLIGHTS_MANAGERS", "alice,bob"),
        ("DATABASE_URL", "mysql://localhost/x"),
        ("HIGHLIGHTS_LOG_FORMAT", "yaml"),
    ];
    for (var, value) in cases {
        let mut cmd = highlights(dir.path());
        base(&mut cmd);
        let line = refused(cmd.env(var, value));
        assert!(line.starts_with(&format!("error: {var} ")), "{var}: {line}");
        assert!(!line.contains("super-secret-value") && !line.contains("xoxb-secret-token"), "{line}");
    }
    // The README's placeholders, copied as written, and impossible values.
    let placeholders = [
        ("SLACK_SIGNING_SECRET", "…", "placeholder"),
        ("SLACK_SIGNING_SECRET", "abc123", "not a signing secret"),
        ("SLACK_BOT_TOKEN", "xoxb-…", "placeholder"),
        ("SLACK_BOT_TOKEN", "xoxb-your-bot-token", "placeholder"),
        ("SLACK_APP_TOKEN", "xapp-…", "placeholder"),
    ];
    let mut cmd = highlights(dir.path());
    base(&mut cmd);
    let line = refused(cmd.env("SLACK_CLIENT_ID", "1234567890.1234567890").env("SLACK_CLIENT_SECRET", "…"));
    assert!(line.starts_with("error: SLACK_CLIENT_SECRET looks like a placeholder"), "{line}");
    for (var, value, says) in placeholders {
        let mut cmd = highlights(dir.path());
        base(&mut cmd);
        let line = refused(
            cmd.arg("--socket-mode").env("SLACK_APP_TOKEN", crate::support::fake_slack::APP_TOKEN).env(var, value),
        );
        assert!(line.starts_with(&format!("error: {var} ")) && line.contains(says), "{var}={value}: {line}");
    }
    // Half an OAuth setup names the half that is missing.
    let mut cmd = highlights(dir.path());
    base(&mut cmd);
    let line = refused(cmd.env("SLACK_CLIENT_ID", "1.2"));
    assert!(line.starts_with("error: SLACK_CLIENT_SECRET is not set"), "{line}");
    let mut cmd = highlights(dir.path());
    base(&mut cmd);
    let line = refused(cmd.env("SLACK_CLIENT_SECRET", "an-oauth-secret"));
    assert!(line.starts_with("error: SLACK_CLIENT_ID is not set"), "{line}");
    assert!(!line.contains("an-oauth-secret"), "{line}");
}

#[tokio::test]
async fn with_oauth_it_serves_without_a_bot_token_and_logs_json_with_the_requests_team() {
    let dir = tempfile::tempdir().expect("dir");
    let slack = FakeSlack::start().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
    let key = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
    let child = highlights(dir.path())
        .arg("serve")
        .env("SLACK_SIGNING_SECRET", SIGNING_SECRET)
        .env("SLACK_CLIENT_ID", crate::support::fake_slack::CLIENT_ID)
        .env("SLACK_CLIENT_SECRET", crate::support::fake_slack::CLIENT_SECRET)
        .env("HIGHLIGHTS_TOKEN_KEY", key)
        .env("HIGHLIGHTS_PUBLIC_URL", "https://highlights.example.com")
        .env("HIGHLIGHTS_LOG_FORMAT", "json")
        .env("SLACK_API_URL", slack.api_url())
        .env("HIGHLIGHTS_LISTEN", format!("127.0.0.1:{port}"))
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let base = format!("http://127.0.0.1:{port}");
    crate::support::eventually("serve to answer /healthz", || async {
        client.get(format!("{base}/healthz")).send().await.is_ok_and(|resp| resp.status() == 200)
    })
    .await;
    let install = client.get(format!("{base}/slack/install")).send().await.expect("install");
    assert_eq!(install.status(), 302);
    // A signed command from a workspace that never installed: refused, and logged with its team.
    let body = include_str!("../fixtures/requests/slash_command.highlight.form.txt")
        .replace("team_id=T0TEAM0001", "team_id=T0NOTHERE01");
    let ts = crate::support::signer::now();
    let refused = client
        .post(format!("{base}/slack/commands"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", ts.to_string())
        .header("x-slack-signature", crate::support::signer::signature(SIGNING_SECRET, ts, body.as_bytes()))
        .body(body)
        .send()
        .await
        .map(|r| async { r.text().await.unwrap_or_default() });
    let refused = match refused {
        Ok(text) => text.await,
        Err(e) => e.to_string(),
    };
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    assert!(refused.contains("not installed"), "{refused}");
    assert!(slack.calls_to("auth.test").is_empty(), "no bot token to check");
    let out = child.wait_with_output().expect("output");
    let logs = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<serde_json::Value> =
        logs.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}"))).collect();
    assert!(lines.iter().all(|l| l["level"].is_string() && l["fields"].is_object()), "{logs}");
    let refusal = lines
        .iter()
        .find(|l| l["fields"]["message"].as_str().is_some_and(|m| m.contains("not installed in refused")))
        .expect("the refusal is logged");
    assert_eq!(refusal["span"]["team"], "T0NOTHERE01", "{refusal}");
    assert_eq!(refusal["span"]["route"], "/slack/commands", "{refusal}");
    for secret in [SIGNING_SECRET, crate::support::fake_slack::CLIENT_SECRET, key] {
        assert!(!logs.contains(secret), "a secret was logged: {logs}");
    }
}

#[test]
fn an_unreachable_database_is_one_clear_line() {
    let dir = tempfile::tempdir().expect("dir");
    let line = refused(
        highlights(dir.path())
            .args(["migrate"])
            .env("DATABASE_URL", "postgres://nobody:hunter2@127.0.0.1:1/highlights"),
    );
    assert!(line.contains("cannot connect to the database named by DATABASE_URL"), "{line}");
    assert!(!line.contains("hunter2"), "password leaked: {line}");
}

#[test]
fn migrate_creates_the_sqlite_file_by_default() {
    let dir = tempfile::tempdir().expect("dir");
    let out = highlights(dir.path()).arg("migrate").output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("highlights.db").exists());
    assert!(String::from_utf8_lossy(&out.stdout).contains("database is up to date"));
}

#[test]
fn a_dotenv_file_in_the_working_directory_is_read() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join(".env"),
        "SLACK_SIGNING_SECRET=from-dotenv-0123456789abcdef\nSLACK_BOT_TOKEN=not-a-bot-token\n",
    )
    .expect("write");
    let line = refused(highlights(dir.path()).arg("serve"));
    // The secret was found in .env; the token from .env was checked.
    assert!(line.starts_with("error: SLACK_BOT_TOKEN must be a bot token"), "{line}");
}

#[tokio::test]
async fn serve_with_two_settings_runs_on_sqlite_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("dir");
    let slack = FakeSlack::start().await;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
        l.local_addr().expect("addr").port()
    };
    let mut child = highlights(dir.path())
        .arg("serve")
        .env("SLACK_SIGNING_SECRET", SIGNING_SECRET)
        .env("SLACK_BOT_TOKEN", BOT_TOKEN)
        .env("SLACK_API_URL", slack.api_url())
        .env("HIGHLIGHTS_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "highlights=debug")
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let client = reqwest::Client::new();
    let health = format!("http://127.0.0.1:{port}/healthz");
    crate::support::eventually("serve to answer /healthz", || async {
        client.get(&health).send().await.is_ok_and(|resp| resp.status() == 200)
    })
    .await;
    assert!(dir.path().join("highlights.db").exists(), "the default SQLite file was created");
    slack.wait_for_calls("auth.test", 1).await;

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let mut exited = None;
    crate::support::eventually("the process to exit after SIGTERM", || {
        exited = child.try_wait().expect("wait");
        std::future::ready(exited.is_some())
    })
    .await;
    let exited = exited.expect("stopped after SIGTERM");
    assert!(exited.success(), "clean exit: {exited:?}");
    let out = child.wait_with_output().expect("output");
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(logs.contains("shutting down"), "{logs}");
    assert!(!logs.contains(SIGNING_SECRET) && !logs.contains(BOT_TOKEN), "a secret was logged: {logs}");
}

#[tokio::test]
async fn socket_mode_says_connected_only_when_slack_says_hello() {
    let dir = tempfile::tempdir().expect("dir");
    let slack = FakeSlack::start().await;
    let (mut child, logs, reader) =
        socket_mode_with(dir.path(), &slack.api_url(), crate::support::fake_slack::APP_TOKEN);
    crate::support::eventually("Socket Mode to say it is connected", || {
        std::future::ready(logs.lock().expect("logs").contains("Socket Mode connected"))
    })
    .await;
    let _ = Command::new("kill").args(["-KILL", &child.id().to_string()]).status();
    let _ = child.wait();
    reader.join().expect("reader");
    let logs = logs.lock().expect("logs").clone();
    let opening = logs.find("Socket Mode: opening connections").expect("says it is opening");
    let connected = logs.find("Socket Mode connected").expect("says it is connected");
    assert!(opening < connected, "{logs}");
    // The line comes from Slack's hello, which counts the connections.
    assert!(logs[connected..].lines().next().expect("line").contains("connections=1"), "{logs}");
    assert!(!logs.contains(BOT_TOKEN) && !logs.contains(crate::support::fake_slack::APP_TOKEN), "{logs}");
}

/// Runs `serve --socket-mode` against `api_url` and collects its stderr as it comes.
fn socket_mode_with(
    dir: &Path,
    api_url: &str,
    app_token: &str,
) -> (std::process::Child, std::sync::Arc<std::sync::Mutex<String>>, std::thread::JoinHandle<()>) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
    let mut child = highlights(dir)
        .args(["serve", "--socket-mode"])
        .env("SLACK_SIGNING_SECRET", SIGNING_SECRET)
        .env("SLACK_BOT_TOKEN", BOT_TOKEN)
        .env("SLACK_APP_TOKEN", app_token)
        .env("SLACK_API_URL", api_url)
        .env("HIGHLIGHTS_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "highlights=info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let logs = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let stderr = child.stderr.take().expect("stderr");
    let reader = {
        let logs = logs.clone();
        std::thread::spawn(move || {
            use std::io::BufRead as _;
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                logs.lock().expect("logs").push_str(&(line + "\n"));
            }
        })
    };
    (child, logs, reader)
}

#[tokio::test]
async fn socket_mode_with_a_refused_app_token_stops_with_one_line_naming_it() {
    let dir = tempfile::tempdir().expect("dir");
    let slack = FakeSlack::start().await;
    let revoked = "xapp-1-A0APP00001-9999-revokedtoken";
    let (mut child, logs, reader) = socket_mode_with(dir.path(), &slack.api_url(), revoked);
    let mut exited = None;
    crate::support::eventually("the app to stop on a refused app token", || {
        exited = child.try_wait().expect("wait");
        std::future::ready(exited.is_some())
    })
    .await;
    assert!(!exited.expect("exited").success(), "a refused token is an error");
    reader.join().expect("reader");
    let logs = logs.lock().expect("logs").clone();
    let last = logs.lines().rfind(|l| !l.trim().is_empty()).expect("a line");
    assert!(last.starts_with("error: SLACK_APP_TOKEN was refused by Slack (invalid_auth)"), "{logs}");
    assert!(last.contains("connections:write"), "says what to do: {last}");
    assert!(!logs.contains(revoked), "the token is never logged: {logs}");
    assert!(!logs.contains("Unable to create WSS url"), "{logs}");
}

#[tokio::test]
async fn socket_mode_with_slack_unreachable_says_so_in_one_line_per_try_and_keeps_trying() {
    let dir = tempfile::tempdir().expect("dir");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
    let api_url = format!("http://127.0.0.1:{closed}/api");
    let (mut child, logs, reader) = socket_mode_with(dir.path(), &api_url, crate::support::fake_slack::APP_TOKEN);
    crate::support::eventually("two tries, each said in one line", || {
        std::future::ready(logs.lock().expect("logs").matches("Socket Mode: not connected").count() >= 2)
    })
    .await;
    assert!(child.try_wait().expect("wait").is_none(), "it keeps trying");
    let _ = Command::new("kill").args(["-KILL", &child.id().to_string()]).status();
    let _ = child.wait();
    reader.join().expect("reader");
    let logs = logs.lock().expect("logs").clone();
    let tries: Vec<&str> = logs.lines().filter(|l| l.contains("Socket Mode: not connected")).collect();
    assert!(tries[0].contains(&api_url) && tries[0].contains("SLACK_API_URL"), "{logs}");
    assert!(tries[0].contains("cannot reach Slack") && tries[0].contains("Connection refused"), "says why: {logs}");
    assert!(tries[0].contains("trying again in 1s") && tries[1].contains("trying again in 2s"), "backs off: {logs}");
    assert!(!logs.contains("Unable to create WSS url") && !logs.contains("Some(hyper"), "no raw debug line: {logs}");
    assert!(!logs.contains(crate::support::fake_slack::APP_TOKEN), "{logs}");
}

async fn workspace_db(dir: &Path) -> highlights::store::Db {
    let url = format!("sqlite://{}", dir.join("highlights.db").display());
    let db = highlights::store::Db::connect_and_migrate(&url).await.expect("db");
    let ws = highlights::store::workspaces::WorkspaceId("T0TEAM0001".into());
    db.write(async |tx| highlights::store::workspaces::insert_workspace_if_new(tx, &ws, &["chat".into()], 1).await)
        .await
        .expect("workspace");
    db
}

#[tokio::test]
async fn customers_import_writes_every_row_or_none() {
    let dir = tempfile::tempdir().expect("dir");
    let db = workspace_db(dir.path()).await;
    let file = dir.path().join("customers.csv");
    std::fs::write(
        &file,
        "name,aliases,segment,arr\nAcme Inc.,Acme Labs;ACME EU,Enterprise,\"$120,000\"\nGlobex,,SMB,9000\n",
    )
    .expect("write");
    let out = highlights(dir.path()).args(["customers", "import"]).arg(&file).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("imported 2 customers into T0TEAM0001: 2 new, 0 updated"), "{said}");
    let rows: Vec<(String, Option<String>, Option<i64>)> =
        sqlx::query_as("select key, segment, arr_cents from customers order by key")
            .fetch_all(db.pool())
            .await
            .expect("rows");
    assert_eq!(
        rows,
        vec![
            ("acme".into(), Some("Enterprise".into()), Some(12_000_000)),
            ("globex".into(), Some("SMB".into()), Some(900_000))
        ]
    );
    let aliases: i64 =
        sqlx::query_scalar("select count(*) from customer_aliases").fetch_one(db.pool()).await.expect("count");
    assert_eq!(aliases, 2);

    let again = highlights(dir.path())
        .args(["customers", "import", "--workspace", "T0TEAM0001"])
        .arg(&file)
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 new, 2 updated"));

    std::fs::write(&file, "name,arr\nInitech,100\nUmbrella,a lot\n,5\n").expect("write");
    let bad = highlights(dir.path()).args(["customers", "import"]).arg(&file).output().expect("runs");
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("2 problem(s); nothing was imported"), "{err}");
    assert!(err.contains("line 3: ARR “a lot”") && err.contains("line 4: The customer name is empty"), "{err}");
    let count: i64 = sqlx::query_scalar("select count(*) from customers").fetch_one(db.pool()).await.expect("count");
    assert_eq!(count, 2, "Initech was not written");

    std::fs::write(&file, "name\nInitech\n").expect("write");
    let unknown = highlights(dir.path())
        .args(["customers", "import", "--workspace", "T0NOPE"])
        .arg(&file)
        .output()
        .expect("runs");
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("no workspace T0NOPE in the database (known: T0TEAM0001)")
    );
}

/// A CONNECT proxy on loopback that tunnels and records what it was asked.
async fn connect_proxy() -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = asked.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if client.read_exact(&mut byte).await.is_err() {
                        return;
                    }
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let line = head.lines().next().unwrap_or_default().to_owned();
                seen.lock().expect("lock").push(line.clone());
                let Some(target) = line.strip_prefix("CONNECT ").and_then(|rest| rest.split(' ').next()) else {
                    return;
                };
                let Ok(mut upstream) = tokio::net::TcpStream::connect(target).await else { return };
                if client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await.is_ok() {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                }
            });
        }
    });
    (port, asked)
}

#[tokio::test]
async fn slack_calls_go_through_the_proxy_the_environment_names() {
    let dir = tempfile::tempdir().expect("dir");
    let slack = FakeSlack::start().await;
    let (proxy_port, asked) = connect_proxy().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
    let child = highlights(dir.path())
        .arg("serve")
        .env("SLACK_SIGNING_SECRET", SIGNING_SECRET)
        .env("SLACK_BOT_TOKEN", BOT_TOKEN)
        .env("SLACK_API_URL", slack.api_url())
        .env("HTTP_PROXY", format!("http://127.0.0.1:{proxy_port}"))
        .env("HIGHLIGHTS_LISTEN", format!("127.0.0.1:{port}"))
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let answered =
        tokio::time::timeout(std::time::Duration::from_secs(10), slack.wait_for_ok_calls("auth.test", 1)).await;
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let out = child.wait_with_output().expect("output");
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(answered.is_ok(), "auth.test reached Slack: {logs}");
    let fake = slack.api_url().trim_start_matches("http://").trim_end_matches("/api").to_owned();
    let asked = asked.lock().expect("lock").clone();
    assert!(asked.contains(&format!("CONNECT {fake} HTTP/1.1")), "{asked:?}");
    assert!(logs.contains("go through a proxy"), "{logs}");
}

/// `highlights doctor` with these settings: its exit status and its lines.
async fn doctor(dir: &Path, slack: &FakeSlack, settings: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = highlights(dir);
    cmd.arg("doctor")
        .env("SLACK_SIGNING_SECRET", SIGNING_SECRET)
        .env("SLACK_BOT_TOKEN", BOT_TOKEN)
        .env("SLACK_API_URL", slack.api_url())
        .env("HIGHLIGHTS_PRODUCT_CHANNEL", crate::support::PRODUCT_CHANNEL);
    for (name, value) in settings {
        cmd.env(name, value);
    }
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("runs")).await.expect("joined");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(!text.contains(BOT_TOKEN) && !text.contains(SIGNING_SECRET), "a secret was printed: {text}");
    (out.status.success(), text)
}

#[tokio::test]
async fn doctor_passes_a_healthy_setup_and_names_each_broken_part() {
    let dir = tempfile::tempdir().expect("dir");
    let slack = FakeSlack::start().await;
    // Before the app ever ran: a note, not a failure, and no file made.
    let (ok, text) = doctor(dir.path(), &slack, &[]).await;
    assert!(ok, "{text}");
    assert!(text.contains("warn database: no file yet at highlights.db"), "{text}");
    assert!(!dir.path().join("highlights.db").exists(), "the doctor changes nothing");
    let migrated = highlights(dir.path()).arg("migrate").output().expect("migrate");
    assert!(migrated.status.success());

    let (ok, text) = doctor(dir.path(), &slack, &[]).await;
    assert!(ok, "{text}");
    for line in [
        "ok   configuration",
        "ok   database",
        "ok   Slack (SLACK_BOT_TOKEN): the bot token works",
        "ok   scopes (SLACK_BOT_TOKEN)",
        "ok   product channel (SLACK_BOT_TOKEN)",
    ] {
        assert!(text.contains(line), "{line}: {text}");
    }
    assert!(!text.contains("FAIL"), "{text}");
    // It posted nothing and joined nothing.
    assert!(slack.calls().iter().all(|c| c.method == "auth.test" || c.method == "conversations.history"));

    let (ok, text) = doctor(dir.path(), &slack, &[("SLACK_BOT_TOKEN", "xoxb-wrong-token")]).await;
    assert!(!ok);
    assert!(text.contains("FAIL Slack (SLACK_BOT_TOKEN): auth.test answered invalid_auth"), "{text}");

    slack.grant_scopes("commands,chat:write,users:read");
    let (ok, text) = doctor(dir.path(), &slack, &[]).await;
    assert!(!ok);
    assert!(text.contains("FAIL scopes (SLACK_BOT_TOKEN): missing chat:write.public, channels:join"), "{text}");
    slack.grant_scopes(
        "commands,chat:write,chat:write.public,channels:join,users:read,users:read.email,channels:history,groups:history,im:write,im:history,reactions:read",
    );

    slack.remove_bot(crate::support::PRODUCT_CHANNEL);
    let (ok, text) = doctor(dir.path(), &slack, &[]).await;
    assert!(ok, "a public channel is joined on the first post: {text}");
    assert!(text.contains("warn product channel (SLACK_BOT_TOKEN): the bot is not in"), "{text}");
    slack.delete_channel("C0GONE0001");
    let (ok, text) = doctor(dir.path(), &slack, &[("HIGHLIGHTS_PRODUCT_CHANNEL", "C0GONE0001")]).await;
    assert!(!ok);
    assert!(text.contains("FAIL product channel (SLACK_BOT_TOKEN): C0GONE0001 does not exist"), "{text}");

    let (ok, text) = doctor(dir.path(), &slack, &[("SLACK_API_URL", "http://127.0.0.1:1/api")]).await;
    assert!(!ok);
    assert!(
        text.contains("FAIL Slack (SLACK_BOT_TOKEN): cannot reach Slack at http://127.0.0.1:1/api/auth.test"),
        "{text}"
    );

    // Socket Mode's app token, when set.
    let app_token = crate::support::fake_slack::APP_TOKEN;
    let (ok, text) = doctor(dir.path(), &slack, &[("SLACK_APP_TOKEN", app_token)]).await;
    assert!(ok, "{text}");
    assert!(text.contains("ok   Socket Mode (SLACK_APP_TOKEN)"), "{text}");
    assert!(!text.contains(app_token), "{text}");
    let revoked = "xapp-1-A0APP00001-9999-revokedtoken";
    let (ok, text) = doctor(dir.path(), &slack, &[("SLACK_APP_TOKEN", revoked)]).await;
    assert!(!ok);
    assert!(text.contains("FAIL Socket Mode (SLACK_APP_TOKEN): apps.connections.open answered invalid_auth"), "{text}");
    assert!(!text.contains(revoked), "{text}");

    let (ok, text) = doctor(dir.path(), &slack, &[("HIGHLIGHTS_LISTEN", "everywhere")]).await;
    assert!(!ok);
    assert!(text.contains("FAIL configuration: HIGHLIGHTS_LISTEN"), "{text}");
}

/// The README's restore procedure, step by step: with the app stopped, the
/// backup file takes the database file's place (and SQLite's `-wal` and
/// `-shm` files beside it go).
fn restore(backup: &Path, database: &Path) {
    for side in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{side}", database.display()));
    }
    std::fs::copy(backup, database).expect("copy the backup into place");
}

#[tokio::test]
async fn a_backup_taken_while_the_app_runs_restores_every_highlight() {
    let app = crate::support::TestApp::spawn_on(crate::support::db::TestBackend::Sqlite).await;
    for quote in ["Exports time out", "Search finds nothing"] {
        let saved = crate::support::ephemeral(app.slash(&format!("Acme | reporting | {quote}")).await).await;
        assert!(saved.starts_with("✅ Saved"), "{saved}");
    }
    let saved = crate::support::ephemeral(app.slash("Globex | billing | Invoices are late").await).await;
    assert!(saved.starts_with("✅ Saved"), "{saved}");
    let dir = tempfile::tempdir().expect("dir");
    let backup = dir.path().join("backup.db");
    let url = app.test_db.url.clone();
    let run = |args: &[&str]| {
        let out = highlights(dir.path()).args(args).env("DATABASE_URL", &url).output().expect("runs");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
        )
    };
    // Online: the app is serving while the copy is made.
    let (ok, said) = run(&["backup", backup.to_str().expect("path")]);
    assert!(ok, "{said}");
    assert!(said.contains("backed up 3 highlights of 2 customers"), "{said}");
    // A backup never overwrites a file.
    let (ok, said) = run(&["backup", backup.to_str().expect("path")]);
    assert!(!ok && said.contains("exists already"), "{said}");

    // Captured after the backup: not in it.
    let saved = crate::support::ephemeral(app.slash("Initech | chat | Too many clicks").await).await;
    assert!(saved.starts_with("✅ Saved"), "{saved}");
    let (ok, before) = run(&["export", "--format", "jsonl"]);
    assert!(ok && before.contains("Too many clicks"), "{before}");
    let database = highlights::store::sqlite_path(&url).expect("a SQLite file");
    let _kept = app.stop_keeping_db().await;

    restore(&backup, &database);
    let (ok, after) = run(&["export", "--format", "jsonl"]);
    assert!(ok, "{after}");
    for quote in ["Exports time out", "Search finds nothing", "Invoices are late"] {
        assert!(after.contains(quote), "{quote} restored: {after}");
    }
    assert!(!after.contains("Too many clicks"), "the restored database is the backup's: {after}");
    assert!(after.contains("exported 3 highlights"), "{after}");
}

#[tokio::test]
async fn healthcheck_exits_zero_only_when_the_app_answers_healthy() {
    let app = crate::support::TestApp::spawn_on(crate::support::db::TestBackend::Sqlite).await;
    let dir = tempfile::tempdir().expect("dir");
    let check = |args: Vec<String>| {
        let mut cmd = highlights(dir.path());
        cmd.arg("healthcheck").args(args);
        async move {
            let out = tokio::task::spawn_blocking(move || cmd.output().expect("runs")).await.expect("joined");
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
            )
        }
    };
    // As the container runs it: the port from HIGHLIGHTS_LISTEN.
    let (ok, said) = check(vec!["--listen".into(), format!("0.0.0.0:{}", app.addr.port())]).await;
    assert!(ok, "{said}");
    assert!(said.contains("answered 200"), "{said}");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
    let (ok, said) = check(vec!["--url".into(), format!("http://127.0.0.1:{closed}/healthz")]).await;
    assert!(!ok, "{said}");
    assert_eq!(said.lines().count(), 1, "one line: {said}");
    assert!(said.starts_with("error: http://127.0.0.1:") && said.contains("did not answer"), "{said}");
    // A page that is not 200 is unhealthy too.
    let (ok, said) = check(vec!["--url".into(), app.url("/no-such-page")]).await;
    assert!(!ok && said.contains("answered 404"), "{said}");
}
