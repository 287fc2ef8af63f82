//! The capture modal: one interview (customer, date, interviewee, recording link) and one
//! or more highlights, each with its own product area, kind, quote and
//! takeaway. Rendering and reading the submission are pure; validation errors
//! come back keyed by the input block they belong to.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::areas::find_area;
use crate::customers::suggest;
use crate::domain::highlight::{
    parse_date, Kind, Quote, RecordingLink, RecordingTime, MAX_QUOTE_CHARS, MAX_TAKEAWAY_CHARS,
};
use crate::domain::CustomerName;
use crate::reply::FieldErrors;
use crate::slack::blocks::{
    self, actions, button, checkboxes, datepicker, divider, external_select, input, modal, option, plain_text_input,
    section, static_select, Select, MAX_SELECT_OPTIONS,
};
use crate::slack::interaction::FormValues;
use crate::store::areas::Area;

/// `callback_id` of the capture modal.
pub const CALLBACK_ID: &str = "capture";
/// `action_id` of the "Add another highlight" button.
pub const ADD_HIGHLIGHT_ACTION: &str = "add_highlight";
/// Most highlights in one submission (keeps the modal under Slack's 100 blocks).
pub const MAX_HIGHLIGHTS: usize = 10;

/// Block ids of the interview's inputs.
pub mod block {
    /// Customer name.
    pub const CUSTOMER: &str = "customer";
    /// Interview date.
    pub const DATE: &str = "interview_date";
    /// Recording link.
    pub const RECORDING: &str = "recording_link";
    /// Who was interviewed: name and role at the customer.
    pub const INTERVIEWEE: &str = "interviewee";
    /// Product area of highlight `i`.
    pub fn area(i: usize) -> String {
        format!("area_{i}")
    }
    /// Kind of highlight `i`.
    pub fn kind(i: usize) -> String {
        format!("kind_{i}")
    }
    /// Quote of highlight `i`.
    pub fn quote(i: usize) -> String {
        format!("quote_{i}")
    }
    /// Takeaway of highlight `i`.
    pub fn takeaway(i: usize) -> String {
        format!("takeaway_{i}")
    }
    /// The moment of highlight `i` in the recording.
    pub fn at(i: usize) -> String {
        format!("at_{i}")
    }
    /// Highlight `i`'s *Willing to try a prototype* checkbox.
    pub fn tester(i: usize) -> String {
        format!("tester_{i}")
    }
}

/// Longest interviewee (name and role) kept.
pub const MAX_INTERVIEWEE_CHARS: usize = 150;
/// The value of the ticked *Willing to try a prototype* checkbox.
const TESTER: &str = "tester";

/// The single `action_id` of every input (blocks are told apart by block id).
const VALUE: &str = "value";

/// What the modal carries between opening and submission.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// How many highlight groups the modal shows.
    pub highlights: usize,
    /// Channel the modal was opened from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
}

/// Values to start the modal with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prefill {
    /// Customer name.
    pub customer: Option<String>,
    /// First quote (e.g. from "Save as highlight").
    pub quote: Option<String>,
    /// The first highlight's likely area (suggested from the quote).
    pub area_id: Option<i64>,
}

