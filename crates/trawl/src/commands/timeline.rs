//! `trawl timeline RUN` and the `--break`/`--step` of `trawl replay`: a
//! run's timeline (`trawl_engine::timeline`) in the terminal, as a list of
//! the events that hit a breakpoint or as a stepper driven by commands on
//! stdin (a person at a prompt, or a script through a pipe).

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::{Context, Result};
use serde_json::{Value, json};
use trawl_api::dto::FrameDto;
use trawl_engine::timeline::{ExchangeOutcome, MAX_FRAME_BODY_BYTES};
use trawl_engine::{Breakpoint, Frame, PlayEnd, Timeline};
use trawl_events::EventKind;
use trawl_store::Store;
use trawl_types::RunId;

use super::inspect::open_store;
use super::observe::describe;
use crate::cli::{STEP_COMMANDS, SteppingArgs, TimelineArgs};
use crate::datadir::DataDir;
use crate::output;

/// Body text `response` shows in the terminal (the JSON has the frame's
/// whole body, up to [`MAX_FRAME_BODY_BYTES`]).
const SHOWN_BODY_CHARS: usize = 4000;

pub fn timeline(data_dir: &DataDir, args: &TimelineArgs) -> Result<ExitCode> {
    if args.stepping.breakpoints.is_empty() && !args.stepping.step {
        eprintln!(
            "error: nothing to do: give --break EXPR to list the events that hit it, or --step \
             to step (see `trawl timeline --help`)"
        );
        return Ok(ExitCode::from(output::EXIT_INVALID_INPUT));
    }
    explore(data_dir, args.run, &args.stepping, args.json)?;
    Ok(ExitCode::SUCCESS)
}

/// Lists the stops of `run`'s timeline, or steps through it.
pub fn explore(data_dir: &DataDir, run: RunId, args: &SteppingArgs, json: bool) -> Result<()> {
    let store = open_store(data_dir)?;
    let mut timeline = Timeline::open(&store, &data_dir.store_path(), run)
        .with_context(|| format!("cannot open the timeline of run {run}"))?;
    if !timeline.has_recording() {
        eprintln!(
            "note: run {run} has no recording (nor does a run it replays): events only, no responses"
        );
    }
    timeline.set_breakpoints(args.breakpoints.clone());
    let store = Mutex::new(store);
    if args.step {
        Stepper {
            timeline,
            store,
            json,
        }
        .run()
    } else {
        list_stops(&mut timeline, &store, json)
    }
}

fn list_stops(timeline: &mut Timeline, store: &Mutex<Store>, json: bool) -> Result<()> {
    let mut stops = 0_u64;
    loop {
        let (frame, end) = timeline.play(store, 0)?;
        if end != PlayEnd::Breakpoint {
            break;
        }
        let Some(frame) = frame else { break };
        stops += 1;
        if json {
            output::json_line(&frame_json(frame));
        } else {
            for line in frame_lines(&frame) {
                output::line(line);
            }
        }
    }
    if !json {
        eprintln!(
            "{stops} stop{} in run {}'s {} events",
            if stops == 1 { "" } else { "s" },
            timeline.run_id(),
            timeline.position()
        );
    }
    Ok(())
}

fn frame_json(frame: Frame) -> Value {
    serde_json::to_value(FrameDto::from(frame)).unwrap_or(Value::Null)
}

/// An interactive (or scripted) session over one timeline.
struct Stepper {
    timeline: Timeline,
    store: Mutex<Store>,
    json: bool,
}

/// What a command asks for.
enum Command {
    Next(Vec<EventKind>),
    Previous,
    Continue,
    Goto(u64),
    Break(Option<Breakpoint>),
    Delete,
    Response,
    Items,
    Frame,
    Help,
    Quit,
}

