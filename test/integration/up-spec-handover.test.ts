// A `corral up` that has just started the daemon hands it the stack file as it
// parsed it (the `spec` of the `up` call), so the daemon starts the stack
// without loading a parser of its own. The owner takes that parse only for the
// file the call names; otherwise it reads the file itself, as for any `up`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon } from '../../electron/host/daemon.js';
import { ControlClient } from '../../electron/host/control/client.js';
import { loadStackFile } from '../../electron/engine/stack-file.js';
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
  const daemon = await startDaemon({ home: join(tmp.home, 'home') });
  const client = await ControlClient.connect(daemon.socketPath);
  try {
    const file = join(tmp.home, 'corral.yaml');
    writeFileSync(file, task('parsed-by-caller'));
    const spec = await loadStackFile(file, { env: process.env });
    // The file changes after the caller read it: the owner starts what the caller parsed.
    writeFileSync(file, task('on-disk'));
    const services = async () => (await client.call('snapshot', {})).stacks.find((s) => s.name === 'handover')!.services.map((s) => s.name);

    const first = await client.call('up', { file, spec });
    assert.deepEqual(first.outcomes.map((o) => [o.service, o.ok]), [['parsed-by-caller', true]]);
    assert.deepEqual(await services(), ['parsed-by-caller']);

    // A parse of another file is not this file's: the owner reads it.
    const second = await client.call('up', { file, spec: { ...spec, file: join(tmp.home, 'other.yaml') } });
    assert.deepEqual(second.outcomes.map((o) => [o.service, o.ok]), [['on-disk', true]]);
    assert.deepEqual(await services(), ['on-disk']);
  } finally {
    client.close();
    await daemon.stop({ stopServices: true });
    tmp.cleanup();
  }
});
