import { describe, expect, it } from 'vitest';
import { bucketStart, bucketTimestamps, chooseInterval, fillSeries, mergeHist, totalCount } from './histogram';

describe('bucketStart', () => {
  it('floors to the interval like the server', () => {
    expect(bucketStart(Date.parse('2026-04-04T10:16:02Z'), 15)).toBe(Date.parse('2026-04-04T10:15:00Z') / 1000);
    expect(bucketStart(Date.parse('2026-04-04T10:14:59Z'), 15)).toBe(Date.parse('2026-04-04T10:00:00Z') / 1000);
    expect(bucketStart(Date.parse('2026-04-04T10:59:59Z'), 60)).toBe(Date.parse('2026-04-04T10:00:00Z') / 1000);
  });
});

describe('chooseInterval', () => {
  it.each([
    [60, 1],
    [1440, 15],
    [10080, 180],
    [43200, 360],
    [1e9, 10080],
  ])('%d min → %d', (r, want) => expect(chooseInterval(r)).toBe(want));
});

describe('bucketTimestamps', () => {
  it('counts per bucket ascending and omits empty buckets', () => {
    const got = bucketTimestamps(
      ['2026-04-04T10:16:02Z', '2026-04-04T10:01:00Z', '2026-04-04T10:29:59Z', '2026-04-04T11:00:00Z', 'garbage'],
      15,
    );
    expect(got).toEqual([
      { time: '2026-04-04T10:00:00Z', count: 1 },
      { time: '2026-04-04T10:15:00Z', count: 2 },
      { time: '2026-04-04T11:00:00Z', count: 1 },
    ]);
    expect(totalCount(got)).toBe(4);
  });
});

describe('mergeHist', () => {
  it('sums by time', () => {
    expect(
      mergeHist([{ time: '2026-04-04T10:00:00Z', count: 2 }], [
        { time: '2026-04-04T10:00:00Z', count: 3 },
        { time: '2026-04-04T09:45:00Z', count: 1 },
      ]),
    ).toEqual([
      { time: '2026-04-04T09:45:00Z', count: 1 },
      { time: '2026-04-04T10:00:00Z', count: 5 },
    ]);
  });
});

describe('fillSeries', () => {
  const pts = [
    { time: '2026-04-04T10:00:00Z', count: 2 },
    { time: '2026-04-04T10:45:00Z', count: 7 },
  ];
  it('zero-fills between the points', () => {
    const s = fillSeries(pts, 15, null, null);
    expect(s.ys).toEqual([2, 0, 0, 7]);
    expect(s.xs[1] - s.xs[0]).toBe(900);
  });
  it('extends to explicit bounds', () => {
    const s = fillSeries(pts, 15, Date.parse('2026-04-04T09:40:00Z'), Date.parse('2026-04-04T11:05:00Z'));
    expect(s.ys).toEqual([0, 0, 2, 0, 0, 7, 0]); // 09:30 … 11:00
    expect(s.xs[0]).toBe(Date.parse('2026-04-04T09:30:00Z') / 1000);
  });
  it('keeps only the newest maxBuckets', () => {
    const s = fillSeries(pts, 15, null, null, 2);
    expect(s.ys).toEqual([0, 7]);
  });
  it('is empty without data or bounds', () => {
    expect(fillSeries([], 15, null, null)).toEqual({ xs: [], ys: [] });
  });
});
