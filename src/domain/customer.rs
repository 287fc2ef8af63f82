//! Who said it: a customer's name ([`CustomerName`]) and the key that makes
//! "Acme", "acme inc." and "Acme Corp" one customer (docs/design.md, Concepts).

use unicode_normalization::UnicodeNormalization as _;
use unicode_properties::UnicodeGeneralCategory as _;

use crate::error::UserError;
use crate::slack::mrkdwn;

/// Legal suffixes folded away at the end of a company name.
const LEGAL_SUFFIXES: &[&str] = &[
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "company",
    "ltd",
    "limited",
    "llc",
    "llp",
    "plc",
    "gmbh",
    "ag",
    "sa",
    "sas",
    "sarl",
    "bv",
    "nv",
    "pty",
    "oy",
    "ab",
];

/// Longest customer name we keep.
pub const MAX_NAME_CHARS: usize = 100;

/// The key a customer is matched by: lowercase words of letters and digits,
/// without trailing legal suffixes (unless nothing else is left).
pub fn customer_key(name: &str) -> String {
    // One spelling per name: compatibility-composed (NFKC: "é" typed either
    // way, full-width letters, ligatures), without invisible format
    // characters (a zero-width space pasted from a document).
    let composed: String =
        name.nfkc().filter(|c| c.general_category() != unicode_properties::GeneralCategory::Format).collect();
    let lowered = composed.to_lowercase();
    let cleaned: String = lowered
        .chars()
        .filter(|c| !matches!(c, '\'' | '’' | '`'))
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let mut words: Vec<&str> = cleaned.split_whitespace().collect();
    // "Acme Pty Ltd", "Acme Co., Ltd.": fold every trailing suffix, keep one word at least.
    while words.len() > 1 && words.last().is_some_and(|w| LEGAL_SUFFIXES.contains(w)) {
        words.pop();
    }
    // "S.A." and "B.V." arrive as single letters: fold those pairs too.
    while words.len() > 2 {
        let n = words.len();
        let pair = format!("{}{}", words[n - 2], words[n - 1]);
        if words[n - 2].len() == 1 && words[n - 1].len() == 1 && LEGAL_SUFFIXES.contains(&pair.as_str()) {
            words.truncate(n - 2);
        } else {
            break;
        }
    }
    words.join(" ")
}

/// A customer name as typed: trimmed, at most [`MAX_NAME_CHARS`], with a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerName {
    /// The name to show, as the user wrote it.
    pub display: String,
    /// The normalized key.
    pub key: String,
}

impl CustomerName {
    /// Validates a decoded name.
    pub fn parse(raw: &str) -> Result<Self, UserError> {
        let display = super::one_space(raw);
        if display.is_empty() {
            return Err(UserError::new("The customer name is empty."));
        }
        if display.chars().count() > MAX_NAME_CHARS {
            return Err(UserError::new(format!("The customer name is over {MAX_NAME_CHARS} characters.")));
        }
        let key = customer_key(&display);
        if key.is_empty() {
            return Err(UserError::new(format!(
                "“{}” has no letters or digits to recognise a customer by.",
                mrkdwn::escape(&display)
            )));
        }
        Ok(Self { display, key })
    }

    /// Validates a name as Slack sent it in a command (mrkdwn-escaped:
    /// `Acme &amp; Co` is `Acme & Co`), so the feature looks up the name
    /// people see.
    pub fn parse_mrkdwn(text: &str) -> Result<Self, UserError> {
        Self::parse(&mrkdwn::decode(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_names_normalize_to_one_key() {
        let cases = [
            ("Acme", "acme"),
            ("acme inc.", "acme"),
            ("Acme Corp", "acme"),
            (" ACME ", "acme"),
            ("Acme, Inc.", "acme"),
            ("Acme Corporation", "acme"),
            ("ACME Co., Ltd.", "acme"),
            ("Acme Pty Ltd", "acme"),
            ("Acme GmbH", "acme"),
            ("Acme AG", "acme"),
            ("Acme S.A.", "acme"),
            ("Acme SAS", "acme"),
            ("Acme B.V.", "acme"),
            ("Acme N.V.", "acme"),
            ("Acme Oy", "acme"),
            ("Acme AB", "acme"),
            ("Acme PLC", "acme"),
            ("Acme LLC", "acme"),
            ("Acme LLP", "acme"),
            ("Acme SARL", "acme"),
            ("Acme Limited", "acme"),
            ("McDonald's", "mcdonalds"),
            ("Ben & Jerry's", "ben jerrys"),
            ("Procter  &  Gamble Co", "procter gamble"),
            ("The Company", "the"),
            ("Company", "company"),
            ("Société Générale S.A.", "société générale"),
            ("X.AI Corp", "x ai"),
            ("3M", "3m"),
            ("Inc", "inc"),
        ];
        for (name, key) in cases {
            assert_eq!(customer_key(name), key, "{name}");
        }
    }

    #[test]
    fn one_name_spelled_in_different_unicode_forms_is_one_key() {
        let composed = "Soci\u{e9}t\u{e9} G\u{e9}n\u{e9}rale";
        let decomposed = "Socie\u{301}te\u{301} Ge\u{301}ne\u{301}rale";
        assert_eq!(customer_key(decomposed), customer_key(composed));
        assert_eq!(customer_key("Ac\u{200b}me"), "acme", "zero-width space");
        assert_eq!(customer_key("\u{feff}Acme\u{2060}"), "acme", "byte order mark, word joiner");
        assert_eq!(customer_key("\u{ff21}\u{ff43}\u{ff4d}\u{ff45}"), "acme", "full-width letters");
    }

    #[test]
    fn names_are_validated() {
        assert_eq!(CustomerName::parse("  Acme   Corp ").expect("valid").display, "Acme Corp");
        assert!(CustomerName::parse("   ").is_err());
        assert!(CustomerName::parse("!!!").is_err());
        assert!(CustomerName::parse(&"a".repeat(101)).is_err());
    }

    #[test]
    fn names_as_slack_sends_them_are_decoded_then_validated() {
        let name = CustomerName::parse_mrkdwn("  Acme &amp;   Co ").expect("valid");
        assert_eq!((name.display.as_str(), name.key.as_str()), ("Acme & Co", "acme"));
        assert_eq!(CustomerName::parse_mrkdwn("Q&amp;A &lt;Labs&gt;").expect("valid").display, "Q&A <Labs>");
        assert_eq!(CustomerName::parse_mrkdwn(" \t "), Err(UserError::new("The customer name is empty.")));
        // Counted once decoded: each `&amp;` is one character.
        assert!(CustomerName::parse_mrkdwn(&format!("a{}", "&amp;".repeat(99))).is_ok());
        assert_eq!(
            CustomerName::parse_mrkdwn(&"a".repeat(101)),
            Err(UserError::new("The customer name is over 100 characters."))
        );
        let refusal = CustomerName::parse_mrkdwn("&lt;!&gt;").expect_err("no letters");
        assert_eq!(refusal.0, "“&lt;!&gt;” has no letters or digits to recognise a customer by.");
    }
}
