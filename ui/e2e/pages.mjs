// Page objects for the dashboard e2e suite (playwright-core). Selectors rely on stable hooks the UI renders:
// data-page on every page root, data-testid on forms/tables, input names on the auth forms.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const RESULTS = new URL('../test-results/', import.meta.url).pathname;

/** Base wrapper: navigation, waiting, screenshots. */
export class Dashboard {
  /** @param {import('playwright-core').Page} page @param {string} baseURL */
  constructor(page, baseURL) {
    this.page = page;
    this.base = baseURL.replace(/\/+$/, '');
  }
  url(path) {
    return this.base + path;
  }
  async goto(path) {
    await this.page.goto(this.url(path), { waitUntil: 'domcontentloaded' });
  }
  /** Client-side navigation through the sidebar (keeps the session and the SSE stream of the shell). */
  async nav(label) {
    await this.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
  }
  async waitForPage(name, timeout = 10_000) {
    await this.page.locator(`[data-page="${name}"]`).waitFor({ state: 'visible', timeout });
  }
  /** Waits until no loading spinner is visible on the page. */
  async settle(timeout = 10_000) {
    await this.page.waitForFunction(() => document.querySelectorAll('.loading').length === 0, null, { timeout });
  }
  async screenshot(name) {
    mkdirSync(RESULTS, { recursive: true });
    const path = join(RESULTS, `${name}.png`);
    await this.page.screenshot({ path, fullPage: true });
    return path;
  }
}

export class LoginPage extends Dashboard {
  get password() {
    return this.page.locator('input[type=password][name=password]');
  }
  async open() {
    await this.goto('/');
    await this.password.waitFor({ state: 'visible', timeout: 4000 });
  }
  async login(username, password) {
    await this.page.locator('input[name=username]').fill(username);
    await this.password.fill(password);
    await this.page.getByRole('button', { name: 'Sign in' }).click();
  }
  async error() {
    const box = this.page.locator('[data-testid=login-form] [role=alert]');
    await box.waitFor({ timeout: 5000 });
    return box.innerText();
  }
}

export class ChangePasswordPage extends Dashboard {
  get form() {
    return this.page.locator('[data-testid=change-password-form]');
  }
  async isShown(timeout = 5000) {
    try {
      await this.form.waitFor({ state: 'visible', timeout });
      return true;
    } catch {
      return false;
    }
  }
  async change(oldPassword, newPassword) {
    await this.form.locator('input[name=old_password]').fill(oldPassword);
    await this.form.locator('input[name=new_password]').fill(newPassword);
    await this.form.locator('input[name=confirm_password]').fill(newPassword);
    await this.form.getByRole('button', { name: 'Update password' }).click();
  }
}

export class OverviewPage extends Dashboard {
  /**
   * Loads the overview (a full navigation) and returns its first meaningful paint: the performance marks the SPA
   * sets when the stat cards show numbers (`decnet:stats`) and the histogram is drawn (`decnet:histogram`), in ms
   * since navigation start, plus the browser's FCP and the "Events stored" figure shown.
   */
  async openAndMeasure(timeout = 15_000) {
    await this.goto('/');
    await this.waitForPage('overview');
    await this.page.waitForFunction(
      () => performance.getEntriesByName('decnet:stats').length > 0 && performance.getEntriesByName('decnet:histogram').length > 0,
      null,
      { timeout, polling: 50 },
    );
    return this.page.evaluate(() => {
      const at = (n) => {
        const e = performance.getEntriesByName(n)[0];
        return e ? Math.round(e.startTime) : null;
      };
      const fcp = performance.getEntriesByName('first-contentful-paint')[0];
      const statsMs = at('decnet:stats');
      const histogramMs = at('decnet:histogram');
      const events = document.querySelector('.stat .stat-value')?.textContent ?? '';
      return {
        statsMs,
        histogramMs,
        paintMs: Math.max(statsMs ?? 0, histogramMs ?? 0),
        fcpMs: fcp ? Math.round(fcp.startTime) : null,
        eventsShown: Number(events.replace(/[^0-9]/g, '')) || 0,
      };
    });
  }
  /** Records, in the page, the wall-clock time at which each live-feed row (data-log-id) is inserted. */
  async watchFeed() {
    await this.page.evaluate(() => {
      window.__feedSeen = {};
      const mark = (n) => {
        if (n.nodeType !== 1) return;
        const rows = n.matches?.('tr[data-log-id]') ? [n] : [...n.querySelectorAll('tr[data-log-id]')];
        for (const r of rows) window.__feedSeen[r.dataset.logId] ??= { t: Date.now(), text: r.textContent };
      };
      new MutationObserver((ms) => ms.forEach((m) => m.addedNodes.forEach(mark))).observe(document.body, { childList: true, subtree: true });
    });
  }
  /** Rows first seen since watchFeed whose text contains `text`: [{id, t, text}]. */
  async feedSeen(text) {
    return this.page.evaluate((text) => Object.entries(window.__feedSeen ?? {}).filter(([, v]) => v.text.includes(text)).map(([id, v]) => ({ id: Number(id), t: v.t })), text);
  }
  /** GET an API path with the page's session token (same origin), returning the parsed JSON. */
  async api(path) {
    return this.page.evaluate(async (path) => {
      const s = JSON.parse(sessionStorage.getItem('decnet.session') ?? 'null');
      const r = await fetch('/api/v1' + path, { headers: s ? { Authorization: 'Bearer ' + s.token } : {} });
      return r.json();
    }, path);
  }
  async waitLive(timeout = 10_000) {
    await this.page.locator('[data-testid=live-state].live').waitFor({ timeout });
  }
  /** Waits for a feed row matching the predicate text (e.g. the attacker IP); returns elapsed ms. */
  async waitForFeedRow(text, timeout = 2000) {
    const t0 = Date.now();
    await this.page.locator('[data-testid=live-feed] tr', { hasText: text }).first().waitFor({ timeout });
    return Date.now() - t0;
  }
}

