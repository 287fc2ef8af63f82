//! `/highlight shipped <area> | <words> | <announcement> [| <link>]`: closing
//! the loop with the customers who asked (docs/design.md, Behaviour). The
//! command only previews: the customers it would tell and a button. Nothing
//! is stored until the button is clicked ([`announce`]); the outbox then
//! replies in each customer's thread and DMs the people who know them
//! ([`post`]).
//!
//! The button carries what the preview showed (the highlight ids, the
//! announcement and a fresh nonce) sealed for the workspace, so a click
//! announces exactly that, a forged or another workspace's value is refused,
//! and the nonce makes the click count once, on any replica.

pub mod announce;
pub mod post;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::app::Slack;
use crate::areas::{find_area, unknown_area_message};
use crate::capture::quick::split_fields;
use crate::config::Config;
use crate::error::{AppError, UserError};
use crate::permissions;
use crate::reply::{echo, Reply};
use crate::search::parse_search;
use crate::slack::blocks::{self, actions, button, context, section, MAX_BUTTON_VALUE};
use crate::slack::mrkdwn::{count, decode, escape, link};
use crate::store::areas::list_areas;
use crate::store::search::{search_highlights, SearchFilter};
use crate::store::shipments::{self, OpenHighlight};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// The *Announce* button's action.
pub const ANNOUNCE_ACTION: &str = "shipped_announce";
/// Longest announcement (so the button's value holds it with the highlights).
pub const MAX_ANNOUNCEMENT_CHARS: usize = 300;
/// Longest link.
pub const MAX_LINK_CHARS: usize = 400;
/// Search hits read for the words (the button carries fewer anyway).
const MAX_MATCHES: i64 = 1000;
/// Said for `shipped` in another shape.
pub const SHIPPED_USAGE: &str = "Usage: `/highlight shipped <area> | <words> | <announcement> [| <link>]`, e.g. \
     `/highlight shipped chat | canned replies | Canned replies are live | https://example.com/changelog` \
     (`*` for the words: every highlight of the area).";

/// Which highlights of the area a shipment answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matching {
    /// `*`: every one.
    All,
    /// Those matching every word, as `search` matches them.
    Words(Vec<String>),
}

/// `shipped …`, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippedCommand {
    /// The area's name as typed (decoded).
    pub area: String,
    /// Which of its highlights.
    pub matching: Matching,
    /// What shipped (plain text).
    pub announcement: String,
    /// Where to read more: an http(s) URL.
    pub link: Option<String>,
    /// The whole command as typed (Slack-escaped): echoed back on refusals.
    pub text: String,
}

/// Reads the text after `shipped` (as Slack escaped it); `text` is the whole
/// command, echoed back with any refusal.
pub fn parse_shipped(rest: &str, text: &str) -> Result<ShippedCommand, UserError> {
    let refuse = |why: &str| UserError::new(format!("{why} {SHIPPED_USAGE}\n{}", echo(text)));
    let fields = split_fields(rest);
    if fields.len() < 3 {
        return Err(refuse("Name the area, the words and the announcement, separated by `|`."));
    }
    let area = crate::domain::one_space(&decode(fields[0]));
    if area.is_empty() {
        return Err(refuse("The product area is empty."));
    }
    let words = decode(fields[1]);
    let matching = if words.trim() == "*" {
        Matching::All
    } else {
        let words = parse_search(&words).words;
        if words.is_empty() {
            return Err(refuse("Say which highlights: words from them, or `*` for every highlight of the area."));
        }
        Matching::Words(words)
    };
    let (announcement, link) = match fields.len() {
        3 => (fields[2], None),
        n => (&rest[field_start(rest, &fields, 2)..field_start(rest, &fields, n - 1) - 1], Some(fields[n - 1])),
    };
    let announcement = decode(announcement).trim().to_owned();
    if announcement.is_empty() {
        return Err(refuse("The announcement is empty."));
    }
    if announcement.chars().count() > MAX_ANNOUNCEMENT_CHARS {
        return Err(refuse(&format!("Keep the announcement to {MAX_ANNOUNCEMENT_CHARS} characters.")));
    }
    let link = match link.map(parse_link).transpose() {
        Ok(link) => link,
        Err(why) => return Err(refuse(why)),
    };
    Ok(ShippedCommand { area, matching, announcement, link, text: text.to_owned() })
}

/// Where field `i` starts in `rest` (fields are slices of it).
fn field_start(rest: &str, fields: &[&str], i: usize) -> usize {
    fields[i].as_ptr() as usize - rest.as_ptr() as usize
}

