//! `Scheduler` end to end: fires become engine runs with the expected items,
//! an invalid spec file is a failed fire (and the next valid one runs), the
//! `skip` overlap policy while a slow run is active, and a restart in the
//! middle of a fire yields exactly one run for it.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use trawl_engine::Engine;
use trawl_schedule::decide::SkipReason;
use trawl_schedule::{ManualClock, OverlapPolicy, SchedulerHandle, SystemClock, decide};
use trawl_store::FireState;

use super::*;

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// The issue's real-clock test: an every-second schedule on the system clock
/// fires through the real engine at least twice, and each run succeeds with
/// the whole catalog.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_second_schedule_fires_through_the_engine_on_the_real_clock() {
    let site = site(12).await;
    let data = DataDir::temp();
    std::fs::write(data.spec_path(), spec_text(&site.server.url(""), "")).unwrap();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let schedule = add_schedule(
        &data,
        &schedule_config("*/1 * * * * *", OverlapPolicy::Skip, &data.spec_path()),
        clock.as_ref(),
    );
    let engine = engine(&data.store_path(), 2);
    let scheduler = start_scheduler(&engine, &data, clock);
    let mut events = scheduler.subscribe();

    let first = next_fired(&mut events).await;
    let second = next_fired(&mut events).await;
    assert_ne!(first, second);
    scheduler.stop().await;

    for run_id in [first, second] {
        assert_succeeded_with_catalog(&engine, &data, run_id, &site.catalog).await;
    }
    // Each run is claimed by a submitted fire of the schedule.
    let fires = data.store().schedule_fires(schedule.id, 100).unwrap();
    for run_id in [first, second] {
        let fire = fires
            .iter()
            .find(|fire| fire.run_id == Some(run_id))
            .unwrap();
        assert_eq!(fire.state, FireState::Submitted);
    }
    engine.shutdown().await;
}

/// A spec file that turns invalid, then disappears, makes those fires fail
/// with the error text recorded; the scheduler keeps going and the next fire
/// after the file is fixed runs normally.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_or_missing_spec_file_fails_the_fire_not_the_scheduler() {
    let site = site(12).await;
    let data = DataDir::temp();
    let valid = spec_text(&site.server.url(""), "");
    std::fs::write(data.spec_path(), &valid).unwrap();
    let clock = Arc::new(ManualClock::new(utc("2025-01-01T00:00:00.500Z")));
    let schedule = add_schedule(
        &data,
        &schedule_config("* * * * * *", OverlapPolicy::Skip, &data.spec_path()),
        clock.as_ref(),
    );
    let engine = engine(&data.store_path(), 2);
    let scheduler = start_scheduler(&engine, &data, clock.clone());
    let mut events = scheduler.subscribe();

    clock.set(utc("2025-01-01T00:00:01Z"));
    let first = next_fired(&mut events).await;
    assert_succeeded_with_catalog(&engine, &data, first, &site.catalog).await;

    // Invalid: a deny pattern that is not a regex.
    let invalid = valid.replace(r#"deny = ["/cart"]"#, r#"deny = ["(unclosed"]"#);
    assert_ne!(invalid, valid);
    std::fs::write(data.spec_path(), invalid).unwrap();
    clock.set(utc("2025-01-01T00:00:02Z"));
    let (fire_id, error) = next_event(&mut events, |event| match event {
        ScheduleEvent::Failed {
            schedule: failed,
            fire_id,
            scheduled_for,
            error,
        } => {
            assert_eq!(*failed, schedule.id);
            assert_eq!(*scheduled_for, utc("2025-01-01T00:00:02Z"));
            Some((*fire_id, error.clone()))
        }
        ScheduleEvent::Fired { .. } => panic!("an invalid spec fired: {event:?}"),
        _ => None,
    })
    .await;
    assert!(error.contains("shop.toml:"), "{error}");
    assert!(error.contains("deny"), "{error}");
    let recorded = data.store().fire(fire_id).unwrap();
    assert_eq!(recorded.state, FireState::Failed);
    assert_eq!(recorded.detail.as_deref(), Some(error.as_str()));
    assert_eq!(recorded.run_id, None);

    // Missing.
    std::fs::remove_file(data.spec_path()).unwrap();
    clock.set(utc("2025-01-01T00:00:03Z"));
    let error = next_event(&mut events, |event| match event {
        ScheduleEvent::Failed { error, .. } => Some(error.clone()),
        ScheduleEvent::Fired { .. } => panic!("a missing spec fired: {event:?}"),
        _ => None,
    })
    .await;
    assert!(error.starts_with("cannot read spec file"), "{error}");

    // Fixed: the next fire runs.
    std::fs::write(data.spec_path(), &valid).unwrap();
    clock.set(utc("2025-01-01T00:00:04Z"));
    let fixed = next_fired(&mut events).await;
    assert_ne!(fixed, first);
    assert_succeeded_with_catalog(&engine, &data, fixed, &site.catalog).await;
    scheduler.stop().await;

    let states: Vec<FireState> = data
        .store()
        .schedule_fires(schedule.id, 10)
        .unwrap()
        .into_iter()
        .rev()
        .map(|fire| fire.state)
        .collect();
    assert_eq!(
        states,
        [
            FireState::Submitted,
            FireState::Failed,
            FireState::Failed,
            FireState::Submitted
        ]
    );
    assert_eq!(engine.runs().unwrap().len(), 2);
    engine.shutdown().await;
}

