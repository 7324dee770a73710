// End-to-end suite: drives Debian's chromium (headless, no sandbox) with playwright-core against a running
// decnetd. Skips (exit 0) when DECNET_E2E_URL is unset.
//
// Environment:
//   DECNET_E2E_URL            base URL of decnetd, e.g. http://127.0.0.1:8000 (required, else skip)
//   DECNET_E2E_USER           admin user (default admin)
//   DECNET_E2E_PASSWORD       its current / initial password (default: $DECNET_ADMIN_PASSWORD)
//   DECNET_E2E_NEW_PASSWORD   password to set when a change is forced (default: <initial>-e2e-changed)
//   DECNET_E2E_CHROMIUM       browser binary (default /usr/bin/chromium)
//   DECNET_E2E_ATTACK_CMD     shell command that makes decnet-attacker hit a decky (lab); enables the live-feed test
//   DECNET_E2E_ATTACKER_IP    source IP of that attack (what the feed must show)
//   DECNET_E2E_DEPLOY_INI     path of an INI to deploy from the wizard; enables the deploy test
//   DECNET_E2E_SCREENSHOTS    directory to also copy one screenshot per page into (e.g. ../docs/screenshots)
//   DECNET_E2E_EXPECT_EVENTS  minimum "Events stored" the overview must show when its paint is measured
//   DECNET_E2E_STRICT         set (CI against a real decnetd): the attacker and its traversal must be found
import { execSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { AttackersPage, ChangePasswordPage, Dashboard, DeployWizard, FleetPage, LoginPage, LogsPage, OverviewPage, RESULTS } from './pages.mjs';

const BASE = process.env.DECNET_E2E_URL;
if (!BASE) {
  console.log('e2e: SKIP — DECNET_E2E_URL is not set (point it at a running decnetd, e.g. http://127.0.0.1:8000).');
  process.exit(0);
}
const CHROMIUM = process.env.DECNET_E2E_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  console.error(`e2e: chromium not found at ${CHROMIUM} (apt-get install chromium, or set DECNET_E2E_CHROMIUM)`);
  process.exit(1);
}
const USER = process.env.DECNET_E2E_USER ?? 'admin';
let PASSWORD = process.env.DECNET_E2E_PASSWORD ?? process.env.DECNET_ADMIN_PASSWORD ?? '';
const NEW_PASSWORD = process.env.DECNET_E2E_NEW_PASSWORD ?? `${PASSWORD}-e2e-changed`;
const STRICT = !!process.env.DECNET_E2E_STRICT;
const EXPECT_EVENTS = Number(process.env.DECNET_E2E_EXPECT_EVENTS ?? 0);

const { chromium } = await import('playwright-core');
const results = [];
const metrics = {};
const shots = [];
let failed = 0;

async function step(name, fn, { skip } = {}) {
  if (skip) {
    console.log(`- SKIP ${name}: ${skip}`);
    results.push({ name, status: 'skip', reason: skip });
    return;
  }
  const t0 = Date.now();
  try {
    const out = await fn();
    console.log(`✓ ${name} (${Date.now() - t0} ms)${out ? ' — ' + out : ''}`);
    results.push({ name, status: 'pass', ms: Date.now() - t0, note: out ?? null });
  } catch (e) {
    failed++;
    console.log(`✗ ${name}: ${e?.message ?? e}`);
    results.push({ name, status: 'fail', ms: Date.now() - t0, error: String(e?.message ?? e) });
    try {
      await new Dashboard(page, BASE).screenshot(`FAILED-${name.replace(/\W+/g, '-')}`);
    } catch {
      /* ignore */
    }
  }
}

mkdirSync(RESULTS, { recursive: true });
// Debian's chromium, headless, no sandbox, a fresh profile, nothing talking to Google in the background.
const profile = mkdtempSync(join(tmpdir(), 'decnet-e2e-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  viewport: { width: 1280, height: 800 },
  colorScheme: 'dark',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});
