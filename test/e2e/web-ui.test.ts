// The web UI end to end, in real Chromium, against a real owner running real
// processes: start a stack through the page, stop and restart a service, see a
// crash loop and recover it with one click, stop a foreign port holder only
// after confirming, follow and filter logs, refuse a wrong sign-in code, and
// keep every credential from servers on other ports.
// The tests run in order and share one owner (each builds on the last), like a
// user's session. Screenshots of each view go to test-artifacts/.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Owner } from '../../electron/engine/owner.js';
import { startWebUi, type WebUi } from '../../electron/host/web/server.js';
import { createApi } from '../../electron/host/api.js';
import { tempHome, freePort, waitFor, isLive, assertNothingLeft, fixture } from '../helpers/env.js';
import { stack, svc, tcpService } from '../helpers/stack.js';
import { launchBrowser, buildRenderer, removeBuilds, openPage, screenshot, waitForText, chromiumAvailable } from '../helpers/browser.js';
import { postApi } from '../helpers/web-client.js';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServiceSnapshot, Snapshot } from '../../shared/state.js';

const skip = chromiumAvailable() ? false : 'chromium is not installed (apt-get install chromium)';
const TAG = `web-ui-${process.pid}`;

describe('web UI against a real owner', { skip, timeout: 300_000 }, () => {
  let home: { home: string; cleanup: () => void };
  let owner: Owner;
  let ui: WebUi;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];
  let holder: ChildProcess;
  let crashFlag: string;
  let webPort: number;

  const svcOf = (name: string): ServiceSnapshot => owner.snapshot().stacks[0]!.services.find((s) => s.name === name)!;
  const row = (name: string) => page.locator(`[data-service="${name}"]`);
  const stateOf = (name: string) => row(name).locator('.state');

  before(async () => {
    home = tempHome('web-e2e');
    crashFlag = join(home.home, 'crash-flag');
    writeFileSync(crashFlag, '');
    const dbPort = await freePort();
    webPort = await freePort();
    // A process Corral did not start holds the port `web` needs.
    holder = spawn(process.execPath, [fixture('http-server.mjs'), '--port', String(webPort)], { env: { ...process.env, CORRAL_TEST_TAG: TAG }, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      holder.stdout!.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
      holder.on('exit', (code) => reject(new Error(`port holder exited with ${code}`)));
    });

    owner = await Owner.open({ home: home.home, kind: 'embedded', adoptPollMs: 100 });
    await owner.addStack(
      stack('e2e', [
        tcpService('db', dbPort, ['--tick', '300']),
        { ...svc('api', [], { dependsOn: { db: 'healthy' } }), command: [process.execPath, fixture('web-logger.mjs'), '--every', '25'] },
        svc('crashy', ['--exit-after', '150', '--crash-if-exists', crashFlag], {
          restart: { policy: 'on-failure', backoffMs: 50, maxBackoffMs: 200, resetAfterMs: 5000, crashLoopCount: 3, crashLoopWindowMs: 20_000 },
        }),
        tcpService('web', webPort),
      ]),
    );
    ui = await startWebUi(createApi(owner), { rendererDir: await buildRenderer() });
    browser = await launchBrowser();
    ({ context, page, errors: pageErrors } = await openPage(browser, ui.openUrl()));
  });

  after(async () => {
    await context?.close().catch(() => {});
    await browser?.close().catch(() => {});
    await ui?.close();
    await owner?.close({ stopServices: true });
    if (holder && holder.exitCode === null) holder.kill('SIGKILL');
    rmSync(crashFlag, { force: true });
    try {
      await assertNothingLeft({ markerPrefix: owner.dir.markerPrefix(), tag: TAG });
    } finally {
      home.cleanup();
      removeBuilds();
    }
  });

  test('the page opens with its one-time code, takes it out of the address bar, and shows the stack', async () => {
    await page.getByRole('heading', { name: 'e2e' }).waitFor();
    assert.doesNotMatch(page.url(), /code=|token=/);
    for (const name of ['db', 'api', 'crashy', 'web']) await waitForText(stateOf(name), 'Stopped');
    await screenshot(page, 'web-ui-1-stopped');
  });

  test('start a stack through the UI', async () => {
    await page.getByRole('button', { name: 'Start all in e2e', exact: true }).click();
    await waitForText(stateOf('db'), 'Running', 15_000);
    await waitForText(stateOf('api'), 'Running', 15_000);
    // Its port is taken by a process that is not ours: failed, naming the holder.
    await waitForText(stateOf('web'), 'Failed', 15_000);
    await waitForText(row('web'), `held by process ${holder.pid}`);
    for (const name of ['db', 'api']) {
      const s = svcOf(name);
      assert.equal(s.state, 'running');
      assert.ok(s.pid && isLive(s.pid), `${name} runs`);
      await waitForText(row(name).locator('.m-pid .v'), String(s.pid));
    }
  });

  test('a crash loop shows why, with the last log lines, and one click recovers it', async () => {
    await waitForText(stateOf('crashy'), 'Failed', 20_000);
    const panel = page.getByRole('group', { name: 'crashy failed' });
    await waitForText(panel, /crashed 3 times/);
    await waitForText(panel.getByLabel('Last log lines of crashy'), 'exiting with 1');
    await screenshot(page, 'web-ui-2-crash-loop');

    rmSync(crashFlag);
    await page.getByRole('button', { name: 'Restart crashy' }).click();
    await waitForText(stateOf('crashy'), 'Running', 10_000);
    await page.getByRole('group', { name: 'crashy failed' }).waitFor({ state: 'detached' });
    // Still up well after the point where it used to crash.
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(svcOf('crashy').state, 'running');
    assert.match(await stateOf('crashy').textContent() ?? '', /Running/);
  });

  test('stop and restart a service; the page follows the owner within 200 ms', async () => {
    const pid1 = svcOf('api').pid!;
    // When the owner published each state of api, and when the page showed it.
    const label: Record<string, string> = { running: 'Running', stopping: 'Stopping', stopped: 'Stopped', starting: 'Starting' };
    const published: { text: string; at: number }[] = [];
    const onSnap = (s: Snapshot) => {
      const text = label[s.stacks[0]!.services.find((x) => x.name === 'api')!.state] ?? '?';
      if (published[published.length - 1]?.text !== text) published.push({ text, at: Date.now() });
    };
    owner.on('snapshot', onSnap);
    // (Page-side code sees DOM types as `any`: the test build has no DOM lib.)
    await stateOf('api').evaluate((cell) => {
      const w = cell.ownerDocument.defaultView;
      w.shown = [];
      new w.MutationObserver(() => {
        const text = (cell.textContent ?? '').trim();
        if (w.shown[w.shown.length - 1]?.text !== text) w.shown.push({ text, at: Date.now() });
      }).observe(cell, { subtree: true, childList: true, characterData: true });
    });

    await page.getByRole('button', { name: 'Stop api', exact: true }).click();
    await waitForText(stateOf('api'), 'Stopped', 10_000);
    await waitFor(() => !isLive(pid1), 10_000, 'api process gone');
    assert.equal(svcOf('api').state, 'stopped');

    await page.getByRole('button', { name: 'Restart api' }).click();
    await waitForText(stateOf('api'), 'Running', 10_000);
    const pid2 = svcOf('api').pid!;
    assert.notEqual(pid2, pid1);
    await page.getByRole('button', { name: 'Restart api' }).click();
    await waitFor(() => svcOf('api').pid !== pid2 && svcOf('api').state === 'running', 10_000, 'a new api instance');
    await waitForText(row('api').locator('.m-pid .v'), String(svcOf('api').pid));
    await waitForText(stateOf('api'), 'Running', 10_000);
    owner.off('snapshot', onSnap);
    await waitFor(() => !isLive(pid2), 10_000, 'the previous api instance gone');

    // Pair each state the page showed with its publication by the owner.
    const shown = (await page.evaluate('window.shown')) as { text: string; at: number }[];
    const delays: number[] = [];
    let from = 0;
    for (const s of shown) {
      const i = published.findIndex((p, k) => k >= from && p.text === s.text);
      if (i === -1) continue;
      delays.push(s.at - published[i]!.at);
      from = i + 1;
    }
    assert.ok(delays.length >= 4, `paired ${JSON.stringify({ published, shown })}`);
    delays.sort((a, b) => a - b);
    // The (lower) median of every state change of a stop and two restarts, so one
    // or two descheduled frames on a loaded CI machine do not decide it.
    const median = delays[Math.floor((delays.length - 1) / 2)]!;
    assert.ok(median < 200, `shown ${delays.join(', ')} ms after the owner published each state`);
  });

  test('a foreign port holder is stopped only after explicit confirmation', async () => {
    const stopHolder = page.getByRole('button', { name: `Stop process ${holder.pid}`, exact: true });
    await stopHolder.click();
    const dialog = page.getByRole('dialog', { name: `Stop process ${holder.pid}?` });
    await dialog.waitFor();
    await screenshot(page, 'web-ui-3-confirm-port-holder');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(isLive(holder.pid!), 'cancel leaves it alone');

    await stopHolder.click();
    await dialog.waitFor();
    // Escape is a cancel too.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.ok(isLive(holder.pid!));

    await stopHolder.click();
    await dialog.waitFor();
    await dialog.getByRole('button', { name: `Yes, stop process ${holder.pid}` }).click();
    await waitFor(() => holder.exitCode !== null || holder.signalCode !== null, 8000, 'the port holder to end');
    await page.getByRole('button', { name: 'Restart web' }).click();
    await waitForText(stateOf('web'), 'Running', 10_000);
    await screenshot(page, 'web-ui-4-all-running');
  });

  test('follow the logs of a service, filter them, pause and jump to the newest', async () => {
    await page.getByRole('button', { name: 'Logs of api' }).click();
    assert.match(page.url(), /#\/logs\/e2e\/api$/);
    const lines = page.getByRole('region', { name: 'Log lines of api' });
    await waitForText(lines, /request \d+ ok/, 10_000);

    // ANSI colours are rendered as styled spans, and markup in a line stays text.
    // One evaluate finds the span and reads both colours: the list re-renders as
    // lines arrive, so a span found by an earlier call may be detached by now.
    let colours: string[] = [];
    await waitFor(async () => {
      colours = (await lines.evaluate((el) => {
        const span = [...el.querySelectorAll('.row span.fg2')].find((s) => s.textContent?.includes('INFO'));
        if (!span) return [];
        const w = el.ownerDocument.defaultView!;
        return [w.getComputedStyle(span).color, w.getComputedStyle(span.closest('.row')!).color];
      })) as string[];
      return colours.length === 2;
    }, 10_000, 'an INFO span in a row');
    assert.notEqual(colours[0], colours[1], 'INFO has its own colour');
    await lines.locator('span.fg1.b', { hasText: 'ERROR' }).first().waitFor();
    assert.equal(await lines.locator('img').count(), 0);
    assert.notEqual(await page.title(), 'pwned');
    await waitForText(lines, '<img src=x onerror=');

    // Following: newer lines keep arriving at the bottom.
    const lastRow = () => lines.locator('.row').last().textContent();
    const newest = async () => Number(/request (\d+)/.exec((await lastRow()) ?? '')?.[1] ?? 0);
    const n1 = await newest();
    await waitFor(async () => (await newest()) > n1 + 2, 5000, 'new lines while following');
    await screenshot(page, 'web-ui-5-logs');

    // Filter: only matching lines, the match highlighted.
    await page.getByRole('searchbox', { name: 'Filter logs' }).fill('failed');
    await waitForText(page.locator('.match-info'), /\d+ match/);
    await waitFor(async () => (await lines.locator('mark').count()) > 0, 5000, 'highlighted matches');
    const texts = await lines.locator('.row').allTextContents();
    assert.ok(texts.length > 0);
    for (const t of texts) assert.match(t, /failed/, 'only matching lines are shown');
    assert.equal(await lines.locator('mark').first().textContent(), 'failed');
    await screenshot(page, 'web-ui-6-logs-filtered');
    await page.getByRole('searchbox', { name: 'Filter logs' }).fill('');
    // While filtered every row says "failed": an "ok" row means the unfiltered list is rendered.
    await waitForText(lines, /request \d+ ok/, 10_000);

    // Pause: the view holds still while lines arrive; jump to newest resumes.
    const probe = () =>
      lines.evaluate((el) => {
        const r = el.getBoundingClientRect();
        // The middle of the tenth row (never on a boundary between two rows).
        const hit = el.ownerDocument.elementFromPoint(r.left + 40, r.top + 9 * 18 + 9);
        return { top: el.scrollTop as number, height: el.scrollHeight as number, view: el.clientHeight as number, text: (hit?.closest('.row')?.textContent ?? '') as string };
      });
    await waitFor(async () => {
      const p = await probe();
      return p.height > p.view * 1.5;
    }, 10_000, 'enough lines to scroll');
    // One button says the state: Following, or Paused with what came since and the way back.
    const following = page.getByRole('button', { name: 'Following', exact: true });
    const paused = page.getByRole('button', { name: /^Paused/ });
    assert.equal(await following.getAttribute('aria-pressed'), 'true');
    await following.click();
    assert.equal(await paused.getAttribute('aria-pressed'), 'false');
    const held = await probe();
    await waitFor(async () => (await probe()).height > held.height + 100, 5000, 'lines arriving while paused');
    const still = await probe();
    assert.equal(still.top, held.top, 'paused view does not scroll');
    assert.equal(still.text, held.text, 'the same line stays in view');
    await waitForText(paused, /Paused — [\d,]+ new lines?, Jump to newest/);
    await paused.click();
    assert.equal(await following.getAttribute('aria-pressed'), 'true');
    await waitFor(async () => {
      const p = await probe();
      return p.top + p.view >= p.height - 20;
    }, 10_000, 'the view at the newest line');

    // Several services merged, each line tagged with its service.
    await page.getByRole('checkbox', { name: 'db' }).check();
    const merged = page.getByRole('region', { name: 'Log lines of db, api' });
    await waitFor(async () => (await merged.locator('.tag', { hasText: /^db$/ }).count()) > 0 && (await merged.locator('.tag', { hasText: /^api$/ }).count()) > 0, 8000, 'lines of both services');
    await screenshot(page, 'web-ui-7-logs-merged');

    // Where the files are.
    await page.getByRole('button', { name: 'Open log folder' }).click();
    await waitForText(page.getByRole('group', { name: 'Log folder' }), join(owner.dir.home, 'logs', 'e2e'));
  });

  test('settings: a change in the page is stored by the owner; one made elsewhere shows at once', async () => {
    await page.getByRole('tab', { name: 'Settings' }).click();
    const stopOnQuit = page.getByRole('checkbox', { name: 'Stop services when Corral quits' });
    const notify = page.getByRole('checkbox', { name: 'Notify when a service fails' });
    assert.equal(await stopOnQuit.isChecked(), false);
    await stopOnQuit.click();
    await waitFor(() => owner.getSettings().stopServicesOnQuit, 10_000, 'the owner to store it');
    assert.equal(JSON.parse(readFileSync(join(home.home, 'settings.json'), 'utf8')).stopServicesOnQuit, true);
    // As the tray would: straight to the owner.
    owner.setSettings({ notifyOnFailure: false });
    await waitFor(async () => !(await notify.isChecked()), 10_000, 'the change made elsewhere');
    await screenshot(page, 'web-ui-9-settings');
    await stopOnQuit.click();
    await waitFor(() => !owner.getSettings().stopServicesOnQuit, 10_000, 'turned off again');
    owner.setSettings({ notifyOnFailure: true });
    await page.getByRole('tab', { name: 'Status' }).click();
  });

  test('dark theme follows the system', async () => {
    const dark = await openPage(browser, ui.openUrl(), { colorScheme: 'dark' });
    try {
      await dark.page.getByRole('heading', { name: 'e2e' }).waitFor();
      const bg = await dark.page.locator('body').evaluate((b) => b.ownerDocument.defaultView.getComputedStyle(b).backgroundColor as string);
      assert.equal(bg, 'rgb(21, 24, 29)');
      await screenshot(dark.page, 'web-ui-8-status-dark');
    } finally {
      await dark.context.close();
    }
  });

  test('a wrong code is refused and changes nothing', async () => {
    const before = svcOf('api').pid;
    const stranger = await browser.newContext();
    try {
      const p = await stranger.newPage();
      const res = await p.goto(`http://127.0.0.1:${ui.port}/?code=${'x'.repeat(43)}`);
      assert.equal(res?.status(), 200, 'the page itself is no secret');
      // The code did not sign it in: a script in that page cannot act.
      const status = await p.evaluate(async () => {
        const r = await fetch('/api/stop', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ stack: 'e2e' }) });
        return r.status;
      });
      assert.equal(status, 401);
    } finally {
      await stranger.close();
    }
    const r = await postApi(ui.port, 'stop', { stack: 'e2e' }, { bearer: 'y'.repeat(43) });
    assert.equal(r.status, 401);
    await new Promise((res) => setTimeout(res, 200));
    assert.equal(svcOf('api').state, 'running');
    assert.equal(svcOf('api').pid, before);
    assert.ok(isLive(before!));
  });

  test('F25 no other server on 127.0.0.1 gets the credential: no cookie, nothing another port can read', async () => {
    // Cookies are not scoped by port: one set by the web UI would reach every local dev server.
    const seen: IncomingHttpHeaders[] = [];
    const other = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>another dev server</title>');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const p = await context.newPage();
    try {
      await p.goto(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`);
      assert.equal(seen.length > 0, true);
      assert.equal(seen[0]!.cookie, undefined, 'no cookie sent to another port');
      assert.equal(seen[0]!.authorization, undefined);
      assert.deepEqual(await context.cookies(), [], 'the web UI sets no cookie at all');
      const visible = await p.evaluate('[document.cookie, JSON.stringify({ ...sessionStorage }), JSON.stringify({ ...localStorage })]');
      assert.deepEqual(visible, ['', '{}', '{}']);
      // Our own page holds its session where only its origin (port included) can read it.
      assert.match(String(await page.evaluate("sessionStorage.getItem('corral.session') ?? ''")), /^[A-Za-z0-9_-]{43}$/);
    } finally {
      await p.close();
      other.closeAllConnections();
      await new Promise((r) => other.close(r));
    }
  });

  test('no script errors on the page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
