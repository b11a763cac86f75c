//! Tests for the schedule catalog on real store files: validation before
//! anything is stored, name-or-id lookup, pause/resume, removal keeping
//! runs, and history with each run's state.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use trawl_store::{FireState, NewRun};

use super::*;
use crate::cron::CronField;
use crate::decide::decide;
use crate::fire;

const SPEC: &str = "name = \"books\"\nstart_urls = [\"http://127.0.0.1:9/\"]\n";

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn request(spec: SpecInput) -> AddSchedule {
    AddSchedule {
        name: None,
        cron: "0 6 * * *".to_owned(),
        time_zone: "Europe/Paris".to_owned(),
        overlap: OverlapPolicy::Skip,
        missed: MissedRunPolicy::Skip,
        jitter: Duration::ZERO,
        spec,
        paused: false,
    }
}

fn spec_file(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("books.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn file(path: &Path) -> SpecInput {
    SpecInput::File {
        path: path.to_path_buf(),
        snapshot: false,
    }
}

#[test]
fn add_validates_and_lists_the_next_five_fires_in_the_zone() {
    let dir = tempfile::tempdir().unwrap();
    let path = spec_file(dir.path(), SPEC);
    let store = Store::open(&dir.path().join("trawl.sqlite")).unwrap();
    let now = utc("2025-03-28T12:00:00Z");
    let added = add(&store, &request(file(&path)), now).unwrap();
    // The name defaults to the spec's.
    assert_eq!(added.schedule.name, "books");
    assert_eq!(added.schedule.target, ScheduleTarget::SpecFile(path));
    // 06:00 Paris: CET (UTC+1) until the 30th, then CEST (UTC+2).
    let next: Vec<String> = added.next_fires.iter().map(|t| t.to_rfc3339()).collect();
    assert_eq!(
        next,
        [
            "2025-03-29T05:00:00+00:00",
            "2025-03-30T04:00:00+00:00",
            "2025-03-31T04:00:00+00:00",
            "2025-04-01T04:00:00+00:00",
            "2025-04-02T04:00:00+00:00",
        ]
    );
    assert_eq!(added.overdue_since, None);
    assert_eq!(added.last_fire, None);
    assert_eq!(list(&store, now).unwrap(), [added]);
}

#[test]
fn invalid_input_is_refused_before_anything_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let good = spec_file(dir.path(), SPEC);
    let store = Store::open_in_memory().unwrap();
    let now = utc("2025-01-01T00:00:00Z");

    let mut bad_hour = request(file(&good));
    bad_hour.cron = "0 25 * * *".to_owned();
    let error = add(&store, &bad_hour, now).unwrap_err();
    assert_eq!(error.cron_field(), Some(CronField::Hour));
    assert_eq!(error.field(), Some("cron"));
    assert!(error.is_input_error());
    assert!(
        error.to_string().contains("invalid hour field \"25\""),
        "{error}"
    );

    let mut bad_zone = request(file(&good));
    bad_zone.time_zone = "Europe/Pari".to_owned();
    let error = add(&store, &bad_zone, now).unwrap_err();
    assert_eq!(error.field(), Some("time_zone"));
    assert!(
        error.to_string().contains("did you mean Europe/Paris?"),
        "{error}"
    );

    let relative = request(file(Path::new("books.toml")));
    let error = add(&store, &relative, now).unwrap_err();
    assert!(
        matches!(error, ScheduleError::RelativeSpecPath { .. }),
        "{error}"
    );

    let bad_spec = spec_file(dir.path(), "name = \"x\"\nstart_urls = [\"ftp://a/\"]\n");
    let error = add(&store, &request(file(&bad_spec)), now).unwrap_err();
    let ScheduleError::InvalidSpec(trawl_spec::SpecError::Invalid(diagnostics)) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(diagnostics.problems[0].line, 2);

    let error = add(
        &store,
        &request(SpecInput::Text("start_urls = [".to_owned())),
        now,
    )
    .unwrap_err();
    assert!(matches!(error, ScheduleError::InvalidSpec(_)), "{error}");

    for name in ["", "  ", "42", "#7", "bell\u{7}"] {
        let mut bad_name = request(SpecInput::Text(SPEC.to_owned()));
        bad_name.name = Some(name.to_owned());
        let error = add(&store, &bad_name, now).unwrap_err();
        assert_eq!(error.field(), Some("name"), "{name:?}: {error}");
    }
    assert!(list(&store, now).unwrap().is_empty());
    // Names are trimmed.
    let mut padded = request(SpecInput::Text(SPEC.to_owned()));
    padded.name = Some(" padded ".to_owned());
    assert_eq!(add(&store, &padded, now).unwrap().schedule.name, "padded");
}

#[test]
fn duplicate_names_are_refused() {
    let store = Store::open_in_memory().unwrap();
    let now = utc("2025-01-01T00:00:00Z");
    add(&store, &request(SpecInput::Text(SPEC.to_owned())), now).unwrap();
    let error = add(&store, &request(SpecInput::Text(SPEC.to_owned())), now).unwrap_err();
    assert!(error.is_input_error());
    assert_eq!(error.field(), Some("name"));
    assert_eq!(
        error.to_string(),
        "a schedule named \"books\" already exists; pick another name or remove that schedule"
    );
    assert_eq!(list(&store, now).unwrap().len(), 1);
}

