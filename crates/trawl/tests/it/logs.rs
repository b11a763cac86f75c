//! Logs through the real binary: a run writes `runs/RUN/log.jsonl` and the
//! application log, `trawl logs` shows, filters and follows it, TRAWL_LOG
//! changes what the files get, and commands without a data directory create
//! none.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::serve::catalog_site;
use super::*;

const PATIENCE: Duration = Duration::from_secs(120);

fn json_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn messages(lines: &[Value]) -> Vec<&str> {
    lines
        .iter()
        .map(|line| line["message"].as_str().unwrap())
        .collect()
}

#[test]
fn a_run_writes_its_log_and_trawl_logs_shows_filters_and_follows_it() {
    let trawl = Trawl::default();
    let (_catalog, site) = catalog_site(12);
    // A sitemap that is not there: a warning in the run's log.
    let spec = format!(
        "sitemaps = [\"{}\"]\n{}",
        site.url("/no-such-sitemap.xml"),
        demo_spec(&site.url(""))
    );
    let spec = trawl.write("shop.toml", &spec);
    let (_, stderr) = trawl.expect(&["run", str_path(&spec), "--quiet"], 0);
    // The terminal shows warnings by default (and only those).
    assert!(stderr.contains("WARN"), "{stderr}");
    assert!(!stderr.contains("run started"), "{stderr}");

    let log_path = trawl.path("runs/1/log.jsonl");
    let lines = json_lines(&log_path);
    let started = lines
        .iter()
        .find(|line| line["message"] == "run started")
        .expect("a run started line");
    let finished = lines
        .iter()
        .find(|line| line["message"] == "run finished")
        .expect("a run finished line");
    assert_eq!(started["run_id"], 1);
    assert_eq!(started["level"], "info");
    assert_eq!(started["target"], "trawl_engine::crawl");
    assert_eq!(finished["run_id"], 1);
    assert_eq!(finished["state"], "succeeded");
    assert!(finished["items"].as_u64().unwrap() >= 12, "{finished}");
    for line in &lines {
        assert_eq!(line["run_id"], 1, "{line}");
        let ts = line["ts"].as_str().unwrap();
        assert!(ts.ends_with('Z') && ts.len() == 24, "{ts}");
        // Default levels: Trawl's info and up, only warnings of libraries.
        let level = line["level"].as_str().unwrap();
        let target = line["target"].as_str().unwrap();
        assert!(
            matches!(level, "info" | "warn" | "error"),
            "{level} {target}"
        );
        assert!(
            target.starts_with("trawl") || level != "info",
            "{level} {target}"
        );
    }
    assert!(lines.iter().any(|line| line["level"] == "warn"));

    // The application log has the same lines (and run-less ones) as JSON.
    let app = json_lines(&trawl.path("logs/trawl.log"));
    let app_started = app
        .iter()
        .find(|line| line["message"] == "run started")
        .expect("the app log has the run's lines");
    assert_eq!(app_started["run_id"], 1);

    // Human-readable: time, level, target, message, fields.
    let (stdout, _) = trawl.expect(&["logs", "1"], 0);
    let started_line = stdout
        .lines()
        .find(|line| line.contains("run started"))
        .expect("run started shown");
    assert!(
        started_line.contains(" INFO trawl_engine::crawl: run started")
            && started_line.contains("resume=false"),
        "{started_line}"
    );
    assert!(stdout.contains("run finished"), "{stdout}");
    assert_eq!(stdout.lines().count(), lines.len());

    // --level warn: warnings and errors only.
    let (stdout, _) = trawl.expect(&["logs", "1", "--level", "warn"], 0);
    assert!(!stdout.is_empty());
    assert!(!stdout.contains("run started"), "{stdout}");
    for line in stdout.lines() {
        assert!(line.contains(" WARN ") || line.contains("ERROR "), "{line}");
    }

    // --grep: case-insensitive, on the stored or the shown line.
    let (stdout, _) = trawl.expect(&["logs", "1", "--grep", "RUN FINISHED"], 0);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.contains("state=succeeded"), "{stdout}");
    let (stdout, _) = trawl.expect(&["logs", "1", "--grep", "no such text anywhere"], 0);
    assert_eq!(stdout, "");

    // --json: the stored lines, as they are; --limit: the last ones.
    let (stdout, _) = trawl.expect(&["logs", "1", "--json"], 0);
    assert_eq!(stdout, std::fs::read_to_string(&log_path).unwrap());
    let (stdout, _) = trawl.expect(&["logs", "1", "--json", "--limit", "1"], 0);
    let last: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(&last, lines.last().unwrap());

    // --follow on a finished run prints the log and exits.
    let started_at = Instant::now();
    let (stdout, _) = trawl.expect(&["logs", "1", "--follow"], 0);
    assert!(stdout.contains("run finished"), "{stdout}");
    assert!(started_at.elapsed() < Duration::from_secs(30));

    // An unknown run is an error that says so.
    let (_, stderr) = trawl.expect(&["logs", "99"], 1);
    assert!(stderr.contains("run 99 not found"), "{stderr}");
    assert!(stderr.contains("trawl runs"), "{stderr}");

    // A line torn by a crash is shown as it is, after the whole ones.
    let mut text = std::fs::read_to_string(&log_path).unwrap();
    text.push_str("{\"ts\":\"2025-05-01T06:00:00.000Z\",\"level\":\"inf");
    std::fs::write(&log_path, text).unwrap();
    let (stdout, _) = trawl.expect(&["logs", "1"], 0);
    assert_eq!(
        stdout.lines().last(),
        Some("{\"ts\":\"2025-05-01T06:00:00.000Z\",\"level\":\"inf")
    );

    // A run without a log file (as before logs existed): a note, exit 0.
    std::fs::remove_file(&log_path).unwrap();
    let (stdout, stderr) = trawl.expect(&["logs", "1"], 0);
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("run 1 (succeeded) has no log at"),
        "{stderr}"
    );
}

