import { describe, expect, it } from 'vitest';
import {
  CONTENT_BLANK,
  CONTENT_DATA,
  CONTENT_DIFFERS,
  CONTENT_MATCHES,
  COVER_FULL,
  COVER_NONE,
  COVER_PARTIAL,
  addressAtPoint,
  contentOfSectors,
  countFlags,
  gridLayout,
  markSectors,
  rangePieces,
  scaleLayout,
  sectorAtAddress,
  sectorAtPoint,
  sectorTable,
  subtractRanges,
} from './sectorGrid.js';
import { contentInputOf } from './contentLayer.js';
import { baseSnapshot, hexImage, l073Info } from '../../testing/fakeBridge.js';
import type { MemoryRegion } from '../../../core/dfuse/memoryLayout.js';

const rw = { readable: true, erasable: true, writable: true };
// STM32L073: "@Internal Flash /0x08000000/1536*128 g" — 1536 sectors of 128 B.
const l073: MemoryRegion = { name: 'Internal Flash', segments: [{ start: 0x08000000, end: 0x08030000, sectorSize: 128, sectorCount: 1536, ...rw }] };
// STM32F405: 4 x 16 KiB, 1 x 64 KiB, 7 x 128 KiB.
const f405: MemoryRegion = {
  name: 'Internal Flash',
  segments: [
    { start: 0x08000000, end: 0x08010000, sectorSize: 0x4000, sectorCount: 4, ...rw },
    { start: 0x08010000, end: 0x08020000, sectorSize: 0x10000, sectorCount: 1, ...rw },
    { start: 0x08020000, end: 0x08100000, sectorSize: 0x20000, sectorCount: 7, readable: true, erasable: false, writable: false },
  ],
};

describe('sectorTable', () => {
  it('flattens segments into sectors with their access bits', () => {
    const table = sectorTable(f405);
    expect(table.count).toBe(12);
    expect(table.starts[4]).toBe(0x08010000);
    expect(table.ends[4]).toBe(0x08020000);
    expect(table.access[0]).toBe(7);
    expect(table.access[11]).toBe(1);
    expect(table.segmentOf[11]).toBe(2);
  });
});

describe('markSectors', () => {
  it('marks the founding case: 66,748 bytes cover 521 full pages and one partial page', () => {
    const table = sectorTable(l073);
    const marks = markSectors(table, {
      imageRanges: [{ start: 0x08000000, end: 0x08000000 + 66_748 }],
      eraseRanges: [{ start: 0x08000000, end: 0x08000000 + 522 * 128 }],
    });
    expect(countFlags(marks.coverage, COVER_FULL)).toBe(521);
    expect(marks.coverage[521]).toBe(COVER_PARTIAL);
    expect(marks.coverage[522]).toBe(COVER_NONE);
    expect(countFlags(marks.willErase)).toBe(522);
    expect(countFlags(marks.losesData)).toBe(1);
    expect(marks.losesData[521]).toBe(1);
  });

  it('does not flag data loss in a partial sector the plan preserves', () => {
    const table = sectorTable(l073);
    const marks = markSectors(table, {
      imageRanges: [{ start: 0x08000010, end: 0x08000020 }],
      eraseRanges: [{ start: 0x08000000, end: 0x08000080 }],
      preserveRanges: [{ start: 0x08000000, end: 0x08000010 }],
    });
    expect(marks.coverage[0]).toBe(COVER_PARTIAL);
    expect(marks.losesData[0]).toBe(0);
  });

  it('adds up several blocks in one sector before deciding it is fully covered', () => {
    const table = sectorTable(l073);
    const marks = markSectors(table, {
      imageRanges: [
        { start: 0x08000000, end: 0x08000040 },
        { start: 0x08000040, end: 0x08000080 },
      ],
    });
    expect(marks.coverage[0]).toBe(COVER_FULL);
  });

  it('flags mismatching sectors from ranges that straddle sector edges', () => {
    const table = sectorTable(f405);
    const marks = markSectors(table, { mismatchRanges: [{ start: 0x0800fff0, end: 0x08010010 }] });
    expect(Array.from(marks.mismatch.slice(0, 5))).toEqual([0, 0, 0, 1, 1]);
  });
});

describe('gridLayout', () => {
  it('fits 1536 L0 pages in the height given, with small cells', () => {
    const layout = gridLayout(1536, 900, 140);
    expect(layout.rows * layout.columns).toBeGreaterThanOrEqual(1536);
    expect(layout.height).toBeLessThanOrEqual(140);
    expect(layout.cell).toBeLessThan(10);
  });

  it('uses large cells for a dozen F4 sectors', () => {
    const layout = gridLayout(12, 900, 140);
    expect(layout.cell).toBe(28);
    expect(layout.rows).toBe(1);
  });

  it('finds the sector under a point and nothing in a gap', () => {
    const layout = gridLayout(256, 300, 400);
    const pitch = layout.cell + layout.gap;
    expect(sectorAtPoint(layout, 256, pitch * 2 + 1, pitch + 1)).toBe(layout.columns + 2);
    expect(sectorAtPoint(layout, 256, pitch - layout.gap / 2, 1)).toBeUndefined();
    expect(sectorAtPoint(layout, 10, pitch * (layout.columns - 1) + 1, pitch * (layout.rows - 1) + 1)).toBeUndefined();
  });
});

