//! Secret headers through the real binary and a real socket: a site that
//! wants an API key and a bearer token gets them (written inline with
//! `secret = true`, and read from the environment with `env`), and with
//! every log at trace level neither value reaches stdout, stderr, the log
//! files, the stored events (`trawl events`, `trawl stats`), exports or the
//! API. The `env` one reaches no file at all, not even the store.

use std::path::Path;

use serde_json::Value;
use trawl_api::ApiToken;
use trawl_api::client::ApiClient;
use trawl_store::{EventQuery, Store};
use trawl_test_sites::guarded::guarded_handler;
use trawl_test_sites::server::TestServer;
use trawl_types::RunId;

use super::serve::Server;
use super::*;

const INLINE_SECRET: &str = "inline-s3cret-7f3a9c";
const ENV_SECRET: &str = "env-s3cret-b81d42";
const TOKEN_VARIABLE: &str = "TRAWL_IT_SECRET_TOKEN";

fn spec_for(origin: &str) -> String {
    format!(
        r#"name = "guarded"
start_urls = ["{origin}/"]

[request.headers]
X-Api-Key = {{ value = "{INLINE_SECRET}", secret = true }}
Authorization = {{ env = "{TOKEN_VARIABLE}" }}
Accept-Language = "en"

[[extract]]
name = "page"
fields.title = "h1.title"
"#
    )
}

/// Every file under `dir`, with its bytes.
fn files_under(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                files.push((path, bytes));
            }
        }
    }
    files
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

fn assert_no_secret(what: &str, text: &[u8]) {
    for secret in [INLINE_SECRET, ENV_SECRET] {
        assert!(
            !contains(text, secret),
            "{secret} leaked into {what}:\n{}",
            String::from_utf8_lossy(text)
        );
    }
}

#[test]
fn secret_headers_are_sent_and_reach_no_log_event_export_or_api() {
    let (handler, stats) = guarded_handler(vec![
        ("x-api-key".to_owned(), INLINE_SECRET.to_owned()),
        ("authorization".to_owned(), format!("Bearer {ENV_SECRET}")),
        ("accept-language".to_owned(), "en".to_owned()),
    ]);
    let site = TestServer::start_in_thread(handler, 1).unwrap();
    let trawl = Trawl::default();
    let spec = trawl.write("guarded.toml", &spec_for(&site.url("")));

    // A spec check with the variable unset warns, naming it; the spec is valid.
    let (stdout, stderr) = trawl.expect(&["spec", "check", str_path(&spec)], 0);
    assert!(stdout.contains(": ok"), "{stdout}");
    assert!(stderr.contains(TOKEN_VARIABLE), "{stderr}");
    // So does a run: no run is created, and the message names the variable.
    let (_, stderr) = trawl.expect(&["run", str_path(&spec)], 1);
    assert!(
        stderr.contains(TOKEN_VARIABLE) && stderr.contains("not set"),
        "{stderr}"
    );
    let (stdout, _) = trawl.expect(&["runs", "--json"], 0);
    assert_eq!(stdout.trim(), "[]");

    // Everything at trace level, on the terminal and in both log files.
    let output = trawl
        .command(&["run", str_path(&spec), "--json", "-vvv"])
        .env("TRAWL_LOG", "trace")
        .env(TOKEN_VARIABLE, format!("Bearer {ENV_SECRET}"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["state"], "succeeded");
    assert_eq!(summary["items_stored"], 2, "{summary}");
    assert_eq!(
        stats.accepted(),
        2,
        "the site got both headers on each page"
    );
    assert_eq!(stats.refused(), 0);
    assert_no_secret("stdout of trawl run", &output.stdout);
    assert_no_secret("stderr of trawl run", &output.stderr);
    // Trace level really was on, down to the HTTP client.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("TRACE"), "{stderr}");
    let run_log = std::fs::read_to_string(trawl.path("runs/1/log.jsonl")).unwrap();
    assert!(run_log.contains("\"level\":\"trace\""), "{run_log}");
    let app_log = std::fs::read_to_string(trawl.path("logs/trawl.log")).unwrap();
    assert!(
        app_log.contains("\"target\":\"hyper_util") || app_log.contains("\"target\":\"reqwest"),
        "the HTTP client's own trace lines are in the app log"
    );

    // Items, exports, the event log and the CLI's views.
    let (stdout, _) = trawl.expect(&["items", "1", "--json"], 0);
    assert!(stdout.contains("Guarded page 2"), "{stdout}");
    for file in ["out.jsonl", "out.csv", "out.parquet"] {
        let path = trawl.path(file);
        trawl.expect(&["export", "1", "-o", str_path(&path)], 0);
        assert_no_secret(file, &std::fs::read(&path).unwrap());
    }
    let store = Store::open(&trawl.path("trawl.sqlite")).unwrap();
    let events = store.events(RunId(1), &EventQuery::default()).unwrap();
    assert!(events.len() > 4, "{events:?}");
    for event in &events {
        assert_no_secret("the run's events", event.payload.as_bytes());
    }
    drop(store);
    for args in [
        vec!["runs", "--json"],
        vec!["events", "1", "--json"],
        vec!["stats", "1", "--json"],
        vec!["logs", "1"],
        vec!["logs", "1", "--json"],
    ] {
        let output = trawl.run(&args);
        assert!(output.status.success(), "{args:?}");
        assert_no_secret(&format!("trawl {args:?}"), &output.stdout);
    }

    // The API's view of the run, from a `trawl serve` at trace level.
    let server = Server::start_with_env(&trawl, &[("TRAWL_LOG", "trace")]);
    let token_path = trawl.path("api-token");
    let api = ApiClient::new(server.address(), &ApiToken::load(&token_path).unwrap()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let run = runtime.block_on(api.run(RunId(1))).unwrap();
    assert_eq!(run.state.as_str(), "succeeded");
    let runs = runtime.block_on(api.runs()).unwrap();
    assert_no_secret("the api's run", format!("{run:?} {runs:?}").as_bytes());
    let output = server.stop_with("-TERM");
    assert_no_secret("trawl serve's output", &output.stdout);
    assert_no_secret("trawl serve's output", &output.stderr);

    // Files: the env secret is in none, not even the store; the inline one
    // only in the store, which keeps the spec text the run ran (README).
    for (path, bytes) in files_under(trawl.data_dir.path()) {
        assert!(
            !contains(&bytes, ENV_SECRET),
            "{ENV_SECRET} leaked into {path:?}"
        );
        let name = path.file_name().unwrap().to_string_lossy();
        // The spec file itself (the test wrote it there) and the store.
        if name != "guarded.toml" && !name.starts_with("trawl.sqlite") {
            assert!(
                !contains(&bytes, INLINE_SECRET),
                "{INLINE_SECRET} leaked into {path:?}"
            );
        }
    }
}
