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
        interviewee in prop::option::of(hostile_text()), long in 0usize..4000,
    ) {
        let quote = if quote.trim().is_empty() { format!("q{}", "x".repeat(long)) } else { quote };
        let h = HighlightForPost {
            id: 1, customer_id: 1, customer_name: customer, area_id: 1, area_name: area, kind: "pain".into(),
            quote, takeaway, recording_link: link, recording_at: Some(754), author: "U1".into(), interview_date: "2026-01-02".into(),
            interviewee, posted_ts: None, first_in_area: 1, workspace_channel: None, thread_channel: None, thread_ts: None,
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

/// A phone number in one of the formats people write, with its digits.
fn phone_number() -> impl Strategy<Value = String> {
    let d = |n: usize| prop::collection::vec(0u8..10, n).prop_map(|v| v.iter().map(u8::to_string).collect::<String>());
    prop_oneof![
        (d(3), d(3), d(4)).prop_map(|(a, b, c)| format!("+1 {a} {b} {c}")),
        (d(2), d(4), d(4)).prop_map(|(a, b, c)| format!("+44 {a} {b} {c}")),
        (d(3), d(3), d(4)).prop_map(|(a, b, c)| format!("({a}) {b}-{c}")),
        (d(3), d(3), d(4)).prop_map(|(a, b, c)| format!("{a}-{b}-{c}")),
        (d(3), d(3), d(4)).prop_map(|(a, b, c)| format!("{a}.{b}.{c}")),
        (d(2), d(4), d(4)).prop_map(|(a, b, c)| format!("0{a} {b} {c}")),
        (d(4), d(6)).prop_map(|(a, b)| format!("0{a} {b}")),
        (d(11)).prop_map(|a| format!("+49{a}")),
    ]
}

/// Words around the personal data: letters, and numbers that are not personal.
fn ordinary_words() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        "[a-zA-Z]{1,10}",
        (2000u32..2100, 1u32..13, 1u32..29).prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}")),
        (0u32..24, 0u32..60).prop_map(|(h, m)| format!("{h}:{m:02}")),
        (0u32..20, 0u32..20, 0u32..100).prop_map(|(a, b, c)| format!("v{a}.{b}.{c}")),
        (1u32..1000, 0u32..1000).prop_map(|(a, b)| format!("${a},{b:03}")),
        (0u32..500).prop_map(|n| n.to_string()),
    ];
    prop::collection::vec(pieces, 0..8).prop_map(|parts| parts.join(" "))
}

proptest! {
    /// Every address and number is replaced, whatever words surround it,
    /// and nothing else changes.
    #[test]
    fn scrubbing_replaces_each_address_and_number_and_keeps_the_rest(
        before in ordinary_words(),
        phone in phone_number(),
        user in "[a-z][a-z0-9._]{0,10}",
        domain in "[a-z][a-z0-9]{0,10}",
        after in ordinary_words(),
    ) {
        let email = format!("{user}@{domain}.com");
        let text = format!("{before} call {phone} or write to {email} then {after}");
        let scrubbed = highlights::domain::pii::scrub(&text);
        prop_assert_eq!(scrubbed.text, format!("{before} call [phone] or write to [email] then {after}"));
        prop_assert_eq!((scrubbed.emails, scrubbed.phones), (1, 1));
    }

    /// Dates, times, versions, amounts and counts alone are never touched,
    /// and scrubbing is idempotent on anything.
    #[test]
    fn scrubbing_leaves_ordinary_numbers_and_is_idempotent(words in ordinary_words(), text in hostile_text()) {
        let kept = highlights::domain::pii::scrub(&words);
        prop_assert_eq!(&kept.text, &words);
        let once = highlights::domain::pii::scrub(&text);
        prop_assert_eq!(highlights::domain::pii::scrub(&once.text).text, once.text);
    }
}
