import { useEffect, useMemo, useState } from 'preact/hooks';
import { HistogramChart } from '../components/charts';
import { Badge, Card, ErrorBox, Empty, Link, Loading, PageHead, Show, stateTone, useAsync, useTicker } from '../components/ui';
import { get } from '../lib/api';
import { fillSeries } from '../lib/histogram';
import { openLive, type LiveState } from '../lib/live';
import { deckyHealth, fleetSummary, fmtInt, mergeFeed, rowSummary, topCredentials } from '../lib/shape';
import { fmtAgo, fmtClock } from '../lib/time';
import type { Attacker, Credential, Decky, HistPoint, LogRow, Page, Stats } from '../lib/types';

const HIST_INTERVAL = 15; // the stream pushes the default (15 min) histogram
const HIST_WINDOW_MIN = 24 * 60;

export function OverviewPage() {
  const now = useTicker(15000);
  const stats = useAsync((s) => get<Stats>('/stats', undefined, s), []);
  const hist = useAsync((s) => get<HistPoint[]>('/logs/histogram', { interval_minutes: HIST_INTERVAL }, s), []);
  const deckies = useAsync((s) => get<Decky[]>('/deckies', undefined, s), []);
  const attackers = useAsync((s) => get<Page<Attacker>>('/attackers', { sort_by: 'active', limit: 8 }, s), []);
  const creds = useAsync((s) => get<Page<Credential>>('/credentials', { limit: 200 }, s), []);
  const initialFeed = useAsync((s) => get<Page<LogRow>>('/logs', { limit: 30 }, s), []);
  const [feed, setFeed] = useState<LogRow[]>([]);
  const [live, setLive] = useState<{ state: LiveState; detail?: string }>({ state: 'connecting' });

  useEffect(() => {
    if (initialFeed.data) setFeed((f) => mergeFeed(f, initialFeed.data!.data, 100));
  }, [initialFeed.data]);

  useEffect(() => {
    let refreshTimer: ReturnType<typeof setTimeout> | null = null;
    const close = openLive({
      onState: (state, detail) => setLive({ state, detail }),
      onFrame: (f) => {
        if (f.type === 'stats') stats.setData(f.data);
        else if (f.type === 'histogram') hist.setData(f.data);
        else if (f.type === 'logs') {
          setFeed((cur) => mergeFeed(cur, f.data, 100));
          // Attackers and credentials change with new events: refresh them, at most every 5 s.
          if (!refreshTimer)
            refreshTimer = setTimeout(() => {
              refreshTimer = null;
              attackers.reload();
              creds.reload();
            }, 5000);
        }
      },
    });
    return () => {
      close();
      if (refreshTimer) clearTimeout(refreshTimer);
    };
  }, []);

  // Performance marks the e2e suite reads (once per page load): the stat cards show numbers; the histogram card
  // is final (the chart marks itself when drawn, an empty history here).
  useEffect(() => {
    if (stats.data && performance.getEntriesByName('decnet:stats').length === 0) performance.mark('decnet:stats');
  }, [stats.data]);
  useEffect(() => {
    if (hist.data && hist.data.length === 0 && performance.getEntriesByName('decnet:histogram').length === 0) performance.mark('decnet:histogram');
  }, [hist.data]);

  const series = useMemo(() => fillSeries(hist.data ?? [], HIST_INTERVAL, now - HIST_WINDOW_MIN * 60_000, now), [hist.data, Math.floor(now / 60000)]);
  const windowTotal = series.ys.reduce((a, b) => a + b, 0);

  return (
    <div class="page" data-page="overview">
      <PageHead
        title="Overview"
        sub="What attackers are doing to the deception network right now."
        actions={<LiveBadge state={live.state} detail={live.detail} />}
      />
      <div class="stats-grid">
        <StatCard label="Events stored" value={stats.data?.total_logs} loading={!stats.data && !stats.error} href="/logs" />
        <StatCard label="Unique attackers" value={stats.data?.unique_attackers} loading={!stats.data && !stats.error} href="/attackers" />
        <StatCard label="Deckies running" value={stats.data?.active_deckies} loading={!stats.data && !stats.error} href="/fleet" suffix={stats.data ? ` / ${fmtInt(stats.data.deployed_deckies)}` : ''} />
        <StatCard label="Events, last 24 h" value={hist.data ? windowTotal : undefined} loading={!hist.data && !hist.error} href="/logs?range=24h" />
      </div>
      {stats.error && !stats.data ? <ErrorBox error={stats.error} onRetry={stats.reload} /> : null}

      <div class="grid-2-1">
        <Card title="Events per 15 minutes (last 24 h, UTC)">
          <Show a={hist} empty={(h) => h.length === 0} emptyTitle="No events recorded yet" emptyHint="Events appear here as soon as an attacker touches a decky.">
            {() => <HistogramChart series={series} intervalMin={HIST_INTERVAL} />}
          </Show>
        </Card>
        <Card title="Deckies" actions={<Link href="/fleet">Fleet ›</Link>}>
          <Show a={deckies} empty={(d) => d.length === 0} emptyTitle="No deckies deployed" emptyHint={<>Deploy a fleet from the <Link href="/fleet/deploy">deploy wizard</Link>.</>}>
            {(d) => <DeckyHealth deckies={d} />}
          </Show>
        </Card>
      </div>

      <div class="grid-2-1">
        <Card title="Live event feed" actions={<Link href="/logs">Explore logs ›</Link>}>
          {feed.length === 0 ? (
            initialFeed.loading ? <Loading /> : initialFeed.error ? <ErrorBox error={initialFeed.error} onRetry={initialFeed.reload} /> : <Empty title="Waiting for events">New events stream in here within a second of happening.</Empty>
          ) : (
            <div class="feed" data-testid="live-feed">
              <table class="table dense">
                <thead>
                  <tr>
                    <th>Time</th>
                    <th>Attacker</th>
                    <th>Decky</th>
                    <th>Service</th>
                    <th>Event</th>
                    <th>Detail</th>
                  </tr>
                </thead>
                <tbody>
                  {feed.map((r) => (
                    <tr key={r.id} data-log-id={r.id}>
                      <td class="mono nowrap">{fmtClock(r.timestamp)}</td>
                      <td class="mono">{r.attacker_ip ? <Link href={`/logs?q=${encodeURIComponent('attacker:' + r.attacker_ip)}`}>{r.attacker_ip}</Link> : '—'}</td>
                      <td>{r.decky}</td>
                      <td>{r.service}</td>
                      <td>
                        <Badge tone="info">{r.event_type}</Badge>
                      </td>
                      <td class="ellipsis mono" title={r.raw_line}>
                        {rowSummary(r)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Card>
        <div class="stack">
          <Card title="Top attackers" actions={<Link href="/attackers?sort=active">All ›</Link>}>
            <Show a={attackers} empty={(p) => p.data.length === 0} emptyTitle="No attackers seen yet">
              {(p) => (
                <table class="table dense">
                  <tbody>
                    {p.data.map((a) => (
                      <tr key={a.uuid}>
                        <td class="mono">
                          <Link href={`/attackers/${a.uuid}`}>{a.ip}</Link>
                          <div class="muted small">{fmtAgo(a.last_seen, now)}</div>
                        </td>
                        <td class="num nowrap">{fmtInt(a.event_count)} ev</td>
                        <td class="right">{a.is_traversal ? <Badge tone="warn" title={a.traversal_path ?? ''}>traversal</Badge> : null}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Show>
          </Card>
          <Card title="Top credentials" actions={<Link href="/credentials">All ›</Link>}>
            <Show a={creds} empty={(p) => p.data.length === 0} emptyTitle="No credentials captured yet">
              {(p) => (
                <table class="table dense">
                  <thead>
                    <tr>
                      <th>Principal</th>
                      <th>Secret</th>
                      <th class="num">Tries</th>
                    </tr>
                  </thead>
                  <tbody>
                    {topCredentials(p.data, 8).map((c) => (
                      <tr key={c.principal + c.secret}>
                        <td class="mono ellipsis">{c.principal || '—'}</td>
                        <td class="mono ellipsis">{c.secret}</td>
                        <td class="num">{fmtInt(c.attempts)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Show>
          </Card>
        </div>
      </div>
    </div>
  );
}

function StatCard(props: { label: string; value: number | undefined; loading: boolean; href: string; suffix?: string }) {
  return (
    <Link href={props.href} class="stat">
      <div class="stat-label">{props.label}</div>
      <div class="stat-value">{props.loading ? <span class="skeleton" /> : fmtInt(props.value)}{props.suffix && <span class="stat-suffix">{props.suffix}</span>}</div>
    </Link>
  );
}

export function LiveBadge(props: { state: LiveState; detail?: string }) {
  const label = { connecting: 'connecting…', live: 'live', retrying: 'reconnecting…', stopped: 'offline' }[props.state];
  return (
    <span class={`live ${props.state}`} title={props.detail ?? ''} data-testid="live-state">
      <span class="dot" /> {label}
    </span>
  );
}

function DeckyHealth(props: { deckies: Decky[] }) {
  const s = fleetSummary(props.deckies);
  return (
    <div>
      <div class="health-bar" aria-label={`${s.up} up, ${s.degraded} degraded, ${s.down} down`}>
        {(['up', 'degraded', 'pending', 'down'] as const).map((k) => (s[k] ? <span class={`seg ${k}`} style={{ flex: s[k] }} title={`${s[k]} ${k}`} /> : null))}
      </div>
      <div class="health-legend">
        <span><b class="t-ok">{s.up}</b> up</span>
        <span><b class="t-warn">{s.degraded + s.pending}</b> degraded/pending</span>
        <span><b class="t-bad">{s.down}</b> down</span>
      </div>
      <ul class="decky-list">
        {props.deckies.slice(0, 12).map((d) => {
          const h = deckyHealth(d);
          return (
            <li key={d.name}>
              <span class={`dot ${h}`} />
              <span class="grow">{d.name}</span>
              <span class="mono muted">{d.ip}</span>
              <Badge tone={stateTone(h === 'up' ? 'running' : h)}>{h}</Badge>
            </li>
          );
        })}
        {props.deckies.length > 12 && <li class="muted">… and {props.deckies.length - 12} more</li>}
      </ul>
    </div>
  );
}
