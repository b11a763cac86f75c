//! Unit tests of the event vocabulary, the bus, metrics and stats.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use trawl_types::{RunId, RunState};

use crate::*;

fn fetched(url: &str, status: u16, elapsed_millis: u64, outcome: &str) -> Event {
    Event::RequestFetched {
        url: url.to_owned(),
        status,
        bytes: 1000,
        elapsed_millis,
        outcome: outcome.to_owned(),
        final_url: None,
    }
}

/// One example of every variant, so the tests below cover them all.
fn one_of_each() -> Vec<Event> {
    let url = "http://127.0.0.1:1/a".to_owned();
    vec![
        Event::RunCreated {
            name: "shop".to_owned(),
            priority: 0,
        },
        Event::RunStateChanged {
            from: RunState::Queued,
            to: RunState::Running,
            reason: "started".to_owned(),
            error: None,
        },
        Event::RequestScheduled {
            url: url.clone(),
            depth: 1,
            source: ScheduleSource::Link,
            via: Some("http://127.0.0.1:1/".to_owned()),
        },
        Event::RequestStarted {
            url: url.clone(),
            attempt: 0,
        },
        Event::RequestRetried {
            url: url.clone(),
            attempt: 1,
            delay_millis: 250,
            reason: "http_503".to_owned(),
        },
        fetched(&url, 200, 12, "ok"),
        Event::RequestFailed {
            url: url.clone(),
            outcome: "timeout_total".to_owned(),
            error: "took too long".to_owned(),
            elapsed_millis: Some(30_000),
        },
        Event::RequestSkipped {
            url: url.clone(),
            reason: "robots_denied".to_owned(),
        },
        Event::PageExtracted {
            url: url.clone(),
            items: 1,
            items_dropped: 0,
            warnings: 0,
            links_found: 10,
            links_followed: 2,
            links_filtered: BTreeMap::from([("seen".to_owned(), 8)]),
        },
        Event::ItemDropped {
            url: url.clone(),
            rule: "product".to_owned(),
            reason: "missing_required".to_owned(),
            message: "field sku matched nothing".to_owned(),
        },
        Event::WarningRaised {
            url: Some(url.clone()),
            warning: "bad_link".to_owned(),
            message: "href does not parse".to_owned(),
        },
        Event::CheckpointCommitted {
            pages: 3,
            items_inserted: 2,
            items_duplicate: 1,
            links_inserted: 4,
            elapsed_millis: 2,
        },
        Event::HostThrottled {
            host: "127.0.0.1:1".to_owned(),
            delay_millis: 1000,
            reason: "retry_after".to_owned(),
        },
        Event::LimitChanged {
            scope: "run".to_owned(),
            limit: "concurrency".to_owned(),
            from: 64,
            to: 32,
            reason: "memory".to_owned(),
        },
        Event::ScheduleFired {
            schedule: "nightly".to_owned(),
            scheduled_for_millis: 1,
        },
        Event::ExportWritten {
            path: "/tmp/x.jsonl".to_owned(),
            format: "jsonl".to_owned(),
            items: 2,
            sha256: "00".to_owned(),
        },
    ]
}

#[test]
fn every_kind_has_an_example_and_its_name_is_the_json_tag() {
    let examples = one_of_each();
    assert_eq!(examples.len(), EventKind::ALL.len());
    for (event, kind) in examples.iter().zip(EventKind::ALL) {
        assert_eq!(event.kind(), kind);
        let json = serde_json::to_value(event).unwrap();
        assert_eq!(json["kind"], kind.as_str(), "{json}");
        assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        let back: Event = serde_json::from_value(json).unwrap();
        assert_eq!(&back, event);
    }
    assert_eq!(
        EventKind::parse("request-fetched"),
        Some(EventKind::RequestFetched)
    );
    assert_eq!(EventKind::parse("nope"), None);
}

