//! Command-line arguments (clap derive). Help texts are the user's manual: they
//! say what each command does, its defaults, and what it prints.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use trawl_types::RunId;

#[derive(Debug, Parser)]
#[command(
    name = "trawl",
    version,
    about = "Local-first web scraping: crawl sites from a TOML spec into an embedded store, export JSONL/CSV/Parquet",
    long_about = None,
    after_help = AFTER_HELP
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    /// More log output on stderr (-v info, -vv debug, -vvv trace). TRAWL_LOG (or RUST_LOG) overrides, e.g. TRAWL_LOG=trawl_engine=debug,info.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

const AFTER_HELP: &str = "\
Start with `trawl demo` (no internet needed), then write a spec: see examples/ and `trawl spec schema`.

Logs: stderr shows warnings (-v info, -vv debug, -vvv trace); DATA_DIR/logs/trawl.log keeps info and up
as JSON lines (rotated at 10 MiB, 5 files); each run's lines go to DATA_DIR/runs/RUN/log.jsonl
(`trawl logs RUN`). TRAWL_LOG (else RUST_LOG, for stderr) sets levels per module for all of them,
e.g. TRAWL_LOG=trawl_engine=debug,info";

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Data directory (store, exports, demo files). Default: the platform data dir, e.g. ~/.local/share/trawl.
    #[arg(long, env = "TRAWL_HOME", global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the bundled demo shop on 127.0.0.1, crawl it with the bundled spec, and export the dataset.
    Demo(DemoArgs),
    /// Crawl the site a spec describes; items go to the embedded store.
    Run(RunArgs),
    /// Continue a paused, interrupted, cancelled or failed run (e.g. after a full disk) from its last checkpoint.
    /// With a running `trawl serve`, the server resumes it.
    Resume(ResumeArgs),
    /// Pause a run of the running `trawl serve`: intake stops, in-flight pages finish (or are aborted with --abort).
    Pause(PauseArgs),
    /// Cancel a run of the running `trawl serve`; finished pages stay committed and `trawl resume` can reopen it.
    Cancel(RunArg),
    /// Run the engine, the scheduler and the local HTTP API on 127.0.0.1 until Ctrl-C/SIGTERM; schedules fire only while it runs.
    #[command(long_about = SERVE_ABOUT)]
    Serve(ServeArgs),
    /// Open the web UI (runs, live pipeline, event log, statistics, CPU/RAM, dataset; start, pause, resume, cancel): prints its address, which holds the API token, starting `trawl serve` first if none runs.
    #[command(long_about = UI_ABOUT)]
    Ui(UiArgs),
    /// List runs with their state and counts.
    Runs(JsonArgs),
    /// Show a run's items (newest run when RUN is omitted).
    Items(ItemsArgs),
    /// Re-run a recorded run offline from its recording, with its spec or a new one, and show what changed.
    #[command(long_about = REPLAY_ABOUT)]
    Replay(ReplayArgs),
    /// Step through a run's events with breakpoints; each stop shows the recorded request and response and the page's items.
    #[command(long_about = timeline_about())]
    Timeline(TimelineArgs),
    /// Make WARC files from other tools into a run that `trawl replay RUN --spec FILE` can scrape.
    ImportWarc(ImportWarcArgs),
    /// Statistics of a run from its event log: pages by status, errors by kind, latency percentiles, pages/s over time, hosts, resources.
    Stats(StatsArgs),
    /// A run's stored events (every request, page and decision), oldest first, filtered by kind, level, time or text.
    #[command(long_about = EVENTS_ABOUT)]
    Events(EventsArgs),
    /// Write a run's dataset to a file (JSONL, CSV or Parquet) with a checksum manifest next to it.
    Export(ExportArgs),
    /// Check a spec or print its JSON Schema.
    #[command(subcommand)]
    Spec(SpecCommand),
    /// Run specs on cron schedules (add, list, show, pause, resume, remove, history); they fire while `trawl serve` runs.
    #[command(subcommand, long_about = SCHEDULE_ABOUT)]
    Schedule(ScheduleCommand),
    /// Measure crawl speed, CPU and memory against a generated local site.
    Bench(crate::bench::BenchArgs),
    /// Serve a fixture site on 127.0.0.1 until interrupted (used by `trawl bench`; handy to try specs).
    ServeFixture(ServeFixtureArgs),
    /// Check the data directory after a crash: store integrity, export checksums, leftover temp files, runs to resume.
    #[command(long_about = DOCTOR_ABOUT)]
    Doctor(DoctorArgs),
    /// Show a run's log (DATA_DIR/runs/RUN/log.jsonl), filtered by level and text; --follow while it runs.
    #[command(long_about = LOGS_ABOUT, after_help = LOGS_EXAMPLES)]
    Logs(LogsArgs),
}

