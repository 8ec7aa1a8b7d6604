import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findElectronBinary, MISSING_RUNTIME_MESSAGE } from './start.mjs';

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

  it('explains a missing runtime without a stack trace and exits non-zero', () => {
    const result = spawnSync(process.execPath, ['scripts/start.mjs'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: path.join(project, 'nowhere') },
    });
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe(MISSING_RUNTIME_MESSAGE);
    expect(result.stderr).toMatch(/npm run preview/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
