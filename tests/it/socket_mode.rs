//! Socket Mode against the fake Slack's WebSocket: the app opens the
//! connection with its app-level token, and commands, interactions and events
//! delivered over it reach the same handlers as over HTTP.

use serde_json::json;

use crate::support::{TestApp, CHANNEL, PRODUCT_CHANNEL, TEAM, USER};

#[tokio::test]
async fn deliveries_over_socket_mode_are_handled_and_acknowledged() {
    let app = TestApp::spawn_with(crate::support::db::TestBackend::Sqlite, |args| {
        args.product_channel = Some(PRODUCT_CHANNEL.into());
        args.app_token = Some(crate::support::fake_slack::APP_TOKEN.into());
        args.socket_mode = true;
    })
    .await;
    let opened = app.slack.wait_for_ok_calls("apps.connections.open", 1).await;
    assert!(opened[0].authorization.as_deref().expect("auth").starts_with("Bearer xapp-"));

    let command = |id: &str, text: &str| {
        json!({
            "envelope_id": id, "type": "slash_commands", "accepts_response_payload": true,
            "payload": { "token": "t", "team_id": TEAM, "team_domain": "acme", "channel_id": CHANNEL,
                         "channel_name": "product", "user_id": USER, "user_name": "alice", "command": "/highlight",
                         "text": text, "api_app_id": "A0APP00001", "is_enterprise_install": "false",
                         "response_url": app.slack.response_url("socket"), "trigger_id": "1.2.3" },
        })
    };
    app.slack.socket_send(command("env-1", "help"));
    let ack = app.slack.socket_ack("env-1").await;
    assert_eq!(ack["payload"]["response_type"], "ephemeral", "{ack}");
    assert!(ack["payload"]["text"].as_str().expect("text").contains("/highlight areas add <name>"), "{ack}");

    app.slack.socket_send(command("env-2", "Acme | chat | over the socket"));
    let ack = app.slack.socket_ack("env-2").await;
    assert!(ack["payload"]["text"].as_str().expect("text").starts_with("✅ Saved for *Acme*"), "{ack}");
    let posts = app.slack.wait_for_ok_calls("chat.postMessage", 2).await;
    assert!(posts[1].args["blocks"].to_string().contains("over the socket"));

    let suggestion = json!({
        "envelope_id": "env-3", "type": "interactive", "accepts_response_payload": true,
        "payload": { "type": "block_suggestion", "action_id": "value", "block_id": "customer", "value": "ac",
                     "team": { "id": TEAM, "domain": "acme" }, "user": { "id": USER, "team_id": TEAM },
                     "api_app_id": "A0APP00001", "token": "t", "container": { "type": "view", "view_id": "V1" },
                     "view": { "type": "modal", "id": "V1", "team_id": TEAM,
                               "title": { "type": "plain_text", "text": "Capture" }, "blocks": [] } },
    });
    app.slack.socket_send(suggestion);
    let ack = app.slack.socket_ack("env-3").await;
    assert_eq!(ack["payload"]["options"][0]["text"]["text"], "Acme", "{ack}");

    let event = json!({
        "envelope_id": "env-4", "type": "events_api", "accepts_response_payload": false,
        "payload": { "token": "t", "team_id": TEAM, "api_app_id": "A0APP00001", "type": "event_callback",
                     "event_id": "Ev0SOCKET01", "event_time": 1715000000,
                     "event": { "type": "app_home_opened", "user": USER, "channel": "D0DMCHAN01", "tab": "home",
                                "event_ts": "1715000000.000100" } },
    });
    app.slack.socket_send(event);
    app.slack.socket_ack("env-4").await;
    let published = app.slack.wait_for_ok_calls("views.publish", 1).await;
    assert_eq!(published[0].args["user_id"], USER);
    assert_eq!(app.count("processed_events").await, 1);
}
