// The entry point: takes the token from the address, starts the idle lock,
// and shows one view at a time from the address's fragment (#/runs,
// #/runs/ID, #/new, #/schedules, #/settings). Each view gets an
// AbortSignal that stops its polling and streams when it is left or locked.

import { ApiError, currentToken, forgetToken, onLocked, takeTokenFromFragment } from './api.js';
import { fill, h } from './dom.js';
import { resetIdle, startIdleLock } from './lock.js';
import { loginView } from './login.js';
import { newRunView } from './new-run.js';
import { runView } from './run.js';
import { runsView } from './runs.js';
import { schedulesView } from './schedules.js';
import { settingsView } from './settings.js';

const main = document.getElementById('main');
const notices = document.getElementById('notices');
const lockButton = document.getElementById('lock-now');
const nav = document.querySelector('.top nav');
let current = null;
let firstRender = true;

/** Shows an error to the user (once while the same message is on screen). */
export function notify(error) {
  if (error && error.name === 'AbortError') return;
  // A rejected or missing token shows the sign-in form, which says why.
  if (error instanceof ApiError && error.status === 401) return;
  const message = error instanceof Error ? error.message : String(error);
  for (const existing of notices.children) {
    if (existing.dataset.message === message) return;
  }
  const details = error instanceof ApiError && Array.isArray(error.details)
    ? h('ul', null, error.details.map((problem) => h('li', null,
      `line ${problem.line}, column ${problem.column}: ${problem.message}`)))
    : null;
  const notice = h('div', { class: 'notice error', role: 'alert', dataset: { message } },
    h('p', null, error instanceof ApiError && error.code ? h('strong', null, `${error.code}: `) : null, message),
    details,
    h('button', { type: 'button', class: 'quiet', 'aria-label': 'Dismiss', onClick: () => notice.remove() }, '×'));
  notices.append(notice);
  while (notices.children.length > 4) notices.firstElementChild.remove();
}

function route() {
  const path = window.location.hash.replace(/^#\/?/, '');
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'runs' && parts[1]) return { name: 'run', runId: parts[1] };
  if (['new', 'schedules', 'settings'].includes(parts[0])) return { name: parts[0] };
  return { name: 'runs' };
}

function mount(view) {
  if (current) current.dispose();
  current = view;
  fill(main, view.node);
}

function viewContext() {
  const controller = new AbortController();
  return {
    controller,
    context: {
      signal: controller.signal,
      notify,
      navigate: (hash) => { window.location.hash = hash; },
    },
  };
}

function render() {
  if (!currentToken()) {
    showLogin('signed_out');
    return;
  }
  lockButton.hidden = false;
  nav.hidden = false;
  const where = route();
  for (const link of document.querySelectorAll('[data-nav]')) {
    const active = link.dataset.nav === where.name || (where.name === 'run' && link.dataset.nav === 'runs');
    if (active) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const { controller, context } = viewContext();
  const build = {
    runs: () => runsView(context),
    run: () => runView(context, where.runId),
    new: () => newRunView(context),
    schedules: () => schedulesView(context),
    settings: () => settingsView(context),
  }[where.name];
  const view = build();
  mount({ node: view.node, dispose: () => { controller.abort(); view.dispose && view.dispose(); } });
  if (!firstRender) main.focus({ preventScroll: false });
  firstRender = false;
}

function showLogin(reason) {
  lockButton.hidden = true;
  // Nothing behind the lock is reachable until the token is given again.
  nav.hidden = true;
  for (const link of document.querySelectorAll('[data-nav]')) link.removeAttribute('aria-current');
  mount(loginView({
    reason,
    onSignedIn: () => {
      resetIdle();
      render();
    },
  }));
}

takeTokenFromFragment();
startIdleLock();
onLocked((reason) => showLogin(reason));
lockButton.addEventListener('click', () => forgetToken('locked'));
window.addEventListener('hashchange', () => {
  // `#token=...` pasted into the address of an open tab.
  if (takeTokenFromFragment()) resetIdle();
  render();
});
render();
