// Option bytes a user can trust: for every layout, what a field says it means, what its editor
// offers and the bit that gets written agree; every lock-out guard refuses without its
// confirmation; masks name their sectors.
import { checkConfirmed } from '../jobs/confirmations.js';
import { optionBytesOfDevice, prepareOptionBytesWrite } from '../jobs/optionBytesJob.js';
import { parseMemoryLayout } from './memoryLayout.js';
import { decodeOptionBytes, encodeOptionBytes, lockoutRisks, optionByteLayouts, type DecodedOptionBytes } from './optionBytes.js';
import type { Stm32Family } from '../devices/stm32.js';
import { u5FactoryOptionBytes } from '../simulator/optionBytesModel.js';
import type { DeviceInfo } from '../usb/descriptors.js';

const GRANTED = { permanentlyLockChip: true, iUnderstandTheFlashIsErased: true };
const F42X_FLASH = parseMemoryLayout('@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg,04*016Kg,01*064Kg,07*128Kg').region;
const F407_FLASH = parseMemoryLayout('@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg').region;

/** A block of the layout's size with a fixed pattern (bits of both values everywhere). */
function patternBlock(size: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: Math.max(size, 48) }, (_, index) => (index * 37 + seed) & 0xff);
}

/** The bit a field's location names ("0x1FF80004 bit 15"), read from the raw block. */
function bitAt(block: DecodedOptionBytes, location: string): number {
  const match = /^0x([0-9A-F]+) bit (\d+)$/.exec(location);
  if (!match) throw new Error(`not a single-bit location: ${location}`);
  const offset = parseInt(match[1]!, 16) - block.address;
  const bit = Number(match[2]);
  return (block.raw[offset + Math.floor(bit / 8)]! >> bit % 8) & 1;
}

const layouts = optionByteLayouts();
const hasOneBitFields = (family: Stm32Family, address: number, size: number) => decodeOptionBytes(family, address, patternBlock(size, 0)).fields.some((field) => field.maxValue === 1);

describe('every 1-bit option field of every layout', () => {
  it('covers the layouts that have 1-bit fields (all but the bank-2 blocks)', () => {
    const covered = layouts.filter((layout) => hasOneBitFields(layout.families[0]!, layout.address, layout.size)).map((layout) => layout.title);
    expect(covered).toHaveLength(layouts.length - 2);
  });

  for (const layout of layouts) {
    for (const family of layout.families) {
      if (!hasOneBitFields(family, layout.address, layout.size)) continue;
      it(`${layout.title} (${family}): the meaning shown, the choices offered and the bit written agree`, () => {
        for (const seed of [0, 0x55]) {
          const decoded = decodeOptionBytes(family, layout.address, patternBlock(layout.size, seed), { flash: F42X_FLASH });
          const oneBit = decoded.fields.filter((field) => field.maxValue === 1);
          for (const field of oneBit) {
            // A choice between two meanings, never a bare bit.
            expect(field.kind, field.id).toBe('enum');
            expect(field.choices?.map((choice) => choice.value).sort(), field.id).toEqual([0, 1]);
            const [zero, one] = [0, 1].map((value) => field.choices!.find((choice) => choice.value === value)!.label);
            expect(zero, field.id).not.toBe(one);
            expect(field.meaning, field.id).toBe(field.value === 0 ? zero : one);
            expect(bitAt(decoded, field.location), field.id).toBe(field.value);
            if (!field.editable) continue;
            for (const choice of field.choices!) {
              const after = decodeOptionBytes(family, layout.address, encodeOptionBytes(decoded, { [field.id]: choice.value }, GRANTED), { flash: F42X_FLASH });
              const written = after.fields.find((candidate) => candidate.id === field.id)!;
              expect(written.value, field.id).toBe(choice.value);
              expect(written.meaning, field.id).toBe(choice.label);
              expect(bitAt(after, written.location), field.id).toBe(choice.value);
            }
          }
        }
      });
    }
  }

  it('names the register bit the way the reference manuals do', () => {
    const l0 = decodeOptionBytes('L0', 0x1ff80000, patternBlock(20, 0));
    const names = Object.fromEntries(l0.fields.map((field) => [field.id, field.bitName]));
    expect(names).toMatchObject({ rdp: 'RDP', iwdg_sw: 'IWDG_SW', nrst_stop: 'nRST_STOP', nrst_stdby: 'nRST_STDBY', nboot1: 'nBOOT1', wprmod: 'WPRMOD', wrprot1: 'WRPROT1[15:0]' });
  });

  it('shows the founding L0 factory state in words: software watchdog, no reset on Stop or Standby', () => {
    const words = (...values: number[]) => Uint8Array.from(values.flatMap((value) => [0, 8, 16, 24].map((shift) => (value >>> shift) & 0xff)));
    const l0 = decodeOptionBytes('L0', 0x1ff80000, words(0xff5500aa, 0x7f8f8070, 0xffff0000, 0xffff0000, 0xffff0000));
    const meaning = (id: string) => l0.fields.find((field) => field.id === id)!.meaning;
    expect(meaning('iwdg_sw')).toBe('Software watchdog (started by firmware)');
    expect(meaning('nrst_stop')).toBe('No reset when entering Stop mode');
    expect(meaning('nrst_stdby')).toBe('No reset when entering Standby mode');
    expect(meaning('wrprot1')).toBe('nothing protected');
    expect(meaning('rdp')).toBe('Level 0: no protection');
  });
});

