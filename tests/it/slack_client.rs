//! The Web API client against the fake Slack: real HTTP on loopback, and each
//! of Slack's failure shapes surfacing as the error the outbox acts on.

use std::time::Duration;

use highlights::config::Secret;
use highlights::slack::blocks::Message;
use highlights::slack::client::{SlackApi, SlackError};
use highlights::slack::rate::RateLimit;
use serde_json::json;

use crate::support::fake_slack::{FakeSlack, Fault, BOT_TOKEN};

fn message() -> Message {
    Message {
        text: "We need canned replies".into(),
        blocks: vec![json!({ "type": "section", "text": { "type": "mrkdwn", "text": ">We need canned replies" } })],
    }
}

fn api(slack: &FakeSlack, token: &str) -> SlackApi {
    SlackApi::new(&slack.api_url(), Some(&Secret::new(token)), Duration::from_millis(500))
}

#[tokio::test]
async fn calls_carry_the_bot_token_and_their_arguments() {
    let slack = FakeSlack::start().await;
    let api = api(&slack, BOT_TOKEN);
    let ts = api
        .post_message("C0PRODUCT1", Some("1700000000.000100"), true, &message(), Some("highlight:1"))
        .await
        .expect("posted");
    assert!(!ts.is_empty());
    let calls = slack.calls_to("chat.postMessage");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].authorization.as_deref(), Some(format!("Bearer {BOT_TOKEN}").as_str()));
    assert_eq!(calls[0].args["channel"], "C0PRODUCT1");
    assert_eq!(calls[0].args["text"], "We need canned replies");
    assert_eq!(calls[0].args["thread_ts"], "1700000000.000100");
    assert_eq!(calls[0].args["reply_broadcast"], true);
    assert_eq!(calls[0].args["blocks"][0]["text"]["text"], ">We need canned replies");
    assert_eq!(calls[0].args["metadata"]["event_type"], "highlights_post");
    assert_eq!(calls[0].args["metadata"]["event_payload"]["key"], "highlight:1");
}

#[tokio::test]
async fn posts_keep_to_slacks_pace_per_channel() {
    let slack = FakeSlack::start().await;
    // Slack's budget twenty times over: a burst of 20, then one post per 50 ms.
    let api = api(&slack, BOT_TOKEN).paced(20);
    let msg = message();
    let mut posts = tokio::task::JoinSet::new();
    for _ in 0..70 {
        let (api, msg) = (api.clone(), msg.clone());
        posts.spawn(async move { api.post_message("C1", None, false, &msg, None).await });
    }
    let results = posts.join_all().await;
    // Turns further than MAX_WAIT (2 s, 40 turns) away are not taken: those
    // calls are not sent, and say when to come back.
    let refused: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(refused.len(), 10, "{refused:?}");
    for err in refused {
        let SlackError::RateLimited(limit) = err else { panic!("{err:?}") };
        assert!(!limit.from_slack && limit.retry_after > Duration::from_secs(2), "{limit:?}");
    }
    let mut at: Vec<i64> = slack.calls_to("chat.postMessage").iter().map(|c| c.at_ms).collect();
    assert_eq!(at.len(), 60);
    at.sort();
    // Within any stretch of time, at most the burst plus one post per 50 ms
    // (half a turn of slack: a call reaches the fake a few ms after its turn).
    for (i, first) in at.iter().enumerate() {
        for (j, last) in at.iter().enumerate().skip(i) {
            let allowed = 20 + (last - first + 25) / 50;
            assert!((j - i + 1) as i64 <= allowed, "{} posts in {} ms: {at:?}", j - i + 1, last - first);
        }
    }
    // Another channel is not held back by this one.
    let started = std::time::Instant::now();
    api.post_message("C2", None, false, &msg, None).await.expect("posted");
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn a_failed_connection_says_why() {
    // A loopback port nothing listens on: the connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let api =
        SlackApi::new(&format!("http://127.0.0.1:{port}/api"), Some(&Secret::new(BOT_TOKEN)), Duration::from_secs(5));
    let err = api.auth_test().await.expect_err("nothing listens");
    let SlackError::Transport(why) = &err else { panic!("{err:?}") };
    assert!(why.to_lowercase().contains("refused"), "{why}");
    assert!(!why.contains(BOT_TOKEN), "{why}");
    assert!(err.is_transient());
}

#[tokio::test]
async fn a_wrong_token_is_refused_like_slack_does() {
    let slack = FakeSlack::start().await;
    let err = api(&slack, "xoxb-wrong").auth_test().await.expect_err("refused");
    assert_eq!(err, SlackError::Api("invalid_auth".into()));
    assert!(!err.is_transient());
}

#[tokio::test]
async fn each_failure_shape_surfaces_as_its_own_error() {
    let slack = FakeSlack::start().await;
    let api = api(&slack, BOT_TOKEN);
    let msg = message();
    let post = || api.post_message("C2", None, false, &msg, None);

    slack.fail_next("chat.postMessage", Fault::RateLimited { retry_after_secs: 7 }, 1);
    let err = api.post_message("C1", None, false, &msg, None).await.expect_err("429");
    let limited = RateLimit {
        method: "chat.postMessage",
        scope: "C1".into(),
        retry_after: Duration::from_secs(7),
        from_slack: true,
    };
    assert_eq!(err, SlackError::RateLimited(limited));
    assert!(err.is_transient());
    // The channel is paused: the next post there is held back, unsent; other channels post on.
    match api.post_message("C1", None, false, &msg, None).await.expect_err("paused") {
        SlackError::RateLimited(limit) => {
            assert!(!limit.from_slack && limit.retry_after <= Duration::from_secs(7), "{limit:?}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(slack.calls_to("chat.postMessage").len(), 1);

    slack.fail_next("chat.postMessage", Fault::Status(503), 1);
    let err = post().await.expect_err("503");
    assert_eq!(err, SlackError::Http(503));
    assert!(err.is_transient());

    slack.fail_next("chat.postMessage", Fault::Error("not_in_channel"), 1);
    let err = post().await.expect_err("not_in_channel");
    assert_eq!(err, SlackError::Api("not_in_channel".into()));
    assert!(!err.is_transient());

    slack.fail_next("chat.postMessage", Fault::Hang, 1);
    let err = post().await.expect_err("hang");
    assert_eq!(err, SlackError::Timeout(Duration::from_millis(500)));
    assert!(err.is_transient());

    slack.fail_next("chat.postMessage", Fault::Unreadable, 1);
    let err = post().await.expect_err("unreadable");
    assert_eq!(err, SlackError::Unreadable);
    assert!(!err.is_transient(), "Slack said ok: retrying would post twice");

    // After the faults, Slack answers normally again.
    post().await.expect("posted");
    assert_eq!(slack.calls_to("chat.postMessage").len(), 6);
}
