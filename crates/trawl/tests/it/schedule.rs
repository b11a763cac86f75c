//! `trawl schedule` through the real binary: add/list/show/pause/resume/
//! remove/history on a store, input errors with exit code 2 naming what is
//! wrong, and one real-clock test where `trawl serve` fires an every-second
//! schedule through its engine, records a broken spec as a failed fire, and
//! leaves cleanly on SIGINT.

use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::serve::{Server, catalog_site};
use super::*;

/// The real-clock test's bound for a fire to happen and its run to succeed.
const FIRE_PATIENCE: Duration = Duration::from_secs(60);

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `trawl` with `cwd` as the working directory and asserts the exit code.
fn expect_in(trawl: &Trawl, cwd: &Path, args: &[&str], code: i32) -> (String, String) {
    let output: Output = trawl.command(args).current_dir(cwd).output().unwrap();
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(
        output.status.code(),
        Some(code),
        "trawl {args:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    (stdout, stderr)
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|error| panic!("{error}: {stdout}"))
}

/// A spec no fire will ever crawl (nothing serves on port 9).
fn idle_spec(trawl: &Trawl) -> PathBuf {
    trawl.write("shop.toml", &demo_spec("http://127.0.0.1:9"))
}

#[test]
fn schedule_add_list_show_pause_resume_history_and_remove() {
    let trawl = Trawl::default();
    idle_spec(&trawl);
    let dir = trawl.data_dir.path();

    // A relative spec path is stored absolute; the name defaults to the spec's.
    let (stdout, stderr) = expect_in(
        &trawl,
        dir,
        &[
            "schedule",
            "add",
            "shop.toml",
            "--cron",
            "0 6 * * *",
            "--tz",
            "Europe/Paris",
        ],
        0,
    );
    assert!(stdout.contains("added schedule demo-shop (#1)"), "{stdout}");
    assert!(stdout.contains("0 6 * * * in Europe/Paris"), "{stdout}");
    // Five next fires, at 06:00 local with the zone's offset.
    assert_eq!(stdout.matches(" 06:00:00 CE").count(), 5, "{stdout}");
    assert!(
        stderr.contains("schedules fire only while `trawl serve` runs"),
        "{stderr}"
    );

    let (stdout, _) = expect_in(
        &trawl,
        dir,
        &[
            "schedule",
            "add",
            "shop.toml",
            "--cron",
            "30 8 * * MON-FRI",
            "--name",
            "weekdays",
            "--overlap",
            "queue",
            "--missed",
            "run_all",
            "--missed-max",
            "3",
            "--jitter-secs",
            "30",
            "--snapshot",
            "--json",
        ],
        0,
    );
    let weekdays = json(&stdout);
    assert_eq!(weekdays["schedule_id"], 2);
    assert_eq!(weekdays["name"], "weekdays");
    assert_eq!(weekdays["time_zone"], "UTC");
    assert_eq!(weekdays["overlap"], "queue");
    assert_eq!(weekdays["missed"], "run_all");
    assert_eq!(weekdays["missed_max"], 3);
    assert_eq!(weekdays["jitter_secs"], 30);
    assert_eq!(weekdays["spec_snapshot"], true);
    assert_eq!(weekdays["spec_path"], Value::Null);
    assert_eq!(weekdays["paused"], false);
    let next = weekdays["next_fires"].as_array().unwrap();
    assert_eq!(next.len(), 5);
    for fire in next {
        assert!(
            fire["local"].as_str().unwrap().ends_with("T08:30:00+00:00"),
            "{fire}"
        );
    }

    let (stdout, _) = trawl.expect(&["schedule", "list", "--json"], 0);
    let list = json(&stdout);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["name"], "demo-shop");
    assert_eq!(
        list[0]["spec_path"].as_str().unwrap(),
        str_path(&trawl.path("shop.toml"))
    );
    assert!(list[0]["last_outcome"].is_null());
    let (stdout, _) = trawl.expect(&["schedule", "list"], 0);
    assert!(stdout.contains("demo-shop (#1), active"), "{stdout}");
    assert!(stdout.contains("weekdays (#2), active"), "{stdout}");
    assert!(stdout.contains("next fires"), "{stdout}");
    assert!(
        stdout.contains("overlap queue, missed run_all (at most 3), jitter up to 30 s"),
        "{stdout}"
    );

    // By name or by id.
    let (stdout, _) = trawl.expect(&["schedule", "show", "2", "--json"], 0);
    assert_eq!(json(&stdout)["name"], "weekdays");
    let (stdout, _) = trawl.expect(&["schedule", "show", "demo-shop"], 0);
    assert!(stdout.contains("re-read at each fire"), "{stdout}");

    let (stdout, _) = trawl.expect(&["schedule", "pause", "weekdays"], 0);
    assert!(stdout.contains("paused schedule weekdays"), "{stdout}");
    let (stdout, _) = trawl.expect(&["schedule", "pause", "#2"], 0);
    assert!(stdout.contains("already paused"), "{stdout}");
    let (stdout, _) = trawl.expect(&["schedule", "show", "weekdays", "--json"], 0);
    assert_eq!(json(&stdout)["paused"], true);
    let (stdout, _) = trawl.expect(&["schedule", "resume", "2"], 0);
    assert!(stdout.contains("resumed schedule weekdays"), "{stdout}");
    let (stdout, _) = trawl.expect(&["schedule", "show", "weekdays", "--json"], 0);
    assert_eq!(json(&stdout)["paused"], false);

    let (stdout, _) = trawl.expect(&["schedule", "history", "weekdays", "--json"], 0);
    assert_eq!(json(&stdout), Value::Array(vec![]));
    let (stdout, _) = trawl.expect(&["schedule", "history", "weekdays"], 0);
    assert!(stdout.contains("has not fired yet"), "{stdout}");

    let (stdout, _) = trawl.expect(&["schedule", "remove", "weekdays"], 0);
    assert!(
        stdout.contains("removed schedule weekdays (#2) and its 0 fire record(s)"),
        "{stdout}"
    );
    let (stdout, _) = trawl.expect(&["schedule", "list", "--json"], 0);
    assert_eq!(json(&stdout).as_array().unwrap().len(), 1);
    let (_, stderr) = trawl.expect(&["schedule", "show", "weekdays"], 1);
    assert!(
        stderr.contains("no schedule named or numbered \"weekdays\""),
        "{stderr}"
    );
    let (_, stderr) = trawl.expect(&["schedule", "pause", "7"], 1);
    assert!(stderr.contains("\"7\""), "{stderr}");
}

