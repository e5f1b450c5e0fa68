#!/usr/bin/env node
// `npm start`: the Corral app where it can run (an Electron binary and a
// display), otherwise the headless owner with the demo stack and its web UI,
// in the foreground, with what to do next. Run after `npm run build:all`.
import { existsSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// A closed pipe (`npm start | head`) must not take the owner down mid-write.
process.stdout.on('error', () => {});
const root = fileURLToPath(new URL('..', import.meta.url));
const dist = (...p) => join(root, 'dist', ...p);

/** The Electron binary if it was downloaded; never triggers a download (requiring 'electron' may). */
function electronBinary() {
  try {
    const pkg = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
    const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
    const rel = readFileSync(join(pkg, 'path.txt'), 'utf8').trim();
    const bin = override ? join(override, rel) : join(pkg, 'dist', rel);
    return existsSync(bin) ? bin : null;
  } catch {
    return null; // not installed, or its binary was not downloaded (electron downloads it on first run, or with node node_modules/electron/install.js)
  }
}

const hasDisplay = process.platform === 'darwin' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const electron = electronBinary();
const appMain = dist('electron', 'app', 'main.js');

if (!process.env.CORRAL_HEADLESS && electron && hasDisplay && existsSync(appMain)) {
  const child = spawn(electron, [root], { stdio: 'inherit' });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
} else {
  const why = process.env.CORRAL_HEADLESS
    ? 'CORRAL_HEADLESS is set'
    : !electron
      ? 'no Electron binary: node node_modules/electron/install.js downloads it'
      : !hasDisplay
        ? 'no display (DISPLAY / WAYLAND_DISPLAY unset)'
        : `the app is not built (${appMain})`;
  await headless(why);
}

async function headless(why) {
  if (!existsSync(dist('electron', 'host', 'daemon.js'))) {
    console.error('corral: not built yet; run `npm run build` first.');
    process.exit(4);
  }
  const { startDaemon, rotationFromEnv } = await import(dist('electron', 'host', 'daemon.js'));
  const { OwnerBusyError } = await import(dist('electron', 'engine', 'state', 'owner-lock.js'));
  const { loadStackFile } = await import(dist('electron', 'engine', 'stack-file.js'));
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  const dim = (s) => (process.stdout.isTTY && !process.env.NO_COLOR ? `\x1b[2m${s}\x1b[0m` : s);
  console.log(`Corral ${version}: starting headless (${why}).`);

  let d;
  try {
    // An owner already running (a detached daemon) hands over to this one, which also serves the web UI.
    d = await startDaemon({ takeOver: true, rotation: rotationFromEnv(), version, onLog: (line) => console.log(dim(line)) });
  } catch (e) {
    if (e instanceof OwnerBusyError) console.error(`corral: ${e.message} It did not hand over; quit it and run npm start again.`);
    else console.error(`corral: cannot start the owner: ${e.message}`);
    process.exit(4);
  }

  const demo = join(root, 'stacks', 'demo', 'corral.yaml');
  try {
    const spec = await loadStackFile(demo, { env: { ...process.env, CORRAL_NODE: process.execPath } });
    await d.owner.addStack(spec);
    console.log(`Starting the demo stack (${demo})…`);
    const r = await d.owner.start(spec.name);
    for (const o of r.outcomes) console.log(`  ${o.ok ? '✓' : '✗'} ${o.service.padEnd(16)} ${o.message}`);
  } catch (e) {
    console.error(`corral: the demo stack did not start: ${e.message}`);
  }

  let web = null;
  try {
    // The same web UI `corral ui` asks for; its address carries a one-time sign-in code.
    web = await d.webUi();
  } catch (e) {
    console.log(dim(`(no web UI: ${e.message.split('\n')[0]})`));
  }

  const corral = `node ${join('bin', 'corral.js')}`;
  console.log(`
Corral owns ${d.owner.dir.home} (daemon pid ${process.pid}, control socket ${d.socketPath}).
${web ? `  Web UI:           ${web.url}\n` : ''}  Status:           ${corral} status
  Follow the logs:  ${corral} logs -f
  Crash a service:  curl http://127.0.0.1:17280/crash   (then: ${corral} status)
  Stop the demo:    ${corral} down
  Every verb:       ${corral} --help   (\`npm link\` installs \`corral\` on your PATH)
Ctrl-C ends this owner; the services keep running, and the next corral command adopts them.`);

  const stop = async () => {
    await web?.close().catch(() => {});
    const end = await d.stop();
    console.log(`owner closed (${end.reason}); services left running: \`${corral} down\` stops them.`);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  const end = await d.done;
  await web?.close().catch(() => {});
  console.log(`owner closed (${end.reason}${end.reason === 'handover' ? ': another owner took over the services' : ''}).`);
  process.exit(0);
}
