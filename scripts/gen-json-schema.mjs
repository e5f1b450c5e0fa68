#!/usr/bin/env node
// Writes shared/corral.schema.json, the JSON Schema editors use to check and
// complete corral.yaml, from the zod schema in shared/stack-schema.ts, so the
// two never disagree. Reads the compiled module: run `npm run build` first.
// `--check` writes nothing and exits 1 when the committed file is stale (CI).
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = join(root, 'dist', 'shared', 'stack-schema.js');
const target = join(root, 'shared', 'corral.schema.json');

if (!existsSync(compiled)) {
  console.error(`${compiled} not found: run \`npm run build\` first.`);
  process.exit(1);
}
const { stackJsonSchema } = await import(pathToFileURL(compiled).href);
const text = `${JSON.stringify(stackJsonSchema(), null, 2)}\n`;

if (process.argv.includes('--check')) {
  const current = existsSync(target) ? readFileSync(target, 'utf8') : '';
  if (current !== text) {
    console.error('shared/corral.schema.json is out of date: run `node scripts/gen-json-schema.mjs` and commit the result.');
    process.exit(1);
  }
  console.log('shared/corral.schema.json is up to date.');
} else {
  writeFileSync(target, text);
  console.log(`Wrote ${target}`);
}
