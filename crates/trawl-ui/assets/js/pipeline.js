// The run's pipeline (frontier → fetch → extract → store) with live counts
// per step, derived from the run's events: request_scheduled enters the
// frontier, request_fetched / request_failed / request_skipped leave it
// through fetch, page_extracted counts items and links, and
// checkpoint_committed counts what the store committed.
//
// Counts come from the event stream from its start, so they equal the
// stored log after a reload. While a run is live, the events of a page that
// a pause (abort) or a cancel aborted were seen but are redone under later
// numbers; the counts then run ahead slightly until the next reload.

import { fill, h } from './dom.js';
import * as format from './format.js';

/** Event kinds the pipeline needs (the stream is filtered to these). */
export const PIPELINE_KINDS = [
  'run_state_changed', 'request_scheduled', 'request_fetched', 'request_failed',
  'request_skipped', 'page_extracted', 'checkpoint_committed',
];

export function emptyCounts() {
  return {
    scheduled: 0, fetched: 0, fetchedNotOk: 0, failed: 0, skipped: 0,
    extractedPages: 0, items: 0, itemsDropped: 0, linksFound: 0, linksFollowed: 0,
    checkpoints: 0, committedPages: 0, itemsStored: 0, itemsDuplicate: 0, bytes: 0,
  };
}

/** Adds one event (an envelope from the stream) to the counts. */
export function count(counts, event) {
  switch (event.kind) {
    case 'request_scheduled':
      counts.scheduled += 1;
      break;
    case 'request_fetched':
      counts.fetched += 1;
      counts.bytes += event.bytes || 0;
      if (event.outcome !== 'ok' && event.outcome !== 'not_html') counts.fetchedNotOk += 1;
      break;
    case 'request_failed':
      counts.failed += 1;
      break;
    case 'request_skipped':
      counts.skipped += 1;
      break;
    case 'page_extracted':
      counts.extractedPages += 1;
      counts.items += event.items || 0;
      counts.itemsDropped += event.items_dropped || 0;
      counts.linksFound += event.links_found || 0;
      counts.linksFollowed += event.links_followed || 0;
      break;
    case 'checkpoint_committed':
      counts.checkpoints += 1;
      counts.committedPages += event.pages || 0;
      counts.itemsStored += event.items_inserted || 0;
      counts.itemsDuplicate += event.items_duplicate || 0;
      break;
    default:
      break;
  }
}

function step(id, name, lines) {
  return h('li', { class: 'step', id: `step-${id}`, dataset: { step: id } },
    h('h3', null, name),
    h('dl', null, lines.map(([term, value, key]) => [
      h('dt', null, term),
      h('dd', { dataset: { count: key } }, value),
    ])));
}

/** The pipeline figure; `render(counts, run)` redraws it. */
export function createPipeline() {
  const list = h('ol', { class: 'pipeline', 'aria-label': 'Pipeline steps, in order' });
  const render = (counts, run) => {
    const finished = counts.fetched + counts.failed + counts.skipped;
    const live = run && run.progress;
    fill(list,
      step('frontier', 'Frontier', [
        ['scheduled', format.count(counts.scheduled), 'scheduled'],
        ['waiting', format.count(Math.max(0, counts.scheduled - finished)), 'waiting'],
      ]),
      step('fetch', 'Fetch', [
        ['fetched', format.count(counts.fetched), 'fetched'],
        ['errors', format.count(counts.failed + counts.fetchedNotOk), 'errors'],
        ['skipped', format.count(counts.skipped), 'skipped'],
        ['in flight', live ? format.count(live.in_flight) : '–', 'in-flight'],
        ['bytes', format.bytes(counts.bytes), 'bytes'],
      ]),
      step('extract', 'Extract', [
        ['pages', format.count(counts.extractedPages), 'pages'],
        ['items', format.count(counts.items), 'items'],
        ['dropped', format.count(counts.itemsDropped), 'dropped'],
        ['links followed', format.count(counts.linksFollowed), 'links'],
      ]),
      step('store', 'Store', [
        ['items stored', format.count(counts.itemsStored), 'stored'],
        ['duplicates', format.count(counts.itemsDuplicate), 'duplicates'],
        ['pages committed', format.count(counts.committedPages), 'committed'],
        ['checkpoints', format.count(counts.checkpoints), 'checkpoints'],
      ]));
  };
  render(emptyCounts(), null);
  return { node: list, render };
}