const browser = { close: async () => { await context.close(); rmSync(profile, { recursive: true, force: true }); } };
const page = context.pages()[0] ?? (await context.newPage());
const external = [];
const consoleErrors = [];
page.on('request', (r) => {
  const u = new URL(r.url());
  if (!['data:', 'blob:'].includes(u.protocol) && u.origin !== new URL(BASE).origin) external.push(r.url());
});
page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
page.on('pageerror', (e) => consoleErrors.push(String(e)));

const shot = async (d, name) => shots.push(await d.screenshot(name));

await step('unauthenticated / shows the login form within 4 s at 1280×800', async () => {
  const lp = new LoginPage(page, BASE);
  const t0 = Date.now();
  await lp.open();
  metrics.loginFormMs = Date.now() - t0;
  await shot(lp, 'login');
  return `${metrics.loginFormMs} ms`;
});

await step('wrong password is refused with a readable message', async () => {
  const lp = new LoginPage(page, BASE);
  await lp.login(USER, 'definitely-not-the-password');
  const msg = await lp.error();
  if (!/Incorrect username or password/.test(msg)) throw new Error(`unexpected message: ${msg}`);
}, { skip: PASSWORD ? undefined : 'no password configured' });

await step('log in (and change the password when forced)', async () => {
  if (!PASSWORD) throw new Error('set DECNET_E2E_PASSWORD or DECNET_ADMIN_PASSWORD');
  const lp = new LoginPage(page, BASE);
  await lp.open();
  await lp.login(USER, PASSWORD);
  const cp = new ChangePasswordPage(page, BASE);
  let note = 'no change required';
  // bcrypt (cost 12) on a loaded machine can take seconds: wait for whichever page the login leads to.
  await page.locator('[data-testid=change-password-form], [data-page=overview], [data-testid=login-form] [role=alert]').first().waitFor({ timeout: 30_000 });
  if (await page.locator('[data-testid=login-form] [role=alert]').count()) throw new Error(`login refused: ${await lp.error()}`);
  if (await cp.isShown(500)) {
    await shot(cp, 'change-password');
    await cp.change(PASSWORD, NEW_PASSWORD);
    PASSWORD = NEW_PASSWORD;
    note = `password changed (new password: DECNET_E2E_NEW_PASSWORD)`;
  }
  await new Dashboard(page, BASE).waitForPage('overview', 30_000);
  return note;
});

await step('overview: first meaningful paint (stats + histogram) under 1 s', async () => {
  const ov = new OverviewPage(page, BASE);
  // Cold: past the API's 5 s per-process caches of /stats and the default histogram, so the figure includes the
  // database queries. Five cold loads: load from other work on the machine only ever adds time, so the best one is
  // held to the budget (as a benchmark's best-of-N) and the median is reported beside it; then a warm (cached) load.
  const colds = [];
  for (let i = 0; i < 5; i++) {
    await page.waitForTimeout(6000);
    colds.push(await ov.openAndMeasure());
    await ov.settle();
  }
  const sorted = [...colds].sort((x, y) => x.paintMs - y.paintMs);
  const cold = sorted[0];
  const median = sorted[2];
  const warm = await ov.openAndMeasure();
  metrics.overview = { cold, coldMedian: median, coldPaintsMs: colds.map((c) => c.paintMs), warm };
  await ov.settle();
  await ov.waitLive();
  await shot(ov, 'overview');
  if (EXPECT_EVENTS && cold.eventsShown < EXPECT_EVENTS) throw new Error(`overview shows ${cold.eventsShown} events stored, expected at least ${EXPECT_EVENTS}`);
  if (cold.paintMs > 1000) throw new Error(`first meaningful paint after ${cold.paintMs} ms (best of ${colds.map((c) => c.paintMs).join(', ')}; budget 1000 ms): ${JSON.stringify(metrics.overview)}`);
  return `cold best: stats ${cold.statsMs} ms, histogram ${cold.histogramMs} ms, FCP ${cold.fcpMs} ms (cold loads ${colds.map((c) => c.paintMs).join('/')} ms, median ${median.paintMs}); warm: ${warm.paintMs} ms; ${cold.eventsShown} events stored`;
});