describe('protection masks', () => {
  it('name each F4 sector with its address range, and flip with SPRMOD', () => {
    const raw = Uint8Array.from([0xef, 0xaa, 0x10, 0x55, 0xff, 0xff, 0xff, 0xff, 0xfa, 0x0f, 0x00, 0xf0, 0xff, 0xff, 0xff, 0xff]);
    const block = decodeOptionBytes('F4', 0x1fffc000, raw, { flash: F407_FLASH });
    const nwrp = block.fields.find((field) => field.id === 'nwrp')!;
    expect(nwrp.units).toHaveLength(12);
    expect(nwrp.units![0]).toEqual({ bit: 0, label: 'Sector 0 (0x08000000-0x08003FFF)', protectedWhen: 0, isProtected: true, protection: 'write' });
    expect(nwrp.units![4]!.label).toBe('Sector 4 (0x08010000-0x0801FFFF)');
    expect(nwrp.meaning).toBe('sectors 0, 2 write-protected');
    const pcrop = decodeOptionBytes('F4', 0x1fffc000, Uint8Array.from([...raw.slice(0, 9), 0x8f, ...raw.slice(10)]), { flash: F407_FLASH });
    const flipped = pcrop.fields.find((field) => field.id === 'nwrp')!;
    expect(flipped.units!.filter((unit) => unit.isProtected).map((unit) => unit.bit)).toEqual([1, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(flipped.units![1]!.protection).toBe('read');
  });

  it('name L0 sectors by their 4 KB address ranges', () => {
    const l0 = decodeOptionBytes('L0', 0x1ff80000, patternBlock(20, 0));
    const units = l0.fields.find((field) => field.id === 'wrprot1_high')!.units!;
    expect(units[0]!.label).toBe('Sector 16 (0x08010000-0x08010FFF)');
    expect(units[0]!.protectedWhen).toBe(1);
  });
});

describe('STM32F405/F407: bits that exist only on F42x/F43x', () => {
  const raw = Uint8Array.from([0xef, 0xaa, 0x10, 0x55, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0xf0, 0xff, 0xff, 0xff, 0xff]);

  it('are read-only unless the flash layout shows an F42x/F43x (more than 12 sectors)', () => {
    const editable = (flash?: typeof F42X_FLASH) => decodeOptionBytes('F4', 0x1fffc000, raw, flash ? { flash } : {}).fields.filter((field) => ['sprmod', 'db1m'].includes(field.id)).map((field) => field.editable);
    expect(editable()).toEqual([false, false]);
    expect(editable(F407_FLASH)).toEqual([false, false]);
    expect(editable(F42X_FLASH)).toEqual([true, true]);
    const f407 = decodeOptionBytes('F4', 0x1fffc000, raw, { flash: F407_FLASH });
    expect(() => encodeOptionBytes(f407, { sprmod: 1 }, GRANTED)).toThrow(/PCROP mode \(SPRMOD\) cannot be changed from here: .*Reserved on F405\/F407/);
  });
});

/**
 * For every guard of every layout: a change that makes it fire. A new guard without an entry here
 * fails the enumeration test below.
 */
interface Example {
  readonly family: Stm32Family;
  readonly address: number;
  readonly fields: readonly string[];
  readonly raw: Uint8Array;
  readonly changes: Readonly<Record<string, number>>;
}

const DANGEROUS: readonly Example[] = [
  { family: 'F0', address: 0x1ffff800, fields: ['nboot1'], raw: fromWords16(0x55aa, 0x00ff, 0x00ff, 0x00ff, 0x00ff, 0x00ff, 0x00ff, 0x00ff), changes: { nboot1: 0 } },
  { family: 'F0', address: 0x1ffff800, fields: ['boot_sel', 'nboot0'], raw: fromWords16(0x55aa, 0x00ff, 0x00ff, 0x00ff, 0x00ff, 0x00ff, 0x00ff, 0x00ff), changes: { boot_sel: 0 } },
  { family: 'F3', address: 0x1ffff800, fields: ['nboot1'], raw: fromWords16(0x55aa, 0x00ff, 0x00ff, 0x00ff, 0x00ff, 0x00ff, 0x00ff, 0x00ff), changes: { nboot1: 0 } },
  { family: 'F4', address: 0x1fffc000, fields: ['sprmod'], raw: Uint8Array.from([0xef, 0xaa, 0x10, 0x55, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0xf0, 0xff, 0xff, 0xff, 0xff]), changes: { sprmod: 1 } },
  { family: 'F7', address: 0x1fff0000, fields: ['boot_add1'], raw: fromWords32(0x5500aaff, 0, 0x0000ffff, 0, 0xff7f0080, 0, 0xffbf0040, 0), changes: { boot_add1: 0x2000 } },
  { family: 'L0', address: 0x1ff80000, fields: ['nboot1'], raw: fromWords32(0xff5500aa, 0x7f8f8070, 0xffff0000, 0xffff0000, 0xffff0000), changes: { nboot1: 0 } },
  { family: 'L0', address: 0x1ff80000, fields: ['wprmod'], raw: fromWords32(0xff5500aa, 0x7f8f8070, 0xffff0000, 0xffff0000, 0xffff0000), changes: { wprmod: 1 } },
  ...(['L4', 'G4'] as const).flatMap((family): Example[] => {
    const raw = fromWords32(0xffeff8aa, 0x00100755, 0xffffffff, 0, 0, 0xffffffff, 0xff, 0xffffff00, 0xff, 0xffffff00, 0xffffffff, 0, 0, 0);
    return [
      { family, address: 0x1fff7800, fields: ['nboot1'], raw, changes: { nboot1: 0 } },
      { family, address: 0x1fff7800, fields: ['nswboot0', 'nboot0'], raw, changes: { nswboot0: 0 } },
      { family, address: 0x1fff7800, fields: ['pcrop1_strt', 'pcrop1_end'], raw, changes: { pcrop1_strt: 0, pcrop1_end: 0x10 } },
      { family, address: 0x1fff7800, fields: ['wrp1a_strt', 'wrp1a_end'], raw, changes: { wrp1a_strt: 0, wrp1a_end: 3 } },
      { family, address: 0x1fff7800, fields: ['wrp1b_strt', 'wrp1b_end'], raw, changes: { wrp1b_strt: 4, wrp1b_end: 4 } },
    ];
  }),
  ...((): Example[] => {
    const raw = fromWords32(0, 0, 0xffffffff, 0, 0, 0xffffffff, 0xff, 0xffffff00, 0xff, 0xffffff00, 0, 0);
    return [
      { family: 'G4' as const, address: 0x1ffff800, fields: ['pcrop2_strt', 'pcrop2_end'], raw, changes: { pcrop2_strt: 0, pcrop2_end: 1 } },
      { family: 'G4' as const, address: 0x1ffff800, fields: ['wrp2a_strt', 'wrp2a_end'], raw, changes: { wrp2a_strt: 0, wrp2a_end: 1 } },
      { family: 'G4' as const, address: 0x1ffff800, fields: ['wrp2b_strt', 'wrp2b_end'], raw, changes: { wrp2b_strt: 2, wrp2b_end: 2 } },
    ];
  })(),
  ...((): Example[] => {
    // OPTR 0xDEFFE1AA: the G0 factory value with nBOOT_SEL = 0 (the pin decides), and its complement.
    const raw = fromWords32(0xdeffe1aa, 0x21001e55, 0xffffffff, 0, 0, 0xffffffff, 0xff, 0xffffff00, 0xff, 0xffffff00);
    return [
      { family: 'G0' as const, address: 0x1fff7800, fields: ['nboot1'], raw, changes: { nboot1: 0 } },
      { family: 'G0' as const, address: 0x1fff7800, fields: ['nboot_sel', 'nboot0'], raw, changes: { nboot_sel: 1 } },
      { family: 'G0' as const, address: 0x1fff7800, fields: ['wrp1a_strt', 'wrp1a_end'], raw, changes: { wrp1a_strt: 0, wrp1a_end: 1 } },
      { family: 'G0' as const, address: 0x1fff7800, fields: ['wrp1b_strt', 'wrp1b_end'], raw, changes: { wrp1b_strt: 0, wrp1b_end: 0 } },
    ];
  })(),
  { family: 'H7', address: 0x5200201c, fields: ['boot_add1'], raw: h7Block(), changes: { boot_add1: 0x0800 } },
  ...((): Example[] => {
    const raw = u5FactoryOptionBytes();
    const u5 = (fields: string[], changes: Record<string, number>): Example => ({ family: 'U5', address: 0x40022040, fields, raw, changes });
    return [
      u5(['nswboot0', 'nboot0'], { nswboot0: 0 }),
      u5(['tzen'], { tzen: 1 }),
      u5(['nsbootadd1'], { nsbootadd1: 0x0800_0000 / 0x80 }),
      u5(['nsbootadd0'], { nsbootadd0: 0x0801_0000 / 0x80 }),
      ...(['1a', '1b', '2a', '2b'] as const).flatMap((area) => [
        u5([`wrp${area}_strt`, `wrp${area}_end`], { [`wrp${area}_strt`]: 1, [`wrp${area}_end`]: 2 }),
        u5([`wrp${area}_unlock`], { [`wrp${area}_unlock`]: 0 }),
      ]),
    ];
  })(),
];

function fromWords16(...values: number[]): Uint8Array {
  return Uint8Array.from(values.flatMap((value) => [value & 0xff, (value >>> 8) & 0xff]));
}
function fromWords32(...values: number[]): Uint8Array {
  return Uint8Array.from(values.flatMap((value) => [0, 8, 16, 24].map((shift) => (value >>> shift) & 0xff)));
}
/** H7 option registers: OPTSR_CUR/PRG with RDP 0xAA, BOOT_ADD0 0x0800 and BOOT_ADD1 0x1FF0 (system memory). */
function h7Block(): Uint8Array {
  const raw = new Uint8Array(0x48 - 0x1c);
  const put = (registerOffset: number, value: number) => raw.set(fromWords32(value), registerOffset - 0x1c);
  put(0x1c, 0x1bc6aaf0);
  put(0x20, 0x1bc6aaf0);
  put(0x44, 0x1ff00800);
  return raw;
}

describe('lock-out guards', () => {
  it('every guard of every layout has a dangerous example here', () => {
    for (const layout of layouts) {
      for (const guard of layout.guards) {
        const covered = DANGEROUS.some((example) => layout.families.includes(example.family) && example.address === layout.address && example.fields.join() === guard.join());
        expect(covered, `${layout.title}: guard on ${guard.join(', ')}`).toBe(true);
      }
    }
  });

  for (const example of DANGEROUS) {
    it(`${example.family} ${example.fields.join('+')}: refused without the confirmation that names the consequence, allowed with it`, () => {
      const before = decodeOptionBytes(example.family, example.address, example.raw, { flash: F42X_FLASH });
      expect(lockoutRisks(before, before)).toEqual([]);
      const plan = prepareOptionBytesWrite([before], example.changes, { flash: F42X_FLASH });
      const lockout = plan.confirmations.find((c) => c.kind === 'option-lockout');
      expect(lockout, JSON.stringify(plan.confirmations)).toBeDefined();
      expect(lockout!.cliFlag).toBe('--accept-lockout-risk');
      // It names what it is about: each register bit (an area by its name, WRP1A or PCROP1).
      for (const field of example.fields) {
        const name = before.fields.find((f) => f.id === field)!.bitName.replace(/\[.*$/, '').replace(/_P?(STRT|END)$/, '');
        expect(lockout!.consequence).toContain(name);
      }
      expect(() => checkConfirmed(plan.confirmations, [])).toThrow(expect.objectContaining({ info: expect.objectContaining({ kind: 'confirmation-required', action: 'option-lockout' }) }));
      expect(() => checkConfirmed(plan.confirmations, plan.confirmations.map((c) => c.kind))).not.toThrow();
    });
  }

  it('does not ask again for a risky setting the chip already has, nor for undoing protection', () => {
    const l0 = fromWords32(0xff5501aa, 0x7f8f8070, 0xffff0000, 0xffff0000, 0xffff0000); // WPRMOD already 1
    const before = decodeOptionBytes('L0', 0x1ff80000, l0);
    expect(prepareOptionBytesWrite([before], { iwdg_sw: 0 }).confirmations).toEqual([]);
    const protectedF4 = decodeOptionBytes('F4', 0x1fffc000, Uint8Array.from([0xef, 0xaa, 0x10, 0x55, 0xff, 0xff, 0xff, 0xff, 0xfe, 0x0f, 0x00, 0xf0, 0xff, 0xff, 0xff, 0xff]), { flash: F407_FLASH });
    expect(prepareOptionBytesWrite([protectedF4], { nwrp: 0xfff }).confirmations).toEqual([]);
  });

  it('asks before write protection of a sector, naming it', () => {
    const f4 = decodeOptionBytes('F4', 0x1fffc000, Uint8Array.from([0xef, 0xaa, 0x10, 0x55, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0xf0, 0xff, 0xff, 0xff, 0xff]), { flash: F407_FLASH });
    const plan = prepareOptionBytesWrite([f4], { nwrp: 0xffe }, { flash: F407_FLASH });
    expect(plan.confirmations.map((c) => c.consequence)).toEqual(['nWRP write-protects Sector 0 (0x08000000-0x08003FFF): DFU cannot erase or program them until the protection is removed here']);
  });

  it('a raw block from a file is checked for every risky setting it carries', () => {
    const raw = fromWords32(0xff5500aa, 0x7f8f8070 & ~0x8000, 0xffff0000, 0xffff0000, 0xffff0000); // nBOOT1 = 0
    const risks = lockoutRisks(decodeOptionBytes('L0', 0x1ff80000, raw));
    expect(risks.map((risk) => risk.fields)).toEqual([['nboot1']]);
  });

  it('marks SPRMOD as not reversible over DFU', () => {
    const f42x = decodeOptionBytes('F4', 0x1fffc000, DANGEROUS.find((example) => example.family === 'F4')!.raw, { flash: F42X_FLASH });
    const plan = prepareOptionBytesWrite([f42x], { sprmod: 1 }, { flash: F42X_FLASH });
    expect(plan.confirmations[0]!.consequence).toMatch(/^NOT REVERSIBLE over DFU: SPRMOD = 1/);
  });
});

describe('optionBytesOfDevice', () => {
  it('decodes with the device flash, so F42x sectors are named and SPRMOD is editable there only', () => {
    const info = { family: 'F4', alternates: [{ alternate: 0, name: 'Internal Flash', role: 'flash', layout: { region: F42X_FLASH } }] } as unknown as DeviceInfo;
    const bare = decodeOptionBytes('F4', 0x1fffc000, DANGEROUS.find((example) => example.family === 'F4')!.raw);
    expect(bare.fields.find((field) => field.id === 'sprmod')!.editable).toBe(false);
    const [block] = optionBytesOfDevice([bare], info);
    expect(block!.fields.find((field) => field.id === 'sprmod')!.editable).toBe(true);
    expect(block!.fields.find((field) => field.id === 'nwrp')!.units![11]!.label).toBe('Sector 11 (0x080E0000-0x080FFFFF)');
  });
});
