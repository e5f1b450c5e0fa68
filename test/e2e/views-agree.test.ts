// One stack driven through the states a user meets (a port held by another
// program, a service held for it, a crash loop that gave up, a backoff, a
// service stopped by the user, an unhealthy one, adopted ones after the owner
// was killed), and at each step every view is asked what it shows: `status
// --json`, the CLI's text, the window (the web UI in Chromium) and the tray's
// menu and tooltip. They must say the same state and the same explanation.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import type { MenuItemConstructorOptions } from 'electron';
import { harness, svcYaml, SVC, type Harness } from '../integration/cli-harness.js';
import { freePort, waitFor, isLive, fixture } from '../helpers/env.js';
import { launchBrowser, openPage, waitForText, chromiumAvailable, screenshot } from '../helpers/browser.js';
import { explainService, summarizeStack } from '../../shared/explain.js';
import { DEFAULT_SETTINGS } from '../../shared/api.js';
import type { ServiceSnapshot, ServiceState, Snapshot, StackSnapshot } from '../../shared/state.js';
import { buildTrayMenu, STATE_LABEL, type TrayActions } from '../../electron/app/tray-menu.js';
import { trayTooltip } from '../../electron/app/tray-icon.js';

const skip = chromiumAvailable() ? false : 'chromium is not installed (apt-get install chromium)';
type Item = MenuItemConstructorOptions;

const noActions = new Proxy({}, { get: () => () => {} }) as TrayActions;

function findItem(items: Item[], id: string): Item | undefined {
  for (const i of items) {
    if (i.id === id) return i;
    const sub = Array.isArray(i.submenu) ? findItem(i.submenu as Item[], id) : undefined;
    if (sub) return sub;
  }
  return undefined;
}

