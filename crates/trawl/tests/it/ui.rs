//! The web UI end to end: `trawl ui` prints the address that signs in (for
//! the running server, or for a server it starts itself), and a real
//! Chromium, driven by Playwright (`crates/trawl-ui/e2e/ui.spec.mjs`), uses
//! the UI against a real `trawl serve` to start a run, pause, resume and
//! cancel it, and read its log, statistics, resources and dataset; the
//! UI's pure modules (SSE parser, levels, pipeline counts) pass their unit
//! tests in node (`crates/trawl-ui/e2e/units.test.mjs`).
//!
//! The browser test needs node, Debian's chromium and the npm package
//! playwright-core in `crates/trawl-ui/e2e/node_modules` (`scripts/test`
//! installs both). Without them it fails, saying what to install; it never
//! skips.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use super::serve::{Server, catalog_site};
use super::*;

const PATIENCE: Duration = Duration::from_secs(120);
const CHROMIUM: &str = "/usr/bin/chromium";

fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../trawl-ui/e2e")
}

/// node, chromium and playwright-core, or a panic naming what is missing.
fn browser_tools() -> PathBuf {
    let mut missing = Vec::new();
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|output| output.status.success()) {
        missing.push("node (Debian: apt-get install nodejs npm)");
    }
    if !Path::new(CHROMIUM).exists() {
        missing.push("chromium at /usr/bin/chromium (Debian: apt-get install chromium)");
    }
    if !e2e_dir()
        .join("node_modules/playwright-core/package.json")
        .exists()
    {
        missing.push("playwright-core (npm ci --prefix crates/trawl-ui/e2e)");
    }
    assert!(
        missing.is_empty(),
        "the browser test cannot run: missing {}; scripts/test installs them{}",
        missing.join(", "),
        if std::env::var("CI").as_deref() == Ok("true") {
            " (CI must have them)"
        } else {
            ""
        }
    );
    e2e_dir().join("ui.spec.mjs")
}

/// The line of `text` holding the signing-in address.
fn address_line(text: &str) -> Option<String> {
    text.lines()
        .find(|line| line.starts_with("http://127.0.0.1:") && line.contains("/#token="))
        .map(str::to_owned)
}

#[test]
fn trawl_ui_prints_the_address_of_the_running_server() {
    let trawl = Trawl::default();
    let server = Server::start(&trawl);
    let token = std::fs::read_to_string(trawl.path("api-token")).unwrap();
    let (stdout, stderr) = trawl.expect(&["ui"], 0);
    let address = address_line(&stdout).unwrap_or_else(|| panic!("no address in {stdout}"));
    assert_eq!(
        address,
        format!("{}/#token={}", server.address(), token.trim())
    );
    assert!(stdout.contains("keep it to yourself"), "{stdout}");
    assert!(!stderr.contains(token.trim()), "the token went to stderr");

    // --open without a graphical session: the redirect page is written
    // (owner-only, the address inside) and the user is told what to open.
    let (_, stderr) = trawl
        .command(&["ui", "--open"])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .map(|output| {
            assert!(output.status.success());
            (
                output.stdout,
                String::from_utf8_lossy(&output.stderr).into_owned(),
            )
        })
        .unwrap();
    assert!(stderr.contains("no graphical session"), "{stderr}");
    let page = trawl.path("ui-open.html");
    assert_eq!(
        std::fs::metadata(&page).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(std::fs::read_to_string(&page).unwrap().contains(&address));
    // The token never reaches the logs.
    let log = std::fs::read_to_string(trawl.path("logs/trawl.log")).unwrap_or_default();
    assert!(!log.contains(token.trim()), "the token is in trawl.log");
    drop(server);
}

#[test]
fn trawl_ui_starts_a_server_when_none_runs() {
    let trawl = Trawl::default();
    let mut child = trawl
        .command(&["ui", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                return;
            }
        }
    });
    let started = Instant::now();
    let mut printed = String::new();
    let address = loop {
        let remaining = PATIENCE.saturating_sub(started.elapsed());
        let line = received
            .recv_timeout(remaining)
            .unwrap_or_else(|_| panic!("trawl ui printed no address: {printed}"));
        printed.push_str(&line);
        printed.push('\n');
        if let Some(address) = address_line(&line) {
            break address;
        }
    };
    // It is a full server: server.json, the ui and the token-guarded api.
    assert!(printed.contains("trawl api listening on"), "{printed}");
    let discovery = std::fs::read_to_string(trawl.path("server.json")).unwrap();
    assert!(discovery.contains(&address[..address.find("/#").unwrap()]));
    let token = std::fs::read_to_string(trawl.path("api-token")).unwrap();
    assert!(address.ends_with(token.trim()));
    let (stdout, _) = trawl.expect(&["ui"], 0);
    assert_eq!(address_line(&stdout).as_deref(), Some(address.as_str()));

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert!(!trawl.path("server.json").exists());
}

#[test]
fn the_ui_in_chromium_starts_pauses_resumes_and_cancels_a_run() {
    let script = browser_tools();
    let trawl = Trawl::default();
    let (_catalog, site) = catalog_site(200);
    let spec = trawl.write(
        "slow.toml",
        &format!(
            "{}\n[politeness]\nconcurrency = 1\nper_host_concurrency = 1\nper_host_rate = 2.0\n",
            demo_spec(&site.url(""))
        ),
    );
    let server = Server::start(&trawl);
    trawl.expect(&["ui", "--open"], 0);
    let token = std::fs::read_to_string(trawl.path("api-token")).unwrap();
    let screenshots = match std::env::var_os("TRAWL_UI_SCREENSHOT_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => trawl.path("screenshots"),
    };
    std::fs::create_dir_all(&screenshots).unwrap();

    let output = Command::new("node")
        .arg(&script)
        .current_dir(e2e_dir())
        .env("TRAWL_UI_OPEN_FILE", trawl.path("ui-open.html"))
        .env("TRAWL_API_URL", server.address())
        .env("TRAWL_API_TOKEN", token.trim())
        .env("TRAWL_SPEC_FILE", &spec)
        .env("TRAWL_SCREENSHOT_DIR", &screenshots)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the browser test failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    assert!(stdout.contains("every step passed"), "{stdout}");
    for name in [
        "runs.png",
        "run-log.png",
        "run-stats.png",
        "run-dataset.png",
        "run-cancelled.png",
        "schedules.png",
        "locked.png",
    ] {
        let bytes = std::fs::read(screenshots.join(name)).unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "{name} is not a png");
    }

    // The run ended cancelled in the store too, with some of its items.
    let (stdout, _) = trawl.expect(&["runs", "--json"], 0);
    let runs: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(runs[0]["state"], "cancelled", "{runs}");
    assert!(runs[0]["items_stored"].as_u64().unwrap() > 0, "{runs}");
    drop(server);
}

#[test]
fn the_ui_modules_pass_their_unit_tests_in_node() {
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|output| output.status.success()),
        "node is missing (Debian: apt-get install nodejs); scripts/test checks for it"
    );
    let output = Command::new("node")
        .args(["--test", "units.test.mjs"])
        .current_dir(e2e_dir())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "node --test units.test.mjs failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("# fail 0"), "{stdout}");
}
