//! The Web API client against the fake Slack: real HTTP on loopback, and each
//! of Slack's failure shapes surfacing as the error the outbox will act on.

use std::time::Duration;

use highlights::config::Secret;
use highlights::slack::client::{describe_error, SlackApi};
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;

use crate::support::fake_slack::{FakeSlack, Fault, BOT_TOKEN};

fn post(channel: &str) -> SlackApiChatPostMessageRequest {
    SlackApiChatPostMessageRequest::new(
        channel.into(),
        SlackMessageContent::new().with_text("We need canned replies".into()),
    )
}

#[tokio::test]
async fn calls_carry_the_bot_token_and_their_arguments() {
    let slack = FakeSlack::start().await;
    let api = SlackApi::new(&slack.api_url(), &Secret::new(BOT_TOKEN));
    let posted = api
        .session()
        .chat_post_message(&post("C0PRODUCT1"))
        .await
        .expect("posted");
    assert_eq!(posted.channel.to_string(), "C0PRODUCT1");
    let calls = slack.calls_to("chat.postMessage");
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].authorization.as_deref(),
        Some(format!("Bearer {BOT_TOKEN}").as_str())
    );
    assert_eq!(calls[0].args["channel"], "C0PRODUCT1");
    assert_eq!(calls[0].args["text"], "We need canned replies");
}

#[tokio::test]
async fn a_wrong_token_is_refused_like_slack_does() {
    let slack = FakeSlack::start().await;
    let api = SlackApi::new(&slack.api_url(), &Secret::new("xoxb-wrong"));
    let err = api.auth_test().await.expect_err("refused");
    assert!(
        matches!(err, SlackClientError::ApiError(ref e) if e.code == "invalid_auth"),
        "{err:?}"
    );
}

#[tokio::test]
async fn each_failure_shape_surfaces_as_its_own_error() {
    let slack = FakeSlack::start().await;
    let api = SlackApi::new(&slack.api_url(), &Secret::new(BOT_TOKEN));

    slack.fail_next(
        "chat.postMessage",
        Fault::RateLimited {
            retry_after_secs: 7,
        },
        1,
    );
    let err = api
        .session()
        .chat_post_message(&post("C1"))
        .await
        .expect_err("429");
    match &err {
        SlackClientError::RateLimitError(e) => {
            assert_eq!(e.retry_after, Some(Duration::from_secs(7)))
        }
        other => panic!("expected a rate limit, got {other:?}"),
    }
    assert_eq!(
        describe_error(&err),
        "rate limited by Slack, retry after 7s"
    );

    slack.fail_next("chat.postMessage", Fault::Status(503), 1);
    let err = api
        .session()
        .chat_post_message(&post("C1"))
        .await
        .expect_err("503");
    assert_eq!(
        describe_error(&err),
        "Slack answered HTTP 503 Service Unavailable"
    );

    slack.fail_next("chat.postMessage", Fault::Error("not_in_channel"), 1);
    let err = api
        .session()
        .chat_post_message(&post("C1"))
        .await
        .expect_err("not_in_channel");
    assert_eq!(describe_error(&err), "Slack answered error not_in_channel");

    slack.fail_next("chat.postMessage", Fault::Hang, 1);
    let hung = tokio::time::timeout(
        Duration::from_millis(300),
        api.session().chat_post_message(&post("C1")),
    )
    .await;
    assert!(
        hung.is_err(),
        "a hanging Slack must be cut off by the caller's timeout"
    );

    // After the faults, Slack answers normally again.
    api.session()
        .chat_post_message(&post("C1"))
        .await
        .expect("posted");
    assert_eq!(slack.calls_to("chat.postMessage").len(), 5);
}
