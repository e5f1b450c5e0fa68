// Loaded with `node --import` in darwin mode: process.kill(-pgid) behaves as
// xnu's killpg1, which returns EPERM when it signalled nobody because every
// remaining member of the group is a zombie (Linux signals the zombies and
// succeeds). Everything else goes to the real kill.
import { allPids, proc } from './proc.mjs';

const realKill = process.kill.bind(process);
process.kill = function kill(pid, signal) {
  if (typeof pid === 'number' && pid < -1) {
    const members = allPids().map(proc).filter((p) => p && p.pgid === -pid);
    if (members.length > 0 && members.every((p) => p.state === 'Z')) {
      throw Object.assign(new Error('kill EPERM'), { code: 'EPERM', errno: -1, syscall: 'kill' });
    }
  }
  return realKill(pid, signal);
};
