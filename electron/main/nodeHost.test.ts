// The Node host's writes go through node/outputFile.ts: whole files or a named failure.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DfuError } from '../../core/errors.js';
import { createNodeHost } from './nodeHost.js';

let folder: string;
beforeEach(() => {
  folder = mkdtempSync(path.join(tmpdir(), 'dfu-desk-node-host-'));
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

const host = () => createNodeHost({ userDataDirectory: path.join(folder, 'user-data'), appVersion: 'test', dialogs: { openFirmware: () => Promise.resolve(undefined), saveFile: () => Promise.resolve(undefined) } });

describe('createNodeHost writes', () => {
  it('saves files and settings whole, with no temporary file left beside them', async () => {
    const node = host();
    await node.files.writeFile(path.join(folder, 'out', 'report.html'), '<html></html>');
    await node.settings.save({ showSimulatedDevices: true, recentFiles: [], flashOnConnect: false, programOptions: { erase: 'touched', verify: true }, flashSizeLimits: {} });
    expect(readFileSync(path.join(folder, 'out', 'report.html'), 'utf8')).toBe('<html></html>');
    expect(readdirSync(path.join(folder, 'out'))).toEqual(['report.html']);
    expect(readdirSync(path.join(folder, 'user-data'))).toEqual(['settings.json']);
    expect(JSON.parse(readFileSync(path.join(folder, 'user-data', 'settings.json'), 'utf8'))).toMatchObject({ showSimulatedDevices: true });
  });

  it('names the problem when the place cannot be written', async () => {
    // sysfs refuses new files even to root.
    const failure = await host().files.writeFile('/sys/dfu-desk-report.html', 'x').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(DfuError);
    expect((failure as DfuError).info).toMatchObject({ kind: 'output-file', problem: 'not-writable', path: '/sys/dfu-desk-report.html' });
  });
});
