//! Similar quotes (docs/design.md, Behaviour): the capture confirmation shows up to three
//! quotes other customers gave that share the most words with the new one,
//! so a need heard across customers shows at once. Matched in memory against
//! the workspace's 500 most recent highlights while the capture is stored:
//! what this replica commits is added as it commits, so a capture sees every
//! quote committed here before it started; what other replicas commit is
//! read from the database (one read at a time, at least every half second
//! while captures come, so never more than a second late, within a short
//! time budget); a slow or failed read only leaves the list out.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::time::Instant;

use crate::app::memo::Memo;
use crate::config::Config;
use crate::domain::ShownCustomer;
use crate::slack::blocks;
use crate::slack::mrkdwn::{escape, link};
use crate::store::privacy::list_shown_customers;
use crate::store::search::{list_recent_quotes, SimilarQuote, SIMILAR_WINDOW};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// How many similar quotes a confirmation shows.
pub const SHOWN: usize = 3;
/// The most words of the new quote the lookup uses (its longest).
const MAX_WORDS: usize = 8;
/// How long the lookup may add to the acknowledgement.
const BUDGET: Duration = Duration::from_millis(250);

/// Words too common to say two quotes are alike.
const STOP_WORDS: &[&str] = &[
    "the", "and", "for", "are", "but", "not", "you", "your", "all", "any", "can", "her", "was", "one", "our", "out",
    "has", "have", "had", "its", "it's", "they", "them", "their", "there", "this", "that", "these", "those", "with",
    "from", "what", "when", "where", "which", "who", "why", "how", "would", "could", "should", "will", "just", "very",
    "really", "about", "into", "than", "then", "also", "some", "more", "most", "much", "many", "need", "needs", "want",
    "wants", "like", "get", "got", "make", "use", "using", "we're", "i'm", "don't", "does", "did", "been", "being",
    "were", "because", "other", "only", "even", "each", "every", "too", "yes", "okay", "thing", "things",
];

/// The words of `quote` that say what it is about: lower case, three letters
/// or more, not common, each once, the longest first.
pub fn significant_words(quote: &str) -> Vec<String> {
    let mut words = significant_words_all(quote);
    words.truncate(MAX_WORDS);
    words
}

/// Every significant word of `quote`, the longest first.
fn significant_words_all(quote: &str) -> Vec<String> {
    let mut words: Vec<String> = quote
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 3 && !STOP_WORDS.contains(&w.as_str()))
        .collect();
    words.sort_by(|a, b| b.chars().count().cmp(&a.chars().count()).then_with(|| a.cmp(b)));
    words.dedup();
    words
}

/// The workspace's recent highlights as this replica knows them: the last
/// read of the database, and what this replica committed since (added as it
/// commits, so a capture sees every quote committed here before it started).
#[derive(Debug, Default)]
pub struct RecentQuotes(RwLock<Recent>);

impl RecentQuotes {
    /// Replaces what was read with `rows` (newest first), read from a
    /// moment `started`: what this replica committed since is kept.
    fn refresh(&self, rows: Vec<SimilarQuote>, started: Instant) {
        let Ok(mut recent) = self.0.write() else { return };
        let committed = std::mem::take(&mut recent.committed);
        let mut fresh = Recent::new(rows);
        for (at, quote) in committed.into_iter().filter(|(at, _)| *at >= started) {
            let read = fresh.quotes.iter().any(|q| q.customer_id == quote.customer_id && q.quote == quote.quote);
            if !read {
                fresh.push(quote.clone());
            }
            fresh.committed.push_back((at, quote));
        }
        *recent = fresh;
    }

    /// Adds quotes this replica just committed.
    fn add_committed(&self, quotes: impl IntoIterator<Item = SimilarQuote>) {
        let Ok(mut recent) = self.0.write() else { return };
        let now = Instant::now();
        for quote in quotes {
            recent.push(quote.clone());
            recent.committed.push_back((now, quote));
        }
        // A refresh that started before the window's worth of commits is
        // replaced by the next before it could miss them: the log stays short.
        while recent.committed.len() > WINDOW {
            recent.committed.pop_front();
        }
    }
}

