//! Slack transport: verifying requests, reading payloads, rendering Block Kit,
//! and calling the Web API. No product rules live here.

pub mod client;
pub mod payload;
pub mod verify;
