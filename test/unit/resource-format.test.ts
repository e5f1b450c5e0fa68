// CPU and memory as every view prints them, the tray tooltip's resource line,
// and the app's reasons to watch (each held once, all released at quit).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCpu, formatMemory, formatResources, sumResources } from '../../shared/resource-format.js';
import { resourceLine, trayTooltip } from '../../electron/app/tray-icon.js';
import { ResourceWatches } from '../../electron/app/resource-watch.js';
import type { ResourceUse } from '../../shared/state.js';
import { service, snapshot } from './app-fixtures.js';

const MB = 1024 * 1024;
const use = (cpuPercent: number, memoryBytes: number, processes = 1): ResourceUse => ({ cpuPercent, memoryBytes, processes, at: 1 });

test('CPU in percent of one core, memory in binary units', () => {
  assert.deepEqual([0, 0.04, 3.14, 9.94, 9.96, 87.4, 203].map(formatCpu), ['0.0%', '0.0%', '3.1%', '9.9%', '10%', '87%', '203%']);
  assert.deepEqual([0, 820 * 1024, 41 * MB, 999 * MB, 1000 * MB, 1.25 * 1024 * MB, 3 * 1024 * 1024 * MB].map(formatMemory), ['0 KB', '820 KB', '41 MB', '999 MB', '1.0 GB', '1.3 GB', '3.0 TB']);
  assert.equal(formatResources(use(3.1, 41 * MB, 3)), '3.1% 41 MB');
  assert.equal(formatResources(use(3.1, 41 * MB, 3), { processes: true }), '3.1% 41 MB, 3 processes');
  assert.deepEqual(sumResources([use(1.25, MB, 2), use(2.5, 2 * MB)]), { cpuPercent: 3.8, memoryBytes: 3 * MB, processes: 3, at: 1 });
  assert.equal(sumResources([]), null);
});

test('the tooltip carries figures only when the snapshot has them, per service when short, else their sum', () => {
  const plain = snapshot({ s: [service('api', 'running'), service('db', 'running')] });
  assert.equal(trayTooltip(plain), 'Corral: s: all 2 running', 'no figures: no resource line, nothing stale');
  const watched = snapshot({ s: [service('api', 'running', { resources: use(3.1, 41 * MB) }), service('db', 'running', { resources: use(0.4, 120 * MB) })] });
  assert.equal(trayTooltip(watched), 'Corral: s: all 2 running\napi 3.1% 41 MB · db 0.4% 120 MB');
  const many = snapshot({ s: Array.from({ length: 8 }, (_, i) => service(`service-${i}`, 'running', { resources: use(10, 100 * MB) })) });
  const line = trayTooltip(many).split('\n')[1]!;
  assert.equal(line, '8 services: 80% 800 MB');
  const two = snapshot({ a: [service('x', 'running', { resources: use(1, MB) })], b: [service('x', 'running')] });
  assert.equal(resourceLine(two.stacks.flatMap((s) => s.services), true), 'a/x 1.0% 1.0 MB', 'the stack named when there are several');
  // Within Windows' 127 characters with one stack and no attention lines.
  assert.ok(trayTooltip(many).length <= 127);
});

test('each reason to watch holds one watch; off releases it; dispose releases all', () => {
  let watching = 0;
  const released: number[] = [];
  let n = 0;
  const w = new ResourceWatches(() => {
    watching++;
    const id = ++n;
    return () => {
      watching--;
      released.push(id);
    };
  });
  w.set('window', true);
  w.set('window', true);
  assert.equal(watching, 1, 'a second "visible" does not watch twice');
  w.set('tray-menu', true);
  w.set('tray-hover', false);
  assert.deepEqual(w.reasons, ['window', 'tray-menu']);
  w.set('window', false);
  w.set('window', false);
  assert.deepEqual(released, [1]);
  w.dispose();
  assert.equal(watching, 0);
  assert.deepEqual(w.reasons, []);
});
