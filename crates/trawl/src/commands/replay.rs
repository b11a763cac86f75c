//! `trawl replay RUN [--spec FILE] [--break EXPR] [--step]` (re-run a
//! recorded run offline, compare its dataset with the original's, then
//! show or step through the replay's timeline) and `trawl import-warc FILE…`
//! (make other tools' WARC files into a run to replay with a spec).

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use trawl_store::Store;
use trawl_types::{Item, RunId};

use super::inspect::{open_store, report_spec_error};
use super::run::{Start, execute};
use crate::cli::{ImportWarcArgs, ProgressArgs, ReplayArgs};
use crate::datadir::DataDir;
use crate::output;
use crate::owner::{self, Claim};

pub fn replay(data_dir: &DataDir, args: &ReplayArgs) -> Result<ExitCode> {
    let loaded = match &args.spec {
        Some(path) => match trawl_spec::load(path) {
            Ok(loaded) => Some(loaded),
            Err(error) => return Ok(report_spec_error(&error, args.progress.json)),
        },
        None => None,
    };
    {
        let store = open_store(data_dir)?;
        store
            .run(args.run)
            .with_context(|| format!("cannot replay run {}", args.run))?;
    }
    // With --json, one document: the replay's run and the difference (the
    // run's own summary is not printed separately).
    let progress = ProgressArgs {
        json: false,
        quiet: args.progress.quiet || args.progress.json,
    };
    let (replay_id, code) = execute(
        data_dir,
        Start::Replay(args.run, loaded.as_ref()),
        &progress,
        &args.limits,
        |_| Vec::new(),
    )?;
    let store = open_store(data_dir)?;
    let diff = DatasetDiff::between(&store, args.run, replay_id)?;
    let exploring = args.stepping.step || !args.stepping.breakpoints.is_empty();
    if args.progress.json {
        let mut value = diff.json(args.run, replay_id);
        let record = store
            .run(replay_id)
            .with_context(|| format!("cannot read run {replay_id}"))?;
        value["run"] = super::inspect::run_json(&record);
        if exploring {
            // Stops follow as JSON lines: keep stdout one document per line.
            output::json_line(&value);
        } else {
            output::json(&value);
        }
    } else if !args.progress.quiet || !diff.is_empty() {
        for line in diff.lines(args.run, replay_id, args.show) {
            output::line(line);
        }
    }
    if exploring {
        drop(store);
        super::timeline::explore(data_dir, replay_id, &args.stepping, args.progress.json)?;
    }
    Ok(code)
}

/// Items told apart by kind and key, or (without a key) by page and
/// position on it.
type ItemKey = (String, String);

fn item_key(item: &Item, position_on_page: usize) -> ItemKey {
    let identity = match &item.key {
        Some(key) => format!("key {key}"),
        None => format!("{} #{position_on_page}", item.url),
    };
    (item.kind.clone(), identity)
}

fn items_of(store: &Store, run_id: RunId) -> Result<BTreeMap<ItemKey, Item>> {
    let mut items = BTreeMap::new();
    let mut positions: BTreeMap<String, usize> = BTreeMap::new();
    store
        .for_each_item(run_id, |item| {
            let position = positions.entry(item.url.clone()).or_default();
            items.insert(item_key(&item, *position), item);
            *position += 1;
            Ok::<(), trawl_store::StoreError>(())
        })
        .with_context(|| format!("cannot read run {run_id}'s items"))?;
    Ok(items)
}

/// The fields of an item that changed: name → (before, after).
type FieldChanges = BTreeMap<String, (Value, Value)>;

/// What a replay changed in the dataset.
#[derive(Debug, Default)]
struct DatasetDiff {
    added: Vec<Item>,
    removed: Vec<Item>,
    /// (item after, field → (before, after)).
    changed: Vec<(Item, FieldChanges)>,
    unchanged: usize,
}

impl DatasetDiff {
    fn between(store: &Store, original: RunId, replay: RunId) -> Result<DatasetDiff> {
        let before = items_of(store, original)?;
        let mut after = items_of(store, replay)?;
        let mut diff = DatasetDiff::default();
        for (key, old) in before {
            match after.remove(&key) {
                None => diff.removed.push(old),
                Some(new) => {
                    let mut fields = BTreeMap::new();
                    for name in old.fields.keys().chain(new.fields.keys()) {
                        let was = old.fields.get(name).cloned().unwrap_or(Value::Null);
                        let is = new.fields.get(name).cloned().unwrap_or(Value::Null);
                        if was != is {
                            fields.insert(name.clone(), (was, is));
                        }
                    }
                    if fields.is_empty() {
                        diff.unchanged += 1;
                    } else {
                        diff.changed.push((new, fields));
                    }
                }
            }
        }
        diff.added = after.into_values().collect();
        Ok(diff)
    }

    fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    fn json(&self, original: RunId, replay: RunId) -> Value {
        let item = |item: &Item| json!({"kind": item.kind, "key": item.key, "url": item.url, "fields": item.fields});
        json!({
            "original_run": original,
            "replay_run": replay,
            "unchanged": self.unchanged,
            "added": self.added.iter().map(item).collect::<Vec<_>>(),
            "removed": self.removed.iter().map(item).collect::<Vec<_>>(),
            "changed": self.changed.iter().map(|(new, fields)| json!({
                "kind": new.kind, "key": new.key, "url": new.url,
                "fields": fields.iter().map(|(name, (was, is))| (name.clone(), json!({"before": was, "after": is}))).collect::<serde_json::Map<_, _>>(),
            })).collect::<Vec<_>>(),
        })
    }

    fn lines(&self, original: RunId, replay: RunId, show: usize) -> Vec<String> {
        let mut lines = Vec::new();
        if self.is_empty() {
            lines.push(format!(
                "dataset of replay {replay} equals run {original}'s: {} items, none added, removed or changed",
                self.unchanged
            ));
            return lines;
        }
        lines.push(format!(
            "dataset of replay {replay} against run {original}: {} added, {} removed, {} changed, {} unchanged",
            self.added.len(),
            self.removed.len(),
            self.changed.len(),
            self.unchanged
        ));
        let limit = if show == 0 { usize::MAX } else { show };
        let name = |item: &Item| match &item.key {
            Some(key) => format!("{} {key}", item.kind),
            None => format!("{} at {}", item.kind, item.url),
        };
        for item in self.added.iter().take(limit) {
            lines.push(format!("  + {}", name(item)));
        }
        for item in self.removed.iter().take(limit) {
            lines.push(format!("  - {}", name(item)));
        }
        for (item, fields) in self.changed.iter().take(limit) {
            lines.push(format!("  ~ {}", name(item)));
            for (field, (was, is)) in fields {
                lines.push(format!("      {field}: {} -> {}", short(was), short(is)));
            }
        }
        let hidden = self.added.len().saturating_sub(limit)
            + self.removed.len().saturating_sub(limit)
            + self.changed.len().saturating_sub(limit);
        if hidden > 0 {
            lines.push(format!(
                "  ... {hidden} more (--show 0 lists all, --json for everything)"
            ));
        }
        lines
    }
}

/// A value as one short piece of text.
fn short(value: &Value) -> String {
    super::observe::truncate(&value.to_string(), 60)
}

pub fn import_warc(data_dir: &DataDir, args: &ImportWarcArgs) -> Result<ExitCode> {
    let Claim::Owner(_lock) = owner::claim(data_dir.root())? else {
        bail!(
            "cannot import while `trawl serve` owns {}: stop it first (the import creates a run)",
            data_dir.root().display()
        );
    };
    for file in &args.files {
        if !file.is_file() {
            bail!("{} is not a file", file.display());
        }
    }
    let name = args.name.clone().unwrap_or_else(|| {
        args.files[0]
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "import".to_owned())
    });
    let runtime = super::runtime()?;
    let (run_id, reports) = runtime.block_on(async {
        let engine = trawl_engine::Engine::start(
            &data_dir.store_path(),
            trawl_engine::EngineConfig {
                max_concurrent_runs: 1,
                recover_runs: false,
                ..trawl_engine::EngineConfig::default()
            },
        )
        .context("cannot open the store")?;
        engine
            .import_recording(&name, &args.files)
            .context("cannot import the WARC files")
    })?;
    if args.json {
        output::json(&json!({
            "run_id": run_id,
            "name": name,
            "files": reports.iter().map(|report| json!({
                "path": report.path,
                "records": report.records,
                "responses": report.entries.len(),
                "stopped_at": report.stopped_at.as_ref().map(ToString::to_string),
            })).collect::<Vec<_>>(),
        }));
        return Ok(ExitCode::SUCCESS);
    }
    for report in &reports {
        output::line(format!(
            "{}: {} records, {} responses indexed",
            report.path.display(),
            report.records,
            report.entries.len()
        ));
        if let Some(error) = &report.stopped_at {
            output::line(format!(
                "  stopped early: {error} (what came before is kept)"
            ));
        }
    }
    output::line(format!(
        "run {run_id} ({name}) holds the recording; scrape it with `trawl replay {run_id} --spec SPEC`"
    ));
    Ok(ExitCode::SUCCESS)
}