#[test]
fn a_snapshot_keeps_the_text_of_the_file_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = spec_file(dir.path(), SPEC);
    let store = Store::open_in_memory().unwrap();
    let mut snapshot = request(SpecInput::File {
        path: path.clone(),
        snapshot: true,
    });
    snapshot.name = Some("frozen".to_owned());
    let added = add(&store, &snapshot, utc("2025-01-01T00:00:00Z")).unwrap();
    std::fs::write(&path, "broken = [").unwrap();
    assert_eq!(
        added.schedule.target,
        ScheduleTarget::SpecSnapshot(SPEC.to_owned())
    );
}

#[test]
fn schedules_are_found_by_name_or_id() {
    let store = Store::open_in_memory().unwrap();
    let now = utc("2025-01-01T00:00:00Z");
    let mut first = request(SpecInput::Text(SPEC.to_owned()));
    first.name = Some("nightly".to_owned());
    let nightly = add(&store, &first, now).unwrap().schedule.id;
    assert_eq!(resolve(&store, "nightly").unwrap(), nightly);
    assert_eq!(resolve(&store, &nightly.to_string()).unwrap(), nightly);
    assert_eq!(resolve(&store, &format!("#{nightly}")).unwrap(), nightly);
    for unknown in ["weekly", "99"] {
        let error = resolve(&store, unknown).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "no schedule named or numbered {unknown:?}; give a schedule's name or id, as `trawl schedule list` shows them"
            )
        );
    }
    assert!(matches!(
        get(&store, ScheduleId(99), now),
        Err(ScheduleError::NotFound { .. })
    ));
}

#[test]
fn pause_and_resume_report_whether_they_changed_anything() {
    let store = Store::open_in_memory().unwrap();
    let now = utc("2025-01-01T00:00:00Z");
    let id = add(&store, &request(SpecInput::Text(SPEC.to_owned())), now)
        .unwrap()
        .schedule
        .id;
    let (paused, changed) = pause(&store, id, now).unwrap();
    assert!(paused.schedule.paused && changed);
    assert!(!pause(&store, id, now).unwrap().1);

    // Resumed three days later: the next fire is after that, not overdue.
    let later = utc("2025-01-04T12:00:00Z");
    let (resumed, changed) = resume(&store, id, later).unwrap();
    assert!(!resumed.schedule.paused && changed);
    assert_eq!(
        resumed.schedule.next_fire,
        Some(utc("2025-01-05T05:00:00Z"))
    );
    assert_eq!(resumed.overdue_since, None);
    assert!(!resume(&store, id, later).unwrap().1);
}

#[test]
fn a_fire_time_nobody_decided_is_overdue() {
    let store = Store::open_in_memory().unwrap();
    let added = add(
        &store,
        &request(SpecInput::Text(SPEC.to_owned())),
        utc("2025-01-01T00:00:00Z"),
    )
    .unwrap();
    let later = get(&store, added.schedule.id, utc("2025-01-03T00:00:00Z")).unwrap();
    assert_eq!(later.overdue_since, Some(utc("2025-01-01T05:00:00Z")));
    assert_eq!(later.next_fires[0], utc("2025-01-03T05:00:00Z"));
}

#[test]
fn history_shows_each_fire_with_its_runs_state_and_remove_keeps_the_runs() {
    let store = Store::open_in_memory().unwrap();
    let id = add(
        &store,
        &request(SpecInput::Text(SPEC.to_owned())),
        utc("2025-01-01T00:00:00Z"),
    )
    .unwrap()
    .schedule
    .id;
    let tick = decide(
        &fire::load_schedules(&store).unwrap(),
        utc("2025-01-01T05:00:10Z"),
        |_| false,
    );
    let pending = fire::record_tick(&store, &tick).unwrap();
    let run_id = store
        .create_run(&NewRun {
            name: "books".to_owned(),
            spec_toml: SPEC.to_owned(),
            spec_hash: "h".to_owned(),
            spec_path: None,
        })
        .unwrap();
    fire::mark_submitted(&store, pending[0].fire_id, run_id).unwrap();

    let fires = history(&store, id, 10).unwrap();
    assert_eq!(fires.len(), 1);
    assert_eq!(fires[0].fire.state, FireState::Submitted);
    assert_eq!(fires[0].fire.run_id, Some(run_id));
    assert_eq!(fires[0].run_state, Some(RunState::Queued));
    assert_eq!(fires[0].scheduled_for, utc("2025-01-01T05:00:00Z"));
    let view = get(&store, id, utc("2025-01-01T06:00:00Z")).unwrap();
    assert_eq!(view.last_fire.as_ref(), Some(&fires[0]));

    let removed = remove(&store, id).unwrap();
    assert_eq!(removed.name, "books");
    assert_eq!(removed.fires_deleted, 1);
    assert_eq!(removed.runs_kept, [run_id]);
    assert!(
        list(&store, utc("2025-01-02T00:00:00Z"))
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.run(run_id).unwrap().state, RunState::Queued);
    assert!(matches!(
        history(&store, id, 10),
        Err(ScheduleError::NotFound { .. })
    ));
    assert!(matches!(
        remove(&store, id),
        Err(ScheduleError::NotFound { .. })
    ));
}
