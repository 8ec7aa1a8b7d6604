import { describe as describeError } from '../errors.js';
import type { DeviceInfo } from '../usb/descriptors.js';
import { checkRangeBelowLimit, flashSizeLimit, sectorsBelowLimit } from './flashLimit.js';
import { parseMemoryLayout } from './memoryLayout.js';
import { dfuErrorOf } from '../testing/dfuErrorOf.js';

const l0Flash = parseMemoryLayout('@Internal Flash  /0x08000000/1536*128g').region;
const l0Eeprom = parseMemoryLayout('@DATA Memory /0x08080000/2*3Ke').region;
const f4Flash = parseMemoryLayout('@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg').region;
// Only family and flashSizeBytes are read.
const l0 = { family: 'L0' } as DeviceInfo;


describe('flashSizeLimit', () => {
  it('is the user size below the descriptor, for internal flash only', () => {
    expect(flashSizeLimit(l0, l0Flash, 'flash', 128 * 1024)).toEqual({ region: 'Internal Flash', end: 0x08020000, claimedEnd: 0x08030000, sizeBytes: 128 * 1024, source: 'user' });
    expect(flashSizeLimit(l0, l0Flash, 'flash', 192 * 1024)).toBeUndefined();
    expect(flashSizeLimit(l0, l0Flash, 'flash')).toBeUndefined();
    expect(flashSizeLimit(l0, l0Eeprom, 'eeprom', 1024)).toBeUndefined();
  });

  it('takes the flash-size register into account; the smaller end wins', () => {
    const measured = { ...l0, flashSizeBytes: 128 * 1024 };
    expect(flashSizeLimit(measured, l0Flash, 'flash')).toMatchObject({ end: 0x08020000, source: 'register' });
    expect(flashSizeLimit(measured, l0Flash, 'flash', 64 * 1024)).toMatchObject({ end: 0x08010000, source: 'user' });
    expect(flashSizeLimit(measured, l0Flash, 'flash', 160 * 1024)).toMatchObject({ end: 0x08020000, source: 'register' });
  });
});

describe('sectorsBelowLimit', () => {
  it('lists the erasable sectors below the limit (what a mass erase becomes)', () => {
    const sectors = sectorsBelowLimit(l0Flash, flashSizeLimit(l0, l0Flash, 'flash', 128 * 1024)!);
    expect(sectors).toHaveLength(1024);
    expect(sectors[1023]).toMatchObject({ index: 1023, start: 0x0801ff80, end: 0x08020000 });
    expect(sectorsBelowLimit(f4Flash, flashSizeLimit(l0, f4Flash, 'flash', 512 * 1024)!).map((s) => s.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('refuses a limit inside a sector', () => {
    const error = dfuErrorOf(() => sectorsBelowLimit(f4Flash, flashSizeLimit(l0, f4Flash, 'flash', 72 * 1024)!));
    expect(error.info).toMatchObject({ kind: 'invalid-argument', argument: 'flashSizeBytes' });
    expect(describeError(error.info)).toContain('ends at 0x08012000, inside sector 4 [0x08010000, 0x08020000)');
  });
});

describe('checkRangeBelowLimit', () => {
  const limit = flashSizeLimit(l0, l0Flash, 'flash', 128 * 1024);

  it('passes ranges that end at or below the limit, and anything without a limit', () => {
    expect(() => checkRangeBelowLimit(l0Flash, { start: 0x08000000, end: 0x08020000 }, limit, '--length', 'reading')).not.toThrow();
    expect(() => checkRangeBelowLimit(l0Flash, { start: 0x08000000, end: 0x08030000 }, undefined, '--length', 'reading')).not.toThrow();
  });

  it('names the first address above the limit and the limit', () => {
    const error = dfuErrorOf(() => checkRangeBelowLimit(l0Flash, { start: 0x08010000, end: 0x08030000 }, limit, '--length', 'reading'));
    expect(error.info).toEqual({
      kind: 'invalid-argument',
      argument: '--length',
      reason: 'reading would reach 0x08020000, above the 128 KiB flash-size limit (flash ends at 0x08020000; the bootloader describes 192 KiB)',
    });
    expect(dfuErrorOf(() => checkRangeBelowLimit(l0Flash, { start: 0x08028000, end: 0x08028080 }, limit, 'range', 'erasing')).info).toMatchObject({
      reason: expect.stringContaining('erasing would reach 0x08028000') as unknown,
    });
  });
});
