//! `/` (the week at a glance), `/areas` and `/areas/{id}`: the digest's
//! ranking of areas by distinct customers, over a week, twelve weeks or a
//! period.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use maud::{html, Markup};
use serde::Deserialize;

use super::{arr, failed, name_of, names, plural, progress_list, recording, DAY_MS, WEEK_MS};
use crate::app::{AppState, Clock};
use crate::domain::highlight::{format_date, parse_date};
use crate::store::digests::{list_area_signal, AreaSignal};
use crate::store::library::{self, AreaWeek};
use crate::store::momentum::{list_area_customers, AreaCustomers};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;
use crate::web::layout::{self, page, respond};
use crate::web::session::Session;

/// Weeks the chart on `/` covers.
pub const CHART_WEEKS: i64 = 12;
/// Areas the chart draws.
const CHART_AREAS: usize = 5;
/// Quotes listed on an area's page at most.
const MAX_AREA_QUOTES: i64 = 500;

/// `+3`, `−1`, `±0`, or `new`.
fn change(now: &AreaSignal, before: &[AreaCustomers]) -> String {
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
fn ranking(signal: &[AreaSignal], before: Option<&[AreaCustomers]>, caption: &str) -> Markup {
    html! {
        table {
            caption { (caption) }
            thead { tr {
                th scope="col" { "Area" } th.num scope="col" { "Customers" }
                @if before.is_some() { th.num scope="col" { "Change" } }
                th.num scope="col" { "Highlights" }
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

/// Distinct customers per area per week (`labels`: the weeks, oldest
/// first), as inline SVG with a legend and the same numbers in a table for
/// screen readers.
fn chart(labels: &[String], rows: &[AreaWeek]) -> Markup {
    let mut totals: Vec<(i64, &str, i64)> = Vec::new();
    for r in rows {
        match totals.iter_mut().find(|(id, _, _)| *id == r.area_id) {
            Some(t) => t.2 += r.customers,
            None => totals.push((r.area_id, &r.area, r.customers)),
        }
    }
    totals.sort_by(|a, b| b.2.cmp(&a.2).then(a.1.cmp(b.1)));
    totals.truncate(CHART_AREAS);
    let series: Vec<(&str, Vec<i64>)> = totals
        .iter()
        .map(|(id, name, _)| {
            let mut points = vec![0; labels.len()];
            for r in rows.iter().filter(|r| r.area_id == *id) {
                if let Some(point) = usize::try_from(r.week).ok().and_then(|w| points.get_mut(w)) {
                    *point = r.customers;
                }
            }
            (*name, points)
        })
        .collect();
    let top = series.iter().flat_map(|(_, p)| p.iter().copied()).max().unwrap_or(0).max(1);
    let (w, h, left, bottom) = (600.0_f64, 200.0_f64, 30.0_f64, 20.0_f64);
    let step = (w - left - 10.0) / (labels.len().max(2) - 1) as f64;
    let y = |v: i64| 10.0 + (h - bottom - 10.0) * (1.0 - v as f64 / top as f64);
    html! {
        figure.chart {
            svg viewBox={ "0 0 " (w) " " (h) } role="img" aria-labelledby="chart-title" {
                title id="chart-title" { "Distinct customers per product area per week, last " (labels.len()) " weeks" }
                line x1=(left) y1=(y(0)) x2=(w - 10.0) y2=(y(0)) stroke="#888" {}
                line x1=(left) y1=(y(top)) x2=(left) y2=(y(0)) stroke="#888" {}
                text x=(left - 4.0) y=(y(top) + 4.0) text-anchor="end" font-size="11" { (top) }
                text x=(left - 4.0) y=(y(0) + 4.0) text-anchor="end" font-size="11" { "0" }
                @for (i, label) in labels.iter().enumerate() {
                    @if i % 3 == 0 || i + 1 == labels.len() {
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
                    thead { tr { th scope="col" { "Week of" } @for (name, _) in &series { th.num scope="col" { (name) } } } }
                    tbody {
                        @for (i, label) in labels.iter().enumerate() {
                            tr { th scope="row" { (label) } @for (_, points) in &series { td.num { (points[i]) } } }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /`: the week at a glance: the digest's ranking of the last 7 days
/// (its totals, areas and quotes, and onboarding progress, as
/// `crate::digests` gathers them), the change against the 7 days before
/// (the digest's momentum read), and the chart's twelve weeks (of whole UTC
/// days, the last ending today) in one read.
pub async fn home(State(state): State<AppState>, Extension(session): Extension<Session>) -> Response {
    let (db, ws) = (&state.db, &session.workspace);
    let now = state.clock.now_ms();
    let read = async {
        let (totals, areas) = crate::digests::gather_ranking(db, ws, now - WEEK_MS, now).await?;
        let onboarding = crate::digests::gather_onboarding(db, now, ws).await?;
        let before = list_area_customers(db, ws, now - 2 * WEEK_MS, now - WEEK_MS).await?;
        // Weeks of whole UTC days, the last one ending today.
        let end_day = now.div_euclid(DAY_MS) + 1;
        let labels: Vec<String> = (0..CHART_WEEKS)
            .map(|w| {
                let first = (end_day - 7 * (CHART_WEEKS - w)) * DAY_MS;
                crate::app::zone::local_date(&jiff::tz::TimeZone::UTC, first).strftime("%b %d").to_string()
            })
            .collect();
        let weeks = library::list_area_weeks(db, ws, end_day, CHART_WEEKS).await?;
        Ok::<_, sqlx::Error>((totals, areas, onboarding, before, labels, weeks))
    };
    let (t, areas, onboarding, before, labels, weeks) = match read.await {
        Ok(read) => read,
        Err(e) => return failed(&session, e),
    };
    let signal: Vec<AreaSignal> = areas.iter().map(|(s, _)| s.clone()).collect();
    let latest: Vec<&crate::store::digests::QuoteCandidate> =
        areas.iter().flat_map(|(_, quotes)| quotes.iter()).take(12).collect();
    let people = latest.iter().map(|q| q.author.clone()).chain(onboarding.iter().map(|p| p.user.clone()));
    let names = names(&state.slack, ws, people.collect::<Vec<_>>()).await;
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
            (chart(&labels, &weeks))
        }
        section aria-labelledby="latest" {
            h2 id="latest" { "Latest highlights" }
            @if latest.is_empty() { p { "None this week." } }
            ol.quotes {
                @for q in &latest {
                    li {
                        blockquote { p { (q.quote) } }
                        p.meta {
                            a href={ "/customers/" (q.customer_id) } { (q.customer.label()) } " · " (q.kind) " · "
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
            @if onboarding.is_empty() { p { "Nobody is being onboarded." } }
            (progress_list(&onboarding, &names))
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
async fn since(
    db: &Db,
    clock: &Clock,
    workspace: &WorkspaceId,
    since: Option<&str>,
) -> Result<(i64, String), sqlx::Error> {
    let zone = crate::app::zone::workspace_zone(db, workspace).await?;
    let now = clock.now_ms();
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
        let (from, date) = since(&state.db, &state.clock, ws, query.since.as_deref()).await?;
        let signal = list_area_signal(&state.db, ws, from, state.clock.now_ms() + 1).await?;
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
        let area = crate::store::areas::list_areas(&state.db, ws).await?.into_iter().find(|a| a.id == id);
        let (from, date) = since(&state.db, &state.clock, ws, query.since.as_deref()).await?;
        let quotes = match &area {
            Some(_) => library::list_area_customer_quotes(&state.db, ws, id, from, MAX_AREA_QUOTES).await?,
            None => Vec::new(),
        };
        Ok::<_, sqlx::Error>((area, date, quotes))
    };
    let (area, date, quotes) = match read.await {
        Ok((Some(area), date, quotes)) => (area, date, quotes),
        Ok((None, _, _)) => return layout::not_found(Some(&session)),
        Err(e) => return failed(&session, e),
    };
    let names = names(&state.slack, ws, quotes.iter().map(|q| q.author.clone()).collect::<Vec<_>>()).await;
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
                    a href={ "/customers/" (c.customer_id) } { (c.customer.label()) }
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
