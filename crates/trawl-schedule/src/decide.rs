//! The scheduler's decision core: given the schedules, the time, and which
//! schedules still have a run active, what to fire, queue, cancel or skip.
//!
//! Pure on purpose (no store, no clock, no engine): every overlap and
//! missed-run rule is decided here and tested by handing it times.
//!
//! The rules, per schedule that is not paused:
//! 1. A queued fire starts first, once the previous run has ended.
//! 2. A fire time `t` is due when `t + jitter(t) <= now`. The latest due time
//!    is *on time* if it is at most [`ON_TIME_GRACE`] late; every other due
//!    time was *missed* (trawl was not running, or not ticking).
//! 3. The missed-run policy picks which missed times run: none (`skip`), the
//!    latest (`run_once`, unless an on-time fire covers it), or the latest
//!    `max` (`run_all`). The others become one [`SkipReason::Missed`].
//! 4. Each time that runs meets the overlap policy if the previous run is
//!    active: the one running when the tick began, or the queued fire the
//!    tick just started. Runs that one tick starts for missed times do not
//!    count as each other's previous run, or `run_all` could run only one;
//!    the engine's own queue serialises them.
//! 5. `last_fire` becomes the latest due time and `next_fire` the first time
//!    after it. A paused schedule's `next_fire` moves past now silently:
//!    times that pass while paused are neither run nor reported.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use trawl_types::ScheduleId;

use crate::model::{MissedRunPolicy, OverlapPolicy, Schedule};

/// How late a fire may be and still count as on time rather than missed: the
/// scheduler ticks about once a second, and a busy machine can be slower.
pub const ON_TIME_GRACE: Duration = Duration::from_secs(60);

/// At most this many missed times are walked one by one per schedule; past
/// it (an every-second schedule after a long downtime) the count is a lower
/// bound and the latest times are found by searching backwards from now.
const MISSED_SCAN_LIMIT: usize = 10_000;

/// What to do for one fire time of one schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Submit a run now.
    Fire {
        schedule: ScheduleId,
        scheduled_for: DateTime<Utc>,
        jitter: Duration,
    },
    /// The previous run is active and the policy is `queue`: record the fire
    /// as waiting; a later tick fires it when that run has ended.
    Queue {
        schedule: ScheduleId,
        scheduled_for: DateTime<Utc>,
        jitter: Duration,
    },
    /// The previous run is active and the policy is `cancel_previous`: cancel
    /// it, then submit a run.
    CancelPrevious {
        schedule: ScheduleId,
        scheduled_for: DateTime<Utc>,
        jitter: Duration,
    },
    /// Do not run this fire time.
    Skip {
        schedule: ScheduleId,
        scheduled_for: DateTime<Utc>,
        reason: SkipReason,
    },
}

impl Decision {
    pub fn schedule(&self) -> ScheduleId {
        match self {
            Decision::Fire { schedule, .. }
            | Decision::Queue { schedule, .. }
            | Decision::CancelPrevious { schedule, .. }
            | Decision::Skip { schedule, .. } => *schedule,
        }
    }

    pub fn scheduled_for(&self) -> DateTime<Utc> {
        match self {
            Decision::Fire { scheduled_for, .. }
            | Decision::Queue { scheduled_for, .. }
            | Decision::CancelPrevious { scheduled_for, .. }
            | Decision::Skip { scheduled_for, .. } => *scheduled_for,
        }
    }
}

/// Why a fire time does not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// Missed times the missed-run policy does not run, reported once:
    /// `count` times from `first` to the decision's `scheduled_for`
    /// (`count_is_lower_bound` when there were too many to walk).
    Missed {
        first: DateTime<Utc>,
        count: u64,
        count_is_lower_bound: bool,
    },
    /// The previous run is still active and the overlap policy is `skip`.
    PreviousRunActive,
    /// The overlap policy is `queue` and a fire is already waiting.
    QueueFull,
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::Missed {
                first,
                count,
                count_is_lower_bound,
            } => {
                let at_least = if *count_is_lower_bound {
                    "at least "
                } else {
                    ""
                };
                write!(
                    f,
                    "missed while trawl was not running: {at_least}{count} fire(s) from {}",
                    first.to_rfc3339()
                )
            }
            SkipReason::PreviousRunActive => f.write_str("the previous run is still active"),
            SkipReason::QueueFull => {
                f.write_str("the previous run is still active and a fire is already queued")
            }
        }
    }
}

