// The API client: the bearer token (from the URL fragment or the sign-in
// form, kept in sessionStorage only), fetch with `Authorization: Bearer`,
// the API's JSON errors as ApiError, and the run event stream.

import { follow } from './sse.js';

const TOKEN_KEY = 'trawl.api-token';
let token = null;
const lockListeners = new Set();

/** Reads `#token=...` from the address (then removes it from the address bar and history). */
export function takeTokenFromFragment() {
  const fragment = window.location.hash.replace(/^#/, '');
  const params = new URLSearchParams(fragment);
  const fromFragment = params.get('token');
  if (!fromFragment) return false;
  // The fragment never reaches the server; replaceState keeps it out of the
  // history, bookmarks and anything that reads the address later.
  window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}#/runs`);
  setToken(fromFragment);
  return true;
}

export function setToken(value) {
  token = value.trim();
  try {
    window.sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // Storage disabled: the token lives in memory for this page only.
  }
}

export function currentToken() {
  if (token) return token;
  try {
    token = window.sessionStorage.getItem(TOKEN_KEY);
  } catch {
    token = null;
  }
  return token;
}

/** Forgets the token everywhere and tells the listeners (the lock screen) why. */
export function forgetToken(reason) {
  token = null;
  try {
    window.sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Nothing stored.
  }
  for (const listener of lockListeners) listener(reason);
}

export function onLocked(listener) {
  lockListeners.add(listener);
}

/** A failed request: the API's `{"error": {"code", "message", "details"}}`, or a network failure. */
export class ApiError extends Error {
  constructor({ status, code, message, details, field }) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details || null;
    this.field = field || null;
    // Retrying will not fix these (the stream stops instead of reconnecting).
    this.permanent = status >= 400 && status < 500;
  }
}

async function errorFrom(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy, a crash): say what we know.
  }
  const error = body && body.error;
  return new ApiError({
    status: response.status,
    code: (error && error.code) || `http_${response.status}`,
    message: (error && error.message) || `the server answered ${response.status} ${response.statusText}`,
    details: error && error.details,
    field: error && error.field,
  });
}

async function send(method, path, { body, signal, headers = {} } = {}) {
  const secret = currentToken();
  if (!secret) {
    forgetToken('signed_out');
    throw new ApiError({ status: 401, code: 'unauthorized', message: 'sign in with the API token first' });
  }
  const init = {
    method,
    signal,
    cache: 'no-store',
    credentials: 'omit',
    headers: { Authorization: `Bearer ${secret}`, Accept: 'application/json', ...headers },
  };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (error && error.name === 'AbortError') throw error;
    throw new ApiError({ status: 0, code: 'network', message: 'cannot reach the trawl server: is `trawl serve` (or `trawl ui`) still running?' });
  }
  if (response.status === 401) {
    forgetToken('rejected');
    throw await errorFrom(response);
  }
  if (!response.ok) throw await errorFrom(response);
  return response;
}

export async function get(path, options) {
  return (await send('GET', path, options)).json();
}

export async function post(path, body, options = {}) {
  return (await send('POST', path, { ...options, body })).json();
}

/** Checks a token without keeping it: true if the server accepts it. */
export async function tokenWorks(candidate) {
  let response;
  try {
    response = await fetch('/api/health', {
      headers: { Authorization: `Bearer ${candidate.trim()}`, Accept: 'application/json' },
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiError({ status: 0, code: 'network', message: 'cannot reach the trawl server: is it still running?' });
  }
  if (response.status === 401) return false;
  if (!response.ok) throw await errorFrom(response);
  return true;
}

/**
 * Follows a run's events (`GET /api/runs/{id}/events`, SSE) until `signal`
 * aborts. `kinds` and `level` filter on the server. Reconnects after the
 * last event's id.
 */
export function runEvents(runId, { kinds, level, onMessage, onStatus, signal, after }) {
  const query = new URLSearchParams();
  if (kinds && kinds.length) query.set('kinds', kinds.join(','));
  if (level) query.set('level', level);
  const path = `/api/runs/${encodeURIComponent(runId)}/events${query.size ? `?${query}` : ''}`;
  return follow({
    signal,
    onMessage,
    onStatus,
    lastEventId: after,
    request: (lastEventId) => send('GET', path, {
      signal,
      headers: { Accept: 'text/event-stream', ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}) },
    }),
  });
}
