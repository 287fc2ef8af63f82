//! Slack's rate limits as Slack applies them: a 429 pauses one method (for
//! `chat.postMessage`, one channel), not one call. [`Pauses`] is this
//! process's book of pauses: a call to a paused method is not sent, it fails
//! at once with the time left, so every row waiting on that method waits
//! together. The outbox worker keeps the book in step with the pauses other
//! replicas met (the `slack_pauses` table).
//!
//! [`Pacer`] keeps calls within Slack's published budgets before Slack has
//! to say so: each method's calls per minute (per channel for
//! `chat.postMessage`), a burst allowed, then one turn at a time; a call
//! whose turn is more than [`MAX_WAIT`] away is not made (the caller gets a
//! rate limit, and the outbox row waits for its turn without holding a lane).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::metrics::{MethodLabel, RateLimitedCounter};

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

/// A pause this close to its end is waited out where the call is: work
/// due when its pause ends (as after a 429) would otherwise meet the last
/// moments of it and be handed back for another round.
const WAIT_OUT: Duration = Duration::from_millis(50);

/// Waits out a pause of `method` that ends within [`WAIT_OUT`];
/// `Err(retry_after)` for a longer one.
async fn wait_out(pauses: &Pauses, method: &str, scope: &str) -> Result<(), Duration> {
    match pauses.remaining(method, scope) {
        Some(left) if left > WAIT_OUT => Err(left),
        Some(left) => {
            tokio::time::sleep(left).await;
            Ok(())
        }
        None => Ok(()),
    }
}

/// Slack's published budget for a method (per workspace and app; per
/// channel for `chat.postMessage`): calls per minute, and how many may go at
/// once before the pace applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Calls per minute, sustained.
    pub per_minute: u32,
    /// Calls that may go at once.
    pub burst: u32,
}

/// The budget of the methods the app calls in the background (posting,
/// refreshing, looking up posts). The ones that answer a person at once
/// (`views.open`, `views.update`: their trigger expires in 3 s) and Slack's
/// generous "special" ones (`auth.test`, `chat.getPermalink`) are not paced.
pub fn budget_of(method: &str) -> Option<Budget> {
    match method {
        // "Special": about one message a second per channel, short bursts allowed.
        "chat.postMessage" => Some(Budget { per_minute: 60, burst: 20 }),
        // Tier 3: 50+ a minute.
        "chat.update" | "conversations.history" | "conversations.replies" | "conversations.join" => {
            Some(Budget { per_minute: 50, burst: 50 })
        }
        // Tier 4: 100+ a minute.
        "views.publish" => Some(Budget { per_minute: 100, burst: 100 }),
        _ => None,
    }
}

/// The longest a call waits for its turn; a later turn is not taken.
pub const MAX_WAIT: Duration = Duration::from_secs(2);

/// Turns to call each method (in each scope), within its [`Budget`]: the
/// generic cell rate algorithm, one instant per method and scope (the
/// theoretical arrival time of the next call).
#[derive(Debug)]
pub struct Pacer {
    /// Budgets are multiplied by this (1 against Slack; 0 turns pacing off).
    speedup: u32,
    next: Mutex<HashMap<(&'static str, String), Instant>>,
}

impl Pacer {
    /// Paces at Slack's budgets times `speedup`; 0 does not pace (for a
    /// Slack stand-in that never limits).
    pub fn new(speedup: u32) -> Self {
        Self { speedup, next: Mutex::default() }
    }

    /// Takes a turn to call `method` in `scope`: `Ok(wait)` is how long to
    /// wait before calling (the turn is reserved); `Err(retry_after)` when
    /// the turn would be more than [`MAX_WAIT`] away (nothing is reserved).
    pub fn take_turn(&self, method: &'static str, scope: &str) -> Result<Duration, Duration> {
        self.take_turn_at(method, scope, Instant::now())
    }

    /// Waits for a turn to call `method` in `scope`, unless a pause holds
    /// it: the pause is looked at before the turn is taken, and again after
    /// waiting for it (a 429 another call met during the wait holds this
    /// call too). `Err(retry_after)` when paused, or when the turn is more
    /// than [`MAX_WAIT`] away.
    pub async fn wait_turn(&self, pauses: &Pauses, method: &'static str, scope: &str) -> Result<(), Duration> {
        wait_out(pauses, method, scope).await?;
        let wait = self.take_turn(method, scope)?;
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
            wait_out(pauses, method, scope).await?;
        }
        Ok(())
    }

