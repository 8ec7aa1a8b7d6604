import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BROWSER_FALLBACK_LINE, findElectronBinary, MISSING_RUNTIME_MESSAGE } from './start.mjs';

const root = path.resolve(import.meta.dirname, '..');

describe('npm start', () => {
  let project: string;
  beforeEach(() => {
    project = mkdtempSync(path.join(tmpdir(), 'dfu-desk-start-'));
    mkdirSync(path.join(project, 'node_modules/electron/dist'), { recursive: true });
  });
  afterEach(() => rmSync(project, { recursive: true, force: true }));

  it('finds the runtime the electron package downloaded', () => {
    writeFileSync(path.join(project, 'node_modules/electron/path.txt'), 'electron');
    writeFileSync(path.join(project, 'node_modules/electron/dist/electron'), '');
    expect(findElectronBinary(project, {})).toBe(path.join(project, 'node_modules/electron/dist/electron'));
  });

  it('reports no runtime when path.txt or the file it names is missing', () => {
    expect(findElectronBinary(project, {})).toBeUndefined();
    writeFileSync(path.join(project, 'node_modules/electron/path.txt'), 'electron');
    expect(findElectronBinary(project, {})).toBeUndefined();
  });

  it('honours ELECTRON_OVERRIDE_DIST_PATH like the electron package', () => {
    const dist = path.join(project, 'custom');
    mkdirSync(dist);
    writeFileSync(path.join(dist, 'electron'), '');
    chmodSync(path.join(dist, 'electron'), 0o755);
    expect(findElectronBinary(project, { ELECTRON_OVERRIDE_DIST_PATH: dist })).toBe(path.join(dist, 'electron'));
  });

  it('with DFU_DESK_NO_BROWSER, explains a missing runtime without a stack trace and exits non-zero', () => {
    const result = spawnSync(process.execPath, ['scripts/start.mjs'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, DFU_DESK_NO_BROWSER: '1', ELECTRON_OVERRIDE_DIST_PATH: path.join(project, 'nowhere') },
    });
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe(MISSING_RUNTIME_MESSAGE);
    expect(result.stderr).toMatch(/npm run preview/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('without the runtime, serves the UI on loopback in the browser instead, says so in one line, and ends with 0 on Ctrl+C', async () => {
    const renderer = path.join(project, 'renderer');
    mkdirSync(renderer);
    writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><html><head></head><body>DFU Desk</body></html>');
    const child = spawn(process.execPath, ['scripts/start.mjs'], {
      cwd: root,
      env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: path.join(project, 'nowhere'), PORT: '0', DFU_DESK_RENDERER_DIR: renderer, DFU_DESK_NO_BROWSER_OPEN: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL in time:\n${stdout}`)), 15_000);
      child.stdout.setEncoding('utf8').on('data', (text: string) => {
        stdout += text;
        const found = /DFU Desk test host: (\S+)/.exec(stdout)?.[1];
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      });
    });
    expect(stdout.split('\n')[0]).toBe(BROWSER_FALLBACK_LINE);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('dfu-desk-host-key');
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exit).toBe(0);
  });
});
