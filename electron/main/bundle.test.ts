// The packaged app ships only `usb` in node_modules (build/electron-builder.yml): the main bundle
// may require nothing but Electron, `usb` and Node's own modules, and `usb` only lazily, so the app
// still starts (on simulated devices) when the native binary cannot load.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

describe('main-process bundle', () => {
  let bundle: string;
  beforeAll(() => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'dfu-desk-main-'));
    try {
      execFileSync(process.execPath, ['scripts/build.mjs', '--only', 'main', '--outdir', outdir], { cwd: root, stdio: 'pipe' });
      bundle = readFileSync(path.join(outdir, 'electron/main.cjs'), 'utf8');
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it('requires only electron, usb and Node built-ins', () => {
    const required = new Set([...bundle.matchAll(/\brequire\("([^"]+)"\)/g)].map((match) => match[1]!));
    const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
    const foreign = [...required].filter((name) => name !== 'electron' && name !== 'usb' && !builtins.has(name));
    expect(foreign).toEqual([]);
    expect(required.has('electron')).toBe(true);
  });

  it('loads usb only inside the lazily initialised adapter', () => {
    const usbRequire = bundle.indexOf('require("usb")');
    expect(usbRequire).toBeGreaterThan(0);
    const wrapperStart = bundle.lastIndexOf('__esm({', usbRequire);
    expect(wrapperStart).toBeGreaterThan(0);
    expect(bundle.slice(wrapperStart, usbRequire)).toMatch(/"node\/nodeUsb\.ts"\(\)/);
  });

  it('carries no React or renderer code', () => {
    expect(bundle).not.toMatch(/react-dom|createRoot|zustand/);
  });
});
