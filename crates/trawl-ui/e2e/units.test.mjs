// Unit tests of the UI's pure parts, in node (no browser): the SSE parser
// at every chunk boundary, event levels (as trawl-events decides them), the
// pipeline's counts, and which controls a run's state allows. Run by
// crates/trawl/tests/it/ui.rs as `node --test`.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { allowedActions } from '../assets/js/format.js';
import { levelOf, summary } from '../assets/js/log.js';
import { count, emptyCounts } from '../assets/js/pipeline.js';
import { SseParser } from '../assets/js/sse.js';

const STREAM = 'event: snapshot\ndata: {"run_id":1}\n\n'
  + ': keep-alive\n\n'
  + 'id: 7\r\nevent: request_fetched\r\ndata: {"seq":7,\r\ndata: "kind":"request_fetched"}\r\n\r\n'
  + 'id:8\nevent:run_state_changed\ndata:{"to":"paused"}\n\n'
  + 'data: no event name\n\n';

function parse(chunks) {
  const messages = [];
  const parser = new SseParser((message) => messages.push(message));
  for (const chunk of chunks) parser.push(chunk);
  return messages;
}

test('sse messages are parsed whole, whatever the chunking', () => {
  const whole = parse([STREAM]);
  assert.deepEqual(whole, [
    { event: 'snapshot', id: undefined, data: '{"run_id":1}' },
    { event: 'request_fetched', id: '7', data: '{"seq":7,\n"kind":"request_fetched"}' },
    { event: 'run_state_changed', id: '8', data: '{"to":"paused"}' },
    { event: 'message', id: undefined, data: 'no event name' },
  ]);
  for (let cut = 1; cut < STREAM.length; cut += 1) {
    assert.deepEqual(parse([STREAM.slice(0, cut), STREAM.slice(cut)]), whole, `cut at ${cut}`);
  }
  assert.deepEqual(parse(STREAM.split('')), whole, 'one character at a time');
});

test('an unfinished message is held back', () => {
  assert.deepEqual(parse(['id: 1\ndata: {"a":1}\n']), []);
});

test('levels follow trawl-events', () => {
  assert.equal(levelOf({ kind: 'request_scheduled' }), 'debug');
  assert.equal(levelOf({ kind: 'request_fetched', outcome: 'ok' }), 'info');
  assert.equal(levelOf({ kind: 'request_fetched', outcome: 'not_html' }), 'info');
  assert.equal(levelOf({ kind: 'request_fetched', outcome: 'http_404' }), 'warn');
  assert.equal(levelOf({ kind: 'request_failed' }), 'warn');
  assert.equal(levelOf({ kind: 'run_state_changed', to: 'failed' }), 'error');
  assert.equal(levelOf({ kind: 'run_state_changed', to: 'paused' }), 'info');
  assert.equal(levelOf({ kind: 'export_written' }), 'info');
});

test('summaries say what happened', () => {
  assert.equal(summary({ kind: 'run_state_changed', from: 'running', to: 'paused', reason: 'pause_requested' }),
    'running → paused (pause_requested)');
  assert.match(summary({ kind: 'request_failed', url: 'http://x/', outcome: 'timeout_total', error: 'took too long' }),
    /http:\/\/x\/ \[timeout_total\] took too long/);
  assert.equal(summary({ kind: 'some_future_kind', run_id: 1, seq: 2, at_millis: 3, answer: 42 }), 'answer=42');
});

test('the pipeline counts each step', () => {
  const counts = emptyCounts();
  for (const event of [
    { kind: 'request_scheduled' }, { kind: 'request_scheduled' }, { kind: 'request_scheduled' },
    { kind: 'request_fetched', outcome: 'ok', bytes: 100 },
    { kind: 'request_fetched', outcome: 'http_404', bytes: 10 },
    { kind: 'request_failed' },
    { kind: 'page_extracted', items: 2, items_dropped: 1, links_found: 9, links_followed: 3 },
    { kind: 'checkpoint_committed', pages: 2, items_inserted: 2, items_duplicate: 0 },
    { kind: 'request_started' },
  ]) count(counts, event);
  assert.equal(counts.scheduled, 3);
  assert.equal(counts.fetched, 2);
  assert.equal(counts.fetchedNotOk, 1);
  assert.equal(counts.failed, 1);
  assert.equal(counts.bytes, 110);
  assert.equal(counts.items, 2);
  assert.equal(counts.linksFollowed, 3);
  assert.equal(counts.itemsStored, 2);
  assert.equal(counts.committedPages, 2);
});

test('controls follow the run lifecycle', () => {
  assert.deepEqual(allowedActions('running'), { pause: true, resume: false, cancel: true });
  assert.deepEqual(allowedActions('paused'), { pause: false, resume: true, cancel: true });
  assert.deepEqual(allowedActions('queued'), { pause: false, resume: false, cancel: true });
  assert.deepEqual(allowedActions('cancelled'), { pause: false, resume: true, cancel: false });
  assert.deepEqual(allowedActions('succeeded'), { pause: false, resume: false, cancel: false });
});
