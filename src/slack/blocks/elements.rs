//! Interactive elements: buttons, options, selects, checkboxes, text inputs
//! and date pickers. Each
//! applies Slack's limits to what it is given.

use serde_json::{json, Value};

use super::{
    check_id, plain, truncate, MAX_BUTTON_TEXT, MAX_BUTTON_VALUE, MAX_OPTION_TEXT, MAX_OPTION_VALUE, MAX_PLACEHOLDER,
    MAX_SELECT_OPTIONS,
};

/// A button: its text cut to [`MAX_BUTTON_TEXT`] characters.
pub fn button(action_id: &str, text: &str) -> Button {
    check_id(action_id);
    Button { action_id: action_id.to_owned(), text: truncate(text, MAX_BUTTON_TEXT), ..Button::default() }
}

/// A button being built; see [`button`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Button {
    action_id: String,
    text: String,
    value: Option<String>,
    style: Option<&'static str>,
    url: Option<String>,
}

impl Button {
    /// The value the click carries back (the app's own: at most [`MAX_BUTTON_VALUE`] characters).
    pub fn value(mut self, value: impl Into<String>) -> Self {
        let value = value.into();
        debug_assert!(value.chars().count() <= MAX_BUTTON_VALUE, "a button value over {MAX_BUTTON_VALUE}");
        self.value = Some(value);
        self
    }

    /// Green: the action the message is there for.
    pub fn primary(mut self) -> Self {
        self.style = Some("primary");
        self
    }

    /// Red: an action that destroys.
    pub fn danger(mut self) -> Self {
        self.style = Some("danger");
        self
    }

    /// Opens a link in the browser (Slack still sends the click).
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }
}

impl From<Button> for Value {
    fn from(b: Button) -> Self {
        let mut button = json!({ "type": "button", "action_id": b.action_id, "text": plain(&b.text) });
        if let Some(value) = b.value {
            button["value"] = Value::String(value);
        }
        if let Some(style) = b.style {
            button["style"] = Value::String(style.to_owned());
        }
        if let Some(url) = b.url {
            button["url"] = Value::String(url);
        }
        button
    }
}

/// An option of a select: text cut to [`MAX_OPTION_TEXT`], value to
/// [`MAX_OPTION_VALUE`] characters.
pub fn option(text: &str, value: &str) -> Value {
    json!({ "text": plain(&truncate(text, MAX_OPTION_TEXT)), "value": truncate(value, MAX_OPTION_VALUE) })
}

/// A select of fixed options: the first [`MAX_SELECT_OPTIONS`].
pub fn static_select(action_id: &str, options: impl IntoIterator<Item = Value>) -> Select {
    check_id(action_id);
    let options: Vec<Value> = options.into_iter().take(MAX_SELECT_OPTIONS).collect();
    Select(json!({ "type": "static_select", "action_id": action_id, "options": options }))
}

/// A select whose options the app suggests as the person types (at least
/// `min_query_length` characters).
pub fn external_select(action_id: &str, min_query_length: u32) -> Select {
    check_id(action_id);
    Select(json!({ "type": "external_select", "action_id": action_id, "min_query_length": min_query_length }))
}

/// A select being built; see [`static_select`] and [`external_select`].
#[derive(Debug, Clone, PartialEq)]
pub struct Select(Value);

impl Select {
    /// Grey text shown while nothing is chosen, cut to [`MAX_PLACEHOLDER`] characters.
    pub fn placeholder(mut self, text: &str) -> Self {
        self.0["placeholder"] = plain(&truncate(text, MAX_PLACEHOLDER));
        self
    }

    /// The option chosen when the form opens (one made with [`option`]).
    pub fn initial(mut self, option: Value) -> Self {
        self.0["initial_option"] = option;
        self
    }
}

impl From<Select> for Value {
    fn from(select: Select) -> Self {
        select.0
    }
}

/// A text input.
pub fn plain_text_input(action_id: &str) -> TextInput {
    check_id(action_id);
    TextInput(json!({ "type": "plain_text_input", "action_id": action_id }))
}

/// A text input being built; see [`plain_text_input`].
#[derive(Debug, Clone, PartialEq)]
pub struct TextInput(Value);

impl TextInput {
    /// Grey text shown while the input is empty, cut to [`MAX_PLACEHOLDER`] characters.
    pub fn placeholder(mut self, text: &str) -> Self {
        self.0["placeholder"] = plain(&truncate(text, MAX_PLACEHOLDER));
        self
    }

    /// Several lines.
    pub fn multiline(mut self) -> Self {
        self.0["multiline"] = Value::Bool(true);
        self
    }

    /// The most characters the person may type.
    pub fn max_length(mut self, max: usize) -> Self {
        self.0["max_length"] = json!(max);
        self
    }

    /// Text already in the input when the form opens (none when empty), cut to its `max_length`.
    pub fn initial(mut self, text: Option<&str>) -> Self {
        if let Some(text) = text.filter(|t| !t.is_empty()) {
            let text = match self.0["max_length"].as_u64() {
                Some(max) => truncate(text, usize::try_from(max).unwrap_or(usize::MAX)),
                None => text.to_owned(),
            };
            self.0["initial_value"] = Value::String(text);
        }
        self
    }
}

