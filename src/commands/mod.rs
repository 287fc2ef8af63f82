//! The `/highlight` command: [`parse`] reads its text, once, into a typed
//! [`HighlightCommand`] (each argument parsed by its feature's own parser) or
//! refuses it with one [`UserError`]; [`handle`] dispatches it to its feature,
//! which takes the typed value, and returns the [`Reply`] shown to the user.
//! No HTTP here.

use crate::app::AppState;
use crate::capture;
use crate::capture::modal::Prefill;
use crate::capture::quick::Capture;
use crate::digests::post::NamedZone;
use crate::digests::schedule::Schedule;
use crate::domain::{AreaName, AreaRef, CustomerName};
use crate::error::{AppError, UserError, INTERNAL_ERROR_TEXT};
use crate::install::Admission;
use crate::quotas::commands::Enrollment;
use crate::reply::{echo, Reply, ALREADY_RECEIVED_TEXT};
use crate::search::SearchQuery;
use crate::slack::mrkdwn::Who;
use crate::slack::payload::SlashCommand;
use crate::store::seen_requests::SeenRequest;
use crate::store::workspaces::WorkspaceId;
use crate::{areas, customers, digests, follows, quotas, reports, search, settings};

/// What a `/highlight` invocation asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HighlightCommand {
    /// No text: open the capture modal.
    OpenModal,
    /// `help`.
    Help,
    /// `<customer> | [<area> |] <quote> [| <link>]`, read.
    Capture(Capture),
    /// `areas`.
    ListAreas,
    /// `areas add <name>`.
    AddArea(AreaName),
    /// `areas rename <old> to <new>`.
    RenameArea {
        /// The area's name now (looked up).
        from: AreaRef,
        /// The name it takes.
        to: AreaName,
    },
    /// `areas merge <from> into <to>`.
    MergeAreas {
        /// The area that goes away.
        from: AreaRef,
        /// The area that takes its highlights.
        into: AreaRef,
    },
    /// `customer <name>`.
    Customer(CustomerName),
    /// `merge <from> into <to>`.
    MergeCustomers {
        /// The customer that goes away.
        from: CustomerName,
        /// The customer that stays.
        into: CustomerName,
    },
    /// `search <words> [area:<name>] [customer:<name>]`.
    Search(SearchQuery),
    /// `onboard @user|me [date] [targets]`.
    Onboard(Enrollment),
    /// `offboard @user|me`.
    Offboard(Who),
    /// `quota [@user]`.
    Quota(Who),
    /// `team`.
    Team,
    /// `tickets <n> [note]`.
    Tickets {
        /// How many were closed (1 to 500).
        n: i64,
        /// What they were, decoded.
        note: Option<String>,
    },
    /// `config channel <#C…|name>`: the channel's id.
    ConfigChannel(String),
    /// `config digest <schedule> [zone]`.
    ConfigDigest {
        /// When digests are posted.
        schedule: Schedule,
        /// The workspace's zone, when named.
        zone: Option<NamedZone>,
    },
    /// `config digest approver @user|off`: the approver's id, None for `off`.
    ConfigDigestApprover(Option<String>),
    /// `config timezone <zone>`.
    ConfigTimezone(NamedZone),
    /// `config report endorsed-only on|off`: whether reports count endorsed quotes only.
    ConfigReport(bool),
    /// `config retention recordings <days>|off`: days recording links are kept, None for good.
    ConfigRetention(Option<i64>),
    /// `config pii-scrub on|off`: whether captures are scrubbed of e-mail addresses and phone numbers.
    ConfigPiiScrub(bool),
    /// `config triage-emoji <name>`: the emoji's name, without colons.
    ConfigTriageEmoji(String),
    /// `digest`: the period so far, now.
    Digest,
    /// `follow <customer>`.
    Follow(CustomerName),
    /// `unfollow <customer>`.
    Unfollow(CustomerName),
    /// `following`.
    Following,
    /// `config nudge <days>|off`: the days, None for `off`.
    ConfigNudge(Option<i64>),
    /// `report [@user]`.
    Report(Who),
    /// `brief <customer>`.
    Brief(CustomerName),
    /// `shipped <area> | <words> | <announcement> [| <link>]`.
    Shipped(crate::shipped::ShippedCommand),
    /// `interview <customer> <date> [time]`: plan an interview.
    PlanInterview(crate::interviews::PlanRequest),
    /// `interviews`: your planned interviews.
    ListInterviews,
    /// `topic @user "…"|off`: the question an onboardee's interviews answer.
    Topic(quotas::topics::TopicCommand),
    /// `web`: a sign-in link to the evidence library.
    Web,
    /// `privacy <customer> anonymous|named` / `privacy <customer> recordings hidden|shown`.
    Privacy(crate::privacy::customer::PrivacyCommand),
    /// `forget <customer>`.
    Forget(CustomerName),
    /// `tester <customer> <area> [off]`.
    Tester(crate::testers::TesterCommand),
    /// `testers <area>`.
    Testers(AreaRef),
    /// `config readout <schedule>|off`: when managers get the read-out, None for `off`.
    ConfigReadout(Option<Schedule>),
    /// Words we do not know (echoed back with the usage).
    Unknown(String),
}

/// Said for `quota` with something other than a person.
pub const QUOTA_USAGE: &str = "Usage: `/highlight quota` or `/highlight quota @someone`.";
/// Said for `report` with something other than a person.
pub const REPORT_USAGE: &str = "Usage: `/highlight report` or `/highlight report @someone`.";

