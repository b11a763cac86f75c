//! Record, replay and step over HTTP: a run started with `record: true` is
//! replayed through `POST /api/runs/{id}/replay`; a timeline over the replay
//! steps, seeks, plays to breakpoints (a URL, an item's field, an error)
//! and pauses a paced play, each answer carrying the frame with the
//! recorded exchange and the page's items. Bad breakpoints and unknown
//! sessions are clear errors.

use super::*;

async fn put(api: &Api, path: &str, body: Value) -> (u16, Value) {
    api.call(
        api.request(reqwest::Method::PUT, path)
            .header("content-type", "application/json")
            .body(body.to_string()),
    )
    .await
}

/// Polls the session until its play has stopped.
async fn stopped(api: &Api, id: i64) -> Value {
    let started = Instant::now();
    loop {
        let (status, timeline) = api.get(&format!("/api/timelines/{id}")).await;
        assert_eq!(status, 200, "{timeline}");
        if timeline["playing"] == false {
            return timeline;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "play never stopped: {timeline}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_is_stepped_to_breakpoints_over_http() {
    let api = Api::start(30).await;
    let (status, run) = api
        .post(
            "/api/runs",
            Some(json!({ "spec_toml": api.spec(8, 1000.0), "record": true })),
        )
        .await;
    assert_eq!(status, 201, "{run}");
    let original = run["run_id"].as_i64().unwrap();
    let run = api.wait_settled(original).await;
    assert_eq!(run["state"], "succeeded", "{run}");

    let (status, replay) = api
        .post(&format!("/api/runs/{original}/replay"), None)
        .await;
    assert_eq!(status, 201, "{replay}");
    let replay_id = replay["run_id"].as_i64().unwrap();
    let replay = api.wait_settled(replay_id).await;
    assert_eq!(replay["state"], "succeeded", "{replay}");
    assert_eq!(replay["counters"]["items_stored"], 30);

    let wanted = &api.catalog.expected_products()[4];
    let (status, timeline) = api
        .post(
            "/api/timelines",
            Some(json!({ "run_id": replay_id, "breakpoints": ["url~/product/5/$"] })),
        )
        .await;
    assert_eq!(status, 201, "{timeline}");
    let id = timeline["timeline_id"].as_i64().unwrap();
    assert_eq!(timeline["position"], 0);
    assert_eq!(timeline["recorded"], true);
    assert!(timeline["frame"].is_null());

    // Step: the run's creation, then its start.
    let (status, timeline) = api.post(&format!("/api/timelines/{id}/step"), None).await;
    assert_eq!(status, 200, "{timeline}");
    assert_eq!(timeline["frame"]["event"]["kind"], "run_created");
    let last = timeline["frame"]["last"].as_u64().unwrap();

    // Play (unpaced) stops at the breakpoint: the page's scheduling first,
    // then its fetch with the recorded response.
    let (status, timeline) = api.post(&format!("/api/timelines/{id}/play"), None).await;
    assert_eq!(status, 200, "{timeline}");
    let timeline = stopped(&api, id).await;
    assert_eq!(timeline["stopped"], "breakpoint", "{timeline}");
    assert_eq!(timeline["frame"]["event"]["kind"], "request_scheduled");
    assert_eq!(
        timeline["frame"]["breakpoints"],
        json!(["url~/product/5/$"])
    );
    for kind in ["request_started", "request_fetched"] {
        api.post(&format!("/api/timelines/{id}/play"), None).await;
        let timeline = stopped(&api, id).await;
        assert_eq!(timeline["frame"]["event"]["kind"], kind, "{timeline}");
    }
    let (_, timeline) = api.get(&format!("/api/timelines/{id}")).await;
    let frame = &timeline["frame"];
    assert_eq!(frame["event"]["kind"], "request_fetched");
    assert!(
        frame["event"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/product/5/")
    );
    let exchange = &frame["exchange"];
    assert_eq!(exchange["outcome"], "response", "{exchange}");
    assert_eq!(exchange["status"], 200);
    assert!(exchange["body"].as_str().unwrap().contains(&wanted.sku));
    assert!(
        exchange["headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|header| header[0] == "content-type")
    );

    // An item condition: the page that yields the product named so.
    let (status, timeline) = put(
        &api,
        &format!("/api/timelines/{id}/breakpoints"),
        json!({ "breakpoints": [format!("item.sku={}", wanted.sku)] }),
    )
    .await;
    assert_eq!(status, 200, "{timeline}");
    api.post(
        &format!("/api/timelines/{id}/seek"),
        Some(json!({ "position": 0 })),
    )
    .await;
    api.post(&format!("/api/timelines/{id}/play"), None).await;
    let timeline = stopped(&api, id).await;
    assert_eq!(timeline["stopped"], "breakpoint", "{timeline}");
    let frame = &timeline["frame"];
    assert_eq!(frame["event"]["kind"], "page_extracted");
    let items = frame["extraction"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["fields"]["name"], wanted.name.as_str());
    let at_item = timeline["position"].as_u64().unwrap();

    // Step back and seek return to exact positions.
    let (_, back) = api
        .post(
            &format!("/api/timelines/{id}/step"),
            Some(json!({ "back": true })),
        )
        .await;
    assert!(back["position"].as_u64().unwrap() < at_item);
    let (_, there) = api
        .post(
            &format!("/api/timelines/{id}/seek"),
            Some(json!({ "position": at_item })),
        )
        .await;
    assert_eq!(there["frame"], frame.clone());

    // An error breakpoint: product 25's dead reviews link.
    put(
        &api,
        &format!("/api/timelines/{id}/breakpoints"),
        json!({ "breakpoints": ["error"] }),
    )
    .await;
    api.post(&format!("/api/timelines/{id}/play"), None).await;
    let timeline = stopped(&api, id).await;
    let frame = &timeline["frame"];
    assert_eq!(frame["event"]["status"], 404, "{frame}");
    assert_eq!(frame["exchange"]["status"], 404);

    // A paced play moves a few events a tick and pauses where it is.
    put(
        &api,
        &format!("/api/timelines/{id}/breakpoints"),
        json!({ "breakpoints": [] }),
    )
    .await;
    api.post(
        &format!("/api/timelines/{id}/seek"),
        Some(json!({ "position": 1 })),
    )
    .await;
    let (_, playing) = api
        .post(
            &format!("/api/timelines/{id}/play"),
            Some(json!({ "events_per_second": 20 })),
        )
        .await;
    assert_eq!(playing["playing"], true);
    tokio::time::sleep(Duration::from_millis(350)).await;
    let (_, paused) = api.post(&format!("/api/timelines/{id}/pause"), None).await;
    assert_eq!(paused["playing"], false);
    assert_eq!(paused["stopped"], "paused");
    let position = paused["position"].as_u64().unwrap();
    assert!(position > 1 && position < last, "{position} of {last}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, later) = api.get(&format!("/api/timelines/{id}")).await;
    assert_eq!(later["position"], position, "a paused play moved on");
    // Unpaced to the end.
    api.post(&format!("/api/timelines/{id}/play"), None).await;
    let timeline = stopped(&api, id).await;
    assert_eq!(timeline["stopped"], "end");
    assert_eq!(timeline["position"], last);
    assert_eq!(timeline["frame"]["event"]["to"], "succeeded");

    // Bad input and unknown sessions.
    let (status, body) = api
        .post(
            "/api/timelines",
            Some(json!({ "run_id": replay_id, "breakpoints": ["url~("] })),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(error_message(&body).contains("regular expression"));
    let (status, body) = api
        .post(
            &format!("/api/timelines/{id}/step"),
            Some(json!({ "kinds": ["fetched"] })),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(error_message(&body).contains("request_fetched"));
    let (status, body) = api
        .post("/api/timelines", Some(json!({ "run_id": 999 })))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("run_not_found"))
    );
    let (status, _) = api.delete(&format!("/api/timelines/{id}")).await;
    assert_eq!(status, 200);
    let (status, body) = api.get(&format!("/api/timelines/{id}")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("timeline_not_found"))
    );
}
