//! The `trawl` command: parses arguments, sets up logging and the data
//! directory, and hands each subcommand to its module. It knows every crate;
//! no crate knows it.

mod bench;
mod bootstrap;
mod cli;
mod commands;
mod config;
mod datadir;
mod output;
mod owner;
mod progress;
mod rusage;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of glibc's malloc: a crawl allocates and frees many
/// short-lived buffers (bodies, tokens, URLs) across threads, and profiling
/// `trawl bench` showed glibc's allocator at ~22% of the crawl's CPU.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_logging(cli.verbose);
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(error) => {
            output::error(&error);
            ExitCode::from(output::EXIT_FAILURE)
        }
    }
}

/// Human-readable logs on stderr; `TRAWL_LOG` (or `RUST_LOG`) picks levels per module.
fn init_logging(verbose: u8) {
    let default_level = match verbose {
        0 => "warn",
        1 => "info,trawl=info",
        2 => "debug",
        _ => "trace",
    };
    let filter = std::env::var("TRAWL_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| default_level.to_owned());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
