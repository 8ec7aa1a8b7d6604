import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from '../../core/bytes.js';
import { repoRoot, runCliProcess } from '../testing/cliProcess.js';

const fixtures = join(repoRoot, 'core/testing/fixtures/firmware');

describe('dfu-desk image', () => {
  it('shows format, blocks with CRC-32, entry and a sane vector table for a toolchain HEX', async () => {
    const run = await runCliProcess(['image', join(fixtures, 'blinky.hex'), '--json']);
    expect(run.code).toBe(0);
    const flash = new Uint8Array(readFileSync(join(fixtures, 'blinky-flash.bin')));
    expect(run.result).toMatchObject({
      format: 'intel-hex',
      sizeBytes: 228,
      entryAddress: 0x08000043,
      blocks: [
        { start: 0x08000000, end: 0x080000d4, size: 212, crc32: crc32(flash) },
        { start: 0x08080000, end: 0x08080010, size: 16 },
      ],
      vectorTable: { initialStackPointer: 0x20005000, resetVector: 0x08000043, isStackInRam: true, hasThumbBit: true, isResetInImage: true },
      warnings: [],
    });
    expect((run.result as { file: { sha256: string } }).file.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('lists the targets of a DfuSe file and places a raw binary where --address says', async () => {
    const dfu = await runCliProcess(['image', join(fixtures, 'blinky.dfu')]);
    expect(dfu.code).toBe(0);
    expect(dfu.stdout).toContain('Format      DfuSe .dfu');
    expect(dfu.stdout).toContain('DFU suffix  0483:DF11');
    expect(dfu.stdout).toMatch(/DfuSe targets:\n +alt +name +blocks +bytes\n +0 +\S+ +1 +212\n +2 +\S+ +1 +16/);
    const bin = await runCliProcess(['image', join(fixtures, 'blinky-flash.bin'), '--address', '0x08004000']);
    expect(bin.code).toBe(0);
    expect(bin.stdout).toMatch(/0x08004000 +0x080040D4 +212 B/);
    expect(bin.stdout).toContain('reset 0x08000043 (outside the image): suspicious');
    expect(bin.stderr).toContain('points outside the image');
  });
});
