// Live stream client: ticket → EventSource, reconnect with a fresh ticket (tickets are single use) and
// lastEventId so no row is missed across a reconnect.
import { sseTicket, API } from './api';
import { ApiError } from './errors';
import { queryString } from './shape';
import { backoff, maxId, parseFrame } from './stream';
import type { StreamFrame } from './types';

/** Connection state of a live stream. */
export type LiveState = 'connecting' | 'live' | 'retrying' | 'stopped';

/** Options of openLive. */
export interface LiveOpts {
  search?: string;
  onFrame: (f: StreamFrame) => void;
  onState: (s: LiveState, detail?: string) => void;
}

/** Opens the stream; returns a function that closes it. */
export function openLive(opts: LiveOpts): () => void {
  let es: EventSource | null = null;
  let stopped = false;
  let attempt = 0;
  let lastId = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const retry = (detail: string) => {
    es?.close();
    es = null;
    if (stopped) return;
    opts.onState('retrying', detail);
    timer = setTimeout(connect, backoff(attempt++));
  };

  async function connect() {
    if (stopped) return;
    opts.onState(attempt === 0 ? 'connecting' : 'retrying');
    let ticket: string;
    try {
      ticket = await sseTicket();
    } catch (e) {
      if (e instanceof ApiError && (e.kind === 'unauthenticated' || e.kind === 'must-change-password' || e.kind === 'forbidden')) {
        opts.onState('stopped', e.message);
        return;
      }
      retry(e instanceof Error ? e.message : String(e));
      return;
    }
    if (stopped) return;
    const url = API + '/stream' + queryString({ ticket, lastEventId: lastId || undefined, search: opts.search });
    es = new EventSource(url);
    es.addEventListener('open', () => {
      attempt = 0;
      opts.onState('live');
    });
    es.addEventListener('message', (ev) => {
      const f = parseFrame((ev as MessageEvent).data);
      if (!f) return;
      if (f.type === 'logs') lastId = maxId(f.data, lastId);
      opts.onFrame(f);
    });
    es.addEventListener('error', (ev) => {
      const data = (ev as MessageEvent).data;
      const f = typeof data === 'string' ? parseFrame(data) : null;
      // The browser would retry with the same (already used) ticket: take over and reconnect ourselves.
      retry(f && f.type === 'error' ? f.message : 'Connection lost');
    });
  }

  void connect();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    es?.close();
    opts.onState('stopped');
  };
}