/// A schedule's fire times after a tick, to store with its fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FireTimes {
    pub schedule: ScheduleId,
    pub last_fire: Option<DateTime<Utc>>,
    pub next_fire: Option<DateTime<Utc>>,
}

/// Everything one tick decided. Every schedule with decisions has an entry in
/// `fire_times`, so its fires and fire times are stored together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tick {
    pub decisions: Vec<Decision>,
    pub fire_times: Vec<FireTimes>,
}

/// Decides what every schedule does at `now`. `run_active(schedule)` says
/// whether the run of that schedule's previous fire is still queued or
/// running in the engine.
pub fn decide(
    schedules: &[Schedule],
    now: DateTime<Utc>,
    run_active: impl Fn(ScheduleId) -> bool,
) -> Tick {
    let mut tick = Tick::default();
    for schedule in schedules {
        decide_one(schedule, now, run_active(schedule.id), &mut tick);
    }
    tick
}

fn decide_one(schedule: &Schedule, now: DateTime<Utc>, run_active: bool, tick: &mut Tick) {
    let Some(next_fire) = schedule.next_fire else {
        // Never computed (or the schedule had ended): start from now.
        let next_fire = schedule.cron.next_after(now);
        if next_fire.is_some() {
            tick.fire_times.push(FireTimes {
                schedule: schedule.id,
                last_fire: schedule.last_fire,
                next_fire,
            });
        }
        return;
    };
    if schedule.paused {
        if next_fire <= now {
            tick.fire_times.push(FireTimes {
                schedule: schedule.id,
                last_fire: schedule.last_fire,
                next_fire: schedule.cron.next_after(now),
            });
        }
        return;
    }

    let decisions_before = tick.decisions.len();
    let mut active = run_active;
    let mut queue_occupied = false;
    if let Some(queued_for) = schedule.queued_fire {
        if active {
            queue_occupied = true;
        } else {
            tick.decisions.push(Decision::Fire {
                schedule: schedule.id,
                scheduled_for: queued_for,
                jitter: schedule.jitter_for(queued_for),
            });
            active = true;
        }
    }

    let due = due_times(schedule, next_fire, now);
    if let Some(latest) = due.latest() {
        let late = now - schedule.fire_at(latest);
        let on_time = late <= TimeDelta::from_std(ON_TIME_GRACE).unwrap_or(TimeDelta::MAX);
        let (run, skipped) = choose(schedule.missed, &due, on_time);
        if let Some((first, last, count)) = skipped {
            tick.decisions.push(Decision::Skip {
                schedule: schedule.id,
                scheduled_for: last,
                reason: SkipReason::Missed {
                    first,
                    count,
                    count_is_lower_bound: due.truncated,
                },
            });
        }
        for scheduled_for in run {
            let jitter = schedule.jitter_for(scheduled_for);
            let decision = if !active {
                Decision::Fire {
                    schedule: schedule.id,
                    scheduled_for,
                    jitter,
                }
            } else {
                match schedule.overlap {
                    OverlapPolicy::Skip => Decision::Skip {
                        schedule: schedule.id,
                        scheduled_for,
                        reason: SkipReason::PreviousRunActive,
                    },
                    OverlapPolicy::Queue if queue_occupied => Decision::Skip {
                        schedule: schedule.id,
                        scheduled_for,
                        reason: SkipReason::QueueFull,
                    },
                    OverlapPolicy::Queue => {
                        queue_occupied = true;
                        Decision::Queue {
                            schedule: schedule.id,
                            scheduled_for,
                            jitter,
                        }
                    }
                    OverlapPolicy::CancelPrevious => Decision::CancelPrevious {
                        schedule: schedule.id,
                        scheduled_for,
                        jitter,
                    },
                }
            };
            tick.decisions.push(decision);
        }
        tick.fire_times.push(FireTimes {
            schedule: schedule.id,
            last_fire: Some(latest),
            next_fire: schedule.cron.next_after(latest),
        });
    } else if tick.decisions.len() > decisions_before {
        // Only the queued fire started: the fire times stay as they were.
        tick.fire_times.push(FireTimes {
            schedule: schedule.id,
            last_fire: schedule.last_fire,
            next_fire: schedule.next_fire,
        });
    }
}

