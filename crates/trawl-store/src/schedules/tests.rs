//! Tests for schedule persistence: CRUD, surviving a reopen of the file, and
//! the fire record that makes a restart in the middle of a fire exact.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::test_support::new_run;

fn new_schedule(name: &str) -> NewSchedule {
    NewSchedule {
        name: name.to_owned(),
        cron: "30 2 * * *".to_owned(),
        time_zone: "Europe/Paris".to_owned(),
        jitter_millis: 5_000,
        overlap_policy: "queue".to_owned(),
        missed_run_policy: "run_all".to_owned(),
        missed_run_max: Some(3),
        spec_path: Some("books.toml".to_owned()),
        spec_toml: None,
        paused: false,
        next_fire_millis: Some(1_000),
    }
}

fn firing(scheduled_for_millis: i64) -> NewFire {
    NewFire {
        scheduled_for_millis,
        jitter_millis: 7,
        state: FireState::Firing,
        detail: None,
    }
}

#[test]
fn schedules_and_fire_times_survive_closing_and_reopening_the_store() {
    let temp_dir = tempfile::tempdir().unwrap();
    let store_path = temp_dir.path().join("trawl.db");
    let (schedule_id, fire_id) = {
        let store = Store::open(&store_path).unwrap();
        let schedule_id = store.add_schedule(&new_schedule("nightly")).unwrap();
        let recorded = store
            .record_fires(schedule_id, &[firing(1_000)], Some(1_000), Some(2_000))
            .unwrap();
        let FireRecorded::Recorded(fire_id) = recorded[0] else {
            panic!("expected a new fire, got {recorded:?}");
        };
        store.set_schedule_paused(schedule_id, true).unwrap();
        (schedule_id, fire_id)
    };
    let store = Store::open(&store_path).unwrap();
    let record = store.schedule(schedule_id).unwrap();
    assert_eq!(record.name, "nightly");
    assert_eq!(record.cron, "30 2 * * *");
    assert_eq!(record.time_zone, "Europe/Paris");
    assert_eq!(record.jitter_millis, 5_000);
    assert_eq!(record.overlap_policy, "queue");
    assert_eq!(record.missed_run_policy, "run_all");
    assert_eq!(record.missed_run_max, Some(3));
    assert_eq!(record.spec_path.as_deref(), Some("books.toml"));
    assert_eq!(record.spec_toml, None);
    assert!(record.paused);
    assert_eq!(record.last_fire_millis, Some(1_000));
    assert_eq!(record.next_fire_millis, Some(2_000));
    assert_eq!(record.queued_fire_millis, None);
    let fire = store.fire(fire_id).unwrap();
    assert_eq!(fire.state, FireState::Firing);
    assert_eq!(fire.scheduled_for_millis, 1_000);
    assert_eq!(fire.jitter_millis, 7);
    assert_eq!(store.fires_in_state(FireState::Firing).unwrap(), [fire]);
}

#[test]
fn schedule_names_are_unique() {
    let store = Store::open_in_memory().unwrap();
    store.add_schedule(&new_schedule("nightly")).unwrap();
    let error = store.add_schedule(&new_schedule("nightly")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "a schedule named \"nightly\" already exists; pick another name or remove that schedule"
    );
}

#[test]
fn a_schedule_needs_exactly_one_target() {
    let store = Store::open_in_memory().unwrap();
    let mut both = new_schedule("both");
    both.spec_toml = Some("x = 1".to_owned());
    assert!(matches!(
        store.add_schedule(&both),
        Err(StoreError::Sqlite { .. })
    ));
    let mut snapshot = new_schedule("snapshot");
    snapshot.spec_path = None;
    snapshot.spec_toml = Some("x = 1".to_owned());
    let schedule_id = store.add_schedule(&snapshot).unwrap();
    assert_eq!(
        store.schedule(schedule_id).unwrap().spec_toml.as_deref(),
        Some("x = 1")
    );
}