const LOGS_ABOUT: &str = "\
Show a run's log: the lines the run's crawl logged, one per event, as time,
level, module, message and key=value fields.

The log is DATA_DIR/runs/RUN/log.jsonl, JSON lines written while the run
executes (by `trawl run`, `trawl resume` or the `trawl serve` that ran it);
a resumed run appends to it. It holds Trawl's info lines and up, and
warnings of the libraries below; TRAWL_LOG changes that for the process that
runs the crawl (e.g. TRAWL_LOG=trawl_engine=debug,info). A line torn by a
crash is shown as it is. Logs are extra: the run's state, counts and events
are in the store (`trawl runs`).

Exit codes: 0 ok (also for a run that has no log yet, with a note on stderr),
1 unknown run or unreadable log, 130 interrupted (Ctrl-C during --follow).";

const LOGS_EXAMPLES: &str = "\
Examples:
  trawl logs 3                         the whole log of run 3
  trawl logs 3 --level warn            warnings and errors only
  trawl logs 3 --grep timeout          lines mentioning \"timeout\" (any case)
  trawl logs 3 --follow                new lines as they come, until the run ends
  trawl logs 3 --limit 20              the last 20 lines
  trawl logs 3 --json | jq .message    the raw JSON lines";

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The run (see `trawl runs`).
    pub run: RunId,
    /// Keep printing new lines until the run is succeeded, failed or cancelled.
    #[arg(short, long)]
    pub follow: bool,
    /// Only lines at this level or above.
    #[arg(long, value_enum, value_name = "LEVEL", default_value_t = LogLevel::Trace)]
    pub level: LogLevel,
    /// Only lines containing TEXT, case-insensitive (in the JSON line or as shown).
    #[arg(long, value_name = "TEXT")]
    pub grep: Option<String>,
    /// Print the matching lines as they are stored: one JSON object per line.
    #[arg(long)]
    pub json: bool,
    /// Only the last N matching lines (then new ones with --follow); 0 means all.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub limit: usize,
}

/// `--level`: a log line's level, least severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

