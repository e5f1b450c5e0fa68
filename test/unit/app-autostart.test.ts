import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  autostartPath,
  createAutostart,
  desktopEntry,
  desktopEntryEnabled,
  launchAtLoginAvailability,
  launchAtLoginRefusal,
  launchAtLoginForViews,
  launchCommand,
  quoteExecArg,
} from '../../electron/app/autostart.js';
import { tempHome } from '../helpers/env.js';

test('the XDG autostart entry: a valid desktop file that starts the app hidden', () => {
  const text = desktopEntry({ name: 'Corral', comment: 'Keeps your local development stack running', exec: ['/opt/Corral/corral-app', '--hidden'] });
  assert.equal(
    text,
    [
      '[Desktop Entry]',
      'Type=Application',
      'Version=1.0',
      'Name=Corral',
      'Comment=Keeps your local development stack running',
      'Exec=/opt/Corral/corral-app --hidden',
      'Terminal=false',
      'X-GNOME-Autostart-enabled=true',
      '',
    ].join('\n'),
  );
});

test('Exec arguments are quoted and escaped per the Desktop Entry spec', () => {
  assert.equal(quoteExecArg('/home/me/Apps/Corral.AppImage'), '/home/me/Apps/Corral.AppImage');
  assert.equal(quoteExecArg('/home/me/My Apps/Corral.AppImage'), '"/home/me/My Apps/Corral.AppImage"');
  // " ` $ \ are backslash-escaped inside quotes, then every backslash doubled for the string level.
  assert.equal(quoteExecArg('/tmp/$HOME/a'), '"/tmp/\\\\$HOME/a"');
  assert.equal(quoteExecArg('/tmp/a"b'), '"/tmp/a\\\\"b"');
  assert.equal(quoteExecArg('C:\\x'), '"C:\\\\\\\\x"', 'a literal backslash becomes four');
  assert.equal(quoteExecArg('/tmp/100%'), '/tmp/100%%', 'percent signs are not field codes');
  assert.equal(quoteExecArg(''), '""');
  assert.throws(() => quoteExecArg('/tmp/a\nb'), /control character/);
});

test('the entry is written under $XDG_CONFIG_HOME/autostart, or ~/.config/autostart', () => {
  assert.equal(autostartPath({ XDG_CONFIG_HOME: '/cfg' }, '/home/me'), '/cfg/autostart/dev.corral.app.desktop');
  assert.equal(autostartPath({}, '/home/me'), '/home/me/.config/autostart/dev.corral.app.desktop');
  assert.equal(autostartPath({ XDG_CONFIG_HOME: 'relative/cfg' }, '/home/me'), '/home/me/.config/autostart/dev.corral.app.desktop', 'relative paths are invalid per the spec');
});

test('an AppImage registers its own file, not the temporary mount it runs from', () => {
  assert.deepEqual(launchCommand('/tmp/.mount_CorralX1/corral-app', { APPIMAGE: '/home/me/Apps/Corral.AppImage' }), ['/home/me/Apps/Corral.AppImage', '--hidden']);
  assert.deepEqual(launchCommand('/opt/Corral/corral-app', {}), ['/opt/Corral/corral-app', '--hidden']);
});

test('an entry disabled by the desktop counts as off', () => {
  assert.equal(desktopEntryEnabled('[Desktop Entry]\nExec=x\n'), true);
  assert.equal(desktopEntryEnabled('[Desktop Entry]\nExec=x\nHidden=true\n'), false);
  assert.equal(desktopEntryEnabled('[Desktop Entry]\nX-GNOME-Autostart-enabled=false\n'), false);
});

test('unpackaged builds cannot launch at login, and say why', () => {
  assert.deepEqual(launchAtLoginAvailability('darwin', false), { available: false, reason: 'packaged app only' });
  assert.deepEqual(launchAtLoginAvailability('linux', true), { available: true });
  assert.deepEqual(launchAtLoginAvailability('freebsd', true), { available: false, reason: 'not supported on freebsd' });
  assert.match(launchAtLoginRefusal({ available: false, reason: 'packaged app only' })!, /only available in the packaged app: this is a development build/);
  assert.equal(launchAtLoginRefusal({ available: true }), null);
  // What the views are told carries the whole sentence.
  assert.deepEqual(launchAtLoginForViews({ available: true }), { available: true });
  const told = launchAtLoginForViews({ available: false, reason: 'not supported on freebsd' });
  assert.deepEqual(told, { available: false, reason: 'Launch at login is not supported on freebsd.' });
});

