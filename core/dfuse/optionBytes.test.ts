import fc from 'fast-check';
import { isDfuError } from '../errors.js';
import { u32LE, concatBytes } from '../bytes.js';
import { decodeOptionBytes, encodeOptionBytes, optionByteLayouts, validateOptionBytes, type DecodedOptionBytes } from './optionBytes.js';
import { dfuErrorOf } from '../testing/dfuErrorOf.js';

const words = (...values: number[]) => concatBytes(values.map(u32LE));
const valueOf = (decoded: DecodedOptionBytes, id: string) => {
  const f = decoded.fields.find((x) => x.id === id);
  if (!f) throw new Error(`no field ${id}`);
  return f.value;
};


// Factory images. L0: Keil STM32L0xx_OPT.s defaults. F0: RM0091 production value 0x00FF55AA.
// F4: RDP 0xAA, USER 0xEF (BOR off, software watchdog, no resets), nWRP all 1.
const L0_DEFAULT = concatBytes([words(0xff5500aa, 0x7f8f8070, 0xffff0000, 0xffff0000, 0xffff0000), new Uint8Array(12)]);
const F0_DEFAULT = words(0x00ff55aa, 0x00ff00ff, 0x00ff00ff, 0x00ff00ff);
const F4_DEFAULT = Uint8Array.from([0xef, 0xaa, 0x10, 0x55, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0xf0, 0xff, 0xff, 0xff, 0xff]);
// L4: OPTR 0xFFEFF8AA, PCROP1SR 0xFFFFFFFF, PCROP1ER 0, WRP1A/B 0x000000FF (Black Magic Probe defaults), each with its complement.
const L4_DEFAULT = words(0xffeff8aa, 0x00100755, 0xffffffff, 0, 0, 0xffffffff, 0xff, 0xffffff00, 0xff, 0xffffff00);

