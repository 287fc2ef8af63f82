//! `forget <customer>` (a manager's; design.md, Behaviour: Privacy): erase a
//! customer at their request. The command only previews what would go, with
//! a confirm button that carries the customer and the asker, sealed for the
//! workspace; only the asker's click erases. The erase is one transaction
//! (`store::forget`): the rows about the customer go (its interviews still
//! count for onboarding, its feedback items stay without it), and the outbox
//! is given the deletion of its thread and the mending of the digests and
//! reports of the last 90 days that quoted it. The preview's nonce, claimed
//! in the same transaction, makes a second click (or another replica's)
//! erase nothing more.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::app::{AppState, Clock, Outbox, Slack};
use crate::config::Config;
use crate::customers::view::resolve;
use crate::domain::CustomerName;
use crate::error::{AppError, UserError};
use crate::permissions;
use crate::posting::PostError;
use crate::reply::Reply;
use crate::slack::blocks::{self, actions, button, context, section, Message};
use crate::slack::client::SlackError;
use crate::slack::interaction::Action;
use crate::slack::mrkdwn::{count, escape};
use crate::store::forget::{
    count_customer_rows, erase_customer, update_mend_post_done, ForgetCounts, MEND_DAYS, REMOVED_TEXT,
};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// The confirm button's action.
pub const FORGET_ACTION: &str = "forget_confirm";
/// Said for `forget` without a name.
pub const FORGET_USAGE: &str = "Name the customer to erase, e.g. `/highlight forget Acme`.";
/// Said after a refused `forget`.
pub const NOTHING_ERASED: &str = "Nothing was erased.";
/// Said for a button value this app did not seal for this workspace.
pub const NOT_OUR_BUTTON_TEXT: &str =
    "This button was not made by Highlights for this workspace, so nothing was erased.";

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// What the confirm button carries (sealed; short names keep it small).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carried {
    /// The preview's nonce: one erase per preview.
    #[serde(rename = "n")]
    pub nonce: String,
    /// The customer.
    #[serde(rename = "c")]
    pub customer_id: i64,
    /// Who asked: the only one who may confirm.
    #[serde(rename = "u")]
    pub user: String,
}

