// Events histogram (uPlot bars) and the traversal diagram (SVG).
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Series } from '../lib/histogram';
import { fmtClock, fmtTime } from '../lib/time';
import type { TraversalLayout } from '../lib/traversal';

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/** Short axis label of a count: 950, 12k, 1.5M (so five-digit counts fit the axis). */
function compact(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toFixed(1)}k`;
  return String(+v.toFixed(2));
}

/** Bar chart of a zero-filled histogram series. */
export function HistogramChart(props: { series: Series; height?: number; intervalMin: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const height = props.height ?? 180;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const accent = cssVar('--accent', '#3fb950');
    const grid = cssVar('--border', '#30363d');
    const text = cssVar('--muted', '#8b949e');
    const bars = uPlot.paths.bars!({ size: [0.8, 40], align: 1 });
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: false },
      cursor: { y: false, points: { show: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
      axes: [
        { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, font: '11px system-ui' },
        { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, font: '11px system-ui', size: 48, values: (_u, splits) => splits.map(compact) },
      ],
      series: [{}, { label: 'events', stroke: accent, fill: accent + '99', width: 1, paths: bars, points: { show: false } }],
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
    };
    plot.current = new uPlot(opts, [props.series.xs, props.series.ys], el);
    // Performance mark the e2e suite reads (first meaningful paint of the overview: stats + histogram drawn).
    if (performance.getEntriesByName('decnet:histogram').length === 0) performance.mark('decnet:histogram');
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [height]);

  useEffect(() => {
    plot.current?.setData([props.series.xs, props.series.ys]);
  }, [props.series]);

  return <div class="chart" ref={box} aria-label={`Events per ${props.intervalMin} minutes`} role="img" />;
}

/** Swim-lane traversal diagram. */
export function TraversalDiagram(props: { layout: TraversalLayout }) {
  const l = props.layout;
  if (l.points.length === 0) return null;
  const axisY = l.height - 12;
  return (
    <svg class="traversal" viewBox={`0 0 ${l.width} ${l.height}`} width="100%" role="img" aria-label="Attacker traversal across deckies">
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead" />
        </marker>
      </defs>
      {l.lanes.map((lane, i) => (
        <g key={lane.decky}>
          <line x1={0} x2={l.width} y1={lane.y} y2={lane.y} class="lane" />
          <text x={8} y={lane.y - 4} class="lane-label">
            {i + 1}. {lane.decky}
          </text>
          <text x={8} y={lane.y + 12} class="lane-sub">
            {lane.hops} event{lane.hops === 1 ? '' : 's'}
          </text>
        </g>
      ))}
      <path d={l.d} class="trail" marker-end="url(#arrow)" />
      {l.points.map((p, i) => (
        <circle key={i} cx={p.x} cy={p.y} r={l.points.length > 80 ? (p.transition ? 3 : 2) : p.transition ? 5 : 3} class={p.transition ? 'hop transition' : 'hop'}>
          <title>
            {fmtTime(p.hop.timestamp)} · {p.hop.decky} · {p.hop.service} · {p.hop.event_type}
          </title>
        </circle>
      ))}
      {Number.isFinite(l.start) && (
        <>
          <text x={l.points[0].x} y={axisY} class="axis-label" text-anchor="start">
            {fmtClock(new Date(l.start).toISOString())}
          </text>
          <text x={l.points[l.points.length - 1].x} y={axisY} class="axis-label" text-anchor="end">
            {fmtClock(new Date(l.end).toISOString())}
          </text>
        </>
      )}
    </svg>
  );
}
