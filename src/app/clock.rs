//! Where the time comes from ([`Clock`]): the system clock, or one a test
//! holds still or moves on.

use std::sync::Arc;

use jiff::Timestamp;

/// Where the time comes from: the system clock, or a fixed one in tests.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> Timestamp + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(Arc::new(Timestamp::now))
    }

    /// The system clock, put forward by the milliseconds `ahead` holds: a test
    /// moves time on by adding to it.
    pub fn system_ahead(ahead: Arc<std::sync::atomic::AtomicI64>) -> Self {
        Self(Arc::new(move || {
            let ahead = ahead.load(std::sync::atomic::Ordering::Relaxed);
            Timestamp::now() + jiff::SignedDuration::from_millis(ahead)
        }))
    }

    /// A clock that always says `at`.
    pub fn fixed(at: Timestamp) -> Self {
        Self(Arc::new(move || at))
    }

    /// Now.
    pub fn now(&self) -> Timestamp {
        (self.0)()
    }

    /// Now, in unix milliseconds (how the store keeps time).
    pub fn now_ms(&self) -> i64 {
        self.now().as_millisecond()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}
