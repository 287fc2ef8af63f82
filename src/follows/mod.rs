//! Following customers (design.md, Behaviour: customers people care about):
//! `follow`, `unfollow` and `following`, the *Follow* button, the nudge's
//! setting, and *My customers* on the App Home. What followers are sent
//! (a DM per submission about a customer they follow, the Monday nudge) is
//! in [`notices`].

pub mod notices;

use serde_json::Value;

use crate::app::zone::{local_date, workspace_zone};
use crate::app::{AppState, Clock, Outbox, Slack};
use crate::customers::view::{follow_actions, resolve, FOLLOW_ACTION, UNFOLLOW_ACTION};
use crate::domain::highlight::format_date;
use crate::domain::CustomerName;
use crate::error::{AppError, UserError};
use crate::permissions;
use crate::reply::{Reply, NOTHING_CHANGED};
use crate::slack::blocks::{self, context, modal, section};
use crate::slack::interaction::Action;
use crate::slack::mrkdwn::escape;
use crate::store::customers::{find_surviving_customer, Customer};
use crate::store::follows::{self, Followed};
use crate::store::outbox::{upsert_outbox_row, OutboxKind};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// Said for `follow` or `unfollow` without a name.
pub const FOLLOW_USAGE: &str = "Name the customer, e.g. `/highlight follow Acme` (or `unfollow Acme`).";

/// The nudge's days when nobody set them.
pub const DEFAULT_NUDGE_DAYS: i64 = 30;

/// Customers listed by `following` and on the App Home, at most.
const LISTED: usize = 30;
/// Customers the App Home lists under *My customers*, at most.
const HOME_LISTED: usize = 15;

/// Reads `config nudge <days>|off`: the days, None for `off`.
pub fn parse_nudge(arg: &str) -> Result<Option<i64>, UserError> {
    let arg = arg.trim();
    if arg.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    match arg.trim_end_matches(['d', 'D']).trim().parse::<i64>() {
        Ok(days) if (1..=365).contains(&days) => Ok(Some(days)),
        _ => Err(UserError::new(format!(
            "Say how many days without an interview before followers are nudged (1 to 365), e.g. \
             `/highlight config nudge 30`, or `/highlight config nudge off`.\n{}",
            crate::reply::echo(&format!("config nudge {arg}"))
        ))),
    }
}

/// `follow <customer>` (`follow`: true) or `unfollow <customer>`: anyone
/// may; an unknown name is refused with the closest known ones.
pub async fn follow(
    db: &Db,
    clock: &Clock,
    outbox: &Outbox,
    workspace: &WorkspaceId,
    user: &str,
    name: &CustomerName,
    follow: bool,
) -> Result<Reply, AppError> {
    let customer = resolve(db, workspace, name).await.map_err(nothing_changed)?;
    let changed = set_following(db, clock, outbox, workspace, customer.id, user, follow).await?;
    let label = customer.shown.label();
    Ok(Reply::ephemeral(match follow {
        true => followed_text(&label, changed),
        false => unfollowed_text(&label, changed),
    }))
}

/// Follows (or stops following) a customer, and refreshes the person's App
/// Home (*My customers*) in the same unit of work when that changed
/// anything; whether it did.
pub async fn set_following(
    db: &Db,
    clock: &Clock,
    outbox: &Outbox,
    workspace: &WorkspaceId,
    customer_id: i64,
    user: &str,
    follow: bool,
) -> Result<bool, AppError> {
    let now = clock.now_ms();
    let changed = db
        .write(async |tx| {
            let changed = match follow {
                true => follows::insert_follow(tx, workspace, customer_id, user, now).await?,
                false => follows::delete_follow(tx, workspace, customer_id, user).await?,
            };
            if changed {
                let home = OutboxKind::PublishHome { user: user.to_owned() };
                upsert_outbox_row(tx, workspace, &home, now).await?;
            }
            Ok(changed)
        })
        .await?;
    if changed {
        outbox.wake();
    }
    Ok(changed)
}

fn nothing_changed(e: AppError) -> AppError {
    match e {
        AppError::User(e) => UserError::new(format!("{} {NOTHING_CHANGED}", e.0)).into(),
        e => e,
    }
}

