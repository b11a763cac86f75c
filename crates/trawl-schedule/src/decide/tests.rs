//! Tests for the decision core: on-time fires, overlap policies, missed runs
//! after a simulated downtime, jitter and pausing, driven by a manual clock.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use super::*;
use crate::clock::{Clock, ManualClock};
use crate::cron::CronSchedule;
use crate::model::ScheduleTarget;

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// A schedule as `add_schedule` would have stored it at `added_at`.
fn schedule(cron: &str, time_zone: &str, added_at: &str) -> Schedule {
    let cron = CronSchedule::parse(cron, time_zone).unwrap();
    let next_fire = cron.next_after(utc(added_at));
    Schedule {
        id: ScheduleId(1),
        name: "nightly".to_owned(),
        cron,
        jitter: Duration::ZERO,
        overlap: OverlapPolicy::Skip,
        missed: MissedRunPolicy::Skip,
        target: ScheduleTarget::SpecFile(PathBuf::from("books.toml")),
        paused: false,
        last_fire: None,
        next_fire,
        queued_fire: None,
    }
}

/// Applies a tick to the schedule as storing it and reloading would.
fn apply(schedule: &mut Schedule, tick: &Tick) {
    for fire_times in &tick.fire_times {
        schedule.last_fire = fire_times.last_fire;
        schedule.next_fire = fire_times.next_fire;
    }
    for decision in &tick.decisions {
        match decision {
            Decision::Queue { scheduled_for, .. } => schedule.queued_fire = Some(*scheduled_for),
            Decision::Fire { scheduled_for, .. }
                if schedule.queued_fire == Some(*scheduled_for) =>
            {
                schedule.queued_fire = None;
            }
            _ => {}
        }
    }
}

/// Decides at the clock's time and applies the result.
fn tick(schedule: &mut Schedule, clock: &ManualClock, active: bool) -> Vec<Decision> {
    let tick = decide(std::slice::from_ref(schedule), clock.now(), |_| active);
    apply(schedule, &tick);
    tick.decisions
}

fn fire(scheduled_for: &str) -> Decision {
    Decision::Fire {
        schedule: ScheduleId(1),
        scheduled_for: utc(scheduled_for),
        jitter: Duration::ZERO,
    }
}

fn skip(scheduled_for: &str, reason: SkipReason) -> Decision {
    Decision::Skip {
        schedule: ScheduleId(1),
        scheduled_for: utc(scheduled_for),
        reason,
    }
}

fn missed(first: &str, count: u64) -> SkipReason {
    SkipReason::Missed {
        first: utc(first),
        count,
        count_is_lower_bound: false,
    }
}

#[test]
fn fires_once_at_its_time_and_moves_to_the_next() {
    let clock = ManualClock::new(utc("2025-01-01T05:59:59Z"));
    let mut nightly = schedule("0 6 * * *", "UTC", "2025-01-01T00:00:00Z");
    assert_eq!(tick(&mut nightly, &clock, false), []);
    clock.advance(Duration::from_secs(1));
    assert_eq!(
        tick(&mut nightly, &clock, false),
        [fire("2025-01-01T06:00:00Z")]
    );
    assert_eq!(nightly.last_fire, Some(utc("2025-01-01T06:00:00Z")));
    assert_eq!(nightly.next_fire, Some(utc("2025-01-02T06:00:00Z")));
    clock.advance(Duration::from_secs(30));
    assert_eq!(tick(&mut nightly, &clock, false), []);
}

#[test]
fn a_few_seconds_late_is_still_on_time_for_the_skip_policy() {
    let clock = ManualClock::new(utc("2025-01-01T06:00:59Z"));
    let mut nightly = schedule("0 6 * * *", "UTC", "2025-01-01T00:00:00Z");
    assert_eq!(
        tick(&mut nightly, &clock, false),
        [fire("2025-01-01T06:00:00Z")]
    );
    // Past the grace the same fire counts as missed and is skipped.
    let clock = ManualClock::new(utc("2025-01-01T06:01:01Z"));
    let mut nightly = schedule("0 6 * * *", "UTC", "2025-01-01T00:00:00Z");
    assert_eq!(
        tick(&mut nightly, &clock, false),
        [skip(
            "2025-01-01T06:00:00Z",
            missed("2025-01-01T06:00:00Z", 1)
        )]
    );
}