describe('every view says the same thing', { skip, timeout: 300_000 }, () => {
  let h: Harness;
  let browser: Browser;
  let page: Page;
  let holder: ChildProcess;
  let dbPort: number;
  let cachePort: number;

  const status = async (): Promise<StackSnapshot> => (await h.json<StackSnapshot[]>(['status', '-s', 'agree']))[0]!;
  const service = (st: StackSnapshot, name: string): ServiceSnapshot => st.services.find((s) => s.name === name)!;

  /** Reads every view once the engine is in `expected`, and checks they agree with `status --json`. */
  async function viewsAgree(step: string, expected: Record<string, ServiceState>): Promise<StackSnapshot> {
    const st = await waitFor(
      async () => {
        const s = await status();
        return Object.entries(expected).every(([n, state]) => service(s, n).state === state) ? s : null;
      },
      30_000,
      `${step}: states ${JSON.stringify(expected)}`,
    );
    const text = (await h.run(['status', '-s', 'agree'])).stdout;
    const snap: Snapshot = { seq: 0, owner: { pid: 0, kind: 'daemon', since: 0, home: h.home }, stacks: [st], settings: DEFAULT_SETTINGS };
    const menu = buildTrayMenu(snap, DEFAULT_SETTINGS, { actions: noActions, launchAtLogin: { available: true } });
    const tooltip = trayTooltip(snap);
    const summary = summarizeStack(st.services).text;

    assert.ok(text.includes(summary), `${step}: CLI header says "${summary}"\n${text}`);
    assert.equal(findItem(menu, 'stack:agree')!.label, `agree — ${summary}`, `${step}: tray stack item`);
    assert.ok(tooltip.startsWith(`Corral: agree: ${summary}`), `${step}: tooltip ${tooltip}`);
    await waitForText(page.locator('.stack-head .badge'), summary[0]!.toUpperCase() + summary.slice(1));

    for (const s of st.services) {
      const why = explainService(s);
      // CLI: the STATE column is the state, the NOTE column the explanation.
      const line = text.split('\n').find((l) => l.startsWith(`${s.name} `));
      assert.ok(line, `${step}: CLI row of ${s.name}\n${text}`);
      assert.equal(line.split(/\s+/)[1], s.state, `${step}: CLI state of ${s.name}: ${line}`);
      if (why) assert.ok(line.endsWith(why), `${step}: CLI note of ${s.name} is "${why}": ${line}`);
      // Tray: the item's label carries the state; its details, the explanation.
      const item = findItem(menu, `service:agree/${s.name}`)!;
      assert.ok(item.label!.endsWith(STATE_LABEL[s.state]), `${step}: tray label ${item.label}`);
      const details = (item.submenu as Item[]).map((i) => i.label);
      if (why) assert.ok(details.includes(why), `${step}: tray details of ${s.name}: ${details.join(' | ')}`);
      if (['failed', 'unhealthy', 'backoff', 'held'].includes(s.state)) assert.ok(tooltip.includes(`${s.name}: ${s.state}${why ? ` (${why})` : ''}`), `${step}: tooltip names ${s.name}: ${tooltip}`);
      // Window: the row's state word and note.
      const row = page.locator(`[data-service="${s.name}"] .svc-row`).first();
      await waitForText(row.locator('.state'), new RegExp(s.state === 'backoff' ? 'backoff' : `^${STATE_LABEL[s.state].replace('…', '')}`, 'i'));
      if (why) await waitForText(row, why);
    }
    await screenshot(page, `views-agree-${step}`);
    return st;
  }

  before(async () => {
    h = harness('agree');
    [dbPort, cachePort] = [await freePort(), await freePort()];
    // Another program holds the port `cache` needs.
    holder = spawn(process.execPath, [fixture('http-server.mjs'), '--port', String(cachePort)], { env: { ...process.env, CORRAL_TEST_TAG: h.tag }, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      holder.stdout!.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
      holder.on('exit', (code) => reject(new Error(`port holder exited with ${code}`)));
    });
    const dir = h.project('agree');
    h.writeStack(
      dir,
      `version: 1
name: agree
services:
  db:
    command: ${JSON.stringify(['${CORRAL_NODE}', fixture('http-server.mjs'), '--port', String(dbPort)])}
    ports: [${dbPort}]
    health: { http: { url: "http://127.0.0.1:${dbPort}/healthz" }, interval: 300ms, failure_threshold: 2 }
    restart: { policy: never }
  api:
    command: ${JSON.stringify(['${CORRAL_NODE}', SVC, '--tick', '1000'])}
    depends_on: { db: healthy }
${svcYaml('cache', ['--port', String(cachePort)], `    ports: [${cachePort}]\n    health: { tcp: { port: ${cachePort} } }\n`)}  reporter:
    command: ${JSON.stringify(['${CORRAL_NODE}', SVC, '--tick', '1000'])}
    depends_on: { cache: healthy }
${svcYaml('flaky', ['--exit-after', '100', '--code', '3'], '', '{ policy: always, backoff: 50ms, max_backoff: 100ms, crash_loop: { count: 3, window: 60s } }')}${svcYaml('slow', ['--exit-after', '400', '--code', '2'], '', '{ policy: always, backoff: 60s, max_backoff: 60s, crash_loop: { count: 10, window: 5m } }')}`,
    );
    const up = await h.run(['up'], { cwd: dir });
    assert.equal(up.code, 1, `up fails (cache cannot start): ${up.stdout}${up.stderr}`);
    const ui = await h.run(['ui', '--no-open', '--json']);
    assert.equal(ui.code, 0, ui.stderr);
    browser = await launchBrowser();
    ({ page } = await openPage(browser, (JSON.parse(ui.stdout) as { url: string }).url));
  });

  after(async () => {
    await browser?.close();
    if (holder?.pid && isLive(holder.pid)) {
      holder.kill('SIGTERM');
      await waitFor(() => !isLive(holder.pid!), 5000, 'port holder gone');
    }
    await h?.cleanup();
  });

  test('a port held by another program, a service held for it, a crash loop, a backoff', async () => {
    const st = await viewsAgree('held', { db: 'running', api: 'running', cache: 'failed', reporter: 'held', flaky: 'failed', slow: 'backoff' });
    assert.equal(explainService(service(st, 'reporter')), 'waiting for cache to be healthy (cache is failed)');
    assert.match(explainService(service(st, 'cache')), new RegExp(`port ${cachePort} is held by process ${holder.pid}`));
    assert.match(explainService(service(st, 'flaky')), /crashed 3 times within 1m/);
    assert.match(explainService(service(st, 'slow')), /^exited with code 2; restarting after 1m0s$/);
    assert.equal(service(st, 'flaky').health, null, 'no health result of a dead instance');
  });

  test('a service stopped by the user is not "all running"', async () => {
    const down = await h.run(['down', 'api', '-s', 'agree']);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /Stack agree: 1 of 6 running; api stopped, cache failed, reporter held, 2 more\./);
    const st = await viewsAgree('stopped', { api: 'stopped' });
    assert.equal(explainService(service(st, 'api')), 'stopped by you');
  });

  test('unhealthy', async () => {
    process.kill((await status()).services.find((s) => s.name === 'db')!.pid!, 'SIGUSR2'); // 503 from now on
    const st = await viewsAgree('unhealthy', { db: 'unhealthy' });
    assert.match(explainService(service(st, 'db')), /health checks failed in a row \(http 503/);
  });

  test('adopted after the owner was killed', async () => {
    const db = (await status()).services.find((s) => s.name === 'db')!;
    process.kill(db.pid!, 'SIGUSR2'); // healthy again
    await viewsAgree('healthy-again', { db: 'running' });
    assert.equal((await h.run(['down', 'slow', 'flaky', '-s', 'agree'])).code, 0);
    const owner = h.ownerPid()!;
    process.kill(owner, 'SIGKILL');
    await waitFor(() => !isLive(owner), 10_000, 'owner gone');
    const st = await waitFor(async () => {
      const s = await status();
      return service(s, 'db').adopted && service(s, 'db').state === 'running' ? s : null;
    }, 30_000, 'db adopted');
    assert.equal(service(st, 'db').pid, db.pid, 'same pid');
    // The page was served by the dead owner: open it from the new one.
    const ui = await h.run(['ui', '--no-open', '--json']);
    await page.goto((JSON.parse(ui.stdout) as { url: string }).url);
    const after = await viewsAgree('adopted', { db: 'running', slow: 'stopped', flaky: 'stopped' });
    assert.equal(explainService(service(after, 'db')), 'adopted from an earlier owner');
  });
});
