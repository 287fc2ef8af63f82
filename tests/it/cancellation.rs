//! Clients that hang up: Slack itself closes the connection after 3 seconds,
//! and any client may vanish at any point of a request. Whatever was under way
//! when the client left must finish or not start; it must never leave the app
//! unable to serve the next request.

use std::time::Duration;

use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;

use crate::on_both_backends;
use crate::support::db::TestBackend;
use crate::support::{ephemeral, signer, TestApp};

const CUSTOMERS: [&str; 6] = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries"];

/// A small deterministic generator, so a failure can be replayed.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The raw HTTP/1.1 request Slack would send for `/highlight <text>`.
fn signed_request(app: &TestApp, text: &str) -> Vec<u8> {
    let body = app.slash_body(text);
    let ts = signer::now();
    let signature = signer::signature(signer::SIGNING_SECRET, ts, body.as_bytes());
    let head = format!(
        "POST /slack/commands HTTP/1.1\r\nhost: {}\r\ncontent-type: application/x-www-form-urlencoded\r\n\
         content-length: {}\r\nx-slack-request-timestamp: {ts}\r\nx-slack-signature: {signature}\r\n\r\n",
        app.addr,
        body.len()
    );
    [head.into_bytes(), body.into_bytes()].concat()
}

/// Sends part or all of a request and hangs up without reading the answer.
async fn hang_up(app: &TestApp, request: Vec<u8>, cut_at: usize, linger: Duration) {
    let Ok(mut stream) = TcpStream::connect(app.addr).await else { return };
    let _ = stream.write_all(&request[..cut_at.min(request.len())]).await;
    // Hang up when the answer starts to arrive or when `linger` is over,
    // whichever comes first: the app may be anywhere in its work by then.
    if !linger.is_zero() {
        let _ = tokio::time::timeout(linger, stream.readable()).await;
    }
    // A zero linger makes the close a reset, the hardest hang-up (and one
    // that cannot block, which is why tokio deprecates the general case).
    #[allow(deprecated)]
    let _ = stream.set_linger(Some(Duration::ZERO));
    drop(stream);
}

on_both_backends!(clients_that_hang_up_mid_capture_never_wedge_the_app);
async fn clients_that_hang_up_mid_capture_never_wedge_the_app(backend: TestBackend) {
    let app = std::sync::Arc::new(TestApp::spawn_on(backend).await);
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for round in 0..6 {
        let mut hang_ups = tokio::task::JoinSet::new();
        for i in 0..300u64 {
            let customer = CUSTOMERS[rng.below(CUSTOMERS.len() as u64) as usize];
            let request = signed_request(&app, &format!("{customer} | chat | hung up {round}.{i}"));
            // Mostly whole requests dropped while the app works on them; some
            // cut inside the headers or the body.
            let cut_at = match rng.below(10) {
                0 => rng.below(request.len() as u64) as usize,
                _ => request.len(),
            };
            let linger = Duration::from_micros(rng.below(20_000));
            let app = app.clone();
            hang_ups.spawn(async move { hang_up(&app, request, cut_at, linger).await });
            // Up to 64 at once, as a busy workspace would send.
            if hang_ups.len() >= 64 {
                hang_ups.join_next().await;
            }
        }
        while hang_ups.join_next().await.is_some() {}

        // Every capture after them is served and stored.
        let before = app.count("highlights").await;
        for i in 0..5 {
            let customer = CUSTOMERS[i % CUSTOMERS.len()];
            let resp = app.slash(&format!("{customer} | chat | after the hang-ups {round}.{i}")).await;
            assert_eq!(resp.status(), 200, "round {round}, capture {i} after hang-ups");
            let text = ephemeral(resp).await;
            assert!(text.starts_with(&format!("✅ Saved for *{customer}* in *chat*.")), "round {round}: {text}");
        }
        let after = app.count("highlights").await;
        assert!(after >= before + 5, "round {round}: the captures are stored ({before} before, {after} after)");
    }
    // Nothing half done: every stored highlight has its post queued.
    let orphans: i64 = sqlx::query_scalar(
        "select count(*) from highlights h
         where not exists (select 1 from outbox o where o.workspace_id = h.workspace_id
                           and o.dedupe_key = 'highlight:' || cast(h.id as text))",
    )
    .fetch_one(app.db.pool())
    .await
    .expect("count");
    assert_eq!(orphans, 0, "a highlight without its queued post");
}