impl LogLevel {
    /// The level of a stored line (`"info"`, also `"WARN"` or `"warning"`).
    pub fn parse(text: &str) -> Option<LogLevel> {
        match text.trim().to_ascii_lowercase().as_str() {
            "trace" => Some(LogLevel::Trace),
            "debug" => Some(LogLevel::Debug),
            "info" => Some(LogLevel::Info),
            "warn" | "warning" => Some(LogLevel::Warn),
            "error" => Some(LogLevel::Error),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }
}

const DOCTOR_ABOUT: &str = "\
Check the data directory after a crash (or any time) and repair what is safe to repair.

Checks:
  - the store: SQLite's integrity_check on trawl.sqlite;
  - exports: every FILE.manifest.json under DATA_DIR/exports (and the folders
    given as arguments) is verified against FILE's size and SHA-256; a torn or
    modified file is reported, never used or changed; a data file without a
    manifest is reported as unverifiable;
  - orphan temp files (.FILE.tmp-PID-RANDOM) left by an export that was
    killed; files of a process that is still running are left alone;
  - runs that can be continued with `trawl resume RUN`: left `running` or
    `queued` by a process that died, `interrupted`, or failed (e.g. on a full
    disk) or cancelled with pages still pending.

--repair removes orphan temp files; it never deletes or rewrites exports or
the store. Exit code: 0 healthy (after --repair: everything found was
repaired), 1 problems remain. Runs waiting to be resumed are listed but are
not problems.";

const SERVE_ABOUT: &str = "\
Run the engine of the data directory, its scheduler and the local HTTP API on
127.0.0.1.

The server owns the data directory (DATA_DIR/engine.lock) until it exits and
publishes its address in DATA_DIR/server.json; while it runs, `trawl run`,
`trawl resume`, `trawl pause` and `trawl cancel` go through it. Runs left
running or queued by a previous process are resumed at start.

The server also runs the scheduler: schedules (`trawl schedule add`) fire
only while `trawl serve` runs. It re-reads the schedules every second, so
`trawl schedule ...` and /api/schedules changes apply at once; at start it
applies each schedule's missed-run policy to the fire times that passed while
it was not running, and logs every fire, skip and failure (-v shows fires and
skips; failures are warnings).

Every API route needs `Authorization: Bearer TOKEN`; the token is generated at
first start into DATA_DIR/api-token (mode 0600). The routes are described by
GET /api/openapi.json. The web UI is served at / (its files are public and
hold no data; it asks for the token, and `trawl ui` prints an address that
signs in). The first Ctrl-C (or SIGTERM) stops the scheduler and
the API and pauses every running run as `interrupted` (resumed at next start);
a second exits at once.";

const UI_ABOUT: &str = "\
Open the web UI of the data directory: runs and schedules, each run's
pipeline with live counts per step, its live event log with filters,
statistics, CPU and memory graphs and a preview of its dataset; start a run
from a spec, pause, resume and cancel runs (the same engine calls as `trawl
pause|resume|cancel` and the HTTP API).

If `trawl serve` already runs on the data directory, prints the UI's address
(and with --open opens it) and exits. Otherwise starts the server exactly as
`trawl serve` does (the engine, the scheduler and the HTTP API; the flags are
the same), prints the address, and serves until Ctrl-C.

The server binds 127.0.0.1 only. The address ends in `#token=...`: it
contains the API token and signs the browser in. It is printed for you, at
this terminal: keep it out of chats, tickets and logs. The part after `#` is
never sent over the network; the page removes it from the address bar and
keeps the token in the tab's session storage, and forgets it after 15
minutes without input (changeable in the UI's settings). Without the
address, the UI asks for the token (the file DATA_DIR/api-token).

--open writes the address into DATA_DIR/ui-open.html (readable by you only,
like api-token) and opens that file with xdg-open, so the token never
appears on a command line.";

const SCHEDULE_ABOUT: &str = "\
Run specs on cron schedules.

A schedule fires its spec at cron times read in a time zone (DST-correct).
Schedules, their last and next fire times and every fire (submitted, skipped,
failed, queued) are kept in the store and survive restarts. They fire only
while `trawl serve` runs on the data directory: start it and leave it running.

These commands write the store directly, also while `trawl serve` runs (the
store is SQLite in WAL mode, safe for several processes): the server's
scheduler re-reads the schedules every second, so a change applies at its
next tick. A schedule is named by its name or its numeric id (see
`trawl schedule list`). Exit codes: 0 ok, 1 failure (unknown schedule, store
error), 2 invalid input (cron, zone, policy, spec, name already in use).

Examples:
  trawl schedule add books.toml --cron \"0 6 * * *\" --tz Europe/Paris
  trawl schedule add books.toml --cron \"*/30 * * * * *\" --name quick --overlap queue
  trawl schedule list
  trawl schedule history books --limit 5
  trawl serve";

const SCHEDULE_ADD_ABOUT: &str = "\
Add a schedule that runs a spec at the times of a cron expression.

The spec is validated now (problems are listed as `trawl spec check` lists
them) and stored as an absolute path: each fire re-reads and validates the
file, so edits apply to the next run, and a file that became invalid makes
that fire fail (recorded in `trawl schedule history`) without stopping the
schedule. With --snapshot the spec's text is stored now instead.

Cron: 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds
first; `*`, lists `1,15`, ranges `9-17`, steps `*/10`, names (MON-SUN,
JAN-DEC), `L`, `W`, `#`, or @yearly, @monthly, @weekly, @daily, @hourly. A
wrong field is named in the error. Daylight saving: a fixed-time job in a
spring-forward gap runs once just after the gap, and once (the first time) on
a fall-back day; interval jobs follow real time.

Prints the schedule and its next five fire times in its zone.";

const SCHEDULE_ADD_EXAMPLES: &str = "\
Examples:
  trawl schedule add books.toml --cron \"0 6 * * *\" --tz Europe/Paris
  trawl schedule add books.toml --cron \"30 8 * * MON-FRI\" --name weekday-books --jitter-secs 300
  trawl schedule add prices.toml --cron @hourly --overlap cancel_previous --missed run_once
  trawl schedule add prices.toml --cron @hourly --name catch-up --missed run_all --missed-max 6
  trawl schedule add books.toml --cron \"*/10 * * * * *\" --snapshot --paused";

#[derive(Debug, Subcommand)]
pub enum ScheduleCommand {
    /// Add a schedule that runs a spec at cron times (validated now; prints the next five fire times).
    #[command(long_about = SCHEDULE_ADD_ABOUT, after_help = SCHEDULE_ADD_EXAMPLES)]
    Add(ScheduleAddArgs),
    /// List every schedule: cron, zone, policies, paused, last fire and its outcome, next five fire times.
    List(JsonArgs),
    /// Show one schedule: its settings, next five fire times and latest fires.
    Show(ScheduleShowArgs),
    /// Pause a schedule: no fire until resumed; times that pass meanwhile are not run later.
    Pause(ScheduleRef),
    /// Resume a paused schedule; its next fire is computed from now (the paused time does not count as missed).
    Resume(ScheduleRef),
    /// Remove a schedule and its fire history; the runs it started stay, with their datasets.
    Remove(ScheduleRef),
    /// A schedule's fires, newest first: cron time, state (submitted, skipped, failed, queued, firing), run and its state, detail.
    History(ScheduleHistoryArgs),
}

#[derive(Debug, Args)]
pub struct ScheduleAddArgs {
    /// The crawl spec (TOML) to run; validated now and stored as an absolute path.
    pub spec: PathBuf,
    /// When to fire, e.g. "0 6 * * *" (06:00 daily), "*/15 * * * *", "0 9 * * MON-FRI", @hourly; 6 fields put seconds first.
    #[arg(long, value_name = "EXPR")]
    pub cron: String,
    /// IANA time zone the cron is read in, e.g. Europe/Paris or America/New_York.
    #[arg(long = "tz", value_name = "ZONE", default_value = "UTC")]
    pub time_zone: String,
    /// Unique name to refer to the schedule by (default: the spec's `name`; not all digits).
    #[arg(long)]
    pub name: Option<String>,
    /// What a fire does while the schedule's previous run is still queued or running.
    #[arg(long, value_enum, default_value_t = OverlapArg::Skip)]
    pub overlap: OverlapArg,
    /// What to do with fire times that passed while `trawl serve` was not running.
    #[arg(long, value_enum, default_value_t = MissedArg::Skip)]
    pub missed: MissedArg,
    /// With `--missed run_all`: catch up at most this many missed fires (1-168).
    #[arg(long, value_name = "N")]
    pub missed_max: Option<u32>,
    /// Delay each fire by a fixed pseudo-random 0 to N seconds, to spread schedules that share a time (at most 86400).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub jitter_secs: u64,
    /// Store the spec's text now instead of re-reading the file at each fire.
    #[arg(long)]
    pub snapshot: bool,
    /// Add the schedule paused (start it with `trawl schedule resume NAME`).
    #[arg(long)]
    pub paused: bool,
    /// Print the schedule as JSON (as GET /api/schedules/{id} does).
    #[arg(long)]
    pub json: bool,
}

/// `--overlap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OverlapArg {
    /// Skip the fire (recorded as skipped).
    Skip,
    /// Start it when the previous run ends (at most one fire waits).
    Queue,
    /// Cancel the previous run, then start the new one.
    #[value(name = "cancel_previous", alias = "cancel-previous")]
    CancelPrevious,
}

/// `--missed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MissedArg {
    /// Forget them (one skipped fire records how many).
    Skip,
    /// Run once at start-up, for the latest missed time.
    #[value(name = "run_once", alias = "run-once")]
    RunOnce,
    /// Run the latest --missed-max of them, oldest first.
    #[value(name = "run_all", alias = "run-all")]
    RunAll,
}