#[test]
fn overlap_skip_skips_while_the_previous_run_is_active() {
    let clock = ManualClock::new(utc("2025-01-01T06:00:00Z"));
    let mut nightly = schedule("0 6 * * *", "UTC", "2025-01-01T00:00:00Z");
    assert_eq!(
        tick(&mut nightly, &clock, true),
        [skip("2025-01-01T06:00:00Z", SkipReason::PreviousRunActive)]
    );
    assert_eq!(nightly.next_fire, Some(utc("2025-01-02T06:00:00Z")));
}

#[test]
fn overlap_cancel_previous_cancels_then_fires() {
    let clock = ManualClock::new(utc("2025-01-01T06:00:00Z"));
    let mut nightly = schedule("0 6 * * *", "UTC", "2025-01-01T00:00:00Z");
    nightly.overlap = OverlapPolicy::CancelPrevious;
    assert_eq!(
        tick(&mut nightly, &clock, true),
        [Decision::CancelPrevious {
            schedule: ScheduleId(1),
            scheduled_for: utc("2025-01-01T06:00:00Z"),
            jitter: Duration::ZERO,
        }]
    );
}

#[test]
fn overlap_queue_holds_one_fire_until_the_previous_run_ends() {
    let clock = ManualClock::new(utc("2025-01-01T00:00:00Z"));
    let mut hourly = schedule("@hourly", "UTC", "2024-12-31T23:30:00Z");
    hourly.overlap = OverlapPolicy::Queue;
    assert_eq!(
        tick(&mut hourly, &clock, true),
        [Decision::Queue {
            schedule: ScheduleId(1),
            scheduled_for: utc("2025-01-01T00:00:00Z"),
            jitter: Duration::ZERO,
        }]
    );
    // Still running half an hour later: the queued fire waits.
    clock.advance(Duration::from_secs(30 * 60));
    assert_eq!(tick(&mut hourly, &clock, true), []);
    // Still running at the next fire time: one fire already waits, so skip.
    clock.advance(Duration::from_secs(30 * 60));
    assert_eq!(
        tick(&mut hourly, &clock, true),
        [skip("2025-01-01T01:00:00Z", SkipReason::QueueFull)]
    );
    // The previous run ended: the queued fire starts.
    clock.advance(Duration::from_secs(60));
    assert_eq!(
        tick(&mut hourly, &clock, false),
        [fire("2025-01-01T00:00:00Z")]
    );
    assert_eq!(hourly.queued_fire, None);
    assert_eq!(hourly.next_fire, Some(utc("2025-01-01T02:00:00Z")));
}

#[test]
fn a_started_queued_fire_is_the_previous_run_of_a_fire_due_in_the_same_tick() {
    let clock = ManualClock::new(utc("2025-01-01T01:00:00Z"));
    let mut hourly = schedule("@hourly", "UTC", "2025-01-01T00:30:00Z");
    hourly.overlap = OverlapPolicy::Queue;
    hourly.queued_fire = Some(utc("2025-01-01T00:00:00Z"));
    assert_eq!(
        tick(&mut hourly, &clock, false),
        [
            fire("2025-01-01T00:00:00Z"),
            Decision::Queue {
                schedule: ScheduleId(1),
                scheduled_for: utc("2025-01-01T01:00:00Z"),
                jitter: Duration::ZERO,
            }
        ]
    );
}

