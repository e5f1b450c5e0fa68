// The window a menu-bar user expects, in real Chromium: at every width from a
// wide screen to a narrow window (1280, 1040 — the app's own default — 900 and
// 640 px), light and dark, no service name is cut, nothing overlaps, nothing
// moves when a state changes; each state a user meets (held, failed, a
// completed task, stopped by the user, an owner gone) reads in the words of
// shared/explain.ts in its row and in the service's detail panel; the detail
// panel opens from the keyboard, follows the service live, closes with Escape
// and gives the focus back. Against an in-memory owner (states on cue), and a
// real one for the detail panel's process tree and exits.
// Screenshots go to test-artifacts/, or to $CORRAL_SCREENSHOTS (the README's
// docs/screenshots are refreshed with CORRAL_SCREENSHOTS=docs/screenshots).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startWebUi, type WebUi } from '../../electron/host/web/server.js';
import { Owner } from '../../electron/engine/owner.js';
import { createApi } from '../../electron/host/api.js';
import { FakeOwner, fakeService } from '../helpers/fake-api.js';
import { launchBrowser, buildRenderer, removeBuilds, openPage, waitForText, chromiumAvailable, ARTIFACTS } from '../helpers/browser.js';
import { waitFor, tempHome, assertNothingLeft, isLive, REPO_ROOT } from '../helpers/env.js';
import { stack, svc } from '../helpers/stack.js';
import { explainService } from '../../shared/explain.js';
import type { ServiceSnapshot, StackSnapshot } from '../../shared/state.js';
import { STATE_LABEL } from '../../renderer/src/format.js';

const skip = chromiumAvailable() ? false : 'chromium is not installed (apt-get install chromium)';
const WIDTHS = [1280, 1040, 900, 640] as const;
const SCHEMES = ['light', 'dark'] as const;
const SHOTS = process.env.CORRAL_SCREENSHOTS ? resolve(REPO_ROOT, process.env.CORRAL_SCREENSHOTS) : ARTIFACTS;
const AXE = join(REPO_ROOT, 'node_modules', 'axe-core', 'axe.min.js');

