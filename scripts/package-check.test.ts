// The assertions of the packaging check, on hand-made layouts: each defect must be reported. The
// full electron-builder run is `node scripts/package-check.mjs` (part of `npm test`).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkLayout, createStandInElectron, EXPECTED_FUSES, readFuses } from './package-check.mjs';

const root = path.resolve(import.meta.dirname, '..');
const ruleSource = readFileSync(path.join(root, 'build/linux/50-dfu-desk.rules'), 'utf8');
const goodAsar = ['/package.json', '/dist/electron/main.cjs', '/dist/electron/preload.cjs', '/dist/renderer/index.html', '/node_modules/usb/package.json'];
const debArgs = ['build/linux/50-dfu-desk.rules=/usr/lib/udev/rules.d/50-dfu-desk.rules'];

/** A packaged layout as electron-builder leaves it, with the fuses flipped as configured. */
function makeLayout(directory: string): void {
  createStandInElectron(directory, '45.4.1');
  const executable = path.join(directory, 'dfu-desk');
  const bytes = readFileSync(path.join(directory, 'electron'));
  const wire = bytes.indexOf('dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX') + 32 + 2;
  const order = Object.keys(readFuses(path.join(directory, 'electron'))!);
  for (const [name, state] of Object.entries(EXPECTED_FUSES)) bytes[wire + order.indexOf(name)] = state;
  writeFileSync(executable, bytes);
  writeFileSync(path.join(directory, 'resources/app.asar'), '');
  mkdirSync(path.join(directory, `resources/app.asar.unpacked/node_modules/usb/prebuilds/linux-${process.arch}`), { recursive: true });
  writeFileSync(path.join(directory, `resources/app.asar.unpacked/node_modules/usb/prebuilds/linux-${process.arch}/node.napi.glibc.node`), '');
  mkdirSync(path.join(directory, 'resources/udev'));
  writeFileSync(path.join(directory, 'resources/udev/50-dfu-desk.rules'), ruleSource);
}

describe('packaging layout check', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(path.join(tmpdir(), 'dfu-desk-layout-'));
    makeLayout(directory);
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  const check = (overrides: Partial<Parameters<typeof checkLayout>[0]> = {}) =>
    checkLayout({ appOutDir: directory, asarFiles: new Set(goodAsar), executableName: 'dfu-desk', fpmArgs: debArgs, ruleSource, ...overrides });

  it('accepts a complete layout', () => {
    expect(check()).toEqual([]);
  });

  it('reports a missing bundle or renderer in the archive', () => {
    expect(check({ asarFiles: new Set(goodAsar.filter((file) => file !== '/dist/electron/preload.cjs')) })).toEqual([
      'app.asar lacks /dist/electron/preload.cjs',
    ]);
  });

  it('reports sources and source maps that slipped into the archive', () => {
    expect(check({ asarFiles: new Set([...goodAsar, '/electron/main/index.ts']) })[0]).toMatch(/contains sources/);
    expect(check({ asarFiles: new Set([...goodAsar, '/dist/electron/main.cjs.map']) })[0]).toMatch(/contains sources/);
  });

  it('reports a usb binary left inside the archive', () => {
    rmSync(path.join(directory, 'resources/app.asar.unpacked'), { recursive: true });
    expect(check()).toEqual([expect.stringMatching(/no unpacked usb binary/)]);
  });

  it('reports a missing or altered udev rule', () => {
    writeFileSync(path.join(directory, 'resources/udev/50-dfu-desk.rules'), '# empty\n');
    expect(check()).toEqual([expect.stringMatching(/udev/)]);
  });

  it('reports fuses left at the runtime defaults', () => {
    writeFileSync(path.join(directory, 'dfu-desk'), readFileSync(path.join(directory, 'electron')));
    const failures = check();
    expect(failures).toContain('fuse RunAsNode is 49, expected disabled');
    expect(failures).toContain('fuse EnableNodeOptionsEnvironmentVariable is 49, expected disabled');
  });

  it('reports a .deb that does not install the udev rule', () => {
    expect(check({ fpmArgs: ['dist/=/opt/DFU Desk'] })).toEqual([expect.stringMatching(/\.deb/)]);
  });
});