/// A link as Slack sends it (`<https://…>` or `<https://…|label>`) or bare: an
/// http(s) URL with a host, or why not.
fn parse_link(typed: &str) -> Result<String, &'static str> {
    let typed = typed.trim();
    let raw = match typed.strip_prefix('<').and_then(|t| t.strip_suffix('>')) {
        Some(inner) => inner.split('|').next().unwrap_or_default().to_owned(),
        None => decode(typed),
    };
    match url::Url::parse(raw.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
            if raw.chars().count() > MAX_LINK_CHARS {
                return Err("That link is too long.");
            }
            Ok(raw.trim().to_owned())
        }
        _ => Err("The link must be a web address starting with http:// or https://."),
    }
}

/// What the *Announce* button carries (sealed; short names keep it small).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carried {
    /// The preview's nonce: one shipment per preview.
    #[serde(rename = "n")]
    pub nonce: String,
    /// The area's name.
    #[serde(rename = "a")]
    pub area: String,
    /// The announcement.
    #[serde(rename = "t")]
    pub announcement: String,
    /// The link.
    #[serde(rename = "l", default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The highlights the preview showed.
    #[serde(rename = "h")]
    pub highlights: Vec<i64>,
}

/// What a button value is sealed for: this workspace's announcements.
fn seal_context(workspace: &WorkspaceId) -> String {
    format!("{}:{ANNOUNCE_ACTION}", workspace.as_str())
}

/// The button's value: `carried`, sealed for the workspace.
pub fn seal_carried(secret: &str, workspace: &WorkspaceId, carried: &Carried) -> String {
    let json = serde_json::to_string(carried).unwrap_or_default();
    crate::slack::verify::seal(secret, &seal_context(workspace), &json)
}

/// What a button value carries, if this app sealed it for this workspace.
pub fn unseal_carried(secret: &str, workspace: &WorkspaceId, value: &str) -> Option<Carried> {
    let json = crate::slack::verify::unseal(secret, &seal_context(workspace), value)?;
    serde_json::from_str(json).ok()
}

/// `shipped …`: the preview, or why there is none. Stores nothing.
pub async fn preview(
    db: &Db,
    config: &Config,
    slack: &Slack,
    workspace: &WorkspaceId,
    user: &str,
    command: ShippedCommand,
) -> Result<Reply, AppError> {
    let refuse = |why: String| -> AppError { UserError::new(format!("{why}\n{}", echo(&command.text))).into() };
    permissions::require_manager(config, slack, workspace, user, "announce what shipped")
        .await
        .map_err(|refusal| refuse(refusal.0))?;
    let areas = list_areas(db, workspace).await?;
    let Some(area) = find_area(&areas, &command.area) else {
        return Err(refuse(unknown_area_message(&areas, &command.area)));
    };
    let open = match &command.matching {
        Matching::All => shipments::list_open_highlights(db, workspace, area.id, None).await?,
        Matching::Words(words) => {
            let filter = SearchFilter { area_id: Some(area.id), customer_id: None };
            let hits = search_highlights(db, workspace, words, &filter, MAX_MATCHES).await?;
            let ids: Vec<i64> = hits.iter().map(|h| h.id).collect();
            shipments::list_open_highlights(db, workspace, area.id, Some(&ids)).await?
        }
    };
    let words = match &command.matching {
        Matching::All => "*".to_owned(),
        Matching::Words(words) => words.join(" "),
    };
    if open.is_empty() {
        return Err(refuse(format!(
            "No open highlight in *{}* matches “{}” (highlights an earlier shipment closed are left out). Nothing was stored.",
            escape(&area.name),
            escape(&words)
        )));
    }
    let carried = Carried {
        nonce: crate::store::claim_token(),
        area: area.name.clone(),
        announcement: command.announcement.clone(),
        link: command.link.clone(),
        highlights: open.iter().map(|h| h.id).collect(),
    };
    let value = seal_carried(config.signing_secret.expose(), workspace, &carried);
    if value.chars().count() > MAX_BUTTON_VALUE {
        return Err(refuse(format!(
            "That matches {} in *{}*: more than one announcement can carry. Use more words to narrow it.",
            count(open.len() as i64, "highlight", "highlights"),
            escape(&area.name)
        )));
    }
    let (text, blocks) = render_preview(&carried, &words, &open, value);
    Ok(Reply::ephemeral_blocks(text, blocks))
}

/// Customers shown in a preview, at most (the rest are counted): well within
/// a message's 50 blocks and the total text Slack takes in one.
const PREVIEW_CUSTOMERS: usize = 30;