/// The due fire times of one schedule, oldest first.
struct Due {
    /// The first due time (the schedule's `next_fire`), if any is due.
    first: Option<DateTime<Utc>>,
    /// The latest due times, at most `keep` of them, oldest first.
    tail: VecDeque<DateTime<Utc>>,
    /// How many were walked.
    count: u64,
    /// The walk stopped at [`MISSED_SCAN_LIMIT`]; `count` is a lower bound.
    truncated: bool,
}

impl Due {
    fn latest(&self) -> Option<DateTime<Utc>> {
        self.tail.back().copied()
    }
}

fn due_times(schedule: &Schedule, next_fire: DateTime<Utc>, now: DateTime<Utc>) -> Due {
    // The on-time fire plus the missed ones `run_all` may run.
    let keep = match schedule.missed {
        MissedRunPolicy::RunAll { max } => max as usize + 1,
        _ => 2,
    };
    let mut due = Due {
        first: None,
        tail: VecDeque::with_capacity(keep),
        count: 0,
        truncated: false,
    };
    let mut cursor = Some(next_fire);
    while let Some(scheduled_for) = cursor {
        if schedule.fire_at(scheduled_for) > now {
            return due;
        }
        if due.count as usize == MISSED_SCAN_LIMIT {
            due.truncated = true;
            break;
        }
        due.first.get_or_insert(scheduled_for);
        if due.tail.len() == keep {
            due.tail.pop_front();
        }
        due.tail.push_back(scheduled_for);
        due.count += 1;
        cursor = schedule.cron.next_after(scheduled_for);
    }
    if due.truncated {
        // Too many to walk: find the latest due times backwards from now.
        let mut latest = Vec::with_capacity(keep);
        let mut cursor = schedule.cron.latest_at_or_before(now);
        while let Some(scheduled_for) = cursor {
            if latest.len() == keep || scheduled_for < next_fire {
                break;
            }
            if schedule.fire_at(scheduled_for) <= now {
                latest.push(scheduled_for);
            }
            cursor = scheduled_for
                .checked_sub_signed(TimeDelta::seconds(1))
                .and_then(|before| schedule.cron.latest_at_or_before(before));
        }
        latest.reverse();
        due.tail = latest.into();
    }
    due
}

/// Missed times that do not run: the first, the last, and how many.
type MissedRange = (DateTime<Utc>, DateTime<Utc>, u64);

/// Splits the due times into those to run (oldest first) and the missed
/// times skipped.
fn choose(
    policy: MissedRunPolicy,
    due: &Due,
    latest_on_time: bool,
) -> (Vec<DateTime<Utc>>, Option<MissedRange>) {
    let tail: Vec<DateTime<Utc>> = due.tail.iter().copied().collect();
    let (on_time, missed_tail) = match tail.split_last() {
        Some((latest, before)) if latest_on_time => (Some(*latest), before.to_vec()),
        _ => (None, tail.clone()),
    };
    let missed_count = due.count - u64::from(on_time.is_some());
    let mut run: Vec<DateTime<Utc>> = match policy {
        MissedRunPolicy::Skip => Vec::new(),
        MissedRunPolicy::RunOnce if on_time.is_some() => Vec::new(),
        MissedRunPolicy::RunOnce => missed_tail.last().copied().into_iter().collect(),
        MissedRunPolicy::RunAll { max } => {
            let start = missed_tail.len().saturating_sub(max as usize);
            missed_tail[start..].to_vec()
        }
    };
    let skipped_count = missed_count - run.len() as u64;
    let skipped = match (due.first, skipped_count) {
        (_, 0) | (None, _) => None,
        (Some(first), count) => {
            // The latest skipped time is the one just before the first that runs.
            let last = match run.first() {
                Some(first_run) => missed_tail
                    .iter()
                    .rev()
                    .find(|time| *time < first_run)
                    .copied()
                    .unwrap_or(first),
                None => missed_tail.last().copied().unwrap_or(first),
            };
            Some((first, last, count))
        }
    };
    run.extend(on_time);
    (run, skipped)
}

#[cfg(test)]
mod tests;
