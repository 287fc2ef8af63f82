//! The context's tasks part ([`Tasks`]): the work requests start on tasks of
//! their own, which shutdown waits for.

use std::future::Future;

use tokio_util::task::TaskTracker;
use tracing::Instrument as _;

use crate::error::AppError;

/// Every task a request started. Cheap to clone: clones track the same tasks.
#[derive(Debug, Clone, Default)]
pub struct Tasks(TaskTracker);

impl Tasks {
    /// Runs a request's unit of work on a task of its own and waits for it. A
    /// client that hangs up drops the waiting, never the work: a transaction is
    /// never left half done (Slack itself hangs up after 3 seconds).
    pub async fn run_to_completion<T: Send + 'static>(
        &self,
        work: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, AppError> {
        let work = work.instrument(tracing::Span::current());
        self.0.spawn(work).await.map_err(|e| anyhow::anyhow!("request task ended abnormally: {e}").into())
    }

    /// Starts work that outlives the request (e.g. `views.open`, which must
    /// happen within the trigger's 3 seconds); shutdown waits for it.
    pub fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        self.0.spawn(work.instrument(tracing::Span::current()));
    }

    /// Waits (at most `limit`) for the tasks requests started.
    pub async fn wait(&self, limit: std::time::Duration) {
        self.0.close();
        if tokio::time::timeout(limit, self.0.wait()).await.is_err() {
            tracing::warn!(left = self.0.len(), "request tasks still running at shutdown");
        }
    }
}
