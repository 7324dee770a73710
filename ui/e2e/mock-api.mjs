// A small in-memory stand-in for decnetd's REST API (spec/api.md), serving ui/dist as decnetd does.
// For UI development and for exercising the e2e harness before the real API exists:
//   npm run build && node e2e/mock-api.mjs [port]     → http://127.0.0.1:8765 (admin / admin-initial-pw)
// It is NOT a reference implementation: only the shapes and the auth flow the dashboard relies on.
import { createServer } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { join, extname } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';

const PORT = Number(process.argv[2] ?? process.env.MOCK_PORT ?? 8765);
const DIST = new URL('../dist/', import.meta.url).pathname;
const now = () => Date.now();
const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');

const users = [{ uuid: randomUUID(), username: 'admin', role: 'admin', must_change_password: true, password: 'admin-initial-pw' }];
const tokens = new Map(); // token → user uuid
const tickets = new Map();
let deploymentLimit = 256;
let globalInterval = '30m';
const lifecycle = new Map();

const svcSets = [['ssh', 'http'], ['smb', 'rdp'], ['mysql', 'postgres', 'redis'], ['ftp', 'telnet'], ['snmp', 'ftp']];
let deckies = Array.from({ length: 6 }, (_, i) => ({
  name: `decky-0${i + 1}`, ip: `10.213.0.${11 + i}`, mac: `02:42:0a:d5:00:${(11 + i).toString(16)}`, started_at: iso(now() - 86400e3),
  services: svcSets[i % 5], services_state: svcSets[i % 5].map((n) => ({ name: n, state: i === 4 && n === 'telnet' ? 'exited' : 'running' })),
  distro: ['debian', 'ubuntu22', 'rocky9'][i % 3], hostname: `SRV-${['ALPHA', 'BRAVO', 'CHARLIE', 'DELTA', 'ECHO', 'FOXTROT'][i]}-1${i + 1}`,
  archetype: i === 1 ? 'windows-workstation' : null, service_config: {}, nmap_os: i === 1 ? 'windows' : 'linux', mutate_interval: i === 0 ? 60 : null,
  last_mutated: i === 0 ? iso(now() - 3600e3) : null, last_login_attempt: null, state: i === 5 ? 'failed' : 'running', last_error: i === 5 ? 'sandbox task exited (status 1)' : null,
}));

