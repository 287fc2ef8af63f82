//! Background work: the outbox worker that makes the app's Slack calls.

pub mod outbox;
