//! One function per subcommand; `dispatch` maps the parsed CLI onto them.

mod doctor;
mod inspect;
mod logs;
mod observe;
mod replay;
mod run;
mod schedule;
mod serve;
mod timeline;
mod ui;

pub use run::demo_spec;

use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::cli::{Cli, Command, LimitArgs, MemoryLimit, SpecCommand};
use crate::datadir::DataDir;
use crate::logging::Logging;

/// Runs the command. The data directory is opened (and created) only by
/// commands that use it, which is also when the log files start.
pub fn dispatch(cli: Cli, logging: &Logging) -> Result<ExitCode> {
    let data_dir = || {
        let data_dir = DataDir::open(cli.global.data_dir.as_deref())?;
        logging.attach(&data_dir);
        Ok::<_, anyhow::Error>(data_dir)
    };
    match cli.command {
        Command::Demo(args) => run::demo(&data_dir()?, &args),
        Command::Run(args) => run::run(&data_dir()?, &args),
        Command::Resume(args) => run::resume(&data_dir()?, &args),
        Command::Pause(args) => serve::pause(&data_dir()?, &args),
        Command::Cancel(args) => serve::cancel(&data_dir()?, &args),
        Command::Serve(args) => serve::serve(&data_dir()?, &args),
        Command::Ui(args) => ui::ui(&data_dir()?, &args),
        Command::Runs(args) => inspect::runs(&data_dir()?, args.json),
        Command::Items(args) => inspect::items(&data_dir()?, &args),
        Command::Replay(args) => replay::replay(&data_dir()?, &args),
        Command::Timeline(args) => timeline::timeline(&data_dir()?, &args),
        Command::ImportWarc(args) => replay::import_warc(&data_dir()?, &args),
        Command::Stats(args) => observe::stats(&data_dir()?, &args),
        Command::Events(args) => observe::events(&data_dir()?, &args),
        Command::Export(args) => inspect::export(&data_dir()?, &args),
        Command::Spec(SpecCommand::Check { spec, json }) => inspect::spec_check(&spec, json),
        Command::Spec(SpecCommand::Schema) => inspect::spec_schema(),
        Command::Schedule(command) => schedule::schedule(&data_dir()?, &command),
        Command::Bench(args) => crate::bench::bench(&args),
        Command::ServeFixture(args) => run::serve_fixture(&args),
        Command::Doctor(args) => {
            doctor::doctor(&DataDir::open_as_is(cli.global.data_dir.as_deref())?, &args)
        }
        Command::Logs(args) => logs::logs(&data_dir()?, &args),
    }
}

/// Requests in flight across runs when neither a flag nor the settings say.
const DEFAULT_MAX_REQUESTS: u32 = 512;

/// The engine's configuration: the command line's limits, else the data
/// directory's settings, else the defaults.
pub fn engine_config(
    data_dir: &DataDir,
    limits: &LimitArgs,
    max_concurrent_runs: usize,
    recover_runs: bool,
) -> trawl_engine::EngineConfig {
    let settings = data_dir.config();
    let memory_ceiling_bytes = match limits.memory_limit.or_else(|| settings.memory_limit()) {
        Some(MemoryLimit::Bytes(bytes)) => Some(bytes),
        Some(MemoryLimit::Unlimited) => None,
        // Half the machine: room for the OS, the browser and the sites'
        // servers on a laptop, and a bound a big crawl cannot pass.
        None => trawl_governor::resources::total_memory_bytes().map(|total| total / 2),
    };
    trawl_engine::EngineConfig {
        max_concurrent_runs,
        recover_runs,
        max_requests_in_flight: limits
            .max_requests
            .or(settings.engine.max_requests)
            .unwrap_or(DEFAULT_MAX_REQUESTS) as usize,
        memory_ceiling_bytes,
        checkpoints: if limits.no_checkpoints {
            trawl_engine::Checkpoints::AtEnd
        } else {
            trawl_engine::Checkpoints::Batched
        },
    }
}

/// The async runtime for crawling: one worker per core.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("trawl-worker")
        .build()
        .context("cannot start the async runtime")
}
