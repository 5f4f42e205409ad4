// Draws the extension icon, media/icon.png (128x128 RGBA), from simple shapes: a blue rounded tile,
// a white chip with pins (the edge device) and a small three-layer network inside it.
// No image library: shapes are signed-distance functions sampled 4x4 per pixel, the PNG is written by hand
// (IHDR + zlib-compressed IDAT + IEND, CRC-32 per chunk).
//   node scripts/make-icon.mjs [out.png]
import { deflateSync } from 'node:zlib';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

const SIZE = 128;
const SS = 4; // samples per pixel edge
const out = process.argv[2] ?? join(new URL('..', import.meta.url).pathname, 'media', 'icon.png');

// --- shapes (distance < 0 inside) -------------------------------------------------------------
const roundedBox = (cx, cy, hw, hh, r) => (x, y) => {
  const qx = Math.abs(x - cx) - hw + r;
  const qy = Math.abs(y - cy) - hh + r;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
};
const circle = (cx, cy, r) => (x, y) => Math.hypot(x - cx, y - cy) - r;
const segment = (ax, ay, bx, by, w) => (x, y) => {
  const px = x - ax, py = y - ay, dx = bx - ax, dy = by - ay;
  const t = Math.max(0, Math.min(1, (px * dx + py * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - dx * t, py - dy * t) - w / 2;
};
const ring = (shape, w) => (x, y) => Math.abs(shape(x, y)) - w / 2;
const union = (...shapes) => (x, y) => Math.min(...shapes.map((s) => s(x, y)));

// --- the picture, back to front: [shape, colour(x, y) -> [r, g, b, a]] ------------------------
const mix = (a, b, t) => a.map((v, i) => v + (b[i] - v) * t);
const hex = (h) => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16), 255];
const tileTop = hex('#1d4ed8');
const tileBottom = hex('#0e7490');
const white = hex('#f8fafc');
const chipFill = hex('#0f2747');
const amber = hex('#fbbf24');
const mint = hex('#5eead4');

const pins = [];
for (const offset of [-24, -8, 8, 24]) {
  pins.push(segment(64 + offset, 14, 64 + offset, 26, 6)); // top
  pins.push(segment(64 + offset, 102, 64 + offset, 114, 6)); // bottom
  pins.push(segment(14, 64 + offset, 26, 64 + offset, 6)); // left
  pins.push(segment(102, 64 + offset, 114, 64 + offset, 6)); // right
}

// A 3-2-1 network inside the chip: inputs on the left, one output on the right.
const layers = [
  [[42, 46], [42, 64], [42, 82]],
  [[64, 54], [64, 74]],
  [[86, 64]],
];
const edges = [];
for (let l = 0; l + 1 < layers.length; l++) {
  for (const a of layers[l]) for (const b of layers[l + 1]) edges.push(segment(a[0], a[1], b[0], b[1], 2.6));
}
const nodes = layers.flat().map(([x, y]) => circle(x, y, 6));

const scene = [
  [roundedBox(64, 64, 62, 62, 22), (x, y) => mix(tileTop, tileBottom, (x + y) / 256)],
  [union(...pins), () => white],
  [roundedBox(64, 64, 40, 40, 9), () => chipFill],
  [ring(roundedBox(64, 64, 40, 40, 9), 5), () => white],
  [union(...edges), () => mint],
  [union(...nodes), () => amber],
];

// --- rasterise -------------------------------------------------------------------------------
const rgba = Buffer.alloc(SIZE * SIZE * 4);
for (let py = 0; py < SIZE; py++) {
  for (let px = 0; px < SIZE; px++) {
    let acc = [0, 0, 0, 0]; // premultiplied sum over samples
    for (let sy = 0; sy < SS; sy++) {
      for (let sx = 0; sx < SS; sx++) {
        const x = px + (sx + 0.5) / SS;
        const y = py + (sy + 0.5) / SS;
        let c = [0, 0, 0, 0]; // premultiplied, 0..1
        for (const [shape, colour] of scene) {
          if (shape(x, y) > 0) continue;
          const [r, g, b, a] = colour(x, y).map((v) => v / 255);
          c = [r * a + c[0] * (1 - a), g * a + c[1] * (1 - a), b * a + c[2] * (1 - a), a + c[3] * (1 - a)];
        }
        acc = acc.map((v, i) => v + c[i]);
      }
    }
    const n = SS * SS;
    const a = acc[3] / n;
    const o = (py * SIZE + px) * 4;
    rgba[o] = a ? Math.round((acc[0] / n / a) * 255) : 0;
    rgba[o + 1] = a ? Math.round((acc[1] / n / a) * 255) : 0;
    rgba[o + 2] = a ? Math.round((acc[2] / n / a) * 255) : 0;
    rgba[o + 3] = Math.round(a * 255);
  }
}

// --- PNG ---------------------------------------------------------------------------------------
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(SIZE, 0);
ihdr.writeUInt32BE(SIZE, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // colour type RGBA
// compression, filter, interlace = 0
const raw = Buffer.alloc(SIZE * (SIZE * 4 + 1));
for (let y = 0; y < SIZE; y++) {
  raw[y * (SIZE * 4 + 1)] = 0; // filter: none
  rgba.copy(raw, y * (SIZE * 4 + 1) + 1, y * SIZE * 4, (y + 1) * SIZE * 4);
}
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, png);
console.log(`wrote ${out} (${SIZE}x${SIZE}, ${png.length} bytes)`);
