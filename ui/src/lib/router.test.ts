import { describe, expect, it } from 'vitest';
import { matchRoute, resolve } from './router';
import { backoff, maxId, parseFrame } from './stream';

describe('router', () => {
  it('matches params and trailing slashes', () => {
    expect(matchRoute('/attackers/:uuid', '/attackers/abc-1')).toEqual({ uuid: 'abc-1' });
    expect(matchRoute('/attackers/:uuid', '/attackers/')).toBeNull();
    expect(matchRoute('/', '/')).toEqual({});
    expect(matchRoute('/fleet', '/fleet/?x=1')).toEqual({});
    expect(matchRoute('/fleet', '/fleet/deploy')).toBeNull();
    expect(matchRoute('/a/:x', '/a/%E0%A4%A')).toBeNull();
  });
  it('resolves the first route', () => {
    const r = resolve([{ path: '/attackers', view: 1 }, { path: '/attackers/:uuid', view: 2 }], '/attackers/u');
    expect(r).toEqual({ view: 2, params: { uuid: 'u' } });
    expect(resolve([{ path: '/', view: 1 }], '/nope')).toBeNull();
  });
});

describe('stream frames', () => {
  it('parses known frames', () => {
    expect(parseFrame('{"type":"stats","data":{"total_logs":1}}')).toEqual({ type: 'stats', data: { total_logs: 1 } });
    expect(parseFrame('{"type":"logs","data":[{"id":1}]}')).toEqual({ type: 'logs', data: [{ id: 1 }] });
    expect(parseFrame('{"type":"error","message":"Stream interrupted"}')).toEqual({ type: 'error', message: 'Stream interrupted' });
  });
  it('rejects junk', () => {
    for (const s of ['', 'null', '{"type":"logs","data":{}}', '{"type":"x"}', '[1]', '{"type":"stats"}']) expect(parseFrame(s)).toBeNull();
  });
  it('tracks ids and backs off', () => {
    expect(maxId([{ id: 3 }, { id: 9 }, { id: 1 }], 5)).toBe(9);
    expect([backoff(0), backoff(3), backoff(10)]).toEqual([1000, 8000, 30000]);
  });
});