/// Pure rendering of the preview: who would be told, each with one of their
/// quotes, and the button.
pub fn render_preview(carried: &Carried, words: &str, open: &[OpenHighlight], value: String) -> (String, Vec<Value>) {
    let mut customers: Vec<&OpenHighlight> = Vec::new();
    for h in open {
        if customers.last().is_none_or(|last| last.customer_id != h.customer_id) {
            customers.push(h);
        }
    }
    let n = customers.len();
    let told = count(n as i64, "customer", "customers");
    let mut announced = format!("*Shipped:* {}", escape(&carried.announcement));
    if let Some(url) = &carried.link {
        announced.push_str(&format!(" {}", link(url, url)));
    }
    let mut blocks = vec![section(&format!(
        "{announced}\n{} in *{}* matching “{}” would be closed, and {told} told in their threads:",
        count(open.len() as i64, "highlight", "highlights"),
        escape(&carried.area),
        escape(words)
    ))];
    for h in customers.iter().take(PREVIEW_CUSTOMERS) {
        let quote = blocks::truncate(&h.quote.replace('\n', " "), 200);
        blocks.push(section(&format!("*{}*\n>{}", escape(&h.customer.label()), escape(&quote))));
    }
    if n > PREVIEW_CUSTOMERS {
        blocks.push(context(&format!("…and {} more.", count((n - PREVIEW_CUSTOMERS) as i64, "customer", "customers"))));
    }
    blocks.push(context(
        "Nothing is announced until you click. Their interviewers and followers get a DM listing the customers to tell.",
    ));
    let label = format!("Announce to {} {}", n, if n == 1 { "customer" } else { "customers" });
    blocks.push(actions("shipped", [button(ANNOUNCE_ACTION, &label).primary().value(value)]));
    (format!("Announce “{}” to {told}?", escape(&carried.announcement)), blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_is_read_with_its_link_and_refused_with_the_text() {
        let text = "shipped Chat | Canned replies! | Canned &lt;replies&gt; are live | <https://x.io/log>";
        let read = parse_shipped(&text["shipped ".len()..], text).expect("read");
        assert_eq!(read.area, "Chat");
        assert_eq!(read.matching, Matching::Words(vec!["canned".into(), "replies".into()]));
        assert_eq!(read.announcement, "Canned <replies> are live");
        assert_eq!(read.link.as_deref(), Some("https://x.io/log"));
        let all = parse_shipped("chat | * | Out now", "shipped chat | * | Out now").expect("read");
        assert_eq!((all.matching, all.link), (Matching::All, None));
        // A bar inside the announcement stays in it when a link follows.
        let bars = parse_shipped("chat | x | a | b | https://x.io", "t").expect("read");
        assert_eq!(bars.announcement, "a | b");
        for bad in ["chat | x | Live | ftp://x.io", "chat | x | Live | javascript:alert(1)", "chat | x", " | x | y"] {
            let refusal = parse_shipped(bad, &format!("shipped {bad}")).expect_err(bad);
            assert!(refusal.0.ends_with(&echo(&format!("shipped {bad}"))), "{}", refusal.0);
        }
        assert!(parse_shipped("chat | x | Live | ftp://x.io", "t").expect_err("ftp").0.contains("http://"));
        assert!(parse_shipped("chat | !! | Live", "t").is_err());
    }

    #[test]
    fn a_value_opens_only_for_the_workspace_it_was_sealed_for() {
        let carried = Carried {
            nonce: "n1".into(),
            area: "chat".into(),
            announcement: "Live".into(),
            link: None,
            highlights: vec![1, 2],
        };
        let ours = WorkspaceId("T1".into());
        let value = seal_carried("secret", &ours, &carried);
        assert_eq!(unseal_carried("secret", &ours, &value), Some(carried.clone()));
        assert_eq!(unseal_carried("secret", &WorkspaceId("T2".into()), &value), None);
        assert_eq!(unseal_carried("secret", &ours, &value.replace("[1,2]", "[1,2,3]")), None);
    }

    #[test]
    fn the_preview_names_each_customer_once_with_a_quote() {
        let h = |id: i64, customer_id: i64, customer: &str, quote: &str| OpenHighlight {
            id,
            customer_id,
            customer: crate::domain::ShownCustomer::named(customer),
            quote: quote.into(),
        };
        let carried = Carried {
            nonce: "n1".into(),
            area: "chat".into(),
            announcement: "Canned <replies> & more".into(),
            link: Some("https://x.io/log".into()),
            highlights: vec![3, 2, 1],
        };
        let open = [h(3, 1, "Acme", "<!channel> we need it"), h(2, 1, "Acme", "again"), h(1, 2, "Globex", "yes")];
        let (text, blocks) = render_preview(&carried, "canned replies", &open, "sealed".into());
        assert_eq!(text, "Announce “Canned &lt;replies&gt; &amp; more” to 2 customers?");
        blocks::typed_blocks(&blocks).expect("valid Block Kit");
        insta::assert_json_snapshot!("shipped_preview", blocks);
    }
}
