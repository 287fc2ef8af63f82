//! Digests: the customer quotes that matter in a period, per product area
//! ranked by distinct customers, with totals, onboarding progress and the
//! areas nobody has heard about. Gathered once ([`gather`]), rendered as Block
//! Kit for the channel or as Markdown for `highlights digest --print`.

pub mod approval;
pub mod momentum;
pub mod post;
pub mod schedule;

use serde_json::Value;

use crate::digests::momentum::Momentum;
use crate::quotas::{progress_on, Progress};
use crate::slack::blocks::{self, context, divider, header, section, Message};
use crate::slack::mrkdwn::{count, escape, link};
use crate::store::digests::{self, AreaSignal, QuoteCandidate, RangeTotals};
use crate::store::workspaces::WorkspaceId;
use crate::store::{onboarding, Db};

/// Quotes shown per area.
pub const QUOTES_PER_AREA: usize = 3;
/// Areas shown before "and N more".
pub const MAX_AREAS: usize = 12;
/// An area nobody mentioned for this long is called out.
pub const QUIET_DAYS: i64 = 30;

/// Everything a digest shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestData {
    /// "Nov 16 – Nov 23".
    pub period_label: String,
    /// The period is still running (`/highlight digest`).
    pub partial: bool,
    /// Totals.
    pub totals: RangeTotals,
    /// Areas, best first, each with its chosen quotes.
    pub areas: Vec<(AreaSignal, Vec<QuoteCandidate>)>,
    /// One per running enrollment.
    pub onboarding: Vec<Progress>,
    /// Areas with no highlight in the last [`QUIET_DAYS`].
    pub quiet: Vec<String>,
    /// The change against the previous period, and customers heard from first.
    pub momentum: Momentum,
}

impl DigestData {
    /// Nothing was captured in the period.
    pub fn is_empty(&self) -> bool {
        self.totals.highlights == 0
    }

    /// Leaves out the areas an approver removed.
    pub fn remove_areas(&mut self, removed: &[i64]) {
        self.areas.retain(|(signal, _)| !removed.contains(&signal.area_id));
    }
}

/// Picks up to `n` quotes, newest first, preferring customers and kinds not
/// shown yet, so one loud customer does not fill an area.
pub fn pick_quotes(candidates: &[QuoteCandidate], n: usize) -> Vec<QuoteCandidate> {
    let mut picked: Vec<usize> = Vec::new();
    // Passes: a new customer and a new kind; a new customer; a new kind; anything.
    for pass in 0..4 {
        for (i, c) in candidates.iter().enumerate() {
            if picked.len() >= n {
                break;
            }
            let new_customer = picked.iter().all(|&p| candidates[p].customer_id != c.customer_id);
            let new_kind = picked.iter().all(|&p| candidates[p].kind != c.kind);
            let fits = match pass {
                0 => new_customer && new_kind,
                1 => new_customer,
                2 => new_kind,
                _ => true,
            };
            if fits && !picked.contains(&i) {
                picked.push(i);
            }
        }
    }
    picked.sort_unstable();
    picked.into_iter().map(|i| candidates[i].clone()).collect()
}

/// Gathers a digest of highlights created in `[from, until)` (unix ms).
pub async fn gather(
    db: &Db,
    now_ms: i64,
    workspace: &WorkspaceId,
    from: i64,
    until: i64,
    period_label: String,
    partial: bool,
) -> Result<DigestData, sqlx::Error> {
    let (totals, areas) = gather_ranking(db, workspace, from, until).await?;
    let progress = gather_onboarding(db, now_ms, workspace).await?;
    let quiet = digests::list_quiet_areas(db, workspace, until - QUIET_DAYS * 86_400_000).await?;
    let momentum = momentum::gather(db, workspace, from, until).await?;
    Ok(DigestData { period_label, partial, totals, areas, onboarding: progress, quiet, momentum })
}

/// A digest's totals and its areas, best first, each with its chosen
/// quotes: what the library's `/` shows of the week.
pub async fn gather_ranking(
    db: &Db,
    workspace: &WorkspaceId,
    from: i64,
    until: i64,
) -> Result<(RangeTotals, Vec<(AreaSignal, Vec<QuoteCandidate>)>), sqlx::Error> {
    let totals = digests::find_range_totals(db, workspace, from, until).await?;
    let signal = digests::list_area_signal(db, workspace, from, until).await?;
    let candidates = digests::list_quote_candidates(db, workspace, from, until, 20).await?;
    let areas = signal
        .into_iter()
        .map(|s| {
            let mine: Vec<QuoteCandidate> = candidates.iter().filter(|c| c.area_id == s.area_id).cloned().collect();
            let quotes = pick_quotes(&mine, QUOTES_PER_AREA);
            (s, quotes)
        })
        .collect();
    Ok((totals, areas))
}

