// The log viewer's logic without a browser: ANSI parsing, joining a history
// read with followed lines, ordering, the sliced search, hash routes.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseAnsi, stripAnsi, spanClass } from '../../renderer/src/logs/ansi.js';
import { LogStore, compareLines } from '../../renderer/src/logs/log-store.js';
import { LogSearch, matcher } from '../../renderer/src/logs/search.js';
import { parseRoute, routeHash } from '../../renderer/src/route.js';
import type { LogLine } from '../../shared/api.js';

const line = (service: string, seq: number, text: string, ts = 1000): LogLine => ({ stack: 'demo', service, ts, seq, text });

describe('ansi', () => {
  test('SGR colours, bright colours, bold and reset become styled spans', () => {
    const spans = parseAnsi('plain \x1b[31mred \x1b[1;92mbold bright green\x1b[0m back');
    assert.deepEqual(
      spans.map((s) => [s.text, spanClass(s)]),
      [
        ['plain ', ''],
        ['red ', 'fg1'],
        ['bold bright green', 'fg10 b'],
        [' back', ''],
      ],
    );
  });

  test('37/90/97 and 39 (default colour); an empty SGR resets', () => {
    const spans = parseAnsi('\x1b[37ma\x1b[90mb\x1b[97mc\x1b[39md\x1b[1me\x1b[mf');
    assert.deepEqual(spans.map((s) => [s.text, spanClass(s)]), [
      ['a', 'fg7'],
      ['b', 'fg8'],
      ['c', 'fg15'],
      ['d', ''],
      ['e', 'b'],
      ['f', ''],
    ]);
  });

  test('other escapes (cursor moves, OSC titles, truecolour) are dropped, not shown', () => {
    const spans = parseAnsi('\x1b[2K\x1b[1G\x1b]0;title\x07ok \x1b[38;2;255;0;0mtc\x1b[0m \x1b[38;5;4mblue');
    assert.equal(spans.map((s) => s.text).join(''), 'ok tc blue');
    assert.equal(spanClass(spans[1]!), '', 'truecolour numbers are not read as codes');
    assert.equal(spanClass(spans[3]!), 'fg4');
  });

  test('control characters and carriage returns are stripped; markup is just text', () => {
    assert.equal(stripAnsi('a\rb\x07c'), 'abc');
    const spans = parseAnsi('<img src=x onerror=alert(1)>\x1b[31m<b>');
    assert.equal(spans.map((s) => s.text).join(''), '<img src=x onerror=alert(1)><b>');
  });
});

describe('LogStore', () => {
  test('keeps time order when a late line arrives, and says which indexes moved', () => {
    const s = new LogStore();
    s.load([line('api', 0, 'a', 10), line('api', 1, 'b', 20)]);
    s.append([line('worker', 0, 'c', 30)]);
    assert.equal(s.stableBefore, 2);
    s.append([line('worker', 1, 'late', 15)]);
    assert.deepEqual(s.lines.map((l) => l.text), ['a', 'late', 'b', 'c']);
    assert.equal(s.stableBefore, 1);
  });

  test('equal stamps: each service keeps its own order', () => {
    const lines = [line('b', 1, 'b1'), line('a', 2, 'a2'), line('a', 1, 'a1'), line('b', 0, 'b0')];
    assert.deepEqual(lines.slice().sort(compareLines).map((l) => l.text), ['a1', 'a2', 'b0', 'b1']);
  });
});

describe('LogSearch', () => {
  test('finds case-insensitive literal matches across a million lines, in slices', async () => {
    const store = new LogStore();
    const lines: LogLine[] = [];
    for (let i = 0; i < 1_000_000; i++) lines.push(line('api', i, i % 100_000 === 7 ? `Needle.* ${i}` : `line ${i} \x1b[32mok\x1b[0m`, i));
    store.load(lines);
    let progress = 0;
    const search = new LogSearch(store, () => progress++);
    search.setQuery('needle.*');
    assert.ok(!search.done, 'the first slice returns before the end');
    const t0 = Date.now();
    while (!search.done) await new Promise((r) => setTimeout(r, 5));
    assert.ok(Date.now() - t0 < 10_000);
    assert.equal(search.matches.length, 10);
    assert.equal(search.matches[0], 7);
    assert.ok(progress > 1, 'progress reported between slices');
    // New lines are scanned alone; a filter for text inside an escape sequence finds nothing.
    store.append([line('api', 2_000_000, 'another NEEDLE.*', 2_000_000)]);
    search.sync();
    while (!search.done) await new Promise((r) => setTimeout(r, 5));
    assert.equal(search.matches.length, 11);
    search.setQuery('[32m');
    while (!search.done) await new Promise((r) => setTimeout(r, 5));
    assert.equal(search.matches.length, 0);
    search.dispose();
  });

  test('matcher escapes regular-expression syntax', () => {
    assert.ok(matcher('a.b')!.test('xA.By'));
    assert.ok(!matcher('a.b')!.test('axb'));
    assert.equal(matcher(''), null);
  });
});

describe('routes', () => {
  test('the shell\'s #/logs/<stack>/<service> form, and merged services', () => {
    assert.deepEqual(parseRoute('#/logs/demo/api'), { view: 'logs', stack: 'demo', services: ['api'] });
    assert.deepEqual(parseRoute('#/logs/demo/api,worker'), { view: 'logs', stack: 'demo', services: ['api', 'worker'] });
    assert.deepEqual(parseRoute('#/logs/demo'), { view: 'logs', stack: 'demo' });
    assert.deepEqual(parseRoute(''), { view: 'status' });
    assert.deepEqual(parseRoute('#/logs/%E0%A4%A'), { view: 'logs', stack: '%E0%A4%A' });
    assert.equal(routeHash({ view: 'logs', stack: 'demo', services: ['api', 'worker'] }), '#/logs/demo/api,worker');
    assert.equal(routeHash({ view: 'status' }), '');
    assert.deepEqual(parseRoute('#/settings'), { view: 'settings' });
    assert.equal(routeHash({ view: 'settings' }), '#/settings');
  });
});