/// How many quotes are matched against: as many as are read.
const WINDOW: usize = SIMILAR_WINDOW as usize;

/// Recent highlights, oldest first, and where each significant word is among
/// them: a capture looks up its few words instead of comparing them with
/// every word of 500 quotes.
#[derive(Debug, Default)]
struct Recent {
    quotes: Vec<SimilarQuote>,
    /// Each quote's customer's name key, worked out once per quote.
    customer_keys: Vec<String>,
    by_word: HashMap<String, Vec<usize>>,
    /// Quotes this replica committed, and when: a refresh that started
    /// before a commit keeps it.
    committed: VecDeque<(Instant, SimilarQuote)>,
}

impl Recent {
    /// From quotes newest first (as read).
    fn new(newest_first: Vec<SimilarQuote>) -> Self {
        let mut recent = Self::default();
        for quote in newest_first.into_iter().rev() {
            recent.push(quote);
        }
        recent
    }

    /// Adds the newest quote; a quarter of a window past the window, the
    /// oldest are dropped (the index kept, its positions moved down).
    fn push(&mut self, quote: SimilarQuote) {
        if self.quotes.len() >= WINDOW + WINDOW / 4 {
            self.drop_oldest(self.quotes.len() - WINDOW);
        }
        let i = self.quotes.len();
        for word in significant_words_all(&quote.quote) {
            self.by_word.entry(word).or_default().push(i);
        }
        self.customer_keys.push(crate::domain::customer_key(&quote.customer));
        self.quotes.push(quote);
    }

    /// Drops the `n` oldest quotes.
    fn drop_oldest(&mut self, n: usize) {
        self.quotes.drain(..n);
        self.customer_keys.drain(..n);
        self.by_word.retain(|_, positions| {
            positions.retain(|i| *i >= n);
            positions.iter_mut().for_each(|i| *i -= n);
            !positions.is_empty()
        });
    }

    /// The quotes sharing any of `words` (distinct), not `customer`'s, as
    /// (words shared, index): the most shared first, then the newest.
    fn ranked(&self, words: &[String], customer: Option<i64>) -> Vec<(usize, usize)> {
        let mut shared = vec![0usize; self.quotes.len()];
        for i in words.iter().filter_map(|word| self.by_word.get(word)).flatten() {
            shared[*i] += 1;
        }
        // Newest first; a stable sort keeps that order among equals.
        let mut scored: Vec<(usize, usize)> = shared
            .into_iter()
            .enumerate()
            .rev()
            .filter(|&(i, n)| n > 0 && Some(self.quotes[i].customer_id) != customer)
            .map(|(i, n)| (n, i))
            .collect();
        scored.sort_by_key(|(shared, _)| std::cmp::Reverse(*shared));
        scored
    }

    /// Up to [`SHOWN`] of the `scored` quotes, one per customer, none of the
    /// customer named by `customer_key`. A capture that creates its customer
    /// has no id to leave out by, and the quotes may already hold its own
    /// (committed while it was looked up).
    fn shown(&self, scored: &[(usize, usize)], customer_key: &str) -> Vec<SimilarQuote> {
        let mut shown: Vec<SimilarQuote> = Vec::with_capacity(SHOWN);
        for &(_, i) in scored {
            let q = &self.quotes[i];
            let own = self.customer_keys[i] == customer_key;
            if !own && !shown.iter().any(|s| s.customer_id == q.customer_id) {
                shown.push(q.clone());
                if shown.len() == SHOWN {
                    break;
                }
            }
        }
        shown
    }
}

