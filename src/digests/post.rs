//! Posting digests: on schedule (each period at most once, claimed by a unique
//! row in the same transaction that queues the post, so restarts and replicas
//! never double-post, and an empty period posts nothing), or on demand with
//! `/highlight digest` for the period so far.

use jiff::tz::TimeZone;
use jiff::Timestamp;
use sqlx::AnyConnection;

use crate::app::{AppState, Clock, Outbox, Slack};
use crate::config::Config;
use crate::digests::schedule::{period_key, time_zone, Schedule, DEFAULT_SCHEDULE};
use crate::digests::{gather, render_digest_message, DigestData};
use crate::error::{AppError, UserError};
use crate::posting::{product_channel, PostError};
use crate::reply::Reply;
use crate::slack::mrkdwn::escape;
use crate::store::digest_approvals::{insert_digest_approval_in, update_expired_digest_approvals, NewApproval};
use crate::store::digests::{self, DigestSettings};
use crate::store::outbox::{insert_outbox_row, OutboxKind};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

fn zone_of(settings: &DigestSettings) -> TimeZone {
    settings.time_zone.as_deref().and_then(|name| time_zone(name).ok()).unwrap_or(TimeZone::UTC)
}

fn label(start: Timestamp, end: Timestamp, tz: &TimeZone) -> String {
    let day = |t: Timestamp| t.to_zoned_datetime(tz.clone()).strftime("%b %-d").to_string();
    format!("{} – {}", day(start), day(end))
}

fn to_ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

/// Claims and queues the digest of every workspace whose latest period is
/// complete and not yet claimed. Returns how many digests were queued.
pub async fn run_schedule(db: &Db, clock: &Clock, outbox: &Outbox) -> Result<usize, sqlx::Error> {
    let now = Timestamp::from_millisecond(clock.now_ms()).unwrap_or(Timestamp::UNIX_EPOCH);
    let mut queued = 0;
    for settings in digests::list_digest_settings(db).await? {
        let Ok(schedule) = Schedule::parse(&settings.digest_schedule) else {
            tracing::warn!(workspace = settings.id, schedule = settings.digest_schedule, "unreadable digest schedule");
            continue;
        };
        let tz = zone_of(&settings);
        let Some((start, end)) = schedule.last_complete_period(&tz, now) else {
            continue;
        };
        let workspace = WorkspaceId(settings.id.clone());
        let key = period_key(end, &tz);
        // Settled periods (nearly every tick) cost one key lookup, not a count.
        if digests::find_digest_claim(db, &workspace, &key).await? {
            continue;
        }
        // What an on-demand digest of this period already posted is not posted again.
        let start = match digests::find_last_digest_end(db, &workspace, to_ms(end)).await? {
            Some(ended) if ended > to_ms(start) => Timestamp::from_millisecond(ended).unwrap_or(start),
            _ => start,
        };
        let start = with_refused(db, &workspace, start, to_ms(end)).await?;
        let totals = digests::find_range_totals(db, &workspace, to_ms(start), to_ms(end)).await?;
        let mut tx = db.begin().await?;
        let now_ms = clock.now_ms();
        if !digests::insert_digest_claim(&mut tx, &workspace, &key, to_ms(start), to_ms(end), totals.highlights, now_ms)
            .await?
        {
            continue;
        }
        if totals.highlights > 0 {
            let label = label(start, end, &tz);
            match &settings.digest_approver {
                // With an approver, the digest waits for their word.
                Some(approver) => {
                    let new = NewApproval {
                        period_key: &key,
                        approver,
                        from_ms: to_ms(start),
                        until_ms: to_ms(end),
                        label: &label,
                    };
                    insert_digest_approval_in(&mut tx, &workspace, &new, now_ms).await?;
                    tracing::info!(workspace = settings.id, period = key, "digest sent for approval");
                }
                None => {
                    let kind = OutboxKind::PostDigest {
                        from: to_ms(start),
                        until: to_ms(end),
                        label,
                        partial: false,
                        removed_areas: Vec::new(),
                        topic: key.clone(),
                    };
                    insert_outbox_row(&mut tx, &workspace, &kind, now_ms).await?;
                    tracing::info!(workspace = settings.id, period = key, "digest queued");
                }
            }
            queued += 1;
        }
        tx.commit().await?;
    }
    let expired = db.write(async |tx| expire_approvals(tx, clock.now_ms()).await).await?;
    if queued + expired > 0 {
        outbox.wake();
    }
    Ok(queued)
}

