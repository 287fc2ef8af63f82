//! Layout blocks: section, header, divider, context, actions, input. Each
//! applies Slack's limits to what it is given.

use serde_json::{json, Value};

use super::{
    check_id, mrkdwn, plain, truncate, truncate_mrkdwn, MAX_ACTIONS_ELEMENTS, MAX_CONTEXT_ELEMENTS, MAX_HEADER_TEXT,
    MAX_HINT, MAX_LABEL, MAX_SECTION_TEXT, MAX_TEXT,
};

/// A section of escaped mrkdwn, cut to [`MAX_SECTION_TEXT`] characters.
pub fn section(text: &str) -> Value {
    json!({ "type": "section", "text": mrkdwn(&truncate_mrkdwn(text, MAX_SECTION_TEXT)) })
}

/// A section with an element (a button, say) at its right.
pub fn section_with_accessory(text: &str, accessory: impl Into<Value>) -> Value {
    let mut block = section(text);
    block["accessory"] = accessory.into();
    block
}

/// A header of plain text, cut to [`MAX_HEADER_TEXT`] characters.
pub fn header(text: &str) -> Value {
    json!({ "type": "header", "text": plain(&truncate(text, MAX_HEADER_TEXT)) })
}

/// A divider.
pub fn divider() -> Value {
    json!({ "type": "divider" })
}

/// A context block of one line of escaped mrkdwn, cut to [`MAX_TEXT`] characters.
pub fn context(text: &str) -> Value {
    context_of([mrkdwn(&truncate_mrkdwn(text, MAX_TEXT))])
}

/// A context block of text objects or images: the first [`MAX_CONTEXT_ELEMENTS`].
pub fn context_of(elements: impl IntoIterator<Item = Value>) -> Value {
    let elements: Vec<Value> = elements.into_iter().take(MAX_CONTEXT_ELEMENTS).collect();
    json!({ "type": "context", "elements": elements })
}

/// An actions block (buttons, selects): the first [`MAX_ACTIONS_ELEMENTS`].
pub fn actions<E: Into<Value>>(block_id: &str, elements: impl IntoIterator<Item = E>) -> Value {
    check_id(block_id);
    let elements: Vec<Value> = elements.into_iter().take(MAX_ACTIONS_ELEMENTS).map(Into::into).collect();
    json!({ "type": "actions", "block_id": block_id, "elements": elements })
}

/// An input block of a modal: a label over one element. Its `block_id`
/// keys the value in the submission and any error shown under it.
pub fn input(block_id: &str, label: &str, element: impl Into<Value>) -> Input {
    check_id(block_id);
    Input {
        block_id: block_id.to_owned(),
        label: truncate(label, MAX_LABEL),
        element: element.into(),
        optional: false,
        hint: None,
    }
}

/// An input block being built; see [`input`].
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    block_id: String,
    label: String,
    element: Value,
    optional: bool,
    hint: Option<String>,
}

impl Input {
    /// The form can be submitted with this input empty.
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// A grey line under the input saying what goes in it, cut to [`MAX_HINT`] characters.
    pub fn hint(mut self, text: &str) -> Self {
        self.hint = Some(truncate(text, MAX_HINT));
        self
    }
}

impl From<Input> for Value {
    fn from(input: Input) -> Self {
        let mut block = json!({ "type": "input", "block_id": input.block_id, "label": plain(&input.label), "element": input.element });
        if input.optional {
            block["optional"] = Value::Bool(true);
        }
        if let Some(hint) = input.hint {
            block["hint"] = plain(&hint);
        }
        block
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slack::blocks::typed_blocks;

    fn text_of(block: &Value) -> &str {
        block["text"]["text"].as_str().expect("text")
    }

    #[test]
    fn a_long_section_is_cut_to_3000_characters_with_an_ellipsis() {
        let block = section(&"x".repeat(5000));
        assert_eq!(text_of(&block).chars().count(), MAX_SECTION_TEXT);
        assert!(text_of(&block).ends_with("x…"));
        assert_eq!(section("short"), json!({ "type": "section", "text": { "type": "mrkdwn", "text": "short" } }));
    }

    #[test]
    fn a_section_is_not_cut_inside_an_entity() {
        let text = format!("{}&amp; more", "x".repeat(MAX_SECTION_TEXT - 3));
        assert_eq!(text_of(&section(&text)), format!("{}…", "x".repeat(MAX_SECTION_TEXT - 3)));
    }

    #[test]
    fn a_long_header_is_cut_to_150_characters() {
        let block = header(&"h".repeat(200));
        assert_eq!(text_of(&block).chars().count(), MAX_HEADER_TEXT);
        assert!(text_of(&block).ends_with('…'));
        assert_eq!(block["text"]["emoji"], true);
    }

    #[test]
    fn context_keeps_ten_elements_and_cuts_each_text() {
        let block = context_of((0..12).map(|i| mrkdwn(&i.to_string())));
        assert_eq!(block["elements"].as_array().expect("elements").len(), MAX_CONTEXT_ELEMENTS);
        let one = context(&"c".repeat(4000));
        assert_eq!(one["elements"][0]["text"].as_str().expect("text").chars().count(), MAX_TEXT);
    }

    #[test]
    fn actions_keep_twenty_five_elements() {
        let buttons = (0..30).map(|i| crate::slack::blocks::button(&format!("b{i}"), "Go"));
        let block = actions("row", buttons);
        assert_eq!(block["elements"].as_array().expect("elements").len(), MAX_ACTIONS_ELEMENTS);
        assert_eq!(block["block_id"], "row");
    }

    #[test]
    fn an_input_has_its_label_cut_and_may_be_optional() {
        let element = crate::slack::blocks::plain_text_input("value");
        let required: Value = input("quote", &"l".repeat(2100), element.clone()).into();
        assert_eq!(required["label"]["text"].as_str().expect("label").chars().count(), MAX_LABEL);
        assert!(required.get("optional").is_none());
        let optional: Value = input("quote", "Quote", element).optional().into();
        assert_eq!(optional["optional"], true);
        assert!(optional.get("hint").is_none());
    }

    #[test]
    fn an_input_hint_is_cut_to_2000_characters() {
        let picker = crate::slack::blocks::datepicker("value").initial(jiff::civil::date(2026, 11, 27));
        let hinted: Value = input("date", "Date", picker).hint(&"h".repeat(2100)).into();
        let hint = hinted["hint"]["text"].as_str().expect("hint");
        assert_eq!(hint.chars().count(), MAX_HINT);
        assert!(hint.ends_with('…'));
        typed_blocks(&[hinted]).expect("valid Block Kit");
    }

    #[test]
    fn the_blocks_are_valid_block_kit() {
        let blocks = vec![
            section("a *section*"),
            section_with_accessory("with a button", crate::slack::blocks::button("go", "Go").value("1")),
            header("A header"),
            divider(),
            context("a context"),
            actions("row", [crate::slack::blocks::button("go", "Go").primary()]),
        ];
        typed_blocks(&blocks).expect("valid Block Kit");
    }
}
