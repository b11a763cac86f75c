// Dataset preview: one page of a run's items (GET /api/runs/{id}/items) as a
// table whose columns are the items' fields, with paging; refreshed while
// the run is active and the panel is shown.

import { get } from './api.js';
import { fill, h, whileShown } from './dom.js';
import * as format from './format.js';

const PAGE = 25;
const MAX_CELL = 160;

function cell(value) {
  if (value === null || value === undefined) return h('span', { class: 'none' }, '–');
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') {
    if (/^https?:\/\//i.test(value)) {
      return h('a', { href: value, rel: 'noreferrer noopener', target: '_blank', title: value },
        value.length > MAX_CELL ? `${value.slice(0, MAX_CELL)}…` : value);
    }
    return value.length > MAX_CELL ? h('span', { title: value }, `${value.slice(0, MAX_CELL)}…`) : value;
  }
  if (Array.isArray(value) && value.every((entry) => typeof entry !== 'object' || entry === null)) {
    return cell(value.join(', '));
  }
  return h('code', null, cell(JSON.stringify(value)));
}

export function createDataset(runId, { signal, notify, isActive }) {
  let offset = 0;
  let total = 0;
  const status = h('p', { class: 'status', id: 'dataset-status', 'aria-live': 'polite' }, 'Loading items…');
  const holder = h('div', { class: 'scroll' });
  const previous = h('button', { type: 'button', disabled: true, onClick: () => { offset = Math.max(0, offset - PAGE); refresh(); } }, '← Previous');
  const next = h('button', { type: 'button', disabled: true, onClick: () => { offset += PAGE; refresh(); } }, 'Next →');
  const reload = h('button', { type: 'button', class: 'quiet', onClick: () => refresh() }, 'Refresh');

  const render = (page) => {
    total = page.total;
    const fields = [];
    for (const item of page.items) {
      for (const name of Object.keys(item.fields)) if (!fields.includes(name)) fields.push(name);
    }
    const first = page.items.length ? page.offset + 1 : 0;
    status.textContent = page.items.length
      ? `Items ${format.count(first)}–${format.count(page.offset + page.items.length)} of ${format.count(page.total)}.`
      : `No items${page.offset ? ' on this page' : ' yet'} (${format.count(page.total)} in the dataset).`;
    previous.disabled = page.offset === 0;
    next.disabled = page.offset + page.items.length >= page.total;
    if (!page.items.length) {
      holder.replaceChildren();
      return;
    }
    const columns = ['#', 'kind', 'key', ...fields, 'url'];
    fill(holder, h('table', { class: 'dataset', id: 'dataset-table' },
      h('caption', null, `Items of run ${runId}, in the order they were stored`),
      h('thead', null, h('tr', null, columns.map((column) => h('th', { scope: 'col' }, column)))),
      h('tbody', null, page.items.map((item, index) => h('tr', null,
        h('th', { scope: 'row', class: 'num' }, format.count(page.offset + index + 1)),
        h('td', null, item.kind),
        h('td', null, cell(item.key)),
        fields.map((name) => h('td', null, cell(item.fields[name]))),
        h('td', null, cell(item.url)))))));
  };

  const { refresh, show, hide } = whileShown(4000, async () => {
    const page = await get(`/api/runs/${encodeURIComponent(runId)}/items?offset=${offset}&limit=${PAGE}`, { signal });
    if (!page.items.length && offset > 0 && offset >= page.total) {
      offset = Math.max(0, Math.floor((page.total - 1) / PAGE) * PAGE);
    }
    render(page);
  }, {
    signal, notify, isActive,
    onError: (error) => { status.textContent = `Not loaded: ${error.message}`; },
  });

  return {
    node: h('div', { class: 'dataset-panel' },
      h('div', { class: 'toolbar' }, previous, next, reload), status, holder),
    show,
    hide,
    get total() { return total; },
  };
}
