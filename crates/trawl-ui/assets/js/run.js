// One run: state, controls (pause, pause aborting in-flight pages, resume,
// cancel — the same engine calls as `trawl pause|resume|cancel`), counters
// and progress, the pipeline, and tabs for the event log, statistics,
// resources and the dataset preview.
//
// The run is polled (GET /api/runs/{id}) for its counters; its state also
// changes live from the event stream (run_state_changed), which feeds the
// pipeline's counts too.

import { get, post, runEvents } from './api.js';
import { createDataset } from './dataset.js';
import { every, facts, fill, h } from './dom.js';
import * as format from './format.js';
import { createLog } from './log.js';
import { PIPELINE_KINDS, count, createPipeline, emptyCounts } from './pipeline.js';
import { stateBadge } from './runs.js';
import { createResources, createStats } from './stats.js';

function tabs(panels) {
  const list = h('div', { role: 'tablist', 'aria-label': 'Run details', class: 'tabs' });
  const buttons = panels.map((panel, index) => h('button', {
    type: 'button', role: 'tab', id: `tab-${panel.id}`, 'aria-controls': `panel-${panel.id}`,
    'aria-selected': index === 0 ? 'true' : 'false', tabindex: index === 0 ? 0 : -1,
  }, panel.label));
  const sections = panels.map((panel, index) => h('section', {
    role: 'tabpanel', id: `panel-${panel.id}`, 'aria-labelledby': `tab-${panel.id}`, tabindex: 0, hidden: index !== 0,
  }, panel.part.node));
  const select = (chosen, focus) => {
    buttons.forEach((button, index) => {
      const on = index === chosen;
      button.setAttribute('aria-selected', on ? 'true' : 'false');
      button.tabIndex = on ? 0 : -1;
      sections[index].hidden = !on;
      if (on) {
        if (panels[index].part.show) panels[index].part.show();
        if (focus) button.focus();
      } else if (panels[index].part.hide) {
        panels[index].part.hide();
      }
    });
  };
  buttons.forEach((button, index) => {
    button.addEventListener('click', () => select(index, false));
    button.addEventListener('keydown', (event) => {
      const last = buttons.length - 1;
      const moves = { ArrowRight: index === last ? 0 : index + 1, ArrowLeft: index === 0 ? last : index - 1, Home: 0, End: last };
      if (event.key in moves) {
        event.preventDefault();
        select(moves[event.key], true);
      }
    });
    list.append(button);
  });
  queueMicrotask(() => select(0, false));
  return h('div', { class: 'tabbed' }, list, sections);
}

