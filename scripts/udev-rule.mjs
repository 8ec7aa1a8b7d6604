#!/usr/bin/env node
// Writes build/linux/50-dfu-desk.rules from the list of bootloader USB ids in
// core/devices/usbAccess.ts (the one source; core/devices/usbAccess.test.ts fails when the
// committed file differs). `node scripts/udev-rule.mjs --check` only compares, exiting 1 on a difference.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const target = path.join(root, 'build/linux/50-dfu-desk.rules');

/** @type {{ udevRulesFile(): string }} */
const usbAccess = await tsImport('../core/devices/usbAccess.ts', import.meta.url);
const text = usbAccess.udevRulesFile();
const current = existsSync(target) ? readFileSync(target, 'utf8') : undefined;

if (process.argv.includes('--check')) {
  if (current !== text) {
    console.error(
      `${path.relative(root, target)} differs from core/devices/usbAccess.ts; run \`node scripts/udev-rule.mjs\``,
    );
    process.exit(1);
  }
  console.log(`${path.relative(root, target)} is up to date`);
} else if (current === text) {
  console.log(`${path.relative(root, target)} is up to date`);
} else {
  writeFileSync(target, text);
  console.log(`wrote ${path.relative(root, target)}`);
}
