//! `manifest.yml`: valid against Slack's manifest schema, and every URL and
//! command in it is served by the app.

use serde_json::{json, Value};

use crate::support::{signer, TestApp, TEAM, USER};

fn manifest() -> Value {
    read_manifest("manifest.yml")
}

fn read_manifest(path: &str) -> Value {
    let text = std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).expect(path);
    serde_yaml::from_str(&text).expect("a manifest is YAML")
}

/// `highlights manifest …`, as the admin runs it, parsed.
fn printed_manifest(args: &[&str]) -> Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_highlights"))
        .arg("manifest")
        .args(args)
        .env_clear()
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_yaml::from_slice(&out.stdout).expect("a manifest is YAML")
}

fn schema_errors(manifest: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(include_str!("../fixtures/manifest.schema.1.0.0.json")).expect("schema");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    validator.iter_errors(manifest).map(|e| format!("{e} at {}", e.instance_path())).collect()
}

#[test]
fn the_printed_manifest_for_a_host_is_valid_and_every_url_is_on_that_host() {
    let printed = printed_manifest(&["--public-url", "https://hl.acme.io/"]);
    assert!(schema_errors(&printed).is_empty(), "{:#?}", schema_errors(&printed));
    let text = serde_json::to_string(&printed).expect("JSON");
    assert!(!text.contains("example.com"), "nothing left to replace: {text}");
    assert_eq!(printed["features"]["slash_commands"][0]["url"], "https://hl.acme.io/slack/commands");
    assert_eq!(printed["oauth_config"]["redirect_urls"], json!(["https://hl.acme.io/slack/oauth_redirect"]));
    assert_eq!(printed["settings"]["event_subscriptions"]["request_url"], "https://hl.acme.io/slack/events");
    // Everything else is manifest.yml's, scopes included.
    let mut expected = manifest();
    let as_text =
        serde_json::to_string(&expected).expect("JSON").replace("https://highlights.example.com", "https://hl.acme.io");
    expected = serde_json::from_str(&as_text).expect("JSON");
    assert_eq!(printed, expected);

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_highlights"))
        .args(["manifest", "--public-url", "hl.acme.io"])
        .env_clear()
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--public-url"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn the_socket_mode_manifest_is_valid_and_the_same_app_without_urls() {
    let variant = printed_manifest(&["--socket-mode"]);
    assert!(schema_errors(&variant).is_empty(), "{:#?}", schema_errors(&variant));
    assert_eq!(variant["settings"]["socket_mode_enabled"], true);
    assert!(!serde_json::to_string(&variant).expect("JSON").contains("https://"), "no URL to replace");
    // Everything else is the HTTP manifest's.
    let mut http = manifest();
    http["settings"]["socket_mode_enabled"] = json!(true);
    http["features"]["slash_commands"][0].as_object_mut().expect("command").remove("url");
    http["oauth_config"].as_object_mut().expect("oauth").remove("redirect_urls");
    http["settings"]["event_subscriptions"].as_object_mut().expect("events").remove("request_url");
    let interactivity = http["settings"]["interactivity"].as_object_mut().expect("interactivity");
    interactivity.remove("request_url");
    interactivity.remove("message_menu_options_url");
    assert_eq!(variant, http);
}

#[test]
fn the_manifest_sends_installers_back_to_the_oauth_route() {
    let urls = manifest()["oauth_config"]["redirect_urls"].clone();
    assert_eq!(urls, json!(["https://highlights.example.com/slack/oauth_redirect"]));
}

#[test]
fn the_manifest_is_valid_against_slacks_schema() {
    let schema: Value = serde_json::from_str(include_str!("../fixtures/manifest.schema.1.0.0.json")).expect("schema");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let manifest = manifest();
    let errors: Vec<String> =
        validator.iter_errors(&manifest).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");

    // The schema catches a broken manifest, so the check above means something.
    let mut broken = manifest.clone();
    broken["features"]["slash_commands"][0]["command"] = json!("highlight");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn the_manifest_declares_what_the_product_needs() {
    let m = manifest();
    let command = &m["features"]["slash_commands"][0];
    assert_eq!(command["command"], "/highlight");
    assert_eq!(command["should_escape"], true);
    let shortcuts: Vec<(&str, &str)> = m["features"]["shortcuts"]
        .as_array()
        .expect("shortcuts")
        .iter()
        .map(|s| (s["name"].as_str().expect("name"), s["type"].as_str().expect("type")))
        .collect();
    assert!(shortcuts.contains(&("Save as highlight", "message")));
    assert!(shortcuts.contains(&("Triage feedback", "message")));
    assert_eq!(m["features"]["app_home"]["home_tab_enabled"], true);
    let events: Vec<&str> = m["settings"]["event_subscriptions"]["bot_events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(events.contains(&"app_home_opened"));
    let scopes: Vec<&str> =
        m["oauth_config"]["scopes"]["bot"].as_array().expect("scopes").iter().filter_map(Value::as_str).collect();
    // The history scopes let a post whose answer was lost be looked up, not made twice.
    for needed in ["commands", "chat:write", "channels:join", "users:read", "channels:history", "groups:history"] {
        assert!(scopes.contains(&needed), "missing scope {needed}");
    }
    // A DM to a follower whose answer was lost is looked up in the app's conversation with them.
    for needed in ["im:write", "im:history"] {
        assert!(scopes.contains(&needed), "missing scope {needed}");
    }
    for excessive in ["chat:write.customize", "admin", "users:write"] {
        assert!(!scopes.contains(&excessive), "scope {excessive} is not needed");
    }
}

#[tokio::test]
async fn every_url_in_the_manifest_is_served() {
    let m = manifest();
    let app = TestApp::spawn().await;
    let urls = [
        ("command", m["features"]["slash_commands"][0]["url"].as_str().expect("url")),
        ("events", m["settings"]["event_subscriptions"]["request_url"].as_str().expect("url")),
        ("interactivity", m["settings"]["interactivity"]["request_url"].as_str().expect("url")),
        ("options", m["settings"]["interactivity"]["message_menu_options_url"].as_str().expect("url")),
    ];
    for (kind, url) in urls {
        let path = url::Url::parse(url).expect("absolute URL").path().to_owned();
        let (content_type, body) = match kind {
            "command" => ("application/x-www-form-urlencoded", app.slash_body("help")),
            "events" => {
                ("application/json", json!({"type": "url_verification", "challenge": "c", "token": "t"}).to_string())
            }
            "interactivity" | "options" => (
                "application/x-www-form-urlencoded",
                serde_urlencoded::to_string([(
                    "payload",
                    json!({
                        "type": "block_suggestion", "action_id": "customer", "block_id": "customer", "value": "ac",
                        "team": {"id": TEAM, "domain": "acme"}, "user": {"id": USER, "team_id": TEAM},
                        "api_app_id": "A0APP00001", "token": "t", "container": {"type": "view", "view_id": "V1"},
                        "view": {"type": "modal", "id": "V1", "team_id": TEAM,
                                 "title": {"type": "plain_text", "text": "Capture"}, "blocks": []}
                    })
                    .to_string(),
                )])
                .expect("form"),
            ),
            _ => unreachable!(),
        };
        let resp = app.post_signed(&path, content_type, body).await;
        assert_eq!(resp.status(), 200, "{kind} at {path}");
    }
    let _ = signer::now();
}
