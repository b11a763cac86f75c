//! Schedules through the API: create, list, get (by id or name), pause,
//! resume, fires and delete; the errors of bad input (a cron field named,
//! every spec problem, a name in use); and a schedule fired by a real
//! scheduler on the engine behind the API, its run naming the schedule.

use std::sync::Arc;

use serde_json::json;
use trawl_schedule::{Scheduler, SystemClock};

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_list_get_pause_resume_fires_and_delete() {
    let api = Api::start(12).await;
    let (status, created) = api
        .post(
            "/api/schedules",
            Some(json!({
                "name": "nightly",
                "cron": "0 6 * * *",
                "time_zone": "Europe/Paris",
                "spec_toml": api.spec(2, 100.0),
                "overlap": "cancel_previous",
                "missed": "run_all",
                "missed_max": 4,
                "jitter_secs": 60,
            })),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["schedule_id"].as_i64().unwrap();
    assert_eq!(created["name"], "nightly");
    assert_eq!(created["cron"], "0 6 * * *");
    assert_eq!(created["time_zone"], "Europe/Paris");
    assert_eq!(created["overlap"], "cancel_previous");
    assert_eq!(created["missed"], "run_all");
    assert_eq!(created["missed_max"], 4);
    assert_eq!(created["jitter_secs"], 60);
    assert_eq!(created["spec_snapshot"], true);
    assert_eq!(created["paused"], false);
    let next = created["next_fires"].as_array().unwrap();
    assert_eq!(next.len(), 5);
    for fire in next {
        let local = fire["local"].as_str().unwrap();
        assert!(
            local.ends_with("T06:00:00+01:00") || local.ends_with("T06:00:00+02:00"),
            "{local}"
        );
    }

    // A second one, from a spec file, paused; the name defaults to the spec's.
    let spec_path = api.dir.path().join("shop.toml");
    std::fs::write(&spec_path, api.spec(2, 100.0)).unwrap();
    let (status, from_file) = api
        .post(
            "/api/schedules",
            Some(json!({
                "cron": "@hourly",
                "spec_path": spec_path.to_str().unwrap(),
                "paused": true,
            })),
        )
        .await;
    assert_eq!(status, 201, "{from_file}");
    assert_eq!(from_file["name"], "demo-shop");
    assert_eq!(from_file["time_zone"], "UTC");
    assert_eq!(from_file["spec_path"], spec_path.to_str().unwrap());
    assert_eq!(from_file["paused"], true);

    let (status, list) = api.get("/api/schedules").await;
    assert_eq!(status, 200, "{list}");
    let names: Vec<&str> = list["schedules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|schedule| schedule["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["nightly", "demo-shop"]);

    let (status, by_id) = api.get(&format!("/api/schedules/{id}")).await;
    assert_eq!((status, &by_id["name"]), (200, &json!("nightly")));
    let (status, by_name) = api.get("/api/schedules/demo-shop").await;
    assert_eq!((status, &by_name["paused"]), (200, &json!(true)));

    let (status, paused) = api.post(&format!("/api/schedules/{id}/pause"), None).await;
    assert_eq!((status, &paused["paused"]), (200, &json!(true)), "{paused}");
    let (status, resumed) = api.post("/api/schedules/nightly/resume", None).await;
    assert_eq!(
        (status, &resumed["paused"]),
        (200, &json!(false)),
        "{resumed}"
    );
    assert_eq!(resumed["next_fires"].as_array().unwrap().len(), 5);

    let (status, fires) = api
        .get(&format!("/api/schedules/{id}/fires?limit=10"))
        .await;
    assert_eq!(status, 200, "{fires}");
    assert_eq!(fires["schedule_id"], id);
    assert_eq!(fires["fires"], json!([]));

    let (status, removed) = api.delete(&format!("/api/schedules/{id}")).await;
    assert_eq!(status, 200, "{removed}");
    assert_eq!(removed["name"], "nightly");
    assert_eq!(removed["fires_deleted"], 0);
    assert_eq!(removed["runs_kept"], json!([]));
    let (status, body) = api.get(&format!("/api/schedules/{id}")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("schedule_not_found")),
        "{body}"
    );
    let (status, _) = api.delete(&format!("/api/schedules/{id}")).await;
    assert_eq!(status, 404);
    let (_, list) = api.get("/api/schedules").await;
    assert_eq!(list["schedules"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_schedules_get_400_401_409_or_422_naming_what_is_wrong() {
    let api = Api::start(12).await;
    let spec = api.spec(2, 100.0);
    let create = |body: Value| api.post("/api/schedules", Some(body));

    // No token.
    let (status, body) = api
        .call(
            api.http
                .post(format!("{}/api/schedules", api.base_url))
                .header("content-type", "application/json")
                .body(json!({ "cron": "@daily", "spec_toml": spec }).to_string()),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );

    // Not JSON, and no body.
    let (status, body) = api
        .call(
            api.request(reqwest::Method::POST, "/api/schedules")
                .header("content-type", "application/json")
                .body("{cron: nope"),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(error_message(&body).contains("not valid JSON"));
    let (status, _) = api.post("/api/schedules", None).await;
    assert_eq!(status, 400);

    // The wrong cron field is named, in the message and in `field`.
    let (status, body) = create(json!({ "cron": "0 25 * * *", "spec_toml": spec })).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "invalid_schedule");
    assert_eq!(body["error"]["field"], "cron");
    assert!(
        error_message(&body).contains("invalid hour field \"25\""),
        "{body}"
    );
    let (status, body) =
        create(json!({ "cron": "@daily", "time_zone": "Mars/Olympus", "spec_toml": spec })).await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("time_zone")),
        "{body}"
    );
    let (status, body) =
        create(json!({ "cron": "@daily", "missed": "run_all", "spec_toml": spec })).await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("missed_max")),
        "{body}"
    );
    let (status, body) =
        create(json!({ "cron": "@daily", "overlap": "sideways", "spec_toml": spec })).await;
    assert_eq!(status, 422, "{body}");
    assert!(error_message(&body).contains("cancel_previous"), "{body}");

    // Exactly one spec, given as an absolute path or as text.
    let (status, body) = create(json!({ "cron": "@daily" })).await;
    assert_eq!(status, 422, "{body}");
    let (status, body) =
        create(json!({ "cron": "@daily", "spec_toml": spec, "spec_path": "/x.toml" })).await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = create(json!({ "cron": "@daily", "spec_path": "shop.toml" })).await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("spec_path")),
        "{body}"
    );
    let (status, body) =
        create(json!({ "cron": "@daily", "spec_path": "/nonexistent/shop.toml" })).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        error_message(&body).contains("/nonexistent/shop.toml"),
        "{body}"
    );

    // An invalid spec: every problem with its line, as for POST /api/runs.
    let bad = "start_urls = [\"ftp://example.com/\"]\n\n[follow]\nallow = [\"(unclosed\"]\n";
    let (status, body) = create(json!({ "cron": "@daily", "spec_toml": bad })).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "invalid_spec");
    let lines: Vec<u64> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|problem| problem["line"].as_u64().unwrap())
        .collect();
    assert!(lines.contains(&1) && lines.contains(&4), "{body}");

    // Nothing was stored so far; a name in use is a conflict.
    let (_, list) = api.get("/api/schedules").await;
    assert_eq!(list["schedules"], json!([]));
    let (status, _) = create(json!({ "cron": "@daily", "spec_toml": spec })).await;
    assert_eq!(status, 201);
    let (status, body) = create(json!({ "cron": "@hourly", "spec_toml": spec })).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("conflict")),
        "{body}"
    );
    assert!(error_message(&body).contains("already exists"), "{body}");

    let (status, body) = api.get("/api/schedules/nope/fires").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("schedule_not_found"))
    );
    let (status, _) = api.get("/api/schedules/demo-shop/fires?limit=5000").await;
    assert_eq!(status, 400);
}

