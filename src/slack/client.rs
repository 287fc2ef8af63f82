//! The Slack Web API client: slack-morphism's client, pointed at `SLACK_API_URL`,
//! over a connector that speaks HTTPS with bundled roots and plain HTTP too (for
//! a local fake of Slack in tests).

use std::sync::Arc;

use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;

use crate::config::Secret;

/// slack-morphism's client over our connector.
pub type SlackHttpClient = SlackClient<SlackClientHyperConnector<SlackHyperHttpsConnector>>;

/// What the app needs to call Slack: the client and the bot token.
#[derive(Clone)]
pub struct SlackApi {
    client: Arc<SlackHttpClient>,
    token: SlackApiToken,
}

impl std::fmt::Debug for SlackApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackApi")
            .field("token", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl SlackApi {
    /// A client for the API at `api_url` (no trailing `/`) with a bot token.
    pub fn new(api_url: &str, bot_token: &Secret) -> Self {
        // ring is the only crypto provider compiled in; naming it keeps start-up
        // independent of the process-wide default and of the OS certificate store.
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .expect("ring supports the default TLS versions")
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .build();
        let connector = SlackClientHyperConnector::from(https).with_slack_api_url(api_url);
        Self {
            client: Arc::new(SlackClient::new(connector)),
            token: SlackApiToken::new(bot_token.expose().into()),
        }
    }

    /// A session for calls with the bot token.
    pub fn session(
        &self,
    ) -> SlackClientSession<'_, SlackClientHyperConnector<SlackHyperHttpsConnector>> {
        self.client.open_session(&self.token)
    }

    /// Checks the token (`auth.test`) and returns the team and bot user it belongs to.
    pub async fn auth_test(&self) -> Result<SlackApiAuthTestResponse, SlackClientError> {
        self.session().auth_test().await
    }
}

/// A short, log-safe description of a Slack call's failure (no response bodies,
/// which can carry tokens).
pub fn describe_error(error: &SlackClientError) -> String {
    match error {
        SlackClientError::ApiError(e) => format!("Slack answered error {}", e.code),
        SlackClientError::RateLimitError(e) => match e.retry_after {
            Some(after) => format!("rate limited by Slack, retry after {}s", after.as_secs()),
            None => "rate limited by Slack".to_owned(),
        },
        SlackClientError::HttpError(e) => format!("Slack answered HTTP {}", e.status_code),
        SlackClientError::HttpProtocolError(_) => {
            "cannot reach Slack (connection failed)".to_owned()
        }
        SlackClientError::ProtocolError(_) => "Slack's answer could not be read".to_owned(),
        _ => "Slack call failed".to_owned(),
    }
}