impl From<TextInput> for Value {
    fn from(input: TextInput) -> Self {
        input.0
    }
}

/// Checkboxes: the first [`MAX_SELECT_OPTIONS`] options (made with [`option`]), none ticked.
pub fn checkboxes(action_id: &str, options: impl IntoIterator<Item = Value>) -> Checkboxes {
    check_id(action_id);
    let options: Vec<Value> = options.into_iter().take(MAX_SELECT_OPTIONS).collect();
    Checkboxes(json!({ "type": "checkboxes", "action_id": action_id, "options": options }))
}

/// Checkboxes being built; see [`checkboxes`].
#[derive(Debug, Clone, PartialEq)]
pub struct Checkboxes(Value);

impl Checkboxes {
    /// The options ticked when the form opens (some of those given).
    pub fn initial(mut self, options: Vec<Value>) -> Self {
        if !options.is_empty() {
            self.0["initial_options"] = Value::Array(options);
        }
        self
    }
}

impl From<Checkboxes> for Value {
    fn from(checkboxes: Checkboxes) -> Self {
        checkboxes.0
    }
}

/// A date picker.
pub fn datepicker(action_id: &str) -> DatePicker {
    check_id(action_id);
    DatePicker(json!({ "type": "datepicker", "action_id": action_id }))
}

/// A date picker being built; see [`datepicker`].
#[derive(Debug, Clone, PartialEq)]
pub struct DatePicker(Value);

impl DatePicker {
    /// The date picked when the form opens (sent as `YYYY-MM-DD`).
    pub fn initial(mut self, date: jiff::civil::Date) -> Self {
        self.0["initial_date"] = Value::String(date.strftime("%Y-%m-%d").to_string());
        self
    }

    /// Grey text shown while no date is picked, cut to [`MAX_PLACEHOLDER`] characters.
    pub fn placeholder(mut self, text: &str) -> Self {
        self.0["placeholder"] = plain(&truncate(text, MAX_PLACEHOLDER));
        self
    }
}

impl From<DatePicker> for Value {
    fn from(picker: DatePicker) -> Self {
        picker.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_button_renders_what_it_is_given_and_cuts_its_text() {
        let b: Value = button("go", "Go").value("7").primary().into();
        assert_eq!(
            b,
            json!({ "type": "button", "action_id": "go", "value": "7", "style": "primary",
                    "text": { "type": "plain_text", "text": "Go", "emoji": true } })
        );
        let long: Value = button("go", &"b".repeat(100)).danger().url("https://x.io").into();
        assert_eq!(long["text"]["text"].as_str().expect("text").chars().count(), MAX_BUTTON_TEXT);
        assert_eq!((long["style"].as_str(), long["url"].as_str()), (Some("danger"), Some("https://x.io")));
        assert!(long.get("value").is_none());
    }

    #[test]
    fn an_option_cuts_its_text_to_75_and_its_value_to_150() {
        let o = option(&"t".repeat(80), &"v".repeat(200));
        assert_eq!(o["text"]["text"].as_str().expect("text").chars().count(), MAX_OPTION_TEXT);
        assert_eq!(o["value"].as_str().expect("value").chars().count(), MAX_OPTION_VALUE);
        assert_eq!(
            option("a", "1"),
            json!({ "text": { "type": "plain_text", "text": "a", "emoji": true }, "value": "1" })
        );
    }

    #[test]
    fn a_static_select_keeps_100_options() {
        let select: Value = static_select("value", (0..120).map(|i| option(&i.to_string(), &i.to_string())))
            .placeholder(&"p".repeat(200))
            .initial(option("0", "0"))
            .into();
        assert_eq!(select["options"].as_array().expect("options").len(), MAX_SELECT_OPTIONS);
        assert_eq!(select["placeholder"]["text"].as_str().expect("text").chars().count(), MAX_PLACEHOLDER);
        assert_eq!(select["initial_option"]["value"], "0");
    }

    #[test]
    fn a_text_input_starts_within_its_length() {
        let input: Value = plain_text_input("value").multiline().max_length(5).initial(Some("too long")).into();
        assert_eq!(input["initial_value"], "too …");
        let empty: Value = plain_text_input("value").initial(Some("")).into();
        assert!(empty.get("initial_value").is_none());
    }

    #[test]
    fn a_datepicker_sends_its_date_as_iso_and_cuts_its_placeholder() {
        let picker: Value = datepicker("value").initial(jiff::civil::date(2026, 3, 7)).into();
        assert_eq!(picker, json!({ "type": "datepicker", "action_id": "value", "initial_date": "2026-03-07" }));
        let blank: Value = datepicker("value").placeholder(&"p".repeat(200)).into();
        assert_eq!(blank["placeholder"]["text"].as_str().expect("text").chars().count(), MAX_PLACEHOLDER);
        assert!(blank.get("initial_date").is_none());
    }
}
