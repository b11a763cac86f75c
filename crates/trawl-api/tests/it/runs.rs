//! Runs through the API: exact datasets, pause/resume/cancel, the event stream.

use serde_json::json;

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_started_through_the_api_stores_the_exact_dataset() {
    let api = Api::start(60).await;
    let run_id = api.start_run(api.spec(8, 1000.0)).await;
    let run = api.wait_settled(run_id).await;
    assert_eq!(run["state"], "succeeded", "{run}");
    let expected = api.expected_keys();
    assert_eq!(run["counters"]["items_stored"], expected.len() as u64);

    let keys = api.item_keys(run_id).await;
    assert_eq!(keys.len(), expected.len(), "each item exactly once");
    assert_eq!(keys.into_iter().collect::<BTreeSet<_>>(), expected);
    let (_, page) = api.get(&format!("/api/runs/{run_id}/items?limit=5")).await;
    assert_eq!(page["total"], expected.len() as u64);
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    assert_eq!(page["items"][0]["kind"], "product");

    let (status, list) = api.get("/api/runs").await;
    assert_eq!(status, 200);
    assert_eq!(list["runs"][0]["run_id"], run_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_and_cancel_through_the_api() {
    let api = Api::start(60).await;
    let run_id = api.start_run(api.spec(2, 60.0)).await;
    api.wait_until(run_id, |run| {
        run["progress"]["pages_ok"].as_u64().unwrap_or(0) >= 3
    })
    .await;

    // Pause (abort in-flight pages), then resume, twice; the dataset stays exact.
    for mode in ["abort", "finish"] {
        let (status, body) = api
            .post(
                &format!("/api/runs/{run_id}/pause"),
                Some(json!({ "mode": mode })),
            )
            .await;
        assert_eq!(status, 202, "{body}");
        let paused = api.wait_settled(run_id).await;
        assert_eq!(paused["state"], "paused", "{paused}");
        // Pausing a paused run is an illegal transition: 409, state unchanged.
        let (status, body) = api.post(&format!("/api/runs/{run_id}/pause"), None).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (409, Some("conflict")),
            "{body}"
        );
        let (status, body) = api.post(&format!("/api/runs/{run_id}/resume"), None).await;
        assert_eq!(status, 202, "{body}");
        let pages_before = paused["counters"]["pages_ok"].as_u64().unwrap();
        api.wait_until(run_id, |run| {
            run["progress"]["pages_ok"].as_u64().unwrap_or(0) > pages_before + 1
                || run["progress"].is_null()
        })
        .await;
    }
    let done = api.wait_settled(run_id).await;
    assert_eq!(done["state"], "succeeded", "{done}");
    let keys: BTreeSet<String> = api.item_keys(run_id).await.into_iter().collect();
    assert_eq!(keys, api.expected_keys());
    let (status, _) = api.post(&format!("/api/runs/{run_id}/resume"), None).await;
    assert_eq!(status, 409, "a succeeded run is final");

    // Cancel a running run: it ends cancelled, and can be resumed to completion.
    let second = api.start_run(api.spec(2, 60.0)).await;
    api.wait_until(second, |run| run["state"] == "running")
        .await;
    let (status, body) = api.post(&format!("/api/runs/{second}/cancel"), None).await;
    assert_eq!(status, 202, "{body}");
    let cancelled = api.wait_settled(second).await;
    assert_eq!(cancelled["state"], "cancelled", "{cancelled}");
    api.post(&format!("/api/runs/{second}/resume"), None).await;
    let resumed = api.wait_settled(second).await;
    assert_eq!(resumed["state"], "succeeded", "{resumed}");
    assert_eq!(
        api.item_keys(second)
            .await
            .into_iter()
            .collect::<BTreeSet<_>>(),
        api.expected_keys()
    );
}

/// Reads SSE frames until `stop` says so; returns (event, id, data) triples.
async fn read_events(
    response: reqwest::Response,
    stop: impl Fn(&str, &Value) -> bool,
) -> Vec<(String, Option<u64>, Value)> {
    let mut response = response;
    let mut buffer = String::new();
    let mut events = Vec::new();
    let started = Instant::now();
    loop {
        let chunk = tokio::time::timeout(PATIENCE, response.chunk())
            .await
            .expect("no event within the patience")
            .unwrap()
            .expect("the stream ended early");
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            let (mut name, mut id, mut data) = (String::new(), None, String::new());
            for line in frame.lines() {
                if let Some(value) = line.strip_prefix("event:") {
                    name = value.trim().to_owned();
                } else if let Some(value) = line.strip_prefix("id:") {
                    id = Some(value.trim().parse().unwrap());
                } else if let Some(value) = line.strip_prefix("data:") {
                    data.push_str(value.trim());
                }
            }
            if name.is_empty() {
                continue; // keep-alive comment
            }
            let data: Value = serde_json::from_str(&data).unwrap();
            let done = stop(&name, &data);
            events.push((name, id, data));
            if done {
                return events;
            }
        }
        assert!(started.elapsed() < PATIENCE);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_stream_delivers_the_runs_state_changes_with_ids() {
    let api = Api::start(40).await;
    let run_id = api.start_run(api.spec(2, 100.0)).await;
    let lifecycle_only = format!("/api/runs/{run_id}/events?kinds=run_created,run_state_changed");
    let response = api
        .request(reqwest::Method::GET, &lifecycle_only)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let pause_sent = std::sync::atomic::AtomicBool::new(false);
    let events = read_events(response, |name, data| {
        name == "run_state_changed" && data["to"] == "succeeded"
    });
    // Drive the run through pause and resume while the stream is read.
    let driver = async {
        api.wait_until(run_id, |run| {
            run["progress"]["pages_ok"].as_u64().unwrap_or(0) >= 2
        })
        .await;
        api.post(&format!("/api/runs/{run_id}/pause"), None).await;
        pause_sent.store(true, std::sync::atomic::Ordering::SeqCst);
        api.wait_until(run_id, |run| run["state"] == "paused").await;
        api.post(&format!("/api/runs/{run_id}/resume"), None).await;
    };
    let (events, ()) = tokio::join!(events, driver);
    assert!(pause_sent.load(std::sync::atomic::Ordering::SeqCst));

    assert_eq!(events[0].0, "snapshot");
    assert_eq!(events[0].2["run_id"], run_id);
    let lifecycle: Vec<_> = events[1..].iter().collect();
    let ids: Vec<u64> = lifecycle.iter().map(|(_, id, _)| id.unwrap()).collect();
    assert!(
        ids.windows(2).all(|pair| pair[0] < pair[1]),
        "ids increase: {ids:?}"
    );
    let transitions: Vec<(String, String)> = lifecycle
        .iter()
        .filter(|(name, _, _)| name == "run_state_changed")
        .map(|(_, _, data)| {
            (
                data["from"].as_str().unwrap().to_owned(),
                data["to"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let pairs = |from: &str, to: &str| (from.to_owned(), to.to_owned());
    assert_eq!(
        transitions,
        vec![
            pairs("queued", "running"),
            pairs("running", "paused"),
            pairs("paused", "running"),
            pairs("running", "succeeded"),
        ],
        "{events:?}"
    );
    assert!(
        lifecycle
            .iter()
            .any(|(name, _, data)| name == "run_created" && data["run_id"] == run_id)
    );

    // A reconnect with Last-Event-ID gets only what came after it.
    let last_but_one = ids[ids.len() - 2];
    let response = api
        .request(reqwest::Method::GET, &lifecycle_only)
        .header("last-event-id", last_but_one.to_string())
        .send()
        .await
        .unwrap();
    let replay = read_events(response, |name, _| name == "run_state_changed").await;
    assert_eq!(replay.len(), 2, "{replay:?}");
    assert_eq!(replay[1].1, Some(*ids.last().unwrap()));
    assert_eq!(replay[1].2["to"], "succeeded");
}
