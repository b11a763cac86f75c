//! `trawl serve` (the engine, the scheduler, the local HTTP API and the web
//! UI's assets), and the commands that only make sense against a running
//! server: `pause` and `cancel`. `trawl ui` (`ui.rs`) starts the same server
//! through [`serve_with`].
//!
//! The server owns the data directory (`owner::DataDirLock`) for its whole
//! life and publishes `server.json` so other `trawl` commands become its
//! clients (`trawl_api::client::ApiClient`) instead of starting a second
//! engine on the same store. Its scheduler (`trawl_schedule::Scheduler`)
//! fires the stored schedules through the same engine; every schedule event
//! is logged here, and the fire records in the store are the history.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use trawl_api::client::ApiClient;
use trawl_api::dto::PauseModeDto;
use trawl_api::{ApiState, ApiToken};
use trawl_engine::Engine;
use trawl_events::Event;
use trawl_schedule::{ScheduleEvent, Scheduler, SystemClock};
use trawl_store::Store;
use trawl_types::ScheduleId;

use super::run::wait_for_signal;
use crate::cli::{PauseArgs, RunArg, ServeArgs};
use crate::datadir::DataDir;
use crate::output;
use crate::owner::{self, DataDirLock, Discovery};

/// `trawl serve`'s port and run limit when neither a flag nor the settings say.
const DEFAULT_PORT: u16 = 8640;
const DEFAULT_MAX_CONCURRENT_RUNS: u16 = 2;

pub fn serve(data_dir: &DataDir, args: &ServeArgs) -> Result<ExitCode> {
    serve_with(data_dir, args, |ready| {
        // No token here: `trawl serve` often runs with its output in a log
        // file. `trawl ui` prints the address that signs in.
        output::line(format!(
            "web ui: {}/ (paste the token from {}, or run `trawl ui` for an address that signs in)",
            ready.base_url,
            ready.token_path.display()
        ));
    })
}

/// What a server that is listening tells the command that started it.
pub(super) struct Ready<'a> {
    /// `http://127.0.0.1:PORT`.
    pub base_url: &'a str,
    pub token: &'a ApiToken,
    pub token_path: &'a Path,
}

/// `trawl serve`, with `on_ready` called once the server listens and has
/// published `server.json` (`trawl ui` prints and opens the UI's address
/// there). Returns when the server has stopped.
pub(super) fn serve_with(
    data_dir: &DataDir,
    args: &ServeArgs,
    on_ready: impl FnOnce(&Ready<'_>),
) -> Result<ExitCode> {
    if args.limits.no_checkpoints {
        bail!(
            "--no-checkpoints is for one in-process run (`trawl run`, as `trawl bench` uses it), \
             not for a server"
        );
    }
    let root = data_dir.root();
    let Some(lock) = DataDirLock::try_acquire(root)? else {
        bail!("{}", owner::busy_message(root));
    };
    let token_path = root.join(owner::TOKEN_FILE);
    let token = ApiToken::load_or_create(&token_path).context("cannot set up the api token")?;
    let store_path = data_dir.store_path();
    let settings = &data_dir.config().serve;
    let port = args.port.or(settings.port).unwrap_or(DEFAULT_PORT);
    let max_concurrent_runs = args
        .max_concurrent_runs
        .or(settings.max_concurrent_runs)
        .unwrap_or(DEFAULT_MAX_CONCURRENT_RUNS);
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let engine = Engine::start(
            &store_path,
            super::engine_config(data_dir, &args.limits, usize::from(max_concurrent_runs), true),
        )
        .with_context(|| format!("cannot open the store {}", store_path.display()))?;
        for envelope in engine.startup_events() {
            if let Event::RunStateChanged { from, to, .. } = &envelope.event {
                let run_id = envelope.run_id;
                tracing::info!(%run_id, %from, %to, "recovered a run left by a previous process");
            }
        }
        let mut scheduler = Scheduler::start(
            Arc::new(engine.clone()),
            &store_path,
            Arc::new(SystemClock),
            SCHEDULER_TICK,
        )
        .context("cannot start the scheduler")?;
        let mut names = ScheduleNames::open(&store_path);
        for event in scheduler.startup_events() {
            log_schedule_event(&mut names, event, "start-up recovery: ");
        }
        let schedule_log = tokio::spawn(log_schedule_events(names, scheduler.take_events()));
        let requested = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let listener = tokio::net::TcpListener::bind(requested)
            .await
            .with_context(|| format!("cannot listen on {requested}"))?;
        let address = listener
            .local_addr()
            .context("cannot read the listening address")?;
        let api_store = Store::open(&store_path)
            .with_context(|| format!("cannot open the store {}", store_path.display()))?;
        let state = ApiState::new(engine.clone(), api_store, token.clone());
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
        on_ready(&Ready {
            base_url: &base_url,
            token: &token,
            token_path: &token_path,
        });
        let served = trawl_api::serve(listener, state, first_signal()).await;
        eprintln!("shutting down: stopping runs at their last checkpoint (Ctrl-C again to quit at once)");
        // The scheduler first, so no fire is submitted to an engine that is
        // stopping (such a fire would stay `firing` and be resubmitted at the
        // next start, which is safe, but needless).
        scheduler.stop().await;
        // The loop has ended, so its event stream ends: the logger drains it.
        let _ = schedule_log.await;
        engine.shutdown().await;
        drop(published);
        served.context("the api server failed")
    })?;
    drop(lock);
    Ok(ExitCode::SUCCESS)
}

