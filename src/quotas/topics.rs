//! Topics (design.md, Behaviour: interviews with a purpose): the question an
//! onboardee's interviews and month-end report answer, set by a manager with
//! `topic @user "…"` (or `onboard @user … topic "…"`), cleared with
//! `topic @user off`. It shows on their App Home, in `quota`, and as the
//! title of their report.

use crate::app::AppState;
use crate::error::{AppError, UserError};
use crate::permissions;
use crate::reply::{echo, Reply};
use crate::slack::mrkdwn::{decode, escape, mention_id};
use crate::store::onboarding;
use crate::store::outbox::OutboxKind;
use crate::store::workspaces::WorkspaceId;

/// Longest topic kept (it heads the report, whose header holds 150 characters).
pub const MAX_TOPIC_CHARS: usize = 150;

/// Said for `topic` without a person and a question.
pub const TOPIC_USAGE: &str = "Set the question someone's interviews answer: `/highlight topic @someone \"What are \
     the top three features we should build for chat?\"`, or `/highlight topic @someone off`.";

/// A read `topic @user "…"|off`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicCommand {
    /// Whose topic.
    pub user: String,
    /// The question, decoded; None for `off`.
    pub topic: Option<String>,
}

/// Reads a topic as typed after `topic @user` or `onboard … topic`: the
/// question without its quotes, decoded; `typed` is echoed with a refusal.
pub fn parse_topic(arg: &str, typed: &str) -> Result<String, UserError> {
    let decoded = decode(arg.trim());
    let quoted = ['"', '“', '”', '\''];
    let topic = decoded.trim_start_matches(quoted).trim_end_matches(quoted).split_whitespace().collect::<Vec<_>>();
    let topic = topic.join(" ");
    if topic.is_empty() {
        return Err(UserError::new(format!("Give the topic as a question in quotes.\n{TOPIC_USAGE}\n{}", echo(typed))));
    }
    let chars = topic.chars().count();
    if chars > MAX_TOPIC_CHARS {
        return Err(UserError::new(format!(
            "The topic is {chars} characters; keep it to {MAX_TOPIC_CHARS}: one question.\n{}",
            echo(typed)
        )));
    }
    Ok(topic)
}

/// Reads what follows `topic`: `@user "…"` or `@user off`.
pub fn parse_topic_command(rest: &str) -> Result<TopicCommand, UserError> {
    let typed = format!("topic {rest}").trim().to_owned();
    let mut words = rest.trim().splitn(2, char::is_whitespace);
    let who = words.next().unwrap_or_default();
    let Some(user) = mention_id(who, '@') else {
        return Err(UserError::new(format!(
            "Say whose topic it is with an @mention.\n{TOPIC_USAGE}\n{}",
            echo(&typed)
        )));
    };
    let arg = words.next().unwrap_or_default().trim();
    let topic = if arg.eq_ignore_ascii_case("off") { None } else { Some(parse_topic(arg, &typed)?) };
    Ok(TopicCommand { user, topic })
}

/// `topic @user "…"|off`: a manager's (when managers are set); the person
/// must be being onboarded. Their App Home shows it at once.
pub async fn set_topic(
    state: &AppState,
    workspace: &WorkspaceId,
    by: &str,
    command: TopicCommand,
) -> Result<Reply, AppError> {
    permissions::require_manager(&state.config, &state.slack, workspace, by, "set topics").await?;
    let TopicCommand { user, topic } = command;
    let now = state.clock.now_ms();
    let set = state
        .db
        .write(async |tx| {
            let set = onboarding::update_onboardee_topic(tx, workspace, &user, topic.as_deref()).await?;
            if set {
                let home = OutboxKind::PublishHome { user: user.clone() };
                crate::store::outbox::upsert_outbox_row(tx, workspace, &home, now).await?;
            }
            Ok(set)
        })
        .await?;
    if !set {
        return Err(UserError::new(format!(
            "<@{user}> is not being onboarded, so they have no topic to set. Enroll them with a topic: \
             `/highlight onboard <@{user}> topic \"…\"`. Nothing changed."
        ))
        .into());
    }
    state.outbox.wake();
    Ok(Reply::ephemeral(match topic {
        Some(topic) => format!(
            "<@{user}>'s topic: {}. It shows on their App Home and in `/highlight quota`, and heads their month-end \
             report.",
            render_topic(&topic)
        ),
        None => format!("<@{user}> has no topic any more. Nothing else changed."),
    }))
}

/// A topic as shown: `“What …?”`, escaped.
pub fn render_topic(topic: &str) -> String {
    format!("“{}”", escape(topic))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_are_read_with_their_quotes_taken_off() {
        let c = parse_topic_command("<@U0ANN0001|ann> \"What are the top three features for chat?\"").expect("valid");
        assert_eq!(
            c,
            TopicCommand { user: "U0ANN0001".into(), topic: Some("What are the top three features for chat?".into()) }
        );
        let c = parse_topic_command("<@U0ANN0001> “Billing &amp; invoices:  what hurts?”").expect("valid");
        assert_eq!(c.topic.as_deref(), Some("Billing & invoices: what hurts?"));
        assert_eq!(parse_topic_command("<@U0ANN0001> OFF").expect("valid").topic, None);
        let said = |rest: &str| parse_topic_command(rest).expect_err(rest).0;
        assert!(said("ann \"x\"").starts_with("Say whose topic it is"));
        assert!(said("ann \"x\"").ends_with("```/highlight topic ann \"x\"```"));
        assert!(said("<@U0ANN0001> \"\"").starts_with("Give the topic as a question"));
        let long = format!("<@U0ANN0001> \"{}\"", "x".repeat(151));
        assert!(said(&long).starts_with("The topic is 151 characters"));
        assert_eq!(render_topic("a <b> & c?"), "“a &lt;b&gt; &amp; c?”");
    }
}
