//! The Slack ids the app keys its data by: a workspace's ([`TeamId`]), a
//! person's ([`UserId`]) and a channel's ([`ChannelId`]), each checked by one
//! `parse` wherever one is read from outside (settings, the command line,
//! webhooks, OAuth, requests), so that one rule says what each looks like.
//!
//! Slack writes its ids in capitals and digits, the first capital saying
//! what the id names. Slack documents no length; today's are 9 to 12
//! characters, and 3 to [`MAX_LEN`] leaves room for them to grow while
//! keeping anything longer out of the database's keys. (`slack::ids` checks
//! the other ids of a payload: views, bots, events, messages.)

use std::fmt;

/// Longest id accepted.
pub const MAX_LEN: usize = 32;

/// Shortest id accepted: the capital and two more.
pub const MIN_LEN: usize = 3;

/// Whether `raw` starts with one of `first` and is otherwise capitals and
/// digits, [`MIN_LEN`] to [`MAX_LEN`] long.
fn shaped(raw: &str, first: &[u8]) -> bool {
    raw.as_bytes().first().is_some_and(|b| first.contains(b))
        && (MIN_LEN..=MAX_LEN).contains(&raw.len())
        && raw.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Text that is not an id of the kind asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a Slack {kind} id")]
pub struct NotAnId {
    /// What was asked for: `team`, `user`, `channel`.
    pub kind: &'static str,
}

macro_rules! slack_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $first:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Checks `raw`, which is taken as it is (no trimming).
            pub fn parse(raw: &str) -> Result<Self, NotAnId> {
                if shaped(raw, $first) {
                    Ok(Self(raw.to_owned()))
                } else {
                    Err(NotAnId { kind: $kind })
                }
            }

            /// The id as Slack writes it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

slack_id!(
    /// A workspace (`T…`) or, on Enterprise Grid, an organisation (`E…`).
    TeamId,
    "team",
    b"TE"
);

slack_id!(
    /// A person: `U…`, or `W…` on Enterprise Grid.
    UserId,
    "user",
    b"UW"
);

slack_id!(
    /// A public (`C…`) or private (`G…`) channel.
    ChannelId,
    "channel",
    b"CG"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_takes_its_own_capitals() {
        for good in ["T0001", "T0TEAM0001", "E0ORG0001", "T012AB3C4"] {
            assert_eq!(TeamId::parse(good).expect(good).as_str(), good);
        }
        for good in ["U0USER0001", "W012A3CDE", "U0BOSS0001"] {
            assert_eq!(UserId::parse(good).expect(good).to_string(), good);
        }
        for good in ["C0CHAN0001", "G8PSS9T3V", "C0123ABCD"] {
            assert_eq!(String::from(ChannelId::parse(good).expect(good)), good);
        }
        assert_eq!(UserId::parse("T0TEAM0001"), Err(NotAnId { kind: "user" }));
        assert_eq!(ChannelId::parse("U0USER0001"), Err(NotAnId { kind: "channel" }));
        assert_eq!(TeamId::parse("C0CHAN0001").expect_err("a channel").to_string(), "not a Slack team id");
    }

    #[test]
    fn anything_else_is_refused() {
        let long = format!("U{}", "0".repeat(5000));
        for bad in ["", " ", "U", "U1", "u0user0001", "U0USER 01", " U0USER0001", "U0USER\0", "U0USÉR", "alice", &long]
        {
            assert!(UserId::parse(bad).is_err(), "{bad:?}");
        }
        let long = format!("T{}", "0".repeat(32));
        for bad in ["", " ", "T", "T1", "t0001", "U0001", "../../x", "T0001\0", "T00 01", "#product", &long] {
            assert!(TeamId::parse(bad).is_err(), "{bad:?}");
        }
        for bad in ["", "C1", "c0chan0001", "#product", "C0CHAN 01", "T0TEAM0001", &format!("C{}", "0".repeat(32))] {
            assert!(ChannelId::parse(bad).is_err(), "{bad:?}");
        }
    }
}
