// Accessibility of the whole window in real Chromium, against an in-memory
// owner that holds every state on cue: axe-core finds no serious or critical
// violation in the status view (running, failed with its last log lines, held,
// stopped by the user, a completed task, survivors, a port holder), the logs
// (following and paused, timestamps on), the settings and the confirm dialog,
// in light and in dark; state changes are said politely, log lines are not;
// and a keyboard alone starts, stops and restarts a service, opens its logs,
// filters them and comes back, the focus always visible and where a user
// expects it.
import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startWebUi, type WebUi } from '../../electron/host/web/server.js';
import { FakeOwner, fakeService } from '../helpers/fake-api.js';
import { launchBrowser, buildRenderer, removeBuilds, openPage, screenshot, waitForText, chromiumAvailable } from '../helpers/browser.js';
import { REPO_ROOT, waitFor } from '../helpers/env.js';
import type { StackSnapshot } from '../../shared/state.js';

const skip = chromiumAvailable() ? false : 'chromium is not installed (apt-get install chromium)';
const AXE_SOURCE = join(REPO_ROOT, 'node_modules', 'axe-core', 'axe.min.js');

function everyState(): StackSnapshot[] {
  const now = Date.now();
  const svc = fakeService;
  return [
    {
      name: 'shop',
      file: '/home/dev/shop/corral.yaml',
      services: [
        svc('shop', 'api', { state: 'running', desired: 'up', pid: 4100, ports: [7300], startedAt: now - 65_000, url: 'http://127.0.0.1:7300/', health: { ok: true, detail: 'http 200', at: now } }),
        svc('shop', 'worker', {
          state: 'failed',
          desired: 'up',
          restarts: 3,
          reason: 'crashed 3 times in 20s (last: exit code 1)',
          lastExit: { code: 1, signal: null, at: now - 4000, reason: 'crashed' },
          // As many as the owner keeps (20): more than the panel shows at once, so it scrolls.
          lastLogLines: [...Array.from({ length: 17 }, (_, i) => `\x1b[32mINFO\x1b[0m connecting to redis (try ${i + 1})`), '\x1b[1;31mERROR\x1b[0m ECONNREFUSED 127.0.0.1:6379', 'giving up', 'exiting with 1'],
        }),
        svc('shop', 'cache', { state: 'held', desired: 'up', held: { dependency: 'db', condition: 'healthy', state: 'starting' } }),
        svc('shop', 'db', { state: 'starting', desired: 'up', pid: 4102, startedAt: now - 2000, health: { ok: false, detail: 'tcp 127.0.0.1:5432 refused', at: now, tries: 2 } }),
        svc('shop', 'mailer', { state: 'stopped', desired: 'down', lastExit: { code: null, signal: 'SIGTERM', at: now - 90_000, reason: 'stopped' } }),
        svc('shop', 'migrate', { state: 'completed', desired: 'up', oneshot: true, lastExit: { code: 0, signal: null, at: now - 30_000, reason: 'exited' } }),
        svc('shop', 'agent', { state: 'stopped', desired: 'down', survivors: [{ pid: 4242, command: 'node agent.js --child', user: 'dev' }] }),
        svc('shop', 'web', {
          state: 'failed',
          desired: 'up',
          ports: [8080],
          reason: 'port 8080 is held by process 999 (python3)',
          portHolder: { pid: 999, command: 'python3 -m http.server 8080', user: 'dev', port: 8080 },
        }),
      ],
      pending: null,
    },
  ];
}

interface Found {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe-core's serious and critical violations on the page as it is now, one line each (rule, help, targets). */
async function axeProblems(page: Page): Promise<string[]> {
  // Evaluated rather than added as a <script>: the page's Content-Security-Policy (rightly) refuses inline scripts.
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(readFileSync(AXE_SOURCE, 'utf8'));
  const found = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\\s+/g, ' ')),
  })))`)) as Found[];
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.slice(0, 6).join(' | ')}`);
}