/// Said for `brief` without a name.
pub const BRIEF_USAGE: &str = "Name the customer, e.g. `/highlight brief Acme`.";
/// Said for `customer` without a name.
pub const CUSTOMER_USAGE: &str = "Name the customer, e.g. `/highlight customer Acme`.";
/// Said for `areas rename` without ` to `.
pub const RENAME_AREA_USAGE: &str = "Usage: `/highlight areas rename <old name> to <new name>`.";
/// Said for `areas merge` without ` into `.
pub const MERGE_AREAS_USAGE: &str = "Usage: `/highlight areas merge <area> into <area>`.";
/// Said for `merge` without ` into `.
pub const MERGE_CUSTOMERS_USAGE: &str =
    "Usage: `/highlight merge <customer> into <customer>`, e.g. `/highlight merge Acme Labs into Acme`.";

/// `<a><separator><b>`, split at the last separator (any case), both sides
/// present; else the usage line, as the refusal.
fn pair(text: &str, separator: &str, usage: &'static str) -> Result<(String, String), UserError> {
    crate::slack::mrkdwn::split_last_ignore_case(text, separator).ok_or_else(|| UserError::new(usage))
}

/// A customer named in a command (as Slack escaped it), or its refusal
/// followed by `then` (what the command did not do, as its feature says it
/// of a name it does not know).
fn customer(typed: &str, then: &str) -> Result<CustomerName, UserError> {
    CustomerName::parse_mrkdwn(typed).map_err(|e| match then {
        "" => e,
        then => UserError::new(format!("{} {then}", e.0)),
    })
}

/// The two areas of `areas rename` and `areas merge`, decoded, split at the
/// last `separator`.
fn area_pair(arg: Option<&str>, separator: &str, usage: &'static str) -> Result<(AreaRef, String), UserError> {
    let names = crate::slack::mrkdwn::decode(arg.unwrap_or_default());
    let (from, to) = pair(&names, separator, usage)?;
    Ok((AreaRef::parse(&from, usage)?, to))
}

