//! Block Kit checks the fake Slack applies to every message and view it is
//! sent, as Slack does: a bad payload is answered `invalid_blocks`, so a test
//! that expects a post fails. Limits from docs.slack.dev (Block Kit reference).

use serde_json::Value;
use slack_morphism::prelude::{SlackBlock, SlackView};

/// Checks the Block Kit in a call's arguments.
pub fn validate(method: &str, args: &Value) -> Result<(), String> {
    match method {
        "chat.postMessage" | "chat.update" | "chat.postEphemeral" => {
            let text = args.get("text").and_then(Value::as_str).unwrap_or_default();
            if text.trim().is_empty() {
                return Err("a message needs a fallback text".into());
            }
            if let Some(blocks) = args.get("blocks") {
                let blocks = blocks.as_array().ok_or("blocks is not a list")?;
                if blocks.len() > 50 {
                    return Err(format!("{} blocks in a message (max 50)", blocks.len()));
                }
                check_blocks(blocks)?;
            }
            Ok(())
        }
        "views.open" | "views.update" | "views.publish" | "views.push" => {
            let view = args.get("view").ok_or("no view")?;
            let view = if let Some(text) = view.as_str() {
                serde_json::from_str(text).map_err(|e| format!("view is not JSON: {e}"))?
            } else {
                view.clone()
            };
            serde_json::from_value::<SlackView>(view.clone()).map_err(|e| format!("not a view: {e}"))?;
            let blocks = view["blocks"].as_array().ok_or("view without blocks")?;
            if blocks.is_empty() || blocks.len() > 100 {
                return Err(format!("{} blocks in a view (1 to 100)", blocks.len()));
            }
            for key in ["title", "submit", "close"] {
                if let Some(t) = view[key]["text"].as_str() {
                    if t.chars().count() > 24 {
                        return Err(format!("view {key} over 24 characters"));
                    }
                }
            }
            if view["private_metadata"].as_str().is_some_and(|m| m.len() > 3000) {
                return Err("private_metadata over 3000 characters".into());
            }
            check_blocks(blocks)
        }
        _ => Ok(()),
    }
}

fn check_blocks(blocks: &[Value]) -> Result<(), String> {
    let mut ids = std::collections::HashSet::new();
    for block in blocks {
        serde_json::from_value::<SlackBlock>(block.clone()).map_err(|e| format!("not a block: {e}: {block}"))?;
        const KNOWN: &[&str] = &["section", "header", "context", "divider", "actions", "input", "image", "rich_text"];
        if !block["type"].as_str().is_some_and(|t| KNOWN.contains(&t)) {
            return Err(format!("unknown block type: {block}"));
        }
        if let Some(id) = block["block_id"].as_str() {
            if id.len() > 255 || !ids.insert(id.to_owned()) {
                return Err(format!("block_id {id} too long or repeated"));
            }
        }
        let len = |v: &Value| v.as_str().map(|s| s.chars().count()).unwrap_or(0);
        match block["type"].as_str() {
            Some("section") => {
                if len(&block["text"]["text"]) > 3000 {
                    return Err("section text over 3000 characters".into());
                }
                if block["text"].is_null() && block["fields"].is_null() {
                    return Err("section without text or fields".into());
                }
            }
            Some("header") if len(&block["text"]["text"]) > 150 => return Err("header over 150 characters".into()),
            Some("context") => {
                let elements = block["elements"].as_array().ok_or("context without elements")?;
                if elements.is_empty() || elements.len() > 10 {
                    return Err(format!("{} context elements (1 to 10)", elements.len()));
                }
            }
            Some("input") => {
                if len(&block["label"]["text"]) > 2000 {
                    return Err("input label over 2000 characters".into());
                }
                let element = &block["element"];
                if let Some(options) = element["options"].as_array() {
                    if options.len() > 100 {
                        return Err("select with over 100 options".into());
                    }
                    if options.iter().any(|o| len(&o["text"]["text"]) > 75 || len(&o["value"]) > 150) {
                        return Err("option text over 75 or value over 150 characters".into());
                    }
                }
                if element["max_length"].as_u64().is_some_and(|m| m > 3000) {
                    return Err("max_length over 3000".into());
                }
            }
            Some("actions") => {
                let elements = block["elements"].as_array().ok_or("actions without elements")?;
                if elements.is_empty() || elements.len() > 25 {
                    return Err(format!("{} elements in an actions block (1 to 25)", elements.len()));
                }
                if elements.iter().any(|e| len(&e["text"]["text"]) > 75) {
                    return Err("button text over 75 characters".into());
                }
                // Slack: an action_id is unique among the elements of its block.
                let mut action_ids = std::collections::HashSet::new();
                for id in elements.iter().filter_map(|e| e["action_id"].as_str()) {
                    if id.len() > 255 || !action_ids.insert(id) {
                        return Err(format!("action_id {id} too long or repeated in a block"));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

#[test]
fn the_fake_refuses_what_slack_refuses() {
    let section = |text: String| serde_json::json!({ "type": "section", "text": { "type": "mrkdwn", "text": text } });
    let ok = serde_json::json!({ "text": "t", "blocks": [section("hi".into())] });
    assert!(validate("chat.postMessage", &ok).is_ok());
    assert!(validate("chat.postMessage", &serde_json::json!({ "blocks": [section("hi".into())] })).is_err());
    assert!(validate("chat.postMessage", &serde_json::json!({ "text": "t", "blocks": [section("x".repeat(3001))] }))
        .is_err());
    let many: Vec<Value> = (0..51).map(|_| section("x".into())).collect();
    assert!(validate("chat.postMessage", &serde_json::json!({ "text": "t", "blocks": many })).is_err());
    assert!(validate("chat.postMessage", &serde_json::json!({ "text": "t", "blocks": [{ "type": "bogus" }] })).is_err());
    let button = |id: &str| serde_json::json!({ "type": "button", "action_id": id, "text": { "type": "plain_text", "text": "b" } });
    let actions = |elements: Vec<Value>| serde_json::json!({ "text": "t", "blocks": [{ "type": "actions", "elements": elements }] });
    assert!(validate("chat.postMessage", &actions(vec![button("a"), button("b")])).is_ok());
    assert!(validate("chat.postMessage", &actions(vec![button("a"), button("a")])).is_err(), "a repeated action_id");
}
