//! `/onboarding` and `/onboarding/{user}/report`: the team's progress and
//! the month-end report, as `/highlight team` and `/highlight report` read them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use maud::html;

use super::{failed, name_of, names, plural, progress_list, recording};
use crate::app::AppState;
use crate::web::layout::{self, page, respond};
use crate::web::session::Session;

/// `GET /onboarding`: everyone being onboarded, with progress and pace.
pub async fn onboarding(State(state): State<AppState>, Extension(session): Extension<Session>) -> Response {
    let team = match crate::quotas::commands::team_progress(&state.db, &state.clock, &session.workspace).await {
        Ok(team) => team,
        Err(e) => return failed(&session, e),
    };
    let names = names(&state.slack, &session.workspace, team.iter().map(|p| p.user.clone()).collect::<Vec<_>>()).await;
    let body = html! {
        @if team.is_empty() { p { "Nobody is being onboarded. Enroll someone in Slack with /highlight onboard @someone." } }
        @else { p { "Most behind first. Each name opens that person's month-end report." } }
        (progress_list(&team, &names))
    };
    respond(StatusCode::OK, page("Onboarding", Some(&session), body))
}

/// `GET /onboarding/{user}/report`: the month-end report, printable.
pub async fn report(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path(user): Path<String>,
) -> Response {
    let ws = &session.workspace;
    if crate::ids::UserId::parse(&user).is_err() {
        return layout::not_found(Some(&session));
    }
    let read = async {
        let report = crate::reports::gather(&state.db, ws, &user, state.clock.now_ms()).await?;
        let enrolled = crate::store::onboarding::find_onboardee(&state.db, ws, &user).await?.is_some();
        Ok::<_, sqlx::Error>((report, enrolled))
    };
    let report = match read.await {
        Ok((Some(report), _)) => report,
        Ok((None, true)) => {
            let names = names(&state.slack, ws, [user.clone()]).await;
            let title = format!("Month-end report: {}", name_of(&names, &user));
            return layout::message(
                StatusCode::OK,
                &title,
                "No interviews in the onboarding window yet.",
                Some(&session),
            );
        }
        Ok((None, false)) => return layout::not_found(Some(&session)),
        Err(e) => return failed(&session, e),
    };
    let names = names(&state.slack, ws, [user.clone()]).await;
    let body = html! {
        @if let Some(topic) = &report.topic { p.topic { strong { "Topic: " } (topic) } }
        p.facts { (report.from) " to " (report.until) " · " (plural(report.interviews as i64, "interview", "interviews"))
            @if report.endorsed_only { " · endorsed quotes only" } }
        p.screen-only { "Print this page from your browser's menu: it prints without the navigation." }
        @for f in &report.features {
            section.feature {
                h2 { (f.area) " " span.count { "· " (plural(f.customers as i64, "customer", "customers")) ", " (plural(f.highlights as i64, "quote", "quotes")) } }
                @if f.backed { p.backed { "✔ Backed: at least 3 quotes from 3 customers." } }
                @else { p.gap { "Below the bar. " (crate::reports::gap(f)) } }
                ol.quotes {
                    @for q in &f.quotes {
                        li {
                            blockquote { p { (q.quote) } }
                            p.meta { strong { (q.customer.label()) } " · " (q.date)
                                @if q.recording_link.is_some() { " · " (recording(q.recording_link.as_deref(), q.recording_at)) }
                                @if q.endorsed { " · " span.endorsed { "✅ endorsed" } } }
                        }
                    }
                }
            }
        }
        @if !report.team.is_empty() {
            section aria-labelledby="team" {
                h2 id="team" { "The team's ranking over the same weeks" }
                table {
                    thead { tr { th scope="col" { "Area" } th.num scope="col" { "Customers" } th.num scope="col" { "Highlights" } } }
                    tbody { @for t in &report.team { tr { th scope="row" { (t.area) } td.num { (t.customers) } td.num { (t.highlights) } } } }
                }
            }
        }
    };
    let title = format!("Month-end report: {}", name_of(&names, &user));
    respond(StatusCode::OK, page(&title, Some(&session), body))
}
