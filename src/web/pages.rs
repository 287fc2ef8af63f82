//! The library's pages (docs/design.md, The evidence library), each showing
//! only the session's workspace and each rendered from the same read as
//! its Slack counterpart: the customer view's (`/customers/{id}`), the
//! search's (`/search`), the digest's ranking (`/`, `/areas`), the team's
//! progress (`/onboarding`), the month-end report's, and the export's.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use maud::{html, Markup};
use serde::Deserialize;

use crate::app::AppState;
use crate::domain::highlight::{format_date, parse_date};
use crate::domain::RecordingTime;
use crate::error::AppError;
use crate::store::digests::{list_area_signal, AreaSignal};
use crate::store::library::{self, CustomerOrder};
use crate::store::workspaces::WorkspaceId;
use crate::web::layout::{self, page, respond};
use crate::web::session::Session;

const DAY_MS: i64 = 86_400_000;
const WEEK_MS: i64 = 7 * DAY_MS;
/// Weeks the chart on `/` covers.
pub const CHART_WEEKS: i64 = 12;
/// Areas the chart draws.
const CHART_AREAS: usize = 5;
/// Customers listed on `/customers` at most.
const MAX_CUSTOMERS: i64 = 500;
/// Quotes listed on an area's page at most.
const MAX_AREA_QUOTES: i64 = 500;
/// Everything a customer said: the customer view's query, with no cap that
/// a real customer reaches.
const ALL_QUOTES: i64 = 100_000;

/// Logs a failed read once and answers the page for it.
fn failed(session: &Session, e: impl Into<AppError>) -> Response {
    let e = e.into();
    tracing::error!(error = %crate::error::chain(&e), "a library page failed");
    layout::unavailable(Some(session))
}

/// People's names as Slack shows them (their ids when Slack cannot say).
async fn names(
    state: &AppState,
    workspace: &WorkspaceId,
    users: impl IntoIterator<Item = String>,
) -> HashMap<String, String> {
    let mut names = HashMap::new();
    for user in users {
        if names.contains_key(&user) {
            continue;
        }
        let shown = crate::slack::mrkdwn::decode(&state.person(workspace, &user).await);
        let shown = if shown.starts_with('@') || shown.starts_with("<@") { user.clone() } else { shown };
        names.insert(user, shown);
    }
    names
}

fn name_of<'a>(names: &'a HashMap<String, String>, user: &'a str) -> &'a str {
    names.get(user).map_or(user, String::as_str)
}