#[test]
fn schedule_add_refuses_bad_input_with_exit_2_and_says_what_is_wrong() {
    let trawl = Trawl::default();
    let spec = idle_spec(&trawl);
    let spec = str_path(&spec);
    let add = |extra: &[&str]| {
        let mut args = vec!["schedule", "add"];
        args.extend_from_slice(extra);
        trawl.expect(&args, 2).1
    };

    let stderr = add(&[spec, "--cron", "0 25 * * *"]);
    assert!(stderr.contains("invalid hour field \"25\""), "{stderr}");
    assert!(stderr.contains("allowed are 0-23"), "{stderr}");
    let stderr = add(&[spec, "--cron", "61 * * * *"]);
    assert!(stderr.contains("invalid minute field"), "{stderr}");
    let stderr = add(&[spec, "--cron", "0 0 * 13 *"]);
    assert!(stderr.contains("invalid month field"), "{stderr}");
    let stderr = add(&[spec, "--cron", "* * * * * * *"]);
    assert!(stderr.contains("has 7 fields"), "{stderr}");
    let stderr = add(&[spec, "--cron", "@fortnightly"]);
    assert!(stderr.contains("unknown cron nickname"), "{stderr}");
    let stderr = add(&[spec, "--cron", "@daily", "--tz", "Europe/Pari"]);
    assert!(stderr.contains("did you mean Europe/Paris?"), "{stderr}");
    let stderr = add(&[spec, "--cron", "@daily", "--missed", "run_all"]);
    assert!(stderr.contains("--missed-max"), "{stderr}");
    let stderr = add(&[spec, "--cron", "@daily", "--overlap", "sideways"]);
    assert!(stderr.contains("cancel_previous"), "{stderr}");
    let stderr = add(&[spec, "--cron", "@daily", "--jitter-secs", "100000"]);
    assert!(
        stderr.contains("jitter of 100000 seconds is too long"),
        "{stderr}"
    );
    let stderr = add(&[spec, "--cron", "@daily", "--name", "42"]);
    assert!(stderr.contains("invalid schedule name \"42\""), "{stderr}");
    let stderr = add(&["/nonexistent/books.toml", "--cron", "@daily"]);
    assert!(stderr.contains("/nonexistent/books.toml"), "{stderr}");

    // An invalid spec: every problem with file, line and column, as `spec check`.
    let bad = trawl.write(
        "bad.toml",
        "name = \"bad\"\nstart_urls = [\"ftp://example.com/\"]\n\n[follow]\nallow = [\"(unclosed\"]\n",
    );
    let stderr = add(&[str_path(&bad), "--cron", "@daily"]);
    assert!(stderr.contains("bad.toml:2:15"), "{stderr}");
    assert!(stderr.contains("bad.toml:5:"), "{stderr}");
    let (stdout, _) = trawl.expect(
        &[
            "schedule",
            "add",
            str_path(&bad),
            "--cron",
            "@daily",
            "--json",
        ],
        2,
    );
    let report = json(&stdout);
    assert_eq!(report["valid"], false);
    assert_eq!(report["problems"][0]["line"], 2);
    assert_eq!(report["problems"][0]["column"], 15);

    // Nothing was stored; then a duplicate name is refused.
    let (stdout, _) = trawl.expect(&["schedule", "list", "--json"], 0);
    assert_eq!(json(&stdout), Value::Array(vec![]));
    trawl.expect(&["schedule", "add", spec, "--cron", "@daily"], 0);
    let stderr = add(&[spec, "--cron", "@hourly"]);
    assert!(
        stderr.contains("a schedule named \"demo-shop\" already exists"),
        "{stderr}"
    );
}

