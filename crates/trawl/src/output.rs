//! Everything the CLI prints on stdout goes through here (the one module where
//! `print_stdout` is allowed), plus error reports and exit codes.
#![allow(clippy::print_stdout)]

use std::io::{IsTerminal, Write};

/// Exit codes: 0 success; 1 the run or command failed; 2 bad usage or an
/// invalid spec; 130 interrupted (Ctrl-C), as shells expect.
pub const EXIT_FAILURE: u8 = 1;
pub const EXIT_INVALID_INPUT: u8 = 2;
pub const EXIT_INTERRUPTED: u8 = 130;
const EXIT_BROKEN_PIPE: i32 = 141;

pub fn line(text: impl std::fmt::Display) {
    write_stdout(format_args!("{text}\n"));
}

pub fn json(value: &serde_json::Value) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => write_stdout(format_args!("{text}\n")),
        Err(error) => eprintln!("error: cannot render json: {error}"),
    }
}

/// One JSON document per line (for `items --json`).
pub fn json_line(value: &serde_json::Value) {
    write_stdout(format_args!("{value}\n"));
}

/// Writes to stdout. A reader that went away (`trawl runs | head`) ends the
/// process quietly with 141 (128 + SIGPIPE), as SIGPIPE ends `cat`, instead
/// of the panic `println!` would raise (Rust ignores SIGPIPE).
fn write_stdout(text: std::fmt::Arguments<'_>) {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_fmt(text) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {
            std::process::exit(EXIT_BROKEN_PIPE)
        }
        Err(error) => eprintln!("error: cannot write to stdout: {error}"),
    }
}

pub fn error(error: &anyhow::Error) {
    let mut message = format!("error: {error}");
    for cause in error.chain().skip(1) {
        message.push_str(&format!("\n  caused by: {cause}"));
    }
    eprintln!("{message}");
}

pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// Bytes as a short human figure ("1.5 MiB").
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
