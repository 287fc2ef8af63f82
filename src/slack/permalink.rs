//! Permalinks without a Slack call per message. Within a workspace, Slack's
//! links share one shape: `<base>/archives/<channel>/p<ts without the dot>`,
//! and for a thread reply `?thread_ts=<parent ts>&cid=<channel>` after it.
//! A link is built here only from a pattern that reproduced, character for
//! character, a link Slack itself gave for a message of the same kind (a
//! top-level message or a thread reply) in the same workspace; until then,
//! or if Slack's shape ever differs, the caller asks `chat.getPermalink`.
//! A pattern is learned again after [`RELEARN_AFTER`] (a renamed workspace
//! changes its base).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a learned pattern is used before Slack is asked again.
pub const RELEARN_AFTER: Duration = Duration::from_secs(3600);

/// A message, as a permalink names it.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    /// Its channel's id.
    pub channel: &'a str,
    /// Its `ts`.
    pub ts: &'a str,
    /// The `ts` of its thread's parent, when it is a reply.
    pub thread_ts: Option<&'a str>,
}

impl Message<'_> {
    fn is_reply(&self) -> bool {
        self.thread_ts.is_some_and(|parent| parent != self.ts)
    }

    /// The link to this message under `base`.
    fn link(&self, base: &str) -> String {
        let link = format!("{base}/archives/{}/p{}", self.channel, self.ts.replace('.', ""));
        match self.thread_ts.filter(|_| self.is_reply()) {
            Some(parent) => format!("{link}?thread_ts={parent}&cid={}", self.channel),
            None => link,
        }
    }
}

/// A learned pattern: the links' base, and when it was learned.
type Pattern = (String, Instant);

/// The patterns learned, by workspace (its team id), for top-level messages
/// and for replies.
#[derive(Debug, Default)]
pub struct Permalinks {
    learned: Mutex<HashMap<String, [Option<Pattern>; 2]>>,
}

impl Permalinks {
    /// The message's permalink, if a pattern for its kind is known in the
    /// workspace (and recent).
    pub fn build(&self, workspace: &str, message: Message<'_>) -> Option<String> {
        let learned = self.learned.lock().expect("permalink patterns");
        let (base, at) = learned.get(workspace)?[usize::from(message.is_reply())].as_ref()?;
        (at.elapsed() < RELEARN_AFTER).then(|| message.link(base))
    }

    /// Notes the link Slack gave for `message`: its pattern is kept when it
    /// gives that same link back.
    pub fn learn(&self, workspace: &str, message: Message<'_>, link: &str) {
        let Some((base, _)) = link.split_once("/archives/") else {
            return;
        };
        let pattern = (message.link(base) == link).then(|| (base.to_owned(), Instant::now()));
        let mut learned = self.learned.lock().expect("permalink patterns");
        learned.entry(workspace.to_owned()).or_default()[usize::from(message.is_reply())] = pattern;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOP: Message = Message { channel: "C1H9RESGA", ts: "1358546515.000008", thread_ts: None };
    const REPLY: Message =
        Message { channel: "C1H9RESGA", ts: "1358546600.000100", thread_ts: Some("1358546515.000008") };

    #[test]
    fn a_link_is_built_only_from_one_slack_gave_for_the_same_kind_of_message() {
        let links = Permalinks::default();
        assert_eq!(links.build("T1", TOP), None, "nothing learned yet");
        // A top-level message's link, as Slack gives it.
        links.learn("T1", TOP, "https://ghostbusters.slack.com/archives/C1H9RESGA/p1358546515000008");
        let other = Message { channel: "C0OTHER", ts: "1700000000.123456", thread_ts: None };
        assert_eq!(
            links.build("T1", other).as_deref(),
            Some("https://ghostbusters.slack.com/archives/C0OTHER/p1700000000123456")
        );
        assert_eq!(links.build("T1", REPLY), None, "a reply's shape is not known yet");
        assert_eq!(links.build("T2", other), None, "another workspace has its own domain");

        links.learn(
            "T1",
            REPLY,
            "https://ghostbusters.slack.com/archives/C1H9RESGA/p1358546600000100?thread_ts=1358546515.000008&cid=C1H9RESGA",
        );
        let reply = Message { channel: "C0OTHER", ts: "1700000001.000002", thread_ts: Some("1700000000.123456") };
        assert_eq!(
            links.build("T1", reply).as_deref(),
            Some("https://ghostbusters.slack.com/archives/C0OTHER/p1700000001000002?thread_ts=1700000000.123456&cid=C0OTHER")
        );
        // A thread's parent is a top-level message.
        let parent = Message { thread_ts: Some(TOP.ts), ..TOP };
        assert_eq!(
            links.build("T1", parent).as_deref(),
            Some("https://ghostbusters.slack.com/archives/C1H9RESGA/p1358546515000008")
        );
    }

    #[test]
    fn a_link_of_another_shape_is_not_a_pattern_and_forgets_the_last_one() {
        let links = Permalinks::default();
        links.learn("T1", TOP, "https://ghostbusters.slack.com/archives/C1H9RESGA/p1358546515000008");
        assert!(links.build("T1", TOP).is_some());
        // Slack changed its shape: ask it again from now on.
        links.learn("T1", TOP, "https://ghostbusters.slack.com/archives/C1H9RESGA/p1358546515000008?v=2");
        assert_eq!(links.build("T1", TOP), None);
        // A reply's link without its thread is not the shape assumed either.
        links.learn("T1", REPLY, "https://ghostbusters.slack.com/archives/C1H9RESGA/p1358546600000100");
        assert_eq!(links.build("T1", REPLY), None);
        links.learn("T1", TOP, "https://ghostbusters.slack.com/messages/C1H9RESGA");
        assert_eq!(links.build("T1", TOP), None);
    }
}
