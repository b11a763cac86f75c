//! The store's schema history: an append-only list of SQL steps, tracked in
//! `PRAGMA user_version`.
//!
//! Step `n` (1-based) takes a store from version `n - 1` to `n`. Steps are
//! never edited once released; a change to the schema is a new step at the
//! end. Each step and its version bump commit in one transaction, so a crash
//! during a migration leaves the store at the previous version.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{SqliteContext, StoreError};

/// The schema steps, oldest first.
const MIGRATIONS: &[&str] = &[
    // 1: run catalog, frontier, dataset.
    r#"
    CREATE TABLE runs (
        run_id              INTEGER PRIMARY KEY,
        name                TEXT NOT NULL,
        state               TEXT NOT NULL,
        created_at_millis   INTEGER NOT NULL,
        started_at_millis   INTEGER,
        finished_at_millis  INTEGER,
        spec_toml           TEXT NOT NULL,
        spec_hash           TEXT NOT NULL,
        spec_path           TEXT,
        error               TEXT,
        pages_ok            INTEGER NOT NULL DEFAULT 0,
        pages_failed        INTEGER NOT NULL DEFAULT 0,
        bytes_fetched       INTEGER NOT NULL DEFAULT 0,
        items_stored        INTEGER NOT NULL DEFAULT 0,
        items_duplicate     INTEGER NOT NULL DEFAULT 0,
        items_dropped       INTEGER NOT NULL DEFAULT 0,
        links_queued        INTEGER NOT NULL DEFAULT 0,
        requests_retried    INTEGER NOT NULL DEFAULT 0,
        warnings            INTEGER NOT NULL DEFAULT 0,
        pages_skipped       INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX runs_by_state ON runs (state);

    -- One row per canonical URL per run. `seq` is the insertion order and the
    -- engine's resume cursor. Rows start `pending` and become `done` in the
    -- checkpoint that stores the page's results.
    CREATE TABLE frontier (
        seq                 INTEGER PRIMARY KEY,
        run_id              INTEGER NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
        fingerprint         INTEGER NOT NULL,
        url                 TEXT NOT NULL,
        depth               INTEGER NOT NULL,
        state               TEXT NOT NULL DEFAULT 'pending',
        status              INTEGER,
        outcome             TEXT,
        error               TEXT,
        finished_at_millis  INTEGER,
        UNIQUE (run_id, fingerprint)
    ) STRICT;
    -- No index serves the pending cursor on purpose: `seq` is the rowid, so
    -- `seq > cursor` is a range scan of the table itself, and every row past
    -- the engine's cursor is still pending. An index on (run_id, seq) for
    -- pending rows cost ~15% of checkpoint time to maintain.

    -- The dataset. `data` is the item's fields as a JSON object, in spec order.
    -- Items with a key are unique per run and kind; NULL keys never collide.
    CREATE TABLE items (
        seq                 INTEGER PRIMARY KEY,
        run_id              INTEGER NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
        kind                TEXT NOT NULL,
        key                 TEXT,
        url                 TEXT NOT NULL,
        data                TEXT NOT NULL,
        UNIQUE (run_id, kind, key)
    ) STRICT;
    CREATE INDEX items_by_run ON items (run_id, seq);
    "#,
    // 2: cron schedules and their fires.
    r#"
    -- One row per schedule. Policies are stored as their lowercase names and
    -- interpreted by trawl-schedule; the store keeps them as plain data.
    -- Exactly one target: a spec file re-read at each fire, or a snapshot.
    -- `last_fire_millis` is the latest scheduled time already decided (fired,
    -- queued or skipped); `next_fire_millis` the next one to decide.
    CREATE TABLE schedules (
        schedule_id         INTEGER PRIMARY KEY,
        name                TEXT NOT NULL UNIQUE,
        cron                TEXT NOT NULL,
        time_zone           TEXT NOT NULL,
        jitter_millis       INTEGER NOT NULL DEFAULT 0,
        overlap_policy      TEXT NOT NULL,
        missed_run_policy   TEXT NOT NULL,
        missed_run_max      INTEGER,
        spec_path           TEXT,
        spec_toml           TEXT,
        paused              INTEGER NOT NULL DEFAULT 0,
        created_at_millis   INTEGER NOT NULL,
        last_fire_millis    INTEGER,
        next_fire_millis    INTEGER,
        CHECK ((spec_path IS NULL) <> (spec_toml IS NULL))
    ) STRICT;

    -- One row per decided fire time of a schedule: `firing` (recorded, run
    -- not yet handed to the engine), `queued` (waiting for the previous run),
    -- `submitted` (with its run), `skipped` or `failed` (with `detail`).
    -- The UNIQUE pair is what stops a fire time from being recorded twice.
    CREATE TABLE schedule_fires (
        fire_id              INTEGER PRIMARY KEY,
        schedule_id          INTEGER NOT NULL REFERENCES schedules (schedule_id) ON DELETE CASCADE,
        scheduled_for_millis INTEGER NOT NULL,
        jitter_millis        INTEGER NOT NULL DEFAULT 0,
        state                TEXT NOT NULL,
        run_id               INTEGER REFERENCES runs (run_id) ON DELETE SET NULL,
        detail               TEXT,
        recorded_at_millis   INTEGER NOT NULL,
        updated_at_millis    INTEGER NOT NULL,
        UNIQUE (schedule_id, scheduled_for_millis)
    ) STRICT;
    CREATE INDEX schedule_fires_unfinished ON schedule_fires (state)
        WHERE state IN ('firing', 'queued');
    CREATE INDEX schedule_fires_by_run ON schedule_fires (run_id) WHERE run_id IS NOT NULL;
    "#,
    // 3: the event log and resource samples of each run.
    r#"
    -- One row per event, numbered by the run's logical clock. WITHOUT ROWID
    -- clusters a run's events in `seq` order, which is how they are read
    -- (streams resume after a seq, stats scan a run), with no second index.
    -- `kind` duplicates the payload's tag so queries filter without decoding.
    CREATE TABLE run_events (
        run_id              INTEGER NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
        seq                 INTEGER NOT NULL,
        at_millis           INTEGER NOT NULL,
        kind                TEXT NOT NULL,
        payload             TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    ) STRICT, WITHOUT ROWID;

    -- The resource sampler's time series (one row per active run per second).
    CREATE TABLE run_samples (
        run_id              INTEGER NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
        at_millis           INTEGER NOT NULL,
        payload             TEXT NOT NULL,
        PRIMARY KEY (run_id, at_millis)
    ) STRICT, WITHOUT ROWID;
    "#,
    // 4: how a run gets its responses (recorded, replayed, imported).
    r#"
    -- One row for a run that is recorded, is a replay of another run's
    -- recording, or is an imported recording; other runs have none.
    CREATE TABLE run_sources (
        run_id              INTEGER PRIMARY KEY REFERENCES runs (run_id) ON DELETE CASCADE,
        record              INTEGER NOT NULL DEFAULT 0,
        replay_of           INTEGER REFERENCES runs (run_id) ON DELETE SET NULL,
        imported            INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    "#,
];

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the store up to [`SCHEMA_VERSION`], one transaction per step.
///
/// Running it on an up-to-date store does nothing, so every open can call it.
pub(crate) fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    let found = schema_version(connection)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (index, step) in MIGRATIONS.iter().enumerate() {
        let target_version = index as i64 + 1;
        if target_version <= found {
            continue;
        }
        // IMMEDIATE takes the write lock up front, so two processes opening a
        // fresh store at once serialize here instead of both migrating.
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .sqlite_context("starting a schema migration")?;
        // Another process may have migrated while this one waited for the lock.
        if schema_version(&transaction)? >= target_version {
            continue;
        }
        transaction
            .execute_batch(step)
            .sqlite_context("applying a schema migration")?;
        transaction
            .pragma_update(None, "user_version", target_version)
            .sqlite_context("recording the schema version")?;
        transaction
            .commit()
            .sqlite_context("committing a schema migration")?;
    }
    Ok(())
}

/// The version recorded in the file (0 for a new, empty store).
pub(crate) fn schema_version(connection: &Connection) -> Result<i64, StoreError> {
    connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .sqlite_context("reading the schema version")
}

#[cfg(test)]
mod tests;
