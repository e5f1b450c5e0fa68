// The log view against a real owner and a real rotated log: a service run
// three times (each start rotates its log: `.log.2`, `.log.1`, the current
// file), then read in the window. History reaches back through every kept
// rotation in order; the time column says what is known (the service's own
// timestamp, the time a live line arrived, `—` for history without one) and
// never moves the text; the setting is remembered; scrolling up pauses with
// a count of what came since, and the one Follow button says which state it is in.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Owner } from '../../electron/engine/owner.js';
import { startWebUi, type WebUi } from '../../electron/host/web/server.js';
import { createApi } from '../../electron/host/api.js';
import { tempHome, waitFor, assertNothingLeft } from '../helpers/env.js';
import { stack, svc } from '../helpers/stack.js';
import { launchBrowser, buildRenderer, removeBuilds, openPage, screenshot, waitForText, chromiumAvailable } from '../helpers/browser.js';

const skip = chromiumAvailable() ? false : 'chromium is not installed (apt-get install chromium)';

// One line with its own timestamp, twenty without, then a tick every 150 ms.
const TALKER = `
console.log(new Date().toISOString() + ' talker started ' + process.pid);
for (let i = 0; i < 20; i++) console.log('plain ' + process.pid + ' ' + i);
let n = 0;
setInterval(() => console.log('tick ' + process.pid + ' ' + n++), 150);
process.on('SIGTERM', () => process.exit(0));
`;

