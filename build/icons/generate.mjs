#!/usr/bin/env node
// Regenerates the committed app icons from build/icons/icon.svg:
//   build/icons/png/<N>x<N>.png   Linux (electron-builder picks sizes from the folder)
//   build/icon.png                1024 px, the fallback every target understands
//   build/icon.ico                Windows: PNG-compressed entries 16..256 (allowed since Vista)
//   build/icon.icns               macOS: PNG entries 16..1024 including the @2x variants
// Needs rsvg-convert (Debian: apt-get install librsvg2-bin). Run: node build/icons/generate.mjs
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const buildDir = path.resolve(here, '..');
const source = path.join(here, 'icon.svg');
const pngDir = path.join(here, 'png');
const sizes = [16, 24, 32, 48, 64, 128, 256, 512, 1024];

function render(size) {
  const file = path.join(pngDir, `${size}x${size}.png`);
  execFileSync('rsvg-convert', ['--width', String(size), '--height', String(size), '--output', file, source]);
  return readFileSync(file);
}

/** ICO container (ICONDIR + ICONDIRENTRY per image) holding PNG images. */
function ico(images) {
  const header = Buffer.alloc(6 + 16 * images.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // type 1: icon
  header.writeUInt16LE(images.length, 4);
  let offset = header.length;
  images.forEach(({ size, png }, index) => {
    const entry = 6 + 16 * index;
    header.writeUInt8(size >= 256 ? 0 : size, entry); // 0 means 256
    header.writeUInt8(size >= 256 ? 0 : size, entry + 1);
    header.writeUInt16LE(1, entry + 4); // colour planes
    header.writeUInt16LE(32, entry + 6); // bits per pixel
    header.writeUInt32LE(png.length, entry + 8);
    header.writeUInt32LE(offset, entry + 12);
    offset += png.length;
  });
  return Buffer.concat([header, ...images.map((image) => image.png)]);
}

/** ICNS container: 'icns' + big-endian length, then (type, length, PNG data) entries. */
function icns(entries) {
  const parts = entries.map(({ type, png }) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([head, png]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(8 + parts.reduce((sum, part) => sum + part.length, 0), 4);
  return Buffer.concat([head, ...parts]);
}

mkdirSync(pngDir, { recursive: true });
const png = new Map(sizes.map((size) => [size, render(size)]));
writeFileSync(path.join(buildDir, 'icon.png'), png.get(1024));
writeFileSync(path.join(buildDir, 'icon.ico'), ico([16, 24, 32, 48, 64, 128, 256].map((size) => ({ size, png: png.get(size) }))));
// Apple's ICNS types for PNG payloads: icp4/icp5 16/32, ic07..ic10 128..1024, ic11..ic14 the @2x ones.
const icnsTypes = [
  ['icp4', 16],
  ['icp5', 32],
  ['ic11', 32],
  ['ic12', 64],
  ['ic07', 128],
  ['ic13', 256],
  ['ic08', 256],
  ['ic14', 512],
  ['ic09', 512],
  ['ic10', 1024],
];
writeFileSync(path.join(buildDir, 'icon.icns'), icns(icnsTypes.map(([type, size]) => ({ type, png: png.get(size) }))));
console.log(`icons: ${sizes.length} PNG sizes, icon.png, icon.ico, icon.icns written under ${path.relative(process.cwd(), buildDir) || '.'}`);