/// Reads the command text (as Slack escaped it), once: each command with its
/// arguments read, or the one answer to a mistake (what was wrong, and where
/// it helps, the usage and what was typed).
pub fn parse(text: &str) -> Result<HighlightCommand, UserError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(HighlightCommand::OpenModal);
    }
    // Before captures: a shipment's fields are separated by bars too.
    let mut head = text.splitn(2, char::is_whitespace);
    if head.next().is_some_and(|w| w.eq_ignore_ascii_case("shipped")) {
        return crate::shipped::parse_shipped(head.next().unwrap_or_default(), text).map(HighlightCommand::Shipped);
    }
    if capture::quick::looks_like_capture(text) {
        return Capture::parse(text).map(HighlightCommand::Capture);
    }
    let mut words = text.splitn(2, char::is_whitespace);
    let first = words.next().unwrap_or_default().to_lowercase();
    let rest = words.next().unwrap_or_default().trim();
    let command = match first.as_str() {
        "help" | "?" | "usage" => HighlightCommand::Help,
        "areas" | "area" => {
            let mut sub = rest.splitn(2, char::is_whitespace);
            match (sub.next().unwrap_or_default().to_lowercase().as_str(), sub.next().map(str::trim)) {
                ("", _) | ("list", None) => HighlightCommand::ListAreas,
                ("add", name) => HighlightCommand::AddArea(AreaName::parse_mrkdwn(name.unwrap_or_default())?),
                ("rename", arg) => {
                    let (from, to) = area_pair(arg, " to ", RENAME_AREA_USAGE)?;
                    HighlightCommand::RenameArea { from, to: AreaName::parse(&to)? }
                }
                ("merge", arg) => {
                    let (from, into) = area_pair(arg, " into ", MERGE_AREAS_USAGE)?;
                    HighlightCommand::MergeAreas { from, into: AreaRef::parse(&into, MERGE_AREAS_USAGE)? }
                }
                _ => HighlightCommand::Unknown(text.to_owned()),
            }
        }
        "customer" | "customers" if rest.is_empty() => return Err(UserError::new(CUSTOMER_USAGE)),
        "customer" | "customers" => HighlightCommand::Customer(customer(rest, "")?),
        "brief" if rest.is_empty() => return Err(UserError::new(BRIEF_USAGE)),
        "brief" => HighlightCommand::Brief(customer(rest, "")?),
        "follow" | "unfollow" if rest.is_empty() => return Err(UserError::new(follows::FOLLOW_USAGE)),
        "follow" => HighlightCommand::Follow(customer(rest, crate::reply::NOTHING_CHANGED)?),
        "unfollow" => HighlightCommand::Unfollow(customer(rest, crate::reply::NOTHING_CHANGED)?),
        "following" if rest.is_empty() => HighlightCommand::Following,
        "privacy" => HighlightCommand::Privacy(crate::privacy::customer::parse_privacy(rest, text)?),
        "forget" if rest.is_empty() => return Err(UserError::new(crate::privacy::forget::FORGET_USAGE)),
        "forget" => HighlightCommand::Forget(customer(rest, crate::privacy::forget::NOTHING_ERASED)?),
        "interview" => HighlightCommand::PlanInterview(crate::interviews::parse_plan(rest)?),
        "interviews" if rest.is_empty() => HighlightCommand::ListInterviews,
        "topic" if rest.is_empty() => return Err(UserError::new(quotas::topics::TOPIC_USAGE)),
        "topic" => HighlightCommand::Topic(quotas::topics::parse_topic_command(rest)?),
        "merge" => {
            let (from, into) = pair(rest, " into ", MERGE_CUSTOMERS_USAGE)?;
            let then = customers::merge::NOTHING_MERGED;
            HighlightCommand::MergeCustomers { from: customer(&from, then)?, into: customer(&into, then)? }
        }
        "search" | "find" => HighlightCommand::Search(search::parse_search_command(rest)?),
        "onboard" | "enroll" => HighlightCommand::Onboard(quotas::commands::parse_enrollment(rest)?),
        "offboard" | "unenroll" => HighlightCommand::Offboard(quotas::commands::parse_offboard(rest)?),
        "quota" | "progress" => HighlightCommand::Quota(Who::me_or_mention(rest, QUOTA_USAGE)?),
        "team" | "cohort" => HighlightCommand::Team,
        "web" | "library" if rest.is_empty() => HighlightCommand::Web,
        "tester" if rest.is_empty() => return Err(UserError::new(crate::testers::TESTER_USAGE)),
        "tester" => HighlightCommand::Tester(crate::testers::parse_tester(rest)?),
        "testers" if rest.is_empty() => return Err(UserError::new(crate::testers::TESTERS_USAGE)),
        "testers" => HighlightCommand::Testers(AreaRef::parse_mrkdwn(rest, crate::testers::TESTERS_USAGE)?),
        "digest" if rest.is_empty() => HighlightCommand::Digest,
        "report" => HighlightCommand::Report(Who::me_or_mention(rest, REPORT_USAGE)?),
        "tickets" | "ticket" => {
            let (n, note) = quotas::commands::parse_tickets(rest)?;
            HighlightCommand::Tickets { n, note }
        }
        "config" => {
            let mut sub = rest.splitn(2, char::is_whitespace);
            match (sub.next().unwrap_or_default().to_lowercase().as_str(), sub.next().map(str::trim)) {
                ("channel", arg) => HighlightCommand::ConfigChannel(settings::parse_channel(arg.unwrap_or_default())?),
                ("digest" | "digests", arg) => {
                    let arg = arg.unwrap_or_default();
                    let mut words = arg.splitn(2, char::is_whitespace);
                    if words.next().is_some_and(|w| w.eq_ignore_ascii_case("approver")) {
                        let approver = words.next().unwrap_or_default().trim();
                        HighlightCommand::ConfigDigestApprover(digests::approval::parse_approver(approver)?)
                    } else {
                        let (schedule, zone) = digests::post::parse_digest_config(arg)?;
                        HighlightCommand::ConfigDigest { schedule, zone }
                    }
                }
                ("timezone" | "tz", arg) => {
                    HighlightCommand::ConfigTimezone(digests::post::parse_timezone_config(arg.unwrap_or_default())?)
                }
                ("report" | "reports", arg) => {
                    HighlightCommand::ConfigReport(settings::parse_report(arg.unwrap_or_default())?)
                }
                ("retention", arg) => {
                    HighlightCommand::ConfigRetention(crate::privacy::parse_retention(arg.unwrap_or_default())?)
                }
                ("pii-scrub" | "pii_scrub" | "pii", arg) => {
                    HighlightCommand::ConfigPiiScrub(settings::parse_pii_scrub(arg.unwrap_or_default())?)
                }
                ("readout" | "read-out", arg) => {
                    HighlightCommand::ConfigReadout(crate::readout::parse_readout(arg.unwrap_or_default())?)
                }
                ("nudge" | "nudges", arg) => {
                    HighlightCommand::ConfigNudge(follows::parse_nudge(arg.unwrap_or_default())?)
                }
                ("triage-emoji" | "triage_emoji", arg) => {
                    HighlightCommand::ConfigTriageEmoji(settings::parse_triage_emoji(arg.unwrap_or_default())?)
                }
                _ => HighlightCommand::Unknown(text.to_owned()),
            }
        }
        _ => HighlightCommand::Unknown(text.to_owned()),
    };
    Ok(command)
}

/// Said to a person typing `/highlight` in a workspace the app is not installed in.
pub const NOT_INSTALLED_TEXT: &str = "Highlights is not installed in this workspace, so it stores and posts nothing \
     here. Ask a Slack admin to install it.";

/// Said when Slack has not yet confirmed which workspace the app acts for.
pub const UNCONFIRMED_TEXT: &str = "Highlights cannot confirm this workspace with Slack right now, so nothing was \
     saved. Please try again in a minute.";

/// Answers a slash command from any team: run for a workspace the app acts
/// for, refused (ephemerally, changing nothing) for any other.
///
/// `seen`: its signed request, when the replay guard is on. A quick capture
/// records it in its own transaction (a replay is refused there, and what is
/// refused before it writes leaves nothing to replay); every other command
/// records it before it runs, and a replay is answered without running.
pub async fn answer(
    state: &AppState,
    command: SlashCommand,
    seen: Option<SeenRequest>,
) -> Result<Option<Reply>, AppError> {
    let enterprise = command.enterprise_id.clone();
    match state.installs.admit(&command.team_id, enterprise.as_deref()).await {
        Ok(Admission::Ours(workspace)) => Ok(handle(state, &workspace, command, seen).await),
        Ok(Admission::NotOurs) => Ok(Some(Reply::ephemeral(NOT_INSTALLED_TEXT))),
        Err(AppError::Unavailable(_)) => {
            Ok(Some(Reply::ephemeral(format!("{UNCONFIRMED_TEXT}\n{}", echo(&command.text)))))
        }
        Err(e) => Err(e),
    }
}

