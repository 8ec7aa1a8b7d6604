import { execFileSync } from 'node:child_process';
import * as nodeFs from 'node:fs';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dfuErrorOf } from '../core/testing/dfuErrorOf.js';
import { readRegularFile, readRegularFileAsync } from './inputFile.js';

const folder = mkdtempSync(join(tmpdir(), 'dfu-desk-input-'));
const options = (fileName: string, maxBytes = 1024) => ({ fileName, maxBytes });

describe('readRegularFile', () => {
  it('reads a regular file whole, also one larger than a read chunk', () => {
    const big = new Uint8Array(200_000).map((_, i) => i & 0xff);
    writeFileSync(join(folder, 'big.bin'), big);
    expect(readRegularFile(join(folder, 'big.bin'), options('big.bin', 1 << 20))).toEqual(big);
    writeFileSync(join(folder, 'empty.hex'), '');
    expect(readRegularFile(join(folder, 'empty.hex'), options('empty.hex'))).toEqual(new Uint8Array(0));
  });

  it('refuses a file over the cap by its size, without reading it', () => {
    writeFileSync(join(folder, 'over.bin'), new Uint8Array(1025));
    expect(dfuErrorOf(() => readRegularFile(join(folder, 'over.bin'), options('over.bin'))).info).toEqual({
      kind: 'image-format',
      format: 'file',
      file: 'over.bin',
      reason: 'is larger than 1,024 bytes: not a firmware file',
    });
  });

  it('stops at the cap when the file turns out longer than stat said (a file still growing, /proc)', () => {
    writeFileSync(join(folder, 'grows.bin'), new Uint8Array(10));
    let reads = 0;
    const growing = {
      ...nodeFs,
      readSync: (_fd: number, buffer: Uint8Array) => {
        reads++;
        buffer.fill(1);
        return buffer.length; // never reaches the end
      },
    } as unknown as typeof nodeFs;
    const info = dfuErrorOf(() =>
      readRegularFile(join(folder, 'grows.bin'), options('grows.bin', 100_000), growing),
    ).info;
    expect(info).toMatchObject({ reason: 'is larger than 100,000 bytes: not a firmware file' });
    expect(reads).toBeLessThan(10);
  });

  it('refuses folders, FIFOs and character devices without blocking, and names missing files', async () => {
    mkdirSync(join(folder, 'dir.hex'));
    execFileSync('mkfifo', [join(folder, 'pipe.hex')]);
    const cases: [string, string][] = [
      [join(folder, 'dir.hex'), 'is a folder, not a firmware file'],
      [join(folder, 'pipe.hex'), 'is a pipe (FIFO), not a regular file: save what it delivers to a file and open that'],
      ['/dev/zero', 'is a character device, not a regular file'],
      [join(folder, 'missing.hex'), `no such file: ${join(folder, 'missing.hex')}`],
    ];
    for (const [path, reason] of cases) {
      expect(dfuErrorOf(() => readRegularFile(path, options('f'))).info, path).toMatchObject({
        kind: 'image-format',
        format: 'file',
        file: 'f',
        reason,
      });
      await expect(readRegularFileAsync(path, options('f')), path).rejects.toMatchObject({ info: { reason } });
    }
  });

  it('reads the same bytes asynchronously and applies the same cap', async () => {
    const bytes = new Uint8Array(3000).map((_, i) => (i * 7) & 0xff);
    writeFileSync(join(folder, 'async.bin'), bytes);
    await expect(readRegularFileAsync(join(folder, 'async.bin'), options('async.bin', 4096))).resolves.toEqual(bytes);
    await expect(readRegularFileAsync(join(folder, 'async.bin'), options('async.bin', 2999))).rejects.toMatchObject({
      info: { reason: 'is larger than 2,999 bytes: not a firmware file' },
    });
  });
});
