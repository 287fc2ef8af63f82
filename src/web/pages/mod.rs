//! The library's pages (docs/design.md, The evidence library), each showing
//! only the session's workspace and each rendered from the same read as
//! its Slack counterpart: [`customers`] (the customer view's reads, the
//! search's, the export's), [`areas`] (the digest's ranking: `/`, `/areas`)
//! and [`onboarding`] (the team's progress, the month-end report). The
//! helpers here are what they share.

pub mod areas;
pub mod customers;
pub mod onboarding;

pub use areas::{area, areas, home};
pub use customers::{customer, customers, export, follow, search};
pub use onboarding::{onboarding, report};

use std::collections::HashMap;

use axum::response::Response;
use maud::{html, Markup};

use crate::app::Slack;
use crate::domain::RecordingTime;
use crate::error::AppError;
use crate::store::workspaces::WorkspaceId;
use crate::web::layout;
use crate::web::session::Session;

const DAY_MS: i64 = 86_400_000;
const WEEK_MS: i64 = 7 * DAY_MS;

/// Logs a failed read once and answers the page for it.
pub(super) fn failed(session: &Session, e: impl Into<AppError>) -> Response {
    let e = e.into();
    tracing::error!(error = %crate::error::chain(&e), "a library page failed");
    layout::unavailable(Some(session))
}

/// People's names as Slack shows them (their ids when Slack cannot say).
pub(super) async fn names(
    slack: &Slack,
    workspace: &WorkspaceId,
    users: impl IntoIterator<Item = String>,
) -> HashMap<String, String> {
    let mut names = HashMap::new();
    for user in users {
        if names.contains_key(&user) {
            continue;
        }
        let shown = crate::slack::mrkdwn::decode(&slack.person(workspace, &user).await);
        let shown = if shown.starts_with('@') || shown.starts_with("<@") { user.clone() } else { shown };
        names.insert(user, shown);
    }
    names
}

pub(super) fn name_of<'a>(names: &'a HashMap<String, String>, user: &'a str) -> &'a str {
    names.get(user).map_or(user, String::as_str)
}

/// `▶ 12:34`, opening the recording at that moment where the provider
/// allows, else beside the unchanged link; "Recording" without a moment.
pub(super) fn recording(link: Option<&str>, at: Option<i64>) -> Markup {
    let Some(link) = link else { return html! {} };
    match at.and_then(RecordingTime::from_seconds) {
        Some(at) => match at.deep_link(link) {
            Some(deep) => html! { a.moment href=(deep) { "▶ " (at.to_string()) } },
            None => html! { a href=(link) { "Recording" } " " span.moment { "▶ " (at.to_string()) } },
        },
        None => html! { a href=(link) { "▶ Recording" } },
    }
}

/// `$120,000`.
pub(super) fn arr(cents: Option<i64>) -> String {
    cents.map(|c| format!("${}", crate::reply::thousands(c / 100))).unwrap_or_default()
}

pub(super) fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Onboarding progress: a labelled bar per target, with the pace.
pub(super) fn progress_list(team: &[crate::quotas::Progress], names: &HashMap<String, String>) -> Markup {
    html! {
        ul.progress {
            @for p in team {
                li {
                    h3 { a href={ "/onboarding/" (p.user) "/report" } { (name_of(names, &p.user)) } " " span.count { "· " (crate::quotas::render_day(p)) } }
                    @for (name, goal) in p.goals() {
                        @let id = format!("{}-{name}", p.user);
                        div.goal {
                            label for=(id) { (name) " " (goal.done) "/" (goal.target) " · " (goal.pace()) }
                            progress id=(id) max=(goal.target) value=(goal.done.min(goal.target)) { (goal.done) "/" (goal.target) }
                        }
                    }
                }
            }
        }
    }
}
