//! Tests for the fire protocol with a real store file: schedules survive a
//! reopen, and a restart at each step of a fire neither loses nor repeats it.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::TimeDelta;
use trawl_store::NewRun;

use super::*;
use crate::clock::{Clock, ManualClock};
use crate::decide::{SkipReason, decide};
use crate::model::{MissedRunPolicy, OverlapPolicy};

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn config() -> ScheduleConfig {
    ScheduleConfig {
        name: "nightly".to_owned(),
        cron: "0 6 * * *".to_owned(),
        time_zone: "Europe/Paris".to_owned(),
        jitter: Duration::from_secs(30),
        overlap: OverlapPolicy::Queue,
        missed: MissedRunPolicy::RunAll { max: 3 },
        target: ScheduleTarget::SpecFile(PathBuf::from("books.toml")),
        paused: false,
    }
}

/// What `Engine::submit` does to the store: create the run from the spec.
fn engine_creates_run(store: &Store) -> RunId {
    store
        .create_run(&NewRun {
            name: "books".to_owned(),
            spec_toml: "start_urls = []".to_owned(),
            spec_hash: "h".to_owned(),
            spec_path: Some("books.toml".to_owned()),
        })
        .unwrap()
}

/// Decides at the clock's time with no run active and records the tick.
fn tick_and_record(store_path: &Path, clock: &ManualClock) -> Vec<PendingFire> {
    let store = Store::open(store_path).unwrap();
    let schedules = load_schedules(&store).unwrap();
    let tick = decide(&schedules, clock.now(), |_| false);
    record_tick(&store, &tick).unwrap()
}

#[test]
fn schedules_and_their_fire_times_survive_a_restart() {
    let temp_dir = tempfile::tempdir().unwrap();
    let store_path = temp_dir.path().join("trawl.db");
    let added = {
        let store = Store::open(&store_path).unwrap();
        add_schedule(&store, &config(), utc("2025-01-01T00:00:00Z")).unwrap()
    };
    // 06:00 in Paris is 05:00 UTC in winter.
    assert_eq!(added.next_fire, Some(utc("2025-01-01T05:00:00Z")));
    let clock = ManualClock::new(utc("2025-01-01T05:10:00Z"));
    let pending = tick_and_record(&store_path, &clock);
    assert_eq!(pending.len(), 1);

    let store = Store::open(&store_path).unwrap();
    let reloaded = load_schedules(&store).unwrap();
    assert_eq!(reloaded.len(), 1);
    let schedule = &reloaded[0];
    assert_eq!(schedule.name, "nightly");
    assert_eq!(schedule.cron, added.cron);
    assert_eq!(schedule.jitter, Duration::from_secs(30));
    assert_eq!(schedule.overlap, OverlapPolicy::Queue);
    assert_eq!(schedule.missed, MissedRunPolicy::RunAll { max: 3 });
    assert_eq!(schedule.last_fire, Some(utc("2025-01-01T05:00:00Z")));
    assert_eq!(schedule.next_fire, Some(utc("2025-01-02T05:00:00Z")));
    // The jitter of a fire is the same after the restart.
    assert_eq!(
        schedule.jitter_for(utc("2025-01-01T05:00:00Z")),
        added.jitter_for(utc("2025-01-01T05:00:00Z"))
    );
}

#[test]
fn invalid_configs_are_refused_before_anything_is_stored() {
    let store = Store::open_in_memory().unwrap();
    let now = utc("2025-01-01T00:00:00Z");
    let mut bad_cron = config();
    bad_cron.cron = "0 6 * * * * *".to_owned();
    assert!(matches!(
        add_schedule(&store, &bad_cron, now),
        Err(ScheduleError::WrongFieldCount { found: 7, .. })
    ));
    let mut no_bound = config();
    no_bound.missed = MissedRunPolicy::RunAll { max: 0 };
    assert_eq!(
        add_schedule(&store, &no_bound, now)
            .unwrap_err()
            .to_string(),
        "missed-run policy run_all needs a bound between 1 and 168, got 0"
    );
    let mut long_jitter = config();
    long_jitter.jitter = Duration::from_secs(2 * 86_400);
    assert!(matches!(
        add_schedule(&store, &long_jitter, now),
        Err(ScheduleError::JitterTooLong { .. })
    ));
    assert!(store.schedules().unwrap().is_empty());
    add_schedule(&store, &config(), now).unwrap();
    assert!(matches!(
        add_schedule(&store, &config(), now),
        Err(ScheduleError::Store(
            trawl_store::StoreError::ScheduleNameTaken(_)
        ))
    ));
}

