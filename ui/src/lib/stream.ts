// Parsing of SSE frames of /api/v1/stream.
import type { StreamFrame } from './types';

/** Parses the `data:` of a stream event; null for anything that is not a known frame. */
export function parseFrame(data: string): StreamFrame | null {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object') return null;
  const o = v as { type?: unknown; data?: unknown; message?: unknown };
  switch (o.type) {
    case 'stats':
      return o.data && typeof o.data === 'object' ? ({ type: 'stats', data: o.data } as StreamFrame) : null;
    case 'histogram':
    case 'logs':
      return Array.isArray(o.data) ? ({ type: o.type, data: o.data } as StreamFrame) : null;
    case 'error':
      return { type: 'error', message: typeof o.message === 'string' ? o.message : 'Stream interrupted' };
  }
  return null;
}

/** Highest log id among rows (for `lastEventId` on reconnect). */
export function maxId(rows: { id: number }[], prev = 0): number {
  return rows.reduce((m, r) => (r.id > m ? r.id : m), prev);
}

/** Reconnect delay with capped exponential backoff (ms). */
export function backoff(attempt: number, base = 1000, cap = 30000): number {
  return Math.min(cap, base * 2 ** Math.max(0, attempt));
}
