//! The `/highlight` command: [`parse`] turns its text into a [`HighlightCommand`],
//! [`handle`] runs it and returns the [`Reply`] shown to the user. No HTTP here.

use serde::Serialize;

use crate::app::AppState;
use crate::slack::payload::SlashCommand;
use crate::store::workspaces::WorkspaceId;

/// What a `/highlight` invocation asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HighlightCommand {
    /// `help`, or no text yet (the capture modal comes with the capture feature).
    Help,
    /// Words we do not know: usage, with what was typed echoed back.
    Unknown(String),
}

/// Reads the command text (as Slack escaped it).
pub fn parse(text: &str) -> HighlightCommand {
    let text = text.trim();
    match text.to_ascii_lowercase().as_str() {
        "" | "help" | "?" => HighlightCommand::Help,
        _ => HighlightCommand::Unknown(text.to_owned()),
    }
}

/// An answer to a slash command, sent in the HTTP response body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reply {
    /// `ephemeral`: only the person who typed the command sees it.
    pub response_type: &'static str,
    /// mrkdwn text, already escaped.
    pub text: String,
}

impl Reply {
    /// A message only the user sees.
    pub fn ephemeral(text: impl Into<String>) -> Self {
        Self {
            response_type: "ephemeral",
            text: text.into(),
        }
    }
}

/// Runs a command for a user of a workspace.
pub async fn handle(_state: &AppState, _workspace: &WorkspaceId, command: SlashCommand) -> Reply {
    match parse(&command.text) {
        HighlightCommand::Help => Reply::ephemeral(usage(&command.command)),
        HighlightCommand::Unknown(typed) => Reply::ephemeral(format!(
            "I don't know `{}`. Here is what I understand:\n\n{}",
            // The text arrives escaped by Slack (`&amp;`, `&lt;`, `&gt;`), so it is safe to echo as is.
            typed.replace('`', "'"),
            usage(&command.command)
        )),
    }
}

/// The usage text, naming the command as the user typed it.
pub fn usage(command: &str) -> String {
    format!(
        "*{command}* captures what customers say and posts it to the product channel, one thread per customer.\n\
         • `{command} <customer> | <area> | <quote> [| <recording link>]`: capture a highlight, e.g. `{command} Acme | chat | \"We need canned replies\"`\n\
         • `{command}`: open the capture form\n\
         • `{command} customer <name>`: everything a customer said, by product area\n\
         • `{command} search <words>`: find highlights\n\
         • `{command} areas` / `{command} areas add <name>`: list or add product areas\n\
         • `{command} quota [@user]` / `{command} team` / `{command} onboard @user`: onboarding progress\n\
         • `{command} digest` / `{command} report [@user]`: digest now, month-end report\n\
         • `{command} config channel #channel`: set the product channel\n\
         • `{command} help`: this message"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_and_empty_text_ask_for_usage() {
        assert_eq!(parse("help"), HighlightCommand::Help);
        assert_eq!(parse("  HELP "), HighlightCommand::Help);
        assert_eq!(parse(""), HighlightCommand::Help);
    }

    #[test]
    fn unknown_words_are_kept_to_echo_back() {
        assert_eq!(
            parse(" frobnicate  now "),
            HighlightCommand::Unknown("frobnicate  now".into())
        );
    }
}