/** The demo stack's services (stacks/demo/corral.yaml) in the states a running demo shows. */
function demoStack(): StackSnapshot {
  const now = Date.now();
  const mb = 1024 * 1024;
  return {
    name: 'demo',
    file: '/home/dev/corral/stacks/demo/corral.yaml',
    services: [
      fakeService('demo', 'temporal', {
        state: 'running', desired: 'up', pid: 41873, ports: [17233], startedAt: now - 3_725_000, url: 'http://127.0.0.1:17233/',
        health: { ok: true, detail: 'tcp 127.0.0.1:17233 connected in 1 ms', at: now },
        resources: { cpuPercent: 3.2, memoryBytes: 41 * mb, processes: 2, at: now },
      }),
      fakeService('demo', 'migrate', { state: 'completed', desired: 'up', oneshot: true, lastExit: { code: 0, signal: null, at: now - 3_700_000, reason: 'exited', pid: 41874 } }),
      fakeService('demo', 'stigmer-server', {
        state: 'running', desired: 'up', pid: 41901, ports: [17234], startedAt: now - 3_690_000, dependsOn: { temporal: 'healthy', migrate: 'completed' },
        health: { ok: true, detail: 'grpc SERVING (stigmer.demo.Api) in 2 ms', at: now },
        resources: { cpuPercent: 12.5, memoryBytes: 88 * mb, processes: 1, at: now },
      }),
      fakeService('demo', 'workflow-runner', {
        state: 'running', desired: 'up', pid: 41950, startedAt: now - 95_000, restarts: 2, lastExit: { code: 1, signal: null, at: now - 96_000, reason: 'crashed', pid: 41940 },
        resources: { cpuPercent: 0.4, memoryBytes: 52 * mb, processes: 1, at: now },
      }),
      fakeService('demo', 'agent-runner', { state: 'running', desired: 'up', pid: 41951, startedAt: now - 3_650_000, resources: { cpuPercent: 0, memoryBytes: 49 * mb, processes: 1, at: now } }),
      fakeService('demo', 'flaky', {
        state: 'unhealthy', desired: 'up', pid: 41990, ports: [17280], startedAt: now - 40_000, url: 'http://127.0.0.1:17280/',
        health: { ok: false, detail: 'exec ./scripts/check-flaky.sh --deep --timeout 2s exited 1: connection refused by 127.0.0.1:17280', at: now },
        reason: '3 health checks failed in a row (exec ./scripts/check-flaky.sh --deep --timeout 2s exited 1: connection refused by 127.0.0.1:17280)',
        resources: { cpuPercent: 101.3, memoryBytes: 1.4 * 1024 * mb, processes: 3, at: now },
      }),
    ],
    pending: null,
  };
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Per service: whether its name is whole, and the boxes of what it shows (name, state, values, note, buttons). */
// Runs in the page (a string: the tests compile without the DOM's types).
const GEOMETRY = `(() => {
  const box = (e) => { const r = e.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; };
  return [...document.querySelectorAll('.services .svc')].map((svc) => {
    const name = svc.querySelector('.svc-row .name');
    const btn = name.querySelector('.name-btn');
    const parts = [];
    const add = (what, e) => {
      if (!e) return;
      const b = box(e);
      if (b.w > 0 && b.h > 0) parts.push({ what, box: b });
    };
    add('name', btn);
    add('state', svc.querySelector('.svc-row .state'));
    for (const m of svc.querySelectorAll('.svc-row .m')) {
      add(m.className + ' label', m.querySelector('.k'));
      add(m.className + ' value', m.querySelector('.v'));
    }
    add('note', svc.querySelector('.svc-row .note'));
    for (const b of svc.querySelectorAll('.svc-row .actions button')) add('button ' + b.getAttribute('aria-label'), b);
    const cut = (e) => e.scrollWidth > e.clientWidth || getComputedStyle(e).textOverflow === 'ellipsis';
    return {
      service: svc.getAttribute('data-service'),
      row: box(svc.querySelector('.svc-row')),
      nameWhole: !cut(name) && !cut(btn) && btn.textContent === svc.getAttribute('data-service'),
      parts,
    };
  });
})()`;

/** Per service: whether its name is whole, and the boxes of what it shows (name, state, values, note, buttons). */
async function geometry(page: Page) {
  return (await page.evaluate(GEOMETRY)) as { service: string; row: Box; nameWhole: boolean; parts: { what: string; box: Box }[] }[];
}

const intersects = (a: Box, b: Box) => a.x + 0.5 < b.x + b.w && b.x + 0.5 < a.x + a.w && a.y + 0.5 < b.y + b.h && b.y + 0.5 < a.y + a.h;
const inside = (a: Box, outer: Box) => a.x >= outer.x - 0.5 && a.x + a.w <= outer.x + outer.w + 0.5 && a.y >= outer.y - 0.5 && a.y + a.h <= outer.y + outer.h + 0.5;

/** Where everything on the page is: the header, the tabs, each stack's header and every row and cell. */
async function positions(page: Page): Promise<string[]> {
  return page
    .locator('.top h1, .top [role=tab], .stack-head h2, .stack-head button, .stack-head .summary, .services .svc, .svc .svc-row > *, .svc .m, .svc button')
    .evaluateAll((els) =>
      els.map((e, i) => {
        const r = e.getBoundingClientRect();
        // The stack's summary may grow at its end; its start must not move.
        const end = e.classList.contains('summary') ? '' : `,${Math.round(r.width)},${Math.round(r.height)}`;
        return `#${i} ${e.tagName} ${e.getAttribute('aria-label') ?? ''}: ${Math.round(r.x)},${Math.round(r.y)}${end}`;
      }),
    );
}

/** The page down to the end of the last stack (or the whole window while a panel is open): small PNGs. */
async function saveScreenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  const size = page.viewportSize()!;
  const bottom = (await page.evaluate(
    `document.querySelector('dialog[open]') ? ${size.height} : Math.max(...[...document.querySelectorAll('.stack')].map((e) => e.getBoundingClientRect().bottom)) + 14`,
  )) as number;
  await page.screenshot({ path: join(SHOTS, `${name}.png`), clip: { x: 0, y: 0, width: size.width, height: Math.min(size.height, Math.ceil(bottom)) } });
}

