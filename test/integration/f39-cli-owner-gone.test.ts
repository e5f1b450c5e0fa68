// The owner killed while a command waits on it (found by the chaos run: `up`
// printed "unexpected error: ControlError: The owner closed the connection."
// with a stack trace, exit 1). The command says what happened and what to do,
// exit 4, and the next `up` adopts the running service.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, svcYaml, type StackJson } from './cli-harness.js';
import { freePort, isLive, markedPids, waitFor } from '../helpers/env.js';

test('F39 owner SIGKILLed while `up` waits for health: a clear message and exit 4, not an unexpected error', async () => {
  const h = harness('owner-gone');
  try {
    const dir = h.project();
    const port = await freePort();
    h.writeStack(dir, `version: 1\nname: gone\nservices:\n${svcYaml('slow', ['--port', String(port), '--start-delay', '4000'], `    ports: [${port}]\n    health: { tcp: { port: ${port} }, interval: 100ms }\n`)}`);
    const up = h.run(['up'], { cwd: dir });
    // The service runs (its marked process exists) and is not healthy yet: `up` is waiting on the owner.
    await waitFor(() => markedPids(h.dir.markerPrefix('gone', 'slow')).length > 0, 30_000, 'the service started');
    const owner = h.ownerPid();
    assert.ok(owner);
    process.kill(owner, 'SIGKILL');
    await waitFor(() => !isLive(owner), 5000, 'owner gone');
    const r = await up;
    assert.doesNotMatch(r.stderr, /unexpected error|\n\s+at /, r.stderr);
    assert.match(r.stderr, /went away before answering.*Run the command again/s, r.stderr);
    assert.equal(r.code, 4, r.stderr);
    // As it says: `up` again starts an owner that adopts the service.
    const again = await h.run(['up'], { cwd: dir });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    const [stack] = await h.json<StackJson[]>(['status', '-s', 'gone']);
    assert.equal(stack?.services[0]?.state, 'running');
    assert.equal((await h.run(['down', '-s', 'gone'])).code, 0);
  } finally {
    await h.cleanup();
  }
});
