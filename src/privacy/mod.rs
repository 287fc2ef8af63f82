//! The customer's say (design.md, Behaviour: Privacy): how long recording
//! links are kept, how a customer is shown outside its own thread
//! ([`customer`]), and erasing a customer at their request ([`forget`]).
//! (PII scrubbing at capture is `domain::pii`, applied by
//! each capture path.)

pub mod customer;
pub mod forget;

use crate::app::{AppState, Clock, Outbox};
use crate::error::{AppError, UserError};
use crate::permissions;
use crate::reply::{echo, Reply};
use crate::store::recordings::{expire_recordings, list_retention_due, update_recording_retention};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// The longest retention one may set: ten years.
const MAX_DAYS: i64 = 3650;

/// Reads `config retention recordings <days>|off`: a number of days, or
/// `None` for off.
pub fn parse_retention(arg: &str) -> Result<Option<i64>, UserError> {
    let words: Vec<String> = arg.split_whitespace().map(str::to_lowercase).collect();
    match words.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["recordings", "off"] => Ok(None),
        ["recordings", days] => match days.trim_end_matches('d').parse::<i64>() {
            Ok(n) if (1..=MAX_DAYS).contains(&n) => Ok(Some(n)),
            _ => Err(UserError::new(format!(
                "Give the number of days recording links are kept, 1 to {MAX_DAYS}, e.g. `/highlight config retention recordings 90`, or `… off`.\n{}",
                echo(&format!("config retention {arg}"))
            ))),
        },
        _ => Err(UserError::new(format!(
            "Say `/highlight config retention recordings <days>` (recording links older than that are removed) or `… off`.\n{}",
            echo(&format!("config retention {arg}"))
        ))),
    }
}

/// `config retention recordings <days>|off` (a manager's).
pub async fn set_retention(
    state: &AppState,
    workspace: &WorkspaceId,
    user: &str,
    days: Option<i64>,
) -> Result<Reply, AppError> {
    permissions::require_manager(&state.config, &state.slack, workspace, user, "change the configuration").await?;
    let now = state.clock.now_ms();
    state.db.write(async |tx| update_recording_retention(tx, workspace, days, now).await).await?;
    Ok(Reply::ephemeral(match days {
        Some(days) => format!(
            "Recording links (and their ▶ times) are now kept {days} day{}: once a day, older ones are removed from \
             the database and from the highlights' posts in the product channel. The first pass runs within a minute.",
            if days == 1 { "" } else { "s" }
        ),
        None => "Recording links are kept for good again. Links already removed stay removed.".to_owned(),
    }))
}

/// The daily pass (from the scheduler): every workspace whose pass is due
/// loses the recording links older than its retention, each in one
/// transaction with the updates of its posts. Returns how many links went.
pub async fn apply_retention(db: &Db, clock: &Clock, outbox: &Outbox) -> Result<usize, AppError> {
    let now = clock.now_ms();
    let mut removed = 0;
    for (workspace, days) in list_retention_due(db, now).await? {
        let cutoff = now - days * 24 * 60 * 60 * 1000;
        removed += db.write(async |tx| expire_recordings(tx, &workspace, cutoff, now).await).await?;
    }
    if removed > 0 {
        outbox.wake();
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_reads_days_or_off_and_refuses_the_rest() {
        assert_eq!(parse_retention("recordings 90"), Ok(Some(90)));
        assert_eq!(parse_retention("Recordings 30d"), Ok(Some(30)));
        assert_eq!(parse_retention("recordings OFF"), Ok(None));
        for wrong in ["recordings 0", "recordings -3", "recordings lots", "recordings 99999", "transcripts 30", ""] {
            assert!(parse_retention(wrong).is_err_and(|e| e.0.contains("config retention")), "{wrong}");
        }
    }
}