async function axeViolations(page: Page, selector: string): Promise<string[]> {
  // Evaluated, not added as a script: the page's CSP (rightly) refuses inline scripts.
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(readFileSync(AXE, 'utf8'));
  const result = (await page.evaluate(
    `axe.run(document.querySelector(${JSON.stringify(selector)}), { runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa'] })`,
  )) as { violations: { id: string; nodes: { target: string[]; failureSummary: string }[] }[] };
  return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id} ${n.target.join(' ')}: ${n.failureSummary}`));
}

describe('the window at every width, in every state', { skip, timeout: 600_000 }, () => {
  let browser: Browser;
  let rendererDir: string;
  const opened: { context: BrowserContext; ui: WebUi }[] = [];

  before(async () => {
    rendererDir = await buildRenderer();
    browser = await launchBrowser();
  });

  after(async () => {
    for (const o of opened) {
      await o.context.close().catch(() => {});
      await o.ui.close().catch(() => {});
    }
    await browser?.close();
    removeBuilds();
  });

  async function open(width: number, colorScheme: 'light' | 'dark' = 'light', stacks = [demoStack()]) {
    const fake = new FakeOwner(stacks);
    const ui = await startWebUi(fake.api, { rendererDir });
    const { context, page, errors } = await openPage(browser, ui.openUrl(), { colorScheme, viewport: { width, height: 720 } });
    opened.push({ context, ui });
    await page.getByRole('button', { name: 'Restart temporal' }).waitFor();
    const close = async () => {
      await context.close();
      await ui.close();
    };
    return { fake, ui, page, errors, close };
  }

  const row = (page: Page, name: string) => page.locator(`.services [data-service="${name}"]`);
  const panel = (page: Page) => page.locator('dialog.detail-panel');

  for (const width of WIDTHS) {
    for (const scheme of SCHEMES) {
      test(`${width} px, ${scheme}: every name whole, nothing overlapping, no contrast or role problem`, async () => {
        const { page, errors, close } = await open(width, scheme);
        const cards = await page.locator('.svc-head').evaluate((e) => e.getBoundingClientRect().width <= 1);
        assert.equal(cards, width < 1000, `${width} px: ${width < 1000 ? 'cards' : 'a table'}`);
        const services = await geometry(page);
        assert.equal(services.length, 6);
        for (const s of services) {
          assert.ok(s.nameWhole, `${width} px ${scheme}: the name ${s.service} is whole`);
          for (let i = 0; i < s.parts.length; i++) {
            const a = s.parts[i]!;
            assert.ok(inside(a.box, s.row), `${width} px: ${s.service}: ${a.what} ${JSON.stringify(a.box)} lies inside its row ${JSON.stringify(s.row)}`);
            for (let j = i + 1; j < s.parts.length; j++) {
              const b = s.parts[j]!;
              assert.ok(!intersects(a.box, b.box), `${width} px: ${s.service}: ${a.what} ${JSON.stringify(a.box)} overlaps ${b.what} ${JSON.stringify(b.box)}`);
            }
          }
        }
        // Rows (cards) do not overlap each other, and nothing scrolls sideways.
        for (let i = 0; i < services.length; i++)
          for (let j = i + 1; j < services.length; j++) assert.ok(!intersects(services[i]!.row, services[j]!.row), `${services[i]!.service} and ${services[j]!.service} overlap`);
        const sideways = await page.locator('main').evaluate((m) => m.scrollWidth - m.clientWidth);
        assert.ok(sideways <= 0, `${width} px: the status view scrolls sideways by ${sideways} px`);
        // The resource line, where the owner sampled it.
        await waitForText(row(page, 'temporal').locator('.m-res'), '3.2 % · 41 MB');
        await waitForText(row(page, 'flaky').locator('.m-res'), '101 % · 1.4 GB');
        await saveScreenshot(page, `window-${width}-${scheme}`);
        assert.deepEqual(await axeViolations(page, 'main'), [], `${width} px ${scheme}: axe`);
        assert.deepEqual(errors, []);
        await close();
      });
    }
  }

  test('1280 px, 66 services: every row lines up with the header; 60 changing at once all show it', async () => {
    const names = Array.from({ length: 60 }, (_, i) => (i === 55 ? 'worker-55-with-a-much-longer-name' : `worker-${String(i).padStart(2, '0')}`));
    const st = demoStack();
    // The longest name and ports far down the list (off screen) still set their columns.
    st.services.push(...names.map((n, i) => fakeService('demo', n, { state: 'running', desired: 'up', pid: 50000 + i, startedAt: Date.now() - 60_000, ports: i === 57 ? [18001, 18002, 18003] : [] })));
    const { page, fake, errors, close } = await open(1280, 'light', [st]);
    await row(page, names[59]!).waitFor({ state: 'attached' });
    const columns = ['.name', '.c-state', '.m-pid', '.m-uptime', '.m-restarts', '.m-ports', '.m-res'];
    const lefts = (await page.evaluate(`[...document.querySelectorAll('.services .svc-row')].map((r) => [r.closest('[data-service]')?.dataset.service ?? 'header',
      ${JSON.stringify(columns)}.map((c) => Math.round(r.querySelector(c).getBoundingClientRect().left)),
      Math.round(r.querySelector('.name').getBoundingClientRect().height)])`)) as [string, number[], number][];
    assert.equal(lefts.length, 67, 'the header and 66 rows');
    const [, header] = lefts[0]!;
    for (const [name, at] of lefts.slice(1)) assert.deepEqual(at, header, `${name}: its cells ${JSON.stringify(at)} line up with the header's ${JSON.stringify(header)}`);
    const height = (name: string) => lefts.find(([n]) => n === name)![2];
    assert.ok(height('worker-55-with-a-much-longer-name') <= height('worker-00'), 'the longest name fits its column on one line');

    // One snapshot changes 60 rows (they are rendered a slice a frame): every row ends showing it.
    for (const n of names) Object.assign(fake.service('demo', n), { state: 'stopped', desired: 'down', pid: null, startedAt: null });
    fake.emit();
    await waitFor(async () => (await page.locator('.svc.state-stopped').count()) === 60, 10_000, '60 rows stopped');
    for (const n of [names[0]!, names[30]!, names[59]!]) assert.equal(await row(page, n).getByRole('button', { name: `Stop ${n}`, exact: true }).isDisabled(), true, `${n}: Stop is not offered`);
    assert.deepEqual(errors, []);
    await close();
  });

  test('480 px: the header keeps the overall words (never a bare dot), and the log toolbar stays inside the window', async () => {
    const { page, errors, close } = await open(480);
    const badge = page.locator('header.top > .badge');
    await badge.waitFor();
    const width = await badge.evaluate((e) => e.getBoundingClientRect().width);
    assert.ok(width >= 70, `the header's overall badge is ${width} px wide: its words must show`);
    const outside = async (selector: string) =>
      page.evaluate(`[...document.querySelectorAll(${JSON.stringify(selector)})]
        .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
        .map((e) => (e.textContent || '').trim())`);
    assert.deepEqual(await outside('header.top > *'), [], 'nothing of the header lies past the window');
    await page.getByRole('tab', { name: 'Logs' }).click();
    await page.locator('.log-toolbar').waitFor();
    assert.deepEqual(await outside('.log-toolbar button, .log-toolbar input, .log-toolbar label'), [], 'nothing of the log toolbar lies past the window');
    assert.deepEqual(errors, []);
    await close();
  });

  for (const width of WIDTHS) {
    test(`${width} px: nothing moves when states change (header, tabs, stack header, rows)`, async () => {
      const { page, fake, close } = await open(width);
      // Long values everywhere a state can put them.
      fake.update('demo', 'agent-runner', { restarts: 12345, pid: 1234567 });
      await waitForText(row(page, 'agent-runner').locator('.m-pid'), '1234567');
      const first = await positions(page);
      const long = 'http 503 from http://127.0.0.1:7300/healthz after 3 failures in a row; the service answered "upstream temporal unavailable"';
      const steps: [ServiceSnapshot['state'], Partial<ServiceSnapshot>][] = [
        ['starting', { pid: 1234567, health: { ok: false, detail: long, at: Date.now(), tries: 12 } }],
        ['unhealthy', { pid: 1234567, health: { ok: false, detail: long, at: Date.now() }, reason: `3 health checks failed in a row (${long})` }],
        ['backoff', { pid: null, reason: null, health: null, lastExit: { code: 137, signal: 'SIGKILL', at: Date.now(), reason: 'killed-unhealthy' }, nextRestartAt: Date.now() + 1600 }],
        ['held', { held: { dependency: 'stigmer-server', condition: 'healthy', state: 'starting' } }],
        ['stopping', { pid: 1234567, held: null }],
        ['stopped', { pid: null, desired: 'down', lastExit: { code: null, signal: 'SIGTERM', at: Date.now(), reason: 'stopped' } }],
        ['completed', { pid: null, desired: 'up', lastExit: { code: 0, signal: null, at: Date.now(), reason: 'exited' } }],
        ['running', { pid: 1234567, reason: null, resources: { cpuPercent: 250.5, memoryBytes: 9.5 * 1024 * 1024 * 1024, processes: 40, at: Date.now() } }],
      ];
      for (const [state, patch] of steps) {
        fake.update('demo', 'agent-runner', { state, ...patch });
        await waitForText(row(page, 'agent-runner').locator('.state'), STATE_LABEL[state]);
        // The overall badge changes its phrase with it (running, degraded, …).
        const now = await positions(page);
        assert.equal(now.length, first.length, `${width} px: as many elements after ${state}`);
        const moved = now.flatMap((p, i) => (p === first[i] ? [] : [`${first[i]} -> ${p}`]));
        assert.deepEqual(moved, [], `${width} px: moved after agent-runner became ${state}`);
      }
      await close();
    });
  }

  /** Opens a service's detail panel from the keyboard (Enter on its name). */
  async function openDetail(page: Page, name: string) {
    await row(page, name).locator('.name-btn').focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name });
    await dialog.waitFor();
    return dialog;
  }

  async function closeDetail(page: Page, name: string) {
    await page.keyboard.press('Escape');
    await panel(page).waitFor({ state: 'detached' });
    assert.equal(await page.evaluate('document.activeElement && document.activeElement.getAttribute("aria-label")'), `Details of ${name}`, 'the focus is back on the row');
  }

  /** The value of the panel's fact labelled `label` (none when the fact is not shown). */
  const fact = (dialog: ReturnType<Page['getByRole']>, label: string) =>
    dialog.locator('.fact').filter({ has: dialog.page().locator('dt').filter({ hasText: new RegExp(`^${label}`) }) }).locator('dd');

  /** The row's state word and note, and the panel's, are the words of shared/explain.ts. */
  async function assertExplained(page: Page, fake: FakeOwner, name: string) {
    const s = fake.service('demo', name);
    const why = explainService(s);
    assert.ok(why, `${name} in state ${s.state} has an explanation`);
    await waitForText(row(page, name).locator('.state'), STATE_LABEL[s.state]);
    assert.equal(await row(page, name).locator('.note').textContent(), why);
    const dialog = await openDetail(page, name);
    await waitForText(dialog.locator('.detail-head .state'), STATE_LABEL[s.state]);
    assert.equal(await dialog.locator('.detail-note').textContent(), why);
    return dialog;
  }

  for (const width of [1040, 640]) {
    test(`${width} px: held: what it waits for, no pid or uptime; Start is not offered`, async () => {
      const { page, fake, close } = await open(width);
      fake.update('demo', 'workflow-runner', { state: 'held', pid: null, startedAt: null, resources: null, held: { dependency: 'stigmer-server', condition: 'healthy', state: 'starting' } });
      const dialog = await assertExplained(page, fake, 'workflow-runner');
      assert.equal(await row(page, 'workflow-runner').locator('.note').textContent(), 'waiting for stigmer-server to be healthy (stigmer-server is starting)');
      assert.equal(await fact(dialog, 'PID').count(), 0, 'no pid');
      assert.equal(await fact(dialog, 'Uptime').count(), 0, 'no uptime');
      assert.equal(await fact(dialog, 'Resources').count(), 0, 'no resources');
      assert.equal(await dialog.getByRole('button', { name: 'Start workflow-runner', exact: true }).isDisabled(), true);
      await closeDetail(page, 'workflow-runner');
      await close();
    });

    test(`${width} px: failed: why, its last lines and Restart, in the row and the panel`, async () => {
      const { page, fake, close } = await open(width);
      fake.details.set('demo/flaky', {
        exits: [1, 2, 3, 4, 5].map((i) => ({ code: 1, signal: null, at: Date.now() - i * 2000, reason: 'crashed' as const, pid: 42000 + i })),
      });
      fake.update('demo', 'flaky', {
        state: 'failed', pid: null, startedAt: null, resources: null, health: null, restarts: 5,
        reason: 'crashed 5 times within 1m0s (last: exited with code 1); Corral stopped restarting it',
        lastExit: { code: 1, signal: null, at: Date.now() - 2000, reason: 'crashed', pid: 42001 },
        lastLogLines: ['Error: EADDRNOTAVAIL 127.0.0.1:17280', '    at listen (flaky.mjs:12:9)'],
      });
      const dialog = await assertExplained(page, fake, 'flaky');
      await waitForText(row(page, 'flaky').getByRole('group', { name: 'flaky failed' }), 'Corral will not restart it on its own');
      await waitForText(dialog.getByRole('group', { name: 'flaky failed' }), 'EADDRNOTAVAIL');
      assert.equal(await dialog.getByRole('button', { name: 'Restart flaky' }).getAttribute('class'), 'primary');
      const exits = dialog.getByRole('list', { name: 'Recent exits of flaky' }).getByRole('listitem');
      assert.equal(await exits.count(), 5);
      await waitForText(exits.first(), /^exit 1 \(crashed\), [\d.]+s ago \(pid 42001\)$/);
      assert.equal(await fact(dialog, 'PID').count(), 0);
      assert.equal(await fact(dialog, 'Uptime').count(), 0);
      await closeDetail(page, 'flaky');
      await close();
    });

    test(`${width} px: a completed task: it ran, exited 0, and needs nothing`, async () => {
      const { page, fake, close } = await open(width);
      const dialog = await assertExplained(page, fake, 'migrate');
      assert.equal(await row(page, 'migrate').locator('.note').textContent(), 'completed: exited with code 0');
      assert.equal(await row(page, 'migrate').locator('.m-uptime .v').textContent(), '—');
      assert.equal(await dialog.getByRole('button', { name: 'Stop migrate' }).isDisabled(), true);
      assert.equal(await fact(dialog, 'PID').count(), 0);
      await waitForText(dialog.getByRole('list', { name: 'Recent exits of migrate' }), /^exit 0 \(exited\), 1h\d+m ago \(pid 41874\)$/);
      await closeDetail(page, 'migrate');
      await close();
    });

    test(`${width} px: stopped by the user: says so; Start offered, Stop not; nothing of the old instance`, async () => {
      const { page, fake, close } = await open(width);
      fake.update('demo', 'agent-runner', { state: 'stopped', desired: 'down', pid: null, startedAt: null, resources: null, lastExit: { code: null, signal: 'SIGTERM', at: Date.now() - 5000, reason: 'stopped', pid: 41951 } });
      const dialog = await assertExplained(page, fake, 'agent-runner');
      assert.equal(await row(page, 'agent-runner').locator('.note').textContent(), 'stopped by you');
      assert.equal(await row(page, 'agent-runner').locator('.m-pid .v').textContent(), '—');
      assert.equal(await row(page, 'agent-runner').locator('.m-res .v').textContent(), '—');
      assert.equal(await dialog.getByRole('button', { name: 'Start agent-runner', exact: true }).isDisabled(), false);
      assert.equal(await dialog.getByRole('button', { name: 'Stop agent-runner' }).isDisabled(), true);
      for (const gone of ['PID', 'Uptime', 'Resources', 'Processes']) assert.equal(await fact(dialog, gone).count(), 0, `no ${gone}`);
      await closeDetail(page, 'agent-runner');
      await close();
    });
  }

  test('the owner gone: one clear state: the last known rows, not live; why, that it reconnects, and `corral ui`', async () => {
    const { page, ui, close } = await open(1040);
    const dialog = await openDetail(page, 'temporal');
    // Seconds show in this one (1m37s): a clock that ticks would be seen.
    const uptime = row(page, 'workflow-runner').locator('.m-uptime .v');
    await ui.close();
    const banner = page.locator('.banner[role=alert]');
    await waitForText(banner, 'not answering', 15_000);
    const said = (await banner.textContent())!;
    assert.match(said, /last known state, not live/);
    assert.match(said, /reconnects by itself if this same owner answers again/);
    // A restarted owner serves a new address: the page says so, and what opens it.
    assert.match(said, /an owner started anew .* serves a new address: run `corral ui` to open it/);
    await waitForText(page.locator('.stack-head .summary'), /^Last known: .* \(not live\)$/);
    await waitForText(dialog.locator('.detail-head .state'), 'Running (last known, not live)');
    // No row shows as live: no green dot, every state word says it is the last known, no resources, a stopped clock.
    assert.equal(await page.locator('.svc .s-running, .svc .s-completed').count(), 0);
    for (const name of ['temporal', 'migrate', 'flaky']) assert.match((await row(page, name).locator('.state').textContent())!, /\(last known, not live\)$/);
    assert.equal(await row(page, 'temporal').locator('.m-res .v').textContent(), '—');
    const frozen = await uptime.textContent();
    await new Promise((r) => setTimeout(r, 2100));
    assert.equal(await uptime.textContent(), frozen, 'a stale uptime does not tick');
    // Nothing can be clicked: actions, and opening a panel.
    assert.equal(await dialog.getByRole('button', { name: 'Restart temporal' }).isDisabled(), true);
    await page.keyboard.press('Escape');
    await panel(page).waitFor({ state: 'detached' });
    assert.equal(await page.getByRole('button', { name: 'Stop temporal' }).isDisabled(), true);
    assert.equal(await page.getByRole('button', { name: 'Details of temporal' }).isDisabled(), true);
    await saveScreenshot(page, 'window-owner-gone');
    await close();
  });

  test('the detail panel: keyboard, command, cwd, ports with Open, pid, process tree, exits, health, resources, log tail; live; Escape returns the focus', async () => {
    const { page, fake, close } = await open(1040);
    fake.details.set('demo/temporal', {
      command: 'node temporal.mjs --namespace default',
      cwd: '/home/dev/corral/stacks/demo',
      healthCheck: 'tcp 127.0.0.1:17233, every 2s',
      processes: [
        { pid: 41873, ppid: 1, command: 'node temporal.mjs --namespace default', role: 'leader', depth: 0 },
        { pid: 41880, ppid: 41873, command: 'node temporal-history.mjs', role: 'group', depth: 1 },
      ],
      exits: [{ code: null, signal: 'SIGKILL', at: Date.now() - 4_000_000, reason: 'killed-unhealthy', pid: 41001 }],
      healthResults: [
        { ok: true, detail: 'tcp 127.0.0.1:17233 connected in 1 ms', at: Date.now() - 1000 },
        { ok: false, detail: 'tcp 127.0.0.1:17233: connection refused', at: Date.now() - 3000 },
      ],
    });
    fake.log('demo', 'temporal', ['temporal listening on 127.0.0.1:17233', 'history shard 1 ready']);
    const dialog = await openDetail(page, 'temporal');
    assert.equal(await page.evaluate('document.activeElement && document.activeElement.getAttribute("aria-label")'), 'Close details', 'the focus is in the panel');
    await waitForText(fact(dialog, 'Command'), 'node temporal.mjs --namespace default');
    await waitForText(fact(dialog, 'Working directory'), '/home/dev/corral/stacks/demo');
    await waitForText(fact(dialog, 'Port'), '17233');
    await waitForText(fact(dialog, 'PID'), '41873');
    await waitForText(fact(dialog, 'Uptime'), /^1h\d+m \(since /);
    await waitForText(fact(dialog, 'Resources'), 'CPU 3.2 % · 41 MB · 2 processes');
    const tree = dialog.getByRole('list', { name: 'Processes of temporal' }).getByRole('listitem');
    assert.deepEqual(await tree.allTextContents(), ['41873 node temporal.mjs --namespace default', '41880 node temporal-history.mjs']);
    await waitForText(dialog.getByRole('list', { name: 'Recent exits of temporal' }), /killed by SIGKILL \(killed-unhealthy\), 1h\d+m ago \(pid 41001\)/);
    await waitForText(fact(dialog, 'Health check'), 'tcp 127.0.0.1:17233, every 2s');
    const health = dialog.getByRole('list', { name: 'Recent health results of temporal' }).getByRole('listitem');
    assert.equal(await health.count(), 2);
    await waitForText(health.nth(1), 'failing: tcp 127.0.0.1:17233: connection refused');
    await waitForText(dialog.getByRole('region', { name: 'Last log lines of temporal' }), 'history shard 1 ready');
    await saveScreenshot(page, 'window-detail-panel');
    // Open where it applies: through the contract, with this service.
    await dialog.getByRole('button', { name: 'Open http://127.0.0.1:17233/ in the browser' }).click();
    await waitFor(() => fake.calls.some((c) => c.name === 'openService'), 10_000, 'openService');
    assert.deepEqual(fake.calls.find((c) => c.name === 'openService')!.req, { stack: 'demo', service: 'temporal' });
    // Live: the snapshot's part at once, the owner's part read again, the log followed.
    const reads = fake.calls.filter((c) => c.name === 'describeService').length;
    fake.details.set('demo/temporal', { ...fake.details.get('demo/temporal'), processes: [{ pid: 41873, ppid: 1, command: 'node temporal.mjs --namespace default', role: 'leader', depth: 0 }] });
    fake.update('demo', 'temporal', { resources: { cpuPercent: 7.5, memoryBytes: 64 * 1024 * 1024, processes: 1, at: Date.now() } });
    await waitForText(fact(dialog, 'Resources'), 'CPU 7.5 % · 64 MB · 1 process');
    await waitFor(async () => (await tree.count()) === 1, 10_000, 'the process tree read again');
    assert.ok(fake.calls.filter((c) => c.name === 'describeService').length > reads);
    fake.log('demo', 'temporal', 'a line written while the panel is open');
    await waitForText(dialog.getByRole('region', { name: 'Last log lines of temporal' }), 'a line written while the panel is open');
    // Values that no longer apply go: stopped, it has no pid, uptime, resources or processes.
    fake.details.set('demo/temporal', { ...fake.details.get('demo/temporal'), processes: [] });
    fake.update('demo', 'temporal', { state: 'stopped', desired: 'down', pid: null, startedAt: null, resources: null, lastExit: { code: null, signal: 'SIGTERM', at: Date.now(), reason: 'stopped', pid: 41873 } });
    await waitForText(dialog.locator('.detail-head .state'), 'Stopped');
    await waitFor(async () => (await dialog.locator('dt').allTextContents()).every((t) => !/^(PID|Uptime|Resources|Processes)/.test(t)), 10_000, 'pid, uptime, resources and processes gone');
    assert.equal(await dialog.getByRole('button', { name: /^Open http/ }).count(), 0, 'nothing to open while it is stopped');
    assert.deepEqual(await axeViolations(page, 'dialog.detail-panel'), [], 'axe in the panel');
    await closeDetail(page, 'temporal');
    // A mouse opens it too.
    await row(page, 'flaky').locator('.name-btn').click();
    await page.getByRole('dialog', { name: 'flaky' }).waitFor();
    await page.getByRole('button', { name: 'Close details' }).click();
    await panel(page).waitFor({ state: 'detached' });
    await close();
  });

  test('a state change is announced politely, in the words of shared/explain.ts', async () => {
    const { page, fake, close } = await open(1040);
    const region = page.locator('[role=status][aria-live=polite]').first();
    fake.update('demo', 'flaky', { state: 'backoff', pid: null, reason: null, health: null, lastExit: { code: 1, signal: null, at: Date.now(), reason: 'crashed' }, nextRestartAt: Date.now() + 1600 });
    await waitForText(region, /^flaky: backoff \(exited with code 1; restarting after 1\.\ds\)$/);
    // With the detail panel open (the page behind it is inert), from inside the panel.
    const dialog = await openDetail(page, 'temporal');
    fake.update('demo', 'flaky', { state: 'failed', nextRestartAt: null, reason: 'crashed 5 times within 1m0s (last: exited with code 1); not restarting until you do' });
    await waitForText(dialog.locator('[role=status][aria-live=polite]'), 'flaky: failed (crashed 5 times within 1m0s (last: exited with code 1); not restarting until you do)');
    await close();
  });
});

