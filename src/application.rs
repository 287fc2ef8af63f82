//! The app, built and run: what `highlights serve` and the test kit start
//! (docs/design.md, Architecture). [`Application::build`] connects to the
//! database and migrates it, binds the listener, makes the [`AppState`] and
//! opens Socket Mode when asked; [`Application::run_until_stopped`] serves
//! (with the outbox worker and the scheduler beside it, [`server::serve`])
//! until `shutdown` completes, closing Socket Mode first.

use std::future::Future;
use std::net::SocketAddr;

use anyhow::Context as _;
use tokio::net::TcpListener;

use crate::app::{AppState, Clock};
use crate::config::Config;
use crate::server;
use crate::socket_mode::SocketMode;
use crate::store::Db;

/// The app, ready to serve: its database migrated, its port bound, Socket
/// Mode (when on) connected.
pub struct Application {
    listener: TcpListener,
    addr: SocketAddr,
    state: AppState,
    socket: Option<SocketMode>,
}

impl Application {
    /// Connects to `config`'s database and migrates it, listens on
    /// `config.listen` (port 0: any free port), and, with `config.socket_mode`,
    /// opens Socket Mode. Nothing is served until [`Self::run_until_stopped`].
    pub async fn build(config: Config, clock: Clock) -> anyhow::Result<Self> {
        let db = Db::connect_and_migrate(config.database_url.as_str()).await?;
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {} (HIGHLIGHTS_LISTEN)", config.listen))?;
        let addr = listener.local_addr()?;
        tracing::info!(address = %addr, backend = ?db.backend(), "Highlights is listening");
        let state = AppState::new(config, db, clock);
        let socket = match (state.config.socket_mode, &state.config.app_token) {
            (true, Some(token)) => Some(SocketMode::start(state.clone(), token).await?),
            _ => None,
        };
        Ok(Self { listener, addr, state, socket })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Its database pool (closed when the app stops).
    pub fn db(&self) -> &Db {
        &self.state.db
    }

    /// Serves until `shutdown` completes; then closes Socket Mode, lets
    /// requests in flight finish, stops the outbox worker and the scheduler,
    /// and closes the database.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let socket = self.socket;
        let shutdown = async move {
            shutdown.await;
            if let Some(socket) = socket {
                socket.stop().await;
            }
        };
        server::serve(self.listener, self.state, shutdown).await
    }
}