#[test]
fn lookups_pause_and_remove() {
    let store = Store::open_in_memory().unwrap();
    let first = store.add_schedule(&new_schedule("a")).unwrap();
    let second = store.add_schedule(&new_schedule("b")).unwrap();
    let names: Vec<String> = store
        .schedules()
        .unwrap()
        .into_iter()
        .map(|record| record.name)
        .collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(
        store.schedule_by_name("b").unwrap().unwrap().schedule_id,
        second
    );
    assert_eq!(store.schedule_by_name("c").unwrap(), None);
    store.set_schedule_paused(first, true).unwrap();
    assert!(store.schedule(first).unwrap().paused);
    store.set_schedule_paused(first, false).unwrap();
    assert!(!store.schedule(first).unwrap().paused);
    store
        .set_schedule_fire_times(first, Some(5), Some(6))
        .unwrap();
    let record = store.schedule(first).unwrap();
    assert_eq!(
        (record.last_fire_millis, record.next_fire_millis),
        (Some(5), Some(6))
    );

    store
        .record_fires(first, &[firing(10)], None, None)
        .unwrap();
    store.remove_schedule(first).unwrap();
    assert!(matches!(
        store.schedule(first),
        Err(StoreError::ScheduleNotFound(id)) if id == first
    ));
    // Its fires went with it.
    assert!(store.fires_in_state(FireState::Firing).unwrap().is_empty());
    assert!(matches!(
        store.remove_schedule(first),
        Err(StoreError::ScheduleNotFound(_))
    ));
    assert!(matches!(
        store.set_schedule_paused(first, true),
        Err(StoreError::ScheduleNotFound(_))
    ));
}

#[test]
fn a_fire_time_is_recorded_once_and_its_transaction_moves_the_fire_times() {
    let store = Store::open_in_memory().unwrap();
    let schedule_id = store.add_schedule(&new_schedule("nightly")).unwrap();
    let first = store
        .record_fires(schedule_id, &[firing(1_000)], Some(1_000), Some(2_000))
        .unwrap();
    let FireRecorded::Recorded(fire_id) = first[0] else {
        panic!("{first:?}");
    };
    // A second process (or a replayed decision) recording the same time
    // writes nothing and is told so.
    let again = store
        .record_fires(schedule_id, &[firing(1_000)], Some(1_000), Some(2_000))
        .unwrap();
    assert_eq!(again, [FireRecorded::AlreadyRecorded(fire_id)]);
    assert_eq!(store.schedule_fires(schedule_id, 10).unwrap().len(), 1);

    let run_id = store.create_run(&new_run("books")).unwrap();
    assert!(store.mark_fire_submitted(fire_id, run_id).unwrap());
    // Finishing is a compare-and-set from `firing`: a second finish is refused.
    assert!(!store.mark_fire_submitted(fire_id, run_id).unwrap());
    assert!(!store.mark_fire_failed(fire_id, "late").unwrap());
    let fire = store.fire(fire_id).unwrap();
    assert_eq!(fire.state, FireState::Submitted);
    assert_eq!(fire.run_id, Some(run_id));
    assert!(matches!(
        store.mark_fire_failed(FireId(999), "x"),
        Err(StoreError::FireNotFound(FireId(999)))
    ));
}

#[test]
fn recording_fires_for_a_missing_schedule_writes_nothing() {
    let store = Store::open_in_memory().unwrap();
    assert!(matches!(
        store.record_fires(ScheduleId(42), &[firing(1)], None, None),
        Err(StoreError::ScheduleNotFound(ScheduleId(42)))
    ));
    assert!(store.fires_in_state(FireState::Firing).unwrap().is_empty());
}

