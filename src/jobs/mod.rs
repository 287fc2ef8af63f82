//! Background work: the outbox worker that makes the app's Slack calls, and
//! the scheduler that queues digests.

pub mod outbox;
pub mod scheduler;