/// A digest's onboarding progress: one per running enrollment.
pub async fn gather_onboarding(db: &Db, now_ms: i64, workspace: &WorkspaceId) -> Result<Vec<Progress>, sqlx::Error> {
    let mut progress = Vec::new();
    for o in onboarding::list_onboardees(db, workspace).await? {
        progress.push(progress_on(db, now_ms, workspace, &o).await?);
    }
    Ok(progress)
}

fn totals_line(t: &RangeTotals) -> String {
    let n = |v: i64, one: &str, many: &str| format!("{v} {}", if v == 1 { one } else { many });
    format!(
        "{} · {} · {} · {}",
        n(t.interviews, "interview", "interviews"),
        n(t.highlights, "highlight", "highlights"),
        n(t.customers, "customer", "customers"),
        n(t.interviewers, "interviewer", "interviewers")
    )
}

/// ` (+3)` after an area's customers: the change against the previous
/// period; nothing when unchanged or when the area is new (its mark says it).
fn change_suffix(d: &DigestData, signal: &AreaSignal) -> String {
    match d.momentum.change(signal.area_id, signal.customers) {
        Some(change) if signal.is_new == 0 => format!(" ({change})"),
        _ => String::new(),
    }
}

fn onboarding_line(p: &Progress) -> (String, String) {
    (p.user.clone(), crate::quotas::render_summary_line(p))
}

/// The digest as a channel message (within Block Kit's limits: past them,
/// a pointer to the rest). `names` holds mrkdwn-safe names of the people in
/// it; anyone missing is mentioned.
pub fn render_digest_message(d: &DigestData, names: &std::collections::HashMap<String, String>) -> Message {
    let person = |user: &str| names.get(user).cloned().unwrap_or_else(|| format!("<@{user}>"));
    let title = if d.partial {
        format!("📣 Customer highlights so far: {}", d.period_label)
    } else {
        format!("📣 Customer highlights: {}", d.period_label)
    };
    let mut blocks = vec![header(&title), context(&totals_line(&d.totals))];
    for (signal, quotes) in d.areas.iter().take(MAX_AREAS) {
        let new = if signal.is_new == 1 { "  🆕 *new this period*" } else { "" };
        let mut text = format!(
            "*{}*: {} customer{}{}, {} highlight{}{new}",
            escape(&signal.area),
            signal.customers,
            if signal.customers == 1 { "" } else { "s" },
            change_suffix(d, signal),
            signal.highlights,
            if signal.highlights == 1 { "" } else { "s" }
        );
        for q in quotes {
            let quote = escape(&blocks::truncate(&q.quote.replace('\n', " "), 300));
            let source = match &q.permalink {
                Some(url) => link(url, &q.customer.label()),
                None => format!("*{}*", escape(&q.customer.label())),
            };
            // The quote in a quote block, the attribution under it: each quote reads apart.
            let moment = crate::domain::highlight::moment_suffix(q.recording_link.as_deref(), q.recording_at);
            text.push_str(&format!("\n>{quote}\n— {source}, heard by {}{moment}", person(&q.author)));
        }
        blocks.push(section(&text));
    }
    if d.areas.len() > MAX_AREAS {
        let more = d.areas.len() - MAX_AREAS;
        blocks.push(context(&format!(
            "…and {more} more area{}. See them all with `/highlight areas`.",
            if more == 1 { "" } else { "s" }
        )));
    }
    // Under the areas: the new names read as the period's news after what was heard.
    if let Some(line) = d.momentum.first_heard_mrkdwn() {
        blocks.push(context(&blocks::truncate_mrkdwn(&line, 2000)));
    }
    if !d.onboarding.is_empty() {
        let lines: Vec<String> =
            d.onboarding.iter().take(20).map(onboarding_line).map(|(u, l)| format!("• {}: {l}", person(&u))).collect();
        blocks.push(divider());
        blocks.push(section(&format!("*Onboarding*\n{}", lines.join("\n"))));
    }
    if !d.quiet.is_empty() {
        let names: Vec<String> = d.quiet.iter().map(|a| escape(a)).collect();
        let text = format!("🔕 No one has heard about {} in {QUIET_DAYS} days.", names.join(", "));
        // Shorter than Slack's limit: a list of quiet areas reads as a footnote.
        blocks.push(context(&blocks::truncate_mrkdwn(&text, 2000)));
    }
    let text = escape(&format!("{title}: {}", totals_line(&d.totals)));
    Message::new(text, blocks)
}