describe('log view against a real owner with a rotated log', { skip, timeout: 300_000 }, () => {
  let home: { home: string; cleanup: () => void };
  let owner: Owner;
  let ui: WebUi;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  const pids: number[] = [];

  before(async () => {
    home = tempHome('log-view');
    owner = await Owner.open({ home: home.home, kind: 'embedded' });
    await owner.addStack(stack('rot', [{ ...svc('talker', []), command: [process.execPath, '-e', TALKER] }]));
    const api = createApi(owner);
    const file = owner.dir.logFile('rot', 'talker');
    for (let run = 0; run < 3; run++) {
      await (run === 0 ? api.start({ stack: 'rot' }) : api.restart({ stack: 'rot', services: ['talker'] }));
      const pid = await waitFor(() => {
        const p = owner.snapshot().stacks[0]!.services[0]!.pid;
        return p !== null && !pids.includes(p) ? p : null;
      }, 10_000, `run ${run + 1}`);
      pids.push(pid);
      // Its first lines and a few ticks in the file before the next start rotates it.
      const lines = await waitFor(() => api.readLogs({ stack: 'rot', lines: 1000 }).then((ls) => ls.some((l) => l.text === `tick ${pid} 2`)), 10_000, `run ${run + 1}'s lines`);
      assert.ok(lines);
    }
    assert.ok(existsSync(`${file}.1`) && existsSync(`${file}.2`), 'the log was rotated twice');
    ui = await startWebUi(api, { rendererDir: await buildRenderer() });
    browser = await launchBrowser();
    ({ context, page, errors } = await openPage(browser, ui.openUrl()));
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  });

  after(async () => {
    await context?.close().catch(() => {});
    await browser?.close().catch(() => {});
    await ui?.close();
    await owner?.close({ stopServices: true });
    try {
      if (owner) await assertNothingLeft({ markerPrefix: owner.dir.markerPrefix() });
    } finally {
      home.cleanup();
      removeBuilds();
    }
  });

  const region = () => page.getByRole('region', { name: 'Log lines of talker' });

  test('every kept rotation is read, in order; the time column says what is known', async () => {
    await page.getByRole('heading', { name: 'rot' }).waitFor();
    await page.getByRole('button', { name: 'Logs of talker' }).click();
    await waitForText(region(), `tick ${pids[2]}`);
    const timestamps = page.getByRole('checkbox', { name: 'Timestamps' });
    assert.equal(await timestamps.isChecked(), false, 'off until asked for');
    await timestamps.check();
    const opened = Date.now();
    // Live lines arrive with the time the owner read them.
    await waitFor(async () => (await region().locator('.row').last().locator('.time').getAttribute('title'))?.startsWith('Arrived'), 10_000, 'a live line');

    // Everything the view holds, as copied (the time column is copied too).
    await page.getByRole('button', { name: 'Copy', exact: true }).click();
    await waitForText(page.getByRole('status'), /Copied \d+ lines/);
    const copied = ((await page.evaluate('navigator.clipboard.readText()')) as string).trimEnd().split('\n');
    const parse = (line: string) => {
      const sp = line.indexOf(' ');
      return { time: line.slice(0, sp), text: line.slice(sp + 1) };
    };
    const rows = copied.map(parse);
    // The three runs, oldest first (.log.2, .log.1, the current file), each line once.
    const starts = rows.map((r, i) => [r.text, i] as const).filter(([t]) => / talker started /.test(t));
    assert.deepEqual(starts.map(([t]) => Number(t.split(' ').at(-1))), pids);
    assert.equal(starts[0]![1], 0, 'the first line of the oldest rotation comes first');
    for (let run = 0; run < 3; run++) {
      const plain = rows.filter((r) => r.text.startsWith(`plain ${pids[run]} `)).map((r) => r.text);
      assert.deepEqual(plain, Array.from({ length: 20 }, (_, i) => `plain ${pids[run]} ${i}`), `run ${run + 1}'s lines, in order`);
    }
    assert.equal(new Set(rows.map((r) => r.text)).size, rows.length, 'no line twice');
    // Times: the service's own stamp where it wrote one; none for history without one; arrival for live lines.
    for (const [text, i] of starts) assert.equal(rows[i]!.time, text.split(' ')[0], 'the line\'s own timestamp');
    assert.ok(rows.filter((r) => r.text.startsWith('plain ')).every((r) => r.time === '—'), 'history lines without a timestamp have no time');
    const live = rows.filter((r) => r.time !== '—' && !/ talker started /.test(r.text));
    assert.ok(live.length > 0, 'live lines have a time');
    for (const r of live) {
      assert.match(r.text, new RegExp(`^tick ${pids[2]} `));
      const t = Date.parse(r.time);
      assert.ok(t >= opened - 5000 && t <= Date.now(), `${r.time} is when it arrived`);
    }

    // In the view: a column of one width, so the text starts at the same place on every row.
    await region().focus();
    await page.keyboard.press('Home');
    await waitForText(region().locator('.row').first(), `talker started ${pids[0]}`);
    const cells = await region().locator('.row').evaluateAll((rs) =>
      rs.slice(0, 12).map((r) => [r.querySelector('.time')!.textContent, Math.round(r.querySelector('.text')!.getBoundingClientRect().left)]),
    );
    // Each row says its place in the whole log, not among the few rendered.
    const place = await region().locator('.row').first().evaluate((r) => [r.getAttribute('role'), r.getAttribute('aria-posinset'), Number(r.getAttribute('aria-setsize'))] as const);
    assert.deepEqual(place.slice(0, 2), ['listitem', '1']);
    assert.ok(place[2] >= copied.length, `set size ${place[2]}`);
    assert.match(String(cells[0]![0]), /^\d\d:\d\d:\d\d\.\d{3}$/);
    assert.equal(cells[1]![0], '—');
    assert.equal(new Set(cells.map((c) => c[1])).size, 1, `the text column does not move: ${JSON.stringify(cells)}`);
    assert.match((await region().locator('.row').first().locator('.time').getAttribute('title')) ?? '', /service's own timestamp/);
    assert.match((await region().locator('.row').nth(1).locator('.time').getAttribute('title')) ?? '', /not known/);
    await screenshot(page, 'log-view-rotated-timestamps');

    // Remembered: a page opened later shows the column.
    await page.reload();
    await waitForText(region(), `tick ${pids[2]}`);
    assert.equal(await page.getByRole('checkbox', { name: 'Timestamps' }).isChecked(), true);
    assert.ok((await region().locator('.row .time').count()) > 0);
  });

  test('scrolling up pauses with a count of new lines; the button says so, and follows again', async () => {
    const following = page.getByRole('button', { name: 'Following', exact: true });
    const paused = page.getByRole('button', { name: /^Paused/ });
    await following.waitFor();
    assert.equal(await following.getAttribute('aria-pressed'), 'true');
    const box = (await region().boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -400);
    await paused.waitFor();
    assert.equal(await paused.getAttribute('aria-pressed'), 'false');
    const top = await region().evaluate((el) => el.scrollTop);
    await waitForText(paused, /^\W*Paused — [\d,]+ new lines?, Jump to newest$/, 10_000);
    assert.equal(await region().evaluate((el) => el.scrollTop), top, 'the paused view holds still');
    assert.match((await page.locator('.log-status').textContent()) ?? '', /Paused/);
    await paused.click();
    await following.waitFor();
    await waitFor(async () => region().evaluate((el) => el.scrollTop + el.clientHeight >= el.scrollHeight - 20), 10_000, 'the view at the newest line');
    assert.deepEqual(errors, []);
  });
});
