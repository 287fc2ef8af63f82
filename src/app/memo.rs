//! Reads a replica keeps for a short while, one per workspace: captures in a
//! burst share one read, and what another replica wrote shows here at most
//! that while late. Only for reads where that staleness is harmless (similar
//! quotes); nothing here is the truth about a workspace.
//!
//! One read per workspace is under way at a time, on a task of its own: when
//! the last read has aged, the first caller starts the next and every caller
//! meanwhile is served the last (up to [`SERVED_WHILE_READ`] times its age
//! limit), so a burst of captures never waits for it. Before, every capture
//! that came while the read was made made its own: under load, dozens of the
//! same read at once, each second, stalled every capture for up to its
//! budget (`cargo bench --bench load`, the timeline).

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::store::workspaces::WorkspaceId;

/// A read past its age limit is still served, while the next is made, until
/// it is this many times that limit old.
pub const SERVED_WHILE_READ: u32 = 10;

/// A read is kept as this.
type Kept = Arc<dyn Any + Send + Sync>;

/// A workspace's last read and the read under way.
#[derive(Default)]
struct Entry {
    /// The last read, and when it was made.
    last: Option<(Instant, Kept)>,
    /// The read under way: it has ended (kept, failed or panicked) when
    /// its task has dropped the sender.
    under_way: Option<watch::Receiver<()>>,
}

impl Entry {
    /// The read under way, if its task has not ended (a read that panicked
    /// drops its sender too, and the next caller starts another).
    fn reading(&self) -> Option<watch::Receiver<()>> {
        self.under_way.as_ref().filter(|ended| ended.has_changed().is_ok()).cloned()
    }
}

/// One recent read per workspace. Clones share it.
#[derive(Clone, Default)]
pub struct Memo(Arc<Mutex<HashMap<String, Entry>>>);

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo").field("workspaces", &self.len()).finish()
    }
}

impl Memo {
    /// The workspace's read: the last one if it was made less than `fresh_for`
    /// ago; otherwise `read` makes the next on a task of its own (one at a
    /// time per workspace: it runs to its end even when every caller has
    /// stopped waiting), and callers are served the last meanwhile, or wait
    /// for it when the last is too old or missing. `None`: the read failed.
    /// A zero `fresh_for` reads every time, on the caller's task.
    pub async fn read<T, F, Fut>(&self, workspace: &WorkspaceId, fresh_for: Duration, read: F) -> Option<Arc<T>>
    where
        T: Any + Send + Sync,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Option<T>> + Send + 'static,
    {
        if fresh_for.is_zero() {
            return read().await.map(Arc::new);
        }
        let mut done = {
            let mut entries = self.0.lock().ok()?;
            let entry = entries.entry(workspace.as_str().to_owned()).or_default();
            let last = entry.last.as_ref().map(|(at, kept)| (at.elapsed(), kept.clone()));
            if let Some((age, kept)) = &last {
                if *age < fresh_for {
                    return kept.clone().downcast().ok();
                }
            }
            let done = match entry.reading() {
                Some(done) => done,
                None => {
                    let (running, done) = watch::channel(());
                    entry.under_way = Some(done.clone());
                    let (memo, workspace, read) = (self.clone(), workspace.clone(), read());
                    tokio::spawn(async move {
                        let kept = read.await.map(|value| Arc::new(value) as Kept);
                        memo.finish(&workspace, kept, fresh_for);
                        drop(running);
                    });
                    done
                }
            };
            if let Some((age, kept)) = last {
                if age < fresh_for * SERVED_WHILE_READ {
                    return kept.downcast().ok();
                }
            }
            done
        };
        // Only the sender's drop ends the wait (nothing is ever sent).
        let _ = done.changed().await;
        let entries = self.0.lock().ok()?;
        let (_, kept) = entries.get(workspace.as_str())?.last.as_ref()?;
        kept.clone().downcast().ok()
    }

    /// Keeps a finished read (or keeps the last, if it failed), and forgets
    /// reads too old to be served (so memory follows the workspaces active
    /// now, not every workspace seen).
    fn finish(&self, workspace: &WorkspaceId, read: Option<Kept>, fresh_for: Duration) {
        let Ok(mut entries) = self.0.lock() else { return };
        if let Some(entry) = entries.get_mut(workspace.as_str()) {
            entry.under_way = None;
            if let Some(read) = read {
                entry.last = Some((Instant::now(), read));
            }
        }
        entries.retain(|_, entry| {
            entry.reading().is_some()
                || entry.last.as_ref().is_some_and(|(at, _)| at.elapsed() < fresh_for * SERVED_WHILE_READ)
        });
    }

    /// How many workspaces' reads are held.
    pub fn len(&self) -> usize {
        self.0.lock().map(|entries| entries.len()).unwrap_or_default()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::sync::Semaphore;

    use super::*;

    const FRESH: Duration = Duration::from_secs(1);

    /// A read that counts itself and returns its number once `gate` lets it.
    fn counted(
        reads: &Arc<AtomicUsize>,
        gate: &Arc<Semaphore>,
    ) -> impl Future<Output = Option<usize>> + Send + 'static {
        let (reads, gate) = (reads.clone(), gate.clone());
        async move {
            let n = reads.fetch_add(1, Ordering::SeqCst) + 1;
            gate.acquire_owned().await.ok()?.forget();
            Some(n)
        }
    }

