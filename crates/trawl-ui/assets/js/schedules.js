// Schedules (GET /api/schedules, refreshed every five seconds): cron, zone,
// policies, next fire times and the latest fire with its run; pause and
// resume buttons (POST /api/schedules/{id}/pause|resume).

import { get, post } from './api.js';
import { every, fill, h } from './dom.js';
import * as format from './format.js';

function nextFires(schedule) {
  if (schedule.paused) return h('span', { class: 'none' }, 'paused');
  if (!schedule.next_fires.length) return h('span', { class: 'none' }, 'none');
  return h('ol', { class: 'fires' }, schedule.next_fires.slice(0, 3).map((fire) =>
    h('li', null, h('time', { datetime: fire.local, title: fire.local }, format.time(fire.at_millis)))));
}

function lastOutcome(schedule) {
  const fire = schedule.last_outcome;
  if (!fire) return h('span', { class: 'none' }, 'never fired');
  return h('span', null,
    `${fire.state} for ${format.time(fire.scheduled_for.at_millis)}`,
    fire.run_id ? [' → ', h('a', { href: `#/runs/${fire.run_id}` }, `run #${fire.run_id}`), fire.run_state ? ` (${fire.run_state})` : ''] : '',
    fire.detail ? h('span', { class: 'hint' }, ` ${fire.detail}`) : null);
}

export function schedulesView({ signal, notify }) {
  const status = h('p', { class: 'status' }, 'Loading schedules…');
  const holder = h('div', { class: 'scroll' });
  let failing = false;

  const toggle = async (schedule, button) => {
    button.disabled = true;
    try {
      await post(`/api/schedules/${schedule.schedule_id}/${schedule.paused ? 'resume' : 'pause'}`, undefined, { signal });
      await refresh();
    } catch (error) {
      notify(error);
      button.disabled = false;
    }
  };

  const render = (schedules) => {
    if (!schedules.length) {
      fill(holder, h('p', { class: 'empty' }, 'No schedules. Add one with ',
        h('code', null, 'trawl schedule add SPEC --cron "0 6 * * *"'), '; they fire while the server runs.'));
      return;
    }
    fill(holder, h('table', { class: 'schedules' },
      h('caption', null, 'Schedules, oldest first'),
      h('thead', null, h('tr', null, ['Name', 'Cron', 'Zone', 'Policies', 'Next fires', 'Latest fire', ''].map((column) =>
        h('th', { scope: 'col' }, column)))),
      h('tbody', null, schedules.map((schedule) => {
        const button = h('button', { type: 'button', class: 'secondary', 'aria-label': `${schedule.paused ? 'Resume' : 'Pause'} schedule ${schedule.name}` },
          schedule.paused ? 'Resume' : 'Pause');
        button.addEventListener('click', () => toggle(schedule, button));
        return h('tr', { dataset: { scheduleId: schedule.schedule_id } },
          h('th', { scope: 'row' }, schedule.name),
          h('td', null, h('code', null, schedule.cron)),
          h('td', null, schedule.time_zone),
          h('td', null, `overlap ${schedule.overlap}, missed ${schedule.missed}${schedule.missed_max ? ` (${schedule.missed_max})` : ''}${schedule.jitter_secs ? `, jitter ${schedule.jitter_secs} s` : ''}`),
          h('td', null, nextFires(schedule), schedule.overdue_since ? h('p', { class: 'hint' }, `overdue since ${format.time(schedule.overdue_since.at_millis)}`) : null),
          h('td', null, lastOutcome(schedule)),
          h('td', null, button));
      }))));
  };

  async function refresh() {
    try {
      const { schedules } = await get('/api/schedules', { signal });
      failing = false;
      status.textContent = `${schedules.length} schedule${schedules.length === 1 ? '' : 's'}. Times are in this browser's time zone (hover for the schedule's).`;
      // Keep the focused button focused across refreshes: skip while it is inside.
      if (!holder.contains(document.activeElement)) render(schedules);
    } catch (error) {
      if (!failing) notify(error);
      failing = true;
      status.textContent = `Not refreshed: ${error.message}`;
    }
  }
  every(5000, refresh, signal);
  return {
    node: h('section', { 'aria-labelledby': 'schedules-title' },
      h('h1', { id: 'schedules-title' }, 'Schedules'), status, holder),
  };
}