#[test]
fn a_crash_before_the_fire_is_recorded_decides_it_again() {
    let temp_dir = tempfile::tempdir().unwrap();
    let store_path = temp_dir.path().join("trawl.db");
    let store = Store::open(&store_path).unwrap();
    add_schedule(&store, &config(), utc("2025-01-01T00:00:00Z")).unwrap();
    let now = utc("2025-01-01T05:10:00Z");
    let before_crash = decide(&load_schedules(&store).unwrap(), now, |_| false);
    drop(store); // The process dies before record_tick.

    let store = Store::open(&store_path).unwrap();
    let after_restart = decide(&load_schedules(&store).unwrap(), now, |_| false);
    assert_eq!(before_crash, after_restart);
    assert_eq!(record_tick(&store, &after_restart).unwrap().len(), 1);
    assert!(
        recover(&store)
            .unwrap()
            .iter()
            .all(|recovered| matches!(recovered, Recovered::Resubmit(_)))
    );
}

#[test]
fn a_crash_after_recording_but_before_submitting_resubmits_the_same_fire_once() {
    let temp_dir = tempfile::tempdir().unwrap();
    let store_path = temp_dir.path().join("trawl.db");
    {
        let store = Store::open(&store_path).unwrap();
        add_schedule(&store, &config(), utc("2025-01-01T00:00:00Z")).unwrap();
    }
    let clock = ManualClock::new(utc("2025-01-01T05:10:00Z"));
    let pending = tick_and_record(&store_path, &clock);
    assert_eq!(pending.len(), 1);
    // The process dies here, before Engine::submit.

    let store = Store::open(&store_path).unwrap();
    // The restarted scheduler does not decide that fire again...
    assert_eq!(tick_and_record(&store_path, &clock), []);
    // ...and recovery hands it back, with the same fire id, to submit.
    assert_eq!(
        recover(&store).unwrap(),
        [Recovered::Resubmit(pending[0].clone())]
    );
    let run_id = engine_creates_run(&store);
    mark_submitted(&store, pending[0].fire_id, run_id).unwrap();
    assert_eq!(recover(&store).unwrap(), []);
    let fire = store.fire(pending[0].fire_id).unwrap();
    assert_eq!(fire.state, FireState::Submitted);
    assert_eq!(fire.run_id, Some(run_id));
}

#[test]
fn a_crash_after_the_engine_created_the_run_adopts_it_instead_of_firing_twice() {
    let temp_dir = tempfile::tempdir().unwrap();
    let store_path = temp_dir.path().join("trawl.db");
    let earlier_run = {
        let store = Store::open(&store_path).unwrap();
        add_schedule(&store, &config(), utc("2025-01-01T00:00:00Z")).unwrap();
        // A manual run of the same spec from before the fire is not adopted.
        engine_creates_run(&store)
    };
    let clock = ManualClock::new(utc("2025-01-01T05:10:00Z"));
    let pending = tick_and_record(&store_path, &clock);
    let run_id = {
        let store = Store::open(&store_path).unwrap();
        engine_creates_run(&store)
        // The process dies before mark_submitted.
    };
    assert_ne!(earlier_run, run_id);

    let store = Store::open(&store_path).unwrap();
    assert_eq!(
        recover(&store).unwrap(),
        [Recovered::Adopted {
            fire_id: pending[0].fire_id,
            run_id,
        }]
    );
    assert_eq!(store.fire(pending[0].fire_id).unwrap().run_id, Some(run_id));
    assert_eq!(recover(&store).unwrap(), []);
    assert_eq!(tick_and_record(&store_path, &clock), []);
}

#[test]
fn recording_the_same_tick_twice_submits_nothing_the_second_time() {
    let store = Store::open_in_memory().unwrap();
    add_schedule(&store, &config(), utc("2025-01-01T00:00:00Z")).unwrap();
    let tick = decide(
        &load_schedules(&store).unwrap(),
        utc("2025-01-01T05:10:00Z"),
        |_| false,
    );
    assert_eq!(record_tick(&store, &tick).unwrap().len(), 1);
    assert_eq!(record_tick(&store, &tick).unwrap(), []);
}