const noLoginItems = {
  setLoginItemSettings: () => assert.fail('Linux does not use login items'),
  getLoginItemSettings: () => assert.fail('Linux does not use login items'),
} as never;

test('Linux: enabling writes the entry (0644, atomically), disabling removes it', (t) => {
  const { home, cleanup } = tempHome('autostart');
  t.after(cleanup);
  const env = { XDG_CONFIG_HOME: join(home, 'cfg'), APPIMAGE: '/home/me/My Apps/Corral.AppImage' };
  const a = createAutostart({ platform: 'linux', isPackaged: true, execPath: '/tmp/.mount_x/corral-app', env, home, app: noLoginItems });
  const file = join(home, 'cfg', 'autostart', 'dev.corral.app.desktop');
  assert.equal(a.isEnabled(), false);
  a.setEnabled(true);
  assert.equal(a.isEnabled(), true);
  assert.match(readFileSync(file, 'utf8'), /^Exec="\/home\/me\/My Apps\/Corral.AppImage" --hidden$/m);
  assert.equal(statSync(file).mode & 0o777, 0o644);
  writeFileSync(file, readFileSync(file, 'utf8').replace('X-GNOME-Autostart-enabled=true', 'X-GNOME-Autostart-enabled=false'));
  assert.equal(a.isEnabled(), false, 'turned off in the desktop settings');
  a.setEnabled(false);
  assert.equal(existsSync(file), false);
  a.setEnabled(false);
});

test('Linux, unpackaged: enabling is refused with the reason and writes nothing', (t) => {
  const { home, cleanup } = tempHome('autostart');
  t.after(cleanup);
  const a = createAutostart({ platform: 'linux', isPackaged: false, execPath: '/x/node_modules/electron/dist/electron', env: { XDG_CONFIG_HOME: home }, home, app: noLoginItems });
  assert.throws(() => a.setEnabled(true), (err: Error & { code?: string }) => err.code === 'conflict' && /packaged app/.test(err.message));
  assert.equal(existsSync(join(home, 'autostart')), false);
});

test('macOS and Windows use login items, with the hidden argument', () => {
  const calls: unknown[] = [];
  let open = false;
  const app = {
    setLoginItemSettings: (s: { openAtLogin: boolean }) => {
      calls.push(s);
      open = s.openAtLogin;
    },
    getLoginItemSettings: (o: unknown) => {
      calls.push(['get', o]);
      return { openAtLogin: open };
    },
  } as never;
  const a = createAutostart({ platform: 'darwin', isPackaged: true, execPath: '/Applications/Corral.app/Contents/MacOS/Corral', env: {}, home: '/Users/me', app });
  a.setEnabled(true);
  assert.equal(a.isEnabled(), true);
  a.setEnabled(false);
  // Set, read back (macOS never throws from set), read by isEnabled, unset.
  const get = ['get', { args: ['--hidden'] }];
  assert.deepEqual(calls, [{ openAtLogin: true, args: ['--hidden'] }, get, get, { openAtLogin: false, args: ['--hidden'] }]);
  const dev = createAutostart({ platform: 'darwin', isPackaged: false, execPath: '/x', env: {}, home: '/Users/me', app });
  assert.throws(() => dev.setEnabled(true), /packaged app/);
  assert.equal(dev.isEnabled(), false);
});

test('macOS 13+: a login item that needs approval (or was not found) is refused with what to do, and reads as off', async () => {
  // The fake follows Electron 45: setLoginItemSettings never throws, getLoginItemSettings has a status.
  const { app } = await import('./app-fake-electron.js');
  const a = createAutostart({ platform: 'darwin', isPackaged: true, execPath: '/Applications/Corral.app/Contents/MacOS/Corral', env: {}, home: '/Users/me', app: app as never });
  app.loginItemStatusWhenEnabled = 'requires-approval';
  assert.throws(() => a.setEnabled(true), (e: Error & { code?: string }) => e.code === 'conflict' && /System Settings › General › Login Items/.test(e.message));
  assert.equal(a.isEnabled(), false);
  app.loginItemStatusWhenEnabled = 'not-found';
  assert.throws(() => a.setEnabled(true), /move Corral\.app to \/Applications/);
  app.loginItemStatusWhenEnabled = 'enabled';
  a.setEnabled(true);
  assert.equal(a.isEnabled(), true);
  a.setEnabled(false);
  assert.equal(a.isEnabled(), false);
});