export class FleetPage extends Dashboard {
  row(name) {
    return this.page.locator(`[data-testid=fleet-table] tr[data-decky="${name}"]`);
  }
  async open() {
    await this.goto('/fleet');
    await this.waitForPage('fleet');
    await this.settle();
  }
  async waitForDecky(name, timeout = 60_000) {
    await this.row(name).waitFor({ timeout });
  }
  /** Waits until the decky's row shows it running with every service up (the table refreshes every 10 s). */
  async waitForRunning(name, timeout = 90_000) {
    await this.row(name).locator('.dot.up').waitFor({ timeout });
  }
  async mutate(name) {
    await this.row(name).getByRole('button', { name: 'Mutate' }).click();
    await this.page.locator('dialog[open]').getByRole('button', { name: 'Mutate' }).click();
  }
  async teardown(name) {
    await this.row(name).getByRole('button', { name: 'Tear down' }).click();
    const dlg = this.page.locator('dialog[open]');
    await dlg.locator('input').fill(name);
    await dlg.getByRole('button', { name: 'Tear down' }).click();
  }
}

export class DeployWizard extends Dashboard {
  async open() {
    await this.goto('/fleet/deploy');
    await this.waitForPage('deploy');
  }
  async setIni(text) {
    await this.page.locator('[data-testid=ini-editor]').fill(text);
  }
  /** Returns the live validation text once the debounce settled. */
  async status() {
    const s = this.page.locator('[data-testid=ini-status]');
    await this.page.waitForFunction(() => !document.querySelector('[data-testid=ini-status]')?.textContent?.includes('Checking'), null, { timeout: 3000 });
    return s.innerText();
  }
  async plannedNames() {
    return this.page.locator('[data-testid=plan-table] tbody tr td:first-child').allInnerTexts();
  }
  /** Waits for the server's dry-run plan and returns its decky names. */
  async serverPlannedNames(timeout = 5000) {
    await this.page.locator('[data-testid=plan-table][data-source=server]').waitFor({ timeout });
    return this.page.locator('[data-testid=plan-table][data-source=server] tbody tr td:first-child').allInnerTexts();
  }
  async deploy({ replace = false } = {}) {
    if (replace) await this.page.getByLabel('Replace the whole fleet').check();
    await this.page.getByRole('button', { name: /Review plan/ }).click();
    await this.page.locator('[data-testid=deploy-submit]').click();
  }
  /** Waits until every lifecycle row is terminal; returns [{decky, status}]. */
  async waitDone(timeout = 120_000) {
    await this.page.getByText('All operations finished.').waitFor({ timeout });
    return this.page.locator('[data-testid=lifecycle] tbody tr').evaluateAll((rows) => rows.map((r) => ({ decky: r.dataset.decky, status: r.dataset.status })));
  }
}

export class AttackersPage extends Dashboard {
  async open() {
    await this.goto('/attackers');
    await this.waitForPage('attackers');
    await this.settle();
  }
  async search(ip) {
    await this.page.getByLabel('Search attackers by IP').fill(ip);
  }
  async openAttacker(ip) {
    await this.page.locator('[data-testid=attackers-table] a', { hasText: ip }).first().click();
    await this.waitForPage('attacker');
  }
  /** Number of lanes and hop markers drawn in the traversal diagram. */
  async traversal(timeout = 10_000) {
    const svg = this.page.locator('svg.traversal');
    await svg.waitFor({ timeout });
    return {
      lanes: await svg.locator('.lane').count(),
      hops: await svg.locator('circle.hop').count(),
      path: await svg.locator('path.trail').getAttribute('d'),
    };
  }
}

export class LogsPage extends Dashboard {
  async open(query = '') {
    await this.goto('/logs' + (query ? '?q=' + encodeURIComponent(query) : ''));
    await this.waitForPage('logs');
    await this.settle();
  }
  async search(q) {
    await this.page.locator('[data-testid=logs-search]').fill(q);
    await this.page.getByRole('button', { name: 'Search' }).click();
    await this.settle();
  }
  async rowCount() {
    return this.page.locator('[data-testid=logs-table] tbody tr').count();
  }
}
