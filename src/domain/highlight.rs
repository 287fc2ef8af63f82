//! What a highlight is made of: the customer's words ([`Quote`]), where they
//! were said ([`RecordingLink`], [`RecordingTime`]), what kind of feedback
//! they are ([`Kind`]), and the dates people type. Each is validated once,
//! where the text arrives, with an answer that says what to fix.

use jiff::civil::Date;

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

/// A moment in a recording (`12:34`, `1:02:03`), in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RecordingTime(u32);

impl RecordingTime {
    /// Reads `m:ss`, `mm:ss` or `h:mm:ss` (seconds and, with hours, minutes
    /// below 60; at most 99 hours).
    pub fn parse(raw: &str) -> Result<Self, UserError> {
        let refused =
            || UserError::new(format!("The time after @ must look like 12:34 or 1:02:03, not “{}”.", raw.trim()));
        let parts: Vec<&str> = raw.trim().split(':').collect();
        let numbers: Vec<u32> = parts
            .iter()
            .map(|p| {
                if (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()) {
                    p.parse().ok()
                } else {
                    None
                }
            })
            .collect::<Option<_>>()
            .ok_or_else(refused)?;
        let seconds = match numbers.as_slice() {
            [m, s] if *s < 60 && parts[1].len() == 2 => m * 60 + s,
            [h, m, s] if *m < 60 && *s < 60 && parts[1].len() == 2 && parts[2].len() == 2 => h * 3600 + m * 60 + s,
            _ => return Err(refused()),
        };
        Ok(Self(seconds))
    }

    /// From stored seconds.
    pub fn from_seconds(seconds: i64) -> Option<Self> {
        u32::try_from(seconds).ok().map(Self)
    }

    /// Seconds from the start.
    pub fn seconds(self) -> u32 {
        self.0
    }

    /// The recording's link opened at this moment, for providers whose links
    /// take a start time: YouTube `t=754` (youtube.com, youtu.be; their help
    /// page "Share a video at a specific time"), Vimeo `#t=754s` (Vimeo help:
    /// "Share a video at a specific timecode"), Loom `?t=754` (Loom's "Share a
    /// video at a timestamp"). None for other providers.
    pub fn deep_link(self, url: &str) -> Option<String> {
        let mut u = url::Url::parse(url).ok()?;
        let host = u.host_str()?.trim_start_matches("www.").trim_start_matches("m.").to_ascii_lowercase();
        let seconds = self.0.to_string();
        let with_query_t = |mut u: url::Url| {
            let kept: Vec<(String, String)> =
                u.query_pairs().filter(|(k, _)| k != "t").map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
            u.query_pairs_mut().clear().extend_pairs(kept).append_pair("t", &seconds);
            u.to_string()
        };
        match host.as_str() {
            "youtube.com" | "youtu.be" | "music.youtube.com" => Some(with_query_t(u)),
            "loom.com" => Some(with_query_t(u)),
            "vimeo.com" | "player.vimeo.com" => {
                u.set_fragment(Some(&format!("t={seconds}s")));
                Some(u.to_string())
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for RecordingTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (h, m, s) = (self.0 / 3600, self.0 / 60 % 60, self.0 % 60);
        if h > 0 {
            write!(f, "{h}:{m:02}:{s:02}")
        } else {
            write!(f, "{m}:{s:02}")
        }
    }
}

/// A recording link as mrkdwn, with its moment when there is one: `▶ 12:34`
/// opening the recording there, or beside the unchanged link when the
/// provider takes no start time.
pub fn render_recording(url: &str, at: Option<RecordingTime>) -> String {
    use crate::slack::mrkdwn::link;
    match at {
        None => format!("▶ {}", link(url, "Recording")),
        Some(at) => match at.deep_link(url) {
            Some(deep) => link(&deep, &format!("▶ {at}")),
            None => format!("{} ▶ {at}", link(url, "Recording")),
        },
    }
}

/// ` · ▶ 12:34` (linked) after a quote that has a moment in its recording;
/// empty otherwise (digests and the customer view show only moments).
pub fn moment_suffix(url: Option<&str>, at: Option<i64>) -> String {
    match (url, at.and_then(RecordingTime::from_seconds)) {
        (Some(url), Some(at)) => format!(" · {}", render_recording(url, Some(at))),
        _ => String::new(),
    }
}

/// The same in Markdown (the command line's digests and reports).
pub fn moment_markdown(url: Option<&str>, at: Option<i64>) -> String {
    match (url, at.and_then(RecordingTime::from_seconds)) {
        (Some(url), Some(at)) => match at.deep_link(url) {
            Some(deep) => format!(" ([▶ {at}]({deep}))"),
            None => format!(" ([recording]({url}) ▶ {at})"),
        },
        (Some(url), None) => format!(" ([recording]({url}))"),
        _ => String::new(),
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
    date.strftime("%Y-%m-%d").to_string()
}

/// Reads `YYYY-MM-DD`, from the year 2000 on: interviews and onboarding
/// happen now, so an earlier date is a typo, not a date (each caller bounds
/// the future as it needs).
pub fn parse_date(text: &str) -> Option<Date> {
    let text = text.trim();
    // Exactly `YYYY-MM-DD` (jiff's own parser would also take a date and time).
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    shaped.then(|| text.parse::<Date>().ok()).flatten().filter(|d| d.year() >= 2000)
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
    fn recording_times_read_minutes_or_hours_and_open_the_providers_that_take_them() {
        assert_eq!(RecordingTime::parse("12:34").map(RecordingTime::seconds), Ok(754));
        assert_eq!(RecordingTime::parse(" 1:02:03 ").map(RecordingTime::seconds), Ok(3723));
        assert_eq!(RecordingTime::parse("0:05").map(|t| t.to_string()), Ok("0:05".into()));
        assert_eq!(RecordingTime::parse("1:02:03").map(|t| t.to_string()), Ok("1:02:03".into()));
        for bad in ["", "12", "12:3", "12:60", "1:60:00", "a:bc", "1:2:3", "123:45", "-1:00", "1:00:00:00"] {
            assert!(RecordingTime::parse(bad).is_err(), "{bad}");
        }
        let t = RecordingTime(754);
        assert_eq!(
            t.deep_link("https://www.youtube.com/watch?v=abc&t=5").as_deref(),
            Some("https://www.youtube.com/watch?v=abc&t=754")
        );
        assert_eq!(t.deep_link("https://youtu.be/abc").as_deref(), Some("https://youtu.be/abc?t=754"));
        assert_eq!(t.deep_link("https://vimeo.com/123456").as_deref(), Some("https://vimeo.com/123456#t=754s"));
        assert_eq!(
            t.deep_link("https://www.loom.com/share/abc").as_deref(),
            Some("https://www.loom.com/share/abc?t=754")
        );
        assert_eq!(t.deep_link("https://zoom.us/rec/play/1"), None);
        assert_eq!(render_recording("https://vimeo.com/1", Some(t)), "<https://vimeo.com/1#t=754s|▶ 12:34>");
        assert_eq!(render_recording("https://zoom.us/rec/1", Some(t)), "<https://zoom.us/rec/1|Recording> ▶ 12:34");
        assert_eq!(render_recording("https://zoom.us/rec/1", None), "▶ <https://zoom.us/rec/1|Recording>");
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
