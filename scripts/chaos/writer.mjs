#!/usr/bin/env node
// The chaos run's log witness: numbered lines `w <instance> <n> …`, one write
// each, ~100 a second, forever. A fresh instance id per process, so the check
// can tell "never written (killed)" from "lost by Corral". Once its first line
// is written, the instance id is appended to the witness file (argv[2], not a
// log): an instance whose lines all vanished is then seen missing.
import { writeSync, appendFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

const id = randomBytes(6).toString('hex');
let n = 0;
const pad = '.'.repeat(40);
setInterval(() => {
  for (let i = 0; i < 2; i++) {
    const line = `w ${id} ${++n} ${pad}\n`;
    for (let off = 0; off < line.length; ) off += writeSync(1, line.slice(off));
    if (n === 1 && process.argv[2]) appendFileSync(process.argv[2], `${id}\n`);
  }
}, 20);
