//! Planned interviews (design.md, Behaviour: interviews with a purpose):
//! `interview <customer> <YYYY-MM-DD> [HH:MM]` plans one for you, in the
//! workspace's zone; `interviews` lists yours. What a plan brings its planner
//! (the morning brief, the reminder when nothing was captured) is in
//! [`notices`]. A plan is no interview: only captured interviews count toward
//! a quota.

pub mod notices;

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::app::zone::{local_date, zone_named};
use crate::app::Clock;
use crate::customers::view::resolve;
use crate::domain::highlight::{format_date, parse_date};
use crate::domain::CustomerName;
use crate::error::{AppError, UserError};
use crate::reply::{echo, Reply};
use crate::slack::blocks;
use crate::slack::mrkdwn::escape;
use crate::store::planned_interviews::{self, NewPlan, Planned, PlannedInterview};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// Said for `interview` without its customer and date.
pub const INTERVIEW_USAGE: &str =
    "Plan an interview with a customer, in the workspace's time zone: `/highlight interview Acme 2026-12-08 10:00` \
     (the time is optional). `/highlight interviews` lists yours.";

/// The hour of the morning brief, in the workspace's zone.
pub const BRIEF_HOUR: i8 = 9;
/// How long after the planned time the reminder comes, when nothing was captured.
pub const REMIND_AFTER: SignedDuration = SignedDuration::from_hours(24);
/// How far ahead an interview may be planned, in days.
const MAX_DAYS_AHEAD: i32 = 366;
/// Plans `interviews` lists, at most.
const LISTED: i64 = 30;

/// A read `interview <customer> <date> [time]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRequest {
    /// The customer, as named.
    pub customer: CustomerName,
    /// The day, in the workspace's zone.
    pub date: Date,
    /// The time of day, when given.
    pub time: Option<Time>,
    /// What was typed after `/highlight`, echoed back with a refusal.
    pub typed: String,
}

/// Whether a word is meant as a date: digits and separators, with at least one separator.
fn looks_like_date(word: &str) -> bool {
    word.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '/' | '.'))
        && word.chars().any(|c| matches!(c, '-' | '/' | '.'))
        && word.chars().filter(char::is_ascii_digit).count() >= 4
}

/// Reads `HH:MM` (or `H:MM`), 24-hour.
pub fn parse_time(word: &str) -> Option<Time> {
    let (hour, minute) = word.split_once(':')?;
    let digits = |part: &str, len: std::ops::RangeInclusive<usize>| {
        len.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(hour, 1..=2) || !digits(minute, 2..=2) {
        return None;
    }
    let (hour, minute) = (hour.parse::<i8>().ok()?, minute.parse::<i8>().ok()?);
    Time::new(hour, minute, 0, 0).ok()
}

/// Reads the words after `interview`: the customer, then the date, then
/// maybe the time. Each mistake is named, with the usage and what was typed.
pub fn parse_plan(rest: &str) -> Result<PlanRequest, UserError> {
    let typed = format!("interview {rest}").trim().to_owned();
    let refuse = |what: String| UserError::new(format!("{what}\n{INTERVIEW_USAGE}\n{}", echo(&typed)));
    let words: Vec<&str> = rest.split_whitespace().collect();
    let n = words.len();
    let (at, time) = match n {
        0 => return Err(UserError::new(INTERVIEW_USAGE)),
        _ if looks_like_date(words[n - 1]) => (n - 1, None),
        _ if n >= 2 && looks_like_date(words[n - 2]) => (n - 2, Some(words[n - 1])),
        _ => return Err(refuse("Give the date of the interview after the customer, as YYYY-MM-DD.".to_owned())),
    };
    let date = parse_date(words[at]).ok_or_else(|| {
        refuse(format!("“{}” is not a date: write it as YYYY-MM-DD, e.g. 2026-12-08.", escape(words[at])))
    })?;
    let time = match time {
        None => None,
        Some(word) => Some(parse_time(word).ok_or_else(|| {
            refuse(format!("“{}” is not a time of day: write it as HH:MM (24-hour), e.g. 14:30.", escape(word)))
        })?),
    };
    if at == 0 {
        return Err(refuse("Name the customer before the date.".to_owned()));
    }
    let customer =
        CustomerName::parse_mrkdwn(&words[..at].join(" ")).map_err(|e| not_a_known_customer(&e.0, &typed))?;
    Ok(PlanRequest { customer, date, time, typed })
}

/// The refusal of a plan whose customer is not one the team knows (or
/// could not be anyone's name): `refusal` says why; nothing was planned.
fn not_a_known_customer(refusal: &str, typed: &str) -> UserError {
    UserError::new(format!(
        "{refusal} Interviews are planned with customers the team knows: check the name with \
         `/highlight customer <name>`. Nothing was planned.\n{}",
        echo(typed)
    ))
}

/// When a plan's brief, the end of its use, and its reminder fall (unix ms),
/// in `zone`: the brief at 09:00 on the day (or an hour before an earlier
/// interview, and not before the day starts), useful until the interview
/// starts (or the day ends, without a time); the reminder 24 hours after the
/// planned time (after the day ends, without a time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moments {
    /// The morning brief.
    pub brief_at: i64,
    /// No brief from then on.
    pub brief_until: i64,
    /// The reminder.
    pub remind_at: i64,
    /// The interview (its day's start, without a time).
    pub starts_at: i64,
}

