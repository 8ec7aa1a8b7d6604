// The app reads firmware the way the CLI does: regular files only, with the byte cap while reading
// (node/inputFile.ts through the Node host), so /dev/zero, a FIFO or an oversized file opened from the
// dialog is refused with a reason instead of filling memory (issue 12).
import { execFileSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SimulatorBus } from '../../core/simulator/bus.js';
import { writeDfuFile } from '../../core/image/dfuFile.js';
import { MemoryImage } from '../../core/image/memoryImage.js';
import { VirtualClock } from '../../core/clock.js';
import { createNodeHost } from './nodeHost.js';
import { ProgrammerService } from './programmer.js';
import { rejection } from './testing/serviceHarness.js';

describe('opening firmware in the app: only regular files, at most MAX_IMAGE_BYTES', () => {
  let folder: string;
  let next: string | undefined;
  let service: ProgrammerService;
  beforeAll(async () => {
    folder = mkdtempSync(path.join(tmpdir(), 'dfu-desk-app-input-'));
    const clock = new VirtualClock(0);
    const host = createNodeHost({ userDataDirectory: path.join(folder, 'user'), appVersion: 'test', clock, dialogs: { openFirmware: () => Promise.resolve(next), saveFile: () => Promise.resolve(undefined) } });
    service = await ProgrammerService.create({ host, simulatorBus: new SimulatorBus(clock), hardwareUnavailableReason: 'not in tests' });
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  async function openRefusal(file: string) {
    next = file;
    return (await rejection(service.openImage({ kind: 'dialog' }))).info;
  }

  it('refuses /dev/zero, whose size is 0 to stat', async () => {
    expect(await openRefusal('/dev/zero')).toMatchObject({ kind: 'image-format', file: 'zero', reason: 'is a character device, not a regular file' });
  });

  it.skipIf(process.platform === 'win32')('refuses a FIFO without waiting for a writer', async () => {
    const fifo = path.join(folder, 'pipe.hex');
    execFileSync('mkfifo', [fifo]);
    expect(await openRefusal(fifo)).toMatchObject({ kind: 'image-format', file: 'pipe.hex', reason: expect.stringContaining('is a pipe (FIFO)') as string });
  });

  it('refuses a file over the cap without reading it', async () => {
    const big = path.join(folder, 'big.bin');
    writeFileSync(big, '');
    const fd = openSync(big, 'r+');
    ftruncateSync(fd, 1024 * 1024 * 1024);
    closeSync(fd);
    expect(await openRefusal(big)).toMatchObject({ kind: 'image-format', file: 'big.bin', reason: expect.stringMatching(/^larger than/) as string });
  });

  it('refuses a .dfu of millions of empty elements from its count (it froze the app for 71 s)', async () => {
    const count = 3_000_000;
    const template = writeDfuFile({ targets: [{ alternate: 0, image: MemoryImage.fromBytes(0x08000000, new Uint8Array(1)) }] });
    const bytes = new Uint8Array(11 + 274 + count * 8 + 16);
    bytes.set(template.subarray(0, 11 + 274));
    new DataView(bytes.buffer).setUint32(11 + 270, count, true);
    bytes.set(template.subarray(template.length - 16), bytes.length - 16);
    const file = path.join(folder, 'many.dfu');
    writeFileSync(file, bytes);
    expect(await openRefusal(file)).toMatchObject({ kind: 'image-format', format: 'dfuse', file: 'many.dfu', reason: 'target 0: more than 262,144 elements in the file; a firmware file has a handful' });
  });

  it('still opens an ordinary firmware file', async () => {
    const hex = path.join(folder, 'ok.hex');
    writeFileSync(hex, ':0400000001020304F2\n:00000001FF\n');
    next = hex;
    expect(await service.openImage({ kind: 'dialog' })).toMatchObject({ fileName: 'ok.hex', format: 'intel-hex', sizeBytes: 4 });
  });
});

describe('a dropped text file is never loaded as firmware', () => {
  it.each([
    ['notes.txt', 'Release notes\n- blink faster\n'],
    ['firmware.hex', '<!DOCTYPE html>\n<html><body>404</body></html>\n'],
    ['app.hex', '; built by CI\n:0400000001020304F2\n:00000001FF\n'],
  ])('%s is refused and nothing is loaded (Flash stays off)', async (fileName, text) => {
    const clock = new VirtualClock(0);
    const host = createNodeHost({ userDataDirectory: mkdtempSync(path.join(tmpdir(), 'dfu-desk-app-text-')), appVersion: 'test', clock, dialogs: { openFirmware: () => Promise.resolve(undefined), saveFile: () => Promise.resolve(undefined) } });
    const service = await ProgrammerService.create({ host, simulatorBus: new SimulatorBus(clock), hardwareUnavailableReason: 'not in tests', simulatorSpec: 'stm32l073' });
    const refusal = await rejection(service.openImage({ kind: 'bytes', fileName, bytes: new TextEncoder().encode(text) }));
    expect(refusal.info).toMatchObject({ kind: 'image-format', file: fileName });
    const snapshot = await service.getSnapshot();
    expect(snapshot.image).toBeUndefined();
    expect(snapshot.preview).toBeUndefined();
  });
});

