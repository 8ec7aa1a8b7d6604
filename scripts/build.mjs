#!/usr/bin/env node
// `npm run build`: bundles the Electron main process, the preload, the CLI (when present) and the
// renderer (when present) into dist/. Usage: node scripts/build.mjs [--only main,preload,cli,renderer]
// [--outdir DIR]. esbuild for the Node/Electron side; Vite for the renderer.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// Electron 45 ships Node 22 and Chromium 140.
const NODE_TARGET = 'node22';
const CHROME_TARGET = 'chrome140';

/** esbuild options per target; `outdir` is the dist folder. */
export function targets(outdir) {
  return {
    main: {
      entryPoints: [path.join(root, 'electron/main/index.ts')],
      outfile: path.join(outdir, 'electron/main.cjs'),
      platform: 'node',
      target: NODE_TARGET,
      format: 'cjs',
      // `usb` carries a native binary loaded from node_modules (asarUnpack in packaging).
      external: ['electron', 'usb'],
    },
    // Sandboxed preloads get a `require` that knows only 'electron' and a few polyfills, so
    // everything else (core/api.ts) must be inside the bundle.
    preload: {
      entryPoints: [path.join(root, 'electron/preload/index.ts')],
      outfile: path.join(outdir, 'electron/preload.cjs'),
      platform: 'browser',
      target: CHROME_TARGET,
      format: 'cjs',
      external: ['electron'],
    },
    cli: {
      entryPoints: [path.join(root, 'cli/index.ts')],
      outfile: path.join(outdir, 'cli/dfu-desk.cjs'),
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      external: ['usb'],
    },
  };
}

function isPresent(name) {
  if (name === 'cli') return existsSync(path.join(root, 'cli/index.ts'));
  if (name === 'renderer') return existsSync(path.join(root, 'renderer/vite.config.ts'));
  return true;
}

async function main() {
  const { values } = parseArgs({
    options: { only: { type: 'string' }, outdir: { type: 'string' } },
  });
  const outdir = path.resolve(values.outdir ?? path.join(root, 'dist'));
  const wanted = values.only ? values.only.split(',') : ['main', 'preload', 'cli', 'renderer'];
  const options = targets(outdir);
  for (const name of wanted) {
    if (!(name in options) && name !== 'renderer') throw new Error(`unknown build target "${name}"`);
  }
  for (const name of wanted) {
    if (!isPresent(name)) {
      console.log(`build: ${name} skipped (its entry file does not exist yet)`);
      continue;
    }
    const started = Date.now();
    if (name === 'renderer') {
      const result = spawnSync('npx', ['--no-install', 'vite', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], {
        cwd: root,
        stdio: 'inherit',
      });
      if (result.status !== 0) process.exit(result.status ?? 1);
    } else {
      await build({
        ...options[name],
        bundle: true,
        sourcemap: 'linked',
        logLevel: 'warning',
        legalComments: 'none',
      });
    }
    console.log(`build: ${name} in ${Date.now() - started} ms`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(`build failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
