//! Onboarding targets as people set them: the built-in ones, and the
//! `key=value` words (`interviews=20 days=14`) of `HIGHLIGHTS_ONBOARDING_TARGETS`
//! and of `/highlight onboard`, applied over them.

use crate::config::Targets;

/// The targets when `HIGHLIGHTS_ONBOARDING_TARGETS` is unset.
pub const BUILT_IN_TARGETS: Targets = Targets { interviews: 20, feedback: 100, tickets: 50, days: 30 };

/// One onboarding target an enrollment may set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `interviews=`.
    Interviews,
    /// `feedback=`.
    Feedback,
    /// `tickets=`.
    Tickets,
    /// `days=`.
    Days,
}

/// `key=value` words, read: each target set, with its number, in the order typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetOverrides(pub Vec<(Target, i64)>);

impl TargetOverrides {
    /// Reads `key=value` words (`interviews`, `feedback`, `tickets`, `days`),
    /// each a whole number from 1 to 10,000 (days: 1 to 366).
    pub fn parse(words: &str) -> Result<Self, String> {
        let mut read = Vec::new();
        for word in words.split(|c: char| c.is_whitespace() || c == ',').filter(|w| !w.is_empty()) {
            let Some((key, value)) = word.split_once('=') else {
                return Err(format!("expects key=value words such as interviews=20, not {word:?}"));
            };
            let n: i64 = value.trim().parse().map_err(|_| format!("{key}={value}: not a whole number"))?;
            let max = if key == "days" { 366 } else { 10_000 };
            if !(1..=max).contains(&n) {
                return Err(format!("{key}={value}: must be from 1 to {max}"));
            }
            let target = match key.trim().to_lowercase().as_str() {
                "interviews" => Target::Interviews,
                "feedback" => Target::Feedback,
                "tickets" => Target::Tickets,
                "days" => Target::Days,
                other => return Err(format!("unknown target {other:?} (interviews, feedback, tickets, days)")),
            };
            read.push((target, n));
        }
        Ok(Self(read))
    }
}

impl Targets {
    /// These targets with `overrides` applied, in order.
    pub fn with(mut self, overrides: &TargetOverrides) -> Self {
        for &(target, n) in &overrides.0 {
            match target {
                Target::Interviews => self.interviews = n,
                Target::Feedback => self.feedback = n,
                Target::Tickets => self.tickets = n,
                Target::Days => self.days = n,
            }
        }
        self
    }

    /// Applies `key=value` words (see [`TargetOverrides::parse`]).
    pub fn with_overrides(self, words: &str) -> Result<Self, String> {
        Ok(self.with(&TargetOverrides::parse(words)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_take_overrides_and_refuse_nonsense() {
        let t = BUILT_IN_TARGETS.with_overrides("interviews=10, days=14").expect("valid");
        assert_eq!(t, Targets { interviews: 10, feedback: 100, tickets: 50, days: 14 });
        assert!(BUILT_IN_TARGETS.with_overrides("interviews=-1").is_err());
        assert!(BUILT_IN_TARGETS.with_overrides("days=400").is_err());
        assert!(BUILT_IN_TARGETS.with_overrides("calls=3").is_err());
        assert!(BUILT_IN_TARGETS.with_overrides("interviews").is_err());
    }
}
