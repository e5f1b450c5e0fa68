// A `corral up` that has just started the daemon hands it the stack file as it
// parsed it (the `spec` of the `up` call), so the daemon starts the stack
// without loading a parser of its own. The owner takes that parse only with the
// one-time secret it was started with, once, and only for the file the call
// names; otherwise it reads the file itself, as for any `up`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon } from '../../electron/host/daemon.js';
import { ControlClient } from '../../electron/host/control/client.js';
import { loadStackFile } from '../../electron/engine/stack-file.js';
import { HANDOVER_VAR } from '../../electron/engine/state/paths.js';
import { tempHome } from '../helpers/env.js';

const task = (name: string) => `version: 1
name: handover
services:
  ${name}:
    command: ["true"]
    oneshot: true
`;

test('up with the caller\'s parse: the owner registers that parse for the file it names, and reads any other file itself', async () => {
  const tmp = tempHome('up-spec');
  process.env[HANDOVER_VAR] = 'secret-of-the-starting-cli';
  const daemon = await startDaemon({ home: join(tmp.home, 'home') });
  assert.equal(process.env[HANDOVER_VAR], undefined, 'out of the environment before any service inherits it');
  const client = await ControlClient.connect(daemon.socketPath);
  try {
    const file = join(tmp.home, 'corral.yaml');
    writeFileSync(file, task('parsed-by-caller'));
    const spec = await loadStackFile(file, { env: process.env });
    // The file changes after the caller read it: the owner starts what the caller parsed.
    writeFileSync(file, task('on-disk'));
    const services = async () => (await client.call('snapshot', {})).stacks.find((s) => s.name === 'handover')!.services.map((s) => s.name);

    // Without the secret (any other client), a parse is not taken: the owner reads the file.
    const stranger = await client.call('up', { file, spec, handover: 'guessed' });
    assert.deepEqual(stranger.outcomes.map((o) => [o.service, o.ok]), [['on-disk', true]]);
    writeFileSync(file, task('on-disk-2'));

    // A parse of another file is not this file's, even with the secret: the owner reads it (the secret stays unused).
    const other = await client.call('up', { file, spec: { ...spec, file: join(tmp.home, 'other.yaml') }, handover: 'secret-of-the-starting-cli' });
    assert.deepEqual(other.outcomes.map((o) => [o.service, o.ok]), [['on-disk-2', true]]);

    const first = await client.call('up', { file, spec, handover: 'secret-of-the-starting-cli' });
    assert.deepEqual(first.outcomes.map((o) => [o.service, o.ok]), [['parsed-by-caller', true]]);
    assert.deepEqual(await services(), ['parsed-by-caller']);

    // The secret works once: the next call's parse is not taken.
    const again = await client.call('up', { file, spec, handover: 'secret-of-the-starting-cli' });
    assert.deepEqual(again.outcomes.map((o) => [o.service, o.ok]), [['on-disk-2', true]]);
    assert.deepEqual(await services(), ['on-disk-2']);
  } finally {
    delete process.env[HANDOVER_VAR];
    client.close();
    await daemon.stop({ stopServices: true });
    tmp.cleanup();
  }
});