#[test]
fn follow_prints_lines_while_the_run_goes_and_exits_when_it_ends() {
    let trawl = Trawl::default();
    let (_catalog, site) = catalog_site(20);
    let slow = format!(
        "{}\n[politeness]\nconcurrency = 1\nper_host_concurrency = 1\nper_host_rate = 20.0\n",
        demo_spec(&site.url(""))
    );
    let spec = trawl.write("slow.toml", &slow);
    let mut run = trawl
        .command(&["run", str_path(&spec), "--quiet"])
        .env("TRAWL_LOG", "trawl_engine=debug,info")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let log_path = trawl.path("runs/1/log.jsonl");
    let started = Instant::now();
    while !log_path.exists() {
        assert!(started.elapsed() < PATIENCE, "the run never logged");
        std::thread::sleep(Duration::from_millis(20));
    }
    let follow = trawl
        .command(&["logs", "1", "--follow", "--grep", "run finished"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A second follower, stopped with Ctrl-C once it printed a line: 130, quietly.
    let mut interrupted = trawl
        .command(&["logs", "1", "--follow"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Kept open until it exits (a closed pipe would end it with 141).
    let mut interrupted_stdout = std::io::BufReader::new(interrupted.stdout.take().unwrap());
    let mut first_line = String::new();
    std::io::BufRead::read_line(&mut interrupted_stdout, &mut first_line).unwrap();
    assert!(first_line.contains("trawl_engine"), "{first_line}");
    assert!(run.try_wait().unwrap().is_none(), "the run ended too soon");
    let status = std::process::Command::new("kill")
        .args(["-INT", &interrupted.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = interrupted.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130));
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    drop(interrupted_stdout);
    // The first follower is still following: the run is not done yet.
    let output = follow.wait_with_output().unwrap();
    assert!(run.wait().unwrap().success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.contains("state=succeeded"), "{stdout}");
}

#[test]
fn trawl_log_changes_what_the_files_get() {
    let trawl = Trawl::default();
    // Out-of-stock products give extraction warnings, logged at debug.
    let (_catalog, site) = catalog_site(30);
    let spec = trawl.write("shop.toml", &demo_spec(&site.url("")));
    trawl.expect(&["run", str_path(&spec), "--quiet"], 0);
    let default_lines = json_lines(&trawl.path("runs/1/log.jsonl"));
    assert!(
        default_lines.iter().all(|line| line["level"] != "debug"),
        "{default_lines:?}"
    );
    assert!(messages(&default_lines).contains(&"run state changed"));

    let output = trawl
        .command(&["run", str_path(&spec), "--quiet"])
        .env("TRAWL_LOG", "trawl_engine=debug")
        .output()
        .unwrap();
    assert!(output.status.success());
    let debug_lines = json_lines(&trawl.path("runs/2/log.jsonl"));
    let engine_debug: Vec<&Value> = debug_lines
        .iter()
        .filter(|line| {
            line["level"] == "debug" && line["target"].as_str().unwrap().starts_with("trawl_engine")
        })
        .collect();
    assert!(!engine_debug.is_empty(), "{debug_lines:?}");
    assert!(messages(&debug_lines).contains(&"run state changed"));
    // Only the engine was asked for: no other module's lines.
    assert!(
        debug_lines
            .iter()
            .all(|line| line["target"].as_str().unwrap().starts_with("trawl_engine")),
        "{debug_lines:?}"
    );
    // TRAWL_LOG sets the terminal's levels too.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("DEBUG"), "{stderr}");

    // Fewer lines work the same way: warnings of the engine only.
    let output = trawl
        .command(&["run", str_path(&spec), "--quiet"])
        .env("TRAWL_LOG", "trawl_engine=warn")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(!trawl.path("runs/3/log.jsonl").exists());
    // The application log got the lines of the first two runs only.
    let app = json_lines(&trawl.path("logs/trawl.log"));
    let runs: std::collections::BTreeSet<i64> = app
        .iter()
        .filter_map(|line| line["run_id"].as_i64())
        .collect();
    assert_eq!(runs, [1, 2].into());
}

#[test]
fn commands_without_a_data_dir_create_none() {
    let parent = tempfile::tempdir().unwrap();
    let data_dir = parent.path().join("never-created");
    let spec = parent.path().join("spec.toml");
    std::fs::write(&spec, "start_urls = [\"http://127.0.0.1:9/\"]\n").unwrap();
    for args in [
        vec!["spec", "check", str_path(&spec)],
        vec!["spec", "schema"],
        vec!["--help"],
        vec!["logs", "--help"],
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_trawl"))
            .arg("--data-dir")
            .arg(&data_dir)
            .args(&args)
            .env("TRAWL_LOG", "trace")
            .output()
            .unwrap();
        assert!(output.status.success(), "{args:?}");
        assert!(!data_dir.exists(), "{args:?} created the data dir");
    }
    // `trawl --help` tells where logs go and how to set their levels.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_trawl"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("TRAWL_LOG"), "{help}");
    assert!(help.contains("trawl logs RUN"), "{help}");
}
