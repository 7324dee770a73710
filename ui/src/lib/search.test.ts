import { describe, expect, it } from 'vitest';
import { buildQuery, classify, matches, parseQuery, tokenize, withFilter, withoutTerm } from './search';

describe('tokenize', () => {
  it.each([
    ['decky:decky-01 cmd:whoami', ['decky:decky-01', 'cmd:whoami']],
    ['"failed password" service:ssh', ['failed password', 'service:ssh']],
    ["  'a b'   c ", ['a b', 'c']],
    ['cmd:"ls -la /tmp"', ['cmd:ls -la /tmp']],
    ['unbalanced "quote here', ['unbalanced', '"quote', 'here']],
    ['', []],
    ['""', ['']],
  ])('%j', (q, want) => expect(tokenize(q)).toEqual(want));
});

describe('classify', () => {
  it('maps column keys', () => {
    expect(classify('decky:d1').kind).toBe('decky');
    expect(classify('service:ssh').kind).toBe('service');
    expect(classify('event:auth_attempt').kind).toBe('event');
    for (const k of ['attacker', 'attacker-ip', 'attacker_ip']) expect(classify(`${k}:1.2.3.4`).kind).toBe('attacker');
  });
  it('reduces field keys to [A-Za-z0-9_]', () => {
    expect(classify('src-ip!:x')).toEqual({ kind: 'field', key: 'src-ip!', value: 'x', field: 'srcip' });
  });
  it('treats empty key or value as text', () => {
    expect(classify(':x').kind).toBe('text');
    expect(classify('x:').kind).toBe('text');
    expect(classify('plain').kind).toBe('text');
  });
  it('splits at the first colon only', () => {
    expect(classify('url:http://x')).toMatchObject({ kind: 'field', key: 'url', value: 'http://x' });
  });
});

describe('build/round-trip', () => {
  it.each(['decky:decky-01 cmd:whoami', '"failed password" service:ssh', 'cmd:"ls -la" root', 'x:"a \\"q\\""'])(
    'round-trips %j',
    (q) => expect(parseQuery(buildQuery(parseQuery(q)))).toEqual(parseQuery(q)),
  );
  it('quotes values with spaces', () => {
    expect(withFilter('', 'cmd', 'ls -la')).toBe('cmd:"ls -la"');
  });
  it('replaces a filter with the same key and keeps others', () => {
    expect(withFilter('service:ssh decky:a', 'decky', 'b')).toBe('service:ssh decky:b');
  });
  it('removes a filter with an empty value', () => {
    expect(withFilter('service:ssh decky:a', 'decky', '')).toBe('service:ssh');
  });
  it('adds text terms once', () => {
    expect(withFilter(withFilter('', '', 'root'), '', 'root')).toBe('root');
  });
  it('removes a term by index', () => {
    expect(withoutTerm('a b:c "d e"', 1)).toBe('a "d e"');
  });
});

describe('matches', () => {
  const row = {
    decky: 'decky-01',
    service: 'ssh',
    event_type: 'command',
    attacker_ip: '5.6.7.8',
    raw_line: '<134>1 2026-04-04T10:16:02Z decky-01 ssh - command [x cmd="whoami"] Failed Password',
    fields: { cmd: 'whoami', port: 22 },
  };
  it.each([
    ['decky:decky-01 cmd:whoami', true],
    ['decky:decky-02', false],
    ['attacker:5.6.7.8 event:command', true],
    ['port:22', true],
    ['"failed password" service:ssh', true],
    ['DECKY-01', true],
    ['cmd:ls', false],
    ['user:root', false],
  ])('%j → %s', (q, want) => expect(matches(parseQuery(q), row)).toBe(want));
});
