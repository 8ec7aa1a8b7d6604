import fc from 'fast-check';
import { blinky, errorInfo, fixtureBytes } from '../testing/fixtures/firmware/firmwareFixtures.js';
import { DEFAULT_MAX_BINARY_BYTES, parseBinary, writeBinary } from './binary.js';
import { MemoryImage } from './memoryImage.js';

describe('parseBinary', () => {
  it('places the bytes at the base address and copies them', () => {
    const bytes = fixtureBytes('blinky-flash.bin');
    const image = parseBinary(bytes, { baseAddress: blinky.flashStart });
    expect(image.ranges).toEqual([{ start: blinky.flashStart, end: blinky.flashStart + blinky.flashSize }]);
    bytes[0] = 0x99;
    expect(image.byteAt(blinky.flashStart)).toBe(0x00);
  });

  it('rejects a base address that is not a 32-bit address', () => {
    for (const baseAddress of [-1, 0x1_0000_0000, 1.5, Number.NaN]) {
      expect(errorInfo(() => parseBinary(new Uint8Array(1), { baseAddress }))).toMatchObject({ kind: 'invalid-argument', argument: 'baseAddress' });
    }
  });

  it('rejects bytes that run past 0xFFFFFFFF, naming the file', () => {
    expect(errorInfo(() => parseBinary(new Uint8Array(4), { baseAddress: 0xfffffffe, file: 'x.bin' }))).toMatchObject({
      kind: 'image-format',
      format: 'binary',
      file: 'x.bin',
      reason: '4 B at 0xFFFFFFFE run past the end of the 32-bit address space',
    });
  });
});

describe('writeBinary', () => {
  const sparse = MemoryImage.fromBlocks([
    { start: 0x100, data: Uint8Array.of(1, 2) },
    { start: 0x104, data: Uint8Array.of(3) },
  ]);

  it('fills gaps with the byte the caller names', () => {
    expect(writeBinary(sparse, { fill: 0xff })).toEqual({ start: 0x100, data: Uint8Array.of(1, 2, 0xff, 0xff, 3) });
    expect(writeBinary(sparse, { fill: 0x00 }).data).toEqual(Uint8Array.of(1, 2, 0, 0, 3));
  });

  it('writes an explicit range, padding beyond the image', () => {
    expect(writeBinary(sparse, { fill: 0xaa, range: { start: 0xff, end: 0x107 } })).toEqual({
      start: 0xff,
      data: Uint8Array.of(0xaa, 1, 2, 0xaa, 0xaa, 3, 0xaa, 0xaa),
    });
  });

  it('writes an empty image as zero bytes', () => {
    expect(writeBinary(MemoryImage.empty, { fill: 0xff })).toEqual({ start: 0, data: new Uint8Array(0) });
  });

  it('refuses to fill a gap larger than the limit instead of allocating it', () => {
    const flashAndRam = MemoryImage.fromBlocks([
      { start: 0x08000000, data: new Uint8Array(4) },
      { start: 0x20000000, data: new Uint8Array(4) },
    ]);
    expect(DEFAULT_MAX_BINARY_BYTES).toBeLessThan(0x20000000 - 0x08000000);
    const info = errorInfo(() => writeBinary(flashAndRam, { fill: 0xff }));
    expect(info).toMatchObject({ kind: 'invalid-argument', argument: 'range' });
    expect(info.kind === 'invalid-argument' && info.reason).toMatch(/0x08000000\.\.0x20000004 would be 384 MiB of which 8 B is image data/);
    expect(writeBinary(sparse, { fill: 0, maxSizeBytes: 5 }).data.length).toBe(5);
    expect(errorInfo(() => writeBinary(sparse, { fill: 0, maxSizeBytes: 4 }))).toMatchObject({ argument: 'range' });
  });

  it('rejects a fill that is not a byte and a malformed range', () => {
    expect(errorInfo(() => writeBinary(sparse, { fill: 256 }))).toMatchObject({ argument: 'fill' });
    expect(errorInfo(() => writeBinary(sparse, { fill: 0, range: { start: 5, end: 4 } }))).toMatchObject({ argument: 'range' });
  });

  it('round-trips bytes -> image -> bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), fc.nat({ max: 0xffff0000 }), (bytes, baseAddress) => {
        const image = parseBinary(bytes, { baseAddress });
        const { data } = writeBinary(image, { fill: 0xff, range: { start: baseAddress, end: baseAddress + bytes.length } });
        expect(data).toEqual(bytes);
      }),
    );
  });
});