#[test]
fn a_queued_fire_is_listed_on_its_schedule_and_becomes_firing() {
    let store = Store::open_in_memory().unwrap();
    let schedule_id = store.add_schedule(&new_schedule("nightly")).unwrap();
    let queued = NewFire {
        state: FireState::Queued,
        ..firing(1_000)
    };
    let skipped = NewFire {
        state: FireState::Skipped,
        detail: Some("previous run still active".to_owned()),
        ..firing(2_000)
    };
    store
        .record_fires(schedule_id, &[queued, skipped], Some(2_000), Some(3_000))
        .unwrap();
    assert_eq!(
        store.schedule(schedule_id).unwrap().queued_fire_millis,
        Some(1_000)
    );
    let outcome = store
        .record_fires(schedule_id, &[firing(1_000)], Some(2_000), Some(3_000))
        .unwrap();
    let FireRecorded::Recorded(fire_id) = outcome[0] else {
        panic!("{outcome:?}");
    };
    assert_eq!(store.fire(fire_id).unwrap().state, FireState::Firing);
    assert_eq!(
        store.schedule(schedule_id).unwrap().queued_fire_millis,
        None
    );
    let history = store.schedule_fires(schedule_id, 10).unwrap();
    assert_eq!(history[0].state, FireState::Skipped);
    assert_eq!(
        history[0].detail.as_deref(),
        Some("previous run still active")
    );
}

#[test]
fn unclaimed_runs_are_those_from_the_same_spec_that_no_fire_points_at() {
    let store = Store::open_in_memory().unwrap();
    let schedule_id = store.add_schedule(&new_schedule("nightly")).unwrap();
    let claimed = store.create_run(&new_run("books")).unwrap();
    let recorded = store
        .record_fires(schedule_id, &[firing(1)], None, None)
        .unwrap();
    let FireRecorded::Recorded(fire_id) = recorded[0] else {
        panic!("{recorded:?}");
    };
    store.mark_fire_submitted(fire_id, claimed).unwrap();
    let unclaimed = store.create_run(&new_run("books")).unwrap();
    let mut other = new_run("other");
    other.spec_path = Some("other.toml".to_owned());
    store.create_run(&other).unwrap();

    assert_eq!(
        store
            .unclaimed_runs_from(Some("books.toml"), None, 0)
            .unwrap(),
        [unclaimed]
    );
    assert!(
        store
            .unclaimed_runs_from(Some("books.toml"), None, i64::MAX)
            .unwrap()
            .is_empty()
    );
    let spec_toml = new_run("x").spec_toml;
    let mut snapshot_run = new_run("snap");
    snapshot_run.spec_path = None;
    let snapshot_run_id = store.create_run(&snapshot_run).unwrap();
    // A snapshot schedule matches on the exact spec text, whatever the path.
    let by_text = store
        .unclaimed_runs_from(None, Some(&spec_toml), 0)
        .unwrap();
    assert!(by_text.contains(&snapshot_run_id) && by_text.contains(&unclaimed));
}

#[test]
fn runs_name_the_schedule_that_started_them_until_it_is_removed() {
    let store = Store::open_in_memory().unwrap();
    let schedule_id = store.add_schedule(&new_schedule("nightly")).unwrap();
    let manual = store.create_run(&new_run("books")).unwrap();
    let scheduled = store.create_run(&new_run("books")).unwrap();
    let recorded = store
        .record_fires(schedule_id, &[firing(5_000)], Some(5_000), Some(6_000))
        .unwrap();
    let FireRecorded::Recorded(fire_id) = recorded[0] else {
        panic!("{recorded:?}");
    };
    store.mark_fire_submitted(fire_id, scheduled).unwrap();

    let link = RunSchedule {
        run_id: scheduled,
        schedule_id,
        schedule_name: "nightly".to_owned(),
        fire_id,
        scheduled_for_millis: 5_000,
    };
    assert_eq!(store.run_schedules().unwrap(), std::slice::from_ref(&link));
    assert_eq!(store.run_schedule(scheduled).unwrap(), Some(link));
    assert_eq!(store.run_schedule(manual).unwrap(), None);

    // Removing the schedule removes its fires; the run stays, unattributed.
    store.remove_schedule(schedule_id).unwrap();
    assert!(store.run_schedules().unwrap().is_empty());
    assert_eq!(store.run(scheduled).unwrap().run_id, scheduled);
}
