//! `/highlight onboard`, `offboard`, `quota`, `team` and `tickets`.

use jiff::civil::Date;

use crate::app::{AppState, Clock, Outbox};
use crate::domain::highlight::{format_date, parse_date};
use crate::error::{AppError, UserError};
use crate::permissions;
use crate::quotas::targets::TargetOverrides;
use crate::quotas::{progress_of, render_day, render_goal_lines, Progress};
use crate::reply::Reply;
use crate::slack::mrkdwn::{escape, mention_id, Who};
use crate::store::workspaces::WorkspaceId;
use crate::store::{onboarding, Db};

/// Latest start date accepted, in days from today.
const MAX_DAYS_AHEAD: i64 = 60;
/// How far back an onboarding may have started.
const MAX_DAYS_BACK: i64 = 365;

/// A parsed `onboard …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrollment {
    /// Who (a user id), or None for `me`.
    pub user: Option<String>,
    /// Start date, if given.
    pub start: Option<Date>,
    /// `key=value` overrides, read.
    pub overrides: TargetOverrides,
    /// `topic "…"`: the question their interviews answer, decoded.
    pub topic: Option<String>,
}

/// Reads `@user|me [YYYY-MM-DD] [interviews=… feedback=… tickets=… days=…] [topic "…"]`.
pub fn parse_enrollment(text: &str) -> Result<Enrollment, UserError> {
    // The topic is last, and may hold any words.
    let (text, topic) = match text.to_ascii_lowercase().find(" topic ") {
        Some(at) => {
            let typed = format!("onboard {}", text.trim());
            (&text[..at], Some(crate::quotas::topics::parse_topic(&text[at + " topic ".len()..], &typed)?))
        }
        None => (text, None),
    };
    let mut words = text.split_whitespace();
    let who = words
        .next()
        .ok_or_else(|| UserError::new("Say who: `/highlight onboard @someone` or `/highlight onboard me`."))?;
    let user = if who.eq_ignore_ascii_case("me") {
        None
    } else {
        Some(
            mention_id(who, '@')
                .ok_or_else(|| UserError::new(format!("“{}” is not a person: mention them with @.", escape(who))))?,
        )
    };
    let mut start = None;
    let mut overrides = Vec::new();
    for word in words {
        if word.contains('=') {
            overrides.push(word);
        } else if let Some(date) = parse_date(word) {
            start = Some(date);
        } else {
            return Err(UserError::new(format!(
                "“{}” is neither a date (YYYY-MM-DD) nor a target (e.g. interviews=20).",
                escape(word)
            )));
        }
    }
    let overrides = TargetOverrides::parse(&overrides.join(" "))
        .map_err(|message| UserError::new(format!("Targets {}.", escape(&message))))?;
    Ok(Enrollment { user, start, overrides, topic })
}

/// Enrolls an onboardee.
pub async fn onboard(
    state: &AppState,
    workspace: &WorkspaceId,
    by: &str,
    enrollment: Enrollment,
) -> Result<Reply, AppError> {
    let targets = state.config.targets.with(&enrollment.overrides);
    let today = crate::app::zone::workspace_today(&state.db, &state.clock, workspace).await?;
    let start = enrollment.start.unwrap_or(today);
    if i64::from(crate::app::zone::days_between(today, start)) > MAX_DAYS_AHEAD {
        return Ok(Reply::ephemeral(format!(
            "{} is more than {MAX_DAYS_AHEAD} days away. Pick a start date closer to today.",
            format_date(start)
        )));
    }
    if i64::from(crate::app::zone::days_between(start, today)) > MAX_DAYS_BACK {
        return Ok(Reply::ephemeral(format!(
            "{} is more than {MAX_DAYS_BACK} days ago. Pick the day the onboarding started, within the last year.",
            format_date(start)
        )));
    }
    let user = enrollment.user.clone().unwrap_or_else(|| by.to_owned());
    if enrollment.topic.is_some() {
        permissions::require_manager(&state.config, &state.slack, workspace, by, "set topics").await?;
    }
    if user != by {
        permissions::require_manager(&state.config, &state.slack, workspace, by, "enroll someone else").await?;
        let info =
            tokio::time::timeout(crate::slack::client::IN_ACK_TIMEOUT, state.slack.user_info(workspace, &user)).await;
        match info {
            Ok(Ok(u)) if u.flags.is_bot == Some(true) || u.id.to_string() == "USLACKBOT" => {
                return Ok(Reply::ephemeral(format!("<@{user}> is a bot; only people can be onboarded.")));
            }
            Ok(Ok(u)) if u.deleted == Some(true) => {
                return Ok(Reply::ephemeral(format!("<@{user}> has been deactivated; nobody was enrolled.")));
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "users.info failed while enrolling");
                return Ok(Reply::ephemeral(
                    "I couldn't check that person with Slack. Nobody was enrolled; please try again.",
                ));
            }
            Err(_) => {
                return Ok(Reply::ephemeral(
                    "Slack took too long to answer about that person. Nobody was enrolled; please try again.",
                ));
            }
        }
    }
    let now = state.clock.now_ms();
    let start_date = format_date(start);
    let new = onboarding::NewOnboardee {
        user: &user,
        start_date: &start_date,
        targets: &targets,
        enrolled_by: by,
        topic: enrollment.topic.as_deref(),
    };
    state.db.write(async |tx| onboarding::upsert_onboardee(tx, workspace, &new, now).await).await?;
    state.outbox.queue(workspace, &crate::store::outbox::OutboxKind::PublishHome { user: user.clone() }).await?;
    let who = if user == by { "You are".to_owned() } else { format!("<@{user}> is") };
    let topic = match &enrollment.topic {
        Some(topic) => format!(" Topic: {}.", crate::quotas::topics::render_topic(topic)),
        None => String::new(),
    };
    Ok(Reply::ephemeral(format!(
        "{who} enrolled from {} for {} days: {} customer interviews, {} feedback items triaged, {} support tickets.{topic} \
         Interviews count themselves from `/highlight` captures; progress shows in the App Home and with `/highlight quota`.",
        format_date(start),
        targets.days,
        targets.interviews,
        targets.feedback,
        targets.tickets
    )))
}

