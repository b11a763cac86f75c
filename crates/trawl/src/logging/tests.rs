//! The log files: rotation (sizes, names, retention, two writers), the JSON
//! line shape, per-run routing and levels, bounded open files, and write
//! failures that are counted instead of raised.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use serde_json::Value;
use tracing_subscriber::layer::SubscriberExt;

use super::*;

fn lines_of(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn json_lines(path: &Path) -> Vec<Value> {
    lines_of(path)
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn rotation_renames_by_size_and_keeps_a_fixed_number_of_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs").join("trawl.log");
    // Room for two 9-byte lines per file; four files in all.
    let mut log = RotatingFile::new(path.clone(), 25, 4);
    for number in 0..9 {
        log.write_line(format!("line {number:03}\n").as_bytes())
            .unwrap();
    }
    // Newest in trawl.log, then .1, .2, .3; the oldest (lines 0-2) are gone.
    assert_eq!(lines_of(&path), ["line 008"]);
    assert_eq!(lines_of(&log.numbered(1)), ["line 006", "line 007"]);
    assert_eq!(lines_of(&log.numbered(2)), ["line 004", "line 005"]);
    assert_eq!(lines_of(&log.numbered(3)), ["line 002", "line 003"]);
    assert!(!log.numbered(4).exists());
    for file in [path.clone(), log.numbered(1), log.numbered(2)] {
        assert!(std::fs::metadata(&file).unwrap().len() <= 25, "{file:?}");
    }
    let mut names: Vec<String> = std::fs::read_dir(dir.path().join("logs"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "trawl.log",
            "trawl.log.1",
            "trawl.log.2",
            "trawl.log.3",
            "trawl.log.lock"
        ]
    );
}

#[test]
fn a_line_longer_than_the_limit_gets_a_file_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trawl.log");
    let mut log = RotatingFile::new(path.clone(), 8, 3);
    log.write_line(b"short\n").unwrap();
    log.write_line(b"a very long line\n").unwrap();
    log.write_line(b"next\n").unwrap();
    assert_eq!(lines_of(&log.numbered(2)), ["short"]);
    assert_eq!(lines_of(&log.numbered(1)), ["a very long line"]);
    assert_eq!(lines_of(&path), ["next"]);
}

#[test]
fn keeping_one_file_starts_afresh_without_truncating() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trawl.log");
    let mut log = RotatingFile::new(path.clone(), 12, 1);
    log.write_line(b"first 1\n").unwrap();
    log.write_line(b"second\n").unwrap();
    assert_eq!(lines_of(&path), ["second"]);
    assert!(!log.numbered(1).exists());
}

#[test]
fn two_writers_on_one_log_rotate_once_and_lose_no_line() {
    // Two processes sharing a data directory: each has its own RotatingFile.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trawl.log");
    let mut first = RotatingFile::new(path.clone(), 30, 10);
    let mut second = RotatingFile::new(path.clone(), 30, 10);
    let mut written = Vec::new();
    for number in 0..12 {
        let line = format!("writer {} {number:02}\n", number % 2);
        written.push(line.trim_end().to_owned());
        let log = if number % 2 == 0 {
            &mut first
        } else {
            &mut second
        };
        log.write_line(line.as_bytes()).unwrap();
    }
    let mut found = lines_of(&path);
    for number in 1..10 {
        found.extend(lines_of(&first.numbered(number)));
    }
    found.sort();
    written.sort();
    assert_eq!(found, written, "every line is in exactly one file");
    for number in 1..10 {
        let file = first.numbered(number);
        if file.exists() {
            assert!(std::fs::metadata(&file).unwrap().len() <= 30, "{file:?}");
        }
    }
}