    fn take_turn_at(&self, method: &'static str, scope: &str, now: Instant) -> Result<Duration, Duration> {
        let Some(budget) = budget_of(method).filter(|_| self.speedup > 0) else { return Ok(Duration::ZERO) };
        let interval = Duration::from_secs(60) / (budget.per_minute * self.speedup);
        let tolerance = interval * budget.burst.saturating_sub(1);
        let Ok(mut next) = self.next.lock() else { return Ok(Duration::ZERO) };
        if next.len() > 10_000 {
            next.retain(|_, at| *at > now);
        }
        let at = next.get(&(method, scope.to_owned())).copied().unwrap_or(now).max(now);
        // The earliest this call may go: `tolerance` ahead of the pace is the burst.
        let go = at.checked_sub(tolerance).unwrap_or(now).max(now);
        let wait = go - now;
        if wait > MAX_WAIT {
            return Err(wait);
        }
        next.insert((method, scope.to_owned()), at + interval);
        Ok(wait)
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

    #[tokio::test]
    async fn a_pause_at_its_end_is_waited_out_and_a_longer_one_is_not() {
        let (pauses, pacer) = (Pauses::default(), Pacer::new(1));
        pauses.pause("views.publish", "", Duration::from_millis(20));
        let started = Instant::now();
        assert_eq!(pacer.wait_turn(&pauses, "views.publish", "").await, Ok(()), "the last moments waited out");
        assert!(started.elapsed() >= Duration::from_millis(15), "waited: {:?}", started.elapsed());
        pauses.pause("views.publish", "", Duration::from_secs(30));
        let left = pacer.wait_turn(&pauses, "views.publish", "").await.expect_err("held");
        assert!(left > Duration::from_secs(29), "{left:?}");
    }

    #[test]
    fn only_chat_post_message_is_limited_per_channel() {
        assert_eq!(scope_of("chat.postMessage", Some("C1")), "C1");
        assert_eq!(scope_of("chat.update", Some("C1")), "");
        assert_eq!(scope_of("views.publish", None), "");
    }

    #[test]
    fn a_burst_goes_at_once_then_one_turn_per_interval() {
        let pacer = Pacer::new(1);
        let now = Instant::now();
        for _ in 0..20 {
            assert_eq!(pacer.take_turn_at("chat.postMessage", "C1", now), Ok(Duration::ZERO), "the burst");
        }
        assert_eq!(pacer.take_turn_at("chat.postMessage", "C1", now), Ok(Duration::from_secs(1)));
        assert_eq!(pacer.take_turn_at("chat.postMessage", "C1", now), Ok(Duration::from_secs(2)));
        // Further than MAX_WAIT: refused, and nothing reserved.
        assert_eq!(pacer.take_turn_at("chat.postMessage", "C1", now), Err(Duration::from_secs(3)));
        assert_eq!(pacer.take_turn_at("chat.postMessage", "C1", now), Err(Duration::from_secs(3)));
        // Another channel has its own budget; time gives turns back.
        assert_eq!(pacer.take_turn_at("chat.postMessage", "C2", now), Ok(Duration::ZERO));
        let later = now + Duration::from_secs(10);
        assert_eq!(pacer.take_turn_at("chat.postMessage", "C1", later), Ok(Duration::ZERO));
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_recorded_while_a_call_waits_for_its_turn_holds_that_call() {
        use std::future::Future as _;
        use std::task::Poll;
        let (pacer, pauses) = (Pacer::new(1), Pauses::default());
        for _ in 0..20 {
            assert_eq!(pacer.wait_turn(&pauses, "chat.postMessage", "C1").await, Ok(()), "the burst");
        }
        // The next call's turn is a second away: it waits...
        let mut waiting = std::pin::pin!(pacer.wait_turn(&pauses, "chat.postMessage", "C1"));
        let first_poll = std::future::poll_fn(|cx| Poll::Ready(waiting.as_mut().poll(cx))).await;
        assert!(first_poll.is_pending(), "waiting for its turn");
        // ...and meanwhile another call to the channel meets a 429.
        pauses.pause("chat.postMessage", "C1", Duration::from_secs(30));
        let after_wait = waiting.await;
        assert!(matches!(after_wait, Err(left) if left > Duration::from_secs(29)), "not sent: {after_wait:?}");
        // A call to another channel waits for nothing.
        assert_eq!(pacer.wait_turn(&pauses, "chat.postMessage", "C2").await, Ok(()));
    }

    #[test]
    fn tiers_pace_by_the_minute_and_unpaced_methods_never_wait() {
        let pacer = Pacer::new(1);
        let now = Instant::now();
        for _ in 0..50 {
            assert_eq!(pacer.take_turn_at("chat.update", "", now), Ok(Duration::ZERO));
        }
        assert_eq!(pacer.take_turn_at("chat.update", "", now), Ok(Duration::from_millis(1200)), "Tier 3: 50 a minute");
        for _ in 0..1000 {
            assert_eq!(pacer.take_turn_at("views.open", "", now), Ok(Duration::ZERO));
        }
        let off = Pacer::new(0);
        for _ in 0..1000 {
            assert_eq!(off.take_turn_at("chat.postMessage", "C1", now), Ok(Duration::ZERO));
        }
    }
}