/// Expires the approvals nobody answered in time, each with the note to its
/// approver in the same transaction (so it is told once); returns how many.
async fn expire_approvals(conn: &mut AnyConnection, now_ms: i64) -> Result<usize, sqlx::Error> {
    let expired = update_expired_digest_approvals(conn, now_ms).await?;
    for approval in &expired {
        let note = OutboxKind::NotifyUser {
            user: approval.approver.clone(),
            text: format!(
                "The digest of {} was not approved within 24 hours, so it was skipped. \
                 `/highlight digest` posts what is new whenever you like.",
                escape(&approval.label)
            ),
            topic: format!("digest-expired:{}", approval.period_key),
        };
        insert_outbox_row(conn, &WorkspaceId(approval.workspace_id.clone()), &note, now_ms).await?;
    }
    Ok(expired.len())
}

/// Slack refused a digest, or the DM asking for its approval, for good (the
/// outbox gives its row up): the period no longer counts as posted, so the
/// next digest covers its highlights, and the approver and whoever set up
/// digests hear why, once each. Other work is left alone.
pub async fn record_refusal(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    kind: &OutboxKind,
    reason: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let (period_key, label) = match kind {
        OutboxKind::PostDigest { topic, label, .. } => (topic, Some(label.clone())),
        OutboxKind::AskDigestApproval { topic } => (topic, None),
        _ => return Ok(()),
    };
    let Some(refused) = digests::update_digest_refused(conn, workspace, period_key, now_ms).await? else {
        return Ok(());
    };
    let label = escape(&label.or(refused.label).unwrap_or_else(|| period_key.clone()));
    let what = match (kind, &refused.approver) {
        (OutboxKind::AskDigestApproval { .. }, Some(approver)) => {
            format!("the DM asking <@{approver}> to approve the digest of {label}")
        }
        _ => format!("the digest of {label}"),
    };
    let text = format!(
        "⚠️ Slack refused {what} ({}), so it was not posted. Nothing is lost: the next digest covers \
         its highlights, and `/highlight digest` posts them now.",
        escape(reason)
    );
    let mut told: Vec<String> = refused.approver.into_iter().chain(refused.set_by).collect();
    told.dedup();
    if told.is_empty() {
        tracing::error!(workspace = workspace.as_str(), period = period_key, "a refused digest: nobody to tell");
    }
    for user in told {
        let notice = OutboxKind::NotifyUser { user, text: text.clone(), topic: format!("digest-refused:{period_key}") };
        insert_outbox_row(conn, workspace, &notice, now_ms).await?;
    }
    Ok(())
}

/// Which digest to post.
#[derive(Debug, Clone, Copy)]
pub struct DigestPost<'a> {
    /// Start (unix ms).
    pub from: i64,
    /// End (unix ms).
    pub until: i64,
    /// "Nov 16 – Nov 23".
    pub label: &'a str,
    /// The period is still running.
    pub partial: bool,
    /// Areas the approver left out.
    pub removed_areas: &'a [i64],
}

/// Builds and posts a digest (run by the outbox worker).
pub async fn post_digest(
    state: &AppState,
    workspace: &WorkspaceId,
    digest: DigestPost<'_>,
    once: crate::posting::PostOnce<'_>,
) -> Result<(), PostError> {
    let DigestPost { from, until, label, partial, removed_areas } = digest;
    let Some(channel) = product_channel(&state.db, &state.slack, workspace).await? else {
        return Err(PostError::Waiting("no product channel for the digest".into()));
    };
    let mut data = gather(&state.db, state.clock.now_ms(), workspace, from, until, label.to_owned(), partial).await?;
    data.remove_areas(removed_areas);
    // Nothing captured, or every area removed by the approver: nothing to post.
    if data.is_empty() || (!removed_areas.is_empty() && data.areas.is_empty()) {
        return Ok(());
    }
    let names = names_in(&state.slack, workspace, &data).await;
    let zone = crate::app::zone::workspace_zone(&state.db, workspace).await?;
    let since = crate::domain::highlight::format_date(crate::app::zone::local_date(&zone, from));
    let web = state.config.web.as_ref().map(|web| web.url(&format!("/areas?since={since}")));
    let message = render_digest_message(&data, &names).with_browser_link(web);
    crate::posting::post_in_channel(state, workspace, None, &channel, &message, once).await?;
    Ok(())
}

