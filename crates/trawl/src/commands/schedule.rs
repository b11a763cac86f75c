//! `trawl schedule add|list|show|pause|resume|remove|history`: parse the
//! arguments, call `trawl_schedule::catalog` (the same code the API's
//! `/api/schedules` routes call) on the data directory's store, and render
//! the result.
//!
//! The commands write the store directly, whether or not `trawl serve` runs:
//! schedules are plain rows that the server's scheduler re-reads every tick,
//! and SQLite in WAL mode is safe for several processes. They take no
//! `engine.lock` (they run no engine), like `trawl runs`.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde_json::Value;
use trawl_api::dto::{FireListDto, RunScheduleDto, ScheduleDto};
use trawl_schedule::{
    AddSchedule, Clock, FireView, MissedRunPolicy, OverlapPolicy, ScheduleError, ScheduleTarget,
    ScheduleView, SpecInput, SystemClock, catalog,
};
use trawl_store::Store;

use super::inspect::{open_store, report_spec_error};
use crate::cli::{
    MissedArg, OverlapArg, ScheduleAddArgs, ScheduleCommand, ScheduleHistoryArgs, ScheduleRef,
    ScheduleShowArgs,
};
use crate::datadir::DataDir;
use crate::output;
use crate::owner::Discovery;

/// Fires `trawl schedule show` lists under the settings.
const RECENT_FIRES_SHOWN: u32 = 5;

pub fn schedule(data_dir: &DataDir, command: &ScheduleCommand) -> Result<ExitCode> {
    match command {
        ScheduleCommand::Add(args) => add(data_dir, args),
        ScheduleCommand::List(args) => list(data_dir, args.json),
        ScheduleCommand::Show(args) => show(data_dir, args),
        ScheduleCommand::Pause(args) => pause(data_dir, args),
        ScheduleCommand::Resume(args) => resume(data_dir, args),
        ScheduleCommand::Remove(args) => remove(data_dir, args),
        ScheduleCommand::History(args) => history(data_dir, args),
    }
}

fn now() -> DateTime<Utc> {
    SystemClock.now()
}

fn add(data_dir: &DataDir, args: &ScheduleAddArgs) -> Result<ExitCode> {
    let missed = match (args.missed, args.missed_max) {
        (MissedArg::RunAll, Some(max)) => MissedRunPolicy::RunAll { max },
        (MissedArg::RunAll, None) => {
            return Ok(invalid_input(anyhow::anyhow!(
                "--missed run_all needs --missed-max N (1-{}): how many missed fires to catch up at most",
                trawl_schedule::model::MAX_RUN_ALL
            )));
        }
        (_, Some(_)) => {
            return Ok(invalid_input(anyhow::anyhow!(
                "--missed-max only applies to --missed run_all; drop it or add --missed run_all"
            )));
        }
        (MissedArg::Skip, None) => MissedRunPolicy::Skip,
        (MissedArg::RunOnce, None) => MissedRunPolicy::RunOnce,
    };
    let overlap = match args.overlap {
        OverlapArg::Skip => OverlapPolicy::Skip,
        OverlapArg::Queue => OverlapPolicy::Queue,
        OverlapArg::CancelPrevious => OverlapPolicy::CancelPrevious,
    };
    let path = std::path::absolute(&args.spec)
        .with_context(|| format!("cannot make {} absolute", args.spec.display()))?;
    let request = AddSchedule {
        name: args.name.clone(),
        cron: args.cron.clone(),
        time_zone: args.time_zone.clone(),
        overlap,
        missed,
        jitter: Duration::from_secs(args.jitter_secs),
        spec: SpecInput::File {
            path,
            snapshot: args.snapshot,
        },
        paused: args.paused,
    };
    let store = open_store(data_dir)?;
    let view = match catalog::add(&store, &request, now()) {
        Ok(view) => view,
        Err(error) => return refused(error, "cannot add the schedule", args.json),
    };
    if args.json {
        output::json(&schedule_json(&view));
    } else {
        output::line(format!(
            "added schedule {} (#{})",
            view.schedule.name, view.schedule.id
        ));
        print_schedule(&view);
    }
    // A stale server.json whose pid was reused would hide this hint; that is
    // harmless, and reading the file never disturbs a server that is starting.
    match Discovery::read_live(data_dir.root()) {
        Some(server) => eprintln!(
            "the trawl server at {} picks it up within a second",
            server.address
        ),
        None if !view.schedule.paused => eprintln!(
            "note: schedules fire only while `trawl serve` runs on {}; start it to fire this one",
            data_dir.root().display()
        ),
        None => {}
    }
    Ok(ExitCode::SUCCESS)
}

