import { useState } from 'preact/hooks';
import { Badge, Card, Confirm, ErrorBox, Field, Modal, PageHead, Show, stateTone, useAsync } from '../components/ui';
import { call, get, getSession } from '../lib/api';
import { ApiError, mapApiError } from '../lib/errors';
import { parseDuration } from '../lib/time';
import type { Config, Health, User } from '../lib/types';
import { limitProblem, passwordProblems, usernameProblem } from '../lib/validate';
import { ChangePasswordPage } from './Login';

function AdminOnly() {
  return (
    <div class="page">
      <ErrorBox error={mapApiError(403, { detail: 'Insufficient permissions' })} title="Admins only" />
    </div>
  );
}

export function UsersPage() {
  const cfg = useAsync((s) => get<Config>('/config', undefined, s), []);
  const me = getSession();
  const [creating, setCreating] = useState(false);
  const [del, setDel] = useState<User | null>(null);
  const [reset, setReset] = useState<User | null>(null);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  if (me?.role !== 'admin') return <AdminOnly />;
  const run = async (fn: () => Promise<unknown>, msg: string) => {
    setBusy(true);
    setErr(null);
    try {
      await fn();
      setNotice(msg);
      setDel(null);
      setReset(null);
      setCreating(false);
      cfg.reload();
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="page" data-page="users">
      <PageHead
        title="Users"
        sub="Who can use this console. New users must change their password at first sign-in."
        actions={
          <button class="btn primary" onClick={() => (setErr(null), setCreating(true))}>
            Add user
          </button>
        }
      />
      {notice && <div class="ok-box">{notice}</div>}
      {err && !del && !reset && !creating ? <ErrorBox error={err} /> : null}
      <Card title="Accounts">
        <Show a={cfg} empty={(c) => (c.users ?? []).length === 0} emptyTitle="No users">
          {(c) => (
            <table class="table" data-testid="users-table">
              <thead>
                <tr>
                  <th>Username</th>
                  <th>Role</th>
                  <th>Status</th>
                  <th class="right">Actions</th>
                </tr>
              </thead>
              <tbody>
                {(c.users ?? []).map((u) => {
                  const self = u.username === me.username;
                  return (
                    <tr key={u.uuid}>
                      <td>
                        <strong>{u.username}</strong> {self && <span class="muted">(you)</span>}
                      </td>
                      <td>
                        <select
                          value={u.role}
                          disabled={self || busy}
                          aria-label={`Role of ${u.username}`}
                          onChange={(e) => {
                            const role = (e.target as HTMLSelectElement).value;
                            void run(() => call('PUT', `/config/users/${u.uuid}/role`, { role }), `${u.username} is now ${role}; their sessions were signed out.`);
                          }}
                        >
                          <option value="viewer">viewer</option>
                          <option value="admin">admin</option>
                        </select>
                      </td>
                      <td>{u.must_change_password ? <Badge tone="warn">must change password</Badge> : <Badge tone="ok">active</Badge>}</td>
                      <td class="right nowrap">
                        <button class="btn sm" onClick={() => (setErr(null), setReset(u))}>
                          Reset password
                        </button>{' '}
                        <button class="btn sm danger" disabled={self} title={self ? 'You cannot delete your own account' : ''} onClick={() => (setErr(null), setDel(u))}>
                          Delete
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </Show>
      </Card>
      {creating && <CreateUser busy={busy} error={err} onClose={() => setCreating(false)} onCreate={(b) => run(() => call('POST', '/config/users', b), `User ${b.username} created. Give them the initial password; they must change it at first sign-in.`)} />}
      {reset && (
        <ResetPassword user={reset} busy={busy} error={err} onClose={() => setReset(null)} onReset={(pw) => run(() => call('PUT', `/config/users/${reset.uuid}/reset-password`, { new_password: pw }), `Password of ${reset.username} reset; they must change it at next sign-in.`)} />
      )}
      <Confirm
        open={del !== null}
        title={`Delete ${del?.username}?`}
        body={<p>The account is removed and can no longer sign in.</p>}
        confirmLabel="Delete user"
        danger
        busy={busy}
        error={err}
        onClose={() => setDel(null)}
        onConfirm={() => run(() => call('DELETE', `/config/users/${del!.uuid}`), `User ${del!.username} deleted.`)}
      />
    </div>
  );
}

function CreateUser(props: { busy: boolean; error: unknown; onClose: () => void; onCreate: (b: { username: string; password: string; role: string }) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState('viewer');
  const up = usernameProblem(username);
  const pp = passwordProblems(password, password);
  return (
    <Modal open title="Add user" onClose={props.onClose}>
      <Field label="Username" error={username && up ? up : null}>
        <input value={username} onInput={(e) => setUsername((e.target as HTMLInputElement).value)} autoFocus />
      </Field>
      <Field label="Initial password" hint="12–72 characters; the user must change it at first sign-in." error={password && pp.length ? pp.join(', ') : null}>
        <input type="password" autoComplete="new-password" value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
      </Field>
      <Field label="Role" hint="Viewers can see everything but change nothing.">
        <select value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value)}>
          <option value="viewer">viewer</option>
          <option value="admin">admin</option>
        </select>
      </Field>
      {props.error ? <ErrorBox error={props.error} title="Not created" /> : null}
      <div class="modal-actions">
        <button class="btn" onClick={props.onClose}>
          Cancel
        </button>
        <button class="btn primary" disabled={!!up || pp.length > 0 || props.busy} onClick={() => props.onCreate({ username, password, role })}>
          Create
        </button>
      </div>
    </Modal>
  );
}

function ResetPassword(props: { user: User; busy: boolean; error: unknown; onClose: () => void; onReset: (pw: string) => void }) {
  const [pw, setPw] = useState('');
  const pp = passwordProblems(pw, pw);
  return (
    <Modal open title={`Reset password of ${props.user.username}`} onClose={props.onClose}>
      <Field label="New temporary password" hint="12–72 characters. Their sessions are signed out and they must change it." error={pw && pp.length ? pp.join(', ') : null}>
        <input type="password" autoComplete="new-password" value={pw} onInput={(e) => setPw((e.target as HTMLInputElement).value)} autoFocus />
      </Field>
      {props.error ? <ErrorBox error={props.error} title="Not reset" /> : null}
      <div class="modal-actions">
        <button class="btn" onClick={props.onClose}>
          Cancel
        </button>
        <button class="btn primary" disabled={pp.length > 0 || props.busy} onClick={() => props.onReset(pw)}>
          Reset
        </button>
      </div>
    </Modal>
  );
}

export function SettingsPage() {
  const me = getSession();
  const admin = me?.role === 'admin';
  const cfg = useAsync((s) => get<Config>('/config', undefined, s), []);
  const health = useAsync(
    (s) =>
      get<Health>('/health', undefined, s).catch((e) => {
        // 503 still carries the component report; surface it as data.
        if (e instanceof ApiError && e.status === 503 && e.body && typeof e.body === 'object') return e.body as Health;
        throw e;
      }),
    [],
  );
  return (
    <div class="page" data-page="settings">
      <PageHead title="Settings" sub="Fleet-wide limits, daemon health and your account." />
      <div class="grid-1-1">
        {admin && (
          <Card title="Fleet settings">
            <Show a={cfg}>{(c) => <FleetSettings cfg={c} onSaved={cfg.reload} />}</Show>
          </Card>
        )}
        <Card title="Daemon health" actions={<button class="btn sm" onClick={health.reload}>Refresh</button>}>
          <Show a={health}>
            {(h) => (
              <>
                <p>
                  Overall: <Badge tone={stateTone(h.status)}>{h.status}</Badge>
                </p>
                <table class="table dense">
                  <tbody>
                    {Object.entries(h.components).map(([name, c]) => (
                      <tr>
                        <td>{name}</td>
                        <td>
                          <Badge tone={stateTone(c.status)}>{c.status}</Badge>
                        </td>
                        <td class="muted small">{c.detail ?? ''}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            )}
          </Show>
        </Card>
      </div>
      <ChangePasswordPage forced={false} />
      {admin && cfg.data?.developer_mode && <DevReinit />}
    </div>
  );
}

function FleetSettings(props: { cfg: Config; onSaved: () => void }) {
  const [limit, setLimit] = useState(String(props.cfg.deployment_limit));
  const [interval, setInterval_] = useState(props.cfg.global_mutation_interval);
  const [msg, setMsg] = useState<string | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const lp = limitProblem(limit);
  const ip = parseDuration(interval) === null ? 'a number followed by m, d, M or y (e.g. 30m)' : null;
  const save = async (fn: () => Promise<{ message: string }>) => {
    setErr(null);
    setMsg(null);
    try {
      setMsg((await fn()).message);
      props.onSaved();
    } catch (e) {
      setErr(e);
    }
  };
  return (
    <div class="stack">
      <div class="row gap-s field-row">
        <Field label="Deployment limit" hint="Maximum number of deckies (1–4096)." error={lp}>
          <input value={limit} inputMode="numeric" onInput={(e) => setLimit((e.target as HTMLInputElement).value)} />
        </Field>
        <button class="btn" disabled={!!lp} onClick={() => save(() => call('PUT', '/config/deployment-limit', { deployment_limit: Number(limit) }))}>
          Save
        </button>
      </div>
      <div class="row gap-s field-row">
        <Field label="Global mutation interval" hint="Default for deckies without their own interval: 30m, 2d, 1M…" error={ip}>
          <input value={interval} onInput={(e) => setInterval_((e.target as HTMLInputElement).value.trim())} />
        </Field>
        <button class="btn" disabled={!!ip} onClick={() => save(() => call('PUT', '/config/global-mutation-interval', { global_mutation_interval: interval }))}>
          Save
        </button>
      </div>
      {msg && <div class="ok-box">{msg}</div>}
      {err ? <ErrorBox error={err} title="Not saved" /> : null}
    </div>
  );
}

function DevReinit() {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  const [msg, setMsg] = useState<string | null>(null);
  return (
    <Card title="Developer mode">
      <p class="muted">Purge all recorded events, bounties, credentials and attackers. Deckies and users are kept.</p>
      <button class="btn danger" onClick={() => setOpen(true)}>
        Purge data…
      </button>
      {msg && <div class="ok-box">{msg}</div>}
      <Confirm
        open={open}
        title="Purge all recorded data?"
        body={<p>This cannot be undone.</p>}
        confirmLabel="Purge"
        danger
        typeToConfirm="purge"
        busy={busy}
        error={err}
        onClose={() => setOpen(false)}
        onConfirm={async () => {
          setBusy(true);
          try {
            const r = await call<{ deleted: Record<string, number> }>('DELETE', '/config/reinit');
            setMsg('Deleted: ' + Object.entries(r.deleted).map(([k, v]) => `${v} ${k}`).join(', '));
            setOpen(false);
          } catch (e) {
            setErr(e);
          } finally {
            setBusy(false);
          }
        }}
      />
    </Card>
  );
}