/// How the digest names the people it mentions (interviewers, onboardees).
pub async fn names_in(
    slack: &Slack,
    workspace: &WorkspaceId,
    data: &DigestData,
) -> std::collections::HashMap<String, String> {
    let mut people: Vec<String> =
        data.areas.iter().flat_map(|(_, quotes)| quotes.iter().map(|q| q.author.clone())).collect();
    people.extend(data.onboarding.iter().map(|p| p.user.clone()));
    people.sort();
    people.dedup();
    let mut names = std::collections::HashMap::new();
    for user in people {
        let name = slack.person(workspace, &user).await;
        names.insert(user, name);
    }
    names
}

/// `/highlight digest`: the period so far, posted now.
pub async fn post_now(state: &AppState, workspace: &WorkspaceId) -> Result<Reply, AppError> {
    let Some(channel) = product_channel(&state.db, &state.slack, workspace).await? else {
        return Ok(Reply::ephemeral("No product channel is set yet: run `/highlight config channel #channel` first."));
    };
    let now_ms = state.clock.now_ms();
    let (start, since) = period_so_far(&state.db, workspace, now_ms).await?;
    let until = now_ms + 1;
    let totals = digests::find_range_totals(&state.db, workspace, to_ms(start), until).await?;
    if totals.highlights == 0 {
        return Ok(Reply::ephemeral(format!(
            "Nothing new since {since}, so no digest was posted: it would repeat the last one."
        )));
    }
    // Recorded like a scheduled period: the next digest starts where this one ends.
    let key = format!("now:{now_ms}");
    let mut tx = state.db.begin().await?;
    if !digests::insert_digest_claim(&mut tx, workspace, &key, to_ms(start), until, totals.highlights, now_ms).await? {
        return Ok(Reply::ephemeral("A digest is being posted right now."));
    }
    let kind = OutboxKind::PostDigest {
        from: to_ms(start),
        until,
        label: format!("since {since}"),
        partial: true,
        removed_areas: Vec::new(),
        topic: key,
    };
    insert_outbox_row(&mut tx, workspace, &kind, now_ms).await?;
    tx.commit().await?;
    state.outbox.wake();
    Ok(Reply::ephemeral(format!(
        "Posting the digest so far ({} since {since}) to <#{channel}>.",
        crate::slack::mrkdwn::count(totals.highlights, "highlight", "highlights")
    )))
}

/// The running period: its start (the last scheduled moment, Monday 09:00 by
/// default, in the workspace's zone, or the end of a later on-demand digest)
/// and how to name it ("Mon Nov 23, 09:00").
pub async fn period_so_far(
    db: &crate::store::Db,
    workspace: &WorkspaceId,
    now_ms: i64,
) -> Result<(Timestamp, String), sqlx::Error> {
    let settings = digests::find_digest_settings(db, workspace).await?;
    let tz = settings.as_ref().map(zone_of).unwrap_or(TimeZone::UTC);
    let schedule = settings
        .as_ref()
        .and_then(|s| Schedule::parse(&s.digest_schedule).ok())
        .filter(|s| *s != Schedule::Off)
        .unwrap_or_else(|| Schedule::parse(DEFAULT_SCHEDULE).unwrap_or(Schedule::Off));
    let now = Timestamp::from_millisecond(now_ms).unwrap_or(Timestamp::UNIX_EPOCH);
    let boundary = schedule.last_boundary(&tz, now).unwrap_or(now);
    let last_digest = digests::find_last_digest_end(db, workspace, now_ms + 1).await?;
    let start = match last_digest.and_then(|end| Timestamp::from_millisecond(end).ok()) {
        Some(end) if end > boundary => end,
        _ => boundary,
    };
    let start = with_refused(db, workspace, start, now_ms + 1).await?;
    let since = start.to_zoned_datetime(tz).strftime("%a %b %-d, %H:%M").to_string();
    Ok((start, since))
}

