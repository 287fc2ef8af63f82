//! Block Kit: Slack's limits as constants, safe truncation, the builders
//! every message and view is made with, and the step from our JSON renderings
//! to slack-morphism's typed blocks.
//!
//! The builders ([`layout`]: blocks; [`elements`]: buttons, options, selects,
//! inputs, date pickers; [`views`]: modals and the Home tab) render JSON
//! directly and apply each of Slack's limits once: text people read is cut
//! with `…`; identifiers and values are the app's own and only checked in
//! debug builds.
//! Limits: <https://docs.slack.dev/reference/block-kit/blocks>.

use serde_json::Value;
use slack_morphism::prelude::{SlackBlock, SlackMessageContent};

pub mod elements;
pub mod layout;
pub mod views;

pub use elements::{
    button, checkboxes, datepicker, external_select, option, plain_text_input, static_select, Button, Checkboxes,
    DatePicker, Select, TextInput,
};
pub use layout::{actions, context, context_of, divider, header, input, section, section_with_accessory, Input};
pub use views::{home, modal, Modal};

/// Blocks in one message.
pub const MAX_MESSAGE_BLOCKS: usize = 50;
/// Blocks in a modal or the Home tab.
pub const MAX_VIEW_BLOCKS: usize = 100;
/// Characters in a section's text.
pub const MAX_SECTION_TEXT: usize = 3000;
/// Characters in a text object (a context element's text, among others).
pub const MAX_TEXT: usize = 3000;
/// Characters in a header.
pub const MAX_HEADER_TEXT: usize = 150;
/// Elements in a context block.
pub const MAX_CONTEXT_ELEMENTS: usize = 10;
/// Elements in an actions block.
pub const MAX_ACTIONS_ELEMENTS: usize = 25;
/// Characters in an `action_id` or a `block_id`.
pub const MAX_ID: usize = 255;
/// Options in a static select.
pub const MAX_SELECT_OPTIONS: usize = 100;
/// Characters in an option's text.
pub const MAX_OPTION_TEXT: usize = 75;
/// Characters in an option's value.
pub const MAX_OPTION_VALUE: usize = 150;
/// Longest button text.
pub const MAX_BUTTON_TEXT: usize = 75;
/// Characters in a button's value.
pub const MAX_BUTTON_VALUE: usize = 2000;
/// Characters in an input's label.
pub const MAX_LABEL: usize = 2000;
/// Characters in an input's hint (the grey line under it).
pub const MAX_HINT: usize = 2000;
/// Characters in a placeholder.
pub const MAX_PLACEHOLDER: usize = 150;
/// Characters in a modal's title, submit and close labels.
pub const MAX_VIEW_TITLE: usize = 24;
/// Characters in a modal's private metadata.
pub const MAX_PRIVATE_METADATA: usize = 3000;
/// Characters of a message's fallback `text` we send (Slack truncates at 40,000).
pub const MAX_FALLBACK_TEXT: usize = 3000;

/// A message to post: blocks and the plain fallback text.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Message {
    /// Notification and accessibility text.
    pub text: String,
    /// Block Kit blocks, as JSON.
    pub blocks: Vec<Value>,
}

impl Message {
    /// A message of at most [`MAX_MESSAGE_BLOCKS`] blocks (any past it are left out).
    pub fn new(text: impl Into<String>, mut blocks: Vec<Value>) -> Self {
        blocks.truncate(MAX_MESSAGE_BLOCKS);
        Self { text: text.into(), blocks }
    }

    /// The message with an *Open in browser* line to `url`, the matching
    /// page of the evidence library (docs/design.md, The evidence library),
    /// when there is one; it takes the last block's place in a full message.
    pub fn with_browser_link(mut self, url: Option<String>) -> Self {
        if let Some(url) = url {
            self.blocks.truncate(MAX_MESSAGE_BLOCKS - 1);
            self.blocks.push(browser_link(&url));
        }
        self
    }

    /// The message as slack-morphism content.
    pub fn content(&self) -> Result<SlackMessageContent, serde_json::Error> {
        Ok(SlackMessageContent::new()
            .with_text(truncate(&self.text, MAX_FALLBACK_TEXT))
            .with_blocks(typed_blocks(&self.blocks)?))
    }
}

/// The *Open in browser* line: a context block linking to a library page.
pub fn browser_link(url: &str) -> Value {
    context(&format!("🌐 {}", crate::slack::mrkdwn::link(url, "Open in browser")))
}

/// JSON blocks as slack-morphism's types (rendering bugs surface here, in tests).
pub fn typed_blocks(blocks: &[Value]) -> Result<Vec<SlackBlock>, serde_json::Error> {
    blocks.iter().cloned().map(serde_json::from_value).collect()
}

/// Cuts plain text to `max` characters, ending with `…` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Cuts escaped mrkdwn to `max` characters without leaving half an `&amp;`.
pub fn truncate_mrkdwn(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    if let Some(amp) = out.rfind('&') {
        if !out[amp..].contains(';') {
            out.truncate(amp);
        }
    }
    // Half a `<url|label>` would show as broken markup: cut before it.
    if let Some(open) = out.rfind('<') {
        if !out[open..].contains('>') {
            out.truncate(open);
        }
    }
    out.push('…');
    out
}

/// A plain-text object.
pub fn plain(text: &str) -> Value {
    serde_json::json!({ "type": "plain_text", "text": text, "emoji": true })
}

/// A mrkdwn text object (the text must already be escaped).
pub fn mrkdwn(text: &str) -> Value {
    serde_json::json!({ "type": "mrkdwn", "text": text })
}

/// Checks, in debug builds, that an identifier of ours fits Slack's limit.
fn check_id(id: &str) {
    debug_assert!(id.chars().count() <= MAX_ID, "a Block Kit id over {MAX_ID} characters: {id}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_respects_characters_and_entities() {
        assert_eq!(truncate("héllo", 10), "héllo");
        assert_eq!(truncate("héllo wörld", 5), "héll…");
        assert_eq!(truncate_mrkdwn("ab &amp; cd", 6), "ab …");
        assert_eq!(truncate_mrkdwn("ab &amp; cd", 9), "ab &amp;…");
        assert_eq!(truncate(&"x".repeat(4000), MAX_SECTION_TEXT).chars().count(), MAX_SECTION_TEXT);
        assert_eq!(truncate_mrkdwn("see <https://x.io/abc|the doc> now", 20), "see …");
        assert_eq!(truncate_mrkdwn("see <https://x.io|doc> now and later", 25), "see <https://x.io|doc> n…");
    }
}
