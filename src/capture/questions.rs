//! The questions a quick capture may ask before it stores anything: "did you
//! mean" a customer already there, and which product area the quote is about.
//! Pure rendering; each button carries the typed text, and a nonce so that a
//! double click captures once.

use serde_json::json;

use crate::capture::handle::{CAPTURE_IN_AREA_ACTION, CREATE_NEW_ACTION, USE_EXISTING_ACTION};
use crate::capture::quick::Unfiled;
use crate::reply::{echo, Reply};
use crate::slack::blocks::{actions, button, context, section, Button, MAX_BUTTON_VALUE};
use crate::slack::mrkdwn::escape;
use crate::store::areas::Area;

/// "Did you mean Acme Corp?": two buttons, each carrying the typed `text`, so
/// nothing is stored until the user chooses and nothing is lost. None when
/// the text is too long to ride in a button.
pub fn did_you_mean(text: &str, typed_name: &str, near_id: i64, near_name: &str, nonce: &str) -> Option<Reply> {
    let use_value = json!({ "text": text, "customer_id": near_id, "nonce": nonce }).to_string();
    let new_value = json!({ "text": text, "nonce": nonce }).to_string();
    if use_value.chars().count() > MAX_BUTTON_VALUE {
        return None;
    }
    let question = format!(
        "Did you mean *{}*? There is no customer called “{}” yet. Nothing is saved until you choose.",
        escape(near_name),
        escape(typed_name)
    );
    let blocks = vec![
        section(&question),
        actions(
            "did_you_mean",
            [
                button(USE_EXISTING_ACTION, &format!("Use {near_name}")).primary().value(use_value),
                button(CREATE_NEW_ACTION, &format!("Create “{typed_name}”")).value(new_value),
            ],
        ),
        context(&echo(text)),
    ];
    Some(Reply::ephemeral_blocks(question, blocks))
}

/// "Which product area?": one button per suggested area, the most likely
/// first (and green), each carrying the capture typed with that area. None
/// when no area fits in a button.
pub fn which_area(text: &str, unfiled: &Unfiled, suggested: &[&Area], nonce: &str) -> Option<Reply> {
    let buttons: Vec<Button> = suggested
        .iter()
        .enumerate()
        .map(|(i, area)| (i, area, json!({ "text": unfiled.with_area(&area.name), "nonce": nonce }).to_string()))
        .filter(|(_, _, value)| value.chars().count() <= MAX_BUTTON_VALUE)
        .map(|(i, area, value)| {
            let button = button(&format!("{CAPTURE_IN_AREA_ACTION}_{i}"), &area.name).value(value);
            if i == 0 {
                button.primary()
            } else {
                button
            }
        })
        .collect();
    if buttons.is_empty() {
        return None;
    }
    let question = format!(
        "Which product area is this quote from *{}* about? Nothing is saved until you choose.",
        escape(&unfiled.customer.display)
    );
    let blocks = vec![
        section(&question),
        actions("suggested_area", buttons),
        context(&format!("Another area? Type it between the customer and the quote. {}", echo(text))),
    ];
    Some(Reply::ephemeral_blocks(question, blocks))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "Acme corp | chat | \"We need SSO &amp; audit logs\"";

    #[test]
    fn did_you_mean_asks_with_two_buttons() {
        let reply = did_you_mean(TEXT, "Acme corp", 42, "Acme Corp. & Sons", "n0nce").expect("fits in a button");
        insta::assert_json_snapshot!("did_you_mean", reply);
        let long = format!("Acme corp | chat | {}", "x".repeat(2000));
        assert_eq!(did_you_mean(&long, "Acme corp", 42, "Acme Corp.", "n0nce"), None);
    }

    #[test]
    fn which_area_offers_the_suggested_areas_as_buttons() {
        let text = "Acme | We need &lt;canned&gt; replies";
        let unfiled = Unfiled::parse(text).expect("unfiled").expect("valid");
        let areas = [
            Area { id: 7, key: "chat".into(), name: "Chat".into() },
            Area { id: 9, key: "billing".into(), name: "Billing | invoices".into() },
            Area { id: 11, key: "long".into(), name: format!("A product area named at length {}", "x".repeat(60)) },
        ];
        let suggested: Vec<&Area> = areas.iter().collect();
        let reply = which_area(text, &unfiled, &suggested, "n0nce").expect("the areas fit in buttons");
        insta::assert_json_snapshot!("which_area", reply);
        assert_eq!(which_area(text, &unfiled, &[], "n0nce"), None);
    }
}
