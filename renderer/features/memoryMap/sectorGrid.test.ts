import { describe, expect, it } from 'vitest';
import { COVER_FULL, COVER_NONE, COVER_PARTIAL, countFlags, gridLayout, markSectors, sectorAtPoint, sectorTable } from './sectorGrid.js';
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
