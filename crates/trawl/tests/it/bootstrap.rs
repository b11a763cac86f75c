//! What every start does with the data directory: create it with its
//! settings, say so once, honour (and check) the settings, and recover runs a
//! killed process left `running` so that `trawl runs` shows them as they are.

use std::time::Duration;

use serde_json::Value;

use super::serve::catalog_site;
use super::*;

#[test]
fn the_first_start_creates_the_settings_and_says_so_once() {
    let trawl = Trawl::default();
    let (_, stderr) = trawl.expect(&["runs"], 0);
    assert!(stderr.contains("created the data directory"), "{stderr}");
    let settings = std::fs::read_to_string(trawl.path("config.toml")).unwrap();
    assert!(settings.contains("memory_limit = \"auto\""), "{settings}");
    assert!(settings.contains("port = 8640"), "{settings}");
    let (_, stderr) = trawl.expect(&["runs"], 0);
    assert!(!stderr.contains("created"), "{stderr}");
    // Nothing half-written is left next to it.
    let leftovers: Vec<_> = std::fs::read_dir(trawl.data_dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn broken_settings_are_an_error_naming_the_line() {
    let trawl = Trawl::default();
    trawl.write(
        "config.toml",
        "[engine]\nmax_requests = 512\nmemry_limit = \"1G\"\n",
    );
    let (_, stderr) = trawl.expect(&["runs"], 1);
    assert!(stderr.contains("config.toml:3:1"), "{stderr}");
    assert!(stderr.contains("unknown field `memry_limit`"), "{stderr}");
    assert!(
        stderr.contains("delete the file to get the defaults back"),
        "{stderr}"
    );
    // Doctor still looks at the directory as it is.
    trawl.write("config.toml", "[serve]\nport = 0\n");
    trawl.expect(&["doctor"], 0);
}

#[test]
fn settings_apply_unless_a_flag_overrides_them() {
    let (_catalog, site) = catalog_site(10);
    let trawl = Trawl::default();
    trawl.write("config.toml", "[engine]\nmemory_limit = \"10MiB\"\n");
    let spec = trawl.write("shop.toml", &demo_spec(&site.url("")));
    // 10 MiB is below the smallest ceiling: the setting is checked.
    let (_, stderr) = trawl.expect(&["run", str_path(&spec), "--quiet"], 1);
    assert!(stderr.contains("engine.memory_limit"), "{stderr}");
    assert!(stderr.contains("at least 16MiB"), "{stderr}");
    trawl.write(
        "config.toml",
        "[engine]\nmemory_limit = \"1GiB\"\nmax_requests = 4\n",
    );
    trawl.expect(&["run", str_path(&spec), "--quiet"], 0);
    trawl.expect(
        &[
            "run",
            str_path(&spec),
            "--quiet",
            "--memory-limit",
            "none",
            "--max-requests",
            "8",
        ],
        0,
    );
}

#[test]
fn a_run_left_running_by_a_killed_process_is_shown_interrupted_with_the_way_forward() {
    let (_catalog, site) = catalog_site(400);
    let trawl = Trawl::default();
    // Slow enough to be killed mid-crawl.
    let spec = trawl.write(
        "shop.toml",
        &format!(
            "{}\n[politeness]\nconcurrency = 2\nper_host_concurrency = 2\nper_host_rate = 50.0\n",
            demo_spec(&site.url(""))
        ),
    );
    let mut child = trawl
        .command(&["run", str_path(&spec), "--quiet"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(50));
        let (stdout, _) = trawl.expect(&["runs", "--json"], 0);
        let runs: Value = serde_json::from_str(&stdout).unwrap();
        if runs[0]["pages_ok"].as_u64().unwrap_or(0) > 5 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the run never got going"
        );
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let (stdout, stderr) = trawl.expect(&["runs", "--json"], 0);
    assert!(
        stderr.contains("run 1 was left running by a process that stopped"),
        "{stderr}"
    );
    assert!(stderr.contains("`trawl resume 1`"), "{stderr}");
    let runs: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(runs[0]["state"], "interrupted", "{runs}");
    // Reported once: the next start finds nothing to recover.
    let (_, stderr) = trawl.expect(&["runs"], 0);
    assert!(!stderr.contains("left running"), "{stderr}");
    let (stdout, _) = trawl.expect(&["resume", "1", "--quiet", "--json"], 0);
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["state"], "succeeded");
}