/// The [`Moments`] of an interview on `date` at `time` in `zone`.
pub fn moments_of(zone: &TimeZone, date: Date, time: Option<Time>) -> Moments {
    let at =
        |t: Time| date.to_datetime(t).to_zoned_datetime(zone.clone()).map_or(Timestamp::UNIX_EPOCH, |z| z.timestamp());
    let day_start = at(Time::midnight());
    let day_end = date
        .tomorrow()
        .ok()
        .and_then(|d| d.to_zoned_datetime(zone.clone()).ok())
        .map_or(day_start + SignedDuration::from_hours(24), |z| z.timestamp());
    let nine = at(Time::constant(BRIEF_HOUR, 0, 0, 0));
    let ms = |t: Timestamp| t.as_millisecond();
    match time.map(at) {
        Some(start) => Moments {
            brief_at: ms(nine.min(start - SignedDuration::from_hours(1)).max(day_start)),
            brief_until: ms(start),
            remind_at: ms(start + REMIND_AFTER),
            starts_at: ms(start),
        },
        None => Moments {
            brief_at: ms(nine),
            brief_until: ms(day_end),
            remind_at: ms(day_end + REMIND_AFTER),
            starts_at: ms(day_start),
        },
    }
}

/// The workspace's zone, and its name as people read it.
async fn zone_of(db: &Db, workspace: &WorkspaceId) -> Result<(TimeZone, String), sqlx::Error> {
    let name = crate::store::digests::find_digest_settings(db, workspace).await?.and_then(|s| s.time_zone);
    Ok((zone_named(name.as_deref()), name.unwrap_or_else(|| "UTC".to_owned())))
}

/// `2026-12-08 at 10:00`, or the date alone.
fn when(date: &str, time: Option<&str>) -> String {
    match time {
        Some(time) => format!("{date} at {time}"),
        None => date.to_owned(),
    }
}

