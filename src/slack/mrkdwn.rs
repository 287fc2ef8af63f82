//! Slack's text formats, both ways. Command text arrives escaped by Slack
//! (`should_escape: true`): `&amp;`, `&lt;`, `&gt;`, and `<…>` entities for
//! mentions and links. [`decode`] turns it into the plain text we store;
//! [`escape`] makes stored text safe to show in mrkdwn, so a quote containing
//! `<!channel>` pings nobody.
//! See <https://docs.slack.dev/messaging/formatting-message-text>.

/// Escapes `&`, `<` and `>` so text shows literally in mrkdwn.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// A link in mrkdwn, `<url|label>`, with both parts made safe. Only web
/// links become links: anything else inside `<…>` could be a mention
/// (`<!channel|x>`, `<@U1|x>`), so it is shown as text beside the label.
pub fn link(url: &str, label: &str) -> String {
    let label = escape(label).replace('|', "¦");
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return format!("{label} ({})", escape(url));
    }
    let url = escape(url).replace('|', "%7C");
    format!("<{url}|{label}>")
}

/// Turns Slack-escaped text into plain text:
/// `<@U123|alice>` → `@alice`, `<#C123|general>` → `#general`,
/// `<https://x.io|x>` → `x (https://x.io)`, `<https://x.io>` → `https://x.io`,
/// `<!channel>` → `@channel`, then `&lt;` `&gt;` `&amp;` → `<` `>` `&`.
pub fn decode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&unescape(&rest[..start]));
        let after = &rest[start + 1..];
        match after.find('>') {
            Some(end) => {
                out.push_str(&decode_entity(&after[..end]));
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&unescape(&rest[start..]));
                rest = "";
            }
        }
    }
    out.push_str(&unescape(rest));
    out
}

fn decode_entity(inner: &str) -> String {
    let (target, label) = match inner.split_once('|') {
        Some((t, l)) => (t, Some(unescape(l))),
        None => (inner, None),
    };
    match target.chars().next() {
        Some('@') => match label {
            Some(l) => format!("@{}", l.trim_start_matches('@')),
            None => target.to_owned(),
        },
        Some('#') => match label {
            Some(l) => format!("#{}", l.trim_start_matches('#')),
            None => target.to_owned(),
        },
        Some('!') => {
            let special = target.trim_start_matches('!');
            match (label, special.split('^').next()) {
                (Some(l), _) => l,
                (None, Some(name)) => format!("@{name}"),
                (None, None) => target.to_owned(),
            }
        }
        _ => {
            let url = unescape(target);
            let url = url.strip_prefix("mailto:").unwrap_or(&url).to_owned();
            match label {
                Some(l) if l != url => format!("{l} ({url})"),
                _ => url,
            }
        }
    }
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// The ID inside a Slack mention, e.g. `U123` from `<@U123|alice>`, or `C1`
/// from `<#C1|general>`; `sigil` is `@` or `#`.
pub fn mention_id(text: &str, sigil: char) -> Option<String> {
    let inner = text.trim().strip_prefix('<')?.strip_suffix('>')?;
    let id = inner.strip_prefix(sigil)?;
    let id = id.split('|').next()?;
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| id.to_owned())
}

/// Whom a command is about: the person typing it, or someone they @mentioned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    /// The person typing.
    Me,
    /// A user id, from an @mention.
    User(String),
}

impl Who {
    /// The user id (`by`, the person typing, for [`Who::Me`]).
    pub fn id(&self, by: &str) -> String {
        match self {
            Self::Me => by.to_owned(),
            Self::User(id) => id.clone(),
        }
    }

    /// Nothing or `me` is the person typing; else an @mention, or `usage`.
    pub fn me_or_mention(text: &str, usage: &'static str) -> Result<Self, crate::error::UserError> {
        if text.trim().is_empty() || text.trim().eq_ignore_ascii_case("me") {
            return Ok(Self::Me);
        }
        mention_id(text, '@').map(Self::User).ok_or_else(|| crate::error::UserError::new(usage))
    }
}

