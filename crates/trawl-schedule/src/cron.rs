//! Cron expressions read in a time zone: parsing with field-level errors, and
//! fire times across daylight-saving changes.
//!
//! Matching and the search for fire times are `croner`'s (it implements the
//! OCPS daylight-saving rules); this module adds what users see: nicknames,
//! an error that names the wrong field and says what it accepts, time zone
//! names with a suggestion, and times in UTC.
//!
//! Daylight-saving rule, as croner implements it and the tests pin down:
//! - A fixed-time job (seconds, minute and hour fields all fixed, like
//!   `30 2 * * *`) whose time falls in a spring-forward gap runs once, at the
//!   first valid instant after the gap (03:00 local in Europe/Paris).
//! - A fixed-time job whose time occurs twice on a fall-back day runs once,
//!   at the first occurrence (the daylight-saving one).
//! - An interval job (a wildcard or step in the seconds, minute or hour
//!   field, like `*/15 * * * *` or `@hourly`) follows real time: nothing
//!   in the gap, and both occurrences of the repeated hour.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

use crate::error::ScheduleError;

/// One field of a cron expression, to say which one is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CronField {
    Seconds,
    Minute,
    Hour,
    DayOfMonth,
    Month,
    DayOfWeek,
}

impl CronField {
    /// The fields of a 6-field expression, in order; a 5-field one has no seconds.
    const WITH_SECONDS: [CronField; 6] = [
        CronField::Seconds,
        CronField::Minute,
        CronField::Hour,
        CronField::DayOfMonth,
        CronField::Month,
        CronField::DayOfWeek,
    ];

    /// The field's name as error messages and docs spell it.
    pub fn name(self) -> &'static str {
        match self {
            CronField::Seconds => "seconds",
            CronField::Minute => "minute",
            CronField::Hour => "hour",
            CronField::DayOfMonth => "day-of-month",
            CronField::Month => "month",
            CronField::DayOfWeek => "day-of-week",
        }
    }

    /// What the field accepts, for the error message.
    pub fn allowed(self) -> &'static str {
        match self {
            CronField::Seconds => "0-59, with * , - / (e.g. */10)",
            CronField::Minute => "0-59, with * , - / (e.g. */15 or 0,30)",
            CronField::Hour => "0-23, with * , - / (e.g. 9-17 or */2)",
            CronField::DayOfMonth => "1-31, with * , - / ? and L (last day) or W (nearest weekday)",
            CronField::Month => "1-12 or JAN-DEC, with * , - /",
            CronField::DayOfWeek => {
                "0-7 (0 and 7 are Sunday) or SUN-SAT, with * , - / ? and L (last) or # (nth, e.g. MON#1)"
            }
        }
    }
}

/// A parsed cron expression and the time zone it is read in.
#[derive(Debug, Clone)]
pub struct CronSchedule {
    expression: String,
    time_zone: Tz,
    cron: Cron,
}

impl PartialEq for CronSchedule {
    fn eq(&self, other: &Self) -> bool {
        self.expression == other.expression && self.time_zone == other.time_zone
    }
}

/// `@name` shorthands and what they stand for.
const NICKNAMES: &[(&str, &str)] = &[
    ("@yearly", "0 0 1 1 *"),
    ("@annually", "0 0 1 1 *"),
    ("@monthly", "0 0 1 * *"),
    ("@weekly", "0 0 * * 0"),
    ("@daily", "0 0 * * *"),
    ("@midnight", "0 0 * * *"),
    ("@hourly", "0 * * * *"),
];

impl CronSchedule {
    /// Parses `expression` (5 fields, or 6 with seconds first, or an
    /// `@nickname`) to be read in the IANA time zone `time_zone`.
    ///
    /// Errors name the wrong field and what it accepts, and an expression
    /// that can never fire is refused here rather than found out at run time.
    pub fn parse(expression: &str, time_zone: &str) -> Result<CronSchedule, ScheduleError> {
        let time_zone = parse_time_zone(time_zone)?;
        let trimmed = expression.trim();
        if trimmed.is_empty() {
            return Err(ScheduleError::EmptyCron);
        }
        let expanded = expand_nickname(trimmed)?;
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        if !(5..=6).contains(&fields.len()) {
            return Err(ScheduleError::WrongFieldCount {
                expression: trimmed.to_owned(),
                found: fields.len(),
            });
        }
        let cron = parser().parse(&expanded).map_err(|error| {
            locate_wrong_field(trimmed, &fields).unwrap_or_else(|| ScheduleError::InvalidCron {
                expression: trimmed.to_owned(),
                detail: error.to_string(),
            })
        })?;
        let schedule = CronSchedule {
            expression: trimmed.to_owned(),
            time_zone,
            cron,
        };
        // Any instant will do: a pattern that matches some date matches one
        // within every span of 28 years (the calendar repeats).
        if schedule.next_after(DateTime::UNIX_EPOCH).is_none() {
            return Err(ScheduleError::NeverFires {
                expression: trimmed.to_owned(),
            });
        }
        Ok(schedule)
    }