/// Overlap `skip`: a fire while the previous (slow) run is active is skipped
/// with that reason and starts no run; once the run has ended the next fire
/// runs again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlap_skip_skips_a_fire_while_the_previous_run_is_active() {
    let site = site(48).await;
    let data = DataDir::temp();
    // One request at a time, 4 per second: the crawl takes seconds.
    let slow = "[politeness]\nconcurrency = 1\nper_host_concurrency = 1\nper_host_rate = 4.0\n";
    std::fs::write(data.spec_path(), spec_text(&site.server.url(""), slow)).unwrap();
    let clock = Arc::new(ManualClock::new(utc("2025-01-01T00:00:00.500Z")));
    let schedule = add_schedule(
        &data,
        &schedule_config("* * * * * *", OverlapPolicy::Skip, &data.spec_path()),
        clock.as_ref(),
    );
    let engine = engine(&data.store_path(), 2);
    let scheduler = start_scheduler(&engine, &data, clock.clone());
    let mut events = scheduler.subscribe();

    clock.set(utc("2025-01-01T00:00:01Z"));
    let slow_run = next_fired(&mut events).await;

    clock.set(utc("2025-01-01T00:00:02Z"));
    let skipped_for = next_event(&mut events, |event| match event {
        ScheduleEvent::Skipped {
            scheduled_for,
            reason,
            ..
        } => {
            assert_eq!(*reason, SkipReason::PreviousRunActive);
            Some(*scheduled_for)
        }
        ScheduleEvent::Fired { .. } => panic!("fired over an active run: {event:?}"),
        _ => None,
    })
    .await;
    assert_eq!(skipped_for, utc("2025-01-01T00:00:02Z"));
    let state = engine.run(slow_run).unwrap().record.state;
    assert!(
        matches!(state, RunState::Queued | RunState::Running),
        "{state}"
    );
    assert_eq!(engine.runs().unwrap().len(), 1);

    // Once the previous run has ended, the next fire runs.
    engine.cancel(slow_run).unwrap();
    assert_eq!(wait_run(&engine, slow_run).await.state, RunState::Cancelled);
    clock.set(utc("2025-01-01T00:00:03Z"));
    let next_run = next_fired(&mut events).await;
    assert_ne!(next_run, slow_run);
    scheduler.stop().await;
    engine.cancel(next_run).unwrap();
    wait_run(&engine, next_run).await;

    let fires = data.store().schedule_fires(schedule.id, 10).unwrap();
    let history: Vec<(FireState, Option<RunId>)> = fires
        .iter()
        .rev()
        .map(|fire| (fire.state, fire.run_id))
        .collect();
    assert_eq!(
        history,
        [
            (FireState::Submitted, Some(slow_run)),
            (FireState::Skipped, None),
            (FireState::Submitted, Some(next_run)),
        ]
    );
    assert_eq!(
        fires[1].detail.as_deref(),
        Some("the previous run is still active")
    );
    engine.shutdown().await;
}