// Events: attackers hitting deckies.
const attackerIps = ['203.0.113.7', '198.51.100.23', '192.0.2.44', '203.0.113.99', '198.51.100.5'];
const logs = [];
let nextId = 1;
function addLog(ts, decky, service, event_type, ip, fields = {}) {
  const sd = Object.entries(fields).map(([k, v]) => `${k}="${v}"`).join(' ');
  const row = { id: nextId++, timestamp: iso(ts), decky, service, event_type, attacker_ip: ip, raw_line: `<134>1 ${iso(ts)} ${decky} ${service} - ${event_type} [decnet@55555 src_ip="${ip}" ${sd}]`, fields: { src_ip: ip, ...fields }, msg: null };
  logs.push(row);
  return row;
}
for (let i = 0; i < 1500; i++) {
  const ip = attackerIps[i % attackerIps.length];
  const d = deckies[(i * 7 + (i % 3)) % 5];
  const svc = d.services[i % d.services.length];
  const ev = ['connect', 'auth_attempt', 'command', 'auth_attempt'][i % 4];
  addLog(now() - (1500 - i) * 55e3, d.name, svc, ev, ip, ev === 'command' ? { cmd: ['whoami', 'uname -a', 'cat /etc/passwd'][i % 3] } : ev === 'auth_attempt' ? { username: ['root', 'admin'][i % 2], password: ['123456', 'toor', 'admin'][i % 3] } : {});
}
function attackerOf(ip) {
  const rows = logs.filter((l) => l.attacker_ip === ip);
  const deck = [...new Set(rows.map((r) => r.decky))];
  const svcs = [...new Set(rows.map((r) => r.service))].sort();
  return {
    uuid: uuidOf(ip), ip, first_seen: rows[0].timestamp, last_seen: rows[rows.length - 1].timestamp, event_count: rows.length, service_count: svcs.length, decky_count: deck.length,
    services: svcs, deckies: deck, traversal_path: deck.length > 1 ? deck.join(' → ') : null, is_traversal: deck.length > 1, bounty_count: 1, credential_count: 3,
    fingerprints: [{ fingerprint_type: 'ja3', ja3: 'e7d705a3286e19ea42f587b344ee6865', ja4: 't13d1516h2_8daaf6152771_02713d6af862' }],
    commands: rows.filter((r) => r.event_type === 'command').slice(-20).map((r) => ({ service: r.service, decky: r.decky, command: r.fields.cmd, timestamp: r.timestamp })),
    updated_at: iso(now()),
    behavior: { os_guess: 'linux', hop_distance: 9, tcp_fingerprint: { window: 64240, wscale: 7, mss: 1460 }, kex_order_raw: [], ssh_client_banners: ['SSH-2.0-libssh2_1.10.0'], retransmit_count: 0, behavior_class: 'scanning', beacon_interval_s: null, beacon_jitter_pct: null, tool_guesses: ['nmap'], timing_stats: {}, phase_sequence: {}, updated_at: iso(now()) },
  };
}
const uuidCache = new Map();
const uuidOf = (ip) => (uuidCache.has(ip) ? uuidCache.get(ip) : (uuidCache.set(ip, randomUUID()), uuidCache.get(ip)));
attackerIps.forEach(uuidOf);
const creds = attackerIps.flatMap((ip, i) =>
  [['root', '123456'], ['admin', 'admin'], ['root', 'toor']].map(([p, s], j) => ({
    id: i * 3 + j + 1, attacker_ip: ip, attacker_uuid: uuidOf(ip), decky_name: deckies[j].name, service: 'ssh', principal: p, secret_kind: 'password', secret_sha256: 'ab'.repeat(32),
    secret_b64: Buffer.from(s).toString('base64'), secret_printable: s, outcome: 'failed', fields: {}, first_seen: iso(now() - 7200e3), last_seen: iso(now() - i * 60e3), attempt_count: 3 + i + j,
  })),
);

function matches(q, r) {
  if (!q) return true;
  return q.split(/\s+/).filter(Boolean).every((t) => {
    const i = t.indexOf(':');
    if (i > 0 && i < t.length - 1) {
      const k = t.slice(0, i), v = t.slice(i + 1);
      if (k === 'decky') return r.decky === v;
      if (k === 'service') return r.service === v;
      if (k === 'event') return r.event_type === v;
      if (['attacker', 'attacker-ip', 'attacker_ip'].includes(k)) return r.attacker_ip === v;
      return String(r.fields[k] ?? '\u0000') === v;
    }
    return [r.raw_line, r.decky, r.service, r.attacker_ip ?? ''].some((h) => h.toLowerCase().includes(t.toLowerCase()));
  });
}
const parseT = (s) => (s ? Date.parse(s.includes('T') ? s : s.replace(' ', 'T') + 'Z') : NaN);
function filterLogs(sp) {
  const s = parseT(sp.get('start_time')), e = parseT(sp.get('end_time'));
  return logs.filter((r) => matches(sp.get('search'), r) && (!Number.isFinite(s) || Date.parse(r.timestamp) >= s) && (!Number.isFinite(e) || Date.parse(r.timestamp) <= e));
}
function histogram(rows, interval) {
  const w = interval * 60, m = new Map();
  for (const r of rows) { const b = Math.floor(Date.parse(r.timestamp) / 1000 / w) * w; m.set(b, (m.get(b) ?? 0) + 1); }
  return [...m.entries()].sort((a, b) => a[0] - b[0]).map(([t, count]) => ({ time: iso(t * 1000), count }));
}
const stats = () => ({ total_logs: logs.length, unique_attackers: new Set(logs.map((l) => l.attacker_ip)).size, active_deckies: deckies.filter((d) => d.state === 'running').length, deployed_deckies: deckies.length });
const page = (rows, sp) => { const limit = Number(sp.get('limit') ?? 50), offset = Number(sp.get('offset') ?? 0); return { total: rows.length, limit, offset, data: rows.slice(offset, offset + limit) }; };