/// The workspace's recent highlights, as this replica knows them (see
/// [`crate::app::memo`]): within [`BUDGET`], or left out.
async fn recent(db: &Db, config: &Config, memo: &Memo, workspace: &WorkspaceId) -> Option<Arc<RecentQuotes>> {
    let refresh = |recent: Arc<RecentQuotes>| {
        let (db, workspace, started) = (db.clone(), workspace.clone(), Instant::now());
        async move {
            match list_recent_quotes(&db, &workspace).await {
                Ok(rows) => {
                    recent.refresh(rows, started);
                    true
                }
                Err(e) => {
                    tracing::warn!(error = %crate::error::chain(&e), "similar quotes: lookup failed; left out");
                    false
                }
            }
        }
    };
    let fresh_for = config.timing.recent_quotes_for;
    match tokio::time::timeout(BUDGET, memo.read(workspace, fresh_for, refresh)).await {
        Ok(recent) => recent,
        Err(_) => {
            tracing::debug!("similar quotes: lookup over its budget; left out");
            None
        }
    }
}

/// Adds a capture's quotes, just committed, to what this replica knows of
/// the workspace's recent highlights: the next capture here sees them at
/// once, whenever the database is read again.
pub fn remember(
    memo: &Memo,
    workspace: &WorkspaceId,
    customer_id: i64,
    customer: &str,
    quotes: impl IntoIterator<Item = (i64, String)>,
) {
    if let Some(recent) = memo.peek::<RecentQuotes>(workspace) {
        recent.add_committed(quotes.into_iter().map(|(area_id, quote)| SimilarQuote {
            customer_id,
            customer: customer.to_owned(),
            area_id,
            quote,
            permalink: None,
        }));
    }
}

/// The workspace's recent highlights sharing words with `quote` (not
/// `customer`'s), the most alike first: by how many of its significant words
/// they share, then the newest; each with that count. Nothing is copied: a
/// capture's confirmation clones only the few it shows (cloning every match
/// was a sixth of the server's CPU under load).
async fn ranked<T>(
    db: &Db,
    config: &Config,
    memo: &Memo,
    workspace: &WorkspaceId,
    quote: &str,
    customer: Option<i64>,
    then: impl FnOnce(&Recent, Vec<(usize, usize)>) -> T,
) -> Option<T> {
    let words = significant_words(quote);
    if words.is_empty() {
        return None;
    }
    let recent = recent(db, config, memo, workspace).await?;
    let recent = recent.0.read().ok()?;
    let scored = recent.ranked(&words, customer);
    Some(then(&recent, scored))
}

/// Up to [`SHOWN`] quotes like `quote`, each from a different customer other
/// than the capture's (`customer`, or by its name's key when the capture
/// creates it), each with its customer as it may be shown (read when there
/// are some: a customer may have asked for privacy since its quote was
/// remembered); empty when there are none or a lookup is slow or fails.
pub async fn find(
    db: &Db,
    config: &Config,
    memo: &Memo,
    workspace: &WorkspaceId,
    quote: &str,
    customer: Option<i64>,
    customer_key: &str,
) -> Vec<(SimilarQuote, ShownCustomer)> {
    let quotes =
        ranked(db, config, memo, workspace, quote, customer, |recent, scored| recent.shown(&scored, customer_key))
            .await
            .unwrap_or_default();
    if quotes.is_empty() {
        return Vec::new();
    }
    let ids: Vec<i64> = quotes.iter().map(|q| q.customer_id).collect();
    let shown = match tokio::time::timeout(BUDGET, list_shown_customers(db, workspace, &ids)).await {
        Ok(Ok(shown)) => shown,
        Ok(Err(e)) => {
            tracing::warn!(error = %crate::error::chain(&e), "similar quotes: customers' privacy unread; left out");
            return Vec::new();
        }
        Err(_) => return Vec::new(),
    };
    quotes
        .into_iter()
        .filter_map(|q| {
            let customer = shown.iter().find(|(id, _)| *id == q.customer_id)?.1.clone();
            Some((q, customer))
        })
        .collect()
}

