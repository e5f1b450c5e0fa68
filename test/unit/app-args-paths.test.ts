import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAppArgs } from '../../electron/app/args.js';
import { appPaths, findAppRoot } from '../../electron/app/paths.js';

test('app arguments: --hidden and --stack, everything else ignored', () => {
  const argv = ['/Applications/Corral.app/Contents/MacOS/Corral', '-psn_0_12345', '--hidden', '--stack', 'corral.yaml', '--stack=/abs/other.yaml', '--inspect=0', '--stack'];
  assert.deepEqual(parseAppArgs(argv, '/home/me/proj'), { hidden: true, stacks: ['/home/me/proj/corral.yaml', '/abs/other.yaml'] });
  assert.deepEqual(parseAppArgs(['electron', '.'], '/x'), { hidden: false, stacks: [] });
});

test('the app root is found from the bundle, the tsc output or an asar alike', () => {
  const files = new Set(['/repo/package.json', '/Applications/Corral.app/Contents/Resources/app.asar/package.json']);
  const exists = (p: string) => files.has(p);
  assert.equal(findAppRoot('/repo/dist-electron', exists), '/repo');
  assert.equal(findAppRoot('/repo/dist/electron/app', exists), '/repo');
  assert.equal(findAppRoot('/Applications/Corral.app/Contents/Resources/app.asar/dist-electron', exists), '/Applications/Corral.app/Contents/Resources/app.asar');
  assert.throws(() => findAppRoot('/nowhere/at/all', exists), /No package.json above \/nowhere\/at\/all/);
});

test('tray icons come from build/ in development and from resources/ when packaged', () => {
  assert.deepEqual(appPaths('/repo', { isPackaged: false, resourcesPath: '/ignored' }), {
    root: '/repo',
    preload: '/repo/dist-electron/preload.cjs',
    renderer: '/repo/renderer/dist',
    trayIcons: '/repo/build/tray',
  });
  assert.equal(appPaths('/R/app.asar', { isPackaged: true, resourcesPath: '/R' }).trayIcons, '/R/tray');
});