/// `interview <customer> <date> [time]`: plans it for `user`. A date or time
/// already past, one too far ahead, or a customer nobody captured anything
/// about is refused, with what was typed; nothing is stored then.
pub async fn plan(
    db: &Db,
    clock: &Clock,
    workspace: &WorkspaceId,
    user: &str,
    request: PlanRequest,
) -> Result<Reply, AppError> {
    let refuse = |what: String| -> Result<Reply, AppError> {
        Err(UserError::new(format!("{what} Nothing was planned.\n{}", echo(&request.typed))).into())
    };
    let customer = match resolve(db, workspace, &request.customer).await {
        Ok(customer) => customer,
        Err(AppError::User(e)) => return Err(not_a_known_customer(&e.0, &request.typed).into()),
        Err(e) => return Err(e),
    };
    let (zone, zone_name) = zone_of(db, workspace).await?;
    let now = clock.now_ms();
    let today = local_date(&zone, now);
    let date = format_date(request.date);
    if request.date < today {
        return refuse(format!("{date} is in the past (today is {} in {}).", format_date(today), escape(&zone_name)));
    }
    if crate::app::zone::days_between(today, request.date) > MAX_DAYS_AHEAD {
        return refuse(format!(
            "{date} is more than a year away: plan interviews within the next {MAX_DAYS_AHEAD} days."
        ));
    }
    let time = request.time.map(|t| t.strftime("%H:%M").to_string());
    let moments = moments_of(&zone, request.date, request.time);
    if request.time.is_some() && moments.starts_at <= now {
        return refuse(format!("{} has already passed ({}).", when(&date, time.as_deref()), escape(&zone_name)));
    }
    let new = NewPlan {
        customer_id: customer.id,
        planner: user,
        planned_date: &date,
        planned_time: time.as_deref(),
        brief_at: moments.brief_at,
        brief_until: moments.brief_until,
        remind_at: moments.remind_at,
    };
    let planned =
        db.write(async |tx| planned_interviews::upsert_planned_interview(tx, workspace, &new, now).await).await?;
    // Away from its thread: an anonymous customer is its label here too.
    let name = escape(&customer.shown.label());
    let moment = when(&date, time.as_deref());
    let head = match planned {
        Planned::New => format!("Planned: your interview with *{name}* on {moment} ({}).", escape(&zone_name)),
        Planned::Moved => {
            format!("Your interview with *{name}* on {date} is now planned for {moment} ({}).", escape(&zone_name))
        }
    };
    let brief = if moments.brief_at <= now {
        "Their brief comes to you by DM in a moment.".to_owned()
    } else {
        let at = Timestamp::from_millisecond(moments.brief_at)
            .map(|t| t.to_zoned_datetime(zone.clone()).strftime("%H:%M").to_string())
            .unwrap_or_default();
        format!("Their brief comes to you by DM that morning at {at}.")
    };
    Ok(Reply::ephemeral(format!(
        "{head} {brief} If you capture nothing about them within 24 hours of the interview, I'll remind you. \
         A planned interview counts toward no quota: the one you capture does."
    )))
}

/// `interviews`: your planned interviews from today on, soonest first.
pub async fn list(db: &Db, clock: &Clock, workspace: &WorkspaceId, user: &str) -> Result<Reply, AppError> {
    let (zone, _) = zone_of(db, workspace).await?;
    let today = format_date(local_date(&zone, clock.now_ms()));
    let plans = planned_interviews::list_planned_interviews(db, workspace, user, &today, LISTED + 1).await?;
    Ok(Reply::ephemeral(render_plans(&plans)))
}

