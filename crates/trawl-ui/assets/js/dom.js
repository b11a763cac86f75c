// DOM helpers: elements are built with createElement and text nodes, never
// from HTML strings (the CSP's Trusted Types rule would refuse them anyway),
// so text from a crawled site can only ever be shown as text.

const SVG_NS = 'http://www.w3.org/2000/svg';

function apply(node, attrs) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      node.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'class') {
      node.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    } else if (name === 'dataset') {
      Object.assign(node.dataset, value);
    } else if (name === 'value' && 'value' in node) {
      node.value = value;
    } else if (value === true) {
      node.setAttribute(name, '');
    } else {
      node.setAttribute(name, String(value));
    }
  }
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element: h('button', {type: 'button', onClick}, 'Pause'). */
export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  apply(node, attrs);
  append(node, children);
  return node;
}

/** An SVG element, same calling convention as h(). */
export function s(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  apply(node, attrs);
  append(node, children);
  return node;
}

/** Replaces the node's children. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** A table from column headings and rows of cells (strings or nodes). */
export function table({ caption, columns, rows, empty = 'Nothing yet.', className }) {
  const body = rows.length
    ? rows.map((cells) => h('tr', null, cells.map((cell, index) =>
      index === 0 && cell instanceof Node && cell.tagName === 'TH' ? cell : h('td', null, cell))))
    : [h('tr', null, h('td', { colspan: columns.length, class: 'empty' }, empty))];
  return h('table', { class: className },
    caption ? h('caption', null, caption) : null,
    h('thead', null, h('tr', null, columns.map((column) => h('th', { scope: 'col' }, column)))),
    h('tbody', null, body));
}

/** Definition list from [term, value] pairs. */
export function facts(pairs, className = 'facts') {
  return h('dl', { class: className }, pairs.map(([term, value]) => [h('dt', null, term), h('dd', null, value)]));
}

/**
 * Polls a panel's data while the panel is shown: `load()` at once when it
 * is shown, then every `millis` while the run is active (once loaded, an
 * inactive run's data no longer changes). The first failure of a streak is
 * reported through `notify`; `onError`, if given, sees every failure.
 * Returns `refresh` (load now) and the panel's `show` and `hide`.
 */
export function whileShown(millis, load, { signal, notify, isActive, onError }) {
  let shown = false;
  let loaded = false;
  let failing = false;
  const refresh = async () => {
    try {
      await load();
      failing = false;
      loaded = true;
    } catch (error) {
      if (!failing) notify(error);
      failing = true;
      if (onError) onError(error);
    }
  };
  every(millis, async () => {
    if (shown && (!loaded || isActive())) await refresh();
  }, signal);
  return {
    refresh,
    show() {
      shown = true;
      refresh();
    },
    hide() { shown = false; },
  };
}

/**
 * Runs `task` now and then every `millis` (a number, or a function giving
 * the next delay) until `signal` aborts; skipped while the tab is hidden.
 * The task reports its own errors; a failure never stops the polling.
 */
export function every(millis, task, signal) {
  let timer = null;
  const run = async () => {
    if (signal.aborted) return;
    if (!document.hidden) {
      try {
        await task();
      } catch (error) {
        if (!(error && error.name === 'AbortError')) console.warn('trawl ui: polling failed', error);
      }
    }
    if (!signal.aborted) timer = setTimeout(run, typeof millis === 'function' ? millis() : millis);
  };
  signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  run();
}
