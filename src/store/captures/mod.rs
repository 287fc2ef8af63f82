//! Captures: the request path's reads and writes, done in groups.
//!
//! - [`ContextLoader`] reads what a capture needs before it writes (the
//!   workspace's settings, the customer a name leads to), for every capture
//!   waiting, in one statement.
//! - [`CaptureQueue`] commits captures in groups: every capture waiting when
//!   the writer is free goes into one transaction of a few statements that
//!   take the whole group as JSON (`group.rs`), so a burst of a hundred
//!   captures costs about what one does. Each caller is answered only after
//!   the commit that holds its capture.
//!
//! The queue's tasks own the transactions: a request future that is dropped
//! (a client hanging up) drops only its wait for the answer.

mod context;
mod group;

use sqlx::AnyPool;

use crate::domain::CustomerName;
use crate::store::batch::{all_or_each, Batcher};
use crate::store::held::Held;
use crate::store::outbox::OutboxKind;
use crate::store::seen_requests::SeenRequest;
use crate::store::workspaces::WorkspaceId;
use crate::store::Backend;

pub use context::{CaptureContext, ContextLoader};

/// How long after a capture its author's App Home refresh and milestone check
/// run: a burst of captures then costs one of each.
pub const FOLLOW_UP_DELAY_MS: i64 = 1000;

/// The most captures committed in one transaction.
const MAX_GROUP: usize = 256;

/// One highlight of a capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHighlight {
    /// Product area id (of the same workspace).
    pub area_id: i64,
    /// `pain`, `request`, `praise` or `other`.
    pub kind: &'static str,
    /// The customer's words.
    pub quote: String,
    /// What we learn from it.
    pub takeaway: Option<String>,
    /// Link into the recording.
    pub recording_link: Option<String>,
    /// The moment in the recording, in seconds.
    pub recording_at: Option<i64>,
}

/// An interview's worth of highlights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCapture {
    /// Who captured it (the interviewer).
    pub author: String,
    /// Who said it.
    pub customer: CustomerName,
    /// An existing customer the name was matched to (by key or alias).
    pub customer_id: Option<i64>,
    /// `YYYY-MM-DD`.
    pub interview_date: String,
    /// Link to the whole recording.
    pub recording_link: Option<String>,
    /// Who was interviewed (name and role), when given.
    pub interviewee: Option<String>,
    /// At least one highlight.
    pub highlights: Vec<NewHighlight>,
    /// When its posts are due (unix ms): now, or later when there is no
    /// channel to post to yet (the user was told in the acknowledgement; the
    /// posts are made due at once when a channel is set).
    pub post_after_ms: i64,
    /// Other work to queue once (by its dedupe key) with the capture, e.g.
    /// telling the author why the posts wait.
    pub notices: Vec<OutboxKind>,
    /// The signed request that carried it, recorded in the capture's own
    /// transaction (the replay guard: a replay fails that insert, see
    /// [`crate::store::seen_requests::is_replay`], and stores nothing);
    /// None when the request was recorded before, or is not guarded.
    pub seen: Option<SeenRequest>,
}

struct Job {
    workspace: WorkspaceId,
    capture: NewCapture,
    now_ms: i64,
}

/// Where captures wait for the next group commit.
#[derive(Debug, Clone)]
pub struct CaptureQueue {
    jobs: Batcher<Job, i64>,
}

impl CaptureQueue {
    /// Starts the committers: one on SQLite (it has one writer), a few on
    /// PostgreSQL (groups commit while others are being written), each
    /// with a connection of `pool` it keeps (see [`Held`]).
    pub(crate) fn start(pool: AnyPool, backend: Backend) -> (Self, Held) {
        let committers = Self::committers(backend);
        let held = Held::new(pool, backend, committers);
        let conns = held.clone();
        let jobs = Batcher::start(committers, MAX_GROUP, move |group: Vec<Job>| {
            let conns = conns.clone();
            async move { all_or_each(&group, "captures", |jobs| group::write(&conns, backend, jobs)).await }
        });
        (Self { jobs }, held)
    }

    /// How many groups commit at once: the connections the queue keeps.
    fn committers(backend: Backend) -> usize {
        match backend {
            Backend::Sqlite => 1,
            Backend::Postgres => 2,
        }
    }

    /// Queues a capture and waits for the commit that holds it; its
    /// customer's id (created with it, if new).
    pub async fn insert(&self, workspace: WorkspaceId, capture: NewCapture, now_ms: i64) -> Result<i64, sqlx::Error> {
        self.jobs.call(Job { workspace, capture, now_ms }).await
    }
}