/// The areas of the highlights like `quote`, most alike first, each weighted
/// by the words its highlights share: `(area, weight)`, heaviest first.
async fn area_votes(db: &Db, config: &Config, memo: &Memo, workspace: &WorkspaceId, quote: &str) -> Vec<(i64, usize)> {
    let tally = |recent: &Recent, scored: Vec<(usize, usize)>| {
        let mut votes: Vec<(i64, usize)> = Vec::new();
        for (weight, i) in scored {
            let q = &recent.quotes[i];
            match votes.iter_mut().find(|(area, _)| *area == q.area_id) {
                Some((_, total)) => *total += weight,
                None => votes.push((q.area_id, weight)),
            }
        }
        votes.sort_by_key(|(_, weight)| std::cmp::Reverse(*weight));
        votes
    };
    ranked(db, config, memo, workspace, quote, None, tally).await.unwrap_or_default()
}

/// The areas a quote most likely belongs to, most likely first: those of
/// the workspace's similar highlights, weighted by relevance, then its
/// busiest areas, then the rest in their order; `count` of them.
pub async fn suggest_areas<'a>(
    db: &Db,
    config: &Config,
    memo: &Memo,
    workspace: &WorkspaceId,
    quote: &str,
    areas: &'a [crate::store::areas::Area],
    count: usize,
) -> Vec<&'a crate::store::areas::Area> {
    let mut picked: Vec<i64> =
        area_votes(db, config, memo, workspace, quote).await.into_iter().map(|(area, _)| area).collect();
    if picked.len() < count {
        if let Ok(stats) = crate::store::areas::list_area_stats(db, workspace).await {
            for name in stats.into_iter().filter(|s| s.highlights > 0).map(|s| s.name) {
                if let Some(area) = areas.iter().find(|a| a.name == name) {
                    if !picked.contains(&area.id) {
                        picked.push(area.id);
                    }
                }
            }
        }
    }
    for area in areas {
        if !picked.contains(&area.id) {
            picked.push(area.id);
        }
    }
    picked.iter().filter_map(|id| areas.iter().find(|a| a.id == *id)).take(count).collect()
}

/// The area the workspace's highlights most like `quote` were filed under,
/// if any are alike (to preselect it in the form).
pub async fn likely_area(db: &Db, config: &Config, memo: &Memo, workspace: &WorkspaceId, quote: &str) -> Option<i64> {
    area_votes(db, config, memo, workspace, quote).await.first().map(|(area, _)| *area)
}