describe('the detail panel against a real owner', { skip, timeout: 300_000 }, () => {
  let home: { home: string; cleanup: () => void };
  let owner: Owner;
  let ui: WebUi;
  let browser: Browser;
  let context: BrowserContext;
  const TAG = `window-layout-${process.pid}`;

  before(async () => {
    home = tempHome('window-layout');
    owner = await Owner.open({ home: home.home, kind: 'embedded' });
    await owner.addStack(
      stack('real', [
        svc('forker', ['--children', '2', '--tick', '500'], { env: { CORRAL_TEST_TAG: TAG } }),
        svc('crasher', ['--exit-after', '300'], { env: { CORRAL_TEST_TAG: TAG }, restart: { policy: 'on-failure', backoffMs: 50, maxBackoffMs: 100, resetAfterMs: 60_000, crashLoopCount: 3, crashLoopWindowMs: 60_000 } }),
      ]),
    );
    await owner.start('real');
    ui = await startWebUi(createApi(owner), { rendererDir: await buildRenderer() });
    browser = await launchBrowser();
  });

  after(async () => {
    await context?.close().catch(() => {});
    await browser?.close().catch(() => {});
    await ui?.close();
    await owner?.close({ stopServices: true });
    try {
      await assertNothingLeft({ markerPrefix: owner.dir.markerPrefix(), tag: TAG });
    } finally {
      home.cleanup();
      removeBuilds();
    }
  });

  test('describeService: the command as written, the cwd, the process tree now, the recent exits', async () => {
    const opened = await openPage(browser, ui.openUrl(), { viewport: { width: 1040, height: 720 } });
    context = opened.context;
    const page = opened.page;
    const leader = await waitFor(() => owner.service('real', 'forker').pid, 10_000, 'forker running');
    await page.locator('[data-service="forker"] .name-btn').click();
    const dialog = page.getByRole('dialog', { name: 'forker' });
    await dialog.waitFor();
    const spec = owner.stack('real')!.services.find((s) => s.name === 'forker')!;
    await waitForText(dialog.locator('.fact', { hasText: 'Command' }).locator('dd'), `${spec.command[0]} ${spec.command.slice(1).join(' ')}`);
    await waitForText(dialog.locator('.fact', { hasText: 'Working directory' }).locator('dd'), spec.cwd);
    const tree = dialog.getByRole('list', { name: 'Processes of forker' }).getByRole('listitem');
    await waitFor(async () => (await tree.count()) === 3, 10_000, 'the leader and its two children');
    const pids = (await tree.allTextContents()).map((t) => Number(t.split(' ')[0]));
    assert.equal(pids[0], leader, 'the leader first');
    for (const pid of pids) assert.ok(isLive(pid), `process ${pid} is live`);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    // The crasher's exits, as the supervisor recorded them, newest first.
    await waitFor(() => owner.service('real', 'crasher').state === 'failed', 20_000, 'crasher to give up');
    await page.locator('[data-service="crasher"] .name-btn').click();
    const exits = page.getByRole('dialog', { name: 'crasher' }).getByRole('list', { name: 'Recent exits of crasher' }).getByRole('listitem');
    await waitFor(async () => (await exits.count()) >= 3, 10_000, 'three exits listed');
    for (const t of await exits.allTextContents()) assert.match(t, /^exit 1 \(crashed\), [\d.]+m?s.* ago \(pid \d+\)$/);
  });
});
