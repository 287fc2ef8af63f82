//! Prometheus metrics, served at `/metrics` in the text format. Each app owns its
//! registry (no globals), so several apps in one test process stay apart.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The label of the 429 counter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct MethodLabel {
    /// The Web API method.
    pub method: String,
}

/// 429s Slack answered, by method.
pub type RateLimitedCounter = Family<MethodLabel, Counter>;

/// Labels of a served request.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The route pattern, e.g. `/slack/commands`.
    pub route: String,
    /// The HTTP status code.
    pub status: u16,
}

/// Labels of an acknowledgement.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// The route pattern.
    pub route: String,
}

/// Labels of an outbox run.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutboxLabels {
    /// What the row asked for, e.g. `post_highlight`.
    pub kind: String,
    /// `done`, `retry` or `failed`.
    pub outcome: String,
}

/// Labels of a Slack Web API call.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SlackCallLabels {
    /// The method, e.g. `chat.postMessage`.
    pub method: String,
    /// `ok`, `error` (Slack said `ok: false`), `rate_limited`, `http_error`,
    /// `timeout`, `unreachable`, or `not_sent` (paused, or no token).
    pub result: String,
}

/// Slack calls made, by method and result (shared by every token's client).
pub type SlackCalls = Family<SlackCallLabels, Counter>;

/// The app's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    ack_seconds: Family<RouteLabels, Histogram>,
    outbox_runs: Family<OutboxLabels, Counter>,
    outbox_pending: Gauge,
    outbox_oldest_seconds: Gauge<f64, std::sync::atomic::AtomicU64>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric registered, and Slack's 429 counter.
    pub fn with_slack(rate_limited: RateLimitedCounter, calls: SlackCalls) -> Self {
        let mut metrics = Self::new();
        metrics.registry.register("slack_rate_limited", "429 answers from Slack's Web API, by method", rate_limited);
        metrics.registry.register("slack_calls", "Slack Web API calls, by method and result", calls);
        metrics
    }

    /// Sets the outbox's backlog (read as `/metrics` is scraped).
    pub fn set_outbox_backlog(&self, pending: i64, oldest_seconds: f64) {
        self.outbox_pending.set(pending);
        self.outbox_oldest_seconds.set(oldest_seconds);
    }

    /// A fresh registry with every metric registered.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("highlights");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests served, by route and status", requests.clone());
        let ack_seconds = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            // Slack gives 3 s; the buckets resolve the fast end finely and mark the limit.
            Histogram::new([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0])
        });
        registry.register(
            "ack_latency_seconds",
            "Time from receiving a request to answering it, by route",
            ack_seconds.clone(),
        );
        let outbox_runs = Family::<OutboxLabels, Counter>::default();
        registry.register("outbox_runs", "Outbox rows run (Slack calls), by kind and outcome", outbox_runs.clone());
        let outbox_pending = Gauge::default();
        registry.register("outbox_pending", "Posts and updates waiting to reach Slack", outbox_pending.clone());
        let outbox_oldest_seconds = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        registry.register(
            "outbox_oldest_pending_seconds",
            "Age of the oldest post or update waiting to reach Slack (0 when none waits)",
            outbox_oldest_seconds.clone(),
        );
        Self { registry, requests, ack_seconds, outbox_runs, outbox_pending, outbox_oldest_seconds }
    }

    /// Counts one outbox run.
    pub fn record_outbox_run(&self, kind: &str, outcome: &str) {
        self.outbox_runs.get_or_create(&OutboxLabels { kind: kind.to_owned(), outcome: outcome.to_owned() }).inc();
    }

    /// The text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    fn observe(&self, route: String, status: u16, seconds: f64) {
        self.requests.get_or_create(&RequestLabels { route: route.clone(), status }).inc();
        self.ack_seconds.get_or_create(&RouteLabels { route }).observe(seconds);
    }
}

/// Middleware: counts every request and times its answer.
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".to_owned());
    let started = Instant::now();
    let response = next.run(req).await;
    metrics.observe(route, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}
