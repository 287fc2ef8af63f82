//! `/customers`, `/customers/{id}`, `/search` and `/export.csv`: the
//! customer view's reads, the search's and the export's.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use maud::{html, Markup};
use serde::Deserialize;

use super::{arr, failed, name_of, names, plural, recording};
use crate::app::AppState;
use crate::error::AppError;
use crate::store::library::{self, CustomerOrder};
use crate::web::layout::{self, page, respond};
use crate::web::session::Session;

/// Customers listed on `/customers` at most.
const MAX_CUSTOMERS: i64 = 500;
/// Everything a customer said: the customer view's query, with no cap that
/// a real customer reaches.
const ALL_QUOTES: i64 = 100_000;

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
        match library::list_directory_customers(&state.db, &session.workspace, &key, q, order, MAX_CUSTOMERS).await {
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
                thead { tr { th scope="col" { "Customer" } th scope="col" { "Segment" } th.num scope="col" { "ARR" } th.num scope="col" { "Highlights" } th.num scope="col" { "Areas" } th scope="col" { "Last interview" } } }
                tbody {
                    @for c in &rows {
                        tr {
                            th scope="row" { a href={ "/customers/" (c.id) } { (c.shown.label()) } }
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

/// The *Follow* toggle of a customer page (docs/design.md, Behaviour:
/// following): a form that posts to [`follow`], with the session's CSRF token.
fn follow_control(session: &Session, customer_id: i64, following: bool) -> Markup {
    html! {
        form.follow method="post" action=(format!("/customers/{customer_id}/follow")) {
            (layout::csrf_field(session))
            input type="hidden" name="follow" value=(if following { "off" } else { "on" });
            @if following {
                p { "You follow this customer: new evidence about them reaches you by DM in Slack. "
                    button type="submit" { "Unfollow" } }
            } @else {
                p { button type="submit" { "Follow" } " to hear by DM in Slack when anyone learns something new about them." }
            }
        }
    }
}

/// The form [`follow_control`] posts.
#[derive(Debug, Deserialize)]
pub struct FollowForm {
    follow: String,
}

/// `POST /customers/{id}/follow`: follows (`on`) or stops following (`off`)
/// the customer, as the *Follow* button in Slack does, then back to its page.
pub async fn follow(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<FollowForm>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else { return layout::not_found(Some(&session)) };
    let customer = match crate::store::customers::find_surviving_customer(&state.db, &session.workspace, id).await {
        Ok(Some(customer)) => customer,
        Ok(None) => return layout::not_found(Some(&session)),
        Err(e) => return failed(&session, e),
    };
    let on = form.follow == "on";
    if let Err(e) = crate::follows::set_following(
        &state.db,
        &state.clock,
        &state.outbox,
        &session.workspace,
        customer.id,
        &session.user,
        on,
    )
    .await
    {
        tracing::error!(error = %e, "cannot change a follow from the library");
        return layout::unavailable(Some(&session));
    }
    Redirect::to(&format!("/customers/{}", customer.id)).into_response()
}

/// `GET /customers/{id}`: everything the customer said, by area, newest first.
pub async fn customer(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else { return layout::not_found(Some(&session)) };
    let (db, ws) = (&state.db, &session.workspace);
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
        let following = crate::store::follows::find_follow(db, ws, id, &session.user).await?;
        Ok::<_, sqlx::Error>((totals, details, quotes, following))
    };
    let (totals, details, quotes, following) = match read.await {
        Ok(read) => read,
        Err(e) => return failed(&session, e),
    };
    let people = quotes.iter().flat_map(|q| std::iter::once(q.author.clone()).chain(q.endorsed_by.clone()));
    let names = names(&state.slack, ws, people.collect::<Vec<_>>()).await;
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
        (follow_control(&session, id, following))
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
                                @let (link, at) = customer.shown.recording(q.recording_link.clone(), q.recording_at);
                                @if link.is_some() { " · " (recording(link.as_deref(), at)) }
                                @if let Some(by) = &q.endorsed_by { " · " span.endorsed { "✅ endorsed by " (name_of(&names, by)) } }
                                @if let Some(date) = &q.shipped_on { " · " span.shipped { "✔ shipped " (date) } }
                                @if let Some(link) = &q.permalink { " · " a href=(link) { "In Slack" } }
                            }
                        }
                    }
                }
            }
        }
    };
    respond(StatusCode::OK, page(&customer.shown.label(), Some(&session), body))
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
    let hits = match crate::search::find_hits(&state.db, &session.workspace, &query).await {
        Ok(hits) => hits,
        Err(AppError::User(refusal)) => {
            let text = crate::slack::mrkdwn::decode(&refusal.0).replace('*', "");
            return respond(StatusCode::OK, page("Search", Some(&session), html! { (form) p.notice { (text) } }));
        }
        Err(e) => return failed(&session, e),
    };
    let names =
        names(&state.slack, &session.workspace, hits.iter().map(|h| h.author.clone()).collect::<Vec<_>>()).await;
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
                            strong { (hit.customer.label()) } " · " (hit.area) " · " (name_of(&names, &hit.author)) " · " (hit.interview_date)
                            @if let Some(link) = &hit.permalink { " · " a href=(link) { "In Slack" } }
                        }
                    }
                }
            }
        }
    };
    respond(StatusCode::OK, page(&format!("Search: {words}"), Some(&session), body))
}

/// `GET /export.csv`: the command line's CSV export, of this workspace,
/// streamed: the first page of rows is read before answering (a failure
/// there is the usual error page), the rest by a task as the browser takes
/// them. A later failure cuts the download short, so no browser takes a
/// truncated file for a whole one.
pub async fn export(State(state): State<AppState>, Extension(session): Extension<Session>) -> Response {
    let mut pages = crate::reports::export::ExportPages::new(&session.workspace, 0);
    let first = match pages.next_page(&state.db).await {
        Ok(rows) => rows,
        Err(e) => return failed(&session, e),
    };
    let mut csv = Vec::new();
    if let Err(e) = crate::reports::export::write_export_part(&first, "csv", true, &mut csv) {
        return failed(&session, e);
    }
    let (chunks, body) = crate::web::stream::channel_body();
    tokio::spawn(async move {
        let mut rows = first;
        while !rows.is_empty() {
            if chunks.send(Ok(std::mem::take(&mut csv).into())).await.is_err() {
                return; // the browser went away
            }
            rows = match pages.next_page(&state.db).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::error!(error = %crate::error::chain(&e), "the CSV export stopped half way");
                    let _ = chunks.send(Err(std::io::Error::other("the export stopped half way"))).await;
                    return;
                }
            };
            if let Err(e) = crate::reports::export::write_export_part(&rows, "csv", false, &mut csv) {
                tracing::error!(error = %e, "the CSV export stopped half way");
                let _ = chunks.send(Err(std::io::Error::other("the export stopped half way"))).await;
                return;
            }
        }
        if !csv.is_empty() {
            let _ = chunks.send(Ok(csv.into())).await;
        }
    });
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"highlights-{}.csv\"", session.workspace.as_str()),
            ),
        ],
        body,
    )
        .into_response()
}
