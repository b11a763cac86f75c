//! `trawl serve` as a real child process: it owns the data directory (lock,
//! discovery file, 0600 token), refuses a second server, turns `trawl run`
//! into its client, and leaves cleanly on SIGTERM; `pause`/`cancel` need it.

use std::os::unix::fs::PermissionsExt;
use std::process::Child;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use trawl_api::ApiToken;
use trawl_api::client::ApiClient;
use trawl_test_sites::catalog::{Catalog, CatalogConfig};
use trawl_test_sites::server::{TestServer, catalog_handler};

use super::*;

const PATIENCE: Duration = Duration::from_secs(120);

/// A `trawl serve` child; SIGKILLed on drop if the test did not stop it.
pub struct Server {
    child: Child,
    discovery: Value,
}

impl Server {
    pub fn start(trawl: &Trawl) -> Server {
        Server::start_with_env(trawl, &[])
    }

    /// [`Server::start`] with extra environment variables (`TRAWL_LOG`).
    pub fn start_with_env(trawl: &Trawl, env: &[(&str, &str)]) -> Server {
        let child = trawl
            .command(&["serve", "--port", "0", "--max-concurrent-runs", "2"])
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut server = Server {
            child,
            discovery: Value::Null,
        };
        let started = Instant::now();
        let path = trawl.path("server.json");
        loop {
            if let Ok(text) = std::fs::read_to_string(&path)
                && let Ok(discovery) = serde_json::from_str::<Value>(&text)
                && discovery["pid"] == server.child.id()
            {
                server.discovery = discovery;
                return server;
            }
            assert!(
                server.child.try_wait().unwrap().is_none(),
                "trawl serve exited early"
            );
            assert!(started.elapsed() < PATIENCE, "trawl serve did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn address(&self) -> &str {
        self.discovery["address"].as_str().unwrap()
    }

    /// Whether the server process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    fn stop(self) -> (Option<i32>, String) {
        let output = self.stop_with("-TERM");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    }

    /// Sends `signal` (`-INT`, `-TERM`) and waits for the exit.
    pub fn stop_with(mut self, signal_name: &str) -> std::process::Output {
        signal(self.child.id(), signal_name);
        std::mem::replace(
            &mut self.child,
            std::process::Command::new("true").spawn().unwrap(),
        )
        .wait_with_output()
        .unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn signal(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

pub fn catalog_site(products: u32) -> (Arc<Catalog>, TestServer) {
    let catalog = Arc::new(Catalog::new(CatalogConfig {
        products,
        ..CatalogConfig::demo()
    }));
    let server = TestServer::start_in_thread(catalog_handler(catalog.clone()), 1).unwrap();
    (catalog, server)
}

fn client(server: &Server) -> ApiClient {
    let token_path = server.discovery["token_path"].as_str().unwrap();
    let token = ApiToken::load(Path::new(token_path)).unwrap();
    ApiClient::new(server.address(), &token).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn serve_owns_the_data_dir_and_run_becomes_its_client() {
    let trawl = Trawl::default();
    let (catalog, site) = catalog_site(40);
    let spec = trawl.write("shop.toml", &demo_spec(&site.url("")));
    let server = Server::start(&trawl);

    // The token file is the owner's only, and the discovery file names it
    // without containing it.
    let token_path = trawl.path("api-token");
    let mode = std::fs::metadata(&token_path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let token = std::fs::read_to_string(&token_path).unwrap();
    assert!(token.trim().len() >= 32);
    let discovery_text = std::fs::read_to_string(trawl.path("server.json")).unwrap();
    assert!(!discovery_text.contains(token.trim()));
    assert!(server.address().starts_with("http://127.0.0.1:"));

    // A second server on the same data directory fails and says where the first is.
    let (_, stderr) = trawl.expect(&["serve", "--port", "0"], 1);
    assert!(
        stderr.contains(&format!("already running at {}", server.address())),
        "{stderr}"
    );

    // `trawl run` becomes a client: the server runs it, the summary is the usual one.
    let (stdout, stderr) = trawl.expect(&["run", str_path(&spec), "--json"], 0);
    assert!(stderr.contains("the run goes to it"), "{stderr}");
    assert!(!stderr.contains(token.trim()) && !stdout.contains(token.trim()));
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["state"], "succeeded");
    let expected = catalog.expected_products().len() as u64;
    assert_eq!(summary["items_stored"], expected);
    let run_id = summary["run_id"].as_i64().unwrap();

    let api = client(&server);
    let runs = runtime().block_on(api.runs()).unwrap();
    let run = runs
        .runs
        .iter()
        .find(|run| run.run_id.0 == run_id)
        .expect("the run is the server's");
    assert_eq!(run.state.as_str(), "succeeded");
    assert_eq!(run.counters.items_stored, expected);

    // pause/cancel go through the server, whose errors come back clearly.
    let (_, stderr) = trawl.expect(&["pause", &run_id.to_string()], 1);
    assert!(
        stderr.contains("cannot go from succeeded to paused"),
        "{stderr}"
    );
    let (_, stderr) = trawl.expect(&["cancel", "999"], 1);
    assert!(stderr.contains("run 999 not found"), "{stderr}");

    // SIGTERM: clean exit, discovery file removed; then pause needs a server.
    let (code, stdout) = server.stop();
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("api token in"), "{stdout}");
    assert!(!stdout.contains(token.trim()), "the token is never printed");
    assert!(!trawl.path("server.json").exists());
    let (_, stderr) = trawl.expect(&["pause", "1"], 1);
    assert!(stderr.contains("start `trawl serve` first"), "{stderr}");
    let (_, stderr) = trawl.expect(&["cancel", "1"], 1);
    assert!(stderr.contains("start `trawl serve` first"), "{stderr}");
}

#[test]
fn a_local_run_holds_the_lock_and_a_killed_owner_releases_it() {
    let trawl = Trawl::default();
    let (_catalog, site) = catalog_site(200);
    let slow = format!(
        "{}\n[politeness]\nconcurrency = 1\nper_host_concurrency = 1\nper_host_rate = 5.0\n",
        demo_spec(&site.url(""))
    );
    let spec = trawl.write("slow.toml", &slow);
    // Its stderr is kept: should the run end early, the test says why
    // instead of waiting on a `trawl serve` that is no longer refused.
    let run_stderr = trawl.path("run.stderr");
    let mut run = trawl
        .command(&["run", str_path(&spec), "--quiet"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&run_stderr).unwrap())
        .spawn()
        .unwrap();
    let run_pid = run.id().to_string();
    let mut assert_running = |when: &str| {
        if let Some(status) = run.try_wait().unwrap() {
            panic!(
                "trawl run ended {when} ({status}):\n{}",
                std::fs::read_to_string(&run_stderr).unwrap_or_default()
            );
        }
    };
    let started = Instant::now();
    while std::fs::read_to_string(trawl.path("engine.lock"))
        .unwrap_or_default()
        .trim()
        != run_pid
    {
        assert_running("before it took the lock");
        assert!(
            started.elapsed() < PATIENCE,
            "trawl run never took the lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_running("right after it took the lock");

    // While it runs in-process, no server can start and no pause is possible.
    let (_, stderr) = trawl.expect(&["serve", "--port", "0"], 1);
    assert!(
        stderr.contains(&format!("another trawl process (pid {})", run.id())),
        "{stderr}"
    );
    let (_, stderr) = trawl.expect(&["pause", "1"], 1);
    assert!(stderr.contains("start `trawl serve` first"), "{stderr}");

    // SIGKILL leaves a lock file but no lock: the next server takes over and
    // recovers the orphaned run (queued or running in its engine again).
    run.kill().unwrap();
    run.wait().unwrap();
    let server = Server::start(&trawl);
    let api = client(&server);
    let recovered = runtime().block_on(api.run(trawl_types::RunId(1))).unwrap();
    assert!(recovered.progress.is_some(), "{recovered:?}");
    assert!(
        matches!(recovered.state.as_str(), "queued" | "running"),
        "{recovered:?}"
    );

    // Shutdown on SIGTERM leaves it interrupted, to be resumed at next start.
    let (code, _) = server.stop();
    assert_eq!(code, Some(0));
    let (stdout, _) = trawl.expect(&["runs", "--json"], 0);
    let runs: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(runs[0]["state"], "interrupted", "{runs}");
}
