//! Values a replica keeps per workspace and refreshes from the database now
//! and then: captures in a burst share one read, and what another replica
//! wrote shows here at most `fresh_for` late. What this replica writes is
//! added to the value by the writer as it commits (see
//! [`crate::capture::similar`]), so the value is never behind this replica's
//! own commits. Only for reads where a second's lag behind other replicas is
//! harmless (similar quotes); nothing here is the truth about a workspace.
//!
//! One refresh per workspace is under way at a time, on a task of its own:
//! once the value is half its age limit old, the first caller starts the next
//! refresh and every caller meanwhile is served the value as it is (never
//! more than `fresh_for` behind), so a burst of captures never waits for it.
//! Before, every capture that came while the read was made made its own:
//! under load, dozens of the same read at once, each second, stalled every
//! capture for up to its budget (`cargo bench --bench load`, the timeline).

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::store::workspaces::WorkspaceId;

/// A value is kept as this.
type Kept = Arc<dyn Any + Send + Sync>;

/// A workspace's value and its refreshes.
struct Entry {
    /// The value, the same one across refreshes (made empty on first use).
    value: Kept,
    /// When the last refresh that succeeded started: what it read is as of then.
    refreshed: Option<Instant>,
    /// The refresh under way: it has ended (done, failed or panicked) when
    /// its task has dropped the sender.
    under_way: Option<watch::Receiver<()>>,
}

impl Entry {
    /// The refresh under way, if its task has not ended (a refresh that
    /// panicked drops its sender too, and the next caller starts another).
    fn refreshing(&self) -> Option<watch::Receiver<()>> {
        self.under_way.as_ref().filter(|ended| ended.has_changed().is_ok()).cloned()
    }

    fn age(&self) -> Option<Duration> {
        self.refreshed.map(|at| at.elapsed())
    }
}

/// One value per workspace. Clones share it.
#[derive(Clone, Default)]
pub struct Memo(Arc<Mutex<HashMap<String, Entry>>>);

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo").field("workspaces", &self.len()).finish()
    }
}

impl Memo {
    /// The workspace's value, refreshed less than `fresh_for` ago. Once it
    /// is half that old, `refresh` is given the value to refresh in place on
    /// a task of its own (one at a time per workspace: it runs to its end
    /// even when every caller has stopped waiting; true when it succeeded),
    /// and callers are served the value meanwhile, or wait for the refresh
    /// when the value is `fresh_for` old or was never refreshed. `None`: no
    /// refresh has succeeded. A zero `fresh_for` refreshes every time, on
    /// the caller's task.
    pub async fn read<T, F, Fut>(&self, workspace: &WorkspaceId, fresh_for: Duration, refresh: F) -> Option<Arc<T>>
    where
        T: Any + Send + Sync + Default,
        F: FnOnce(Arc<T>) -> Fut,
        Fut: Future<Output = bool> + Send + 'static,
    {
        if fresh_for.is_zero() {
            let value = self.value::<T>(workspace)?;
            return refresh(value.clone()).await.then_some(value);
        }
        let mut done = {
            let mut entries = self.0.lock().ok()?;
            let entry = Self::entry::<T>(&mut entries, workspace);
            let value: Arc<T> = entry.value.clone().downcast().ok()?;
            let age = entry.age();
            if age.is_some_and(|age| age < fresh_for / 2) {
                return Some(value);
            }
            let done = match entry.refreshing() {
                Some(done) => done,
                None => {
                    let (running, done) = watch::channel(());
                    entry.under_way = Some(done.clone());
                    let (memo, workspace, started) = (self.clone(), workspace.clone(), Instant::now());
                    let refresh = refresh(value.clone());
                    tokio::spawn(async move {
                        let ok = refresh.await;
                        memo.finish(&workspace, ok.then_some(started), fresh_for);
                        drop(running);
                    });
                    done
                }
            };
            if age.is_some_and(|age| age < fresh_for) {
                return Some(value);
            }
            done
        };
        // Only the sender's drop ends the wait (nothing is ever sent).
        let _ = done.changed().await;
        let entries = self.0.lock().ok()?;
        let entry = entries.get(workspace.as_str())?;
        entry.refreshed?;
        entry.value.clone().downcast().ok()
    }