describe('decodeOptionBytes', () => {
  it('decodes the L0 factory defaults', () => {
    const decoded = decodeOptionBytes('L0', 0x1ff80000, L0_DEFAULT);
    expect(decoded.warnings).toEqual([]);
    expect(decoded.rdpLevel).toBe(0);
    expect(decoded.hasRdp).toBe(true);
    expect(Object.fromEntries(decoded.fields.map((f) => [f.id, f.value]))).toEqual({
      rdp: 0xaa, wprmod: 0, bor_lev: 0, iwdg_sw: 1, nrst_stop: 1, nrst_stdby: 1, bfb2: 0, nboot1: 1,
      wrprot1: 0, wrprot1_high: 0, wrprot2: 0,
    });
    expect(decoded.fields.find((f) => f.id === 'nboot1')!.location).toBe('0x1FF80004 bit 15');
  });

  it('decodes the F4 factory defaults from the RM0090 layout', () => {
    const decoded = decodeOptionBytes('F4', 0x1fffc000, F4_DEFAULT);
    expect(decoded.rdpLevel).toBe(0);
    expect(valueOf(decoded, 'rdp')).toBe(0xaa);
    expect(valueOf(decoded, 'bor_lev')).toBe(3);
    expect(valueOf(decoded, 'wdg_sw')).toBe(1);
    expect(valueOf(decoded, 'nrst_stop')).toBe(1);
    expect(valueOf(decoded, 'nrst_stdby')).toBe(1);
    expect(valueOf(decoded, 'nwrp')).toBe(0xfff);
    expect(valueOf(decoded, 'sprmod')).toBe(0);
    expect(decoded.fields.find((f) => f.id === 'rdp')!.location).toBe('0x1FFFC000 bits 15:8');
  });

  it('decodes the F0 production value and the F1 level-0 key 0xA5', () => {
    const f0 = decodeOptionBytes('F0', 0x1ffff800, F0_DEFAULT);
    expect(f0.warnings).toEqual([]);
    expect(valueOf(f0, 'rdp')).toBe(0xaa);
    expect(valueOf(f0, 'wdg_sw')).toBe(1);
    expect(valueOf(f0, 'boot_sel')).toBe(1);
    const f1 = decodeOptionBytes('F1', 0x1ffff800, words(0x00ff5aa5, 0x00ff00ff, 0x00ff00ff, 0x00ff00ff));
    expect(f1.rdpLevel).toBe(0);
    expect(f1.fields.some((f) => f.id === 'nboot1')).toBe(false);
    expect(decodeOptionBytes('F1', 0x1ffff800, words(0x00ff55aa, 0x00ff00ff, 0x00ff00ff, 0x00ff00ff)).rdpLevel).toBe(1);
  });

  it('decodes the L4 defaults with double-word complements', () => {
    const decoded = decodeOptionBytes('L4', 0x1fff7800, L4_DEFAULT);
    expect(decoded.warnings).toEqual([]);
    expect(valueOf(decoded, 'bor_lev')).toBe(0);
    expect(valueOf(decoded, 'nboot1')).toBe(1);
    expect(valueOf(decoded, 'nboot0')).toBe(1);
    expect(valueOf(decoded, 'nswboot0')).toBe(1);
    expect(valueOf(decoded, 'wrp1a_strt')).toBe(0xff);
    expect(valueOf(decoded, 'wrp1a_end')).toBe(0);
  });

  it('decodes the 40-byte G431 block (01*40Be) with the G4 fields it holds, and writes it back with five complements', () => {
    const decoded = decodeOptionBytes('G4', 0x1fff7800, L4_DEFAULT);
    expect(decoded.layout).toBe('STM32G4 option bytes (40-byte block)');
    expect(decoded.warnings).toEqual([]);
    expect(decoded.fields.map((f) => f.id)).toContain('nrst_mode');
    expect(decoded.fields.map((f) => f.id)).not.toContain('sec_size1');
    expect(decoded.rdpLevel).toBe(0);
    // Single-bank parts: the dual-bank bits are not offered.
    expect(decoded.fields.filter((f) => f.id === 'bfb2' || f.id === 'dbank').map((f) => f.editable)).toEqual([false, false]);
    expect(dfuErrorOf(() => encodeOptionBytes(decoded, { dbank: 0 })).info).toMatchObject({ kind: 'option-bytes', field: 'dbank' });
    const written = encodeOptionBytes(decoded, { nboot0: 0 });
    expect(written).toHaveLength(40);
    expect(validateOptionBytes('G4', 0x1fff7800, written)).toEqual([]);
    expect(valueOf(decodeOptionBytes('G4', 0x1fff7800, written), 'nboot0')).toBe(0);
    // A 48-byte block still gets the whole G4 table.
    const whole = decodeOptionBytes('G4', 0x1fff7800, concatBytes([L4_DEFAULT, words(0xff, 0xffffff00)]));
    expect(whole.layout).toBe('STM32G4 option bytes');
    expect(whole.fields.map((f) => f.id)).toContain('sec_size1');
  });

  it('reads RDP level 1 and 2', () => {
    expect(decodeOptionBytes('L0', 0x1ff80000, concatBytes([words(0xff4400bb), L0_DEFAULT.subarray(4)])).rdpLevel).toBe(1);
    expect(decodeOptionBytes('L0', 0x1ff80000, concatBytes([words(0xff3300cc), L0_DEFAULT.subarray(4)])).rdpLevel).toBe(2);
  });

  it('reports complement mismatches as the option-byte loader would see them', () => {
    const broken = L0_DEFAULT.slice();
    broken[6] = 0x00; // nUSER0 no longer the complement of USER0
    const decoded = decodeOptionBytes('L0', 0x1ff80000, broken);
    expect(decoded.warnings).toHaveLength(1);
    expect(decoded.warnings[0]).toMatch(/word 1.*0x8070.*0x7F00/);
    expect(validateOptionBytes('L0', 0x1ff80000, broken)).toHaveLength(1);
    const f0 = F0_DEFAULT.slice();
    f0[1] = 0x54;
    expect(validateOptionBytes('F0', 0x1ffff800, f0)[0]).toMatch(/RDP/);
    // Both halves erased is the valid "electrically erased" state on F0 (RM0091 §4).
    expect(validateOptionBytes('F0', 0x1ffff800, words(0x00ff55aa, 0xffffffff, 0x00ff00ff, 0x00ff00ff))).toEqual([]);
  });

  it('decodes the F42x bank-2 block without an RDP byte', () => {
    const decoded = decodeOptionBytes('F4', 0x1ffec000, Uint8Array.from([0xff, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xfe, 0x0f, 0, 0, 0xff, 0xff, 0xff, 0xff]));
    expect(decoded.hasRdp).toBe(false);
    expect(decoded.fields.map((f) => f.id)).toEqual(['nwrp2']);
    expect(valueOf(decoded, 'nwrp2')).toBe(0xffe);
  });

  it('decodes H7 option registers from the *_PRG registers and notices a pending change', () => {
    const raw = new Uint8Array(128);
    raw.set(words(0x13c6aaf0, 0x13c6aaf0), 0);
    raw.set(words(0x000000ff), 0x3c - 0x1c);
    raw.set(words(0x1ff00800), 0x44 - 0x1c);
    const decoded = decodeOptionBytes('H7', 0x5200201c, raw);
    expect(decoded.warnings).toEqual([]);
    expect(decoded.rdpLevel).toBe(0);
    expect(valueOf(decoded, 'iwdg1_sw')).toBe(1);
    expect(valueOf(decoded, 'wpsn')).toBe(0xff);
    expect(valueOf(decoded, 'boot_add0')).toBe(0x0800);
    expect(valueOf(decoded, 'boot_add1')).toBe(0x1ff0);
    raw.set(words(0x13c6bbf0), 4);
    const pending = decodeOptionBytes('H7', 0x5200201c, raw);
    expect(pending.rdpLevel).toBe(1);
    expect(pending.warnings[0]).toMatch(/pending/);
  });

  it('keeps unknown families and short reads as raw bytes with RDP where its place is known', () => {
    const unknown = decodeOptionBytes('unknown', 0x1fffc000, F4_DEFAULT);
    expect(unknown.fields.map((f) => f.id)).toEqual(['rdp']);
    expect(unknown.hasRdp).toBe(true);
    expect(unknown.rdpLevel).toBe(0);
    expect(unknown.raw).toEqual(F4_DEFAULT);
    expect(unknown.warnings[0]).toMatch(/raw bytes/);
    const wb = decodeOptionBytes('WB', 0x1fff8000, Uint8Array.from([0xbb, 0xf1, 0xff, 0xff]));
    expect(wb.rdpLevel).toBe(1);
    const nowhere = decodeOptionBytes('unknown', 0x12345678, new Uint8Array(8));
    expect(nowhere.fields).toEqual([]);
    expect(nowhere.hasRdp).toBe(false);
    expect(decodeOptionBytes('L0', 0x1ff80000, L0_DEFAULT.subarray(0, 8)).warnings[0]).toMatch(/at least 20 bytes/);
  });

  it('does not alias the caller buffer', () => {
    const raw = L0_DEFAULT.slice();
    const decoded = decodeOptionBytes('L0', 0x1ff80000, raw);
    raw[0] = 0;
    expect(decoded.raw[0]).toBe(0xaa);
  });
});