#[derive(Debug, Args)]
pub struct ScheduleRef {
    /// The schedule's name or id (see `trawl schedule list`).
    pub schedule: String,
}

#[derive(Debug, Args)]
pub struct ScheduleShowArgs {
    /// The schedule's name or id (see `trawl schedule list`).
    pub schedule: String,
    /// Print JSON (as GET /api/schedules/{id} does, plus `recent_fires`).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ScheduleHistoryArgs {
    /// The schedule's name or id (see `trawl schedule list`).
    pub schedule: String,
    /// How many fires to show, newest first.
    #[arg(long, default_value_t = 20)]
    pub limit: u32,
    /// Print JSON (the fires as GET /api/schedules/{id}/fires lists them).
    #[arg(long)]
    pub json: bool,
}

const REPLAY_ABOUT: &str = "\
Re-run a recorded run offline: every fetch is answered from its recording
(DATA_DIR/runs/RUN/recording, written by `trawl run --record` or
`record = true`), nothing goes to the network, and the replay is a new run
with its own dataset, events and stats. Pages are replayed one at a time in
frontier order, without waiting for rates or retry back-offs, so every
replay makes the same decisions and gives the same dataset.

With --spec FILE the recording is re-extracted with new rules: changed
selectors give changed items, new link rules may reach pages the recording
lacks, which end as `not_recorded` (never fetched). At the end the replay's
dataset is compared with the original's: items added, removed and changed,
field by field.

