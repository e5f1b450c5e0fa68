#!/usr/bin/env node
// A log flood on demand: when the trigger file (argv[2]) appears it is taken
// (renamed away) and its number of bytes is written as fast as possible, in
// 64 KiB writes of 1 KiB lines. Write errors (a full or read-only disk) end the
// flood, not the process.
import { writeSync, renameSync, readFileSync, unlinkSync } from 'node:fs';

const trigger = process.argv[2];
const line = `flood ${'x'.repeat(1017)}\n`;
const chunk = Buffer.from(line.repeat(64));
console.log(`flooder ${process.pid} ready`);
setInterval(() => {
  const taken = `${trigger}.${process.pid}`;
  try {
    renameSync(trigger, taken);
  } catch {
    return;
  }
  let left = Number(readFileSync(taken, 'utf8').trim()) || 0;
  unlinkSync(taken);
  try {
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      for (let off = 0; off < n; ) off += writeSync(1, chunk, off, n - off);
      left -= n;
    }
    console.log('flood done');
  } catch (e) {
    try {
      console.log(`flood ended: ${e.code ?? e.message}`);
    } catch {}
  }
}, 100);