/// Runs a command for a user of a workspace (`seen`: see [`answer`]).
/// Internal failures are logged here, once, and the user gets one fixed
/// sentence.
pub async fn handle(
    state: &AppState,
    workspace: &WorkspaceId,
    command: SlashCommand,
    seen: Option<SeenRequest>,
) -> Option<Reply> {
    let result: Result<Option<Reply>, AppError> = match parse(&command.text) {
        Ok(HighlightCommand::Capture(capture)) if matches!(capture, Capture::Quick(_)) => {
            capture::handle::quick_capture(state, workspace, &command.user_id, capture, None, seen).await.map(Some)
        }
        parsed => {
            let first = match seen {
                Some(seen) => state.db.first_time(seen).await,
                None => true,
            };
            if !first {
                return Some(Reply::ephemeral(ALREADY_RECEIVED_TEXT));
            }
            match parsed {
                Err(refusal) => Err(refusal.into()),
                Ok(parsed) => dispatch(state, workspace, &command, parsed).await,
            }
        }
    };
    match result {
        Ok(reply) => reply,
        Err(AppError::User(refusal)) => Some(Reply::ephemeral(refusal.0)),
        Err(e) => {
            tracing::error!(error = %crate::error::chain(&e), user = command.user_id, "slash command failed");
            Some(Reply::ephemeral(format!("{INTERNAL_ERROR_TEXT}\n{}", echo(&command.text))))
        }
    }
}

/// Runs a command, read, for its feature.
async fn dispatch(
    state: &AppState,
    workspace: &WorkspaceId,
    command: &SlashCommand,
    parsed: HighlightCommand,
) -> Result<Option<Reply>, AppError> {
    match parsed {
        HighlightCommand::OpenModal => {
            capture::handle::open_modal(
                state,
                workspace,
                command.trigger_id.clone(),
                Some(command.channel_id.clone()),
                Prefill::default(),
                Some(command.response_url.clone()),
            );
            Ok(None)
        }
        HighlightCommand::Help => Ok(Some(Reply::ephemeral(usage(&command.command)))),
        HighlightCommand::Capture(capture) => {
            capture::handle::quick_capture(state, workspace, &command.user_id, capture, None, None).await.map(Some)
        }
        HighlightCommand::ListAreas => areas::list(&state.db, workspace).await.map(Some),
        HighlightCommand::AddArea(name) => areas::add(state, workspace, &command.user_id, name).await.map(Some),
        HighlightCommand::RenameArea { from, to } => {
            areas::rename(&state.db, &state.config, &state.slack, workspace, &command.user_id, &from, to)
                .await
                .map(Some)
        }
        HighlightCommand::MergeAreas { from, into } => {
            areas::merge(&state.db, &state.config, &state.slack, workspace, &command.user_id, &from, &into)
                .await
                .map(Some)
        }
        HighlightCommand::Brief(name) => customers::brief::show(&state.db, workspace, &name).await.map(Some),
        HighlightCommand::Shipped(shipment) => {
            crate::shipped::preview(&state.db, &state.config, &state.slack, workspace, &command.user_id, shipment)
                .await
                .map(Some)
        }
        HighlightCommand::Customer(name) => {
            customers::view::show(&state.db, &state.config, workspace, &command.user_id, &name).await.map(Some)
        }
        HighlightCommand::Follow(name) => {
            follows::follow(&state.db, &state.clock, &state.outbox, workspace, &command.user_id, &name, true)
                .await
                .map(Some)
        }
        HighlightCommand::Unfollow(name) => {
            follows::follow(&state.db, &state.clock, &state.outbox, workspace, &command.user_id, &name, false)
                .await
                .map(Some)
        }
        HighlightCommand::Following => follows::following(&state.db, workspace, &command.user_id).await.map(Some),
        HighlightCommand::PlanInterview(request) => {
            crate::interviews::plan(&state.db, &state.clock, workspace, &command.user_id, request).await.map(Some)
        }
        HighlightCommand::ListInterviews => {
            crate::interviews::list(&state.db, &state.clock, workspace, &command.user_id).await.map(Some)
        }
        HighlightCommand::Topic(topic) => {
            quotas::topics::set_topic(state, workspace, &command.user_id, topic).await.map(Some)
        }
        HighlightCommand::ConfigNudge(days) => {
            follows::configure_nudge(state, workspace, &command.user_id, days).await.map(Some)
        }
        HighlightCommand::MergeCustomers { from, into } => {
            customers::merge::merge(state, workspace, &command.user_id, &from, &into).await.map(Some)
        }
        HighlightCommand::Search(query) => search::search(&state.db, workspace, query).await.map(Some),
        HighlightCommand::Onboard(enrollment) => {
            quotas::commands::onboard(state, workspace, &command.user_id, enrollment).await.map(Some)
        }
        HighlightCommand::Offboard(who) => {
            quotas::commands::offboard(state, workspace, &command.user_id, who).await.map(Some)
        }
        HighlightCommand::Quota(who) => {
            quotas::commands::quota(&state.db, &state.clock, workspace, &command.user_id, who).await.map(Some)
        }
        HighlightCommand::Team => quotas::commands::team(&state.db, &state.clock, workspace).await.map(Some),
        HighlightCommand::Tickets { n, note } => {
            quotas::commands::tickets(&state.db, &state.clock, &state.outbox, workspace, &command.user_id, n, note)
                .await
                .map(Some)
        }
        HighlightCommand::ConfigDigestApprover(approver) => {
            digests::approval::configure(state, workspace, &command.user_id, approver).await.map(Some)
        }
        HighlightCommand::ConfigDigest { schedule, zone } => digests::post::configure(
            &state.db,
            &state.config,
            &state.slack,
            workspace,
            &command.user_id,
            Some(schedule),
            zone,
        )
        .await
        .map(Some),
        HighlightCommand::ConfigTimezone(zone) => digests::post::configure(
            &state.db,
            &state.config,
            &state.slack,
            workspace,
            &command.user_id,
            None,
            Some(zone),
        )
        .await
        .map(Some),
        HighlightCommand::Digest => digests::post::post_now(state, workspace).await.map(Some),
        HighlightCommand::Report(who) => {
            reports::request(&state.db, &state.clock, &state.outbox, workspace, &command.user_id, who).await.map(Some)
        }
        HighlightCommand::ConfigTriageEmoji(name) => {
            settings::set_triage_emoji(state, workspace, &command.user_id, name).await.map(Some)
        }
        HighlightCommand::ConfigRetention(days) => {
            crate::privacy::set_retention(state, workspace, &command.user_id, days).await.map(Some)
        }
        HighlightCommand::ConfigPiiScrub(on) => {
            settings::set_pii_scrub(state, workspace, &command.user_id, on).await.map(Some)
        }
        HighlightCommand::ConfigReport(endorsed_only) => {
            settings::set_report(state, workspace, &command.user_id, endorsed_only).await.map(Some)
        }
        HighlightCommand::ConfigChannel(channel) => {
            settings::set_channel(state, workspace, &command.user_id, channel).await.map(Some)
        }
        HighlightCommand::Privacy(privacy) => {
            crate::privacy::customer::set_privacy(state, workspace, &command.user_id, privacy).await.map(Some)
        }
        HighlightCommand::Forget(name) => {
            crate::privacy::forget::preview(&state.db, &state.config, &state.slack, workspace, &command.user_id, &name)
                .await
                .map(Some)
        }
        HighlightCommand::Web => {
            crate::web::link::issue(&state.db, &state.clock, &state.config, workspace, &command.user_id).await.map(Some)
        }
        HighlightCommand::Tester(tester) => {
            crate::testers::mark(&state.db, &state.clock, workspace, &command.user_id, tester).await.map(Some)
        }
        HighlightCommand::ConfigReadout(schedule) => {
            crate::readout::configure(state, workspace, &command.user_id, schedule).await.map(Some)
        }
        HighlightCommand::Testers(area) => {
            crate::testers::list(&state.db, &state.clock, workspace, &command.user_id, &area).await.map(Some)
        }
        HighlightCommand::Unknown(typed) => {
            let hint = if typed.split_whitespace().count() >= 3 {
                "To capture a highlight, separate the customer, the area and the quote with `|`: \
                 `/highlight Acme | chat | We need canned replies`.\n\n"
            } else {
                ""
            };
            Ok(Some(Reply::ephemeral(format!(
                "I don't know that command. {hint}Here is what I understand:\n\n{}\n{}",
                usage(&command.command),
                echo(&typed)
            ))))
        }
    }
}