fn followed_text(name: &str, new: bool) -> String {
    let name = escape(name);
    if new {
        format!(
            "You now follow *{name}*. When someone else captures what they say, you get a DM; on Mondays, a nudge \
             when nobody has talked to them for a while. `/highlight unfollow {name}` stops it."
        )
    } else {
        format!("You already follow *{name}*.")
    }
}

fn unfollowed_text(name: &str, ended: bool) -> String {
    let name = escape(name);
    if ended {
        format!("You no longer follow *{name}*.")
    } else {
        format!("You don't follow *{name}*, so nothing changed.")
    }
}

/// `following`: the customers you follow, with when each was last heard from.
pub async fn following(db: &Db, workspace: &WorkspaceId, user: &str) -> Result<Reply, AppError> {
    let followed = follows::list_followed(db, workspace, user).await?;
    let zone = workspace_zone(db, workspace).await?;
    let heard: Vec<Option<String>> =
        followed.iter().map(|f| f.last_heard_ms.map(|ms| format_date(local_date(&zone, ms)))).collect();
    Ok(Reply::ephemeral(render_following(&followed, &heard)))
}

/// Pure rendering of `following`; `heard`: each customer's last highlight date.
pub fn render_following(followed: &[Followed], heard: &[Option<String>]) -> String {
    if followed.is_empty() {
        return "You don't follow any customer yet. Follow one with `/highlight follow &lt;customer&gt;`: you hear \
                when someone else learns something new about them."
            .to_owned();
    }
    let mut lines = vec![format!("*Customers you follow* ({})", followed.len())];
    for (f, heard) in followed.iter().zip(heard).take(LISTED) {
        let when = match heard {
            Some(date) => format!("last heard from {date}"),
            None => "nothing captured yet".to_owned(),
        };
        lines.push(format!("• *{}* · {when}", escape(&blocks::truncate(&f.shown.label(), 80))));
    }
    if followed.len() > LISTED {
        lines.push(format!("and {} more.", followed.len() - LISTED));
    }
    lines.join("\n")
}

/// `config nudge <days>|off` (a manager's, when managers are set).
pub async fn configure_nudge(
    state: &AppState,
    workspace: &WorkspaceId,
    user: &str,
    days: Option<i64>,
) -> Result<Reply, AppError> {
    permissions::require_manager(&state.config, &state.slack, workspace, user, "change the configuration").await?;
    let now = state.clock.now_ms();
    state.db.write(async |tx| follows::update_nudge_days(tx, workspace, days, now).await).await?;
    Ok(Reply::ephemeral(match days {
        Some(days) => format!(
            "Every Monday at 09:00, followers get a DM listing the customers they follow that nobody has \
             interviewed for {days} day{}.",
            if days == 1 { "" } else { "s" }
        ),
        None => "Nudges are off: followers get no Monday DM about quiet customers.".to_owned(),
    }))
}

/// Whether `action` is the *Follow* or *Unfollow* button.
pub fn is_follow_action(action: &str) -> bool {
    action == FOLLOW_ACTION || action == UNFOLLOW_ACTION
}

/// The *Follow* (or *Unfollow*) button was clicked: the customer in its value
/// is looked up in the clicker's workspace (a value naming another's
/// customer finds nothing), followed or not, and the clicker told: in place of
/// a form's confirmation, or by an ephemeral message through `response_url`.
pub async fn click(state: &AppState, workspace: &WorkspaceId, user: &str, action: &Action) -> Result<(), AppError> {
    let found = match action.value.parse::<i64>() {
        Ok(id) => find_surviving_customer(&state.db, workspace, id).await?,
        Err(_) => None,
    };
    let Some(customer) = found else {
        tracing::warn!(value = action.value, "a follow button naming no customer of this workspace ignored");
        answer_click(&state.slack, workspace, action, "That customer is not known any more, so nothing changed.", None)
            .await;
        return Ok(());
    };
    let following = action.action_id == FOLLOW_ACTION;
    let changed =
        set_following(&state.db, &state.clock, &state.outbox, workspace, customer.id, user, following).await?;
    let text = match following {
        true => followed_text(&customer.shown.label(), changed),
        false => unfollowed_text(&customer.shown.label(), changed),
    };
    answer_click(&state.slack, workspace, action, &text, Some((&customer, following))).await;
    Ok(())
}

