//! Verifying that a request comes from Slack: the `v0` HMAC-SHA256 signature over
//! `v0:{timestamp}:{raw body}`, compared in constant time, within five minutes.
//! See <https://docs.slack.dev/authentication/verifying-requests-from-slack>.
//!
//! [`SignedRequest`] is the axum extractor every `/slack/*` route starts with: it
//! reads the raw body (at most [`MAX_BODY_BYTES`]) and verifies it before anything
//! parses it.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::error::AppError;

/// Largest body accepted on any Slack route.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How far a request's timestamp may be from our clock, in seconds.
pub const MAX_CLOCK_SKEW_SECS: i64 = 5 * 60;

/// Why a signature was refused (kept short: it goes into the 401 body and logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// No `X-Slack-Signature` or `X-Slack-Request-Timestamp`.
    Missing,
    /// The timestamp is not a number.
    BadTimestamp,
    /// The timestamp is more than five minutes away from now.
    Stale,
    /// The signature does not match.
    Mismatch,
}

impl SignatureError {
    /// A short reason, safe to log and to return.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Missing => "missing X-Slack-Signature or X-Slack-Request-Timestamp",
            Self::BadTimestamp => "X-Slack-Request-Timestamp is not a number",
            Self::Stale => "X-Slack-Request-Timestamp is more than 5 minutes off our clock",
            Self::Mismatch => "signature does not match",
        }
    }
}

/// Computes `v0=<hex hmac>` for a timestamp and body, as Slack does.
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    format!("v0={}", hmac_sha256_hex(secret, &[b"v0:", timestamp.as_bytes(), b":", body]))
}

/// The hex HMAC-SHA256 of the concatenated `parts` under `secret`: the one
/// signing primitive of the app (Slack's requests, the helpdesk webhook).
pub fn hmac_sha256_hex(secret: &str, parts: &[&[u8]]) -> String {
    let mut mac = ring::hmac::Context::with_key(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes()));
    for part in parts {
        mac.update(part);
    }
    hex::encode(mac.sign().as_ref())
}

/// Characters [`seal`] adds to what it seals.
pub const SEAL_LEN: usize = 33;

/// `text` with a MAC over it and its `context` (which workspace, which form),
/// so that what comes back from Slack can be checked to be what this app
/// wrote: a view's `private_metadata` (a submission for a view the app never
/// opened, or opened for another workspace or form, is refused).
pub fn seal(secret: &str, context: &str, text: &str) -> String {
    format!("{text}.{}", seal_mac(secret, context, text))
}

/// What [`seal`] sealed, if `sealed` is intact and for `context`.
pub fn unseal<'a>(secret: &str, context: &str, sealed: &'a str) -> Option<&'a str> {
    let (text, mac) = sealed.rsplit_once('.')?;
    bool::from(seal_mac(secret, context, text).as_bytes().ct_eq(mac.as_bytes())).then_some(text)
}

fn seal_mac(secret: &str, context: &str, text: &str) -> String {
    let mut mac = hmac_sha256_hex(secret, &[b"highlights seal v1:", context.as_bytes(), b":", text.as_bytes()]);
    mac.truncate(SEAL_LEN - 1);
    mac
}

/// Checks a signature against the body at the given time (unix seconds).
pub fn verify(
    secret: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return Err(SignatureError::Missing);
    };
    let ts: i64 = timestamp.trim().parse().map_err(|_| SignatureError::BadTimestamp)?;
    if (now - ts).abs() > MAX_CLOCK_SKEW_SECS {
        return Err(SignatureError::Stale);
    }
    let expected = sign(secret, timestamp, body);
    if expected.as_bytes().ct_eq(signature.trim().as_bytes()).into() {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// A request whose Slack signature has been verified: its headers and raw body.
#[derive(Debug)]
pub struct SignedRequest {
    /// The request headers (retry headers are read from here).
    pub headers: HeaderMap,
    /// The verified raw body.
    pub body: Bytes,
    /// What tells this request apart from any other within the signing window.
    seen: SeenKey,
}

impl SignedRequest {
    /// `X-Slack-Retry-Num`, when Slack is redelivering.
    pub fn retry_num(&self) -> Option<u32> {
        header(&self.headers, "x-slack-retry-num").and_then(|v| v.parse().ok())
    }

    /// The key under which this request is remembered while its signature
    /// can be verified: the same request sent again (a replay) has the same.
    pub fn seen_key(&self) -> &SeenKey {
        &self.seen
    }
}

/// How long past the signing window a request is remembered, for replicas
/// whose clocks are a little behind ours.
pub const SEEN_MARGIN_SECS: i64 = 60;

/// A signed request, as remembered: the SHA-256 of its signature (which
/// covers its timestamp and body; the signature itself is not kept), and
/// when it can be forgotten (unix ms), once the signing window of its
/// timestamp has passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenKey {
    /// Hex SHA-256 of the verified `v0=…` signature.
    pub signature_hash: String,
    /// When the signature can no longer be verified, with a margin.
    pub expires_at_ms: i64,
}

