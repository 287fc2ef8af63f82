//! Validated values every layer shares: the store keeps them, features build
//! them from what people type, messages render them. Nothing here reads the
//! database or calls Slack.

pub mod area;
pub mod customer;
pub mod highlight;
pub mod pii;
pub mod shown;

pub use area::{AreaName, AreaRef};
pub use customer::{customer_key, CustomerName};
pub use highlight::{Kind, Quote, RecordingLink, RecordingTime};
pub use shown::ShownCustomer;

/// `text` with its runs of whitespace made one space and its ends trimmed:
/// names and fields as people mean them, however they were typed.
pub fn one_space(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
