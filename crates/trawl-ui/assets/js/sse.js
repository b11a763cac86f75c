// Server-Sent Events over fetch: EventSource cannot send an Authorization
// header, so the stream is read with fetch and a ReadableStream, parsed here
// (the `event:`, `id:` and `data:` fields of the SSE format), and resumed
// after a dropped connection with `Last-Event-ID`, as EventSource would.

/**
 * Incremental parser of an SSE byte stream: feed it decoded text in chunks of
 * any size; it calls onMessage({event, id, data}) for every complete message.
 * Comment lines (`: keep-alive`) are ignored; `id` is undefined when the
 * message had none (the server's `snapshot`).
 */
export class SseParser {
  constructor(onMessage) {
    this.onMessage = onMessage;
    this.buffer = '';
    this.reset();
  }

  reset() {
    this.event = '';
    this.data = [];
    this.id = undefined;
  }

  push(text) {
    this.buffer += text;
    const newline = /\r\n|\r|\n/g;
    let start = 0;
    let match;
    while ((match = newline.exec(this.buffer)) !== null) {
      // A \r at the very end may be the first half of \r\n: wait for more.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) break;
      this.line(this.buffer.slice(start, match.index));
      start = match.index + match[0].length;
    }
    this.buffer = this.buffer.slice(start);
  }

  line(line) {
    if (line === '') {
      if (this.data.length || this.event) {
        this.onMessage({ event: this.event || 'message', id: this.id, data: this.data.join('\n') });
      }
      this.reset();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = value;
  }
}

/**
 * Follows an SSE endpoint until `signal` aborts. `request(lastEventId)` makes
 * the fetch (the caller adds the token); `onMessage` gets every message with
 * its JSON data parsed; `onStatus` hears 'open', 'retrying' (with the error)
 * and 'closed'. A response that is not 200 ends the stream with an error
 * thrown to the caller (401, 404: reconnecting would not help); a dropped
 * connection reconnects after a growing delay, resuming after the last id.
 */
export async function follow({ request, onMessage, onStatus = () => {}, signal, lastEventId }) {
  let lastId = lastEventId;
  let delay = 500;
  while (!signal.aborted) {
    let response;
    try {
      response = await request(lastId);
    } catch (error) {
      if (signal.aborted) break;
      if (error && error.permanent) throw error;
      onStatus('retrying', error);
      await sleep(delay, signal);
      delay = Math.min(delay * 2, 10_000);
      continue;
    }
    onStatus('open');
    delay = 500;
    const parser = new SseParser((message) => {
      if (message.id !== undefined) lastId = message.id;
      let data = null;
      try {
        data = message.data ? JSON.parse(message.data) : null;
      } catch {
        data = message.data;
      }
      onMessage({ event: message.event, id: message.id, data });
    });
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.push(decoder.decode(value, { stream: true }));
      }
      parser.push(decoder.decode());
    } catch (error) {
      if (signal.aborted) break;
      onStatus('retrying', error);
    } finally {
      reader.releaseLock();
    }
    if (signal.aborted) break;
    // The server ended the stream (it is stopping, or the connection broke):
    // come back after the last event seen.
    await sleep(delay, signal);
    delay = Math.min(delay * 2, 10_000);
  }
  onStatus('closed');
}

function sleep(millis, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, millis);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
