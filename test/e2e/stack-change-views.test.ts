// A stack file changed on disk, against a real owner: `status --json`, the
// CLI's line under the stack, the window's notice (the web UI in Chromium) and
// the tray's item say the same thing; the window's Apply applies it through the
// owner (api restarted, cache started) and every view's notice goes.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { harness, svcYaml, type Harness } from '../integration/cli-harness.js';
import { waitFor } from '../helpers/env.js';
import { launchBrowser, openPage, chromiumAvailable, screenshot } from '../helpers/browser.js';
import { applyStackLabel, explainStackChange } from '../../shared/explain.js';
import { DEFAULT_SETTINGS } from '../../shared/api.js';
import type { Snapshot, StackSnapshot } from '../../shared/state.js';
import { buildTrayMenu, findItem, type TrayActions } from '../../electron/app/tray-menu.js';

const skip = chromiumAvailable() ? false : 'chromium is not installed (apt-get install chromium)';
const noActions = new Proxy({}, { get: () => () => {} }) as TrayActions;
/** "changed 3 s ago" and "changed just now" are the same notice read a moment apart. */
const timeless = (s: string) => s.replace(/changed (just now|\d+ (s|min|h|days) ago)/, 'changed …');

describe('a changed stack file: every view says the same, and Apply applies it', { skip, timeout: 300_000 }, () => {
  let h: Harness;
  let browser: Browser;
  let dir: string;
  const yaml = (mode: string, extra = '') => `version: 1\nname: edits\nservices:\n${svcYaml('api', ['--tick', '1000'], `    env: { MODE: "${mode}" }\n`)}${svcYaml('worker', ['--tick', '1000'])}${extra}`;
  const status = async (): Promise<StackSnapshot> => (await h.json<StackSnapshot[]>(['status', '-s', 'edits']))[0]!;

  before(async () => {
    h = harness('edits');
    dir = h.project('edits');
    h.writeStack(dir, yaml('one'));
    const up = await h.run(['up'], { cwd: dir });
    assert.equal(up.code, 0, up.stdout + up.stderr);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await h?.cleanup();
  });

  test('status --json, the CLI, the window and the tray agree; Apply in the window applies', async () => {
    const ui = await h.run(['ui', '--no-open', '--json']);
    assert.equal(ui.code, 0, ui.stderr);
    const { page, context } = await openPage(browser, (JSON.parse(ui.stdout) as { url: string }).url);
    try {
      await page.getByRole('button', { name: 'Restart api', exact: true }).waitFor();
      const before = await status();
      h.writeStack(dir, yaml('two', svcYaml('cache', ['--tick', '1000'])));
      const st = await waitFor(async () => {
        const s = await status();
        return s.pending?.add.length ? s : null;
      }, 15_000, 'pending in status --json');
      const change = st.pending!;
      assert.deepEqual([change.restart, change.add, change.remove, change.error], [['api'], ['cache'], [], null]);
      const words = timeless(explainStackChange(st.file, change, Date.now()));
      assert.equal(words, 'corral.yaml changed …: `corral up` would restart api; add cache');

      const text = (await h.run(['status', '-s', 'edits'])).stdout;
      assert.ok(text.split('\n').some((l) => timeless(l) === words), `the CLI's line under the stack\n${text}`);
      const snap: Snapshot = { seq: 0, owner: { pid: 0, kind: 'daemon', since: 0, home: h.home }, stacks: [st], settings: DEFAULT_SETTINGS };
      const item = findItem(buildTrayMenu(snap, DEFAULT_SETTINGS, { actions: noActions, launchAtLogin: { available: true } }), 'apply-stack:edits')!;
      assert.equal(item.label, applyStackLabel('edits', change));
      assert.equal(item.label, 'Apply changes to edits (restarts api; adds cache)');
      const notice = page.locator('.stack-change');
      await waitFor(async () => (await notice.count()) === 1 && timeless((await notice.locator('p').first().innerText()).trim()) === words, 15_000, 'the window says the same');
      await screenshot(page, 'stack-file-changed');

      await page.getByRole('button', { name: item.label!, exact: true }).click();
      await waitFor(async () => (await notice.count()) === 0, 30_000, 'the notice to go once applied');
      const after = await waitFor(async () => {
        const s = await status();
        return s.pending === null && s.services.every((x) => x.state === 'running') && s.services.length === 3 ? s : null;
      }, 30_000, 'applied: three services running, nothing pending');
      const pid = (s: StackSnapshot, n: string) => s.services.find((x) => x.name === n)!.pid;
      assert.notEqual(pid(after, 'api'), pid(before, 'api'), 'api restarted');
      assert.equal(pid(after, 'worker'), pid(before, 'worker'), 'worker left alone');
      assert.doesNotMatch((await h.run(['status', '-s', 'edits'])).stdout, /changed/);
    } finally {
      await context.close();
    }
  });
});
