import { SimulatedMemory } from './memory.js';
import type { MemorySpec, RewriteBehaviour } from './memory.js';

function memory(rewrite: RewriteBehaviour, erasedValue: 0 | 0xff = 0xff, programUnit = 4): SimulatedMemory {
  const spec: MemorySpec = {
    kind: 'flash',
    segments: [
      { start: 0x1000, sectorCount: 2, sectorSize: 16, eraseMs: 1 },
      { start: 0x1020, sectorCount: 1, sectorSize: 32, eraseMs: 2 },
      { start: 0x2000, sectorCount: 1, sectorSize: 16 },
    ],
    isReadable: true,
    isErasable: true,
    isWritable: true,
    erasedValue,
    programUnit,
    rewrite,
    programMsPerKiB: 1,
  };
  return new SimulatedMemory(spec);
}

describe('SimulatedMemory', () => {
  it('groups back-to-back segments into one block and numbers sectors across segments', () => {
    const m = memory('and');
    expect(m.view(0x1000)!.length).toBe(64);
    expect(m.sectors().map((s) => [s.index, s.start, s.end])).toEqual([
      [0, 0x1000, 0x1010],
      [1, 0x1010, 0x1020],
      [2, 0x1020, 0x1040],
      [3, 0x2000, 0x2010],
    ]);
    expect(m.sectorAt(0x1025)).toMatchObject({ index: 2, start: 0x1020, eraseMs: 2 });
    expect(m.covers(0x1000, 64)).toBe(true);
    expect(m.covers(0x1030, 32)).toBe(false); // runs into the gap
    expect(m.read(0x1030, 32).length).toBe(16); // short at the end of the block
  });

  it('keep-old (L0/L1): unerased words keep their data, erased words take the new data', () => {
    const m = memory('keep-old', 0x00);
    m.load(0x1000, Uint8Array.of(1, 2, 3, 4, 0, 0, 0, 0));
    const outcome = m.program(0x1000, Uint8Array.of(9, 9, 9, 9, 8, 8, 8, 8));
    expect(outcome).toEqual({ kind: 'ok', overwroteUnerased: true, keptOld: true });
    expect(m.read(0x1000, 8)).toEqual(Uint8Array.of(1, 2, 3, 4, 8, 8, 8, 8));
  });

  it('and (F4): bits only go from 1 to 0', () => {
    const m = memory('and');
    m.program(0x1000, Uint8Array.of(0xf0));
    m.program(0x1000, Uint8Array.of(0x3c));
    expect(m.read(0x1000, 1)).toEqual(Uint8Array.of(0x30));
  });

  it('error (F0/F1/F3 PGERR): the value decides, so a half-word written with 0xFFFF can be written again', () => {
    const m = memory('error', 0xff, 2);
    expect(m.program(0x1000, Uint8Array.of(0xff, 0xff)).kind).toBe('ok');
    expect(m.program(0x1000, Uint8Array.of(0x12, 0x34)).kind).toBe('ok');
    expect(m.read(0x1000, 2)).toEqual(Uint8Array.of(0x12, 0x34));
  });

  it('ecc (L4/G4/H7/U5): a unit written with the erased value reads blank but refuses a second write until erased', () => {
    const m = memory('ecc', 0xff, 8);
    expect(m.program(0x1000, new Uint8Array(8).fill(0xff)).kind).toBe('ok');
    expect(m.read(0x1000, 8)).toEqual(new Uint8Array(8).fill(0xff));
    expect(m.isUnitWritten(0x1004)).toBe(true);
    expect(m.program(0x1000, new Uint8Array(8).fill(1))).toEqual({ kind: 'error', failedAt: 0x1000 });
    // The next unit was not written; an erase clears the written flags of its sector only.
    expect(m.isUnitWritten(0x1008)).toBe(false);
    m.eraseSector(m.sectorAt(0x1000)!);
    expect(m.isUnitWritten(0x1000)).toBe(false);
    expect(m.program(0x1000, new Uint8Array(8).fill(1)).kind).toBe('ok');
    // Set-up content counts as written where it is not erased.
    m.load(0x1010, Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 7));
    expect([m.isUnitWritten(0x1010), m.isUnitWritten(0x1018)]).toEqual([false, true]);
  });

  it('error (ECC, PGERR): a programmed unit refuses the write and reports where', () => {
    const m = memory('error', 0xff, 8);
    expect(m.program(0x1000, new Uint8Array(8).fill(1)).kind).toBe('ok');
    expect(m.program(0x1004, Uint8Array.of(2))).toEqual({ kind: 'error', failedAt: 0x1000 });
    expect(m.read(0x1000, 8)).toEqual(new Uint8Array(8).fill(1));
  });

  it('tracks the erased bitmap through erase, program and load', () => {
    const m = memory('and');
    expect(m.erasedBitmap()).toEqual([true, true, true, true]);
    m.program(0x1014, Uint8Array.of(0));
    expect(m.erasedBitmap()).toEqual([true, false, true, true]);
    m.eraseSector(m.sectorAt(0x1010)!);
    expect(m.erasedBitmap()).toEqual([true, true, true, true]);
    expect(m.read(0x1014, 1)).toEqual(Uint8Array.of(0xff));
    m.load(0x2000, Uint8Array.of(5));
    expect(m.erasedBitmap()[3]).toBe(false);
    m.eraseAll();
    expect(m.erasedBitmap().every(Boolean)).toBe(true);
  });

  it('isPhantom: the part of the claimed memory beyond realEnd', () => {
    const m = new SimulatedMemory({ ...memory('and').spec, realEnd: 0x1020 });
    expect(m.isPhantom(0x1010, 16)).toBe(false);
    expect(m.isPhantom(0x1018, 16)).toBe(true);
    expect(m.isPhantom(0x5000)).toBe(false);
  });
});
