// Settings of this browser: the idle-lock delay (localStorage), and a
// button that locks now (forgets the token).

import { forgetToken } from './api.js';
import { h } from './dom.js';
import { DEFAULT_IDLE_MINUTES, idleMinutes, setIdleMinutes } from './lock.js';

export function settingsView() {
  const minutes = h('input', {
    id: 'idle-minutes', name: 'idle-minutes', type: 'number', min: 1, max: 1440, step: 1, required: true,
    value: String(idleMinutes()), 'aria-describedby': 'idle-help',
  });
  const saved = h('p', { class: 'status', 'aria-live': 'polite' });
  const form = h('form', {
    class: 'settings', 'aria-labelledby': 'settings-title',
    onSubmit: (event) => {
      event.preventDefault();
      const value = Number(minutes.value);
      if (!Number.isFinite(value) || value < 1 || value > 1440) {
        saved.textContent = 'Give a number of minutes between 1 and 1440.';
        return;
      }
      setIdleMinutes(value);
      saved.textContent = `Saved: the UI locks after ${value} minute${value === 1 ? '' : 's'} without input.`;
    },
  },
  h('h1', { id: 'settings-title' }, 'Settings'),
  h('label', { for: 'idle-minutes' }, 'Lock after this many minutes without input'),
  minutes,
  h('p', { id: 'idle-help', class: 'help' },
    `Default ${DEFAULT_IDLE_MINUTES}. Locking forgets the API token in this tab (memory and session storage); `,
    'paste it again, or open the address ', h('code', null, 'trawl ui'), ' prints, to continue. Kept in this browser only.'),
  h('button', { type: 'submit' }, 'Save'),
  saved,
  h('h2', null, 'Lock now'),
  h('p', null, 'Forget the token in this tab at once.'),
  h('button', { type: 'button', class: 'secondary', onClick: () => forgetToken('locked') }, 'Lock now'));
  return { node: form };
}
