//! `trawl serve` (the engine with the local HTTP API), and the commands that
//! only make sense against a running server: `pause` and `cancel`.
//!
//! The server owns the data directory (`owner::DataDirLock`) for its whole
//! life and publishes `server.json` so other `trawl` commands become its
//! clients (`trawl_api::client::ApiClient`) instead of starting a second
//! engine on the same store.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use trawl_api::client::ApiClient;
use trawl_api::dto::PauseModeDto;
use trawl_api::{ApiState, ApiToken};
use trawl_engine::{Engine, EngineConfig};
use trawl_events::Event;
use trawl_store::Store;

use super::run::wait_for_signal;
use crate::cli::{PauseArgs, RunArg, ServeArgs};
use crate::datadir::DataDir;
use crate::output;
use crate::owner::{self, DataDirLock, Discovery};

pub fn serve(data_dir: &DataDir, args: &ServeArgs) -> Result<ExitCode> {
    let root = data_dir.root();
    let Some(lock) = DataDirLock::try_acquire(root)? else {
        bail!("{}", owner::busy_message(root));
    };
    let token_path = root.join(owner::TOKEN_FILE);
    let token = ApiToken::load_or_create(&token_path).context("cannot set up the api token")?;
    let store_path = data_dir.store_path();
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let engine = Engine::start(
            &store_path,
            EngineConfig {
                max_concurrent_runs: usize::from(args.max_concurrent_runs),
                recover_runs: true,
            },
        )
        .with_context(|| format!("cannot open the store {}", store_path.display()))?;
        for envelope in engine.startup_events() {
            if let Event::RunStateChanged { from, to, .. } = &envelope.event {
                let run_id = envelope.run_id;
                tracing::info!(%run_id, %from, %to, "recovered a run left by a previous process");
            }
        }
        let requested = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
        let listener = tokio::net::TcpListener::bind(requested)
            .await
            .with_context(|| format!("cannot listen on {requested}"))?;
        let address = listener
            .local_addr()
            .context("cannot read the listening address")?;
        let api_store = Store::open(&store_path)
            .with_context(|| format!("cannot open the store {}", store_path.display()))?;
        let state = ApiState::new(engine.clone(), api_store, token);
        let base_url = format!("http://{address}");
        let discovery = Discovery {
            address: base_url.clone(),
            pid: std::process::id(),
            token_path: token_path.clone(),
        };
        let published = discovery.publish(root)?;
        output::line(format!("trawl api listening on {base_url}/api (data dir {})", root.display()));
        output::line(format!(
            "api token in {} (send `Authorization: Bearer <token>`); routes: {base_url}/api/openapi.json",
            token_path.display()
        ));
        let served = trawl_api::serve(listener, state, first_signal()).await;
        eprintln!("shutting down: stopping runs at their last checkpoint (Ctrl-C again to quit at once)");
        engine.shutdown().await;
        drop(published);
        served.context("the api server failed")
    })?;
    drop(lock);
    Ok(ExitCode::SUCCESS)
}

/// Resolves on the first SIGINT/SIGTERM and arms the second: exit at once
/// (safe: every checkpoint is one transaction; server.json is then stale).
async fn first_signal() {
    if wait_for_signal().await.is_err() {
        // No signal handling: serve until killed.
        std::future::pending::<()>().await;
    }
    tokio::spawn(async {
        if wait_for_signal().await.is_ok() {
            std::process::exit(i32::from(output::EXIT_INTERRUPTED));
        }
    });
}

/// The client of the running server, or a clear error saying to start one.
pub(super) fn server_client(data_dir: &DataDir, what: &str) -> Result<ApiClient> {
    let root = data_dir.root();
    let Some(discovery) = owner::find_server(root)? else {
        if DataDirLock::try_acquire(root)?.is_none() {
            bail!(
                "cannot {what}: {}; only a server takes requests from other commands, start `trawl serve` first",
                owner::busy_message(root)
            );
        }
        bail!(
            "cannot {what}: no trawl server is running on {}; start `trawl serve` first",
            root.display()
        );
    };
    client_of(&discovery)
}

pub(super) fn client_of(discovery: &Discovery) -> Result<ApiClient> {
    let token =
        ApiToken::load(&discovery.token_path).context("cannot read the server's api token")?;
    ApiClient::new(&discovery.address, &token).context("cannot set up the api client")
}

pub fn pause(data_dir: &DataDir, args: &PauseArgs) -> Result<ExitCode> {
    let client = server_client(data_dir, &format!("pause run {}", args.run))?;
    let mode = if args.abort {
        PauseModeDto::Abort
    } else {
        PauseModeDto::Finish
    };
    let run = super::runtime()?
        .block_on(client.pause(args.run, mode))
        .with_context(|| format!("cannot pause run {}", args.run))?;
    output::line(format!(
        "run {} pausing (now {}); continue with `trawl resume {}`",
        run.run_id, run.state, run.run_id
    ));
    Ok(ExitCode::SUCCESS)
}

pub fn cancel(data_dir: &DataDir, args: &RunArg) -> Result<ExitCode> {
    let client = server_client(data_dir, &format!("cancel run {}", args.run))?;
    let run = super::runtime()?
        .block_on(client.cancel(args.run))
        .with_context(|| format!("cannot cancel run {}", args.run))?;
    output::line(format!(
        "run {} cancelling (now {}); finished pages stay saved",
        run.run_id, run.state
    ));
    Ok(ExitCode::SUCCESS)
}
