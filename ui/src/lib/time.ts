// Time formatting and range helpers. Everything is UTC: the API speaks UTC and operators
// compare dashboard times with syslog lines.

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Parses an API timestamp; returns NaN for null/invalid input. */
export function parseTs(ts: string | null | undefined): number {
  if (!ts) return NaN;
  return Date.parse(ts);
}

/** `YYYY-MM-DD HH:MM:SS` (UTC) of an epoch-milliseconds value. */
export function apiTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())}`;
}

/** `YYYY-MM-DD HH:MM:SS UTC`, or an em dash for missing values. */
export function fmtTime(ts: string | null | undefined): string {
  const ms = parseTs(ts);
  if (!Number.isFinite(ms)) return '—';
  return apiTime(ms) + ' UTC';
}

/** `HH:MM:SS` (UTC), for dense feeds. */
export function fmtClock(ts: string | null | undefined): string {
  const ms = parseTs(ts);
  if (!Number.isFinite(ms)) return '—';
  return apiTime(ms).slice(11);
}

/** Relative age such as `just now`, `42 s ago`, `5 min ago`, `3 h ago`, `2 d ago`. */
export function fmtAgo(ts: string | null | undefined, now: number = Date.now()): string {
  const ms = parseTs(ts);
  if (!Number.isFinite(ms)) return '—';
  const s = Math.round((now - ms) / 1000);
  if (s < 0) return 'in the future';
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** Duration text as events.md §7 defines it: `45s`, `10.0m`, `2.0h`. */
export function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${(seconds / 60).toFixed(1)}m`;
  return `${(seconds / 3600).toFixed(1)}h`;
}

/** Minutes → the API duration syntax when exact (`30m`, `5d`, `1M`, `2y`), else `<n>m`. */
export function minutesToDuration(min: number): string {
  if (min > 0 && min % 525600 === 0) return `${min / 525600}y`;
  if (min > 0 && min % 43200 === 0) return `${min / 43200}M`;
  if (min > 0 && min % 1440 === 0) return `${min / 1440}d`;
  return `${min}m`;
}

const DURATION_RE = /^[1-9][0-9]*[mdMyY]$/;
const UNIT_MIN: Record<string, number> = { m: 1, d: 1440, M: 43200, y: 525600, Y: 525600 };

/** Minutes of an API duration (`config.md` §8), or null when the text is not one. */
export function parseDuration(text: string): number | null {
  if (!DURATION_RE.test(text)) return null;
  const n = Number(text.slice(0, -1));
  return n * UNIT_MIN[text.slice(-1)];
}

/** A named time-range preset of the explorer. */
export interface RangePreset {
  id: string;
  label: string;
  minutes: number | null; // null = all time
}

export const RANGE_PRESETS: RangePreset[] = [
  { id: '15m', label: 'Last 15 min', minutes: 15 },
  { id: '1h', label: 'Last hour', minutes: 60 },
  { id: '24h', label: 'Last 24 h', minutes: 1440 },
  { id: '7d', label: 'Last 7 days', minutes: 10080 },
  { id: '30d', label: 'Last 30 days', minutes: 43200 },
  { id: 'all', label: 'All time', minutes: null },
];

/** Concrete bounds of a range, in epoch ms (null = unbounded). */
export interface Bounds {
  start: number | null;
  end: number | null;
}

/** Bounds of a preset id at `now`; unknown ids mean "all time". */
export function presetBounds(id: string, now: number): Bounds {
  const p = RANGE_PRESETS.find((r) => r.id === id);
  if (!p || p.minutes === null) return { start: null, end: null };
  return { start: now - p.minutes * 60_000, end: now };
}

/** Reads a `<input type=datetime-local>` value as UTC; NaN when invalid/empty. */
export function parseLocalInputAsUtc(v: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(v.trim());
  if (!m) return NaN;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], m[6] ? +m[6] : 0);
}

/** The `datetime-local` value (UTC, minutes precision) of an epoch-ms value. */
export function toLocalInputUtc(ms: number): string {
  return apiTime(ms).slice(0, 16).replace(' ', 'T');
}

/** Query parameters `start_time`/`end_time` for bounds (absent keys for open ends). */
export function boundsParams(b: Bounds): Record<string, string> {
  const out: Record<string, string> = {};
  if (b.start !== null && Number.isFinite(b.start)) out.start_time = apiTime(b.start);
  if (b.end !== null && Number.isFinite(b.end)) out.end_time = apiTime(b.end);
  return out;
}