impl SeenKey {
    /// The key of a verified signature sent with timestamp `ts` (unix seconds).
    pub fn of(signature: &str, ts: i64) -> Self {
        Self {
            signature_hash: hex::encode(ring::digest::digest(&ring::digest::SHA256, signature.trim().as_bytes())),
            expires_at_ms: ts.saturating_add(MAX_CLOCK_SKEW_SECS + SEEN_MARGIN_SECS).saturating_mul(1000),
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Why a request did not reach its handler.
#[derive(Debug)]
pub enum NotForUs {
    /// Refused: unsigned, stale, or too large.
    Refused(AppError),
    /// Slack's certificate check (`ssl_check=1`, unsigned by design): an empty
    /// 200, and nothing processed.
    SslCheck,
}

impl IntoResponse for NotForUs {
    fn into_response(self) -> Response {
        match self {
            Self::Refused(e) => e.into_response(),
            Self::SslCheck => StatusCode::OK.into_response(),
        }
    }
}

/// Reads a whole request body of at most `limit` bytes: 413 past it, 408 when
/// the client stops sending it (the server's body timeout).
pub async fn read_body(body: axum::body::Body, limit: usize) -> Result<Bytes, AppError> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let cause = e.into_inner();
        if cause.is::<http_body_util::LengthLimitError>() {
            AppError::PayloadTooLarge
        } else {
            tracing::debug!(error = %cause, "request body not received");
            AppError::BodyTimeout
        }
    })
}

/// Whether a form body is Slack's certificate check.
fn is_ssl_check(body: &[u8]) -> bool {
    body.split(|&b| b == b'&').any(|pair| pair == b"ssl_check=1")
}

/// What checking a signature needs from the app: the signing secret and the
/// time now (the app's clock, so tests can move it).
pub trait Verifier {
    /// The app's signing secret.
    fn signing_secret(&self) -> &str;
    /// The time now, in unix seconds.
    fn now_unix(&self) -> i64;
}

impl<S: Verifier + Send + Sync> FromRequest<S> for SignedRequest {
    type Rejection = NotForUs;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let body = read_body(body, MAX_BODY_BYTES).await.map_err(NotForUs::Refused)?;
        if is_ssl_check(&body) {
            return Err(NotForUs::SslCheck);
        }
        let now = state.now_unix();
        let (timestamp, signature) =
            (header(&parts.headers, "x-slack-request-timestamp"), header(&parts.headers, "x-slack-signature"));
        verify(state.signing_secret(), timestamp, signature, &body, now)
            .map_err(|e| NotForUs::Refused(AppError::Unauthorized(e.reason())))?;
        // Verified: both headers are there and the timestamp is a number.
        let ts = timestamp.and_then(|ts| ts.trim().parse().ok()).unwrap_or(now);
        let seen = SeenKey::of(signature.unwrap_or_default(), ts);
        Ok(Self { headers: parts.headers, body, seen })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Slack's published example (docs.slack.dev, "Verifying requests from Slack").
    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const TS: &str = "1531420618";
    const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const EXPECTED: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    #[test]
    fn slacks_published_example_signs_and_verifies() {
        assert_eq!(sign(SECRET, TS, BODY.as_bytes()), EXPECTED);
        assert_eq!(verify(SECRET, Some(TS), Some(EXPECTED), BODY.as_bytes(), 1_531_420_618 + 60), Ok(()));
    }