/// The lines a confirmation ends with (empty when there is nothing to show).
pub fn render(similar: &[(SimilarQuote, ShownCustomer)]) -> String {
    if similar.is_empty() {
        return String::new();
    }
    let mut text = String::from("\n*Other customers said something like it:*");
    for (q, shown) in similar {
        let quote = escape(&blocks::truncate(&q.quote.replace('\n', " "), 140));
        let customer = match &q.permalink {
            Some(url) => link(url, &shown.label()),
            None => format!("*{}*", escape(&shown.label())),
        };
        text.push_str(&format!("\n• {customer}: “{quote}”"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_words_leave_out_common_and_short_ones() {
        assert_eq!(
            significant_words("We really need canned replies, CANNED replies for the chat!"),
            vec!["replies", "canned", "chat"]
        );
        assert!(significant_words("we need it, ok?").is_empty());
        assert_eq!(significant_words("Facturación électronique"), vec!["électronique", "facturación"]);
        assert_eq!(significant_words(&"word ".repeat(50)).len(), 1);
    }

    #[test]
    fn quotes_are_ranked_by_words_shared_then_newest_leaving_out_the_customer() {
        let quote = |customer_id: i64, quote: &str| SimilarQuote {
            customer_id,
            customer: format!("C{customer_id}"),
            area_id: 1,
            quote: quote.into(),
            permalink: None,
        };
        // Newest first, as read.
        let recent = Recent::new(vec![
            quote(1, "Canned replies please"),
            quote(2, "Nothing alike here"),
            quote(3, "Canned replies in the chat widget"),
            quote(4, "The chat widget is slow"),
            quote(5, "canned CANNED canned"),
        ]);
        let words = significant_words("We need canned replies in the chat widget");
        // Indexes are oldest first: the newest quote read is 4.
        assert_eq!(recent.ranked(&words, None), vec![(4, 2), (2, 4), (2, 1), (1, 0)]);
        assert_eq!(recent.ranked(&words, Some(3)), vec![(2, 4), (2, 1), (1, 0)], "the customer's own left out");
        assert!(recent.ranked(&significant_words("pricing tiers"), None).is_empty());
    }

    #[test]
    fn past_the_window_the_oldest_quotes_go_and_the_rest_are_still_found() {
        let quote = |n: usize| SimilarQuote {
            customer_id: n as i64,
            customer: format!("C{n}"),
            area_id: 1,
            quote: format!("word{n} canned"),
            permalink: None,
        };
        let mut recent = Recent::default();
        for n in 0..WINDOW + WINDOW / 4 + 1 {
            recent.push(quote(n));
        }
        assert_eq!(recent.quotes.len(), WINDOW + 1, "the oldest dropped");
        assert!(recent.ranked(&["word0".to_owned()], None).is_empty(), "gone from the index too");
        let newest = WINDOW + WINDOW / 4;
        let found = recent.ranked(&[format!("word{newest}")], None);
        assert_eq!(found.len(), 1);
        assert_eq!(recent.quotes[found[0].1].customer_id, newest as i64);
        assert_eq!(recent.ranked(&["canned".to_owned()], None).len(), WINDOW + 1);
    }

    #[test]
    fn a_new_customers_own_quote_is_not_shown_to_it_and_each_customer_once() {
        let quote = |customer_id: i64, customer: &str, quote: &str| SimilarQuote {
            customer_id,
            customer: customer.into(),
            area_id: 1,
            quote: quote.into(),
            permalink: None,
        };
        let recent = Recent::new(vec![
            quote(9, "Globex Corp", "Canned replies would save hours"),
            quote(1, "Acme", "Canned replies please"),
            quote(1, "Acme", "Canned replies, again"),
            quote(2, "Initech", "Replies that are canned"),
            quote(3, "Hooli", "canned"),
        ]);
        let words = significant_words("Canned replies would save hours");
        let scored = recent.ranked(&words, None);
        let globex = crate::domain::customer_key("globex  CORP");
        let names = |shown: Vec<SimilarQuote>| shown.into_iter().map(|q| q.customer).collect::<Vec<_>>();
        assert_eq!(names(recent.shown(&scored, &globex)), vec!["Acme", "Initech", "Hooli"]);
        let other = crate::domain::customer_key("Umbrella");
        assert_eq!(names(recent.shown(&scored, &other)), vec!["Globex Corp", "Acme", "Initech"]);
    }

    #[test]
    fn the_list_is_escaped_and_links_each_customer_to_their_quote() {
        let text = render(&[
            (
                SimilarQuote {
                    customer_id: 1,
                    area_id: 1,
                    customer: "Globex".into(),
                    quote: "<!here> canned".into(),
                    permalink: Some("https://x.slack.com/p1".into()),
                },
                ShownCustomer::named("Globex"),
            ),
            (
                SimilarQuote {
                    customer_id: 2,
                    area_id: 1,
                    customer: "A & B".into(),
                    quote: "canned\nreplies".into(),
                    permalink: None,
                },
                ShownCustomer::named("A & B"),
            ),
            (
                SimilarQuote {
                    customer_id: 3,
                    area_id: 1,
                    customer: "Initech".into(),
                    quote: "canned".into(),
                    permalink: Some("https://x.slack.com/p3".into()),
                },
                ShownCustomer::new("Initech", Some(4), Some("SMB".into()), false),
            ),
        ]);
        assert!(text.contains("• <https://x.slack.com/p1|Globex>: “&lt;!here&gt; canned”"), "{text}");
        assert!(text.contains("• *A &amp; B*: “canned replies”"), "{text}");
        assert!(
            text.contains("• <https://x.slack.com/p3|Customer 4 (SMB)>: “canned”") && !text.contains("Initech"),
            "{text}"
        );
        assert_eq!(render(&[]), "");
    }
}