    fn ws(id: &str) -> WorkspaceId {
        WorkspaceId(id.into())
    }

    #[tokio::test(start_paused = true)]
    async fn a_fresh_read_is_served_without_reading_again() {
        let (memo, reads, gate) = (Memo::default(), Arc::new(AtomicUsize::new(0)), Arc::new(Semaphore::new(100)));
        assert_eq!(memo.read(&ws("T1"), FRESH, || counted(&reads, &gate)).await.as_deref(), Some(&1));
        tokio::time::advance(FRESH / 2).await;
        assert_eq!(memo.read(&ws("T1"), FRESH, || counted(&reads, &gate)).await.as_deref(), Some(&1));
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        // Another workspace has its own read.
        assert_eq!(memo.read(&ws("T2"), FRESH, || counted(&reads, &gate)).await.as_deref(), Some(&2));
    }

    #[tokio::test(start_paused = true)]
    async fn callers_of_an_aged_read_are_served_it_while_one_read_is_made() {
        let (memo, reads, gate) = (Memo::default(), Arc::new(AtomicUsize::new(0)), Arc::new(Semaphore::new(1)));
        assert_eq!(memo.read(&ws("T1"), FRESH, || counted(&reads, &gate)).await.as_deref(), Some(&1));
        tokio::time::advance(FRESH * 2).await;
        // The gate is shut: the next read stays under way, and no caller waits for it.
        for _ in 0..20 {
            assert_eq!(memo.read(&ws("T1"), FRESH, || counted(&reads, &gate)).await.as_deref(), Some(&1));
        }
        while reads.load(Ordering::SeqCst) < 2 {
            tokio::task::yield_now().await;
        }
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert_eq!(reads.load(Ordering::SeqCst), 2, "one read for the twenty callers");
        gate.add_permits(1);
        while memo.read(&ws("T1"), FRESH, || counted(&reads, &gate)).await.as_deref() != Some(&2) {
            tokio::task::yield_now().await;
        }
        assert_eq!(reads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn with_nothing_recent_callers_wait_for_the_one_read_under_way() {
        let (memo, reads, gate) = (Memo::default(), Arc::new(AtomicUsize::new(0)), Arc::new(Semaphore::new(0)));
        let callers: Vec<_> = (0..10)
            .map(|_| {
                let (memo, reads, gate) = (memo.clone(), reads.clone(), gate.clone());
                tokio::spawn(async move { memo.read(&ws("T1"), FRESH, || counted(&reads, &gate)).await })
            })
            .collect();
        while reads.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        gate.add_permits(1);
        for caller in callers {
            assert_eq!(caller.await.expect("caller").as_deref(), Some(&1));
        }
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        // Too old to be served while the next is read: callers wait for it.
        tokio::time::advance(FRESH * (SERVED_WHILE_READ + 1)).await;
        gate.add_permits(1);
        assert_eq!(memo.read(&ws("T1"), FRESH, || counted(&reads, &gate)).await.as_deref(), Some(&2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_read_whose_callers_stopped_waiting_is_still_kept() {
        let (memo, reads, gate) = (Memo::default(), Arc::new(AtomicUsize::new(0)), Arc::new(Semaphore::new(0)));
        let gave_up = tokio::time::timeout(FRESH, memo.read(&ws("T1"), FRESH, || counted(&reads, &gate))).await;
        assert!(gave_up.is_err(), "the read is held at the gate");
        gate.add_permits(1);
        // The read runs on: its result is served, and nothing is read again.
        assert_eq!(memo.read(&ws("T1"), FRESH * 10, || counted(&reads, &gate)).await.as_deref(), Some(&1));
        assert_eq!(reads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_read_is_tried_again_by_the_next_caller() {
        let memo = Memo::default();
        let failed: Option<Arc<u8>> = memo.read(&ws("T1"), FRESH, || async { None::<u8> }).await;
        assert!(failed.is_none());
        assert_eq!(memo.read(&ws("T1"), FRESH, || async { Some(7u8) }).await.as_deref(), Some(&7));
    }

    async fn breaks() -> Option<u8> {
        panic!("the read broke")
    }

    #[tokio::test(start_paused = true)]
    async fn a_read_that_panicked_does_not_stop_the_next() {
        let memo = Memo::default();
        assert!(memo.read(&ws("T1"), FRESH, breaks).await.is_none(), "its callers get nothing");
        assert_eq!(memo.read(&ws("T1"), FRESH, || async { Some(7u8) }).await.as_deref(), Some(&7));
    }

    #[tokio::test(start_paused = true)]
    async fn zero_reads_every_time_and_keeps_nothing() {
        let (memo, reads, gate) = (Memo::default(), Arc::new(AtomicUsize::new(0)), Arc::new(Semaphore::new(100)));
        for n in 1..=3 {
            assert_eq!(memo.read(&ws("T1"), Duration::ZERO, || counted(&reads, &gate)).await.as_deref(), Some(&n));
        }
        assert!(memo.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn reads_too_old_to_be_served_are_forgotten() {
        let memo = Memo::default();
        memo.read(&ws("T1"), FRESH, || async { Some(1u8) }).await;
        tokio::time::advance(FRESH * SERVED_WHILE_READ).await;
        memo.read(&ws("T2"), FRESH, || async { Some(2u8) }).await;
        assert_eq!(memo.len(), 1, "only T2's read is held");
    }
}
