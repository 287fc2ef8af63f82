//! Views: a modal and the App Home tab.

use serde_json::{json, Value};

use super::{plain, truncate, MAX_PRIVATE_METADATA, MAX_VIEW_BLOCKS, MAX_VIEW_TITLE};

/// A modal: its title cut to [`MAX_VIEW_TITLE`] characters, its blocks to
/// the first [`MAX_VIEW_BLOCKS`].
pub fn modal(title: &str, blocks: Vec<Value>) -> Modal {
    Modal { title: truncate(title, MAX_VIEW_TITLE), blocks, ..Modal::default() }
}

/// A modal being built; see [`modal`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Modal {
    title: String,
    blocks: Vec<Value>,
    callback_id: Option<String>,
    submit: Option<String>,
    close: Option<String>,
    private_metadata: Option<String>,
}

impl Modal {
    /// Names the form, so its submission is routed back to it.
    pub fn callback_id(mut self, id: &str) -> Self {
        super::check_id(id);
        self.callback_id = Some(id.to_owned());
        self
    }

    /// The submit button's label, cut to [`MAX_VIEW_TITLE`] characters.
    pub fn submit(mut self, label: &str) -> Self {
        self.submit = Some(truncate(label, MAX_VIEW_TITLE));
        self
    }

    /// The close button's label, cut to [`MAX_VIEW_TITLE`] characters.
    pub fn close(mut self, label: &str) -> Self {
        self.close = Some(truncate(label, MAX_VIEW_TITLE));
        self
    }

    /// What the form carries to its submission. Cutting it would spoil it, so
    /// the caller keeps it within [`MAX_PRIVATE_METADATA`] less the app's seal
    /// ([`crate::slack::verify::SEAL_LEN`]); debug builds check.
    pub fn private_metadata(mut self, metadata: impl Into<String>) -> Self {
        let metadata = metadata.into();
        debug_assert!(
            metadata.chars().count() <= MAX_PRIVATE_METADATA - crate::slack::verify::SEAL_LEN,
            "private_metadata leaves no room for the seal"
        );
        self.private_metadata = Some(metadata);
        self
    }
}

impl From<Modal> for Value {
    fn from(m: Modal) -> Self {
        let blocks: Vec<Value> = m.blocks.into_iter().take(MAX_VIEW_BLOCKS).collect();
        let mut view = json!({ "type": "modal", "title": plain(&m.title), "blocks": blocks });
        if let Some(id) = m.callback_id {
            view["callback_id"] = Value::String(id);
        }
        if let Some(submit) = m.submit {
            view["submit"] = plain(&submit);
        }
        if let Some(close) = m.close {
            view["close"] = plain(&close);
        }
        if let Some(metadata) = m.private_metadata {
            view["private_metadata"] = Value::String(metadata);
        }
        view
    }
}

/// The App Home tab: the first [`MAX_VIEW_BLOCKS`] blocks.
pub fn home(mut blocks: Vec<Value>) -> Value {
    blocks.truncate(MAX_VIEW_BLOCKS);
    json!({ "type": "home", "blocks": blocks })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slack::blocks::section;

    #[test]
    fn a_modal_cuts_its_title_and_labels_to_24_characters() {
        let view: Value =
            modal(&"t".repeat(30), vec![]).submit(&"s".repeat(30)).close("Cancel").callback_id("form").into();
        for key in ["title", "submit"] {
            let text = view[key]["text"].as_str().expect("text");
            assert_eq!(text.chars().count(), MAX_VIEW_TITLE, "{key}");
            assert!(text.ends_with('…'));
        }
        assert_eq!(view["close"]["text"], "Cancel");
        assert_eq!(view["callback_id"], "form");
        assert!(view.get("private_metadata").is_none());
    }

    #[test]
    fn a_view_keeps_100_blocks() {
        let many = || (0..120).map(|i| section(&i.to_string())).collect::<Vec<_>>();
        let view: Value = modal("Many", many()).into();
        assert_eq!(view["blocks"].as_array().expect("blocks").len(), MAX_VIEW_BLOCKS);
        assert_eq!(home(many())["blocks"].as_array().expect("blocks").len(), MAX_VIEW_BLOCKS);
    }

    #[test]
    fn a_message_keeps_50_blocks() {
        let m = crate::slack::blocks::Message::new("many", (0..60).map(|i| section(&i.to_string())).collect());
        assert_eq!(m.blocks.len(), crate::slack::blocks::MAX_MESSAGE_BLOCKS);
    }
}