    #[test]
    fn a_changed_body_or_secret_is_refused() {
        let now = 1_531_420_618;
        let tampered = BODY.replace("roadrunner", "coyote");
        assert_eq!(verify(SECRET, Some(TS), Some(EXPECTED), tampered.as_bytes(), now), Err(SignatureError::Mismatch));
        assert_eq!(verify("other", Some(TS), Some(EXPECTED), BODY.as_bytes(), now), Err(SignatureError::Mismatch));
        assert_eq!(verify(SECRET, Some(TS), Some("v0=00"), BODY.as_bytes(), now), Err(SignatureError::Mismatch));
    }

    #[test]
    fn timestamps_outside_five_minutes_are_stale() {
        let ts = 1_531_420_618;
        assert_eq!(verify(SECRET, Some(TS), Some(EXPECTED), BODY.as_bytes(), ts + 300), Ok(()));
        assert_eq!(verify(SECRET, Some(TS), Some(EXPECTED), BODY.as_bytes(), ts + 301), Err(SignatureError::Stale));
        assert_eq!(verify(SECRET, Some(TS), Some(EXPECTED), BODY.as_bytes(), ts - 301), Err(SignatureError::Stale));
    }

    #[test]
    fn a_seal_opens_only_intact_and_in_its_context() {
        let sealed = seal(SECRET, "T1:capture", r#"{"highlights":2}"#);
        assert_eq!(sealed.len(), r#"{"highlights":2}"#.len() + SEAL_LEN);
        assert_eq!(unseal(SECRET, "T1:capture", &sealed), Some(r#"{"highlights":2}"#));
        assert_eq!(unseal(SECRET, "T2:capture", &sealed), None, "another workspace");
        assert_eq!(unseal(SECRET, "T1:triage", &sealed), None, "another form");
        assert_eq!(unseal("other", "T1:capture", &sealed), None, "another secret");
        assert_eq!(unseal(SECRET, "T1:capture", &sealed.replace('2', "9")), None, "changed");
        assert_eq!(unseal(SECRET, "T1:capture", r#"{"highlights":2}"#), None, "never sealed");
    }

    #[test]
    fn slacks_certificate_check_is_recognised_and_nothing_else() {
        assert!(is_ssl_check(b"ssl_check=1&token=abc"));
        assert!(is_ssl_check(b"token=abc&ssl_check=1"));
        assert!(!is_ssl_check(b"ssl_check=0&token=abc"));
        assert!(!is_ssl_check(b"text=ssl_check%3D1&team_id=T1"));
        assert!(!is_ssl_check(BODY.as_bytes()));
    }

    #[test]
    fn a_request_is_remembered_by_a_hash_of_its_signature_past_its_window() {
        let seen = SeenKey::of(EXPECTED, 1_531_420_618);
        assert_eq!(seen, SeenKey::of(&format!(" {EXPECTED} "), 1_531_420_618), "as verified");
        assert_ne!(seen.signature_hash, SeenKey::of(&sign(SECRET, "1531420619", BODY.as_bytes()), 0).signature_hash);
        assert_eq!(seen.signature_hash.len(), 64);
        assert!(!seen.signature_hash.contains(&EXPECTED[3..]), "the signature itself is not kept");
        assert_eq!(seen.expires_at_ms, (1_531_420_618 + MAX_CLOCK_SKEW_SECS + SEEN_MARGIN_SECS) * 1000);
    }

    #[test]
    fn missing_headers_and_bad_timestamps_are_refused() {
        assert_eq!(verify(SECRET, None, Some(EXPECTED), BODY.as_bytes(), 0), Err(SignatureError::Missing));
        assert_eq!(verify(SECRET, Some(TS), None, BODY.as_bytes(), 0), Err(SignatureError::Missing));
        assert_eq!(verify(SECRET, Some("soon"), Some(EXPECTED), BODY.as_bytes(), 0), Err(SignatureError::BadTimestamp));
    }
}