/// A restart in the middle of a fire: (a) the tick was recorded but the
/// process stopped before submitting — the next start submits it, once;
/// (b) the engine had created the run but the fire was not marked — the next
/// start adopts that run instead of submitting another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_in_the_middle_of_a_fire_yields_exactly_one_run() {
    let site = site(12).await;
    let data = DataDir::temp();
    std::fs::write(data.spec_path(), spec_text(&site.server.url(""), "")).unwrap();
    let clock = Arc::new(ManualClock::new(utc("2025-01-01T00:00:00.500Z")));
    let schedule = add_schedule(
        &data,
        &schedule_config("* * * * * *", OverlapPolicy::Skip, &data.spec_path()),
        clock.as_ref(),
    );
    let engine = engine(&data.store_path(), 2);

    // What a scheduler does up to step 1 of a fire, then "dies".
    let record_fire = |at: &str| {
        clock.set(utc(at));
        let store = data.store();
        let schedules = fire::load_schedules(&store).unwrap();
        let tick = decide(&schedules, clock.now(), |_| false);
        let pending = fire::record_tick(&store, &tick).unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(
            store.fire(pending[0].fire_id).unwrap().state,
            FireState::Firing
        );
        pending[0].clone()
    };

    // (a) Recorded, never submitted.
    let pending = record_fire("2025-01-01T00:00:01Z");
    let scheduler = start_scheduler(&engine, &data, clock.clone());
    let resubmitted = match scheduler.startup_events() {
        [
            ScheduleEvent::Fired {
                fire_id, run_id, ..
            },
        ] if *fire_id == pending.fire_id => *run_id,
        other => panic!("unexpected start-up events: {other:?}"),
    };
    // Ticks at the same time must not fire it again.
    tokio::time::sleep(TICK * 10).await;
    scheduler.stop().await;
    assert_eq!(engine.runs().unwrap().len(), 1);
    let recorded = data.store().fire(pending.fire_id).unwrap();
    assert_eq!(recorded.state, FireState::Submitted);
    assert_eq!(recorded.run_id, Some(resubmitted));
    assert_succeeded_with_catalog(&engine, &data, resubmitted, &site.catalog).await;

    // (b) Recorded and submitted to the engine, not marked.
    let pending = record_fire("2025-01-01T00:00:02Z");
    let loaded = trawl_spec::load(&data.spec_path()).unwrap();
    let orphan = engine.submit(&loaded, Some(&data.spec_path()), 0).unwrap();
    let scheduler = start_scheduler(&engine, &data, clock.clone());
    assert_eq!(
        scheduler.startup_events(),
        [ScheduleEvent::Adopted {
            schedule: schedule.id,
            fire_id: pending.fire_id,
            run_id: orphan,
        }]
    );
    tokio::time::sleep(TICK * 10).await;
    scheduler.stop().await;
    assert_eq!(engine.runs().unwrap().len(), 2);
    let recorded = data.store().fire(pending.fire_id).unwrap();
    assert_eq!(recorded.state, FireState::Submitted);
    assert_eq!(recorded.run_id, Some(orphan));
    assert_succeeded_with_catalog(&engine, &data, orphan, &site.catalog).await;
    assert!(
        data.store()
            .fires_in_state(FireState::Firing)
            .unwrap()
            .is_empty()
    );
    engine.shutdown().await;
}

/// Starts a scheduler on a slow site (a crawl takes seconds) with `overlap`
/// and fires once at 00:00:01; returns what the test needs, and the run.
async fn slow_first_fire(
    overlap: OverlapPolicy,
) -> (
    Site,
    DataDir,
    Arc<ManualClock>,
    Arc<Engine>,
    SchedulerHandle,
    tokio::sync::broadcast::Receiver<ScheduleEvent>,
    RunId,
) {
    let site = site(48).await;
    let data = DataDir::temp();
    let slow = "[politeness]\nconcurrency = 1\nper_host_concurrency = 1\nper_host_rate = 4.0\n";
    std::fs::write(data.spec_path(), spec_text(&site.server.url(""), slow)).unwrap();
    let clock = Arc::new(ManualClock::new(utc("2025-01-01T00:00:00.500Z")));
    add_schedule(
        &data,
        &schedule_config("* * * * * *", overlap, &data.spec_path()),
        clock.as_ref(),
    );
    let engine = engine(&data.store_path(), 2);
    let scheduler = start_scheduler(&engine, &data, clock.clone());
    let mut events = scheduler.subscribe();
    clock.set(utc("2025-01-01T00:00:01Z"));
    let run = next_fired(&mut events).await;
    (site, data, clock, engine, scheduler, events, run)
}

