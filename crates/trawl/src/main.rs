//! The `trawl` command: parses arguments, sets up logging and the data
//! directory, and hands each subcommand to its module. It knows every crate;
//! no crate knows it.

mod bench;
mod bootstrap;
mod cli;
mod commands;
mod config;
mod datadir;
mod logging;
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
    let logging = logging::init(cli.verbose);
    match commands::dispatch(cli, &logging) {
        Ok(code) => code,
        Err(error) => {
            output::error(&error);
            ExitCode::from(output::EXIT_FAILURE)
        }
    }
}
