import { describe, expect, it } from 'vitest';
import { deckyHealth, fleetSummary, fmtCompact, fmtInt, jwtExp, mergeFeed, pageInfo, queryString, rowSummary, secretText, topCredentials } from './shape';
import type { Credential, LogRow } from './types';

const cred = (p: Partial<Credential>): Credential => ({
  id: 1, attacker_ip: '1.1.1.1', attacker_uuid: null, decky_name: 'd', service: 'ssh', principal: 'root',
  secret_kind: 'password', secret_sha256: 'a'.repeat(64), secret_b64: null, secret_printable: 'toor', outcome: 'failed',
  fields: {}, first_seen: '', last_seen: '', attempt_count: 1, ...p,
});
const row = (id: number, p: Partial<LogRow> = {}): LogRow => ({
  id, timestamp: '2026-04-04T10:00:00Z', decky: 'd', service: 'ssh', event_type: 'connect', attacker_ip: '1.1.1.1', raw_line: '', fields: {}, msg: null, ...p,
});

describe('fleet health', () => {
  it.each([
    ['running', ['running', 'running'], 'up'],
    ['running', ['running', 'failed'], 'degraded'],
    ['stopped', ['running'], 'down'],
    ['failed', [], 'down'],
    ['pending', [], 'pending'],
  ])('%s %j → %s', (state, svc, want) => {
    expect(deckyHealth({ state, services_state: svc.map((s, i) => ({ name: `s${i}`, state: s })) })).toBe(want);
  });
  it('summarises', () => {
    const s = fleetSummary([
      { state: 'running', services_state: [] },
      { state: 'running', services_state: [{ name: 'ssh', state: 'exited' }] },
      { state: 'error', services_state: [] },
    ]);
    expect(s).toEqual({ up: 1, degraded: 1, down: 1, pending: 0, total: 3 });
  });
});

describe('topCredentials', () => {
  it('aggregates by principal and secret', () => {
    const top = topCredentials([
      cred({ attempt_count: 3, attacker_ip: 'a' }),
      cred({ attempt_count: 4, attacker_ip: 'b', service: 'telnet' }),
      cred({ principal: 'admin', secret_printable: 'admin', attempt_count: 5 }),
      cred({ principal: 'x', secret_printable: null, secret_sha256: 'b'.repeat(64), secret_kind: 'key' }),
    ], 2);
    expect(top).toEqual([
      { principal: 'root', secret: 'toor', attempts: 7, attackers: 2, services: ['ssh', 'telnet'] },
      { principal: 'admin', secret: 'admin', attempts: 5, attackers: 1, services: ['ssh'] },
    ]);
  });
  it('describes non-printable secrets', () => {
    expect(secretText({ secret_printable: null, secret_kind: 'key', secret_sha256: 'c'.repeat(64) })).toBe('key sha256:cccccccccccc…');
  });
});

describe('feed', () => {
  it('prepends newest first, dedupes and caps', () => {
    const f = mergeFeed([row(2), row(1)], [row(3), row(2), row(4)], 3);
    expect(f.map((r) => r.id)).toEqual([4, 3, 2]);
  });
  it('orders the feed like the API: timestamp DESC, then id DESC', () => {
    const f = mergeFeed([row(5, { timestamp: '2026-04-04T10:00:01.5Z' })], [row(6, { timestamp: '2026-04-04T10:00:01.2Z' }), row(7, { timestamp: '2026-04-04T10:00:02Z' }), row(8, { timestamp: '2026-04-04T10:00:01.5Z' })]);
    expect(f.map((r) => r.id)).toEqual([7, 8, 5, 6]);
  });
  it('summarises rows', () => {
    expect(rowSummary(row(1, { msg: 'hello' }))).toBe('hello');
    expect(rowSummary(row(1, { fields: { cmd: 'whoami' } }))).toBe('cmd=whoami');
    expect(rowSummary(row(1))).toBe('connect');
  });
});

describe('misc', () => {
  it('formats numbers', () => {
    expect(fmtInt(1234567)).toBe('1,234,567');
    expect(fmtInt(null)).toBe('—');
    expect([fmtCompact(950), fmtCompact(1200), fmtCompact(34000), fmtCompact(1500000)]).toEqual(['950', '1.2k', '34k', '1.5M']);
  });
  it('reads jwt exp', () => {
    const payload = btoa(JSON.stringify({ exp: 1700000000 })).replace(/=+$/, '');
    expect(jwtExp(`h.${payload}.s`)).toBe(1700000000);
    expect(jwtExp('bad')).toBeNull();
    expect(jwtExp('a.!!!.c')).toBeNull();
  });
  it('builds query strings', () => {
    expect(queryString({ limit: 50, search: '', x: null, ids: ['a', 'b'], q: 'a b' })).toBe('?limit=50&ids=a&ids=b&q=a+b');
    expect(queryString({})).toBe('');
  });
  it('computes pages', () => {
    expect(pageInfo(120, 50, 50)).toEqual({ page: 2, pages: 3, hasPrev: true, hasNext: true, from: 51, to: 100 });
    expect(pageInfo(0, 50, 0)).toEqual({ page: 1, pages: 1, hasPrev: false, hasNext: false, from: 0, to: 0 });
  });
});