fn seal_context(workspace: &WorkspaceId) -> String {
    format!("{}:{FORGET_ACTION}", workspace.as_str())
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

/// What the erase takes, in words: `3 highlights, 2 interviews, …`.
pub fn describe(counts: &ForgetCounts) -> String {
    [
        count(counts.highlights, "highlight", "highlights"),
        count(counts.interviews, "interview", "interviews"),
        count(counts.feedback_items, "feedback item", "feedback items"),
        count(counts.thread_messages, "message in its thread", "messages in its thread"),
    ]
    .join(", ")
}

/// `forget <customer>`: what would be erased, and the confirm button.
/// Stores nothing.
pub async fn preview(
    db: &Db,
    config: &Config,
    slack: &Slack,
    workspace: &WorkspaceId,
    user: &str,
    name: &CustomerName,
) -> Result<Reply, AppError> {
    permissions::require_manager(config, slack, workspace, user, "erase a customer").await?;
    let customer = resolve(db, workspace, name).await.map_err(|e| match e {
        AppError::User(e) => UserError::new(format!("{} {NOTHING_ERASED}", e.0)).into(),
        e => e,
    })?;
    let counts = count_customer_rows(db, workspace, customer.id).await?;
    let carried = Carried { nonce: crate::store::claim_token(), customer_id: customer.id, user: user.to_owned() };
    let value = seal_carried(config.signing_secret.expose(), workspace, &carried);
    let (text, blocks) = render_preview(&customer.display_name, &counts, value);
    Ok(Reply::ephemeral_blocks(text, blocks))
}

/// Pure rendering of the preview.
pub fn render_preview(raw_name: &str, counts: &ForgetCounts, value: String) -> (String, Vec<Value>) {
    let name = escape(&blocks::truncate(raw_name, 80));
    let text = format!(
        "Forgetting *{name}* erases {}. Digests and reports posted in the last {MEND_DAYS} days show \
         _{REMOVED_TEXT}_ in place of its quotes. Onboarding counts keep its interviews and feedback items, \
         without the customer. This cannot be undone.",
        describe(counts)
    );
    let confirm = button(FORGET_ACTION, &format!("Forget {}", blocks::truncate(raw_name, 60))).value(value).danger();
    let blocks =
        vec![section(&text), actions("forget", [confirm]), context("Nothing is erased until you click; only you can.")];
    (text, blocks)
}

/// The confirm button: erases what the preview named, once, and replaces
/// the preview with what was done. Only the person who asked may confirm.
pub async fn click(state: &AppState, workspace: &WorkspaceId, user: &str, action: &Action) -> Result<(), AppError> {
    let answer = match unseal_carried(state.config.signing_secret.expose(), workspace, &action.value) {
        None => {
            tracing::warn!("a forget button this app did not seal for the workspace refused");
            Reply::ephemeral(NOT_OUR_BUTTON_TEXT)
        }
        Some(carried) if carried.user != user => Reply::ephemeral(format!(
            "Only <@{}>, who asked, can confirm this. Nothing was erased.",
            escape(&carried.user)
        )),
        Some(carried) => {
            match permissions::require_manager(&state.config, &state.slack, workspace, user, "erase a customer").await {
                Err(refusal) => Reply::ephemeral(refusal.0),
                Ok(()) => {
                    let text = match forget(
                        &state.db,
                        &state.clock,
                        &state.outbox,
                        workspace,
                        carried.customer_id,
                        &carried.nonce,
                    )
                    .await?
                    {
                        Some(counts) => format!(
                        "Forgotten: {} erased. Its thread is being deleted and the digests and reports of the last \
                         {MEND_DAYS} days mended.",
                        describe(&counts)
                    ),
                        None => "That customer was forgotten already; nothing more was erased.".to_owned(),
                    };
                    Reply { replace_original: Some(true), ..Reply::ephemeral(text) }
                }
            }
        }
    };
    if let Some(url) = &action.response_url {
        state.slack.respond(url, &answer).await;
    }
    Ok(())
}

/// Erases a customer, once per `nonce` (the preview's, or a fresh one from
/// the command line), in one transaction with the Slack work it needs; None
/// when this erase happened before or the customer is gone.
pub async fn forget(
    db: &Db,
    clock: &Clock,
    outbox: &Outbox,
    workspace: &WorkspaceId,
    customer_id: i64,
    nonce: &str,
) -> Result<Option<ForgetCounts>, AppError> {
    let erased = forget_in(db, workspace, customer_id, nonce, clock.now_ms()).await?;
    if erased.is_some() {
        outbox.wake();
    }
    Ok(erased)
}

/// [`forget`] on a database (the command line's, without a running app: the
/// app's outbox carries the Slack work out).
pub async fn forget_in(
    db: &crate::store::Db,
    workspace: &WorkspaceId,
    customer_id: i64,
    nonce: &str,
    now: i64,
) -> Result<Option<ForgetCounts>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let claimed =
        crate::store::events::insert_processed_event(&mut tx, workspace, &format!("forget:{nonce}"), "forget", now)
            .await?;
    if !claimed {
        return Ok(None);
    }
    let mend_since = now - MEND_DAYS * DAY_MS;
    let Some(counts) = erase_customer(&mut tx, workspace, customer_id, nonce, mend_since, now, redact_notice).await?
    else {
        return Ok(None);
    };
    tx.commit().await?;
    Ok(Some(counts))
}

/// Deletes the app's messages in a forgotten customer's thread (those it
/// lists, and the `known` replies even when it cannot be read), the parent
/// last. Messages gone already are no error, so a retry finishes the job.
pub async fn delete_thread(
    slack: &Slack,
    workspace: &WorkspaceId,
    channel: &str,
    ts: &str,
    known: &[String],
) -> Result<(), PostError> {
    let client = slack.client(workspace).await?;
    let listed = match client.list_thread_messages(channel, ts).await {
        Ok(listed) => listed,
        Err(SlackError::Api(code)) if code == "missing_scope" || code == "not_in_channel" => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let mut replies: Vec<&str> = listed
        .iter()
        .filter(|m| !m["bot_id"].is_null())
        .filter_map(|m| m["ts"].as_str())
        .filter(|reply| *reply != ts)
        .collect();
    for reply in known {
        if !replies.contains(&reply.as_str()) {
            replies.push(reply);
        }
    }
    for reply in replies {
        client.delete_message(channel, reply).await?;
    }
    client.delete_message(channel, ts).await?;
    Ok(())
}

/// A digest or report to mend (an outbox row's).
#[derive(Debug, Clone, Copy)]
pub struct Mend<'a> {
    /// The erase it belongs to.
    pub forget: &'a str,
    /// The key it was posted with.
    pub key: &'a str,
    /// Who got it by DM (a report); None: a digest in the product channel.
    pub to: Option<&'a str>,
    /// The forgotten customer's quotes.
    pub quotes: &'a [String],
    /// The names it went by.
    pub names: &'a [String],
}

