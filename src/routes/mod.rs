//! HTTP handlers: each verifies (through [`SignedRequest`](crate::slack::verify::SignedRequest)),
//! parses, hands the payload to a feature, and turns its reply into a response.

pub mod events;
pub mod interactivity;
pub mod oauth;
pub mod ops;
pub mod slash;
