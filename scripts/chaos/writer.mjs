#!/usr/bin/env node
// The chaos run's log witness: numbered lines `w <instance> <n> …`, one write
// each, ~100 a second, forever. A fresh instance id per process, so the check
// can tell "never written (killed)" from "lost by Corral".
import { writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

const id = randomBytes(6).toString('hex');
let n = 0;
const pad = '.'.repeat(40);
setInterval(() => {
  for (let i = 0; i < 2; i++) {
    const line = `w ${id} ${++n} ${pad}\n`;
    for (let off = 0; off < line.length; ) off += writeSync(1, line.slice(off));
  }
}, 20);