const streams = new Set();
setInterval(() => {
  const ip = attackerIps[Math.floor(Math.random() * attackerIps.length)];
  const d = deckies[Math.floor(Math.random() * deckies.length)];
  const row = addLog(now(), d.name, d.services[0], 'auth_attempt', ip, { username: 'root', password: 'hunter2' });
  for (const s of streams) s.write(`event: message\ndata: ${JSON.stringify({ type: 'logs', data: [row] })}\n\n`);
}, 3000);

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
}
function auth(req) {
  const h = req.headers.authorization ?? '';
  const uuid = h.startsWith('Bearer ') ? tokens.get(h.slice(7)) : undefined;
  return users.find((u) => u.uuid === uuid);
}
async function body(req) {
  let b = '';
  for await (const c of req) b += c;
  return b ? JSON.parse(b) : {};
}

createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname, sp = url.searchParams, m = req.method;
  if (!p.startsWith('/api/')) {
    let f = join(DIST, p === '/' ? 'index.html' : p);
    if (!f.startsWith(DIST) || !existsSync(f) || extname(f) === '') f = join(DIST, 'index.html');
    const types = { '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.html': 'text/html' };
    res.writeHead(200, { 'Content-Type': types[extname(f)] ?? 'application/octet-stream' });
    return res.end(readFileSync(f));
  }
  const r = p.slice('/api/v1'.length);
  if (r === '/auth/login' && m === 'POST') {
    const b = await body(req);
    const u = users.find((x) => x.username === b.username && x.password === b.password);
    if (!u) return send(res, 401, { detail: 'Incorrect username or password' });
    const exp = Math.floor(now() / 1000) + 14400;
    const token = 'h.' + Buffer.from(JSON.stringify({ uuid: u.uuid, exp })).toString('base64url') + '.' + randomBytes(8).toString('hex');
    tokens.set(token, u.uuid);
    return send(res, 200, { access_token: token, token_type: 'bearer', must_change_password: u.must_change_password });
  }
  if (r === '/stream') {
    if (!tickets.delete(sp.get('ticket'))) return send(res, 401, { detail: 'Could not validate credentials' });
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' });
    res.write(': keepalive\n\n');
    res.write(`event: message\ndata: ${JSON.stringify({ type: 'stats', data: stats() })}\n\n`);
    streams.add(res);
    req.on('close', () => streams.delete(res));
    return;
  }
  const u = auth(req);
  if (!u) return send(res, 401, { detail: 'Could not validate credentials' }, { 'WWW-Authenticate': 'Bearer' });
  if (r === '/auth/change-password' && m === 'POST') {
    const b = await body(req);
    if (b.old_password !== u.password) return send(res, 401, { detail: 'Incorrect old password' });
    if ([...(b.new_password ?? '')].length < 12) return send(res, 400, { detail: 'Bad Request: Schema structural violation (wrong type, extra fields, or invalid length).' });
    u.password = b.new_password; u.must_change_password = false;
    for (const [t, id] of tokens) if (id === u.uuid) tokens.delete(t);
    return send(res, 200, { message: 'Password updated successfully' });
  }
  if (r === '/auth/logout' && m === 'POST') { tokens.delete(req.headers.authorization.slice(7)); return send(res, 200, { message: 'Logged out' }); }
  if (u.must_change_password) return send(res, 403, { detail: 'Password change required before accessing this resource' });
  const admin = u.role === 'admin';
  const needAdmin = () => (admin ? false : (send(res, 403, { detail: 'Insufficient permissions' }), true));
  if (r === '/auth/sse-ticket' && m === 'POST') { const t = randomBytes(32).toString('base64url'); tickets.set(t, u.uuid); return send(res, 200, { ticket: t, expires_in: 60 }); }
  if (r === '/stats') return send(res, 200, stats());
  if (r === '/health') return send(res, 200, { status: 'degraded', components: { database: { status: 'ok' }, containerd: { status: 'ok' }, ingestion_worker: { status: 'ok' }, collector_worker: { status: 'ok' }, attacker_worker: { status: 'ok' }, sniffer_worker: { status: 'failing', detail: 'not started' } } });
  if (r === '/logs') return send(res, 200, page(filterLogs(sp).slice().reverse(), sp));
  if (r === '/logs/histogram') return send(res, 200, histogram(filterLogs(sp), Number(sp.get('interval_minutes') ?? 15)));
  if (r === '/attackers') {
    let list = attackerIps.map(attackerOf).filter((a) => !sp.get('search') || a.ip.includes(sp.get('search'))).filter((a) => !sp.get('service') || a.services.includes(sp.get('service')));
    list.sort(sp.get('sort_by') === 'active' ? (a, b) => b.event_count - a.event_count : (a, b) => b.last_seen.localeCompare(a.last_seen));
    return send(res, 200, page(list, sp));
  }
  let mm;
  if ((mm = /^\/attackers\/([^/]+)(\/commands)?$/.exec(r))) {
    const ip = attackerIps.find((x) => uuidOf(x) === mm[1]);
    if (!ip) return send(res, 404, { detail: 'Attacker not found' });
    const a = attackerOf(ip);
    if (mm[2]) return send(res, 200, page(a.commands.slice().reverse(), sp));
    return send(res, 200, { ...a, service_activity: { interacted: ['ssh'], scanned: a.services.filter((s) => s !== 'ssh') }, ip_leaks: [], ip_leaks_total: 0 });
  }
  if (r === '/credentials') return send(res, 200, page(creds.filter((c) => (!sp.get('attacker_ip') || c.attacker_ip === sp.get('attacker_ip')) && (!sp.get('service') || c.service === sp.get('service')) && (!sp.get('search') || [c.principal, c.secret_printable, c.decky_name].some((x) => x.includes(sp.get('search'))))), sp));
  if (r === '/deckies') return send(res, 200, deckies);
  if (r === '/deckies/lifecycle') return send(res, 200, { rows: sp.getAll('ids').filter((id) => lifecycle.has(id)).map((id) => lifecycle.get(id)) });
  if (r === '/deckies/deploy' && m === 'POST') {
    if (needAdmin()) return;
    const b = await body(req);
    const names = b.ini_content.split(/^\s*\[/m).slice(1).flatMap((sec) => {
      const n = sec.slice(0, sec.indexOf(']')).trim();
      if (n === 'general' || n.includes('.') || n.startsWith('custom-')) return [];
      const amount = Number(/^\s*amount\s*[=:]\s*(\d+)/m.exec(sec)?.[1] ?? 1);
      return amount > 1 ? Array.from({ length: amount }, (_, i) => `${n}-${String(i + 1).padStart(2, '0')}`) : [n];
    });
    if (names.length === 0) return send(res, 409, { detail: 'Invalid INI config structure: No decky sections found.' });
    const clash = names.find((n) => deckies.some((d) => d.name === n));
    if (clash && !b.replace_fleet) return send(res, 409, { detail: `decky '${clash}' already exists; submit with replace_fleet=true to overwrite the fleet` });
    if (b.dry_run) {
      const base = b.replace_fleet ? 0 : deckies.length;
      return send(res, 200, { dry_run: true, deckies: names.map((n, i) => ({ ...deckies[0], name: n, ip: `10.213.0.${100 + base + i}`, mac: '', started_at: null, services: ['ssh'], services_state: [{ name: 'ssh', state: 'planned' }], state: 'planned', last_error: null, last_mutated: null })) });
    }
    const ids = names.map((n, i) => {
      const id = randomUUID();
      lifecycle.set(id, { id, decky_name: n, operation: 'deploy', status: 'pending', error: null, started_at: iso(now()), updated_at: iso(now()), completed_at: null });
      setTimeout(() => {
        Object.assign(lifecycle.get(id), { status: 'completed', updated_at: iso(now()), completed_at: iso(now()) });
        deckies.push({ ...deckies[0], name: n, ip: `10.213.0.${100 + deckies.length + i}`, services: ['ssh'], services_state: [{ name: 'ssh', state: 'running' }], state: 'running', last_error: null });
      }, 1500 + i * 500);
      return id;
    });
    return send(res, 202, { message: 'Deployment accepted', mode: b.replace_fleet ? 'replace' : 'additive', lifecycle_ids: ids });
  }
  if ((mm = /^\/deckies\/([^/]+)(\/mutate|\/mutate-interval)?$/.exec(r))) {
    if (needAdmin()) return;
    const d = deckies.find((x) => x.name === mm[1]);
    if (!d) return send(res, 404, { detail: `Decky ${mm[1]} not found` });
    if (m === 'DELETE') { deckies = deckies.filter((x) => x !== d); res.writeHead(204); return res.end(); }
    if (mm[2] === '/mutate') { const id = randomUUID(); lifecycle.set(id, { id, decky_name: d.name, operation: 'mutate', status: 'completed', error: null, started_at: iso(now()), updated_at: iso(now()), completed_at: iso(now()) }); d.last_mutated = iso(now()); return send(res, 202, { lifecycle_ids: [id] }); }
    if (mm[2] === '/mutate-interval') { const b = await body(req); d.mutate_interval = b.mutate_interval ? Number(String(b.mutate_interval).slice(0, -1)) : null; return send(res, 200, { message: 'Mutation interval updated' }); }
  }
  if (r === '/config') return send(res, 200, { role: u.role, deployment_limit: deploymentLimit, global_mutation_interval: globalInterval, ...(admin ? { users: users.map(({ password, ...x }) => x) } : {}) });
  if (r === '/config/deployment-limit' && m === 'PUT') { if (needAdmin()) return; deploymentLimit = (await body(req)).deployment_limit; return send(res, 200, { message: 'Deployment limit updated' }); }
  if (r === '/config/global-mutation-interval' && m === 'PUT') { if (needAdmin()) return; globalInterval = (await body(req)).global_mutation_interval; return send(res, 200, { message: 'Global mutation interval updated' }); }
  if (r === '/config/users' && m === 'POST') {
    if (needAdmin()) return;
    const b = await body(req);
    if (users.some((x) => x.username === b.username)) return send(res, 409, { detail: 'Username already exists' });
    const nu = { uuid: randomUUID(), username: b.username, role: b.role ?? 'viewer', must_change_password: true, password: b.password };
    users.push(nu);
    const { password, ...out } = nu;
    return send(res, 200, out);
  }
  if ((mm = /^\/config\/users\/([^/]+)(\/role|\/reset-password)?$/.exec(r))) {
    if (needAdmin()) return;
    const t = users.find((x) => x.uuid === mm[1]);
    if (!t) return send(res, 404, { detail: 'User not found' });
    if (m === 'DELETE') { if (t === u) return send(res, 403, { detail: 'Cannot delete your own account' }); users.splice(users.indexOf(t), 1); return send(res, 200, { message: 'User deleted' }); }
    const b = await body(req);
    if (mm[2] === '/role') { if (t === u) return send(res, 403, { detail: 'Cannot change your own role' }); t.role = b.role; return send(res, 200, { message: 'Role updated' }); }
    t.password = b.new_password; t.must_change_password = true; return send(res, 200, { message: 'Password reset' });
  }
  send(res, 404, { detail: 'Not Found' });
}).listen(PORT, '127.0.0.1', () => console.log(`mock decnet API + dashboard on http://127.0.0.1:${PORT} (admin / admin-initial-pw)`));
