#!/usr/bin/env node
// `npm run preview`: the real UI in any browser, without the Electron runtime. Builds the renderer
// when dist/renderer is missing (or with --build), then starts the e2e test host on 127.0.0.1 with
// simulated devices and prints the URL to open.
//   DFU_SIMULATOR=stm32f405:unplugMidWrite npm run preview     pick the device and scenario
//   PORT=8080 npm run preview                                  pick the port (default 5317)
//   npm run preview -- --speed 4                               simulated time 4x faster
import { spawnSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import console from 'node:console';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const forceBuild = args.includes('--build');
const speedIndex = args.indexOf('--speed');
const speed = speedIndex >= 0 ? args[speedIndex + 1] : '1';

if (forceBuild || !existsSync(path.join(root, 'dist/renderer/index.html'))) {
  console.log('Building the renderer…');
  const built = spawnSync(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'renderer/vite.config.ts'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

const simulator = process.env.DFU_SIMULATOR || 'stm32l073,stm32f405';
const host = spawn(
  process.execPath,
  ['--import', 'tsx', path.join(root, 'e2e/host/main.ts'), '--port', process.env.PORT || '5317', '--simulator', simulator, '--speed', speed],
  { cwd: root, stdio: 'inherit' },
);
console.log(`Simulated devices: ${simulator}. Press Ctrl+C to stop.`);
const stop = () => host.kill('SIGTERM');
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
host.on('exit', (code) => process.exit(code ?? 0));
