//! Finding customers by what was typed: suggestions as you type in the capture
//! modal (ranked prefix, then substring, then recent activity), and the closest
//! names for an unknown one or a near-duplicate.

use serde_json::Value;

use crate::domain::{customer_key, CustomerName};
use crate::slack::blocks::option;
use crate::store::customers::CustomerMatch;

/// How many suggestions Slack's external select shows.
pub const MAX_SUGGESTIONS: usize = 20;

/// Option value prefix of an existing customer.
pub const EXISTING: &str = "id:";
/// Option value prefix of a customer to create.
pub const NEW: &str = "new:";

/// Orders matches for a typed fragment: names starting with it, then names
/// containing it; inside each, the most recently active first.
pub fn rank_matches(fragment_key: &str, mut matches: Vec<CustomerMatch>) -> Vec<CustomerMatch> {
    let tier = |m: &CustomerMatch| {
        if m.key.starts_with(fragment_key) || m.key.split(' ').any(|w| w.starts_with(fragment_key)) {
            0
        } else {
            1
        }
    };
    matches.sort_by(|a, b| {
        tier(a).cmp(&tier(b)).then(b.last_activity.cmp(&a.last_activity)).then_with(|| a.key.cmp(&b.key))
    });
    matches
}

/// Existing customers whose names are close to `key` without being it: a
/// shared prefix of five or more characters, or a high similarity.
pub fn near_duplicates<'a>(key: &str, customers: &'a [CustomerMatch]) -> Vec<&'a CustomerMatch> {
    let mut near: Vec<(f64, &CustomerMatch)> = customers
        .iter()
        .filter(|c| c.key != key)
        .filter_map(|c| {
            let shared = c.key.chars().zip(key.chars()).take_while(|(a, b)| a == b).count();
            let similarity = strsim::jaro_winkler(&c.key, key);
            // "acme crop" and "acme": one name is the other plus words.
            let word_prefix = key.starts_with(&format!("{} ", c.key)) || c.key.starts_with(&format!("{key} "));
            let prefix = word_prefix || (shared >= 5 && (c.key.starts_with(key) || key.starts_with(&c.key)));
            (prefix || similarity >= 0.9 || (key.len() >= 4 && strsim::levenshtein(&c.key, key) <= 1))
                .then_some((similarity, c))
        })
        .collect();
    near.sort_by(|a, b| b.0.total_cmp(&a.0));
    near.into_iter().take(3).map(|(_, c)| c).collect()
}

/// The options of the customer select for what was typed: the matches, then
/// a "create" option when the typed name is new (labelled with the nearest
/// existing name, so a near-duplicate is a visible choice).
pub fn render_customer_options(typed: &str, ranked: &[CustomerMatch], all: &[CustomerMatch]) -> Vec<Value> {
    let mut options: Vec<Value> = ranked
        .iter()
        .take(MAX_SUGGESTIONS - 1)
        .map(|c| option(&c.display_name, &format!("{EXISTING}{}", c.id)))
        .collect();
    if let Ok(name) = CustomerName::parse(typed) {
        let exists = all.iter().any(|c| c.key == name.key);
        if !exists {
            let label = match near_duplicates(&name.key, all).first() {
                Some(near) => format!("➕ New: {} (not {})", name.display, near.display_name),
                None => format!("➕ New customer: {}", name.display),
            };
            options.push(option(&label, &format!("{NEW}{}", name.display)));
        }
    }
    options
}

/// The key to search suggestions by.
pub fn fragment_key(typed: &str) -> String {
    customer_key(typed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(id: i64, name: &str, last: i64) -> CustomerMatch {
        CustomerMatch { id, key: customer_key(name), display_name: name.into(), last_activity: last }
    }

    #[test]
    fn prefix_matches_come_first_then_recent_activity() {
        let ranked =
            rank_matches("ac", vec![m(1, "Bacme", 900), m(2, "Acme", 100), m(3, "Acorn", 500), m(4, "Big Acme", 50)]);
        let names: Vec<&str> = ranked.iter().map(|c| c.display_name.as_str()).collect();
        assert_eq!(names, vec!["Acorn", "Acme", "Big Acme", "Bacme"]);
    }

    #[test]
    fn near_duplicates_are_found_but_not_strangers() {
        let all = vec![m(1, "Acme Corp", 0), m(2, "Globex", 0), m(3, "Initech", 0)];
        let near = |typed: &str| near_duplicates(&customer_key(typed), &all).iter().map(|c| c.id).collect::<Vec<_>>();
        assert_eq!(near("Acme Crop"), vec![1]);
        assert_eq!(near("Acmee"), vec![1]);
        assert_eq!(near("Globexx"), vec![2]);
        assert_eq!(near("Umbrella"), Vec::<i64>::new());
        assert_eq!(near("acme inc"), Vec::<i64>::new(), "the same key is not a near-duplicate");
    }

    #[test]
    fn options_offer_matches_and_a_create_choice_naming_the_near_duplicate() {
        let all = vec![m(1, "Acme Corp", 0)];
        let opts = render_customer_options("Acmee", &[], &all);
        assert_eq!(opts[0]["value"], "new:Acmee");
        assert_eq!(opts[0]["text"]["text"], "➕ New: Acmee (not Acme Corp)");
        let opts = render_customer_options("acme", &all, &all);
        assert_eq!(opts.len(), 1, "no create for an existing key");
        assert_eq!(opts[0]["value"], "id:1");
        let long = "An extremely long customer name that goes on well past what an option shows";
        insta::assert_json_snapshot!("customer_options", render_customer_options(long, &all, &all));
    }
}