/// The modal view, with `highlights` highlight groups.
pub fn render_capture_modal(areas: &[Area], today: Date, metadata: &Metadata, prefill: &Prefill) -> Value {
    let count = metadata.highlights.clamp(1, MAX_HIGHLIGHTS);
    let mut blocks: Vec<Value> = vec![
        input(block::CUSTOMER, "Customer", customer_select(prefill.customer.as_deref()))
            .hint("Type to find a customer, or to add a new one. “Acme Inc.” and “acme” are one customer.")
            .into(),
        input(block::DATE, "Interview date", datepicker(VALUE).initial(today)).into(),
        input(
            block::INTERVIEWEE,
            "Interviewee",
            plain_text_input(VALUE)
                .max_length(MAX_INTERVIEWEE_CHARS)
                .placeholder("Name and role, e.g. Dana Lee, Head of Support"),
        )
        .optional()
        .into(),
        input(block::RECORDING, "Recording link", plain_text_input(VALUE).placeholder("https://…")).optional().into(),
    ];
    for i in 0..count {
        blocks.push(divider());
        if count > 1 {
            blocks.push(section(&format!("*Highlight {}*", i + 1)));
        }
        let likely = if i == 0 { prefill.area_id } else { None };
        blocks.push(input(&block::area(i), "Product area", area_select(areas, likely)).into());
        blocks.push(input(&block::kind(i), "Kind", kind_select()).into());
        let quote = plain_text_input(VALUE)
            .multiline()
            .max_length(MAX_QUOTE_CHARS)
            .placeholder("The customer's own words")
            .initial(if i == 0 { prefill.quote.as_deref() } else { None });
        blocks.push(input(&block::quote(i), "Quote", quote).into());
        let takeaway = plain_text_input(VALUE).max_length(MAX_TAKEAWAY_CHARS).placeholder("What we learn from it");
        blocks.push(input(&block::takeaway(i), "Takeaway", takeaway).optional().into());
        blocks.push(
            input(&block::at(i), "At", plain_text_input(VALUE).max_length(8).placeholder("12:34"))
                .optional()
                .hint("Where the quote is in the recording: posts link to that moment")
                .into(),
        );
        blocks.push(
            input(&block::tester(i), "Prototype", checkboxes(VALUE, [option("Willing to try a prototype", TESTER)]))
                .optional()
                .hint("The customer would try a prototype in this area; /highlight testers <area> lists them")
                .into(),
        );
    }
    if count < MAX_HIGHLIGHTS {
        blocks.push(actions("add", [button(ADD_HIGHLIGHT_ACTION, "➕ Add another highlight")]));
    }
    let metadata = Metadata { highlights: count, channel: metadata.channel.clone() };
    modal("Capture highlights", blocks)
        .callback_id(CALLBACK_ID)
        .submit("Save")
        .close("Cancel")
        .private_metadata(serde_json::to_string(&metadata).unwrap_or_default())
        .into()
}

/// The view shown after a successful submission.
pub fn render_saved_modal(text: &str, follow: Option<Value>) -> Value {
    modal("Highlights saved", std::iter::once(section(text)).chain(follow).collect()).close("Done").into()
}

fn customer_select(initial: Option<&str>) -> Select {
    let select = external_select(VALUE, 1).placeholder("Start typing a company name");
    match initial.filter(|n| !n.trim().is_empty()) {
        Some(name) => select.initial(option(name, &format!("{}{}", suggest::NEW, blocks::truncate(name, 100)))),
        None => select,
    }
}

fn area_select(areas: &[Area], likely: Option<i64>) -> Select {
    let shown = &areas[..areas.len().min(MAX_SELECT_OPTIONS)];
    let select =
        static_select(VALUE, shown.iter().map(|a| option(&a.name, &a.id.to_string()))).placeholder("Choose an area");
    match likely.and_then(|id| shown.iter().find(|a| a.id == id)) {
        Some(area) => select.initial(option(&area.name, &area.id.to_string())),
        None => select,
    }
}

fn kind_select() -> Select {
    static_select(VALUE, Kind::ALL.iter().map(|k| option(k.label(), k.as_str())))
        .initial(option(Kind::Other.label(), Kind::Other.as_str()))
}

/// One highlight read from a valid submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmittedHighlight {
    /// Product area id.
    pub area_id: i64,
    /// Kind.
    pub kind: Kind,
    /// Quote.
    pub quote: Quote,
    /// Takeaway.
    pub takeaway: Option<String>,
    /// The moment in the recording.
    pub at: Option<RecordingTime>,
    /// *Willing to try a prototype* (in this highlight's area) was ticked.
    pub tester: bool,
}