export function runView({ signal, notify }, runId) {
  let run = null;
  let pending = null;
  // The state a pending action was asked in: any change settles it.
  let pendingFrom = null;
  const counts = emptyCounts();
  const title = h('h1', { id: 'run-title' }, `Run #${runId}`);
  const badge = h('span', { id: 'run-state', role: 'status', 'aria-live': 'polite' }, '…');
  const message = h('p', { class: 'status', id: 'control-status', 'aria-live': 'polite' });
  const progress = h('progress', { id: 'run-progress', max: 1, value: 0, 'aria-label': 'Pages done of pages known' });
  const progressText = h('span', { class: 'status' });
  const counters = h('div', { class: 'counters' });
  const pipeline = createPipeline();
  const isActive = () => !run || format.ACTIVE_STATES.has(run.state) || pending !== null;

  const buttons = {
    pause: h('button', { type: 'button', id: 'pause', onClick: () => act('pause', { mode: 'finish' }, 'Pause requested: intake stopped, in-flight pages finish first.') }, 'Pause'),
    pauseAbort: h('button', { type: 'button', id: 'pause-abort', class: 'secondary', onClick: () => act('pause', { mode: 'abort' }, 'Pause requested: in-flight pages are aborted and fetched again on resume.') }, 'Pause (abort in-flight)'),
    resume: h('button', { type: 'button', id: 'resume', onClick: () => act('resume', undefined, 'Resume requested.') }, 'Resume'),
    cancel: h('button', { type: 'button', id: 'cancel', class: 'danger', onClick: () => act('cancel', undefined, 'Cancel requested: finished pages stay saved; Resume reopens the run.') }, 'Cancel'),
  };

  const showControls = () => {
    const allowed = format.allowedActions(run ? run.state : 'unknown');
    buttons.pause.disabled = !allowed.pause || pending === 'pause';
    buttons.pauseAbort.disabled = !allowed.pause || pending === 'pause';
    buttons.resume.disabled = !allowed.resume || pending === 'resume';
    buttons.cancel.disabled = !allowed.cancel || pending === 'cancel';
  };

  showControls();

  const showState = (state) => {
    fill(badge, stateBadge(state));
    badge.dataset.state = state;
  };

  const showRun = () => {
    if (!run) return;
    title.textContent = `${run.name} (run #${run.run_id})`;
    showState(run.state);
    const c = format.runCounts(run);
    const done = (c.pagesOk || 0) + (c.pagesFailed || 0) + (c.pagesSkipped || 0);
    const known = run.progress ? done + run.progress.queued + run.progress.in_flight : done;
    progress.max = Math.max(1, known);
    progress.value = done;
    progressText.textContent = run.progress
      ? `${format.count(done)} pages done, ${format.count(run.progress.in_flight)} in flight, ${format.count(run.progress.queued)} waiting`
      : `${format.count(done)} pages done`;
    const rate = format.averageRate(run);
    fill(counters, facts([
      ['pages ok', h('span', { id: 'count-pages' }, format.count(c.pagesOk))],
      ['errors', format.count(c.pagesFailed)],
      ['skipped', format.count(c.pagesSkipped)],
      ['items', h('span', { id: 'count-items' }, format.count(c.items))],
      ['dropped', format.count(c.itemsDropped)],
      ['retries', format.count(c.retries)],
      ['fetched', format.bytes(c.bytes)],
      ['avg rate', rate === null ? '–' : `${format.number(rate)} pages/s`],
      ['created', format.time(run.created_at_millis)],
      ['started', format.time(run.started_at_millis)],
      ['finished', format.time(run.finished_at_millis)],
      ['schedule', run.schedule ? run.schedule.name : '–'],
    ], 'facts wide'));
    if (run.error) counters.append(h('p', { class: 'notice error' }, h('strong', null, 'Error: '), run.error));
    showControls();
    pipeline.render(counts, run);
  };

  // An unknown run (404) is said once; polling stops.
  let gone = false;
  // Counts state changes seen on the event stream. An answer to a request
  // sent before the latest change is older than what is shown, and must not
  // put the old state back (a cancel's POST answered "running" after the
  // stream had said "cancelled").
  let stateChanges = 0;
  const refresh = async () => {
    if (gone) return;
    const asked = stateChanges;
    try {
      const answer = await get(`/api/runs/${encodeURIComponent(runId)}`, { signal });
      if (asked !== stateChanges) return;
      run = answer;
      if (pending && run.state !== pendingFrom) pending = null;
      showRun();
    } catch (error) {
      if (error.status === 404) {
        gone = true;
        title.textContent = `Run #${runId} not found`;
        for (const button of Object.values(buttons)) button.disabled = true;
      }
      notify(error);
    }
  };

  async function act(action, body, said) {
    pending = action;
    pendingFrom = run ? run.state : null;
    showControls();
    const asked = stateChanges;
    try {
      const answer = await post(`/api/runs/${encodeURIComponent(runId)}/${action}`, body, { signal });
      message.textContent = said;
      if (asked === stateChanges) {
        run = answer;
        if (run.state !== pendingFrom) pending = null;
        showRun();
      }
    } catch (error) {
      pending = null;
      message.textContent = `${action} failed: ${error.message}`;
      notify(error);
      showControls();
      return;
    }
    // Pause and cancel take effect when the in-flight pages are done; the
    // state change arrives on the event stream (or the next poll) and
    // clears `pending`.
    showControls();
  }

  // Counters: often while the run is active, now and then otherwise (the
  // CLI or a schedule may start it again).
  let quietPolls = 0;
  every(1000, async () => {
    if (!gone && (isActive() || quietPolls++ % 10 === 0)) await refresh();
  }, signal);

  // The pipeline's events and live state changes.
  let redraw = null;
  runEvents(runId, {
    kinds: PIPELINE_KINDS,
    signal,
    onMessage: ({ event, data }) => {
      if (event === 'snapshot') {
        run = data;
        showRun();
        return;
      }
      if (!data || typeof data !== 'object') return;
      count(counts, data);
      if (data.kind === 'run_state_changed' && run) {
        stateChanges += 1;
        run = { ...run, state: data.to };
        pending = null;
        showRun();
        refresh();
      }
      if (!redraw) redraw = setTimeout(() => { redraw = null; pipeline.render(counts, run); }, 250);
    },
  }).catch((error) => notify(error));

  const context = { signal, notify, isActive };
  const panels = [
    { id: 'log', label: 'Event log', part: createLog(runId, context) },
    { id: 'stats', label: 'Statistics', part: createStats(runId, context) },
    { id: 'resources', label: 'CPU & memory', part: createResources(runId, context) },
    { id: 'dataset', label: 'Dataset', part: createDataset(runId, context) },
  ];

  return {
    node: h('article', { class: 'run', 'aria-labelledby': 'run-title' },
      h('p', { class: 'crumbs' }, h('a', { href: '#/runs' }, '← All runs')),
      h('div', { class: 'title-row' }, title, badge),
      h('div', { class: 'controls', role: 'group', 'aria-label': 'Run controls' },
        buttons.pause, buttons.pauseAbort, buttons.resume, buttons.cancel),
      message,
      h('div', { class: 'progress-row' }, progress, progressText),
      counters,
      h('section', { 'aria-labelledby': 'pipeline-title' },
        h('h2', { id: 'pipeline-title' }, 'Pipeline'),
        pipeline.node),
      tabs(panels)),
    dispose() {
      clearTimeout(redraw);
    },
  };
}