/// The digest as Markdown.
pub fn render_digest_markdown(d: &DigestData) -> String {
    let mut out = format!(
        "# Customer highlights{}: {}\n\n{}\n",
        if d.partial { " so far" } else { "" },
        d.period_label,
        totals_line(&d.totals)
    );
    for (signal, quotes) in &d.areas {
        let new = if signal.is_new == 1 { " (new this period)" } else { "" };
        out.push_str(&format!(
            "\n## {}: {}{}, {}{new}\n\n",
            signal.area,
            count(signal.customers, "customer", "customers"),
            change_suffix(d, signal),
            count(signal.highlights, "highlight", "highlights")
        ));
        for q in quotes {
            let source = match &q.permalink {
                Some(url) => format!("[{}]({url})", q.customer),
                None => q.customer.label(),
            };
            let moment = match q.recording_at {
                Some(_) => crate::domain::highlight::moment_markdown(q.recording_link.as_deref(), q.recording_at),
                None => String::new(),
            };
            out.push_str(&format!(
                "> {}\n>\n> — {source}, heard by {} on {}{moment}\n\n",
                q.quote.replace('\n', "\n> "),
                q.author,
                q.interview_date
            ));
        }
    }
    if let Some(line) = d.momentum.first_heard_markdown() {
        out.push_str(&format!("\n{line}\n"));
    }
    if !d.onboarding.is_empty() {
        out.push_str("\n## Onboarding\n\n");
        for (user, line) in d.onboarding.iter().map(onboarding_line) {
            out.push_str(&format!("- {user}: {line}\n"));
        }
    }
    if !d.quiet.is_empty() {
        out.push_str(&format!("\nNo one has heard about {} in {QUIET_DAYS} days.\n", d.quiet.join(", ")));
    }
    out
}