/// Shows `(removed at the customer's request)` in place of the forgotten
/// customer's quotes in a digest or report the app posted (found by its key
/// in its channel); one that no longer shows any is left as it is.
pub async fn mend_post(
    db: &Db,
    clock: &Clock,
    slack: &Slack,
    workspace: &WorkspaceId,
    mend: Mend<'_>,
) -> Result<(), PostError> {
    let client = slack.client(workspace).await?;
    let channels = match mend.to {
        // A report went to the person's id; Slack files it in the app's conversation with them.
        Some(user) => vec![client.open_dm(user).await?, user.to_owned()],
        None => match crate::posting::product_channel(db, slack, workspace).await? {
            Some(channel) => vec![channel],
            None => return Ok(()),
        },
    };
    let oldest = format!("{}.000000", clock.now().as_second() - (MEND_DAYS + 1) * 24 * 60 * 60);
    for channel in channels {
        let Some(posted) = client.find_posted_message(&channel, &oldest, mend.key).await? else { continue };
        if let Some(message) = mend_message(&posted.text, &posted.blocks, mend.quotes, mend.names) {
            client.update_message(&channel, &posted.ts, &message).await?;
        }
        break;
    }
    // Done: the row keeps no quote or name of the customer.
    let Mend { forget, key, to, .. } = mend;
    db.write(async |tx| update_mend_post_done(tx, workspace, forget, key, to).await).await?;
    Ok(())
}

/// The message with the customer's quotes (and the line naming whose they
/// were) replaced; None when it shows none of them.
pub fn mend_message(text: &str, blocks: &[Value], quotes: &[String], names: &[String]) -> Option<Message> {
    let mut mended = blocks.to_vec();
    let mut changed = false;
    for block in &mut mended {
        changed |= mend_value(block, quotes, names);
    }
    let fallback = mend_text(text, quotes, names);
    changed |= fallback != text;
    changed.then(|| Message::new(fallback, mended))
}

/// Mends every `text` string inside a block; whether any changed.
fn mend_value(value: &mut Value, quotes: &[String], names: &[String]) -> bool {
    match value {
        Value::Object(fields) => {
            let mut changed = false;
            for (key, field) in fields.iter_mut() {
                match field {
                    Value::String(s) if key == "text" => {
                        let mended = mend_text(s, quotes, names);
                        if mended != *s {
                            *s = mended;
                            changed = true;
                        }
                    }
                    other => changed |= mend_value(other, quotes, names),
                }
            }
            changed
        }
        Value::Array(items) => {
            // Every item mended, not only up to the first that changed.
            let mut changed = false;
            for item in items {
                changed |= mend_value(item, quotes, names);
            }
            changed
        }
        _ => false,
    }
}

/// Whether a quoted line (`>…`, as digests and reports render a quote:
/// escaped, on one line, perhaps cut with `…`) shows one of `quotes`.
fn shows_quote(line: &str, quotes: &[String]) -> bool {
    let shown = line.trim_end_matches('…').trim();
    !shown.is_empty()
        && quotes.iter().any(|q| {
            let full = escape(&q.replace('\n', " "));
            full.trim() == shown || (shown.chars().count() >= 12 && full.starts_with(shown))
        })
}

/// Replaces each quoted line showing one of `quotes`, and the `— …` line
/// under it (whose it was), by the removal notice; then any name the
/// customer went by.
pub fn mend_text(text: &str, quotes: &[String], names: &[String]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut after_quote = false;
    for line in text.split('\n') {
        if line.strip_prefix('>').is_some_and(|body| shows_quote(body, quotes)) {
            out.push(format!(">_{REMOVED_TEXT}_"));
            after_quote = true;
            continue;
        }
        if after_quote && (line.starts_with("— ") || line.starts_with(">— ")) {
            after_quote = false;
            continue;
        }
        after_quote = false;
        out.push(line.to_owned());
    }
    let mut mended = out.join("\n");
    for name in names.iter().filter(|n| !n.trim().is_empty()) {
        mended = replace_word(&mended, &escape(name), "(removed)");
    }
    mended
}

/// A DM about several customers (`shipped`) without the forgotten one:
/// each `• ` line showing one of its names or quotes becomes the removal
/// notice, and its names elsewhere `(removed)`; None when no line about
/// another customer is left (the DM has nothing more to say).
pub fn redact_notice(text: &str, quotes: &[String], names: &[String]) -> Option<String> {
    let names: Vec<String> = names.iter().filter(|n| !n.trim().is_empty()).map(|n| escape(n)).collect();
    // A quote is shown escaped, on one line, perhaps cut: its start is enough.
    let starts: Vec<String> = quotes
        .iter()
        .map(|q| escape(&q.replace('\n', " ").chars().take(30).collect::<String>()))
        .filter(|start| !start.trim().is_empty())
        .collect();
    let mut others = false;
    let mut lines = Vec::new();
    for line in text.split('\n') {
        let item = line.starts_with("• ");
        let named = names.iter().any(|name| replace_word(line, name, "") != line);
        if item && (named || starts.iter().any(|start| line.contains(start.as_str()))) {
            lines.push(format!("• _{REMOVED_TEXT}_"));
            continue;
        }
        others |= item;
        lines.push(names.iter().fold(line.to_owned(), |line, name| replace_word(&line, name, "(removed)")));
    }
    others.then(|| lines.join("\n"))
}