#[test]
fn the_stored_form_drops_the_tag_and_round_trips_for_every_kind() {
    for event in one_of_each() {
        let kind = event.kind().as_str();
        let stored = encode_stored(&event);
        assert!(!stored.contains("\"kind\""), "{stored}");
        assert_eq!(decode_stored(kind, &stored).unwrap(), event, "{stored}");
        // Rows written with the tag (or by hand) decode too.
        let tagged = serde_json::to_string(&event).unwrap();
        assert_eq!(decode_stored(kind, &tagged).unwrap(), event);
    }
    for (kind, payload) in [
        ("request_fetched", ""),
        ("request_fetched", "[]"),
        ("request_fetched", "{"),
        ("request_fetched", "{}"),
        ("from_the_future", "{}"),
        ("request_started", "{\"url\":\"x\"}"),
        ("\"", "{}"),
    ] {
        assert!(decode_stored(kind, payload).is_err(), "{kind} {payload}");
    }
}

#[test]
fn unknown_or_broken_stored_events_are_errors_not_panics() {
    for text in [
        "",
        "{}",
        "{\"kind\":\"from_the_future\"}",
        "{\"kind\":\"request_fetched\",\"url\":1}",
        "[1,2]",
        "\u{0}",
    ] {
        assert!(serde_json::from_str::<Event>(text).is_err(), "{text:?}");
    }
}

#[test]
fn emitted_events_are_numbered_per_run_and_reach_subscribers_in_order() {
    let bus = EventBus::new();
    let mut subscription = bus.subscribe();
    let run_a = bus.emitter(RunId(1), 0);
    let run_b = bus.emitter(RunId(2), 41);
    run_a.emit(fetched("http://a/1", 200, 1, "ok"));
    run_b.emit(fetched("http://b/1", 200, 1, "ok"));
    run_a.emit(fetched("http://a/2", 200, 1, "ok"));
    let mut seen = Vec::new();
    while let Some(Received::Event(envelope)) = subscription.try_recv() {
        seen.push((envelope.run_id.0, envelope.seq));
    }
    assert_eq!(seen, vec![(1, 1), (2, 42), (1, 2)]);
    assert_eq!(run_a.last_seq(), 2);
    // A clone shares the clock.
    assert_eq!(run_a.clone().emit(fetched("x", 200, 1, "ok")).seq, 3);
}

#[test]
fn stamping_numbers_without_publishing() {
    let bus = EventBus::new();
    let mut subscription = bus.subscribe();
    let emitter = bus.emitter(RunId(1), 0);
    let envelope = emitter.stamp(one_of_each().remove(0));
    assert_eq!(envelope.seq, 1);
    assert!(subscription.try_recv().is_none());
    emitter.publish(envelope);
    assert!(matches!(subscription.try_recv(), Some(Received::Event(e)) if e.seq == 1));
}

#[test]
fn a_slow_subscriber_loses_events_and_is_told_how_many_and_publishing_never_waits() {
    let bus = Arc::new(EventBus::with_capacity(8, 64));
    let mut slow = bus.subscribe();
    let emitter = bus.emitter(RunId(7), 0);
    for index in 0..100 {
        emitter.emit(fetched(&format!("http://h/{index}"), 200, 1, "ok"));
    }
    let mut lagged = 0;
    let mut received = Vec::new();
    while let Some(next) = slow.try_recv() {
        match next {
            Received::Lagged(missed) => lagged += missed,
            Received::Event(envelope) => received.push(envelope.seq),
        }
    }
    assert_eq!(lagged, 92);
    assert_eq!(received, (93..=100).collect::<Vec<u64>>());
    assert_eq!(slow.lagged_total(), 92);
    assert_eq!(bus.lagged_total(), 92);
    assert!(
        bus.metrics()
            .render()
            .contains("trawl_events_lagged_total 92")
    );
}

