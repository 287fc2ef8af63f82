//! Signs requests exactly as Slack does, independently of the app's own code:
//! `v0=` + hex(HMAC-SHA256(secret, "v0:{timestamp}:{body}")).

/// The signing secret every test app is started with.
pub const SIGNING_SECRET: &str = "test-signing-secret-0123456789abcdef";

/// The `X-Slack-Signature` value for a body at a timestamp.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = ring::hmac::Context::with_key(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes()));
    mac.update(format!("v0:{timestamp}:").as_bytes());
    mac.update(body);
    format!("v0={}", hex::encode(mac.sign().as_ref()))
}

/// Now, in unix seconds.
pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

#[test]
fn the_test_signer_reproduces_slacks_published_example() {
    let body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    assert_eq!(
        signature("8f742231b10e8888abcd99yyyzzz85a5", 1_531_420_618, body.as_bytes()),
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    );
}