/// How often the scheduler looks at the schedules: cron has 1-second
/// resolution, and a tick is a few store reads.
const SCHEDULER_TICK: Duration = Duration::from_secs(1);

/// Schedule names for log lines, read from the store once per schedule (the
/// events carry ids only).
struct ScheduleNames {
    store: Option<Store>,
    names: HashMap<ScheduleId, String>,
}

impl ScheduleNames {
    fn open(store_path: &Path) -> ScheduleNames {
        // Without a connection the logs name schedules by id only.
        ScheduleNames {
            store: Store::open(store_path).ok(),
            names: HashMap::new(),
        }
    }

    fn name(&mut self, schedule_id: ScheduleId) -> String {
        if let Some(name) = self.names.get(&schedule_id) {
            return name.clone();
        }
        let found = self
            .store
            .as_ref()
            .and_then(|store| store.schedule(schedule_id).ok())
            .map(|record| record.name);
        match found {
            Some(name) => {
                self.names.insert(schedule_id, name.clone());
                name
            }
            // Removed meanwhile (or unreadable): the id says which it was.
            None => format!("#{schedule_id}"),
        }
    }
}

async fn log_schedule_events(
    mut names: ScheduleNames,
    mut events: tokio::sync::broadcast::Receiver<ScheduleEvent>,
) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        match events.recv().await {
            Ok(event) => log_schedule_event(&mut names, &event, ""),
            Err(RecvError::Lagged(missed)) => tracing::warn!(
                missed,
                "the schedule log fell behind and skipped events; `trawl schedule history NAME` has every fire"
            ),
            Err(RecvError::Closed) => return,
        }
    }
}

/// One log line per schedule event: fires, adoptions, queues and skips at
/// info, failures at warn with their error.
fn log_schedule_event(names: &mut ScheduleNames, event: &ScheduleEvent, prefix: &str) {
    match event {
        ScheduleEvent::Fired {
            schedule,
            fire_id,
            scheduled_for,
            run_id,
            cancelled,
        } => {
            let name = names.name(*schedule);
            match cancelled {
                Some(previous) => tracing::info!(
                    schedule = %name, schedule_id = %schedule, %fire_id, %run_id,
                    scheduled_for = %scheduled_for.to_rfc3339(), cancelled_run = %previous,
                    "{prefix}schedule fired: cancelled the previous run and submitted a new one"
                ),
                None => tracing::info!(
                    schedule = %name, schedule_id = %schedule, %fire_id, %run_id,
                    scheduled_for = %scheduled_for.to_rfc3339(),
                    "{prefix}schedule fired: run submitted"
                ),
            }
        }
        ScheduleEvent::Adopted {
            schedule,
            fire_id,
            run_id,
        } => tracing::info!(
            schedule = %names.name(*schedule), schedule_id = %schedule, %fire_id, %run_id,
            "{prefix}adopted the run a previous process had submitted for an unfinished fire"
        ),
        ScheduleEvent::Queued {
            schedule,
            scheduled_for,
        } => tracing::info!(
            schedule = %names.name(*schedule), schedule_id = %schedule,
            scheduled_for = %scheduled_for.to_rfc3339(),
            "{prefix}schedule fire queued until the previous run ends"
        ),
        ScheduleEvent::Skipped {
            schedule,
            scheduled_for,
            reason,
        } => tracing::info!(
            schedule = %names.name(*schedule), schedule_id = %schedule,
            scheduled_for = %scheduled_for.to_rfc3339(), %reason,
            "{prefix}schedule fire skipped"
        ),
        ScheduleEvent::Failed {
            schedule,
            fire_id,
            scheduled_for,
            error,
        } => tracing::warn!(
            schedule = %names.name(*schedule), schedule_id = %schedule, %fire_id,
            scheduled_for = %scheduled_for.to_rfc3339(), %error,
            "{prefix}schedule fire failed; the schedule goes on"
        ),
        ScheduleEvent::TickFailed { error } => tracing::warn!(
            %error,
            "{prefix}the scheduler could not complete a tick; it tries again at the next one"
        ),
    }
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
