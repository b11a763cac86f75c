// The runs list (GET /api/runs, refreshed every two seconds): state, pages,
// errors, items, rate and schedule of every run, newest first.

import { get } from './api.js';
import { every, h } from './dom.js';
import * as format from './format.js';

export function stateBadge(state) {
  return h('span', { class: ['state', `state-${state}`], dataset: { state } }, state);
}

function cells(run) {
  const counts = format.runCounts(run);
  const rate = format.averageRate(run);
  return [
    h('a', { href: `#/runs/${run.run_id}` }, `#${run.run_id}`),
    h('a', { href: `#/runs/${run.run_id}` }, run.name),
    stateBadge(run.state),
    format.count(counts.pagesOk),
    format.count(counts.pagesFailed),
    format.count(counts.items),
    rate === null ? '–' : `${format.number(rate)}/s`,
    run.schedule ? run.schedule.name : '–',
    format.time(run.created_at_millis),
  ];
}

const NUMERIC = new Set([3, 4, 5, 6]);

/**
 * Updates rows in place (cells whose text changed only), so a link the
 * user tabbed to keeps its focus while the list refreshes.
 */
function update(body, rows, runs) {
  const wanted = [];
  for (const run of runs) {
    let entry = rows.get(run.run_id);
    const next = cells(run);
    if (!entry) {
      const tds = next.map((cell, index) => h('td', { class: NUMERIC.has(index) ? 'num' : null }, cell));
      entry = { tr: h('tr', null, tds), tds };
      rows.set(run.run_id, entry);
    } else {
      next.forEach((cell, index) => {
        const td = entry.tds[index];
        const text = cell instanceof Node ? cell.textContent : cell;
        if (td.textContent !== text) td.replaceChildren(cell);
      });
    }
    entry.tr.dataset.runId = run.run_id;
    entry.tr.dataset.state = run.state;
    wanted.push(entry.tr);
  }
  const present = [...body.children];
  if (present.length !== wanted.length || present.some((tr, index) => tr !== wanted[index])) {
    body.replaceChildren(...wanted);
  }
  if (!runs.length) {
    body.replaceChildren(h('tr', null, h('td', { colspan: COLUMNS.length, class: 'empty' },
      'No runs yet: start one from a spec.')));
  }
}

const COLUMNS = ['Run', 'Name', 'State', 'Pages', 'Errors', 'Items', 'Avg rate', 'Schedule', 'Created'];

export function runsView({ signal, notify }) {
  const status = h('p', { class: 'status' }, 'Loading runs…');
  const body = h('tbody');
  const rows = new Map();
  const holder = h('div', { class: 'scroll' }, h('table', { class: 'runs' },
    h('caption', null, 'Runs, newest first'),
    h('thead', null, h('tr', null, COLUMNS.map((column, index) =>
      h('th', { scope: 'col', class: NUMERIC.has(index) ? 'num' : null }, column)))),
    body));
  let failing = false;
  every(2000, async () => {
    try {
      const { runs } = await get('/api/runs', { signal });
      failing = false;
      const active = runs.filter((run) => format.ACTIVE_STATES.has(run.state)).length;
      status.textContent = `${runs.length} run${runs.length === 1 ? '' : 's'}, ${active} active. Refreshed ${new Date().toLocaleTimeString()}.`;
      update(body, rows, runs);
    } catch (error) {
      if (!failing) notify(error);
      failing = true;
      status.textContent = `Not refreshed: ${error.message}`;
    }
  }, signal);
  return {
    node: h('section', { 'aria-labelledby': 'runs-title' },
      h('div', { class: 'title-row' },
        h('h1', { id: 'runs-title' }, 'Runs'),
        h('a', { class: 'button', href: '#/new' }, 'Start a run')),
      status,
      holder),
  };
}