#[test]
fn a_queued_fire_is_stored_and_fires_after_a_restart_once_the_run_ended() {
    let temp_dir = tempfile::tempdir().unwrap();
    let store_path = temp_dir.path().join("trawl.db");
    let store = Store::open(&store_path).unwrap();
    let schedule = add_schedule(&store, &config(), utc("2025-01-01T00:00:00Z")).unwrap();
    let now = utc("2025-01-01T05:10:00Z");
    let tick = decide(&load_schedules(&store).unwrap(), now, |_| true);
    assert_eq!(record_tick(&store, &tick).unwrap(), []);
    drop(store);

    let store = Store::open(&store_path).unwrap();
    let reloaded = load_schedules(&store).unwrap();
    assert_eq!(reloaded[0].queued_fire, Some(utc("2025-01-01T05:00:00Z")));
    let tick = decide(&reloaded, now + TimeDelta::minutes(5), |_| false);
    let pending = record_tick(&store, &tick).unwrap();
    assert_eq!(
        pending,
        [PendingFire {
            fire_id: pending[0].fire_id,
            schedule: schedule.id,
            scheduled_for: utc("2025-01-01T05:00:00Z"),
            cancel_previous: false,
        }]
    );
    assert_eq!(load_schedules(&store).unwrap()[0].queued_fire, None);
}

#[test]
fn skips_and_failures_are_in_the_fire_history() {
    let store = Store::open_in_memory().unwrap();
    let mut skipping = config();
    skipping.overlap = OverlapPolicy::Skip;
    skipping.missed = MissedRunPolicy::Skip;
    let schedule = add_schedule(&store, &skipping, utc("2025-01-01T00:00:00Z")).unwrap();
    // Down for two days, back in time for the third fire (jitter is at most 30 s).
    let tick = decide(
        &load_schedules(&store).unwrap(),
        utc("2025-01-03T05:00:40Z"),
        |_| false,
    );
    let pending = record_tick(&store, &tick).unwrap();
    mark_failed(&store, pending[0].fire_id, "books.toml: missing start_urls").unwrap();
    let history = store.schedule_fires(schedule.id, 10).unwrap();
    let summary: Vec<(FireState, Option<String>)> = history
        .into_iter()
        .map(|fire| (fire.state, fire.detail))
        .collect();
    assert_eq!(
        summary,
        [
            (
                FireState::Failed,
                Some("books.toml: missing start_urls".to_owned())
            ),
            (
                FireState::Skipped,
                Some(
                    SkipReason::Missed {
                        first: utc("2025-01-01T05:00:00Z"),
                        count: 2,
                        count_is_lower_bound: false,
                    }
                    .to_string()
                )
            ),
        ]
    );
    assert_eq!(
        summary[1].1.as_deref(),
        Some("missed while trawl was not running: 2 fire(s) from 2025-01-01T05:00:00+00:00")
    );
}

#[test]
fn resuming_a_schedule_does_not_count_the_paused_time_as_missed() {
    let store = Store::open_in_memory().unwrap();
    let schedule = add_schedule(&store, &config(), utc("2025-01-01T00:00:00Z")).unwrap();
    pause_schedule(&store, schedule.id).unwrap();
    assert!(load_schedules(&store).unwrap()[0].paused);
    // Resumed three days later, while trawl was not running in between.
    let resumed = resume_schedule(&store, schedule.id, utc("2025-01-04T12:00:00Z")).unwrap();
    assert!(!resumed.paused);
    assert_eq!(resumed.next_fire, Some(utc("2025-01-05T05:00:00Z")));
    let tick = decide(&[resumed], utc("2025-01-04T12:00:01Z"), |_| false);
    assert_eq!(tick.decisions, []);
}

#[test]
fn the_target_is_reread_at_each_fire() {
    let temp_dir = tempfile::tempdir().unwrap();
    let spec_path = temp_dir.path().join("books.toml");
    std::fs::write(&spec_path, "a = 1").unwrap();
    let target = ScheduleTarget::SpecFile(spec_path.clone());
    assert_eq!(target_source(&target).unwrap(), "a = 1");
    std::fs::write(&spec_path, "a = 2").unwrap();
    assert_eq!(target_source(&target).unwrap(), "a = 2");
    assert_eq!(
        target_source(&ScheduleTarget::SpecSnapshot("b = 1".to_owned())).unwrap(),
        "b = 1"
    );
}