/// A real scheduler on the engine behind the API (as `trawl serve` runs it):
/// an every-second schedule added over the API fires, its fire shows the
/// run, and the run names the schedule.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_added_over_the_api_fires_and_its_run_names_it() {
    let api = Api::start(12).await;
    let scheduler = Scheduler::start(
        Arc::new(api.engine.clone()),
        &api.store_path(),
        Arc::new(SystemClock),
        Duration::from_millis(100),
    )
    .unwrap();
    let (status, created) = api
        .post(
            "/api/schedules",
            Some(json!({ "name": "fast", "cron": "*/1 * * * * *", "spec_toml": api.spec(8, 1000.0) })),
        )
        .await;
    assert_eq!(status, 201, "{created}");

    let started = Instant::now();
    let fire = loop {
        let (status, fires) = api.get("/api/schedules/fast/fires").await;
        assert_eq!(status, 200, "{fires}");
        let succeeded = fires["fires"]
            .as_array()
            .unwrap()
            .iter()
            .find(|fire| fire["state"] == "submitted" && fire["run_state"] == "succeeded");
        if let Some(fire) = succeeded {
            break fire.clone();
        }
        assert!(started.elapsed() < PATIENCE, "no fire succeeded: {fires}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    scheduler.stop().await;
    let run_id = fire["run_id"].as_i64().unwrap();
    let (status, run) = api.get(&format!("/api/runs/{run_id}")).await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["schedule"]["name"], "fast", "{run}");
    assert_eq!(run["schedule"]["fire_id"], fire["fire_id"], "{run}");
    let keys: BTreeSet<String> = api.item_keys(run_id).await.into_iter().collect();
    assert_eq!(keys, api.expected_keys());
    let (_, list) = api.get("/api/runs").await;
    let listed = list["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|listed| listed["run_id"] == run_id)
        .unwrap();
    assert_eq!(listed["schedule"]["schedule_id"], created["schedule_id"]);
    let (_, schedule) = api.get("/api/schedules/fast").await;
    assert!(schedule["last_outcome"].is_object(), "{schedule}");

    // Removing the schedule keeps its runs.
    let (status, removed) = api.delete("/api/schedules/fast").await;
    assert_eq!(status, 200, "{removed}");
    assert!(
        removed["runs_kept"]
            .as_array()
            .unwrap()
            .contains(&json!(run_id)),
        "{removed}"
    );
    let (status, run) = api.get(&format!("/api/runs/{run_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(run["schedule"], Value::Null, "{run}");
    for listed in api.get("/api/runs").await.1["runs"].as_array().unwrap() {
        let id = listed["run_id"].as_i64().unwrap();
        api.wait_settled(id).await;
    }
}
