//! Slack's ids, checked for shape where a payload is read, so that nothing
//! of another shape reaches a key of the database (PostgreSQL refuses an
//! index entry past 2,704 bytes; SQLite would keep it): a delivery carrying
//! one is a [`AppError::BadRequest`], the same on both backends.
//!
//! Slack writes its ids in capitals and digits, starting with a capital that
//! says what the id names (`T` workspace, `E` organisation, `U`/`W` user,
//! `B` bot, `C`/`G`/`D` conversation, `A` app, `V` view…), event ids start
//! with `Ev`, and a message is named by its `ts` (`1700000000.000100`).
//! Slack documents no length; today's ids are 9 to 12 characters, and
//! [`MAX_ID_LEN`] leaves room for them to grow.

use crate::error::AppError;

/// Longest id accepted.
pub const MAX_ID_LEN: usize = 64;

/// Longest message `ts` accepted (`1700000000.000100` is 17).
pub const MAX_TS_LEN: usize = 32;

fn malformed(field: &str, what: &str) -> AppError {
    AppError::BadRequest(format!("malformed {field}: not a Slack {what}"))
}

fn capitals_and_digits(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// A Slack object id (workspace, organisation, user, conversation, view…):
/// a capital letter, then 1 to [`MAX_ID_LEN`]` - 1` capitals and digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SlackId(String);

impl SlackId {
    /// Checks `raw`, the value of `field` in a payload (named in the refusal).
    pub fn parse(field: &str, raw: &str) -> Result<Self, AppError> {
        let well_formed = raw.as_bytes().first().is_some_and(u8::is_ascii_uppercase)
            && (2..=MAX_ID_LEN).contains(&raw.len())
            && capitals_and_digits(raw);
        if well_formed {
            Ok(Self(raw.to_owned()))
        } else {
            Err(malformed(field, "id"))
        }
    }

    /// The id as Slack writes it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<SlackId> for String {
    fn from(id: SlackId) -> Self {
        id.0
    }
}

/// An Events API delivery's id: `Ev`, then 1 to [`MAX_ID_LEN`]` - 2`
/// capitals and digits (`Ev0PV52K21`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EventId(String);

impl EventId {
    /// Checks `raw`, the value of `field` in a payload.
    pub fn parse(field: &str, raw: &str) -> Result<Self, AppError> {
        match raw.strip_prefix("Ev") {
            Some(rest) if !rest.is_empty() && raw.len() <= MAX_ID_LEN && capitals_and_digits(rest) => {
                Ok(Self(raw.to_owned()))
            }
            _ => Err(malformed(field, "event id")),
        }
    }

    /// The id as Slack writes it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<EventId> for String {
    fn from(id: EventId) -> Self {
        id.0
    }
}

/// A message's `ts`: seconds, a dot, then a sequence (`1700000000.000100`),
/// at most [`MAX_TS_LEN`] characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageTs(String);

impl MessageTs {
    /// Checks `raw`, the value of `field` in a payload.
    pub fn parse(field: &str, raw: &str) -> Result<Self, AppError> {
        let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        match raw.split_once('.') {
            Some((seconds, sequence)) if raw.len() <= MAX_TS_LEN && digits(seconds) && digits(sequence) => {
                Ok(Self(raw.to_owned()))
            }
            _ => Err(malformed(field, "message ts")),
        }
    }

    /// The `ts` as Slack writes it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<MessageTs> for String {
    fn from(ts: MessageTs) -> Self {
        ts.0
    }
}

/// `raw` checked as a [`SlackId`], kept as text.
pub fn id(field: &str, raw: &str) -> Result<String, AppError> {
    SlackId::parse(field, raw).map(String::from)
}

/// An optional id: absent or empty (Slack sends `enterprise_id=` outside
/// Enterprise Grid) is none; anything else must be a [`SlackId`].
pub fn optional_id(field: &str, raw: Option<&str>) -> Result<Option<String>, AppError> {
    raw.filter(|raw| !raw.is_empty()).map(|raw| id(field, raw)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_ids_of_every_kind_are_accepted() {
        for good in ["T0TEAM0001", "E0ORG00001", "U0USER0001", "W012A3CDE", "B0BOT00001", "C0CHAN0001", "G8PSS9T3V"] {
            assert_eq!(SlackId::parse("id", good).expect(good).as_str(), good);
        }
        for good in ["D0DMCHAN01", "A0APP00001", "V0VIEW0001", "U1", &format!("U{}", "0".repeat(63))] {
            assert!(SlackId::parse("id", good).is_ok(), "{good}");
        }
        for good in ["Ev0PV52K21", "Ev0EVENT0001", "Ev1"] {
            assert_eq!(EventId::parse("event_id", good).expect(good).as_str(), good);
        }
        for good in ["1700000000.000100", "1715000075.000800", "1.2"] {
            assert_eq!(MessageTs::parse("ts", good).expect(good).as_str(), good);
        }
    }

    #[test]
    fn anything_else_is_a_short_bad_request_naming_the_field() {
        let long = format!("U{}", "0".repeat(3000));
        for bad in ["", "U", "u0user0001", "0USER", "U0 USER", "U0USER\u{0}", "U0USÉR", "../x", long.as_str()] {
            let err = SlackId::parse("event.user", bad).expect_err(bad);
            assert!(matches!(&err, AppError::BadRequest(m) if m == "malformed event.user: not a Slack id"), "{err:?}");
        }
        let long = format!("Ev{}", "0".repeat(3000));
        for bad in ["", "Ev", "EV0001", "ev0001", "Ev0abc", "U0USER0001", long.as_str()] {
            assert!(EventId::parse("event_id", bad).is_err(), "{bad:?}");
        }
        let long = format!("1700000000.{}", "0".repeat(3000));
        for bad in ["", "1700000000", ".1", "1.", "1.2.3", "17e9.1", "-1.2", "1700000000.000100 ", long.as_str()] {
            assert!(MessageTs::parse("ts", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_absent_or_empty_optional_id_is_none() {
        assert_eq!(optional_id("enterprise_id", None).expect("none"), None);
        assert_eq!(optional_id("enterprise_id", Some("")).expect("none"), None);
        assert_eq!(optional_id("enterprise_id", Some("E0ORG00001")).expect("id").as_deref(), Some("E0ORG00001"));
        assert!(optional_id("enterprise_id", Some("e0org")).is_err());
    }
}
