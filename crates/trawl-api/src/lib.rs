//! The local HTTP API of a trawl engine (`trawl serve`), and its client.
//!
//! An axum [`router`] over one [`Engine`] and a connection to its store:
//! runs (start from a spec, list, get, pause, resume, cancel), items (paged),
//! each run's events (live as resumable Server-Sent Events, and stored,
//! queryable by kind and time), run statistics and resource samples,
//! Prometheus metrics, schedules (add, list, get, pause, resume, remove, fire
//! history; `trawl_schedule::catalog` does the work, the same code as
//! `trawl schedule`), timelines to step through a run with breakpoints
//! (`timeline`), health, and the OpenAPI document. Every API route
//! needs the bearer token ([`token`]); the web UI's static files (`GET /`,
//! `GET /ui/...`, embedded by `trawl-ui`) are served without it, since they
//! hold no data and fetch everything from the guarded routes.
//!
//! This is the only crate that knows the wire format: engine and store types
//! are converted into the DTOs of [`dto`] here, so they never need to be
//! `Serialize` for the sake of a UI. [`client::ApiClient`] speaks the same
//! DTOs, so the CLI in client mode cannot drift from the server.

pub mod client;
pub mod dto;
mod error;
mod events;
mod openapi;
mod routes;
mod timeline;
pub mod token;

use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;
use trawl_engine::Engine;
use trawl_store::Store;

pub use crate::error::ApiError;
pub use crate::openapi::{ROUTES, openapi_document};
pub use crate::token::{ApiToken, TokenError};

/// What every handler shares: the engine (and its event bus), a store
/// connection for what the engine does not offer (items, events, schedules),
/// and the token.
#[derive(Clone)]
pub struct ApiState {
    engine: Engine,
    /// A connection of its own, so reading a page of items or writing a
    /// schedule row never waits for the engine's catalog lock. `Store` is not
    /// `Sync`, hence the mutex.
    store: Arc<Mutex<Store>>,
    token: Arc<ApiToken>,
    /// Cancelled when the server stops, so open SSE streams end and graceful
    /// shutdown does not wait for clients that never disconnect.
    stopping: CancellationToken,
    /// Open timeline sessions (`/api/timelines`).
    timelines: Arc<timeline::Sessions>,
}

impl ApiState {
    /// The state of a server over `engine`, reading through `store` (a
    /// connection of its own to the engine's store file).
    pub fn new(engine: Engine, store: Store, token: ApiToken) -> ApiState {
        ApiState {
            engine,
            store: Arc::new(Mutex::new(store)),
            token: Arc::new(token),
            stopping: CancellationToken::new(),
            timelines: Arc::default(),
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }
}

/// The API's router: every route of [`ROUTES`], behind the bearer token,
/// and the web UI's public assets (`trawl_ui::ASSETS`).
pub fn router(state: ApiState) -> axum::Router {
    routes::router(state)
}

/// Serves the API on `listener` until `shutdown` resolves; then open event
/// streams are ended and in-flight requests finish. The engine is not shut
/// down here: its owner decides (`trawl serve` does after this returns).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: ApiState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let stopping = state.stopping.clone();
    let app = router(state);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            stopping.cancel();
        })
        .await
}

/// Locks a mutex whose data stays valid even if a holder panicked (a store
/// connection between statements).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
