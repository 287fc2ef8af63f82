//! `privacy <customer> anonymous|named` and `privacy <customer> recordings
//! hidden|shown` (design.md, Behaviour: Privacy): how a customer appears
//! everywhere but its own thread. The settings are stored on the customer;
//! every surface reads them through [`crate::domain::ShownCustomer`].

use crate::app::AppState;
use crate::customers::view::resolve;
use crate::domain::CustomerName;
use crate::error::{AppError, UserError};
use crate::permissions;
use crate::reply::{echo, Reply, NOTHING_CHANGED};
use crate::slack::mrkdwn::escape;
use crate::store::privacy::{update_customer_anonymous, update_customer_recordings_hidden};
use crate::store::workspaces::WorkspaceId;

/// The usage line of `privacy`.
pub const PRIVACY_USAGE: &str = "Say `/highlight privacy <customer> anonymous` (shown as `Customer N` everywhere but \
     its own thread) or `… named`, or `/highlight privacy <customer> recordings hidden` or `… shown`.";

/// What `privacy` changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrivacySetting {
    /// Shown as `Customer N` (true) or by its name.
    Anonymous(bool),
    /// Recording links and times left out (true) or shown.
    RecordingsHidden(bool),
}

/// `privacy <customer> <setting>`, read at the grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivacyCommand {
    /// The customer, as named.
    pub customer: CustomerName,
    /// The change.
    pub setting: PrivacySetting,
}

/// Reads the text after `privacy` (`text`: the whole command, echoed on a
/// mistake in the setting).
pub fn parse_privacy(rest: &str, text: &str) -> Result<PrivacyCommand, UserError> {
    let words: Vec<&str> = rest.split_whitespace().collect();
    let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    let (setting, used) = match lower.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        [.., "recordings", "hidden" | "hide" | "off"] => (PrivacySetting::RecordingsHidden(true), 2),
        [.., "recordings", "shown" | "show" | "on"] => (PrivacySetting::RecordingsHidden(false), 2),
        [.., "anonymous" | "anonymise" | "anonymize"] => (PrivacySetting::Anonymous(true), 1),
        [.., "named"] => (PrivacySetting::Anonymous(false), 1),
        _ => return Err(UserError::new(format!("{PRIVACY_USAGE}\n{}", echo(text)))),
    };
    if words.len() <= used {
        return Err(UserError::new(format!("Name the customer first. {PRIVACY_USAGE}\n{}", echo(text))));
    }
    let customer = CustomerName::parse_mrkdwn(&words[..words.len() - used].join(" "))
        .map_err(|e| UserError::new(format!("{} {}", e.0, NOTHING_CHANGED)))?;
    Ok(PrivacyCommand { customer, setting })
}

/// `privacy <customer> …` (a manager's): an unknown customer is refused
/// with the closest known names, and nothing changes.
pub async fn set_privacy(
    state: &AppState,
    workspace: &WorkspaceId,
    user: &str,
    command: PrivacyCommand,
) -> Result<Reply, AppError> {
    permissions::require_manager(&state.config, &state.slack, workspace, user, "change how a customer is shown")
        .await?;
    let customer = resolve(&state.db, workspace, &command.customer).await.map_err(|e| match e {
        AppError::User(e) => UserError::new(format!("{} {}", e.0, NOTHING_CHANGED)).into(),
        e => e,
    })?;
    let now = state.clock.now_ms();
    let name = escape(&customer.display_name);
    let text = match command.setting {
        PrivacySetting::Anonymous(anonymous) => {
            let label = state
                .db
                .write(async |tx| update_customer_anonymous(tx, workspace, customer.id, anonymous, now).await)
                .await?;
            match (anonymous, label) {
                (true, Some(n)) => format!(
                    "*{name}* is now shown as *Customer {n}* everywhere but its own thread: digests, reports, \
                     search, similar quotes, exports, the customer view, DMs, the App Home and the web library. \
                     `/highlight privacy {name} named` undoes it (the number stays its own)."
                ),
                _ => format!("*{name}* is shown by its name again."),
            }
        }
        PrivacySetting::RecordingsHidden(hidden) => {
            state
                .db
                .write(async |tx| update_customer_recordings_hidden(tx, workspace, customer.id, hidden, now).await)
                .await?;
            match hidden {
                true => format!(
                    "*{name}*'s recording links and their ▶ times are now left out everywhere but its own thread."
                ),
                false => format!("*{name}*'s recording links are shown again."),
            }
        }
    };
    Ok(Reply::ephemeral(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privacy_reads_the_customer_and_the_setting() {
        let read = |text: &str| parse_privacy(text, &format!("privacy {text}"));
        let name = |decoded: &str| CustomerName::parse(decoded).expect("valid");
        assert_eq!(
            read("Acme Corp anonymous"),
            Ok(PrivacyCommand { customer: name("Acme Corp"), setting: PrivacySetting::Anonymous(true) })
        );
        assert_eq!(read("acme NAMED").map(|c| c.setting), Ok(PrivacySetting::Anonymous(false)));
        assert_eq!(
            read("Acme &amp; Co recordings hidden"),
            Ok(PrivacyCommand { customer: name("Acme & Co"), setting: PrivacySetting::RecordingsHidden(true) })
        );
        assert_eq!(read("Acme Recordings Shown").map(|c| c.setting), Ok(PrivacySetting::RecordingsHidden(false)));
        for wrong in ["", "anonymous", "recordings hidden", "Acme", "Acme secret", "Acme recordings"] {
            let refused = read(wrong).expect_err(wrong);
            assert!(refused.0.contains("privacy <customer> anonymous"), "{wrong}: {}", refused.0);
            assert!(refused.0.contains(&format!("privacy {wrong}").trim().to_owned()), "echoes: {}", refused.0);
        }
        // A name nobody could be called is refused at the grammar, as the feature worded it.
        assert_eq!(
            read("!!! named"),
            Err(UserError::new("“!!!” has no letters or digits to recognise a customer by. Nothing changed."))
        );
    }
}