#[test]
fn open_run_files_are_bounded_least_recently_used_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = RunFiles::new(dir.path().join("runs"), 3);
    for run in [1, 2, 3] {
        files
            .get(RunId(run))
            .unwrap()
            .write_line(format!("run {run}\n").as_bytes())
            .unwrap();
    }
    files.get(RunId(1)).unwrap();
    files.get(RunId(4)).unwrap().write_line(b"run 4\n").unwrap();
    assert_eq!(files.open_runs(), [RunId(3), RunId(1), RunId(4)]);
    // A closed run's file is reopened for appending.
    files.get(RunId(2)).unwrap().write_line(b"again\n").unwrap();
    assert_eq!(files.open_runs(), [RunId(1), RunId(4), RunId(2)]);
    assert_eq!(
        lines_of(&RunFiles::path_of(&dir.path().join("runs"), RunId(2))),
        ["run 2", "again"]
    );
}

/// A subscriber with the two file layers (no terminal), attached to `root`.
fn file_subscriber(
    root: &Path,
    app_directives: &str,
    run_directives: &str,
) -> (
    impl tracing::Subscriber + Send + Sync,
    Arc<AppLog>,
    Arc<RunLogs>,
) {
    let app = Arc::new(AppLog::default());
    let runs = Arc::new(RunLogs::default());
    app.attach(RotatingFile::new(root.join("logs/trawl.log"), 1 << 20, 5));
    runs.attach(RunFiles::new(root.join("runs"), 16));
    let subscriber = tracing_subscriber::registry()
        .with(app_layer(app.clone(), app_directives))
        .with(run_layer(runs.clone(), run_directives));
    (subscriber, app, runs)
}

#[test]
fn events_in_a_run_span_go_to_the_run_log_as_flat_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let (subscriber, _, _) = file_subscriber(dir.path(), APP_LOG_DEFAULT, RUN_LOG_DEFAULT);
    tracing::subscriber::with_default(subscriber, || {
        tracing::info!(version = 2, "outside any run");
        let span = tracing::info_span!("run", run_id = 7_i64);
        let _entered = span.enter();
        tracing::info!(run_id = %RunId(7), resume = false, pending = 3_u64, url = %"http://a.test/", ratio = 0.5, "run started");
        let error = std::io::Error::other("boom");
        tracing::warn!(error = &error as &(dyn std::error::Error + 'static), message2 = ?Some(1), ts = "mine", "odd \"quoted\" thing");
        tracing::debug!("not at the default level");
        tracing::info!(target: "hyper_util::client", "a library's info line");
        let inner = tracing::debug_span!("page", depth = 1);
        let _inner = inner.enter();
        tracing::info!("inside a nested span");
    });
    let run_log = RunFiles::path_of(&dir.path().join("runs"), RunId(7));
    let lines = json_lines(&run_log);
    let messages: Vec<&str> = lines
        .iter()
        .map(|line| line["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            "run started",
            "odd \"quoted\" thing",
            "inside a nested span"
        ]
    );
    let started = lines[0].as_object().unwrap();
    let keys: Vec<&str> = started.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "ts", "level", "target", "message", "resume", "pending", "url", "ratio", "run_id"
        ]
    );
    let ts = started["ts"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(ts).is_ok() && ts.ends_with('Z') && ts.len() == 24,
        "{ts}"
    );
    assert_eq!(started["level"], "info");
    assert_eq!(started["target"], "trawl::logging::tests");
    assert_eq!(started["resume"], false);
    assert_eq!(started["pending"], 3);
    assert_eq!(started["url"], "http://a.test/");
    assert_eq!(started["ratio"], 0.5);
    assert_eq!(started["run_id"], 7);
    let warned = &lines[1];
    assert_eq!(warned["level"], "warn");
    assert_eq!(warned["error"], "boom");
    assert_eq!(warned["message2"], "Some(1)");
    assert_eq!(warned["field_ts"], "mine");
    assert_eq!(lines[2]["run_id"], 7);

    // The application log has every info line, with run_id where there is one.
    let app = json_lines(&dir.path().join("logs/trawl.log"));
    let messages: Vec<&str> = app
        .iter()
        .map(|line| line["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            "outside any run",
            "run started",
            "odd \"quoted\" thing",
            "a library's info line",
            "inside a nested span"
        ]
    );
    assert!(app[0].get("run_id").is_none());
    assert_eq!(app[1]["run_id"], 7);
    assert_eq!(app[3]["target"], "hyper_util::client");
}