/// Reads `offboard @user|me`.
pub fn parse_offboard(text: &str) -> Result<Who, UserError> {
    if text.trim().eq_ignore_ascii_case("me") {
        return Ok(Who::Me);
    }
    mention_id(text, '@')
        .map(Who::User)
        .ok_or_else(|| UserError::new("Say who: `/highlight offboard @someone` or `/highlight offboard me`."))
}

/// Ends an enrollment (history kept).
pub async fn offboard(state: &AppState, workspace: &WorkspaceId, by: &str, who: Who) -> Result<Reply, AppError> {
    let user = who.id(by);
    if user != by {
        permissions::require_manager(&state.config, &state.slack, workspace, by, "offboard someone else").await?;
    }
    if state
        .db
        .write(async |tx| onboarding::update_onboardee_ended(tx, workspace, &user, state.clock.now_ms()).await)
        .await?
    {
        state.outbox.queue(workspace, &crate::store::outbox::OutboxKind::PublishHome { user: user.clone() }).await?;
        Ok(Reply::ephemeral(format!("<@{user}>'s onboarding has ended. Their highlights and counts are kept.")))
    } else {
        Ok(Reply::ephemeral(format!("<@{user}> is not being onboarded. Nothing changed.")))
    }
}

/// A person's progress.
pub async fn quota(db: &Db, clock: &Clock, workspace: &WorkspaceId, by: &str, who: Who) -> Result<Reply, AppError> {
    let user = who.id(by);
    let Some(onboardee) = onboarding::find_onboardee(db, workspace, &user).await? else {
        let whom = if user == by { "You are".to_owned() } else { format!("<@{user}> is") };
        return Ok(Reply::ephemeral(format!(
            "{whom} not being onboarded. Enroll with `/highlight onboard me` (or a manager: `/highlight onboard @someone`)."
        )));
    };
    let p = progress_of(db, clock, workspace, &onboardee).await?;
    let ended = if onboardee.ended_at.is_some() { " (ended)" } else { "" };
    let topic = crate::quotas::render_topic_line(&p).map(|line| format!("\n{line}")).unwrap_or_default();
    Ok(Reply::ephemeral(format!(
        "*Onboarding of <@{user}>*{ended}, {}{topic}\n{}",
        render_day(&p),
        render_goal_lines(&p).join("\n")
    )))
}

/// Every running enrollment, most behind first.
pub async fn team(db: &Db, clock: &Clock, workspace: &WorkspaceId) -> Result<Reply, AppError> {
    let all = team_progress(db, clock, workspace).await?;
    if all.is_empty() {
        return Ok(Reply::ephemeral("Nobody is being onboarded. Enroll someone with `/highlight onboard @someone`."));
    }
    let lines: Vec<String> = all.iter().map(render_team_line).collect();
    Ok(Reply::ephemeral(format!("*Onboarding*, most behind first\n{}", lines.join("\n"))))
}

/// Every running enrollment's progress, most behind first: what `team` and
/// the library's onboarding page show.
pub async fn team_progress(db: &Db, clock: &Clock, workspace: &WorkspaceId) -> Result<Vec<Progress>, sqlx::Error> {
    let onboardees = onboarding::list_onboardees(db, workspace).await?;
    let mut all: Vec<Progress> = Vec::with_capacity(onboardees.len());
    for o in &onboardees {
        all.push(progress_of(db, clock, workspace, o).await?);
    }
    all.sort_by_key(|p| (p.total_lead(), p.user.clone()));
    Ok(all)
}

