//! Product areas as commands name them: a new area's name ([`AreaName`],
//! validated) and an area named to be looked up ([`AreaRef`], any text:
//! an unknown one is answered with the closest known areas, by the feature).

use std::fmt;

use crate::error::UserError;
use crate::slack::mrkdwn;

/// Longest area name.
pub const MAX_AREA_CHARS: usize = 50;

/// A valid name for a new (or renamed) area: decoded, its runs of
/// whitespace made one space, 1 to [`MAX_AREA_CHARS`] characters, without
/// `|`, `<` or `>` (which would break a capture's fields or a message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaName(String);

impl AreaName {
    /// Validates a decoded name.
    pub fn parse(raw: &str) -> Result<Self, UserError> {
        let name = super::one_space(raw);
        if name.is_empty() {
            return Err(UserError::new("Give the area a name, e.g. `/highlight areas add analytics`."));
        }
        if name.chars().count() > MAX_AREA_CHARS {
            return Err(UserError::new(format!("Area names are at most {MAX_AREA_CHARS} characters.")));
        }
        if name.contains('|') || name.contains('<') || name.contains('>') {
            return Err(UserError::new("Area names can't contain `|`, `<` or `>`."));
        }
        Ok(Self(name))
    }

    /// Validates a name as Slack sent it in a command (mrkdwn-escaped).
    pub fn parse_mrkdwn(text: &str) -> Result<Self, UserError> {
        Self::parse(&mrkdwn::decode(text))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AreaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An area named in a command, to be looked up among the workspace's
/// areas: decoded from Slack's escaping and trimmed, not otherwise checked
/// (a name no area could have is simply unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaRef(String);

impl AreaRef {
    /// Reads a decoded name; `usage` is the refusal when nothing is left.
    pub fn parse(raw: &str, usage: &str) -> Result<Self, UserError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(UserError::new(usage));
        }
        Ok(Self(name.to_owned()))
    }

    /// Reads a name as Slack sent it in a command (mrkdwn-escaped).
    pub fn parse_mrkdwn(text: &str, usage: &str) -> Result<Self, UserError> {
        Self::parse(&mrkdwn::decode(text), usage)
    }

    /// The name as typed, decoded.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AreaRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_area_names_are_validated() {
        assert_eq!(AreaName::parse("  data   export ").expect("valid").as_str(), "data export");
        assert!(AreaName::parse("   ").is_err());
        assert!(AreaName::parse("").is_err());
        assert_eq!(AreaName::parse(&"a".repeat(50)).expect("at the limit").as_str().len(), 50);
        assert_eq!(AreaName::parse(&"a".repeat(51)), Err(UserError::new("Area names are at most 50 characters.")));
        assert!(AreaName::parse("a|b").is_err());
    }

    #[test]
    fn new_area_names_are_decoded_from_slack_escaping() {
        assert_eq!(AreaName::parse_mrkdwn(" Billing &amp; Plans ").expect("valid").as_str(), "Billing & Plans");
        assert_eq!(
            AreaName::parse_mrkdwn("a &lt;b&gt;"),
            Err(UserError::new("Area names can't contain `|`, `<` or `>`."))
        );
        // Counted once decoded: `&amp;` is one character.
        assert!(AreaName::parse_mrkdwn(&"&amp;".repeat(50)).is_ok());
    }

    #[test]
    fn area_references_are_decoded_and_trimmed_and_not_empty() {
        let usage = "Name the area.";
        assert_eq!(AreaRef::parse_mrkdwn("  Q&amp;A  ", usage).expect("named").as_str(), "Q&A");
        assert_eq!(AreaRef::parse_mrkdwn("data  export", usage).expect("named").as_str(), "data  export");
        assert_eq!(AreaRef::parse_mrkdwn(" \t ", usage), Err(UserError::new(usage)));
        assert_eq!(AreaRef::parse_mrkdwn("", usage), Err(UserError::new(usage)));
        // Looked up, not validated: a name no area could have is unknown, not refused here.
        assert!(AreaRef::parse_mrkdwn(&"x".repeat(80), usage).is_ok());
    }
}