#[test]
fn missed_skip_after_a_downtime_reports_the_missed_fires_once() {
    // Down from Jan 1 00:00 to Jan 3 12:00: three 06:00 fires passed.
    let clock = ManualClock::new(utc("2025-01-03T12:00:00Z"));
    let mut nightly = schedule("0 6 * * *", "UTC", "2025-01-01T00:00:00Z");
    assert_eq!(
        tick(&mut nightly, &clock, false),
        [skip(
            "2025-01-03T06:00:00Z",
            missed("2025-01-01T06:00:00Z", 3)
        )]
    );
    assert_eq!(nightly.last_fire, Some(utc("2025-01-03T06:00:00Z")));
    assert_eq!(nightly.next_fire, Some(utc("2025-01-04T06:00:00Z")));
    // Back exactly at a fire time: the earlier ones are missed, that one is on time.
    let clock = ManualClock::new(utc("2025-01-03T06:00:10Z"));
    let mut nightly = schedule("0 6 * * *", "UTC", "2025-01-01T00:00:00Z");
    assert_eq!(
        tick(&mut nightly, &clock, false),
        [
            skip("2025-01-02T06:00:00Z", missed("2025-01-01T06:00:00Z", 2)),
            fire("2025-01-03T06:00:00Z"),
        ]
    );
}

#[test]
fn missed_run_once_runs_the_latest_missed_fire_at_start_up() {
    let clock = ManualClock::new(utc("2025-01-03T12:00:00Z"));
    let mut nightly = schedule("0 6 * * *", "UTC", "2025-01-01T00:00:00Z");
    nightly.missed = MissedRunPolicy::RunOnce;
    assert_eq!(
        tick(&mut nightly, &clock, false),
        [
            skip("2025-01-02T06:00:00Z", missed("2025-01-01T06:00:00Z", 2)),
            fire("2025-01-03T06:00:00Z"),
        ]
    );
    // And only once: the next tick has nothing to do.
    clock.advance(Duration::from_secs(1));
    assert_eq!(tick(&mut nightly, &clock, false), []);
    // A single missed fire runs, nothing is skipped.
    let clock = ManualClock::new(utc("2025-01-01T09:00:00Z"));
    let mut nightly = schedule("0 6 * * *", "UTC", "2025-01-01T00:00:00Z");
    nightly.missed = MissedRunPolicy::RunOnce;
    assert_eq!(
        tick(&mut nightly, &clock, false),
        [fire("2025-01-01T06:00:00Z")]
    );
}

#[test]
fn missed_run_all_runs_the_latest_missed_fires_up_to_its_bound() {
    let clock = ManualClock::new(utc("2025-01-05T12:00:00Z"));
    let mut nightly = schedule("0 6 * * *", "UTC", "2025-01-01T00:00:00Z");
    nightly.missed = MissedRunPolicy::RunAll { max: 2 };
    // Five missed fires: the oldest three are skipped, the latest two run
    // (one tick's catch-up runs are not each other's overlap).
    assert_eq!(
        tick(&mut nightly, &clock, false),
        [
            skip("2025-01-03T06:00:00Z", missed("2025-01-01T06:00:00Z", 3)),
            fire("2025-01-04T06:00:00Z"),
            fire("2025-01-05T06:00:00Z"),
        ]
    );
    // With the previous run still active the overlap policy still applies.
    let clock = ManualClock::new(utc("2025-01-02T12:00:00Z"));
    let mut nightly = schedule("0 6 * * *", "UTC", "2025-01-01T00:00:00Z");
    nightly.missed = MissedRunPolicy::RunAll { max: 5 };
    assert_eq!(
        tick(&mut nightly, &clock, true),
        [
            skip("2025-01-01T06:00:00Z", SkipReason::PreviousRunActive),
            skip("2025-01-02T06:00:00Z", SkipReason::PreviousRunActive),
        ]
    );
}

