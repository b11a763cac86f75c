//! Commands that read a run's event log: `trawl stats` (statistics derived
//! from it, with the resource samples) and `trawl events` (the log itself,
//! filtered), plus the statistics lines of `trawl run`'s summary.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use serde_json::json;
use trawl_engine::{decode_event, run_stats};
use trawl_events::{Envelope, Event, EventKind, Level, ResourceSample, RunStats};
use trawl_store::{EventQuery, Store};
use trawl_types::RunId;

use super::inspect::{newest_run, open_store};
use crate::cli::{EventsArgs, StatsArgs};
use crate::datadir::DataDir;
use crate::output;

pub fn stats(data_dir: &DataDir, args: &StatsArgs) -> Result<ExitCode> {
    let store = open_store(data_dir)?;
    let run_id = match args.run {
        Some(run_id) => run_id,
        None => newest_run(&store)?,
    };
    let record = store
        .run(run_id)
        .with_context(|| format!("cannot read run {run_id}"))?;
    let (stats, undecodable) =
        run_stats(&store, run_id).with_context(|| format!("cannot read run {run_id}'s events"))?;
    let samples = samples(&store, run_id)?;
    if args.json {
        output::json(&json!({
            "run_id": run_id,
            "name": record.name,
            "state": record.state,
            "stats": stats,
            "resources": resources_json(&samples),
            "undecodable_events": undecodable,
        }));
        return Ok(ExitCode::SUCCESS);
    }
    output::line(format!("run {run_id} {}: {}", record.name, record.state));
    if stats.pages == 0 && stats.first_event_at_millis.is_none() {
        output::line(
            "  no events recorded: the run predates the event log, or its spec had event_log = false",
        );
        return Ok(ExitCode::SUCCESS);
    }
    for line in stats_lines(&stats) {
        output::line(format!("  {line}"));
    }
    if let Some(line) = resources_line(&samples) {
        output::line(format!("  {line}"));
    }
    if !stats.hosts.is_empty() {
        output::line(format!(
            "  {:<40} {:>8} {:>7} {:>10} {:>7} {:>7} {:>7}",
            "HOST", "PAGES", "ERRORS", "BYTES", "RETRIES", "P50 MS", "P90 MS"
        ));
        for host in stats.hosts.iter().take(20) {
            output::line(format!(
                "  {:<40} {:>8} {:>7} {:>10} {:>7} {:>7} {:>7}",
                truncate(&host.host, 40),
                host.pages,
                host.errors,
                output::human_bytes(host.bytes),
                host.retries,
                host.latency.p50_millis,
                host.latency.p90_millis
            ));
        }
        if stats.hosts.len() > 20 {
            output::line(format!(
                "  ... and {} more hosts (--json lists all)",
                stats.hosts.len() - 20
            ));
        }
    }
    if undecodable > 0 {
        output::line(format!(
            "  note: {undecodable} stored events could not be read (written by a newer trawl?) and are not counted"
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// Appends `export_written` to the run's event log. Only an owner of the
/// data directory may (no engine numbers the run's events meanwhile); a
/// failure is reported and changes nothing else: the manifest is the record.
pub fn record_export(
    store: &Store,
    run_id: RunId,
    path: &std::path::Path,
    manifest: &trawl_export::Manifest,
) {
    let recorded = store.last_event_seq(run_id).and_then(|last_seq| {
        let envelope = Envelope {
            run_id,
            seq: last_seq + 1,
            at_millis: trawl_events::now_unix_millis(),
            event: Event::ExportWritten {
                path: path.display().to_string(),
                format: manifest.format.to_string(),
                items: manifest.items,
                sha256: manifest.sha256.clone(),
            },
        };
        store.append_events(run_id, &[trawl_engine::event_row(&envelope)])
    });
    if let Err(error) = recorded {
        tracing::warn!(%run_id, %error, "the export is written but not recorded in the run's events");
    }
}

/// The statistics as a few short lines (also under `trawl run`'s summary).
pub fn stats_lines(stats: &RunStats) -> Vec<String> {
    let mut lines = Vec::new();
    let counted = |pairs: Vec<(String, u64)>| {
        pairs
            .iter()
            .map(|(name, count)| format!("{name} ×{count}"))
            .collect::<Vec<_>>()
            .join("  ")
    };
    lines.push(format!(
        "pages    {} ({} ok, {} failed, {} skipped), {}, {} retries",
        stats.pages,
        stats.pages_ok,
        stats.pages_failed,
        stats.pages_skipped,
        output::human_bytes(stats.bytes),
        stats.retries
    ));
    lines.push(format!(
        "items    {} stored ({} duplicates, {} dropped), {} warnings",
        stats.items_stored, stats.items_duplicate, stats.items_dropped, stats.warnings
    ));
    if !stats.status_codes.is_empty() {
        lines.push(format!(
            "status   {}",
            counted(
                stats
                    .status_codes
                    .iter()
                    .map(|(status, count)| (status.to_string(), *count))
                    .collect()
            )
        ));
    }
    if !stats.errors_by_kind.is_empty() {
        let mut errors: Vec<(String, u64)> = stats
            .errors_by_kind
            .iter()
            .map(|(kind, count)| (kind.clone(), *count))
            .collect();
        errors.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        lines.push(format!("errors   {}", counted(errors)));
    }
    let latency = &stats.latency;
    if latency.count > 0 {
        lines.push(format!(
            "latency  p50 {} ms  p90 {} ms  p99 {} ms  max {} ms  (mean {:.1} ms over {} responses)",
            latency.p50_millis,
            latency.p90_millis,
            latency.p99_millis,
            latency.max_millis,
            latency.mean_millis,
            latency.count
        ));
    }
    if stats.timeline.len() > 1 {
        let peak = stats
            .timeline
            .iter()
            .map(|point| point.pages_per_sec)
            .fold(0.0_f64, f64::max);
        lines.push(format!(
            "pages/s  {}  (peak {peak:.0}, {} s per bar)",
            sparkline(stats.timeline.iter().map(|point| point.pages_per_sec)),
            stats.timeline_bucket_secs
        ));
    }
    lines
}

/// Eight levels of block characters, scaled to the largest value.
fn sparkline(values: impl Iterator<Item = f64> + Clone) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let peak = values.clone().fold(0.0_f64, f64::max);
    values
        .map(|value| {
            if peak <= 0.0 || value <= 0.0 {
                ' '
            } else {
                let index = ((value / peak) * 7.0).round() as usize;
                BARS[index.min(7)]
            }
        })
        .collect()
}

fn samples(store: &Store, run_id: RunId) -> Result<Vec<ResourceSample>> {
    Ok(store
        .samples(run_id, 0, 0)
        .with_context(|| format!("cannot read run {run_id}'s resource samples"))?
        .iter()
        .filter_map(|row| serde_json::from_str(&row.payload).ok())
        .collect())
}

fn resources_json(samples: &[ResourceSample]) -> serde_json::Value {
    if samples.is_empty() {
        return serde_json::Value::Null;
    }
    json!({
        "samples": samples.len(),
        "peak_rss_bytes": samples.iter().map(|sample| sample.process_rss_bytes).max(),
        "mean_cpu_percent": samples.iter().map(|sample| sample.process_cpu_percent).sum::<f64>() / samples.len() as f64,
        "peak_open_sockets": samples.iter().map(|sample| sample.open_sockets).max(),
        "last_store_bytes": samples.last().map(|sample| sample.store_bytes),
    })
}

fn resources_line(samples: &[ResourceSample]) -> Option<String> {
    let last = samples.last()?;
    let peak_rss = samples
        .iter()
        .map(|sample| sample.process_rss_bytes)
        .max()?;
    let mean_cpu = samples
        .iter()
        .map(|sample| sample.process_cpu_percent)
        .sum::<f64>()
        / samples.len() as f64;
    let peak_sockets = samples.iter().map(|sample| sample.open_sockets).max()?;
    Some(format!(
        "process  peak RSS {}, mean CPU {mean_cpu:.0}% of a core, up to {peak_sockets} sockets, store {} ({} samples)",
        output::human_bytes(peak_rss),
        output::human_bytes(last.store_bytes),
        samples.len()
    ))
}

/// `text` cut to `width` characters, an ellipsis marking the cut.
pub(super) fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let cut: String = text.chars().take(width.saturating_sub(1)).collect();
    format!("{cut}…")
}

pub fn events(data_dir: &DataDir, args: &EventsArgs) -> Result<ExitCode> {
    let mut kinds = Vec::new();
    for name in args.kind.iter().flat_map(|value| value.split(',')) {
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        let Some(kind) = EventKind::parse(name) else {
            bail!(
                "unknown event kind {name:?}; expected one of {}",
                EventKind::names()
            );
        };
        kinds.push(kind.as_str().to_owned());
    }
    let level = match &args.level {
        Some(text) => Some(Level::parse(text).with_context(|| {
            format!("unknown level {text:?}; expected debug, info, warn or error")
        })?),
        None => None,
    };
    let from_millis = match &args.since {
        Some(since) => Some(trawl_events::now_unix_millis() - parse_age_millis(since)?),
        None => None,
    };
    let store = open_store(data_dir)?;
    store
        .run(args.run)
        .with_context(|| format!("cannot read run {}", args.run))?;
    let query = EventQuery {
        after_seq: args.after,
        kinds,
        from_millis,
        to_millis: None,
        limit: 0,
    };
    let mut shown = 0_u64;
    let mut undecodable = 0_u64;
    let mut result = Ok(());
    store
        .for_each_event(args.run, &query, |row| {
            if result.is_err() || (args.limit > 0 && shown >= args.limit) {
                return;
            }
            let envelope = match decode_event(args.run, &row) {
                Ok(envelope) => envelope,
                Err(_) => {
                    undecodable += 1;
                    return;
                }
            };
            if level.is_some_and(|level| envelope.event.level() < level) {
                return;
            }
            if let Some(grep) = &args.grep
                && !row.payload.to_lowercase().contains(&grep.to_lowercase())
            {
                return;
            }
            shown += 1;
            if args.json {
                result = serde_json::to_value(&envelope)
                    .map(|value| output::json_line(&value))
                    .context("cannot render an event");
            } else {
                output::line(describe(&envelope));
            }
        })
        .with_context(|| format!("cannot read run {}'s events", args.run))?;
    result?;
    if !args.json {
        if shown == 0 {
            eprintln!("no matching events for run {}", args.run);
        }
        if undecodable > 0 {
            eprintln!(
                "note: {undecodable} stored events could not be read (written by a newer trawl?)"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `10s`, `5m`, `2h`, `1d` (or plain seconds) as milliseconds.
fn parse_age_millis(text: &str) -> Result<i64> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let value: i64 = number
        .parse()
        .with_context(|| format!("--since {text:?} is not a duration like 30s, 10m, 2h or 1d"))?;
    let unit_millis = match unit {
        "" | "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => bail!("--since {text:?} is not a duration like 30s, 10m, 2h or 1d"),
    };
    Ok(value.saturating_mul(unit_millis))
}

/// One event on one line: seq, local time, level, kind, then what matters.
pub fn describe(envelope: &Envelope) -> String {
    let time = chrono::DateTime::from_timestamp_millis(envelope.at_millis)
        .map(|at| {
            at.with_timezone(&chrono::Local)
                .format("%H:%M:%S%.3f")
                .to_string()
        })
        .unwrap_or_default();
    let event = &envelope.event;
    let detail = match event {
        Event::RunCreated { name, priority } => format!("{name} (priority {priority})"),
        Event::RunStateChanged {
            from,
            to,
            reason,
            error,
        } => match error {
            Some(error) => format!("{from} -> {to} ({reason}: {error})"),
            None => format!("{from} -> {to} ({reason})"),
        },
        Event::RequestScheduled {
            url, depth, via, ..
        } => match via {
            Some(via) => format!("{url} depth {depth} via {via}"),
            None => format!("{url} depth {depth}"),
        },
        Event::RequestStarted { url, attempt } => format!("{url} attempt {attempt}"),
        Event::RequestRetried {
            url,
            attempt,
            delay_millis,
            reason,
        } => format!("{url} attempt {attempt} in {delay_millis} ms ({reason})"),
        Event::RequestFetched {
            url,
            status,
            bytes,
            elapsed_millis,
            outcome,
            final_url,
        } => {
            let redirected = final_url
                .as_deref()
                .map(|final_url| format!(" -> {final_url}"))
                .unwrap_or_default();
            format!(
                "{status} {outcome} {} {elapsed_millis} ms {url}{redirected}",
                output::human_bytes(*bytes)
            )
        }
        Event::RequestFailed {
            url,
            outcome,
            error,
            ..
        } => format!("{outcome} {url}: {error}"),
        Event::RequestSkipped { url, reason } => format!("{reason} {url}"),
        Event::PageExtracted {
            url,
            items,
            items_dropped,
            links_found,
            links_followed,
            ..
        } => format!(
            "{items} items ({items_dropped} dropped), {links_followed} of {links_found} links followed {url}"
        ),
        Event::ItemDropped {
            url, rule, message, ..
        } => format!("{rule}: {message} {url}"),
        Event::WarningRaised {
            url,
            warning,
            message,
        } => format!("{warning}: {message} {}", url.as_deref().unwrap_or("")),
        Event::CheckpointCommitted {
            pages,
            items_inserted,
            elapsed_millis,
            ..
        } => format!("{pages} pages, {items_inserted} items in {elapsed_millis} ms"),
        Event::HostThrottled {
            host,
            delay_millis,
            reason,
        } => format!("{host} held {delay_millis} ms ({reason})"),
        Event::LimitChanged {
            scope,
            limit,
            from,
            to,
            reason,
        } => format!("{scope} {limit} {from} -> {to} ({reason})"),
        Event::ScheduleFired { schedule, .. } => format!("schedule {schedule}"),
        Event::ExportWritten {
            path,
            items,
            format,
            ..
        } => format!("{items} items as {format} to {path}"),
    };
    format!(
        "{:>7} {time} {:<5} {:<20} {detail}",
        envelope.seq,
        event.level().as_str(),
        event.kind().as_str()
    )
}
