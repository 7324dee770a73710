// Traversal path layout: an attacker's hops across deckies drawn as a swim-lane diagram — one lane per decky (in
// traversal order), x = time, a path through the hops in time order.

/** One hop of an attacker (an event on a decky). */
export interface Hop {
  timestamp: string;
  decky: string;
  service: string;
  event_type: string;
}

/** A lane of the diagram. */
export interface Lane {
  decky: string;
  y: number;
  hops: number;
}

/** A positioned hop. */
export interface Point {
  x: number;
  y: number;
  hop: Hop;
  /** True when this hop is on a different decky than the previous one (or is the first). */
  transition: boolean;
}

/** The computed diagram. */
export interface TraversalLayout {
  width: number;
  height: number;
  lanes: Lane[];
  points: Point[];
  /** SVG path `d` through the points (cubic steps between lanes). */
  d: string;
  transitions: number;
  start: number;
  end: number;
}

/** Layout options. */
export interface LayoutOpts {
  width: number;
  laneHeight: number;
  padLeft: number;
  padRight: number;
  padTop: number;
  maxPoints: number;
}

const DEFAULTS: LayoutOpts = { width: 900, laneHeight: 48, padLeft: 150, padRight: 24, padTop: 28, maxPoints: 400 };

/** Deckies in first-contact order; pseudo-deckies (`decnet-*`) skipped as in events.md §7. */
export function deckyOrder(hops: Hop[], preferred: string[] = []): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const d of preferred) if (!d.startsWith('decnet-') && !seen.has(d)) (seen.add(d), out.push(d));
  const sorted = sortHops(hops);
  for (const h of sorted) if (!h.decky.startsWith('decnet-') && !seen.has(h.decky)) (seen.add(h.decky), out.push(h.decky));
  return out;
}

/** Stable time sort. */
export function sortHops(hops: Hop[]): Hop[] {
  return hops
    .map((h, i) => ({ h, i, t: Date.parse(h.timestamp) }))
    .filter((x) => Number.isFinite(x.t))
    .sort((a, b) => a.t - b.t || a.i - b.i)
    .map((x) => x.h);
}

/**
 * thinHops keeps at most max hops while preserving every decky change: first and last hop of each run on one
 * decky are kept before anything else.
 */
export function thinHops(hops: Hop[], max: number): Hop[] {
  if (hops.length <= max) return hops;
  const keep = new Set<number>();
  for (let i = 0; i < hops.length; i++) {
    if (i === 0 || i === hops.length - 1 || hops[i].decky !== hops[i - 1].decky || hops[i].decky !== hops[i + 1]?.decky) keep.add(i);
  }
  const key = [...keep].sort((a, b) => a - b);
  if (key.length >= max) {
    // Too many changes: sample evenly, always keeping the ends.
    const out: Hop[] = [];
    for (let k = 0; k < max; k++) out.push(hops[key[Math.round((k * (key.length - 1)) / (max - 1))]]);
    return out;
  }
  const budget = max - key.length;
  const rest = hops.map((_, i) => i).filter((i) => !keep.has(i));
  for (let k = 0; k < budget; k++) keep.add(rest[Math.floor((k * rest.length) / budget)]);
  return [...keep].sort((a, b) => a - b).map((i) => hops[i]);
}

/** Computes the diagram for hops; `preferred` is the attacker's `deckies` (traversal order). */
export function layoutTraversal(hops: Hop[], preferred: string[] = [], opts: Partial<LayoutOpts> = {}): TraversalLayout {
  const o = { ...DEFAULTS, ...opts };
  const sorted = thinHops(
    sortHops(hops).filter((h) => !h.decky.startsWith('decnet-')),
    o.maxPoints,
  );
  const order = deckyOrder(sorted, preferred);
  const laneY = new Map<string, number>();
  const lanes: Lane[] = order.map((decky, i) => {
    const y = o.padTop + i * o.laneHeight + o.laneHeight / 2;
    laneY.set(decky, y);
    return { decky, y, hops: 0 };
  });
  const height = o.padTop + order.length * o.laneHeight + 28;
  const times = sorted.map((h) => Date.parse(h.timestamp));
  const start = times.length ? times[0] : NaN;
  const end = times.length ? times[times.length - 1] : NaN;
  const span = end - start;
  const x0 = o.padLeft;
  const x1 = o.width - o.padRight;
  const points: Point[] = sorted.map((hop, i) => {
    const x = span > 0 ? x0 + ((times[i] - start) / span) * (x1 - x0) : sorted.length > 1 ? x0 + (i / (sorted.length - 1)) * (x1 - x0) : (x0 + x1) / 2;
    const y = laneY.get(hop.decky) ?? 0;
    return { x: round(x), y, hop, transition: i === 0 || hop.decky !== sorted[i - 1].decky };
  });
  for (const p of points) {
    const lane = lanes.find((l) => l.decky === p.hop.decky);
    if (lane) lane.hops++;
  }
  let d = '';
  let transitions = 0;
  points.forEach((p, i) => {
    if (i === 0) {
      d = `M${p.x},${p.y}`;
      return;
    }
    const prev = points[i - 1];
    if (prev.y === p.y) d += ` L${p.x},${p.y}`;
    else {
      transitions++;
      const mx = round((prev.x + p.x) / 2);
      d += ` C${mx},${prev.y} ${mx},${p.y} ${p.x},${p.y}`;
    }
  });
  if (points.length === 1) d += ` L${points[0].x},${points[0].y}`;
  return { width: o.width, height, lanes, points, d, transitions, start, end };
}

/** Splits a stored `traversal_path` (`a → b → c`). */
export function splitPath(path: string | null): string[] {
  if (!path) return [];
  return path
    .split('→')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
