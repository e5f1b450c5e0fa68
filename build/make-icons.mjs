#!/usr/bin/env node
// Draws Corral's icons as PNGs with nothing but node:zlib, so they can be
// regenerated anywhere and reviewed as code:
//   tray/tray-<state>.png (+@2x)          coloured, for Linux and Windows
//   tray/tray-<state>Template.png (+@2x)  black + alpha, macOS template images
//   icon.png                              1024 px app icon (electron-builder)
// The motif is a corral seen from above: a ring (the fence) and, inside it,
// a glyph for the aggregate state: a dot (running), half a dot (starting), an
// exclamation mark (degraded), a cross (failed), nothing (stopped). Template
// images cannot use colour, so the glyph alone must tell the states apart.
//
//   node build/make-icons.mjs          write the files
//   node build/make-icons.mjs --check  fail if the committed files differ in pixels
import { deflateSync, inflateSync } from 'node:zlib';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const STATES = ['running', 'starting', 'degraded', 'failed', 'stopped'];

export const COLOURS = {
  running: [46, 160, 67],
  starting: [31, 111, 235],
  degraded: [210, 153, 34],
  failed: [218, 54, 51],
  stopped: [139, 148, 158],
};

// ---- geometry: signed distances in unit coordinates (0..1), negative inside ----

const circle = (cx, cy, r) => (x, y) => Math.hypot(x - cx, y - cy) - r;
const ring = (cx, cy, r, w) => (x, y) => Math.abs(Math.hypot(x - cx, y - cy) - r) - w / 2;
/** A segment from (ax,ay) to (bx,by) with round ends, `w` wide. */
const bar = (ax, ay, bx, by, w) => (x, y) => {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(x - (ax + t * dx), y - (ay + t * dy)) - w / 2;
};
const union = (...shapes) => (x, y) => Math.min(...shapes.map((s) => s(x, y)));
const intersect = (a, b) => (x, y) => Math.max(a(x, y), b(x, y));
const halfPlaneRight = (cx) => (x) => cx - x;
const roundedSquare = (inset, radius) => (x, y) => {
  const qx = Math.abs(x - 0.5) - (0.5 - inset - radius);
  const qy = Math.abs(y - 0.5) - (0.5 - inset - radius);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - radius;
};

const FENCE = ring(0.5, 0.5, 0.39, 0.13);

export function glyph(state) {
  switch (state) {
    case 'running':
      return circle(0.5, 0.5, 0.19);
    case 'starting':
      return intersect(circle(0.5, 0.5, 0.19), halfPlaneRight(0.5));
    case 'degraded':
      return union(bar(0.5, 0.33, 0.5, 0.55, 0.12), circle(0.5, 0.68, 0.065));
    case 'failed':
      return union(bar(0.385, 0.385, 0.615, 0.615, 0.12), bar(0.615, 0.385, 0.385, 0.615, 0.12));
    case 'stopped':
      return () => 1;
    default:
      throw new Error(`unknown state ${state}`);
  }
}

/** Coverage of a pixel by a shape: 4×4 supersampling near edges only. */
function coverage(shape, px, py, size) {
  // Distances are exact or underestimates, so a pixel whose centre is farther
  // than half its diagonal from the edge is entirely in or out.
  const d = shape((px + 0.5) / size, (py + 0.5) / size);
  if (Math.abs(d) > 0.75 / size) return d < 0 ? 1 : 0;
  let hits = 0;
  for (let sy = 0; sy < 4; sy++) for (let sx = 0; sx < 4; sx++) if (shape((px + (sx + 0.5) / 4) / size, (py + (sy + 0.5) / 4) / size) <= 0) hits++;
  return hits / 16;
}

/** RGBA pixels, straight alpha; layers painted in order: [shape, [r,g,b]]. */
function paint(size, layers) {
  const px = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (const [shape, [lr, lg, lb]] of layers) {
        const c = coverage(shape, x, y, size);
        if (c === 0) continue;
        // "over" compositing in premultiplied form
        r = lr * c + r * (1 - c);
        g = lg * c + g * (1 - c);
        b = lb * c + b * (1 - c);
        a = c + a * (1 - c);
      }
      const i = (y * size + x) * 4;
      px[i] = a > 0 ? Math.round(r / a) : 0;
      px[i + 1] = a > 0 ? Math.round(g / a) : 0;
      px[i + 2] = a > 0 ? Math.round(b / a) : 0;
      px[i + 3] = Math.round(a * 255);
    }
  }
  return px;
}

export function drawTray(state, size, template) {
  const shape = union(FENCE, glyph(state));
  return paint(size, [[shape, template ? [0, 0, 0] : COLOURS[state]]]);
}

export function drawAppIcon(size) {
  return paint(size, [
    [roundedSquare(0.098, 0.18), [24, 94, 72]],
    [union(ring(0.5, 0.5, 0.25, 0.07), circle(0.5, 0.5, 0.115)), [255, 255, 255]],
  ]);
}

/** Every file this script owns, relative to build/. */
export function iconFiles() {
  const files = [];
  for (const state of STATES) {
    for (const [suffix, size] of [['', 16], ['@2x', 32]]) {
      files.push({ file: `tray/tray-${state}${suffix}.png`, size, draw: () => drawTray(state, size, false) });
      files.push({ file: `tray/tray-${state}Template${suffix}.png`, size, draw: () => drawTray(state, size, true) });
    }
  }
  files.push({ file: 'icon.png', size: 1024, draw: () => drawAppIcon(1024) });
  return files;
}

// ---- PNG (RGBA, 8 bits, no interlace, filter 0 on every row) ----

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function encodePng(rgba, size) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

/** Decodes what encodePng writes (and checks it is that kind of PNG). */
export function decodePng(png) {
  if (!png.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG');
  let off = 8;
  let width = 0;
  let height = 0;
  const idat = [];
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    const type = png.toString('latin1', off + 4, off + 8);
    const data = png.subarray(off + 8, off + 8 + len);
    if (crc32(png.subarray(off + 4, off + 8 + len)) !== png.readUInt32BE(off + 8 + len)) throw new Error(`bad CRC in ${type}`);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[9] !== 6 || data[12] !== 0) throw new Error('expected 8-bit RGBA, not interlaced');
    } else if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 4 + 1);
    if (raw[row] !== 0) throw new Error(`row ${y} uses PNG filter ${raw[row]}; expected 0`);
    raw.copy(rgba, y * width * 4, row + 1, row + 1 + width * 4);
  }
  return { width, height, rgba };
}

const here = dirname(fileURLToPath(import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes('--check');
  const stale = [];
  for (const { file, size, draw } of iconFiles()) {
    const path = join(here, file);
    const pixels = draw();
    if (check) {
      try {
        const got = decodePng(readFileSync(path));
        if (got.width !== size || got.height !== size || !got.rgba.equals(pixels)) stale.push(file);
      } catch (err) {
        stale.push(`${file} (${err.message})`);
      }
      continue;
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, encodePng(pixels, size));
  }
  if (stale.length > 0) {
    console.error(`Icons out of date: ${stale.join(', ')}. Run: node build/make-icons.mjs`);
    process.exit(1);
  }
  console.log(check ? 'Icons are up to date.' : `Wrote ${iconFiles().length} icons under ${here}`);
}
