#!/usr/bin/env node
// Runs Electronegativity (Doyensec's Electron security linter) on the Electron
// shell, electron/app, and fails on any finding that is not justified in
// place: a finding is accepted only when its line carries
//   // eng-disable CHECK_ID [CHECK_ID…] -- why this is safe
// and every eng-disable comment must give that reason.
//
// Offline and deterministic by default. The tool fetches translations and
// Electron's release list with `got`; here `got` fails at once instead, and
// AVAILABLE_SECURITY_FIXES_GLOBAL_CHECK (which needs that list, and would fail
// the build the day Electron ships a patch) runs only with --online (CI).
//
//   node scripts/electronegativity.mjs [--online]
import { createRequire } from 'node:module';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));
const input = join(root, 'electron', 'app');
const online = process.argv.includes('--online');

const excluded = {
  // The CSP is a response header of the corral-app:// protocol (protocol.ts),
  // which the tool cannot see (it looks for webRequest handlers and <meta>
  // tags). The same evaluator the check uses is run on it below instead.
  CSPGlobalCheck: 'CSP evaluated below from protocol.ts',
  ...(online ? {} : { AvailableSecurityFixesGlobalCheck: 'needs the network; run with --online' }),
};

if (!online) {
  const toolDir = dirname(require.resolve('@doyensec/electronegativity'));
  const gotPath = require.resolve('got', { paths: [toolDir] });
  const offline = () => Promise.reject(new Error('electronegativity.mjs runs offline (use --online)'));
  offline.head = offline;
  offline.default = offline;
  require.cache[gotPath] = { id: gotPath, filename: gotPath, loaded: true, exports: Object.assign(offline, { __esModule: true }) };
}

const electronVersion = JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version;
const runModule = require('@doyensec/electronegativity');
const run = runModule.default ?? runModule;

// The tool prints progress notes through console.log; keep them out of the report.
const log = console.log;
console.log = () => {};
let result;
try {
  result = await run({ input, isRelative: true, electronVersionOverride: electronVersion, excludeFromScan: Object.keys(excluded) });
} finally {
  console.log = log;
}

const problems = [];
for (const e of result.errors) problems.push(`could not parse ${relative(root, e.file)}: ${e.message}`);
for (const i of result.issues) {
  const where = i.file === 'N/A' ? '(whole app)' : `electron/app/${i.file}:${i.location.line}`;
  problems.push(`${i.id} at ${where}${i.manualReview ? ' (review required)' : ''}: ${i.description}\n    ${i.sample ?? ''}\n    ${i.shortenedURL ?? ''}`);
}

// Every eng-disable must say why.
function files(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|tsx|js|html)$/.test(n) ? [p] : [];
  });
}
for (const file of files(input)) {
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, n) => {
      const m = /eng-disable\b(.*)$/.exec(line);
      if (!m) return;
      const reason = /\s--\s+(.{10,})/.exec(m[1]);
      if (!reason) problems.push(`${relative(root, file)}:${n + 1}: eng-disable without a reason; write \`eng-disable CHECK_ID -- why this is safe\``);
    });
}

// The CSP, evaluated with the evaluator behind CSP_GLOBAL_CHECK.
const bundled = await build({ entryPoints: [join(input, 'protocol.ts')], bundle: true, write: false, format: 'esm', platform: 'node', packages: 'external', logLevel: 'silent' });
const { CONTENT_SECURITY_POLICY } = await import(`data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].text).toString('base64')}`);
const csp = require('@doyensec/csp-evaluator');
const findings = new csp.CspEvaluator(new csp.CspParser(CONTENT_SECURITY_POLICY).csp, csp.Version.CSP3).evaluate();
const notes = [];
for (const f of findings) {
  const text = `CSP ${f.directive}${f.value ? ` ${f.value}` : ''}: ${f.description}`;
  if (f.severity <= csp.severities.MEDIUM) problems.push(text);
  else notes.push(text);
}

const checks = `${result.globalChecks} global and ${result.atomicChecks} atomic checks, Electron ${electronVersion}`;
console.log(`Electronegativity on electron/app: ${checks}; not run here: ${Object.entries(excluded).map(([k, v]) => `${k} (${v})`).join(', ')}.`);
// 'self' is the app's own static files only: no JSONP, no uploads, no Angular.
for (const n of notes) console.log(`  note: ${n}`);
if (problems.length > 0) {
  console.error(`\n${problems.length} unjustified finding(s):\n\n${problems.map((p) => `- ${p}`).join('\n\n')}\n`);
  console.error('Fix them, or justify each on its line: // eng-disable CHECK_ID -- why this is safe');
  process.exit(1);
}
console.log('No unjustified findings.');