/// `text` with each whole-word `word` replaced.
fn replace_word(text: &str, word: &str, with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(word) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + word.len()..].chars().next();
        let bounded = !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric);
        out.push_str(&rest[..at]);
        out.push_str(if bounded { with } else { word });
        rest = &rest[at + word.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shipped_dm_keeps_the_other_customers_only() {
        let quotes = vec!["We need canned replies & macros for all our agents".to_owned()];
        let names = vec!["Acme".to_owned(), "Customer 1".to_owned()];
        let dm = "*Shipped in chat:* Canned replies\nAnnounced by <@U1>. Their threads got a reply; you know 2 \
                  customers who asked, so tell them:\n• *Customer 1 (Enterprise)*: “We need canned replies &amp; \
                  macros for all…”\n• *Globex*: “Macros please”";
        assert_eq!(
            redact_notice(dm, &quotes, &names).as_deref(),
            Some(
                "*Shipped in chat:* Canned replies\nAnnounced by <@U1>. Their threads got a reply; you know 2 \
                 customers who asked, so tell them:\n• _(removed at the customer's request)_\n• *Globex*: “Macros please”"
            )
        );
        // Found by its quote alone (a name it went by that was not kept); a DM about it alone says nothing more.
        assert_eq!(
            redact_notice("Shipped:\n• *Initech*: “We need canned replies &amp; macros for…”", &quotes, &names),
            None
        );
        assert_eq!(
            redact_notice("Shipped for Acme:\n• *Globex*: “x”", &quotes, &names).as_deref(),
            Some("Shipped for (removed):\n• *Globex*: “x”")
        );
    }

    #[test]
    fn a_digest_shows_the_removal_in_place_of_the_quotes() {
        let quotes = vec!["We need canned replies & macros".to_owned(), "Exports\ntime out".to_owned()];
        let names = vec!["Acme".to_owned(), "Customer 1".to_owned()];
        let digest = "*chat*: 2 customers, 3 highlights\n>We need canned replies &amp; macros\n— <https://x|Acme>, \
                      heard by Ann\n>Globex wants macros\n— *Globex*, heard by Bob\n>Exports time out\n— *Acme*, heard by Ann";
        let mended = mend_text(digest, &quotes, &names);
        assert_eq!(
            mended,
            "*chat*: 2 customers, 3 highlights\n>_(removed at the customer's request)_\n>Globex wants macros\n— \
             *Globex*, heard by Bob\n>_(removed at the customer's request)_"
        );
        // A cut quote is found by its start; a name inside another word stays.
        let cut = format!(">{}…\n— *Customer 1*, 2026-11-02", escape(&quotes[0])[..20].to_owned());
        assert_eq!(mend_text(&cut, &quotes, &names), ">_(removed at the customer's request)_");
        assert_eq!(
            mend_text("Acmeish and Customer 12 stay; Acme goes", &[], &names),
            "Acmeish and Customer 12 stay; (removed) goes"
        );
    }

    #[test]
    fn a_message_without_the_customer_is_left_alone() {
        let blocks =
            vec![serde_json::json!({ "type": "section", "text": { "type": "mrkdwn", "text": ">Macros\n— *Globex*" } })];
        assert!(mend_message("Digest", &blocks, &["Canned replies".to_owned()], &["Acme".to_owned()]).is_none());
        let mended = mend_message("Digest", &blocks, &["Macros".to_owned()], &["Globex".to_owned()]).expect("mended");
        assert_eq!(mended.blocks[0]["text"]["text"], ">_(removed at the customer's request)_");
    }

    #[test]
    fn the_button_is_sealed_for_its_workspace() {
        let ws = WorkspaceId("T1".into());
        let carried = Carried { nonce: "n".into(), customer_id: 7, user: "U1".into() };
        let value = seal_carried("secret", &ws, &carried);
        assert_eq!(unseal_carried("secret", &ws, &value), Some(carried));
        assert_eq!(unseal_carried("secret", &WorkspaceId("T2".into()), &value), None);
        assert_eq!(unseal_carried("other", &ws, &value), None);
    }
}
