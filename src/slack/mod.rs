//! Slack transport: verifying requests, reading payloads, rendering Block Kit,
//! and calling the Web API. No product rules live here.

pub mod blocks;
pub mod client;
pub mod ids;
pub mod interaction;
pub mod mrkdwn;
pub mod payload;
pub mod permalink;
pub mod proxy;
pub mod rate;
pub mod verify;