#[test]
fn directives_choose_what_each_file_gets_and_lines_keep_their_run() {
    let dir = tempfile::tempdir().unwrap();
    // As TRAWL_LOG=trawl=debug would: debug for trawl, and (EnvFilter
    // without a bare level) nothing of other crates.
    let (subscriber, _, _) = file_subscriber(dir.path(), "warn", "trawl=debug");
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("run", run_id = 3_i64);
        let _entered = span.enter();
        tracing::debug!("debug line");
        tracing::trace!("trace line");
        tracing::warn!(target: "reqwest::connect", "library warning");
        tracing::error!(target: "reqwest::connect", "library error");
    });
    let run_log = RunFiles::path_of(&dir.path().join("runs"), RunId(3));
    let messages: Vec<String> = json_lines(&run_log)
        .iter()
        .map(|line| line["message"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(messages, ["debug line"]);
    // "warn" for the application log: the run span is still seen, so the
    // warning carries its run.
    let app = json_lines(&dir.path().join("logs/trawl.log"));
    assert_eq!(app.len(), 2);
    assert_eq!(app[0]["message"], "library warning");
    assert_eq!(app[0]["run_id"], 3);
}

#[test]
fn nothing_is_written_before_attach_and_failures_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let app = Arc::new(AppLog::default());
    let runs = Arc::new(RunLogs::default());
    let subscriber = tracing_subscriber::registry()
        .with(app_layer(app.clone(), "info"))
        .with(run_layer(runs.clone(), "info"));
    // `runs` is a file, so no run folder can be created under it.
    std::fs::write(dir.path().join("runs"), "not a folder").unwrap();
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("run", run_id = 1_i64);
        let _entered = span.enter();
        tracing::info!("before attach");
        app.attach(RotatingFile::new(
            dir.path().join("logs").join("trawl.log"),
            1 << 20,
            5,
        ));
        runs.attach(RunFiles::new(dir.path().join("runs"), 16));
        tracing::info!("after attach");
        tracing::info!("and again");
    });
    let app_lines = json_lines(&dir.path().join("logs/trawl.log"));
    assert_eq!(app_lines.len(), 2);
    assert_eq!(app_lines[0]["message"], "after attach");
    assert_eq!(runs.failures.count(), 2);
    assert_eq!(app.failures.count(), 0);
}

#[test]
fn terminal_and_file_directives_follow_the_environment() {
    let nothing = LogEnv::default();
    assert_eq!(nothing.terminal_directives(0), "warn");
    assert_eq!(nothing.terminal_directives(1), "info");
    assert_eq!(nothing.terminal_directives(2), "debug");
    assert_eq!(nothing.terminal_directives(5), "trace");
    assert_eq!(nothing.file_directives(RUN_LOG_DEFAULT), "warn,trawl=info");
    let rust_log = LogEnv {
        trawl_log: None,
        rust_log: Some("debug".to_owned()),
    };
    assert_eq!(rust_log.terminal_directives(0), "debug");
    // RUST_LOG is for the terminal only; the files keep their defaults.
    assert_eq!(rust_log.file_directives(APP_LOG_DEFAULT), "info");
    let trawl_log = LogEnv {
        trawl_log: Some("trawl_engine=debug".to_owned()),
        rust_log: Some("debug".to_owned()),
    };
    assert_eq!(trawl_log.terminal_directives(3), "trawl_engine=debug");
    assert_eq!(
        trawl_log.file_directives(RUN_LOG_DEFAULT),
        "trawl_engine=debug"
    );
}

#[test]
fn bad_directives_are_dropped_and_reported_once() {
    let mut rejected = Vec::new();
    assert_eq!(
        valid_directives("trawl_engine=debug,bad==dir,info", &mut rejected),
        "trawl_engine=debug,info"
    );
    assert_eq!(valid_directives("bad==dir", &mut rejected), "");
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert_eq!(rejected[0].0, "bad==dir");
}
