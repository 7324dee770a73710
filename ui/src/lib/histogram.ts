// Histogram bucketing: the server's rule (bucket = floor(epoch / (interval×60)) × interval×60, empty buckets
// omitted) mirrored client-side, plus zero-filling for the chart.
import type { HistPoint } from './types';

/** Interval steps (minutes) the UI picks from. */
export const INTERVAL_STEPS = [1, 5, 15, 30, 60, 180, 360, 720, 1440, 10080];

/** Bucket start (epoch seconds) of an epoch-ms instant. */
export function bucketStart(ms: number, intervalMin: number): number {
  const w = intervalMin * 60;
  return Math.floor(ms / 1000 / w) * w;
}

/** Smallest interval step giving at most maxBuckets buckets over rangeMin minutes. */
export function chooseInterval(rangeMin: number, maxBuckets = 120): number {
  for (const s of INTERVAL_STEPS) if (rangeMin / s <= maxBuckets) return s;
  return INTERVAL_STEPS[INTERVAL_STEPS.length - 1];
}

/** Buckets timestamps (RFC 3339) like the server, ascending, empty buckets omitted. */
export function bucketTimestamps(timestamps: string[], intervalMin: number): HistPoint[] {
  const counts = new Map<number, number>();
  for (const ts of timestamps) {
    const ms = Date.parse(ts);
    if (!Number.isFinite(ms)) continue;
    const b = bucketStart(ms, intervalMin);
    counts.set(b, (counts.get(b) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([s, count]) => ({ time: new Date(s * 1000).toISOString().replace('.000Z', 'Z'), count }));
}

/** Sums two histograms point-wise by bucket time. */
export function mergeHist(a: HistPoint[], b: HistPoint[]): HistPoint[] {
  const m = new Map<number, number>();
  for (const p of [...a, ...b]) {
    const t = Date.parse(p.time);
    if (!Number.isFinite(t)) continue;
    m.set(t, (m.get(t) ?? 0) + p.count);
  }
  return [...m.entries()]
    .sort((x, y) => x[0] - y[0])
    .map(([t, count]) => ({ time: new Date(t).toISOString().replace('.000Z', 'Z'), count }));
}

/** Aligned arrays for the chart: x = bucket start in epoch seconds, y = count. */
export interface Series {
  xs: number[];
  ys: number[];
}

/**
 * fillSeries turns sparse points into a dense series of every bucket between start and end (epoch ms; null →
 * first/last point), zero where the server omitted a bucket. At most maxBuckets buckets are produced (the newest).
 */
export function fillSeries(
  points: HistPoint[],
  intervalMin: number,
  start: number | null,
  end: number | null,
  maxBuckets = 2000,
): Series {
  const w = intervalMin * 60;
  const byT = new Map<number, number>();
  for (const p of points) {
    const ms = Date.parse(p.time);
    if (!Number.isFinite(ms)) continue;
    const b = bucketStart(ms, intervalMin);
    byT.set(b, (byT.get(b) ?? 0) + p.count);
  }
  const keys = [...byT.keys()].sort((a, b) => a - b);
  if (keys.length === 0 && (start === null || end === null)) return { xs: [], ys: [] };
  const first = start !== null ? bucketStart(start, intervalMin) : keys[0];
  const last = end !== null ? bucketStart(end, intervalMin) : keys[keys.length - 1];
  if (last < first) return { xs: [], ys: [] };
  let from = first;
  if ((last - first) / w + 1 > maxBuckets) from = last - (maxBuckets - 1) * w;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let t = from; t <= last; t += w) {
    xs.push(t);
    ys.push(byT.get(t) ?? 0);
  }
  return { xs, ys };
}

/** Sum of counts. */
export function totalCount(points: HistPoint[]): number {
  return points.reduce((s, p) => s + p.count, 0);
}
