// A server-sent event stream (the web page's /ui/events) read into memory as it arrives, with
// its `event: model` payloads parsed, for tests that wait on what the page would be shown.

export interface EventStream {
  /** Everything received so far. */
  readonly text: string;
  /** The `model` events received so far, parsed, oldest first. */
  models<T = unknown>(): T[];
  /** Close the connection. */
  stop(): void;
}

/** Opens `url` and keeps reading in the background until stop(); throws unless it answers 200 with a body. */
export async function openEventStream(url: string): Promise<EventStream> {
  const ac = new AbortController();
  const res = await fetch(url, { signal: ac.signal });
  if (res.status !== 200 || !res.body) throw new Error(`GET ${url}: ${res.status}`);
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let text = '';
  void (async () => {
    for (;;) {
      const chunk = await reader.read().catch(() => undefined);
      if (!chunk || chunk.done) return;
      text += dec.decode(chunk.value, { stream: true });
    }
  })();
  return {
    get text() {
      return text;
    },
    models<T>(): T[] {
      return text
        .split('\n\n')
        .filter((frame) => frame.startsWith('event: model\ndata: '))
        .map((frame) => JSON.parse(frame.slice('event: model\ndata: '.length)) as T);
    },
    stop: () => ac.abort(),
  };
}
