import { describe, expect, it } from 'vitest';
import {
  apiTime, boundsParams, fmtAgo, fmtClock, fmtDuration, fmtTime, minutesToDuration, parseDuration,
  parseLocalInputAsUtc, presetBounds, toLocalInputUtc,
} from './time';

describe('formatting', () => {
  it('formats UTC', () => {
    expect(fmtTime('2026-04-04T10:16:02Z')).toBe('2026-04-04 10:16:02 UTC');
    expect(fmtTime('2026-04-04T12:16:02.5+02:00')).toBe('2026-04-04 10:16:02 UTC');
    expect(fmtTime(null)).toBe('—');
    expect(fmtTime('nope')).toBe('—');
    expect(fmtClock('2026-04-04T10:16:02Z')).toBe('10:16:02');
  });
  it.each([
    [45, '45s'],
    [600, '10.0m'],
    [7200, '2.0h'],
    [59.6, '60s'],
    [-1, '—'],
  ])('duration %d → %s', (s, want) => expect(fmtDuration(s)).toBe(want));
  it('formats relative ages', () => {
    const now = Date.parse('2026-04-04T10:00:00Z');
    expect(fmtAgo('2026-04-04T09:59:58Z', now)).toBe('just now');
    expect(fmtAgo('2026-04-04T09:59:18Z', now)).toBe('42 s ago');
    expect(fmtAgo('2026-04-04T09:55:00Z', now)).toBe('5 min ago');
    expect(fmtAgo('2026-04-04T07:00:00Z', now)).toBe('3 h ago');
    expect(fmtAgo('2026-04-02T10:00:00Z', now)).toBe('2 d ago');
    expect(fmtAgo('2026-04-04T10:01:00Z', now)).toBe('in the future');
  });
});

describe('durations (config.md §8)', () => {
  it.each([
    ['30m', 30],
    ['5d', 7200],
    ['1M', 43200],
    ['2y', 1051200],
    ['1Y', 525600],
  ])('%s = %d min', (t, m) => expect(parseDuration(t)).toBe(m));
  it.each(['0m', '5s', '10h', 'm', '-1d', ' 5m', ''])('rejects %j', (t) => expect(parseDuration(t)).toBeNull());
  it('renders minutes back', () => {
    expect(minutesToDuration(30)).toBe('30m');
    expect(minutesToDuration(7200)).toBe('5d');
    expect(minutesToDuration(43200)).toBe('1M');
    expect(minutesToDuration(1051200)).toBe('2y');
  });
});

describe('ranges', () => {
  const now = Date.parse('2026-04-04T10:00:00Z');
  it('computes preset bounds and API params', () => {
    const b = presetBounds('1h', now);
    expect(boundsParams(b)).toEqual({ start_time: '2026-04-04 09:00:00', end_time: '2026-04-04 10:00:00' });
    expect(boundsParams(presetBounds('all', now))).toEqual({});
    expect(boundsParams(presetBounds('bogus', now))).toEqual({});
  });
  it('reads datetime-local values as UTC', () => {
    expect(parseLocalInputAsUtc('2026-04-04T10:15')).toBe(Date.parse('2026-04-04T10:15:00Z'));
    expect(parseLocalInputAsUtc('2026-04-04T10:15:30')).toBe(Date.parse('2026-04-04T10:15:30Z'));
    expect(parseLocalInputAsUtc('')).toBeNaN();
    expect(toLocalInputUtc(now)).toBe('2026-04-04T10:00');
    expect(apiTime(now)).toBe('2026-04-04 10:00:00');
  });
});