#[test]
fn the_ring_serves_reconnects_and_says_when_it_no_longer_reaches_back() {
    let bus = Arc::new(EventBus::with_capacity(8, 10));
    let emitter = bus.emitter(RunId(3), 0);
    for _ in 0..25 {
        emitter.emit(fetched("http://h/", 200, 1, "ok"));
    }
    // The ring holds seq 16..=25.
    let (found, complete) = bus.recent(RunId(3), 20);
    assert_eq!(
        found.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![21, 22, 23, 24, 25]
    );
    assert!(complete);
    let (found, complete) = bus.recent(RunId(3), 15);
    assert_eq!(found.len(), 10);
    assert!(complete);
    let (_, complete) = bus.recent(RunId(3), 5);
    assert!(!complete, "seq 6..=15 left the ring");
    let (found, complete) = bus.recent(RunId(4), 0);
    assert!(found.is_empty() && !complete);
}

#[test]
fn metrics_count_requests_by_run_host_and_status_class() {
    let bus = EventBus::new();
    let emitter = bus.emitter(RunId(5), 0);
    emitter.emit(fetched("http://shop.test:8080/a", 200, 20, "ok"));
    emitter.emit(fetched("http://shop.test:8080/b", 404, 5, "http_404"));
    emitter.emit(Event::RequestFailed {
        url: "https://user:pw@other.test/x".to_owned(),
        outcome: "timeout_total".to_owned(),
        error: "slow".to_owned(),
        elapsed_millis: None,
    });
    let text = bus.metrics().render();
    for expected in [
        "trawl_requests_total{run=\"5\",host=\"shop.test:8080\",status=\"2xx\"} 1",
        "trawl_requests_total{run=\"5\",host=\"shop.test:8080\",status=\"4xx\"} 1",
        "trawl_request_errors_total{run=\"5\",host=\"shop.test:8080\",kind=\"http_404\"} 1",
        "trawl_request_errors_total{run=\"5\",host=\"other.test\",kind=\"timeout_total\"} 1",
        "trawl_response_bytes_total{run=\"5\",host=\"shop.test:8080\"} 2000",
        "trawl_request_duration_seconds_count{run=\"5\",host=\"shop.test:8080\"} 2",
        "trawl_events_total{kind=\"request_fetched\"} 2",
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
    assert!(!text.contains("pw@"), "credentials leaked into a label");
    assert!(text.ends_with("# EOF\n"));
}

#[test]
fn every_kind_is_counted_under_its_own_name() {
    let bus = EventBus::new();
    let emitter = bus.emitter(RunId(6), 0);
    let text = bus.metrics().render();
    for kind in EventKind::ALL {
        let zero = format!("trawl_events_total{{kind=\"{}\"}} 0\n", kind.as_str());
        assert!(text.contains(&zero), "missing {zero} in\n{text}");
    }
    // Each kind once more than the one before it, so a mixed-up index shows.
    for (position, event) in one_of_each().into_iter().enumerate() {
        for _ in 0..=position {
            emitter.emit(event.clone());
        }
    }
    let text = bus.metrics().render();
    for (position, kind) in EventKind::ALL.into_iter().enumerate() {
        let line = format!(
            "trawl_events_total{{kind=\"{}\"}} {}\n",
            kind.as_str(),
            position + 1
        );
        assert!(text.contains(&line), "missing {line} in\n{text}");
    }
}

#[test]
fn run_and_host_labels_are_bounded() {
    let bus = EventBus::new();
    for run in 1..=(MAX_RUN_LABELS as i64 + 4) {
        let emitter = bus.emitter(RunId(run), 0);
        emitter.emit(fetched("http://h/", 200, 1, "ok"));
    }
    let text = bus.metrics().render();
    let runs_with_series = (1..=(MAX_RUN_LABELS as i64 + 4))
        .filter(|run| text.contains(&format!("trawl_requests_total{{run=\"{run}\",")))
        .count();
    assert_eq!(runs_with_series, MAX_RUN_LABELS);
    assert!(
        !text.contains("trawl_requests_total{run=\"1\","),
        "oldest run kept"
    );
    assert!(
        !text.contains("run=\"1\""),
        "a series of the evicted run kept"
    );

    let emitter = bus.emitter(RunId(100), 0);
    for host in 0..(MAX_HOST_LABELS + 10) {
        emitter.emit(fetched(&format!("http://host{host}.test/"), 200, 1, "ok"));
    }
    let text = bus.metrics().render();
    assert!(text.contains("host=\"other\",status=\"2xx\"} 11"), "{text}");
}

#[test]
fn a_running_run_keeps_its_series_while_older_finished_ones_go() {
    let bus = EventBus::new();
    let long_run = bus.emitter(RunId(1), 0);
    long_run.emit(Event::RunStateChanged {
        from: RunState::Queued,
        to: RunState::Running,
        reason: "started".to_owned(),
        error: None,
    });
    long_run.emit(fetched("http://h/", 200, 1, "ok"));
    for run in 2..=(MAX_RUN_LABELS as i64 + 3) {
        bus.emitter(RunId(run), 0)
            .emit(fetched("http://h/", 200, 1, "ok"));
    }
    let text = bus.metrics().render();
    assert!(text.contains("trawl_requests_total{run=\"1\","), "{text}");
    assert!(text.contains("trawl_runs_running 1"));
}

#[test]
fn host_of_takes_the_authority_without_credentials() {
    assert_eq!(host_of("http://a.test/x"), "a.test");
    assert_eq!(host_of("https://u:p@a.test:8443?q"), "a.test:8443");
    assert_eq!(host_of("http://[::1]:80/#f"), "[::1]:80");
    assert_eq!(host_of("not a url"), "");
    assert_eq!(host_of("http://"), "");
}

fn at(millis: i64, event: Event) -> Envelope {
    Envelope {
        run_id: RunId(1),
        seq: 0,
        at_millis: millis,
        event,
    }
}

#[test]
fn stats_from_events() {
    let mut events = Vec::new();
    // 100 ok pages with latencies 1..=100 ms over 10 seconds, on two hosts.
    for index in 1..=100_u64 {
        let host = if index % 4 == 0 { "b.test" } else { "a.test" };
        events.push(at(
            1_000 + (index as i64 - 1) * 100,
            fetched(&format!("http://{host}/{index}"), 200, index, "ok"),
        ));
    }
    events.push(at(
        11_000,
        fetched("http://a.test/missing", 404, 3, "http_404"),
    ));
    events.push(at(
        11_000,
        Event::RequestFailed {
            url: "http://b.test/slow".to_owned(),
            outcome: "timeout_total".to_owned(),
            error: "x".to_owned(),
            elapsed_millis: Some(30_000),
        },
    ));
    events.push(at(
        11_000,
        Event::RequestSkipped {
            url: "http://a.test/private".to_owned(),
            reason: "robots_denied".to_owned(),
        },
    ));
    events.push(at(
        11_000,
        Event::RequestRetried {
            url: "http://b.test/slow".to_owned(),
            attempt: 1,
            delay_millis: 10,
            reason: "timeout".to_owned(),
        },
    ));
    events.push(at(
        11_000,
        Event::CheckpointCommitted {
            pages: 103,
            items_inserted: 90,
            items_duplicate: 10,
            links_inserted: 0,
            elapsed_millis: 1,
        },
    ));
    let stats = RunStats::from_events(&events);
    assert_eq!(stats.pages, 103);
    assert_eq!(stats.pages_ok, 100);
    assert_eq!(stats.pages_failed, 2);
    assert_eq!(stats.pages_skipped, 1);
    assert_eq!(stats.status_codes, BTreeMap::from([(200, 100), (404, 1)]));
    assert_eq!(
        stats.errors_by_kind,
        BTreeMap::from([
            ("http_404".to_owned(), 1),
            ("robots_denied".to_owned(), 1),
            ("timeout_total".to_owned(), 1)
        ])
    );
    assert_eq!(stats.retries, 1);
    assert_eq!(stats.items_stored, 90);
    assert_eq!(stats.items_duplicate, 10);
    assert_eq!(stats.latency.count, 101);
    assert_eq!(stats.latency.p50_millis, 50);
    assert_eq!(stats.latency.p90_millis, 90);
    assert_eq!(stats.latency.p99_millis, 99);
    assert_eq!(stats.latency.max_millis, 100);
    assert_eq!(stats.timeline_bucket_secs, 1);
    assert_eq!(stats.timeline.len(), 11);
    assert_eq!(stats.timeline[0].pages_per_sec, 10.0);
    assert_eq!(stats.timeline[10].pages_per_sec, 3.0);
    assert_eq!(stats.hosts[0].host, "a.test");
    assert_eq!(stats.hosts[0].pages, 77);
    assert_eq!(stats.hosts[1].host, "b.test");
    assert_eq!(stats.hosts[1].errors, 1);
    assert_eq!(stats.hosts[1].retries, 1);
}

#[test]
fn long_runs_get_wider_timeline_buckets() {
    let events: Vec<Envelope> = (0..1000)
        .map(|second| at(second * 1000, fetched("http://a/", 200, 1, "ok")))
        .collect();
    let stats = RunStats::from_events(&events);
    assert!(stats.timeline.len() <= MAX_TIMELINE_POINTS);
    assert_eq!(stats.timeline_bucket_secs, 9);
    let total: f64 = stats
        .timeline
        .iter()
        .map(|point| point.pages_per_sec * stats.timeline_bucket_secs as f64)
        .sum();
    assert_eq!(total, 1000.0);
}

#[test]
fn empty_stats() {
    let stats = RunStats::from_events(&[]);
    assert_eq!(stats.pages, 0);
    assert!(stats.timeline.is_empty());
    assert_eq!(stats.latency, Latency::default());
}

#[test]
fn stats_ignore_every_kind_they_do_not_count() {
    let counted: Vec<Envelope> = one_of_each()
        .into_iter()
        .filter(|event| StatsBuilder::KINDS.contains(&event.kind()))
        .enumerate()
        .map(|(index, event)| at(1000 * index as i64, event))
        .collect();
    let everything: Vec<Envelope> = one_of_each()
        .into_iter()
        .enumerate()
        .map(|(index, event)| at(1000 * index as i64 + 500, event))
        .chain(counted.iter().cloned())
        .collect();
    let mut only_counted = StatsBuilder::default();
    for envelope in everything
        .iter()
        .filter(|envelope| StatsBuilder::KINDS.contains(&envelope.event.kind()))
    {
        only_counted.add(envelope);
    }
    assert_eq!(RunStats::from_events(&everything), only_counted.finish());
}

#[test]
fn stats_from_stored_payloads_equal_stats_from_events() {
    let events: Vec<Envelope> = one_of_each()
        .into_iter()
        .chain([
            fetched("http://a.test/1", 200, 7, "ok"),
            fetched("http://b.test/\"q\"", 404, 3, "http_404"),
        ])
        .enumerate()
        .map(|(index, event)| at(100 * index as i64, event))
        .collect();
    let mut stored = StatsBuilder::default();
    for envelope in &events {
        stored
            .add_stored(
                envelope.event.kind().as_str(),
                envelope.at_millis,
                &encode_stored(&envelope.event),
            )
            .unwrap();
    }
    assert_eq!(stored.finish(), RunStats::from_events(&events));
    // A damaged payload of a counted kind is an error; other kinds are not read.
    let mut builder = StatsBuilder::default();
    assert!(
        builder
            .add_stored("request_fetched", 0, "{\"url\":1}")
            .is_err()
    );
    assert!(builder.add_stored("request_started", 0, "not json").is_ok());
    assert!(builder.add_stored("from_the_future", 0, "{}").is_ok());
}