await step('an attack from decnet-attacker appears in the live feed within 2 s', async () => {
  const ov = new OverviewPage(page, BASE);
  await ov.goto('/');
  await ov.waitLive();
  await ov.watchFeed();
  const ip = process.env.DECNET_E2E_ATTACKER_IP;
  const t0 = Date.now();
  execSync(process.env.DECNET_E2E_ATTACK_CMD, { stdio: 'inherit', timeout: 60_000 });
  const cmdMs = Date.now() - t0;
  const afterCmdMs = await ov.waitForFeedRow(ip, 2000);
  // Per row: the event's own timestamp (written by the decky) → the row inserted into the page.
  const seen = await ov.feedSeen(ip);
  const logs = await ov.api(`/logs?limit=50&search=${encodeURIComponent('attacker:' + ip)}`);
  const ts = new Map((logs.data ?? []).map((r) => [r.id, Date.parse(r.timestamp)]));
  const lat = seen.filter((r) => ts.has(r.id)).map((r) => r.t - ts.get(r.id));
  metrics.feed = { attackCommandMs: cmdMs, rowAfterCommandMs: afterCmdMs, rows: seen.length, eventToRowMs: lat.length ? { min: Math.min(...lat), max: Math.max(...lat), median: lat.sort((x, y) => x - y)[lat.length >> 1] } : null };
  await shot(ov, 'overview-live');
  if (lat.length && Math.min(...lat) > 2000) throw new Error(`first feed row ${Math.min(...lat)} ms after its event (budget 2000 ms)`);
  return `first row ${afterCmdMs} ms after the attack command ended (${cmdMs} ms); event → row ${JSON.stringify(metrics.feed.eventToRowMs)} over ${seen.length} rows`;
}, { skip: process.env.DECNET_E2E_ATTACK_CMD && process.env.DECNET_E2E_ATTACKER_IP ? undefined : 'set DECNET_E2E_ATTACK_CMD and DECNET_E2E_ATTACKER_IP (lab)' });

await step('fleet page', async () => {
  const f = new FleetPage(page, BASE);
  await f.open();
  await shot(f, 'fleet');
});

await step('deploy wizard: validate, plan, deploy and see the decky come up', async () => {
  const ini = readFileSync(process.env.DECNET_E2E_DEPLOY_INI, 'utf8');
  const w = new DeployWizard(page, BASE);
  await w.open();
  await w.setIni('[broken\nservices=ssh');
  const bad = await w.status();
  if (!/no sections found/.test(bad)) throw new Error(`live validation did not flag a broken INI: ${bad}`);
  await w.setIni(ini);
  const ok = await w.status();
  if (!/Looks valid/.test(ok)) throw new Error(`INI flagged: ${ok}`);
  // The preview is the server's dry-run plan: every decky section of the INI appears before deploying.
  const names = await w.serverPlannedNames();
  const sections = [...ini.matchAll(/^\s*\[([^\]]+)\]/gm)].map((m) => m[1].trim()).filter((n) => n !== 'general' && !n.includes('.') && !n.startsWith('custom-'));
  const missing = sections.filter((n) => !names.some((p) => p === n || p.startsWith(`${n}-`)));
  if (names.length === 0 || missing.length) throw new Error(`server plan ${JSON.stringify(names)} lacks ${missing.join(', ')}`);
  await shot(w, 'deploy-wizard');
  await w.deploy();
  const rows = await w.waitDone();
  const bad2 = rows.filter((r) => !/^(completed|succeeded|success|done)$/i.test(r.status));
  if (bad2.length) throw new Error(`lifecycle: ${JSON.stringify(bad2)}`);
  const f = new FleetPage(page, BASE);
  await f.open();
  for (const n of names) await f.waitForDecky(n, 30_000);
  for (const n of names) await f.waitForRunning(n, 90_000);
  await shot(f, 'fleet-after-deploy');
  return `deployed ${names.join(', ')}`;
}, { skip: process.env.DECNET_E2E_DEPLOY_INI ? undefined : 'set DECNET_E2E_DEPLOY_INI' });