describe('scaleLayout: sectors to scale', () => {
  it('F405: a 128 KiB sector is eight times as wide as a 16 KiB one, rows of a power of two, addresses on the axis', () => {
    const table = sectorTable(f405);
    const layout = scaleLayout(table, 886, 140, false);
    expect(layout.plotWidth).toBe(800);
    expect(layout.rowBytes & (layout.rowBytes - 1)).toBe(0);
    expect(layout.start).toBe(0x08000000);
    expect(layout.rows * layout.rowBytes).toBeGreaterThanOrEqual(0x100000);
    expect(layout.height).toBeLessThanOrEqual(140);
    const width = (index: number) => rangePieces(layout, { start: table.starts[index]!, end: table.ends[index]! }).reduce((sum, piece) => sum + piece.width, 0);
    expect(width(5) / width(0)).toBeCloseTo(8, 6);
    expect(width(4) / width(0)).toBeCloseTo(4, 6);
  });

  it('a sector longer than a row continues on the next row, and a point maps back to its address and sector', () => {
    const table = sectorTable(f405);
    const layout = scaleLayout(table, 886, 140, true);
    const pieces = rangePieces(layout, { start: table.starts[11]!, end: table.ends[11]! });
    expect(pieces.reduce((sum, piece) => sum + piece.width, 0)).toBeCloseTo((0x20000 * layout.plotWidth) / layout.rowBytes, 6);
    for (const address of [0x08000000, 0x08004000, 0x08012345, 0x080fffff]) {
      const [piece] = rangePieces(layout, { start: address, end: address + 1 });
      const found = addressAtPoint(layout, piece!.x + piece!.width / 2, piece!.y + 1);
      expect(Math.abs(found! - address)).toBeLessThanOrEqual(Math.ceil(layout.rowBytes / layout.plotWidth));
      expect(sectorAtAddress(table, found!)).toBe(sectorAtAddress(table, address));
    }
    expect(addressAtPoint(layout, 10, layout.axisHeight + 2)).toBeUndefined();
  });

  it('a small region (16 option bytes) is one row as wide as the plot', () => {
    const optionBytes: MemoryRegion = { name: 'Option Bytes', segments: [{ start: 0x1fffc000, end: 0x1fffc010, sectorSize: 16, sectorCount: 1, ...rw }] };
    const layout = scaleLayout(sectorTable(optionBytes), 886, 320, true);
    expect([layout.rows, layout.rowBytes, layout.start]).toEqual([1, 16, 0x1fffc000]);
  });

  it('L073: 1536 equal pages in rows that keep each page at least 2 px wide', () => {
    const table = sectorTable(l073);
    const layout = scaleLayout(table, 886, 320, false);
    expect((128 * layout.plotWidth) / layout.rowBytes).toBeGreaterThanOrEqual(2);
    expect(layout.rows * layout.rowBytes).toBeGreaterThanOrEqual(0x30000);
  });
});

describe('device content layer', () => {
  it('one state per sector, differs over matches over data over blank', () => {
    const table = sectorTable(f405);
    const states = contentOfSectors(table, {
      blankRanges: [{ start: 0x08000000, end: 0x08010000 }],
      dataRanges: [{ start: 0x08004000, end: 0x08004010 }],
      matchRanges: [{ start: 0x08008000, end: 0x08008100 }],
      differRanges: [{ start: 0x0800c000, end: 0x0800c001 }],
    });
    expect([...states.subarray(0, 5)]).toEqual([CONTENT_BLANK, CONTENT_DATA, CONTENT_MATCHES, CONTENT_DIFFERS, 0]);
  });

  it('from the snapshot: what the session read, and what the last verification of this image found', () => {
    expect(subtractRanges([{ start: 0, end: 100 }], [{ start: 10, end: 20 }, { start: 90, end: 120 }])).toEqual([
      { start: 0, end: 10 },
      { start: 20, end: 90 },
    ]);
    const verify = { isMatch: false, bytesCompared: 66_748, mismatchCount: 4, mismatchRanges: [{ start: 0x08000004, end: 0x08000008 }], sectorsWithMismatch: [0], missingBytes: 0, samples: [], diagnosis: { kind: 'unknown' as const, message: '' } };
    const session = baseSnapshot({
      device: l073Info,
      image: hexImage,
      deviceContent: { blankRanges: [{ start: 0x080104bc, end: 0x08010500 }], dataRanges: [] },
      lastResult: { kind: 'verify', ok: false, deviceId: 'sim:1', error: { kind: 'verify-mismatch', firstAddress: 0x08000004, count: 4, ranges: 1 }, timings: [], verify, finishedAt: 1 },
    });
    const input = contentInputOf(session)!;
    expect(input.matchRanges).toEqual([
      { start: 0x08000000, end: 0x08000004 },
      { start: 0x08000008, end: 0x08000000 + 66_748 },
    ]);
    const states = contentOfSectors(sectorTable(l073), input);
    expect(states[0]).toBe(CONTENT_DIFFERS);
    expect(states[1]).toBe(CONTENT_MATCHES);
    expect(states[521]).toBe(CONTENT_MATCHES);
    expect(countFlags(states, CONTENT_MATCHES)).toBe(521);
    expect(contentInputOf(baseSnapshot({ device: l073Info }))).toBeUndefined();
  });
});
