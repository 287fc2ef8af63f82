//! Requests signed as Slack signs them, with the secret every bench's app
//! verifies.

/// The signing secret the benches' apps are started with.
pub const SECRET: &str = "bench-signing-secret-0123456789";

/// The form Slack posts when a person types `/highlight <text>` (no
/// `response_url` the app could reach: the benches read the direct reply).
pub struct Slash<'a> {
    /// Where it was typed.
    pub channel: &'a str,
    /// Who typed it.
    pub user: &'a str,
    pub text: &'a str,
    /// Slack's trigger id: a command sent twice with the same one is a replay.
    pub trigger: &'a str,
}

impl Slash<'_> {
    /// The form body, in the benches' workspace.
    pub fn form(&self) -> String {
        serde_urlencoded::to_string([
            ("token", "bench"),
            ("team_id", super::fake_slack::TEAM),
            ("team_domain", "bench"),
            ("channel_id", self.channel),
            ("channel_name", "bench"),
            ("user_id", self.user),
            ("user_name", "bench"),
            ("command", "/highlight"),
            ("text", self.text),
            ("api_app_id", "A0BENCH001"),
            ("response_url", "http://127.0.0.1:9/response"),
            ("trigger_id", self.trigger),
        ])
        .expect("form")
    }
}

/// The headers that sign `body` now: its timestamp and signature.
pub fn headers(body: &[u8]) -> [(&'static str, String); 2] {
    let ts = jiff::Timestamp::now().as_second().to_string();
    let signature = highlights::slack::verify::sign(SECRET, &ts, body);
    [("x-slack-request-timestamp", ts), ("x-slack-signature", signature)]
}

/// POSTs a form `body` to `url`, signed now.
pub async fn post(http: &reqwest::Client, url: String, body: String) -> reqwest::Result<reqwest::Response> {
    let mut request = http.post(url).header("content-type", "application/x-www-form-urlencoded");
    for (name, value) in headers(body.as_bytes()) {
        request = request.header(name, value);
    }
    request.body(body).send().await
}
