//! `/highlight search <words> [area:<name>] [customer:<name>]`: ranked matches
//! with customer, area, date and a link to the posted reply.

use crate::areas::find_area;
use crate::customers::view::resolve;
use crate::domain::CustomerName;
use crate::error::{AppError, UserError};
use crate::reply::Reply;
use crate::slack::blocks::{self, section};
use crate::slack::mrkdwn::{count, decode, escape, link};
use crate::store::areas::list_areas;
use crate::store::search::{search_highlights, SearchFilter, SearchHit};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// Most hits shown.
pub const MAX_HITS: i64 = 10;

/// A parsed search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// Words every hit contains (letters and digits only).
    pub words: Vec<String>,
    /// `area:<name>`.
    pub area: Option<String>,
    /// `customer:<name>`.
    pub customer: Option<String>,
}

/// Reads the text after `search` (decoded). `area:` and `customer:` take one
/// word, or several in double quotes.
pub fn parse_search(text: &str) -> SearchQuery {
    let mut query = SearchQuery::default();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let (token, after) = next_token(rest);
        rest = after.trim_start();
        let lower = token.to_lowercase();
        if let Some(v) = lower.strip_prefix("area:").map(|_| &token[5..]) {
            query.area = Some(v.trim_matches('"').to_owned()).filter(|v| !v.is_empty());
        } else if let Some(v) = lower.strip_prefix("customer:").map(|_| &token[9..]) {
            query.customer = Some(v.trim_matches('"').to_owned()).filter(|v| !v.is_empty());
        } else {
            query
                .words
                .extend(token.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase));
        }
    }
    query.words.truncate(12);
    query
}

/// Reads the text after `search` (as Slack escaped it): some words, or why not.
pub fn parse_search_command(text: &str) -> Result<SearchQuery, UserError> {
    let query = parse_search(&decode(text));
    if query.words.is_empty() {
        return Err(UserError::new(
            "Search for some words, e.g. `/highlight search canned replies` or `/highlight search export area:reporting customer:Acme`.",
        ));
    }
    Ok(query)
}

fn next_token(text: &str) -> (&str, &str) {
    let mut in_quotes = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            c if c.is_whitespace() && !in_quotes => return (&text[..i], &text[i..]),
            _ => {}
        }
    }
    (text, "")
}

/// Runs a search and renders the hits.
pub async fn search(db: &Db, workspace: &WorkspaceId, query: SearchQuery) -> Result<Reply, AppError> {
    let hits = find_hits(db, workspace, &query).await?;
    Ok(render_hits(&query, &hits))
}

/// The hits of a search, best first: what `/highlight search` and the
/// library's `/search` both show. An unknown `area:` or `customer:` is
/// refused with the closest names.
pub async fn find_hits(db: &Db, workspace: &WorkspaceId, query: &SearchQuery) -> Result<Vec<SearchHit>, AppError> {
    let mut filter = SearchFilter::default();
    if let Some(area) = &query.area {
        let areas = list_areas(db, workspace).await?;
        match find_area(&areas, area) {
            Some(a) => filter.area_id = Some(a.id),
            None => return Err(UserError::new(crate::areas::unknown_area_message(&areas, area)).into()),
        }
    }
    if let Some(customer) = &query.customer {
        filter.customer_id = Some(resolve(db, workspace, &CustomerName::parse(customer)?).await?.id);
    }
    Ok(search_highlights(db, workspace, &query.words, &filter, MAX_HITS).await?)
}

/// Pure rendering of search results.
pub fn render_hits(query: &SearchQuery, hits: &[SearchHit]) -> Reply {
    let words = escape(&query.words.join(" "));
    if hits.is_empty() {
        return Reply::ephemeral(format!("No highlight mentions “{words}”."));
    }
    let mut blocks = vec![section(&format!(
        "*{} highlight{}* matching “{words}”, best first:",
        hits.len(),
        if hits.len() == 1 { "" } else { "s" }
    ))];
    for hit in hits {
        let quote = blocks::truncate(&hit.quote.replace('\n', " "), 400);
        let when = match &hit.permalink {
            Some(url) => link(url, &hit.interview_date),
            None => hit.interview_date.clone(),
        };
        let text = format!(
            ">{}\n*{}* · {} · <@{}> · {}",
            escape(&quote),
            escape(&hit.customer.label()),
            escape(&hit.area),
            hit.author,
            when
        );
        blocks.push(section(&text));
    }
    Reply::ephemeral_blocks(
        format!("{} matching “{words}”", count(hits.len() as i64, "highlight", "highlights")),
        blocks,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_filters_are_read() {
        let q = parse_search(r#"canned Replies area:chat customer:"Acme Corp""#);
        assert_eq!(q.words, vec!["canned", "replies"]);
        assert_eq!(q.area.as_deref(), Some("chat"));
        assert_eq!(q.customer.as_deref(), Some("Acme Corp"));
    }

    #[test]
    fn hits_render_as_before() {
        let hit = |id: i64, quote: &str, permalink: Option<&str>| SearchHit {
            id,
            customer: crate::domain::ShownCustomer::named("Acme & co"),
            area: "chat".into(),
            quote: quote.into(),
            interview_date: "2026-11-20".into(),
            author: "U1".into(),
            permalink: permalink.map(str::to_owned),
        };
        let query = parse_search("canned replies");
        let reply = render_hits(
            &query,
            &[hit(1, "<!here> canned\nreplies", Some("https://x.slack.com/p1")), hit(2, "b", None)],
        );
        blocks::typed_blocks(reply.blocks.as_deref().unwrap_or_default()).expect("valid Block Kit");
        insta::assert_json_snapshot!("search_hits", reply);
        insta::assert_json_snapshot!("search_no_hits", render_hits(&query, &[]));
    }

    #[test]
    fn operators_and_punctuation_are_not_words() {
        assert!(parse_search("area:chat").words.is_empty());
        assert!(parse_search(r#"" * - ()"#).words.is_empty());
        assert_eq!(parse_search("don't AND (export)").words, vec!["don", "t", "and", "export"]);
    }
}
