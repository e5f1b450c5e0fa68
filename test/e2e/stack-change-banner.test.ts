// The window's notice that a stack file changed on disk (StackChangeBanner):
// the words every view uses, an Apply button that makes the one contract call,
// an invalid file shown with its error and nothing to apply, and no notice at
// all when nothing is pending. In real Chromium against an in-memory owner.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startWebUi } from '../../electron/host/web/server.js';
import { FakeOwner, fakeService } from '../helpers/fake-api.js';
import { launchBrowser, buildRenderer, removeBuilds, openPage, waitForText, chromiumAvailable } from '../helpers/browser.js';
import { waitFor } from '../helpers/env.js';

const skip = chromiumAvailable() ? false : 'chromium is not installed (apt-get install chromium)';

describe('the stack file changed: banner and Apply', { skip, timeout: 300_000 }, () => {
  let browser: Browser;
  let rendererDir: string;

  before(async () => {
    rendererDir = await buildRenderer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    removeBuilds();
  });

  test('pending: says what applying does; Apply calls applyStack once and the notice goes; an invalid file shows its error without Apply', async () => {
    const now = Date.now();
    const fake = new FakeOwner([
      {
        name: 'demo',
        file: '/home/dev/demo/corral.yaml',
        services: [
          fakeService('demo', 'api', { state: 'running', desired: 'up', pid: 4100, startedAt: now - 60_000 }),
          fakeService('demo', 'worker', { state: 'running', desired: 'up', pid: 4101, startedAt: now - 60_000 }),
        ],
        pending: null,
      },
    ]);
    const ui = await startWebUi(fake.api, { rendererDir });
    const { context, page, errors } = await openPage(browser, ui.openUrl());
    try {
      await page.getByRole('button', { name: 'Restart api', exact: true }).waitFor();
      assert.equal(await page.locator('.stack-change').count(), 0, 'nothing pending: no notice');

      fake.stacks[0]!.pending = { at: now - 120_000, error: null, restart: ['api', 'worker'], add: ['cache'], remove: [] };
      fake.emit();
      const notice = page.locator('.stack-change');
      await waitForText(notice, /corral\.yaml changed 2 min ago: `corral up` would restart api, worker; add cache/);
      const apply = page.getByRole('button', { name: 'Apply changes to demo (restarts api, worker; adds cache)', exact: true });
      await apply.click();
      await waitFor(() => fake.calls.some((c) => c.name === 'applyStack'), 10_000, 'the applyStack call');
      assert.deepEqual(fake.calls.filter((c) => c.name === 'applyStack').map((c) => c.req), [{ stack: 'demo' }]);
      await waitFor(async () => (await notice.count()) === 0, 10_000, 'the notice to go once applied');
      assert.equal(fake.service('demo', 'api').pid !== 4100, true, 'api was restarted by the apply');

      fake.stacks[0]!.pending = { at: Date.now(), error: '/home/dev/demo/corral.yaml:3:1: bogus: Unknown field "bogus"', restart: [], add: [], remove: [] };
      fake.emit();
      await waitForText(notice, /corral\.yaml changed just now and cannot be applied: .*Unknown field "bogus"/);
      assert.equal(await notice.getByRole('button').count(), 0, 'nothing to apply');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
      await ui.close();
    }
  });
});
