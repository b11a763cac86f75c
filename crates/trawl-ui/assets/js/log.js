// The live event log of a run: GET /api/runs/{id}/events (SSE) filtered on
// the server by kind and level, and on the page by text. At most MAX_LINES
// lines are kept (the oldest go first) and new ones are added once per
// animation frame, so a 100,000-page run streams without freezing the tab.

import { runEvents } from './api.js';
import { h } from './dom.js';
import * as format from './format.js';

export const MAX_LINES = 2000;

export const KINDS = [
  'run_created', 'run_state_changed', 'request_scheduled', 'request_started', 'request_retried',
  'request_fetched', 'request_failed', 'request_skipped', 'page_extracted', 'item_dropped',
  'warning_raised', 'checkpoint_committed', 'host_throttled', 'limit_changed', 'schedule_fired',
  'export_written',
];

/** The event's level, as trawl-events' Event::level decides it. */
export function levelOf(event) {
  switch (event.kind) {
    case 'run_state_changed':
      return event.to === 'failed' ? 'error' : 'info';
    case 'request_failed':
    case 'item_dropped':
    case 'warning_raised':
      return 'warn';
    case 'request_fetched':
      return event.outcome !== 'ok' && event.outcome !== 'not_html' ? 'warn' : 'info';
    case 'request_started':
    case 'request_scheduled':
    case 'page_extracted':
    case 'checkpoint_committed':
      return 'debug';
    default:
      return 'info';
  }
}

const plural = (number, word) => `${number} ${word}${number === 1 ? '' : 's'}`;