/// `▶ 12:34`, opening the recording at that moment where the provider
/// allows, else beside the unchanged link; "Recording" without a moment.
fn recording(link: Option<&str>, at: Option<i64>) -> Markup {
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
fn arr(cents: Option<i64>) -> String {
    cents.map(|c| format!("${}", crate::reply::thousands(c / 100))).unwrap_or_default()
}

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The `/customers` query.
#[derive(Debug, Deserialize)]
pub struct CustomersQuery {
    q: Option<String>,
    sort: Option<String>,
}

/// `GET /customers`: every customer, filtered and sorted.
pub async fn customers(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Query(query): Query<CustomersQuery>,
) -> Response {
    let q = query.q.as_deref().map(str::trim).unwrap_or_default();
    let sort = query.sort.as_deref().unwrap_or("name");
    let order = match sort {
        "recent" => CustomerOrder::Recent,
        "highlights" => CustomerOrder::Highlights,
        "arr" => CustomerOrder::Arr,
        _ => CustomerOrder::Name,
    };
    let key = if q.is_empty() { String::new() } else { crate::domain::customer::customer_key(q) };
    let rows =
        match library::list_directory_customers(state.db(), &session.workspace, &key, q, order, MAX_CUSTOMERS).await {
            Ok(rows) => rows,
            Err(e) => return failed(&session, e),
        };
    let options = [("name", "Name"), ("recent", "Most recent"), ("highlights", "Most highlights"), ("arr", "ARR")];
    let body = html! {
        form.filters method="get" action="/customers" {
            label for="customer-filter" { "Filter by name" }
            input id="customer-filter" type="search" name="q" value=(q);
            label for="customer-sort" { "Sort by" }
            select id="customer-sort" name="sort" {
                @for (value, label) in options {
                    option value=(value) selected[value == sort] { (label) }
                }
            }
            button type="submit" { "Show" }
        }
        @if rows.is_empty() {
            p { @if q.is_empty() { "No customers yet. Capture a highlight in Slack with /highlight." } @else { "No customer matches “" (q) "”." } }
        } @else {
            table {
                caption { (plural(rows.len() as i64, "customer", "customers")) }
                thead { tr { th scope="col" { "Customer" } th scope="col" { "Segment" } th scope="col" { "ARR" } th scope="col" { "Highlights" } th scope="col" { "Areas" } th scope="col" { "Last interview" } } }
                tbody {
                    @for c in &rows {
                        tr {
                            th scope="row" { a href={ "/customers/" (c.id) } { (c.display_name) } }
                            td { (c.segment.as_deref().unwrap_or_default()) }
                            td.num { (arr(c.arr_cents)) }
                            td.num { (c.highlights) }
                            td.num { (c.areas) }
                            td { (c.last_contact.as_deref().unwrap_or_default()) }
                        }
                    }
                }
            }
        }
    };
    respond(StatusCode::OK, page("Customers", Some(&session), body))
}

/// Where the *Follow* toggle of a customer page goes (docs/design.md, The
/// evidence library): following customers renders its form here.
fn follow_control(_session: &Session, _customer_id: i64) -> Markup {
    html! {}
}

/// `GET /customers/{id}`: everything the customer said, by area, newest first.
pub async fn customer(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else { return layout::not_found(Some(&session)) };
    let (db, ws) = (state.db(), &session.workspace);
    let customer = match crate::store::customers::find_surviving_customer(db, ws, id).await {
        Ok(Some(customer)) => customer,
        Ok(None) => return layout::not_found(Some(&session)),
        Err(e) => return failed(&session, e),
    };
    if customer.id != id {
        return Redirect::to(&format!("/customers/{}", customer.id)).into_response();
    }
    let read = async {
        let totals = crate::store::customers::find_customer_totals(db, ws, id).await?;
        let details = crate::store::customers::find_customer_details(db, ws, id).await?;
        let quotes = crate::store::customers::list_customer_quotes_by_area(db, ws, id, ALL_QUOTES).await?;
        Ok::<_, sqlx::Error>((totals, details, quotes))
    };
    let (totals, details, quotes) = match read.await {
        Ok(read) => read,
        Err(e) => return failed(&session, e),
    };
    let people = quotes.iter().flat_map(|q| std::iter::once(q.author.clone()).chain(q.endorsed_by.clone()));
    let names = names(&state, ws, people.collect::<Vec<_>>()).await;
    let mut areas: Vec<(&str, i64, Vec<&crate::store::customers::AreaQuote>)> = Vec::new();
    for q in &quotes {
        match areas.last_mut() {
            Some((area, _, list)) if *area == q.area => list.push(q),
            _ => areas.push((&q.area, q.area_highlights, vec![q])),
        }
    }
    let body = html! {
        p.facts {
            (plural(totals.highlights, "highlight", "highlights")) " · "
            (plural(totals.interviews, "interview", "interviews")) " · "
            (plural(totals.interviewers, "interviewer", "interviewers"))
            @if let (Some(first), Some(last)) = (&totals.first_contact, &totals.last_contact) {
                " · " @if first == last { "on " (first) } @else { (first) " → " (last) }
            }
            @if let Some(segment) = &details.segment { " · " (segment) }
            @if details.arr_cents.is_some() { " · " (arr(details.arr_cents)) " ARR" }
        }
        @if let Some(thread) = &details.thread_permalink {
            p { a href=(thread) { "Open the customer's thread in Slack" } }
        }
        (follow_control(&session, id))
        @if areas.is_empty() {
            p { "Nothing captured about this customer yet." }
        }
        @for (area, count, list) in &areas {
            section.area {
                h2 { (area) " " span.count { "· " (plural(*count, "highlight", "highlights")) } }
                ol.quotes {
                    @for q in list {
                        li {
                            blockquote { p { (q.quote) } }
                            p.meta {
                                span.kind { (q.kind) } " · "
                                (name_of(&names, &q.author))
                                @if let Some(who) = &q.interviewee { " with " (who) }
                                " · " (q.interview_date)
                                @if q.recording_link.is_some() { " · " (recording(q.recording_link.as_deref(), q.recording_at)) }
                                @if let Some(by) = &q.endorsed_by { " · " span.endorsed { "✅ endorsed by " (name_of(&names, by)) } }
                                @if let Some(link) = &q.permalink { " · " a href=(link) { "In Slack" } }
                            }
                        }
                    }
                }
            }
        }
    };
    respond(StatusCode::OK, page(&customer.display_name, Some(&session), body))
}

/// The `/search` query.
#[derive(Debug, Deserialize)]
pub struct SearchParams {
    q: Option<String>,
}

/// `GET /search?q=`: `/highlight search`'s syntax, hits and ranking.
pub async fn search(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Query(params): Query<SearchParams>,
) -> Response {
    let q = params.q.as_deref().map(str::trim).unwrap_or_default();
    let form = html! {
        form.filters role="search" method="get" action="/search" {
            label for="search-words" { "Words" }
            input id="search-words" type="search" name="q" value=(q);
            button type="submit" { "Search" }
        }
        p.hint { "Every word must match. Narrow with area:chat or customer:\"Acme Corp\"." }
    };
    let query = crate::search::parse_search(q);
    if query.words.is_empty() {
        return respond(StatusCode::OK, page("Search", Some(&session), form));
    }
    let hits = match crate::search::find_hits(&state, &session.workspace, &query).await {
        Ok(hits) => hits,
        Err(AppError::User(refusal)) => {
            let text = crate::slack::mrkdwn::decode(&refusal.0).replace('*', "");
            return respond(StatusCode::OK, page("Search", Some(&session), html! { (form) p.notice { (text) } }));
        }
        Err(e) => return failed(&session, e),
    };
    let names = names(&state, &session.workspace, hits.iter().map(|h| h.author.clone()).collect::<Vec<_>>()).await;
    let words = query.words.join(" ");
    let body = html! {
        (form)
        @if hits.is_empty() {
            p { "No highlight mentions “" (words) "”." }
        } @else {
            h2 { (plural(hits.len() as i64, "highlight", "highlights")) " matching “" (words) "”, best first" }
            ol.quotes {
                @for hit in &hits {
                    li {
                        blockquote { p { (hit.quote) } }
                        p.meta {
                            strong { (hit.customer) } " · " (hit.area) " · " (name_of(&names, &hit.author)) " · " (hit.interview_date)
                            @if let Some(link) = &hit.permalink { " · " a href=(link) { "In Slack" } }
                        }
                    }
                }
            }
        }
    };
    respond(StatusCode::OK, page(&format!("Search: {words}"), Some(&session), body))
}

/// `GET /export.csv`: the command line's CSV export, of this workspace.
pub async fn export(State(state): State<AppState>, Extension(session): Extension<Session>) -> Response {
    let rows = match crate::reports::export::export_rows(state.db(), &session.workspace, 0).await {
        Ok(rows) => rows,
        Err(e) => return failed(&session, e),
    };
    let mut csv = Vec::new();
    if let Err(e) = crate::reports::export::write_export(&rows, "csv", &mut csv) {
        return failed(&session, e);
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"highlights-{}.csv\"", session.workspace.as_str()),
            ),
        ],
        csv,
    )
        .into_response()
}