/// `start`, or earlier when Slack refused the digests before it: those
/// highlights go into this one.
async fn with_refused(
    db: &crate::store::Db,
    workspace: &WorkspaceId,
    start: Timestamp,
    before_ms: i64,
) -> Result<Timestamp, sqlx::Error> {
    Ok(match digests::find_refused_digest_start(db, workspace, before_ms).await? {
        Some(refused) if refused < to_ms(start) => Timestamp::from_millisecond(refused).unwrap_or(start),
        _ => start,
    })
}

/// A time zone as named by the user (kept as typed: it is stored and shown so).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedZone {
    /// The name as typed.
    pub name: String,
    /// The zone it names.
    pub zone: TimeZone,
}

impl NamedZone {
    /// A zone by IANA name, or why not (escaped).
    pub fn parse(name: &str) -> Result<Self, UserError> {
        match time_zone(name) {
            Ok(zone) => Ok(Self { name: name.to_owned(), zone }),
            Err(e) => Err(UserError::new(escape(&e))),
        }
    }
}

/// Reads `config digest weekly mon 09:00 [Zone/Name]` / `daily 17:30` / `off`
/// (the zone, when given, is the last word).
pub fn parse_digest_config(text: &str) -> Result<(Schedule, Option<NamedZone>), UserError> {
    let mut words: Vec<&str> = text.split_whitespace().collect();
    let zone = match words.last() {
        Some(last) if last.contains('/') || last.eq_ignore_ascii_case("utc") => words.pop(),
        _ => None,
    };
    let zone = zone.map(NamedZone::parse).transpose()?;
    let schedule = Schedule::parse(&words.join(" ")).map_err(|e| UserError::new(escape(&e)))?;
    Ok((schedule, zone))
}

/// Reads `config timezone Zone/Name`.
pub fn parse_timezone_config(text: &str) -> Result<NamedZone, UserError> {
    match text.split_whitespace().collect::<Vec<_>>().as_slice() {
        [name] => NamedZone::parse(name),
        _ => Err(UserError::new("Usage: `/highlight config timezone Europe/Paris`.")),
    }
}

/// `/highlight config digest weekly mon 09:00 [Zone/Name]` / `daily 17:30` / `off`
/// (a `schedule`, maybe a `zone`), and `/highlight config timezone Zone/Name`
/// (a `zone` alone).
pub async fn configure(
    db: &Db,
    config: &Config,
    slack: &Slack,
    workspace: &WorkspaceId,
    user: &str,
    schedule: Option<Schedule>,
    zone: Option<NamedZone>,
) -> Result<Reply, AppError> {
    crate::permissions::require_manager(config, slack, workspace, user, "change the configuration").await?;
    let current = digests::find_digest_settings(db, workspace).await?;
    // Without a zone yet, the zone of the person configuring is the best guess.
    let mut zone = zone.map(|z| z.name);
    if zone.is_none() && current.as_ref().and_then(|c| c.time_zone.as_ref()).is_none() {
        let info = tokio::time::timeout(crate::slack::client::IN_ACK_TIMEOUT, slack.user_info(workspace, user)).await;
        zone = info.ok().and_then(Result::ok).and_then(|u| u.tz).filter(|tz| time_zone(tz).is_ok());
    }
    let schedule_text = schedule
        .map(|s| s.as_text())
        .or_else(|| current.as_ref().map(|c| c.digest_schedule.clone()))
        .unwrap_or_else(|| DEFAULT_SCHEDULE.to_owned());
    db.write(async |tx| digests::update_digest_settings(tx, workspace, &schedule_text, zone.as_deref(), user).await)
        .await?;
    let zone_text = zone.or_else(|| current.and_then(|c| c.time_zone)).unwrap_or_else(|| "UTC".to_owned());
    Ok(Reply::ephemeral(match schedule_text.as_str() {
        "off" => "Scheduled digests are off. `/highlight digest` still posts one on demand.".to_owned(),
        s => format!("Digests: {s} ({}).", crate::slack::mrkdwn::escape(&zone_text)),
    }))
}
