import { useMemo, useState } from 'preact/hooks';
import { TraversalDiagram } from '../components/charts';
import { Badge, Card, Empty, ErrorBox, KV, Link, Loading, PageHead, Pager, Show, useAsync, useDebounced } from '../components/ui';
import { get } from '../lib/api';
import { BUILTIN_SERVICES } from '../lib/ini';
import { fmtInt, secretText } from '../lib/shape';
import { fmtAgo, fmtDuration, fmtTime, parseTs } from '../lib/time';
import { layoutTraversal, splitPath } from '../lib/traversal';
import type { Attacker, AttackerDetail, Command, Credential, LogRow, Page } from '../lib/types';
import { setQuery, useLocation } from '../router';

const LIMIT = 50;

export function AttackersPage() {
  const loc = useLocation();
  const [search, setSearch] = useState(loc.search.get('q') ?? '');
  const [sort, setSort] = useState(loc.search.get('sort') ?? 'recent');
  const [service, setService] = useState(loc.search.get('service') ?? '');
  const [offset, setOffset] = useState(0);
  const q = useDebounced(search.trim(), 300);
  const list = useAsync(
    (s) => {
      setQuery({ q, sort: sort === 'recent' ? null : sort, service });
      return get<Page<Attacker>>('/attackers', { search: q, sort_by: sort, service, limit: LIMIT, offset }, s);
    },
    [q, sort, service, offset],
  );
  return (
    <div class="page" data-page="attackers">
      <PageHead title="Attackers" sub="Every source address that touched a decky, with what it tried." />
      <Card
        title="Attackers"
        actions={
          <div class="row gap-s">
            <input class="search" placeholder="Search IP…" value={search} onInput={(e) => (setSearch((e.target as HTMLInputElement).value), setOffset(0))} aria-label="Search attackers by IP" />
            <select value={service} onChange={(e) => (setService((e.target as HTMLSelectElement).value), setOffset(0))} aria-label="Service">
              <option value="">All services</option>
              {BUILTIN_SERVICES.map((s) => (
                <option value={s}>{s}</option>
              ))}
            </select>
            <select value={sort} onChange={(e) => (setSort((e.target as HTMLSelectElement).value), setOffset(0))} aria-label="Sort">
              <option value="recent">Most recent</option>
              <option value="active">Most active</option>
              <option value="traversals">Traversals first</option>
            </select>
          </div>
        }
      >
        <Show
          a={list}
          empty={(p) => p.data.length === 0}
          emptyTitle={q || service ? 'No attacker matches these filters' : 'No attackers seen yet'}
          emptyHint={q || service ? 'Clear the search or pick another service.' : 'Attackers appear as soon as anything connects to a decky.'}
        >
          {(p) => (
            <>
              <div class="table-wrap">
                <table class="table" data-testid="attackers-table">
                  <thead>
                    <tr>
                      <th>IP</th>
                      <th>Last seen</th>
                      <th>First seen</th>
                      <th class="num">Events</th>
                      <th>Services</th>
                      <th>Deckies</th>
                      <th class="num">Creds</th>
                    </tr>
                  </thead>
                  <tbody>
                    {p.data.map((a) => (
                      <tr key={a.uuid}>
                        <td class="mono nowrap">
                          <Link href={`/attackers/${a.uuid}`}>{a.ip}</Link>
                          {a.is_traversal && (
                            <>
                              {' '}
                              <Badge tone="warn" title={a.traversal_path ?? ''}>
                                traversal
                              </Badge>
                            </>
                          )}
                        </td>
                        <td class="nowrap" title={fmtTime(a.last_seen)}>{fmtAgo(a.last_seen)}</td>
                        <td class="muted small nowrap">{fmtTime(a.first_seen)}</td>
                        <td class="num">{fmtInt(a.event_count)}</td>
                        <td>
                          <div class="chips">{a.services.slice(0, 4).map((s) => <Badge>{s}</Badge>)}{a.services.length > 4 && <span class="muted small">+{a.services.length - 4}</span>}</div>
                        </td>
                        <td class="small ellipsis narrow" title={a.deckies.join(', ')}>
                          {a.decky_count} · {a.deckies.slice(0, 3).join(', ')}
                          {a.deckies.length > 3 ? '…' : ''}
                        </td>
                        <td class="num">{fmtInt(a.credential_count)}</td>
                      </tr>
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

export function AttackerDetailPage(props: { uuid: string }) {
  const a = useAsync((s) => get<AttackerDetail>(`/attackers/${encodeURIComponent(props.uuid)}`, undefined, s), [props.uuid]);
  return (
    <div class="page" data-page="attacker">
      <Show a={a}>{(d) => <AttackerView a={d} />}</Show>
    </div>
  );
}

function AttackerView(props: { a: AttackerDetail }) {
  const a = props.a;
  const events = useAsync((s) => get<Page<LogRow>>('/logs', { search: `attacker:${a.ip}`, limit: 1000 }, s), [a.ip]);
  const cmds = useAsync((s) => get<Page<Command>>(`/attackers/${a.uuid}/commands`, { limit: 200 }, s), [a.uuid]);
  const creds = useAsync((s) => get<Page<Credential>>('/credentials', { attacker_ip: a.ip, limit: 200 }, s), [a.ip]);
  const layout = useMemo(() => {
    const hops = (events.data?.data ?? []).map((r) => ({ timestamp: r.timestamp, decky: r.decky, service: r.service, event_type: r.event_type }));
    return layoutTraversal(hops, a.deckies.length ? a.deckies : splitPath(a.traversal_path));
  }, [events.data, a]);
  const dur = (parseTs(a.last_seen) - parseTs(a.first_seen)) / 1000;
  const b = a.behavior;
  return (
    <>
      <PageHead
        title={a.ip}
        sub={
          <>
            {a.is_traversal ? <Badge tone="warn">traversal</Badge> : <Badge>single decky</Badge>} first seen {fmtTime(a.first_seen)}, last seen {fmtAgo(a.last_seen)} · active for{' '}
            {fmtDuration(dur)}
            {a.as_name ? ` · AS${a.asn} ${a.as_name}` : ''}
            {a.country_code ? ` · ${a.country_code}` : ''}
          </>
        }
        actions={<Link href={`/logs?q=${encodeURIComponent('attacker:' + a.ip)}`}>All events ›</Link>}
      />
      <div class="stats-grid">
        <Mini label="Events" v={fmtInt(a.event_count)} />
        <Mini label="Deckies" v={fmtInt(a.decky_count)} />
        <Mini label="Services" v={fmtInt(a.service_count)} />
        <Mini label="Credentials" v={fmtInt(a.credential_count)} />
        <Mini label="Bounties" v={fmtInt(a.bounty_count)} />
      </div>
      <Card title={a.traversal_path ? `Traversal: ${a.traversal_path}` : 'Path across deckies'}>
        {events.loading && !events.data ? (
          <Loading label="Loading the attacker's events…" />
        ) : events.error ? (
          <ErrorBox error={events.error} onRetry={events.reload} />
        ) : layout.points.length === 0 ? (
          <Empty title="No events to draw">The attacker's events may have been purged by retention.</Empty>
        ) : (
          <>
            <TraversalDiagram layout={layout} />
            <p class="muted small">
              {layout.lanes.length} decky lane{layout.lanes.length === 1 ? '' : 's'}, {layout.transitions} move{layout.transitions === 1 ? '' : 's'} between deckies
              {events.data && events.data.total > events.data.data.length ? ` (newest ${events.data.data.length} of ${fmtInt(events.data.total)} events)` : ''}.
            </p>
          </>
        )}
      </Card>
      <div class="grid-1-1">
        <Card title="Services">
          <p>
            Interacted: {a.service_activity?.interacted?.length ? a.service_activity.interacted.map((s) => <Badge tone="bad">{s}</Badge>) : <span class="muted">none</span>}
          </p>
          <p>
            Scanned only: {a.service_activity?.scanned?.length ? a.service_activity.scanned.map((s) => <Badge tone="info">{s}</Badge>) : <span class="muted">none</span>}
          </p>
          {b && (
            <dl class="kv">
              <dt>Behaviour</dt>
              <dd>{b.behavior_class ?? '—'}</dd>
              <dt>OS guess</dt>
              <dd>{b.os_guess ?? '—'}</dd>
              <dt>Hop distance</dt>
              <dd>{b.hop_distance ?? '—'}</dd>
              <dt>Tools</dt>
              <dd>{b.tool_guesses?.length ? b.tool_guesses.join(', ') : '—'}</dd>
              {b.beacon_interval_s !== null && (
                <>
                  <dt>Beacon</dt>
                  <dd>
                    every {b.beacon_interval_s?.toFixed(1)} s ± {b.beacon_jitter_pct}%
                  </dd>
                </>
              )}
              <dt>SSH clients</dt>
              <dd class="mono small">{b.ssh_client_banners?.length ? b.ssh_client_banners.join(', ') : '—'}</dd>
            </dl>
          )}
        </Card>
        <Card title={`Fingerprints (${a.fingerprints.length})`}>
          {a.fingerprints.length === 0 ? (
            <Empty title="No fingerprints">TLS, SSH and TCP fingerprints appear when the sniffer or prober sees this address.</Empty>
          ) : (
            <div class="fp-list">
              {a.fingerprints.slice(0, 20).map((f) => (
                <div class="fp">
                  <KV obj={f} />
                </div>
              ))}
            </div>
          )}
          {b?.tcp_fingerprint && (
            <>
              <h3>TCP</h3>
              <KV obj={b.tcp_fingerprint} />
            </>
          )}
        </Card>
      </div>
      <div class="grid-1-1">
        <Card title="Commands">
          <Show a={cmds} empty={(p) => p.data.length === 0} emptyTitle="No commands" emptyHint="Shell, SQL and other commands the attacker typed show up here.">
            {(p) => (
              <div class="table-wrap scroll-y">
                <table class="table dense">
                  <tbody>
                    {p.data.map((c) => (
                      <tr>
                        <td class="nowrap muted">{fmtTime(c.timestamp)}</td>
                        <td>{c.decky}</td>
                        <td>{c.service}</td>
                        <td class="mono break">{c.command}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Show>
        </Card>
        <Card title="Credentials tried">
          <Show a={creds} empty={(p) => p.data.length === 0} emptyTitle="No credentials" emptyHint="Usernames, passwords and keys the attacker tried appear here.">
            {(p) => (
              <div class="table-wrap scroll-y">
                <table class="table dense">
                  <thead>
                    <tr>
                      <th>Service</th>
                      <th>Principal</th>
                      <th>Secret</th>
                      <th>Outcome</th>
                      <th class="num">Tries</th>
                    </tr>
                  </thead>
                  <tbody>
                    {p.data.map((c) => (
                      <tr>
                        <td>{c.service}</td>
                        <td class="mono">{c.principal ?? '—'}</td>
                        <td class="mono ellipsis">{secretText(c)}</td>
                        <td>{c.outcome ?? '—'}</td>
                        <td class="num">{fmtInt(c.attempt_count)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Show>
        </Card>
      </div>
      <Card title="Timeline">
        <Show a={events} empty={(p) => p.data.length === 0} emptyTitle="No events">
          {(p) => (
            <div class="table-wrap scroll-y tall">
              <table class="table dense">
                <tbody>
                  {p.data.slice(0, 300).map((r) => (
                    <tr>
                      <td class="nowrap mono">{fmtTime(r.timestamp)}</td>
                      <td>{r.decky}</td>
                      <td>{r.service}</td>
                      <td>
                        <Badge tone="info">{r.event_type}</Badge>
                      </td>
                      <td class="mono ellipsis" title={r.raw_line}>
                        {r.msg || Object.entries(r.fields ?? {}).slice(0, 4).map(([k, v]) => `${k}=${String(v)}`).join(' ')}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Show>
      </Card>
      {a.ip_leaks_total > 0 && (
        <Card title={`IP leaks (${a.ip_leaks_total})`}>
          {a.ip_leaks.map((l) => (
            <div class="fp">
              <div class="muted small">
                {fmtTime(l.timestamp)} · {l.decky} · {l.service}
              </div>
              <KV obj={l.payload} />
            </div>
          ))}
        </Card>
      )}
    </>
  );
}

function Mini(props: { label: string; v: string }) {
  return (
    <div class="stat">
      <div class="stat-label">{props.label}</div>
      <div class="stat-value">{props.v}</div>
    </div>
  );
}