fn list(data_dir: &DataDir, as_json: bool) -> Result<ExitCode> {
    let store = open_store(data_dir)?;
    let views = catalog::list(&store, now())
        .map_err(|error| stored_error(error, "cannot list schedules"))?;
    if as_json {
        output::json(&Value::Array(views.iter().map(schedule_json).collect()));
        return Ok(ExitCode::SUCCESS);
    }
    if views.is_empty() {
        output::line("no schedules yet: add one with `trawl schedule add SPEC --cron EXPR`");
        return Ok(ExitCode::SUCCESS);
    }
    for (index, view) in views.iter().enumerate() {
        if index > 0 {
            output::line("");
        }
        print_schedule(view);
    }
    Ok(ExitCode::SUCCESS)
}

fn show(data_dir: &DataDir, args: &ScheduleShowArgs) -> Result<ExitCode> {
    let store = open_store(data_dir)?;
    let (view, fires) = match lookup(&store, &args.schedule).and_then(|view| {
        catalog::history(&store, view.schedule.id, RECENT_FIRES_SHOWN).map(|fires| (view, fires))
    }) {
        Ok(found) => found,
        Err(error) => return refused(error, "cannot show the schedule", false),
    };
    if args.json {
        let mut value = schedule_json(&view);
        value["recent_fires"] = fires_json(&view, &fires);
        output::json(&value);
        return Ok(ExitCode::SUCCESS);
    }
    print_schedule(&view);
    if !fires.is_empty() {
        output::line("  recent fires:");
        print_fires(&view, &fires, "    ");
        output::line(format!(
            "  (all of them: trawl schedule history {})",
            view.schedule.name
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn pause(data_dir: &DataDir, args: &ScheduleRef) -> Result<ExitCode> {
    let store = open_store(data_dir)?;
    let paused = catalog::resolve(&store, &args.schedule)
        .and_then(|schedule_id| catalog::pause(&store, schedule_id, now()));
    let (view, changed) = match paused {
        Ok(paused) => paused,
        Err(error) => return refused(error, "cannot pause the schedule", false),
    };
    let name = &view.schedule.name;
    if changed {
        output::line(format!(
            "paused schedule {name} (#{}): no fire until `trawl schedule resume {name}`",
            view.schedule.id
        ));
    } else {
        output::line(format!(
            "schedule {name} (#{}) was already paused",
            view.schedule.id
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn resume(data_dir: &DataDir, args: &ScheduleRef) -> Result<ExitCode> {
    let store = open_store(data_dir)?;
    let resumed = catalog::resolve(&store, &args.schedule)
        .and_then(|schedule_id| catalog::resume(&store, schedule_id, now()));
    let (view, changed) = match resumed {
        Ok(resumed) => resumed,
        Err(error) => return refused(error, "cannot resume the schedule", false),
    };
    let verb = if changed {
        "resumed schedule"
    } else {
        "schedule (not paused)"
    };
    output::line(format!(
        "{verb} {} (#{}); next fire {}",
        view.schedule.name,
        view.schedule.id,
        view.next_fires
            .first()
            .map(|next| local_time(&view, *next))
            .unwrap_or_else(|| "never".to_owned())
    ));
    Ok(ExitCode::SUCCESS)
}

fn remove(data_dir: &DataDir, args: &ScheduleRef) -> Result<ExitCode> {
    let store = open_store(data_dir)?;
    let removed = catalog::resolve(&store, &args.schedule)
        .and_then(|schedule_id| catalog::remove(&store, schedule_id));
    let removed = match removed {
        Ok(removed) => removed,
        Err(error) => return refused(error, "cannot remove the schedule", false),
    };
    let runs = match removed.runs_kept.len() {
        0 => "it started no runs".to_owned(),
        1 => format!("the run it started ({}) stays", removed.runs_kept[0]),
        count => format!("the {count} runs it started stay (`trawl runs`)"),
    };
    output::line(format!(
        "removed schedule {} (#{}) and its {} fire record(s); {runs}",
        removed.name, removed.schedule_id, removed.fires_deleted
    ));
    Ok(ExitCode::SUCCESS)
}

fn history(data_dir: &DataDir, args: &ScheduleHistoryArgs) -> Result<ExitCode> {
    let store = open_store(data_dir)?;
    let found = lookup(&store, &args.schedule).and_then(|view| {
        catalog::history(&store, view.schedule.id, args.limit).map(|fires| (view, fires))
    });
    let (view, fires) = match found {
        Ok(found) => found,
        Err(error) => return refused(error, "cannot read the schedule's history", false),
    };
    if args.json {
        output::json(&fires_json(&view, &fires));
        return Ok(ExitCode::SUCCESS);
    }
    if fires.is_empty() {
        output::line(format!(
            "schedule {} has not fired yet; next fire {}",
            view.schedule.name,
            view.next_fires
                .first()
                .map(|next| local_time(&view, *next))
                .unwrap_or_else(|| "never".to_owned())
        ));
        return Ok(ExitCode::SUCCESS);
    }
    output::line(format!(
        "fires of schedule {} (#{}), newest first, times in {}:",
        view.schedule.name,
        view.schedule.id,
        view.schedule.cron.time_zone().name()
    ));
    print_fires(&view, &fires, "  ");
    Ok(ExitCode::SUCCESS)
}

/// The schedule named or numbered `key`, with its next fire times.
fn lookup(store: &Store, key: &str) -> Result<ScheduleView, ScheduleError> {
    let schedule_id = catalog::resolve(store, key)?;
    catalog::get(store, schedule_id, now())
}

/// A catalog error: spec problems rendered as `trawl spec check` does and
/// other input errors printed, both exit 2; the rest is a failure (exit 1).
fn refused(error: ScheduleError, what: &str, as_json: bool) -> Result<ExitCode> {
    match error {
        ScheduleError::InvalidSpec(spec_error) => Ok(report_spec_error(&spec_error, as_json)),
        ScheduleError::NotFound { .. } => Err(anyhow::Error::new(error).context(what.to_owned())),
        input if input.is_input_error() => Ok(invalid_input(
            anyhow::Error::new(input).context(what.to_owned()),
        )),
        other => Err(stored_error(other, what)),
    }
}

/// A failure of the store or of a stored row, with a hint for the latter.
fn stored_error(error: ScheduleError, what: &str) -> anyhow::Error {
    let hint = match &error {
        ScheduleError::StoredSchedule { schedule_id, .. } => format!(
            "{what}: stored schedule {schedule_id} cannot be read (edited by hand, or written by a newer trawl); remove it with `trawl schedule remove {schedule_id}`"
        ),
        _ => what.to_owned(),
    };
    anyhow::Error::new(error).context(hint)
}

fn invalid_input(error: anyhow::Error) -> ExitCode {
    output::error(&error);
    ExitCode::from(output::EXIT_INVALID_INPUT)
}

/// The schedule as JSON: the API's DTO, so both speak one shape.
fn schedule_json(view: &ScheduleView) -> Value {
    serde_json::to_value(ScheduleDto::from(view)).unwrap_or(Value::Null)
}

fn fires_json(view: &ScheduleView, fires: &[FireView]) -> Value {
    serde_json::to_value(FireListDto::new(view, fires).fires).unwrap_or(Value::Null)
}

/// `time` in the schedule's zone, with the zone's abbreviation and UTC offset.
fn local_time(view: &ScheduleView, time: DateTime<Utc>) -> String {
    let zone = view.schedule.cron.time_zone();
    let format = if zone.name() == "UTC" {
        "%Y-%m-%d %H:%M:%S UTC"
    } else {
        "%Y-%m-%d %H:%M:%S %Z (UTC%:z)"
    };
    time.with_timezone(&zone).format(format).to_string()
}

fn print_schedule(view: &ScheduleView) {
    let schedule = &view.schedule;
    let state = if schedule.paused { "paused" } else { "active" };
    output::line(format!("{} (#{}), {state}", schedule.name, schedule.id));
    output::line(format!(
        "  cron        {} in {}",
        schedule.cron.expression(),
        schedule.cron.time_zone().name()
    ));
    let spec = match &schedule.target {
        ScheduleTarget::SpecFile(path) => format!("{} (re-read at each fire)", path.display()),
        ScheduleTarget::SpecSnapshot(text) => {
            format!(
                "snapshot of the spec text ({} bytes, stored when added)",
                text.len()
            )
        }
    };
    output::line(format!("  spec        {spec}"));
    let missed = match schedule.missed {
        MissedRunPolicy::RunAll { max } => format!("run_all (at most {max})"),
        other => other.as_str().to_owned(),
    };
    let jitter = match schedule.jitter.as_secs() {
        0 => "none".to_owned(),
        secs => format!("up to {secs} s"),
    };
    output::line(format!(
        "  policies    overlap {}, missed {missed}, jitter {jitter}",
        schedule.overlap.as_str()
    ));
    let last = match &view.last_fire {
        Some(fire) => format!(
            "{}: {}",
            local_time(view, fire.scheduled_for),
            fire_outcome(fire)
        ),
        None => "never".to_owned(),
    };
    output::line(format!("  last fire   {last}"));
    if let Some(queued) = schedule.queued_fire {
        output::line(format!(
            "  queued      {} (waits for the previous run to end)",
            local_time(view, queued)
        ));
    }
    if let Some(overdue) = view.overdue_since {
        output::line(format!(
            "  overdue     {} passed while no `trawl serve` ran; its missed-run policy ({}) decides when one starts",
            local_time(view, overdue),
            schedule.missed.as_str()
        ));
    }
    let label = if schedule.paused {
        "  if resumed  "
    } else {
        "  next fires  "
    };
    if view.next_fires.is_empty() {
        output::line(format!("{label}none (the expression has no future date)"));
    }
    for (index, next) in view.next_fires.iter().enumerate() {
        let prefix = if index == 0 { label } else { "              " };
        output::line(format!("{prefix}{}", local_time(view, *next)));
    }
}

/// "submitted, run 4 (succeeded)", "skipped: the previous run is still active", ...
fn fire_outcome(fire: &FireView) -> String {
    let mut outcome = fire.fire.state.as_str().to_owned();
    if let Some(run_id) = fire.fire.run_id {
        outcome.push_str(&format!(", run {run_id}"));
        if let Some(state) = fire.run_state {
            outcome.push_str(&format!(" ({state})"));
        }
    }
    if let Some(detail) = &fire.fire.detail {
        outcome.push_str(&format!(": {detail}"));
    }
    outcome
}

fn print_fires(view: &ScheduleView, fires: &[FireView], indent: &str) {
    output::line(format!(
        "{indent}{:<38} {:<10} {:>6}  {:<12} DETAIL",
        "SCHEDULED FOR", "STATE", "RUN", "RUN STATE"
    ));
    for fire in fires {
        output::line(format!(
            "{indent}{:<38} {:<10} {:>6}  {:<12} {}",
            local_time(view, fire.scheduled_for),
            fire.fire.state.as_str(),
            fire.fire
                .run_id
                .map(|run_id| run_id.to_string())
                .unwrap_or_else(|| "-".to_owned()),
            fire.run_state.map(|state| state.as_str()).unwrap_or("-"),
            fire.fire.detail.as_deref().unwrap_or(""),
        ));
    }
}

/// `"schedule"` of a run in `trawl runs --json`: as the API's `Run.schedule`.
pub fn run_schedule_json(link: Option<&trawl_store::RunSchedule>) -> Value {
    serde_json::to_value(link.map(RunScheduleDto::from)).unwrap_or(Value::Null)
}