    /// The expression as the user wrote it (trimmed).
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The time zone the expression is read in.
    pub fn time_zone(&self) -> Tz {
        self.time_zone
    }

    /// The first fire time strictly after `after`; `None` if there is none
    /// (the year limit of the search, 5000, is reached).
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_next_occurrence(&after.with_timezone(&self.time_zone), false)
            .ok()
            .map(|local| local.with_timezone(&Utc))
    }

    /// The latest fire time at or before `at`, if any.
    pub fn latest_at_or_before(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_previous_occurrence(&at.with_timezone(&self.time_zone), true)
            .ok()
            .map(|local| local.with_timezone(&Utc))
    }

    /// The next `count` fire times strictly after `after`, in order (fewer if
    /// the schedule ends). `trawl schedule list` shows five.
    pub fn next_fires(&self, after: DateTime<Utc>, count: usize) -> Vec<DateTime<Utc>> {
        let mut fires = Vec::with_capacity(count);
        let mut cursor = after;
        while fires.len() < count {
            let Some(next) = self.next_after(cursor) else {
                break;
            };
            fires.push(next);
            cursor = next;
        }
        fires
    }
}

/// One parser configuration everywhere: seconds optional, no year field, and
/// Vixie cron's rule that day-of-month and day-of-week match when either does.
fn parser() -> CronParser {
    CronParser::builder()
        .seconds(Seconds::Optional)
        .year(Year::Disallowed)
        .build()
}

fn expand_nickname(expression: &str) -> Result<String, ScheduleError> {
    if !expression.starts_with('@') {
        return Ok(expression.to_owned());
    }
    NICKNAMES
        .iter()
        .find(|(nickname, _)| nickname.eq_ignore_ascii_case(expression))
        .map(|(_, fields)| (*fields).to_owned())
        .ok_or_else(|| ScheduleError::UnknownNickname {
            nickname: expression.to_owned(),
        })
}

/// Finds the first field that is invalid on its own: each field is tried in
/// an expression whose other fields are `*`. The parser's own errors do not
/// always say which field they are about, and this keeps one grammar (the
/// parser's) instead of a second validator that could disagree with it.
fn locate_wrong_field(expression: &str, fields: &[&str]) -> Option<ScheduleError> {
    let names = &CronField::WITH_SECONDS[CronField::WITH_SECONDS.len() - fields.len()..];
    names
        .iter()
        .zip(fields)
        .enumerate()
        .find_map(|(index, (field, value))| {
            let probe: Vec<&str> = (0..fields.len())
                .map(|other| if other == index { *value } else { "*" })
                .collect();
            parser()
                .parse(&probe.join(" "))
                .is_err()
                .then(|| ScheduleError::InvalidField {
                    expression: expression.to_owned(),
                    field: *field,
                    value: (*value).to_owned(),
                })
        })
}

/// Parses an IANA time zone name, suggesting the closest known name when it
/// is not one (a typo like `Europe/Pari`, or the wrong case).
pub fn parse_time_zone(name: &str) -> Result<Tz, ScheduleError> {
    let trimmed = name.trim();
    if let Ok(time_zone) = Tz::from_str(trimmed) {
        return Ok(time_zone);
    }
    let suggestion = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|time_zone| time_zone.name())
        .map(|candidate| {
            let score = strsim::jaro_winkler(&candidate.to_lowercase(), &trimmed.to_lowercase());
            (score, candidate)
        })
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|left, right| left.0.total_cmp(&right.0))
        .map(|(_, candidate)| candidate.to_owned());
    Err(ScheduleError::UnknownTimeZone {
        name: trimmed.to_owned(),
        suggestion,
    })
}

#[cfg(test)]
mod tests;