    /// The workspace's value, made empty on first use.
    fn value<T: Any + Send + Sync + Default>(&self, workspace: &WorkspaceId) -> Option<Arc<T>> {
        let mut entries = self.0.lock().ok()?;
        Self::entry::<T>(&mut entries, workspace).value.clone().downcast().ok()
    }

    /// The workspace's value, if one is kept now (for a writer to add what
    /// it just committed: with none kept, the next read reads it anyway).
    pub fn peek<T: Any + Send + Sync>(&self, workspace: &WorkspaceId) -> Option<Arc<T>> {
        let entries = self.0.lock().ok()?;
        entries.get(workspace.as_str())?.value.clone().downcast().ok()
    }

    fn entry<'a, T: Any + Send + Sync + Default>(
        entries: &'a mut HashMap<String, Entry>,
        workspace: &WorkspaceId,
    ) -> &'a mut Entry {
        entries.entry(workspace.as_str().to_owned()).or_insert_with(|| Entry {
            value: Arc::new(T::default()),
            refreshed: None,
            under_way: None,
        })
    }

    /// Records a finished refresh (`started`: when it began, if it
    /// succeeded), and forgets values too old to be served (so memory
    /// follows the workspaces active now, not every workspace seen).
    fn finish(&self, workspace: &WorkspaceId, started: Option<Instant>, fresh_for: Duration) {
        let Ok(mut entries) = self.0.lock() else { return };
        if let Some(entry) = entries.get_mut(workspace.as_str()) {
            entry.under_way = None;
            if started.is_some() {
                entry.refreshed = started;
            }
        }
        entries.retain(|_, entry| entry.refreshing().is_some() || entry.age().is_some_and(|age| age < fresh_for * 10));
    }

    /// How many workspaces' values are held.
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

    /// A value refreshed in place: the number of the refresh that last set it.
    #[derive(Default)]
    struct Counted(AtomicUsize);

    impl Counted {
        fn get(&self) -> usize {
            self.0.load(Ordering::SeqCst)
        }
    }

    /// A refresh that counts itself and sets the value to its number once
    /// `gate` lets it.
    fn counted(
        refreshes: &Arc<AtomicUsize>,
        gate: &Arc<Semaphore>,
    ) -> impl FnOnce(Arc<Counted>) -> std::pin::Pin<Box<dyn Future<Output = bool> + Send>> {
        let (refreshes, gate) = (refreshes.clone(), gate.clone());
        move |value: Arc<Counted>| {
            Box::pin(async move {
                let n = refreshes.fetch_add(1, Ordering::SeqCst) + 1;
                let Ok(permit) = gate.acquire_owned().await else { return false };
                permit.forget();
                value.0.store(n, Ordering::SeqCst);
                true
            })
        }
    }

    fn ws(id: &str) -> WorkspaceId {
        WorkspaceId(id.into())
    }

    async fn read(memo: &Memo, id: &str, refreshes: &Arc<AtomicUsize>, gate: &Arc<Semaphore>) -> Option<usize> {
        memo.read(&ws(id), FRESH, counted(refreshes, gate)).await.map(|v: Arc<Counted>| v.get())
    }

    fn setup(permits: usize) -> (Memo, Arc<AtomicUsize>, Arc<Semaphore>) {
        (Memo::default(), Arc::new(AtomicUsize::new(0)), Arc::new(Semaphore::new(permits)))
    }

    #[tokio::test(start_paused = true)]
    async fn a_fresh_value_is_served_without_refreshing() {
        let (memo, refreshes, gate) = setup(100);
        assert_eq!(read(&memo, "T1", &refreshes, &gate).await, Some(1));
        tokio::time::advance(FRESH / 4).await;
        assert_eq!(read(&memo, "T1", &refreshes, &gate).await, Some(1));
        assert_eq!(refreshes.load(Ordering::SeqCst), 1);
        // Another workspace has its own value.
        assert_eq!(read(&memo, "T2", &refreshes, &gate).await, Some(2));
    }

    #[tokio::test(start_paused = true)]
    async fn callers_of_a_half_aged_value_are_served_it_while_one_refresh_is_made() {
        let (memo, refreshes, gate) = setup(1);
        assert_eq!(read(&memo, "T1", &refreshes, &gate).await, Some(1));
        tokio::time::advance(FRESH * 3 / 4).await;
        // The gate is shut: the next refresh stays under way, and no caller waits for it.
        for _ in 0..20 {
            assert_eq!(read(&memo, "T1", &refreshes, &gate).await, Some(1));
        }
        while refreshes.load(Ordering::SeqCst) < 2 {
            tokio::task::yield_now().await;
        }
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert_eq!(refreshes.load(Ordering::SeqCst), 2, "one refresh for the twenty callers");
        gate.add_permits(1);
        while read(&memo, "T1", &refreshes, &gate).await != Some(2) {
            tokio::task::yield_now().await;
        }
        assert_eq!(refreshes.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_value_as_old_as_its_limit_is_never_served_callers_wait_for_the_refresh() {
        let (memo, refreshes, gate) = setup(0);
        let callers: Vec<_> = (0..10)
            .map(|_| {
                let (memo, refreshes, gate) = (memo.clone(), refreshes.clone(), gate.clone());
                tokio::spawn(async move { read(&memo, "T1", &refreshes, &gate).await })
            })
            .collect();
        while refreshes.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        gate.add_permits(1);
        for caller in callers {
            assert_eq!(caller.await.expect("caller"), Some(1));
        }
        assert_eq!(refreshes.load(Ordering::SeqCst), 1);
        tokio::time::advance(FRESH).await;
        gate.add_permits(1);
        assert_eq!(read(&memo, "T1", &refreshes, &gate).await, Some(2), "waited for the refresh");
    }

    #[tokio::test(start_paused = true)]
    async fn a_refresh_whose_callers_stopped_waiting_still_runs() {
        let (memo, refreshes, gate) = setup(0);
        let gave_up = tokio::time::timeout(FRESH, read(&memo, "T1", &refreshes, &gate)).await;
        assert!(gave_up.is_err(), "the refresh is held at the gate");
        gate.add_permits(1);
        let value = memo.read(&ws("T1"), FRESH * 10, counted(&refreshes, &gate)).await;
        assert_eq!(value.map(|v: Arc<Counted>| v.get()), Some(1));
        assert_eq!(refreshes.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn the_value_a_writer_adds_to_is_the_one_callers_are_served() {
        let (memo, refreshes, gate) = setup(100);
        assert!(memo.peek::<Counted>(&ws("T1")).is_none(), "nothing kept yet");
        assert_eq!(read(&memo, "T1", &refreshes, &gate).await, Some(1));
        memo.peek::<Counted>(&ws("T1")).expect("kept").0.store(42, Ordering::SeqCst);
        assert_eq!(read(&memo, "T1", &refreshes, &gate).await, Some(42));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_refresh_is_tried_again_by_the_next_caller() {
        let memo = Memo::default();
        let failed = memo.read(&ws("T1"), FRESH, |_: Arc<Counted>| async { false }).await;
        assert!(failed.is_none());
        assert_eq!(memo.read(&ws("T1"), FRESH, sets_seven).await.map(|v| v.get()), Some(7));
    }

    async fn sets_seven(value: Arc<Counted>) -> bool {
        value.0.store(7, Ordering::SeqCst);
        true
    }

    async fn breaks(_: Arc<Counted>) -> bool {
        panic!("the refresh broke")
    }

    #[tokio::test(start_paused = true)]
    async fn a_refresh_that_panicked_does_not_stop_the_next() {
        let memo = Memo::default();
        assert!(memo.read(&ws("T1"), FRESH, breaks).await.is_none(), "its callers get nothing");
        assert_eq!(memo.read(&ws("T1"), FRESH, sets_seven).await.map(|v| v.get()), Some(7));
    }

    #[tokio::test(start_paused = true)]
    async fn zero_refreshes_every_time() {
        let (memo, refreshes, gate) = setup(100);
        for n in 1..=3 {
            let value = memo.read(&ws("T1"), Duration::ZERO, counted(&refreshes, &gate)).await;
            assert_eq!(value.map(|v: Arc<Counted>| v.get()), Some(n));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn values_too_old_to_be_served_are_forgotten() {
        let (memo, refreshes, gate) = setup(100);
        read(&memo, "T1", &refreshes, &gate).await;
        tokio::time::advance(FRESH * 10).await;
        read(&memo, "T2", &refreshes, &gate).await;
        assert_eq!(memo.len(), 1, "only T2's value is held");
    }
}
