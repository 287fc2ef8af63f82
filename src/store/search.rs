//! Full-text search over highlights: FTS5 on SQLite, a `tsvector` with a GIN
//! index on PostgreSQL. Callers pass plain words; each backend gets them in its
//! own query syntax, so user input is never query syntax.

use crate::store::workspaces::WorkspaceId;
use crate::store::{Backend, Db};

/// A search hit.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SearchHit {
    /// Highlight id.
    pub id: i64,
    /// Its customer, as it may be shown.
    #[sqlx(flatten)]
    pub customer: crate::domain::ShownCustomer,
    /// Area name.
    pub area: String,
    /// Quote.
    pub quote: String,
    /// Interview date.
    pub interview_date: String,
    /// Who captured it.
    pub author: String,
    /// Link to the posted reply.
    pub permalink: Option<String>,
}

/// Filters beside the words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchFilter {
    /// Only this area.
    pub area_id: Option<i64>,
    /// Only this customer.
    pub customer_id: Option<i64>,
}

/// How many of the most recent matches a search ranks: a word in one quote
/// in ten matches 100,000 highlights of a million, and ranking every one
/// of them (FTS5's bm25, PostgreSQL's `ts_rank`) took most of a second. The
/// best of the most recent matches are shown; a search with fewer matches
/// ranks them all.
pub const SEARCH_CANDIDATES: i64 = 1_000;

/// Highlights matching every word, at most `limit`: the best (by the
/// backend's full-text rank, then the newest) of the workspace's
/// [`SEARCH_CANDIDATES`] most recent matches.
pub async fn search_highlights(
    db: &Db,
    workspace: &WorkspaceId,
    words: &[String],
    filter: &SearchFilter,
    limit: i64,
) -> Result<Vec<SearchHit>, sqlx::Error> {
    db.catch_up_search_index().await?;
    // The candidates come from a walk that stops after the first
    // SEARCH_CANDIDATES matches: FTS5 gives its matches newest first (by
    // rowid, the highlight's id) and ranks only the rows it gives;
    // PostgreSQL walks the time index backwards (or, for a rare word, reads
    // the GIN index) and ranks only the candidates, in the outer query.
    let (query, candidates, rank) = match db.backend() {
        Backend::Sqlite => (
            // Every word quoted: FTS5 reads it as a term, never as an operator.
            words.iter().map(|w| format!("\"{}\"", w.replace('"', "\"\""))).collect::<Vec<_>>().join(" "),
            "select f.rowid as id, f.rank as rank
             from highlights_fts f join highlights m on m.id = f.rowid
             where highlights_fts match $2 and m.workspace_id = $1
               and ($3 = 0 or m.area_id = $3) and ($4 = 0 or m.customer_id = $4)
             order by f.rowid desc
             limit $6",
            "best.rank",
        ),
        Backend::Postgres => (
            words.join(" "),
            "select m.id from highlights m
             where m.search @@ plainto_tsquery('english', $2) and m.workspace_id = $1
               and ($3 = 0 or m.area_id = $3) and ($4 = 0 or m.customer_id = $4)
             order by m.created_at desc, m.id desc
             limit $6",
            "ts_rank(h.search, plainto_tsquery('english', $2)) desc",
        ),
    };
    let shown = crate::store::privacy::shown_columns("c");
    sqlx::query_as(&format!(
        "select h.id, {shown}, a.name as area, h.quote, i.interview_date, h.author, h.permalink
         from ({candidates}) best
         join highlights h on h.id = best.id
         join customers c on c.workspace_id = h.workspace_id and c.id = h.customer_id
         join product_areas a on a.workspace_id = h.workspace_id and a.id = h.area_id
         join interviews i on i.workspace_id = h.workspace_id and i.id = h.interview_id
         where h.workspace_id = $1
         order by {rank}, h.created_at desc, h.id desc
         limit $5"
    ))
    .bind(workspace.as_str())
    .bind(query)
    .bind(filter.area_id.unwrap_or(0))
    .bind(filter.customer_id.unwrap_or(0))
    .bind(limit)
    .bind(SEARCH_CANDIDATES)
    .fetch_all(db.reader())
    .await
}

/// A highlight that shares words with a new quote.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SimilarQuote {
    /// Its customer.
    pub customer_id: i64,
    /// The customer's name.
    pub customer: String,
    /// Its product area.
    pub area_id: i64,
    /// The quote.
    pub quote: String,
    /// Link to the posted reply.
    pub permalink: Option<String>,
}

/// How far back similar quotes are looked for: the workspace's most recent
/// highlights, so that the lookup costs the same at 10 thousand highlights
/// as at a million.
pub const SIMILAR_WINDOW: i64 = 500;

/// The workspace's [`SIMILAR_WINDOW`] most recent highlights, newest first,
/// with their customers (an index range: `(workspace_id, id)`).
pub async fn list_recent_quotes(db: &Db, workspace: &WorkspaceId) -> Result<Vec<SimilarQuote>, sqlx::Error> {
    sqlx::query_as(
        // `id in (…)`, not a join on a subquery: SQLite then looks each one
        // up by id, where with a join it scanned every highlight (137 ms at
        // 1M, against 2 ms on PostgreSQL; `cargo bench --bench digests`).
        "select h.customer_id, c.display_name as customer, h.area_id, h.quote, h.permalink
         from highlights h
         join customers c on c.workspace_id = h.workspace_id and c.id = h.customer_id
         where h.workspace_id = $1
           and h.id in (select id from highlights where workspace_id = $1 order by id desc limit $2)
         order by h.id desc",
    )
    .bind(workspace.as_str())
    .bind(SIMILAR_WINDOW)
    .fetch_all(db.reader())
    .await
}