#[test]
fn help_says_schedules_fire_while_trawl_serve_runs() {
    let trawl = Trawl::default();
    let (stdout, _) = trawl.expect(&["--help"], 0);
    assert!(stdout.contains("schedule"), "{stdout}");
    let (stdout, _) = trawl.expect(&["serve", "--help"], 0);
    assert!(stdout.contains("also runs the scheduler"), "{stdout}");
    assert!(stdout.contains("only while `trawl serve` runs"), "{stdout}");
    let (stdout, _) = trawl.expect(&["schedule", "add", "--help"], 0);
    for expected in [
        "[default: UTC]",
        "cancel_previous",
        "run_all",
        "--missed-max",
        "Examples:",
    ] {
        assert!(stdout.contains(expected), "{expected}: {stdout}");
    }
}

/// Polls `trawl schedule history NAME --json` until `pick` finds a fire.
fn wait_for_fire(
    trawl: &Trawl,
    server: &mut Server,
    name: &str,
    what: &str,
    pick: impl Fn(&Value) -> bool,
) -> Value {
    let started = Instant::now();
    loop {
        let (stdout, _) =
            trawl.expect(&["schedule", "history", name, "--limit", "50", "--json"], 0);
        if let Some(fire) = json(&stdout)
            .as_array()
            .unwrap()
            .iter()
            .find(|fire| pick(fire))
        {
            return fire.clone();
        }
        assert!(
            server.is_running(),
            "trawl serve exited while waiting for {what}"
        );
        assert!(
            started.elapsed() < FIRE_PATIENCE,
            "no {what} within {FIRE_PATIENCE:?}; history: {stdout}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The issue's real-clock test, end to end: `trawl serve` fires an
/// every-second schedule through its engine; the run succeeds with the whole
/// catalog, the history and `trawl runs` link it to the schedule; a spec
/// file made invalid becomes a failed fire with the error (not a crash); and
/// SIGINT stops the server cleanly.
#[test]
fn trawl_serve_fires_an_every_second_schedule_on_the_real_clock() {
    let trawl = Trawl::default();
    let (catalog, site) = catalog_site(12);
    let spec_text = demo_spec(&site.url(""));
    let spec = trawl.write("shop.toml", &spec_text);
    let (_, stderr) = trawl.expect(
        &[
            "schedule",
            "add",
            str_path(&spec),
            "--cron",
            "*/1 * * * * *",
            "--overlap",
            "skip",
            "--name",
            "every-second",
        ],
        0,
    );
    assert!(stderr.contains("trawl serve"), "{stderr}");
    let mut server = Server::start(&trawl);
    // The CLI writes the store while the server runs, and says it will pick it up.
    let (_, stderr) = trawl.expect(
        &[
            "schedule",
            "add",
            str_path(&spec),
            "--cron",
            "@daily",
            "--name",
            "later",
            "--paused",
        ],
        0,
    );
    assert!(
        stderr.contains(&format!(
            "the trawl server at {} picks it up",
            server.address()
        )),
        "{stderr}"
    );

    let fired = wait_for_fire(
        &trawl,
        &mut server,
        "every-second",
        "succeeded run",
        |fire| fire["state"] == "submitted" && fire["run_state"] == "succeeded",
    );
    let run_id = fired["run_id"].as_i64().unwrap();
    assert!(fired["detail"].is_null(), "{fired}");

    let (stdout, _) = trawl.expect(&["runs", "--json"], 0);
    let runs = json(&stdout);
    let run = runs
        .as_array()
        .unwrap()
        .iter()
        .find(|run| run["run_id"] == run_id)
        .unwrap_or_else(|| panic!("run {run_id} not listed: {runs}"));
    assert_eq!(run["state"], "succeeded");
    assert_eq!(
        run["items_stored"],
        catalog.expected_products().len() as u64
    );
    assert_eq!(run["schedule"]["name"], "every-second", "{run}");
    assert_eq!(run["schedule"]["schedule_id"], 1, "{run}");
    assert_eq!(run["schedule"]["fire_id"], fired["fire_id"], "{run}");
    let (stdout, _) = trawl.expect(&["runs"], 0);
    assert!(stdout.contains("SCHEDULE"), "{stdout}");
    assert!(stdout.contains("every-second"), "{stdout}");

    // The spec turns invalid (swapped in whole, so no fire reads half a
    // file): fires fail with the error, the server keeps running.
    let broken = spec_text.replace(r#"deny = ["/cart"]"#, r#"deny = ["(unclosed"]"#);
    assert_ne!(broken, spec_text);
    let temp = trawl.write("shop.toml.tmp", &broken);
    std::fs::rename(&temp, &spec).unwrap();
    let failed = wait_for_fire(&trawl, &mut server, "every-second", "failed fire", |fire| {
        fire["state"] == "failed"
    });
    let detail = failed["detail"].as_str().unwrap();
    assert!(detail.contains("shop.toml:"), "{detail}");
    assert!(detail.contains("deny"), "{detail}");
    assert!(failed["run_id"].is_null(), "{failed}");
    let (stdout, _) = trawl.expect(&["schedule", "history", "every-second"], 0);
    assert!(stdout.contains("failed"), "{stdout}");
    assert!(stdout.contains("submitted"), "{stdout}");
    assert!(
        server.is_running(),
        "a broken spec must not stop trawl serve"
    );

    let output = server.stop_with("-INT");
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("schedule fire failed"), "{stderr}");
    assert!(!trawl.path("server.json").exists());
    // No fire was left half-done.
    let (stdout, _) = trawl.expect(
        &[
            "schedule",
            "history",
            "every-second",
            "--limit",
            "1000",
            "--json",
        ],
        0,
    );
    assert!(
        json(&stdout)
            .as_array()
            .unwrap()
            .iter()
            .all(|fire| fire["state"] != "firing"),
        "{stdout}"
    );
}