With --break EXPR the replay's timeline is searched afterwards and every
event that hits a breakpoint is shown with its recorded request and
response and the page's items; with --step you step through it yourself
(see `trawl timeline --help` for the commands and breakpoint forms).

Examples:
  trawl run books.toml --record
  trawl replay 3
  trawl replay 3 --spec fixed.toml --json
  trawl replay 3 --break 'url~/product/42' --step
  trawl replay 3 --spec fixed.toml --break 'item.price=0'
  trawl import-warc crawl.warc.gz && trawl replay 4 --spec books.toml";

/// The stepper's commands: `trawl timeline --help` and its `help` command.
pub const STEP_COMMANDS: &str = "\
n, next [KIND]   one event forward (to the next KIND event)
p, prev          one event back
c, continue      forward to the next breakpoint, or the end
g, goto N        to position N
b, break [EXPR]  add a breakpoint (without EXPR: list them)
d, delete        remove every breakpoint
r, response      the response's headers and body
i, items         the page's items, as JSON
f, frame         the current position again
h, help          this list
q, quit          (also end of input)
an empty line is `next`";

fn timeline_about() -> String {
    let commands = STEP_COMMANDS.replace('\n', "\n  ");
    format!(
        "{TIMELINE_INTRO}Without --step, every stop is listed. With --step, commands are read\n\
         from stdin, one per line:\n  {commands}\n\n{TIMELINE_EXAMPLES}"
    )
}

const TIMELINE_INTRO: &str = "\
Step through a run's event log: the run's logical clock, one event per
position. At each position you see the event, the request and the response
it is about (from the recording of the run, or of the run a replay
replayed), and at a page's page_extracted event the items extraction made
of it (extracted again from the recorded page with the run's spec).

Breakpoints (--break, repeatable; an event stops when it hits any):
  url~REGEX           the event's URL matches (url~/product/42)
  url=URL             the event's URL is exactly this
  kind=KIND[,KIND]    the event is of a kind (kind=request_retried)
  error               a failed request, an error status, a dropped item
  error~REGEX         such an error whose outcome or message matches
  item.FIELD=VALUE    the page yields an item whose field equals VALUE
                      (numbers by value, lists when any element does)
  item.FIELD~REGEX    ... whose field matches

";

const TIMELINE_EXAMPLES: &str = "\
Examples:
  trawl timeline 4 --break error
  trawl timeline 4 --break 'url~/product/42' --step
  printf 'c\\nr\\nq\\n' | trawl timeline 4 --break 'item.name~(?i)lamp' --step --json";

const EVENTS_ABOUT: &str = "\
A run's stored events, oldest first: every request scheduled, started,
fetched, failed, retried or skipped, every page's items and links, every
checkpoint and state change. Each line shows the event's seq (the run's
logical clock), time, level, kind and details.

Examples:
  trawl events 3 --kind request_failed,item_dropped
  trawl events 3 --level warn --since 10m
  trawl events 3 --grep /product/42 --json | jq .

