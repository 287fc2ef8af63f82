//! How a customer is shown outside its own thread (docs/design.md,
//! Behaviour: Privacy): the one place that decides. Every surface but the
//! customer's thread (digests, reports, search, similar quotes, exports, the
//! customer view, confirmations, DMs, the App Home, the web library) reads
//! the customer as a [`ShownCustomer`] and shows [`ShownCustomer::label`] and
//! only the recordings [`ShownCustomer::recording`] lets through.

use std::fmt;

/// A customer as the team may see it away from its thread: its name, or
/// `Customer N` (with its segment) when the customer asked to stay
/// anonymous; its recordings, unless it asked to hide them.
///
/// Read from the columns `store::privacy::shown_columns` names
/// (`customer`, `customer_anonymous`, `customer_label`, `customer_segment`,
/// `customer_recordings_hidden`).
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct ShownCustomer {
    /// The customer's name (shown only when it is not anonymous).
    #[sqlx(rename = "customer")]
    name: String,
    /// Non-zero: the customer is shown by its number.
    #[sqlx(rename = "customer_anonymous")]
    anonymous: i32,
    /// The customer's number in its workspace, given the first time it
    /// turned anonymous and kept for good.
    #[sqlx(rename = "customer_label")]
    label: Option<i64>,
    /// Its segment, shown beside the label when known.
    #[sqlx(rename = "customer_segment")]
    segment: Option<String>,
    /// Non-zero: its recording links and times are left out.
    #[sqlx(rename = "customer_recordings_hidden")]
    recordings_hidden: i32,
}

impl ShownCustomer {
    /// A customer shown by its name, recordings and all.
    pub fn named(name: impl Into<String>) -> Self {
        Self { name: name.into(), ..Self::default() }
    }

    /// A customer with its privacy settings: `label` is its number while it
    /// is anonymous (None: named).
    pub fn new(name: impl Into<String>, label: Option<i64>, segment: Option<String>, recordings_hidden: bool) -> Self {
        Self {
            name: name.into(),
            anonymous: i32::from(label.is_some()),
            label,
            segment,
            recordings_hidden: i32::from(recordings_hidden),
        }
    }

    /// A customer from its stored settings: whether it is `anonymous` now,
    /// its number if it ever was.
    pub fn from_settings(
        name: impl Into<String>,
        anonymous: bool,
        label: Option<i64>,
        segment: Option<String>,
        recordings_hidden: bool,
    ) -> Self {
        Self {
            name: name.into(),
            anonymous: i32::from(anonymous),
            label,
            segment,
            recordings_hidden: i32::from(recordings_hidden),
        }
    }

    /// Its number while it is anonymous.
    fn number(&self) -> Option<i64> {
        self.label.filter(|_| self.anonymous != 0)
    }

    /// What people read for this customer: its name, or `Customer N`
    /// (`Customer N (segment)` when its segment is known).
    pub fn label(&self) -> String {
        match (self.number(), self.segment.as_deref().map(str::trim).filter(|s| !s.is_empty())) {
            (Some(n), Some(segment)) => format!("Customer {n} ({segment})"),
            (Some(n), None) => format!("Customer {n}"),
            (None, _) => self.name.clone(),
        }
    }

    /// How people type this customer in a command away from its thread: its
    /// name, or `Customer N` (every command and capture answers to it).
    pub fn typed_name(&self) -> String {
        match self.number() {
            Some(n) => format!("Customer {n}"),
            None => self.name.clone(),
        }
    }

    /// The number in a typed `Customer N` (any case, its segment after it
    /// or not): how people name an anonymous customer.
    pub fn parse_label(typed: &str) -> Option<i64> {
        let rest = typed.trim().get(..9).filter(|w| w.eq_ignore_ascii_case("customer "))?;
        let number = typed.trim()[rest.len()..].split(|c: char| !c.is_ascii_digit()).next()?;
        number.parse().ok().filter(|n| *n > 0)
    }

    /// Whether the customer is shown as `Customer N`.
    pub fn is_anonymous(&self) -> bool {
        self.number().is_some()
    }

    /// Whether its recording links and times are left out.
    pub fn hides_recordings(&self) -> bool {
        self.recordings_hidden != 0
    }

    /// A recording (link and time in seconds) as it may be shown: nothing
    /// when the customer hides its recordings.
    pub fn recording(&self, link: Option<String>, at: Option<i64>) -> (Option<String>, Option<i64>) {
        match self.hides_recordings() {
            true => (None, None),
            false => (link, at),
        }
    }

    /// Leaves out the recording in place (rows that carry one beside the
    /// customer).
    pub fn hide_recording(&self, link: &mut Option<String>, at: &mut Option<i64>) {
        (*link, *at) = self.recording(link.take(), at.take());
    }
}

/// The label, as people read it (see [`ShownCustomer::label`]).
impl fmt::Display for ShownCustomer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// The export (CSV, JSON) writes the label, never the name of an
/// anonymous customer.
impl serde::Serialize for ShownCustomer {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_customer_is_shown_by_its_name() {
        let acme = ShownCustomer::named("Acme");
        assert_eq!(acme.label(), "Acme");
        assert!(!acme.is_anonymous());
        assert_eq!(acme.recording(Some("https://x".into()), Some(3)), (Some("https://x".into()), Some(3)));
    }

    #[test]
    fn an_anonymous_customer_is_its_number_and_segment() {
        assert_eq!(ShownCustomer::new("Acme", Some(3), None, false).label(), "Customer 3");
        assert_eq!(
            ShownCustomer::new("Acme", Some(3), Some("Enterprise".into()), false).to_string(),
            "Customer 3 (Enterprise)"
        );
        assert_eq!(ShownCustomer::new("Acme", Some(3), Some("  ".into()), false).label(), "Customer 3");
        assert_eq!(ShownCustomer::new("Acme", None, Some("Enterprise".into()), false).label(), "Acme");
        // Named again: its number is kept, not shown.
        assert_eq!(ShownCustomer::from_settings("Acme", false, Some(3), None, false).label(), "Acme");
        assert_eq!(ShownCustomer::from_settings("Acme", true, Some(3), None, false).label(), "Customer 3");
    }

    #[test]
    fn a_label_is_read_back() {
        assert_eq!(ShownCustomer::parse_label("Customer 3"), Some(3));
        assert_eq!(ShownCustomer::parse_label(" customer 12 (Enterprise)"), Some(12));
        for not in ["Customer", "Customer x", "Customers 3", "Acme", "Customer 0", "Cust 3"] {
            assert_eq!(ShownCustomer::parse_label(not), None, "{not}");
        }
    }

    #[test]
    fn hidden_recordings_are_left_out() {
        let acme = ShownCustomer::new("Acme", None, None, true);
        let (mut link, mut at) = (Some("https://x".to_owned()), Some(754));
        acme.hide_recording(&mut link, &mut at);
        assert_eq!((link, at), (None, None));
    }
}
