//! Stepping through a replay's timeline: breakpoints on a URL, an item's
//! field and an error stop at the events they name, with the recorded
//! exchange and the page's items at each; step, step back, seek and play
//! with a budget move exactly as far as asked. The site is gone by then:
//! every frame comes from the store and the recording.

use std::sync::Mutex;

use trawl_engine::timeline::ExchangeOutcome;
use trawl_engine::{Breakpoint, Frame, PlayEnd, Timeline};
use trawl_events::{Event, EventKind};
use trawl_store::Store;

use super::replay::{Recorded, record_demo, run_to_end};

fn breakpoints(texts: &[&str]) -> Vec<Breakpoint> {
    texts.iter().map(|text| text.parse().unwrap()).collect()
}

fn response_of(frame: &Frame) -> (u16, &str) {
    match &frame.exchange.as_ref().expect("an exchange").outcome {
        ExchangeOutcome::Response { status, body, .. } => {
            (*status, body.as_deref().unwrap_or_default())
        }
        other => panic!("not a response: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_steps_to_breakpoints_with_exchanges_and_items() {
    let Recorded {
        catalog,
        path,
        engine,
        run: original,
        dir: _dir,
        ..
    } = record_demo(30, "").await;
    let replay = engine.submit_replay(original, None).unwrap();
    run_to_end(&engine, replay).await;

    let store = Mutex::new(Store::open(&path).unwrap());
    let mut timeline = Timeline::open(&store.lock().unwrap(), &path, replay).unwrap();
    assert!(timeline.has_recording());
    assert_eq!(timeline.position(), 0);
    assert!(timeline.current(&store).unwrap().is_none());

    // The first event is the run's creation; no exchange belongs to it.
    let first = timeline.step(&store, &[]).unwrap().unwrap();
    assert_eq!(first.position, 1);
    assert!(matches!(first.event.event, Event::RunCreated { .. }));
    assert!(first.exchange.is_none());
    let last = first.last;
    assert!(last > 100, "a 30-product crawl has a long log: {last}");

    // A URL breakpoint stops at every event about the page, in order.
    timeline.set_breakpoints(breakpoints(&["url~/product/7/$"]));
    let mut kinds = Vec::new();
    let mut frames = Vec::new();
    loop {
        let (frame, end) = timeline.play(&store, 0).unwrap();
        if end != PlayEnd::Breakpoint {
            assert_eq!(end, PlayEnd::End);
            assert_eq!(timeline.position(), last);
            break;
        }
        let frame = frame.unwrap();
        assert_eq!(frame.breakpoints, ["url~/product/7/$"]);
        assert!(frame.event.event.url().unwrap().ends_with("/product/7/"));
        kinds.push(frame.event.event.kind());
        frames.push(frame);
    }
    // (Product 7's page also raises an extraction warning, between the two.)
    assert_eq!(
        kinds[..3],
        [
            EventKind::RequestScheduled,
            EventKind::RequestStarted,
            EventKind::RequestFetched,
        ]
    );
    assert_eq!(kinds.last(), Some(&EventKind::PageExtracted));
    let product = &catalog.expected_products()[6];
    assert!(frames[0].exchange.is_none(), "scheduled: not fetched yet");
    let started = &frames[1];
    assert_eq!(started.exchange.as_ref().unwrap().attempt, Some(0));
    let (status, body) = response_of(started);
    assert_eq!(status, 200);
    assert!(body.contains(&product.sku), "the recorded page is shown");
    let extraction = frames
        .last()
        .unwrap()
        .extraction
        .as_ref()
        .expect("the page's items");
    assert_eq!(extraction.items.len(), 1);
    assert_eq!(extraction.items[0].fields["sku"], product.sku.as_str());
    assert_eq!(extraction.items[0].fields["name"], product.name.as_str());
    assert!(!extraction.links.is_empty());

    // An item condition stops at the page that yields the item, once.
    let wanted = &catalog.expected_products()[11];
    timeline.seek(&store, 0).unwrap();
    timeline.set_breakpoints(breakpoints(&[&format!("item.name={}", wanted.name)]));
    let (frame, end) = timeline.play(&store, 0).unwrap();
    assert_eq!(end, PlayEnd::Breakpoint);
    let frame = frame.unwrap();
    assert_eq!(frame.event.event.kind(), EventKind::PageExtracted);
    let items = &frame.extraction.as_ref().unwrap().items;
    assert!(
        items
            .iter()
            .any(|item| item.fields["sku"] == wanted.sku.as_str())
    );
    let at_item = frame.position;
    assert_eq!(timeline.play(&store, 0).unwrap().1, PlayEnd::End);

    // An error breakpoint: the dead reviews link of product 25 (404).
    timeline.seek(&store, 0).unwrap();
    timeline.set_breakpoints(breakpoints(&["error"]));
    let (frame, end) = timeline.play(&store, 0).unwrap();
    assert_eq!(end, PlayEnd::Breakpoint);
    let frame = frame.unwrap();
    assert!(
        matches!(&frame.event.event, Event::RequestFetched { status: 404, url, .. } if url.ends_with("/product/25/reviews/")),
        "{:?}",
        frame.event
    );
    assert_eq!(response_of(&frame).0, 404);

    // Seek, step back, step by kind and a bounded play.
    let again = timeline.seek(&store, at_item).unwrap().unwrap();
    assert_eq!(again.position, at_item);
    assert_eq!(
        again.event,
        timeline.current(&store).unwrap().unwrap().event
    );
    let before = timeline.step_back(&store).unwrap().unwrap();
    assert!(before.position < at_item);
    let next_page = timeline
        .step(&store, &[EventKind::PageExtracted])
        .unwrap()
        .unwrap();
    assert_eq!(
        next_page.position, at_item,
        "the next page_extracted is the one left"
    );
    timeline.set_breakpoints(Vec::new());
    let (frame, end) = timeline.play(&store, 3).unwrap();
    assert_eq!(end, PlayEnd::Budget);
    assert!(frame.unwrap().position >= at_item + 3);
    let end_frame = timeline.seek(&store, u64::MAX).unwrap().unwrap();
    assert_eq!(end_frame.position, last);
    assert!(matches!(
        end_frame.event.event,
        Event::RunStateChanged {
            to: trawl_types::RunState::Succeeded,
            ..
        }
    ));
    assert!(
        timeline.step(&store, &[]).unwrap().is_none(),
        "nothing after the end"
    );
    assert_eq!(timeline.position(), last);
    assert!(timeline.seek(&store, 0).unwrap().is_none());
    assert!(timeline.step_back(&store).unwrap().is_none());

    // The original recorded run has a timeline of its own, from its own recording.
    let mut own = Timeline::open(&store.lock().unwrap(), &path, original).unwrap();
    own.set_breakpoints(breakpoints(&["kind=page_extracted"]));
    let (frame, end) = own.play(&store, 0).unwrap();
    assert_eq!(end, PlayEnd::Breakpoint);
    assert!(!frame.unwrap().extraction.unwrap().links.is_empty());
}
