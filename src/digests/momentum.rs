//! Momentum (design.md, Behaviour: Digests): each area's change in distinct
//! customers against the previous period of the same length, and the
//! customers heard from for the first time. An area heard from for the first
//! time is marked by the area signal itself (`is_new`): its change would only
//! repeat its count, so it shows none.

use std::collections::BTreeMap;

use crate::domain::ShownCustomer;
use crate::slack::mrkdwn::escape;
use crate::store::momentum::{list_area_customers, list_first_heard_customers};
use crate::store::workspaces::WorkspaceId;
use crate::store::Db;

/// Customers named before "and N more".
pub const MAX_FIRST_HEARD: usize = 10;

/// What changed against the previous period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Momentum {
    /// Distinct customers per area id in the previous period of the same length.
    pub previous: BTreeMap<i64, i64>,
    /// Customers heard from for the first time in the period, by name as
    /// shown, first heard first.
    pub first_heard: Vec<String>,
}

impl Momentum {
    /// The change of an area with `customers` now: `+3`, `−1` (a minus
    /// sign), or None when unchanged.
    pub fn change(&self, area_id: i64, customers: i64) -> Option<String> {
        let delta = customers - self.previous.get(&area_id).copied().unwrap_or(0);
        match delta {
            0 => None,
            d if d > 0 => Some(format!("+{d}")),
            d => Some(format!("−{}", d.unsigned_abs())),
        }
    }

    /// The mrkdwn line naming the customers heard from for the first time
    /// (escaped), or None when there are none.
    pub fn first_heard_mrkdwn(&self) -> Option<String> {
        self.first_heard_line(|name| format!("*{}*", escape(name)))
    }

    /// The same line in Markdown.
    pub fn first_heard_markdown(&self) -> Option<String> {
        self.first_heard_line(str::to_owned)
    }

    fn first_heard_line(&self, name: impl Fn(&str) -> String) -> Option<String> {
        if self.first_heard.is_empty() {
            return None;
        }
        let mut names: Vec<String> = self.first_heard.iter().take(MAX_FIRST_HEARD).map(|n| name(n)).collect();
        let more = self.first_heard.len().saturating_sub(MAX_FIRST_HEARD);
        if more > 0 {
            names.push(format!("and {more} more"));
        }
        Some(format!("👋 First heard from: {}", names.join(", ")))
    }
}

/// Momentum of the period `[from, until)`: against `[from - (until - from), from)`.
/// The two reads are independent, so they run side by side (on two of the
/// pool's connections).
pub async fn gather(db: &Db, workspace: &WorkspaceId, from: i64, until: i64) -> Result<Momentum, sqlx::Error> {
    let before = from - (until - from).max(0);
    let (previous, first_heard) = tokio::try_join!(
        list_area_customers(db, workspace, before, from),
        list_first_heard_customers(db, workspace, from, until)
    )?;
    Ok(Momentum {
        previous: previous.into_iter().map(|a| (a.area_id, a.customers)).collect(),
        // As each customer is shown outside its thread (an anonymous one by its label).
        first_heard: first_heard.iter().map(ShownCustomer::label).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_read_plus_minus_or_nothing() {
        let m = Momentum { previous: BTreeMap::from([(1, 2), (2, 5)]), first_heard: vec![] };
        assert_eq!(m.change(1, 5).as_deref(), Some("+3"));
        assert_eq!(m.change(2, 4).as_deref(), Some("−1"));
        assert_eq!(m.change(1, 2), None);
        assert_eq!(m.change(3, 1).as_deref(), Some("+1"), "an area quiet before");
        assert_eq!(m.first_heard_mrkdwn(), None);
    }

    #[test]
    fn first_heard_customers_are_escaped_and_capped() {
        let mut m = Momentum { previous: BTreeMap::new(), first_heard: vec!["<!channel> & co".into()] };
        assert_eq!(m.first_heard_mrkdwn().as_deref(), Some("👋 First heard from: *&lt;!channel&gt; &amp; co*"));
        assert_eq!(m.first_heard_markdown().as_deref(), Some("👋 First heard from: <!channel> & co"));
        m.first_heard = (0..13).map(|i| format!("C{i}")).collect();
        let line = m.first_heard_markdown().expect("line");
        assert!(line.ends_with("C9, and 3 more"), "{line}");
    }
}
