// The idle lock (journey 10): after some minutes without a key press, click,
// touch or scroll, the UI forgets the token (memory and sessionStorage) and
// asks for it again. The delay is a setting of this browser (localStorage:
// it is no secret), 15 minutes by default.

import { currentToken, forgetToken } from './api.js';

const IDLE_KEY = 'trawl.idle-minutes';
export const DEFAULT_IDLE_MINUTES = 15;

export function idleMinutes() {
  let stored = null;
  try {
    stored = window.localStorage.getItem(IDLE_KEY);
  } catch {
    stored = null;
  }
  const minutes = Number(stored);
  return stored !== null && Number.isFinite(minutes) && minutes > 0 ? minutes : DEFAULT_IDLE_MINUTES;
}

export function setIdleMinutes(minutes) {
  window.localStorage.setItem(IDLE_KEY, String(minutes));
  lastActivity = Date.now();
}

let lastActivity = Date.now();
let timer = null;

function touch() {
  lastActivity = Date.now();
}

function check() {
  if (!currentToken()) return;
  if (Date.now() - lastActivity >= idleMinutes() * 60_000) forgetToken('idle');
}

/** Starts watching for activity (once). */
export function startIdleLock() {
  if (timer) return;
  for (const type of ['keydown', 'pointerdown', 'wheel', 'touchstart', 'input']) {
    window.addEventListener(type, touch, { capture: true, passive: true });
  }
  // Mouse moves count too, but looking at them once a second is enough.
  let moved = 0;
  window.addEventListener('pointermove', () => {
    const now = Date.now();
    if (now - moved > 1000) {
      moved = now;
      touch();
    }
  }, { capture: true, passive: true });
  // A tab that slept (laptop lid) is checked as soon as it is visible again.
  document.addEventListener('visibilitychange', check);
  const tick = () => {
    check();
    // Often enough for a short delay, rarely for a long one.
    timer = setTimeout(tick, Math.min(15_000, Math.max(250, idleMinutes() * 60_000 / 8)));
  };
  timer = setTimeout(tick, 250);
}

/** A fresh start of the idle time (after signing in). */
export function resetIdle() {
  touch();
}
