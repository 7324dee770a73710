// Data shaping for the overview, fleet and feed views.
import type { Credential, Decky, LogRow } from './types';

/** Thousands-separated integer, `—` for missing. */
export function fmtInt(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return Math.round(n).toLocaleString('en-US');
}

/** Compact count: 950, 1.2k, 34k, 1.5M. */
export function fmtCompact(n: number): string {
  if (!Number.isFinite(n)) return '—';
  const a = Math.abs(n);
  if (a < 1000) return String(Math.round(n));
  if (a < 10_000) return (n / 1000).toFixed(1).replace(/\.0$/, '') + 'k';
  if (a < 1_000_000) return Math.round(n / 1000) + 'k';
  return (n / 1_000_000).toFixed(1).replace(/\.0$/, '') + 'M';
}

/** Health of one decky from its state and its services' states. */
export type DeckyHealth = 'up' | 'degraded' | 'down' | 'pending';

const RUNNING = new Set(['running', 'up', 'ok']);
const PENDING = new Set(['pending', 'creating', 'starting', 'deploying', 'mutating']);

/** Classifies a decky: running with every service running → up; running with some not → degraded. */
export function deckyHealth(d: Pick<Decky, 'state' | 'services_state'>): DeckyHealth {
  const st = (d.state ?? '').toLowerCase();
  if (PENDING.has(st)) return 'pending';
  if (!RUNNING.has(st)) return 'down';
  const svcs = d.services_state ?? [];
  if (svcs.some((s) => !RUNNING.has((s.state ?? '').toLowerCase()))) return 'degraded';
  return 'up';
}

/** Counts deckies per health class. */
export function fleetSummary(deckies: Pick<Decky, 'state' | 'services_state'>[]): Record<DeckyHealth, number> & { total: number } {
  const out = { up: 0, degraded: 0, down: 0, pending: 0, total: deckies.length };
  for (const d of deckies) out[deckyHealth(d)]++;
  return out;
}

/** An aggregated credential pair. */
export interface TopCredential {
  principal: string;
  secret: string;
  attempts: number;
  attackers: number;
  services: string[];
}

/** Displayable secret: printable text, else kind + hash prefix. */
export function secretText(c: Pick<Credential, 'secret_printable' | 'secret_kind' | 'secret_sha256'>): string {
  if (c.secret_printable !== null && c.secret_printable !== undefined) return c.secret_printable;
  if (c.secret_sha256) return `${c.secret_kind ?? 'secret'} sha256:${c.secret_sha256.slice(0, 12)}…`;
  return c.secret_kind ?? '—';
}

/** Aggregates credential rows by (principal, secret), most attempted first. */
export function topCredentials(rows: Credential[], n = 10): TopCredential[] {
  const m = new Map<string, TopCredential & { ips: Set<string>; svc: Set<string> }>();
  for (const r of rows) {
    const principal = r.principal ?? '';
    const secret = secretText(r);
    const k = principal + '\u0000' + secret;
    let e = m.get(k);
    if (!e) {
      e = { principal, secret, attempts: 0, attackers: 0, services: [], ips: new Set(), svc: new Set() };
      m.set(k, e);
    }
    e.attempts += r.attempt_count ?? 1;
    e.ips.add(r.attacker_ip);
    e.svc.add(r.service);
  }
  return [...m.values()]
    .map(({ ips, svc, ...rest }) => ({ ...rest, attackers: ips.size, services: [...svc].sort() }))
    .sort((a, b) => b.attempts - a.attempts || b.attackers - a.attackers || a.principal.localeCompare(b.principal))
    .slice(0, n);
}

/** Prepends new rows to a feed newest-first, dropping duplicate ids, keeping at most max. */
export function mergeFeed(feed: LogRow[], incoming: LogRow[], max = 200): LogRow[] {
  const seen = new Set(feed.map((r) => r.id));
  const fresh = incoming.filter((r) => !seen.has(r.id));
  // The API's order (api.md §4: timestamp DESC, id DESC): ids follow commit order, which can differ from event
  // time across deckies and batches.
  const t = (r: LogRow) => Date.parse(r.timestamp) || 0;
  return [...fresh, ...feed].sort((a, b) => t(b) - t(a) || b.id - a.id).slice(0, max);
}

/** The `exp` claim (epoch seconds) of a JWT, or null. Does not verify anything. */
export function jwtExp(token: string): number | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = JSON.parse(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)));
    return typeof json.exp === 'number' ? json.exp : null;
  } catch {
    return null;
  }
}

/** Query string from params, dropping undefined/null/empty values; arrays repeat the key. */
export function queryString(params: Record<string, string | number | boolean | null | undefined | string[]>): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => sp.append(k, x));
    else sp.append(k, String(v));
  }
  const s = sp.toString();
  return s ? '?' + s : '';
}

/** Short description of a log row for feeds: msg, else a notable field, else the event type. */
export function rowSummary(r: LogRow): string {
  if (r.msg) return r.msg;
  const f = r.fields ?? {};
  for (const k of ['command', 'cmd', 'query', 'input', 'line', 'sql', 'username', 'user', 'path', 'uri']) {
    if (f[k] !== undefined && f[k] !== null && f[k] !== '') return `${k}=${String(f[k])}`;
  }
  return r.event_type;
}

/** Client-side pager maths: page count and whether next/prev exist. */
export function pageInfo(total: number, limit: number, offset: number): { page: number; pages: number; hasPrev: boolean; hasNext: boolean; from: number; to: number } {
  const pages = Math.max(1, Math.ceil(total / limit));
  const page = Math.floor(offset / limit) + 1;
  return { page, pages, hasPrev: offset > 0, hasNext: offset + limit < total, from: total === 0 ? 0 : offset + 1, to: Math.min(total, offset + limit) };
}