/// "1 highlight", "2 highlights".
pub fn count(n: impl Into<i64>, singular: &str, plural: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { singular } else { plural })
}

/// Splits at the last `separator` (ASCII, matched case-insensitively) into two
/// non-empty trimmed parts. Offsets stay those of `text`, whatever its script.
pub fn split_last_ignore_case(text: &str, separator: &str) -> Option<(String, String)> {
    let (hay, needle) = (text.as_bytes(), separator.as_bytes());
    let at = (0..=hay.len().checked_sub(needle.len())?)
        .rev()
        .find(|&i| hay[i..i + needle.len()].eq_ignore_ascii_case(needle))?;
    let (a, b) = (text.get(..at)?.trim(), text.get(at + needle.len()..)?.trim());
    (!a.is_empty() && !b.is_empty()).then(|| (a.to_owned(), b.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_neutralises_mentions_and_links() {
        assert_eq!(
            escape("<!channel> & <@U123> <https://x|y>"),
            "&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;https://x|y&gt;"
        );
        assert_eq!(escape("plain words"), "plain words");
    }

    #[test]
    fn slack_escaped_text_decodes_to_what_the_user_typed() {
        let cases = [
            ("We need canned replies", "We need canned replies"),
            ("Tom &amp; Jerry &lt;3 &gt; all", "Tom & Jerry <3 > all"),
            ("ask <@U0123ABCD|alice> now", "ask @alice now"),
            ("ask <@U0123ABCD>", "ask @U0123ABCD"),
            ("in <#C0123ABCD|product>", "in #product"),
            ("see <https://zoom.us/rec/1>", "see https://zoom.us/rec/1"),
            ("see <https://x.io/a?b=1&amp;c=2|the doc>", "see the doc (https://x.io/a?b=1&c=2)"),
            ("mail <mailto:a@b.co|a@b.co>", "mail a@b.co"),
            ("<!channel> hey <!here>", "@channel hey @here"),
            ("<!subteam^S123|@product-team> look", "@product-team look"),
            ("unclosed <tag", "unclosed <tag"),
            ("&amp;lt; stays literal", "&lt; stays literal"),
        ];
        for (input, expected) in cases {
            assert_eq!(decode(input), expected, "{input}");
        }
    }

    #[test]
    fn decoded_then_escaped_text_pings_nobody() {
        let typed = decode("&lt;!channel&gt; and &lt;@U123&gt;");
        assert_eq!(typed, "<!channel> and <@U123>");
        assert_eq!(escape(&typed), "&lt;!channel&gt; and &lt;@U123&gt;");
    }

    #[test]
    fn splitting_keeps_any_script_intact() {
        assert_eq!(split_last_ignore_case("İş into Äcme", " into "), Some(("İş".into(), "Äcme".into())));
        assert_eq!(
            split_last_ignore_case("Into Corp INTO Outof", " into "),
            Some(("Into Corp".into(), "Outof".into()))
        );
        assert_eq!(split_last_ignore_case("İ into ", " into "), None);
        assert_eq!(split_last_ignore_case("x", " into "), None);
    }

    #[test]
    fn links_escape_their_parts() {
        assert_eq!(link("https://x.io/a|b", "Rec <1>"), "<https://x.io/a%7Cb|Rec &lt;1&gt;>");
        // Found by fuzzing: `<!channel|Recording>` would ping the channel.
        assert_eq!(link("!channel", "Recording"), "Recording (!channel)");
        assert_eq!(link("@U123", "x"), "x (@U123)");
    }

    #[test]
    fn mention_ids_are_read_from_escaped_mentions() {
        assert_eq!(mention_id("<#C0123ABCD|product>", '#'), Some("C0123ABCD".into()));
        assert_eq!(mention_id(" <#C0123ABCD> ", '#'), Some("C0123ABCD".into()));
        assert_eq!(mention_id("<@U1|a>", '@'), Some("U1".into()));
        assert_eq!(mention_id("#product", '#'), None);
        assert_eq!(mention_id("<@U1|a>", '#'), None);
    }
}
