import { useEffect, useMemo, useState } from 'preact/hooks';
import { Badge, Card, Confirm, ErrorBox, Field, Link, Modal, PageHead, Show, stateTone, useAsync, useDebounced } from '../components/ui';
import { call, get, getSession } from '../lib/api';
import { dryRunBody, serverAllowsDeploy, serverCheckFromError, serverPlanRows, shouldAskServer, type ServerCheck, type ServerPlanRow } from '../lib/dryrun';
import { checkIni, collisions } from '../lib/ini';
import { deckyHealth } from '../lib/shape';
import { fmtAgo, fmtTime, minutesToDuration, parseDuration } from '../lib/time';
import type { Decky, DeployResponse, LifecycleRow } from '../lib/types';
import { navigate } from '../router';

const TERMINAL = new Set(['completed', 'failed', 'succeeded', 'success', 'error', 'done']);

/** Polls lifecycle rows until every one is terminal. */
function useLifecycle(ids: string[]): { rows: LifecycleRow[]; done: boolean; error: unknown } {
  const [rows, setRows] = useState<LifecycleRow[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  useEffect(() => {
    if (ids.length === 0) return;
    let stop = false;
    let t: ReturnType<typeof setTimeout>;
    const poll = async () => {
      try {
        const r = await get<{ rows: LifecycleRow[] }>('/deckies/lifecycle', { ids });
        if (stop) return;
        setRows(r.rows);
        setError(null);
        if (r.rows.length >= ids.length && r.rows.every((x) => TERMINAL.has(x.status.toLowerCase()))) {
          setDone(true);
          return;
        }
      } catch (e) {
        if (!stop) setError(e);
      }
      t = setTimeout(poll, 1000);
    };
    void poll();
    return () => {
      stop = true;
      clearTimeout(t);
    };
  }, [ids.join(',')]);
  return { rows, done, error };
}

export function FleetPage() {
  const deckies = useAsync((s) => get<Decky[]>('/deckies', undefined, s), []);
  const admin = getSession()?.role === 'admin';
  const [mutate, setMutate] = useState<Decky | null>(null);
  const [teardown, setTeardown] = useState<Decky | null>(null);
  const [interval, setIntervalFor] = useState<Decky | null>(null);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  const [opIds, setOpIds] = useState<string[]>([]);
  const ops = useLifecycle(opIds);
  const [filter, setFilter] = useState('');

  useEffect(() => {
    const t = setInterval(deckies.reload, 10000);
    return () => clearInterval(t);
  }, []);
  useEffect(() => {
    if (ops.done) deckies.reload();
  }, [ops.done]);

  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setErr(null);
    try {
      await fn();
      setMutate(null);
      setTeardown(null);
      setIntervalFor(null);
      deckies.reload();
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="page" data-page="fleet">
      <PageHead
        title="Fleet"
        sub="Decoy machines on the LAN, their addresses, personalities and emulated services."
        actions={
          admin && (
            <button class="btn primary" onClick={() => navigate('/fleet/deploy')}>
              Deploy deckies
            </button>
          )
        }
      />
      {opIds.length > 0 && (
        <Card title="Operations">
          <LifecycleTable rows={ops.rows} />
          {ops.error ? <ErrorBox error={ops.error} /> : null}
        </Card>
      )}
      <Card
        title="Deckies"
        actions={<input class="search sm" placeholder="Filter by name, IP, service…" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />}
      >
        <Show
          a={deckies}
          empty={(d) => d.length === 0}
          emptyTitle="No deckies deployed yet"
          emptyHint={admin ? <>Use <Link href="/fleet/deploy">Deploy deckies</Link> to describe a fleet in INI and start it.</> : 'An administrator can deploy a fleet.'}
        >
          {(list) => {
            const f = filter.trim().toLowerCase();
            const shown = f ? list.filter((d) => [d.name, d.ip, d.hostname, d.archetype ?? '', ...d.services].some((x) => x.toLowerCase().includes(f))) : list;
            return (
              <div class="table-wrap">
                <table class="table" data-testid="fleet-table">
                  <thead>
                    <tr>
                      <th>Decky</th>
                      <th>IP</th>
                      <th>Hostname</th>
                      <th>OS profile</th>
                      <th>Services</th>
                      <th>Mutation</th>
                      {admin && <th class="right">Actions</th>}
                    </tr>
                  </thead>
                  <tbody>
                    {shown.map((d) => {
                      const h = deckyHealth(d);
                      return (
                        <tr key={d.name} data-decky={d.name}>
                          <td>
                            <div class="row gap-s">
                              <span class={`dot ${h}`} title={h} />
                              <strong>{d.name}</strong>
                            </div>
                            <div class="muted small">
                              {d.state}
                              {d.archetype ? ` · ${d.archetype}` : ''}
                            </div>
                            {d.last_error && <div class="t-bad small" title={d.last_error}>{d.last_error}</div>}
                          </td>
                          <td class="mono">
                            {d.ip}
                            <div class="muted small">{d.mac}</div>
                          </td>
                          <td class="mono nowrap">{d.hostname}</td>
                          <td>
                            {d.nmap_os}
                            <div class="muted small">{d.distro}</div>
                          </td>
                          <td>
                            <div class="chips">
                              {(d.services_state.length ? d.services_state : d.services.map((n) => ({ name: n, state: 'unknown' }))).map((s) => (
                                <Badge tone={stateTone(s.state)} title={`${s.name}: ${s.state}`}>
                                  {s.name}
                                </Badge>
                              ))}
                            </div>
                          </td>
                          <td class="small">
                            <div>{d.mutate_interval ? `every ${minutesToDuration(d.mutate_interval)}` : 'fleet default'}</div>
                            <div class="muted" title={fmtTime(d.last_mutated)}>last {d.last_mutated ? fmtAgo(d.last_mutated) : 'never'}</div>
                          </td>
                          {admin && (
                            <td class="right nowrap">
                              <button class="btn sm" onClick={() => (setErr(null), setMutate(d))}>
                                Mutate
                              </button>{' '}
                              <button class="btn sm" onClick={() => (setErr(null), setIntervalFor(d))}>
                                Interval
                              </button>{' '}
                              <button class="btn sm danger" onClick={() => (setErr(null), setTeardown(d))}>
                                Tear down
                              </button>
                            </td>
                          )}
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
                {shown.length === 0 && <p class="muted pad">No decky matches “{filter}”.</p>}
              </div>
            );
          }}
        </Show>
      </Card>
      <Confirm
        open={mutate !== null}
        title={`Mutate ${mutate?.name}?`}
        body={<p>The decky gets a new random set of services from its archetype. Its IP, hostname and OS profile stay the same. Running attacker sessions on it are cut.</p>}
        confirmLabel="Mutate"
        busy={busy}
        error={err}
        onClose={() => setMutate(null)}
        onConfirm={() =>
          run(async () => {
            const r = await call<{ lifecycle_ids: string[] }>('POST', `/deckies/${encodeURIComponent(mutate!.name)}/mutate`);
            setOpIds(r.lifecycle_ids);
          })
        }
      />
      <Confirm
        open={teardown !== null}
        title={`Tear down ${teardown?.name}?`}
        body={<p>Its containers and network sandbox are removed and the decky disappears from the fleet. Recorded events stay in the database.</p>}
        confirmLabel="Tear down"
        danger
        typeToConfirm={teardown?.name}
        busy={busy}
        error={err}
        onClose={() => setTeardown(null)}
        onConfirm={() => run(async () => void (await call('DELETE', `/deckies/${encodeURIComponent(teardown!.name)}`)))}
      />
      {interval && <IntervalDialog decky={interval} busy={busy} error={err} onClose={() => setIntervalFor(null)} onSave={(v) => run(async () => void (await call('PUT', `/deckies/${encodeURIComponent(interval.name)}/mutate-interval`, { mutate_interval: v })))} />}
    </div>
  );
}

function IntervalDialog(props: { decky: Decky; busy: boolean; error: unknown; onClose: () => void; onSave: (v: string | null) => void }) {
  const [v, setV] = useState(props.decky.mutate_interval ? minutesToDuration(props.decky.mutate_interval) : '');
  const bad = v !== '' && parseDuration(v) === null;
  return (
    <Modal open title={`Mutation interval of ${props.decky.name}`} onClose={props.onClose}>
      <Field label="Interval" hint="A number and a unit: m (minutes), d (days), M (months), y (years), e.g. 30m or 2d. Empty = fleet default." error={bad ? 'Use a number followed by m, d, M or y (e.g. 30m).' : null}>
        <input value={v} onInput={(e) => setV((e.target as HTMLInputElement).value.trim())} placeholder="fleet default" autoFocus />
      </Field>
      {props.error ? <ErrorBox error={props.error} title="Not saved" /> : null}
      <div class="modal-actions">
        <button class="btn" onClick={props.onClose}>
          Cancel
        </button>
        <button class="btn primary" disabled={bad || props.busy} onClick={() => props.onSave(v === '' ? null : v)}>
          Save
        </button>
      </div>
    </Modal>
  );
}

function LifecycleTable(props: { rows: LifecycleRow[] }) {
  if (props.rows.length === 0) return <p class="muted">Waiting for the operations to be scheduled…</p>;
  return (
    <table class="table dense" data-testid="lifecycle">
      <thead>
        <tr>
          <th>Decky</th>
          <th>Operation</th>
          <th>Status</th>
          <th>Error</th>
          <th>Updated</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((r) => (
          <tr key={r.id} data-decky={r.decky_name} data-status={r.status}>
            <td>{r.decky_name}</td>
            <td>{r.operation}</td>
            <td>
              <Badge tone={stateTone(r.status)}>{r.status}</Badge>
            </td>
            <td class="t-bad small">{r.error ?? ''}</td>
            <td class="muted">{fmtAgo(r.updated_at ?? r.started_at)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * Asks the server to plan text (dry-run deploy) 400 ms after typing stops, aborting stale requests. Returns
 * idle until ask is true; the verdict is dropped as soon as text or the mode changes.
 */
function useServerPlan(text: string, replace: boolean, ask: boolean): ServerCheck {
  const settled = useDebounced(text, 400);
  const [res, setRes] = useState<{ key: string; check: ServerCheck }>({ key: '', check: { state: 'idle' } });
  const key = `${replace ? 'r' : 'a'}:${settled}`;
  useEffect(() => {
    if (!ask || settled !== text) return;
    const ctl = new AbortController();
    setRes({ key, check: { state: 'pending' } });
    call<unknown>('POST', '/deckies/deploy', dryRunBody(settled, replace), { signal: ctl.signal })
      .then((body) => setRes({ key, check: { state: 'ok', rows: serverPlanRows(body) } }))
      .catch((e) => {
        if (ctl.signal.aborted) return;
        setRes({ key, check: serverCheckFromError(e) });
      });
    return () => ctl.abort();
  }, [key, ask, settled === text]);
  if (!ask) return { state: 'idle' };
  if (settled !== text || res.key !== key) return { state: 'pending' };
  return res.check;
}

const EXAMPLE = `# One section per decky (or group with amount=N). See docs for all keys.
[web-01]
archetype = web-server

[workstations]
archetype = windows-workstation
amount = 2
`;

export function DeployPage() {
  const [text, setText] = useState(EXAMPLE);
  const [replace, setReplace] = useState(false);
  const [step, setStep] = useState<'edit' | 'review' | 'progress'>('edit');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [ids, setIds] = useState<string[]>([]);
  const debounced = useDebounced(text, 300);
  const check = useMemo(() => checkIni(debounced), [debounced]);
  const fleet = useAsync((s) => get<Decky[]>('/deckies', undefined, s), []);
  const clash = !replace && fleet.data ? collisions(check.plan, fleet.data.map((d) => d.name)) : [];
  const progress = useLifecycle(ids);
  const stale = debounced !== text;
  const server = useServerPlan(text, replace, !stale && shouldAskServer(check));
  const serverRows = server.state === 'ok' ? server.rows : null;
  const canReview = !stale && check.errors.length === 0 && check.plan.length > 0 && serverAllowsDeploy(server);
  const planCount = serverRows ? serverRows.length : check.plan.length;

  const deploy = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = await call<DeployResponse>('POST', '/deckies/deploy', { ini_content: text, replace_fleet: replace });
      setIds(r.lifecycle_ids);
      setStep('progress');
    } catch (e) {
      setError(e);
      setStep('edit');
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="page" data-page="deploy">
      <PageHead title="Deploy deckies" sub="Describe deckies in INI, review the plan, deploy." actions={<Link href="/fleet">‹ Back to fleet</Link>} />
      <ol class="steps">
        <li class={step === 'edit' ? 'on' : ''}>1. Write configuration</li>
        <li class={step === 'review' ? 'on' : ''}>2. Review plan</li>
        <li class={step === 'progress' ? 'on' : ''}>3. Deploy</li>
      </ol>
      {step === 'edit' && (
        <div class="grid-1-1">
          <Card title="INI configuration">
            <textarea
              class="ini-editor mono"
              spellcheck={false}
              value={text}
              data-testid="ini-editor"
              aria-label="Deployment INI"
              onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
              rows={22}
            />
            <div class="ini-status" data-testid="ini-status">
              {stale ? (
                <span class="muted">Checking…</span>
              ) : check.errors.length === 0 ? (
                <ServerStatus server={server} localCount={check.plan.length} />
              ) : (
                <ul class="issues">
                  {check.errors.map((e) => (
                    <li>
                      {e.line > 0 && <span class="mono muted">line {e.line}: </span>}
                      {e.message}
                    </li>
                  ))}
                </ul>
              )}
            </div>
            {error ? <ErrorBox error={error} title="The server refused this configuration" /> : null}
            <div class="row gap">
              <label class="check">
                <input type="checkbox" checked={replace} onChange={(e) => setReplace((e.target as HTMLInputElement).checked)} /> Replace the whole fleet
              </label>
              <span class="grow" />
              <button class="btn primary" disabled={!canReview} onClick={() => setStep('review')}>
                Review plan ›
              </button>
            </div>
          </Card>
          <Card title={`Planned deckies (${planCount})`}>
            {serverRows ? <ServerPlanTable rows={serverRows} /> : <PlanTable plan={check.plan} clash={clash} />}
            <IniHelp />
          </Card>
        </div>
      )}
      {step === 'review' && (
        <Card title="Review">
          <p>
            Mode: <strong>{replace ? 'replace the whole fleet' : 'add to the existing fleet'}</strong>
            {fleet.data && ` · fleet today: ${fleet.data.length} ${fleet.data.length === 1 ? 'decky' : 'deckies'}`}
            {replace && fleet.data && fleet.data.length > 0 && <span class="t-bad"> — all {fleet.data.length} current deckies will be retired first.</span>}
          </p>
          {clash.length > 0 && (
            <div class="error-box">
              These names already exist and the server will refuse an additive deploy: {clash.join(', ')}. Rename them or tick “Replace the whole fleet”.
            </div>
          )}
          {serverRows ? <ServerPlanTable rows={serverRows} /> : <PlanTable plan={check.plan} clash={clash} />}
          <div class="row gap">
            <button class="btn" onClick={() => setStep('edit')}>
              ‹ Edit
            </button>
            <span class="grow" />
            <button class={`btn ${replace ? 'danger' : 'primary'}`} disabled={busy} onClick={deploy} data-testid="deploy-submit">
              {busy ? 'Submitting…' : `Deploy ${planCount} ${planCount === 1 ? 'decky' : 'deckies'}`}
            </button>
          </div>
        </Card>
      )}
      {step === 'progress' && (
        <Card title="Deployment in progress">
          <LifecycleTable rows={progress.rows} />
          {progress.error ? <ErrorBox error={progress.error} /> : null}
          {progress.done && (
            <div class="row gap">
              <span class="t-ok">All operations finished.</span>
              <span class="grow" />
              <button class="btn primary" onClick={() => navigate('/fleet')}>
                Go to fleet
              </button>
            </div>
          )}
          {!progress.done && <p class="muted">Deckies come up one by one; this page follows their progress.</p>}
        </Card>
      )}
    </div>
  );
}

/** The server's verdict on an INI that passed the local pre-check. */
function ServerStatus(props: { server: ServerCheck; localCount: number }) {
  const s = props.server;
  const n = (k: number) => `${k} ${k === 1 ? 'decky' : 'deckies'}`;
  switch (s.state) {
    case 'ok':
      return <span class="t-ok" data-server="ok">✓ Looks valid: the server planned {n(s.rows.length)}.</span>;
    case 'refused':
      return (
        <ul class="issues" data-server="refused">
          <li>{s.message}</li>
        </ul>
      );
    case 'unavailable':
      return (
        <span class="t-warn" data-server="unavailable">
          ✓ Looks valid locally: {n(props.localCount)} planned. The server could not check it ({s.message}); it checks again on deploy.
        </span>
      );
    default:
      return <span class="muted">Checking with the server…</span>;
  }
}

/** The deckies the server planned (dry run), in build order. */
function ServerPlanTable(props: { rows: ServerPlanRow[] }) {
  if (props.rows.length === 0) return <p class="muted">The server planned no deckies.</p>;
  return (
    <div class="table-wrap">
      <table class="table dense" data-testid="plan-table" data-source="server">
        <thead>
          <tr>
            <th>Name</th>
            <th>IP</th>
            <th>Services</th>
            <th>OS</th>
            <th>Hostname</th>
            <th>Archetype</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((p) => (
            <tr key={p.name}>
              <td class="mono">{p.name}</td>
              <td class="mono">{p.ip}</td>
              <td>{p.services.join(', ')}</td>
              <td>{p.os}</td>
              <td class="mono">{p.hostname}</td>
              <td>{p.archetype ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="muted small">Planned by the server. Services, distros and hostnames left open in the INI are drawn again on deploy.</p>
    </div>
  );
}

function PlanTable(props: { plan: ReturnType<typeof checkIni>['plan']; clash: string[] }) {
  if (props.plan.length === 0) return <p class="muted">No decky sections yet.</p>;
  return (
    <div class="table-wrap">
      <table class="table dense" data-testid="plan-table" data-source="local">
        <thead>
          <tr>
            <th>Name</th>
            <th>IP</th>
            <th>Services</th>
            <th>OS</th>
            <th>Archetype</th>
          </tr>
        </thead>
        <tbody>
          {props.plan.map((p) => (
            <tr key={p.name} class={props.clash.includes(p.name) ? 'row-bad' : ''}>
              <td class="mono">{p.name}</td>
              <td class="mono">{p.ip}</td>
              <td>{p.services.length ? p.services.join(', ') : <span class="muted">random</span>}</td>
              <td>{p.nmap_os}</td>
              <td>{p.archetype ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function IniHelp() {
  return (
    <details class="help">
      <summary>INI quick reference</summary>
      <ul>
        <li>
          <code>[general]</code> — <code>net</code>, <code>gw</code>, <code>interface</code>, <code>mutate_interval</code> (minutes)
        </li>
        <li>
          <code>[name]</code> — a decky: <code>services</code> (comma list), <code>archetype</code>, <code>ip</code>, <code>nmap_os</code>, <code>mutate_interval</code>, <code>amount</code> (1–100, names become <code>name-01</code>…)
        </li>
        <li>
          <code>[name.ssh]</code> — persona keys of a service on that decky or group
        </li>
        <li>
          <code>[custom-x]</code> — your own service: <code>binary</code> (image), <code>exec</code>, <code>ports</code>
        </li>
        <li>Comments start a line with # or ;. There are no inline comments.</li>
      </ul>
      <p class="muted small">Without services or archetype a decky gets 1–3 random services.</p>
    </details>
  );
}