/// The customer picked in the modal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerChoice {
    /// One of the suggestions.
    Existing(i64),
    /// A name to find or create.
    Named(CustomerName),
}

/// A valid submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// Customer.
    pub customer: CustomerChoice,
    /// Interview date.
    pub date: Date,
    /// Who was interviewed (name and role), when given.
    pub interviewee: Option<String>,
    /// Recording link.
    pub recording_link: Option<RecordingLink>,
    /// The highlights, at least one.
    pub highlights: Vec<SubmittedHighlight>,
}

fn text_value(values: &FormValues, block_id: &str) -> Option<String> {
    values.get(block_id, VALUE).map(str::to_owned)
}

/// Reads and validates what was typed; `today` bounds the date.
pub fn parse_submission(
    values: &FormValues,
    metadata: &Metadata,
    areas: &[Area],
    today: Date,
) -> Result<Submission, FieldErrors> {
    let mut errors = FieldErrors::new();
    let picked = text_value(values, block::CUSTOMER).unwrap_or_default();
    let customer = match picked.strip_prefix(suggest::EXISTING).map(str::parse::<i64>) {
        Some(Ok(id)) => Some(CustomerChoice::Existing(id)),
        _ => match CustomerName::parse(picked.strip_prefix(suggest::NEW).unwrap_or(&picked)) {
            Ok(c) => Some(CustomerChoice::Named(c)),
            Err(e) => {
                errors.insert(block::CUSTOMER.into(), e.0);
                None
            }
        },
    };
    let date = match text_value(values, block::DATE).as_deref().map(parse_date) {
        Some(Some(d)) if d > today => {
            errors.insert(block::DATE.into(), "The interview date is in the future.".into());
            None
        }
        Some(Some(d)) => Some(d),
        _ => {
            errors.insert(block::DATE.into(), "Pick the date of the interview.".into());
            None
        }
    };
    let interviewee =
        text_value(values, block::INTERVIEWEE).map(|t| crate::domain::one_space(&t)).filter(|t| !t.is_empty());
    if interviewee.as_ref().is_some_and(|t| t.chars().count() > MAX_INTERVIEWEE_CHARS) {
        errors.insert(
            block::INTERVIEWEE.into(),
            format!("Keep the interviewee to {MAX_INTERVIEWEE_CHARS} characters: a name and a role."),
        );
    }
    let recording_link = match text_value(values, block::RECORDING).filter(|v| !v.trim().is_empty()) {
        None => None,
        Some(raw) => match RecordingLink::parse(&raw) {
            Ok(link) => Some(link),
            Err(e) => {
                errors.insert(block::RECORDING.into(), e.0);
                None
            }
        },
    };
    let mut highlights = Vec::new();
    for i in 0..metadata.highlights.clamp(1, MAX_HIGHLIGHTS) {
        let area = text_value(values, &block::area(i))
            .and_then(|id| areas.iter().find(|a| a.id.to_string() == id).or_else(|| find_area(areas, &id)));
        if area.is_none() {
            errors.insert(block::area(i), "Choose one of the product areas.".into());
        }
        let kind = text_value(values, &block::kind(i)).and_then(|k| Kind::parse(&k)).unwrap_or(Kind::Other);
        let quote = match Quote::parse(&text_value(values, &block::quote(i)).unwrap_or_default()) {
            Ok(q) => Some(q),
            Err(e) => {
                errors.insert(block::quote(i), e.0);
                None
            }
        };
        let takeaway = text_value(values, &block::takeaway(i)).map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        if takeaway.as_ref().is_some_and(|t| t.chars().count() > MAX_TAKEAWAY_CHARS) {
            errors.insert(block::takeaway(i), format!("The takeaway is over {MAX_TAKEAWAY_CHARS} characters."));
        }
        let at = match text_value(values, &block::at(i)).filter(|v| !v.trim().is_empty()) {
            None => None,
            Some(_) if recording_link.is_none() && !errors.contains_key(block::RECORDING) => {
                errors.insert(block::at(i), "Add the recording link above: this is a moment in it.".into());
                None
            }
            Some(raw) => match RecordingTime::parse(&raw) {
                Ok(at) => Some(at),
                Err(e) => {
                    errors.insert(block::at(i), e.0.replace("The time after @", "The time"));
                    None
                }
            },
        };
        if let (Some(area), Some(quote)) = (area, quote) {
            let tester = values.is_ticked(&block::tester(i), VALUE, TESTER);
            highlights.push(SubmittedHighlight { area_id: area.id, kind, quote, takeaway, at, tester });
        }
    }
    match (customer, date) {
        (Some(customer), Some(date)) if errors.is_empty() => {
            Ok(Submission { customer, date, interviewee, recording_link, highlights })
        }
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use serde_json::json;

    fn areas() -> Vec<Area> {
        vec![
            Area { id: 7, key: "chat".into(), name: "Chat".into() },
            Area { id: 9, key: "billing".into(), name: "Billing".into() },
        ]
    }

    fn values(quote: &str, area: &str, date: &str, link: &str) -> Value {
        json!({
            "customer": { "value": { "type": "plain_text_input", "value": "Acme Inc." } },
            "interview_date": { "value": { "type": "datepicker", "selected_date": date } },
            "recording_link": { "value": { "type": "plain_text_input", "value": link } },
            "area_0": { "value": { "type": "static_select", "selected_option": { "value": area } } },
            "kind_0": { "value": { "type": "static_select", "selected_option": { "value": "pain" } } },
            "quote_0": { "value": { "type": "plain_text_input", "value": quote } },
            "takeaway_0": { "value": { "type": "plain_text_input", "value": null } },
        })
    }

    const TODAY: Date = date(2026, 11, 27);

    #[test]
    fn the_modal_has_the_labelled_inputs_and_stays_valid_block_kit() {
        let meta = Metadata { highlights: 2, channel: Some("C1".into()) };
        let view = render_capture_modal(
            &areas(),
            TODAY,
            &meta,
            &Prefill { customer: None, quote: Some("hi".into()), area_id: None },
        );
        let labels: Vec<&str> =
            view["blocks"].as_array().expect("blocks").iter().filter_map(|b| b["label"]["text"].as_str()).collect();
        for label in
            ["Customer", "Interview date", "Interviewee", "Recording link", "Product area", "Quote", "Takeaway", "Kind"]
        {
            assert!(labels.contains(&label), "{label} in {labels:?}");
        }
        assert_eq!(labels.iter().filter(|l| **l == "Quote").count(), 2);
        assert_eq!(view["blocks"][1]["element"]["initial_date"], "2026-11-27");
        let v: slack_morphism::prelude::SlackView = serde_json::from_value(view.clone()).expect("valid view");
        drop(v);
        let full =
            render_capture_modal(&areas(), TODAY, &Metadata { highlights: 50, channel: None }, &Prefill::default());
        assert!(full["blocks"].as_array().expect("blocks").len() <= blocks::MAX_VIEW_BLOCKS);
    }

    #[test]
    fn the_modals_render_as_before() {
        let one = Metadata { highlights: 1, channel: None };
        insta::assert_json_snapshot!(
            "capture_modal_one",
            render_capture_modal(&areas(), TODAY, &one, &Prefill::default())
        );
        let three = Metadata { highlights: 3, channel: Some("C0PRODUCT".into()) };
        insta::assert_json_snapshot!(
            "capture_modal_three",
            render_capture_modal(&areas(), TODAY, &three, &Prefill::default())
        );
        let prefill = Prefill {
            customer: Some("Acme & Sons".into()),
            quote: Some("We need <canned> replies".into()),
            area_id: Some(9),
        };
        insta::assert_json_snapshot!("capture_modal_prefilled", render_capture_modal(&areas(), TODAY, &one, &prefill));
        insta::assert_json_snapshot!(
            "saved_modal",
            render_saved_modal("✅ Saved 2 highlights for *Acme &amp; Sons* (2026-11-26).", None)
        );
    }

    #[test]
    fn a_valid_submission_is_read() {
        let s = parse_submission(
            &FormValues::new(values("We need SSO", "7", "2026-11-26", "")),
            &Metadata { highlights: 1, channel: None },
            &areas(),
            TODAY,
        )
        .expect("valid");
        assert!(matches!(s.customer, CustomerChoice::Named(ref n) if n.key == "acme"));
        assert_eq!(s.highlights[0].area_id, 7);
        assert_eq!(s.highlights[0].kind, Kind::Pain);
        assert_eq!(s.recording_link, None);
        assert_eq!(s.interviewee, None);
        let mut named = values("We need SSO", "7", "2026-11-26", "");
        named["interviewee"] = json!({ "value": { "type": "plain_text_input", "value": "  Dana  Lee, CTO " } });
        let s = parse_submission(
            &FormValues::new(named.clone()),
            &Metadata { highlights: 1, channel: None },
            &areas(),
            TODAY,
        )
        .expect("valid");
        assert_eq!(s.interviewee.as_deref(), Some("Dana Lee, CTO"));
        named["interviewee"] = json!({ "value": { "type": "plain_text_input", "value": "x".repeat(151) } });
        let errors =
            parse_submission(&FormValues::new(named), &Metadata { highlights: 1, channel: None }, &areas(), TODAY)
                .expect_err("too long");
        assert!(errors.contains_key("interviewee"), "{errors:?}");
        assert!(!s.highlights[0].tester, "not ticked");
        let mut ticked = values("We need SSO", "7", "2026-11-26", "");
        ticked["tester_0"] = json!({ "value": { "type": "checkboxes", "selected_options": [
            { "text": { "type": "plain_text", "text": "Willing to try a prototype" }, "value": "tester" } ] } });
        let s = parse_submission(&FormValues::new(ticked), &Metadata { highlights: 1, channel: None }, &areas(), TODAY)
            .expect("valid");
        assert!(s.highlights[0].tester, "ticked");
    }

    #[test]
    fn each_invalid_field_is_reported_on_its_block() {
        let meta = Metadata { highlights: 1, channel: None };
        let err = |v: Value| parse_submission(&FormValues::new(v), &meta, &areas(), TODAY).expect_err("invalid");
        assert!(err(values("  ", "7", "2026-11-26", "")).contains_key("quote_0"));
        let mut picked = values("q", "7", "2026-11-26", "");
        picked["customer"] = json!({ "value": { "type": "external_select", "selected_option": { "value": "id:42" } } });
        let s = parse_submission(&FormValues::new(picked.clone()), &meta, &areas(), TODAY).expect("valid");
        assert_eq!(s.customer, CustomerChoice::Existing(42));
        picked["customer"] =
            json!({ "value": { "type": "external_select", "selected_option": { "value": "new:Initech" } } });
        let s = parse_submission(&FormValues::new(picked.clone()), &meta, &areas(), TODAY).expect("valid");
        assert!(matches!(s.customer, CustomerChoice::Named(ref n) if n.display == "Initech"));
        assert!(err(values(&"x".repeat(3001), "7", "2026-11-26", "")).contains_key("quote_0"));
        assert!(err(values("q", "99", "2026-11-26", "")).contains_key("area_0"));
        assert!(err(values("q", "7", "2026-11-28", "")).contains_key("interview_date"));
        assert!(err(values("q", "7", "2026-11-26", "zoom.us/rec")).contains_key("recording_link"));
        let all = err(values("", "99", "2026-11-28", "ftp://x"));
        assert_eq!(all.len(), 4, "{all:?}");
    }
}
