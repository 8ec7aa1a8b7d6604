#!/usr/bin/env node
// `npm start` (after `npm run build`): launches the built app in Electron. The Electron runtime is a
// separate download that the `electron` npm package fetches on first use; requiring the package
// here would start that download, so the runtime is looked for on disk instead. When it is missing,
// the same UI and the same main-process service start in the system browser on the loopback host
// (e2e/host: per-launch key, Origin and Host checks, simulated boards), said in one line; Ctrl-C
// ends it with exit 0. DFU_DESK_NO_BROWSER=1 keeps the old behaviour: explain and exit 2.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The Electron executable the npm package would run, or undefined when it is not on disk.
 * Same lookup as node_modules/electron/index.js (path.txt names the file inside dist/), plus
 * ELECTRON_OVERRIDE_DIST_PATH, which that file also honours.
 * @param {string} projectRoot
 * @param {NodeJS.ProcessEnv} env
 * @returns {string | undefined}
 */
export function findElectronBinary(projectRoot, env) {
  const packageDir = path.join(projectRoot, 'node_modules', 'electron');
  const pathFile = path.join(packageDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : undefined;
  if (env.ELECTRON_OVERRIDE_DIST_PATH) {
    const candidate = path.join(env.ELECTRON_OVERRIDE_DIST_PATH, relative || 'electron');
    return existsSync(candidate) ? candidate : undefined;
  }
  if (!relative) return undefined;
  const candidate = path.join(packageDir, 'dist', relative);
  return existsSync(candidate) ? candidate : undefined;
}

export const MISSING_RUNTIME_MESSAGE = [
  'DFU Desk cannot start: the Electron runtime is not installed.',
  '',
  'The `electron` npm package downloads its runtime from GitHub the first time it is used, and that',
  'download did not happen on this machine (offline, or a registry-only network).',
  '',
  'What you can do:',
  '  - On a machine with internet access: `npx install-electron` (or `npm rebuild electron`), then `npm start`.',
  '  - Here: `npm run preview` serves the same UI in your browser, driven by the same main-process',
  '    service with a simulated STM32 device, so every feature can be tried without the runtime.',
].join('\n');

export const BROWSER_FALLBACK_LINE =
  'The Electron runtime is not installed here (see README, "Install"): opening DFU Desk in your browser instead, with simulated boards. Ctrl+C stops it.';

/** The command that opens a URL in the desktop's browser, or undefined where there is none to call. */
export function browserOpener(platform, env) {
  if (env.CI || env.DFU_DESK_NO_BROWSER_OPEN) return undefined;
  if (platform === 'darwin') return ['open'];
  if (platform === 'win32') return ['cmd', '/c', 'start', '""'];
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return undefined;
  return spawnSync('which', ['xdg-open']).status === 0 ? ['xdg-open'] : undefined;
}

/** The browser fallback: the test host on the preview port, the URL printed and (where possible) opened. */
function startInBrowser() {
  console.log(BROWSER_FALLBACK_LINE);
  const simulator = process.env.DFU_SIMULATOR || 'stm32l073,stm32f405,stm32h743';
  const host = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(root, 'e2e/host/main.ts'),
      '--port',
      process.env.PORT || '5317',
      '--simulator',
      simulator,
      ...(process.env.DFU_DESK_RENDERER_DIR ? ['--renderer', process.env.DFU_DESK_RENDERER_DIR] : []),
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let isOpened = false;
  host.stdout.setEncoding('utf8').on('data', (text) => {
    process.stdout.write(text);
    const url = /DFU Desk test host: (\S+)/.exec(text)?.[1];
    const opener = browserOpener(process.platform, process.env);
    if (url && opener && !isOpened) {
      isOpened = true;
      const [command, ...args] = opener;
      spawn(command, [...args, url], { stdio: 'ignore', detached: true }).on('error', () => undefined).unref();
    }
  });
  const stop = () => host.kill('SIGTERM');
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Stopped by the user (Ctrl+C, SIGTERM): a normal end.
  host.on('exit', (code, signal) => process.exit(signal === 'SIGTERM' || signal === 'SIGINT' ? 0 : (code ?? 0)));
}

function main() {
  const binary = findElectronBinary(root, process.env);
  if (!binary) {
    if (process.env.DFU_DESK_NO_BROWSER) {
      console.error(MISSING_RUNTIME_MESSAGE);
      process.exit(2);
    }
    startInBrowser();
    return;
  }
  if (!existsSync(path.join(root, 'dist/electron/main.cjs'))) {
    console.error('DFU Desk cannot start: dist/electron/main.cjs is missing. Run `npm run build` first (`npm start` does).');
    process.exit(2);
  }
  // Without a DFU_SIMULATOR choice the app still offers its demo devices when no board is attached.
  const child = spawn(binary, [root, ...process.argv.slice(2)], { stdio: 'inherit', env: process.env });
  child.on('error', (error) => {
    console.error(`DFU Desk cannot start: ${error.message}`);
    process.exit(2);
  });
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
