//! Fuzzing, bounded: random and hostile input through the parts that meet
//! the outside (the command grammar, customer names, mrkdwn, payload parsing,
//! Block Kit rendering). None may panic; each keeps its promise. `cargo test`
//! runs 256 cases per property (`PROPTEST_CASES` sets another number), and a
//! failure prints the smallest input that shows it.

use highlights::capture::messages::render_highlight_reply;
use highlights::domain::customer_key;
use highlights::slack::interaction::parse_interaction;
use highlights::slack::mrkdwn::{decode, escape};
use highlights::slack::payload::{clean_text, parse_command, parse_event};
use highlights::store::highlights::HighlightForPost;
use proptest::prelude::*;
use serde_json::json;
use unicode_normalization::UnicodeNormalization as _;

use crate::support::block_kit;

/// Text as users and attackers type it: letters, accents, emoji, Slack's
/// markup, separators, control and invisible characters.
fn hostile_text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        any::<char>().prop_map(String::from),
        Just("<!channel>".to_owned()),
        Just("<@U123|bob>".to_owned()),
        Just("<https://x.io|y>".to_owned()),
        Just("&amp;&lt;&gt;".to_owned()),
        Just(" | ".to_owned()),
        Just("\u{0}".to_owned()),
        Just("\u{200b}".to_owned()),
        Just("e\u{301}".to_owned()),
        Just("```".to_owned()),
        Just("*_~`".to_owned()),
        Just("\n".to_owned()),
        "[a-zA-Z0-9 ]{1,12}",
    ];
    prop::collection::vec(pieces, 0..40).prop_map(|parts| parts.concat())
}

proptest! {
    #[test]
    fn the_command_grammar_reads_anything(text in hostile_text()) {
        let _ = highlights::commands::parse(&text);
        let _ = highlights::capture::quick::QuickCapture::parse(&text);
    }

    #[test]
    fn customer_keys_are_stable_and_spelling_blind(name in hostile_text()) {
        let key = customer_key(&name);
        prop_assert_eq!(customer_key(&key), key.clone(), "a key is its own key");
        let composed: String = name.nfc().collect();
        let decomposed: String = name.nfd().collect();
        prop_assert_eq!(customer_key(&composed), customer_key(&decomposed));
        let invisible = key.chars().any(|c| c == '\u{200b}' || c.is_control());
        prop_assert!(!invisible, "{:?}", key);
    }

    #[test]
    fn escaped_text_pings_nobody_and_reads_back(text in hostile_text()) {
        let escaped = escape(&text);
        prop_assert!(!escaped.contains('<') && !escaped.contains('>'));
        prop_assert_eq!(decode(&escaped), text);
    }

    #[test]
    fn cleaned_text_keeps_no_control_characters(text in hostile_text()) {
        let cleaned = clean_text(&text);
        prop_assert!(cleaned.chars().all(|c| !c.is_control() || c == '\n' || c == '\t'));
        prop_assert_eq!(clean_text(&cleaned), cleaned.clone(), "cleaning twice changes nothing");
    }

    #[test]
    fn payload_parsers_answer_any_bytes_without_panicking(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_command(&bytes);
        let _ = parse_interaction(&bytes);
        let _ = parse_event(&bytes);
    }

    #[test]
    fn payload_parsers_answer_any_json_shape(text in hostile_text(), team in hostile_text()) {
        let event = json!({ "type": "event_callback", "team_id": team, "api_app_id": "A1", "event_id": text,
                            "event_time": 1, "event": { "type": text, "user": team } });
        let _ = parse_event(event.to_string().as_bytes());
        let payload = json!({ "type": "block_actions", "team": { "id": team }, "user": { "id": text },
                              "actions": [{ "action_id": text, "value": text }] });
        let form = serde_urlencoded::to_string([("payload", payload.to_string())]).expect("form");
        let _ = parse_interaction(form.as_bytes());
        let command = serde_urlencoded::to_string([("team_id", team.as_str()), ("text", text.as_str())]).expect("form");
        let _ = parse_command(command.as_bytes());
    }

    #[test]
    fn a_highlight_renders_as_valid_block_kit_that_pings_nobody(
        quote in hostile_text(), customer in hostile_text(), area in hostile_text(),
        takeaway in prop::option::of(hostile_text()), link in prop::option::of(hostile_text()),
        long in 0usize..4000,
    ) {
        let quote = if quote.trim().is_empty() { format!("q{}", "x".repeat(long)) } else { quote };
        let h = HighlightForPost {
            id: 1, customer_id: 1, customer_name: customer, area_id: 1, area_name: area, kind: "pain".into(),
            quote, takeaway, recording_link: link, recording_at: Some(754), author: "U1".into(), interview_date: "2026-01-02".into(),
            posted_ts: None, first_in_area: 1, workspace_channel: None, thread_channel: None, thread_ts: None,
            endorsed_by: None,
        };
        let message = render_highlight_reply(&h, "Alice");
        let args = json!({ "channel": "C1", "text": message.text, "blocks": message.blocks });
        if let Err(problem) = block_kit::validate("chat.postMessage", &args) {
            return Err(TestCaseError::fail(problem));
        }
        let shown = serde_json::to_string(&message.blocks).expect("json");
        prop_assert!(!shown.contains("<!") && !shown.contains("<@"), "{}", shown);
    }
}
