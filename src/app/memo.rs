//! Reads a replica keeps for a short while, one per workspace: captures in a
//! burst share one read, and what another replica wrote shows here at most
//! that while late. Only for reads where that staleness is harmless (similar
//! quotes); nothing here is the truth about a workspace.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::store::workspaces::WorkspaceId;

/// A workspace's last read, and when it was made.
type Remembered = (Instant, Arc<dyn Any + Send + Sync>);

/// One recent read per workspace.
#[derive(Debug, Default)]
pub struct Memo(Mutex<HashMap<String, Remembered>>);

impl Memo {
    /// The workspace's read, if it was made less than `remembered_for` ago.
    pub fn fresh<T: Any + Send + Sync>(&self, workspace: &WorkspaceId, remembered_for: Duration) -> Option<Arc<T>> {
        let remembered = self.0.lock().ok()?;
        let (at, read) = remembered.get(workspace.as_str())?;
        if at.elapsed() >= remembered_for {
            return None;
        }
        read.clone().downcast().ok()
    }

    /// Keeps a workspace's read, and forgets the reads too old to be used (so
    /// memory follows the workspaces active now, not every workspace seen).
    pub fn keep<T: Any + Send + Sync>(&self, workspace: &WorkspaceId, read: Arc<T>, remembered_for: Duration) {
        if let Ok(mut remembered) = self.0.lock() {
            remembered.retain(|_, (at, _)| at.elapsed() < remembered_for);
            remembered.insert(workspace.as_str().to_owned(), (Instant::now(), read));
        }
    }

    /// How many workspaces' reads are held.
    pub fn len(&self) -> usize {
        self.0.lock().map(|remembered| remembered.len()).unwrap_or_default()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reads_young_enough_to_be_used_are_held() {
        let memory = Memo::default();
        let read = || Arc::new(vec![1u8]);
        memory.keep(&WorkspaceId("T1".into()), read(), Duration::from_secs(60));
        memory.keep(&WorkspaceId("T2".into()), read(), Duration::from_secs(60));
        assert_eq!(memory.len(), 2);
        assert!(memory.fresh::<Vec<u8>>(&WorkspaceId("T1".into()), Duration::from_secs(60)).is_some());
        // Nothing is young enough at zero: only the newest read stays.
        memory.keep(&WorkspaceId("T3".into()), read(), Duration::ZERO);
        assert_eq!(memory.len(), 1);
        assert!(memory.fresh::<Vec<u8>>(&WorkspaceId("T3".into()), Duration::ZERO).is_none(), "zero: read every time");
    }

    #[test]
    fn a_read_comes_back_only_as_its_own_type() {
        let memo = Memo::default();
        memo.keep(&WorkspaceId("T1".into()), Arc::new(vec![1u8]), Duration::from_secs(60));
        assert_eq!(
            memo.fresh::<Vec<u8>>(&WorkspaceId("T1".into()), Duration::from_secs(60)).as_deref(),
            Some(&vec![1u8])
        );
        assert!(memo.fresh::<String>(&WorkspaceId("T1".into()), Duration::from_secs(60)).is_none());
        assert!(memo.fresh::<Vec<u8>>(&WorkspaceId("T2".into()), Duration::from_secs(60)).is_none());
    }
}