/// One line of `/highlight team`.
pub fn render_team_line(p: &Progress) -> String {
    format!("• <@{}>, {}", p.user, crate::quotas::render_summary_line(p))
}

/// Longest note kept with self-reported tickets.
pub const MAX_NOTE_CHARS: usize = 300;

/// Reads `tickets <n> [note]`: how many (1 to 500) and the note, decoded.
pub fn parse_tickets(text: &str) -> Result<(i64, Option<String>), UserError> {
    let mut words = text.trim().splitn(2, char::is_whitespace);
    let count = words.next().and_then(|n| n.parse::<i64>().ok());
    let note = words.next().map(str::trim).filter(|n| !n.is_empty());
    let count = match count {
        Some(n) if (1..=500).contains(&n) => n,
        _ => {
            return Err(UserError::new(format!(
                "Say how many tickets you closed, from 1 to 500: `/highlight tickets 5 [note]`.\n{}",
                crate::reply::echo(&format!("tickets {text}"))
            )))
        }
    };
    let note = note.map(crate::slack::mrkdwn::decode);
    if note.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return Err(UserError::new(format!(
            "A note is at most {MAX_NOTE_CHARS} characters: say which tickets in a few words.\n{}",
            crate::reply::echo(&format!("tickets {text}"))
        )));
    }
    Ok((count, note))
}

/// `/highlight tickets <n> [note]`: self-reported support tickets.
pub async fn tickets(
    db: &Db,
    clock: &Clock,
    outbox: &Outbox,
    workspace: &WorkspaceId,
    by: &str,
    count: i64,
    note: Option<String>,
) -> Result<Reply, AppError> {
    let tickets = onboarding::NewTickets { user: by, source: "self", ticket_ref: None, count, note: note.as_deref() };
    db.write(async |tx| onboarding::insert_tickets(tx, workspace, &tickets, clock.now_ms()).await).await?;
    crate::quotas::after_evidence(db, clock, outbox, workspace, by).await;
    // The tickets are stored: what follows only adds detail, and never fails the answer.
    let progress = match onboarding::find_onboardee(db, workspace, by).await {
        Ok(Some(o)) if o.ended_at.is_none() => match progress_of(db, clock, workspace, &o).await {
            Ok(p) => format!(" Tickets: {}/{} ({}).", p.tickets.done, p.tickets.target, p.tickets.pace()),
            Err(_) => String::new(),
        },
        Ok(_) => " (You are not being onboarded, so they count toward nothing yet.)".to_owned(),
        Err(_) => String::new(),
    };
    Ok(Reply::ephemeral(format!("Logged {count} ticket{}.{progress}", if count == 1 { "" } else { "s" })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quotas::targets::Target;
    use jiff::civil::date;

    #[test]
    fn enrollments_are_read() {
        let e = parse_enrollment("<@U0123ABCD|ann> 2026-12-01 interviews=10 days=14").expect("valid");
        assert_eq!(e.user.as_deref(), Some("U0123ABCD"));
        assert_eq!(e.start, Some(date(2026, 12, 1)));
        assert_eq!(e.overrides, TargetOverrides(vec![(Target::Interviews, 10), (Target::Days, 14)]));
        let me = parse_enrollment("me").expect("valid");
        assert_eq!(me.user, None);
        assert!(parse_enrollment("").is_err());
        assert!(parse_enrollment("ann").is_err());
        assert!(parse_enrollment("me tomorrow").is_err());
        assert_eq!(parse_enrollment("me days=400"), Err(UserError::new("Targets days=400: must be from 1 to 366.")));
        let e = parse_enrollment("<@U0123ABCD> 2026-12-01 Topic \"What do &lt;admins&gt; need?\"").expect("valid");
        assert_eq!((e.start, e.topic.as_deref()), (Some(date(2026, 12, 1)), Some("What do <admins> need?")));
        assert!(
            parse_enrollment("me topic \"\"").is_err_and(|e| e.0.ends_with("```/highlight onboard me topic \"\"```"))
        );
    }

    #[test]
    fn offboarding_and_tickets_are_read() {
        assert_eq!(parse_offboard(" ME "), Ok(Who::Me));
        assert_eq!(parse_offboard("<@U0123ABCD|ann>"), Ok(Who::User("U0123ABCD".into())));
        assert!(parse_offboard("").is_err());
        assert_eq!(parse_tickets("5 the &lt;b&gt; queue"), Ok((5, Some("the <b> queue".into()))));
        assert_eq!(parse_tickets("1"), Ok((1, None)));
        let refusal = parse_tickets("501").expect_err("too many");
        assert!(refusal.0.starts_with("Say how many tickets"), "{}", refusal.0);
        assert!(refusal.0.ends_with(&crate::reply::echo("tickets 501")), "{}", refusal.0);
        assert!(parse_tickets(&format!("2 {}", "x".repeat(MAX_NOTE_CHARS + 1))).is_err());
    }
}
