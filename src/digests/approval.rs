//! Digest approval (docs/design.md, Behaviour): with `config digest approver @user`, a
//! scheduled digest is DMed to the approver first, with Approve, Skip and a
//! Remove per area. Approved, it posts once; skipped, never; unanswered for
//! 24 hours, it is skipped and the approver told. Each decision is taken once
//! (a pending row changes state in the transaction that queues the post).

use std::collections::HashMap;

use crate::app::{AppState, Clock, Slack};
use crate::digests::post::names_in;
use crate::digests::{gather, render_digest_message, DigestData, MAX_AREAS};
use crate::error::{AppError, UserError};
use crate::posting::{product_channel, PostError};
use crate::reply::Reply;
use crate::slack::blocks::{actions, button, divider, section, Button, Message};
use crate::slack::interaction::Action;
use crate::slack::mrkdwn::{escape, mention_id};
use crate::store::digest_approvals::{
    find_digest_approval, update_digest_approver, update_digest_decided, update_digest_removed_areas, DigestApproval,
};
use crate::store::outbox::OutboxKind;
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// `action_id` of the Approve button (its value: the period's key).
pub const APPROVE_ACTION: &str = "digest_approve";
/// `action_id` of the Skip button.
pub const SKIP_ACTION: &str = "digest_skip";
/// `action_id` of a Remove button, followed by `:<area id>` (Slack refuses a
/// message whose buttons in one block share an `action_id`); its value:
/// `<area id> <period key>`.
pub const REMOVE_AREA_ACTION: &str = "digest_remove_area";

/// The `action_id` of the Remove button of one area.
pub fn remove_area_action(area_id: i64) -> String {
    format!("{REMOVE_AREA_ACTION}:{area_id}")
}

/// Whether a button is a Remove button (of any area).
fn is_remove_action(action_id: &str) -> bool {
    action_id.strip_prefix(REMOVE_AREA_ACTION).is_some_and(|rest| rest.is_empty() || rest.starts_with(':'))
}

/// Whether a button belongs to an approval DM.
pub fn is_approval_action(action_id: &str) -> bool {
    matches!(action_id, APPROVE_ACTION | SKIP_ACTION) || is_remove_action(action_id)
}

/// Reads `config digest approver @user|off`: the approver's id, None for `off`.
pub fn parse_approver(arg: &str) -> Result<Option<String>, UserError> {
    if arg.trim().eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    match mention_id(arg, '@') {
        Some(id) => Ok(Some(id)),
        None => Err(UserError::new(format!(
            "Name the approver with an @mention, e.g. `/highlight config digest approver @ann`, or `off`.\n{}",
            crate::reply::echo(&format!("config digest approver {arg}"))
        ))),
    }
}

/// `config digest approver @user|off` (`approver` None: off).
pub async fn configure(
    state: &AppState,
    workspace: &WorkspaceId,
    user: &str,
    approver: Option<String>,
) -> Result<Reply, AppError> {
    crate::permissions::require_manager(&state.config, &state.slack, workspace, user, "change the configuration")
        .await?;
    state
        .db
        .write(async |tx| update_digest_approver(tx, workspace, approver.as_deref(), user, state.clock.now_ms()).await)
        .await?;
    Ok(Reply::ephemeral(match approver {
        Some(id) => format!(
            "Scheduled digests now go to <@{id}> first, by DM, with Approve, Skip and Remove per area; \
             one left unanswered for 24 hours is skipped."
        ),
        None => "Scheduled digests are posted without approval.".to_owned(),
    }))
}

/// The digest as the approver will decide on it: what the channel would get,
/// without the areas they removed.
async fn digest_for(
    db: &Db,
    clock: &Clock,
    workspace: &WorkspaceId,
    approval: &DigestApproval,
) -> Result<DigestData, sqlx::Error> {
    let mut data =
        gather(db, clock.now_ms(), workspace, approval.from_ms, approval.until_ms, approval.label.clone(), false)
            .await?;
    data.remove_areas(&approval.removed());
    Ok(data)
}

/// DMs a digest to its approver (run by the outbox worker).
pub async fn ask(
    db: &Db,
    clock: &Clock,
    slack: &Slack,
    workspace: &WorkspaceId,
    period_key: &str,
) -> Result<(), PostError> {
    let Some(approval) = find_digest_approval(db, workspace, period_key).await? else {
        return Err(PostError::Gone);
    };
    if approval.status != "pending" {
        return Ok(());
    }
    let message = approval_message(db, clock, slack, workspace, &approval).await?;
    slack.client(workspace).await?.post_message(&approval.approver, None, false, &message, None).await?;
    Ok(())
}

/// The approval DM as it stands (the areas removed so far left out).
async fn approval_message(
    db: &Db,
    clock: &Clock,
    slack: &Slack,
    workspace: &WorkspaceId,
    approval: &DigestApproval,
) -> Result<Message, sqlx::Error> {
    let data = digest_for(db, clock, workspace, approval).await?;
    let channel = product_channel(db, slack, workspace).await?;
    let names = names_in(slack, workspace, &data).await;
    Ok(render_approval(&data, approval, channel.as_deref(), &names))
}

