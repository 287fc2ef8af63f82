//! An egress proxy for the Web API: the connector under TLS that opens a
//! CONNECT tunnel through the proxy `HTTPS_PROXY` (or `HTTP_PROXY`,
//! `ALL_PROXY`) names for the destination, unless `NO_PROXY` lists it; a
//! direct connection when none is set. The rules are read as curl reads them,
//! by hyper-util's matcher.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper::Uri;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Connects to Slack directly or through the configured proxy.
#[derive(Clone)]
pub struct ProxyConnector {
    direct: HttpConnector,
    proxies: Arc<Matcher>,
}

impl ProxyConnector {
    /// Proxies as the environment says.
    pub fn from_env() -> Self {
        Self::with_proxies(Matcher::from_env())
    }

    /// Proxies as `proxies` says.
    pub fn with_proxies(proxies: Matcher) -> Self {
        let mut direct = HttpConnector::new();
        // TLS is layered above: this connector carries https:// too.
        direct.enforce_http(false);
        Self { direct, proxies: Arc::new(proxies) }
    }

    /// The proxy used for `uri`, if any (for the log at start; no credentials).
    pub fn proxy_for(&self, uri: &Uri) -> Option<String> {
        let proxy = self.proxies.intercept(uri)?;
        let uri = proxy.uri();
        Some(format!("{}://{}", uri.scheme_str().unwrap_or("http"), uri.authority().map_or("", |a| a.host()))).map(
            |base| match uri.port_u16() {
                Some(port) => format!("{base}:{port}"),
                None => base,
            },
        )
    }
}

impl std::fmt::Debug for ProxyConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyConnector").finish_non_exhaustive()
    }
}

impl tower_service::Service<Uri> for ProxyConnector {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.direct.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        match self.proxies.intercept(&dst) {
            Some(proxy) => {
                let mut tunnel = Tunnel::new(proxy.uri().clone(), self.direct.clone());
                if let Some(auth) = proxy.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                Box::pin(async move {
                    std::future::poll_fn(|cx| tunnel.poll_ready(cx)).await?;
                    Ok(tunnel.call(dst).await?)
                })
            }
            None => {
                let mut direct = self.direct.clone();
                Box::pin(async move { Ok(direct.call(dst).await?) })
            }
        }
    }
}
