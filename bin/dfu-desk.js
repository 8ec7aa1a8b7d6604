#!/usr/bin/env node
// The package's `dfu-desk` command. Runs the bundle that `npm run build` makes (dist/cli/dfu-desk.cjs);
// in a fresh checkout without a build it runs the TypeScript source through tsx instead, so
// `npx dfu-desk` works right after `npm install`. DFU_DESK_CLI=<file> runs another bundle or
// entry (tests use it to run a fresh build of the current source).
import { existsSync } from 'node:fs';
import process from 'node:process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'cli', 'dfu-desk.cjs');
const source = join(root, 'electron', 'cli', 'index.ts');
const override = process.env.DFU_DESK_CLI ? resolve(process.env.DFU_DESK_CLI) : undefined;
const entry = override ?? (existsSync(bundle) ? bundle : source);

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