/// Overlap `cancel_previous`: the fire cancels the active run, then submits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlap_cancel_previous_cancels_the_active_run_then_fires() {
    let (_site, _data, clock, engine, scheduler, mut events, slow_run) =
        slow_first_fire(OverlapPolicy::CancelPrevious).await;
    clock.set(utc("2025-01-01T00:00:02Z"));
    let (run_id, cancelled) = next_event(&mut events, |event| match event {
        ScheduleEvent::Fired {
            run_id, cancelled, ..
        } => Some((*run_id, *cancelled)),
        _ => None,
    })
    .await;
    assert_eq!(cancelled, Some(slow_run));
    assert_ne!(run_id, slow_run);
    assert_eq!(wait_run(&engine, slow_run).await.state, RunState::Cancelled);
    scheduler.stop().await;
    engine.cancel(run_id).unwrap();
    wait_run(&engine, run_id).await;
    engine.shutdown().await;
}

/// Overlap `queue`: the fire waits while the run is active and starts, for
/// its own scheduled time, at the first tick after the run has ended.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlap_queue_fires_the_queued_fire_when_the_run_ends() {
    let (_site, _data, clock, engine, scheduler, mut events, slow_run) =
        slow_first_fire(OverlapPolicy::Queue).await;
    clock.set(utc("2025-01-01T00:00:02Z"));
    let queued_for = next_event(&mut events, |event| match event {
        ScheduleEvent::Queued { scheduled_for, .. } => Some(*scheduled_for),
        ScheduleEvent::Fired { .. } => panic!("fired over an active run: {event:?}"),
        _ => None,
    })
    .await;
    assert_eq!(queued_for, utc("2025-01-01T00:00:02Z"));
    engine.cancel(slow_run).unwrap();
    wait_run(&engine, slow_run).await;
    // No clock move: the queued fire starts because the run ended.
    let (run_id, scheduled_for) = next_event(&mut events, |event| match event {
        ScheduleEvent::Fired {
            run_id,
            scheduled_for,
            ..
        } => Some((*run_id, *scheduled_for)),
        _ => None,
    })
    .await;
    assert_eq!(scheduled_for, queued_for);
    assert_ne!(run_id, slow_run);
    scheduler.stop().await;
    engine.cancel(run_id).unwrap();
    wait_run(&engine, run_id).await;
    engine.shutdown().await;
}

/// `take_events` is subscribed before the loop starts: a fire due at the
/// very first tick (it happens while `start` returns) is not missed, as it
/// could be by a `subscribe` after `start`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn take_events_sees_the_first_ticks_fire() {
    let site = site(12).await;
    let data = DataDir::temp();
    std::fs::write(data.spec_path(), spec_text(&site.server.url(""), "")).unwrap();
    let clock = Arc::new(ManualClock::new(utc("2025-01-01T00:00:00.500Z")));
    add_schedule(
        &data,
        &schedule_config("* * * * * *", OverlapPolicy::Skip, &data.spec_path()),
        clock.as_ref(),
    );
    // Due before the scheduler starts: the first tick fires it.
    clock.set(utc("2025-01-01T00:00:01Z"));
    let engine = engine(&data.store_path(), 2);
    let mut scheduler = start_scheduler(&engine, &data, clock.clone());
    let mut events = scheduler.take_events();
    let run_id = next_fired(&mut events).await;
    scheduler.stop().await;
    assert_succeeded_with_catalog(&engine, &data, run_id, &site.catalog).await;
    engine.shutdown().await;
}