/// `+3`, `−1`, `±0`, or `new`.
fn change(now: &AreaSignal, before: &[AreaSignal]) -> String {
    if now.is_new == 1 {
        return "new".to_owned();
    }
    let was = before.iter().find(|b| b.area_id == now.area_id).map_or(0, |b| b.customers);
    match now.customers - was {
        0 => "±0".to_owned(),
        n if n > 0 => format!("+{n}"),
        n => format!("−{}", -n),
    }
}

/// The ranking table of `/` and `/areas`: areas by distinct customers.
fn ranking(signal: &[AreaSignal], before: Option<&[AreaSignal]>, caption: &str) -> Markup {
    html! {
        table {
            caption { (caption) }
            thead { tr {
                th scope="col" { "Area" } th scope="col" { "Customers" }
                @if before.is_some() { th scope="col" { "Change" } }
                th scope="col" { "Highlights" }
            } }
            tbody {
                @for s in signal {
                    tr {
                        th scope="row" { a href={ "/areas/" (s.area_id) } { (s.area) } }
                        td.num { (s.customers) }
                        @if let Some(before) = before { td.num { (change(s, before)) } }
                        td.num { (s.highlights) }
                    }
                }
            }
        }
    }
}

/// Colours of the chart's lines (presentation attributes: no inline style).
const CHART_COLOURS: [&str; CHART_AREAS] = ["#2563eb", "#d97706", "#059669", "#db2777", "#7c3aed"];