#[test]
fn run_all_across_a_spring_forward_downtime_runs_each_day_once() {
    // Paris 02:30 job, trawl down over the 2025-03-30 change.
    let clock = ManualClock::new(utc("2025-03-31T12:00:00Z"));
    let mut nightly = schedule("30 2 * * *", "Europe/Paris", "2025-03-29T00:00:00Z");
    nightly.missed = MissedRunPolicy::RunAll { max: 10 };
    assert_eq!(
        tick(&mut nightly, &clock, false),
        [
            fire("2025-03-29T01:30:00Z"),
            fire("2025-03-30T01:00:00Z"),
            fire("2025-03-31T00:30:00Z"),
        ]
    );
}

#[test]
fn a_very_long_downtime_of_an_every_second_schedule_is_bounded() {
    let clock = ManualClock::new(utc("2025-01-02T00:00:00Z"));
    let mut every_second = schedule("* * * * * *", "UTC", "2025-01-01T00:00:00Z");
    every_second.missed = MissedRunPolicy::RunOnce;
    let decisions = tick(&mut every_second, &clock, false);
    assert_eq!(
        decisions,
        [
            skip(
                "2025-01-01T23:59:59Z",
                SkipReason::Missed {
                    first: utc("2025-01-01T00:00:01Z"),
                    count: 9_999,
                    count_is_lower_bound: true,
                }
            ),
            fire("2025-01-02T00:00:00Z"),
        ]
    );
    assert_eq!(every_second.next_fire, Some(utc("2025-01-02T00:00:01Z")));
}

#[test]
fn jitter_is_deterministic_bounded_and_delays_the_fire() {
    let max = Duration::from_secs(600);
    let at = utc("2025-01-01T06:00:00Z");
    let first = crate::model::jitter_for(ScheduleId(1), at, max);
    // A restart computes the same delay.
    assert_eq!(first, crate::model::jitter_for(ScheduleId(1), at, max));
    let delays: Vec<Duration> = (1..50)
        .map(|id| crate::model::jitter_for(ScheduleId(id), at, max))
        .collect();
    assert!(delays.iter().all(|delay| *delay <= max));
    // Schedules that share a fire time are spread.
    let mut distinct = delays.clone();
    distinct.sort();
    distinct.dedup();
    assert!(distinct.len() > 40, "{delays:?}");
    assert_eq!(
        crate::model::jitter_for(ScheduleId(1), at, Duration::ZERO),
        Duration::ZERO
    );

    let mut nightly = schedule("0 6 * * *", "UTC", "2025-01-01T00:00:00Z");
    nightly.jitter = max;
    let clock = ManualClock::new(at + nightly.jitter_for(at) - TimeDelta::milliseconds(1));
    assert_eq!(tick(&mut nightly, &clock, false), []);
    clock.advance(Duration::from_millis(1));
    assert_eq!(
        tick(&mut nightly, &clock, false),
        [Decision::Fire {
            schedule: ScheduleId(1),
            scheduled_for: at,
            jitter: first,
        }]
    );
}

#[test]
fn a_paused_schedule_neither_fires_nor_reports_and_its_next_fire_moves_on() {
    let clock = ManualClock::new(utc("2025-01-03T12:00:00Z"));
    let mut nightly = schedule("0 6 * * *", "UTC", "2025-01-01T00:00:00Z");
    nightly.paused = true;
    nightly.missed = MissedRunPolicy::RunAll { max: 5 };
    assert_eq!(tick(&mut nightly, &clock, false), []);
    assert_eq!(nightly.next_fire, Some(utc("2025-01-04T06:00:00Z")));
    assert_eq!(nightly.last_fire, None);
}

#[test]
fn a_schedule_without_a_next_fire_starts_from_now() {
    let clock = ManualClock::new(utc("2025-01-03T12:00:00Z"));
    let mut nightly = schedule("0 6 * * *", "UTC", "2025-01-01T00:00:00Z");
    nightly.next_fire = None;
    assert_eq!(tick(&mut nightly, &clock, false), []);
    assert_eq!(nightly.next_fire, Some(utc("2025-01-04T06:00:00Z")));
}