/// The JSON of a digest message (for tests and previews).
pub fn digest_json(d: &DigestData) -> Value {
    let m = render_digest_message(d, &std::collections::HashMap::new());
    serde_json::to_value(m).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(customer_id: i64, kind: &str, quote: &str) -> QuoteCandidate {
        QuoteCandidate {
            area_id: 1,
            customer_id,
            customer: crate::domain::ShownCustomer::named(format!("C{customer_id}")),
            kind: kind.into(),
            quote: quote.into(),
            author: "U1".into(),
            interview_date: "2026-11-20".into(),
            recording_link: None,
            recording_at: None,
            permalink: None,
            endorsed_by: None,
            shipped_on: None,
        }
    }

    #[test]
    fn quotes_prefer_distinct_customers_then_kinds_newest_first() {
        let cands =
            vec![q(1, "pain", "a"), q(1, "request", "b"), q(2, "pain", "c"), q(3, "praise", "d"), q(2, "request", "e")];
        let picked: Vec<String> = pick_quotes(&cands, 3).into_iter().map(|c| c.quote).collect();
        assert_eq!(picked, vec!["a", "d", "e"], "three customers, three kinds");
        let one_customer = vec![q(1, "pain", "a"), q(1, "pain", "b"), q(1, "request", "c")];
        let picked: Vec<String> = pick_quotes(&one_customer, 2).into_iter().map(|c| c.quote).collect();
        assert_eq!(picked, vec!["a", "c"], "a new kind before a repeat");
    }

    /// A digest of `areas` areas (for the approval's tests too).
    pub(super) fn data(areas: usize) -> DigestData {
        let signal = |i: usize| AreaSignal {
            area_id: i as i64,
            area: format!("area {i}"),
            customers: 3,
            highlights: 5,
            is_new: i64::from(i == 0),
        };
        DigestData {
            period_label: "Nov 16 – Nov 23".into(),
            partial: false,
            totals: RangeTotals { highlights: 5, interviews: 2, customers: 3, interviewers: 1 },
            areas: (0..areas).map(|i| (signal(i), vec![q(1, "pain", "<!channel> we need exports\nnow")])).collect(),
            onboarding: vec![],
            quiet: vec!["security".into()],
            // As many customers as the period before: no change shown.
            momentum: Momentum { previous: (0..areas).map(|i| (i as i64, 3)).collect(), first_heard: vec![] },
        }
    }

    #[test]
    fn the_message_reads_well_and_stays_in_limits() {
        let names = std::collections::HashMap::from([("U1".to_owned(), "Egon &amp; co".to_owned())]);
        let m = render_digest_message(&data(2), &names);
        let json = serde_json::to_string(&m.blocks).expect("json");
        assert_eq!(m.blocks[0]["text"]["text"], "📣 Customer highlights: Nov 16 – Nov 23");
        assert!(json.contains("2 interviews · 5 highlights · 3 customers · 1 interviewer"));
        assert!(json.contains("*area 0*: 3 customers, 5 highlights  🆕 *new this period*"));
        assert!(json.contains("&lt;!channel&gt; we need exports now"), "{json}");
        assert!(json.contains("heard by Egon &amp; co"), "credited by name, not pinged: {json}");
        assert!(json.contains("No one has heard about security in 30 days"));
        blocks::typed_blocks(&m.blocks).expect("valid Block Kit");
        let big = render_digest_message(&data(40), &names);
        assert!(big.blocks.len() <= blocks::MAX_MESSAGE_BLOCKS);
        assert!(serde_json::to_string(&big.blocks).expect("json").contains("…and 28 more areas"));
    }

    #[test]
    fn the_message_renders_as_before() {
        let names = std::collections::HashMap::from([("U1".to_owned(), "Egon &amp; co".to_owned())]);
        let mut d = data(2);
        d.partial = true;
        d.areas[1].1[0].permalink = Some("https://x.slack.com/p1".into());
        insta::assert_json_snapshot!("digest_message", render_digest_message(&d, &names));
        insta::assert_json_snapshot!("digest_message_past_the_areas_shown", render_digest_message(&data(13), &names));
        let preview = digest_json(&data(2));
        let without_names = render_digest_message(&data(2), &std::collections::HashMap::new());
        assert_eq!(preview["text"], without_names.text.as_str());
        assert_eq!(preview["blocks"], Value::Array(without_names.blocks));
    }

    #[test]
    fn momentum_shows_beside_each_area_and_under_the_totals() {
        let mut d = data(3);
        // area 0 is new (no change shown), area 1 grew from 1, area 2 shrank from 5.
        d.momentum = Momentum {
            previous: std::collections::BTreeMap::from([(1, 1), (2, 5)]),
            first_heard: vec!["Acme <b>".into()],
        };
        let json = serde_json::to_string(&render_digest_message(&d, &Default::default()).blocks).expect("json");
        assert!(json.contains("*area 0*: 3 customers, 5 highlights  🆕"), "{json}");
        assert!(json.contains("*area 1*: 3 customers (+2), 5 highlights"), "{json}");
        assert!(json.contains("*area 2*: 3 customers (−2), 5 highlights"), "{json}");
        assert!(json.contains("👋 First heard from: *Acme &lt;b&gt;*"), "{json}");
        let md = render_digest_markdown(&d);
        assert!(md.contains("## area 1: 3 customers (+2), 5 highlights\n"), "{md}");
        assert!(md.contains("\n👋 First heard from: Acme <b>\n"), "{md}");
        d.momentum.previous = std::collections::BTreeMap::from([(1, 3), (2, 3)]);
        let json = serde_json::to_string(&render_digest_message(&d, &Default::default()).blocks).expect("json");
        assert!(json.contains("*area 1*: 3 customers, 5 highlights"), "unchanged: nothing {json}");
    }

    #[test]
    fn the_markdown_has_the_same_content() {
        let md = render_digest_markdown(&data(1));
        assert!(md.starts_with("# Customer highlights: Nov 16 – Nov 23\n\n2 interviews · 5 highlights"), "{md}");
        assert!(md.contains("## area 0: 3 customers, 5 highlights (new this period)"));
        assert!(md.contains("> <!channel> we need exports\n> now\n>\n> — C1, heard by U1 on 2026-11-20"), "{md}");
    }
}