/// The usage text, naming the command as the user typed it.
pub fn usage(command: &str) -> String {
    format!(
        "*{command}* captures what customers say and posts it to the product channel, one thread per customer.\n\
         • `{command} <customer> | <area> | <quote> [| <recording link> [@ 12:34]]`: capture a highlight, e.g. `{command} Acme | chat | \"We need canned replies\"` (leave the area out and the app suggests one)\n\
         • `{command}`: open the capture form (several highlights of one interview)\n\
         • `{command} customer <name>`: everything a customer said, by product area\n\
         • `{command} brief <customer>`: one screen before a call: areas, latest quotes, who knows them, what shipped\n\
         • `{command} search <words> [area:<name>] [customer:<name>]`: find highlights\n\
         • `{command} shipped <area> | <words> | <announcement> [| <link>]`: tell the customers who asked (a preview first; `*` for every highlight of the area)\n\
         • `{command} areas` / `{command} areas add <name>`: list or add product areas\n\
         • `{command} areas rename <old> to <new>` / `{command} areas merge <a> into <b>`: tidy the areas\n\
         • `{command} merge <customer> into <customer>`: make two customers one\n\
         • `{command} follow <customer>` / `{command} unfollow <customer>` / `{command} following`: hear by DM when someone else learns something new about a customer\n\
         • `{command} interview <customer> <YYYY-MM-DD> [HH:MM]` / `{command} interviews`: plan an interview (their brief by DM that morning, a reminder if nothing is captured) / list yours\n\
         • `{command} onboard @someone [YYYY-MM-DD] [interviews=20 feedback=100 tickets=50 days=30] [topic \"…\"]` / `{command} onboard me`: start an onboarding\n\
         • `{command} topic @someone \"<question>\"` / `{command} topic @someone off`: the question their interviews and month-end report answer\n\
         • `{command} tester <customer> <area> [off]`: mark (or unmark) a customer as willing to try a prototype in an area\n\
         • `{command} testers <area>`: who would try a prototype there, least asked first (listing counts as asking)\n\
         • `{command} quota [@someone]` / `{command} team`: progress and pace / everyone being onboarded\n\
         • `{command} tickets <n> [note]`: log support tickets you closed\n\
         • `{command} offboard @someone`: end an onboarding (history kept)\n\
         • *Triage feedback* on any message's ⋮ menu: classify it as product feedback; or react with :inbox_tray: and triage it later from my App Home (`{command} config triage-emoji <name>` to change the emoji)\n\
         • `{command} digest`: post the digest of the period so far; `{command} report [@someone]`: the month-end report, by DM\n\
         • `{command} config channel #channel`: set the product channel\n\
         • `{command} config digest weekly mon 09:00 [Europe/Paris]` / `daily 17:30` / `off`; `{command} config timezone <zone>`\n\
         • `{command} config digest approver @someone|off`: scheduled digests wait for their approval, by DM\n\
         • `{command} config readout weekly mon 09:00|off`: managers get a DM with every onboardee's pace, followed customers and report bar (off by default)\n\
         • `{command} config nudge <days>|off`: on Mondays, followers hear of the customers nobody interviewed for that long (default 30)\n\
         • `{command} config report endorsed-only on|off`: reports count only quotes a manager endorsed (✅ on a highlight's reply)\n\
         • `{command} config retention recordings <days>|off`: recording links older than that are removed, from posts too\n\
         • `{command} config pii-scrub on|off`: e-mail addresses and phone numbers in captures saved as [email] / [phone] (on by default)\n\
         • `{command} privacy <customer> anonymous|named`: show a customer as `Customer N` everywhere but its own thread (or by name again)\n\
         • `{command} privacy <customer> recordings hidden|shown`: leave its recording links out everywhere but its own thread\n\
         • `{command} forget <customer>`: erase a customer at their request (a preview and a confirm button first)\n\
         • `{command} web`: a sign-in link to the evidence library in your browser\n\
         • `{command} help`: this message"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A customer's name, decoded.
    fn name(decoded: &str) -> CustomerName {
        CustomerName::parse(decoded).expect("valid")
    }

    /// An area named to be looked up, decoded.
    fn area(decoded: &str) -> AreaRef {
        AreaRef::parse(decoded, "").expect("named")
    }

    /// A new area's name, decoded.
    fn new_area(decoded: &str) -> AreaName {
        AreaName::parse(decoded).expect("valid")
    }

    /// A quick capture's customer, area, quote and text as typed.
    fn quick(parsed: Result<HighlightCommand, UserError>) -> (String, String, String, String) {
        match parsed {
            Ok(HighlightCommand::Capture(Capture::Quick(c))) => {
                (c.customer.display, c.area, c.quote.as_str().to_owned(), c.text)
            }
            other => panic!("not a quick capture: {other:?}"),
        }
    }

    #[test]
    fn the_grammar_is_read() {
        assert_eq!(parse(""), Ok(HighlightCommand::OpenModal));
        assert_eq!(parse("  HELP "), Ok(HighlightCommand::Help));
        assert_eq!(parse("Web"), Ok(HighlightCommand::Web));
        assert_eq!(parse("web me"), Ok(HighlightCommand::Unknown("web me".into())));
        assert_eq!(
            quick(parse("Acme | chat | hi")),
            ("Acme".into(), "chat".into(), "hi".into(), "Acme | chat | hi".into())
        );
        assert_eq!(parse("areas"), Ok(HighlightCommand::ListAreas));
        assert_eq!(parse("Areas add  Data export "), Ok(HighlightCommand::AddArea(new_area("Data export"))));
        assert_eq!(
            parse("config channel <#C0123ABCD|product>"),
            Ok(HighlightCommand::ConfigChannel("C0123ABCD".into()))
        );
        assert_eq!(parse("config colour blue"), Ok(HighlightCommand::Unknown("config colour blue".into())));
        // A customer called "Help Scout" is still a capture when the bars are there.
        assert_eq!(
            quick(parse("help scout | chat | hi")),
            ("help scout".into(), "chat".into(), "hi".into(), "help scout | chat | hi".into())
        );
        // A bar inside a link is not a separator.
        assert_eq!(parse("see <https://x|y>"), Ok(HighlightCommand::Unknown("see <https://x|y>".into())));
    }

    #[test]
    fn pairs_split_on_the_last_separator_or_ask_for_both_sides() {
        let merge = |from: &str, into: &str| HighlightCommand::MergeCustomers { from: name(from), into: name(into) };
        assert_eq!(parse("merge Acme Labs into Acme"), Ok(merge("Acme Labs", "Acme")));
        assert_eq!(parse("merge Into Corp INTO Outof"), Ok(merge("Into Corp", "Outof")));
        assert_eq!(parse("merge Acme Acme"), Err(UserError::new(MERGE_CUSTOMERS_USAGE)));
        assert_eq!(parse("merge  into Acme"), Err(UserError::new(MERGE_CUSTOMERS_USAGE)));
        // Area names are decoded from Slack's escaping: `&amp;` is `&`.
        assert_eq!(
            parse("areas rename Billing &amp; Plans to Plans"),
            Ok(HighlightCommand::RenameArea { from: area("Billing & Plans"), to: new_area("Plans") })
        );
        assert_eq!(parse("areas rename Billing"), Err(UserError::new(RENAME_AREA_USAGE)));
        assert_eq!(
            parse("areas merge Chat into Messaging"),
            Ok(HighlightCommand::MergeAreas { from: area("Chat"), into: area("Messaging") })
        );
        assert_eq!(parse("areas merge Chat"), Err(UserError::new(MERGE_AREAS_USAGE)));
        assert_eq!(
            parse("config digest Approver <@U1>"),
            Ok(HighlightCommand::ConfigDigestApprover(Some("U1".into())))
        );
        assert_eq!(
            parse("config digest weekly mon 09:00"),
            Ok(HighlightCommand::ConfigDigest {
                schedule: Schedule::parse("weekly mon 09:00").expect("valid"),
                zone: None
            })
        );
    }

    #[test]
    fn a_capture_is_read_once_with_or_without_its_area() {
        match parse("Acme | we need it") {
            Ok(HighlightCommand::Capture(Capture::Unfiled(u))) => {
                assert_eq!((u.customer.display.as_str(), u.quote.as_str()), ("Acme", "we need it"));
                assert_eq!(u.text, "Acme | we need it");
            }
            other => panic!("not unfiled: {other:?}"),
        }
        // A mistake is refused at the grammar, with the usage and what was typed.
        let refusal = parse("Acme |  | hi").expect_err("empty area");
        assert!(
            refusal.0.starts_with("The product area is empty. Usage: `/highlight <customer> | <area> |"),
            "{}",
            refusal.0
        );
        assert!(refusal.0.ends_with(&echo("Acme |  | hi")), "{}", refusal.0);
        let refusal = parse(" | hi").expect_err("no customer");
        assert!(refusal.0.contains("Usage: `/highlight <customer> | [<area> |] <quote>`"), "{}", refusal.0);
    }

    #[test]
    fn people_and_numbers_are_read_at_the_grammar() {
        assert_eq!(parse("quota"), Ok(HighlightCommand::Quota(Who::Me)));
        assert_eq!(parse("progress <@U0123ABCD|ann>"), Ok(HighlightCommand::Quota(Who::User("U0123ABCD".into()))));
        assert_eq!(parse("quota ann"), Err(UserError::new(QUOTA_USAGE)));
        assert_eq!(parse("report me"), Ok(HighlightCommand::Report(Who::Me)));
        assert_eq!(parse("report ann"), Err(UserError::new(REPORT_USAGE)));
        assert_eq!(parse("offboard me"), Ok(HighlightCommand::Offboard(Who::Me)));
        assert!(parse("offboard").is_err());
        assert!(matches!(parse("onboard me 2026-12-01"), Ok(HighlightCommand::Onboard(e)) if e.user.is_none()));
        assert!(parse("enroll ann").is_err());
        assert_eq!(parse("tickets 3 refunds"), Ok(HighlightCommand::Tickets { n: 3, note: Some("refunds".into()) }));
        let refusal = parse("ticket 0").expect_err("zero");
        assert!(refusal.0.ends_with(&echo("tickets 0")), "{}", refusal.0);
    }

    #[test]
    fn following_is_read_at_the_grammar() {
        assert_eq!(parse("follow Acme &amp; Co"), Ok(HighlightCommand::Follow(name("Acme & Co"))));
        assert_eq!(parse("UNFOLLOW Acme"), Ok(HighlightCommand::Unfollow(name("Acme"))));
        assert_eq!(
            parse("follow !!!"),
            Err(UserError::new("“!!!” has no letters or digits to recognise a customer by. Nothing changed."))
        );
        assert_eq!(parse("following"), Ok(HighlightCommand::Following));
        assert_eq!(parse("follow"), Err(UserError::new(follows::FOLLOW_USAGE)));
        assert_eq!(parse("unfollow  "), Err(UserError::new(follows::FOLLOW_USAGE)));
        assert_eq!(parse("config nudge 14"), Ok(HighlightCommand::ConfigNudge(Some(14))));
        assert_eq!(parse("config nudge off"), Ok(HighlightCommand::ConfigNudge(None)));
        assert!(parse("config nudge never").is_err());
    }

    #[test]
    fn configuration_is_read_at_the_grammar() {
        assert_eq!(
            parse("config channel #product"),
            Err(UserError::new(
                "Name the channel with a #mention, e.g. `/highlight config channel #product-feedback`."
            ))
        );
        match parse("config digest daily 17:30 Europe/Paris") {
            Ok(HighlightCommand::ConfigDigest { schedule, zone: Some(zone) }) => {
                assert_eq!((schedule.as_text().as_str(), zone.name.as_str()), ("daily 17:30", "Europe/Paris"));
            }
            other => panic!("not a digest schedule: {other:?}"),
        }
        assert!(parse("config digest daily 25:00").is_err());
        assert!(parse("config digest weekly mon 09:00 Mars/Olympus").is_err());
        assert!(matches!(parse("config tz utc"), Ok(HighlightCommand::ConfigTimezone(z)) if z.name == "utc"));
        assert_eq!(
            parse("config timezone").map(|_| ()),
            Err(UserError::new("Usage: `/highlight config timezone Europe/Paris`."))
        );
        assert_eq!(parse("config digest approver OFF"), Ok(HighlightCommand::ConfigDigestApprover(None)));
        let refusal = parse("config digest approver ann").expect_err("not a mention");
        assert!(refusal.0.ends_with(&echo("config digest approver ann")), "{}", refusal.0);
        assert_eq!(parse("config reports Endorsed-Only ON"), Ok(HighlightCommand::ConfigReport(true)));
        assert!(parse("config report on").is_err());
        assert_eq!(parse("config triage_emoji :Eyes:"), Ok(HighlightCommand::ConfigTriageEmoji("eyes".into())));
        assert!(parse("config triage-emoji :white_check_mark:").is_err());
        assert_eq!(parse("config pii-scrub OFF"), Ok(HighlightCommand::ConfigPiiScrub(false)));
        assert_eq!(parse("config pii-scrub on"), Ok(HighlightCommand::ConfigPiiScrub(true)));
        assert!(parse("config pii-scrub maybe").is_err_and(|e| e.0.contains("config pii-scrub maybe")));
    }

    #[test]
    fn planned_interviews_are_read_at_the_grammar() {
        match parse("Interview Acme Labs 2026-12-08 10:00") {
            Ok(HighlightCommand::PlanInterview(p)) => assert_eq!(p.customer.display, "Acme Labs"),
            other => panic!("not a plan: {other:?}"),
        }
        assert_eq!(parse("interviews"), Ok(HighlightCommand::ListInterviews));
        assert_eq!(parse("topic"), Err(UserError::new(quotas::topics::TOPIC_USAGE)));
        assert!(matches!(parse("Topic <@U1> off"), Ok(HighlightCommand::Topic(t)) if t.topic.is_none()));
        assert_eq!(parse("interview"), Err(UserError::new(crate::interviews::INTERVIEW_USAGE)));
        assert!(parse("interview Acme 2026-12-08 noon").is_err_and(|e| e.0.contains("interview Acme 2026-12-08 noon")));
        // Bars make a capture about a customer called "interview Acme".
        assert!(matches!(parse("interview Acme | chat | hi"), Ok(HighlightCommand::Capture(_))));
    }

    #[test]
    fn testers_and_the_readout_are_read_at_the_grammar() {
        use crate::testers::TESTERS_USAGE;
        assert!(matches!(
            parse("Tester Acme Labs chat OFF"),
            Ok(HighlightCommand::Tester(t)) if t.off && t.readings.len() == 2 && t.readings[1].area.as_str() == "chat"
        ));
        assert!(parse("tester Acme").is_err_and(|e| e.0.contains("tester Acme")));
        assert_eq!(parse("testers Q&amp;A  data"), Ok(HighlightCommand::Testers(area("Q&A  data"))));
        assert_eq!(parse("testers"), Err(UserError::new(TESTERS_USAGE)));
        assert_eq!(parse("config readout off"), Ok(HighlightCommand::ConfigReadout(None)));
        assert!(matches!(
            parse("config readout weekly mon 09:00"),
            Ok(HighlightCommand::ConfigReadout(Some(s))) if s.as_text() == "weekly mon 09:00"
        ));
        assert!(parse("config readout sometimes").is_err_and(|e| e.0.contains("config readout sometimes")));
    }

    #[test]
    fn briefs_and_shipments_are_read_at_the_grammar() {
        assert_eq!(parse("brief"), Err(UserError::new(BRIEF_USAGE)));
        assert_eq!(parse("Brief Acme &amp; Co"), Ok(HighlightCommand::Brief(name("Acme & Co"))));
        assert_eq!(
            parse(&format!("brief {}", "a".repeat(101))),
            Err(UserError::new("The customer name is over 100 characters."))
        );
        // Bars make a shipment, not a capture for a customer called "shipped chat".
        match parse("Shipped chat | canned | Live") {
            Ok(HighlightCommand::Shipped(s)) => {
                assert_eq!((s.area.as_str(), s.announcement.as_str()), ("chat", "Live"))
            }
            other => panic!("not a shipment: {other:?}"),
        }
        let refusal = parse("shipped").expect_err("no fields");
        assert!(refusal.0.ends_with(&echo("shipped")), "{}", refusal.0);
        assert!(matches!(parse("Shipwright | chat | hi"), Ok(HighlightCommand::Capture(_))));
    }

    #[test]
    fn areas_customers_and_searches_are_read_at_the_grammar() {
        assert_eq!(parse("areas add Billing &amp; Plans"), Ok(HighlightCommand::AddArea(new_area("Billing & Plans"))));
        assert_eq!(
            parse("areas add"),
            Err(UserError::new("Give the area a name, e.g. `/highlight areas add analytics`."))
        );
        assert_eq!(parse("areas add a &lt;b&gt;"), Err(UserError::new("Area names can't contain `|`, `<` or `>`.")));
        assert_eq!(
            parse("areas rename Chat to Chat   Tools"),
            Ok(HighlightCommand::RenameArea { from: area("Chat"), to: new_area("Chat Tools") })
        );
        assert_eq!(
            parse("areas merge Q&amp;A into Help  desk"),
            Ok(HighlightCommand::MergeAreas { from: area("Q&A"), into: area("Help  desk") })
        );
        assert_eq!(parse("areas merge chat into "), Err(UserError::new(MERGE_AREAS_USAGE)));
        assert!(parse(&format!("areas rename Chat to {}", "x".repeat(51))).is_err());
        assert_eq!(parse("customer"), Err(UserError::new(CUSTOMER_USAGE)));
        assert_eq!(parse("customers Acme &amp; Co"), Ok(HighlightCommand::Customer(name("Acme & Co"))));
        assert_eq!(
            parse("merge Acme &amp; Co into  Acme "),
            Ok(HighlightCommand::MergeCustomers { from: name("Acme & Co"), into: name("Acme") })
        );
        assert_eq!(parse("merge Acme into"), Err(UserError::new(MERGE_CUSTOMERS_USAGE)));
        assert_eq!(
            parse("merge ... into Acme"),
            Err(UserError::new("“...” has no letters or digits to recognise a customer by. Nothing was merged."))
        );
        assert_eq!(parse("forget Acme"), Ok(HighlightCommand::Forget(name("Acme"))));
        assert_eq!(
            parse("forget &amp;"),
            Err(UserError::new("“&amp;” has no letters or digits to recognise a customer by. Nothing was erased."))
        );
        match parse("find Canned replies area:chat") {
            Ok(HighlightCommand::Search(q)) => {
                assert_eq!((q.words, q.area), (vec!["canned".to_owned(), "replies".to_owned()], Some("chat".into())))
            }
            other => panic!("not a search: {other:?}"),
        }
        assert!(parse("search area:chat").is_err());
    }
}
