import { Fragment } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { HistogramChart } from '../components/charts';
import { Badge, Card, KV, PageHead, Pager, Show, useAsync } from '../components/ui';
import { get } from '../lib/api';
import { chooseInterval, fillSeries } from '../lib/histogram';
import { parseQuery, termText, withFilter, withoutTerm } from '../lib/search';
import { fmtInt, rowSummary } from '../lib/shape';
import { boundsParams, fmtTime, parseLocalInputAsUtc, presetBounds, RANGE_PRESETS, toLocalInputUtc, type Bounds } from '../lib/time';
import type { HistPoint, LogRow, Page } from '../lib/types';
import { setQuery, useLocation } from '../router';

const LIMIT = 50;

export function LogsPage() {
  const loc = useLocation();
  const [draft, setDraft] = useState(loc.search.get('q') ?? '');
  const [q, setQ] = useState(loc.search.get('q') ?? '');
  const [range, setRange] = useState(loc.search.get('range') ?? '24h');
  const [custom, setCustom] = useState({ from: '', to: '' });
  const [offset, setOffset] = useState(0);
  const [stamp, setStamp] = useState(Date.now());
  const [open, setOpen] = useState<number | null>(null);

  const bounds: Bounds = useMemo(() => {
    if (range === 'custom') {
      const s = parseLocalInputAsUtc(custom.from);
      const e = parseLocalInputAsUtc(custom.to);
      return { start: Number.isFinite(s) ? s : null, end: Number.isFinite(e) ? e : null };
    }
    return presetBounds(range, stamp);
  }, [range, custom, stamp]);
  const rangeMin = bounds.start !== null ? ((bounds.end ?? stamp) - bounds.start) / 60000 : 30 * 1440;
  const interval = chooseInterval(rangeMin);
  const params = { search: q, ...boundsParams(bounds) };

  const logs = useAsync(
    (s) => {
      setQuery({ q, range: range === '24h' ? null : range });
      return get<Page<LogRow>>('/logs', { ...params, limit: LIMIT, offset }, s);
    },
    [q, bounds.start, bounds.end, offset],
  );
  const hist = useAsync((s) => get<HistPoint[]>('/logs/histogram', { ...params, interval_minutes: interval }, s), [q, bounds.start, bounds.end, interval]);
  const series = useMemo(() => fillSeries(hist.data ?? [], interval, bounds.start, bounds.end), [hist.data, interval, bounds.start, bounds.end]);

  const apply = (next: string) => {
    setDraft(next);
    setQ(next.trim());
    setOffset(0);
    setStamp(Date.now());
  };
  const terms = parseQuery(q);

  return (
    <div class="page" data-page="logs">
      <PageHead title="Logs" sub="Every recorded event. Filter with key:value terms; all terms must match." />
      <Card>
        <form
          class="searchbar"
          onSubmit={(e) => {
            e.preventDefault();
            apply(draft);
          }}
        >
          <input
            class="search grow mono"
            value={draft}
            placeholder='e.g. service:ssh decky:decky-01 cmd:whoami "failed password"'
            onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
            aria-label="Search events"
            maxLength={512}
            data-testid="logs-search"
          />
          <select value={range} onChange={(e) => (setRange((e.target as HTMLSelectElement).value), setOffset(0), setStamp(Date.now()))} aria-label="Time range">
            {RANGE_PRESETS.map((r) => (
              <option value={r.id}>{r.label}</option>
            ))}
            <option value="custom">Custom…</option>
          </select>
          <button class="btn primary" type="submit">
            Search
          </button>
        </form>
        {range === 'custom' && (
          <div class="row gap-s pad-t">
            <label class="inline">
              From (UTC) <input type="datetime-local" value={custom.from || toLocalInputUtc(stamp - 86400000)} onChange={(e) => (setCustom({ ...custom, from: (e.target as HTMLInputElement).value }), setOffset(0))} />
            </label>
            <label class="inline">
              To (UTC) <input type="datetime-local" value={custom.to || toLocalInputUtc(stamp)} onChange={(e) => (setCustom({ ...custom, to: (e.target as HTMLInputElement).value }), setOffset(0))} />
            </label>
          </div>
        )}
        <div class="chips pad-t">
          {terms.map((t, i) => (
            <span class={`chip k-${t.kind}`}>
              <span class="chip-kind">{t.kind === 'text' ? 'contains' : t.kind === 'field' ? `field ${t.field}` : t.kind}</span>
              <span class="mono">{t.kind === 'text' ? termText(t) : t.value}</span>
              <button class="chip-x" aria-label={`Remove ${termText(t)}`} onClick={() => apply(withoutTerm(q, i))}>
                ×
              </button>
            </span>
          ))}
          {terms.length === 0 && (
            <span class="muted small">
              Keys: <code>decky:</code> <code>service:</code> <code>event:</code> <code>attacker:</code> or any event field (<code>cmd:</code>, <code>user:</code>…). Quote phrases with "…".
            </span>
          )}
        </div>
      </Card>
      <Card title={`Events per ${interval >= 60 ? interval / 60 + ' h' : interval + ' min'} (UTC)`}>
        <Show a={hist} empty={(h) => h.length === 0} emptyTitle="No events in this range" emptyHint="Widen the time range or remove a filter.">
          {() => <HistogramChart series={series} intervalMin={interval} height={140} />}
        </Show>
      </Card>
      <Card title={logs.data ? `${fmtInt(logs.data.total)} matching events` : 'Events'}>
        <Show a={logs} empty={(p) => p.data.length === 0} emptyTitle="No matching events" emptyHint="Check the spelling of keys (they are exact matches) or widen the time range.">
          {(p) => (
            <>
              <div class="table-wrap">
                <table class="table" data-testid="logs-table">
                  <thead>
                    <tr>
                      <th>Time (UTC)</th>
                      <th>Decky</th>
                      <th>Service</th>
                      <th>Event</th>
                      <th>Attacker</th>
                      <th>Detail</th>
                    </tr>
                  </thead>
                  <tbody>
                    {p.data.map((r) => (
                      <Fragment key={r.id}>
                        <tr class={`clickable ${open === r.id ? 'open' : ''}`} onClick={() => setOpen(open === r.id ? null : r.id)}>
                          <td class="mono nowrap">{fmtTime(r.timestamp).replace(' UTC', '')}</td>
                          <td>
                            <button class="linkish" onClick={(e) => (e.stopPropagation(), apply(withFilter(q, 'decky', r.decky)))}>
                              {r.decky}
                            </button>
                          </td>
                          <td>
                            <button class="linkish" onClick={(e) => (e.stopPropagation(), apply(withFilter(q, 'service', r.service)))}>
                              {r.service}
                            </button>
                          </td>
                          <td>
                            <Badge tone="info">{r.event_type}</Badge>
                          </td>
                          <td class="mono">
                            {r.attacker_ip ? (
                              <button class="linkish" onClick={(e) => (e.stopPropagation(), apply(withFilter(q, 'attacker', r.attacker_ip!)))}>
                                {r.attacker_ip}
                              </button>
                            ) : (
                              '—'
                            )}
                          </td>
                          <td class="mono ellipsis">{rowSummary(r)}</td>
                        </tr>
                        {open === r.id && (
                          <tr class="detail">
                            <td colSpan={6}>
                              <KV obj={r.fields} onPick={(k, v) => apply(withFilter(q, k, v))} />
                              <pre class="raw">{r.raw_line}</pre>
                            </td>
                          </tr>
                        )}
                      </Fragment>
                    ))}
                  </tbody>
                </table>
              </div>
              <Pager total={p.total} limit={LIMIT} offset={offset} onOffset={setOffset} />
            </>
          )}
        </Show>
      </Card>
    </div>
  );
}
