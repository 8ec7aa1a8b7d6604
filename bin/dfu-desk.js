#!/usr/bin/env node
// The package's `dfu-desk` command. Runs the bundle that `npm run build` makes (dist/cli/dfu-desk.cjs).
// In a checkout it runs the TypeScript source through tsx instead when there is no bundle yet (so
// `npx dfu-desk` works right after `npm install`) or when the source is newer than the bundle (so
// a stale build never runs by surprise). DFU_DESK_CLI=<file> runs that bundle or entry instead
// (tests use it to run a fresh build of the current source).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'cli', 'dfu-desk.cjs');
const source = join(root, 'cli', 'index.ts');

/** Newest modification time of the .ts files the CLI is built from (0 when there is no source). */
function newestSourceMs() {
  let newest = 0;
  const walk = (folder) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'testing' && entry.name !== 'node_modules') walk(path);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        newest = Math.max(newest, statSync(path).mtimeMs);
      }
    }
  };
  try {
    for (const folder of ['cli', 'node', 'core']) walk(join(root, folder));
  } catch {
    return 0;
  }
  return newest;
}

function chooseEntry() {
  if (process.env.DFU_DESK_CLI) return resolve(process.env.DFU_DESK_CLI);
  if (!existsSync(bundle)) return source;
  if (existsSync(source) && newestSourceMs() > statSync(bundle).mtimeMs) return source;
  return bundle;
}

const entry = chooseEntry();
if (entry.endsWith('.ts')) {
  try {
    const { register } = await import('tsx/esm/api');
    register();
  } catch {
    process.stderr.write(
      'dfu-desk: no build found (dist/cli/dfu-desk.cjs) and tsx is not installed to run the source.\n' +
        'Run `npm install` and `npm run build` in the dfu-desk folder.\n',
    );
    process.exit(1);
  }
}
await import(pathToFileURL(entry).href);