/** One line of text saying what the event is about. */
export function summary(event) {
  switch (event.kind) {
    case 'run_created':
      return `run created: ${event.name} (priority ${event.priority})`;
    case 'run_state_changed':
      return `${event.from} → ${event.to} (${event.reason})${event.error ? `: ${event.error}` : ''}`;
    case 'request_scheduled':
      return `${event.url} (depth ${event.depth}, ${event.source}${event.via ? ` via ${event.via}` : ''})`;
    case 'request_started':
      return `${event.url}${event.attempt ? ` (attempt ${event.attempt + 1})` : ''}`;
    case 'request_retried':
      return `${event.url}: retry ${event.attempt + 1} in ${format.millis(event.delay_millis)} (${event.reason})`;
    case 'request_fetched':
      return `${event.status} ${event.url} ${format.bytes(event.bytes)} in ${format.millis(event.elapsed_millis)}${event.outcome !== 'ok' ? ` [${event.outcome}]` : ''}${event.final_url ? ` → ${event.final_url}` : ''}`;
    case 'request_failed':
      return `${event.url} [${event.outcome}] ${event.error}`;
    case 'request_skipped':
      return `${event.url} [${event.reason}]`;
    case 'page_extracted':
      return `${event.url}: ${plural(event.items, 'item')}, ${event.links_followed}/${plural(event.links_found, 'link')} followed${event.items_dropped ? `, ${event.items_dropped} dropped` : ''}`;
    case 'item_dropped':
      return `${event.url} (${event.rule}) [${event.reason}] ${event.message}`;
    case 'warning_raised':
      return `${event.url ? `${event.url}: ` : ''}[${event.warning}] ${event.message}`;
    case 'checkpoint_committed':
      return `${plural(event.pages, 'page')}, ${plural(event.items_inserted, 'item')} (+${event.items_duplicate} duplicate), ${plural(event.links_inserted, 'link')} in ${format.millis(event.elapsed_millis)}`;
    case 'host_throttled':
      return `${event.host} held ${format.millis(event.delay_millis)} (${event.reason})`;
    case 'limit_changed':
      return `${event.scope} ${event.limit}: ${event.from} → ${event.to} (${event.reason})`;
    case 'schedule_fired':
      return `schedule ${event.schedule} for ${format.time(event.scheduled_for_millis)}`;
    case 'export_written':
      return `${event.format} ${event.path}: ${event.items} items`;
    default: {
      const rest = Object.entries(event).filter(([key]) => !['run_id', 'seq', 'at_millis', 'kind'].includes(key));
      return rest.map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : value}`).join(' ');
    }
  }
}

/**
 * The log panel. `onState(state)` hears every run_state_changed (the run
 * view uses the pipeline stream for that; this is only the viewer).
 */
export function createLog(runId, { signal, notify }) {
  const entries = [];
  let pending = [];
  let received = 0;
  let streamController = null;
  let frame = null;
  let textFilter = '';

  const list = h('ol', { class: 'log', id: 'event-log', 'aria-label': 'Events, oldest first', tabindex: 0 });
  const counter = h('p', { class: 'status', id: 'log-count' }, 'Connecting…');
  const follow = h('input', { type: 'checkbox', id: 'log-follow', checked: true });
  const level = h('select', { id: 'log-level', name: 'level' },
    ['debug', 'info', 'warn', 'error'].map((name) => h('option', { value: name, selected: name === 'info' }, name)));
  const kindBoxes = KINDS.map((kind) => h('input', { type: 'checkbox', value: kind, id: `kind-${kind}`, name: 'kinds' }));
  const kindsSummary = h('summary', null, 'Kinds: all');
  const text = h('input', { type: 'search', id: 'log-text', name: 'text', placeholder: 'url, outcome, message…', autocomplete: 'off' });

  const lineText = (entry) => `${entry.event.seq ?? ''} ${entry.level} ${entry.event.kind} ${entry.summary}`.toLowerCase();
  const matches = (entry) => !textFilter || entry.text.includes(textFilter);

  const lineNode = (entry) => h('li', { class: ['line', `level-${entry.level}`], dataset: { kind: entry.event.kind, seq: entry.event.seq } },
    h('span', { class: 'seq' }, String(entry.event.seq ?? '')),
    h('time', { datetime: new Date(entry.event.at_millis).toISOString() }, format.clock(entry.event.at_millis)),
    h('span', { class: 'level' }, entry.level),
    h('span', { class: 'kind' }, entry.event.kind),
    h('span', { class: 'text' }, entry.summary));

  const showCount = () => {
    counter.textContent = `${format.count(list.childElementCount)} shown of ${format.count(entries.length)} kept (newest ${MAX_LINES}); ${format.count(received)} received.`;
  };

  const flush = () => {
    frame = null;
    if (!pending.length) return;
    const batch = pending.length > MAX_LINES ? pending.slice(-MAX_LINES) : pending;
    pending = [];
    const stick = follow.checked;
    entries.push(...batch);
    const dropped = entries.length > MAX_LINES ? entries.splice(0, entries.length - MAX_LINES) : [];
    for (const entry of dropped) if (entry.node) entry.node.remove();
    const fragment = document.createDocumentFragment();
    for (const entry of batch) {
      if (!matches(entry)) continue;
      entry.node = lineNode(entry);
      fragment.append(entry.node);
    }
    list.append(fragment);
    showCount();
    if (stick) list.scrollTop = list.scrollHeight;
  };

  const rebuild = () => {
    const fragment = document.createDocumentFragment();
    for (const entry of entries) {
      entry.node = matches(entry) ? lineNode(entry) : null;
      if (entry.node) fragment.append(entry.node);
    }
    list.replaceChildren(fragment);
    showCount();
    if (follow.checked) list.scrollTop = list.scrollHeight;
  };

  const start = () => {
    if (streamController) streamController.abort();
    streamController = new AbortController();
    const local = streamController;
    signal.addEventListener('abort', () => local.abort(), { once: true });
    entries.length = 0;
    pending = [];
    received = 0;
    list.replaceChildren();
    const kinds = kindBoxes.filter((box) => box.checked).map((box) => box.value);
    kindsSummary.textContent = kinds.length ? `Kinds: ${kinds.length} selected` : 'Kinds: all';
    runEvents(runId, {
      kinds,
      level: level.value,
      signal: local.signal,
      onStatus: (status, error) => {
        if (status === 'retrying') counter.textContent = `Reconnecting… (${error && error.message ? error.message : 'connection lost'})`;
      },
      onMessage: ({ event, data }) => {
        if (event === 'snapshot' || !data || typeof data !== 'object') return;
        if (event === 'lagged') {
          data = { kind: 'lagged', seq: null, at_millis: Date.now(), ...data };
        }
        received += 1;
        const entry = { event: data, level: event === 'lagged' ? 'warn' : levelOf(data), summary: event === 'lagged' ? `events after ${data.after_seq} up to ${data.until_seq} could not be delivered` : summary(data), node: null };
        entry.text = lineText(entry);
        pending.push(entry);
        // A hidden tab gets no frames: keep only what could be shown.
        if (pending.length > 2 * MAX_LINES) pending.splice(0, pending.length - MAX_LINES);
        if (!frame) frame = requestAnimationFrame(flush);
      },
    }).catch((error) => {
      if (error && error.name === 'AbortError') return;
      counter.textContent = `The event stream stopped: ${error.message}`;
      notify(error);
    });
  };

  let typing = null;
  text.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      textFilter = text.value.trim().toLowerCase();
      rebuild();
    }, 150);
  });
  level.addEventListener('change', start);
  for (const box of kindBoxes) box.addEventListener('change', start);
  // A hidden tab gets no animation frames: flush on the way back.
  document.addEventListener('visibilitychange', () => { if (!document.hidden) flush(); }, { signal });

  const node = h('div', { class: 'log-panel' },
    h('form', { class: 'filters', 'aria-label': 'Event filters', onSubmit: (event) => event.preventDefault() },
      h('div', null, h('label', { for: 'log-level' }, 'Lowest level'), level),
      h('div', { class: 'grow' }, h('label', { for: 'log-text' }, 'Text'), text),
      h('details', { class: 'kinds' }, kindsSummary,
        h('fieldset', null, h('legend', null, 'Only these kinds (none checked: all)'),
          kindBoxes.map((box) => h('label', { class: 'check' }, box, box.value)))),
      h('label', { class: 'check', for: 'log-follow' }, follow, 'Follow newest')),
    counter,
    list);
  start();
  return { node };
}
