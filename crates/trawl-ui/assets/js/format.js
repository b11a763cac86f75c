// Formatting of numbers, sizes, times and run states for display.

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

export function count(value) {
  return Number.isFinite(value) ? integer.format(value) : '–';
}

export function number(value) {
  return Number.isFinite(value) ? decimal.format(value) : '–';
}

export function bytes(value) {
  if (!Number.isFinite(value)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let amount = value;
  let unit = 0;
  while (amount >= 1024 && unit < units.length - 1) {
    amount /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${integer.format(amount)} B` : `${decimal.format(amount)} ${units[unit]}`;
}

export function millis(value) {
  if (!Number.isFinite(value)) return '–';
  return value < 1000 ? `${integer.format(value)} ms` : `${decimal.format(value / 1000)} s`;
}

export function duration(totalSeconds) {
  if (!Number.isFinite(totalSeconds) || totalSeconds < 0) return '–';
  const seconds = Math.floor(totalSeconds % 60);
  const minutes = Math.floor(totalSeconds / 60) % 60;
  const hours = Math.floor(totalSeconds / 3600);
  if (hours) return `${hours} h ${minutes} min`;
  if (minutes) return `${minutes} min ${seconds} s`;
  return `${seconds} s`;
}

/** Local date and time of unix milliseconds. */
export function time(atMillis) {
  if (!Number.isFinite(atMillis)) return '–';
  return new Date(atMillis).toLocaleString(undefined, {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
}

/** Time of day with milliseconds, for log lines. */
export function clock(atMillis) {
  const date = new Date(atMillis);
  const pad = (value, width = 2) => String(value).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** States a run can still change from (the engine is working on it or may). */
export const ACTIVE_STATES = new Set(['queued', 'running']);

/** Which controls a run's state allows (the engine's lifecycle rules). */
export function allowedActions(state) {
  return {
    pause: state === 'running',
    resume: ['paused', 'interrupted', 'failed', 'cancelled'].includes(state),
    cancel: ['queued', 'running', 'paused', 'interrupted'].includes(state),
  };
}

/** The live counters of a run: its progress while active, else its stored counters. */
export function runCounts(run) {
  const stored = run.counters || {};
  const live = run.progress;
  return {
    pagesOk: live ? live.pages_ok : stored.pages_ok,
    pagesFailed: live ? live.pages_failed : stored.pages_failed,
    pagesSkipped: stored.pages_skipped || 0,
    items: live ? live.items_stored : stored.items_stored,
    itemsDropped: live ? live.items_dropped : stored.items_dropped,
    bytes: live ? live.bytes_fetched : stored.bytes_fetched,
    retries: live ? live.retries : stored.requests_retried,
    inFlight: live ? live.in_flight : 0,
    queued: live ? live.queued : null,
    warnings: stored.warnings || 0,
  };
}

/** Average pages per second since the run started (to now while it runs). */
export function averageRate(run) {
  const counts = runCounts(run);
  const pages = (counts.pagesOk || 0) + (counts.pagesFailed || 0);
  if (!run.started_at_millis || !pages) return null;
  const end = run.finished_at_millis || Date.now();
  const seconds = (end - run.started_at_millis) / 1000;
  return seconds > 0 ? pages / seconds : null;
}