/// The approval DM: the digest, then the decision.
pub fn render_approval(
    data: &DigestData,
    approval: &DigestApproval,
    channel: Option<&str>,
    names: &HashMap<String, String>,
) -> Message {
    let digest = render_digest_message(data, names);
    let whereto = channel.map(|c| format!("<#{c}>")).unwrap_or_else(|| "the product channel".to_owned());
    let mut blocks = vec![section(&format!(
        "*This digest is waiting for your approval* before it goes to {whereto}. Unanswered within 24 hours, it is skipped."
    ))];
    blocks.extend(digest.blocks);
    blocks.push(divider());
    blocks.push(actions(
        "digest_decision",
        [
            button(APPROVE_ACTION, "Approve and post").primary().value(&approval.period_key),
            button(SKIP_ACTION, "Skip").value(&approval.period_key),
        ],
    ));
    let removes: Vec<Button> = data
        .areas
        .iter()
        .take(MAX_AREAS)
        .map(|(area, _)| {
            button(&remove_area_action(area.area_id), &format!("Remove {}", area.area))
                .value(format!("{} {}", area.area_id, approval.period_key))
        })
        .collect();
    if !removes.is_empty() {
        blocks.push(actions("digest_remove", removes));
    }
    Message::new(escape(&format!("Digest of {} waiting for your approval", approval.label)), blocks)
}

/// A click in the approval DM. Only the approver decides; each decision is
/// taken once, and the DM is replaced by what happened.
pub async fn click(state: &AppState, workspace: &WorkspaceId, user: &str, action: &Action) -> Result<(), AppError> {
    let (area, key) = match action.value.split_once(' ') {
        Some((area, key)) if is_remove_action(&action.action_id) => (area.parse::<i64>().ok(), key),
        _ => (None, action.value.as_str()),
    };
    let Some(approval) = find_digest_approval(&state.db, workspace, key).await? else {
        tracing::warn!(key, "a click on an unknown digest approval ignored");
        return Ok(());
    };
    let answer = |reply: Reply| async move {
        if let Some(url) = &action.response_url {
            state.slack.respond(url, &reply).await;
        }
    };
    if approval.approver != user {
        answer(Reply::ephemeral(format!("Only <@{}> decides on this digest.", approval.approver))).await;
        return Ok(());
    }
    let now = state.clock.now_ms();
    let label = escape(&approval.label);
    let replaced = |text: String| Reply { replace_original: Some(true), ..Reply::ephemeral(text) };
    match action.action_id.as_str() {
        APPROVE_ACTION => {
            let post = OutboxKind::PostDigest {
                from: approval.from_ms,
                until: approval.until_ms,
                label: approval.label.clone(),
                partial: false,
                removed_areas: approval.removed(),
                topic: approval.period_key.clone(),
            };
            if state
                .db
                .write(async |tx| update_digest_decided(tx, workspace, key, "approved", user, Some(&post), now).await)
                .await?
            {
                state.outbox.wake();
                answer(replaced(format!("✅ You approved the digest of {label}: it is being posted."))).await;
            } else {
                answer(replaced(already(&state.db, workspace, key).await?)).await;
            }
        }
        SKIP_ACTION => {
            if state
                .db
                .write(async |tx| update_digest_decided(tx, workspace, key, "skipped", user, None, now).await)
                .await?
            {
                answer(replaced(format!("You skipped the digest of {label}: it will not be posted."))).await;
            } else {
                answer(replaced(already(&state.db, workspace, key).await?)).await;
            }
        }
        _ => {
            let mut removed = approval.removed();
            removed.extend(area);
            removed.sort_unstable();
            removed.dedup();
            let list = removed.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            if !state.db.write(async |tx| update_digest_removed_areas(tx, workspace, key, &list, now).await).await? {
                answer(replaced(already(&state.db, workspace, key).await?)).await;
                return Ok(());
            }
            let approval = DigestApproval { removed_areas: list, ..approval };
            let message = approval_message(&state.db, &state.clock, &state.slack, workspace, &approval).await?;
            let reply = Reply { blocks: Some(message.blocks), ..replaced(message.text) };
            answer(reply).await;
        }
    }
    Ok(())
}

/// Said when a decision comes after the digest was decided (or expired): as
/// it stands now.
async fn already(db: &Db, workspace: &WorkspaceId, key: &str) -> Result<String, sqlx::Error> {
    let Some(approval) = find_digest_approval(db, workspace, key).await? else {
        return Ok("This digest is no longer waiting for approval.".to_owned());
    };
    let label = escape(&approval.label);
    Ok(match (approval.status.as_str(), &approval.decided_by) {
        ("approved", Some(by)) => format!("The digest of {label} was already approved by <@{by}>; it is posted once."),
        ("skipped", Some(by)) => format!("The digest of {label} was already skipped by <@{by}>."),
        ("refused", _) => {
            format!("Slack refused the digest of {label}, so it was not posted; the next digest covers it.")
        }
        _ => format!("The digest of {label} waited more than 24 hours, so it was skipped."),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_approval_dm_renders_as_before() {
        let approval = DigestApproval {
            workspace_id: "T1".into(),
            period_key: "2026-W47".into(),
            approver: "U9".into(),
            from_ms: 0,
            until_ms: 1,
            label: "Nov 16 – Nov 23".into(),
            removed_areas: String::new(),
            status: "pending".into(),
            decided_by: None,
            expires_at: 2,
        };
        let names = HashMap::from([("U1".to_owned(), "Egon".to_owned())]);
        let m = render_approval(&crate::digests::tests::data(2), &approval, Some("C0PRODUCT"), &names);
        crate::slack::blocks::typed_blocks(&m.blocks).expect("valid Block Kit");
        insta::assert_json_snapshot!("approval_dm", m);
    }
}