Kinds: run_created, run_state_changed, request_scheduled, request_started,
request_retried, request_fetched, request_failed, request_skipped,
page_extracted, item_dropped, warning_raised, checkpoint_committed,
host_throttled, limit_changed, schedule_fired, export_written.
Live events of a running server: GET /api/runs/RUN/events (SSE).";

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// The run (default: the newest).
    pub run: Option<RunId>,
    /// Print JSON (the full statistics, every host, the timeline).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// The run (see `trawl runs`).
    pub run: RunId,
    /// Only these kinds (comma-separated or repeated).
    #[arg(short, long, value_name = "KIND")]
    pub kind: Vec<String>,
    /// Only events at this level or above: debug, info, warn, error.
    #[arg(long)]
    pub level: Option<String>,
    /// Only events of the last DURATION (30s, 10m, 2h, 1d).
    #[arg(long, value_name = "DURATION")]
    pub since: Option<String>,
    /// Only events whose JSON contains TEXT (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    pub grep: Option<String>,
    /// Only events after this seq.
    #[arg(long, default_value_t = 0)]
    pub after: u64,
    /// At most this many events (0: all).
    #[arg(long, default_value_t = 0)]
    pub limit: u64,
    /// One JSON object per line, as stored and streamed.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 (0 picks a free one; the address is printed and
    /// written to DATA_DIR/server.json). Default: 8640 (or `serve.port` in
    /// DATA_DIR/config.toml).
    #[arg(long)]
    pub port: Option<u16>,
    /// Runs crawling at once; further runs wait queued (higher priority
    /// first). Default: 2 (or `serve.max_concurrent_runs`).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub max_concurrent_runs: Option<u16>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Debug, Args)]
pub struct UiArgs {
    /// Also open the address in the desktop's browser (xdg-open, through DATA_DIR/ui-open.html).
    #[arg(long)]
    pub open: bool,
    /// How to start the server when none runs (ignored when one does).
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Args)]
pub struct PauseArgs {
    /// The run to pause (see `trawl runs`).
    pub run: RunId,
    /// Abort in-flight pages instead of letting them finish (they are fetched again on resume).
    #[arg(long)]
    pub abort: bool,
}

#[derive(Debug, Args)]
pub struct RunArg {
    /// The run (see `trawl runs`).
    pub run: RunId,
}

#[derive(Debug, Args)]
pub struct JsonArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Limits of the engine that runs the crawl (the whole process: every run).
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Memory ceiling of the process (e.g. 512MiB, 2GiB, 1.5G): runs slow
    /// their intake to stay under it. Default: `engine.memory_limit` in
    /// DATA_DIR/config.toml, else half the machine's memory; `none` for no ceiling.
    #[arg(long, value_name = "SIZE", value_parser = parse_memory_limit)]
    pub memory_limit: Option<MemoryLimit>,
    /// Requests in flight across all runs of the process. Default: 512 (or
    /// `engine.max_requests` in DATA_DIR/config.toml).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_requests: Option<u32>,
    /// Commit the crawl only when it ends, with no checkpoints on the way:
    /// a crash loses the whole run. Only for `trawl bench --checkpoint-cost`,
    /// which measures checkpoints against it; needs an in-process run.
    #[arg(long, hide = true)]
    pub no_checkpoints: bool,
}

/// `--memory-limit`: a size, or no ceiling at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryLimit {
    Bytes(u64),
    Unlimited,
}

/// Sizes like `512MiB`, `2G`, `1.5GB`, `800m` or plain bytes (binary
/// multiples: a memory ceiling is compared with resident memory in KiB).
pub fn parse_memory_limit(text: &str) -> Result<MemoryLimit, String> {
    let trimmed = text.trim();
    if trimmed.eq_ignore_ascii_case("none") || trimmed.eq_ignore_ascii_case("unlimited") {
        return Ok(MemoryLimit::Unlimited);
    }
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size like 512MiB, 2GiB or 1.5G"))?;
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        other => {
            return Err(format!(
                "unknown size unit {other:?} in {text:?}; use KiB, MiB, GiB or TiB"
            ));
        }
    };
    let bytes = value * multiplier as f64;
    if !(bytes.is_finite() && bytes >= (16 << 20) as f64) {
        return Err(format!(
            "{text:?} is too small: the ceiling must be at least 16MiB (or `none`)"
        ));
    }
    Ok(MemoryLimit::Bytes(bytes as u64))
}