await step('attackers list and detail with the traversal', async () => {
  const a = new AttackersPage(page, BASE);
  await a.open();
  await shot(a, 'attackers');
  const ip = process.env.DECNET_E2E_ATTACKER_IP;
  if (ip) await a.search(ip);
  await a.settle();
  const first = page.locator('[data-testid=attackers-table] tbody tr a').first();
  if (STRICT && ip) {
    // The profiler folds new events into attacker rows within about a second: reload until it is listed.
    for (let i = 0; i < 20 && (await first.count()) === 0; i++) {
      await page.waitForTimeout(1000);
      await a.open();
      await a.search(ip);
      await a.settle();
    }
    if ((await first.count()) === 0) throw new Error(`attacker ${ip} not listed after 20 s`);
  }
  if ((await first.count()) === 0) return 'no attackers recorded yet: detail not checked';
  await first.click();
  await a.waitForPage('attacker');
  const t = await a.traversal();
  await a.settle();
  await shot(a, 'attacker-detail');
  if (t.lanes < 1 || t.hops < 1 || !t.path) throw new Error(`empty traversal ${JSON.stringify(t)}`);
  if (STRICT && t.lanes < 2) throw new Error(`traversal across ${t.lanes} decky lane(s), expected at least 2`);
  return `${t.lanes} lanes, ${t.hops} hops`;
});

await step('credentials page', async () => {
  const d = new Dashboard(page, BASE);
  await d.goto('/credentials');
  await d.waitForPage('credentials');
  await d.settle();
  await shot(d, 'credentials');
});

await step('logs explorer with the search grammar', async () => {
  const l = new LogsPage(page, BASE);
  await l.open();
  await l.search('service:ssh');
  const chips = await page.locator('.chip').count();
  if (chips !== 1) throw new Error(`expected one filter chip, got ${chips}`);
  await shot(l, 'logs');
  return `${await l.rowCount()} rows shown`;
});

await step('users and settings (admin)', async () => {
  const d = new Dashboard(page, BASE);
  await d.goto('/users');
  await d.waitForPage('users');
  await d.settle();
  await shot(d, 'users');
  await d.goto('/settings');
  await d.waitForPage('settings');
  await d.settle();
  await shot(d, 'settings');
});

await step('all requests stayed same-origin', async () => {
  if (external.length) throw new Error(`external requests: ${[...new Set(external)].join(', ')}`);
});

await step('no uncaught page errors', async () => {
  const relevant = consoleErrors.filter((e) => !/status of 40[139]|429/.test(e));
  if (relevant.length) throw new Error(relevant.slice(0, 5).join(' | '));
});

await browser.close();

const shotsDir = process.env.DECNET_E2E_SCREENSHOTS;
if (shotsDir) {
  mkdirSync(shotsDir, { recursive: true });
  for (const s of shots) if (!basename(s).startsWith('FAILED')) copyFileSync(s, join(shotsDir, basename(s)));
}
writeFileSync(join(RESULTS, 'report.json'), JSON.stringify({ base: BASE, results, metrics, screenshots: shots }, null, 2));
console.log(`\n${results.filter((r) => r.status === 'pass').length} passed, ${failed} failed, ${results.filter((r) => r.status === 'skip').length} skipped — report: ${join(RESULTS, 'report.json')}`);
process.exit(failed ? 1 : 0);
