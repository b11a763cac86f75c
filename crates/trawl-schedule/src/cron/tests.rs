//! Tests for cron parsing (the error names the field) and fire times across
//! daylight-saving changes in three time zones, with exact UTC instants.
#![allow(clippy::unwrap_used)]

use super::*;

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn fires(expression: &str, time_zone: &str, after: &str, count: usize) -> Vec<String> {
    CronSchedule::parse(expression, time_zone)
        .unwrap()
        .next_fires(utc(after), count)
        .into_iter()
        .map(|time| time.to_rfc3339())
        .collect()
}

fn error(expression: &str) -> String {
    CronSchedule::parse(expression, "UTC")
        .unwrap_err()
        .to_string()
}

#[test]
fn paris_spring_forward_runs_a_0230_job_once_at_0300_local() {
    // 2025-03-30: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist.
    assert_eq!(
        fires("30 2 * * *", "Europe/Paris", "2025-03-28T12:00:00Z", 3),
        [
            "2025-03-29T01:30:00+00:00", // 02:30 CET
            "2025-03-30T01:00:00+00:00", // 03:00 CEST, first instant after the gap
            "2025-03-31T00:30:00+00:00", // 02:30 CEST
        ]
    );
}

#[test]
fn paris_fall_back_runs_a_0230_job_once_at_the_first_0230() {
    // 2025-10-26: 03:00 CEST goes back to 02:00 CET; 02:30 happens twice.
    assert_eq!(
        fires("30 2 * * *", "Europe/Paris", "2025-10-24T12:00:00Z", 3),
        [
            "2025-10-25T00:30:00+00:00", // 02:30 CEST
            "2025-10-26T00:30:00+00:00", // first 02:30 (CEST); not again at 01:30Z
            "2025-10-27T01:30:00+00:00", // 02:30 CET
        ]
    );
}

#[test]
fn new_york_spring_forward_and_fall_back() {
    // 2025-03-09: 02:00 EST jumps to 03:00 EDT.
    assert_eq!(
        fires("30 2 * * *", "America/New_York", "2025-03-07T12:00:00Z", 3),
        [
            "2025-03-08T07:30:00+00:00", // 02:30 EST
            "2025-03-09T07:00:00+00:00", // 03:00 EDT
            "2025-03-10T06:30:00+00:00", // 02:30 EDT
        ]
    );
    // 2025-11-02: 02:00 EDT goes back to 01:00 EST; 01:30 happens twice.
    assert_eq!(
        fires("30 1 * * *", "America/New_York", "2025-10-31T12:00:00Z", 3),
        [
            "2025-11-01T05:30:00+00:00", // 01:30 EDT
            "2025-11-02T05:30:00+00:00", // first 01:30 (EDT); not again at 06:30Z
            "2025-11-03T06:30:00+00:00", // 01:30 EST
        ]
    );
    // 02:30 is not repeated in New York: it runs once, in EST.
    assert_eq!(
        fires("30 2 * * *", "America/New_York", "2025-11-01T12:00:00Z", 1),
        ["2025-11-02T07:30:00+00:00"]
    );
}

#[test]
fn sydney_fall_back_in_april_and_spring_forward_in_october() {
    // 2025-04-06: 03:00 AEDT goes back to 02:00 AEST; 02:30 happens twice.
    assert_eq!(
        fires("30 2 * * *", "Australia/Sydney", "2025-04-04T00:00:00Z", 3),
        [
            "2025-04-04T15:30:00+00:00", // 04-05 02:30 AEDT
            "2025-04-05T15:30:00+00:00", // 04-06 first 02:30 (AEDT)
            "2025-04-06T16:30:00+00:00", // 04-07 02:30 AEST
        ]
    );
    // 2025-10-05: 02:00 AEST jumps to 03:00 AEDT.
    assert_eq!(
        fires("30 2 * * *", "Australia/Sydney", "2025-10-03T00:00:00Z", 3),
        [
            "2025-10-03T16:30:00+00:00", // 10-04 02:30 AEST
            "2025-10-04T16:00:00+00:00", // 10-05 03:00 AEDT
            "2025-10-05T15:30:00+00:00", // 10-06 02:30 AEDT
        ]
    );
}

#[test]
fn hourly_jobs_follow_real_time_across_both_changes() {
    // Spring forward: no fire in the missing hour, one per real hour.
    assert_eq!(
        fires("@hourly", "Europe/Paris", "2025-03-29T23:30:00Z", 3),
        [
            "2025-03-30T00:00:00+00:00", // 01:00 CET
            "2025-03-30T01:00:00+00:00", // 03:00 CEST
            "2025-03-30T02:00:00+00:00", // 04:00 CEST
        ]
    );
    // Fall back: the repeated 02:00 fires in both halves, one per real hour.
    assert_eq!(
        fires("0 * * * *", "Europe/Paris", "2025-10-25T23:30:00Z", 3),
        [
            "2025-10-26T00:00:00+00:00", // 02:00 CEST
            "2025-10-26T01:00:00+00:00", // 02:00 CET
            "2025-10-26T02:00:00+00:00", // 03:00 CET
        ]
    );
}

