//! Capture: the customer's words from `/highlight`, the capture modal and the
//! "Save as highlight" shortcut, stored at once and posted through the outbox
//! into the customer's thread (SPEC sections 2 and 3.1).

pub mod handle;
pub mod messages;
pub mod modal;
pub mod post;
pub mod quick;

use time::Date;

use crate::error::UserError;

/// Longest quote Slack can show in one section.
pub const MAX_QUOTE_CHARS: usize = 3000;
/// Longest takeaway.
pub const MAX_TAKEAWAY_CHARS: usize = 1000;

/// The customer's words: not empty, at most [`MAX_QUOTE_CHARS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote(String);

impl Quote {
    /// Trims whitespace and one pair of surrounding quotation marks.
    pub fn parse(raw: &str) -> Result<Self, UserError> {
        let mut text = raw.trim();
        for (open, close) in [('"', '"'), ('“', '”'), ('\'', '\''), ('«', '»'), ('„', '“')] {
            if text.chars().count() >= 2 && text.starts_with(open) && text.ends_with(close) {
                text = text[open.len_utf8()..text.len() - close.len_utf8()].trim();
                break;
            }
        }
        if text.is_empty() {
            return Err(UserError::new("The quote is empty: paste what the customer said."));
        }
        let chars = text.chars().count();
        if chars > MAX_QUOTE_CHARS {
            return Err(UserError::new(format!(
                "The quote is {chars} characters; the limit is {MAX_QUOTE_CHARS}. Split it into two highlights."
            )));
        }
        Ok(Self(text.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A link into an interview recording: an absolute http(s) URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingLink(String);

impl RecordingLink {
    /// Accepts http and https URLs with a host.
    pub fn parse(raw: &str) -> Result<Self, UserError> {
        let raw = raw.trim();
        match url::Url::parse(raw) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() && raw.len() <= 2000 => {
                Ok(Self(raw.to_owned()))
            }
            _ => Err(UserError::new("The recording link must be a web address starting with http:// or https://.")),
        }
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What kind of signal a highlight is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Something hurts.
    Pain,
    /// Something is asked for.
    Request,
    /// Something is loved.
    Praise,
    /// Anything else.
    Other,
}

impl Kind {
    /// Every kind, in display order.
    pub const ALL: [Kind; 4] = [Kind::Pain, Kind::Request, Kind::Praise, Kind::Other];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Pain => "pain",
            Kind::Request => "request",
            Kind::Praise => "praise",
            Kind::Other => "other",
        }
    }

    /// The label shown to users.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Pain => "Pain",
            Kind::Request => "Request",
            Kind::Praise => "Praise",
            Kind::Other => "Other",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// An interview date as `YYYY-MM-DD`.
pub fn format_date(date: Date) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    date.format(&format).unwrap_or_default()
}

/// Reads `YYYY-MM-DD`, from the year 2000 on: interviews and onboarding
/// happen now, so an earlier date is a typo, not a date (each caller bounds
/// the future as it needs).
pub fn parse_date(text: &str) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.trim(), &format).ok().filter(|d| d.year() >= 2000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_trimmed_and_bounded() {
        assert_eq!(Quote::parse("  \"hi there\" ").expect("valid").as_str(), "hi there");
        assert_eq!(Quote::parse("\"").expect("one mark is text").as_str(), "\"");
        assert!(Quote::parse(&"a".repeat(3000)).is_ok());
        assert!(Quote::parse(&"a".repeat(3001)).is_err());
        assert!(Quote::parse(" '' ").is_err());
    }

    #[test]
    fn recording_links_must_be_http() {
        assert!(RecordingLink::parse("https://zoom.us/rec/1").is_ok());
        assert!(RecordingLink::parse("http://intranet.local/rec").is_ok());
        assert!(RecordingLink::parse("ftp://x.io/rec").is_err());
        assert!(RecordingLink::parse("javascript:alert(1)").is_err());
        assert!(RecordingLink::parse("zoom.us/rec").is_err());
    }

    #[test]
    fn dates_round_trip() {
        let d = parse_date("2026-11-27").expect("valid");
        assert_eq!(format_date(d), "2026-11-27");
        assert_eq!(parse_date("27/11/2026"), None);
        assert_eq!(parse_date("0000-01-01"), None);
        assert_eq!(parse_date("1999-12-31"), None);
        assert!(parse_date("2000-01-01").is_some());
    }
}