/** WCAG contrast ratio of two CSS `rgb(…)` colours. */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = (c.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number).map((v) => {
      const x = v / 255;
      return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

/** The focused element's label and whether it shows a focus ring (a non-zero outline or a box-shadow). */
async function focused(page: Page): Promise<{ label: string; tag: string; ring: boolean; inRow: string | null }> {
  return (await page.evaluate(`(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { label: '', tag: 'BODY', ring: false, inRow: null };
    const cs = getComputedStyle(el);
    const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
    const shadow = cs.boxShadow !== 'none' && cs.boxShadow !== '';
    const row = el.closest('[data-service]');
    return {
      label: el.getAttribute('aria-label') || (el.textContent || '').trim().slice(0, 60),
      tag: el.tagName,
      ring: outline || shadow,
      inRow: row ? row.getAttribute('data-service') : null,
    };
  })()`)) as { label: string; tag: string; ring: boolean; inRow: string | null };
}

describe('accessibility of the window', { skip, timeout: 300_000 }, () => {
  let fake: FakeOwner;
  let ui: WebUi;
  let browser: Browser;
  let rendererDir: string;
  const contexts: BrowserContext[] = [];

  before(async () => {
    rendererDir = await buildRenderer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    removeBuilds();
  });
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close().catch(() => {});
    await ui?.close();
  });

  const open = async (scheme: 'light' | 'dark', hash = '') => {
    fake = new FakeOwner(everyState());
    ui = await startWebUi(fake.api, { rendererDir });
    const { context, page, errors } = await openPage(browser, ui.openUrl(), { colorScheme: scheme });
    contexts.push(context);
    await page.getByRole('heading', { name: 'shop' }).waitFor();
    if (hash) {
      await page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
    }
    return { page, errors };
  };

  for (const scheme of ['light', 'dark'] as const) {
    test(`axe (${scheme}): status with every state, the confirm dialog, logs following and paused with timestamps, settings`, async () => {
      const { page, errors } = await open(scheme);
      const problems: string[] = [];
      const check = async (where: string) => {
        for (const p of await axeProblems(page)) problems.push(`${where}: ${p}`);
      };

      await page.getByRole('group', { name: 'worker failed' }).getByLabel('Last log lines of worker').waitFor();
      await page.getByRole('group', { name: 'Processes of agent still running' }).waitFor();
      await check('status');
      await screenshot(page, `a11y-status-${scheme}`);

      await page.getByRole('button', { name: 'Stop process 999' }).click();
      await page.getByRole('dialog', { name: 'Stop process 999?' }).waitFor();
      await check('confirm dialog');
      await screenshot(page, `a11y-dialog-${scheme}`);
      await page.keyboard.press('Escape');
      await page.getByRole('dialog').waitFor({ state: 'detached' });

      const t0 = Date.now() - 5000;
      fake.log('shop', 'api', ['2026-12-01T10:00:00.000Z GET / 200', 'a line with no time of its own'], t0);
      fake.log('shop', 'worker', '\x1b[1;31mERROR\x1b[0m ECONNREFUSED', t0 + 1);
      await page.evaluate(`location.hash = '#/logs/shop/api,worker'`);
      const lines = page.getByRole('region', { name: 'Log lines of api, worker' });
      await waitForText(lines, 'ECONNREFUSED');
      await page.getByRole('checkbox', { name: 'Timestamps' }).check();
      await lines.locator('.time').first().waitFor();
      for (let i = 0; i < 80; i++) fake.log('shop', 'api', `INFO request ${i} ok`);
      await waitForText(lines.locator('.row').last(), 'request 79 ok');
      await page.getByRole('button', { name: 'Following', exact: true }).waitFor();
      await check('logs, following');
      await page.getByRole('searchbox', { name: 'Filter logs' }).fill('request 1');
      await waitForText(page.locator('.match-info'), /matches/);
      await page.getByRole('searchbox', { name: 'Filter logs' }).press('Enter');
      await page.getByRole('button', { name: /^Paused/ }).waitFor();
      for (let i = 0; i < 3; i++) fake.log('shop', 'api', `INFO late ${i}`);
      await waitForText(page.getByRole('button', { name: /^Paused/ }), /3 new lines/);
      await check('logs, paused, filtered, timestamps on');
      // What axe does not check: a text field's edge against the page (WCAG 1.4.11, 3:1).
      const [edge, page_] = (await page.evaluate(`(() => {
        const box = document.querySelector('input[type=search]');
        const bg = getComputedStyle(box.closest('.log-toolbar')).backgroundColor;
        return [getComputedStyle(box).borderTopColor, bg === 'rgba(0, 0, 0, 0)' ? getComputedStyle(document.body).backgroundColor : bg];
      })()`)) as [string, string];
      if (contrast(edge, page_) < 3) problems.push(`logs: the filter field's edge ${edge} on ${page_} is ${contrast(edge, page_).toFixed(2)}:1, under 3:1`);
      await screenshot(page, `a11y-logs-${scheme}`);

      await page.getByRole('tab', { name: 'Settings' }).click();
      await page.getByRole('checkbox', { name: 'Notify when a service fails' }).waitFor();
      await check('settings');

      assert.deepEqual(problems, [], `axe found:\n${problems.join('\n')}`);
      assert.deepEqual(errors, []);
    });
  }

  test('state changes are said politely, once; log lines never are', async () => {
    const { page } = await open('light', '#/logs/shop/api');
    const announcer = page.locator('[aria-live="polite"][data-testid="state-announcer"]');
    await page.getByRole('region', { name: 'Log lines of api' }).waitFor();
    fake.update('shop', 'worker', { state: 'running', pid: 4200, reason: null, restarts: 0, lastExit: null, lastLogLines: [], startedAt: Date.now() });
    await waitForText(announcer, /^worker: running\.?$/);
    fake.update('shop', 'api', { state: 'failed', pid: null, reason: 'crashed 3 times in 20s', lastExit: { code: 1, signal: null, at: Date.now(), reason: 'crashed' } });
    await waitForText(announcer, /^api: failed \(crashed 3 times in 20s\)\.$/);
    // A log line is never inside a live region (nor one whose role makes it live).
    fake.log('shop', 'api', 'a line');
    await waitForText(page.getByRole('region', { name: 'Log lines of api' }), 'a line');
    const liveAroundLines = await page.evaluate(`(() => {
      for (let el = document.querySelector('.log-lines .row'); el; el = el.parentElement) {
        const live = el.getAttribute('aria-live');
        const role = el.getAttribute('role');
        if ((live && live !== 'off') || role === 'log' || role === 'status' || role === 'alert') return el.tagName + '.' + el.className + ' aria-live=' + live + ' role=' + role;
      }
      return null;
    })()`);
    assert.equal(liveAroundLines, null);
    // The follow state is said when it changes, and says nothing of the count of lines.
    const followLive = page.locator('.log-status .follow-said[aria-live="polite"]');
    await waitForText(followLive, 'Following the newest lines.');
    await page.getByRole('button', { name: 'Following', exact: true }).click();
    await waitForText(followLive, /^Paused/);
    fake.log('shop', 'api', ['more', 'lines']);
    await waitForText(page.getByRole('button', { name: /^Paused/ }), '2 new lines');
    assert.doesNotMatch((await followLive.textContent()) ?? '', /\d/);
  });

  test('keyboard only: start, stop and restart a service, open its logs, filter them, come back; the focus always shows', async () => {
    const { page, errors } = await open('light');
    const trail: string[] = [];
    const assertRing = async (step: string) => {
      const f = await focused(page);
      trail.push(`${step}: ${f.tag} "${f.label}"`);
      assert.ok(f.tag !== 'BODY', `${step}: the focus was lost to the page (${trail.join(' → ')})`);
      assert.ok(f.ring, `${step}: "${f.label}" has the focus but no visible focus ring`);
      return f;
    };
    /** Tab (or Shift+Tab, whichever way it lies) until the control named `label` has the focus, checking the ring at every stop. */
    const tabTo = async (label: string) => {
      for (let i = 0; i < 80; i++) {
        const f = await focused(page);
        if (f.label === label) return;
        const back = f.tag !== 'BODY' && (await page.evaluate(`(() => {
          const name = (e) => e.getAttribute('aria-label') || (e.textContent || '').trim();
          const t = [...document.querySelectorAll('button, input, select, [tabindex]')].find((e) => name(e) === ${JSON.stringify(label)});
          return !!t && !!(document.activeElement.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_PRECEDING);
        })()`));
        await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
        await assertRing(`Tab towards ${label}`);
      }
      assert.fail(`could not reach ${label} with Tab: ${trail.slice(-10).join(' → ')}`);
    };
    const stateOf = (name: string) => page.locator(`[data-service="${name}"] .state`);

    // mailer is stopped: start it.
    await tabTo('Start mailer');
    await page.keyboard.press('Enter');
    await waitForText(stateOf('mailer'), 'Running');
    let f = await assertRing('after Start');
    assert.equal(f.inRow, 'mailer', 'the focus stays on the row it acted on');

    await tabTo('Stop mailer');
    await page.keyboard.press('Enter');
    await waitForText(stateOf('mailer'), 'Stopped');
    f = await assertRing('after Stop');
    assert.equal(f.inRow, 'mailer');

    await tabTo('Restart mailer');
    await page.keyboard.press(' ');
    await waitFor(() => fake.calls.some((c) => c.name === 'restart'), 10_000, 'restart by keyboard');
    await waitForText(stateOf('mailer'), 'Running');
    // Back on the button pressed once its call has finished.
    await waitFor(async () => (await focused(page)).label === 'Restart mailer', 10_000, 'the focus back on Restart mailer');
    await assertRing('after Restart');
    assert.deepEqual(
      fake.calls.filter((c) => ['start', 'stop', 'restart'].includes(c.name)).map((c) => [c.name, c.req]),
      [
        ['start', { stack: 'shop', services: ['mailer'] }],
        ['stop', { stack: 'shop', services: ['mailer'] }],
        ['restart', { stack: 'shop', services: ['mailer'] }],
      ],
    );

    // Its logs: the focus lands on the lines.
    fake.log('shop', 'mailer', ['sent 1 mail to ann', 'queue empty', 'sent 2 mails to bob']);
    await tabTo('Logs of mailer');
    await page.keyboard.press('Enter');
    const lines = page.getByRole('region', { name: 'Log lines of mailer' });
    await waitForText(lines, 'sent 2 mails');
    await waitFor(async () => (await focused(page)).label === 'Log lines of mailer', 10_000, 'the focus on the lines');
    await assertRing('logs opened');
    // Page Up in the lines pauses; End follows again.
    for (let i = 0; i < 60; i++) fake.log('shop', 'mailer', `tick ${i}`);
    await waitForText(lines.locator('.row').last(), 'tick 59');
    await page.keyboard.press('PageUp');
    await page.getByRole('button', { name: /^Paused/ }).waitFor();
    await page.keyboard.press('End');
    await page.getByRole('button', { name: 'Following', exact: true }).waitFor();

    // Filter: `/`, type, Enter to the first match.
    await page.keyboard.press('/');
    f = await assertRing('/ to the filter');
    assert.equal(f.label, 'Filter logs');
    await page.keyboard.type('sent');
    await waitForText(page.locator('.match-info'), '2 matches');
    await page.keyboard.press('Enter');
    await waitForText(page.locator('.match-info'), '1 of 2 matches');
    const rows = await lines.locator('.row').allTextContents();
    assert.deepEqual(rows, ['sent 1 mail to ann', 'sent 2 mails to bob']);

    // Escape clears the filter; Escape again goes back, to the button that opened the logs.
    await page.keyboard.press('Escape');
    await waitForText(lines, 'queue empty');
    await page.keyboard.press('Escape');
    await page.getByRole('tab', { name: 'Status', selected: true }).waitFor();
    await waitFor(async () => (await focused(page)).label === 'Logs of mailer', 10_000, 'the focus back on Logs of mailer');
    await assertRing('back to status');

    // The confirm dialog: opened and cancelled by keyboard, the focus back where it was.
    await tabTo('Stop process 999');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Stop process 999?' }).waitFor();
    f = await assertRing('dialog');
    assert.equal(f.label, 'Cancel');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await waitFor(async () => (await focused(page)).label === 'Stop process 999', 10_000, 'the focus back on the dialog\'s opener');
    await assertRing('dialog closed');
    assert.deepEqual(errors, []);
  });
});