/// Distinct customers per area per week, as inline SVG with a legend and
/// the same numbers in a table for screen readers.
fn chart(weeks: &[(String, Vec<AreaSignal>)]) -> Markup {
    let mut totals: Vec<(i64, String, i64)> = Vec::new();
    for (_, signal) in weeks {
        for s in signal {
            match totals.iter_mut().find(|(id, _, _)| *id == s.area_id) {
                Some(t) => t.2 += s.customers,
                None => totals.push((s.area_id, s.area.clone(), s.customers)),
            }
        }
    }
    totals.sort_by(|a, b| b.2.cmp(&a.2).then(a.1.cmp(&b.1)));
    totals.truncate(CHART_AREAS);
    let series: Vec<(&str, Vec<i64>)> = totals
        .iter()
        .map(|(id, name, _)| {
            let points = weeks
                .iter()
                .map(|(_, signal)| signal.iter().find(|s| s.area_id == *id).map_or(0, |s| s.customers))
                .collect();
            (name.as_str(), points)
        })
        .collect();
    let top = series.iter().flat_map(|(_, p)| p.iter().copied()).max().unwrap_or(0).max(1);
    let (w, h, left, bottom) = (600.0_f64, 200.0_f64, 30.0_f64, 20.0_f64);
    let step = (w - left - 10.0) / (weeks.len().max(2) - 1) as f64;
    let y = |v: i64| 10.0 + (h - bottom - 10.0) * (1.0 - v as f64 / top as f64);
    html! {
        figure.chart {
            svg viewBox={ "0 0 " (w) " " (h) } role="img" aria-labelledby="chart-title" {
                title id="chart-title" { "Distinct customers per product area per week, last " (weeks.len()) " weeks" }
                line x1=(left) y1=(y(0)) x2=(w - 10.0) y2=(y(0)) stroke="#888" {}
                line x1=(left) y1=(y(top)) x2=(left) y2=(y(0)) stroke="#888" {}
                text x=(left - 4.0) y=(y(top) + 4.0) text-anchor="end" font-size="11" { (top) }
                text x=(left - 4.0) y=(y(0) + 4.0) text-anchor="end" font-size="11" { "0" }
                @for (i, (label, _)) in weeks.iter().enumerate() {
                    @if i % 3 == 0 || i + 1 == weeks.len() {
                        text x=(left + step * i as f64) y=(h - 4.0) text-anchor="middle" font-size="11" { (label) }
                    }
                }
                @for (n, (_, points)) in series.iter().enumerate() {
                    polyline fill="none" stroke=(CHART_COLOURS[n]) stroke-width="2"
                        points=(points.iter().enumerate().map(|(i, v)| format!("{:.1},{:.1}", left + step * i as f64, y(*v))).collect::<Vec<_>>().join(" ")) {}
                }
            }
            figcaption {
                ul.legend {
                    @for (n, (name, _)) in series.iter().enumerate() {
                        li { svg.swatch viewBox="0 0 10 10" aria-hidden="true" { rect width="10" height="10" fill=(CHART_COLOURS[n]) {} } " " (name) }
                    }
                }
            }
            details {
                summary { "The chart's numbers" }
                table {
                    thead { tr { th scope="col" { "Week of" } @for (name, _) in &series { th scope="col" { (name) } } } }
                    tbody {
                        @for (i, (label, _)) in weeks.iter().enumerate() {
                            tr { th scope="row" { (label) } @for (_, points) in &series { td.num { (points[i]) } } }
                        }
                    }
                }
            }
        }
    }
}