/// Shows a click's answer where it came from.
async fn answer_click(
    slack: &Slack,
    workspace: &WorkspaceId,
    action: &Action,
    text: &str,
    now: Option<(&Customer, bool)>,
) {
    if let Some(url) = &action.response_url {
        slack.respond(url, &Reply::ephemeral(text)).await;
    } else if let Some(view) = &action.view {
        let mut shown = vec![section(text)];
        if let Some((customer, following)) = now {
            shown.push(follow_actions(customer.id, following));
        }
        let updated: Value = modal("Highlights", shown).close("Done").into();
        if let Err(e) = slack.update_modal(workspace, &view.id, view.hash.as_deref(), updated).await {
            tracing::warn!(error = %e, "views.update failed after a follow click");
        }
    }
}

/// *My customers* on the App Home: the customers `followed`, each with its
/// last interview date and counts; at most 15 (then how many more).
pub fn render_my_customers(followed: &[Followed]) -> Vec<Value> {
    if followed.is_empty() {
        return vec![context(
            "*My customers*: follow the customers you care about with `/highlight follow &lt;customer&gt;` (or the \
             *Follow* button on a customer), and they show here.",
        )];
    }
    let plural = |n: i64, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let lines: Vec<String> = followed
        .iter()
        .take(HOME_LISTED)
        .map(|f| {
            let last = match &f.last_interview {
                Some(date) => format!("last interview {date}"),
                None => "no interview yet".to_owned(),
            };
            format!(
                "• *{}* · {last} · {}, {}",
                escape(&blocks::truncate(&f.shown.label(), 80)),
                plural(f.highlights, "highlight"),
                plural(f.interviews, "interview")
            )
        })
        .collect();
    let mut shown = vec![section(&format!("*My customers* ({})\n{}", followed.len(), lines.join("\n")))];
    if followed.len() > HOME_LISTED {
        shown.push(context(&format!(
            "and {} more: `/highlight following` lists them all.",
            followed.len() - HOME_LISTED
        )));
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn followed(name: &str, interview: Option<&str>) -> Followed {
        Followed {
            customer_id: 1,
            display_name: name.into(),
            shown: crate::domain::ShownCustomer::named(name),
            last_heard_ms: None,
            last_interview: interview.map(str::to_owned),
            highlights: 3,
            interviews: 1,
        }
    }

    #[test]
    fn the_nudge_setting_is_read() {
        assert_eq!(parse_nudge("30"), Ok(Some(30)));
        assert_eq!(parse_nudge(" OFF "), Ok(None));
        assert_eq!(parse_nudge("14d"), Ok(Some(14)));
        assert!(parse_nudge("0").is_err());
        assert!(parse_nudge("soon").expect_err("not days").0.ends_with("```/highlight config nudge soon```"));
    }

    #[test]
    fn following_lists_names_escaped_with_when_last_heard() {
        let list = [followed("Acme <!channel>", Some("2026-12-01")), followed("Globex", None)];
        let text = render_following(&list, &[Some("2026-12-02".into()), None]);
        insta::assert_snapshot!("following", text);
        assert!(text.contains("*Acme &lt;!channel&gt;* · last heard from 2026-12-02"), "{text}");
        assert!(render_following(&[], &[]).contains("/highlight follow"));
    }

    #[test]
    fn my_customers_are_capped_with_how_many_more() {
        let many: Vec<Followed> = (0..20).map(|n| followed(&format!("Customer {n}"), Some("2026-11-01"))).collect();
        let blocks = render_my_customers(&many);
        insta::assert_json_snapshot!("my_customers", blocks);
        assert!(blocks[1]["elements"][0]["text"].as_str().expect("text").starts_with("and 5 more"));
        crate::slack::blocks::typed_blocks(&blocks).expect("valid Block Kit");
    }
}
