//! Slack's rate limits as Slack applies them: a 429 pauses one method (for
//! `chat.postMessage`, one channel), not one call. [`Pauses`] is this
//! process's book of pauses: a call to a paused method is not sent, it fails
//! at once with the time left, so every row waiting on that method waits
//! together. The outbox worker keeps the book in step with the pauses other
//! replicas met (the `slack_pauses` table).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A 429: which method (and channel) Slack paused, and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    /// The Web API method, e.g. `chat.postMessage`.
    pub method: &'static str,
    /// The channel for `chat.postMessage` (Slack limits it per channel), else empty.
    pub scope: String,
    /// How long to wait (Slack's `Retry-After`, or 1 s when it did not say).
    pub retry_after: Duration,
    /// Slack answered this call with 429 (else a pause held it back unsent).
    pub from_slack: bool,
}

/// The scope Slack rate-limits a method by: the channel for `chat.postMessage`,
/// the whole method otherwise.
pub fn scope_of(method: &str, channel: Option<&str>) -> String {
    match (method, channel) {
        ("chat.postMessage", Some(channel)) => channel.to_owned(),
        _ => String::new(),
    }
}

/// The label of the 429 counter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, prometheus_client::encoding::EncodeLabelSet)]
pub struct MethodLabel {
    /// The Web API method.
    pub method: String,
}

/// 429s Slack answered, by method (registered in `/metrics`).
pub type RateLimitedCounter =
    prometheus_client::metrics::family::Family<MethodLabel, prometheus_client::metrics::counter::Counter>;

/// Pauses in force in this process, and the 429s that started them.
#[derive(Debug, Default)]
pub struct Pauses {
    until: Mutex<HashMap<(String, String), Instant>>,
    limited: RateLimitedCounter,
}

impl Pauses {
    /// Counts a 429 Slack answered and pauses its method.
    pub fn limited_by_slack(&self, limit: &RateLimit) {
        self.limited.get_or_create(&MethodLabel { method: limit.method.to_owned() }).inc();
        self.pause(limit.method, &limit.scope, limit.retry_after);
    }

    /// The 429 counter, for the metrics registry.
    pub fn counter(&self) -> RateLimitedCounter {
        self.limited.clone()
    }

    /// How long `method` (in `scope`) is still paused, if it is.
    pub fn remaining(&self, method: &str, scope: &str) -> Option<Duration> {
        let now = Instant::now();
        let until = self.until.lock().ok()?;
        until.get(&(method.to_owned(), scope.to_owned())).and_then(|at| at.checked_duration_since(now))
    }

    /// Pauses `method` in `scope` for `wait` (a pause already longer stays).
    pub fn pause(&self, method: &str, scope: &str, wait: Duration) {
        let at = Instant::now() + wait;
        if let Ok(mut until) = self.until.lock() {
            until.retain(|_, end| *end > Instant::now());
            let entry = until.entry((method.to_owned(), scope.to_owned())).or_insert(at);
            *entry = (*entry).max(at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pause_holds_its_method_and_scope_only_and_the_longest_wins() {
        let pauses = Pauses::default();
        pauses.pause("chat.postMessage", "C1", Duration::from_secs(30));
        assert!(pauses.remaining("chat.postMessage", "C1").is_some_and(|left| left > Duration::from_secs(29)));
        assert_eq!(pauses.remaining("chat.postMessage", "C2"), None, "another channel posts on");
        assert_eq!(pauses.remaining("chat.update", ""), None, "another method too");
        pauses.pause("chat.postMessage", "C1", Duration::from_secs(1));
        assert!(pauses.remaining("chat.postMessage", "C1").is_some_and(|left| left > Duration::from_secs(29)));
        pauses.pause("views.publish", "", Duration::ZERO);
        assert_eq!(pauses.remaining("views.publish", ""), None, "over");
    }

    #[test]
    fn only_chat_post_message_is_limited_per_channel() {
        assert_eq!(scope_of("chat.postMessage", Some("C1")), "C1");
        assert_eq!(scope_of("chat.update", Some("C1")), "");
        assert_eq!(scope_of("views.publish", None), "");
    }
}
