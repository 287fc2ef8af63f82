//! Personal data in what customers said (design.md, Behaviour: Privacy):
//! e-mail addresses and phone numbers in quotes and takeaways become
//! `[email]` and `[phone]` before they are stored. Deterministic: the same
//! text always comes out the same, and dates, times, versions, amounts and
//! short counts stay.

use std::sync::LazyLock;

use regex::Regex;

/// What replaces an e-mail address.
pub const EMAIL: &str = "[email]";
/// What replaces a phone number.
pub const PHONE: &str = "[phone]";

/// An address with a dotted domain and a top-level domain of letters. (ASCII
/// classes and word boundaries, `-u`: the fast automaton runs on any text.)
static EMAIL_PATTERN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)\b[a-z0-9][a-z0-9._%+'-]*@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,24}\b")
        .expect("valid pattern")
});

/// Candidates for phone numbers: an international number (`+` and digits in
/// groups), or digits in groups separated by one space, dash or dot, with an
/// area code in parentheses allowed. Which candidates are numbers is decided
/// by [`is_phone`] from their digits and shape.
static PHONE_CANDIDATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u)(?:\+\s?\d[\d\s().-]*\d|\(\d{2,5}\)\s?\d[\d\s.-]*\d|\b\d[\d\s.-]*\d\b)").expect("valid pattern")
});

/// A text with its personal data replaced, and how many of each.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scrubbed {
    /// The text to store.
    pub text: String,
    /// E-mail addresses replaced.
    pub emails: usize,
    /// Phone numbers replaced.
    pub phones: usize,
}

impl Scrubbed {
    /// Whether anything was replaced.
    pub fn changed(&self) -> bool {
        self.emails + self.phones > 0
    }
}

/// Scrubbing over the texts of one capture, when the workspace has it on:
/// counts what it replaced, for the confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scrubbing {
    on: bool,
    emails: usize,
    phones: usize,
}

impl Scrubbing {
    /// Scrubbing as the workspace's setting says (`on`), nothing replaced yet.
    pub fn new(on: bool) -> Self {
        Self { on, emails: 0, phones: 0 }
    }

    /// `text` to store: scrubbed when on.
    pub fn text(&mut self, text: &str) -> String {
        if !self.on {
            return text.to_owned();
        }
        let scrubbed = scrub(text);
        self.emails += scrubbed.emails;
        self.phones += scrubbed.phones;
        scrubbed.text
    }

    /// What the confirmation says about it: nothing when nothing was replaced.
    pub fn sentence(&self) -> String {
        let count = |n: usize, one: &str, many: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {many}") };
        let what = match (self.emails, self.phones) {
            (0, 0) => return String::new(),
            (e, 0) => format!("{} as `{EMAIL}`", count(e, "e-mail address", "e-mail addresses")),
            (0, p) => format!("{} as `{PHONE}`", count(p, "phone number", "phone numbers")),
            (e, p) => format!(
                "{} and {} as `{EMAIL}` and `{PHONE}`",
                count(e, "e-mail address", "e-mail addresses"),
                count(p, "phone number", "phone numbers")
            ),
        };
        format!("\n🔒 Saved {what}, to keep personal data out of the channel (`/highlight config pii-scrub off` keeps them).")
    }
}

/// `text` with e-mail addresses and phone numbers replaced.
pub fn scrub(text: &str) -> Scrubbed {
    let mut emails = 0;
    let without_emails = EMAIL_PATTERN.replace_all(text, |_: &regex::Captures<'_>| {
        emails += 1;
        EMAIL
    });
    let mut phones = 0;
    let mut out = String::with_capacity(without_emails.len());
    let mut last = 0;
    for found in PHONE_CANDIDATE.find_iter(&without_emails) {
        let (start, candidate) = trimmed(found.start(), found.as_str());
        for (from, to) in numbers_in(candidate) {
            let (from, to) = (start + from, start + to);
            if touches_word(&without_emails, from, to) {
                continue;
            }
            out.push_str(&without_emails[last..from]);
            out.push_str(PHONE);
            phones += 1;
            last = to;
        }
    }
    out.push_str(&without_emails[last..]);
    Scrubbed { text: out, emails, phones }
}

/// The phone numbers in a run of digit groups (byte ranges): the run's
/// space-separated pieces are tried from the left, the longest number first,
/// so that a count or a date beside a number is neither taken for a part of
/// it nor hides it (`12 415-555-0100`, `2026-12-05 10`).
fn numbers_in(run: &str) -> Vec<(usize, usize)> {
    let pieces: Vec<(usize, usize)> = run
        .split(' ')
        .scan(0, |at, piece| {
            let start = *at;
            *at += piece.len() + 1;
            Some((start, start + piece.len()))
        })
        .filter(|(start, end)| end > start)
        .collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < pieces.len() {
        let longest = (i + 1..=pieces.len()).rev().find(|&j| is_phone(&run[pieces[i].0..pieces[j - 1].1]));
        match longest {
            Some(j) => {
                found.push((pieces[i].0, pieces[j - 1].1));
                i = j;
            }
            None => i += 1,
        }
    }
    found
}

