//! The quick-capture grammar: `<customer> | <area> | <quote> [| <recording link> [@ 12:34]]`.
//! Fields are split on the raw, Slack-escaped text (a `|` inside a `<…>` link
//! is not a separator), then decoded.

use crate::domain::CustomerName;
use crate::domain::{Quote, RecordingLink, RecordingTime};
use crate::error::UserError;
use crate::reply::echo;
use crate::slack::mrkdwn;

/// A quick capture, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuickCapture {
    /// Who said it.
    pub customer: CustomerName,
    /// The product area as typed (matched against the workspace's areas later).
    pub area: String,
    /// The customer's words.
    pub quote: Quote,
    /// A link into the recording, if given.
    pub recording_link: Option<RecordingLink>,
    /// The moment in the recording (`@ 12:34` after the link).
    pub recording_at: Option<RecordingTime>,
    /// The whole text as typed (Slack-escaped): echoed back, carried by buttons.
    pub text: String,
}

/// Splits on `|` outside `<…>` entities.
pub fn split_fields(text: &str) -> Vec<&str> {
    let mut fields = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            '|' if depth == 0 => {
                fields.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    fields.push(&text[start..]);
    fields
}

/// Whether the text has the shape of a quick capture (a `|` outside links).
pub fn looks_like_capture(text: &str) -> bool {
    split_fields(text).len() > 1
}

/// A quick capture without its area (`<customer> | <quote>`): the app
/// suggests areas and stores nothing until one is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfiled {
    /// Who said it.
    pub customer: CustomerName,
    /// The customer's words.
    pub quote: Quote,
    /// The two fields as typed (Slack-escaped), to put the chosen area between.
    pub typed: (String, String),
    /// The whole text as typed (Slack-escaped): echoed back.
    pub text: String,
}

impl Unfiled {
    /// Parses `<customer> | <quote>`; None when the text has another shape.
    pub fn parse(text: &str) -> Option<Result<Self, UserError>> {
        let fields = split_fields(text);
        let [customer, quote] = fields.as_slice() else { return None };
        Some((|| {
            Ok(Self {
                customer: CustomerName::parse(&mrkdwn::decode(customer))?,
                quote: Quote::parse(&mrkdwn::decode(quote))?,
                typed: (customer.trim().to_owned(), quote.trim().to_owned()),
                text: text.to_owned(),
            })
        })())
    }

    /// The full capture with `area` (a name as stored) between the fields.
    pub fn with_area(&self, area: &str) -> String {
        format!("{} | {} | {}", self.typed.0, mrkdwn::escape(area).replace('|', "¦"), self.typed.1)
    }
}

impl QuickCapture {
    /// Parses the escaped command text.
    pub fn parse(text: &str) -> Result<Self, UserError> {
        let fields = split_fields(text);
        if fields.len() < 3 {
            return Err(UserError::new(
                "A quick capture needs three parts separated by `|`: customer, product area, and the quote.",
            ));
        }
        let customer = CustomerName::parse(&mrkdwn::decode(fields[0]))?;
        let area = crate::domain::one_space(&mrkdwn::decode(fields[1]));
        if area.is_empty() {
            return Err(UserError::new("The product area is empty."));
        }
        let mut quote_fields = &fields[2..];
        let mut recording_link = None;
        let mut recording_at = None;
        if quote_fields.len() > 1 {
            if let Some(last) = quote_fields.last() {
                let decoded = mrkdwn::decode(last);
                // `https://… @ 12:34`: the link, then the moment.
                let (candidate, at) = match decoded.rsplit_once('@') {
                    Some((link, at)) if at.trim().starts_with(|c: char| c.is_ascii_digit()) => (link.trim(), Some(at)),
                    _ => (decoded.trim(), None),
                };
                if !candidate.contains(char::is_whitespace)
                    && (candidate.starts_with("http://") || candidate.starts_with("https://"))
                {
                    recording_link = Some(RecordingLink::parse(candidate)?);
                    recording_at = at.map(RecordingTime::parse).transpose()?;
                    quote_fields = &quote_fields[..quote_fields.len() - 1];
                }
            }
        }
        let quote = Quote::parse(&mrkdwn::decode(&quote_fields.join("|")))?;
        Ok(Self { customer, area, quote, recording_link, recording_at, text: text.to_owned() })
    }
}

/// A quick capture as the command reads it: with its area, or without one
/// (the app then suggests areas).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Capture {
    /// `<customer> | <area> | <quote> [| <link>]`.
    Quick(QuickCapture),
    /// `<customer> | <quote>`.
    Unfiled(Unfiled),
}