/// Onboarding progress: a labelled bar per target, with the pace.
fn progress_list(team: &[crate::quotas::Progress], names: &HashMap<String, String>) -> Markup {
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

/// `GET /`: the week at a glance.
pub async fn home(State(state): State<AppState>, Extension(session): Extension<Session>) -> Response {
    let (db, ws) = (state.db(), &session.workspace);
    let now = state.clock().now_ms();
    let read = async {
        let digest = crate::digests::gather(db, now, ws, now - WEEK_MS, now, String::new(), true).await?;
        let before = list_area_signal(db, ws, now - 2 * WEEK_MS, now - WEEK_MS).await?;
        let zone = crate::app::zone::workspace_zone(db, ws).await?;
        let mut weeks = Vec::new();
        for w in (0..CHART_WEEKS).rev() {
            let (from, until) = (now - (w + 1) * WEEK_MS, now - w * WEEK_MS);
            let label = crate::app::zone::local_date(&zone, from + DAY_MS).strftime("%b %d").to_string();
            weeks.push((label, list_area_signal(db, ws, from, until).await?));
        }
        Ok::<_, sqlx::Error>((digest, before, weeks))
    };
    let (digest, before, weeks) = match read.await {
        Ok(read) => read,
        Err(e) => return failed(&session, e),
    };
    let signal: Vec<AreaSignal> = digest.areas.iter().map(|(s, _)| s.clone()).collect();
    let latest: Vec<&crate::store::digests::QuoteCandidate> =
        digest.areas.iter().flat_map(|(_, quotes)| quotes.iter()).take(12).collect();
    let people = latest.iter().map(|q| q.author.clone()).chain(digest.onboarding.iter().map(|p| p.user.clone()));
    let names = names(&state, ws, people.collect::<Vec<_>>()).await;
    let t = &digest.totals;
    let body = html! {
        p.facts {
            "Last 7 days: " (plural(t.interviews, "interview", "interviews")) " · "
            (plural(t.highlights, "highlight", "highlights")) " · " (plural(t.customers, "customer", "customers"))
        }
        section aria-labelledby="ranking" {
            h2 id="ranking" { "Product areas by distinct customers" }
            @if signal.is_empty() { p { "Nothing captured in the last 7 days." } }
            @else { (ranking(&signal, Some(&before), "Last 7 days, with the change against the 7 days before")) }
        }
        section aria-labelledby="weeks" {
            h2 id="weeks" { "Customers per area, week by week" }
            (chart(&weeks))
        }
        section aria-labelledby="latest" {
            h2 id="latest" { "Latest highlights" }
            @if latest.is_empty() { p { "None this week." } }
            ol.quotes {
                @for q in &latest {
                    li {
                        blockquote { p { (q.quote) } }
                        p.meta {
                            a href={ "/customers/" (q.customer_id) } { (q.customer) } " · " (q.kind) " · "
                            (name_of(&names, &q.author)) " · " (q.interview_date)
                            @if q.recording_link.is_some() { " · " (recording(q.recording_link.as_deref(), q.recording_at)) }
                            @if let Some(link) = &q.permalink { " · " a href=(link) { "In Slack" } }
                        }
                    }
                }
            }
        }
        section aria-labelledby="onboarding" {
            h2 id="onboarding" { "Onboarding" }
            @if digest.onboarding.is_empty() { p { "Nobody is being onboarded." } }
            (progress_list(&digest.onboarding, &names))
        }
    };
    respond(StatusCode::OK, page("This week", Some(&session), body))
}

/// The `since` of `/areas` and `/areas/{id}`.
#[derive(Debug, Deserialize)]
pub struct SinceQuery {
    since: Option<String>,
}

/// The period's first moment: `since` (a date in the workspace's zone), or
/// 30 days ago; and the date shown.
async fn since(state: &AppState, workspace: &WorkspaceId, since: Option<&str>) -> Result<(i64, String), sqlx::Error> {
    let zone = crate::app::zone::workspace_zone(state.db(), workspace).await?;
    let now = state.clock().now_ms();
    let date = since.and_then(parse_date).unwrap_or_else(|| crate::app::zone::local_date(&zone, now - 30 * DAY_MS));
    Ok((crate::app::zone::local_midnight_ms(&zone, date), format_date(date)))
}

fn since_form(action: &str, date: &str) -> Markup {
    html! {
        form.filters method="get" action=(action) {
            label for="since" { "Since" }
            input id="since" type="date" name="since" value=(date);
            button type="submit" { "Show" }
        }
    }
}

/// `GET /areas?since=`: the ranking over a period.
pub async fn areas(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Query(query): Query<SinceQuery>,
) -> Response {
    let ws = &session.workspace;
    let read = async {
        let (from, date) = since(&state, ws, query.since.as_deref()).await?;
        let signal = list_area_signal(state.db(), ws, from, state.clock().now_ms() + 1).await?;
        Ok::<_, sqlx::Error>((date, signal))
    };
    let (date, signal) = match read.await {
        Ok(read) => read,
        Err(e) => return failed(&session, e),
    };
    let body = html! {
        (since_form("/areas", &date))
        @if signal.is_empty() { p { "Nothing captured since " (date) "." } }
        @else { (ranking(&signal, None, &format!("Since {date}, most distinct customers first"))) }
    };
    respond(StatusCode::OK, page("Product areas", Some(&session), body))
}

/// `GET /areas/{id}?since=`: an area's quotes, by customer.
pub async fn area(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
    Query(query): Query<SinceQuery>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else { return layout::not_found(Some(&session)) };
    let ws = &session.workspace;
    let read = async {
        let area = crate::store::areas::list_areas(state.db(), ws).await?.into_iter().find(|a| a.id == id);
        let (from, date) = since(&state, ws, query.since.as_deref()).await?;
        let quotes = match &area {
            Some(_) => library::list_area_customer_quotes(state.db(), ws, id, from, MAX_AREA_QUOTES).await?,
            None => Vec::new(),
        };
        Ok::<_, sqlx::Error>((area, date, quotes))
    };
    let (area, date, quotes) = match read.await {
        Ok((Some(area), date, quotes)) => (area, date, quotes),
        Ok((None, _, _)) => return layout::not_found(Some(&session)),
        Err(e) => return failed(&session, e),
    };
    let names = names(&state, ws, quotes.iter().map(|q| q.author.clone()).collect::<Vec<_>>()).await;
    let mut customers: Vec<Vec<&library::AreaCustomerQuote>> = Vec::new();
    for q in &quotes {
        match customers.last_mut() {
            Some(list) if list[0].customer_id == q.customer_id => list.push(q),
            _ => customers.push(vec![q]),
        }
    }
    let body = html! {
        (since_form(&format!("/areas/{id}"), &date))
        p.facts { (plural(customers.len() as i64, "customer", "customers")) " · " (plural(quotes.len() as i64, "highlight", "highlights")) " since " (date) }
        @for list in &customers {
            @let c = list[0];
            section.customer {
                h2 {
                    a href={ "/customers/" (c.customer_id) } { (c.customer) }
                    @if let Some(segment) = &c.segment { " " span.count { "· " (segment) } }
                    @if c.arr_cents.is_some() { " " span.count { "· " (arr(c.arr_cents)) " ARR" } }
                }
                ol.quotes {
                    @for q in list {
                        li {
                            blockquote { p { (q.quote) } }
                            p.meta {
                                (q.kind) " · " (name_of(&names, &q.author)) " · " (q.interview_date)
                                @if q.recording_link.is_some() { " · " (recording(q.recording_link.as_deref(), q.recording_at)) }
                                @if let Some(link) = &q.permalink { " · " a href=(link) { "In Slack" } }
                            }
                        }
                    }
                }
            }
        }
    };
    respond(StatusCode::OK, page(&area.name, Some(&session), body))
}

/// `GET /onboarding`: everyone being onboarded, with progress and pace.
pub async fn onboarding(State(state): State<AppState>, Extension(session): Extension<Session>) -> Response {
    let team = match crate::quotas::commands::team_progress(&state, &session.workspace).await {
        Ok(team) => team,
        Err(e) => return failed(&session, e),
    };
    let names = names(&state, &session.workspace, team.iter().map(|p| p.user.clone()).collect::<Vec<_>>()).await;
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
    let is_user_id = user.len() >= 9
        && matches!(user.as_bytes()[0], b'U' | b'W')
        && user.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if !is_user_id {
        return layout::not_found(Some(&session));
    }
    let read = async {
        let report = crate::reports::gather(state.db(), ws, &user, state.clock().now_ms()).await?;
        let enrolled = crate::store::onboarding::find_onboardee(state.db(), ws, &user).await?.is_some();
        Ok::<_, sqlx::Error>((report, enrolled))
    };
    let report = match read.await {
        Ok((Some(report), _)) => report,
        Ok((None, true)) => {
            let names = names(&state, ws, [user.clone()]).await;
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
    let names = names(&state, ws, [user.clone()]).await;
    let body = html! {
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
                            p.meta { strong { (q.customer) } " · " (q.date)
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
                    thead { tr { th scope="col" { "Area" } th scope="col" { "Customers" } th scope="col" { "Highlights" } } }
                    tbody { @for t in &report.team { tr { th scope="row" { (t.area) } td.num { (t.customers) } td.num { (t.highlights) } } } }
                }
            }
        }
    };
    let title = format!("Month-end report: {}", name_of(&names, &user));
    respond(StatusCode::OK, page(&title, Some(&session), body))
}