describe('encodeOptionBytes', () => {
  it('changes one L0 user bit and rewrites its complement, leaving every other byte alone', () => {
    const decoded = decodeOptionBytes('L0', 0x1ff80000, L0_DEFAULT);
    const encoded = encodeOptionBytes(decoded, { nrst_stop: 0 });
    const expected = L0_DEFAULT.slice();
    expected.set(words(0x7faf8050), 4);
    expect(encoded).toEqual(expected);
    expect(valueOf(decodeOptionBytes('L0', 0x1ff80000, encoded), 'nrst_stop')).toBe(0);
  });

  it('repairs broken complements when writing back', () => {
    const broken = L4_DEFAULT.slice();
    broken[4] = 0x12;
    const encoded = encodeOptionBytes(decodeOptionBytes('L4', 0x1fff7800, broken), {});
    expect(encoded).toEqual(L4_DEFAULT);
  });

  it('keeps reserved bits as read', () => {
    const raw = F4_DEFAULT.slice();
    raw[0] = 0xec; // bits 1:0 reserved, read as 0 here
    raw[9] = 0x3f; // bits 13:12 reserved, read as 1
    const encoded = encodeOptionBytes(decodeOptionBytes('F4', 0x1fffc000, raw), { wdg_sw: 0, nwrp: 0xffe });
    expect(encoded[0]).toBe(0xcc);
    expect(encoded[9]).toBe(0x3f);
    expect(encoded[8]).toBe(0xfe);
    expect(encoded.subarray(2, 8)).toEqual(raw.subarray(2, 8));
  });

  it('refuses RDP level 2 unless the permanent lock is confirmed', () => {
    for (const [family, address, raw] of [
      ['F4', 0x1fffc000, F4_DEFAULT],
      ['L0', 0x1ff80000, L0_DEFAULT],
      ['L4', 0x1fff7800, L4_DEFAULT],
    ] as const) {
      const decoded = decodeOptionBytes(family, address, raw);
      const error = dfuErrorOf(() => encodeOptionBytes(decoded, { rdp: 0xcc }));
      expect(error.info).toMatchObject({ kind: 'confirmation-required', action: 'permanent-lock' });
      expect(dfuErrorOf(() => encodeOptionBytes(decoded, { rdp: 0xcc }, { permanentlyLockChip: false })).info.kind).toBe('confirmation-required');
      const locked = encodeOptionBytes(decoded, { rdp: 0xcc }, { permanentlyLockChip: true });
      expect(decodeOptionBytes(family, address, locked).rdpLevel).toBe(2);
    }
  });

  it('asks for confirmation before RDP 1 -> 0 (mass erase) but not for 0 -> 1', () => {
    const level0 = decodeOptionBytes('F0', 0x1ffff800, F0_DEFAULT);
    const level1Raw = encodeOptionBytes(level0, { rdp: 0xbb });
    const level1 = decodeOptionBytes('F0', 0x1ffff800, level1Raw);
    expect(level1.rdpLevel).toBe(1);
    expect(level1Raw.subarray(0, 2)).toEqual(Uint8Array.from([0xbb, 0x44]));
    expect(dfuErrorOf(() => encodeOptionBytes(level1, { rdp: 0xaa })).info).toMatchObject({ kind: 'confirmation-required', action: 'read-unprotect' });
    expect(encodeOptionBytes(level1, { rdp: 0xaa }, { iUnderstandTheFlashIsErased: true })).toEqual(F0_DEFAULT);
  });

  it('rejects unknown fields, values out of range, values outside the choices and read-only fields', () => {
    const l0 = decodeOptionBytes('L0', 0x1ff80000, L0_DEFAULT);
    expect(dfuErrorOf(() => encodeOptionBytes(l0, { nope: 1 })).info).toMatchObject({ kind: 'option-bytes', field: 'nope' });
    expect(dfuErrorOf(() => encodeOptionBytes(l0, { nrst_stop: 2 })).info).toMatchObject({ kind: 'option-bytes', field: 'nrst_stop' });
    expect(dfuErrorOf(() => encodeOptionBytes(l0, { wrprot1: 1.5 })).info).toMatchObject({ kind: 'option-bytes' });
    const l4 = decodeOptionBytes('L4', 0x1fff7800, L4_DEFAULT);
    expect(dfuErrorOf(() => encodeOptionBytes(l4, { bor_lev: 7 })).info).toMatchObject({ kind: 'option-bytes', field: 'bor_lev' });
    const h7raw = new Uint8Array(128);
    h7raw.set(words(0x13c6aaf0, 0x13c6aaf0));
    expect(dfuErrorOf(() => encodeOptionBytes(decodeOptionBytes('H7', 0x5200201c, h7raw), { security: 1 })).info).toMatchObject({ field: 'security' });
    const unknown = decodeOptionBytes('unknown', 0x1fffc000, F4_DEFAULT);
    expect(dfuErrorOf(() => encodeOptionBytes(unknown, { rdp: 0xaa })).info.kind).toBe('option-bytes');
    expect(encodeOptionBytes(unknown, {})).toEqual(F4_DEFAULT);
  });
});