#[derive(Debug, Args)]
pub struct ProgressArgs {
    /// Print a JSON summary on stdout at the end (progress lines still go to stderr unless --quiet).
    #[arg(long)]
    pub json: bool,
    /// No progress output.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Number of products in the demo shop.
    #[arg(long, default_value_t = 240)]
    pub products: u32,
    #[command(flatten)]
    pub progress: ProgressArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The crawl spec (TOML). See examples/ and `trawl spec schema`.
    pub spec: PathBuf,
    /// Also export the dataset when the run ends (jsonl, csv or parquet); needs --output.
    #[arg(long, value_name = "FORMAT", requires = "output")]
    pub export: Option<String>,
    /// Export destination for --export.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Record every HTTP exchange as WARC files in DATA_DIR/runs/RUN/recording
    /// (as `record = true` in the spec does), for `trawl replay RUN`.
    #[arg(long)]
    pub record: bool,
    #[command(flatten)]
    pub progress: ProgressArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The recorded run to replay (see `trawl runs`).
    pub run: RunId,
    /// Replay with this spec instead of the run's own: new extraction and
    /// link rules, against the same recording.
    #[arg(long, value_name = "FILE")]
    pub spec: Option<PathBuf>,
    /// Changed items to list in the difference report (0: all).
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub show: usize,
    #[command(flatten)]
    pub stepping: SteppingArgs,
    #[command(flatten)]
    pub progress: ProgressArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Breakpoints and stepping, shared by `trawl replay` and `trawl timeline`.
#[derive(Debug, Args)]
pub struct SteppingArgs {
    /// Stop at events that hit EXPR (repeatable): url~REGEX, url=URL,
    /// kind=KIND[,KIND], error, error~REGEX, item.FIELD=VALUE or
    /// item.FIELD~REGEX. Without --step, every stop is listed.
    #[arg(long = "break", value_name = "EXPR", value_parser = parse_breakpoint)]
    pub breakpoints: Vec<trawl_engine::Breakpoint>,
    /// Step through the timeline: commands on stdin, one per line (`help`
    /// lists them; an empty line steps).
    #[arg(long)]
    pub step: bool,
}

fn parse_breakpoint(text: &str) -> Result<trawl_engine::Breakpoint, String> {
    text.parse()
        .map_err(|error: trawl_engine::BreakpointError| error.to_string())
}

#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// The run to step through (a replay, or a recorded run; see `trawl runs`).
    pub run: RunId,
    #[command(flatten)]
    pub stepping: SteppingArgs,
    /// Print JSON: one stop (or, with --step, one answer) per line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ImportWarcArgs {
    /// WARC files (.warc or .warc.gz) written by any tool: wget
    /// --warc-file, Browsertrix, warcio, or trawl.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Name of the run (default: the first file's name).
    #[arg(long)]
    pub name: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// The run to resume (see `trawl runs`).
    pub run: RunId,
    #[command(flatten)]
    pub progress: ProgressArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Debug, Args)]
pub struct ItemsArgs {
    /// The run (default: the newest).
    pub run: Option<RunId>,
    /// How many items to show.
    #[arg(long, default_value_t = 20)]
    pub limit: u64,
    /// Skip this many items first.
    #[arg(long, default_value_t = 0)]
    pub offset: u64,
    /// Print JSON lines instead of a summary per item.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The run to export (see `trawl runs`).
    pub run: RunId,
    /// jsonl, csv or parquet. Default: from the output file's extension.
    #[arg(short, long)]
    pub format: Option<String>,
    /// Destination file; written atomically, with FILE.manifest.json beside it.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Print the manifest as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum SpecCommand {
    /// Validate a spec and list every problem with file, line and column.
    Check {
        spec: PathBuf,
        /// Print problems as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the spec's JSON Schema (for editor completion and validation).
    Schema,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Remove orphan temp files left by killed exports (nothing else is changed).
    #[arg(long)]
    pub repair: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// More folders to check for exports and temp files (DATA_DIR/exports is always checked).
    #[arg(value_name = "DIR")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServeFixtureArgs {
    /// Which site: `catalog` (the demo shop) or `hostile` (misbehaving endpoints).
    #[arg(default_value = "catalog")]
    pub site: String,
    /// Port on 127.0.0.1 (0 picks a free one; the address is printed on stdout).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Catalog shape: `demo` (6 categories, 12 per page, dead links) or
    /// `bench` (20 categories, 24 per page, ~20 KB pages, no dead links).
    #[arg(long, default_value = "demo")]
    pub preset: String,
    /// Products in the catalog.
    #[arg(long, default_value_t = 240)]
    pub products: u32,
    /// Approximate size of each catalog page in bytes.
    #[arg(long)]
    pub page_bytes: Option<usize>,
    /// Server worker threads.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Milliseconds every response waits before it is sent (a slower site).
    #[arg(long, default_value_t = 0)]
    pub delay_ms: u64,
    /// gzip responses for clients that accept it, as real sites do (each
    /// page is compressed once and cached, like nginx's gzip_static).
    #[arg(long)]
    pub gzip: bool,
}