/// Pure rendering of `interviews`.
pub fn render_plans(plans: &[PlannedInterview]) -> String {
    if plans.is_empty() {
        return "You have no interviews planned. Plan one with `/highlight interview Acme 2026-12-08 10:00`: the \
                customer's brief comes to you by DM that morning."
            .to_owned();
    }
    let shown = &plans[..plans.len().min(LISTED as usize)];
    let mut lines = vec![format!(
        "*Your planned interviews* ({}{})",
        shown.len(),
        if plans.len() > shown.len() { "+" } else { "" }
    )];
    for p in shown {
        let brief = if p.brief_queued != 0 { " · brief sent" } else { "" };
        lines.push(format!(
            "• {} · *{}*{brief}",
            when(&p.planned_date, p.planned_time.as_deref()),
            escape(&blocks::truncate(&p.customer.label(), 80))
        ));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};

    #[test]
    fn a_plan_is_read_with_its_customer_date_and_time() {
        let p = parse_plan("Acme &amp; Co 2026-12-08 10:00").expect("valid");
        assert_eq!(
            (p.customer.display.as_str(), p.date, p.time),
            ("Acme & Co", date(2026, 12, 8), Some(time(10, 0, 0, 0)))
        );
        assert_eq!(p.typed, "interview Acme &amp; Co 2026-12-08 10:00");
        let p = parse_plan("Acme 2026-12-08").expect("valid");
        assert_eq!((p.customer.display.as_str(), p.time), ("Acme", None));
        assert_eq!(parse_time("9:05"), Some(time(9, 5, 0, 0)));
        for bad in ["24:00", "10:60", "10am", "10:5", ":30", "1000"] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn each_mistake_is_named_and_echoed() {
        assert_eq!(parse_plan(""), Err(UserError::new(INTERVIEW_USAGE)));
        let said = |rest: &str| parse_plan(rest).expect_err(rest).0;
        let bad_date = said("Acme 2026-13-45 10:00");
        assert!(bad_date.starts_with("“2026-13-45” is not a date"), "{bad_date}");
        assert!(bad_date.ends_with("```/highlight interview Acme 2026-13-45 10:00```"), "{bad_date}");
        assert!(said("Acme 2026-12-08 10am").starts_with("“10am” is not a time of day"));
        assert!(said("Acme 2026-12-08 25:00").starts_with("“25:00” is not a time of day"));
        assert!(said("Acme tomorrow").starts_with("Give the date of the interview"));
        assert!(said("Acme 12/08").starts_with("“12/08” is not a date"));
        assert!(said("2026-12-08 10:00").starts_with("Name the customer before the date."));
        assert!(said("&lt;b&gt; 2026-99-01").contains("```/highlight interview &lt;b&gt; 2026-99-01```"));
        let nameless = said("!!! 2026-12-08");
        assert!(nameless.starts_with("“!!!” has no letters or digits"), "{nameless}");
        assert!(nameless.contains("Nothing was planned.\n"), "{nameless}");
        assert!(nameless.ends_with("```/highlight interview !!! 2026-12-08```"), "{nameless}");
    }

    #[test]
    fn the_brief_comes_at_nine_and_the_reminder_a_day_after() {
        let paris = TimeZone::get("Europe/Paris").expect("zone");
        let ms = |s: &str| s.parse::<Timestamp>().expect("instant").as_millisecond();
        let m = moments_of(&paris, date(2026, 12, 8), Some(time(14, 30, 0, 0)));
        assert_eq!(m.brief_at, ms("2026-12-08T08:00:00Z"), "09:00 in Paris");
        assert_eq!(m.brief_until, ms("2026-12-08T13:30:00Z"));
        assert_eq!(m.remind_at, ms("2026-12-09T13:30:00Z"));
        let early = moments_of(&paris, date(2026, 12, 8), Some(time(8, 30, 0, 0)));
        assert_eq!(early.brief_at, ms("2026-12-08T06:30:00Z"), "an hour before an early interview");
        let dawn = moments_of(&paris, date(2026, 12, 8), Some(time(0, 15, 0, 0)));
        assert_eq!(dawn.brief_at, ms("2026-12-07T23:00:00Z"), "not before the day starts");
        let all_day = moments_of(&TimeZone::UTC, date(2026, 12, 8), None);
        assert_eq!(all_day.brief_at, ms("2026-12-08T09:00:00Z"));
        assert_eq!(all_day.brief_until, ms("2026-12-09T00:00:00Z"));
        assert_eq!(all_day.remind_at, ms("2026-12-10T00:00:00Z"));
    }

    #[test]
    fn plans_are_listed_soonest_first_with_names_escaped() {
        let p = |name: &str, date: &str, time: Option<&str>, sent: i64| PlannedInterview {
            id: 1,
            customer_id: 1,
            customer: crate::domain::ShownCustomer::named(name),
            planned_date: date.into(),
            planned_time: time.map(str::to_owned),
            planner: "U1".into(),
            created_at: 0,
            brief_queued: sent,
        };
        let text = render_plans(&[p("Acme <b>", "2026-12-08", Some("10:00"), 1), p("Globex", "2026-12-09", None, 0)]);
        assert_eq!(
            text,
            "*Your planned interviews* (2)\n• 2026-12-08 at 10:00 · *Acme &lt;b&gt;* · brief sent\n• 2026-12-09 · *Globex*"
        );
        assert!(render_plans(&[]).starts_with("You have no interviews planned."));
    }
}