describe('option-byte properties', () => {
  const layouts = optionByteLayouts();

  it('decode -> encode with no change keeps every field and leaves consistent complements', () => {
    fc.assert(
      fc.property(fc.constantFrom(...layouts), fc.uint8Array({ minLength: 128, maxLength: 128 }), (layout, bytes) => {
        const family = layout.families[0]!;
        const decoded = decodeOptionBytes(family, layout.address, bytes.subarray(0, Math.max(layout.size, 48)));
        const encoded = encodeOptionBytes(decoded, {}, { permanentlyLockChip: true, iUnderstandTheFlashIsErased: true });
        expect(validateOptionBytes(family, layout.address, encoded)).toEqual([]);
        const again = decodeOptionBytes(family, layout.address, encoded);
        expect(again.fields.map((f) => f.value)).toEqual(decoded.fields.map((f) => f.value));
      }),
      { numRuns: 300 },
    );
  });

  it('every editable field can be set to every allowed value, and nothing else changes', () => {
    fc.assert(
      fc.property(fc.constantFrom(...layouts), fc.uint8Array({ minLength: 128, maxLength: 128 }), fc.nat(), fc.nat(), (layout, bytes, pick, rawValue) => {
        const family = layout.families[0]!;
        const decoded = decodeOptionBytes(family, layout.address, bytes.subarray(0, Math.max(layout.size, 48)));
        const editable = decoded.fields.filter((f) => f.editable);
        if (editable.length === 0) return;
        const target = editable[pick % editable.length]!;
        const value = target.kind === 'enum' && target.id !== 'rdp' && target.id !== 'bor_lev' && target.choices
          ? target.choices[rawValue % target.choices.length]!.value
          : rawValue % (target.maxValue + 1);
        let encoded: Uint8Array;
        try {
          encoded = encodeOptionBytes(decoded, { [target.id]: value }, { permanentlyLockChip: true, iUnderstandTheFlashIsErased: true });
        } catch (error) {
          // Only enums with a closed list may refuse a value.
          expect(isDfuError(error, 'option-bytes')).toBe(true);
          expect(target.choices).toBeDefined();
          return;
        }
        const after = decodeOptionBytes(family, layout.address, encoded);
        for (const f of after.fields) {
          const before = decoded.fields.find((b) => b.id === f.id)!;
          expect(f.value).toBe(f.id === target.id ? value : before.value);
        }
      }),
      { numRuns: 500 },
    );
  });
});
