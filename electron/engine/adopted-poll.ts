// Adopted processes (a previous owner's, or a service that forked into the
// background) are not our children: no exit event says when they end, so they
// are polled. One poll for all of them at each interval, not one per process:
// they share the owner's wake, and on macOS, where proving a process's identity
// (its start time) costs a `ps`, one ps proves all of them at once, every tenth
// poll; the polls between only ask whether each pid still exists (signal 0).
import { every } from './scheduler.js';
import { isAlive, pidExists, platform, type ProcessIdentity } from './process/platform/index.js';

/** On macOS, an adopted process's identity is proven every this many polls. */
export const PROOF_EVERY = 10;

interface Member {
  id: ProcessIdentity;
  gone: () => void;
}

interface Group {
  members: Set<Member>;
  polls: number;
  stop: () => void;
}

const groups = new Map<number, Group>();

/**
 * Resolves when the process with this identity has ended (seen within one `intervalMs`
 * poll when its pid is gone; a pid given to a new process is caught at the next proof),
 * or when `signal` aborts.
 */
export function whenAdoptedEnds(id: ProcessIdentity, intervalMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    let group = groups.get(intervalMs);
    if (!group) {
      const g: Group = { members: new Set(), polls: 0, stop: () => {} };
      // A quarter of the interval of slack (at most 250 ms), to share a wake with other jobs.
      g.stop = every(intervalMs, () => poll(g), { slackMs: Math.min(intervalMs / 4, 250) });
      groups.set(intervalMs, g);
      group = g;
    }
    const g = group;
    const member: Member = {
      id,
      gone: () => {
        leave();
        resolve();
      },
    };
    const leave = () => {
      signal.removeEventListener('abort', onAbort);
      g.members.delete(member);
      if (g.members.size === 0 && groups.get(intervalMs) === g) {
        g.stop();
        groups.delete(intervalMs);
      }
    };
    const onAbort = () => member.gone();
    signal.addEventListener('abort', onAbort, { once: true });
    g.members.add(member);
  });
}

async function poll(g: Group): Promise<void> {
  const p = await platform();
  const proof = p.cheapIdentity || ++g.polls % PROOF_EVERY === 0;
  await Promise.all(
    [...g.members].map(async (m) => {
      if (!proof) {
        if (!pidExists(m.id.pid)) m.gone();
        return;
      }
      // Out of descriptors, /proc or ps cannot be read: that says nothing about the process; ask again next poll.
      if (!(await isAlive(m.id).catch(() => true))) m.gone();
    }),
  );
}