#[test]
fn latest_at_or_before_agrees_with_next_after() {
    let schedule = CronSchedule::parse("30 2 * * *", "Europe/Paris").unwrap();
    assert_eq!(
        schedule.latest_at_or_before(utc("2025-03-30T05:00:00Z")),
        Some(utc("2025-03-30T01:00:00Z"))
    );
    assert_eq!(
        schedule.latest_at_or_before(utc("2025-03-30T01:00:00Z")),
        Some(utc("2025-03-30T01:00:00Z"))
    );
}

#[test]
fn seconds_names_and_nicknames_are_accepted() {
    assert_eq!(
        fires("*/20 * * * * *", "UTC", "2025-01-01T00:00:05Z", 3),
        [
            "2025-01-01T00:00:20+00:00",
            "2025-01-01T00:00:40+00:00",
            "2025-01-01T00:01:00+00:00",
        ]
    );
    // 2025-01-03 is a Friday.
    assert_eq!(
        fires("0 6 * * MON-FRI", "UTC", "2025-01-03T07:00:00Z", 1),
        ["2025-01-06T06:00:00+00:00"]
    );
    assert_eq!(
        fires("0 0 1 JAN *", "UTC", "2025-01-03T00:00:00Z", 1),
        ["2026-01-01T00:00:00+00:00"]
    );
    assert_eq!(
        fires("@daily", "UTC", "2025-01-03T07:00:00Z", 1),
        ["2025-01-04T00:00:00+00:00"]
    );
    assert_eq!(
        fires("@WEEKLY", "UTC", "2025-01-03T07:00:00Z", 1),
        ["2025-01-05T00:00:00+00:00"]
    );
    assert_eq!(
        fires("0 0 29 2 *", "UTC", "2025-01-03T07:00:00Z", 1),
        ["2028-02-29T00:00:00+00:00"]
    );
    let schedule = CronSchedule::parse("  @daily ", "Europe/Paris").unwrap();
    assert_eq!(schedule.expression(), "@daily");
    assert_eq!(schedule.time_zone(), chrono_tz::Europe::Paris);
}

#[test]
fn an_invalid_field_is_named_with_what_it_accepts() {
    assert_eq!(
        error("0 25 * * *"),
        "invalid hour field \"25\" in cron expression \"0 25 * * *\": allowed are 0-23, with * , - / (e.g. 9-17 or */2)"
    );
    assert_eq!(
        error("61 * * * *"),
        "invalid minute field \"61\" in cron expression \"61 * * * *\": allowed are 0-59, with * , - / (e.g. */15 or 0,30)"
    );
    assert_eq!(
        error("0 0 32 * *"),
        "invalid day-of-month field \"32\" in cron expression \"0 0 32 * *\": allowed are 1-31, with * , - / ? and L (last day) or W (nearest weekday)"
    );
    assert_eq!(
        error("0 0 * FOO *"),
        "invalid month field \"FOO\" in cron expression \"0 0 * FOO *\": allowed are 1-12 or JAN-DEC, with * , - /"
    );
    assert_eq!(
        error("0 0 * * 8"),
        "invalid day-of-week field \"8\" in cron expression \"0 0 * * 8\": allowed are 0-7 (0 and 7 are Sunday) or SUN-SAT, with * , - / ? and L (last) or # (nth, e.g. MON#1)"
    );
    assert_eq!(
        error("75 0 6 * * *"),
        "invalid seconds field \"75\" in cron expression \"75 0 6 * * *\": allowed are 0-59, with * , - / (e.g. */10)"
    );
    // The first wrong field is the one named.
    assert!(error("0 99 99 * *").starts_with("invalid hour field \"99\""));
    assert!(matches!(
        CronSchedule::parse("0 0 * 13 *", "UTC"),
        Err(ScheduleError::InvalidField {
            field: CronField::Month,
            ..
        })
    ));
}

#[test]
fn shape_errors_say_what_a_cron_expression_looks_like() {
    assert_eq!(
        error("* * *"),
        "cron expression \"* * *\" has 3 fields; write 5 (minute hour day-of-month month day-of-week) or 6 with seconds first"
    );
    assert_eq!(
        error("0 0 1 1 * 2030"),
        "invalid day-of-week field \"2030\" in cron expression \"0 0 1 1 * 2030\": allowed are 0-7 (0 and 7 are Sunday) or SUN-SAT, with * , - / ? and L (last) or # (nth, e.g. MON#1)"
    );
    assert_eq!(
        error("   "),
        "the cron expression is empty; write 5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, or @hourly/@daily/@weekly/@monthly/@yearly"
    );
    assert_eq!(
        error("@often"),
        "unknown cron nickname \"@often\"; use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly"
    );
    assert_eq!(
        error("0 0 30 2 *"),
        "cron expression \"0 0 30 2 *\" never fires: no date matches all of its fields"
    );
}

#[test]
fn unknown_time_zones_are_refused_with_a_suggestion() {
    let error = CronSchedule::parse("@daily", "Europe/Pari").unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown time zone \"Europe/Pari\" (did you mean Europe/Paris?); use an IANA name such as Europe/Paris, America/New_York or UTC"
    );
    let error = CronSchedule::parse("@daily", "Mars/Olympus").unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown time zone \"Mars/Olympus\"; use an IANA name such as Europe/Paris, America/New_York or UTC"
    );
    assert!(CronSchedule::parse("@daily", "UTC").is_ok());
}