impl Capture {
    /// Reads the escaped command text, once. A mistake is refused with its
    /// reason, the usage and what was typed, so nothing is lost.
    pub fn parse(text: &str) -> Result<Self, UserError> {
        if let Some(unfiled) = Unfiled::parse(text) {
            return unfiled.map(Self::Unfiled).map_err(|e| {
                UserError::new(format!(
                    "{} Usage: `/highlight <customer> | [<area> |] <quote>`, e.g. `/highlight Acme | chat | \"We need canned replies\"`.\n{}",
                    e.0,
                    echo(text)
                ))
            });
        }
        QuickCapture::parse(text).map(Self::Quick).map_err(|e| {
            UserError::new(format!(
                "{} Usage: `/highlight <customer> | <area> | <quote> [| <recording link> [@ 12:34]]`, e.g. \
                 `/highlight Acme | chat | \"We need canned replies\"`.\n{}",
                e.0,
                echo(text)
            ))
        })
    }

    /// The whole text as typed (Slack-escaped).
    pub fn text(&self) -> &str {
        match self {
            Self::Quick(c) => &c.text,
            Self::Unfiled(u) => &u.text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_fields_are_read_and_quotes_are_optional() {
        let c = QuickCapture::parse(r#"Acme | chat | "We need canned replies""#).expect("valid");
        assert_eq!(c.customer.display, "Acme");
        assert_eq!(c.area, "chat");
        assert_eq!(c.quote.as_str(), "We need canned replies");
        assert_eq!(c.recording_link, None);
        let c = QuickCapture::parse("  Acme Corp|  chat   |We need canned replies   ").expect("valid");
        assert_eq!(c.customer.display, "Acme Corp");
        assert_eq!(c.quote.as_str(), "We need canned replies");
        let c = QuickCapture::parse("Acme | chat | “Curly quotes”").expect("valid");
        assert_eq!(c.quote.as_str(), "Curly quotes");
    }

    #[test]
    fn the_quote_may_contain_bars_and_end_with_a_recording_link() {
        let c =
            QuickCapture::parse("Acme | chat | either A | or B | <https://zoom.us/rec/play/1?t=30>").expect("valid");
        assert_eq!(c.quote.as_str(), "either A | or B");
        assert_eq!(c.recording_link.expect("link").as_str(), "https://zoom.us/rec/play/1?t=30");
        let c = QuickCapture::parse("Acme | chat | see <https://x.io/a|the doc> please").expect("valid");
        assert_eq!(c.quote.as_str(), "see the doc (https://x.io/a) please");
        assert_eq!(c.recording_link, None);
    }

    #[test]
    fn a_recording_link_may_carry_the_moment() {
        let c = QuickCapture::parse("Acme | chat | We need it | <https://youtu.be/abc> @ 12:34").expect("valid");
        assert_eq!(c.recording_link.expect("link").as_str(), "https://youtu.be/abc");
        assert_eq!(c.recording_at.map(|t| t.seconds()), Some(754));
        let c = QuickCapture::parse("Acme | chat | We need it | <https://youtu.be/abc>@1:02:03").expect("valid");
        assert_eq!(c.recording_at.map(|t| t.seconds()), Some(3723));
        let err =
            QuickCapture::parse("Acme | chat | We need it | <https://youtu.be/abc> @ 12:345").expect_err("bad time");
        assert!(err.0.contains("12:34 or 1:02:03"), "{}", err.0);
        // Not a link then a time: all of it is the quote.
        let c = QuickCapture::parse("Acme | chat | meet | @ 12:30 tomorrow").expect("valid");
        assert_eq!(c.quote.as_str(), "meet | @ 12:30 tomorrow");
        assert_eq!(c.recording_at, None);
    }

    #[test]
    fn slack_escapes_are_decoded() {
        let c = QuickCapture::parse("Tom &amp; Co | chat | &lt;!channel&gt; is &lt;b&gt;bold&lt;/b&gt; <@U1|bob>")
            .expect("valid");
        assert_eq!(c.customer.display, "Tom & Co");
        assert_eq!(c.quote.as_str(), "<!channel> is <b>bold</b> @bob");
    }

    #[test]
    fn wrong_shapes_are_refused_with_a_reason() {
        for (text, reason) in [
            ("Acme | chat", "three parts"),
            ("Acme", "three parts"),
            (" | chat | hi", "customer name is empty"),
            ("Acme |  | hi", "area is empty"),
            ("Acme | chat |   ", "quote is empty"),
            ("Acme | chat | \"\"", "quote is empty"),
        ] {
            let err = QuickCapture::parse(text).expect_err(text);
            assert!(err.0.contains(reason), "{text}: {}", err.0);
        }
    }
}
