//! Capture: the customer's words from `/highlight`, the capture modal and the
//! "Save as highlight" shortcut, stored at once and posted through the outbox
//! into the customer's thread (docs/design.md, Capture pipeline).

pub mod handle;
pub mod messages;
pub mod modal;
pub mod post;
pub mod questions;
pub mod quick;
pub mod similar;