/// The candidate without separators at its ends (a trailing `.` ends a sentence).
fn trimmed(start: usize, candidate: &str) -> (usize, &str) {
    let inner = candidate.trim_end_matches(|c: char| c.is_whitespace() || c == '.' || c == '-');
    let lead = inner.len() - inner.trim_start_matches(char::is_whitespace).len();
    (start + lead, &inner[lead..])
}

/// A number glued to letters or to `/`, `:`, `,`, `$`, `€`, … is a part of
/// something else (an id, a date, a time, an amount, a version `v1.2.3`).
fn touches_word(text: &str, start: usize, end: usize) -> bool {
    let glued =
        |c: char| c.is_alphanumeric() || matches!(c, '/' | ':' | ',' | '$' | '€' | '£' | '%' | '_' | '#' | '=' | '@');
    text[..start].chars().next_back().is_some_and(glued) || text[end..].chars().next().is_some_and(glued)
}

/// Whether a candidate is a phone number: international `+` with 8 to 15
/// digits; or a national number with an area code: 10 or 11 digits, either
/// starting with a trunk `0` (`020 7946 0958`) or with its area code set
/// apart (`(415) 555-0100`, `415-555-0100`). A date (`2026-12-05`, 8
/// digits), a version (`1.2.3`), a count or an amount has too few digits or
/// the wrong shape.
fn is_phone(candidate: &str) -> bool {
    let digits = candidate.chars().filter(char::is_ascii_digit).count();
    if candidate.starts_with('+') {
        return (8..=15).contains(&digits);
    }
    if !(10..=11).contains(&digits) {
        return false;
    }
    let groups: Vec<&str> = candidate.split(|c: char| !c.is_ascii_digit()).filter(|group| !group.is_empty()).collect();
    // A dotted run of digits with more than three groups is a version or an address.
    if candidate.contains('.') && groups.len() > 3 {
        return false;
    }
    let lengths: Vec<usize> = groups.iter().map(|group| group.len()).collect();
    let first = groups.first().copied().unwrap_or_default();
    // North American: (415) 555-0100, 415-555-0100, 415.555.0100, 415 555 0100.
    let north_american = lengths == [3, 3, 4];
    // With a trunk 0: 020 7946 0958, 07700 900123, 02079460958, 01 42 68 53 00.
    let trunk =
        first.starts_with('0') && (lengths.iter().all(|&n| n >= 3) && lengths.len() <= 3 || lengths == [2, 2, 2, 2, 2]);
    north_american || trunk
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_numbers_in_every_common_format_are_replaced() {
        let cases = [
            ("mail ann.lee+crm@acme-corp.co.uk today", "mail [email] today", 1, 0),
            ("ANN@ACME.IO or bob@x.dev", "[email] or [email]", 2, 0),
            ("call +1 415 555 0100 now", "call [phone] now", 0, 1),
            ("call +44 20 7946 0958.", "call [phone].", 0, 1),
            ("call +33 (0)1 42 68 53 00", "call [phone]", 0, 1),
            ("(415) 555-0100 is the desk", "[phone] is the desk", 0, 1),
            ("415-555-0100 or 415.555.0100", "[phone] or [phone]", 0, 2),
            ("the office: 020 7946 0958", "the office: [phone]", 0, 1),
            ("mobile 07700 900123", "mobile [phone]", 0, 1),
            ("ring +4915112345678", "ring [phone]", 0, 1),
        ];
        for (text, expected, emails, phones) in cases {
            let scrubbed = scrub(text);
            assert_eq!(scrubbed.text, expected, "{text}");
            assert_eq!((scrubbed.emails, scrubbed.phones), (emails, phones), "{text}");
        }
    }

    #[test]
    fn dates_times_versions_amounts_and_counts_stay() {
        for text in [
            "On 2026-12-05 at 10:30 we shipped 1.2.3",
            "We moved from v2.14.1 to v3.0.0 on 12/05/2026",
            "It costs $1,200,000 a year, or 1 200 000 €",
            "12 agents, 150 tickets a day, 3 of 5 teams",
            "ticket #1234567890 and order ZD-2026120512",
            "ip 192.168.100.200 and 10.0.0.1",
            "between 2026-01-01 and 2026-12-31",
            "99.95% uptime, 1500 ms p99",
        ] {
            assert_eq!(scrub(text), Scrubbed { text: text.to_owned(), emails: 0, phones: 0 }, "{text}");
        }
    }

    #[test]
    fn scrubbing_twice_changes_nothing_more() {
        let once = scrub("ann@acme.io, +1 415 555 0100");
        let twice = scrub(&once.text);
        assert_eq!(twice.text, once.text);
        assert!(!twice.changed());
    }
}