fn parse_command(line: &str) -> Result<Command, String> {
    let line = line.trim();
    let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    let command = match word {
        "" | "n" | "next" => {
            let kinds = rest
                .split([',', ' '])
                .filter(|name| !name.is_empty())
                .map(|name| {
                    EventKind::parse(name).ok_or_else(|| {
                        format!(
                            "unknown event kind `{name}` (kinds: {})",
                            EventKind::names()
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            Command::Next(kinds)
        }
        "p" | "prev" | "previous" => Command::Previous,
        "c" | "continue" => Command::Continue,
        "g" | "goto" | "seek" => Command::Goto(
            rest.parse()
                .map_err(|_| format!("`{word}` needs a position (a number), not `{rest}`"))?,
        ),
        "b" | "break" if rest.is_empty() => Command::Break(None),
        "b" | "break" => Command::Break(Some(
            rest.parse::<Breakpoint>()
                .map_err(|error| error.to_string())?,
        )),
        "d" | "delete" => Command::Delete,
        "r" | "response" => Command::Response,
        "i" | "items" => Command::Items,
        "f" | "frame" => Command::Frame,
        "h" | "help" | "?" => Command::Help,
        "q" | "quit" | "exit" => Command::Quit,
        other => return Err(format!("unknown command `{other}` (`help` lists them)")),
    };
    Ok(command)
}

impl Stepper {
    fn run(mut self) -> Result<()> {
        // First stop: the first breakpoint, or the first event.
        let first = if self.timeline.breakpoints().is_empty() {
            self.timeline.step(&self.store, &[])?.map(|f| (f, None))
        } else {
            let (frame, end) = self.timeline.play(&self.store, 0)?;
            frame.map(|frame| (frame, Some(end)))
        };
        let mut current: Option<Frame> = None;
        match first {
            Some((frame, end)) => {
                self.show(&frame, end);
                current = Some(frame);
            }
            None => self.say("the timeline is empty"),
        }
        let stdin = std::io::stdin();
        let interactive = stdin.is_terminal();
        let mut lines = stdin.lock().lines();
        loop {
            if interactive {
                eprint!("(trawl {}) ", self.timeline.position());
                let _ = std::io::stderr().flush();
            }
            let Some(line) = lines.next() else { break };
            let line = line.context("cannot read a command from stdin")?;
            let command = match parse_command(&line) {
                Ok(command) => command,
                Err(problem) => {
                    self.say(&problem);
                    continue;
                }
            };
            match command {
                Command::Quit => break,
                Command::Help => {
                    if self.json {
                        output::json_line(&json!({ "help": STEP_COMMANDS }));
                    } else {
                        output::line(STEP_COMMANDS);
                    }
                }
                Command::Next(kinds) => {
                    let moved = self.timeline.step(&self.store, &kinds)?;
                    current = self.arrive(moved, current, None);
                }
                Command::Previous => {
                    let moved = self.timeline.step_back(&self.store)?;
                    current = self.arrive(moved, current, None);
                }
                Command::Continue => {
                    let (moved, end) = self.timeline.play(&self.store, 0)?;
                    current = self.arrive(moved, current, Some(end));
                }
                Command::Goto(position) => {
                    let moved = self.timeline.seek(&self.store, position)?;
                    current = self.arrive(moved, current, None);
                }
                Command::Break(Some(breakpoint)) => {
                    let mut breakpoints = self.timeline.breakpoints().to_vec();
                    breakpoints.push(breakpoint);
                    self.timeline.set_breakpoints(breakpoints);
                    self.list_breakpoints();
                }
                Command::Break(None) => self.list_breakpoints(),
                Command::Delete => {
                    self.timeline.set_breakpoints(Vec::new());
                    self.list_breakpoints();
                }
                Command::Response => match &current {
                    Some(frame) => self.show_response(frame),
                    None => self.say("no position yet"),
                },
                Command::Items => match &current {
                    Some(frame) => self.show_items(frame),
                    None => self.say("no position yet"),
                },
                Command::Frame => match &current {
                    Some(frame) => self.show(frame, None),
                    None => self.say("no position yet"),
                },
            }
        }
        Ok(())
    }

    /// Shows where a move ended; keeps the previous frame when it did not
    /// move (at an end).
    fn arrive(
        &self,
        moved: Option<Frame>,
        current: Option<Frame>,
        end: Option<PlayEnd>,
    ) -> Option<Frame> {
        match moved {
            Some(frame) => {
                self.show(&frame, end);
                Some(frame)
            }
            None => {
                let message = if self.timeline.position() == 0 {
                    "before the first event"
                } else {
                    "at the last event: nothing further"
                };
                self.say(message);
                if self.timeline.position() == 0 {
                    None
                } else {
                    current
                }
            }
        }
    }

    fn show(&self, frame: &Frame, end: Option<PlayEnd>) {
        if self.json {
            let mut value = frame_json(frame.clone());
            if let Some(end) = end {
                value["stopped"] = json!(match end {
                    PlayEnd::Breakpoint => "breakpoint",
                    PlayEnd::End | PlayEnd::Budget => "end",
                });
            }
            output::json_line(&value);
            return;
        }
        if end == Some(PlayEnd::End) {
            output::line("(no breakpoint hit: at the last event)");
        }
        for line in frame_lines(frame) {
            output::line(line);
        }
    }

    fn show_response(&self, frame: &Frame) {
        let Some(exchange) = &frame.exchange else {
            return self.say("no request at this position");
        };
        if self.json {
            let value = frame_json(frame.clone());
            output::json_line(&json!({ "exchange": value["exchange"] }));
            return;
        }
        output::line(format!(
            "{} {} ({})",
            exchange.method,
            exchange.url,
            exchange.attempt.map_or_else(
                || "last attempt".to_owned(),
                |attempt| format!("attempt {attempt}")
            )
        ));
        match &exchange.outcome {
            ExchangeOutcome::Response {
                status,
                headers,
                body,
                body_bytes,
                body_truncated,
                ..
            } => {
                output::line(format!("HTTP {status}"));
                for (name, value) in headers {
                    output::line(format!("{name}: {value}"));
                }
                output::line("");
                match body {
                    Some(body) => {
                        let shown: String = body.chars().take(SHOWN_BODY_CHARS).collect();
                        output::line(&shown);
                        if shown.len() < body.len() || *body_truncated {
                            output::line(format!(
                                "… (the first {SHOWN_BODY_CHARS} characters of {}; --json has up to {})",
                                output::human_bytes(*body_bytes),
                                output::human_bytes(MAX_FRAME_BODY_BYTES as u64)
                            ));
                        }
                    }
                    None => output::line(format!(
                        "({} of binary content)",
                        output::human_bytes(*body_bytes)
                    )),
                }
            }
            ExchangeOutcome::Failure { kind, message } => {
                output::line(format!("no response: {kind}: {message}"));
            }
            ExchangeOutcome::Unavailable { reason } => output::line(reason),
        }
    }

    fn show_items(&self, frame: &Frame) {
        let Some(extraction) = &frame.extraction else {
            return self.say("no page extraction at this position (items are at page_extracted)");
        };
        let value = frame_json(frame.clone());
        if self.json {
            output::json_line(&json!({ "extraction": value["extraction"] }));
        } else {
            output::json(&value["extraction"]["items"]);
            if extraction.items_dropped > 0 || !extraction.warnings.is_empty() {
                output::line(format!(
                    "{} dropped; warnings: {}",
                    extraction.items_dropped,
                    extraction.warnings.join("; ")
                ));
            }
        }
    }

    fn list_breakpoints(&self) {
        let texts: Vec<&str> = self
            .timeline
            .breakpoints()
            .iter()
            .map(Breakpoint::text)
            .collect();
        if self.json {
            output::json_line(&json!({ "breakpoints": texts }));
        } else if texts.is_empty() {
            output::line("no breakpoints");
        } else {
            output::line(format!("breakpoints: {}", texts.join("  ")));
        }
    }

    /// A message: on stdout as `{"message": ...}` with --json (the reader
    /// there is a script), else on stderr.
    fn say(&self, message: &str) {
        if self.json {
            output::json_line(&json!({ "message": message }));
        } else {
            eprintln!("{message}");
        }
    }
}

/// A frame for the terminal: the event as `trawl events` shows it, the
/// exchange, the extraction, and the breakpoints it hits.
fn frame_lines(frame: &Frame) -> Vec<String> {
    // `describe` starts with the seq, which the position already shows.
    let described = describe(&frame.event);
    let event = described
        .trim_start()
        .split_once(' ')
        .map_or(described.as_str(), |(_, rest)| rest);
    let mut lines = vec![format!("[{}/{}] {event}", frame.position, frame.last)];
    if let Some(exchange) = &frame.exchange {
        let attempt = exchange
            .attempt
            .map(|attempt| format!(" (attempt {attempt})"))
            .unwrap_or_default();
        let outcome = match &exchange.outcome {
            ExchangeOutcome::Response {
                status,
                final_url,
                headers,
                body_bytes,
                elapsed_millis,
                ..
            } => {
                let content_type = headers
                    .iter()
                    .find(|(name, _)| name == "content-type")
                    .map(|(_, value)| format!(" {value}"))
                    .unwrap_or_default();
                let redirected = if *final_url != exchange.url {
                    format!(", ended at {final_url}")
                } else {
                    String::new()
                };
                format!(
                    "{status}, {}{content_type}, {elapsed_millis} ms{redirected}",
                    output::human_bytes(*body_bytes)
                )
            }
            ExchangeOutcome::Failure { kind, message } => format!("no response: {kind}: {message}"),
            ExchangeOutcome::Unavailable { reason } => reason.clone(),
        };
        lines.push(format!(
            "  {} {}{attempt}: {outcome}",
            exchange.method, exchange.url
        ));
    }
    if let Some(extraction) = &frame.extraction {
        lines.push(format!(
            "  extracted {} item{}, {} dropped, {} warning{}, {} link{}",
            extraction.items.len(),
            if extraction.items.len() == 1 { "" } else { "s" },
            extraction.items_dropped,
            extraction.warnings.len(),
            if extraction.warnings.len() == 1 {
                ""
            } else {
                "s"
            },
            extraction.links.len(),
            if extraction.links.len() == 1 { "" } else { "s" },
        ));
        for item in extraction.items.iter().take(5) {
            let fields = super::observe::truncate(
                &serde_json::to_string(&item.fields).unwrap_or_default(),
                150,
            );
            lines.push(format!(
                "    {} {} {fields}",
                item.kind,
                item.key.as_deref().unwrap_or("-")
            ));
        }
        if extraction.items.len() > 5 {
            lines.push(format!("    … {} more", extraction.items.len() - 5));
        }
    }
    if !frame.breakpoints.is_empty() {
        lines.push(format!("  breakpoint: {}", frame.breakpoints.join("  ")));
    }
    lines
}
